// Tests for neighbor.h: the ARP / Neighbor Discovery responder and ICMP "too big" messages.
//
// Oracles, none of them the code under test:
//   - testdata/neighbor_linux_netns.pcap: what Linux sent between two network namespaces
//     (kernel ARP and NS for `ping`, DAD probes, arping requests/probes/announcements, and the
//     kernel's own ARP reply and NA, which our replies must equal byte for byte); see
//     testdata/SOURCES.md. Read by a 20-line pcap reader here.
//   - tests/virt/neighbor_oracle.py (Debian's /usr/bin/python3 + python3-scapy, and tshark):
//     `gen` builds ARP requests and NS frames (lengths and checksums computed by scapy), one
//     per ignore reason among them; `check` dissects what we built and recomputes every
//     checksum (scapy.utils.checksum, in6_chksum), and asks tshark for its checksum verdicts.
//   - RefSum / RefIcmpv6Checksum below: the RFC 1071 §4.1 loop and an RFC 8200 §8.1
//     pseudo-header laid out byte by byte, used to craft frames with exactly one defect.
#include "nvgre/virt/neighbor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <variant>
#include <vector>

#include "nvgre/virt/address.h"

namespace nvgre::virt {
namespace {

using Frame = std::vector<std::uint8_t>;
using Span = std::span<const std::uint8_t>;
using R = NeighborIgnore;

const std::string kTestdata = NVGRE_TESTDATA_DIR;
const std::string kOracle = kTestdata + "/../tests/virt/neighbor_oracle.py";
const std::string kPython = "/usr/bin/python3";  // Debian's, with python3-scapy

// ---- independent helpers ------------------------------------------------------------------

std::string Hex(Span b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (std::uint8_t v : b) {
    s.push_back(kDigits[v >> 4]);
    s.push_back(kDigits[v & 0xF]);
  }
  return s;
}

Frame FromHex(const std::string& h) {
  Frame f;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    f.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return f;
}

// RFC 1071 §4.1, the textbook loop (32-bit accumulator, odd byte padded with zero).
std::uint16_t RefSum(Span data, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) acc += std::uint32_t{data[i]} << 8 | data[i + 1];
  if (data.size() % 2 != 0) acc += std::uint32_t{data.back()} << 8;
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}
// The RFC 8200 §8.1 pseudo-header written out as bytes: source (16), destination (16),
// upper-layer length (32 bits), three zero bytes, next header 58; then the message.
Frame Pseudo(Span src, Span dst, std::uint32_t length, Span message) {
  Frame b(src.begin(), src.end());
  b.insert(b.end(), dst.begin(), dst.end());
  for (int shift : {24, 16, 8, 0}) b.push_back(static_cast<std::uint8_t>(length >> shift));
  b.insert(b.end(), {0, 0, 0, 58});
  b.insert(b.end(), message.begin(), message.end());
  return b;
}
// The checksum to store (the message's checksum field taken as zero). `length` is what goes
// into the pseudo-header: the message size unless a test wants it wrong.
std::uint16_t RefIcmpv6Checksum(Span src, Span dst, Span message, long length = -1) {
  Frame m(message.begin(), message.end());
  m[2] = m[3] = 0;
  const auto n = static_cast<std::uint32_t>(length < 0 ? static_cast<long>(m.size()) : length);
  return static_cast<std::uint16_t>(~RefSum(Pseudo(src, dst, n, m)));
}
bool RefIcmpv6Ok(Span src, Span dst, Span message) {
  return RefSum(Pseudo(src, dst, static_cast<std::uint32_t>(message.size()), message)) == 0xFFFF;
}

// Untagged IPv6 frame with the ICMPv6 message right after the fixed header: refresh its checksum.
void FixIcmpv6(Frame& f) {
  const std::size_t plen = (std::size_t{f[18]} << 8) | f[19];
  if (54 + plen > f.size() || plen < 4) return;  // a test made it run past the frame
  Span msg(f.data() + 54, plen);
  const std::uint16_t c = RefIcmpv6Checksum(Span(f.data() + 22, 16), Span(f.data() + 38, 16), msg);
  f[56] = static_cast<std::uint8_t>(c >> 8);
  f[57] = static_cast<std::uint8_t>(c);
}
// Untagged IPv4 frame: refresh the header checksum and, for ICMP, the ICMP checksum.
void FixIpv4(Frame& f) {
  const std::size_t ihl = 4u * (f[14] & 0x0Fu);
  const std::size_t total = (std::size_t{f[16]} << 8) | f[17];
  f[24] = f[25] = 0;
  const std::uint16_t h = static_cast<std::uint16_t>(~RefSum(Span(f.data() + 14, ihl)));
  f[24] = static_cast<std::uint8_t>(h >> 8);
  f[25] = static_cast<std::uint8_t>(h);
  if (f[23] == 1 && total >= ihl + 4 && f.size() >= 14 + total) {
    std::uint8_t* m = f.data() + 14 + ihl;
    m[2] = m[3] = 0;
    const std::uint16_t c = static_cast<std::uint16_t>(~RefSum(Span(m, total - ihl)));
    m[2] = static_cast<std::uint8_t>(c >> 8);
    m[3] = static_cast<std::uint8_t>(c);
  }
}

// Classic little-endian pcap (what tcpdump writes here): the frames, nothing else.
std::vector<Frame> ReadPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), {});
  auto le32 = [&](std::size_t o) {
    return std::uint32_t{b[o]} | std::uint32_t{b[o + 1]} << 8 | std::uint32_t{b[o + 2]} << 16 |
           std::uint32_t{b[o + 3]} << 24;
  };
  std::vector<Frame> frames;
  if (b.size() < 24 || le32(0) != 0xa1b2c3d4) return frames;
  for (std::size_t o = 24; o + 16 <= b.size();) {
    const std::size_t n = le32(o + 8);
    o += 16;
    if (o + n > b.size()) break;
    frames.emplace_back(b.begin() + static_cast<long>(o), b.begin() + static_cast<long>(o + n));
    o += n;
  }
  return frames;
}

std::string Run(const std::string& command, int* status) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  *status = ::pclose(p);
  return out;
}

// neighbor_oracle.py gen: name -> frame.
const std::map<std::string, Frame>& ScapyFrames() {
  static const std::map<std::string, Frame> frames = [] {
    std::map<std::string, Frame> m;
    int status = -1;
    std::istringstream in(Run(kPython + " '" + kOracle + "' gen", &status));
    EXPECT_EQ(status, 0) << "neighbor_oracle.py gen failed: is python3-scapy installed?";
    std::string name, hex;
    while (in >> name >> hex) m[name] = FromHex(hex);
    return m;
  }();
  return frames;
}

