// The transmit offload engine: what a NIC with NDIS "NVGRE task offload" (NDIS 6.30; USO over
// NVGRE, NDIS 6.85) puts on the wire for one NVGRE packet handed down with checksum, LSOv2 or
// USO out-of-band data (spec §2, §3.1, §4).
//
// Usage:
//
//   TxOffloadConfig config;                         // an adapter with everything on (see below)
//   TxOob oob = ...;                                // the NBL OOB slots, e.g. from PrepareNvgreSend
//   std::array<std::span<const std::uint8_t>, 2> buffers{outer_headers, inner_frame};
//   TxSegmentArray<64> storage;                     // or any caller memory (TxOutput)
//   TxStats stats;                                  // counters the caller owns
//   TxOutput out = storage.output();
//   TxResult r = ProcessTxPacket(config, buffers, oob, out, stats);
//   if (!r.ok()) Drop(ToString(r.refusal));         // counted in stats.refused[reason]
//   for (const TxSegment& s : r.segments(out))
//     writev(fd, {s.headers, s.payload[0], ..., s.payload[s.payload_pieces - 1]});
//   // or: std::size_t n = LinearizeSegment(s, frame_buffer);
//
// ================================ CONTRACT (like rte_gso.h) ===================================
// Input. One packet (one NET_BUFFER) as a list of byte buffers, in order: the scatter-gather
//   list. The spec (§2.1) guarantees that everything up to and including the GRE header is in
//   the first buffer and lets the inner frame start in a later one; the engine relies on
//   neither: when the first buffer does not hold every header it gathers the first bytes of the
//   packet (at most kTxParseWindow) into a scratch copy on its stack, and it slices payload from
//   any buffer. The packet
//   length is the sum of the buffer sizes (NET_BUFFER DataLength); for LSOv2 and USO every
//   length on the wire is derived from it and the header offsets, never from the template's
//   length fields (spec §4 [INFER]). The input bytes are never written.
// OOB (TxOob). Read as the CONTRACT in ndis_oob.h states: IsEncapsulatedPacket selects the
//   NVGRE path; IsIPv4/IsIPv6 (checksum) and IPVersion (LSOv2, USO) describe the OUTER header
//   and must match it; IsInnerIPv6 must match the parsed inner header; with
//   EncapsulatedPacketOffsetsValid the three supplemental offsets and TcpOptionsPresent must
//   match the packet (wire::ClassifyFrame), and the legacy Transmit.TcpHeaderOffset,
//   LsoV2Transmit.TcpHeaderOffset and UdpHeaderOffset are ignored (§2.1). On success of an LSOv2
//   send the engine overwrites `large_send` with the completion value
//   (LsoV2CompleteInfo::Completing: Reserved = 0, Type = V2, bit 31 kept; §4). Nothing else in
//   the OOB is written. On a refusal nothing is written.
// What the engine clears: the LSOv2 request, by writing the completion over it (as a miniport
//   does; DPDK GSO clears RTE_MBUF_F_TX_TCP_SEG instead). The segments it emits are finished
//   frames with no offload left to do: they carry no OOB of their own (the checksum and
//   supplemental words describe the packet as the stack handed it over).
// What the stack must have done (spec §3.1, §4): zeroed the IPv4 header checksums (ignored
//   anyway: they are recomputed) and seeded the inner L4 checksum field with the pseudo-header
//   sum: WITH the L4 length for checksum offload, WITHOUT it for LSOv2 and USO (USO like LSOv2
//   [INFER]). The engine trusts the seed, as hardware does: it sums header + payload onto it
//   (adding each segment's L4 length for LSOv2/USO) and complements. A wrong seed gives a wrong
//   checksum, not a refusal. stack_prep.h produces exactly these templates.
// Output. Segments in wire order, written to caller-provided storage (TxOutput):
//   - `headers` of each segment is an owned, edited copy of the template headers (from the
//     frame start through the inner TCP/UDP header; through the inner IP header for other
//     inner protocols) placed in the caller's header arena, one block per segment;
//   - `payload` are up to kTxMaxPayloadPieces spans that REFERENCE THE INPUT BUFFERS (no payload
//     byte is copied): the caller must keep the input alive and unchanged for as long as it
//     uses the segments, exactly like DPDK GSO's indirect mbufs.
//   The storage must hold ceil(payload / MSS) segments and that many header blocks; otherwise
//   the packet is refused with kOutputTooSmall and TxResult says how much was needed. On any
//   refusal the contents of the storage are unspecified and no segment may be sent.
//   LinearizeSegment() copies one segment into a contiguous frame for callers that want one.
// What goes on the wire (spec §3.1, §4 and its per-segment table):
//   - nothing requested (no checksum bit with an IP version bit, no LSO, no USO): the packet as
//     it is, one segment whose `headers` block is empty and whose payload spans are the input
//     buffers (at most kTxMaxPayloadPieces non-empty buffers, else kPayloadTooFragmented);
//   - checksum offload: one segment; IpHeaderChecksum fills the outer and the inner IPv4 header
//     checksum (whichever are IPv4), TcpChecksum / UdpChecksum the inner L4 checksum over the
//     L4 header to the end of the inner IP packet per its length field (UDP: per UDP Length; a
//     computed 0 is sent as 0xFFFF, RFC 768); an inner ICMP/other packet gets IP header
//     checksums only;
//     lengths, IDs and everything else are left as they are;
//   - LSOv2: full-MSS segments and at most one shorter last one; every segment carries every
//     header; per segment: outer IPv4 Total Length / outer IPv6 Payload Length, inner IPv4
//     Total Length / inner IPv6 Payload Length, outer and inner IPv4 Identification = template
//     ID + k with the low 15 bits wrapping (0x7FFF -> 0x0000, bit 15 kept; §4 [INFER] for both
//     headers), both IPv4 header checksums, TCP sequence = template + k * MSS, FIN and PSH only
//     on the last segment, CWR only on the first, the TCP checksum over the segment; the GRE
//     header, Ethernet headers, IP options, IPv6 extension headers and TCP options are copied
//     unchanged. A template with no payload gives one segment with no payload;
//   - USO: the same shape for inner UDP: per segment UDP Length = 8 + payload and the UDP
//     checksum; IPv4 IDs and lengths as for LSOv2.
// Refusals (TxRefusal): the first check that fails (order at ProcessTxPacket) is returned and
//   counted in TxStats::refused. A refused packet is not sent (NDIS completes the NBL with a
//   failure status); the caller may fall back to software.
// Threads: ProcessTxPacket keeps no state between calls; any number of threads may run it with
//   their own output storage and stats. No heap allocation, no exceptions, no I/O, no globals;
//   about 2 * kTxParseWindow + 300 bytes of stack.
// Out of scope here: plain (not encapsulated) packets with offload requests (refused with
//   kNotEncapsulated), LSOv1 (refused for encapsulated packets, §4), VXLAN, GRE checksums.
// ============================================================================================
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "nvgre/offload/ndis_capabilities.h"
#include "nvgre/offload/ndis_oob.h"

