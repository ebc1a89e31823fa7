// The RFC 1071 sum, ours against DPDK 22.11's rte_raw_cksum (Debian dpdk-dev), on the same
// buffers in the same program. N = 20 (an IPv4 header), 40 (IPv6 header, TCP header with
// options), 64, 128, 200, 256, 576, 1500, 9000, 65536 bytes: each of our kernels' tiers and
// the sizes either side of their boundaries; buffers start on a 64-byte boundary (offset:0),
// at an odd address (offset:1) or 14 bytes after a boundary (offset:14, an IP header behind an
// Ethernet header); bytes per second.
//   BM_OnesSum/N               the run-time selected kernel (library code, project flags)
//   BM_OnesSum_<Kernel>/N      each of our kernels
//   BM_RteRawCksum/N           DPDK's inline 16-bit loop as this program's flags build it
//   BM_RteRawCksum_Avx2/N      the same loop auto-vectorised for AVX2 (what GCC 12 makes of it
//                              under -march=native on AVX-512 Intel CPUs, whose tuning prefers
//                              256-bit vectors)
//   BM_RteRawCksum_Avx512/N    the same loop auto-vectorised with 512-bit vectors
//                              (prefer-vector-width=512): the fastest GCC build of it
// The _Avx2/_Avx512 bodies carry a target attribute, so rte_raw_cksum is inlined and vectorised
// for that ISA whatever the command line says (pkg-config's libdpdk cflags end in
// -march=corei7, which overrides an earlier -march=native). Before timing, every DPDK result
// (a sum of host-order words) is checked against ours (network order) and the benchmark is
// skipped with an error if they differ. Ratio = BM_OnesSum over the fastest BM_RteRawCksum*
// at the same N and offset. No EAL is needed for rte_raw_cksum.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <span>

#include "nvgre/wire/checksum.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wvolatile"
#include <rte_byteorder.h>
#include <rte_ip.h>
#pragma GCC diagnostic pop

namespace {

using nvgre::wire::OnesSumPath;

constexpr std::size_t kAlign = 64;

struct Buffer {
  std::unique_ptr<std::uint8_t[]> storage;
  std::span<const std::uint8_t> data;
};

// n random bytes starting `offset` bytes after a 64-byte boundary (the same bytes as
// checksum_bench.cc).
Buffer RandomBuffer(std::size_t n, std::size_t offset) {
  Buffer b;
  b.storage = std::make_unique<std::uint8_t[]>(n + offset + 2 * kAlign);
  std::uint8_t* base = b.storage.get();
  base += (kAlign - reinterpret_cast<std::uintptr_t>(base) % kAlign) % kAlign;
  std::mt19937 rng(42);
  for (std::size_t i = 0; i < n + offset; ++i) base[i] = static_cast<std::uint8_t>(rng());
  b.data = std::span<const std::uint8_t>(base + offset, n);
  return b;
}

// DPDK sums host-order words; ours is the network-order sum (RFC 1071 §2(B)).
std::uint16_t DpdkAsNetworkOrder(std::uint16_t host) {
  return RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? nvgre::wire::SwapSum(host) : host;
}

// rte_raw_cksum over the buffer, checked, then timed. Always inlined into the callers below,
// so the DPDK loop is compiled (and vectorised) for each caller's target.
[[gnu::always_inline]] inline void RunDpdk(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Buffer b = RandomBuffer(n, static_cast<std::size_t>(state.range(1)));
  const std::uint16_t dpdk = rte_raw_cksum(b.data.data(), n);
  if (DpdkAsNetworkOrder(dpdk) != nvgre::wire::OnesSumReference(b.data)) {
    state.SkipWithError("rte_raw_cksum differs from OnesSumReference");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(rte_raw_cksum(b.data.data(), n));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

bool CpuHas(const char* what) {
  __builtin_cpu_init();
  if (std::strcmp(what, "avx2") == 0) return __builtin_cpu_supports("avx2");
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}

void BM_RteRawCksum(benchmark::State& state) { RunDpdk(state); }

__attribute__((target("avx2,bmi,bmi2,prefer-vector-width=256"))) void Avx2Body(
    benchmark::State& state) {
  RunDpdk(state);
}
void BM_RteRawCksum_Avx2(benchmark::State& state) {
  if (!CpuHas("avx2")) {
    state.SkipWithError("CPU lacks AVX2");
    return;
  }
  Avx2Body(state);
}

__attribute__((target("avx2,bmi,bmi2,avx512f,avx512bw,avx512vl,avx512dq,prefer-vector-width=512")))
void Avx512Body(benchmark::State& state) {
  RunDpdk(state);
}
void BM_RteRawCksum_Avx512(benchmark::State& state) {
  if (!CpuHas("avx512")) {
    state.SkipWithError("CPU lacks AVX-512 F/BW/VL/DQ");
    return;
  }
  Avx512Body(state);
}

using SumFn = std::uint16_t (*)(std::span<const std::uint8_t>, std::uint16_t);

// kFn is a template argument so the timed loop calls it directly, as callers do.
template <SumFn kFn>
void RunOurs(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Buffer b = RandomBuffer(n, static_cast<std::size_t>(state.range(1)));
  const std::uint16_t dpdk = rte_raw_cksum(b.data.data(), n);
  if (kFn(b.data, 0) != DpdkAsNetworkOrder(dpdk)) {
    state.SkipWithError("our sum differs from rte_raw_cksum");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(kFn(b.data, 0));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void BM_OnesSum(benchmark::State& state) { RunOurs<&nvgre::wire::OnesSum>(state); }
void BM_OnesSum_Scalar(benchmark::State& state) { RunOurs<&nvgre::wire::OnesSumScalar>(state); }
void BM_OnesSum_Avx2(benchmark::State& state) {
  if (!nvgre::wire::OnesSumPathSupported(OnesSumPath::kAvx2)) {
    state.SkipWithError("CPU lacks AVX2");
    return;
  }
  RunOurs<&nvgre::wire::OnesSumAvx2>(state);
}
void BM_OnesSum_Avx512(benchmark::State& state) {
  if (!nvgre::wire::OnesSumPathSupported(OnesSumPath::kAvx512)) {
    state.SkipWithError("CPU lacks AVX-512 F/BW/VL/VNNI or BMI2");
    return;
  }
  RunOurs<&nvgre::wire::OnesSumAvx512>(state);
}

void SizesAndOffsets(benchmark::internal::Benchmark* b) {
  b->ArgNames({"", "offset"});
  for (const std::int64_t offset : {0, 1, 14}) {
    for (const std::int64_t n : {20, 40, 64, 128, 200, 256, 576, 1500, 9000, 65536}) {
      b->Args({n, offset});
    }
  }
}

BENCHMARK(BM_RteRawCksum)->Apply(SizesAndOffsets);
BENCHMARK(BM_RteRawCksum_Avx2)->Apply(SizesAndOffsets);
BENCHMARK(BM_RteRawCksum_Avx512)->Apply(SizesAndOffsets);
BENCHMARK(BM_OnesSum)->Apply(SizesAndOffsets);
BENCHMARK(BM_OnesSum_Scalar)->Apply(SizesAndOffsets);
BENCHMARK(BM_OnesSum_Avx2)->Apply(SizesAndOffsets);
BENCHMARK(BM_OnesSum_Avx512)->Apply(SizesAndOffsets);

}  // namespace
