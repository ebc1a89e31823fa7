// sd_notify(3) messages (notify.h).
#include "daemon/notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "daemon/log.h"

namespace nvgre::daemon {
namespace {

// STATUS= is one line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

Notifier::Notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && socket[0] != '\0';
  std::uint64_t usec = 0;
  // > 0 when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is ours).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec != 0) {
    watchdog_ = std::chrono::microseconds(usec / 2);
  }
}

void Notifier::Send(const std::string& message) {
  if (!enabled_) return;
  const int r = sd_notify(0, message.c_str());
  if (r < 0) NVGRED_LOG_WARN("sd_notify: %s", std::strerror(-r));
}

void Notifier::Ready(const std::string& status) { Send("READY=1\nSTATUS=" + OneLine(status)); }
void Notifier::Status(const std::string& status) { Send("STATUS=" + OneLine(status)); }
void Notifier::Reloading() { Send("RELOADING=1\nSTATUS=reloading the configuration"); }
void Notifier::Watchdog() { Send("WATCHDOG=1"); }
void Notifier::Stopping() { Send("STOPPING=1\nSTATUS=shutting down"); }

}  // namespace nvgre::daemon
