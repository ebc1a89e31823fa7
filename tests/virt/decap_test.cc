// NVGRE decapsulation: the shared captures with their upstream expectations (OVS's
// ovs_gre_decap_inputs.pcap frames 1-6, packetnet's gre_nvgre.pcap), the byte-exact re-encap of
// those frames, every drop reason, RFC 6040 §4.2 on real frames (with the inner IPv4 checksum),
// padding, options, tags, and the in-place variant.
#include "nvgre/virt/decap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nvgre/virt/ecn.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/virt_stats.h"
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

// ---- classic pcap, read by hand (this test program does not link the io layer) ---------------
std::vector<Bytes> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const Bytes all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Bytes> frames;
  if (all.size() < 24) return frames;
  auto le32 = [&](std::size_t o) {
    return std::uint32_t{all[o]} | std::uint32_t{all[o + 1]} << 8 | std::uint32_t{all[o + 2]} << 16 |
           std::uint32_t{all[o + 3]} << 24;
  };
  const std::uint32_t magic = le32(0);
  if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) return frames;  // little-endian files only
  for (std::size_t off = 24; off + 16 <= all.size();) {
    const std::uint32_t caplen = le32(off + 8);
    off += 16;
    if (off + caplen > all.size()) break;
    frames.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(off),
                        all.begin() + static_cast<std::ptrdiff_t>(off + caplen));
    off += caplen;
  }
  return frames;
}

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;

// ---- NVGRE frames built by hand (so that they can break any rule) ------------------------------
struct Outer {
  int version = 4;
  std::uint8_t tos = 0;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;
  bool ipv6_fragment_header = false;
  std::uint16_t gre_flags = wire::kNvgreFlagsVersion;
  std::uint16_t gre_protocol = wire::kGreProtocolTeb;
  std::uint32_t key = 0x12345642;
  std::uint8_t outer_vlan_tags = 0;
  std::uint8_t ipv4_options_words = 0;
  std::size_t padding = 0;  // Ethernet padding after the IP packet
};

Frame Wrap(const Frame& inner, const Outer& o) {
  Bytes gre = {static_cast<std::uint8_t>(o.gre_flags >> 8), static_cast<std::uint8_t>(o.gre_flags),
               static_cast<std::uint8_t>(o.gre_protocol >> 8), static_cast<std::uint8_t>(o.gre_protocol)};
  if (o.gre_flags & wire::kGreFlagChecksum) gre.insert(gre.end(), 4, 0);
  if (o.gre_flags & wire::kGreFlagKey) {
    for (int s = 24; s >= 0; s -= 8) gre.push_back(static_cast<std::uint8_t>(o.key >> s));
  }
  if (o.gre_flags & wire::kGreFlagSequence) gre.insert(gre.end(), 4, 0);
  gre.insert(gre.end(), inner.begin(), inner.end());

  Bytes ip;
  if (o.version == 4) {
    wire::Ipv4Repr r;
    r.tos = o.tos, r.protocol = wire::kIpProtoGre, r.dont_fragment = !o.more_fragments;
    r.more_fragments = o.more_fragments, r.fragment_offset = o.fragment_offset;
    r.source = {192, 0, 2, 1}, r.destination = {192, 0, 2, 2};
    r.options_length = static_cast<std::uint8_t>(4 * o.ipv4_options_words);  // zeros = EOL
    r.total_length = static_cast<std::uint16_t>(r.header_length() + gre.size());
    ip.resize(r.header_length());
    r.Emit(ip);
  } else {
    Bytes frag;
    if (o.ipv6_fragment_header) {
      const std::uint16_t fo = static_cast<std::uint16_t>(o.fragment_offset | (o.more_fragments ? 1 : 0));
      frag = {wire::kIpProtoGre, 0, static_cast<std::uint8_t>(fo >> 8), static_cast<std::uint8_t>(fo),
              0, 0, 0, 1};
    }
    wire::Ipv6Repr r;
    r.traffic_class = o.tos;
    r.next_header = o.ipv6_fragment_header ? wire::kIpv6ExtFragment : wire::kIpProtoGre;
    r.payload_length = static_cast<std::uint16_t>(frag.size() + gre.size());
    r.source = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    r.destination = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    ip.resize(40);
    r.Emit(ip);
    ip.insert(ip.end(), frag.begin(), frag.end());
  }
  ip.insert(ip.end(), gre.begin(), gre.end());

  wire::EthernetRepr eth;
  eth.destination = {0x02, 0, 0, 0, 0, 0xd0}, eth.source = {0x02, 0, 0, 0, 0, 0x50};
  eth.vlan_count = o.outer_vlan_tags;
  eth.ether_type = o.version == 4 ? wire::kEtherTypeIpv4 : wire::kEtherTypeIpv6;
  Frame f(eth.header_length());
  eth.Emit(f);
  f.insert(f.end(), ip.begin(), ip.end());
  f.insert(f.end(), o.padding, 0);
  return f;
}

