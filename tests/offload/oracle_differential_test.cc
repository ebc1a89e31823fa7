// Differential tests against oracles nobody here wrote: scapy (Debian's /usr/bin/python3 with
// python3-scapy: RFC 1071 over the IPv4 header, in4_chksum / in6_chksum for the TCP/UDP/ICMPv6
// pseudo-header, which takes a Routing header's final destination per RFC 8200 §8.1) and tshark
// 4.0 (`-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE`), both
// driven by tests/offload/checksum_oracle.py over a pcap of our frames. Skipped when either is
// missing (scripts/install-deps.sh installs both).
//
//   Oracle.RxFlagsAndVerifyChecksumsOnRandomFrames: thousands of random frames from the test
//     builders (plain and NVGRE, all four outer/inner IP version combinations, IPv4 options,
//     IPv6 hop-by-hop and Routing headers in transit, TCP with options, UDP with checksum 0,
//     ICMP / ICMPv6, checksum-covered bytes corrupted): wire::VerifyChecksums, the Rx engine's
//     NDIS checksum flags (spec §3.2) and offload::Verifier's csum.* rules (the engine of
//     `nvgre verify`) must say what scapy and tshark say.
//   Oracle.TxEngineOutputOnRandomSends: stack_prep + the Tx engine (checksum offload, LSOv2,
//     USO; spec §3.1, §4) on random NVGRE sends: every IPv4 header and transport checksum of
//     every segment verifies for scapy and tshark.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"
#include "nvgre/offload/rx_engine.h"
#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/offload/verify.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/l4_checksum.h"
#include "offload/rx_frames_util.h"

