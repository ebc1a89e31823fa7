// nvgred's configuration (src/daemon/config.h): known-good files parse to the exact values, and
// every rejection rule gives one error at the exact line, column and key, with what was expected.
// Positions are counted by hand from the test texts (1-based; columns in characters); expected
// addresses are written as bytes, not through ParseIpAddress.
#include "daemon/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace nvgre::daemon {
namespace {

using ::testing::HasSubstr;
using virt::IpAddress;

// The text: one string per line, each ending with '\n' (line N is lines[N-1]).
std::string Lines(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (const std::string_view l : lines) {
    out += l;
    out += '\n';
  }
  return out;
}

IpAddress V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return wire::Ipv4Address{a, b, c, d};
}
IpAddress Fd00(std::uint8_t last) {  // fd00::<last>
  return wire::Ipv6Address{0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
}
wire::Ipv6Address Db8(std::uint8_t last) {  // 2001:db8::<last>
  return wire::Ipv6Address{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
}

struct Want {
  std::uint32_t line;
  std::uint32_t column;
  std::string key;
  std::string fragment;  // a part of the message
};

// Exactly these errors, in this order.
::testing::AssertionResult Rejects(std::string_view text, const std::vector<Want>& want) {
  const ConfigResult r = ParseConfig(text, "t.toml");
  std::ostringstream all;
  for (const ConfigError& e : r.errors) all << "\n  " << e.ToString();
  if (r.config) return ::testing::AssertionFailure() << "accepted; errors:" << all.str();
  if (r.errors.size() != want.size()) {
    return ::testing::AssertionFailure()
           << r.errors.size() << " errors, want " << want.size() << ":" << all.str();
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    const ConfigError& e = r.errors[i];
    const Want& w = want[i];
    if (e.file != "t.toml" || e.where.line != w.line || e.where.column != w.column || e.key != w.key ||
        e.message.find(w.fragment) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "error " << i << " is " << e.ToString() << "\n  want t.toml:" << w.line << ":" << w.column
             << ": " << w.key << ": ..." << w.fragment << "...\n  all:" << all.str();
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Rejects(std::string_view text, Want want) {
  return Rejects(text, std::vector<Want>{std::move(want)});
}

Config Accepts(std::string_view text) {
  ConfigResult r = ParseConfig(text, "t.toml");
  for (const ConfigError& e : r.errors) ADD_FAILURE() << e.ToString();
  EXPECT_TRUE(r.config.has_value());
  return r.config.value_or(Config{});
}

// Lines 1-4 of most rejection tests: an IPv4 underlay and VSID 5001.
constexpr std::string_view kUnderlay = "[underlay]";
constexpr std::string_view kAddress = "address = \"192.0.2.1\"";
constexpr std::string_view kSubnet = "[[subnet]]";
constexpr std::string_view kVsid5001 = "vsid = 5001";

// ---- known-good files ---------------------------------------------------------------------

// The example of the issue, exactly as written there.
constexpr std::string_view kIssueExample = R"([underlay]
address = "192.0.2.1"        # this host's provider address (IPv4 or IPv6; a list: one per family)
mtu = 1500                   # underlay MTU; TAP MTUs follow from it
# interface = "eth1"         # optional: AF_PACKET on this interface instead of raw IP sockets
# flow_id = 0                # 0 (default) or "auto"

[control]
socket = "/run/nvgred/nvgred.sock"   # default; `nvgred ctl --socket PATH ...` talks to it

[[subnet]]
vsid = 5001
# flood = "unicast"          # default head-end replication; or multicast = "239.1.1.1"

[[port]]
tap = "nvtap1"               # created if absent
netns = "vm1"                # optional: the TAP is moved into this network namespace
vsid = 5001
mac = "02:00:00:00:50:01"
ip = "10.0.0.1"              # one address or a list (IPv4 and/or IPv6)

[[lookup]]                   # a remote customer address -> its provider address
vsid = 5001
mac = "02:00:00:00:50:02"
ip = "10.0.0.2"              # one address or a list
provider = "192.0.2.2"
)";

TEST(ConfigParse, IssueExampleGivesExactValues) {
  const Config c = Accepts(kIssueExample);
  EXPECT_EQ(c.file, "t.toml");
  EXPECT_EQ(c.daemon.workers, 0u);
  EXPECT_EQ(c.daemon.log_level, ConfigLogLevel::kInfo);
  EXPECT_EQ(c.underlay.ipv4, (wire::Ipv4Address{192, 0, 2, 1}));
  EXPECT_FALSE(c.underlay.ipv6);
  EXPECT_EQ(c.underlay.mtu, 1500u);
  EXPECT_EQ(c.underlay.interface, "");
  EXPECT_EQ(c.underlay.flow_id_mode, FlowIdMode::kFixed);
  EXPECT_EQ(c.underlay.flow_id, 0);
  EXPECT_EQ(c.underlay.ttl, 64);
  EXPECT_EQ(c.underlay.where.line, 1u);
  EXPECT_EQ(c.underlay.where.column, 1u);
  EXPECT_EQ(c.control.socket, "/run/nvgred/nvgred.sock");

  ASSERT_EQ(c.subnets.size(), 1u);
  EXPECT_EQ(c.subnets[0].vsid, 5001u);
  EXPECT_EQ(c.subnets[0].flood, FloodMode::kUnicast);
  EXPECT_FALSE(c.subnets[0].multicast_group);
  EXPECT_EQ(c.subnets[0].where.line, 10u);

  ASSERT_EQ(c.ports.size(), 1u);
  const PortEntry& p = c.ports[0];
  EXPECT_EQ(p.tap, "nvtap1");
  EXPECT_EQ(p.netns, "vm1");
  EXPECT_EQ(p.vsid, 5001u);
  EXPECT_EQ(p.mac, (wire::MacAddress{0x02, 0, 0, 0, 0x50, 0x01}));
  EXPECT_EQ(p.ips, (std::vector<IpAddress>{V4(10, 0, 0, 1)}));
  EXPECT_EQ(p.mtu, 0u);
  EXPECT_EQ(c.PortMtu(p), 1458u);  // 1500 - outer IPv4 20 - GRE 8 - inner Ethernet 14
  EXPECT_EQ(p.where.line, 14u);

  ASSERT_EQ(c.lookups.size(), 1u);
  const LookupEntry& l = c.lookups[0];
  EXPECT_EQ(l.vsid, 5001u);
  EXPECT_EQ(l.mac, (wire::MacAddress{0x02, 0, 0, 0, 0x50, 0x02}));
  EXPECT_EQ(l.ips, (std::vector<IpAddress>{V4(10, 0, 0, 2)}));
  EXPECT_EQ(l.provider, V4(192, 0, 2, 2));
  EXPECT_EQ(l.where.line, 21u);
  EXPECT_EQ(l.where.column, 1u);
}

TEST(ConfigParse, EveryKeyGivesExactValues) {
  const Config c = Accepts(Lines({
      "[daemon]",
      "workers = 4",
      "log_level = \"debug\"",
      "[underlay]",
      "address = [\"2001:db8::1\", \"192.0.2.1\"]",
      "mtu = 9000",
      "interface = \"eth1\"",
      "flow_id = \"auto\"",
      "ttl = 32",
      "[control]",
      "socket = \"/tmp/nvgred-test.sock\"",
      "[[subnet]]",
      "vsid = 4096",
      "multicast = \"239.1.1.1\"",
      "[[subnet]]",
      "vsid = 16777214",
      "flood = \"multicast\"",
      "multicast = \"ff05::1:3\"",
      "[[subnet]]",
      "vsid = 5001",
      "flood = \"unicast\"",
      "[[port]]",
      "tap = \"a.b-c_D9xxxxxxx\"",  // 15 bytes
      "netns = \"tenant-1\"",
      "vsid = 4096",
      "mac = \"02-00-00-00-50-0A\"",
      "ip = []",
      "mtu = 68",
      "[[lookup]]",
      "vsid = 16777214",
      "mac = \"0a:00:00:00:50:02\"",
      "ip = [\"fd00::2\", \"10.0.0.2\"]",
      "provider = \"2001:db8::2\"",
      "[[lookup]]",
      "vsid = 4096",
      "mac = \"0a:00:00:00:50:03\"",
      "provider = \"192.0.2.3\"",
  }));
  EXPECT_EQ(c.daemon.workers, 4u);
  EXPECT_EQ(c.daemon.log_level, ConfigLogLevel::kDebug);
  EXPECT_EQ(c.underlay.ipv4, (wire::Ipv4Address{192, 0, 2, 1}));
  EXPECT_EQ(c.underlay.ipv6, Db8(1));
  EXPECT_EQ(c.underlay.mtu, 9000u);
  EXPECT_EQ(c.underlay.interface, "eth1");
  EXPECT_EQ(c.underlay.flow_id_mode, FlowIdMode::kAuto);
  EXPECT_EQ(c.underlay.ttl, 32);
  EXPECT_EQ(c.control.socket, "/tmp/nvgred-test.sock");
  ASSERT_EQ(c.subnets.size(), 3u);
  EXPECT_EQ(c.subnets[0].vsid, 4096u);
  EXPECT_EQ(c.subnets[0].flood, FloodMode::kMulticast);  // multicast = ... implies it
  EXPECT_EQ(c.subnets[0].multicast_group, V4(239, 1, 1, 1));
  EXPECT_EQ(c.subnets[1].vsid, 16777214u);
  EXPECT_EQ(c.subnets[1].flood, FloodMode::kMulticast);
  EXPECT_EQ(c.subnets[1].multicast_group,
            IpAddress(wire::Ipv6Address{0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3}));
  EXPECT_EQ(c.subnets[2].flood, FloodMode::kUnicast);
  EXPECT_FALSE(c.subnets[2].multicast_group);
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].tap, "a.b-c_D9xxxxxxx");
  EXPECT_EQ(c.ports[0].netns, "tenant-1");
  EXPECT_EQ(c.ports[0].mac, (wire::MacAddress{0x02, 0, 0, 0, 0x50, 0x0a}));
  EXPECT_TRUE(c.ports[0].ips.empty());
  EXPECT_EQ(c.ports[0].mtu, 68u);
  EXPECT_EQ(c.PortMtu(c.ports[0]), 68u);
  EXPECT_EQ(c.DefaultPortMtu(), 8938u);  // 9000 - outer IPv6 40 - GRE 8 - inner Ethernet 14
  ASSERT_EQ(c.lookups.size(), 2u);
  EXPECT_EQ(c.lookups[0].mac, (wire::MacAddress{0x0a, 0, 0, 0, 0x50, 0x02}));
  EXPECT_EQ(c.lookups[0].ips, (std::vector<IpAddress>{Fd00(2), V4(10, 0, 0, 2)}));
  EXPECT_EQ(c.lookups[0].provider, IpAddress(Db8(2)));
  EXPECT_TRUE(c.lookups[1].ips.empty());
  EXPECT_EQ(c.lookups[1].provider, V4(192, 0, 2, 3));
  EXPECT_EQ(c.lookups[1].where.line, 34u);
}

TEST(ConfigParse, DefaultsAndBoundaryValues) {
  const Config min = Accepts(Lines({kUnderlay, kAddress}));
  EXPECT_EQ(min.underlay.mtu, 1500u);
  EXPECT_EQ(min.underlay.ttl, 64);
  EXPECT_EQ(min.control.socket, "/run/nvgred/nvgred.sock");
  EXPECT_EQ(min.control.group, "");
  EXPECT_EQ(min.daemon.user, "");
  EXPECT_EQ(min.daemon.drop_log_interval, 60u);
  EXPECT_FALSE(min.metrics.listen);
  EXPECT_TRUE(min.subnets.empty() && min.ports.empty() && min.lookups.empty());

  const Config lo =
      Accepts(Lines({"[daemon]", "workers = 1", kUnderlay, kAddress, "mtu = 576", "flow_id = 0", "ttl = 1"}));
  EXPECT_EQ(lo.daemon.workers, 1u);
  EXPECT_EQ(lo.underlay.mtu, 576u);
  EXPECT_EQ(lo.DefaultPortMtu(), 534u);  // 576 - 42
  EXPECT_EQ(lo.underlay.ttl, 1);
  const Config hi = Accepts(
      Lines({"[daemon]", "workers = 256", kUnderlay, kAddress, "mtu = 65535", "flow_id = 255", "ttl = 255"}));
  EXPECT_EQ(hi.daemon.workers, 256u);
  EXPECT_EQ(hi.underlay.mtu, 65535u);
  EXPECT_EQ(hi.underlay.flow_id_mode, FlowIdMode::kFixed);
  EXPECT_EQ(hi.underlay.flow_id, 255);
  EXPECT_EQ(hi.underlay.ttl, 255);
  const Config v6 = Accepts(Lines({kUnderlay, "address = \"2001:db8::1\"", "mtu = 1280"}));
  EXPECT_EQ(v6.underlay.ipv6, Db8(1));
  EXPECT_FALSE(v6.underlay.ipv4);
  EXPECT_EQ(v6.DefaultPortMtu(), 1218u);  // 1280 - 62

  // The socket path fills sun_path[108] with its NUL at 107 bytes.
  const std::string path107 = "/" + std::string(106, 's');
  EXPECT_EQ(Accepts(Lines({kUnderlay, kAddress, "[control]", "socket = \"" + path107 + "\""})).control.socket,
            path107);
}

// The operational keys: the user nvgred runs as, the control socket's group, the metrics
// endpoint and the drop log's rate.
TEST(ConfigParse, OperationKeysGiveExactValues) {
  const Config c = Accepts(Lines({"[daemon]", "user = \"nvgred\"", "drop_log_interval = 1", kUnderlay,
                                  kAddress, "[control]", "group = \"_net-ops.1$\"", "[metrics]",
                                  "listen = \"127.0.0.1:9469\""}));
  EXPECT_EQ(c.daemon.user, "nvgred");
  EXPECT_EQ(c.daemon.drop_log_interval, 1u);
  EXPECT_EQ(c.control.group, "_net-ops.1$");
  ASSERT_TRUE(c.metrics.listen);
  EXPECT_EQ(c.metrics.listen->address, V4(127, 0, 0, 1));
  EXPECT_EQ(c.metrics.listen->port, 9469);

  const Config n = Accepts(Lines({"[daemon]", "user = \"65534\"", "drop_log_interval = 86400", kUnderlay,
                                  kAddress, "[control]", "group = \"4294967294\"", "[metrics]",
                                  "listen = \"[::1]:65535\""}));
  EXPECT_EQ(n.daemon.user, "65534");
  EXPECT_EQ(n.daemon.drop_log_interval, 86400u);
  EXPECT_EQ(n.control.group, "4294967294");
  ASSERT_TRUE(n.metrics.listen);
  EXPECT_EQ(n.metrics.listen->address, IpAddress(wire::Ipv6Address{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(n.metrics.listen->port, 65535);
  // Any address of this host, and a 32-byte name.
  EXPECT_EQ(Accepts(Lines({kUnderlay, kAddress, "[metrics]", "listen = \"0.0.0.0:1\""})).metrics.listen->port, 1);
  const std::string name32(32, 'u');
  EXPECT_EQ(Accepts(Lines({"[daemon]", "user = \"" + name32 + "\"", kUnderlay, kAddress})).daemon.user, name32);
}

TEST(ConfigReject, OperationKeys) {
  for (const std::string& u : {std::string(""), std::string("9lives"), std::string("a b"), std::string("a/b"),
                               std::string(33, 'u'), std::string("4294967295"), std::string("-root")}) {
    EXPECT_TRUE(Rejects(Lines({"[daemon]", "user = \"" + u + "\"", kUnderlay, kAddress}),
                        {2, 8, "daemon.user", "expected a user name (1..32 bytes"}))
        << u;
  }
  EXPECT_TRUE(Rejects(Lines({"[daemon]", "user = 0", kUnderlay, kAddress}),
                      {2, 8, "daemon.user", "or a numeric uid, got 0"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[control]", "group = \"wheel:x\""}),
                      {4, 9, "control.group", "expected a group name (1..32 bytes"}));
  for (const int i : {0, 86401}) {
    EXPECT_TRUE(Rejects(Lines({"[daemon]", "drop_log_interval = " + std::to_string(i), kUnderlay, kAddress}),
                        {2, 21, "daemon.drop_log_interval",
                         "expected an integer 1..86400 (seconds), got " + std::to_string(i)}));
  }
  for (const std::string& l :
       {std::string("127.0.0.1"), std::string("127.0.0.1:0"), std::string("127.0.0.1:65536"),
        std::string("::1:9469"), std::string("[127.0.0.1]:9469"), std::string("localhost:9469"),
        std::string("[::1]:"), std::string("224.0.0.1:9469"), std::string("127.0.0.1:94x9"),
        std::string("127.0.0.1:009469")}) {
    EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[metrics]", "listen = \"" + l + "\""}),
                        {4, 10, "metrics.listen",
                         "expected \"ADDRESS:PORT\" with a unicast IPv4 address or a bracketed IPv6 one"}))
        << l;
  }
  EXPECT_TRUE(Rejects(Lines({"metrics = 1", kUnderlay, kAddress}),
                      {1, 11, "metrics", "expected a table ([metrics]), got 1"}));
}

