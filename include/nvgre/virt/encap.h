// NVGRE encapsulation (RFC 7637 §3, §4; spec §9.3): an inner Ethernet frame becomes
//   outer Ethernet [+ 802.1Q tag] + outer IPv4 or IPv6 (protocol 47) + GRE 0x2000 0x6558
//   + Key (VSID << 8 | FlowID) + the inner frame, its 802.1Q/802.1ad tags stripped.
//
//   EncapConfig config;
//   config.outer_source_mac = {...};  config.outer_destination_mac = {...};
//   config.outer_ip = OuterIpv4{{192, 0, 2, 1}, {192, 0, 2, 2}};   // PA addresses
//   config.vsid = 0x123456;                                         // flow_id: from the hash
//   std::uint16_t next_ipv4_id = 0;        // the caller's counter (per tunnel, per queue ...)
//   std::array<std::uint8_t, 2048> out;
//   auto r = Encapsulate(inner_frame, config, out, next_ipv4_id);
//   if (!r) return Count(r.error());       // EncapError: a named refusal, nothing written
//   Send(std::span(out).first(r->frame_length));
//
// or, without copying the inner frame, EncapsulateInPlace(packet_buffer, config, next_ipv4_id)
// writes the outer headers into the buffer's headroom (packet_buffer.h).
//
// Header values written:
//   outer Ethernet  destination / source MAC from the config; 802.1Q tag (TPID 0x8100, PCP,
//                   DEI, VID) when outer_vlan is set; EtherType 0x0800 or 0x86DD.
//   outer IPv4      version 4, IHL 5, DSCP (see dscp_mode) | ECN (see ecn_mode), Total Length,
//                   Identification = next_ipv4_id (then incremented, wrapping), DF per the config
//                   (default set: RFC 7637 §4 "a sending NVE MUST NOT fragment NVGRE packets",
//                   and DF keeps routers on the path from doing it; RFC 6864 lets the ID
//                   of such atomic datagrams be any value), MF 0, offset 0, TTL, protocol 47,
//                   header checksum filled (RFC 791 §3.1).
//   outer IPv6      traffic class as for IPv4, flow label from the inner-flow hash (RFC 6438 §3)
//                   or fixed, Payload Length, Next Header 47, Hop Limit = ttl. No extension
//                   headers.
//   GRE / NVGRE     0x2000 0x6558, Key = VSID << 8 | FlowID (RFC 7637 §3.2). FlowID fixed, or
//                   kFlowIdFromHash: FlowIdOfHash(InnerFlowHash(inner)) (flow_hash.h), so one
//                   TCP connection keeps one FlowID.
//   inner frame     copied unchanged, except that every VLAN tag (802.1Q 0x8100, 802.1ad 0x88A8,
//                   0x9100; up to four) is removed: RFC 7637 §3.2 "the encapsulating NVE MUST
//                   strip" an 802.1Q tag, and a decapsulating NVE drops frames that keep one.
//                   No inner checksum is touched; there is no GRE checksum (C = 0).
//
// ECN: RFC 6040 §4.1 normal mode by default, i.e. the outer ECN field is a copy of the inner one,
// CE included (ecn.h explains why CE is not reset); compatibility mode writes Not-ECT.
// DSCP: copied from the inner IPv4/IPv6 header by default (RFC 2983 §3 uniform model), or fixed.
// A non-IP inner frame (ARP, LLDP ...) gives DSCP 0 (or the fixed value) and Not-ECT.
//
// No allocation, no exceptions, no I/O, no globals: the only state is the caller's counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "nvgre/virt/ecn.h"
#include "nvgre/virt/expected.h"
#include "nvgre/virt/packet_buffer.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::virt {

