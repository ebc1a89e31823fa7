// stack_prep: the OOB values and header templates the Windows stack hands a NIC for an NVGRE
// packet (spec §2.1-§2.3, §3.1, §4), from captured frames with known bytes.
//
// Frames: ovs_tso_tunnel_gre_expected.pcap frame 5 (outer IPv4 / inner IPv4 TCP, 500 bytes),
// frame 1 (outer IPv4 / inner IPv6), frame 13 (outer IPv6 with GRE C+K / inner IPv4),
// deepflow_vmware-gre-teb.pcap frame 1 (a real capture: outer IPv4 / GRE K 0x6558 / inner IPv4
// ICMP echo request), ovs_tso_plain_expected.pcap frame 1 (plain IPv4 TCP).
#include "nvgre/offload/stack_prep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "nvgre/offload/tx_engine.h"
#include "nvgre/wire/classifier.h"

namespace nvgre::offload {
namespace {

using Frame = std::vector<std::uint8_t>;
using Bytes = std::span<const std::uint8_t>;

// Classic little-endian pcap (the offload tests do not link the io layer).
std::vector<Frame> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Frame file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto le32 = [&](std::size_t off) {
    return std::uint32_t{file[off]} | std::uint32_t{file[off + 1]} << 8 |
           std::uint32_t{file[off + 2]} << 16 | std::uint32_t{file[off + 3]} << 24;
  };
  std::vector<Frame> frames;
  if (file.size() < 24 || (le32(0) != 0xA1B2C3D4u && le32(0) != 0xA1B23C4Du)) return frames;
  for (std::size_t off = 24; off + 16 <= file.size();) {
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
void Put16(Frame& f, std::size_t off, std::uint32_t v) {
  f[off] = static_cast<std::uint8_t>(v >> 8);
  f[off + 1] = static_cast<std::uint8_t>(v);
}

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;

class StackPrep : public ::testing::Test {
 protected:
  void SetUp() override {
    gre_ = ReadPcap(kShared + "/ovs_tso_tunnel_gre_expected.pcap");
    plain_ = ReadPcap(kShared + "/ovs_tso_plain_expected.pcap");
    deepflow_ = ReadPcap(kShared + "/deepflow_vmware-gre-teb.pcap");
    ASSERT_EQ(gre_.size(), 16u);
    ASSERT_EQ(plain_.size(), 10u);
    ASSERT_FALSE(deepflow_.empty());
  }
  PrepareResult Prep(const Frame& f, const PrepareOptions& o) {
    headers_.assign(kTxParseWindow, 0);
    return PrepareNvgreSend(f, o, headers_);
  }
  std::vector<Frame> gre_, plain_, deepflow_;
  Frame headers_;
};

// Checksum offload of frame 5: the exact OOB values and the template bytes.
TEST_F(StackPrep, ChecksumOffloadOvsFrame5) {
  const Frame& f = gre_[4];
  PrepareResult r = Prep(f, {});
  ASSERT_TRUE(r) << ToString(r.error());
  EXPECT_EQ(r->header_length, 96u);
  EXPECT_EQ(r->mss, 0u);
  EXPECT_FALSE(r->outer_ipv6);
  EXPECT_FALSE(r->inner_ipv6);
  EXPECT_EQ(r->inner_protocol, 6);
  // IsEncapsulatedPacket | OffsetsValid | InnerFrameOffset 42 | rel 14 | rel 20 (ndis_oob.h).
  EXPECT_EQ(r->oob.supplemental.raw(), 0x001438ABu);
  // IsIPv4 (outer) | TcpChecksum | IpHeaderChecksum | TcpHeaderOffset 34 (the inner stack's
  // offset: 14 + 20 from the inner frame start; wrong for the packet, ignored by the NIC).
  EXPECT_EQ(r->oob.checksum.raw(), 0x00220015u);
  EXPECT_EQ(r->oob.large_send, 0u);
  EXPECT_EQ(r->oob.uso.raw(), 0u);
  // Template: both IPv4 checksums 0, lengths real, TCP = pseudo-header sum with length 520.
  EXPECT_EQ(Get16(headers_, 16), 582u);
  EXPECT_EQ(Get16(headers_, 24), 0u);
  EXPECT_EQ(Get16(headers_, 58), 540u);
  EXPECT_EQ(Get16(headers_, 66), 0u);
  EXPECT_EQ(Get16(headers_, 92), 0x7963u);
  // Everything else is the frame's.
  for (std::size_t i = 0; i < 96; ++i) {
    if (i == 24 || i == 25 || i == 66 || i == 67 || i == 92 || i == 93) continue;
    EXPECT_EQ(headers_[i], f[i]) << i;
  }
}

// Found by the tx_engine fuzzer: an inner length field left 0 is filled from the end of the
// outer IP packet, not from the frame size (bytes after the outer packet are not the inner's).
TEST_F(StackPrep, ZeroInnerLengthFilledFromOuterPacketNotTrailer) {
  Frame f = gre_[4];
  Put16(f, 58, 0);                      // inner IPv4 total length left 0
  f.insert(f.end(), 53, 0xEE);          // 53 trailing bytes after the outer IPv4 packet
  PrepareResult r = Prep(f, {});
  ASSERT_TRUE(r) << ToString(r.error());
  EXPECT_EQ(Get16(headers_, 16), 582u);  // outer unchanged
  EXPECT_EQ(Get16(headers_, 58), 540u);  // 14 + 582 - 56: the inner packet ends with the outer
}

// LSOv2 of the same frame: lengths 0 (inner by the base rule, outer by our reading), IPv4
// checksums 0, TCP = pseudo-header sum WITHOUT the length, LsoV2Transmit filled.
TEST_F(StackPrep, LsoV2TemplateOvsFrame5) {
  PrepareResult r = Prep(gre_[4], {.segmentation = Segmentation::kLsoV2, .mss = 500});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mss, 500u);
  // MSS 500 | TcpHeaderOffset 34 << 20 | Type V2 (bit 30) | IPVersion IPv4 (bit 31 = 0).
  EXPECT_EQ(r->oob.large_send, 0x422001F4u);
  EXPECT_EQ(LsoV2TxInfo::FromRaw(r->oob.large_send).ip_version(), OffloadIpVersion::kIpv4);
  EXPECT_EQ(r->oob.checksum.raw(), 0x00220015u);
  EXPECT_EQ(Get16(headers_, 16), 0u);  // outer Total Length
  EXPECT_EQ(Get16(headers_, 24), 0u);
  EXPECT_EQ(Get16(headers_, 58), 0u);  // inner Total Length
  EXPECT_EQ(Get16(headers_, 66), 0u);
  // c0a8+7b02+c0a8+7b01+0006 = 0x27759 -> 0x775b.
  EXPECT_EQ(Get16(headers_, 92), 0x775Bu);
  // The classifier reads the template as the NIC does (length 0 = to the end of the buffer).
  Frame t(headers_.begin(), headers_.begin() + 96);
  t.insert(t.end(), gre_[4].begin() + 96, gre_[4].end());
  const wire::FrameLayout l = wire::ClassifyFrame(t);
  EXPECT_TRUE(l.is_nvgre());
  EXPECT_TRUE(l.outer_l3.length_zero);
  EXPECT_TRUE(l.inner_l3.length_zero);
  EXPECT_EQ(l.payload, 96);
}

// The MSS when derived from the MTU is reduced by the encapsulation overhead (§4): every byte
// from the outer IP header to the inner payload.
TEST_F(StackPrep, MssFromMtu) {
  // Outer IPv4 20 + GRE 8 + inner Ethernet 14 + inner IPv4 20 + TCP 20 = 82.
  EXPECT_EQ(NvgreMssForMtu(gre_[4], 1500), 1418u);
  PrepareResult r = Prep(gre_[4], {.segmentation = Segmentation::kLsoV2, .mtu = 1500});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mss, 1418u);
  EXPECT_EQ(LsoV2TxInfo::FromRaw(r->oob.large_send).mss(), 1418u);
  // Outer IPv4 / inner IPv6: 20 + 8 + 14 + 40 + 20 = 102.
  EXPECT_EQ(NvgreMssForMtu(gre_[0], 1500), 1398u);
  // Outer IPv6 with GRE C+K (12 bytes) / inner IPv4: 40 + 12 + 14 + 20 + 20 = 106.
  EXPECT_EQ(NvgreMssForMtu(gre_[12], 1500), 1394u);
  EXPECT_EQ(NvgreMssForMtu(gre_[4], 9000), 8918u);
  EXPECT_EQ(NvgreMssForMtu(gre_[4], 82), 0u);
  EXPECT_EQ(NvgreMssForMtu(plain_[0], 1500), 0u);  // not NVGRE-shaped
  EXPECT_EQ(Prep(gre_[4], {.segmentation = Segmentation::kLsoV2, .mtu = 82}).error(),
            PrepareError::kMtuTooSmall);
}

// Mixed versions: IsIPv4/IsIPv6 and IPVersion follow the OUTER header, IsInnerIPv6 the inner.
TEST_F(StackPrep, VersionsOuterAndInner) {
  PrepareResult r1 = Prep(gre_[0], {.segmentation = Segmentation::kLsoV2, .mss = 500});
  ASSERT_TRUE(r1);
  EXPECT_TRUE(r1->inner_ipv6);
  EXPECT_TRUE(r1->oob.supplemental.is_inner_ipv6());
  EXPECT_TRUE(r1->oob.checksum.is_ipv4());
  EXPECT_FALSE(r1->oob.checksum.is_ipv6());
  EXPECT_EQ(LsoV2TxInfo::FromRaw(r1->oob.large_send).ip_version(), OffloadIpVersion::kIpv4);
  EXPECT_EQ(r1->oob.supplemental.inner_l3_offset(), 56u);
  EXPECT_EQ(r1->oob.supplemental.inner_l4_offset(), 96u);
  EXPECT_EQ(Get16(headers_, 56 + 4), 0u);  // inner IPv6 Payload Length 0 in the template

  PrepareResult r2 = Prep(gre_[12], {.segmentation = Segmentation::kLsoV2, .mss = 500});
  ASSERT_TRUE(r2) << "GRE C/S are the NIC's to refuse, not the stack's";
  EXPECT_TRUE(r2->outer_ipv6);
  EXPECT_FALSE(r2->inner_ipv6);
  EXPECT_TRUE(r2->oob.checksum.is_ipv6());
  EXPECT_FALSE(r2->oob.checksum.is_ipv4());
  EXPECT_EQ(LsoV2TxInfo::FromRaw(r2->oob.large_send).ip_version(), OffloadIpVersion::kIpv6);
  EXPECT_EQ(r2->oob.supplemental.inner_frame_offset(), 14u + 40u + 12u);
  EXPECT_EQ(Get16(headers_, 14 + 4), 0u);  // outer IPv6 Payload Length 0
  // ... and the NIC refuses it.
  std::vector<Bytes> buffers{Bytes(headers_).first(r2->header_length),
                             Bytes(gre_[12]).subspan(r2->header_length)};
  TxOob oob = r2->oob;
  TxSegmentArray<8> storage;
  TxStats stats;
  EXPECT_EQ(ProcessTxPacket(TxOffloadConfig{}, buffers, oob, storage.output(), stats).refusal,
            TxRefusal::kGreChecksumOrSequence);
}

// A real capture: inner ICMP gets IpHeaderChecksum only; the ICMP checksum stays the stack's.
// Through the engine it comes back byte for byte.
TEST_F(StackPrep, InnerIcmpRealCapture) {
  const Frame& f = deepflow_[0];
  ASSERT_EQ(f.size(), 140u);
  PrepareResult r = Prep(f, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->inner_protocol, 1);
  EXPECT_EQ(r->header_length, 76u);  // through the inner IPv4 header
  EXPECT_EQ(r->oob.checksum.raw(), 0x00220011u);  // IsIPv4 | IpHeaderChecksum | offset 34
  EXPECT_EQ(r->oob.supplemental.raw(), 0x001438ABu);
  EXPECT_EQ(Get16(headers_, 24), 0u);
  EXPECT_EQ(Get16(headers_, 66), 0u);
  EXPECT_EQ(Get16(f, 24), 0xa6b0u);
  EXPECT_EQ(Get16(f, 66), 0xd610u);
  EXPECT_EQ(PrepareNvgreSend(f, {.segmentation = Segmentation::kLsoV2, .mss = 100}, headers_).error(),
            PrepareError::kNotTcp);
  EXPECT_EQ(PrepareNvgreSend(f, {.segmentation = Segmentation::kUso, .mss = 100}, headers_).error(),
            PrepareError::kNotUdp);
  r = Prep(f, {});
  std::vector<Bytes> buffers{Bytes(headers_).first(76), Bytes(f).subspan(76)};
  TxOob oob = r->oob;
  TxSegmentArray<2> storage;
  TxStats stats;
  TxOutput out = storage.output();
  TxResult tx = ProcessTxPacket(TxOffloadConfig{}, buffers, oob, out, stats);
  ASSERT_TRUE(tx.ok()) << ToString(tx.refusal);
  Frame sent(tx.segments(out)[0].size());
  LinearizeSegment(tx.segments(out)[0], sent);
  EXPECT_EQ(sent, f);
}

// USO: a UDP version of frame 5 (TCP header replaced by UDP 5000 > 4789, 500 payload bytes).
TEST_F(StackPrep, UsoTemplate) {
  Frame f(76 + 8 + 500, 0x5a);
  std::copy(gre_[4].begin(), gre_[4].begin() + 76, f.begin());
  const std::uint8_t udp[8] = {0x13, 0x88, 0x12, 0xb5, 0x01, 0xfc, 0x00, 0x00};  // length 508
  std::copy(udp, udp + 8, f.begin() + 76);
  Put16(f, 16, static_cast<std::uint32_t>(f.size() - 14));
  Put16(f, 58, static_cast<std::uint32_t>(f.size() - 56));
  f[56 + 9] = 17;
  PrepareResult r = Prep(f, {.segmentation = Segmentation::kUso, .mss = 100});
  ASSERT_TRUE(r) << ToString(r.error());
  EXPECT_EQ(r->header_length, 84u);
  // MSS 100 | UdpHeaderOffset 34 << 20 | IPVersion IPv4.
  EXPECT_EQ(r->oob.uso.raw(), 0x02200064u);
  // IsIPv4 | UdpChecksum | IpHeaderChecksum | offset 34.
  EXPECT_EQ(r->oob.checksum.raw(), 0x00220019u);
  EXPECT_FALSE(r->oob.supplemental.tcp_options_present());
  EXPECT_EQ(Get16(headers_, 76 + 4), 0u);  // UDP Length 0 in the template
  // c0a8+7b02+c0a8+7b01+0011 = 0x27764 -> 0x7766: pseudo-header WITHOUT length.
  EXPECT_EQ(Get16(headers_, 76 + 6), 0x7766u);
  // Checksum offload of the same frame seeds WITH the UDP length (508): 0x27764 + 0x1fc.
  r = Prep(f, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(Get16(headers_, 76 + 6), 0x7962u);
  EXPECT_EQ(Get16(headers_, 76 + 4), 508u);
}

// An outer VLAN tag moves every offset by 4; the legacy offsets are the inner stack's.
TEST_F(StackPrep, OuterVlanShiftsOffsets) {
  Frame f(gre_[4].size() + 4);
  const std::uint8_t tag[4] = {0x81, 0x00, 0x00, 0x64};
  std::copy(gre_[4].begin(), gre_[4].begin() + 12, f.begin());
  std::copy(tag, tag + 4, f.begin() + 12);
  std::copy(gre_[4].begin() + 12, gre_[4].end(), f.begin() + 16);
  PrepareResult r = Prep(f, {.segmentation = Segmentation::kLsoV2, .mss = 500});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->oob.supplemental.inner_frame_offset(), 46u);
  EXPECT_EQ(r->oob.supplemental.inner_l4_offset(), 80u);
  EXPECT_EQ(r->header_length, 100u);
  EXPECT_EQ(LsoV2TxInfo::FromRaw(r->oob.large_send).tcp_header_offset(), 34u);
}

TEST_F(StackPrep, Errors) {
  EXPECT_EQ(Prep(plain_[0], {}).error(), PrepareError::kNotNvgreShaped);
  EXPECT_EQ(Prep(Frame{}, {}).error(), PrepareError::kMalformed);
  Frame cut(gre_[4].begin(), gre_[4].begin() + 70);  // inner IPv4 header cut
  EXPECT_EQ(Prep(cut, {}).error(), PrepareError::kMalformed);
  Frame short_ip = gre_[4];  // outer Total Length beyond the frame: a truncated capture
  Put16(short_ip, 16, 1000);
  EXPECT_EQ(Prep(short_ip, {}).error(), PrepareError::kMalformed);
  Frame frag = gre_[4];
  Put16(frag, 56 + 6, 0x2000);  // inner MF
  EXPECT_EQ(Prep(frag, {}).error(), PrepareError::kInnerFragment);
  Frame small(95);
  EXPECT_EQ(PrepareNvgreSend(gre_[4], {}, small).error(), PrepareError::kBufferTooSmall);
  EXPECT_EQ(Prep(gre_[4], {.segmentation = Segmentation::kLsoV2, .mss = 1u << 20}).error(),
            PrepareError::kMssDoesNotFit);
  for (std::size_t i = 0; i < static_cast<std::size_t>(PrepareError::kCount); ++i) {
    EXPECT_NE(ToString(static_cast<PrepareError>(i)), "?");
  }
}

// Only what the stack asks for is requested: no IpHeaderChecksum without an IPv4 header, no
// checksum word at all when nothing is asked.
TEST_F(StackPrep, RequestsFollowOptions) {
  PrepareResult r = Prep(gre_[4], {.ip_header_checksum = false, .l4_checksum = false});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->oob.checksum.raw(), 0u);
  EXPECT_TRUE(r->oob.supplemental.is_encapsulated_packet());
  EXPECT_EQ(Get16(headers_, 24), Get16(gre_[4], 24)) << "nothing asked, nothing zeroed";
  EXPECT_EQ(Get16(headers_, 92), Get16(gre_[4], 92));
  // Outer IPv6 / inner IPv6 (frame 9): no IPv4 header, so no IpHeaderChecksum.
  r = Prep(gre_[8], {});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->oob.checksum.ip_header_checksum());
  EXPECT_TRUE(r->oob.checksum.tcp_checksum());
  EXPECT_TRUE(r->oob.checksum.is_ipv6());
}

}  // namespace
}  // namespace nvgre::offload
