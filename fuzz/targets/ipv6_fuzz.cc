// Fuzz target: Ipv6View / Ipv6Repr (RFC 8200 §3), WalkIpv6Extensions (RFC 8200 §4, RFC 4302
// §2.2) and FormatIpv6 (RFC 5952).
//
// Input: an IPv6 packet. Invariants:
//   - Parse agrees with the check order of ipv6.h (both Capture modes);
//   - on success 40 <= packet_length() <= size, payload() = [40, packet_length()) in the span;
//   - Ipv6Repr::From(view).Emit() gives back the 40 header bytes exactly (lossless);
//   - WalkIpv6Extensions agrees with a plain reference walk written from ipv6.h (result or
//     failure, field by field), and its offsets are ordered and inside packet_length();
//   - FormatIpv6 prints what glibc's inet_ntop prints, except for the deprecated
//     IPv4-compatible form ::a.b.c.d, which RFC 5952 does not ask for.
#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/ipv6.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::Within;
using namespace nvgre::wire;  // NOLINT

std::optional<ParseError> ReferenceError(std::span<const std::uint8_t> b, Capture capture) {
  if (b.size() < 40) return ParseError::kTruncated;
  if ((b[0] >> 4) != 6) return ParseError::kBadVersion;
  const std::size_t payload = std::size_t{b[4]} << 8 | b[5];
  if (payload > b.size() - 40 && capture == Capture::kComplete) return ParseError::kTruncated;
  return std::nullopt;
}

// The extension header walk as ipv6.h describes it. `packet` = the first packet_length() bytes.
Result<Ipv6Chain> ReferenceWalk(std::span<const std::uint8_t> packet, std::uint8_t first_nh) {
  Ipv6Chain c;
  std::uint8_t nh = first_nh;
  std::size_t off = 40;
  std::size_t nh_at = 6;
  for (;;) {
    const bool walkable = nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
    if (!walkable) break;
    const auto here = static_cast<std::uint32_t>(off);
    if (nh == 0 && c.extension_count != 0) return Fail(ParseError::kUnsupported, Layer::kIpv6Ext, here);
    if (c.extension_count == 8) return Fail(ParseError::kUnsupported, Layer::kIpv6Ext, here);
    if (packet.size() < off + 8) return Fail(ParseError::kTruncated, Layer::kIpv6Ext, here);
    std::size_t len = 0;
    if (nh == 44) {
      len = 8;
    } else if (nh == 51) {
      len = (std::size_t{packet[off + 1]} + 2) * 4;
    } else {
      len = (std::size_t{packet[off + 1]} + 1) * 8;
    }
    if (packet.size() < off + len) return Fail(ParseError::kTruncated, Layer::kIpv6Ext, here);
    bool stop = false;
    if (nh == 44) {
      if (c.fragment_header) return Fail(ParseError::kUnsupported, Layer::kIpv6Ext, here);
      c.fragment_header = true;
      const std::uint32_t units = (std::uint32_t{packet[off + 2]} << 5) | (packet[off + 3] >> 3);
      c.fragment_offset = units * 8;
      c.more_fragments = (packet[off + 3] & 1) != 0;
      c.is_fragment = c.fragment_offset != 0 || c.more_fragments;
      c.fragment_id = std::uint32_t{packet[off + 4]} << 24 | std::uint32_t{packet[off + 5]} << 16 |
                      std::uint32_t{packet[off + 6]} << 8 | packet[off + 7];
      stop = c.fragment_offset != 0;
    }
    if (nh == 43 && packet[off + 3] != 0 && len >= 24) {
      // RFC 8200 §8.1: while Segments Left > 0 the final destination is the Routing header's
      // last address (types 0, 2: Address[n] of the 16-byte slots after 8 fixed bytes) or
      // Segment List[0] (type 4, RFC 8754 §2); other types keep the fixed header's (24).
      if (packet[off + 2] == 0 || packet[off + 2] == 2) c.final_destination_offset = static_cast<std::uint32_t>(off + len - 16 - (len - 8) % 16);
      if (packet[off + 2] == 4) c.final_destination_offset = static_cast<std::uint32_t>(off + 8);
    }
    nh_at = off;
    nh = packet[off];
    off += len;
    ++c.extension_count;
    if (stop) break;
  }
  c.upper_protocol = nh;
  c.upper_offset = static_cast<std::uint32_t>(off);
  c.last_next_header_offset = static_cast<std::uint32_t>(nh_at);
  return c;
}

