// Fuzz target: the frame classifier ClassifyFrame and VerifyChecksums (spec §6, §3.2).
//
// Input: an Ethernet frame. Invariants (each one a comment below):
//   - every offset is inside the frame and the layers are ordered and adjacent:
//     outer_l2 (0) < outer_l3 < gre < inner_l2 < inner_l3 < inner_l4 < payload <= frame size,
//     each IP packet's end within the frame, and the encapsulated layers within the outer IP
//     packet (RFC 2784 §2: the GRE payload is the rest of the outer IP datagram);
//   - every layer the classifier reports re-parses with its view at that offset and gives the
//     same lengths, protocol and flags; the walk does not stop early without an error;
//   - is_nvgre() only for GRE v0 with K=1, C=S=0, protocol 0x6558 and an untagged inner
//     Ethernet header (RFC 7637 §3.2), and nvgre_violation is what CheckNvgre says;
//   - a wire length above the captured size only sets `truncated`;
//   - VerifyChecksums reports a checksum exactly for the layers that have one, and kGood/kBad
//     agree with the RFC 1071 reference sum over the same bytes.
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_layout.h"
#include "fuzz_util.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/icmp.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::SameLayout;
using namespace nvgre::wire;  // NOLINT
using Span = std::span<const std::uint8_t>;

void CheckL2(Span frame, const L2Layout& l2) {
  FUZZ_CHECK(l2.offset < frame.size());
  FUZZ_CHECK(l2.length == 14 + 4 * l2.vlan_count && l2.vlan_count <= 4);
  FUZZ_CHECK(l2.offset + l2.length <= frame.size());
  auto eth = EthernetView::Parse(frame.subspan(l2.offset));
  FUZZ_CHECK(eth.has_value());
  FUZZ_CHECK(eth->header_length() == l2.length && eth->ether_type() == l2.ether_type);
}

// `limit` is where the bytes available to this IP packet end (frame end, or the outer IP end).
void CheckL3(Span frame, const L3Layout& l3, std::size_t limit, bool walk_failed_here) {
  FUZZ_CHECK(l3.version == 4 || l3.version == 6);
  FUZZ_CHECK(l3.offset < limit && l3.end <= limit);
  FUZZ_CHECK(std::size_t{l3.offset} + l3.header_length <= l3.end);
  if (l3.later_fragment) FUZZ_CHECK(l3.is_fragment);
  if (l3.version == 4) {
    auto ip = Ipv4View::Parse(frame.subspan(l3.offset, limit - l3.offset), Capture::kMayBeTruncated);
    FUZZ_CHECK(ip.has_value());
    FUZZ_CHECK(ip->header_length() == l3.header_length && ip->protocol() == l3.protocol);
    FUZZ_CHECK(l3.end == l3.offset + ip->packet_length());
    FUZZ_CHECK(l3.is_fragment == ip->is_fragment());
    FUZZ_CHECK(l3.length_zero == ip->total_length_zero());
    return;
  }
  auto ip = Ipv6View::Parse(frame.subspan(l3.offset, limit - l3.offset), Capture::kMayBeTruncated);
  FUZZ_CHECK(ip.has_value());
  FUZZ_CHECK(l3.end == l3.offset + ip->packet_length());
  auto chain = WalkIpv6Extensions(*ip);
  FUZZ_CHECK(chain.has_value() == !walk_failed_here);
  if (chain) {
    FUZZ_CHECK(chain->upper_offset == l3.header_length && chain->upper_protocol == l3.protocol);
    FUZZ_CHECK(chain->is_fragment == l3.is_fragment);
  }
}

