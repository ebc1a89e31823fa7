// ResolveNextHop (neighbor_resolver.h) against the kernel, as root, in two network namespaces
// joined by a veth pair (netns_util.h). Oracles: the MACs the lab gave its interfaces, `ip neigh`
// in the namespace, the routes the test adds, RFC 1112 / RFC 2464 multicast mappings.
#include "nvgre/io/neighbor_resolver.h"

#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "io/netns_util.h"
#include "nvgre/io/netlink.h"
#include "nvgre/io/underlay.h"  // Fd

namespace nvgre::io {
namespace {

using namespace std::chrono_literals;
using testing_util::EnterNetns;
using testing_util::TestDeadline;
using testing_util::VethLab;

constexpr wire::MacAddress kMacB{0x02, 0x00, 0x5e, 0x10, 0x00, 0x0b};
const IpAddress kIpA = wire::Ipv4Address{10, 77, 0, 1};
const IpAddress kIpB = wire::Ipv4Address{10, 77, 0, 2};
const IpAddress kIp6B = wire::Ipv6Address{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

std::string Mac(const wire::MacAddress& m) { return wire::FormatMac(m); }

NextHop ResolveIn(const VethLab& lab, const IpAddress& destination, const ResolveOptions& options = {},
                  const char* required = VethLab::kA) {
  EnterNetns in(lab.a());
  return ResolveNextHop(destination, required != nullptr ? LinkIndex(required) : 0, options);
}

int IndexIn(const VethLab& lab, const char* name) {
  EnterNetns in(lab.a());
  return LinkIndex(name);
}

TEST(NextHopState, Names) {
  EXPECT_EQ(ToString(NextHopState::kResolved), "resolved");
  EXPECT_EQ(ToString(NextHopState::kPending), "pending");
  EXPECT_EQ(ToString(NextHopState::kUnreachable), "unreachable");
  EXPECT_EQ(ToString(NextHopState::kWrongInterface), "wrong-interface");
  EXPECT_FALSE(Help(NextHopState::kPending).empty());
}

// First call: no entry, resolution requested, pending. Then the kernel has the peer's MAC, and
// nothing was sent to the peer itself (only ARP / Neighbor Discovery).
void OnLinkPeer(const IpAddress& peer, const std::string& family_flag) {
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  Fd discard;
  {
    EnterNetns in(lab.b());
    const bool v6 = std::holds_alternative<wire::Ipv6Address>(peer);
    discard = Fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(discard);
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_port = htons(9);
    sockaddr_in any4{};
    any4.sin_family = AF_INET;
    any4.sin_port = htons(9);
    ASSERT_EQ(v6 ? ::bind(discard.get(), reinterpret_cast<const sockaddr*>(&any6), sizeof any6)
                 : ::bind(discard.get(), reinterpret_cast<const sockaddr*>(&any4), sizeof any4),
              0);
  }

  const NextHop first = ResolveIn(lab, peer);
  EXPECT_EQ(first.state, NextHopState::kPending) << first.reason;
  EXPECT_TRUE(first.resolution_requested);
  EXPECT_EQ(first.neighbor_state, NUD_NONE);
  EXPECT_EQ(first.ifindex, IndexIn(lab, VethLab::kA));
  EXPECT_FALSE(first.via_gateway);
  ASSERT_TRUE(first.next_hop.has_value());
  EXPECT_EQ(*first.next_hop, peer);

  NextHop later;
  // At most 3 s: right after link-up the peer may not have joined its solicited-node group yet
  // (IPv6), and only the retransmission 1 s later (RetransTimer, RFC 4861 §10) is answered.
  for (int i = 0; i < 150; ++i) {
    later = ResolveIn(lab, peer);
    if (later.state == NextHopState::kResolved) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(later.state, NextHopState::kResolved) << later.reason;
  EXPECT_EQ(Mac(later.mac), Mac(kMacB));
  EXPECT_EQ(later.neighbor_state, NUD_REACHABLE);
  EXPECT_FALSE(later.resolution_requested);
  // `ip neigh` agrees.
  const auto shown = lab.a().Run("ip " + family_flag + " neigh show " + FormatAddress(peer) + " dev nva0");
  EXPECT_NE(shown.output.find(std::string("lladdr ") + VethLab::kMacB), std::string::npos) << shown.output;
  // No datagram reached the peer's discard port.
  char buf[16];
  EXPECT_LT(::recv(discard.get(), buf, sizeof buf, MSG_DONTWAIT), 0);
}

TEST(NeighborResolverNetns, OnLinkPeerIpv4) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  OnLinkPeer(kIpB, "-4");
}

TEST(NeighborResolverNetns, OnLinkPeerIpv6) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  OnLinkPeer(kIp6B, "-6");
}

TEST(NeighborResolverNetns, WaitingReturnsTheAnswer) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  const NextHop h = ResolveIn(lab, kIpB, {.wait = 3000ms});
  ASSERT_EQ(h.state, NextHopState::kResolved) << h.reason;
  EXPECT_TRUE(h.resolution_requested);
  EXPECT_EQ(Mac(h.mac), Mac(kMacB));
}

TEST(NeighborResolverNetns, OffLinkDestinationResolvesTheGateway) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  ASSERT_EQ(lab.a().Run("ip route add 198.51.100.0/24 via 10.77.0.2 mtu 1400 && "
                        "ip -6 route add 2001:db8:77::/64 via fd77::2").status, 0);

