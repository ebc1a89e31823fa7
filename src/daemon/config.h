// nvgred's configuration: a TOML file (toml++, header-only, exceptions off), parsed into plain
// values and validated as a whole. Every problem is reported, not only the first, each with the
// file, line, column, the key (a dotted path such as "port[1].vsid") and what was expected:
//
//   ConfigResult r = LoadConfigFile("/etc/nvgred/nvgred.toml");
//   if (!r.config) { for (const auto& e : r.errors) std::cerr << e.ToString() << '\n'; return 1; }
//   const Config& c = *r.config;
//
// The file's keys (docs/nvgred-config.md documents each, with a two-host example; README
// "nvgred configuration" shows a minimal file). Addresses below are unicast unless said otherwise
// (not multicast, 0.0.0.0, ::, 255.255.255.255):
//   [daemon]   workers (integer 1..256; absent = the number of online CPUs),
//              log_level ("error" | "warning" | "info" | "debug"; default "info"),
//              user (a user name or a numeric uid: run as that user once the devices and
//              sockets are open; default: stay root, with only the capabilities still needed),
//              drop_log_interval (integer seconds 1..86400; default 60: at most one log line per
//              drop reason per interval)
//   [underlay] address (one string or a list, at most one IPv4 and one IPv6; required),
//              mtu (integer; default 1500; 576..65535, and >= 1280 when an IPv6 address is set),
//              interface (string, an interface name: 1..15 bytes, no '/', ':' or whitespace;
//              AF_PACKET on it instead of raw IP sockets),
//              flow_id (integer 0..255, or the string "auto"; default 0),
//              ttl (integer 1..255; default 64: outer IPv4 TTL / IPv6 Hop Limit)
//   [control]  socket (string, an absolute path of at most 107 bytes; default
//              "/run/nvgred/nvgred.sock"), group (a group name or a numeric gid: the socket's
//              group; default: the daemon's)
//   [metrics]  listen ("ADDRESS:PORT", an IPv4 address or a bracketed IPv6 one and a port
//              1..65535, e.g. "127.0.0.1:9469" or "[::1]:9469"; absent: no metrics endpoint)
//   [[subnet]] vsid (4096..16777214, RFC 7637 §3.2; unique), flood ("unicast" default |
//              "multicast"), multicast (an IPv4/IPv6 multicast group of an underlay family;
//              setting it implies flood = "multicast"; flood = "multicast" requires it)
//   [[port]]   tap (interface name, 1..15 bytes of [A-Za-z0-9_.-], not "." or ".."; unique and
//              not the underlay interface), netns (optional network namespace name, as `ip netns`
//              names them: 1..255 bytes, no '/', not "." or ".."), vsid (must have a [[subnet]]),
//              mac (unicast, not 00:00:00:00:00:00), ip (one string or a list, optional),
//              mtu (optional, 68..65535; default: underlay mtu minus the encapsulation
//              overhead, 42 over IPv4 and 62 when the underlay has an IPv6 address)
//   [[lookup]] vsid (must have a [[subnet]]), mac (unicast), ip (one string or a list,
//              optional), provider (an address of an underlay family, not one of our own)
//   [policy]   ovsdb (one remote or a list, required in [policy]: "unix:PATH" or
//              "tcp:HOST:PORT", "tcp:[IPv6]:PORT"; no duplicates), switch (1..255 printable ASCII;
//              default: the host name), database (an OVSDB name [A-Za-z_][A-Za-z0-9_]*, default
//              "hardware_vtep"), publish (boolean, default true), inactivity_probe (milliseconds,
//              0 or 1000..3600000, default 5000), max_backoff (milliseconds 1000..3600000,
//              default 8000), max_message_bytes (65536..4294967296, default 268435456).
//              With [policy], a [[port]] may leave out vsid: the database binds it (its
//              Physical_Port's vlan_bindings); a port with a vsid still needs that [[subnet]].
// Whole-file rules: no unknown table or key anywhere; in one VSID no MAC and no customer IP
// appears twice (ports and lookups together); customer addresses may repeat across VSIDs.
// Outside strings and comments only ASCII (TOML 1.0; config.cc checks it before toml++ 3.3.0,
// which has undefined behaviour on some non-ASCII characters there).
// No exceptions escape; nothing here does I/O except LoadConfigFile reading the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/log.h"
#include "nvgre/virt/address.h"
#include "nvgre/wire/ethernet.h"

