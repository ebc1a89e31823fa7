// `nvgre rx` end to end: JSON keys and values on a known NVGRE capture (hash against the
// reference Toeplitz), every option, and every shared capture: no crash, one line per frame,
// and checksum flags consistent with the tshark 4.0.17 reference in ../shared/testdata/dissect/.
#include "cli/cli_util.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "nvgre/offload/toeplitz.h"

namespace {

using nvgre::testing::CmdResult;
using nvgre::testing::JsonLines;
using nvgre::testing::RunNvgre;

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;
const std::string kNvgre = kShared + "/packetnet_gre_nvgre.pcap";

std::uint32_t Reference(std::span<const std::uint8_t> key, std::vector<std::uint8_t> input) {
  return nvgre::offload::ToeplitzHashReference(key, input);
}

// The packetnet NVGRE frame: outer 100.0.17.1 -> 100.0.17.2 (header checksum bad), key
// 0x12345602, inner aa:bb:00:00:10:01 -> aa:bb:00:00:10:02, 10.0.0.1:1001 -> 10.0.0.2:1002 TCP
// with a bad inner IPv4 header and TCP checksum (see `nvgre inspect`).
TEST(RxCli, JsonForPacketnetNvgre) {
  const CmdResult r = RunNvgre("rx --json " + kNvgre);
  ASSERT_EQ(r.status, 0);
  const auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  const auto& f = lines[0];
  EXPECT_EQ(f["frame"], 1);
  EXPECT_EQ(f["path"], "encapsulated");
  EXPECT_TRUE(f["not_offloaded_reason"].is_null());
  EXPECT_EQ(f["checksum_flags"], nlohmann::json::array({"TcpChecksumFailed", "IpChecksumFailed"}));
  EXPECT_EQ(f["checksum_raw"], 0x05);
  EXPECT_EQ(f["ip_versions"]["outer"], 4);
  EXPECT_EQ(f["ip_versions"]["inner"], 4);
  const std::uint32_t want =
      Reference(nvgre::offload::kRssVerificationKey, {10, 0, 0, 1, 10, 0, 0, 2, 0x03, 0xe9, 0x03, 0xea});
  EXPECT_EQ(f["rss"]["hash"], want);
  EXPECT_EQ(f["rss"]["type"], "NDIS_HASH_TCP_IPV4");
  EXPECT_EQ(f["rss"]["function"], "NdisHashFunctionToeplitz");
  EXPECT_EQ(f["rss"]["hash_info"], 0x201);
  EXPECT_EQ(f["rss"]["tuple"], "inner-4-tuple");
  EXPECT_EQ(f["rss"]["slot"], want & 7u);  // default --indirection 8
  EXPECT_EQ(f["rss"]["queue"], want & 7u);
  EXPECT_EQ(f["vmq_queue"], 0);
  EXPECT_TRUE(f["vmq_filter"].is_null());
  const auto& s = lines[1]["summary"];
  EXPECT_EQ(s["frames"], 1);
  EXPECT_EQ(s["encap_offload"], "on");
  EXPECT_EQ(s["paths"]["encapsulated"], 1);
  EXPECT_EQ(s["rss_queues"][std::to_string(want & 7u)], 1);
  EXPECT_EQ(s["vmq_queues"]["0"], 1);
}

TEST(RxCli, TextOutput) {
  const CmdResult r = RunNvgre("rx " + kNvgre);
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("1 encapsulated csum=TcpChecksumFailed|IpChecksumFailed (0x005) rss=0x"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NDIS_HASH_TCP_IPV4 Toeplitz inner-4-tuple slot="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("VMQ queues: 0=1"), std::string::npos) << r.out;
}

TEST(RxCli, EncapOffloadOff) {
  const auto lines = JsonLines(RunNvgre("rx --json --encap-offload off " + kNvgre).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["path"], "encapsulation-not-offloaded");
  EXPECT_EQ(lines[0]["not_offloaded_reason"], "inactive");
  EXPECT_EQ(lines[0]["checksum_flags"], nlohmann::json::array({"IpChecksumFailed"}));  // outer only
  EXPECT_EQ(lines[0]["rss"]["type"], "NDIS_HASH_IPV4");
  EXPECT_EQ(lines[0]["rss"]["hash"],
            Reference(nvgre::offload::kRssVerificationKey, {100, 0, 17, 1, 100, 0, 17, 2}));
  EXPECT_EQ(lines[1]["summary"]["encap_offload"], "off");
  EXPECT_EQ(RunNvgre("rx --encap-offload maybe " + kNvgre).status, 2);
}

TEST(RxCli, RssOptions) {
  std::array<std::uint8_t, 40> key{};
  std::string hex;
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(i * 37 + 5);
    char b[3];
    std::snprintf(b, sizeof b, "%02x", key[i]);
    hex += b;
  }
  auto lines = JsonLines(RunNvgre("rx --json --rss-key " + hex + " --indirection 128 " + kNvgre).out);
  ASSERT_EQ(lines.size(), 2u);
  const std::uint32_t want = Reference(key, {10, 0, 0, 1, 10, 0, 0, 2, 0x03, 0xe9, 0x03, 0xea});
  EXPECT_EQ(lines[0]["rss"]["hash"], want);
  EXPECT_EQ(lines[0]["rss"]["slot"], want & 127u);
  EXPECT_EQ(lines[0]["rss"]["queue"], want & 15u);  // 16 receive queues: slot mod 16

  lines = JsonLines(RunNvgre("rx --json --rss-types IPV4,UDP_IPV4 " + kNvgre).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["rss"]["type"], "NDIS_HASH_IPV4");  // TCP_IPV4 not enabled
  EXPECT_EQ(lines[0]["rss"]["tuple"], "outer-2-tuple");
  lines = JsonLines(RunNvgre("rx --json --rss-types IPV6 " + kNvgre).out);
  EXPECT_TRUE(lines[0]["rss"].is_null());
  lines = JsonLines(RunNvgre("rx --json --indirection 1 " + kNvgre).out);
  EXPECT_EQ(lines[0]["rss"]["queue"], 0);

  EXPECT_EQ(RunNvgre("rx --rss-types TCP_IPV5 " + kNvgre).status, 2);
  EXPECT_EQ(RunNvgre("rx --rss-types IPV6_EX " + kNvgre).status, 2);  // not implemented
  EXPECT_EQ(RunNvgre("rx --indirection 3 " + kNvgre).status, 2);
  EXPECT_EQ(RunNvgre("rx --indirection 256 " + kNvgre).status, 2);
  EXPECT_EQ(RunNvgre("rx --rss-key 00ff " + kNvgre).status, 2);
}

TEST(RxCli, VmqFilters) {
  // The inner destination MAC with the encapsulation flag.
  auto lines = JsonLines(RunNvgre("rx --json --vmq mac=aa:bb:00:00:10:02,encap=3 " + kNvgre).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["vmq_queue"], 3);
  EXPECT_EQ(lines[0]["vmq_filter"], 1);
  EXPECT_EQ(lines[0]["vmq_inner_header"], true);
  EXPECT_EQ(lines[0]["filtering_info"], 0x00030000);
  EXPECT_EQ(lines[1]["summary"]["vmq_queues"]["3"], 1);
  // Without the flag the filter tests the outer header: no match.
  lines = JsonLines(RunNvgre("rx --json --vmq mac=aa:bb:00:00:10:02=3 " + kNvgre).out);
  EXPECT_EQ(lines[0]["vmq_queue"], 0);
  // The outer destination MAC, second filter, first one not matching.
  lines = JsonLines(
      RunNvgre("rx --json --vmq mac=00:00:00:00:00:01=1 --vmq mac=aa:bb:00:00:20:02=5 " + kNvgre).out);
  EXPECT_EQ(lines[0]["vmq_queue"], 5);
  EXPECT_EQ(lines[0]["vmq_filter"], 2);
  // Options after the file, one value per --vmq.
  lines = JsonLines(
      RunNvgre("rx " + kNvgre + " --vmq mac=00:00:00:00:00:01=1 --json --vmq mac=aa:bb:00:00:20:02=5").out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["vmq_filter"], 2);
  // MaskEqual, NotEqual, VLAN (the frame is untagged: a VLAN test never matches).
  EXPECT_EQ(JsonLines(RunNvgre("rx --json --vmq mac=aa:bb:00:00:00:00/ff:ff:00:00:00:00,encap=2 " + kNvgre).out)[0]["vmq_queue"], 2);
  EXPECT_EQ(JsonLines(RunNvgre("rx --json --vmq mac!=aa:bb:00:00:10:02,encap=2 " + kNvgre).out)[0]["vmq_queue"], 0);
  EXPECT_EQ(JsonLines(RunNvgre("rx --json --vmq mac=aa:bb:00:00:10:02,vlan=5,encap=2 " + kNvgre).out)[0]["vmq_queue"], 0);
  EXPECT_EQ(JsonLines(RunNvgre("rx --json --vmq mac=aa:bb:00:00:10:02,vlan!=5,encap=2 " + kNvgre).out)[0]["vmq_queue"], 0);
  EXPECT_EQ(JsonLines(RunNvgre("rx --json --vmq mac=aa:bb:00:00:10:02,untagged,encap=2 " + kNvgre).out)[0]["vmq_queue"], 2);
  // Bad filters.
  EXPECT_EQ(RunNvgre("rx --vmq mac=zz=1 " + kNvgre).status, 2);
  EXPECT_EQ(RunNvgre("rx --vmq mac=aa:bb:00:00:10:02=99 " + kNvgre).status, 2);  // no such queue
  EXPECT_EQ(RunNvgre("rx --vmq ip=1.2.3.4=1 " + kNvgre).status, 2);
  EXPECT_EQ(RunNvgre("rx --vmq encap=1 " + kNvgre).status, 2);  // no field test
  // Spec §11: VID 0 frames never match a VLAN test, so an Equal test for VID 0 is refused.
  EXPECT_EQ(RunNvgre("rx --vmq mac=aa:bb:00:00:10:02,vlan=0,encap=2 " + kNvgre).status, 2);
}

// The adapter rx models is the one `adapter show` describes: with a 128-entry indirection table
// every frame still lands on one of its receive queues (issue 12: rx used 128 queues, show 16).
TEST(RxCli, QueuesAreThoseOfAdapterShow) {
  const auto show = nlohmann::json::parse(RunNvgre("adapter show --json").out);
  const unsigned queues = show["rss"]["receive_queues"];
  EXPECT_EQ(queues, 16u);
  const CmdResult r = RunNvgre("rx --json --indirection 128 " + kShared + "/ovs_tso_tunnel_gre_expected.pcap");
  ASSERT_EQ(r.status, 0);
  const auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 17u);
  int hashed = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i]["rss"].is_null() || lines[i]["rss"]["queue"].is_null()) continue;
    EXPECT_LT(lines[i]["rss"]["queue"].get<unsigned>(), queues) << i;
    EXPECT_EQ(lines[i]["rss"]["queue"].get<unsigned>(), lines[i]["rss"]["slot"].get<unsigned>() % queues);
    ++hashed;
  }
  EXPECT_GT(hashed, 10);
}

