// Receive engine throughput (offload/rx_engine.h): classify + checksum validation + RSS + VMQ
// per NVGRE frame, as the NIC model does it.
//
//   BM_Rx_Classify/<inner bytes>          wire::ClassifyFrame alone (the parsing floor)
//   BM_Rx_Frame/<inner bytes>             ProcessRxFrame with a config held by the caller
//   BM_Rx_PerPacketSnapshot/<inner bytes> RxEngine::Process: one atomic config snapshot per frame
//   BM_Rx_Burst32/<inner bytes>           RxEngine::ProcessBurst: one snapshot per 32 frames
//   BM_Rx_Burst32_GfniToeplitz/<bytes>    the same with the GFNI Toeplitz where the CPU has it
//                                         (the default RSS state uses the table path)
//
// Frames: outer Ethernet + IPv4 + NVGRE + an inner Ethernet/IPv4/TCP frame of <inner bytes>
// (64 -> 106-byte NVGRE frames), 1024 flows with random inner addresses and ports over 16 VM
// MAC addresses, every checksum correct; the adapter has NVGRE task offload on, RSS over all
// six hash types with a 128-entry table, and 16 VMQ filters (one per VM MAC, GRE flag). Items
// are frames (items_per_second = frames/s), bytes are frame bytes. Inputs are built outside
// the timed loop.
#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "nvgre/offload/adapter.h"
#include "nvgre/offload/rx_engine.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"

namespace {

using namespace nvgre;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kPool = 1024;
constexpr std::size_t kBurst = 32;
constexpr std::size_t kVms = 16;

wire::MacAddress VmMac(std::size_t i) { return {0x00, 0x15, 0x5d, 0x00, 0x01, static_cast<std::uint8_t>(i)}; }

// An NVGRE frame whose inner Ethernet frame is `inner_size` bytes (>= 54: Ethernet + IPv4 + TCP).
Bytes NvgreFrame(std::mt19937& rng, std::size_t inner_size, std::size_t vm) {
  const std::size_t payload = inner_size - 54;
  Bytes f(14 + 20 + 8 + inner_size);
  wire::EthernetRepr oe{{0xaa, 0xbb, 0, 0, 0x20, 0x02}, {0xaa, 0xbb, 0, 0, 0x20, 0x01}, {}, 0, wire::kEtherTypeIpv4};
  oe.Emit(std::span(f).subspan(0, 14));
  wire::Ipv4Repr oip;
  oip.total_length = static_cast<std::uint16_t>(20 + 8 + inner_size);
  oip.dont_fragment = true;
  oip.protocol = wire::kIpProtoGre;
  oip.source = {192, 0, 2, 1};
  oip.destination = {192, 0, 2, 2};
  oip.Emit(std::span(f).subspan(14, 20));
  wire::NvgreRepr{0x5000 + static_cast<std::uint32_t>(vm), 0}.Emit(std::span(f).subspan(34, 8));
  wire::EthernetRepr ie{VmMac(vm), {0x00, 0x15, 0x5d, 0x00, 0x02, 0x01}, {}, 0, wire::kEtherTypeIpv4};
  ie.Emit(std::span(f).subspan(42, 14));
  wire::Ipv4Repr iip;
  iip.total_length = static_cast<std::uint16_t>(inner_size - 14);
  iip.protocol = wire::kIpProtoTcp;
  iip.source = {10, static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng()), static_cast<std::uint8_t>(rng())};
  iip.destination = {10, 0, 0, static_cast<std::uint8_t>(1 + vm)};
  iip.Emit(std::span(f).subspan(56, 20));
  wire::TcpRepr t;
  t.source_port = static_cast<std::uint16_t>(rng());
  t.destination_port = 443;
  t.sequence_number = static_cast<std::uint32_t>(rng());
  t.acknowledgment_number = 1;
  t.flags = 0x10;
  t.window = 512;
  t.Emit(std::span(f).subspan(76, 20));
  for (std::size_t i = 0; i < payload; ++i) f[96 + i] = static_cast<std::uint8_t>(rng());
  const auto seg = std::span<const std::uint8_t>(f).subspan(76);
  const std::uint16_t c = wire::TcpUdpChecksumV4(std::span<const std::uint8_t, 4>(&f[68], 4),
                                                 std::span<const std::uint8_t, 4>(&f[72], 4),
                                                 wire::kIpProtoTcp, seg);
  wire::StoreBe16(std::span<std::uint8_t, 2>(&f[92], 2), c);
  return f;
}

struct Setup {
  std::vector<Bytes> frames;
  std::vector<std::span<const std::uint8_t>> spans;
  std::unique_ptr<offload::Adapter> adapter;
  std::size_t bytes = 0;

  explicit Setup(std::size_t inner_size) {
    std::mt19937 rng(42);
    for (std::size_t i = 0; i < kPool; ++i) frames.push_back(NvgreFrame(rng, inner_size, i % kVms));
    for (const Bytes& f : frames) {
      spans.emplace_back(f);
      bytes += f.size();
    }
    offload::AdapterCapabilities caps = offload::AdapterCapabilities::Default();
    caps.rss_queues = 128;
    adapter = std::make_unique<offload::Adapter>(caps);
    (void)adapter->SetOffloadEncapsulation(offload::OffloadEncapsulation::Ethernet());
    offload::OffloadParameters p;
    p.encapsulated_packet_task_offload = offload::kNdisOffloadSetOn;
    p.encapsulation_types = offload::kNdisEncapsulationTypeGreMac;
    (void)adapter->SetOffloadParameters(p);
    offload::RssParameters rss;
    rss.SetIndirection(128);
    (void)adapter->SetRssParameters(rss);
    for (std::size_t vm = 0; vm < kVms; ++vm) {
      offload::ReceiveFilter f;
      f.filter_id = static_cast<std::uint32_t>(vm + 1);
      f.queue_id = static_cast<std::uint16_t>(vm % 16);
      f.flags = offload::kReceiveFilterPacketEncapsulationGre;
      (void)f.AddField(offload::ReceiveFilterField::MacEquals(VmMac(vm)));
      (void)adapter->SetReceiveFilter(f);
    }
  }
};

