// NDIS out-of-band metadata: known raw values decoded member by member and encoded again, every
// bit of every raw ULONG owned by exactly one member, width limits, random round trips, names.
//
// The expected layouts below are written out from the Windows headers (nblchecksum.h,
// nbllso.h, nbluso.h, ndis.h as quoted in spec §2, §8.4, §10.1, §11.1), independently of the
// constants in ndis_oob.h, and every decode goes through the accessors.
#include "nvgre/offload/ndis_oob.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nvgre::offload {
namespace {

struct Member {
  std::string_view name;
  unsigned width;
};
using Layout = std::vector<Member>;
using Decoded = std::vector<std::pair<std::string_view, std::uint32_t>>;

constexpr std::uint32_t B(bool b) { return b ? 1u : 0u; }

// T::kLayout has exactly these members at consecutive bit positions from bit 0.
template <class T>
void ExpectLayout(const Layout& expected) {
  ASSERT_EQ(T::kLayout.size(), expected.size());
  unsigned shift = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(T::kLayout[i].name, expected[i].name) << i;
    EXPECT_EQ(T::kLayout[i].bits.shift, shift) << expected[i].name;
    EXPECT_EQ(T::kLayout[i].bits.width, expected[i].width) << expected[i].name;
    shift += expected[i].width;
  }
  EXPECT_EQ(shift, 32u);
}

// For every bit 0..31: FromRaw(1 << bit) decodes (through the accessors, via `decode`) to
// exactly one non-zero member, the one `expected` places there, with value 1 << (bit - start).
template <class T, class Decode>
void ExpectEveryBitInExactlyOneMember(const Layout& expected, Decode decode) {
  unsigned start = 0;
  for (const Member& m : expected) {
    for (unsigned k = 0; k < m.width; ++k) {
      const unsigned bit = start + k;
      const std::uint32_t raw = std::uint32_t{1} << bit;
      const T v = T::FromRaw(raw);
      EXPECT_EQ(v.raw(), raw);
      int nonzero = 0;
      for (const auto& [name, value] : decode(v)) {
        if (value == 0) continue;
        ++nonzero;
        EXPECT_EQ(name, m.name) << "bit " << bit;
        EXPECT_EQ(value, std::uint32_t{1} << k) << "bit " << bit;
      }
      EXPECT_EQ(nonzero, 1) << "bit " << bit;
    }
    start += m.width;
  }
  EXPECT_EQ(start, 32u);
}

template <class T>
std::optional<T> AsOptional(std::optional<T> v) { return v; }
template <class T>
std::optional<T> AsOptional(T v) { return v; }

// raw -> FromRaw -> raw is the identity, reserved bits included, and the decoded Fields encode
// back to the same value.
template <class T>
void ExpectRandomRoundTrip() {
  std::mt19937 rng(0x4E564752u);
  int failures = 0;
  for (int i = 0; i < 20000 && failures < 5; ++i) {
    const std::uint32_t x = i == 0 ? 0u : i == 1 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(rng());
    const T v = T::FromRaw(x);
    const std::optional<T> again = AsOptional(T::Make(v.fields()));
    if (v.raw() != x || !again || again->raw() != x || !(*again == v)) {
      ++failures;
      ADD_FAILURE() << std::hex << "raw 0x" << x << " -> 0x" << v.raw();
    }
  }
}

// ------------------------------------------------------------------------------------------
// NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO.Transmit

const Layout kChecksumTxLayout = {{"IsIPv4", 1},          {"IsIPv6", 1},
                                  {"TcpChecksum", 1},     {"UdpChecksum", 1},
                                  {"IpHeaderChecksum", 1}, {"Reserved", 11},
                                  {"TcpHeaderOffset", 10}, {"UnnamedBits", 6}};

Decoded DecodeChecksumTx(const ChecksumTxInfo& v) {
  return {{"IsIPv4", B(v.is_ipv4())},
          {"IsIPv6", B(v.is_ipv6())},
          {"TcpChecksum", B(v.tcp_checksum())},
          {"UdpChecksum", B(v.udp_checksum())},
          {"IpHeaderChecksum", B(v.ip_header_checksum())},
          {"Reserved", v.reserved()},
          {"TcpHeaderOffset", v.tcp_header_offset()},
          {"UnnamedBits", v.unnamed_bits()}};
}

TEST(NdisChecksumTxInfo, Layout) {
  ExpectLayout<ChecksumTxInfo>(kChecksumTxLayout);
  ExpectEveryBitInExactlyOneMember<ChecksumTxInfo>(kChecksumTxLayout, DecodeChecksumTx);
}

TEST(NdisChecksumTxInfo, DecodesAndEncodesKnownValue) {
  // IPv4/TCP with IP header checksum, TCP header at 14 + 20 = 34: 1 | 4 | 0x10 | 34 << 16.
  const ChecksumTxInfo v = ChecksumTxInfo::FromRaw(0x00220015);
  EXPECT_TRUE(v.is_ipv4());
  EXPECT_FALSE(v.is_ipv6());
  EXPECT_TRUE(v.tcp_checksum());
  EXPECT_FALSE(v.udp_checksum());
  EXPECT_TRUE(v.ip_header_checksum());
  EXPECT_EQ(v.reserved(), 0u);
  EXPECT_EQ(v.tcp_header_offset(), 34u);
  EXPECT_EQ(v.unnamed_bits(), 0u);
  EXPECT_TRUE(v.requested());

  const auto made = ChecksumTxInfo::Make(
      {.is_ipv4 = true, .tcp_checksum = true, .ip_header_checksum = true, .tcp_header_offset = 34});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x00220015u);
  EXPECT_EQ(*made, v);

  ChecksumTxInfo built;
  built.set_is_ipv4(true);
  built.set_tcp_checksum(true);
  built.set_ip_header_checksum(true);
  ASSERT_TRUE(built.set_tcp_header_offset(34));
  EXPECT_EQ(built.raw(), 0x00220015u);

  EXPECT_EQ(v.ToString(), "IsIPv4 TcpChecksum IpHeaderChecksum TcpHeaderOffset=34");
  EXPECT_EQ(v.FlagNames(), (std::vector<std::string_view>{"IsIPv4", "TcpChecksum",
                                                           "IpHeaderChecksum"}));
}

TEST(NdisChecksumTxInfo, NvgreOuterIpv6InnerUdp) {
  // Outer IPv6 (IsIPv6 describes the outer header), inner IPv4 header checksum + inner UDP.
  const ChecksumTxInfo v = ChecksumTxInfo::FromRaw(0x0000001A);
  EXPECT_FALSE(v.is_ipv4());
  EXPECT_TRUE(v.is_ipv6());
  EXPECT_TRUE(v.udp_checksum());
  EXPECT_TRUE(v.ip_header_checksum());
  EXPECT_TRUE(v.requested());
}

