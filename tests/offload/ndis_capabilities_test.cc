// NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD (spec §7.2): layout of the first ULONG, the INNER/OUTER
// version rule, the 8-byte little-endian image and the names.
#include "nvgre/offload/ndis_capabilities.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace nvgre::offload {
namespace {

using Caps = EncapsulatedPacketTaskOffload;

constexpr std::array<EncapOffload, 6> kAll = {EncapOffload::kTransmitChecksum,
                                              EncapOffload::kReceiveChecksum,
                                              EncapOffload::kLsoV2,
                                              EncapOffload::kRss,
                                              EncapOffload::kVmq,
                                              EncapOffload::kUso};

TEST(NdisCapabilities, Constants) {
  EXPECT_EQ(kEncapNotSupported, 0x0u);
  EXPECT_EQ(kEncapInnerIpv4, 0x1u);
  EXPECT_EQ(kEncapOuterIpv4, 0x2u);
  EXPECT_EQ(kEncapInnerIpv6, 0x4u);
  EXPECT_EQ(kEncapOuterIpv6, 0x8u);
  EXPECT_EQ(Caps::kDefaultMaxHeaderSizeSupported, 256u);
  EXPECT_EQ(Caps::kSize, 8u);
}

TEST(NdisCapabilities, Layout) {
  const std::vector<std::pair<std::string_view, unsigned>> expected = {
      {"TransmitChecksumOffloadSupported", 4}, {"ReceiveChecksumOffloadSupported", 4},
      {"LsoV2Supported", 4},                   {"RssSupported", 4},
      {"VmqSupported", 4},                     {"UsoSupported", 4},
      {"Reserved", 8}};
  ASSERT_EQ(Caps::kLayout.size(), expected.size());
  unsigned shift = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(Caps::kLayout[i].name, expected[i].first);
    EXPECT_EQ(Caps::kLayout[i].bits.shift, shift);
    EXPECT_EQ(Caps::kLayout[i].bits.width, expected[i].second);
    shift += expected[i].second;
  }
  EXPECT_EQ(shift, 32u);
}

TEST(NdisCapabilities, EveryBitBelongsToExactlyOneMember) {
  for (unsigned bit = 0; bit < 32; ++bit) {
    const Caps c = Caps::FromRaw(std::uint32_t{1} << bit);
    EXPECT_EQ(c.raw(), std::uint32_t{1} << bit);
    const std::vector<std::uint32_t> members = {
        c.transmit_checksum_offload_supported(), c.receive_checksum_offload_supported(),
        c.lso_v2_supported(), c.rss_supported(), c.vmq_supported(), c.uso_supported(),
        c.reserved()};
    int nonzero = 0;
    for (std::size_t m = 0; m < members.size(); ++m) {
      if (members[m] == 0) continue;
      ++nonzero;
      EXPECT_EQ(m, std::min<std::size_t>(bit / 4, 6)) << "bit " << bit;
      const unsigned start = bit < 24 ? bit / 4 * 4 : 24;
      EXPECT_EQ(members[m], std::uint32_t{1} << (bit - start)) << "bit " << bit;
    }
    EXPECT_EQ(nonzero, 1) << "bit " << bit;
  }
}

TEST(NdisCapabilities, MicrosoftExampleOuterIpv6Only) {
  // "An adapter that supports IPv6 only as the outer header": INNER_IPV4|OUTER_IPV4|OUTER_IPV6.
  const std::optional<Caps> c = Caps::Uniform(kEncapInnerIpv4 | kEncapOuterIpv4 | kEncapOuterIpv6);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->raw(), 0x00BBBBBBu);
  EXPECT_EQ(c->max_header_size_supported(), 256u);
  for (EncapOffload o : kAll) {
    EXPECT_EQ(c->mask(o), 0xBu);
    EXPECT_TRUE(c->Allows(o, /*outer_ipv6=*/true, /*inner_ipv6=*/false));
    EXPECT_TRUE(c->Allows(o, /*outer_ipv6=*/false, /*inner_ipv6=*/false));
    EXPECT_FALSE(c->Allows(o, /*outer_ipv6=*/false, /*inner_ipv6=*/true));
    EXPECT_FALSE(c->Allows(o, /*outer_ipv6=*/true, /*inner_ipv6=*/true));
  }
  EXPECT_EQ(c->ToString(),
            "TransmitChecksumOffloadSupported=INNER_IPV4|OUTER_IPV4|OUTER_IPV6 "
            "ReceiveChecksumOffloadSupported=INNER_IPV4|OUTER_IPV4|OUTER_IPV6 "
            "LsoV2Supported=INNER_IPV4|OUTER_IPV4|OUTER_IPV6 "
            "RssSupported=INNER_IPV4|OUTER_IPV4|OUTER_IPV6 "
            "VmqSupported=INNER_IPV4|OUTER_IPV4|OUTER_IPV6 "
            "UsoSupported=INNER_IPV4|OUTER_IPV4|OUTER_IPV6 MaxHeaderSizeSupported=256");
}

TEST(NdisCapabilities, AllowsNeedsBothTheOuterAndTheInnerBit) {
  // {mask, (outer4,inner4), (outer4,inner6), (outer6,inner4), (outer6,inner6)}
  struct Case {
    std::uint32_t mask;
    bool v44, v46, v64, v66;
  };
  const Case cases[] = {
      {0x0, false, false, false, false}, {0x1, false, false, false, false},
      {0x2, false, false, false, false}, {0x3, true, false, false, false},
      {0x5, false, false, false, false}, {0x6, false, true, false, false},
      {0x9, false, false, true, false},  {0xA, false, false, false, false},
      {0xB, true, false, true, false},   {0xC, false, false, false, true},
      {0x7, true, true, false, false},   {0xD, false, false, true, true},
      {0xE, false, true, false, true},   {0xF, true, true, true, true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EncapAllows(c.mask, false, false), c.v44) << c.mask;
    EXPECT_EQ(EncapAllows(c.mask, false, true), c.v46) << c.mask;
    EXPECT_EQ(EncapAllows(c.mask, true, false), c.v64) << c.mask;
    EXPECT_EQ(EncapAllows(c.mask, true, true), c.v66) << c.mask;
  }
}