TEST(ConfigParse, LogLevels) {
  const std::pair<const char*, ConfigLogLevel> levels[] = {{"error", ConfigLogLevel::kError},
                                                           {"warning", ConfigLogLevel::kWarning},
                                                           {"info", ConfigLogLevel::kInfo},
                                                           {"debug", ConfigLogLevel::kDebug}};
  for (const auto& [name, level] : levels) {
    const std::string line = std::string("log_level = \"") + name + "\"";
    EXPECT_EQ(Accepts(Lines({"[daemon]", line, kUnderlay, kAddress})).daemon.log_level, level) << name;
  }
}

TEST(ConfigParse, DefaultPortMtuFollowsTheUnderlayFamilies) {
  Config c;
  c.underlay.mtu = 1500;
  c.underlay.ipv4 = wire::Ipv4Address{192, 0, 2, 1};
  EXPECT_EQ(c.DefaultPortMtu(), 1458u);  // 1500 - (20 + 8 + 14)
  c.underlay.ipv6 = Db8(1);
  EXPECT_EQ(c.DefaultPortMtu(), 1438u);  // 1500 - (40 + 8 + 14): the worst case of the two
  PortEntry p;
  EXPECT_EQ(c.PortMtu(p), 1438u);
  p.mtu = 1400;
  EXPECT_EQ(c.PortMtu(p), 1400u);
}

