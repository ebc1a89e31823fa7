// Fuzz target: the virtio_net_hdr transmit path of nvgred (virt/vnet.h) into the NDIS Tx engine:
// CheckVnetTx -> EncapsulateInPlace -> PrepareEncapsulatedTx -> ProcessTxPacket (spec §2, §3.1,
// §4; virtio 1.x §5.1.6).
// NVGRE_FUZZ_LIBS: virt offload wire
//
// Input: one control byte, the underlay MTU (2 bytes, 0 = 1500), optional limits (1 byte) and
// adapter configuration (3 bytes), then one of two modes:
//   raw         12 bytes of vnet header (ParseVnetHdr) and the frame, as a VM could write them;
//   structured  a valid frame (tests/virt/inner_frame_util.h: IPv4/IPv6 with options or
//               extension headers, TCP/UDP with options, VLAN tags) with the header Linux would
//               write for it (plain, NEEDS_CSUM, TSO/USO), then up to 8 byte mutations of the
//               header or the frame, so that the checks see near-valid input.
// The outer header is IPv4 or IPv6 (and tagged or not) by a control bit.
// Invariants (vnet.h, tx_engine.h CONTRACT):
//   - CheckVnetTx either drops with a named reason or returns offsets inside the frame
//     (l3 <= l4 <= header_length <= frame_length <= frame size, the checksum field inside the
//     IP packet);
//   - what PrepareEncapsulatedTx accepts, ProcessTxPacket sends without refusal with storage
//     for limits.max_segments segments, as EncapsulatedTx says (segments, MSS);
//   - every frame on the wire fits the underlay MTU (outer IP packet), its outer IPv4 header
//     checksum verifies; for an offload request the inner IPv4 header checksum (when asked or
//     segmented) and the inner TCP/UDP checksum verify; a software checksum verifies from
//     csum_start (RFC 1071);
//   - the payload is carried exactly: the segments' payloads concatenate to the VM's payload;
//     a frame sent whole is the VM's frame (tags stripped) but for the checksum fields.
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/packet_buffer.h"
#include "nvgre/virt/vnet.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"

#include "../../tests/virt/inner_frame_util.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::virt;  // NOLINT
namespace offload = nvgre::offload;
namespace wire = nvgre::wire;
using Bytes = std::span<const std::uint8_t>;
using Frame = std::vector<std::uint8_t>;

constexpr std::size_t kMaxSegments = 256;
using Storage = offload::TxSegmentArray<kMaxSegments, 256>;

std::uint16_t Get16(Bytes f, std::size_t at) { return static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]); }

