// `nvgre verify` end to end: run the built binary on the shared captures and on captures made
// here, and check its reports, JSON, summaries and exit codes (0 clean, 1 violations, 2
// unreadable file or bad arguments). Also: `nvgre tx` output over random super-frames verifies
// clean, and single-field mutations of those segments fire exactly the matching rule.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"
#include "nvgre/offload/verify.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

struct CmdResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "nvgre_verify_cmd_" + std::to_string(getpid()) + "_" + name;
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

struct Record {
  Bytes data;
  std::uint32_t wire_len = 0;
};

std::vector<Record> ReadAll(const std::string& path) {
  std::vector<Record> frames;
  auto opened = nvgre::io::PcapReader::Open(path);
  if (std::holds_alternative<nvgre::io::IoError>(opened)) {
    ADD_FAILURE() << std::get<nvgre::io::IoError>(opened).message;
    return frames;
  }
  auto& reader = std::get<nvgre::io::PcapReader>(opened);
  nvgre::io::PacketRecord rec;
  while (reader.Next(rec, nullptr) == nvgre::io::PcapReader::Status::kPacket) {
    frames.push_back({{rec.data.begin(), rec.data.end()}, rec.wire_len});
  }
  return frames;
}

void WriteAll(const std::string& path, const std::vector<Bytes>& frames) {
  auto opened = nvgre::io::PcapWriter::Open(path, 1);
  ASSERT_TRUE(std::holds_alternative<nvgre::io::PcapWriter>(opened));
  auto& w = std::get<nvgre::io::PcapWriter>(opened);
  std::int64_t t = 1700000000;
  for (const Bytes& f : frames) ASSERT_TRUE(w.Write(t++, 0, f));
  ASSERT_TRUE(w.Close());
}

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;
const std::string kOvs = kShared + "/ovs_tso_tunnel_gre_expected.pcap";

std::map<std::string, std::vector<std::uint64_t>> FramesByRule(
    const std::vector<nlohmann::json>& lines) {
  std::map<std::string, std::vector<std::uint64_t>> m;
  for (const auto& j : lines) {
    if (j.contains("rule"))
      m[j["rule"].get<std::string>()].push_back(j["frame"].get<std::uint64_t>());
  }
  for (auto& [rule, frames] : m) std::sort(frames.begin(), frames.end());
  return m;
}

std::vector<std::uint64_t> Range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = from; i <= to; ++i) v.push_back(i);
  return v;
}

// The OVS capture with a valid VSID in frames 1-8 and without 9-16: what remains conforms.
std::string CleanOvsCapture() {
  const std::string path = TempPath("clean_ovs.pcap");
  std::vector<Bytes> frames;
  for (Record& r : ReadAll(kOvs)) {
    if (frames.size() == 8) break;
    r.data[38] = 0x00;  // key (GRE at 34, key at +4): VSID 0x001000, FlowID 0x7b
    r.data[39] = 0x10;
    r.data[40] = 0x00;
    r.data[41] = 0x7b;
    frames.push_back(r.data);
  }
  WriteAll(path, frames);
  return path;
}

TEST(VerifyCli, OvsCaptureJson) {
  const CmdResult r = RunNvgre("verify --json " + kOvs);
  ASSERT_EQ(r.status, 1) << r.err;
  const auto lines = JsonLines(r.out);
  ASSERT_FALSE(lines.empty());
  const auto by_rule = FramesByRule(lines);
  EXPECT_EQ(by_rule.at("csum.gre"), Range(10, 16));  // SOURCES.md §4: only frame 9 is right
  EXPECT_EQ(by_rule.at("nvgre.c-bit"), Range(9, 16));
  EXPECT_EQ(by_rule.at("nvgre.reserved-vsid"), Range(1, 16));  // key 0x7b: VSID 0
  EXPECT_EQ(by_rule.at("lso.order"), (std::vector<std::uint64_t>{10, 11, 12, 14, 15, 16}));
  EXPECT_EQ(by_rule.size(), 4u);
  for (const auto& j : lines) {
    if (!j.contains("rule")) continue;
    EXPECT_FALSE(j["citation"].get<std::string>().empty());
    if (j["rule"] == "csum.gre" && j["frame"] == 10) {
      EXPECT_EQ(j["seen"], "0xdc82");
      EXPECT_EQ(j["expected"], "0xda8e");  // frame 9's (correct) value: same inner bytes
      EXPECT_TRUE(j["related_frame"].is_null());
    }
    if (j["rule"] == "lso.order") {
      EXPECT_EQ(j["related_frame"], j["frame"].get<int>() - 1);
    }
  }
  const auto& s = lines.back()["summary"];
  EXPECT_EQ(s["frames"], 16);
  EXPECT_EQ(s["gre_frames"], 16);
  EXPECT_EQ(s["nvgre_frames"], 8);
  EXPECT_EQ(s["bursts"], 2);
  EXPECT_EQ(s["burst_segments"], 8);
  EXPECT_EQ(s["total_violations"], 37);
  EXPECT_EQ(s["violations"]["csum.gre"], 7);
  EXPECT_EQ(s["violations"]["lso.ip-id"], 0);
  EXPECT_EQ(s["violations"]["lso.flags-fin-psh"], 0);
  EXPECT_EQ(s["rules_enabled"].size(), nvgre::offload::kVerifyRuleCount);
  EXPECT_TRUE(s["mss"].is_null());
}

