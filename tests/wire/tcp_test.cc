// Tests for tcp.h: the TCP header (RFC 9293 §3.1) and the option walk (§3.2).
//
// Fixtures are IPv4 packets from ../shared/testdata (see SOURCES.md there) with their
// `tcpdump -nn -vv -X` dump; the TCP checksums are checked against the IPv4 pseudo-header.
#include "nvgre/wire/tcp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "nvgre/wire/l4_checksum.h"

namespace nvgre::wire {
namespace {

using Span = std::span<const std::uint8_t>;

// The payload of a well-formed IPv4 packet (IHL and Total Length applied; link padding dropped).
Span Ipv4Payload(Span ip) {
  const std::size_t ihl = 4u * (ip[0] & 0x0Fu);
  const std::size_t total = (std::size_t{ip[2]} << 8) | ip[3];
  return ip.subspan(ihl, total - ihl);
}
std::span<const std::uint8_t, 4> Src(Span ip) { return ip.subspan<12, 4>(); }
std::span<const std::uint8_t, 4> Dst(Span ip) { return ip.subspan<16, 4>(); }

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

// pcapplusplus_GrePackets_pptp.pcap frame 3, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 6346, offset 0, flags [none], proto TCP (6), length 56)
//      20.0.0.2.1999 > 20.0.0.1.1723: Flags [S], cksum 0x808c (correct), seq 453582462, win 2920, options [mss 1460,sackOK,TS val 3104727 ecr 0], length 0
//      0x0000:  4500 0038 18ca 0000 4006 39f4 1400 0002  E..8....@.9.....
//      0x0010:  1400 0001 07cf 06bb 1b09 1e7e 0000 0000  ...........~....
//      0x0020:  9002 0b68 808c 0000 0204 05b4 0402 080a  ...h............
//      0x0030:  002f 5fd7 0000 0000                      ./_.....
constexpr std::array<std::uint8_t, 56> kPptpSynOptions{
    0x45, 0x00, 0x00, 0x38, 0x18, 0xca, 0x00, 0x00, 0x40, 0x06, 0x39, 0xf4,
    0x14, 0x00, 0x00, 0x02, 0x14, 0x00, 0x00, 0x01, 0x07, 0xcf, 0x06, 0xbb,
    0x1b, 0x09, 0x1e, 0x7e, 0x00, 0x00, 0x00, 0x00, 0x90, 0x02, 0x0b, 0x68,
    0x80, 0x8c, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0x00, 0x2f, 0x5f, 0xd7, 0x00, 0x00, 0x00, 0x00,
};
// pcapplusplus_GrePackets_pptp.pcap frame 4, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 255, id 57192, offset 0, flags [none], proto TCP (6), length 44)
//      20.0.0.1.1723 > 20.0.0.2.1999: Flags [S.], cksum 0x7357 (correct), seq 3113151227, ack 453582463, win 4128, options [mss 1460], length 0
//      0x0000:  4500 002c df68 0000 ff06 b460 1400 0001  E..,.h.....`....
//      0x0010:  1400 0002 06bb 07cf b98e eafb 1b09 1e7f  ................
//      0x0020:  6012 1020 7357 0000 0204 05b4 0000       `...sW........
constexpr std::array<std::uint8_t, 46> kPptpSynAckMss{
    0x45, 0x00, 0x00, 0x2c, 0xdf, 0x68, 0x00, 0x00, 0xff, 0x06, 0xb4, 0x60,
    0x14, 0x00, 0x00, 0x01, 0x14, 0x00, 0x00, 0x02, 0x06, 0xbb, 0x07, 0xcf,
    0xb9, 0x8e, 0xea, 0xfb, 0x1b, 0x09, 0x1e, 0x7f, 0x60, 0x12, 0x10, 0x20,
    0x73, 0x57, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x00, 0x00,
};
// zeek_gre-sample.pcap frame 11, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 255, id 0, offset 0, flags [DF], proto GRE (47), length 84)
//      172.27.1.66 > 66.59.109.137: GREv0, Flags [none], length 64
//      IP (tos 0x0, ttl 64, id 21974, offset 0, flags [DF], proto TCP (6), length 60)
//      66.59.111.190.40264 > 172.28.2.3.22: Flags [SEW], cksum 0x662f (correct), seq 813658343, win 5744, options [mss 1436,sackOK,TS val 112272689 ecr 0,nop,wscale 0], length 0
//      0x0000:  4500 0054 0000 4000 ff2f 1e59 ac1b 0142  E..T..@../.Y...B
//      0x0010:  423b 6d89 0000 0800 4500 003c 55d6 4000  B;m.....E..<U.@.
//      0x0020:  4006 84cd 423b 6fbe ac1c 0203 9d48 0016  @...B;o......H..
//      0x0030:  307f 70e7 0000 0000 a0c2 1670 662f 0000  0.p........pf/..
//      0x0040:  0204 059c 0402 080a 06b1 2531 0000 0000  ..........%1....
//      0x0050:  0103 0300                                ....
constexpr std::array<std::uint8_t, 84> kZeekGreSynEceCwr{
    0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0xff, 0x2f, 0x1e, 0x59,
    0xac, 0x1b, 0x01, 0x42, 0x42, 0x3b, 0x6d, 0x89, 0x00, 0x00, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x3c, 0x55, 0xd6, 0x40, 0x00, 0x40, 0x06, 0x84, 0xcd,
    0x42, 0x3b, 0x6f, 0xbe, 0xac, 0x1c, 0x02, 0x03, 0x9d, 0x48, 0x00, 0x16,
    0x30, 0x7f, 0x70, 0xe7, 0x00, 0x00, 0x00, 0x00, 0xa0, 0xc2, 0x16, 0x70,
    0x66, 0x2f, 0x00, 0x00, 0x02, 0x04, 0x05, 0x9c, 0x04, 0x02, 0x08, 0x0a,
    0x06, 0xb1, 0x25, 0x31, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x00,
};

struct Opt {
  std::uint8_t kind;
  std::vector<std::uint8_t> data;
  friend bool operator==(const Opt&, const Opt&) = default;
};
std::vector<Opt> Options(Span options) {
  std::vector<Opt> out;
  auto r = ForEachTcpOption(options, [&](TcpOption o) { out.push_back({o.kind, Copy(o.data)}); });
  EXPECT_TRUE(r.has_value());
  if (r) {
    EXPECT_EQ(*r, out.size());
  }
  return out;
}

// PPTP control connection SYN: 1999 -> 1723, options [mss 1460,sackOK,TS val 3104727 ecr 0].
TEST(Tcp, PptpSynDeconstruct) {
  const Span segment = Ipv4Payload(kPptpSynOptions);
  auto tcp = TcpView::Parse(segment);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->source_port(), 1999);
  EXPECT_EQ(tcp->destination_port(), 1723);
  EXPECT_EQ(tcp->sequence_number(), 453582462u);
  EXPECT_EQ(tcp->acknowledgment_number(), 0u);
  EXPECT_EQ(tcp->data_offset_words(), 9);
  EXPECT_EQ(tcp->header_length(), 36u);
  EXPECT_EQ(tcp->reserved_bits(), 0);
  EXPECT_EQ(tcp->flags(), kTcpFlagSyn);
  EXPECT_TRUE(tcp->syn());
  EXPECT_FALSE(tcp->ack() || tcp->fin() || tcp->rst() || tcp->psh() || tcp->urg());
  EXPECT_EQ(tcp->window(), 2920);
  EXPECT_EQ(tcp->checksum(), 0x808c);
  EXPECT_EQ(tcp->urgent_pointer(), 0);
  EXPECT_EQ(tcp->options().size(), 16u);
  EXPECT_TRUE(tcp->payload().empty());
  EXPECT_TRUE(
      L4ChecksumVerifiesV4(Src(kPptpSynOptions), Dst(kPptpSynOptions), kIpProtoTcp, segment));
  EXPECT_EQ(TcpUdpChecksumV4(Src(kPptpSynOptions), Dst(kPptpSynOptions), kIpProtoTcp, segment),
            0x808c);

