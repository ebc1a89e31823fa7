// The AF_PACKET underlay (packet_socket.h) against the kernel, as root, in two network namespaces
// joined by a veth pair (netns_util.h): frames sent on one side arrive on the other with exactly
// the bytes sent; the BPF filter keeps GRE for our addresses and groups (IPv4, IPv6, with and
// without an 802.1Q tag) and nothing else, and never our own outgoing frames; a fanout group
// splits flows between sockets; the GRE sink stops the kernel's ICMP answers (seen on the peer).
// Frames are built byte by byte here; the oracle is those bytes and what the peer's kernel sends.
#include "nvgre/io/packet_socket.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "io/netns_util.h"
#include "nvgre/io/netlink.h"
#include "nvgre/io/underlay.h"

namespace nvgre::io {
namespace {

using namespace std::chrono_literals;
using testing_util::CommandResult;
using testing_util::EnterNetns;
using testing_util::Netns;
using testing_util::TestDeadline;
using testing_util::VethLab;
using Bytes = std::vector<std::uint8_t>;

constexpr wire::MacAddress kMacA{0x02, 0x00, 0x5e, 0x10, 0x00, 0x0a};
constexpr wire::MacAddress kMacB{0x02, 0x00, 0x5e, 0x10, 0x00, 0x0b};
constexpr wire::Ipv4Address kIpA{10, 77, 0, 1};
constexpr wire::Ipv4Address kIpB{10, 77, 0, 2};
constexpr wire::Ipv6Address kIp6A{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr wire::Ipv6Address kIp6B{0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr wire::Ipv4Address kGroup4{239, 1, 2, 3};
constexpr wire::Ipv6Address kGroup6{0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23};

void Put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

// RFC 1071 over the IPv4 header (a plain reference sum).
std::uint16_t HeaderChecksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// An NVGRE body: GRE 0x2000 0x6558, key = VSID << 8 | FlowID (RFC 7637 §3.2), then `inner`
// bytes standing in for the inner frame.
Bytes Nvgre(std::uint32_t vsid, std::uint8_t flow_id, std::size_t inner, std::uint8_t seed) {
  Bytes b{0x20, 0x00, 0x65, 0x58};
  const std::uint32_t key = vsid << 8 | flow_id;
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(key >> s));
  for (std::size_t i = 0; i < inner; ++i) b.push_back(static_cast<std::uint8_t>(seed + 13 * i));
  return b;
}

struct Tag {
  std::uint16_t tpid = 0x8100;
  std::uint16_t tci = 0;
};

struct FrameSpec {
  wire::MacAddress dst_mac = kMacA;
  wire::MacAddress src_mac = kMacB;
  std::vector<Tag> tags;
  bool ipv6 = false;
  wire::Ipv4Address src4 = kIpB, dst4 = kIpA;
  wire::Ipv6Address src6 = kIp6B, dst6 = kIp6A;
  std::uint8_t protocol = 47;
  bool hop_by_hop = false;        // IPv6: a Hop-by-Hop Options header before the payload
  Bytes payload = Nvgre(0x5001, 7, 14, 1);
};

// Ethernet II (+ tags) + IPv4 (RFC 791: 20 bytes, DF, TTL 64) or IPv6 (RFC 8200) + payload.
Bytes Frame(const FrameSpec& f) {
  Bytes b(f.dst_mac.begin(), f.dst_mac.end());
  b.insert(b.end(), f.src_mac.begin(), f.src_mac.end());
  for (const Tag& t : f.tags) {
    Put16(b, t.tpid);
    Put16(b, t.tci);
  }
  if (!f.ipv6) {
    Put16(b, ETH_P_IP);
    const std::size_t ip = b.size();
    b.push_back(0x45);
    b.push_back(0);
    Put16(b, static_cast<std::uint16_t>(20 + f.payload.size()));
    Put16(b, 0x1234);
    Put16(b, 0x4000);
    b.push_back(64);
    b.push_back(f.protocol);
    Put16(b, 0);
    b.insert(b.end(), f.src4.begin(), f.src4.end());
    b.insert(b.end(), f.dst4.begin(), f.dst4.end());
    const std::uint16_t c = HeaderChecksum(b.data() + ip, 20);
    b[ip + 10] = static_cast<std::uint8_t>(c >> 8);
    b[ip + 11] = static_cast<std::uint8_t>(c);
  } else {
    Put16(b, ETH_P_IPV6);
    const std::size_t ext = f.hop_by_hop ? 8 : 0;
    Put16(b, 0x6000);
    Put16(b, 0x0000);
    Put16(b, static_cast<std::uint16_t>(ext + f.payload.size()));
    b.push_back(f.hop_by_hop ? 0 : f.protocol);
    b.push_back(64);
    b.insert(b.end(), f.src6.begin(), f.src6.end());
    b.insert(b.end(), f.dst6.begin(), f.dst6.end());
    if (f.hop_by_hop) {  // next header, length 0 (8 bytes), PadN of 4 bytes
      const Bytes hbh{f.protocol, 0, 1, 4, 0, 0, 0, 0};
      b.insert(b.end(), hbh.begin(), hbh.end());
    }
  }
  b.insert(b.end(), f.payload.begin(), f.payload.end());
  return b;
}

struct Got {
  Bytes bytes;
  RxMeta meta;
};

// Receives from `fd` until done(got) or the timeout.
std::vector<Got> ReceiveUntil(int fd, RecvBatch& batch, const std::function<bool(const std::vector<Got>&)>& done,
                              std::chrono::milliseconds timeout = 3s) {
  std::vector<Got> got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(got)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const int n = batch.ReceiveFrames(fd);
    EXPECT_GE(n, 0) << std::strerror(-n);
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      const auto d = batch.data(k);
      got.push_back({Bytes(d.begin(), d.end()), batch.meta(k)});
    }
  }
  return got;
}

bool Contains(const std::vector<Got>& got, const Bytes& frame) {
  return std::any_of(got.begin(), got.end(), [&](const Got& g) { return g.bytes == frame; });
}

// Sends `frames` with one sendmmsg batch on `fd` (an OpenPacketSender socket).
SendResult SendFrames(int fd, int ifindex, const std::vector<Bytes>& frames) {
  SendBatch tx(frames.size(), frames.size());
  const sockaddr_ll to = PacketDestination(ifindex);
  for (const Bytes& f : frames) {
    const iovec piece{const_cast<std::uint8_t*>(f.data()), f.size()};
    EXPECT_TRUE(tx.Add(reinterpret_cast<const sockaddr*>(&to), sizeof to, {&piece, 1}));
  }
  return tx.Flush(fd, 100);
}

template <class T>
T Take(std::variant<T, IoError>&& v) {
  if (auto* e = std::get_if<IoError>(&v)) {
    ADD_FAILURE() << e->message;
    return T{};
  }
  return std::move(std::get<T>(v));
}

PacketReceiverOptions Receiver(int ifindex, const GreFilter& filter) {
  PacketReceiverOptions o;
  o.ifindex = ifindex;
  o.filter = filter;
  return o;
}

GreFilter OurFilter() {
  GreFilter f;
  f.local_ipv4 = {kIpA};
  f.local_ipv6 = {kIp6A};
  f.groups_ipv4 = {kGroup4};
  f.groups_ipv6 = {kGroup6};
  return f;
}

// The lab plus a receiver on a's veth and a sender on b's.
struct Rig {
  VethLab lab;
  int ifindex_a = 0, ifindex_b = 0;
  Fd rx, tx;

