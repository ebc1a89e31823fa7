// Tests for gre.h: GRE (RFC 2784 / 2890 / 2637 §4.1) and NVGRE (RFC 7637 §3.2).
//
// Fixtures are outer IPv4 packets copied from ../shared/testdata (see SOURCES.md there), with
// the `tcpdump -nn -vv -X` dump of each; the GRE header starts at IPv4 payload offset 0.
#include "nvgre/wire/gre.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/icmp.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::wire {
namespace {

using Span = std::span<const std::uint8_t>;

// The payload of a well-formed IPv4 packet (IHL and Total Length applied). Test helper: keeps
// these tests independent of ipv4.h.
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
         << " (" << ToString(f.scope) << "); expected " << ToString(error) << " at "
         << ToString(layer) << "+" << offset;
}

std::vector<std::uint8_t> Copy(Span s) { return {s.begin(), s.end()}; }

// packetnet_gre_nvgre.pcap frame 1, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto GRE (47), length 84, bad cksum 0 (->9078)!)
//      100.0.17.1 > 100.0.17.2: GREv0, Flags [key present], key=0x12345602, length 64
//      IP (tos 0x0, ttl 64, id 0, offset 0, flags [none], proto TCP (6), length 42, bad cksum 0 (->66cc)!)
//      10.0.0.1.1001 > 10.0.0.2.1002: Flags [.], cksum 0x0000 (incorrect -> 0xe7af), seq 0:2, ack 0, win 128, length 2
//      0x0000:  4500 0054 0000 0000 402f 0000 6400 1101  E..T....@/..d...
//      0x0010:  6400 1102 2000 6558 1234 5602 aabb 0000  d.....eX.4V.....
//      0x0020:  1002 aabb 0000 1001 0800 4500 002a 0000  ..........E..*..
//      0x0030:  0000 4006 0000 0a00 0001 0a00 0002 03e9  ..@.............
//      0x0040:  03ea 0000 0000 0000 0000 5010 0080 0000  ..........P.....
//      0x0050:  0000 abcd                                ....
constexpr std::array<std::uint8_t, 84> kPacketnetNvgre{
    0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x00, 0x00, 0x40, 0x2f, 0x00, 0x00,
    0x64, 0x00, 0x11, 0x01, 0x64, 0x00, 0x11, 0x02, 0x20, 0x00, 0x65, 0x58,
    0x12, 0x34, 0x56, 0x02, 0xaa, 0xbb, 0x00, 0x00, 0x10, 0x02, 0xaa, 0xbb,
    0x00, 0x00, 0x10, 0x01, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2a, 0x00, 0x00,
    0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
    0x00, 0x02, 0x03, 0xe9, 0x03, 0xea, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x50, 0x10, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0xab, 0xcd,
};
// pcapplusplus_GrePackets.converted.pcap frame 7, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto GRE (47), length 82)
//      1.2.3.4 > 4.3.2.1: GREv0, Flags [key present], key=0xfde8, length 62
//      IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto TCP (6), length 40)
//      10.0.0.4.1232 > 10.0.0.5.80: Flags [S], cksum 0x76ba (correct), seq 0, win 8192, length 0
//      0x0000:  4500 0052 0001 0000 402f 7073 0102 0304  E..R....@/ps....
//      0x0010:  0403 0201 2000 6558 0000 fde8 0001 0203  ......eX........
//      0x0020:  0405 0001 2345 5678 0800 4500 0028 0001  ....#EVx..E..(..
//      0x0030:  0000 4006 66c7 0a00 0004 0a00 0005 04d0  ..@.f...........
//      0x0040:  0050 0000 0000 0000 0000 5002 2000 76ba  .P........P...v.
//      0x0050:  0000                                     ..
constexpr std::array<std::uint8_t, 82> kPcppNvgreSyn{
    0x45, 0x00, 0x00, 0x52, 0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x70, 0x73,
    0x01, 0x02, 0x03, 0x04, 0x04, 0x03, 0x02, 0x01, 0x20, 0x00, 0x65, 0x58,
    0x00, 0x00, 0xfd, 0xe8, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x00, 0x01,
    0x23, 0x45, 0x56, 0x78, 0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x00, 0x01,
    0x00, 0x00, 0x40, 0x06, 0x66, 0xc7, 0x0a, 0x00, 0x00, 0x04, 0x0a, 0x00,
    0x00, 0x05, 0x04, 0xd0, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x76, 0xba, 0x00, 0x00,
};
// pcapplusplus_GrePackets.converted.pcap frame 4, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto GRE (47), length 63)
//      127.0.0.1 > 127.0.0.1: GREv0, Flags [checksum present], sum 0x77ff, off 0x0, length 43
//      IP (tos 0x0, ttl 64, id 19471, offset 0, flags [none], proto ICMP (1), length 35)
//      127.0.0.1 > 127.0.0.1: ICMP echo reply, id 42732, seq 1, length 15
//      0x0000:  4500 003f 0001 0000 402f 7c8d 7f00 0001  E..?....@/|.....
//      0x0010:  7f00 0001 8000 0800 77ff 0000 4500 0023  ........w...E..#
//      0x0020:  4c0f 0000 4001 30c9 7f00 0001 7f00 0001  L...@.0.........
//      0x0030:  0000 e226 a6ec 0001 7661 6c69 6420 30    ...&....valid.0
constexpr std::array<std::uint8_t, 63> kPcppGreChecksum{
    0x45, 0x00, 0x00, 0x3f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x7c, 0x8d,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x80, 0x00, 0x08, 0x00,
    0x77, 0xff, 0x00, 0x00, 0x45, 0x00, 0x00, 0x23, 0x4c, 0x0f, 0x00, 0x00,
    0x40, 0x01, 0x30, 0xc9, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
    0x00, 0x00, 0xe2, 0x26, 0xa6, 0xec, 0x00, 0x01, 0x76, 0x61, 0x6c, 0x69,
    0x64, 0x20, 0x30,
};
// pcapplusplus_GrePackets.converted.pcap frame 2, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 128, id 1846, offset 0, flags [none], proto GRE (47), length 32)
//      192.168.2.65 > 192.168.2.254: GREv1, Flags [key present, ack present], call 6, ack 26, no-payload, length 12
//      0x0000:  4500 0020 0736 0000 802f ace9 c0a8 0241  E....6.../.....A
//      0x0010:  c0a8 02fe 2081 880b 0000 0006 0000 001a  ................
constexpr std::array<std::uint8_t, 32> kPcppGreV1KeyAck{
    0x45, 0x00, 0x00, 0x20, 0x07, 0x36, 0x00, 0x00, 0x80, 0x2f, 0xac, 0xe9,
    0xc0, 0xa8, 0x02, 0x41, 0xc0, 0xa8, 0x02, 0xfe, 0x20, 0x81, 0x88, 0x0b,
    0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x1a,
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
constexpr std::array<std::uint8_t, 124> kDerivedGreCsum77ff{
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
constexpr std::array<std::uint8_t, 88> kDerivedGreCsum8475{
    0x45, 0x00, 0x00, 0x58, 0x00, 0x0a, 0x00, 0x00, 0xff, 0x2f, 0xa7, 0x6a,
    0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x80, 0x00, 0x08, 0x00,
    0x84, 0x75, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x03, 0xc4, 0x40, 0x00,
    0x01, 0x11, 0x69, 0xb1, 0x02, 0x03, 0x04, 0x05, 0x02, 0x03, 0x04, 0x32,
    0xa3, 0x35, 0x82, 0x9a, 0x00, 0x28, 0xd8, 0x8c, 0x40, 0x41, 0x42, 0x43,
    0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b,
    0x5c, 0x5d, 0x5e, 0x5f,
};
// derived_gre_checksum_vectors.pcap frame 3, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto GRE (47), length 60)
//      127.0.0.1 > 127.0.0.1: GREv0, Flags [checksum present, key present, sequence# present], sum 0x3a08, off 0x0, key=0x925, seq 1234, length 40
//      IP (tos 0x0, ttl 64, id 46845, offset 0, flags [none], proto GRE (47), length 24)
//      127.0.0.1 > 127.0.0.1: GREv0, Flags [none], length 4
//      gre-proto-0x0
//      0x0000:  4500 003c 0001 0000 402f 7c90 7f00 0001  E..<....@/|.....
//      0x0010:  7f00 0001 b000 0800 3a08 0000 0000 0925  ........:......%
//      0x0020:  0000 04d2 4500 0018 b6fd 0000 402f c5b7  ....E.......@/..
//      0x0030:  7f00 0001 7f00 0001 0000 0000            ............
constexpr std::array<std::uint8_t, 60> kDerivedGreCsum3a08{
    0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x7c, 0x90,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xb0, 0x00, 0x08, 0x00,
    0x3a, 0x08, 0x00, 0x00, 0x00, 0x00, 0x09, 0x25, 0x00, 0x00, 0x04, 0xd2,
    0x45, 0x00, 0x00, 0x18, 0xb6, 0xfd, 0x00, 0x00, 0x40, 0x2f, 0xc5, 0xb7,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
};
// derived_gre_checksum_vectors.pcap frame 4, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 1, offset 0, flags [none], proto GRE (47), length 60)
//      127.0.0.1 > 127.0.0.1: GREv0, Flags [checksum present, key present, sequence# present], sum 0x28ac, off 0x0, key=0x925, seq 5678, length 40
//      IP (tos 0x0, ttl 64, id 46845, offset 0, flags [none], proto GRE (47), length 24)
//      127.0.0.1 > 127.0.0.1: GREv0, Flags [none], length 4
//      gre-proto-0x0
//      0x0000:  4500 003c 0001 0000 402f 7c90 7f00 0001  E..<....@/|.....
//      0x0010:  7f00 0001 b000 0800 28ac 0000 0000 0925  ........(......%
//      0x0020:  0000 162e 4500 0018 b6fd 0000 402f c5b7  ....E.......@/..
//      0x0030:  7f00 0001 7f00 0001 0000 0000            ............
constexpr std::array<std::uint8_t, 60> kDerivedGreCsum28ac{
    0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x2f, 0x7c, 0x90,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xb0, 0x00, 0x08, 0x00,
    0x28, 0xac, 0x00, 0x00, 0x00, 0x00, 0x09, 0x25, 0x00, 0x00, 0x16, 0x2e,
    0x45, 0x00, 0x00, 0x18, 0xb6, 0xfd, 0x00, 0x00, 0x40, 0x2f, 0xc5, 0xb7,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
};
// packetnet_gre_all_options.pcap frame 1, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 255, id 17, offset 0, flags [none], proto GRE (47), length 136)
//      203.0.113.1 > 192.0.2.2: GREv0, Flags [checksum present, key present, sequence# present], sum 0x6e7c, off 0x0, key=0x1d97c, seq 5, length 116
//      IP (tos 0x0, ttl 255, id 12, offset 0, flags [none], proto ICMP (1), length 100)
//      10.1.2.1 > 10.1.2.2: ICMP echo request, id 4, seq 0, length 80
//      0x0000:  4500 0088 0011 0000 ff2f bd31 cb00 7101  E......../.1..q.
//      0x0010:  c000 0202 b000 0800 6e7c 0000 0001 d97c  ........n|.....|
//      0x0020:  0000 0005 4500 0064 000c 0000 ff01 a388  ....E..d........
//      0x0030:  0a01 0201 0a01 0202 0800 3866 0004 0000  ..........8f....
//      0x0040:  0000 0000 0008 45d8 abcd abcd abcd abcd  ......E.........
//      0x0050:  abcd abcd abcd abcd abcd abcd abcd abcd  ................
//      0x0060:  abcd abcd abcd abcd abcd abcd abcd abcd  ................
//      0x0070:  abcd abcd abcd abcd abcd abcd abcd abcd  ................
//      0x0080:  abcd abcd abcd abcd                      ........
constexpr std::array<std::uint8_t, 136> kPacketnetAllOptions{
    0x45, 0x00, 0x00, 0x88, 0x00, 0x11, 0x00, 0x00, 0xff, 0x2f, 0xbd, 0x31,
    0xcb, 0x00, 0x71, 0x01, 0xc0, 0x00, 0x02, 0x02, 0xb0, 0x00, 0x08, 0x00,
    0x6e, 0x7c, 0x00, 0x00, 0x00, 0x01, 0xd9, 0x7c, 0x00, 0x00, 0x00, 0x05,
    0x45, 0x00, 0x00, 0x64, 0x00, 0x0c, 0x00, 0x00, 0xff, 0x01, 0xa3, 0x88,
    0x0a, 0x01, 0x02, 0x01, 0x0a, 0x01, 0x02, 0x02, 0x08, 0x00, 0x38, 0x66,
    0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x45, 0xd8,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd, 0xab, 0xcd,
    0xab, 0xcd, 0xab, 0xcd,
};
// gopacket_gre_test.pcap frame 1, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 33852, offset 0, flags [DF], proto GRE (47), length 108)
//      192.168.1.1 > 192.168.1.2: GREv0, Flags [none], length 88
//      IP (tos 0x0, ttl 64, id 1160, offset 0, flags [DF], proto ICMP (1), length 84)
//      172.16.1.1 > 172.16.2.1: ICMP echo request, id 4724, seq 1, length 64
//      0x0000:  4500 006c 843c 4000 402f 32d3 c0a8 0101  E..l.<@.@/2.....
//      0x0010:  c0a8 0102 0000 0800 4500 0054 0488 4000  ........E..T..@.
//      0x0020:  4001 dafe ac10 0101 ac10 0201 0800 82c4  @...............
//      0x0030:  1274 0001 c892 a354 0000 0000 380c 0000  .t.....T....8...
//      0x0040:  0000 0000 1011 1213 1415 1617 1819 1a1b  ................
//      0x0050:  1c1d 1e1f 2021 2223 2425 2627 2829 2a2b  .....!"#$%&'()*+
//      0x0060:  2c2d 2e2f 3031 3233 3435 3637            ,-./01234567
constexpr std::array<std::uint8_t, 108> kGopacketGreIpv4{
    0x45, 0x00, 0x00, 0x6c, 0x84, 0x3c, 0x40, 0x00, 0x40, 0x2f, 0x32, 0xd3,
    0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02, 0x00, 0x00, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x54, 0x04, 0x88, 0x40, 0x00, 0x40, 0x01, 0xda, 0xfe,
    0xac, 0x10, 0x01, 0x01, 0xac, 0x10, 0x02, 0x01, 0x08, 0x00, 0x82, 0xc4,
    0x12, 0x74, 0x00, 0x01, 0xc8, 0x92, 0xa3, 0x54, 0x00, 0x00, 0x00, 0x00,
    0x38, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
    0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
};
// gopacket_gre_test.pcap frame 2, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 2765, offset 0, flags [DF], proto GRE (47), length 122)
//      192.168.1.1 > 192.168.1.2: GREv0, Flags [none], length 102
//      IP (tos 0x0, ttl 64, id 55664, offset 0, flags [DF], proto ICMP (1), length 84)
//      172.16.1.1 > 172.16.1.2: ICMP echo request, id 3842, seq 1, length 64
//      0x0000:  4500 007a 0acd 4000 402f ac34 c0a8 0101  E..z..@.@/.4....
//      0x0010:  c0a8 0102 0000 6558 aa6a 36e6 c630 6e32  ......eX.j6..0n2
//      0x0020:  3ec7 9def 0800 4500 0054 d970 4000 4001  >.....E..T.p@.@.
//      0x0030:  0715 ac10 0101 ac10 0102 0800 3f15 0f02  ............?...
//      0x0040:  0001 82d9 b154 0000 0000 b5e6 0100 0000  .....T..........
//      0x0050:  0000 1011 1213 1415 1617 1819 1a1b 1c1d  ................
//      0x0060:  1e1f 2021 2223 2425 2627 2829 2a2b 2c2d  ...!"#$%&'()*+,-
//      0x0070:  2e2f 3031 3233 3435 3637                 ./01234567
constexpr std::array<std::uint8_t, 122> kGopacketGreTebNoKey{
    0x45, 0x00, 0x00, 0x7a, 0x0a, 0xcd, 0x40, 0x00, 0x40, 0x2f, 0xac, 0x34,
    0xc0, 0xa8, 0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02, 0x00, 0x00, 0x65, 0x58,
    0xaa, 0x6a, 0x36, 0xe6, 0xc6, 0x30, 0x6e, 0x32, 0x3e, 0xc7, 0x9d, 0xef,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xd9, 0x70, 0x40, 0x00, 0x40, 0x01,
    0x07, 0x15, 0xac, 0x10, 0x01, 0x01, 0xac, 0x10, 0x01, 0x02, 0x08, 0x00,
    0x3f, 0x15, 0x0f, 0x02, 0x00, 0x01, 0x82, 0xd9, 0xb1, 0x54, 0x00, 0x00,
    0x00, 0x00, 0xb5, 0xe6, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11,
    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37,
};
// pcapplusplus_GrePackets_pptp.pcap frame 11, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 64, id 6351, offset 0, flags [none], proto GRE (47), length 46)
//      20.0.0.2 > 20.0.0.1: GREv1, Flags [key present, sequence# present], call 24, seq 0, length 26
//      LCP, Conf-Request (0x01), id 0, length 12
//      encoded length 10 (=Option(s) length 6)
//      0x0000:  c021 0100 000a
//        Magic-Num Option (0x05), length 6: 0x0a94c166
//          0x0000:  0a94 c166
//      0x0000:  4500 002e 18cf 0000 402f 39d0 1400 0002  E.......@/9.....
//      0x0010:  1400 0001 3001 880b 000e 0018 0000 0000  ....0...........
//      0x0020:  ff03 c021 0100 000a 0506 0a94 c166       ...!.........f
constexpr std::array<std::uint8_t, 46> kPptpKeySeq{
    0x45, 0x00, 0x00, 0x2e, 0x18, 0xcf, 0x00, 0x00, 0x40, 0x2f, 0x39, 0xd0,
    0x14, 0x00, 0x00, 0x02, 0x14, 0x00, 0x00, 0x01, 0x30, 0x01, 0x88, 0x0b,
    0x00, 0x0e, 0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0xff, 0x03, 0xc0, 0x21,
    0x01, 0x00, 0x00, 0x0a, 0x05, 0x06, 0x0a, 0x94, 0xc1, 0x66,
};
// pcapplusplus_GrePackets_pptp.pcap frame 13, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 255, id 6871, offset 0, flags [none], proto GRE (47), length 54)
//      20.0.0.1 > 20.0.0.2: GREv1, Flags [key present, sequence# present, ack present], call 1, seq 1, ack 4294967295, length 34
//      LCP, Conf-Request (0x01), id 1, length 16
//      encoded length 14 (=Option(s) length 10)
//      0x0000:  c021 0101 000e
//        Auth-Prot Option (0x03), length 4: PAP
//          0x0000:  c023
//        Magic-Num Option (0x05), length 6: 0x0f3f117c
//          0x0000:  0f3f 117c
//      0x0000:  4500 0036 1ad7 0000 ff2f 78bf 1400 0001  E..6...../x.....
//      0x0010:  1400 0002 3081 880b 0012 0001 0000 0001  ....0...........
//      0x0020:  ffff ffff ff03 c021 0101 000e 0304 c023  .......!.......#
//      0x0030:  0506 0f3f 117c                           ...?.|
constexpr std::array<std::uint8_t, 54> kPptpKeySeqAck{
    0x45, 0x00, 0x00, 0x36, 0x1a, 0xd7, 0x00, 0x00, 0xff, 0x2f, 0x78, 0xbf,
    0x14, 0x00, 0x00, 0x01, 0x14, 0x00, 0x00, 0x02, 0x30, 0x81, 0x88, 0x0b,
    0x00, 0x12, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff,
    0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x0e, 0x03, 0x04, 0xc0, 0x23,
    0x05, 0x06, 0x0f, 0x3f, 0x11, 0x7c,
};
// deepflow_tencent-gre.pcap frame 1, `tcpdump -nn -vv -X`:
//  IP (tos 0x0, ttl 58, id 20839, offset 0, flags [none], proto GRE (47), length 72)
//      10.19.0.21 > 10.21.64.5: GREv1, Flags [key present, sequence# present], call 645, seq 167901968, length 52
//      gre-proto-0x800
//      0x0000:  4500 0048 5167 0000 3a2f dade 0a13 0015  E..HQg..:/......
//      0x0010:  0a15 4005 3001 0800 0001 0285 0a01 fb10  ..@.0...........
//      0x0020:  4500 0028 8793 4000 4006 a8e7 0a01 fb29  E..(..@.@......)
//      0x0030:  0a01 fb29 5398 7c77 0000 0000 7d50 be83  ...)S.|w....}P..
//      0x0040:  5014 0000 9997 0000                      P.......
constexpr std::array<std::uint8_t, 72> kTencentGreV1{
    0x45, 0x00, 0x00, 0x48, 0x51, 0x67, 0x00, 0x00, 0x3a, 0x2f, 0xda, 0xde,
    0x0a, 0x13, 0x00, 0x15, 0x0a, 0x15, 0x40, 0x05, 0x30, 0x01, 0x08, 0x00,
    0x00, 0x01, 0x02, 0x85, 0x0a, 0x01, 0xfb, 0x10, 0x45, 0x00, 0x00, 0x28,
    0x87, 0x93, 0x40, 0x00, 0x40, 0x06, 0xa8, 0xe7, 0x0a, 0x01, 0xfb, 0x29,
    0x0a, 0x01, 0xfb, 0x29, 0x53, 0x98, 0x7c, 0x77, 0x00, 0x00, 0x00, 0x00,
    0x7d, 0x50, 0xbe, 0x83, 0x50, 0x14, 0x00, 0x00, 0x99, 0x97, 0x00, 0x00,
};

// tcpdump_gre-heapoverflow-1.pcap frame 2 and tcpdump_gre-heapoverflow-2.pcap frame 2: fuzzed
// frames that once made tcpdump read past its buffer (whole 48-byte Ethernet frames here).
//   heapoverflow-1 #2: "IP0 (invalid)"  (version 0, IHL 8: a GRE header would start at 46)
//   heapoverflow-2 #2: "IP (... proto GRE (47), length 12336, bad cksum 3030 (->697f)!)
//       48.48.48.48 > 48.48.48.48: GREv0, Flags [checksum present, routing present],
//       sum 0x3030, off 0x3030, (rtaf=0x3030) [|gre]"
constexpr std::array<std::uint8_t, 48> kHeapOverflow1Frame2{
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x08, 0x00, 0x08, 0x30, 0x30, 0x30, 0x30, 0x30, 0x00, 0x00, 0x30, 0x2f,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0xd8, 0x30,
};
constexpr std::array<std::uint8_t, 48> kHeapOverflow2Frame2{
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
    0x08, 0x00, 0x45, 0x30, 0x30, 0x30, 0x30, 0x30, 0x00, 0x00, 0x30, 0x2f,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0xc0, 0x30,
    0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
};

constexpr std::array<std::uint8_t, 4> kAddr10_0_0_1{10, 0, 0, 1};
constexpr std::array<std::uint8_t, 4> kAddr10_0_0_2{10, 0, 0, 2};
constexpr std::array<std::uint8_t, 4> kAddr10_0_0_4{10, 0, 0, 4};
constexpr std::array<std::uint8_t, 4> kAddr10_0_0_5{10, 0, 0, 5};

// Calls every accessor whose precondition holds, so that ASan sees every read a user could make.
std::uint64_t Touch(const GreView& g) {
  std::uint64_t acc = std::uint64_t{g.flags_version()} + g.protocol_type() + g.version() +
                      g.header_length() + (g.routing_present() ? 1 : 0) + (g.ack_present() ? 2 : 0);
  if (g.checksum_present()) {
    acc += std::uint64_t{g.checksum()} + g.reserved1() + (g.ChecksumVerifies() ? 1 : 0);
  }
  if (g.key_present()) acc += g.key() + g.pptp_call_id();
  if (g.sequence_present()) acc += g.sequence();
  if (g.ack_present()) acc += g.acknowledgment();
  for (std::uint8_t b : g.payload()) acc += b;
  return acc + static_cast<std::uint64_t>(CheckNvgre(g));
}

// ---- NVGRE captures ------------------------------------------------------------------------

TEST(Nvgre, PacketnetDeconstruct) {
  const Span ip_payload = Ipv4Payload(kPacketnetNvgre);
  auto gre = GreView::Parse(ip_payload);
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0x2000);
  EXPECT_EQ(gre->flags_version(), kNvgreFlagsVersion);
  EXPECT_EQ(gre->version(), 0);
  EXPECT_FALSE(gre->checksum_present());
  EXPECT_FALSE(gre->routing_present());
  EXPECT_TRUE(gre->key_present());
  EXPECT_FALSE(gre->sequence_present());
  EXPECT_FALSE(gre->ack_present());
  EXPECT_EQ(gre->protocol_type(), kGreProtocolTeb);
  EXPECT_EQ(gre->key(), 0x12345602u);
  EXPECT_EQ(gre->header_length(), 8u);
  EXPECT_EQ(gre->payload().size(), 84u - 20 - 8);
  EXPECT_EQ(gre->payload().data(), ip_payload.data() + 8);
  EXPECT_EQ(gre->payload()[0], 0xaa);  // inner destination aa:bb:00:00:10:02
  EXPECT_EQ(gre->payload()[5], 0x02);
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kNone);

  auto nv = NvgreView::Parse(ip_payload);
  ASSERT_TRUE(nv.has_value());
  EXPECT_EQ(nv->vsid(), 0x123456u);
  EXPECT_EQ(nv->flow_id(), 0x02);
  EXPECT_EQ(nv->key(), 0x12345602u);
  EXPECT_EQ(nv->protocol(), 0x6558);
  EXPECT_EQ(nv->header_length(), kNvgreHeaderSize);
  EXPECT_EQ(nv->payload().data(), gre->payload().data());
  EXPECT_EQ(nv->payload().size(), gre->payload().size());
  EXPECT_EQ(nv->gre().key(), 0x12345602u);
  EXPECT_EQ(VsidOfKey(gre->key()), 0x123456u);
  EXPECT_EQ(FlowIdOfKey(gre->key()), 0x02);
  EXPECT_EQ(NvgreRepr::From(*nv), (NvgreRepr{0x123456, 0x02}));
  EXPECT_FALSE(IsReservedVsid(nv->vsid()));
}

