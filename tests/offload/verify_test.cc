// offload::Verifier (the `nvgre verify` engine): the rule table, the --rules parser, the
// Ethernet CRC-32, the OVS TSO-over-GRE capture (exactly the violations it really has),
// hand-built LSO bursts in all four outer/inner IP version combinations that verify clean, and
// single-field mutations of them that each fire exactly the matching rule. The frames here are
// built byte by byte with a plain RFC 1071 checksum kept in this file, and segmented by a plain
// reference of the NDIS LSOv2 rules (spec §4), independently of the wire layer's builders.
#include "nvgre/offload/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"
#include "wire/routing_header_frames.h"

namespace nvgre::offload {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10, kUrg = 0x20, kEce = 0x40,
                       kCwr = 0x80;

// ---- A plain reference checksum (RFC 1071 §4.1) and byte helpers --------------------------

std::uint32_t RefSum(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2)
    acc += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
  if (n % 2) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  return acc;
}
std::uint16_t RefFold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}
std::uint16_t Get16(const Bytes& b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
void Set16(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
void Set32(Bytes& b, std::size_t at, std::uint32_t v) {
  Set16(b, at, v >> 16);
  Set16(b, at + 2, v & 0xFFFF);
}
void Push16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void Push32(Bytes& b, std::uint32_t v) {
  Push16(b, v >> 16);
  Push16(b, v & 0xFFFF);
}

// ---- Hand-built NVGRE frames ----------------------------------------------------------------

struct Spec {
  bool outer_v6 = false, inner_v6 = false, udp = false;
  std::uint16_t gre_flags = 0x2000, gre_protocol = 0x6558;
  std::uint32_t key = (0x123456u << 8) | 0x2a;  // VSID 0x123456, FlowID 0x2a
  std::uint8_t host = 1;                        // varies the outer addresses (flows)
  std::uint16_t outer_id = 0x1234, inner_id = 0x0100;
  bool outer_df = true, inner_df = false;
  std::uint8_t outer_ttl = 64, inner_ttl = 63, outer_tos = 0x00, inner_tos = 0x00;
  std::uint32_t outer_flow_label = 0, inner_flow_label = 0x12345;
  std::uint16_t sport = 40000, dport = 443;
  std::uint32_t seq = 1000, ack = 777;
  std::uint8_t flags = kAck;
  std::uint16_t window = 1024, urgent = 0;
  Bytes tcp_options;  // multiple of 4
  Bytes ip_options;   // inner IPv4 options, multiple of 4
  bool inner_vlan = false;
  Bytes payload;
};

struct Frame {
  Bytes b;
  std::size_t outer_l3 = 0, gre = 0, inner_l2 = 0, inner_l3 = 0, l4 = 0, payload = 0;
  bool outer_v6 = false, inner_v6 = false, udp = false;
};

void FixIpv4Checksum(Frame& f, std::size_t at) {
  const std::size_t ihl = 4u * (f.b[at] & 0x0Fu);
  Set16(f.b, at + 10, 0);
  Set16(f.b, at + 10, static_cast<std::uint16_t>(~RefFold(RefSum(&f.b[at], ihl))));
}

// Per the inner length field (0: to the frame end, as the classifier reads it), clipped.
std::size_t InnerIpEnd(const Frame& f) {
  const std::uint16_t field = Get16(f.b, f.inner_l3 + (f.inner_v6 ? 4 : 2));
  if (field == 0) return f.b.size();
  const std::size_t end = f.inner_v6 ? f.inner_l3 + 40 + field : f.inner_l3 + field;
  return std::min(end, f.b.size());
}

void FixL4Checksum(Frame& f) {
  std::size_t end = InnerIpEnd(f);
  if (f.udp) end = std::min(end, f.l4 + Get16(f.b, f.l4 + 4));
  const std::size_t field = f.l4 + (f.udp ? 6 : 16);
  Set16(f.b, field, 0);
  const std::size_t len = end - f.l4;
  std::uint32_t acc = 0;
  if (f.inner_v6) {
    acc = RefSum(&f.b[f.inner_l3 + 8], 32);
  } else {
    acc = RefSum(&f.b[f.inner_l3 + 12], 8);
  }
  acc += (f.udp ? 17u : 6u) + static_cast<std::uint32_t>((len >> 16) + (len & 0xFFFF));
  std::uint16_t c = static_cast<std::uint16_t>(~RefFold(RefSum(&f.b[f.l4], len, acc)));
  if (f.udp && c == 0) c = 0xFFFF;  // RFC 768
  Set16(f.b, field, c);
}

void FixGreChecksum(Frame& f) {
  if ((Get16(f.b, f.gre) & 0x8000) == 0) return;
  const std::size_t end = f.outer_v6 ? f.outer_l3 + 40 + Get16(f.b, f.outer_l3 + 4)
                                     : f.outer_l3 + Get16(f.b, f.outer_l3 + 2);
  Set16(f.b, f.gre + 4, 0);
  Set16(f.b, f.gre + 4, static_cast<std::uint16_t>(~RefFold(RefSum(&f.b[f.gre], end - f.gre))));
}

// Every checksum, innermost first (L4, inner IPv4, GRE, outer IPv4).
void FixAll(Frame& f) {
  FixL4Checksum(f);
  if (!f.inner_v6) FixIpv4Checksum(f, f.inner_l3);
  FixGreChecksum(f);
  if (!f.outer_v6) FixIpv4Checksum(f, f.outer_l3);
}

// Rewrites the outer and inner IP lengths (and the UDP Length) from the frame size.
void FixLengths(Frame& f) {
  const std::size_t end = f.b.size();
  if (f.outer_v6) {
    Set16(f.b, f.outer_l3 + 4, static_cast<std::uint32_t>(end - f.outer_l3 - 40));
  } else {
    Set16(f.b, f.outer_l3 + 2, static_cast<std::uint32_t>(end - f.outer_l3));
  }
  if (f.inner_v6) {
    Set16(f.b, f.inner_l3 + 4, static_cast<std::uint32_t>(end - f.inner_l3 - 40));
  } else {
    Set16(f.b, f.inner_l3 + 2, static_cast<std::uint32_t>(end - f.inner_l3));
  }
  if (f.udp) Set16(f.b, f.l4 + 4, static_cast<std::uint32_t>(end - f.l4));
}

void PushIpv4(Bytes& b, std::uint8_t tos, std::uint16_t id, bool df, std::uint8_t ttl,
              std::uint8_t proto, std::uint8_t host, const Bytes& options) {
  b.push_back(static_cast<std::uint8_t>(0x45 + options.size() / 4));
  b.push_back(tos);
  Push16(b, 0);  // length: FixLengths
  Push16(b, id);
  Push16(b, df ? 0x4000 : 0);
  b.push_back(ttl);
  b.push_back(proto);
  Push16(b, 0);  // checksum: FixAll
  for (std::uint8_t v : {std::uint8_t{10}, std::uint8_t{0}, host, std::uint8_t{1}}) b.push_back(v);
  for (std::uint8_t v : {std::uint8_t{10}, std::uint8_t{0}, host, std::uint8_t{2}}) b.push_back(v);
  b.insert(b.end(), options.begin(), options.end());
}

void PushIpv6(Bytes& b, std::uint8_t tc, std::uint32_t label, std::uint8_t hop, std::uint8_t next,
              std::uint8_t host) {
  Push32(b, (6u << 28) | (std::uint32_t{tc} << 20) | (label & 0xFFFFF));
  Push16(b, 0);
  b.push_back(next);
  b.push_back(hop);
  for (std::uint8_t last : {std::uint8_t{1}, std::uint8_t{2}}) {
    const Bytes a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, host, 0, 0, 0, 0, 0, 0, 0, last};
    b.insert(b.end(), a.begin(), a.end());
  }
}

Frame Build(const Spec& s) {
  Frame f;
  f.outer_v6 = s.outer_v6;
  f.inner_v6 = s.inner_v6;
  f.udp = s.udp;
  Bytes& b = f.b;
  const Bytes outer_mac{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
  b.insert(b.end(), outer_mac.begin(), outer_mac.end());
  Push16(b, s.outer_v6 ? 0x86DD : 0x0800);
  f.outer_l3 = b.size();
  if (s.outer_v6) {
    PushIpv6(b, s.outer_tos, s.outer_flow_label, s.outer_ttl, 47, s.host);
  } else {
    PushIpv4(b, s.outer_tos, s.outer_id, s.outer_df, s.outer_ttl, 47, s.host, {});
  }
  f.gre = b.size();
  Push16(b, s.gre_flags);
  Push16(b, s.gre_protocol);
  if (s.gre_flags & 0x8000) Push32(b, 0);
  if (s.gre_flags & 0x2000) Push32(b, s.key);
  if (s.gre_flags & 0x1000) Push32(b, 7);
  f.inner_l2 = b.size();
  if (s.gre_protocol == 0x6558) {
    const Bytes inner_mac{0x52, 0x54, 0, 0, 0, 0x0b, 0x52, 0x54, 0, 0, 0, 0x0a};
    b.insert(b.end(), inner_mac.begin(), inner_mac.end());
    if (s.inner_vlan) {
      Push16(b, 0x8100);
      Push16(b, 100);
    }
    Push16(b, s.inner_v6 ? 0x86DD : 0x0800);
  }
  f.inner_l3 = b.size();
  const std::uint8_t proto = s.udp ? 17 : 6;
  if (s.inner_v6) {
    PushIpv6(b, s.inner_tos, s.inner_flow_label, s.inner_ttl, proto, 200);
  } else {
    PushIpv4(b, s.inner_tos, s.inner_id, s.inner_df, s.inner_ttl, proto, 200, s.ip_options);
  }
  f.l4 = b.size();
  Push16(b, s.sport);
  Push16(b, s.dport);
  if (s.udp) {
    Push32(b, 0);  // length, checksum
  } else {
    Push32(b, s.seq);
    Push32(b, s.ack);
    b.push_back(static_cast<std::uint8_t>((5 + s.tcp_options.size() / 4) << 4));
    b.push_back(s.flags);
    Push16(b, s.window);
    Push16(b, 0);
    Push16(b, s.urgent);
    b.insert(b.end(), s.tcp_options.begin(), s.tcp_options.end());
  }
  f.payload = b.size();
  b.insert(b.end(), s.payload.begin(), s.payload.end());
  FixLengths(f);
  FixAll(f);
  return f;
}

// Reference LSOv2 over NVGRE (spec §4): full-MSS segments and one shorter last one; seq +
// k*MSS; IPv4 IDs template + k with the 15-bit wrap (a template ID >= 0x8000: 16-bit, [INFER]
// docs/conformance.md §4); FIN/PSH on the last, CWR on the first.
std::uint16_t LsoId(std::uint16_t id, std::uint32_t k) {
  if (id >= 0x8000u) return static_cast<std::uint16_t>((id + k) & 0xFFFFu);
  return static_cast<std::uint16_t>((id + k) & 0x7FFFu);
}

std::vector<Frame> Segments(const Spec& t, std::size_t mss) {
  std::vector<Frame> out;
  const std::size_t total = t.payload.size();
  const std::size_t count = std::max<std::size_t>(1, (total + mss - 1) / mss);
  for (std::size_t k = 0; k < count; ++k) {
    Spec s = t;
    const std::size_t from = k * mss, to = std::min(total, from + mss);
    s.payload.assign(t.payload.begin() + static_cast<std::ptrdiff_t>(from),
                     t.payload.begin() + static_cast<std::ptrdiff_t>(to));
    s.seq = t.seq + static_cast<std::uint32_t>(from);
    s.outer_id = LsoId(t.outer_id, static_cast<std::uint32_t>(k));
    s.inner_id = LsoId(t.inner_id, static_cast<std::uint32_t>(k));
    s.flags = static_cast<std::uint8_t>(t.flags & ~(kFin | kPsh | kCwr));
    if (k + 1 == count) s.flags |= t.flags & (kFin | kPsh);
    if (k == 0) s.flags |= t.flags & kCwr;
    out.push_back(Build(s));
  }
  return out;
}

Bytes Pattern(std::size_t n, std::uint8_t seed = 0) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + seed);
  return b;
}

