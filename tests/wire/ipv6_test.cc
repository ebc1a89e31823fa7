// IPv6 views (RFC 8200): known packets from ../shared/testdata, construct, round trip, every
// prefix, corrupted lengths and versions, extension header chains (§4), RFC 5952 text.
#include "nvgre/wire/ipv6.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace nvgre::wire {
namespace {

// Frames copied out with `tcpdump -t -nn -v -e -XX -r FILE` (tcpdump 4.99.3); see
// ../shared/testdata/SOURCES.md for where each capture came from.

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
// dpdk_test_cksum.pcap frame 4:
//   00:00:00:00:00:00 > ff:ff:ff:ff:ff:ff, ethertype IPv6 (0x86dd), length 63: (hlim 64, next-
//       header UDP (17) payload length: 9) ::1.53 > ::1.53: [udp sum ok] domain [length 1 < 12]
//       (invalid)
//     0x0000:  ffff ffff ffff 0000 0000 0000 86dd 6000  ..............`.
//     0x0010:  0000 0009 1140 0000 0000 0000 0000 0000  .....@..........
//     0x0020:  0000 0000 0001 0000 0000 0000 0000 0000  ................
//     0x0030:  0000 0000 0001 0035 0035 0009 8770 78    .......5.5...px
constexpr std::array<std::uint8_t, 63> kDpdkIpv6UdpFrame{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x09, 0x11, 0x40, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x35, 0x00, 0x35, 0x00, 0x09,
    0x87, 0x70, 0x78,
};
// tcpdump_bigtcp-ipv6.pcap frame 1 (first 96 bytes):
//   d4:af:f7:db:48:97 > b8:ce:f6:04:8b:14, ethertype IPv6 (0x86dd), length 80054: (flowlabel
//       0x81ccd, hlim 61, next-header TCP (6) payload length: 0) 2604:1380:4091:ce00::b >
//       2604:1380:4091:ce00::d: [|tcp]
//     0x0000:  b8ce f604 8b14 d4af f7db 4897 86dd 6008  ..........H...`.
//     0x0010:  1ccd 0000 063d 2604 1380 4091 ce00 0000  .....=&...@.....
//     0x0020:  0000 0000 000b 2604 1380 4091 ce00 0000  ......&...@.....
//     0x0030:  0000 0000 000d a903 a103 8707 a699 e584  ................
//     0x0040:  0de4 8018 01aa c8cb 0000 0101 080a d470  ...............p
//     0x0050:  19eb e643 040c 6e65 7470 6572 6600 6e65  ...C..netperf.ne
constexpr std::array<std::uint8_t, 96> kBigTcpIpv6Prefix{
    0xb8, 0xce, 0xf6, 0x04, 0x8b, 0x14, 0xd4, 0xaf, 0xf7, 0xdb, 0x48, 0x97,
    0x86, 0xdd, 0x60, 0x08, 0x1c, 0xcd, 0x00, 0x00, 0x06, 0x3d, 0x26, 0x04,
    0x13, 0x80, 0x40, 0x91, 0xce, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x0b, 0x26, 0x04, 0x13, 0x80, 0x40, 0x91, 0xce, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0xa9, 0x03, 0xa1, 0x03, 0x87, 0x07,
    0xa6, 0x99, 0xe5, 0x84, 0x0d, 0xe4, 0x80, 0x18, 0x01, 0xaa, 0xc8, 0xcb,
    0x00, 0x00, 0x01, 0x01, 0x08, 0x0a, 0xd4, 0x70, 0x19, 0xeb, 0xe6, 0x43,
    0x04, 0x0c, 0x6e, 0x65, 0x74, 0x70, 0x65, 0x72, 0x66, 0x00, 0x6e, 0x65,
};
// zeek_gre-pptp.pcap frame 2 (first 64 bytes):
//   00:19:06:e6:82:c4 > 0c:01:00:00:61:3d, ethertype 802.1Q (0x8100), length 268: vlan 100, p 0,
//       ethertype IPv6 (0x86dd), (hlim 57, next-header IPIP (4) payload length: 210)
//       2607:fcd0:100:2300::b108:2a6b > 2402:f000:1:8e01::5555: (tos 0x0, ttl 64, id 34519,
//       offset 0, flags [DF], proto GRE (47), length 210)
//   192.52.166.154 > 16.0.0.200: GREv1, Flags [key present, sequence# present], call 17, seq
//       539320, proto PPP (0x880b), length 190
//   IP (0x0021), length 178: (tos 0x0, ttl 50, id 774, offset 0, flags [none], proto UDP (17),
//       length 174)
//   8.8.8.8.53 > 172.16.44.3.40768: 42540 NXDomain 0/1/0 (146)
//     0x0000:  0c01 0000 613d 0019 06e6 82c4 8100 0064  ....a=.........d
//     0x0010:  86dd 6000 0000 00d2 0439 2607 fcd0 0100  ..`......9&.....
//     0x0020:  2300 0000 0000 b108 2a6b 2402 f000 0001  #.......*k$.....
//     0x0030:  8e01 0000 0000 0000 5555 4500 00d2 86d7  ........UUE.....
constexpr std::array<std::uint8_t, 64> kPptpIpv6Prefix{
    0x0c, 0x01, 0x00, 0x00, 0x61, 0x3d, 0x00, 0x19, 0x06, 0xe6, 0x82, 0xc4,
    0x81, 0x00, 0x00, 0x64, 0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0xd2,
    0x04, 0x39, 0x26, 0x07, 0xfc, 0xd0, 0x01, 0x00, 0x23, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xb1, 0x08, 0x2a, 0x6b, 0x24, 0x02, 0xf0, 0x00, 0x00, 0x01,
    0x8e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x55, 0x55, 0x45, 0x00,
    0x00, 0xd2, 0x86, 0xd7,
};

constexpr std::size_t kEth = 14;

std::vector<std::uint8_t> ToVector(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

template <std::size_t N>
std::vector<std::uint8_t> IpOf(const std::array<std::uint8_t, N>& frame, std::size_t l2 = kEth) {
  return {frame.begin() + static_cast<long>(l2), frame.end()};
}

// The first record of a classic little-endian pcap file, or empty when it cannot be read.
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

Ipv6Address Addr(const char* text) {
  Ipv6Address a{};
  EXPECT_EQ(inet_pton(AF_INET6, text, a.data()), 1) << text;
  return a;
}

// Built by hand (no capture in the shared testdata has IPv6 extension headers): IPv6 with
// every walkable extension header in the RFC 8200 §4.1 order, then a TCP header.
//   offset  40 hop-by-hop  8 B  (Hdr Ext Len 0, PadN)                     next 43
//   offset  48 routing    24 B  (Hdr Ext Len 2, type 4 SRH, 1 segment)     next 44
//   offset  72 fragment    8 B  (offset 0, M=1, Identification 0xdeadbeef) next 60
//   offset  80 dest opts  16 B  (Hdr Ext Len 1, PadN)                     next 51
//   offset  96 AH         24 B  (Payload Len 4: (4+2)*4, SPI 0x1000, 8 B ICV) next 6
//   offset 120 TCP        20 B  (8080 > 80, SYN)
constexpr std::array<std::uint8_t, 140> kFullChain{
    // IPv6: payload length 100, next header 0, hop limit 64, 2001:db8::1 > 2001:db8::2
    0x60, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x40,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    // hop-by-hop (40)
    0x2b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
    // routing (48): type 4, segments left 0, last entry 0, flags 0, tag 0, segment 2001:db8::2
    0x2c, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    // fragment (72): offset 0, M = 1, identification 0xdeadbeef
    0x3c, 0x00, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,
    // destination options (80)
    0x33, 0x01, 0x01, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // AH (96): payload len 4, reserved, SPI, sequence, 8-byte ICV
    0x06, 0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac,
    // TCP (120)
    0x1f, 0x90, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

// A 40-byte IPv6 header (payload length = ext.size()) followed by `ext`.
std::vector<std::uint8_t> Ipv6With(std::uint8_t next_header, const std::vector<std::uint8_t>& ext) {
  Ipv6Repr r;
  r.next_header = next_header;
  r.payload_length = static_cast<std::uint16_t>(ext.size());
  r.source = Addr("2001:db8::1");
  r.destination = Addr("2001:db8::2");
  std::vector<std::uint8_t> b(40);
  r.Emit(b);
  b.insert(b.end(), ext.begin(), ext.end());
  return b;
}

// An 8-byte option header (hop-by-hop or destination options) naming `next`, with PadN.
std::vector<std::uint8_t> Opts8(std::uint8_t next) { return {next, 0, 0x01, 0x04, 0, 0, 0, 0}; }

std::vector<std::uint8_t> Fragment(std::uint8_t next, std::uint16_t offset_bytes, bool more,
                                   std::uint32_t id) {
  const auto fo = static_cast<std::uint16_t>(offset_bytes | (more ? 1 : 0));
  return {next,
          0,
          static_cast<std::uint8_t>(fo >> 8),
          static_cast<std::uint8_t>(fo),
          static_cast<std::uint8_t>(id >> 24),
          static_cast<std::uint8_t>(id >> 16),
          static_cast<std::uint8_t>(id >> 8),
          static_cast<std::uint8_t>(id)};
}

std::vector<std::uint8_t> Cat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

ParseFailure ExtError(ParseError e, std::uint32_t offset) {
  return {e, Layer::kIpv6Ext, Scope::kOuter, offset};
}
ParseFailure Ipv6Error(ParseError e) { return {e, Layer::kIpv6, Scope::kOuter, 0}; }

TEST(Ipv6View, DeconstructOvsGreOuter) {
  const auto bytes = IpOf(kOvsIpv6GreFrame);
  auto ip = Ipv6View::Parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->version(), 6);
  EXPECT_EQ(ip->traffic_class(), 0);
  EXPECT_EQ(ip->flow_label(), 0u);
  EXPECT_EQ(ip->payload_length(), 106);
  EXPECT_FALSE(ip->payload_length_zero());
  EXPECT_FALSE(ip->truncated());
  EXPECT_EQ(ip->packet_length(), 146u);
  EXPECT_EQ(ip->header_length(), 40u);
  EXPECT_EQ(ip->next_header(), kIpProtoGre);
  EXPECT_EQ(ip->hop_limit(), 64);
  EXPECT_EQ(FormatIpv6(ip->source()), "2001:cafe::92");
  EXPECT_EQ(FormatIpv6(ip->destination()), "2001:cafe::88");
  EXPECT_EQ(ip->source(), Addr("2001:cafe::92"));
  ASSERT_EQ(ip->payload().size(), 106u);
  EXPECT_EQ(ip->payload()[2], 0x65);  // GRE protocol 0x6558
  EXPECT_EQ(ip->payload()[3], 0x58);

  auto chain = WalkIpv6Extensions(*ip);
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->upper_protocol, kIpProtoGre);
  EXPECT_EQ(chain->upper_offset, 40u);
  EXPECT_EQ(chain->extension_count, 0);
  EXPECT_EQ(chain->last_next_header_offset, 6u);
  EXPECT_FALSE(chain->fragment_header);
  EXPECT_FALSE(chain->is_fragment);
}

TEST(Ipv6View, DeconstructLoopbackUdp) {
  const auto bytes = IpOf(kDpdkIpv6UdpFrame);
  auto ip = Ipv6View::Parse(bytes);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->payload_length(), 9);
  EXPECT_EQ(ip->next_header(), kIpProtoUdp);
  EXPECT_EQ(FormatIpv6(ip->source()), "::1");
  EXPECT_EQ(FormatIpv6(ip->destination()), "::1");
  EXPECT_EQ(ip->payload().size(), 9u);
  EXPECT_EQ(ip->source_bytes()[15], 1);
  EXPECT_EQ(ip->destination_bytes()[0], 0);
}

