// Helpers shared by the fuzz targets in fuzz/targets/.
//
// FUZZ_CHECK(cond) states an invariant of the code under test. When it does not hold, it prints
// the condition with its file and line and executes __builtin_trap(): libFuzzer reports that
// as a crash (with the input saved as crash-<sha1>), the replay program dies with SIGILL.
//
// FUZZ_CHECK_OPEN("id", cond) is the same for an invariant with an open finding; see below.
//
// FuzzInput splits one fuzz input into typed pieces, front to back, like LLVM's
// FuzzedDataProvider (which g++ builds do not have):
//
//   nvgre::fuzz::FuzzInput in(data, size);
//   const bool mutate = in.TakeBool();
//   const auto mss = in.Take<std::uint16_t>();      // big-endian; 0 once the input runs out
//   std::span<const std::uint8_t> frame = in.Rest();
//
// Every target includes this header and defines
//   extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// which is also linked into a replay program (fuzz/replay_main.cc) for builds without libFuzzer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#define FUZZ_CHECK(cond)                                            \
  do {                                                              \
    if (!(cond)) ::nvgre::fuzz::CheckFailed(#cond, __FILE__, __LINE__); \
  } while (false)

// An invariant with an open finding (listed in docs/fuzzing.md): checked like FUZZ_CHECK, unless
// the environment variable NVGRE_FUZZ_IGNORE names `id` (comma-separated ids), which lets a long
// fuzzing run look past a known, reported bug. CI never sets it.
#define FUZZ_CHECK_OPEN(id, cond)                                                     \
  do {                                                                              \
    if (!(cond) && !::nvgre::fuzz::Ignored(id)) {                                   \
      ::nvgre::fuzz::CheckFailed(#cond " [open finding " id "]", __FILE__, __LINE__); \
    }                                                                               \
  } while (false)

namespace nvgre::fuzz {

[[noreturn]] inline void CheckFailed(const char* cond, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, cond);
  std::fflush(stderr);
  __builtin_trap();
}

// Whether NVGRE_FUZZ_IGNORE (comma-separated) names `id`. Only consulted when an open check fails.
inline bool Ignored(std::string_view id) {
  const char* v = std::getenv("NVGRE_FUZZ_IGNORE");
  std::string_view list = v == nullptr ? std::string_view() : std::string_view(v);
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (list.substr(0, comma) == id) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size)
      : rest_(data == nullptr ? std::span<const std::uint8_t>() : std::span(data, size)) {}

  std::size_t remaining() const { return rest_.size(); }

  // The next sizeof(T) bytes as a big-endian unsigned integer (or bool / enum underlying);
  // missing bytes read as 0.
  template <class T>
  T Take() {
    static_assert(std::is_integral_v<T> && std::is_unsigned_v<T>);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      v = (v << 8) | (rest_.empty() ? 0u : rest_[0]);
      if (!rest_.empty()) rest_ = rest_.subspan(1);
    }
    return static_cast<T>(v);
  }
  bool TakeBool() { return (Take<std::uint8_t>() & 1) != 0; }
  // A value in [lo, hi] (inclusive), from one to four bytes of input.
  std::uint32_t TakeInRange(std::uint32_t lo, std::uint32_t hi) {
    const std::uint32_t span = hi - lo;
    std::uint32_t v = 0;
    if (span <= 0xFF) {
      v = Take<std::uint8_t>();
    } else if (span <= 0xFFFF) {
      v = Take<std::uint16_t>();
    } else {
      v = Take<std::uint32_t>();
    }
    return span == 0xFFFFFFFFu ? v : lo + v % (span + 1);
  }
  // Up to n bytes (fewer when the input runs out).
  std::span<const std::uint8_t> TakeBytes(std::size_t n) {
    n = std::min(n, rest_.size());
    auto out = rest_.first(n);
    rest_ = rest_.subspan(n);
    return out;
  }
  std::span<const std::uint8_t> Rest() {
    auto out = rest_;
    rest_ = {};
    return out;
  }

 private:
  std::span<const std::uint8_t> rest_;
};

// A heap copy of exactly `bytes.size()` bytes, so that AddressSanitizer flags a read one past
// the end (the caller's buffer may be larger).
inline std::vector<std::uint8_t> ExactCopy(std::span<const std::uint8_t> bytes) {
  return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

// Whether `inner` lies inside `outer` (the same memory), to bounds-check an accessor's span.
// std::less gives a total order over pointers into different objects.
inline bool Within(std::span<const std::uint8_t> inner, std::span<const std::uint8_t> outer) {
  const std::less<const std::uint8_t*> lt;
  const std::uint8_t* ib = inner.data();
  const std::uint8_t* ob = outer.data();
  if (ib == nullptr) return inner.empty();
  if (ob == nullptr) return false;
  return !lt(ib, ob) && !lt(ob + outer.size(), ib + inner.size());
}

}  // namespace nvgre::fuzz