  EXPECT_EQ(ValidateTcpOptions(tcp->options()).value(), 3);
  const std::vector<Opt> want{{kTcpOptionMss, {0x05, 0xb4}},
                              {kTcpOptionSackPermitted, {}},
                              {kTcpOptionTimestamps, {0x00, 0x2f, 0x5f, 0xd7, 0, 0, 0, 0}}};
  EXPECT_EQ(Options(tcp->options()), want);
}

// The SYN-ACK: [S.], options [mss 1460]; the capture has 2 bytes of Ethernet padding after the
// 44-byte IPv4 packet, which Ipv4Payload drops (TCP has no length of its own).
TEST(Tcp, PptpSynAckDeconstruct) {
  ASSERT_EQ(kPptpSynAckMss.size(), 46u);
  const Span segment = Ipv4Payload(kPptpSynAckMss);
  ASSERT_EQ(segment.size(), 24u);
  auto tcp = TcpView::Parse(segment);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->sequence_number(), 3113151227u);
  EXPECT_EQ(tcp->acknowledgment_number(), 453582463u);
  EXPECT_EQ(tcp->flags(), kTcpFlagSyn | kTcpFlagAck);
  EXPECT_TRUE(tcp->syn() && tcp->ack());
  EXPECT_EQ(tcp->window(), 4128);
  EXPECT_EQ(tcp->header_length(), 24u);
  EXPECT_EQ(Options(tcp->options()), (std::vector<Opt>{{kTcpOptionMss, {0x05, 0xb4}}}));
  EXPECT_TRUE(L4ChecksumVerifiesV4(Src(kPptpSynAckMss), Dst(kPptpSynAckMss), kIpProtoTcp, segment));
  // With the padding counted as payload the checksum (and length) would be wrong.
  const Span padded = Span(kPptpSynAckMss).subspan(20);
  EXPECT_FALSE(L4ChecksumVerifiesV4(Src(kPptpSynAckMss), Dst(kPptpSynAckMss), kIpProtoTcp, padded));
}