namespace nvgre::offload {

// Most bytes the engine looks at to find the headers (InnerFrameOffset 255 + 63 + 1023 + a TCP
// header fit). Headers beyond it are refused as kHeadersTooLong whatever the configuration.
inline constexpr std::size_t kTxParseWindow = 1536;
// Most input pieces one segment's payload may reference.
inline constexpr std::size_t kTxMaxPayloadPieces = 4;

// ---- What the adapter has enabled and advertised ------------------------------------------
// A plain aggregate. The adapter model (issue 4) fills it from its NDIS_OFFLOAD capabilities
// and the state set by OID_TCP_OFFLOAD_PARAMETERS; the engine reads it for every packet and
// never writes it. The defaults describe an adapter with every transmit offload advertised AND
// switched on, so that a default-constructed config offloads everything; an adapter model
// starts from its own state (NVGRE task offload is OFF until an OID activates it, spec §8.1).

// NDIS_TCP_IP_CHECKSUM_OFFLOAD.IPv4Transmit / .IPv6Transmit (the base Tx checksum capability
// for one IP version, as currently enabled).
struct TxChecksumCaps {
  // IPv4: IpOptionsSupported; IPv6: IpExtensionHeadersSupported. Checked for every IP header of
  // this version in the packet, outer and inner (spec §7.2 "Options").
  bool ip_options_supported = true;
  bool tcp_options_supported = true;  // TcpOptionsSupported, for an inner TCP of this version
  bool tcp_checksum = true;           // TcpChecksum: inner TCP of this version
  bool udp_checksum = true;           // UdpChecksum: inner UDP of this version
  bool ip_checksum = true;            // IpChecksum (IPv4 only; ignored in the IPv6 caps)
};

// NDIS_TCP_LARGE_SEND_OFFLOAD_V2.IPv4 / .IPv6, as enabled (*LsoV2IPv4 / *LsoV2IPv6). Chosen by
// the INNER IP version: the inner TCP is what is segmented [INFER].
struct TxLsoV2Caps {
  bool enabled = true;
  std::uint32_t max_offload_size = 262144;  // MaxOffLoadSize: most TCP payload bytes per send
  std::uint32_t min_segment_count = 2;      // MinSegmentCount: fewer segments are refused
  // IPv6 only (NDIS has these two for IPv6 alone; an LSOv2 IPv4 capability has no option
  // flags, so IPv4 options and TCP options over inner IPv4 are always handled).
  bool ip_extension_headers_supported = true;  // IPv6 extension headers, outer or inner
  bool tcp_options_supported = true;           // TCP options over inner IPv6
};

// NDIS_UDP_SEGMENTATION_OFFLOAD.IPv4 / .IPv6 (NDIS 6.83+), as enabled; by the INNER version.
struct TxUsoCaps {
  bool enabled = true;
  std::uint32_t max_offload_size = 262144;  // MaxOffLoadSize: most UDP payload bytes per send
  std::uint32_t min_segment_count = 2;      // MinSegmentCount (6 bits in NDIS)
  // SubMssFinalSegmentSupported: a payload that is not a multiple of MSS is allowed (the last
  // datagram is shorter); otherwise it is refused (kSubMssFinalSegment).
  bool sub_mss_final_segment_supported = true;
  bool ip_extension_headers_supported = true;  // IPv6 only: IpExtensionHeadersSupported
};

struct TxOffloadConfig {
  // NVGRE task offload operational: OID_TCP_OFFLOAD_PARAMETERS set EncapsulatedPacketTaskOffload
  // ON with EncapsulationTypes GRE_MAC, and the miniport completed it (spec §8). Off: every
  // encapsulated packet with an offload request is refused (kEncapsulatedOffloadOff).
  bool encapsulated_offload_active = true;
  // NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD as advertised: TransmitChecksumOffloadSupported,
  // LsoV2Supported and UsoSupported masks (INNER/OUTER IPv4/IPv6, spec §7.2) and
  // MaxHeaderSizeSupported (bytes from the frame start through the inner TCP/UDP header).
  EncapsulatedPacketTaskOffload encapsulated = EncapsulatedPacketTaskOffload::FromRaw(
      0x00FFFFFF, EncapsulatedPacketTaskOffload::kDefaultMaxHeaderSizeSupported);
  TxChecksumCaps checksum_ipv4;
  TxChecksumCaps checksum_ipv6;
  TxLsoV2Caps lso_v2_ipv4;
  TxLsoV2Caps lso_v2_ipv6;
  TxUsoCaps uso_ipv4;
  TxUsoCaps uso_ipv6;
  // Smallest MSS (LSOv2 and USO) this model accepts: below it the send is refused (kMssTooSmall).
  // Not an NDIS field: NICs have a hardware floor; 88 is Linux's TCP_MIN_MSS.
  std::uint32_t min_mss = 88;
};

// ---- The packet's out-of-band data --------------------------------------------------------
// The four NET_BUFFER_LIST info slots of a transmit (spec §2); zero = slot absent.
struct TxOob {
  ChecksumTxInfo checksum;                    // TcpIpChecksumNetBufferListInfo (Transmit view)
  std::uint32_t large_send = 0;               // TcpLargeSendNetBufferListInfo, raw: bit 30 (Type)
                                              // selects LsoV1Transmit / LsoV2Transmit; on LSOv2
                                              // success the engine writes LsoV2TransmitComplete
  SendOffloadsSupplementalInfo supplemental;  // TcpSendOffloadsSupplementalNetBufferListInfo
  UdpSegmentationTxInfo uso;                  // UdpSegmentationOffloadInfo (Transmit view)

