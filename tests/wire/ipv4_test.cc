// IPv4 views (RFC 791): known packets from ../shared/testdata, construct, round trip, every
// prefix, corrupted lengths and versions, Total Length 0 (LSOv2 / BIG TCP), snap-length cuts.
#include "nvgre/wire/ipv4.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "nvgre/wire/checksum.h"

namespace nvgre::wire {
namespace {

// Frames copied out with `tcpdump -t -nn -v -e -XX -r FILE` (tcpdump 4.99.3); see
// ../shared/testdata/SOURCES.md for where each capture came from. Every IPv4 header below
// starts at frame offset 14.

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
// dpdk_test_cksum.pcap frame 5:
//   00:00:00:00:00:00 > ff:ff:ff:ff:ff:ff, ethertype IPv4 (0x0800), length 47: (tos 0x0, ttl 64,
//       id 1, offset 0, flags [none], proto UDP (17), length 33, options (EOL))
//   127.0.0.1.53 > 127.0.0.1.53: domain [length 1 < 12] (invalid)
//     0x0000:  ffff ffff ffff 0000 0000 0000 0800 4600  ..............F.
//     0x0010:  0021 0001 0000 4011 7bc9 7f00 0001 7f00  .!....@.{.......
//     0x0020:  0001 0000 0000 0035 0035 0009 896f 78    .......5.5...ox
constexpr std::array<std::uint8_t, 47> kDpdkIpv4OptionsFrame{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x46, 0x00, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11,
    0x7b, 0xc9, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x35, 0x00, 0x35, 0x00, 0x09, 0x89, 0x6f, 0x78,
};
// dpdk_test_cksum.pcap frame 3:
//   00:00:00:00:00:00 > ff:ff:ff:ff:ff:ff, ethertype IPv4 (0x0800), length 43: (tos 0x0, ttl 64,
//       id 1, offset 0, flags [none], proto UDP (17), length 29)
//   127.0.0.1.53 > 127.0.0.1.53: domain [length 1 < 12] (invalid)
//     0x0000:  ffff ffff ffff 0000 0000 0000 0800 4500  ..............E.
//     0x0010:  001d 0001 0000 4011 7ccd 7f00 0001 7f00  ......@.|.......
//     0x0020:  0001 0035 0035 0009 896f 78              ...5.5...ox
constexpr std::array<std::uint8_t, 43> kDpdkIpv4UdpFrame{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x1d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11,
    0x7c, 0xcd, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x35,
    0x00, 0x35, 0x00, 0x09, 0x89, 0x6f, 0x78,
};
// tcpdump_bigtcp-ipv4.pcap frame 1 (first 80 bytes):
//   b8:ce:f6:04:8b:14 > 06:00:de:ad:be:ef, ethertype IPv4 (0x0800), length 80066: bad-len 0
//     0x0000:  0600 dead beef b8ce f604 8b14 0800 4500  ..............E.
//     0x0010:  0000 2eff 4000 4006 efae 0a19 840d 0a19  ....@.@.........
//     0x0020:  840b 8c1f 8e49 f7ad bd8e 0103 c225 8018  .....I.......%..
//     0x0030:  027b 54f2 0000 0101 080a e9b7 eb15 bbed  .{T.............
//     0x0040:  eb2f 6e65 7470 6572 6600 6e65 7470 6572  ./netperf.netper
constexpr std::array<std::uint8_t, 80> kBigTcpIpv4Prefix{
    0x06, 0x00, 0xde, 0xad, 0xbe, 0xef, 0xb8, 0xce, 0xf6, 0x04, 0x8b, 0x14,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x00, 0x2e, 0xff, 0x40, 0x00, 0x40, 0x06,
    0xef, 0xae, 0x0a, 0x19, 0x84, 0x0d, 0x0a, 0x19, 0x84, 0x0b, 0x8c, 0x1f,
    0x8e, 0x49, 0xf7, 0xad, 0xbd, 0x8e, 0x01, 0x03, 0xc2, 0x25, 0x80, 0x18,
    0x02, 0x7b, 0x54, 0xf2, 0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xe9, 0xb7,
    0xeb, 0x15, 0xbb, 0xed, 0xeb, 0x2f, 0x6e, 0x65, 0x74, 0x70, 0x65, 0x72,
    0x66, 0x00, 0x6e, 0x65, 0x74, 0x70, 0x65, 0x72,
};
// tcpdump_ipv4_tcp_http_xml_tso.pcap frame 1 (first 64 bytes):
//   78:e7:d1:64:f8:00 > 00:00:0c:07:ac:01, ethertype IPv4 (0x0800), length 2030: bad-len 0
//     0x0000:  0000 0c07 ac01 78e7 d164 f800 0800 4500  ......x..d....E.
//     0x0010:  0000 42c9 4000 8006 0000 1e07 b579 c72b  ..B.@........y.+
//     0x0020:  44a3 9a84 1f90 70bb 89c8 2b5b 50d7 5018  D.....p...+[P.P.
//     0x0030:  0100 df55 0000 504f 5354 2068 7474 703a  ...U..POST.http:
constexpr std::array<std::uint8_t, 64> kLsoV2Prefix{
    0x00, 0x00, 0x0c, 0x07, 0xac, 0x01, 0x78, 0xe7, 0xd1, 0x64, 0xf8, 0x00,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x00, 0x42, 0xc9, 0x40, 0x00, 0x80, 0x06,
    0x00, 0x00, 0x1e, 0x07, 0xb5, 0x79, 0xc7, 0x2b, 0x44, 0xa3, 0x9a, 0x84,
    0x1f, 0x90, 0x70, 0xbb, 0x89, 0xc8, 0x2b, 0x5b, 0x50, 0xd7, 0x50, 0x18,
    0x01, 0x00, 0xdf, 0x55, 0x00, 0x00, 0x50, 0x4f, 0x53, 0x54, 0x20, 0x68,
    0x74, 0x74, 0x70, 0x3a,
};

constexpr std::size_t kEth = 14;

std::vector<std::uint8_t> ToVector(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

template <std::size_t N>
std::vector<std::uint8_t> IpOf(const std::array<std::uint8_t, N>& frame) {
  return {frame.begin() + kEth, frame.end()};
}

// The first record of a classic pcap file (little-endian, microsecond or nanosecond magic), or
// an empty vector when the file cannot be read.
std::vector<std::uint8_t> ReadFirstPcapFrame(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> d((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (d.size() < 40) return {};
  auto le32 = [&](std::size_t o) {
    return std::uint32_t{d[o]} | std::uint32_t{d[o + 1]} << 8 | std::uint32_t{d[o + 2]} << 16 |
           std::uint32_t{d[o + 3]} << 24;
  };
  const std::uint32_t magic = le32(0);
  if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return {};
  const std::size_t caplen = le32(24 + 8);
  if (d.size() < 40 + caplen) return {};
  return {d.begin() + 40, d.begin() + 40 + static_cast<long>(caplen)};
}

TEST(Ipv4View, DeconstructNvgreOuterWithZeroChecksum) {
  const auto bytes = IpOf(kNvgreFrame);
  auto ip = Ipv4View::Parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->version(), 4);
  EXPECT_EQ(ip->ihl_words(), 5);
  EXPECT_EQ(ip->header_length(), 20u);
  EXPECT_EQ(ip->tos(), 0);
  EXPECT_EQ(ip->total_length(), 84);
  EXPECT_EQ(ip->packet_length(), 84u);
  EXPECT_FALSE(ip->total_length_zero());
  EXPECT_FALSE(ip->truncated());
  EXPECT_EQ(ip->identification(), 0);
  EXPECT_FALSE(ip->dont_fragment());
  EXPECT_FALSE(ip->more_fragments());
  EXPECT_EQ(ip->fragment_offset(), 0u);
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), kIpProtoGre);
  EXPECT_EQ(ip->header_checksum(), 0);
  EXPECT_FALSE(ip->header_checksum_valid());  // tcpdump: "bad cksum 0 (->9078)!"
  EXPECT_EQ(FormatIpv4(ip->source()), "100.0.17.1");
  EXPECT_EQ(ip->destination(), (Ipv4Address{100, 0, 17, 2}));
  EXPECT_TRUE(ip->options().empty());
  ASSERT_EQ(ip->payload().size(), 64u);
  EXPECT_EQ(ip->payload()[0], 0x20);  // GRE flags: K

  // Inner IPv4 after GRE 8 + inner Ethernet 14: 10.0.0.1 > 10.0.0.2, TCP, length 42.
  auto inner = Ipv4View::Parse(ip->payload().subspan(8 + 14));
  ASSERT_TRUE(inner);
  EXPECT_EQ(FormatIpv4(inner->source()), "10.0.0.1");
  EXPECT_EQ(FormatIpv4(inner->destination()), "10.0.0.2");
  EXPECT_EQ(inner->protocol(), kIpProtoTcp);
  EXPECT_EQ(inner->total_length(), 42);
  EXPECT_EQ(inner->payload().size(), 22u);  // TCP 20 + "ab cd"
  EXPECT_FALSE(inner->header_checksum_valid());
}

TEST(Ipv4View, FillHeaderChecksumMatchesTcpdump) {
  std::vector<std::uint8_t> bytes = IpOf(kNvgreFrame);
  auto ip = Ipv4MutView::Parse(std::span<std::uint8_t>(bytes));
  ASSERT_TRUE(ip);
  ip->FillHeaderChecksum();
  EXPECT_EQ(ip->header_checksum(), 0x9078);  // tcpdump: "(->9078)"
  EXPECT_TRUE(ip->header_checksum_valid());
  EXPECT_EQ(bytes[10], 0x90);
  EXPECT_EQ(bytes[11], 0x78);

  auto inner = Ipv4MutView::Parse(ip->payload().subspan(8 + 14));
  ASSERT_TRUE(inner);
  inner->FillHeaderChecksum();
  EXPECT_EQ(inner->header_checksum(), 0x66cc);  // tcpdump: "(->66cc)"
  EXPECT_TRUE(inner->header_checksum_valid());
}

TEST(Ipv4View, DeconstructVmwareTebOuterAndInner) {
  const auto bytes = IpOf(kVmwareTebFrame);
  auto ip = Ipv4View::Parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->identification(), 32296);
  EXPECT_EQ(ip->total_length(), 126);
  EXPECT_EQ(ip->header_checksum(), 0xa6ae);
  EXPECT_TRUE(ip->header_checksum_valid());
  EXPECT_EQ(ip->protocol(), kIpProtoGre);
  EXPECT_EQ(FormatIpv4(ip->source()), "10.25.6.6");
  EXPECT_EQ(FormatIpv4(ip->destination()), "10.25.59.67");
  EXPECT_EQ(ip->payload().size(), 106u);

