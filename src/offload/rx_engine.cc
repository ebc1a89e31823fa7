// The receive engine (see rx_engine.h; spec §3.2, §5, §6, §10, §11).
#include "nvgre/offload/rx_engine.h"

#include <algorithm>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::offload {
namespace {

using wire::Encapsulation;
using wire::FrameLayout;
using wire::kNoHeader;
using wire::L3Layout;

constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kTcpMinHeader = 20;

// Bytes from the frame start through the innermost header located (spec §7.2: through the
// inner TCP/UDP header; without one, through the inner IP or Ethernet header).
std::uint16_t HeaderSpan(const FrameLayout& l) {
  if (l.inner_l4 != kNoHeader && l.payload != kNoHeader) return l.payload;
  if (l.inner_l3.present()) return l.inner_l3.l4_offset();
  if (l.inner_l2.present()) return static_cast<std::uint16_t>(l.inner_l2.offset + l.inner_l2.length);
  return 0;
}

// Spec §6: what the NIC must parse is GRE (RFC 2784/2890, version 0) carrying an Ethernet frame
// (NVGRE, protocol 0x6558) or an IP packet; anything else is an unknown encapsulation.
RxNotOffloaded ParseableEncapsulation(const FrameLayout& l) {
  if (l.encapsulation == Encapsulation::kGreOther || !l.gre.present() || l.gre.version() != 0) {
    return RxNotOffloaded::kUnknownEncapsulation;
  }
  if (l.encapsulation == Encapsulation::kGreEthernet && !l.inner_l2.present()) {
    return RxNotOffloaded::kInnerUnparsed;
  }
  if (l.encapsulation == Encapsulation::kGreIp && !l.inner_l3.present()) {
    return RxNotOffloaded::kInnerUnparsed;
  }
  if (l.inner_l2.present() && (l.inner_l2.ether_type == wire::kEtherTypeIpv4 ||
                               l.inner_l2.ether_type == wire::kEtherTypeIpv6) &&
      !l.inner_l3.present()) {
    return RxNotOffloaded::kInnerUnparsed;  // an inner IP header that does not parse
  }
  return RxNotOffloaded::kNone;
}

std::uint16_t Be16(std::span<const std::uint8_t> f, std::size_t at) {
  return wire::LoadBe16(std::span<const std::uint8_t, 2>(&f[at], 2));
}

// RFC 1071 over an IPv4 header (RFC 791 §3.1): its length is IHL * 4, so 32-bit words summed
// in a 64-bit accumulator and folded (the same sum as wire::OnesSum, without the call for 20
// bytes).
bool Ipv4HeaderGood(std::span<const std::uint8_t> frame, const L3Layout& ip) {
  const auto header = frame.subspan(ip.offset, ip.header_length);
  auto word = [&](std::size_t i) { return wire::LoadBe32(std::span<const std::uint8_t, 4>(&header[i], 4)); };
  // The 20 fixed bytes unrolled (header_length >= 20 for a parsed IPv4 header), then options.
  std::uint64_t acc = std::uint64_t{word(0)} + word(4) + word(8) + word(12) + word(16);
  for (std::size_t i = 20; i + 4 <= header.size(); i += 4) acc += word(i);
  return wire::Fold(acc) == 0xFFFF;
}

// Ipv4HeaderGood for a 20-byte header (no options) at a known offset, inlined.
[[gnu::always_inline]] inline bool Ipv4Header20Good(std::span<const std::uint8_t> f, std::size_t at) {
  const auto h = f.subspan(at).first<20>();
  const std::uint64_t acc = std::uint64_t{wire::LoadBe32(h.subspan<0, 4>())} + wire::LoadBe32(h.subspan<4, 4>()) +
                            wire::LoadBe32(h.subspan<8, 4>()) + wire::LoadBe32(h.subspan<12, 4>()) +
                            wire::LoadBe32(h.subspan<16, 4>());
  return wire::Fold(acc) == 0xFFFF;
}

// The common shape, located without the general walk: untagged outer Ethernet, outer IPv4
// without options and not a fragment, NVGRE exactly (GRE 0x2000 0x6558, RFC 7637 §3.2), untagged
// inner Ethernet, inner IPv4 without options / IPv6 without extension headers, not a fragment,
// TCP or UDP, every length field consistent and within the outer packet. Fills every member of
// `l` exactly as wire::ClassifyFrame would (the Rx engine tests compare the two); returns false,
// with `l` untouched, for anything else.
bool ClassifyNvgreFast(std::span<const std::uint8_t> f, std::size_t wire_length, FrameLayout& l) {
  constexpr std::size_t kOuterL3 = 14, kGre = 34, kInnerL2 = 42, kInnerL3 = 56;
  if (f.size() < kInnerL3 + 28 || Be16(f, 12) != wire::kEtherTypeIpv4) return false;
  if (f[kOuterL3] != 0x45 || f[kOuterL3 + 9] != wire::kIpProtoGre) return false;  // v4, IHL 5, GRE
  const std::size_t outer_total = Be16(f, kOuterL3 + 2);
  const std::size_t outer_end = kOuterL3 + outer_total;
  if ((Be16(f, kOuterL3 + 6) & 0x3FFF) != 0 || outer_end > f.size()) return false;  // MF, offset
  if (Be16(f, kGre) != wire::kNvgreFlagsVersion || Be16(f, kGre + 2) != wire::kEtherTypeTeb) return false;
  const std::uint16_t inner_type = Be16(f, kInnerL2 + 12);
  std::size_t inner_end = 0, inner_header = 0;
  std::uint8_t proto = 0;
  if (inner_type == wire::kEtherTypeIpv4) {
    const std::size_t total = Be16(f, kInnerL3 + 2);
    if (f[kInnerL3] != 0x45 || total < kIpv4MinHeader || (Be16(f, kInnerL3 + 6) & 0x3FFF) != 0) return false;
    inner_end = kInnerL3 + total;
    inner_header = kIpv4MinHeader;
    proto = f[kInnerL3 + 9];
  } else if (inner_type == wire::kEtherTypeIpv6) {
    const std::size_t payload = Be16(f, kInnerL3 + 4);
    if ((f[kInnerL3] >> 4) != 6 || payload == 0) return false;
    inner_end = kInnerL3 + kIpv6Header + payload;
    inner_header = kIpv6Header;
    proto = f[kInnerL3 + 6];
  } else {
    return false;
  }
  const std::size_t l4 = kInnerL3 + inner_header;
  if (inner_end > outer_end || inner_end < l4) return false;
  std::size_t l4_header = 0;
  if (proto == wire::kIpProtoTcp) {
    if (inner_end - l4 < kTcpMinHeader) return false;
    l4_header = 4u * static_cast<std::size_t>(f[l4 + 12] >> 4);
    if (l4_header < kTcpMinHeader || l4 + l4_header > inner_end) return false;
  } else if (proto == wire::kIpProtoUdp) {
    const std::size_t udp_length = Be16(f, l4 + 4);
    if (inner_end - l4 < 8 || (udp_length != 0 && udp_length < 8)) return false;
    l4_header = 8;
  } else {
    return false;
  }
  // Every member written (the object may hold the previous frame's layout).
  l.outer_l2 = wire::L2Layout{0, 14, 0, wire::kEtherTypeIpv4};
  l.outer_l3 = L3Layout{kOuterL3, 4, kIpv4MinHeader, wire::kIpProtoGre,
                        static_cast<std::uint32_t>(outer_end), false, false, false,
                        static_cast<std::uint32_t>(kOuterL3 + 16)};
  l.outer_l4 = kNoHeader;
  l.encapsulation = Encapsulation::kGreEthernet;
  l.gre = wire::GreLayout{kGre, static_cast<std::uint8_t>(wire::kNvgreHeaderSize), wire::kNvgreFlagsVersion,
                          wire::kEtherTypeTeb,
                          wire::LoadBe32(std::span<const std::uint8_t, 4>(&f[kGre + 4], 4))};
  l.nvgre_violation = wire::NvgreViolation::kNone;
  l.inner_l2 = wire::L2Layout{kInnerL2, 14, 0, inner_type};
  l.inner_l3 = L3Layout{kInnerL3, static_cast<std::uint8_t>(inner_type == wire::kEtherTypeIpv4 ? 4 : 6),
                        static_cast<std::uint16_t>(inner_header), proto,
                        static_cast<std::uint32_t>(inner_end), false, false, false,
                        static_cast<std::uint32_t>(kInnerL3 + (inner_type == wire::kEtherTypeIpv4 ? 16 : 24))};
  l.inner_l4 = static_cast<std::uint16_t>(l4);
  l.l4_protocol = proto;
  l.payload = static_cast<std::uint16_t>(l4 + l4_header);
  l.error.reset();
  l.truncated = wire_length > f.size();
  return true;
}

// True when the receive capability of `ip`'s version lets the NIC walk past its options /
// extension headers (spec §7.2 "Options").
bool IpOptionsOk(const AdapterConfig& c, const L3Layout& ip) {
  if (ip.version == 4) return ip.header_length == kIpv4MinHeader || c.current.ipv4_receive.ip_options_supported;
  return ip.header_length == kIpv6Header || c.current.ipv6_receive.ip_extension_headers_supported;
}

enum class L4Check : std::uint8_t { kNotChecked, kGood, kBad };

// RFC 1071 sum of `data` in 32-bit big-endian words (2^16 = 1 mod 0xFFFF, so the same as the
// 16-bit sum); short segments inline, long ones through the vectorized wire::OnesSum.
[[gnu::always_inline]] inline std::uint64_t SumWords(std::span<const std::uint8_t> data) {
  if (data.size() > 256) return wire::OnesSum(data);
  auto word = [&](std::size_t at) { return wire::LoadBe32(std::span<const std::uint8_t, 4>(&data[at], 4)); };
  std::uint64_t acc = 0, acc2 = 0;  // two chains: the adds of one step do not wait on each other
  std::size_t i = 0;
  for (; i + 16 <= data.size(); i += 16) {
    acc += std::uint64_t{word(i)} + word(i + 4);
    acc2 += std::uint64_t{word(i + 8)} + word(i + 12);
  }
  acc += acc2;
  for (; i + 4 <= data.size(); i += 4) acc += word(i);
  if (i + 2 <= data.size()) {
    acc += wire::LoadBe16(std::span<const std::uint8_t, 2>(&data[i], 2));
    i += 2;
  }
  if (i < data.size()) acc += std::uint64_t{data[i]} << 8;  // odd byte, zero-padded (RFC 1071)
  return acc;
}

// The TCP/UDP checksum over the pseudo-header (RFC 9293 §3.1, RFC 768; RFC 8200 §8.1 for IPv6)
// and the segment with its checksum field in place: good when the sum folds to 0xFFFF.
// `ip` is the frame's IP header (source at 12 for IPv4, 8 for IPv6); the destination comes from
// `ip.pseudo_destination`, which for IPv6 is the final destination (RFC 8200 §8.1: a Routing
// header's last address while Segments Left > 0).
bool TransportChecksumGood(std::span<const std::uint8_t> frame, const L3Layout& ip,
                           std::uint8_t proto, std::span<const std::uint8_t> segment) {
  const bool v4 = ip.version == 4;
  std::uint64_t acc = SumWords(frame.subspan(ip.offset + (v4 ? 12u : 8u), v4 ? 4u : 16u));
  acc += SumWords(frame.subspan(ip.pseudo_destination, v4 ? 4u : 16u));
  acc += proto;
  acc += segment.size();  // upper-layer length (< 2^16 here: bounded by the IP length field)
  acc += SumWords(segment);
  return wire::Fold(acc) == 0xFFFF;
}

// The TCP/UDP checksum of the transport header at `l4` after `ip` (RFC 9293 §3.1, RFC 768,
// RFC 8200 §8.1), when the current Rx checksum config asks for it.
L4Check CheckTransport(const AdapterConfig& c, std::span<const std::uint8_t> frame,
                       const FrameLayout& l, const L3Layout& ip, std::uint16_t l4) {
  const std::uint8_t proto = l.l4_protocol;
  if (l4 == kNoHeader || (proto != wire::kIpProtoTcp && proto != wire::kIpProtoUdp)) {
    return L4Check::kNotChecked;
  }
  const bool tcp = proto == wire::kIpProtoTcp;
  const bool enabled = ip.version == 4
                           ? (tcp ? c.current.ipv4_receive.tcp_checksum : c.current.ipv4_receive.udp_checksum)
                           : (tcp ? c.current.ipv6_receive.tcp_checksum : c.current.ipv6_receive.udp_checksum);
  if (!enabled || !IpOptionsOk(c, ip)) return L4Check::kNotChecked;
  // A fragment carries part of the datagram; a capture cut loses bytes; a zero length field
  // (LSO template / jumbogram) gives no length to check against.
  if (ip.is_fragment || l.truncated || ip.length_zero || ip.end < l4) return L4Check::kNotChecked;
  std::span<const std::uint8_t> segment = frame.subspan(l4, ip.end - l4);
  if (tcp) {
    const bool options_ok = ip.version == 4 ? c.current.ipv4_receive.tcp_options_supported
                                            : c.current.ipv6_receive.tcp_options_supported;
    const std::size_t tcp_header = 4u * static_cast<std::size_t>(segment[12] >> 4);
    if (tcp_header > kTcpMinHeader && !options_ok) return L4Check::kNotChecked;
  } else {
    const std::uint16_t udp_length = wire::LoadBe16(segment.subspan<4, 2>());
    const std::uint16_t udp_checksum = wire::LoadBe16(segment.subspan<6, 2>());
    if (udp_checksum == 0 && ip.version == 4) return L4Check::kNotChecked;  // RFC 768: none
    // RFC 8200 §8.1: over IPv6 a zero UDP checksum is a failure whatever the datagram sums to.
    if (udp_checksum == 0) return L4Check::kBad;
    if (udp_length < 8 || udp_length > segment.size()) return L4Check::kNotChecked;
    segment = segment.first(udp_length);
  }
  const bool ok = TransportChecksumGood(frame, ip, proto, segment);
  return ok ? L4Check::kGood : L4Check::kBad;
}

void SetL4Flags(ChecksumRxInfo& info, std::uint8_t proto, L4Check r) {
  if (r == L4Check::kNotChecked) return;
  const bool ok = r == L4Check::kGood;
  if (proto == wire::kIpProtoTcp) {
    info.set_tcp_checksum_succeeded(ok);
    info.set_tcp_checksum_failed(!ok);
  } else {
    info.set_udp_checksum_succeeded(ok);
    info.set_udp_checksum_failed(!ok);
  }
}

// Spec §3.2: the Receive flags for the outer IPv4 header, the inner IPv4 header (when `inner`)
// and the transport header (inner when `inner`, the packet's own otherwise).
ChecksumRxInfo ValidateChecksums(const AdapterConfig& c, std::span<const std::uint8_t> frame,
                                 const FrameLayout& l, bool inner) {
  ChecksumRxInfo info;
  const L3Layout& outer = l.outer_l3;
  if (!c.OffloadEncapsulationFor(outer.version == 6)) return info;  // OID_OFFLOAD_ENCAPSULATION
  int good = 0, bad = 0, unchecked = 0;
  auto check_ipv4 = [&](const L3Layout& ip) {
    if (ip.version != 4 || !c.current.ipv4_receive.ip_checksum) return;
    if (!IpOptionsOk(c, ip)) {  // options without IpOptionsSupported: not validated
      ++unchecked;
      return;
    }
    (Ipv4HeaderGood(frame, ip) ? good : bad) += 1;
  };
  check_ipv4(outer);
  if (inner) check_ipv4(l.inner_l3);
  // Spec §3.2: "set IpChecksumSucceeded only when BOTH IP header checks passed; set
  // IpChecksumFailed when EITHER failed". An IPv4 header left unchecked has not passed, so
  // Succeeded needs every IPv4 header validated (else the stack would trust a header nobody
  // checked); Failed needs one checked bad. Mixed mode: the single IPv4 header decides [INFER].
  info.set_ip_checksum_failed(bad > 0);
  info.set_ip_checksum_succeeded(good > 0 && bad == 0 && unchecked == 0);

  const L3Layout& ip = inner ? l.inner_l3 : outer;
  const std::uint16_t l4 = inner ? l.inner_l4 : l.outer_l4;
  if (ip.present() && (inner || !l.encapsulated())) {
    SetL4Flags(info, l.l4_protocol, CheckTransport(c, frame, l, ip, l4));
  }
  return info;
}

// The INNER/OUTER bits a frame needs in an offload's mask (spec §7.2): both versions' bits, or
// only the outer one when there is no inner IP header (e.g. inner ARP).
struct VersionBits {
  std::uint32_t outer = 0, inner = 0;
};
inline VersionBits BitsFor(const FrameLayout& l) {
  VersionBits b;
  b.outer = l.outer_l3.version == 6 ? kEncapOuterIpv6 : kEncapOuterIpv4;
  if (l.inner_l3.present()) b.inner = l.inner_l3.version == 6 ? kEncapInnerIpv6 : kEncapInnerIpv4;
  return b;
}
inline bool MaskAllows(const AdapterConfig& c, EncapOffload o, const VersionBits& b) {
  const std::uint32_t mask = c.encapsulated().mask(o);
  return (mask & b.outer) != 0 && (b.inner == 0 || (mask & b.inner) != 0);
}

}  // namespace

