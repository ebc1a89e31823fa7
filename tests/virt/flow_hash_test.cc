// The inner-flow hash behind the FlowID and the outer IPv6 flow label: published FNV-1a and
// MurmurHash3 vectors for the two primitives, the documented key layout rebuilt by hand, and
// the properties the FlowID needs (stable per flow, symmetric, spread across flows).
#include "nvgre/virt/flow_hash.h"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <set>
#include <string_view>
#include <vector>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::virt {
namespace {

using Frame = std::vector<std::uint8_t>;

// ---- a small inner-frame builder (valid headers and checksums) ------------------------------
struct Flow {
  int version = 4;  // 4, 6, or 0 for ARP
  std::array<std::uint8_t, 16> src{10, 0, 0, 1}, dst{10, 0, 0, 2};
  std::uint8_t protocol = wire::kIpProtoTcp;
  std::uint16_t sport = 1001, dport = 1002;
  std::uint8_t tos = 0, ttl = 64;
  std::uint16_t ip_id = 0;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // bytes
  std::uint8_t tcp_flags = wire::kTcpFlagAck;
  std::uint32_t seq = 0;
  std::vector<wire::VlanTag> tags;
  wire::MacAddress src_mac{0x02, 0, 0, 0, 0, 0x01}, dst_mac{0x02, 0, 0, 0, 0, 0x02};
  std::vector<std::uint8_t> payload = std::vector<std::uint8_t>(2, 0xab);
  bool ipv6_hop_by_hop = false;
};

Frame Build(const Flow& f) {
  Frame l4;
  if (f.version != 0 && f.protocol == wire::kIpProtoTcp) {
    wire::TcpRepr t;
    t.source_port = f.sport, t.destination_port = f.dport, t.flags = f.tcp_flags;
    t.sequence_number = f.seq, t.window = 512;
    l4.resize(t.header_length());
    t.Emit(l4);
  } else if (f.version != 0 && f.protocol == wire::kIpProtoUdp) {
    wire::UdpRepr u;
    u.source_port = f.sport, u.destination_port = f.dport;
    u.length = static_cast<std::uint16_t>(8 + f.payload.size());
    l4.resize(8);
    u.Emit(l4);
  }
  l4.insert(l4.end(), f.payload.begin(), f.payload.end());
  if (f.version != 0 && (f.protocol == wire::kIpProtoIcmp || f.protocol == wire::kIpProtoIcmpv6)) {
    if (l4.size() < 8) l4.resize(8);  // type, code, checksum, rest of header
    if (f.protocol == wire::kIpProtoIcmp) {  // RFC 792: no pseudo-header
      l4[2] = l4[3] = 0;
      const std::uint16_t c = wire::Checksum(l4);
      l4[2] = static_cast<std::uint8_t>(c >> 8), l4[3] = static_cast<std::uint8_t>(c);
    }
  }

  Frame l3;
  if (f.version == 4) {
    std::span<const std::uint8_t, 4> s(f.src.data(), 4), d(f.dst.data(), 4);
    const std::size_t csum_at = wire::L4ChecksumOffset(f.protocol);
    if (csum_at != 0 && f.protocol != wire::kIpProtoIcmp && f.fragment_offset == 0 &&
        !f.more_fragments) {
      const std::uint16_t c = wire::TcpUdpChecksumV4(s, d, f.protocol, l4);
      l4[csum_at] = static_cast<std::uint8_t>(c >> 8), l4[csum_at + 1] = static_cast<std::uint8_t>(c);
    }
    wire::Ipv4Repr ip;
    ip.tos = f.tos, ip.ttl = f.ttl, ip.identification = f.ip_id, ip.protocol = f.protocol;
    ip.more_fragments = f.more_fragments, ip.fragment_offset = f.fragment_offset;
    ip.total_length = static_cast<std::uint16_t>(20 + l4.size());
    std::copy_n(f.src.begin(), 4, ip.source.begin());
    std::copy_n(f.dst.begin(), 4, ip.destination.begin());
    l3.resize(20);
    ip.Emit(l3);
  } else if (f.version == 6) {
    std::span<const std::uint8_t, 16> s(f.src), d(f.dst);
    const std::size_t csum_at = wire::L4ChecksumOffset(f.protocol);
    if (csum_at != 0) {
      const std::uint16_t c = wire::TcpUdpChecksumV6(s, d, f.protocol, l4);
      l4[csum_at] = static_cast<std::uint8_t>(c >> 8), l4[csum_at + 1] = static_cast<std::uint8_t>(c);
    }
    Frame ext;
    if (f.ipv6_hop_by_hop) ext = {f.protocol, 0, 1, 4, 0, 0, 0, 0};  // PadN option, 8 bytes
    wire::Ipv6Repr ip;
    ip.traffic_class = f.tos, ip.hop_limit = f.ttl;
    ip.next_header = f.ipv6_hop_by_hop ? std::uint8_t{0} : f.protocol;
    ip.payload_length = static_cast<std::uint16_t>(ext.size() + l4.size());
    ip.source = f.src, ip.destination = f.dst;
    l3.resize(40);
    ip.Emit(l3);
    l3.insert(l3.end(), ext.begin(), ext.end());
  } else {
    l4.assign(28, 0x11);  // an ARP body; its contents do not matter here
  }
  l3.insert(l3.end(), l4.begin(), l4.end());

  wire::EthernetRepr eth;
  eth.source = f.src_mac, eth.destination = f.dst_mac;
  eth.vlan_count = static_cast<std::uint8_t>(f.tags.size());
  std::copy(f.tags.begin(), f.tags.end(), eth.vlans.begin());
  eth.ether_type = f.version == 4   ? wire::kEtherTypeIpv4
                   : f.version == 6 ? wire::kEtherTypeIpv6
                                    : wire::kEtherTypeArp;
  Frame frame(eth.header_length());
  eth.Emit(frame);
  frame.insert(frame.end(), l3.begin(), l3.end());
  return frame;
}

Flow Reversed(Flow f) {
  std::swap(f.src, f.dst);
  std::swap(f.sport, f.dport);
  std::swap(f.src_mac, f.dst_mac);
  return f;
}

std::uint32_t HashOf(const Flow& f) { return InnerFlowHash(Build(f)); }

std::span<const std::uint8_t> Str(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};  // NOLINT: test text
}