// Outer provider addresses (RFC 7637 §3: "PA"). The alternative chosen selects the outer IP
// version.
struct OuterIpv4 {
  wire::Ipv4Address source{};
  wire::Ipv4Address destination{};
  friend bool operator==(const OuterIpv4&, const OuterIpv4&) = default;
};
struct OuterIpv6 {
  wire::Ipv6Address source{};
  wire::Ipv6Address destination{};
  friend bool operator==(const OuterIpv6&, const OuterIpv6&) = default;
};
using OuterIp = std::variant<OuterIpv4, OuterIpv6>;

// IEEE 802.1Q §9.6 C-tag (TPID 0x8100) in front of the outer IP header (RFC 7637 §3: optional).
struct OuterVlan {
  std::uint16_t vid = 0;  // 0 (priority tag) .. 4094; 4095 is reserved (802.1Q Table 9-2)
  std::uint8_t pcp = 0;   // 0..7
  bool dei = false;
  friend bool operator==(const OuterVlan&, const OuterVlan&) = default;
};

// EncapConfig::flow_id value meaning "derive the FlowID from the inner-flow hash".
inline constexpr std::uint16_t kFlowIdFromHash = 0x100;

struct EncapConfig {
  wire::MacAddress outer_source_mac{};       // this NVE's MAC
  wire::MacAddress outer_destination_mac{};  // next hop toward the destination NVE
  std::optional<OuterVlan> outer_vlan;
  OuterIp outer_ip = OuterIpv4{};
  std::uint8_t ttl = 64;                     // IPv4 TTL or IPv6 Hop Limit
  bool dont_fragment = true;                 // IPv4 DF; see the file comment
  std::uint32_t vsid = 0;                    // 24 bits; reserved values refused (see below)
  std::uint16_t flow_id = kFlowIdFromHash;   // 0..255 fixed, or kFlowIdFromHash
  // RFC 7637 §3.2 reserves VSIDs 0x000000-0x000FFF and 0xFFFFFF (IsReservedVsid): refused
  // unless this is set (interworking with generic GRE-TEB tunnels such as OVS's, whose keys are
  // small numbers, and the vendor-specific 0xFFFFFF). A VSID above 24 bits is always refused.
  bool allow_reserved_vsid = false;
  EcnEncapMode ecn_mode = EcnEncapMode::kNormal;
  DscpMode dscp_mode = DscpMode::kCopyInner;
  std::uint8_t dscp = 0;                     // 0..63, used with DscpMode::kFixed
  bool ipv6_flow_label_from_hash = true;     // outer IPv6 only; else ipv6_flow_label
  std::uint32_t ipv6_flow_label = 0;         // 0..2^20-1
  // Largest outer IP packet (IPv4 Total Length / 40 + IPv6 Payload Length) allowed; 0 = no
  // limit. Larger frames are refused (kExceedsMtu), never fragmented (RFC 7637 §4).
  std::uint16_t outer_mtu = 0;
};

// Why Encapsulate refused. Nothing is written (and the IPv4 ID counter is not advanced).
enum class EncapError : std::uint8_t {
  kVsidTooLarge,      // vsid > 0xFFFFFF: not a 24-bit VSID (RFC 7637 §3.2)
  kReservedVsid,      // IsReservedVsid(vsid) and !allow_reserved_vsid (RFC 7637 §3.2)
  kBadFlowId,         // flow_id > 255 and not kFlowIdFromHash
  kBadOuterVlan,      // VID 4095 or above, or PCP above 7
  kBadDscp,           // fixed DSCP above 63
  kBadFlowLabel,      // fixed IPv6 flow label above 2^20-1
  kInnerTooShort,     // inner frame shorter than its Ethernet header (14 bytes + tags)
  kInnerTooManyTags,  // more than four VLAN tags (EthernetView::kMaxVlanTags)
  kInnerTooLong,      // outer IPv4 Total Length / IPv6 Payload Length would exceed 65535
  kExceedsMtu,        // the outer IP packet would exceed outer_mtu
  kBufferTooSmall,    // Encapsulate: `out` is smaller than the encapsulated frame
  kHeadroomTooSmall,  // EncapsulateInPlace: not enough headroom for the outer headers
  kCount,
};
inline constexpr std::size_t kEncapErrorCount = static_cast<std::size_t>(EncapError::kCount);

