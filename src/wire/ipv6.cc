// IPv6 header, extension header walk (RFC 8200 §3, §4; AH RFC 4302 §2.2) and RFC 5952 text.
#include "nvgre/wire/ipv6.h"

namespace nvgre::wire {

template <class Byte>
Result<BasicIpv6View<Byte>> BasicIpv6View<Byte>::Parse(std::span<Byte> bytes,
                                                     Capture capture) {
  if (bytes.size() < kHeaderSize) return Fail(ParseError::kTruncated, Layer::kIpv6);
  const BasicIpv6View v(bytes);
  if (v.version() != kVersion) return Fail(ParseError::kBadVersion, Layer::kIpv6);
  // Payload Length 0: jumbogram (RFC 2675) or BIG TCP; the packet runs to the end of the span.
  if (v.payload_length() > bytes.size() - kHeaderSize && capture == Capture::kComplete) {
    return Fail(ParseError::kTruncated, Layer::kIpv6);
  }
  return v;
}

template Result<Ipv6View>
    BasicIpv6View<const std::uint8_t>::Parse(std::span<const std::uint8_t>, Capture);
template Result<Ipv6MutView>
    BasicIpv6View<std::uint8_t>::Parse(std::span<std::uint8_t>, Capture);

namespace {

// RFC 8200 §8.1: "If the IPv6 packet contains a Routing header, the Destination Address used in
// the pseudo-header is that of the final destination. At the originating node, that address
// will be in the last element of the Routing header". Only while Segments Left > 0: at the
// final destination the header's own Destination Address is it. `rh` is the whole Routing
// header (>= 8 bytes) at `off` from the IPv6 header start.
void NoteFinalDestination(Bytes rh, std::size_t off, Ipv6Chain& c) {
  const std::uint8_t type = rh[2];
  const std::uint8_t segments_left = rh[3];
  const std::size_t addresses = (rh.size() - 8) / 16;  // 16-byte slots after the 8 fixed bytes
  if (segments_left == 0 || addresses == 0) return;
  if (type == 0 || type == 2) {  // RFC 5095 / RFC 6275 §6.4: Address[1..n], the last is final
    c.final_destination_offset = static_cast<std::uint32_t>(off + 8 + 16 * (addresses - 1));
  } else if (type == 4) {  // RFC 8754 §2: Segment List[0] is the last segment of the path
    c.final_destination_offset = static_cast<std::uint32_t>(off + 8);
  }
}

}  // namespace

Result<Ipv6Chain> WalkIpv6Extensions(const Ipv6View& ip) {
  const Bytes packet = ip.bytes().first(ip.packet_length());
  Ipv6Chain c;
  std::uint8_t nh = ip.next_header();
  std::size_t off = Ipv6View::kHeaderSize;
  std::size_t nh_offset = 6;
  while (IsIpv6WalkableExtension(nh)) {
    const auto here = static_cast<std::uint32_t>(off);
    // RFC 8200 §4.3: "The Hop-by-Hop Options header, when present, must immediately follow
    // the IPv6 header"; §4 says nodes must not process it elsewhere.
    if (nh == kIpv6ExtHopByHop && c.extension_count != 0) {
      return Fail(ParseError::kUnsupported, Layer::kIpv6Ext, here);
    }
    if (c.extension_count == kIpv6MaxExtensionHeaders) {
      return Fail(ParseError::kUnsupported, Layer::kIpv6Ext, here);
    }
    // Every walkable header is at least 8 bytes: 8-octet units for §4.3/4.4/4.6, a fixed 8 for
    // the fragment header (§4.5), (len+2) 4-octet units >= 8 for AH (RFC 4302 §2.2).
    const std::size_t left = packet.size() - off;
    if (left < 8) return Fail(ParseError::kTruncated, Layer::kIpv6Ext, here);
    const std::size_t len_field = packet[off + 1];
    std::size_t len = 0;
    if (nh == kIpv6ExtFragment) {
      len = 8;  // the second byte is Reserved here, not a length
    } else if (nh == kIpProtoAh) {
      len = (len_field + 2) * 4;  // RFC 4302 §2.2: Payload Len in 32-bit words, minus 2
    } else {
      len = (len_field + 1) * 8;  // RFC 8200 §4.3: Hdr Ext Len in 8-octet units, minus 1
    }
    if (left < len) return Fail(ParseError::kTruncated, Layer::kIpv6Ext, here);
    bool stop = false;
    if (nh == kIpv6ExtFragment) {
      if (c.fragment_header) return Fail(ParseError::kUnsupported, Layer::kIpv6Ext, here);
      const std::uint16_t fo = LoadBe16(std::span<const std::uint8_t, 2>(&packet[off + 2], 2));
      c.fragment_header = true;
      c.fragment_offset = std::uint32_t{fo} & 0xFFF8u;  // 13-bit field in 8-octet units
      c.more_fragments = (fo & 0x1) != 0;
      c.is_fragment = c.fragment_offset != 0 || c.more_fragments;
      c.fragment_id = LoadBe32(std::span<const std::uint8_t, 4>(&packet[off + 4], 4));
      // §4.5: in a non-first fragment the bytes after this header are fragment data.
      stop = c.fragment_offset != 0;
    }
    if (nh == kIpv6ExtRouting) NoteFinalDestination(packet.subspan(off, len), off, c);
    nh_offset = off;
    nh = packet[off];
    off += len;
    ++c.extension_count;
    if (stop) break;
  }
  c.upper_protocol = nh;
  c.upper_offset = static_cast<std::uint32_t>(off);
  c.last_next_header_offset = static_cast<std::uint32_t>(nh_offset);
  return c;
}

namespace {

void AppendHex16(std::string& s, std::uint16_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned digit = (unsigned{v} >> shift) & 0xFu;
    if (digit == 0 && !started && shift != 0) continue;  // no leading zeros (RFC 5952 §4.1)
    started = true;
    s.push_back(kHex[digit]);
  }
}

}  // namespace

