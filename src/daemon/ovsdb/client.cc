// nvgred's OVSDB client (client.h): RFC 7047 §4.1 (transact, monitor, echo), ovsdb-server(7)
// §4.1.12-4.1.16 (monitor_cond, monitor_cond_change, update2, monitor_cond_since, update3) and
// ovsdb-server(5) (the _Server database: which member is connected, which is the leader).
#include "daemon/ovsdb/client.h"

#include <malloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "daemon/log.h"

namespace nvgre::daemon::ovsdb {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kFirstBackoff{500};
constexpr milliseconds kTransactTimeout{15000};
constexpr milliseconds kWriterIdle{30000};
constexpr const char* kServerMonitorId = "nvgred-server";
constexpr const char* kZeroUuid = "00000000-0000-0000-0000-000000000000";

// An error reply's text: "unknown method", or an <error> object's "error" (and "details").
std::string ErrorText(const json& e) {
  if (e.is_string()) return e.get<std::string>();
  if (e.is_object()) {
    std::string s;
    if (const auto it = e.find("error"); it != e.end() && it->is_string()) s = it->get<std::string>();
    if (const auto it = e.find("details"); it != e.end() && it->is_string()) {
      s += (s.empty() ? "" : ": ") + it->get<std::string>();
    }
    if (!s.empty()) return s.substr(0, 512);
  }
  return e.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 512);
}

bool ErrorIs(const json& e, std::string_view what) {
  if (e.is_string()) return e.get_ref<const std::string&>() == what;
  if (e.is_object()) {
    const auto it = e.find("error");
    return it != e.end() && it->is_string() && it->get_ref<const std::string&>() == what;
  }
  return false;
}

long long Ms(Clock::duration d) { return std::chrono::duration_cast<milliseconds>(d).count(); }

}  // namespace

struct Client::Loop {
  enum class State : std::uint8_t { kIdle, kServer, kMonitor, kSynced };
  enum class Req : std::uint8_t { kServerMonitor, kMonitor, kMonitorFallback, kCondChange, kEcho, kTransact, kLeaderQuery };
  enum class Writer : std::uint8_t { kIdle, kQuery, kReady };

  Client& c;
  Replica replica;
  Session main;
  Session writer;
  State state = State::kIdle;
  std::size_t remote_index = 0;
  std::size_t failures_in_round = 0;
  milliseconds backoff = kFirstBackoff;
  Clock::time_point next_attempt{};
  Clock::time_point connect_started{};
  std::map<std::uint64_t, Req> pending;         // main's requests in flight
  std::map<std::uint64_t, Req> writer_pending;  // the writer's
  std::string monitor_id;
  std::set<std::string> monitor_ids;            // ids notifications may carry
  int monitor_generation = 0;
  json port_condition;
  bool cond_change_in_flight = false;
  std::string last_txn = kZeroUuid;
  std::map<Uuid, json> server_rows;
  bool has_server_db = true, clustered = false, leader = true;
  std::string model = "unknown";
  bool probe_sent = false;
  Clock::time_point probe_sent_at{};
  Clock::time_point sync_started{};
  bool ever_synced = false;
  // writes
  Writer writer_state = Writer::kIdle;
  std::size_t writer_index = 0;
  std::size_t writer_tries = 0;
  Clock::time_point writer_used{};
  std::optional<json> queued_txn;   // waiting for the writer to find the leader
  bool txn_in_flight = false;
  bool txn_on_writer = false;
  std::uint64_t txn_id = 0;
  Clock::time_point txn_deadline{};
  bool publish_dirty = true;
  Clock::time_point publish_retry_at{};
  milliseconds publish_backoff{1000};
  // updates for the control thread
  std::optional<Clock::time_point> first_unsent;
  std::size_t unsent_rows = 0;
  std::uint64_t sequence = 0;
  // counters
  std::uint64_t messages = 0, protocol_errors = 0, oversize = 0, not_json = 0, unexpected = 0;
  std::uint64_t connects = 0, disconnects = 0, updates = 0, echo_answered = 0, probes = 0;
  std::uint64_t txn_ok = 0, txn_failed = 0;
  std::string last_error;
  bool status_dirty = true;
  bool trim_pending = false;  // a full sync's transient memory to give back to the system

  Loop(Client& client, LocalView view)
      : c(client), replica(std::move(view)), main(client.options_.max_message_bytes),
        writer(client.options_.max_message_bytes) {}