// Linux BIG TCP: Payload Length 0 and no hop-by-hop jumbo option; the packet is the rest of
// the frame (80054 - 14 bytes).
TEST(Ipv6View, BigTcpPayloadLengthZero) {
  const auto prefix = IpOf(kBigTcpIpv6Prefix);
  auto ip = Ipv6View::Parse(prefix);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->payload_length_zero());
  EXPECT_FALSE(ip->truncated());
  EXPECT_EQ(ip->packet_length(), prefix.size());
  EXPECT_EQ(ip->payload().size(), prefix.size() - 40);
  EXPECT_EQ(ip->flow_label(), 0x81ccdu);  // tcpdump: "flowlabel 0x81ccd"
  EXPECT_EQ(ip->traffic_class(), 0);
  EXPECT_EQ(ip->hop_limit(), 61);
  EXPECT_EQ(ip->next_header(), kIpProtoTcp);
  EXPECT_EQ(FormatIpv6(ip->source()), "2604:1380:4091:ce00::b");
  EXPECT_EQ(FormatIpv6(ip->destination()), "2604:1380:4091:ce00::d");
  auto chain = WalkIpv6Extensions(*ip);
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->upper_protocol, kIpProtoTcp);
  EXPECT_EQ(chain->upper_offset, 40u);

  const auto frame = ReadFirstPcapFrame(std::string(NVGRE_SHARED_TESTDATA_DIR) +
                                        "/tcpdump_bigtcp-ipv6.pcap");
  if (frame.empty()) GTEST_SKIP() << "shared testdata not available";
  ASSERT_EQ(frame.size(), 80054u);
  auto full = Ipv6View::Parse(std::span(frame).subspan(kEth));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->packet_length(), 80040u);
  EXPECT_EQ(full->payload().size(), 80000u);
}

