// nvgred's configuration file (config.h; every key in docs/nvgred-config.md): TOML parsed by
// toml++ (header-only, exceptions off), then checked key by key and as a whole. Every check
// reports where (line and column of the offending value, or of its table when a key is missing),
// which key (a dotted path with 0-based array indexes, as toml++ paths print) and what was
// expected; all problems are collected and returned in file order.
//
// RFC 7637 §3.2: VSIDs 0x000000-0x000FFF and 0xFFFFFF are reserved; §4.3 (FlowID) and §4.5
// (multicast or N-way unicast flooding of broadcast / multicast customer frames); RFC 1112 §4 and
// RFC 4291 §2.7 (multicast addresses); RFC 8200 §5 (IPv6 links carry 1280-byte packets).

// toml++ 3.3.0 asserts (TOML_ASSERT_ASSUME) on some malformed input before its own error path
// would report it: parse_key() on "[\n" or "[[[a]]]" (upstream marzer/tomlplusplus#301). With
// assertions on that aborts; with NDEBUG under clang it becomes __builtin_assume(false), which is
// undefined behaviour. Its assertions are therefore compiled out here, without NDEBUG, so that
// the parser falls through to its "expected bare key starting character" error. Only this file
// includes toml++, so the macro choice is the same in every translation unit that uses it.
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) static_assert(true)
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")

#include "daemon/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "daemon/ovsdb/session.h"

namespace nvgre::daemon {
namespace {

using virt::IpAddress;

constexpr std::size_t kMaxConfigFileBytes = std::size_t{16} << 20;  // 16 MiB
constexpr std::size_t kMaxQuotedBytes = 64;    // longer string values are cut in messages
constexpr std::size_t kMaxInterfaceName = 15;  // IFNAMSIZ 16 with the NUL
constexpr std::size_t kMaxNetnsName = 255;     // NAME_MAX: a file under /run/netns
constexpr std::size_t kMaxSocketPath = 107;    // sockaddr_un.sun_path 108 with the NUL

constexpr std::string_view kVsidExpectation =
    "an integer 4096..16777214 (RFC 7637 §3.2 reserves 0-4095 and 16777215)";

// ---- text helpers -------------------------------------------------------------------------

SourcePosition PositionOf(const toml::source_region& r) { return {r.begin.line, r.begin.column}; }

bool PositionLess(const SourcePosition& a, const SourcePosition& b) {
  // Unknown positions (line 0) sort last: they belong to nothing in the text.
  const std::uint64_t la = a.line == 0 ? std::numeric_limits<std::uint32_t>::max() : a.line;
  const std::uint64_t lb = b.line == 0 ? std::numeric_limits<std::uint32_t>::max() : b.line;
  return la != lb ? la < lb : a.column < b.column;
}

// TOML basic-string form: quotes, backslash and control characters escaped; cut after
// kMaxQuotedBytes at a UTF-8 character boundary (toml++ has already checked the UTF-8).
std::string Quote(std::string_view s) {
  bool cut = false;
  if (s.size() > kMaxQuotedBytes) {
    std::size_t n = kMaxQuotedBytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
    cut = true;
  }
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(u));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  if (cut) out += "...";
  return out;
}

bool IsBareKey(std::string_view k) {
  if (k.empty()) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// "underlay" + "mtu" -> "underlay.mtu"; a key that is not bare is quoted, as TOML writes it.
std::string Join(std::string_view path, std::string_view key) {
  std::string seg = IsBareKey(key) ? std::string(key) : Quote(key);
  return path.empty() ? seg : std::string(path) + "." + seg;
}
std::string Index(std::string_view path, std::size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string Got(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::integer: return "got " + std::to_string(n.as_integer()->get());
    case toml::node_type::string: return "got " + Quote(n.as_string()->get());
    case toml::node_type::floating_point: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", n.as_floating_point()->get());
      return std::string("got the float ") + buf;
    }
    case toml::node_type::boolean:
      return n.as_boolean()->get() ? "got the boolean true" : "got the boolean false";
    case toml::node_type::array:
      if (n.as_array()->empty()) return "got an empty list";
      return n.is_array_of_tables() ? "got an array of tables" : "got a list";
    case toml::node_type::table: return "got a table";
    case toml::node_type::date: return "got a date";
    case toml::node_type::time: return "got a time";
    case toml::node_type::date_time: return "got a date-time";
    case toml::node_type::none: break;
  }
  return "got nothing";
}

std::string FormatMac(const wire::MacAddress& m) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

std::string List(std::initializer_list<std::string_view> items) {
  std::string out;
  for (const std::string_view s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

bool IsUnspecified(const IpAddress& a) {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a)) return *v4 == wire::Ipv4Address{};
  return std::get<wire::Ipv6Address>(a) == wire::Ipv6Address{};
}

// Why `a` cannot be a host's address (multicast, unspecified, IPv4 limited broadcast), or "".
std::string_view NotUnicast(const IpAddress& a) {
  if (virt::IsMulticastIp(a)) return "the multicast address";
  if (IsUnspecified(a)) return "the unspecified address";
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a)) {
    if (*v4 == wire::Ipv4Address{255, 255, 255, 255}) return "the broadcast address";
  }
  return {};
}

std::string_view FamilyName(const IpAddress& a) { return virt::IsIpv6(a) ? "IPv6" : "IPv4"; }

// Linux dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
bool IsKernelInterfaceName(std::string_view s) {
  if (s.empty() || s.size() > kMaxInterfaceName || s == "." || s == "..") return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r' || c == '\0';
  });
}

// The TAP names nvgred creates: 1..15 bytes of [A-Za-z0-9_.-], not "." or "..".
bool IsTapName(std::string_view s) {
  if (s.empty() || s.size() > kMaxInterfaceName || s == "." || s == "..") return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// A user or group name as shadow-utils and systemd accept them (1..32 bytes: a letter or '_'
// first, then letters, digits, '_', '.', '-', an optional final '$'), or a numeric id below
// 4294967295 ((uid_t) -1 means "no change" to setresuid).
bool IsAccountName(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return s.size() < 10 || (s.size() == 10 && s < "4294967295");
  }
  const char first = s.front();
  if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z') || first == '_')) return false;
  if (s.back() == '$') s.remove_suffix(1);
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// "ADDRESS:PORT" with an IPv4 address or a bracketed IPv6 one (RFC 3986 §3.2.2), port 1..65535.
std::optional<MetricsSection::Listen> ParseListen(std::string_view s) {
  const std::size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == s.size() || s.size() - colon - 1 > 5) return std::nullopt;
  std::string_view host = s.substr(0, colon);
  const std::string_view port_text = s.substr(colon + 1);
  unsigned port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.find('\0') != std::string_view::npos) return std::nullopt;
  const auto address = virt::ParseIpAddress(host);
  if (!address || virt::IsIpv6(*address) != bracketed || virt::IsMulticastIp(*address)) return std::nullopt;
  return MetricsSection::Listen{*address, static_cast<std::uint16_t>(port)};
}

