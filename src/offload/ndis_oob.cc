// Formatting and name tables for the NDIS out-of-band metadata (see ndis_oob.h). Nothing here is
// on a per-packet path: the per-packet accessors are all constexpr in the header.
#include "nvgre/offload/ndis_oob.h"

#include <ostream>

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
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Hex(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v & 0xF]);
    v >>= 4;
  } while (v != 0);
  return "0x" + out;
}

void Append(std::string& out, std::string_view token) {
  if (!out.empty()) out += ' ';
  out += token;
}

}  // namespace

std::string FormatLayout(std::span<const FieldSpec> layout, std::uint32_t raw) {
  std::string out;
  for (const FieldSpec& f : layout) {
    const std::uint32_t v = f.bits.Get(raw);
    switch (f.kind) {
      case FieldKind::kFlag:
        if (v != 0) Append(out, f.name);
        break;
      case FieldKind::kNumber:
        if (v != 0) Append(out, std::string(f.name) + "=" + std::to_string(v));
        break;
      case FieldKind::kEnum:
        Append(out, std::string(f.name) + "=" + std::string(v != 0 ? f.value1 : f.value0));
        break;
      case FieldKind::kReserved:
        if (v != 0) Append(out, std::string(f.name) + "=" + Hex(v));
        break;
    }
  }
  return out.empty() ? std::string("none") : out;
}

std::vector<std::string_view> SetFlagNames(std::span<const FieldSpec> layout, std::uint32_t raw) {
  std::vector<std::string_view> names;
  for (const FieldSpec& f : layout) {
    if (f.kind == FieldKind::kFlag && f.bits.Get(raw) != 0) names.push_back(f.name);
  }
  return names;
}

std::optional<std::uint32_t> ParseFlagName(std::span<const FieldSpec> layout,
                                           std::string_view name) {
  for (const FieldSpec& f : layout) {
    if (f.kind == FieldKind::kFlag && EqualsIgnoreCase(f.name, name)) return f.bits.mask();
  }
  return std::nullopt;
}

std::ostream& WriteOobString(std::ostream& os, const std::string& s) { return os << s; }

std::string_view HashTypeName(std::uint32_t flag) {
  for (const NamedValue& n : kNdisHashTypeNames) {
    if (n.value == flag) return n.name;
  }
  return {};
}

std::optional<std::uint32_t> ParseHashTypeName(std::string_view name) {
  constexpr std::string_view kPrefix = "NDIS_HASH_";
  for (const NamedValue& n : kNdisHashTypeNames) {
    if (EqualsIgnoreCase(n.name, name) || EqualsIgnoreCase(n.name.substr(kPrefix.size()), name)) {
      return n.value;
    }
  }
  return std::nullopt;
}

std::string HashTypesToString(std::uint32_t types) {
  std::string out;
  for (const NamedValue& n : kNdisHashTypeNames) {
    if ((types & n.value) == 0) continue;
    if (!out.empty()) out += '|';
    out += n.name;
  }
  if (const std::uint32_t unknown = types & ~kNdisHashAllTypes; unknown != 0) {
    if (!out.empty()) out += '|';
    out += Hex(unknown);
  }
  return out.empty() ? std::string("none") : out;
}

std::optional<std::uint32_t> ParseHashTypeList(std::string_view list, std::string_view* bad_name) {
  std::uint32_t types = 0;
  bool any = false;
  while (true) {
    const std::size_t end = list.find_first_of(",|");
    const std::string_view token = Trim(list.substr(0, end));
    if (!token.empty()) {
      const std::optional<std::uint32_t> v = ParseHashTypeName(token);
      if (!v) {
        if (bad_name != nullptr) *bad_name = token;
        return std::nullopt;
      }
      types |= *v;
      any = true;
    }
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  if (!any) {
    if (bad_name != nullptr) *bad_name = {};
    return std::nullopt;
  }
  return types;
}

std::string_view HashFunctionName(std::uint32_t function) {
  for (const NamedValue& n : kNdisHashFunctionNames) {
    if (n.value == function) return n.name;
  }
  return {};
}

std::optional<std::uint32_t> ParseHashFunctionName(std::string_view name) {
  for (const NamedValue& n : kNdisHashFunctionNames) {
    if (EqualsIgnoreCase(n.name, name)) return n.value;
  }
  return std::nullopt;
}

std::string HashInfo::ToString() const {
  if (raw_ == 0) return "none";
  std::string out;
  if (type() != 0) Append(out, HashTypesToString(type()));
  if (function() != 0) {
    const std::string_view name = HashFunctionName(function());
    Append(out, name.empty() ? "HashFunction=" + Hex(function()) : std::string(name));
  }
  if (reserved() != 0) Append(out, "Reserved=" + Hex(reserved()));
  return out;
}

}  // namespace nvgre::offload
