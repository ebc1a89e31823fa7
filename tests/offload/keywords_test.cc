// Standardized INF keywords (spec §12): parsing, diagnostics with line numbers, defaults,
// write-back that keeps unknown lines verbatim and in order.
#include "nvgre/offload/keywords.h"

#include <gtest/gtest.h>

namespace nvgre::offload {
namespace {

TEST(Keywords, DefaultsMatchTheSpec) {
  const Keywords kw;
  EXPECT_EQ(kw.Get(Keyword::kEncapsulatedPacketTaskOffload), 1);  // §12: 1 = Enabled (default)
  EXPECT_EQ(kw.Get(Keyword::kIpChecksumOffloadIpv4), 3);          // Rx & Tx
  EXPECT_EQ(kw.Get(Keyword::kTcpChecksumOffloadIpv6), 3);
  EXPECT_EQ(kw.Get(Keyword::kLsoV2Ipv4), 1);
  EXPECT_EQ(kw.Get(Keyword::kRss), 1);
  EXPECT_EQ(kw.Get(Keyword::kJumboPacket), 1514);
  EXPECT_FALSE(kw.Configured(Keyword::kRss));
  EXPECT_EQ(kw.ToText(), "");
  EXPECT_EQ(SpecOf(Keyword::kEncapsulatedPacketTaskOffload).name, "*EncapsulatedPacketTaskOffload");
}

// Spec §12: the keywords real drivers use beside the MS page's: *EncapsulatedPacketTaskOffloadNvgre
// and *EncapsulatedPacketTaskOffloadVxlan (0/1), *VxlanUDPPortNumber (1-65535, IANA 4789).
TEST(Keywords, NvgreVxlanAndVxlanPortKeywords) {
  const Keywords defaults;
  EXPECT_EQ(defaults.Get(Keyword::kEncapsulatedPacketTaskOffloadNvgre), 1);
  EXPECT_EQ(defaults.Get(Keyword::kEncapsulatedPacketTaskOffloadVxlan), 0);  // no VXLAN offload here
  EXPECT_EQ(defaults.Get(Keyword::kVxlanUdpPortNumber), 4789);
  EXPECT_EQ(FindKeyword("*encapsulatedpackettaskoffloadnvgre"), Keyword::kEncapsulatedPacketTaskOffloadNvgre);
  EXPECT_EQ(FindKeyword("*EncapsulatedPacketTaskOffloadVxlan"), Keyword::kEncapsulatedPacketTaskOffloadVxlan);
  EXPECT_EQ(FindKeyword("*VxlanUDPPortNumber"), Keyword::kVxlanUdpPortNumber);
  std::vector<KeywordDiagnostic> d;
  const std::string text =
      "*EncapsulatedPacketTaskOffloadNvgre=0\n"
      "*EncapsulatedPacketTaskOffloadVxlan=1\n"
      "*VxlanUDPPortNumber=8472\n";
  Keywords kw = Keywords::Parse(text, &d);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(kw.Get(Keyword::kEncapsulatedPacketTaskOffloadNvgre), 0);
  EXPECT_EQ(kw.Get(Keyword::kEncapsulatedPacketTaskOffloadVxlan), 1);
  EXPECT_EQ(kw.Get(Keyword::kVxlanUdpPortNumber), 8472);
  EXPECT_EQ(kw.ToText(), text);
  kw = Keywords::Parse("*VxlanUDPPortNumber=0\n*EncapsulatedPacketTaskOffloadNvgre=2\n*VxlanUDPPortNumber=65536\n", &d);
  ASSERT_EQ(d.size(), 4u);  // three invalid values, and the port given twice
  EXPECT_EQ(d[0].ToString(), "line 1: *VxlanUDPPortNumber=0: invalid value (1..65535), default 4789 used");
  EXPECT_EQ(d[1].ToString(), "line 2: *EncapsulatedPacketTaskOffloadNvgre=2: invalid value (0..1), default 1 used");
  EXPECT_EQ(d[2].line, 3u);  // the duplicate is reported first, then its invalid value
  EXPECT_EQ(d[2].kind, KeywordDiagnostic::Kind::kDuplicate);
  EXPECT_EQ(d[3].kind, KeywordDiagnostic::Kind::kInvalidValue);
  EXPECT_EQ(kw.Get(Keyword::kVxlanUdpPortNumber), 4789);
  EXPECT_FALSE(kw.Set(Keyword::kVxlanUdpPortNumber, 0));
  EXPECT_TRUE(kw.Set(Keyword::kVxlanUdpPortNumber, 4790));
}

TEST(Keywords, ParseKnownUnknownAndCase) {
  std::vector<KeywordDiagnostic> d;
  const std::string text =
      "# adapter 1\n"
      "*EncapsulatedPacketTaskOffload=0\n"
      "*vendorThing=abc\n"
      "  *tcpchecksumoffloadipv4 = 2 \n"
      "\n"
      "*JumboPacket=9014\n";
  const Keywords kw = Keywords::Parse(text, &d);
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(kw.Get(Keyword::kEncapsulatedPacketTaskOffload), 0);
  EXPECT_EQ(kw.Get(Keyword::kTcpChecksumOffloadIpv4), 2);  // names are case-insensitive
  EXPECT_EQ(kw.Get(Keyword::kJumboPacket), 9014);
  EXPECT_TRUE(kw.Configured(Keyword::kJumboPacket));
  EXPECT_EQ(kw.ToText(), text);  // nothing changed: verbatim
  EXPECT_EQ(FindKeyword("*RSS"), Keyword::kRss);
  EXPECT_EQ(FindKeyword("RSS"), std::nullopt);  // the '*' is part of the name
}

TEST(Keywords, InvalidValuesReportedWithLineNumberAndDefaultUsed) {
  std::vector<KeywordDiagnostic> d;
  const Keywords kw = Keywords::Parse(
      "*RSS=0\n"
      "*EncapsulatedPacketTaskOffload=2\n"
      "*LsoV2IPv4=yes\n"
      "*JumboPacket=1000\n"
      "*UDPChecksumOffloadIPv6=\n"
      "*RSS=7\n",
      &d);
  ASSERT_EQ(d.size(), 6u);
  EXPECT_EQ(d[0].line, 2u);
  EXPECT_EQ(d[0].kind, KeywordDiagnostic::Kind::kInvalidValue);
  EXPECT_EQ(d[0].name, "*EncapsulatedPacketTaskOffload");
  EXPECT_EQ(d[0].value, "2");
  EXPECT_EQ(d[0].ToString(), "line 2: *EncapsulatedPacketTaskOffload=2: invalid value (0..1), default 1 used");
  EXPECT_EQ(d[1].line, 3u);
  EXPECT_EQ(d[2].line, 4u);  // below the *JumboPacket minimum 1514
  EXPECT_EQ(d[3].line, 5u);
  EXPECT_EQ(d[4].line, 6u);
  EXPECT_EQ(d[4].kind, KeywordDiagnostic::Kind::kDuplicate);
  EXPECT_EQ(d[5].line, 6u);
  EXPECT_EQ(d[5].kind, KeywordDiagnostic::Kind::kInvalidValue);
  EXPECT_EQ(kw.Get(Keyword::kEncapsulatedPacketTaskOffload), 1);
  EXPECT_EQ(kw.Get(Keyword::kLsoV2Ipv4), 1);
  EXPECT_EQ(kw.Get(Keyword::kJumboPacket), 1514);
  EXPECT_EQ(kw.Get(Keyword::kUdpChecksumOffloadIpv6), 3);
  EXPECT_EQ(kw.Get(Keyword::kRss), 1);  // the last line (invalid) wins, so the default applies
}

TEST(Keywords, MalformedLinesKeptAndReported) {
  std::vector<KeywordDiagnostic> d;
  const std::string text = "*RSS=0\nthis is not a keyword\n=5\n; comment\n";
  const Keywords kw = Keywords::Parse(text, &d);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].line, 2u);
  EXPECT_EQ(d[0].kind, KeywordDiagnostic::Kind::kMalformedLine);
  EXPECT_EQ(d[1].line, 3u);
  EXPECT_EQ(kw.ToText(), text);
}