// neighbor_oracle.py check: one key -> value map per frame.
using Fields = std::map<std::string, std::string>;
std::vector<Fields> Dissect(const std::vector<Frame>& frames) {
  char path[] = "/tmp/nvgre_neighbor_XXXXXX";
  const int fd = ::mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream f(path);
    for (const Frame& fr : frames) f << Hex(fr) << "\n";
  }
  int status = -1;
  std::istringstream in(Run(kPython + " '" + kOracle + "' check " + path, &status));
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << "neighbor_oracle.py check failed";
  std::vector<Fields> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("frame ", 0) == 0) {
      out.emplace_back();
    } else if (line != "end" && !out.empty()) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) out.back()[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  EXPECT_EQ(out.size(), frames.size());
  return out;
}

const std::vector<Frame>& Capture() {
  static const std::vector<Frame> frames = ReadPcap(kTestdata + "/neighbor_linux_netns.pcap");
  return frames;
}
// 1-based, as tcpdump and tshark number them.
const Frame& CaptureFrame(std::size_t n) { return Capture().at(n - 1); }

std::string Ip(const IpAddress& a) { return FormatIpAddress(a); }
IpAddress MustIp(const char* text) { return *ParseIpAddress(text); }
wire::MacAddress MustMac(const char* text) { return *ParseMacAddress(text); }

::testing::AssertionResult IsQuery(const Expected<NeighborQuery, NeighborIgnore>& q,
                                   NeighborKind kind, const char* mac, const char* requester,
                                   const char* target) {
  if (!q) return ::testing::AssertionFailure() << "ignored: " << ToString(q.error());
  if (q->kind != kind) return ::testing::AssertionFailure() << "wrong kind";
  if (wire::FormatMac(q->requester_mac) != mac) {
    return ::testing::AssertionFailure() << "requester_mac " << wire::FormatMac(q->requester_mac);
  }
  if (Ip(q->requester_ip) != requester) {
    return ::testing::AssertionFailure() << "requester_ip " << Ip(q->requester_ip);
  }
  if (Ip(q->target_ip) != target) {
    return ::testing::AssertionFailure() << "target_ip " << Ip(q->target_ip);
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsIgnored(const Expected<NeighborQuery, NeighborIgnore>& q,
                                     NeighborIgnore reason) {
  if (q) return ::testing::AssertionFailure() << "parsed as a query; expected " << ToString(reason);
  if (q.error() != reason) {
    return ::testing::AssertionFailure() << "ignored as " << ToString(q.error()) << "; expected "
                                         << ToString(reason);
  }
  return ::testing::AssertionSuccess();
}

constexpr const char* kMacA = "02:00:00:00:0a:01";  // the namespace that asked
constexpr const char* kMacB = "02:00:00:00:0b:02";  // the namespace that answered

// ---- reason names ---------------------------------------------------------------------------

TEST(NeighborIgnore, NamesAndHelp) {
  const std::vector<std::string> names{"not-neighbor-query", "arp-malformed", "arp-not-request",
                                       "arp-gratuitous",     "nd-malformed",  "nd-dad",
                                       "nd-target-multicast"};
  ASSERT_EQ(kNeighborIgnoreCount, names.size());
  for (std::size_t i = 0; i < kNeighborIgnoreCount; ++i) {
    EXPECT_EQ(ToString(static_cast<NeighborIgnore>(i)), names[i]);
    EXPECT_FALSE(HelpText(static_cast<NeighborIgnore>(i)).empty());
  }
  EXPECT_EQ(ToString(NeighborIgnore::kCount), "?");
}

// ---- ParseNeighborQuery: known answers ------------------------------------------------------

TEST(ParseNeighborQuery, LinuxCapture) {
  ASSERT_EQ(Capture().size(), 21u) << "testdata/neighbor_linux_netns.pcap";
  using K = NeighborKind;
  // tcpdump -nn -e: "Request who-has 192.0.2.2 tell 192.0.2.1" (kernel, for ping).
  EXPECT_TRUE(IsQuery(ParseNeighborQuery(CaptureFrame(4)), K::kArpRequest, kMacA, "192.0.2.1",
                      "192.0.2.2"));
  // arping: the same with target hardware address ff:ff:ff:ff:ff:ff.
  EXPECT_TRUE(IsQuery(ParseNeighborQuery(CaptureFrame(16)), K::kArpRequest, kMacA, "192.0.2.1",
                      "192.0.2.2"));
  EXPECT_TRUE(IsQuery(ParseNeighborQuery(CaptureFrame(20)), K::kArpRequest, kMacA, "192.0.2.1",
                      "192.0.2.99"));
  // "2001:db8::11 > ff02::1:ff00:2: neighbor solicitation, who has 2001:db8::2, source
  // link-address option 02:00:00:00:0a:01".
  EXPECT_TRUE(IsQuery(ParseNeighborQuery(CaptureFrame(8)), K::kNeighborSolicitation, kMacA,
                      "2001:db8::11", "2001:db8::2"));
  // ":: > ff02::1:ff00:11: neighbor solicitation, who has 2001:db8::11" + nonce option (DAD).
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(CaptureFrame(2)), R::kNdDad));
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(CaptureFrame(5)), R::kArpNotRequest));   // reply
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(CaptureFrame(17)), R::kArpNotRequest));  // reply
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(CaptureFrame(18)), R::kArpGratuitous));  // arping -D
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(CaptureFrame(19)), R::kArpGratuitous));  // arping -U
  // MLDv2 reports behind hop-by-hop, the NA, ICMP/ICMPv6 echoes of 98 to 1462 bytes.
  for (std::size_t n : {1u, 3u, 6u, 7u, 9u, 10u, 11u, 12u, 13u, 14u, 15u}) {
    EXPECT_TRUE(IsIgnored(ParseNeighborQuery(CaptureFrame(n)), R::kNotNeighborQuery)) << n;
  }
}

