// nvgred's replica of the hardware_vtep tables (src/daemon/ovsdb/replica.h): rows written as
// ovsdb-server sends them (update2 <table-updates2>, ovsdb-server(7) §4.1.14) and the record
// layer, refusals and port bindings they must give, worked out by hand from the mapping in
// docs/ovsdb.md; a randomized run against an oracle that recomputes the records from the rows.
#include "daemon/ovsdb/replica.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

namespace nvgre::daemon::ovsdb {
namespace {

using json = nlohmann::json;

std::string U(int n) {  // a readable UUID
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-0000-0000-%012d", n);
  return buf;
}
json Ref(int n) { return json::array({"uuid", U(n)}); }
wire::MacAddress Mac(std::uint8_t last) { return {0x02, 0, 0, 0, 0x50, last}; }
virt::IpAddress Ip(const char* s) { return *virt::ParseIpAddress(s); }

LocalView View() {
  LocalView v;
  v.switch_name = "h1";
  v.addresses = {Ip("192.0.2.1")};
  return v;
}

class ReplicaTest : public ::testing::Test {
 protected:
  // One update2 notification with these <table-updates2>.
  void Update(const json& table_updates, bool replace = false) {
    const std::string text = json{{"method", "update2"}, {"params", json::array({"m", table_updates})}, {"id", nullptr}}.dump();
    Replica::Batch b = r.NewBatch();
    std::string error;
    ASSERT_TRUE(ParseMessage(text, b, &error)) << error;
    r.Apply(b, replace);
    layer = r.Publish();
  }
  static json Ls(int vsid) { return {{"insert", {{"name", "ls" + std::to_string(vsid)}, {"tunnel_key", vsid}}}}; }
  static json Loc(const char* ip, const char* encap = "nvgre_over_ipv4") {
    return {{"insert", {{"encapsulation_type", encap}, {"dst_ip", ip}}}};
  }
  static json Row(int ls, int loc, const char* mac, const char* ip = "") {
    return {{"insert", {{"MAC", mac}, {"logical_switch", Ref(ls)}, {"locator", Ref(loc)}, {"ipaddr", ip}}}};
  }
  // Where (vsid, mac) goes, or "" when it has no record.
  std::string Where(std::uint32_t vsid, const wire::MacAddress& mac) const {
    const std::uint32_t* p = layer->FindMac(vsid, mac);
    return p == nullptr ? "" : virt::FormatIpAddress(layer->providers()[*p]);
  }
  std::vector<std::string> Flood(std::uint32_t vsid) const {
    std::vector<std::string> out;
    for (const auto& s : layer->subnets()) {
      if (s.vsid != vsid) continue;
      for (const std::uint32_t p : s.flood_providers) out.push_back(virt::FormatIpAddress(layer->providers()[p]));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  bool HasSubnet(std::uint32_t vsid) const {
    return std::any_of(layer->subnets().begin(), layer->subnets().end(), [&](const auto& s) { return s.vsid == vsid; });
  }

  Replica r{View()};
  std::shared_ptr<const virt::RecordLayer> layer;
};

TEST_F(ReplicaTest, RemoteRowsBecomeRecordsAndSubnets) {
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.2")}, {U(11), Loc("2001:db8::3", "nvgre_over_ipv6")}}},
          {"Ucast_Macs_Remote",
           {{U(100), Row(1, 10, "02:00:00:00:50:02", "10.0.0.2")},
            {U(101), Row(1, 10, "02:00:00:00:50:02", "fd00::2")},
            {U(102), Row(1, 11, "02:00:00:00:50:03")}}}});
  EXPECT_EQ(Where(5001, Mac(2)), "192.0.2.2");
  EXPECT_EQ(Where(5001, Mac(3)), "2001:db8::3");
  EXPECT_EQ(Where(5002, Mac(2)), "");
  ASSERT_NE(layer->FindIp(5001, Ip("10.0.0.2")), nullptr);
  EXPECT_EQ(*layer->FindIp(5001, Ip("10.0.0.2")), Mac(2));
  EXPECT_EQ(*layer->FindIp(5001, Ip("fd00::2")), Mac(2));
  EXPECT_EQ(layer->records(), 2u);
  EXPECT_EQ(Flood(5001), (std::vector<std::string>{"192.0.2.2", "2001:db8::3"}));
  EXPECT_EQ(r.rows(TableId::kUcastMacsRemote), 3u);
}

TEST_F(ReplicaTest, OtherHostsLocalRowsAreRecordsOursAreOurs) {
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.1")}, {U(11), Loc("192.0.2.2")}}},
          {"Ucast_Macs_Local",
           {{U(100), Row(1, 10, "02:00:00:00:50:01", "10.0.0.1")}, {U(101), Row(1, 11, "02:00:00:00:50:02", "10.0.0.2")}}},
          {"Ucast_Macs_Remote", {{U(102), Row(1, 10, "02:00:00:00:50:05")}}}});
  EXPECT_EQ(Where(5001, Mac(1)), "");  // ours
  EXPECT_EQ(Where(5001, Mac(5)), "");  // a controller's row about us: not a record for us
  EXPECT_EQ(Where(5001, Mac(2)), "192.0.2.2");
  EXPECT_EQ(layer->FindIp(5001, Ip("10.0.0.1")), nullptr);
  EXPECT_EQ(r.Status()["own_rows"], 1);
  EXPECT_EQ(Flood(5001), std::vector<std::string>{"192.0.2.2"});
}