  friend constexpr bool operator==(const TxOob&, const TxOob&) = default;
};

// ---- Refusals -----------------------------------------------------------------------------
// Why the engine did not send a packet (listed roughly in the order checked).
enum class TxRefusal : std::uint8_t {
  kNone,                     // not refused
  kMalformed,                // empty packet, headers that do not parse (truncated, bad IHL, ...),
                             // an IP length field beyond the packet, an outer fragment
  kNotEncapsulated,          // offload requested without IsEncapsulatedPacket (plain packets are
                             // not this engine's job)
  kLsoV1Encapsulated,        // LSOv1 request on an encapsulated packet (spec §4: only LSOv2)
  kConflictingRequests,      // LSOv2 and USO together; TcpChecksum and UdpChecksum together
  kEncapsulatedOffloadOff,   // NVGRE task offload not active (TxOffloadConfig)
  kNotNvgre,                 // not IP/GRE at all, or GRE that is not NVGRE: key absent, protocol
                             // not 0x6558, version, R/reserved bits, inner 802.1Q (RFC 7637 §3.2)
  kGreChecksumOrSequence,    // GRE with C or S set (NVGRE: C = S = 0, RFC 7637 §3.2)
  kInnerNotIp,               // the inner frame carries no IPv4/IPv6 header (§2.1 IsEncapsulated)
  kInnerFragment,            // inner IPv4 MF / fragment offset, or an inner IPv6 fragment
  kVersionMismatch,          // IsIPv4/IsIPv6, LSOv2 or USO IPVersion disagree with the outer
                             // header, or IsInnerIPv6 with the inner one
  kOffsetsMismatch,          // valid supplemental offsets or TcpOptionsPresent disagree with
                             // the packet (§2.1 sanity check)
  kProtocolMismatch,         // LSOv2 without inner TCP, USO without inner UDP, TcpChecksum on
                             // a non-TCP or UdpChecksum on a non-UDP inner packet
  kNotAdvertised,            // the INNER/OUTER mask of this offload lacks this combination (§7.2)
  kHeadersTooLong,           // headers beyond MaxHeaderSizeSupported (§7.2) or kTxParseWindow
  kBaseOffloadDisabled,      // the base capability (checksum kind, LSOv2, USO) is off for the
                             // version (§2.1: base capabilities still apply)
  kOptionsNotSupported,      // IP options / IPv6 extension headers / TCP options present but
                             // not advertised (§7.2 "Options")
  kBadLsoTemplate,           // LSOv2 template with SYN, RST or URG set, or urgent pointer != 0
  kMssZero,                  // LSOv2 / USO MSS of 0
  kMssTooSmall,              // MSS below TxOffloadConfig::min_mss
  kMssTooLarge,              // one full-MSS segment would not fit a 16-bit IP length field
  kPayloadTooLarge,          // payload over MaxOffLoadSize
  kTooFewSegments,           // fewer segments than MinSegmentCount
  kSubMssFinalSegment,       // USO payload not a multiple of MSS without
                             // SubMssFinalSegmentSupported
  kOutputTooSmall,           // the caller's segment array or header arena is too small
  kPayloadTooFragmented,     // a segment would reference more than kTxMaxPayloadPieces buffers
  kCount,
};
inline constexpr std::size_t kTxRefusalCount = static_cast<std::size_t>(TxRefusal::kCount);

// Short kebab-case name ("gre-checksum-or-sequence"), for counters and tool output.
constexpr std::string_view ToString(TxRefusal r) {
  switch (r) {
    case TxRefusal::kNone: return "none";
    case TxRefusal::kMalformed: return "malformed";
    case TxRefusal::kNotEncapsulated: return "not-encapsulated";
    case TxRefusal::kLsoV1Encapsulated: return "lsov1-encapsulated";
    case TxRefusal::kConflictingRequests: return "conflicting-requests";
    case TxRefusal::kEncapsulatedOffloadOff: return "encapsulated-offload-off";
    case TxRefusal::kHeadersTooLong: return "headers-too-long";
    case TxRefusal::kNotNvgre: return "not-nvgre";
    case TxRefusal::kGreChecksumOrSequence: return "gre-checksum-or-sequence";
    case TxRefusal::kInnerNotIp: return "inner-not-ip";
    case TxRefusal::kInnerFragment: return "inner-fragment";
    case TxRefusal::kVersionMismatch: return "version-mismatch";
    case TxRefusal::kOffsetsMismatch: return "offsets-mismatch";
    case TxRefusal::kProtocolMismatch: return "protocol-mismatch";
    case TxRefusal::kNotAdvertised: return "not-advertised";
    case TxRefusal::kBaseOffloadDisabled: return "base-offload-disabled";
    case TxRefusal::kOptionsNotSupported: return "options-not-supported";
    case TxRefusal::kBadLsoTemplate: return "bad-lso-template";
    case TxRefusal::kMssZero: return "mss-zero";
    case TxRefusal::kMssTooSmall: return "mss-too-small";
    case TxRefusal::kMssTooLarge: return "mss-too-large";
    case TxRefusal::kPayloadTooLarge: return "payload-too-large";
    case TxRefusal::kTooFewSegments: return "too-few-segments";
    case TxRefusal::kSubMssFinalSegment: return "sub-mss-final-segment";
    case TxRefusal::kOutputTooSmall: return "output-too-small";
    case TxRefusal::kPayloadTooFragmented: return "payload-too-fragmented";
    case TxRefusal::kCount: break;
  }
  return "?";
}

// What the engine did with a packet it sent.
enum class TxAction : std::uint8_t {
  kNone,       // refused
  kUnchanged,  // no offload requested: sent as it is
  kChecksum,   // checksum offload: one segment with checksums filled
  kLsoV2,      // TCP segmentation
  kUso,        // UDP segmentation
};
constexpr std::string_view ToString(TxAction a) {
  switch (a) {
    case TxAction::kNone: return "none";
    case TxAction::kUnchanged: return "unchanged";
    case TxAction::kChecksum: return "checksum";
    case TxAction::kLsoV2: return "lsov2";
    case TxAction::kUso: return "uso";
  }
  return "?";
}

// ---- Output -------------------------------------------------------------------------------
// One frame for the wire: `headers` then `payload[0 .. payload_pieces)`.
struct TxSegment {
  std::span<const std::uint8_t> headers;  // edited copy, in the caller's header arena
  std::array<std::span<const std::uint8_t>, kTxMaxPayloadPieces> payload{};  // into the input
  std::uint8_t payload_pieces = 0;