DecapDrop DropOfFrame(Frame f, const DecapConfig& c = {}) {
  const Frame before = f;
  auto r = Decapsulate(f, c);
  EXPECT_FALSE(r);
  EXPECT_EQ(f, before) << "a drop must not modify the frame";
  return r ? DecapDrop::kCount : r.error();
}

bool Accepts(Frame f, const DecapConfig& c = {}) { return Decapsulate(f, c).has_value(); }

void RefillIpv4Checksum(Frame& f, std::size_t ip_offset) {
  auto ip = wire::Ipv4MutView::Unchecked(std::span(f).subspan(ip_offset));
  ip.FillHeaderChecksum();
}

// ---- the shared captures -----------------------------------------------------------------------

// SOURCES.md §2.2: OVS tests/tunnel-push-pop.at (frames 1-4) and tunnel-push-pop-ipv6.at
// (frames 5-6), given to a GRE port. OVS's outcome -> ours:
//   1 TEB, key 0x1c8          accepted          -> decapsulated, VSID 0x000001, FlowID 0xc8
//   2 L3 GRE (proto 0x0800)   accepted (L3 port)-> protocol-not-teb (NVGRE is TEB only)
//   3 as 2, outer csum 0xDEAD dropped, native_tnl_l3csum_err -> outer-ipv4-checksum (the
//                             checksum is checked before the GRE header, as OVS does)
//   4 as 2, outer ECN CE, inner Not-ECT  dropped, drop_action_congestion -> protocol-not-teb;
//                             the same ECN pair in a TEB frame is ecn-ce-on-not-ect (below)
//   5 IPv6 outer, TEB         accepted          -> decapsulated
//   6 IPv6 outer, L3 GRE      accepted (L3 port)-> protocol-not-teb
TEST(DecapCaptures, OvsGreDecapInputs) {
  std::vector<Bytes> frames = ReadPcap(kShared + "/ovs_gre_decap_inputs.pcap");
  ASSERT_EQ(frames.size(), 6u);
  VirtStats stats;

  auto r1 = Decapsulate(frames[0]);
  stats.Count(r1);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->vsid, 0x000001u);
  EXPECT_EQ(r1->flow_id, 0xc8);
  EXPECT_EQ(r1->inner_offset, 42u);
  EXPECT_EQ(r1->inner_frame.size(), 98u);
  EXPECT_EQ(r1->inner_frame.data(), frames[0].data() + 42);
  EXPECT_EQ(r1->outer_ip, (OuterIp{OuterIpv4{{1, 1, 2, 92}, {1, 1, 2, 88}}}));
  EXPECT_EQ(r1->outer_source_mac, (wire::MacAddress{0x00, 0x1b, 0x21, 0x3c, 0xab, 0x64}));
  EXPECT_EQ(r1->outer_destination_mac, (wire::MacAddress{0xaa, 0x55, 0xaa, 0x55, 0x00, 0x00}));
  // The inner frame starts with fe:71:d8:83:72:4f < be:b6:f4:e1:49:4a, IPv4.
  const std::array<std::uint8_t, 14> inner_eth = {0xfe, 0x71, 0xd8, 0x83, 0x72, 0x4f, 0xbe,
                                                  0xb6, 0xf4, 0xe1, 0x49, 0x4a, 0x08, 0x00};
  EXPECT_TRUE(std::equal(inner_eth.begin(), inner_eth.end(), r1->inner_frame.begin()));

  auto r2 = Decapsulate(frames[1]);
  stats.Count(r2);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error(), DecapDrop::kNotTeb);
  EXPECT_EQ(ToString(r2.error()), "protocol-not-teb");

  auto r3 = Decapsulate(frames[2]);
  stats.Count(r3);
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error(), DecapDrop::kOuterIpv4Checksum);

  auto r4 = Decapsulate(frames[3]);
  stats.Count(r4);
  ASSERT_FALSE(r4);
  EXPECT_EQ(r4.error(), DecapDrop::kNotTeb);

  auto r5 = Decapsulate(frames[4]);
  stats.Count(r5);
  ASSERT_TRUE(r5);
  EXPECT_EQ(r5->vsid, 0x000001u);
  EXPECT_EQ(r5->flow_id, 0xc8);
  EXPECT_EQ(r5->inner_offset, 62u);
  EXPECT_EQ(r5->inner_frame.size(), 98u);
  const wire::Ipv6Address v6_92 = {0x20, 0x01, 0xca, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x92};
  const wire::Ipv6Address v6_88 = {0x20, 0x01, 0xca, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x88};
  EXPECT_EQ(r5->outer_ip, (OuterIp{OuterIpv6{v6_92, v6_88}}));
  EXPECT_TRUE(std::equal(r1->inner_frame.begin(), r1->inner_frame.end(), r5->inner_frame.begin(),
                         r5->inner_frame.end()));  // the same inner frame in both

  auto r6 = Decapsulate(frames[5]);
  stats.Count(r6);
  ASSERT_FALSE(r6);
  EXPECT_EQ(r6.error(), DecapDrop::kNotTeb);

  EXPECT_EQ(stats.decapsulated, 2u);
  EXPECT_EQ(stats[DecapDrop::kNotTeb], 3u);
  EXPECT_EQ(stats[DecapDrop::kOuterIpv4Checksum], 1u);
  EXPECT_EQ(stats.decap_drop_total(), 4u);
}