void Report(benchmark::State& state, std::size_t frames, std::size_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(frames));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_Rx_Classify(benchmark::State& state) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  std::size_t n = 0;
  for (auto _ : state) {
    for (const auto& f : s.spans) benchmark::DoNotOptimize(wire::ClassifyFrame(f));
    n += s.spans.size();
  }
  Report(state, n, n / kPool * s.bytes);
}

void BM_Rx_Frame(benchmark::State& state) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  const auto config = s.adapter->Snapshot();
  std::size_t n = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    for (const auto& f : s.spans) {
      const offload::RxResult r = offload::ProcessRxFrame(*config, f);
      sink += r.rss.queue + r.vmq.queue + r.checksum.raw();
    }
    n += s.spans.size();
  }
  benchmark::DoNotOptimize(sink);
  Report(state, n, n / kPool * s.bytes);
}

void BM_Rx_PerPacketSnapshot(benchmark::State& state) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  offload::RxEngine rx(*s.adapter);
  std::size_t n = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    for (const auto& f : s.spans) sink += rx.Process(f).rss.queue;
    n += s.spans.size();
  }
  benchmark::DoNotOptimize(sink);
  Report(state, n, n / kPool * s.bytes);
}

void Burst(benchmark::State& state, offload::ToeplitzPath path) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  // The adapter's config with its RSS state rebuilt for `path` (same key, types and table).
  std::shared_ptr<const offload::AdapterConfig> config = s.adapter->Snapshot();
  auto custom = std::make_shared<offload::AdapterConfig>(*config);
  custom->rss = std::make_shared<const offload::RssState>(config->rss->parameters(), path);
  std::array<offload::RxResult, kBurst> out;
  std::size_t n = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < s.spans.size(); i += kBurst) {
      const std::shared_ptr<const offload::AdapterConfig> c = custom;  // one snapshot per burst
      for (std::size_t k = 0; k < kBurst; ++k) out[k] = offload::ProcessRxFrame(*c, s.spans[i + k]);
      sink += out[0].rss.queue + out[kBurst - 1].vmq.queue;
    }
    n += s.spans.size();
  }
  benchmark::DoNotOptimize(sink);
  state.SetLabel(custom->rss->hasher().path() == offload::ToeplitzPath::kGfni ? "gfni" : "table");
  Report(state, n, n / kPool * s.bytes);
}

void BM_Rx_Burst32(benchmark::State& state) {
  Setup s(static_cast<std::size_t>(state.range(0)));
  offload::RxEngine rx(*s.adapter);
  std::array<offload::RxResult, kBurst> out;
  std::size_t n = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < s.spans.size(); i += kBurst) {
      rx.ProcessBurst(std::span(s.spans).subspan(i, kBurst), out);
      sink += out[0].rss.queue + out[kBurst - 1].vmq.queue;
    }
    n += s.spans.size();
  }
  benchmark::DoNotOptimize(sink);
  Report(state, n, n / kPool * s.bytes);
}

void BM_Rx_Burst32_GfniToeplitz(benchmark::State& state) { Burst(state, offload::ToeplitzPath::kGfni); }

// Stage breakdown on 64-byte inner frames: the same ProcessRxFrame with stages switched off in
// the config (0: classify only, 1: + checksums, 2: + RSS, 3: + VMQ = everything).
void BM_Rx_Stages(benchmark::State& state) {
  Setup s(64);
  const auto full = s.adapter->Snapshot();
  auto c = std::make_shared<offload::AdapterConfig>(*full);
  const int stages = static_cast<int>(state.range(0));
  c->offload_encapsulation_ipv4 = c->offload_encapsulation_ipv6 = stages >= 1;
  if (stages < 2) c->rss = nullptr;
  c->vmq_enabled = stages >= 3;
  std::size_t n = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    for (const auto& f : s.spans) sink += offload::ProcessRxFrame(*c, f).checksum.raw();
    n += s.spans.size();
  }
  benchmark::DoNotOptimize(sink);
  static constexpr const char* kLabels[] = {"classify", "+checksum", "+rss", "+vmq"};
  state.SetLabel(kLabels[stages]);
  Report(state, n, n / kPool * s.bytes);
}
BENCHMARK(BM_Rx_Stages)->DenseRange(0, 3);

void Sizes(benchmark::internal::Benchmark* b) {
  for (int size : {64, 128, 256, 512, 1024, 1500}) b->Arg(size);
}

BENCHMARK(BM_Rx_Classify)->Apply(Sizes);
BENCHMARK(BM_Rx_Frame)->Apply(Sizes);
BENCHMARK(BM_Rx_PerPacketSnapshot)->Arg(64);
BENCHMARK(BM_Rx_Burst32)->Apply(Sizes);
BENCHMARK(BM_Rx_Burst32_GfniToeplitz)->Arg(64);

}  // namespace
