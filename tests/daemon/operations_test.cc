// nvgred's operations helpers: `offload set` words and the VM side's offloads
// (offload_control.h), the reload difference (reload.h), the rate-limited drop log
// (drop_log.h) and the privileges drop (privileges.h, checked in a child process against
// /proc/self/status, the kernel's own account of it).
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/drop_log.h"
#include "daemon/offload_control.h"
#include "daemon/privileges.h"
#include "daemon/reload.h"
#include "nvgre/io/tap.h"

namespace nvgre::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using offload::OffloadParameters;

// ---- offload set ----------------------------------------------------------------------------

TEST(OffloadSet, WordsGiveTheNdisMemberValues) {
  // NDIS_OFFLOAD_PARAMETERS values (spec §8.3): checksum TX_ENABLED_RX_DISABLED 2,
  // RX_ENABLED_TX_DISABLED 3, TX_RX_ENABLED 4, TX_RX_DISABLED 1; LSO/RSC/USO DISABLED 1, ENABLED 2.
  const auto p = ParseOffloadAssignments({"lso-v2-ipv4=off", "udp-ipv4-checksum=tx", "tcp-ipv6-checksum=rx",
                                          "ipv4-checksum=on", "udp-ipv6-checksum=off", "uso-ipv6=on",
                                          "rsc-ipv4=no-change", "lso-v2-ipv6=2"});
  ASSERT_TRUE(p) << p.error();
  OffloadParameters want;
  want.lso_v2_ipv4 = 1;
  want.udp_ipv4_checksum = 2;
  want.tcp_ipv6_checksum = 3;
  want.ipv4_checksum = 4;
  want.udp_ipv6_checksum = 1;
  want.uso_ipv6 = 2;
  want.lso_v2_ipv6 = 2;
  EXPECT_EQ(*p, want);
  EXPECT_EQ(p->revision, 5);
}

TEST(OffloadSet, EncapOffloadOnAsksForGreMac) {
  auto p = ParseOffloadAssignments({"encap-offload=on"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->encapsulated_packet_task_offload, 1);  // NDIS_OFFLOAD_SET_ON
  EXPECT_EQ(p->encapsulation_types, 1);               // NDIS_ENCAPSULATION_TYPE_GRE_MAC
  p = ParseOffloadAssignments({"encap-offload=off"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->encapsulated_packet_task_offload, 2);  // NDIS_OFFLOAD_SET_OFF
  EXPECT_EQ(p->encapsulation_types, 0);
  p = ParseOffloadAssignments({"encap-offload=on", "encapsulation-types=2"});  // VXLAN, as asked
  ASSERT_TRUE(p);
  EXPECT_EQ(p->encapsulation_types, 2);
}

TEST(OffloadSet, BadWordsNameWhatIsWrong) {
  auto e = ParseOffloadAssignments({});
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error(), HasSubstr("expected KEY=VALUE... (keys: encap-offload, encapsulation-types,"));
  e = ParseOffloadAssignments({"lso=off"});
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error(), HasSubstr("'lso=off': expected KEY=VALUE with KEY one of encap-offload"));
  e = ParseOffloadAssignments({"lso-v2-ipv4"});
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error(), HasSubstr("'lso-v2-ipv4': expected KEY=VALUE"));
  e = ParseOffloadAssignments({"lso-v2-ipv4=tx"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), "offload set: lso-v2-ipv4: expected on, off, no-change or a number 0..255, got 'tx'");
  e = ParseOffloadAssignments({"tcp-ipv4-checksum=256"});
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error(), HasSubstr("tcp-ipv4-checksum: expected off, tx, rx, rxtx (or on), no-change"));
  e = ParseOffloadAssignments({"uso-ipv4=on", "uso-ipv4=off"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), "offload set: uso-ipv4 given twice");
  // Values the adapter will refuse (NDIS_STATUS_INVALID_DATA) still parse: the OID decides.
  e = ParseOffloadAssignments({"lso-v2-ipv4=7"});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->lso_v2_ipv4, 7);
}

