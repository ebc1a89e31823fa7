// virtio_net_hdr on a TAP (virtio 1.x §5.1.6; Linux include/linux/virtio_net.h,
// virtio_net_hdr_to_skb / virtio_net_hdr_from_skb): the checks of the transmit direction and
// the NDIS OOB after NVGRE encapsulation (spec §2, §3.1, §4). See vnet.h and docs/vnet.md.
//
// The VM's frame is walked once with the wire views (Ethernet + tags, IPv4 with options / IPv6
// with extension headers, TCP / UDP); nothing the vnet header says about where headers are
// (hdr_len) is believed. After encapsulation the frame is classified again (the tags are gone,
// the offsets moved) and checked against what the first walk found.
#include "nvgre/virt/vnet.h"

#include <algorithm>
#include <array>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::virt {
namespace {

using Bytes = std::span<const std::uint8_t>;
using MutBytes = std::span<std::uint8_t>;
using wire::LoadBe16;
using wire::StoreBe16;

constexpr std::size_t kEthernetHeader = 14;
// IEEE 802.3 minimum frame without the FCS (64 - 4): the only trailing bytes a frame may carry
// after its IP packet are padding up to this size.
constexpr std::size_t kMinEthernetFrame = 60;
constexpr std::size_t kIpv6HeaderSize = 40;
constexpr std::size_t kTcpChecksum = 16;  // RFC 9293 §3.1
constexpr std::size_t kTcpFlags = 13;
constexpr std::size_t kTcpUrgent = 18;
constexpr std::size_t kUdpChecksum = 6;   // RFC 768
constexpr std::size_t kUdpHeaderSize = 8;
constexpr std::uint8_t kIpv4OptEol = 0;   // RFC 791 §3.1 options
constexpr std::uint8_t kIpv4OptNop = 1;
constexpr std::uint8_t kIpv4OptLsrr = 131;
constexpr std::uint8_t kIpv4OptSsrr = 137;
constexpr std::uint32_t kMaxIpLength = 0xFFFF;

std::span<const std::uint8_t, 2> Field16(Bytes b, std::size_t off) {
  return std::span<const std::uint8_t, 2>(b.data() + off, 2);
}
std::span<std::uint8_t, 2> Field16(MutBytes b, std::size_t off) {
  return std::span<std::uint8_t, 2>(b.data() + off, 2);
}

constexpr std::array<std::string_view, kVnetTxDropCount> kNames = {
#define NVGRE_X(value, name, help) name,
    NVGRE_VNET_TX_DROPS(NVGRE_X)
#undef NVGRE_X
};
constexpr std::array<std::string_view, kVnetTxDropCount> kHelp = {
#define NVGRE_X(value, name, help) help,
    NVGRE_VNET_TX_DROPS(NVGRE_X)
#undef NVGRE_X
};

// ---- The VM's frame ---------------------------------------------------------------------------

// What one walk over the IP packet found. Offsets from the frame start.
struct IpPacket {
  bool ipv6 = false;
  bool dont_fragment = false;
  bool fragment = false;       // IPv4 MF/offset, IPv6 Fragment header with M/offset
  bool source_routed = false;  // IPv4 LSRR/SSRR option, IPv6 Routing header with Segments Left
  bool options_valid = true;   // IPv4 options well-formed (RFC 791 §3.1 type-length-value)
  std::uint8_t protocol = 0;   // IPv4 Protocol / IPv6 upper-layer Next Header
  std::size_t l3 = 0;
  std::size_t l4 = 0;          // end of the IP header (options, extension headers)
  std::size_t end = 0;         // end of the IP packet per its length field
};

// IPv4 options (RFC 791 §3.1): EOL, NOP, or type + length (>= 2) + data. LSRR (131) and SSRR
// (137) make the pseudo-header destination the route's last address, not the header's (RFC 9293
// §3.1 "the final destination"). False when an option runs past the header.
bool WalkIpv4Options(Bytes options, bool& source_routed) {
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t type = options[i];
    if (type == kIpv4OptEol) break;
    if (type == kIpv4OptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) return false;
    const std::size_t len = options[i + 1];
    if (len < 2 || len > options.size() - i) return false;
    if (type == kIpv4OptLsrr || type == kIpv4OptSsrr) source_routed = true;
    i += len;
  }
  return true;
}

