// Ethernet II frame header (IEEE 802.3 §3.2, DIX Ethernet II) with up to four VLAN tags
// (IEEE 802.1Q §9.6: 802.1Q C-tags, 802.1ad S-tags, and the pre-standard 0x9100 QinQ TPID).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                 destination MAC address (6)                   |
//  +                               +-------------------------------+
//  |                               |                               |
//  +-------------------------------+                               +
//  |                   source MAC address (6)                      |
//  +-------------------------------+-------------------------------+
//  |  TPID 0x88A8/0x8100/0x9100    |PCP|D|        VID (12)         |  0..4 tags, 4 bytes each
//  +-------------------------------+-------------------------------+
//  |  EtherType (or 802.3 length)  |  payload ...
//  +-------------------------------+
//
// Usage:
//
//   auto eth = EthernetView::Parse(frame);
//   if (!eth) return eth.error();               // {kTruncated, kEthernet|kVlan, offset}
//   if (eth->ether_type() == kEtherTypeIpv4) auto ip = Ipv4View::Parse(eth->payload());
//
// Tags are walked while the type field is a VLAN TPID, whatever the order (802.1ad S-tag then
// 802.1Q C-tag, or stacked 802.1Q). ether_type() is the type after the last tag; values below
// 0x0600 are an IEEE 802.3 length (§3.2.6) and are returned as they are. The frame check
// sequence is not part of the span (captures and sockets do not carry it).
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
#include "nvgre/wire/result.h"

namespace nvgre::wire {

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86DD;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;        // IEEE 802.1Q C-tag
inline constexpr std::uint16_t kEtherTypeQinQ = 0x88A8;        // IEEE 802.1ad S-tag
inline constexpr std::uint16_t kEtherTypeQinQLegacy = 0x9100;  // pre-802.1ad S-tag
inline constexpr std::uint16_t kEtherTypeTeb = 0x6558;         // Transparent Ethernet Bridging
inline constexpr std::uint16_t kEtherTypeLldp = 0x88CC;        // IEEE 802.1AB
// IEEE 802.3 §3.2.6: type field values up to 1500 are a length, values >= 0x0600 a type.
inline constexpr std::uint16_t kEtherTypeMin = 0x0600;

constexpr bool IsVlanTpid(std::uint16_t type) {
  return type == kEtherTypeVlan || type == kEtherTypeQinQ || type == kEtherTypeQinQLegacy;
}

using MacAddress = std::array<std::uint8_t, 6>;

// "aa:bb:00:00:10:01": lowercase, two digits per byte. Allocates; not for per-packet paths.
std::string FormatMac(const MacAddress& mac);

// One 802.1Q tag: TPID then TCI = PCP (3 bits) | DEI (1 bit) | VID (12 bits) (802.1Q §9.6).
struct VlanTag {
  std::uint16_t tpid = kEtherTypeVlan;
  std::uint16_t tci = 0;

  constexpr std::uint8_t pcp() const { return static_cast<std::uint8_t>(tci >> 13); }
  constexpr bool dei() const { return (tci & 0x1000) != 0; }
  constexpr std::uint16_t vid() const { return static_cast<std::uint16_t>(tci & 0x0FFF); }
  static constexpr std::uint16_t MakeTci(std::uint8_t pcp, bool dei, std::uint16_t vid) {
    return static_cast<std::uint16_t>(((pcp & 0x7) << 13) | (dei ? 0x1000 : 0) | (vid & 0x0FFF));
  }
  friend constexpr bool operator==(const VlanTag&, const VlanTag&) = default;
};

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicEthernetView {
 public:
  static constexpr std::size_t kHeaderSize = 14;  // without tags
  static constexpr std::size_t kMinSize = kHeaderSize;
  static constexpr std::size_t kVlanTagSize = 4;
  static constexpr std::size_t kMaxVlanTags = 4;
  static constexpr std::size_t kMaxHeaderSize = kHeaderSize + kMaxVlanTags * kVlanTagSize;

  // Failures (offsets relative to `bytes`):
  //   fewer than 14 bytes                      -> {kTruncated, kEthernet, 0}
  //   tag i (0-based) plus the type after it cut short -> {kTruncated, kVlan, 12 + 4*i}
  //   a (kMaxVlanTags+1)-th tag                -> {kUnsupported, kVlan, 12 + 4*kMaxVlanTags}
  static Result<BasicEthernetView> Parse(std::span<Byte> bytes);
  // For emission into a buffer sized by the caller (EthernetRepr::header_length()). No checks.
  // Precondition: bytes.size() >= kHeaderSize + 4 * vlan_count, vlan_count <= kMaxVlanTags.
  static BasicEthernetView Unchecked(std::span<Byte> bytes, std::size_t vlan_count = 0) {
    assert(vlan_count <= kMaxVlanTags);
    return BasicEthernetView(bytes, static_cast<std::uint8_t>(vlan_count));
  }

  // A read/write view converts to a read-only one.
  operator BasicEthernetView<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicEthernetView<const std::uint8_t>::Unchecked(bytes_, vlan_count_);
  }