// Customer address spaces overlap across VSIDs (RFC 7637 §3): the same IPs, and the same MACs,
// in VSIDs 5001 and 5002 are fine.
TEST(ConfigParse, SameCustomerAddressesInDifferentVsids) {
  const Config c = Accepts(Lines({
      kUnderlay,
      kAddress,
      kSubnet,
      kVsid5001,
      kSubnet,
      "vsid = 5002",
      "[[port]]",
      "tap = \"t1\"",
      "vsid = 5001",
      "mac = \"02:00:00:00:00:01\"",
      "ip = [\"10.0.0.1\", \"fd00::1\"]",
      "[[port]]",
      "tap = \"t2\"",
      "vsid = 5002",
      "mac = \"02:00:00:00:00:01\"",
      "ip = [\"10.0.0.1\", \"fd00::1\"]",
      "[[lookup]]",
      "vsid = 5001",
      "mac = \"02:00:00:00:00:02\"",
      "ip = \"10.0.0.2\"",
      "provider = \"192.0.2.2\"",
      "[[lookup]]",
      "vsid = 5002",
      "mac = \"02:00:00:00:00:02\"",
      "ip = \"10.0.0.2\"",
      "provider = \"192.0.2.2\"",
  }));
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].ips, c.ports[1].ips);
  EXPECT_EQ(c.ports[1].ips, (std::vector<IpAddress>{V4(10, 0, 0, 1), Fd00(1)}));
}

// docs/examples: host A (192.0.2.1) and host B (192.0.2.2), VSIDs 5001 and 5002 with the same
// customer addresses; each host's lookups are the other host's ports.
TEST(ConfigParse, TwoHostExamples) {
  const std::string dir = std::string(NVGRE_SOURCE_DIR) + "/docs/examples/";
  const ConfigResult ra = LoadConfigFile(dir + "nvgred-host-a.toml");
  const ConfigResult rb = LoadConfigFile(dir + "nvgred-host-b.toml");
  for (const auto* r : {&ra, &rb}) {
    for (const ConfigError& e : r->errors) ADD_FAILURE() << e.ToString();
  }
  ASSERT_TRUE(ra.config && rb.config);
  const Config& a = *ra.config;
  const Config& b = *rb.config;
  EXPECT_EQ(a.file, dir + "nvgred-host-a.toml");
  EXPECT_EQ(a.underlay.ipv4, (wire::Ipv4Address{192, 0, 2, 1}));
  EXPECT_EQ(b.underlay.ipv4, (wire::Ipv4Address{192, 0, 2, 2}));
  for (const Config* c : {&a, &b}) {
    EXPECT_FALSE(c->underlay.ipv6);
    EXPECT_EQ(c->daemon.workers, 2u);
    EXPECT_EQ(c->underlay.mtu, 1500u);
    EXPECT_EQ(c->DefaultPortMtu(), 1458u);
    ASSERT_EQ(c->subnets.size(), 2u);
    EXPECT_EQ(c->subnets[0].vsid, 5001u);
    EXPECT_EQ(c->subnets[1].vsid, 5002u);
    EXPECT_EQ(c->subnets[0].flood, FloodMode::kUnicast);
    EXPECT_EQ(c->subnets[1].flood, FloodMode::kUnicast);
    ASSERT_EQ(c->ports.size(), 2u);
    ASSERT_EQ(c->lookups.size(), 2u);
  }
  // Host A's customer is .1 / ::1 in both VSIDs, host B's .2 / ::2.
  const std::vector<IpAddress> one{V4(10, 0, 0, 1), Fd00(1)};
  const std::vector<IpAddress> two{V4(10, 0, 0, 2), Fd00(2)};
  EXPECT_EQ(a.ports[0].tap, "nv5001a");
  EXPECT_EQ(a.ports[0].netns, "vm5001");
  EXPECT_EQ(a.ports[0].vsid, 5001u);
  EXPECT_EQ(a.ports[0].mac, (wire::MacAddress{0x02, 0, 0, 0x50, 0x01, 0x01}));
  EXPECT_EQ(a.ports[0].ips, one);
  EXPECT_EQ(a.ports[1].tap, "nv5002a");
  EXPECT_EQ(a.ports[1].vsid, 5002u);
  EXPECT_EQ(a.ports[1].mac, (wire::MacAddress{0x02, 0, 0, 0x50, 0x02, 0x01}));
  EXPECT_EQ(a.ports[1].ips, one);
  EXPECT_EQ(b.ports[0].tap, "nv5001b");
  EXPECT_EQ(b.ports[1].ips, two);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(a.lookups[i].vsid, b.ports[i].vsid);
    EXPECT_EQ(a.lookups[i].mac, b.ports[i].mac);
    EXPECT_EQ(a.lookups[i].ips, b.ports[i].ips);
    EXPECT_EQ(a.lookups[i].provider, IpAddress(*b.underlay.ipv4));
    EXPECT_EQ(b.lookups[i].vsid, a.ports[i].vsid);
    EXPECT_EQ(b.lookups[i].mac, a.ports[i].mac);
    EXPECT_EQ(b.lookups[i].ips, a.ports[i].ips);
    EXPECT_EQ(b.lookups[i].provider, IpAddress(*a.underlay.ipv4));
  }
}