// True when the extension headers before `upper_offset` (already walked and bounds-checked by
// WalkIpv6Extensions) contain a Routing header with Segments Left != 0: the pseudo-header then
// uses the final destination, which is in the Routing header (RFC 8200 §8.1).
bool Ipv6RouteInTransit(Bytes ip, std::size_t upper_offset) {
  std::uint8_t next = ip[6];
  std::size_t off = kIpv6HeaderSize;
  while (off + 8 <= upper_offset && off + 8 <= ip.size() && wire::IsIpv6WalkableExtension(next)) {
    // RFC 8200 §4.4 Routing: Next Header, Hdr Ext Len, Routing Type, Segments Left.
    if (next == wire::kIpv6ExtRouting && ip[off + 3] != 0) return true;
    const std::size_t len = next == wire::kIpv6ExtFragment ? 8
                            : next == wire::kIpProtoAh     ? (std::size_t{ip[off + 1]} + 2) * 4
                                                           : (std::size_t{ip[off + 1]} + 1) * 8;
    next = ip[off];
    off += len;
  }
  return false;
}

// The IP packet at `l3`: header valid, length field = the frame (or the frame is padding up to
// 60 bytes), extension headers walkable.
Expected<IpPacket, VnetTxDrop> ParseIp(Bytes frame, std::size_t l3, std::uint16_t ether_type) {
  IpPacket p;
  p.l3 = l3;
  Bytes rest = frame.subspan(l3);
  std::size_t length = 0;
  if (ether_type == wire::kEtherTypeIpv4) {
    auto ip = wire::Ipv4View::Parse(rest, wire::Capture::kMayBeTruncated);
    if (!ip) {
      return Unexpected{ip.error().error == wire::ParseError::kLengthMismatch
                            ? VnetTxDrop::kIpLengthMismatch
                            : VnetTxDrop::kIpInvalid};  // cut short, version, IHL < 5
    }
    if (ip->total_length_zero() || ip->truncated()) return Unexpected{VnetTxDrop::kIpLengthMismatch};
    length = ip->total_length();
    p.dont_fragment = ip->dont_fragment();
    p.fragment = ip->is_fragment();
    p.protocol = ip->protocol();
    p.l4 = l3 + ip->header_length();
    p.options_valid = WalkIpv4Options(ip->options(), p.source_routed);
  } else {
    auto ip = wire::Ipv6View::Parse(rest, wire::Capture::kMayBeTruncated);
    if (!ip) return Unexpected{VnetTxDrop::kIpInvalid};  // cut short, version
    // Payload Length 0 (jumbogram, BIG TCP) cannot come through a TAP: the frame is <= 64 KiB.
    if (ip->payload_length_zero() || ip->truncated()) {
      return Unexpected{VnetTxDrop::kIpLengthMismatch};
    }
    auto chain = wire::WalkIpv6Extensions(*ip);
    if (!chain) return Unexpected{VnetTxDrop::kIpInvalid};
    p.ipv6 = true;
    length = kIpv6HeaderSize + ip->payload_length();
    p.fragment = chain->is_fragment;
    p.protocol = chain->upper_protocol;
    p.l4 = l3 + chain->upper_offset;
    p.source_routed = Ipv6RouteInTransit(ip->bytes().first(length), chain->upper_offset);
  }
  p.end = l3 + length;
  if (p.end < frame.size() && frame.size() > kMinEthernetFrame) {
    return Unexpected{VnetTxDrop::kIpLengthMismatch};  // trailing bytes that are not padding
  }
  return p;
}

// The transport header: TCP (data offset 5..15 within the packet) or UDP (Length = the IP
// payload). Returns the end of the transport header; for other protocols the IP header's end.
Expected<std::size_t, VnetTxDrop> ParseTransport(Bytes frame, const IpPacket& ip) {
  Bytes l4 = frame.subspan(ip.l4, ip.end - ip.l4);
  if (ip.protocol == wire::kIpProtoTcp) {
    auto tcp = wire::TcpView::Parse(l4);
    if (!tcp) return Unexpected{VnetTxDrop::kTcpInvalid};
    return ip.l4 + tcp->header_length();
  }
  if (ip.protocol == wire::kIpProtoUdp) {
    auto udp = wire::UdpView::Parse(l4);
    if (!udp) return Unexpected{VnetTxDrop::kUdpInvalid};
    if (udp->length() != l4.size()) return Unexpected{VnetTxDrop::kUdpInvalid};  // 0 included
    return ip.l4 + kUdpHeaderSize;
  }
  return ip.l4;
}

