// nvgre: NVGRE captures and NDIS NVGRE task offloads from the command line.
#include <CLI/CLI.hpp>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{"nvgre: NVGRE (RFC 7637) and NDIS 6.30 NVGRE task offload, in software"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("nvgre ") + NVGRE_VERSION);
  nvgre::cli::Runner run;
  for (const auto& command : nvgre::cli::RegisteredCommands()) command.add(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help / --version exit 0; every usage error exits 2 with CLI11's message.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return run ? run() : 2;
}
