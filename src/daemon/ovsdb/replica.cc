// nvgred's replica of the hardware_vtep tables (replica.h; the mapping in docs/ovsdb.md).
// RFC 7047 §5.1 (notation), ovsdb-server(7) §4.1.14 (<row-update2>), RFC 7637 §3 (lookup
// records: CA -> PA per VSID), §3.2 (reserved VSIDs), the hardware_vtep schema (vtep(5)).
#include "daemon/ovsdb/replica.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "daemon/log.h"
#include "nvgre/virt/address.h"

namespace nvgre::daemon::ovsdb {

using json = nlohmann::json;

namespace {

constexpr std::uint32_t kNil = 0xFFFFFFFFu;
constexpr std::uint32_t kLogBurst = 20;  // refusal log lines per second, then a count
constexpr const char* kGenerationKey = "nvgred-generation";

struct Column {
  const char* name;
  ColumnKind kind;
  json def;  // atom default
};
struct TableDef {
  TableId id;
  const char* name;
  std::vector<Column> columns;  // monitored columns (small tables); Ucast tables are typed
};

json ZeroUuid() { return json::array({"uuid", "00000000-0000-0000-0000-000000000000"}); }

const std::vector<TableDef>& Tables() {
  static const std::vector<TableDef> tables = {
      {TableId::kGlobal, "Global", {{"switches", ColumnKind::kSet, ZeroUuid()}}},
      {TableId::kPhysicalSwitch,
       "Physical_Switch",
       {{"name", ColumnKind::kScalar, ""},
        {"ports", ColumnKind::kSet, ZeroUuid()},
        {"tunnel_ips", ColumnKind::kSet, ""},
        {"other_config", ColumnKind::kMap, ""}}},
      {TableId::kPhysicalPort,
       "Physical_Port",
       {{"name", ColumnKind::kScalar, ""}, {"vlan_bindings", ColumnKind::kMap, 0}}},
      {TableId::kLogicalSwitch,
       "Logical_Switch",
       {{"name", ColumnKind::kScalar, ""}, {"tunnel_key", ColumnKind::kSet, 0}}},
      {TableId::kPhysicalLocator,
       "Physical_Locator",
       {{"encapsulation_type", ColumnKind::kScalar, ""}, {"dst_ip", ColumnKind::kScalar, ""}}},
      {TableId::kPhysicalLocatorSet, "Physical_Locator_Set", {{"locators", ColumnKind::kSet, ZeroUuid()}}},
      {TableId::kMcastMacsRemote,
       "Mcast_Macs_Remote",
       {{"MAC", ColumnKind::kScalar, ""},
        {"logical_switch", ColumnKind::kScalar, ZeroUuid()},
        {"locator_set", ColumnKind::kScalar, ZeroUuid()}}},
      {TableId::kUcastMacsRemote, "Ucast_Macs_Remote", {}},
      {TableId::kUcastMacsLocal, "Ucast_Macs_Local", {}},
  };
  return tables;
}
const TableDef& Def(TableId t) { return Tables()[static_cast<std::size_t>(t)]; }
bool IsBig(TableId t) { return t == TableId::kUcastMacsRemote || t == TableId::kUcastMacsLocal; }
std::size_t ColumnIndex(TableId t, std::string_view name) {
  const auto& cols = Def(t).columns;
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (name == cols[i].name) return i;
  }
  return cols.size();
}

std::optional<TableId> TableByName(std::string_view name) {
  for (const TableDef& t : Tables()) {
    if (name == t.name) return t.id;
  }
  return std::nullopt;
}

// "02:00:00:00:50:01" (unicast, not zero) or nullopt.
std::optional<wire::MacAddress> UnicastMac(std::string_view s) {
  const auto m = virt::ParseMacAddress(s);
  if (!m || virt::IsMulticastMac(*m) || virt::IsZeroMac(*m)) return std::nullopt;
  return m;
}

bool IsHostAddress(const virt::IpAddress& a) {
  if (virt::IsMulticastIp(a)) return false;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a)) {
    return *v4 != wire::Ipv4Address{} && *v4 != wire::Ipv4Address{255, 255, 255, 255};
  }
  return std::get<wire::Ipv6Address>(a) != wire::Ipv6Address{};
}

std::optional<virt::IpAddress> HostAddress(std::string_view s) {
  if (s.find('\0') != std::string_view::npos) return std::nullopt;
  const auto a = virt::ParseIpAddress(s);
  if (!a || !IsHostAddress(*a)) return std::nullopt;
  return a;
}

// Cut for log lines: untrusted strings are shown escaped and at most 64 bytes.
std::string Shown(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < 64; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 64) out += "...";
  return out + "\"";
}

virt::IpAddress IpFromBytes(const std::array<std::uint8_t, 16>& b, bool v6) {
  if (v6) return wire::Ipv6Address(b);
  return wire::Ipv4Address{b[0], b[1], b[2], b[3]};
}

struct UuidTraits {
  using Key = Uuid;
  using Value = std::uint32_t;
  static std::uint64_t Hash(const Key& k) { return UuidHash{}(k); }
  static bool IsEmpty(const Key& k) { return k.IsZero(); }
  static Key Empty() { return {}; }
};

}  // namespace

std::string_view RefusalName(Refusal r) {
  switch (r) {
#define NVGRE_X(value, name, help) \
  case Refusal::value:             \
    return name;
    NVGRED_OVSDB_REFUSALS(NVGRE_X)
#undef NVGRE_X
    case Refusal::kCount: break;
  }
  return "?";
}


std::string_view TableName(TableId t) { return Def(t).name; }

// ---- the row store ----------------------------------------------------------------------------

struct Replica::Impl {
  // A Logical_Switch or Physical_Locator as the Ucast rows see it.
  struct Ref {
    Uuid uuid;
    std::uint32_t users = 0;  // Ucast rows referring to it
    bool exists = false;
    bool own = false;          // locator: one of this host's addresses
    std::uint8_t refusal = kNoRefusal;
    std::uint32_t vsid = 0;    // Logical_Switch in force
    std::uint32_t pid = 0;     // Physical_Locator in force: provider id
  };
  static constexpr std::uint8_t kNoRefusal = 0xFF;
  struct Pool {
    std::vector<Ref> refs;
    std::vector<std::uint32_t> free;
    std::unordered_map<Uuid, std::uint32_t, UuidHash> ids;
    std::uint32_t Get(const Uuid& u) {
      const auto it = ids.find(u);
      if (it != ids.end()) return it->second;
      std::uint32_t id;
      if (!free.empty()) {
        id = free.back();
        free.pop_back();
        refs[id] = Ref{};
      } else {
        id = static_cast<std::uint32_t>(refs.size());
        refs.emplace_back();
      }
      refs[id].uuid = u;
      ids.emplace(u, id);
      return id;
    }
    void Release(std::uint32_t id) {
      if (id == kNil) return;
      Ref& r = refs[id];
      if (r.users > 0) --r.users;
      MaybeFree(id);
    }
    void MaybeFree(std::uint32_t id) {
      Ref& r = refs[id];
      if (r.users == 0 && !r.exists) {
        ids.erase(r.uuid);
        free.push_back(id);
        r = Ref{};
      }
    }
    const Ref* Find(const Uuid& u) const {
      const auto it = ids.find(u);
      return it == ids.end() ? nullptr : &refs[it->second];
    }
  };

