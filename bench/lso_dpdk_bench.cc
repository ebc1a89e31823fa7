// LSOv2 of an outer IPv4 / GRE (NVGRE) / inner IPv4 / TCP super-frame (64000 bytes of payload,
// MSS 1418: 46 segments) through our Tx engine, side by side with DPDK 22.11's software GSO
// (Debian dpdk-dev, librte_gso) on the same bytes:
//   BM_Ours_Lso_Ipv4Ipv4         our engine, every checksum of every segment (outer IPv4,
//                                inner IPv4, TCP), segments = header copy + payload references
//   BM_DpdkGso_Ipv4Ipv4          rte_gso_segment (GRE tunnel TSO), which computes no checksum;
//                                output direct + indirect mbufs freed each iteration
//   BM_DpdkGsoCsum_Ipv4Ipv4      rte_gso_segment, then per segment the checksums with DPDK's
//                                helpers: rte_ipv4_cksum (outer and inner IPv4 headers) and
//                                rte_ipv4_udptcp_cksum_mbuf (TCP over the two-mbuf segment;
//                                rte_ipv4_udptcp_cksum needs contiguous data, which a GSO
//                                segment is not)
// Before timing, the DPDK+checksum segments are checked to be byte-identical to ours (same
// IDs, sequence numbers, flags, lengths and checksums), so the three do the same work.
// At the end the program prints the ratios the issue asks for.
//
// EAL: rte_eal_init with --no-huge --no-pci -m 512 --no-shconf --no-telemetry -l 0
// --file-prefix=nvgrebench (needs root; --in-memory is refused together with --no-huge).
// Compiled with -march=native (bench/CMakeLists.txt), as a DPDK application would be; ours keeps
// the same flags here.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-qual"
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_tcp.h>
#pragma GCC diagnostic pop

