#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/targets/ with clang (ASan + UBSan) and runs each one for a
# bounded time with its dictionary and seed corpus (docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      # default: 60 s for every target
#   scripts/fuzz.sh 30                         # what CI runs (scripts/test.sh)
#   scripts/fuzz.sh 600 classifier pcap_reader
#
# For each target it first replays fuzz/regressions/<target>/, then fuzzes (one process,
# -max_total_time=SECONDS). Any crash, leak, timeout or out-of-memory input is copied to
# fuzz/regressions/<target>/ and its path printed; the script then exits 1. A regression that
# still fails also makes it exit 1. Exit 2: the fuzzers could not be built.
#
# Environment:
#   NVGRE_FUZZ_BUILD_DIR  build directory (default build/fuzz)
#   NVGRE_FUZZ_CXX        clang++ to use (default clang++-14; CC is derived from it)
#   NVGRE_FUZZ_JOBS       build parallelism (default 2)
#   NVGRE_FUZZ_PARALLEL   fuzz targets run at once (default: the number of cores)
#   NVGRE_FUZZ_IGNORE     comma-separated ids of open findings to look past (fuzz_util.h)
#   NVGRE_FUZZ_ARGS       extra libFuzzer flags, e.g. "-jobs=2 -workers=2"
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
shift || true
build="${NVGRE_FUZZ_BUILD_DIR:-$root/build/fuzz}"
cxx="${NVGRE_FUZZ_CXX:-clang++-14}"
cc="${cxx/clang++/clang}"
jobs="${NVGRE_FUZZ_JOBS:-2}"
parallel="${NVGRE_FUZZ_PARALLEL:-$(nproc)}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [SECONDS] [TARGET...]" >&2
  exit 2
fi

# --- clang with libFuzzer ------------------------------------------------------------------
fuzzer_links() {
  local dir
  dir="$(mktemp -d)"
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
    >"$dir/t.cc"
  "$cxx" -fsanitize=fuzzer,address,undefined "$dir/t.cc" -o "$dir/t" >/dev/null 2>&1
  local rc=$?
  rm -rf "$dir"
  return $rc
}
if ! command -v "$cxx" >/dev/null 2>&1 || ! fuzzer_links; then
  version="${cxx##*-}"
  [[ "$version" =~ ^[0-9]+$ ]] || version=14
  echo "fuzz.sh: installing clang-$version and libclang-rt-$version-dev" >&2
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq && \
    "${sudo_cmd[@]}" apt-get install -y -qq "clang-$version" "libclang-rt-$version-dev" >/dev/null
  if ! fuzzer_links; then
    echo "fuzz.sh: $cxx cannot link -fsanitize=fuzzer" >&2
    exit 2
  fi
fi

# --- build ---------------------------------------------------------------------------------
# RelWithDebInfo without -DNDEBUG: the library's assert()s stay on while fuzzing.
if ! CC="$cc" CXX="$cxx" cmake -S "$root" -B "$build" -G Ninja -DNVGRE_FUZZ=ON \
    -DNVGRE_BUILD_TESTS=OFF -DNVGRE_BUILD_BENCH=OFF -DNVGRE_BUILD_TOOLS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" >"$build.configure.log" 2>&1; then
  cat "$build.configure.log" >&2
  exit 2
fi
if ! cmake --build "$build" -j "$jobs" --target nvgre_fuzzers; then
  exit 2
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets <"$build/fuzz/targets.txt"
fi

# --- run -----------------------------------------------------------------------------------
max_len_of() {
  case "$1" in
    pcap_reader) echo 16384 ;;
    toeplitz | ndis_oob) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# One target: replay its regressions, fuzz it, copy what it finds. Its summary line goes to
# fuzz-logs/<target>.summary and it returns 1 on a finding.
fuzz_one() {
  local t="$1" status=0
  local bin="$build/fuzz/${t}_fuzz"
  if [ ! -x "$bin" ]; then
    echo "fuzz.sh: no fuzzer $t (built: $(tr '\n' ' ' <"$build/fuzz/targets.txt"))" >&2
    return 1
  fi
  local regressions seeds work artifacts log what open_findings old f msg dict rc found a known m dest execs last cov ft corp
  regressions="$root/fuzz/regressions/$t"
  seeds="$root/fuzz/corpus/$t"
  work="$build/fuzz-work/$t"
  artifacts="$build/fuzz-artifacts/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$regressions" "$work" "$artifacts" "$(dirname "$log")"
  rm -f "$build/fuzz-logs/$t.summary"
  rm -f "$artifacts"/*

  # 1. The regressions must all pass. What the failing ones report is remembered, so that the
  # fuzzer finding the same open bug again does not add a copy of it.
  what='fuzz invariant violated|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error'
  open_findings=()
  mapfile -t old < <(find "$regressions" -maxdepth 1 -type f ! -name '.*' ! -name '*.md' | sort)
  for f in "${old[@]}"; do
    if ! "$bin" -runs=1 "$f" >"$log.replay" 2>&1; then
      echo "fuzz.sh: $t: REGRESSION STILL FAILS: ${f#"$root"/}"
      msg="$(grep -m1 -E "$what" "$log.replay")"
      echo "    $msg"
      open_findings+=("$msg")
      status=1
    fi
  done

  # 2. Fuzz.
  dict=()
  if [ -f "$root/fuzz/dict/$t.dict" ]; then
    dict=("-dict=$root/fuzz/dict/$t.dict")
  elif [ -f "$root/fuzz/dict/frame.dict" ]; then
    dict=("-dict=$root/fuzz/dict/frame.dict")
  fi
  # shellcheck disable=SC2086  # NVGRE_FUZZ_ARGS is a list of flags
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" ${NVGRE_FUZZ_ARGS:-} \
    "$work" "$seeds" >"$log" 2>&1
  rc=$?

  found=0
  for a in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -f "$a" ] || continue
    found=1
    msg="$(grep -m1 -E "$what" "$log")"
    known=0
    for m in "${open_findings[@]}"; do
      [ -n "$msg" ] && [ "$m" = "$msg" ] && known=1
    done
    if [ "$known" -eq 1 ]; then
      echo "fuzz.sh: $t: found again the open regression above ($(basename "$a") not copied)"
      continue
    fi
    dest="$regressions/$(basename "$a")"
    cp "$a" "$dest"
    echo "fuzz.sh: $t: FINDING $(basename "$a" | cut -d- -f1): ${dest#"$root"/}"
    echo "    $msg"
  done
  if [ "$found" -eq 1 ]; then
    status=1
  elif [ "$rc" -ne 0 ]; then
    echo "fuzz.sh: $t: libFuzzer exited $rc without an artifact; see $log"
    status=1
  fi
  execs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
  corp="$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")"
  printf '%-12s %10s execs  cov %-5s ft %-6s corpus %-5s %s\n' "$t" "${execs:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$([ "$found" -eq 1 ] && echo FINDING || echo ok)" \
    >"$build/fuzz-logs/$t.summary"
  return "$status"
}

# Targets run side by side, one per core (each libFuzzer process is single-threaded).
status=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$parallel" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
summary=()
for t in "${targets[@]}"; do
  [ -f "$build/fuzz-logs/$t.summary" ] && summary+=("$(cat "$build/fuzz-logs/$t.summary")")
done

echo
echo "fuzz.sh: ${seconds}s per target; logs in ${build#"$root"/}/fuzz-logs/"
printf '%s\n' "${summary[@]}"
exit "$status"
