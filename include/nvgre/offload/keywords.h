// Standardized INF keywords of the emulated adapter (spec §12): what a miniport reads from the
// registry at initialization and what NDIS rewrites when OID_TCP_OFFLOAD_PARAMETERS changes the
// offload state, so that the OID-selected state persists across restarts.
//
// The keywords live in a text the caller supplies (the CLI reads and writes the file; this layer
// does no I/O): one `*Name=value` per line, names ASCII case-insensitive (registry value names
// are), values decimal integers.
//
//   std::vector<KeywordDiagnostic> diags;
//   Keywords kw = Keywords::Parse("*EncapsulatedPacketTaskOffload=1\n*RSS=7\n*Vendor=x\n", &diags);
//   kw.Get(Keyword::kEncapsulatedPacketTaskOffload);   // 1
//   kw.Get(Keyword::kRss);          // 1: the default, because 7 is invalid ...
//   diags[0];                       // ... {line 2, kInvalidValue, "*RSS", "7"}
//   (void)kw.Set(Keyword::kLsoV2Ipv4, 0);
//   kw.ToText();   // "*EncapsulatedPacketTaskOffload=1\n*RSS=7\n*Vendor=x\n*LsoV2IPv4=0\n"
//
// Write-back rules: every line is kept verbatim and in order (unknown keywords, comments starting
// with '#' or ';', blank lines, malformed lines, and known keywords whose value was invalid);
// a keyword changed with Set() is rewritten in place on its last line, or appended when the text
// did not have it. Only Set() changes a value, so Parse(x).ToText() == x for text that ends with
// a newline (a newline is added otherwise).
//
// "Enabled" (*EncapsulatedPacketTaskOffload=1, the default) means the protocol stack MAY turn
// the offload on; it is never active before an OID_TCP_OFFLOAD_PARAMETERS set (spec §8.1; see
// adapter.h).
//
// Control path only: Parse/ToText/Set allocate; nothing here is used per packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvgre::offload {

enum class Keyword : std::uint8_t {
  kEncapsulatedPacketTaskOffload,  // *EncapsulatedPacketTaskOffload 0/1, default 1 (§12)
  kIpChecksumOffloadIpv4,          // *IPChecksumOffloadIPv4  0 off, 1 Tx, 2 Rx, 3 Rx&Tx (default)
  kTcpChecksumOffloadIpv4,         // *TCPChecksumOffloadIPv4 (same enum)
  kTcpChecksumOffloadIpv6,         // *TCPChecksumOffloadIPv6
  kUdpChecksumOffloadIpv4,         // *UDPChecksumOffloadIPv4
  kUdpChecksumOffloadIpv6,         // *UDPChecksumOffloadIPv6
  kLsoV2Ipv4,                      // *LsoV2IPv4 0/1, default 1
  kLsoV2Ipv6,                      // *LsoV2IPv6 0/1, default 1
  kRss,                            // *RSS 0/1, default 1
  kVmq,                            // *VMQ 0/1, default 1 ("Standardized INF keywords for VMQ")
  kRscIpv4,                        // *RscIPv4 0/1, default 1 ("Standardized INF keywords for RSC")
  kRscIpv6,                        // *RscIPv6 0/1, default 1
  kUsoIpv4,                        // *UsoIPv4 0/1, default 1 [INFER: default not in the spec]
  kUsoIpv6,                        // *UsoIPv6 0/1, default 1 [INFER]
  kJumboPacket,                    // *JumboPacket integer, default 1514, min 1514 (§12)
  // §12, seen in real driver INFs and read by NDIS, no MS doc page (so defaults are [INFER]):
  kEncapsulatedPacketTaskOffloadNvgre,   // *EncapsulatedPacketTaskOffloadNvgre 0/1, default 1
  kEncapsulatedPacketTaskOffloadVxlan,   // *EncapsulatedPacketTaskOffloadVxlan 0/1, default 0:
                                         //   this adapter has no VXLAN offload (§7.3)
  kVxlanUdpPortNumber,                   // *VxlanUDPPortNumber integer 1..65535, default 4789
};
inline constexpr std::size_t kKeywordCount = 18;

// Values of the checksum enum keywords (§12).
inline constexpr std::int64_t kChecksumKeywordDisabled = 0;
inline constexpr std::int64_t kChecksumKeywordTx = 1;
inline constexpr std::int64_t kChecksumKeywordRx = 2;
inline constexpr std::int64_t kChecksumKeywordRxTx = 3;
constexpr bool ChecksumKeywordTx(std::int64_t v) { return v == 1 || v == 3; }
constexpr bool ChecksumKeywordRx(std::int64_t v) { return v == 2 || v == 3; }

