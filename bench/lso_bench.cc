// BM_Lso_Nvgre_<outer><inner>/N: LSOv2 of an NVGRE super-frame with N bytes of TCP payload
// through the Tx engine (offload/tx_engine.h), every checksum of every segment included (outer
// IPv4 header, inner IPv4 header, TCP). The MSS is what the stack derives from a 1500-byte MTU
// (1418 for outer IPv4 / inner IPv4, 1398 for outer IPv6 / inner IPv4). The super-frame is built
// and prepared (stack_prep) outside the timed loop; each iteration restores the OOB word the
// engine overwrites with the completion value and segments the packet into preallocated storage
// (header copies + payload references, as DPDK GSO's direct + indirect mbufs).
//
// Reported: items/s = super-frames per second, bytes/s = TCP payload bytes per second,
// "segments" = segments per second, "segs" = segments per super-frame.
// BM_Lso_Nvgre_Ipv4Ipv4_Linearized also copies every segment into a contiguous frame.
// BM_TxChecksum_Nvgre_Ipv4Ipv4/N: checksum offload of one N-byte-payload frame.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"

namespace {

using nvgre::offload::TxOob;
using Bytes = std::span<const std::uint8_t>;

void Append(std::vector<std::uint8_t>& f, std::initializer_list<int> bytes) {
  for (int b : bytes) f.push_back(static_cast<std::uint8_t>(b));
}
void Put16(std::vector<std::uint8_t>& f, std::size_t off, std::size_t v) {
  f[off] = static_cast<std::uint8_t>(v >> 8);
  f[off + 1] = static_cast<std::uint8_t>(v);
}

// Outer Ethernet / IPv4 or IPv6 / GRE key (NVGRE) / inner Ethernet / IPv4 / TCP (ACK|PSH) /
// payload. Length fields that do not fit 16 bits are 0; checksums are left for stack_prep.
std::vector<std::uint8_t> NvgreFrame(bool outer_v6, std::size_t payload) {
  std::vector<std::uint8_t> f;
  Append(f, {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2});
  if (outer_v6) {
    Append(f, {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, 47, 64});
    for (int i = 0; i < 32; ++i) f.push_back(static_cast<std::uint8_t>(i));
  } else {
    Append(f, {0x08, 0x00, 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  }
  const std::size_t outer_l3 = 14;
  Append(f, {0x20, 0x00, 0x65, 0x58, 0x12, 0x34, 0x56, 0x01});
  Append(f, {0x52, 0x54, 0, 0, 0, 1, 0x52, 0x54, 0, 0, 0, 2, 0x08, 0x00});
  const std::size_t inner_l3 = f.size();
  Append(f, {0x45, 0, 0, 0, 0x43, 0x21, 0x40, 0, 64, 6, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2});
  Append(f, {0x9c, 0x40, 0x01, 0xbb, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x50, 0x18, 0x70, 0, 0, 0, 0, 0});
  for (std::size_t i = 0; i < payload; ++i) f.push_back(static_cast<std::uint8_t>(i * 131 + 7));
  const std::size_t end = f.size();
  auto len16 = [](std::size_t v) { return v > 0xFFFF ? 0 : v; };
  if (outer_v6) {
    Put16(f, outer_l3 + 4, len16(end - outer_l3 - 40));
  } else {
    Put16(f, outer_l3 + 2, len16(end - outer_l3));
  }
  Put16(f, inner_l3 + 2, len16(end - inner_l3));
  return f;
}

struct Prepared {
  std::vector<std::uint8_t> frame;
  std::vector<std::uint8_t> headers;
  nvgre::offload::PreparedSend send;
  std::vector<Bytes> buffers;
};

bool Prepare(Prepared& p, bool outer_v6, std::size_t payload, nvgre::offload::Segmentation seg) {
  p.frame = NvgreFrame(outer_v6, payload);
  p.headers.assign(nvgre::offload::kTxParseWindow, 0);
  auto r = nvgre::offload::PrepareNvgreSend(p.frame, {.segmentation = seg, .mss = 0, .mtu = 1500},
                                            p.headers);
  if (!r) return false;
  p.send = *r;
  p.buffers = {Bytes(p.headers).first(p.send.header_length),
               Bytes(p.frame).subspan(p.send.header_length)};
  return true;
}

nvgre::offload::TxOffloadConfig BenchConfig() {
  nvgre::offload::TxOffloadConfig c;
  c.lso_v2_ipv4.min_segment_count = 1;
  c.lso_v2_ipv6.min_segment_count = 1;
  c.lso_v2_ipv4.max_offload_size = 1u << 20;
  c.lso_v2_ipv6.max_offload_size = 1u << 20;
  return c;
}

void RunLso(benchmark::State& state, bool outer_v6, bool linearize) {
  const auto payload = static_cast<std::size_t>(state.range(0));
  Prepared p;
  if (!Prepare(p, outer_v6, payload, nvgre::offload::Segmentation::kLsoV2)) {
    state.SkipWithError("stack_prep failed");
    return;
  }
  const nvgre::offload::TxOffloadConfig cfg = BenchConfig();
  std::vector<nvgre::offload::TxSegment> segs(payload / p.send.mss + 2);
  std::vector<std::uint8_t> arena(segs.size() * p.send.header_length);
  std::vector<std::uint8_t> frame(p.send.header_length + p.send.mss);
  nvgre::offload::TxOutput out{segs, arena};
  nvgre::offload::TxStats stats;
  std::size_t segments = 0;
  for (auto _ : state) {
    TxOob oob = p.send.oob;
    nvgre::offload::TxResult r = nvgre::offload::ProcessTxPacket(cfg, p.buffers, oob, out, stats);
    if (!r.ok()) {
      state.SkipWithError("refused");
      break;
    }
    if (linearize) {
      for (const auto& s : r.segments(out)) {
        benchmark::DoNotOptimize(nvgre::offload::LinearizeSegment(s, frame));
      }
    }
    segments += r.segment_count;
    benchmark::DoNotOptimize(out.header_arena.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload));
  state.counters["segments"] = benchmark::Counter(static_cast<double>(segments), benchmark::Counter::kIsRate);
  state.counters["segs"] = state.iterations() ? static_cast<double>(segments) / static_cast<double>(state.iterations()) : 0;
  state.counters["mss"] = p.send.mss;
}

void BM_Lso_Nvgre_Ipv4Ipv4(benchmark::State& state) { RunLso(state, false, false); }
void BM_Lso_Nvgre_Ipv6Ipv4(benchmark::State& state) { RunLso(state, true, false); }
void BM_Lso_Nvgre_Ipv4Ipv4_Linearized(benchmark::State& state) { RunLso(state, false, true); }
BENCHMARK(BM_Lso_Nvgre_Ipv4Ipv4)->Arg(64)->Arg(1418)->Arg(8192)->Arg(64000)->Arg(65536)->Arg(262144);
BENCHMARK(BM_Lso_Nvgre_Ipv6Ipv4)->Arg(64)->Arg(1398)->Arg(8192)->Arg(64000)->Arg(65536)->Arg(262144);
BENCHMARK(BM_Lso_Nvgre_Ipv4Ipv4_Linearized)->Arg(65536);

void BM_TxChecksum_Nvgre_Ipv4Ipv4(benchmark::State& state) {
  const auto payload = static_cast<std::size_t>(state.range(0));
  Prepared p;
  if (!Prepare(p, false, payload, nvgre::offload::Segmentation::kNone)) {
    state.SkipWithError("stack_prep failed");
    return;
  }
  const nvgre::offload::TxOffloadConfig cfg = BenchConfig();
  nvgre::offload::TxSegmentArray<1> storage;
  nvgre::offload::TxOutput out = storage.output();
  nvgre::offload::TxStats stats;
  for (auto _ : state) {
    TxOob oob = p.send.oob;
    benchmark::DoNotOptimize(nvgre::offload::ProcessTxPacket(cfg, p.buffers, oob, out, stats));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * payload));
}
BENCHMARK(BM_TxChecksum_Nvgre_Ipv4Ipv4)->Arg(64)->Arg(1418)->Arg(8918);

}  // namespace
