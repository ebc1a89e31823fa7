// IPv6 header (RFC 8200 §3) and the extension header chain (RFC 8200 §4, AH RFC 4302 §2.2);
// traffic class = DSCP/ECN (RFC 2474 §3, RFC 3168 §5); text form RFC 5952.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version| Traffic Class |           Flow Label                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Payload Length        |  Next Header  |   Hop Limit   |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                 Source Address (16 bytes)                     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |               Destination Address (16 bytes)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Extension headers (RFC 8200 §4.2-§4.6; AH RFC 4302 §2):
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Next Header  |  Hdr Ext Len  |  ...  hop-by-hop 0, routing 43, dest opts 60: (len+1)*8 B
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+        AH 51: (len+2)*4 B;  fragment 44: always 8 B:
//  |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|  Identification (32) |
//
// Usage:
//
//   auto ip = Ipv6View::Parse(eth->payload());
//   if (!ip) return ip.error();                      // Layer::kIpv6, offset 0
//   auto chain = WalkIpv6Extensions(*ip);
//   if (!chain) return chain.error();                // Layer::kIpv6Ext, offset from ip start
//   if (chain->upper_protocol == kIpProtoGre && !chain->is_fragment)
//     auto gre = GreView::Parse(ip->bytes().subspan(chain->upper_offset, ...));
//
// Payload Length 0 is accepted and the packet then extends to the end of the span: that is a
// jumbogram (RFC 2675, whose length sits in a hop-by-hop option this layer does not read) or a
// Linux BIG TCP superframe (no hop-by-hop at all on the wire, tcpdump "payload length: 0").
// A genuine zero-length payload (Next Header 59) followed by Ethernet padding therefore shows
// the padding as payload; nothing follows No Next Header, so nothing reads it.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

inline constexpr std::uint8_t kIpv6ExtHopByHop = 0;    // RFC 8200 §4.3
inline constexpr std::uint8_t kIpv6ExtRouting = 43;    // RFC 8200 §4.4
inline constexpr std::uint8_t kIpv6ExtFragment = 44;   // RFC 8200 §4.5
inline constexpr std::uint8_t kIpv6NoNextHeader = 59;  // RFC 8200 §4.7
inline constexpr std::uint8_t kIpv6ExtDestOpts = 60;   // RFC 8200 §4.6
// Walked by WalkIpv6Extensions; also kIpProtoAh (51). ESP (50) is not: its payload is opaque.
constexpr bool IsIpv6WalkableExtension(std::uint8_t next_header) {
  return next_header == kIpv6ExtHopByHop || next_header == kIpv6ExtRouting ||
         next_header == kIpv6ExtFragment || next_header == kIpv6ExtDestOpts ||
         next_header == kIpProtoAh;
}

using Ipv6Address = std::array<std::uint8_t, 16>;

