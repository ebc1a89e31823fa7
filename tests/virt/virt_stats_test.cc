// VirtStats: one counter per refusal / drop reason, names, merge.
#include "nvgre/virt/virt_stats.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace nvgre::virt {
namespace {

TEST(VirtStats, CountsEachOutcome) {
  VirtStats s;
  s.Count(Expected<EncapResult, EncapError>(EncapResult{.frame_length = 100}));
  s.Count(Expected<EncapResult, EncapError>(EncapResult{.inner_vlan_tags_stripped = 2}));
  s.Count(Expected<EncapResult, EncapError>(Unexpected{EncapError::kReservedVsid}));
  s.Count(Expected<EncapResult, EncapError>(Unexpected{EncapError::kReservedVsid}));
  s.Count(Expected<EncapResult, EncapError>(Unexpected{EncapError::kInnerTooShort}));
  EXPECT_EQ(s.encapsulated, 2u);
  EXPECT_EQ(s.inner_vlan_stripped, 1u);
  EXPECT_EQ(s[EncapError::kReservedVsid], 2u);
  EXPECT_EQ(s[EncapError::kInnerTooShort], 1u);
  EXPECT_EQ(s.encap_error_total(), 3u);

  s.Count(Expected<DecapResult, DecapDrop>(DecapResult{.ecn_rewrite = EcnRewrite::kSetCe}));
  s.Count(Expected<DecapResult, DecapDrop>(DecapResult{.ecn_rewrite = EcnRewrite::kSetEct1, .ecn_alarm = true}));
  s.Count(Expected<DecapResult, DecapDrop>(DecapResult{}));
  s.Count(Expected<DecapResult, DecapDrop>(Unexpected{DecapDrop::kInnerVlan}));
  EXPECT_EQ(s.decapsulated, 3u);
  EXPECT_EQ(s.ecn_set_ce, 1u);
  EXPECT_EQ(s.ecn_set_ect1, 1u);
  EXPECT_EQ(s.ecn_alarm, 1u);
  EXPECT_EQ(s[DecapDrop::kInnerVlan], 1u);
  EXPECT_EQ(s.decap_drop_total(), 1u);
}

TEST(VirtStats, NamesArePrefixedAndUnique) {
  EXPECT_EQ(VirtStats::EncapName(EncapError::kReservedVsid), "encap.vsid-reserved");
  EXPECT_EQ(VirtStats::DecapName(DecapDrop::kOuterIpv4Checksum), "decap.outer-ipv4-checksum");
  EXPECT_EQ(VirtStats::DecapName(DecapDrop::kInnerVlan), "decap.inner-802.1q-tag");
  VirtStats s;
  std::set<std::string> names;
  std::size_t n = 0;
  s.ForEach([&](std::string_view name, std::uint64_t v) {
    EXPECT_EQ(v, 0u);
    names.emplace(name);
    ++n;
  });
  EXPECT_EQ(n, 2 + kEncapErrorCount + 4 + kDecapDropCount);
  EXPECT_EQ(names.size(), n);
  for (const auto& name : names) {
    EXPECT_TRUE(name.starts_with("encap.") || name.starts_with("decap.")) << name;
    EXPECT_EQ(name.find('?'), std::string::npos) << name;
  }
}

TEST(VirtStats, ForEachNonZeroAndMerge) {
  VirtStats a, b;
  a[DecapDrop::kNotGre] = 3;
  a.decapsulated = 5;
  b[DecapDrop::kNotGre] = 4;
  b[EncapError::kExceedsMtu] = 1;
  b.ecn_alarm = 2;
  a.Merge(b);
  std::map<std::string, std::uint64_t> seen;
  a.ForEachNonZero([&](std::string_view name, std::uint64_t v) { seen[std::string(name)] = v; });
  const std::map<std::string, std::uint64_t> expect = {{"decap.not-gre", 7},
                                                       {"decap.ok", 5},
                                                       {"encap.exceeds-outer-mtu", 1},
                                                       {"decap.ecn-alarm", 2}};
  EXPECT_EQ(seen, expect);
}

}  // namespace
}  // namespace nvgre::virt
