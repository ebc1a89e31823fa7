// Running the built `nvgre` binary from the CLI tests: exit status + stdout, and JSON Lines.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nvgre::testing {

struct CmdResult {
  int status = -1;
  std::string out;
};

// Runs `nvgre ARGS`; stderr goes to `stderr_to` ("/dev/null", or "&1" to interleave it).
inline CmdResult RunNvgre(const std::string& args, const std::string& stderr_to = "/dev/null") {
  CmdResult r;
  const std::string cmd = std::string(NVGRE_BIN) + " " + args + " 2>" + stderr_to;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// One JSON value per non-empty line.
inline std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> v;
  std::istringstream s(text);
  for (std::string line; std::getline(s, line);) {
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  }
  return v;
}

}  // namespace nvgre::testing