TEST(ParseNeighborQuery, ScapyFrames) {
  const auto& f = ScapyFrames();
  ASSERT_EQ(f.size(), 36u);
  using K = NeighborKind;
  const char* vm = "52:54:00:12:34:56";
  auto parse = [&](const char* name) {
    EXPECT_TRUE(f.contains(name)) << name;
    return ParseNeighborQuery(f.at(name));
  };
  EXPECT_TRUE(IsQuery(parse("arp_request"), K::kArpRequest, vm, "10.0.0.5", "10.0.0.1"));
  EXPECT_TRUE(IsQuery(parse("arp_request_padded"), K::kArpRequest, vm, "10.0.0.5", "10.0.0.1"));
  EXPECT_TRUE(IsQuery(parse("arp_request_vlan"), K::kArpRequest, vm, "10.0.0.5", "10.0.0.1"));
  // The ARP sender hardware address says 52:54:00:aa:bb:cc; the Ethernet source wins.
  EXPECT_TRUE(
      IsQuery(parse("arp_request_sha_differs"), K::kArpRequest, vm, "10.0.0.5", "10.0.0.1"));
  const auto ns = K::kNeighborSolicitation;
  const char* ll = "fe80::5054:ff:fe12:3456";
  EXPECT_TRUE(IsQuery(parse("ns_slla"), ns, vm, ll, "2001:db8::1"));
  EXPECT_TRUE(IsQuery(parse("ns_nud_unicast"), ns, vm, ll, "2001:db8::1"));
  EXPECT_TRUE(IsQuery(parse("ns_nonce"), ns, vm, ll, "2001:db8::1"));
  EXPECT_TRUE(IsQuery(parse("ns_vlan"), ns, vm, ll, "2001:db8::1"));
  EXPECT_TRUE(IsQuery(parse("ns_hop_by_hop"), ns, vm, ll, "2001:db8::1"));
  EXPECT_TRUE(IsQuery(parse("ns_global_source"), ns, vm, "2001:db8::5", "2001:db8::1"));

  const std::vector<std::pair<const char*, NeighborIgnore>> ignored{
      {"qinq_arp", R::kNotNeighborQuery},
      {"na", R::kNotNeighborQuery},
      {"rs", R::kNotNeighborQuery},
      {"echo6", R::kNotNeighborQuery},
      {"udp4", R::kNotNeighborQuery},
      {"arp_ieee802", R::kArpMalformed},
      {"arp_multicast_eth_source", R::kArpMalformed},
      {"arp_multicast_sender_ip", R::kArpMalformed},
      {"arp_reply", R::kArpNotRequest},
      {"arp_rarp_request", R::kArpNotRequest},
      {"arp_probe", R::kArpGratuitous},
      {"arp_announcement", R::kArpGratuitous},
      {"ns_hop_limit_64", R::kNdMalformed},
      {"ns_code_1", R::kNdMalformed},
      {"ns_bad_checksum", R::kNdMalformed},
      {"ns_option_length_0", R::kNdMalformed},
      {"ns_slla_16_bytes", R::kNdMalformed},
      {"ns_fragment", R::kNdMalformed},
      {"ns_multicast_source", R::kNdMalformed},
      {"ns_dad_with_slla", R::kNdMalformed},
      {"ns_dad_not_solicited_node", R::kNdMalformed},
      {"ns_truncated", R::kNdMalformed},
      {"ns_short", R::kNdMalformed},
      {"ns_target_multicast", R::kNdTargetMulticast},
      {"ns_dad", R::kNdDad},
      {"ns_dad_nonce", R::kNdDad},
  };
  std::set<NeighborIgnore> seen;
  for (const auto& [name, reason] : ignored) {
    EXPECT_TRUE(IsIgnored(parse(name), reason)) << name;
    seen.insert(reason);
  }
  EXPECT_EQ(seen.size(), kNeighborIgnoreCount) << "every reason has a scapy frame";
}

// ---- ParseNeighborQuery: one defect each, crafted from the captured NS / ARP ------------------

TEST(ParseNeighborQuery, EachDefectHitsExactlyItsReason) {
  const Frame& ns = CaptureFrame(8);   // 2001:db8::11 asks for 2001:db8::2, SLLA option
  const Frame& arp = CaptureFrame(4);  // 192.0.2.1 asks for 192.0.2.2
  ASSERT_TRUE(ParseNeighborQuery(ns).has_value());
  ASSERT_TRUE(ParseNeighborQuery(arp).has_value());
  ASSERT_TRUE(RefIcmpv6Ok(Span(ns.data() + 22, 16), Span(ns.data() + 38, 16),
                          Span(ns.data() + 54, 32)));

  struct Case {
    const char* what;
    bool is_ns;
    void (*mutate)(Frame&);
    NeighborIgnore reason;
  };
  const std::vector<Case> cases{
      {"ethertype IPv4", false, [](Frame& f) { f[13] = 0x00; }, R::kNotNeighborQuery},
      {"ARP htype 6", false, [](Frame& f) { f[15] = 6; }, R::kArpMalformed},
      {"ARP ptype 0x86dd", false, [](Frame& f) { f[16] = 0x86, f[17] = 0xdd; }, R::kArpMalformed},
      {"ARP hlen 8", false, [](Frame& f) { f[18] = 8; }, R::kArpMalformed},
      {"ARP plen 16", false, [](Frame& f) { f[19] = 16; }, R::kArpMalformed},
      {"ARP broadcast sender IP", false, [](Frame& f) { std::fill_n(f.begin() + 28, 4, 0xff); },
       R::kArpMalformed},
      {"Ethernet source broadcast", false, [](Frame& f) { std::fill_n(f.begin() + 6, 6, 0xff); },
       R::kArpMalformed},
      {"ARP opcode 2", false, [](Frame& f) { f[21] = 2; }, R::kArpNotRequest},
      {"ARP opcode 0", false, [](Frame& f) { f[21] = 0; }, R::kArpNotRequest},
      {"ARP sender 0.0.0.0", false, [](Frame& f) { std::fill_n(f.begin() + 28, 4, 0); },
       R::kArpGratuitous},
      {"ARP sender = target", false, [](Frame& f) { f[31] = f[41]; }, R::kArpGratuitous},
      {"ICMPv6 type 136", true, [](Frame& f) { f[54] = 136; }, R::kNotNeighborQuery},
      {"next header 17", true, [](Frame& f) { f[20] = 17; }, R::kNotNeighborQuery},
      {"IPv6 version 4", true, [](Frame& f) { f[14] = 0x40; }, R::kNotNeighborQuery},
      {"hop limit 254", true, [](Frame& f) { f[21] = 254; }, R::kNdMalformed},
      {"hop limit 1", true, [](Frame& f) { f[21] = 1; }, R::kNdMalformed},
      {"code 1", true, [](Frame& f) { f[55] = 1; }, R::kNdMalformed},
      {"option length 0", true, [](Frame& f) { f[79] = 0; }, R::kNdMalformed},
      {"option length 2 (past the end)", true, [](Frame& f) { f[79] = 2; }, R::kNdMalformed},
      {"source ff02::1", true,
       [](Frame& f) {
         std::fill_n(f.begin() + 22, 16, 0);
         f[22] = 0xff, f[23] = 0x02, f[37] = 1;
       },
       R::kNdMalformed},
      {"Ethernet source multicast", true, [](Frame& f) { f[6] = 0x03; }, R::kNdMalformed},
      {"target ff02::1:ff00:2", true, [](Frame& f) { std::copy_n(f.begin() + 38, 16, f.begin() + 62); },
       R::kNdTargetMulticast},
      {"source :: with SLLA", true, [](Frame& f) { std::fill_n(f.begin() + 22, 16, 0); },
       R::kNdMalformed},
      {"source :: without SLLA (option type 14)", true,
       [](Frame& f) {
         std::fill_n(f.begin() + 22, 16, 0);
         f[78] = 14;
       },
       R::kNdDad},
      {"source :: to ff02::1", true,
       [](Frame& f) {
         std::fill_n(f.begin() + 22, 16, 0);
         std::fill_n(f.begin() + 38, 16, 0);
         f[38] = 0xff, f[39] = 0x02, f[53] = 1;
         f[78] = 14;
       },
       R::kNdMalformed},
  };
  for (const Case& c : cases) {
    Frame f = c.is_ns ? ns : arp;
    c.mutate(f);
    if (c.is_ns) FixIcmpv6(f);  // the checksum stays right: the defect is the only one
    EXPECT_TRUE(IsIgnored(ParseNeighborQuery(f), c.reason)) << c.what;
  }
}