// Frame 4's ECN pair (outer CE = TOS 0x03, inner Not-ECT) in the TEB frame 1: RFC 6040 §4.2
// "the decapsulator MUST drop", OVS's drop_action_congestion.
TEST(DecapCaptures, OvsFrame4EcnRuleOnTheTebFrame) {
  std::vector<Bytes> frames = ReadPcap(kShared + "/ovs_gre_decap_inputs.pcap");
  ASSERT_EQ(frames.size(), 6u);
  ASSERT_EQ(frames[3][15], 0x03);  // frame 4's outer TOS
  Frame f = frames[0];
  f[15] = frames[3][15];
  RefillIpv4Checksum(f, 14);
  EXPECT_EQ(DropOfFrame(f), DecapDrop::kEcnCeOnNotEct);
  // With an ECT(0) inner the same outer CE is propagated instead: inner TOS 0x02 -> 0x03, and
  // the inner IPv4 checksum (0x8486 in the capture) is updated: ~(~0x8486 + ~0x4502 + 0x4503).
  f[42 + 15] = 0x02;
  RefillIpv4Checksum(f, 42 + 14);
  const std::uint16_t before = wire::LoadBe16(std::span<const std::uint8_t>(f).subspan<42 + 24, 2>());
  EXPECT_EQ(before, 0x8484);  // 0x8486 - 2 for the ECT(0) bits
  auto r = Decapsulate(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ecn_rewrite, EcnRewrite::kSetCe);
  EXPECT_EQ(r->inner_frame[15], 0x03);
  EXPECT_EQ(wire::LoadBe16(std::span<const std::uint8_t>(f).subspan<42 + 24, 2>()), 0x8483);
  EXPECT_TRUE(wire::ChecksumVerifies(r->inner_frame.subspan(14, 20)));
}

// Re-encapsulating frames 1 and 5's inner frame with their own outer parameters gives the
// captured frames back byte for byte (their outer IPv4 checksum is valid).
TEST(DecapCaptures, OvsFramesReEncapsulateByteForByte) {
  std::vector<Bytes> frames = ReadPcap(kShared + "/ovs_gre_decap_inputs.pcap");
  ASSERT_EQ(frames.size(), 6u);
  for (std::size_t i : {0u, 4u}) {
    SCOPED_TRACE(testing::Message() << "frame " << i + 1);
    Frame f = frames[i];
    auto d = Decapsulate(f);
    ASSERT_TRUE(d);
    EncapConfig c;
    c.outer_source_mac = d->outer_source_mac;
    c.outer_destination_mac = d->outer_destination_mac;
    c.outer_ip = d->outer_ip;
    c.vsid = d->vsid;
    c.flow_id = d->flow_id;
    c.allow_reserved_vsid = true;  // OVS key 0x1c8: VSID 1
    c.ipv6_flow_label_from_hash = false;
    c.ipv6_flow_label = 0;
    std::uint16_t id = 0x7946;  // frame 1's Identification
    const Bytes inner(d->inner_frame.begin(), d->inner_frame.end());
    Bytes out(frames[i].size());
    auto r = Encapsulate(inner, c, out, id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->frame_length, frames[i].size());
    EXPECT_EQ(out, frames[i]);
  }
}

