// `nvgre tx IN OUT [--lso MSS|auto] [--uso MSS|auto] [--csum LIST] [--mtu N] [--json] ...`:
// hands every NVGRE frame of a capture to the software NIC's transmit offloads, as the Windows
// stack would hand it down, and writes what the NIC puts on the wire.
//
// For each frame of IN:
//   - not Ethernet, cut short by the capture's snap length, or not an NVGRE-shaped frame (GRE
//     0x6558 with an inner IP header): written to OUT unchanged ("passthrough": a plain send
//     without offload);
//   - otherwise it is prepared by PrepareNvgreSend (offload/stack_prep.h) as the stack would:
//     LSOv2 when --lso is given, the inner packet is TCP and the outer IP packet is larger than
//     --mtu (a super-frame); USO likewise with --uso for inner UDP; checksum offload otherwise,
//     for the checksums named by --csum. MSS "auto" (or 0) = MTU minus the encapsulation
//     overhead. A frame the stack could not prepare passes through unchanged.
//   - the Tx engine (offload/tx_engine.h) runs on it with the adapter configuration below; the
//     frames it emits are written to OUT with the input's timestamp. A refused packet is not
//     sent: nothing is written for it, and the summary counts the reason.
// Then a summary: frames read and written, packets per action, refusals by reason. With --json,
// one JSON object per input frame (keys below), then {"summary": {...}}.
//
// Per-frame JSON keys: frame (1-based), action ("lsov2", "uso", "checksum", "unchanged",
// "refused", "passthrough"), reason (refusal or passthrough reason, else null), segments,
// mss, header_length, payload_bytes, out_lengths (lengths of the frames written), oob
// ({checksum, large_send, supplemental, uso, completion} as "0x%08x" raw ULONGs, or null when
// the frame was not prepared).
//
// Exit status: 0 when IN was read and OUT written (refusals are results, not errors); 1 for a bad
// option value; 2 when IN cannot be read or OUT cannot be written.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace nvgre::cli {

struct TxOptions {
  std::string in;
  std::string out;
  std::optional<std::string> lso;   // MSS or "auto"; absent = no LSOv2
  std::optional<std::string> uso;   // MSS or "auto"; absent = no USO
  std::string csum = "all";         // ip,tcp,udp | all | none
  std::uint32_t mtu = 1500;         // IP MTU of the link
  bool json = false;
  // Adapter configuration (TxOffloadConfig); defaults: everything on.
  std::uint32_t max_header_size = 256;      // MaxHeaderSizeSupported
  std::uint32_t max_offload_size = 262144;  // LSOv2 / USO MaxOffLoadSize
  std::uint32_t min_segments = 2;           // LSOv2 / USO MinSegmentCount
  std::uint32_t min_mss = 88;
  bool encapsulated_offload = true;         // --no-encap-offload turns NVGRE task offload off
};

int RunTx(const TxOptions& options, std::ostream& out, std::ostream& err);

}  // namespace nvgre::cli