// ---- Running the verifier -------------------------------------------------------------------

struct Collect : ViolationSink {
  std::vector<Violation> all;
  void OnViolation(const Violation& v) override { all.push_back(v); }
  std::multiset<std::string> Rules() const {
    std::multiset<std::string> s;
    for (const Violation& v : all) s.insert(std::string(RuleInfo(v.rule).id));
    return s;
  }
  std::vector<std::uint64_t> Frames(VerifyRule r) const {
    std::vector<std::uint64_t> f;
    for (const Violation& v : all) {
      if (v.rule == r) f.push_back(v.frame);
    }
    std::sort(f.begin(), f.end());
    return f;
  }
  std::string Dump() const {
    std::string s;
    for (const Violation& v : all) {
      s += std::to_string(v.frame) + " " + std::string(RuleInfo(v.rule).id) + ": expected " +
           std::string(v.expected_text()) + ", seen " + std::string(v.seen_text()) + "\n";
    }
    return s;
  }
};

struct Outcome {
  Collect sink;
  VerifySummary summary;
};

// Tests use a small flow table (the default 16384 entries cost a few MB per Verifier).
VerifyOptions Small() {
  VerifyOptions o;
  o.max_flows = 256;
  return o;
}

Outcome Verify(const std::vector<Frame>& frames, VerifyOptions options = Small()) {
  Outcome r;
  Verifier v(options);
  std::uint64_t n = 0;
  for (const Frame& f : frames) v.AddFrame(++n, f.b, f.b.size(), r.sink);
  v.Finish(r.sink);
  r.summary = v.summary();
  return r;
}

std::vector<std::uint64_t> Range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = from; i <= to; ++i) v.push_back(i);
  return v;
}

// ---- Minimal classic pcap reader (the offload tests do not link the io layer) --------------

struct Record {
  Bytes data;
  std::uint32_t wire_len = 0;
};

// Classic pcap (either byte order, micro- or nanosecond magic); false for anything else.
bool ReadPcap(const std::string& path, std::vector<Record>& out, std::uint32_t* linktype) {
  std::ifstream in(path, std::ios::binary);
  Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < 24) return false;
  auto le32 = [&](std::size_t at) {
    return std::uint32_t{file[at]} | (std::uint32_t{file[at + 1]} << 8) |
           (std::uint32_t{file[at + 2]} << 16) | (std::uint32_t{file[at + 3]} << 24);
  };
  const std::uint32_t magic_le = le32(0);
  bool swap = false;
  if (magic_le == 0xa1b2c3d4 || magic_le == 0xa1b23c4d) {
    swap = false;
  } else if (magic_le == 0xd4c3b2a1 || magic_le == 0x4d3cb2a1) {
    swap = true;
  } else {
    return false;
  }
  auto u32 = [&](std::size_t at) {
    const std::uint32_t le = le32(at);
    return swap ? __builtin_bswap32(le) : le;
  };
  *linktype = u32(20) & 0xFFFF;
  std::size_t at = 24;
  while (at + 16 <= file.size()) {
    const std::uint32_t caplen = u32(at + 8), wire = u32(at + 12);
    at += 16;
    if (caplen > file.size() - at) return false;
    out.push_back({Bytes(file.begin() + static_cast<std::ptrdiff_t>(at),
                         file.begin() + static_cast<std::ptrdiff_t>(at + caplen)),
                   wire});
    at += caplen;
  }
  return true;
}

const std::string kShared = NVGRE_SHARED_TESTDATA_DIR;

// ---- Rule table, --rules, CRC ---------------------------------------------------------------

TEST(VerifyRules, TableIsCompleteAndIdsRoundTrip) {
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < kVerifyRuleCount; ++i) {
    const VerifyRuleInfo& r = RuleInfo(static_cast<VerifyRule>(i));
    EXPECT_EQ(static_cast<std::size_t>(r.rule), i);
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_EQ(VerifyRuleFromId(r.id), r.rule);
    EXPECT_FALSE(r.checks.empty()) << r.id;
    // A one-line citation of an RFC section or the NDIS spec digest.
    EXPECT_TRUE(r.citation.find("RFC") != std::string_view::npos ||
                r.citation.find("spec §") != std::string_view::npos)
        << r.id;
  }
  for (const char* id : {"nvgre.key-bit",
                         "nvgre.c-bit",
                         "nvgre.s-bit",
                         "nvgre.version",
                         "nvgre.protocol",
                         "nvgre.reserved-vsid",
                         "nvgre.flowid-constant",
                         "nvgre.inner-vlan",
                         "nvgre.inner-fcs",
                         "csum.outer-ipv4",
                         "csum.inner-ipv4",
                         "csum.inner-l4",
                         "csum.gre",
                         "len.outer-ip",
                         "len.inner-ip",
                         "len.udp",
                         "frag.outer",
                         "mtu",
                         "lso.mss",
                         "lso.ip-id",
                         "lso.flags-fin-psh",
                         "lso.flags-cwr",
                         "lso.flags-other",
                         "lso.options",
                         "lso.ttl-dscp"}) {
    EXPECT_TRUE(VerifyRuleFromId(id).has_value()) << id;
  }
  EXPECT_FALSE(VerifyRuleFromId("lso").has_value());
  EXPECT_TRUE(RuleInfo(VerifyRule::kCsumGre).citation.starts_with("RFC 2784 §2.5"));
}

