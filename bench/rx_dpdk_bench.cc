// The receive pipeline (classify + checksum validation + RSS + VMQ) of offload/rx_engine.h side
// by side with the same work done with DPDK 22.11's building blocks, on the same frames in the
// same mbufs:
//
//   BM_RxPipeline/<inner bytes>/nvgre   RxEngine::ProcessBurst (one config snapshot per burst of
//                                       32): ClassifyFrame, outer + inner IPv4 header and inner
//                                       TCP checksums, inner 4-tuple Toeplitz (run-time selected
//                                       path), 128-entry indirection table, 16 VMQ filters on
//                                       the inner destination MAC (GRE flag), NDIS OOB results.
//   BM_RxPipeline/<inner bytes>/dpdk    per mbuf: rte_net_get_ptype(RTE_PTYPE_ALL_MASK) (outer
//                                       L2/L3, GRE/NVGRE tunnel, inner L2/L3/L4), rte_raw_cksum
//                                       of the outer and inner IPv4 headers,
//                                       rte_ipv4_udptcp_cksum_verify of the inner TCP,
//                                       rte_thash_gfni over the inner 4-tuple, a 128-entry
//                                       indirection table, a 16-entry MAC table on the inner
//                                       destination MAC; results into ol_flags / hash.rss.
//   BM_RxPipeline/<inner bytes>/dpdk_prefetch   the same with the data of the mbuf two ahead
//                                       prefetched (rte_prefetch0), as the nvgre engine does.
//
// Both see 1024 NVGRE frames (64-byte inner frames = 106-byte NVGRE frames by default; a sweep
// up to 1500) with random inner flows over 16 VM MACs, every checksum correct, held in mbufs of
// one mempool (EAL: --no-huge --no-pci -m 512 --no-shconf --no-telemetry -l 0
// --file-prefix=nvgrerx; run as root). Before timing, the two pipelines are checked to agree on
// every frame (checksum verdicts, hash, RSS queue, VMQ queue); a disagreement skips the
// benchmark with an error. items_per_second = frames/s.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
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

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_net.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_thash.h>
#pragma GCC diagnostic pop

namespace {

using namespace nvgre;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kPool = 1024;
constexpr std::size_t kBurst = 32;
constexpr std::size_t kVms = 16;
constexpr std::size_t kReta = 128;

wire::MacAddress VmMac(std::size_t i) { return {0x00, 0x15, 0x5d, 0x00, 0x01, static_cast<std::uint8_t>(i)}; }

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

rte_mempool* Pool() {
  static rte_mempool* pool = [] () -> rte_mempool* {
    const char* args[] = {"rx_dpdk_bench", "--no-huge", "--no-pci", "-m", "512", "--no-shconf",
                          "--no-telemetry", "-l", "0", "--file-prefix=nvgrerx", "--log-level=error"};
    std::vector<char*> argv;
    for (const char* a : args) argv.push_back(const_cast<char*>(a));
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) return nullptr;
    return rte_pktmbuf_pool_create("nvgrerx", 2 * kPool, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  }();
  return pool;
}

// What one frame came out as, for the agreement check.
struct Verdict {
  bool outer_ip_ok = false, inner_ip_ok = false, l4_ok = false;
  std::uint32_t hash = 0;
  std::uint16_t rss_queue = 0, vmq_queue = 0;
  friend bool operator==(const Verdict&, const Verdict&) = default;
};

struct Setup {
  std::vector<rte_mbuf*> mbufs;
  std::vector<std::span<const std::uint8_t>> spans;
  std::unique_ptr<offload::Adapter> adapter;
  // DPDK side.
  std::array<std::uint64_t, 64> matrices{};  // rte_thash_complete_matrix for the 40-byte key
  std::array<std::uint16_t, kReta> reta{};
  std::array<rte_ether_addr, kVms> macs{};
  std::array<std::uint16_t, kVms> mac_queue{};
  std::size_t bytes = 0;
  bool ok = false;

