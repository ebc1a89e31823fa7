// Differential test of LSOv2 over NVGRE against Open vSwitch's expected software segmentation
// (../shared/testdata, SOURCES.md §2.2): the TSO input super-frame of ovs_tso_plain_expected.pcap
// frame 9 (IPv4/TCP, 2000 zero bytes, 192.168.123.2:54392 > 192.168.123.1:5201) encapsulated
// with the outer Ethernet/IPv4/GRE bytes of ovs_tso_tunnel_gre_expected.pcap frame 5 (1.1.2.88 >
// 1.1.2.92, DF, GRE 0x2000 key 0x7b, TEB), prepared as the Windows stack prepares an LSOv2
// template (stack_prep), segmented by the Tx engine with MSS 500, and compared with frames 5-8
// of ovs_tso_tunnel_gre_expected.pcap.
//
// Differences that NDIS rules could cause, and what this input gives:
//   - Outer IPv4 Identification: NDIS §4 rule 4 "template ID + k" (15-bit wrap, [INFER]). The
//     template carries frame 5's outer ID 0, OVS's expected IDs are 0..3: equal here. With a
//     template ID near 0x7FFF they differ (OVS counts in 16 bits): OuterAndInnerIdWrap below.
//   - Inner IPv4 Identification: NDIS §4 rule 5, same rule from the inner template ID (0):
//     equal here (0..3), different near 0x7FFF (see below).
//   - FIN/PSH only on the last segment, CWR only on the first (base LSOv2): the template has
//     only ACK, so no flag differs. (Linux/OVS GSO applies the same flag rule.)
//   - IP Total Lengths: NDIS derives them from the NET_BUFFER length (the template's are 0):
//     equal to OVS's (582 outer, 540 inner).
//   - GRE: copied unchanged (no checksum to recompute; RFC 7637 C = 0): equal.
// So the segments must match byte for byte; the test also checks the required subset
// (payloads, sequence numbers, TCP checksums) separately so that a failure says which.
//
// The offload test program links only nvgre_offload (no io layer), so the two captures are read
// by the small classic-pcap reader below.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/wire/classifier.h"

namespace nvgre::offload {
namespace {

using Frame = std::vector<std::uint8_t>;
using Bytes = std::span<const std::uint8_t>;

// Classic pcap, little-endian (magic d4 c3 b2 a1 or 4d 3c b2 a1). Empty on any problem.
std::vector<Frame> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Frame file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto le32 = [&](std::size_t off) {
    return std::uint32_t{file[off]} | std::uint32_t{file[off + 1]} << 8 |
           std::uint32_t{file[off + 2]} << 16 | std::uint32_t{file[off + 3]} << 24;
  };
  std::vector<Frame> frames;
  if (file.size() < 24 || (le32(0) != 0xA1B2C3D4u && le32(0) != 0xA1B23C4Du)) return frames;
  std::size_t off = 24;
  while (off + 16 <= file.size()) {
    const std::uint32_t caplen = le32(off + 8);
    off += 16;
    if (off + caplen > file.size()) return {};
    frames.emplace_back(file.begin() + static_cast<std::ptrdiff_t>(off),
                        file.begin() + static_cast<std::ptrdiff_t>(off + caplen));
    off += caplen;
  }
  return frames;
}

std::uint16_t Get16(Bytes f, std::size_t off) {
  return static_cast<std::uint16_t>(f[off] << 8 | f[off + 1]);
}
std::uint32_t Get32(Bytes f, std::size_t off) {
  return std::uint32_t{Get16(f, off)} << 16 | Get16(f, off + 2);
}
void Put16(Frame& f, std::size_t off, std::uint32_t v) {
  f[off] = static_cast<std::uint8_t>(v >> 8);
  f[off + 1] = static_cast<std::uint8_t>(v);
}
// Plain RFC 1071 checksum (independent of nvgre::wire).
std::uint16_t RefChecksum(const std::uint8_t* p, std::size_t n) {
  std::uint32_t acc = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  while (acc > 0xFFFF) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc & 0xFFFF);
}

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;