TEST(NdisChecksumTxInfo, RequestedNeedsAVersionAndAChecksumBit) {
  EXPECT_FALSE(ChecksumTxInfo::FromRaw(0x00000000).requested());
  EXPECT_FALSE(ChecksumTxInfo::FromRaw(0x0000001C).requested());  // no IsIPv4/IsIPv6
  EXPECT_FALSE(ChecksumTxInfo::FromRaw(0x00000003).requested());  // versions only
  EXPECT_TRUE(ChecksumTxInfo::FromRaw(0x00000011).requested());   // IsIPv4 + IpHeaderChecksum
}

TEST(NdisChecksumTxInfo, WidthLimits) {
  ChecksumTxInfo v;
  EXPECT_TRUE(v.set_tcp_header_offset(1023));
  EXPECT_EQ(v.raw(), 0x03FF0000u);
  EXPECT_FALSE(v.set_tcp_header_offset(1024));
  EXPECT_EQ(v.raw(), 0x03FF0000u);  // unchanged
  EXPECT_TRUE(v.set_reserved(0x7FF));
  EXPECT_FALSE(v.set_reserved(0x800));
  EXPECT_TRUE(v.set_unnamed_bits(0x3F));
  EXPECT_FALSE(v.set_unnamed_bits(0x40));
  EXPECT_EQ(v.raw(), 0xFFFFFFE0u);
  EXPECT_FALSE(ChecksumTxInfo::Make({.tcp_header_offset = 1024}));
  EXPECT_FALSE(ChecksumTxInfo::Make({.reserved = 0x800}));
  EXPECT_FALSE(ChecksumTxInfo::Make({.unnamed_bits = 0x40}));
}

TEST(NdisChecksumTxInfo, RandomRoundTrip) { ExpectRandomRoundTrip<ChecksumTxInfo>(); }

TEST(NdisChecksumTxInfo, ReservedBitsArePreservedAndPrinted) {
  ChecksumTxInfo v = ChecksumTxInfo::FromRaw(0xFC00FFE0u);  // every reserved/unnamed bit
  EXPECT_EQ(v.reserved(), 0x7FFu);
  EXPECT_EQ(v.unnamed_bits(), 0x3Fu);
  v.set_is_ipv4(true);
  EXPECT_EQ(v.raw(), 0xFC00FFE1u);
  EXPECT_EQ(v.ToString(), "IsIPv4 Reserved=0x7ff UnnamedBits=0x3f");
  EXPECT_EQ(ChecksumTxInfo().ToString(), "none");
}

// ------------------------------------------------------------------------------------------
// NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO.Receive

const Layout kChecksumRxLayout = {{"TcpChecksumFailed", 1},      {"UdpChecksumFailed", 1},
                                  {"IpChecksumFailed", 1},       {"TcpChecksumSucceeded", 1},
                                  {"UdpChecksumSucceeded", 1},   {"IpChecksumSucceeded", 1},
                                  {"Loopback", 1},               {"TcpChecksumValueInvalid", 1},
                                  {"IpChecksumValueInvalid", 1}, {"UnnamedBits", 23}};

Decoded DecodeChecksumRx(const ChecksumRxInfo& v) {
  return {{"TcpChecksumFailed", B(v.tcp_checksum_failed())},
          {"UdpChecksumFailed", B(v.udp_checksum_failed())},
          {"IpChecksumFailed", B(v.ip_checksum_failed())},
          {"TcpChecksumSucceeded", B(v.tcp_checksum_succeeded())},
          {"UdpChecksumSucceeded", B(v.udp_checksum_succeeded())},
          {"IpChecksumSucceeded", B(v.ip_checksum_succeeded())},
          {"Loopback", B(v.loopback())},
          {"TcpChecksumValueInvalid", B(v.tcp_checksum_value_invalid())},
          {"IpChecksumValueInvalid", B(v.ip_checksum_value_invalid())},
          {"UnnamedBits", v.unnamed_bits()}};
}

TEST(NdisChecksumRxInfo, Layout) {
  ExpectLayout<ChecksumRxInfo>(kChecksumRxLayout);
  ExpectEveryBitInExactlyOneMember<ChecksumRxInfo>(kChecksumRxLayout, DecodeChecksumRx);
}

TEST(NdisChecksumRxInfo, NvgreAllGood) {
  // Outer + inner IPv4 good and inner TCP good: IpChecksumSucceeded (0x20) | TcpSucceeded (0x08).
  ChecksumRxInfo v;
  v.set_ip_checksum_succeeded(true);
  v.set_tcp_checksum_succeeded(true);
  EXPECT_EQ(v.raw(), 0x00000028u);
  EXPECT_TRUE(v.consistent());
  EXPECT_EQ(v.FlagNames(),
            (std::vector<std::string_view>{"TcpChecksumSucceeded", "IpChecksumSucceeded"}));
  EXPECT_EQ(v.ToString(), "TcpChecksumSucceeded IpChecksumSucceeded");
  const auto made = ChecksumRxInfo::Make({.tcp_checksum_succeeded = true,
                                          .ip_checksum_succeeded = true});
  ASSERT_TRUE(made);
  EXPECT_EQ(*made, v);
}

TEST(NdisChecksumRxInfo, DecodesKnownValue) {
  // Inner IPv4 bad (IpChecksumFailed 0x04), inner UDP good (UdpChecksumSucceeded 0x10), RSC
  // marked the IP checksum value invalid (0x100).
  const ChecksumRxInfo v = ChecksumRxInfo::FromRaw(0x00000114);
  EXPECT_TRUE(v.ip_checksum_failed());
  EXPECT_TRUE(v.udp_checksum_succeeded());
  EXPECT_TRUE(v.ip_checksum_value_invalid());
  EXPECT_FALSE(v.ip_checksum_succeeded());
  EXPECT_FALSE(v.tcp_checksum_failed());
  EXPECT_FALSE(v.tcp_checksum_succeeded());
  EXPECT_FALSE(v.udp_checksum_failed());
  EXPECT_FALSE(v.loopback());
  EXPECT_FALSE(v.tcp_checksum_value_invalid());
  EXPECT_EQ(v.unnamed_bits(), 0u);
  EXPECT_EQ(v.ToString(), "IpChecksumFailed UdpChecksumSucceeded IpChecksumValueInvalid");
}

