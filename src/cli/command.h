// Subcommands of the `nvgre` tool register themselves here, so that each lives in its own
// file (src/cli/<name>_cmd.cc or similar) and main.cc never changes when one is added:
//
//   namespace {
//   void AddEncap(CLI::App& app, nvgre::cli::Runner& run) {
//     auto* cmd = app.add_subcommand("encap", "...");
//     auto opts = std::make_shared<EncapOptions>();
//     cmd->add_option("in", opts->in)->required();
//     cmd->callback([&run, opts] { run = [opts] { return RunEncap(*opts, std::cout, std::cerr); }; });
//   }
//   const nvgre::cli::CommandRegistration kEncap{"encap", AddEncap};
//   }  // namespace
//
// The CLI sources are an object library (not a static archive), so these registrations are
// always linked in.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace nvgre::cli {

// Set by the parsed subcommand's callback; main() runs it and exits with its result.
using Runner = std::function<int()>;
using AddCommandFn = void (*)(CLI::App& app, Runner& run);

struct CommandRegistration {
  CommandRegistration(std::string_view name, AddCommandFn add);
};

struct RegisteredCommand {
  std::string_view name;
  AddCommandFn add;
};
// All registered commands, sorted by name.
std::vector<RegisteredCommand> RegisteredCommands();

}  // namespace nvgre::cli
