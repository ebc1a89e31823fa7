// The "protocol driver" side of NVGRE transmit offload: what the Windows TCP/IP stack and the
// NVGRE (HNV) filter hand a NIC for an NVGRE packet (spec §2, §3.1, §4). PrepareNvgreSend
// fills the OOB slots and rewrites the headers into a checksum-offload, LSOv2 or USO template,
// so that a frame that carries ordinary header values (as read from a capture: a full TCP
// checksum, real lengths, maybe garbage in checksum fields) looks like what a NIC receives.
//
//   std::array<std::uint8_t, kTxParseWindow> headers;
//   auto prep = PrepareNvgreSend(frame, {.segmentation = Segmentation::kLsoV2, .mss = 0,
//                                        .mtu = 1500}, headers);
//   if (!prep) return Count(ToString(prep.error()));
//   std::array<std::span<const std::uint8_t>, 2> buffers{
//       std::span<const std::uint8_t>(headers).first(prep->header_length),
//       frame.subspan(prep->header_length)};
//   TxOob oob = prep->oob;
//   ProcessTxPacket(config, buffers, oob, out, stats);
//
// The rewritten copy holds the frame's first header_length bytes (from the frame start through
// the inner TCP/UDP header, or through the inner IP header for other inner protocols); the
// packet handed to the NIC is that copy followed by frame[header_length..]. The frame itself is
// not written. No allocation, no exceptions, no I/O.
//
// What is written (the stack's side of the base rules, spec §3.1 and §4; [INFER] where marked):
//   every mode   IsEncapsulatedPacket = EncapsulatedPacketOffsetsValid = 1 and the three offsets
//                from wire::ClassifyFrame; IsInnerIPv6 from the inner header; TcpOptionsPresent
//                when the inner TCP header is longer than 20 bytes. The legacy
//                Transmit.TcpHeaderOffset / LsoV2Transmit.TcpHeaderOffset / UdpHeaderOffset get
//                the transport offset the inner stack computed before the outer headers were
//                prepended (inner L4 offset - inner frame offset): the value NDIS says is WRONG
//                for encapsulated packets and the NIC must ignore (§2.1) [INFER].
//   kNone        checksum offload: ChecksumTxInfo IsIPv4/IsIPv6 (the OUTER version, §2.2),
//                IpHeaderChecksum when asked and an IPv4 header exists, TcpChecksum or
//                UdpChecksum when asked and the inner packet is TCP/UDP. Both IPv4 header
//                checksums zeroed when IpHeaderChecksum is set; the L4 checksum field seeded
//                with the pseudo-header sum WITH the L4 length. Lengths are the real ones: the
//                outer and inner IP length fields and the UDP Length are rewritten from the
//                frame size (what the stack writes for a packet that is sent as is).
//   kLsoV2       LsoV2Transmit: MSS, Type = V2, IPVersion = the OUTER version (§2.3 [INFER]).
//                Checksum info as above with TcpChecksum and IpHeaderChecksum (§4 "with
//                checksum OOB valid"). IPv4 Total Length 0 in the inner header (base LSOv2 rule)
//                AND in the outer one, IPv6 Payload Length 0 in both (the length of a
//                super-frame need not fit 16 bits; the NIC derives every length from the
//                NET_BUFFER) [INFER]; both IPv4 checksums 0; TCP checksum = pseudo-header sum
//                over src, dst and protocol WITHOUT the TCP length (§4).
//   kUso         UdpSegmentation Transmit: MSS, IPVersion = OUTER version [INFER]; checksum info
//                with UdpChecksum and IpHeaderChecksum; lengths 0 as for LSOv2, UDP Length 0,
//                UDP checksum = pseudo-header sum WITHOUT length (USO "similar to LSOv2")
//                [INFER].
// IPv4 Identification, TTL, flags, TCP sequence/flags/options and the GRE header are left as
// they are. MSS, when not given: derived from `mtu`, the IP MTU of the physical link, reduced by
// the encapsulation overhead: mtu - (bytes from the outer IP header to the inner payload), so
// that every full segment fills the MTU exactly (§4: "reduces MSS to account for the extra
// encapsulation bytes").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nvgre/offload/tx_engine.h"
#include "nvgre/wire/result.h"