// iproute2 netns_name_valid(): a file name under /run/netns.
bool IsNetnsName(std::string_view s) {
  return !s.empty() && s.size() <= kMaxNetnsName && s != "." && s != ".." &&
         s.find('/') == std::string_view::npos && s.find('\0') == std::string_view::npos;
}

// Lines as an editor counts them, and the column just past the end of the last line (columns
// count code points, as toml++ does).
struct TextShape {
  std::uint32_t lines = 0;
  std::uint32_t end_column = 1;
};
TextShape ShapeOf(std::string_view text) {
  TextShape s;
  if (text.empty()) return s;
  std::string_view body = text;
  if (body.back() == '\n') body.remove_suffix(1);
  const auto newlines = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
  s.lines = static_cast<std::uint32_t>(
      std::min<std::size_t>(newlines + 1, std::numeric_limits<std::uint32_t>::max()));
  const std::size_t last = body.rfind('\n');
  const std::string_view tail = last == std::string_view::npos ? body : body.substr(last + 1);
  std::size_t columns = 0;
  for (const char c : tail) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  s.end_column = static_cast<std::uint32_t>(
      std::min<std::size_t>(columns + 1, std::numeric_limits<std::uint32_t>::max()));
  return s;
}

// ---- a guard for toml++ 3.3.0 ---------------------------------------------------------------
//
// toml++ 3.3.0 asks whether a non-ASCII code point is whitespace through a generated table that
// reaches TOML_UNREACHABLE (undefined behaviour; found by config_fuzz) for U+00A1-U+0499,
// U+2D6E-U+3167 and U+FBC6-U+FEFE (marzer/tomlplusplus#190, #295). It asks that wherever it
// lexes outside strings and comments, and in a multi-line basic string after a backslash (the
// character after it, and after a line-ending backslash the first one that is not whitespace).
// TOML 1.0 allows no non-ASCII character outside strings and comments, so this scan reports the
// first one there as the syntax error it is, and one in those multi-line string places as
// unsupported, before toml++ sees the text.
//
// The scan follows toml++'s lexing wherever toml++ has not stopped at an error yet: comments, the
// four string kinds, escapes, up to five closing quotes, and where a value starts (after '=', in
// an array after '[' or ','): a value that is not a string, array or inline table is read by
// toml++ up to the next whitespace, ']', '}', ',' or '#' (is_value_terminator), quotes included,
// so a quote inside it (`1-0"...`) starts no string here either.

struct UnsafeCharacter {
  SourcePosition where;
  std::string message;
};

std::optional<UnsafeCharacter> FindUnsafeNonAscii(std::string_view text) {
  enum class State : std::uint8_t { kNormal, kBareValue, kComment, kBasic, kLiteral, kMlBasic, kMlLiteral };
  State state = State::kNormal;
  std::size_t i = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // toml++ skips a UTF-8 BOM
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  std::vector<char> nest;        // '[' (array) and '{' (inline table) around the current value
  bool value_next = false;       // kNormal: the next token is a value
  bool after_backslash = false;  // kMlBasic: the previous code point was a backslash
  bool skipping_blank = false;   // kMlBasic: after a line-ending backslash
  // The code point at `at` and its length; 0 when the UTF-8 is broken (toml++ reports that).
  auto decode = [&](std::size_t at, char32_t& cp) -> std::size_t {
    const auto b = static_cast<unsigned char>(text[at]);
    const std::size_t n = b < 0x80                ? 1
                          : b >= 0xC0 && b < 0xE0 ? 2
                          : b >= 0xE0 && b < 0xF0 ? 3
                          : b >= 0xF0 && b < 0xF8 ? 4
                                                  : 0;
    if (n == 0 || at + n > text.size()) return 0;
    cp = n == 1 ? b : static_cast<char32_t>(b & (0x7F >> n));
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(text[at + k]);
      if ((c & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (c & 0x3F);
    }
    return n;
  };
  auto report = [&](char32_t cp, std::size_t n, std::string_view why) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(cp));
    return UnsafeCharacter{
        {line, column},
        "unexpected character '" + std::string(text.substr(i, n)) + "' (" + hex + "): " + std::string(why)};
  };
  constexpr std::string_view kOutside = "outside strings and comments TOML allows only ASCII";
  auto quotes_at = [&](std::size_t at, char q) {
    std::size_t n = 0;
    while (at + n < text.size() && text[at + n] == q) ++n;
    return n;
  };
  while (i < text.size()) {
    char32_t cp = 0;
    const std::size_t n = decode(i, cp);
    if (n == 0) return std::nullopt;
    std::size_t advance = n;
    switch (state) {
      case State::kNormal:
        if (cp >= 0x80) return report(cp, n, kOutside);
        if (cp == ' ' || cp == '\t' || cp == '\r') break;
        if (cp == '\n') {
          if (nest.empty()) value_next = false;  // a new key = value line
        } else if (cp == '#') {
          state = State::kComment;
        } else if (cp == '"' || cp == '\'') {
          const bool multi = quotes_at(i, static_cast<char>(cp)) >= 3;
          state = cp == '"' ? (multi ? State::kMlBasic : State::kBasic)
                            : (multi ? State::kMlLiteral : State::kLiteral);
          advance = multi ? 3 : 1;
          value_next = false;
        } else if (value_next && cp == '[') {
          nest.push_back('[');  // an array: its first element is a value
        } else if (value_next && cp == '{') {
          nest.push_back('{');  // an inline table: keys first
          value_next = false;
        } else if (value_next && cp != ']' && cp != '}' && cp != ',') {
          state = State::kBareValue;  // a number, boolean or date: toml++ reads to a terminator
          value_next = false;
        } else if (cp == '=') {
          value_next = true;
        } else if (cp == ',') {
          value_next = !nest.empty() && nest.back() == '[';
        } else if (cp == ']' || cp == '}') {
          if (!nest.empty()) nest.pop_back();  // (with no nest: the end of a table header)
          value_next = false;
        }
        break;
      case State::kBareValue:
        if (cp >= 0x80) return report(cp, n, kOutside);
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == ']' ||
            cp == '}' || cp == ',' || cp == '#') {
          state = State::kNormal;
          advance = 0;  // the terminator is read again in kNormal
        }
        break;
      case State::kComment:
        if (cp == '\n') {
          state = State::kNormal;
          advance = 0;
        }
        break;
      case State::kBasic:
        if (cp == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
          char32_t next = 0;
          const std::size_t m = decode(i + 1, next);
          if (m == 0) return std::nullopt;
          advance = 1 + m;  // the escaped character (toml++ checks it is a valid escape)
        } else if (cp == '"') {
          state = State::kNormal;
        } else if (cp == '\n') {
          state = State::kNormal;  // an error for toml++
          advance = 0;
        }
        break;
      case State::kLiteral:
        if (cp == '\'') {
          state = State::kNormal;
        } else if (cp == '\n') {
          state = State::kNormal;
          advance = 0;
        }
        break;
      case State::kMlBasic: {
        const bool blank = cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
        if (after_backslash) {  // the escaped character; toml++ asks whether it is whitespace
          after_backslash = false;
          if (cp >= 0x80) return report(cp, n, "expected an escape sequence after the backslash");
          skipping_blank = blank;  // a line-ending backslash
          break;
        }
        if (skipping_blank) {  // toml++ asks of each character whether it is whitespace
          if (cp >= 0x80) {
            return report(cp, n,
                          "not supported right after a line-ending backslash (toml++ 3.3.0, "
                          "marzer/tomlplusplus#190); escape it as \\uXXXX");
          }
          if (blank) break;
          skipping_blank = false;
        }
        if (cp == '\\') {
          after_backslash = true;
        } else if (cp == '"' && quotes_at(i, '"') >= 3) {
          advance = std::min<std::size_t>(quotes_at(i, '"'), 5);  // up to two quotes end the content
          state = State::kNormal;
        }
        break;
      }
      case State::kMlLiteral:
        if (cp == '\'' && quotes_at(i, '\'') >= 3) {
          advance = std::min<std::size_t>(quotes_at(i, '\''), 5);
          state = State::kNormal;
        }
        break;
    }
    for (std::size_t k = i; k < i + advance; ++k) {
      if (text[k] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text[k]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    i += advance;
  }
  return std::nullopt;
}

