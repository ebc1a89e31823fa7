// Fuzz target: the receive engine ProcessRxFrame (offload/rx_engine.h; spec §3.2, §5, §6, §10,
// §11) under fuzzed adapter configurations, and the receive coalescer RscCoalescer
// (offload/rsc.h) over bursts of frames.
// NVGRE_FUZZ_LIBS: offload wire
//
// Input: 10 control bytes, an optional OID_TCP_OFFLOAD_PARAMETERS buffer, then either
//   (A) a burst of frames, each as a 2-byte length and its bytes, or
//   (B) one frame that the Tx engine (PrepareNvgreSend + ProcessTxPacket, LSOv2) cuts into
//       segments, perturbed or not (one dropped, two swapped, one duplicated, one byte flipped),
//       which are then received: Tx LSO -> Rx -> RSC end to end.
// Invariants:
//   - the layout is ClassifyFrame's; the path matches it (kNotIp without an outer IP header,
//     kPlain without GRE encapsulation, kEncapsulated only for GRE v0 TEB/IP with the offload
//     active and no outer fragment); a reason exactly for kEncapsulationNotOffloaded;
//   - the checksum word is consistent (never Succeeded and Failed for one kind), never Loopback
//     nor the RSC-only ValueInvalid bits nor unnamed bits; IpChecksumSucceeded only with an IPv4
//     header whose checksum verifies, IpChecksumFailed only with one that does not; the TCP/UDP
//     flags only for that transport and as the RFC 1071 reference judges it;
//   - RSS: nothing when not computed (hash 0, HashInfo 0); otherwise the type is one enabled
//     NDIS_HASH_* flag, the input is SelectRssInput's, the hash is ToeplitzHashReference over it
//     with the configured key, and the queue is the indirection table's entry for it;
//   - FilteringInfo only when the VMQ stage ran, with FilterId 0 and a queue the adapter has;
//   - RSC: every offered frame is indicated exactly once and in order (tags); an unmerged frame
//     is indicated byte for byte, trailer included; a merged one is valid NVGRE, every length and IPv4 checksum
//     right, at most the storage size, flagged TcpChecksumSucceeded | TcpChecksumValueInvalid,
//     and its TCP payload is exactly the offered segments' payloads, concatenated; with (B)
//     unperturbed, the payload received is the payload sent.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "fuzz_layout.h"
#include "fuzz_util.h"
#include "nvgre/offload/adapter.h"
#include "nvgre/offload/rsc.h"
#include "nvgre/offload/rss.h"
#include "nvgre/offload/rx_engine.h"
#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/toeplitz.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/offload/vmq.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"