TEST(Keywords, SetRewritesInPlaceOrAppends) {
  Keywords kw = Keywords::Parse("*Vendor=1\n*EncapsulatedPacketTaskOffload=1\n*Other=x\n");
  ASSERT_TRUE(kw.Set(Keyword::kEncapsulatedPacketTaskOffload, 0));
  ASSERT_TRUE(kw.Set(Keyword::kLsoV2Ipv6, 0));
  EXPECT_FALSE(kw.Set(Keyword::kRss, 2));          // out of range: refused
  EXPECT_FALSE(kw.Set(Keyword::kJumboPacket, 100));
  EXPECT_EQ(kw.Get(Keyword::kRss), 1);
  EXPECT_EQ(kw.ToText(),
            "*Vendor=1\n*EncapsulatedPacketTaskOffload=0\n*Other=x\n*LsoV2IPv6=0\n");
  // Round trip through the persisted text.
  const Keywords again = Keywords::Parse(kw.ToText());
  EXPECT_EQ(again.Get(Keyword::kEncapsulatedPacketTaskOffload), 0);
  EXPECT_EQ(again.Get(Keyword::kLsoV2Ipv6), 0);
}

TEST(Keywords, SetReplacesAnInvalidLineAndKeepsCrlf) {
  Keywords kw = Keywords::Parse("*RSS=bad\r\n*Vendor=1\r\n");
  ASSERT_TRUE(kw.Set(Keyword::kRss, 0));
  EXPECT_EQ(kw.ToText(), "*RSS=0\r\n*Vendor=1\r\n");
}

TEST(Keywords, MissingFinalNewlineIsAdded) {
  EXPECT_EQ(Keywords::Parse("*RSS=1").ToText(), "*RSS=1\n");
}

TEST(Keywords, ChecksumKeywordValues) {
  EXPECT_FALSE(ChecksumKeywordTx(kChecksumKeywordDisabled));
  EXPECT_TRUE(ChecksumKeywordTx(kChecksumKeywordTx));
  EXPECT_FALSE(ChecksumKeywordRx(kChecksumKeywordTx));
  EXPECT_TRUE(ChecksumKeywordRx(kChecksumKeywordRx));
  EXPECT_TRUE(ChecksumKeywordTx(kChecksumKeywordRxTx) && ChecksumKeywordRx(kChecksumKeywordRxTx));
}

}  // namespace
}  // namespace nvgre::offload
