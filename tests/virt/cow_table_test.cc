// CowTable against std::map (the oracle): random inserts, replacements and erases through
// every reshard and shard resize; versions copied along the way must keep their contents
// whatever the later edits do.
#include "nvgre/virt/cow_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace nvgre::virt {
namespace {

struct Key {
  std::uint64_t v = 0;  // 0 = empty
  friend bool operator==(const Key&, const Key&) = default;
};
struct Traits {
  using Key = nvgre::virt::Key;
  using Value = std::uint32_t;
  static std::uint64_t Hash(const Key& k) { return MixHash(k.v); }
  static bool IsEmpty(const Key& k) { return k.v == 0; }
  static Key Empty() { return {}; }
};
// Every key in one probe run: the worst case for backward-shift deletion.
struct CollidingTraits : Traits {
  static std::uint64_t Hash(const Key& k) { return k.v % 3; }
};

using Table = CowTable<Traits>;

template <class T>
void ExpectEqual(const T& t, const std::map<std::uint64_t, std::uint32_t>& oracle) {
  ASSERT_EQ(t.size(), oracle.size());
  for (const auto& [k, v] : oracle) {
    const std::uint32_t* got = t.Find(Key{k});
    ASSERT_NE(got, nullptr) << k;
    EXPECT_EQ(*got, v) << k;
  }
  std::size_t seen = 0;
  t.ForEach([&](const Key& k, std::uint32_t v) {
    ++seen;
    const auto it = oracle.find(k.v);
    ASSERT_NE(it, oracle.end()) << k.v;
    EXPECT_EQ(it->second, v);
  });
  EXPECT_EQ(seen, oracle.size());
}

TEST(CowTable, MatchesAMapThroughGrowthAndShrinkage) {
  Table t;
  std::map<std::uint64_t, std::uint32_t> oracle;
  std::mt19937_64 rng(7);
  // Grow past several reshards (1024 per shard on average), then shrink back to nothing.
  for (std::uint32_t i = 0; i < 200000; ++i) {
    const std::uint64_t k = rng() % 150000 + 1;
    const bool fresh = oracle.emplace(k, i).second;
    if (!fresh) oracle[k] = i;
    EXPECT_EQ(t.Insert(Key{k}, i), fresh);
  }
  ExpectEqual(t, oracle);
  EXPECT_GT(t.shard_count(), 16u);
  for (std::uint64_t k = 0; k <= 150001; ++k) {
    EXPECT_EQ(t.Erase(Key{k}), oracle.erase(k) == 1) << k;
    if (k % 25000 == 0) ExpectEqual(t, oracle);
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.shard_count(), 1u);
  EXPECT_EQ(t.Find(Key{5}), nullptr);
}

TEST(CowTable, CopiesKeepTheirContentsWhateverTheOtherCopyDoes) {
  Table t;
  std::map<std::uint64_t, std::uint32_t> oracle;
  std::mt19937_64 rng(11);
  std::vector<std::pair<Table, std::map<std::uint64_t, std::uint32_t>>> versions;
  for (int round = 0; round < 40; ++round) {
    for (int op = 0; op < 3000; ++op) {
      const std::uint64_t k = rng() % 20000 + 1;
      if (rng() % 3 == 0) {
        t.Erase(Key{k});
        oracle.erase(k);
      } else {
        const auto v = static_cast<std::uint32_t>(rng());
        t.Insert(Key{k}, v);
        oracle[k] = v;
      }
    }
    versions.emplace_back(t, oracle);  // a published version
    if (round % 7 == 3) {
      // Editing an old version must not leak into the working table either.
      auto& [old, old_oracle] = versions[versions.size() / 2];
      old.Insert(Key{999999}, 1);
      old_oracle[999999] = 1;
    }
  }
  ExpectEqual(t, oracle);
  for (const auto& [v, o] : versions) ExpectEqual(v, o);
}

TEST(CowTable, BackwardShiftDeletionKeepsEveryCollidingKeyReachable) {
  CowTable<CollidingTraits> t;
  std::map<std::uint64_t, std::uint32_t> oracle;
  for (std::uint64_t k = 1; k <= 300; ++k) {
    t.Insert(Key{k}, static_cast<std::uint32_t>(k));
    oracle[k] = static_cast<std::uint32_t>(k);
  }
  for (std::uint64_t k = 1; k <= 300; k += 2) {
    ASSERT_TRUE(t.Erase(Key{k}));
    oracle.erase(k);
    ExpectEqual(t, oracle);
  }
}

TEST(CowTable, AnEditClonesOnlyTheShardItTouches) {
  Table t;
  for (std::uint64_t k = 1; k <= 100000; ++k) t.Insert(Key{k}, 1);
  const Table published = t;
  const std::size_t shards = t.shard_count();
  ASSERT_GT(shards, 16u);
  EXPECT_EQ(t.SharedShards(published), shards);
  t.Insert(Key{7}, 2);
  EXPECT_EQ(*published.Find(Key{7}), 1u);
  EXPECT_EQ(*t.Find(Key{7}), 2u);
  EXPECT_EQ(t.SharedShards(published), shards - 1);
  // A second edit of the same shard works in place; erasing an absent key clones nothing.
  t.Insert(Key{7}, 3);
  EXPECT_FALSE(t.Erase(Key{100001}));
  EXPECT_EQ(t.SharedShards(published), shards - 1);
  EXPECT_EQ(t.size(), 100000u);
  // Clearing the working copy leaves the published one whole.
  t.Clear();
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Find(Key{7}), nullptr);
  EXPECT_EQ(*published.Find(Key{7}), 1u);
  EXPECT_EQ(published.size(), 100000u);
}

}  // namespace
}  // namespace nvgre::virt