constexpr std::string_view ToString(EncapError e) {
  switch (e) {
    case EncapError::kVsidTooLarge: return "vsid-above-24-bits";
    case EncapError::kReservedVsid: return "vsid-reserved";
    case EncapError::kBadFlowId: return "flow-id-out-of-range";
    case EncapError::kBadOuterVlan: return "outer-vlan-invalid";
    case EncapError::kBadDscp: return "dscp-out-of-range";
    case EncapError::kBadFlowLabel: return "flow-label-out-of-range";
    case EncapError::kInnerTooShort: return "inner-frame-too-short";
    case EncapError::kInnerTooManyTags: return "inner-too-many-vlan-tags";
    case EncapError::kInnerTooLong: return "inner-frame-too-long";
    case EncapError::kExceedsMtu: return "exceeds-outer-mtu";
    case EncapError::kBufferTooSmall: return "buffer-too-small";
    case EncapError::kHeadroomTooSmall: return "headroom-too-small";
    case EncapError::kCount: break;
  }
  return "?";
}

struct EncapResult {
  std::size_t frame_length = 0;         // outer headers + inner frame after tag stripping
  std::size_t outer_header_length = 0;  // 42 = Ethernet 14 + IPv4 20 + NVGRE 8; +4 with the
                                        // outer VLAN tag; +20 with IPv6
  std::uint8_t flow_id = 0;             // the FlowID written
  std::uint8_t inner_vlan_tags_stripped = 0;
  bool used_ipv4_id = false;            // outer IPv4: next_ipv4_id was consumed
};

inline constexpr std::size_t kNvgreOverheadIpv4 = 14 + 20 + 8;  // 42 (spec §9.3 arithmetic)
inline constexpr std::size_t kNvgreOverheadIpv6 = 14 + 40 + 8;  // 62
inline constexpr std::size_t kMaxOuterHeaderLength = kNvgreOverheadIpv6 + 4;  // 66

// Outer Ethernet [+ tag] + outer IP + NVGRE header length for `config`.
constexpr std::size_t OuterHeaderLength(const EncapConfig& config) {
  return (std::holds_alternative<OuterIpv6>(config.outer_ip) ? kNvgreOverheadIpv6
                                                             : kNvgreOverheadIpv4) +
         (config.outer_vlan ? 4 : 0);
}

// The configuration errors (kVsidTooLarge .. kBadFlowLabel) that every Encapsulate call with
// this config would return, or nullopt. Tools call it once up front.
std::optional<EncapError> CheckEncapConfig(const EncapConfig& config);

// Writes the encapsulated frame to the start of `out`. `next_ipv4_id` is the caller's outer
// IPv4 Identification counter: used and incremented (mod 2^16) for an outer IPv4 header,
// untouched for IPv6 or a refusal. Precondition: `out` does not overlap `inner_frame`.
Expected<EncapResult, EncapError> Encapsulate(std::span<const std::uint8_t> inner_frame,
                                              const EncapConfig& config,
                                              std::span<std::uint8_t> out,
                                              std::uint16_t& next_ipv4_id);

// Zero-copy variant: `packet.data()` is the inner frame; on success it is the encapsulated frame
// (tags stripped by moving the 12 MAC bytes forward, the outer headers written into the
// headroom; the rest of the inner frame does not move). On a refusal the packet is unchanged.
// Needs headroom() + 4 * tags >= OuterHeaderLength(config) (66 at most; kDefaultHeadroom is 128).
Expected<EncapResult, EncapError> EncapsulateInPlace(PacketBuffer& packet,
                                                     const EncapConfig& config,
                                                     std::uint16_t& next_ipv4_id);

}  // namespace nvgre::virt
