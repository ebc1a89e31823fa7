// OVSDB's JSON-RPC (RFC 7047 §4), the reading side, for bytes from a server nvgred does not
// trust: a framer that cuts the stream into messages under a size bound, and a SAX parser that
// builds each message as a small JSON tree except for the rows of a <table-updates2> (RFC 7047
// §4.1.6 as extended by ovsdb-server(7) §4.1.12-4.1.16), which it hands one by one to a RowSink
// as they are parsed, so that the initial contents of a million-row table never exist as one
// tree in memory.
//
//   Framer framer(max_message_bytes);
//   std::span<char> room = framer.Prepare(65536);        // recv() into it
//   framer.Commit(n);
//   std::string_view text;
//   while (framer.Next(text) == Framer::Status::kMessage) {
//     MyRowSink sink;                                     // typed reader per row (replica.h)
//     std::string error;
//     std::optional<Message> m = ParseMessage(text, sink, &error);  // nullopt: not JSON-RPC
//   }
//
// Where rows are recognised (the paths a <table-updates2> has in the messages nvgred receives;
// the method or id that tells which it is comes later or earlier in the object, so any message
// with that shape streams its rows and the caller drops them when the message turns out to be
// something else):
//   result.<table>.<uuid>       monitor_cond reply (and _Server's)        RFC 7047 §4.1.5
//   result[2].<table>.<uuid>    monitor_cond_since reply                   ovsdb-server(7) 4.1.15
//   params[1].<table>.<uuid>    update2 notification                       ovsdb-server(7) 4.1.14
//   params[2].<table>.<uuid>    update3 notification                       ovsdb-server(7) 4.1.16
// A member of result / result[2] / params[1] / params[2] that is not an object (a transact
// reply's "rows", "uuid", "count", "error") stays in the tree as usual.
// Limits: nesting depth kMaxDepth; a message is at most the framer's bound; nothing throws on
// bad input (nlohmann's SAX interface, errors as values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace nvgre::daemon::ovsdb {

inline constexpr std::size_t kMaxDepth = 64;

class Framer {
 public:
  enum class Status : std::uint8_t {
    kMessage,    // `text` is one complete top-level JSON object
    kNeedMore,   // no complete message buffered
    kOversize,   // a message exceeds the bound (the stream is unusable from here)
    kNotJson,    // a message starts with something other than '{' (the same)
  };
  explicit Framer(std::size_t max_message_bytes) : max_(max_message_bytes) {}

  // Space for at least `n` more bytes; Commit(k) keeps the first k of them.
  std::span<char> Prepare(std::size_t n);
  void Commit(std::size_t n) { end_ += n; }
  // The next message; `text` stays valid until the next Prepare() or Next().
  Status Next(std::string_view& text);
  std::size_t buffered() const { return end_ - begin_; }
  std::size_t capacity() const { return buf_.size(); }  // bytes held (at most 4 MiB beyond need)
  void Reset();

 private:
  std::vector<char> buf_;
  std::size_t begin_ = 0;  // start of the message being scanned
  std::size_t scan_ = 0;   // next byte to scan
  std::size_t end_ = 0;    // bytes received
  std::size_t consumed_ = 0;  // end of the message handed out last (dropped on the next call)
  std::size_t max_;
  std::uint32_t depth_ = 0;
  bool started_ = false, in_string_ = false, escape_ = false;
};

// Receives the rows of a <table-updates2> as they are parsed. `update` is the <row-update2>
// object ({"insert": <row>} ...), owned by the parser: take from it what you keep.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void Row(std::string_view table, std::string_view uuid, nlohmann::json& update) = 0;
  // A <row-update2> position held something other than an object.
  virtual void BadRow(std::string_view table, std::string_view uuid, std::string_view why) = 0;
};

struct Message {
  enum class Kind : std::uint8_t { kRequest, kNotification, kReply, kError };
  Kind kind = Kind::kNotification;
  std::string method;      // requests and notifications
  nlohmann::json id;       // requests and replies (null for notifications)
  nlohmann::json params;   // requests and notifications, without streamed rows
  nlohmann::json result;   // replies, without streamed rows
  nlohmann::json error;    // error replies
};

// Parses one framed message. nullopt (with `error`) when it is not JSON, too deep, or not a
// JSON-RPC 1.0 message (RFC 7047 §4: "method" + "params" + "id", or "result" + "error" + "id").
std::optional<Message> ParseMessage(std::string_view text, RowSink& sink, std::string* error);

// Requests and replies nvgred sends (compact JSON, no newline: RFC 7047 needs no separator).
std::string Request(std::string_view method, const nlohmann::json& params, std::uint64_t id);
std::string Reply(const nlohmann::json& result, const nlohmann::json& id);

}  // namespace nvgre::daemon::ovsdb