  auto inner = Ipv4View::Parse(ip->payload().subspan(8 + 14));
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->identification(), 27330);
  EXPECT_EQ(inner->protocol(), kIpProtoIcmp);
  EXPECT_EQ(inner->header_checksum(), 0xab4e);
  EXPECT_TRUE(inner->header_checksum_valid());
  EXPECT_EQ(FormatIpv4(inner->source()), "172.16.6.119");
  EXPECT_EQ(FormatIpv4(inner->destination()), "172.16.6.1");
  EXPECT_EQ(inner->payload().size(), 64u);
}

TEST(Ipv4View, DeconstructVlanTaggedDscp) {
  const std::vector<std::uint8_t> bytes(kVlanGreFrame.begin() + 18, kVlanGreFrame.end());
  auto ip = Ipv4View::Parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->tos(), 0xc0);
  EXPECT_EQ(ip->dscp(), 48);  // CS6
  EXPECT_EQ(ip->ecn(), 0);
  EXPECT_EQ(ip->identification(), 164);
  EXPECT_EQ(ip->ttl(), 255);
  EXPECT_EQ(ip->header_checksum(), 0x24c6);
  EXPECT_TRUE(ip->header_checksum_valid());
  EXPECT_EQ(FormatIpv4(ip->source()), "10.172.64.7");
  EXPECT_EQ(ip->payload().size(), 44u);
}

