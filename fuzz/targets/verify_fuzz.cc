// Fuzz target: the conformance checker Verifier (offload/verify.h): frame judging, the LSO burst
// grouping over a bounded flow table, the rule-list parser and the Ethernet CRC-32.
// NVGRE_FUZZ_LIBS: offload wire
//
// Input: 8 control bytes (flags, MSS 2, MTU 2, max_flows, rule-set selector, burst perturbation)
// then either
//   (A) frames, each as a 2-byte length and its bytes (length 0xFFFF: a SkipFrame), or
//   (B) one frame that the Tx engine cuts into LSOv2 segments (PrepareNvgreSend +
//       ProcessTxPacket), which the verifier then judges.
// The remaining text after (A)'s frames, when flag 0x02 is set, is a --rules list.
// Invariants:
//   - the summary adds up: frames = AddFrame + SkipFrame calls, skipped = SkipFrame calls,
//     gre + other = AddFrame calls, nvgre <= gre, burst_segments >= 2 * bursts;
//   - every violation reaches the sink once and is counted under its rule; a rule outside the
//     option's set is never reported; each names a frame that was added (the related frame an
//     earlier one or 0) and carries NUL-terminated expected/seen texts;
//   - ParseVerifyRuleList: a parsed set is what the items name; every rule id parses to itself;
//     a bad item is a piece of the list that names no rule;
//   - EthernetCrc32 equals a bitwise reference (IEEE 802.3 §3.2.9);
//   - (B) unperturbed: the Tx engine's segments of a valid template break no csum.*, len.* or
//     lso.* rule (the engine and the checker agree on spec §4).
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/offload/verify.h"
#include "nvgre/wire/classifier.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::offload;  // NOLINT
using Bytes = std::span<const std::uint8_t>;
using Frame = std::vector<std::uint8_t>;