namespace {

using Bytes = std::span<const std::uint8_t>;
using nvgre::offload::TxOob;

constexpr std::size_t kPayload = 64000;
constexpr std::uint32_t kMtu = 1500;
// Offsets: outer Ethernet 14, outer IPv4 20, GRE 8, inner Ethernet 14, inner IPv4 20, TCP 20.
constexpr std::size_t kOuterIp = 14, kInnerIp = 56, kTcp = 76, kHeaders = 96;

void Append(std::vector<std::uint8_t>& f, std::initializer_list<int> bytes) {
  for (int b : bytes) f.push_back(static_cast<std::uint8_t>(b));
}
void Put16(std::vector<std::uint8_t>& f, std::size_t off, std::size_t v) {
  f[off] = static_cast<std::uint8_t>(v >> 8);
  f[off + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t Get16(Bytes f, std::size_t off) {
  return static_cast<std::uint16_t>(f[off] << 8 | f[off + 1]);
}

// The ordinary super-frame (what DPDK GSO takes: its checksums are not looked at).
std::vector<std::uint8_t> SuperFrame() {
  std::vector<std::uint8_t> f;
  Append(f, {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00});
  Append(f, {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 47, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  Append(f, {0x20, 0x00, 0x65, 0x58, 0x12, 0x34, 0x56, 0x01});
  Append(f, {0x52, 0x54, 0, 0, 0, 1, 0x52, 0x54, 0, 0, 0, 2, 0x08, 0x00});
  Append(f, {0x45, 0, 0, 0, 0x43, 0x21, 0x40, 0, 64, 6, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2});
  Append(f, {0x9c, 0x40, 0x01, 0xbb, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x50, 0x18, 0x70, 0, 0, 0, 0, 0});
  for (std::size_t i = 0; i < kPayload; ++i) f.push_back(static_cast<std::uint8_t>(i * 131 + 7));
  Put16(f, kOuterIp + 2, f.size() - kOuterIp);
  Put16(f, kInnerIp + 2, f.size() - kInnerIp);
  return f;
}

// ---- DPDK state (one EAL per process) -----------------------------------------------------
struct Dpdk {
  bool up = false;
  rte_mempool* direct = nullptr;
  rte_mempool* indirect = nullptr;
  rte_mempool* input_pool = nullptr;
  rte_mbuf* input = nullptr;
  rte_gso_ctx ctx{};
  std::string error;
};
Dpdk& dpdk() {
  static Dpdk d;
  return d;
}

bool InitDpdk(std::uint32_t mss, const std::vector<std::uint8_t>& frame) {
  Dpdk& d = dpdk();
  const char* args[] = {"nvgre_lso_dpdk_bench", "--no-huge", "--no-pci", "-m", "512",
                        "--no-shconf", "--no-telemetry", "-l", "0",
                        "--file-prefix=nvgrebench", "--log-level=error"};
  int argc = static_cast<int>(sizeof args / sizeof args[0]);
  if (rte_eal_init(argc, const_cast<char**>(args)) < 0) {
    d.error = "rte_eal_init failed (root? --no-huge?)";
    return false;
  }
  d.direct = rte_pktmbuf_pool_create("gso_direct", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  d.indirect = rte_pktmbuf_pool_create("gso_indirect", 8191, 256, 0, 0, SOCKET_ID_ANY);
  d.input_pool = rte_pktmbuf_pool_create("gso_input", 15, 0, 0, 65535, SOCKET_ID_ANY);
  if (!d.direct || !d.indirect || !d.input_pool) {
    d.error = "rte_pktmbuf_pool_create failed";
    return false;
  }
  d.input = rte_pktmbuf_alloc(d.input_pool);
  if (!d.input || frame.size() > rte_pktmbuf_tailroom(d.input)) {
    d.error = "input mbuf";
    return false;
  }
  char* p = rte_pktmbuf_append(d.input, static_cast<std::uint16_t>(frame.size()));
  std::memcpy(p, frame.data(), frame.size());
  d.input->outer_l2_len = 14;
  d.input->outer_l3_len = 20;
  d.input->l2_len = 8 + 14;  // GRE + inner Ethernet (DPDK's tunnel convention)
  d.input->l3_len = 20;
  d.input->l4_len = 20;
  d.ctx.direct_pool = d.direct;
  d.ctx.indirect_pool = d.indirect;
  d.ctx.flag = 0;  // incremental IP IDs
  d.ctx.gso_types = RTE_ETH_TX_OFFLOAD_GRE_TNL_TSO | RTE_ETH_TX_OFFLOAD_TCP_TSO;
  d.ctx.gso_size = static_cast<std::uint16_t>(kHeaders + mss);
  d.up = true;
  return true;
}

constexpr std::uint64_t kInputFlags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 |
                                      RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_TUNNEL_GRE;

// rte_gso_segment clears TX_TCP_SEG on the input: set it again for every call.
int DpdkSegment(rte_mbuf** out, std::uint16_t n) {
  Dpdk& d = dpdk();
  d.input->ol_flags = kInputFlags;
  return rte_gso_segment(d.input, &d.ctx, out, n);
}

void DpdkChecksums(rte_mbuf* seg) {
  auto* outer = rte_pktmbuf_mtod_offset(seg, rte_ipv4_hdr*, kOuterIp);
  auto* inner = rte_pktmbuf_mtod_offset(seg, rte_ipv4_hdr*, kInnerIp);
  auto* tcp = rte_pktmbuf_mtod_offset(seg, rte_tcp_hdr*, kTcp);
  outer->hdr_checksum = 0;
  outer->hdr_checksum = rte_ipv4_cksum(outer);
  inner->hdr_checksum = 0;
  inner->hdr_checksum = rte_ipv4_cksum(inner);
  tcp->cksum = 0;
  tcp->cksum = rte_ipv4_udptcp_cksum_mbuf(seg, inner, static_cast<std::uint16_t>(kTcp));
}

std::vector<std::uint8_t> Flatten(const rte_mbuf* m) {
  std::vector<std::uint8_t> f(rte_pktmbuf_pkt_len(m));
  rte_pktmbuf_read(m, 0, f.size(), f.data());
  return f;
}

// ---- Ours ---------------------------------------------------------------------------------
struct Ours {
  std::vector<std::uint8_t> frame;
  std::vector<std::uint8_t> headers;
  nvgre::offload::PreparedSend send;
  std::vector<Bytes> buffers;
  nvgre::offload::TxOffloadConfig cfg;
  std::vector<nvgre::offload::TxSegment> segs;
  std::vector<std::uint8_t> arena;
};
Ours& ours() {
  static Ours o;
  return o;
}

bool InitOurs(const std::vector<std::uint8_t>& frame) {
  Ours& o = ours();
  o.frame = frame;
  o.headers.assign(nvgre::offload::kTxParseWindow, 0);
  auto r = nvgre::offload::PrepareNvgreSend(
      o.frame, {.segmentation = nvgre::offload::Segmentation::kLsoV2, .mtu = kMtu}, o.headers);
  if (!r) return false;
  o.send = *r;
  o.buffers = {Bytes(o.headers).first(o.send.header_length), Bytes(o.frame).subspan(o.send.header_length)};
  o.segs.resize(kPayload / o.send.mss + 2);
  o.arena.resize(o.segs.size() * o.send.header_length);
  return true;
}

nvgre::offload::TxResult OursSegment(nvgre::offload::TxStats& stats) {
  Ours& o = ours();
  TxOob oob = o.send.oob;
  return nvgre::offload::ProcessTxPacket(o.cfg, o.buffers, oob, {o.segs, o.arena}, stats);
}

// DPDK GSO + DPDK checksums must give exactly our bytes (else the comparison is meaningless).
std::string CrossCheck() {
  nvgre::offload::TxStats stats;
  nvgre::offload::TxResult r = OursSegment(stats);
  if (!r.ok()) return std::string("our engine refused: ") + std::string(ToString(r.refusal));
  rte_mbuf* out[128];
  const int n = DpdkSegment(out, 128);
  if (n <= 0) return "rte_gso_segment returned " + std::to_string(n);
  std::string err;
  if (static_cast<std::size_t>(n) != r.segment_count) {
    err = "segment counts differ: ours " + std::to_string(r.segment_count) + ", DPDK " + std::to_string(n);
  }
  for (int i = 0; i < n && err.empty(); ++i) {
    DpdkChecksums(out[i]);
    const std::vector<std::uint8_t> theirs = Flatten(out[i]);
    std::vector<std::uint8_t> mine(r.segments({ours().segs, ours().arena})[static_cast<std::size_t>(i)].size());
    nvgre::offload::LinearizeSegment(r.segments({ours().segs, ours().arena})[static_cast<std::size_t>(i)], mine);
    if (theirs != mine) {
      std::size_t at = 0;
      while (at < mine.size() && at < theirs.size() && mine[at] == theirs[at]) ++at;
      err = "segment " + std::to_string(i) + " differs at byte " + std::to_string(at);
    }
  }
  for (int i = 0; i < n; ++i) rte_pktmbuf_free(out[i]);
  return err;
}

// ---- Benchmarks -------------------------------------------------------------------------------
void Finish(benchmark::State& state, std::size_t segments) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPayload));
  state.counters["segments"] = benchmark::Counter(static_cast<double>(segments), benchmark::Counter::kIsRate);
}

void BM_Ours_Lso_Ipv4Ipv4(benchmark::State& state) {
  nvgre::offload::TxStats stats;
  std::size_t segments = 0;
  for (auto _ : state) {
    nvgre::offload::TxResult r = OursSegment(stats);
    segments += r.segment_count;
    benchmark::DoNotOptimize(ours().arena.data());
    benchmark::ClobberMemory();
  }
  Finish(state, segments);
}

void RunDpdk(benchmark::State& state, bool checksums) {
  if (!dpdk().up) {
    state.SkipWithError(dpdk().error.c_str());
    return;
  }
  rte_mbuf* out[128];
  std::size_t segments = 0;
  for (auto _ : state) {
    const int n = DpdkSegment(out, 128);
    if (n <= 0) {
      state.SkipWithError("rte_gso_segment failed");
      break;
    }
    if (checksums) {
      for (int i = 0; i < n; ++i) DpdkChecksums(out[i]);
    }
    benchmark::ClobberMemory();
    rte_pktmbuf_free_bulk(out, static_cast<unsigned>(n));
    segments += static_cast<std::size_t>(n);
  }
  Finish(state, segments);
}
void BM_DpdkGso_Ipv4Ipv4(benchmark::State& state) { RunDpdk(state, false); }
void BM_DpdkGsoCsum_Ipv4Ipv4(benchmark::State& state) { RunDpdk(state, true); }

BENCHMARK(BM_Ours_Lso_Ipv4Ipv4)->Arg(kPayload);
BENCHMARK(BM_DpdkGso_Ipv4Ipv4)->Arg(kPayload);
BENCHMARK(BM_DpdkGsoCsum_Ipv4Ipv4)->Arg(kPayload);

// Keeps the console output and remembers bytes/s per benchmark for the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred || r.run_type != Run::RT_Iteration) continue;
      auto it = r.counters.find("bytes_per_second");
      if (it != r.counters.end()) rates_[r.run_name.function_name].push_back(it->second.value);
    }
  }
  // Median over the repetitions (--benchmark_repetitions), 0 when the benchmark did not run.
  double Rate(const std::string& name) const {
    auto it = rates_.find(name);
    if (it == rates_.end() || it->second.empty()) return 0;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }

