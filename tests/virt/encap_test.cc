// NVGRE encapsulation: exact header bytes (OVS's GRE-TEB push header), every refusal, DSCP/ECN
// (RFC 2983, RFC 6040 §4.1), inner tag stripping (RFC 7637 §3.2), the outer VLAN tag, outer
// IPv6 (flow label, RFC 6438), the caller's IPv4 ID counter, copy vs in-place, and the
// encap -> classify -> decap round trip over random inner frames.
#include "nvgre/virt/encap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <random>
#include <set>
#include <string_view>
#include <vector>

#include "nvgre/virt/decap.h"
#include "nvgre/virt/flow_hash.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/gre.h"
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

using Bytes = std::vector<std::uint8_t>;

EncapConfig V4Config() {
  EncapConfig c;
  c.outer_source_mac = {0xaa, 0x55, 0xaa, 0x55, 0x00, 0x00};
  c.outer_destination_mac = {0xf8, 0xbc, 0x12, 0x44, 0x34, 0xb6};
  c.outer_ip = OuterIpv4{{1, 1, 2, 88}, {1, 1, 2, 92}};
  c.vsid = 0x123456;
  c.flow_id = 0x42;
  return c;
}

EncapConfig V6Config() {
  EncapConfig c = V4Config();
  c.outer_ip = OuterIpv6{{0x20, 0x01, 0xca, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x88},
                         {0x20, 0x01, 0xca, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x92}};
  return c;
}

// Encapsulates with the copy variant into an exactly sized vector; empty on refusal.
Bytes Encap(const Frame& inner, const EncapConfig& c, std::uint16_t& id,
            EncapError* error = nullptr) {
  Bytes out(inner.size() + kMaxOuterHeaderLength);
  auto r = Encapsulate(inner, c, out, id);
  if (!r) {
    if (error) *error = r.error();
    return {};
  }
  out.resize(r->frame_length);
  return out;
}

Bytes Encap(const Frame& inner, const EncapConfig& c) {
  std::uint16_t id = 0;
  return Encap(inner, c, id);
}

EncapError ErrorOf(const Frame& inner, const EncapConfig& c) {
  std::uint16_t id = 7;
  EncapError e = EncapError::kCount;
  Bytes out = Encap(inner, c, id, &e);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(id, 7) << "a refusal must not consume an IPv4 ID";
  return e;
}

Frame Untagged(Flow f) {
  f.tags.clear();
  return Build(f);
}

// ---- exact bytes ----------------------------------------------------------------------------

// OVS tests/tunnel-push-pop.at (SOURCES.md §2.2): a GRE TEB port with key 0x1c8 pushes
//   gre((flags=0x2000,proto=0x6558),key=0x1c8), header size 42, DF, TTL 64, TOS 0
// with eth(dst=f8:bc:12:44:34:b6,src=aa:55:aa:55:00:00) and ipv4(src=1.1.2.88,dst=1.1.2.92).
// Key 0x1c8 = VSID 0x000001 (reserved by RFC 7637, so it takes allow_reserved_vsid) | FlowID c8.
TEST(Encap, OvsGreTebPushHeaderBytes) {
  EncapConfig c = V4Config();
  c.vsid = 0x000001;
  c.flow_id = 0xc8;
  c.allow_reserved_vsid = true;
  Flow f;
  f.protocol = wire::kIpProtoIcmp;
  f.payload.assign(64, 0x00);  // an 84-byte inner IPv4 packet: 98-byte inner frame
  f.payload[0] = 0;            // ICMP echo reply, its checksum is not looked at
  const Frame inner = Build(f);
  ASSERT_EQ(inner.size(), 98u);
  std::uint16_t id = 0;
  const Bytes out = Encap(inner, c, id);
  ASSERT_EQ(out.size(), 42u + 98u);
  // Total Length 126 = 0x7e; checksum over 4500 007e 0000 4000 402f 0101 0258 0101 025c
  // = ~0xcc63 = 0x339c (worked by hand; OVS's frame 1 with ID 0x7946 and the addresses swapped
  // has 0xba55 = ~(0xcc63 + 0x7946), consistent).
  const std::array<std::uint8_t, 42> expect = {
      0xf8, 0xbc, 0x12, 0x44, 0x34, 0xb6, 0xaa, 0x55, 0xaa, 0x55, 0x00, 0x00, 0x08, 0x00,  // eth
      0x45, 0x00, 0x00, 0x7e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x2f, 0x33, 0x9c,              // ipv4
      0x01, 0x01, 0x02, 0x58, 0x01, 0x01, 0x02, 0x5c,
      0x20, 0x00, 0x65, 0x58, 0x00, 0x00, 0x01, 0xc8};  // gre
  EXPECT_TRUE(std::equal(expect.begin(), expect.end(), out.begin()));
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), out.begin() + 42));
  EXPECT_EQ(wire::OnesSumReference(std::span(out).subspan(14, 20)), 0xFFFF);
  EXPECT_EQ(id, 1);
  // Without allow_reserved_vsid the same port is refused, by name.
  c.allow_reserved_vsid = false;
  EXPECT_EQ(ErrorOf(inner, c), EncapError::kReservedVsid);
  EXPECT_EQ(ToString(EncapError::kReservedVsid), "vsid-reserved");
}

