// nvgre: NVGRE captures and NDIS NVGRE task offloads from the command line.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/inspect.h"

int main(int argc, char** argv) {
  CLI::App app{"nvgre: NVGRE (RFC 7637) and NDIS 6.30 NVGRE task offload, in software"};
  app.require_subcommand(1);

  nvgre::cli::InspectOptions inspect;
  auto* cmd = app.add_subcommand("inspect", "classify every frame of a pcap/pcapng capture");
  cmd->add_option("file", inspect.path, "pcap or pcapng file")->required();
  cmd->add_flag("--json", inspect.json, "one JSON object per frame (JSON Lines), then a summary object");

  CLI11_PARSE(app, argc, argv);
  if (cmd->parsed()) return nvgre::cli::RunInspect(inspect, std::cout, std::cerr);
  return 2;
}
