// The control socket: a unix stream socket (mode 0660, its group configurable) on which
// `nvgred ctl` asks one question per connection. Request: one JSON object, at most
// kMaxRequestBytes (the server stops reading there), ended by a newline or by the client
// shutting down its side: {"command": "offload", "args": ["set", "lso-v2-ipv4=off"]}. Reply: one
// JSON object, {"ok": true, "result": {...}} (with "text": the human form, for the commands
// whose text the daemon renders) or {"ok": false, "error": "..."}, then the server closes.
// The kernel checks the socket file's permissions at connect(2): a client that is neither root
// nor in the group gets EACCES.
//
//   int fd = ListenControlSocket("/run/nvgred/nvgred.sock", gid, -1, &error);
//   ServeControlClient(fd_of_accepted, [&](const json& request) { return Answer(request); });
//   int rc = RunCtl(socket_path, "stats", {}, /*json=*/false, std::cout, std::cerr);
#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace nvgre::daemon {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// A request as the daemon reads it: {"command": string, "args": [string...]} ("args" optional).
struct ControlRequest {
  std::string command;
  std::vector<std::string> args;
};
// The request, or why it is not one (a message for the reply). Never throws.
std::variant<ControlRequest, std::string> ParseControlRequest(const nlohmann::json& request);

// Creates the socket's directory if needed (owned by `dir_owner` when that is not -1, so that a
// daemon that becomes that user can remove its socket at exit), replaces a stale socket file
// (nobody listening), refuses to replace a live one; the socket is 0660 and of group `group`
// (-1: the process's). Returns the listening fd (non-blocking), or -1 and `error`.
int ListenControlSocket(const std::string& path, int group, int dir_owner, std::string* error);

// Reads one request from `client` (blocking, with a 2 s timeout; more than kMaxRequestBytes or
// invalid JSON is answered with an error), answers with `handler`, closes `client`.
void ServeControlClient(int client, const std::function<nlohmann::json(const nlohmann::json&)>& handler);

// `nvgred ctl`: sends {"command": command, "args": args}, prints the result (text for people,
// or the JSON object with `json`), returns 0, or prints the error and returns 1 (no socket,
// permission denied, daemon gone, unknown command, a request the daemon refused).
int RunCtl(const std::string& socket_path, const std::string& command, const std::vector<std::string>& args,
           bool json, std::ostream& out, std::ostream& err);

// The human text of a result the daemon sends without one (stats, ports, lookup, subnets,
// version); other commands: the JSON, indented. Any JSON is accepted (a member of another type
// is printed as JSON; nothing throws, no number is converted).
std::string FormatResultText(const std::string& command, const nlohmann::json& result);
std::string FormatStatsText(const nlohmann::json& stats);
// The human text for a `lookup` result: the OVSDB connection, then one line per record.
std::string FormatLookupText(const nlohmann::json& lookup);

}  // namespace nvgre::daemon