TEST(Nvgre, PacketnetConstruct) {
  const Span header = Ipv4Payload(kPacketnetNvgre).first(8);
  std::array<std::uint8_t, 8> out{};
  out.fill(0xa5);
  NvgreRepr{0x123456, 0x02}.Emit(out);
  EXPECT_EQ(Copy(out), Copy(header));

  out.fill(0xa5);
  NvgreRepr{0x123456, 0x02}.Emit(NvgreMutView::Unchecked(out));
  EXPECT_EQ(Copy(out), Copy(header));

  GreRepr g;
  g.key_present = true;
  g.protocol_type = kGreProtocolTeb;
  g.key = NvgreKey(0x123456, 0x02);
  ASSERT_EQ(g.header_length(), 8u);
  out.fill(0xa5);
  g.Emit(out);
  EXPECT_EQ(Copy(out), Copy(header));
}

// The NVGRE frame decapsulated down to its inner TCP segment: 1001 -> 1002, ACK, payload ab cd,
// TCP checksum 0x0000, which is wrong (tcpdump: "incorrect -> 0xe7af").
TEST(Nvgre, PacketnetInnerTcpChecksumZeroDoesNotVerify) {
  auto nv = NvgreView::Parse(Ipv4Payload(kPacketnetNvgre));
  ASSERT_TRUE(nv.has_value());
  const Span inner_ip = nv->payload().subspan(14);  // inner Ethernet, type 0x0800
  ASSERT_EQ(nv->payload()[12], 0x08);
  ASSERT_EQ(nv->payload()[13], 0x00);
  const Span segment = Ipv4Payload(inner_ip);
  auto tcp = TcpView::Parse(segment);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->source_port(), 1001);
  EXPECT_EQ(tcp->destination_port(), 1002);
  EXPECT_EQ(tcp->flags(), kTcpFlagAck);
  EXPECT_EQ(tcp->window(), 128);
  EXPECT_EQ(tcp->checksum(), 0x0000);
  EXPECT_EQ(Copy(tcp->payload()), (std::vector<std::uint8_t>{0xab, 0xcd}));
  EXPECT_FALSE(L4ChecksumVerifiesV4(kAddr10_0_0_1, kAddr10_0_0_2, kIpProtoTcp, segment));
  EXPECT_EQ(TcpUdpChecksumV4(kAddr10_0_0_1, kAddr10_0_0_2, kIpProtoTcp, segment), 0xe7af);

  auto fixed = Copy(segment);
  TcpMutView::Unchecked(fixed).set_checksum(0xe7af);
  EXPECT_TRUE(L4ChecksumVerifiesV4(kAddr10_0_0_1, kAddr10_0_0_2, kIpProtoTcp, fixed));
}