// RFC 4443 §2.3 / RFC 8200 §8.1: every part of the pseudo-header counts.
TEST(ParseNeighborQuery, ChecksumCoversThePseudoHeader) {
  const Frame& ns = CaptureFrame(8);
  // Any single-bit flip in the covered bytes (IPv6 addresses, the message) is caught.
  for (std::size_t byte = 22; byte < ns.size(); ++byte) {
    if (byte >= 54 && byte < 58) continue;  // type, code, checksum: other checks apply first
    for (int bit = 0; bit < 8; ++bit) {
      Frame f = ns;
      f[byte] ^= static_cast<std::uint8_t>(1 << bit);
      auto q = ParseNeighborQuery(f);
      ASSERT_FALSE(q.has_value()) << "byte " << byte << " bit " << bit;
    }
  }
  // A checksum computed over the message alone (ICMPv4 style) does not verify.
  Frame f = ns;
  f[56] = f[57] = 0;
  const std::uint16_t no_pseudo = static_cast<std::uint16_t>(~RefSum(Span(f.data() + 54, 32)));
  f[56] = static_cast<std::uint8_t>(no_pseudo >> 8);
  f[57] = static_cast<std::uint8_t>(no_pseudo);
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(f), R::kNdMalformed));
  // Nor does one computed with the upper-layer length off by 8 (as if the option were not there).
  f = ns;
  const std::uint16_t short_len = RefIcmpv6Checksum(Span(f.data() + 22, 16),
                                                    Span(f.data() + 38, 16), Span(f.data() + 54, 32), 24);
  f[56] = static_cast<std::uint8_t>(short_len >> 8);
  f[57] = static_cast<std::uint8_t>(short_len);
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(f), R::kNdMalformed));
  // Nor one with next header 6 in the pseudo-header (a TCP-style sum).
  f = ns;
  Frame pseudo = Pseudo(Span(f.data() + 22, 16), Span(f.data() + 38, 16), 32, Span(f.data() + 54, 32));
  pseudo[39] = 6;
  pseudo[40 + 2] = pseudo[40 + 3] = 0;
  const std::uint16_t tcp_style = static_cast<std::uint16_t>(~RefSum(pseudo));
  f[56] = static_cast<std::uint8_t>(tcp_style >> 8);
  f[57] = static_cast<std::uint8_t>(tcp_style);
  EXPECT_TRUE(IsIgnored(ParseNeighborQuery(f), R::kNdMalformed));
  // And the right one does (control).
  f = ns;
  FixIcmpv6(f);
  EXPECT_EQ(f, ns);
  EXPECT_TRUE(ParseNeighborQuery(f).has_value());
}

TEST(ParseNeighborQuery, EveryPrefixIsIgnoredNeverACrash) {
  // ARP: an Ethernet header with type 0x0806 and less than 28 bytes of ARP -> arp-malformed.
  for (std::size_t n : {4u, 16u, 18u, 19u}) {
    const Frame& full = CaptureFrame(n);
    for (std::size_t len = 0; len < full.size(); ++len) {
      auto q = ParseNeighborQuery(Span(full.data(), len));
      EXPECT_TRUE(IsIgnored(q, len < 14 ? R::kNotNeighborQuery : R::kArpMalformed))
          << "frame " << n << " prefix " << len;
    }
  }
  // NS: until the ICMPv6 type byte (offset 54) is there nobody can tell; after it, nd-malformed.
  for (const Frame* full : {&CaptureFrame(8), &CaptureFrame(2), &ScapyFrames().at("ns_slla"),
                            &ScapyFrames().at("ns_nonce")}) {
    for (std::size_t len = 0; len < full->size(); ++len) {
      auto q = ParseNeighborQuery(Span(full->data(), len));
      EXPECT_TRUE(IsIgnored(q, len <= 54 ? R::kNotNeighborQuery : R::kNdMalformed)) << len;
    }
  }
  // A VLAN-tagged and a hop-by-hop NS: every prefix is ignored.
  for (const char* name : {"ns_vlan", "ns_hop_by_hop", "arp_request_vlan"}) {
    const Frame& full = ScapyFrames().at(name);
    for (std::size_t len = 0; len < full.size(); ++len) {
      EXPECT_FALSE(ParseNeighborQuery(Span(full.data(), len)).has_value()) << name << " " << len;
    }
  }
  // Every other captured frame: any prefix is some ignore reason.
  for (const Frame& full : Capture()) {
    for (std::size_t len = 0; len < full.size(); ++len) {
      auto q = ParseNeighborQuery(Span(full.data(), len));
      if (q) {
        ADD_FAILURE() << "a prefix of " << len << " bytes parsed";
        break;
      }
    }
  }
}