// A VLAN-tagged IPv6 packet cut at 64 bytes: whole header, Payload Length 210 beyond the span.
TEST(Ipv6View, SnapLengthCutNeedsMayBeTruncated) {
  const auto bytes = IpOf(kPptpIpv6Prefix, 18);
  ASSERT_EQ(bytes.size(), 46u);
  auto strict = Ipv6View::Parse(bytes);
  ASSERT_FALSE(strict);
  EXPECT_EQ(strict.error(), Ipv6Error(ParseError::kTruncated));

  auto ip = Ipv6View::Parse(bytes, Capture::kMayBeTruncated);
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->truncated());
  EXPECT_EQ(ip->payload_length(), 210);
  EXPECT_EQ(ip->packet_length(), 46u);
  EXPECT_EQ(ip->payload().size(), 6u);
  EXPECT_EQ(ip->next_header(), kIpProtoIpv4);
  EXPECT_EQ(ip->hop_limit(), 57);
  EXPECT_EQ(FormatIpv6(ip->source()), "2607:fcd0:100:2300::b108:2a6b");
  EXPECT_EQ(FormatIpv6(ip->destination()), "2402:f000:1:8e01::5555");
  auto chain = WalkIpv6Extensions(*ip);
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->upper_protocol, kIpProtoIpv4);
  EXPECT_EQ(chain->upper_offset, 40u);
}

TEST(Ipv6View, EveryPrefixIsTruncated) {
  for (const auto& bytes : {IpOf(kOvsIpv6GreFrame), ToVector(kFullChain)}) {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const std::vector<std::uint8_t> prefix = ToVector(std::span(bytes).first(n));
      auto v = Ipv6View::Parse(prefix);
      ASSERT_FALSE(v) << n;
      EXPECT_EQ(v.error(), Ipv6Error(ParseError::kTruncated)) << n;
      auto lax = Ipv6View::Parse(prefix, Capture::kMayBeTruncated);
      EXPECT_EQ(lax.has_value(), n >= 40) << n;
      if (lax) {
        EXPECT_TRUE(lax->truncated());
        EXPECT_EQ(lax->packet_length(), n);
      }
    }
    EXPECT_TRUE(Ipv6View::Parse(bytes));
  }
}