// docs/verify-rules.md carries the same table: one row per rule with the same citation.
TEST(VerifyRules, DocumentedInVerifyRulesMd) {
  std::ifstream in(std::string(NVGRE_TESTDATA_DIR) + "/../docs/verify-rules.md");
  ASSERT_TRUE(in.good());
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const VerifyRuleInfo& r : AllVerifyRules()) {
    const std::string row = "| `" + std::string(r.id) + "` | " + std::string(r.citation) + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << row;
  }
}

TEST(VerifyRules, ParseRuleList) {
  auto only = ParseVerifyRuleList("csum.gre, lso");
  ASSERT_TRUE(only.has_value());
  EXPECT_TRUE(only->test(static_cast<std::size_t>(VerifyRule::kCsumGre)));
  EXPECT_TRUE(only->test(static_cast<std::size_t>(VerifyRule::kLsoIpId)));
  EXPECT_TRUE(only->test(static_cast<std::size_t>(VerifyRule::kLsoOrder)));
  EXPECT_FALSE(only->test(static_cast<std::size_t>(VerifyRule::kCsumInnerL4)));
  EXPECT_EQ(only->count(), 11u);  // csum.gre + the 10 lso.* rules

  auto but = ParseVerifyRuleList("-lso.order,-nvgre.*");
  ASSERT_TRUE(but.has_value());
  EXPECT_FALSE(but->test(static_cast<std::size_t>(VerifyRule::kLsoOrder)));
  EXPECT_FALSE(but->test(static_cast<std::size_t>(VerifyRule::kNvgreCBit)));
  EXPECT_TRUE(but->test(static_cast<std::size_t>(VerifyRule::kMtu)));
  EXPECT_EQ(but->count(), kVerifyRuleCount - 11);  // 10 nvgre.* rules and lso.order

  auto all_but = ParseVerifyRuleList("all,-csum");
  ASSERT_TRUE(all_but.has_value());
  EXPECT_EQ(all_but->count(), kVerifyRuleCount - 4);
  EXPECT_EQ(ParseVerifyRuleList("mtu")->count(), 1u);
  EXPECT_EQ(ParseVerifyRuleList("")->count(), 0u);

  std::string_view bad;
  EXPECT_FALSE(ParseVerifyRuleList("csum.gre,lso.nope", &bad).has_value());
  EXPECT_EQ(bad, "lso.nope");
  EXPECT_FALSE(ParseVerifyRuleList("ls", &bad).has_value());  // not a prefix match
  EXPECT_EQ(bad, "ls");
}

TEST(VerifyCrc, KnownAnswers) {
  const std::string check = "123456789";  // the CRC-32 check value (IEEE 802.3 CRC)
  EXPECT_EQ(EthernetCrc32(std::span<const std::uint8_t>(
                reinterpret_cast<const std::uint8_t*>(check.data()), check.size())),
            0xCBF43926u);
  EXPECT_EQ(EthernetCrc32({}), 0u);
  // The residue property: a frame followed by its FCS (LSB first) has CRC 0x2144DF1C.
  Bytes frame = Pattern(60, 3);
  const std::uint32_t fcs = EthernetCrc32(frame);
  for (int i = 0; i < 4; ++i) frame.push_back(static_cast<std::uint8_t>(fcs >> (8 * i)));
  EXPECT_EQ(EthernetCrc32(frame), 0x2144DF1Cu);
}

// ---- The OVS capture -----------------------------------------------------------------------

// ../shared/testdata/ovs_tso_tunnel_gre_expected.pcap (SOURCES.md §2.2, §4): 16 TSO segments of
// OVS's software fallback over GRE key 0x7b. What really differs from the NDIS/RFC rules:
//   - GRE key 0x0000007b read as NVGRE is VSID 0x000000 (reserved) FlowID 0x7b: all 16 frames;
//   - frames 9-16 carry the GRE C bit, which NVGRE forbids;
//   - frames 10-16 carry a wrong GRE checksum (OVS computed it before the inner TCP checksum);
//     frame 9's is right;
//   - frames 9-12 and 13-16 are the segments of one send in DESCENDING sequence order (seq
//     1500, 1000, 500, 0): each ends where the one before began (lso.order on 10-12, 14-16).
// What conforms and must not be reported: outer and inner IPv4 IDs 0,1,2,3 over frames 1-4 and
// 5-8 (template + k); TCP flags ACK only on every segment (no PSH/FIN/CWR to misplace); 500-byte
// segments; identical TTL/DSCP/options; FlowID 0x7b constant per inner flow; lengths; the outer
// IPv4, inner IPv4 and inner TCP checksums.
class VerifyOvsCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::uint32_t linktype = 0;
    ASSERT_TRUE(ReadPcap(kShared + "/ovs_tso_tunnel_gre_expected.pcap", records_, &linktype));
    ASSERT_EQ(linktype, 1u);
    ASSERT_EQ(records_.size(), 16u);
  }
  Outcome VerifyRecords(const VerifyOptions& options = Small()) {
    Outcome r;
    Verifier v(options);
    std::uint64_t n = 0;
    for (const Record& rec : records_) v.AddFrame(++n, rec.data, rec.wire_len, r.sink);
    v.Finish(r.sink);
    r.summary = v.summary();
    return r;
  }
  std::vector<Record> records_;
};

TEST_F(VerifyOvsCapture, ReportsExactlyWhatDiffersFromTheRules) {
  Outcome r = VerifyRecords();
  SCOPED_TRACE(r.sink.Dump());
  EXPECT_EQ(r.sink.Frames(VerifyRule::kCsumGre), Range(10, 16));
  EXPECT_EQ(r.sink.Frames(VerifyRule::kNvgreCBit), Range(9, 16));
  EXPECT_EQ(r.sink.Frames(VerifyRule::kNvgreReservedVsid), Range(1, 16));
  EXPECT_EQ(r.sink.Frames(VerifyRule::kLsoOrder),
            (std::vector<std::uint64_t>{10, 11, 12, 14, 15, 16}));
  EXPECT_EQ(r.sink.all.size(), 7u + 8u + 16u + 6u);  // nothing else
  EXPECT_EQ(r.summary.total_violations(), 37u);

  EXPECT_EQ(r.summary.frames, 16u);
  EXPECT_EQ(r.summary.gre_frames, 16u);
  EXPECT_EQ(r.summary.nvgre_frames, 8u);  // 1-8; 9-16 have C set
  EXPECT_EQ(r.summary.tcp_segments, 16u);
  EXPECT_EQ(r.summary.bursts, 2u);  // frames 1-4 and 5-8; 9-16 arrive in reverse
  EXPECT_EQ(r.summary.burst_segments, 8u);
}

