// NVGRE encapsulation / decapsulation per-packet cost (proposed bench/encap_bench.cc).
#include <benchmark/benchmark.h>

#include <vector>

#include "nvgre/virt/decap.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/flow_hash.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"

namespace {
using namespace nvgre;

std::vector<std::uint8_t> InnerTcpFrame(std::size_t frame_size) {
  std::vector<std::uint8_t> f(frame_size, 0x5a);
  wire::EthernetRepr eth;
  eth.source = {2, 0, 0, 0, 0, 1};
  eth.destination = {2, 0, 0, 0, 0, 2};
  eth.ether_type = wire::kEtherTypeIpv4;
  eth.Emit(f);
  wire::Ipv4Repr ip;
  ip.protocol = wire::kIpProtoTcp;
  ip.total_length = static_cast<std::uint16_t>(frame_size - 14);
  ip.source = {10, 0, 0, 1};
  ip.destination = {10, 0, 0, 2};
  ip.Emit(std::span(f).subspan(14));
  wire::TcpRepr tcp;
  tcp.source_port = 40000, tcp.destination_port = 443, tcp.flags = wire::kTcpFlagAck;
  tcp.Emit(std::span(f).subspan(34));
  return f;
}

virt::EncapConfig Config(bool v6, bool hash) {
  virt::EncapConfig c;
  c.outer_source_mac = {2, 0, 0, 0, 0, 0x10};
  c.outer_destination_mac = {2, 0, 0, 0, 0, 0x20};
  if (v6) {
    c.outer_ip = virt::OuterIpv6{{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                 {0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
  } else {
    c.outer_ip = virt::OuterIpv4{{192, 0, 2, 1}, {192, 0, 2, 2}};
  }
  c.vsid = 0x123456;
  c.flow_id = hash ? virt::kFlowIdFromHash : 7;
  c.ipv6_flow_label_from_hash = hash;
  return c;
}

void BM_Encap_Copy(benchmark::State& state, bool v6, bool hash) {
  const auto inner = InnerTcpFrame(static_cast<std::size_t>(state.range(0)));
  const auto c = Config(v6, hash);
  std::vector<std::uint8_t> out(inner.size() + virt::kMaxOuterHeaderLength);
  std::uint16_t id = 0;
  for (auto _ : state) {
    auto r = virt::Encapsulate(inner, c, out, id);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(inner.size()));
}
BENCHMARK_CAPTURE(BM_Encap_Copy, Ipv4Fixed, false, false)->Arg(64)->Arg(1514)->Arg(9014);
BENCHMARK_CAPTURE(BM_Encap_Copy, Ipv4Hash, false, true)->Arg(64)->Arg(1514)->Arg(9014);
BENCHMARK_CAPTURE(BM_Encap_Copy, Ipv6Hash, true, true)->Arg(64)->Arg(1514)->Arg(9014);

void BM_Encap_InPlace(benchmark::State& state, bool v6, bool hash) {
  const auto inner = InnerTcpFrame(static_cast<std::size_t>(state.range(0)));
  const auto c = Config(v6, hash);
  virt::PacketBuffer p(inner.size());
  std::uint16_t id = 0;
  (void)p.Assign(inner);
  for (auto _ : state) {
    auto r = virt::EncapsulateInPlace(p, c, id);
    benchmark::DoNotOptimize(r);
    p.Pull(r->outer_header_length);  // back to the inner frame, no copy
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(inner.size()));
}
BENCHMARK_CAPTURE(BM_Encap_InPlace, Ipv4Hash, false, true)->Arg(64)->Arg(1514)->Arg(9014);

void BM_Decap(benchmark::State& state) {
  const auto inner = InnerTcpFrame(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out(inner.size() + virt::kMaxOuterHeaderLength);
  std::uint16_t id = 0;
  auto r = virt::Encapsulate(inner, Config(false, true), out, id);
  out.resize(r->frame_length);
  for (auto _ : state) {
    auto d = virt::Decapsulate(out);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}
BENCHMARK(BM_Decap)->Arg(64)->Arg(1514)->Arg(9014);

void BM_InnerFlowHash(benchmark::State& state) {
  const auto inner = InnerTcpFrame(64);
  for (auto _ : state) benchmark::DoNotOptimize(virt::InnerFlowHash(inner));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InnerFlowHash);
}  // namespace