  explicit Rig(const GreFilter& filter = OurFilter()) {
    if (!lab.ok()) return;
    {
      EnterNetns in(lab.a());
      ifindex_a = LinkIndex(VethLab::kA);
      PacketReceiverOptions o = Receiver(ifindex_a, filter);
      o.receive_buffer = 4 << 20;
      rx = Take(OpenPacketReceiver(o));
    }
    EnterNetns in(lab.b());
    ifindex_b = LinkIndex(VethLab::kB);
    tx = Take(OpenPacketSender(ifindex_b, 4 << 20));
  }
  bool ok() const { return lab.ok() && rx && tx; }
};

// ---- without privileges ----------------------------------------------------------------------

TEST(MulticastMac, Rfc1112AndRfc2464Mappings) {
  // RFC 1112 §6.4: 01-00-5E-00-00-00 + the low-order 23 bits of the group.
  EXPECT_EQ(MulticastMac(wire::Ipv4Address{224, 0, 0, 1}), (wire::MacAddress{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}));
  EXPECT_EQ(MulticastMac(wire::Ipv4Address{239, 129, 2, 3}), (wire::MacAddress{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}));
  EXPECT_EQ(MulticastMac(wire::Ipv4Address{224, 0, 0, 251}), (wire::MacAddress{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}));
  // RFC 2464 §7: 33-33 + the last four octets.
  EXPECT_EQ(MulticastMac(wire::Ipv6Address{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
            (wire::MacAddress{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}));
  EXPECT_EQ(MulticastMac(wire::Ipv6Address{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x00, 0x00, 0x02}),
            (wire::MacAddress{0x33, 0x33, 0xff, 0x00, 0x00, 0x02}));
}

TEST(BuildGreFilter, SizeGrowsPerDestinationAndIsBounded) {
  const auto empty = BuildGreFilter({});
  ASSERT_TRUE(std::holds_alternative<std::vector<sock_filter>>(empty));
  const std::size_t base = std::get<std::vector<sock_filter>>(empty).size();
  GreFilter one;
  one.local_ipv4 = {kIpA};
  one.local_ipv6 = {kIp6A};
  const auto p = BuildGreFilter(one);
  ASSERT_TRUE(std::holds_alternative<std::vector<sock_filter>>(p));
  // An IPv4 destination is a compare and a return; an IPv6 one four loads, four compares and a
  // return.
  EXPECT_EQ(std::get<std::vector<sock_filter>>(p).size(), base + 2 + 9);
  // Every program ends in a return, and no jump leaves it.
  const auto& insns = std::get<std::vector<sock_filter>>(p);
  EXPECT_EQ(insns.back().code, BPF_RET | BPF_K);
  for (std::size_t i = 0; i < insns.size(); ++i) {
    if (BPF_CLASS(insns[i].code) != BPF_JMP) continue;
    const std::size_t far = BPF_OP(insns[i].code) == BPF_JA
                                ? i + 1 + insns[i].k
                                : i + 1 + std::max(insns[i].jt, insns[i].jf);
    EXPECT_LT(far, insns.size()) << "instruction " << i;
  }
  GreFilter huge;
  huge.local_ipv6.assign(500, kIp6A);
  const auto refused = BuildGreFilter(huge);
  ASSERT_TRUE(std::holds_alternative<IoError>(refused));
  EXPECT_NE(std::get<IoError>(refused).message.find("4096"), std::string::npos);
}

TEST(PacketSocket, OpeningWithoutAnInterfaceFails) {
  EXPECT_TRUE(std::holds_alternative<IoError>(OpenPacketReceiver(Receiver(0, OurFilter()))));
  EXPECT_TRUE(std::holds_alternative<IoError>(OpenPacketSender(0, 0)));
  EXPECT_TRUE(std::holds_alternative<IoError>(OpenGreSink(AF_UNIX)));
}

// ---- in namespaces, as root ------------------------------------------------------------------

TEST(PacketSocketNetns, FramesArriveWithExactlyTheBytesSent) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  Rig rig;
  NVGRE_REQUIRE_LAB(rig.lab);
  ASSERT_TRUE(rig.ok());

  std::vector<Bytes> frames;
  FrameSpec small;                                     // 14 + 20 + 8 + 14 = 56 bytes: no padding
  frames.push_back(Frame(small));
  FrameSpec full;                                      // a full 1500-byte IP packet
  full.payload = Nvgre(0x5001, 1, 1500 - 20 - 8, 2);
  frames.push_back(Frame(full));
  FrameSpec v6;
  v6.ipv6 = true;
  v6.payload = Nvgre(0x5002, 9, 700, 3);
  frames.push_back(Frame(v6));
  FrameSpec tagged;                                    // 802.1Q: PCP 1, VID 5
  tagged.tags = {{0x8100, 0x2005}};
  tagged.payload = Nvgre(0x5003, 2, 100, 4);
  frames.push_back(Frame(tagged));
  FrameSpec tagged6 = v6;                              // 802.1Q: PCP 7, DEI, VID 4094
  tagged6.tags = {{0x8100, 0xFFFE}};
  frames.push_back(Frame(tagged6));
  FrameSpec ad;                                        // one 802.1ad (S-)tag, VID 100
  ad.tags = {{0x88a8, 0x0064}};
  frames.push_back(Frame(ad));
  FrameSpec group;                                     // to a multicast group of ours
  group.dst_mac = MulticastMac(kGroup4);
  group.dst4 = kGroup4;
  frames.push_back(Frame(group));
  FrameSpec group6 = v6;
  group6.dst_mac = MulticastMac(kGroup6);
  group6.dst6 = kGroup6;
  frames.push_back(Frame(group6));

  const SendResult sent = SendFrames(rig.tx.get(), rig.ifindex_b, frames);
  EXPECT_EQ(sent.sent, frames.size()) << "errno " << sent.last_error;
  std::size_t bytes = 0;
  for (const Bytes& f : frames) bytes += f.size();
  EXPECT_EQ(sent.bytes, bytes);

  RecvBatch batch(16, 2048, 64);
  const auto got = ReceiveUntil(rig.rx.get(), batch, [&](const auto& g) { return g.size() >= frames.size(); });
  ASSERT_EQ(got.size(), frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    SCOPED_TRACE("frame " + std::to_string(i));
    EXPECT_EQ(got[i].bytes, frames[i]);  // in order, byte for byte, tags back in place
    const RxMeta& m = got[i].meta;
    EXPECT_FALSE(m.truncated);
    EXPECT_EQ(m.wire_length, frames[i].size());
    EXPECT_EQ(m.ifindex, rig.ifindex_a);
    const bool is_tagged = frames[i][12] == 0x81 || frames[i][12] == 0x88;
    EXPECT_EQ(m.vlan, is_tagged);
    EXPECT_EQ(m.vlan_reinserted, is_tagged);
    EXPECT_EQ(m.offset, is_tagged ? 60u : 64u);
    const bool multicast = (frames[i][0] & 1) != 0;
    EXPECT_EQ(m.packet_type, multicast ? PACKET_MULTICAST : PACKET_HOST);
  }
  EXPECT_EQ(got[3].meta.vlan_tpid, 0x8100);
  EXPECT_EQ(got[3].meta.vlan_tci, 0x2005);
  EXPECT_EQ(got[4].meta.vlan_tci, 0xFFFE);
  EXPECT_EQ(got[5].meta.vlan_tpid, 0x88a8);
  EXPECT_EQ(got[5].meta.vlan_tci, 0x0064);

  const auto stats = Take(ReadPacketStats(rig.rx.get()));
  EXPECT_EQ(stats.packets, frames.size());
  EXPECT_EQ(stats.drops, 0u);
}

TEST(PacketSocketNetns, LongFrameIsFlaggedTruncated) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  Rig rig;
  NVGRE_REQUIRE_LAB(rig.lab);
  ASSERT_TRUE(rig.ok());
  FrameSpec big;
  big.payload = Nvgre(0x5001, 1, 900, 5);
  FrameSpec big_tagged = big;
  big_tagged.tags = {{0x8100, 0x0007}};
  const std::vector<Bytes> frames{Frame(big), Frame(big_tagged)};
  ASSERT_EQ(SendFrames(rig.tx.get(), rig.ifindex_b, frames).sent, 2u);

  RecvBatch batch(4, 256, 16);  // 256-byte buffers
  const auto got = ReceiveUntil(rig.rx.get(), batch, [](const auto& g) { return g.size() >= 2; });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].meta.truncated);
  EXPECT_EQ(got[0].meta.length, 256u);
  EXPECT_EQ(got[0].meta.wire_length, frames[0].size());
  EXPECT_EQ(got[0].bytes, Bytes(frames[0].begin(), frames[0].begin() + 256));
  // The tag goes back into the headroom: 256 bytes of frame data plus the 4 of the tag.
  EXPECT_TRUE(got[1].meta.truncated);
  EXPECT_EQ(got[1].meta.length, 260u);
  EXPECT_EQ(got[1].meta.wire_length, frames[1].size());
  EXPECT_EQ(got[1].bytes, Bytes(frames[1].begin(), frames[1].begin() + 260));
}

