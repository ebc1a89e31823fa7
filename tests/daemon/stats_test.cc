// The counter registry (src/daemon/stats.h): `ctl stats --json` and /metrics are two printers of
// one table. Known totals in, exact JSON keys and exact Prometheus lines out (the names the
// README lists); the integration test parses /metrics with prometheus_client against ctl stats.
#include "daemon/stats.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

namespace nvgre::daemon {
namespace {

using ::testing::HasSubstr;

StatsSnapshot Example() {
  StatsSnapshot s;
  s.totals.ports.resize(3);
  s.totals.ports[2] = {7, 700, 8, 800};
  s.totals.tx_packets = 11;
  s.totals.tx_lso_super_frames = 3;
  s.totals.rx_packets = 12;
  s.totals.rx_coalesced = 5;
  s.totals.local_switched = 4;
  s.totals.drops[DropIndex(DaemonDrop::kUnknownVsid)] = 9;
  s.totals.rss_queues = {20, 21};
  s.ports = {{2, "nvtap1", 5001, "02:00:00:00:50:01"}};
  s.workers = 2;
  s.uptime_seconds = 1.5;
  s.version = "0.1.0";
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(StatsRegistry, JsonKeepsTheDocumentedShape) {
  const nlohmann::json j = StatsJson(Example());
  EXPECT_EQ(j["workers"], 2);
  EXPECT_EQ(j["uptime_seconds"], 1.5);
  ASSERT_EQ(j["ports"].size(), 1u);
  EXPECT_EQ(j["ports"][0], (nlohmann::json{{"tap", "nvtap1"}, {"vsid", 5001}, {"mac", "02:00:00:00:50:01"},
                                          {"rx_packets", 7}, {"rx_bytes", 700}, {"tx_packets", 8},
                                          {"tx_bytes", 800}}));
  EXPECT_EQ(j["tx"]["packets"], 11);
  EXPECT_EQ(j["tx"]["lso_super_frames"], 3);
  EXPECT_EQ(j["tx"]["coalesced"], 0);
  EXPECT_EQ(j["rx"]["packets"], 12);
  EXPECT_EQ(j["rx"]["lso_segments"], 5);  // README: the segments merged (= rx.coalesced)
  EXPECT_EQ(j["rx"]["coalesced"], 5);
  EXPECT_EQ(j["other"]["local_switched"], 4);
  EXPECT_EQ(j["drops"]["unknown-vsid"], 9);
  EXPECT_EQ(j["drops"].size(), kDropCount);  // every reason, zeros included
  EXPECT_EQ(j["rss_queues"], (nlohmann::json{20, 21}));
  const std::set<std::string> tx_keys{"packets", "bytes", "lso_super_frames", "lso_segments", "uso_super_frames",
                                      "uso_segments", "checksum_offloads", "flood_copies", "coalesced"};
  std::set<std::string> seen;
  for (const auto& [k, v] : j["tx"].items()) seen.insert(k);
  EXPECT_EQ(seen, tx_keys);
  seen.clear();
  for (const auto& [k, v] : j["rx"].items()) seen.insert(k);
  EXPECT_EQ(seen, (std::set<std::string>{"packets", "bytes", "delivered", "data_valid", "lso_super_frames",
                                         "lso_segments", "coalesced", "kernel_merged", "flow_id_nonzero",
                                         "handoffs"}));
  seen.clear();
  for (const auto& [k, v] : j["other"].items()) seen.insert(k);
  EXPECT_EQ(seen, (std::set<std::string>{"local_switched", "neighbor_answered", "icmp_too_big_sent"}));
}

TEST(StatsRegistry, PrometheusLines) {
  const std::string text = PrometheusText(Example());
  const auto lines = Lines(text);
  auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };
  EXPECT_TRUE(has("nvgred_rx_packets_total{port=\"nvtap1\",vsid=\"5001\"} 7"));
  EXPECT_TRUE(has("nvgred_tx_bytes_total{port=\"nvtap1\",vsid=\"5001\"} 800"));
  EXPECT_TRUE(has("nvgred_drops_total{reason=\"unknown-vsid\"} 9"));
  EXPECT_TRUE(has("nvgred_drops_total{reason=\"hairpin\"} 0"));
  EXPECT_TRUE(has("nvgred_underlay_tx_packets_total 11"));
  EXPECT_TRUE(has("nvgred_underlay_rx_packets_total 12"));
  EXPECT_TRUE(has("nvgred_tx_lso_super_frames_total 3"));
  EXPECT_TRUE(has("nvgred_rx_lso_segments_total 5"));
  EXPECT_TRUE(has("nvgred_local_switched_total 4"));
  EXPECT_TRUE(has("nvgred_rss_queue_packets_total{queue=\"1\"} 21"));
  EXPECT_TRUE(has("nvgred_workers 2"));
  EXPECT_TRUE(has("nvgred_uptime_seconds 1.5"));
  EXPECT_TRUE(has("nvgred_build_info{version=\"0.1.0\"} 1"));
  EXPECT_TRUE(has("# TYPE nvgred_drops_total counter"));
  EXPECT_TRUE(has("# TYPE nvgred_uptime_seconds gauge"));
  // One HELP and one TYPE per family, right before its samples; every sample of a family together.
  std::set<std::string> families;
  std::string current;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.rfind("# HELP ", 0) == 0) {
      const std::string name = l.substr(7, l.find(' ', 7) - 7);
      EXPECT_TRUE(families.insert(name).second) << "family twice: " << name;
      ASSERT_LT(i + 1, lines.size());
      EXPECT_EQ(lines[i + 1].rfind("# TYPE " + name + " ", 0), 0u) << l;
      current = name;
    } else if (l[0] != '#') {
      EXPECT_EQ(l.substr(0, l.find_first_of("{ ")), current) << l;
    }
  }
  std::size_t drops = 0;
  for (const auto& l : lines) drops += l.rfind("nvgred_drops_total{", 0) == 0;
  EXPECT_EQ(drops, kDropCount);
}