// SOURCES.md §2.1: packetnet's gre_nvgre.pcap, VSID 0x123456 FlowID 2, outer IPv4 without DF,
// ID 0, TTL 64, and every checksum 0 (so a checksum-verifying receiver drops it).
TEST(DecapCaptures, PacketnetNvgre) {
  std::vector<Bytes> frames = ReadPcap(kShared + "/packetnet_gre_nvgre.pcap");
  ASSERT_EQ(frames.size(), 1u);
  const Bytes& file = frames[0];
  ASSERT_EQ(file.size(), 98u);
  EXPECT_EQ(DropOfFrame(file), DecapDrop::kOuterIpv4Checksum);

  Frame f = file;
  auto d = Decapsulate(f, DecapConfig{.verify_outer_ipv4_checksum = false});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->vsid, 0x123456u);
  EXPECT_EQ(d->flow_id, 2);
  EXPECT_EQ(d->inner_offset, 42u);
  EXPECT_EQ(d->inner_frame.size(), 56u);
  EXPECT_EQ(d->outer_ip, (OuterIp{OuterIpv4{{100, 0, 17, 1}, {100, 0, 17, 2}}}));

  // Encapsulating the inner frame with the file's outer parameters reproduces the file, except
  // the outer IPv4 checksum, which becomes valid: 0x9078 (what tcpdump says it should be).
  EncapConfig c;
  c.outer_source_mac = {0xaa, 0xbb, 0x00, 0x00, 0x20, 0x01};
  c.outer_destination_mac = {0xaa, 0xbb, 0x00, 0x00, 0x20, 0x02};
  c.outer_ip = OuterIpv4{{100, 0, 17, 1}, {100, 0, 17, 2}};
  c.dont_fragment = false;
  c.ttl = 64;
  c.vsid = 0x123456;
  c.flow_id = 2;
  std::uint16_t id = 0;
  const Bytes inner(file.begin() + 42, file.end());
  Bytes out(file.size());
  auto r = Encapsulate(inner, c, out, id);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->frame_length, file.size());
  Bytes expect = file;
  expect[24] = 0x90, expect[25] = 0x78;
  EXPECT_EQ(out, expect);
  // The inner checksums (all 0 in the file) are carried untouched.
  EXPECT_EQ(out[42 + 24], 0x00);
  EXPECT_EQ(out[42 + 25], 0x00);
}

// ---- every drop reason ------------------------------------------------------------------------