TEST(Ipv4View, DeconstructOptions) {
  const auto bytes = IpOf(kDpdkIpv4OptionsFrame);
  auto ip = Ipv4View::Parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->ihl_words(), 6);
  EXPECT_EQ(ip->header_length(), 24u);
  EXPECT_EQ(ToVector(ip->options()), (std::vector<std::uint8_t>{0, 0, 0, 0}));  // EOL
  EXPECT_EQ(ip->total_length(), 33);
  EXPECT_EQ(ip->header_checksum(), 0x7bc9);
  EXPECT_TRUE(ip->header_checksum_valid());
  EXPECT_EQ(ip->protocol(), kIpProtoUdp);
  ASSERT_EQ(ip->payload().size(), 9u);
  EXPECT_EQ(ip->payload()[8], 0x78);
}

// payload() stops at Total Length: Ethernet pads this 43-byte frame to 60 on the wire.
TEST(Ipv4View, PayloadExcludesEthernetPadding) {
  std::vector<std::uint8_t> bytes = IpOf(kDpdkIpv4UdpFrame);
  bytes.resize(60 - kEth, 0x00);
  auto ip = Ipv4View::Parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->total_length(), 29);
  EXPECT_EQ(ip->packet_length(), 29u);
  EXPECT_EQ(ip->bytes().size(), 46u);
  EXPECT_EQ(ip->payload().size(), 9u);
  EXPECT_EQ(ip->payload().data() + 9, bytes.data() + 29);
}

