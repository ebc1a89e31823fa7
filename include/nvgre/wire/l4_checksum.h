// Transport checksums over the IPv4 / IPv6 pseudo-header: TCP (RFC 9293 §3.1), UDP (RFC 768,
// RFC 8200 §8.1) and ICMPv6 (RFC 4443 §2.3). ICMPv4 has no pseudo-header (see icmp.h).
//
// Addresses are taken as fixed-extent byte spans so that this header depends on neither the
// IPv4 nor the IPv6 view:
//
//   if (!L4ChecksumVerifiesV4(ip->bytes().subspan<12, 4>(), ip->bytes().subspan<16, 4>(),
//                             kIpProtoTcp, tcp_segment)) drop("tcp-checksum");
//   tcp.set_checksum(TcpUdpChecksumV4(src, dst, kIpProtoTcp, tcp_segment));
//
// `segment` is the whole transport header + payload: for TCP and ICMPv6 the IP payload, for
// UDP the datagram (UdpView::datagram(), i.e. bounded by the UDP length). Its size is the
// length that goes into the pseudo-header.
//
// The compute functions return the value to store in the checksum field. They sum the segment
// with whatever its checksum field holds and then subtract that field (one's-complement), so
// the caller does not have to zero it first. The field is found at L4ChecksumOffset(protocol);
// for any other protocol the caller must zero its checksum field before calling.
//
// The verify functions are pure arithmetic (sum incl. the field == 0xFFFF). They do not know
// that UDP over IPv4 with checksum 0 means "no checksum" (RFC 768): check
// UdpChecksumAbsentV4() (udp.h) first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "nvgre/wire/ip_protocol.h"

namespace nvgre::wire {

inline constexpr std::size_t kTcpChecksumOffset = 16;     // RFC 9293 §3.1
inline constexpr std::size_t kUdpChecksumOffset = 6;      // RFC 768
inline constexpr std::size_t kIcmpChecksumOffset = 2;     // RFC 792 / RFC 4443 §2.1

// Offset of the checksum field from the start of the transport header (the csum_offset of
// virtio_net_hdr / Linux CHECKSUM_PARTIAL), or 0 for protocols without a known field.
// (ICMPv4 is listed for the field's position only: its checksum has no pseudo-header.)
constexpr std::size_t L4ChecksumOffset(std::uint8_t protocol) {
  switch (protocol) {
    case kIpProtoTcp: return kTcpChecksumOffset;
    case kIpProtoUdp: return kUdpChecksumOffset;
    case kIpProtoIcmp:
    case kIpProtoIcmpv6: return kIcmpChecksumOffset;
    default: return 0;
  }
}

// The checksum to store for `segment` sent from src to dst (RFC 9293 §3.1 / RFC 768). For UDP
// a computed 0x0000 is returned as 0xFFFF (RFC 768: 0 means "no checksum"; RFC 8200 §8.1).
std::uint16_t TcpUdpChecksumV4(std::span<const std::uint8_t, 4> src,
                               std::span<const std::uint8_t, 4> dst, std::uint8_t protocol,
                               std::span<const std::uint8_t> segment);
std::uint16_t TcpUdpChecksumV6(std::span<const std::uint8_t, 16> src,
                               std::span<const std::uint8_t, 16> dst, std::uint8_t protocol,
                               std::span<const std::uint8_t> segment);

// True when the pseudo-header sum plus the segment (checksum field in place) is 0xFFFF.
bool L4ChecksumVerifiesV4(std::span<const std::uint8_t, 4> src,
                          std::span<const std::uint8_t, 4> dst, std::uint8_t protocol,
                          std::span<const std::uint8_t> segment);
bool L4ChecksumVerifiesV6(std::span<const std::uint8_t, 16> src,
                          std::span<const std::uint8_t, 16> dst, std::uint8_t protocol,
                          std::span<const std::uint8_t> segment);

}  // namespace nvgre::wire