// PcapPlusPlus GREv0_4: key 0x0000fde8 (VSID 0x0000fd, FlowID 0xe8), inner TCP SYN 1232 -> 80
// with a valid checksum 0x76ba.
TEST(Nvgre, PcapPlusPlusFrame7) {
  auto nv = NvgreView::Parse(Ipv4Payload(kPcppNvgreSyn));
  ASSERT_TRUE(nv.has_value());
  EXPECT_EQ(nv->key(), 0x0000fde8u);
  EXPECT_EQ(nv->vsid(), 0x0000fdu);
  EXPECT_EQ(nv->flow_id(), 0xe8);
  EXPECT_TRUE(IsReservedVsid(nv->vsid()));  // below 0x1000: a reserved VSID on the wire
  EXPECT_EQ(CheckNvgre(nv->gre()), NvgreViolation::kNone);

  const Span segment = Ipv4Payload(nv->payload().subspan(14));
  auto tcp = TcpView::Parse(segment);
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->source_port(), 1232);
  EXPECT_EQ(tcp->destination_port(), 80);
  EXPECT_EQ(tcp->flags(), kTcpFlagSyn);
  EXPECT_EQ(tcp->checksum(), 0x76ba);
  EXPECT_TRUE(L4ChecksumVerifiesV4(kAddr10_0_0_4, kAddr10_0_0_5, kIpProtoTcp, segment));
  EXPECT_EQ(TcpUdpChecksumV4(kAddr10_0_0_4, kAddr10_0_0_5, kIpProtoTcp, segment), 0x76ba);
}