TEST_F(ReplicaTest, BadRowsAreRefusedByReasonAndTheRestApplies) {
  Update({{"Logical_Switch",
           {{U(1), Ls(5001)},
            {U(2), Ls(12)},
            {U(3), Ls(16777215)},
            {U(4), {{"insert", {{"name", "no-key"}}}}}}},
          {"Physical_Locator",
           {{U(10), Loc("192.0.2.2")},
            {U(11), Loc("192.0.2.3", "vxlan_over_ipv4")},
            {U(12), Loc("192.0.2.300")},
            {U(13), Loc("192.0.2.4", "nvgre_over_ipv6")},
            {U(14), Loc("192.0.2.5", "gre_over_carrier_pigeons")}}},
          {"Ucast_Macs_Remote",
           {{U(100), Row(1, 10, "02:00:00:00:50:01", "10.0.0.1")},   // good
            {U(101), Row(2, 10, "02:00:00:00:50:02")},               // VSID 12
            {U(102), Row(3, 10, "02:00:00:00:50:03")},               // VSID 16777215
            {U(103), Row(4, 10, "02:00:00:00:50:04")},               // no tunnel_key
            {U(104), Row(1, 10, "zz:00:00:00:50:05")},               // MAC
            {U(105), Row(1, 10, "01:00:5e:00:00:01")},               // multicast MAC
            {U(106), Row(1, 10, "02:00:00:00:50:07", "10.0.0.300")}, // IP
            {U(107), Row(1, 11, "02:00:00:00:50:08")},               // VXLAN locator
            {U(108), Row(1, 12, "02:00:00:00:50:09")},               // locator's dst_ip
            {U(109), Row(1, 13, "02:00:00:00:50:0a")},               // family mismatch
            {U(110), Row(1, 14, "02:00:00:00:50:0b")},               // unknown encapsulation
            {U(111), Row(99, 10, "02:00:00:00:50:0c")},              // dangling LS
            {U(112), Row(1, 98, "02:00:00:00:50:0d")},               // dangling locator
            {U(113), {{"insert", {{"MAC", 5}, {"logical_switch", Ref(1)}, {"locator", Ref(10)}}}}},  // schema type
            {U(114), Row(1, 10, "02:00:00:00:50:0f", "10.0.0.15")}}}});  // good
  EXPECT_EQ(layer->records(), 2u);
  EXPECT_EQ(Where(5001, Mac(1)), "192.0.2.2");
  EXPECT_EQ(Where(5001, Mac(0x0f)), "192.0.2.2");
  EXPECT_EQ(r.refused_now(Refusal::kVsidOutOfRange), 3u + 3u);  // 3 Logical_Switch rows + their 3 rows
  EXPECT_EQ(r.refused_now(Refusal::kBadMac), 2u);
  EXPECT_EQ(r.refused_now(Refusal::kBadIp), 1u + 2u + 2u);       // row 106; locators 12, 13 and their rows
  EXPECT_EQ(r.refused_now(Refusal::kUnknownEncapsulation), 2u + 2u);  // locators 11, 14 and their rows
  EXPECT_EQ(r.refused_now(Refusal::kDanglingReference), 2u);
  EXPECT_EQ(r.refused_total(Refusal::kMalformed), 1u);          // row 113 never got in
  EXPECT_EQ(r.rows(TableId::kUcastMacsRemote), 14u);
  EXPECT_TRUE(HasSubnet(5001));
  EXPECT_FALSE(HasSubnet(12));
  EXPECT_EQ(layer->subnets().size(), 1u);
  // Fixing a row brings it in; the gauges follow.
  Update({{"Ucast_Macs_Remote", {{U(104), {{"modify", {{"MAC", "02:00:00:00:50:05"}}}}}}}});
  EXPECT_EQ(Where(5001, Mac(5)), "192.0.2.2");
  EXPECT_EQ(r.refused_now(Refusal::kBadMac), 1u);
  EXPECT_EQ(r.refused_total(Refusal::kBadMac), 2u);
}