// zeek gre-sample: inner SYN with ECE+CWR ([SEW]), options
// [mss 1436,sackOK,TS val 112272689 ecr 0,nop,wscale 0].
TEST(Tcp, ZeekSynEceCwrDeconstruct) {
  const Span inner_ip = Ipv4Payload(kZeekGreSynEceCwr).subspan(4);  // after the 4-byte GRE header
  const Span segment = Ipv4Payload(inner_ip);
  auto tcp = TcpView::Parse(segment);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->source_port(), 40264);
  EXPECT_EQ(tcp->destination_port(), 22);
  EXPECT_EQ(tcp->sequence_number(), 813658343u);
  EXPECT_EQ(tcp->flags(), kTcpFlagSyn | kTcpFlagEce | kTcpFlagCwr);
  EXPECT_EQ(tcp->flags(), 0xc2);
  EXPECT_TRUE(tcp->syn() && tcp->ece() && tcp->cwr());
  EXPECT_FALSE(tcp->ack());
  EXPECT_EQ(tcp->window(), 5744);
  EXPECT_EQ(tcp->checksum(), 0x662f);
  EXPECT_EQ(tcp->header_length(), 40u);
  EXPECT_TRUE(L4ChecksumVerifiesV4(Src(inner_ip), Dst(inner_ip), kIpProtoTcp, segment));
  const std::vector<Opt> want{{kTcpOptionMss, {0x05, 0x9c}},
                              {kTcpOptionSackPermitted, {}},
                              {kTcpOptionTimestamps, {0x06, 0xb1, 0x25, 0x31, 0, 0, 0, 0}},
                              {kTcpOptionNop, {}},
                              {kTcpOptionWindowScale, {0x00}}};
  EXPECT_EQ(Options(tcp->options()), want);
  EXPECT_EQ(ValidateTcpOptions(tcp->options()).value(), 5);

  // A callback returning false stops the walk.
  int seen = 0;
  auto r = ForEachTcpOption(tcp->options(), [&](TcpOption o) {
    ++seen;
    return o.kind != kTcpOptionSackPermitted;
  });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 2);
  EXPECT_EQ(seen, 2);
}