TEST(VerifyCli, OvsCaptureText) {
  const CmdResult r = RunNvgre("verify " + kOvs);
  ASSERT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("10 csum.gre: expected 0xda8e, seen 0xdc82 | RFC 2784 §2.5"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("9 nvgre.c-bit: expected C=0, seen C=1 (flags 0xa000) | RFC 7637 §3.2"),
            std::string::npos);
  EXPECT_NE(r.out.find("11 lso.order (vs frame 10): "), std::string::npos);
  EXPECT_NE(r.out.find("16 frames (pcap): 16 GRE (8 valid NVGRE)"), std::string::npos);
  EXPECT_NE(r.out.find("2 LSO bursts (8 segments)"), std::string::npos);
  EXPECT_NE(r.out.find("37 violations"), std::string::npos);
  EXPECT_NE(r.out.find("  csum.gre 7 | "), std::string::npos);
  EXPECT_NE(r.out.find("NOT CLEAN"), std::string::npos);
}

TEST(VerifyCli, RuleSelection) {
  CmdResult r = RunNvgre("verify --json --rules csum.gre " + kOvs);
  ASSERT_EQ(r.status, 1);
  auto by_rule = FramesByRule(JsonLines(r.out));
  ASSERT_EQ(by_rule.size(), 1u);
  EXPECT_EQ(by_rule.at("csum.gre"), Range(10, 16));
  EXPECT_EQ(JsonLines(r.out).back()["summary"]["rules_enabled"].size(), 1u);
  // Everything the capture breaks, switched off: clean.
  r = RunNvgre("verify --rules -csum.gre,-nvgre,-lso.order " + kOvs);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\nclean\n"), std::string::npos);
  r = RunNvgre("verify --rules csum,nope " + kOvs);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("'nope'"), std::string::npos) << r.err;
}

TEST(VerifyCli, CleanCaptureMssAndMtu) {
  const std::string clean = CleanOvsCapture();
  CmdResult r = RunNvgre("verify " + clean);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("0 violations"), std::string::npos);
  r = RunNvgre("verify --mss 500 --mtu 602 " + clean);
  EXPECT_EQ(r.status, 0) << r.out;
  r = RunNvgre("verify --json --mtu 600 " + clean);  // outer IPv4/inner IPv6 packets are 602 B
  EXPECT_EQ(r.status, 1);
  const auto lines = JsonLines(r.out);
  EXPECT_EQ(FramesByRule(lines).at("mtu"), Range(1, 4));
  EXPECT_EQ(lines.back()["summary"]["mtu"], 600);
  r = RunNvgre("verify --json --mss 499 " + clean);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(FramesByRule(JsonLines(r.out)).at("lso.mss"), Range(1, 8));
  std::remove(clean.c_str());
}

TEST(VerifyCli, UnreadableFilesAndArguments) {
  EXPECT_EQ(RunNvgre("verify " + TempPath("does-not-exist.pcap")).status, 2);
  EXPECT_EQ(RunNvgre("verify " + kShared + "/SOURCES.md").status, 2);
  EXPECT_EQ(RunNvgre("verify").status, 2);
  // A capture whose last record is cut short: the frames before it are judged, status 2.
  std::ifstream in(kOvs, std::ios::binary);
  Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  file.resize(file.size() - 100);
  const std::string cut = TempPath("cut.pcap");
  std::ofstream(cut, std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  const CmdResult r = RunNvgre("verify --json " + cut);
  EXPECT_EQ(r.status, 2);
  const auto lines = JsonLines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["summary"]["frames"], 15);
  EXPECT_TRUE(lines.back()["summary"].contains("read_error"));
  std::remove(cut.c_str());
}

TEST(VerifyCli, ListRules) {
  const CmdResult r = RunNvgre("verify --list-rules");
  ASSERT_EQ(r.status, 0);
  for (const auto& rule : nvgre::offload::AllVerifyRules()) {
    EXPECT_NE(r.out.find(std::string(rule.id) + "\t"), std::string::npos) << rule.id;
  }
  EXPECT_EQ(static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n')),
            nvgre::offload::kVerifyRuleCount);
}

