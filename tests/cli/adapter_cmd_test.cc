// `nvgre adapter show|set` end to end: capabilities and current config as NDIS reports them,
// keyword diagnostics, and OID_TCP_OFFLOAD_PARAMETERS changes persisted to a keywords file.
#include "cli/cli_util.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using nvgre::testing::CmdResult;

CmdResult RunNvgre(const std::string& args) { return nvgre::testing::RunNvgre(args, "&1"); }

// The last JSON line of the output (stderr diagnostics are interleaved as plain text).
nlohmann::json LastJson(const std::string& out) {
  std::istringstream s(out);
  std::string json_line;
  for (std::string line; std::getline(s, line);) {
    if (!line.empty() && line.front() == '{') json_line = line;
  }
  return nlohmann::json::parse(json_line);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class AdapterCli : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "adapter_cli_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".txt";
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }
  std::string path_;
};

TEST_F(AdapterCli, ShowJsonDefaults) {
  const CmdResult r = RunNvgre("adapter show --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = LastJson(r.out);
  const auto& gre = j["hardware_capabilities"]["EncapsulatedPacketTaskOffloadGre"];
  EXPECT_EQ(gre["raw"], "0x00ffffff");
  EXPECT_EQ(gre["RssSupported"], "INNER_IPV4|OUTER_IPV4|INNER_IPV6|OUTER_IPV6");
  EXPECT_EQ(gre["MaxHeaderSizeSupported"], 256);
  // Spec §8.1: inactive until the OID, although *EncapsulatedPacketTaskOffload defaults to 1.
  EXPECT_EQ(j["current_config"]["EncapsulatedPacketTaskOffloadGre"]["raw"], "0x00000000");
  EXPECT_EQ(j["current_config"]["EncapsulationTypes"], 0);
  EXPECT_EQ(j["encapsulated_offload_active"], false);
  EXPECT_EQ(j["keywords"]["*EncapsulatedPacketTaskOffload"], 1);
  EXPECT_EQ(j["current_config"]["Checksum"]["IPv4Receive"]["TcpChecksum"], 1);
  EXPECT_EQ(j["current_config"]["LsoV2"]["IPv6"]["MaxOffLoadSize"], 262144);
  EXPECT_EQ(j["vmq"]["queues"], 16);
  EXPECT_EQ(j["rss"]["indirection_table_max_entries"], 128);
}

TEST_F(AdapterCli, ShowTextAndKeywordDiagnostics) {
  Write("*LsoV2IPv4=0\n*RSS=5\n*Vendor=1\n");
  const CmdResult r = RunNvgre("adapter show --keywords " + path_);
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("line 2: *RSS=5: invalid value (0..1), default 1 used"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES (NDIS_OFFLOAD revision 6, 216 bytes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NVGRE task offload: inactive until OID_TCP_OFFLOAD_PARAMETERS"), std::string::npos);
  EXPECT_NE(r.out.find("*LsoV2IPv4=0\n"), std::string::npos);
  EXPECT_NE(r.out.find("*RSS=1 (default)"), std::string::npos);
  const auto j = LastJson(RunNvgre("adapter show --json --keywords " + path_).out);
  EXPECT_EQ(j["keyword_diagnostics"][0]["line"], 2);
  EXPECT_EQ(j["current_config"]["LsoV2"]["IPv4"]["Encapsulation"], 0);
  EXPECT_EQ(RunNvgre("adapter show --keywords /nonexistent/k.txt").status, 2);
}

TEST_F(AdapterCli, SetEncapOnPersistsAndIndicates) {
  Write("# NIC 1\n*EncapsulatedPacketTaskOffload=0\n*VendorSpecific=abc\n");
  const CmdResult r = RunNvgre("adapter set --json --keywords " + path_ + " --encap-offload on");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = LastJson(r.out);
  EXPECT_EQ(j["status"], "NDIS_STATUS_SUCCESS");
  EXPECT_EQ(j["indication"]["status"], "NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG");
  EXPECT_EQ(j["indication"]["status_code"], 0x40020006);
  EXPECT_EQ(j["indication"]["offload"]["EncapsulatedPacketTaskOffloadGre"]["raw"], "0x00ffffff");
  EXPECT_EQ(j["indication"]["offload"]["EncapsulationTypes"], 1);
  EXPECT_EQ(ReadFile(path_), "# NIC 1\n*EncapsulatedPacketTaskOffload=1\n*VendorSpecific=abc\n");
  ASSERT_EQ(RunNvgre("adapter set --keywords " + path_ + " --encap-offload off").status, 0);
  EXPECT_EQ(ReadFile(path_), "# NIC 1\n*EncapsulatedPacketTaskOffload=0\n*VendorSpecific=abc\n");
}

TEST_F(AdapterCli, SetBaseOffloadsAppendsKeywords) {
  const CmdResult r = RunNvgre("adapter set --keywords " + path_ +
                               " --tcp-ipv4-checksum rx --lso-v2-ipv6 off --rsc-ipv4 off");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("OID_TCP_OFFLOAD_PARAMETERS: NDIS_STATUS_SUCCESS (0x00000000)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG (0x40020006)"), std::string::npos);
  EXPECT_EQ(ReadFile(path_), "*TCPChecksumOffloadIPv4=2\n*LsoV2IPv6=0\n*RscIPv4=0\n");
  const auto j = LastJson(RunNvgre("adapter show --json --keywords " + path_).out);
  EXPECT_EQ(j["current_config"]["Checksum"]["IPv4Transmit"]["TcpChecksum"], 0);
  EXPECT_EQ(j["current_config"]["Checksum"]["IPv4Receive"]["TcpChecksum"], 1);
  EXPECT_EQ(j["current_config"]["Rsc"]["IPv4"]["Enabled"], false);
}

TEST_F(AdapterCli, SetFailuresLeaveTheFileAlone) {
  const std::string text = "*EncapsulatedPacketTaskOffload=1\n";
  Write(text);
  CmdResult r = RunNvgre("adapter set --json --keywords " + path_ + " --encap-offload 3");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(LastJson(r.out)["status"], "NDIS_STATUS_INVALID_DATA");
  EXPECT_EQ(LastJson(r.out)["status_code"], 0xC0010015u);
  EXPECT_TRUE(LastJson(r.out)["indication"].is_null());
  r = RunNvgre("adapter set --json --keywords " + path_ + " --encap-offload on --encapsulation-types 2");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(LastJson(r.out)["status"], "NDIS_STATUS_NOT_SUPPORTED");
  EXPECT_EQ(LastJson(r.out)["status_code"], 0xC00000BBu);
  r = RunNvgre("adapter set --keywords " + path_ + " --tcp-ipv6-checksum 9");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(ReadFile(path_), text);
  EXPECT_EQ(RunNvgre("adapter set --keywords " + path_ + " --lso-v2-ipv4 sometimes").status, 2);
  EXPECT_NE(RunNvgre("adapter set --encap-offload on").status, 0);  // --keywords is required
}

}  // namespace
