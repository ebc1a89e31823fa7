// nvgred's datapath: the immutable state the workers read (DatapathState, published by the
// control thread through Qsbr) and the workers themselves.
//
// A worker owns: one queue of every VM port's TAP (IFF_MULTI_QUEUE), its IPPROTO_RAW sender
// socket per underlay family, its buffers and its counters. The underlay receive socket of a
// family is read by one worker (family IPv4: worker 0, IPv6: worker 1 % N); it runs the Rx
// engine (checksums, RSS on the inner flow, VMQ on the inner MAC) and hands each frame to the
// worker RSS picked, through a lock-free ring, unless that is itself. Nothing on the packet path
// takes a lock or allocates.
//
// VM -> underlay, per frame read from a TAP (batches of up to kTapBatch reads per port):
//   vnet header checks (virt/vnet.h) -> source MAC = the port's -> destination:
//     broadcast/multicast: ARP request / Neighbor Solicitation answered from the records
//       (virt/neighbor.h; a miss stays silent), anything else flooded inside the VSID: to the
//       other local ports and one unicast copy per provider with records in the VSID;
//     unicast: a local port of the VSID (switched locally, no underlay), or a lookup record's
//       provider: PMTU check (ICMP too-big back to the VM, never fragmentation) ->
//       EncapsulateInPlace -> PrepareEncapsulatedTx -> ProcessTxPacket (LSOv2 / USO /
//       checksum) -> segments (header copies + payload references) -> sendmmsg;
//     anything else: a named drop.
// underlay -> VM, per datagram (recvmmsg batches):
//   reassembled / truncated: dropped -> the outer Ethernet (and IPv6) header rebuilt in the
//   headroom -> ProcessRxFrame -> the RSS owner -> Decapsulate (NVGRE rules, outer checksum,
//   RFC 6040 ECN) -> inner checksum verdicts (bad: dropped; good: DATA_VALID) -> VSID known ->
//   destination: the VMQ queue's port when it matches (VSID, MAC), else the policy's local
//   port; broadcast/multicast: every local port of the VSID -> TAP write with a vnet header.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "daemon/counters.h"
#include "daemon/handoff.h"
#include "daemon/qsbr.h"
#include "nvgre/io/underlay.h"
#include "nvgre/offload/adapter.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/packet_buffer.h"
#include "nvgre/virt/policy.h"
#include "nvgre/virt/vnet.h"

namespace nvgre::daemon {

inline constexpr std::size_t kMaxPorts = 1024;       // port slots (counters are sized for them)
inline constexpr std::size_t kTapBatch = 32;         // TAP reads per port per wake-up
inline constexpr std::size_t kUnderlayBatch = 64;    // datagrams per recvmmsg
inline constexpr std::size_t kMaxSegmentsPerSend = 256;
inline constexpr std::size_t kTapFrameMax = 65536 + 4 * 4 + 14;  // a 64 KiB GSO frame + tags
inline constexpr std::size_t kUnderlayHeadroom = 64;  // room to rebuild Ethernet + IPv6 headers

struct PortState {
  bool active = false;
  std::string tap;
  std::uint32_t vsid = 0;
  wire::MacAddress mac{};
  std::uint32_t mtu = 0;
  std::vector<int> queue_fds;     // by worker
  virt::VnetTxLimits limits;      // what the TAP was offered (TUNSETOFFLOAD)
};

// Where an encapsulated datagram goes: the socket address for sendmmsg (the provider address
// for raw sockets; the interface for AF_PACKET) and, with AF_PACKET, the next hop's MAC.
struct Provider {
  sockaddr_storage address{};
  socklen_t length = 0;
  bool ipv6 = false;
  bool resolved = true;                 // AF_PACKET: next_hop_mac is known
  wire::MacAddress next_hop_mac{};      // AF_PACKET: the outer Ethernet destination
};
Provider MakeProvider(const virt::IpAddress& address);

struct DatapathState {
  std::shared_ptr<const virt::Policy> policy;
  std::shared_ptr<const offload::AdapterConfig> adapter;
  offload::TxOffloadConfig tx_config;
  std::vector<PortState> ports;        // by slot, kMaxPorts at most
  std::vector<Provider> providers;     // by policy provider index
  std::vector<virt::IpAddress> groups; // underlay multicast groups joined (subnets' flood groups)
  std::vector<Provider> group_providers;  // by index in `groups`
  // AF_PACKET underlay ([underlay] interface): whole frames on this interface, our MAC as the
  // outer source, providers' next-hop MACs resolved by the control thread.
  bool packet_underlay = false;
  int underlay_ifindex = 0;
  wire::MacAddress underlay_mac{};
  std::optional<wire::Ipv4Address> underlay_ipv4;
  std::optional<wire::Ipv6Address> underlay_ipv6;
  std::uint32_t underlay_mtu = 1500;
  std::uint8_t ttl = 64;
  std::uint16_t flow_id = 0;           // 0..255, or virt::kFlowIdFromHash
  bool rx_data_valid = true;           // mark validated frames DATA_VALID toward VMs
};

// What every worker shares: the published state, the underlay receive sockets, the rings.
struct DatapathShared {
  explicit DatapathShared(std::size_t workers, std::size_t ring_slots, std::size_t slot_bytes);

