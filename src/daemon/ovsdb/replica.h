// nvgred's copy of the hardware_vtep tables it uses (docs/ovsdb.md), and what it makes of them:
// the record layer the datapath reads (virt/policy.h RecordLayer), the VSIDs of the ports the
// database binds, and the transaction that publishes this host's own rows.
//
//   Replica r(view);                           // view: this host's switch name, addresses, ports
//   Replica::Batch b = r.NewBatch();           // a RowSink: ParseMessage streams rows into it
//   ParseMessage(text, b, &error);
//   r.Apply(b, /*replace=*/found == false);    // a monitor reply / update2 / update3
//   std::shared_ptr<const virt::RecordLayer> layer = r.Publish();   // O(rows changed)
//   std::optional<json> ops = r.PlanPublish(); // the transact operations, or nothing to do
//
// Which rows count (docs/ovsdb.md has the whole mapping):
//   Logical_Switch.tunnel_key                  = a VSID (4096..16777214, RFC 7637 §3.2)
//   Physical_Locator (nvgre_over_ipv4/ipv6)    = a provider address (dst_ip)
//   Ucast_Macs_Remote and other hosts' Ucast_Macs_Local (MAC, logical_switch, locator, ipaddr)
//                                              = lookup records: (VSID, MAC) -> PA, (VSID, IP) -> MAC
//   Mcast_Macs_Remote "unknown-dst" -> Physical_Locator_Set = extra flood targets of the VSID
//   Physical_Switch (name = [policy] switch) -> ports -> Physical_Port.vlan_bindings{0}
//                                              = the VSID of a port the file leaves unbound
// Rows are untrusted: a row that does not follow the schema's types, a MAC or IP that does not
// parse, a VSID out of range, a locator of another encapsulation, a reference to a missing row:
// that row is refused (counted by reason, logged, rate-limited), every other row applies.
// Precedence among database rows with the same (VSID, MAC) or (VSID, IP): the one that claimed it
// first stays until it goes (a later claimant waits in line and takes over then), so flows are
// never moved by an unrelated update.
// Cost: Apply is O(rows in the batch), except when a Logical_Switch or Physical_Locator that rows
// refer to changes (then O(all rows)); memory about 70 bytes per Ucast row plus the claims.
// Single-threaded: the OVSDB client's thread owns it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/ovsdb/counters.h"
#include "daemon/ovsdb/datum.h"
#include "daemon/ovsdb/jsonrpc.h"
#include "nvgre/virt/policy.h"

namespace nvgre::daemon::ovsdb {

// The tables nvgred monitors (hardware_vtep names).
enum class TableId : std::uint8_t {
  kGlobal, kPhysicalSwitch, kPhysicalPort, kLogicalSwitch, kPhysicalLocator, kPhysicalLocatorSet,
  kMcastMacsRemote, kUcastMacsRemote, kUcastMacsLocal, kCount,
};
inline constexpr std::size_t kTableCount = static_cast<std::size_t>(TableId::kCount);
std::string_view TableName(TableId t);

// This host, as it publishes itself.
struct LocalPort {
  std::string tap;
  wire::MacAddress mac{};
  std::vector<virt::IpAddress> ips;
  std::uint32_t vsid = 0;  // 0: bound by the database (Physical_Port.vlan_bindings)
  friend bool operator==(const LocalPort&, const LocalPort&) = default;
};
struct LocalView {
  std::string switch_name;
  bool publish = true;
  std::vector<virt::IpAddress> addresses;  // provider addresses; the first is the locator published
  std::vector<LocalPort> ports;
  friend bool operator==(const LocalView&, const LocalView&) = default;
};

class Replica {
 public:
  explicit Replica(LocalView view);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // One message's rows, typed as they stream in; Apply() uses them, or they are dropped.
  class Batch final : public RowSink {
   public:
    explicit Batch(Replica& r) : replica_(r) {}
    void Row(std::string_view table, std::string_view uuid, nlohmann::json& update) override;
    void BadRow(std::string_view table, std::string_view uuid, std::string_view why) override;
    std::size_t rows() const { return big_.size() + small_.size() + server_.size(); }
    // _Server's Database rows (monitor of the _Server database): name, model, connected, leader.
    struct ServerRow {
      Uuid uuid;
      bool deleted = false;
      nlohmann::json row;  // the columns as sent (insert / initial / modify)
    };
    const std::vector<ServerRow>& server_rows() const { return server_; }

