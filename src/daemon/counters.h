// nvgred's counters: every drop reason defined once (VPP error.def style), per-worker counters
// that only their worker writes, and the sum the control thread reads.
//
// Drop reasons come from five lists, flattened into one index space, one counter each:
//   nvgred's own (NVGRED_DROPS below), the vnet header checks (virt/vnet.h, "vnet-..."),
//   decapsulation (virt/decap.h DecapDrop), the Tx engine's refusals (offload/tx_engine.h,
//   "tx-..."), encapsulation refusals (virt/encap.h, "encap-...") and the ARP/ND responder's
//   ignores (virt/neighbor.h). DropName(i) / DropHelp(i) give each its stable name and help.
//
// Threads: a worker bumps its own counters with relaxed loads and stores (plain instructions,
// no read-modify-write), so the control thread may read them at any time without a lock and
// without a data race; totals are summed on read.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nvgre/offload/tx_engine.h"
#include "nvgre/virt/decap.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/neighbor.h"
#include "nvgre/virt/vnet.h"

namespace nvgre::daemon {

// nvgred's own drop reasons: value, stable name, help text.
#define NVGRED_DROPS(X)                                                                            \
  X(kSourceMacSpoofed, "source-mac-spoofed", "a VM sent a frame whose source MAC is not its port's") \
  X(kHairpin, "hairpin", "a VM sent a frame to its own MAC")                                        \
  X(kNoLookupRecord, "no-lookup-record",                                                           \
    "no local port or lookup record for (VSID, destination MAC): unknown unicast is never flooded") \
  X(kNeighborMiss, "neighbor-miss",                                                                \
    "ARP request or Neighbor Solicitation for an address without a record (left unanswered)")       \
  X(kPacketTooBig, "packet-too-big",                                                               \
    "inner packet too big for the underlay after encapsulation: dropped, ICMP too-big sent back")  \
  X(kTooBigFragmentable, "too-big-fragmentable",                                                   \
    "too big for the underlay and not IPv4-with-DF or IPv6: dropped (never fragmented, RFC 7637 §4)") \
  X(kNextHopUnresolved, "next-hop-unresolved",                                                     \
    "AF_PACKET underlay: the provider's next-hop MAC is not resolved yet (asked of the kernel)")  \
  X(kNoUnderlayFamily, "no-underlay-family", "the provider address is of a family without an underlay address") \
  X(kUnderlaySendFailed, "underlay-send-failed", "the kernel refused an underlay datagram (route, MTU)") \
  X(kUnderlaySendBlocked, "underlay-send-blocked", "the underlay socket buffer stayed full")        \
  X(kVmLinkDown, "vm-link-down", "a frame for a VM whose interface is down (the TAP refused it)") \
  X(kTapWriteFailed, "tap-write-failed", "writing a frame to a VM's TAP failed otherwise")        \
  X(kNotOurAddress, "not-our-address", "NVGRE to another address of this host than the provider address or a joined group") \
  X(kUnknownVsid, "unknown-vsid", "NVGRE packet for a VSID without a subnet on this host")         \
  X(kUnknownInnerMac, "unknown-inner-mac", "NVGRE packet whose inner destination is no local port of its VSID") \
  X(kBadInnerIpChecksum, "bad-inner-ip-checksum", "the Rx engine found the inner IPv4 header checksum bad") \
  X(kBadInnerL4Checksum, "bad-inner-l4-checksum", "the Rx engine found the inner TCP/UDP checksum bad") \
  X(kExceedsVmMtu, "exceeds-vm-mtu", "an inner frame larger than the VM's MTU that is no kernel-merged TCP frame") \
  X(kUnderlayTruncated, "underlay-truncated", "an underlay datagram longer than the receive buffer") \
  X(kHandoffFull, "handoff-queue-full", "the worker RSS chose had no room for the frame (or it exceeds the underlay MTU)") \
  X(kNoPort, "no-port", "a frame for a port that is being removed")                               \
  X(kPortUnbound, "port-unbound",                                                                  \
    "a frame from a port without a VSID yet ([policy] ovsdb: no Physical_Port binding in force)")

enum class DaemonDrop : std::uint8_t {
#define NVGRE_X(value, name, help) value,
  NVGRED_DROPS(NVGRE_X)
#undef NVGRE_X
  kCount,
};
inline constexpr std::size_t kDaemonDropCount = static_cast<std::size_t>(DaemonDrop::kCount);

// The flat index space.
inline constexpr std::size_t kDropBaseVnet = kDaemonDropCount;
inline constexpr std::size_t kDropBaseDecap = kDropBaseVnet + virt::kVnetTxDropCount;
inline constexpr std::size_t kDropBaseTx = kDropBaseDecap + virt::kDecapDropCount;
inline constexpr std::size_t kDropBaseEncap = kDropBaseTx + (offload::kTxRefusalCount - 1);
inline constexpr std::size_t kDropBaseNeighbor = kDropBaseEncap + virt::kEncapErrorCount;
inline constexpr std::size_t kDropCount = kDropBaseNeighbor + (virt::kNeighborIgnoreCount - 1);

constexpr std::size_t DropIndex(DaemonDrop d) { return static_cast<std::size_t>(d); }
constexpr std::size_t DropIndex(virt::VnetTxDrop d) { return kDropBaseVnet + static_cast<std::size_t>(d); }
constexpr std::size_t DropIndex(virt::DecapDrop d) { return kDropBaseDecap + static_cast<std::size_t>(d); }
// Precondition: r != kNone.
constexpr std::size_t DropIndex(offload::TxRefusal r) { return kDropBaseTx + static_cast<std::size_t>(r) - 1; }
constexpr std::size_t DropIndex(virt::EncapError e) { return kDropBaseEncap + static_cast<std::size_t>(e); }
// Precondition: r != kNotNeighborQuery.
constexpr std::size_t DropIndex(virt::NeighborIgnore r) {
  return kDropBaseNeighbor + static_cast<std::size_t>(r) - 1;
}

const std::string& DropName(std::size_t index);
std::string_view DropHelp(std::size_t index);

// One counter written by one thread and read by others: relaxed load + store (no RMW).
class Counter {
 public:
  void Add(std::uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Set(std::uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  std::uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// Traffic counters of one port, from the VM's side of the cable: rx = frames the VM sent (read
// from its TAP), tx = frames delivered to it (written to its TAP).
struct PortCounters {
  Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
};

// The non-drop counters of one worker (see README "ctl stats" for each).
#define NVGRED_WORKER_COUNTERS(X)                                                              \
  X(tx_packets, "underlay datagrams sent")                                                     \
  X(tx_bytes, "bytes of underlay datagrams sent (IP header on)")                               \
  X(tx_lso_super_frames, "TCP super-frames from VMs segmented by the Tx engine (LSOv2)")       \
  X(tx_lso_segments, "segments those super-frames became")                                     \
  X(tx_uso_super_frames, "UDP super-frames from VMs segmented by the Tx engine (USO)")         \
  X(tx_uso_segments, "datagrams those super-frames became")                                    \
  X(tx_checksum_offloads, "frames whose inner checksum the Tx engine filled")                  \
  X(tx_flood_copies, "unicast copies of broadcast/multicast frames (head-end replication)")    \
  X(rx_packets, "NVGRE datagrams received from the underlay")                                  \
  X(rx_bytes, "bytes of NVGRE datagrams received")                                              \
  X(rx_delivered, "inner frames written to VM TAPs")                                            \
  X(rx_data_valid, "inner frames handed to VMs with checksums already validated (DATA_VALID)") \
  X(rx_coalesced, "segments merged into larger frames toward VMs")                              \
  X(rx_lso_super_frames, "GSO frames written to VMs (coalesced by nvgred or by the kernel)")     \
  X(rx_kernel_merged, "frames the underlay's GRO merged, delivered to VMs as GSO frames")        \
  X(rx_flow_id_nonzero, "NVGRE datagrams with a non-zero FlowID (accepted: the VSID decides)") \
  X(rx_handoffs, "frames handed to the worker RSS chose")                                       \
  X(rss_handled, "underlay frames this worker processed as the RSS owner")                      \
  X(local_switched, "frames between two ports of one host (no underlay)")                       \
  X(neighbor_answered, "ARP requests / Neighbor Solicitations answered from the records")       \
  X(icmp_too_big_sent, "ICMP Fragmentation Needed / Packet Too Big sent back to VMs")

struct WorkerCounters {
#define NVGRE_X(name, help) Counter name;
  NVGRED_WORKER_COUNTERS(NVGRE_X)
#undef NVGRE_X
  std::array<Counter, kDropCount> drops;
  std::vector<PortCounters> ports;  // by port slot; sized once (kMaxPorts)
  Counter heartbeat;  // bumped on every wake-up (at least every 200 ms): liveness for the watchdog

  explicit WorkerCounters(std::size_t max_ports) : ports(max_ports) {}
  void Drop(std::size_t index, std::uint64_t n = 1) { drops[index].Add(n); }
};

// A plain sum over workers, for printing.
struct CounterTotals {
#define NVGRE_X(name, help) std::uint64_t name = 0;
  NVGRED_WORKER_COUNTERS(NVGRE_X)
#undef NVGRE_X
  std::array<std::uint64_t, kDropCount> drops{};
  struct Port {
    std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  };
  std::vector<Port> ports;
  std::vector<std::uint64_t> rss_queues;  // rss_handled per worker

  static CounterTotals Sum(const std::vector<const WorkerCounters*>& workers);
};

}  // namespace nvgre::daemon