TEST(NdisCapabilities, PerOffloadMasksAreIndependent) {
  Caps c;
  EXPECT_EQ(c.raw(), 0u);
  EXPECT_EQ(c.max_header_size_supported(), 256u);
  EXPECT_TRUE(c.set_mask(EncapOffload::kLsoV2, 0x3));
  EXPECT_TRUE(c.set_mask(EncapOffload::kUso, 0xF));
  EXPECT_EQ(c.raw(), 0x00F00300u);
  EXPECT_TRUE(c.Allows(EncapOffload::kLsoV2, false, false));
  EXPECT_FALSE(c.Allows(EncapOffload::kLsoV2, true, false));
  EXPECT_FALSE(c.Allows(EncapOffload::kTransmitChecksum, false, false));
  EXPECT_TRUE(c.Allows(EncapOffload::kUso, true, true));
  EXPECT_FALSE(c.set_mask(EncapOffload::kRss, 0x10));  // does not fit 4 bits
  EXPECT_EQ(c.raw(), 0x00F00300u);
  EXPECT_FALSE(Caps::Uniform(0x10));
}

TEST(NdisCapabilities, BytesAreLittleEndianUlongs) {
  const Caps c = *Caps::Uniform(0xB);
  const std::array<std::uint8_t, 8> expected = {0xBB, 0xBB, 0xBB, 0x00, 0x00, 0x01, 0x00, 0x00};
  EXPECT_EQ(c.ToBytes(), expected);
  EXPECT_EQ(Caps::FromBytes(expected), c);

  const std::array<std::uint8_t, 8> odd = {0x21, 0x43, 0x65, 0x87, 0xB4, 0x00, 0x00, 0x00};
  const Caps d = Caps::FromBytes(odd);
  EXPECT_EQ(d.raw(), 0x87654321u);
  EXPECT_EQ(d.transmit_checksum_offload_supported(), 0x1u);
  EXPECT_EQ(d.receive_checksum_offload_supported(), 0x2u);
  EXPECT_EQ(d.lso_v2_supported(), 0x3u);
  EXPECT_EQ(d.rss_supported(), 0x4u);
  EXPECT_EQ(d.vmq_supported(), 0x5u);
  EXPECT_EQ(d.uso_supported(), 0x6u);
  EXPECT_EQ(d.reserved(), 0x87u);  // preserved
  EXPECT_EQ(d.max_header_size_supported(), 180u);
  EXPECT_EQ(d.ToBytes(), odd);
  EXPECT_NE(d.ToString().find(" Reserved=0x87 MaxHeaderSizeSupported=180"), std::string::npos);
}

TEST(NdisCapabilities, RandomRoundTrips) {
  std::mt19937 rng(7637u);
  for (int i = 0; i < 5000; ++i) {
    const auto raw = static_cast<std::uint32_t>(rng());
    const auto max = static_cast<std::uint32_t>(rng());
    const Caps c = Caps::FromRaw(raw, max);
    ASSERT_EQ(c.raw(), raw);
    ASSERT_EQ(c.max_header_size_supported(), max);
    ASSERT_EQ(Caps::FromBytes(c.ToBytes()), c);
  }
}

TEST(NdisCapabilities, MaskNames) {
  std::set<std::string_view> names;
  std::uint32_t all = 0;
  for (const NamedValue& n : kEncapMaskNames) {
    EXPECT_TRUE(names.insert(n.name).second);
    EXPECT_EQ(all & n.value, 0u);
    all |= n.value;
    EXPECT_EQ(ParseEncapMask(n.name), n.value);
  }
  EXPECT_EQ(all, 0xFu);
  EXPECT_EQ(EncapMaskToString(0xB), "INNER_IPV4|OUTER_IPV4|OUTER_IPV6");
  EXPECT_EQ(EncapMaskToString(0x0), "NOT_SUPPORTED");
  EXPECT_EQ(EncapMaskToString(0x14), "INNER_IPV6|0x10");
  for (std::uint32_t m = 0; m <= 0xF; ++m) EXPECT_EQ(ParseEncapMask(EncapMaskToString(m)), m);
  EXPECT_EQ(ParseEncapMask("inner_ipv4, outer_ipv6"), 0x9u);
  EXPECT_EQ(ParseEncapMask("NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_NOT_SUPPORTED"), 0x0u);
  EXPECT_EQ(ParseEncapMask("0"), 0x0u);
  EXPECT_FALSE(ParseEncapMask("INNER_IPV4|BOGUS"));
  EXPECT_FALSE(ParseEncapMask(""));
  EXPECT_FALSE(ParseEncapMask("INNER_IPV4|NOT_SUPPORTED"));
}

TEST(NdisCapabilities, Streams) {
  std::ostringstream os;
  os << Caps::FromRaw(0, 128);
  EXPECT_EQ(os.str(),
            "TransmitChecksumOffloadSupported=NOT_SUPPORTED "
            "ReceiveChecksumOffloadSupported=NOT_SUPPORTED LsoV2Supported=NOT_SUPPORTED "
            "RssSupported=NOT_SUPPORTED VmqSupported=NOT_SUPPORTED UsoSupported=NOT_SUPPORTED "
            "MaxHeaderSizeSupported=128");
}

}  // namespace
}  // namespace nvgre::offload