// The example `cmake --install` puts beside the unit file's configuration.
TEST(ConfigParse, InstalledExample) {
  const ConfigResult r = LoadConfigFile(std::string(NVGRE_SOURCE_DIR) + "/packaging/nvgred.toml.example");
  for (const ConfigError& e : r.errors) ADD_FAILURE() << e.ToString();
  ASSERT_TRUE(r.config);
  const Config& c = *r.config;
  EXPECT_EQ(c.daemon.drop_log_interval, 60u);
  EXPECT_EQ(c.daemon.user, "");
  EXPECT_EQ(c.control.socket, "/run/nvgred/nvgred.sock");
  ASSERT_TRUE(c.metrics.listen);
  EXPECT_EQ(c.metrics.listen->address, V4(127, 0, 0, 1));
  EXPECT_EQ(c.metrics.listen->port, 9469);
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].tap, "nv5001");
  ASSERT_EQ(c.lookups.size(), 1u);
  EXPECT_EQ(c.lookups[0].provider, V4(192, 0, 2, 2));
}

// docs/nvgred-config.md shows both example files in full, README the issue's example, in ```toml
// blocks: they must not drift.
TEST(ConfigParse, DocsShowTheExamplesVerbatim) {
  auto read = [](const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  const std::string root = NVGRE_SOURCE_DIR;
  const std::string doc = read(root + "/docs/nvgred-config.md");
  std::vector<std::string> blocks;
  for (std::size_t at = doc.find("```toml\n"); at != std::string::npos; at = doc.find("```toml\n", at)) {
    at += 8;
    const std::size_t end = doc.find("```", at);
    ASSERT_NE(end, std::string::npos);
    blocks.push_back(doc.substr(at, end - at));
  }
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0], read(root + "/docs/examples/nvgred-host-a.toml"));
  EXPECT_EQ(blocks[1], read(root + "/docs/examples/nvgred-host-b.toml"));

  // The README shows the issue's example, which IssueExampleGivesExactValues parses.
  const std::string readme = read(root + "/README.md");
  const std::size_t at = readme.find("### Configuration");
  ASSERT_NE(at, std::string::npos);
  const std::size_t begin = readme.find("```toml\n", at);
  ASSERT_NE(begin, std::string::npos);
  const std::size_t end = readme.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(readme.substr(begin + 8, end - begin - 8), kIssueExample);
}

// ---- rejections: one test per rule --------------------------------------------------------

TEST(ConfigReject, SyntaxErrorIsOneErrorWithTomlsPosition) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "mtu = = 1500", "ttl = 0"}),
                      {3, 7, "", "Error while parsing value: could not determine value type"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kAddress}),
                      {3, 11, "", "cannot redefine existing string 'address'"}));
  // toml++ 3.3.0 asserts on these (marzer/tomlplusplus#301); here they are plain errors.
  EXPECT_TRUE(Rejects("[\n", {1, 2, "", "expected bare key starting character or string delimiter"}));
  EXPECT_TRUE(Rejects("[[[a]]]\n", {1, 3, "", "expected bare key starting character or string delimiter"}));
}

// toml++ 3.3.0 has undefined behaviour (TOML_UNREACHABLE in its Unicode whitespace table,
// marzer/tomlplusplus#190/#295) on some non-ASCII characters outside strings and comments and
// after a backslash in a multi-line basic string; config.cc reports those itself.
TEST(ConfigReject, NonAsciiWhereTomlAllowsNone) {
  // config_fuzz's finding fuzz/regressions/config/tomlpp-unreachable-u0318-in-table-header: U+0318 in a table
  // header.
  EXPECT_TRUE(Rejects(
      "[[su\xCC\x98]]\nvsid = 5001\n",
      {1, 5, "",
       "unexpected character '\xCC\x98' (U+0318): outside strings and comments TOML allows only ASCII"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, "address = \"192.0.2.1\" \xC3\xA9"}),
                      {2, 23, "", "(U+00E9): outside strings"}));
  // A quote inside a bare value does not start a string: toml++ reads on to find the value's end.
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, "address = 1273-0\"\xC3\xA9\""}), {2, 18, "", "(U+00E9): outside strings"}));
  // ... whatever precedes the quote (fuzz/regressions/config/tomlpp-unreachable-bracket-quote-...).
  EXPECT_TRUE(
      Rejects(Lines({"[[port]]", "tap =9.['x\"\xD1\x87\"']"}), {2, 12, "", "(U+0447): outside strings"}));
  // Where TOML allows them (quoted keys, strings in arrays and inline tables), non-ASCII
  // characters reach the configuration's own checks.
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "\"\xC3\xA9\".x = [\"\xC3\xA9\"]"}),
                      {3, 1, "underlay.\"\xC3\xA9\"", "unknown key"}));
  EXPECT_TRUE(Rejects(Lines({"port = [{ tap = 'b\xC3\xA9', vsid = 5001, mac = \"02:00:00:00:50:01\" }]",
                             kUnderlay, kAddress, kSubnet, kVsid5001}),
                      {1, 17, "port[0].tap", "got \"b\xC3\xA9\""}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[[port]]", "tap = \"\"\"\\", "  \xC3\xA9\"\"\""}),
                      {5, 3, "", "(U+00E9): not supported right after a line-ending backslash"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[[port]]", "tap = \"\"\"\\\xC3\xA9\"\"\""}),
                      {4, 11, "", "(U+00E9): expected an escape sequence after the backslash"}));
  // Non-ASCII text in comments and strings is fine (netns names are file names).
  const Config c = Accepts(
      Lines({"# r\xC3\xA9seau de test", kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"t\"",
             "netns = \"r\xC3\xA9seau\"  # \xE3\x80\x81", "vsid = 5001", "mac = \"02:00:00:00:50:01\""}));
  EXPECT_EQ(c.ports.at(0).netns, "r\xC3\xA9seau");
  // A UTF-8 byte order mark is skipped, as toml++ does.
  EXPECT_TRUE(Accepts("\xEF\xBB\xBF" + Lines({kUnderlay, kAddress})).underlay.ipv4);
}

TEST(ConfigReject, UnknownTopLevelTableOrKey) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[undelray]", "mtu = 1500"}),
                      {3, 2, "undelray",
                       "unknown table; expected one of the top-level tables [daemon], [underlay], [control], "
                       "[metrics], [policy], [[subnet]], [[port]], [[lookup]]"}));
  EXPECT_TRUE(
      Rejects(Lines({"mtu = 1500", kUnderlay, kAddress}), {1, 1, "mtu", "unknown key; expected one of"}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, "[[ports]]", "tap = \"t\""}), {3, 3, "ports", "unknown table"}));
}

