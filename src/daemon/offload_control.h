// `nvgred ctl offload set KEY=VALUE...`: the words of an OID_TCP_OFFLOAD_PARAMETERS request, and
// what the VM side of the datapath may use under an adapter configuration.
//
//   auto p = ParseOffloadAssignments({"lso-v2-ipv4=off", "udp-ipv4-checksum=tx"});
//   if (!p) return Error(p.error());                 // names the bad word and the keys allowed
//   NdisStatus st = adapter.SetOffloadParameters(*p);
//   tap.SetOffloads(TapOffloadsFor(*adapter.Snapshot()));   // TUN_F_* the VM's kernel may use
//
// Keys are the options of `nvgre adapter set` without "--" (README "nvgre adapter"), each an
// NDIS_OFFLOAD_PARAMETERS member (spec §8.3); a key not given is NO_CHANGE; `encap-offload=on`
// without `encapsulation-types` asks for GRE_MAC, as that command does.
//
// The VM is the "stack" of this NIC: what its kernel hands over through the vnet header is an
// offload request of the encapsulated packet (partial checksum -> checksum offload; TSO/USO
// super-frames -> LSOv2 / USO). TapOffloadsFor offers it only what the Tx engine will perform
// under `config` (offload/tx_engine.h), so that the VM's kernel does the rest itself:
//   TUN_F_CSUM  NVGRE task offload active, and Tx checksum offload of TCP and UDP for inner IPv4
//               and IPv6 (TUN_F_CSUM cannot tell them apart; the VM computes the IPv4 header
//               checksum itself) with OID_OFFLOAD_ENCAPSULATION on for the outer versions;
//   TUN_F_TSO4 / TUN_F_TSO6  TUN_F_CSUM and LSOv2 IPv4 / IPv6 (*LsoV2IPv4, *LsoV2IPv6);
//   TUN_F_USO4 | TUN_F_USO6  TUN_F_CSUM and USO for both versions (the kernel takes the two
//               together).
// The encapsulated-offload masks are not consulted: nvgred's adapter advertises every INNER /
// OUTER combination, which is what CURRENT_CONFIG reports while NVGRE task offload is active.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "nvgre/offload/adapter.h"
#include "nvgre/virt/expected.h"

namespace nvgre::daemon {

// The keys `offload set` takes, in the order README lists them.
std::vector<std::string_view> OffloadSetKeys();

virt::Expected<offload::OffloadParameters, std::string> ParseOffloadAssignments(
    const std::vector<std::string>& words);

// TUN_F_* bits (io/tap.h) for the VM side under `config`.
unsigned TapOffloadsFor(const offload::AdapterConfig& config);

// "csum,tso4,tso6,uso4,uso6" (or "none").
std::string TapOffloadNames(unsigned offloads);

}  // namespace nvgre::daemon
