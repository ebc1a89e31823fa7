// `nvgre inspect FILE [--json]`: one line (or one JSON object) per frame of a pcap/pcapng file
// saying what the frame classifier found, then a summary of verdicts and parse-error reasons.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "nvgre/wire/classifier.h"

namespace nvgre::cli {

struct InspectOptions {
  std::string path;
  bool json = false;
};

// Exit status: 0 when the file could be read (malformed packets are reported, not fatal),
// 2 when it could not be opened, is not a capture, or a record part-way is bad (the frames
// before it are still reported, as `nvgre verify` does).
int RunInspect(const InspectOptions& options, std::ostream& out, std::ostream& err);

// One frame, as `inspect --json` prints it (the keys are documented in README.md).
nlohmann::json FrameJson(std::uint64_t frame_number, std::span<const std::uint8_t> frame,
                         std::size_t wire_length, const wire::FrameLayout& layout,
                         const wire::ChecksumReport& checksums);

// Why a frame is not valid NVGRE, as a short kebab-case reason; empty when it is NVGRE.
std::string NotNvgreReason(const wire::FrameLayout& layout);

}  // namespace nvgre::cli
