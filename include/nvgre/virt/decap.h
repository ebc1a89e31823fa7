// NVGRE decapsulation (RFC 7637 §3-§4; spec §9.3): from an outer Ethernet frame to the inner
// Ethernet frame, its VSID and FlowID, or a named drop reason with its own counter.
//
//   auto r = Decapsulate(frame);                  // frame: std::span<std::uint8_t>
//   if (!r) { ++stats.decap_drops[static_cast<std::size_t>(r.error())]; return; }
//   Deliver(r->vsid, r->inner_frame);             // a span inside `frame`
//
// or DecapsulateInPlace(packet_buffer): on success packet.data() is the inner frame.
//
// Checks, in this order (the first that fails is the drop reason):
//   1. frame longer than 65535 bytes                      kFrameTooLong
//   2. outer Ethernet / IPv4 / IPv6 (+ extension headers) do not parse     kOuterHeaderInvalid
//      not IPv4 or IPv6 at all (ARP, LLDP ...)            kNotIp
//   3. outer IPv4 header checksum bad (RFC 791 §3.1)      kOuterIpv4Checksum
//      (OVS counts this as native_tnl_l3csum_err and checks it before looking at GRE)
//   4. outer IPv4 Total Length / IPv6 Payload Length 0    kOuterHeaderInvalid
//      ... or larger than the frame                       kTruncated
//   5. outer IP fragment (MF or offset, IPv4 or IPv6 Fragment header) carrying GRE:
//      RFC 7637 §4 "a receiving NVE MAY discard fragmented NVGRE packets"; we do (no
//      reassembly)                                        kOuterFragment
//   6. IP protocol / upper-layer Next Header not 47       kNotGre
//   7. GRE header does not parse (bad version, R or reserved bits, cut short)  kGreHeaderInvalid
//   8. GRE is not NVGRE (wire::CheckNvgre, RFC 7637 §3.2): version, protocol 0x6558, K=1, C=0,
//      S=0                                                kGreVersionNot0, kNotTeb, kGreKeyAbsent,
//                                                         kGreChecksumPresent, kGreSequencePresent
//      inner Ethernet header carries an 802.1Q/802.1ad tag: RFC 7637 §3.2 "a decapsulating NVE
//      MUST drop"                                         kInnerVlan
//   9. inner Ethernet header cut short (< 14 bytes)       kInnerFrameInvalid
//  10. VSID reserved (IsReservedVsid) and DecapConfig::drop_reserved_vsid   kReservedVsid
//  11. ECN, RFC 6040 §4.2 (ecn.h), for an inner IPv4/IPv6 packet:
//      outer CE, inner Not-ECT: MUST drop                 kEcnCeOnNotEct
//      outer CE, inner IP header unreadable (so the rule cannot be applied)  kEcnInnerIpInvalid
//      otherwise the inner ECN field is rewritten as Figure 4 says (CE, or ECT(1) under an ECT(1)
//      outer), the inner IPv4 header checksum updated incrementally (RFC 1624 eqn. 3, so a
//      checksum that was bad stays bad), and the (!!!) combinations flagged in `ecn_alarm`.
//      A non-IP inner frame has no ECN field and passes unchanged (as in Linux's
//      IP_ECN_decapsulate and OVS).
// Only step 11 writes to the frame, and only on success.
//
// The inner frame runs from the inner Ethernet header to the end of the outer IP payload
// (outer Ethernet padding excluded). Everything uses wire::ClassifyFrame's single pass.
// No allocation, no exceptions, no I/O, no globals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nvgre/virt/encap.h"
#include "nvgre/virt/expected.h"
#include "nvgre/virt/packet_buffer.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/gre.h"

