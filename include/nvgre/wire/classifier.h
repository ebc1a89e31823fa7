// Frame classifier: one pass over an Ethernet frame gives every header offset an NDIS adapter
// needs for encapsulated packets ("Locating the transport header for encapsulated packets in
// the receive path", spec §6).
//
//   FrameLayout l = ClassifyFrame(frame);
//   if (l.is_nvgre()) { use l.inner_l3.offset, l.inner_l4, l.vsid(), ... }
//   if (l.error) { count l.error->error / l.error->layer as the reason the walk stopped }
//
// The walk (spec §6 "Parse recipe"): outer Ethernet (+ 802.1Q/802.1ad tags) -> outer IPv4
// (IHL) or IPv6 (+ extension headers) -> if protocol 47: GRE (C/K/S, RFC 2784/2890) -> for
// protocol 0x6558 (Transparent Ethernet Bridging): inner Ethernet -> inner IPv4/IPv6 -> inner
// TCP/UDP/ICMP; for protocol 0x0800/0x86DD (L3 GRE): inner IPv4/IPv6 directly. Any other GRE
// payload is reported as unsupported and not guessed at. A packet without GRE has its
// transport header recorded in `outer_l4`.
//
// Truncation: a header cut short stops the walk with {kTruncated, that layer, its offset}.
// A length field that claims more bytes than were captured (snap length) does not stop the
// walk; `truncated` is set and checksums over the missing bytes become unverifiable.
//
// No allocation, no exceptions; every offset is from the start of the frame and within it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "nvgre/wire/gre.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

inline constexpr std::uint16_t kNoHeader = 0xFFFF;  // "no such header" offset (OVS convention)

struct L2Layout {
  std::uint16_t offset = kNoHeader;  // start of the Ethernet header
  std::uint16_t length = 0;        // 14 + 4 per VLAN tag
  std::uint8_t vlan_count = 0;
  std::uint16_t ether_type = 0;    // after the tags
  bool present() const { return offset != kNoHeader; }
};

struct L3Layout {
  std::uint16_t offset = kNoHeader;  // start of the IPv4/IPv6 header
  std::uint8_t version = 0;        // 4 or 6; 0 when absent
  std::uint16_t header_length = 0; // IPv4 IHL*4; IPv6 40 + extension headers
  std::uint8_t protocol = 0;       // IPv4 Protocol / IPv6 upper-layer Next Header
  std::uint32_t end = 0;           // frame offset one past the IP packet (per its length field,
                                   // clipped to the captured bytes)
  bool length_zero = false;        // total/payload length field 0 (LSOv2 template, BIG TCP)
  bool is_fragment = false;        // IPv4 MF/offset, or an IPv6 Fragment header with MF/offset
  bool later_fragment = false;     // fragment offset != 0: no transport header in this packet
  // Frame offset of the pseudo-header Destination Address (4 bytes IPv4, 16 bytes IPv6): the
  // header's own destination, or for IPv6 the final destination a Routing header with
  // Segments Left > 0 names (RFC 8200 §8.1, Ipv6Chain::final_destination_offset).
  std::uint32_t pseudo_destination = 0;
  bool present() const { return offset != kNoHeader; }
  std::uint16_t l4_offset() const { return static_cast<std::uint16_t>(offset + header_length); }
};

enum class Encapsulation : std::uint8_t {
  kNone,         // no GRE: a plain packet (or not IP at all)
  kGreEthernet,  // GRE protocol 0x6558 (TEB): inner Ethernet frame. NVGRE when nvgre_violation == kNone
  kGreIp,        // GRE protocol 0x0800 / 0x86DD: inner IP packet, no inner Ethernet
  kGreOther,     // GRE carrying something we do not parse (ERSPAN, PPP, keepalive ...)
};

struct GreLayout {
  std::uint16_t offset = kNoHeader;
  std::uint8_t header_length = 0;
  std::uint16_t flags_version = 0;  // first 16 bits of the GRE header
  std::uint16_t protocol_type = 0;
  std::uint32_t key = 0;            // valid when key_present()
  bool present() const { return offset != kNoHeader; }
  bool checksum_present() const { return flags_version & 0x8000; }
  bool key_present() const { return flags_version & 0x2000; }
  bool sequence_present() const { return flags_version & 0x1000; }
  std::uint8_t version() const { return flags_version & 0x7; }
};

struct FrameLayout {
  L2Layout outer_l2;
  L3Layout outer_l3;
  std::uint16_t outer_l4 = kNoHeader;  // TCP/UDP/ICMP right after the outer IP (kNone only)
  Encapsulation encapsulation = Encapsulation::kNone;
  GreLayout gre;
  NvgreViolation nvgre_violation = NvgreViolation::kNone;  // meaningful when gre.present()
  L2Layout inner_l2;
  L3Layout inner_l3;
  std::uint16_t inner_l4 = kNoHeader;  // inner TCP/UDP/ICMP/ICMPv6 header
  std::uint8_t l4_protocol = 0;      // protocol of the transport header that was located
  std::uint16_t payload = kNoHeader;   // first byte after the transport header located last
  bool truncated = false;            // a length field claims bytes beyond the frame
  std::optional<ParseFailure> error; // where and why the walk stopped early (absolute offset)

  bool encapsulated() const { return encapsulation != Encapsulation::kNone; }
  // Valid NVGRE (RFC 7637): GRE v0, K=1, C=S=0, protocol 0x6558, inner Ethernet without 802.1Q.
  bool is_nvgre() const {
    return encapsulation == Encapsulation::kGreEthernet && nvgre_violation == NvgreViolation::kNone &&
           inner_l2.present();
  }
  std::uint32_t vsid() const { return VsidOfKey(gre.key); }
  std::uint8_t flow_id() const { return FlowIdOfKey(gre.key); }
  // The header the transport offloads act on: inner L3/L4 when encapsulated, else the outer.
  const L3Layout& transport_l3() const { return encapsulated() ? inner_l3 : outer_l3; }
  std::uint16_t transport_l4() const { return encapsulated() ? inner_l4 : outer_l4; }
};

// `wire_length` is the frame's length on the wire when the capture cut it short (pcap
// orig_len > caplen); such a frame is `truncated` even where no length field says so.
FrameLayout ClassifyFrame(std::span<const std::uint8_t> frame, std::size_t wire_length = 0);

// Checksum state of one header as a receiver would judge it (spec §3.2).
enum class CsumState : std::uint8_t {
  kAbsent,      // the layer or its checksum does not exist (IPv6 header, GRE without C, UDP csum 0)
  kGood,
  kBad,
  kUnverified,  // the checksum exists but covers bytes that were not captured
};
std::string_view ToString(CsumState s);

struct ChecksumReport {
  CsumState outer_ip = CsumState::kAbsent;  // outer IPv4 header checksum
  CsumState gre = CsumState::kAbsent;       // GRE checksum when C is set (RFC 2784 §2.5)
  CsumState inner_ip = CsumState::kAbsent;  // inner IPv4 header checksum
  CsumState inner_l4 = CsumState::kAbsent;  // inner TCP/UDP/ICMP/ICMPv6
  CsumState outer_l4 = CsumState::kAbsent;  // TCP/UDP/ICMP of a packet that is not encapsulated
};

// Verifies every checksum the layout located. Reads only within `frame`.
ChecksumReport VerifyChecksums(std::span<const std::uint8_t> frame, const FrameLayout& layout);

}  // namespace nvgre::wire
