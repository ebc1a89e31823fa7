// nvgred: the live NVGRE endpoint (README "nvgred").
//
//   nvgred --config FILE                  run in the foreground, log to stderr
//   nvgred check-config FILE              validate FILE and exit (0 valid, 1 invalid)
//   nvgred ctl [--socket PATH] [--json] COMMAND [ARGS...]
//                                         stats | ports | lookup | subnets | offload |
//                                         offload set KEY=VALUE... | version | reload
//   nvgred drops [--markdown]             every drop reason and what it means
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/counters.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

namespace {

// Prints every error; returns the config or nullopt.
std::optional<nvgre::daemon::Config> Load(const std::string& path) {
  nvgre::daemon::ConfigResult r = nvgre::daemon::LoadConfigFile(path);
  for (const auto& e : r.errors) std::cerr << e.ToString() << "\n";
  return std::move(r.config);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nvgred: NVGRE (RFC 7637) endpoint with NDIS NVGRE task offload in software"};
  app.set_version_flag("--version", NVGRE_VERSION);
  std::string config_path;
  app.add_option("--config", config_path, "run with this configuration file (TOML)");

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "validate a configuration file and exit");
  check->add_option("file", check_path, "the configuration file")->required();

  std::string socket = nvgre::daemon::ControlSection{}.socket;
  bool json = false;
  std::vector<std::string> words;
  auto* ctl = app.add_subcommand("ctl", "ask a running nvgred over its control socket");
  ctl->add_option("--socket", socket, "the control socket")->capture_default_str();
  ctl->add_flag("--json", json, "print one JSON object instead of text");
  ctl->add_option("command", words,
                  "stats | ports | lookup | subnets | offload | offload set KEY=VALUE... | version | reload")
      ->required();
  ctl->positionals_at_end();

  bool markdown = false;
  auto* drops = app.add_subcommand("drops", "list every drop reason with its help text");
  drops->add_flag("--markdown", markdown, "as the README's table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*drops) {
    if (markdown) std::cout << "| reason | meaning |\n|---|---|\n";
    for (std::size_t i = 0; i < nvgre::daemon::kDropCount; ++i) {
      const auto& name = nvgre::daemon::DropName(i);
      const auto help = nvgre::daemon::DropHelp(i);
      if (markdown) {
        std::cout << "| `" << name << "` | " << help << " |\n";
      } else {
        std::cout << name << "\t" << help << "\n";
      }
    }
    return 0;
  }
  if (*ctl) {
    const std::vector<std::string> args(words.begin() + 1, words.end());
    return nvgre::daemon::RunCtl(socket, words.front(), args, json, std::cout, std::cerr);
  }
  if (*check) {
    const auto config = Load(check_path);
    if (!config) return 1;
    std::cout << check_path << ": valid (" << config->subnets.size() << " subnet(s), "
              << config->ports.size() << " port(s), " << config->lookups.size()
              << " lookup record(s))\n";
    return 0;
  }
  if (config_path.empty()) {
    std::cerr << "nvgred: --config FILE is required (or a subcommand: check-config, ctl)\n"
              << app.help();
    return 2;
  }
  const auto config = Load(config_path);
  if (!config) return 1;
  nvgre::daemon::SetLogLevel(config->daemon.log_level);
  auto created = nvgre::daemon::Daemon::Create(*config);
  if (auto* error = std::get_if<std::string>(&created)) {
    NVGRED_LOG_ERROR("%s", error->c_str());
    return 1;
  }
  return std::get<std::unique_ptr<nvgre::daemon::Daemon>>(created)->Run();
}