namespace {

using nvgre::fuzz::FuzzInput;
using nvgre::fuzz::SameLayout;
using namespace nvgre::offload;  // NOLINT
namespace wire = nvgre::wire;
using Bytes = std::span<const std::uint8_t>;
using Frame = std::vector<std::uint8_t>;

constexpr std::size_t kMaxFrames = 16;

std::unique_ptr<Adapter> MakeAdapter(FuzzInput& in, std::uint8_t flags) {
  auto a = std::make_unique<Adapter>();
  OffloadEncapsulation e;
  e.ipv4.enabled = (flags & 0x02) ? kNdisOffloadSetOn : kNdisOffloadSetOff;
  e.ipv6.enabled = (flags & 0x04) ? kNdisOffloadSetOn : kNdisOffloadSetOff;
  (void)a->SetOffloadEncapsulation(e);
  if (flags & 0x01) {
    OffloadParameters p;
    p.encapsulated_packet_task_offload = kNdisOffloadSetOn;
    p.encapsulation_types = kNdisEncapsulationTypeGreMac;
    (void)a->SetOffloadParameters(p);
  }
  const auto indirection = static_cast<std::uint16_t>(1u << (in.Take<std::uint8_t>() % 8));
  const auto hash_types = in.Take<std::uint32_t>();
  if (flags & 0x08) {
    RssParameters rss;
    rss.hash_types = (hash_types & kRssSupportedHashTypes) | kNdisHashIpv4;
    rss.SetIndirection(indirection, std::min<std::uint16_t>(indirection, 16));
    (void)a->SetRssParameters(rss);
  }
  if (flags & 0x10) {
    ReceiveFilter f;
    f.filter_id = 1;
    f.queue_id = 3;
    f.flags = kReceiveFilterPacketEncapsulationGre;
    (void)f.AddField(ReceiveFilterField::MacMaskEquals({0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}));
    (void)a->SetReceiveFilter(f);
  }
  if (flags & 0x20) {
    const auto oid = in.TakeBytes(in.Take<std::uint8_t>() % 41);
    (void)a->SetOffloadParametersOid(oid);
  }
  return a;
}

bool IsIpv4Good(wire::CsumState s) { return s == wire::CsumState::kGood; }
bool IsIpv4Bad(wire::CsumState s) { return s == wire::CsumState::kBad; }

void CheckRx(const AdapterConfig& config, Bytes frame, const RxResult& r) {
  const wire::FrameLayout want = wire::ClassifyFrame(frame);
  FUZZ_CHECK(SameLayout(r.layout, want) && r.layout.truncated == want.truncated);
  const wire::FrameLayout& l = r.layout;
  FUZZ_CHECK((r.path == RxPath::kNotIp) == !l.outer_l3.present());
  if (r.path == RxPath::kPlain) FUZZ_CHECK(!l.gre.present());
  if (r.path == RxPath::kEncapsulated) {
    FUZZ_CHECK(l.gre.present() && l.gre.version() == 0 && !l.outer_l3.is_fragment);
    FUZZ_CHECK(l.encapsulation == wire::Encapsulation::kGreEthernet ||
               l.encapsulation == wire::Encapsulation::kGreIp);
    FUZZ_CHECK(config.encapsulated_offload_active());
  }
  FUZZ_CHECK((r.reason != RxNotOffloaded::kNone) == (r.path == RxPath::kEncapsulationNotOffloaded));
  FUZZ_CHECK(r.header_span <= frame.size());
  if (r.path != RxPath::kEncapsulated) FUZZ_CHECK(!r.inner_checksum && !r.inner_rss && !r.inner_vmq);

  // Checksums (spec §3.2).
  const ChecksumRxInfo c = r.checksum;
  FUZZ_CHECK(c.consistent() && !c.loopback() && !c.tcp_checksum_value_invalid() &&
             !c.ip_checksum_value_invalid() && c.unnamed_bits() == 0);
  const wire::ChecksumReport v = wire::VerifyChecksums(frame, l);
  const bool inner = r.path == RxPath::kEncapsulated && r.inner_checksum;
  if (c.ip_checksum_succeeded()) {
    // §3.2 "only when BOTH IP header checks passed": every IPv4 header there is is good.
    FUZZ_CHECK(IsIpv4Good(v.outer_ip) || (inner && IsIpv4Good(v.inner_ip)));
    FUZZ_CHECK(l.outer_l3.version != 4 || IsIpv4Good(v.outer_ip));
    FUZZ_CHECK(!inner || l.inner_l3.version != 4 || IsIpv4Good(v.inner_ip));
  }
  if (c.ip_checksum_failed()) FUZZ_CHECK(IsIpv4Bad(v.outer_ip) || (inner && IsIpv4Bad(v.inner_ip)));
  const wire::CsumState l4 = inner ? v.inner_l4 : (l.encapsulated() ? wire::CsumState::kAbsent : v.outer_l4);
  const std::uint8_t proto = l.l4_protocol;
  if (c.tcp_checksum_succeeded() || c.tcp_checksum_failed()) FUZZ_CHECK(proto == wire::kIpProtoTcp);
  if (c.udp_checksum_succeeded() || c.udp_checksum_failed()) FUZZ_CHECK(proto == wire::kIpProtoUdp);
  if (c.tcp_checksum_succeeded() || c.udp_checksum_succeeded()) FUZZ_CHECK(l4 == wire::CsumState::kGood);
  if (c.tcp_checksum_failed() || c.udp_checksum_failed()) FUZZ_CHECK(l4 == wire::CsumState::kBad);
  if (r.path == RxPath::kEncapsulationNotOffloaded || r.path == RxPath::kNotIp) {
    FUZZ_CHECK(!c.tcp_checksum_succeeded() && !c.tcp_checksum_failed() &&
               !c.udp_checksum_succeeded() && !c.udp_checksum_failed());
  }

  // RSS (spec §10).
  if (!r.rss.computed()) {
    FUZZ_CHECK(r.hash_value() == 0 && r.hash_info().raw() == 0 && r.rss.type == 0 && r.rss.queue == 0);
  } else {
    FUZZ_CHECK(config.rss_enabled());
    const RssParameters& p = config.rss->parameters();
    const std::uint32_t t = r.rss.type;
    FUZZ_CHECK(t != 0 && (t & (t - 1)) == 0 && (t & p.hash_types) == t);
    FUZZ_CHECK(r.hash_info().raw() == (t | kNdisHashFunctionToeplitz));
    const RssInput input = SelectRssInput(frame, l, p.hash_types, r.inner_rss);
    FUZZ_CHECK(input.tuple == r.rss.tuple && input.type == t);
    FUZZ_CHECK(r.hash_value() == ToeplitzHashReference(std::span(p.key).first(p.key_size), input.input()));
    FUZZ_CHECK(r.rss.slot == (r.hash_value() & (p.indirection_entries - 1u)));
    FUZZ_CHECK(r.rss.queue == p.indirection_table[r.rss.slot]);
  }

  // VMQ (spec §11).
  const FilteringInfo fi = r.filtering_info();
  if (!r.vmq_handled) {
    FUZZ_CHECK(fi.raw() == 0);
  } else {
    FUZZ_CHECK(config.vmq_enabled && fi.filter_id() == 0 && fi.queue_id() == r.vmq.queue);
    FUZZ_CHECK(r.vmq.queue < config.capabilities.vmq_queues);
    if (r.vmq.filter_id == 0) FUZZ_CHECK(r.vmq.queue == 0);
  }
}

struct Indication {
  Frame frame;
  RscIndication info;
};

struct Recorder : RscSink {
  std::vector<Indication> got;
  void Indicate(std::span<const std::uint8_t> frame, const RscIndication& info) override {
    got.push_back({Frame(frame.begin(), frame.end()), info});
  }
};

// The inner TCP payload of a frame the coalescer may have merged.
Bytes TcpPayload(Bytes frame, const wire::FrameLayout& l) {
  return frame.subspan(l.payload, l.inner_l3.end - l.payload);
}

void CheckRsc(const std::vector<Frame>& offered, const Recorder& rec, std::size_t storage_size) {
  std::uint64_t next = 0;
  for (const Indication& ind : rec.got) {
    const RscIndication& i = ind.info;
    FUZZ_CHECK(i.first_tag == next && i.last_tag >= i.first_tag);
    FUZZ_CHECK(i.coalesced_segments == i.last_tag - i.first_tag + 1);
    next = i.last_tag + 1;
    if (i.coalesced_segments == 1) {
      // Passed up unchanged (rx_engine.h, rsc.h, spec §1, §6), Ethernet trailer included.
      const Frame& o = offered[i.first_tag];
      FUZZ_CHECK(ind.frame.size() == o.size() && std::equal(ind.frame.begin(), ind.frame.end(), o.begin()));
      continue;
    }
    // Merged: valid NVGRE with right lengths and IPv4 checksums, the payloads concatenated.
    FUZZ_CHECK(ind.frame.size() <= storage_size);
    FUZZ_CHECK(i.checksum.tcp_checksum_succeeded() && i.checksum.tcp_checksum_value_invalid() &&
               !i.checksum.ip_checksum_failed() && i.checksum.consistent());
    const wire::FrameLayout l = wire::ClassifyFrame(ind.frame);
    FUZZ_CHECK(l.is_nvgre() && !l.error && !l.truncated && l.l4_protocol == wire::kIpProtoTcp);
    FUZZ_CHECK(l.outer_l3.end == ind.frame.size() && l.inner_l3.end == ind.frame.size());
    const wire::ChecksumReport v = wire::VerifyChecksums(ind.frame, l);
    FUZZ_CHECK(v.outer_ip != wire::CsumState::kBad && v.inner_ip != wire::CsumState::kBad);
    Frame want;
    for (std::uint64_t t = i.first_tag; t <= i.last_tag; ++t) {
      const Frame& f = offered[t];
      const Bytes p = TcpPayload(f, wire::ClassifyFrame(f));
      want.insert(want.end(), p.begin(), p.end());
    }
    const Bytes got = TcpPayload(ind.frame, l);
    FUZZ_CHECK(got.size() == want.size() && std::equal(got.begin(), got.end(), want.begin()));
  }
  FUZZ_CHECK(next == offered.size());
}

// Mode B: one frame, segmented by the Tx engine.
bool Segment(Bytes frame, std::uint16_t mss, std::vector<Frame>& out, Frame& payload) {
  Frame headers(kTxParseWindow);
  const PrepareResult p = PrepareNvgreSend(
      frame, {.segmentation = Segmentation::kLsoV2, .mss = std::max<std::uint16_t>(mss, 1)}, headers);
  if (!p) return false;
  TxOffloadConfig config;
  config.lso_v2_ipv4.min_segment_count = config.lso_v2_ipv6.min_segment_count = 1;
  config.min_mss = 1;
  config.encapsulated.set_max_header_size_supported(static_cast<std::uint32_t>(kTxParseWindow));
  TxOob oob = p->oob;
  std::vector<TxSegment> segments(kMaxFrames);
  std::vector<std::uint8_t> arena(kMaxFrames * 512);
  std::array<Bytes, 2> buffers{Bytes(headers).first(p->header_length), frame.subspan(p->header_length)};
  TxStats stats;
  const TxResult r = ProcessTxPacket(config, buffers, oob, {segments, arena}, stats);
  if (!r.ok()) return false;
  for (const TxSegment& s : r.segments({segments, arena})) {
    Frame f(s.size());
    LinearizeSegment(s, f);
    out.push_back(std::move(f));
  }
  payload.assign(frame.begin() + static_cast<std::ptrdiff_t>(p->header_length), frame.end());
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const auto flags = in.Take<std::uint8_t>();
  const auto perturb = in.Take<std::uint8_t>();
  const auto mss = in.Take<std::uint16_t>();
  const auto wire_extra = in.Take<std::uint8_t>();
  const std::unique_ptr<Adapter> adapter = MakeAdapter(in, flags);  // 5 bytes (+ OID)
  const auto config = adapter->Snapshot();

  std::vector<Frame> frames;
  Frame sent_payload;
  bool end_to_end = false;
  if (flags & 0x40) {
    const auto one = in.Rest();
    if (!Segment(one, mss, frames, sent_payload)) return 0;
    end_to_end = true;
    if (!frames.empty() && (perturb & 7) != 0) {
      end_to_end = false;
      const std::size_t i = (perturb >> 3) % frames.size();
      switch (perturb & 7) {
        case 1: frames.erase(frames.begin() + static_cast<std::ptrdiff_t>(i)); break;
        case 2: if (i + 1 < frames.size()) std::swap(frames[i], frames[i + 1]); break;
        case 3: frames.insert(frames.begin() + static_cast<std::ptrdiff_t>(i), frames[i]); break;
        default: {
          Frame& f = frames[i];
          if (!f.empty()) f[(std::size_t{mss} * 7 + perturb) % f.size()] ^= static_cast<std::uint8_t>(1u << (perturb & 7));
          break;
        }
      }
    }
  } else {
    while (in.remaining() > 0 && frames.size() < kMaxFrames) {
      const auto n = in.Take<std::uint16_t>();
      const auto b = in.TakeBytes(n);
      frames.emplace_back(b.begin(), b.end());
    }
  }

  // Every frame through the engine (the first with a wire length beyond its capture).
  std::vector<RxResult> results;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Bytes f(frames[i]);
    const std::size_t wire_length = i == 0 && wire_extra != 0 ? f.size() + wire_extra : 0;
    const RxResult r = ProcessRxFrame(*config, f, wire_length);
    if (wire_length == 0) CheckRx(*config, f, r);
    if (wire_length != 0) FUZZ_CHECK(r.layout.truncated);  // bytes missing: nothing verified
    if (wire_length != 0) {
      FUZZ_CHECK(!r.checksum.tcp_checksum_succeeded() && !r.checksum.udp_checksum_succeeded() &&
                 !r.checksum.tcp_checksum_failed() && !r.checksum.udp_checksum_failed());
    }
    results.push_back(r);
  }
  // The burst API gives the same results.
  RxEngine engine(*adapter);
  std::vector<Bytes> spans(frames.begin(), frames.end());
  std::vector<RxResult> burst(frames.size());
  engine.ProcessBurst(spans, burst);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i == 0 && wire_extra != 0) continue;
    FUZZ_CHECK(SameLayout(burst[i].layout, results[i].layout) && burst[i].path == results[i].path &&
               burst[i].checksum == results[i].checksum && burst[i].rss.hash == results[i].rss.hash &&
               burst[i].vmq.queue == results[i].vmq.queue);
  }
  FUZZ_CHECK(engine.stats().frames == frames.size());

  // RSC over the burst (only when asked: it is optional).
  if (flags & 0x80) {
    std::vector<std::uint8_t> storage(65536 + 512);
    RscCoalescer rsc(storage);
    Recorder rec;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const RxResult r = ProcessRxFrame(*config, frames[i]);
      rsc.Offer(*config, frames[i], r, i, rec);
    }
    rsc.Flush(rec);
    FUZZ_CHECK(!rsc.holding());
    CheckRsc(frames, rec, storage.size());
    if (end_to_end) {
      Frame received;
      for (const Indication& ind : rec.got) {
        const wire::FrameLayout l = wire::ClassifyFrame(ind.frame);
        if (l.payload == wire::kNoHeader) continue;
        const Bytes p = TcpPayload(ind.frame, l);
        received.insert(received.end(), p.begin(), p.end());
      }
      FUZZ_CHECK(received == sent_payload);
    }
  }
  return 0;
}
