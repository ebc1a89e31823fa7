// NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD: what the adapter can offload for NVGRE packets, per
// outer/inner IP version (ntddndis.h, NDIS 6.30+; spec §7.2). It is the member
// NDIS_OFFLOAD.EncapsulatedPacketTaskOffloadGre that a miniport reports in its offload
// attributes and in NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG / _HARDWARE_CAPABILITIES.
//
//   ULONG TransmitChecksumOffloadSupported : 4;   bits 0-3
//   ULONG ReceiveChecksumOffloadSupported  : 4;   bits 4-7
//   ULONG LsoV2Supported                   : 4;   bits 8-11
//   ULONG RssSupported                     : 4;   bits 12-15
//   ULONG VmqSupported                     : 4;   bits 16-19
//   ULONG UsoSupported                     : 4;   bits 20-23 (added after NDIS 6.30, which had
//   ULONG Reserved                         : 8;   bits 24-31  Reserved:12 here)
//   ULONG MaxHeaderSizeSupported;                 bytes 4-7
// Size 8 (NDIS_SIZEOF_ENCAPSULATED_PACKET_TASK_OFFLOAD_REVISION_1 runs through
// MaxHeaderSizeSupported). Each 4-bit member is an OR of the INNER/OUTER IPv4/IPv6 bits below.
//
// Usage:
//
//   EncapsulatedPacketTaskOffload caps = *EncapsulatedPacketTaskOffload::Uniform(
//       kEncapInnerIpv4 | kEncapOuterIpv4 | kEncapOuterIpv6);  // the MS example: 0xB everywhere
//   caps.raw();                                            // 0x00BBBBBB
//   caps.Allows(EncapOffload::kLsoV2, /*outer_ipv6=*/true, /*inner_ipv6=*/false);  // true
//   std::array<std::uint8_t, 8> mem = caps.ToBytes();      // bb bb bb 00 00 01 00 00
//
// Contract: the adapter fills this from its configuration; the Tx and Rx engines consult
// Allows() for every encapsulated packet (an offload applies only when both the outer and the
// inner version bit are present) and refuse/skip offload when the packet's headers, from the
// frame start through the inner TCP/UDP header, exceed max_header_size_supported() (spec §7.2).
// Reserved bits are preserved by FromRaw/raw/FromBytes/ToBytes like every OOB type here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "nvgre/offload/ndis_oob.h"