// The transport header at `l4` after `l3`: re-parse and return its header length.
std::size_t CheckL4(Span frame, const L3Layout& l3, std::uint16_t l4, std::uint8_t protocol) {
  FUZZ_CHECK(l4 == l3.l4_offset() && l4 < l3.end);
  const Span seg = frame.subspan(l4, l3.end - l4);
  switch (protocol) {
    case kIpProtoTcp: {
      auto tcp = TcpView::Parse(seg);
      FUZZ_CHECK(tcp.has_value());
      return tcp->header_length();
    }
    case kIpProtoUdp: {
      auto udp = UdpView::Parse(seg, Capture::kMayBeTruncated);
      FUZZ_CHECK(udp.has_value());
      return udp->header_length();
    }
    case kIpProtoIcmp: {
      FUZZ_CHECK(l3.version == 4);
      auto icmp = IcmpView::Parse(seg);
      FUZZ_CHECK(icmp.has_value());
      return icmp->header_length();
    }
    case kIpProtoIcmpv6: {
      FUZZ_CHECK(l3.version == 6);
      auto icmp = Icmpv6View::Parse(seg);
      FUZZ_CHECK(icmp.has_value());
      return icmp->header_length();
    }
    default:
      FUZZ_CHECK(false && "transport header of an unknown protocol");
  }
  return 0;
}

bool Locatable(const L3Layout& l3) {
  return l3.protocol == kIpProtoTcp || l3.protocol == kIpProtoUdp ||
         (l3.protocol == kIpProtoIcmp && l3.version == 4) ||
         (l3.protocol == kIpProtoIcmpv6 && l3.version == 6);
}

// The checksum state of one transport header, from first principles.
// RFC 8200 §8.1, written here from the RFC rather than taken from the library: the
// pseudo-header's destination is the final one. While a Routing header has Segments Left > 0
// that is its last address (types 0 and 2: Address[n]) or Segment List[0] (type 4, SRH);
// otherwise the fixed header's Destination Address. Walks the extension headers between the
// fixed header and the transport header the classifier located.
std::size_t PseudoDestinationV6(Span frame, const L3Layout& ip) {
  std::size_t dest = ip.offset + 24u;
  std::uint8_t next = frame[ip.offset + 6u];
  std::size_t p = ip.offset + 40u;
  while (p + 8 <= ip.l4_offset()) {
    const std::size_t len = next == 44 ? 8 : next == 51 ? (frame[p + 1] + 2u) * 4 : (frame[p + 1] + 1u) * 8;
    if (next == 43 && frame[p + 3] > 0 && frame[p + 1] >= 2) {
      const std::size_t addresses = frame[p + 1] / 2u;
      if (frame[p + 2] == 0 || frame[p + 2] == 2) dest = p + 8 + 16 * (addresses - 1);
      if (frame[p + 2] == 4) dest = p + 8;
    }
    next = frame[p];
    p += len;
  }
  return dest;
}

CsumState ExpectedTransport(Span frame, const FrameLayout& l, const L3Layout& ip, std::uint16_t l4) {
  if (l4 == kNoHeader) return CsumState::kAbsent;
  Span seg = frame.subspan(l4, ip.end - l4);
  const std::uint8_t proto = l.l4_protocol;
  if (proto == kIpProtoUdp) {
    const std::uint16_t length = static_cast<std::uint16_t>(seg[4] << 8 | seg[5]);
    const std::uint16_t csum = static_cast<std::uint16_t>(seg[6] << 8 | seg[7]);
    if (csum == 0 && ip.version == 4) return CsumState::kAbsent;  // RFC 768
    if (csum == 0) return CsumState::kBad;  // RFC 8200 §8.1: over IPv6 zero is never "none"
    if (length != 0 && length < seg.size()) seg = seg.first(length);
  }
  if (ip.is_fragment || l.truncated) return CsumState::kUnverified;
  std::uint16_t pseudo = 0;
  if (proto != kIpProtoIcmp) {
    if (ip.version == 4) {
      pseudo = PseudoHeaderSumV4(frame.subspan(ip.offset + 12).first<4>(),
                                 frame.subspan(ip.offset + 16).first<4>(), proto,
                                 static_cast<std::uint32_t>(seg.size()));
    } else {
      pseudo = PseudoHeaderSumV6(frame.subspan(ip.offset + 8).first<16>(),
                                 frame.subspan(PseudoDestinationV6(frame, ip)).first<16>(), proto,
                                 static_cast<std::uint32_t>(seg.size()));
    }
  }
  return OnesSumReference(seg, pseudo) == 0xFFFF ? CsumState::kGood : CsumState::kBad;
}

