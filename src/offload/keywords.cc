// Standardized INF keywords: parsing and write-back (see keywords.h; spec §12).
#include "nvgre/offload/keywords.h"

#include <charconv>

namespace nvgre::offload {
namespace {

constexpr char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v, 10);
  if (ec != std::errc() || p != end) return std::nullopt;
  return v;
}

std::string Line(const KeywordSpec& spec, std::int64_t value) {
  return std::string(spec.name) + "=" + std::to_string(value);
}

}  // namespace

std::optional<Keyword> FindKeyword(std::string_view name) {
  for (std::size_t i = 0; i < kKeywordCount; ++i) {
    if (EqualsIgnoreCase(name, kKeywordSpecs[i].name)) return static_cast<Keyword>(i);
  }
  return std::nullopt;
}

std::string KeywordDiagnostic::ToString() const {
  std::string out = "line " + std::to_string(line) + ": ";
  switch (kind) {
    case Kind::kInvalidValue: {
      out += name + "=" + value + ": invalid value";
      if (auto k = FindKeyword(name)) {
        const KeywordSpec& s = SpecOf(*k);
        out += " (" + std::to_string(s.min) + ".." + std::to_string(s.max) + "), default " +
               std::to_string(s.default_value) + " used";
      }
      return out;
    }
    case Kind::kDuplicate:
      return out + name + " given again: this line wins";
    case Kind::kMalformedLine:
      return out + "not a `*Name=value` line, kept as it is: " + value;
  }
  return out;
}

Keywords Keywords::Parse(std::string_view text, std::vector<KeywordDiagnostic>* diagnostics) {
  Keywords kw;
  auto report = [&](KeywordDiagnostic d) {
    if (diagnostics != nullptr) diagnostics->push_back(std::move(d));
  };
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view raw = text.substr(start, nl - start);
    start = nl + 1;
    kw.lines_.emplace_back(raw);
    const std::size_t line_no = kw.lines_.size();
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || Trim(line.substr(0, eq)).empty()) {
      report({line_no, KeywordDiagnostic::Kind::kMalformedLine, "", std::string(raw)});
      continue;
    }
    const std::string_view name = Trim(line.substr(0, eq));
    const std::string_view value = Trim(line.substr(eq + 1));
    const auto k = FindKeyword(name);
    if (!k) continue;  // unknown keyword: kept verbatim
    const std::size_t i = Index(*k);
    const KeywordSpec& spec = kKeywordSpecs[i];
    if (kw.line_of_[i] != kNoLine) {
      report({line_no, KeywordDiagnostic::Kind::kDuplicate, std::string(name), std::string(value)});
    }
    kw.line_of_[i] = line_no - 1;
    const auto v = ParseInt(value);
    if (!v || *v < spec.min || *v > spec.max) {
      // Invalid: reported with its line; the default applies (a valid earlier line is overridden
      // too, since this later line is the one the registry would hold).
      report({line_no, KeywordDiagnostic::Kind::kInvalidValue, std::string(name), std::string(value)});
      kw.values_[i] = spec.default_value;
      kw.configured_[i] = false;
      continue;
    }
    kw.values_[i] = *v;
    kw.configured_[i] = true;
  }
  return kw;
}

bool Keywords::Set(Keyword k, std::int64_t value) {
  const KeywordSpec& spec = SpecOf(k);
  if (value < spec.min || value > spec.max) return false;
  values_[Index(k)] = value;
  configured_[Index(k)] = true;
  dirty_[Index(k)] = true;
  return true;
}

std::string Keywords::ToText() const {
  std::string out;
  for (std::size_t li = 0; li < lines_.size(); ++li) {
    bool replaced = false;
    for (std::size_t i = 0; i < kKeywordCount; ++i) {
      if (dirty_[i] && line_of_[i] == li) {
        out += Line(kKeywordSpecs[i], values_[i]);
        if (!lines_[li].empty() && lines_[li].back() == '\r') out += '\r';  // keep CRLF files CRLF
        replaced = true;
        break;
      }
    }
    if (!replaced) out += lines_[li];
    out += '\n';
  }
  for (std::size_t i = 0; i < kKeywordCount; ++i) {
    if (dirty_[i] && line_of_[i] == kNoLine) out += Line(kKeywordSpecs[i], values_[i]) + '\n';
  }
  return out;
}

}  // namespace nvgre::offload