  const ClientOptions& o() const { return c.options_; }
  const std::string& db() const { return o().database; }

  // ---- connection ----
  void StartConnect(Clock::time_point now) {
    const Remote& r = o().remotes[remote_index];
    std::string error;
    ++connects;
    connect_started = now;
    if (!main.Connect(r, &error)) return Fail(now, error, false);
    // _Server first (ovsdb-server(5)): is this member serving our database, connected to its
    // cluster, the leader?
    const json where = json::array({json::array({"name", "==", db()})});
    const json req = {{"Database", json::array({{{"columns", json::array({"name", "model", "connected", "leader"})},
                                                 {"where", where}}})}};
    SendMain(Req::kServerMonitor, "monitor_cond", json::array({"_Server", kServerMonitorId, req}));
    server_rows.clear();
    state = State::kServer;
    probe_sent = false;
    status_dirty = true;
  }

  std::uint64_t SendMain(Req kind, std::string_view method, const json& params) {
    const std::uint64_t id = main.NextId();
    pending[id] = kind;
    main.Send(Request(method, params, id));
    return id;
  }

  // The session failed or gave up: next remote, after a backoff when a whole round failed.
  void Fail(Clock::time_point now, const std::string& why, bool was_synced) {
    if (main.open() || state != State::kIdle) ++disconnects;
    const std::string& remote = o().remotes[remote_index].text;
    last_error = remote + ": " + why;
    if (was_synced) {
      NVGRED_LOG_WARN("ovsdb: %s: %s; keeping the %zu record(s) in force, trying the next server",
                      remote.c_str(), why.c_str(), replica.records());
    } else {
      NVGRED_LOG_WARN("ovsdb: %s: %s", remote.c_str(), why.c_str());
    }
    main.Close();
    pending.clear();
    if (txn_in_flight && !txn_on_writer) {
      txn_in_flight = false;
      publish_dirty = true;
    }
    cond_change_in_flight = false;
    state = State::kIdle;
    remote_index = (remote_index + 1) % o().remotes.size();
    if (was_synced) {
      failures_in_round = 0;
      backoff = kFirstBackoff;
      next_attempt = now;
    } else if (++failures_in_round >= o().remotes.size()) {
      failures_in_round = 0;
      next_attempt = now + backoff;
      NVGRED_LOG_INFO("ovsdb: no usable server among %zu remote(s); next round in %lld ms",
                      o().remotes.size(), static_cast<long long>(backoff.count()));
      backoff = std::min(backoff * 2, o().max_backoff);
    } else {
      next_attempt = now;
    }
    status_dirty = true;
  }

  void SendMonitor(bool since) {
    monitor_id = "nvgred-" + std::to_string(++monitor_generation);
    monitor_ids = {monitor_id};
    port_condition = replica.PortCondition();
    json params = json::array({db(), monitor_id, replica.MonitorRequests()});
    if (since) params.push_back(last_txn);
    SendMain(since ? Req::kMonitor : Req::kMonitorFallback, since ? "monitor_cond_since" : "monitor_cond", params);
    state = State::kMonitor;
    sync_started = Clock::now();
  }

  // _Server's Database rows changed: is this member still one to read from?
  bool CheckServer(Clock::time_point now, const Replica::Batch& batch) {
    for (const auto& r : batch.server_rows()) {
      if (r.deleted) {
        server_rows.erase(r.uuid);
      } else if (auto it = server_rows.find(r.uuid); it != server_rows.end()) {
        for (const auto& [k, v] : r.row.items()) it->second[k] = v;  // scalar columns: new values
      } else {
        server_rows[r.uuid] = r.row;
      }
    }
    const json* row = nullptr;
    for (const auto& [uuid, r] : server_rows) {
      if (r.is_object() && r.value("name", json()) == db()) row = &r;
    }
    if (row == nullptr) {
      Fail(now, "the server has no database " + db(), state == State::kSynced);
      return false;
    }
    // An initial or inserted row leaves out the columns at their defaults (ovsdb-server(7)
    // §4.1.14): "" for model, false for connected and leader.
    model = ReadString(row->value("model", json(""))).value_or("?");
    clustered = model == "clustered";
    const bool connected = ReadBoolean(row->value("connected", json(false))).value_or(false);
    leader = ReadBoolean(row->value("leader", json(false))).value_or(false);
    if (!clustered) leader = true;  // standalone (or a relay, which forwards): any write goes
    status_dirty = true;
    if (clustered && !connected) {
      Fail(now, "this member is not connected to its cluster (its data may be stale)", state == State::kSynced);
      return false;
    }
    return true;
  }