// ---- the checker --------------------------------------------------------------------------

template <class T>
struct Located {
  T value;
  SourcePosition where;
  std::string key;
};

// Where a MAC or customer IP was used, for the per-VSID uniqueness rule.
template <class T>
struct Use {
  std::uint32_t vsid;
  T value;
  SourcePosition where;
  std::string key;
  std::string owner;  // "port[0]"
};

class Checker {
 public:
  Checker(std::string_view text, std::string_view file) : file_(file), shape_(ShapeOf(text)) {
    config_.file = std::string(file);
  }

  void Report(SourcePosition where, std::string key, std::string message) {
    if (where.line > shape_.lines) where = {shape_.lines, shape_.lines == 0 ? 0 : shape_.end_column};
    if (where.line == 0) where.column = 0;
    errors_.push_back(ConfigError{file_, where, std::move(key), std::move(message)});
  }
  void Report(const toml::node& n, std::string key, std::string message) {
    Report(PositionOf(n.source()), std::move(key), std::move(message));
  }

  void Run(const toml::table& root);
  // The errors in file order (unknown positions last); the configuration iff there are none.
  ConfigResult Finish();

 private:
  // ---- generic readers: each reports what is wrong and returns nullopt/nullptr then ----
  void CheckKeys(const toml::table& t, std::string_view path, std::string_view where_name,
                 std::initializer_list<std::string_view> allowed);
  void Missing(const toml::table& t, std::string_view path, std::string_view key, std::string_view expected) {
    Report(t, Join(path, key), "missing; expected " + std::string(expected));
  }
  const toml::table* TableOf(const toml::node& n, const std::string& key, std::string_view expected) {
    if (const auto* t = n.as_table()) return t;
    Report(n, key, "expected " + std::string(expected) + ", " + Got(n));
    return nullptr;
  }
  std::optional<std::int64_t> Integer(const toml::node& n, const std::string& key, std::int64_t lo,
                                      std::int64_t hi, std::string_view expected) {
    const auto* v = n.as_integer();
    if (v == nullptr || v->get() < lo || v->get() > hi) {
      Report(n, key, "expected " + std::string(expected) + ", " + Got(n));
      return std::nullopt;
    }
    return v->get();
  }
  std::optional<std::int64_t> Integer(const toml::node& n, const std::string& key, std::int64_t lo,
                                      std::int64_t hi) {
    return Integer(n, key, lo, hi, "an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  std::optional<std::string> String(const toml::node& n, const std::string& key, std::string_view expected) {
    const auto* v = n.as_string();
    if (v == nullptr) {
      Report(n, key, "expected " + std::string(expected) + ", " + Got(n));
      return std::nullopt;
    }
    return v->get();
  }
  std::optional<std::uint32_t> Vsid(const toml::node& n, const std::string& key) {
    const auto v = Integer(n, key, kMinConfigVsid, kMaxConfigVsid, kVsidExpectation);
    if (!v) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
  }
  std::optional<wire::MacAddress> Mac(const toml::node& n, const std::string& key);
  // One address or a list of them, each a host's unicast address (not multicast, unspecified or
  // broadcast); each parsed address with its own position and key.
  std::vector<Located<IpAddress>> Addresses(const toml::node& n, const std::string& key,
                                            std::string_view expected);
  // A [[name]] array: each table (elements that are not tables are reported).
  std::vector<std::pair<const toml::table*, std::string>> TablesOf(const toml::table& root,
                                                                   std::string_view name);

  // ---- sections ----
  void Daemon(const toml::table& root);
  void Underlay(const toml::table& root);
  void Control(const toml::table& root);
  void Metrics(const toml::table& root);
  void Policy(const toml::table& root);
  void Subnets(const toml::table& root);
  void Ports(const toml::table& root);
  void Lookups(const toml::table& root);
  void SubnetExists(const toml::node& n, const std::string& key, std::uint32_t vsid);
  void CheckFamily(const toml::node& n, const std::string& key, const IpAddress& a, std::string_view what);
  void Uniqueness();

  std::string file_;
  TextShape shape_;
  std::vector<ConfigError> errors_;
  Config config_;

  bool underlay_known_ = false;  // underlay.address parsed without error
  // The first [[subnet]] of each VSID: its key ("subnet[0]") and where it is.
  std::map<std::uint32_t, std::pair<std::string, SourcePosition>> subnet_of_vsid_;
  std::vector<Use<wire::MacAddress>> macs_;
  std::vector<Use<IpAddress>> ips_;
};

void Checker::CheckKeys(const toml::table& t, std::string_view path, std::string_view where_name,
                        std::initializer_list<std::string_view> allowed) {
  for (auto&& entry : t) {
    const toml::key& k = entry.first;
    const std::string_view name = k.str();
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    Report(PositionOf(k.source()), Join(path, name),
           "unknown key; expected one of the keys of " + std::string(where_name) + ": " + List(allowed));
  }
}

std::optional<wire::MacAddress> Checker::Mac(const toml::node& n, const std::string& key) {
  constexpr std::string_view kExpected = "a unicast MAC address such as \"02:00:00:00:50:01\"";
  const auto s = String(n, key, kExpected);
  if (!s) return std::nullopt;
  const auto mac = virt::ParseMacAddress(*s);  // exactly 17 characters of hex pairs and separators
  if (!mac) {
    Report(n, key, "expected " + std::string(kExpected) + ", got " + Quote(*s));
    return std::nullopt;
  }
  if (virt::IsZeroMac(*mac) || virt::IsMulticastMac(*mac)) {
    const char* what = virt::IsZeroMac(*mac)        ? "the all-zero address"
                       : virt::IsBroadcastMac(*mac) ? "the broadcast address"
                                                    : "a multicast address (I/G bit set)";
    Report(n, key, "expected " + std::string(kExpected) + ", got " + what + " " + Quote(*s));
    return std::nullopt;
  }
  return mac;
}

std::vector<Located<IpAddress>> Checker::Addresses(const toml::node& n, const std::string& key,
                                                   std::string_view expected) {
  std::vector<Located<IpAddress>> out;
  auto one = [&](const toml::node& e, const std::string& k) {
    const auto* s = e.as_string();
    if (s == nullptr) {
      Report(e, k, "expected " + std::string(expected) + ", " + Got(e));
      return;
    }
    const std::string& text = s->get();
    // ParseIpAddress hands the text to inet_pton, which stops at a NUL: refuse those here.
    const auto a = text.find('\0') == std::string::npos ? virt::ParseIpAddress(text) : std::nullopt;
    if (!a) {
      Report(e, k,
             "expected " + std::string(expected) + " (IPv4 or IPv6, no prefix length), got " + Quote(text));
      return;
    }
    if (const std::string_view why = NotUnicast(*a); !why.empty()) {
      Report(e, k, "expected a unicast address, got " + std::string(why) + " " + Quote(text));
      return;
    }
    out.push_back({*a, PositionOf(e.source()), k});
  };
  if (const auto* arr = n.as_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) one((*arr)[i], Index(key, i));
  } else if (n.is_string()) {
    one(n, key);
  } else {
    Report(n, key, "expected " + std::string(expected) + " or a list of them, " + Got(n));
  }
  return out;
}

