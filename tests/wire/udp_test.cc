// Tests for udp.h (RFC 768; length 0 per RFC 2675 §4).
//
// Fixtures are GRE-encapsulated packets from ../shared/testdata (see SOURCES.md there) with their
// `tcpdump -nn -vv -X` dump; each test peels the outer layers with the small helpers below.
#include "nvgre/wire/udp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/l4_checksum.h"

namespace nvgre::wire {
namespace {

using Span = std::span<const std::uint8_t>;

// The payload of a well-formed IPv4 packet (IHL and Total Length applied).
Span Ipv4Payload(Span ip) {
  const std::size_t ihl = 4u * (ip[0] & 0x0Fu);
  const std::size_t total = (std::size_t{ip[2]} << 8) | ip[3];
  return ip.subspan(ihl, total - ihl);
}
// The payload of a well-formed IPv6 packet without extension headers.
Span Ipv6Payload(Span ip) { return ip.subspan(40, (std::size_t{ip[4]} << 8) | ip[5]); }

template <class T>
::testing::AssertionResult FailsWith(const Result<T>& r, ParseError error, Layer layer,
                                     std::uint32_t offset = 0) {
  if (r.has_value()) {
    return ::testing::AssertionFailure() << "parsed; expected " << ToString(error) << " at "
                                         << ToString(layer) << "+" << offset;
  }
  const ParseFailure& f = r.error();
  if (f == ParseFailure{error, layer, Scope::kOuter, offset}) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << ToString(f.error) << " at " << ToString(f.layer) << "+" << f.offset
         << "; expected " << ToString(error) << " at " << ToString(layer) << "+" << offset;
}

std::vector<std::uint8_t> Copy(Span s) { return {s.begin(), s.end()}; }

// pcapplusplus_GrePackets.converted.pcap frame 5, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 244, id 24322, offset 0, flags [none], proto GRE (47), length 100)
//      86.106.164.150 > 72.205.54.70: GREv0, Flags [none], length 80
//      IP (tos 0xc0, ttl 254, id 22930, offset 0, flags [none], proto GRE (47), length 76)
//      10.10.13.2 > 10.10.11.2: GREv0, Flags [none], length 56
//      IP (tos 0xc0, ttl 2, id 0, offset 0, flags [none], proto UDP (17), length 52)
//      3.3.3.2.520 > 224.0.0.9.520: [udp sum ok]
//      RIPv2, Response, length: 24, routes: 1 or less
//        AFI IPv4,     192.168.1.0/24, tag 0x0000, metric: 1, next-hop: self
//      0x0000:  0202 0000 0002 0000 c0a8 0100 ffff ff00
//      0x0010:  0000 0000 0000 0001
//      0x0000:  4500 0064 5f02 0000 f42f ed54 566a a496  E..d_..../.TVj..
//      0x0010:  48cd 3646 0000 0800 45c0 004c 5992 0000  H.6F....E..LY...
//      0x0020:  fe2f 3619 0a0a 0d02 0a0a 0b02 0000 0800  ./6.............
//      0x0030:  45c0 0034 0000 0000 0211 d1eb 0303 0302  E..4............
//      0x0040:  e000 0009 0208 0208 0020 52e1 0202 0000  ..........R.....
//      0x0050:  0002 0000 c0a8 0100 ffff ff00 0000 0000  ................
//      0x0060:  0000 0001                                ....
constexpr std::array<std::uint8_t, 100> kPcppGreInGreRip{
    0x45, 0x00, 0x00, 0x64, 0x5f, 0x02, 0x00, 0x00, 0xf4, 0x2f, 0xed, 0x54,
    0x56, 0x6a, 0xa4, 0x96, 0x48, 0xcd, 0x36, 0x46, 0x00, 0x00, 0x08, 0x00,
    0x45, 0xc0, 0x00, 0x4c, 0x59, 0x92, 0x00, 0x00, 0xfe, 0x2f, 0x36, 0x19,
    0x0a, 0x0a, 0x0d, 0x02, 0x0a, 0x0a, 0x0b, 0x02, 0x00, 0x00, 0x08, 0x00,
    0x45, 0xc0, 0x00, 0x34, 0x00, 0x00, 0x00, 0x00, 0x02, 0x11, 0xd1, 0xeb,
    0x03, 0x03, 0x03, 0x02, 0xe0, 0x00, 0x00, 0x09, 0x02, 0x08, 0x02, 0x08,
    0x00, 0x20, 0x52, 0xe1, 0x02, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
    0xc0, 0xa8, 0x01, 0x00, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,
};
// packetnet_gre_ipv6.pcap frame 1, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 255, id 44838, offset 0, flags [none], proto GRE (47), length 81)
//      10.1.1.0 > 10.1.1.2: GREv0, Flags [none], length 61
//      IP6 (hlim 32, next-header UDP (17) payload length: 17) 1:1:1:1:1:1:1:1.4003 > 2:2:2:2:2:2:2:2.103: [bad udp cksum 0x6ec8 -> 0x7fa6!] UDP, length 9
//      0x0000:  4500 0051 af26 0000 ff2f f653 0a01 0100  E..Q.&.../.S....
//      0x0010:  0a01 0102 0000 86dd 6000 0000 0011 1120  ........`.......
//      0x0020:  0001 0001 0001 0001 0001 0001 0001 0001  ................
//      0x0030:  0002 0002 0002 0002 0002 0002 0002 0002  ................
//      0x0040:  0fa3 0067 0011 6ec8 4845 4c4c 4f20 4752  ...g..n.HELLO.GR
//      0x0050:  45                                       E
constexpr std::array<std::uint8_t, 81> kPacketnetGreIpv6Udp{
    0x45, 0x00, 0x00, 0x51, 0xaf, 0x26, 0x00, 0x00, 0xff, 0x2f, 0xf6, 0x53,
    0x0a, 0x01, 0x01, 0x00, 0x0a, 0x01, 0x01, 0x02, 0x00, 0x00, 0x86, 0xdd,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, 0x20, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x02, 0x00, 0x02, 0x00, 0x02, 0x00, 0x02, 0x00, 0x02, 0x00, 0x02,
    0x00, 0x02, 0x00, 0x02, 0x0f, 0xa3, 0x00, 0x67, 0x00, 0x11, 0x6e, 0xc8,
    0x48, 0x45, 0x4c, 0x4c, 0x4f, 0x20, 0x47, 0x52, 0x45,
};
// derived_gre_checksum_vectors.pcap frame 2, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 255, id 10, offset 0, flags [none], proto GRE (47), length 88)
//      10.0.0.1 > 10.0.0.2: GREv0, Flags [checksum present], sum 0x8475, off 0x0, length 68
//      IP (tos 0x0, ttl 1, id 964, offset 0, flags [DF], proto UDP (17), length 60)
//      2.3.4.5.41781 > 2.3.4.50.33434: [udp sum ok] UDP, length 32
//      0x0000:  4500 0058 000a 0000 ff2f a76a 0a00 0001  E..X...../.j....
//      0x0010:  0a00 0002 8000 0800 8475 0000 4500 003c  .........u..E..<
//      0x0020:  03c4 4000 0111 69b1 0203 0405 0203 0432  ..@...i........2
//      0x0030:  a335 829a 0028 d88c 4041 4243 4445 4647  .5...(..@ABCDEFG
//      0x0040:  4849 4a4b 4c4d 4e4f 5051 5253 5455 5657  HIJKLMNOPQRSTUVW
//      0x0050:  5859 5a5b 5c5d 5e5f                      XYZ[\]^_
constexpr std::array<std::uint8_t, 88> kDerivedGreUdp{
    0x45, 0x00, 0x00, 0x58, 0x00, 0x0a, 0x00, 0x00, 0xff, 0x2f, 0xa7, 0x6a,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x80, 0x00, 0x08, 0x00,
    0x84, 0x75, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x03, 0xc4, 0x40, 0x00,
    0x01, 0x11, 0x69, 0xb1, 0x02, 0x03, 0x04, 0x05, 0x02, 0x03, 0x04, 0x32,
    0xa3, 0x35, 0x82, 0x9a, 0x00, 0x28, 0xd8, 0x8c, 0x40, 0x41, 0x42, 0x43,
    0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b,
    0x5c, 0x5d, 0x5e, 0x5f,
};

// GRE in GRE in IPv4: the innermost IPv4 carries RIPv2 3.3.3.2.520 > 224.0.0.9.520,
// "[udp sum ok]".
TEST(Udp, RipInGreInGreDeconstruct) {
  const Span middle_ip = Ipv4Payload(kPcppGreInGreRip).subspan(4);  // after a 4-byte GRE header
  const Span inner_ip = Ipv4Payload(middle_ip).subspan(4);
  const Span datagram = Ipv4Payload(inner_ip);
  auto udp = UdpView::Parse(datagram);
  ASSERT_TRUE(udp.has_value());
  EXPECT_EQ(udp->source_port(), 520);
  EXPECT_EQ(udp->destination_port(), 520);
  EXPECT_EQ(udp->length(), 32);
  EXPECT_EQ(udp->datagram_length(), 32u);
  EXPECT_EQ(udp->header_length(), 8u);
  EXPECT_EQ(udp->checksum(), 0x52e1);
  EXPECT_FALSE(UdpChecksumAbsentV4(*udp));
  EXPECT_FALSE(udp->truncated());
  EXPECT_EQ(udp->payload().size(), 24u);
  EXPECT_EQ(udp->payload()[0], 0x02);  // RIP command 2 = response
  EXPECT_EQ(udp->payload()[1], 0x02);  // RIP version 2
  const auto src = inner_ip.subspan<12, 4>();
  const auto dst = inner_ip.subspan<16, 4>();
  EXPECT_TRUE(L4ChecksumVerifiesV4(src, dst, kIpProtoUdp, udp->datagram()));
  EXPECT_EQ(TcpUdpChecksumV4(src, dst, kIpProtoUdp, udp->datagram()), 0x52e1);
}

// gopacket TestGREChecksum's UDP datagram: 2.3.4.5.41781 > 2.3.4.50.33434, length 40.
TEST(Udp, GopacketDerivedDeconstruct) {
  const Span inner_ip = Ipv4Payload(kDerivedGreUdp).subspan(8);  // after GRE with C
  const Span datagram = Ipv4Payload(inner_ip);
  auto udp = UdpView::Parse(datagram);
  ASSERT_TRUE(udp.has_value());
  EXPECT_EQ(udp->source_port(), 41781);
  EXPECT_EQ(udp->destination_port(), 33434);
  EXPECT_EQ(udp->length(), 40);
  EXPECT_EQ(udp->checksum(), 0xd88c);
  EXPECT_EQ(udp->payload().size(), 32u);
  EXPECT_EQ(udp->payload()[0], 0x40);
  EXPECT_EQ(udp->payload()[31], 0x5f);
  EXPECT_TRUE(L4ChecksumVerifiesV4(inner_ip.subspan<12, 4>(), inner_ip.subspan<16, 4>(),
                                   kIpProtoUdp, udp->datagram()));
}

// packetnet gre_ipv6: IPv6/UDP 4003 > 103 whose checksum is wrong
// (tcpdump: "bad udp cksum 0x6ec8 -> 0x7fa6!").
TEST(Udp, PacketnetIpv6BadChecksum) {
  const Span inner_ip6 = Ipv4Payload(kPacketnetGreIpv6Udp).subspan(4);
  const Span datagram = Ipv6Payload(inner_ip6);
  auto udp = UdpView::Parse(datagram);
  ASSERT_TRUE(udp.has_value());
  EXPECT_EQ(udp->source_port(), 4003);
  EXPECT_EQ(udp->destination_port(), 103);
  EXPECT_EQ(udp->length(), 17);
  EXPECT_EQ(udp->checksum(), 0x6ec8);
  EXPECT_EQ(std::string(udp->payload().begin(), udp->payload().end()), "HELLO GRE");
  const auto src = inner_ip6.subspan<8, 16>();
  const auto dst = inner_ip6.subspan<24, 16>();
  EXPECT_FALSE(L4ChecksumVerifiesV6(src, dst, kIpProtoUdp, udp->datagram()));
  EXPECT_EQ(TcpUdpChecksumV6(src, dst, kIpProtoUdp, udp->datagram()), 0x7fa6);

  auto fixed = Copy(datagram);
  auto mut = UdpMutView::Parse(std::span<std::uint8_t>(fixed));
  ASSERT_TRUE(mut.has_value());
  mut->set_checksum(0x7fa6);
  EXPECT_TRUE(L4ChecksumVerifiesV6(src, dst, kIpProtoUdp, mut->datagram()));
}

TEST(Udp, EveryPrefixTruncated) {
  const Span datagram = Ipv4Payload(Ipv4Payload(kDerivedGreUdp).subspan(8));
  for (std::size_t n = 0; n < 8; ++n) {
    EXPECT_TRUE(FailsWith(UdpView::Parse(datagram.first(n)), ParseError::kTruncated, Layer::kUdp));
    EXPECT_TRUE(FailsWith(UdpView::Parse(datagram.first(n), Capture::kMayBeTruncated),
                          ParseError::kTruncated, Layer::kUdp));
  }
  // The length field says 40: every span from 8 to 39 bytes is truncated.
  for (std::size_t n = 8; n < 40; ++n) {
    EXPECT_TRUE(FailsWith(UdpView::Parse(datagram.first(n)), ParseError::kTruncated, Layer::kUdp));
    auto cut = UdpView::Parse(datagram.first(n), Capture::kMayBeTruncated);
    ASSERT_TRUE(cut.has_value());
    EXPECT_TRUE(cut->truncated());
    EXPECT_EQ(cut->datagram_length(), n);
    EXPECT_EQ(cut->payload().size(), n - 8);
  }
  EXPECT_TRUE(UdpView::Parse(datagram.first(40)).has_value());
}

// The Length field corrupted: 1..7 is smaller than the header, above the span is truncation,
// below the span bounds the payload, 0 means "to the end of the span".
TEST(Udp, LengthFieldCorrupted) {
  auto bytes = Copy(Ipv4Payload(Ipv4Payload(kDerivedGreUdp).subspan(8)));
  ASSERT_EQ(bytes.size(), 40u);
  bytes.push_back(0xee);  // a trailing byte that is not part of the datagram
  bytes.push_back(0xee);
  auto set_length = [&](std::uint16_t l) { StoreBe16(std::span(bytes).subspan<4, 2>(), l); };
  for (std::uint16_t l = 1; l < 8; ++l) {
    set_length(l);
    EXPECT_TRUE(FailsWith(UdpView::Parse(bytes), ParseError::kLengthMismatch, Layer::kUdp)) << l;
    EXPECT_TRUE(FailsWith(UdpView::Parse(bytes, Capture::kMayBeTruncated),
                          ParseError::kLengthMismatch, Layer::kUdp));
  }
  set_length(8);
  auto empty = UdpView::Parse(bytes);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->payload().empty());
  EXPECT_EQ(empty->datagram().size(), 8u);
  EXPECT_EQ(empty->bytes().size(), 42u);

