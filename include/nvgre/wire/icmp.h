// ICMP for IPv4 (RFC 792) and ICMPv6 (RFC 4443): the common 4-byte header, the 4 bytes that
// follow it in every defined message ("rest of header"), and echo request/reply fields.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     Type      |     Code      |          Checksum             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  rest of header: echo Identifier | Sequence Number, MTU, ...  |   (if >= 8 bytes)
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |     message body ...
//
// Checksums: ICMPv4 (RFC 792) covers the ICMP message only; ICMPv6 (RFC 4443 §2.3) covers the
// message and the IPv6 pseudo-header (RFC 8200 §8.1), so it needs the addresses. Either way
// the view must span exactly the message (the IP payload), as both cover all of it.
//
// Usage:
//
//   auto icmp = IcmpView::Parse(ip_payload);        // {kTruncated, kIcmp, 0} below 4 bytes
//   if (!icmp || !icmp->ChecksumVerifies()) drop();
//   if (icmp->is_echo()) reply_to(icmp->echo_identifier(), icmp->echo_sequence());
//
//   auto icmp6 = Icmpv6View::Parse(ip_payload);
//   bool ok = icmp6 && icmp6->ChecksumVerifies(ip6->source_bytes(), ip6->destination_bytes());
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

// ICMPv4 types (RFC 792, IANA "ICMP Type Numbers").
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestinationUnreachable = 3;
inline constexpr std::uint8_t kIcmpRedirect = 5;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpParameterProblem = 12;

// ICMPv6 types (RFC 4443 §2.1, §3, §4; RFC 4861 §4).
inline constexpr std::uint8_t kIcmpv6DestinationUnreachable = 1;
inline constexpr std::uint8_t kIcmpv6PacketTooBig = 2;
inline constexpr std::uint8_t kIcmpv6TimeExceeded = 3;
inline constexpr std::uint8_t kIcmpv6ParameterProblem = 4;
inline constexpr std::uint8_t kIcmpv6EchoRequest = 128;
inline constexpr std::uint8_t kIcmpv6EchoReply = 129;
inline constexpr std::uint8_t kIcmpv6RouterSolicitation = 133;
inline constexpr std::uint8_t kIcmpv6RouterAdvertisement = 134;
inline constexpr std::uint8_t kIcmpv6NeighborSolicitation = 135;
inline constexpr std::uint8_t kIcmpv6NeighborAdvertisement = 136;

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicIcmpView {
 public:
  static constexpr std::size_t kHeaderSize = 4;  // type, code, checksum
  static constexpr std::size_t kMinSize = kHeaderSize;
  static constexpr std::size_t kRestSize = 4;    // the "rest of header" word

  // `bytes` is the ICMP message (the IPv4 payload). Fewer than 4 bytes -> {kTruncated,
  // Layer::kIcmp, 0}. Anything from 4 bytes on is accepted; has_rest() says whether the
  // 4 bytes after the checksum are there.
  static Result<BasicIcmpView> Parse(std::span<Byte> bytes) {
    if (bytes.size() < kHeaderSize) return Fail(ParseError::kTruncated, Layer::kIcmp, 0);
    return BasicIcmpView(bytes);
  }
  // For emission into a buffer sized by the caller (IcmpRepr::kSize). No checks.
  static BasicIcmpView Unchecked(std::span<Byte> bytes) { return BasicIcmpView(bytes); }

  operator BasicIcmpView<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicIcmpView<const std::uint8_t>::Unchecked(bytes_);
  }

  std::span<Byte> bytes() const { return bytes_; }  // the whole message, as parsed

  std::uint8_t type() const { return bytes_[0]; }
  std::uint8_t code() const { return bytes_[1]; }
  std::uint16_t checksum() const { return LoadBe16(bytes_.template subspan<2, 2>()); }
  bool has_rest() const { return bytes_.size() >= kHeaderSize + kRestSize; }
  // The 4 bytes after the checksum. Precondition: has_rest().
  std::uint32_t rest() const {
    assert(has_rest());
    return LoadBe32(bytes_.template subspan<4, 4>());
  }
  // Echo request or reply (RFC 792 "Echo or Echo Reply Message") with its 8-byte header.
  bool is_echo() const {
    return (type() == kIcmpEchoRequest || type() == kIcmpEchoReply) && has_rest();
  }
  // Preconditions: is_echo().
  std::uint16_t echo_identifier() const {
    assert(is_echo());
    return LoadBe16(bytes_.template subspan<4, 2>());
  }
  std::uint16_t echo_sequence() const {
    assert(is_echo());
    return LoadBe16(bytes_.template subspan<6, 2>());
  }
  // 8 when the rest-of-header word is present, else 4.
  std::size_t header_length() const { return has_rest() ? kHeaderSize + kRestSize : kHeaderSize; }
  // After the 8-byte header (echo data, or the invoking packet of an error message).
  std::span<Byte> payload() const { return bytes_.subspan(header_length()); }

  // RFC 792: the one's-complement sum over the whole message is 0xFFFF.
  bool ChecksumVerifies() const { return ::nvgre::wire::ChecksumVerifies(bytes_); }

  void set_type(std::uint8_t v) requires(!std::is_const_v<Byte>) { bytes_[0] = v; }
  void set_code(std::uint8_t v) requires(!std::is_const_v<Byte>) { bytes_[1] = v; }
  void set_checksum(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<2, 2>(), v);
  }
  // Preconditions: has_rest().
  void set_rest(std::uint32_t v) requires(!std::is_const_v<Byte>) {
    assert(has_rest());
    StoreBe32(bytes_.template subspan<4, 4>(), v);
  }
  void set_echo_identifier(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    assert(has_rest());
    StoreBe16(bytes_.template subspan<4, 2>(), v);
  }
  void set_echo_sequence(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    assert(has_rest());
    StoreBe16(bytes_.template subspan<6, 2>(), v);
  }
  // Computes the RFC 792 checksum over bytes() (body in place) and stores it.
  void FillChecksum() requires(!std::is_const_v<Byte>) {
    set_checksum(0);
    set_checksum(Checksum(bytes_));
  }

 private:
  explicit BasicIcmpView(std::span<Byte> b) : bytes_(b) {}
  std::span<Byte> bytes_;
};

