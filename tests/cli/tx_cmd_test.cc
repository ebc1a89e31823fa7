// `nvgre tx` end to end: captures built here (io::PcapWriter) from the shared OVS captures, run
// through the built binary, OUT read back with io::PcapReader and checked segment by segment.
#include "cli/cli_util.h"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"
#include "nvgre/wire/classifier.h"

namespace {

using nvgre::testing::CmdResult;
using nvgre::testing::JsonLines;
using nvgre::testing::RunNvgre;

using Frame = std::vector<std::uint8_t>;

std::vector<Frame> ReadAll(const std::string& path) {
  std::vector<Frame> frames;
  auto opened = nvgre::io::PcapReader::Open(path);
  if (std::holds_alternative<nvgre::io::IoError>(opened)) return frames;
  auto& reader = std::get<nvgre::io::PcapReader>(opened);
  nvgre::io::PacketRecord rec;
  while (reader.Next(rec, nullptr) == nvgre::io::PcapReader::Status::kPacket) {
    frames.emplace_back(rec.data.begin(), rec.data.end());
  }
  return frames;
}

bool WriteAll(const std::string& path, const std::vector<Frame>& frames) {
  auto opened = nvgre::io::PcapWriter::Open(path, 1);
  if (std::holds_alternative<nvgre::io::IoError>(opened)) return false;
  auto& w = std::get<nvgre::io::PcapWriter>(opened);
  std::int64_t ts = 1000;
  for (const Frame& f : frames) {
    if (!w.Write(ts++, 0, f)) return false;
  }
  return w.Close();
}

std::uint16_t Get16(const Frame& f, std::size_t off) {
  return static_cast<std::uint16_t>(f[off] << 8 | f[off + 1]);
}
void Put16(Frame& f, std::size_t off, std::uint32_t v) {
  f[off] = static_cast<std::uint8_t>(v >> 8);
  f[off + 1] = static_cast<std::uint8_t>(v);
}

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;

class TxCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/nvgre_tx_cli_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    gre_ = ReadAll(kShared + "/ovs_tso_tunnel_gre_expected.pcap");
    plain_ = ReadAll(kShared + "/ovs_tso_plain_expected.pcap");
    ASSERT_EQ(gre_.size(), 16u);
    ASSERT_EQ(plain_.size(), 10u);
    // ovs_tso_plain_expected frame 9 (the IPv4 TSO input) behind frame 5's outer Ethernet,
    // IPv4 and GRE: an ordinary NVGRE super-frame (real lengths; checksums as they come).
    super_.assign(42 + plain_[8].size(), 0);
    std::copy(gre_[4].begin(), gre_[4].begin() + 42, super_.begin());
    std::copy(plain_[8].begin(), plain_[8].end(), super_.begin() + 42);
    Put16(super_, 16, static_cast<std::uint32_t>(super_.size() - 14));
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
  std::vector<Frame> gre_, plain_;
  Frame super_;
};

// The differential of tests/offload, through the tool: the super-frame with --lso 500 comes out
// as frames 5-8 of ovs_tso_tunnel_gre_expected.pcap, byte for byte. The GRE C+K frames 9-16 are
// refused (RFC 7637: C = 0), a plain TCP frame passes through.
TEST_F(TxCli, LsoMatchesOvsSegmentsAndCountsRefusals) {
  std::vector<Frame> in{super_};
  for (std::size_t i = 8; i < 16; ++i) in.push_back(gre_[i]);
  in.push_back(plain_[0]);
  ASSERT_TRUE(WriteAll(Path("in.pcap"), in));
  CmdResult r = RunNvgre("tx " + Path("in.pcap") + " " + Path("out.pcap") + " --lso 500 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), in.size() + 1);
  EXPECT_EQ(lines[0]["action"], "lsov2");
  EXPECT_EQ(lines[0]["segments"], 4);
  EXPECT_EQ(lines[0]["mss"], 500);
  EXPECT_EQ(lines[0]["header_length"], 96);
  EXPECT_EQ(lines[0]["payload_bytes"], 2000);
  EXPECT_EQ(lines[0]["out_lengths"], nlohmann::json({596, 596, 596, 596}));
  EXPECT_EQ(lines[0]["oob"]["supplemental"], "0x001438ab");
  EXPECT_EQ(lines[0]["oob"]["large_send"], "0x422001f4");
  EXPECT_EQ(lines[0]["oob"]["completion"], "0x40000000");
  for (std::size_t i = 1; i <= 8; ++i) {
    EXPECT_EQ(lines[i]["action"], "refused") << i;
    EXPECT_EQ(lines[i]["reason"], "gre-checksum-or-sequence") << i;
    EXPECT_TRUE(lines[i]["out_lengths"].empty()) << i;
  }
  EXPECT_EQ(lines[9]["action"], "passthrough");
  EXPECT_EQ(lines[9]["reason"], "not-nvgre");
  const auto& s = lines.back()["summary"];
  EXPECT_EQ(s["frames_in"], 10);
  EXPECT_EQ(s["frames_out"], 5);
  EXPECT_EQ(s["actions"]["lsov2"], 1);
  EXPECT_EQ(s["actions"]["refused"], 8);
  EXPECT_EQ(s["refusals"]["gre-checksum-or-sequence"], 8);
  EXPECT_EQ(s["segments"], 4);

  const std::vector<Frame> out = ReadAll(Path("out.pcap"));
  ASSERT_EQ(out.size(), 5u);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(out[k], gre_[4 + k]) << "segment " << k;
  EXPECT_EQ(out[4], plain_[0]);
}

// --lso auto with --mtu 1000: MSS = 1000 - 82 (outer IPv4 + GRE + inner Ethernet + IPv4 + TCP)
// = 918, so 918 + 918 + 164; every segment fills the MTU exactly and verifies.
TEST_F(TxCli, AutoMssFromMtu) {
  ASSERT_TRUE(WriteAll(Path("in.pcap"), {super_}));
  CmdResult r = RunNvgre("tx " + Path("in.pcap") + " " + Path("out.pcap") +
                         " --lso auto --mtu 1000 --json");
  ASSERT_EQ(r.status, 0);
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["mss"], 918);
  const std::vector<Frame> out = ReadAll(Path("out.pcap"));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].size() - 14, 1000u);
  EXPECT_EQ(out[1].size() - 14, 1000u);
  EXPECT_EQ(out[2].size(), 96u + 164u);
  std::uint32_t seq = 0;
  for (const Frame& f : out) {
    const nvgre::wire::FrameLayout l = nvgre::wire::ClassifyFrame(f);
    ASSERT_TRUE(l.is_nvgre());
    const nvgre::wire::ChecksumReport c = nvgre::wire::VerifyChecksums(f, l);
    EXPECT_EQ(c.outer_ip, nvgre::wire::CsumState::kGood);
    EXPECT_EQ(c.inner_ip, nvgre::wire::CsumState::kGood);
    EXPECT_EQ(c.inner_l4, nvgre::wire::CsumState::kGood);
    EXPECT_EQ(std::uint32_t{Get16(f, 80)} << 16 | Get16(f, 82), seq);
    seq += static_cast<std::uint32_t>(f.size() - 96);
  }
}