  set_length(40);
  auto exact = UdpView::Parse(bytes);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->payload().size(), 32u);  // the two 0xee bytes are not payload
  EXPECT_EQ(exact->datagram().size(), 40u);

  set_length(43);
  EXPECT_TRUE(FailsWith(UdpView::Parse(bytes), ParseError::kTruncated, Layer::kUdp));
  auto cut = UdpView::Parse(bytes, Capture::kMayBeTruncated);
  ASSERT_TRUE(cut.has_value());
  EXPECT_TRUE(cut->truncated());
  EXPECT_EQ(cut->datagram_length(), 42u);
  set_length(0xffff);
  EXPECT_TRUE(FailsWith(UdpView::Parse(bytes), ParseError::kTruncated, Layer::kUdp));

  // RFC 2675 §4: length 0 (jumbogram / offload template) -> the datagram is the whole span.
  set_length(0);
  auto jumbo = UdpView::Parse(bytes);
  ASSERT_TRUE(jumbo.has_value());
  EXPECT_TRUE(jumbo->length_zero());
  EXPECT_FALSE(jumbo->truncated());
  EXPECT_EQ(jumbo->datagram_length(), 42u);
  EXPECT_EQ(jumbo->payload().size(), 34u);
  // Length 0 with nothing after the header.
  auto bare = UdpView::Parse(std::span(bytes).first(8));
  ASSERT_TRUE(bare.has_value());
  EXPECT_TRUE(bare->payload().empty());
}

