// Customer and provider addresses (RFC 7637 §3: CA and PA) as plain values, with the text forms
// a configuration or a database uses.
//
//   std::optional<IpAddress> pa = ParseIpAddress("192.0.2.1");     // or "2001:db8::1"
//   if (pa && IsIpv6(*pa)) ...;
//   std::string s = FormatIpAddress(*pa);                          // "192.0.2.1"
//   std::optional<wire::MacAddress> mac = ParseMacAddress("02:00:00:00:50:01");
//
// Parsing and formatting allocate (strings): control-plane use only.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::virt {

// An IPv4 or an IPv6 address, network byte order.
using IpAddress = std::variant<wire::Ipv4Address, wire::Ipv6Address>;

constexpr bool IsIpv6(const IpAddress& a) { return std::holds_alternative<wire::Ipv6Address>(a); }

// Dotted quad ("192.0.2.1") or any RFC 4291 §2.2 text form ("2001:db8::1", "::ffff:1.2.3.4").
// No prefix length, no zone index, no surrounding spaces: nullopt.
std::optional<IpAddress> ParseIpAddress(std::string_view text);
// RFC 5952 canonical text for IPv6, dotted quad for IPv4.
std::string FormatIpAddress(const IpAddress& address);

// Six bytes as two hex digits each, separated by ':' or '-' (either case): nullopt otherwise.
std::optional<wire::MacAddress> ParseMacAddress(std::string_view text);

constexpr bool IsMulticastMac(const wire::MacAddress& m) { return (m[0] & 0x01) != 0; }  // incl. broadcast
constexpr bool IsBroadcastMac(const wire::MacAddress& m) {
  return m == wire::MacAddress{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
}
constexpr bool IsZeroMac(const wire::MacAddress& m) { return m == wire::MacAddress{}; }

// RFC 1112 §4 (224.0.0.0/4) and RFC 4291 §2.7 (ff00::/8).
constexpr bool IsMulticastIp(const IpAddress& a) {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a)) return ((*v4)[0] & 0xF0) == 0xE0;
  return std::get<wire::Ipv6Address>(a)[0] == 0xFF;
}

}  // namespace nvgre::virt
