// Frame classifier on hand-made variations of a real NVGRE frame.
#include "nvgre/wire/classifier.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "nvgre/wire/ip_protocol.h"
#include "wire/routing_header_frames.h"

namespace nvgre::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes FromHex(std::string_view hex) {
  Bytes out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(nib(hex[i]) << 4 | nib(hex[i + 1])));
  return out;
}

// ../shared/testdata/packetnet_gre_nvgre.pcap, the one frame (98 bytes):
//  0 eth aa:bb:00:00:20:01 > aa:bb:00:00:20:02 0800 | 14 IPv4 100.0.17.1 > 100.0.17.2 proto 47
// 34 GRE 2000 6558 key 12345602 | 42 eth aa:bb:00:00:10:01 > aa:bb:00:00:10:02 0800
// 56 IPv4 10.0.0.1 > 10.0.0.2 proto 6 | 76 TCP 1001 > 1002 ACK | 96 payload ab cd
const Bytes kNvgre = FromHex(
    "aabb00002002aabb0000200108004500005400000000402f000064001101640011022000655812345602aabb00"
    "001002aabb0000100108004500002a00000000400600000a0000010a00000203e903ea00000000000000005010"
    "008000000000abcd");

void Put16(Bytes& f, std::size_t o, std::size_t v) {
  f[o] = static_cast<std::uint8_t>(v >> 8);
  f[o + 1] = static_cast<std::uint8_t>(v);
}
void Insert(Bytes& f, std::size_t o, const Bytes& what) { f.insert(f.begin() + static_cast<std::ptrdiff_t>(o), what.begin(), what.end()); }

TEST(Classifier, NvgreOffsets) {
  FrameLayout l = ClassifyFrame(kNvgre);
  ASSERT_FALSE(l.error);
  EXPECT_TRUE(l.is_nvgre());
  EXPECT_EQ(l.outer_l2.offset, 0);
  EXPECT_EQ(l.outer_l2.length, 14);
  EXPECT_EQ(l.outer_l3.version, 4);
  EXPECT_EQ(l.outer_l3.protocol, kIpProtoGre);
  EXPECT_EQ(l.outer_l3.end, 98u);
  EXPECT_EQ(l.gre.header_length, 8);
  EXPECT_EQ(l.gre.flags_version, 0x2000);
  EXPECT_EQ(l.gre.protocol_type, 0x6558);
  EXPECT_EQ(l.inner_l2.offset, 42);
  EXPECT_EQ(l.inner_l3.offset, 56);
  EXPECT_EQ(l.inner_l3.header_length, 20);
  EXPECT_EQ(l.inner_l4, 76);
  EXPECT_EQ(l.payload, 96);
  EXPECT_EQ(l.transport_l4(), 76);
  EXPECT_EQ(l.outer_l4, kNoHeader);
  EXPECT_FALSE(l.truncated);
}

// RFC 7637 §3.2: an inner 802.1Q tag makes the frame invalid NVGRE (the decapsulator drops it).
TEST(Classifier, InnerVlanIsNotNvgre) {
  Bytes f = kNvgre;
  Insert(f, 54, {0x81, 0x00, 0x00, 0x64});
  Put16(f, 16, f.size() - 14);
  FrameLayout l = ClassifyFrame(f);
  ASSERT_FALSE(l.error);
  EXPECT_FALSE(l.is_nvgre());
  EXPECT_EQ(l.nvgre_violation, NvgreViolation::kInnerVlan);
  EXPECT_EQ(l.inner_l2.vlan_count, 1);
  EXPECT_EQ(l.inner_l3.offset, 60);  // still located
  EXPECT_EQ(l.inner_l4, 80);
}

TEST(Classifier, OuterVlanTagsAreWalked) {
  Bytes f = kNvgre;
  Insert(f, 12, {0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14});  // 802.1ad + 802.1Q
  FrameLayout l = ClassifyFrame(f);
  ASSERT_FALSE(l.error);
  EXPECT_TRUE(l.is_nvgre());
  EXPECT_EQ(l.outer_l2.vlan_count, 2);
  EXPECT_EQ(l.outer_l3.offset, 22);
  EXPECT_EQ(l.inner_l4, 84);
}

