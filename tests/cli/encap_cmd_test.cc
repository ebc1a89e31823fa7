// `nvgre encap` / `nvgre decap` end to end: run the built binary on the shared captures, read
// its output back with the io layer, and check frames, summaries, exit codes and messages.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"

namespace {

struct CmdResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "nvgre_encap_cmd_" + std::to_string(getpid()) + "_" + name;
}

CmdResult RunNvgre(const std::string& args) {
  CmdResult r;
  const std::string err_path = TempPath("stderr.txt");
  const std::string cmd = std::string(NVGRE_BIN) + " " + args + " 2>" + err_path;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(err_path);
  r.err.assign(std::istreambuf_iterator<char>(e), std::istreambuf_iterator<char>());
  std::remove(err_path.c_str());
  return r;
}

struct Frame {
  std::int64_t ts_sec = 0;
  std::uint32_t ts_nsec = 0;
  std::vector<std::uint8_t> data;
  std::uint32_t wire_len = 0;
};

std::vector<Frame> ReadAll(const std::string& path) {
  std::vector<Frame> frames;
  auto opened = nvgre::io::PcapReader::Open(path);
  if (std::holds_alternative<nvgre::io::IoError>(opened)) {
    ADD_FAILURE() << std::get<nvgre::io::IoError>(opened).message;
    return frames;
  }
  auto& reader = std::get<nvgre::io::PcapReader>(opened);
  nvgre::io::PacketRecord rec;
  while (reader.Next(rec, nullptr) == nvgre::io::PcapReader::Status::kPacket) {
    frames.push_back({rec.ts_sec, rec.ts_nsec, {rec.data.begin(), rec.data.end()}, rec.wire_len});
  }
  return frames;
}

// The frame without its VLAN tags (what RFC 7637 encapsulation carries).
std::vector<std::uint8_t> StripTags(std::vector<std::uint8_t> f) {
  while (f.size() >= 18) {
    const unsigned type = static_cast<unsigned>((f[12] << 8) | f[13]);
    if (type != 0x8100 && type != 0x88A8 && type != 0x9100) break;
    f.erase(f.begin() + 12, f.begin() + 16);
  }
  return f;
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> v;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (nl > start) v.push_back(nlohmann::json::parse(text.substr(start, nl - start)));
    start = nl + 1;
  }
  return v;
}

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;

// Encap then decap gives every frame back byte for byte (minus VLAN tags), with its timestamp.
void ExpectRoundTrip(const std::string& capture, const std::string& encap_args) {
  SCOPED_TRACE(capture + " " + encap_args);
  const std::string enc = TempPath("enc.pcap"), dec = TempPath("dec.pcap");
  const CmdResult e = RunNvgre("encap " + kShared + "/" + capture + " " + enc + " " + encap_args);
  ASSERT_EQ(e.status, 0) << e.err;
  const CmdResult d = RunNvgre("decap " + enc + " " + dec);
  ASSERT_EQ(d.status, 0) << d.err;
  const std::vector<Frame> in = ReadAll(kShared + "/" + capture);
  const std::vector<Frame> mid = ReadAll(enc);
  const std::vector<Frame> out = ReadAll(dec);
  ASSERT_FALSE(in.empty());
  ASSERT_EQ(mid.size(), in.size());
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].data, StripTags(in[i].data)) << "frame " << i + 1;
    EXPECT_EQ(out[i].ts_sec, in[i].ts_sec);
    EXPECT_EQ(out[i].ts_nsec, in[i].ts_nsec);
  }
  EXPECT_NE(e.out.find(std::to_string(in.size()) + " frames read, " + std::to_string(in.size()) +
                       " encapsulated"),
            std::string::npos)
      << e.out;
  EXPECT_NE(d.out.find(std::to_string(in.size()) + " frames read, " + std::to_string(in.size()) +
                       " decapsulated, 0 not decapsulated"),
            std::string::npos)
      << d.out;
  std::remove(enc.c_str());
  std::remove(dec.c_str());
}

