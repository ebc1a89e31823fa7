// OVSDB JSON-RPC reading (jsonrpc.h): RFC 7047 §4 (JSON-RPC 1.0 over a stream), ovsdb-server(7)
// §4.1.12-4.1.16 (<table-updates2> in monitor_cond / monitor_cond_since replies and update2 /
// update3 notifications).
#include "daemon/ovsdb/jsonrpc.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace nvgre::daemon::ovsdb {

using json = nlohmann::json;

// ---- Framer -----------------------------------------------------------------------------------

std::span<char> Framer::Prepare(std::size_t n) {
  // A buffer grown for one huge message (the initial monitor reply of a million rows is about
  // 200 MB) is given back once that message is gone: beyond kKeepBytes it is only as large as
  // what is buffered needs (resident memory per record, README "OVSDB at scale").
  constexpr std::size_t kKeepBytes = std::size_t{4} << 20;
  // Drop what was handed out; move the rest to the front when that frees enough room.
  if (consumed_ > begin_) begin_ = consumed_;
  if (begin_ == end_) {
    begin_ = scan_ = end_ = consumed_ = 0;
    if (buf_.size() > kKeepBytes) std::vector<char>().swap(buf_);
  } else if (begin_ > 0 && (begin_ >= buf_.size() / 2 || end_ + n > buf_.size())) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    scan_ -= begin_;
    end_ -= begin_;
    consumed_ = 0;
    begin_ = 0;
  }
  if (begin_ == 0 && buf_.size() > kKeepBytes && (end_ + n) * 4 < buf_.size()) {
    std::vector<char> smaller(std::max(end_ + n, kKeepBytes));
    std::memcpy(smaller.data(), buf_.data(), end_);
    buf_.swap(smaller);
  }
  if (end_ + n > buf_.size()) buf_.resize(std::max(end_ + n, buf_.size() * 2));
  return {buf_.data() + end_, n};
}

void Framer::Reset() {
  begin_ = scan_ = end_ = consumed_ = 0;
  depth_ = 0;
  started_ = in_string_ = escape_ = false;
  std::vector<char>().swap(buf_);
}

Framer::Status Framer::Next(std::string_view& text) {
  if (consumed_ > begin_) begin_ = consumed_;
  while (scan_ < end_) {
    const char c = buf_[scan_];
    if (!started_) {
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        begin_ = ++scan_;
        continue;
      }
      if (c != '{') return Status::kNotJson;
      started_ = true;
      depth_ = 1;
      ++scan_;
      continue;
    }
    ++scan_;
    if (in_string_) {
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        started_ = false;
        text = std::string_view(buf_.data() + begin_, scan_ - begin_);
        consumed_ = scan_;
        return Status::kMessage;
      }
    }
    if (scan_ - begin_ > max_) return Status::kOversize;
  }
  if (started_ && scan_ - begin_ > max_) return Status::kOversize;
  return Status::kNeedMore;
}

// ---- the SAX handler --------------------------------------------------------------------------

namespace {

// What a container is, for deciding where rows stream.
enum class Role : std::uint8_t { kMessage, kResult, kParams, kUpdates, kTable, kOther };

class Handler {
 public:
  explicit Handler(RowSink& sink) : sink_(sink) {}