CsumState ExpectedIpv4(Span frame, const L3Layout& l3) {
  if (!l3.present() || l3.version != 4) return CsumState::kAbsent;
  return OnesSumReference(frame.subspan(l3.offset, l3.header_length)) == 0xFFFF ? CsumState::kGood
                                                                               : CsumState::kBad;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> copy = ExactCopy(std::span(data, size));
  const Span frame(copy);
  const FrameLayout l = ClassifyFrame(frame);

  // A wire length beyond the capture changes nothing but `truncated`.
  const FrameLayout cut = ClassifyFrame(frame, size + 1);
  FUZZ_CHECK(cut.truncated && SameLayout(l, cut));
  const FrameLayout same = ClassifyFrame(frame, size);
  FUZZ_CHECK(same.truncated == l.truncated && SameLayout(l, same));

  const auto& err = l.error;
  if (err) {
    FUZZ_CHECK(err->offset <= size);
    FUZZ_CHECK(err->error != ParseError::kCount && err->layer != Layer::kCount);
    if (err->scope == Scope::kInner) FUZZ_CHECK(l.gre.present());
  }
  if (size == 0) {
    FUZZ_CHECK(err && err->layer == Layer::kFrame && err->error == ParseError::kTruncated);
  }
  auto failed_at = [&](Layer layer, Scope scope) {
    return err && err->layer == layer && err->scope == scope;
  };

  // Outer Ethernet.
  if (!l.outer_l2.present()) {
    FUZZ_CHECK(err && (err->layer == Layer::kEthernet || err->layer == Layer::kVlan ||
                       err->layer == Layer::kFrame));
    FUZZ_CHECK(!l.outer_l3.present() && !l.gre.present() && !l.encapsulated());
    return 0;
  }
  FUZZ_CHECK(l.outer_l2.offset == 0);
  CheckL2(frame, l.outer_l2);
  const bool outer_ip_type =
      l.outer_l2.ether_type == kEtherTypeIpv4 || l.outer_l2.ether_type == kEtherTypeIpv6;

  // Outer IP.
  if (!l.outer_l3.present()) {
    FUZZ_CHECK(!outer_ip_type || err);  // no silent stop
    FUZZ_CHECK(!l.gre.present() && !l.encapsulated() && l.outer_l4 == kNoHeader);
    FUZZ_CHECK(!l.inner_l2.present() && !l.inner_l3.present());
    return 0;
  }
  const L3Layout& o3 = l.outer_l3;
  FUZZ_CHECK(outer_ip_type);
  FUZZ_CHECK(o3.version == (l.outer_l2.ether_type == kEtherTypeIpv4 ? 4 : 6));
  FUZZ_CHECK(o3.offset == l.outer_l2.length);
  CheckL3(frame, o3, size, failed_at(Layer::kIpv6Ext, Scope::kOuter));

  // The checksums, whatever else holds.
  const ChecksumReport r = VerifyChecksums(frame, l);
  FUZZ_CHECK(r.outer_ip == ExpectedIpv4(frame, o3));
  FUZZ_CHECK(r.inner_ip == ExpectedIpv4(frame, l.inner_l3));

  // Outer transport (a plain packet).
  if (l.outer_l4 != kNoHeader) {
    FUZZ_CHECK(!l.encapsulated() && !l.gre.present() && !o3.later_fragment);
    FUZZ_CHECK(l.l4_protocol == o3.protocol && Locatable(o3));
    const std::size_t hl = CheckL4(frame, o3, l.outer_l4, o3.protocol);
    FUZZ_CHECK(l.payload == l.outer_l4 + hl && l.payload <= o3.end);
    FUZZ_CHECK(r.outer_l4 == ExpectedTransport(frame, l, o3, l.outer_l4));
  } else {
    FUZZ_CHECK(r.outer_l4 == CsumState::kAbsent);
    if (!l.encapsulated() && !err && !o3.later_fragment) FUZZ_CHECK(!Locatable(o3));  // no silent stop
  }
  if (!l.encapsulated()) {
    FUZZ_CHECK(!l.gre.present() && !l.inner_l2.present() && !l.inner_l3.present());
    FUZZ_CHECK(l.inner_l4 == kNoHeader && r.gre == CsumState::kAbsent);
    FUZZ_CHECK(r.inner_l4 == CsumState::kAbsent && r.inner_ip == CsumState::kAbsent);
    if (!err && !o3.later_fragment) FUZZ_CHECK(o3.protocol != kIpProtoGre);
    if (l.outer_l4 == kNoHeader) FUZZ_CHECK(l.payload == kNoHeader);
    return 0;
  }

  // GRE.
  FUZZ_CHECK(o3.protocol == kIpProtoGre && !o3.later_fragment && l.outer_l4 == kNoHeader);
  FUZZ_CHECK(r.outer_l4 == CsumState::kAbsent);
  if (!l.gre.present()) {
    FUZZ_CHECK(l.encapsulation == Encapsulation::kGreOther && failed_at(Layer::kGre, Scope::kOuter));
    FUZZ_CHECK(!l.inner_l2.present() && !l.inner_l3.present() && l.inner_l4 == kNoHeader);
    return 0;
  }
  const GreLayout& g = l.gre;
  FUZZ_CHECK(g.offset == o3.l4_offset());
  FUZZ_CHECK(g.offset + std::size_t{g.header_length} <= o3.end);
  FUZZ_CHECK(g.header_length == GreHeaderLength(g.flags_version));
  auto gre = GreView::Parse(frame.subspan(g.offset, o3.end - g.offset));
  FUZZ_CHECK(gre.has_value());
  FUZZ_CHECK(gre->flags_version() == g.flags_version && gre->protocol_type() == g.protocol_type);
  FUZZ_CHECK(g.key == (gre->key_present() ? gre->key() : 0u));
  const NvgreViolation gre_rule = CheckNvgre(*gre);
  FUZZ_CHECK(l.nvgre_violation == gre_rule ||
             (gre_rule == NvgreViolation::kNone && l.nvgre_violation == NvgreViolation::kInnerVlan));
  if (g.checksum_present()) {
    if (l.truncated || o3.is_fragment) {
      FUZZ_CHECK(r.gre == CsumState::kUnverified);
    } else {
      const bool ok = OnesSumReference(frame.subspan(g.offset, o3.end - g.offset)) == 0xFFFF;
      FUZZ_CHECK(r.gre == (ok ? CsumState::kGood : CsumState::kBad));
    }
  } else {
    FUZZ_CHECK(r.gre == CsumState::kAbsent);
  }
  const std::size_t inner_start = g.offset + std::size_t{g.header_length};
  if (g.version() != 0) FUZZ_CHECK(l.encapsulation == Encapsulation::kGreOther);
  if (l.encapsulation == Encapsulation::kGreOther) {
    FUZZ_CHECK(!l.inner_l2.present() && !l.inner_l3.present() && l.inner_l4 == kNoHeader);
    FUZZ_CHECK(g.version() != 0 || (g.protocol_type != kGreProtocolTeb &&
                                    g.protocol_type != kEtherTypeIpv4 &&
                                    g.protocol_type != kEtherTypeIpv6));
    FUZZ_CHECK(!l.is_nvgre());
    return 0;
  }

  // Inner Ethernet (TEB) or inner IP directly (L3 GRE). Everything from here lies in the GRE
  // payload, which ends where the outer IP packet ends (RFC 2784 §2).
  std::size_t inner_l3_start = inner_start;
  if (l.encapsulation == Encapsulation::kGreEthernet) {
    FUZZ_CHECK(g.protocol_type == kGreProtocolTeb && g.version() == 0);
    if (!l.inner_l2.present()) {
      FUZZ_CHECK(failed_at(Layer::kEthernet, Scope::kInner) || failed_at(Layer::kVlan, Scope::kInner));
      FUZZ_CHECK(!l.inner_l3.present() && !l.is_nvgre());
      return 0;
    }
    FUZZ_CHECK(l.inner_l2.offset == inner_start);
    CheckL2(frame, l.inner_l2);
    FUZZ_CHECK(std::size_t{l.inner_l2.offset} + l.inner_l2.length <= o3.end);  // in the GRE payload
    FUZZ_CHECK((l.inner_l2.vlan_count != 0 && gre_rule == NvgreViolation::kNone) ==
               (l.nvgre_violation == NvgreViolation::kInnerVlan));
    FUZZ_CHECK(l.is_nvgre() == (l.nvgre_violation == NvgreViolation::kNone));
    if (l.is_nvgre()) {
      FUZZ_CHECK((g.flags_version & 0xF007) == kNvgreFlagsVersion && l.inner_l2.vlan_count == 0);
      FUZZ_CHECK(l.vsid() == VsidOfKey(g.key) && l.flow_id() == FlowIdOfKey(g.key));
    }
    inner_l3_start = std::size_t{l.inner_l2.offset} + l.inner_l2.length;
    const bool ip_type =
        l.inner_l2.ether_type == kEtherTypeIpv4 || l.inner_l2.ether_type == kEtherTypeIpv6;
    if (!ip_type) {
      FUZZ_CHECK(!l.inner_l3.present());
      return 0;
    }
    if (l.inner_l3.present()) {
      FUZZ_CHECK(l.inner_l3.version == (l.inner_l2.ether_type == kEtherTypeIpv4 ? 4 : 6));
    }
  } else {
    FUZZ_CHECK(l.encapsulation == Encapsulation::kGreIp);
    FUZZ_CHECK(g.protocol_type == kEtherTypeIpv4 || g.protocol_type == kEtherTypeIpv6);
    FUZZ_CHECK(!l.inner_l2.present() && !l.is_nvgre());
    if (l.inner_l3.present()) {
      FUZZ_CHECK(l.inner_l3.version == (g.protocol_type == kEtherTypeIpv4 ? 4 : 6));
    }
  }

  // Inner IP.
  if (!l.inner_l3.present()) {
    FUZZ_CHECK(err && err->scope == Scope::kInner);  // no silent stop
    FUZZ_CHECK(l.inner_l4 == kNoHeader && r.inner_l4 == CsumState::kAbsent);
    return 0;
  }
  const L3Layout& i3 = l.inner_l3;
  FUZZ_CHECK(i3.offset == inner_l3_start);
  // Within the GRE payload: the bytes after the outer IP packet are not part of it.
  CheckL3(frame, i3, o3.end, failed_at(Layer::kIpv6Ext, Scope::kInner));

  // Inner transport.
  if (l.inner_l4 == kNoHeader) {
    FUZZ_CHECK(r.inner_l4 == CsumState::kAbsent && l.payload == kNoHeader);
    if (!err && !i3.later_fragment) FUZZ_CHECK(!Locatable(i3));  // no silent stop
    return 0;
  }
  FUZZ_CHECK(!i3.later_fragment && Locatable(i3) && l.l4_protocol == i3.protocol);
  const std::size_t hl = CheckL4(frame, i3, l.inner_l4, i3.protocol);
  FUZZ_CHECK(l.payload == l.inner_l4 + hl && l.payload <= i3.end);
  FUZZ_CHECK(r.inner_l4 == ExpectedTransport(frame, l, i3, l.inner_l4));
  // The chain, in order.
  FUZZ_CHECK(o3.offset < g.offset && g.offset < i3.offset && i3.offset < l.inner_l4 &&
             l.inner_l4 < l.payload && l.payload <= size);
  return 0;
}
