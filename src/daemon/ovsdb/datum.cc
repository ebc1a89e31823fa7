// OVSDB values (datum.h): RFC 7047 §5.1 notation, ovsdb-server(7) §4.1.14 differences.
#include "daemon/ovsdb/datum.h"

#include <algorithm>
#include <cstring>

namespace nvgre::daemon::ovsdb {

using json = nlohmann::json;

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsAtom(const json& j) {
  if (j.is_string() || j.is_boolean() || j.is_number()) return true;
  return ReadUuid(j).has_value();
}

bool IsTagged(const json& j, const char* tag) {
  return j.is_array() && j.size() == 2 && j[0].is_string() && j[0].get_ref<const std::string&>() == tag;
}

}  // namespace

std::optional<Uuid> Uuid::Parse(std::string_view t) {
  if (t.size() != 36) return std::nullopt;
  Uuid u;
  std::size_t b = 0;
  for (std::size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (t[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const int hi = HexValue(t[i]), lo = HexValue(t[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    u.bytes[b++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return u;
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[bytes[i] >> 4];
    s += kHex[bytes[i] & 0xF];
  }
  return s;
}

std::size_t UuidHash::operator()(const Uuid& u) const {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, u.bytes.data(), 8);
  std::memcpy(&b, u.bytes.data() + 8, 8);
  std::uint64_t h = a ^ (b * 0x9E3779B97F4A7C15ull);
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  return static_cast<std::size_t>(h ^ (h >> 29));
}

std::optional<std::string_view> ReadString(const json& j) {
  if (!j.is_string()) return std::nullopt;
  return std::string_view(j.get_ref<const std::string&>());
}

std::optional<std::int64_t> ReadInteger(const json& j) {
  if (j.is_number_integer() && !j.is_number_unsigned()) return j.get<std::int64_t>();
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(u);
  }
  return std::nullopt;
}

std::optional<bool> ReadBoolean(const json& j) {
  if (!j.is_boolean()) return std::nullopt;
  return j.get<bool>();
}

std::optional<Uuid> ReadUuid(const json& j) {
  if (!IsTagged(j, "uuid") || !j[1].is_string()) return std::nullopt;
  return Uuid::Parse(j[1].get_ref<const std::string&>());
}

bool Canonical(ColumnKind kind, const json& in, json& out) {
  switch (kind) {
    case ColumnKind::kScalar:
      if (!IsAtom(in)) return false;
      out = in;
      return true;
    case ColumnKind::kSet: {
      if (IsTagged(in, "set")) {
        if (!in[1].is_array()) return false;
        for (const json& e : in[1]) {
          if (!IsAtom(e)) return false;
        }
        out = in[1];
        return true;
      }
      if (!IsAtom(in)) return false;  // a set of one may be sent as the atom (RFC 7047 §5.1)
      out = json::array({in});
      return true;
    }
    case ColumnKind::kMap: {
      if (!IsTagged(in, "map") || !in[1].is_array()) return false;
      for (const json& p : in[1]) {
        if (!p.is_array() || p.size() != 2 || !IsAtom(p[0]) || !IsAtom(p[1])) return false;
      }
      out = in[1];
      return true;
    }
  }
  return false;
}

void ApplyDiff(ColumnKind kind, json& value, const json& diff) {
  switch (kind) {
    case ColumnKind::kScalar:
      value = diff;
      return;
    case ColumnKind::kSet:
      // The elements that belong to one of the two sets: present ones go, absent ones come.
      for (const json& e : diff) {
        const auto it = std::find(value.begin(), value.end(), e);
        if (it != value.end()) {
          value.erase(it);
        } else {
          value.push_back(e);
        }
      }
      return;
    case ColumnKind::kMap:
      // Keys in one map only (added or removed), and keys in both with the new value.
      for (const json& p : diff) {
        const auto it = std::find_if(value.begin(), value.end(), [&](const json& q) { return q[0] == p[0]; });
        if (it == value.end()) {
          value.push_back(p);
        } else if ((*it)[1] == p[1]) {
          value.erase(it);
        } else {
          (*it)[1] = p[1];
        }
      }
      return;
  }
}

json DefaultValue(ColumnKind kind, const json& atom_default) {
  return kind == ColumnKind::kScalar ? atom_default : json::array();
}

json UuidJson(const Uuid& u) { return json::array({"uuid", u.ToString()}); }
json NamedUuid(std::string_view name) { return json::array({"named-uuid", std::string(name)}); }
json SetJson(json elements) { return json::array({"set", std::move(elements)}); }
json MapJson(json pairs) { return json::array({"map", std::move(pairs)}); }

}  // namespace nvgre::daemon::ovsdb
