// Dropping privileges with libcap-ng (privileges.h; capabilities(7), setresuid(2)).
#include "daemon/privileges.h"

#include <cap-ng.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

namespace nvgre::daemon {
namespace {

std::optional<unsigned long> Number(const std::string& s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  unsigned long v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned long>(c - '0');
  }
  if (v >= 0xFFFFFFFFul) return std::nullopt;  // (uid_t) -1: "no change"
  return v;
}

}  // namespace

std::variant<Account, std::string> ResolveUser(const std::string& user) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (const auto n = Number(user)) {
    Account a{static_cast<uid_t>(*n), static_cast<gid_t>(*n), user};
    if (::getpwuid_r(a.uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
      a.gid = found->pw_gid;
      a.name = found->pw_name;
    }
    return a;
  }
  const int e = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (e != 0 || found == nullptr) {
    return "daemon.user: no such user '" + user + "'" + (e != 0 ? std::string(" (") + std::strerror(e) + ")" : "");
  }
  return Account{found->pw_uid, found->pw_gid, found->pw_name};
}

std::variant<gid_t, std::string> ResolveGroup(const std::string& group) {
  if (const auto n = Number(group)) return static_cast<gid_t>(*n);
  std::vector<char> buf(16384);
  struct group gr {};
  struct group* found = nullptr;
  const int e = ::getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
  if (e != 0 || found == nullptr) {
    return "control.group: no such group '" + group + "'" + (e != 0 ? std::string(" (") + std::strerror(e) + ")" : "");
  }
  return found->gr_gid;
}

std::string DropPrivileges(const Account* account) {
  // The bounding set can only shrink with CAP_SETPCAP; a service manager may have taken that
  // already (systemd's CapabilityBoundingSet=), and then its bounding set stays as it set it.
  capng_get_caps_process();
  const bool can_bound = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 1;
  capng_clear(CAPNG_SELECT_ALL);  // nothing inheritable, nothing ambient
  const auto sets = can_bound ? CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET
                              : CAPNG_EFFECTIVE | CAPNG_PERMITTED;
  if (capng_update(CAPNG_ADD, static_cast<capng_type_t>(sets), CAP_NET_ADMIN) != 0) {
    return "capabilities: cannot select CAP_NET_ADMIN";
  }
  if (can_bound && capng_apply(CAPNG_SELECT_BOUNDS) != 0) {
    return std::string("capabilities: cannot limit the bounding set to CAP_NET_ADMIN: ") + std::strerror(errno);
  }
  if (capng_apply(CAPNG_SELECT_AMBIENT) != 0) {
    return std::string("capabilities: cannot clear the ambient set: ") + std::strerror(errno);
  }
  if (account == nullptr || (account->uid == ::getuid() && account->gid == ::getgid())) {
    if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
      return std::string("capabilities: cannot drop all but CAP_NET_ADMIN: ") + std::strerror(errno);
    }
    return "";
  }
  // setresgid, setgroups(0), setresuid with the capabilities kept across (PR_SET_KEEPCAPS), then
  // everything but CAP_NET_ADMIN dropped (CAP_SETUID / CAP_SETGID are needed until then).
  const int rc = capng_change_id(static_cast<int>(account->uid), static_cast<int>(account->gid),
                                 CAPNG_DROP_SUPP_GRP);
  if (rc != 0) {
    return "cannot become user '" + account->name + "' (uid " + std::to_string(account->uid) + ", gid " +
           std::to_string(account->gid) + "): capng_change_id " + std::to_string(rc) + ": " +
           std::strerror(errno) + " (it needs CAP_SETUID and CAP_SETGID)";
  }
  return "";
}

std::string DescribePrivileges() {
  std::ifstream status("/proc/self/status");
  std::string line, out;
  while (std::getline(status, line)) {
    for (const std::string_view key : {"Uid:", "Gid:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"}) {
      if (line.rfind(key, 0) != 0) continue;
      std::string value = line.substr(key.size());
      const std::size_t b = value.find_first_not_of(" \t");
      value = b == std::string::npos ? "" : value.substr(b);
      value = value.substr(0, value.find_first_of(" \t"));  // Uid/Gid: the real one (all four agree)
      if (!out.empty()) out += " ";
      out += std::string(key.substr(0, key.size() - 1)) + "=" + value;
    }
  }
  return out;
}

}  // namespace nvgre::daemon