TEST(ParseNeighborQuery, EthernetPaddingAfterAnNs) {
  // A 60-byte minimum is below any NS; but padding after an NS must not enter the checksum.
  Frame f = CaptureFrame(8);
  f.resize(f.size() + 10, 0xAA);
  EXPECT_TRUE(IsQuery(ParseNeighborQuery(f), NeighborKind::kNeighborSolicitation, kMacA,
                      "2001:db8::11", "2001:db8::2"));
}

// ---- BuildNeighborReply -----------------------------------------------------------------------

TEST(BuildNeighborReply, EqualsWhatLinuxAnswered) {
  // Our ARP reply to frame 4 from 02:00:00:00:0b:02 is exactly the kernel's (frame 5)...
  auto arp = ParseNeighborQuery(CaptureFrame(4));
  ASSERT_TRUE(arp.has_value());
  std::array<std::uint8_t, kMaxNeighborReply> out{};
  const std::size_t n = BuildNeighborReply(*arp, MustMac(kMacB), out);
  EXPECT_EQ(Hex(Span(out.data(), n)), Hex(CaptureFrame(5)));
  // ...and our NA to frame 8 is exactly the kernel's NA (frame 9): unicast to 2001:db8::11
  // from 2001:db8::2, hop limit 255, S and O, Target Link-Layer Address 02:00:00:00:0b:02.
  auto ns = ParseNeighborQuery(CaptureFrame(8));
  ASSERT_TRUE(ns.has_value());
  const std::size_t m = BuildNeighborReply(*ns, MustMac(kMacB), out);
  EXPECT_EQ(m, kMaxNeighborReply);
  EXPECT_EQ(Hex(Span(out.data(), m)), Hex(CaptureFrame(9)));
}

TEST(BuildNeighborReply, ScapyAndTsharkAgree) {
  const wire::MacAddress answer = MustMac("02:00:5e:10:00:01");
  std::vector<Frame> built;
  std::vector<NeighborQuery> queries;
  for (const auto& [name, frame] : ScapyFrames()) {
    auto q = ParseNeighborQuery(frame);
    if (!q) continue;
    Frame out(kMaxNeighborReply);
    out.resize(BuildNeighborReply(*q, answer, out));
    ASSERT_FALSE(out.empty()) << name;
    built.push_back(out);
    queries.push_back(*q);
  }
  for (std::size_t n : {4u, 8u, 16u, 20u}) {
    auto q = ParseNeighborQuery(CaptureFrame(n));
    Frame out(kMaxNeighborReply);
    out.resize(BuildNeighborReply(*q, answer, out));
    built.push_back(out);
    queries.push_back(*q);
  }
  ASSERT_EQ(built.size(), 14u);
  const auto fields = Dissect(built);
  ASSERT_EQ(fields.size(), built.size());
  for (std::size_t i = 0; i < built.size(); ++i) {
    const Fields& f = fields[i];
    const NeighborQuery& q = queries[i];
    SCOPED_TRACE(Hex(built[i]));
    EXPECT_EQ(f.at("eth.dst"), wire::FormatMac(q.requester_mac));
    EXPECT_EQ(f.at("eth.src"), "02:00:5e:10:00:01");
    EXPECT_EQ(f.at("tshark._ws.malformed"), "");
    if (q.kind == NeighborKind::kArpRequest) {
      EXPECT_EQ(built[i].size(), 42u);
      EXPECT_EQ(f.at("eth.type"), "0x0806");
      EXPECT_EQ(f.at("arp.hwtype"), "1");
      EXPECT_EQ(f.at("arp.ptype"), "0x0800");
      EXPECT_EQ(f.at("arp.hwlen"), "6");
      EXPECT_EQ(f.at("arp.plen"), "4");
      EXPECT_EQ(f.at("arp.op"), "2");
      EXPECT_EQ(f.at("tshark.arp.opcode"), "2");
      EXPECT_EQ(f.at("arp.hwsrc"), "02:00:5e:10:00:01");
      EXPECT_EQ(f.at("arp.psrc"), Ip(q.target_ip));
      EXPECT_EQ(f.at("arp.hwdst"), wire::FormatMac(q.requester_mac));
      EXPECT_EQ(f.at("arp.pdst"), Ip(q.requester_ip));
      // What it answers is an ARP reply: never an ARP request again.
      EXPECT_TRUE(IsIgnored(ParseNeighborQuery(built[i]), R::kArpNotRequest));
    } else {
      EXPECT_EQ(built[i].size(), 86u);
      EXPECT_EQ(f.at("eth.type"), "0x86dd");
      EXPECT_EQ(f.at("ipv6.src"), Ip(q.target_ip));
      EXPECT_EQ(f.at("ipv6.dst"), Ip(q.requester_ip));
      EXPECT_EQ(f.at("ipv6.hlim"), "255");
      EXPECT_EQ(f.at("ipv6.nh"), "58");
      EXPECT_EQ(f.at("ipv6.plen"), "32");
      EXPECT_EQ(f.at("icmpv6.type"), "136");
      EXPECT_EQ(f.at("icmpv6.code"), "0");
      EXPECT_EQ(f.at("na.R"), "0");
      EXPECT_EQ(f.at("na.S"), "1");
      EXPECT_EQ(f.at("na.O"), "1");
      EXPECT_EQ(f.at("na.res"), "0");
      EXPECT_EQ(f.at("tshark.icmpv6.nd.na.flag.s"), "1");
      EXPECT_EQ(f.at("tshark.icmpv6.nd.na.flag.o"), "1");
      EXPECT_EQ(f.at("na.tgt"), Ip(q.target_ip));
      EXPECT_EQ(f.at("na.opt.type"), "2");
      EXPECT_EQ(f.at("na.opt.len"), "1");
      EXPECT_EQ(f.at("na.opt.lladdr"), "02:00:5e:10:00:01");
      EXPECT_EQ(f.at("icmpv6.checksum_ok"), "1");
      EXPECT_EQ(f.at("tshark.icmpv6.checksum.status"), "1");
      EXPECT_TRUE(RefIcmpv6Ok(Span(built[i].data() + 22, 16), Span(built[i].data() + 38, 16),
                              Span(built[i].data() + 54, 32)));
      EXPECT_TRUE(IsIgnored(ParseNeighborQuery(built[i]), R::kNotNeighborQuery));
    }
  }
}

