// NVGRE encapsulation: see encap.h.
#include "nvgre/virt/encap.h"

#include <algorithm>

#include "nvgre/virt/flow_hash.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::virt {
namespace {

using wire::EthernetView;

// What encapsulation needs to know about the inner frame.
struct InnerInfo {
  std::size_t tag_bytes = 0;        // 4 per VLAN tag, all stripped
  std::size_t stripped_length = 0;  // inner frame length after stripping
  bool is_ip = false;               // an inner IPv4/IPv6 header parsed
  std::uint8_t tos = 0;             // its DSCP << 2 | ECN (IPv4 TOS / IPv6 Traffic Class)
};

Expected<InnerInfo, EncapError> InspectInner(std::span<const std::uint8_t> inner) {
  auto eth = EthernetView::Parse(inner);
  if (!eth) {
    // kTruncated: the header or a tag is cut short; kUnsupported: a fifth tag.
    return Unexpected{eth.error().error == wire::ParseError::kUnsupported
                          ? EncapError::kInnerTooManyTags
                          : EncapError::kInnerTooShort};
  }
  InnerInfo info;
  info.tag_bytes = eth->vlan_count() * EthernetView::kVlanTagSize;
  info.stripped_length = inner.size() - info.tag_bytes;
  // The DSCP/ECN source. A header cut short by the frame end still has its TOS octet; a header
  // that does not parse at all makes the frame "not IP" (DSCP 0, Not-ECT).
  if (eth->ether_type() == wire::kEtherTypeIpv4) {
    if (auto ip = wire::Ipv4View::Parse(eth->payload(), wire::Capture::kMayBeTruncated)) {
      info.is_ip = true;
      info.tos = ip->tos();
    }
  } else if (eth->ether_type() == wire::kEtherTypeIpv6) {
    if (auto ip = wire::Ipv6View::Parse(eth->payload(), wire::Capture::kMayBeTruncated)) {
      info.is_ip = true;
      info.tos = ip->traffic_class();
    }
  }
  return info;
}

// Everything that does not depend on the packet's bytes beyond InnerInfo.
Expected<std::size_t, EncapError> CheckLengths(const EncapConfig& config, const InnerInfo& info) {
  const bool v6 = std::holds_alternative<OuterIpv6>(config.outer_ip);
  // IPv4 Total Length = 20 + 8 + inner; IPv6 Payload Length = 8 + inner (16-bit fields).
  const std::size_t ip_payload = wire::kNvgreHeaderSize + info.stripped_length;
  const std::size_t ip_header = v6 ? wire::Ipv6View::kHeaderSize : wire::Ipv4View::kMinHeaderSize;
  if ((v6 ? ip_payload : ip_header + ip_payload) > 0xFFFF) {
    return Unexpected{EncapError::kInnerTooLong};
  }
  if (config.outer_mtu != 0 && ip_header + ip_payload > config.outer_mtu) {
    return Unexpected{EncapError::kExceedsMtu};  // RFC 7637 §4: refuse, never fragment
  }
  return OuterHeaderLength(config);
}

// Writes the outer headers into `hdr` (exactly OuterHeaderLength(config) bytes) for an inner
// frame of info.stripped_length bytes whose flow hashes to `hash` (computed only if needed).
EncapResult EmitOuter(std::span<std::uint8_t> hdr, const EncapConfig& config,
                      const InnerInfo& info, std::span<const std::uint8_t> inner_for_hash,
                      std::uint16_t& next_ipv4_id) {
  const bool v6 = std::holds_alternative<OuterIpv6>(config.outer_ip);
  const bool need_hash =
      config.flow_id == kFlowIdFromHash || (v6 && config.ipv6_flow_label_from_hash);
  const std::uint32_t hash = need_hash ? InnerFlowHash(inner_for_hash) : 0;

  EncapResult r;
  r.outer_header_length = hdr.size();
  r.frame_length = hdr.size() + info.stripped_length;
  r.inner_vlan_tags_stripped = static_cast<std::uint8_t>(info.tag_bytes / 4);
  r.flow_id = config.flow_id == kFlowIdFromHash ? FlowIdOfHash(hash)
                                                : static_cast<std::uint8_t>(config.flow_id);

  // DSCP: RFC 2983 §3 uniform model (copy) or pipe model (fixed). ECN: RFC 6040 §4.1.
  const std::uint8_t inner_dscp = info.is_ip ? static_cast<std::uint8_t>(info.tos >> 2) : 0;
  const std::uint8_t inner_ecn = info.is_ip ? static_cast<std::uint8_t>(info.tos & kEcnMask)
                                            : kEcnNotEct;
  const std::uint8_t dscp = config.dscp_mode == DscpMode::kFixed ? config.dscp : inner_dscp;
  const std::uint8_t tos =
      static_cast<std::uint8_t>((dscp << 2) | OuterEcnOnEncap(inner_ecn, config.ecn_mode));

  wire::EthernetRepr eth;
  eth.destination = config.outer_destination_mac;
  eth.source = config.outer_source_mac;
  if (config.outer_vlan) {
    eth.vlan_count = 1;
    eth.vlans[0] = wire::VlanTag{
        wire::kEtherTypeVlan,
        wire::VlanTag::MakeTci(config.outer_vlan->pcp, config.outer_vlan->dei, config.outer_vlan->vid)};
  }
  eth.ether_type = v6 ? wire::kEtherTypeIpv6 : wire::kEtherTypeIpv4;
  eth.Emit(hdr);
  std::size_t off = eth.header_length();

  const std::size_t ip_payload = wire::kNvgreHeaderSize + info.stripped_length;
  if (const auto* a6 = std::get_if<OuterIpv6>(&config.outer_ip)) {
    wire::Ipv6Repr ip;
    ip.traffic_class = tos;
    ip.flow_label = config.ipv6_flow_label_from_hash ? FlowLabelOfHash(hash)  // RFC 6438 §3
                                                     : config.ipv6_flow_label;
    ip.payload_length = static_cast<std::uint16_t>(ip_payload);
    ip.next_header = wire::kIpProtoGre;
    ip.hop_limit = config.ttl;
    ip.source = a6->source;
    ip.destination = a6->destination;
    ip.Emit(hdr.subspan(off));
    off += wire::Ipv6View::kHeaderSize;
  } else {
    const auto& a4 = std::get<OuterIpv4>(config.outer_ip);
    wire::Ipv4Repr ip;
    ip.tos = tos;
    ip.total_length = static_cast<std::uint16_t>(wire::Ipv4View::kMinHeaderSize + ip_payload);
    ip.identification = next_ipv4_id;
    ip.dont_fragment = config.dont_fragment;
    ip.ttl = config.ttl;
    ip.protocol = wire::kIpProtoGre;
    ip.source = a4.source;
    ip.destination = a4.destination;
    ip.Emit(hdr.subspan(off));  // fills the header checksum (RFC 791 §3.1)
    off += wire::Ipv4View::kMinHeaderSize;
    next_ipv4_id = static_cast<std::uint16_t>(next_ipv4_id + 1);
    r.used_ipv4_id = true;
  }
  // RFC 7637 §3.2: C=0 K=1 S=0 Ver=0, protocol 0x6558, Key = VSID << 8 | FlowID.
  wire::NvgreRepr{config.vsid, r.flow_id}.Emit(hdr.subspan(off));
  return r;
}

}  // namespace