TEST_F(ReplicaTest, ReferencesResolveWhateverTheOrderAndFollowChanges) {
  Update({{"Ucast_Macs_Remote", {{U(100), Row(1, 10, "02:00:00:00:50:01", "10.0.0.1")}}}});
  EXPECT_EQ(layer->records(), 0u);
  EXPECT_EQ(r.refused_now(Refusal::kDanglingReference), 1u);
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}}, {"Physical_Locator", {{U(10), Loc("192.0.2.2")}}}});
  EXPECT_EQ(Where(5001, Mac(1)), "192.0.2.2");
  EXPECT_EQ(r.refused_now(Refusal::kDanglingReference), 0u);
  // tunnel_key is a set of 0..1 integers: the difference of {5001} and {5002} is both.
  Update({{"Logical_Switch", {{U(1), {{"modify", {{"tunnel_key", json::array({"set", json::array({5001, 5002})})}}}}}}}});
  EXPECT_EQ(Where(5001, Mac(1)), "");
  EXPECT_EQ(Where(5002, Mac(1)), "192.0.2.2");
  EXPECT_EQ(*layer->FindIp(5002, Ip("10.0.0.1")), Mac(1));
  EXPECT_FALSE(HasSubnet(5001));
  EXPECT_TRUE(HasSubnet(5002));
  Update({{"Logical_Switch", {{U(1), {{"delete", nullptr}}}}}});
  EXPECT_EQ(layer->records(), 0u);
  EXPECT_FALSE(HasSubnet(5002));
  EXPECT_EQ(r.refused_now(Refusal::kDanglingReference), 1u);
}

TEST_F(ReplicaTest, TheFirstClaimantStaysAndTheNextTakesOver) {
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.2")}, {U(11), Loc("192.0.2.3")}}},
          {"Ucast_Macs_Remote", {{U(100), Row(1, 10, "02:00:00:00:50:01", "10.0.0.1")}}}});
  Update({{"Ucast_Macs_Remote", {{U(101), Row(1, 11, "02:00:00:00:50:01", "10.0.0.1")},
                                 {U(102), Row(1, 11, "02:00:00:00:50:09", "10.0.0.1")}}}});
  EXPECT_EQ(Where(5001, Mac(1)), "192.0.2.2");
  EXPECT_EQ(*layer->FindIp(5001, Ip("10.0.0.1")), Mac(1));
  EXPECT_EQ(Where(5001, Mac(9)), "192.0.2.3");
  EXPECT_EQ(Flood(5001), (std::vector<std::string>{"192.0.2.2", "192.0.2.3"}));
  Update({{"Ucast_Macs_Remote", {{U(100), {{"delete", nullptr}}}}}});
  EXPECT_EQ(Where(5001, Mac(1)), "192.0.2.3");  // row 101 was waiting
  Update({{"Ucast_Macs_Remote", {{U(101), {{"delete", nullptr}}}}}});
  EXPECT_EQ(Where(5001, Mac(1)), "");
  EXPECT_EQ(*layer->FindIp(5001, Ip("10.0.0.1")), Mac(9));  // row 102's claim on the IP
  // A locator change of the row in force (a VM moved) updates its record in place.
  Update({{"Ucast_Macs_Remote", {{U(102), {{"modify", {{"locator", Ref(10)}}}}}}}});
  EXPECT_EQ(Where(5001, Mac(9)), "192.0.2.2");
  EXPECT_EQ(Flood(5001), std::vector<std::string>{"192.0.2.2"});
}

