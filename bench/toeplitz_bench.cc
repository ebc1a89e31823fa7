// BM_Toeplitz_Ipv4Tuple (12-byte input) and BM_Toeplitz_Ipv6Tuple (36-byte input): RSS hashes
// per second for each path (reference / table / GFNI), one hash per call and bursts of 32.
// Items are hashes. bench/toeplitz_dpdk_bench.cc runs the same inputs next to DPDK's versions.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "nvgre/offload/toeplitz.h"

namespace {

using nvgre::offload::kRssVerificationKey;
using nvgre::offload::ToeplitzHasher;
using nvgre::offload::ToeplitzPath;

constexpr std::size_t kPool = 4096;  // distinct random tuples, cycled (L1/L2 resident)
constexpr std::size_t kBurst = 32;

struct Tuples {
  std::vector<std::uint8_t> bytes;
  std::vector<std::span<const std::uint8_t>> spans;
};

Tuples MakeTuples(std::size_t size) {
  Tuples t;
  t.bytes.resize(kPool * size);
  std::mt19937 rng(10);
  for (auto& b : t.bytes) b = static_cast<std::uint8_t>(rng());
  for (std::size_t i = 0; i < kPool; ++i) t.spans.emplace_back(t.bytes.data() + i * size, size);
  return t;
}

void Run(benchmark::State& state, std::size_t tuple_size, ToeplitzPath path, std::size_t burst) {
  if (path == ToeplitzPath::kGfni && !nvgre::offload::ToeplitzGfniSupported()) {
    state.SkipWithError("CPU lacks GFNI/AVX-512");
    return;
  }
  const Tuples t = MakeTuples(tuple_size);
  const auto hasher = std::make_unique<ToeplitzHasher>(kRssVerificationKey, path);
  std::array<std::uint32_t, kBurst> out{};
  std::size_t i = 0;
  if (burst == 1) {
    for (auto _ : state) {
      benchmark::DoNotOptimize(hasher->Hash(t.spans[i]));
      i = (i + 1) % kPool;
    }
  } else {
    for (auto _ : state) {
      hasher->HashBurst(std::span(t.spans).subspan(i, burst), out);
      benchmark::DoNotOptimize(out.data());
      benchmark::ClobberMemory();
      i = (i + burst) % kPool;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * burst));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * burst * tuple_size));
}

void BM_Toeplitz_Ipv4Tuple(benchmark::State& state, ToeplitzPath path, std::size_t burst) {
  Run(state, nvgre::offload::kRssIpv4PortsInputSize, path, burst);
}
void BM_Toeplitz_Ipv6Tuple(benchmark::State& state, ToeplitzPath path, std::size_t burst) {
  Run(state, nvgre::offload::kRssIpv6PortsInputSize, path, burst);
}

BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Tuple, reference, ToeplitzPath::kReference, 1);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Tuple, reference_burst32, ToeplitzPath::kReference, kBurst);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Tuple, table, ToeplitzPath::kTable, 1);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Tuple, table_burst32, ToeplitzPath::kTable, kBurst);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Tuple, gfni, ToeplitzPath::kGfni, 1);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Tuple, gfni_burst32, ToeplitzPath::kGfni, kBurst);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Tuple, reference, ToeplitzPath::kReference, 1);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Tuple, reference_burst32, ToeplitzPath::kReference, kBurst);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Tuple, table, ToeplitzPath::kTable, 1);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Tuple, table_burst32, ToeplitzPath::kTable, kBurst);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Tuple, gfni, ToeplitzPath::kGfni, 1);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Tuple, gfni_burst32, ToeplitzPath::kGfni, kBurst);

// The entry points the Rx engine uses: addresses as they sit in the header, host-order ports.
void BM_Toeplitz_Ipv4Ports(benchmark::State& state, ToeplitzPath path) {
  if (path == ToeplitzPath::kGfni && !nvgre::offload::ToeplitzGfniSupported()) {
    state.SkipWithError("CPU lacks GFNI/AVX-512");
    return;
  }
  const Tuples t = MakeTuples(nvgre::offload::kRssIpv4PortsInputSize);
  const auto hasher = std::make_unique<ToeplitzHasher>(kRssVerificationKey, path);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::span<const std::uint8_t> s = t.spans[i];
    benchmark::DoNotOptimize(hasher->HashIpv4Ports(s.first<4>(), s.subspan<4, 4>(),
                                                   static_cast<std::uint16_t>(s[8] << 8 | s[9]),
                                                   static_cast<std::uint16_t>(s[10] << 8 | s[11])));
    i = (i + 1) % kPool;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Ports, table, ToeplitzPath::kTable);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv4Ports, gfni, ToeplitzPath::kGfni);

void BM_Toeplitz_Ipv6Ports(benchmark::State& state, ToeplitzPath path) {
  if (path == ToeplitzPath::kGfni && !nvgre::offload::ToeplitzGfniSupported()) {
    state.SkipWithError("CPU lacks GFNI/AVX-512");
    return;
  }
  const Tuples t = MakeTuples(nvgre::offload::kRssIpv6PortsInputSize);
  const auto hasher = std::make_unique<ToeplitzHasher>(kRssVerificationKey, path);
  std::size_t i = 0;
  for (auto _ : state) {
    const std::span<const std::uint8_t> s = t.spans[i];
    benchmark::DoNotOptimize(hasher->HashIpv6Ports(s.first<16>(), s.subspan<16, 16>(),
                                                   static_cast<std::uint16_t>(s[32] << 8 | s[33]),
                                                   static_cast<std::uint16_t>(s[34] << 8 | s[35])));
    i = (i + 1) % kPool;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Ports, table, ToeplitzPath::kTable);
BENCHMARK_CAPTURE(BM_Toeplitz_Ipv6Ports, gfni, ToeplitzPath::kGfni);

}  // namespace
