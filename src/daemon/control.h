// The control socket: a unix stream socket (mode 0660) on which `nvgred ctl` asks one question
// per connection. Request: one JSON object, at most kMaxRequestBytes, ended by a newline or by
// the client shutting down its side: {"command": "stats"}. Reply: one JSON object,
// {"ok": true, "result": {...}} or {"ok": false, "error": "..."}, then the server closes.
//
//   int fd = ListenControlSocket("/run/nvgred/nvgred.sock", &error);
//   ServeControlClient(fd_of_accepted, [&](const json& request) { return Answer(request); });
//   int rc = RunCtl(socket_path, "stats", /*json=*/false, std::cout, std::cerr);
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

namespace nvgre::daemon {

inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// Creates the socket's directory if needed, replaces a stale socket file (nobody listening),
// refuses to replace a live one. Returns the listening fd (non-blocking), or -1 and `error`.
int ListenControlSocket(const std::string& path, std::string* error);

// Reads one request from `client` (blocking, with a 2 s timeout; more than kMaxRequestBytes or
// invalid JSON is answered with an error), answers with `handler`, closes `client`.
void ServeControlClient(int client, const std::function<nlohmann::json(const nlohmann::json&)>& handler);

// `nvgred ctl`: sends {"command": command}, prints the result (text for people, or the JSON
// object with `json`), returns 0, or prints the error and returns 1 (no socket, daemon gone,
// unknown command).
int RunCtl(const std::string& socket_path, const std::string& command, bool json,
           std::ostream& out, std::ostream& err);

// The human text for a `stats` result.
std::string FormatStatsText(const nlohmann::json& stats);

}  // namespace nvgre::daemon