// The adapter nvgred brings up (daemon.cc: OID_OFFLOAD_ENCAPSULATION for both versions,
// NVGRE task offload ON / GRE_MAC), then one OID.
std::shared_ptr<const offload::AdapterConfig> After(std::vector<std::string> words) {
  offload::Adapter a;
  EXPECT_EQ(a.SetOffloadEncapsulation(offload::OffloadEncapsulation::Ethernet()), offload::NdisStatus::kSuccess);
  OffloadParameters on;
  on.encapsulated_packet_task_offload = offload::kNdisOffloadSetOn;
  on.encapsulation_types = offload::kNdisEncapsulationTypeGreMac;
  EXPECT_EQ(a.SetOffloadParameters(on), offload::NdisStatus::kSuccess);
  if (!words.empty()) {
    const auto p = ParseOffloadAssignments(words);
    EXPECT_TRUE(p);
    EXPECT_EQ(a.SetOffloadParameters(*p), offload::NdisStatus::kSuccess);
  }
  return a.Snapshot();
}

TEST(TapOffloads, FollowTheAdapter) {
  constexpr unsigned kAll = io::kTunFCsum | io::kTunFTso4 | io::kTunFTso6 | io::kTunFUso4 | io::kTunFUso6;
  EXPECT_EQ(TapOffloadsFor(*After({})), kAll);
  EXPECT_EQ(TapOffloadsFor(*After({"lso-v2-ipv4=off"})), kAll & ~io::kTunFTso4);
  EXPECT_EQ(TapOffloadsFor(*After({"lso-v2-ipv6=off"})), kAll & ~io::kTunFTso6);
  // USO is offered for both versions or neither (the kernel takes the two together).
  EXPECT_EQ(TapOffloadsFor(*After({"uso-ipv4=off"})), io::kTunFCsum | io::kTunFTso4 | io::kTunFTso6);
  // Any Tx L4 checksum off: no partial checksums at all, hence no segmentation either.
  EXPECT_EQ(TapOffloadsFor(*After({"udp-ipv6-checksum=rx"})), 0u);
  EXPECT_EQ(TapOffloadsFor(*After({"tcp-ipv4-checksum=off"})), 0u);
  // Receive-only changes leave the VM's transmit side alone.
  EXPECT_EQ(TapOffloadsFor(*After({"tcp-ipv4-checksum=tx", "udp-ipv4-checksum=tx"})), kAll);
  // NVGRE task offload off: nothing encapsulated is offloaded, the VM sends plain frames.
  EXPECT_EQ(TapOffloadsFor(*After({"encap-offload=off"})), 0u);
  // An adapter that was never told OID_OFFLOAD_ENCAPSULATION / NVGRE task offload: nothing.
  EXPECT_EQ(TapOffloadsFor(*offload::Adapter().Snapshot()), 0u);
}

TEST(TapOffloads, Names) {
  EXPECT_EQ(TapOffloadNames(0), "none");
  EXPECT_EQ(TapOffloadNames(io::kTunFCsum | io::kTunFTso6 | io::kTunFUso4), "csum,tso6,uso4");
}

// ---- reload ---------------------------------------------------------------------------------

SubnetEntry Subnet(std::uint32_t vsid) {
  SubnetEntry s;
  s.vsid = vsid;
  return s;
}

PortEntry Port(std::string tap, std::string netns, std::uint32_t vsid, std::uint8_t mac_last) {
  PortEntry p;
  p.tap = std::move(tap);
  p.netns = std::move(netns);
  p.vsid = vsid;
  p.mac = {2, 0, 0, 0, 0, mac_last};
  return p;
}

Config Base() {
  Config c;
  c.file = "t.toml";
  c.underlay.ipv4 = wire::Ipv4Address{192, 0, 2, 1};
  c.subnets = {Subnet(5001), Subnet(5002)};
  c.ports = {Port("a", "vm-a", 5001, 1), Port("b", "", 5002, 2)};
  LookupEntry l;
  l.vsid = 5001;
  l.mac = {2, 0, 0, 0, 1, 1};
  l.provider = wire::Ipv4Address{192, 0, 2, 2};
  c.lookups = {l};
  return c;
}

