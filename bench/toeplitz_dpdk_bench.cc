// The Toeplitz benchmarks of toeplitz_bench.cc side by side with DPDK 22.11's rte_thash
// (Debian dpdk-dev): rte_softrss (original key), rte_softrss_be (rte_convert_rss_key'd key),
// rte_thash_gfni and rte_thash_gfni_bulk. Same inputs, same key, same loop shape; every DPDK
// function is first checked to give our values on the pool and skipped with an error if not.
//
// DPDK's GFNI Toeplitz is inline in the headers and only exists when the including code is
// compiled for GFNI + AVX-512 (DPDK's own build uses -march=native). This program is built at
// -O3 in every build type (bench/CMakeLists.txt) and compiles the DPDK header and the DPDK
// benchmark bodies for that ISA (#pragma GCC target), so DPDK runs as it would in a
// -march=native application, while ours is the run-time dispatched library code, built with
// the build type's flags. Debian's rte_thash_gfni_supported() returns 0 (the
// library is built for a baseline CPU), so the CPU is checked here. No EAL is needed.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "nvgre/offload/toeplitz.h"
#include "nvgre/wire/bytes.h"

#define ALLOW_EXPERIMENTAL_API 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC push_options
#pragma GCC target("gfni,avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi")
// GCC's target pragma does not define the ISA macros that rte_thash_x86_gfni.h tests, so say
// them here, for this header only (the intrinsics headers are already in, for every ISA).
#ifndef __GFNI__
#define __GFNI__ 1
#define NVGRE_UNDEF_GFNI 1
#endif
#ifndef __AVX512F__
#define __AVX512F__ 1
#define NVGRE_UNDEF_AVX512F 1
#endif
#ifndef __AVX__
#define __AVX__ 1
#define NVGRE_UNDEF_AVX 1
#endif
#include <rte_thash.h>
#ifdef NVGRE_UNDEF_GFNI
#undef __GFNI__
#endif
#ifdef NVGRE_UNDEF_AVX512F
#undef __AVX512F__
#endif
#ifdef NVGRE_UNDEF_AVX
#undef __AVX__
#endif
#pragma GCC pop_options
#pragma GCC diagnostic pop

#ifndef RTE_THASH_GFNI_DEFINED
#error "rte_thash_gfni was not compiled in (need __GFNI__ and __AVX512F__ under the pragma)"
#endif

#define DPDK_GFNI_TARGET \
  __attribute__((target("gfni,avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi")))

namespace {

using nvgre::offload::kRssKeySize;
using nvgre::offload::kRssVerificationKey;
using nvgre::offload::ToeplitzHasher;
using nvgre::offload::ToeplitzPath;

constexpr std::size_t kPool = 4096;
constexpr std::size_t kBurst = 32;

bool DpdkGfniUsable() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("gfni") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vbmi");
}

// The pool in every form the functions want: network-order bytes (ours, rte_thash_gfni*),
// host-order 32-bit words (rte_softrss*, as rte_ipv4_tuple / rte_ipv6_tuple hold them), and the
// expected hash of each tuple (our reference path).
struct Pool {
  std::size_t size = 0;  // bytes per tuple
  std::vector<std::uint8_t> bytes;
  std::vector<std::span<const std::uint8_t>> spans;
  std::vector<std::uint8_t*> pointers;  // rte_thash_gfni_bulk takes uint8_t *tuple[]
  std::vector<std::uint32_t> words;
  std::vector<std::uint32_t> expected;
};

Pool MakePool(std::size_t size) {
  Pool p;
  p.size = size;
  p.bytes.resize(kPool * size);
  std::mt19937 rng(10);  // the same tuples as toeplitz_bench.cc
  for (auto& b : p.bytes) b = static_cast<std::uint8_t>(rng());
  for (std::size_t i = 0; i < kPool; ++i) {
    std::uint8_t* t = p.bytes.data() + i * size;
    p.spans.emplace_back(t, size);
    p.pointers.push_back(t);
    for (std::size_t w = 0; w < size / 4; ++w) {
      p.words.push_back(nvgre::wire::LoadBe32(std::span<const std::uint8_t, 4>(t + 4 * w, 4)));
    }
    p.expected.push_back(nvgre::offload::ToeplitzHashReference(kRssVerificationKey, p.spans[i]));
  }
  return p;
}

