// The AF_PACKET underlay (Linux packet(7)): whole Ethernet frames in and out of one interface,
// beside the kernel's own IP stack, for when nvgred builds the outer Ethernet header itself.
//
//   receive  OpenPacketReceiver: SOCK_RAW, ETH_P_ALL, bound to one ifindex; a classic BPF filter
//            (SO_ATTACH_FILTER, BuildGreFilter) keeps only IPv4 protocol 47 / IPv6 next header
//            47 datagrams for one of our addresses or multicast groups, with at most one 802.1Q
//            (or 802.1ad) tag; PACKET_IGNORE_OUTGOING (our own sends are not read back);
//            PACKET_AUXDATA (the VLAN tag the kernel strips, checksum status); optionally one
//            member of a PACKET_FANOUT group, so several workers share the interface.
//   send     OpenPacketSender: SOCK_RAW bound to the ifindex with protocol 0 (it receives
//            nothing), PACKET_QDISC_BYPASS: frames go to the driver as given, no qdisc, no
//            fragmentation; one larger than MTU + Ethernet header (+ 4 for a tag) fails
//            EMSGSIZE. Address each frame with PacketDestination(ifindex). Bypassed frames
//            (__dev_direct_xmit) skip the local taps too: tcpdump on this host does not see
//            them (capture on the peer, or open the sender with qdisc_bypass = false).
//   sink     OpenGreSink: the kernel still receives every GRE datagram too and, with no GRE
//            handler (no ip_gre module), answers each with ICMP protocol unreachable (RFC 1122
//            §3.2.2.1) / ICMPv6 parameter problem code 1 (RFC 4443 §3.4) unless a raw socket of
//            that protocol matched it (raw_local_deliver in ip_protocol_deliver_rcu and
//            ip6_protocol_deliver_rcu). The sink is such a raw socket, with a filter that drops
//            everything: keep one per underlay family open for as long as the packet sockets.
//
//   GreFilter f{.local_ipv4 = {{192, 0, 2, 1}}, .groups_ipv4 = {{239, 1, 1, 1}}};
//   PacketReceiverOptions o;
//   o.ifindex = LinkIndex("eth1");
//   o.filter = f;
//   o.receive_buffer = 8 << 20;
//   o.fanout_group = 7;                            // one per worker, same group
//   auto rx = OpenPacketReceiver(o);
//   RecvBatch batch(64, 2048, 64);                 // headroom >= 4: room to put a tag back
//   int n = batch.ReceiveFrames(std::get<Fd>(rx).get());
//   for (int i = 0; i < n; ++i) Use(batch.meta(i), batch.data(i));   // wire bytes, tag and all
//   auto tx = OpenPacketSender(ifindex, 4 << 20);
//   const sockaddr_ll to = PacketDestination(ifindex);
//   send_batch.Add(reinterpret_cast<const sockaddr*>(&to), sizeof to, {frame pieces});
//   auto sink4 = OpenGreSink(AF_INET);
//
// The filter looks at fixed offsets only: the Ethernet type (after one optional in-data tag),
// the IPv4 protocol and destination, the IPv6 next header and destination. It does not follow
// IPv6 extension headers (GRE behind one is dropped) and it keeps IPv4 fragments whose protocol
// is 47 (the datapath drops fragments, RFC 7637 §4). Frames for other hosts (PACKET_OTHERHOST,
// seen in promiscuous mode) are dropped. Everything else is the datapath's to check.
//
// Frame sizes: packet sockets see frames after GRO. This kernel has GRE GRO built in
// (gre_gro_receive) even without a GRE tunnel module, so with GRO on the underlay interface
// (most NICs; veth only when enabled) TCP-in-NVGRE segments of one flow can arrive merged, up to
// 64 KiB, and a RecvBatch of MTU-sized buffers flags them truncated (RxMeta::truncated,
// wire_length). Either size the buffers for 64 KiB or turn GRO off on the underlay
// (`ethtool -K DEV gro off`); PACKET_VNET_HDR (the GSO metadata) is not used here.
//
// I/O only: nothing here looks inside a frame (the kernel runs the filter).
#pragma once

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"  // IoError
#include "nvgre/io/underlay.h"   // Fd, RecvBatch, SendBatch
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::io {

// What the receive filter keeps: GRE for one of these destinations.
struct GreFilter {
  std::vector<wire::Ipv4Address> local_ipv4;   // our provider addresses
  std::vector<wire::Ipv6Address> local_ipv6;
  std::vector<wire::Ipv4Address> groups_ipv4;  // multicast groups we flood through
  std::vector<wire::Ipv6Address> groups_ipv6;
};

// The classic BPF program for `filter` (at most BPF_MAXINSNS = 4096 instructions: about 400
// IPv6 or 2000 IPv4 destinations). Accepted frames are kept whole; an empty filter keeps
// nothing. Exposed for tests and for printing (`tcpdump -d` style).
std::variant<std::vector<sock_filter>, IoError> BuildGreFilter(const GreFilter& filter);

enum class FanoutMode : std::uint8_t {
  kHash = PACKET_FANOUT_HASH,   // the flow hash (skb_get_hash): for GRE the kernel's flow
                                // dissector hashes the inner flow, so one flow, one socket
  kCpu = PACKET_FANOUT_CPU,     // the CPU the frame arrived on
  kLoadBalance = PACKET_FANOUT_LB,
  kQueueMapping = PACKET_FANOUT_QM,  // the NIC's receive queue
};

struct PacketReceiverOptions {
  int ifindex = 0;
  GreFilter filter;
  int receive_buffer = 0;                    // bytes; SO_RCVBUFFORCE as root; 0: the default
  std::optional<std::uint16_t> fanout_group; // join this PACKET_FANOUT group (per namespace)
  FanoutMode fanout_mode = FanoutMode::kHash;
  // Add each group's multicast MAC (RFC 1112 §6.4, RFC 2464 §7) to the interface's filter
  // (PACKET_ADD_MEMBERSHIP / PACKET_MR_MULTICAST) for the socket's lifetime. This sends no
  // IGMP / MLD report: a snooping switch needs the kernel to join (IP_ADD_MEMBERSHIP).
  bool join_groups = true;
};

// A non-blocking receiver. The filter is attached before the socket is bound, so no frame of
// another kind is ever queued on it.
std::variant<Fd, IoError> OpenPacketReceiver(const PacketReceiverOptions& options);

// A non-blocking sender (receives nothing). `send_buffer` bytes (SO_SNDBUFFORCE as root).
std::variant<Fd, IoError> OpenPacketSender(int ifindex, int send_buffer, bool qdisc_bypass = true);

// The address for SendBatch::Add: the interface (the frame carries its own MACs).
sockaddr_ll PacketDestination(int ifindex);

// A raw socket of protocol 47 for `family` (AF_INET or AF_INET6) that keeps nothing (a filter
// returning 0, a receive buffer of the minimum size): its existence stops the kernel's ICMP
// answers to the GRE datagrams the packet sockets take. Non-blocking; nothing to read.
std::variant<Fd, IoError> OpenGreSink(int family);

// PACKET_STATISTICS: frames the socket passed its filter since the last call, and those of them
// dropped for want of buffer space (reading resets both).
struct PacketSocketStats {
  std::uint64_t packets = 0;
  std::uint64_t drops = 0;
};
std::variant<PacketSocketStats, IoError> ReadPacketStats(int fd);

// The Ethernet destination of an IP multicast group: 01:00:5e + the low 23 bits (RFC 1112
// §6.4), 33:33 + the low 32 bits (RFC 2464 §7).
wire::MacAddress MulticastMac(const wire::Ipv4Address& group);
wire::MacAddress MulticastMac(const wire::Ipv6Address& group);

}  // namespace nvgre::io