TEST(Ipv6View, BadVersion) {
  std::vector<std::uint8_t> b = IpOf(kOvsIpv6GreFrame);
  for (int version : {0, 4, 5, 7, 15}) {
    b[0] = static_cast<std::uint8_t>(version << 4);
    auto v = Ipv6View::Parse(b);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error(), Ipv6Error(ParseError::kBadVersion)) << version;
  }
  b[0] = 0x40;
  EXPECT_EQ(Ipv6View::Parse(std::span(b).first(39)).error(), Ipv6Error(ParseError::kTruncated));
}

TEST(Ipv6View, CorruptPayloadLength) {
  std::vector<std::uint8_t> b = IpOf(kOvsIpv6GreFrame);  // 146 bytes, payload length 106
  auto with = [&](std::uint16_t len) {
    b[4] = static_cast<std::uint8_t>(len >> 8);
    b[5] = static_cast<std::uint8_t>(len);
    return Ipv6View::Parse(b);
  };
  for (int len : {107, 200, 0xffff}) {
    auto v = with(static_cast<std::uint16_t>(len));
    ASSERT_FALSE(v) << len;
    EXPECT_EQ(v.error(), Ipv6Error(ParseError::kTruncated)) << len;
  }
  auto one = with(1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->packet_length(), 41u);
  EXPECT_EQ(one->payload().size(), 1u);
  auto zero = with(0);  // jumbogram / BIG TCP: runs to the end of the span
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->payload_length_zero());
  EXPECT_EQ(zero->packet_length(), 146u);
  EXPECT_EQ(zero->payload().size(), 106u);
}

// payload() stops at Payload Length: the 63-byte frame was padded to 64 here.
TEST(Ipv6View, PayloadExcludesPadding) {
  std::vector<std::uint8_t> b = IpOf(kDpdkIpv6UdpFrame);
  b.resize(b.size() + 1, 0);
  auto ip = Ipv6View::Parse(b);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->bytes().size(), 50u);
  EXPECT_EQ(ip->packet_length(), 49u);
  EXPECT_EQ(ip->payload().size(), 9u);
}

TEST(Ipv6MutView, Setters) {
  std::vector<std::uint8_t> b = IpOf(kBigTcpIpv6Prefix);
  auto ip = Ipv6MutView::Parse(std::span<std::uint8_t>(b));
  ASSERT_TRUE(ip);
  ip->set_traffic_class(0xb9);  // DSCP 46 (EF), ECN 1
  EXPECT_EQ(ip->version(), 6);
  EXPECT_EQ(ip->traffic_class(), 0xb9);
  EXPECT_EQ(ip->dscp(), 46);
  EXPECT_EQ(ip->ecn(), 1);
  EXPECT_EQ(ip->flow_label(), 0x81ccdu);  // untouched
  EXPECT_EQ(b[0], 0x6b);
  EXPECT_EQ(b[1], 0x98);
  ip->set_ecn(3);
  EXPECT_EQ(ip->dscp(), 46);
  EXPECT_EQ(ip->traffic_class(), 0xbb);
  ip->set_dscp(10);
  EXPECT_EQ(ip->ecn(), 3);
  EXPECT_EQ(ip->traffic_class(), 0x2b);
  ip->set_flow_label(0xfffff);
  EXPECT_EQ(ip->flow_label(), 0xfffffu);
  EXPECT_EQ(ip->traffic_class(), 0x2b);
  ip->set_flow_label(0x12345);
  EXPECT_EQ(ip->flow_label(), 0x12345u);
  EXPECT_EQ(ip->traffic_class(), 0x2b);
  EXPECT_EQ(ip->version(), 6);
  ip->set_payload_length(42);  // the span holds 82 bytes
  ip->set_next_header(kIpProtoUdp);
  ip->set_hop_limit(1);
  ip->set_source(Addr("fe80::200:f8ff:fe21:67cf"));
  ip->set_destination(Addr("ff02::1"));

  const Ipv6View ro = *ip;  // a read/write view converts to a read-only one
  EXPECT_EQ(ro.payload_length(), 42);
  EXPECT_EQ(ro.packet_length(), 82u);
  EXPECT_FALSE(ro.truncated());
  EXPECT_EQ(ro.next_header(), kIpProtoUdp);
  EXPECT_EQ(ro.hop_limit(), 1);
  EXPECT_EQ(FormatIpv6(ro.source()), "fe80::200:f8ff:fe21:67cf");
  EXPECT_EQ(FormatIpv6(ro.destination()), "ff02::1");
  EXPECT_TRUE(WalkIpv6Extensions(*ip));  // a mutable view walks too
}

TEST(Ipv6Repr, ConstructOvsOuterHeader) {
  Ipv6Repr r;
  r.payload_length = 106;
  r.next_header = kIpProtoGre;
  r.hop_limit = 64;
  r.source = Addr("2001:cafe::92");
  r.destination = Addr("2001:cafe::88");
  std::array<std::uint8_t, 40> out{};
  out.fill(0xcc);
  r.Emit(out);
  EXPECT_EQ(ToVector(out), ToVector(std::span(kOvsIpv6GreFrame).subspan(kEth, 40)));
  const auto bytes = IpOf(kOvsIpv6GreFrame);
  EXPECT_EQ(Ipv6Repr::From(*Ipv6View::Parse(bytes)), r);
}