TEST_F(VerifyOvsCapture, GreChecksumExpectedAndSeenValues) {
  Outcome r = VerifyRecords();
  // Seen values as tcpdump prints them ("sum 0x..."); expected recomputed here with the
  // reference routine over GRE header + payload with the field zeroed (RFC 2784 §2.5).
  const std::map<std::uint64_t, std::string> seen{{10, "0xdc82"}, {11, "0xde76"}, {12, "0xe06a"},
                                                  {13, "0x3a4e"}, {14, "0x3c43"}, {15, "0x3e38"},
                                                  {16, "0x402d"}};
  std::size_t checked = 0;
  for (const Violation& v : r.sink.all) {
    if (v.rule != VerifyRule::kCsumGre) continue;
    Bytes f = records_[v.frame - 1].data;
    const std::size_t gre = 14 + 40;
    ASSERT_EQ(Get16(f, gre), 0xa000);
    f[gre + 4] = f[gre + 5] = 0;
    char want[16];
    std::snprintf(want, sizeof want, "0x%04x",
                  static_cast<unsigned>(
                      static_cast<std::uint16_t>(~RefFold(RefSum(&f[gre], f.size() - gre)))));
    EXPECT_EQ(v.expected_text(), want) << v.frame;
    EXPECT_EQ(v.seen_text(), seen.at(v.frame)) << v.frame;
    ++checked;
  }
  EXPECT_EQ(checked, 7u);
  // Frame 9's stored checksum is the right one: the same value the others should have had.
  EXPECT_EQ(Get16(records_[8].data, 14 + 40 + 4), 0xda8e);
}

TEST_F(VerifyOvsCapture, ReservedVsidAndCBitText) {
  Outcome r = VerifyRecords();
  for (const Violation& v : r.sink.all) {
    if (v.rule == VerifyRule::kNvgreReservedVsid) {
      EXPECT_EQ(v.seen_text(), "VSID 0x000000 (key 0x0000007b)");
    }
    if (v.rule == VerifyRule::kNvgreCBit) {
      EXPECT_EQ(v.expected_text(), "C=0");
      EXPECT_EQ(v.seen_text(), "C=1 (flags 0xa000)");
    }
    if (v.rule == VerifyRule::kLsoOrder) {
      EXPECT_EQ(v.related_frame, v.frame - 1);
    }
  }
}

TEST_F(VerifyOvsCapture, WithAValidVsidTheIpv4OuterSegmentsAreClean) {
  // Frames 1-8 have no GRE checksum, so rewriting the key (VSID 0x001000, FlowID 0x7b) leaves
  // every checksum right: what remains is OVS's segmentation, which follows the rules.
  records_.resize(8);
  for (Record& rec : records_) Set32(rec.data, 14 + 20 + 4, (0x001000u << 8) | 0x7b);
  Outcome r = VerifyRecords();
  EXPECT_TRUE(r.sink.all.empty()) << r.sink.Dump();
  EXPECT_EQ(r.summary.nvgre_frames, 8u);
  EXPECT_EQ(r.summary.bursts, 2u);
  // The MSS OVS used (segsz 500) given explicitly, and an MTU the 582/602-byte packets fit.
  VerifyOptions o = Small();
  o.mss = 500;
  o.mtu = 602;
  EXPECT_TRUE(VerifyRecords(o).sink.all.empty());
  o.mtu = 600;  // frames 1-4 (outer IP 602 bytes) no longer fit; 5-8 (582) do
  EXPECT_EQ(VerifyRecords(o).sink.Frames(VerifyRule::kMtu), Range(1, 4));
  o.mtu = 0;
  o.mss = 400;  // every 500-byte segment is then too long
  EXPECT_EQ(VerifyRecords(o).sink.Frames(VerifyRule::kLsoMss), Range(1, 8));
}

TEST_F(VerifyOvsCapture, DisabledRulesAreNeitherReportedNorCounted) {
  VerifyOptions o = Small();
  o.rules = *ParseVerifyRuleList("-nvgre.reserved-vsid,-lso");
  Outcome r = VerifyRecords(o);
  EXPECT_EQ(r.sink.Rules(),
            (std::multiset<std::string>{"csum.gre", "csum.gre", "csum.gre", "csum.gre", "csum.gre",
                                        "csum.gre", "csum.gre", "nvgre.c-bit", "nvgre.c-bit",
                                        "nvgre.c-bit", "nvgre.c-bit", "nvgre.c-bit", "nvgre.c-bit",
                                        "nvgre.c-bit", "nvgre.c-bit"}));
  EXPECT_EQ(r.summary.total_violations(), 15u);
  EXPECT_EQ(r.summary.violations[static_cast<std::size_t>(VerifyRule::kNvgreReservedVsid)], 0u);
}

// Every classic pcap among the shared captures: no crash, every frame counted, and the
// snap-length rule (no length or parse violation on a frame cut by the capture).
TEST(VerifySharedCaptures, EveryCaptureRunsAndCountsEveryFrame) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kShared)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".pcap") continue;
    std::vector<Record> records;
    std::uint32_t linktype = 0;
    ASSERT_TRUE(ReadPcap(path, records, &linktype)) << path;
    Collect sink;
    Verifier v({});
    std::uint64_t n = 0;
    for (const Record& rec : records) {
      ++n;
      if (linktype != 1) {
        v.SkipFrame();
      } else {
        v.AddFrame(n, rec.data, rec.wire_len, sink);
      }
    }
    v.Finish(sink);
    EXPECT_EQ(v.summary().frames, records.size()) << path;
    EXPECT_EQ(v.summary().gre_frames + v.summary().other_frames + v.summary().skipped,
              records.size())
        << path;
    EXPECT_EQ(v.summary().total_violations(), sink.all.size()) << path;
    for (const Violation& viol : sink.all) {
      EXPECT_GE(viol.frame, 1u);
      EXPECT_LE(viol.frame, records.size());
      EXPECT_FALSE(viol.expected_text().empty());
      EXPECT_FALSE(viol.seen_text().empty());
    }
    ++files;
  }
  EXPECT_GE(files, 30u);
}

// ---- Hand-built bursts ----------------------------------------------------------------------

struct Combo {
  bool outer_v6, inner_v6;
};
constexpr std::array<Combo, 4> kCombos{
    {{false, false}, {false, true}, {true, false}, {true, true}}};

std::string ComboName(const Combo& c) {
  return std::string(c.outer_v6 ? "outer IPv6" : "outer IPv4") +
         (c.inner_v6 ? " / inner IPv6" : " / inner IPv4");
}

Spec BurstTemplate(const Combo& c) {
  Spec s;
  s.outer_v6 = c.outer_v6;
  s.inner_v6 = c.inner_v6;
  s.flags = kAck | kPsh | kCwr;
  s.tcp_options = {1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78};  // NOP NOP timestamps
  s.payload = Pattern(4 * 1000 + 321);                                // 5 segments of MSS 1000
  return s;
}

TEST(VerifyBursts, CorrectBurstsVerifyCleanInAllVersionCombinations) {
  for (const Combo& c : kCombos) {
    SCOPED_TRACE(ComboName(c));
    std::vector<Frame> frames = Segments(BurstTemplate(c), 1000);
    ASSERT_EQ(frames.size(), 5u);
    Outcome r = Verify(frames);
    EXPECT_TRUE(r.sink.all.empty()) << r.sink.Dump();
    EXPECT_EQ(r.summary.bursts, 1u);
    EXPECT_EQ(r.summary.burst_segments, 5u);
    EXPECT_EQ(r.summary.nvgre_frames, 5u);
    VerifyOptions o = Small();
    o.mss = 1000;
    o.mtu = static_cast<std::uint32_t>(frames[0].b.size() - 14);
    EXPECT_TRUE(Verify(frames, o).sink.all.empty());
    o.mtu -= 1;  // the four full segments no longer fit
    EXPECT_EQ(Verify(frames, o).sink.Frames(VerifyRule::kMtu), Range(1, 4));
  }
}

TEST(VerifyBursts, IpIdWrapsAt0x7fff) {
  Spec t = BurstTemplate({false, false});
  t.outer_id = 0x7FFE;
  t.inner_id = 0xFFFE;  // outside the LSOv2 range: 0xFFFE, 0xFFFF, 0x0000, ... ([INFER] §4)
  std::vector<Frame> frames = Segments(t, 1000);
  EXPECT_EQ(Get16(frames[2].b, frames[2].outer_l3 + 4), 0x0000);
  EXPECT_EQ(Get16(frames[2].b, frames[2].inner_l3 + 4), 0x0000);
  EXPECT_TRUE(Verify(frames).sink.all.empty());
  // A NIC counting 16 bits: 0x7FFE, 0x7FFF, 0x8000 ...
  for (std::size_t k = 2; k < frames.size(); ++k) {
    Set16(frames[k].b, frames[k].outer_l3 + 4, static_cast<std::uint32_t>(0x7FFE + k));
    FixIpv4Checksum(frames[k], frames[k].outer_l3);
  }
  Outcome r = Verify(frames);
  EXPECT_EQ(r.sink.Frames(VerifyRule::kLsoIpId), Range(3, 5));
  EXPECT_EQ(r.sink.all.size(), 3u) << r.sink.Dump();
  EXPECT_EQ(r.sink.all[0].expected_text(), "outer IPv4 ID 0x0000 (segment 2)");
  EXPECT_EQ(r.sink.all[0].seen_text(), "outer IPv4 ID 0x8000");
  EXPECT_EQ(r.sink.all[0].related_frame, 1u);
}