// Key copies with the alignment DPDK's casts assume.
struct Keys {
  alignas(64) std::array<std::uint8_t, kRssKeySize> original;
  alignas(64) std::array<std::uint8_t, kRssKeySize> converted;  // rte_convert_rss_key
  alignas(64) std::array<std::uint64_t, kRssKeySize> matrices;  // rte_thash_complete_matrix
};

std::unique_ptr<Keys> MakeKeys() {
  auto k = std::make_unique<Keys>();
  k->original = kRssVerificationKey;
  std::array<std::uint32_t, kRssKeySize / 4> orig_words, conv_words;
  std::memcpy(orig_words.data(), k->original.data(), kRssKeySize);
  rte_convert_rss_key(orig_words.data(), conv_words.data(), static_cast<int>(kRssKeySize));
  std::memcpy(k->converted.data(), conv_words.data(), kRssKeySize);
  rte_thash_complete_matrix(k->matrices.data(), k->original.data(), static_cast<int>(kRssKeySize));
  return k;
}

enum class Dpdk { kSoftrss, kSoftrssBe, kGfni, kGfniBulk };

// One DPDK hash of tuple i (Dpdk::kGfniBulk: a burst starting at i).
DPDK_GFNI_TARGET inline std::uint32_t DpdkHash(Dpdk f, Pool& p, const Keys& k, std::size_t i) {
  const auto n = static_cast<std::uint32_t>(p.size / 4);
  switch (f) {
    case Dpdk::kSoftrss:
      return rte_softrss(&p.words[i * n], n, k.original.data());
    case Dpdk::kSoftrssBe:
      return rte_softrss_be(&p.words[i * n], n, k.converted.data());
    case Dpdk::kGfni:
    case Dpdk::kGfniBulk:
      break;
  }
  return rte_thash_gfni(k.matrices.data(), p.pointers[i], static_cast<int>(p.size));
}

DPDK_GFNI_TARGET void RunDpdk(benchmark::State& state, std::size_t tuple_size, Dpdk f,
                              std::size_t burst) {
  const bool gfni = f == Dpdk::kGfni || f == Dpdk::kGfniBulk;
  if (gfni && !DpdkGfniUsable()) {
    state.SkipWithError("CPU lacks GFNI/AVX-512");
    return;
  }
  Pool p = MakePool(tuple_size);
  const auto keys = MakeKeys();
  const Keys& k = *keys;
  const int len = static_cast<int>(p.size);
  std::array<std::uint32_t, kBurst> out{};
  // Check before timing.
  for (std::size_t i = 0; i < kPool; i += kBurst) {
    if (f == Dpdk::kGfniBulk) {
      rte_thash_gfni_bulk(k.matrices.data(), len, &p.pointers[i], out.data(),
                          static_cast<std::uint32_t>(kBurst));
    } else {
      for (std::size_t j = 0; j < kBurst; ++j) out[j] = DpdkHash(f, p, k, i + j);
    }
    if (!std::equal(out.begin(), out.end(), p.expected.begin() + static_cast<std::ptrdiff_t>(i))) {
      state.SkipWithError("DPDK hash differs from ours");
      return;
    }
  }
  std::size_t i = 0;
  const auto n = static_cast<std::uint32_t>(p.size / 4);
  if (burst == 1) {
    switch (f) {  // one loop per function so each is inlined as an application would
      case Dpdk::kSoftrss:
        for (auto _ : state) {
          benchmark::DoNotOptimize(rte_softrss(&p.words[i * n], n, k.original.data()));
          i = (i + 1) % kPool;
        }
        break;
      case Dpdk::kSoftrssBe:
        for (auto _ : state) {
          benchmark::DoNotOptimize(rte_softrss_be(&p.words[i * n], n, k.converted.data()));
          i = (i + 1) % kPool;
        }
        break;
      case Dpdk::kGfni:
      case Dpdk::kGfniBulk:
        for (auto _ : state) {
          benchmark::DoNotOptimize(rte_thash_gfni(k.matrices.data(), p.pointers[i], len));
          i = (i + 1) % kPool;
        }
        break;
    }
  } else if (f == Dpdk::kGfniBulk) {
    for (auto _ : state) {
      rte_thash_gfni_bulk(k.matrices.data(), len, &p.pointers[i], out.data(),
                          static_cast<std::uint32_t>(burst));
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
      i = (i + burst) % kPool;
    }
  } else {  // a burst of single calls, as a DPDK application without a bulk API writes it
    for (auto _ : state) {
      for (std::size_t j = 0; j < burst; ++j) out[j] = DpdkHash(f, p, k, i + j);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
      i = (i + burst) % kPool;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * burst * tuple_size));
}

