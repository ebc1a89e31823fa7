// NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD serialisation and names (see ndis_capabilities.h).
#include "nvgre/offload/ndis_capabilities.h"

#include <ostream>

#include "nvgre/wire/bytes.h"

namespace nvgre::offload {
namespace {

// ULONGs in the structure are little-endian (x86, x64 and ARM64 Windows), built from the
// bytes.h 16-bit helpers so that no byte is ever reinterpreted.
std::uint32_t LoadLe32(std::span<const std::uint8_t, 4> b) {
  return std::uint32_t{wire::LoadLe16(b.subspan<0, 2>())} |
         (std::uint32_t{wire::LoadLe16(b.subspan<2, 2>())} << 16);
}
void StoreLe32(std::span<std::uint8_t, 4> b, std::uint32_t v) {
  wire::StoreLe16(b.subspan<0, 2>(), static_cast<std::uint16_t>(v));
  wire::StoreLe16(b.subspan<2, 2>(), static_cast<std::uint16_t>(v >> 16));
}

constexpr std::string_view kLongPrefix = "NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_";

constexpr char AsciiUpper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiUpper(c);
  return out;
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

}  // namespace

std::string EncapMaskToString(std::uint32_t mask) {
  if (mask == kEncapNotSupported) return "NOT_SUPPORTED";
  std::string out;
  for (const NamedValue& n : kEncapMaskNames) {
    if ((mask & n.value) == 0) continue;
    if (!out.empty()) out += '|';
    out += n.name.substr(kLongPrefix.size());
  }
  if (const std::uint32_t unknown = mask & ~std::uint32_t{0xF}; unknown != 0) {
    if (!out.empty()) out += '|';
    out += Hex(unknown);
  }
  return out;
}

std::optional<std::uint32_t> ParseEncapMask(std::string_view text) {
  const std::string upper = Upper(Trim(text));
  std::string_view rest = upper;
  if (rest == "0" || rest == "NOT_SUPPORTED" || rest == std::string(kLongPrefix) + "NOT_SUPPORTED") {
    return kEncapNotSupported;
  }
  std::uint32_t mask = 0;
  while (true) {
    const std::size_t end = rest.find_first_of(",|");
    std::string_view token = Trim(rest.substr(0, end));
    if (token.starts_with(kLongPrefix)) token.remove_prefix(kLongPrefix.size());
    bool found = false;
    for (const NamedValue& n : kEncapMaskNames) {
      if (n.name.substr(kLongPrefix.size()) == token) {
        mask |= n.value;
        found = true;
      }
    }
    if (!found) return std::nullopt;
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return mask;
}

std::array<std::uint8_t, EncapsulatedPacketTaskOffload::kSize>
EncapsulatedPacketTaskOffload::ToBytes() const {
  std::array<std::uint8_t, kSize> out{};
  std::span<std::uint8_t, kSize> s(out);
  StoreLe32(s.subspan<0, 4>(), raw_);
  StoreLe32(s.subspan<4, 4>(), max_header_size_supported_);
  return out;
}

EncapsulatedPacketTaskOffload EncapsulatedPacketTaskOffload::FromBytes(
    std::span<const std::uint8_t, kSize> bytes) {
  return FromRaw(LoadLe32(bytes.subspan<0, 4>()), LoadLe32(bytes.subspan<4, 4>()));
}

std::string EncapsulatedPacketTaskOffload::ToString() const {
  std::string out;
  for (std::size_t i = 0; i < kEncapOffloadCount; ++i) {
    const FieldSpec& f = kLayout[i];
    if (!out.empty()) out += ' ';
    out += std::string(f.name) + "=" + EncapMaskToString(f.bits.Get(raw_));
  }
  if (reserved() != 0) out += " Reserved=" + Hex(reserved());
  out += " MaxHeaderSizeSupported=" + std::to_string(max_header_size_supported_);
  return out;
}

std::ostream& operator<<(std::ostream& os, const EncapsulatedPacketTaskOffload& c) {
  return os << c.ToString();
}

}  // namespace nvgre::offload
