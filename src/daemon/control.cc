#include "daemon/control.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace nvgre::daemon {
namespace {

bool FillAddress(const std::string& path, sockaddr_un& a, std::string* error) {
  a = {};
  a.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof a.sun_path) {
    if (error) *error = "control socket path '" + path + "' is empty or too long";
    return false;
  }
  std::memcpy(a.sun_path, path.data(), path.size());
  return true;
}

bool WriteAll(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::variant<ControlRequest, std::string> ParseControlRequest(const nlohmann::json& request) {
  if (!request.is_object()) return std::string("request is not a JSON object");
  ControlRequest r;
  const auto command = request.find("command");
  if (command == request.end() || !command->is_string()) return std::string("\"command\" is not a string");
  r.command = command->get<std::string>();
  if (const auto args = request.find("args"); args != request.end()) {
    if (!args->is_array()) return std::string("\"args\" is not a list of strings");
    for (const auto& v : *args) {
      if (!v.is_string()) return std::string("\"args\" is not a list of strings");
      r.args.push_back(v.get<std::string>());
    }
  }
  return r;
}

int ListenControlSocket(const std::string& path, int group, int dir_owner, std::string* error) {
  sockaddr_un a{};
  if (!FillAddress(path, a, error)) return -1;
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (std::filesystem::create_directories(dir, ec) && dir_owner >= 0 &&
      ::chown(dir.c_str(), static_cast<uid_t>(dir_owner), static_cast<gid_t>(-1)) < 0) {
    if (error) *error = "control socket directory " + dir.string() + ": chown: " + std::strerror(errno);
    return -1;
  }
  // A socket file nobody listens on is left over from a process that died: replace it.
  if (std::filesystem::exists(path, ec)) {
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(probe);
    if (live) {
      if (error) *error = "control socket " + path + " is in use (another nvgred is running)";
      return -1;
    }
    ::unlink(path.c_str());
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (error) *error = std::string("control socket: ") + std::strerror(errno);
    return -1;
  }
  const mode_t old = ::umask(0117);  // the socket file is created 0660
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::umask(old);
  if (bound < 0 || ::listen(fd, 16) < 0) {
    if (error) *error = "control socket " + path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (group >= 0 && ::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(group)) < 0) {
    if (error) {
      *error = "control socket " + path + ": cannot give it group " + std::to_string(group) + ": " +
               std::strerror(errno) + (errno == EPERM ? " (it takes CAP_CHOWN)" : "");
    }
    ::close(fd);
    ::unlink(path.c_str());
    return -1;
  }
  ::chmod(path.c_str(), 0660);
  return fd;
}

void ServeControlClient(int client, const std::function<nlohmann::json(const nlohmann::json&)>& handler) {
  timeval timeout{2, 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::string request;
  char buf[4096];
  bool too_long = false;
  for (;;) {
    const ssize_t n = ::recv(client, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    request.append(buf, static_cast<std::size_t>(n));
    if (request.size() > kMaxRequestBytes) {
      too_long = true;
      break;
    }
    if (request.find('\n') != std::string::npos) break;
  }
  nlohmann::json reply;
  if (too_long) {
    reply = {{"ok", false}, {"error", "request longer than " + std::to_string(kMaxRequestBytes) + " bytes"}};
  } else {
    const nlohmann::json parsed = nlohmann::json::parse(request, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      reply = {{"ok", false}, {"error", "request is not a JSON object"}};
    } else {
      reply = handler(parsed);
    }
  }
  WriteAll(client, reply.dump() + "\n");
  ::close(client);
}

int RunCtl(const std::string& socket_path, const std::string& command, const std::vector<std::string>& args,
           bool json, std::ostream& out, std::ostream& err) {
  sockaddr_un a{};
  std::string error;
  if (!FillAddress(socket_path, a, &error)) {
    err << "nvgred ctl: " << error << "\n";
    return 1;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    const int e = errno;
    err << "nvgred ctl: cannot connect to " << socket_path << ": " << std::strerror(e)
        << (e == EACCES ? " (root and the members of the socket's group may use it)"
                        : " (is nvgred running? --socket PATH names another socket)")
        << "\n";
    if (fd >= 0) ::close(fd);
    return 1;
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const nlohmann::json request = {{"command", command}, {"args", args}};
  if (!WriteAll(fd, request.dump() + "\n")) {
    err << "nvgred ctl: sending the request failed: " << std::strerror(errno) << "\n";
    ::close(fd);
    return 1;
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const nlohmann::json parsed = nlohmann::json::parse(reply, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    err << "nvgred ctl: no valid reply from " << socket_path << " (daemon gone?)\n";
    return 1;
  }
  if (!parsed.value("ok", false)) {
    err << "nvgred ctl: " << parsed.value("error", std::string("request failed")) << "\n";
    return 1;
  }
  const nlohmann::json& result = parsed["result"];
  if (json) {
    out << result.dump(2) << "\n";
  } else if (const auto t = parsed.find("text"); t != parsed.end() && t->is_string()) {
    out << t->get<std::string>();
  } else {
    out << FormatResultText(command, result);
  }
  return 0;
}

namespace {

// The formatters read whatever reply they get without throwing or converting numbers: a member
// is printed as the daemon sent it (a string as is, anything else as JSON), "-" when absent.
const nlohmann::json& Member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const nlohmann::json& Elements(const nlohmann::json& j) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return j.is_array() ? j : kEmpty;
}

std::string Text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get_ref<const std::string&>().empty() ? "-" : v.get_ref<const std::string&>();
  return v.dump();
}

std::string Text(const nlohmann::json& j, const char* key) { return Text(Member(j, key)); }

std::string Join(const nlohmann::json& list) {
  std::string out;
  for (const auto& v : Elements(list)) {
    if (!out.empty()) out += ",";
    out += Text(v);
  }
  return out.empty() ? "-" : out;
}

std::string FormatPortsText(const nlohmann::json& ports) {
  std::ostringstream o;
  o << std::left << std::setw(6) << "slot" << std::setw(16) << "tap" << std::setw(10) << "vsid"
    << std::setw(19) << "mac" << std::setw(7) << "mtu" << std::setw(16) << "netns" << std::setw(8)
    << "queues" << std::setw(25) << "offloads" << std::setw(5) << "vmq" << "ip\n";
  for (const auto& p : Elements(ports)) {
    o << std::setw(6) << Text(p, "slot") << std::setw(16) << Text(p, "tap") << std::setw(10) << Text(p, "vsid")
      << std::setw(19) << Text(p, "mac") << std::setw(7) << Text(p, "mtu") << std::setw(16) << Text(p, "netns")
      << std::setw(8) << Text(p, "queues") << std::setw(25) << Join(Member(p, "offloads")) << std::setw(5)
      << Text(p, "vmq_filter") << Join(Member(p, "ip")) << "\n";
  }
  if (Elements(ports).empty()) o << "(no ports)\n";
  return o.str();
}

std::string FormatSubnetsText(const nlohmann::json& subnets) {
  std::ostringstream o;
  o << std::left << std::setw(10) << "vsid" << std::setw(11) << "flood" << std::setw(26) << "group"
    << std::setw(30) << "ports" << "providers (flood copies)\n";
  for (const auto& s : Elements(subnets)) {
    o << std::setw(10) << Text(s, "vsid") << std::setw(11) << Text(s, "flood") << std::setw(26)
      << Text(s, "multicast_group") << std::setw(30) << Join(Member(s, "ports"))
      << Join(Member(s, "flood_providers")) << "\n";
  }
  if (Elements(subnets).empty()) o << "(no subnets)\n";
  return o.str();
}

void Pairs(std::ostringstream& o, const nlohmann::json& section) {
  if (!section.is_object()) return;
  for (const auto& [k, v] : section.items()) o << " " << k << "=" << Text(v);
}

}  // namespace

std::string FormatResultText(const std::string& command, const nlohmann::json& result) {
  if (command == "stats") return FormatStatsText(result);
  if (command == "ports") return FormatPortsText(Member(result, "ports"));
  if (command == "lookup") return FormatLookupText(result);
  if (command == "subnets") return FormatSubnetsText(Member(result, "subnets"));
  if (command == "version") return "nvgred " + Text(result, "version") + "\n";
  return result.dump(2) + "\n";
}

std::string FormatStatsText(const nlohmann::json& s) {
  std::ostringstream o;
  o << "workers " << Text(s, "workers") << ", up " << Text(s, "uptime_seconds") << " s\n";
  o << "ports:\n";
  o << "  " << std::left << std::setw(16) << "tap" << std::setw(10) << "vsid" << std::setw(19)
    << "mac" << std::right << std::setw(12) << "rx packets" << std::setw(14) << "rx bytes"
    << std::setw(12) << "tx packets" << std::setw(14) << "tx bytes" << "\n";
  for (const auto& p : Elements(Member(s, "ports"))) {
    o << "  " << std::left << std::setw(16) << Text(p, "tap") << std::setw(10) << Text(p, "vsid")
      << std::setw(19) << Text(p, "mac") << std::right << std::setw(12) << Text(p, "rx_packets")
      << std::setw(14) << Text(p, "rx_bytes") << std::setw(12) << Text(p, "tx_packets") << std::setw(14)
      << Text(p, "tx_bytes") << "\n";
  }
  for (const char* dir : {"tx", "rx"}) {
    o << dir << ":";
    Pairs(o, Member(s, dir));
    o << "\n";
  }
  o << "rss queues (packets per worker):";
  for (const auto& v : Elements(Member(s, "rss_queues"))) o << " " << Text(v);
  o << "\n";
  o << "other:";
  Pairs(o, Member(s, "other"));
  o << "\ndrops (non-zero):\n";
  bool any = false;
  const nlohmann::json& drops = Member(s, "drops");
  if (drops.is_object()) {
    for (const auto& [k, v] : drops.items()) {
      if (v == 0) continue;
      any = true;
      o << "  " << std::left << std::setw(32) << k << std::right << Text(v) << "\n";
    }
  }
  if (!any) o << "  none\n";
  if (const nlohmann::json& db = Member(s, "ovsdb"); db.is_object()) {
    o << "ovsdb:";
    for (const auto& [k, v] : db.items()) {
      if (!v.is_object()) o << " " << k << "=" << Text(v);
    }
    o << "\n  rows refused (total):";
    Pairs(o, Member(db, "refused_rows"));
    o << "\n";
  }
  return o.str();
}

std::string FormatLookupText(const nlohmann::json& l) {
  std::ostringstream o;
  const nlohmann::json& db = Member(l, "ovsdb");
  if (db.is_object()) {
    o << "ovsdb: " << Text(db, "state") << " " << Text(db, "remote") << " (" << Text(db, "server_model")
      << (Member(db, "leader") == true ? ", leader" : "") << "), database " << Text(db, "database")
      << ", switch " << Text(db, "switch") << "\n";
    const nlohmann::json& error = Member(db, "last_error");
    if (error.is_string() && !error.get_ref<const std::string&>().empty()) o << "  last error: " << Text(error) << "\n";
    o << "  counters:";
    Pairs(o, Member(db, "counters"));
    o << "\n  refused rows now:";
    Pairs(o, Member(Member(db, "replica"), "refused_rows"));
    o << "\n";
  } else {
    o << "ovsdb: not configured\n";
  }
  const nlohmann::json& counts = Member(l, "counts");
  o << "records: " << Text(counts, "file") << " from the file, " << Text(counts, "ovsdb") << " from the ovsdb\n";
  o << std::left << std::setw(10) << "vsid" << std::setw(19) << "mac" << std::setw(26) << "provider"
    << std::setw(8) << "source" << "ip\n";
  for (const auto& r : Elements(Member(l, "records"))) {
    o << std::setw(10) << Text(r, "vsid") << std::setw(19) << Text(r, "mac") << std::setw(26)
      << Text(r, "provider") << std::setw(8) << Text(r, "source") << Join(Member(r, "ip"))
      << (Member(r, "in_force") == false ? " (shadowed)" : "") << "\n";
  }
  if (Elements(Member(l, "records")).empty()) o << "(no lookup records)\n";
  return o.str();
}

}  // namespace nvgre::daemon
