// UDP header (RFC 768), with the IPv6 jumbogram rule of RFC 2675 §4.
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          Source Port          |       Destination Port        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            Length             |           Checksum            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                          data octets ...
//
// Length counts header + data in bytes. Length 0 is accepted: RFC 2675 §4 uses it for IPv6
// jumbograms, and segmentation-offload templates (USO) carry it; the datagram then extends to
// the end of the span. Checksum 0 over IPv4 means "no checksum" (RFC 768); over IPv6 it is
// not allowed (RFC 8200 §8.1) and simply fails to verify.
//
// Usage:
//
//   auto udp = UdpView::Parse(ip_payload);        // {kTruncated|kLengthMismatch, kUdp, 0}
//   if (!udp) return udp.error();
//   bool ok = UdpChecksumAbsentV4(*udp) ||
//             L4ChecksumVerifiesV4(src, dst, kIpProtoUdp, udp->datagram());
//   Consume(udp->payload());                      // bounded by Length, not by the span
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicUdpView {
 public:
  static constexpr std::size_t kHeaderSize = 8;
  static constexpr std::size_t kMinSize = kHeaderSize;

  // `bytes` is the IP payload. Checks, in order (Layer::kUdp, offset 0):
  //   fewer than 8 bytes                  -> kTruncated
  //   Length field 1..7                   -> kLengthMismatch (smaller than the header)
  //   Length field > span                 -> kTruncated, unless capture is kMayBeTruncated:
  //                                          then accepted, truncated() is true and
  //                                          datagram()/payload() stop at the span end
  // Length 0 is accepted (RFC 2675 §4): the datagram is the whole span.
  static Result<BasicUdpView> Parse(std::span<Byte> bytes, Capture capture = Capture::kComplete) {
    if (bytes.size() < kHeaderSize) return Fail(ParseError::kTruncated, Layer::kUdp, 0);
    const std::uint16_t length = LoadBe16(bytes.template subspan<4, 2>());
    if (length != 0 && length < kHeaderSize) {
      return Fail(ParseError::kLengthMismatch, Layer::kUdp, 0);
    }
    if (length > bytes.size() && capture == Capture::kComplete) {
      return Fail(ParseError::kTruncated, Layer::kUdp, 0);
    }
    return BasicUdpView(bytes);
  }
  // For emission into a buffer sized by the caller. No checks.
  static BasicUdpView Unchecked(std::span<Byte> bytes) { return BasicUdpView(bytes); }

  operator BasicUdpView<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicUdpView<const std::uint8_t>::Unchecked(bytes_);
  }

  // From the header to the end of the parsed span (may extend past Length).
  std::span<Byte> bytes() const { return bytes_; }

  std::uint16_t source_port() const { return LoadBe16(bytes_.template subspan<0, 2>()); }
  std::uint16_t destination_port() const { return LoadBe16(bytes_.template subspan<2, 2>()); }
  std::uint16_t length() const { return LoadBe16(bytes_.template subspan<4, 2>()); }  // raw field
  std::uint16_t checksum() const { return LoadBe16(bytes_.template subspan<6, 2>()); }
  bool length_zero() const { return length() == 0; }
  // Length claims more bytes than the span holds (only after Capture::kMayBeTruncated).
  bool truncated() const { return length() > bytes_.size(); }
  std::size_t header_length() const { return kHeaderSize; }
  // Header + data in bytes: Length, or the span size when Length is 0; clipped to the span
  // when truncated().
  std::size_t datagram_length() const {
    const std::uint16_t l = length();
    return l == 0 ? bytes_.size() : std::min<std::size_t>(l, bytes_.size());
  }
  // What the checksum covers (with the pseudo-header): header + data, without trailing bytes.
  std::span<Byte> datagram() const { return bytes_.first(datagram_length()); }
  std::span<Byte> payload() const {
    return bytes_.subspan(kHeaderSize, datagram_length() - kHeaderSize);
  }

  void set_source_port(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<0, 2>(), v);
  }
  void set_destination_port(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<2, 2>(), v);
  }
  // After this, Parse again before trusting datagram_length() against the span.
  void set_length(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<4, 2>(), v);
  }
  // Over IPv4, store UdpChecksumOnWire(computed) (TcpUdpChecksumV4 already does).
  void set_checksum(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<6, 2>(), v);
  }

 private:
  explicit BasicUdpView(std::span<Byte> b) : bytes_(b) {}
  std::span<Byte> bytes_;
};

using UdpView = BasicUdpView<const std::uint8_t>;
using UdpMutView = BasicUdpView<std::uint8_t>;

extern template class BasicUdpView<std::uint8_t>;

// RFC 768: over IPv4 a checksum field of 0 means the sender computed none; do not verify.
// (Over IPv6 there is no such exemption, RFC 8200 §8.1.)
inline bool UdpChecksumAbsentV4(const UdpView& udp) { return udp.checksum() == 0; }

// RFC 768: "If the computed checksum is zero, it is transmitted as all ones."
constexpr std::uint16_t UdpChecksumOnWire(std::uint16_t computed) {
  return computed == 0 ? std::uint16_t{0xFFFF} : computed;
}

struct UdpRepr {
  std::uint16_t source_port = 0, destination_port = 0;
  std::uint16_t length = 0;  // header + data; 0 only for jumbograms / offload templates
  std::uint16_t checksum = 0;
  static constexpr std::size_t kSize = 8;

  // Never fails: the view is already validated.
  static UdpRepr From(const UdpView& v);
  std::size_t header_length() const { return kSize; }
  // Writes the 8 header bytes as given. Precondition: out.size() >= kSize.
  void Emit(MutBytes out) const;

  friend bool operator==(const UdpRepr&, const UdpRepr&) = default;
};

}  // namespace nvgre::wire