TEST(ConfigReject, UnknownKeyInEachTableSaysWhichAreAllowed) {
  EXPECT_TRUE(Rejects(
      Lines({"[daemon]", "threads = 4", kUnderlay, kAddress}),
      {2, 1, "daemon.threads",
       "unknown key; expected one of the keys of [daemon]: workers, log_level, user, drop_log_interval"}));
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, "mut = 1500"}),
      {3, 1, "underlay.mut",
       "unknown key; expected one of the keys of [underlay]: address, mtu, interface, flow_id, ttl"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "\"bad key\" = 1"}),
                      {3, 1, "underlay.\"bad key\"", "unknown key"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[control]", "path = \"/run/x\""}),
                      {4, 1, "control.path", "unknown key; expected one of the keys of [control]: socket, group"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[metrics]", "port = 9469"}),
                      {4, 1, "metrics.port", "unknown key; expected one of the keys of [metrics]: listen"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "name = \"blue\""}),
                      {5, 1, "subnet[0].name", "[[subnet]]: vsid, flood, multicast"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"t\"",
                             "vsid = 5001", "mac = \"02:00:00:00:00:01\"", "vlan = 3"}),
                      {9, 1, "port[0].vlan", "[[port]]: tap, netns, vsid, mac, ip, mtu"}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[lookup]]", "vsid = 5001",
                     "mac = \"02:00:00:00:00:01\"", "pa = \"192.0.2.2\"", "provider = \"192.0.2.2\""}),
              {8, 1, "lookup[0].pa", "[[lookup]]: vsid, mac, ip, provider"}));
  // A sub-table under a known key is a wrong type, under an unknown one an unknown key.
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[underlay.extra]", "a = 1"}),
                      {3, 11, "underlay.extra", "unknown key"}));
}

TEST(ConfigReject, WrongTypes) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "mtu = \"1500\""}),
                      {3, 7, "underlay.mtu", "expected an integer 576..65535, got \"1500\""}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, "mtu = 1500.0"}), {3, 7, "underlay.mtu", "got the float 1500"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "mtu.value = 1"}), {3, 1, "underlay.mtu", "got a table"}));
  EXPECT_TRUE(Rejects(Lines({"underlay = 5"}), {1, 12, "underlay", "expected a table ([underlay]), got 5"}));
  EXPECT_TRUE(Rejects(Lines({"[[underlay]]", kAddress}),
                      {1, 1, "underlay", "expected a table ([underlay]), got an array of tables"}));
  EXPECT_TRUE(
      Rejects(Lines({"daemon = true", kUnderlay, kAddress}), {1, 10, "daemon", "got the boolean true"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[subnet]", kVsid5001}),
                      {3, 1, "subnet", "expected an array of tables ([[subnet]]), got a table"}));
  EXPECT_TRUE(Rejects(Lines({"subnet = [1, 2]", kUnderlay, kAddress}),
                      {{1, 11, "subnet[0]", "expected a table ([[subnet]]), got 1"},
                       {1, 14, "subnet[1]", "expected a table ([[subnet]]), got 2"}}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = 5", "vsid = 5001",
                     "mac = \"02:00:00:00:00:01\"", "ip = 5"}),
              {{6, 7, "port[0].tap", "expected a TAP interface name: 1..15 bytes of [A-Za-z0-9_.-], got 5"},
               {9, 6, "port[0].ip", "expected a customer IP address or a list of them, got 5"}}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, "vsid = \"5001\""}),
                      {4, 8, "subnet[0].vsid", "got \"5001\""}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, "address = 1979-05-27"}), {2, 11, "underlay.address", "got a date"}));
}

TEST(ConfigReject, ReservedVsid) {
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, "vsid = 12"}),
              {4, 8, "subnet[0].vsid",
               "expected an integer 4096..16777214 (RFC 7637 §3.2 reserves 0-4095 and 16777215), got 12"}));
  for (const std::string v : {"0", "4095", "16777215", "-1", "0x1000000"}) {
    EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, "vsid = " + v}),
                        {4, 8, "subnet[0].vsid", "expected an integer 4096..16777214"}))
        << v;
  }
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"t\"",
                             "vsid = 4095", "mac = \"02:00:00:00:00:01\""}),
                      {7, 8, "port[0].vsid", "RFC 7637 §3.2 reserves 0-4095 and 16777215), got 4095"}));
}

TEST(ConfigReject, PortOrLookupVsidWithoutSubnet) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"nvtap1\"",
                             "vsid = 5002", "mac = \"02:00:00:00:50:01\""}),
                      {7, 8, "port[0].vsid", "expected the vsid of a [[subnet]] (defined: 5001), got 5002"}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, "[[lookup]]", "vsid = 5002", "mac = \"02:00:00:00:50:02\"",
                     "provider = \"192.0.2.2\""}),
              {4, 8, "lookup[0].vsid", "expected the vsid of a [[subnet]] (none is defined), got 5002"}));
}

TEST(ConfigReject, DuplicateSubnetVsid) {
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, kSubnet, kVsid5001}),
              {6, 8, "subnet[1].vsid",
               "expected a VSID unique among the [[subnet]] tables, got 5001 again (subnet[0], line 3)"}));
  // Indexes are the array's, also when an element is not a table.
  EXPECT_TRUE(Rejects(Lines({"subnet = [{ vsid = 5001 }, 7, { vsid = 5001 }]", kUnderlay, kAddress}),
                      {{1, 28, "subnet[1]", "expected a table ([[subnet]]), got 7"},
                       {1, 40, "subnet[2].vsid", "got 5001 again (subnet[0], line 1)"}}));
}

TEST(ConfigReject, DuplicateMacInOneVsid) {
  // A port and a lookup: reported at the later one in the file, whichever section it is in.
  const std::vector<std::string_view> port = {"[[port]]", "tap = \"nvtap1\"", "vsid = 5001",
                                              "mac = \"02:00:00:00:50:01\""};
  const std::vector<std::string_view> lookup = {"[[lookup]]", "vsid = 5001", "mac = \"02:00:00:00:50:01\"",
                                                "provider = \"192.0.2.2\""};
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, kSubnet, kVsid5001, port[0], port[1], port[2], port[3], lookup[0],
             lookup[1], lookup[2], lookup[3]}),
      {11, 7, "lookup[0].mac",
       "expected a MAC address unique within VSID 5001, got 02:00:00:00:50:01 again (port[0], line 8)"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, lookup[0], lookup[1], lookup[2],
                             lookup[3], port[0], port[1], port[2], port[3]}),
                      {12, 7, "port[0].mac", "again (lookup[0], line 7)"}));
  // Two ports; the textual forms differ, the address does not.
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, port[0], port[1], port[2], port[3],
                             "[[port]]", "tap = \"nvtap2\"", "vsid = 5001", "mac = \"02-00-00-00-50-01\""}),
                      {12, 7, "port[1].mac", "got 02:00:00:00:50:01 again (port[0], line 8)"}));
}

TEST(ConfigReject, DuplicateCustomerIpInOneVsid) {
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"nvtap1\"", "vsid = 5001",
             "mac = \"02:00:00:00:50:01\"", "ip = [\"10.0.0.1\", \"fd00::1\"]", "[[lookup]]", "vsid = 5001",
             "mac = \"02:00:00:00:50:02\"", "ip = [\"10.0.0.2\", \"fd00:0:0::1\"]",
             "provider = \"192.0.2.2\""}),
      {13, 19, "lookup[0].ip[1]",
       "expected a customer IP address unique within VSID 5001, got fd00::1 again (port[0], line 9)"}));
  // Within one port's list.
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"nvtap1\"", "vsid = 5001",
                     "mac = \"02:00:00:00:50:01\"", "ip = [\"10.0.0.1\", \"10.0.0.1\"]"}),
              {9, 19, "port[0].ip[1]", "got 10.0.0.1 again (port[0], line 9)"}));
}

