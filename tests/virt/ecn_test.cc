// RFC 6040 ECN propagation: the whole decapsulation table (§4.2 Figure 4) and both
// encapsulation modes (§4.1), written out literally from the RFC.
#include "nvgre/virt/ecn.h"

#include <gtest/gtest.h>

#include <array>

namespace nvgre::virt {
namespace {

constexpr std::uint8_t kN = kEcnNotEct, k0 = kEcnEct0, k1 = kEcnEct1, kC = kEcnCe;
constexpr std::uint8_t kDrop = 0xFF;

TEST(Ecn, CodepointsAreRfc3168) {
  EXPECT_EQ(kEcnNotEct, 0b00);
  EXPECT_EQ(kEcnEct1, 0b01);
  EXPECT_EQ(kEcnEct0, 0b10);
  EXPECT_EQ(kEcnCe, 0b11);
}

// RFC 6040 §4.2 Figure 4, rows = arriving inner, columns = arriving outer
// (Not-ECT, ECT(0), ECT(1), CE). (!!!) entries are the alarms.
TEST(Ecn, DecapsulationTableFigure4) {
  const std::array<std::uint8_t, 4> cols = {kN, k0, k1, kC};
  const std::array<std::uint8_t, 4> rows = {kN, k0, k1, kC};
  const std::uint8_t expect[4][4] = {
      {kN, kN, kN, kDrop},  // Not-ECT | Not-ECT  Not-ECT(!!!) Not-ECT(!!!) drop(!!!)
      {k0, k0, k1, kC},     // ECT(0)  | ECT(0)   ECT(0)       ECT(1)       CE
      {k1, k1, k1, kC},     // ECT(1)  | ECT(1)   ECT(1)(!)    ECT(1)       CE
      {kC, kC, kC, kC},     // CE      | CE       CE           CE(!!!)      CE
  };
  const bool alarm[4][4] = {
      {false, true, true, true},
      {false, false, false, false},
      {false, false, false, false},
      {false, false, true, false},
  };
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t c = 0; c < 4; ++c) {
      SCOPED_TRACE(testing::Message() << "inner " << int{rows[r]} << " outer " << int{cols[c]});
      const EcnDecapOutcome o = InnerEcnOnDecap(rows[r], cols[c]);
      if (expect[r][c] == kDrop) {
        EXPECT_TRUE(o.drop);
      } else {
        EXPECT_FALSE(o.drop);
        EXPECT_EQ(o.inner_ecn, expect[r][c]);
      }
      EXPECT_EQ(o.alarm, alarm[r][c]);
    }
  }
}

TEST(Ecn, DecapsulationIgnoresDscpBits) {
  // Callers may pass the whole TOS octet: only the low two bits count.
  EXPECT_TRUE(InnerEcnOnDecap(0xB8, 0x03).drop);  // EF DSCP, Not-ECT inner, CE outer
  EXPECT_EQ(InnerEcnOnDecap(0xBA, 0xFF).inner_ecn, kEcnCe);
}

TEST(Ecn, EncapsulationNormalModeCopiesEvenCe) {
  // RFC 6040 §4.1 normal mode: the outer ECN field is a copy of the inner, CE included.
  EXPECT_EQ(OuterEcnOnEncap(kN, EcnEncapMode::kNormal), kN);
  EXPECT_EQ(OuterEcnOnEncap(k0, EcnEncapMode::kNormal), k0);
  EXPECT_EQ(OuterEcnOnEncap(k1, EcnEncapMode::kNormal), k1);
  EXPECT_EQ(OuterEcnOnEncap(kC, EcnEncapMode::kNormal), kC);
}

TEST(Ecn, EncapsulationCompatibilityModeIsNotEct) {
  for (std::uint8_t e : {kN, k0, k1, kC}) {
    EXPECT_EQ(OuterEcnOnEncap(e, EcnEncapMode::kCompatibility), kN);
  }
}

TEST(Ecn, NormalModeThenDecapsulationIsIdentityWithoutMarking) {
  // A tunnel that nobody marks hands every inner codepoint back unchanged, without alarms.
  for (std::uint8_t e : {kN, k0, k1, kC}) {
    const EcnDecapOutcome o = InnerEcnOnDecap(e, OuterEcnOnEncap(e, EcnEncapMode::kNormal));
    EXPECT_FALSE(o.drop);
    EXPECT_FALSE(o.alarm);
    EXPECT_EQ(o.inner_ecn, e);
  }
}

}  // namespace
}  // namespace nvgre::virt