// Linux BIG TCP: Total Length 0, the packet is the rest of the frame (80066 - 14 bytes).
TEST(Ipv4View, BigTcpTotalLengthZero) {
  const auto prefix = IpOf(kBigTcpIpv4Prefix);
  auto ip = Ipv4View::Parse(prefix);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->total_length_zero());
  EXPECT_EQ(ip->total_length(), 0);
  EXPECT_FALSE(ip->truncated());
  EXPECT_EQ(ip->packet_length(), prefix.size());
  EXPECT_EQ(ip->payload().size(), prefix.size() - 20);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->identification(), 0x2eff);
  EXPECT_EQ(ip->protocol(), kIpProtoTcp);
  EXPECT_TRUE(ip->header_checksum_valid());  // computed over a Total Length of 0
  EXPECT_EQ(FormatIpv4(ip->source()), "10.25.132.13");

  const auto frame = ReadFirstPcapFrame(std::string(NVGRE_SHARED_TESTDATA_DIR) +
                                        "/tcpdump_bigtcp-ipv4.pcap");
  if (frame.empty()) GTEST_SKIP() << "shared testdata not available";
  ASSERT_EQ(frame.size(), 80066u);
  auto full = Ipv4View::Parse(std::span(frame).subspan(kEth));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->packet_length(), 80052u);
  EXPECT_EQ(full->payload().size(), 80032u);
}