TEST(Encap, OuterVlanTagAndIpv6Bytes) {
  EncapConfig c = V6Config();
  c.outer_vlan = OuterVlan{.vid = 0x123, .pcp = 5, .dei = true};
  c.ipv6_flow_label_from_hash = false;
  c.ipv6_flow_label = 0xABCDE;
  c.ttl = 17;
  Flow f;
  f.tos = 0xB9;  // DSCP 46 (EF), ECT(1)
  const Frame inner = Build(f);
  const Bytes out = Encap(inner, c);
  ASSERT_EQ(out.size(), 66u + inner.size());
  const std::size_t plen = 8 + inner.size();
  const std::array<std::uint8_t, 66> expect = {
      0xf8, 0xbc, 0x12, 0x44, 0x34, 0xb6, 0xaa, 0x55, 0xaa, 0x55, 0x00, 0x00,
      0x81, 0x00, 0xb1, 0x23,  // TPID, PCP 5 | DEI | VID 0x123
      0x86, 0xdd,
      0x6b, 0x9a, 0xbc, 0xde,  // version 6, traffic class 0xb9, flow label 0xabcde
      static_cast<std::uint8_t>(plen >> 8), static_cast<std::uint8_t>(plen), 0x2f, 17,
      0x20, 0x01, 0xca, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x88,
      0x20, 0x01, 0xca, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x92,
      0x20, 0x00, 0x65, 0x58, 0x12, 0x34, 0x56, 0x42};
  EXPECT_TRUE(std::equal(expect.begin(), expect.end(), out.begin()));
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), out.begin() + 66));
  EXPECT_EQ(OuterHeaderLength(c), 66u);
}

TEST(Encap, NonDfAndTtlAreConfigurable) {
  EncapConfig c = V4Config();
  c.dont_fragment = false;
  c.ttl = 1;
  const Bytes out = Encap(Build(Flow{}), c);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[20], 0x00);  // flags: no DF
  EXPECT_EQ(out[22], 1);     // TTL
  EXPECT_EQ(out[23], wire::kIpProtoGre);
}

// ---- refusals -------------------------------------------------------------------------------

TEST(Encap, VsidRules) {
  const Frame inner = Build(Flow{});
  EncapConfig c = V4Config();
  for (std::uint32_t vsid : {0x000000u, 0x000001u, 0x000FFFu, 0xFFFFFFu}) {
    c.vsid = vsid;
    EXPECT_EQ(ErrorOf(inner, c), EncapError::kReservedVsid) << std::hex << vsid;
    EXPECT_EQ(CheckEncapConfig(c), EncapError::kReservedVsid);
  }
  for (std::uint32_t vsid : {0x1000000u, 0xFFFFFFFFu}) {
    c.vsid = vsid;
    c.allow_reserved_vsid = true;  // never a VSID, allowed or not
    EXPECT_EQ(ErrorOf(inner, c), EncapError::kVsidTooLarge) << std::hex << vsid;
  }
  c.allow_reserved_vsid = false;
  for (std::uint32_t vsid : {0x001000u, 0xFFFFFEu}) {
    c.vsid = vsid;
    const Bytes out = Encap(inner, c);
    ASSERT_FALSE(out.empty()) << std::hex << vsid;
    EXPECT_EQ(wire::LoadBe24(std::span<const std::uint8_t>(out).subspan<38, 3>()), vsid);
    EXPECT_EQ(CheckEncapConfig(c), std::nullopt);
  }
}