std::optional<EncapError> CheckEncapConfig(const EncapConfig& config) {
  if (config.vsid > wire::kMaxVsid) return EncapError::kVsidTooLarge;
  if (wire::IsReservedVsid(config.vsid) && !config.allow_reserved_vsid) {
    return EncapError::kReservedVsid;
  }
  if (config.flow_id > 0xFF && config.flow_id != kFlowIdFromHash) return EncapError::kBadFlowId;
  if (config.outer_vlan && (config.outer_vlan->vid >= 0xFFF || config.outer_vlan->pcp > 7)) {
    return EncapError::kBadOuterVlan;
  }
  if (config.dscp_mode == DscpMode::kFixed && config.dscp > 63) return EncapError::kBadDscp;
  if (std::holds_alternative<OuterIpv6>(config.outer_ip) && !config.ipv6_flow_label_from_hash &&
      config.ipv6_flow_label > 0xFFFFF) {
    return EncapError::kBadFlowLabel;
  }
  return std::nullopt;
}

Expected<EncapResult, EncapError> Encapsulate(std::span<const std::uint8_t> inner,
                                              const EncapConfig& config,
                                              std::span<std::uint8_t> out,
                                              std::uint16_t& next_ipv4_id) {
  if (auto e = CheckEncapConfig(config)) return Unexpected{*e};
  auto info = InspectInner(inner);
  if (!info) return Unexpected{info.error()};
  auto header_length = CheckLengths(config, *info);
  if (!header_length) return Unexpected{header_length.error()};
  if (out.size() < *header_length + info->stripped_length) {
    return Unexpected{EncapError::kBufferTooSmall};
  }
  EncapResult r = EmitOuter(out.first(*header_length), config, *info, inner, next_ipv4_id);
  // The inner frame minus its tags (RFC 7637 §3.2): MACs, then from the innermost type field on.
  auto dst = out.begin() + static_cast<std::ptrdiff_t>(*header_length);
  dst = std::copy_n(inner.begin(), 12, dst);
  std::copy(inner.begin() + static_cast<std::ptrdiff_t>(12 + info->tag_bytes), inner.end(), dst);
  return r;
}

Expected<EncapResult, EncapError> EncapsulateInPlace(PacketBuffer& packet,
                                                     const EncapConfig& config,
                                                     std::uint16_t& next_ipv4_id) {
  if (auto e = CheckEncapConfig(config)) return Unexpected{*e};
  std::span<std::uint8_t> inner = packet.data();
  auto info = InspectInner(inner);
  if (!info) return Unexpected{info.error()};
  auto header_length = CheckLengths(config, *info);
  if (!header_length) return Unexpected{header_length.error()};
  if (packet.headroom() + info->tag_bytes < *header_length) {
    return Unexpected{EncapError::kHeadroomTooSmall};
  }
  if (info->tag_bytes != 0) {
    // RFC 7637 §3.2: strip the tags by sliding the two MAC addresses over them.
    std::copy_backward(inner.begin(), inner.begin() + 12,
                       inner.begin() + static_cast<std::ptrdiff_t>(12 + info->tag_bytes));
    packet.Pull(info->tag_bytes);
  }
  // The flow key ignores VLAN tags, so hashing the stripped frame gives what Encapsulate gets.
  std::span<const std::uint8_t> stripped = packet.data();
  std::span<std::uint8_t> hdr = packet.Prepend(*header_length);
  return EmitOuter(hdr, config, *info, stripped, next_ipv4_id);
}

}  // namespace nvgre::virt