TEST(EncapCli, RoundTripIpv4Outer) {
  // OVS's TSO inputs and outputs: IPv4 and IPv6 TCP, up to 2074-byte frames.
  ExpectRoundTrip("ovs_tso_plain_expected.pcap",
                  "--vsid 0x123456 --outer-src 192.0.2.1 --outer-dst 192.0.2.2");
}

TEST(EncapCli, RoundTripIpv6OuterWithTagsAndOuterVlan) {
  // tcpdump's various_gre capture: 100 802.1Q-tagged frames (tags stripped on the way in).
  ExpectRoundTrip("tcpdump_various_gre.pcap",
                  "--vsid 5000 --flow-id 7 --outer-src 2001:db8::1 --outer-dst 2001:db8::2 "
                  "--vlan 100 --vlan-pcp 3 --outer-src-mac 00:11:22:33:44:55 "
                  "--outer-dst-mac 66:77:88:99:aa:bb");
}

TEST(EncapCli, RoundTripOfNvgreInNvgreAndPcapng) {
  ExpectRoundTrip("deepflow_vmware-gre-teb.pcap",
                  "--vsid 0xABCDEF --outer-src 10.0.0.1 --outer-dst 10.0.0.2 --ttl 9 --no-df");
  ExpectRoundTrip("pcapplusplus_GrePackets.pcapng",
                  "--vsid 4096 --outer-src 10.0.0.1 --outer-dst 10.0.0.2");
}

TEST(EncapCli, InspectSaysNvgreWithTheVsid) {
  const std::string enc = TempPath("inspect.pcap");
  const CmdResult e = RunNvgre("encap " + kShared + "/dpdk_test_cksum.pcap " + enc +
                               " --vsid 0x00BEEF --flow-id 42 --outer-src 198.51.100.7"
                               " --outer-dst 198.51.100.9 --vlan 12");
  ASSERT_EQ(e.status, 0) << e.err;
  const CmdResult r = RunNvgre("inspect --json " + enc);
  ASSERT_EQ(r.status, 0);
  const auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 6u);  // 5 frames + summary
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& f = lines[i];
    ASSERT_TRUE(f["nvgre"].is_object()) << f.dump();
    EXPECT_EQ(f["nvgre"]["vsid"], 0x00BEEF);
    EXPECT_EQ(f["nvgre"]["flow_id"], 42);
    EXPECT_EQ(f["nvgre"]["vsid_reserved"], false);
    EXPECT_EQ(f["outer"]["src"], "198.51.100.7");
    EXPECT_EQ(f["outer"]["dst"], "198.51.100.9");
    EXPECT_EQ(f["outer"]["vlan_tags"], 1);
    EXPECT_EQ(f["gre"]["flags_version"], "0x2000");
    EXPECT_EQ(f["gre"]["protocol"], "0x6558");
    EXPECT_EQ(f["checksums"]["outer_ip"], "good");
    EXPECT_EQ(f["checksums"]["gre"], "absent");
  }
  EXPECT_EQ(lines[5]["summary"]["verdicts"]["nvgre"], 5);
  std::remove(enc.c_str());
}

TEST(EncapCli, FlowIdAutoIsPerConnection) {
  // ovs_tso_plain_expected: frames 1-4 and 9 are one IPv4 connection, 5-8 and 10 one IPv6.
  const std::string enc = TempPath("auto.pcap");
  ASSERT_EQ(RunNvgre("encap " + kShared + "/ovs_tso_plain_expected.pcap " + enc +
                     " --vsid 4097 --outer-src 192.0.2.1 --outer-dst 192.0.2.2")
                .status,
            0);
  const auto lines = JsonLines(RunNvgre("inspect --json " + enc).out);
  ASSERT_EQ(lines.size(), 11u);
  std::set<int> v4, v6;
  for (int i : {0, 1, 2, 3, 8}) v4.insert(lines[static_cast<std::size_t>(i)]["nvgre"]["flow_id"].get<int>());
  for (int i : {4, 5, 6, 7, 9}) v6.insert(lines[static_cast<std::size_t>(i)]["nvgre"]["flow_id"].get<int>());
  EXPECT_EQ(v4.size(), 1u);
  EXPECT_EQ(v6.size(), 1u);
  std::remove(enc.c_str());
}