EncapConfig Outer(bool v6, bool vlan) {
  EncapConfig c;
  c.outer_source_mac = {0x02, 0, 0, 0, 0, 0xaa};
  c.outer_destination_mac = {0x02, 0, 0, 0, 0, 0xbb};
  if (v6) {
    c.outer_ip = OuterIpv6{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                           {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
  } else {
    c.outer_ip = OuterIpv4{{192, 0, 2, 1}, {192, 0, 2, 2}};
  }
  c.vsid = 0x5001;
  if (vlan) c.outer_vlan = OuterVlan{7, 0, false};
  return c;
}

// A valid frame and the header Linux would write for it, from a few bytes of input.
void Structured(FuzzInput& in, Frame& frame, VnetHdr& hdr) {
  namespace tf = nvgre::virt::testframes;
  const auto shape = in.Take<std::uint32_t>();
  auto bits = [&](int shift, int n) { return (shape >> shift) & ((1u << n) - 1u); };
  tf::Flow f;
  f.version = bits(0, 1) != 0 ? 6 : 4;
  if (f.version == 6) {
    f.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    f.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  }
  const std::uint32_t proto = bits(1, 2);
  f.protocol = proto == 0 || proto == 1 ? wire::kIpProtoTcp
               : proto == 2             ? wire::kIpProtoUdp
                                        : (f.version == 6 ? wire::kIpProtoIcmpv6 : wire::kIpProtoIcmp);
  for (std::uint32_t i = 0; i < bits(3, 2) % 3; ++i) f.tags.push_back(wire::VlanTag{wire::kEtherTypeVlan, 5});
  if (f.version == 4) {
    f.ipv4_options.assign(4 * bits(5, 3), 1);
  } else {
    const std::uint8_t kinds[] = {60, 43, 44, 60};
    for (std::uint32_t i = 0; i < bits(5, 2); ++i) {
      const std::uint8_t k = kinds[bits(7 + 2 * static_cast<int>(i), 2)];
      if (k != 44 || std::count(f.ipv6_extensions.begin(), f.ipv6_extensions.end(), 44) == 0) {
        f.ipv6_extensions.push_back(k);
      }
    }
    f.ipv6_ext_size = 8 * (1 + bits(13, 2));
  }
  f.tcp_options.assign(bits(15, 4) * 2, 1);
  f.tcp_flags = static_cast<std::uint8_t>(0x10 | (bits(19, 4) << 4 & 0xC0) | (bits(19, 2) & 0x09));
  f.seq = in.Take<std::uint32_t>();
  const std::size_t payload = in.Take<std::uint16_t>() % 16384;
  f.payload.resize(payload);
  for (std::size_t i = 0; i < payload; ++i) f.payload[i] = static_cast<std::uint8_t>(i * 31 + (i >> 7));
  frame = tf::Build(f);

  const std::uint32_t kind = bits(23, 2);  // plain, checksum, GSO, GSO
  const std::uint16_t gso = in.Take<std::uint16_t>();
  const std::size_t l3 = 14 + 4 * f.tags.size();
  std::size_t ip = 20 + f.ipv4_options.size();
  if (f.version == 6) {
    ip = 40;
    for (std::uint8_t t : f.ipv6_extensions) ip += (t == 43 || t == 44) ? 8 : f.ipv6_ext_size;
  }
  const std::size_t l4 = l3 + ip;
  hdr = VnetHdr{};
  if (kind == 0) {
    hdr.flags = bits(25, 1) != 0 ? kVnetFlagDataValid : 0;
  } else {
    const std::size_t off = wire::L4ChecksumOffset(f.protocol);
    hdr.flags = kVnetFlagNeedsCsum;
    hdr.csum_start = static_cast<std::uint16_t>(l4);
    hdr.csum_offset = static_cast<std::uint16_t>(off);
    if (kind >= 2) {
      hdr.gso_type = f.protocol == wire::kIpProtoUdp ? kVnetGsoUdpL4
                     : f.version == 4                ? kVnetGsoTcpv4
                                                     : kVnetGsoTcpv6;
      hdr.gso_size = gso;
    }
    // The pseudo-header seed WITH the length (or garbage: PrepareEncapsulatedTx recomputes it).
    if (off != 0 && l4 + off + 2 <= frame.size()) {
      std::uint16_t seed = in.Take<std::uint16_t>();
      if (bits(26, 1) == 0 && f.protocol != wire::kIpProtoIcmp) {
        const auto len = static_cast<std::uint32_t>(frame.size() - l4);
        seed = f.version == 4
                   ? wire::PseudoHeaderSumV4(std::span<const std::uint8_t, 4>(frame.data() + l3 + 12, 4),
                                             std::span<const std::uint8_t, 4>(frame.data() + l3 + 16, 4),
                                             f.protocol, len)
                   : wire::PseudoHeaderSumV6(std::span<const std::uint8_t, 16>(frame.data() + l3 + 8, 16),
                                             std::span<const std::uint8_t, 16>(frame.data() + l3 + 24, 16),
                                             f.protocol, len);
      }
      frame[l4 + off] = static_cast<std::uint8_t>(seed >> 8);
      frame[l4 + off + 1] = static_cast<std::uint8_t>(seed);
    }
  }
  // Mutations: the vnet header (12 bytes) then the frame, addressed as one space.
  std::array<std::uint8_t, kVnetHdrSize> h{};
  EmitVnetHdr(hdr, h);
  const std::size_t mutations = in.Take<std::uint8_t>() % 9;
  for (std::size_t i = 0; i < mutations; ++i) {
    const std::size_t at = in.Take<std::uint16_t>() % (kVnetHdrSize + frame.size());
    const std::uint8_t value = in.Take<std::uint8_t>();
    if (at < kVnetHdrSize) {
      h[at] = value;
    } else {
      frame[at - kVnetHdrSize] = value;
    }
  }
  if (in.TakeBool() && !frame.empty()) frame.resize(frame.size() - 1 - in.Take<std::uint8_t>() % frame.size());
  hdr = *ParseVnetHdr(h);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const auto control = in.Take<std::uint8_t>();
  const bool structured = (control & 0x01) != 0;
  const bool outer_v6 = (control & 0x02) != 0;
  const bool outer_vlan = (control & 0x04) != 0;
  std::uint32_t mtu = in.Take<std::uint16_t>();
  if (mtu == 0) mtu = 1500;

  VnetTxLimits limits;
  if ((control & 0x08) != 0) {
    const auto l = in.Take<std::uint8_t>();
    limits.csum = (l & 0x01) == 0;
    limits.tso4 = (l & 0x02) == 0;
    limits.tso6 = (l & 0x04) == 0;
    limits.uso = (l & 0x08) == 0;
    limits.min_mss = (l & 0x10) != 0 ? 1 : 88;
    limits.max_segments = 1u + (l >> 5) * 36u;  // 1 .. 253
  }
  offload::TxOffloadConfig config;
  if ((control & 0x10) != 0) {
    const auto c = in.Take<std::uint32_t>() >> 8;  // 3 bytes
    auto bit = [&](int i) { return ((c >> i) & 1u) != 0; };
    config.encapsulated_offload_active = !bit(0);
    config.encapsulated.set_max_header_size_supported(bit(1) ? 64 + ((c >> 16) & 0xBF) : 256);
    for (offload::TxChecksumCaps* k : {&config.checksum_ipv4, &config.checksum_ipv6}) {
      k->ip_options_supported = !bit(2);
      k->tcp_options_supported = !bit(3);
      k->tcp_checksum = !bit(4);
      k->udp_checksum = !bit(5);
      k->ip_checksum = !bit(6);
    }
    for (offload::TxLsoV2Caps* k : {&config.lso_v2_ipv4, &config.lso_v2_ipv6}) {
      k->enabled = !bit(7);
      k->min_segment_count = bit(8) ? 3 : 2;
      k->ip_extension_headers_supported = !bit(9);
      k->tcp_options_supported = !bit(10);
      k->max_offload_size = bit(11) ? 4000 : 262144;
    }
    for (offload::TxUsoCaps* k : {&config.uso_ipv4, &config.uso_ipv6}) {
      k->enabled = !bit(12);
      k->sub_mss_final_segment_supported = !bit(13);
      k->ip_extension_headers_supported = !bit(9);
    }
    config.min_mss = bit(14) ? 536 : 88;
    if (bit(15)) (void)config.encapsulated.set_mask(offload::EncapOffload::kUso, 0x5);  // IPv4 only
  }

  Frame frame;
  VnetHdr hdr;
  if (structured) {
    Structured(in, frame, hdr);
  } else {
    auto parsed = ParseVnetHdr(in.TakeBytes(kVnetHdrSize));
    if (!parsed) return 0;
    hdr = *parsed;
    const Bytes rest = in.Rest();
    frame.assign(rest.begin(), rest.end());
  }
  const Frame original = frame;

  // 1. CheckVnetTx.
  auto req = CheckVnetTx(hdr, nvgre::fuzz::ExactCopy(frame), limits);
  if (!req) {
    FUZZ_CHECK(static_cast<std::size_t>(req.error()) < kVnetTxDropCount);
    return 0;
  }
  const VnetTxRequest r = *req;
  FUZZ_CHECK(r.l3_offset >= 14 && r.l3_offset <= r.frame_length && r.frame_length <= frame.size());
  const bool offload_kind = r.kind != VnetTxKind::kPlain;
  if (offload_kind || r.software_checksum) {
    FUZZ_CHECK(r.is_ip);
    FUZZ_CHECK(r.l3_offset < r.l4_offset && r.l4_offset <= r.header_length &&
               r.header_length <= r.frame_length);
    FUZZ_CHECK(r.csum_offset % 2 == 0);
    FUZZ_CHECK(r.csum_start >= r.l4_offset &&
               std::size_t{r.csum_start} + r.csum_offset + 2 <= r.frame_length);
    FUZZ_CHECK((hdr.flags & kVnetFlagNeedsCsum) != 0);
  }
  if (offload_kind) {
    FUZZ_CHECK(r.l4_protocol == wire::kIpProtoTcp || r.l4_protocol == wire::kIpProtoUdp);
    FUZZ_CHECK(r.csum_start == r.l4_offset);
  }
  if (r.kind == VnetTxKind::kTcpSegmentation || r.kind == VnetTxKind::kUdpSegmentation) {
    FUZZ_CHECK(r.gso_size >= limits.min_mss && r.gso_size != 0 && r.gso_size != 0xFFFF);
    FUZZ_CHECK((r.frame_length - r.header_length + r.gso_size - 1) / r.gso_size <= limits.max_segments);
  }

  // 2. Encapsulation.
  PacketBuffer pkt(frame.size() + 256);
  if (!pkt.Assign(frame)) return 0;
  std::uint16_t ipv4_id = 0x1000;
  const EncapConfig encap_config = Outer(outer_v6, outer_vlan);
  auto encap = EncapsulateInPlace(pkt, encap_config, ipv4_id);
  if (!encap) return 0;  // e.g. an inner frame over 64 KiB: refused, named there
  const std::size_t base = encap->outer_header_length;
  const std::size_t o3 = outer_vlan ? 18 : 14;
  const std::size_t tags = r.l3_offset - 14u;
  auto shift = [&](std::size_t off) { return off - tags + base; };
  Frame stripped(original.begin(), original.begin() + 12);
  stripped.insert(stripped.end(), original.begin() + static_cast<std::ptrdiff_t>(12 + tags), original.end());
  FUZZ_CHECK(pkt.size() == base + stripped.size());

  // 3. PrepareEncapsulatedTx.
  auto tx = PrepareEncapsulatedTx(r, pkt.data(), config, mtu);
  if (!tx) {
    FUZZ_CHECK(static_cast<std::size_t>(tx.error()) < kVnetTxDropCount);
    FUZZ_CHECK(tx.error() != VnetTxDrop::kEncapsulatedMismatch);  // it IS the encapsulation
    return 0;
  }
  const Frame prepared(pkt.data().begin(), pkt.data().end());
  // Only the L4 checksum field (offload kinds) or the software checksum field was written.
  std::size_t field = SIZE_MAX;
  if (offload_kind) field = shift(r.l4_offset) + (r.l4_protocol == wire::kIpProtoTcp ? 16 : 6);
  if (r.software_checksum) field = shift(r.csum_start) + r.csum_offset;
  for (std::size_t i = 0; i < stripped.size(); ++i) {
    if (base + i == field || base + i == field + 1) continue;
    FUZZ_CHECK(prepared[base + i] == stripped[i]);
  }
  if (r.software_checksum) {
    const std::size_t start = shift(r.csum_start);
    // Linux skb_checksum_help: the range summed again, plus the seed the field held, is 0xFFFF.
    const std::uint16_t seed = Get16(stripped, field - base);
    const std::uint16_t sum = wire::OnesSumReference(Bytes(prepared).subspan(start, shift(r.frame_length) - start));
    FUZZ_CHECK(wire::OnesAdd(sum, seed) == 0xFFFF);
  }

  // 4. The Tx engine.
  static const std::unique_ptr<Storage> storage = std::make_unique<Storage>();
  offload::TxOutput out{std::span(storage->segments).first(std::min<std::size_t>(kMaxSegments, limits.max_segments)),
                        storage->header_arena};
  offload::TxOob oob = tx->oob;
  offload::TxStats stats;
  const offload::TxResult res = offload::ProcessTxPacket(config, pkt.data(), oob, out, stats);
  FUZZ_CHECK(res.ok());
  FUZZ_CHECK(res.segment_count == tx->segments);
  FUZZ_CHECK(res.mss == tx->mss || (tx->mss == 0 && res.mss == 0));
  const bool segmented = tx->mss != 0;
  const bool requested = tx->oob.checksum.requested() || tx->oob.large_send != 0 || tx->oob.uso.requested();
  FUZZ_CHECK(segmented == (res.action == offload::TxAction::kLsoV2 || res.action == offload::TxAction::kUso));
  FUZZ_CHECK(!offload_kind || requested || res.action == offload::TxAction::kUnchanged);

  Frame payloads;
  std::vector<std::uint8_t> seg;
  std::size_t k = 0;
  for (const offload::TxSegment& s : res.segments(out)) {
    seg.resize(s.size());
    FUZZ_CHECK(offload::LinearizeSegment(s, seg) == seg.size());
    FUZZ_CHECK(seg.size() > o3 && seg.size() - o3 <= mtu);  // fits the underlay MTU
    const wire::FrameLayout l = wire::ClassifyFrame(seg);
    FUZZ_CHECK(l.is_nvgre() && l.outer_l3.end == seg.size());
    const wire::ChecksumReport c = wire::VerifyChecksums(seg, l);
    FUZZ_CHECK(c.outer_ip == (outer_v6 ? wire::CsumState::kAbsent : wire::CsumState::kGood));
    if (offload_kind && !(r.software_checksum)) {
      FUZZ_CHECK(l.inner_l3.present() && l.inner_l4 != wire::kNoHeader && !l.error && !l.truncated);
      FUZZ_CHECK(c.inner_l4 == wire::CsumState::kGood);
      if (segmented || tx->oob.checksum.ip_header_checksum()) {
        FUZZ_CHECK(c.inner_ip == (r.ipv6 ? wire::CsumState::kAbsent : wire::CsumState::kGood));
      }
    }
    if (segmented) {
      const std::size_t hl = shift(r.header_length);
      FUZZ_CHECK(l.payload == hl && l.inner_l3.end == seg.size());
      FUZZ_CHECK(seg.size() - hl <= tx->mss && (k + 1 == res.segment_count || seg.size() - hl == tx->mss));
      if (r.l4_protocol == wire::kIpProtoUdp) FUZZ_CHECK(Get16(seg, l.inner_l4 + 4) == seg.size() - l.inner_l4);
      payloads.insert(payloads.end(), seg.begin() + static_cast<std::ptrdiff_t>(hl), seg.end());
    } else {
      // Sent whole: the prepared frame, but for the checksums the engine filled.
      FUZZ_CHECK(seg.size() == prepared.size());
      for (std::size_t i = 0; i < seg.size(); ++i) {
        if (seg[i] == prepared[i]) continue;
        const bool outer_csum = !outer_v6 && (i == o3 + 10 || i == o3 + 11);
        const bool inner_csum = offload_kind && !r.ipv6 && (i == base + 14 + 10 || i == base + 14 + 11);
        const bool l4_csum = i == field || i == field + 1;
        FUZZ_CHECK(requested && (outer_csum || inner_csum || l4_csum));
      }
    }
    ++k;
  }
  if (segmented) {
    // The VM's payload, in order.
    FUZZ_CHECK(payloads.size() == r.frame_length - r.header_length);
    FUZZ_CHECK(std::equal(payloads.begin(), payloads.end(), original.begin() + r.header_length));
  }
  return 0;
}