TEST(ConfigDiff, SameConfigurationIsEmpty) {
  Config next = Base();
  next.ports[0].where = {40, 1};  // positions do not matter
  const ConfigDiff d = DiffConfigs(Base(), next);
  EXPECT_TRUE(d.empty()) << d.Summary();
  EXPECT_EQ(d.Summary(), "ports +0 -0 ~0, lookup records +0 -0, subnets +0 -0 ~0");
}

TEST(ConfigDiff, PortsAddedRemovedReplacedUpdated) {
  Config next = Base();
  next.ports[0].ips = {wire::Ipv4Address{10, 0, 0, 1}};  // a: addresses change in place
  next.ports[1].mac = {2, 0, 0, 0, 0, 3};                   // b: its TAP's MAC: replaced
  next.ports.push_back(Port("c", "", 5001, 4));
  ConfigDiff d = DiffConfigs(Base(), next);
  EXPECT_THAT(d.removed, ElementsAre("b"));
  ASSERT_EQ(d.added.size(), 2u);
  EXPECT_EQ(d.added[0].tap, "b");
  EXPECT_EQ(d.added[1].tap, "c");
  ASSERT_EQ(d.updated.size(), 1u);
  EXPECT_EQ(d.updated[0].tap, "a");
  EXPECT_TRUE(d.restart_required.empty());
  EXPECT_EQ(d.Summary(), "ports +2 -1 ~1, lookup records +0 -0, subnets +0 -0 ~0");

  next = Base();
  next.ports.erase(next.ports.begin());
  next.ports[0].vsid = 5001;  // b moves to another VSID: in place
  next.ports.push_back(Port("a", "vm-other", 5001, 1));
  d = DiffConfigs(Base(), next);
  EXPECT_THAT(d.removed, ElementsAre("a"));  // netns changed: replaced
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].netns, "vm-other");
  ASSERT_EQ(d.updated.size(), 1u);
  EXPECT_EQ(d.updated[0].vsid, 5001u);

  next = Base();
  next.ports[1].mtu = 1400;  // differs from the derived 1458: replaced
  d = DiffConfigs(Base(), next);
  EXPECT_THAT(d.removed, ElementsAre("b"));
  next.ports[1].mtu = 1458;  // the derived value written out: the same TAP
  EXPECT_TRUE(DiffConfigs(Base(), next).empty());
}

TEST(ConfigDiff, RecordsSubnetsAndSettings) {
  Config next = Base();
  next.lookups[0].provider = wire::Ipv4Address{192, 0, 2, 3};  // the old record goes, ...
  next.lookups.push_back(next.lookups[0]);  // ... the new one comes twice (a multiset)
  next.subnets.erase(next.subnets.begin() + 1);
  next.subnets.push_back(Subnet(5003));
  next.underlay.ttl = 32;
  next.underlay.flow_id_mode = FlowIdMode::kAuto;
  next.daemon.log_level = ConfigLogLevel::kDebug;
  next.daemon.drop_log_interval = 5;
  const ConfigDiff d = DiffConfigs(Base(), next);
  EXPECT_EQ(d.lookups_added, 2u);
  EXPECT_EQ(d.lookups_removed, 1u);
  EXPECT_EQ(d.subnets_added, 1u);
  EXPECT_EQ(d.subnets_removed, 1u);
  EXPECT_THAT(d.settings_changed,
              ElementsAre("daemon.log_level", "daemon.drop_log_interval", "underlay.flow_id", "underlay.ttl"));
  EXPECT_TRUE(d.restart_required.empty());
  EXPECT_EQ(d.Summary(),
            "ports +0 -0 ~0, lookup records +2 -1, subnets +1 -1 ~0, settings: daemon.log_level "
            "daemon.drop_log_interval underlay.flow_id underlay.ttl");
}