// A capture whose last record is cut short: the frames before it are reported, then exit 2
// (as `nvgre verify`).
TEST(RxCli, TruncatedFileReportsEarlierFramesAndExits2) {
  std::ifstream in(kShared + "/ovs_tso_tunnel_gre_expected.pcap", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string path = ::testing::TempDir() + "/nvgre_rx_cut.pcap";
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  const CmdResult r = RunNvgre("rx --json " + path);
  EXPECT_EQ(r.status, 2);
  const auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 16u);  // 15 frames + summary
  EXPECT_TRUE(lines.back()["summary"].contains("read_error"));
  std::remove(path.c_str());
}

TEST(RxCli, KeywordsFile) {
  const std::string path = ::testing::TempDir() + "rx_cli_keywords.txt";
  {
    std::ofstream f(path);
    f << "*EncapsulatedPacketTaskOffload=0\n*RSS=0\n*IPChecksumOffloadIPv4=1\n";
  }
  auto lines = JsonLines(RunNvgre("rx --json --keywords " + path + " " + kNvgre).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["path"], "encapsulation-not-offloaded");  // the keyword says disabled
  EXPECT_TRUE(lines[0]["rss"].is_null());                      // *RSS=0
  EXPECT_EQ(lines[0]["checksum_flags"], nlohmann::json::array());  // IPv4 header checks: Tx only
  lines = JsonLines(RunNvgre("rx --json --encap-offload on --keywords " + path + " " + kNvgre).out);
  EXPECT_EQ(lines[0]["path"], "encapsulated");
  EXPECT_EQ(lines[0]["checksum_flags"], nlohmann::json::array({"TcpChecksumFailed"}));
  EXPECT_EQ(RunNvgre("rx --keywords /nonexistent/keywords " + kNvgre).status, 2);
  // *EncapsulatedPacketTaskOffloadNvgre=0 (§12): the stack does not turn NVGRE on either.
  {
    std::ofstream f(path);
    f << "*EncapsulatedPacketTaskOffloadNvgre=0\n";
  }
  lines = JsonLines(RunNvgre("rx --json --keywords " + path + " " + kNvgre).out);
  EXPECT_EQ(lines[0]["path"], "encapsulation-not-offloaded");
  const auto show = nlohmann::json::parse(RunNvgre("adapter show --json --keywords " + path).out);
  EXPECT_EQ(show["keywords"]["*EncapsulatedPacketTaskOffloadNvgre"], 0);
  EXPECT_EQ(show["keywords"]["*VxlanUDPPortNumber"], 4789);
  std::filesystem::remove(path);
}