  const NextHop v4 = ResolveIn(lab, wire::Ipv4Address{198, 51, 100, 7}, {.wait = 3000ms});
  ASSERT_EQ(v4.state, NextHopState::kResolved) << v4.reason;
  EXPECT_TRUE(v4.via_gateway);
  ASSERT_TRUE(v4.next_hop.has_value());
  EXPECT_EQ(*v4.next_hop, kIpB);
  EXPECT_EQ(Mac(v4.mac), Mac(kMacB));
  EXPECT_EQ(v4.ifindex, IndexIn(lab, VethLab::kA));
  EXPECT_EQ(v4.route_mtu, 1400u);
  ASSERT_TRUE(v4.source.has_value());
  EXPECT_EQ(*v4.source, kIpA);

  const wire::Ipv6Address far6{0x20, 0x01, 0x0d, 0xb8, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42};
  const NextHop v6 = ResolveIn(lab, far6, {.wait = 3000ms});
  ASSERT_EQ(v6.state, NextHopState::kResolved) << v6.reason;
  EXPECT_TRUE(v6.via_gateway);
  ASSERT_TRUE(v6.next_hop.has_value());
  EXPECT_EQ(*v6.next_hop, kIp6B);
  EXPECT_EQ(Mac(v6.mac), Mac(kMacB));
}

TEST(NeighborResolverNetns, NoRouteIsUnreachable) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  ASSERT_EQ(lab.a().Run("ip route add blackhole 192.0.2.0/25 && ip route add unreachable 192.0.2.128/25 && "
                        "ip route add prohibit 198.18.0.0/15").status, 0);
  for (const IpAddress& a : {IpAddress{wire::Ipv4Address{203, 0, 113, 9}},
                             IpAddress{wire::Ipv6Address{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
                             IpAddress{wire::Ipv4Address{192, 0, 2, 1}},      // blackhole
                             IpAddress{wire::Ipv4Address{192, 0, 2, 200}},    // unreachable
                             IpAddress{wire::Ipv4Address{198, 18, 0, 1}},     // prohibit
                             kIpA}) {                                         // our own
    const NextHop h = ResolveIn(lab, a);
    EXPECT_EQ(h.state, NextHopState::kUnreachable) << FormatAddress(a) << ": " << h.reason;
    EXPECT_FALSE(h.resolution_requested) << FormatAddress(a);
    EXPECT_FALSE(h.reason.empty());
  }
}

TEST(NeighborResolverNetns, RouteThroughAnotherInterfaceIsWrongInterface) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  // A second link in a (a veth pair: this kernel has no dummy module).
  ASSERT_EQ(lab.a().Run("ip link add nvd0 type veth peer name nvd1 && ip addr add 10.88.0.1/24 dev nvd0 && "
                        "ip link set nvd1 up && ip link set nvd0 up").status, 0);
  const NextHop h = ResolveIn(lab, wire::Ipv4Address{10, 88, 0, 5});
  EXPECT_EQ(h.state, NextHopState::kWrongInterface) << h.reason;
  EXPECT_EQ(h.ifindex, IndexIn(lab, "nvd0"));
  EXPECT_FALSE(h.resolution_requested);
  // Without a required interface the same route is fine (nobody answers there: pending).
  const NextHop any = ResolveIn(lab, wire::Ipv4Address{10, 88, 0, 5}, {}, nullptr);
  EXPECT_EQ(any.state, NextHopState::kPending) << any.reason;
  EXPECT_EQ(any.ifindex, IndexIn(lab, "nvd0"));
}