TEST_F(ReplicaTest, AFullResyncReplacesEverything) {
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.2")}}},
          {"Ucast_Macs_Remote", {{U(100), Row(1, 10, "02:00:00:00:50:01")}, {U(101), Row(1, 10, "02:00:00:00:50:02")}}}});
  const auto before = layer;
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.2")}}},
          {"Ucast_Macs_Remote", {{U(101), Row(1, 10, "02:00:00:00:50:02")}, {U(103), Row(1, 10, "02:00:00:00:50:03")}}}},
         /*replace=*/true);
  EXPECT_EQ(Where(5001, Mac(1)), "");
  EXPECT_EQ(Where(5001, Mac(2)), "192.0.2.2");
  EXPECT_EQ(Where(5001, Mac(3)), "192.0.2.2");
  EXPECT_EQ(r.rows(TableId::kUcastMacsRemote), 2u);
  // The version published before is untouched.
  EXPECT_NE(before->FindMac(5001, Mac(1)), nullptr);
  EXPECT_EQ(before->FindMac(5001, Mac(3)), nullptr);
}

TEST_F(ReplicaTest, AMalformedModifyDropsTheRowAndUnknownRowsAreCounted) {
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.2")}}},
          {"Ucast_Macs_Remote", {{U(100), Row(1, 10, "02:00:00:00:50:01")}}}});
  Update({{"Ucast_Macs_Remote", {{U(100), {{"modify", {{"locator", "not a reference"}}}}},
                                 {U(200), {{"modify", {{"MAC", "02:00:00:00:50:02"}}}}},
                                 {U(201), {{"delete", nullptr}}},
                                 {"not-a-uuid", Row(1, 10, "02:00:00:00:50:03")},
                                 {U(202), {{"insert", {{"MAC", "02:00:00:00:50:04"}}}, {"delete", nullptr}}}}}});
  EXPECT_EQ(layer->records(), 0u);
  EXPECT_EQ(r.rows(TableId::kUcastMacsRemote), 0u);
  EXPECT_EQ(r.refused_total(Refusal::kMalformed), 5u);
}

TEST_F(ReplicaTest, UnknownDestinationLocatorSetsAreFloodTargets) {
  Update({{"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.2")}, {U(11), Loc("192.0.2.9")}, {U(12), Loc("192.0.2.1")}}},
          {"Physical_Locator_Set", {{U(20), {{"insert", {{"locators", json::array({"set", json::array({Ref(11), Ref(12)})})}}}}}}},
          {"Mcast_Macs_Remote",
           {{U(30), {{"insert", {{"MAC", "unknown-dst"}, {"logical_switch", Ref(1)}, {"locator_set", Ref(20)}}}}}}},
          {"Ucast_Macs_Remote", {{U(100), Row(1, 10, "02:00:00:00:50:01")}}}});
  // 192.0.2.1 is ours: never a flood target.
  EXPECT_EQ(Flood(5001), (std::vector<std::string>{"192.0.2.2", "192.0.2.9"}));
  Update({{"Mcast_Macs_Remote", {{U(30), {{"delete", nullptr}}}}}});
  EXPECT_EQ(Flood(5001), std::vector<std::string>{"192.0.2.2"});
}