// ---- the primitives ---------------------------------------------------------------------------
TEST(FlowHash, Fnv1aPublishedVectors) {
  // Landon Curt Noll's FNV test suite (FNV-1a, 32-bit).
  EXPECT_EQ(Fnv1a(Str("")), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a(Str("a")), 0xe40c292cu);
  EXPECT_EQ(Fnv1a(Str("foobar")), 0xbf9cf968u);
}

TEST(FlowHash, Fmix32PublishedVectors) {
  // MurmurHash3_x86_32 of the empty input is fmix32(seed): seed 0 -> 0, seed 1 -> 0x514E28B7,
  // seed 0xFFFFFFFF -> 0x81F16F39 (SMHasher verification values).
  EXPECT_EQ(Fmix32(0), 0u);
  EXPECT_EQ(Fmix32(1), 0x514E28B7u);
  EXPECT_EQ(Fmix32(0xFFFFFFFFu), 0x81F16F39u);
}

TEST(FlowHash, FlowIdAndLabelComeFromTheDocumentedBits) {
  EXPECT_EQ(FlowIdOfHash(0x12345678u), 0x78);
  EXPECT_EQ(FlowLabelOfHash(0x12345678u), 0x12345u);
  EXPECT_EQ(FlowLabelOfHash(0x00000FFFu), 1u);  // 0 is "no flow label" (RFC 6437)
  EXPECT_EQ(FlowLabelOfHash(0xFFFFFFFFu), 0xFFFFFu);
}

// ---- the key layout, rebuilt from the header comment -------------------------------------------
TEST(FlowHash, Ipv4TcpKeyLayout) {
  Flow f;  // 10.0.0.1:1001 -> 10.0.0.2:1002 TCP
  const std::uint8_t key[] = {4, 6, 10, 0, 0, 1, 0x03, 0xe9, 10, 0, 0, 2, 0x03, 0xea};
  EXPECT_EQ(HashOf(f), Fmix32(Fnv1a(key)));
  // The lower endpoint goes first, so the reverse direction builds the same key.
  EXPECT_EQ(HashOf(Reversed(f)), Fmix32(Fnv1a(key)));
}

TEST(FlowHash, Ipv6UdpKeyLayoutSkipsExtensionHeaders) {
  Flow f;
  f.version = 6, f.protocol = wire::kIpProtoUdp, f.sport = 53, f.dport = 40000;
  f.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09};
  f.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  std::vector<std::uint8_t> key = {6, 17};
  key.insert(key.end(), f.dst.begin(), f.dst.end());  // ::1 < ::9: destination first
  key.push_back(0x9c), key.push_back(0x40);           // 40000
  key.insert(key.end(), f.src.begin(), f.src.end());
  key.push_back(0x00), key.push_back(0x35);           // 53
  EXPECT_EQ(HashOf(f), Fmix32(Fnv1a(key)));
  f.ipv6_hop_by_hop = true;  // the upper-layer protocol and ports are found past it
  EXPECT_EQ(HashOf(f), Fmix32(Fnv1a(key)));
}