struct KeywordSpec {
  std::string_view name;  // as the registry spells it, with the leading '*'
  std::int64_t min = 0;
  std::int64_t max = 1;
  std::int64_t default_value = 1;
  bool is_enum = true;    // enum (drop-down) or int (edit box)
};

inline constexpr std::array<KeywordSpec, kKeywordCount> kKeywordSpecs{{
    {"*EncapsulatedPacketTaskOffload", 0, 1, 1, true},
    {"*IPChecksumOffloadIPv4", 0, 3, 3, true},
    {"*TCPChecksumOffloadIPv4", 0, 3, 3, true},
    {"*TCPChecksumOffloadIPv6", 0, 3, 3, true},
    {"*UDPChecksumOffloadIPv4", 0, 3, 3, true},
    {"*UDPChecksumOffloadIPv6", 0, 3, 3, true},
    {"*LsoV2IPv4", 0, 1, 1, true},
    {"*LsoV2IPv6", 0, 1, 1, true},
    {"*RSS", 0, 1, 1, true},
    {"*VMQ", 0, 1, 1, true},
    {"*RscIPv4", 0, 1, 1, true},
    {"*RscIPv6", 0, 1, 1, true},
    {"*UsoIPv4", 0, 1, 1, true},
    {"*UsoIPv6", 0, 1, 1, true},
    {"*JumboPacket", 1514, 65535, 1514, false},
    {"*EncapsulatedPacketTaskOffloadNvgre", 0, 1, 1, true},
    {"*EncapsulatedPacketTaskOffloadVxlan", 0, 1, 0, true},
    {"*VxlanUDPPortNumber", 1, 65535, 4789, false},
}};

constexpr const KeywordSpec& SpecOf(Keyword k) { return kKeywordSpecs[static_cast<std::size_t>(k)]; }
// The keyword called `name` (ASCII case-insensitive, '*' required), if it is one of ours.
std::optional<Keyword> FindKeyword(std::string_view name);

struct KeywordDiagnostic {
  enum class Kind : std::uint8_t {
    kInvalidValue,   // a known keyword with a value that is not a number in [min, max]: default used
    kDuplicate,      // a known keyword given again: the later line wins
    kMalformedLine,  // not `Name=value` (and not a comment or blank): kept verbatim, ignored
  };
  std::size_t line = 0;     // 1-based
  Kind kind = Kind::kInvalidValue;
  std::string name;         // keyword name as written (empty for kMalformedLine)
  std::string value;        // value text as written (the whole line for kMalformedLine)
  std::string ToString() const;  // "line 2: *RSS=7: invalid value (0..1), default 1 used"
};

class Keywords {
 public:
  // Every keyword at its default, no text lines.
  Keywords() = default;

  // Never fails: problems are appended to `diagnostics` (when given) and the defaults used.
  static Keywords Parse(std::string_view text, std::vector<KeywordDiagnostic>* diagnostics = nullptr);

  // The effective value: the last valid line for it, the value given to Set(), or the default.
  std::int64_t Get(Keyword k) const { return values_[Index(k)]; }
  bool Enabled(Keyword k) const { return Get(k) != 0; }
  // True when the text had a valid line for `k` or Set() was called.
  bool Configured(Keyword k) const { return configured_[Index(k)]; }
  // False (and no change) when `value` is outside the keyword's range.
  [[nodiscard]] bool Set(Keyword k, std::int64_t value);

  // The text to persist (see the write-back rules above).
  std::string ToText() const;

  friend bool operator==(const Keywords&, const Keywords&) = default;

 private:
  static constexpr std::size_t Index(Keyword k) { return static_cast<std::size_t>(k); }
  static constexpr std::size_t kNoLine = static_cast<std::size_t>(-1);
  static std::array<std::int64_t, kKeywordCount> Defaults() {
    std::array<std::int64_t, kKeywordCount> v{};
    for (std::size_t i = 0; i < kKeywordCount; ++i) v[i] = kKeywordSpecs[i].default_value;
    return v;
  }

  std::vector<std::string> lines_;  // the text, one entry per line, without the newline
  std::array<std::int64_t, kKeywordCount> values_ = Defaults();
  std::array<bool, kKeywordCount> configured_{};
  std::array<bool, kKeywordCount> dirty_{};     // Set() since Parse
  std::array<std::size_t, kKeywordCount> line_of_ = [] {
    std::array<std::size_t, kKeywordCount> a{};
    a.fill(kNoLine);
    return a;
  }();                                          // index into lines_ of the last line naming it
};

}  // namespace nvgre::offload