std::uint32_t ReferenceCrc32(Bytes b) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const std::uint8_t byte : b) {
    crc ^= byte;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

struct Counting : ViolationSink {
  const VerifyOptions* options = nullptr;
  std::uint64_t last_frame = 0;  // highest frame number added so far
  std::array<std::uint64_t, kVerifyRuleCount> per_rule{};
  std::vector<Violation> all;
  void OnViolation(const Violation& v) override {
    FUZZ_CHECK(v.rule != VerifyRule::kCount);
    FUZZ_CHECK(options->rules.test(static_cast<std::size_t>(v.rule)));
    FUZZ_CHECK(v.frame >= 1 && v.frame <= last_frame);
    FUZZ_CHECK(v.related_frame <= v.frame);
    FUZZ_CHECK(std::memchr(v.expected.data(), 0, v.expected.size()) != nullptr);
    FUZZ_CHECK(std::memchr(v.seen.data(), 0, v.seen.size()) != nullptr);
    ++per_rule[static_cast<std::size_t>(v.rule)];
    all.push_back(v);
  }
};

bool Segment(Bytes frame, std::uint32_t mss, std::vector<Frame>& out) {
  Frame headers(kTxParseWindow);
  const PrepareResult p = PrepareNvgreSend(
      frame, {.segmentation = Segmentation::kLsoV2, .mss = std::max<std::uint32_t>(mss, 1)}, headers);
  if (!p) return false;
  TxOffloadConfig config;
  config.lso_v2_ipv4.min_segment_count = config.lso_v2_ipv6.min_segment_count = 1;
  config.min_mss = 1;
  config.encapsulated.set_max_header_size_supported(static_cast<std::uint32_t>(kTxParseWindow));
  TxOob oob = p->oob;
  std::vector<TxSegment> segments(32);
  std::vector<std::uint8_t> arena(32 * 512);
  std::array<Bytes, 2> buffers{Bytes(headers).first(p->header_length), frame.subspan(p->header_length)};
  TxStats stats;
  const TxResult r = ProcessTxPacket(config, buffers, oob, {segments, arena}, stats);
  if (!r.ok()) return false;
  for (const TxSegment& s : r.segments({segments, arena})) {
    Frame f(s.size());
    LinearizeSegment(s, f);
    out.push_back(std::move(f));
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const auto flags = in.Take<std::uint8_t>();
  VerifyOptions options;
  options.mss = in.Take<std::uint16_t>() % 2048;
  options.mtu = in.Take<std::uint16_t>();
  options.max_flows = 1 + in.Take<std::uint8_t>() % 32;
  const auto rule_choice = in.Take<std::uint8_t>();
  const auto perturb = in.Take<std::uint8_t>();
  if (rule_choice & 1) options.rules = AllRulesSet().reset(rule_choice % kVerifyRuleCount);

  // The frames.
  std::vector<Frame> frames;
  std::vector<bool> skip;
  bool end_to_end = false;
  if (flags & 0x01) {
    if (!Segment(in.Rest(), options.mss, frames)) return 0;
    skip.assign(frames.size(), false);
    options.mss = 0;  // inferred from the first segment
    // Unperturbed: no swap, and no wire length beyond the capture (which makes every length
    // field wrong by the verifier's measure, rightly).
    end_to_end = (perturb & 3) == 0 && (perturb & 0x80) == 0 && !frames.empty();
    if (!end_to_end && frames.size() >= 2) std::swap(frames[0], frames[frames.size() - 1]);
  } else {
    while (in.remaining() >= 2 && frames.size() < 32) {
      const auto n = in.Take<std::uint16_t>();
      if (n == 0xFFFF) {
        frames.emplace_back();
        skip.push_back(true);
        continue;
      }
      if ((flags & 0x02) && n > in.remaining()) break;  // the rest is a --rules list
      const auto b = in.TakeBytes(n);
      frames.emplace_back(b.begin(), b.end());
      skip.push_back(false);
    }
  }

  Verifier verifier(options);
  Counting sink;
  sink.options = &options;
  std::uint64_t added = 0, skipped = 0;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    sink.last_frame = i + 1;
    if (skip[i]) {
      verifier.SkipFrame();
      ++skipped;
      continue;
    }
    const std::size_t wire_length = (perturb & 0x80) && i == 0 ? frames[i].size() + 100 : 0;
    verifier.AddFrame(i + 1, frames[i], wire_length, sink);
    ++added;
    FUZZ_CHECK(ReferenceCrc32(frames[i]) == EthernetCrc32(frames[i]));
  }
  verifier.Finish(sink);

  const VerifySummary& s = verifier.summary();
  FUZZ_CHECK(s.frames == added + skipped && s.skipped == skipped);
  FUZZ_CHECK(s.gre_frames + s.other_frames == added && s.nvgre_frames <= s.gre_frames);
  FUZZ_CHECK(s.burst_segments >= 2 * s.bursts && s.burst_segments <= s.tcp_segments);
  for (std::size_t r = 0; r < kVerifyRuleCount; ++r) {
    FUZZ_CHECK(s.violations[r] == sink.per_rule[r]);
    if (!options.rules.test(r)) FUZZ_CHECK(s.violations[r] == 0);
  }
  FUZZ_CHECK(s.total_violations() == sink.all.size());

  if (end_to_end) {
    for (const Violation& v : sink.all) {
      const std::string_view id = RuleInfo(v.rule).id;
      FUZZ_CHECK(!id.starts_with("csum.") && !id.starts_with("len.") && !id.starts_with("lso."));
    }
  }

  // Rule ids and lists.
  for (const VerifyRuleInfo& info : AllVerifyRules()) {
    FUZZ_CHECK(VerifyRuleFromId(info.id) == info.rule && &RuleInfo(info.rule) == &info);
    const auto one = ParseVerifyRuleList(info.id);
    FUZZ_CHECK(one.has_value() && one->count() == 1 && one->test(static_cast<std::size_t>(info.rule)));
  }
  if (flags & 0x02) {
    const auto rest = in.Rest();
    const std::string text(rest.begin(), rest.end());
    std::string_view bad;
    const auto set = ParseVerifyRuleList(text, &bad);
    if (!set) {
      FUZZ_CHECK(bad.empty() || (bad.data() >= text.data() && bad.data() + bad.size() <= text.data() + text.size()));
      if (!bad.empty()) FUZZ_CHECK(!VerifyRuleFromId(bad).has_value());
    }
  }
  FUZZ_CHECK(EthernetCrc32(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>("123456789"), 9)) ==  // NOLINT
             0xCBF43926u);
  return 0;
}
