// The counter registry and its two printers (stats.h).
#include "daemon/stats.h"

#include <array>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>

namespace nvgre::daemon {
namespace {

// The worker counters, summed: where each goes in `ctl stats` and in /metrics. A row without a
// field is always 0 (a key kept for its interface: tx.coalesced).
struct Row {
  std::string_view section;
  std::string_view key;
  std::string_view metric;
  std::string_view help;
  std::uint64_t CounterTotals::*field;
};

constexpr std::array<Row, 22> kRows{{
    {"tx", "packets", "underlay_tx_packets", "NVGRE datagrams sent on the underlay",
     &CounterTotals::tx_packets},
    {"tx", "bytes", "underlay_tx_bytes", "bytes of NVGRE datagrams sent on the underlay (IP header on)",
     &CounterTotals::tx_bytes},
    {"tx", "lso_super_frames", "tx_lso_super_frames",
     "TCP super-frames from VMs the Tx engine segmented (LSOv2)", &CounterTotals::tx_lso_super_frames},
    {"tx", "lso_segments", "tx_lso_segments", "segments those TCP super-frames became",
     &CounterTotals::tx_lso_segments},
    {"tx", "uso_super_frames", "tx_uso_super_frames", "UDP super-frames from VMs the Tx engine segmented (USO)",
     &CounterTotals::tx_uso_super_frames},
    {"tx", "uso_segments", "tx_uso_segments", "datagrams those UDP super-frames became",
     &CounterTotals::tx_uso_segments},
    {"tx", "checksum_offloads", "tx_checksum_offloads", "frames whose inner checksum the Tx engine filled",
     &CounterTotals::tx_checksum_offloads},
    {"tx", "flood_copies", "tx_flood_copies", "encapsulated copies of broadcast/multicast frames",
     &CounterTotals::tx_flood_copies},
    {"tx", "coalesced", "tx_coalesced", "always 0 (coalescing is a receive-side operation)", nullptr},
    {"rx", "packets", "underlay_rx_packets", "NVGRE datagrams received from the underlay",
     &CounterTotals::rx_packets},
    {"rx", "bytes", "underlay_rx_bytes", "bytes of NVGRE datagrams received from the underlay",
     &CounterTotals::rx_bytes},
    {"rx", "delivered", "rx_delivered", "inner frames written to VM TAPs", &CounterTotals::rx_delivered},
    {"rx", "data_valid", "rx_data_valid", "inner frames handed to VMs with checksums validated (DATA_VALID)",
     &CounterTotals::rx_data_valid},
    {"rx", "lso_super_frames", "rx_lso_super_frames",
     "GSO frames written to VMs (coalesced by nvgred or the kernel)", &CounterTotals::rx_lso_super_frames},
    {"rx", "lso_segments", "rx_lso_segments", "segments merged into those GSO frames",
     &CounterTotals::rx_coalesced},
    {"rx", "coalesced", "rx_coalesced", "segments merged into larger frames toward VMs",
     &CounterTotals::rx_coalesced},
    {"rx", "kernel_merged", "rx_kernel_merged", "datagrams the underlay's GRO merged, delivered as GSO frames",
     &CounterTotals::rx_kernel_merged},
    {"rx", "flow_id_nonzero", "rx_flow_id_nonzero", "NVGRE datagrams with a non-zero FlowID (accepted)",
     &CounterTotals::rx_flow_id_nonzero},
    {"rx", "handoffs", "rx_handoffs", "datagrams handed to the worker RSS chose", &CounterTotals::rx_handoffs},
    {"other", "local_switched", "local_switched", "frames between two ports of one host",
     &CounterTotals::local_switched},
    {"other", "neighbor_answered", "neighbor_answered", "ARP requests / Neighbor Solicitations answered",
     &CounterTotals::neighbor_answered},
    {"other", "icmp_too_big_sent", "icmp_too_big_sent",
     "ICMP Fragmentation Needed / Packet Too Big sent to VMs", &CounterTotals::icmp_too_big_sent},
}};

struct PortRow {
  std::string_view key;
  std::string_view metric;
  std::string_view help;
  std::uint64_t CounterTotals::Port::*field;
};

// From the VM's side of the cable: rx = what the VM sent (read from its TAP), tx = delivered to it.
constexpr std::array<PortRow, 4> kPortRows{{
    {"rx_packets", "rx_packets", "frames a VM sent (read from its TAP; a super-frame counts once)",
     &CounterTotals::Port::rx_packets},
    {"rx_bytes", "rx_bytes", "bytes of the frames a VM sent", &CounterTotals::Port::rx_bytes},
    {"tx_packets", "tx_packets", "frames delivered to a VM (written to its TAP)",
     &CounterTotals::Port::tx_packets},
    {"tx_bytes", "tx_bytes", "bytes of the frames delivered to a VM", &CounterTotals::Port::tx_bytes},
}};

// The OVSDB client's counters (ovsdb/counters.h), section "ovsdb".
struct OvsdbRow {
  std::string_view key;
  std::string_view metric;
  std::string_view help;
  std::uint64_t ovsdb::ClientCounters::*field;
};

constexpr std::array<OvsdbRow, 13> kOvsdbRows{{
    {"messages", "ovsdb_messages", "JSON-RPC messages received from the OVSDB", &ovsdb::ClientCounters::messages},
    {"updates", "ovsdb_updates", "OVSDB monitor replies and update notifications applied",
     &ovsdb::ClientCounters::updates},
    {"protocol_errors", "ovsdb_protocol_errors",
     "OVSDB connections closed for bad input (garbage, oversize, unexpected messages)",
     &ovsdb::ClientCounters::protocol_errors},
    {"oversize_messages", "ovsdb_oversize_messages", "OVSDB messages longer than [policy] max_message_bytes",
     &ovsdb::ClientCounters::oversize},
    {"not_json", "ovsdb_not_json", "OVSDB input that is not JSON", &ovsdb::ClientCounters::not_json},
    {"unexpected_messages", "ovsdb_unexpected_messages", "OVSDB JSON that is no expected JSON-RPC message",
     &ovsdb::ClientCounters::unexpected},
    {"connects", "ovsdb_connects", "OVSDB connection attempts", &ovsdb::ClientCounters::connects},
    {"disconnects", "ovsdb_disconnects", "OVSDB connections lost or closed", &ovsdb::ClientCounters::disconnects},
    {"echo_answered", "ovsdb_echo_answered", "OVSDB echo requests answered", &ovsdb::ClientCounters::echo_answered},
    {"probes_sent", "ovsdb_probes_sent", "OVSDB echo requests sent after [policy] inactivity_probe",
     &ovsdb::ClientCounters::probes},
    {"transactions_ok", "ovsdb_transactions_ok", "OVSDB transactions publishing this host's rows that committed",
     &ovsdb::ClientCounters::txn_ok},
    {"transactions_failed", "ovsdb_transactions_failed", "OVSDB transactions publishing this host's rows that failed",
     &ovsdb::ClientCounters::txn_failed},
    {"received_bytes", "ovsdb_received_bytes", "bytes received on the OVSDB monitoring connections",
     &ovsdb::ClientCounters::bytes_received},
}};

constexpr std::string_view kDropsHelp = "frames nvgred refused, by reason (nvgred drops lists them)";
constexpr std::string_view kRssHelp = "underlay datagrams processed per worker (the RSS spread)";

void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void ForEachStat(const StatsSnapshot& s, const std::function<void(const Stat&)>& f) {
  Stat g;
  g.type = StatType::kGauge;
  g.metric = "workers";
  g.help = "datapath worker threads";
  g.json_key = "workers";
  g.gauge = static_cast<double>(s.workers);
  f(g);
  g.metric = "uptime_seconds";
  g.help = "seconds since nvgred started";
  g.json_key = "uptime_seconds";
  g.gauge = s.uptime_seconds;
  f(g);

  for (const PortRow& r : kPortRows) {
    for (const PortLabel& p : s.ports) {
      Stat st;
      st.metric = r.metric;
      st.help = r.help;
      st.json_section = "ports";
      st.json_key = r.key;
      st.labels = {{"port", p.tap}, {"vsid", std::to_string(p.vsid)}};
      st.value = p.slot < s.totals.ports.size() ? s.totals.ports[p.slot].*r.field : 0;
      st.port = &p;
      f(st);
    }
  }
  for (const Row& r : kRows) {
    Stat st;
    st.metric = r.metric;
    st.help = r.help;
    st.json_section = r.section;
    st.json_key = r.key;
    st.value = r.field != nullptr ? s.totals.*r.field : 0;
    f(st);
  }
  for (std::size_t i = 0; i < kDropCount; ++i) {
    Stat st;
    st.metric = "drops";
    st.help = kDropsHelp;
    st.json_section = "drops";
    st.json_key = DropName(i);
    st.labels = {{"reason", DropName(i)}};
    st.value = s.totals.drops[i];
    f(st);
  }
  for (std::size_t q = 0; q < s.totals.rss_queues.size(); ++q) {
    Stat st;
    st.metric = "rss_queue_packets";
    st.help = kRssHelp;
    st.json_section = "rss_queues";
    st.labels = {{"queue", std::to_string(q)}};
    st.value = s.totals.rss_queues[q];
    f(st);
  }
  {
    Stat st;
    st.type = StatType::kGauge;
    st.metric = "ovsdb_connected";
    st.help = "1 while nvgred is synced with a member of its OVSDB cluster";
    st.json_section = "ovsdb";
    st.json_key = "connected";
    st.value = s.ovsdb.connected ? 1 : 0;
    st.gauge = static_cast<double>(st.value);
    f(st);
    st.metric = "ovsdb_records";
    st.help = "lookup records the OVSDB holds for nvgred (before precedence with the file's)";
    st.json_key = "records";
    st.value = s.ovsdb.records;
    st.gauge = static_cast<double>(st.value);
    f(st);
  }
  for (const OvsdbRow& r : kOvsdbRows) {
    Stat st;
    st.metric = r.metric;
    st.help = r.help;
    st.json_section = "ovsdb";
    st.json_key = r.key;
    st.value = s.ovsdb.*r.field;
    f(st);
  }
  for (std::size_t i = 0; i < ovsdb::kRefusalCount; ++i) {
    Stat st;
    st.metric = "ovsdb_refused_rows";
    st.help = "OVSDB rows refused (counted each time a row update is refused), by reason";
    st.json_section = "ovsdb.refused_rows";
    st.json_key = ovsdb::RefusalName(static_cast<ovsdb::Refusal>(i));
    st.labels = {{"reason", std::string(st.json_key)}};
    st.value = s.ovsdb.refused_total[i];
    f(st);
  }
  for (std::size_t i = 0; i < ovsdb::kRefusalCount; ++i) {
    Stat st;
    st.type = StatType::kGauge;
    st.metric = "ovsdb_refused_rows_now";
    st.help = "OVSDB rows refused at this moment (not in force), by reason";
    st.json_section = "ovsdb.refused_rows_now";
    st.json_key = ovsdb::RefusalName(static_cast<ovsdb::Refusal>(i));
    st.labels = {{"reason", std::string(st.json_key)}};
    st.value = s.ovsdb.refused_now[i];
    st.gauge = static_cast<double>(st.value);
    f(st);
  }
}

nlohmann::json StatsJson(const StatsSnapshot& s) {
  nlohmann::json j;
  nlohmann::json ports = nlohmann::json::array();
  for (const PortLabel& p : s.ports) ports.push_back({{"tap", p.tap}, {"vsid", p.vsid}, {"mac", p.mac}});
  j["rss_queues"] = nlohmann::json::array();
  // A section's place: "ovsdb.refused_rows" is j["ovsdb"]["refused_rows"].
  auto place = [&j](std::string_view section) -> nlohmann::json& {
    nlohmann::json* at = &j;
    for (std::size_t start = 0;;) {
      const std::size_t dot = section.find('.', start);
      at = &(*at)[std::string(section.substr(start, dot - start))];
      if (dot == std::string_view::npos) return *at;
      start = dot + 1;
    }
  };
  ForEachStat(s, [&](const Stat& st) {
    if (st.type == StatType::kGauge && !st.json_section.empty()) {
      place(st.json_section)[std::string(st.json_key)] = st.value;
    } else if (st.type == StatType::kGauge) {
      if (st.json_key == "workers") {
        j["workers"] = s.workers;
      } else {
        j[std::string(st.json_key)] = st.gauge;
      }
    } else if (st.port != nullptr) {
      ports[static_cast<std::size_t>(st.port - s.ports.data())][std::string(st.json_key)] = st.value;
    } else if (st.json_section == "rss_queues") {
      j["rss_queues"].push_back(st.value);
    } else {
      place(st.json_section)[std::string(st.json_key)] = st.value;
    }
  });
  j["ports"] = ports;
  return j;
}

std::string PrometheusText(const StatsSnapshot& s) {
  std::string out;
  out.reserve(64 * 1024);
  std::string_view family;
  ForEachStat(s, [&](const Stat& st) {
    std::string name = "nvgred_" + std::string(st.metric);
    if (st.type == StatType::kCounter) name += "_total";
    if (st.metric != family) {
      family = st.metric;
      out += "# HELP " + name + " ";
      AppendEscaped(out, st.help, false);
      out += "\n# TYPE " + name + (st.type == StatType::kCounter ? " counter\n" : " gauge\n");
    }
    out += name;
    if (!st.labels.empty()) {
      out += '{';
      for (std::size_t i = 0; i < st.labels.size(); ++i) {
        if (i != 0) out += ',';
        out += st.labels[i].first;
        out += "=\"";
        AppendEscaped(out, st.labels[i].second, true);
        out += '"';
      }
      out += '}';
    }
    char value[32];
    if (st.type == StatType::kCounter) {
      std::snprintf(value, sizeof value, " %llu\n", static_cast<unsigned long long>(st.value));
    } else {
      std::snprintf(value, sizeof value, " %.17g\n", st.gauge);
    }
    out += value;
  });
  // The build, as Prometheus exporters report it.
  out += "# HELP nvgred_build_info nvgred's version\n# TYPE nvgred_build_info gauge\n";
  out += "nvgred_build_info{version=\"";
  AppendEscaped(out, s.version, true);
  out += "\"} 1\n";
  return out;
}

}  // namespace nvgre::daemon