  // A Ucast_Macs_Remote / Ucast_Macs_Local row.
  enum Flags : std::uint8_t { kMacValid = 1, kHasIp = 2, kIpInvalid = 4, kIpv6 = 8, kLocal = 16 };
  enum State : std::uint8_t { kInForce = 0, kOwn = 1, kRefusedBase = 2, kDead = 0xFF };
  struct Row {
    Uuid uuid;
    std::array<std::uint8_t, 16> ip{};
    wire::MacAddress mac{};
    std::uint8_t flags = 0;
    std::uint8_t state = kDead;
    std::uint32_t ls = kNil, loc = kNil;   // Pool ids
    std::uint32_t vsid = 0, pid = 0;       // the claim, while in force
    std::uint32_t next_mac = kNil, next_ip = kNil;
  };
  struct Eval {
    std::uint8_t state = kDead;
    std::uint32_t vsid = 0, pid = 0;
  };

  std::vector<Row> rows;
  std::vector<std::uint32_t> free_rows;
  virt::CowTable<UuidTraits> index;  // uuid -> row
  Pool ls, loc;
  virt::CowTable<virt::VsidKeyTraits<virt::VsidMac, std::uint32_t>> mac_claims;  // -> head row
  virt::CowTable<virt::VsidKeyTraits<virt::VsidIpv4, std::uint32_t>> ip4_claims;
  virt::CowTable<virt::VsidKeyTraits<virt::VsidIpv6, std::uint32_t>> ip6_claims;
  std::array<std::unordered_map<Uuid, std::vector<json>, UuidHash>, kTableCount> small;
  std::vector<virt::IpAddress> providers;
  std::map<virt::IpAddress, std::uint32_t> provider_ids;
  std::map<std::uint32_t, std::map<std::uint32_t, std::uint32_t>> flood_counts;  // vsid -> pid -> heads
  std::map<std::uint32_t, std::set<std::uint32_t>> mcast_flood;                   // vsid -> pids
  std::map<std::uint32_t, std::uint32_t> ls_vsids;                                // vsid -> LS rows
  std::set<std::uint32_t> dirty_vsids;
  std::set<std::uint32_t> own_local;  // Ucast_Macs_Local rows with this host's locator
  std::array<std::size_t, 2> live_rows{};  // Remote, Local

  std::uint32_t Provider(const virt::IpAddress& a) {
    const auto [it, fresh] = provider_ids.emplace(a, static_cast<std::uint32_t>(providers.size()));
    if (fresh) providers.push_back(a);
    return it->second;
  }
  void FloodAdd(std::uint32_t vsid, std::uint32_t pid, int delta) {
    auto& per = flood_counts[vsid];
    std::uint32_t& n = per[pid];
    if (delta > 0) {
      if (n++ == 0) dirty_vsids.insert(vsid);
    } else if (n > 0 && --n == 0) {
      per.erase(pid);
      if (per.empty()) flood_counts.erase(vsid);
      dirty_vsids.insert(vsid);
    }
  }
};

Replica::Replica(LocalView view) : view_(std::move(view)), impl_(std::make_unique<Impl>()) {}
Replica::~Replica() = default;

std::size_t Replica::rows(TableId t) const {
  if (t == TableId::kUcastMacsRemote) return impl_->live_rows[0];
  if (t == TableId::kUcastMacsLocal) return impl_->live_rows[1];
  return impl_->small[static_cast<std::size_t>(t)].size();
}

std::size_t Replica::bytes() const {
  const Impl& m = *impl_;
  return m.rows.capacity() * sizeof(Impl::Row) + m.index.slot_bytes() + m.mac_claims.slot_bytes() +
         m.ip4_claims.slot_bytes() + m.ip6_claims.slot_bytes();
}

void Replica::Log(TableId table, const Uuid& uuid, Refusal reason, const std::string& detail) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (now != log_second_) {
    if (log_suppressed_ != 0) {
      NVGRED_LOG_WARN("ovsdb: %llu more refused row(s) not logged (at most %u lines per second)",
                      static_cast<unsigned long long>(log_suppressed_), kLogBurst);
    }
    log_second_ = now;
    logged_this_second_ = 0;
    log_suppressed_ = 0;
  }
  if (logged_this_second_ >= kLogBurst) {
    ++log_suppressed_;
    return;
  }
  ++logged_this_second_;
  NVGRED_LOG_WARN("ovsdb: %s row %s refused (%s): %s", std::string(TableName(table)).c_str(),
                  uuid.ToString().c_str(), std::string(RefusalName(reason)).c_str(), detail.c_str());
}

// ---- staging (Batch) --------------------------------------------------------------------------

void Replica::Batch::BadRow(std::string_view table, std::string_view uuid, std::string_view why) {
  replica_.CountRefusal(Refusal::kMalformed);
  const auto t = TableByName(table);
  replica_.Log(t.value_or(TableId::kGlobal), Uuid::Parse(uuid).value_or(Uuid{}), Refusal::kMalformed,
               std::string(why) + (t ? "" : " (table " + Shown(table) + ")"));
}

void Replica::Batch::Row(std::string_view table, std::string_view uuid_text, json& update) {
  const auto t = TableByName(table);
  const bool server = table == "Database";
  if (!t && !server) return;  // a table nvgred did not ask for: not its business
  const auto uuid = Uuid::Parse(uuid_text);
  auto malformed = [&](const std::string& why) {
    replica_.CountRefusal(Refusal::kMalformed);
    replica_.Log(t.value_or(TableId::kGlobal), uuid.value_or(Uuid{}), Refusal::kMalformed, why);
  };
  if (!uuid || uuid->IsZero()) return malformed("row UUID " + Shown(uuid_text) + " is not a UUID");
  // A <row-update2> has exactly one of these members.
  Op op = Op::kInsert;
  const json* row = nullptr;
  int members = 0;
  for (const auto& [k, v] : update.items()) {
    ++members;
    if (k == "initial" || k == "insert") {
      op = Op::kInsert;
    } else if (k == "modify") {
      op = Op::kModify;
    } else if (k == "delete") {
      op = Op::kDelete;
    } else {
      return malformed("unknown <row-update2> member " + Shown(k));
    }
    row = &v;
  }
  if (members != 1) return malformed("a <row-update2> needs exactly one of initial/insert/modify/delete");
  if (op != Op::kDelete && !row->is_object()) return malformed("the <row> of an insert/modify is not an object");

  if (server) {
    server_.push_back({*uuid, op == Op::kDelete, op == Op::kDelete ? json() : std::move(update.begin().value())});
    return;
  }
  if (IsBig(*t)) {
    Big b;
    b.uuid = *uuid;
    b.table = *t;
    b.op = op;
    if (op == Op::kDelete) {
      big_.push_back(b);
      return;
    }
    // A row that breaks the schema's types is not trusted at all: its previous contents go too.
    auto bad = [&](const std::string& why) {
      malformed(why);
      b.malformed = true;
      big_.push_back(b);
    };
    for (const auto& [k, v] : row->items()) {
      if (k == "MAC") {
        const auto s = ReadString(v);
        if (!s) return bad("MAC is not a string");
        const auto mac = UnicastMac(*s);
        b.mac_state = mac ? Field::kValid : Field::kInvalid;
        if (mac) {
          b.mac = *mac;
        } else {
          replica_.CountRefusal(Refusal::kBadMac);
          replica_.Log(*t, *uuid, Refusal::kBadMac, "MAC " + Shown(*s) + " is not a unicast MAC address");
        }
      } else if (k == "logical_switch" || k == "locator") {
        const auto u = ReadUuid(v);
        if (!u) return bad(k + " is not a [\"uuid\", ...] reference");
        (k == "locator" ? b.locator : b.ls) = *u;
        (k == "locator" ? b.has_locator : b.has_ls) = true;
      } else if (k == "ipaddr") {
        const auto s = ReadString(v);
        if (!s) return bad("ipaddr is not a string");
        b.ip_state = Field::kValid;
        b.has_ip = !s->empty();
        if (b.has_ip) {
          const auto a = HostAddress(*s);
          if (!a) {
            b.ip_state = Field::kInvalid;
            replica_.CountRefusal(Refusal::kBadIp);
            replica_.Log(*t, *uuid, Refusal::kBadIp, "ipaddr " + Shown(*s) + " is not a unicast IP address");
          } else if (const auto* v4 = std::get_if<wire::Ipv4Address>(&*a)) {
            std::copy(v4->begin(), v4->end(), b.ip.begin());
          } else {
            b.ipv6 = true;
            b.ip = std::get<wire::Ipv6Address>(*a);
          }
        }
      }
      // Other columns: not monitored, ignored.
    }
    big_.push_back(b);
    return;
  }
  Small s;
  s.table = *t;
  s.op = op;
  s.uuid = *uuid;
  const auto& cols = Def(*t).columns;
  s.columns.resize(cols.size());
  if (op != Op::kDelete) {
    for (auto& [k, v] : row->items()) {
      const std::size_t i = ColumnIndex(*t, k);
      if (i == cols.size()) continue;
      json c;
      if (!Canonical(cols[i].kind, v, c)) {
        malformed("column " + k + " does not hold a value of its type");
        s.malformed = true;
        s.columns.clear();
        s.columns.resize(cols.size());
        break;
      }
      s.columns[i] = std::move(c);
    }
  }
  small_.push_back(std::move(s));
}

