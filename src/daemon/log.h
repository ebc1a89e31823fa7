// nvgred's log: one line per event on stderr, "<level>: <message>". When stderr is the
// journal (JOURNAL_STREAM names it), each line gets the sd-daemon "<N>" priority prefix instead
// of a timestamp, so journald files it at the right level; otherwise lines carry a UTC time.
//
//   NVGRED_LOG_INFO("port %s up (mtu %u)", name.c_str(), mtu);     // printf-style
//
// Thread-safe (one write(2) per line). Not for the packet path: workers count, the control
// thread logs.
#pragma once

#include <atomic>
#include <cstdarg>
#include <cstdint>

namespace nvgre::daemon {

enum class LogLevel : std::uint8_t { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

// Lines below this level are dropped (default kInfo).
void SetLogLevel(LogLevel level);
LogLevel CurrentLogLevel();

void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));
void VLog(LogLevel level, const char* format, va_list args);

#define NVGRED_LOG_ERROR(...) ::nvgre::daemon::Log(::nvgre::daemon::LogLevel::kError, __VA_ARGS__)
#define NVGRED_LOG_WARN(...) ::nvgre::daemon::Log(::nvgre::daemon::LogLevel::kWarning, __VA_ARGS__)
#define NVGRED_LOG_INFO(...) ::nvgre::daemon::Log(::nvgre::daemon::LogLevel::kInfo, __VA_ARGS__)
#define NVGRED_LOG_DEBUG(...) ::nvgre::daemon::Log(::nvgre::daemon::LogLevel::kDebug, __VA_ARGS__)

}  // namespace nvgre::daemon
