// Tests for icmp.h: ICMP (RFC 792) and ICMPv6 (RFC 4443).
//
// ICMPv4 fixtures are GRE-encapsulated packets from ../shared/testdata (see SOURCES.md there)
// with their `tcpdump -nn -vv -X` dump. No capture there carries ICMPv6, so the ICMPv6 known
// answers are smoltcp's (src/wire/icmpv6.rs tests: echo request and Packet Too Big from fe80::1
// to fe80::2, checksums 0x19b3 and 0x0fc9), together with its ICMPv4 echo vector (0x8efe).
#include "nvgre/wire/icmp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nvgre::wire {
namespace {

using Span = std::span<const std::uint8_t>;

// The payload of a well-formed IPv4 packet (IHL and Total Length applied).
Span Ipv4Payload(Span ip) {
  const std::size_t ihl = 4u * (ip[0] & 0x0Fu);
  const std::size_t total = (std::size_t{ip[2]} << 8) | ip[3];
  return ip.subspan(ihl, total - ihl);
}

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

// pcapplusplus_GrePackets.converted.pcap frame 4, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto GRE (47), length 63)
//      127.0.0.1 > 127.0.0.1: GREv0, Flags [checksum present], sum 0x77ff, off 0x0, length 43
//      IP (tos 0x0, ttl 64, id 19471, offset 0, flags [none], proto ICMP (1), length 35)
//      127.0.0.1 > 127.0.0.1: ICMP echo reply, id 42732, seq 1, length 15
//      0x0000:  4500 003f 0001 0000 402f 7c8d 7f00 0001  E..?....@/|.....
//      0x0010:  7f00 0001 8000 0800 77ff 0000 4500 0023  ........w...E..#
//      0x0020:  4c0f 0000 4001 30c9 7f00 0001 7f00 0001  L...@.0.........
//      0x0030:  0000 e226 a6ec 0001 7661 6c69 6420 30    ...&....valid.0
constexpr std::array<std::uint8_t, 63> kPcppGreIcmpEchoReply{
    0x45, 0x00, 0x00, 0x3f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x7c, 0x8d,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x80, 0x00, 0x08, 0x00,
    0x77, 0xff, 0x00, 0x00, 0x45, 0x00, 0x00, 0x23, 0x4c, 0x0f, 0x00, 0x00,
    0x40, 0x01, 0x30, 0xc9, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
    0x00, 0x00, 0xe2, 0x26, 0xa6, 0xec, 0x00, 0x01, 0x76, 0x61, 0x6c, 0x69,
    0x64, 0x20, 0x30,
};
// derived_gre_checksum_vectors.pcap frame 1, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 255, id 10, offset 0, flags [none], proto GRE (47), length 124)
//      10.0.0.1 > 10.0.0.2: GREv0, Flags [checksum present], sum 0x77ff, off 0x0, length 104
//      IP (tos 0x0, ttl 255, id 10, offset 0, flags [none], proto ICMP (1), length 96)
//      1.1.1.1 > 2.2.2.2: ICMP echo request, id 2, seq 0, length 76
//      0x0000:  4500 007c 000a 0000 ff2f a746 0a00 0001  E..|...../.F....
//      0x0010:  0a00 0002 8000 0800 77ff 0000 4500 0060  ........w...E..`
//      0x0020:  000a 0000 ff01 b58d 0101 0101 0202 0202  ................
//      0x0030:  0800 1770 0002 0000 0000 0000 0003 be70  ...p...........p
//      0x0040:  abcd abcd abcd abcd abcd abcd abcd abcd  ................
//      0x0050:  abcd abcd abcd abcd abcd abcd abcd abcd  ................
//      0x0060:  abcd abcd abcd abcd abcd abcd abcd abcd  ................
//      0x0070:  abcd abcd abcd abcd abcd abcd            ............
constexpr std::array<std::uint8_t, 124> kDerivedGreIcmpEcho{
    0x45, 0x00, 0x00, 0x7c, 0x00, 0x0a, 0x00, 0x00, 0xff, 0x2f, 0xa7, 0x46,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x80, 0x00, 0x08, 0x00,
    0x77, 0xff, 0x00, 0x00, 0x45, 0x00, 0x00, 0x60, 0x00, 0x0a, 0x00, 0x00,
    0xff, 0x01, 0xb5, 0x8d, 0x01, 0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02,
    0x08, 0x00, 0x17, 0x70, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x03, 0xbe, 0x70, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd,
};

// smoltcp src/wire/icmp.rs ECHO_PACKET_BYTES (echo request, id 0x1234, seq 0xabcd).
constexpr std::array<std::uint8_t, 12> kSmoltcpIcmpEcho{0x08, 0x00, 0x8e, 0xfe, 0x12, 0x34,
                                                        0xab, 0xcd, 0xaa, 0x00, 0x00, 0xff};
// smoltcp src/wire/icmpv6.rs ECHO_PACKET_BYTES and PKT_TOO_BIG_BYTES, fe80::1 -> fe80::2.
constexpr std::array<std::uint8_t, 12> kSmoltcpIcmpv6Echo{0x80, 0x00, 0x19, 0xb3, 0x12, 0x34,
                                                          0xab, 0xcd, 0xaa, 0x00, 0x00, 0xff};
constexpr std::array<std::uint8_t, 60> kSmoltcpIcmpv6PacketTooBig{
    0x02, 0x00, 0x0f, 0xc9, 0x00, 0x00, 0x05, 0xdc, 0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11,
    0x40, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0xbf, 0x00, 0x00, 0x35, 0x00, 0x0c, 0x12, 0x4d, 0xaa, 0x00, 0x00, 0xff,
};
constexpr std::array<std::uint8_t, 16> kFe80_1{0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                             0,    0,    0, 0, 0, 0, 0, 1};
constexpr std::array<std::uint8_t, 16> kFe80_2{0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                             0,    0,    0, 0, 0, 0, 0, 2};
constexpr std::array<std::uint8_t, 16> kFe80_3{0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                             0,    0,    0, 0, 0, 0, 0, 3};

// PcapPlusPlus GREv0_1: inner "ICMP echo reply, id 42732, seq 1, length 15" (odd length).
TEST(Icmp, PcapPlusPlusOddLengthEchoReply) {
  const Span message = Ipv4Payload(Ipv4Payload(kPcppGreIcmpEchoReply).subspan(8));
  ASSERT_EQ(message.size(), 15u);
  auto icmp = IcmpView::Parse(message);
  ASSERT_TRUE(icmp.has_value());
  EXPECT_EQ(icmp->type(), kIcmpEchoReply);
  EXPECT_EQ(icmp->code(), 0);
  EXPECT_EQ(icmp->checksum(), 0xe226);
  EXPECT_TRUE(icmp->has_rest());
  EXPECT_TRUE(icmp->is_echo());
  EXPECT_EQ(icmp->echo_identifier(), 42732);
  EXPECT_EQ(icmp->echo_sequence(), 1);
  EXPECT_EQ(icmp->rest(), 0xa6ec0001u);
  EXPECT_EQ(icmp->header_length(), 8u);
  EXPECT_EQ(std::string(icmp->payload().begin(), icmp->payload().end()), "valid 0");
  EXPECT_TRUE(icmp->ChecksumVerifies());

  auto bytes = Copy(message);
  auto mut = IcmpMutView::Parse(std::span<std::uint8_t>(bytes));
  ASSERT_TRUE(mut.has_value());
  mut->set_checksum(0x1111);
  EXPECT_FALSE(mut->ChecksumVerifies());
  mut->FillChecksum();
  EXPECT_EQ(mut->checksum(), 0xe226);
  bytes.back() ^= 0x80;  // the odd trailing byte counts as a high byte
  EXPECT_FALSE(IcmpView::Parse(bytes)->ChecksumVerifies());
}

// gopacket TestGREChecksum: inner "ICMP echo request, id 2, seq 0, length 76".
TEST(Icmp, GopacketEchoRequest) {
  const Span message = Ipv4Payload(Ipv4Payload(kDerivedGreIcmpEcho).subspan(8));
  auto icmp = IcmpView::Parse(message);
  ASSERT_TRUE(icmp.has_value());
  EXPECT_EQ(icmp->type(), kIcmpEchoRequest);
  EXPECT_EQ(icmp->checksum(), 0x1770);
  EXPECT_EQ(icmp->echo_identifier(), 2);
  EXPECT_EQ(icmp->echo_sequence(), 0);
  EXPECT_EQ(icmp->payload().size(), 68u);
  EXPECT_TRUE(icmp->ChecksumVerifies());
  const IcmpRepr repr = IcmpRepr::From(*icmp);
  EXPECT_EQ(repr, (IcmpRepr{kIcmpEchoRequest, 0, 0x1770, 0x00020000}));
  std::array<std::uint8_t, 8> out{};
  repr.Emit(out);
  EXPECT_EQ(Copy(out), Copy(message.first(8)));
}

TEST(Icmp, SmoltcpEchoConstruct) {
  std::array<std::uint8_t, 12> buf{};
  buf.fill(0xa5);
  auto icmp = IcmpMutView::Unchecked(buf);
  IcmpRepr{kIcmpEchoRequest, 0, 0, 0}.Emit(buf);
  icmp.set_echo_identifier(0x1234);
  icmp.set_echo_sequence(0xabcd);
  buf[8] = 0xaa;
  buf[9] = 0x00;
  buf[10] = 0x00;
  buf[11] = 0xff;
  icmp.FillChecksum();
  EXPECT_EQ(buf, kSmoltcpIcmpEcho);
  auto parsed = IcmpView::Parse(kSmoltcpIcmpEcho);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->ChecksumVerifies());
  EXPECT_EQ(parsed->checksum(), 0x8efe);
}

