// Ethernet II + 802.1Q/802.1ad views: known frames from ../shared/testdata, construct, round
// trip, every prefix, tag stacks.
#include "nvgre/wire/ethernet.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace nvgre::wire {
namespace {

// Frames copied out with `tcpdump -t -nn -v -e -XX -r FILE` (tcpdump 4.99.3); see
// ../shared/testdata/SOURCES.md for where each capture came from.

// packetnet_gre_nvgre.pcap frame 1:
//   aa:bb:00:00:20:01 > aa:bb:00:00:20:02, ethertype IPv4 (0x0800), length 98: (tos 0x0, ttl 64,
//       id 0, offset 0, flags [none], proto GRE (47), length 84, bad cksum 0 (->9078)!)
//   100.0.17.1 > 100.0.17.2: GREv0, Flags [key present], key=0x12345602, proto TEB (0x6558),
//       length 64
//   aa:bb:00:00:10:01 > aa:bb:00:00:10:02, ethertype IPv4 (0x0800), length 56: (tos 0x0, ttl 64,
//       id 0, offset 0, flags [none], proto TCP (6), length 42, bad cksum 0 (->66cc)!)
//   10.0.0.1.1001 > 10.0.0.2.1002: Flags [.], cksum 0x0000 (incorrect -> 0xe7af), seq 0:2, ack
//       0, win 128, length 2
//     0x0000:  aabb 0000 2002 aabb 0000 2001 0800 4500  ..............E.
//     0x0010:  0054 0000 0000 402f 0000 6400 1101 6400  .T....@/..d...d.
//     0x0020:  1102 2000 6558 1234 5602 aabb 0000 1002  ....eX.4V.......
//     0x0030:  aabb 0000 1001 0800 4500 002a 0000 0000  ........E..*....
//     0x0040:  4006 0000 0a00 0001 0a00 0002 03e9 03ea  @...............
//     0x0050:  0000 0000 0000 0000 5010 0080 0000 0000  ........P.......
//     0x0060:  abcd                                     ..
constexpr std::array<std::uint8_t, 98> kNvgreFrame{
    0xaa, 0xbb, 0x00, 0x00, 0x20, 0x02, 0xaa, 0xbb, 0x00, 0x00, 0x20, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x00, 0x00, 0x40, 0x2f,
    0x00, 0x00, 0x64, 0x00, 0x11, 0x01, 0x64, 0x00, 0x11, 0x02, 0x20, 0x00,
    0x65, 0x58, 0x12, 0x34, 0x56, 0x02, 0xaa, 0xbb, 0x00, 0x00, 0x10, 0x02,
    0xaa, 0xbb, 0x00, 0x00, 0x10, 0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2a,
    0x00, 0x00, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x02, 0x03, 0xe9, 0x03, 0xea, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x10, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0xab, 0xcd,
};
// tcpdump_various_gre.pcap frame 11:
//   aa:bb:cc:00:02:00 > aa:bb:cc:00:01:00, ethertype 802.1Q (0x8100), length 82: vlan 1213, p 0,
//       ethertype IPv4 (0x0800), (tos 0xc0, ttl 255, id 164, offset 0, flags [none], proto GRE
//       (47), length 64)
//   10.172.64.7 > 10.172.64.6: GREv0, Flags [key present], key=0x28, proto unknown (0x8909),
//       length 44
//   gre-proto-0x8909
//     0x0000:  aabb cc00 0100 aabb cc00 0200 8100 04bd  ................
//     0x0010:  0800 45c0 0040 00a4 0000 ff2f 24c6 0aac  ..E..@...../$...
//     0x0020:  4007 0aac 4006 2000 8909 0000 0028 0800  @...@........(..
//     0x0030:  0101 0001 0000 45c0 001c 00a3 0000 ff2f  ......E......../
//     0x0040:  24eb 0aac 4006 0aac 4007 2000 0000 0000  $...@...@.......
//     0x0050:  0028                                     .(
constexpr std::array<std::uint8_t, 82> kVlanGreFrame{
    0xaa, 0xbb, 0xcc, 0x00, 0x01, 0x00, 0xaa, 0xbb, 0xcc, 0x00, 0x02, 0x00,
    0x81, 0x00, 0x04, 0xbd, 0x08, 0x00, 0x45, 0xc0, 0x00, 0x40, 0x00, 0xa4,
    0x00, 0x00, 0xff, 0x2f, 0x24, 0xc6, 0x0a, 0xac, 0x40, 0x07, 0x0a, 0xac,
    0x40, 0x06, 0x20, 0x00, 0x89, 0x09, 0x00, 0x00, 0x00, 0x28, 0x08, 0x00,
    0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x45, 0xc0, 0x00, 0x1c, 0x00, 0xa3,
    0x00, 0x00, 0xff, 0x2f, 0x24, 0xeb, 0x0a, 0xac, 0x40, 0x06, 0x0a, 0xac,
    0x40, 0x07, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28,
};
// tcpdump_various_gre.pcap frame 2:
//   aa:bb:cc:00:03:10 > 01:00:0c:cc:cc:cd, ethertype 802.1Q (0x8100), length 68: vlan 1213, p 0,
//       802.3LLC, dsap SNAP (0xaa) Individual, ssap SNAP (0xaa) Command, ctrl 0x03: oui Cisco
//       (0x00000c), pid PVST (0x010b), length 42: STP 802.1d, Config, Flags [none], bridge-id
//       84bd.aa:bb:cc:00:03:00.8002, length 42
//   message-age 0.00s, max-age 20.00s, hello-time 2.00s, forwarding-delay 15.00s
//   root-id 84bd.aa:bb:cc:00:03:00, root-pathcost 0
//     0x0000:  0100 0ccc cccd aabb cc00 0310 8100 04bd  ................
//     0x0010:  0032 aaaa 0300 000c 010b 0000 0000 0084  .2..............
//     0x0020:  bdaa bbcc 0003 0000 0000 0084 bdaa bbcc  ................
//     0x0030:  0003 0080 0200 0014 0002 000f 0000 0000  ................
//     0x0040:  0002 04bd                                ....
constexpr std::array<std::uint8_t, 68> kVlanLlcFrame{
    0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcd, 0xaa, 0xbb, 0xcc, 0x00, 0x03, 0x10,
    0x81, 0x00, 0x04, 0xbd, 0x00, 0x32, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c,
    0x01, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x84, 0xbd, 0xaa, 0xbb, 0xcc,
    0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x84, 0xbd, 0xaa, 0xbb, 0xcc,
    0x00, 0x03, 0x00, 0x80, 0x02, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x0f,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0xbd,
};
// deepflow_vmware-gre-teb.pcap frame 3:
//   54:9f:35:03:bc:a8 > 00:50:56:ae:fc:c6, ethertype IPv4 (0x0800), length 140: (tos 0x0, ttl
//       64, id 32296, offset 0, flags [none], proto GRE (47), length 126)
//   10.25.6.6 > 10.25.59.67: GREv0, Flags [key present], key=0x2000000, proto TEB (0x6558),
//       length 106
//   00:50:56:ae:0f:aa > 00:50:56:ae:2a:90, ethertype IPv4 (0x0800), length 98: (tos 0x0, ttl 64,
//       id 27330, offset 0, flags [none], proto ICMP (1), length 84)
//   172.16.6.119 > 172.16.6.1: ICMP echo reply, id 5096, seq 51712, length 64
//     0x0000:  0050 56ae fcc6 549f 3503 bca8 0800 4500  .PV...T.5.....E.
//     0x0010:  007e 7e28 0000 402f a6ae 0a19 0606 0a19  .~~(..@/........
//     0x0020:  3b43 2000 6558 0200 0000 0050 56ae 2a90  ;C..eX.....PV.*.
//     0x0030:  0050 56ae 0faa 0800 4500 0054 6ac2 0000  .PV.....E..Tj...
//     0x0040:  4001 ab4e ac10 0677 ac10 0601 0000 e71f  @..N...w........
//     0x0050:  13e8 ca00 272c f860 0000 0000 5b97 0100  ....',.`....[...
//     0x0060:  0000 0000 1011 1213 1415 1617 1819 1a1b  ................
//     0x0070:  1c1d 1e1f 2021 2223 2425 2627 2829 2a2b  .....!"#$%&'()*+
//     0x0080:  2c2d 2e2f 3031 3233 3435 3637            ,-./01234567
constexpr std::array<std::uint8_t, 140> kVmwareTebFrame{
    0x00, 0x50, 0x56, 0xae, 0xfc, 0xc6, 0x54, 0x9f, 0x35, 0x03, 0xbc, 0xa8,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x7e, 0x7e, 0x28, 0x00, 0x00, 0x40, 0x2f,
    0xa6, 0xae, 0x0a, 0x19, 0x06, 0x06, 0x0a, 0x19, 0x3b, 0x43, 0x20, 0x00,
    0x65, 0x58, 0x02, 0x00, 0x00, 0x00, 0x00, 0x50, 0x56, 0xae, 0x2a, 0x90,
    0x00, 0x50, 0x56, 0xae, 0x0f, 0xaa, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54,
    0x6a, 0xc2, 0x00, 0x00, 0x40, 0x01, 0xab, 0x4e, 0xac, 0x10, 0x06, 0x77,
    0xac, 0x10, 0x06, 0x01, 0x00, 0x00, 0xe7, 0x1f, 0x13, 0xe8, 0xca, 0x00,
    0x27, 0x2c, 0xf8, 0x60, 0x00, 0x00, 0x00, 0x00, 0x5b, 0x97, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
    0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};
// ovs_gre_decap_inputs.pcap frame 5:
//   00:1b:21:3c:ab:64 > aa:55:aa:55:00:00, ethertype IPv6 (0x86dd), length 160: (hlim 64, next-
//       header GRE (47) payload length: 106) 2001:cafe::92 > 2001:cafe::88: GREv0, Flags [key
//       present], key=0x1c8, proto TEB (0x6558), length 106
//   be:b6:f4:e1:49:4a > fe:71:d8:83:72:4f, ethertype IPv4 (0x0800), length 98: (tos 0x0, ttl 64,
//       id 47648, offset 0, flags [none], proto ICMP (1), length 84)
//   30.0.0.1 > 30.0.0.2: ICMP echo reply, id 59220, seq 3, length 64
//     0x0000:  aa55 aa55 0000 001b 213c ab64 86dd 6000  .U.U....!<.d..`.
//     0x0010:  0000 006a 2f40 2001 cafe 0000 0000 0000  ...j/@..........
//     0x0020:  0000 0000 0092 2001 cafe 0000 0000 0000  ................
//     0x0030:  0000 0000 0088 2000 6558 0000 01c8 fe71  ........eX.....q
//     0x0040:  d883 724f beb6 f4e1 494a 0800 4500 0054  ..rO....IJ..E..T
//     0x0050:  ba20 0000 4001 8486 1e00 0001 1e00 0002  ....@...........
//     0x0060:  0000 4227 e754 0003 0af3 1955 0000 0000  ..B'.T.....U....
//     0x0070:  f265 0100 0000 0000 1011 1213 1415 1617  .e..............
//     0x0080:  1819 1a1b 1c1d 1e1f 2021 2223 2425 2627  .........!"#$%&'
//     0x0090:  2829 2a2b 2c2d 2e2f 3031 3233 3435 3637  ()*+,-./01234567
constexpr std::array<std::uint8_t, 160> kOvsIpv6GreFrame{
    0xaa, 0x55, 0xaa, 0x55, 0x00, 0x00, 0x00, 0x1b, 0x21, 0x3c, 0xab, 0x64,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x6a, 0x2f, 0x40, 0x20, 0x01,
    0xca, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x92, 0x20, 0x01, 0xca, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x88, 0x20, 0x00, 0x65, 0x58, 0x00, 0x00,
    0x01, 0xc8, 0xfe, 0x71, 0xd8, 0x83, 0x72, 0x4f, 0xbe, 0xb6, 0xf4, 0xe1,
    0x49, 0x4a, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xba, 0x20, 0x00, 0x00,
    0x40, 0x01, 0x84, 0x86, 0x1e, 0x00, 0x00, 0x01, 0x1e, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x42, 0x27, 0xe7, 0x54, 0x00, 0x03, 0x0a, 0xf3, 0x19, 0x55,
    0x00, 0x00, 0x00, 0x00, 0xf2, 0x65, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
    0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
    0x34, 0x35, 0x36, 0x37,
};

std::vector<std::uint8_t> ToVector(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

// The frame with an 802.1ad S-tag (VID 100, PCP 3) then an 802.1Q C-tag (VID 200, DEI) in
// front of IPv6, and 4 payload bytes. Built by hand (no QinQ capture in the shared testdata).
constexpr std::array<std::uint8_t, 26> kQinQFrame{
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // dst, src
    0x88, 0xa8, 0x60, 0x64,                                                  // S-tag PCP 3 VID 100
    0x81, 0x00, 0x10, 0xc8,                                                  // C-tag DEI VID 200
    0x86, 0xdd,                                                              // IPv6
    0x60, 0x00, 0x00, 0x00,
};

// A frame with `tags` VLAN tags (TPID 0x8100, VID 1..tags) and ether type IPv4, 8 byte payload.
std::vector<std::uint8_t> TaggedFrame(std::size_t tags) {
  std::vector<std::uint8_t> f(12 + 4 * tags + 2 + 8, 0xee);
  for (std::size_t i = 0; i < 12; ++i) f[i] = 0x11;
  for (std::size_t i = 0; i < tags; ++i) {
    f[12 + 4 * i] = 0x81;
    f[13 + 4 * i] = 0x00;
    f[14 + 4 * i] = 0x00;
    f[15 + 4 * i] = static_cast<std::uint8_t>(i + 1);
  }
  f[12 + 4 * tags] = 0x08;
  f[13 + 4 * tags] = 0x00;
  return f;
}

TEST(EthernetView, DeconstructNvgreOuterAndInner) {
  auto eth = EthernetView::Parse(kNvgreFrame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(FormatMac(eth->destination()), "aa:bb:00:00:20:02");
  EXPECT_EQ(FormatMac(eth->source()), "aa:bb:00:00:20:01");
  EXPECT_EQ(eth->vlan_count(), 0u);
  EXPECT_EQ(eth->ether_type(), kEtherTypeIpv4);
  EXPECT_FALSE(eth->ether_type_is_length());
  EXPECT_EQ(eth->header_length(), 14u);
  EXPECT_EQ(eth->type_offset(), 12u);
  EXPECT_EQ(eth->payload().size(), 84u);
  EXPECT_EQ(eth->payload().data(), kNvgreFrame.data() + 14);
  EXPECT_EQ(eth->bytes().size(), kNvgreFrame.size());

  // The inner (NVGRE payload) Ethernet header starts after Eth 14 + IPv4 20 + GRE 8.
  auto inner = EthernetView::Parse(std::span(kNvgreFrame).subspan(42));
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->destination(), (MacAddress{0xaa, 0xbb, 0x00, 0x00, 0x10, 0x02}));
  EXPECT_EQ(FormatMac(inner->source()), "aa:bb:00:00:10:01");
  EXPECT_EQ(inner->ether_type(), kEtherTypeIpv4);
  EXPECT_EQ(inner->payload().size(), 42u);
}

TEST(EthernetView, DeconstructVmwareTeb) {
  auto eth = EthernetView::Parse(kVmwareTebFrame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(FormatMac(eth->destination()), "00:50:56:ae:fc:c6");
  EXPECT_EQ(FormatMac(eth->source()), "54:9f:35:03:bc:a8");
  EXPECT_EQ(eth->ether_type(), kEtherTypeIpv4);
  auto inner = EthernetView::Parse(std::span(kVmwareTebFrame).subspan(42));
  ASSERT_TRUE(inner);
  EXPECT_EQ(FormatMac(inner->destination()), "00:50:56:ae:2a:90");
  EXPECT_EQ(FormatMac(inner->source()), "00:50:56:ae:0f:aa");
  EXPECT_EQ(inner->vlan_count(), 0u);
  EXPECT_EQ(inner->ether_type(), kEtherTypeIpv4);
}

TEST(EthernetView, DeconstructIpv6Outer) {
  auto eth = EthernetView::Parse(kOvsIpv6GreFrame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(FormatMac(eth->destination()), "aa:55:aa:55:00:00");
  EXPECT_EQ(FormatMac(eth->source()), "00:1b:21:3c:ab:64");
  EXPECT_EQ(eth->ether_type(), kEtherTypeIpv6);
  EXPECT_EQ(eth->payload().size(), 146u);
}

TEST(EthernetView, DeconstructSingleVlanTag) {
  auto eth = EthernetView::Parse(kVlanGreFrame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(FormatMac(eth->destination()), "aa:bb:cc:00:01:00");
  EXPECT_EQ(FormatMac(eth->source()), "aa:bb:cc:00:02:00");
  ASSERT_EQ(eth->vlan_count(), 1u);
  const VlanTag tag = eth->vlan(0);
  EXPECT_EQ(tag.tpid, kEtherTypeVlan);
  EXPECT_EQ(tag.tci, 0x04bd);
  EXPECT_EQ(tag.vid(), 1213);  // tcpdump: "vlan 1213, p 0"
  EXPECT_EQ(tag.pcp(), 0);
  EXPECT_FALSE(tag.dei());
  EXPECT_EQ(eth->ether_type(), kEtherTypeIpv4);
  EXPECT_EQ(eth->type_offset(), 16u);
  EXPECT_EQ(eth->header_length(), 18u);
  EXPECT_EQ(eth->payload().size(), 64u);
  EXPECT_EQ(eth->payload()[0], 0x45);
}

// PVST+ BPDU: an 802.1Q tag followed by an 802.3 length (0x0032 = 50), not an EtherType.
TEST(EthernetView, Ieee8023LengthIsReturnedAsIs) {
  auto eth = EthernetView::Parse(kVlanLlcFrame);
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->vlan_count(), 1u);
  EXPECT_EQ(eth->ether_type(), 0x0032);
  EXPECT_TRUE(eth->ether_type_is_length());
  EXPECT_EQ(eth->payload().size(), 50u);
  EXPECT_EQ(eth->payload()[0], 0xaa);  // LLC DSAP SNAP
}

TEST(EthernetView, QinQSTagThenCTag) {
  auto eth = EthernetView::Parse(kQinQFrame);
  ASSERT_TRUE(eth);
  ASSERT_EQ(eth->vlan_count(), 2u);
  EXPECT_EQ(eth->vlan(0), (VlanTag{kEtherTypeQinQ, 0x6064}));
  EXPECT_EQ(eth->vlan(0).pcp(), 3);
  EXPECT_EQ(eth->vlan(0).vid(), 100);
  EXPECT_FALSE(eth->vlan(0).dei());
  EXPECT_EQ(eth->vlan(1), (VlanTag{kEtherTypeVlan, 0x10c8}));
  EXPECT_EQ(eth->vlan(1).pcp(), 0);
  EXPECT_TRUE(eth->vlan(1).dei());
  EXPECT_EQ(eth->vlan(1).vid(), 200);
  EXPECT_EQ(eth->ether_type(), kEtherTypeIpv6);
  EXPECT_EQ(eth->header_length(), 22u);
  EXPECT_EQ(eth->payload().size(), 4u);
  EXPECT_EQ(eth->payload()[0], 0x60);
}

TEST(EthernetView, LegacyQinQTpidAndStackedCTags) {
  std::vector<std::uint8_t> f = TaggedFrame(3);
  f[12] = 0x91;  // outer TPID 0x9100
  f[13] = 0x00;
  auto eth = EthernetView::Parse(std::span<const std::uint8_t>(f));
  ASSERT_TRUE(eth);
  ASSERT_EQ(eth->vlan_count(), 3u);
  EXPECT_EQ(eth->vlan(0).tpid, kEtherTypeQinQLegacy);
  EXPECT_EQ(eth->vlan(1).tpid, kEtherTypeVlan);
  EXPECT_EQ(eth->vlan(2).vid(), 3);
  EXPECT_EQ(eth->ether_type(), kEtherTypeIpv4);
  EXPECT_EQ(eth->header_length(), 26u);
}

TEST(EthernetView, FourTagsAcceptedFiveUnsupported) {
  std::vector<std::uint8_t> four = TaggedFrame(4);
  auto eth = EthernetView::Parse(std::span<const std::uint8_t>(four));
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->vlan_count(), 4u);
  EXPECT_EQ(eth->vlan(3).vid(), 4);
  EXPECT_EQ(eth->header_length(), 30u);
  EXPECT_EQ(eth->ether_type(), kEtherTypeIpv4);

  std::vector<std::uint8_t> five = TaggedFrame(5);
  auto bad = EthernetView::Parse(std::span<const std::uint8_t>(five));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), (ParseFailure{ParseError::kUnsupported, Layer::kVlan, Scope::kOuter, 28}));
}

TEST(EthernetView, IsVlanTpid) {
  EXPECT_TRUE(IsVlanTpid(0x8100));
  EXPECT_TRUE(IsVlanTpid(0x88a8));
  EXPECT_TRUE(IsVlanTpid(0x9100));
  EXPECT_FALSE(IsVlanTpid(kEtherTypeIpv4));
  EXPECT_FALSE(IsVlanTpid(kEtherTypeTeb));
  EXPECT_FALSE(IsVlanTpid(kEtherTypeLldp));
  EXPECT_FALSE(IsVlanTpid(0x0081));
}

// Every prefix fails with kTruncated: < 14 at the Ethernet header, then at the tag whose
// 4 bytes + following type field do not fit.
TEST(EthernetView, EveryPrefixOfQinQFrameIsTruncated) {
  for (std::size_t n = 0; n < 22; ++n) {
    std::vector<std::uint8_t> prefix(kQinQFrame.begin(), kQinQFrame.begin() + static_cast<long>(n));
    auto eth = EthernetView::Parse(std::span<const std::uint8_t>(prefix));
    ASSERT_FALSE(eth) << n;
    ParseFailure want{ParseError::kTruncated, Layer::kEthernet, Scope::kOuter, 0};
    if (n >= 14) want = {ParseError::kTruncated, Layer::kVlan, Scope::kOuter, n < 18 ? 12u : 16u};
    EXPECT_EQ(eth.error(), want) << n;
  }
  for (std::size_t n = 22; n <= kQinQFrame.size(); ++n) {
    EXPECT_TRUE(EthernetView::Parse(std::span(kQinQFrame).first(n))) << n;
  }
}

TEST(EthernetView, EveryPrefixOfUntaggedAndTaggedCaptures) {
  for (std::size_t n = 0; n < 14; ++n) {
    const std::vector<std::uint8_t> prefix = ToVector(std::span(kNvgreFrame).first(n));
    auto eth = EthernetView::Parse(prefix);
    ASSERT_FALSE(eth);
    EXPECT_EQ(eth.error(),
              (ParseFailure{ParseError::kTruncated, Layer::kEthernet, Scope::kOuter, 0}));
  }
  for (std::size_t n = 14; n < 18; ++n) {
    const std::vector<std::uint8_t> prefix = ToVector(std::span(kVlanGreFrame).first(n));
    auto eth = EthernetView::Parse(prefix);
    ASSERT_FALSE(eth);
    EXPECT_EQ(eth.error(), (ParseFailure{ParseError::kTruncated, Layer::kVlan, Scope::kOuter, 12}));
  }
  auto exact = EthernetView::Parse(std::span(kVlanGreFrame).first(18));
  ASSERT_TRUE(exact);
  EXPECT_TRUE(exact->payload().empty());
}

TEST(EthernetView, TagCutShortAtEachDepth) {
  for (std::size_t tags = 1; tags <= 4; ++tags) {
    std::vector<std::uint8_t> f = TaggedFrame(tags);
    for (std::size_t i = 0; i < tags; ++i) {
      // Cut inside tag i: after its TPID (so it is recognized), before the next type field.
      const std::size_t cut = 12 + 4 * i + 2 + 3;
      const std::vector<std::uint8_t> prefix(f.begin(), f.begin() + static_cast<long>(cut));
      auto eth = EthernetView::Parse(prefix);
      ASSERT_FALSE(eth);
      EXPECT_EQ(eth.error(), (ParseFailure{ParseError::kTruncated, Layer::kVlan, Scope::kOuter,
                                           static_cast<std::uint32_t>(12 + 4 * i)}))
          << tags << " " << i;
    }
  }
}

TEST(EthernetRepr, ConstructNvgreOuterHeader) {
  EthernetRepr r;
  r.destination = {0xaa, 0xbb, 0x00, 0x00, 0x20, 0x02};
  r.source = {0xaa, 0xbb, 0x00, 0x00, 0x20, 0x01};
  r.ether_type = kEtherTypeIpv4;
  EXPECT_EQ(r.header_length(), 14u);
  std::array<std::uint8_t, 14> out{};
  r.Emit(out);
  EXPECT_EQ(ToVector(out), ToVector(std::span(kNvgreFrame).first(14)));
  EXPECT_EQ(EthernetRepr::From(*EthernetView::Parse(kNvgreFrame)), r);
}

TEST(EthernetRepr, ConstructVlanHeader) {
  EthernetRepr r;
  r.destination = {0xaa, 0xbb, 0xcc, 0x00, 0x01, 0x00};
  r.source = {0xaa, 0xbb, 0xcc, 0x00, 0x02, 0x00};
  r.vlans[0] = VlanTag{kEtherTypeVlan, VlanTag::MakeTci(0, false, 1213)};
  r.vlan_count = 1;
  r.ether_type = kEtherTypeIpv4;
  std::array<std::uint8_t, 18> out{};
  ASSERT_EQ(r.header_length(), out.size());
  r.Emit(out);
  EXPECT_EQ(ToVector(out), ToVector(std::span(kVlanGreFrame).first(18)));
}

// Parse, From, Emit reproduces the header bytes of every known frame.
TEST(EthernetRepr, ParseFromEmitIsIdentity) {
  const std::vector<std::span<const std::uint8_t>> frames{
      kNvgreFrame, kVlanGreFrame, kVlanLlcFrame, kVmwareTebFrame, kOvsIpv6GreFrame, kQinQFrame};
  for (auto frame : frames) {
    auto eth = EthernetView::Parse(frame);
    ASSERT_TRUE(eth);
    const EthernetRepr r = EthernetRepr::From(*eth);
    std::vector<std::uint8_t> out(r.header_length(), 0xcc);
    r.Emit(out);
    EXPECT_EQ(out, ToVector(frame.first(eth->header_length())));
  }
}

TEST(EthernetRepr, EmitThenParseRoundTrip) {
  for (std::uint8_t tags = 0; tags <= EthernetRepr::kMaxVlanTags; ++tags) {
    EthernetRepr r;
    r.destination = {0x01, 0x00, 0x5e, 0x00, 0x00, tags};
    r.source = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
    for (std::uint8_t i = 0; i < tags; ++i) {
      r.vlans[i] = VlanTag{i == 0 ? kEtherTypeQinQ : kEtherTypeVlan,
                           VlanTag::MakeTci(static_cast<std::uint8_t>(i + 4), i % 2 == 1,
                                            static_cast<std::uint16_t>(4095 - i))};
    }
    r.vlan_count = tags;
    r.ether_type = kEtherTypeTeb;
    std::vector<std::uint8_t> buf(r.header_length() + 10, 0x5a);
    r.Emit(buf);
    EXPECT_EQ(buf.back(), 0x5a);  // nothing written past the header
    auto eth = EthernetView::Parse(std::span<const std::uint8_t>(buf));
    ASSERT_TRUE(eth);
    EXPECT_EQ(eth->vlan_count(), tags);
    EXPECT_EQ(eth->header_length(), 14u + 4u * tags);
    EXPECT_EQ(eth->payload().size(), 10u);
    EXPECT_EQ(EthernetRepr::From(*eth), r);
  }
}

TEST(EthernetMutView, SettersRewriteInPlace) {
  std::vector<std::uint8_t> f(kQinQFrame.begin(), kQinQFrame.end());
  auto eth = EthernetMutView::Parse(std::span<std::uint8_t>(f));
  ASSERT_TRUE(eth);
  eth->set_destination({0xfe, 0x71, 0xd8, 0x83, 0x72, 0x4f});
  eth->set_source({0xbe, 0xb6, 0xf4, 0xe1, 0x49, 0x4a});
  eth->set_ether_type(kEtherTypeIpv4);  // the type after the tags
  eth->set_vlan_tci(1, VlanTag::MakeTci(7, false, 42));
  EXPECT_EQ(f[12], 0x88);  // S-tag TPID untouched
  EXPECT_EQ(f[13], 0xa8);
  EXPECT_EQ(f[20], 0x08);
  EXPECT_EQ(f[21], 0x00);
  EXPECT_EQ(f[18], 0xe0);  // PCP 7, DEI 0, VID 42 = 0xe02a
  EXPECT_EQ(f[19], 0x2a);

  const EthernetView ro = *eth;  // a read/write view converts to a read-only one
  EXPECT_EQ(FormatMac(ro.destination()), "fe:71:d8:83:72:4f");
  EXPECT_EQ(FormatMac(ro.source()), "be:b6:f4:e1:49:4a");
  EXPECT_EQ(ro.vlan_count(), 2u);
  EXPECT_EQ(ro.vlan(1).vid(), 42);
  EXPECT_EQ(ro.vlan(1).pcp(), 7);
  EXPECT_EQ(ro.ether_type(), kEtherTypeIpv4);
}

TEST(EthernetMutView, UncheckedForEmission) {
  std::array<std::uint8_t, 18> buf{};
  EthernetRepr r;
  r.vlans[0] = VlanTag{kEtherTypeVlan, 5};
  r.vlan_count = 1;
  r.Emit(buf);
  auto v = EthernetMutView::Unchecked(buf, 1);
  v.set_ether_type(kEtherTypeArp);
  EXPECT_EQ(buf[16], 0x08);
  EXPECT_EQ(buf[17], 0x06);
  EXPECT_EQ(v.vlan(0).vid(), 5);
}

TEST(EthernetFormatMac, LowercaseColonSeparated) {
  EXPECT_EQ(FormatMac({0xAA, 0xBB, 0x00, 0x00, 0x10, 0x01}), "aa:bb:00:00:10:01");
  EXPECT_EQ(FormatMac({0, 0, 0, 0, 0, 0}), "00:00:00:00:00:00");
  EXPECT_EQ(FormatMac({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(FormatMac({0x01, 0x23, 0x45, 0x67, 0x89, 0xab}), "01:23:45:67:89:ab");
}

TEST(EthernetVlanTag, Fields) {
  constexpr VlanTag t{kEtherTypeVlan, VlanTag::MakeTci(5, true, 0xabc)};
  static_assert(t.tci == 0xbabc);
  static_assert(t.pcp() == 5 && t.dei() && t.vid() == 0xabc);
  EXPECT_EQ(VlanTag::MakeTci(7, true, 4095), 0xffff);
  EXPECT_EQ(VlanTag::MakeTci(0, false, 0), 0);
}

}  // namespace
}  // namespace nvgre::wire
