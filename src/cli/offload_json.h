// The emulated adapter's state as JSON, and the NDIS_OFFLOAD_PARAMETERS value words, shared by
// `nvgre adapter` / `nvgre rx` and nvgred's `ctl offload` (header-only: nvgred's library does
// not link the command objects).
//
//   json j = NdisOffloadJson(adapter.CurrentConfig());   // {"Checksum": {"IPv4Transmit": ...}}
//   json k = KeywordsJson(adapter.keywords());           // {"*RSS": 1, ...}
//   std::optional<std::uint8_t> v = ParseChecksumSetting("rx");  // 3 = RX_ENABLED_TX_DISABLED
//
// Member names are NDIS's (ntddndis.h); values as NDIS_OFFLOAD holds them (spec §7.3).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "nvgre/offload/adapter.h"
#include "nvgre/offload/keywords.h"

namespace nvgre::cli {

namespace detail {
using nlohmann::json;

inline std::string Hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

inline json V4Json(const offload::ChecksumOffloadIpv4& c) {
  return {{"Encapsulation", c.encapsulation}, {"IpOptionsSupported", c.ip_options_supported ? 1 : 0},
          {"TcpOptionsSupported", c.tcp_options_supported ? 1 : 0}, {"TcpChecksum", c.tcp_checksum ? 1 : 0},
          {"UdpChecksum", c.udp_checksum ? 1 : 0}, {"IpChecksum", c.ip_checksum ? 1 : 0}};
}
inline json V6Json(const offload::ChecksumOffloadIpv6& c) {
  return {{"Encapsulation", c.encapsulation},
          {"IpExtensionHeadersSupported", c.ip_extension_headers_supported ? 1 : 0},
          {"TcpOptionsSupported", c.tcp_options_supported ? 1 : 0}, {"TcpChecksum", c.tcp_checksum ? 1 : 0},
          {"UdpChecksum", c.udp_checksum ? 1 : 0}};
}
inline json LsoJson(const offload::LsoV2Offload& l, bool ipv6) {
  json j{{"Encapsulation", l.encapsulation}, {"MaxOffLoadSize", l.max_offload_size},
         {"MinSegmentCount", l.min_segment_count}};
  if (ipv6) {
    j["IpExtensionHeadersSupported"] = l.ip_extension_headers_supported ? 1 : 0;
    j["TcpOptionsSupported"] = l.tcp_options_supported ? 1 : 0;
  }
  return j;
}
inline json UsoJson(const offload::UsoOffload& u, bool ipv6) {
  json j{{"Encapsulation", u.encapsulation}, {"MaxOffLoadSize", u.max_offload_size},
         {"MinSegmentCount", u.min_segment_count},
         {"SubMssFinalSegmentSupported", u.sub_mss_final_segment_supported ? 1 : 0}};
  if (ipv6) j["IpExtensionHeadersSupported"] = u.ip_extension_headers_supported ? 1 : 0;
  return j;
}
}  // namespace detail

// A raw member value: a decimal number 0..255 (at most three digits).
inline std::optional<std::uint8_t> ParseOffloadByte(const std::string& text) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 255) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

// NDIS_OFFLOAD with NDIS member names as keys.
inline nlohmann::json NdisOffloadJson(const offload::NdisOffload& o) {
  nlohmann::json j;
  j["Checksum"] = {{"IPv4Transmit", detail::V4Json(o.ipv4_transmit)},
                   {"IPv4Receive", detail::V4Json(o.ipv4_receive)},
                   {"IPv6Transmit", detail::V6Json(o.ipv6_transmit)},
                   {"IPv6Receive", detail::V6Json(o.ipv6_receive)}};
  j["LsoV1"] = {{"IPv4",
                 {{"Encapsulation", o.lso_v1.encapsulation}, {"MaxOffLoadSize", o.lso_v1.max_offload_size},
                  {"MinSegmentCount", o.lso_v1.min_segment_count}, {"TcpOptions", o.lso_v1.tcp_options ? 1 : 0},
                  {"IpOptions", o.lso_v1.ip_options ? 1 : 0}}}};
  j["LsoV2"] = {{"IPv4", detail::LsoJson(o.lso_v2_ipv4, false)},
                {"IPv6", detail::LsoJson(o.lso_v2_ipv6, true)}};
  j["Flags"] = o.flags;
  j["Rsc"] = {{"IPv4", {{"Enabled", o.rsc_ipv4}}}, {"IPv6", {{"Enabled", o.rsc_ipv6}}}};
  const auto& g = o.encapsulated_packet_task_offload_gre;
  j["EncapsulatedPacketTaskOffloadGre"] = {
      {"raw", detail::Hex32(g.raw())},
      {"TransmitChecksumOffloadSupported", offload::EncapMaskToString(g.transmit_checksum_offload_supported())},
      {"ReceiveChecksumOffloadSupported", offload::EncapMaskToString(g.receive_checksum_offload_supported())},
      {"LsoV2Supported", offload::EncapMaskToString(g.lso_v2_supported())},
      {"RssSupported", offload::EncapMaskToString(g.rss_supported())},
      {"VmqSupported", offload::EncapMaskToString(g.vmq_supported())},
      {"UsoSupported", offload::EncapMaskToString(g.uso_supported())},
      {"MaxHeaderSizeSupported", g.max_header_size_supported()}};
  j["EncapsulationTypes"] = o.encapsulation_types;
  j["UdpSegmentation"] = {{"IPv4", detail::UsoJson(o.uso_ipv4, false)},
                          {"IPv6", detail::UsoJson(o.uso_ipv6, true)}};
  return j;
}

// {"*RSS": 1, ...}: every keyword with its effective value.
inline nlohmann::json KeywordsJson(const offload::Keywords& kw) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < offload::kKeywordCount; ++i) {
    const auto k = static_cast<offload::Keyword>(i);
    j[std::string(offload::SpecOf(k).name)] = kw.Get(k);
  }
  return j;
}

// Option values:
//   "on" -> NDIS_OFFLOAD_SET_ON, "off" -> _OFF, "no-change" -> 0, or a number 0..255 as given.
//   Checksum members: "off" 1, "tx" 2, "rx" 3, "rxtx"/"on" 4, "no-change" 0, or a number.
//   LSO/RSC/USO members: "off" 1 (DISABLED), "on" 2 (ENABLED), "no-change" 0, or a number.
inline std::optional<std::uint8_t> ParseSetOnOff(const std::string& text) {
  if (text == "on") return offload::kNdisOffloadSetOn;
  if (text == "off") return offload::kNdisOffloadSetOff;
  if (text == "no-change") return offload::kNdisOffloadSetNoChange;
  return ParseOffloadByte(text);
}

inline std::optional<std::uint8_t> ParseChecksumSetting(const std::string& text) {
  if (text == "off") return offload::kOffloadParametersTxRxDisabled;
  if (text == "tx") return offload::kOffloadParametersTxEnabledRxDisabled;
  if (text == "rx") return offload::kOffloadParametersRxEnabledTxDisabled;
  if (text == "rxtx" || text == "on") return offload::kOffloadParametersTxRxEnabled;
  if (text == "no-change") return offload::kOffloadParametersNoChange;
  return ParseOffloadByte(text);
}

inline std::optional<std::uint8_t> ParseEnableSetting(const std::string& text) {
  if (text == "off") return offload::kOffloadParametersDisabled;
  if (text == "on") return offload::kOffloadParametersEnabled;
  if (text == "no-change") return offload::kOffloadParametersNoChange;
  return ParseOffloadByte(text);
}

}  // namespace nvgre::cli
