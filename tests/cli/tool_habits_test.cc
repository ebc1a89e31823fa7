// The `nvgre` tool the way tcpdump and tshark users work: `--version`; every subcommand that
// reads a capture reads `-` as standard input, every one that writes a capture writes `-` as
// standard output, so `nvgre encap in.pcap - ... | tshark -r -` works; tshark (the oracle,
// skipped when missing) reads what each writing subcommand pipes to it with every IPv4, TCP and
// UDP checksum it checks good.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_util.h"

namespace nvgre::testing {
namespace {

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;
const std::string kTunnel = kShared + "/ovs_tso_tunnel_gre_expected.pcap";  // 16 NVGRE frames
const std::string kPlain = kShared + "/ovs_tso_plain_expected.pcap";        // 10 plain TCP frames

TEST(ToolHabits, Version) {
  const CmdResult r = RunNvgre("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "nvgre 0.1.0\n");
}

// `text` with every occurrence of `path` written as "-".
std::string WithoutPath(const std::string& text, const std::string& path) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t p = text.find(path); p != std::string::npos; p = text.find(path, from)) {
    out.append(text, from, p - from);
    out += "-";
    from = p + path.size();
  }
  out.append(text, from, std::string::npos);
  return out;
}

// Reading `-`: the same output as from the file, for every subcommand that reads a capture.
TEST(ToolHabits, DashReadsStandardInput) {
  const std::vector<std::string> commands = {
      "inspect --json", "verify --json", "rx --json", "tx --json {} /dev/null",
      "decap {} /dev/null",
      "encap {} /dev/null --vsid 5000 --outer-src 192.0.2.1 --outer-dst 192.0.2.2"};
  for (const std::string& c : commands) {
    const std::string input = c.starts_with("encap") ? kPlain : kTunnel;
    const auto at = c.find("{}");
    const bool positional_in = at == std::string::npos;
    const std::string head = positional_in ? c : c.substr(0, at);
    const std::string tail = positional_in ? "" : c.substr(at + 2);
    const std::string from_file = head + " " + input + tail;
    const std::string from_stdin = head + " -" + tail;
    const CmdResult a = RunNvgre(from_file, "&1");
    const CmdResult b = RunNvgre(from_stdin + " < " + input, "&1");
    EXPECT_EQ(a.status, b.status) << c;
    EXPECT_FALSE(a.out.empty()) << c;
    // The summaries name the input: compare everything but the path.
    EXPECT_EQ(WithoutPath(a.out, input), b.out) << c;
  }
}

struct Tshark {
  int frames = 0, good = 0, bad = 0;
};

// tshark's checksum statuses (1 good, 0 bad) of a capture on its standard input.
Tshark TsharkOf(const std::string& producer) {
  const std::string cmd = producer +
                          " 2>/dev/null | tshark -n -r - -o ip.check_checksum:TRUE -o "
                          "tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -T fields -E "
                          "occurrence=a -e frame.number -e ip.checksum.status -e "
                          "tcp.checksum.status -e udp.checksum.status 2>/dev/null";
  Tshark t;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return t;
  std::string text;
  std::array<char, 4096> buf;
  for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) text.append(buf.data(), n);
  pclose(p);
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    ++t.frames;
    std::istringstream cols(line);
    std::string col;
    std::getline(cols, col, '\t');  // frame number
    while (std::getline(cols, col, '\t')) {
      std::istringstream values(col);
      for (std::string v; std::getline(values, v, ',');) {
        t.good += v == "1";
        t.bad += v == "0";
      }
    }
  }
  return t;
}

TEST(ToolHabits, DashWritesStandardOutputThatTsharkReads) {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) GTEST_SKIP() << "tshark missing";
  const std::string bin = NVGRE_BIN;
  struct Case {
    std::string producer;
    int frames;
  };
  const std::vector<Case> cases = {
      // LSOv2 on the tunnel capture's super-frames, checksum offload on the rest.
      {bin + " tx " + kTunnel + " - --lso auto --mtu 1500", 0},
      {bin + " decap " + kTunnel + " -", 0},
      {bin + " encap " + kPlain + " - --vsid 5000 --outer-src 192.0.2.1 --outer-dst 192.0.2.2", 10},
      // And through two pipes: encap from standard input to standard output.
      {"cat " + kPlain + " | " + bin +
           " encap - - --vsid 5000 --outer-src 2001:db8::1 --outer-dst 2001:db8::2",
       10},
  };
  for (const Case& c : cases) {
    const Tshark t = TsharkOf(c.producer);
    EXPECT_GT(t.frames, 0) << c.producer;
    if (c.frames != 0) {
      EXPECT_EQ(t.frames, c.frames) << c.producer;
    }
    EXPECT_GT(t.good, 0) << c.producer;
    EXPECT_EQ(t.bad, 0) << c.producer;
  }
}

}  // namespace
}  // namespace nvgre::testing