// ---- GRE checksum (RFC 2784 §2.5) ----------------------------------------------------------

TEST(Gre, PcapPlusPlusFrame4ChecksumVerifies) {
  const Span ip_payload = Ipv4Payload(kPcppGreChecksum);
  auto gre = GreView::Parse(ip_payload);
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0x8000);
  EXPECT_TRUE(gre->checksum_present());
  EXPECT_EQ(gre->checksum(), 0x77ff);
  EXPECT_EQ(gre->reserved1(), 0);
  EXPECT_EQ(gre->protocol_type(), 0x0800);
  EXPECT_EQ(gre->header_length(), 8u);
  EXPECT_EQ(gre->payload().size(), 35u);  // inner IPv4/ICMP, odd length
  EXPECT_TRUE(gre->ChecksumVerifies());
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kNotTeb);

  auto bytes = Copy(ip_payload);
  auto mut = GreMutView::Parse(std::span<std::uint8_t>(bytes));
  ASSERT_TRUE(mut.has_value());
  mut->set_checksum(0);
  EXPECT_FALSE(mut->ChecksumVerifies());
  mut->FillChecksum();
  EXPECT_EQ(mut->checksum(), 0x77ff);
  bytes.back() ^= 0x01;  // the odd trailing byte
  EXPECT_FALSE(GreView::Parse(bytes)->ChecksumVerifies());
}