std::string_view ToString(RxPath p) {
  switch (p) {
    case RxPath::kNotIp: return "not-ip";
    case RxPath::kPlain: return "plain";
    case RxPath::kEncapsulated: return "encapsulated";
    case RxPath::kEncapsulationNotOffloaded: return "encapsulation-not-offloaded";
  }
  return "?";
}

std::string_view ToString(RxNotOffloaded r) {
  switch (r) {
    case RxNotOffloaded::kNone: return "none";
    case RxNotOffloaded::kUnknownEncapsulation: return "unknown-encapsulation";
    case RxNotOffloaded::kInnerUnparsed: return "inner-unparsed";
    case RxNotOffloaded::kInactive: return "inactive";
    case RxNotOffloaded::kOuterFragment: return "outer-fragment";
    case RxNotOffloaded::kHeadersTooLong: return "headers-too-long";
    case RxNotOffloaded::kVersionsNotAdvertised: return "versions-not-advertised";
  }
  return "?";
}

namespace {

// The rest of the work for a frame ClassifyNvgreFast accepted: the same rules as the general
// path below (the tests compare the two on every configuration), with what the shape already
// guarantees left out: outer IPv4 without options and not a fragment, GRE version 0 with an
// inner Ethernet and IP header, inner TCP/UDP directly after an inner header without options.
void FinishNvgreFast(const AdapterConfig& c, std::span<const std::uint8_t> f, RxResult& r) {
  const FrameLayout& l = r.layout;
  const bool inner6 = l.inner_l3.version == 6;
  r.header_span = l.payload;
  r.inner_checksum = r.inner_rss = r.inner_vmq = false;
  RxNotOffloaded why = RxNotOffloaded::kNone;
  if (!c.encapsulated_offload_active()) {
    why = RxNotOffloaded::kInactive;  // spec §8.1
  } else if (l.payload > c.encapsulated().max_header_size_supported()) {
    why = RxNotOffloaded::kHeadersTooLong;  // spec §7.2
  } else {
    const std::uint32_t inner_bit = inner6 ? kEncapInnerIpv6 : kEncapInnerIpv4;
    auto allows = [&](EncapOffload o) {
      const std::uint32_t mask = c.encapsulated().mask(o);
      return (mask & kEncapOuterIpv4) != 0 && (mask & inner_bit) != 0;
    };
    r.inner_checksum = allows(EncapOffload::kReceiveChecksum);
    r.inner_rss = allows(EncapOffload::kRss);
    r.inner_vmq = allows(EncapOffload::kVmq);
    if (!r.inner_checksum && !r.inner_rss && !r.inner_vmq) why = RxNotOffloaded::kVersionsNotAdvertised;
  }
  r.path = why == RxNotOffloaded::kNone ? RxPath::kEncapsulated : RxPath::kEncapsulationNotOffloaded;
  r.reason = why;

  // Spec §3.2 (see ValidateChecksums).
  ChecksumRxInfo info;
  if (c.offload_encapsulation_ipv4) {
    int good = 0, bad = 0;
    if (c.current.ipv4_receive.ip_checksum) {
      (Ipv4Header20Good(f, l.outer_l3.offset) ? good : bad) += 1;  // the shape has no options
      if (r.inner_checksum && !inner6) (Ipv4Header20Good(f, l.inner_l3.offset) ? good : bad) += 1;
    }
    info.set_ip_checksum_failed(bad > 0);
    info.set_ip_checksum_succeeded(good > 0 && bad == 0);
    if (r.inner_checksum) {
      // CheckTransport with what the shape guarantees left out (no IP options or extension
      // headers, not a fragment, the transport header within the inner packet).
      const bool tcp = l.l4_protocol == wire::kIpProtoTcp;
      const bool enabled = inner6 ? (tcp ? c.current.ipv6_receive.tcp_checksum : c.current.ipv6_receive.udp_checksum)
                                  : (tcp ? c.current.ipv4_receive.tcp_checksum : c.current.ipv4_receive.udp_checksum);
      std::span<const std::uint8_t> segment = f.subspan(l.inner_l4, l.inner_l3.end - l.inner_l4);
      bool check = enabled && !l.truncated;
      if (check && tcp) {
        const bool options_ok = inner6 ? c.current.ipv6_receive.tcp_options_supported
                                       : c.current.ipv4_receive.tcp_options_supported;
        check = options_ok || l.payload - l.inner_l4 == kTcpMinHeader;
      } else if (check) {
        const std::uint16_t udp_length = Be16(segment, 4);
        if ((Be16(segment, 6) == 0 && !inner6) || udp_length < 8 || udp_length > segment.size()) {
          check = false;  // RFC 768 "no checksum", or a length that says nothing usable
        } else if (Be16(segment, 6) == 0) {
          check = false;  // RFC 8200 §8.1: zero over IPv6 is a failure, whatever the sum
          SetL4Flags(info, l.l4_protocol, L4Check::kBad);
        } else {
          segment = segment.first(udp_length);
        }
      }
      if (check) {
        const bool ok = TransportChecksumGood(f, l.inner_l3, l.l4_protocol, segment);
        SetL4Flags(info, l.l4_protocol, ok ? L4Check::kGood : L4Check::kBad);
      }
    }
  }
  r.checksum = info;

  // RSS (see SelectRssInput): the inner 4-tuple, else the outer IPv4 2-tuple.
  r.rss = RssResult{};
  if (c.rss_enabled()) {
    const RssState& rss = *c.rss;
    const std::uint32_t types = rss.parameters().hash_types;
    const std::uint32_t four = l.l4_protocol == wire::kIpProtoTcp ? (inner6 ? kNdisHashTcpIpv6 : kNdisHashTcpIpv4)
                                                                  : (inner6 ? kNdisHashUdpIpv6 : kNdisHashUdpIpv4);
    std::array<std::uint8_t, kRssIpv6PortsInputSize> in;
    std::size_t n = 0;
    if (r.inner_rss && (types & four) != 0) {
      const std::size_t alen = inner6 ? kRssIpv6InputSize : kRssIpv4InputSize;
      const auto addrs = f.subspan(l.inner_l3.offset + (inner6 ? 8u : 12u), alen);
      const auto ports = f.subspan(l.inner_l4).first<4>();
      std::copy(addrs.begin(), addrs.end(), in.begin());
      std::copy(ports.begin(), ports.end(), in.begin() + static_cast<std::ptrdiff_t>(alen));
      n = alen + 4;
      r.rss.tuple = RssTuple::kInner4Tuple;
      r.rss.type = four;
    } else if ((types & kNdisHashIpv4) != 0) {
      const auto addrs = f.subspan(l.outer_l3.offset + 12u).first<kRssIpv4InputSize>();
      std::copy(addrs.begin(), addrs.end(), in.begin());
      n = kRssIpv4InputSize;
      r.rss.tuple = RssTuple::kOuter2Tuple;
      r.rss.type = kNdisHashIpv4;
    }
    if (n != 0 && rss.enabled()) {
      r.rss.hash = rss.hasher().Hash(std::span<const std::uint8_t>(in.data(), n));
      r.rss.slot = rss.SlotOf(r.rss.hash);
      r.rss.queue = rss.parameters().indirection_table[r.rss.slot];
    } else {
      r.rss = RssResult{};
    }
  }
  r.vmq_handled = c.vmq_enabled;
  if (!c.vmq_enabled) {
    r.vmq = VmqMatch{};
  } else if (c.vmq.only_mac_filters()) {
    c.vmq.ClassifyMacs(VmqTable::MacKey(f.first<6>()), VmqTable::MacKey(f.subspan(l.inner_l2.offset).first<6>()),
                       r.inner_vmq, r.vmq);
  } else {
    c.vmq.ClassifyInto(f, l, r.inner_vmq, r.vmq);
  }
}

}  // namespace

