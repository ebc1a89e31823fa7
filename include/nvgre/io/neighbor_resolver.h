// The next hop's MAC address for a provider address, when nvgred sends through AF_PACKET and so
// builds the outer Ethernet header itself: the kernel routes (RTM_GETROUTE: output interface and
// gateway) and resolves (its neighbour table, RTM_GETNEIGH: ARP, RFC 826; IPv6 Neighbor
// Discovery, RFC 4861), nvgred asks it.
//
//   NextHop h = ResolveNextHop(provider, underlay_ifindex);
//   switch (h.state) {
//     case NextHopState::kResolved: Publish(provider, h.mac); break;   // outer destination MAC
//     case NextHopState::kPending: RetryLater(provider); break;        // resolution under way
//     default: Log(ToString(h.state), h.reason); break;                // no usable path
//   }
//
// When the neighbour entry is missing, INCOMPLETE or FAILED, ResolveNextHop asks the kernel to
// resolve it (RequestNeighborResolution, netlink.h: an ARP request / Neighbor Solicitation, and
// nothing sent to the provider) and answers kPending; with options.wait it then polls the entry
// for that long. A STALE entry is still used (kResolved), and by default also sent to be
// re-confirmed: the kernel only re-probes neighbours it sends to itself, and frames sent through
// AF_PACKET do not count, so a MAC that changed would otherwise stay stale for as long as the
// entry lives. Multicast (RFC 1112 §6.4, RFC 2464 §7) and broadcast destinations need no
// neighbour.
//
// Control-plane only: allocates, blocks (a few netlink round trips, plus options.wait). The
// daemon calls it from its control thread, at start and again while any result is pending or
// stale, and publishes the MACs to the workers in its state snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "nvgre/io/netlink.h"  // IpAddress
#include "nvgre/wire/ethernet.h"

namespace nvgre::io {

// X(enumerator, name, help)
#define NVGRE_NEXT_HOP_STATES(X)                                                                 \
  X(kResolved, "resolved", "the next hop's MAC is known (a valid neighbour entry, or a multicast " \
                           "or broadcast destination)")                                            \
  X(kPending, "pending", "resolution asked of the kernel and not finished: ask again later")      \
  X(kUnreachable, "unreachable", "no route, a route that does not forward (unreachable, "         \
                                 "blackhole, prohibit, local), or no link-layer addresses")       \
  X(kWrongInterface, "wrong-interface", "the route leaves through another interface than the "   \
                                        "underlay's")

enum class NextHopState : std::uint8_t {
#define NVGRE_X(e, name, help) e,
  NVGRE_NEXT_HOP_STATES(NVGRE_X)
#undef NVGRE_X
};
std::string_view ToString(NextHopState state);
std::string_view Help(NextHopState state);

struct NextHop {
  NextHopState state = NextHopState::kUnreachable;
  wire::MacAddress mac{};            // when kResolved: the outer Ethernet destination
  int ifindex = 0;                   // the route's output interface (0: no route)
  std::optional<IpAddress> next_hop; // the gateway, or the destination when on-link
  bool via_gateway = false;
  std::uint16_t neighbor_state = 0;  // NUD_* the kernel reported (0: no entry, or not asked)
  bool resolution_requested = false; // this call asked the kernel to (re)resolve
  std::optional<IpAddress> source;   // the route's preferred source address, when it has one
  std::uint32_t route_mtu = 0;       // RTAX_MTU of the route (0: none, the link's MTU applies)
  std::string reason;                // what was found, for logs: "10.0.0.2 on vx0: REACHABLE"
};

struct ResolveOptions {
  // After asking the kernel to resolve, poll the neighbour entry (every 10 ms) for this long.
  std::chrono::milliseconds wait{0};
  // Ask the kernel to re-confirm a STALE entry (the answer is still kResolved).
  bool refresh_stale = true;
};

// `required_ifindex`: the interface the packet socket sends on (0: any, nothing checked).
NextHop ResolveNextHop(const IpAddress& destination, int required_ifindex,
                       const ResolveOptions& options = {});

}  // namespace nvgre::io