TEST(Decap, DropReasonsOfTheOuterHeaders) {
  const Frame inner = Build(Flow{});
  ASSERT_TRUE(Accepts(Wrap(inner, {})));  // sanity: the base frame is accepted

  Frame huge(65536, 0);
  EXPECT_EQ(DropOfFrame(huge), DecapDrop::kFrameTooLong);

  EXPECT_EQ(DropOfFrame(Frame(10, 0)), DecapDrop::kOuterHeaderInvalid);  // Ethernet cut short
  Frame bad_ihl = Wrap(inner, {});
  bad_ihl[14] = 0x44;  // IHL 4 (RFC 791: at least 5)
  EXPECT_EQ(DropOfFrame(bad_ihl), DecapDrop::kOuterHeaderInvalid);

  Flow arp;
  arp.version = 0;
  EXPECT_EQ(DropOfFrame(Build(arp)), DecapDrop::kNotIp);

  Frame bad_csum = Wrap(inner, {});
  bad_csum[24] ^= 0x01;
  EXPECT_EQ(DropOfFrame(bad_csum), DecapDrop::kOuterIpv4Checksum);
  EXPECT_TRUE(Decapsulate(bad_csum, DecapConfig{.verify_outer_ipv4_checksum = false}));

  Frame cut = Wrap(inner, {});
  cut.pop_back();  // Total Length now claims one byte more than the frame has
  EXPECT_EQ(DropOfFrame(cut), DecapDrop::kTruncated);
  Frame cut6 = Wrap(inner, {.version = 6});
  cut6.pop_back();
  EXPECT_EQ(DropOfFrame(cut6), DecapDrop::kTruncated);

  Frame zero_len = Wrap(inner, {});
  zero_len[16] = zero_len[17] = 0;  // LSOv2-style Total Length 0 has no place on the wire
  RefillIpv4Checksum(zero_len, 14);
  EXPECT_EQ(DropOfFrame(zero_len), DecapDrop::kOuterHeaderInvalid);

  // RFC 7637 §4: fragmented NVGRE packets are discarded (first and later fragments, v4 and v6).
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.more_fragments = true})), DecapDrop::kOuterFragment);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.fragment_offset = 1480})), DecapDrop::kOuterFragment);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.version = 6, .more_fragments = true, .ipv6_fragment_header = true})),
            DecapDrop::kOuterFragment);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.version = 6, .fragment_offset = 1448, .ipv6_fragment_header = true})),
            DecapDrop::kOuterFragment);
  // An atomic IPv6 fragment header (offset 0, M 0) is not a fragment.
  Frame atomic = Wrap(inner, {.version = 6, .ipv6_fragment_header = true});
  EXPECT_TRUE(Decapsulate(atomic));

  Flow plain_tcp;
  EXPECT_EQ(DropOfFrame(Build(plain_tcp)), DecapDrop::kNotGre);
}

TEST(Decap, DropReasonsOfTheGreHeader) {
  const Frame inner = Build(Flow{});
  // Version 2 does not even parse as GRE; routing (R) is unsupported.
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_flags = 0x2002})), DecapDrop::kGreHeaderInvalid);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_flags = 0x6000})), DecapDrop::kGreHeaderInvalid);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_flags = 0x2400})), DecapDrop::kGreHeaderInvalid);
  // RFC 7637 §3.2, each rule on its own, reported with the classifier's NvgreViolation names.
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_flags = 0x2001})), DecapDrop::kGreVersionNot0);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_protocol = wire::kEtherTypeIpv4})), DecapDrop::kNotTeb);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_flags = 0x0000})), DecapDrop::kGreKeyAbsent);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_flags = 0xA000})), DecapDrop::kGreChecksumPresent);
  EXPECT_EQ(DropOfFrame(Wrap(inner, {.gre_flags = 0x3000})), DecapDrop::kGreSequencePresent);
  EXPECT_EQ(ToString(DecapDrop::kGreKeyAbsent), wire::ToString(wire::NvgreViolation::kKeyAbsent));
  // Reserved0 bits 6-12 are ignored on receipt (RFC 2784 §2.3).
  EXPECT_TRUE(Accepts(Wrap(inner, {.gre_flags = 0x2000 | 0x0200})));
}

TEST(Decap, DropReasonsOfTheInnerFrame) {
  // RFC 7637 §3.2: a decapsulating NVE MUST drop a frame whose inner header carries a tag.
  for (std::uint16_t tpid : {wire::kEtherTypeVlan, wire::kEtherTypeQinQ, wire::kEtherTypeQinQLegacy}) {
    Flow f;
    f.tags = {wire::VlanTag{tpid, 10}};
    EXPECT_EQ(DropOfFrame(Wrap(Build(f), {})), DecapDrop::kInnerVlan) << std::hex << tpid;
  }
  EXPECT_EQ(DropOfFrame(Wrap(Frame(13, 0x02), {})), DecapDrop::kInnerFrameInvalid);
  // Exactly an Ethernet header, no payload: a (useless) valid inner frame.
  Frame header_only = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5};
  EXPECT_TRUE(Accepts(Wrap(header_only, {})));

  const Frame inner = Build(Flow{});
  for (std::uint32_t vsid : {0x000000u, 0x000FFFu, 0xFFFFFFu}) {
    Frame f = Wrap(inner, {.key = vsid << 8});
    EXPECT_EQ(DropOfFrame(f, {.drop_reserved_vsid = true}), DecapDrop::kReservedVsid);
    EXPECT_TRUE(Decapsulate(f));  // accepted by default
  }
  EXPECT_TRUE(Accepts(Wrap(inner, {.key = 0x00100000})));  // VSID 0x1000

  // Outer CE with an inner IPv4 header that cannot be read: RFC 6040 cannot be applied.
  Frame garbage_ip = Build(Flow{});
  garbage_ip[14] = 0x55;  // version 5
  EXPECT_EQ(DropOfFrame(Wrap(garbage_ip, {.tos = kEcnCe})), DecapDrop::kEcnInnerIpInvalid);
  EXPECT_TRUE(Accepts(Wrap(garbage_ip, {.tos = kEcnEct0})));  // no CE: delivered
}