TEST(NdisChecksumRxInfo, ConsistencyOfSucceededAndFailed) {
  EXPECT_TRUE(ChecksumRxInfo::FromRaw(0).consistent());
  EXPECT_FALSE(ChecksumRxInfo::FromRaw(0x09).consistent());  // Tcp Failed + Succeeded
  EXPECT_FALSE(ChecksumRxInfo::FromRaw(0x12).consistent());  // Udp Failed + Succeeded
  EXPECT_FALSE(ChecksumRxInfo::FromRaw(0x24).consistent());  // Ip Failed + Succeeded
  EXPECT_TRUE(ChecksumRxInfo::FromRaw(0x0C).consistent());   // Ip Failed + Tcp Succeeded
}

TEST(NdisChecksumRxInfo, FlagNameTableIsCompleteAndUnique) {
  const std::vector<std::string_view> expected = {
      "TcpChecksumFailed",    "UdpChecksumFailed",    "IpChecksumFailed",
      "TcpChecksumSucceeded", "UdpChecksumSucceeded", "IpChecksumSucceeded",
      "Loopback",             "TcpChecksumValueInvalid", "IpChecksumValueInvalid"};
  EXPECT_EQ(ChecksumRxInfo::FromRaw(0x1FF).FlagNames(), expected);
  std::set<std::uint32_t> masks;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::optional<std::uint32_t> m = ChecksumRxInfo::ParseFlagName(expected[i]);
    ASSERT_TRUE(m) << expected[i];
    EXPECT_EQ(*m, std::uint32_t{1} << i) << expected[i];
    masks.insert(*m);
  }
  EXPECT_EQ(masks.size(), expected.size());
  EXPECT_EQ(ChecksumRxInfo::ParseFlagName("ipchecksumsucceeded"), 0x20u);  // case-insensitive
  EXPECT_FALSE(ChecksumRxInfo::ParseFlagName("IpChecksumSucceded"));
  EXPECT_FALSE(ChecksumRxInfo::ParseFlagName("UnnamedBits"));  // not a flag
  EXPECT_FALSE(ChecksumRxInfo::ParseFlagName(""));
  EXPECT_EQ(ChecksumTxInfo::ParseFlagName("IpHeaderChecksum"), 0x10u);
  EXPECT_FALSE(ChecksumTxInfo::ParseFlagName("TcpHeaderOffset"));  // a number, not a flag
}

TEST(NdisChecksumRxInfo, WidthLimitsAndRandomRoundTrip) {
  ChecksumRxInfo v;
  EXPECT_TRUE(v.set_unnamed_bits(0x7FFFFF));
  EXPECT_EQ(v.raw(), 0xFFFFFE00u);
  EXPECT_FALSE(v.set_unnamed_bits(0x800000));
  EXPECT_EQ(v.raw(), 0xFFFFFE00u);
  EXPECT_FALSE(ChecksumRxInfo::Make({.unnamed_bits = 0x800000}));
  ExpectRandomRoundTrip<ChecksumRxInfo>();
}

// ------------------------------------------------------------------------------------------
// NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO

const Layout kLsoV2TxLayout = {{"MSS", 20}, {"TcpHeaderOffset", 10}, {"Type", 1}, {"IPVersion", 1}};
const Layout kLsoV1TxLayout = {{"MSS", 20}, {"TcpHeaderOffset", 10}, {"Type", 1}, {"Reserved2", 1}};
const Layout kLsoV2CompleteLayout = {{"Reserved", 30}, {"Type", 1}, {"Reserved2", 1}};
const Layout kLsoV1CompleteLayout = {{"TcpPayload", 30}, {"Type", 1}, {"Reserved2", 1}};

Decoded DecodeLsoV2Tx(const LsoV2TxInfo& v) {
  return {{"MSS", v.mss()},
          {"TcpHeaderOffset", v.tcp_header_offset()},
          {"Type", B(v.type() == LsoType::kV2)},
          {"IPVersion", B(v.ip_version() == OffloadIpVersion::kIpv6)}};
}
Decoded DecodeLsoV1Tx(const LsoV1TxInfo& v) {
  return {{"MSS", v.mss()},
          {"TcpHeaderOffset", v.tcp_header_offset()},
          {"Type", B(v.type() == LsoType::kV2)},
          {"Reserved2", v.reserved2()}};
}
Decoded DecodeLsoV2Complete(const LsoV2CompleteInfo& v) {
  return {{"Reserved", v.reserved()},
          {"Type", B(v.type() == LsoType::kV2)},
          {"Reserved2", v.reserved2()}};
}
Decoded DecodeLsoV1Complete(const LsoV1CompleteInfo& v) {
  return {{"TcpPayload", v.tcp_payload()},
          {"Type", B(v.type() == LsoType::kV2)},
          {"Reserved2", v.reserved2()}};
}

TEST(NdisLso, Layouts) {
  ExpectLayout<LsoV2TxInfo>(kLsoV2TxLayout);
  ExpectEveryBitInExactlyOneMember<LsoV2TxInfo>(kLsoV2TxLayout, DecodeLsoV2Tx);
  ExpectLayout<LsoV1TxInfo>(kLsoV1TxLayout);
  ExpectEveryBitInExactlyOneMember<LsoV1TxInfo>(kLsoV1TxLayout, DecodeLsoV1Tx);
  ExpectLayout<LsoV2CompleteInfo>(kLsoV2CompleteLayout);
  ExpectEveryBitInExactlyOneMember<LsoV2CompleteInfo>(kLsoV2CompleteLayout, DecodeLsoV2Complete);
  ExpectLayout<LsoV1CompleteInfo>(kLsoV1CompleteLayout);
  ExpectEveryBitInExactlyOneMember<LsoV1CompleteInfo>(kLsoV1CompleteLayout, DecodeLsoV1Complete);
}

TEST(NdisLso, Constants) {
  EXPECT_EQ(kNdisTcpLargeSendOffloadV1Type, 0u);
  EXPECT_EQ(kNdisTcpLargeSendOffloadV2Type, 1u);
  EXPECT_EQ(kNdisTcpLargeSendOffloadIpv4, 0u);
  EXPECT_EQ(kNdisTcpLargeSendOffloadIpv6, 1u);
  EXPECT_EQ(static_cast<std::uint32_t>(LsoType::kV2), kNdisTcpLargeSendOffloadV2Type);
  EXPECT_EQ(static_cast<std::uint32_t>(OffloadIpVersion::kIpv6), kNdisTcpLargeSendOffloadIpv6);
}

