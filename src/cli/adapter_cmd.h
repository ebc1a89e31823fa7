// `nvgre adapter show|set`: the emulated adapter's control plane from the command line, and the
// helpers `nvgre rx` shares with it (keyword files, NDIS_OFFLOAD as JSON and text).
//
//   nvgre adapter show [--keywords FILE] [--json]
//       OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES and the current configuration right after
//       initialization with those keywords (NVGRE task offload inactive until an OID, spec §8.1),
//       plus every standardized keyword with its effective value.
//   nvgre adapter set --keywords FILE [--encap-offload on|off] [--ipv4-checksum V] ... [--json]
//       Builds an NDIS_OFFLOAD_PARAMETERS (revision 5) from the options, hands it to an adapter
//       initialized from FILE as OID_TCP_OFFLOAD_PARAMETERS, prints the status and the
//       NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG indication, and on success writes the
//       rewritten keywords back to FILE (created when missing).
//
// Exit status: 0 success; 1 the OID failed (NDIS_STATUS_INVALID_DATA / _NOT_SUPPORTED; FILE is
// not touched); 2 a file could not be read or written, or a bad option.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/offload_json.h"  // NdisOffloadJson, KeywordsJson, Parse*Setting
#include "nvgre/offload/adapter.h"
#include "nvgre/offload/keywords.h"

namespace nvgre::cli {

// Reads a keywords file. A missing file gives the defaults when `missing_ok`; diagnostics (line
// numbers, default used) are printed to `err` prefixed with "nvgre <command>: FILE: ". nullopt
// when the file exists but cannot be read (message printed).
std::optional<offload::Keywords> LoadKeywordsFile(const std::string& path, bool missing_ok,
                                                  const std::string& command, std::ostream& err,
                                                  nlohmann::json* diagnostics = nullptr);

struct AdapterShowOptions {
  std::string keywords;  // empty: defaults
  bool json = false;
};
int RunAdapterShow(const AdapterShowOptions& options, std::ostream& out, std::ostream& err);

struct AdapterSetOptions {
  std::string keywords;
  bool json = false;
  // Each member's NDIS_OFFLOAD_PARAMETERS value (0 = NO_CHANGE); the CLI maps names to values.
  offload::OffloadParameters parameters;
};
int RunAdapterSet(const AdapterSetOptions& options, std::ostream& out, std::ostream& err);

}  // namespace nvgre::cli