// RFC 5952 §4 canonical text: lowercase hex without leading zeros, the longest run of two or
// more zero groups as "::" (leftmost on ties), a single zero group as "0". IPv4-mapped
// addresses (::ffff:0:0/96) use the mixed form "::ffff:192.0.2.1" (RFC 5952 §5), as
// inet_ntop does. Allocates; not for per-packet paths.
std::string FormatIpv6(const Ipv6Address& addr);

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicIpv6View {
 public:
  static constexpr std::size_t kHeaderSize = 40;
  static constexpr std::size_t kMinSize = kHeaderSize;
  static constexpr std::uint8_t kVersion = 6;

  // Checks, in order (all failures are Layer::kIpv6, offset 0):
  //   span < 40                              -> kTruncated
  //   version != 6                           -> kBadVersion
  //   Payload Length > span - 40             -> kTruncated, unless capture is kMayBeTruncated:
  //                                             then accepted, truncated() is true and
  //                                             packet_length()/payload() stop at the span end
  // Payload Length 0 is accepted (see the file comment). Extension headers are not looked at;
  // use WalkIpv6Extensions.
  static Result<BasicIpv6View> Parse(std::span<Byte> bytes,
                                     Capture capture = Capture::kComplete);
  // For emission into a buffer sized by the caller. No checks.
  static BasicIpv6View Unchecked(std::span<Byte> bytes) { return BasicIpv6View(bytes); }

  operator BasicIpv6View<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicIpv6View<const std::uint8_t>::Unchecked(bytes_);
  }

  // From the header to the end of the parsed span (may include link-layer padding).
  std::span<Byte> bytes() const { return bytes_; }
  std::size_t header_length() const { return kHeaderSize; }  // the fixed header only

  std::uint8_t version() const { return static_cast<std::uint8_t>(bytes_[0] >> 4); }
  std::uint8_t traffic_class() const {
    return static_cast<std::uint8_t>(((bytes_[0] & 0x0F) << 4) | (bytes_[1] >> 4));
  }
  std::uint8_t dscp() const { return static_cast<std::uint8_t>(traffic_class() >> 2); }
  std::uint8_t ecn() const { return static_cast<std::uint8_t>(traffic_class() & 0x3); }
  std::uint32_t flow_label() const {  // 20 bits
    return LoadBe24(bytes_.template subspan<1, 3>()) & 0xFFFFF;
  }
  // The raw Payload Length field: bytes after the fixed header, extension headers included.
  std::uint16_t payload_length() const { return LoadBe16(bytes_.template subspan<4, 2>()); }
  bool payload_length_zero() const { return payload_length() == 0; }
  // 40 + Payload Length, or the span size when that field is 0; clipped to the span when
  // truncated().
  std::size_t packet_length() const {
    std::uint16_t p = payload_length();
    return p != 0 && !truncated() ? kHeaderSize + p : bytes_.size();
  }
  // Payload Length claims more bytes than the span holds (only after Capture::kMayBeTruncated).
  bool truncated() const { return kHeaderSize + payload_length() > bytes_.size(); }
  std::uint8_t next_header() const { return bytes_[6]; }
  std::uint8_t hop_limit() const { return bytes_[7]; }
  Ipv6Address source() const { return LoadAddr(bytes_.template subspan<8, 16>()); }
  Ipv6Address destination() const { return LoadAddr(bytes_.template subspan<24, 16>()); }
  // Fixed-extent views of the addresses (for PseudoHeaderSumV6 without copies).
  std::span<Byte, 16> source_bytes() const { return bytes_.template subspan<8, 16>(); }
  std::span<Byte, 16> destination_bytes() const { return bytes_.template subspan<24, 16>(); }
  std::span<Byte> header() const { return bytes_.template first<kHeaderSize>(); }
  // From 40 to packet_length(): extension headers included, link-layer padding excluded.
  std::span<Byte> payload() const {
    return bytes_.subspan(kHeaderSize, packet_length() - kHeaderSize);
  }

  void set_traffic_class(std::uint8_t tc) requires(!std::is_const_v<Byte>) {
    bytes_[0] = static_cast<std::uint8_t>((bytes_[0] & 0xF0) | (tc >> 4));
    bytes_[1] = static_cast<std::uint8_t>(((tc & 0x0F) << 4) | (bytes_[1] & 0x0F));
  }
  // Precondition: dscp < 64.
  void set_dscp(std::uint8_t dscp) requires(!std::is_const_v<Byte>) {
    assert(dscp < 64);
    set_traffic_class(static_cast<std::uint8_t>((dscp << 2) | ecn()));
  }
  // Precondition: ecn < 4.
  void set_ecn(std::uint8_t ecn) requires(!std::is_const_v<Byte>) {
    assert(ecn < 4);
    set_traffic_class(static_cast<std::uint8_t>((traffic_class() & 0xFC) | ecn));
  }
  // Precondition: label < 2^20.
  void set_flow_label(std::uint32_t label) requires(!std::is_const_v<Byte>) {
    assert(label <= 0xFFFFF);
    bytes_[1] = static_cast<std::uint8_t>((bytes_[1] & 0xF0) | ((label >> 16) & 0x0F));
    StoreBe16(bytes_.template subspan<2, 2>(), static_cast<std::uint16_t>(label));
  }
  void set_payload_length(std::uint16_t len) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<4, 2>(), len);
  }
  void set_next_header(std::uint8_t nh) requires(!std::is_const_v<Byte>) { bytes_[6] = nh; }
  void set_hop_limit(std::uint8_t hl) requires(!std::is_const_v<Byte>) { bytes_[7] = hl; }
  void set_source(const Ipv6Address& a) requires(!std::is_const_v<Byte>) {
    std::copy(a.begin(), a.end(), bytes_.begin() + 8);
  }
  void set_destination(const Ipv6Address& a) requires(!std::is_const_v<Byte>) {
    std::copy(a.begin(), a.end(), bytes_.begin() + 24);
  }

 private:
  explicit BasicIpv6View(std::span<Byte> b) : bytes_(b) {}
  static Ipv6Address LoadAddr(std::span<const std::uint8_t, 16> b) {
    Ipv6Address a;
    std::copy(b.begin(), b.end(), a.begin());
    return a;
  }

  std::span<Byte> bytes_;
};

