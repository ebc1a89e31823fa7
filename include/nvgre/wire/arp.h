// ARP, the Address Resolution Protocol (RFC 826 "Packet format"; hardware and operation
// numbers from the IANA "ARP Parameters" registry; the probe and announcement forms of
// RFC 5227 §2.1.1 and §2.3 are ordinary requests at this layer).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Hardware Type (ar$hrd)       |  Protocol Type (ar$pro)       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  | HW Len (ar$hln)|Proto Len (ar$pln)|  Operation (ar$op)        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Sender Hardware Address (ar$sha): ar$hln bytes               |
//  |  Sender Protocol Address (ar$spa): ar$pln bytes               |
//  |  Target Hardware Address (ar$tha): ar$hln bytes               |
//  |  Target Protocol Address (ar$tpa): ar$pln bytes               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Ethernet/IPv4 (hardware type 1, protocol 0x0800, lengths 6 and 4) is 28 bytes.
//
// Usage:
//
//   auto arp = ArpView::Parse(eth->payload());     // {kTruncated, kArp, 0} when cut short
//   if (!arp) return arp.error();
//   auto repr = ArpRepr::Parse(*arp);              // {kUnsupported, kArp, 0}: not Ethernet/IPv4
//   if (repr && repr->operation == kArpOperationRequest) answer(repr->target_protocol_address);
//
// The view is generic (any hardware and protocol length); the Repr is Ethernet/IPv4 only, the
// one form nvgre answers. Ethernet pads a 28-byte ARP packet to the 46-byte minimum payload:
// the view ends at header_length() and never looks at the padding.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

inline constexpr std::uint16_t kArpHardwareEthernet = 1;  // IANA: Ethernet (10Mb), RFC 826
inline constexpr std::uint16_t kArpOperationRequest = 1;  // RFC 826 ares_op$REQUEST
inline constexpr std::uint16_t kArpOperationReply = 2;    // RFC 826 ares_op$REPLY

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicArpView {
 public:
  static constexpr std::size_t kFixedSize = 8;  // hrd, pro, hln, pln, op
  static constexpr std::size_t kMinSize = kFixedSize;
  static constexpr std::size_t kEthernetIpv4Size = kFixedSize + 2 * (6 + 4);  // 28

  // Checks, in order (failures are Layer::kArp, offset 0):
  //   span < 8                                  -> kTruncated
  //   span < 8 + 2 * (ar$hln + ar$pln)          -> kTruncated
  // Any hardware/protocol type and length is accepted here; ArpRepr::Parse narrows to
  // Ethernet/IPv4.
  static Result<BasicArpView> Parse(std::span<Byte> bytes) {
    if (bytes.size() < kFixedSize) return Fail(ParseError::kTruncated, Layer::kArp, 0);
    const BasicArpView v(bytes);
    if (bytes.size() < v.header_length()) return Fail(ParseError::kTruncated, Layer::kArp, 0);
    return v;
  }
  // For emission into a buffer sized by the caller (ArpRepr::kSize). No checks.
  static BasicArpView Unchecked(std::span<Byte> bytes) { return BasicArpView(bytes); }

  operator BasicArpView<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicArpView<const std::uint8_t>::Unchecked(bytes_);
  }

  std::span<Byte> bytes() const { return bytes_; }  // from the ARP header to the span's end

  std::uint16_t hardware_type() const { return LoadBe16(bytes_.template subspan<0, 2>()); }
  std::uint16_t protocol_type() const { return LoadBe16(bytes_.template subspan<2, 2>()); }
  std::uint8_t hardware_length() const { return bytes_[4]; }  // ar$hln, bytes
  std::uint8_t protocol_length() const { return bytes_[5]; }  // ar$pln, bytes
  std::uint16_t operation() const { return LoadBe16(bytes_.template subspan<6, 2>()); }
  // 8 + 2 * (ar$hln + ar$pln) bytes: the whole ARP packet (there is no payload).
  std::size_t header_length() const {
    return kFixedSize + 2 * (std::size_t{hardware_length()} + protocol_length());
  }
  std::span<Byte> sender_hardware_address() const {
    return bytes_.subspan(kFixedSize, hardware_length());
  }
  std::span<Byte> sender_protocol_address() const {
    return bytes_.subspan(kFixedSize + hardware_length(), protocol_length());
  }
  std::span<Byte> target_hardware_address() const {
    return bytes_.subspan(kFixedSize + std::size_t{hardware_length()} + protocol_length(),
                          hardware_length());
  }
  std::span<Byte> target_protocol_address() const {
    return bytes_.subspan(kFixedSize + 2 * std::size_t{hardware_length()} + protocol_length(),
                          protocol_length());
  }
  // Hardware type 1, protocol type 0x0800, ar$hln 6, ar$pln 4 (RFC 826 over Ethernet for IP).
  bool is_ethernet_ipv4() const {
    return hardware_type() == kArpHardwareEthernet && protocol_type() == kEtherTypeIpv4 &&
           hardware_length() == 6 && protocol_length() == 4;
  }

  void set_operation(std::uint16_t op) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<6, 2>(), op);
  }

 private:
  explicit BasicArpView(std::span<Byte> b) : bytes_(b) {}
  std::span<Byte> bytes_;
};

using ArpView = BasicArpView<const std::uint8_t>;
using ArpMutView = BasicArpView<std::uint8_t>;

// An Ethernet/IPv4 ARP packet as a plain value, for building replies and for tests.
struct ArpRepr {
  static constexpr std::size_t kSize = ArpView::kEthernetIpv4Size;  // 28

  std::uint16_t operation = kArpOperationRequest;
  MacAddress sender_hardware_address{};
  Ipv4Address sender_protocol_address{};
  MacAddress target_hardware_address{};
  Ipv4Address target_protocol_address{};

  // {kUnsupported, kArp, 0} unless v.is_ethernet_ipv4(); every operation is accepted.
  static Result<ArpRepr> Parse(const ArpView& v);
  std::size_t header_length() const { return kSize; }
  // Writes the 28 bytes (hardware type 1, protocol 0x0800, lengths 6 and 4).
  // Precondition: out.size() >= kSize.
  void Emit(MutBytes out) const;

  friend bool operator==(const ArpRepr&, const ArpRepr&) = default;
};

}  // namespace nvgre::wire
