// Drops in the log, rate-limited per reason: the workers only count (no logging on the packet
// path); the control thread compares the counters once a second and writes at most one line per
// reason per interval, with how many frames that reason dropped since its previous line. A flood
// of bad packets therefore costs at most one line per reason per interval, whatever its rate,
// and the counts in the lines add up to the counter.
//
//   DropLog log(kDropCount, std::chrono::seconds(config.daemon.drop_log_interval));
//   for (const DropLog::Line& l : log.Update(totals.drops, steady_clock::now()))
//     NVGRED_LOG_WARN("dropped %llu frame(s) in %.0f s: %s (%s)", l.count, l.seconds, name, help);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace nvgre::daemon {

class DropLog {
 public:
  using Clock = std::chrono::steady_clock;
  struct Line {
    std::size_t reason = 0;
    std::uint64_t count = 0;  // frames dropped for this reason since its previous line
    double seconds = 0;       // since its previous line (or since the start)
  };

  DropLog(std::size_t reasons, std::chrono::seconds interval, Clock::time_point start = Clock::now());
  void set_interval(std::chrono::seconds interval) { interval_ = interval; }

  // `totals`: every reason's counter now (as many as `reasons`). Returns the lines due: each
  // reason whose counter grew since its last line, unless that line is younger than the
  // interval.
  std::vector<Line> Update(std::span<const std::uint64_t> totals, Clock::time_point now);

 private:
  struct Reason {
    std::uint64_t logged = 0;  // the counter at its last line
    Clock::time_point last;    // time of its last line (the start before any)
    bool ever = false;         // a line was written
  };
  std::chrono::seconds interval_;
  std::vector<Reason> reasons_;
};

}  // namespace nvgre::daemon