// RFC 768: checksum 0 over IPv4 = "no checksum"; a computed 0 is sent as 0xFFFF.
TEST(Udp, ChecksumZeroRules) {
  auto bytes = Copy(Ipv4Payload(Ipv4Payload(kDerivedGreUdp).subspan(8)));
  const std::array<std::uint8_t, 4> src{2, 3, 4, 5}, dst{2, 3, 4, 50};
  auto udp = UdpMutView::Parse(std::span<std::uint8_t>(bytes));
  ASSERT_TRUE(udp.has_value());
  udp->set_checksum(0);
  EXPECT_TRUE(UdpChecksumAbsentV4(*udp));

  // Make the true checksum 0: choose the last payload word so that the whole sum is 0xFFFF.
  StoreBe16(std::span(bytes).subspan<38, 2>(), 0);
  const std::uint16_t rest = OnesSum(bytes, PseudoHeaderSumV4(src, dst, kIpProtoUdp, 40));
  StoreBe16(std::span(bytes).subspan<38, 2>(), Complement(rest));
  EXPECT_EQ(OnesSum(bytes, PseudoHeaderSumV4(src, dst, kIpProtoUdp, 40)), 0xffff);
  EXPECT_EQ(TcpUdpChecksumV4(src, dst, kIpProtoUdp, bytes), 0xffff);  // not 0x0000
  EXPECT_EQ(UdpChecksumOnWire(0x0000), 0xffff);
  EXPECT_EQ(UdpChecksumOnWire(0x1234), 0x1234);
  udp->set_checksum(0xffff);
  EXPECT_FALSE(UdpChecksumAbsentV4(*udp));
  EXPECT_TRUE(L4ChecksumVerifiesV4(src, dst, kIpProtoUdp, bytes));
}