TEST(NdisLso, V2TransmitNvgreKnownValue) {
  // MSS for an NVGRE IPv4/IPv4 TCP flow on a 1500-byte path, as the stack reduces it:
  // 1500 - 20 (outer IPv4) - 8 (GRE) - 14 (inner Ethernet) - 20 (inner IPv4) - 20 (TCP) = 1418.
  const LsoV2TxInfo v = LsoV2TxInfo::FromRaw(0x4000058A);
  EXPECT_EQ(v.mss(), 1418u);
  EXPECT_EQ(v.tcp_header_offset(), 0u);
  EXPECT_EQ(v.type(), LsoType::kV2);
  EXPECT_EQ(v.ip_version(), OffloadIpVersion::kIpv4);
  EXPECT_TRUE(v.requested());
  const auto made = LsoV2TxInfo::Make({.mss = 1418});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x4000058Au);
  EXPECT_EQ(v.ToString(),
            "MSS=1418 Type=NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE "
            "IPVersion=NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4");
}

TEST(NdisLso, V2TransmitIpv6KnownValue) {
  // Outer IPv6, legacy TcpHeaderOffset 54 (14 + 40): 1 << 31 | 1 << 30 | 54 << 20 | 1418.
  const LsoV2TxInfo v = LsoV2TxInfo::FromRaw(0xC360058A);
  EXPECT_EQ(v.mss(), 1418u);
  EXPECT_EQ(v.tcp_header_offset(), 54u);
  EXPECT_EQ(v.type(), LsoType::kV2);
  EXPECT_EQ(v.ip_version(), OffloadIpVersion::kIpv6);
  const auto made = LsoV2TxInfo::Make(
      {.mss = 1418, .tcp_header_offset = 54, .ip_version = OffloadIpVersion::kIpv6});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0xC360058Au);
  EXPECT_EQ(made->fields(), (LsoV2TxInfo::Fields{1418, 54, LsoType::kV2, OffloadIpVersion::kIpv6}));
}

TEST(NdisLso, V1TransmitKnownValue) {
  // LSOv1, MSS 1460, TCP header at 34: 34 << 20 | 1460.
  const LsoV1TxInfo v = LsoV1TxInfo::FromRaw(0x022005B4);
  EXPECT_EQ(v.mss(), 1460u);
  EXPECT_EQ(v.tcp_header_offset(), 34u);
  EXPECT_EQ(v.type(), LsoType::kV1);
  EXPECT_EQ(v.reserved2(), 0u);
  const auto made = LsoV1TxInfo::Make({.mss = 1460, .tcp_header_offset = 34});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x022005B4u);
  EXPECT_EQ(v.ToString(), "MSS=1460 TcpHeaderOffset=34 Type=NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE");
}

TEST(NdisLso, TypeTellsV1FromV2) {
  EXPECT_EQ(LsoTypeOf(0x4000058A), LsoType::kV2);
  EXPECT_EQ(LsoTypeOf(0xC360058A), LsoType::kV2);
  EXPECT_EQ(LsoTypeOf(0x022005B4), LsoType::kV1);
  EXPECT_EQ(LsoTypeOf(0xBFFFFFFF), LsoType::kV1);  // everything but bit 30
  EXPECT_EQ(LsoTypeOf(0x40000000), LsoType::kV2);
  EXPECT_FALSE(LsoRequested(0));
  EXPECT_TRUE(LsoRequested(0x022005B4));
  EXPECT_FALSE(LsoV2TxInfo::FromRaw(0x022005B4).requested());  // a V1 request
  EXPECT_FALSE(LsoV2TxInfo().requested());
  EXPECT_TRUE(LsoV2TxInfo::FromRaw(0x40000000).requested());  // V2 with MSS 0: refused later
}

TEST(NdisLso, V2Completion) {
  // Reserved = 0 and Type = V2 written over the request; bit 31 is not written.
  const LsoV2CompleteInfo ipv4 = LsoV2CompleteInfo::Completing(LsoV2TxInfo::FromRaw(0x4000058A));
  EXPECT_EQ(ipv4.raw(), 0x40000000u);
  EXPECT_EQ(ipv4.reserved(), 0u);
  EXPECT_EQ(ipv4.type(), LsoType::kV2);
  EXPECT_EQ(ipv4.reserved2(), 0u);
  const LsoV2CompleteInfo ipv6 = LsoV2CompleteInfo::Completing(LsoV2TxInfo::FromRaw(0xC360058A));
  EXPECT_EQ(ipv6.raw(), 0xC0000000u);
  EXPECT_EQ(ipv6.reserved2(), 1u);
  const auto made = LsoV2CompleteInfo::Make({});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x40000000u);
  EXPECT_EQ(made->ToString(), "Type=NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE");
}

TEST(NdisLso, V1Completion) {
  const auto done = LsoV1CompleteInfo::Completing(LsoV1TxInfo::FromRaw(0x022005B4), 64000);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->raw(), 0x0000FA00u);
  EXPECT_EQ(done->tcp_payload(), 64000u);
  EXPECT_EQ(done->type(), LsoType::kV1);
  EXPECT_TRUE(LsoV1CompleteInfo::Completing(LsoV1TxInfo(), 0x3FFFFFFF));
  EXPECT_FALSE(LsoV1CompleteInfo::Completing(LsoV1TxInfo(), 0x40000000));
  const auto kept = LsoV1CompleteInfo::Completing(LsoV1TxInfo::FromRaw(0x80000000), 1);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->raw(), 0x80000001u);  // Reserved2 untouched
  EXPECT_EQ(done->ToString(), "TcpPayload=64000 Type=NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE");
}

TEST(NdisLso, WidthLimits) {
  LsoV2TxInfo v2;
  EXPECT_TRUE(v2.set_mss(0xFFFFF));
  EXPECT_FALSE(v2.set_mss(0x100000));
  EXPECT_EQ(v2.mss(), 0xFFFFFu);
  EXPECT_TRUE(v2.set_tcp_header_offset(1023));
  EXPECT_FALSE(v2.set_tcp_header_offset(1024));
  EXPECT_EQ(v2.raw(), 0x3FFFFFFFu);
  EXPECT_FALSE(LsoV2TxInfo::Make({.mss = 0x100000}));
  EXPECT_FALSE(LsoV2TxInfo::Make({.tcp_header_offset = 1024}));

  LsoV1TxInfo v1;
  EXPECT_TRUE(v1.set_mss(0xFFFFF));
  EXPECT_FALSE(v1.set_mss(0x100000));
  EXPECT_TRUE(v1.set_tcp_header_offset(1023));
  EXPECT_FALSE(v1.set_tcp_header_offset(1024));
  EXPECT_TRUE(v1.set_reserved2(1));
  EXPECT_FALSE(v1.set_reserved2(2));
  EXPECT_EQ(v1.raw(), 0xBFFFFFFFu);
  EXPECT_FALSE(LsoV1TxInfo::Make({.reserved2 = 2}));

  LsoV2CompleteInfo c2;
  EXPECT_TRUE(c2.set_reserved(0x3FFFFFFF));
  EXPECT_FALSE(c2.set_reserved(0x40000000));
  EXPECT_FALSE(c2.set_reserved2(2));
  EXPECT_EQ(c2.raw(), 0x3FFFFFFFu);
  EXPECT_FALSE(LsoV2CompleteInfo::Make({.reserved = 0x40000000}));

  LsoV1CompleteInfo c1;
  EXPECT_TRUE(c1.set_tcp_payload(0x3FFFFFFF));
  EXPECT_FALSE(c1.set_tcp_payload(0x40000000));
  EXPECT_EQ(c1.raw(), 0x3FFFFFFFu);
  EXPECT_FALSE(LsoV1CompleteInfo::Make({.tcp_payload = 0x40000000}));
}

