// One OVSDB connection (session.h): RFC 7047 §4 (JSON-RPC over a stream socket).
#include "daemon/ovsdb/session.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nvgre::daemon::ovsdb {

std::optional<Remote> Remote::Parse(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Remote> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  Remote r;
  r.text = std::string(text);
  if (text.starts_with("unix:")) {
    r.kind = Kind::kUnix;
    r.path = std::string(text.substr(5));
    if (r.path.empty() || r.path.size() >= sizeof(sockaddr_un{}.sun_path) ||
        r.path.find('\0') != std::string::npos) {
      return fail("a unix: remote needs a socket path of 1..107 bytes");
    }
    return r;
  }
  if (text.starts_with("tcp:")) {
    std::string_view rest = text.substr(4);
    std::string_view host, port;
    if (rest.starts_with("[")) {
      const auto close = rest.find(']');
      if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
        return fail("a tcp: remote with an IPv6 address is tcp:[ADDRESS]:PORT");
      }
      host = rest.substr(1, close - 1);
      port = rest.substr(close + 2);
    } else {
      const auto colon = rest.rfind(':');
      if (colon == std::string_view::npos) return fail("a tcp: remote is tcp:HOST:PORT");
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      if (host.find(':') != std::string_view::npos) return fail("an IPv6 address goes in brackets: tcp:[ADDRESS]:PORT");
    }
    if (host.empty() || host.find('\0') != std::string_view::npos) return fail("a tcp: remote needs a host");
    unsigned value = 0;
    if (port.empty() || port.size() > 5) return fail("the port of a tcp: remote is 1..65535");
    for (const char c : port) {
      if (c < '0' || c > '9') return fail("the port of a tcp: remote is 1..65535");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return fail("the port of a tcp: remote is 1..65535");
    r.kind = Kind::kTcp;
    r.host = std::string(host);
    r.port = static_cast<std::uint16_t>(value);
    return r;
  }
  if (text.starts_with("ssl:")) return fail("ssl: remotes are not supported (use unix: or tcp:)");
  if (text.starts_with("punix:") || text.starts_with("ptcp:") || text.starts_with("pssl:")) {
    return fail("a passive remote (the server listens there); nvgred connects: unix: or tcp:");
  }
  return fail("expected unix:PATH or tcp:HOST:PORT");
}

bool Session::Connect(const Remote& remote, std::string* error) {
  Close();
  remote_ = remote;
  framer_.Reset();
  auto fail = [&](const std::string& what) {
    if (error != nullptr) *error = what + ": " + std::strerror(errno);
    Close();
    return false;
  };
  int rc = -1;
  if (remote.kind == Remote::Kind::kUnix) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail("socket");
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, remote.path.data(), remote.path.size());
    rc = ::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  } else {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(remote.port);
    const int g = ::getaddrinfo(remote.host.c_str(), port.c_str(), &hints, &res);
    if (g != 0 || res == nullptr) {
      if (error != nullptr) *error = "resolving " + remote.host + ": " + ::gai_strerror(g);
      return false;
    }
    fd_ = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      ::freeaddrinfo(res);
      return fail("socket");
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    rc = ::connect(fd_, res->ai_addr, res->ai_addrlen);
    ::freeaddrinfo(res);
  }
  if (rc < 0 && errno != EINPROGRESS && errno != EAGAIN) return fail("connect");
  connecting_ = rc < 0;
  last_received_ = std::chrono::steady_clock::now();
  return true;
}

void Session::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connecting_ = false;
  out_.clear();
  out_offset_ = 0;
}

short Session::events() const {
  if (fd_ < 0) return 0;
  if (connecting_) return POLLOUT;
  return static_cast<short>(POLLIN | (out_.empty() ? 0 : POLLOUT));
}

void Session::Send(std::string text) { out_.push_back(std::move(text)); }

bool Session::Flush(std::string* error) {
  while (!out_.empty()) {
    const std::string& s = out_.front();
    const ssize_t n = ::send(fd_, s.data() + out_offset_, s.size() - out_offset_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (error != nullptr) *error = std::string("send: ") + std::strerror(errno);
      return false;
    }
    out_offset_ += static_cast<std::size_t>(n);
    if (out_offset_ == s.size()) {
      out_.pop_front();
      out_offset_ = 0;
    }
  }
  return true;
}

bool Session::OnReady(short revents, std::string* error) {
  if (fd_ < 0) return false;
  if (connecting_) {
    if ((revents & (POLLOUT | POLLERR | POLLHUP)) == 0) return true;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      if (error != nullptr) *error = std::string("connect: ") + std::strerror(err);
      return false;
    }
    connecting_ = false;
    last_received_ = std::chrono::steady_clock::now();
  }
  if (!Flush(error)) return false;
  if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0) return true;
  // Read what is there, in 256 KiB steps, without starving the loop on a huge reply.
  for (int i = 0; i < 64; ++i) {
    const std::span<char> room = framer_.Prepare(256 * 1024);
    const ssize_t n = ::recv(fd_, room.data(), room.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (error != nullptr) *error = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) {
      if (error != nullptr) *error = "the server closed the connection";
      return false;
    }
    framer_.Commit(static_cast<std::size_t>(n));
    bytes_received_ += static_cast<std::uint64_t>(n);
    last_received_ = std::chrono::steady_clock::now();
    if (static_cast<std::size_t>(n) < room.size()) return true;
  }
  return true;
}

}  // namespace nvgre::daemon::ovsdb