TEST(Udp, ReprRoundTrips) {
  const Span datagram = Ipv4Payload(Ipv4Payload(kDerivedGreUdp).subspan(8));
  auto udp = UdpView::Parse(datagram);
  ASSERT_TRUE(udp.has_value());
  const UdpRepr repr = UdpRepr::From(*udp);
  EXPECT_EQ(repr, (UdpRepr{41781, 33434, 40, 0xd88c}));
  std::array<std::uint8_t, 10> out{};
  out.fill(0xa5);
  repr.Emit(out);
  EXPECT_EQ(Copy(std::span(out).first(8)), Copy(datagram.first(8)));
  EXPECT_EQ(out[8], 0xa5);

  const UdpRepr r{53, 5353, 10, 0xabcd};
  std::array<std::uint8_t, 10> buf{};
  r.Emit(buf);
  auto back = UdpView::Parse(buf);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(UdpRepr::From(*back), r);
  EXPECT_EQ(back->payload().size(), 2u);
}

TEST(Udp, MutViewSetters) {
  std::array<std::uint8_t, 12> buf{};
  auto udp = UdpMutView::Unchecked(buf);
  udp.set_source_port(0x0102);
  udp.set_destination_port(0x0304);
  udp.set_length(12);
  udp.set_checksum(0x0506);
  EXPECT_EQ(Copy(std::span(buf).first(8)), (std::vector<std::uint8_t>{1, 2, 3, 4, 0, 12, 5, 6}));
  auto parsed = UdpView::Parse(buf);
  ASSERT_TRUE(parsed.has_value());
  const UdpView ro = UdpMutView::Unchecked(buf);
  EXPECT_EQ(ro.length(), 12);
  EXPECT_EQ(parsed->payload().size(), 4u);
}

}  // namespace
}  // namespace nvgre::wire