  explicit Setup(std::size_t inner_size) {
    rte_mempool* pool = Pool();
    if (pool == nullptr) return;
    std::mt19937 rng(42);
    for (std::size_t i = 0; i < kPool; ++i) {
      const Bytes f = NvgreFrame(rng, inner_size, i % kVms);
      rte_mbuf* m = rte_pktmbuf_alloc(pool);
      if (m == nullptr) return;
      char* data = rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size()));
      std::memcpy(data, f.data(), f.size());
      mbufs.push_back(m);
      spans.emplace_back(rte_pktmbuf_mtod(m, const std::uint8_t*), f.size());
      bytes += f.size();
    }
    offload::AdapterCapabilities caps = offload::AdapterCapabilities::Default();
    caps.rss_queues = kReta;
    adapter = std::make_unique<offload::Adapter>(caps);
    (void)adapter->SetOffloadEncapsulation(offload::OffloadEncapsulation::Ethernet());
    offload::OffloadParameters p;
    p.encapsulated_packet_task_offload = offload::kNdisOffloadSetOn;
    p.encapsulation_types = offload::kNdisEncapsulationTypeGreMac;
    (void)adapter->SetOffloadParameters(p);
    offload::RssParameters rss;
    rss.SetIndirection(kReta);
    (void)adapter->SetRssParameters(rss);
    for (std::size_t vm = 0; vm < kVms; ++vm) {
      offload::ReceiveFilter flt;
      flt.filter_id = static_cast<std::uint32_t>(vm + 1);
      flt.queue_id = static_cast<std::uint16_t>(vm);
      flt.flags = offload::kReceiveFilterPacketEncapsulationGre;
      (void)flt.AddField(offload::ReceiveFilterField::MacEquals(VmMac(vm)));
      (void)adapter->SetReceiveFilter(flt);
      const auto mac = VmMac(vm);
      std::memcpy(macs[vm].addr_bytes, mac.data(), 6);
      mac_queue[vm] = static_cast<std::uint16_t>(vm);
    }
    for (std::size_t i = 0; i < kReta; ++i) reta[i] = static_cast<std::uint16_t>(i);
    rte_thash_complete_matrix(matrices.data(), offload::kRssVerificationKey.data(), offload::kRssKeySize);
    ok = true;
  }
  ~Setup() {
    for (rte_mbuf* m : mbufs) rte_pktmbuf_free(m);
  }
};

// The DPDK pipeline on one mbuf.
inline Verdict DpdkRx(const Setup& s, rte_mbuf* m) {
  Verdict v;
  rte_net_hdr_lens hl{};
  const std::uint32_t ptype = rte_net_get_ptype(m, &hl, RTE_PTYPE_ALL_MASK);
  m->packet_type = ptype;
  std::uint64_t flags = 0;
  if (RTE_ETH_IS_IPV4_HDR(ptype)) {
    const auto* oip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, hl.l2_len);
    v.outer_ip_ok = rte_raw_cksum(oip, hl.l3_len) == 0xffff;
    flags |= v.outer_ip_ok ? 0 : RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD;  // DPDK has only the BAD flag
  }
  const std::uint32_t inner_off = hl.l2_len + hl.l3_len + hl.tunnel_len;
  const rte_ipv4_hdr* iip = nullptr;
  if ((ptype & RTE_PTYPE_TUNNEL_MASK) != 0 && (ptype & RTE_PTYPE_INNER_L3_MASK) != 0 &&
      RTE_ETH_IS_IPV4_HDR(ptype >> 16)) {
    iip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, inner_off + hl.inner_l2_len);
    v.inner_ip_ok = rte_raw_cksum(iip, hl.inner_l3_len) == 0xffff;
    flags |= v.inner_ip_ok ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : RTE_MBUF_F_RX_IP_CKSUM_BAD;
  }
  std::array<std::uint8_t, 12> tuple;
  int len = 0;
  const std::uint32_t l4 = ptype & RTE_PTYPE_INNER_L4_MASK;
  if (iip != nullptr && (l4 == RTE_PTYPE_INNER_L4_TCP || l4 == RTE_PTYPE_INNER_L4_UDP)) {
    const auto* th = rte_pktmbuf_mtod_offset(m, const std::uint8_t*, inner_off + hl.inner_l2_len + hl.inner_l3_len);
    v.l4_ok = rte_ipv4_udptcp_cksum_verify(iip, th) == 0;
    flags |= v.l4_ok ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : RTE_MBUF_F_RX_L4_CKSUM_BAD;
    std::memcpy(tuple.data(), &iip->src_addr, 8);
    std::memcpy(tuple.data() + 8, th, 4);
    len = 12;
  } else {
    const auto* oip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, hl.l2_len);
    std::memcpy(tuple.data(), &oip->src_addr, 8);
    len = 8;
  }
  v.hash = rte_thash_gfni(s.matrices.data(), tuple.data(), len);
  v.rss_queue = s.reta[v.hash & (kReta - 1)];
  m->hash.rss = v.hash;
  flags |= RTE_MBUF_F_RX_RSS_HASH;
  const auto* ieth = rte_pktmbuf_mtod_offset(m, const rte_ether_hdr*, inner_off);
  for (std::size_t i = 0; i < kVms; ++i) {
    if (rte_is_same_ether_addr(&ieth->dst_addr, &s.macs[i])) {
      v.vmq_queue = s.mac_queue[i];
      break;
    }
  }
  m->ol_flags = flags;
  return v;
}