TEST(ConfigReject, MulticastBroadcastZeroOrMalformedMac) {
  const std::pair<std::string, std::string> cases[] = {
      {"01:00:5e:00:00:01", "got a multicast address (I/G bit set) \"01:00:5e:00:00:01\""},
      {"03:00:00:00:00:01", "got a multicast address (I/G bit set)"},
      {"ff:ff:ff:ff:ff:ff", "got the broadcast address \"ff:ff:ff:ff:ff:ff\""},
      {"00:00:00:00:00:00", "got the all-zero address"},
      {"02:00:00:00:50",
       "expected a unicast MAC address such as \"02:00:00:00:50:01\", got \"02:00:00:00:50\""},
      {"02:00:00:00:50:01 ", "got \"02:00:00:00:50:01 \""},
  };
  for (const auto& [mac, fragment] : cases) {
    const std::string line = "mac = \"" + mac + "\"";
    EXPECT_TRUE(Rejects(
        Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"t\"", "vsid = 5001", line}),
        {8, 7, "port[0].mac", fragment}))
        << mac;
    EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[lookup]]", "vsid = 5001", line,
                               "provider = \"192.0.2.2\""}),
                        {7, 7, "lookup[0].mac", fragment}))
        << mac;
  }
}

TEST(ConfigReject, ProviderOfAFamilyTheUnderlayLacks) {
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[lookup]]", "vsid = 5001",
                     "mac = \"02:00:00:00:50:02\"", "provider = \"2001:db8::2\""}),
              {8, 12, "lookup[0].provider",
               "expected an IPv4 provider address (the underlay has no IPv6 address), got \"2001:db8::2\""}));
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, "address = \"2001:db8::1\"", kSubnet, kVsid5001, "[[lookup]]", "vsid = 5001",
             "mac = \"02:00:00:00:50:02\"", "provider = \"192.0.2.2\""}),
      {8, 12, "lookup[0].provider", "expected an IPv6 provider address (the underlay has no IPv4 address)"}));
}

TEST(ConfigReject, ProviderIsOneOfOurOwnAddresses) {
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[lookup]]", "vsid = 5001",
             "mac = \"02:00:00:00:50:02\"", "provider = \"192.0.2.1\""}),
      {8, 12, "lookup[0].provider",
       "expected another host's provider address, got this host's own underlay address \"192.0.2.1\""}));
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, "address = [\"192.0.2.1\", \"2001:db8::1\"]", kSubnet, kVsid5001, "[[lookup]]",
             "vsid = 5001", "mac = \"02:00:00:00:50:02\"", "provider = \"2001:DB8:0::1\""}),
      {8, 12, "lookup[0].provider", "this host's own underlay address \"2001:DB8:0::1\""}));
}

TEST(ConfigReject, ProviderNotAUnicastAddress) {
  for (const std::string p : {"224.0.0.1", "0.0.0.0", "255.255.255.255", "ff02::1", "::"}) {
    EXPECT_TRUE(Rejects(
        Lines({kUnderlay, "address = [\"192.0.2.1\", \"2001:db8::1\"]", kSubnet, kVsid5001, "[[lookup]]",
               "vsid = 5001", "mac = \"02:00:00:00:50:02\"", "provider = \"" + p + "\""}),
        {8, 12, "lookup[0].provider", "expected a unicast address, got the"}))
        << p;
  }
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[lookup]]", "vsid = 5001",
             "mac = \"02:00:00:00:50:02\"", "provider = [\"192.0.2.2\"]"}),
      {8, 12, "lookup[0].provider", "expected one provider address (the remote host's), got a list"}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[lookup]]", "vsid = 5001",
                     "mac = \"02:00:00:00:50:02\"", "provider = \"192.0.2.0/24\""}),
              {8, 12, "lookup[0].provider", "(IPv4 or IPv6, no prefix length), got \"192.0.2.0/24\""}));
}

TEST(ConfigReject, TapNames) {
  for (const std::string tap :
       {"", "abcdefghijklmnop" /* 16 */, "tap 1", "tap/1", "tap:1", ".", "..", "täp"}) {
    EXPECT_TRUE(
        Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"" + tap + "\"",
                       "vsid = 5001", "mac = \"02:00:00:00:50:01\""}),
                {6, 7, "port[0].tap", "expected a TAP interface name: 1..15 bytes of [A-Za-z0-9_.-], got"}))
        << tap;
  }
  EXPECT_EQ(Accepts(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"abcdefghijklmno\"",
                           "vsid = 5001", "mac = \"02:00:00:00:50:01\""}))
                .ports[0]
                .tap,
            "abcdefghijklmno");
}

TEST(ConfigReject, TapNameRepeatedOrTheUnderlayInterface) {
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"nvtap1\"", "vsid = 5001",
             "mac = \"02:00:00:00:50:01\"", "[[port]]", "tap = \"nvtap1\"", "vsid = 5001",
             "mac = \"02:00:00:00:50:02\""}),
      {10, 7, "port[1].tap",
       "expected a TAP name unique among the [[port]] tables, got \"nvtap1\" again (port[0], line 6)"}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, "interface = \"eth1\"", kSubnet, kVsid5001, "[[port]]",
                     "tap = \"eth1\"", "vsid = 5001", "mac = \"02:00:00:00:50:01\""}),
              {7, 7, "port[0].tap", "expected a TAP name other than the underlay interface, got \"eth1\""}));
}

TEST(ConfigReject, NetnsNames) {
  for (const std::string ns : {"a/b", "", ".", "..", "/run/netns/vm1"}) {
    EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"t\"",
                               "netns = \"" + ns + "\"", "vsid = 5001", "mac = \"02:00:00:00:50:01\""}),
                        {7, 9, "port[0].netns", "expected a network namespace name (1..255 bytes, no '/'"}))
        << ns;
  }
}

TEST(ConfigReject, TwoUnderlayAddressesOfOneFamily) {
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, "address = [\"192.0.2.1\", \"192.0.2.9\"]"}),
              {2, 25, "underlay.address[1]",
               "expected at most one IPv4 address (one per family), got a second one \"192.0.2.9\" after "
               "\"192.0.2.1\""}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, "address = [\"2001:db8::1\", \"2001:db8::2\"]"}),
                      {2, 27, "underlay.address[1]", "expected at most one IPv6 address (one per family)"}));
}

TEST(ConfigReject, NoUnderlayAddress) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, "mtu = 1500"}),
                      {1, 1, "underlay.address", "missing; expected this host's provider address"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, "address = []"}), {2, 11, "underlay.address", "got an empty list"}));
  // No [underlay] at all: the error has no position and comes after those that have one.
  EXPECT_TRUE(Rejects(Lines({kSubnet, "vsid = 1"}),
                      {{2, 8, "subnet[0].vsid", "expected an integer 4096..16777214"},
                       {0, 0, "underlay", "missing; expected an [underlay] table with address ="}}));
  EXPECT_TRUE(Rejects("", {0, 0, "underlay", "missing"}));
}

TEST(ConfigReject, UnderlayAddressNotUnicastOrMalformed) {
  for (const std::string a : {"224.0.0.1", "0.0.0.0", "::", "255.255.255.255"}) {
    EXPECT_TRUE(Rejects(Lines({kUnderlay, "address = \"" + a + "\""}),
                        {2, 11, "underlay.address", "expected a unicast address, got the"}))
        << a;
  }
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, "address = \"192.0.2.1/24\""}),
      {2, 11, "underlay.address", "expected this host's provider address (IPv4 or IPv6, no prefix length)"}));
  // toml++ keeps "\u0000"; inet_pton would stop at it, the configuration must not.
  EXPECT_TRUE(Rejects(Lines({kUnderlay, "address = \"192.0.2.1\\u0000x\""}),
                      {2, 11, "underlay.address", "got \"192.0.2.1\\u0000x\""}));
}

TEST(ConfigReject, MtuOutOfRange) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "mtu = 575"}),
                      {3, 7, "underlay.mtu", "expected an integer 576..65535, got 575"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "mtu = 65536"}), {3, 7, "underlay.mtu", "got 65536"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, "address = [\"192.0.2.1\", \"2001:db8::1\"]", "mtu = 1279"}),
                      {3, 7, "underlay.mtu", "expected an integer 1280..65535 (RFC 8200 §5"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"t\"",
                             "vsid = 5001", "mac = \"02:00:00:00:50:01\"", "mtu = 67"}),
                      {9, 7, "port[0].mtu", "expected an integer 68..65535, got 67"}));
}