TEST(NdisLso, RandomRoundTrips) {
  ExpectRandomRoundTrip<LsoV2TxInfo>();
  ExpectRandomRoundTrip<LsoV1TxInfo>();
  ExpectRandomRoundTrip<LsoV2CompleteInfo>();
  ExpectRandomRoundTrip<LsoV1CompleteInfo>();
}

// ------------------------------------------------------------------------------------------
// NDIS_TCP_SEND_OFFLOADS_SUPPLEMENTAL_NET_BUFFER_LIST_INFO

const Layout kSupplementalLayout = {{"IsEncapsulatedPacket", 1},
                                    {"EncapsulatedPacketOffsetsValid", 1},
                                    {"InnerFrameOffset", 8},
                                    {"TransportIpHeaderRelativeOffset", 6},
                                    {"TcpHeaderRelativeOffset", 10},
                                    {"IsInnerIPv6", 1},
                                    {"TcpOptionsPresent", 1},
                                    {"Reserved", 4}};

Decoded DecodeSupplemental(const SendOffloadsSupplementalInfo& v) {
  return {{"IsEncapsulatedPacket", B(v.is_encapsulated_packet())},
          {"EncapsulatedPacketOffsetsValid", B(v.encapsulated_packet_offsets_valid())},
          {"InnerFrameOffset", v.inner_frame_offset()},
          {"TransportIpHeaderRelativeOffset", v.transport_ip_header_relative_offset()},
          {"TcpHeaderRelativeOffset", v.tcp_header_relative_offset()},
          {"IsInnerIPv6", B(v.is_inner_ipv6())},
          {"TcpOptionsPresent", B(v.tcp_options_present())},
          {"Reserved", v.reserved()}};
}

TEST(NdisSupplemental, Layout) {
  ExpectLayout<SendOffloadsSupplementalInfo>(kSupplementalLayout);
  ExpectEveryBitInExactlyOneMember<SendOffloadsSupplementalInfo>(kSupplementalLayout,
                                                                 DecodeSupplemental);
}

TEST(NdisSupplemental, NvgreIpv4Ipv4TcpKnownValue) {
  // Outer Ethernet 14 + outer IPv4 20 + GRE 8 = inner frame at 42; inner IPv4 14 bytes into the
  // inner frame; TCP 20 bytes after it. raw = 1 | 2 | 42 << 2 | 14 << 10 | 20 << 16.
  const SendOffloadsSupplementalInfo v = SendOffloadsSupplementalInfo::FromRaw(0x001438AB);
  EXPECT_TRUE(v.is_encapsulated_packet());
  EXPECT_TRUE(v.encapsulated_packet_offsets_valid());
  EXPECT_EQ(v.inner_frame_offset(), 42u);
  EXPECT_EQ(v.transport_ip_header_relative_offset(), 14u);
  EXPECT_EQ(v.tcp_header_relative_offset(), 20u);
  EXPECT_FALSE(v.is_inner_ipv6());
  EXPECT_FALSE(v.tcp_options_present());
  EXPECT_EQ(v.reserved(), 0u);
  EXPECT_EQ(v.inner_l3_offset(), 56u);
  EXPECT_EQ(v.inner_l4_offset(), 76u);

  const auto made = SendOffloadsSupplementalInfo::Make({.is_encapsulated_packet = true,
                                                        .encapsulated_packet_offsets_valid = true,
                                                        .inner_frame_offset = 42,
                                                        .transport_ip_header_relative_offset = 14,
                                                        .tcp_header_relative_offset = 20});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x001438ABu);

  const auto from_abs = SendOffloadsSupplementalInfo::FromAbsoluteOffsets(42, 56, 76, false, false);
  ASSERT_TRUE(from_abs);
  EXPECT_EQ(from_abs->raw(), 0x001438ABu);

  EXPECT_EQ(v.ToString(),
            "IsEncapsulatedPacket EncapsulatedPacketOffsetsValid InnerFrameOffset=42 "
            "TransportIpHeaderRelativeOffset=14 TcpHeaderRelativeOffset=20");
}

TEST(NdisSupplemental, NvgreIpv6Ipv6TcpOptionsKnownValue) {
  // Outer IPv6: 14 + 40 + 8 = 62; inner IPv6 (IsInnerIPv6) with TCP options:
  // 1 | 2 | 62 << 2 | 14 << 10 | 40 << 16 | 1 << 26 | 1 << 27.
  const SendOffloadsSupplementalInfo v = SendOffloadsSupplementalInfo::FromRaw(0x0C2838FB);
  EXPECT_TRUE(v.is_encapsulated_packet());
  EXPECT_TRUE(v.encapsulated_packet_offsets_valid());
  EXPECT_EQ(v.inner_frame_offset(), 62u);
  EXPECT_EQ(v.transport_ip_header_relative_offset(), 14u);
  EXPECT_EQ(v.tcp_header_relative_offset(), 40u);
  EXPECT_TRUE(v.is_inner_ipv6());
  EXPECT_TRUE(v.tcp_options_present());
  EXPECT_EQ(v.inner_l4_offset(), 116u);
  const auto from_abs = SendOffloadsSupplementalInfo::FromAbsoluteOffsets(62, 76, 116, true, true);
  ASSERT_TRUE(from_abs);
  EXPECT_EQ(*from_abs, v);
}