// NDIS LSOv2 send captured on the host: Total Length 0, header checksum left 0 for offload.
TEST(Ipv4View, LsoV2TotalLengthZero) {
  const auto prefix = IpOf(kLsoV2Prefix);
  auto ip = Ipv4View::Parse(prefix);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->total_length_zero());
  EXPECT_EQ(ip->ttl(), 128);
  EXPECT_EQ(ip->header_checksum(), 0);
  EXPECT_EQ(ip->packet_length(), prefix.size());

  const auto frame = ReadFirstPcapFrame(std::string(NVGRE_SHARED_TESTDATA_DIR) +
                                        "/tcpdump_ipv4_tcp_http_xml_tso.pcap");
  if (frame.empty()) GTEST_SKIP() << "shared testdata not available";
  auto full = Ipv4View::Parse(std::span(frame).subspan(kEth));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->packet_length(), 2016u);
  EXPECT_EQ(full->payload().size(), 1996u);  // TCP 20 + 1976 bytes of HTTP
}

TEST(Ipv4View, EveryPrefixIsTruncated) {
  for (const auto& frame : {ToVector(kVmwareTebFrame), ToVector(kDpdkIpv4OptionsFrame)}) {
    const std::span<const std::uint8_t> ip = std::span(frame).subspan(kEth);
    for (std::size_t n = 0; n < ip.size(); ++n) {
      const std::vector<std::uint8_t> prefix = ToVector(ip.first(n));  // exact size for ASan
      auto v = Ipv4View::Parse(prefix);
      ASSERT_FALSE(v) << n;
      EXPECT_EQ(v.error(), (ParseFailure{ParseError::kTruncated, Layer::kIpv4, Scope::kOuter, 0}))
          << n;
    }
    EXPECT_TRUE(Ipv4View::Parse(ip));
  }
}

// A snap-length cut: the header must be whole, the Total Length may reach past the span.
TEST(Ipv4View, MayBeTruncatedAcceptsSnapLengthCut) {
  const auto bytes = IpOf(kVmwareTebFrame);  // IHL 5, Total Length 126
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<std::uint8_t> prefix = ToVector(std::span(bytes).first(n));
    auto v = Ipv4View::Parse(prefix, Capture::kMayBeTruncated);
    if (n < 20) {
      ASSERT_FALSE(v) << n;
      EXPECT_EQ(v.error(), (ParseFailure{ParseError::kTruncated, Layer::kIpv4, Scope::kOuter, 0}));
      continue;
    }
    ASSERT_TRUE(v) << n;
    EXPECT_TRUE(v->truncated());
    EXPECT_EQ(v->total_length(), 126);
    EXPECT_EQ(v->packet_length(), n);
    EXPECT_EQ(v->payload().size(), n - 20);
  }
  auto whole = Ipv4View::Parse(bytes, Capture::kMayBeTruncated);
  ASSERT_TRUE(whole);
  EXPECT_FALSE(whole->truncated());
  // Options cut short are still an error: IHL 6 needs 24 bytes.
  const auto opts = IpOf(kDpdkIpv4OptionsFrame);
  EXPECT_FALSE(Ipv4View::Parse(std::span(opts).first(23), Capture::kMayBeTruncated));
  EXPECT_TRUE(Ipv4View::Parse(std::span(opts).first(24), Capture::kMayBeTruncated));
}

ParseFailure Ipv4Error(ParseError e) { return {e, Layer::kIpv4, Scope::kOuter, 0}; }

TEST(Ipv4View, CorruptIhl) {
  std::vector<std::uint8_t> b = IpOf(kVmwareTebFrame);
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    b[0] = static_cast<std::uint8_t>(0x40 | ihl);
    auto v = Ipv4View::Parse(b);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error(), Ipv4Error(ParseError::kBadHeaderLength)) << int{ihl};
  }
  b[0] = 0x4f;  // 60-byte header, Total Length 126: fine (options are whatever follows)
  auto v15 = Ipv4View::Parse(b);
  ASSERT_TRUE(v15);
  EXPECT_EQ(v15->header_length(), 60u);
  EXPECT_EQ(v15->options().size(), 40u);
  EXPECT_EQ(v15->payload().size(), 66u);
  // IHL 15 in a 40-byte span: the header itself is cut short.
  auto cut = Ipv4View::Parse(std::span(b).first(40));
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error(), Ipv4Error(ParseError::kTruncated));
}