namespace nvgre::virt {

enum class DecapDrop : std::uint8_t {
  kFrameTooLong,
  kOuterHeaderInvalid,
  kNotIp,
  kOuterIpv4Checksum,
  kTruncated,
  kOuterFragment,
  kNotGre,
  kGreHeaderInvalid,
  kGreVersionNot0,      // NvgreViolation::kBadVersion
  kNotTeb,              // NvgreViolation::kNotTeb
  kGreKeyAbsent,        // NvgreViolation::kKeyAbsent
  kGreChecksumPresent,  // NvgreViolation::kChecksumPresent
  kGreSequencePresent,  // NvgreViolation::kSequencePresent
  kInnerVlan,           // NvgreViolation::kInnerVlan
  kInnerFrameInvalid,
  kReservedVsid,
  kEcnCeOnNotEct,
  kEcnInnerIpInvalid,
  kCount,
};
inline constexpr std::size_t kDecapDropCount = static_cast<std::size_t>(DecapDrop::kCount);

// The drop reason for a GRE header that breaks an RFC 7637 rule. Precondition: v != kNone.
constexpr DecapDrop DropOf(wire::NvgreViolation v) {
  switch (v) {
    case wire::NvgreViolation::kBadVersion: return DecapDrop::kGreVersionNot0;
    case wire::NvgreViolation::kNotTeb: return DecapDrop::kNotTeb;
    case wire::NvgreViolation::kKeyAbsent: return DecapDrop::kGreKeyAbsent;
    case wire::NvgreViolation::kChecksumPresent: return DecapDrop::kGreChecksumPresent;
    case wire::NvgreViolation::kSequencePresent: return DecapDrop::kGreSequencePresent;
    case wire::NvgreViolation::kInnerVlan: return DecapDrop::kInnerVlan;
    case wire::NvgreViolation::kNone:
    case wire::NvgreViolation::kCount: break;
  }
  return DecapDrop::kGreHeaderInvalid;
}

// Kebab-case names; the ones `nvgre inspect` also reports (not-ip, not-gre, outer-fragment,
// gre-header-invalid, the NvgreViolation names, inner-frame-invalid) are spelled the same.
constexpr std::string_view ToString(DecapDrop d) {
  switch (d) {
    case DecapDrop::kFrameTooLong: return "frame-too-long";
    case DecapDrop::kOuterHeaderInvalid: return "outer-header-invalid";
    case DecapDrop::kNotIp: return "not-ip";
    case DecapDrop::kOuterIpv4Checksum: return "outer-ipv4-checksum";
    case DecapDrop::kTruncated: return "truncated";
    case DecapDrop::kOuterFragment: return "outer-fragment";
    case DecapDrop::kNotGre: return "not-gre";
    case DecapDrop::kGreHeaderInvalid: return "gre-header-invalid";
    case DecapDrop::kGreVersionNot0: return wire::ToString(wire::NvgreViolation::kBadVersion);
    case DecapDrop::kNotTeb: return wire::ToString(wire::NvgreViolation::kNotTeb);
    case DecapDrop::kGreKeyAbsent: return wire::ToString(wire::NvgreViolation::kKeyAbsent);
    case DecapDrop::kGreChecksumPresent:
      return wire::ToString(wire::NvgreViolation::kChecksumPresent);
    case DecapDrop::kGreSequencePresent:
      return wire::ToString(wire::NvgreViolation::kSequencePresent);
    case DecapDrop::kInnerVlan: return wire::ToString(wire::NvgreViolation::kInnerVlan);
    case DecapDrop::kInnerFrameInvalid: return "inner-frame-invalid";
    case DecapDrop::kReservedVsid: return "vsid-reserved";
    case DecapDrop::kEcnCeOnNotEct: return "ecn-ce-on-not-ect";
    case DecapDrop::kEcnInnerIpInvalid: return "ecn-inner-ip-invalid";
    case DecapDrop::kCount: break;
  }
  return "?";
}

struct DecapConfig {
  // Off by default: RFC 7637 reserves these VSIDs but does not tell a receiver to drop them,
  // and generic GRE-TEB peers (OVS keys such as 0x1c8) use small keys.
  bool drop_reserved_vsid = false;
  // Off only when a NIC has already validated the outer IPv4 header checksum.
  bool verify_outer_ipv4_checksum = true;
};

// What step 11 did to the inner packet's ECN field.
enum class EcnRewrite : std::uint8_t { kNone, kSetCe, kSetEct1 };

struct DecapResult {
  std::span<std::uint8_t> inner_frame{};  // inside the input frame
  std::size_t inner_offset = 0;         // of inner_frame from the start of the input frame
  std::uint32_t vsid = 0;
  std::uint8_t flow_id = 0;
  OuterIp outer_ip{};                   // source / destination PA
  wire::MacAddress outer_source_mac{};
  wire::MacAddress outer_destination_mac{};
  std::uint8_t outer_tos = 0;           // outer DSCP << 2 | ECN (IPv6: traffic class)
  EcnRewrite ecn_rewrite = EcnRewrite::kNone;
  bool ecn_alarm = false;               // an RFC 6040 (!!!) combination (SHOULD be logged)
};

Expected<DecapResult, DecapDrop> Decapsulate(std::span<std::uint8_t> frame,
                                             const DecapConfig& config = {});

// Zero-copy variant: on success the packet's outer headers are pulled and its outer Ethernet
// padding trimmed, so packet.data() == the inner frame (r->inner_frame spans the same bytes and
// r->inner_offset says how many were pulled). On a drop the packet is unchanged.
Expected<DecapResult, DecapDrop> DecapsulateInPlace(PacketBuffer& packet,
                                                    const DecapConfig& config = {});

}  // namespace nvgre::virt