TEST(NdisSupplemental, WidthLimitsAreRefusedNotTruncated) {
  SendOffloadsSupplementalInfo v;
  EXPECT_TRUE(v.set_inner_frame_offset(255));
  EXPECT_EQ(v.raw(), 0x000003FCu);
  EXPECT_FALSE(v.set_inner_frame_offset(256));
  EXPECT_EQ(v.inner_frame_offset(), 255u);
  EXPECT_TRUE(v.set_transport_ip_header_relative_offset(63));
  EXPECT_FALSE(v.set_transport_ip_header_relative_offset(64));
  EXPECT_EQ(v.transport_ip_header_relative_offset(), 63u);
  EXPECT_TRUE(v.set_tcp_header_relative_offset(1023));
  EXPECT_FALSE(v.set_tcp_header_relative_offset(1024));
  EXPECT_EQ(v.tcp_header_relative_offset(), 1023u);
  EXPECT_TRUE(v.set_reserved(15));
  EXPECT_FALSE(v.set_reserved(16));
  EXPECT_EQ(v.raw(), 0xF3FFFFFCu);
  EXPECT_EQ(v.inner_l4_offset(), 255u + 63u + 1023u);

  EXPECT_FALSE(SendOffloadsSupplementalInfo::Make({.inner_frame_offset = 256}));
  EXPECT_FALSE(SendOffloadsSupplementalInfo::Make({.transport_ip_header_relative_offset = 64}));
  EXPECT_FALSE(SendOffloadsSupplementalInfo::Make({.tcp_header_relative_offset = 1024}));
  EXPECT_FALSE(SendOffloadsSupplementalInfo::Make({.reserved = 16}));
  EXPECT_TRUE(SendOffloadsSupplementalInfo::Make(
      {.inner_frame_offset = 255, .transport_ip_header_relative_offset = 63,
       .tcp_header_relative_offset = 1023, .reserved = 15}));
}

TEST(NdisSupplemental, FromAbsoluteOffsetsRefusals) {
  using S = SendOffloadsSupplementalInfo;
  EXPECT_FALSE(S::FromAbsoluteOffsets(256, 270, 290, false, false));  // inner frame past 255
  EXPECT_FALSE(S::FromAbsoluteOffsets(42, 106, 126, false, false));   // 64 to the inner IP
  EXPECT_FALSE(S::FromAbsoluteOffsets(42, 56, 56 + 1024, true, false));
  EXPECT_FALSE(S::FromAbsoluteOffsets(42, 40, 60, false, false));     // inner IP before frame
  EXPECT_FALSE(S::FromAbsoluteOffsets(42, 56, 50, false, false));     // L4 before inner IP
  EXPECT_TRUE(S::FromAbsoluteOffsets(255, 255 + 63, 255 + 63 + 1023, true, false));
}

TEST(NdisSupplemental, RandomRoundTrip) { ExpectRandomRoundTrip<SendOffloadsSupplementalInfo>(); }

// ------------------------------------------------------------------------------------------
// NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO.Transmit

const Layout kUsoLayout = {{"MSS", 20}, {"UdpHeaderOffset", 10}, {"Reserved", 1}, {"IPVersion", 1}};

Decoded DecodeUso(const UdpSegmentationTxInfo& v) {
  return {{"MSS", v.mss()},
          {"UdpHeaderOffset", v.udp_header_offset()},
          {"Reserved", v.reserved()},
          {"IPVersion", B(v.ip_version() == OffloadIpVersion::kIpv6)}};
}

TEST(NdisUso, Layout) {
  ExpectLayout<UdpSegmentationTxInfo>(kUsoLayout);
  ExpectEveryBitInExactlyOneMember<UdpSegmentationTxInfo>(kUsoLayout, DecodeUso);
  EXPECT_EQ(kNdisUdpSegmentationOffloadIpv4, 0u);
  EXPECT_EQ(kNdisUdpSegmentationOffloadIpv6, 1u);
}

TEST(NdisUso, KnownValues) {
  // Plain IPv6 USO: MSS 1232, UDP header at 14 + 40 = 54: 1 << 31 | 54 << 20 | 1232.
  const UdpSegmentationTxInfo v = UdpSegmentationTxInfo::FromRaw(0x836004D0);
  EXPECT_EQ(v.mss(), 1232u);
  EXPECT_EQ(v.udp_header_offset(), 54u);
  EXPECT_EQ(v.reserved(), 0u);
  EXPECT_EQ(v.ip_version(), OffloadIpVersion::kIpv6);
  EXPECT_TRUE(v.requested());
  const auto made = UdpSegmentationTxInfo::Make(
      {.mss = 1232, .udp_header_offset = 54, .ip_version = OffloadIpVersion::kIpv6});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x836004D0u);
  EXPECT_EQ(v.ToString(),
            "MSS=1232 UdpHeaderOffset=54 IPVersion=NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6");

  // NVGRE over IPv4, inner UDP/IPv4: MSS 1500 - 20 - 8 - 14 - 20 - 8 = 1430; the legacy
  // UdpHeaderOffset (76 = 42 + 14 + 20) is what the stack may leave there; the engine ignores it.
  const UdpSegmentationTxInfo n = UdpSegmentationTxInfo::FromRaw(0x04C00596);
  EXPECT_EQ(n.mss(), 1430u);
  EXPECT_EQ(n.udp_header_offset(), 76u);
  EXPECT_EQ(n.ip_version(), OffloadIpVersion::kIpv4);
  EXPECT_FALSE(UdpSegmentationTxInfo().requested());
}

TEST(NdisUso, WidthLimitsAndRandomRoundTrip) {
  UdpSegmentationTxInfo v;
  EXPECT_TRUE(v.set_mss(0xFFFFF));
  EXPECT_FALSE(v.set_mss(0x100000));
  EXPECT_TRUE(v.set_udp_header_offset(1023));
  EXPECT_FALSE(v.set_udp_header_offset(1024));
  EXPECT_TRUE(v.set_reserved(1));
  EXPECT_FALSE(v.set_reserved(2));
  EXPECT_EQ(v.raw(), 0x7FFFFFFFu);
  EXPECT_FALSE(UdpSegmentationTxInfo::Make({.mss = 0x100000}));
  EXPECT_FALSE(UdpSegmentationTxInfo::Make({.udp_header_offset = 1024}));
  EXPECT_FALSE(UdpSegmentationTxInfo::Make({.reserved = 2}));
  ExpectRandomRoundTrip<UdpSegmentationTxInfo>();
}

// ------------------------------------------------------------------------------------------
// RSS hash information

const Layout kHashLayout = {{"HashFunction", 8}, {"HashType", 16}, {"Reserved", 8}};

Decoded DecodeHash(const HashInfo& v) {
  return {{"HashFunction", v.function()}, {"HashType", v.type() >> 8}, {"Reserved", v.reserved()}};
}

TEST(NdisHash, LayoutAndMasks) {
  ExpectLayout<HashInfo>(kHashLayout);
  ExpectEveryBitInExactlyOneMember<HashInfo>(kHashLayout, DecodeHash);
  EXPECT_EQ(kNdisHashFunctionMask, 0x000000FFu);
  EXPECT_EQ(kNdisHashTypeMask, 0x00FFFF00u);
  EXPECT_EQ(kNdisHashFunctionToeplitz, 0x1u);
}