// ---- applying ---------------------------------------------------------------------------------

namespace {

// Typed views of small rows (canonical columns).
const json& Col(const std::vector<json>& row, TableId t, std::string_view name) {
  return row[ColumnIndex(t, name)];
}
std::string_view ColString(const std::vector<json>& row, TableId t, std::string_view name) {
  return ReadString(Col(row, t, name)).value_or(std::string_view());
}

}  // namespace

void Replica::Apply(Batch& batch, bool replace) {
  Impl& m = *impl_;
  dirty_ = true;
  if (replace) {
    auto fresh = std::make_unique<Impl>();
    fresh->providers = std::move(m.providers);  // provider ids stay meaningful
    fresh->provider_ids = std::move(m.provider_ids);
    impl_ = std::move(fresh);
    editor_.Clear();
    refused_now_ = {};
    Apply(batch, false);
    return;
  }
  std::vector<bool> ls_changed, loc_changed;
  bool rescan = false;
  bool mcast_changed = false;

  auto evaluate = [&](const Impl::Row& row) {
    Impl::Eval e;
    const Impl::Ref* loc = row.loc == kNil ? nullptr : &m.loc.refs[row.loc];
    if (loc != nullptr && loc->exists && loc->own) {
      e.state = Impl::kOwn;
      return e;
    }
    auto refuse = [&](Refusal r) {
      e.state = static_cast<std::uint8_t>(Impl::kRefusedBase + static_cast<std::uint8_t>(r));
      return e;
    };
    if (!(row.flags & Impl::kMacValid)) return refuse(Refusal::kBadMac);
    if (row.flags & Impl::kIpInvalid) return refuse(Refusal::kBadIp);
    const Impl::Ref* ls = row.ls == kNil ? nullptr : &m.ls.refs[row.ls];
    if (ls == nullptr || !ls->exists) return refuse(Refusal::kDanglingReference);
    if (ls->refusal != Impl::kNoRefusal) return refuse(static_cast<Refusal>(ls->refusal));
    if (loc == nullptr || !loc->exists) return refuse(Refusal::kDanglingReference);
    if (loc->refusal != Impl::kNoRefusal) return refuse(static_cast<Refusal>(loc->refusal));
    e.state = Impl::kInForce;
    e.vsid = ls->vsid;
    e.pid = loc->pid;
    return e;
  };

  // Claims: (VSID, MAC) and (VSID, IP) -> a chain of rows; the head is in force.
  auto claim = [&](std::uint32_t r) {
    Impl::Row& row = m.rows[r];
    row.next_mac = row.next_ip = kNil;
    const virt::VsidMac key{row.vsid, row.mac};
    if (const std::uint32_t* head = m.mac_claims.Find(key)) {
      std::uint32_t i = *head;
      while (m.rows[i].next_mac != kNil) i = m.rows[i].next_mac;
      m.rows[i].next_mac = r;
    } else {
      m.mac_claims.Insert(key, r);
      editor_.SetMac(row.vsid, row.mac, m.providers[row.pid]);
      m.FloodAdd(row.vsid, row.pid, +1);
    }
    if (!(row.flags & Impl::kHasIp)) return;
    const virt::IpAddress ip = IpFromBytes(row.ip, row.flags & Impl::kIpv6);
    const std::uint32_t* head = nullptr;
    if (row.flags & Impl::kIpv6) {
      head = m.ip6_claims.Find({row.vsid, std::get<wire::Ipv6Address>(ip)});
    } else {
      head = m.ip4_claims.Find({row.vsid, std::get<wire::Ipv4Address>(ip)});
    }
    if (head != nullptr) {
      std::uint32_t i = *head;
      while (m.rows[i].next_ip != kNil) i = m.rows[i].next_ip;
      m.rows[i].next_ip = r;
      return;
    }
    if (row.flags & Impl::kIpv6) {
      m.ip6_claims.Insert({row.vsid, std::get<wire::Ipv6Address>(ip)}, r);
    } else {
      m.ip4_claims.Insert({row.vsid, std::get<wire::Ipv4Address>(ip)}, r);
    }
    editor_.SetIp(row.vsid, ip, row.mac);
  };
  auto retract = [&](std::uint32_t r) {
    Impl::Row& row = m.rows[r];
    const virt::VsidMac key{row.vsid, row.mac};
    if (const std::uint32_t* head = m.mac_claims.Find(key)) {
      if (*head == r) {
        const std::uint32_t next = row.next_mac;
        if (next == kNil) {
          m.mac_claims.Erase(key);
          editor_.EraseMac(row.vsid, row.mac);
          m.FloodAdd(row.vsid, row.pid, -1);
        } else {
          m.mac_claims.Insert(key, next);
          const Impl::Row& n = m.rows[next];
          if (n.pid != row.pid) {
            editor_.SetMac(n.vsid, n.mac, m.providers[n.pid]);
            m.FloodAdd(row.vsid, row.pid, -1);
            m.FloodAdd(n.vsid, n.pid, +1);
          }
        }
      } else {
        std::uint32_t i = *head;
        while (m.rows[i].next_mac != r && m.rows[i].next_mac != kNil) i = m.rows[i].next_mac;
        if (m.rows[i].next_mac == r) m.rows[i].next_mac = row.next_mac;
      }
    }
    row.next_mac = kNil;
    if (!(row.flags & Impl::kHasIp)) return;
    const virt::IpAddress ip = IpFromBytes(row.ip, row.flags & Impl::kIpv6);
    const bool v6 = row.flags & Impl::kIpv6;
    const std::uint32_t* head = v6 ? m.ip6_claims.Find({row.vsid, std::get<wire::Ipv6Address>(ip)})
                                   : m.ip4_claims.Find({row.vsid, std::get<wire::Ipv4Address>(ip)});
    if (head != nullptr) {
      if (*head == r) {
        const std::uint32_t next = row.next_ip;
        if (next == kNil) {
          if (v6) {
            m.ip6_claims.Erase({row.vsid, std::get<wire::Ipv6Address>(ip)});
          } else {
            m.ip4_claims.Erase({row.vsid, std::get<wire::Ipv4Address>(ip)});
          }
          editor_.EraseIp(row.vsid, ip);
        } else {
          if (v6) {
            m.ip6_claims.Insert({row.vsid, std::get<wire::Ipv6Address>(ip)}, next);
          } else {
            m.ip4_claims.Insert({row.vsid, std::get<wire::Ipv4Address>(ip)}, next);
          }
          if (m.rows[next].mac != row.mac) editor_.SetIp(row.vsid, ip, m.rows[next].mac);
        }
      } else {
        std::uint32_t i = *head;
        while (m.rows[i].next_ip != r && m.rows[i].next_ip != kNil) i = m.rows[i].next_ip;
        if (m.rows[i].next_ip == r) m.rows[i].next_ip = row.next_ip;
      }
    }
    row.next_ip = kNil;
  };
  // Moves row r to evaluation `e`: gauges, logs, the own-row index.
  auto set_state = [&](std::uint32_t r, const Impl::Eval& e, bool logged_already) {
    Impl::Row& row = m.rows[r];
    const std::uint8_t old = row.state;
    if (old >= Impl::kRefusedBase && old != Impl::kDead) --refused_now_[old - Impl::kRefusedBase];
    if (e.state >= Impl::kRefusedBase && e.state != Impl::kDead) {
      const auto reason = static_cast<Refusal>(e.state - Impl::kRefusedBase);
      ++refused_now_[static_cast<std::size_t>(reason)];
      if (old != e.state && !logged_already) {
        CountRefusal(reason);
        std::string detail;
        const Impl::Ref* ls = row.ls == kNil ? nullptr : &m.ls.refs[row.ls];
        const Impl::Ref* loc = row.loc == kNil ? nullptr : &m.loc.refs[row.loc];
        if (ls == nullptr || !ls->exists) {
          detail = "logical_switch " + (ls ? ls->uuid : Uuid{}).ToString() + " does not exist";
        } else if (ls->refusal != Impl::kNoRefusal) {
          detail = "its Logical_Switch " + ls->uuid.ToString() + " is refused";
        } else if (loc == nullptr || !loc->exists) {
          detail = "locator " + (loc ? loc->uuid : Uuid{}).ToString() + " does not exist";
        } else {
          detail = "its Physical_Locator " + loc->uuid.ToString() + " is refused";
        }
        Log(row.flags & Impl::kLocal ? TableId::kUcastMacsLocal : TableId::kUcastMacsRemote, row.uuid,
            reason, detail);
      }
    }
    row.state = e.state;
    row.vsid = e.vsid;
    row.pid = e.pid;
    if ((row.flags & Impl::kLocal) && e.state == Impl::kOwn) {
      m.own_local.insert(r);
    } else {
      m.own_local.erase(r);
    }
  };
  auto reevaluate = [&](std::uint32_t r) {
    Impl::Row& row = m.rows[r];
    const Impl::Eval e = evaluate(row);
    if (e.state == row.state && e.vsid == row.vsid && e.pid == row.pid) return;
    if (row.state == Impl::kInForce) retract(r);
    set_state(r, e, false);
    if (e.state == Impl::kInForce) claim(r);
  };
  auto remove_row = [&](std::uint32_t r) {
    Impl::Row& row = m.rows[r];
    if (row.state == Impl::kInForce) retract(r);
    set_state(r, Impl::Eval{}, true);
    m.ls.Release(row.ls);
    m.loc.Release(row.loc);
    m.index.Erase(row.uuid);
    --m.live_rows[(row.flags & Impl::kLocal) ? 1 : 0];
    row = Impl::Row{};
    m.free_rows.push_back(r);
  };

  // 1. Ucast deletions first: a transaction that removes rows and the locator they used
  //    then needs no rescan.
  for (const Batch::Big& b : batch.big_) {
    if (b.op != Batch::Op::kDelete) continue;
    const std::uint32_t* r = m.index.Find(b.uuid);
    if (r == nullptr) {
      CountRefusal(Refusal::kMalformed);
      Log(b.table, b.uuid, Refusal::kMalformed, "delete of a row never inserted");
      continue;
    }
    remove_row(*r);
  }

  // 2. The small tables; Logical_Switch / Physical_Locator changes re-derive what Ucast rows see.
  auto ls_state = [&](const Uuid& u) {
    const std::uint32_t id = m.ls.Get(u);
    Impl::Ref& ref = m.ls.refs[id];
    const Impl::Ref before = ref;
    const auto it = m.small[static_cast<std::size_t>(TableId::kLogicalSwitch)].find(u);
    ref.exists = it != m.small[static_cast<std::size_t>(TableId::kLogicalSwitch)].end();
    ref.refusal = Impl::kNoRefusal;
    ref.vsid = 0;
    if (ref.exists) {
      const json& key = Col(it->second, TableId::kLogicalSwitch, "tunnel_key");
      const auto v = key.size() == 1 ? ReadInteger(key[0]) : std::nullopt;
      if (v && virt::IsUsableVsid(static_cast<std::uint64_t>(*v)) && *v >= 0) {
        ref.vsid = static_cast<std::uint32_t>(*v);
      } else {
        ref.refusal = static_cast<std::uint8_t>(Refusal::kVsidOutOfRange);
      }
    }
    const bool was = before.exists && before.refusal == Impl::kNoRefusal;
    const bool is = ref.exists && ref.refusal == Impl::kNoRefusal;
    if (was != is || before.vsid != ref.vsid) {
      if (was) {
        if (--m.ls_vsids[before.vsid] == 0) m.ls_vsids.erase(before.vsid);
        m.dirty_vsids.insert(before.vsid);
      }
      if (is) {
        ++m.ls_vsids[ref.vsid];
        m.dirty_vsids.insert(ref.vsid);
      }
    }
    const bool was_refused = before.exists && before.refusal != Impl::kNoRefusal;
    const bool is_refused = ref.exists && ref.refusal != Impl::kNoRefusal;
    if (was_refused) --refused_now_[before.refusal];
    if (is_refused) {
      ++refused_now_[ref.refusal];
      if (!was_refused) {
        CountRefusal(Refusal::kVsidOutOfRange);
        const json& key = Col(it->second, TableId::kLogicalSwitch, "tunnel_key");
        Log(TableId::kLogicalSwitch, u, Refusal::kVsidOutOfRange,
            "tunnel_key " + key.dump(-1, ' ', false, json::error_handler_t::replace) +
                " is not a VSID in 4096..16777214 (RFC 7637 §3.2)");
      }
    }
    if ((before.exists != ref.exists || before.refusal != ref.refusal || before.vsid != ref.vsid) &&
        ref.users > 0) {
      if (ls_changed.size() <= id) ls_changed.resize(id + 1);
      ls_changed[id] = true;
      rescan = true;
    }
    m.ls.MaybeFree(id);
  };
  auto loc_state = [&](const Uuid& u) {
    const std::uint32_t id = m.loc.Get(u);
    Impl::Ref& ref = m.loc.refs[id];
    const Impl::Ref before = ref;
    const auto& table = m.small[static_cast<std::size_t>(TableId::kPhysicalLocator)];
    const auto it = table.find(u);
    ref.exists = it != table.end();
    ref.refusal = Impl::kNoRefusal;
    ref.own = false;
    ref.pid = 0;
    std::string detail;
    if (ref.exists) {
      const std::string_view encap = ColString(it->second, TableId::kPhysicalLocator, "encapsulation_type");
      const std::string_view dst = ColString(it->second, TableId::kPhysicalLocator, "dst_ip");
      const auto a = HostAddress(dst);
      if (a && std::find(view_.addresses.begin(), view_.addresses.end(), *a) != view_.addresses.end()) {
        ref.own = true;
      }
      if (encap != "nvgre_over_ipv4" && encap != "nvgre_over_ipv6") {
        ref.refusal = static_cast<std::uint8_t>(Refusal::kUnknownEncapsulation);
        detail = "encapsulation_type " + Shown(encap) + " is not nvgre_over_ipv4 or nvgre_over_ipv6";
      } else if (!a || virt::IsIpv6(*a) != (encap == "nvgre_over_ipv6")) {
        ref.refusal = static_cast<std::uint8_t>(Refusal::kBadIp);
        detail = "dst_ip " + Shown(dst) + " is not a unicast " +
                 std::string(encap == "nvgre_over_ipv6" ? "IPv6" : "IPv4") + " address";
      } else {
        ref.pid = m.Provider(*a);
      }
    }
    const bool was_refused = before.exists && before.refusal != Impl::kNoRefusal;
    const bool is_refused = ref.exists && ref.refusal != Impl::kNoRefusal;
    if (was_refused) --refused_now_[before.refusal];
    if (is_refused) {
      ++refused_now_[ref.refusal];
      if (!was_refused) {
        CountRefusal(static_cast<Refusal>(ref.refusal));
        Log(TableId::kPhysicalLocator, u, static_cast<Refusal>(ref.refusal), detail);
      }
    }
    if ((before.exists != ref.exists || before.refusal != ref.refusal || before.pid != ref.pid ||
         before.own != ref.own) &&
        ref.users > 0) {
      if (loc_changed.size() <= id) loc_changed.resize(id + 1);
      loc_changed[id] = true;
      rescan = true;
    }
    m.loc.MaybeFree(id);
  };
  for (Batch::Small& s : batch.small_) {
    auto& table = m.small[static_cast<std::size_t>(s.table)];
    const auto& cols = Def(s.table).columns;
    auto it = table.find(s.uuid);
    if (s.malformed) {
      if (it == table.end()) continue;  // counted as it was read
      table.erase(it);
    } else if (s.op == Batch::Op::kDelete) {
      if (it == table.end()) {
        CountRefusal(Refusal::kMalformed);
        Log(s.table, s.uuid, Refusal::kMalformed, "delete of a row never inserted");
        continue;
      }
      table.erase(it);
    } else if (s.op == Batch::Op::kInsert) {
      std::vector<json> row(cols.size());
      for (std::size_t i = 0; i < cols.size(); ++i) {
        row[i] = s.columns[i] ? std::move(*s.columns[i]) : DefaultValue(cols[i].kind, cols[i].def);
      }
      table[s.uuid] = std::move(row);  // an insert of a known row replaces it
    } else {
      if (it == table.end()) {
        CountRefusal(Refusal::kMalformed);
        Log(s.table, s.uuid, Refusal::kMalformed, "modify of a row never inserted");
        continue;
      }
      for (std::size_t i = 0; i < cols.size(); ++i) {
        if (s.columns[i]) ApplyDiff(cols[i].kind, it->second[i], *s.columns[i]);
      }
    }
    switch (s.table) {
      case TableId::kLogicalSwitch:
        ls_state(s.uuid);
        mcast_changed = true;
        break;
      case TableId::kPhysicalLocator:
        loc_state(s.uuid);
        mcast_changed = true;
        break;
      case TableId::kMcastMacsRemote:
      case TableId::kPhysicalLocatorSet:
        mcast_changed = true;
        break;
      default:
        break;
    }
  }

  // 3. Ucast inserts and modifies.
  for (const Batch::Big& b : batch.big_) {
    if (b.op == Batch::Op::kDelete) continue;
    const std::uint32_t* found = m.index.Find(b.uuid);
    if (b.malformed) {
      if (found != nullptr) remove_row(*found);
      continue;
    }
    if (b.op == Batch::Op::kModify && found == nullptr) {
      CountRefusal(Refusal::kMalformed);
      Log(b.table, b.uuid, Refusal::kMalformed, "modify of a row never inserted");
      continue;
    }
    std::uint32_t r;
    Impl::Row next;
    bool fresh = found == nullptr;
    if (fresh) {
      if (!m.free_rows.empty()) {
        r = m.free_rows.back();
        m.free_rows.pop_back();
      } else {
        r = static_cast<std::uint32_t>(m.rows.size());
        m.rows.emplace_back();
      }
      m.index.Insert(b.uuid, r);
      ++m.live_rows[b.table == TableId::kUcastMacsLocal ? 1 : 0];
      next.uuid = b.uuid;
      next.flags = b.table == TableId::kUcastMacsLocal ? Impl::kLocal : 0;
    } else {
      r = *found;
      next = m.rows[r];
      if (b.op == Batch::Op::kInsert) {  // an insert of a known row: every column anew
        next.flags &= Impl::kLocal;
        next.ip = {};
      }
    }
    const bool all = b.op == Batch::Op::kInsert;
    if (b.mac_state != Batch::Field::kAbsent || all) {
      next.mac = b.mac_state == Batch::Field::kValid ? b.mac : wire::MacAddress{};
      next.flags = static_cast<std::uint8_t>((next.flags & ~Impl::kMacValid) |
                                             (b.mac_state == Batch::Field::kValid ? Impl::kMacValid : 0));
    }
    if (b.ip_state != Batch::Field::kAbsent || all) {
      next.flags = static_cast<std::uint8_t>(next.flags & ~(Impl::kHasIp | Impl::kIpInvalid | Impl::kIpv6));
      if (b.ip_state == Batch::Field::kInvalid) next.flags |= Impl::kIpInvalid;
      if (b.ip_state == Batch::Field::kValid && b.has_ip) {
        next.flags |= Impl::kHasIp;
        if (b.ipv6) next.flags |= Impl::kIpv6;
        next.ip = b.ip;
      }
    }
    std::uint32_t old_ls = kNil, old_loc = kNil;
    if (b.has_ls || all) {
      old_ls = next.ls;
      next.ls = m.ls.Get(b.ls);  // the zero UUID when absent: dangling
      ++m.ls.refs[next.ls].users;
    }
    if (b.has_locator || all) {
      old_loc = next.loc;
      next.loc = m.loc.Get(b.locator);
      ++m.loc.refs[next.loc].users;
    }
    const Impl::Eval e = evaluate(next);
    const Impl::Row& old = m.rows[r];
    const bool same_claim = !fresh && old.state == Impl::kInForce && e.state == Impl::kInForce &&
                            old.vsid == e.vsid && old.pid == e.pid && old.mac == next.mac &&
                            (old.flags & (Impl::kHasIp | Impl::kIpv6)) == (next.flags & (Impl::kHasIp | Impl::kIpv6)) &&
                            old.ip == next.ip;
    if (same_claim) {
      m.rows[r] = next;  // chain links kept
    } else {
      if (!fresh && old.state == Impl::kInForce) retract(r);
      const std::uint8_t old_state = fresh ? std::uint8_t{Impl::kDead} : m.rows[r].state;
      next.next_mac = next.next_ip = kNil;
      next.state = old_state;
      m.rows[r] = next;
      // Bad MACs and IPs were logged (with the text) as they were read.
      const bool logged = e.state == Impl::kRefusedBase + static_cast<std::uint8_t>(Refusal::kBadMac) ||
                          e.state == Impl::kRefusedBase + static_cast<std::uint8_t>(Refusal::kBadIp);
      set_state(r, e, logged);
      if (e.state == Impl::kInForce) claim(r);
    }
    m.ls.Release(old_ls);
    m.loc.Release(old_loc);
  }

  // 4. Rows whose Logical_Switch or Physical_Locator changed.
  if (rescan) {
    for (std::uint32_t r = 0; r < m.rows.size(); ++r) {
      const Impl::Row& row = m.rows[r];
      if (row.state == Impl::kDead) continue;
      const bool hit = (row.ls < ls_changed.size() && ls_changed[row.ls]) ||
                       (row.loc < loc_changed.size() && loc_changed[row.loc]);
      if (hit) reevaluate(r);
    }
  }

  // 5. Flood targets from Mcast_Macs_Remote "unknown-dst" (vtep(5): where unknown and
  //    broadcast destinations go).
  if (mcast_changed) {
    std::map<std::uint32_t, std::set<std::uint32_t>> flood;
    const auto& sets = m.small[static_cast<std::size_t>(TableId::kPhysicalLocatorSet)];
    for (const auto& [uuid, row] : m.small[static_cast<std::size_t>(TableId::kMcastMacsRemote)]) {
      if (ColString(row, TableId::kMcastMacsRemote, "MAC") != "unknown-dst") continue;
      const auto ls_uuid = ReadUuid(Col(row, TableId::kMcastMacsRemote, "logical_switch"));
      const Impl::Ref* ls = ls_uuid ? m.ls.Find(*ls_uuid) : nullptr;
      if (ls == nullptr || !ls->exists || ls->refusal != Impl::kNoRefusal) continue;
      const auto set_uuid = ReadUuid(Col(row, TableId::kMcastMacsRemote, "locator_set"));
      const auto set = set_uuid ? sets.find(*set_uuid) : sets.end();
      if (set == sets.end()) continue;
      for (const json& l : Col(set->second, TableId::kPhysicalLocatorSet, "locators")) {
        const auto lu = ReadUuid(l);
        if (!lu) continue;
        const Impl::Ref* loc = m.loc.Find(*lu);
        if (loc != nullptr && loc->exists && !loc->own && loc->refusal == Impl::kNoRefusal) {
          flood[ls->vsid].insert(loc->pid);
        }
      }
    }
    for (const auto& [vsid, pids] : flood) {
      const auto it = m.mcast_flood.find(vsid);
      if (it == m.mcast_flood.end() || it->second != pids) m.dirty_vsids.insert(vsid);
    }
    for (const auto& [vsid, pids] : m.mcast_flood) {
      if (!flood.contains(vsid)) m.dirty_vsids.insert(vsid);
    }
    m.mcast_flood = std::move(flood);
  }

  // 6. Subnets: a VSID is one while a Logical_Switch in force has it.
  for (const std::uint32_t vsid : m.dirty_vsids) {
    if (!m.ls_vsids.contains(vsid)) {
      editor_.EraseSubnet(vsid);
      continue;
    }
    std::vector<virt::IpAddress> flood;
    if (const auto it = m.flood_counts.find(vsid); it != m.flood_counts.end()) {
      for (const auto& [pid, n] : it->second) flood.push_back(m.providers[pid]);
    }
    if (const auto it = m.mcast_flood.find(vsid); it != m.mcast_flood.end()) {
      for (const std::uint32_t pid : it->second) flood.push_back(m.providers[pid]);
    }
    editor_.SetSubnet(vsid, flood);
  }
  m.dirty_vsids.clear();
}