std::vector<std::pair<const toml::table*, std::string>> Checker::TablesOf(const toml::table& root,
                                                                          std::string_view name) {
  std::vector<std::pair<const toml::table*, std::string>> out;
  const toml::node* n = root.get(name);
  if (n == nullptr) return out;
  const auto* arr = n->as_array();
  if (arr == nullptr) {
    Report(*n, std::string(name), "expected an array of tables ([[" + std::string(name) + "]]), " + Got(*n));
    return out;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string key = Index(name, i);
    if (const auto* t = TableOf((*arr)[i], key, "a table ([[" + std::string(name) + "]])"))
      out.emplace_back(t, key);
  }
  return out;
}

void Checker::Daemon(const toml::table& root) {
  const toml::node* n = root.get("daemon");
  if (n == nullptr) return;
  const toml::table* t = TableOf(*n, "daemon", "a table ([daemon])");
  if (t == nullptr) return;
  CheckKeys(*t, "daemon", "[daemon]", {"workers", "log_level", "user", "drop_log_interval"});
  if (const toml::node* v = t->get("workers")) {
    if (const auto w = Integer(*v, "daemon.workers", 1, 256))
      config_.daemon.workers = static_cast<std::uint32_t>(*w);
  }
  if (const toml::node* v = t->get("log_level")) {
    constexpr std::string_view kExpected = R"("error", "warning", "info" or "debug")";
    if (const auto s = String(*v, "daemon.log_level", kExpected)) {
      static constexpr std::array<std::pair<std::string_view, ConfigLogLevel>, 4> kLevels{{
          {"error", ConfigLogLevel::kError},
          {"warning", ConfigLogLevel::kWarning},
          {"info", ConfigLogLevel::kInfo},
          {"debug", ConfigLogLevel::kDebug},
      }};
      const auto it =
          std::find_if(kLevels.begin(), kLevels.end(), [&](const auto& l) { return l.first == *s; });
      if (it == kLevels.end()) {
        Report(*v, "daemon.log_level", "expected " + std::string(kExpected) + ", " + Got(*v));
      } else {
        config_.daemon.log_level = it->second;
      }
    }
  }
  if (const toml::node* v = t->get("user")) {
    constexpr std::string_view kExpected =
        "a user name (1..32 bytes: a letter or '_', then letters, digits, '_', '.', '-') or a numeric uid";
    if (const auto s = String(*v, "daemon.user", kExpected)) {
      if (IsAccountName(*s)) {
        config_.daemon.user = *s;
      } else {
        Report(*v, "daemon.user", "expected " + std::string(kExpected) + ", " + Got(*v));
      }
    }
  }
  if (const toml::node* v = t->get("drop_log_interval")) {
    if (const auto i = Integer(*v, "daemon.drop_log_interval", 1, 86400, "an integer 1..86400 (seconds)")) {
      config_.daemon.drop_log_interval = static_cast<std::uint32_t>(*i);
    }
  }
}