bool GsoMatches(std::uint8_t gso_type, const IpPacket& ip) {
  switch (gso_type) {
    case kVnetGsoTcpv4: return !ip.ipv6 && ip.protocol == wire::kIpProtoTcp;
    case kVnetGsoTcpv6: return ip.ipv6 && ip.protocol == wire::kIpProtoTcp;
    case kVnetGsoUdpL4: return ip.protocol == wire::kIpProtoUdp;
    default: return false;
  }
}

void FillIp(VnetTxRequest& r, const IpPacket& ip, std::size_t header_end) {
  r.is_ip = true;
  r.ipv6 = ip.ipv6;
  r.ipv4_dont_fragment = ip.dont_fragment;
  r.l4_protocol = ip.protocol;
  r.l3_offset = static_cast<std::uint16_t>(ip.l3);
  r.l4_offset = static_cast<std::uint16_t>(ip.l4);
  r.header_length = static_cast<std::uint16_t>(header_end);
  r.ip_packet_length = static_cast<std::uint32_t>(ip.end - ip.l3);
  r.frame_length = static_cast<std::uint32_t>(ip.end);
}

// ---- After encapsulation ----------------------------------------------------------------------

// Pseudo-header sum (RFC 9293 §3.1, RFC 768, RFC 8200 §8.1) of the IP header at `l3` with the
// header's own destination and `length`.
std::uint16_t PseudoSum(Bytes frame, std::size_t l3, bool ipv6, std::uint8_t protocol,
                        std::uint32_t length) {
  if (!ipv6) {
    return wire::PseudoHeaderSumV4(std::span<const std::uint8_t, 4>(frame.data() + l3 + 12, 4),
                                   std::span<const std::uint8_t, 4>(frame.data() + l3 + 16, 4),
                                   protocol, length);
  }
  return wire::PseudoHeaderSumV6(std::span<const std::uint8_t, 16>(frame.data() + l3 + 8, 16),
                                 std::span<const std::uint8_t, 16>(frame.data() + l3 + 24, 16),
                                 protocol, length);
}

// Linux skb_checksum_help: the one's-complement sum from `start` to `end` (the field at
// start + offset included with the value it holds, i.e. the seed), folded and complemented into
// the field; a computed 0 goes out as 0xFFFF (CSUM_MANGLED_0) unless `keep_zero` (TCP: what the
// Tx engine writes).
void CompleteChecksum(MutBytes frame, std::size_t start, std::size_t offset, std::size_t end,
                      bool keep_zero) {
  std::uint16_t csum = wire::Checksum(frame.subspan(start, end - start));
  if (csum == 0 && !keep_zero) csum = 0xFFFF;
  StoreBe16(Field16(frame, start + offset), csum);
}

bool HasIpOptions(const wire::L3Layout& l3) {
  return l3.header_length > (l3.version == 4 ? wire::Ipv4View::kMinHeaderSize : kIpv6HeaderSize);
}

// 10-bit legacy TcpHeaderOffset fields (ignored for encapsulated packets, spec §2.1): the
// transport header's offset in the encapsulated frame when it fits, else 0.
std::uint32_t LegacyOffset(std::size_t l4) { return l4 < 1024 ? static_cast<std::uint32_t>(l4) : 0; }

}  // namespace

std::string_view ToString(VnetTxDrop d) {
  const auto i = static_cast<std::size_t>(d);
  return i < kVnetTxDropCount ? kNames[i] : std::string_view("?");
}

std::string_view HelpText(VnetTxDrop d) {
  const auto i = static_cast<std::size_t>(d);
  return i < kVnetTxDropCount ? kHelp[i] : std::string_view("?");
}

// virtio 1.x §5.1.6: flags, gso_type, then hdr_len, gso_size, csum_start, csum_offset and
// num_buffers as le16 (VIRTIO_F_VERSION_1; a TAP is little-endian unless TUNSETVNETBE).
wire::Result<VnetHdr> ParseVnetHdr(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kVnetHdrSize) return wire::Fail(wire::ParseError::kTruncated, wire::Layer::kVnetHdr, 0);
  auto le16 = [&](std::size_t off) { return wire::LoadLe16(Field16(bytes, off)); };
  VnetHdr h;
  h.flags = bytes[0];
  h.gso_type = bytes[1];
  h.hdr_len = le16(2);
  h.gso_size = le16(4);
  h.csum_start = le16(6);
  h.csum_offset = le16(8);
  h.num_buffers = le16(10);
  return h;
}

