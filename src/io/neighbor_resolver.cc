#include "nvgre/io/neighbor_resolver.h"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

#include "nvgre/io/packet_socket.h"  // MulticastMac

namespace nvgre::io {
namespace {

constexpr std::array<std::string_view, 4> kStateNames = {
#define NVGRE_X(e, name, help) name,
    NVGRE_NEXT_HOP_STATES(NVGRE_X)
#undef NVGRE_X
};
constexpr std::array<std::string_view, 4> kStateHelp = {
#define NVGRE_X(e, name, help) help,
    NVGRE_NEXT_HOP_STATES(NVGRE_X)
#undef NVGRE_X
};

constexpr std::uint16_t kNudValid =
    NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;

std::string NudName(std::uint16_t state) {
  switch (state) {
    case NUD_NONE: return "NONE";
    case NUD_INCOMPLETE: return "INCOMPLETE";
    case NUD_REACHABLE: return "REACHABLE";
    case NUD_STALE: return "STALE";
    case NUD_DELAY: return "DELAY";
    case NUD_PROBE: return "PROBE";
    case NUD_FAILED: return "FAILED";
    case NUD_NOARP: return "NOARP";
    case NUD_PERMANENT: return "PERMANENT";
    default: return "state 0x" + std::to_string(state);
  }
}

std::string LinkName(int ifindex) {
  std::array<char, IF_NAMESIZE> name{};
  if (ifindex > 0 && ::if_indextoname(static_cast<unsigned>(ifindex), name.data()) != nullptr) {
    return name.data();
  }
  return "ifindex " + std::to_string(ifindex);
}

bool IsMulticast(const IpAddress& a) {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a)) return ((*v4)[0] & 0xF0) == 0xE0;  // 224/4
  return std::get<wire::Ipv6Address>(a)[0] == 0xFF;                                           // ff00::/8
}

// The fallback trigger when RTM_NEWNEIGH + NTF_USE is refused (kernels before neigh_event_send
// was reachable from netlink): an empty UDP datagram to the discard port (RFC 863) makes the
// kernel resolve the route's next hop, and is delivered once it has.
bool TriggerByDatagram(const IpAddress& destination) {
  sockaddr_storage to{};
  socklen_t length = 0;
  int family = AF_INET;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&destination)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(9);
    std::memcpy(&a.sin_addr, v4->data(), 4);
    std::memcpy(&to, &a, sizeof a);
    length = sizeof a;
  } else {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(9);
    std::memcpy(&a.sin6_addr, std::get<wire::Ipv6Address>(destination).data(), 16);
    std::memcpy(&to, &a, sizeof a);
    length = sizeof a;
    family = AF_INET6;
  }
  const int fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  const bool ok = ::sendto(fd, nullptr, 0, 0, reinterpret_cast<const sockaddr*>(&to), length) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string_view ToString(NextHopState state) { return kStateNames[static_cast<std::size_t>(state)]; }
std::string_view Help(NextHopState state) { return kStateHelp[static_cast<std::size_t>(state)]; }

