// ECN and DSCP across an NVGRE tunnel: RFC 6040 (Tunnelling of ECN) §4.1 on encapsulation and
// §4.2 on decapsulation, which RFC 9601 makes explicitly applicable to IP-shim-(L2)-IP tunnels
// such as GRE/NVGRE (IP / GRE / Ethernet / IP); DSCP per the RFC 2983 §3 "uniform" and "pipe"
// models.
//
//   std::uint8_t outer_ecn = OuterEcnOnEncap(inner_ecn, EcnEncapMode::kNormal);
//   EcnDecapOutcome d = InnerEcnOnDecap(inner_ecn, outer_ecn);
//   if (d.drop) count("ecn-ce-on-not-ect"); else if (d.inner_ecn != inner_ecn) rewrite inner;
//
// Codepoints (RFC 3168 §5, the low two bits of the IPv4 TOS / IPv6 Traffic Class octet):
//   00 Not-ECT, 01 ECT(1), 10 ECT(0), 11 CE.
//
// Encapsulation (RFC 6040 §4.1). Normal mode copies the inner ECN field into the outer header
// unchanged, CE included: RFC 6040 replaced RFC 3168's "limited functionality" option and the
// old IPsec rule of resetting CE on entry, so an arriving CE stays CE in the outer header and a
// downstream decapsulator keeps it (CE outer + any inner -> CE, §4.2). Compatibility mode sets
// the outer field to Not-ECT whatever the inner says (for decapsulators that predate RFC 3168
// and would not propagate congestion marks). An encapsulator SHOULD use normal mode; this
// library defaults to it. A non-IP inner frame (ARP, LLDP, ...) has no ECN field: the outer
// header gets Not-ECT in both modes (our reading: there is no ECN capability to advertise, and
// an ECT outer would let the network CE-mark a packet nobody can drop on exit).
//
// Decapsulation (RFC 6040 §4.2, Figure 4), inner row x outer column:
//   inner \ outer | Not-ECT   ECT(0)        ECT(1)        CE
//   Not-ECT       | Not-ECT   Not-ECT(!!!)  Not-ECT(!!!)  drop(!!!)
//   ECT(0)        | ECT(0)    ECT(0)        ECT(1)        CE
//   ECT(1)        | ECT(1)    ECT(1)(!)     ECT(1)        CE
//   CE            | CE        CE            CE(!!!)       CE
// (!!!) marks combinations that a compliant tunnel never produces; RFC 6040 §4.2 says the
// decapsulator SHOULD log them (we count them: `alarm`). (!) is merely unused; no alarm.
#pragma once

#include <cstdint>

namespace nvgre::virt {

inline constexpr std::uint8_t kEcnNotEct = 0;  // RFC 3168 §5
inline constexpr std::uint8_t kEcnEct1 = 1;
inline constexpr std::uint8_t kEcnEct0 = 2;
inline constexpr std::uint8_t kEcnCe = 3;
inline constexpr std::uint8_t kEcnMask = 3;

enum class EcnEncapMode : std::uint8_t {
  kNormal,         // RFC 6040 §4.1 normal mode: copy the inner ECN field (CE stays CE)
  kCompatibility,  // RFC 6040 §4.1 compatibility mode: outer Not-ECT
};

// The outer ECN field for an inner packet whose ECN field is `inner_ecn` (0..3).
constexpr std::uint8_t OuterEcnOnEncap(std::uint8_t inner_ecn, EcnEncapMode mode) {
  return mode == EcnEncapMode::kNormal ? static_cast<std::uint8_t>(inner_ecn & kEcnMask)
                                       : kEcnNotEct;
}

struct EcnDecapOutcome {
  bool drop = false;          // inner Not-ECT, outer CE: the decapsulator MUST drop (§4.2)
  std::uint8_t inner_ecn = 0; // the ECN field the forwarded inner packet must carry
  bool alarm = false;         // a (!!!) combination: SHOULD be logged (§4.2)
};

// RFC 6040 §4.2 Figure 4 for an inner IP packet with `inner_ecn` arriving in an outer header
// with `outer_ecn` (both 0..3).
constexpr EcnDecapOutcome InnerEcnOnDecap(std::uint8_t inner_ecn, std::uint8_t outer_ecn) {
  inner_ecn &= kEcnMask;
  outer_ecn &= kEcnMask;
  EcnDecapOutcome o;
  o.inner_ecn = inner_ecn;
  if (inner_ecn == kEcnNotEct) {
    // "If the inner ECN field is Not-ECT, the decapsulator MUST NOT propagate any other ECN
    // codepoint onwards": CE -> drop; ECT(0)/ECT(1) -> forward as Not-ECT, with an alarm.
    o.drop = outer_ecn == kEcnCe;
    o.alarm = outer_ecn != kEcnNotEct;
    return o;
  }
  if (outer_ecn == kEcnCe) {
    o.inner_ecn = kEcnCe;  // ECT(0), ECT(1), CE inner: CE propagates
  } else if (outer_ecn == kEcnEct1 && inner_ecn == kEcnEct0) {
    o.inner_ecn = kEcnEct1;  // ECT(1) outer is a (PCN) congestion level above ECT(0)
  } else if (outer_ecn == kEcnEct1 && inner_ecn == kEcnCe) {
    o.alarm = true;  // CE(!!!)
  }
  return o;
}

// How the outer DSCP is chosen (RFC 2983 §3).
enum class DscpMode : std::uint8_t {
  kCopyInner,  // "uniform model": the outer DSCP is the inner one (0 for a non-IP inner frame)
  kFixed,      // "pipe model": the outer DSCP is a configured value, the inner is untouched
};

}  // namespace nvgre::virt