TEST(RxCli, RscCoalescesTheOvsGreTsoSegments) {
  const auto lines = JsonLines(RunNvgre("rx --json --rsc " + kShared + "/ovs_tso_tunnel_gre_expected.pcap").out);
  ASSERT_FALSE(lines.empty());
  const auto& s = lines.back()["summary"];
  EXPECT_EQ(s["frames"], 16);
  EXPECT_EQ(s["indications"], 10);  // 1-4 and 5-8 merged; 9-16 carry a GRE checksum: never merged
  EXPECT_EQ(s["coalesced_segments"], 8);
  EXPECT_EQ(lines[0]["frame"], 1);
  EXPECT_EQ(lines[0]["last_frame"], 4);
  EXPECT_EQ(lines[0]["coalesced_segments"], 4);
  EXPECT_EQ(lines[0]["checksum_flags"],
            nlohmann::json::array({"TcpChecksumSucceeded", "IpChecksumSucceeded", "TcpChecksumValueInvalid"}));
  const auto plain = JsonLines(RunNvgre("rx --json " + kShared + "/ovs_tso_tunnel_gre_expected.pcap").out);
  EXPECT_EQ(plain.back()["summary"]["indications"], 16);  // off by default
}

TEST(RxCli, UnreadableFile) {
  EXPECT_EQ(RunNvgre("rx /nonexistent.pcap").status, 2);
  EXPECT_NE(RunNvgre("rx").status, 0);
}