TEST(NdisHash, ConstantsMatchSpec) {
  EXPECT_EQ(kNdisHashIpv4, 0x100u);
  EXPECT_EQ(kNdisHashTcpIpv4, 0x200u);
  EXPECT_EQ(kNdisHashIpv6, 0x400u);
  EXPECT_EQ(kNdisHashIpv6Ex, 0x800u);
  EXPECT_EQ(kNdisHashTcpIpv6, 0x1000u);
  EXPECT_EQ(kNdisHashTcpIpv6Ex, 0x2000u);
  EXPECT_EQ(kNdisHashUdpIpv4, 0x4000u);
  EXPECT_EQ(kNdisHashUdpIpv6, 0x8000u);
  EXPECT_EQ(kNdisHashUdpIpv6Ex, 0x10000u);
}

TEST(NdisHash, KnownValue) {
  const HashInfo v = HashInfo::FromRaw(0x00000201);
  EXPECT_EQ(v.type(), kNdisHashTcpIpv4);
  EXPECT_EQ(v.function(), kNdisHashFunctionToeplitz);
  EXPECT_EQ(v.reserved(), 0u);
  const auto made = HashInfo::Make({.type = kNdisHashTcpIpv4, .function = kNdisHashFunctionToeplitz});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x00000201u);
  EXPECT_EQ(v.ToString(), "NDIS_HASH_TCP_IPV4 NdisHashFunctionToeplitz");
  EXPECT_EQ(HashInfo().ToString(), "none");
  EXPECT_EQ(HashInfo::FromRaw(0xAB010001).ToString(),
            "NDIS_HASH_UDP_IPV6_EX NdisHashFunctionToeplitz Reserved=0xab");
  EXPECT_EQ(HashInfo::FromRaw(0x00008010).ToString(), "NDIS_HASH_UDP_IPV6 HashFunction=0x10");
}

TEST(NdisHash, WidthLimits) {
  HashInfo v;
  EXPECT_TRUE(v.set_type(0x00FFFF00));
  EXPECT_FALSE(v.set_type(0x01000000));  // outside NDIS_HASH_TYPE_MASK
  EXPECT_FALSE(v.set_type(0x00000001));
  EXPECT_EQ(v.type(), 0x00FFFF00u);
  EXPECT_TRUE(v.set_function(0xFF));
  EXPECT_FALSE(v.set_function(0x100));
  EXPECT_EQ(v.raw(), 0x00FFFFFFu);
  EXPECT_FALSE(HashInfo::Make({.type = 0x1}));
  EXPECT_FALSE(HashInfo::Make({.function = 0x100}));
  EXPECT_FALSE(HashInfo::Make({.reserved = 0x100}));
  ExpectRandomRoundTrip<HashInfo>();
}

TEST(NdisHash, NameTablesCompleteAndUnique) {
  std::set<std::string_view> names;
  std::uint32_t all = 0;
  for (const NamedValue& n : kNdisHashTypeNames) {
    EXPECT_TRUE(names.insert(n.name).second) << n.name;
    EXPECT_EQ(n.value & (n.value - 1), 0u) << n.name;  // one bit each
    EXPECT_EQ(all & n.value, 0u) << n.name;            // distinct
    all |= n.value;
    EXPECT_EQ(HashTypeName(n.value), n.name);
    EXPECT_EQ(ParseHashTypeName(n.name), n.value);
  }
  EXPECT_EQ(names.size(), 9u);
  EXPECT_EQ(all, kNdisHashAllTypes);
  EXPECT_EQ(all, 0x0001FF00u);
  EXPECT_EQ(HashTypeName(0x300), "");  // not a single flag
  EXPECT_EQ(HashTypeName(0x20000), "");

  std::set<std::string_view> fnames;
  for (const NamedValue& n : kNdisHashFunctionNames) {
    EXPECT_TRUE(fnames.insert(n.name).second);
    EXPECT_EQ(HashFunctionName(n.value), n.name);
    EXPECT_EQ(ParseHashFunctionName(n.name), n.value);
  }
  EXPECT_EQ(HashFunctionName(0x10), "");
  EXPECT_EQ(ParseHashFunctionName("ndishashfunctiontoeplitz"), 0x1u);
  EXPECT_FALSE(ParseHashFunctionName("Toeplitz"));
}

TEST(NdisHash, ParsesNames) {
  EXPECT_EQ(ParseHashTypeName("NDIS_HASH_TCP_IPV4"), kNdisHashTcpIpv4);
  EXPECT_EQ(ParseHashTypeName("TCP_IPV4"), kNdisHashTcpIpv4);
  EXPECT_EQ(ParseHashTypeName("ndis_hash_udp_ipv6_ex"), kNdisHashUdpIpv6Ex);
  EXPECT_EQ(ParseHashTypeName("ipv6_ex"), kNdisHashIpv6Ex);
  EXPECT_FALSE(ParseHashTypeName("TCP_IPV5"));
  EXPECT_FALSE(ParseHashTypeName("NDIS_HASH_"));
  EXPECT_FALSE(ParseHashTypeName(""));

  EXPECT_EQ(ParseHashTypeList("TCP_IPV4, IPV4|ndis_hash_udp_ipv6"),
            kNdisHashTcpIpv4 | kNdisHashIpv4 | kNdisHashUdpIpv6);
  EXPECT_EQ(ParseHashTypeList("IPV4"), kNdisHashIpv4);
  std::string_view bad = "unset";
  EXPECT_FALSE(ParseHashTypeList("IPV4,TCP_IPV5,UDP_IPV4", &bad));
  EXPECT_EQ(bad, "TCP_IPV5");
  EXPECT_FALSE(ParseHashTypeList("", &bad));
  EXPECT_EQ(bad, "");
  EXPECT_FALSE(ParseHashTypeList(" , "));

  EXPECT_EQ(HashTypesToString(0x300), "NDIS_HASH_IPV4|NDIS_HASH_TCP_IPV4");
  EXPECT_EQ(HashTypesToString(0x00100200), "NDIS_HASH_TCP_IPV4|0x100000");
  EXPECT_EQ(HashTypesToString(0), "none");
  EXPECT_EQ(ParseHashTypeList(HashTypesToString(kNdisHashAllTypes)), kNdisHashAllTypes);
}

// ------------------------------------------------------------------------------------------
// NDIS_NET_BUFFER_LIST_FILTERING_INFO and NDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO

const Layout kFilteringLayout = {{"FilterId", 16}, {"QueueId", 16}};
const Layout kVirtualSubnetLayout = {{"VirtualSubnetId", 24}, {"ReservedVsidBits", 8}};