NextHop ResolveNextHop(const IpAddress& destination, int required_ifindex,
                       const ResolveOptions& options) {
  NextHop out;
  const std::string dst = FormatAddress(destination);
  const RouteLookup route = LookupRoute(destination);
  if (route.error != 0) {
    out.state = NextHopState::kUnreachable;
    out.reason = route.message;
    return out;
  }
  out.ifindex = route.route.oif;
  out.source = route.route.preferred_source;
  out.route_mtu = route.route.mtu;
  // Routes that do not forward come back with some interface (lo for blackhole / prohibit):
  // judge the type first.
  switch (route.route.type) {
    case RTN_UNICAST:
    case RTN_MULTICAST:
    case RTN_BROADCAST:
      break;
    case RTN_LOCAL:
      out.state = NextHopState::kUnreachable;
      out.reason = dst + " is one of our own addresses";
      return out;
    default:
      out.state = NextHopState::kUnreachable;
      out.reason = "route to " + dst + " has type " + std::to_string(route.route.type) +
                   " (unreachable, blackhole, prohibit, ...)";
      return out;
  }
  if (required_ifindex > 0 && out.ifindex != required_ifindex) {
    out.state = NextHopState::kWrongInterface;
    out.reason = "route to " + dst + " leaves through " + LinkName(out.ifindex) + ", not " +
                 LinkName(required_ifindex);
    return out;
  }
  if (IsMulticast(destination)) {
    // RFC 1112 §6.4 / RFC 2464 §7: the group maps onto an Ethernet multicast address.
    out.state = NextHopState::kResolved;
    out.next_hop = destination;
    if (const auto* v4 = std::get_if<wire::Ipv4Address>(&destination)) {
      out.mac = MulticastMac(*v4);
    } else {
      out.mac = MulticastMac(std::get<wire::Ipv6Address>(destination));
    }
    out.reason = dst + " is a multicast group on " + LinkName(out.ifindex);
    return out;
  }
  if (route.route.type == RTN_BROADCAST) {
    out.state = NextHopState::kResolved;
    out.next_hop = destination;
    out.mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    out.reason = dst + " is a broadcast address on " + LinkName(out.ifindex);
    return out;
  }

  out.via_gateway = route.route.gateway.has_value();
  const IpAddress hop = route.route.gateway.value_or(destination);
  out.next_hop = hop;
  const std::string where = FormatAddress(hop) + " on " + LinkName(out.ifindex);

  NeighborLookup n = LookupNeighbor(hop, out.ifindex);
  if (n.error != 0 && n.error != ENOENT) {
    out.state = NextHopState::kUnreachable;
    out.reason = n.message;
    return out;
  }
  out.neighbor_state = n.error == 0 ? n.state : std::uint16_t{NUD_NONE};
  if ((out.neighbor_state & kNudValid) != 0) {
    if (!n.has_mac) {
      out.state = NextHopState::kUnreachable;
      out.reason = where + ": " + NudName(out.neighbor_state) + " without a link-layer address";
      return out;
    }
    out.state = NextHopState::kResolved;
    out.mac = n.mac;
    out.reason = where + ": " + NudName(out.neighbor_state);
    if (out.neighbor_state == NUD_STALE && options.refresh_stale) {
      out.resolution_requested = !RequestNeighborResolution(hop, out.ifindex).has_value();
      if (out.resolution_requested) out.reason += ", re-confirmation requested";
    }
    return out;
  }

  // No entry, INCOMPLETE or FAILED: ask for resolution.
  std::string trigger = "resolution requested";
  if (auto e = RequestNeighborResolution(hop, out.ifindex)) {
    if (TriggerByDatagram(destination)) {
      trigger = "resolution triggered by a datagram to port 9 (" + e->message + ")";
    } else {
      out.state = NextHopState::kPending;
      out.reason = where + ": " + NudName(out.neighbor_state) + ", cannot trigger resolution: " + e->message;
      return out;
    }
  }
  out.resolution_requested = true;
  out.state = NextHopState::kPending;
  out.reason = where + ": " + NudName(out.neighbor_state) + ", " + trigger;

  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    n = LookupNeighbor(hop, out.ifindex);
    if (n.error != 0) continue;
    out.neighbor_state = n.state;
    if ((n.state & kNudValid) != 0 && n.has_mac) {
      out.state = NextHopState::kResolved;
      out.mac = n.mac;
      out.reason = where + ": " + NudName(n.state) + " after " + trigger;
      return out;
    }
    if (n.state == NUD_FAILED) {
      out.reason = where + ": FAILED (no answer) after " + trigger;
      return out;
    }
  }
  if (options.wait.count() > 0) out.reason += ", still " + NudName(out.neighbor_state) + " after the wait";
  return out;
}

}  // namespace nvgre::io