// Parse -> Repr -> Emit gives the same header bytes; Repr -> Emit -> Parse gives the same Repr.
TEST(Tcp, ReprRoundTrips) {
  const Span segments[] = {Ipv4Payload(kPptpSynOptions), Ipv4Payload(kPptpSynAckMss),
                           Ipv4Payload(Ipv4Payload(kZeekGreSynEceCwr).subspan(4))};
  for (const Span segment : segments) {
    auto tcp = TcpView::Parse(segment);
    ASSERT_TRUE(tcp.has_value());
    const TcpRepr repr = TcpRepr::From(*tcp);
    EXPECT_EQ(repr.header_length(), tcp->header_length());
    std::vector<std::uint8_t> out(repr.header_length(), 0xa5);
    repr.Emit(out);
    EXPECT_EQ(out, Copy(segment.first(tcp->header_length())));
    auto again = TcpView::Parse(out);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(TcpRepr::From(*again), repr);
  }

  TcpRepr r;
  r.source_port = 0x1234;
  r.destination_port = 443;
  r.sequence_number = 0xdeadbeef;
  r.acknowledgment_number = 0x01020304;
  r.flags = kTcpFlagPsh | kTcpFlagAck | kTcpFlagFin;
  r.window = 65535;
  r.checksum = 0xbeef;
  r.urgent_pointer = 7;
  const std::array<std::uint8_t, 7> opts{kTcpOptionNop, kTcpOptionNop, kTcpOptionWindowScale, 3, 14,
                                         kTcpOptionSackPermitted, 2};
  r.set_options(opts);
  ASSERT_EQ(r.header_length(), 28u);  // 7 option bytes padded to 8
  std::vector<std::uint8_t> out(r.header_length() + 5, 0xa5);
  r.Emit(out);
  EXPECT_EQ(out[12], 0x70);                       // data offset 7, reserved 0
  EXPECT_EQ(out[27], 0x00);                       // EOL padding
  EXPECT_EQ(out[28], 0xa5);                       // nothing written past the header
  auto tcp = TcpView::Parse(out);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->source_port(), 0x1234);
  EXPECT_EQ(tcp->destination_port(), 443);
  EXPECT_EQ(tcp->sequence_number(), 0xdeadbeefu);
  EXPECT_EQ(tcp->acknowledgment_number(), 0x01020304u);
  EXPECT_TRUE(tcp->psh() && tcp->ack() && tcp->fin());
  EXPECT_EQ(tcp->window(), 65535);
  EXPECT_EQ(tcp->checksum(), 0xbeef);
  EXPECT_EQ(tcp->urgent_pointer(), 7);
  EXPECT_EQ(tcp->payload().size(), 5u);
  EXPECT_EQ(ValidateTcpOptions(tcp->options()).value(), 4);
  TcpRepr back = TcpRepr::From(*tcp);
  EXPECT_EQ(back.options_length, 8);
  EXPECT_EQ(Copy(back.option_bytes()).size(), 8u);
  back.set_options(opts);
  EXPECT_EQ(back, r);
}

TEST(Tcp, EveryPrefixTruncated) {
  const Span segment = Ipv4Payload(kPptpSynOptions);  // 36-byte header
  for (std::size_t n = 0; n < 36; ++n) {
    SCOPED_TRACE(n);
    EXPECT_TRUE(FailsWith(TcpView::Parse(segment.first(n)), ParseError::kTruncated, Layer::kTcp));
  }
  EXPECT_TRUE(TcpView::Parse(segment.first(36)).has_value());
}