// Fewer than 4 bytes: truncated. 4-7 bytes: a header without the rest word, not an echo.
TEST(Icmp, PrefixesAndShortMessages) {
  for (std::size_t n = 0; n < 4; ++n) {
    EXPECT_TRUE(FailsWith(IcmpView::Parse(Span(kSmoltcpIcmpEcho).first(n)), ParseError::kTruncated,
                          Layer::kIcmp));
    EXPECT_TRUE(FailsWith(Icmpv6View::Parse(Span(kSmoltcpIcmpv6Echo).first(n)),
                          ParseError::kTruncated, Layer::kIcmpv6));
  }
  for (std::size_t n = 4; n < 8; ++n) {
    auto icmp = IcmpView::Parse(Span(kSmoltcpIcmpEcho).first(n));
    ASSERT_TRUE(icmp.has_value());
    EXPECT_EQ(icmp->type(), kIcmpEchoRequest);
    EXPECT_FALSE(icmp->has_rest());
    EXPECT_FALSE(icmp->is_echo());
    EXPECT_EQ(icmp->header_length(), 4u);
    EXPECT_EQ(icmp->payload().size(), n - 4);
    EXPECT_EQ(IcmpRepr::From(*icmp).rest, 0u);
    auto icmp6 = Icmpv6View::Parse(Span(kSmoltcpIcmpv6Echo).first(n));
    ASSERT_TRUE(icmp6.has_value());
    EXPECT_FALSE(icmp6->is_echo());
    EXPECT_EQ(icmp6->header_length(), 4u);
  }
  auto eight = IcmpView::Parse(Span(kSmoltcpIcmpEcho).first(8));
  ASSERT_TRUE(eight.has_value());
  EXPECT_TRUE(eight->is_echo());
  EXPECT_TRUE(eight->payload().empty());
}