using IcmpView = BasicIcmpView<const std::uint8_t>;
using IcmpMutView = BasicIcmpView<std::uint8_t>;

extern template class BasicIcmpView<std::uint8_t>;

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicIcmpv6View {
 public:
  static constexpr std::size_t kHeaderSize = 4;  // type, code, checksum (RFC 4443 §2.1)
  static constexpr std::size_t kMinSize = kHeaderSize;
  static constexpr std::size_t kRestSize = 4;

  // `bytes` is the ICMPv6 message (the upper-layer payload after any extension headers).
  // Fewer than 4 bytes -> {kTruncated, Layer::kIcmpv6, 0}; anything longer is accepted.
  static Result<BasicIcmpv6View> Parse(std::span<Byte> bytes) {
    if (bytes.size() < kHeaderSize) return Fail(ParseError::kTruncated, Layer::kIcmpv6, 0);
    return BasicIcmpv6View(bytes);
  }
  static BasicIcmpv6View Unchecked(std::span<Byte> bytes) { return BasicIcmpv6View(bytes); }

  operator BasicIcmpv6View<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicIcmpv6View<const std::uint8_t>::Unchecked(bytes_);
  }

  std::span<Byte> bytes() const { return bytes_; }

  std::uint8_t type() const { return bytes_[0]; }
  std::uint8_t code() const { return bytes_[1]; }
  std::uint16_t checksum() const { return LoadBe16(bytes_.template subspan<2, 2>()); }
  // RFC 4443 §2.1: types 0-127 are error messages, 128-255 informational.
  bool is_error() const { return type() < 128; }
  bool has_rest() const { return bytes_.size() >= kHeaderSize + kRestSize; }
  // Precondition: has_rest().
  std::uint32_t rest() const {
    assert(has_rest());
    return LoadBe32(bytes_.template subspan<4, 4>());
  }
  // Packet Too Big (RFC 4443 §3.2) MTU. Precondition: has_rest().
  std::uint32_t mtu() const { return rest(); }
  bool is_echo() const {
    return (type() == kIcmpv6EchoRequest || type() == kIcmpv6EchoReply) && has_rest();
  }
  // Preconditions: is_echo() (RFC 4443 §4.1, §4.2).
  std::uint16_t echo_identifier() const {
    assert(is_echo());
    return LoadBe16(bytes_.template subspan<4, 2>());
  }
  std::uint16_t echo_sequence() const {
    assert(is_echo());
    return LoadBe16(bytes_.template subspan<6, 2>());
  }
  std::size_t header_length() const { return has_rest() ? kHeaderSize + kRestSize : kHeaderSize; }
  std::span<Byte> payload() const { return bytes_.subspan(header_length()); }

  // RFC 4443 §2.3: the sum over the IPv6 pseudo-header (upper-layer length = size of the
  // message, next header 58) and the message is 0xFFFF.
  bool ChecksumVerifies(std::span<const std::uint8_t, 16> src,
                        std::span<const std::uint8_t, 16> dst) const {
    return L4ChecksumVerifiesV6(src, dst, kIpProtoIcmpv6, bytes_);
  }

  void set_type(std::uint8_t v) requires(!std::is_const_v<Byte>) { bytes_[0] = v; }
  void set_code(std::uint8_t v) requires(!std::is_const_v<Byte>) { bytes_[1] = v; }
  void set_checksum(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<2, 2>(), v);
  }
  void set_rest(std::uint32_t v) requires(!std::is_const_v<Byte>) {
    assert(has_rest());
    StoreBe32(bytes_.template subspan<4, 4>(), v);
  }
  void set_echo_identifier(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    assert(has_rest());
    StoreBe16(bytes_.template subspan<4, 2>(), v);
  }
  void set_echo_sequence(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    assert(has_rest());
    StoreBe16(bytes_.template subspan<6, 2>(), v);
  }
  // Computes the RFC 4443 §2.3 checksum for a message sent from src to dst and stores it.
  void FillChecksum(std::span<const std::uint8_t, 16> src,
                    std::span<const std::uint8_t, 16> dst) requires(!std::is_const_v<Byte>) {
    set_checksum(TcpUdpChecksumV6(src, dst, kIpProtoIcmpv6, bytes_));
  }

 private:
  explicit BasicIcmpv6View(std::span<Byte> b) : bytes_(b) {}
  std::span<Byte> bytes_;
};

using Icmpv6View = BasicIcmpv6View<const std::uint8_t>;
using Icmpv6MutView = BasicIcmpv6View<std::uint8_t>;

extern template class BasicIcmpv6View<std::uint8_t>;

// The 8-byte header of an ICMP or ICMPv6 message (the body is the caller's). Plain value for
// building and tests.
struct IcmpRepr {
  std::uint8_t type = 0, code = 0;
  std::uint16_t checksum = 0;
  std::uint32_t rest = 0;  // echo: identifier << 16 | sequence; Packet Too Big: MTU
  static constexpr std::size_t kSize = 8;

  // Never fail: the view is already validated. `rest` is 0 when the message has no rest.
  static IcmpRepr From(const IcmpView& v);
  static IcmpRepr From(const Icmpv6View& v);
  std::size_t header_length() const { return kSize; }
  // Writes the 8 bytes as given (then fill the checksum through the view once the body is in
  // place). Precondition: out.size() >= kSize.
  void Emit(MutBytes out) const;

  friend bool operator==(const IcmpRepr&, const IcmpRepr&) = default;
};
using Icmpv6Repr = IcmpRepr;

}  // namespace nvgre::wire