TEST_F(ReplicaTest, PortBindingsComeFromOurSwitchOnly) {
  Update({{"Logical_Switch", {{U(1), Ls(5001)}, {U(2), Ls(7000)}}},
          {"Physical_Switch",
           {{U(40), {{"insert", {{"name", "h1"}, {"ports", json::array({"set", json::array({Ref(50), Ref(51)})})}}}}},
            {U(41), {{"insert", {{"name", "h2"}, {"ports", Ref(52)}}}}}}},
          {"Physical_Port",
           {{U(50), {{"insert", {{"name", "tap1"}, {"vlan_bindings", json::array({"map", json::array({json::array({0, Ref(1)})})})}}}}},
            {U(51), {{"insert", {{"name", "tap2"}, {"vlan_bindings", json::array({"map", json::array({json::array({7, Ref(2)})})})}}}}},
            {U(52), {{"insert", {{"name", "tap3"}, {"vlan_bindings", json::array({"map", json::array({json::array({0, Ref(2)})})})}}}}}}}});
  EXPECT_EQ(r.PortBindings(), (std::map<std::string, std::uint32_t>{{"tap1", 5001}}));
  EXPECT_TRUE(r.PortsComplete());
  EXPECT_EQ(r.PortCondition(), json::parse(R"([["_uuid","==",["uuid","00000000-0000-0000-0000-000000000050"]],)"
                                           R"(["_uuid","==",["uuid","00000000-0000-0000-0000-000000000051"]]])"));
  // Rebinding (map difference: the changed pair with its new value).
  Update({{"Physical_Port", {{U(50), {{"modify", {{"vlan_bindings", json::array({"map", json::array({json::array({0, Ref(2)})})})}}}}}}}});
  EXPECT_EQ(r.PortBindings(), (std::map<std::string, std::uint32_t>{{"tap1", 7000}}));
}