TEST(Ipv6Repr, ParseFromEmitIsIdentity) {
  for (const auto& bytes : {IpOf(kOvsIpv6GreFrame), IpOf(kDpdkIpv6UdpFrame),
                            IpOf(kBigTcpIpv6Prefix), ToVector(kFullChain)}) {
    auto ip = Ipv6View::Parse(bytes);
    ASSERT_TRUE(ip);
    std::array<std::uint8_t, 40> out{};
    Ipv6Repr::From(*ip).Emit(out);
    EXPECT_EQ(ToVector(out), ToVector(ip->header()));
  }
}

TEST(Ipv6Repr, EmitThenParseRoundTrip) {
  std::mt19937 rng(8200);
  for (int i = 0; i < 64; ++i) {
    Ipv6Repr r;
    r.traffic_class = static_cast<std::uint8_t>(i == 0 ? 0xff : rng());
    r.flow_label = i == 0 ? 0xfffff : rng() & 0xfffff;
    r.payload_length = static_cast<std::uint16_t>(i);
    r.next_header = static_cast<std::uint8_t>(rng());
    r.hop_limit = static_cast<std::uint8_t>(rng());
    for (auto& x : r.source) x = static_cast<std::uint8_t>(rng());
    for (auto& x : r.destination) x = static_cast<std::uint8_t>(rng());
    std::vector<std::uint8_t> buf(40 + static_cast<std::size_t>(i), 0xee);
    r.Emit(buf);
    auto ip = Ipv6View::Parse(std::span<const std::uint8_t>(buf));
    ASSERT_TRUE(ip) << i;
    EXPECT_EQ(ip->version(), 6);
    EXPECT_EQ(ip->payload().size(), static_cast<std::size_t>(i));
    EXPECT_EQ(Ipv6Repr::From(*ip), r) << i;
  }
}

TEST(Ipv6Extensions, FullChainWalksToTcp) {
  auto ip = Ipv6View::Parse(kFullChain);
  ASSERT_TRUE(ip);
  auto chain = WalkIpv6Extensions(*ip);
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->upper_protocol, kIpProtoTcp);
  EXPECT_EQ(chain->upper_offset, 120u);
  EXPECT_EQ(chain->extension_count, 5);
  EXPECT_EQ(chain->last_next_header_offset, 96u);  // AH's Next Header names TCP
  EXPECT_TRUE(chain->fragment_header);
  EXPECT_TRUE(chain->is_fragment);  // M set: a first fragment
  EXPECT_TRUE(chain->more_fragments);
  EXPECT_EQ(chain->fragment_offset, 0u);
  EXPECT_EQ(chain->fragment_id, 0xdeadbeefu);
  EXPECT_EQ(kFullChain[chain->upper_offset + 13], 0x02);  // TCP flags: SYN
}

// Every cut of the chain (Payload Length kept consistent with the span) fails at the
// extension header that does not fit, with its offset from the IPv6 header.
TEST(Ipv6Extensions, EveryCutFailsAtTheHeaderCutShort) {
  for (std::size_t n = 40; n < 120; ++n) {
    std::vector<std::uint8_t> b(kFullChain.begin(), kFullChain.begin() + static_cast<long>(n));
    std::uint32_t want = 96;
    if (n < 48) {
      want = 40;
    } else if (n < 72) {
      want = 48;
    } else if (n < 80) {
      want = 72;
    } else if (n < 96) {
      want = 80;
    }
    // Consistent Payload Length (for n == 40 that is 0 = "to the end of the span", also 40).
    b[4] = 0;
    b[5] = static_cast<std::uint8_t>(n - 40);
    auto ip = Ipv6View::Parse(b);
    ASSERT_TRUE(ip) << n;
    auto chain = WalkIpv6Extensions(*ip);
    ASSERT_FALSE(chain) << n;
    EXPECT_EQ(chain.error(), ExtError(ParseError::kTruncated, want)) << n;

    // The same cut as a snap-length capture (Payload Length still 100).
    std::vector<std::uint8_t> snap(kFullChain.begin(), kFullChain.begin() + static_cast<long>(n));
    auto lax = Ipv6View::Parse(snap, Capture::kMayBeTruncated);
    ASSERT_TRUE(lax) << n;
    auto lax_chain = WalkIpv6Extensions(*lax);
    ASSERT_FALSE(lax_chain) << n;
    EXPECT_EQ(lax_chain.error(), ExtError(ParseError::kTruncated, want)) << n;
  }
  for (std::size_t n = 120; n <= kFullChain.size(); ++n) {
    std::vector<std::uint8_t> snap(kFullChain.begin(), kFullChain.begin() + static_cast<long>(n));
    auto ip = Ipv6View::Parse(snap, Capture::kMayBeTruncated);
    ASSERT_TRUE(ip);
    auto chain = WalkIpv6Extensions(*ip);
    ASSERT_TRUE(chain) << n;
    EXPECT_EQ(chain->upper_offset, 120u);
  }
}