TEST(Ipv4View, CorruptTotalLength) {
  std::vector<std::uint8_t> b = IpOf(kDpdkIpv4OptionsFrame);  // IHL 6, 33 bytes
  auto with_total = [&](std::uint16_t total) {
    b[2] = static_cast<std::uint8_t>(total >> 8);
    b[3] = static_cast<std::uint8_t>(total);
    return Ipv4View::Parse(b);
  };
  for (int t : {1, 19, 20, 23}) {
    auto v = with_total(static_cast<std::uint16_t>(t));
    ASSERT_FALSE(v) << t;
    EXPECT_EQ(v.error(), Ipv4Error(ParseError::kLengthMismatch)) << t;
  }
  auto hdr_only = with_total(24);
  ASSERT_TRUE(hdr_only);
  EXPECT_TRUE(hdr_only->payload().empty());
  auto v34 = with_total(34);
  ASSERT_FALSE(v34);
  EXPECT_EQ(v34.error(), Ipv4Error(ParseError::kTruncated));
  auto max = with_total(0xffff);
  ASSERT_FALSE(max);
  EXPECT_EQ(max.error(), Ipv4Error(ParseError::kTruncated));
  auto zero = with_total(0);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->total_length_zero());
  EXPECT_EQ(zero->packet_length(), 33u);
  // kMayBeTruncated relaxes only "beyond the span", not "smaller than the header".
  b[2] = 0;
  b[3] = 23;
  auto small = Ipv4View::Parse(b, Capture::kMayBeTruncated);
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error(), Ipv4Error(ParseError::kLengthMismatch));
}

TEST(Ipv4View, BadVersion) {
  std::vector<std::uint8_t> b = IpOf(kVmwareTebFrame);
  for (int version : {0, 1, 5, 6, 15}) {
    b[0] = static_cast<std::uint8_t>((version << 4) | 5);
    auto v = Ipv4View::Parse(b);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error(), Ipv4Error(ParseError::kBadVersion)) << version;
  }
  // Order: the version is checked before the IHL, the fixed part before both.
  b[0] = 0x60;
  EXPECT_EQ(Ipv4View::Parse(b).error(), Ipv4Error(ParseError::kBadVersion));
  EXPECT_EQ(Ipv4View::Parse(std::span(b).first(19)).error(), Ipv4Error(ParseError::kTruncated));
}

TEST(Ipv4View, FragmentFields) {
  std::vector<std::uint8_t> b = IpOf(kDpdkIpv4UdpFrame);
  auto ip = Ipv4MutView::Parse(std::span<std::uint8_t>(b));
  ASSERT_TRUE(ip);
  ip->set_flags_fragment(false, true, 0);  // first fragment
  EXPECT_TRUE(ip->more_fragments());
  EXPECT_TRUE(ip->is_fragment());
  EXPECT_EQ(ip->fragment_offset(), 0u);
  ip->set_flags_fragment(false, false, 1480);  // last fragment
  EXPECT_EQ(b[6], 0x00);
  EXPECT_EQ(b[7], 0xb9);  // 1480 / 8 = 185
  EXPECT_EQ(ip->fragment_offset(), 1480u);
  EXPECT_FALSE(ip->more_fragments());
  EXPECT_TRUE(ip->is_fragment());
  ip->set_flags_fragment(true, false, 0);
  EXPECT_EQ(b[6], 0x40);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->is_fragment());
  ip->set_flags_fragment(true, true, 65528);  // the largest offset
  EXPECT_EQ(b[6], 0x7f);
  EXPECT_EQ(b[7], 0xff);
  EXPECT_EQ(ip->fragment_offset(), 65528u);
  EXPECT_FALSE(ip->reserved_flag());
  b[6] |= 0x80;
  EXPECT_TRUE(ip->reserved_flag());
  EXPECT_EQ(ip->fragment_offset(), 65528u);  // the reserved bit is not part of the offset
}