// Every capture in ../shared/testdata (pcap and pcapng): no crash, exit 0 or 1, and the summary
// counts exactly the frames the io layer reads.
TEST(VerifyCli, EverySharedCapture) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kShared)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    const std::string path = entry.path().string();
    const CmdResult r = RunNvgre("verify --json " + path);
    EXPECT_TRUE(r.status == 0 || r.status == 1) << path << ": " << r.status << " " << r.err;
    const auto lines = JsonLines(r.out);
    ASSERT_FALSE(lines.empty()) << path;
    ASSERT_TRUE(lines.back().contains("summary")) << path;
    EXPECT_EQ(lines.back()["summary"]["frames"].get<std::size_t>(), ReadAll(path).size()) << path;
    EXPECT_EQ(lines.back()["summary"]["total_violations"].get<std::size_t>(), lines.size() - 1)
        << path;
    ++files;
  }
  EXPECT_GE(files, 30u);
}

// ---- `nvgre tx` output -------------------------------------------------------------------

void Put16(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint16_t Get16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
std::uint16_t Checksum(const std::uint8_t* p, std::size_t n, std::uint32_t acc) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    acc += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (n % 2) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

// A complete NVGRE frame with a large inner TCP payload (a super-frame as the stack hands it
// down: real lengths, every checksum right).
Bytes SuperFrame(bool outer_v6, bool inner_v6, std::uint16_t sport, std::size_t payload,
                 std::uint8_t flags, std::mt19937& rng) {
  Bytes b{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  auto push16 = [&](std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
  };
  auto ip = [&](bool v6, std::uint8_t proto, std::uint8_t net) {
    if (v6) {
      const Bytes h{0x60, 0, 0, 0, 0, 0, proto, 64, 0x20, 0x01, 0x0d, 0xb8, net,  0,
                    0,    0, 0, 0, 0, 0, 0,     0,  0,    1,    0x20, 0x01, 0x0d, 0xb8,
                    net,  0, 0, 0, 0, 0, 0,     0,  0,    0,    0,    2};
      b.insert(b.end(), h.begin(), h.end());
    } else {
      const Bytes h{0x45,
                    0,
                    0,
                    0,
                    static_cast<std::uint8_t>(rng()),
                    static_cast<std::uint8_t>(rng() & 0x7F),
                    0x40,
                    0,
                    64,
                    proto,
                    0,
                    0,
                    10,
                    net,
                    0,
                    1,
                    10,
                    net,
                    0,
                    2};
      b.insert(b.end(), h.begin(), h.end());
    }
  };
  push16(outer_v6 ? 0x86DD : 0x0800);
  const std::size_t outer = b.size();
  ip(outer_v6, 47, 1);
  push16(0x2000);
  push16(0x6558);
  push16(0x0012);  // VSID 0x001234, FlowID 0x56
  push16(0x3456);
  const Bytes mac{0x52, 0x54, 0, 0, 0, 0x0b, 0x52, 0x54, 0, 0, 0, 0x0a};
  b.insert(b.end(), mac.begin(), mac.end());
  push16(inner_v6 ? 0x86DD : 0x0800);
  const std::size_t inner = b.size();
  ip(inner_v6, 6, 2);
  const std::size_t l4 = b.size();
  push16(sport);
  push16(80);
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(rng()));  // seq, ack
  b.push_back(0x50);
  b.push_back(flags);
  push16(4096);
  push16(0);
  push16(0);
  for (std::size_t i = 0; i < payload; ++i) b.push_back(static_cast<std::uint8_t>(rng()));
  const std::size_t end = b.size();
  Put16(b, outer + (outer_v6 ? 4 : 2),
        static_cast<std::uint32_t>(end - outer - (outer_v6 ? 40 : 0)));
  Put16(b, inner + (inner_v6 ? 4 : 2),
        static_cast<std::uint32_t>(end - inner - (inner_v6 ? 40 : 0)));
  std::uint32_t pseudo = 0;
  const std::size_t addr = inner + (inner_v6 ? 8 : 12), addr_len = inner_v6 ? 32 : 8;
  for (std::size_t i = 0; i < addr_len; i += 2) pseudo += Get16(b, addr + i);
  const std::size_t tcp_len = end - l4;
  pseudo += 6 + static_cast<std::uint32_t>((tcp_len >> 16) + (tcp_len & 0xFFFF));
  Put16(b, l4 + 16, Checksum(&b[l4], tcp_len, pseudo));
  if (!inner_v6) Put16(b, inner + 10, Checksum(&b[inner], 20, 0));
  if (!outer_v6) Put16(b, outer + 10, Checksum(&b[outer], 20, 0));
  return b;
}

// `nvgre --help` lists the registered subcommands, one per line ("  tx   ...").
bool TxCommandAvailable() { return RunNvgre("--help").out.find("\n  tx ") != std::string::npos; }

struct Collect : nvgre::offload::ViolationSink {
  std::vector<nvgre::offload::Violation> all;
  void OnViolation(const nvgre::offload::Violation& v) override { all.push_back(v); }
};

std::vector<nvgre::offload::Violation> VerifyInProcess(const std::vector<Record>& frames,
                                                       std::uint32_t mss) {
  nvgre::offload::VerifyOptions o;
  o.mss = mss;
  o.max_flows = 256;
  nvgre::offload::Verifier v(o);
  Collect sink;
  std::uint64_t n = 0;
  for (const Record& r : frames) v.AddFrame(++n, r.data, r.wire_len, sink);
  v.Finish(sink);
  return sink.all;
}

TEST(VerifyCli, TxOutputOverRandomSuperFramesVerifiesClean) {
  if (!TxCommandAvailable()) {
    GTEST_SKIP() << "`nvgre tx` is not built yet (src/cli/tx_cmd.cc, issue 5): this test runs "
                    "`nvgre tx IN OUT --lso MSS` on random super-frames and `nvgre verify` on OUT";
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 4; ++round) {
    const std::uint32_t mss = std::uniform_int_distribution<std::uint32_t>(536, 1400)(rng);
    std::vector<Bytes> supers;
    for (int i = 0; i < 12; ++i) {
      // `nvgre tx` segments a frame whose outer IP packet exceeds the MTU (1500): at least 1500
      // payload bytes, so every send is a super-frame of two segments or more; the first has at
      // least 3 (the mutations below edit its second one).
      const std::size_t payload =
          std::uniform_int_distribution<std::size_t>(i == 0 ? 3 * mss + 1500 : 1500, 64000)(rng);
      const std::uint8_t flags = static_cast<std::uint8_t>(
          0x10 | ((rng() & 1) ? 0x08 : 0) | ((rng() & 1) ? 0x80 : 0) | ((rng() & 1) ? 0x01 : 0));
      supers.push_back(SuperFrame(i & 1, (i >> 1) & 1, static_cast<std::uint16_t>(1000 + i),
                                  payload, flags, rng));
    }
    const std::string in = TempPath("tx_in.pcap"), out = TempPath("tx_out.pcap");
    WriteAll(in, supers);
    const CmdResult tx = RunNvgre("tx " + in + " " + out + " --lso " + std::to_string(mss));
    ASSERT_EQ(tx.status, 0) << tx.out << tx.err;
    const CmdResult v = RunNvgre("verify --json --mss " + std::to_string(mss) + " " + out);
    EXPECT_EQ(v.status, 0) << "round " << round << " mss " << mss << "\n" << v.out;
    const auto lines = JsonLines(v.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back()["summary"]["bursts"], supers.size());  // every send segmented

    // Single-field mutations of the second segment of the first send: exactly one rule each.
    const std::vector<Record> segments = ReadAll(out);
    ASSERT_GE(segments.size(), 3u);
    ASSERT_TRUE(VerifyInProcess(segments, mss).empty());
    struct Mutation {
      const char* rule;
      std::function<void(Bytes&)> apply;
    };
    const std::size_t outer = 14, gre = 14 + 20;  // supers[0]: outer IPv4, inner IPv4
    const std::size_t inner = gre + 8 + 14, l4 = inner + 20;
    const std::vector<Mutation> mutations{
        {"lso.ip-id",
         [&](Bytes& f) {
           Put16(f, outer + 4, Get16(f, outer + 4) + 1u);
           Put16(f, outer + 10, 0);
           Put16(f, outer + 10, Checksum(&f[outer], 20, 0));
         }},
        {"csum.inner-l4", [&](Bytes& f) { f[l4 + 16] ^= 0x01; }},
        {"csum.inner-ipv4", [&](Bytes& f) { f[inner + 10] ^= 0x01; }},
        {"len.outer-ip",
         [&](Bytes& f) {
           Put16(f, outer + 2, Get16(f, outer + 2) - 1u);
           Put16(f, outer + 10, 0);
           Put16(f, outer + 10, Checksum(&f[outer], 20, 0));
         }},
        {"nvgre.flowid-constant", [&](Bytes& f) { f[gre + 7] ^= 0x01; }},
    };
    if (segments.size() >= 3 && Get16(segments[1].data, 12) == 0x0800) {
      for (const Mutation& m : mutations) {
        std::vector<Record> mutated = segments;
        m.apply(mutated[1].data);
        const auto found = VerifyInProcess(mutated, mss);
        ASSERT_EQ(found.size(), 1u) << m.rule;
        EXPECT_EQ(nvgre::offload::RuleInfo(found[0].rule).id, m.rule);
        EXPECT_EQ(found[0].frame, 2u);
      }
    }
    std::remove(in.c_str());
    std::remove(out.c_str());
  }
}

}  // namespace