TEST(Classifier, OuterFirstFragmentIsWalkedLaterFragmentIsNot) {
  Bytes f = kNvgre;
  f[20] |= 0x20;  // MF
  FrameLayout first = ClassifyFrame(f);
  EXPECT_TRUE(first.outer_l3.is_fragment);
  EXPECT_FALSE(first.outer_l3.later_fragment);
  EXPECT_TRUE(first.gre.present());
  Bytes g = kNvgre;
  g[21] = 0x01;  // fragment offset 8 bytes
  FrameLayout later = ClassifyFrame(g);
  EXPECT_TRUE(later.outer_l3.later_fragment);
  EXPECT_FALSE(later.gre.present());
  EXPECT_FALSE(later.is_nvgre());
  EXPECT_FALSE(later.error);
}

TEST(Classifier, InnerFragmentHasNoTransportHeader) {
  Bytes f = kNvgre;
  f[62] = 0x00;
  f[63] = 0x10;  // inner fragment offset 128 bytes
  FrameLayout l = ClassifyFrame(f);
  EXPECT_TRUE(l.is_nvgre());
  EXPECT_TRUE(l.inner_l3.is_fragment);
  EXPECT_TRUE(l.inner_l3.later_fragment);
  EXPECT_EQ(l.inner_l4, kNoHeader);
  EXPECT_EQ(VerifyChecksums(f, l).inner_l4, CsumState::kAbsent);
  Bytes m = kNvgre;
  m[62] = 0x20;  // MF only: first fragment, TCP header present but checksum unverifiable
  FrameLayout lm = ClassifyFrame(m);
  EXPECT_EQ(lm.inner_l4, 76);
  EXPECT_EQ(VerifyChecksums(m, lm).inner_l4, CsumState::kUnverified);
}

TEST(Classifier, TruncatedInnerTcpHeaderStopsThere) {
  Bytes f(kNvgre.begin(), kNvgre.begin() + 80);
  FrameLayout l = ClassifyFrame(f);
  ASSERT_TRUE(l.error);
  EXPECT_EQ(l.error->error, ParseError::kTruncated);
  EXPECT_EQ(l.error->layer, Layer::kTcp);
  EXPECT_EQ(l.error->scope, Scope::kInner);
  EXPECT_EQ(l.error->offset, 76u);
  EXPECT_TRUE(l.truncated);  // the IP length fields claim 98 bytes
  EXPECT_TRUE(l.is_nvgre());  // everything up to the inner frame was read
}

TEST(Classifier, SnapLengthCutMakesL4Unverified) {
  Bytes f(kNvgre.begin(), kNvgre.begin() + 97);  // one payload byte missing
  FrameLayout l = ClassifyFrame(f);
  EXPECT_FALSE(l.error);
  EXPECT_TRUE(l.truncated);
  ChecksumReport c = VerifyChecksums(f, l);
  EXPECT_EQ(c.inner_l4, CsumState::kUnverified);
  EXPECT_EQ(c.outer_ip, CsumState::kBad);  // headers are all there: still judged
  FrameLayout w = ClassifyFrame(kNvgre, 120);  // wire length beyond the capture
  EXPECT_TRUE(w.truncated);
}

// Found by the classifier fuzzer: the inner frame ends where the outer IP packet ends, even
// when the captured frame has more bytes after it (padding, trailer).
TEST(Classifier, InnerFrameBoundedByOuterIpLength) {
  Bytes f = kNvgre;
  Put16(f, 16, 20 + 8 + 10);  // outer IPv4 total length ends 10 bytes into the inner Ethernet header
  FrameLayout l = ClassifyFrame(f);
  ASSERT_TRUE(l.error);
  EXPECT_EQ(l.error->error, ParseError::kTruncated);
  EXPECT_EQ(l.error->layer, Layer::kEthernet);
  EXPECT_EQ(l.error->scope, Scope::kInner);
  EXPECT_EQ(l.error->offset, 42u);
  EXPECT_EQ(l.outer_l3.end, 52u);
}

TEST(Classifier, ArpIsNotIp) {
  Bytes f = kNvgre;
  f[12] = 0x08;
  f[13] = 0x06;
  FrameLayout l = ClassifyFrame(f);
  EXPECT_FALSE(l.error);
  EXPECT_FALSE(l.outer_l3.present());
  EXPECT_FALSE(l.encapsulated());
}

TEST(Classifier, EmptyFrame) {
  FrameLayout l = ClassifyFrame({});
  ASSERT_TRUE(l.error);
  EXPECT_EQ(l.error->layer, Layer::kFrame);
  EXPECT_EQ(l.error->error, ParseError::kTruncated);
}