TEST(BuildNeighborReply, NeverWritesPastOut) {
  for (std::size_t n : {4u, 8u}) {
    auto q = ParseNeighborQuery(CaptureFrame(n));
    ASSERT_TRUE(q.has_value());
    const std::size_t need = n == 4 ? 42 : 86;
    for (std::size_t size = 0; size < need; ++size) {
      Frame buf(need + 8, 0xEE);
      EXPECT_EQ(BuildNeighborReply(*q, MustMac(kMacB), std::span(buf.data(), size)), 0u) << size;
      EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](std::uint8_t b) { return b == 0xEE; }));
    }
    Frame buf(need + 8, 0xEE);
    EXPECT_EQ(BuildNeighborReply(*q, MustMac(kMacB), buf), need);
    EXPECT_TRUE(std::all_of(buf.begin() + static_cast<long>(need), buf.end(),
                            [](std::uint8_t b) { return b == 0xEE; }));
  }
}

TEST(BuildNeighborReply, MixedFamiliesBuildNothing) {
  std::array<std::uint8_t, kMaxNeighborReply> out{};
  NeighborQuery q;
  q.kind = NeighborKind::kArpRequest;
  q.requester_mac = MustMac(kMacA);
  q.requester_ip = MustIp("2001:db8::1");
  q.target_ip = MustIp("192.0.2.1");
  EXPECT_EQ(BuildNeighborReply(q, MustMac(kMacB), out), 0u);
  q.kind = NeighborKind::kNeighborSolicitation;
  EXPECT_EQ(BuildNeighborReply(q, MustMac(kMacB), out), 0u);
  q.target_ip = MustIp("2001:db8::2");
  EXPECT_EQ(BuildNeighborReply(q, MustMac(kMacB), out), 86u);
}

// ---- BuildPacketTooBig ------------------------------------------------------------------------

Frame TooBig(const Frame& frame, std::uint32_t mtu) {
  Frame out(kMaxPacketTooBig);
  out.resize(BuildPacketTooBig(frame, mtu, out));
  return out;
}

// Checksums of a built frame, with the reference sums here (untagged Ethernet).
void ExpectChecksumsVerify(const Frame& f) {
  ASSERT_GE(f.size(), 14u + 20u);
  if (f[12] == 0x08 && f[13] == 0x00) {
    const std::size_t ihl = 4u * (f[14] & 0x0Fu);
    const std::size_t total = (std::size_t{f[16]} << 8) | f[17];
    ASSERT_EQ(f.size(), 14 + total);
    EXPECT_EQ(RefSum(Span(f.data() + 14, ihl)), 0xFFFF) << "IPv4 header checksum";
    EXPECT_EQ(RefSum(Span(f.data() + 14 + ihl, total - ihl)), 0xFFFF) << "ICMP checksum";
  } else {
    const std::size_t plen = (std::size_t{f[18]} << 8) | f[19];
    ASSERT_EQ(f.size(), 54 + plen);
    EXPECT_TRUE(RefIcmpv6Ok(Span(f.data() + 22, 16), Span(f.data() + 38, 16),
                            Span(f.data() + 54, plen)))
        << "ICMPv6 checksum";
  }
}

TEST(BuildPacketTooBig, Ipv4FromLinuxPing) {
  // Frame 12: `ping -M do -s 1400`, 1428-byte IPv4 datagram, DF. Frame 6: a 84-byte one.
  const Frame big = TooBig(CaptureFrame(12), 1400);
  const Frame small = TooBig(CaptureFrame(6), 1400);
  ASSERT_EQ(big.size(), 14u + 576u);  // RFC 1812 §4.3.2.3: at most 576 bytes
  ASSERT_EQ(small.size(), 14u + 20u + 8u + 84u);  // the whole datagram is quoted
  const auto fields = Dissect({big, small});
  ASSERT_EQ(fields.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Fields& f = fields[i];
    const Frame& in = CaptureFrame(i == 0 ? 12 : 6);
    const Frame& built = i == 0 ? big : small;
    ExpectChecksumsVerify(built);
    EXPECT_EQ(f.at("eth.dst"), kMacA);
    EXPECT_EQ(f.at("eth.src"), kMacB);
    EXPECT_EQ(f.at("ip.version"), "4");
    EXPECT_EQ(f.at("ip.ihl"), "5");
    EXPECT_EQ(f.at("ip.tos"), "0xc0");
    EXPECT_EQ(f.at("ip.len"), std::to_string(built.size() - 14));
    EXPECT_EQ(f.at("ip.id"), "0");
    EXPECT_EQ(f.at("ip.flags"), "2");  // DF
    EXPECT_EQ(f.at("ip.frag"), "0");
    EXPECT_EQ(f.at("ip.ttl"), "64");
    EXPECT_EQ(f.at("ip.proto"), "1");
    EXPECT_EQ(f.at("ip.src"), "192.0.2.2");
    EXPECT_EQ(f.at("ip.dst"), "192.0.2.1");
    EXPECT_EQ(f.at("ip.checksum_ok"), "1");
    EXPECT_EQ(f.at("icmp.type"), "3");
    EXPECT_EQ(f.at("icmp.code"), "4");
    EXPECT_EQ(f.at("icmp.unused"), "0");
    EXPECT_EQ(f.at("icmp.nexthopmtu"), "1400");
    EXPECT_EQ(f.at("icmp.checksum_ok"), "1");
    EXPECT_EQ(f.at("tshark.ip.checksum.status"), "1");
    EXPECT_EQ(f.at("tshark.icmp.checksum.status"), "1");
    EXPECT_EQ(f.at("tshark.icmp.mtu"), "1400");
    const std::size_t quote = built.size() - 14 - 28;
    EXPECT_EQ(f.at("icmp.quote"), Hex(Span(in.data() + 14, quote)));
  }
}