TEST(Ipv6Extensions, CorruptExtensionLengths) {
  auto walk = [](std::size_t at, std::uint8_t value) {
    std::vector<std::uint8_t> b(kFullChain.begin(), kFullChain.end());
    b[at] = value;
    auto ip = Ipv6View::Parse(b);
    EXPECT_TRUE(ip);
    return WalkIpv6Extensions(*ip);
  };
  EXPECT_EQ(walk(41, 0xff).error(), ExtError(ParseError::kTruncated, 40));   // hop-by-hop
  EXPECT_EQ(walk(49, 12).error(), ExtError(ParseError::kTruncated, 48));     // routing: 104 B
  EXPECT_EQ(walk(81, 0xff).error(), ExtError(ParseError::kTruncated, 80));   // dest opts
  EXPECT_EQ(walk(97, 10).error(), ExtError(ParseError::kTruncated, 96));     // AH: 48 B
  // AH Payload Len counts 4-byte words minus 2 (RFC 4302 §2.2), not 8-byte units: 5 -> 28 B
  // would end past TCP's first 8 bytes, still inside the span; the walk then reads "TCP" at 124.
  auto ah5 = walk(97, 5);
  ASSERT_TRUE(ah5);
  EXPECT_EQ(ah5->upper_offset, 124u);
  // The Fragment header's second byte is Reserved, not a length: the header stays 8 bytes.
  auto frag = walk(73, 0xff);
  ASSERT_TRUE(frag);
  EXPECT_EQ(frag->upper_offset, 120u);
}

TEST(Ipv6Extensions, WalkStopsAtPayloadLengthNotSpan) {
  // Hop-by-hop naming TCP, but Payload Length 4 < 8: the header is beyond the packet even
  // though the span (with padding) holds it.
  std::vector<std::uint8_t> b = Ipv6With(kIpv6ExtHopByHop, Opts8(kIpProtoTcp));
  b[5] = 4;
  auto ip = Ipv6View::Parse(b);
  ASSERT_TRUE(ip);
  EXPECT_EQ(WalkIpv6Extensions(*ip).error(), ExtError(ParseError::kTruncated, 40));
}

TEST(Ipv6Extensions, HopByHopOnlyFirst) {
  const auto b = Ipv6With(kIpv6ExtDestOpts,
                          Cat({Opts8(kIpv6ExtHopByHop), Opts8(kIpv6NoNextHeader)}));
  auto ip = Ipv6View::Parse(b);
  ASSERT_TRUE(ip);
  EXPECT_EQ(WalkIpv6Extensions(*ip).error(), ExtError(ParseError::kUnsupported, 48));

  const auto first = Ipv6With(kIpv6ExtHopByHop, Cat({Opts8(kIpv6ExtDestOpts), Opts8(kIpProtoUdp)}));
  auto ok = WalkIpv6Extensions(*Ipv6View::Parse(first));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->upper_protocol, kIpProtoUdp);
  EXPECT_EQ(ok->upper_offset, 56u);
  EXPECT_EQ(ok->last_next_header_offset, 48u);
}

TEST(Ipv6Extensions, AtMostEightHeaders) {
  for (std::size_t count : {std::size_t{8}, std::size_t{9}}) {
    std::vector<std::uint8_t> ext;
    for (std::size_t i = 0; i < count; ++i) {
      auto h = Opts8(i + 1 == count ? kIpProtoTcp : kIpv6ExtDestOpts);
      ext.insert(ext.end(), h.begin(), h.end());
    }
    const auto b = Ipv6With(kIpv6ExtDestOpts, ext);
    auto ip = Ipv6View::Parse(b);
    ASSERT_TRUE(ip);
    auto chain = WalkIpv6Extensions(*ip);
    if (count == 8) {
      ASSERT_TRUE(chain);
      EXPECT_EQ(chain->extension_count, 8);
      EXPECT_EQ(chain->upper_offset, 104u);
      EXPECT_EQ(chain->upper_protocol, kIpProtoTcp);
    } else {
      ASSERT_FALSE(chain);
      EXPECT_EQ(chain.error(), ExtError(ParseError::kUnsupported, 104));
    }
  }
}

TEST(Ipv6Extensions, EspEndsTheWalk) {
  // Hop-by-hop, then ESP (SPI, sequence, opaque data): ESP is the "upper" protocol.
  const auto b = Ipv6With(kIpv6ExtHopByHop, Cat({Opts8(kIpProtoEsp),
                                                 {0, 0, 0x10, 0, 0, 0, 0, 1, 0x2b, 0xff, 0, 0}}));
  auto chain = WalkIpv6Extensions(*Ipv6View::Parse(b));
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->upper_protocol, kIpProtoEsp);
  EXPECT_EQ(chain->upper_offset, 48u);
  EXPECT_EQ(chain->extension_count, 1);
  EXPECT_EQ(chain->last_next_header_offset, 40u);
}

TEST(Ipv6Extensions, NoNextHeader) {
  const auto b = Ipv6With(kIpv6NoNextHeader, {});
  auto chain = WalkIpv6Extensions(*Ipv6View::Parse(b));
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->upper_protocol, kIpv6NoNextHeader);
  EXPECT_EQ(chain->upper_offset, 40u);
  EXPECT_EQ(chain->extension_count, 0);
}