void EmitVnetHdr(const VnetHdr& header, std::span<std::uint8_t, kVnetHdrSize> out) {
  out[0] = header.flags;
  out[1] = header.gso_type;
  wire::StoreLe16(out.subspan<2, 2>(), header.hdr_len);
  wire::StoreLe16(out.subspan<4, 2>(), header.gso_size);
  wire::StoreLe16(out.subspan<6, 2>(), header.csum_start);
  wire::StoreLe16(out.subspan<8, 2>(), header.csum_offset);
  wire::StoreLe16(out.subspan<10, 2>(), header.num_buffers);
}

Expected<VnetTxRequest, VnetTxDrop> CheckVnetTx(const VnetHdr& header,
                                                std::span<const std::uint8_t> frame,
                                                const VnetTxLimits& limits) {
  // 1. Ethernet (CVE-2024-41090/41091: frames shorter than an Ethernet header).
  auto eth = wire::EthernetView::Parse(frame);
  if (!eth) {
    return Unexpected{eth.error().error == wire::ParseError::kUnsupported
                          ? VnetTxDrop::kVlanTooManyTags
                          : VnetTxDrop::kFrameTooShort};
  }
  // 2. The header alone.
  const std::uint8_t flags = header.flags;
  const bool needs_csum = (flags & kVnetFlagNeedsCsum) != 0;
  // RSC_INFO is a device-to-driver flag (virtio §5.1.6.4): unknown on transmit. DATA_VALID alone
  // is harmless and ignored; with NEEDS_CSUM it contradicts it (virtio §5.1.6.2.1).
  if ((flags & ~(kVnetFlagNeedsCsum | kVnetFlagDataValid)) != 0 ||
      (needs_csum && (flags & kVnetFlagDataValid) != 0)) {
    return Unexpected{VnetTxDrop::kFlagsInvalid};
  }
  const std::uint8_t gso = header.gso_type;
  if (gso != kVnetGsoNone && gso != kVnetGsoTcpv4 && gso != kVnetGsoTcpv6 && gso != kVnetGsoUdpL4) {
    return Unexpected{VnetTxDrop::kGsoTypeUnknown};  // UFO (3), the ECN bit, anything else
  }
  if ((gso == kVnetGsoTcpv4 && !limits.tso4) || (gso == kVnetGsoTcpv6 && !limits.tso6) ||
      (gso == kVnetGsoUdpL4 && !limits.uso)) {
    return Unexpected{VnetTxDrop::kGsoNotNegotiated};
  }
  if (needs_csum && !limits.csum) return Unexpected{VnetTxDrop::kCsumNotNegotiated};
  const bool segmentation = gso != kVnetGsoNone;
  if (segmentation && !needs_csum) return Unexpected{VnetTxDrop::kGsoWithoutCsum};
  if (segmentation && (header.gso_size == 0 || header.gso_size == 0xFFFF ||
                       header.gso_size < limits.min_mss)) {
    return Unexpected{VnetTxDrop::kGsoSizeInvalid};  // 0xFFFF: GSO_BY_FRAGS
  }

  VnetTxRequest r;
  r.l3_offset = static_cast<std::uint16_t>(eth->header_length());
  r.frame_length = static_cast<std::uint32_t>(frame.size());
  r.max_segments = limits.max_segments;
  const std::uint16_t ether_type = eth->ether_type();
  const bool ip_type = ether_type == wire::kEtherTypeIpv4 || ether_type == wire::kEtherTypeIpv6;

  if (!needs_csum) {
    // kPlain: anything goes through as it is; the IP fields are filled when they are sound.
    if (ip_type) {
      auto ip = ParseIp(frame, r.l3_offset, ether_type);
      if (ip && !ip->fragment) {
        if (auto end = ParseTransport(frame, *ip)) FillIp(r, *ip, *end);
      }
    }
    return r;
  }

  // 3. The IP packet.
  if (!ip_type) return Unexpected{segmentation ? VnetTxDrop::kGsoMismatch : VnetTxDrop::kCsumNotIp};
  auto ip = ParseIp(frame, r.l3_offset, ether_type);
  if (!ip) return Unexpected{ip.error()};
  if (!ip->options_valid) return Unexpected{VnetTxDrop::kIpInvalid};
  if (ip->fragment) return Unexpected{VnetTxDrop::kIpFragment};
  if (segmentation && !GsoMatches(gso, *ip)) return Unexpected{VnetTxDrop::kGsoMismatch};
  // 4. The transport header.
  auto header_end = ParseTransport(frame, *ip);
  if (!header_end) return Unexpected{header_end.error()};
  FillIp(r, *ip, *header_end);

  // 5. The checksum request: from at or after the end of the IP header (OVS
  // netdev_linux_parse_vnet_hdr, kernel 89add40066f9), the field inside the IP packet
  // (skb_partial_csum_set).
  const std::size_t start = header.csum_start;
  const std::size_t field = start + header.csum_offset;
  // An Internet checksum field sits at an even offset of the bytes it covers (RFC 1071 sums
  // 16-bit words: TCP 16, UDP 6, ICMP 2, GRE 4); at an odd one the completed sum cannot verify.
  if (start < ip->l4 || field + 2 > ip->end || header.csum_offset % 2 != 0) {
    return Unexpected{VnetTxDrop::kCsumOutOfFrame};
  }
  r.csum_start = header.csum_start;
  r.csum_offset = header.csum_offset;
  const bool tcp = ip->protocol == wire::kIpProtoTcp;
  const bool udp = ip->protocol == wire::kIpProtoUdp;
  const bool transport = start == ip->l4 && ((tcp && header.csum_offset == kTcpChecksum) ||
                                             (udp && header.csum_offset == kUdpChecksum));
  if (!segmentation) {
    // A TCP/UDP checksum the engine can seed from the header's addresses; anything else (ICMPv6
    // from a raw socket, a source-routed packet whose pseudo-header has another destination) is
    // finished in software from the VM's seed, as the device would.
    if (transport && !ip->source_routed) {
      r.kind = VnetTxKind::kChecksum;
    } else {
      r.software_checksum = true;
    }
    return r;
  }
  if (!transport) return Unexpected{VnetTxDrop::kCsumNotTransport};
  if (ip->source_routed) return Unexpected{VnetTxDrop::kGsoSourceRouted};
  if (tcp) {
    // NDIS LSO (and every TSO NIC): the template never has SYN, RST or URG, nor an urgent
    // pointer; Linux never builds such a TSO frame.
    const std::uint8_t tcp_flags = frame[ip->l4 + kTcpFlags];
    if ((tcp_flags & (wire::kTcpFlagSyn | wire::kTcpFlagRst | wire::kTcpFlagUrg)) != 0 ||
        LoadBe16(Field16(frame, ip->l4 + kTcpUrgent)) != 0) {
      return Unexpected{VnetTxDrop::kGsoTcpFlags};
    }
  }
  const std::size_t payload = ip->end - *header_end;
  const std::size_t segments = (payload + header.gso_size - 1) / header.gso_size;
  if (segments > limits.max_segments) return Unexpected{VnetTxDrop::kGsoTooManySegments};
  r.kind = tcp ? VnetTxKind::kTcpSegmentation : VnetTxKind::kUdpSegmentation;
  r.gso_size = header.gso_size;
  return r;
}