TEST(Ipv4MutView, SettersAndChecksum) {
  std::vector<std::uint8_t> b = IpOf(kVmwareTebFrame);
  auto ip = Ipv4MutView::Parse(std::span<std::uint8_t>(b));
  ASSERT_TRUE(ip);
  ip->set_dscp(46);  // EF
  EXPECT_EQ(ip->tos(), 0xb8);
  ip->set_ecn(3);  // CE, DSCP kept
  EXPECT_EQ(ip->tos(), 0xbb);
  EXPECT_EQ(ip->dscp(), 46);
  ip->set_dscp(0);  // ECN kept
  EXPECT_EQ(ip->ecn(), 3);
  ip->set_tos(0x10);
  EXPECT_EQ(ip->dscp(), 4);
  ip->set_identification(0xbeef);
  ip->set_ttl(1);
  ip->set_protocol(kIpProtoUdp);
  ip->set_source({192, 0, 2, 1});
  ip->set_destination({198, 51, 100, 7});
  ip->set_total_length(100);
  EXPECT_FALSE(ip->header_checksum_valid());
  ip->FillHeaderChecksum();
  EXPECT_TRUE(ip->header_checksum_valid());
  // Independent check of the stored value against the RFC 1071 reference loop.
  std::vector<std::uint8_t> h(b.begin(), b.begin() + 20);
  h[10] = h[11] = 0;
  EXPECT_EQ(ip->header_checksum(), Complement(OnesSumReference(h)));
  ip->set_header_checksum(0x1234);
  EXPECT_EQ(b[10], 0x12);
  EXPECT_EQ(b[11], 0x34);

  const Ipv4View ro = *ip;  // a read/write view converts to a read-only one
  EXPECT_EQ(FormatIpv4(ro.source()), "192.0.2.1");
  EXPECT_EQ(FormatIpv4(ro.destination()), "198.51.100.7");
  EXPECT_EQ(ro.identification(), 0xbeef);
  EXPECT_EQ(ro.ttl(), 1);
  EXPECT_EQ(ro.protocol(), kIpProtoUdp);
  EXPECT_EQ(ro.packet_length(), 100u);
  EXPECT_EQ(ro.source_bytes()[0], 192);
  EXPECT_EQ(ro.destination_bytes()[3], 7);
}

// The outer header of the VMware capture, built from its fields.
TEST(Ipv4Repr, ConstructVmwareOuterHeader) {
  Ipv4Repr r;
  r.total_length = 126;
  r.identification = 32296;
  r.ttl = 64;
  r.protocol = kIpProtoGre;
  r.source = {10, 25, 6, 6};
  r.destination = {10, 25, 59, 67};
  std::array<std::uint8_t, 20> out{};
  r.Emit(out);
  EXPECT_EQ(ToVector(out), ToVector(std::span(kVmwareTebFrame).subspan(kEth, 20)));
  EXPECT_EQ(Ipv4Repr::From(*Ipv4View::Parse(IpOf(kVmwareTebFrame))), r);
}

TEST(Ipv4Repr, ConstructWithOptions) {
  Ipv4Repr r;
  r.total_length = 33;
  r.identification = 1;
  r.protocol = kIpProtoUdp;
  r.source = {127, 0, 0, 1};
  r.destination = {127, 0, 0, 1};
  r.options_length = 4;  // one EOL + padding
  ASSERT_EQ(r.header_length(), 24u);
  std::array<std::uint8_t, 24> out{};
  out.fill(0xcc);
  r.Emit(out);
  EXPECT_EQ(ToVector(out), ToVector(std::span(kDpdkIpv4OptionsFrame).subspan(kEth, 24)));
}

