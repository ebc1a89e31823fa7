// The virtual network's ARP / Neighbor Discovery answers and ICMP "too big" messages: RFC 826,
// RFC 4861 §4.3, §4.4, §7.1.1, §7.2.4, RFC 792 / RFC 1191 §4, RFC 4443 §3.2. See neighbor.h.
#include "nvgre/virt/neighbor.h"

#include <algorithm>
#include <array>
#include <optional>
#include <variant>

#include "nvgre/wire/arp.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/icmp.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::virt {
namespace {

using wire::Ipv4Address;
using wire::Ipv6Address;
using wire::MacAddress;

constexpr std::array<std::string_view, kNeighborIgnoreCount> kNames{
#define NVGRE_X(value, name, help) name,
    NVGRE_NEIGHBOR_IGNORES(NVGRE_X)
#undef NVGRE_X
};
constexpr std::array<std::string_view, kNeighborIgnoreCount> kHelp{
#define NVGRE_X(value, name, help) help,
    NVGRE_NEIGHBOR_IGNORES(NVGRE_X)
#undef NVGRE_X
};

constexpr std::size_t kEthernetSize = wire::EthernetView::kHeaderSize;  // untagged, 14
constexpr std::size_t kIpv4HeaderSize = wire::Ipv4View::kMinHeaderSize;  // 20, no options
constexpr std::size_t kIpv6HeaderSize = wire::Ipv6View::kHeaderSize;     // 40
constexpr std::size_t kIcmpHeaderSize = wire::IcmpRepr::kSize;           // 8

// RFC 4861 §4.3 / §4.4: type, code, checksum, 4 bytes (reserved / flags), 16-byte target.
constexpr std::size_t kNdMinSize = 24;
constexpr std::size_t kNdTargetOffset = 8;
// RFC 4861 §4.6 option types; §4.6.1 Ethernet link-layer option: 8 bytes (RFC 2464 §6).
constexpr std::uint8_t kNdOptSourceLinkLayer = 1;
constexpr std::uint8_t kNdOptTargetLinkLayer = 2;
constexpr std::size_t kNdLinkLayerOptionSize = 8;
constexpr std::uint8_t kNdHopLimit = 255;  // RFC 4861 §7.1.1 / §7.2.4
// RFC 4861 §4.4: R (router) 0x80, S (solicited) 0x40, O (override) 0x20 in the first byte.
constexpr std::uint32_t kNaFlagsSolicitedOverride = 0x60000000;

constexpr std::size_t kArpReplySize = kEthernetSize + wire::ArpRepr::kSize;  // 42
constexpr std::size_t kNaMessageSize = kNdMinSize + kNdLinkLayerOptionSize;   // 32
constexpr std::size_t kNaSize = kEthernetSize + kIpv6HeaderSize + kNaMessageSize;
static_assert(kNaSize == kMaxNeighborReply);

// RFC 1812 §4.3.2.3: an ICMPv4 error quotes as much of the offending datagram as keeps it
// within 576 bytes. RFC 4443 §2.4 (c): an ICMPv6 error stays within the minimum MTU, 1280.
constexpr std::size_t kIcmpv4ErrorMaxDatagram = 576;
constexpr std::size_t kIpv6MinMtu = 1280;
static_assert(kMaxPacketTooBig == kEthernetSize + kIpv6MinMtu);
constexpr std::uint32_t kIpv4MinMtu = 68;   // RFC 791 §3.2: every module forwards 68 bytes
constexpr std::uint8_t kIcmpCodeFragNeeded = 4;  // RFC 792 / RFC 1191 §4
constexpr std::uint8_t kIcmpErrorTtl = 64;
constexpr std::uint8_t kIcmpv4ErrorTos = 0xC0;  // precedence 6, RFC 1812 §4.3.2.5

constexpr Ipv4Address kIpv4Zero{};
constexpr Ipv6Address kIpv6Unspecified{};

// The Ethernet header of a frame a VM sent: untagged, or one 802.1Q (0x8100) tag.
std::optional<wire::EthernetView> VmEthernet(std::span<const std::uint8_t> frame) {
  auto eth = wire::EthernetView::Parse(frame);
  if (!eth) return std::nullopt;
  if (eth->vlan_count() > 1) return std::nullopt;
  if (eth->vlan_count() == 1 && eth->vlan(0).tpid != wire::kEtherTypeVlan) return std::nullopt;
  return *eth;
}

constexpr bool IsLimitedBroadcast(const Ipv4Address& a) {
  return a == Ipv4Address{0xFF, 0xFF, 0xFF, 0xFF};
}
// RFC 1122 §3.2.2 / §3.2.1.3: an address that names a single host: not 0/8 ("this network"),
// 127/8 (loopback), 224/4 (multicast), 240/4 (reserved, incl. 255.255.255.255).
constexpr bool IsIpv4SingleHost(const Ipv4Address& a) {
  return a[0] != 0 && a[0] != 127 && a[0] < 224;
}
// RFC 4443 §2.4 (e.6), RFC 4291 §2.5.2-§2.5.3, §2.7: not ::, ::1 or ff00::/8.
constexpr bool IsIpv6SingleHost(const Ipv6Address& a) {
  constexpr Ipv6Address kLoopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a != kIpv6Unspecified && a != kLoopback && a[0] != 0xFF;
}
// RFC 4291 §2.7.1: solicited-node multicast ff02::1:ff00:0/104.
constexpr bool IsSolicitedNodeMulticast(const Ipv6Address& a) {
  constexpr std::array<std::uint8_t, 13> kPrefix{0xFF, 0x02, 0, 0, 0, 0, 0, 0,
                                                 0,    0,    0, 1, 0xFF};
  return std::equal(kPrefix.begin(), kPrefix.end(), a.begin());
}
// RFC 1122 §3.2.2: the ICMP error messages (Destination Unreachable, Source Quench, Redirect,
// Time Exceeded, Parameter Problem) that must never be answered with an error.
constexpr bool IsIcmpv4Error(std::uint8_t type) {
  return type == wire::kIcmpDestinationUnreachable || type == 4 /* Source Quench */ ||
         type == wire::kIcmpRedirect || type == wire::kIcmpTimeExceeded ||
         type == wire::kIcmpParameterProblem;
}

Expected<NeighborQuery, NeighborIgnore> ParseArp(const wire::EthernetView& eth) {
  using R = NeighborIgnore;
  auto view = wire::ArpView::Parse(eth.payload());
  if (!view) return Unexpected{R::kArpMalformed};
  auto arp = wire::ArpRepr::Parse(*view);  // RFC 826 over Ethernet for IPv4 only
  if (!arp) return Unexpected{R::kArpMalformed};
  // IEEE 802.3 §3.2.3: a source address is an individual address. The answer goes to it.
  if (IsMulticastMac(eth.source())) return Unexpected{R::kArpMalformed};
  const Ipv4Address& spa = arp->sender_protocol_address;
  if (IsMulticastIp(spa) || IsLimitedBroadcast(spa)) return Unexpected{R::kArpMalformed};
  if (arp->operation != wire::kArpOperationRequest) return Unexpected{R::kArpNotRequest};
  // RFC 5227 §2.1.1 probe (sender 0.0.0.0) and §3 announcement (sender = target): nobody is
  // waiting for an answer, and answering a probe would make its sender give up the address.
  if (spa == kIpv4Zero || spa == arp->target_protocol_address) {
    return Unexpected{R::kArpGratuitous};
  }
  NeighborQuery q;
  q.kind = NeighborKind::kArpRequest;
  q.requester_mac = eth.source();
  q.requester_ip = spa;
  q.target_ip = arp->target_protocol_address;
  return q;
}

Expected<NeighborQuery, NeighborIgnore> ParseNs(const wire::EthernetView& eth) {
  using R = NeighborIgnore;
  // A cut-short NS must still be recognised as one: parse the IPv6 header leniently first.
  auto ip = wire::Ipv6View::Parse(eth.payload(), wire::Capture::kMayBeTruncated);
  if (!ip) return Unexpected{R::kNotNeighborQuery};
  auto chain = wire::WalkIpv6Extensions(*ip);
  if (!chain || chain->upper_protocol != wire::kIpProtoIcmpv6) {
    return Unexpected{R::kNotNeighborQuery};
  }
  if (chain->is_fragment && chain->fragment_offset != 0) {
    return Unexpected{R::kNotNeighborQuery};  // fragment data: no ICMPv6 header here
  }
  const std::size_t end = ip->packet_length();  // clipped to the frame when truncated()
  if (chain->upper_offset >= end) return Unexpected{R::kNotNeighborQuery};
  const auto message = ip->bytes().subspan(chain->upper_offset, end - chain->upper_offset);
  if (message[0] != wire::kIcmpv6NeighborSolicitation) return Unexpected{R::kNotNeighborQuery};

  // From here on it is a Neighbor Solicitation; RFC 4861 §7.1.1 validity checks.
  if (ip->truncated()) return Unexpected{R::kNdMalformed};
  if (chain->fragment_header) return Unexpected{R::kNdMalformed};  // RFC 6980 §5
  if (IsMulticastMac(eth.source())) return Unexpected{R::kNdMalformed};
  const Ipv6Address source = ip->source();
  if (source[0] == 0xFF) return Unexpected{R::kNdMalformed};  // RFC 4291 §2.7
  if (ip->hop_limit() != kNdHopLimit) return Unexpected{R::kNdMalformed};
  auto icmp = wire::Icmpv6View::Parse(message);
  if (!icmp) return Unexpected{R::kNdMalformed};
  // RFC 4443 §2.3: the checksum covers the RFC 8200 §8.1 pseudo-header (addresses, the
  // message length as upper-layer length, next header 58) and the whole message.
  if (!icmp->ChecksumVerifies(ip->source_bytes(), ip->destination_bytes())) {
    return Unexpected{R::kNdMalformed};
  }
  if (icmp->code() != 0) return Unexpected{R::kNdMalformed};
  if (message.size() < kNdMinSize) return Unexpected{R::kNdMalformed};
  Ipv6Address target;
  std::copy_n(message.begin() + kNdTargetOffset, target.size(), target.begin());
  if (target[0] == 0xFF) return Unexpected{R::kNdTargetMulticast};

  // RFC 4861 §4.6: type, length in units of 8 bytes (0 is invalid), value.
  bool source_link_layer = false;
  for (std::size_t off = kNdMinSize; off < message.size();) {
    if (message.size() - off < 2) return Unexpected{R::kNdMalformed};
    const std::size_t length = std::size_t{message[off + 1]} * 8;
    if (length == 0 || length > message.size() - off) return Unexpected{R::kNdMalformed};
    if (message[off] == kNdOptSourceLinkLayer) {
      if (length != kNdLinkLayerOptionSize) return Unexpected{R::kNdMalformed};
      source_link_layer = true;
    }
    off += length;
  }

  if (source == kIpv6Unspecified) {
    // §7.1.1: from :: only to a solicited-node address and without Source Link-Layer Address.
    if (source_link_layer || !IsSolicitedNodeMulticast(ip->destination())) {
      return Unexpected{R::kNdMalformed};
    }
    return Unexpected{R::kNdDad};
  }
  NeighborQuery q;
  q.kind = NeighborKind::kNeighborSolicitation;
  q.requester_mac = eth.source();
  q.requester_ip = source;
  q.target_ip = target;
  return q;
}

void EmitEthernet(const MacAddress& destination, const MacAddress& source,
                  std::uint16_t ether_type, std::span<std::uint8_t> out) {
  wire::EthernetRepr eth;
  eth.destination = destination;
  eth.source = source;
  eth.ether_type = ether_type;
  eth.Emit(out);
}

std::size_t BuildFragmentationNeeded(const wire::EthernetView& eth, std::uint32_t mtu,
                                     std::span<std::uint8_t> out) {
  if (mtu < kIpv4MinMtu || mtu > 0xFFFF) return 0;  // RFC 1191 §4: a 16-bit field
  auto ip = wire::Ipv4View::Parse(eth.payload());
  if (!ip || !ip->header_checksum_valid()) return 0;
  if (ip->fragment_offset() != 0) return 0;  // RFC 1122 §3.2.2: non-initial fragment
  const Ipv4Address source = ip->source();
  const Ipv4Address destination = ip->destination();
  if (!IsIpv4SingleHost(source) || !IsIpv4SingleHost(destination)) return 0;
  if (ip->protocol() == wire::kIpProtoIcmp) {
    const auto icmp = ip->payload();
    if (icmp.empty() || IsIcmpv4Error(icmp[0])) return 0;
  }
  // RFC 792: the internet header plus at least 64 bits of data; RFC 1812 §4.3.2.3: as much as
  // fits in 576 bytes.
  const std::size_t quote = std::min(
      ip->packet_length(), kIcmpv4ErrorMaxDatagram - kIpv4HeaderSize - kIcmpHeaderSize);
  const std::size_t ip_length = kIpv4HeaderSize + kIcmpHeaderSize + quote;
  const std::size_t total = kEthernetSize + ip_length;
  if (out.size() < total) return 0;

  // The far end answers: from the packet's destination back to its source.
  EmitEthernet(eth.source(), eth.destination(), wire::kEtherTypeIpv4, out);
  wire::Ipv4Repr reply;
  reply.tos = kIcmpv4ErrorTos;
  reply.total_length = static_cast<std::uint16_t>(ip_length);
  reply.dont_fragment = true;  // RFC 6864 §4: atomic, so ID 0 is fine
  reply.ttl = kIcmpErrorTtl;
  reply.protocol = wire::kIpProtoIcmp;
  reply.source = destination;
  reply.destination = source;
  reply.Emit(out.subspan(kEthernetSize, kIpv4HeaderSize));
  const auto message = out.subspan(kEthernetSize + kIpv4HeaderSize, kIcmpHeaderSize + quote);
  // RFC 1191 §4: type 3 code 4, 16 unused bits, then the Next-Hop MTU.
  wire::IcmpRepr{wire::kIcmpDestinationUnreachable, kIcmpCodeFragNeeded, 0, mtu}.Emit(message);
  std::copy_n(ip->bytes().begin(), quote, message.begin() + kIcmpHeaderSize);
  wire::IcmpMutView::Unchecked(message).FillChecksum();
  return total;
}

std::size_t BuildIpv6PacketTooBig(const wire::EthernetView& eth, std::uint32_t mtu,
                                  std::span<std::uint8_t> out) {
  if (mtu < kIpv6MinMtu) return 0;
  auto ip = wire::Ipv6View::Parse(eth.payload());
  if (!ip) return 0;
  const Ipv6Address source = ip->source();
  const Ipv6Address destination = ip->destination();
  if (!IsIpv6SingleHost(source) || !IsIpv6SingleHost(destination)) return 0;
  auto chain = wire::WalkIpv6Extensions(*ip);
  if (!chain) return 0;
  // RFC 4443 §2.4 (e.1): never answer an ICMPv6 error. A non-first fragment shows no header.
  if (chain->upper_protocol == wire::kIpProtoIcmpv6 &&
      !(chain->is_fragment && chain->fragment_offset != 0)) {
    if (chain->upper_offset >= ip->packet_length()) return 0;
    if (ip->bytes()[chain->upper_offset] < 128) return 0;  // RFC 4443 §2.1: types 0-127
  }
  // RFC 4443 §3.2: "As much of invoking packet as possible without the ICMPv6 packet
  // exceeding the minimum IPv6 MTU".
  const std::size_t quote =
      std::min(ip->packet_length(), kIpv6MinMtu - kIpv6HeaderSize - kIcmpHeaderSize);
  const std::size_t icmp_length = kIcmpHeaderSize + quote;
  const std::size_t total = kEthernetSize + kIpv6HeaderSize + icmp_length;
  if (out.size() < total) return 0;

  EmitEthernet(eth.source(), eth.destination(), wire::kEtherTypeIpv6, out);
  wire::Ipv6Repr reply;
  reply.payload_length = static_cast<std::uint16_t>(icmp_length);
  reply.next_header = wire::kIpProtoIcmpv6;
  reply.hop_limit = kIcmpErrorTtl;
  reply.source = destination;
  reply.destination = source;
  reply.Emit(out.subspan(kEthernetSize, kIpv6HeaderSize));
  const auto message = out.subspan(kEthernetSize + kIpv6HeaderSize, icmp_length);
  wire::IcmpRepr{wire::kIcmpv6PacketTooBig, 0, 0, mtu}.Emit(message);
  std::copy_n(ip->bytes().begin(), quote, message.begin() + kIcmpHeaderSize);
  wire::Icmpv6MutView::Unchecked(message).FillChecksum(reply.source, reply.destination);
  return total;
}

}  // namespace