void Checker::Underlay(const toml::table& root) {
  constexpr std::string_view kAddressExpected = "this host's provider address";
  const toml::node* n = root.get("underlay");
  if (n == nullptr) {
    Report(SourcePosition{}, "underlay",
           "missing; expected an [underlay] table with address = this host's provider address");
    return;
  }
  const toml::table* t = TableOf(*n, "underlay", "a table ([underlay])");
  if (t == nullptr) return;
  UnderlaySection& u = config_.underlay;
  u.where = PositionOf(t->source());
  CheckKeys(*t, "underlay", "[underlay]", {"address", "mtu", "interface", "flow_id", "ttl"});

  if (const toml::node* v = t->get("address")) {
    const std::size_t errors_before = errors_.size();
    const auto addresses = Addresses(*v, "underlay.address", kAddressExpected);
    if (const auto* arr = v->as_array(); arr != nullptr && arr->empty()) {
      Report(*v, "underlay.address",
             "expected " + std::string(kAddressExpected) +
                 " or a list of them (one IPv4, one IPv6), got an empty list");
    }
    for (const auto& a : addresses) {
      if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a.value)) {
        if (u.ipv4) {
          Report(a.where, a.key,
                 "expected at most one IPv4 address (one per family), got a second one " +
                     Quote(virt::FormatIpAddress(a.value)) + " after " +
                     Quote(virt::FormatIpAddress(*u.ipv4)));
          continue;
        }
        u.ipv4 = *v4;
      } else {
        const auto& v6 = std::get<wire::Ipv6Address>(a.value);
        if (u.ipv6) {
          Report(a.where, a.key,
                 "expected at most one IPv6 address (one per family), got a second one " +
                     Quote(virt::FormatIpAddress(a.value)) + " after " +
                     Quote(virt::FormatIpAddress(*u.ipv6)));
          continue;
        }
        u.ipv6 = v6;
      }
    }
    underlay_known_ = errors_.size() == errors_before && (u.ipv4 || u.ipv6);
  } else {
    Missing(*t, "underlay", "address", kAddressExpected);
  }

  if (const toml::node* v = t->get("mtu")) {
    // An IPv6 underlay must carry 1280-byte packets (RFC 8200 §5); IPv4 hosts 576 (RFC 791).
    const bool v6 = u.ipv6.has_value();
    const auto mtu = v6 ? Integer(*v, "underlay.mtu", 1280, 65535,
                                  "an integer 1280..65535 (RFC 8200 §5: the underlay has an IPv6 address)")
                        : Integer(*v, "underlay.mtu", 576, 65535);
    if (mtu) u.mtu = static_cast<std::uint32_t>(*mtu);
  }
  if (const toml::node* v = t->get("interface")) {
    constexpr std::string_view kExpected = "an interface name (1..15 bytes, no '/', ':' or whitespace)";
    if (const auto s = String(*v, "underlay.interface", kExpected)) {
      if (IsKernelInterfaceName(*s)) {
        u.interface = *s;
      } else {
        Report(*v, "underlay.interface", "expected " + std::string(kExpected) + ", " + Got(*v));
      }
    }
  }
  if (const toml::node* v = t->get("flow_id")) {
    // RFC 7637 §4.3: a constant FlowID, or one per inner flow ("auto").
    constexpr std::string_view kExpected = R"(an integer 0..255 or "auto")";
    if (const auto* s = v->as_string(); s != nullptr && s->get() == "auto") {
      u.flow_id_mode = FlowIdMode::kAuto;
    } else if (const auto f = Integer(*v, "underlay.flow_id", 0, 255, kExpected)) {
      u.flow_id_mode = FlowIdMode::kFixed;
      u.flow_id = static_cast<std::uint8_t>(*f);
    }
  }
  if (const toml::node* v = t->get("ttl")) {
    if (const auto ttl = Integer(*v, "underlay.ttl", 1, 255)) u.ttl = static_cast<std::uint8_t>(*ttl);
  }
}

void Checker::Control(const toml::table& root) {
  const toml::node* n = root.get("control");
  if (n == nullptr) return;
  const toml::table* t = TableOf(*n, "control", "a table ([control])");
  if (t == nullptr) return;
  CheckKeys(*t, "control", "[control]", {"socket", "group"});
  if (const toml::node* v = t->get("socket")) {
    constexpr std::string_view kExpected = "an absolute path of at most 107 bytes (a Unix socket)";
    if (const auto s = String(*v, "control.socket", kExpected)) {
      if (s->empty() || s->front() != '/' || s->size() > kMaxSocketPath ||
          s->find('\0') != std::string::npos) {
        Report(*v, "control.socket", "expected " + std::string(kExpected) + ", " + Got(*v));
      } else {
        config_.control.socket = *s;
      }
    }
  }
  if (const toml::node* v = t->get("group")) {
    constexpr std::string_view kExpected =
        "a group name (1..32 bytes: a letter or '_', then letters, digits, '_', '.', '-') or a numeric gid";
    if (const auto s = String(*v, "control.group", kExpected)) {
      if (IsAccountName(*s)) {
        config_.control.group = *s;
      } else {
        Report(*v, "control.group", "expected " + std::string(kExpected) + ", " + Got(*v));
      }
    }
  }
}

void Checker::Metrics(const toml::table& root) {
  const toml::node* n = root.get("metrics");
  if (n == nullptr) return;
  const toml::table* t = TableOf(*n, "metrics", "a table ([metrics])");
  if (t == nullptr) return;
  CheckKeys(*t, "metrics", "[metrics]", {"listen"});
  if (const toml::node* v = t->get("listen")) {
    constexpr std::string_view kExpected =
        "\"ADDRESS:PORT\" with a unicast IPv4 address or a bracketed IPv6 one and a port 1..65535, "
        "e.g. \"127.0.0.1:9469\" or \"[::1]:9469\"";
    if (const auto s = String(*v, "metrics.listen", kExpected)) {
      if (const auto l = ParseListen(*s)) {
        config_.metrics.listen = *l;
      } else {
        Report(*v, "metrics.listen", "expected " + std::string(kExpected) + ", " + Got(*v));
      }
    }
  }
}