  // ---- messages ----
  void OnMainMessage(Clock::time_point now, std::string_view text) {
    Replica::Batch batch = replica.NewBatch();
    std::string error;
    std::optional<Message> m = ParseMessage(text, batch, &error);
    ++messages;
    probe_sent = false;
    status_dirty = true;
    if (!m) {
      ++protocol_errors;
      return Fail(now, "not a JSON-RPC message (" + error + ")", state == State::kSynced);
    }
    switch (m->kind) {
      case Message::Kind::kRequest:
        if (m->method == "echo") {
          ++echo_answered;
          main.Send(Reply(m->params, m->id));
        } else {
          ++unexpected;
          json e = json::object();
          e["result"] = nullptr;
          e["error"] = "unknown method";
          e["id"] = m->id;
          main.Send(e.dump(-1, ' ', false, json::error_handler_t::replace));
        }
        return;
      case Message::Kind::kNotification: {
        const bool update = m->method == "update2" || m->method == "update3";
        const std::string who = !m->params.empty() && m->params[0].is_string() ? m->params[0].get<std::string>() : "";
        if (update && who == kServerMonitorId) {
          CheckServer(now, batch);
          return;
        }
        if (update && monitor_ids.contains(who) && state == State::kSynced) {
          if (m->method == "update3" && m->params.size() == 3 && m->params[1].is_string()) {
            last_txn = m->params[1].get<std::string>();
          }
          ApplyUpdate(now, batch, false);
          return;
        }
        if (m->method == "monitor_canceled") {
          return Fail(now, "the server canceled our monitor", state == State::kSynced);
        }
        ++unexpected;
        return;
      }
      case Message::Kind::kReply:
      case Message::Kind::kError:
        break;
    }
    const auto id = m->id.is_number_unsigned() ? m->id.get<std::uint64_t>() : 0;
    const auto it = pending.find(id);
    if (it == pending.end()) {
      ++unexpected;
      return;
    }
    const Req kind = it->second;
    pending.erase(it);
    const bool failed = m->kind == Message::Kind::kError;
    switch (kind) {
      case Req::kServerMonitor:
        if (failed) {
          // An ovsdb-server older than 2.9 has no _Server: a standalone database.
          has_server_db = false;
          clustered = false;
          leader = true;
          model = "standalone (no _Server database)";
        } else {
          has_server_db = true;
          if (!CheckServer(now, batch)) return;
        }
        SendMonitor(true);
        return;
      case Req::kMonitor:
      case Req::kMonitorFallback: {
        if (failed) {
          if (kind == Req::kMonitor && ErrorIs(m->error, "unknown method")) return SendMonitor(false);
          return Fail(now, "monitor refused: " + ErrorText(m->error), false);
        }
        bool replace = true;
        if (kind == Req::kMonitor) {
          const json& r = m->result;
          if (!r.is_array() || r.size() != 3 || !r[0].is_boolean() || !r[1].is_string()) {
            ++protocol_errors;
            return Fail(now, "a monitor_cond_since reply that is not [found, last-txn-id, updates]", false);
          }
          replace = !r[0].get<bool>() || !ever_synced;
          last_txn = r[1].get<std::string>();
        }
        state = State::kSynced;
        failures_in_round = 0;
        backoff = kFirstBackoff;
        ApplyUpdate(now, batch, replace);
        NVGRED_LOG_INFO("ovsdb: %s (%s%s): %s %zu row(s) in %lld ms; %zu record(s) in force",
                        o().remotes[remote_index].text.c_str(), model.c_str(),
                        clustered ? (leader ? ", leader" : ", follower") : "",
                        replace ? "synced" : "resumed, changes in", batch.rows(), Ms(Clock::now() - sync_started),
                        replica.records());
        ever_synced = true;
        trim_pending = replace;  // after the reply's buffers are gone (Run)
        return;
      }
      case Req::kCondChange:
        cond_change_in_flight = false;
        if (failed) return Fail(now, "monitor_cond_change refused: " + ErrorText(m->error), true);
        monitor_ids = {monitor_id};  // the old id is retired once the change is committed
        publish_dirty = true;
        return;
      case Req::kEcho:
        return;
      case Req::kTransact:
        return OnTransactReply(now, *m, false);
      case Req::kLeaderQuery:
        return;
    }
  }

