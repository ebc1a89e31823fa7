// Known answers from ../shared/testdata/SOURCES.md, through the pcap reader and the classifier.
#include <gtest/gtest.h>

#include "captures/capture_util.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::wire {
namespace {

using nvgre::testing::LoadFrames;
using nvgre::testing::ProjectTestdata;
using nvgre::testing::SharedTestdata;

std::uint16_t Be16At(const std::vector<std::uint8_t>& f, std::size_t o) {
  return static_cast<std::uint16_t>((f[o] << 8) | f[o + 1]);
}

// SOURCES.md §2.1: VSID 0x123456, FlowID 2, inner TCP 1001 -> 1002 ACK, payload ab cd; the
// outer IPv4, inner IPv4 and TCP checksums are all 0x0000 (bad).
TEST(KnownAnswers, PacketnetNvgre) {
  auto frames = LoadFrames(ProjectTestdata("packetnet_gre_nvgre.pcap"));
  ASSERT_EQ(frames.size(), 1u);
  const auto& f = frames[0].data;
  FrameLayout l = ClassifyFrame(f);
  ASSERT_FALSE(l.error.has_value());
  ASSERT_TRUE(l.is_nvgre());
  EXPECT_EQ(l.vsid(), 0x123456u);
  EXPECT_EQ(l.flow_id(), 2);
  EXPECT_EQ(l.gre.key, 0x12345602u);
  EXPECT_EQ(l.outer_l3.offset, 14);
  EXPECT_EQ(l.gre.offset, 34);
  EXPECT_EQ(l.inner_l2.offset, 42);
  EXPECT_EQ(l.inner_l3.offset, 56);
  EXPECT_EQ(l.inner_l4, 76);
  EXPECT_EQ(l.payload, 96);
  EXPECT_EQ(l.l4_protocol, kIpProtoTcp);
  EXPECT_EQ(Be16At(f, l.inner_l4), 1001);
  EXPECT_EQ(Be16At(f, l.inner_l4 + 2), 1002);
  EXPECT_EQ(f[l.payload], 0xab);
  EXPECT_EQ(f[l.payload + 1], 0xcd);
  EXPECT_EQ(l.inner_l3.end, 98u);
  ChecksumReport c = VerifyChecksums(f, l);
  EXPECT_EQ(c.outer_ip, CsumState::kBad);
  EXPECT_EQ(c.gre, CsumState::kAbsent);
  EXPECT_EQ(c.inner_ip, CsumState::kBad);
  EXPECT_EQ(c.inner_l4, CsumState::kBad);
}

// SOURCES.md §2.1: frame 7 is GRE 0x2000 key 0x0000fde8, TEB, inner TCP SYN 1232 -> 80, all
// checksums valid. Read from the pcapng (block-reader fallback) and from its converted twin.
TEST(KnownAnswers, PcapplusplusFrame7) {
  for (const char* name : {"pcapplusplus_GrePackets.pcapng", "pcapplusplus_GrePackets.converted.pcap"}) {
    SCOPED_TRACE(name);
    auto frames = LoadFrames(SharedTestdata(name));
    ASSERT_EQ(frames.size(), 7u);
    const auto& f = frames[6].data;
    FrameLayout l = ClassifyFrame(f);
    ASSERT_TRUE(l.is_nvgre());
    EXPECT_EQ(l.gre.key, 0x0000fde8u);
    EXPECT_EQ(l.vsid(), 0x0000fdu);
    EXPECT_EQ(l.flow_id(), 0xe8);
    EXPECT_TRUE(IsReservedVsid(l.vsid()));  // 0x0000fd is in the reserved 0x000-0xFFF range
    EXPECT_EQ(Be16At(f, l.inner_l4), 1232);
    EXPECT_EQ(Be16At(f, l.inner_l4 + 2), 80);
    EXPECT_EQ(f[l.inner_l4 + 13], 0x02);  // SYN
    ChecksumReport c = VerifyChecksums(f, l);
    EXPECT_EQ(c.outer_ip, CsumState::kGood);
    EXPECT_EQ(c.inner_ip, CsumState::kGood);
    EXPECT_EQ(c.inner_l4, CsumState::kGood);
    // The other six frames are GREv1 (1, 2, 6) or GREv0 without TEB (3, 4, 5): not NVGRE.
    for (std::size_t i = 0; i < 6; ++i) EXPECT_FALSE(ClassifyFrame(frames[i].data).is_nvgre()) << i + 1;
  }
}

// SOURCES.md §2.1: a real capture, all 57 frames GRE K + 0x6558; key 0x02000000 or 0.
TEST(KnownAnswers, DeepflowAll57AreNvgre) {
  auto frames = LoadFrames(ProjectTestdata("deepflow_vmware-gre-teb.pcap"));
  ASSERT_EQ(frames.size(), 57u);
  int vsid_0x020000 = 0, vsid_0 = 0;
  for (const auto& fr : frames) {
    FrameLayout l = ClassifyFrame(fr.data);
    ASSERT_TRUE(l.is_nvgre()) << "frame " << fr.number;
    EXPECT_EQ(l.flow_id(), 0);
    if (l.vsid() == 0x020000) ++vsid_0x020000;
    if (l.vsid() == 0) ++vsid_0;
    ChecksumReport c = VerifyChecksums(fr.data, l);
    EXPECT_EQ(c.outer_ip, CsumState::kGood) << fr.number;
    EXPECT_NE(c.inner_ip, CsumState::kBad) << fr.number;
  }
  EXPECT_EQ(vsid_0x020000 + vsid_0, 57);
  EXPECT_GT(vsid_0x020000, 0);
  EXPECT_GT(vsid_0, 0);
  // deepflow's own test: frame 3 decapsulates at offset 28 from the outer IP header.
  FrameLayout l3 = ClassifyFrame(frames[2].data);
  EXPECT_EQ(l3.inner_l2.offset - l3.outer_l3.offset, 28);
}

// SOURCES.md §2.1: gopacket frame 2 is TEB without the K bit: not NVGRE, for that reason.
TEST(KnownAnswers, GopacketTebWithoutKeyIsNotNvgre) {
  auto frames = LoadFrames(SharedTestdata("gopacket_gre_test.pcap"));
  ASSERT_EQ(frames.size(), 2u);
  FrameLayout l = ClassifyFrame(frames[1].data);
  EXPECT_FALSE(l.is_nvgre());
  EXPECT_EQ(l.encapsulation, Encapsulation::kGreEthernet);
  EXPECT_EQ(l.nvgre_violation, NvgreViolation::kKeyAbsent);
  EXPECT_TRUE(l.inner_l3.present());  // the inner frame is still located, not guessed
  FrameLayout l1 = ClassifyFrame(frames[0].data);
  EXPECT_EQ(l1.encapsulation, Encapsulation::kGreIp);
  EXPECT_EQ(l1.nvgre_violation, NvgreViolation::kNotTeb);
}

// GREv1 (PPTP, tencent) and ERSPAN are not NVGRE.
TEST(KnownAnswers, GreV1AndErspanAreNotNvgre) {
  for (const char* name : {"pcapplusplus_GrePackets_pptp.pcap", "deepflow_tencent-gre.pcap"}) {
    for (const auto& fr : LoadFrames(SharedTestdata(name))) {
      FrameLayout l = ClassifyFrame(fr.data);
      EXPECT_FALSE(l.is_nvgre()) << name << " " << fr.number;
      if (l.gre.present()) {
        EXPECT_EQ(l.gre.version(), 1) << name << " " << fr.number;
        EXPECT_EQ(l.nvgre_violation, NvgreViolation::kBadVersion) << name << " " << fr.number;
      }
    }
  }
  int gre_frames = 0;
  for (const char* name : {"tcpdump_erspan-type-ii-1.pcap", "tcpdump_erspan-type-iii-ft-0.pcap"}) {
    for (const auto& fr : LoadFrames(SharedTestdata(name))) {
      FrameLayout l = ClassifyFrame(fr.data);
      EXPECT_FALSE(l.is_nvgre()) << name << " " << fr.number;
      if (!l.gre.present()) continue;
      ++gre_frames;
      EXPECT_EQ(l.encapsulation, Encapsulation::kGreOther);
      EXPECT_EQ(l.nvgre_violation, NvgreViolation::kNotTeb) << name << " " << fr.number;
    }
  }
  EXPECT_EQ(gre_frames, 10);
}

// SOURCES.md §2.2 and §4: frames 1-8 outer IPv4 (no GRE checksum), 9-16 outer IPv6 with
// GRE C+K whose checksum is right only in frame 9. Inner IPv6 in 1-4 and 9-12.
TEST(KnownAnswers, OvsTsoTunnelGre) {
  auto frames = LoadFrames(ProjectTestdata("ovs_tso_tunnel_gre_expected.pcap"));
  ASSERT_EQ(frames.size(), 16u);
  for (const auto& fr : frames) {
    SCOPED_TRACE(fr.number);
    FrameLayout l = ClassifyFrame(fr.data);
    ASSERT_FALSE(l.error.has_value());
    const bool outer6 = fr.number >= 9;
    const bool inner6 = (fr.number - 1) % 8 < 4;
    EXPECT_EQ(l.outer_l3.version, outer6 ? 6 : 4);
    EXPECT_EQ(l.inner_l3.version, inner6 ? 6 : 4);
    EXPECT_EQ(l.gre.key, 0x7bu);
    EXPECT_EQ(l.l4_protocol, kIpProtoTcp);
    EXPECT_EQ(l.inner_l3.end - l.payload, 500u);
    ChecksumReport c = VerifyChecksums(fr.data, l);
    EXPECT_EQ(c.outer_ip, outer6 ? CsumState::kAbsent : CsumState::kGood);
    EXPECT_EQ(c.inner_ip, inner6 ? CsumState::kAbsent : CsumState::kGood);
    EXPECT_EQ(c.inner_l4, CsumState::kGood);
    if (outer6) {
      EXPECT_FALSE(l.is_nvgre());
      EXPECT_EQ(l.nvgre_violation, NvgreViolation::kChecksumPresent);
      EXPECT_EQ(c.gre, fr.number == 9 ? CsumState::kGood : CsumState::kBad);
    } else {
      EXPECT_TRUE(l.is_nvgre());
      EXPECT_EQ(c.gre, CsumState::kAbsent);
    }
  }
}

// OVS decap inputs (SOURCES.md §2.2): frame 3 has outer IPv4 checksum 0xDEAD; 5 is outer IPv6 TEB.
TEST(KnownAnswers, OvsDecapInputs) {
  auto frames = LoadFrames(SharedTestdata("ovs_gre_decap_inputs.pcap"));
  ASSERT_EQ(frames.size(), 6u);
  FrameLayout l1 = ClassifyFrame(frames[0].data);
  EXPECT_TRUE(l1.is_nvgre());
  EXPECT_EQ(l1.gre.key, 0x1c8u);
  EXPECT_EQ(VerifyChecksums(frames[2].data, ClassifyFrame(frames[2].data)).outer_ip, CsumState::kBad);
  EXPECT_EQ(VerifyChecksums(frames[1].data, ClassifyFrame(frames[1].data)).outer_ip, CsumState::kGood);
  FrameLayout l5 = ClassifyFrame(frames[4].data);
  EXPECT_EQ(l5.outer_l3.version, 6);
  EXPECT_TRUE(l5.is_nvgre());
  FrameLayout l6 = ClassifyFrame(frames[5].data);
  EXPECT_EQ(l6.encapsulation, Encapsulation::kGreIp);
  EXPECT_EQ(l6.gre.key, 0x1c7u);
}

}  // namespace
}  // namespace nvgre::wire