std::string_view ToString(NeighborIgnore r) {
  const auto i = static_cast<std::size_t>(r);
  return i < kNames.size() ? kNames[i] : "?";
}

std::string_view HelpText(NeighborIgnore r) {
  const auto i = static_cast<std::size_t>(r);
  return i < kHelp.size() ? kHelp[i] : "?";
}

Expected<NeighborQuery, NeighborIgnore> ParseNeighborQuery(std::span<const std::uint8_t> frame) {
  auto eth = VmEthernet(frame);
  if (!eth) return Unexpected{NeighborIgnore::kNotNeighborQuery};
  switch (eth->ether_type()) {
    case wire::kEtherTypeArp: return ParseArp(*eth);
    case wire::kEtherTypeIpv6: return ParseNs(*eth);
    default: return Unexpected{NeighborIgnore::kNotNeighborQuery};
  }
}

std::size_t BuildNeighborReply(const NeighborQuery& query, const wire::MacAddress& answer,
                               std::span<std::uint8_t> out) {
  if (query.kind == NeighborKind::kArpRequest) {
    const auto* requester_ip = std::get_if<Ipv4Address>(&query.requester_ip);
    const auto* target_ip = std::get_if<Ipv4Address>(&query.target_ip);
    if (requester_ip == nullptr || target_ip == nullptr || out.size() < kArpReplySize) return 0;
    EmitEthernet(query.requester_mac, answer, wire::kEtherTypeArp, out);
    // RFC 826 "Packet Reception": swap sender and target, fill in the answer, opcode reply.
    wire::ArpRepr reply;
    reply.operation = wire::kArpOperationReply;
    reply.sender_hardware_address = answer;
    reply.sender_protocol_address = *target_ip;
    reply.target_hardware_address = query.requester_mac;
    reply.target_protocol_address = *requester_ip;
    reply.Emit(out.subspan(kEthernetSize, wire::ArpRepr::kSize));
    return kArpReplySize;
  }

  const auto* requester_ip = std::get_if<Ipv6Address>(&query.requester_ip);
  const auto* target_ip = std::get_if<Ipv6Address>(&query.target_ip);
  if (requester_ip == nullptr || target_ip == nullptr || out.size() < kNaSize) return 0;
  EmitEthernet(query.requester_mac, answer, wire::kEtherTypeIpv6, out);
  // RFC 4861 §7.2.4: a solicited advertisement goes to the solicitation's source (unicast:
  // DAD is never answered, so it is never ::), from the target address, hop limit 255.
  wire::Ipv6Repr ip;
  ip.payload_length = static_cast<std::uint16_t>(kNaMessageSize);
  ip.next_header = wire::kIpProtoIcmpv6;
  ip.hop_limit = kNdHopLimit;
  ip.source = *target_ip;
  ip.destination = *requester_ip;
  ip.Emit(out.subspan(kEthernetSize, kIpv6HeaderSize));
  // RFC 4861 §4.4: type 136, code 0, R=0 S=1 O=1, the target, Target Link-Layer Address.
  const auto message = out.subspan(kEthernetSize + kIpv6HeaderSize, kNaMessageSize);
  wire::IcmpRepr{wire::kIcmpv6NeighborAdvertisement, 0, 0, kNaFlagsSolicitedOverride}.Emit(
      message);
  std::copy(target_ip->begin(), target_ip->end(), message.begin() + kNdTargetOffset);
  message[kNdMinSize] = kNdOptTargetLinkLayer;
  message[kNdMinSize + 1] = 1;  // length in units of 8 bytes
  std::copy(answer.begin(), answer.end(), message.begin() + kNdMinSize + 2);
  wire::Icmpv6MutView::Unchecked(message).FillChecksum(ip.source, ip.destination);
  return kNaSize;
}

std::size_t BuildPacketTooBig(std::span<const std::uint8_t> frame, std::uint32_t mtu,
                              std::span<std::uint8_t> out) {
  auto eth = VmEthernet(frame);
  if (!eth) return 0;
  // RFC 1122 §3.2.2: not for a link-layer broadcast; and we need a unicast MAC to send from
  // (the frame's destination) and to send to (its source).
  if (IsMulticastMac(eth->source()) || IsMulticastMac(eth->destination())) return 0;
  switch (eth->ether_type()) {
    case wire::kEtherTypeIpv4: return BuildFragmentationNeeded(*eth, mtu, out);
    case wire::kEtherTypeIpv6: return BuildIpv6PacketTooBig(*eth, mtu, out);
    default: return 0;
  }
}

}  // namespace nvgre::virt