TEST(NeighborResolverNetns, MulticastGroupsMapWithoutNeighbours) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  ASSERT_EQ(lab.a().Run("ip route add 224.0.0.0/4 dev nva0").status, 0);
  const NextHop v4 = ResolveIn(lab, wire::Ipv4Address{239, 129, 2, 3});
  ASSERT_EQ(v4.state, NextHopState::kResolved) << v4.reason;
  EXPECT_EQ(Mac(v4.mac), "01:00:5e:01:02:03");  // RFC 1112 §6.4: the high bit of 129 is dropped
  EXPECT_EQ(v4.ifindex, IndexIn(lab, VethLab::kA));
  const NextHop v6 = ResolveIn(lab, wire::Ipv6Address{0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23});
  ASSERT_EQ(v6.state, NextHopState::kResolved) << v6.reason;
  EXPECT_EQ(Mac(v6.mac), "33:33:00:00:01:23");  // RFC 2464 §7
}

TEST(NeighborResolverNetns, SilentAddressStaysPending) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  for (const IpAddress& a : {IpAddress{wire::Ipv4Address{10, 77, 0, 99}},
                             IpAddress{wire::Ipv6Address{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99}}}) {
    const NextHop h = ResolveIn(lab, a, {.wait = 300ms});
    EXPECT_EQ(h.state, NextHopState::kPending) << h.reason;
    EXPECT_TRUE(h.resolution_requested);
    EXPECT_EQ(h.neighbor_state, NUD_INCOMPLETE) << h.reason;
  }
}

// A STALE entry is used, and sent to be re-confirmed: when its MAC is wrong the kernel's probe
// fails, and the next calls find the right one. Without the refresh nothing would happen: frames
// sent through AF_PACKET never make the kernel look at the entry.
TEST(NeighborResolverNetns, StaleEntryIsReconfirmed) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  ASSERT_EQ(lab.a().Run("sysctl -qw net.ipv4.neigh.nva0.delay_first_probe_time=1 "
                        "net.ipv4.neigh.nva0.retrans_time_ms=100 && "
                        "ip neigh replace 10.77.0.2 dev nva0 lladdr 02:00:00:00:99:99 nud stale").status, 0);
  const NextHop first = ResolveIn(lab, kIpB);
  ASSERT_EQ(first.state, NextHopState::kResolved) << first.reason;
  EXPECT_EQ(Mac(first.mac), "02:00:00:00:99:99");  // the kernel's (stale) view
  EXPECT_EQ(first.neighbor_state, NUD_STALE);
  EXPECT_TRUE(first.resolution_requested);

  NextHop h;
  bool corrected = false;
  for (int i = 0; i < 80 && !corrected; ++i) {  // at most 8 s
    std::this_thread::sleep_for(100ms);
    h = ResolveIn(lab, kIpB);
    corrected = h.state == NextHopState::kResolved && h.mac == kMacB;
  }
  EXPECT_TRUE(corrected) << h.reason;
}

}  // namespace
}  // namespace nvgre::io
