// `nvgre encap IN OUT --vsid N [--flow-id N|auto] --outer-src IP --outer-dst IP
//                     [--outer-src-mac MAC] [--outer-dst-mac MAC] [--vlan ID] [--vlan-pcp N]
//                     [--ttl N] [--no-df] [--allow-reserved-vsid]`
// encapsulates every Ethernet frame of a pcap/pcapng capture in NVGRE (virt/encap.h), outer IPv4
// or IPv6 chosen from the address family of --outer-src/--outer-dst, and writes a pcap file.
//
// `nvgre decap IN OUT [--drop-reserved-vsid] [--no-verify-outer-checksum]`
// writes the inner frame of every valid NVGRE frame (virt/decap.h); every other frame is
// reported on its own line with the drop reason and counted.
//
// Both end with a summary: frames read, written, and a count per reason. Reports go to standard
// output, or to standard error when OUT is "-" (standard output then carries the pcap).
// Exit status: 0 when the whole input was processed (frames that could not be encapsulated or
// decapsulated are reported, not fatal); 1 when the input turned bad part-way (what came before
// is written); 2 for bad arguments (the message names the option) or a file that cannot be
// opened or written.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace nvgre::cli {

// Option values as typed; RunEncap validates them (so that every bad value exits with 2 and a
// message naming the option). Empty string = not given.
struct EncapOptions {
  std::string in, out;
  std::string vsid;
  std::string flow_id = "auto";
  std::string outer_src, outer_dst;
  std::string outer_src_mac = "02:00:00:00:00:01";  // locally administered defaults
  std::string outer_dst_mac = "02:00:00:00:00:02";
  std::string vlan, vlan_pcp, ttl;
  bool no_df = false;
  bool allow_reserved_vsid = false;
  std::vector<std::string> extras;  // unrecognised arguments (reported, exit 2)
};

struct DecapOptions {
  std::string in, out;
  bool drop_reserved_vsid = false;
  bool no_verify_outer_checksum = false;
  std::vector<std::string> extras;
};

int RunEncap(const EncapOptions& options, std::ostream& out, std::ostream& err);
int RunDecap(const DecapOptions& options, std::ostream& out, std::ostream& err);

}  // namespace nvgre::cli