TEST(Encap, EveryConfigurationRefusal) {
  const Frame inner = Build(Flow{});
  EncapConfig c = V4Config();
  c.flow_id = 0x101;
  EXPECT_EQ(ErrorOf(inner, c), EncapError::kBadFlowId);
  c = V4Config();
  c.outer_vlan = OuterVlan{.vid = 0xFFF};  // 802.1Q: VID 4095 is reserved
  EXPECT_EQ(ErrorOf(inner, c), EncapError::kBadOuterVlan);
  c.outer_vlan = OuterVlan{.vid = 1, .pcp = 8};
  EXPECT_EQ(ErrorOf(inner, c), EncapError::kBadOuterVlan);
  c.outer_vlan = OuterVlan{.vid = 0xFFE, .pcp = 7};
  EXPECT_FALSE(Encap(inner, c).empty());
  c = V4Config();
  c.dscp_mode = DscpMode::kFixed;
  c.dscp = 64;
  EXPECT_EQ(ErrorOf(inner, c), EncapError::kBadDscp);
  c = V6Config();
  c.ipv6_flow_label_from_hash = false;
  c.ipv6_flow_label = 0x100000;
  EXPECT_EQ(ErrorOf(inner, c), EncapError::kBadFlowLabel);
}

TEST(Encap, EveryPacketRefusal) {
  EncapConfig c = V4Config();
  // Shorter than an Ethernet header, or a tag cut short.
  EXPECT_EQ(ErrorOf(Frame(13, 0), c), EncapError::kInnerTooShort);
  Frame cut = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00};
  EXPECT_EQ(ErrorOf(cut, c), EncapError::kInnerTooShort);
  // Five tags: more than EthernetView parses (EthernetRepr holds four, so add one by hand).
  Flow f;
  f.tags.assign(4, wire::VlanTag{wire::kEtherTypeVlan, 1});
  Frame four = Build(f);
  EXPECT_FALSE(Encap(four, c).empty());
  const std::uint8_t tag[] = {0x81, 0x00, 0x00, 0x01};
  four.insert(four.begin() + 12, std::begin(tag), std::end(tag));
  EXPECT_EQ(ErrorOf(four, c), EncapError::kInnerTooManyTags);

  // 16-bit length fields: IPv4 20 + 8 + inner <= 65535, IPv6 8 + inner <= 65535.
  Frame big(65507, 0);
  big[12] = 0x88, big[13] = 0xb5;  // an experimental EtherType: opaque payload
  EXPECT_FALSE(Encap(big, c).empty());
  big.push_back(0);
  EXPECT_EQ(ErrorOf(big, c), EncapError::kInnerTooLong);
  EncapConfig c6 = V6Config();
  Frame big6(65527, 0);
  big6[12] = 0x88, big6[13] = 0xb5;
  EXPECT_FALSE(Encap(big6, c6).empty());
  big6.push_back(0);
  EXPECT_EQ(ErrorOf(big6, c6), EncapError::kInnerTooLong);
  // Stripped tags count: 65511 bytes with one tag is 65507 once stripped.
  Frame tagged(65511, 0);
  tagged[12] = 0x81, tagged[13] = 0x00, tagged[16] = 0x88, tagged[17] = 0xb5;
  EXPECT_FALSE(Encap(tagged, c).empty());

  // MTU: the outer IP packet, never fragmented (RFC 7637 §4).
  const Frame inner = Build(Flow{});  // 14 + 20 + 20 + 2 = 56 bytes
  c.outer_mtu = static_cast<std::uint16_t>(20 + 8 + inner.size());
  EXPECT_FALSE(Encap(inner, c).empty());
  c.outer_mtu = static_cast<std::uint16_t>(c.outer_mtu - 1);
  EXPECT_EQ(ErrorOf(inner, c), EncapError::kExceedsMtu);
  c6.outer_mtu = static_cast<std::uint16_t>(40 + 8 + inner.size() - 1);
  EXPECT_EQ(ErrorOf(inner, c6), EncapError::kExceedsMtu);

  // Output space.
  c = V4Config();
  std::uint16_t id = 0;
  Bytes out(42 + inner.size() - 1);
  auto r = Encapsulate(inner, c, out, id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), EncapError::kBufferTooSmall);
  EXPECT_EQ(id, 0);
  out.push_back(0);
  EXPECT_TRUE(Encapsulate(inner, c, out, id));

  PacketBuffer p(inner.size(), 41);
  ASSERT_TRUE(p.Assign(inner, 41));
  auto ri = EncapsulateInPlace(p, c, id);
  ASSERT_FALSE(ri);
  EXPECT_EQ(ri.error(), EncapError::kHeadroomTooSmall);
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), p.data().begin(), p.data().end()));
  EXPECT_EQ(p.headroom(), 41u);
  // A stripped tag frees 4 bytes: 38 bytes of headroom + 1 tag are enough for 42.
  Flow tagged_flow;
  tagged_flow.tags = {wire::VlanTag{wire::kEtherTypeVlan, 5}};
  const Frame tagged_inner = Build(tagged_flow);
  PacketBuffer q(tagged_inner.size(), 38);
  ASSERT_TRUE(q.Assign(tagged_inner, 38));
  ASSERT_TRUE(EncapsulateInPlace(q, c, id));
  EXPECT_EQ(q.headroom(), 0u);
}