  std::size_t payload_size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < payload_pieces; ++i) n += payload[i].size();
    return n;
  }
  std::size_t size() const { return headers.size() + payload_size(); }
};

// Caller-provided storage: a segment array and a header arena (bytes for the header copies).
struct TxOutput {
  std::span<TxSegment> segments;
  std::span<std::uint8_t> header_arena;
};

// Convenience storage with room for kSegments segments of up to kHeaderBlock header bytes.
// (kSegments * (sizeof(TxSegment) + kHeaderBlock) bytes: mind the stack.)
template <std::size_t kSegments, std::size_t kHeaderBlock = 256>
struct TxSegmentArray {
  std::array<TxSegment, kSegments> segments{};
  std::array<std::uint8_t, kSegments * kHeaderBlock> header_arena{};
  TxOutput output() { return {segments, header_arena}; }
};

struct TxResult {
  TxRefusal refusal = TxRefusal::kNone;
  TxAction action = TxAction::kNone;
  std::size_t segment_count = 0;   // segments written to the output (0 when refused)
  std::size_t header_length = 0;   // bytes of each segment's header block
  std::uint32_t mss = 0;           // LSOv2 / USO MSS used
  std::size_t payload_bytes = 0;   // L4 payload bytes sent, all segments (LSOv2/USO), or the
                                   // bytes after the header block (checksum / unchanged)
  // With kOutputTooSmall: what the storage must hold for this packet.
  std::size_t segments_needed = 0;
  std::size_t header_bytes_needed = 0;

