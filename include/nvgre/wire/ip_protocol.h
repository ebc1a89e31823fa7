// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), shared by the IPv4 Protocol
// field (RFC 791 §3.1) and the IPv6 Next Header field (RFC 8200 §3, §4).
//
//   if (ip->protocol() == kIpProtoGre) { ... }
//
// The IPv6 extension header numbers (hop-by-hop 0, routing 43, fragment 44, no next header 59,
// destination options 60) live in ipv6.h next to the walker that understands them.
#pragma once

#include <cstdint>

namespace nvgre::wire {

inline constexpr std::uint8_t kIpProtoIcmp = 1;     // RFC 792
inline constexpr std::uint8_t kIpProtoIpv4 = 4;     // IPv4-in-IP (RFC 2003)
inline constexpr std::uint8_t kIpProtoTcp = 6;      // RFC 9293
inline constexpr std::uint8_t kIpProtoUdp = 17;     // RFC 768
inline constexpr std::uint8_t kIpProtoIpv6 = 41;    // IPv6-in-IP (RFC 2473, RFC 4213)
inline constexpr std::uint8_t kIpProtoGre = 47;     // RFC 2784; NVGRE is RFC 7637
inline constexpr std::uint8_t kIpProtoEsp = 50;     // RFC 4303
inline constexpr std::uint8_t kIpProtoAh = 51;      // RFC 4302
inline constexpr std::uint8_t kIpProtoIcmpv6 = 58;  // RFC 4443

}  // namespace nvgre::wire