namespace nvgre::daemon {

struct SourcePosition {
  std::uint32_t line = 0;    // 1-based; 0 = unknown
  std::uint32_t column = 0;  // 1-based; 0 = unknown
};

inline constexpr std::uint32_t kMinConfigVsid = 0x001000;  // 4096: 0x000000-0x000FFF reserved
inline constexpr std::uint32_t kMaxConfigVsid = 0xFFFFFE;  // 16777214: 0xFFFFFF reserved
inline constexpr std::uint32_t kEncapOverheadIpv4 = 42;    // outer IPv4 20 + GRE 8 + inner Ethernet 14
inline constexpr std::uint32_t kEncapOverheadIpv6 = 62;    // outer IPv6 40 + GRE 8 + inner Ethernet 14

enum class FlowIdMode : std::uint8_t { kFixed, kAuto };
enum class FloodMode : std::uint8_t { kUnicast, kMulticast };
// The `[daemon] log_level` values are log.h's levels.
using ConfigLogLevel = LogLevel;

struct DaemonSection {
  std::uint32_t workers = 0;  // 0 = the number of online CPUs
  ConfigLogLevel log_level = ConfigLogLevel::kInfo;
  std::string user;           // empty: stay root (with only the capabilities still needed)
  std::uint32_t drop_log_interval = 60;  // seconds between two log lines of one drop reason
};

struct UnderlaySection {
  std::optional<wire::Ipv4Address> ipv4;  // this host's provider addresses
  std::optional<wire::Ipv6Address> ipv6;
  std::uint32_t mtu = 1500;               // IP MTU of the underlay
  std::string interface;                  // empty: raw IP sockets
  FlowIdMode flow_id_mode = FlowIdMode::kFixed;
  std::uint8_t flow_id = 0;               // with kFixed
  std::uint8_t ttl = 64;
  SourcePosition where;
};

struct ControlSection {
  std::string socket = "/run/nvgred/nvgred.sock";
  std::string group;          // empty: the daemon's group
};

struct MetricsSection {
  // The HTTP endpoint serving /metrics; absent: none.
  struct Listen {
    virt::IpAddress address;
    std::uint16_t port = 0;
    friend bool operator==(const Listen&, const Listen&) = default;
  };
  std::optional<Listen> listen;
};

// [policy]: lookup records, subnets and port bindings from a clustered OVSDB (hardware_vtep
// schema with NVGRE locators, docs/ovsdb.md), and this host's ports published there.
struct PolicySection {
  std::vector<std::string> ovsdb;  // remotes: "unix:PATH", "tcp:HOST:PORT" (empty: no database)
  std::string switch_name;         // Physical_Switch.name; empty: the host name
  std::string database = "hardware_vtep";
  bool publish = true;             // write this host's Physical_Switch / ports / Ucast_Macs_Local
  std::uint32_t inactivity_probe_ms = 5000;  // 0: never
  std::uint32_t max_backoff_ms = 8000;
  std::uint64_t max_message_bytes = std::uint64_t{256} << 20;
  SourcePosition where;
};

struct SubnetEntry {
  std::uint32_t vsid = 0;
  FloodMode flood = FloodMode::kUnicast;
  std::optional<virt::IpAddress> multicast_group;  // set iff flood == kMulticast
  SourcePosition where;                            // of the [[subnet]] table
};

struct PortEntry {
  std::string tap;
  std::string netns;                  // empty: stays in nvgred's namespace
  std::uint32_t vsid = 0;             // 0 (only with [policy] ovsdb): bound by the database
  wire::MacAddress mac{};
  std::vector<virt::IpAddress> ips;
  std::uint32_t mtu = 0;              // 0: derived (Config::DefaultPortMtu)
  SourcePosition where;
};

struct LookupEntry {
  std::uint32_t vsid = 0;
  wire::MacAddress mac{};
  std::vector<virt::IpAddress> ips;
  virt::IpAddress provider{};
  SourcePosition where;
};

struct Config {
  std::string file;  // as given to ParseConfig / LoadConfigFile
  DaemonSection daemon;
  UnderlaySection underlay;
  ControlSection control;
  MetricsSection metrics;
  PolicySection policy;
  std::vector<SubnetEntry> subnets;
  std::vector<PortEntry> ports;
  std::vector<LookupEntry> lookups;

  // The TAP MTU when a port sets none: underlay mtu - 42 (IPv4-only underlay) or - 62 (an IPv6
  // underlay address is configured: the worst case of the two).
  std::uint32_t DefaultPortMtu() const;
  std::uint32_t PortMtu(const PortEntry& p) const { return p.mtu != 0 ? p.mtu : DefaultPortMtu(); }
};

struct ConfigError {
  std::string file;
  SourcePosition where;  // of the offending value (or of its table when the key is missing)
  std::string key;       // dotted path: "underlay.mtu", "port[1].vsid" (0-based, as toml++ paths)
  std::string message;   // what is wrong and what was expected
  // "FILE:LINE:COLUMN: KEY: MESSAGE" (":LINE:COLUMN" omitted when unknown, "KEY: " when empty)
  std::string ToString() const;
};

struct ConfigResult {
  std::optional<Config> config;     // set iff errors is empty
  std::vector<ConfigError> errors;  // in file order; one without a position (no [underlay]) last
};

// Parses and validates `text`; `file_name` is used in errors and copied into Config::file.
ConfigResult ParseConfig(std::string_view text, std::string_view file_name);
// Reads `path` (an unreadable or oversized (> 16 MiB) file is one error) and parses it.
ConfigResult LoadConfigFile(const std::string& path);

}  // namespace nvgre::daemon
