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
// Shutdown: the workers stop, the TAPs nvgred created disappear with their last queue, the
// control socket file is removed.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "daemon/config.h"
#include "daemon/datapath.h"
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

  // Control requests (the control socket's commands), as JSON.
  nlohmann::json Stats() const;

 private:
  Daemon() = default;
  std::string Setup(const Config& config);  // "" on success
  std::string SetupRawUnderlay(const Config& config, const std::vector<virt::IpAddress>& groups);
  std::string SetupPacketUnderlay(const Config& config, const std::vector<virt::IpAddress>& groups);
  std::string JoinGroups(const Config& config, const std::vector<virt::IpAddress>& groups, int fd4,
                         int fd6);
  Provider PacketProvider(const virt::IpAddress& address, bool group) const;
  // Opens a port's TAP into the first free slot.
  std::string OpenPort(const PortEntry& port);
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

  Config config_;
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
  std::vector<virt::RecordSpec> extra_records_;  // lookup records from outside the file
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
