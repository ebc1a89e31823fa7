// IPv4 header (RFC 791 §3.1), DSCP/ECN (RFC 2474 §3, RFC 3168 §5).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |Version|  IHL  |   DSCP    |ECN|          Total Length         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |         Identification        |R|D|M|      Fragment Offset    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       Source Address                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Destination Address                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options (IHL*4 - 20 bytes, <= 40)          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Usage:
//
//   auto ip = Ipv4View::Parse(eth->payload());
//   if (!ip) return ip.error();                   // Layer::kIpv4, offset 0
//   if (!ip->header_checksum_valid()) ...;        // Parse does not check it (callers count it)
//   if (ip->protocol() == kIpProtoGre) auto gre = GreView::Parse(ip->payload());
//
// payload() ends at Total Length, so Ethernet padding after a short packet is excluded.
// Total Length 0 is accepted: NDIS LSOv2 (Microsoft, "Offloading the Segmentation of Large TCP
// Packets") and Linux BIG TCP (netdev 2022, tcpdump "bad-len 0") write 0 into superframes whose
// length does not fit 16 bits. The packet then extends to the end of the span
// (total_length_zero() is true; packet_length() is the span size).
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
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

using Ipv4Address = std::array<std::uint8_t, 4>;

// Dotted quad "100.0.17.1". Allocates; not for per-packet paths.
std::string FormatIpv4(const Ipv4Address& addr);

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicIpv4View {
 public:
  static constexpr std::size_t kMinHeaderSize = 20;
  static constexpr std::size_t kMinSize = kMinHeaderSize;
  static constexpr std::size_t kMaxHeaderSize = 60;  // IHL 15
  static constexpr std::uint8_t kVersion = 4;

  // Checks, in order (all failures are Layer::kIpv4, offset 0):
  //   span < 20                              -> kTruncated
  //   version != 4                           -> kBadVersion
  //   IHL < 5                                -> kBadHeaderLength
  //   span < IHL*4                           -> kTruncated
  //   Total Length != 0 and < IHL*4          -> kLengthMismatch
  //   Total Length > span                    -> kTruncated, unless capture is kMayBeTruncated:
  //                                             then accepted, truncated() is true and
  //                                             packet_length()/payload() stop at the span end
  // The header checksum is not verified here; see header_checksum_valid().
  static Result<BasicIpv4View> Parse(std::span<Byte> bytes,
                                     Capture capture = Capture::kComplete);
  // For emission into a buffer sized by the caller. No checks.
  static BasicIpv4View Unchecked(std::span<Byte> bytes) { return BasicIpv4View(bytes); }

  operator BasicIpv4View<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicIpv4View<const std::uint8_t>::Unchecked(bytes_);
  }

  // From the header to the end of the parsed span (may include link-layer padding).
  std::span<Byte> bytes() const { return bytes_; }

  std::uint8_t version() const { return static_cast<std::uint8_t>(bytes_[0] >> 4); }
  std::uint8_t ihl_words() const { return static_cast<std::uint8_t>(bytes_[0] & 0x0F); }
  std::size_t header_length() const { return std::size_t{ihl_words()} * 4; }  // bytes
  std::uint8_t tos() const { return bytes_[1]; }
  std::uint8_t dscp() const { return static_cast<std::uint8_t>(bytes_[1] >> 2); }  // RFC 2474
  std::uint8_t ecn() const { return static_cast<std::uint8_t>(bytes_[1] & 0x3); }  // RFC 3168
  // The raw Total Length field (header + data, bytes); may be 0, see total_length_zero().
  std::uint16_t total_length() const { return LoadBe16(bytes_.template subspan<2, 2>()); }
  bool total_length_zero() const { return total_length() == 0; }
  // Header + data in bytes: Total Length, or the span size when that field is 0; clipped to
  // the span when truncated().
  std::size_t packet_length() const {
    std::uint16_t t = total_length();
    return t != 0 && t <= bytes_.size() ? std::size_t{t} : bytes_.size();
  }
  // Total Length claims more bytes than the span holds (only after Capture::kMayBeTruncated).
  bool truncated() const { return total_length() > bytes_.size(); }
  std::uint16_t identification() const { return LoadBe16(bytes_.template subspan<4, 2>()); }
  // The reserved flag (bit 0 of the flags, "evil bit" RFC 3514); must be zero per RFC 791.
  bool reserved_flag() const { return (bytes_[6] & 0x80) != 0; }
  bool dont_fragment() const { return (bytes_[6] & 0x40) != 0; }
  bool more_fragments() const { return (bytes_[6] & 0x20) != 0; }
  // Fragment offset in BYTES (the field counts 8-byte units), 0..65528.
  std::uint32_t fragment_offset() const {
    return std::uint32_t{FlagsFragment() & 0x1FFFu} * 8;
  }
  // RFC 791: a fragment is any packet with MF set or a non-zero offset.
  bool is_fragment() const { return (FlagsFragment() & 0x3FFF) != 0; }
  std::uint8_t ttl() const { return bytes_[8]; }
  std::uint8_t protocol() const { return bytes_[9]; }
  std::uint16_t header_checksum() const { return LoadBe16(bytes_.template subspan<10, 2>()); }
  Ipv4Address source() const { return LoadAddr(bytes_.template subspan<12, 4>()); }
  Ipv4Address destination() const { return LoadAddr(bytes_.template subspan<16, 4>()); }
  // Fixed-extent views of the addresses (for PseudoHeaderSumV4 without copies).
  std::span<Byte, 4> source_bytes() const { return bytes_.template subspan<12, 4>(); }
  std::span<Byte, 4> destination_bytes() const { return bytes_.template subspan<16, 4>(); }
  std::span<Byte> options() const {
    return bytes_.subspan(kMinHeaderSize, header_length() - kMinHeaderSize);
  }
  std::span<Byte> header() const { return bytes_.first(header_length()); }
  // RFC 1071 over the header, checksum field included, sums to 0xFFFF (RFC 791 §3.1).
  bool header_checksum_valid() const { return ChecksumVerifies(header()); }
  // From header_length() to packet_length(): excludes link-layer padding after the packet.
  // Precondition (as for every accessor): the view came from Parse, or the bytes are valid.
  std::span<Byte> payload() const {
    return bytes_.subspan(header_length(), packet_length() - header_length());
  }

  void set_tos(std::uint8_t tos) requires(!std::is_const_v<Byte>) { bytes_[1] = tos; }
  // Precondition: dscp < 64.
  void set_dscp(std::uint8_t dscp) requires(!std::is_const_v<Byte>) {
    assert(dscp < 64);
    bytes_[1] = static_cast<std::uint8_t>((dscp << 2) | (bytes_[1] & 0x3));
  }
  // Precondition: ecn < 4.
  void set_ecn(std::uint8_t ecn) requires(!std::is_const_v<Byte>) {
    assert(ecn < 4);
    bytes_[1] = static_cast<std::uint8_t>((bytes_[1] & 0xFC) | ecn);
  }
  void set_total_length(std::uint16_t len) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<2, 2>(), len);
  }
  void set_identification(std::uint16_t id) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<4, 2>(), id);
  }
  // Writes DF, MF and the offset; clears the reserved flag.
  // Precondition: offset_bytes is a multiple of 8 and <= 65528.
  void set_flags_fragment(bool df, bool mf, std::uint32_t offset_bytes)
    requires(!std::is_const_v<Byte>)
  {
    assert(offset_bytes % 8 == 0 && offset_bytes / 8 <= 0x1FFF);
    StoreBe16(bytes_.template subspan<6, 2>(),
              static_cast<std::uint16_t>((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) |
                                         ((offset_bytes / 8) & 0x1FFF)));
  }
  void set_ttl(std::uint8_t ttl) requires(!std::is_const_v<Byte>) { bytes_[8] = ttl; }
  void set_protocol(std::uint8_t p) requires(!std::is_const_v<Byte>) { bytes_[9] = p; }
  void set_header_checksum(std::uint16_t c) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<10, 2>(), c);
  }
  void set_source(const Ipv4Address& a) requires(!std::is_const_v<Byte>) {
    std::copy(a.begin(), a.end(), bytes_.begin() + 12);
  }
  void set_destination(const Ipv4Address& a) requires(!std::is_const_v<Byte>) {
    std::copy(a.begin(), a.end(), bytes_.begin() + 16);
  }
  // Zeroes the checksum field, computes RFC 1071 over header_length() bytes, stores it.
  void FillHeaderChecksum() requires(!std::is_const_v<Byte>) {
    set_header_checksum(0);
    set_header_checksum(Checksum(header()));
  }

 private:
  explicit BasicIpv4View(std::span<Byte> b) : bytes_(b) {}
  std::uint16_t FlagsFragment() const { return LoadBe16(bytes_.template subspan<6, 2>()); }
  static Ipv4Address LoadAddr(std::span<const std::uint8_t, 4> b) {
    return Ipv4Address{b[0], b[1], b[2], b[3]};
  }

  std::span<Byte> bytes_;
};