void Checker::Policy(const toml::table& root) {
  const toml::node* n = root.get("policy");
  if (n == nullptr) return;
  const toml::table* t = TableOf(*n, "policy", "a table ([policy])");
  if (t == nullptr) return;
  PolicySection& p = config_.policy;
  p.where = PositionOf(t->source());
  CheckKeys(*t, "policy", "[policy]",
            {"ovsdb", "switch", "database", "publish", "inactivity_probe", "max_backoff", "max_message_bytes"});
  constexpr std::string_view kRemoteExpected = "an OVSDB remote such as \"unix:/run/openvswitch/db.sock\" or "
                                               "\"tcp:192.0.2.10:6641\"";
  if (const toml::node* v = t->get("ovsdb")) {
    auto one = [&](const toml::node& e, const std::string& key) {
      const auto s = String(e, key, kRemoteExpected);
      if (!s) return;
      std::string why;
      if (!ovsdb::Remote::Parse(*s, &why)) {
        Report(e, key, "expected " + std::string(kRemoteExpected) + ", got " + Quote(*s) + " (" + why + ")");
        return;
      }
      if (std::find(p.ovsdb.begin(), p.ovsdb.end(), *s) != p.ovsdb.end()) {
        Report(e, key, "expected each remote once, got " + Quote(*s) + " again");
        return;
      }
      p.ovsdb.push_back(*s);
    };
    if (const auto* arr = v->as_array()) {
      if (arr->empty()) {
        Report(*v, "policy.ovsdb", "expected " + std::string(kRemoteExpected) + " or a list of them, got an empty list");
      }
      for (std::size_t i = 0; i < arr->size(); ++i) one((*arr)[i], Index("policy.ovsdb", i));
    } else if (v->is_string()) {
      one(*v, "policy.ovsdb");
    } else {
      Report(*v, "policy.ovsdb", "expected " + std::string(kRemoteExpected) + " or a list of them, " + Got(*v));
    }
  } else {
    Missing(*t, "policy", "ovsdb", "the OVSDB remotes (e.g. [\"unix:/run/ovsdb/s1.sock\", \"tcp:192.0.2.10:6641\"])");
  }
  if (const toml::node* v = t->get("switch")) {
    constexpr std::string_view kExpected = "a Physical_Switch name: 1..255 printable ASCII characters";
    if (const auto s = String(*v, "policy.switch", kExpected)) {
      const bool ok = !s->empty() && s->size() <= 255 &&
                      std::all_of(s->begin(), s->end(), [](char c) { return c > 0x20 && c < 0x7F; });
      if (ok) {
        p.switch_name = *s;
      } else {
        Report(*v, "policy.switch", "expected " + std::string(kExpected) + " (no spaces), " + Got(*v));
      }
    }
  }
  if (const toml::node* v = t->get("database")) {
    constexpr std::string_view kExpected = "an OVSDB database name ([A-Za-z_][A-Za-z0-9_]*, RFC 7047 §3.1 <id>)";
    if (const auto s = String(*v, "policy.database", kExpected)) {
      const bool ok = !s->empty() && s->size() <= 255 && !(s->front() >= '0' && s->front() <= '9') &&
                      std::all_of(s->begin(), s->end(), [](char c) {
                        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                      });
      if (ok) {
        p.database = *s;
      } else {
        Report(*v, "policy.database", "expected " + std::string(kExpected) + ", " + Got(*v));
      }
    }
  }
  if (const toml::node* v = t->get("publish")) {
    if (const auto* b = v->as_boolean()) {
      p.publish = b->get();
    } else {
      Report(*v, "policy.publish", "expected true or false, " + Got(*v));
    }
  }
  if (const toml::node* v = t->get("inactivity_probe")) {
    const auto ms = Integer(*v, "policy.inactivity_probe", 0, 3600000,
                            "milliseconds: 0 (never) or 1000..3600000");
    if (ms && *ms != 0 && *ms < 1000) {
      Report(*v, "policy.inactivity_probe", "expected milliseconds: 0 (never) or 1000..3600000, " + Got(*v));
    } else if (ms) {
      p.inactivity_probe_ms = static_cast<std::uint32_t>(*ms);
    }
  }
  if (const toml::node* v = t->get("max_backoff")) {
    if (const auto ms = Integer(*v, "policy.max_backoff", 1000, 3600000, "milliseconds 1000..3600000")) {
      p.max_backoff_ms = static_cast<std::uint32_t>(*ms);
    }
  }
  if (const toml::node* v = t->get("max_message_bytes")) {
    if (const auto b = Integer(*v, "policy.max_message_bytes", 65536, std::int64_t{1} << 32)) {
      p.max_message_bytes = static_cast<std::uint64_t>(*b);
    }
  }
}

void Checker::CheckFamily(const toml::node& n, const std::string& key, const IpAddress& a,
                          std::string_view what) {
  if (!underlay_known_) return;  // the underlay's own errors are reported already
  const bool ok = virt::IsIpv6(a) ? config_.underlay.ipv6.has_value() : config_.underlay.ipv4.has_value();
  if (ok) return;
  const std::string_view have = virt::IsIpv6(a) ? "IPv4" : "IPv6";
  Report(n, key,
         "expected an " + std::string(have) + " " + std::string(what) + " (the underlay has no " +
             std::string(FamilyName(a)) + " address), " + Got(n));
}

