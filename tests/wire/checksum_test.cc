#include "nvgre/wire/checksum.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace nvgre::wire {
namespace {

// RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (checksum 0x220d).
// Also in ../shared/testdata/checksum_vectors.txt.
TEST(Checksum, Rfc1071Section3Example) {
  const std::array<std::uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(OnesSumReference(data), 0xddf2);
  EXPECT_EQ(OnesSum(data), 0xddf2);
  EXPECT_EQ(Checksum(data), 0x220d);
}

// The textbook IPv4 header 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
TEST(Checksum, Ipv4HeaderExample) {
  std::array<std::uint8_t, 20> h{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(Checksum(h), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  EXPECT_TRUE(ChecksumVerifies(h));
  h[19] ^= 1;
  EXPECT_FALSE(ChecksumVerifies(h));
}

TEST(Checksum, EmptyAndOddLengths) {
  EXPECT_EQ(OnesSum({}), 0);
  EXPECT_EQ(OnesSum({}, 0x1234), 0x1234);
  const std::array<std::uint8_t, 1> one{0xab};
  EXPECT_EQ(OnesSum(one), 0xab00);  // odd byte padded with a zero low byte
  const std::array<std::uint8_t, 3> three{0x01, 0x02, 0x03};
  EXPECT_EQ(OnesSum(three), 0x0102 + 0x0300);
}

TEST(Checksum, EndAroundCarry) {
  const std::array<std::uint8_t, 4> data{0xff, 0xff, 0x00, 0x01};
  EXPECT_EQ(OnesSum(data), 0x0001);  // 0xffff + 0x0001 = 0x10000 -> 0x0001
  EXPECT_EQ(OnesAdd(0xffff, 0x0001), 0x0001);
  EXPECT_EQ(OnesAdd(0x8000, 0x8000), 0x0001);
  EXPECT_EQ(OnesSub(0x1234, 0x1234), 0xffff);  // -0 in one's complement
}

// Differential: the fast sum equals the reference at every length 0..4096 and every
// alignment 0..7 of the start, on random bytes and on all-0xFF (maximum carries).
TEST(Checksum, FastMatchesReferenceEveryLengthAndAlignment) {
  std::mt19937 rng(1071);
  std::vector<std::uint8_t> random(4096 + 8), ones(4096 + 8, 0xff);
  for (auto& b : random) b = static_cast<std::uint8_t>(rng());
  for (std::size_t align = 0; align < 8; ++align) {
    for (std::size_t len = 0; len <= 4096; ++len) {
      std::span<const std::uint8_t> r(random.data() + align, len);
      std::span<const std::uint8_t> o(ones.data() + align, len);
      const auto initial = static_cast<std::uint16_t>(len * 7919);
      ASSERT_EQ(OnesSum(r, initial), OnesSumReference(r, initial)) << "len " << len << " align " << align;
      ASSERT_EQ(OnesSum(o), OnesSumReference(o)) << "len " << len << " align " << align;
    }
  }
}

// Sums of parts combine: even-offset parts add directly, odd-offset parts are byte-swapped.
TEST(Checksum, PartsCombine) {
  std::mt19937 rng(2);
  std::vector<std::uint8_t> d(1000);
  for (auto& b : d) b = static_cast<std::uint8_t>(rng());
  const std::uint16_t whole = OnesSum(d);
  for (std::size_t cut = 0; cut <= d.size(); ++cut) {
    std::span<const std::uint8_t> all(d);
    std::uint16_t tail = OnesSum(all.subspan(cut));
    if (cut % 2) tail = SwapSum(tail);
    ASSERT_EQ(OnesAdd(OnesSum(all.first(cut)), tail), whole) << cut;
  }
}

// dpdk_test_cksum.pcap frame 1 (IPv4/TCP): the pseudo-header + segment verifies.
TEST(Checksum, PseudoHeaderV4) {
  const std::array<std::uint8_t, 4> src{10, 0, 0, 1}, dst{10, 0, 0, 2};
  // src 0x0a00+0x0001, dst 0x0a00+0x0002, proto 6, length 20 -> 0x1400+3+6+20
  EXPECT_EQ(PseudoHeaderSumV4(src, dst, 6, 20), 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20);
  std::array<std::uint8_t, 16> s6{}, d6{};
  s6[15] = 1;
  d6[15] = 2;
  EXPECT_EQ(PseudoHeaderSumV6(s6, d6, 17, 0x10008), 1 + 2 + 17 + 1 + 8);
}

}  // namespace
}  // namespace nvgre::wire