// The data offset is the only length field: < 5 words is a bad header length, more than the
// span is truncation.
TEST(Tcp, DataOffsetCorrupted) {
  auto bytes = Copy(Ipv4Payload(kPptpSynOptions));
  for (std::uint8_t words = 0; words < 5; ++words) {
    bytes[12] = static_cast<std::uint8_t>(words << 4);
    EXPECT_TRUE(FailsWith(TcpView::Parse(bytes), ParseError::kBadHeaderLength, Layer::kTcp));
  }
  bytes[12] = 0x50;
  auto five = TcpView::Parse(bytes);
  ASSERT_TRUE(five.has_value());
  EXPECT_TRUE(five->options().empty());
  EXPECT_EQ(five->payload().size(), 16u);
  bytes[12] = 0x90;
  EXPECT_TRUE(TcpView::Parse(bytes).has_value());  // exactly 36 bytes
  for (std::uint8_t words = 10; words <= 15; ++words) {
    bytes[12] = static_cast<std::uint8_t>(words << 4);
    EXPECT_TRUE(FailsWith(TcpView::Parse(bytes), ParseError::kTruncated, Layer::kTcp));
  }
  bytes.resize(60);
  bytes[12] = 0xf0;
  auto max = TcpView::Parse(bytes);
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->header_length(), 60u);
  EXPECT_EQ(max->options().size(), 40u);
  // The reserved bits do not take part in the data offset.
  bytes[12] = 0x5f;
  auto reserved = TcpView::Parse(bytes);
  ASSERT_TRUE(reserved.has_value());
  EXPECT_EQ(reserved->header_length(), 20u);
  EXPECT_EQ(reserved->reserved_bits(), 0x0f);
}

TEST(Tcp, MutViewSetters) {
  std::array<std::uint8_t, 24> buf{};
  TcpRepr{}.Emit(buf);
  auto tcp = TcpMutView::Parse(std::span<std::uint8_t>(buf));
  ASSERT_TRUE(tcp.has_value());
  tcp->set_source_port(80);
  tcp->set_destination_port(8080);
  tcp->set_sequence_number(1);
  tcp->set_acknowledgment_number(2);
  tcp->set_flags(kTcpFlagRst | kTcpFlagUrg);
  tcp->set_window(3);
  tcp->set_checksum(4);
  tcp->set_urgent_pointer(5);
  tcp->set_data_offset_words(6);
  const TcpView ro = *tcp;
  EXPECT_EQ(ro.source_port(), 80);
  EXPECT_EQ(ro.destination_port(), 8080);
  EXPECT_EQ(ro.sequence_number(), 1u);
  EXPECT_EQ(ro.acknowledgment_number(), 2u);
  EXPECT_TRUE(ro.rst() && ro.urg());
  EXPECT_EQ(ro.window(), 3);
  EXPECT_EQ(ro.checksum(), 4);
  EXPECT_EQ(ro.urgent_pointer(), 5);
  EXPECT_EQ(ro.header_length(), 24u);
  EXPECT_EQ((std::vector<std::uint8_t>(buf.begin(), buf.begin() + 20)),
            (std::vector<std::uint8_t>{0, 80, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 2, 0x60, 0x24, 0, 3,
                                       0, 4, 0, 5}));
}

// ---- Option walk ---------------------------------------------------------------------------

Result<std::uint8_t> Walk(std::vector<std::uint8_t> options) { return ValidateTcpOptions(options); }

TEST(Tcp, OptionsWellFormed) {
  EXPECT_EQ(Walk({}).value(), 0);
  EXPECT_EQ(Walk({0, 0, 0, 0}).value(), 0);                     // EOL at once
  EXPECT_EQ(Walk({1, 1, 1, 0}).value(), 3);                     // NOPs count
  EXPECT_EQ(Walk({1, 0, 0xff, 0xff}).value(), 1);               // after EOL: padding, not parsed
  EXPECT_EQ(Walk({2, 4, 0x05, 0xb4}).value(), 1);               // MSS
  EXPECT_EQ(Walk({1, 3, 3, 7}).value(), 2);                     // NOP, window scale
  EXPECT_EQ(Walk({4, 2, 1, 1}).value(), 3);                     // SACK-permitted, NOP, NOP
  EXPECT_EQ(Walk({1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8}).value(), 3);  // timestamps
  EXPECT_EQ(Walk({5, 10, 0, 0, 0, 1, 0, 0, 0, 2}).value(), 1);  // SACK, 1 block
  EXPECT_EQ(Walk({5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4}).value(), 1);  // 2 blocks
  EXPECT_EQ(Walk({30, 2, 254, 4, 0xf9, 0x89, 0, 0}).value(), 2);  // unknown kinds, any len >= 2
  EXPECT_EQ(Walk({34, 3, 0}).value(), 1);                        // ends exactly at the span end
}