namespace nvgre::offload {

enum class Segmentation : std::uint8_t { kNone, kLsoV2, kUso };

struct PrepareOptions {
  Segmentation segmentation = Segmentation::kNone;
  std::uint32_t mss = 0;     // LSOv2/USO payload bytes per segment; 0 = derive from `mtu`
  std::uint32_t mtu = 1500;  // IP MTU of the physical link (outer IP header + its payload)
  bool ip_header_checksum = true;  // ask for IpHeaderChecksum (when an IPv4 header exists)
  bool l4_checksum = true;         // ask for TcpChecksum / UdpChecksum (checksum offload only;
                                   // LSOv2 and USO always compute the L4 checksum)
};

enum class PrepareError : std::uint8_t {
  kNotNvgreShaped,    // not Ethernet / IP / GRE protocol 0x6558 / Ethernet / IP (the classifier
                      // could not reach an inner IP header)
  kMalformed,         // a header did not parse, or an IP length is impossible
  kInnerFragment,     // inner IP fragment: the stack never offloads those
  kNotTcp,            // LSOv2 asked for a packet without inner TCP
  kNotUdp,            // USO asked for a packet without inner UDP
  kOffsetsDoNotFit,   // an offset does not fit its supplemental bitfield (§2.1 widths)
  kMtuTooSmall,       // the derived MSS would be 0 or negative
  kMssDoesNotFit,     // the MSS does not fit the 20-bit MSS field
  kBufferTooSmall,    // `headers_out` is smaller than the header block
  kCount,
};
constexpr std::string_view ToString(PrepareError e) {
  switch (e) {
    case PrepareError::kNotNvgreShaped: return "not-nvgre-shaped";
    case PrepareError::kMalformed: return "malformed";
    case PrepareError::kInnerFragment: return "inner-fragment";
    case PrepareError::kNotTcp: return "not-tcp";
    case PrepareError::kNotUdp: return "not-udp";
    case PrepareError::kOffsetsDoNotFit: return "offsets-do-not-fit";
    case PrepareError::kMtuTooSmall: return "mtu-too-small";
    case PrepareError::kMssDoesNotFit: return "mss-does-not-fit";
    case PrepareError::kBufferTooSmall: return "buffer-too-small";
    case PrepareError::kCount: break;
  }
  return "?";
}

struct PreparedSend {
  TxOob oob;                      // the OOB slots as the stack fills them
  std::size_t header_length = 0;  // bytes rewritten into headers_out
  std::uint32_t mss = 0;          // the MSS used (0 for checksum offload)
  bool outer_ipv6 = false;
  bool inner_ipv6 = false;
  std::uint8_t inner_protocol = 0;  // IANA number of the inner transport, 0 when none located
};

// Minimal expected-like result (wire::Result is for ParseFailure only).
class PrepareResult {
 public:
  PrepareResult(const PreparedSend& v) : value_(v), ok_(true) {}  // NOLINT: implicit
  PrepareResult(PrepareError e) : error_(e), ok_(false) {}        // NOLINT: implicit
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const PreparedSend& value() const { return value_; }
  const PreparedSend& operator*() const { return value_; }
  const PreparedSend* operator->() const { return &value_; }
  PrepareError error() const { return error_; }

 private:
  PreparedSend value_{};
  PrepareError error_ = PrepareError::kCount;
  bool ok_;
};

// Prepares `frame` (one complete NVGRE frame, ordinary header values) for the Tx engine. The
// rewritten header block goes to `headers_out` (see the file comment); the frame is not
// written. GRE C/K/S flags are not judged here (a GRE header with C or S still gets its offsets:
// refusing it is the NIC's business).
PrepareResult PrepareNvgreSend(std::span<const std::uint8_t> frame, const PrepareOptions& options,
                               std::span<std::uint8_t> headers_out);

// The MSS the stack uses for an NVGRE packet over a link with IP MTU `mtu`: mtu minus the bytes
// from the outer IP header through the inner TCP/UDP header of `frame` (0 when that is <= 0 or
// the frame is not NVGRE-shaped).
std::uint32_t NvgreMssForMtu(std::span<const std::uint8_t> frame, std::uint32_t mtu);

}  // namespace nvgre::offload