struct ChecksumVector {
  const char* name;
  Span ip_packet;
  std::uint16_t flags_version, checksum;
};

// derived_gre_checksum_vectors.pcap: gopacket TestGREChecksum (0x77ff, 0x8475) and PcapPlusPlus
// GreEditTest (0x3a08, 0x28ac); also checksum_vectors.txt.
TEST(Gre, DerivedChecksumVectorsVerify) {
  const ChecksumVector vectors[] = {
      {"gopacket-0x77ff", kDerivedGreCsum77ff, 0x8000, 0x77ff},
      {"gopacket-0x8475", kDerivedGreCsum8475, 0x8000, 0x8475},
      {"pcapplusplus-0x3a08", kDerivedGreCsum3a08, 0xb000, 0x3a08},
      {"pcapplusplus-0x28ac", kDerivedGreCsum28ac, 0xb000, 0x28ac},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(v.name);
    const Span ip_payload = Ipv4Payload(v.ip_packet);
    auto gre = GreView::Parse(ip_payload);
    ASSERT_TRUE(gre.has_value());
    EXPECT_EQ(gre->flags_version(), v.flags_version);
    EXPECT_EQ(gre->checksum(), v.checksum);
    EXPECT_TRUE(gre->ChecksumVerifies());

    auto bytes = Copy(ip_payload);
    auto mut = GreMutView::Parse(std::span<std::uint8_t>(bytes));
    ASSERT_TRUE(mut.has_value());
    mut->set_checksum(0xdead);
    mut->FillChecksum();
    EXPECT_EQ(mut->checksum(), v.checksum);
    EXPECT_TRUE(mut->ChecksumVerifies());
    // Flip one payload bit: the checksum no longer verifies.
    bytes[gre->header_length() + 3] ^= 0x10;
    EXPECT_FALSE(GreView::Parse(bytes)->ChecksumVerifies());
  }
}

TEST(Gre, DerivedChecksumVectorsKeyAndSequence) {
  auto a = GreView::Parse(Ipv4Payload(kDerivedGreCsum3a08));
  auto b = GreView::Parse(Ipv4Payload(kDerivedGreCsum28ac));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->key(), 2341u);
  EXPECT_EQ(a->sequence(), 1234u);
  EXPECT_EQ(b->key(), 2341u);
  EXPECT_EQ(b->sequence(), 5678u);
  EXPECT_EQ(a->header_length(), 16u);
  EXPECT_EQ(a->protocol_type(), 0x0800);
}

// packetnet gre_all_options: C+K+S (0xb000), checksum 0x6e7c, key 0x1d97c, seq 5, IPv4/ICMP.
TEST(Gre, AllOptionsDeconstructAndConstruct) {
  const Span ip_payload = Ipv4Payload(kPacketnetAllOptions);
  auto gre = GreView::Parse(ip_payload);
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0xb000);
  EXPECT_TRUE(gre->checksum_present());
  EXPECT_TRUE(gre->key_present());
  EXPECT_TRUE(gre->sequence_present());
  EXPECT_EQ(gre->checksum(), 0x6e7c);
  EXPECT_EQ(gre->key(), 0x1d97cu);
  EXPECT_EQ(gre->sequence(), 5u);
  EXPECT_EQ(gre->protocol_type(), 0x0800);
  EXPECT_EQ(gre->header_length(), 16u);
  EXPECT_EQ(gre->payload().size(), 100u);
  EXPECT_TRUE(gre->ChecksumVerifies());
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kNotTeb);

  const GreRepr repr = GreRepr::From(*gre);
  GreRepr want;
  want.checksum_present = want.key_present = want.sequence_present = true;
  want.protocol_type = 0x0800;
  want.checksum = 0x6e7c;
  want.key = 0x1d97c;
  want.sequence = 5;
  EXPECT_EQ(repr, want);
  std::array<std::uint8_t, 16> out{};
  out.fill(0xa5);
  repr.Emit(out);
  EXPECT_EQ(Copy(out), Copy(ip_payload.first(16)));

  // Build the whole GRE packet: header with checksum 0, payload, then FillChecksum.
  std::vector<std::uint8_t> built(ip_payload.size());
  GreRepr zero = want;
  zero.checksum = 0;
  zero.Emit(built);
  std::copy(gre->payload().begin(), gre->payload().end(), built.begin() + 16);
  GreMutView::Unchecked(built).FillChecksum();
  EXPECT_EQ(built, Copy(ip_payload));
}

// ---- Not NVGRE -----------------------------------------------------------------------------

TEST(Gre, GopacketPlainGre) {
  auto gre = GreView::Parse(Ipv4Payload(kGopacketGreIpv4));
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0x0000);
  EXPECT_EQ(gre->protocol_type(), 0x0800);
  EXPECT_EQ(gre->header_length(), 4u);
  EXPECT_EQ(gre->payload().size(), 84u);
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kNotTeb);
}

// gopacket testPacketEthernetOverGRE: protocol 0x6558 but no key -> not NVGRE.
TEST(Nvgre, GopacketTebWithoutKeyRejected) {
  const Span ip_payload = Ipv4Payload(kGopacketGreTebNoKey);
  auto gre = GreView::Parse(ip_payload);
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0x0000);
  EXPECT_EQ(gre->protocol_type(), kGreProtocolTeb);
  EXPECT_EQ(gre->header_length(), 4u);
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kKeyAbsent);
  EXPECT_TRUE(FailsWith(NvgreView::Parse(ip_payload), ParseError::kUnsupported, Layer::kNvgre));
}

// PcapPlusPlus GrePackets.cap (PPTP): GREv1 K+S, protocol 0x880b (PPP), call 24, seq 0.
TEST(Gre, PptpVersion1KeySequence) {
  const Span ip_payload = Ipv4Payload(kPptpKeySeq);
  auto gre = GreView::Parse(ip_payload);
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0x3001);
  EXPECT_EQ(gre->version(), 1);
  EXPECT_TRUE(gre->key_present());
  EXPECT_TRUE(gre->sequence_present());
  EXPECT_FALSE(gre->ack_present());
  EXPECT_EQ(gre->protocol_type(), kGreProtocolPpp);
  EXPECT_EQ(gre->key(), 0x000e0018u);
  EXPECT_EQ(gre->pptp_payload_length(), 14);
  EXPECT_EQ(gre->pptp_call_id(), 24);
  EXPECT_EQ(gre->sequence(), 0u);
  EXPECT_EQ(gre->header_length(), 12u);
  EXPECT_EQ(gre->payload().size(), 14u);
  EXPECT_EQ(gre->payload()[0], 0xff);  // PPP address
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kBadVersion);
  EXPECT_TRUE(FailsWith(NvgreView::Parse(ip_payload), ParseError::kUnsupported, Layer::kNvgre));
}

// GREv1 with the A bit: seq 1, ack 4294967295 (call 1).
TEST(Gre, PptpVersion1Acknowledgment) {
  const Span ip_payload = Ipv4Payload(kPptpKeySeqAck);
  auto gre = GreView::Parse(ip_payload);
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0x3081);
  EXPECT_TRUE(gre->ack_present());
  EXPECT_EQ(gre->pptp_call_id(), 1);
  EXPECT_EQ(gre->pptp_payload_length(), 18);
  EXPECT_EQ(gre->sequence(), 1u);
  EXPECT_EQ(gre->acknowledgment(), 0xffffffffu);
  EXPECT_EQ(gre->header_length(), 16u);
  EXPECT_EQ(gre->payload().size(), 18u);
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kBadVersion);

  const GreRepr repr = GreRepr::From(*gre);
  EXPECT_EQ(repr.version, 1);
  EXPECT_TRUE(repr.ack_present);
  EXPECT_EQ(repr.acknowledgment, 0xffffffffu);
  std::array<std::uint8_t, 16> out{};
  repr.Emit(out);
  EXPECT_EQ(Copy(out), Copy(ip_payload.first(16)));
}