  void ApplyUpdate(Clock::time_point now, Replica::Batch& batch, bool replace) {
    replica.Apply(batch, replace);
    ++updates;
    if (!first_unsent) first_unsent = now;
    unsent_rows += batch.rows();
    publish_dirty = true;
    if (replica.dirty()) {
      ClientUpdate u;
      u.layer = replica.Publish();
      u.bindings = replica.PortBindings();
      u.received = *first_unsent;
      u.sequence = ++sequence;
      u.rows = unsent_rows;
      first_unsent.reset();
      unsent_rows = 0;
      {
        std::lock_guard lock(c.mu_);
        if (c.update_) {  // not taken yet: this one includes it
          u.received = std::min(u.received, c.update_->received);
          u.rows += c.update_->rows;
        }
        c.update_ = std::move(u);
      }
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t w = ::write(c.notify_fd_, &one, sizeof one);
    }
    // Our switch's ports changed: follow them (monitor_cond_change, ovsdb-server(7) §4.1.13).
    const json cond = replica.PortCondition();
    if (!cond_change_in_flight && cond != port_condition) {
      const std::string next = "nvgred-" + std::to_string(++monitor_generation);
      json tables = {{"Physical_Port", json::array({{{"where", cond}}})}};
      SendMain(Req::kCondChange, "monitor_cond_change", json::array({monitor_id, next, tables}));
      monitor_ids.insert(next);
      monitor_id = next;
      port_condition = cond;
      cond_change_in_flight = true;
    }
  }

  // ---- writes ----
  void MaybePublish(Clock::time_point now) {
    if (state != State::kSynced || txn_in_flight || queued_txn || cond_change_in_flight) return;
    if (!publish_dirty || now < publish_retry_at) return;
    publish_dirty = false;
    std::optional<json> ops = replica.PlanPublish();
    if (!ops) return;
    json params = json::array({db()});
    for (json& op : *ops) params.push_back(std::move(op));
    if (!clustered || leader) {
      txn_id = SendMain(Req::kTransact, "transact", params);
      txn_in_flight = true;
      txn_on_writer = false;
      txn_deadline = now + kTransactTimeout;
    } else {
      queued_txn = std::move(params);
      writer_tries = 0;
      EnsureWriter(now);
    }
    status_dirty = true;
  }

  void OnTransactReply(Clock::time_point now, const Message& m, bool on_writer) {
    txn_in_flight = false;
    publish_dirty = true;
    std::string failure;
    if (m.kind == Message::Kind::kError) {
      failure = ErrorText(m.error);
    } else if (!m.result.is_array()) {
      failure = "a transact reply that is not an array";
    } else {
      for (const json& r : m.result) {
        if (r.is_object() && r.contains("error")) {
          failure = ErrorText(r);
          break;
        }
      }
    }
    if (failure.empty()) {
      ++txn_ok;
      publish_backoff = milliseconds(1000);
      // Through another member the monitor may lag behind: give it a moment.
      publish_retry_at = on_writer ? now + milliseconds(500) : now;
      NVGRED_LOG_INFO("ovsdb: published this host's rows (switch %s)", replica.view().switch_name.c_str());
      return;
    }
    ++txn_failed;
    const bool stale = failure.starts_with("timed out");  // our wait: the replica was behind
    if (failure.find("not leader") != std::string::npos && on_writer) {
      writer.Close();
      writer_state = Writer::kIdle;
    }
    last_error = "transact: " + failure;
    if (stale) {
      NVGRED_LOG_DEBUG("ovsdb: publish raced another change (%s); again with fresh data", failure.c_str());
    } else {
      NVGRED_LOG_WARN("ovsdb: publishing this host's rows failed: %s; again in %lld ms", failure.c_str(),
                      static_cast<long long>(publish_backoff.count()));
    }
    publish_retry_at = now + (stale ? milliseconds(200) : publish_backoff);
    if (!stale) publish_backoff = std::min(publish_backoff * 2, milliseconds(8000));
    status_dirty = true;
  }

