// PacketBuffer: headroom/tailroom bookkeeping, prepend/pull without moving the payload, moves.
#include "nvgre/virt/packet_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

namespace nvgre::virt {
namespace {

std::vector<std::uint8_t> Iota(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  std::iota(v.begin(), v.end(), std::uint8_t{1});
  return v;
}

TEST(PacketBuffer, StartsEmptyWithDefaultHeadroom) {
  PacketBuffer p(1000);
  EXPECT_EQ(p.storage_size(), 1128u);
  EXPECT_EQ(p.headroom(), PacketBuffer::kDefaultHeadroom);
  EXPECT_EQ(p.headroom(), 128u);
  EXPECT_EQ(p.tailroom(), 1000u);
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.data().size(), 0u);
}

TEST(PacketBuffer, AssignCopiesAfterTheHeadroom) {
  PacketBuffer p(100);
  const auto bytes = Iota(60);
  ASSERT_TRUE(p.Assign(bytes));
  EXPECT_EQ(p.size(), 60u);
  EXPECT_EQ(p.headroom(), 128u);
  EXPECT_EQ(p.tailroom(), 40u);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), p.data().begin(), p.data().end()));
  // Another headroom, and a packet that does not fit (buffer left as it was).
  ASSERT_TRUE(p.Assign(bytes, 10));
  EXPECT_EQ(p.headroom(), 10u);
  EXPECT_EQ(p.tailroom(), 228u - 70u);
  EXPECT_FALSE(p.Assign(Iota(219), 10));
  EXPECT_FALSE(p.Assign(bytes, 229));
  EXPECT_EQ(p.headroom(), 10u);
  EXPECT_EQ(p.size(), 60u);
  EXPECT_TRUE(p.Assign(Iota(218), 10));  // exactly full
  EXPECT_EQ(p.tailroom(), 0u);
}

TEST(PacketBuffer, PrependAndPullMoveOnlyTheStart) {
  PacketBuffer p(100);
  ASSERT_TRUE(p.Assign(Iota(50)));
  const std::uint8_t* payload = p.data().data();
  auto hdr = p.Prepend(42);
  ASSERT_EQ(hdr.size(), 42u);
  std::fill(hdr.begin(), hdr.end(), 0xEE);
  EXPECT_EQ(p.size(), 92u);
  EXPECT_EQ(p.headroom(), 86u);
  EXPECT_EQ(p.data().data() + 42, payload);  // the payload did not move
  EXPECT_EQ(p.data()[41], 0xEE);
  EXPECT_EQ(p.data()[42], 1);
  p.Pull(42);
  EXPECT_EQ(p.data().data(), payload);
  EXPECT_EQ(p.size(), 50u);
  EXPECT_EQ(p.headroom(), 128u);
}

TEST(PacketBuffer, AppendTrimClear) {
  PacketBuffer p(16, 4);
  ASSERT_TRUE(p.Assign(Iota(8), 4));
  auto tail = p.Append(8);
  std::fill(tail.begin(), tail.end(), 0x77);
  EXPECT_EQ(p.size(), 16u);
  EXPECT_EQ(p.tailroom(), 0u);
  EXPECT_EQ(p.data()[15], 0x77);
  p.Trim(5);
  EXPECT_EQ(p.size(), 5u);
  EXPECT_EQ(p.tailroom(), 11u);
  p.Clear(2);
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.headroom(), 2u);
}

TEST(PacketBuffer, MoveLeavesTheSourceEmpty) {
  PacketBuffer a(64);
  ASSERT_TRUE(a.Assign(Iota(10)));
  const std::uint8_t* bytes = a.data().data();
  PacketBuffer b(std::move(a));
  EXPECT_EQ(b.data().data(), bytes);
  EXPECT_EQ(b.size(), 10u);
  EXPECT_EQ(a.size(), 0u);          // NOLINT(bugprone-use-after-move): documented state
  EXPECT_EQ(a.storage_size(), 0u);  // NOLINT
  EXPECT_EQ(a.headroom(), 0u);      // NOLINT
  EXPECT_EQ(a.tailroom(), 0u);      // NOLINT
  PacketBuffer c(8);
  c = std::move(b);
  EXPECT_EQ(c.data().data(), bytes);
  EXPECT_EQ(c.storage_size(), 192u);
}

}  // namespace
}  // namespace nvgre::virt