// ---- every shared capture against the tshark reference ----------------------------------------

std::vector<std::string> SharedCaptures() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(kShared)) {
    const auto ext = e.path().extension().string();
    if (ext == ".pcap" || ext == ".pcapng") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// dissect/<stem>.tshark-4.0.17.tsv: frame number -> column -> text.
std::map<std::uint64_t, std::map<std::string, std::string>> Tshark(std::string stem) {
  for (const char* ext : {".pcapng", ".pcap"}) {
    if (stem.ends_with(ext)) stem.resize(stem.size() - std::strlen(ext));
  }
  if (stem.ends_with(".converted")) stem.resize(stem.size() - 10);
  std::map<std::uint64_t, std::map<std::string, std::string>> rows;
  std::ifstream in(kShared + "/dissect/" + stem + ".tshark-4.0.17.tsv");
  auto split = [](const std::string& line, char sep) {
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      const std::size_t at = line.find(sep, start);
      cols.push_back(line.substr(start, at == std::string::npos ? std::string::npos : at - start));
      if (at == std::string::npos) return cols;
      start = at + 1;
    }
  };
  std::string line;
  if (!std::getline(in, line)) return rows;
  const auto header = split(line, '\t');
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto cols = split(line, '\t');
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size() && i < cols.size(); ++i) row[header[i]] = cols[i];
    rows[std::stoull(row["frame.number"])] = row;
  }
  return rows;
}