// Offsets in these frames: outer IPv4 at 14, GRE at 34, inner Ethernet at 42, inner IPv4 at
// 56, TCP at 76, payload at 96.
constexpr std::size_t kOuterIp = 14, kInnerIp = 56, kTcp = 76, kPayload = 96;

class OvsDifferential : public ::testing::Test {
 protected:
  void SetUp() override {
    plain_ = ReadPcap(kShared + "/ovs_tso_plain_expected.pcap");
    gre_ = ReadPcap(kShared + "/ovs_tso_tunnel_gre_expected.pcap");
    ASSERT_EQ(plain_.size(), 10u);
    ASSERT_EQ(gre_.size(), 16u);
    ASSERT_EQ(plain_[8].size(), 2054u);  // frame 9: the IPv4 super-frame
    for (int i = 4; i < 8; ++i) ASSERT_EQ(gre_[static_cast<std::size_t>(i)].size(), 596u);
  }

  // Frame 9 behind frame 5's outer Ethernet + IPv4 + GRE, as an ordinary (non-LSO) frame: real
  // outer Total Length and a valid outer IPv4 checksum.
  Frame SuperFrame(std::uint16_t outer_id, std::uint16_t inner_id) const {
    Frame f(42 + plain_[8].size());
    std::copy(gre_[4].begin(), gre_[4].begin() + 42, f.begin());
    std::copy(plain_[8].begin(), plain_[8].end(), f.begin() + 42);
    EXPECT_EQ(f.size(), 42u + 2054u);
    Put16(f, kOuterIp + 2, static_cast<std::uint32_t>(f.size() - kOuterIp));
    Put16(f, kOuterIp + 4, outer_id);
    Put16(f, kInnerIp + 4, inner_id);
    for (std::size_t ip : {kOuterIp, kInnerIp}) {
      Put16(f, ip + 10, 0);
      Put16(f, ip + 10, RefChecksum(f.data() + ip, 20));
    }
    return f;
  }

  // stack_prep (LSOv2, MSS 500) + the engine; the segments linearized.
  std::vector<Frame> Segment(const Frame& super) {
    std::vector<std::uint8_t> headers(kTxParseWindow);
    PrepareResult prep = PrepareNvgreSend(
        super, {.segmentation = Segmentation::kLsoV2, .mss = 500}, headers);
    EXPECT_TRUE(prep.has_value());
    if (!prep) return {};
    EXPECT_EQ(prep->header_length, kPayload);
    std::vector<Bytes> buffers{Bytes(headers).first(prep->header_length),
                               Bytes(super).subspan(prep->header_length)};
    TxOob oob = prep->oob;
    TxSegmentArray<8> storage;
    TxStats stats;
    TxOutput out = storage.output();
    TxResult r = ProcessTxPacket(TxOffloadConfig{}, buffers, oob, out, stats);
    EXPECT_TRUE(r.ok()) << ToString(r.refusal);
    std::vector<Frame> frames;
    for (const TxSegment& s : r.segments(out)) {
      Frame f(s.size());
      LinearizeSegment(s, f);
      frames.push_back(std::move(f));
    }
    return frames;
  }

  std::vector<Frame> plain_, gre_;
};

TEST_F(OvsDifferential, Frames5To8) {
  const std::vector<Frame> ours = Segment(SuperFrame(0, 0));
  ASSERT_EQ(ours.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    const Frame& want = gre_[4 + k];
    const Frame& got = ours[k];
    const std::string what = "segment " + std::to_string(k) + " vs frame " + std::to_string(5 + k);
    ASSERT_EQ(got.size(), want.size()) << what;
    // Required: payload, sequence number, TCP checksum.
    EXPECT_TRUE(std::equal(got.begin() + kPayload, got.end(), want.begin() + kPayload)) << what;
    EXPECT_EQ(Get32(got, kTcp + 4), Get32(want, kTcp + 4)) << what;
    EXPECT_EQ(Get32(got, kTcp + 4), 500u * k) << what;
    EXPECT_EQ(Get16(got, kTcp + 16), Get16(want, kTcp + 16)) << what;
    // The rest, field by field (see the file comment for why each is equal here).
    EXPECT_EQ(Get16(got, kOuterIp + 2), 582u) << what;
    EXPECT_EQ(Get16(got, kOuterIp + 4), k) << what << " outer ID";
    EXPECT_EQ(Get16(got, kInnerIp + 2), 540u) << what;
    EXPECT_EQ(Get16(got, kInnerIp + 4), k) << what << " inner ID";
    EXPECT_EQ(got[kTcp + 13], 0x10) << what << " flags: ACK";
    EXPECT_EQ(got, want) << what << ": byte-for-byte";
  }
  // Known TCP checksums of frames 5-8 (tcpdump: 0x4dc2 0x4bce 0x49da 0x47e6).
  EXPECT_EQ(Get16(ours[0], kTcp + 16), 0x4dc2u);
  EXPECT_EQ(Get16(ours[1], kTcp + 16), 0x4bceu);
  EXPECT_EQ(Get16(ours[2], kTcp + 16), 0x49dau);
  EXPECT_EQ(Get16(ours[3], kTcp + 16), 0x47e6u);
}

