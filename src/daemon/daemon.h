// The nvgred process: builds the datapath from a Config, runs the workers, and serves the
// control socket and signals on the main thread until SIGINT or SIGTERM.
//
//   auto d = Daemon::Create(config);           // opens TAPs, sockets; errors name what failed
//   if (auto* e = std::get_if<std::string>(&d)) { Log(*e); return 1; }
//   return std::get<std::unique_ptr<Daemon>>(d)->Run();
//
// Setup, in order: the emulated NIC (offload::Adapter) brought up the way NDIS brings up a
// NIC with NVGRE task offload (OID_OFFLOAD_ENCAPSULATION, OID_TCP_OFFLOAD_PARAMETERS with
// EncapsulatedPacketTaskOffload ON / GRE_MAC, RSS with an indirection table over the workers,
// one VMQ filter per port on its MAC flagged GRE so that it matches the inner header); the
// underlay sockets; one TAP per port with a queue per worker; the policy; the workers.
// Then the control socket (mode 0660, [control] group), the privileges dropped (privileges.h:
// CAP_NET_ADMIN only, [daemon] user) while the process has one thread, the workers, the metrics
// endpoint; READY=1 to the service manager (notify.h).
// The control thread (Run) serves, one at a time: control requests (HandleRequest: stats, ports,
// lookup, subnets, offload [set KEY=VALUE...], version, reload), SIGHUP (reload), and once a
// second the rate-limited drop log (drop_log.h), STATUS= and WATCHDOG=1 (only while every worker
// makes progress).
// Reload (reload.h): the new file is checked as at start (a file with an error changes nothing);
// then removed ports are marked inactive in a new published state, and once no worker can see
// the old one (PublishState waits) their queues leave the workers' epoll sets and their TAPs
// close; added ports are opened into free slots, published, then watched; records and subnets
// change with the policy in the state. Unchanged ports keep their TAP, slot and counters.
// `offload set` runs OID_TCP_OFFLOAD_PARAMETERS on the adapter; its publish hook makes the VM side
// follow (TUNSETOFFLOAD with TapOffloadsFor) and publishes a datapath state holding the new
// adapter configuration, so that a SET_OFF's wait for the old one ends.
// Shutdown: the workers stop, the TAPs nvgred created disappear with their last queue, the
// control socket file is removed.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "daemon/config.h"
#include "daemon/datapath.h"
#include "daemon/drop_log.h"
#include "daemon/metrics_server.h"
#include "daemon/notify.h"
#include "daemon/privileges.h"
#include "daemon/stats.h"
#include "daemon/ovsdb/client.h"
#include <nlohmann/json_fwd.hpp>
#include "nvgre/io/tap.h"
#include "nvgre/offload/adapter.h"

namespace nvgre::daemon {

class Daemon {
 public:
  static std::variant<std::unique_ptr<Daemon>, std::string> Create(const Config& config);
  ~Daemon();

  // Serves the control socket and signals until SIGINT/SIGTERM; returns the exit code.
  int Run();

  // The counters with the port names; safe from any thread (the metrics server's too).
  StatsSnapshot Snapshot() const;
  // Control requests (the control socket's commands), as JSON.
  nlohmann::json Stats() const;
  nlohmann::json Ports() const;
  // `lookup`: every record in force with its source (file / ovsdb), the subnets, the ports'
  // VSIDs and where they come from, and the OVSDB connection.
  nlohmann::json Lookup() const;
  nlohmann::json Subnets() const;
  nlohmann::json Offload() const;

