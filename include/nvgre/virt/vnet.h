// virtio_net_hdr: the offload header in front of every frame of a TAP opened with IFF_VNET_HDR
// (virtio 1.x §5.1.6 "struct virtio_net_hdr" with num_buffers, 12 bytes; Linux
// include/uapi/linux/virtio_net.h), as untrusted input and as what we write back.
//
// Transmit (VM -> nvgred): the VM's kernel hands over TSO/USO super-frames and frames with a
// partial checksum (NEEDS_CSUM: the checksum field holds the pseudo-header sum, the device sums
// from csum_start to the end). There is no GRE GSO type, so nvgred segments with the NDIS Tx
// engine after encapsulation:
//
//   auto hdr = ParseVnetHdr(read_bytes);                         // 12 bytes, little-endian
//   auto req = CheckVnetTx(*hdr, frame, limits);                 // validated against the frame
//   if (!req) { ++drops[req.error()]; continue; }                // a named VnetTxDrop
//   ... EncapsulateInPlace(pkt, encap_config, id) ...            // encap.h: outer headers
//   auto tx = PrepareEncapsulatedTx(*req, pkt.data(), tx_config, underlay_mtu);
//   if (!tx) { ++drops[tx.error()]; continue; }
//   ProcessTxPacket(tx_config, pkt.data(), tx->oob, out, stats); // tx_engine.h: never refuses
//                                                                // what PrepareEncapsulatedTx accepted
// Receive (nvgred -> VM): VnetHdrForReceive marks frames whose checksums the Rx engine
// validated (DATA_VALID: the VM skips its own check); PrepareCoalescedForTap turns a coalesced
// TCP frame into one GSO frame (the VM's stack takes a 64 KiB frame instead of 45).
//
// Nothing here allocates, throws or does I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nvgre/offload/ndis_oob.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/virt/expected.h"
#include "nvgre/wire/result.h"