void Checker::Subnets(const toml::table& root) {
  for (const auto& [t, key] : TablesOf(root, "subnet")) {
    CheckKeys(*t, key, "[[subnet]]", {"vsid", "flood", "multicast"});
    SubnetEntry s;
    s.where = PositionOf(t->source());
    if (const toml::node* v = t->get("vsid")) {
      if (const auto vsid = Vsid(*v, key + ".vsid")) {
        s.vsid = *vsid;
        if (const auto it = subnet_of_vsid_.find(*vsid); it != subnet_of_vsid_.end()) {
          Report(*v, key + ".vsid",
                 "expected a VSID unique among the [[subnet]] tables, got " + std::to_string(*vsid) +
                     " again (" + it->second.first + ", line " + std::to_string(it->second.second.line) +
                     ")");
        } else {
          subnet_of_vsid_.emplace(*vsid, std::pair{key, s.where});  // its ports and lookups find it
        }
      }
    } else {
      Missing(*t, key, "vsid", kVsidExpectation);
    }

    std::optional<FloodMode> flood;
    const toml::node* flood_node = t->get("flood");
    if (flood_node != nullptr) {
      constexpr std::string_view kExpected = R"("unicast" or "multicast")";
      if (const auto f = String(*flood_node, key + ".flood", kExpected)) {
        if (*f == "unicast") {
          flood = FloodMode::kUnicast;
        } else if (*f == "multicast") {
          flood = FloodMode::kMulticast;
        } else {
          Report(*flood_node, key + ".flood", "expected " + std::string(kExpected) + ", " + Got(*flood_node));
        }
      }
    }
    const toml::node* group_node = t->get("multicast");
    if (group_node != nullptr) {
      // RFC 7637 §4.5: broadcast and multicast customer frames go to a provider multicast group.
      constexpr std::string_view kExpected = "an IPv4 or IPv6 multicast group such as \"239.1.1.1\"";
      if (const auto g = String(*group_node, key + ".multicast", kExpected)) {
        const auto a = g->find('\0') == std::string::npos ? virt::ParseIpAddress(*g) : std::nullopt;
        if (!a || !virt::IsMulticastIp(*a)) {
          Report(*group_node, key + ".multicast",
                 "expected " + std::string(kExpected) + ", " + Got(*group_node));
        } else {
          s.multicast_group = *a;
          CheckFamily(*group_node, key + ".multicast", *a, "multicast group");
        }
      }
    }
    // multicast = ... implies flood = "multicast"; flood = "multicast" needs a group.
    if (flood == FloodMode::kUnicast && group_node != nullptr) {
      Report(*flood_node, key + ".flood",
             "expected \"multicast\" or no flood key, since multicast = ... is set (line " +
                 std::to_string(group_node->source().begin.line) + "), got \"unicast\"");
    } else if (flood == FloodMode::kMulticast && group_node == nullptr) {
      Report(*flood_node, key + ".flood",
             "flood = \"multicast\" needs a group; expected multicast = an IPv4 or IPv6 multicast group "
             "(e.g. \"239.1.1.1\") in this [[subnet]], or flood = \"unicast\"");
    }
    s.flood = s.multicast_group ? FloodMode::kMulticast : FloodMode::kUnicast;
    config_.subnets.push_back(std::move(s));
  }
}

void Checker::SubnetExists(const toml::node& n, const std::string& key, std::uint32_t vsid) {
  if (subnet_of_vsid_.count(vsid) != 0) return;
  std::string defined;
  std::size_t shown = 0;
  for (const auto& entry : subnet_of_vsid_) {
    if (shown == 8) {
      defined += ", ...";
      break;
    }
    defined += (shown++ == 0 ? "" : ", ") + std::to_string(entry.first);
  }
  Report(n, key,
         "expected the vsid of a [[subnet]] (" +
             (defined.empty() ? std::string("none is defined") : "defined: " + defined) + "), got " +
             std::to_string(vsid) + ", which has no [[subnet]]");
}

void Checker::Ports(const toml::table& root) {
  std::map<std::string, std::pair<std::string, SourcePosition>> taps;  // name -> first port, where
  for (const auto& [t, key] : TablesOf(root, "port")) {
    CheckKeys(*t, key, "[[port]]", {"tap", "netns", "vsid", "mac", "ip", "mtu"});
    PortEntry p;
    p.where = PositionOf(t->source());
    std::optional<std::uint32_t> vsid;

    if (const toml::node* v = t->get("tap")) {
      constexpr std::string_view kExpected = "a TAP interface name: 1..15 bytes of [A-Za-z0-9_.-]";
      if (const auto s = String(*v, key + ".tap", kExpected)) {
        if (!IsTapName(*s)) {
          Report(*v, key + ".tap", "expected " + std::string(kExpected) + ", " + Got(*v));
        } else if (const auto it = taps.find(*s); it != taps.end()) {
          Report(*v, key + ".tap",
                 "expected a TAP name unique among the [[port]] tables, got " + Quote(*s) + " again (" +
                     it->second.first + ", line " + std::to_string(it->second.second.line) + ")");
        } else if (*s == config_.underlay.interface) {
          Report(*v, key + ".tap", "expected a TAP name other than the underlay interface, got " + Quote(*s));
        } else {
          taps.emplace(*s, std::pair{key, PositionOf(v->source())});
          p.tap = *s;
        }
      }
    } else {
      Missing(*t, key, "tap", "a TAP interface name (1..15 bytes of [A-Za-z0-9_.-])");
    }
    if (const toml::node* v = t->get("netns")) {
      constexpr std::string_view kExpected =
          "a network namespace name (1..255 bytes, no '/', not \".\" or \"..\")";
      if (const auto s = String(*v, key + ".netns", kExpected)) {
        if (IsNetnsName(*s)) {
          p.netns = *s;
        } else {
          Report(*v, key + ".netns", "expected " + std::string(kExpected) + ", " + Got(*v));
        }
      }
    }
    if (const toml::node* v = t->get("vsid")) {
      vsid = Vsid(*v, key + ".vsid");
      if (vsid) {
        p.vsid = *vsid;
        SubnetExists(*v, key + ".vsid", *vsid);
      }
    } else if (config_.policy.ovsdb.empty()) {
      Missing(*t, key, "vsid",
              "the vsid of a [[subnet]] (or [policy] ovsdb = ..., whose Physical_Port vlan_bindings then bind it)");
    }
    if (const toml::node* v = t->get("mac")) {
      if (const auto mac = Mac(*v, key + ".mac")) {
        p.mac = *mac;
        if (vsid) macs_.push_back({*vsid, *mac, PositionOf(v->source()), key + ".mac", key});
      }
    } else {
      Missing(*t, key, "mac", "the port's unicast MAC address");
    }
    if (const toml::node* v = t->get("ip")) {
      for (auto& a : Addresses(*v, key + ".ip", "a customer IP address")) {
        p.ips.push_back(a.value);
        if (vsid) ips_.push_back({*vsid, a.value, a.where, std::move(a.key), key});
      }
    }
    if (const toml::node* v = t->get("mtu")) {
      if (const auto mtu = Integer(*v, key + ".mtu", 68, 65535)) p.mtu = static_cast<std::uint32_t>(*mtu);
    }
    config_.ports.push_back(std::move(p));
  }
}

