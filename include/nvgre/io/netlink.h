// Minimal rtnetlink (RFC 3549, Linux rtnetlink(7)) operations nvgred needs: for its TAPs, set
// the MAC address, the MTU and the up flag, move a link into another network namespace; for the
// AF_PACKET underlay, the kernel's view of a link (MAC, MTU, flags, addresses), the route the
// kernel would use toward an address and its neighbour entry for the next hop, and a request to
// (re)resolve that neighbour. Each call opens a NETLINK_ROUTE socket in the calling thread's
// network namespace, sends one request and reads the kernel's answer (at most 2 s per read).
// Control-plane only (allocates, blocks).
//
//   if (auto e = SetLinkMtu(if_nametoindex("nvtap1"), 1458)) Log(e->message);
//   if (auto e = MoveLinkToNetns(ifindex, "/run/netns/vm1")) ...;
//   auto link = GetLink(LinkIndex("eth0"));           // LinkInfo or IoError
//   RouteLookup r = LookupRoute(wire::Ipv4Address{192, 0, 2, 7});
//   if (r.error == 0 && r.route.type == RTN_UNICAST) {
//     NeighborLookup n = LookupNeighbor(r.route.gateway.value_or(destination), r.route.oif);
//   }
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"  // IoError
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::io {

// Each returns nullopt on success, else the kernel's error as text ("nvtap1: set mtu 70000:
// Invalid argument").
std::optional<IoError> SetLinkMtu(int ifindex, std::uint32_t mtu);
std::optional<IoError> SetLinkAddress(int ifindex, const wire::MacAddress& mac);
std::optional<IoError> SetLinkUp(int ifindex, bool up);
// Moves the link into the namespace whose file is `netns_path` (e.g. /run/netns/vm1, as `ip
// netns add` creates it). The link goes down in the move (the kernel closes it).
std::optional<IoError> MoveLinkToNetns(int ifindex, const std::string& netns_path);

// The ifindex of `name` in the calling thread's namespace, or 0.
int LinkIndex(const std::string& name);

// An IP address of either family: the same type as virt::IpAddress (io does not include virt).
using IpAddress = std::variant<wire::Ipv4Address, wire::Ipv6Address>;
std::string FormatAddress(const IpAddress& address);  // "192.0.2.1", "2001:db8::1"

// What the kernel says about a link (RTM_GETLINK, then RTM_GETADDR for its addresses).
struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::uint16_t type = 0;            // ARPHRD_*: 1 (ARPHRD_ETHER) for Ethernet, veth, bridges
  bool has_mac = false;              // a 6-byte link-layer address (Ethernet)
  wire::MacAddress mac{};            // IFLA_ADDRESS
  wire::MacAddress broadcast{};      // IFLA_BROADCAST
  std::uint32_t mtu = 0;             // IFLA_MTU, bytes of L3 packet (no Ethernet header)
  std::uint32_t flags = 0;           // IFF_* (ifi_flags)
  std::uint8_t operstate = 0;        // IF_OPER_* (RFC 2863): 6 = up
  std::uint32_t promiscuity = 0;     // how many asked for promiscuous mode
  std::uint32_t tx_queues = 0, rx_queues = 0;
  int master = 0;                    // ifindex of the bridge / bond it is enslaved to, or 0
  std::vector<wire::Ipv4Address> ipv4;  // the addresses configured on it, kernel order
  std::vector<wire::Ipv6Address> ipv6;

  bool up() const;                   // IFF_UP: administratively up
  bool lower_up() const;             // IFF_LOWER_UP: carrier
  bool running() const;              // IFF_RUNNING
};
std::variant<LinkInfo, IoError> GetLink(int ifindex);

// RTM_GETROUTE for one destination: what `ip route get ADDRESS` prints.
struct RouteInfo {
  std::uint8_t type = 0;             // RTN_UNICAST, RTN_LOCAL, RTN_BROADCAST, RTN_MULTICAST, ...
  int oif = 0;                       // RTA_OIF: the output interface
  std::optional<IpAddress> gateway;  // RTA_GATEWAY, or RTA_VIA (IPv4 over an IPv6 next hop,
                                     // RFC 5549); absent: the destination is on-link
  std::optional<IpAddress> preferred_source;  // RTA_PREFSRC
  std::uint32_t table = 0;
  std::uint32_t mtu = 0;             // RTAX_MTU (a PMTU exception or a route mtu), 0 if none
};
struct RouteLookup {
  int error = 0;                     // 0, or the kernel's errno (ENETUNREACH: no route)
  std::string message;               // when error != 0
  RouteInfo route;                   // when error == 0
};
RouteLookup LookupRoute(const IpAddress& destination);

// RTM_GETNEIGH for (address, ifindex): the neighbour table entry, as `ip neigh get` shows it.
struct NeighborLookup {
  int error = 0;                     // 0, ENOENT (no entry), or another errno
  std::string message;
  std::uint16_t state = 0;           // NUD_* (NUD_NONE when there is no entry)
  std::uint8_t flags = 0;            // NTF_*
  bool has_mac = false;              // NDA_LLADDR of 6 bytes
  wire::MacAddress mac{};
};
NeighborLookup LookupNeighbor(const IpAddress& address, int ifindex);

// Asks the kernel to resolve `address` on `ifindex` now, as if it had a packet for it
// (RTM_NEWNEIGH, NLM_F_CREATE, NTF_USE: `ip neigh replace ADDRESS dev DEV use`): a missing or
// failed entry goes INCOMPLETE and an ARP request / Neighbor Solicitation (RFC 826, RFC 4861
// §7.2.2) goes out; a STALE one goes DELAY, then PROBE (a unicast probe). Nothing is sent to
// the address itself. nullopt on success.
std::optional<IoError> RequestNeighborResolution(const IpAddress& address, int ifindex);

}  // namespace nvgre::io