void RunOurs(benchmark::State& state, std::size_t tuple_size, ToeplitzPath path,
             std::size_t burst) {
  if (path == ToeplitzPath::kGfni && !nvgre::offload::ToeplitzGfniSupported()) {
    state.SkipWithError("CPU lacks GFNI/AVX-512");
    return;
  }
  const Pool p = MakePool(tuple_size);
  const auto hasher = std::make_unique<ToeplitzHasher>(kRssVerificationKey, path);
  std::array<std::uint32_t, kBurst> out{};
  std::size_t i = 0;
  if (burst == 1) {
    for (auto _ : state) {
      benchmark::DoNotOptimize(hasher->Hash(p.spans[i]));
      i = (i + 1) % kPool;
    }
  } else {
    for (auto _ : state) {
      hasher->HashBurst(std::span(p.spans).subspan(i, burst), out);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
      i = (i + burst) % kPool;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * burst * tuple_size));
}

constexpr std::size_t kV4 = nvgre::offload::kRssIpv4PortsInputSize;
constexpr std::size_t kV6 = nvgre::offload::kRssIpv6PortsInputSize;

void BM_Toeplitz_Ipv4Tuple(benchmark::State& state, ToeplitzPath path, std::size_t burst) {
  RunOurs(state, kV4, path, burst);
}
void BM_Toeplitz_Ipv6Tuple(benchmark::State& state, ToeplitzPath path, std::size_t burst) {
  RunOurs(state, kV6, path, burst);
}
void BM_Toeplitz_Ipv4Tuple_Dpdk(benchmark::State& state, Dpdk f, std::size_t burst) {
  RunDpdk(state, kV4, f, burst);
}
void BM_Toeplitz_Ipv6Tuple_Dpdk(benchmark::State& state, Dpdk f, std::size_t burst) {
  RunDpdk(state, kV6, f, burst);
}

#define NVGRE_TOEPLITZ_BENCHES(Tuple)                                                          \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple, table, ToeplitzPath::kTable, 1);                      \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple, table_burst32, ToeplitzPath::kTable, kBurst);         \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple, gfni, ToeplitzPath::kGfni, 1);                        \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple, gfni_burst32, ToeplitzPath::kGfni, kBurst);           \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple##_Dpdk, softrss, Dpdk::kSoftrss, 1);                   \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple##_Dpdk, softrss_burst32, Dpdk::kSoftrss, kBurst);      \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple##_Dpdk, softrss_be, Dpdk::kSoftrssBe, 1);              \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple##_Dpdk, softrss_be_burst32, Dpdk::kSoftrssBe, kBurst); \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple##_Dpdk, gfni, Dpdk::kGfni, 1);                         \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple##_Dpdk, gfni_burst32, Dpdk::kGfni, kBurst);            \
  BENCHMARK_CAPTURE(BM_Toeplitz_##Tuple##_Dpdk, gfni_bulk32, Dpdk::kGfniBulk, kBurst)

NVGRE_TOEPLITZ_BENCHES(Ipv4Tuple);
NVGRE_TOEPLITZ_BENCHES(Ipv6Tuple);

}  // namespace
