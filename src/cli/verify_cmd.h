// `nvgre verify FILE [--json] [--mss N] [--mtu N] [--rules LIST] [--max-flows N]`: checks a
// capture of what a NIC put on the wire against the NVGRE (RFC 7637, RFC 2784/2890) and NDIS
// NVGRE task offload rules (checksums, lengths, LSOv2 bursts) with offload::Verifier, and
// prints every violation: frame number, rule id, expected versus seen, the frame it was judged
// against, and the rule's one-line citation. Then a summary: frames, GRE/NVGRE frames, bursts,
// violations per rule. `nvgre verify --list-rules` prints the rule table.
//
//   VerifyCommandOptions o{.path = "nic.pcap", .json = true};
//   int status = RunVerify(o, std::cout, std::cerr);
//
// Exit status: 0 when no enabled rule is broken, 1 when one is, 2 when the file cannot be read
// (cannot be opened, is not a capture, or a record part-way is bad: the frames before it are
// still judged and reported) or the arguments are invalid (an unknown rule in --rules).
//
// Text output, one line per violation:
//   10 csum.gre: expected 0x1f5c, seen 0xdc82 | RFC 2784 §2.5: checksum over ...
//   7 lso.ip-id (vs frame 5): expected outer IPv4 ID 0x0002 (segment 2), seen ... | spec §4 ...
// --json: JSON Lines, one object per violation
//   {"frame":10,"rule":"csum.gre","expected":"0x1f5c","seen":"0xdc82","related_frame":null,
//    "citation":"RFC 2784 §2.5: ..."}
// then {"summary": {"frames", "skipped_linktype", "other_frames", "gre_frames", "nvgre_frames",
// "snap_truncated", "unverified_checksums", "tcp_segments", "bursts", "burst_segments",
// "flows_evicted", "violations": {rule: count for every enabled rule}, "total_violations",
// "rules_enabled": [ids], "mss", "mtu", "read_error" (only when a record was bad)}}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace nvgre::cli {

struct VerifyCommandOptions {
  std::string path;
  bool json = false;
  std::uint32_t mss = 0;  // 0 = inferred per burst (the first segment's payload)
  std::uint32_t mtu = 0;  // 0 = no MTU rule
  std::string rules;      // --rules LIST (offload::ParseVerifyRuleList); empty = all
  std::size_t max_flows = 16384;
  bool list_rules = false;
};

int RunVerify(const VerifyCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace nvgre::cli