TEST(BuildPacketTooBig, Ipv6FromLinuxPing) {
  // Frame 14: `ping -s 1400` over IPv6, 1448-byte packet. Frame 10: a 104-byte one.
  const Frame big = TooBig(CaptureFrame(14), 1280);
  const Frame small = TooBig(CaptureFrame(10), 1400);
  ASSERT_EQ(big.size(), 14u + 1280u);  // RFC 4443 §2.4 (c): within the minimum MTU
  ASSERT_EQ(small.size(), 14u + 40u + 8u + 104u);
  const auto fields = Dissect({big, small});
  ASSERT_EQ(fields.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Fields& f = fields[i];
    const Frame& in = CaptureFrame(i == 0 ? 14 : 10);
    const Frame& built = i == 0 ? big : small;
    ExpectChecksumsVerify(built);
    EXPECT_EQ(f.at("eth.dst"), kMacA);
    EXPECT_EQ(f.at("eth.src"), kMacB);
    EXPECT_EQ(f.at("ipv6.tc"), "0");
    EXPECT_EQ(f.at("ipv6.fl"), "0");
    EXPECT_EQ(f.at("ipv6.plen"), std::to_string(built.size() - 54));
    EXPECT_EQ(f.at("ipv6.nh"), "58");
    EXPECT_EQ(f.at("ipv6.hlim"), "64");
    EXPECT_EQ(f.at("ipv6.src"), "2001:db8::2");
    EXPECT_EQ(f.at("ipv6.dst"), "2001:db8::11");
    EXPECT_EQ(f.at("icmpv6.type"), "2");
    EXPECT_EQ(f.at("icmpv6.code"), "0");
    EXPECT_EQ(f.at("ptb.mtu"), i == 0 ? "1280" : "1400");
    EXPECT_EQ(f.at("tshark.icmpv6.mtu"), i == 0 ? "1280" : "1400");
    EXPECT_EQ(f.at("icmpv6.checksum_ok"), "1");
    EXPECT_EQ(f.at("tshark.icmpv6.checksum.status"), "1");
    const std::size_t quote = built.size() - 54 - 8;
    EXPECT_EQ(f.at("icmpv6.quote"), Hex(Span(in.data() + 14, quote)));
  }
}

// Frame 6 (IPv4 ICMP echo, 192.0.2.1 -> 192.0.2.2) and frame 10 (IPv6 echo, 2001:db8::11 ->
// 2001:db8::2) with one change each; the checksums are refreshed so only that change counts.
Frame V4(void (*mutate)(Frame&)) {
  Frame f = CaptureFrame(6);
  mutate(f);
  FixIpv4(f);
  return f;
}
Frame V6(void (*mutate)(Frame&)) {
  Frame f = CaptureFrame(10);
  mutate(f);
  FixIcmpv6(f);
  return f;
}

TEST(BuildPacketTooBig, WhatIsAnsweredAndWhatNever) {
  struct Case {
    const char* what;
    Frame frame;
    std::uint32_t mtu;
    bool answered;
  };
  std::vector<Case> cases{
      {"IPv4 echo request", V4([](Frame&) {}), 1400, true},
      {"IPv4 without DF (the caller decides)", V4([](Frame& f) { f[20] = 0; }), 1400, true},
      {"IPv4 echo reply", V4([](Frame& f) { f[34] = 0; }), 1400, true},
      {"IPv4 timestamp (13)", V4([](Frame& f) { f[34] = 13; }), 1400, true},
      {"IPv4 UDP", V4([](Frame& f) { f[23] = 17; }), 1400, true},
      {"IPv4 first fragment (MF)", V4([](Frame& f) { f[20] = 0x20; }), 1400, true},
      {"IPv4 mtu 68", V4([](Frame&) {}), 68, true},
      {"IPv4 mtu 65535", V4([](Frame&) {}), 65535, true},
      {"IPv4 ICMP destination unreachable", V4([](Frame& f) { f[34] = 3; }), 1400, false},
      {"IPv4 ICMP source quench", V4([](Frame& f) { f[34] = 4; }), 1400, false},
      {"IPv4 ICMP redirect", V4([](Frame& f) { f[34] = 5; }), 1400, false},
      {"IPv4 ICMP time exceeded", V4([](Frame& f) { f[34] = 11; }), 1400, false},
      {"IPv4 ICMP parameter problem", V4([](Frame& f) { f[34] = 12; }), 1400, false},
      {"IPv4 ICMP without a type byte",
       V4([](Frame& f) { f[17] = 20; f.resize(34); }), 1400, false},
      {"IPv4 non-initial fragment", V4([](Frame& f) { f[21] = 1; }), 1400, false},
      {"IPv4 source 0.0.0.0", V4([](Frame& f) { std::fill_n(f.begin() + 26, 4, 0); }), 1400, false},
      {"IPv4 source 127.0.0.1", V4([](Frame& f) { f[26] = 127, f[27] = 0, f[28] = 0, f[29] = 1; }),
       1400, false},
      {"IPv4 source 224.0.0.1", V4([](Frame& f) { f[26] = 224, f[27] = 0, f[28] = 0, f[29] = 1; }),
       1400, false},
      {"IPv4 source 240.0.0.1", V4([](Frame& f) { f[26] = 240; }), 1400, false},
      {"IPv4 source 255.255.255.255", V4([](Frame& f) { std::fill_n(f.begin() + 26, 4, 0xff); }),
       1400, false},
      {"IPv4 destination 255.255.255.255",
       V4([](Frame& f) { std::fill_n(f.begin() + 30, 4, 0xff); }), 1400, false},
      {"IPv4 destination 239.1.1.1", V4([](Frame& f) { f[30] = 239; }), 1400, false},
      {"IPv4 destination 0.0.0.0", V4([](Frame& f) { std::fill_n(f.begin() + 30, 4, 0); }), 1400,
       false},
      {"IPv4 bad header checksum",
       [] {
         Frame f = CaptureFrame(6);
         f[25] ^= 1;
         return f;
       }(),
       1400, false},
      {"IPv4 total length past the frame", V4([](Frame& f) { f[17] = 0x60; }), 1400, false},
      {"IPv4 mtu 67", V4([](Frame&) {}), 67, false},
      {"IPv4 mtu 65536", V4([](Frame&) {}), 65536, false},
      {"Ethernet destination broadcast", V4([](Frame& f) { std::fill_n(f.begin(), 6, 0xff); }),
       1400, false},
      {"Ethernet source multicast", V4([](Frame& f) { f[6] = 0x01; }), 1400, false},
      {"ARP", CaptureFrame(4), 1400, false},

      {"IPv6 echo request", V6([](Frame&) {}), 1280, true},
      {"IPv6 echo reply", V6([](Frame& f) { f[54] = 129; }), 1280, true},
      {"IPv6 NS-like informational (135)", V6([](Frame& f) { f[54] = 135; }), 1280, true},
      {"IPv6 UDP", V6([](Frame& f) { f[20] = 17; }), 1280, true},
      {"IPv6 ICMPv6 destination unreachable (1)", V6([](Frame& f) { f[54] = 1; }), 1280, false},
      {"IPv6 ICMPv6 packet too big (2)", V6([](Frame& f) { f[54] = 2; }), 1280, false},
      {"IPv6 ICMPv6 time exceeded (3)", V6([](Frame& f) { f[54] = 3; }), 1280, false},
      {"IPv6 ICMPv6 parameter problem (4)", V6([](Frame& f) { f[54] = 4; }), 1280, false},
      {"IPv6 ICMPv6 type 127", V6([](Frame& f) { f[54] = 127; }), 1280, false},
      {"IPv6 source ::", V6([](Frame& f) { std::fill_n(f.begin() + 22, 16, 0); }), 1280, false},
      {"IPv6 source ::1",
       V6([](Frame& f) {
         std::fill_n(f.begin() + 22, 16, 0);
         f[37] = 1;
       }),
       1280, false},
      {"IPv6 source ff02::1", V6([](Frame& f) { f[22] = 0xff, f[23] = 0x02; }), 1280, false},
      {"IPv6 destination ff0e::2", V6([](Frame& f) { f[38] = 0xff, f[39] = 0x0e; }), 1280, false},
      {"IPv6 mtu 1279", V6([](Frame&) {}), 1279, false},
      {"IPv6 payload length past the frame", V6([](Frame& f) { f[19] = 0x80; }), 1280, false},
  };
  std::vector<Frame> answered;
  for (const Case& c : cases) {
    const Frame out = TooBig(c.frame, c.mtu);
    EXPECT_EQ(!out.empty(), c.answered) << c.what;
    if (!out.empty()) {
      ExpectChecksumsVerify(out);
      answered.push_back(out);
    }
  }
  // What was answered, tshark and scapy find well-formed.
  const auto fields = Dissect(answered);
  for (const Fields& f : fields) {
    EXPECT_EQ(f.at("tshark._ws.malformed"), "");
    if (f.at("eth.type") == "0x0800") {
      EXPECT_EQ(f.at("tshark.ip.checksum.status"), "1");
      EXPECT_EQ(f.at("tshark.icmp.checksum.status"), "1");
    } else {
      EXPECT_EQ(f.at("tshark.icmpv6.checksum.status"), "1");
    }
  }
}