void ProcessRxFrame(const AdapterConfig& c, std::span<const std::uint8_t> frame,
                    std::size_t wire_length, RxResult& r) {
  // Every member of `r` is assigned on both paths: no blanket zeroing of the 132-byte result
  // (GCC makes that a `rep stos` whose start-up cost showed up as a fifth of the frame time).
  if (ClassifyNvgreFast(frame, wire_length, r.layout)) {
    FinishNvgreFast(c, frame, r);
    return;
  }
  detail::ProcessRxFrameGeneral(c, frame, wire_length, r);
}

bool detail::ClassifyNvgreFastForTest(std::span<const std::uint8_t> frame, std::size_t wire_length,
                                      wire::FrameLayout& layout) {
  return ClassifyNvgreFast(frame, wire_length, layout);
}

void detail::ProcessRxFrameGeneral(const AdapterConfig& c, std::span<const std::uint8_t> frame,
                                   std::size_t wire_length, RxResult& r) {
  r.layout = wire::ClassifyFrame(frame, wire_length);
  const FrameLayout& l = r.layout;
  r.reason = RxNotOffloaded::kNone;
  r.header_span = 0;
  r.inner_checksum = r.inner_rss = r.inner_vmq = false;
  r.checksum = ChecksumRxInfo{};

  if (!l.outer_l3.present()) {
    r.path = RxPath::kNotIp;
  } else if (!l.encapsulated()) {
    r.path = RxPath::kPlain;
  } else {
    r.header_span = HeaderSpan(l);
    RxNotOffloaded why = ParseableEncapsulation(l);
    if (why == RxNotOffloaded::kNone && !c.encapsulated_offload_active()) why = RxNotOffloaded::kInactive;
    if (why == RxNotOffloaded::kNone && l.outer_l3.is_fragment) why = RxNotOffloaded::kOuterFragment;
    if (why == RxNotOffloaded::kNone &&
        r.header_span > c.encapsulated().max_header_size_supported()) {
      why = RxNotOffloaded::kHeadersTooLong;
    }
    if (why == RxNotOffloaded::kNone) {
      const VersionBits bits = BitsFor(l);
      r.inner_checksum = l.inner_l3.present() && MaskAllows(c, EncapOffload::kReceiveChecksum, bits);
      r.inner_rss = l.inner_l3.present() && MaskAllows(c, EncapOffload::kRss, bits);
      r.inner_vmq = l.inner_l2.present() && MaskAllows(c, EncapOffload::kVmq, bits);
      if (!r.inner_checksum && !r.inner_rss && !r.inner_vmq) why = RxNotOffloaded::kVersionsNotAdvertised;
    }
    r.path = why == RxNotOffloaded::kNone ? RxPath::kEncapsulated : RxPath::kEncapsulationNotOffloaded;
    r.reason = why;
  }

  if (r.path != RxPath::kNotIp) r.checksum = ValidateChecksums(c, frame, l, r.inner_checksum);
  r.rss = RssResult{};
  if (c.rss_enabled()) c.rss->ComputeInto(frame, l, r.inner_rss, r.rss);
  r.vmq_handled = c.vmq_enabled;
  r.vmq = VmqMatch{};
  if (c.vmq_enabled) c.vmq.ClassifyInto(frame, l, r.inner_vmq, r.vmq);
}


void RxEngine::ProcessBurst(std::span<const std::span<const std::uint8_t>> frames,
                            std::span<RxResult> out) {
  const auto config = adapter_.Snapshot();
  const AdapterConfig& c = *config;
  const std::size_t n = std::min(frames.size(), out.size());
  // Frame at a time, each frame finished while it is in L1 (stage-by-stage over the burst with
  // GFNI hashing 8 tuples per pass measured slower), the headers of the frame two ahead
  // prefetched (as DPDK drivers do) so that their cache misses overlap this frame's work.
  constexpr std::size_t kPrefetchAhead = 2;  // frames; the headers span the first two cache lines
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) {
      const std::span<const std::uint8_t> next = frames[i + kPrefetchAhead];
      if (!next.empty()) __builtin_prefetch(next.data());
      if (next.size() > 64) __builtin_prefetch(next.data() + 64);
    }
    ProcessRxFrame(c, frames[i], 0, out[i]);
  }
  for (std::size_t i = 0; i < n; ++i) stats_.Count(out[i]);
}

}  // namespace nvgre::offload