// PcapPlusPlus GREv1_1: K + A without S ("call 6, ack 26, no-payload").
TEST(Gre, PcapPlusPlusVersion1AckWithoutSequence) {
  const Span ip_payload = Ipv4Payload(kPcppGreV1KeyAck);
  auto gre = GreView::Parse(ip_payload);
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->flags_version(), 0x2081);
  EXPECT_FALSE(gre->sequence_present());
  EXPECT_TRUE(gre->ack_present());
  EXPECT_EQ(gre->pptp_call_id(), 6);
  EXPECT_EQ(gre->pptp_payload_length(), 0);
  EXPECT_EQ(gre->acknowledgment(), 26u);
  EXPECT_EQ(gre->header_length(), 12u);
  EXPECT_TRUE(gre->payload().empty());
  std::array<std::uint8_t, 12> out{};
  GreRepr::From(*gre).Emit(out);
  EXPECT_EQ(Copy(out), Copy(ip_payload));
}

// deepflow tencent-gre: a vendor GREv1 (K+S) carrying IPv4 (protocol 0x0800).
TEST(Gre, TencentVersion1) {
  auto gre = GreView::Parse(Ipv4Payload(kTencentGreV1));
  ASSERT_TRUE(gre.has_value());
  EXPECT_EQ(gre->version(), 1);
  EXPECT_EQ(gre->protocol_type(), 0x0800);
  EXPECT_EQ(gre->pptp_call_id(), 645);
  EXPECT_EQ(gre->sequence(), 167901968u);
  EXPECT_EQ(gre->header_length(), 12u);
  EXPECT_EQ(gre->payload()[0], 0x45);
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kBadVersion);
}

// ---- Malformed input -----------------------------------------------------------------------

TEST(Gre, HeapOverflowCaptures) {
  // heapoverflow-2: the GRE header after Ethernet (14) + IPv4 (20) has C and R set -> routing is
  // not supported; the walk stops without reading the (absent) routing fields.
  const Span gre2 = Span(kHeapOverflow2Frame2).subspan(34);
  EXPECT_TRUE(FailsWith(GreView::Parse(gre2), ParseError::kUnsupported, Layer::kGre));
  EXPECT_TRUE(FailsWith(NvgreView::Parse(gre2), ParseError::kUnsupported, Layer::kGre));
  // heapoverflow-1: IHL 8 puts GRE at 46, leaving 2 bytes.
  const Span gre1 = Span(kHeapOverflow1Frame2).subspan(14 + 4 * (kHeapOverflow1Frame2[14] & 0x0F));
  ASSERT_EQ(gre1.size(), 2u);
  EXPECT_TRUE(FailsWith(GreView::Parse(gre1), ParseError::kTruncated, Layer::kGre));

  // Every sub-span of both frames through every parser of this layer: an error or a value,
  // and every accessor of a value stays in bounds (checked under ASan).
  std::uint64_t sink = 0;
  for (Span frame : {Span(kHeapOverflow1Frame2), Span(kHeapOverflow2Frame2)}) {
    for (std::size_t start = 0; start <= frame.size(); ++start) {
      for (std::size_t end = start; end <= frame.size(); ++end) {
        const Span s = frame.subspan(start, end - start);
        if (auto g = GreView::Parse(s)) sink += Touch(*g);
        if (auto n = NvgreView::Parse(s)) sink += n->vsid() + n->flow_id() + n->payload().size();
        if (auto t = TcpView::Parse(s)) {
          sink += t->header_length() + t->options().size() + t->payload().size();
          sink += ValidateTcpOptions(t->options()).has_value();
        }
        if (auto u = UdpView::Parse(s)) sink += u->payload().size() + u->datagram().size();
        if (auto u = UdpView::Parse(s, Capture::kMayBeTruncated)) sink += u->payload().size();
        if (auto i = IcmpView::Parse(s)) sink += i->payload().size() + i->ChecksumVerifies();
      }
    }
  }
  EXPECT_NE(sink, 0u);
}

// Minimal classic-pcap reader (no pcapng): the captured bytes of every record.
std::vector<std::vector<std::uint8_t>> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::vector<std::uint8_t>> frames;
  if (file.size() < 24) return frames;
  const std::uint32_t magic = LoadBe32(Span(file).first<4>());
  const bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;  // little-endian file
  if (!swapped && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return frames;
  auto u32 = [&](std::size_t off) {
    std::uint32_t v = LoadBe32(Span(file).subspan(off).first<4>());
    return swapped ? __builtin_bswap32(v) : v;
  };
  for (std::size_t off = 24; off + 16 <= file.size();) {
    const std::uint32_t caplen = u32(off + 8);
    off += 16;
    if (caplen > file.size() - off) break;
    frames.emplace_back(file.begin() + static_cast<std::ptrdiff_t>(off),
                        file.begin() + static_cast<std::ptrdiff_t>(off + caplen));
    off += caplen;
  }
  return frames;
}

// Every GRE-bearing capture in ../shared/testdata: every parser at every start offset of the
// first 128 bytes of every frame, to the end of the frame and cut short. Error or value, never a
// read outside the span (ASan build).
TEST(Gre, SharedCapturesEveryOffsetParsesCleanly) {
  const char* files[] = {
      "packetnet_gre_nvgre.pcap", "pcapplusplus_GrePackets.converted.pcap",
      "derived_gre_checksum_vectors.pcap", "packetnet_gre_all_options.pcap",
      "gopacket_gre_test.pcap", "pcapplusplus_GrePackets_pptp.pcap", "deepflow_tencent-gre.pcap",
      "deepflow_vmware-gre-teb.pcap", "tcpdump_gre-heapoverflow-1.pcap",
      "tcpdump_gre-heapoverflow-2.pcap", "tcpdump_various_gre.pcap",
      "tcpdump_erspan-type-ii-1.pcap",
      "zeek_gre-pptp.pcap", "ovs_gre_decap_inputs.pcap", "dpdk_test_cksum.pcap",
  };
  std::size_t frames_seen = 0;
  std::uint64_t sink = 0;
  for (const char* name : files) {
    const auto frames = ReadPcap(std::string(NVGRE_SHARED_TESTDATA_DIR) + "/" + name);
    frames_seen += frames.size();
    for (const auto& frame : frames) {
      const Span f(frame);
      for (std::size_t start = 0; start < std::min<std::size_t>(f.size(), 128); ++start) {
        const std::size_t ends[] = {f.size(), std::min(f.size(), start + 7),
                                    std::min(f.size(), start + 15)};
        for (std::size_t end : ends) {
          const Span s = f.subspan(start, end - start);
          if (auto g = GreView::Parse(s)) sink += Touch(*g);
          if (auto n = NvgreView::Parse(s)) sink += n->vsid() + n->payload().size();
          if (auto t = TcpView::Parse(s)) sink += ValidateTcpOptions(t->options()).has_value();
          if (auto u = UdpView::Parse(s)) sink += u->payload().size();
          if (auto i = IcmpView::Parse(s)) sink += i->header_length() + i->payload().size();
          if (auto i = Icmpv6View::Parse(s)) sink += i->header_length() + i->payload().size();
        }
      }
    }
  }
  if (frames_seen == 0) GTEST_SKIP() << "no captures under " << NVGRE_SHARED_TESTDATA_DIR;
  EXPECT_GT(frames_seen, 100u);
  EXPECT_NE(sink, 0u);
}

