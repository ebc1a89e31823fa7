// GET /metrics over HTTP ([metrics] listen = "ADDRESS:PORT"): the Prometheus text exposition
// format (version 0.0.4) of the counter registry (stats.h), served by cpp-httplib (Debian's
// libcpp-httplib-dev) from its own threads.
//
//   MetricsServer m;
//   if (std::string e = m.Bind(listen); !e.empty()) return e;   // before privileges are dropped
//   m.Start([&] { return PrometheusText(Snapshot()); });         // after (it starts threads)
//   ...
//   m.Stop();                                                     // before the counters go
//
// Any other request is 404. `render` runs on the server's threads: it must
// only read what is safe to read there (relaxed atomic counters, a snapshot of the port names).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon/config.h"

namespace httplib {
class Server;
}

namespace nvgre::daemon {

class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();

  // Binds and listens; "" or what failed.
  std::string Bind(const MetricsSection::Listen& listen);
  void Start(std::function<std::string()> render);
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace nvgre::daemon
