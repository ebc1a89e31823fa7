// `offload set` words and the VM side's offloads (offload_control.h; spec §7.3, §8.3).
#include "daemon/offload_control.h"

#include <array>
#include <cstdint>
#include <optional>

#include "cli/offload_json.h"
#include "nvgre/io/tap.h"

namespace nvgre::daemon {
namespace {

enum class Kind : std::uint8_t { kOnOff, kNumber, kChecksum, kEnable };

struct Member {
  std::string_view key;
  Kind kind;
  std::uint8_t offload::OffloadParameters::*field;
};

// NDIS_OFFLOAD_PARAMETERS members as `nvgre adapter set` names them.
constexpr std::array<Member, 13> kMembers{{
    {"encap-offload", Kind::kOnOff, &offload::OffloadParameters::encapsulated_packet_task_offload},
    {"encapsulation-types", Kind::kNumber, &offload::OffloadParameters::encapsulation_types},
    {"ipv4-checksum", Kind::kChecksum, &offload::OffloadParameters::ipv4_checksum},
    {"tcp-ipv4-checksum", Kind::kChecksum, &offload::OffloadParameters::tcp_ipv4_checksum},
    {"udp-ipv4-checksum", Kind::kChecksum, &offload::OffloadParameters::udp_ipv4_checksum},
    {"tcp-ipv6-checksum", Kind::kChecksum, &offload::OffloadParameters::tcp_ipv6_checksum},
    {"udp-ipv6-checksum", Kind::kChecksum, &offload::OffloadParameters::udp_ipv6_checksum},
    {"lso-v2-ipv4", Kind::kEnable, &offload::OffloadParameters::lso_v2_ipv4},
    {"lso-v2-ipv6", Kind::kEnable, &offload::OffloadParameters::lso_v2_ipv6},
    {"rsc-ipv4", Kind::kEnable, &offload::OffloadParameters::rsc_ipv4},
    {"rsc-ipv6", Kind::kEnable, &offload::OffloadParameters::rsc_ipv6},
    {"uso-ipv4", Kind::kEnable, &offload::OffloadParameters::uso_ipv4},
    {"uso-ipv6", Kind::kEnable, &offload::OffloadParameters::uso_ipv6},
}};

std::string_view Expectation(Kind k) {
  switch (k) {
    case Kind::kOnOff: return "on, off, no-change or a number 0..255";
    case Kind::kNumber: return "a number 0..255 (1 = GRE_MAC)";
    case Kind::kChecksum: return "off, tx, rx, rxtx (or on), no-change or a number 0..255";
    case Kind::kEnable: return "on, off, no-change or a number 0..255";
  }
  return "";
}

std::string AllKeys() {
  std::string all;
  for (const Member& m : kMembers) {
    if (!all.empty()) all += ", ";
    all += std::string(m.key);
  }
  return all;
}

std::optional<std::uint8_t> ParseValue(Kind k, const std::string& v) {
  switch (k) {
    case Kind::kOnOff: return cli::ParseSetOnOff(v);
    case Kind::kNumber: return cli::ParseOffloadByte(v);
    case Kind::kChecksum: return cli::ParseChecksumSetting(v);
    case Kind::kEnable: return cli::ParseEnableSetting(v);
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string_view> OffloadSetKeys() {
  std::vector<std::string_view> keys;
  for (const Member& m : kMembers) keys.push_back(m.key);
  return keys;
}

virt::Expected<offload::OffloadParameters, std::string> ParseOffloadAssignments(
    const std::vector<std::string>& words) {
  using Error = virt::Unexpected<std::string>;
  offload::OffloadParameters p;  // every member NO_CHANGE, revision 5
  if (words.empty()) return Error{"offload set: expected KEY=VALUE... (keys: " + AllKeys() + ")"};
  std::array<bool, kMembers.size()> seen{};
  bool types_given = false;
  for (const std::string& w : words) {
    const std::size_t eq = w.find('=');
    const std::string key = w.substr(0, eq);
    std::size_t i = 0;
    while (i < kMembers.size() && kMembers[i].key != key) ++i;
    if (eq == std::string::npos || i == kMembers.size()) {
      return Error{"offload set: '" + w.substr(0, 64) + "': expected KEY=VALUE with KEY one of " + AllKeys()};
    }
    if (seen[i]) return Error{"offload set: " + key + " given twice"};
    seen[i] = true;
    const std::string value = w.substr(eq + 1);
    const auto v = ParseValue(kMembers[i].kind, value);
    if (!v) {
      return Error{"offload set: " + key + ": expected " + std::string(Expectation(kMembers[i].kind)) +
                   ", got '" + value.substr(0, 64) + "'"};
    }
    p.*kMembers[i].field = *v;
    types_given |= kMembers[i].field == &offload::OffloadParameters::encapsulation_types;
  }
  if (!types_given && p.encapsulated_packet_task_offload == offload::kNdisOffloadSetOn) {
    p.encapsulation_types = offload::kNdisEncapsulationTypeGreMac;
  }
  return p;
}

unsigned TapOffloadsFor(const offload::AdapterConfig& config) {
  const offload::TxOffloadConfig t = config.TxConfig();
  const bool csum = t.encapsulated_offload_active && t.checksum_ipv4.tcp_checksum &&
                    t.checksum_ipv4.udp_checksum && t.checksum_ipv6.tcp_checksum &&
                    t.checksum_ipv6.udp_checksum;
  if (!csum) return 0;
  unsigned bits = io::kTunFCsum;
  if (t.lso_v2_ipv4.enabled) bits |= io::kTunFTso4;
  if (t.lso_v2_ipv6.enabled) bits |= io::kTunFTso6;
  if (t.uso_ipv4.enabled && t.uso_ipv6.enabled) bits |= io::kTunFUso4 | io::kTunFUso6;
  return bits;
}

std::string TapOffloadNames(unsigned offloads) {
  static constexpr std::array<std::pair<unsigned, std::string_view>, 5> kNames{{
      {io::kTunFCsum, "csum"},
      {io::kTunFTso4, "tso4"},
      {io::kTunFTso6, "tso6"},
      {io::kTunFUso4, "uso4"},
      {io::kTunFUso6, "uso6"},
  }};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((offloads & bit) != 0) {
      if (!out.empty()) out += ",";
      out += std::string(name);
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace nvgre::daemon
