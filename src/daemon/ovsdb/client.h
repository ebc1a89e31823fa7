// nvgred's OVSDB client: its own thread keeps a Replica (replica.h) in step with a clustered
// ovsdb-server, hands the record layer to the control thread, and publishes this host's rows.
//
//   Client c(options, local_view, notify_fd);  // notify_fd: an eventfd the control thread polls
//   c.Start();
//   ... poll(notify_fd) ...
//   if (auto u = c.Take()) PublishState(BuildState(u->layer, u->bindings));
//   c.SetLocalView(new_view);                   // reload: other ports to publish
//   json s = c.Status();                        // `nvgred ctl lookup`
//   ClientCounters n = c.Counters();            // `nvgred ctl stats`, /metrics (any thread)
//
// The protocol (RFC 7047 and ovsdb-server(7)):
//   1. connect to a remote of the list (in order, the next one after a failure; after a whole
//      round without success, wait: 0.5 s doubling up to max_backoff);
//   2. monitor_cond on _Server's Database row of our database (§4.1.12): a clustered member
//      that is not connected to its cluster may hold stale data, so nvgred goes to the next
//      remote (as the OVS IDL does); which member is the leader is noted for writes;
//   3. monitor_cond_since (§4.1.15) with the last transaction id seen: after a reconnection
//      the server sends only what changed (found = true), or everything (then the replica is
//      rebuilt and swapped in whole); monitor_cond where the server lacks it;
//   4. update3 / update2 notifications apply as they come; our Physical_Switch's Physical_Port
//      rows are followed by UUID conditions (monitor_cond_change, §4.1.13);
//   5. this host's rows are written with transact (RFC 7047 §4.1.3) to the cluster leader: on
//      this session when its member is the leader (or the database is standalone), else on a
//      second session that looks for the leader through _Server; "not leader" and other
//      failures retry with backoff;
//   6. echo both ways: the server's echo requests are answered; after inactivity_probe without
//      a message nvgred sends one, and after another one without a message it reconnects.
// Bad input (not JSON, oversize, not JSON-RPC, unexpected replies) is counted and logged and
// closes the connection; the last policy stays in force meanwhile (the control thread keeps
// the last layer it took).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/ovsdb/replica.h"
#include "daemon/ovsdb/session.h"

namespace nvgre::daemon::ovsdb {

struct ClientOptions {
  std::vector<Remote> remotes;
  std::string database = "hardware_vtep";
  std::chrono::milliseconds inactivity_probe{5000};  // 0: never probe
  std::chrono::milliseconds max_backoff{8000};
  std::size_t max_message_bytes = std::size_t{256} << 20;
};

struct ClientUpdate {
  std::shared_ptr<const virt::RecordLayer> layer;
  std::map<std::string, std::uint32_t> bindings;  // tap -> VSID (database-bound ports)
  std::chrono::steady_clock::time_point received; // when its first message arrived
  std::uint64_t sequence = 0;                      // updates made so far
  std::size_t rows = 0;                            // rows in the messages it covers
};

class Client {
 public:
  Client(ClientOptions options, LocalView view, int notify_fd);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Start();
  void Stop();
  void SetLocalView(LocalView view);
  // The newest update not taken yet (older ones it replaced are folded in).
  std::optional<ClientUpdate> Take();
  nlohmann::json Status() const;
  // The counters as of the client's last loop turn (at most 100 ms old).
  ClientCounters Counters() const;

 private:
  struct Loop;
  void Run(std::stop_token stop);

  ClientOptions options_;
  int notify_fd_;
  int wake_fd_ = -1;
  mutable std::mutex mu_;
  std::optional<LocalView> new_view_;   // guarded by mu_
  std::optional<ClientUpdate> update_;  // guarded by mu_
  nlohmann::json status_;               // guarded by mu_
  ClientCounters counters_;             // guarded by mu_
  LocalView initial_view_;
  std::jthread thread_;
};

}  // namespace nvgre::daemon::ovsdb