  std::size_t workers;
  Qsbr qsbr;
  PublishedSlot<DatapathState> state;
  io::Fd rx4, rx6;                     // raw-socket underlay receivers (absent: invalid fd)
  std::vector<io::Fd> packet_rx;       // AF_PACKET underlay: one receiver per worker (fanout)
  // rings[from * workers + to]: frames the reader `from` hands to the RSS owner `to`.
  std::vector<std::unique_ptr<HandoffRing>> rings;
  std::size_t ring_slot_bytes = 0;     // the largest frame a handoff ring takes
  std::vector<int> wake_fds;           // eventfd per worker (handoff and control wake-ups)
  std::vector<std::unique_ptr<WorkerCounters>> counters;
};

class Worker {
 public:
  Worker(std::size_t index, DatapathShared& shared, std::vector<int> sender_fds);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Adds / removes one port's queue fd to / from this worker's epoll set (any thread).
  void WatchPort(std::size_t slot, int fd);
  void UnwatchPort(int fd);
  void Run(std::stop_token stop);

 private:
  struct Scratch;
  struct Coalescer;
  void OnTap(const DatapathState& s, std::size_t slot);
  enum class Underlay : std::uint8_t { kRaw4, kRaw6, kPacket };
  void OnUnderlay(const DatapathState& s, Underlay kind);
  void DrainHandoffs(const DatapathState& s);
  void Egress(const DatapathState& s, std::size_t slot, virt::PacketBuffer& pkt,
              const virt::VnetHdr& hdr);
  void SendRemote(const DatapathState& s, const PortState& from, virt::PacketBuffer& pkt,
                  const virt::VnetTxRequest& req, const virt::IpAddress& destination,
                  const Provider& provider);
  void Flood(const DatapathState& s, std::size_t from_slot, const virt::PacketBuffer& pkt,
             const virt::VnetHdr& hdr, const virt::VnetTxRequest& req);
  // Receive coalescing (offload/rsc.h) in front of Ingress: consecutive in-order segments of one
  // flow leave as one GSO frame; Flush at the end of every batch (nothing waits for the next).
  void Deliver(const DatapathState& s, std::span<std::uint8_t> frame, const HandoffInfo& info);
  void FlushCoalesced(const DatapathState& s);
  // `gso_size` != 0: a coalesced frame, written to the VM as a GSO frame of that segment size.
  void Ingress(const DatapathState& s, std::span<std::uint8_t> frame, const HandoffInfo& info,
               std::uint32_t gso_size);
  bool WriteToPort(const DatapathState& s, std::size_t slot, const virt::VnetHdr& hdr,
                   std::span<const std::uint8_t> frame);
  void FlushSends();

  std::size_t index_;
  DatapathShared& shared_;
  WorkerCounters& counters_;
  int epoll_fd_ = -1;
  std::array<int, 2> senders_{-1, -1};  // [0] IPv4, [1] IPv6
  std::unique_ptr<Scratch> scratch_;
  std::unique_ptr<Coalescer> coalescer_;
};

}  // namespace nvgre::daemon
