// Fuzz target: a request on nvgred's control socket (src/daemon/control.h) and the words of
// `offload set` (src/daemon/offload_control.h): what a client in the socket's group can send.
// NVGRE_FUZZ_LIBS: daemon virt offload wire io
//
// Input: the request's bytes, as ServeControlClient reads them (at most kMaxRequestBytes).
// Steps, as the daemon takes them: JSON parse without exceptions; ParseControlRequest; for
// "offload" with "set", ParseOffloadAssignments on the rest; and, as ctl would print a reply,
// FormatResultText(command, request["result"]) when there is one.
// Invariants:
//   - nothing crashes, nothing throws, no undefined behaviour: FormatResultText takes any JSON (a
//     reply from another nvgred version) without converting numbers (UBSan: a float beyond int
//     converted by nlohmann's value<int>() was this target's first finding);
//   - ParseControlRequest accepts exactly an object with a string "command" and, when present, an
//     "args" list of strings, and gives them back unchanged;
//   - ParseOffloadAssignments succeeds exactly when every word is KEY=VALUE with a known key given
//     once and a value of that key's kind (checked here against this file's own table); the
//     members of keys not given stay NO_CHANGE (0), except EncapsulationTypes = GRE_MAC (1)
//     with encap-offload=on; an error starts with "offload set: ".
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/control.h"
#include "daemon/offload_control.h"
#include "fuzz_util.h"

namespace {

enum class Kind { kOnOff, kNumber, kChecksum, kEnable };

bool Number(const std::string& v) {
  if (v.empty() || v.size() > 3) return false;
  unsigned n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n <= 255;
}

bool ValidValue(Kind k, const std::string& v) {
  if (Number(v) || v == "no-change") return true;
  switch (k) {
    case Kind::kOnOff:
    case Kind::kEnable: return v == "on" || v == "off";
    case Kind::kChecksum: return v == "off" || v == "tx" || v == "rx" || v == "rxtx" || v == "on";
    case Kind::kNumber: return false;
  }
  return false;
}

using P = nvgre::offload::OffloadParameters;
const std::map<std::string, std::pair<Kind, std::uint8_t P::*>>& Keys() {
  static const std::map<std::string, std::pair<Kind, std::uint8_t P::*>> keys{
      {"encap-offload", {Kind::kOnOff, &P::encapsulated_packet_task_offload}},
      {"encapsulation-types", {Kind::kNumber, &P::encapsulation_types}},
      {"ipv4-checksum", {Kind::kChecksum, &P::ipv4_checksum}},
      {"tcp-ipv4-checksum", {Kind::kChecksum, &P::tcp_ipv4_checksum}},
      {"udp-ipv4-checksum", {Kind::kChecksum, &P::udp_ipv4_checksum}},
      {"tcp-ipv6-checksum", {Kind::kChecksum, &P::tcp_ipv6_checksum}},
      {"udp-ipv6-checksum", {Kind::kChecksum, &P::udp_ipv6_checksum}},
      {"lso-v2-ipv4", {Kind::kEnable, &P::lso_v2_ipv4}},
      {"lso-v2-ipv6", {Kind::kEnable, &P::lso_v2_ipv6}},
      {"rsc-ipv4", {Kind::kEnable, &P::rsc_ipv4}},
      {"rsc-ipv6", {Kind::kEnable, &P::rsc_ipv6}},
      {"uso-ipv4", {Kind::kEnable, &P::uso_ipv4}},
      {"uso-ipv6", {Kind::kEnable, &P::uso_ipv6}},
  };
  return keys;
}

void CheckOffloadWords(const std::vector<std::string>& words) {
  const auto r = nvgre::daemon::ParseOffloadAssignments(words);
  bool valid = !words.empty();
  std::set<std::string> given;
  std::string encap;
  for (const std::string& w : words) {
    const std::size_t eq = w.find('=');
    const std::string key = w.substr(0, eq);
    const auto it = Keys().find(key);
    if (eq == std::string::npos || it == Keys().end() || !given.insert(key).second ||
        !ValidValue(it->second.first, w.substr(eq + 1))) {
      valid = false;
      break;
    }
    if (key == "encap-offload") encap = w.substr(eq + 1);
  }
  FUZZ_CHECK(r.has_value() == valid);
  if (!r) {
    FUZZ_CHECK(r.error().rfind("offload set: ", 0) == 0);
    return;
  }
  for (const auto& [key, entry] : Keys()) {
    if (given.count(key) != 0) continue;
    const std::uint8_t v = (*r).*(entry.second);
    if (key == "encapsulation-types" && encap == "on") {
      FUZZ_CHECK(v == nvgre::offload::kNdisEncapsulationTypeGreMac);
    } else {
      FUZZ_CHECK(v == 0);
    }
  }
  FUZZ_CHECK(r->revision == nvgre::offload::kOffloadParametersMaxRevision);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > nvgre::daemon::kMaxRequestBytes) size = nvgre::daemon::kMaxRequestBytes;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  const auto parsed = nvgre::daemon::ParseControlRequest(j);
  const bool shape = j.is_object() && j.contains("command") && j["command"].is_string() &&
                     (!j.contains("args") ||
                      (j["args"].is_array() &&
                       std::all_of(j["args"].begin(), j["args"].end(), [](const auto& a) { return a.is_string(); })));
  FUZZ_CHECK(std::holds_alternative<nvgre::daemon::ControlRequest>(parsed) == shape);
  if (!shape) return 0;
  const auto& request = std::get<nvgre::daemon::ControlRequest>(parsed);
  FUZZ_CHECK(request.command == j["command"].get<std::string>());
  FUZZ_CHECK(request.args.size() == (j.contains("args") ? j["args"].size() : 0));
  if (request.command == "offload" && !request.args.empty() && request.args[0] == "set") {
    CheckOffloadWords(std::vector<std::string>(request.args.begin() + 1, request.args.end()));
  }
  if (j.contains("result")) (void)nvgre::daemon::FormatResultText(request.command, j["result"]);
  return 0;
}
