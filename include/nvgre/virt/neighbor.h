// Answers on behalf of the virtual network (Hyper-V Network Virtualization answers ARP and
// Neighbor Discovery from its lookup records instead of flooding them), and the ICMP "too big"
// messages an NVGRE endpoint sends back when an inner packet cannot be carried (RFC 7637 §4:
// never fragment after encapsulation).
//
//   auto q = ParseNeighborQuery(frame_from_vm);
//   if (!q && q.error() == NeighborIgnore::kNotNeighborQuery) ... ordinary traffic ...
//   if (q) {
//     if (auto mac = policy.Resolve(vsid, q->target_ip))            // the lookup records
//       Write(tap, frame.first(BuildNeighborReply(*q, *mac, frame_buffer)));
//     else ++misses;                                                // silent, counted
//   }
//   Write(tap, BuildPacketTooBig(frame_from_vm, next_hop_mtu, buffer));
//
// ARP: RFC 826 (Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4). IPv6: RFC 4861
// §4.3 Neighbor Solicitation -> §4.4 Neighbor Advertisement (Solicited, Override, Target
// Link-Layer Address option), with §7.1.1 validity checks. ICMP: RFC 792 / RFC 1191 §4 (type 3
// code 4 with the next-hop MTU) and RFC 4443 §3.2 (Packet Too Big). Every built frame carries
// correct checksums. No allocation, no exceptions, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nvgre/virt/address.h"
#include "nvgre/virt/expected.h"
#include "nvgre/wire/ethernet.h"

namespace nvgre::virt {

enum class NeighborKind : std::uint8_t { kArpRequest, kNeighborSolicitation };

struct NeighborQuery {
  NeighborKind kind = NeighborKind::kArpRequest;
  wire::MacAddress requester_mac{};  // who asked: Ethernet source (= ARP sender hardware address
                                     // / NS Source Link-Layer Address option when present)
  IpAddress requester_ip{};          // ARP sender protocol address / IPv6 source address
  IpAddress target_ip{};             // the address being resolved
};

// Why a frame is not answered. kNotNeighborQuery is not an error: ordinary traffic.
#define NVGRE_NEIGHBOR_IGNORES(X)                                                                \
  X(kNotNeighborQuery, "not-neighbor-query", "neither an ARP request nor a Neighbor Solicitation") \
  X(kArpMalformed, "arp-malformed", "ARP cut short, or not Ethernet/IPv4 (htype, ptype, lengths)") \
  X(kArpNotRequest, "arp-not-request", "ARP reply or another opcode: nothing to answer")         \
  X(kArpGratuitous, "arp-gratuitous", "sender IP = target IP, or sender IP 0 (probe)")          \
  X(kNdMalformed, "nd-malformed", "NS cut short, bad ICMPv6 checksum, hop limit not 255, code not 0, bad option") \
  X(kNdDad, "nd-dad", "Duplicate Address Detection probe (source ::)")                           \
  X(kNdTargetMulticast, "nd-target-multicast", "NS target is a multicast address")

enum class NeighborIgnore : std::uint8_t {
#define NVGRE_X(value, name, help) value,
  NVGRE_NEIGHBOR_IGNORES(NVGRE_X)
#undef NVGRE_X
  kCount,
};
inline constexpr std::size_t kNeighborIgnoreCount = static_cast<std::size_t>(NeighborIgnore::kCount);
std::string_view ToString(NeighborIgnore r);
std::string_view HelpText(NeighborIgnore r);

// `frame`: an Ethernet frame a VM sent (one 802.1Q tag tolerated and skipped).
Expected<NeighborQuery, NeighborIgnore> ParseNeighborQuery(std::span<const std::uint8_t> frame);

// Most bytes BuildNeighborReply writes (NA with the option: 14 + 40 + 24 + 8).
inline constexpr std::size_t kMaxNeighborReply = 86;
// The ARP reply (RFC 826: opcode 2, sender = answer / target IP, target = the requester) or
// the Neighbor Advertisement (RFC 4861 §4.4: from the target address to the requester, hop
// limit 255, flags S and O, Target Link-Layer Address option = answer), in an untagged Ethernet
// frame from `answer` to the requester. Returns its length, or 0 when `out` is too small.
std::size_t BuildNeighborReply(const NeighborQuery& query, const wire::MacAddress& answer,
                               std::span<std::uint8_t> out);

// Most bytes BuildPacketTooBig writes: Ethernet + an IPv6 packet of the IPv6 minimum MTU.
inline constexpr std::size_t kMaxPacketTooBig = 14 + 1280;
// ICMP Fragmentation Needed (IPv4, type 3 code 4, Next-Hop MTU = mtu, RFC 1191 §4) or ICMPv6
// Packet Too Big (type 2, MTU = mtu, RFC 4443 §3.2) answering `frame` (an Ethernet frame with
// an IPv4 or IPv6 packet that a VM sent and that does not fit). Ethernet: from the frame's
// destination MAC to its source; IP: from the offending packet's destination to its source
// (the far end "answers"), TTL/hop limit 64; the quoted packet: as much of the offending one as
// keeps the IPv4 datagram within 576 bytes (RFC 1812 §4.3.2.3) or the IPv6 packet within 1280
// (RFC 4443 §2.4 (c)). Returns the length, or 0 when `frame` carries no IPv4/IPv6 header, is
// itself an ICMP error (RFC 1122 §3.2.2 / RFC 4443 §2.4 (e): never answer an error with an
// error), or `out` is too small.
std::size_t BuildPacketTooBig(std::span<const std::uint8_t> frame, std::uint32_t mtu,
                              std::span<std::uint8_t> out);

}  // namespace nvgre::virt