TEST(PacketSocketNetns, FilterKeepsOnlyGreForOurDestinations) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  Rig rig;
  NVGRE_REQUIRE_LAB(rig.lab);
  ASSERT_TRUE(rig.ok());

  struct Case {
    std::string name;
    FrameSpec spec;
    bool keep;
  };
  std::vector<Case> cases;
  auto add = [&](std::string name, bool keep, auto&& edit) {
    FrameSpec s;
    s.payload = Nvgre(0x6000 + static_cast<std::uint32_t>(cases.size()), 0, 20, static_cast<std::uint8_t>(cases.size()));
    edit(s);
    cases.push_back({std::move(name), s, keep});
  };
  add("ipv4 gre to us", true, [](FrameSpec&) {});
  add("ipv4 udp to us", false, [](FrameSpec& s) { s.protocol = 17; });
  add("ipv4 tcp to us", false, [](FrameSpec& s) { s.protocol = 6; });
  add("ipv4 gre to another address", false, [](FrameSpec& s) { s.dst4 = {10, 77, 0, 9}; });
  add("ipv4 gre from us to the peer", false, [](FrameSpec& s) { std::swap(s.src4, s.dst4); });
  add("ipv4 gre to our group", true, [](FrameSpec& s) {
    s.dst4 = kGroup4;
    s.dst_mac = MulticastMac(kGroup4);
  });
  add("ipv4 gre to another group", false, [](FrameSpec& s) {
    s.dst4 = {239, 1, 2, 4};
    s.dst_mac = MulticastMac(s.dst4);
  });
  add("ipv4 gre to us, other host's MAC", false, [](FrameSpec& s) { s.dst_mac = {0x02, 0, 0, 0, 0, 0x99}; });
  add("ipv4 gre to us, broadcast MAC", true, [](FrameSpec& s) { s.dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; });
  add("ipv4 gre to us, 802.1Q", true, [](FrameSpec& s) { s.tags = {{0x8100, 0x0010}}; });
  add("ipv4 udp to us, 802.1Q", false, [](FrameSpec& s) {
    s.tags = {{0x8100, 0x0010}};
    s.protocol = 17;
  });
  add("ipv4 gre to another address, 802.1Q", false, [](FrameSpec& s) {
    s.tags = {{0x8100, 0x0010}};
    s.dst4 = {10, 77, 0, 9};
  });
  add("ipv4 gre to us, two 802.1Q tags", false, [](FrameSpec& s) { s.tags = {{0x8100, 0x0010}, {0x8100, 0x0020}}; });
  add("ipv4 gre to us, 802.1ad + 802.1Q", false, [](FrameSpec& s) { s.tags = {{0x88a8, 0x0010}, {0x8100, 0x0020}}; });
  add("ipv6 gre to us", true, [](FrameSpec& s) { s.ipv6 = true; });
  add("ipv6 udp to us", false, [](FrameSpec& s) {
    s.ipv6 = true;
    s.protocol = 17;
  });
  add("ipv6 gre to another address", false, [](FrameSpec& s) {
    s.ipv6 = true;
    s.dst6[15] = 9;
  });
  add("ipv6 gre to an address differing in the first word", false, [](FrameSpec& s) {
    s.ipv6 = true;
    s.dst6[0] = 0xfc;
  });
  add("ipv6 gre behind a hop-by-hop header", false, [](FrameSpec& s) {
    s.ipv6 = true;
    s.hop_by_hop = true;
  });
  add("ipv6 gre to our group", true, [](FrameSpec& s) {
    s.ipv6 = true;
    s.dst6 = kGroup6;
    s.dst_mac = MulticastMac(kGroup6);
  });
  add("ipv6 gre to us, 802.1Q", true, [](FrameSpec& s) {
    s.ipv6 = true;
    s.tags = {{0x8100, 0x0fff}};
  });
  add("ipv6 gre to another address, 802.1Q", false, [](FrameSpec& s) {
    s.ipv6 = true;
    s.tags = {{0x8100, 0x0fff}};
    s.dst6[15] = 9;
  });

  std::vector<Bytes> frames;
  for (const Case& c : cases) frames.push_back(Frame(c.spec));
  // An ARP request (RFC 826) for our address: not IP at all.
  const Bytes arp{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x0b, 0x08, 0x06,
                  0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x0b,
                  10, 77, 0, 2, 0, 0, 0, 0, 0, 0, 10, 77, 0, 1};
  frames.push_back(arp);
  FrameSpec marker_spec;
  marker_spec.payload = Nvgre(0xFFFFF0, 0xEE, 30, 0xEE);
  const Bytes marker = Frame(marker_spec);
  frames.push_back(marker);
  ASSERT_EQ(SendFrames(rig.tx.get(), rig.ifindex_b, frames).sent, frames.size());

  RecvBatch batch(64, 2048, 64);
  const auto got = ReceiveUntil(rig.rx.get(), batch, [&](const auto& g) { return Contains(g, marker); });
  ASSERT_TRUE(Contains(got, marker)) << "the marker frame never arrived";
  std::vector<Bytes> expected;
  for (const Case& c : cases) {
    EXPECT_EQ(Contains(got, Frame(c.spec)), c.keep) << c.name;
    if (c.keep) expected.push_back(Frame(c.spec));
  }
  expected.push_back(marker);
  std::vector<Bytes> received;
  for (const Got& g : got) received.push_back(g.bytes);
  EXPECT_EQ(received, expected);  // nothing else, in order
}

