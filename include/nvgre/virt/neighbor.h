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
                                     // / NS Source Link-Layer Address option when present; when
                                     // they differ the Ethernet source wins: the answer goes back
                                     // to the NIC that sent the query)
  IpAddress requester_ip{};          // ARP sender protocol address / IPv6 source address
  IpAddress target_ip{};             // the address being resolved
};

// Why a frame is not answered. kNotNeighborQuery is not an error: ordinary traffic.
#define NVGRE_NEIGHBOR_IGNORES(X)                                                                \
  X(kNotNeighborQuery, "not-neighbor-query", "neither an ARP request nor a Neighbor Solicitation") \
  X(kArpMalformed, "arp-malformed", "ARP cut short, not Ethernet/IPv4 (htype, ptype, lengths), multicast sender") \
  X(kArpNotRequest, "arp-not-request", "ARP reply or another opcode: nothing to answer")         \
  X(kArpGratuitous, "arp-gratuitous", "sender IP = target IP, or sender IP 0 (probe)")          \
  X(kNdMalformed, "nd-malformed", "NS cut short or fragmented, bad ICMPv6 checksum, hop limit not 255, code not 0, bad option, multicast source") \
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

// `frame`: an Ethernet frame a VM sent (one 802.1Q tag tolerated and skipped; two or more tags,
// or an 802.1ad/0x9100 tag, are kNotNeighborQuery). Checks, in order:
//   ARP (EtherType 0x0806): cut short, not Ethernet/IPv4, Ethernet source multicast (IEEE 802.3
//     §3.2.3), sender IP multicast or 255.255.255.255 -> kArpMalformed; operation not 1
//     (RFC 826) -> kArpNotRequest; sender IP 0.0.0.0 (RFC 5227 §2.1.1 probe) or = target IP
//     (RFC 5227 §3 announcement, gratuitous ARP) -> kArpGratuitous.
//   IPv6: a frame is a Neighbor Solicitation when the first byte of its ICMPv6 message (after
//     any extension headers) is 135; anything else, including an IPv6 header or extension chain
//     too short to show that byte, is kNotNeighborQuery. An NS is then kNdMalformed when
//     (RFC 4861 §7.1.1) the packet is cut short (Payload Length beyond the frame), it has a
//     Fragment header (RFC 6980 §5), the Ethernet source or the IPv6 source is multicast, the hop
//     limit is not 255, the ICMPv6 checksum does not verify over the RFC 8200 §8.1
//     pseudo-header, the code is not 0, the message is shorter than 24 bytes, an option has
//     length 0 or runs past the message, or a Source Link-Layer Address option is not 8 bytes
//     (RFC 4861 §4.6.1 over Ethernet, RFC 2464 §6); kNdTargetMulticast when the target is
//     multicast (checked before the options); with source :: it is kNdMalformed when a Source
//     Link-Layer Address option is present or the destination is not a solicited-node multicast
//     address (ff02::1:ff00:0/104), else kNdDad (we never answer DAD: RFC 4862 §5.4.3 leaves it
//     to the owner of the address).
Expected<NeighborQuery, NeighborIgnore> ParseNeighborQuery(std::span<const std::uint8_t> frame);

// Most bytes BuildNeighborReply writes (NA with the option: 14 + 40 + 24 + 8).
inline constexpr std::size_t kMaxNeighborReply = 86;
// The ARP reply (RFC 826: opcode 2, sender = answer / target IP, target = the requester) or
// the Neighbor Advertisement (RFC 4861 §4.4: from the target address to the requester, hop
// limit 255, flags S and O, Target Link-Layer Address option = answer), in an untagged Ethernet
// frame from `answer` to the requester. Returns its length (42 or 86: the frame is not padded to
// the 60-byte Ethernet minimum; a TAP device or NIC pads), or 0 when `out` is too small or the
// query's addresses are not both of the family its kind needs. The NA's Router flag is 0.
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
//
// The builder only builds: when to send one (the packet does not fit after encapsulation, and
// for IPv4 its DF bit is set; RFC 1191 §4, RFC 7637 §4) is the caller's decision, and so is
// rate limiting (RFC 4443 §2.4 (f)). It also returns 0 (sends nothing) when:
//   - the frame has two or more VLAN tags, or its Ethernet source or destination is multicast
//     or broadcast (RFC 1122 §3.2.2: not for link-layer broadcasts; and the answer needs a
//     unicast MAC to come from);
//   - the IP header is malformed, the IPv4 header checksum does not verify (RFC 1812 §5.2.2:
//     such a datagram is discarded), or Total / Payload Length runs past the frame;
//   - the source does not name a single host or the destination, which becomes the answer's
//     source, is not unicast (RFC 1122 §3.2.2, RFC 4443 §2.4 (e.6)): IPv4 0/8, 127/8, 224/4,
//     240/4 incl. 255.255.255.255; IPv6 ::, ::1, ff00::/8;
//   - IPv4: a non-initial fragment (RFC 1122 §3.2.2); an ICMP error (types 3, 4, 5, 11, 12) or
//     an ICMP message too short to show its type;
//   - IPv6: an extension chain WalkIpv6Extensions refuses; an ICMPv6 error (type < 128) or an
//     ICMPv6 message too short to show its type (unless a non-first fragment, which shows none);
//   - mtu outside the field / protocol range: IPv4 68..65535 (RFC 791 minimum, 16-bit field),
//     IPv6 >= 1280 (RFC 8200 §5 minimum link MTU; RFC 8201 §4: a smaller one is not acted on).
// The answer: untagged Ethernet; IPv4 TOS 0xC0 (precedence 6, RFC 1812 §4.3.2.5), ID 0 with DF
// set (an atomic datagram, RFC 6864 §4), TTL 64; IPv6 traffic class 0, flow label 0, hop limit
// 64; the ICMP "unused" bits zero.
std::size_t BuildPacketTooBig(std::span<const std::uint8_t> frame, std::uint32_t mtu,
                              std::span<std::uint8_t> out);

}  // namespace nvgre::virt