// Every prefix shorter than the header fails with {kTruncated, kGre, 0}; the full header parses
// with an empty payload.
TEST(Gre, EveryPrefixTruncated) {
  const Span headers[] = {
      Ipv4Payload(kPacketnetNvgre).first(8), Ipv4Payload(kPacketnetAllOptions).first(16),
      Ipv4Payload(kPcppGreChecksum).first(8), Ipv4Payload(kPptpKeySeqAck).first(16),
      Ipv4Payload(kPptpKeySeq).first(12),     Ipv4Payload(kGopacketGreIpv4).first(4),
  };
  for (const Span h : headers) {
    for (std::size_t n = 0; n < h.size(); ++n) {
      SCOPED_TRACE(n);
      EXPECT_TRUE(FailsWith(GreView::Parse(h.first(n)), ParseError::kTruncated, Layer::kGre));
    }
    auto full = GreView::Parse(h);
    ASSERT_TRUE(full.has_value());
    EXPECT_EQ(full->header_length(), h.size());
    EXPECT_TRUE(full->payload().empty());
  }
  const Span nvgre = Ipv4Payload(kPacketnetNvgre);
  for (std::size_t n = 0; n < 8; ++n) {
    EXPECT_TRUE(FailsWith(NvgreView::Parse(nvgre.first(n)), ParseError::kTruncated, Layer::kGre));
  }
  EXPECT_TRUE(NvgreView::Parse(nvgre.first(8)).has_value());
}

std::array<std::uint8_t, 16> Header(std::uint16_t flags_version, std::uint16_t protocol = 0x0800) {
  std::array<std::uint8_t, 16> h{};
  StoreBe16(std::span(h).first<2>(), flags_version);
  StoreBe16(std::span(h).subspan<2, 2>(), protocol);
  return h;
}

TEST(Gre, BadVersion) {
  for (std::uint16_t version = 2; version <= 7; ++version) {
    const auto h = Header(version);
    EXPECT_TRUE(FailsWith(GreView::Parse(Span(h).first(4)), ParseError::kBadVersion, Layer::kGre));
    // The version is checked before the flags.
    const auto r = Header(static_cast<std::uint16_t>(kGreFlagRouting | version));
    EXPECT_TRUE(FailsWith(GreView::Parse(r), ParseError::kBadVersion, Layer::kGre));
  }
}

TEST(Gre, RoutingUnsupported) {
  for (std::uint16_t fv : std::initializer_list<std::uint16_t>{0x4000, 0xc000, 0x6000, 0xf000}) {
    const auto h = Header(fv);
    EXPECT_TRUE(FailsWith(GreView::Parse(h), ParseError::kUnsupported, Layer::kGre)) << fv;
  }
}

// RFC 2784 §2.3: bits 4-5 of Reserved0 set -> discard; bits 6-12 are ignored.
TEST(Gre, ReservedBits) {
  for (std::uint16_t fv : std::initializer_list<std::uint16_t>{0x0800, 0x0400, 0x0c00, 0x2800}) {
    const auto h = Header(fv);
    EXPECT_TRUE(FailsWith(GreView::Parse(h), ParseError::kReservedBits, Layer::kGre)) << fv;
  }
  for (int bit = 6; bit <= 12; ++bit) {
    const auto fv = static_cast<std::uint16_t>(0x8000 >> bit);
    const auto h = Header(fv);
    auto gre = GreView::Parse(Span(h).first(4));
    ASSERT_TRUE(gre.has_value()) << bit;
    EXPECT_EQ(gre->header_length(), 4u);
    EXPECT_FALSE(gre->ack_present());  // bit 8 is not A in version 0
  }
}

// RFC 2637 §4.1: version 1 needs K=1, C=0, R=0.
TEST(Gre, Version1Rules) {
  for (std::uint16_t fv :
       std::initializer_list<std::uint16_t>{0x0001, 0x1001, 0x0081, 0xa001, 0x6001, 0xe001}) {
    const auto h = Header(fv, kGreProtocolPpp);
    EXPECT_TRUE(FailsWith(GreView::Parse(h), ParseError::kReservedBits, Layer::kGre)) << fv;
  }
  const struct {
    std::uint16_t fv;
    std::size_t length;
  } ok[] = {{0x2001, 8}, {0x3001, 12}, {0x2081, 12}, {0x3081, 16}};
  for (const auto& c : ok) {
    const auto h = Header(c.fv, kGreProtocolPpp);
    auto gre = GreView::Parse(Span(h).first(c.length));
    ASSERT_TRUE(gre.has_value()) << c.fv;
    EXPECT_EQ(gre->header_length(), c.length);
    EXPECT_TRUE(FailsWith(GreView::Parse(Span(h).first(c.length - 1)), ParseError::kTruncated,
                          Layer::kGre));
  }
}

// The header length each flag implies, checked against the span.
TEST(Gre, LengthPerFlag) {
  for (int c = 0; c < 2; ++c) {
    for (int k = 0; k < 2; ++k) {
      for (int s = 0; s < 2; ++s) {
        const auto fv = static_cast<std::uint16_t>(
            (c ? kGreFlagChecksum : 0) | (k ? kGreFlagKey : 0) | (s ? kGreFlagSequence : 0));
        const std::size_t length = 4u + 4u * static_cast<std::size_t>(c + k + s);
        EXPECT_EQ(GreHeaderLength(fv), length);
        const auto h = Header(fv);
        EXPECT_TRUE(GreView::Parse(Span(h).first(length)).has_value()) << fv;
        EXPECT_TRUE(FailsWith(GreView::Parse(Span(h).first(length - 1)), ParseError::kTruncated,
                              Layer::kGre))
            << fv;
      }
    }
  }
}

TEST(Gre, EmitParseRoundTrip) {
  for (int bits = 0; bits < 16; ++bits) {
    GreRepr r;
    r.checksum_present = bits & 1;
    r.key_present = (bits & 2) != 0;
    r.sequence_present = (bits & 4) != 0;
    r.version = 0;
    r.protocol_type = kGreProtocolTeb;
    if (bits & 8) {  // version 1: K required, no C; A exercised instead
      r.version = 1;
      r.checksum_present = false;
      r.key_present = true;
      r.ack_present = bits & 1;
      r.protocol_type = kGreProtocolPpp;
    }
    if (r.checksum_present) r.checksum = 0x1234;
    if (r.key_present) r.key = 0x89abcdef;
    if (r.sequence_present) r.sequence = 0x01020304;
    if (r.ack_present) r.acknowledgment = 0xfedcba98;
    std::vector<std::uint8_t> buf(r.header_length() + 3, 0xa5);
    r.Emit(buf);
    auto gre = GreView::Parse(buf);
    ASSERT_TRUE(gre.has_value()) << bits;
    EXPECT_EQ(gre->header_length(), r.header_length());
    EXPECT_EQ(gre->payload().size(), 3u);
    EXPECT_EQ(GreRepr::From(*gre), r) << bits;
  }
}

// Parse -> Repr -> Emit reproduces the header bytes of every capture.
TEST(Gre, ParseReprEmitSameBytes) {
  const Span packets[] = {kPacketnetNvgre,     kPcppNvgreSyn,       kPcppGreChecksum,
                          kPcppGreV1KeyAck,    kDerivedGreCsum77ff, kDerivedGreCsum8475,
                          kDerivedGreCsum3a08, kDerivedGreCsum28ac, kPacketnetAllOptions,
                          kGopacketGreIpv4,    kGopacketGreTebNoKey, kPptpKeySeq,
                          kPptpKeySeqAck,      kTencentGreV1};
  for (const Span ip : packets) {
    const Span ip_payload = Ipv4Payload(ip);
    auto gre = GreView::Parse(ip_payload);
    ASSERT_TRUE(gre.has_value());
    const GreRepr repr = GreRepr::From(*gre);
    std::vector<std::uint8_t> out(repr.header_length(), 0xa5);
    repr.Emit(out);
    EXPECT_EQ(out, Copy(ip_payload.first(gre->header_length())));
  }
}

TEST(Gre, MutViewSetters) {
  std::array<std::uint8_t, 20> buf{};
  GreRepr r;
  r.checksum_present = r.key_present = r.sequence_present = true;
  r.protocol_type = 0x0800;
  r.Emit(buf);
  auto gre = GreMutView::Parse(std::span<std::uint8_t>(buf));
  ASSERT_TRUE(gre.has_value());
  gre->set_key(0x11223344);
  gre->set_sequence(0x55667788);
  gre->set_protocol_type(kGreProtocolTeb);
  gre->set_checksum(0xabcd);
  const GreView ro = *gre;  // read/write view converts to read-only
  EXPECT_EQ(ro.key(), 0x11223344u);
  EXPECT_EQ(ro.sequence(), 0x55667788u);
  EXPECT_EQ(ro.protocol_type(), kGreProtocolTeb);
  EXPECT_EQ(ro.checksum(), 0xabcd);
  EXPECT_EQ(buf[8], 0x11);
  EXPECT_EQ(buf[15], 0x88);
  EXPECT_EQ(CheckNvgre(*gre), NvgreViolation::kChecksumPresent);
}