TEST(BuildPacketTooBig, ExtensionHeadersAndFragments) {
  // IPv6 + Fragment header (offset 0, M set) + ICMPv6 type 1: still an error, not answered;
  // with a non-zero offset the ICMPv6 header is not in this packet: answered.
  auto with_fragment = [](std::uint16_t offset_field, std::uint8_t icmp_type) {
    Frame f = CaptureFrame(10);
    const std::array<std::uint8_t, 8> frag{58, 0, static_cast<std::uint8_t>(offset_field >> 8),
                                           static_cast<std::uint8_t>(offset_field), 0, 0, 0, 9};
    f.insert(f.begin() + 54, frag.begin(), frag.end());
    f[20] = 44;                                  // next header: Fragment
    f[19] = static_cast<std::uint8_t>(f[19] + 8);  // payload length 64 -> 72
    f[62] = icmp_type;
    return f;
  };
  EXPECT_EQ(TooBig(with_fragment(0x0001, 1), 1280).size(), 0u);      // first fragment, error
  EXPECT_EQ(TooBig(with_fragment(0x0001, 128), 1280).size(), 14u + 40 + 8 + 112);
  EXPECT_EQ(TooBig(with_fragment(0x0100, 1), 1280).size(), 14u + 40 + 8 + 112);  // offset 256
  // IPv4 with options (IHL 6): quoted with them.
  Frame opt = CaptureFrame(6);
  opt.insert(opt.begin() + 34, {1, 1, 1, 0});  // NOP NOP NOP EOL
  opt[14] = 0x46;
  opt[17] = static_cast<std::uint8_t>(opt[17] + 4);
  FixIpv4(opt);
  const Frame out = TooBig(opt, 1400);
  ASSERT_EQ(out.size(), 14u + 28u + 88u);
  ExpectChecksumsVerify(out);
  EXPECT_TRUE(std::equal(out.begin() + 42, out.end(), opt.begin() + 14));
}

TEST(BuildPacketTooBig, TaggedFrameGetsAnUntaggedAnswer) {
  Frame tagged = CaptureFrame(6);
  tagged.insert(tagged.begin() + 12, {0x81, 0x00, 0x00, 0x64});
  const Frame out = TooBig(tagged, 1400);
  EXPECT_EQ(out, TooBig(CaptureFrame(6), 1400));
  Frame two = tagged;
  two.insert(two.begin() + 12, {0x88, 0xa8, 0x00, 0x0a});
  EXPECT_TRUE(TooBig(two, 1400).empty());
}

TEST(BuildPacketTooBig, NeverWritesPastOut) {
  for (std::size_t n : {6u, 10u, 12u, 14u}) {
    const Frame& in = CaptureFrame(n);
    const std::uint32_t mtu = 1280;
    const std::size_t need = TooBig(in, mtu).size();
    ASSERT_GT(need, 0u);
    for (std::size_t size : {std::size_t{0}, std::size_t{13}, std::size_t{41}, need - 1}) {
      Frame buf(need + 16, 0xEE);
      EXPECT_EQ(BuildPacketTooBig(in, mtu, std::span(buf.data(), size)), 0u);
      EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](std::uint8_t b) { return b == 0xEE; }));
    }
    Frame buf(need + 16, 0xEE);
    EXPECT_EQ(BuildPacketTooBig(in, mtu, buf), need);
    EXPECT_TRUE(std::all_of(buf.begin() + static_cast<long>(need), buf.end(),
                            [](std::uint8_t b) { return b == 0xEE; }));
  }
}

TEST(BuildPacketTooBig, EveryPrefixBuildsNothing) {
  // A cut-short datagram (Total Length / Payload Length past the frame) is never answered.
  Frame out(kMaxPacketTooBig);
  for (const Frame& full : Capture()) {
    for (std::size_t len = 0; len < full.size(); ++len) {
      ASSERT_EQ(BuildPacketTooBig(Span(full.data(), len), 1280, out), 0u) << len;
    }
  }
}

}  // namespace
}  // namespace nvgre::virt