// The OVSDB client's counters: section "ovsdb" of ctl stats, nvgred_ovsdb_* in /metrics, refused
// rows by reason (the names of docs/ovsdb.md).
TEST(StatsRegistry, OvsdbCounters) {
  StatsSnapshot s = Example();
  s.ovsdb.connected = true;
  s.ovsdb.records = 100000;
  s.ovsdb.messages = 42;
  s.ovsdb.not_json = 1;
  s.ovsdb.bytes_received = 123456;
  s.ovsdb.refused_total[static_cast<std::size_t>(ovsdb::Refusal::kBadMac)] = 3;
  s.ovsdb.refused_now[static_cast<std::size_t>(ovsdb::Refusal::kDanglingReference)] = 2;
  const nlohmann::json j = StatsJson(s);
  EXPECT_EQ(j["ovsdb"]["connected"], 1);
  EXPECT_EQ(j["ovsdb"]["records"], 100000);
  EXPECT_EQ(j["ovsdb"]["messages"], 42);
  EXPECT_EQ(j["ovsdb"]["not_json"], 1);
  EXPECT_EQ(j["ovsdb"]["received_bytes"], 123456);
  EXPECT_EQ(j["ovsdb"]["refused_rows"]["bad-mac"], 3);
  EXPECT_EQ(j["ovsdb"]["refused_rows"].size(), 6u);
  EXPECT_EQ(j["ovsdb"]["refused_rows_now"]["dangling-reference"], 2);
  EXPECT_EQ(j["ovsdb"]["refused_rows_now"]["bad-mac"], 0);
  const std::string m = PrometheusText(s);
  EXPECT_THAT(m, HasSubstr("\nnvgred_ovsdb_connected 1\n"));
  EXPECT_THAT(m, HasSubstr("\nnvgred_ovsdb_records 100000\n"));
  EXPECT_THAT(m, HasSubstr("\nnvgred_ovsdb_messages_total 42\n"));
  EXPECT_THAT(m, HasSubstr("\nnvgred_ovsdb_received_bytes_total 123456\n"));
  EXPECT_THAT(m, HasSubstr("\nnvgred_ovsdb_refused_rows_total{reason=\"bad-mac\"} 3\n"));
  EXPECT_THAT(m, HasSubstr("\nnvgred_ovsdb_refused_rows_now{reason=\"dangling-reference\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("# TYPE nvgred_ovsdb_refused_rows_now gauge\n"));
}

// README "Metrics" lists every family /metrics has, and nothing else.
TEST(StatsRegistry, ReadmeListsEveryMetric) {
  std::ifstream f(std::string(NVGRE_SOURCE_DIR) + "/README.md");
  std::ostringstream ss;
  ss << f.rdbuf();
  const std::string readme = ss.str();
  const std::size_t begin = readme.find("<!-- metrics:begin -->");
  const std::size_t end = readme.find("<!-- metrics:end -->");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::set<std::string> listed;
  for (const std::string& l : Lines(readme.substr(begin, end - begin))) {
    if (l.rfind("| `nvgred_", 0) == 0) listed.insert(l.substr(3, l.find('`', 3) - 3));
  }
  std::set<std::string> exported;
  for (const std::string& l : Lines(PrometheusText(Example()))) {
    if (l.rfind("# TYPE ", 0) == 0) exported.insert(l.substr(7, l.find(' ', 7) - 7));
  }
  EXPECT_EQ(listed, exported);
}

TEST(StatsRegistry, LabelValuesAreEscaped) {
  StatsSnapshot s = Example();
  s.version = "a\"b\\c\nd";
  EXPECT_THAT(PrometheusText(s), HasSubstr("nvgred_build_info{version=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

}  // namespace
}  // namespace nvgre::daemon
