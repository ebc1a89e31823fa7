#include "cli/command.h"

#include <algorithm>

namespace nvgre::cli {
namespace {
std::vector<RegisteredCommand>& Registry() {
  static std::vector<RegisteredCommand> commands;  // function-local: safe during static init
  return commands;
}
}  // namespace

CommandRegistration::CommandRegistration(std::string_view name, AddCommandFn add) {
  Registry().push_back({name, add});
}

std::vector<RegisteredCommand> RegisteredCommands() {
  auto all = Registry();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return all;
}

}  // namespace nvgre::cli
