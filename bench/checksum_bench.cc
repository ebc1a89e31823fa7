// BM_OnesSum_<Kernel>/N: the RFC 1071 sum over N bytes (20 = an IPv4 header, 64, 1500, 9000,
// 64 KiB), per kernel: OnesSum (run-time selected, what callers get), Scalar, Avx2, Avx512, and
// the Reference loop. Bytes per second. The buffer starts on a 64-byte boundary plus `offset`
// (the _Offset benchmarks: 1 = odd start, 14 = an IPv4 header behind an Ethernet header).
// A kernel this CPU cannot run is skipped with an error.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <span>

#include "nvgre/wire/checksum.h"

namespace {

using nvgre::wire::OnesSumPath;

constexpr std::size_t kAlign = 64;

// 64-byte aligned random bytes with `offset` bytes of slack in front.
struct Buffer {
  std::unique_ptr<std::uint8_t[]> storage;
  std::span<const std::uint8_t> data;
};
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

using SumFn = std::uint16_t (*)(std::span<const std::uint8_t>, std::uint16_t);

// kFn is a template argument so the timed loop calls it directly, as callers do.
template <SumFn kFn>
void RunSum(benchmark::State& state, std::size_t offset) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Buffer b = RandomBuffer(n, offset);
  if (kFn(b.data, 0) != nvgre::wire::OnesSumReference(b.data)) {
    state.SkipWithError("sum differs from OnesSumReference");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(kFn(b.data, 0));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

void BM_OnesSum(benchmark::State& state) { RunSum<&nvgre::wire::OnesSum>(state, 0); }
void BM_OnesSum_Reference(benchmark::State& state) {
  RunSum<&nvgre::wire::OnesSumReference>(state, 0);
}
void BM_OnesSum_Scalar(benchmark::State& state) { RunSum<&nvgre::wire::OnesSumScalar>(state, 0); }
void BM_OnesSum_Avx2(benchmark::State& state) {
  if (!nvgre::wire::OnesSumPathSupported(OnesSumPath::kAvx2)) {
    state.SkipWithError("CPU lacks AVX2");
    return;
  }
  RunSum<&nvgre::wire::OnesSumAvx2>(state, 0);
}
void BM_OnesSum_Avx512(benchmark::State& state) {
  if (!nvgre::wire::OnesSumPathSupported(OnesSumPath::kAvx512)) {
    state.SkipWithError("CPU lacks AVX-512 F/BW/VL/VNNI or BMI2");
    return;
  }
  RunSum<&nvgre::wire::OnesSumAvx512>(state, 0);
}
void BM_OnesSum_Offset(benchmark::State& state) {
  RunSum<&nvgre::wire::OnesSum>(state, static_cast<std::size_t>(state.range(1)));
}

void Sizes(benchmark::internal::Benchmark* b) {
  for (const std::int64_t n : {20, 64, 1500, 9000, 65536}) b->Arg(n);
}
void SizesAndOffsets(benchmark::internal::Benchmark* b) {
  for (const std::int64_t offset : {1, 14}) {
    for (const std::int64_t n : {20, 64, 1500, 9000, 65536}) b->Args({n, offset});
  }
}

BENCHMARK(BM_OnesSum)->Apply(Sizes);
BENCHMARK(BM_OnesSum_Scalar)->Apply(Sizes);
BENCHMARK(BM_OnesSum_Avx2)->Apply(Sizes);
BENCHMARK(BM_OnesSum_Avx512)->Apply(Sizes);
BENCHMARK(BM_OnesSum_Reference)->Apply(Sizes);
BENCHMARK(BM_OnesSum_Offset)->Apply(SizesAndOffsets);

}  // namespace