TEST(DecapCli, OvsInputsReportedByReason) {
  const std::string dec = TempPath("ovs_dec.pcap");
  const CmdResult d = RunNvgre("decap " + kShared + "/ovs_gre_decap_inputs.pcap " + dec);
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_NE(d.out.find("frame 2: not decapsulated: protocol-not-teb"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("frame 3: not decapsulated: outer-ipv4-checksum"), std::string::npos);
  EXPECT_NE(d.out.find("frame 4: not decapsulated: protocol-not-teb"), std::string::npos);
  EXPECT_NE(d.out.find("frame 6: not decapsulated: protocol-not-teb"), std::string::npos);
  EXPECT_NE(d.out.find("6 frames read, 2 decapsulated, 4 not decapsulated"), std::string::npos);
  EXPECT_NE(d.out.find("  outer-ipv4-checksum: 1\n"), std::string::npos);
  EXPECT_NE(d.out.find("  protocol-not-teb: 3\n"), std::string::npos);
  const auto in = ReadAll(kShared + "/ovs_gre_decap_inputs.pcap");
  const auto out = ReadAll(dec);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].data, std::vector<std::uint8_t>(in[0].data.begin() + 42, in[0].data.end()));
  EXPECT_EQ(out[1].data, std::vector<std::uint8_t>(in[4].data.begin() + 62, in[4].data.end()));

  // --drop-reserved-vsid: key 0x1c8 is VSID 1.
  const CmdResult r = RunNvgre("decap --drop-reserved-vsid " + kShared + "/ovs_gre_decap_inputs.pcap " + dec);
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("  vsid-reserved: 2\n"), std::string::npos) << r.out;
  std::remove(dec.c_str());
}

TEST(DecapCli, PacketnetNeedsTheChecksumCheckOff) {
  const std::string dec = TempPath("pn_dec.pcap");
  const std::string in = kShared + "/packetnet_gre_nvgre.pcap";
  CmdResult d = RunNvgre("decap " + in + " " + dec);
  ASSERT_EQ(d.status, 0);
  EXPECT_NE(d.out.find("1 frames read, 0 decapsulated, 1 not decapsulated"), std::string::npos) << d.out;
  d = RunNvgre("decap --no-verify-outer-checksum " + in + " " + dec);
  ASSERT_EQ(d.status, 0);
  const auto out = ReadAll(dec);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data.size(), 56u);
  std::remove(dec.c_str());
}

TEST(EncapCli, StandardOutputCarriesThePcapAndReportsGoToStandardError) {
  const CmdResult e = RunNvgre("encap " + kShared + "/dpdk_test_cksum.pcap - --vsid 4096"
                               " --outer-src 192.0.2.1 --outer-dst 192.0.2.2");
  ASSERT_EQ(e.status, 0) << e.err;
  ASSERT_GE(e.out.size(), 24u);
  EXPECT_EQ(static_cast<unsigned char>(e.out[0]), 0x4d);  // nanosecond pcap magic a1b23c4d (LE)
  EXPECT_EQ(static_cast<unsigned char>(e.out[3]), 0xa1);
  EXPECT_NE(e.err.find("5 frames read, 5 encapsulated"), std::string::npos) << e.err;
}