TEST_F(ReplicaTest, PublishPlanForAnEmptyDatabaseAndNothingOnceItIsThere) {
  LocalView v = View();
  v.ports.push_back({.tap = "tapa", .mac = Mac(1), .ips = {Ip("10.0.0.1"), Ip("fd00::1")}, .vsid = 5001});
  v.ports.push_back({.tap = "tapz", .mac = Mac(9), .ips = {}, .vsid = 0});
  r.SetLocalView(v);
  Update(json::object());
  const auto ops = r.PlanPublish();
  ASSERT_TRUE(ops);
  std::vector<std::string> kinds;
  for (const json& op : *ops) kinds.push_back(op["op"].get<std::string>() + " " + op.value("table", std::string()));
  EXPECT_EQ(kinds, (std::vector<std::string>{"insert Physical_Locator", "insert Logical_Switch", "insert Physical_Port",
                                             "insert Physical_Port", "insert Physical_Switch", "insert Global",
                                             "insert Ucast_Macs_Local", "insert Ucast_Macs_Local", "comment "}));
  EXPECT_EQ((*ops)[0]["row"], json::parse(R"({"dst_ip":"192.0.2.1","encapsulation_type":"nvgre_over_ipv4"})"));
  EXPECT_EQ((*ops)[1]["row"]["tunnel_key"], 5001);
  EXPECT_EQ((*ops)[2]["row"]["vlan_bindings"], json::parse(R"(["map",[[0,["named-uuid","ls5001"]]]])"));
  EXPECT_EQ((*ops)[3]["row"]["vlan_bindings"], json::parse(R"(["map",[]])"));  // tapz: the database binds it
  EXPECT_EQ((*ops)[4]["row"]["tunnel_ips"], json::parse(R"(["set",["192.0.2.1"]])"));
  EXPECT_EQ((*ops)[6]["row"], json::parse(R"({"MAC":"02:00:00:00:50:01","ipaddr":"10.0.0.1",)"
                                          R"("locator":["named-uuid","loc"],"logical_switch":["named-uuid","ls5001"]})"));

  // The database as that transaction leaves it (with the server's UUIDs): nothing more to do.
  Update({{"Global", {{U(60), {{"insert", {{"switches", Ref(40)}}}}}}},
          {"Logical_Switch", {{U(1), Ls(5001)}}},
          {"Physical_Locator", {{U(10), Loc("192.0.2.1")}}},
          {"Physical_Switch",
           {{U(40), {{"insert", {{"name", "h1"}, {"tunnel_ips", "192.0.2.1"},
                                 {"other_config", json::array({"map", json::array({json::array({"nvgred-generation", "1"})})})},
                                 {"ports", json::array({"set", json::array({Ref(50), Ref(51)})})}}}}}}},
          {"Physical_Port",
           {{U(50), {{"insert", {{"name", "tapa"}, {"vlan_bindings", json::array({"map", json::array({json::array({0, Ref(1)})})})}}}}},
            {U(51), {{"insert", {{"name", "tapz"}}}}}}},
          {"Ucast_Macs_Local",
           {{U(100), Row(1, 10, "02:00:00:00:50:01", "10.0.0.1")}, {U(101), Row(1, 10, "02:00:00:00:50:01", "fd00::1")}}}});
  EXPECT_FALSE(r.PlanPublish()) << r.PlanPublish()->dump();
  // A controller binds tapz: its row is published, guarded by the generation.
  Update({{"Physical_Port", {{U(51), {{"modify", {{"vlan_bindings", json::array({"map", json::array({json::array({0, Ref(1)})})})}}}}}}}});
  const auto more = r.PlanPublish();
  ASSERT_TRUE(more);
  ASSERT_EQ(more->size(), 4u);
  EXPECT_EQ((*more)[0]["op"], "wait");
  EXPECT_EQ((*more)[0]["rows"][0]["other_config"], json::parse(R"(["map",[["nvgred-generation","1"]]])"));
  EXPECT_EQ((*more)[1]["row"], json::parse(R"({"MAC":"02:00:00:00:50:09","locator":["uuid","00000000-0000-0000-0000-000000000010"],)"
                                           R"("logical_switch":["uuid","00000000-0000-0000-0000-000000000001"]})"));
  EXPECT_EQ((*more)[2]["row"]["other_config"], json::parse(R"(["map",[["nvgred-generation","2"]]])"));
  // A port gone from the file: its Physical_Port leaves the switch, its rows are deleted.
  v.ports.pop_back();
  v.ports[0].ips.pop_back();
  r.SetLocalView(v);
  const auto fewer = r.PlanPublish();
  ASSERT_TRUE(fewer);
  std::vector<std::string> k2;
  for (const json& op : *fewer) k2.push_back(op["op"].get<std::string>() + " " + op.value("table", std::string()));
  EXPECT_EQ(k2, (std::vector<std::string>{"wait Physical_Switch", "mutate Physical_Switch", "delete Ucast_Macs_Local",
                                          "update Physical_Switch", "comment "}));
}