 private:
  Daemon() = default;
  std::string Setup(const Config& config);  // "" on success
  std::string SetupRawUnderlay(const Config& config, const std::vector<virt::IpAddress>& groups);
  std::string SetupPacketUnderlay(const Config& config, const std::vector<virt::IpAddress>& groups);
  std::string JoinGroups(const Config& config, const std::vector<virt::IpAddress>& groups, int fd4,
                         int fd6);
  Provider PacketProvider(const virt::IpAddress& address, bool group) const;
  // Opens a port's TAP into the first free slot (its offloads as the adapter allows), zeroes
  // the slot's counters and sets its VMQ filter; `slot` is where it went.
  std::string OpenPort(const PortEntry& port, std::size_t* slot = nullptr);
  // The VMQ filter of the port in `slot`: its MAC on queue slot + 1, tested on the inner header.
  void SetPortFilter(std::size_t slot);
  // Re-reads the configuration file and applies the difference (see above). The reply: ok with
  // what changed, or the errors (nothing changed, or what could not be applied).
  nlohmann::json Reload();
  // `offload set KEY=VALUE...`.
  nlohmann::json OffloadSet(const std::vector<std::string>& words);
  // The VM side follows the adapter (TUNSETOFFLOAD), and a new state holds its configuration.
  void FollowAdapter();
  // Once a second (and at the watchdog's pace): drop log, STATUS=, WATCHDOG=1.
  void Tick();
  std::string StatusLine() const;
  // The port names and VSIDs Snapshot() reports, after the ports changed (control thread).
  void PublishPortLabels();
  // The datapath state for the current configuration, ports and records (the one place that
  // builds it: start, reload and policy updates all come through here). `previous` lends its
  // resolved next hops.
  std::unique_ptr<DatapathState> BuildState(const DatapathState* previous) const;
  // Makes `next` current and frees the old state once no worker can see it.
  void PublishState(std::unique_ptr<DatapathState> next);
  // AF_PACKET: resolves every provider's next hop; publishes a new state when one changed.
  // Returns whether one is still unresolved.
  bool RefreshNextHops(std::chrono::milliseconds wait);
  void StopWorkers();
  nlohmann::json HandleRequest(const nlohmann::json& request);
  // [policy] ovsdb: this host as the database should show it; a port's VSID (the file's, else
  // the database's binding, else 0: unbound).
  ovsdb::LocalView OvsdbView() const;
  std::uint32_t PortVsid(const PortEntry& p) const;
  // Takes the OVSDB client's newest record layer and port bindings into the datapath.
  void OnOvsdbUpdate();

  Config config_;
  Notifier notifier_;
  MetricsServer metrics_;
  mutable std::mutex port_labels_mu_;
  std::shared_ptr<const std::vector<PortLabel>> port_labels_;  // guarded by port_labels_mu_
  std::unique_ptr<DropLog> drop_log_;
  std::vector<std::uint64_t> watchdog_heartbeats_;  // each worker's heartbeat last seen
  std::vector<std::chrono::steady_clock::time_point> progress_at_;  // ... and when it changed
  std::chrono::steady_clock::time_point next_watchdog_{}, next_status_{}, next_drop_log_{};
  std::size_t workers_ = 1;
  std::unique_ptr<offload::Adapter> adapter_;
  std::unique_ptr<DatapathShared> shared_;
  std::vector<io::Fd> senders_;              // [worker * 2 + family]
  struct Port {
    bool active = false;
    PortEntry entry;
    io::Tap tap;
  };
  std::vector<Port> ports_;                  // by slot (stable while the port exists)
  // Records from the OVSDB (a versioned layer: an update costs what changed, not a rebuild of
  // every record), and the VSIDs it binds to ports the file leaves unbound.
  std::shared_ptr<const virt::RecordLayer> ovsdb_layer_;
  std::map<std::string, std::uint32_t> port_bindings_;
  std::unique_ptr<ovsdb::Client> ovsdb_;
  int ovsdb_notify_fd_ = -1;                 // eventfd: the client has an update
  std::vector<virt::IpAddress> groups_;      // underlay multicast groups joined
  std::vector<std::unique_ptr<Worker>> worker_objects_;
  std::vector<std::jthread> threads_;
  int packet_ifindex_ = 0;                   // AF_PACKET underlay interface (0: raw sockets)
  wire::MacAddress packet_mac_{};
  int control_fd_ = -1;
  std::string control_path_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace nvgre::daemon