   private:
    friend class Replica;
    enum class Op : std::uint8_t { kInsert, kModify, kDelete };
    enum class Field : std::uint8_t { kAbsent, kValid, kInvalid };
    struct Big {  // a Ucast_Macs_Remote / Ucast_Macs_Local row update
      Uuid uuid;
      Uuid ls, locator;
      std::array<std::uint8_t, 16> ip{};
      wire::MacAddress mac{};
      TableId table = TableId::kUcastMacsRemote;
      Op op = Op::kInsert;
      Field mac_state = Field::kAbsent, ip_state = Field::kAbsent;
      bool ipv6 = false, has_ip = false, has_ls = false, has_locator = false, malformed = false;
    };
    struct Small {
      TableId table;
      Op op;
      Uuid uuid;
      bool malformed = false;
      std::vector<std::optional<nlohmann::json>> columns;  // canonical, by column index
    };
    Replica& replica_;
    std::vector<Big> big_;
    std::vector<Small> small_;
    std::vector<ServerRow> server_;
  };
  Batch NewBatch() { return Batch(*this); }

  // Applies a batch. `replace`: it holds the whole database (a monitor reply that did not
  // resume from the last transaction): every row it lacks is gone.
  void Apply(Batch& batch, bool replace);
  // Changes this host's view (reload); rows whose "own" status changes are re-evaluated.
  void SetLocalView(LocalView view);
  const LocalView& view() const { return view_; }

  // The record layer as of the last Apply (a new version only when something changed).
  std::shared_ptr<const virt::RecordLayer> Publish();
  bool dirty() const { return dirty_; }
  // tap -> VSID for this host's ports the database binds (our Physical_Switch's Physical_Port
  // rows, vlan_bindings key 0 -> a Logical_Switch in force).
  std::map<std::string, std::uint32_t> PortBindings() const;

  // monitor_cond(_since) requests: every table nvgred uses, its columns, and the conditions
  // (our Physical_Switch by name, its Physical_Port rows by UUID).
  nlohmann::json MonitorRequests() const;
  // The Physical_Port condition for our switch's current ports (for monitor_cond_change).
  nlohmann::json PortCondition() const;
  // Whether the Physical_Port rows our switch lists are all here (the condition caught up).
  bool PortsComplete() const;

  // The operations (without the database name) that make the database hold this host's rows:
  // its Physical_Switch (tunnel_ips, in Global.switches), a Physical_Port per port (with
  // vlan_bindings {0: its Logical_Switch} when the file gives the VSID), a Physical_Locator for
  // its first address, a Logical_Switch per VSID its ports use when none has that tunnel_key,
  // and Ucast_Macs_Local rows (one per port address, or one without ipaddr) for every bound
  // port. nullopt when the database already holds exactly that. The first operation waits for
  // Physical_Switch.other_config:nvgred-generation to be what this replica saw and the last
  // bumps it, so a plan made from a stale replica fails instead of inserting twice.
  std::optional<nlohmann::json> PlanPublish() const;

  // Counters and gauges for `nvgred ctl lookup`.
  nlohmann::json Status() const;
  std::size_t records() const { return editor_.records(); }
  std::size_t rows(TableId t) const;
  std::uint64_t refused_total(Refusal r) const { return refused_total_[static_cast<std::size_t>(r)]; }
  std::uint64_t refused_now(Refusal r) const { return refused_now_[static_cast<std::size_t>(r)]; }
  // Bytes held by the row store and its indexes (for the benchmark).
  std::size_t bytes() const;

 private:
  struct Impl;
  void Log(TableId table, const Uuid& uuid, Refusal reason, const std::string& detail);
  void CountRefusal(Refusal r) { ++refused_total_[static_cast<std::size_t>(r)]; }

  LocalView view_;
  virt::RecordLayerEditor editor_;
  std::unique_ptr<Impl> impl_;
  bool dirty_ = true;
  std::array<std::uint64_t, kRefusalCount> refused_total_{};
  std::array<std::uint64_t, kRefusalCount> refused_now_{};
  // Log rate limit: at most kLogBurst refusal lines per second.
  std::int64_t log_second_ = 0;
  std::uint32_t logged_this_second_ = 0;
  std::uint64_t log_suppressed_ = 0;
};

}  // namespace nvgre::daemon::ovsdb
