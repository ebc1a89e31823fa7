// The OVSDB client's counters as nvgred exports them (stats.h: `ctl stats` section "ovsdb",
// /metrics nvgred_ovsdb_*), and why a database row is refused (replica.h). Kept apart from the
// client so that the counter registry does not need the client's headers.
//
//   ClientCounters c = client.Counters();     // a copy, safe from any thread
//   c.refused_total[static_cast<std::size_t>(Refusal::kBadMac)]
//   RefusalName(Refusal::kBadMac)              // "bad-mac"
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nvgre::daemon::ovsdb {

// Why a row is not in force: value, stable name, help text.
#define NVGRED_OVSDB_REFUSALS(X)                                                                      \
  X(kMalformed, "malformed-row",                                                                      \
    "a row update that does not follow the schema's column types (RFC 7047 §5.1), a bad UUID, or a "   \
    "modify/delete of a row never inserted")                                                          \
  X(kVsidOutOfRange, "vsid-out-of-range",                                                             \
    "a Logical_Switch whose tunnel_key is missing or outside 4096..16777214 (RFC 7637 §3.2)")         \
  X(kBadMac, "bad-mac", "a MAC column that is not a unicast xx:xx:xx:xx:xx:xx address")              \
  X(kBadIp, "bad-ip", "an ipaddr / dst_ip that is not an IPv4 or IPv6 address (or of the wrong family)") \
  X(kUnknownEncapsulation, "unknown-encapsulation",                                                   \
    "a Physical_Locator whose encapsulation_type is not nvgre_over_ipv4 / nvgre_over_ipv6")           \
  X(kDanglingReference, "dangling-reference", "a reference to a row the database does not hold")

enum class Refusal : std::uint8_t {
#define NVGRE_X(value, name, help) value,
  NVGRED_OVSDB_REFUSALS(NVGRE_X)
#undef NVGRE_X
  kCount,
};
inline constexpr std::size_t kRefusalCount = static_cast<std::size_t>(Refusal::kCount);
std::string_view RefusalName(Refusal r);

// Totals since nvgred started (refused_now: rows refused in the replica at this moment).
struct ClientCounters {
  std::uint64_t messages = 0;         // JSON-RPC messages received
  std::uint64_t updates = 0;          // monitor replies and update/update2/update3 notifications
  std::uint64_t protocol_errors = 0;  // connections closed for bad input (the three below and others)
  std::uint64_t oversize = 0;         // messages longer than [policy] max_message_bytes
  std::uint64_t not_json = 0;         // bytes that are not JSON
  std::uint64_t unexpected = 0;       // JSON that is no expected JSON-RPC message
  std::uint64_t connects = 0;         // connection attempts
  std::uint64_t disconnects = 0;
  std::uint64_t echo_answered = 0;
  std::uint64_t probes = 0;           // echo requests sent after inactivity_probe
  std::uint64_t txn_ok = 0, txn_failed = 0;  // publishing transactions
  std::uint64_t bytes_received = 0;   // on the monitoring connections
  std::uint64_t records = 0;          // lookup records the replica holds
  bool connected = false;             // synced with a member of the cluster
  std::array<std::uint64_t, kRefusalCount> refused_total{};
  std::array<std::uint64_t, kRefusalCount> refused_now{};
};

}  // namespace nvgre::daemon::ovsdb
