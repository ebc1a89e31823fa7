// BM_LayerLookup/N and BM_LayerResolve/N: the datapath's lookups (Policy::Lookup (VSID, MAC) ->
// provider; Policy::Resolve (VSID, IPv4) -> MAC) against a policy whose records come from an
// OVSDB record layer of N records (virt/policy.h RecordLayer, the layer nvgred's OVSDB client
// builds from Ucast_Macs_Remote rows), N = 10, 10k, 100k, 1M. The keys are looked up in a random
// order (a datapath sees flows of many VMs, not one): the cost includes the cache misses of a
// table larger than the caches, which is what "flat from 10 to 1M records" has to survive.
// Also BM_LayerPublish/N: one record changed and a new version published (an OVSDB update).
//
//   build/release/bench/policy_lookup_bench --benchmark_filter=Layer
// bench/ovsdb/run.py prints these next to the initial sync and update latency numbers.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "nvgre/virt/policy.h"

namespace {

using nvgre::virt::IpAddress;
using nvgre::wire::Ipv4Address;
using nvgre::wire::MacAddress;

constexpr std::uint32_t kVsids = 16;  // records spread over 16 VSIDs, 5001..5016
constexpr std::uint32_t kProviders = 1000;

MacAddress MacOf(std::uint32_t i) {
  return MacAddress{0x02, 0x00, static_cast<std::uint8_t>(i >> 24), static_cast<std::uint8_t>(i >> 16),
                    static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
}
Ipv4Address CaOf(std::uint32_t i) {
  return Ipv4Address{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                     static_cast<std::uint8_t>(i)};
}
Ipv4Address PaOf(std::uint32_t i) {
  const std::uint32_t p = i % kProviders;
  return Ipv4Address{192, 0, static_cast<std::uint8_t>(p >> 8), static_cast<std::uint8_t>(p)};
}
std::uint32_t VsidOf(std::uint32_t i) { return 5001 + i % kVsids; }

struct Fixture {
  nvgre::virt::RecordLayerEditor editor;
  std::shared_ptr<const nvgre::virt::Policy> policy;
  std::vector<std::uint32_t> order;  // the records, in a random order
};

std::unique_ptr<Fixture> Make(std::uint32_t n) {
  auto f = std::make_unique<Fixture>();
  for (std::uint32_t v = 0; v < kVsids; ++v) f->editor.SetSubnet(5001 + v, {});
  for (std::uint32_t i = 0; i < n; ++i) {
    f->editor.SetMac(VsidOf(i), MacOf(i), PaOf(i));
    f->editor.SetIp(VsidOf(i), CaOf(i), MacOf(i));
  }
  nvgre::virt::PolicyBuilder b;
  b.SetLayer(f->editor.Publish());
  f->policy = std::move(b).Build();
  f->order.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) f->order[i] = i;
  std::shuffle(f->order.begin(), f->order.end(), std::mt19937(7));
  return f;
}

void BM_LayerLookup(benchmark::State& state) {
  const auto f = Make(static_cast<std::uint32_t>(state.range(0)));
  // The keys, precomputed (a packet carries them; computing them is not the lookup's cost).
  std::vector<std::pair<std::uint32_t, MacAddress>> keys;
  for (const std::uint32_t i : f->order) keys.emplace_back(VsidOf(i), MacOf(i));
  std::size_t k = 0, remote = 0;
  for (auto _ : state) {
    const auto& [vsid, mac] = keys[k];
    const auto d = f->policy->Lookup(vsid, mac);
    remote += d.kind == nvgre::virt::Policy::Kind::kRemote;
    benchmark::DoNotOptimize(d);
    if (++k == keys.size()) k = 0;
  }
  if (remote != static_cast<std::size_t>(state.iterations())) state.SkipWithError("a record was not found");
  state.counters["records"] = static_cast<double>(f->policy->layer()->records());
  state.counters["layer_bytes_per_record"] =
      static_cast<double>(f->policy->layer()->bytes()) / static_cast<double>(f->policy->layer()->records());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_LayerResolve(benchmark::State& state) {
  const auto f = Make(static_cast<std::uint32_t>(state.range(0)));
  std::vector<std::pair<std::uint32_t, IpAddress>> keys;
  for (const std::uint32_t i : f->order) keys.emplace_back(VsidOf(i), IpAddress(CaOf(i)));
  std::size_t k = 0, found = 0;
  for (auto _ : state) {
    const auto& [vsid, ip] = keys[k];
    const auto mac = f->policy->Resolve(vsid, ip);
    found += mac.has_value();
    benchmark::DoNotOptimize(mac);
    if (++k == keys.size()) k = 0;
  }
  if (found != static_cast<std::size_t>(state.iterations())) state.SkipWithError("an address was not found");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// One Ucast_Macs_Remote row changes its locator: edit, publish a version, link it into a policy.
void BM_LayerPublish(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const auto f = Make(n);
  std::uint32_t k = 0;
  for (auto _ : state) {
    const std::uint32_t i = f->order[k];
    f->editor.SetMac(VsidOf(i), MacOf(i), PaOf(i + 1 + k));
    nvgre::virt::PolicyBuilder b;
    b.SetLayer(f->editor.Publish());
    auto p = std::move(b).Build();
    benchmark::DoNotOptimize(p);
    if (++k == n) k = 0;
  }
}

}  // namespace

BENCHMARK(BM_LayerLookup)->Arg(10)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_LayerResolve)->Arg(10)->Arg(10'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_LayerPublish)->Arg(10'000)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
