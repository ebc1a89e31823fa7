// Live reload (SIGHUP, `nvgred ctl reload`): what differs between the configuration in force and
// a new one, and whether the difference can be applied without a restart.
//
//   ConfigDiff d = DiffConfigs(running, next);
//   if (!d.restart_required.empty()) return Refuse(d.restart_required);  // nothing applied
//   for (name : d.removed) ...;  for (p : d.updated) ...;  for (p : d.added) ...;
//
// Applied live: ports added and removed (a port is known by its TAP name; one whose netns, MAC or
// MTU changed is removed and added again, since those are properties of its TAP and of its VMQ
// filter; one whose VSID or customer addresses changed keeps its TAP and its traffic), lookup
// records and subnets (through the policy), daemon.log_level, daemon.drop_log_interval,
// underlay.flow_id and underlay.ttl. Everything else names an open socket, a thread or an
// identity and takes a restart: daemon.workers, daemon.user, the underlay's addresses, mtu and
// interface, the control socket and its group, metrics.listen, the set of underlay multicast
// groups the subnets flood through (the receivers joined them at start), and every [policy] key
// (the OVSDB connection). The records, subnets and port bindings from the OVSDB are not part of
// the file: a reload keeps them in force, and the ports it adds or removes are published to the
// database (Ucast_Macs_Local) as they change.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "daemon/config.h"

namespace nvgre::daemon {

struct ConfigDiff {
  std::vector<std::string> restart_required;  // "underlay.mtu: 1500 -> 9000", ...
  std::vector<std::string> removed;            // TAP names of ports that go (replaced ones too)
  std::vector<PortEntry> added;                // ports that come (replaced ones too), in file order
  std::vector<PortEntry> updated;              // same TAP, new VSID or customer addresses
  std::size_t lookups_added = 0, lookups_removed = 0;  // records (as multisets)
  std::size_t subnets_added = 0, subnets_removed = 0, subnets_changed = 0;
  std::vector<std::string> settings_changed;   // "daemon.log_level", "underlay.ttl", ...

  bool empty() const {
    return restart_required.empty() && removed.empty() && added.empty() && updated.empty() &&
           lookups_added == 0 && lookups_removed == 0 && subnets_added == 0 && subnets_removed == 0 &&
           subnets_changed == 0 && settings_changed.empty();
  }
  // "ports +1 -0 ~0, lookup records +2 -1, subnets +0 -0 ~0, settings: underlay.ttl"
  std::string Summary() const;
};

ConfigDiff DiffConfigs(const Config& running, const Config& next);

}  // namespace nvgre::daemon