TEST(Icmp, NonEchoTypes) {
  std::array<std::uint8_t, 8> buf{};
  IcmpRepr{kIcmpDestinationUnreachable, 4, 0, 1400}.Emit(buf);  // fragmentation needed, MTU 1400
  auto icmp = IcmpView::Parse(buf);
  ASSERT_TRUE(icmp.has_value());
  EXPECT_FALSE(icmp->is_echo());
  EXPECT_EQ(icmp->code(), 4);
  EXPECT_EQ(icmp->rest(), 1400u);
  IcmpMutView::Unchecked(buf).set_rest(0x01020304);
  EXPECT_EQ(buf[4], 0x01);
  EXPECT_EQ(buf[7], 0x04);
}

TEST(Icmpv6, SmoltcpEchoRequest) {
  auto icmp = Icmpv6View::Parse(kSmoltcpIcmpv6Echo);
  ASSERT_TRUE(icmp.has_value());
  EXPECT_EQ(icmp->type(), kIcmpv6EchoRequest);
  EXPECT_EQ(icmp->code(), 0);
  EXPECT_EQ(icmp->checksum(), 0x19b3);
  EXPECT_FALSE(icmp->is_error());
  EXPECT_TRUE(icmp->is_echo());
  EXPECT_EQ(icmp->echo_identifier(), 0x1234);
  EXPECT_EQ(icmp->echo_sequence(), 0xabcd);
  EXPECT_EQ(Copy(icmp->payload()), (std::vector<std::uint8_t>{0xaa, 0x00, 0x00, 0xff}));
  EXPECT_TRUE(icmp->ChecksumVerifies(kFe80_1, kFe80_2));
  EXPECT_FALSE(icmp->ChecksumVerifies(kFe80_1, kFe80_3));  // the pseudo-header counts
  EXPECT_EQ(TcpUdpChecksumV6(kFe80_1, kFe80_2, kIpProtoIcmpv6, kSmoltcpIcmpv6Echo), 0x19b3);

  std::array<std::uint8_t, 12> buf{};
  buf.fill(0xa5);
  IcmpRepr{kIcmpv6EchoRequest, 0, 0, 0x1234abcd}.Emit(buf);
  buf[8] = 0xaa;
  buf[9] = 0x00;
  buf[10] = 0x00;
  buf[11] = 0xff;
  Icmpv6MutView::Unchecked(buf).FillChecksum(kFe80_1, kFe80_2);
  EXPECT_EQ(buf, kSmoltcpIcmpv6Echo);
  buf[10] ^= 0x04;
  EXPECT_FALSE(Icmpv6View::Parse(buf)->ChecksumVerifies(kFe80_1, kFe80_2));
}