TEST(Decap, EveryDropReasonHasADistinctName) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kDecapDropCount; ++i) {
    const auto n = ToString(static_cast<DecapDrop>(i));
    EXPECT_NE(n, "?");
    names.insert(n);
  }
  EXPECT_EQ(names.size(), kDecapDropCount);
}

// ---- RFC 6040 §4.2 on real frames ---------------------------------------------------------------

TEST(Decap, EcnTableOnFrames) {
  for (int outer_version : {4, 6}) {
    for (int inner_version : {4, 6}) {
      for (std::uint8_t inner_ecn = 0; inner_ecn < 4; ++inner_ecn) {
        for (std::uint8_t outer_ecn = 0; outer_ecn < 4; ++outer_ecn) {
          SCOPED_TRACE(testing::Message() << "outer v" << outer_version << " inner v" << inner_version
                                          << " inner ecn " << int{inner_ecn} << " outer ecn "
                                          << int{outer_ecn});
          Flow fl;
          fl.version = inner_version;
          fl.tos = static_cast<std::uint8_t>(0xA0 | inner_ecn);  // DSCP 40 kept throughout
          const Frame inner = Build(fl);
          Frame f = Wrap(inner, {.version = outer_version,
                                 .tos = static_cast<std::uint8_t>(0x28 | outer_ecn)});
          const EcnDecapOutcome want = InnerEcnOnDecap(inner_ecn, outer_ecn);
          if (want.drop) {
            EXPECT_EQ(DropOfFrame(f), DecapDrop::kEcnCeOnNotEct);
            continue;
          }
          auto r = Decapsulate(f);
          ASSERT_TRUE(r);
          EXPECT_EQ(r->ecn_alarm, want.alarm);
          const wire::FrameLayout l = wire::ClassifyFrame(r->inner_frame);
          ASSERT_TRUE(l.inner_l3.present() || l.outer_l3.present());
          const std::uint8_t tc =
              inner_version == 4
                  ? r->inner_frame[15]
                  : static_cast<std::uint8_t>(((r->inner_frame[14] & 0x0F) << 4) | (r->inner_frame[15] >> 4));
          EXPECT_EQ(tc, 0xA0 | want.inner_ecn);
          EXPECT_EQ(r->ecn_rewrite, want.inner_ecn == inner_ecn ? EcnRewrite::kNone
                                    : want.inner_ecn == kEcnCe  ? EcnRewrite::kSetCe
                                                                : EcnRewrite::kSetEct1);
          // Only the ECN bits changed, and every inner checksum still verifies.
          Frame expect = inner;
          if (inner_version == 4) {
            expect[15] = static_cast<std::uint8_t>(0xA0 | want.inner_ecn);
            RefillIpv4Checksum(expect, 14);
          } else {
            expect[15] = static_cast<std::uint8_t>((expect[15] & 0xCF) | (want.inner_ecn << 4));
          }
          EXPECT_TRUE(std::equal(expect.begin(), expect.end(), r->inner_frame.begin(), r->inner_frame.end()));
          const wire::ChecksumReport cs = wire::VerifyChecksums(r->inner_frame, l);
          EXPECT_NE(cs.outer_ip, wire::CsumState::kBad);
          EXPECT_EQ(cs.outer_l4, wire::CsumState::kGood);  // TCP: no pseudo-header ECN
        }
      }
    }
  }
}

TEST(Decap, CeMarkingKeepsABadInnerChecksumBad) {
  Flow fl;
  fl.tos = kEcnEct0;
  Frame inner = Build(fl);
  inner[24] ^= 0x5A;  // corrupt the inner IPv4 header checksum
  Frame f = Wrap(inner, {.tos = kEcnCe});
  auto r = Decapsulate(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ecn_rewrite, EcnRewrite::kSetCe);
  EXPECT_FALSE(wire::ChecksumVerifies(r->inner_frame.subspan(14, 20)));
  // It is off by exactly what it was off by before (RFC 1624 incremental update).
  Frame good = Build(fl);
  good[15] = kEcnCe;
  RefillIpv4Checksum(good, 14);
  EXPECT_EQ(r->inner_frame[24] ^ good[24], 0x5A);
  EXPECT_EQ(r->inner_frame[25], good[25]);
}