  bool null() { return Scalar(json(nullptr)); }
  bool boolean(bool v) { return Scalar(json(v)); }
  bool number_integer(json::number_integer_t v) { return Scalar(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Scalar(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return Scalar(json(v)); }
  bool string(json::string_t& v) { return Scalar(json(std::move(v))); }
  bool binary(json::binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return Open(json::value_t::object); }
  bool start_array(std::size_t) { return Open(json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& k) {
    if (capturing_) {
      row_key_ = std::move(k);
    } else {
      key_ = std::move(k);
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    error_ = std::string(e.what());
    (void)position;
    return false;
  }

  json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    json* value;
    Role role;
    std::size_t count = 0;  // array elements so far
    std::string table;      // kTable: the table's name
  };

  bool Fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return false;
  }
  bool TooDeep() const { return stack_.size() + row_stack_.size() >= kMaxDepth; }

  // The role a new value at the current position takes, and whether it streams as a row.
  Role ChildRole(bool object, bool array, bool& row) const {
    row = false;
    if (stack_.empty()) return Role::kMessage;
    const Frame& parent = stack_.back();
    switch (parent.role) {
      case Role::kMessage:
        if (key_ == "result") return object ? Role::kUpdates : array ? Role::kResult : Role::kOther;
        if (key_ == "params" && array) return Role::kParams;
        return Role::kOther;
      case Role::kResult:
        return object && parent.count == 2 ? Role::kUpdates : Role::kOther;
      case Role::kParams:
        return object && (parent.count == 1 || parent.count == 2) ? Role::kUpdates : Role::kOther;
      case Role::kUpdates:
        return object ? Role::kTable : Role::kOther;
      case Role::kTable:
        row = true;
        return Role::kOther;
      case Role::kOther:
        return Role::kOther;
    }
    return Role::kOther;
  }

  // Where the next value of the tree goes (not for streamed rows).
  json* Slot() {
    Frame& parent = stack_.back();
    if (parent.value->is_array()) {
      ++parent.count;
      parent.value->push_back(json());
      return &parent.value->back();
    }
    return &(*parent.value)[key_];
  }

  bool Scalar(json v) {
    if (capturing_) return CaptureScalar(std::move(v));
    if (stack_.empty()) return Fail("a JSON-RPC message is an object");
    bool row = false;
    (void)ChildRole(false, false, row);
    if (row) {
      const Frame& parent = stack_.back();
      sink_.BadRow(parent.table, key_, "a <row-update2> that is not an object");
      return true;
    }
    *Slot() = std::move(v);
    return true;
  }

  bool Open(json::value_t type) {
    if (TooDeep()) return Fail("nested more than " + std::to_string(kMaxDepth) + " levels deep");
    if (capturing_) return CaptureOpen(type);
    bool row = false;
    const Role role = ChildRole(type == json::value_t::object, type == json::value_t::array, row);
    if (row) {  // a <row-update2>: built on the side, handed to the sink at its end
      capturing_ = true;
      row_table_ = stack_.back().table;
      row_uuid_ = key_;
      row_ = json(type);
      row_stack_.push_back(&row_);
      return true;
    }
    if (stack_.empty()) {
      if (type != json::value_t::object) return Fail("a JSON-RPC message is an object");
      root_ = json(type);
      stack_.push_back({&root_, role, 0, {}});
      return true;
    }
    std::string table = stack_.back().role == Role::kUpdates ? key_ : std::string();
    json* slot = Slot();
    *slot = json(type);
    stack_.push_back({slot, role, 0, std::move(table)});
    return true;
  }

  bool Close() {
    if (capturing_) {
      row_stack_.pop_back();
      if (!row_stack_.empty()) return true;
      capturing_ = false;
      if (row_.is_object()) {
        sink_.Row(row_table_, row_uuid_, row_);
      } else {
        sink_.BadRow(row_table_, row_uuid_, "a <row-update2> that is not an object");
      }
      row_ = json();
      return true;
    }
    stack_.pop_back();
    return true;
  }

  bool CaptureScalar(json v) {
    json& top = *row_stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
    } else {
      top[row_key_] = std::move(v);
    }
    return true;
  }
  bool CaptureOpen(json::value_t type) {
    json& top = *row_stack_.back();
    json* slot = nullptr;
    if (top.is_array()) {
      top.push_back(json(type));
      slot = &top.back();
    } else {
      slot = &(top[row_key_] = json(type));
    }
    row_stack_.push_back(slot);
    return true;
  }

  RowSink& sink_;
  json root_;
  std::vector<Frame> stack_;
  std::string key_;  // the last key read in the tree
  bool capturing_ = false;
  json row_;
  std::vector<json*> row_stack_;
  std::string row_key_, row_table_, row_uuid_;
  std::string error_;
};

}  // namespace

std::optional<Message> ParseMessage(std::string_view text, RowSink& sink, std::string* error) {
  Handler h(sink);
  const bool ok = json::sax_parse(text.begin(), text.end(), &h, json::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  auto fail = [&](std::string why) -> std::optional<Message> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  if (!ok) return fail(h.error().empty() ? "not JSON" : h.error());
  json& root = h.root();
  if (!root.is_object()) return fail("a JSON-RPC message is an object");
  Message m;
  const auto method = root.find("method");
  const auto id = root.find("id");
  if (method != root.end()) {
    if (!method->is_string()) return fail("\"method\" is not a string");
    const auto params = root.find("params");
    if (params == root.end() || !params->is_array()) return fail("\"params\" is not an array");
    m.method = method->get<std::string>();
    m.params = std::move(*params);
    m.id = id == root.end() ? json() : std::move(*id);
    m.kind = m.id.is_null() ? Message::Kind::kNotification : Message::Kind::kRequest;
    return m;
  }
  const auto result = root.find("result");
  const auto err = root.find("error");
  if (id == root.end() || (result == root.end() && err == root.end())) {
    return fail("neither a request (\"method\") nor a reply (\"result\"/\"error\" with \"id\")");
  }
  m.id = std::move(*id);
  if (err != root.end() && !err->is_null()) {
    m.kind = Message::Kind::kError;
    m.error = std::move(*err);
  } else {
    m.kind = Message::Kind::kReply;
    if (result != root.end()) m.result = std::move(*result);
  }
  return m;
}

std::string Request(std::string_view method, const json& params, std::uint64_t id) {
  json j = json::object();
  j["method"] = std::string(method);
  j["params"] = params;
  j["id"] = id;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Reply(const json& result, const json& id) {
  json j = json::object();
  j["result"] = result;
  j["error"] = nullptr;
  j["id"] = id;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace nvgre::daemon::ovsdb