Expected<VnetTxRequest, VnetTxDrop> CheckVnetTxRead(std::span<const std::uint8_t> read,
                                                    const VnetTxLimits& limits) {
  auto header = ParseVnetHdr(read);
  if (!header) return Unexpected{VnetTxDrop::kVnetHdrTruncated};  // Firecracker PR #1988
  return CheckVnetTx(*header, read.subspan(kVnetHdrSize), limits);
}

Expected<EncapsulatedTx, VnetTxDrop> PrepareEncapsulatedTx(const VnetTxRequest& request,
                                                           std::span<std::uint8_t> encapsulated,
                                                           const offload::TxOffloadConfig& config,
                                                           std::uint32_t underlay_mtu) {
  using offload::EncapOffload;
  constexpr auto kMismatch = Unexpected{VnetTxDrop::kEncapsulatedMismatch};
  const wire::FrameLayout l = wire::ClassifyFrame(encapsulated);
  if (!l.outer_l3.present() || !l.is_nvgre() || l.outer_l3.end != encapsulated.size() ||
      request.l3_offset < kEthernetHeader) {
    return kMismatch;
  }
  // Offsets in `request` count the inner tags; in the encapsulated frame they are gone and the
  // inner frame starts at inner_l2.offset.
  const std::size_t tags = request.l3_offset - kEthernetHeader;
  const std::size_t base = l.inner_l2.offset;
  auto shift = [&](std::size_t off) { return off - tags + base; };
  if (request.frame_length < request.l3_offset || shift(request.frame_length) > encapsulated.size()) {
    return kMismatch;
  }
  const std::size_t outer_ip_length = encapsulated.size() - l.outer_l3.offset;
  const bool outer_v6 = l.outer_l3.version == 6;
  EncapsulatedTx tx;

  if (request.kind == VnetTxKind::kPlain) {
    if (outer_ip_length > underlay_mtu) return Unexpected{VnetTxDrop::kExceedsMtu};
    if (request.software_checksum) {
      const std::size_t end = shift(request.frame_length);
      if (request.csum_start < request.l3_offset) return kMismatch;
      const std::size_t start = shift(request.csum_start);
      if (start + request.csum_offset + 2 > end) return kMismatch;
      CompleteChecksum(encapsulated, start, request.csum_offset, end, /*keep_zero=*/false);
    }
    return tx;  // no OOB: the engine sends it unchanged
  }

  // The offload kinds: the inner headers must be exactly the ones CheckVnetTx validated.
  const bool tcp = request.l4_protocol == wire::kIpProtoTcp;
  const bool udp = request.l4_protocol == wire::kIpProtoUdp;
  if (l.error || l.truncated || !l.inner_l3.present() || l.inner_l3.is_fragment ||
      (!tcp && !udp) || l.inner_l4 == wire::kNoHeader || l.l4_protocol != request.l4_protocol ||
      (l.inner_l3.version == 6) != request.ipv6 ||
      l.inner_l3.offset != shift(request.l3_offset) || l.inner_l4 != shift(request.l4_offset) ||
      l.payload != shift(request.header_length) || l.inner_l3.end != shift(request.frame_length)) {
    return kMismatch;
  }
  const bool inner_v6 = l.inner_l3.version == 6;
  const std::size_t hl = l.payload;
  const std::size_t l4 = l.inner_l4;
  const std::size_t ip_end = l.inner_l3.end;
  const std::size_t payload = ip_end - hl;
  const std::size_t field = l4 + (tcp ? kTcpChecksum : kUdpChecksum);
  const bool tcp_options = tcp && hl - l4 > wire::TcpView::kMinHeaderSize;
  const bool any_ipv4 = !outer_v6 || !inner_v6;

  // MSS: the bytes from the outer IP header through the inner TCP/UDP header are on every
  // segment (spec §4: "reduces MSS to account for the extra encapsulation bytes").
  const std::size_t overhead = hl - l.outer_l3.offset;
  const std::size_t mtu = std::min<std::size_t>(underlay_mtu, kMaxIpLength);
  const std::size_t mss_fit = mtu > overhead ? mtu - overhead : 0;
  bool segment = false;
  std::size_t mss = 0;
  if (request.kind == VnetTxKind::kTcpSegmentation || request.kind == VnetTxKind::kUdpSegmentation) {
    if ((request.kind == VnetTxKind::kTcpSegmentation) != tcp ||
        (request.kind == VnetTxKind::kUdpSegmentation) != udp || request.gso_size == 0) {
      return kMismatch;
    }
    const std::size_t gso = request.gso_size;
    if (tcp) {
      mss = std::min(gso, mss_fit);  // a byte stream: any MSS will do
      if (payload > mss) {
        segment = true;
        if (mss < config.min_mss || mss == 0) {
          return Unexpected{mss == gso ? VnetTxDrop::kGsoSizeInvalid : VnetTxDrop::kMtuTooSmall};
        }
      }
    } else if (payload > gso) {
      // USO: every gso_size bytes are one datagram of the application; never re-cut them.
      if (gso > mss_fit) return Unexpected{VnetTxDrop::kExceedsMtu};
      if (gso < config.min_mss) return Unexpected{VnetTxDrop::kGsoSizeInvalid};
      mss = gso;
      segment = true;
    }
  }

  const auto supplemental = offload::SendOffloadsSupplementalInfo::FromAbsoluteOffsets(
      static_cast<std::uint32_t>(base), l.inner_l3.offset, static_cast<std::uint32_t>(l4),
      inner_v6, tcp_options);
  const auto outer_version = outer_v6 ? offload::OffloadIpVersion::kIpv6 : offload::OffloadIpVersion::kIpv4;
  const std::uint32_t max_header = std::min<std::uint32_t>(
      config.encapsulated.max_header_size_supported(), offload::kTxParseWindow);

  if (!segment) {
    // Checksum offload (spec §3.1): the seed WITH the L4 length (UDP: its Length, equal to the
    // IP payload after CheckVnetTx).
    if (outer_ip_length > underlay_mtu) return Unexpected{VnetTxDrop::kExceedsMtu};
    const auto length = static_cast<std::uint32_t>(ip_end - l4);
    StoreBe16(Field16(encapsulated, field),
              PseudoSum(encapsulated, l.inner_l3.offset, inner_v6, request.l4_protocol, length));
    const offload::TxChecksumCaps& caps = inner_v6 ? config.checksum_ipv6 : config.checksum_ipv4;
    const offload::TxChecksumCaps& outer_caps = outer_v6 ? config.checksum_ipv6 : config.checksum_ipv4;
    const bool hardware =
        config.encapsulated_offload_active &&
        config.encapsulated.Allows(EncapOffload::kTransmitChecksum, outer_v6, inner_v6) &&
        hl <= max_header && supplemental.has_value() && (tcp ? caps.tcp_checksum : caps.udp_checksum) &&
        !(HasIpOptions(l.inner_l3) && !caps.ip_options_supported) &&
        !(HasIpOptions(l.outer_l3) && !outer_caps.ip_options_supported) &&
        !(tcp_options && !caps.tcp_options_supported);
    if (!hardware) {
      CompleteChecksum(encapsulated, l4, field - l4, ip_end, /*keep_zero=*/tcp);
      return tx;
    }
    offload::ChecksumTxInfo c;
    c.set_is_ipv4(!outer_v6);
    c.set_is_ipv6(outer_v6);
    c.set_ip_header_checksum(any_ipv4 && config.checksum_ipv4.ip_checksum);
    c.set_tcp_checksum(tcp);
    c.set_udp_checksum(udp);
    (void)c.set_tcp_header_offset(LegacyOffset(l4));
    tx.oob.checksum = c;
    tx.oob.supplemental = *supplemental;
    return tx;
  }

  // LSOv2 / USO (spec §4): the engine derives every length from the packet, so the packet must
  // end where the inner IP packet does (no padding: a padded frame is far below one MSS).
  if (ip_end != encapsulated.size()) return kMismatch;
  const std::size_t n = (payload + mss - 1) / mss;
  if (n > request.max_segments) return Unexpected{VnetTxDrop::kGsoTooManySegments};
  if (hl > max_header || !supplemental) return Unexpected{VnetTxDrop::kHeadersTooLong};
  if (tcp) {
    const std::uint8_t tcp_flags = encapsulated[l4 + kTcpFlags];
    if ((tcp_flags & (wire::kTcpFlagSyn | wire::kTcpFlagRst | wire::kTcpFlagUrg)) != 0 ||
        LoadBe16(Field16(Bytes(encapsulated), l4 + kTcpUrgent)) != 0) {
      return Unexpected{VnetTxDrop::kGsoTcpFlags};
    }
  }
  // What the engine checks of the adapter (tx_engine.h, ProcessTxPacket steps 2, 5 and 6).
  const std::size_t outer_fixed = hl - l.outer_l3.offset - (outer_v6 ? kIpv6HeaderSize : 0);
  bool available = config.encapsulated_offload_active &&
                   config.encapsulated.Allows(tcp ? EncapOffload::kLsoV2 : EncapOffload::kUso,
                                              outer_v6, inner_v6) &&
                   outer_fixed + mss <= kMaxIpLength;
  if (tcp) {
    const offload::TxLsoV2Caps& caps = inner_v6 ? config.lso_v2_ipv6 : config.lso_v2_ipv4;
    const bool ext_ok = config.lso_v2_ipv6.ip_extension_headers_supported;
    available = available && caps.enabled && payload <= caps.max_offload_size &&
                n >= caps.min_segment_count &&
                !(HasIpOptions(l.outer_l3) && outer_v6 && !ext_ok) &&
                !(HasIpOptions(l.inner_l3) && inner_v6 && !ext_ok) &&
                !(tcp_options && inner_v6 && !config.lso_v2_ipv6.tcp_options_supported);
  } else {
    const offload::TxUsoCaps& caps = inner_v6 ? config.uso_ipv6 : config.uso_ipv4;
    const bool ext_ok = config.uso_ipv6.ip_extension_headers_supported;
    available = available && caps.enabled && payload <= caps.max_offload_size &&
                n >= caps.min_segment_count &&
                (payload % mss == 0 || caps.sub_mss_final_segment_supported) &&
                !(HasIpOptions(l.outer_l3) && outer_v6 && !ext_ok) &&
                !(HasIpOptions(l.inner_l3) && inner_v6 && !ext_ok);
  }
  if (!available) return Unexpected{VnetTxDrop::kSegmentationUnavailable};

  const auto mss32 = static_cast<std::uint32_t>(mss);
  if (tcp) {
    // IPVersion = the OUTER version (stack_prep.h, spec §2.3 [INFER]).
    auto lso = offload::LsoV2TxInfo::Make({.mss = mss32,
                                           .tcp_header_offset = LegacyOffset(l4),
                                           .type = offload::LsoType::kV2,
                                           .ip_version = outer_version});
    if (!lso) return Unexpected{VnetTxDrop::kSegmentationUnavailable};
    tx.oob.large_send = lso->raw();
  } else {
    auto uso = offload::UdpSegmentationTxInfo::Make(
        {.mss = mss32, .udp_header_offset = LegacyOffset(l4), .ip_version = outer_version});
    if (!uso) return Unexpected{VnetTxDrop::kSegmentationUnavailable};
    tx.oob.uso = *uso;
  }
  // Spec §4: LSOv2 "with checksum OOB valid"; the seed WITHOUT the L4 length. Linux seeded the
  // super-frame WITH its length (tcp_v4_send_check on skb->len): rewritten here.
  offload::ChecksumTxInfo c;
  c.set_is_ipv4(!outer_v6);
  c.set_is_ipv6(outer_v6);
  c.set_ip_header_checksum(any_ipv4);
  c.set_tcp_checksum(tcp);
  c.set_udp_checksum(udp);
  (void)c.set_tcp_header_offset(LegacyOffset(l4));
  tx.oob.checksum = c;
  tx.oob.supplemental = *supplemental;
  StoreBe16(Field16(encapsulated, field),
            PseudoSum(encapsulated, l.inner_l3.offset, inner_v6, request.l4_protocol, 0));
  tx.mss = mss32;
  tx.segments = static_cast<std::uint32_t>(n);
  return tx;
}