TEST(ConfigReject, FlowIdNeitherByteNorAuto) {
  for (const std::string v : {"256", "-1", "\"Auto\"", "\"\"", "true", "1.0"}) {
    EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "flow_id = " + v}),
                        {3, 11, "underlay.flow_id", "expected an integer 0..255 or \"auto\", got"}))
        << v;
  }
}

TEST(ConfigReject, TtlOutOfRange) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "ttl = 0"}),
                      {3, 7, "underlay.ttl", "expected an integer 1..255, got 0"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "ttl = 256"}), {3, 7, "underlay.ttl", "got 256"}));
}

TEST(ConfigReject, UnderlayInterfaceName) {
  for (const std::string v : {"", "eth 1", "eth/1", "eth:1", "sixteen-bytes-xx"}) {
    EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "interface = \"" + v + "\""}),
                        {3, 13, "underlay.interface", "expected an interface name (1..15 bytes"}))
        << v;
  }
}

TEST(ConfigReject, FloodAndMulticastConflicts) {
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "flood = \"multicast\""}),
              {5, 9, "subnet[0].flood", "flood = \"multicast\" needs a group; expected multicast = "}));
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "flood = \"unicast\"", "multicast = \"239.1.1.1\""}),
      {5, 9, "subnet[0].flood",
       "expected \"multicast\" or no flood key, since multicast = ... is set (line 6), got \"unicast\""}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "flood = \"broadcast\""}),
                      {5, 9, "subnet[0].flood", "expected \"unicast\" or \"multicast\", got \"broadcast\""}));
}

TEST(ConfigReject, MulticastGroupNotMulticastOrNotOfAnUnderlayFamily) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "multicast = \"10.0.0.1\""}),
                      {5, 13, "subnet[0].multicast",
                       "expected an IPv4 or IPv6 multicast group such as \"239.1.1.1\", got \"10.0.0.1\""}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "multicast = \"ff05::1\""}),
              {5, 13, "subnet[0].multicast",
               "expected an IPv4 multicast group (the underlay has no IPv6 address), got \"ff05::1\""}));
}

TEST(ConfigReject, ControlSocketNotAbsolute) {
  for (const std::string& s : {std::string("run/nvgred.sock"), std::string(), "/" + std::string(107, 's')}) {
    EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[control]", "socket = \"" + s + "\""}),
                        {4, 10, "control.socket", "expected an absolute path of at most 107 bytes"}))
        << s;
  }
}

TEST(ConfigReject, WorkersOutOfRange) {
  EXPECT_TRUE(Rejects(Lines({"[daemon]", "workers = 0", kUnderlay, kAddress}),
                      {2, 11, "daemon.workers", "expected an integer 1..256, got 0"}));
  EXPECT_TRUE(Rejects(Lines({"[daemon]", "workers = 257", kUnderlay, kAddress}),
                      {2, 11, "daemon.workers", "got 257"}));
}

TEST(ConfigReject, BadLogLevel) {
  EXPECT_TRUE(Rejects(Lines({"[daemon]", "log_level = \"verbose\"", kUnderlay, kAddress}),
                      {2, 13, "daemon.log_level",
                       "expected \"error\", \"warning\", \"info\" or \"debug\", got \"verbose\""}));
  EXPECT_TRUE(Rejects(Lines({"[daemon]", "log_level = 7", kUnderlay, kAddress}),
                      {2, 13, "daemon.log_level", "got 7"}));
}

TEST(ConfigReject, CustomerIpNotAUnicastAddress) {
  EXPECT_TRUE(Rejects(
      Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "tap = \"t\"", "vsid = 5001",
             "mac = \"02:00:00:00:50:01\"", "ip = [\"10.0.0.1\", \"10.0.0.300\", \"224.0.0.5\"]"}),
      {{9, 19, "port[0].ip[1]",
        "expected a customer IP address (IPv4 or IPv6, no prefix length), got \"10.0.0.300\""},
       {9, 33, "port[0].ip[2]", "expected a unicast address, got the multicast address \"224.0.0.5\""}}));
}

TEST(ConfigReject, MissingKeysAreReportedAtTheirTable) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "[[port]]", "vsid = 5001"}),
                      {{5, 1, "port[0].tap", "missing; expected a TAP interface name"},
                       {5, 1, "port[0].mac", "missing; expected the port's unicast MAC address"}}));
  EXPECT_TRUE(
      Rejects(Lines({kUnderlay, kAddress, kSubnet, kVsid5001, "  [[lookup]]"}),
              {{5, 3, "lookup[0].vsid", "missing; expected the vsid of a [[subnet]]"},
               {5, 3, "lookup[0].mac", "missing"},
               {5, 3, "lookup[0].provider", "missing; expected the remote host's provider address"}}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, kSubnet}),
                      {3, 1, "subnet[0].vsid", "missing; expected an integer 4096..16777214"}));
}

// All errors, in file order: not in the order of the sections or of toml++'s sorted keys.
TEST(ConfigReject, SeveralErrorsComeOutInFileOrder) {
  const std::string text = Lines({
      "[[port]]",                     // 1
      "tap = \"nvtap1\"",             // 2
      "vsid = 12",                    // 3
      "mac = \"ff:ff:ff:ff:ff:ff\"",  // 4
      "[underlay]",                   // 5
      "ttl = 0",                      // 6
      "address = \"192.0.2.1\"",      // 7
      "mtu = 100",                    // 8
      "[[subnet]]",                   // 9
      "vsid = 5001",                  // 10
      "bogus = 1",                    // 11
      "[[lookup]]",                   // 12
      "vsid = 5001",                  // 13
      "mac = \"02:00:00:00:50:02\"",  // 14
      "provider = \"192.0.2.1\"",     // 15
      "[daemon]",                     // 16
      "workers = 0",                  // 17
  });
  EXPECT_TRUE(Rejects(text, {{3, 8, "port[0].vsid", "got 12"},
                             {4, 7, "port[0].mac", "got the broadcast address"},
                             {6, 7, "underlay.ttl", "got 0"},
                             {8, 7, "underlay.mtu", "got 100"},
                             {11, 1, "subnet[0].bogus", "unknown key"},
                             {15, 12, "lookup[0].provider", "this host's own underlay address"},
                             {17, 11, "daemon.workers", "got 0"}}));
}

// ---- [policy]: the OVSDB ----------------------------------------------------------------

TEST(ConfigParse, PolicyKeysGiveExactValues) {
  const Config c = Accepts(Lines({kUnderlay, kAddress, "[policy]",
                                  R"(ovsdb = ["unix:/run/ovsdb/s1.sock", "tcp:192.0.2.10:6641", "tcp:[2001:db8::10]:6642"])",
                                  "switch = \"host-7\"", "database = \"MS_VTEP\"", "publish = false",
                                  "inactivity_probe = 0", "max_backoff = 30000", "max_message_bytes = 1048576",
                                  kSubnet, kVsid5001, "[[port]]", "tap = \"t1\"", "mac = \"02:00:00:00:00:01\""}));
  EXPECT_EQ(c.policy.ovsdb, (std::vector<std::string>{"unix:/run/ovsdb/s1.sock", "tcp:192.0.2.10:6641",
                                                      "tcp:[2001:db8::10]:6642"}));
  EXPECT_EQ(c.policy.switch_name, "host-7");
  EXPECT_EQ(c.policy.database, "MS_VTEP");
  EXPECT_FALSE(c.policy.publish);
  EXPECT_EQ(c.policy.inactivity_probe_ms, 0u);
  EXPECT_EQ(c.policy.max_backoff_ms, 30000u);
  EXPECT_EQ(c.policy.max_message_bytes, 1048576u);
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].vsid, 0u);  // bound by the database
  // Defaults; one remote as a string.
  const Config d = Accepts(Lines({kUnderlay, kAddress, "[policy]", "ovsdb = \"unix:/x\""}));
  EXPECT_EQ(d.policy.ovsdb, std::vector<std::string>{"unix:/x"});
  EXPECT_EQ(d.policy.switch_name, "");
  EXPECT_EQ(d.policy.database, "hardware_vtep");
  EXPECT_TRUE(d.policy.publish);
  EXPECT_EQ(d.policy.inactivity_probe_ms, 5000u);
  EXPECT_EQ(d.policy.max_backoff_ms, 8000u);
  EXPECT_EQ(d.policy.max_message_bytes, std::uint64_t{256} << 20);
  EXPECT_TRUE(Accepts(Lines({kUnderlay, kAddress})).policy.ovsdb.empty());
}