void Replica::SetLocalView(LocalView view) {
  const bool addresses_changed = view.addresses != view_.addresses;
  view_ = std::move(view);
  if (!addresses_changed) return;
  // Which locators are ours changed: re-derive every locator (a batch with only those).
  Batch b(*this);
  for (const auto& [uuid, row] : impl_->small[static_cast<std::size_t>(TableId::kPhysicalLocator)]) {
    Batch::Small s{TableId::kPhysicalLocator, Batch::Op::kModify, uuid, false, {}};
    s.columns.resize(row.size());
    b.small_.push_back(std::move(s));
  }
  Apply(b, false);
}

std::shared_ptr<const virt::RecordLayer> Replica::Publish() {
  dirty_ = false;
  return editor_.Publish();
}

// ---- our switch and ports ---------------------------------------------------------------------

namespace {

const std::pair<const Uuid, std::vector<json>>* FindSwitch(
    const std::unordered_map<Uuid, std::vector<json>, UuidHash>& switches, const std::string& name) {
  const std::pair<const Uuid, std::vector<json>>* best = nullptr;
  for (const auto& entry : switches) {
    if (ColString(entry.second, TableId::kPhysicalSwitch, "name") != name) continue;
    if (best == nullptr || entry.first < best->first) best = &entry;
  }
  return best;
}

}  // namespace

