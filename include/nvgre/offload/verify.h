// Conformance checking of what a NIC (or a software switch) put on the wire: every frame of a
// capture of NVGRE output is judged against the RFC 7637 / RFC 2784 wire rules, the checksum
// and length rules, and the NDIS LSOv2-over-NVGRE segmentation rules (spec §3.1, §4). This is
// the engine behind `nvgre verify`; docs/verify-rules.md is the rule table.
//
//   Verifier verifier({.mss = 0, .mtu = 1500});       // MSS inferred per burst; MTU checked
//   struct Print : ViolationSink {
//     void OnViolation(const Violation& v) override {
//       Show(v.frame, RuleInfo(v.rule).id, v.expected_text(), v.seen_text());
//     }
//   } sink;
//   for (each captured Ethernet frame n = 1, 2, ...) verifier.AddFrame(n, bytes, wire_len, sink);
//   for (each frame of another link type)             verifier.SkipFrame();
//   verifier.Finish(sink);                             // closes the open LSO bursts
//   return verifier.summary().total_violations() == 0 ? 0 : 1;
//
// Which frames are judged: those whose outer IP protocol is GRE (47). Frames that are not
// IP/GRE (ARP, LLDP, plain TCP ...) are counted and left alone: the tool checks NVGRE output,
// and a GRE frame that is not NVGRE (key absent, protocol not 0x6558 ...) breaks nvgre.* rules.
//
// LSO bursts (spec §4): consecutive segments of one inner TCP flow (same outer and inner
// addresses, ports and VSID) carrying payload, whose sequence numbers are contiguous, form one
// burst; the first segment is taken as the template. A segment that is not contiguous starts a
// new burst (a gap is not a violation: captures drop frames). Bursts of different flows may
// interleave; the per-flow state lives in a bounded table (VerifyOptions::max_flows, 8-way set
// associative, least recently used flow evicted, which closes its burst early). Limitations of
// the grouping, stated in docs/verify-rules.md: two LSO sends of one flow that follow each other
// with contiguous sequence numbers are one burst, so a short last segment of the first send
// reads as lso.mss; give --mss and read such reports with that in mind.
//
// Reporting: each violation goes to the sink as it is found, with the frame that breaks the
// rule, the frame it was judged against (first segment of the burst, first frame of the flow;
// 0 when none), and expected / seen as short text. A check on segment k-1 that needs to know
// whether it was the last one (lso.mss, lso.flags-fin-psh, lso.flags-cwr) is reported when
// segment k arrives, so reports are in frame order except for that one-frame lag and for what
// Finish() reports.
//
// Allocation: the constructor allocates the flow tables once; AddFrame does not allocate, throw
// or do I/O (expected/seen are fixed-size text buffers). Not thread-safe: one Verifier per
// capture.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace nvgre::offload {

enum class VerifyRule : std::uint8_t {
  // NVGRE header (RFC 7637 §3, RFC 2784, RFC 2890)
  kNvgreKeyBit,
  kNvgreCBit,
  kNvgreSBit,
  kNvgreVersion,
  kNvgreReserved0,
  kNvgreProtocol,
  kNvgreReservedVsid,
  kNvgreFlowIdConstant,
  kNvgreInnerVlan,
  kNvgreInnerFcs,
  // Checksums (spec §3.1; RFC 791, RFC 9293, RFC 768, RFC 2784 §2.5)
  kCsumOuterIpv4,
  kCsumInnerIpv4,
  kCsumInnerL4,
  kCsumGre,
  // Lengths, fragmentation, MTU
  kLenOuterIp,
  kLenInnerIp,
  kLenUdp,
  kFragOuter,
  kMtu,
  // LSOv2 bursts (spec §4)
  kLsoMss,
  kLsoIpId,
  kLsoFlagsFinPsh,
  kLsoFlagsCwr,
  kLsoFlagsOther,
  kLsoOptions,
  kLsoTtlDscp,
  kLsoIpFields,
  kLsoTcpFields,
  kLsoOrder,
  // Anything else
  kFrameParse,
  kCount,
};
inline constexpr std::size_t kVerifyRuleCount = static_cast<std::size_t>(VerifyRule::kCount);

struct VerifyRuleInfo {
  VerifyRule rule;
  std::string_view id;        // "nvgre.c-bit"
  std::string_view citation;  // "RFC 7637 §3.2: C MUST be 0 (no GRE checksum)"
  std::string_view checks;    // what is compared, in a few words
};

// The rule table, in VerifyRule order.
std::span<const VerifyRuleInfo, kVerifyRuleCount> AllVerifyRules();
// Precondition: rule != VerifyRule::kCount.
const VerifyRuleInfo& RuleInfo(VerifyRule rule);
// "csum.gre" -> kCsumGre; nullopt for an unknown id.
std::optional<VerifyRule> VerifyRuleFromId(std::string_view id);