void CheckOne(std::vector<std::uint8_t>& packet, Capture capture) {
  const std::span<const std::uint8_t> bytes(packet);
  const std::size_t size = bytes.size();
  const auto want = ReferenceError(bytes, capture);
  auto ip = Ipv6View::Parse(bytes, capture);
  FUZZ_CHECK(ip.has_value() == !want.has_value());
  if (!ip) {
    FUZZ_CHECK(ip.error() == (ParseFailure{*want, Layer::kIpv6, Scope::kOuter, 0}));
    return;
  }
  const Ipv6View& v = *ip;
  FUZZ_CHECK(v.version() == 6 && v.header_length() == 40);
  FUZZ_CHECK(v.packet_length() >= 40 && v.packet_length() <= size);
  FUZZ_CHECK(v.truncated() == (40 + std::size_t{v.payload_length()} > size));
  if (capture == Capture::kComplete) FUZZ_CHECK(!v.truncated());
  if (!v.payload_length_zero() && !v.truncated()) {
    FUZZ_CHECK(v.packet_length() == 40 + std::size_t{v.payload_length()});
  } else {
    FUZZ_CHECK(v.packet_length() == size);
  }
  FUZZ_CHECK(Within(v.payload(), bytes) && v.payload().data() == bytes.data() + 40 &&
             v.payload().size() == v.packet_length() - 40);
  FUZZ_CHECK(v.flow_label() <= 0xFFFFF);
  FUZZ_CHECK(v.dscp() == v.traffic_class() >> 2 && v.ecn() == (v.traffic_class() & 3));

  // Repr round trip: every bit of the fixed header is a Repr field.
  const Ipv6Repr repr = Ipv6Repr::From(v);
  std::vector<std::uint8_t> out(40, 0xA5);
  repr.Emit(out);
  FUZZ_CHECK(std::memcmp(out.data(), bytes.data(), 40) == 0);

  // Extension headers.
  const auto chain = WalkIpv6Extensions(v);
  const auto ref = ReferenceWalk(bytes.first(v.packet_length()), v.next_header());
  FUZZ_CHECK(chain.has_value() == ref.has_value());
  if (!chain) {
    FUZZ_CHECK(chain.error() == ref.error());
    FUZZ_CHECK(chain.error().offset >= 40 && chain.error().offset <= v.packet_length());
  } else {
    const Ipv6Chain& c = *chain;
    FUZZ_CHECK(c == *ref);
    FUZZ_CHECK(c.upper_offset >= 40 && c.upper_offset <= v.packet_length());
    FUZZ_CHECK(c.extension_count <= kIpv6MaxExtensionHeaders);
    FUZZ_CHECK(c.last_next_header_offset < c.upper_offset);
    FUZZ_CHECK(bytes[c.last_next_header_offset] == c.upper_protocol);
    if (c.extension_count == 0) FUZZ_CHECK(c.upper_offset == 40 && c.upper_protocol == v.next_header());
    if (c.is_fragment) FUZZ_CHECK(c.fragment_header);
    FUZZ_CHECK(c.fragment_offset % 8 == 0);
    // Only a non-first fragment stops the walk at a walkable Next Header (RFC 8200 §4.5).
    if (IsIpv6WalkableExtension(c.upper_protocol)) FUZZ_CHECK(c.fragment_offset != 0);
  }

  // Setters of the read/write view change only their bits.
  auto mut = Ipv6MutView::Parse(std::span<std::uint8_t>(packet), capture);
  FUZZ_CHECK(mut.has_value());
  const std::vector<std::uint8_t> before = packet;
  const std::uint32_t label = (v.flow_label() + 1) & 0xFFFFF;
  mut->set_flow_label(label);
  FUZZ_CHECK(mut->flow_label() == label && mut->traffic_class() == v.traffic_class() &&
             mut->version() == 6);
  for (std::size_t i = 4; i < packet.size(); ++i) FUZZ_CHECK(packet[i] == before[i]);
  packet = before;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> packet = ExactCopy(std::span(data, size));
  CheckOne(packet, Capture::kComplete);
  CheckOne(packet, Capture::kMayBeTruncated);
  if (size >= 16) {
    Ipv6Address a{};
    std::memcpy(a.data(), data + size - 16, 16);
    // glibc writes ::a.b.c.d when the first 96 bits are zero and bits 96-111 are not.
    bool compat = (a[12] | a[13]) != 0;
    for (std::size_t i = 0; i < 12; ++i) compat = compat && a[i] == 0;
    if (!compat) {
      char text[INET6_ADDRSTRLEN];
      FUZZ_CHECK(inet_ntop(AF_INET6, a.data(), text, sizeof text) != nullptr);
      FUZZ_CHECK(FormatIpv6(a) == text);
    }
  }
  return 0;
}