std::string FormatIpv6(const Ipv6Address& a) {
  std::string s;
  s.reserve(39);
  // RFC 5952 §5: IPv4-mapped addresses in mixed notation.
  const bool mapped =
      std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
      a[10] == 0xFF && a[11] == 0xFF;
  if (mapped) {
    s = "::ffff:";
    for (std::size_t i = 12; i < 16; ++i) {
      if (i != 12) s.push_back('.');
      s += std::to_string(a[i]);
    }
    return s;
  }
  std::array<std::uint16_t, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) {
    g[i] = static_cast<std::uint16_t>((a[2 * i] << 8) | a[2 * i + 1]);
  }
  // §4.2.2/§4.2.3: compress the longest run of >= 2 zero groups, the first one on ties.
  std::size_t best = 8, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = 8;
  for (std::size_t i = 0; i < 8;) {
    if (i == best) {
      s += "::";
      i += best_len;
      continue;
    }
    if (i != 0 && i != best + best_len) s.push_back(':');
    AppendHex16(s, g[i]);
    ++i;
  }
  return s;
}

Ipv6Repr Ipv6Repr::From(const Ipv6View& v) {
  Ipv6Repr r;
  r.traffic_class = v.traffic_class();
  r.flow_label = v.flow_label();
  r.payload_length = v.payload_length();
  r.next_header = v.next_header();
  r.hop_limit = v.hop_limit();
  r.source = v.source();
  r.destination = v.destination();
  return r;
}

void Ipv6Repr::Emit(MutBytes out) const {
  assert(out.size() >= kHeaderSize && flow_label <= 0xFFFFF);
  out[0] = static_cast<std::uint8_t>(Ipv6View::kVersion << 4);
  out[1] = 0;
  auto v = Ipv6MutView::Unchecked(out.first(kHeaderSize));
  v.set_traffic_class(traffic_class);
  v.set_flow_label(flow_label);
  v.set_payload_length(payload_length);
  v.set_next_header(next_header);
  v.set_hop_limit(hop_limit);
  v.set_source(source);
  v.set_destination(destination);
}

}  // namespace nvgre::wire