TEST(PacketSocketNetns, OwnOutgoingFramesAreNotReadBack) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  Rig rig;
  NVGRE_REQUIRE_LAB(rig.lab);
  ASSERT_TRUE(rig.ok());

  // From a's own stack side: GRE to a's own address, out of a's veth (it matches the filter).
  FrameSpec own;
  own.src_mac = kMacA;
  own.payload = Nvgre(0x7001, 1, 40, 0x70);
  const Bytes outgoing = Frame(own);
  Fd own_tx, witness;
  {
    EnterNetns in(rig.lab.a());
    // Through the qdisc: with PACKET_QDISC_BYPASS the frame would skip the taps altogether
    // (__dev_direct_xmit), the receiver could not see it anyway, and neither could the witness.
    own_tx = Take(OpenPacketSender(rig.ifindex_a, 0, /*qdisc_bypass=*/false));
    // A plain ETH_P_ALL socket, no filter, no PACKET_IGNORE_OUTGOING: it sees the frame leave.
    witness = Fd(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL)));
    ASSERT_TRUE(witness);
    sockaddr_ll a = PacketDestination(rig.ifindex_a);
    a.sll_protocol = htons(ETH_P_ALL);
    ASSERT_EQ(::bind(witness.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  }
  ASSERT_TRUE(own_tx);
  ASSERT_EQ(SendFrames(own_tx.get(), rig.ifindex_a, {outgoing}).sent, 1u);

  RecvBatch witness_batch(64, 2048, 64);
  const auto seen = ReceiveUntil(witness.get(), witness_batch, [&](const auto& g) { return Contains(g, outgoing); });
  ASSERT_TRUE(Contains(seen, outgoing)) << "the frame did not leave through a's veth";
  for (const Got& g : seen) {
    if (g.bytes == outgoing) {
      EXPECT_EQ(g.meta.packet_type, PACKET_OUTGOING);
    }
  }

  FrameSpec marker_spec;
  marker_spec.payload = Nvgre(0xFFFFF0, 0xEE, 30, 0xEE);
  const Bytes marker = Frame(marker_spec);
  ASSERT_EQ(SendFrames(rig.tx.get(), rig.ifindex_b, {marker}).sent, 1u);
  RecvBatch batch(16, 2048, 64);
  const auto got = ReceiveUntil(rig.rx.get(), batch, [&](const auto& g) { return Contains(g, marker); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bytes, marker);
}

TEST(PacketSocketNetns, FanoutGroupSplitsFlowsAndKeepsEachFlowOnOneSocket) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  Rig rig;
  NVGRE_REQUIRE_LAB(rig.lab);
  ASSERT_TRUE(rig.ok());
  rig.rx = Fd();  // only the group's members this time
  std::array<Fd, 2> members;
  {
    EnterNetns in(rig.lab.a());
    for (Fd& m : members) {
      PacketReceiverOptions o = Receiver(rig.ifindex_a, OurFilter());
      o.fanout_group = 0x4e56;
      o.fanout_mode = FanoutMode::kHash;
      m = Take(OpenPacketReceiver(o));
      ASSERT_TRUE(m);
    }
  }
  // 32 flows (outer source address and GRE key differ), two frames each.
  constexpr int kFlows = 32;
  std::vector<Bytes> frames;
  std::map<std::string, int> flow_of;  // keyed by the frame's bytes
  const auto key = [](const Bytes& b) { return std::string(b.begin(), b.end()); };
  for (int copy = 0; copy < 2; ++copy) {
    for (int flow = 0; flow < kFlows; ++flow) {
      FrameSpec s;
      s.src4 = {10, 77, 1, static_cast<std::uint8_t>(flow + 1)};
      // The kernel's flow dissector follows GRE into the inner frame (TEB): both copies of a
      // flow carry the same inner bytes, and differ only after them (where it stops).
      s.payload = Nvgre(0x8000 + static_cast<std::uint32_t>(flow), 0, 20, static_cast<std::uint8_t>(flow));
      s.payload.push_back(static_cast<std::uint8_t>(copy));
      frames.push_back(Frame(s));
      flow_of[key(frames.back())] = flow;
    }
  }
  ASSERT_EQ(SendFrames(rig.tx.get(), rig.ifindex_b, frames).sent, frames.size());

  std::array<std::vector<Got>, 2> got;
  const auto deadline_at = std::chrono::steady_clock::now() + 3s;
  RecvBatch batch(64, 2048, 64);
  while (got[0].size() + got[1].size() < frames.size() && std::chrono::steady_clock::now() < deadline_at) {
    for (std::size_t m = 0; m < 2; ++m) {
      auto more = ReceiveUntil(members[m].get(), batch, [](const auto& g) { return !g.empty(); }, 50ms);
      got[m].insert(got[m].end(), more.begin(), more.end());
    }
  }
  EXPECT_EQ(got[0].size() + got[1].size(), frames.size());
  std::map<int, std::set<std::size_t>> sockets_of_flow;
  std::set<std::string> seen;
  for (std::size_t m = 0; m < 2; ++m) {
    for (const Got& g : got[m]) {
      ASSERT_TRUE(flow_of.count(key(g.bytes))) << "a frame we did not send";
      EXPECT_TRUE(seen.insert(key(g.bytes)).second) << "a frame delivered twice";
      sockets_of_flow[flow_of[key(g.bytes)]].insert(m);
    }
  }
  for (const auto& [flow, sockets] : sockets_of_flow) EXPECT_EQ(sockets.size(), 1u) << "flow " << flow;
  // 32 flows hashed onto 2 sockets: all on one happens with probability 2^-31.
  EXPECT_FALSE(got[0].empty());
  EXPECT_FALSE(got[1].empty());
}