  std::span<Byte> bytes() const { return bytes_; }  // the frame from the header to its end

  MacAddress destination() const { return LoadMac(bytes_.template subspan<0, 6>()); }
  MacAddress source() const { return LoadMac(bytes_.template subspan<6, 6>()); }
  std::size_t vlan_count() const { return vlan_count_; }
  // Tag i counted from the outermost (0). Precondition: i < vlan_count().
  VlanTag vlan(std::size_t i) const {
    assert(i < vlan_count_);
    std::size_t off = 12 + kVlanTagSize * i;
    return VlanTag{LoadBe16(Field16(off)), LoadBe16(Field16(off + 2))};
  }
  // The type after all tags; < 0x0600 is an 802.3 length (returned as is).
  std::uint16_t ether_type() const { return LoadBe16(Field16(type_offset())); }
  bool ether_type_is_length() const { return ether_type() < kEtherTypeMin; }
  // Offset of the (innermost) type field from the start of the frame: 12 + 4 * vlan_count().
  std::size_t type_offset() const { return 12 + kVlanTagSize * vlan_count_; }
  std::size_t header_length() const { return kHeaderSize + kVlanTagSize * vlan_count_; }
  // Everything after the header, to the end of the span (an 802.3 length is not applied).
  std::span<Byte> payload() const { return bytes_.subspan(header_length()); }

  void set_destination(const MacAddress& mac) requires(!std::is_const_v<Byte>) {
    std::copy(mac.begin(), mac.end(), bytes_.begin());
  }
  void set_source(const MacAddress& mac) requires(!std::is_const_v<Byte>) {
    std::copy(mac.begin(), mac.end(), bytes_.begin() + 6);
  }
  void set_ether_type(std::uint16_t type) requires(!std::is_const_v<Byte>) {
    StoreBe16(Field16(type_offset()), type);
  }
  // Rewrites tag i's TCI (PCP/DEI/VID) in place. Precondition: i < vlan_count().
  void set_vlan_tci(std::size_t i, std::uint16_t tci) requires(!std::is_const_v<Byte>) {
    assert(i < vlan_count_);
    StoreBe16(Field16(12 + kVlanTagSize * i + 2), tci);
  }

 private:
  explicit BasicEthernetView(std::span<Byte> b, std::uint8_t vlan_count)
      : bytes_(b), vlan_count_(vlan_count) {}

  std::span<Byte, 2> Field16(std::size_t off) const {
    return std::span<Byte, 2>(bytes_.data() + off, 2);
  }
  static MacAddress LoadMac(std::span<const std::uint8_t, 6> b) {
    MacAddress m;
    std::copy(b.begin(), b.end(), m.begin());
    return m;
  }

  std::span<Byte> bytes_;
  std::uint8_t vlan_count_ = 0;
};

using EthernetView = BasicEthernetView<const std::uint8_t>;
using EthernetMutView = BasicEthernetView<std::uint8_t>;

// Parse is defined in ethernet.cc for both byte types (declarations only, to keep it out of line).
extern template Result<EthernetView>
    BasicEthernetView<const std::uint8_t>::Parse(std::span<const std::uint8_t>);
extern template Result<EthernetMutView>
    BasicEthernetView<std::uint8_t>::Parse(std::span<std::uint8_t>);

// Plain value for building frames and for tests.
struct EthernetRepr {
  static constexpr std::size_t kMaxVlanTags = EthernetView::kMaxVlanTags;

  MacAddress destination{};
  MacAddress source{};
  std::array<VlanTag, kMaxVlanTags> vlans{};  // [0, vlan_count) used, outermost first
  std::uint8_t vlan_count = 0;
  std::uint16_t ether_type = 0;

  // Never fails: the view is already validated. Unused vlans[] slots are value-initialized.
  static EthernetRepr From(const EthernetView& v);
  std::size_t header_length() const {
    return EthernetView::kHeaderSize + EthernetView::kVlanTagSize * vlan_count;
  }
  // Writes the header (tags included). Preconditions: vlan_count <= kMaxVlanTags,
  // out.size() >= header_length(). Bytes after the header are not touched.
  void Emit(MutBytes out) const;

  friend bool operator==(const EthernetRepr&, const EthernetRepr&) = default;
};

}  // namespace nvgre::wire