std::map<std::string, std::uint32_t> Replica::PortBindings() const {
  std::map<std::string, std::uint32_t> out;
  const Impl& m = *impl_;
  const auto* sw = FindSwitch(m.small[static_cast<std::size_t>(TableId::kPhysicalSwitch)], view_.switch_name);
  if (sw == nullptr) return out;
  const auto& ports = m.small[static_cast<std::size_t>(TableId::kPhysicalPort)];
  for (const json& p : Col(sw->second, TableId::kPhysicalSwitch, "ports")) {
    const auto pu = ReadUuid(p);
    const auto it = pu ? ports.find(*pu) : ports.end();
    if (it == ports.end()) continue;
    const std::string name(ColString(it->second, TableId::kPhysicalPort, "name"));
    for (const json& pair : Col(it->second, TableId::kPhysicalPort, "vlan_bindings")) {
      if (ReadInteger(pair[0]) != 0) continue;  // VLAN 0: the port's untagged traffic
      const auto lu = ReadUuid(pair[1]);
      const Impl::Ref* ls = lu ? m.ls.Find(*lu) : nullptr;
      if (ls != nullptr && ls->exists && ls->refusal == Impl::kNoRefusal) {
        out[name] = ls->vsid;
      } else if (lu) {
        // A Logical_Switch no Ucast row uses has no Ref: read the row itself.
        const auto& lss = m.small[static_cast<std::size_t>(TableId::kLogicalSwitch)];
        const auto l = lss.find(*lu);
        if (l == lss.end()) continue;
        const json& key = Col(l->second, TableId::kLogicalSwitch, "tunnel_key");
        const auto v = key.size() == 1 ? ReadInteger(key[0]) : std::nullopt;
        if (v && *v >= 0 && virt::IsUsableVsid(static_cast<std::uint64_t>(*v))) {
          out[name] = static_cast<std::uint32_t>(*v);
        }
      }
    }
  }
  return out;
}