TEST(NdisFilteringInfo, LayoutKnownValueRoundTrip) {
  ExpectLayout<FilteringInfo>(kFilteringLayout);
  ExpectEveryBitInExactlyOneMember<FilteringInfo>(kFilteringLayout, [](const FilteringInfo& v) {
    return Decoded{{"FilterId", v.filter_id()}, {"QueueId", v.queue_id()}};
  });
  // VMQ queue 3, FilterId 0 (NDIS 6.20+).
  const FilteringInfo v = FilteringInfo::FromRaw(0x00030000);
  EXPECT_EQ(v.filter_id(), 0u);
  EXPECT_EQ(v.queue_id(), 3u);
  EXPECT_EQ(v.vport_id(), 3u);
  EXPECT_EQ(FilteringInfo::Make({.queue_id = 3}).raw(), 0x00030000u);
  EXPECT_EQ(FilteringInfo::Make({.filter_id = 0xFFFF, .queue_id = 0xFFFF}).raw(), 0xFFFFFFFFu);
  EXPECT_EQ(v.ToString(), "QueueId=3");
  ExpectRandomRoundTrip<FilteringInfo>();
}

TEST(NdisVirtualSubnetInfo, LayoutKnownValueWidthRoundTrip) {
  ExpectLayout<VirtualSubnetInfo>(kVirtualSubnetLayout);
  ExpectEveryBitInExactlyOneMember<VirtualSubnetInfo>(
      kVirtualSubnetLayout, [](const VirtualSubnetInfo& v) {
        return Decoded{{"VirtualSubnetId", v.virtual_subnet_id()},
                       {"ReservedVsidBits", v.reserved_vsid_bits()}};
      });
  const VirtualSubnetInfo v = VirtualSubnetInfo::FromRaw(0x00123456);
  EXPECT_EQ(v.virtual_subnet_id(), 0x123456u);
  EXPECT_EQ(v.reserved_vsid_bits(), 0u);
  EXPECT_EQ(v.ToString(), "VirtualSubnetId=1193046");
  const auto made = VirtualSubnetInfo::Make({.virtual_subnet_id = 0x123456});
  ASSERT_TRUE(made);
  EXPECT_EQ(made->raw(), 0x00123456u);

  VirtualSubnetInfo w;
  EXPECT_TRUE(w.set_virtual_subnet_id(0xFFFFFF));
  EXPECT_FALSE(w.set_virtual_subnet_id(0x1000000));
  EXPECT_EQ(w.raw(), 0x00FFFFFFu);
  EXPECT_TRUE(w.set_reserved_vsid_bits(0xAB));
  EXPECT_FALSE(w.set_reserved_vsid_bits(0x100));
  EXPECT_EQ(w.raw(), 0xABFFFFFFu);
  EXPECT_FALSE(VirtualSubnetInfo::Make({.virtual_subnet_id = 0x1000000}));
  ExpectRandomRoundTrip<VirtualSubnetInfo>();
}

// ------------------------------------------------------------------------------------------
// Shared behaviour

TEST(NdisOob, ConstexprAndNoAllocationOnThePacketPath) {
  static_assert(SendOffloadsSupplementalInfo::FromRaw(0x001438AB).inner_l4_offset() == 76);
  static_assert(LsoV2TxInfo::Make({.mss = 1418})->raw() == 0x4000058A);
  static_assert(LsoV2CompleteInfo::Completing(LsoV2TxInfo::FromRaw(0xC360058A)).raw() ==
                0xC0000000);
  static_assert(!SendOffloadsSupplementalInfo::Make({.inner_frame_offset = 256}).has_value());
  static_assert(ChecksumRxInfo::FromRaw(0x28).ip_checksum_succeeded());
  static_assert(HashInfo::FromRaw(0x201).type() == kNdisHashTcpIpv4);
  SUCCEED();
}

TEST(NdisOob, LayoutNamesAreUniquePerType) {
  auto unique = [](auto layout) {
    std::set<std::string_view> names;
    for (const FieldSpec& f : layout) names.insert(f.name);
    return names.size() == layout.size();
  };
  EXPECT_TRUE(unique(ChecksumTxInfo::kLayout));
  EXPECT_TRUE(unique(ChecksumRxInfo::kLayout));
  EXPECT_TRUE(unique(LsoV2TxInfo::kLayout));
  EXPECT_TRUE(unique(LsoV1TxInfo::kLayout));
  EXPECT_TRUE(unique(LsoV2CompleteInfo::kLayout));
  EXPECT_TRUE(unique(LsoV1CompleteInfo::kLayout));
  EXPECT_TRUE(unique(SendOffloadsSupplementalInfo::kLayout));
  EXPECT_TRUE(unique(UdpSegmentationTxInfo::kLayout));
  EXPECT_TRUE(unique(HashInfo::kLayout));
  EXPECT_TRUE(unique(FilteringInfo::kLayout));
  EXPECT_TRUE(unique(VirtualSubnetInfo::kLayout));
}

TEST(NdisOob, LayoutPartitionCheckRejectsGapsAndOverlaps) {
  constexpr std::array<FieldSpec, 2> gap{{{"A", {0, 8}}, {"B", {9, 23}}}};
  constexpr std::array<FieldSpec, 2> overlap{{{"A", {0, 8}}, {"B", {7, 25}}}};
  constexpr std::array<FieldSpec, 2> short_of_32{{{"A", {0, 8}}, {"B", {8, 8}}}};
  constexpr std::array<FieldSpec, 2> exact{{{"A", {0, 8}}, {"B", {8, 24}}}};
  static_assert(!LayoutIsPartition(gap));
  static_assert(!LayoutIsPartition(overlap));
  static_assert(!LayoutIsPartition(short_of_32));
  static_assert(LayoutIsPartition(exact));
  SUCCEED();
}

TEST(NdisOob, StreamsToString) {
  std::ostringstream os;
  os << SendOffloadsSupplementalInfo::FromRaw(0x3) << " / " << HashInfo::FromRaw(0x401);
  EXPECT_EQ(os.str(),
            "IsEncapsulatedPacket EncapsulatedPacketOffsetsValid / NDIS_HASH_IPV6 "
            "NdisHashFunctionToeplitz");
}

TEST(NdisOob, DistinctViewsOfOneSlotShareTheRawValue) {
  // One TcpIpChecksumNetBufferListInfo value read through both views: 0x28 is
  // IpChecksumSucceeded|TcpChecksumSucceeded on receive and UdpChecksum|(bit 5 Reserved) on send.
  const std::uint32_t raw = 0x28;
  EXPECT_TRUE(ChecksumRxInfo::FromRaw(raw).ip_checksum_succeeded());
  const ChecksumTxInfo tx = ChecksumTxInfo::FromRaw(raw);
  EXPECT_TRUE(tx.udp_checksum());
  EXPECT_EQ(tx.reserved(), 1u);
  EXPECT_EQ(tx.raw(), raw);
}

}  // namespace
}  // namespace nvgre::offload