 private:
  std::map<std::string, std::vector<double>> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::uint8_t> frame = SuperFrame();
  if (!InitOurs(frame)) {
    std::fprintf(stderr, "stack_prep failed\n");
    return 1;
  }
  if (InitDpdk(ours().send.mss, frame)) {
    const std::string err = CrossCheck();
    if (!err.empty()) {
      std::fprintf(stderr, "DPDK GSO + checksums differ from ours: %s\n", err.c_str());
      return 1;
    }
    std::printf("cross-check: DPDK GSO + DPDK checksums == our segments, byte for byte (%zu segments, MSS %u)\n",
                kPayload / ours().send.mss + 1, ours().send.mss);
  } else {
    std::fprintf(stderr, "DPDK unavailable: %s (the DPDK benchmarks will be skipped)\n", dpdk().error.c_str());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const double ours_rate = reporter.Rate("BM_Ours_Lso_Ipv4Ipv4");
  const double gso = reporter.Rate("BM_DpdkGso_Ipv4Ipv4");
  const double gso_csum = reporter.Rate("BM_DpdkGsoCsum_Ipv4Ipv4");
  if (ours_rate > 0 && gso > 0 && gso_csum > 0) {
    std::printf("\npayload 10^9 B/s (Google Benchmark G/s above are 2^30): ours (all checksums) %.1f | DPDK GSO (no checksums) %.1f | DPDK GSO + checksums %.1f\n",
                ours_rate / 1e9, gso / 1e9, gso_csum / 1e9);
    std::printf("ratio ours / DPDK GSO without checksums: %.2fx (goal >= 1.0x)\n", ours_rate / gso);
    std::printf("ratio ours / DPDK GSO + checksums:       %.2fx (goal >= 2.0x)\n", ours_rate / gso_csum);
  }
  benchmark::Shutdown();
  if (dpdk().up) rte_eal_cleanup();
  return 0;
}
