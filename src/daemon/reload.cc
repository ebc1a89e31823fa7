// The difference between two configurations (reload.h).
#include "daemon/reload.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace nvgre::daemon {
namespace {

std::string Address(const std::optional<wire::Ipv4Address>& v4, const std::optional<wire::Ipv6Address>& v6) {
  std::string out;
  if (v4) out += virt::FormatIpAddress(*v4);
  if (v6) {
    if (!out.empty()) out += ", ";
    out += virt::FormatIpAddress(*v6);
  }
  return out.empty() ? "none" : out;
}

std::string Listen(const std::optional<MetricsSection::Listen>& l) {
  if (!l) return "off";
  const std::string a = virt::FormatIpAddress(l->address);
  return (virt::IsIpv6(l->address) ? "[" + a + "]" : a) + ":" + std::to_string(l->port);
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// A lookup record without its position in the file.
using RecordKey = std::tuple<std::uint32_t, wire::MacAddress, std::vector<virt::IpAddress>, virt::IpAddress>;
RecordKey KeyOf(const LookupEntry& l) { return {l.vsid, l.mac, l.ips, l.provider}; }

std::set<virt::IpAddress> Groups(const Config& c) {
  std::set<virt::IpAddress> g;
  for (const SubnetEntry& s : c.subnets) {
    if (s.multicast_group) g.insert(*s.multicast_group);
  }
  return g;
}

std::string GroupList(const std::set<virt::IpAddress>& g) {
  std::string out;
  for (const auto& a : g) {
    if (!out.empty()) out += ", ";
    out += virt::FormatIpAddress(a);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string ConfigDiff::Summary() const {
  std::string s = "ports +" + std::to_string(added.size()) + " -" + std::to_string(removed.size()) + " ~" +
                  std::to_string(updated.size()) + ", lookup records +" + std::to_string(lookups_added) +
                  " -" + std::to_string(lookups_removed) + ", subnets +" + std::to_string(subnets_added) +
                  " -" + std::to_string(subnets_removed) + " ~" + std::to_string(subnets_changed);
  if (!settings_changed.empty()) {
    s += ", settings:";
    for (const std::string& k : settings_changed) s += " " + k;
  }
  return s;
}

ConfigDiff DiffConfigs(const Config& running, const Config& next) {
  ConfigDiff d;
  auto restart = [&](const std::string& key, const std::string& from, const std::string& to) {
    if (from != to) d.restart_required.push_back(key + ": " + from + " -> " + to);
  };
  restart("daemon.workers", running.daemon.workers == 0 ? "auto" : std::to_string(running.daemon.workers),
          next.daemon.workers == 0 ? "auto" : std::to_string(next.daemon.workers));
  restart("daemon.user", Quoted(running.daemon.user), Quoted(next.daemon.user));
  restart("underlay.address", Address(running.underlay.ipv4, running.underlay.ipv6),
          Address(next.underlay.ipv4, next.underlay.ipv6));
  restart("underlay.mtu", std::to_string(running.underlay.mtu), std::to_string(next.underlay.mtu));
  restart("underlay.interface", Quoted(running.underlay.interface), Quoted(next.underlay.interface));
  restart("control.socket", Quoted(running.control.socket), Quoted(next.control.socket));
  restart("control.group", Quoted(running.control.group), Quoted(next.control.group));
  restart("metrics.listen", Listen(running.metrics.listen), Listen(next.metrics.listen));
  restart("subnet[].multicast (the groups joined)", GroupList(Groups(running)), GroupList(Groups(next)));
  // [policy]: the OVSDB client's connection and identity (its records stay in force across a
  // reload; only these settings take a restart).
  auto list = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : ", ") + Quoted(s);
    return "[" + out + "]";
  };
  const PolicySection& rp = running.policy;
  const PolicySection& np = next.policy;
  restart("policy.ovsdb", list(rp.ovsdb), list(np.ovsdb));
  restart("policy.switch", Quoted(rp.switch_name), Quoted(np.switch_name));
  restart("policy.database", Quoted(rp.database), Quoted(np.database));
  restart("policy.publish", rp.publish ? "true" : "false", np.publish ? "true" : "false");
  restart("policy.inactivity_probe", std::to_string(rp.inactivity_probe_ms), std::to_string(np.inactivity_probe_ms));
  restart("policy.max_backoff", std::to_string(rp.max_backoff_ms), std::to_string(np.max_backoff_ms));
  restart("policy.max_message_bytes", std::to_string(rp.max_message_bytes), std::to_string(np.max_message_bytes));

  if (running.daemon.log_level != next.daemon.log_level) d.settings_changed.push_back("daemon.log_level");
  if (running.daemon.drop_log_interval != next.daemon.drop_log_interval) {
    d.settings_changed.push_back("daemon.drop_log_interval");
  }
  if (running.underlay.flow_id_mode != next.underlay.flow_id_mode ||
      running.underlay.flow_id != next.underlay.flow_id) {
    d.settings_changed.push_back("underlay.flow_id");
  }
  if (running.underlay.ttl != next.underlay.ttl) d.settings_changed.push_back("underlay.ttl");

  // Ports, by TAP name.
  std::map<std::string, const PortEntry*> old_ports;
  for (const PortEntry& p : running.ports) old_ports.emplace(p.tap, &p);
  std::set<std::string> kept;
  for (const PortEntry& p : next.ports) {
    const auto it = old_ports.find(p.tap);
    if (it == old_ports.end()) {
      d.added.push_back(p);
      continue;
    }
    const PortEntry& o = *it->second;
    kept.insert(p.tap);
    if (o.netns != p.netns || o.mac != p.mac || running.PortMtu(o) != next.PortMtu(p)) {
      d.removed.push_back(p.tap);  // its TAP and VMQ filter change: replaced
      d.added.push_back(p);
    } else if (o.vsid != p.vsid || o.ips != p.ips) {
      d.updated.push_back(p);
    }
  }
  for (const PortEntry& p : running.ports) {
    if (kept.count(p.tap) == 0) d.removed.push_back(p.tap);
  }

  // Lookup records as multisets.
  std::map<RecordKey, long> records;
  for (const LookupEntry& l : running.lookups) ++records[KeyOf(l)];
  for (const LookupEntry& l : next.lookups) --records[KeyOf(l)];
  for (const auto& [key, n] : records) {
    if (n > 0) d.lookups_removed += static_cast<std::size_t>(n);
    if (n < 0) d.lookups_added += static_cast<std::size_t>(-n);
  }

  // Subnets by VSID.
  std::map<std::uint32_t, const SubnetEntry*> old_subnets;
  for (const SubnetEntry& s : running.subnets) old_subnets.emplace(s.vsid, &s);
  for (const SubnetEntry& s : next.subnets) {
    const auto it = old_subnets.find(s.vsid);
    if (it == old_subnets.end()) {
      ++d.subnets_added;
    } else {
      if (it->second->flood != s.flood || it->second->multicast_group != s.multicast_group) ++d.subnets_changed;
      old_subnets.erase(it);
    }
  }
  d.subnets_removed = old_subnets.size();
  return d;
}

}  // namespace nvgre::daemon