TEST(Encap, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kEncapErrorCount; ++i) {
    const auto n = ToString(static_cast<EncapError>(i));
    EXPECT_NE(n, "?");
    names.insert(n);
  }
  EXPECT_EQ(names.size(), kEncapErrorCount);
}

// ---- DSCP and ECN ---------------------------------------------------------------------------

std::uint8_t OuterTos(const Bytes& out, bool v6) {
  if (!v6) return out[15];
  return static_cast<std::uint8_t>(((out[14] & 0x0F) << 4) | (out[15] >> 4));
}

TEST(Encap, DscpAndEcnCopiedInNormalMode) {
  for (bool v6_outer : {false, true}) {
    for (int inner_version : {4, 6}) {
      for (std::uint8_t tos : std::array<std::uint8_t, 7>{0x00, 0xB8, 0xB9, 0xBA, 0xBB, 0x03, 0x28}) {
        SCOPED_TRACE(testing::Message() << "outer v6 " << v6_outer << " inner " << inner_version
                                        << " tos " << int{tos});
        Flow f;
        f.version = inner_version;
        f.tos = tos;
        const Frame inner = Build(f);
        EncapConfig c = v6_outer ? V6Config() : V4Config();
        // RFC 2983 uniform model + RFC 6040 §4.1 normal mode: the whole octet is copied, CE too.
        EXPECT_EQ(OuterTos(Encap(inner, c), v6_outer), tos);
        c.ecn_mode = EcnEncapMode::kCompatibility;  // Not-ECT outer
        EXPECT_EQ(OuterTos(Encap(inner, c), v6_outer), tos & 0xFC);
        c.ecn_mode = EcnEncapMode::kNormal;
        c.dscp_mode = DscpMode::kFixed;  // pipe model
        c.dscp = 10;
        EXPECT_EQ(OuterTos(Encap(inner, c), v6_outer), (10 << 2) | (tos & 3));
      }
    }
  }
}

TEST(Encap, NonIpInnerIsDscpZeroNotEct) {
  Flow arp;
  arp.version = 0;
  EXPECT_EQ(OuterTos(Encap(Build(arp), V4Config()), false), 0);
  EncapConfig c = V6Config();
  c.dscp_mode = DscpMode::kFixed;
  c.dscp = 46;
  EXPECT_EQ(OuterTos(Encap(Build(arp), c), true), 46 << 2);
}

TEST(Encap, TosOfATaggedInnerIsFound) {
  Flow f;
  f.tos = 0x2B;
  f.tags = {wire::VlanTag{wire::kEtherTypeQinQ, 1}, wire::VlanTag{wire::kEtherTypeVlan, 2}};
  EXPECT_EQ(OuterTos(Encap(Build(f), V4Config()), false), 0x2B);
}

// ---- inner tags -----------------------------------------------------------------------------

TEST(Encap, InnerTagsAreStripped) {
  std::uint16_t id = 0;
  for (std::size_t tags = 0; tags <= 4; ++tags) {
    Flow f;
    for (std::size_t i = 0; i < tags; ++i) {
      f.tags.push_back(wire::VlanTag{i == 0 ? wire::kEtherTypeQinQ : wire::kEtherTypeVlan,
                                     static_cast<std::uint16_t>(100 + i)});
    }
    const Frame inner = Build(f);
    Bytes out(inner.size() + 42);
    auto r = Encapsulate(inner, V4Config(), out, id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->inner_vlan_tags_stripped, tags);
    EXPECT_EQ(r->frame_length, 42 + inner.size() - 4 * tags);
    const Frame plain = Untagged(f);
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), out.begin() + 42,
                           out.begin() + static_cast<std::ptrdiff_t>(r->frame_length)));
    // The IPv4 Total Length counts the stripped frame.
    EXPECT_EQ(wire::LoadBe16(std::span<const std::uint8_t>(out).subspan<16, 2>()),
              20 + 8 + plain.size());
  }
}