  void EnsureWriter(Clock::time_point now) {
    if (writer_state == Writer::kReady) {
      if (queued_txn) {
        const std::uint64_t id = writer.NextId();
        writer_pending[id] = Req::kTransact;
        writer.Send(Request("transact", *queued_txn, id));
        queued_txn.reset();
        txn_in_flight = true;
        txn_on_writer = true;
        txn_deadline = now + kTransactTimeout;
        writer_used = now;
      }
      return;
    }
    if (writer_state != Writer::kIdle) return;
    if (writer_tries >= o().remotes.size()) {
      // No leader found in a whole round: the cluster is electing or has no quorum.
      queued_txn.reset();
      ++txn_failed;
      last_error = "transact: no cluster leader among the remotes";
      publish_dirty = true;
      publish_retry_at = now + publish_backoff;
      publish_backoff = std::min(publish_backoff * 2, milliseconds(8000));
      return;
    }
    ++writer_tries;
    std::string error;
    const Remote& r = o().remotes[writer_index];
    if (!writer.Connect(r, &error)) {
      writer_index = (writer_index + 1) % o().remotes.size();
      return EnsureWriter(now);
    }
    const json q = json::array(
        {"_Server", {{"op", "select"}, {"table", "Database"},
                     {"where", json::array({json::array({"name", "==", db()})})},
                     {"columns", json::array({"model", "connected", "leader"})}}});
    const std::uint64_t id = writer.NextId();
    writer_pending.clear();
    writer_pending[id] = Req::kLeaderQuery;
    writer.Send(Request("transact", q, id));
    writer_state = Writer::kQuery;
    writer_used = now;
  }

  void WriterFailed(Clock::time_point now, const std::string& why) {
    NVGRED_LOG_INFO("ovsdb: writer %s: %s", writer.remote().text.c_str(), why.c_str());
    writer.Close();
    writer_pending.clear();
    const bool was_ready = writer_state == Writer::kReady;
    writer_state = Writer::kIdle;
    writer_index = (writer_index + 1) % o().remotes.size();
    if (txn_in_flight && txn_on_writer) {
      txn_in_flight = false;
      ++txn_failed;
      publish_dirty = true;
      publish_retry_at = now + milliseconds(200);
    }
    if (queued_txn && !was_ready) EnsureWriter(now);
  }

  void OnWriterMessage(Clock::time_point now, std::string_view text) {
    Replica::Batch ignored = replica.NewBatch();
    std::string error;
    std::optional<Message> m = ParseMessage(text, ignored, &error);
    if (!m) {
      ++protocol_errors;
      return WriterFailed(now, "not a JSON-RPC message (" + error + ")");
    }
    if (m->kind == Message::Kind::kRequest) {
      if (m->method == "echo") writer.Send(Reply(m->params, m->id));
      return;
    }
    if (m->kind == Message::Kind::kNotification) return;
    const auto id = m->id.is_number_unsigned() ? m->id.get<std::uint64_t>() : 0;
    const auto it = writer_pending.find(id);
    if (it == writer_pending.end()) {
      ++unexpected;
      return;
    }
    const Req kind = it->second;
    writer_pending.erase(it);
    if (kind == Req::kTransact) return OnTransactReply(now, *m, true);
    // The leader query: [{"rows": [{"model": ..., "connected": ..., "leader": ...}]}]
    bool ok = m->kind == Message::Kind::kError;  // no _Server: standalone, any member writes
    if (!ok && m->result.is_array() && !m->result.empty() && m->result[0].is_object()) {
      const json rows = m->result[0].value("rows", json::array());
      if (rows.is_array() && !rows.empty() && rows[0].is_object()) {
        const json& r = rows[0];
        ok = r.value("model", json("")) != "clustered" ||
             (r.value("leader", json(false)) == true && r.value("connected", json(false)) == true);
      }
    }
    if (!ok) return WriterFailed(now, "not the cluster leader");
    writer_state = Writer::kReady;
    writer_tries = 0;
    EnsureWriter(now);
  }