// One mutation of segment 2 (of 5, so neither first nor last) and the one rule it must fire.
struct Mutation {
  const char* name;
  const char* rule;
  bool needs_outer_v4, needs_inner_v4;
  std::function<void(Frame&)> apply;
};

std::vector<Mutation> Mutations() {
  auto tcp_flag = [](std::uint8_t flag) {
    return [flag](Frame& f) {
      f.b[f.l4 + 13] |= flag;
      FixL4Checksum(f);
    };
  };
  return {
      {"outer IPv4 ID", "lso.ip-id", true, false,
       [](Frame& f) {
         Set16(f.b, f.outer_l3 + 4, Get16(f.b, f.outer_l3 + 4) + 1u);
         FixIpv4Checksum(f, f.outer_l3);
       }},
      {"inner IPv4 ID", "lso.ip-id", false, true,
       [](Frame& f) {
         Set16(f.b, f.inner_l3 + 4, Get16(f.b, f.inner_l3 + 4) + 5u);
         FixIpv4Checksum(f, f.inner_l3);
       }},
      {"PSH on a middle segment", "lso.flags-fin-psh", false, false, tcp_flag(kPsh)},
      {"FIN on a middle segment", "lso.flags-fin-psh", false, false, tcp_flag(kFin)},
      {"CWR on a middle segment", "lso.flags-cwr", false, false, tcp_flag(kCwr)},
      {"ECE on one segment", "lso.flags-other", false, false, tcp_flag(kEce)},
      {"SYN on one segment", "lso.flags-other", false, false, tcp_flag(kSyn)},
      {"TCP checksum byte", "csum.inner-l4", false, false,
       [](Frame& f) { f.b[f.l4 + 17] ^= 0x40; }},
      {"outer IPv4 checksum byte", "csum.outer-ipv4", true, false,
       [](Frame& f) { f.b[f.outer_l3 + 10] ^= 0x01; }},
      {"inner IPv4 checksum byte", "csum.inner-ipv4", false, true,
       [](Frame& f) { f.b[f.inner_l3 + 11] ^= 0x80; }},
      {"outer length", "len.outer-ip", false, false,
       [](Frame& f) {
         const std::size_t at = f.outer_l3 + (f.outer_v6 ? 4 : 2);
         Set16(f.b, at, Get16(f.b, at) - 1u);
         if (!f.outer_v6) FixIpv4Checksum(f, f.outer_l3);
       }},
      {"inner length", "len.inner-ip", false, false,
       [](Frame& f) {
         const std::size_t at = f.inner_l3 + (f.inner_v6 ? 4 : 2);
         Set16(f.b, at, Get16(f.b, at) - 2u);
         FixL4Checksum(f);  // over the bytes the shorter length claims
         if (!f.inner_v6) FixIpv4Checksum(f, f.inner_l3);
       }},
      {"FlowID (key low byte)", "nvgre.flowid-constant", false, false,
       [](Frame& f) { f.b[f.gre + 7] ^= 0x01; }},
      {"VSID to a reserved one (key)", "nvgre.reserved-vsid", false, false,
       [](Frame& f) {
         Set16(f.b, f.gre + 4, 0x0000);
         Set16(f.b, f.gre + 6, 0x0f2a);
       }},
      {"outer TTL / hop limit", "lso.ttl-dscp", false, false,
       [](Frame& f) {
         f.b[f.outer_l3 + (f.outer_v6 ? 7 : 8)] -= 1;
         if (!f.outer_v6) FixIpv4Checksum(f, f.outer_l3);
       }},
      {"inner TTL / hop limit", "lso.ttl-dscp", false, false,
       [](Frame& f) {
         f.b[f.inner_l3 + (f.inner_v6 ? 7 : 8)] += 3;
         if (!f.inner_v6) FixIpv4Checksum(f, f.inner_l3);
       }},
      {"inner DSCP", "lso.ttl-dscp", false, false,
       [](Frame& f) {
         if (f.inner_v6) {
           f.b[f.inner_l3] ^= 0x04;  // traffic class bit 6 (a DSCP bit)
         } else {
           f.b[f.inner_l3 + 1] ^= 0x20;
           FixIpv4Checksum(f, f.inner_l3);
         }
       }},
      {"outer DF", "lso.ip-fields", true, false,
       [](Frame& f) {
         f.b[f.outer_l3 + 6] ^= 0x40;
         FixIpv4Checksum(f, f.outer_l3);
       }},
      {"TCP timestamp advanced", "lso.options", false, false,
       [](Frame& f) {
         f.b[f.l4 + 20 + 7] += 1;
         FixL4Checksum(f);
       }},
      {"ack number", "lso.tcp-fields", false, false,
       [](Frame& f) {
         f.b[f.l4 + 11] += 1;
         FixL4Checksum(f);
       }},
      {"window", "lso.tcp-fields", false, false,
       [](Frame& f) {
         f.b[f.l4 + 15] ^= 0x10;
         FixL4Checksum(f);
       }},
  };
}

TEST(VerifyBursts, EachSingleFieldMutationFiresExactlyItsRule) {
  std::size_t runs = 0;
  for (const Combo& c : kCombos) {
    for (const Mutation& m : Mutations()) {
      if ((m.needs_outer_v4 && c.outer_v6) || (m.needs_inner_v4 && c.inner_v6)) continue;
      SCOPED_TRACE(ComboName(c) + ": " + m.name);
      std::vector<Frame> frames = Segments(BurstTemplate(c), 1000);
      m.apply(frames[2]);
      Outcome r = Verify(frames);
      ASSERT_EQ(r.sink.all.size(), 1u) << r.sink.Dump();
      EXPECT_EQ(RuleInfo(r.sink.all[0].rule).id, m.rule) << r.sink.Dump();
      EXPECT_EQ(r.sink.all[0].frame, 3u);  // segment 2 is frame 3
      ++runs;
    }
  }
  EXPECT_EQ(runs, 21u + 19u + 18u + 16u);  // outer/inner-IPv4-only ones skipped where IPv6
}

TEST(VerifyBursts, SegmentSizes) {
  const Spec t = BurstTemplate({false, true});
  // A short segment in the middle (seq still contiguous): lso.mss on it, and only there.
  std::vector<Frame> frames;
  std::uint32_t seq = t.seq;
  const std::array<std::size_t, 4> sizes{1000, 1000, 999, 1000};
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    Spec s = t;
    s.payload = Pattern(sizes[k], static_cast<std::uint8_t>(k));
    s.seq = seq;
    seq += static_cast<std::uint32_t>(sizes[k]);
    s.outer_id = LsoId(t.outer_id, static_cast<std::uint32_t>(k));
    s.flags = kAck;
    frames.push_back(Build(s));
  }
  Outcome r = Verify(frames);
  ASSERT_EQ(r.sink.all.size(), 1u) << r.sink.Dump();
  EXPECT_EQ(r.sink.all[0].rule, VerifyRule::kLsoMss);
  EXPECT_EQ(r.sink.all[0].frame, 3u);
  EXPECT_EQ(r.sink.all[0].expected_text(), "1000 bytes (MSS; not the last segment)");
  EXPECT_EQ(r.sink.all[0].seen_text(), "999 bytes");
  // The same sizes ending with the short one are a correct burst.
  std::swap(frames[2], frames[3]);
  Set32(frames[2].b, frames[2].l4 + 4, t.seq + 2000);
  Set32(frames[3].b, frames[3].l4 + 4, t.seq + 3000);
  Set16(frames[2].b, frames[2].outer_l3 + 4, LsoId(t.outer_id, 2));
  Set16(frames[3].b, frames[3].outer_l3 + 4, LsoId(t.outer_id, 3));
  for (Frame& f : frames) FixAll(f);
  EXPECT_TRUE(Verify(frames).sink.all.empty()) << Verify(frames).sink.Dump();
  // A segment longer than the MSS inferred from the first one.
  std::vector<Frame> longer = Segments(BurstTemplate({true, false}), 1000);
  Spec big = BurstTemplate({true, false});
  big.payload = Pattern(1001);
  big.seq = t.seq + 1000;
  big.outer_id = LsoId(t.outer_id, 1);
  big.inner_id = LsoId(t.inner_id, 1);
  big.flags = kAck;
  longer.resize(1);
  longer.push_back(Build(big));
  Outcome r2 = Verify(longer);
  ASSERT_EQ(r2.sink.all.size(), 1u) << r2.sink.Dump();
  EXPECT_EQ(r2.sink.all[0].rule, VerifyRule::kLsoMss);
  EXPECT_EQ(r2.sink.all[0].frame, 2u);
  EXPECT_EQ(r2.sink.all[0].expected_text(), "<= 1000 bytes (MSS)");
}

