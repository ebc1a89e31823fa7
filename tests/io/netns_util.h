// Network namespaces for the io tests (as root; the tests skip otherwise).
//
// The namespaces are anonymous: unshare(CLONE_NEWNET) in the calling thread, then straight back,
// keeping only a file descriptor. No /run/netns file exists, so nothing is left behind however
// the test ends: when the process exits (or the Netns is destroyed and no socket of it remains)
// the kernel removes the namespace and every interface in it. Commands (`ip`, `sysctl`) run in a
// namespace through a forked child that enters it first and is killed at its deadline. Code
// under test runs in a namespace inside an EnterNetns scope (setns of the calling thread only).
//
//   NVGRE_REQUIRE_ROOT();
//   TestDeadline deadline(60);                 // the whole test, or SIGALRM ends the process
//   VethLab lab;                               // two namespaces "a" and "b", veth a<->b
//   NVGRE_REQUIRE_LAB(lab);
//   { EnterNetns in(lab.a()); auto fd = OpenPacketReceiver(...); }
//   lab.b().Run("ip route add ...");
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#define NVGRE_REQUIRE_ROOT()                                                        \
  do {                                                                              \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (creates network namespaces)"; \
  } while (0)

// Skips when namespaces cannot be made at all (root without CAP_SYS_ADMIN, e.g. in a
// container); any other setup failure fails the test.
#define NVGRE_REQUIRE_LAB(lab)                                                         \
  do {                                                                                 \
    if ((lab).unsupported()) GTEST_SKIP() << "cannot create network namespaces here";  \
    ASSERT_TRUE((lab).ok()) << (lab).error();                                          \
  } while (0)

namespace nvgre::io::testing_util {

// Ends the process with SIGALRM (its default action) if the scope lasts more than `seconds`:
// every namespace test is bounded, and its namespaces go with the process.
class TestDeadline {
 public:
  explicit TestDeadline(unsigned seconds) { ::alarm(seconds); }
  ~TestDeadline() { ::alarm(0); }
  TestDeadline(const TestDeadline&) = delete;
  TestDeadline& operator=(const TestDeadline&) = delete;
};

struct CommandResult {
  int status = -1;      // exit status, or -1 (could not run / killed at the deadline)
  std::string output;   // stdout and stderr
};

class Netns {
 public:
  Netns() {
    const int original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original < 0) return;
    if (::unshare(CLONE_NEWNET) == 0) {
      fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      if (::setns(original, CLONE_NEWNET) != 0) std::abort();  // cannot go home: stop here
    }
    ::close(original);
  }
  ~Netns() {
    if (fd_ >= 0) ::close(fd_);
  }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // A path another process can open to name this namespace (`ip link set X netns PATH`).
  std::string path() const { return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd_); }

  // Runs `command` with /bin/sh -c inside this namespace; at most `timeout`.
  CommandResult Run(const std::string& command,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    CommandResult r;
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return r;
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(out[0]);
      ::close(out[1]);
      return r;
    }
    if (pid == 0) {
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      if (::setns(fd_, CLONE_NEWNET) != 0) ::_exit(126);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    bool eof = false;
    while (!eof) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{out[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      const ssize_t n = ::read(out[0], buf, sizeof buf);
      if (n <= 0) {
        eof = true;  // every writer closed: the command is done
      } else {
        r.output.append(buf, static_cast<std::size_t>(n));
      }
    }
    ::close(out[0]);
    int status = 0;
    if (!eof) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      r.output += "\n[killed at the deadline]";
      return r;
    }
    ::waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

 private:
  int fd_ = -1;
};

// Runs the calling thread in `ns` for the scope (sockets opened inside belong to it).
class EnterNetns {
 public:
  explicit EnterNetns(const Netns& ns) : original_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    if (original_ < 0 || ::setns(ns.fd(), CLONE_NEWNET) != 0) std::abort();
  }
  ~EnterNetns() {
    if (::setns(original_, CLONE_NEWNET) != 0) std::abort();
    ::close(original_);
  }
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;

 private:
  int original_;
};

// Two namespaces joined by a veth pair with known addresses:
//   a: nva0  02:00:5e:10:00:0a  10.77.0.1/24  fd77::1/64  (mtu 1500)
//   b: nvb0  02:00:5e:10:00:0b  10.77.0.2/24  fd77::2/64
// No DAD (addresses usable at once), no ICMP rate limits, lo up.
class VethLab {
 public:
  static constexpr const char* kA = "nva0";
  static constexpr const char* kB = "nvb0";
  static constexpr const char* kMacA = "02:00:5e:10:00:0a";
  static constexpr const char* kMacB = "02:00:5e:10:00:0b";

  VethLab() {
    if (!a_.ok() || !b_.ok()) {
      unsupported_ = true;
      error_ = "unshare(CLONE_NEWNET) failed";
      return;
    }
    const std::string common =
        "sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
        "net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 && ip link set lo up";
    if (!Ok(a_.Run(common)) || !Ok(b_.Run(common))) return;
    if (!Ok(a_.Run(std::string("ip link add nva0 address ") + kMacA + " type veth peer name nvb0 address " +
                   kMacB + " netns " + b_.path()))) {
      return;
    }
    if (!Ok(a_.Run("ip addr add 10.77.0.1/24 dev nva0 && ip addr add fd77::1/64 dev nva0 nodad && "
                   "ip link set nva0 up")) ||
        !Ok(b_.Run("ip addr add 10.77.0.2/24 dev nvb0 && ip addr add fd77::2/64 dev nvb0 nodad && "
                   "ip link set nvb0 up"))) {
      return;
    }
    ok_ = true;
  }

  bool ok() const { return ok_; }
  bool unsupported() const { return unsupported_; }
  const std::string& error() const { return error_; }
  const Netns& a() const { return a_; }
  const Netns& b() const { return b_; }

 private:
  bool Ok(const CommandResult& r) {
    if (r.status == 0) return true;
    error_ = "setup command failed (" + std::to_string(r.status) + "): " + r.output;
    return false;
  }
  Netns a_, b_;
  bool ok_ = false;
  bool unsupported_ = false;
  std::string error_;
};

}  // namespace nvgre::io::testing_util