  // ---- the loop ----
  void Timers(Clock::time_point now) {
    const milliseconds probe = o().inactivity_probe;
    const milliseconds connect_limit = probe.count() > 0 ? std::max(probe, milliseconds(2000)) : milliseconds(10000);
    if (main.open() && !main.connected() && now - connect_started > connect_limit) {
      Fail(now, "connect timed out", false);
    } else if (main.connected() && probe.count() > 0) {
      const auto idle = now - main.last_received();
      if (!probe_sent && idle > probe) {
        SendMain(Req::kEcho, "echo", json::array());
        ++probes;
        probe_sent = true;
        probe_sent_at = now;
        status_dirty = true;
      } else if (probe_sent && now - probe_sent_at > probe) {
        Fail(now, "no answer to the inactivity probe in " + std::to_string(probe.count()) + " ms",
             state == State::kSynced);
      }
    }
    if (txn_in_flight && now > txn_deadline) {
      txn_in_flight = false;
      ++txn_failed;
      last_error = "transact: no reply in " + std::to_string(kTransactTimeout.count()) + " ms";
      NVGRED_LOG_WARN("ovsdb: %s", last_error.c_str());
      status_dirty = true;
      publish_dirty = true;
      publish_retry_at = now + publish_backoff;
      if (txn_on_writer) WriterFailed(now, "transaction timed out");
    }
    if (writer.open() && writer_state != Writer::kQuery && !txn_in_flight && !queued_txn &&
        now - writer_used > kWriterIdle) {
      writer.Close();
      writer_state = Writer::kIdle;
    }
    if (writer_state == Writer::kQuery && now - writer_used > kTransactTimeout) {
      WriterFailed(now, "no answer");
    }
  }

  // Drains the framer of a session; false when the session failed.
  template <class OnMessage>
  bool Drain(Session& s, Clock::time_point now, OnMessage on_message, std::string* error) {
    std::string_view text;
    for (;;) {
      switch (s.framer().Next(text)) {
        case Framer::Status::kMessage:
          on_message(now, text);
          if (!s.open()) return true;  // the handler closed it
          continue;
        case Framer::Status::kNeedMore:
          return true;
        case Framer::Status::kOversize:
          ++oversize;
          ++protocol_errors;
          *error = "a message longer than " + std::to_string(o().max_message_bytes) + " bytes";
          return false;
        case Framer::Status::kNotJson:
          ++not_json;
          ++protocol_errors;
          *error = "bytes that are not a JSON object";
          return false;
      }
    }
  }

  ClientCounters Counters() const {
    ClientCounters n;
    n.messages = messages;
    n.updates = updates;
    n.protocol_errors = protocol_errors;
    n.oversize = oversize;
    n.not_json = not_json;
    n.unexpected = unexpected;
    n.connects = connects;
    n.disconnects = disconnects;
    n.echo_answered = echo_answered;
    n.probes = probes;
    n.txn_ok = txn_ok;
    n.txn_failed = txn_failed;
    n.bytes_received = main.bytes_received();
    n.records = replica.records();
    n.connected = state == State::kSynced;
    for (std::size_t i = 0; i < kRefusalCount; ++i) {
      n.refused_total[i] = replica.refused_total(static_cast<Refusal>(i));
      n.refused_now[i] = replica.refused_now(static_cast<Refusal>(i));
    }
    return n;
  }

  json StatusJson() const {
    static constexpr const char* kStates[] = {"connecting", "connecting", "syncing", "synced"};
    std::string st = kStates[static_cast<int>(state)];
    if (state == State::kIdle) st = main.open() ? "connecting" : "backoff";
    if (state == State::kServer) st = "checking the server";
    json remotes = json::array();
    for (const Remote& r : o().remotes) remotes.push_back(r.text);
    return {{"state", st},
            {"connected", state == State::kSynced},
            {"remote", main.open() ? main.remote().text : ""},
            {"remotes", remotes},
            {"database", db()},
            {"server_model", model},
            {"leader", state == State::kSynced && leader},
            {"switch", replica.view().switch_name},
            {"publish", replica.view().publish},
            {"last_txn_id", last_txn},
            {"last_error", last_error},
            {"counters",
             {{"messages", messages}, {"updates", updates}, {"protocol_errors", protocol_errors},
              {"oversize_messages", oversize}, {"not_json", not_json}, {"unexpected_messages", unexpected},
              {"connects", connects}, {"disconnects", disconnects}, {"echo_answered", echo_answered},
              {"probes_sent", probes}, {"transactions_ok", txn_ok}, {"transactions_failed", txn_failed},
              {"bytes_received", main.bytes_received()}}},
            {"replica", replica.Status()}};
  }
};