namespace nvgre::offload {
namespace {

using nvgre::testing::Bytes;
using nvgre::testing::BuildFrame;
using nvgre::testing::BuildNvgreFrame;
using nvgre::testing::InnerSpec;
using nvgre::testing::OuterSpec;

const std::string kOracle =
    (std::filesystem::path(__FILE__).parent_path() / "checksum_oracle.py").string();

// The frames as a classic pcap (LINKTYPE_ETHERNET) through the library's writer; the oracle
// reads it with scapy.
void WritePcap(const std::string& path, const std::vector<Bytes>& frames) {
  auto opened = io::PcapWriter::Open(path, 1);
  ASSERT_TRUE(std::holds_alternative<io::PcapWriter>(opened)) << path;
  auto& writer = std::get<io::PcapWriter>(opened);
  std::int64_t t = 0;
  for (const Bytes& f : frames) ASSERT_TRUE(writer.Write(++t, 0, f));
  ASSERT_TRUE(writer.Close());
}

struct Verdict {
  std::string scapy_ip, scapy_l4, tshark_ip, tshark_l4;
};

// Runs the oracle: one verdict per frame, or nothing with `skipped` set when /usr/bin/python3,
// scapy or tshark is missing (the script exits 77).
std::vector<Verdict> AskOracle(const std::vector<Bytes>& frames, const std::string& name,
                               bool& skipped) {
  const std::string pcap = (std::filesystem::temp_directory_path() /
                            ("nvgre_oracle_" + std::to_string(::getpid()) + "_" + name + ".pcap"))
                               .string();
  std::vector<Verdict> out;
  if (!std::filesystem::exists("/usr/bin/python3")) {
    skipped = true;
    return out;
  }
  WritePcap(pcap, frames);
  const std::string command = "/usr/bin/python3 " + kOracle + " " + pcap + " 2>/dev/null";
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    skipped = true;
    return out;
  }
  std::string text;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
  const int status = ::pclose(p);
  std::filesystem::remove(pcap);
  skipped = WIFEXITED(status) && WEXITSTATUS(status) == 77;
  if (skipped) return out;
  EXPECT_EQ(status, 0) << command;
  std::istringstream lines(text);
  std::size_t n = 0;
  Verdict v;
  while (lines >> n >> v.scapy_ip >> v.scapy_l4 >> v.tshark_ip >> v.tshark_l4) {
    EXPECT_EQ(n, out.size() + 1);
    out.push_back(v);
  }
  EXPECT_EQ(out.size(), frames.size());
  return out;
}

char Letter(wire::CsumState s) {
  switch (s) {
    case wire::CsumState::kGood: return 'g';
    case wire::CsumState::kBad: return 'b';
    default: return '-';
  }
}

const std::array<std::uint8_t, 16> kV6a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const std::array<std::uint8_t, 16> kV6b{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
const std::array<std::uint8_t, 16> kV6via{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x77, 7};
const std::array<std::uint8_t, 16> kV6c{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c};
const std::array<std::uint8_t, 16> kV6d{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d};

// A random frame from the builders: versions, options, extension headers, protocols, sizes.
struct RandomFrame {
  OuterSpec out;
  InnerSpec in;
  bool plain = false;
};

RandomFrame Draw(std::mt19937& rng, bool allow_zero_udp) {
  RandomFrame r;
  OuterSpec& out = r.out;
  InnerSpec& in = r.in;
  out.ip_version = (rng() & 1) ? 4 : 6;
  in.ip_version = (rng() & 1) ? 4 : 6;
  if (out.ip_version == 6) {
    out.src = kV6c;
    out.dst = kV6d;
  } else {
    out.ipv4_options = static_cast<std::uint8_t>(4 * (rng() % 3));
  }
  if (in.ip_version == 6) {
    in.src = kV6a;
    in.dst = kV6b;
    in.ipv6_hop_by_hop = rng() % 3 == 0;
    if (rng() % 3 == 0) in.ipv6_route_via = kV6via;
  } else {
    in.ipv4_options = static_cast<std::uint8_t>(4 * (rng() % 3));
    in.src[3] = static_cast<std::uint8_t>(rng());
  }
  const std::uint8_t protos[] = {wire::kIpProtoTcp, wire::kIpProtoUdp,
                                 in.ip_version == 4 ? wire::kIpProtoIcmp : wire::kIpProtoIcmpv6};
  in.protocol = protos[rng() % 3];
  in.tcp_options = static_cast<std::uint8_t>(4 * (rng() % 3));
  in.payload = rng() % 300;
  in.payload_seed = static_cast<std::uint8_t>(rng());
  // Ports away from those tshark hands to other dissectors (53, 4789, ...).
  in.sport = static_cast<std::uint16_t>(20000 + rng() % 20000);
  in.dport = static_cast<std::uint16_t>(20000 + rng() % 20000);
  if (allow_zero_udp && in.protocol == wire::kIpProtoUdp && rng() % 4 == 0) {
    in.udp_checksum_override = 0;
  }
  r.plain = rng() % 5 == 0;
  return r;
}

// Flips a byte that a checksum covers without changing the frame's structure: a payload byte,
// an IPv4 header checksum, the transport checksum field, an address byte.
void Corrupt(std::mt19937& rng, Bytes& f, const wire::FrameLayout& l) {
  const wire::L3Layout& ip = l.encapsulated() ? l.inner_l3 : l.outer_l3;
  const std::uint16_t l4 = l.encapsulated() ? l.inner_l4 : l.outer_l4;
  const auto flip = [&](std::size_t at) { f[at] ^= static_cast<std::uint8_t>(1 + rng() % 255); };
  switch (rng() % 4) {
    case 0:
      if (l.payload != wire::kNoHeader && l.payload < ip.end) flip(l.payload + rng() % (ip.end - l.payload));
      break;
    case 1: {
      const wire::L3Layout& v4 = rng() % 2 ? l.outer_l3 : l.inner_l3;
      if (v4.present() && v4.version == 4) flip(v4.offset + 10u + rng() % 2);
      break;
    }
    case 2:
      if (l4 != wire::kNoHeader) flip(l4 + wire::L4ChecksumOffset(l.l4_protocol) + rng() % 2);
      break;
    default:
      if (ip.present()) flip(ip.offset + (ip.version == 4 ? 12u + rng() % 8 : 8u + rng() % 16));
      break;
  }
}

TEST(Oracle, RxFlagsAndVerifyChecksumsOnRandomFrames) {
  std::mt19937 rng(20261207);
  std::vector<Bytes> frames;
  for (int i = 0; i < 3000; ++i) {
    const RandomFrame d = Draw(rng, true);
    Bytes f = d.plain ? BuildFrame(d.in) : BuildNvgreFrame(d.out, d.in);
    if (rng() % 3 == 0) Corrupt(rng, f, wire::ClassifyFrame(f));
    frames.push_back(std::move(f));
  }
  bool skipped = false;
  const std::vector<Verdict> oracle = AskOracle(frames, "rx", skipped);
  if (skipped) GTEST_SKIP() << "scapy (/usr/bin/python3) or tshark missing";
  ASSERT_EQ(oracle.size(), frames.size());

  // `nvgre verify`'s engine over the same frames, checksum rules only (LSO burst rules would
  // judge unrelated random frames as segments of one send).
  struct Found : ViolationSink {
    std::vector<std::set<VerifyRule>> rules;
    void OnViolation(const Violation& v) override { rules.at(v.frame - 1).insert(v.rule); }
  } found;
  found.rules.resize(frames.size());
  VerifyOptions vo;
  vo.rules = *ParseVerifyRuleList("csum");
  Verifier verifier(vo);
  for (std::size_t i = 0; i < frames.size(); ++i) verifier.AddFrame(i + 1, frames[i], frames[i].size(), found);
  verifier.Finish(found);

  std::unique_ptr<Adapter> adapter = nvgre::testing::ReadyAdapter();
  int l4_checked = 0, l4_bad = 0, routed = 0, rx_l4 = 0, verify_judged = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const Bytes& f = frames[i];
    const Verdict& o = oracle[i];
    const std::string where = "frame " + std::to_string(i + 1);
    // The two oracles agree with each other wherever tshark verified.
    for (std::size_t k = 0; k < o.tshark_ip.size() && k < o.scapy_ip.size(); ++k) {
      if (o.tshark_ip[k] != 'u') {
        EXPECT_EQ(o.tshark_ip[k], o.scapy_ip[k]) << where;
      }
    }
    if (o.tshark_l4 != "u") {
      EXPECT_EQ(o.tshark_l4, o.scapy_l4) << where;
    }

    const wire::FrameLayout l = wire::ClassifyFrame(f);
    const wire::ChecksumReport ref = wire::VerifyChecksums(f, l);
    std::string ip;
    if (l.outer_l3.version == 4) ip += Letter(ref.outer_ip);
    if (l.encapsulated() && l.inner_l3.version == 4) ip += Letter(ref.inner_ip);
    if (ip.empty()) ip = "-";
    EXPECT_EQ(ip, o.scapy_ip) << where;
    const wire::CsumState l4 = l.encapsulated() ? ref.inner_l4 : ref.outer_l4;
    EXPECT_EQ(std::string(1, Letter(l4)), o.scapy_l4) << where;
    if (o.scapy_l4 != "-") ++l4_checked;
    if (o.scapy_l4 == "b") ++l4_bad;
    const wire::L3Layout& l3 = l.encapsulated() ? l.inner_l3 : l.outer_l3;
    if (l3.version == 6 && l3.pseudo_destination != l3.offset + 24u) ++routed;

    // The Rx engine's flags (spec §3.2): IpChecksumFailed when any checked IPv4 header is bad,
    // Succeeded when all are good; TCP/UDP flags as the oracle says.
    const RxResult r = ProcessRxFrame(*adapter->Snapshot(), f, 0);
    ASSERT_TRUE(r.checksum.consistent()) << where;
    std::string checked_ip;
    if (l.outer_l3.version == 4) checked_ip += o.scapy_ip[0];
    if (r.inner_checksum && l.inner_l3.version == 4) checked_ip += o.scapy_ip.back();
    const bool any_bad = checked_ip.find('b') != std::string::npos;
    EXPECT_EQ(r.checksum.ip_checksum_failed(), any_bad) << where;
    EXPECT_EQ(r.checksum.ip_checksum_succeeded(), !checked_ip.empty() && !any_bad) << where;
    const bool transport = r.path == RxPath::kPlain || r.inner_checksum;
    const bool tcp = l.l4_protocol == wire::kIpProtoTcp && transport;
    const bool udp = l.l4_protocol == wire::kIpProtoUdp && transport;
    EXPECT_EQ(r.checksum.tcp_checksum_succeeded(), tcp && o.scapy_l4 == "g") << where;
    EXPECT_EQ(r.checksum.tcp_checksum_failed(), tcp && o.scapy_l4 == "b") << where;
    EXPECT_EQ(r.checksum.udp_checksum_succeeded(), udp && o.scapy_l4 == "g") << where;
    EXPECT_EQ(r.checksum.udp_checksum_failed(), udp && o.scapy_l4 == "b") << where;
    rx_l4 += (tcp || udp) ? 1 : 0;

    // verify: a GRE frame's checksum violations are exactly the oracle's bad checksums.
    if (!l.encapsulated()) continue;
    ++verify_judged;
    const std::set<VerifyRule>& v = found.rules[i];
    const bool outer4 = l.outer_l3.version == 4, inner4 = l.inner_l3.version == 4;
    EXPECT_EQ(v.count(VerifyRule::kCsumOuterIpv4) == 1, outer4 && o.scapy_ip[0] == 'b') << where;
    EXPECT_EQ(v.count(VerifyRule::kCsumInnerIpv4) == 1, inner4 && o.scapy_ip.back() == 'b') << where;
    EXPECT_EQ(v.count(VerifyRule::kCsumInnerL4) == 1, o.scapy_l4 == "b") << where;
  }
  std::printf("oracle rx: %zu frames, %d transport checksums (%d bad), %d with a routing header, "
              "%d Rx TCP/UDP flag checks, %d frames judged by verify\n",
              frames.size(), l4_checked, l4_bad, routed, rx_l4, verify_judged);
  EXPECT_GT(l4_checked, 2000);
  EXPECT_GT(l4_bad, 300);
  EXPECT_GT(routed, 200);
}

TEST(Oracle, TxEngineOutputOnRandomSends) {
  std::mt19937 rng(20261208);
  TxOffloadConfig cfg;
  cfg.lso_v2_ipv4.min_segment_count = 1;
  cfg.lso_v2_ipv6.min_segment_count = 1;
  cfg.uso_ipv4.min_segment_count = 1;
  cfg.uso_ipv6.min_segment_count = 1;
  std::vector<Bytes> segments;
  int sends = 0, lso = 0, uso = 0;
  while (segments.size() < 3000) {
    RandomFrame d = Draw(rng, false);
    if (d.in.protocol != wire::kIpProtoTcp && d.in.protocol != wire::kIpProtoUdp) continue;
    d.in.payload = rng() % 3000;
    const Bytes frame = BuildNvgreFrame(d.out, d.in);
    PrepareOptions opts;
    const auto mss = static_cast<std::uint32_t>(100 + rng() % 1300);
    if (rng() % 3 != 0 && d.in.payload > mss) {
      opts.segmentation = d.in.protocol == wire::kIpProtoTcp ? Segmentation::kLsoV2 : Segmentation::kUso;
      opts.mss = mss;
    }
    Bytes headers(kTxParseWindow);
    const PrepareResult prep = PrepareNvgreSend(frame, opts, headers);
    ASSERT_TRUE(prep.has_value()) << ToString(prep.error());
    const std::size_t hl = prep->header_length;
    const std::span<const std::uint8_t> buffers[] = {std::span<const std::uint8_t>(headers).first(hl),
                                                      std::span<const std::uint8_t>(frame).subspan(hl)};
    TxOob oob = prep->oob;
    std::vector<TxSegment> segs(64);
    std::vector<std::uint8_t> arena(64 * 256);
    TxStats stats;
    const TxResult r = ProcessTxPacket(cfg, buffers, oob, TxOutput{segs, arena}, stats);
    ASSERT_TRUE(r.ok()) << "send " << sends;
    for (const TxSegment& s : r.segments(TxOutput{segs, arena})) {
      Bytes out(s.size());
      ASSERT_EQ(LinearizeSegment(s, out), out.size());
      segments.push_back(std::move(out));
    }
    ++sends;
    lso += opts.segmentation == Segmentation::kLsoV2;
    uso += opts.segmentation == Segmentation::kUso;
  }
  bool skipped = false;
  const std::vector<Verdict> oracle = AskOracle(segments, "tx", skipped);
  if (skipped) GTEST_SKIP() << "scapy (/usr/bin/python3) or tshark missing";
  ASSERT_EQ(oracle.size(), segments.size());
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Verdict& o = oracle[i];
    const std::string where = "segment " + std::to_string(i + 1);
    EXPECT_EQ(o.scapy_ip.find('b'), std::string::npos) << where << " " << o.scapy_ip;
    EXPECT_EQ(o.scapy_l4, "g") << where;
    EXPECT_EQ(o.tshark_ip.find('b'), std::string::npos) << where << " " << o.tshark_ip;
    EXPECT_EQ(o.tshark_l4, "g") << where;
  }
  std::printf("oracle tx: %d sends (%d LSOv2, %d USO), %zu segments\n", sends, lso, uso,
              segments.size());
}

}  // namespace
}  // namespace nvgre::offload