namespace nvgre::virt {

// TUNSETVNETHDRSZ value: struct virtio_net_hdr_v1 (10 bytes + num_buffers).
inline constexpr std::size_t kVnetHdrSize = 12;

inline constexpr std::uint8_t kVnetFlagNeedsCsum = 0x1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr std::uint8_t kVnetFlagDataValid = 0x2;  // VIRTIO_NET_HDR_F_DATA_VALID
inline constexpr std::uint8_t kVnetFlagRscInfo = 0x4;    // VIRTIO_NET_HDR_F_RSC_INFO
inline constexpr std::uint8_t kVnetGsoNone = 0;          // VIRTIO_NET_HDR_GSO_NONE
inline constexpr std::uint8_t kVnetGsoTcpv4 = 1;         // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr std::uint8_t kVnetGsoUdp = 3;           // VIRTIO_NET_HDR_GSO_UDP (UFO)
inline constexpr std::uint8_t kVnetGsoTcpv6 = 4;         // VIRTIO_NET_HDR_GSO_TCPV6
inline constexpr std::uint8_t kVnetGsoUdpL4 = 5;         // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
inline constexpr std::uint8_t kVnetGsoEcn = 0x80;        // VIRTIO_NET_HDR_GSO_ECN

// The header's fields in host order (on the wire each 16-bit field is little-endian).
struct VnetHdr {
  std::uint8_t flags = 0;
  std::uint8_t gso_type = kVnetGsoNone;
  std::uint16_t hdr_len = 0;      // untrusted: never used to find headers
  std::uint16_t gso_size = 0;     // payload bytes per segment
  std::uint16_t csum_start = 0;   // from the frame start (on a TAP: the Ethernet header counts)
  std::uint16_t csum_offset = 0;  // from csum_start to the checksum field
  std::uint16_t num_buffers = 0;
  friend constexpr bool operator==(const VnetHdr&, const VnetHdr&) = default;
};

// Reads the first kVnetHdrSize bytes; {kTruncated, kVnetHdr, 0} when there are fewer.
wire::Result<VnetHdr> ParseVnetHdr(std::span<const std::uint8_t> bytes);
void EmitVnetHdr(const VnetHdr& header, std::span<std::uint8_t, kVnetHdrSize> out);

// Why a frame from a VM is refused; one counter each (VPP error.def style: value, name, help).
#define NVGRE_VNET_TX_DROPS(X)                                                                   \
  X(kVnetHdrTruncated, "vnet-hdr-truncated", "read shorter than the vnet header")               \
  X(kFrameTooShort, "vnet-frame-too-short", "no complete Ethernet header after the vnet header") \
  X(kVlanTooManyTags, "vnet-vlan-too-many-tags", "more than four VLAN tags (encapsulation strips four)") \
  X(kFlagsInvalid, "vnet-flags-invalid", "unknown flag bits, or NEEDS_CSUM with DATA_VALID")     \
  X(kGsoTypeUnknown, "vnet-gso-type-unknown", "gso_type not NONE/TCPV4/TCPV6/UDP_L4 (UFO, ECN)") \
  X(kGsoNotNegotiated, "vnet-gso-not-negotiated", "a GSO kind the TAP was not offered")          \
  X(kCsumNotNegotiated, "vnet-csum-not-negotiated", "NEEDS_CSUM but TUN_F_CSUM was not offered") \
  X(kGsoWithoutCsum, "vnet-gso-without-csum", "a GSO frame without NEEDS_CSUM")                  \
  X(kGsoSizeInvalid, "vnet-gso-size-invalid", "gso_size 0, 0xFFFF or below the minimum MSS")     \
  X(kGsoTooManySegments, "vnet-gso-too-many-segments", "more segments than one send may make")   \
  X(kGsoMismatch, "vnet-gso-mismatch", "gso_type disagrees with the IP version or protocol")     \
  X(kGsoTcpFlags, "vnet-gso-tcp-flags", "TCP segmentation of a segment with SYN, RST or URG")    \
  X(kGsoSourceRouted, "vnet-gso-source-routed",                                                \
    "segmentation of a source-routed packet (IPv4 LSRR/SSRR, IPv6 Routing with Segments Left)") \
  X(kCsumNotIp, "vnet-csum-not-ip", "NEEDS_CSUM on a frame that carries no IPv4/IPv6 packet")    \
  X(kCsumOutOfFrame, "vnet-csum-out-of-frame",                                                 \
    "csum_start/csum_offset outside the packet, or an odd csum_offset")                        \
  X(kCsumNotTransport, "vnet-csum-not-transport", "GSO checksum field not the TCP/UDP checksum")  \
  X(kIpInvalid, "vnet-ip-invalid", "IP header bad or cut short (version, IHL < 5, ...)")         \
  X(kIpLengthMismatch, "vnet-ip-length-mismatch", "IP length field disagrees with the frame")    \
  X(kIpFragment, "vnet-ip-fragment", "offload asked for an IP fragment")                         \
  X(kTcpInvalid, "vnet-tcp-invalid", "TCP header cut short or data offset outside 5..15")        \
  X(kUdpInvalid, "vnet-udp-invalid", "UDP header cut short or UDP length disagrees")             \
  X(kHeadersTooLong, "vnet-headers-too-long", "headers beyond what the Tx engine may offload")    \
  X(kExceedsMtu, "vnet-exceeds-mtu", "frame (or one UDP datagram) does not fit the underlay MTU") \
  X(kMtuTooSmall, "vnet-mtu-too-small", "the underlay MTU leaves TCP segments below the min MSS") \
  X(kSegmentationUnavailable, "vnet-segmentation-unavailable",                                 \
    "the Tx engine configuration cannot segment this packet (off, not advertised, limits)")     \
  X(kEncapsulatedMismatch, "vnet-encapsulated-mismatch",                                       \
    "the frame given after encapsulation is not the NVGRE form of the validated one")

enum class VnetTxDrop : std::uint8_t {
#define NVGRE_X(value, name, help) value,
  NVGRE_VNET_TX_DROPS(NVGRE_X)
#undef NVGRE_X
  kCount,
};
inline constexpr std::size_t kVnetTxDropCount = static_cast<std::size_t>(VnetTxDrop::kCount);
std::string_view ToString(VnetTxDrop d);  // the kebab-case name
std::string_view HelpText(VnetTxDrop d);

// What the TAP was told we accept (TUNSETOFFLOAD) and what one send may make.
struct VnetTxLimits {
  bool csum = true;                   // TUN_F_CSUM
  bool tso4 = true;                   // TUN_F_TSO4
  bool tso6 = true;                   // TUN_F_TSO6
  bool uso = true;                    // TUN_F_USO4 | TUN_F_USO6
  std::uint32_t min_mss = 88;         // offload::TxOffloadConfig::min_mss
  std::uint32_t max_segments = 256;   // segments one super-frame may become (at gso_size)
};

enum class VnetTxKind : std::uint8_t {
  kPlain,             // no offload asked (or a partial checksum CheckVnetTx cannot hand the engine)
  kChecksum,          // NEEDS_CSUM on the TCP/UDP checksum field: the engine fills it
  kTcpSegmentation,   // GSO TCPV4 / TCPV6: LSOv2
  kUdpSegmentation,   // GSO UDP_L4: USO
};

// The validated request. Offsets are from the start of the frame as read (VLAN tags included).
// For kPlain without software_checksum only l3_offset (the end of the Ethernet header and its
// tags) and frame_length are always meaningful; the IP fields are filled when an IP packet that
// satisfies every length rule (and whose TCP/UDP header, if any, parses) follows (is_ip), else
// is_ip is false and frame_length is the whole frame.
struct VnetTxRequest {
  VnetTxKind kind = VnetTxKind::kPlain;
  bool software_checksum = false;  // NEEDS_CSUM not on a TCP/UDP checksum (or on one the engine
                                   // cannot seed: source-routed): PrepareEncapsulatedTx
                                   // completes it in software (RFC 1071 sum from csum_start)
  bool is_ip = false;              // an IPv4/IPv6 packet follows the Ethernet header (and tags)
  bool ipv6 = false;
  bool ipv4_dont_fragment = false;
  std::uint8_t l4_protocol = 0;       // IANA number (0 when not located)
  std::uint16_t l3_offset = 0;
  std::uint16_t l4_offset = 0;
  std::uint16_t header_length = 0;    // through the TCP/UDP header (recomputed, never hdr_len)
  std::uint32_t ip_packet_length = 0; // bytes from the IP header to the IP packet's end
  std::uint32_t frame_length = 0;     // bytes of the frame that belong to the packet (no padding)
  std::uint16_t gso_size = 0;         // for the segmentation kinds
  std::uint16_t csum_start = 0;       // as validated (NEEDS_CSUM only)
  std::uint16_t csum_offset = 0;
  // VnetTxLimits::max_segments, carried to PrepareEncapsulatedTx (whose MSS may be smaller than
  // gso_size, so that it counts again). Added to the interface: PrepareEncapsulatedTx has no
  // limits argument.
  std::uint32_t max_segments = 256;
};

// Validates `header` against `frame` (the Ethernet frame after the vnet header): every rule of
// the drop list above (docs/vnet.md gives each rule and its source). Does not write. Checks, in
// this order (the first that fails is the drop):
//   1. the Ethernet header and its tags: kFrameTooShort, kVlanTooManyTags;
//   2. the header alone: kFlagsInvalid, kGsoTypeUnknown, kGsoNotNegotiated, kCsumNotNegotiated,
//      kGsoWithoutCsum, kGsoSizeInvalid. Without NEEDS_CSUM (and so without GSO) the frame is
//      kPlain, whatever it carries (ARP, a broken IP header ...): nothing else is checked;
//   3. the IP packet: kCsumNotIp (kGsoMismatch for GSO), kIpInvalid, kIpLengthMismatch,
//      kIpFragment, then for GSO kGsoMismatch (gso_type against the IP version and protocol);
//   4. the transport header (TCP/UDP, whatever the kind): kTcpInvalid, kUdpInvalid;
//   5. the checksum request: kCsumOutOfFrame (csum_start before the end of the IP header, the
//      field past the end of the IP packet, or an odd csum_offset), then for GSO kCsumNotTransport,
//      kGsoSourceRouted, kGsoTcpFlags, kGsoTooManySegments (at gso_size).
Expected<VnetTxRequest, VnetTxDrop> CheckVnetTx(const VnetHdr& header,
                                                std::span<const std::uint8_t> frame,
                                                const VnetTxLimits& limits);
// The same for a whole read from the TAP (vnet header + frame): kVnetHdrTruncated when `read`
// is shorter than kVnetHdrSize. Added to the interface so that the drop has a producer.
Expected<VnetTxRequest, VnetTxDrop> CheckVnetTxRead(std::span<const std::uint8_t> read,
                                                    const VnetTxLimits& limits);

struct EncapsulatedTx {
  offload::TxOob oob;       // for ProcessTxPacket on the encapsulated frame
  std::uint32_t mss = 0;    // LSOv2 / USO MSS used (0: no segmentation)
  std::uint32_t segments = 1;
};

// After EncapsulateInPlace: `encapsulated` is the whole NVGRE frame (outer Ethernet onward; the
// inner frame's VLAN tags already stripped). Classifies it, rewrites the inner L4 checksum
// field as NDIS expects the stack to leave it (spec §3.1, §4: the pseudo-header sum WITH the L4
// length for checksum offload, WITHOUT it for LSOv2 and USO), completes a software checksum, and
// builds the OOB: checksum offload (IsIPv4/IsIPv6 of the outer header, IpHeaderChecksum,
// TcpChecksum / UdpChecksum), LSOv2 with MSS = min(gso_size, what fits `underlay_mtu`), or USO;
// a segmentation request whose payload fits one segment becomes checksum offload (NDIS
// MinSegmentCount 2). What it accepts, ProcessTxPacket(config, ...) sends without refusal,
// given storage for request.max_segments segments and header blocks of
// max(256, MaxHeaderSizeSupported) bytes; every frame it puts on the wire fits `underlay_mtu`
// (the outer IP packet: outer IP header + payload, capped at 65535).
// Details:
//   - the seed is computed from the inner header's addresses (never the VM's value), so that
//     whatever the VM wrote, the checksums on the wire are right;
//   - USO keeps gso_size as the MSS: each UDP datagram the VM built is a datagram of the
//     application (QUIC), so a gso_size that does not fit `underlay_mtu` is kExceedsMtu rather
//     than a smaller MSS; LSOv2 may shrink the MSS (TCP is a byte stream);
//   - checksum offload that `config` cannot do (off, not advertised, headers beyond
//     MaxHeaderSizeSupported, options not supported) is completed in software and the frame is
//     sent without offload, as a Linux driver falls back to skb_checksum_help; segmentation that
//     it cannot do is a drop (kHeadersTooLong, kSegmentationUnavailable);
//   - a software checksum stores 0xFFFF for a computed 0 except for TCP (Linux's
//     CSUM_MANGLED_0; RFC 768 for UDP).
// Drops: kEncapsulatedMismatch (not NVGRE, or the inner offsets do not match `request`),
// kExceedsMtu, kMtuTooSmall, kGsoSizeInvalid (gso_size below config.min_mss),
// kGsoTooManySegments, kGsoTcpFlags, kHeadersTooLong, kSegmentationUnavailable. On a drop the
// frame may have been written (its inner L4 checksum field).
Expected<EncapsulatedTx, VnetTxDrop> PrepareEncapsulatedTx(const VnetTxRequest& request,
                                                           std::span<std::uint8_t> encapsulated,
                                                           const offload::TxOffloadConfig& config,
                                                           std::uint32_t underlay_mtu);

// The header for a decapsulated frame written to a TAP: DATA_VALID when the Rx engine reported
// TcpChecksumSucceeded or UdpChecksumSucceeded and nothing failed; no flags otherwise.
VnetHdr VnetHdrForReceive(offload::ChecksumRxInfo checksum);

// A coalesced TCP frame (inner Ethernet frame, IPv4 or IPv6, checksums verified before merging)
// as one GSO frame: gso_type TCPV4/TCPV6, gso_size = mss, hdr_len = the header length,
// NEEDS_CSUM with csum_start = the TCP header and csum_offset 16, and the TCP checksum field
// rewritten to the pseudo-header sum (CHECKSUM_PARTIAL, as a TSO frame is). The IP length
// fields must already describe the merged packet. Not such a frame: kFrameTooShort /
// kVlanTooManyTags (Ethernet), kIpInvalid (not IP, bad header), kIpLengthMismatch, kIpFragment,
// kTcpInvalid (not TCP, bad TCP header); mss 0 or 0xFFFF: kGsoSizeInvalid. Nothing is written
// on an error. The ECN bit is never set: Linux GSO clears CWR after the first segment itself.
Expected<VnetHdr, VnetTxDrop> PrepareCoalescedForTap(std::span<std::uint8_t> inner_frame,
                                                     std::uint16_t mss);

}  // namespace nvgre::virt