json Replica::PortCondition() const {
  const Impl& m = *impl_;
  json where = json::array();
  const auto* sw = FindSwitch(m.small[static_cast<std::size_t>(TableId::kPhysicalSwitch)], view_.switch_name);
  if (sw != nullptr) {
    for (const json& p : Col(sw->second, TableId::kPhysicalSwitch, "ports")) {
      where.push_back(json::array({"_uuid", "==", p}));
    }
  }
  if (where.empty()) where.push_back(false);  // no row (an empty list would mean all rows)
  return where;
}

bool Replica::PortsComplete() const {
  const Impl& m = *impl_;
  const auto* sw = FindSwitch(m.small[static_cast<std::size_t>(TableId::kPhysicalSwitch)], view_.switch_name);
  if (sw == nullptr) return true;
  const auto& ports = m.small[static_cast<std::size_t>(TableId::kPhysicalPort)];
  for (const json& p : Col(sw->second, TableId::kPhysicalSwitch, "ports")) {
    const auto pu = ReadUuid(p);
    if (!pu || !ports.contains(*pu)) return false;
  }
  return true;
}

json Replica::MonitorRequests() const {
  json req = json::object();
  for (const TableDef& t : Tables()) {
    json columns = json::array();
    if (IsBig(t.id)) {
      columns = json::array({"MAC", "logical_switch", "locator", "ipaddr"});
    } else {
      for (const Column& c : t.columns) columns.push_back(c.name);
    }
    json r = {{"columns", columns}};
    if (t.id == TableId::kPhysicalSwitch) {
      r["where"] = json::array({json::array({"name", "==", view_.switch_name})});
    } else if (t.id == TableId::kPhysicalPort) {
      r["where"] = PortCondition();
    }
    req[t.name] = json::array({r});
  }
  return req;
}

