// Least privilege: once nvgred has opened its devices and sockets it keeps only the capability it
// still uses, and may become a configured user (capabilities(7); libcap-ng).
//
//   auto account = ResolveUser("nvgred");              // or "65534"
//   if (auto* e = std::get_if<std::string>(&account)) return *e;
//   if (std::string e = DropPrivileges(&std::get<Account>(account)); !e.empty()) return e;
//
// What stays: CAP_NET_ADMIN, in the effective, permitted and bounding sets; nothing inheritable,
// nothing ambient. nvgred needs it after start-up for what a reload or `offload set` does to
// links: create a TAP (TUNSETIFF), set its MAC and MTU and move it into a namespace (rtnetlink),
// and ask the kernel to resolve a next hop (AF_PACKET underlay). Raw and packet sockets
// (CAP_NET_RAW), the control socket's directory and group (CAP_CHOWN, CAP_DAC_OVERRIDE) and the
// user switch (CAP_SETUID, CAP_SETGID) are needed only before. With a user, the uid and gid (its
// primary group) change and the supplementary groups are dropped.
//
// Capabilities are per thread: call this while the process has one thread (before the workers
// and the metrics server start), so that no thread keeps the old set.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <variant>

namespace nvgre::daemon {

struct Account {
  uid_t uid = 0;
  gid_t gid = 0;      // the user's primary group
  std::string name;   // as given, or the passwd name of a numeric uid
};

// A user name, or a numeric uid (with or without a passwd entry; its gid is then the uid's
// passwd gid when there is one, else the same number). Error: "daemon.user: no such user 'x'".
std::variant<Account, std::string> ResolveUser(const std::string& user);
// A group name or a numeric gid. Error: "control.group: no such group 'x'".
std::variant<gid_t, std::string> ResolveGroup(const std::string& group);

// Keeps CAP_NET_ADMIN only (see above); becomes `account` when given. "" on success, else what
// failed.
std::string DropPrivileges(const Account* account);

// "CapEff=0x1000 CapPrm=0x1000 CapBnd=0x1000 uid=65534 gid=65534": this thread's state, for the
// log.
std::string DescribePrivileges();

}  // namespace nvgre::daemon
