// nvgred's counters as one registry: every counter `ctl stats` reports and `/metrics` exports is
// one row of one table (stats.cc), with its place in the stats JSON, its Prometheus name and its
// help text. Both outputs walk that table (ForEachStat); neither lists counters of its own.
//
//   StatsSnapshot s = ...;                          // counter totals + port names + workers
//   nlohmann::json j = StatsJson(s);                // `nvgred ctl stats --json`
//   std::string m = PrometheusText(s);              // GET /metrics (text exposition format 0.0.4)
//
// Sources: the per-worker counters (counters.h: underlay Tx/Rx, the Tx engine's segments and
// checksum offloads, receive coalescing, local switching, ARP/ND, ICMP), the per-port counters
// (by slot, labelled with the port's TAP name and VSID), every drop reason of the flat drop index
// space (counters.h: nvgred's own, vnet header checks, decapsulation, Tx engine refusals,
// encapsulation refusals, neighbour ignores; label `reason`), the RSS spread (label `queue`),
// two gauges (workers, uptime), and the OVSDB client's counters ([policy] ovsdb: messages, bad
// input, connections, transactions, rows refused by reason; zeros when no database is configured).
//
// Prometheus names follow its conventions (https://prometheus.io/docs/practices/naming/): prefix
// `nvgred_`, snake_case, counters end in `_total`, base units (bytes, seconds); what the stats
// JSON calls tx.packets (underlay datagrams) is nvgred_underlay_tx_packets_total, so that
// nvgred_tx_packets_total{port,vsid} (frames delivered to a VM) is not summed with it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "daemon/counters.h"
#include "daemon/ovsdb/counters.h"

namespace nvgre::daemon {

struct PortLabel {
  std::size_t slot = 0;
  std::string tap;
  std::uint32_t vsid = 0;
  std::string mac;
};

struct StatsSnapshot {
  CounterTotals totals;
  std::vector<PortLabel> ports;  // the active ports, by slot
  std::size_t workers = 0;
  double uptime_seconds = 0;
  std::string version;
  ovsdb::ClientCounters ovsdb;  // all zero without [policy] ovsdb
};

enum class StatType : std::uint8_t { kCounter, kGauge };

// One exported value.
struct Stat {
  std::string_view metric;   // Prometheus family name, without the prefix and `_total`
  std::string_view help;
  StatType type = StatType::kCounter;
  // "tx", "rx", "other", "drops", "ports", "rss_queues", "ovsdb", "ovsdb.refused_rows", ... ("."
  // nests), "" (top)
  std::string_view json_section;
  std::string_view json_key;      // the key in that section (a drop reason's name, ...)
  std::vector<std::pair<std::string_view, std::string>> labels;  // Prometheus labels
  std::uint64_t value = 0;
  double gauge = 0;          // kGauge (a gauge in a section: value, an integer)
  const PortLabel* port = nullptr;  // for per-port stats
};

// Calls f(const Stat&) for every value, one family after the other (the order of the table).
void ForEachStat(const StatsSnapshot& s, const std::function<void(const Stat&)>& f);

nlohmann::json StatsJson(const StatsSnapshot& s);
std::string PrometheusText(const StatsSnapshot& s);

}  // namespace nvgre::daemon
