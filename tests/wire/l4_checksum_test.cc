// Tests for l4_checksum.h: TCP/UDP/ICMPv6 checksums over the IPv4 and IPv6 pseudo-headers.
//
// Known answers: the five packets of DPDK app/test/test_cksum.c (dpdk_test_cksum.pcap in
// ../shared/testdata, expected values in checksum_vectors.txt there), with their
// `tcpdump -nn -vv -X` dumps. Differential: the compute functions (which subtract the checksum
// field in place) against a plain RFC 1071 sum with the field zeroed.
#include "nvgre/wire/l4_checksum.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::wire {
namespace {

using Span = std::span<const std::uint8_t>;

// dpdk_test_cksum.pcap frame 1, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto TCP (6), length 40)
//      127.0.0.1.20 > 127.0.0.1.80: Flags [S], cksum 0x917c (correct), seq 0, win 8192, length 0
//      0x0000:  4500 0028 0001 0000 4006 7ccd 7f00 0001  E..(....@.|.....
//      0x0010:  7f00 0001 0014 0050 0000 0000 0000 0000  .......P........
//      0x0020:  5002 2000 917c 0000                      P....|..
constexpr std::array<std::uint8_t, 40> kDpdkIpv4Tcp{
    0x45, 0x00, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x7c, 0xcd,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x14, 0x00, 0x50,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00,
    0x91, 0x7c, 0x00, 0x00,
};
// dpdk_test_cksum.pcap frame 2, `tcpdump -nn -vv -X`:
//  IP6, wrong link-layer encapsulation (invalid)
//      0x0000:  6000 0000 0014 0640 0000 0000 0000 0000  `......@........
//      0x0010:  0000 0000 0000 0001 0000 0000 0000 0000  ................
//      0x0020:  0000 0000 0000 0001 0014 0050 0000 0000  ...........P....
//      0x0030:  0000 0000 5002 2000 8f7d 0000            ....P....}..
constexpr std::array<std::uint8_t, 60> kDpdkIpv6Tcp{
    0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x14, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x8f, 0x7d, 0x00, 0x00,
};
// dpdk_test_cksum.pcap frame 3, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto UDP (17), length 29)
//      127.0.0.1.53 > 127.0.0.1.53: [udp sum ok] domain [length 1 < 12] (invalid)
//      0x0000:  4500 001d 0001 0000 4011 7ccd 7f00 0001  E.......@.|.....
//      0x0010:  7f00 0001 0035 0035 0009 896f 78         .....5.5...ox
constexpr std::array<std::uint8_t, 29> kDpdkIpv4Udp{
    0x45, 0x00, 0x00, 0x1d, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x7c, 0xcd,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x35, 0x00, 0x35,
    0x00, 0x09, 0x89, 0x6f, 0x78,
};
// dpdk_test_cksum.pcap frame 4, `tcpdump -nn -vv -X`:
//  IP6 (hlim 64, next-header UDP (17) payload length: 9) ::1.53 > ::1.53: [udp sum ok] domain [length 1 < 12] (invalid)
//      0x0000:  6000 0000 0009 1140 0000 0000 0000 0000  `......@........
//      0x0010:  0000 0000 0000 0001 0000 0000 0000 0000  ................
//      0x0020:  0000 0000 0000 0001 0035 0035 0009 8770  .........5.5...p
//      0x0030:  78                                       x
constexpr std::array<std::uint8_t, 49> kDpdkIpv6Udp{
    0x60, 0x00, 0x00, 0x00, 0x00, 0x09, 0x11, 0x40, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x35, 0x00, 0x35, 0x00, 0x09, 0x87, 0x70,
    0x78,
};
// dpdk_test_cksum.pcap frame 5, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto UDP (17), length 33, options (EOL))
//      127.0.0.1.53 > 127.0.0.1.53: [udp sum ok] domain [length 1 < 12] (invalid)
//      0x0000:  4600 0021 0001 0000 4011 7bc9 7f00 0001  F..!....@.{.....
//      0x0010:  7f00 0001 0000 0000 0035 0035 0009 896f  .........5.5...o
//      0x0020:  78                                       x
constexpr std::array<std::uint8_t, 33> kDpdkIpv4OptsUdp{
    0x46, 0x00, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x7b, 0xc9,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x35, 0x00, 0x35, 0x00, 0x09, 0x89, 0x6f, 0x78,
};

struct Known {
  const char* name;
  Span ip;
  bool v6;
  std::uint8_t protocol;
  std::uint16_t checksum;
};

// checksum_vectors.txt: "DPDK frame1 ipv4-tcp l4=0x917c", "frame2 ipv6-tcp l4=0x8f7d",
// "frame3 ipv4-udp l4=0x896f", "frame4 ipv6-udp l4=0x8770", "frame5 ipv4-opts-udp l4=0x896f".
// (Frame 2 sits behind EtherType 0x0800 in the capture, hence tcpdump's complaint; the bytes
// above start at its IPv6 header.)
const Known kKnown[] = {
    {"ipv4-tcp", kDpdkIpv4Tcp, false, kIpProtoTcp, 0x917c},
    {"ipv6-tcp", kDpdkIpv6Tcp, true, kIpProtoTcp, 0x8f7d},
    {"ipv4-udp", kDpdkIpv4Udp, false, kIpProtoUdp, 0x896f},
    {"ipv6-udp", kDpdkIpv6Udp, true, kIpProtoUdp, 0x8770},
    {"ipv4-opts-udp", kDpdkIpv4OptsUdp, false, kIpProtoUdp, 0x896f},
};

Span L4(const Known& k) {
  if (k.v6) return k.ip.subspan(40, (std::size_t{k.ip[4]} << 8) | k.ip[5]);
  const std::size_t ihl = 4u * (k.ip[0] & 0x0Fu);
  return k.ip.subspan(ihl, ((std::size_t{k.ip[2]} << 8) | k.ip[3]) - ihl);
}

bool Verifies(const Known& k, Span segment) {
  if (k.v6) {
    return L4ChecksumVerifiesV6(k.ip.subspan<8, 16>(), k.ip.subspan<24, 16>(), k.protocol, segment);
  }
  return L4ChecksumVerifiesV4(k.ip.subspan<12, 4>(), k.ip.subspan<16, 4>(), k.protocol, segment);
}
std::uint16_t Compute(const Known& k, Span segment) {
  if (k.v6) {
    return TcpUdpChecksumV6(k.ip.subspan<8, 16>(), k.ip.subspan<24, 16>(), k.protocol, segment);
  }
  return TcpUdpChecksumV4(k.ip.subspan<12, 4>(), k.ip.subspan<16, 4>(), k.protocol, segment);
}

TEST(TcpUdpChecksum, DpdkStoredChecksumsVerify) {
  for (const Known& k : kKnown) {
    SCOPED_TRACE(k.name);
    const Span l4 = L4(k);
    std::uint16_t stored = 0;
    Span segment = l4;
    if (k.protocol == kIpProtoTcp) {
      auto tcp = TcpView::Parse(l4);
      ASSERT_TRUE(tcp.has_value());
      EXPECT_EQ(tcp->source_port(), 20);
      EXPECT_EQ(tcp->destination_port(), 80);
      EXPECT_TRUE(tcp->syn());
      stored = tcp->checksum();
    } else {
      auto udp = UdpView::Parse(l4);
      ASSERT_TRUE(udp.has_value());
      EXPECT_EQ(udp->source_port(), 53);
      EXPECT_EQ(udp->length(), 9);
      EXPECT_EQ(udp->payload().size(), 1u);
      EXPECT_EQ(udp->payload()[0], 'x');
      stored = udp->checksum();
      segment = udp->datagram();
    }
    EXPECT_EQ(stored, k.checksum);
    EXPECT_TRUE(Verifies(k, segment));
    EXPECT_EQ(Compute(k, segment), k.checksum);  // field left in place

    auto flipped = std::vector<std::uint8_t>(segment.begin(), segment.end());
    flipped.back() ^= 0x01;
    EXPECT_FALSE(Verifies(k, flipped));
    // The wrong protocol or the wrong address family changes the pseudo-header.
    Known other = k;
    other.protocol = k.protocol == kIpProtoTcp ? kIpProtoUdp : kIpProtoTcp;
    EXPECT_FALSE(Verifies(other, segment));
  }
}

// A segment whose checksum field is zeroed gives the same value as with the field in place.
TEST(TcpUdpChecksum, ComputeIgnoresFieldInPlace) {
  for (const Known& k : kKnown) {
    SCOPED_TRACE(k.name);
    std::vector<std::uint8_t> zeroed(L4(k).begin(), L4(k).end());
    if (k.protocol == kIpProtoUdp) zeroed.resize(9);
    const std::size_t off = L4ChecksumOffset(k.protocol);
    zeroed[off] = zeroed[off + 1] = 0;
    EXPECT_EQ(Compute(k, zeroed), k.checksum);
    zeroed[off] = 0x5a;
    zeroed[off + 1] = 0xa5;
    EXPECT_EQ(Compute(k, zeroed), k.checksum);
  }
}

// Differential against ~(pseudo + RFC 1071 reference sum with the field zeroed), over random
// segments of every length 8..300 (odd ones included), both families and three protocols.
TEST(TcpUdpChecksum, MatchesReferenceWithFieldZeroed) {
  std::mt19937 rng(9293);
  auto byte = [&] { return static_cast<std::uint8_t>(rng() & 0xff); };
  for (std::size_t len = 8; len <= 300; ++len) {
    std::array<std::uint8_t, 16> s6{}, d6{};
    std::array<std::uint8_t, 4> s4{}, d4{};
    for (auto& b : s6) b = byte();
    for (auto& b : d6) b = byte();
    for (auto& b : s4) b = byte();
    for (auto& b : d4) b = byte();
    for (std::uint8_t proto : {kIpProtoTcp, kIpProtoUdp, kIpProtoIcmpv6}) {
      const std::size_t off = L4ChecksumOffset(proto);
      if (len < off + 2) continue;
      std::vector<std::uint8_t> seg(len);
      for (auto& b : seg) b = byte();
      std::vector<std::uint8_t> zeroed = seg;
      zeroed[off] = zeroed[off + 1] = 0;
      const auto n = static_cast<std::uint32_t>(len);
      std::uint16_t want4 =
          Complement(OnesSumReference(zeroed, PseudoHeaderSumV4(s4, d4, proto, n)));
      std::uint16_t want6 =
          Complement(OnesSumReference(zeroed, PseudoHeaderSumV6(s6, d6, proto, n)));
      if (proto == kIpProtoUdp) {
        want4 = UdpChecksumOnWire(want4);
        want6 = UdpChecksumOnWire(want6);
      }
      ASSERT_EQ(TcpUdpChecksumV4(s4, d4, proto, seg), want4) << len << " " << int{proto};
      ASSERT_EQ(TcpUdpChecksumV6(s6, d6, proto, seg), want6) << len << " " << int{proto};
      // Storing the result makes the segment verify.
      StoreBe16(std::span(seg).subspan(off).first<2>(), want4);
      ASSERT_TRUE(L4ChecksumVerifiesV4(s4, d4, proto, seg)) << len;
      StoreBe16(std::span(seg).subspan(off).first<2>(), want6);
      ASSERT_TRUE(L4ChecksumVerifiesV6(s6, d6, proto, seg)) << len;
    }
  }
}

// A computed 0x0000 is sent as 0xFFFF for UDP (RFC 768); TCP returns it as is. Both verify.
TEST(TcpUdpChecksum, ZeroResult) {
  const std::array<std::uint8_t, 4> src{192, 0, 2, 1}, dst{198, 51, 100, 7};
  for (std::uint8_t proto : {kIpProtoTcp, kIpProtoUdp}) {
    std::vector<std::uint8_t> seg(24, 0x11);
    const std::size_t off = L4ChecksumOffset(proto);
    seg[off] = seg[off + 1] = 0;
    StoreBe16(std::span(seg).subspan<20, 2>(), 0);
    const std::uint16_t rest = OnesSum(seg, PseudoHeaderSumV4(src, dst, proto, 24));
    StoreBe16(std::span(seg).subspan<20, 2>(), Complement(rest));  // whole sum now 0xFFFF
    const std::uint16_t c = TcpUdpChecksumV4(src, dst, proto, seg);
    EXPECT_EQ(c, proto == kIpProtoUdp ? 0xffff : 0x0000) << int{proto};
    StoreBe16(std::span(seg).subspan(off).first<2>(), c);
    EXPECT_TRUE(L4ChecksumVerifiesV4(src, dst, proto, seg));
  }
}

TEST(TcpUdpChecksum, FieldOffsets) {
  EXPECT_EQ(L4ChecksumOffset(kIpProtoTcp), 16u);
  EXPECT_EQ(L4ChecksumOffset(kIpProtoUdp), 6u);
  EXPECT_EQ(L4ChecksumOffset(kIpProtoIcmpv6), 2u);
  EXPECT_EQ(L4ChecksumOffset(kIpProtoIcmp), 2u);
  EXPECT_EQ(L4ChecksumOffset(kIpProtoGre), 0u);
  // A protocol without a known field: the caller zeroes it; nothing is subtracted.
  const std::array<std::uint8_t, 4> a{1, 2, 3, 4}, b{5, 6, 7, 8};
  const std::array<std::uint8_t, 6> seg{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
  EXPECT_EQ(TcpUdpChecksumV4(a, b, 99, seg),
            Complement(OnesSumReference(seg, PseudoHeaderSumV4(a, b, 99, 6))));
  // Segments too short to hold the field are summed as they are.
  const std::array<std::uint8_t, 3> tiny{0xff, 0x00, 0x01};
  EXPECT_EQ(TcpUdpChecksumV4(a, b, kIpProtoTcp, tiny),
            Complement(OnesSumReference(tiny, PseudoHeaderSumV4(a, b, kIpProtoTcp, 3))));
}

}  // namespace
}  // namespace nvgre::wire
