// Test helpers for the receive side: frames built with the wire Repr types (every checksum
// correct unless a test breaks one), a plain bit-by-bit Toeplitz reference, and an adapter set
// up the way the Windows stack would leave it.
//
//   InnerSpec in;                      // TCP/IPv4 10.0.0.1:1001 -> 10.0.0.2:1002, 10 bytes
//   OuterSpec out;                     // IPv4 100.0.17.1 -> 100.0.17.2, NVGRE key 0x12345602
//   Bytes f = BuildNvgreFrame(out, in);
//   Bytes p = BuildFrame(in);          // the inner frame alone: a plain packet
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "nvgre/offload/adapter.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::testing {

using Bytes = std::vector<std::uint8_t>;

// One IP packet in an Ethernet frame.
struct InnerSpec {
  int ip_version = 4;                            // 4, 6, or 0 for an ARP frame (no IP)
  std::uint8_t protocol = wire::kIpProtoTcp;     // TCP, UDP, ICMP/ICMPv6 or anything else
  std::array<std::uint8_t, 16> src{10, 0, 0, 1}; // first 4 bytes for IPv4
  std::array<std::uint8_t, 16> dst{10, 0, 0, 2};
  std::uint16_t sport = 1001, dport = 1002;
  std::size_t payload = 10;                      // bytes after the transport header
  std::uint8_t payload_seed = 0x40;              // payload[i] = seed + i
  bool fragment = false;                         // IPv4 MF=1 / IPv6 Fragment header with M=1
  std::uint8_t ipv4_options = 0;                 // bytes of IPv4 options (NOPs), multiple of 4
  bool ipv6_hop_by_hop = false;                  // an 8-byte hop-by-hop header before L4
  // A Routing header in transit (type 0, Segments Left 1, Address[1] = dst, RFC 5095 layout):
  // the Destination Address field holds this next hop, the pseudo-header the final `dst`.
  std::optional<std::array<std::uint8_t, 16>> ipv6_route_via;
  std::uint8_t tcp_options = 0;                  // bytes of TCP options (NOPs), multiple of 4
  std::uint8_t tcp_flags = 0x18;                 // PSH|ACK
  std::uint32_t tcp_seq = 1000, tcp_ack = 1;
  std::uint16_t udp_checksum_override = 0xFFFF;  // != 0xFFFF: written as given (e.g. 0)
  wire::MacAddress dst_mac{0xaa, 0xbb, 0, 0, 0x10, 0x02};
  wire::MacAddress src_mac{0xaa, 0xbb, 0, 0, 0x10, 0x01};
  std::optional<std::uint16_t> vlan;             // one 802.1Q tag with this VID
  std::uint16_t ipv4_id = 7;
};

// The tunnel around it.
struct OuterSpec {
  int ip_version = 4;
  std::array<std::uint8_t, 16> src{100, 0, 17, 1};
  std::array<std::uint8_t, 16> dst{100, 0, 17, 2};
  wire::MacAddress dst_mac{0xaa, 0xbb, 0, 0, 0x20, 0x02};
  wire::MacAddress src_mac{0xaa, 0xbb, 0, 0, 0x20, 0x01};
  std::optional<std::uint16_t> vlan;
  std::uint32_t vsid = 0x123456;
  std::uint8_t flow_id = 2;
  bool key_present = true;
  bool gre_checksum = false;                     // C bit (checksum computed)
  bool gre_sequence = false;                     // S bit
  std::uint8_t gre_version = 0;
  std::optional<std::uint16_t> gre_protocol;     // default 0x6558; 0x0800/0x86DD: GRE-IP
  bool fragment = false;                         // outer IPv4 MF=1
  std::uint8_t ipv4_options = 0;
};

// Ethernet + IP + transport + payload with correct checksums.
Bytes BuildFrame(const InnerSpec& in);
// NVGRE: outer Ethernet + outer IP + GRE + `in` (for GRE-IP, `in` without its Ethernet header).
Bytes BuildNvgreFrame(const OuterSpec& out, const InnerSpec& in);

// Offsets of a built frame's headers (for corrupting them in tests).
std::size_t OuterIpOffset(const OuterSpec& out);
std::size_t InnerIpOffset(const OuterSpec& out, const InnerSpec& in);
std::size_t InnerL4Offset(const OuterSpec& out, const InnerSpec& in);

// Spec §10.2, bit by bit: for each set input bit (MSB first), XOR the 32 key bits starting there.
std::uint32_t ToeplitzPlain(std::span<const std::uint8_t> key, std::span<const std::uint8_t> input);

// An adapter as the Windows stack leaves it: OID_OFFLOAD_ENCAPSULATION on for both versions,
// NVGRE task offload ON (unless `encap_on` is false), RSS with the verification key, every
// implemented hash type and `indirection` entries, VMQ enabled with no filters.
std::unique_ptr<offload::Adapter> ReadyAdapter(bool encap_on = true, std::uint16_t indirection = 8,
                                               offload::AdapterCapabilities caps =
                                                   offload::AdapterCapabilities::Default());

}  // namespace nvgre::testing