TEST(PacketSocketNetns, GetLinkReportsTheKernelsView) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  ASSERT_EQ(lab.a().Run("ip link set nva0 mtu 1480").status, 0);
  EnterNetns in(lab.a());
  const int ifindex = LinkIndex(VethLab::kA);
  ASSERT_GT(ifindex, 0);
  const auto got = GetLink(ifindex);
  ASSERT_TRUE(std::holds_alternative<LinkInfo>(got)) << std::get<IoError>(got).message;
  const LinkInfo& link = std::get<LinkInfo>(got);
  EXPECT_EQ(link.ifindex, ifindex);
  EXPECT_EQ(link.name, "nva0");
  EXPECT_EQ(link.type, 1);  // ARPHRD_ETHER
  EXPECT_TRUE(link.has_mac);
  EXPECT_EQ(link.mac, kMacA);
  EXPECT_EQ(link.broadcast, (wire::MacAddress{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(link.mtu, 1480u);
  EXPECT_TRUE(link.up());
  EXPECT_TRUE(link.lower_up());
  EXPECT_EQ(link.master, 0);
  EXPECT_EQ(link.ipv4, (std::vector<wire::Ipv4Address>{kIpA}));
  EXPECT_NE(std::find(link.ipv6.begin(), link.ipv6.end(), kIp6A), link.ipv6.end());
  // The link-local address the kernel made from the MAC (RFC 4291 §2.5.1: modified EUI-64).
  const wire::Ipv6Address link_local{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x5e, 0xff, 0xfe, 0x10, 0x00, 0x0a};
  EXPECT_NE(std::find(link.ipv6.begin(), link.ipv6.end(), link_local), link.ipv6.end());

  EXPECT_TRUE(std::holds_alternative<IoError>(GetLink(9999)));
}

// ---- the GRE sink: the peer's kernel as the oracle -------------------------------------------

struct IcmpCount {
  int gre_errors = 0;  // ICMP type 3 code 2 / ICMPv6 type 4 code 1, from a
  bool marker = false; // the port unreachable answering the marker datagram
};

// From b: `count` GRE datagrams to a (raw protocol 47 sockets: b's kernel builds the IP header),
// then a UDP datagram to a closed port of a. The ICMP messages come back in order, so once the
// port unreachable is in, every error a's kernel made for the GRE datagrams is in too.
IcmpCount SendGreAndCountIcmp(const VethLab& lab, bool ipv6, int count) {
  IcmpCount c;
  EnterNetns in(lab.b());
  const int family = ipv6 ? AF_INET6 : AF_INET;
  Fd icmp(::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ipv6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP}));
  Fd gre(::socket(family, SOCK_RAW | SOCK_CLOEXEC, 47));
  Fd udp(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(icmp && gre && udp);
  if (!icmp || !gre || !udp) return c;
  sockaddr_storage to{};
  socklen_t to_length = 0;
  if (ipv6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    std::memcpy(&a.sin6_addr, kIp6A.data(), 16);
    std::memcpy(&to, &a, sizeof a);
    to_length = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    std::memcpy(&a.sin_addr, kIpA.data(), 4);
    std::memcpy(&to, &a, sizeof a);
    to_length = sizeof a;
  }
  const Bytes body = Nvgre(0x5001, 3, 14, 9);
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(::sendto(gre.get(), body.data(), body.size(), 0, reinterpret_cast<const sockaddr*>(&to), to_length),
              static_cast<ssize_t>(body.size()));
  }
  sockaddr_storage port = to;
  constexpr std::uint16_t kClosedPort = 33434;
  if (ipv6) {
    sockaddr_in6 a{};
    std::memcpy(&a, &port, sizeof a);
    a.sin6_port = htons(kClosedPort);
    std::memcpy(&port, &a, sizeof a);
  } else {
    sockaddr_in a{};
    std::memcpy(&a, &port, sizeof a);
    a.sin_port = htons(kClosedPort);
    std::memcpy(&port, &a, sizeof a);
  }
  const char marker[] = "marker";
  EXPECT_EQ(::sendto(udp.get(), marker, sizeof marker, 0, reinterpret_cast<const sockaddr*>(&port), to_length),
            static_cast<ssize_t>(sizeof marker));

  const auto deadline = std::chrono::steady_clock::now() + 3s;
  std::uint8_t buf[2048];
  while (!c.marker && std::chrono::steady_clock::now() < deadline) {
    pollfd p{icmp.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(icmp.get(), buf, sizeof buf, 0);
    if (n <= 0) continue;
    // IPv4 raw ICMP sockets deliver the IP header; ICMPv6 ones start at the ICMPv6 header.
    const std::size_t at = ipv6 ? 0 : static_cast<std::size_t>((buf[0] & 0x0F) * 4);
    if (static_cast<std::size_t>(n) < at + 2) continue;
    const std::uint8_t type = buf[at], code = buf[at + 1];
    if (ipv6) {
      if (type == 4 && code == 1) ++c.gre_errors;    // RFC 4443 §3.4: unrecognized Next Header
      if (type == 1 && code == 4) c.marker = true;   // RFC 4443 §3.1: port unreachable
    } else {
      if (type == 3 && code == 2) ++c.gre_errors;    // RFC 792: protocol unreachable
      if (type == 3 && code == 3) c.marker = true;   // port unreachable
    }
  }
  return c;
}

void GreSinkStopsIcmp(bool ipv6) {
  VethLab lab;
  NVGRE_REQUIRE_LAB(lab);
  constexpr int kDatagrams = 5;
  const IcmpCount without = SendGreAndCountIcmp(lab, ipv6, kDatagrams);
  ASSERT_TRUE(without.marker);
  EXPECT_EQ(without.gre_errors, kDatagrams) << "a's kernel should answer each GRE datagram";

  Fd sink, rx;
  {
    EnterNetns in(lab.a());
    sink = Take(OpenGreSink(ipv6 ? AF_INET6 : AF_INET));
    // As nvgred runs it: a packet receiver takes the frames, the sink only exists.
    rx = Take(OpenPacketReceiver(Receiver(LinkIndex(VethLab::kA), OurFilter())));
  }
  ASSERT_TRUE(sink && rx);
  const IcmpCount with = SendGreAndCountIcmp(lab, ipv6, kDatagrams);
  ASSERT_TRUE(with.marker);
  EXPECT_EQ(with.gre_errors, 0);
  // The packet socket did get them, and the sink holds nothing.
  RecvBatch batch(16, 2048, 64);
  const auto got = ReceiveUntil(rx.get(), batch, [&](const auto& g) { return g.size() >= kDatagrams; });
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kDatagrams));
  std::uint8_t buf[256];
  EXPECT_LT(::recv(sink.get(), buf, sizeof buf, MSG_DONTWAIT), 0);

  sink = Fd();  // and without it again, the errors are back
  const IcmpCount after = SendGreAndCountIcmp(lab, ipv6, kDatagrams);
  ASSERT_TRUE(after.marker);
  EXPECT_EQ(after.gre_errors, kDatagrams);
}

TEST(GreSinkNetns, StopsIcmpProtocolUnreachable) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  GreSinkStopsIcmp(false);
}

TEST(GreSinkNetns, StopsIcmpv6UnrecognizedNextHeader) {
  NVGRE_REQUIRE_ROOT();
  TestDeadline deadline(60);
  GreSinkStopsIcmp(true);
}

}  // namespace
}  // namespace nvgre::io