Verdict OursVerdict(const offload::RxResult& r) {
  Verdict v;
  v.outer_ip_ok = v.inner_ip_ok = r.checksum.ip_checksum_succeeded();
  v.l4_ok = r.checksum.tcp_checksum_succeeded() || r.checksum.udp_checksum_succeeded();
  v.hash = r.rss.hash;
  v.rss_queue = r.rss.queue;
  v.vmq_queue = r.vmq.queue;
  return v;
}

enum class Pipeline { kNvgre, kDpdk, kDpdkPrefetch };

void BM_RxPipeline(benchmark::State& state, Pipeline which) {
  const bool dpdk = which != Pipeline::kNvgre;
  if (!rte_cpu_get_flag_enabled(RTE_CPUFLAG_GFNI) || !rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F)) {
    state.SkipWithError("CPU without GFNI/AVX-512: rte_thash_gfni cannot run");
    return;
  }
  Setup s(static_cast<std::size_t>(state.range(0)));
  if (!s.ok) {
    state.SkipWithError("EAL init or mempool failed (run as root)");
    return;
  }
  offload::RxEngine rx(*s.adapter);
  std::array<offload::RxResult, kBurst> out;
  // Agreement on every frame before timing.
  for (std::size_t i = 0; i < kPool; i += kBurst) {
    rx.ProcessBurst(std::span(s.spans).subspan(i, kBurst), out);
    for (std::size_t k = 0; k < kBurst; ++k) {
      if (!(OursVerdict(out[k]) == DpdkRx(s, s.mbufs[i + k])) || !OursVerdict(out[k]).l4_ok) {
        state.SkipWithError("the two pipelines disagree");
        return;
      }
    }
  }
  std::size_t n = 0;
  std::uint32_t sink = 0;
  for (auto _ : state) {
    if (which == Pipeline::kDpdk) {
      for (std::size_t i = 0; i < kPool; ++i) sink += DpdkRx(s, s.mbufs[i]).rss_queue;
    } else if (which == Pipeline::kDpdkPrefetch) {
      // What a DPDK application adds: the packet data two mbufs ahead prefetched, as ours does.
      for (std::size_t i = 0; i < kPool; ++i) {
        if (i + 2 < kPool) {
          const auto* next = rte_pktmbuf_mtod(s.mbufs[i + 2], const std::uint8_t*);
          rte_prefetch0(next);
          rte_prefetch0(next + 64);
        }
        sink += DpdkRx(s, s.mbufs[i]).rss_queue;
      }
    } else {
      for (std::size_t i = 0; i < kPool; i += kBurst) {
        rx.ProcessBurst(std::span(s.spans).subspan(i, kBurst), out);
        sink += out[0].rss.queue + out[kBurst - 1].vmq.queue;
      }
    }
    n += kPool;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.SetBytesProcessed(static_cast<std::int64_t>(n / kPool * s.bytes));
}

void Sizes(benchmark::internal::Benchmark* b) {
  for (int size : {64, 256, 1500}) b->Arg(size);
}

BENCHMARK_CAPTURE(BM_RxPipeline, nvgre, Pipeline::kNvgre)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_RxPipeline, dpdk, Pipeline::kDpdk)->Apply(Sizes);
BENCHMARK_CAPTURE(BM_RxPipeline, dpdk_prefetch, Pipeline::kDpdkPrefetch)->Apply(Sizes);

}  // namespace