TEST(ConfigDiff, WhatTakesARestart) {
  Config next = Base();
  next.daemon.workers = 4;
  next.daemon.user = "nobody";
  next.underlay.mtu = 9000;
  next.underlay.ipv6 = wire::Ipv6Address{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  next.underlay.interface = "eth1";
  next.control.socket = "/run/other.sock";
  next.control.group = "adm";
  next.metrics.listen = MetricsSection::Listen{wire::Ipv4Address{127, 0, 0, 1}, 9469};
  next.subnets[0].multicast_group = wire::Ipv4Address{239, 1, 1, 1};
  const ConfigDiff d = DiffConfigs(Base(), next);
  EXPECT_THAT(d.restart_required,
              ElementsAre("daemon.workers: auto -> 4", "daemon.user: \"\" -> \"nobody\"",
                          "underlay.address: 192.0.2.1 -> 192.0.2.1, 2001:db8::1", "underlay.mtu: 1500 -> 9000",
                          "underlay.interface: \"\" -> \"eth1\"",
                          "control.socket: \"/run/nvgred/nvgred.sock\" -> \"/run/other.sock\"",
                          "control.group: \"\" -> \"adm\"", "metrics.listen: off -> 127.0.0.1:9469",
                          "subnet[].multicast (the groups joined): none -> 239.1.1.1"));
  // Two subnets trading their groups join nothing new: live.
  Config a = Base(), b = Base();
  a.subnets[0].multicast_group = wire::Ipv4Address{239, 1, 1, 1};
  a.subnets[1].multicast_group = wire::Ipv4Address{239, 1, 1, 2};
  b.subnets[0].multicast_group = wire::Ipv4Address{239, 1, 1, 2};
  b.subnets[1].multicast_group = wire::Ipv4Address{239, 1, 1, 1};
  const ConfigDiff swap = DiffConfigs(a, b);
  EXPECT_TRUE(swap.restart_required.empty());
  EXPECT_EQ(swap.subnets_changed, 2u);
}

// [policy]: the OVSDB connection takes a restart; a file without [policy] changes nothing there.
TEST(ConfigDiff, PolicyKeysTakeARestart) {
  Config a = Base();
  a.policy.ovsdb = {"unix:/run/ovsdb/s1.sock"};
  a.policy.switch_name = "h1";
  Config b = a;
  b.policy.ovsdb.push_back("tcp:192.0.2.10:6641");
  b.policy.switch_name = "h2";
  b.policy.publish = false;
  b.policy.inactivity_probe_ms = 0;
  const ConfigDiff d = DiffConfigs(a, b);
  EXPECT_THAT(d.restart_required,
              ElementsAre("policy.ovsdb: [\"unix:/run/ovsdb/s1.sock\"] -> [\"unix:/run/ovsdb/s1.sock\", "
                          "\"tcp:192.0.2.10:6641\"]",
                          "policy.switch: \"h1\" -> \"h2\"", "policy.publish: true -> false",
                          "policy.inactivity_probe: 5000 -> 0"));
  EXPECT_TRUE(DiffConfigs(a, a).empty());
}

// ---- drop log -------------------------------------------------------------------------------

TEST(DropLog, OneLinePerReasonPerIntervalAndTheCountsAddUp) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const DropLog::Clock::time_point t0{};
  DropLog log(3, seconds(10), t0);
  std::vector<std::uint64_t> totals{0, 0, 0};
  EXPECT_TRUE(log.Update(totals, t0 + seconds(1)).empty());
  // A flood on reason 1: the first second gets one line, the next nine none.
  std::uint64_t logged = 0;
  std::size_t lines = 0;
  for (int s = 1; s <= 30; ++s) {
    totals[1] += 100000;
    for (const DropLog::Line& l : log.Update(totals, t0 + seconds(1 + s))) {
      EXPECT_EQ(l.reason, 1u);
      logged += l.count;
      ++lines;
    }
  }
  EXPECT_EQ(lines, 3u);  // at 2 s, 12 s, 22 s
  // Quiet afterwards: the rest comes out once the interval since the last line has passed.
  const auto late = log.Update(totals, t0 + seconds(40));
  ASSERT_EQ(late.size(), 1u);
  logged += late[0].count;
  EXPECT_DOUBLE_EQ(late[0].seconds, 18.0);
  EXPECT_EQ(logged, totals[1]);
  EXPECT_TRUE(log.Update(totals, t0 + seconds(100)).empty());
  // Each reason has its own budget.
  totals[0] = 1;
  totals[2] = 2;
  const auto both = log.Update(totals, t0 + seconds(100) + milliseconds(1));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].reason, 0u);
  EXPECT_EQ(both[0].count, 1u);
  EXPECT_EQ(both[1].reason, 2u);
  EXPECT_EQ(both[1].count, 2u);
}