// Outer IPv6 with hop-by-hop and destination-options headers before GRE, carrying an L3 GRE
// (protocol 0x86DD) inner IPv6/UDP packet: every offset follows the chain.
TEST(Classifier, OuterIpv6ExtensionHeadersAndL3GreInnerIpv6Udp) {
  Bytes f = FromHex("0200000000010200000000028" "6dd");
  Bytes ip6 = FromHex("60000000" "0000" "00" "40");  // payload length set below, NH = 0 (HBH)
  for (int i = 0; i < 16; ++i) ip6.push_back(i == 15 ? 1 : (i == 0 ? 0x20 : 0));
  for (int i = 0; i < 16; ++i) ip6.push_back(i == 15 ? 2 : (i == 0 ? 0x20 : 0));
  Insert(f, f.size(), ip6);
  Insert(f, f.size(), FromHex("3c00010400000000"));  // HBH: NH 60, len 0 (8 bytes), PadN
  Insert(f, f.size(), FromHex("2f00010400000000"));  // DestOpts: NH 47 (GRE)
  Insert(f, f.size(), FromHex("000086dd"));          // GRE, no flags, protocol IPv6
  Bytes inner = FromHex("60000000" "000c" "11" "40");  // inner IPv6, UDP, payload 12
  for (int i = 0; i < 32; ++i) inner.push_back(static_cast<std::uint8_t>(i));
  Insert(inner, inner.size(), FromHex("1234" "0035" "000c" "0000" "61626364"));
  Insert(f, f.size(), inner);
  Put16(f, 18, f.size() - 54);
  FrameLayout l = ClassifyFrame(f);
  ASSERT_FALSE(l.error);
  EXPECT_EQ(l.outer_l3.version, 6);
  EXPECT_EQ(l.outer_l3.header_length, 56);
  EXPECT_EQ(l.outer_l3.protocol, kIpProtoGre);
  EXPECT_EQ(l.gre.offset, 70);
  EXPECT_EQ(l.encapsulation, Encapsulation::kGreIp);
  EXPECT_EQ(l.nvgre_violation, NvgreViolation::kNotTeb);
  EXPECT_FALSE(l.inner_l2.present());
  EXPECT_EQ(l.inner_l3.offset, 74);
  EXPECT_EQ(l.inner_l3.version, 6);
  EXPECT_EQ(l.inner_l4, 114);
  EXPECT_EQ(l.l4_protocol, kIpProtoUdp);
  EXPECT_EQ(l.payload, 122);
  EXPECT_FALSE(l.is_nvgre());
}

// RFC 8200 §8.1 on scapy-built frames (tests/wire/routing_header_frames.h): with a Routing
// header in transit the transport checksum covers the final destination, so the frames verify,
// a change of the Destination Address field does not matter and one of the final address does.
TEST(Classifier, RoutingHeaderPseudoHeaderUsesFinalDestination) {
  struct Case { std::span<const std::uint8_t> bytes; bool encapsulated; std::size_t dst_field, final_address; };
  const Case cases[] = {
      {nvgre::testing::kNvgreInnerV6Rh0Tcp, true, 80, 104},
      {nvgre::testing::kNvgreInnerV6Rh0Udp, true, 80, 104},
      {nvgre::testing::kNvgreInnerV6SrhTcp, true, 80, 104},
      {nvgre::testing::kPlainV6Rh0Udp, false, 38, 62},
  };
  for (const Case& c : cases) {
    Bytes f(c.bytes.begin(), c.bytes.end());
    auto l4 = [&](const Bytes& frame) {
      const FrameLayout l = ClassifyFrame(frame);
      const ChecksumReport r = VerifyChecksums(frame, l);
      return c.encapsulated ? r.inner_l4 : r.outer_l4;
    };
    const FrameLayout l = ClassifyFrame(f);
    EXPECT_EQ((c.encapsulated ? l.inner_l3 : l.outer_l3).pseudo_destination, c.final_address);
    EXPECT_EQ(l4(f), CsumState::kGood);
    f[c.dst_field + 15] ^= 0x01;
    EXPECT_EQ(l4(f), CsumState::kGood) << "the Destination Address field is not in the sum";
    f[c.dst_field + 15] ^= 0x01;
    f[c.final_address + 15] ^= 0x01;
    EXPECT_EQ(l4(f), CsumState::kBad);
  }
}

}  // namespace
}  // namespace nvgre::wire
