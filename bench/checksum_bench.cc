// BM_OnesSum/N: RFC 1071 sum over N bytes, fast vs reference, 64 B .. 64 KiB.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "nvgre/wire/checksum.h"

namespace {

std::vector<std::uint8_t> RandomBytes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::mt19937 rng(42);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

void BM_OnesSum(benchmark::State& state) {
  auto data = RandomBytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(nvgre::wire::OnesSum(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_OnesSum)->RangeMultiplier(4)->Range(64, 64 << 10);

void BM_OnesSumReference(benchmark::State& state) {
  auto data = RandomBytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(nvgre::wire::OnesSumReference(data));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_OnesSumReference)->RangeMultiplier(4)->Range(64, 64 << 10);

}  // namespace
