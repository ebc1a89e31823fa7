// One JSON-RPC connection to an OVSDB server (RFC 7047 §4, over a stream): "unix:PATH" or
// "tcp:HOST:PORT" (ovsdb-server's active remote syntax; "[v6]:port" for IPv6), non-blocking,
// with a Framer (jsonrpc.h) bounding what the server may make us buffer.
//
//   auto remote = Remote::Parse("tcp:192.0.2.10:6641", &error);
//   Session s(max_message_bytes);
//   if (!s.Connect(*remote, &error)) ...;          // connection in progress
//   pollfd p{s.fd(), s.events(), 0};  poll(...)
//   if (!s.OnReady(p.revents, &error)) s.Close();  // connects, writes what is queued, reads
//   std::string_view text;
//   while (s.framer().Next(text) == Framer::Status::kMessage) { ... }
//   s.Send(Request("echo", json::array(), s.NextId()));
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/ovsdb/jsonrpc.h"

namespace nvgre::daemon::ovsdb {

struct Remote {
  enum class Kind : std::uint8_t { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;   // kUnix
  std::string host;   // kTcp: an IP address or a name
  std::uint16_t port = 0;
  std::string text;   // as configured
  // "unix:/run/ovsdb/db.sock", "tcp:192.0.2.10:6641", "tcp:[2001:db8::10]:6641". "ssl:" and the
  // passive forms (punix:, ptcp:) are refused with a reason.
  static std::optional<Remote> Parse(std::string_view text, std::string* error);
};

class Session {
 public:
  explicit Session(std::size_t max_message_bytes) : framer_(max_message_bytes) {}
  ~Session() { Close(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Starts connecting (non-blocking; a host name is resolved here, blocking). False with
  // `error` when it failed at once.
  bool Connect(const Remote& remote, std::string* error);
  void Close();
  bool open() const { return fd_ >= 0; }
  bool connected() const { return fd_ >= 0 && !connecting_; }
  int fd() const { return fd_; }
  short events() const;
  // Handles poll's revents: finishes the connect, writes queued output, reads into the framer.
  // False (with `error`) when the connection failed or the server closed it.
  bool OnReady(short revents, std::string* error);
  void Send(std::string text);
  std::uint64_t NextId() { return ++next_id_; }
  Framer& framer() { return framer_; }
  const Remote& remote() const { return remote_; }
  std::chrono::steady_clock::time_point last_received() const { return last_received_; }
  std::uint64_t bytes_received() const { return bytes_received_; }

 private:
  bool Flush(std::string* error);

  int fd_ = -1;
  bool connecting_ = false;
  Remote remote_;
  Framer framer_;
  std::deque<std::string> out_;
  std::size_t out_offset_ = 0;  // bytes of out_.front() already written
  std::uint64_t next_id_ = 0;
  std::chrono::steady_clock::time_point last_received_{};
  std::uint64_t bytes_received_ = 0;
};

}  // namespace nvgre::daemon::ovsdb