TEST(EncapCli, PerFrameRefusalsAreCounted) {
  // The BIG TCP superframe (80,052 bytes) cannot be carried: the outer length fields are 16-bit.
  const std::string enc = TempPath("big.pcap");
  const CmdResult e = RunNvgre("encap " + kShared + "/tcpdump_bigtcp-ipv4.pcap " + enc +
                               " --vsid 4096 --outer-src 192.0.2.1 --outer-dst 192.0.2.2");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_NE(e.out.find("frame 1: not encapsulated: inner-frame-too-long"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("1 frames read, 0 encapsulated"), std::string::npos);
  EXPECT_NE(e.out.find("  inner-frame-too-long: 1\n"), std::string::npos);
  std::remove(enc.c_str());
}

// Every bad argument: exit 2 and a message that names the option.
TEST(EncapCli, BadArgumentsExit2NamingTheOption) {
  const std::string in = kShared + "/dpdk_test_cksum.pcap";
  const std::string out = TempPath("bad.pcap");
  const std::string ok = " --outer-src 192.0.2.1 --outer-dst 192.0.2.2";
  const std::map<std::string, std::string> cases = {
      {"encap " + in + " " + out + ok, "--vsid: required"},
      {"encap " + in + " " + out + " --vsid 0x1000000" + ok, "--vsid"},
      {"encap " + in + " " + out + " --vsid 12" + ok, "--vsid: 12 is reserved"},
      {"encap " + in + " " + out + " --vsid 0xFFFFFF" + ok, "reserved"},
      {"encap " + in + " " + out + " --vsid ten" + ok, "--vsid"},
      {"encap " + in + " " + out + " --vsid 4096 --flow-id 256" + ok, "--flow-id"},
      {"encap " + in + " " + out + " --vsid 4096 --flow-id x" + ok, "--flow-id"},
      {"encap " + in + " " + out + " --vsid 4096 --outer-dst 192.0.2.2", "--outer-src: required"},
      {"encap " + in + " " + out + " --vsid 4096 --outer-src 192.0.2.1", "--outer-dst: required"},
      {"encap " + in + " " + out + " --vsid 4096 --outer-src 300.0.0.1 --outer-dst 192.0.2.2",
       "--outer-src: '300.0.0.1'"},
      {"encap " + in + " " + out + " --vsid 4096 --outer-src 192.0.2.1 --outer-dst ::1",
       "same address family"},
      {"encap " + in + " " + out + " --vsid 4096 --outer-src-mac 00:11:22" + ok, "--outer-src-mac"},
      {"encap " + in + " " + out + " --vsid 4096 --outer-dst-mac zz:11:22:33:44:55" + ok,
       "--outer-dst-mac"},
      {"encap " + in + " " + out + " --vsid 4096 --vlan 4095" + ok, "--vlan"},
      {"encap " + in + " " + out + " --vsid 4096 --vlan-pcp 3" + ok, "--vlan-pcp: needs --vlan"},
      {"encap " + in + " " + out + " --vsid 4096 --vlan 1 --vlan-pcp 8" + ok, "--vlan-pcp"},
      {"encap " + in + " " + out + " --vsid 4096 --ttl 0" + ok, "--ttl"},
      {"encap " + in + " " + out + " --vsid 4096 --ttl 256" + ok, "--ttl"},
      {"encap " + in + " " + out + " --vsid 4096 --bogus" + ok, "unexpected argument '--bogus'"},
      {"encap " + in + " --vsid 4096" + ok, "OUT"},
      {"encap " + in + " " + in + " --vsid 4096" + ok, "is the input file"},
      {"encap /nonexistent.pcap " + out + " --vsid 4096" + ok, "/nonexistent.pcap"},
      {"decap " + in, "OUT"},
      {"decap " + in + " " + out + " extra", "unexpected argument 'extra'"},
      {"decap /nonexistent.pcap " + out, "/nonexistent.pcap"},
  };
  for (const auto& [args, message] : cases) {
    const CmdResult r = RunNvgre(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  }
  std::remove(out.c_str());
}

}  // namespace