// ---- NVGRE rules (RFC 7637 §3.2) -----------------------------------------------------------

NvgreViolation Check(std::uint16_t flags_version, std::uint16_t protocol) {
  const auto h = Header(flags_version, protocol);
  auto gre = GreView::Parse(h);
  EXPECT_TRUE(gre.has_value());
  return gre ? CheckNvgre(*gre) : NvgreViolation::kCount;
}

TEST(Nvgre, CheckOrder) {
  EXPECT_EQ(Check(0x2001, kGreProtocolTeb), NvgreViolation::kBadVersion);
  EXPECT_EQ(Check(0x3081, 0x0800), NvgreViolation::kBadVersion);  // version before protocol
  EXPECT_EQ(Check(0x9000, 0x0800), NvgreViolation::kNotTeb);      // protocol before key
  EXPECT_EQ(Check(0x2000, 0x0800), NvgreViolation::kNotTeb);
  EXPECT_EQ(Check(0x9000, kGreProtocolTeb), NvgreViolation::kKeyAbsent);  // key before C, S
  EXPECT_EQ(Check(0x0000, kGreProtocolTeb), NvgreViolation::kKeyAbsent);
  EXPECT_EQ(Check(0xb000, kGreProtocolTeb), NvgreViolation::kChecksumPresent);  // C before S
  EXPECT_EQ(Check(0xa000, kGreProtocolTeb), NvgreViolation::kChecksumPresent);
  EXPECT_EQ(Check(0x3000, kGreProtocolTeb), NvgreViolation::kSequencePresent);
  EXPECT_EQ(Check(0x2000, kGreProtocolTeb), NvgreViolation::kNone);
  EXPECT_EQ(Check(0x2100, kGreProtocolTeb), NvgreViolation::kNone);  // bit 7: ignored Reserved0
}

TEST(Nvgre, ParseRejectsEveryViolation) {
  for (std::uint16_t fv : std::initializer_list<std::uint16_t>{0x2001, 0x0000, 0xa000, 0x3000}) {
    const auto h = Header(fv, kGreProtocolTeb);
    EXPECT_TRUE(FailsWith(NvgreView::Parse(h), ParseError::kUnsupported, Layer::kNvgre)) << fv;
  }
  const auto ip = Header(0x2000, 0x0800);
  EXPECT_TRUE(FailsWith(NvgreView::Parse(ip), ParseError::kUnsupported, Layer::kNvgre));
  // GRE-level failures come through unchanged.
  const auto routing = Header(0x6000, kGreProtocolTeb);
  EXPECT_TRUE(FailsWith(NvgreView::Parse(routing), ParseError::kUnsupported, Layer::kGre));
  const auto v3 = Header(0x2003, kGreProtocolTeb);
  EXPECT_TRUE(FailsWith(NvgreView::Parse(v3), ParseError::kBadVersion, Layer::kGre));
}

TEST(Nvgre, ViolationStrings) {
  EXPECT_EQ(ToString(NvgreViolation::kNone), "none");
  EXPECT_EQ(ToString(NvgreViolation::kKeyAbsent), "gre-key-absent");
  EXPECT_EQ(ToString(NvgreViolation::kChecksumPresent), "gre-checksum-present");
  EXPECT_EQ(ToString(NvgreViolation::kSequencePresent), "gre-sequence-present");
  EXPECT_EQ(ToString(NvgreViolation::kBadVersion), "gre-version-not-0");
  EXPECT_EQ(ToString(NvgreViolation::kNotTeb), "protocol-not-teb");
  EXPECT_EQ(ToString(NvgreViolation::kInnerVlan), "inner-802.1q-tag");
  EXPECT_EQ(ToString(NvgreViolation::kCount), "?");
}

TEST(Nvgre, KeyVsidFlowIdBoundaries) {
  EXPECT_EQ(NvgreKey(0x123456, 0x02), 0x12345602u);
  EXPECT_EQ(NvgreKey(0, 0), 0u);
  EXPECT_EQ(NvgreKey(kMaxVsid, 0xff), 0xffffffffu);
  EXPECT_EQ(NvgreKey(0x000001, 0x00), 0x00000100u);
  EXPECT_EQ(VsidOfKey(0xffffffff), 0xffffffu);
  EXPECT_EQ(FlowIdOfKey(0xffffffff), 0xff);
  EXPECT_EQ(VsidOfKey(0x000000ff), 0u);
  EXPECT_EQ(FlowIdOfKey(0xabcdef12), 0x12);
  for (std::uint32_t vsid : {0u, 0xfffu, 0x1000u, 0x123456u, 0xfffffeu, 0xffffffu}) {
    for (std::uint8_t flow : {std::uint8_t{0}, std::uint8_t{1}, std::uint8_t{0xff}}) {
      const std::uint32_t key = NvgreKey(vsid, flow);
      EXPECT_EQ(VsidOfKey(key), vsid);
      EXPECT_EQ(FlowIdOfKey(key), flow);
    }
  }
  EXPECT_TRUE(IsReservedVsid(0x000000));
  EXPECT_TRUE(IsReservedVsid(0x000fff));
  EXPECT_FALSE(IsReservedVsid(0x001000));
  EXPECT_FALSE(IsReservedVsid(0x123456));
  EXPECT_FALSE(IsReservedVsid(0xfffffe));
  EXPECT_TRUE(IsReservedVsid(0xffffff));
  EXPECT_TRUE(IsReservedVsid(0x1000000));  // not a 24-bit value
  static_assert(kMaxVsid == 0xffffff && kNvgreHeaderSize == 8 && kGreProtocolTeb == 0x6558);
}

TEST(Nvgre, EmitParseRoundTripAndSetters) {
  for (std::uint32_t vsid : {0x001000u, 0x123456u, 0xfffffeu, 0u, 0xffffffu}) {
    for (std::uint8_t flow : {std::uint8_t{0}, std::uint8_t{0x7f}, std::uint8_t{0xff}}) {
      std::array<std::uint8_t, 10> buf{};
      buf.fill(0xee);
      const NvgreRepr repr{vsid, flow};
      repr.Emit(buf);
      EXPECT_EQ(buf[0], 0x20);
      EXPECT_EQ(buf[1], 0x00);
      EXPECT_EQ(buf[2], 0x65);
      EXPECT_EQ(buf[3], 0x58);
      EXPECT_EQ(buf[8], 0xee);  // nothing written past the header
      auto nv = NvgreView::Parse(buf);
      ASSERT_TRUE(nv.has_value());
      EXPECT_EQ(NvgreRepr::From(*nv), repr);
      EXPECT_EQ(nv->key(), repr.key());
      EXPECT_EQ(nv->payload().size(), 2u);
    }
  }
  std::array<std::uint8_t, 8> buf{};
  NvgreRepr{0x123456, 2}.Emit(buf);
  auto mut = NvgreMutView::Parse(std::span<std::uint8_t>(buf));
  ASSERT_TRUE(mut.has_value());
  mut->set_vsid(0xabcdef);
  EXPECT_EQ(mut->vsid(), 0xabcdefu);
  EXPECT_EQ(mut->flow_id(), 2);
  mut->set_flow_id(0x99);
  EXPECT_EQ(mut->key(), 0xabcdef99u);
  mut->set_key(0x01020304);
  const NvgreView ro = *mut;
  EXPECT_EQ(ro.vsid(), 0x010203u);
  EXPECT_EQ(ro.flow_id(), 0x04);
  EXPECT_EQ(buf[0], 0x20);
  EXPECT_EQ(buf[3], 0x58);
}

}  // namespace
}  // namespace nvgre::wire