TEST(Icmpv6, SmoltcpPacketTooBig) {
  auto icmp = Icmpv6View::Parse(kSmoltcpIcmpv6PacketTooBig);
  ASSERT_TRUE(icmp.has_value());
  EXPECT_EQ(icmp->type(), kIcmpv6PacketTooBig);
  EXPECT_TRUE(icmp->is_error());
  EXPECT_FALSE(icmp->is_echo());
  EXPECT_EQ(icmp->checksum(), 0x0fc9);
  EXPECT_EQ(icmp->mtu(), 1500u);
  EXPECT_EQ(icmp->payload().size(), 52u);
  EXPECT_EQ(icmp->payload()[0], 0x60);  // the invoking IPv6 packet
  EXPECT_TRUE(icmp->ChecksumVerifies(kFe80_1, kFe80_2));
  EXPECT_EQ(Icmpv6Repr::From(*icmp), (Icmpv6Repr{kIcmpv6PacketTooBig, 0, 0x0fc9, 1500}));

  auto bytes = Copy(kSmoltcpIcmpv6PacketTooBig);
  auto mut = Icmpv6MutView::Parse(std::span<std::uint8_t>(bytes));
  ASSERT_TRUE(mut.has_value());
  mut->set_checksum(0);
  mut->FillChecksum(kFe80_1, kFe80_2);
  EXPECT_EQ(mut->checksum(), 0x0fc9);
  mut->set_rest(1280);
  const Icmpv6View ro = *mut;
  EXPECT_EQ(ro.mtu(), 1280u);
  EXPECT_FALSE(ro.ChecksumVerifies(kFe80_1, kFe80_2));
}

TEST(Icmpv6, SettersAndRepr) {
  std::array<std::uint8_t, 8> buf{};
  auto icmp = Icmpv6MutView::Unchecked(buf);
  icmp.set_type(kIcmpv6EchoReply);
  icmp.set_code(0);
  icmp.set_echo_identifier(7);
  icmp.set_echo_sequence(9);
  icmp.set_checksum(0xbeef);
  EXPECT_EQ(Copy(buf), (std::vector<std::uint8_t>{129, 0, 0xbe, 0xef, 0, 7, 0, 9}));
  auto parsed = Icmpv6View::Parse(buf);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->is_echo());
  EXPECT_EQ(Icmpv6Repr::From(*parsed), (Icmpv6Repr{kIcmpv6EchoReply, 0, 0xbeef, 0x00070009}));
}

}  // namespace
}  // namespace nvgre::wire