std::vector<std::string> Occurrences(const std::string& field) {
  std::vector<std::string> out;
  if (field.empty()) return out;
  std::istringstream s(field);
  for (std::string item; std::getline(s, item, ',');) out.push_back(item);
  return out;
}

bool Has(const nlohmann::json& flags, const char* name) {
  return std::find(flags.begin(), flags.end(), name) != flags.end();
}

TEST(RxCli, EveryCaptureConsistentWithTshark) {
  int frames = 0, ip_compared = 0, l4_compared = 0;
  for (const auto& name : SharedCaptures()) {
    const auto reference = Tshark(name);
    ASSERT_FALSE(reference.empty()) << "no tshark reference for " << name;
    const CmdResult r = RunNvgre("rx --json " + kShared + "/" + name);
    ASSERT_EQ(r.status, 0) << name;  // no crash, file read
    const auto lines = JsonLines(r.out);
    ASSERT_FALSE(lines.empty()) << name;
    EXPECT_EQ(lines.back()["summary"]["frames"].get<std::size_t>(), lines.size() - 1) << name;
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
      const auto& f = lines[i];
      if (f.contains("skipped")) continue;
      const std::uint64_t n = f["frame"];
      const std::string where = name + " frame " + std::to_string(n);
      ASSERT_TRUE(reference.count(n)) << where;
      const auto& row = reference.at(n);
      ++frames;
      const auto& flags = f["checksum_flags"];
      EXPECT_FALSE(Has(flags, "IpChecksumSucceeded") && Has(flags, "IpChecksumFailed")) << where;
      // The IPv4 headers the engine checked, in frame order: the outer one (when IPv4), then
      // the inner one (when IPv4 and the inner headers were offloaded).
      std::vector<std::size_t> checked;
      const bool outer4 = f["ip_versions"]["outer"] == 4;
      if (outer4) checked.push_back(0);
      if (f["inner_offloads"]["checksum"] == true && f["ip_versions"]["inner"] == 4) checked.push_back(outer4 ? 1 : 0);
      const auto theirs = Occurrences(row.count("ip.checksum.status") ? row.at("ip.checksum.status") : "");
      bool any_bad = false, all_good = !checked.empty();
      for (std::size_t k : checked) {
        if (k >= theirs.size()) { all_good = false; continue; }
        any_bad |= theirs[k] == "0";
        all_good &= theirs[k] == "1";
      }
      if (Has(flags, "IpChecksumFailed")) {
        EXPECT_TRUE(any_bad) << where << ": tshark says no checked IPv4 header is bad";
        ++ip_compared;
      }
      if (Has(flags, "IpChecksumSucceeded")) {
        EXPECT_FALSE(any_bad) << where;
        EXPECT_TRUE(all_good) << where;
        ++ip_compared;
      }
      // The first TCP/UDP tshark checked is the transport header the engine validated.
      for (const char* proto : {"tcp", "udp"}) {
        const std::string ok = std::string(proto == std::string("tcp") ? "Tcp" : "Udp") + "ChecksumSucceeded";
        const std::string bad = std::string(proto == std::string("tcp") ? "Tcp" : "Udp") + "ChecksumFailed";
        const bool says_ok = Has(flags, ok.c_str()), says_bad = Has(flags, bad.c_str());
        if (!says_ok && !says_bad) continue;
        const auto col = std::string(proto) + ".checksum.status";
        const auto t = Occurrences(row.count(col) ? row.at(col) : "");
        ASSERT_FALSE(t.empty()) << where << ": " << ok << "/" << bad << " but tshark has no " << col;
        if (t[0] == "2") continue;  // tshark did not verify (e.g. offload-style zero or partial sum)
        EXPECT_EQ(t[0], says_ok ? "1" : "0") << where << " " << proto;
        ++l4_compared;
      }
    }
  }
  std::printf("rx vs tshark: %d frames, %d IP flag checks, %d TCP/UDP flag checks\n", frames, ip_compared,
              l4_compared);
  EXPECT_GT(frames, 900);
  EXPECT_GT(ip_compared, 800);
  EXPECT_GT(l4_compared, 80);
}

}  // namespace