std::optional<json> Replica::PlanPublish() const {
  if (!view_.publish || view_.addresses.empty() || view_.switch_name.empty()) return std::nullopt;
  if (!PortsComplete()) return std::nullopt;  // the Physical_Port condition has not caught up
  const Impl& m = *impl_;
  const auto& small = m.small;
  json ops = json::array();
  bool changes = false;

  // The Logical_Switch of each VSID (a database-bound port names its own).
  std::map<std::uint32_t, json> ls_ref;
  for (const auto& [uuid, row] : small[static_cast<std::size_t>(TableId::kLogicalSwitch)]) {
    const json& key = Col(row, TableId::kLogicalSwitch, "tunnel_key");
    const auto v = key.size() == 1 ? ReadInteger(key[0]) : std::nullopt;
    if (!v || *v < 0 || !virt::IsUsableVsid(static_cast<std::uint64_t>(*v))) continue;
    const auto vsid = static_cast<std::uint32_t>(*v);
    const auto it = ls_ref.find(vsid);
    if (it == ls_ref.end() || uuid < *ReadUuid(it->second)) ls_ref[vsid] = UuidJson(uuid);
  }
  for (const LocalPort& p : view_.ports) {
    if (p.vsid == 0 || ls_ref.contains(p.vsid)) continue;
    const std::string name = "ls" + std::to_string(p.vsid);
    ops.push_back({{"op", "insert"},
                   {"table", "Logical_Switch"},
                   {"uuid-name", name},
                   {"row", {{"name", "vsid-" + std::to_string(p.vsid)}, {"tunnel_key", p.vsid},
                            {"description", "created by nvgred " + view_.switch_name}}}});
    ls_ref[p.vsid] = NamedUuid(name);
    changes = true;
  }

  // Our Physical_Switch, its Physical_Port rows.
  const auto* sw = FindSwitch(small[static_cast<std::size_t>(TableId::kPhysicalSwitch)], view_.switch_name);
  json tunnel_ips = json::array();
  for (const virt::IpAddress& a : view_.addresses) tunnel_ips.push_back(virt::FormatIpAddress(a));
  std::map<std::string, std::pair<Uuid, const std::vector<json>*>> pp;  // name -> row
  const auto& ports = small[static_cast<std::size_t>(TableId::kPhysicalPort)];
  std::uint64_t generation = 0;
  json other_config = json::array();
  if (sw != nullptr) {
    for (const json& p : Col(sw->second, TableId::kPhysicalSwitch, "ports")) {
      const auto pu = ReadUuid(p);
      const auto it = pu ? ports.find(*pu) : ports.end();
      if (it == ports.end()) continue;
      pp.emplace(std::string(ColString(it->second, TableId::kPhysicalPort, "name")),
                 std::pair{*pu, &it->second});
    }
    other_config = Col(sw->second, TableId::kPhysicalSwitch, "other_config");
    for (const json& pair : other_config) {
      if (ReadString(pair[0]) == kGenerationKey) {
        generation = std::strtoull(std::string(ReadString(pair[1]).value_or("0")).c_str(), nullptr, 10);
      }
    }
    ops.push_back({{"op", "wait"},
                   {"timeout", 0},
                   {"table", "Physical_Switch"},
                   {"where", json::array({json::array({"_uuid", "==", UuidJson(sw->first)})})},
                   {"columns", json::array({"other_config"})},
                   {"until", "=="},
                   {"rows", json::array({{{"other_config", MapJson(other_config)}}})}});
  }
  const json sw_ref = sw != nullptr ? UuidJson(sw->first) : NamedUuid("sw");
  json new_ports = json::array();
  json gone_ports = json::array();
  std::set<std::string> wanted;
  for (std::size_t i = 0; i < view_.ports.size(); ++i) {
    const LocalPort& p = view_.ports[i];
    wanted.insert(p.tap);
    json bindings = json::array();
    if (p.vsid != 0) bindings.push_back(json::array({0, ls_ref[p.vsid]}));
    const auto it = pp.find(p.tap);
    if (it == pp.end()) {
      const std::string name = "pp" + std::to_string(i);
      ops.push_back({{"op", "insert"},
                     {"table", "Physical_Port"},
                     {"uuid-name", name},
                     {"row", {{"name", p.tap}, {"vlan_bindings", MapJson(bindings)}}}});
      new_ports.push_back(NamedUuid(name));
      changes = true;
    } else if (p.vsid != 0 && Col(*it->second.second, TableId::kPhysicalPort, "vlan_bindings") != bindings) {
      ops.push_back({{"op", "update"},
                     {"table", "Physical_Port"},
                     {"where", json::array({json::array({"_uuid", "==", UuidJson(it->second.first)})})},
                     {"row", {{"vlan_bindings", MapJson(bindings)}}}});
      changes = true;
    }
  }
  for (const auto& [name, entry] : pp) {
    if (!wanted.contains(name)) gone_ports.push_back(UuidJson(entry.first));
  }
  json next_config = json::array();
  for (const json& pair : other_config) {
    if (ReadString(pair[0]) != kGenerationKey) next_config.push_back(pair);
  }
  next_config.push_back(json::array({kGenerationKey, std::to_string(generation + 1)}));
  if (sw == nullptr) {
    ops.push_back({{"op", "insert"},
                   {"table", "Physical_Switch"},
                   {"uuid-name", "sw"},
                   {"row", {{"name", view_.switch_name},
                            {"description", "nvgred (NVGRE endpoint)"},
                            {"tunnel_ips", SetJson(tunnel_ips)},
                            {"ports", SetJson(new_ports)},
                            {"other_config", MapJson(next_config)}}}});
    changes = true;
  } else {
    json have = Col(sw->second, TableId::kPhysicalSwitch, "tunnel_ips");
    json want = tunnel_ips;
    std::sort(have.begin(), have.end());
    std::sort(want.begin(), want.end());
    if (have != want) {
      ops.push_back({{"op", "update"},
                     {"table", "Physical_Switch"},
                     {"where", json::array({json::array({"_uuid", "==", sw_ref})})},
                     {"row", {{"tunnel_ips", SetJson(tunnel_ips)}}}});
      changes = true;
    }
    json mutations = json::array();
    if (!new_ports.empty()) mutations.push_back(json::array({"ports", "insert", SetJson(new_ports)}));
    if (!gone_ports.empty()) mutations.push_back(json::array({"ports", "delete", SetJson(gone_ports)}));
    if (!mutations.empty()) {
      ops.push_back({{"op", "mutate"},
                     {"table", "Physical_Switch"},
                     {"where", json::array({json::array({"_uuid", "==", sw_ref})})},
                     {"mutations", mutations}});
      changes = true;
    }
  }
  // Global.switches must hold our switch (Physical_Switch is not a root table: an unreferenced
  // row is garbage-collected at commit, RFC 7047 §3.2 "isRoot").
  const auto& globals = small[static_cast<std::size_t>(TableId::kGlobal)];
  if (globals.empty()) {
    ops.push_back({{"op", "insert"}, {"table", "Global"}, {"row", {{"switches", SetJson(json::array({sw_ref}))}}}});
    changes = true;
  } else {
    const auto& g = *std::min_element(globals.begin(), globals.end(),
                                      [](const auto& a, const auto& b) { return a.first < b.first; });
    const json& switches = Col(g.second, TableId::kGlobal, "switches");
    if (sw == nullptr || std::find(switches.begin(), switches.end(), sw_ref) == switches.end()) {
      ops.push_back({{"op", "mutate"},
                     {"table", "Global"},
                     {"where", json::array({json::array({"_uuid", "==", UuidJson(g.first)})})},
                     {"mutations", json::array({json::array({"switches", "insert", SetJson(json::array({sw_ref}))})})}});
      changes = true;
    }
  }

  // Ucast_Macs_Local: one row per address of every bound port, with our first address's locator.
  const virt::IpAddress& primary = view_.addresses.front();
  const std::string encap = virt::IsIpv6(primary) ? "nvgre_over_ipv6" : "nvgre_over_ipv4";
  std::optional<Uuid> loc_uuid;
  for (const auto& [uuid, row] : small[static_cast<std::size_t>(TableId::kPhysicalLocator)]) {
    if (ColString(row, TableId::kPhysicalLocator, "encapsulation_type") != encap) continue;
    const auto a = HostAddress(ColString(row, TableId::kPhysicalLocator, "dst_ip"));
    if (a && *a == primary && (!loc_uuid || uuid < *loc_uuid)) loc_uuid = uuid;
  }
  const std::map<std::string, std::uint32_t> bound = PortBindings();
  struct Want {
    wire::MacAddress mac;
    std::uint32_t vsid;
    std::optional<virt::IpAddress> ip;
  };
  std::vector<Want> want;
  for (const LocalPort& p : view_.ports) {
    std::uint32_t vsid = p.vsid;
    if (vsid == 0) {
      const auto it = bound.find(p.tap);
      if (it == bound.end()) continue;
      vsid = it->second;
    }
    if (!ls_ref.contains(vsid)) continue;
    if (p.ips.empty()) want.push_back({p.mac, vsid, std::nullopt});
    for (const virt::IpAddress& ip : p.ips) want.push_back({p.mac, vsid, ip});
  }
  std::vector<bool> have(want.size(), false);
  json deletes = json::array();
  for (const std::uint32_t r : m.own_local) {
    const Impl::Row& row = m.rows[r];
    const Impl::Ref& ls = m.ls.refs[row.ls];
    bool match = false;
    if (loc_uuid && m.loc.refs[row.loc].uuid == *loc_uuid && (row.flags & Impl::kMacValid) &&
        !(row.flags & Impl::kIpInvalid)) {
      for (std::size_t i = 0; i < want.size(); ++i) {
        if (have[i] || want[i].mac != row.mac || ls_ref[want[i].vsid] != UuidJson(ls.uuid)) continue;
        const bool has_ip = row.flags & Impl::kHasIp;
        if (has_ip != want[i].ip.has_value()) continue;
        if (has_ip && IpFromBytes(row.ip, row.flags & Impl::kIpv6) != *want[i].ip) continue;
        have[i] = match = true;
        break;
      }
    }
    if (!match) deletes.push_back(json::array({"_uuid", "==", UuidJson(row.uuid)}));
  }
  for (const json& d : deletes) {
    ops.push_back({{"op", "delete"}, {"table", "Ucast_Macs_Local"}, {"where", json::array({d})}});
    changes = true;
  }
  bool need_locator = false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (have[i]) continue;
    need_locator = true;
    const json locator = loc_uuid ? UuidJson(*loc_uuid) : NamedUuid("loc");
    json row = {{"MAC", wire::FormatMac(want[i].mac)}, {"logical_switch", ls_ref[want[i].vsid]},
                {"locator", locator}};
    if (want[i].ip) row["ipaddr"] = virt::FormatIpAddress(*want[i].ip);
    ops.push_back({{"op", "insert"}, {"table", "Ucast_Macs_Local"}, {"row", row}});
    changes = true;
  }
  if (need_locator && !loc_uuid) {
    ops.insert(ops.begin(), json{{"op", "insert"},
                                 {"table", "Physical_Locator"},
                                 {"uuid-name", "loc"},
                                 {"row", {{"encapsulation_type", encap}, {"dst_ip", virt::FormatIpAddress(primary)}}}});
  }
  if (!changes) return std::nullopt;
  if (sw != nullptr) {
    ops.push_back({{"op", "update"},
                   {"table", "Physical_Switch"},
                   {"where", json::array({json::array({"_uuid", "==", sw_ref})})},
                   {"row", {{"other_config", MapJson(next_config)}}}});
  }
  ops.push_back({{"op", "comment"}, {"comment", "nvgred " + view_.switch_name + ": its ports"}});
  return ops;
}

// ---- status -----------------------------------------------------------------------------------

json Replica::Status() const {
  const Impl& m = *impl_;
  json rows = json::object();
  for (const TableDef& t : Tables()) rows[t.name] = this->rows(t.id);
  json now = json::object(), total = json::object();
  for (std::size_t i = 0; i < kRefusalCount; ++i) {
    const std::string name(RefusalName(static_cast<Refusal>(i)));
    now[name] = refused_now_[i];
    total[name] = refused_total_[i];
  }
  // Rows in force but waiting behind another row with the same (VSID, MAC) and another locator.
  std::size_t conflicts = 0;
  m.mac_claims.ForEach([&](const virt::VsidMac&, std::uint32_t head) {
    for (std::uint32_t i = m.rows[head].next_mac; i != kNil; i = m.rows[i].next_mac) {
      conflicts += m.rows[i].pid != m.rows[head].pid;
    }
  });
  return {{"rows", rows},
          {"records", editor_.records()},
          {"own_rows", m.own_local.size()},
          {"conflicting_rows", conflicts},
          {"refused_rows", now},
          {"refused_total", total}};
}

}  // namespace nvgre::daemon::ovsdb
