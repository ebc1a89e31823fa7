// Frame classifier (spec §6). See classifier.h for the walk and its guarantees.
#include "nvgre/wire/classifier.h"

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/icmp.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::wire {
namespace {

using Span = std::span<const std::uint8_t>;

class Walker {
 public:
  explicit Walker(Span frame) : frame_(frame) {}

  FrameLayout Run() {
    if (frame_.empty()) {
      Stop({ParseError::kTruncated, Layer::kFrame, Scope::kOuter, 0});
      return out_;
    }
    if (!WalkEthernet(0, Scope::kOuter, out_.outer_l2)) return out_;
    const std::uint16_t type = out_.outer_l2.ether_type;
    if (type != kEtherTypeIpv4 && type != kEtherTypeIpv6) return out_;  // ARP, LLDP, ...: no IP
    if (!WalkIp(out_.outer_l2.offset + out_.outer_l2.length, type == kEtherTypeIpv4 ? 4 : 6,
                Scope::kOuter, out_.outer_l3)) {
      return out_;
    }
    const L3Layout& ip = out_.outer_l3;
    if (ip.later_fragment) return out_;  // no transport header in a non-first fragment
    if (ip.protocol == kIpProtoGre) {
      WalkGre(ip.l4_offset(), ip.end);
    } else {
      out_.outer_l4 = WalkTransport(ip, Scope::kOuter);
    }
    return out_;
  }

 private:
  void Stop(ParseFailure f) { out_.error = f; }

  // Rebases a view's failure (offset relative to `base`) to the frame and marks its scope.
  void StopAt(const ParseFailure& f, std::size_t base, Scope scope) {
    Stop({f.error, f.layer, scope, static_cast<std::uint32_t>(base + f.offset)});
  }

  Span From(std::size_t offset, std::size_t end) const {
    return frame_.subspan(offset, end - offset);
  }

  bool WalkEthernet(std::size_t offset, Scope scope, L2Layout& l2) {
    auto eth = EthernetView::Parse(From(offset, limit_));
    if (!eth) {
      StopAt(eth.error(), offset, scope);
      return false;
    }
    l2.offset = static_cast<std::uint16_t>(offset);
    l2.length = static_cast<std::uint16_t>(eth->header_length());
    l2.vlan_count = static_cast<std::uint8_t>(eth->vlan_count());
    l2.ether_type = eth->ether_type();
    return true;
  }

  // Parses the IP header at `offset`. The IP packet ends where its length field says, clipped
  // to the frame (a snap-length cut sets `truncated` but does not stop the walk).
  bool WalkIp(std::size_t offset, int version, Scope scope, L3Layout& l3) {
    Span rest = From(offset, limit_);
    if (version == 4) {
      auto ip = Ipv4View::Parse(rest, Capture::kMayBeTruncated);
      if (!ip) {
        StopAt(ip.error(), offset, scope);
        return false;
      }
      out_.truncated |= ip->truncated();
      l3.offset = static_cast<std::uint16_t>(offset);
      l3.version = 4;
      l3.header_length = static_cast<std::uint16_t>(ip->header_length());
      l3.protocol = ip->protocol();
      l3.end = static_cast<std::uint32_t>(offset + ip->packet_length());
      l3.length_zero = ip->total_length_zero();
      l3.is_fragment = ip->is_fragment();
      l3.later_fragment = ip->fragment_offset() != 0;
      l3.pseudo_destination = static_cast<std::uint32_t>(offset + 16);
      return true;
    }
    auto ip = Ipv6View::Parse(rest, Capture::kMayBeTruncated);
    if (!ip) {
      StopAt(ip.error(), offset, scope);
      return false;
    }
    out_.truncated |= ip->truncated();
    l3.offset = static_cast<std::uint16_t>(offset);
    l3.version = 6;
    l3.end = static_cast<std::uint32_t>(offset + ip->packet_length());
    l3.length_zero = ip->payload_length_zero();
    l3.pseudo_destination = static_cast<std::uint32_t>(offset + 24);
    auto chain = WalkIpv6Extensions(*ip);
    if (!chain) {
      l3.header_length = 40;
      l3.protocol = ip->next_header();
      StopAt(chain.error(), offset, scope);
      return false;
    }
    l3.header_length = static_cast<std::uint16_t>(chain->upper_offset);
    l3.protocol = chain->upper_protocol;
    l3.is_fragment = chain->is_fragment;
    l3.later_fragment = chain->fragment_offset != 0;
    l3.pseudo_destination = static_cast<std::uint32_t>(offset + chain->final_destination_offset);
    return true;
  }

  // Locates the TCP/UDP/ICMP/ICMPv6 header after `ip`; returns its offset or kNoHeader.
  std::uint16_t WalkTransport(const L3Layout& ip, Scope scope) {
    const std::size_t offset = ip.l4_offset();
    Span l4 = From(offset, ip.end);
    std::size_t header_length = 0;
    switch (ip.protocol) {
      case kIpProtoTcp: {
        auto tcp = TcpView::Parse(l4);
        if (!tcp) return StopAt(tcp.error(), offset, scope), kNoHeader;
        header_length = tcp->header_length();
        break;
      }
      case kIpProtoUdp: {
        auto udp = UdpView::Parse(l4, Capture::kMayBeTruncated);
        if (!udp) return StopAt(udp.error(), offset, scope), kNoHeader;
        header_length = UdpView::kHeaderSize;
        break;
      }
      case kIpProtoIcmp: {
        if (ip.version != 4) return kNoHeader;
        auto icmp = IcmpView::Parse(l4);
        if (!icmp) return StopAt(icmp.error(), offset, scope), kNoHeader;
        header_length = icmp->header_length();
        break;
      }
      case kIpProtoIcmpv6: {
        if (ip.version != 6) return kNoHeader;
        auto icmp = Icmpv6View::Parse(l4);
        if (!icmp) return StopAt(icmp.error(), offset, scope), kNoHeader;
        header_length = icmp->header_length();
        break;
      }
      default:
        return kNoHeader;  // another protocol (GRE in GRE, ESP, ...): no transport header
    }
    out_.l4_protocol = ip.protocol;
    out_.payload = static_cast<std::uint16_t>(offset + header_length);
    return static_cast<std::uint16_t>(offset);
  }

  void WalkGre(std::size_t offset, std::size_t end) {
    auto gre = GreView::Parse(From(offset, end));
    if (!gre) {
      // Not even a GRE header we can size: unknown encapsulation, reported, not guessed (§6).
      out_.encapsulation = Encapsulation::kGreOther;
      StopAt(gre.error(), offset, Scope::kOuter);
      return;
    }
    GreLayout& g = out_.gre;
    g.offset = static_cast<std::uint16_t>(offset);
    g.header_length = static_cast<std::uint8_t>(gre->header_length());
    g.flags_version = gre->flags_version();
    g.protocol_type = gre->protocol_type();
    g.key = gre->key_present() ? gre->key() : 0;
    out_.nvgre_violation = CheckNvgre(*gre);

    const std::size_t inner = offset + gre->header_length();
    // The encapsulated frame ends where the outer IP packet does (not at the frame's end:
    // Ethernet padding or trailing bytes are not part of it).
    limit_ = end;
    if (gre->version() != 0) {
      out_.encapsulation = Encapsulation::kGreOther;  // GREv1 (PPTP) carries PPP
      return;
    }
    switch (g.protocol_type) {
      case kGreProtocolTeb: {
        out_.encapsulation = Encapsulation::kGreEthernet;
        if (!WalkEthernet(inner, Scope::kInner, out_.inner_l2)) return;
        // RFC 7637 §3.2: the inner Ethernet header MUST NOT carry an 802.1Q tag.
        if (out_.inner_l2.vlan_count != 0 && out_.nvgre_violation == NvgreViolation::kNone) {
          out_.nvgre_violation = NvgreViolation::kInnerVlan;
        }
        const std::uint16_t type = out_.inner_l2.ether_type;
        if (type == kEtherTypeIpv4 || type == kEtherTypeIpv6) {
          WalkInnerIp(out_.inner_l2.offset + out_.inner_l2.length, type == kEtherTypeIpv4 ? 4 : 6);
        }
        return;
      }
      case kEtherTypeIpv4:
      case kEtherTypeIpv6:
        out_.encapsulation = Encapsulation::kGreIp;
        WalkInnerIp(inner, g.protocol_type == kEtherTypeIpv4 ? 4 : 6);
        return;
      default:
        out_.encapsulation = Encapsulation::kGreOther;
        return;
    }
  }

  void WalkInnerIp(std::size_t offset, int version) {
    if (!WalkIp(offset, version, Scope::kInner, out_.inner_l3)) return;
    if (out_.inner_l3.later_fragment) return;
    out_.inner_l4 = WalkTransport(out_.inner_l3, Scope::kInner);
  }

  Span frame_;
  std::size_t limit_ = frame_.size();  // end of the region being walked (outer IP end once in GRE)
  FrameLayout out_;
};

// Checksum of the transport header at `l4` (TCP/UDP over the pseudo-header, ICMP without,
// ICMPv6 with), covering l4 .. ip.end.
CsumState TransportChecksum(Span frame, const FrameLayout& layout, const L3Layout& ip,
                            std::uint16_t l4, bool truncated) {
  if (l4 == kNoHeader) return CsumState::kAbsent;
  Span segment = frame.subspan(l4, ip.end - l4);
  const std::uint8_t proto = layout.l4_protocol;
  if (proto == kIpProtoUdp) {
    auto udp = UdpView::Parse(segment, Capture::kMayBeTruncated);
    if (!udp) return CsumState::kAbsent;
    if (udp->checksum() == 0 && ip.version == 4) return CsumState::kAbsent;  // RFC 768
    // RFC 8200 §8.1: over IPv6 a zero UDP checksum is never "none" and must be discarded, even
    // when the datagram's sum folds to 0xFFFF (0x0000 and 0xFFFF are both one's-complement 0).
    if (udp->checksum() == 0) return CsumState::kBad;
    segment = segment.first(udp->datagram_length());
  }
  // A first fragment carries only part of the datagram; a snap-length cut loses bytes.
  if (ip.is_fragment || truncated) return CsumState::kUnverified;
  bool ok = false;
  Span ip_bytes = frame.subspan(ip.offset);
  if (proto == kIpProtoIcmp) {
    ok = ChecksumVerifies(segment);
  } else if (ip.version == 4) {
    auto v4 = Ipv4View::Parse(ip_bytes, Capture::kMayBeTruncated);
    if (!v4) return CsumState::kAbsent;
    ok = L4ChecksumVerifiesV4(v4->bytes().subspan<12, 4>(), v4->bytes().subspan<16, 4>(), proto,
                              segment);
  } else {
    auto v6 = Ipv6View::Parse(ip_bytes, Capture::kMayBeTruncated);
    if (!v6) return CsumState::kAbsent;
    // RFC 8200 §8.1: the final destination (a Routing header's last address while Segments
    // Left > 0), not necessarily the Destination Address field.
    ok = L4ChecksumVerifiesV6(v6->bytes().subspan<8, 16>(),
                              frame.subspan(ip.pseudo_destination).first<16>(), proto,
                              segment);
  }
  return ok ? CsumState::kGood : CsumState::kBad;
}

CsumState Ipv4HeaderChecksum(Span frame, const L3Layout& ip) {
  if (!ip.present() || ip.version != 4) return CsumState::kAbsent;
  return ChecksumVerifies(frame.subspan(ip.offset, ip.header_length)) ? CsumState::kGood
                                                                      : CsumState::kBad;
}

}  // namespace

FrameLayout ClassifyFrame(std::span<const std::uint8_t> frame, std::size_t wire_length) {
  FrameLayout layout = Walker(frame).Run();
  layout.truncated |= wire_length > frame.size();
  return layout;
}

std::string_view ToString(CsumState s) {
  switch (s) {
    case CsumState::kAbsent: return "absent";
    case CsumState::kGood: return "good";
    case CsumState::kBad: return "bad";
    case CsumState::kUnverified: return "unverified";
  }
  return "?";
}

ChecksumReport VerifyChecksums(std::span<const std::uint8_t> frame, const FrameLayout& layout) {
  ChecksumReport r;
  r.outer_ip = Ipv4HeaderChecksum(frame, layout.outer_l3);
  r.inner_ip = Ipv4HeaderChecksum(frame, layout.inner_l3);
  if (layout.gre.present() && layout.gre.checksum_present()) {
    // RFC 2784 §2.5: over the GRE header and payload, i.e. to the end of the outer IP packet.
    const L3Layout& ip = layout.outer_l3;
    if (layout.truncated || ip.is_fragment) {
      r.gre = CsumState::kUnverified;
    } else {
      r.gre = ChecksumVerifies(frame.subspan(layout.gre.offset, ip.end - layout.gre.offset))
                  ? CsumState::kGood
                  : CsumState::kBad;
    }
  }
  if (layout.encapsulated()) {
    r.inner_l4 = TransportChecksum(frame, layout, layout.inner_l3, layout.inner_l4, layout.truncated);
  } else {
    r.outer_l4 = TransportChecksum(frame, layout, layout.outer_l3, layout.outer_l4, layout.truncated);
  }
  return r;
}

}  // namespace nvgre::wire
