// Rate-limited drop lines (drop_log.h).
#include "daemon/drop_log.h"

namespace nvgre::daemon {

DropLog::DropLog(std::size_t reasons, std::chrono::seconds interval, Clock::time_point start)
    : interval_(interval), reasons_(reasons, Reason{0, start, false}) {}

std::vector<DropLog::Line> DropLog::Update(std::span<const std::uint64_t> totals, Clock::time_point now) {
  std::vector<Line> lines;
  for (std::size_t i = 0; i < reasons_.size() && i < totals.size(); ++i) {
    Reason& r = reasons_[i];
    if (totals[i] <= r.logged) continue;
    if (r.ever && now - r.last < interval_) continue;  // its last line is too recent: later
    lines.push_back({i, totals[i] - r.logged, std::chrono::duration<double>(now - r.last).count()});
    r.logged = totals[i];
    r.last = now;
    r.ever = true;
  }
  return lines;
}

}  // namespace nvgre::daemon