TEST(VerifyBursts, CwrOnTheLastSegmentAloneIsTolerated) {
  std::vector<Frame> frames = Segments(BurstTemplate({false, false}), 1000);
  // Move CWR from the first segment to the last: allowed (spec §4: "allowed but worse").
  frames[0].b[frames[0].l4 + 13] &= static_cast<std::uint8_t>(~kCwr);
  frames[4].b[frames[4].l4 + 13] |= kCwr;
  FixL4Checksum(frames[0]);
  FixL4Checksum(frames[4]);
  EXPECT_TRUE(Verify(frames).sink.all.empty()) << Verify(frames).sink.Dump();
  // On the first AND the last: the second CWR is reported, once, at the last segment.
  frames[0].b[frames[0].l4 + 13] |= kCwr;
  FixL4Checksum(frames[0]);
  Outcome r = Verify(frames);
  ASSERT_EQ(r.sink.all.size(), 1u) << r.sink.Dump();
  EXPECT_EQ(r.sink.all[0].rule, VerifyRule::kLsoFlagsCwr);
  EXPECT_EQ(r.sink.all[0].frame, 5u);
}

TEST(VerifyBursts, TemplateFlagsAndUrgentPointer) {
  Spec t = BurstTemplate({true, true});
  t.flags = kAck | kUrg;
  t.urgent = 5;
  Outcome r = Verify(Segments(t, 1000));
  // Reported once, at the first segment, when the burst shows the send was segmented.
  EXPECT_EQ(r.sink.Rules(), (std::multiset<std::string>{"lso.flags-other", "lso.tcp-fields"}))
      << r.sink.Dump();
  for (const Violation& v : r.sink.all) EXPECT_EQ(v.frame, 1u);
  // A single segment with the same header is not a burst: nothing to judge.
  t.payload = Pattern(500);
  EXPECT_TRUE(Verify(Segments(t, 1000)).sink.all.empty());
}

TEST(VerifyBursts, ReverseOrderAndGaps) {
  std::vector<Frame> frames = Segments(BurstTemplate({false, false}), 1000);
  std::vector<Frame> reversed(frames.rbegin(), frames.rend());
  Outcome r = Verify(reversed);
  EXPECT_EQ(r.sink.Frames(VerifyRule::kLsoOrder), Range(2, 5)) << r.sink.Dump();
  EXPECT_EQ(r.sink.all.size(), 4u);
  EXPECT_EQ(r.summary.bursts, 0u);
  // A lost segment (a gap) splits the burst without a violation.
  frames.erase(frames.begin() + 2);
  Outcome gap = Verify(frames);
  EXPECT_TRUE(gap.sink.all.empty()) << gap.sink.Dump();
  EXPECT_EQ(gap.summary.bursts, 2u);
}

TEST(VerifyBursts, GivenMssAppliesToSingleSegments) {
  Spec t = BurstTemplate({false, false});
  t.payload = Pattern(1400);
  VerifyOptions o = Small();
  o.mss = 1000;
  Outcome r = Verify({Build(t)}, o);
  ASSERT_EQ(r.sink.all.size(), 1u);
  EXPECT_EQ(r.sink.all[0].rule, VerifyRule::kLsoMss);
}

// Random sends in all combinations, interleaved segment by segment across flows, some with the
// IDs near the wrap and some with options: always clean, and every burst is found.
TEST(VerifyBursts, RandomInterleavedSendsVerifyClean) {
  std::mt19937 rng(20240607);
  auto pick = [&](std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
  };
  for (int round = 0; round < 12; ++round) {
    std::vector<std::vector<Frame>> sends;
    std::uint64_t multi = 0;
    const std::uint32_t flows = pick(1, 12);
    for (std::uint32_t i = 0; i < flows; ++i) {
      const Combo& c = kCombos[pick(0, 3)];
      Spec t;
      t.outer_v6 = c.outer_v6;
      t.inner_v6 = c.inner_v6;
      t.host = static_cast<std::uint8_t>(pick(0, 3));
      t.sport = static_cast<std::uint16_t>(20000u + static_cast<std::uint32_t>(round) * 100u +
                                           i);  // one flow per send
      t.seq = pick(0, 0xFFFFFFFF);              // wraps sometimes
      t.ack = pick(0, 0xFFFFFFFF);
      t.outer_id = static_cast<std::uint16_t>(pick(0, 1) ? pick(0x7FF0, 0x7FFF) : pick(0, 0xFFFF));
      t.inner_id = static_cast<std::uint16_t>(pick(0, 0xFFFF));
      t.outer_ttl = static_cast<std::uint8_t>(pick(1, 255));
      t.inner_tos = static_cast<std::uint8_t>(pick(0, 255));
      t.flags = static_cast<std::uint8_t>(kAck | (pick(0, 1) ? kPsh : 0) | (pick(0, 1) ? kFin : 0) |
                                          (pick(0, 1) ? kCwr : 0) | (pick(0, 1) ? kEce : 0));
      if (pick(0, 1)) t.tcp_options = {2, 4, 0x05, 0xb4};
      if (!t.inner_v6 && pick(0, 1)) t.ip_options = {0x94, 4, 0, 0};  // router alert
      t.key = (pick(0x1000, 0xFFFFFE) << 8) | pick(0, 255);
      const std::uint32_t mss = pick(88, 1460);
      t.payload = Pattern(pick(1, 12 * mss), static_cast<std::uint8_t>(i));
      sends.push_back(Segments(t, mss));
      if (sends.back().size() >= 2) ++multi;
    }
    // Interleave: repeatedly take the next segment of a random unfinished send.
    std::vector<Frame> wire;
    std::vector<std::size_t> next(sends.size(), 0);
    for (;;) {
      std::vector<std::size_t> open;
      for (std::size_t i = 0; i < sends.size(); ++i) {
        if (next[i] < sends[i].size()) open.push_back(i);
      }
      if (open.empty()) break;
      const std::size_t i = open[pick(0, static_cast<std::uint32_t>(open.size() - 1))];
      wire.push_back(sends[i][next[i]++]);
    }
    Outcome r = Verify(wire);
    ASSERT_TRUE(r.sink.all.empty()) << "round " << round << "\n" << r.sink.Dump();
    EXPECT_EQ(r.summary.bursts, multi);
    EXPECT_EQ(r.summary.tcp_segments, wire.size());

    // The same traffic through a table with room for 8 flows: evictions split bursts, which
    // must not produce violations.
    VerifyOptions small;
    small.max_flows = 8;
    Outcome s = Verify(wire, small);
    ASSERT_TRUE(s.sink.all.empty()) << s.sink.Dump();
    EXPECT_LE(s.summary.burst_segments, r.summary.burst_segments);
  }
}

TEST(VerifyBursts, InterleavedFlowsKeepTheirOwnState) {
  // Three sends, segments alternating; a wrong ID in one flow is attributed to that frame only.
  std::vector<std::vector<Frame>> sends;
  for (std::uint16_t i = 0; i < 3; ++i) {
    Spec t = BurstTemplate(kCombos[i]);
    t.sport = static_cast<std::uint16_t>(5000 + i);
    t.outer_id = static_cast<std::uint16_t>(100 * i);
    sends.push_back(Segments(t, 1000));
  }
  std::vector<Frame> wire;
  for (std::size_t k = 0; k < 5; ++k) {
    for (auto& s : sends) wire.push_back(s[k]);
  }
  Outcome clean = Verify(wire);
  EXPECT_TRUE(clean.sink.all.empty()) << clean.sink.Dump();
  EXPECT_EQ(clean.summary.bursts, 3u);
  Frame& f = wire[3 * 3 + 1];  // flow 1 (outer IPv4 / inner IPv6), segment 3
  Set16(f.b, f.outer_l3 + 4, 0x4444);
  FixIpv4Checksum(f, f.outer_l3);
  Outcome r = Verify(wire);
  ASSERT_EQ(r.sink.all.size(), 1u) << r.sink.Dump();
  EXPECT_EQ(r.sink.all[0].rule, VerifyRule::kLsoIpId);
  EXPECT_EQ(r.sink.all[0].frame, 11u);
  EXPECT_EQ(r.sink.all[0].related_frame, 2u);
}