TEST(Decap, NonIpInnerFramePassesUnderCe) {
  Flow arp;
  arp.version = 0;
  const Frame inner = Build(arp);
  Frame f = Wrap(inner, {.tos = kEcnCe});
  auto r = Decapsulate(f);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ecn_rewrite, EcnRewrite::kNone);
  EXPECT_TRUE(std::equal(inner.begin(), inner.end(), r->inner_frame.begin(), r->inner_frame.end()));
}

// ---- framing variants ------------------------------------------------------------------------

TEST(Decap, PaddingOptionsAndOuterTags) {
  Flow fl;
  fl.payload.clear();
  const Frame inner = Build(fl);
  for (std::uint8_t tags : std::array<std::uint8_t, 3>{0, 1, 2}) {
    for (std::uint8_t options : std::array<std::uint8_t, 3>{0, 1, 10}) {
      for (std::size_t padding : {0u, 6u}) {
        SCOPED_TRACE(testing::Message() << "tags " << int{tags} << " options " << int{options}
                                        << " padding " << padding);
        Frame f = Wrap(inner, {.outer_vlan_tags = tags, .ipv4_options_words = options, .padding = padding});
        const std::size_t offset = 14 + 4u * tags + 20 + 4u * options + 8;
        auto r = Decapsulate(f);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->inner_offset, offset);
        EXPECT_TRUE(std::equal(inner.begin(), inner.end(), r->inner_frame.begin(), r->inner_frame.end()));
        // In place: the same bytes, the outer headers pulled and the padding trimmed.
        PacketBuffer p(f.size());
        ASSERT_TRUE(p.Assign(f));
        auto ri = DecapsulateInPlace(p);
        ASSERT_TRUE(ri);
        EXPECT_EQ(p.headroom(), PacketBuffer::kDefaultHeadroom + offset);
        EXPECT_TRUE(std::equal(inner.begin(), inner.end(), p.data().begin(), p.data().end()));
        EXPECT_EQ(ri->inner_frame.data(), p.data().data());
      }
    }
  }
}

TEST(Decap, InPlaceDropLeavesThePacketAlone) {
  Frame f = Wrap(Build(Flow{}), {.gre_flags = 0x3000});
  PacketBuffer p(f.size());
  ASSERT_TRUE(p.Assign(f));
  auto r = DecapsulateInPlace(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), DecapDrop::kGreSequencePresent);
  EXPECT_EQ(p.headroom(), PacketBuffer::kDefaultHeadroom);
  EXPECT_TRUE(std::equal(f.begin(), f.end(), p.data().begin(), p.data().end()));
}

TEST(Decap, EveryPrefixOfAValidFrameIsDroppedCleanly) {
  const Frame full = Wrap(Build(Flow{}), {});
  for (std::size_t n = 0; n < full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = Decapsulate(prefix);
    ASSERT_FALSE(r) << n;
    // Ethernet or IP header cut: invalid; otherwise the IP length field claims the rest.
    EXPECT_TRUE(r.error() == DecapDrop::kOuterHeaderInvalid || r.error() == DecapDrop::kTruncated)
        << n << " " << ToString(r.error());
  }
}

TEST(Decap, RandomBytesNeverCrash) {
  // Mutations of a valid frame: every byte position and value class; ASan/UBSan watch the reads.
  std::mt19937 rng(99);
  const Frame base = Wrap(Build(Flow{}), {});
  VirtStats stats;
  for (int i = 0; i < 20000; ++i) {
    Frame f = base;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<std::uint8_t>(rng());
    if (rng() % 4 == 0) f.resize(rng() % f.size());
    stats.Count(Decapsulate(f));
  }
  EXPECT_EQ(stats.decapsulated + stats.decap_drop_total(), 20000u);
  EXPECT_GT(stats.decapsulated, 0u);
  EXPECT_GT(stats[DecapDrop::kOuterIpv4Checksum], 0u);
}

}  // namespace
}  // namespace nvgre::virt