// ---- FlowID, flow label, IPv4 ID --------------------------------------------------------------

TEST(Encap, FlowIdFromHashIsStablePerConnection) {
  EncapConfig c = V4Config();
  c.flow_id = kFlowIdFromHash;
  Flow f;
  f.sport = 49152, f.dport = 443;
  const std::uint8_t expect = FlowIdOfHash(InnerFlowHash(Build(f)));
  std::uint16_t id = 0;
  for (std::uint32_t seq = 0; seq < 20; ++seq) {
    f.seq = seq * 1000;
    f.ip_id = static_cast<std::uint16_t>(seq);
    f.payload.assign(seq * 7, 0x61);
    f.tags.clear();
    if (seq % 2) f.tags = {wire::VlanTag{wire::kEtherTypeVlan, 3}};
    const Frame inner = Build(f);
    Bytes out(inner.size() + 42);
    auto r = Encapsulate(inner, c, out, id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->flow_id, expect);
    EXPECT_EQ(out[41], expect);  // the low byte of the GRE Key
  }
  // The flow label follows the same hash (RFC 6438 §3).
  EncapConfig c6 = V6Config();
  c6.flow_id = kFlowIdFromHash;
  const Bytes out6 = Encap(Build(f), c6);
  const std::uint32_t label = wire::LoadBe24(std::span<const std::uint8_t>(out6).subspan<15, 3>()) & 0xFFFFF;
  EXPECT_EQ(label, FlowLabelOfHash(InnerFlowHash(Build(f))));
  EXPECT_EQ(out6[14 + 40 + 7], expect);
}

TEST(Encap, Ipv4IdComesFromTheCallersCounter) {
  const Frame inner = Build(Flow{});
  std::uint16_t id = 0xFFFE;
  for (std::uint16_t expect : std::array<std::uint16_t, 4>{0xFFFE, 0xFFFF, 0x0000, 0x0001}) {
    const Bytes out = Encap(inner, V4Config(), id);
    EXPECT_EQ(wire::LoadBe16(std::span<const std::uint8_t>(out).subspan<18, 2>()), expect);
  }
  EXPECT_EQ(id, 2);
  const Bytes out6 = Encap(inner, V6Config(), id);  // IPv6: the counter is not touched
  EXPECT_FALSE(out6.empty());
  EXPECT_EQ(id, 2);
}

// ---- the encap -> classify -> decap round trip -------------------------------------------------

Flow RandomFlow(std::mt19937& rng) {
  Flow f;
  const int kind = static_cast<int>(rng() % 4);
  f.version = kind == 0 ? 0 : (kind == 1 ? 6 : 4);
  static constexpr std::uint8_t kProtos[] = {wire::kIpProtoTcp, wire::kIpProtoUdp,
                                             wire::kIpProtoIcmp, 47};
  f.protocol = kProtos[rng() % 4];
  if (f.version == 6 && f.protocol == wire::kIpProtoIcmp) f.protocol = wire::kIpProtoIcmpv6;
  for (auto& b : f.src) b = static_cast<std::uint8_t>(rng());
  for (auto& b : f.dst) b = static_cast<std::uint8_t>(rng());
  for (auto& b : f.src_mac) b = static_cast<std::uint8_t>(rng());
  for (auto& b : f.dst_mac) b = static_cast<std::uint8_t>(rng());
  f.sport = static_cast<std::uint16_t>(rng()), f.dport = static_cast<std::uint16_t>(rng());
  f.tos = static_cast<std::uint8_t>(rng());
  f.ttl = static_cast<std::uint8_t>(rng() | 1);
  f.payload.resize(rng() % 1500);
  for (auto& b : f.payload) b = static_cast<std::uint8_t>(rng());
  const std::size_t tags = rng() % 3 == 0 ? 1 + rng() % 2 : 0;
  for (std::size_t i = 0; i < tags; ++i) {
    f.tags.push_back(wire::VlanTag{i == 0 && tags == 2 ? wire::kEtherTypeQinQ : wire::kEtherTypeVlan,
                                   static_cast<std::uint16_t>(rng() & 0xFFF)});
  }
  f.ipv6_hop_by_hop = f.version == 6 && rng() % 4 == 0;
  if (f.version == 6 && f.protocol == wire::kIpProtoIcmpv6) f.payload.resize(std::max<std::size_t>(f.payload.size(), 4));
  return f;
}

