// `nvgre inspect` end to end: run the built binary on captures and check its output.
#include "cli/cli_util.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using nvgre::testing::CmdResult;
using nvgre::testing::JsonLines;
using nvgre::testing::RunNvgre;

const std::string kTestdata = NVGRE_TESTDATA_DIR;
const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;

TEST(InspectCli, JsonKeysForPacketnetNvgre) {
  CmdResult r = RunNvgre("inspect --json " + kTestdata + "/packetnet_gre_nvgre.pcap");
  ASSERT_EQ(r.status, 0);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u);  // one frame + the summary
  const auto& f = lines[0];
  EXPECT_EQ(f["frame"], 1);
  EXPECT_EQ(f["nvgre"]["vsid"], 0x123456);
  EXPECT_EQ(f["nvgre"]["flow_id"], 2);
  EXPECT_TRUE(f["not_nvgre_reason"].is_null());
  EXPECT_EQ(f["outer"]["ip_version"], 4);
  EXPECT_EQ(f["outer"]["src"], "100.0.17.1");
  EXPECT_EQ(f["outer"]["dst"], "100.0.17.2");
  EXPECT_EQ(f["outer"]["proto"], 47);
  EXPECT_EQ(f["inner"]["ip_version"], 4);
  EXPECT_EQ(f["inner"]["src"], "10.0.0.1");
  EXPECT_EQ(f["inner"]["dst"], "10.0.0.2");
  EXPECT_EQ(f["inner"]["proto"], 6);
  EXPECT_EQ(f["inner"]["src_mac"], "aa:bb:00:00:10:01");
  EXPECT_EQ(f["inner"]["dst_mac"], "aa:bb:00:00:10:02");
  EXPECT_EQ(f["inner"]["sport"], 1001);
  EXPECT_EQ(f["inner"]["dport"], 1002);
  EXPECT_EQ(f["checksums"]["outer_ip"], "bad");
  EXPECT_EQ(f["checksums"]["gre"], "absent");
  EXPECT_EQ(f["checksums"]["inner_ip"], "bad");
  EXPECT_EQ(f["checksums"]["inner_l4"], "bad");
  EXPECT_EQ(f["offsets"]["inner_l4"], 76);
  EXPECT_TRUE(f["error"].is_null());
  EXPECT_EQ(lines[1]["summary"]["frames"], 1);
  EXPECT_EQ(lines[1]["summary"]["verdicts"]["nvgre"], 1);
}

TEST(InspectCli, NotNvgreReasonAndOuterIpv6) {
  CmdResult r = RunNvgre("inspect --json " + kShared + "/gopacket_gre_test.pcap");
  ASSERT_EQ(r.status, 0);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[1]["nvgre"].is_null());
  EXPECT_EQ(lines[1]["not_nvgre_reason"], "gre-key-absent");
  EXPECT_EQ(lines[0]["not_nvgre_reason"], "protocol-not-teb");
  EXPECT_EQ(lines[2]["summary"]["not_nvgre_reasons"]["gre-key-absent"], 1);

  CmdResult o = RunNvgre("inspect --json " + kTestdata + "/ovs_tso_tunnel_gre_expected.pcap");
  auto ovs = JsonLines(o.out);
  ASSERT_EQ(ovs.size(), 17u);
  EXPECT_EQ(ovs[8]["outer"]["ip_version"], 6);
  EXPECT_EQ(ovs[8]["outer"]["src"], "2001:cafe::88");
  EXPECT_EQ(ovs[8]["not_nvgre_reason"], "gre-checksum-present");
  EXPECT_EQ(ovs[8]["checksums"]["gre"], "good");
  EXPECT_EQ(ovs[9]["checksums"]["gre"], "bad");
  EXPECT_EQ(ovs[16]["summary"]["checksums"]["gre"]["bad"], 7);
}

TEST(InspectCli, PcapngWithTwoInterfaces) {
  CmdResult r = RunNvgre("inspect " + kShared + "/pcapplusplus_GrePackets.pcapng");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("7 IPv4 1.2.3.4 > 4.3.2.1 | GRE 0x2000 [K] v0 proto 0x6558 key 0x0000fde8 | NVGRE vsid 0x0000fd flow 232"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("7 frames (pcapng (nvgre block reader))"), std::string::npos) << r.out;
}

TEST(InspectCli, UnreadableFileExits2) {
  EXPECT_EQ(RunNvgre("inspect /nonexistent/x.pcap").status, 2);
  EXPECT_EQ(RunNvgre("inspect " + kShared + "/SOURCES.md").status, 2);
}

// A capture whose last record is cut short: the good frames are reported, then exit status 2
// (as `nvgre verify`; issue 12: it was 0).
TEST(InspectCli, TruncatedFileKeepsEarlierFrames) {
  std::ifstream in(kTestdata + "/deepflow_vmware-gre-teb.pcap", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 100u);
  const std::string path = ::testing::TempDir() + "/nvgre_cut.pcap";
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 30);
  CmdResult r = RunNvgre("inspect --json " + path);
  EXPECT_EQ(r.status, 2);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 57u);  // 56 frames + summary
  EXPECT_EQ(lines.back()["summary"]["frames"], 56);
  EXPECT_TRUE(lines.back()["summary"].contains("read_error"));
}

// A malformed frame is reported with its error; the frames after it are still processed.
TEST(InspectCli, MalformedFrameReportedRestProcessed) {
  CmdResult r = RunNvgre("inspect --json " + kShared + "/tcpdump_gre-heapoverflow-2.pcap");
  ASSERT_EQ(r.status, 0);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  int with_error = 0;
  for (std::size_t i = 0; i < 2; ++i) with_error += !lines[i]["error"].is_null();
  EXPECT_GE(with_error, 1);
  EXPECT_EQ(lines[2]["summary"]["frames"], 2);
}

}  // namespace