TEST(ConfigReject, PolicyRemotes) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[policy]", "switch = \"h\""}),
                      {3, 1, "policy.ovsdb", "missing; expected the OVSDB remotes"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[policy]", "ovsdb = []"}),
                      {4, 9, "policy.ovsdb", "got an empty list"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[policy]", "ovsdb = 6641"}),
                      {4, 9, "policy.ovsdb", "or a list of them, got 6641"}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[policy]", R"(ovsdb = ["ssl:192.0.2.1:6640", "punix:/x", "tcp:192.0.2.1", "tcp:2001:db8::1:6640", "tcp:h:0", "unix:", "/run/x"])"}),
                      {{4, 10, "policy.ovsdb[0]", "(ssl: remotes are not supported (use unix: or tcp:))"},
                       {4, 32, "policy.ovsdb[1]", "(a passive remote (the server listens there); nvgred connects: unix: or tcp:)"},
                       {4, 44, "policy.ovsdb[2]", "(a tcp: remote is tcp:HOST:PORT)"},
                       {4, 61, "policy.ovsdb[3]", "(an IPv6 address goes in brackets: tcp:[ADDRESS]:PORT)"},
                       {4, 85, "policy.ovsdb[4]", "(the port of a tcp: remote is 1..65535)"},
                       {4, 96, "policy.ovsdb[5]", "(a unix: remote needs a socket path of 1..107 bytes)"},
                       {4, 105, "policy.ovsdb[6]", "got \"/run/x\" (expected unix:PATH or tcp:HOST:PORT)"}}));
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[policy]", R"(ovsdb = ["unix:/a", "unix:/a"])"}),
                      {4, 21, "policy.ovsdb[1]", "expected each remote once, got \"unix:/a\" again"}));
}

TEST(ConfigReject, PolicyOtherKeys) {
  const std::string head = Lines({kUnderlay, kAddress, "[policy]", "ovsdb = \"unix:/x\""});
  EXPECT_TRUE(Rejects(head + Lines({"switch = \"my host\""}), {5, 10, "policy.switch", "no spaces"}));
  EXPECT_TRUE(Rejects(head + Lines({"switch = \"\""}), {5, 10, "policy.switch", "1..255 printable ASCII"}));
  EXPECT_TRUE(Rejects(head + Lines({"database = \"9db\""}), {5, 12, "policy.database", "RFC 7047 §3.1 <id>"}));
  EXPECT_TRUE(Rejects(head + Lines({"publish = \"yes\""}), {5, 11, "policy.publish", "expected true or false"}));
  EXPECT_TRUE(Rejects(head + Lines({"inactivity_probe = 500"}),
                      {5, 20, "policy.inactivity_probe", "0 (never) or 1000..3600000, got 500"}));
  EXPECT_TRUE(Rejects(head + Lines({"max_backoff = 10"}), {5, 15, "policy.max_backoff", "1000..3600000, got 10"}));
  EXPECT_TRUE(Rejects(head + Lines({"max_message_bytes = 1024"}),
                      {5, 21, "policy.max_message_bytes", "65536..4294967296, got 1024"}));
  EXPECT_TRUE(Rejects(head + Lines({"remote = \"unix:/y\""}),
                      {5, 1, "policy.remote",
                       "[policy]: ovsdb, switch, database, publish, inactivity_probe, max_backoff, max_message_bytes"}));
}

// Without [policy] a port needs its VSID; with it the database may bind the port.
TEST(ConfigReject, PortWithoutVsidNeedsTheDatabase) {
  EXPECT_TRUE(Rejects(Lines({kUnderlay, kAddress, "[[port]]", "tap = \"t\"", "mac = \"02:00:00:00:00:01\""}),
                      {3, 1, "port[0].vsid", "missing; expected the vsid of a [[subnet]] (or [policy] ovsdb = ..."}));
}

TEST(ConfigError, ToStringForms) {
  const ConfigResult r =
      ParseConfig(Lines({kUnderlay, kAddress, kSubnet, "vsid = 12"}), "/etc/nvgred/nvgred.toml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].ToString(),
            "/etc/nvgred/nvgred.toml:4:8: subnet[0].vsid: expected an integer 4096..16777214 (RFC 7637 §3.2 "
            "reserves 0-4095 and 16777215), got 12");
  EXPECT_EQ((ConfigError{"f.toml", {}, "underlay", "missing"}).ToString(), "f.toml: underlay: missing");
  EXPECT_EQ((ConfigError{"f.toml", {3, 0}, "", "bad"}).ToString(), "f.toml:3: bad");
  EXPECT_EQ((ConfigError{"f.toml", {3, 5}, "", "bad"}).ToString(), "f.toml:3:5: bad");
}

TEST(ConfigLoad, ReadsTheFileAndNamesIt) {
  const std::string path = ::testing::TempDir() + "nvgred-config-test.toml";
  {
    std::ofstream f(path, std::ios::binary);
    f << kIssueExample;
  }
  const ConfigResult r = LoadConfigFile(path);
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].ToString());
  EXPECT_EQ(r.config->file, path);
  EXPECT_EQ(r.config->ports.at(0).tap, "nvtap1");
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << Lines({kUnderlay, kAddress, "mtu = 1"});
  }
  const ConfigResult bad = LoadConfigFile(path);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].ToString(), path + ":3:7: underlay.mtu: expected an integer 576..65535, got 1");
  std::remove(path.c_str());
}

TEST(ConfigLoad, UnreadableOrOversizedFileIsOneError) {
  const ConfigResult missing = LoadConfigFile("/nonexistent/nvgred.toml");
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_FALSE(missing.config);
  EXPECT_EQ(missing.errors[0].ToString(), "/nonexistent/nvgred.toml: cannot open: No such file or directory");

  const ConfigResult dir = LoadConfigFile("/");
  ASSERT_EQ(dir.errors.size(), 1u);
  EXPECT_EQ(dir.errors[0].message, "cannot read: is a directory");

  // 16 MiB of comment is still read; one byte more is refused.
  const std::string path = ::testing::TempDir() + "nvgred-config-big.toml";
  {
    std::ofstream f(path, std::ios::binary);
    f << Lines({kUnderlay, kAddress});
    const std::string head = Lines({kUnderlay, kAddress});
    std::string comment(16u * 1024 * 1024 - head.size(), '#');
    comment.back() = '\n';
    f << comment;
  }
  EXPECT_TRUE(LoadConfigFile(path).config);
  {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << '\n';
  }
  const ConfigResult big = LoadConfigFile(path);
  ASSERT_EQ(big.errors.size(), 1u);
  EXPECT_THAT(big.errors[0].message, HasSubstr("larger than 16 MiB"));
  EXPECT_EQ(big.errors[0].where.line, 0u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace nvgre::daemon