TEST(FlowHash, NonIpKeyLayoutUsesEtherTypeAndMacs) {
  Flow f;
  f.version = 0;  // ARP
  f.src_mac = {0x02, 0, 0, 0, 0, 0x09};
  f.dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const std::uint8_t key[] = {0,    0x08, 0x06, 0x02, 0,    0,    0,    0,   0x09,
                              0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(HashOf(f), Fmix32(Fnv1a(key)));
  EXPECT_EQ(HashOf(Reversed(f)), Fmix32(Fnv1a(key)));
}

TEST(FlowHash, PortlessProtocolsAndFragmentsHashWithZeroPorts) {
  Flow icmp;
  icmp.protocol = wire::kIpProtoIcmp;
  const std::uint8_t icmp_key[] = {4, 1, 10, 0, 0, 1, 0, 0, 10, 0, 0, 2, 0, 0};
  EXPECT_EQ(HashOf(icmp), Fmix32(Fnv1a(icmp_key)));

  // All fragments of one datagram hash alike, the first one (which has the ports) included.
  Flow first;
  first.more_fragments = true;
  first.payload.assign(64, 0x5a);
  Flow later = first;
  later.more_fragments = false, later.fragment_offset = 80;
  const std::uint8_t frag_key[] = {4, 6, 10, 0, 0, 1, 0, 0, 10, 0, 0, 2, 0, 0};
  EXPECT_EQ(HashOf(first), Fmix32(Fnv1a(frag_key)));
  EXPECT_EQ(HashOf(later), Fmix32(Fnv1a(frag_key)));
}

TEST(FlowHash, ShortAndMalformedFramesAreHashedWithoutReadingPastThem) {
  const std::uint8_t tiny[] = {1, 2, 3};
  EXPECT_EQ(InnerFlowHash(tiny), Fmix32(Fnv1a(tiny)));
  // EtherType IPv4 but only 10 bytes of "IP": falls back to the MAC key.
  Frame f = Build(Flow{});
  f.resize(24);
  const std::uint8_t key[] = {0, 0x08, 0x00, 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  EXPECT_EQ(InnerFlowHash(f), Fmix32(Fnv1a(key)));
  // Every prefix of a valid frame hashes without faults (ASan checks the reads).
  Frame full = Build(Flow{});
  for (std::size_t n = 0; n <= full.size(); ++n) {
    (void)InnerFlowHash(std::span(full).first(n));
  }
}

// ---- the FlowID properties -------------------------------------------------------------------
TEST(FlowHash, StablePerFlowWhateverElseChanges) {
  std::mt19937 rng(7);
  for (int version : {4, 6}) {
    Flow base;
    base.version = version;
    if (version == 6) base.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (version == 6) base.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    const std::uint32_t h = HashOf(base);
    for (int i = 0; i < 200; ++i) {
      Flow p = base;  // one TCP connection: everything but the 5-tuple varies
      p.ttl = static_cast<std::uint8_t>(rng());
      p.tos = static_cast<std::uint8_t>(rng());
      p.ip_id = static_cast<std::uint16_t>(rng());
      p.seq = static_cast<std::uint32_t>(rng());
      p.tcp_flags = static_cast<std::uint8_t>(rng() & 0x3F);
      p.payload.assign(rng() % 300, static_cast<std::uint8_t>(rng()));
      p.src_mac[5] = static_cast<std::uint8_t>(rng());  // MACs do not matter for IP flows
      if (i % 3 == 1) p.tags = {wire::VlanTag{wire::kEtherTypeVlan, 100}};
      if (i % 3 == 2) p.tags = {wire::VlanTag{wire::kEtherTypeQinQ, 7}, wire::VlanTag{wire::kEtherTypeVlan, 9}};
      ASSERT_EQ(HashOf(p), h) << "packet " << i;
      ASSERT_EQ(HashOf(Reversed(p)), h) << "reverse packet " << i;
    }
  }
}

TEST(FlowHash, FlowIdsSpreadEvenlyAcrossFlows) {
  // 25,600 random IPv4/IPv6 TCP/UDP flows: every FlowID is used, none more than 1.5x the mean.
  std::mt19937 rng(11);
  std::array<int, 256> bins{};
  std::set<std::uint32_t> labels;
  constexpr int kFlows = 25600;
  for (int i = 0; i < kFlows; ++i) {
    Flow f;
    f.version = (i & 1) ? 6 : 4;
    f.protocol = (i & 2) ? wire::kIpProtoUdp : wire::kIpProtoTcp;
    for (auto& b : f.src) b = static_cast<std::uint8_t>(rng());
    for (auto& b : f.dst) b = static_cast<std::uint8_t>(rng());
    f.sport = static_cast<std::uint16_t>(rng()), f.dport = static_cast<std::uint16_t>(rng());
    f.payload.clear();
    const std::uint32_t h = HashOf(f);
    ++bins[FlowIdOfHash(h)];
    labels.insert(FlowLabelOfHash(h));
  }
  for (std::size_t id = 0; id < 256; ++id) {
    EXPECT_GT(bins[id], 50) << "FlowID " << id;
    EXPECT_LT(bins[id], 150) << "FlowID " << id;
  }
  // 20-bit labels: about n^2 / 2^21 = 312 birthday collisions are expected among 25,600.
  EXPECT_GT(labels.size(), static_cast<std::size_t>(kFlows * 98 / 100));
}

TEST(FlowHash, OneFieldApartGivesADifferentFlowIdUsually) {
  // Flows that differ only in the source port (the common case behind one NAT or host).
  std::set<std::uint8_t> ids;
  Flow f;
  for (std::uint16_t port = 40000; port < 40064; ++port) {
    f.sport = port;
    ids.insert(FlowIdOfHash(HashOf(f)));
  }
  EXPECT_GE(ids.size(), 50u);  // 64 flows into 256 values: ~57 distinct expected
}

}  // namespace
}  // namespace nvgre::virt