// Frames that fit the MTU get checksum offload: garbage in every checksum field of frame 5 comes
// back as the captured values. --csum none leaves them alone.
TEST_F(TxCli, ChecksumOffloadRepairsGarbage) {
  Frame bad = gre_[4];
  Put16(bad, 24, 0xDEAD);
  Put16(bad, 66, 0xBEEF);
  Put16(bad, 92, 0x1234);
  ASSERT_TRUE(WriteAll(Path("in.pcap"), {bad}));
  CmdResult r = RunNvgre("tx " + Path("in.pcap") + " " + Path("out.pcap") + " --lso 500");
  ASSERT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("actions: checksum=1"), std::string::npos) << r.out;
  std::vector<Frame> out = ReadAll(Path("out.pcap"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], gre_[4]);

  r = RunNvgre("tx " + Path("in.pcap") + " " + Path("out2.pcap") + " --csum none --json");
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(JsonLines(r.out)[0]["action"], "unchanged");
  out = ReadAll(Path("out2.pcap"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], bad);

  // Only the IP header checksums.
  r = RunNvgre("tx " + Path("in.pcap") + " " + Path("out3.pcap") + " --csum ip");
  ASSERT_EQ(r.status, 0);
  out = ReadAll(Path("out3.pcap"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Get16(out[0], 24), 0x31d3u);
  EXPECT_EQ(Get16(out[0], 66), 0x0187u);
  EXPECT_EQ(Get16(out[0], 92), 0x1234u);
}

// Adapter limits from the command line become refusals with their reasons; nothing is sent.
TEST_F(TxCli, ConfigurationRefusals) {
  ASSERT_TRUE(WriteAll(Path("in.pcap"), {super_, super_}));
  struct Case {
    std::string flags;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{{"--max-header-size 95", "headers-too-long"},
                                         {"--max-offload-size 1999", "payload-too-large"},
                                         {"--min-segments 5", "too-few-segments"},
                                         {"--min-mss 501", "mss-too-small"},
                                         {"--no-encap-offload", "encapsulated-offload-off"}}) {
    CmdResult r = RunNvgre("tx " + Path("in.pcap") + " " + Path("out.pcap") + " --lso 500 " + c.flags);
    ASSERT_EQ(r.status, 0) << c.flags;
    EXPECT_NE(r.out.find("refused: " + c.reason + "=2"), std::string::npos) << c.flags << "\n" << r.out;
    EXPECT_NE(r.out.find("2 frames in, 0 frames out"), std::string::npos) << r.out;
    EXPECT_TRUE(ReadAll(Path("out.pcap")).empty());
  }
}

TEST_F(TxCli, BadArgumentsAndFiles) {
  EXPECT_EQ(RunNvgre("tx " + Path("missing.pcap") + " " + Path("out.pcap")).status, 2);
  ASSERT_TRUE(WriteAll(Path("in.pcap"), {super_}));
  EXPECT_EQ(RunNvgre("tx " + Path("in.pcap") + " " + Path("out.pcap") + " --lso fast").status, 2);
  EXPECT_EQ(RunNvgre("tx " + Path("in.pcap") + " " + Path("out.pcap") + " --csum ip,sctp").status, 2);
  EXPECT_EQ(RunNvgre("tx " + Path("in.pcap") + " /nonexistent-dir/out.pcap").status, 2);
}

}  // namespace
