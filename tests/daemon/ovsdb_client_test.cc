// nvgred's OVSDB client (src/daemon/ovsdb/client.h) against (1) a real ovsdb-server (Open
// vSwitch's, standalone, on a unix socket in a temporary directory) with records written by
// ovsdb-client, a real client nobody here wrote; (2) a fake server in this test that answers
// with garbage, an oversize message, bad rows, and silence. No root needed; (1) is skipped when
// ovsdb-server or nvgred's schema (openvswitch-vtep) is missing.
#include "daemon/ovsdb/client.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace nvgre::daemon::ovsdb {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& ok, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (ok()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return ok();
}

// Runs argv; returns its exit status (and stdout in `out`).
int RunProgram(const std::vector<std::string>& argv, std::string* out = nullptr) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(pipefd[0]);
  if (rc != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

LocalView View() {
  LocalView v;
  v.switch_name = "h1";
  v.addresses = {*virt::ParseIpAddress("192.0.2.1")};
  v.ports.push_back({.tap = "tapa", .mac = {0x02, 0, 0, 0, 0x50, 0x01}, .ips = {*virt::ParseIpAddress("10.0.0.1")},
                     .vsid = 5001});
  return v;
}

ClientOptions Options(const std::string& remote) {
  ClientOptions o;
  std::string why;
  o.remotes.push_back(*Remote::Parse(remote, &why));
  o.inactivity_probe = 1000ms;
  o.max_backoff = 1000ms;
  o.max_message_bytes = 65536;
  return o;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/nvgre-ovsdb-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ---- (1) a real ovsdb-server ----------------------------------------------------------------

class OvsdbServer {
 public:
  explicit OvsdbServer(const TempDir& dir) : dir_(dir) {}
  ~OvsdbServer() { Stop(); }
  bool Create() {
    return RunProgram({"ovsdb-tool", "create", dir_ / "db", NVGRE_OVSSCHEMA}) == 0;
  }
  bool Start() {
    std::vector<std::string> argv = {"ovsdb-server", dir_ / "db", "--remote=punix:" + socket(),
                                     "--unixctl=" + (dir_ / "ctl"), "--log-file=" + (dir_ / "log"), "--no-chdir"};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) return false;
    return WaitFor([&] { return std::filesystem::exists(socket()); }, 10s);
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    std::filesystem::remove(socket());
  }
  std::string socket() const { return dir_ / "db.sock"; }
  std::string Transact(const json& ops) {
    std::string out;
    RunProgram({"ovsdb-client", "transact", "unix:" + socket(), ops.dump()}, &out);
    return out;
  }
  std::string Dump(const std::string& table) {
    std::string out;
    RunProgram({"ovsdb-client", "dump", "-f", "json", "unix:" + socket(), "hardware_vtep", table}, &out);
    return out;
  }

 private:
  const TempDir& dir_;
  pid_t pid_ = 0;
};

struct Notified {
  Notified() : fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Notified() { ::close(fd); }
  int fd;
};

// The newest update within `limit` that satisfies `ok`.
std::optional<ClientUpdate> WaitUpdate(Client& c, const std::function<bool(const ClientUpdate&)>& ok,
                                       std::chrono::milliseconds limit) {
  std::optional<ClientUpdate> last;
  WaitFor([&] {
    if (auto u = c.Take()) last = std::move(u);
    return last && ok(*last);
  }, limit);
  return last;
}

TEST(OvsdbClient, SyncsPublishesAndFollowsARealServer) {
  if (RunProgram({"sh", "-c", "command -v ovsdb-server >/dev/null && command -v ovsdb-client >/dev/null"}) != 0 ||
      !std::filesystem::exists(NVGRE_OVSSCHEMA)) {
    GTEST_SKIP() << "needs ovsdb-server, ovsdb-client and " << NVGRE_OVSSCHEMA << " (openvswitch-vtep)";
  }
  TempDir dir;
  OvsdbServer server(dir);
  ASSERT_TRUE(server.Create());
  ASSERT_TRUE(server.Start());
  Notified n;
  Client c(Options("unix:" + server.socket()), View(), n.fd);
  c.Start();
  // Synced, then this host's rows published (a Logical_Switch for VSID 5001 among them).
  ASSERT_TRUE(WaitFor([&] { return c.Status().value("connected", false) &&
                                   c.Status()["counters"].value("transactions_ok", 0) >= 1; }, 10s))
      << c.Status().dump();
  ASSERT_TRUE(WaitFor([&] { return server.Dump("Ucast_Macs_Local").find("02:00:00:00:50:01") != std::string::npos; }, 5s));
  const json ls = json::parse(server.Dump("Logical_Switch"));
  ASSERT_EQ(ls["data"].size(), 1u) << ls.dump();
  const std::string ls_uuid = ls["data"][0][0][1];

  // A controller's record, written by ovsdb-client.
  const std::string reply = server.Transact(json::array(
      {"hardware_vtep",
       {{"op", "insert"}, {"table", "Physical_Locator"}, {"uuid-name", "l"},
        {"row", {{"encapsulation_type", "nvgre_over_ipv4"}, {"dst_ip", "192.0.2.2"}}}},
       {{"op", "insert"}, {"table", "Ucast_Macs_Remote"},
        {"row", {{"MAC", "02:00:00:00:50:02"}, {"ipaddr", "10.0.0.2"}, {"logical_switch", json::array({"uuid", ls_uuid})},
                 {"locator", json::array({"named-uuid", "l"})}}}}}));
  ASSERT_EQ(reply.find("error"), std::string::npos) << reply;
  const wire::MacAddress mac2{0x02, 0, 0, 0, 0x50, 0x02};
  auto u = WaitUpdate(c, [&](const ClientUpdate& x) { return x.layer && x.layer->FindMac(5001, mac2); }, 5s);
  ASSERT_TRUE(u && u->layer->FindMac(5001, mac2));
  EXPECT_EQ(virt::FormatIpAddress(u->layer->providers()[*u->layer->FindMac(5001, mac2)]), "192.0.2.2");
  EXPECT_EQ(*u->layer->FindIp(5001, *virt::ParseIpAddress("10.0.0.2")), mac2);
  const auto held = u->layer;

  // The server goes away: the client says so and keeps trying; what it published stays.
  server.Stop();
  ASSERT_TRUE(WaitFor([&] { return !c.Status().value("connected", true); }, 5s));
  EXPECT_NE(held->FindMac(5001, mac2), nullptr);
  // It comes back: the client syncs again (standalone: everything is sent again).
  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(WaitFor([&] { return c.Status().value("connected", false); }, 10s)) << c.Status().dump();
  server.Transact(json::array({"hardware_vtep", {{"op", "update"}, {"table", "Ucast_Macs_Remote"},
                                                 {"where", json::array({json::array({"MAC", "==", "02:00:00:00:50:02"})})},
                                                 {"row", {{"ipaddr", "10.0.0.22"}}}}}));
  u = WaitUpdate(c, [&](const ClientUpdate& x) { return x.layer && x.layer->FindIp(5001, *virt::ParseIpAddress("10.0.0.22")); }, 5s);
  ASSERT_TRUE(u && u->layer->FindIp(5001, *virt::ParseIpAddress("10.0.0.22")));
  EXPECT_EQ(u->layer->FindIp(5001, *virt::ParseIpAddress("10.0.0.2")), nullptr);
  // Still one set of our rows: a restart of the server did not make the client publish twice.
  const json local = json::parse(server.Dump("Ucast_Macs_Local"));
  EXPECT_EQ(local["data"].size(), 1u) << local.dump();
  c.Stop();
}

// ---- (2) a fake server ----------------------------------------------------------------------

class FakeServer {
 public:
  explicit FakeServer(const std::string& path) : path_(path) {
    listen_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.data(), path.size());
    ::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_, 4);
  }
  ~FakeServer() {
    Drop();
    ::close(listen_);
  }
  bool Accept(std::chrono::milliseconds limit = 5000ms) {
    Drop();
    pollfd p{listen_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return false;
    conn_ = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
    framer_.Reset();
    return conn_ >= 0;
  }
  void Drop() {
    if (conn_ >= 0) ::close(conn_);
    conn_ = -1;
  }
  // The next message from the client (nullopt on a timeout or when it closed).
  std::optional<json> Read(std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      std::string_view text;
      if (framer_.Next(text) == Framer::Status::kMessage) return json::parse(text);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{conn_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) != 1) return std::nullopt;
      const std::span<char> room = framer_.Prepare(65536);
      const ssize_t n = ::recv(conn_, room.data(), room.size(), 0);
      if (n <= 0) return std::nullopt;
      framer_.Commit(static_cast<std::size_t>(n));
    }
  }
  void Write(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(conn_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }
  void Reply(const json& request, const json& result) {
    Write(json{{"id", request["id"]}, {"result", result}, {"error", nullptr}}.dump());
  }
  // Whether the client closed the connection within `limit`.
  bool Closed(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (!Read(100ms) && conn_ >= 0) {
        char b;
        pollfd p{conn_, POLLIN, 0};
        if (::poll(&p, 1, 0) == 1 && ::recv(conn_, &b, 1, MSG_PEEK) == 0) return true;
      }
    }
    return false;
  }

 private:
  std::string path_;
  int listen_ = -1;
  int conn_ = -1;
  Framer framer_{1 << 24};
};