using Ipv6View = BasicIpv6View<const std::uint8_t>;
using Ipv6MutView = BasicIpv6View<std::uint8_t>;

// Parse is defined in ipv6.cc for both byte types (declarations only, to keep it out of line).
extern template Result<Ipv6View>
    BasicIpv6View<const std::uint8_t>::Parse(std::span<const std::uint8_t>, Capture);
extern template Result<Ipv6MutView>
    BasicIpv6View<std::uint8_t>::Parse(std::span<std::uint8_t>, Capture);

// What lies between the IPv6 header and the upper-layer header. All offsets are bytes from the
// start of the IPv6 header.
struct Ipv6Chain {
  std::uint8_t upper_protocol = 0;    // first Next Header value that is not walked
  std::uint32_t upper_offset = 0;     // 40 + all extension headers walked
  std::uint8_t extension_count = 0;   // extension headers walked (<= kIpv6MaxExtensionHeaders)
  bool fragment_header = false;       // a Fragment header was present (even an atomic one)
  bool is_fragment = false;           // Fragment Offset != 0 or M set (RFC 8200 §4.5)
  std::uint32_t fragment_offset = 0;  // bytes (the field counts 8-byte units)
  bool more_fragments = false;        // M flag
  std::uint32_t fragment_id = 0;      // Identification
  std::uint32_t last_next_header_offset = 6;  // the Next Header byte that names upper_protocol
  // Where the 16-byte address for the upper-layer pseudo-header's Destination Address lies
  // (RFC 8200 §8.1: the final destination). 24 (the header's own Destination Address) unless a
  // Routing header with Segments Left > 0 names the final destination: its last address for
  // types 0 (RFC 5095) and 2 (RFC 6275), Segment List[0] for type 4 (SRH, RFC 8754 §2). Other
  // types (RPL type 3 compresses its addresses) keep 24.
  std::uint32_t final_destination_offset = 24;

  friend constexpr bool operator==(const Ipv6Chain&, const Ipv6Chain&) = default;
};

inline constexpr std::size_t kIpv6MaxExtensionHeaders = 8;

// Walks the extension headers within ip.packet_length() (clipped to the span when the view is
// truncated(), so a chain cut by a snap length fails with kTruncated). RFC 8200 §4.1 order is
// not enforced, except that hop-by-hop must come first (§4.3). Stops at the first Next Header
// that is not hop-by-hop, routing, fragment, destination options or AH; so ESP (50), No Next
// Header (59) and any upper layer end the walk and become upper_protocol. Also stops right
// after a Fragment header whose offset is non-zero: what follows is fragment data (§4.5).
// Failures, all Layer::kIpv6Ext with offset = that extension header's offset from ip start:
//   header (or its first 8 bytes) beyond packet_length()       -> kTruncated
//   hop-by-hop not directly after the IPv6 header (§4.3)         -> kUnsupported
//   a (kIpv6MaxExtensionHeaders+1)-th extension header           -> kUnsupported
//   a second Fragment header (nested fragmentation)              -> kUnsupported
Result<Ipv6Chain> WalkIpv6Extensions(const Ipv6View& ip);

// The pseudo-header Destination Address of `ip` (RFC 8200 §8.1): the final destination
// chain.final_destination_offset points at. Precondition: `chain` came from
// WalkIpv6Extensions(ip).
inline std::span<const std::uint8_t, 16> FinalDestinationBytes(const Ipv6View& ip,
                                                              const Ipv6Chain& chain) {
  return std::span<const std::uint8_t, 16>(ip.bytes().data() + chain.final_destination_offset, 16);
}

// Plain value for building packets and for tests (no extension headers).
struct Ipv6Repr {
  static constexpr std::size_t kHeaderSize = Ipv6View::kHeaderSize;

  std::uint8_t traffic_class = 0;  // DSCP << 2 | ECN
  std::uint32_t flow_label = 0;    // 20 bits
  std::uint16_t payload_length = 0;
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 64;
  Ipv6Address source{};
  Ipv6Address destination{};

  static Ipv6Repr From(const Ipv6View& v);  // never fails: the view is already validated
  std::size_t header_length() const { return kHeaderSize; }
  // Writes the 40-byte header. Preconditions: out.size() >= 40, flow_label < 2^20.
  void Emit(MutBytes out) const;

  friend bool operator==(const Ipv6Repr&, const Ipv6Repr&) = default;
};

}  // namespace nvgre::wire