// Random rows against an oracle that recomputes the records from scratch: a (VSID, MAC) has a
// record iff some row in force claims it, and then its provider is one of those rows'; the
// flood list of a VSID is the set of providers of its records.
TEST_F(ReplicaTest, RandomUpdatesAgreeWithARecomputation) {
  std::mt19937 rng(3);
  struct RowState {
    int ls, loc, mac, ip;
  };
  std::map<int, RowState> rows;  // uuid number -> row
  const int kLs[] = {1, 2, 3};          // 5001, 5002, and 3 = VSID 77 (refused)
  const char* kLoc[] = {"192.0.2.2", "192.0.2.3", "192.0.2.1", "192.0.2.4"};  // 12: ours
  Update({{"Logical_Switch", {{U(1), Ls(5001)}, {U(2), Ls(5002)}, {U(3), Ls(77)}}},
          {"Physical_Locator", {{U(10), Loc(kLoc[0])}, {U(11), Loc(kLoc[1])}, {U(12), Loc(kLoc[2])}}}});
  auto mac_text = [](int m) {
    char b[32];
    std::snprintf(b, sizeof b, "02:00:00:00:50:%02x", m);
    return std::string(b);
  };
  for (int round = 0; round < 400; ++round) {
    json ucast = json::object();
    json locators = json::object();
    for (int k = 0; k < 5; ++k) {
      const int id = 100 + static_cast<int>(rng() % 40);
      const int action = static_cast<int>(rng() % 4);
      if (ucast.contains(U(id))) continue;
      if (rows.contains(id) && action == 0) {
        ucast[U(id)] = {{"delete", nullptr}};
        rows.erase(id);
      } else if (rows.contains(id) && action == 1) {
        RowState& s = rows[id];
        s.loc = 10 + static_cast<int>(rng() % 4);
        s.mac = static_cast<int>(rng() % 6) + 1;
        ucast[U(id)] = {{"modify", {{"locator", Ref(s.loc)}, {"MAC", mac_text(s.mac)}}}};
      } else if (!rows.contains(id)) {
        RowState s{kLs[rng() % 3], 10 + static_cast<int>(rng() % 4), static_cast<int>(rng() % 6) + 1,
                   static_cast<int>(rng() % 5)};
        rows[id] = s;
        const std::string ip = s.ip == 0 ? "" : "10.0.0." + std::to_string(s.ip);
        ucast[U(id)] = Row(s.ls, s.loc, mac_text(s.mac).c_str(), ip.c_str());
      }
    }
    if (round % 50 == 25) locators[U(13)] = Loc(kLoc[3]);  // a dangling locator appears...
    if (round % 50 == 45) locators[U(13)] = {{"delete", nullptr}};  // ... and goes
    json tu = {{"Ucast_Macs_Remote", ucast}};
    if (!locators.empty()) tu["Physical_Locator"] = locators;
    Update(tu);
    const bool loc13 = round % 50 >= 25 && round % 50 < 45;
    // The oracle.
    std::map<std::pair<std::uint32_t, int>, std::set<std::string>> want;
    for (const auto& [id, s] : rows) {
      if (s.ls == 3 || s.loc == 12 || (s.loc == 13 && !loc13)) continue;
      const std::uint32_t vsid = s.ls == 1 ? 5001 : 5002;
      want[{vsid, s.mac}].insert(s.loc == 13 ? kLoc[3] : kLoc[s.loc - 10]);
    }
    std::size_t n = 0;
    for (const std::uint32_t vsid : {5001u, 5002u}) {
      std::set<std::string> flood_want;
      for (int m = 1; m <= 6; ++m) {
        const std::string got = Where(vsid, Mac(static_cast<std::uint8_t>(m)));
        const auto it = want.find({vsid, m});
        if (it == want.end()) {
          EXPECT_EQ(got, "") << round;
        } else {
          EXPECT_TRUE(it->second.contains(got)) << round << " " << vsid << " " << m << " " << got;
          flood_want.insert(got);
          ++n;
        }
      }
      const auto flood = Flood(vsid);
      EXPECT_EQ(std::set<std::string>(flood.begin(), flood.end()), flood_want) << round;
    }
    ASSERT_EQ(layer->records(), n) << round;
    // (VSID, IP) -> the MAC of some row in force with that address.
    for (const std::uint32_t vsid : {5001u, 5002u}) {
      for (int a = 1; a <= 4; ++a) {
        std::set<int> owners;
        for (const auto& [id, s] : rows) {
          if (s.ls == 3 || s.loc == 12 || (s.loc == 13 && !loc13) || s.ip != a) continue;
          if ((s.ls == 1 ? 5001u : 5002u) == vsid) owners.insert(s.mac);
        }
        const wire::MacAddress* got = layer->FindIp(vsid, Ip(("10.0.0." + std::to_string(a)).c_str()));
        if (owners.empty()) {
          EXPECT_EQ(got, nullptr) << round;
        } else {
          ASSERT_NE(got, nullptr) << round;
          EXPECT_TRUE(owners.contains((*got)[5])) << round;
        }
      }
    }
  }
}

}  // namespace
}  // namespace nvgre::daemon::ovsdb
