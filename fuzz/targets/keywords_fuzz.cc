// Fuzz target: the standardized INF keywords file (offload/keywords.h; spec §12): Parse, Get,
// Set and the write-back ToText, and an adapter initialized from it (offload/adapter.h).
// NVGRE_FUZZ_LIBS: offload
//
// Input: one byte n (0-3), n Set operations (keyword byte, 4-byte signed value), then the text.
// Invariants:
//   - Parse never fails; every value is in its keyword's [min, max]; a keyword not Configured()
//     has its default; every diagnostic names a line of the text;
//   - ToText() gives the text back byte for byte (with a newline added when the last line has
//     none), and parsing it again gives the same values;
//   - Set accepts exactly the in-range values; a value set is what Get returns and what the
//     rewritten text persists (parsing ToText() gives it back), and no other keyword changes;
//   - FindKeyword finds every keyword by its name in any case, and only those;
//   - an adapter built from the keywords starts with NVGRE task offload inactive (spec §8.1) and
//     never reports more than its hardware capabilities.
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/offload/adapter.h"
#include "nvgre/offload/keywords.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::offload;  // NOLINT

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void CheckValues(const Keywords& kw) {
  for (std::size_t i = 0; i < kKeywordCount; ++i) {
    const auto k = static_cast<Keyword>(i);
    const KeywordSpec& s = SpecOf(k);
    FUZZ_CHECK(kw.Get(k) >= s.min && kw.Get(k) <= s.max);
    if (!kw.Configured(k)) FUZZ_CHECK(kw.Get(k) == s.default_value);
    FUZZ_CHECK(kw.Enabled(k) == (kw.Get(k) != 0));
  }
}

bool SameValues(const Keywords& a, const Keywords& b) {
  for (std::size_t i = 0; i < kKeywordCount; ++i) {
    const auto k = static_cast<Keyword>(i);
    if (a.Get(k) != b.Get(k) || a.Configured(k) != b.Configured(k)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::size_t ops = in.Take<std::uint8_t>() % 4;
  std::vector<std::pair<Keyword, std::int64_t>> sets;
  for (std::size_t i = 0; i < ops; ++i) {
    const auto k = static_cast<Keyword>(in.Take<std::uint8_t>() % kKeywordCount);
    const auto v = static_cast<std::int32_t>(in.Take<std::uint32_t>());
    sets.emplace_back(k, v);
  }
  const auto rest = in.Rest();
  const std::string text(rest.begin(), rest.end());

  std::vector<KeywordDiagnostic> diags;
  Keywords kw = Keywords::Parse(text, &diags);
  CheckValues(kw);
  std::size_t lines = 0;
  for (std::size_t i = 0; i < text.size(); ++i) lines += text[i] == '\n';
  if (!text.empty() && text.back() != '\n') ++lines;
  for (const KeywordDiagnostic& d : diags) {
    FUZZ_CHECK(d.line >= 1 && d.line <= lines);
    FUZZ_CHECK(!d.ToString().empty());
    if (d.kind != KeywordDiagnostic::Kind::kMalformedLine) FUZZ_CHECK(FindKeyword(d.name).has_value());
  }
  FUZZ_CHECK(Keywords::Parse(text) == kw);  // the diagnostics do not change the result

  // Write-back: the text itself.
  const std::string out = kw.ToText();
  FUZZ_CHECK(out == (text.empty() || text.back() == '\n' ? text : text + "\n"));
  FUZZ_CHECK(SameValues(Keywords::Parse(out), kw));

  // Set, then persist.
  for (const auto& [k, v] : sets) {
    const Keywords before = kw;
    const KeywordSpec& s = SpecOf(k);
    const bool ok = kw.Set(k, v);
    FUZZ_CHECK(ok == (v >= s.min && v <= s.max));
    if (!ok) {
      FUZZ_CHECK(kw == before);
      continue;
    }
    FUZZ_CHECK(kw.Get(k) == v && kw.Configured(k));
    const Keywords again = Keywords::Parse(kw.ToText());
    FUZZ_CHECK(again.Get(k) == v && again.Configured(k));
    for (std::size_t i = 0; i < kKeywordCount; ++i) {
      const auto other = static_cast<Keyword>(i);
      if (other != k) FUZZ_CHECK(again.Get(other) == before.Get(other) && kw.Get(other) == before.Get(other));
    }
    CheckValues(again);
  }

  // Names.
  for (std::size_t i = 0; i < kKeywordCount; ++i) {
    FUZZ_CHECK(FindKeyword(kKeywordSpecs[i].name) == static_cast<Keyword>(i));
    FUZZ_CHECK(FindKeyword(Lower(kKeywordSpecs[i].name)) == static_cast<Keyword>(i));
  }
  const std::string_view first_line = std::string_view(text).substr(0, text.find('\n'));
  if (const auto k = FindKeyword(first_line)) FUZZ_CHECK(Lower(SpecOf(*k).name) == Lower(first_line));

  // An adapter initialized from these keywords (spec §8.1: NVGRE task offload starts inactive).
  const Adapter adapter(AdapterCapabilities::Default(), kw);
  const NdisOffload cur = adapter.CurrentConfig();
  const NdisOffload hw = adapter.HardwareCapabilities();
  FUZZ_CHECK(cur.encapsulation_types == 0 && cur.encapsulated_packet_task_offload_gre.raw() == 0);
  FUZZ_CHECK(!adapter.Snapshot()->encapsulated_offload_active());
  FUZZ_CHECK(cur == InitialCurrentConfig(AdapterCapabilities::Default(), kw));
  for (const auto& [c, h] : {std::pair{cur.ipv4_transmit, hw.ipv4_transmit}, {cur.ipv4_receive, hw.ipv4_receive}}) {
    FUZZ_CHECK((!c.tcp_checksum || h.tcp_checksum) && (!c.udp_checksum || h.udp_checksum) &&
               (!c.ip_checksum || h.ip_checksum));
  }
  FUZZ_CHECK(adapter.keywords() == kw);
  FUZZ_CHECK(!cur.ToString().empty());
  return 0;
}