// The one NDIS rule that makes our segments differ from OVS's on this input: LSOv2 IPv4 IDs stay
// within 0x0000-0x7FFF and wrap 0x7FFF -> 0x0000 (spec §4; applied to outer and inner [INFER]),
// where OVS counts in 16 bits. Expected-by-OVS segments are frames 5-8 with the IDs OVS would
// write (template + k) and their IPv4 checksums recomputed; ours differ exactly in those IDs and
// checksums, and only on the segments past the wrap.
TEST_F(OvsDifferential, OuterAndInnerIdWrap) {
  const std::uint16_t outer0 = 0x7FFE, inner0 = 0x7FFF;
  const std::vector<Frame> ours = Segment(SuperFrame(outer0, inner0));
  ASSERT_EQ(ours.size(), 4u);
  const std::uint16_t ndis_outer[4] = {0x7FFE, 0x7FFF, 0x0000, 0x0001};
  const std::uint16_t ndis_inner[4] = {0x7FFF, 0x0000, 0x0001, 0x0002};
  for (std::size_t k = 0; k < 4; ++k) {
    Frame ovs = gre_[4 + k];
    Put16(ovs, kOuterIp + 4, static_cast<std::uint16_t>(outer0 + k));
    Put16(ovs, kInnerIp + 4, static_cast<std::uint16_t>(inner0 + k));
    for (std::size_t ip : {kOuterIp, kInnerIp}) {
      Put16(ovs, ip + 10, 0);
      Put16(ovs, ip + 10, RefChecksum(ovs.data() + ip, 20));
    }
    const Frame& got = ours[k];
    EXPECT_EQ(Get16(got, kOuterIp + 4), ndis_outer[k]) << k;
    EXPECT_EQ(Get16(got, kInnerIp + 4), ndis_inner[k]) << k;
    // Every byte outside the two ID fields and the two IPv4 checksums is OVS's.
    std::vector<std::size_t> differing;
    for (std::size_t i = 0; i < got.size(); ++i) {
      if (got[i] != ovs[i]) differing.push_back(i);
    }
    const bool outer_differs = ndis_outer[k] != static_cast<std::uint16_t>(outer0 + k);
    const bool inner_differs = ndis_inner[k] != static_cast<std::uint16_t>(inner0 + k);
    for (std::size_t i : differing) {
      const bool in_outer = i == kOuterIp + 4 || i == kOuterIp + 5 || i == kOuterIp + 10 || i == kOuterIp + 11;
      const bool in_inner = i == kInnerIp + 4 || i == kInnerIp + 5 || i == kInnerIp + 10 || i == kInnerIp + 11;
      EXPECT_TRUE((in_outer && outer_differs) || (in_inner && inner_differs))
          << "segment " << k << " byte " << i;
    }
    EXPECT_EQ(!differing.empty(), outer_differs || inner_differs) << k;
    const wire::FrameLayout l = wire::ClassifyFrame(got);
    const wire::ChecksumReport c = wire::VerifyChecksums(got, l);
    EXPECT_EQ(c.outer_ip, wire::CsumState::kGood);
    EXPECT_EQ(c.inner_ip, wire::CsumState::kGood);
    EXPECT_EQ(c.inner_l4, wire::CsumState::kGood);
  }
}

}  // namespace
}  // namespace nvgre::offload
