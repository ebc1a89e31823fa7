// Every frame of every capture in ../shared/testdata:
//  - checksum states agree with the tshark 4.0.17 reference in dissect/;
//  - every prefix of the frame classifies without reading out of bounds (ASan preset) and,
//    when the cut falls inside a header, stops with kTruncated at that header.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "captures/capture_util.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::wire {
namespace {

using nvgre::testing::Frame;
using nvgre::testing::LoadFrames;
using nvgre::testing::LoadTshark;
using nvgre::testing::Occurrences;
using nvgre::testing::SharedCaptures;
using nvgre::testing::SharedTestdata;

constexpr int kLinktypeEthernet = 1;

// tshark: 1 = good, 0 = bad, empty = not checked.
void ExpectAgrees(const std::string& what, const std::string& tshark, CsumState ours) {
  if (tshark == "1") {
    EXPECT_EQ(ours, CsumState::kGood) << what;
  } else if (tshark == "0") {
    EXPECT_EQ(ours, CsumState::kBad) << what;
  }
}

TEST(AllCaptures, ChecksumStatesAgreeWithTshark) {
  int compared_frames = 0, compared_l4 = 0, compared_gre = 0, compared_ip = 0;
  for (const auto& name : SharedCaptures()) {
    auto reference = LoadTshark(name);
    ASSERT_FALSE(reference.empty()) << "no tshark reference for " << name;
    for (const Frame& fr : LoadFrames(SharedTestdata(name))) {
      const std::string where = name + " frame " + std::to_string(fr.number);
      ASSERT_TRUE(reference.count(fr.number)) << where;
      auto& row = reference[fr.number];
      EXPECT_EQ(row["frame.len"], std::to_string(fr.wire_len)) << where;
      if (fr.linktype != kLinktypeEthernet) continue;
      FrameLayout l = ClassifyFrame(fr.data, fr.wire_len);
      ChecksumReport c = VerifyChecksums(fr.data, l);
      ++compared_frames;

      // ip.checksum.status lists the IPv4 headers in frame order: outer first, then inner.
      std::vector<CsumState> ours_ip;
      if (l.outer_l3.version == 4) ours_ip.push_back(c.outer_ip);
      if (l.inner_l3.version == 4) ours_ip.push_back(c.inner_ip);
      auto theirs_ip = Occurrences(row["ip.checksum.status"]);
      for (std::size_t i = 0; i < ours_ip.size() && i < theirs_ip.size(); ++i, ++compared_ip) {
        ExpectAgrees(where + " ipv4 header #" + std::to_string(i + 1), theirs_ip[i], ours_ip[i]);
      }
      if (l.gre.present() && l.gre.checksum_present()) {
        auto theirs = Occurrences(row["gre.checksum.status"]);
        if (!theirs.empty()) {
          ++compared_gre;
          ExpectAgrees(where + " gre", theirs[0], c.gre);
        }
      }
      // The first TCP/UDP tshark checked is the transport header we located.
      const CsumState l4 = l.encapsulated() ? c.inner_l4 : c.outer_l4;
      if (l.transport_l4() != kNoHeader && (l.l4_protocol == kIpProtoTcp || l.l4_protocol == kIpProtoUdp)) {
        auto theirs = Occurrences(row[l.l4_protocol == kIpProtoTcp ? "tcp.checksum.status" : "udp.checksum.status"]);
        if (!theirs.empty()) {
          ++compared_l4;
          ExpectAgrees(where + " l4", theirs[0], l4);
        }
      }
    }
  }
  std::printf("compared with tshark: %d frames, %d IPv4 headers, %d GRE checksums, %d TCP/UDP checksums\n",
              compared_frames, compared_ip, compared_gre, compared_l4);
  // Guard against a vacuous pass (e.g. the shared captures not found).
  EXPECT_GT(compared_frames, 900);
  EXPECT_GT(compared_ip, 900);
  EXPECT_GT(compared_gre, 20);
  EXPECT_GT(compared_l4, 100);
}

struct HeaderSpan {
  Layer layer;
  Scope scope;
  std::size_t begin, end;
};

// Header extents of a fully parsed frame, in walk order.
std::vector<HeaderSpan> Headers(const FrameLayout& l) {
  std::vector<HeaderSpan> h;
  auto add_l2 = [&](const L2Layout& l2, Scope s) {
    if (l2.present()) h.push_back({Layer::kEthernet, s, l2.offset, std::size_t{l2.offset} + l2.length});
  };
  auto add_l3 = [&](const L3Layout& l3, Scope s) {
    if (l3.present())
      h.push_back({l3.version == 4 ? Layer::kIpv4 : Layer::kIpv6, s, l3.offset,
                   std::size_t{l3.offset} + l3.header_length});
  };
  // ICMP's fixed header is type, code, checksum (4 bytes); the rest word is optional to the view.
  const bool icmp = l.l4_protocol == kIpProtoIcmp || l.l4_protocol == kIpProtoIcmpv6;
  auto l4_end = [&](std::uint16_t begin) { return icmp ? std::size_t{begin} + 4 : std::size_t{l.payload}; };
  add_l2(l.outer_l2, Scope::kOuter);
  add_l3(l.outer_l3, Scope::kOuter);
  if (l.outer_l4 != kNoHeader) h.push_back({Layer::kTcp, Scope::kOuter, l.outer_l4, l4_end(l.outer_l4)});
  if (l.gre.present()) h.push_back({Layer::kGre, Scope::kOuter, l.gre.offset, std::size_t{l.gre.offset} + l.gre.header_length});
  add_l2(l.inner_l2, Scope::kInner);
  add_l3(l.inner_l3, Scope::kInner);
  if (l.inner_l4 != kNoHeader) h.push_back({Layer::kTcp, Scope::kInner, l.inner_l4, l4_end(l.inner_l4)});
  return h;
}

bool SameFamily(Layer expected, Layer got) {
  auto family = [](Layer x) {
    switch (x) {
      case Layer::kVlan: return Layer::kEthernet;
      case Layer::kIpv6Ext: return Layer::kIpv6;
      case Layer::kUdp: case Layer::kIcmp: case Layer::kIcmpv6: return Layer::kTcp;
      default: return x;
    }
  };
  return family(expected) == family(got);
}

TEST(AllCaptures, EveryPrefixFailsCleanlyAtTheRightLayer) {
  std::size_t prefixes = 0;
  for (const auto& name : SharedCaptures()) {
    for (const Frame& fr : LoadFrames(SharedTestdata(name))) {
      if (fr.linktype != kLinktypeEthernet) continue;
      const FrameLayout full = ClassifyFrame(fr.data);
      const auto headers = Headers(full);
      // Long frames: every prefix through the headers, then a sample of the payload.
      const std::size_t header_end = headers.empty() ? 0 : headers.back().end;
      for (std::size_t n = 0; n < fr.data.size(); n += (n < header_end + 64 ? 1 : 97)) {
        // A copy of exactly n bytes, so ASan sees any read past the prefix.
        std::vector<std::uint8_t> prefix(fr.data.begin(), fr.data.begin() + static_cast<std::ptrdiff_t>(n));
        const FrameLayout l = ClassifyFrame(prefix);
        (void)VerifyChecksums(prefix, l);
        ++prefixes;
        const std::string where = name + " frame " + std::to_string(fr.number) + " prefix " + std::to_string(n);
        if (n == 0) {
          ASSERT_TRUE(l.error.has_value()) << where;
          EXPECT_EQ(l.error->layer, Layer::kFrame) << where;
          continue;
        }
        // The first header of the full walk that the cut falls inside must be where we stop.
        const HeaderSpan* cut = nullptr;
        for (const auto& h : headers) {
          if (n < h.end) { cut = &h; break; }
        }
        if (cut == nullptr || n < cut->begin) continue;  // cut in a payload: covered by truncated
        ASSERT_TRUE(l.error.has_value()) << where;
        EXPECT_EQ(l.error->error, ParseError::kTruncated) << where;
        EXPECT_TRUE(SameFamily(cut->layer, l.error->layer))
            << where << ": stopped at " << ToString(l.error->layer) << ", cut is in " << ToString(cut->layer);
        EXPECT_EQ(l.error->scope, cut->scope) << where;
        EXPECT_GE(l.error->offset, cut->begin) << where;
        EXPECT_LT(l.error->offset, cut->end) << where;
      }
    }
  }
  std::printf("classified %zu prefixes\n", prefixes);
  EXPECT_GT(prefixes, 50000u);
}

// The two tcpdump fuzz inputs (C+R flags, truncated) are reported, not crashed on.
TEST(AllCaptures, TcpdumpGreHeapOverflowInputs) {
  for (const char* name : {"tcpdump_gre-heapoverflow-1.pcap", "tcpdump_gre-heapoverflow-2.pcap"}) {
    auto frames = LoadFrames(SharedTestdata(name));
    ASSERT_EQ(frames.size(), 2u) << name;
    for (const Frame& fr : frames) {
      FrameLayout l = ClassifyFrame(fr.data, fr.wire_len);
      EXPECT_FALSE(l.is_nvgre()) << name << " " << fr.number;
      (void)VerifyChecksums(fr.data, l);
    }
  }
}

}  // namespace
}  // namespace nvgre::wire