VnetHdr VnetHdrForReceive(offload::ChecksumRxInfo checksum) {
  VnetHdr h;
  const bool failed = checksum.tcp_checksum_failed() || checksum.udp_checksum_failed() ||
                      checksum.ip_checksum_failed();
  const bool valid = checksum.tcp_checksum_succeeded() || checksum.udp_checksum_succeeded();
  if (valid && !failed) h.flags = kVnetFlagDataValid;  // virtio §5.1.6.4: CHECKSUM_UNNECESSARY
  return h;
}

Expected<VnetHdr, VnetTxDrop> PrepareCoalescedForTap(std::span<std::uint8_t> inner_frame,
                                                     std::uint16_t mss) {
  Bytes frame = inner_frame;
  auto eth = wire::EthernetView::Parse(frame);
  if (!eth) {
    return Unexpected{eth.error().error == wire::ParseError::kUnsupported
                          ? VnetTxDrop::kVlanTooManyTags
                          : VnetTxDrop::kFrameTooShort};
  }
  const std::uint16_t ether_type = eth->ether_type();
  if (ether_type != wire::kEtherTypeIpv4 && ether_type != wire::kEtherTypeIpv6) {
    return Unexpected{VnetTxDrop::kIpInvalid};
  }
  auto ip = ParseIp(frame, eth->header_length(), ether_type);
  if (!ip) return Unexpected{ip.error()};
  if (ip->fragment) return Unexpected{VnetTxDrop::kIpFragment};
  if (ip->protocol != wire::kIpProtoTcp) return Unexpected{VnetTxDrop::kTcpInvalid};
  auto header_end = ParseTransport(frame, *ip);
  if (!header_end) return Unexpected{header_end.error()};
  if (mss == 0 || mss == 0xFFFF) return Unexpected{VnetTxDrop::kGsoSizeInvalid};
  // CHECKSUM_PARTIAL (Linux skbuff.h): the field holds the pseudo-header sum WITH the TCP
  // length, not complemented; the receiver sums from csum_start to the end.
  const auto tcp_length = static_cast<std::uint32_t>(ip->end - ip->l4);
  StoreBe16(Field16(inner_frame, ip->l4 + kTcpChecksum),
            PseudoSum(frame, ip->l3, ip->ipv6, wire::kIpProtoTcp, tcp_length));
  VnetHdr h;
  h.flags = kVnetFlagNeedsCsum;
  h.gso_type = ip->ipv6 ? kVnetGsoTcpv6 : kVnetGsoTcpv4;
  h.hdr_len = static_cast<std::uint16_t>(*header_end);
  h.gso_size = mss;
  h.csum_start = static_cast<std::uint16_t>(ip->l4);
  h.csum_offset = static_cast<std::uint16_t>(kTcpChecksum);
  return h;
}

}  // namespace nvgre::virt