using VerifyRuleSet = std::bitset<kVerifyRuleCount>;
inline VerifyRuleSet AllRulesSet() { return VerifyRuleSet().set(); }

// Parses a comma-separated rule list as `--rules` takes it. Each item is a rule id
// ("lso.ip-id"), a group ("lso" or "lso.*": every id starting with "lso."), or "all"; an item
// starting with '-' removes instead of adding. A list whose first item removes starts from all
// rules, any other list from none ("csum,lso" = only those; "-lso.order" = all but lso.order).
// Returns nullopt and sets *bad_item (when not null) to the offending item when one names no
// rule. Whitespace around items is ignored; empty items are skipped.
std::optional<VerifyRuleSet> ParseVerifyRuleList(std::string_view list,
                                                 std::string_view* bad_item = nullptr);

inline constexpr std::size_t kVerifyTextSize = 80;

struct Violation {
  VerifyRule rule = VerifyRule::kCount;
  std::uint64_t frame = 0;                       // 1-based number of the frame that breaks the rule
  std::uint64_t related_frame = 0;               // the frame it was judged against; 0 = none
  std::array<char, kVerifyTextSize> expected{};  // NUL-terminated, e.g. "0x1a2b"
  std::array<char, kVerifyTextSize> seen{};

  std::string_view expected_text() const { return std::string_view(expected.data()); }
  std::string_view seen_text() const { return std::string_view(seen.data()); }
};

class ViolationSink {
 public:
  virtual ~ViolationSink() = default;
  virtual void OnViolation(const Violation& v) = 0;
};

struct VerifyOptions {
  std::uint32_t mss = 0;  // LSO MSS (TCP payload bytes); 0 = the first segment's payload
  std::uint32_t mtu = 0;  // IP MTU: outer IP packet length must be <= it; 0 = no check
  VerifyRuleSet rules = AllRulesSet();  // rules reported (the others are still evaluated)
  std::size_t max_flows = 16384;        // entries per flow table (bursts; FlowID per inner flow)
};

struct VerifySummary {
  std::uint64_t frames = 0;          // AddFrame + SkipFrame calls
  std::uint64_t skipped = 0;         // SkipFrame calls (link type not Ethernet)
  std::uint64_t other_frames = 0;    // Ethernet frames that are not IP/GRE: not judged
  std::uint64_t gre_frames = 0;      // outer IP protocol 47: judged
  std::uint64_t nvgre_frames = 0;    // of those, valid NVGRE by the classifier (wire::FrameLayout)
  std::uint64_t snap_truncated = 0;  // judged frames cut by the capture's snap length
  std::uint64_t unverified_checksums = 0;  // checksums over bytes that were not captured
  std::uint64_t tcp_segments = 0;          // inner TCP segments with payload (burst candidates)
  std::uint64_t bursts = 0;                // LSO bursts of two or more segments, closed so far
  std::uint64_t burst_segments = 0;        // segments in those bursts
  std::uint64_t flows_evicted = 0;         // flow table evictions (a burst closed early)
  std::array<std::uint64_t, kVerifyRuleCount> violations{};  // reported, by rule

  std::uint64_t total_violations() const {
    std::uint64_t n = 0;
    for (std::uint64_t v : violations) n += v;
    return n;
  }
};

class Verifier {
 public:
  // Allocates the flow tables (max_flows rounded up to a multiple of 8, at least 8).
  explicit Verifier(const VerifyOptions& options);
  ~Verifier();
  Verifier(Verifier&&) noexcept;
  Verifier& operator=(Verifier&&) noexcept;
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // One captured Ethernet frame. `frame_number` is 1-based and increasing; `wire_length` is the
  // original length (pcap orig_len; 0 or a value below frame.size() means frame.size()). Lengths
  // are judged against the wire length; checksums need the bytes, so a frame cut by the snap
  // length has its checksums over the missing bytes counted as unverified, not as violations.
  void AddFrame(std::uint64_t frame_number, std::span<const std::uint8_t> frame,
                std::size_t wire_length, ViolationSink& sink);
  // A frame that is not Ethernet: counted, not judged.
  void SkipFrame();
  // Closes every open burst (checks that need the last segment). Call once, after the last
  // frame; AddFrame after Finish starts over with empty flow tables.
  void Finish(ViolationSink& sink);

  const VerifySummary& summary() const;
  const VerifyOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Ethernet frame check sequence over `bytes` (IEEE 802.3 §3.2.9: CRC-32, reflected
// polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF); it is sent least significant
// byte first. The check value of "123456789" is 0xCBF43926.
std::uint32_t EthernetCrc32(std::span<const std::uint8_t> bytes);

}  // namespace nvgre::offload