  bool ok() const { return refusal == TxRefusal::kNone; }
  // The segments written, as a view of `out.segments`.
  std::span<const TxSegment> segments(const TxOutput& out) const {
    return std::span<const TxSegment>(out.segments.data(), segment_count);
  }
};

// Counters the caller owns (one per queue, say); ProcessTxPacket only increments them.
struct TxStats {
  std::array<std::uint64_t, kTxRefusalCount> refused{};  // by TxRefusal; [kNone] stays 0
  std::uint64_t packets = 0;        // ProcessTxPacket calls
  std::uint64_t unchanged = 0;      // sent without offload
  std::uint64_t checksum = 0;       // sent with checksum offload only
  std::uint64_t lso_v2 = 0;         // LSOv2 sends
  std::uint64_t uso = 0;            // USO sends
  std::uint64_t segments = 0;       // frames put on the wire
  std::uint64_t payload_bytes = 0;  // TxResult::payload_bytes summed

  std::uint64_t refused_total() const {
    std::uint64_t n = 0;
    for (std::uint64_t v : refused) n += v;
    return n;
  }
};

// ---- The engine ---------------------------------------------------------------------------
// Runs the transmit offloads for one packet. See the CONTRACT at the top of this file.
// `buffers` is the packet's scatter-gather list; `oob` its OOB slots (the LSO slot receives the
// completion value on an LSOv2 success); `out` the caller's storage; `stats` is incremented.
// Checks, in this order (the first that fails is the refusal):
//   1. no bytes: kMalformed. Nothing requested: sent unchanged (kOutputTooSmall with no segment
//      slot, kPayloadTooFragmented with more than kTxMaxPayloadPieces non-empty buffers).
//   2. the request alone: kNotEncapsulated, kLsoV1Encapsulated, kConflictingRequests;
//      then kEncapsulatedOffloadOff.
//   3. the headers, in wire order: kMalformed / kNotNvgre / kHeadersTooLong (parse window) /
//      kGreChecksumOrSequence / kInnerNotIp / kInnerFragment.
//   4. the OOB against the packet: kVersionMismatch, then kOffsetsMismatch.
//   5. the adapter: kProtocolMismatch, kNotAdvertised, kHeadersTooLong (MaxHeaderSizeSupported),
//      kBaseOffloadDisabled, kOptionsNotSupported.
//   6. checksum offload: kMalformed (inner IP / UDP length beyond the packet), kOutputTooSmall,
//      kPayloadTooFragmented. LSOv2 / USO: kBadLsoTemplate (LSOv2), kMssZero, kMssTooSmall,
//      kMssTooLarge, kPayloadTooLarge, kTooFewSegments, kSubMssFinalSegment (USO),
//      kOutputTooSmall, kPayloadTooFragmented.
TxResult ProcessTxPacket(const TxOffloadConfig& config,
                         std::span<const std::span<const std::uint8_t>> buffers, TxOob& oob,
                         TxOutput out, TxStats& stats);