// ---- The Tx engine's output (issue 5's library; the `nvgre tx` CLI test is in tests/cli) ------

// Random super-frames in all four version combinations, prepared as the stack does
// (PrepareNvgreSend) and segmented by ProcessTxPacket: the linearized segments always verify
// clean with the MSS given, every send is one burst, and a single-field mutation of a middle
// segment fires exactly its rule. An independent check of the engine against the NDIS rules.
TEST(VerifyTxEngine, RandomSuperFramesVerifyClean) {
  std::mt19937 rng(99);
  auto pick = [&](std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng);
  };
  TxOffloadConfig config;
  config.lso_v2_ipv4.min_segment_count = 1;
  config.lso_v2_ipv6.min_segment_count = 1;
  std::size_t sends = 0, mutated = 0;
  for (int round = 0; round < 60; ++round) {
    const Combo& c = kCombos[static_cast<std::size_t>(round) % 4];
    Spec t;
    t.outer_v6 = c.outer_v6;
    t.inner_v6 = c.inner_v6;
    t.sport = static_cast<std::uint16_t>(30000 + round);
    t.seq = pick(0, 0xFFFFFFFF);
    t.outer_id = static_cast<std::uint16_t>(pick(0, 0xFFFF));
    t.inner_id = static_cast<std::uint16_t>(pick(0x7FF0, 0x7FFF));
    t.flags = static_cast<std::uint8_t>(kAck | (pick(0, 1) ? kPsh : 0) | (pick(0, 1) ? kFin : 0) |
                                        (pick(0, 1) ? kCwr : 0));
    if (pick(0, 1)) t.tcp_options = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
    const std::uint32_t mss = pick(200, 1400);
    t.payload = Pattern(pick(1, 60000), static_cast<std::uint8_t>(round));
    const Frame super = Build(t);

    Bytes headers(kTxParseWindow);
    PrepareResult prep =
        PrepareNvgreSend(super.b, {.segmentation = Segmentation::kLsoV2, .mss = mss}, headers);
    ASSERT_TRUE(prep.has_value()) << ToString(prep.error());
    const std::array<std::span<const std::uint8_t>, 2> buffers{
        std::span<const std::uint8_t>(headers).first(prep->header_length),
        std::span<const std::uint8_t>(super.b).subspan(prep->header_length)};
    TxOob oob = prep->oob;
    std::vector<TxSegment> segments(t.payload.size() / mss + 2);
    Bytes arena(segments.size() * 256);
    const TxOutput out{segments, arena};
    TxStats stats;
    const TxResult r = ProcessTxPacket(config, buffers, oob, out, stats);
    ASSERT_TRUE(r.ok()) << ToString(r.refusal);
    std::vector<Frame> wire;
    for (const TxSegment& seg : r.segments(out)) {
      Frame f;
      f.b.resize(seg.size());
      ASSERT_EQ(LinearizeSegment(seg, f.b), seg.size());
      f.outer_v6 = super.outer_v6;
      f.inner_v6 = super.inner_v6;
      f.outer_l3 = super.outer_l3;
      f.gre = super.gre;
      f.inner_l2 = super.inner_l2;
      f.inner_l3 = super.inner_l3;
      f.l4 = super.l4;
      f.payload = super.payload;
      wire.push_back(std::move(f));
    }
    VerifyOptions o = Small();
    o.mss = mss;
    Outcome v = Verify(wire, o);
    ASSERT_TRUE(v.sink.all.empty())
        << ComboName(c) << " mss " << mss << " payload " << t.payload.size() << "\n"
        << v.sink.Dump();
    EXPECT_EQ(v.summary.bursts, wire.size() >= 2 ? 1u : 0u);
    ++sends;
    if (wire.size() >= 4) {
      for (const Mutation& m : Mutations()) {
        if ((m.needs_outer_v4 && c.outer_v6) || (m.needs_inner_v4 && c.inner_v6)) continue;
        if (std::string_view(m.rule) == "lso.options" && t.tcp_options.empty()) continue;
        std::vector<Frame> copy = wire;
        m.apply(copy[2]);
        Outcome mv = Verify(copy, o);
        ASSERT_EQ(mv.sink.all.size(), 1u) << m.name << "\n" << mv.sink.Dump();
        EXPECT_EQ(RuleInfo(mv.sink.all[0].rule).id, m.rule) << m.name;
        ++mutated;
      }
    }
  }
  EXPECT_EQ(sends, 60u);
  EXPECT_GT(mutated, 500u);
}

// ---- Single frames: NVGRE header, lengths, FCS, fragments ----------------------------------

Frame OneFrame(const Spec& s) { return Build(s); }

std::multiset<std::string> RulesOf(const Frame& f, VerifyOptions o = Small()) {
  return Verify({f}, o).sink.Rules();
}

// RFC 8200 §8.1: scapy's frames with a Routing header in transit verify clean (the pseudo-header
// carries the final destination); a wrong TCP/UDP checksum is reported with the value scapy
// computed as the expected one.
TEST(VerifyFrames, RoutingHeaderFinalDestination) {
  const std::span<const std::uint8_t> frames[] = {nvgre::testing::kNvgreInnerV6Rh0Tcp,
                                                  nvgre::testing::kNvgreInnerV6Rh0Udp,
                                                  nvgre::testing::kNvgreInnerV6SrhTcp};
  const char* const scapy_checksum[] = {"0xd336", "0x4727", "0xd334"};
  for (std::size_t n = 0; n < std::size(frames); ++n) {
    Frame f;
    f.b.assign(frames[n].begin(), frames[n].end());
    EXPECT_TRUE(RulesOf(f).empty()) << n;
    const std::size_t at = (n == 2 ? 136u : 120u) + (f.b[96] == 17 ? 6u : 16u);
    f.b[at] ^= 0x01;
    Outcome r = Verify({f});
    ASSERT_EQ(r.sink.all.size(), 1u) << r.sink.Dump();
    EXPECT_EQ(r.sink.all[0].rule, VerifyRule::kCsumInnerL4);
    EXPECT_EQ(r.sink.all[0].expected_text(), scapy_checksum[n]) << n;
  }
}

TEST(VerifyFrames, CleanTcpAndUdpFrames) {
  for (const Combo& c : kCombos) {
    Spec s;
    s.outer_v6 = c.outer_v6;
    s.inner_v6 = c.inner_v6;
    s.payload = Pattern(100);
    EXPECT_TRUE(RulesOf(OneFrame(s)).empty()) << ComboName(c);
    s.udp = true;
    EXPECT_TRUE(RulesOf(OneFrame(s)).empty()) << ComboName(c);
  }
}

