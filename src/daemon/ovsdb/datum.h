// OVSDB values (RFC 7047 §5.1: <atom>, <set>, <map>, <uuid>) read from JSON a server sent:
// checked accessors that say what was expected instead of throwing, a canonical form for the
// columns nvgred keeps whole, and the <row-update2> "modify" difference (ovsdb-server(7)
// §4.1.14: a scalar's new value; the elements in one of two sets; the changed map pairs).
//
//   std::optional<Uuid> u = ReadUuid(j["logical_switch"]);           // ["uuid", "...."]
//   std::optional<std::string_view> s = ReadString(j["MAC"]);
//   json set;                                                       // canonical: [atom, ...]
//   if (!Canonical(ColumnKind::kSet, j["ports"], set)) ...;
//   ApplyDiff(ColumnKind::kSet, set, diff);                          // toggles elements
//
// Nothing here throws on bad data: every reader checks the JSON type before it reads.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace nvgre::daemon::ovsdb {

// RFC 4122 text form, 8-4-4-4-12 hex digits (RFC 7047 §5.1 <uuid>).
struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  static std::optional<Uuid> Parse(std::string_view text);
  std::string ToString() const;
  bool IsZero() const { return bytes == std::array<std::uint8_t, 16>{}; }
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
};
struct UuidHash {
  std::size_t operator()(const Uuid& u) const;
};

std::optional<std::string_view> ReadString(const nlohmann::json& j);
std::optional<std::int64_t> ReadInteger(const nlohmann::json& j);
std::optional<bool> ReadBoolean(const nlohmann::json& j);
std::optional<Uuid> ReadUuid(const nlohmann::json& j);  // ["uuid", "<uuid>"]

enum class ColumnKind : std::uint8_t {
  kScalar,  // min = max = 1: the atom itself
  kSet,     // canonical: a JSON array of atoms (an optional value is a set of 0 or 1)
  kMap,     // canonical: a JSON array of [key, value] pairs
};
// `in` as sent (an atom, ["set", [...]], ["map", [[k, v], ...]]) to the canonical form; false
// when it is neither. Atoms are checked to be JSON scalars or ["uuid", "<uuid>"].
bool Canonical(ColumnKind kind, const nlohmann::json& in, nlohmann::json& out);
// Applies a "modify" difference (already canonical) to a canonical value.
void ApplyDiff(ColumnKind kind, nlohmann::json& value, const nlohmann::json& diff);
// The default of a column of that kind with an atom of `atom_default` (RFC 7047 §5.1: "",
// 0, false, the all-zero UUID, the empty set / map).
nlohmann::json DefaultValue(ColumnKind kind, const nlohmann::json& atom_default);

// ["uuid", "..."] and ["named-uuid", "..."] for building requests.
nlohmann::json UuidJson(const Uuid& u);
nlohmann::json NamedUuid(std::string_view name);
nlohmann::json SetJson(nlohmann::json elements);  // ["set", elements]
nlohmann::json MapJson(nlohmann::json pairs);     // ["map", pairs]

}  // namespace nvgre::daemon::ovsdb