// Single-buffer convenience.
TxResult ProcessTxPacket(const TxOffloadConfig& config, std::span<const std::uint8_t> packet,
                         TxOob& oob, TxOutput out, TxStats& stats);

// Copies a segment into `frame` as one contiguous frame. Returns its size, or 0 (and writes
// nothing) when `frame` is smaller than segment.size().
std::size_t LinearizeSegment(const TxSegment& segment, std::span<std::uint8_t> frame);

// IPv4 Identification of segment k of an LSOv2/USO send whose template carries `template_id`.
// Spec §4 items 4-5: "increment per segment; segment 0 uses the ID already in the template";
// base LSOv2 rule: "IPv4 IDs for LSOv2 must stay within 0x0000-0x7FFF and wrap 0x7FFF ->
// 0x0000 (0x8000-0xFFFF was reserved for TCP chimney)". Our reading [INFER], docs/conformance.md
// §4: a template ID in 0x0000-0x7FFF counts within that range (15-bit wrap), outer and inner
// alike; a template ID of 0x8000 or above is outside the range that rule speaks of (a conforming
// stack never writes one; an outer ID chosen by whoever encapsulated may be anything), so it is
// incremented as the 16-bit field it is: 0xFFFF -> 0x0000.
constexpr std::uint16_t LsoIpv4Id(std::uint16_t template_id, std::uint32_t k) {
  if (template_id < 0x8000u) return static_cast<std::uint16_t>((template_id + k) & 0x7FFFu);
  return static_cast<std::uint16_t>((template_id + k) & 0xFFFFu);
}

static_assert(std::is_trivially_copyable_v<TxOob> && sizeof(TxOob) == 16);
static_assert(std::is_aggregate_v<TxOffloadConfig>);

}  // namespace nvgre::offload