// ---- privileges -----------------------------------------------------------------------------

std::map<std::string, std::string> StatusOf(const std::string& text) {
  std::map<std::string, std::string> m;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string v = line.substr(colon + 1);
    const std::size_t b = v.find_first_not_of(" \t");
    v = b == std::string::npos ? "" : v.substr(b);
    m[line.substr(0, colon)] = v;
  }
  return m;
}

// Runs DropPrivileges in a child (it changes the process for good) and returns the child's
// /proc/self/status, or the error.
std::string InChild(const Account* account) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return "pipe";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    std::string out = DropPrivileges(account);
    if (out.empty()) {
      std::ifstream f("/proc/self/status");
      out.assign(std::istreambuf_iterator<char>(f), {});
    } else {
      out = "error: " + out;
    }
    [[maybe_unused]] const ssize_t w = ::write(pipefd[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return text;
}

TEST(Privileges, RootKeepsOnlyNetAdmin) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  const auto s = StatusOf(InChild(nullptr));
  // CAP_NET_ADMIN is capability 12 (linux/capability.h): 1 << 12 = 0x1000.
  EXPECT_EQ(s.at("CapEff"), "0000000000001000");
  EXPECT_EQ(s.at("CapPrm"), "0000000000001000");
  EXPECT_EQ(s.at("CapBnd"), "0000000000001000");
  EXPECT_EQ(s.at("CapInh"), "0000000000000000");
  EXPECT_EQ(s.at("CapAmb"), "0000000000000000");
  EXPECT_EQ(s.at("Uid"), "0\t0\t0\t0");
}

TEST(Privileges, BecomesTheUserWithNetAdminAndNoGroups) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto r = ResolveUser("65534");
  ASSERT_TRUE(std::holds_alternative<Account>(r));
  const Account a = std::get<Account>(r);
  EXPECT_EQ(a.uid, 65534u);
  const auto s = StatusOf(InChild(&a));
  EXPECT_EQ(s.at("Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(s.at("Gid"), std::to_string(a.gid) + "\t" + std::to_string(a.gid) + "\t" + std::to_string(a.gid) +
                             "\t" + std::to_string(a.gid));
  EXPECT_EQ(s.at("Groups"), "");
  EXPECT_EQ(s.at("CapEff"), "0000000000001000");
  EXPECT_EQ(s.at("CapPrm"), "0000000000001000");
  EXPECT_EQ(s.at("CapBnd"), "0000000000001000");
  EXPECT_EQ(s.at("CapAmb"), "0000000000000000");
}

TEST(Privileges, UnknownNamesAreErrors) {
  auto u = ResolveUser("no-such-user-nvgred");
  ASSERT_TRUE(std::holds_alternative<std::string>(u));
  EXPECT_EQ(std::get<std::string>(u), "daemon.user: no such user 'no-such-user-nvgred'");
  auto g = ResolveGroup("no-such-group-nvgred");
  ASSERT_TRUE(std::holds_alternative<std::string>(g));
  EXPECT_EQ(std::get<std::string>(g), "control.group: no such group 'no-such-group-nvgred'");
  auto root = ResolveGroup("root");
  ASSERT_TRUE(std::holds_alternative<gid_t>(root));
  EXPECT_EQ(std::get<gid_t>(root), 0u);
  EXPECT_EQ(std::get<gid_t>(ResolveGroup("4242")), 4242u);
}

}  // namespace
}  // namespace nvgre::daemon
