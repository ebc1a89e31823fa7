// The inner-flow hash behind the NVGRE FlowID (RFC 7637 §3.2: the FlowID "SHOULD" carry as
// much per-flow entropy as possible, all packets of one flow carry the same FlowID) and the
// outer IPv6 Flow Label (RFC 6438 §3: a tunnel end point sets the outer flow label from a
// hash of the inner flow).
//
//   std::uint32_t h = InnerFlowHash(inner_frame);     // the inner Ethernet frame, tags allowed
//   std::uint8_t flow_id = FlowIdOfHash(h);
//   std::uint32_t label = FlowLabelOfHash(h);         // 1..2^20-1
//
// What is hashed (the "flow key"), in this order:
//   inner IPv4 / IPv6 packet:  IP version (1 byte), protocol (1 byte: IPv4 Protocol, or the
//       upper-layer Next Header after the IPv6 extension headers), then the two endpoints
//       {address, port} in ascending order (address bytes then port, big-endian), the lower
//       endpoint first. Ports are the first four bytes of the transport header for TCP, UDP,
//       UDP-Lite, SCTP and DCCP; they are taken as 0 for other protocols, for every IP fragment
//       (so all fragments of a datagram, the first included, hash alike), and when the
//       transport header is not in the frame.
//   anything else (ARP, LLDP, an IP header that does not parse):  the byte 0, the EtherType
//       after the VLAN tags (2 bytes), then the two MAC addresses in ascending order.
// VLAN tags, TTL, IP identification, TCP flags, payload, and the outer headers never enter the
// key, so every packet of one TCP connection hashes alike. Sorting the endpoints makes the hash
// symmetric (both directions of a connection get the same FlowID), as Linux's flow dissector
// does (flow_hash_consistentify); nothing in RFC 7637 needs that, it only costs no entropy.
//
// The hash is FNV-1a 32-bit (offset basis 2166136261, prime 16777619) over the key bytes,
// finished with MurmurHash3's fmix32 avalanche so that every output bit depends on every key
// bit. FlowID = the low 8 bits; flow label = the top 20 bits (0 is replaced by 1: RFC 6437 §2
// reserves 0 for "no flow label"). It is not Toeplitz and not keyed: it spreads flows over
// FlowIDs, it does not resist an attacker choosing flows.
//
// No allocation, no exceptions; reads only within `inner_frame`.
#pragma once

#include <cstdint>
#include <span>

namespace nvgre::virt {

// A frame shorter than an Ethernet header (14 bytes) has no flow key: its raw bytes are hashed
// (Encapsulate refuses such frames anyway).
std::uint32_t InnerFlowHash(std::span<const std::uint8_t> inner_frame);

constexpr std::uint8_t FlowIdOfHash(std::uint32_t hash) { return static_cast<std::uint8_t>(hash); }
constexpr std::uint32_t FlowLabelOfHash(std::uint32_t hash) {
  const std::uint32_t label = hash >> 12;  // 20 bits
  return label != 0 ? label : 1;
}

// The two primitives, exposed for tests and for callers that build their own keys.
constexpr std::uint32_t kFnv1aBasis = 2166136261u;
constexpr std::uint32_t Fnv1a(std::span<const std::uint8_t> bytes, std::uint32_t h = kFnv1aBasis) {
  for (std::uint8_t b : bytes) h = (h ^ b) * 16777619u;
  return h;
}
constexpr std::uint32_t Fmix32(std::uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

}  // namespace nvgre::virt