TEST(Encap, RoundTripOverRandomInnerFrames) {
  std::mt19937 rng(2024);
  std::uint16_t id = 0;
  int count_by_version[7] = {};
  for (int i = 0; i < 600; ++i) {
    const Flow f = RandomFlow(rng);
    ++count_by_version[f.version];
    const Frame inner = Build(f);
    const Frame plain = Untagged(f);
    EncapConfig c = (i % 2) ? V6Config() : V4Config();
    c.vsid = 0x1000 + static_cast<std::uint32_t>(rng() % (0xFFFFFF - 0x1000));
    c.flow_id = (i % 3 == 0) ? kFlowIdFromHash : static_cast<std::uint16_t>(rng() & 0xFF);
    if (i % 5 == 0) c.outer_vlan = OuterVlan{.vid = static_cast<std::uint16_t>(rng() % 4095)};
    SCOPED_TRACE(testing::Message() << "frame " << i << " inner v" << f.version << " tags "
                                    << f.tags.size() << " outer v" << ((i % 2) ? 6 : 4));

    Bytes out(inner.size() + kMaxOuterHeaderLength);
    auto r = Encapsulate(inner, c, out, id);
    ASSERT_TRUE(r);
    out.resize(r->frame_length);
    const std::uint8_t flow_id = c.flow_id == kFlowIdFromHash ? FlowIdOfHash(InnerFlowHash(inner))
                                                              : static_cast<std::uint8_t>(c.flow_id);
    EXPECT_EQ(r->flow_id, flow_id);

    // Valid NVGRE with every checksum good, as the classifier sees it.
    const wire::FrameLayout l = wire::ClassifyFrame(out);
    ASSERT_TRUE(l.is_nvgre()) << (l.error ? wire::ToString(l.error->layer) : "no error");
    EXPECT_FALSE(l.error.has_value());
    EXPECT_FALSE(l.truncated);
    EXPECT_EQ(l.vsid(), c.vsid);
    EXPECT_EQ(l.flow_id(), flow_id);
    EXPECT_EQ(l.outer_l2.vlan_count, c.outer_vlan ? 1 : 0);
    EXPECT_EQ(l.inner_l2.vlan_count, 0);
    const wire::ChecksumReport cs = wire::VerifyChecksums(out, l);
    EXPECT_EQ(cs.outer_ip, (i % 2) ? wire::CsumState::kAbsent : wire::CsumState::kGood);
    EXPECT_EQ(cs.gre, wire::CsumState::kAbsent);
    if (f.version == 4) {
      EXPECT_EQ(cs.inner_ip, wire::CsumState::kGood);
    }
    if (f.version != 0 && f.protocol != 47) {
      EXPECT_EQ(cs.inner_l4, wire::CsumState::kGood);
    }

    // The copy and in-place variants write the same bytes.
    PacketBuffer p(inner.size());
    ASSERT_TRUE(p.Assign(inner));
    std::uint16_t id2 = static_cast<std::uint16_t>(id - (r->used_ipv4_id ? 1 : 0));
    auto ri = EncapsulateInPlace(p, c, id2);
    ASSERT_TRUE(ri);
    EXPECT_EQ(id2, id);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), p.data().begin(), p.data().end()));

    // Decapsulation gives back the inner frame minus its tags, the VSID and the FlowID.
    // (RFC 6040: a normal-mode outer ECN field never changes the inner one.)
    auto d = Decapsulate(out);
    ASSERT_TRUE(d) << ToString(d.error());
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), d->inner_frame.begin(), d->inner_frame.end()));
    EXPECT_EQ(d->vsid, c.vsid);
    EXPECT_EQ(d->flow_id, flow_id);
    EXPECT_EQ(d->outer_ip, c.outer_ip);
    EXPECT_EQ(d->outer_source_mac, c.outer_source_mac);
    EXPECT_EQ(d->outer_destination_mac, c.outer_destination_mac);
    EXPECT_EQ(d->ecn_rewrite, EcnRewrite::kNone);
    EXPECT_FALSE(d->ecn_alarm);
    auto di = DecapsulateInPlace(p);
    ASSERT_TRUE(di);
    EXPECT_TRUE(std::equal(plain.begin(), plain.end(), p.data().begin(), p.data().end()));
  }
  EXPECT_GT(count_by_version[0], 100);  // ARP
  EXPECT_GT(count_by_version[4], 200);
  EXPECT_GT(count_by_version[6], 100);
}

}  // namespace
}  // namespace nvgre::virt
