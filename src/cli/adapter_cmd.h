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

#include "nvgre/offload/adapter.h"
#include "nvgre/offload/keywords.h"

namespace nvgre::cli {

// Reads a keywords file. A missing file gives the defaults when `missing_ok`; diagnostics (line
// numbers, default used) are printed to `err` prefixed with "nvgre <command>: FILE: ". nullopt
// when the file exists but cannot be read (message printed).
std::optional<offload::Keywords> LoadKeywordsFile(const std::string& path, bool missing_ok,
                                                  const std::string& command, std::ostream& err,
                                                  nlohmann::json* diagnostics = nullptr);

// NDIS_OFFLOAD with NDIS member names as keys.
nlohmann::json NdisOffloadJson(const offload::NdisOffload& o);
// {"*RSS": 1, ...}: every keyword with its effective value.
nlohmann::json KeywordsJson(const offload::Keywords& kw);

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

// Option value parsing shared with `nvgre rx`:
//   "on" -> NDIS_OFFLOAD_SET_ON, "off" -> _OFF, "no-change" -> 0, or a number 0..255 as given.
std::optional<std::uint8_t> ParseSetOnOff(const std::string& text);
//   "off" 1, "tx" 2, "rx" 3, "rxtx"/"on" 4, "no-change" 0, or a number 0..255 (checksum members).
std::optional<std::uint8_t> ParseChecksumSetting(const std::string& text);
//   "off" 1 (DISABLED), "on" 2 (ENABLED), "no-change" 0, or a number (LSO/RSC/USO members).
std::optional<std::uint8_t> ParseEnableSetting(const std::string& text);

}  // namespace nvgre::cli
