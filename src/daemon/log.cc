#include "daemon/log.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace nvgre::daemon {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};

bool StderrIsJournal() {
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  return journal;
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "?";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel CurrentLogLevel() { return g_level.load(std::memory_order_relaxed); }

void VLog(LogLevel level, const char* format, va_list args) {
  if (static_cast<int>(level) > static_cast<int>(CurrentLogLevel())) return;
  char line[1024];
  int n = 0;
  if (StderrIsJournal()) {
    n = std::snprintf(line, sizeof line, "<%d>%s: ", static_cast<int>(level),
                      LevelName(level).data());
  } else {
    std::timespec ts{};
    std::timespec_get(&ts, TIME_UTC);
    std::tm tm{};
    gmtime_r(&ts.tv_sec, &tm);
    n = std::snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ nvgred %s: ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, ts.tv_nsec / 1000000, LevelName(level).data());
  }
  if (n < 0) return;
  std::size_t used = static_cast<std::size_t>(n);
  if (used < sizeof line) {
    const int m = std::vsnprintf(line + used, sizeof line - used, format, args);
    if (m > 0) used += static_cast<std::size_t>(m);
  }
  if (used >= sizeof line) used = sizeof line - 1;  // truncated: keep the newline
  line[used++] = '\n';
  // One write per line so that lines of different threads do not interleave.
  [[maybe_unused]] const ssize_t w = ::write(STDERR_FILENO, line, used);
}

void Log(LogLevel level, const char* format, ...) {
  va_list args;
  va_start(args, format);
  VLog(level, format, args);
  va_end(args);
}

}  // namespace nvgre::daemon