TEST(VerifyFrames, GreHeaderRulesEachFireAlone) {
  Spec s;
  s.payload = Pattern(64);
  auto with_flags = [&](std::uint16_t flags) {
    Spec x = s;
    x.gre_flags = flags;
    return OneFrame(x);
  };
  // C set with a correct GRE checksum: only the C rule.
  EXPECT_EQ(RulesOf(with_flags(0xA000)), std::multiset<std::string>{"nvgre.c-bit"});
  // ... and with a wrong one: csum.gre as well.
  Frame bad = with_flags(0xA000);
  bad.b[bad.gre + 5] ^= 1;
  EXPECT_EQ(RulesOf(bad), (std::multiset<std::string>{"csum.gre", "nvgre.c-bit"}));
  EXPECT_EQ(RulesOf(with_flags(0x3000)), std::multiset<std::string>{"nvgre.s-bit"});
  EXPECT_EQ(RulesOf(with_flags(0x0000)), std::multiset<std::string>{"nvgre.key-bit"});
  EXPECT_EQ(RulesOf(with_flags(0x2001)), std::multiset<std::string>{"nvgre.version"});
  EXPECT_EQ(RulesOf(with_flags(0x2040)), std::multiset<std::string>{"nvgre.reserved0"});
  // Bits 4-5 make the GRE parser refuse the header: still just reserved0, no parse error.
  EXPECT_EQ(RulesOf(with_flags(0x2800)), std::multiset<std::string>{"nvgre.reserved0"});
  // L3 GRE (protocol 0x0800, inner IPv4 right after the key): only the protocol rule.
  Spec l3 = s;
  l3.gre_protocol = 0x0800;
  EXPECT_EQ(RulesOf(OneFrame(l3)), std::multiset<std::string>{"nvgre.protocol"});
  Spec vlan = s;
  vlan.inner_vlan = true;
  EXPECT_EQ(RulesOf(OneFrame(vlan)), std::multiset<std::string>{"nvgre.inner-vlan"});
  for (std::uint32_t vsid : {0x000000u, 0x000FFFu, 0xFFFFFFu}) {
    Spec r = s;
    r.key = vsid << 8;
    EXPECT_EQ(RulesOf(OneFrame(r)), std::multiset<std::string>{"nvgre.reserved-vsid"}) << vsid;
  }
  Spec ok = s;
  ok.key = (0x001000u << 8) | 0xFF;
  EXPECT_TRUE(RulesOf(OneFrame(ok)).empty());
}

TEST(VerifyFrames, InnerFcsIsFoundAndPaddingIsNot) {
  for (const Combo& c : kCombos) {
    SCOPED_TRACE(ComboName(c));
    Spec s;
    s.outer_v6 = c.outer_v6;
    s.inner_v6 = c.inner_v6;
    s.payload = Pattern(200);
    Frame f = OneFrame(s);
    const std::uint32_t fcs = EthernetCrc32(std::span<const std::uint8_t>(f.b).subspan(f.inner_l2));
    for (int i = 0; i < 4; ++i) f.b.push_back(static_cast<std::uint8_t>(fcs >> (8 * i)));
    // The outer length covers the FCS (the NVE encapsulated the frame with it).
    Set16(f.b, f.outer_l3 + (f.outer_v6 ? 4 : 2),
          Get16(f.b, f.outer_l3 + (f.outer_v6 ? 4 : 2)) + 4u);
    if (!f.outer_v6) FixIpv4Checksum(f, f.outer_l3);
    Outcome r = Verify({f});
    ASSERT_EQ(r.sink.Rules(), std::multiset<std::string>{"nvgre.inner-fcs"}) << r.sink.Dump();
    char want[64];
    std::snprintf(want, sizeof want, "CRC-32 0x%08x of the inner frame at offset %zu", fcs,
                  f.b.size() - 4);
    EXPECT_EQ(r.sink.all[0].seen_text(), want);
    // Four bytes that are not the CRC: a length violation, not an FCS.
    f.b.back() ^= 0xFF;
    EXPECT_EQ(RulesOf(f), std::multiset<std::string>{"len.inner-ip"});
  }
}

TEST(VerifyFrames, PaddingIsAllowedOnlyBelowTheMinimumFrame) {
  // A small inner frame (14 + 20 + 8 + 2 = 44 bytes) padded to 60: clean.
  Spec s;
  s.udp = true;
  s.payload = {0xab, 0xcd};
  Frame small = OneFrame(s);
  const std::size_t inner_len = small.b.size() - small.inner_l2;
  ASSERT_EQ(inner_len, 44u);
  small.b.resize(small.b.size() + (60 - inner_len), 0);
  Set16(small.b, small.outer_l3 + 2, Get16(small.b, small.outer_l3 + 2) + 16u);
  FixIpv4Checksum(small, small.outer_l3);
  EXPECT_TRUE(RulesOf(small).empty()) << Verify({small}).sink.Dump();
  // The same 16 bytes after a full-size inner frame: the inner length is wrong.
  Spec big = s;
  big.payload = Pattern(300);
  Frame f = OneFrame(big);
  f.b.resize(f.b.size() + 16, 0);
  Set16(f.b, f.outer_l3 + 2, Get16(f.b, f.outer_l3 + 2) + 16u);
  FixIpv4Checksum(f, f.outer_l3);
  Outcome r = Verify({f});
  ASSERT_EQ(r.sink.Rules(), std::multiset<std::string>{"len.inner-ip"}) << r.sink.Dump();
  EXPECT_EQ(r.sink.all[0].expected_text(), "total length 344");  // 20 + 8 + 300 + 16
  EXPECT_EQ(r.sink.all[0].seen_text(), "total length 328");
  // Bytes after the outer IP packet (outer length not covering them): len.outer-ip.
  Frame tail = OneFrame(big);
  tail.b.push_back(0);
  tail.b.push_back(0);
  EXPECT_EQ(RulesOf(tail), std::multiset<std::string>{"len.outer-ip"});
}

TEST(VerifyFrames, UdpLengthAndLsoTemplateLengths) {
  Spec s;
  s.udp = true;
  s.payload = Pattern(120);
  Frame f = OneFrame(s);
  Set16(f.b, f.l4 + 4, Get16(f.b, f.l4 + 4) - 4u);
  FixL4Checksum(f);  // over the 4 bytes shorter datagram the field claims
  EXPECT_EQ(RulesOf(f), std::multiset<std::string>{"len.udp"});
  // An LSOv2 template leaked onto the wire: inner Total Length 0.
  Spec t;
  t.payload = Pattern(120);
  Frame z = OneFrame(t);
  Set16(z.b, z.inner_l3 + 2, 0);
  FixAll(z);
  EXPECT_EQ(RulesOf(z), std::multiset<std::string>{"len.inner-ip"});
}

TEST(VerifyFrames, OuterFragment) {
  Spec s;
  s.payload = Pattern(100);
  Frame f = OneFrame(s);
  f.b[f.outer_l3 + 6] = 0x20;  // MF, DF cleared
  FixIpv4Checksum(f, f.outer_l3);
  Outcome r = Verify({f});
  ASSERT_EQ(r.sink.Rules(), std::multiset<std::string>{"frag.outer"}) << r.sink.Dump();
  EXPECT_EQ(r.sink.all[0].seen_text(), "MF=1 offset 0");
  // A later fragment: no GRE header to judge, only the fragment itself.
  Set16(f.b, f.outer_l3 + 6, 0x0010);  // offset 128 bytes
  FixIpv4Checksum(f, f.outer_l3);
  EXPECT_EQ(RulesOf(f), std::multiset<std::string>{"frag.outer"});
}

TEST(VerifyFrames, EveryPrefixCutBySnapLengthIsNotAViolation) {
  for (const Combo& c : kCombos) {
    Spec s = BurstTemplate(c);
    s.payload = Pattern(300);
    const Frame f = OneFrame(s);
    for (std::size_t cut = 0; cut < f.b.size(); ++cut) {
      const std::span<const std::uint8_t> prefix(f.b.data(), cut);
      Collect snap;
      Verifier v(Small());
      v.AddFrame(1, prefix, f.b.size(), snap);  // wire length = the full frame
      v.Finish(snap);
      EXPECT_TRUE(snap.all.empty()) << ComboName(c) << " cut " << cut << "\n" << snap.Dump();
      Collect cut_sink;  // the same bytes as a whole frame: must not crash; judged as is
      Verifier w(Small());
      w.AddFrame(1, prefix, cut, cut_sink);
      w.Finish(cut_sink);
      EXPECT_EQ(w.summary().frames, 1u);
    }
  }
}

TEST(VerifyFrames, NonGreFramesAreNotJudged) {
  Spec s;
  s.payload = Pattern(40);
  Frame f = OneFrame(s);
  f.b[f.outer_l3 + 9] = 6;  // outer protocol TCP: not GRE
  FixIpv4Checksum(f, f.outer_l3);
  Collect sink;
  Verifier v(Small());
  v.AddFrame(1, f.b, 0, sink);
  v.SkipFrame();
  v.Finish(sink);
  EXPECT_TRUE(sink.all.empty());
  EXPECT_EQ(v.summary().frames, 2u);
  EXPECT_EQ(v.summary().other_frames, 1u);
  EXPECT_EQ(v.summary().skipped, 1u);
  EXPECT_EQ(v.summary().gre_frames, 0u);
}

}  // namespace
}  // namespace nvgre::offload