Client::Client(ClientOptions options, LocalView view, int notify_fd)
    : options_(std::move(options)), notify_fd_(notify_fd), initial_view_(std::move(view)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  status_ = {{"state", "starting"}, {"connected", false}};
}

Client::~Client() {
  Stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Client::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { Run(stop); });
}

void Client::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

void Client::SetLocalView(LocalView view) {
  {
    std::lock_guard lock(mu_);
    new_view_ = std::move(view);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = ::write(wake_fd_, &one, sizeof one);
}

std::optional<ClientUpdate> Client::Take() {
  std::lock_guard lock(mu_);
  std::optional<ClientUpdate> u = std::move(update_);
  update_.reset();
  return u;
}

json Client::Status() const {
  std::lock_guard lock(mu_);
  return status_;
}

ClientCounters Client::Counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void Client::Run(std::stop_token stop) {
  Loop l(*this, initial_view_);
  while (!stop.stop_requested()) {
    Clock::time_point now = Clock::now();
    {
      std::optional<LocalView> view;
      {
        std::lock_guard lock(mu_);
        view.swap(new_view_);
      }
      if (view) {
        const bool renamed = view->switch_name != l.replica.view().switch_name;
        l.replica.SetLocalView(std::move(*view));
        l.publish_dirty = true;
        // Another switch name means other monitor conditions: start over.
        if (renamed && l.state != Loop::State::kIdle) l.Fail(now, "the switch name changed", true);
      }
    }
    if (l.state == Loop::State::kIdle && now >= l.next_attempt) l.StartConnect(now);
    l.Timers(now);
    l.MaybePublish(now);
    if (l.trim_pending) {
      // The parse of a full sync leaves freed heap behind (glibc keeps it): give it back once.
      ::malloc_trim(0);
      l.trim_pending = false;
    }
    {
      ClientCounters counters = l.Counters();
      std::optional<json> s;
      if (l.status_dirty) s = l.StatusJson();
      std::lock_guard lock(mu_);
      counters_ = counters;
      if (s) status_ = std::move(*s);
      l.status_dirty = false;
    }

    std::array<pollfd, 3> fds{};
    nfds_t n = 0;
    fds[n++] = {wake_fd_, POLLIN, 0};
    const int main_slot = l.main.open() ? static_cast<int>(n) : -1;
    if (main_slot >= 0) fds[n++] = {l.main.fd(), l.main.events(), 0};
    const int writer_slot = l.writer.open() ? static_cast<int>(n) : -1;
    if (writer_slot >= 0) fds[n++] = {l.writer.fd(), l.writer.events(), 0};
    // Sleep until the next timer at most (probes, backoff, retries): 100 ms granularity.
    int timeout = 100;
    if (l.state == Loop::State::kIdle && !l.main.open()) {
      timeout = static_cast<int>(std::clamp<long long>(Ms(l.next_attempt - now), 0, 100));
    }
    const int ready = ::poll(fds.data(), n, timeout);
    if (ready < 0 && errno != EINTR) break;
    now = Clock::now();
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &v, sizeof v);
    }
    if (main_slot >= 0 && fds[static_cast<std::size_t>(main_slot)].revents != 0 && l.main.open()) {
      std::string error;
      const bool synced = l.state == Loop::State::kSynced;
      bool ok = l.main.OnReady(fds[static_cast<std::size_t>(main_slot)].revents, &error);
      // Messages read before a close are still handled (a last update, an error reply).
      std::string drain_error;
      const bool drained = l.Drain(l.main, now, [&](auto t, std::string_view text) { l.OnMainMessage(t, text); },
                                   &drain_error);
      if (!drained) {
        ok = false;
        error = drain_error;
      }
      if (!ok && l.main.open()) l.Fail(now, error, synced);
    }
    if (writer_slot >= 0 && fds[static_cast<std::size_t>(writer_slot)].revents != 0 && l.writer.open()) {
      std::string error;
      bool ok = l.writer.OnReady(fds[static_cast<std::size_t>(writer_slot)].revents, &error);
      std::string drain_error;
      if (!l.Drain(l.writer, now, [&](auto t, std::string_view text) { l.OnWriterMessage(t, text); }, &drain_error)) {
        ok = false;
        error = drain_error;
      }
      if (!ok && l.writer.open()) l.WriterFailed(now, error);
    }
  }
}

}  // namespace nvgre::daemon::ovsdb