TEST(Ipv6Extensions, FragmentHeaderFields) {
  // A later fragment (offset 1448, M=1): what follows is data, even if it looks like a header.
  const auto later = Ipv6With(kIpv6ExtFragment, Cat({Fragment(kIpv6ExtDestOpts, 1448, true, 7),
                                                     {0x3b, 0xff, 0, 0, 0, 0, 0, 0}}));
  auto c1 = WalkIpv6Extensions(*Ipv6View::Parse(later));
  ASSERT_TRUE(c1);
  EXPECT_TRUE(c1->fragment_header);
  EXPECT_TRUE(c1->is_fragment);
  EXPECT_EQ(c1->fragment_offset, 1448u);
  EXPECT_TRUE(c1->more_fragments);
  EXPECT_EQ(c1->fragment_id, 7u);
  EXPECT_EQ(c1->upper_protocol, kIpv6ExtDestOpts);  // not walked
  EXPECT_EQ(c1->upper_offset, 48u);
  EXPECT_EQ(c1->extension_count, 1);
  EXPECT_EQ(c1->last_next_header_offset, 40u);

  // The last fragment: offset 65528 (the largest), M=0.
  const auto last = Ipv6With(kIpv6ExtFragment, Cat({Fragment(kIpProtoUdp, 65528, false,
                                                             0x80000001),
                                                    {1, 2, 3, 4}}));
  auto c2 = WalkIpv6Extensions(*Ipv6View::Parse(last));
  ASSERT_TRUE(c2);
  EXPECT_TRUE(c2->is_fragment);
  EXPECT_FALSE(c2->more_fragments);
  EXPECT_EQ(c2->fragment_offset, 65528u);
  EXPECT_EQ(c2->fragment_id, 0x80000001u);
  EXPECT_EQ(c2->upper_protocol, kIpProtoUdp);

  // An atomic fragment (offset 0, M=0, RFC 6946): a Fragment header but not a fragment.
  const auto atomic = Ipv6With(kIpv6ExtFragment, Cat({Fragment(kIpProtoTcp, 0, false, 99),
                                                      std::vector<std::uint8_t>(20, 0)}));
  auto c3 = WalkIpv6Extensions(*Ipv6View::Parse(atomic));
  ASSERT_TRUE(c3);
  EXPECT_TRUE(c3->fragment_header);
  EXPECT_FALSE(c3->is_fragment);
  EXPECT_EQ(c3->upper_protocol, kIpProtoTcp);
  EXPECT_EQ(c3->upper_offset, 48u);

  // A second Fragment header (nested fragmentation) is not accepted.
  const auto nested = Ipv6With(kIpv6ExtFragment, Cat({Fragment(kIpv6ExtFragment, 0, true, 1),
                                                      Fragment(kIpProtoTcp, 0, true, 2)}));
  EXPECT_EQ(WalkIpv6Extensions(*Ipv6View::Parse(nested)).error(),
            ExtError(ParseError::kUnsupported, 48));
}