void Checker::Lookups(const toml::table& root) {
  for (const auto& [t, key] : TablesOf(root, "lookup")) {
    CheckKeys(*t, key, "[[lookup]]", {"vsid", "mac", "ip", "provider"});
    LookupEntry l;
    l.where = PositionOf(t->source());
    std::optional<std::uint32_t> vsid;
    if (const toml::node* v = t->get("vsid")) {
      vsid = Vsid(*v, key + ".vsid");
      if (vsid) {
        l.vsid = *vsid;
        SubnetExists(*v, key + ".vsid", *vsid);
      }
    } else {
      Missing(*t, key, "vsid", "the vsid of a [[subnet]]");
    }
    if (const toml::node* v = t->get("mac")) {
      if (const auto mac = Mac(*v, key + ".mac")) {
        l.mac = *mac;
        if (vsid) macs_.push_back({*vsid, *mac, PositionOf(v->source()), key + ".mac", key});
      }
    } else {
      Missing(*t, key, "mac", "the remote customer's unicast MAC address");
    }
    if (const toml::node* v = t->get("ip")) {
      for (auto& a : Addresses(*v, key + ".ip", "a customer IP address")) {
        l.ips.push_back(a.value);
        if (vsid) ips_.push_back({*vsid, a.value, a.where, std::move(a.key), key});
      }
    }
    if (const toml::node* v = t->get("provider")) {
      if (!v->is_string()) {
        Report(*v, key + ".provider", "expected one provider address (the remote host's), " + Got(*v));
      } else {
        const auto a = Addresses(*v, key + ".provider", "the remote host's provider address");
        if (!a.empty()) {
          l.provider = a.front().value;
          const std::size_t before = errors_.size();
          CheckFamily(*v, key + ".provider", l.provider, "provider address");
          const UnderlaySection& u = config_.underlay;
          const bool own = errors_.size() == before && ((u.ipv4 && l.provider == IpAddress{*u.ipv4}) ||
                                                        (u.ipv6 && l.provider == IpAddress{*u.ipv6}));
          if (own) {
            Report(*v, key + ".provider",
                   "expected another host's provider address, got this host's own underlay address " +
                       Quote(v->as_string()->get()));
          }
        }
      }
    } else {
      Missing(*t, key, "provider", "the remote host's provider address");
    }
    config_.lookups.push_back(std::move(l));
  }
}

// In one VSID, no MAC and no customer IP appears twice (ports and lookups together); reported at
// the later occurrence in the file.
void Checker::Uniqueness() {
  auto by_position = [](const auto& a, const auto& b) { return PositionLess(a.where, b.where); };
  std::stable_sort(macs_.begin(), macs_.end(), by_position);
  std::map<std::pair<std::uint32_t, wire::MacAddress>, std::size_t> seen_mac;
  for (std::size_t i = 0; i < macs_.size(); ++i) {
    const auto& m = macs_[i];
    const auto [it, fresh] = seen_mac.emplace(std::pair{m.vsid, m.value}, i);
    if (fresh) continue;
    const auto& first = macs_[it->second];
    Report(m.where, m.key,
           "expected a MAC address unique within VSID " + std::to_string(m.vsid) + ", got " +
               FormatMac(m.value) + " again (" + first.owner + ", line " + std::to_string(first.where.line) +
               ")");
  }
  std::stable_sort(ips_.begin(), ips_.end(), by_position);
  std::map<std::pair<std::uint32_t, IpAddress>, std::size_t> seen_ip;
  for (std::size_t i = 0; i < ips_.size(); ++i) {
    const auto& a = ips_[i];
    const auto [it, fresh] = seen_ip.emplace(std::pair{a.vsid, a.value}, i);
    if (fresh) continue;
    const auto& first = ips_[it->second];
    Report(a.where, a.key,
           "expected a customer IP address unique within VSID " + std::to_string(a.vsid) + ", got " +
               virt::FormatIpAddress(a.value) + " again (" + first.owner + ", line " +
               std::to_string(first.where.line) + ")");
  }
}

void Checker::Run(const toml::table& root) {
  for (auto&& [k, v] : root) {
    const std::string_view name = k.str();
    if (name == "daemon" || name == "underlay" || name == "control" || name == "metrics" || name == "policy" ||
        name == "subnet" || name == "port" || name == "lookup") {
      continue;
    }
    Report(
        PositionOf(k.source()), Join("", name),
        std::string(v.is_table() || v.is_array_of_tables() ? "unknown table" : "unknown key") +
            "; expected one of the top-level tables [daemon], [underlay], [control], [metrics], [policy], [[subnet]], "
            "[[port]], [[lookup]]");
  }
  Daemon(root);
  Underlay(root);
  Control(root);
  Metrics(root);
  Policy(root);
  Subnets(root);
  Ports(root);
  Lookups(root);
  Uniqueness();
}

ConfigResult Checker::Finish() {
  ConfigResult r;
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const ConfigError& a, const ConfigError& b) { return PositionLess(a.where, b.where); });
  r.errors = std::move(errors_);
  if (r.errors.empty()) r.config = std::move(config_);
  return r;
}

}  // namespace

std::uint32_t Config::DefaultPortMtu() const {
  const std::uint32_t overhead = underlay.ipv6 ? kEncapOverheadIpv6 : kEncapOverheadIpv4;
  return underlay.mtu > overhead ? underlay.mtu - overhead : 0;
}

std::string ConfigError::ToString() const {
  std::string out = file;
  if (where.line != 0) {
    out += ":" + std::to_string(where.line);
    if (where.column != 0) out += ":" + std::to_string(where.column);
  }
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

ConfigResult ParseConfig(std::string_view text, std::string_view file_name) {
  Checker checker(text, file_name);
  if (const auto bad = FindUnsafeNonAscii(text)) {
    checker.Report(bad->where, "", bad->message);
    return checker.Finish();
  }
  toml::parse_result parsed = toml::parse(text, file_name);
  if (!parsed) {
    // A syntax error: one error, toml++'s position and description.
    const toml::parse_error& e = parsed.error();
    checker.Report(PositionOf(e.source()), "", std::string(e.description()));
    return checker.Finish();
  }
  checker.Run(parsed.table());
  return checker.Finish();
}

ConfigResult LoadConfigFile(const std::string& path) {
  auto fail = [&](std::string message) {
    ConfigResult r;
    r.errors.push_back(ConfigError{path, {}, "", std::move(message)});
    return r;
  };
  auto errno_text = [](int e) { return std::error_code(e, std::generic_category()).message(); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return fail("cannot open: " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail("cannot read: is a directory");
  }
  std::string text;
  std::array<char, 65536> buf;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return fail("cannot read: " + errno_text(e));
    }
    if (n == 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigFileBytes) {
      ::close(fd);
      return fail("larger than 16 MiB; expected a configuration file");
    }
  }
  ::close(fd);
  return ParseConfig(text, path);
}

}  // namespace nvgre::daemon
