#include "nvgre/virt/address.h"

#include <arpa/inet.h>

#include <array>

namespace nvgre::virt {

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  // inet_pton wants a NUL-terminated string; the longest IPv6 text form is 45 characters.
  std::array<char, 64> buf{};
  // inet_pton stops at a NUL: "192.0.2.1\0x" would pass for 192.0.2.1.
  if (text.empty() || text.size() >= buf.size() || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  text.copy(buf.data(), text.size());
  if (text.find(':') == std::string_view::npos) {
    wire::Ipv4Address a{};
    if (::inet_pton(AF_INET, buf.data(), a.data()) == 1) return a;
    return std::nullopt;
  }
  wire::Ipv6Address a{};
  if (::inet_pton(AF_INET6, buf.data(), a.data()) == 1) return a;
  return std::nullopt;
}

std::string FormatIpAddress(const IpAddress& address) {
  std::array<char, INET6_ADDRSTRLEN> buf{};
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&address)) {
    ::inet_ntop(AF_INET, v4->data(), buf.data(), buf.size());
  } else {
    ::inet_ntop(AF_INET6, std::get<wire::Ipv6Address>(address).data(), buf.data(), buf.size());
  }
  return buf.data();
}

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<wire::MacAddress> ParseMacAddress(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  const char separator = text[2];
  if (separator != ':' && separator != '-') return std::nullopt;
  wire::MacAddress mac{};
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t at = i * 3;
    if (i != 0 && text[at - 1] != separator) return std::nullopt;
    const int hi = HexDigit(text[at]);
    const int lo = HexDigit(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    mac[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return mac;
}

}  // namespace nvgre::virt