TEST(Ipv6Extensions, RoutingAndAhLengthsByHand) {
  // Routing Hdr Ext Len 0 (8 B), then AH Payload Len 1 (12 B, no ICV), then UDP.
  const std::vector<std::uint8_t> routing{kIpProtoAh, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<std::uint8_t> ah{kIpProtoUdp, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9};
  const auto b = Ipv6With(kIpv6ExtRouting, Cat({routing, ah, std::vector<std::uint8_t>(8, 0)}));
  auto chain = WalkIpv6Extensions(*Ipv6View::Parse(b));
  ASSERT_TRUE(chain);
  EXPECT_EQ(chain->upper_protocol, kIpProtoUdp);
  EXPECT_EQ(chain->upper_offset, 40u + 8u + 12u);
  EXPECT_EQ(chain->last_next_header_offset, 48u);
  EXPECT_FALSE(chain->fragment_header);
}

// RFC 8200 §8.1: the pseudo-header destination is the final one. Routing header layouts:
// types 0/2 (RFC 5095, RFC 6275 §6.4) list Address[1..n] after 8 fixed bytes, the last is the
// final destination; SRH (type 4, RFC 8754 §2) lists segments in reverse, Segment List[0] last.
TEST(Ipv6Extensions, RoutingHeaderFinalDestination) {
  auto routing = [](std::uint8_t type, std::uint8_t segments_left, std::uint8_t addresses) {
    std::vector<std::uint8_t> rh{kIpProtoUdp, static_cast<std::uint8_t>(2 * addresses), type,
                                 segments_left, 0, 0, 0, 0};
    rh.resize(8 + 16 * std::size_t{addresses}, 0xAB);
    return Ipv6With(kIpv6ExtRouting, Cat({rh, std::vector<std::uint8_t>(8, 0)}));
  };
  auto final_at = [](const std::vector<std::uint8_t>& b) {
    return WalkIpv6Extensions(*Ipv6View::Parse(b))->final_destination_offset;
  };
  EXPECT_EQ(final_at(routing(0, 2, 2)), 40u + 8u + 16u);  // Address[2]
  EXPECT_EQ(final_at(routing(0, 1, 3)), 40u + 8u + 32u);  // Address[3], whatever Segments Left
  EXPECT_EQ(final_at(routing(2, 1, 1)), 40u + 8u);        // type 2: its one Home Address
  EXPECT_EQ(final_at(routing(4, 1, 2)), 40u + 8u);        // SRH: Segment List[0]
  EXPECT_EQ(final_at(routing(0, 0, 2)), 24u);             // arrived: the Destination Address
  EXPECT_EQ(final_at(routing(3, 1, 2)), 24u);             // RPL: compressed, not located
  EXPECT_EQ(final_at(routing(0, 1, 0)), 24u);             // no address to take
  EXPECT_EQ(final_at(Ipv6With(kIpProtoUdp, std::vector<std::uint8_t>(8, 0))), 24u);
}

TEST(Ipv6Format, Rfc5952Examples) {
  EXPECT_EQ(FormatIpv6(Addr("2001:cafe::88")), "2001:cafe::88");
  EXPECT_EQ(FormatIpv6(Addr("fe80::200:f8ff:fe21:67cf")), "fe80::200:f8ff:fe21:67cf");
  // "3ffe:501:8::260:97ff:fe40:efab" (as older tcpdump prints it) hides ONE zero group, which
  // §4.2.2 forbids: "::" MUST NOT shorten just one 16-bit 0 field. inet_ntop agrees.
  EXPECT_EQ(FormatIpv6(Addr("3ffe:501:8::260:97ff:fe40:efab")), "3ffe:501:8:0:260:97ff:fe40:efab");
  // §4.1 no leading zeros; §4.3 lowercase.
  EXPECT_EQ(FormatIpv6(Addr("2001:0db8:0000:0000:0000:0000:0002:0001")), "2001:db8::2:1");
  EXPECT_EQ(FormatIpv6(Addr("2001:DB8::AAAA")), "2001:db8::aaaa");
  // §4.2.1 shorten as much as possible.
  EXPECT_EQ(FormatIpv6(Addr("2001:db8:0:0:0:0:0:1")), "2001:db8::1");
  // §4.2.2 a single 16-bit 0 field is not shortened.
  EXPECT_EQ(FormatIpv6(Addr("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1");
  // §4.2.3 the longest run; the first one when runs tie.
  EXPECT_EQ(FormatIpv6(Addr("2001:0:0:1:0:0:0:1")), "2001:0:0:1::1");
  EXPECT_EQ(FormatIpv6(Addr("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
  // Edges.
  EXPECT_EQ(FormatIpv6(Ipv6Address{}), "::");
  EXPECT_EQ(FormatIpv6(Addr("::1")), "::1");
  EXPECT_EQ(FormatIpv6(Addr("1::")), "1::");
  EXPECT_EQ(FormatIpv6(Addr("1:0:0:0:0:0:0:2")), "1::2");
  EXPECT_EQ(FormatIpv6(Addr("0:1:0:0:0:0:0:0")), "0:1::");
  EXPECT_EQ(FormatIpv6(Addr("0:0:1:0:0:1:0:0")), "::1:0:0:1:0:0");
  EXPECT_EQ(FormatIpv6(Addr("1:2:3:4:5:6:7:8")), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(FormatIpv6(Addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(FormatIpv6(Addr("ff02::1:ff00:1")), "ff02::1:ff00:1");
  // §5 IPv4-mapped addresses in mixed notation.
  EXPECT_EQ(FormatIpv6(Addr("::ffff:192.0.2.1")), "::ffff:192.0.2.1");
  EXPECT_EQ(FormatIpv6(Addr("::ffff:0:0")), "::ffff:0.0.0.0");
}

// Differential: glibc's inet_ntop follows RFC 5952 too, except that it also prints the
// deprecated IPv4-compatible form (::a.b.c.d) for addresses whose first 96 bits are zero; those
// are skipped. Addresses are random groups, each zero with probability 1/2, so that runs of
// every length and position occur.
TEST(Ipv6Format, MatchesInetNtop) {
  std::mt19937 rng(5952);
  int compared = 0;
  for (int i = 0; i < 20000; ++i) {
    Ipv6Address a{};
    for (std::size_t g = 0; g < 8; ++g) {
      if (rng() % 2 == 0) continue;
      const auto v = static_cast<std::uint32_t>(rng() % 4 == 0 ? rng() % 16 : rng());
      a[2 * g] = static_cast<std::uint8_t>(v >> 8);
      a[2 * g + 1] = static_cast<std::uint8_t>(v);
    }
    bool compat = true;
    for (std::size_t k = 0; k < 12; ++k) compat = compat && a[k] == 0;
    if (compat) continue;
    char buf[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, a.data(), buf, sizeof buf), nullptr);
    ASSERT_EQ(FormatIpv6(a), std::string(buf));
    ++compared;
  }
  EXPECT_GT(compared, 19000);
}

TEST(Ipv6Constants, Values) {
  EXPECT_EQ(kIpv6ExtHopByHop, 0);
  EXPECT_EQ(kIpv6ExtRouting, 43);
  EXPECT_EQ(kIpv6ExtFragment, 44);
  EXPECT_EQ(kIpv6NoNextHeader, 59);
  EXPECT_EQ(kIpv6ExtDestOpts, 60);
  EXPECT_TRUE(IsIpv6WalkableExtension(kIpProtoAh));
  EXPECT_FALSE(IsIpv6WalkableExtension(kIpProtoEsp));
  EXPECT_FALSE(IsIpv6WalkableExtension(kIpv6NoNextHeader));
  EXPECT_FALSE(IsIpv6WalkableExtension(kIpProtoTcp));
}

}  // namespace
}  // namespace nvgre::wire