// Parse, From, Emit reproduces every header whose checksum was valid; the zero-checksum
// packetnet header comes back with the checksum tcpdump computes.
TEST(Ipv4Repr, ParseFromEmit) {
  for (const auto& frame : {ToVector(kVmwareTebFrame), ToVector(kDpdkIpv4OptionsFrame),
                            ToVector(kDpdkIpv4UdpFrame), ToVector(kBigTcpIpv4Prefix)}) {
    const auto ip = Ipv4View::Parse(std::span(frame).subspan(kEth));
    ASSERT_TRUE(ip);
    const Ipv4Repr r = Ipv4Repr::From(*ip);
    std::vector<std::uint8_t> out(r.header_length());
    r.Emit(out);
    EXPECT_EQ(out, ToVector(ip->header()));
  }
  const auto bytes = IpOf(kNvgreFrame);
  const auto ip = Ipv4View::Parse(bytes);
  ASSERT_TRUE(ip);
  std::array<std::uint8_t, 20> out{};
  Ipv4Repr::From(*ip).Emit(out);
  EXPECT_EQ(out[10], 0x90);
  EXPECT_EQ(out[11], 0x78);
}

TEST(Ipv4Repr, EmitThenParseRoundTrip) {
  for (std::uint8_t opt_len = 0; opt_len <= Ipv4Repr::kMaxOptionsLength; opt_len += 4) {
    Ipv4Repr r;
    r.tos = static_cast<std::uint8_t>(0xb8 | (opt_len & 3));
    r.identification = static_cast<std::uint16_t>(0xfff0 + opt_len);
    r.dont_fragment = opt_len % 8 == 0;
    r.more_fragments = opt_len % 8 != 0;
    r.fragment_offset = static_cast<std::uint16_t>(opt_len * 8 * 100);
    r.ttl = static_cast<std::uint8_t>(255 - opt_len);
    r.protocol = kIpProtoTcp;
    r.source = {10, 0, 0, opt_len};
    r.destination = {192, 168, 255, 254};
    for (std::uint8_t i = 0; i < opt_len; ++i) r.options[i] = static_cast<std::uint8_t>(i | 1);
    r.options_length = opt_len;
    r.total_length = static_cast<std::uint16_t>(r.header_length() + 8);
    std::vector<std::uint8_t> buf(r.total_length, 0xee);
    r.Emit(buf);
    auto ip = Ipv4View::Parse(std::span<const std::uint8_t>(buf));
    ASSERT_TRUE(ip) << int{opt_len};
    EXPECT_EQ(ip->header_length(), 20u + opt_len);
    EXPECT_TRUE(ip->header_checksum_valid());
    EXPECT_EQ(ip->payload().size(), 8u);
    EXPECT_EQ(ip->payload()[0], 0xee);
    EXPECT_EQ(Ipv4Repr::From(*ip), r);
  }
}

TEST(Ipv4Format, DottedQuad) {
  EXPECT_EQ(FormatIpv4({0, 0, 0, 0}), "0.0.0.0");
  EXPECT_EQ(FormatIpv4({255, 255, 255, 255}), "255.255.255.255");
  EXPECT_EQ(FormatIpv4({100, 0, 17, 1}), "100.0.17.1");
  EXPECT_EQ(FormatIpv4({1, 22, 133, 9}), "1.22.133.9");
}

TEST(Ipv4Protocol, Numbers) {
  EXPECT_EQ(kIpProtoIcmp, 1);
  EXPECT_EQ(kIpProtoIpv4, 4);
  EXPECT_EQ(kIpProtoTcp, 6);
  EXPECT_EQ(kIpProtoUdp, 17);
  EXPECT_EQ(kIpProtoIpv6, 41);
  EXPECT_EQ(kIpProtoGre, 47);
  EXPECT_EQ(kIpProtoEsp, 50);
  EXPECT_EQ(kIpProtoAh, 51);
  EXPECT_EQ(kIpProtoIcmpv6, 58);
}

}  // namespace
}  // namespace nvgre::wire
