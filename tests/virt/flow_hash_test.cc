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

#include "virt/inner_frame_util.h"

namespace nvgre::virt {
namespace {

using namespace nvgre::virt::testframes;  // Flow, Frame, Build, Reversed

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