using Ipv4View = BasicIpv4View<const std::uint8_t>;
using Ipv4MutView = BasicIpv4View<std::uint8_t>;

// Parse is defined in ipv4.cc for both byte types (declarations only, to keep it out of line).
extern template Result<Ipv4View>
    BasicIpv4View<const std::uint8_t>::Parse(std::span<const std::uint8_t>, Capture);
extern template Result<Ipv4MutView>
    BasicIpv4View<std::uint8_t>::Parse(std::span<std::uint8_t>, Capture);

// Plain value for building packets and for tests. The checksum is not a field: Emit computes it.
struct Ipv4Repr {
  static constexpr std::size_t kMaxOptionsLength = 40;

  std::uint8_t tos = 0;               // DSCP << 2 | ECN
  std::uint16_t total_length = 0;     // raw field: header + data bytes, or 0 (LSOv2 / BIG TCP)
  std::uint16_t identification = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // bytes, multiple of 8, <= 65528
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;
  Ipv4Address source{};
  Ipv4Address destination{};
  std::array<std::uint8_t, kMaxOptionsLength> options{};  // [0, options_length) used
  std::uint8_t options_length = 0;                        // bytes, multiple of 4, <= 40

  // Never fails: the view is already validated. The reserved flag is not carried over.
  static Ipv4Repr From(const Ipv4View& v);
  std::size_t header_length() const { return Ipv4View::kMinHeaderSize + options_length; }
  // Writes the header_length()-byte header with a correct checksum. Preconditions:
  // out.size() >= header_length(), options_length % 4 == 0, options_length <= 40,
  // fragment_offset % 8 == 0.
  void Emit(MutBytes out) const;

  friend bool operator==(const Ipv4Repr&, const Ipv4Repr&) = default;
};

}  // namespace nvgre::wire