std::string U(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-0000-0000-%012d", n);
  return buf;
}

TEST(OvsdbClient, GarbageOversizeAndSilenceAreCountedAndSurvived) {
  TempDir dir;
  FakeServer fake(dir / "fake.sock");
  Notified n;
  ClientOptions o = Options("unix:" + (dir / "fake.sock"));
  LocalView view = View();
  view.publish = false;
  Client c(o, view, n.fd);
  c.Start();

  // 1. Garbage instead of an answer.
  ASSERT_TRUE(fake.Accept());
  auto req = fake.Read();
  ASSERT_TRUE(req);
  EXPECT_EQ((*req)["method"], "monitor_cond");
  EXPECT_EQ((*req)["params"][0], "_Server");
  fake.Write("hello, I am not JSON");
  EXPECT_TRUE(fake.Closed(3s));
  ASSERT_TRUE(WaitFor([&] { return c.Status()["counters"].value("not_json", 0) == 1; }, 2s)) << c.Status().dump();

  // 2. A server without _Server, then rows: good, an unknown encapsulation, a dangling reference,
  //    a row update that is not an object.
  ASSERT_TRUE(fake.Accept());
  req = fake.Read();
  ASSERT_TRUE(req);
  fake.Write(json{{"id", (*req)["id"]}, {"result", nullptr}, {"error", {{"error", "unknown database"}}}}.dump());
  req = fake.Read();
  ASSERT_TRUE(req);
  ASSERT_EQ((*req)["method"], "monitor_cond_since");
  EXPECT_EQ((*req)["params"][0], "hardware_vtep");
  EXPECT_EQ((*req)["params"][3], "00000000-0000-0000-0000-000000000000");
  const json ls = {{"insert", {{"name", "ls"}, {"tunnel_key", 5001}}}};
  auto loc = [](const char* encap, const char* ip) { return json{{"insert", {{"encapsulation_type", encap}, {"dst_ip", ip}}}}; };
  auto row = [](int ls_n, int loc_n, const char* mac) {
    return json{{"insert", {{"MAC", mac}, {"logical_switch", json::array({"uuid", U(ls_n)})},
                            {"locator", json::array({"uuid", U(loc_n)})}}}};
  };
  fake.Reply(*req, json::array({false, U(999),
                                {{"Logical_Switch", {{U(1), ls}}},
                                 {"Physical_Locator", {{U(10), loc("nvgre_over_ipv4", "192.0.2.2")},
                                                       {U(11), loc("geneve_over_ipv4", "192.0.2.3")}}},
                                 {"Ucast_Macs_Remote", {{U(100), row(1, 10, "02:00:00:00:50:02")},
                                                        {U(101), row(1, 11, "02:00:00:00:50:03")},
                                                        {U(102), row(7, 10, "02:00:00:00:50:04")},
                                                        {U(103), 42}}}}}));
  auto u = WaitUpdate(c, [](const ClientUpdate& x) { return x.layer && x.layer->records() == 1; }, 3s);
  ASSERT_TRUE(u);
  EXPECT_NE(u->layer->FindMac(5001, {0x02, 0, 0, 0, 0x50, 0x02}), nullptr);
  json refused = c.Status()["replica"]["refused_total"];
  EXPECT_EQ(refused["unknown-encapsulation"], 2);  // the locator and its row
  EXPECT_EQ(refused["dangling-reference"], 1);
  EXPECT_EQ(refused["malformed-row"], 1);
  EXPECT_EQ(c.Status()["last_txn_id"], U(999));

  // 3. An echo request is answered; an update applies.
  fake.Write(R"({"id":"e1","method":"echo","params":["x"]})");
  auto echo = fake.Read();
  ASSERT_TRUE(echo);
  EXPECT_EQ(*echo, json::parse(R"({"id":"e1","result":["x"],"error":null})"));
  fake.Write(json{{"id", nullptr}, {"method", "update3"},
                  {"params", json::array({(*req)["params"][1], U(1000), {{"Ucast_Macs_Remote", {{U(100), {{"delete", nullptr}}}}}}})}}
                 .dump());
  u = WaitUpdate(c, [](const ClientUpdate& x) { return x.layer && x.layer->records() == 0; }, 3s);
  ASSERT_TRUE(u);
  EXPECT_EQ(c.Status()["last_txn_id"], U(1000));

  // 4. An oversize message: the connection goes, nothing else changes.
  fake.Write(R"({"id":null,"method":"update3","params":[")" + std::string(100000, 'x') + "\"]}");
  EXPECT_TRUE(fake.Closed(3s));
  ASSERT_TRUE(WaitFor([&] { return c.Status()["counters"].value("oversize_messages", 0) == 1; }, 2s));
  EXPECT_FALSE(c.Take());

  // 5. Silence: after the inactivity probe (1 s) an echo, after another one the client leaves.
  //    It resumes from the last transaction it saw.
  ASSERT_TRUE(fake.Accept());
  req = fake.Read();
  ASSERT_TRUE(req);
  fake.Write(json{{"id", (*req)["id"]}, {"result", nullptr}, {"error", "unknown database"}}.dump());
  req = fake.Read();
  ASSERT_TRUE(req);
  EXPECT_EQ((*req)["params"][3], U(1000));
  auto probe = fake.Read(3s);
  ASSERT_TRUE(probe);
  EXPECT_EQ((*probe)["method"], "echo");
  EXPECT_TRUE(fake.Closed(3s));
  EXPECT_GE(c.Status()["counters"].value("probes_sent", 0), 1);
  EXPECT_EQ(c.Status()["counters"].value("protocol_errors", 0), 2);
  c.Stop();
}

}  // namespace
}  // namespace nvgre::daemon::ovsdb
