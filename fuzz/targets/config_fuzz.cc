// Fuzz target: nvgred's configuration file (src/daemon/config.h): ParseConfig on arbitrary text.
// NVGRE_FUZZ_LIBS: daemon virt offload wire io
//
// Input: the whole input is the file's text (the seeds in fuzz/corpus/config/ are TOML files;
// fuzz/dict/config.dict holds the keys and values).
// Invariants:
//   - ParseConfig never crashes, and gives a Config exactly when it gives no error;
//   - every error names the file, and a line within the text's line count (line 0, with column 0,
//     only for the one error without a place: the missing [underlay] table); errors come out in
//     file order; a TOML syntax error (empty key) is the only error; every message is non-empty;
//   - parsing the same text again gives the same errors;
//   - an accepted Config obeys every rule of config.h, checked again here independently: VSIDs in
//     4096..16777214 (RFC 7637 §3.2) with a [[subnet]] each and unique subnets; unicast, non-zero
//     MACs and unique (VSID, MAC) and (VSID, customer IP) pairs over ports and lookups; TAP names
//     1..15 bytes of [A-Za-z0-9_.-] and unique; providers of an underlay family, unicast and not
//     ours; flood and multicast group consistent; every number in its range.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "daemon/config.h"
#include "fuzz_util.h"

namespace {

using nvgre::daemon::Config;
using nvgre::daemon::ConfigResult;
using nvgre::daemon::FloodMode;
using nvgre::virt::IpAddress;

bool Unicast(const IpAddress& a) {
  if (nvgre::virt::IsMulticastIp(a)) return false;
  if (const auto* v4 = std::get_if<nvgre::wire::Ipv4Address>(&a)) {
    return *v4 != nvgre::wire::Ipv4Address{} && *v4 != nvgre::wire::Ipv4Address{255, 255, 255, 255};
  }
  return std::get<nvgre::wire::Ipv6Address>(a) != nvgre::wire::Ipv6Address{};
}

bool GoodMac(const nvgre::wire::MacAddress& m) { return (m[0] & 1) == 0 && m != nvgre::wire::MacAddress{}; }

bool OfUnderlayFamily(const Config& c, const IpAddress& a) {
  return nvgre::virt::IsIpv6(a) ? c.underlay.ipv6.has_value() : c.underlay.ipv4.has_value();
}

void CheckAccepted(const Config& c) {
  FUZZ_CHECK(c.underlay.ipv4 || c.underlay.ipv6);
  FUZZ_CHECK(c.underlay.mtu >= (c.underlay.ipv6 ? 1280u : 576u) && c.underlay.mtu <= 65535);
  FUZZ_CHECK(c.underlay.ttl >= 1);
  FUZZ_CHECK(c.underlay.interface.size() <= 15);
  FUZZ_CHECK(c.daemon.workers <= 256);
  FUZZ_CHECK(!c.control.socket.empty() && c.control.socket[0] == '/' && c.control.socket.size() <= 107);
  FUZZ_CHECK(c.DefaultPortMtu() >= 576 - 62);
  if (c.underlay.ipv4) FUZZ_CHECK(Unicast(*c.underlay.ipv4));
  if (c.underlay.ipv6) FUZZ_CHECK(Unicast(*c.underlay.ipv6));

  std::set<std::uint32_t> vsids;
  for (const auto& s : c.subnets) {
    FUZZ_CHECK(s.vsid >= 0x1000 && s.vsid <= 0xFFFFFE);
    FUZZ_CHECK(vsids.insert(s.vsid).second);
    FUZZ_CHECK(s.multicast_group.has_value() == (s.flood == FloodMode::kMulticast));
    if (s.multicast_group) {
      FUZZ_CHECK(nvgre::virt::IsMulticastIp(*s.multicast_group));
      FUZZ_CHECK(OfUnderlayFamily(c, *s.multicast_group));
    }
  }
  std::set<std::pair<std::uint32_t, nvgre::wire::MacAddress>> macs;
  std::set<std::pair<std::uint32_t, IpAddress>> ips;
  std::set<std::string> taps;
  for (const auto& p : c.ports) {
    FUZZ_CHECK(vsids.count(p.vsid) == 1);
    FUZZ_CHECK(!p.tap.empty() && p.tap.size() <= 15 && p.tap != "." && p.tap != "..");
    FUZZ_CHECK(std::all_of(p.tap.begin(), p.tap.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
             ch == '.' || ch == '-';
    }));
    FUZZ_CHECK(taps.insert(p.tap).second);
    FUZZ_CHECK(p.tap != c.underlay.interface);
    FUZZ_CHECK(p.netns.find('/') == std::string::npos);
    FUZZ_CHECK(GoodMac(p.mac));
    FUZZ_CHECK(macs.insert({p.vsid, p.mac}).second);
    for (const auto& a : p.ips) {
      FUZZ_CHECK(Unicast(a));
      FUZZ_CHECK(ips.insert({p.vsid, a}).second);
    }
    FUZZ_CHECK(p.mtu == 0 || (p.mtu >= 68 && p.mtu <= 65535));
    FUZZ_CHECK(c.PortMtu(p) >= 68);
  }
  for (const auto& l : c.lookups) {
    FUZZ_CHECK(vsids.count(l.vsid) == 1);
    FUZZ_CHECK(GoodMac(l.mac));
    FUZZ_CHECK(macs.insert({l.vsid, l.mac}).second);
    for (const auto& a : l.ips) {
      FUZZ_CHECK(Unicast(a));
      FUZZ_CHECK(ips.insert({l.vsid, a}).second);
    }
    FUZZ_CHECK(Unicast(l.provider));
    FUZZ_CHECK(OfUnderlayFamily(c, l.provider));
    FUZZ_CHECK(!(c.underlay.ipv4 && l.provider == IpAddress(*c.underlay.ipv4)));
    FUZZ_CHECK(!(c.underlay.ipv6 && l.provider == IpAddress(*c.underlay.ipv6)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nvgre::fuzz::FuzzInput in(data, size);
  const auto bytes = in.Rest();
  const std::string text(bytes.begin(), bytes.end());
  const ConfigResult r = nvgre::daemon::ParseConfig(text, "fuzz.toml");

  // Lines as an editor counts them.
  const auto newlines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
  const std::uint64_t lines = newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);

  FUZZ_CHECK(r.config.has_value() == r.errors.empty());
  std::uint64_t previous = 0;  // (line << 32 | column); line 0 sorts last
  for (const auto& e : r.errors) {
    FUZZ_CHECK(e.file == "fuzz.toml");
    FUZZ_CHECK(e.where.line <= lines);
    FUZZ_CHECK((e.where.line == 0) == (e.where.column == 0));
    if (e.where.line == 0) FUZZ_CHECK(e.key == "underlay");
    if (e.key.empty()) FUZZ_CHECK(r.errors.size() == 1);
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.ToString().rfind("fuzz.toml", 0) == 0);
    const std::uint64_t line = e.where.line == 0 ? 0xFFFFFFFFu : e.where.line;
    const std::uint64_t at = line << 32 | e.where.column;
    FUZZ_CHECK(at >= previous);
    previous = at;
  }
  const ConfigResult again = nvgre::daemon::ParseConfig(text, "fuzz.toml");
  FUZZ_CHECK(again.errors.size() == r.errors.size());
  for (std::size_t i = 0; i < r.errors.size() && i < again.errors.size(); ++i) {
    FUZZ_CHECK(again.errors[i].ToString() == r.errors[i].ToString());
  }
  if (r.config) CheckAccepted(*r.config);
  return 0;
}