namespace nvgre::offload {

// NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_* flags of every 4-bit member.
inline constexpr std::uint32_t kEncapNotSupported = 0x0;  // ..._NOT_SUPPORTED
inline constexpr std::uint32_t kEncapInnerIpv4 = 0x1;     // ..._INNER_IPV4
inline constexpr std::uint32_t kEncapOuterIpv4 = 0x2;     // ..._OUTER_IPV4
inline constexpr std::uint32_t kEncapInnerIpv6 = 0x4;     // ..._INNER_IPV6
inline constexpr std::uint32_t kEncapOuterIpv6 = 0x8;     // ..._OUTER_IPV6
inline constexpr std::array<NamedValue, 4> kEncapMaskNames{{
    {kEncapInnerIpv4, "NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV4"},
    {kEncapOuterIpv4, "NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV4"},
    {kEncapInnerIpv6, "NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6"},
    {kEncapOuterIpv6, "NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_OUTER_IPV6"},
}};

// True when `mask` supports a packet with the given outer and inner IP versions: the outer
// version bit and the inner version bit must both be present (spec §7.2).
constexpr bool EncapAllows(std::uint32_t mask, bool outer_ipv6, bool inner_ipv6) {
  const std::uint32_t outer = outer_ipv6 ? kEncapOuterIpv6 : kEncapOuterIpv4;
  const std::uint32_t inner = inner_ipv6 ? kEncapInnerIpv6 : kEncapInnerIpv4;
  return (mask & outer) != 0 && (mask & inner) != 0;
}

// "INNER_IPV4|OUTER_IPV4|OUTER_IPV6" (short names, bit order), "NOT_SUPPORTED" for 0; bits
// above 0xF as "0x..".
std::string EncapMaskToString(std::uint32_t mask);
// Inverse of EncapMaskToString: names (short or full NDIS, case-insensitive) separated by '|' or
// ','; "NOT_SUPPORTED" or "0" alone for 0. nullopt on anything else.
std::optional<std::uint32_t> ParseEncapMask(std::string_view text);

enum class EncapOffload : std::uint8_t {
  kTransmitChecksum,
  kReceiveChecksum,
  kLsoV2,
  kRss,
  kVmq,
  kUso,
};
inline constexpr std::size_t kEncapOffloadCount = 6;

class EncapsulatedPacketTaskOffload {
 public:
  static constexpr BitField kTransmitChecksumOffloadSupported{0, 4};
  static constexpr BitField kReceiveChecksumOffloadSupported{4, 4};
  static constexpr BitField kLsoV2Supported{8, 4};
  static constexpr BitField kRssSupported{12, 4};
  static constexpr BitField kVmqSupported{16, 4};
  static constexpr BitField kUsoSupported{20, 4};
  static constexpr BitField kReserved{24, 8};
  static constexpr std::array<FieldSpec, 7> kLayout{{
      {"TransmitChecksumOffloadSupported", kTransmitChecksumOffloadSupported, FieldKind::kNumber},
      {"ReceiveChecksumOffloadSupported", kReceiveChecksumOffloadSupported, FieldKind::kNumber},
      {"LsoV2Supported", kLsoV2Supported, FieldKind::kNumber},
      {"RssSupported", kRssSupported, FieldKind::kNumber},
      {"VmqSupported", kVmqSupported, FieldKind::kNumber},
      {"UsoSupported", kUsoSupported, FieldKind::kNumber},
      {"Reserved", kReserved, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  static constexpr std::uint32_t kDefaultMaxHeaderSizeSupported = 256;  // MS suggestion (§7.2)
  static constexpr std::size_t kSize = 8;  // NDIS_SIZEOF_..._REVISION_1

  // Field of each offload, indexed by EncapOffload.
  static constexpr BitField FieldOf(EncapOffload o) {
    return kLayout[static_cast<std::size_t>(o)].bits;
  }

  constexpr EncapsulatedPacketTaskOffload() = default;
  // `raw` is the first ULONG, kept bit for bit (reserved bits included).
  static constexpr EncapsulatedPacketTaskOffload FromRaw(
      std::uint32_t raw, std::uint32_t max_header_size_supported = kDefaultMaxHeaderSizeSupported) {
    EncapsulatedPacketTaskOffload c;
    c.raw_ = raw;
    c.max_header_size_supported_ = max_header_size_supported;
    return c;
  }
  // Every member set to `mask` (the MS docs' example adapter). nullopt when mask > 0xF.
  static constexpr std::optional<EncapsulatedPacketTaskOffload> Uniform(
      std::uint32_t mask,
      std::uint32_t max_header_size_supported = kDefaultMaxHeaderSizeSupported) {
    if (mask > 0xF) return std::nullopt;
    EncapsulatedPacketTaskOffload c = FromRaw(0, max_header_size_supported);
    for (std::size_t i = 0; i < kEncapOffloadCount; ++i) {
      c.raw_ = FieldOf(static_cast<EncapOffload>(i)).Put(c.raw_, mask);
    }
    return c;
  }

  constexpr std::uint32_t raw() const { return raw_; }
  constexpr std::uint32_t max_header_size_supported() const { return max_header_size_supported_; }
  constexpr void set_max_header_size_supported(std::uint32_t v) { max_header_size_supported_ = v; }

  constexpr std::uint32_t mask(EncapOffload o) const { return FieldOf(o).Get(raw_); }
  // False (and no change) when `v` > 0xF.
  [[nodiscard]] constexpr bool set_mask(EncapOffload o, std::uint32_t v) {
    if (!FieldOf(o).Fits(v)) return false;
    raw_ = FieldOf(o).Put(raw_, v);
    return true;
  }
  constexpr bool Allows(EncapOffload o, bool outer_ipv6, bool inner_ipv6) const {
    return EncapAllows(mask(o), outer_ipv6, inner_ipv6);
  }

  constexpr std::uint32_t transmit_checksum_offload_supported() const {
    return mask(EncapOffload::kTransmitChecksum);
  }
  constexpr std::uint32_t receive_checksum_offload_supported() const {
    return mask(EncapOffload::kReceiveChecksum);
  }
  constexpr std::uint32_t lso_v2_supported() const { return mask(EncapOffload::kLsoV2); }
  constexpr std::uint32_t rss_supported() const { return mask(EncapOffload::kRss); }
  constexpr std::uint32_t vmq_supported() const { return mask(EncapOffload::kVmq); }
  constexpr std::uint32_t uso_supported() const { return mask(EncapOffload::kUso); }
  constexpr std::uint32_t reserved() const { return kReserved.Get(raw_); }

  // The 8 bytes as the structure sits in memory (little-endian ULONGs), and back. FromBytes
  // never fails: every byte pattern is a value.
  std::array<std::uint8_t, kSize> ToBytes() const;
  static EncapsulatedPacketTaskOffload FromBytes(std::span<const std::uint8_t, kSize> bytes);

  // "TransmitChecksumOffloadSupported=INNER_IPV4|OUTER_IPV4 ... MaxHeaderSizeSupported=256".
  std::string ToString() const;

  friend constexpr bool operator==(const EncapsulatedPacketTaskOffload&,
                                   const EncapsulatedPacketTaskOffload&) = default;

 private:
  std::uint32_t raw_ = 0;
  std::uint32_t max_header_size_supported_ = kDefaultMaxHeaderSizeSupported;
};
static_assert(std::is_trivially_copyable_v<EncapsulatedPacketTaskOffload>);

std::ostream& operator<<(std::ostream& os, const EncapsulatedPacketTaskOffload& c);

}  // namespace nvgre::offload