// Malformed options fail with {kBadHeaderLength, kTcp, 20 + offset of the bad option}.
TEST(Tcp, OptionsMalformed) {
  const struct {
    std::vector<std::uint8_t> options;
    std::uint32_t offset;
  } cases[] = {
      {{2}, 20},                                  // kind without a length byte
      {{1, 1, 1, 8}, 23},                         // same, after NOPs
      {{30, 0, 0, 0}, 20},                        // length 0 (would loop forever)
      {{30, 1, 0, 0}, 20},                        // length 1 (shorter than kind + length)
      {{30, 5, 0, 0}, 20},                        // beyond the span
      {{1, 2, 4, 5}, 21},                         // MSS cut short by the span
      {{2, 3, 5, 0}, 20},                         // MSS length 3
      {{2, 5, 5, 0xb4, 0}, 20},                   // MSS length 5
      {{1, 3, 2, 0}, 21},                         // window scale length 2
      {{3, 4, 7, 0}, 20},                         // window scale length 4
      {{4, 3, 0, 0}, 20},                         // SACK-permitted length 3
      {{8, 8, 1, 2, 3, 4, 5, 6}, 20},             // timestamps length 8
      {{1, 1, 8, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0}, 22},  // timestamps length 12
      {{5, 2, 0, 0}, 20},                         // SACK with no block
      {{5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, 20},  // SACK not 2 + 8n
      {{2, 4, 5, 0xb4, 30, 2, 3, 9, 9}, 26},      // third option runs past the end
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.options));
    EXPECT_TRUE(FailsWith(Walk(c.options), ParseError::kBadHeaderLength, Layer::kTcp, c.offset));
  }
  // Options before the bad one are still reported to the callback.
  std::vector<std::uint8_t> kinds;
  const std::vector<std::uint8_t> bad{2, 4, 5, 0xb4, 1, 3, 9, 7};
  auto r = ForEachTcpOption(bad, [&](TcpOption o) { kinds.push_back(o.kind); });
  EXPECT_TRUE(FailsWith(r, ParseError::kBadHeaderLength, Layer::kTcp, 25));
  EXPECT_EQ(kinds, (std::vector<std::uint8_t>{kTcpOptionMss, kTcpOptionNop}));
}

// Every two-byte option area: never reads outside the span (ASan), the count matches the
// callbacks, and exactly these are accepted: EOL first; NOP then EOL or NOP; a kind of length 2
// that allows it (SACK-permitted, unknown kinds).
TEST(Tcp, OptionsExhaustiveTwoBytes) {
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const std::array<std::uint8_t, 2> two{static_cast<std::uint8_t>(a),
                                            static_cast<std::uint8_t>(b)};
      int calls = 0;
      auto r = ForEachTcpOption(two, [&](TcpOption o) {
        ++calls;
        EXPECT_TRUE(o.data.empty());
      });
      if (r) {
        EXPECT_EQ(*r, calls);
      }
      const bool fixed_length = a == kTcpOptionMss || a == kTcpOptionWindowScale ||
                                a == kTcpOptionTimestamps || a == kTcpOptionSack;
      const bool ok = a == kTcpOptionEol || (a == kTcpOptionNop && b <= 1) ||
                      (a >= 2 && b == 2 && !fixed_length);
      EXPECT_EQ(r.has_value(), ok) << a << " " << b;
    }
  }
}

}  // namespace
}  // namespace nvgre::wire
