// The service manager's notification protocol (sd_notify(3), libsystemd): nvgred runs as a
// Type=notify unit (packaging/systemd/nvgred.service).
//
//   Notifier n;                                  // reads NOTIFY_SOCKET / WATCHDOG_USEC once
//   n.Ready("2 workers, 3 ports");               // READY=1 + STATUS=, once every port is up
//   if (n.watchdog_interval()) ... n.Watchdog(); // WATCHDOG=1 at half the WatchdogSec period
//   n.Reloading(); ... n.Ready(status);          // RELOADING=1 around a reload
//   n.Stopping();                                // STOPPING=1
//
// Without NOTIFY_SOCKET every call is a no-op (sd_notify returns 0). WATCHDOG=1 is sent only
// when the datapath is alive: the caller checks that every worker made progress since the last
// ping (see Daemon::Run).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace nvgre::daemon {

class Notifier {
 public:
  Notifier();

  bool enabled() const { return enabled_; }
  // Half of WATCHDOG_USEC (the period systemd(1) recommends), or nullopt without a watchdog.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  void Ready(const std::string& status);
  void Status(const std::string& status);
  void Reloading();
  void Watchdog();
  void Stopping();

 private:
  void Send(const std::string& message);

  bool enabled_ = false;
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace nvgre::daemon
