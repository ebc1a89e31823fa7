#include "daemon/datapath.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "daemon/log.h"
#include "nvgre/offload/rsc.h"
#include "nvgre/offload/rx_engine.h"
#include "nvgre/virt/decap.h"
#include "nvgre/virt/neighbor.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::daemon {
namespace {

// epoll data: kind in the high 32 bits, a port slot or a family in the low ones.
enum class Source : std::uint32_t { kTap = 1, kUnderlay4 = 2, kUnderlay6 = 3, kWake = 4, kPacket = 5 };
std::uint64_t EpollData(Source s, std::uint32_t value) {
  return static_cast<std::uint64_t>(s) << 32 | value;
}

constexpr std::size_t kSegmentArena = 1024;      // segments queued before a sendmmsg
constexpr std::size_t kHeaderBlockBytes = 192;   // per segment: outer + inner headers
constexpr std::size_t kFloodBuffers = 16;        // encapsulated copies queued before a sendmmsg
// One datagram: a 64 KiB frame the kernel merged (GRE GRO on the underlay NIC) fits.
constexpr std::size_t kUnderlayBufferBytes = 65536 + 128;
constexpr std::size_t kSendMessages = 1024;
constexpr std::size_t kUnderlayPassesPerWake = 4;    // recvmmsg batches per wake-up (fairness)

wire::MacAddress MacAt(std::span<const std::uint8_t> frame, std::size_t at) {
  wire::MacAddress m{};
  std::copy_n(frame.begin() + static_cast<std::ptrdiff_t>(at), 6, m.begin());
  return m;
}

}  // namespace

Provider MakeProvider(const virt::IpAddress& a) {
  Provider p;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a)) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    std::memcpy(&s.sin_addr, v4->data(), 4);
    std::memcpy(&p.address, &s, sizeof s);
    p.length = sizeof s;
  } else {
    sockaddr_in6 s{};
    s.sin6_family = AF_INET6;
    std::memcpy(&s.sin6_addr, std::get<wire::Ipv6Address>(a).data(), 16);
    std::memcpy(&p.address, &s, sizeof s);
    p.length = sizeof s;
    p.ipv6 = true;
  }
  return p;
}

DatapathShared::DatapathShared(std::size_t worker_count, std::size_t ring_slots,
                               std::size_t slot_bytes)
    : workers(worker_count), qsbr(worker_count), ring_slot_bytes(slot_bytes) {
  for (std::size_t i = 0; i < worker_count * worker_count; ++i) {
    const bool needed = i / worker_count != i % worker_count;  // no ring from a worker to itself
    rings.push_back(needed ? std::make_unique<HandoffRing>(ring_slots, slot_bytes) : nullptr);
  }
  for (std::size_t i = 0; i < worker_count; ++i) {
    wake_fds.push_back(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    counters.push_back(std::make_unique<WorkerCounters>(kMaxPorts));
  }
}

// Everything a worker touches per packet, allocated once.
struct Worker::Scratch {
  std::vector<virt::PacketBuffer> tap_buffers;
  std::array<std::uint8_t, virt::kVnetHdrSize> vnet_bytes{};
  io::RecvBatch underlay;
  std::array<io::SendBatch, 2> sends{io::SendBatch(kSendMessages, kSendMessages * 6),
                                     io::SendBatch(kSendMessages, kSendMessages * 6)};
  std::vector<offload::TxSegment> segments;
  std::vector<std::uint8_t> header_arena;
  std::size_t segments_used = 0;
  std::size_t arena_used = 0;
  std::vector<virt::PacketBuffer> flood_buffers;
  std::size_t flood_used = 0;
  std::array<std::uint8_t, virt::kMaxPacketTooBig + 64> reply{};
  offload::TxStats tx_stats;         // the engine's own tally (the counters are ours)
  std::uint16_t next_ipv4_id = 0;
  std::vector<bool> wake;            // owners to wake after a receive batch

  explicit Scratch(std::size_t workers)
      : underlay(kUnderlayBatch, kUnderlayBufferBytes, kUnderlayHeadroom),
        segments(kSegmentArena), header_arena(kSegmentArena * kHeaderBlockBytes), wake(workers) {
    for (std::size_t i = 0; i < kTapBatch; ++i) tap_buffers.emplace_back(kTapFrameMax);
    for (std::size_t i = 0; i < kFloodBuffers; ++i) flood_buffers.emplace_back(kTapFrameMax);
  }
};

// The library's coalescer and what the daemon keeps beside it: the held frame's handoff info
// and its first segment's payload length (the GSO size the VM is told).
struct Worker::Coalescer : offload::RscSink {
  std::vector<std::uint8_t> storage = std::vector<std::uint8_t>(kUnderlayBufferBytes + 512);
  offload::RscCoalescer rsc{storage};
  HandoffInfo held_info;
  std::uint32_t held_payload = 0;
  // Set around each Offer / Flush:
  Worker* worker = nullptr;
  const DatapathState* state = nullptr;
  const HandoffInfo* current = nullptr;

  void Indicate(std::span<const std::uint8_t> frame, const offload::RscIndication& ind) override {
    // The coalescer's own storage holds the held frame; anything else is the frame just offered.
    const bool held = frame.data() == storage.data();
    HandoffInfo info = held ? held_info : *current;
    info.rx.checksum = ind.checksum;
    const auto writable = std::span<std::uint8_t>(const_cast<std::uint8_t*>(frame.data()), frame.size());
    if (ind.coalesced_segments > 1) worker->counters_.rx_coalesced.Add(ind.coalesced_segments);
    worker->Ingress(*state, writable, info, ind.coalesced_segments > 1 ? held_payload : 0);
  }
};

Worker::Worker(std::size_t index, DatapathShared& shared, std::vector<int> sender_fds)
    : index_(index), shared_(shared), counters_(*shared.counters[index]),
      scratch_(std::make_unique<Scratch>(shared.workers)),
      coalescer_(std::make_unique<Coalescer>()) {
  coalescer_->worker = this;
  senders_[0] = sender_fds.size() > 0 ? sender_fds[0] : -1;
  senders_[1] = sender_fds.size() > 1 ? sender_fds[1] : -1;
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  auto watch = [&](int fd, Source s, std::uint32_t value) {
    if (fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = EpollData(s, value);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  };
  watch(shared_.wake_fds[index_], Source::kWake, 0);
  // The raw-socket underlay readers: IPv4 on worker 0, IPv6 on worker 1 % N. With AF_PACKET
  // every worker reads its own member of the fanout group.
  if (index_ == 0) watch(shared_.rx4.get(), Source::kUnderlay4, 0);
  if (index_ == 1 % shared_.workers) watch(shared_.rx6.get(), Source::kUnderlay6, 0);
  if (index_ < shared_.packet_rx.size()) watch(shared_.packet_rx[index_].get(), Source::kPacket, 0);
}

Worker::~Worker() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void Worker::WatchPort(std::size_t slot, int fd) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = EpollData(Source::kTap, static_cast<std::uint32_t>(slot));
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

void Worker::UnwatchPort(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void Worker::Run(std::stop_token stop) {
  std::array<epoll_event, 64> events{};
  Qsbr& qsbr = shared_.qsbr;
  while (!stop.stop_requested()) {
    qsbr.Offline(index_);
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 200);
    qsbr.Online(index_);
    counters_.heartbeat.Add();
    const DatapathState* s = shared_.state.Read();
    if (s == nullptr) continue;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t data = events[static_cast<std::size_t>(i)].data.u64;
      const auto source = static_cast<Source>(data >> 32);
      const auto value = static_cast<std::uint32_t>(data);
      switch (source) {
        case Source::kTap: OnTap(*s, value); break;
        case Source::kUnderlay4: OnUnderlay(*s, Underlay::kRaw4); break;
        case Source::kUnderlay6: OnUnderlay(*s, Underlay::kRaw6); break;
        case Source::kPacket: OnUnderlay(*s, Underlay::kPacket); break;
        case Source::kWake: {
          std::uint64_t v = 0;
          [[maybe_unused]] const ssize_t r = ::read(shared_.wake_fds[index_], &v, sizeof v);
          break;
        }
      }
    }
    DrainHandoffs(*s);
    FlushSends();
  }
  qsbr.Offline(index_);
}

// ---- VM -> underlay -------------------------------------------------------------------------

void Worker::OnTap(const DatapathState& s, std::size_t slot) {
  if (slot >= s.ports.size() || !s.ports[slot].active) return;
  const PortState& port = s.ports[slot];
  const int fd = port.queue_fds[index_];
  Scratch& x = *scratch_;
  for (std::size_t k = 0; k < kTapBatch; ++k) {
    virt::PacketBuffer& pkt = x.tap_buffers[k];
    pkt.Clear();
    const std::span<std::uint8_t> room = pkt.Append(pkt.tailroom());
    std::array<iovec, 2> iov{{{x.vnet_bytes.data(), x.vnet_bytes.size()},
                              {room.data(), room.size()}}};
    const ssize_t n = ::readv(fd, iov.data(), 2);
    if (n < 0) break;  // EAGAIN: nothing more; any other error: try again on the next wake-up
    const auto got = static_cast<std::size_t>(n);
    if (got < virt::kVnetHdrSize) {
      pkt.Trim(0);
      counters_.Drop(DropIndex(virt::VnetTxDrop::kVnetHdrTruncated));
      continue;
    }
    pkt.Trim(got - virt::kVnetHdrSize);
    PortCounters& pc = counters_.ports[slot];
    pc.rx_packets.Add();
    pc.rx_bytes.Add(pkt.size());
    const auto hdr = virt::ParseVnetHdr(x.vnet_bytes);
    Egress(s, slot, pkt, *hdr);  // 12 bytes were read: the header parses
  }
  FlushSends();
}

void Worker::Egress(const DatapathState& s, std::size_t slot, virt::PacketBuffer& pkt,
                    const virt::VnetHdr& hdr) {
  const PortState& port = s.ports[slot];
  const std::span<const std::uint8_t> frame = pkt.data();
  if (port.vsid == 0) return counters_.Drop(DropIndex(DaemonDrop::kPortUnbound));
  const auto req = virt::CheckVnetTx(hdr, frame, port.limits);
  if (!req) return counters_.Drop(DropIndex(req.error()));
  const wire::MacAddress destination = MacAt(frame, 0);
  if (MacAt(frame, 6) != port.mac) return counters_.Drop(DropIndex(DaemonDrop::kSourceMacSpoofed));

  if (virt::IsMulticastMac(destination)) {
    // ARP / Neighbor Discovery are answered here, from the records, never flooded.
    const auto query = virt::ParseNeighborQuery(frame);
    if (query) {
      const auto mac = s.policy->Resolve(port.vsid, query->target_ip);
      if (!mac) return counters_.Drop(DropIndex(DaemonDrop::kNeighborMiss));
      const std::size_t n = virt::BuildNeighborReply(*query, *mac, scratch_->reply);
      if (n != 0 && WriteToPort(s, slot, virt::VnetHdr{}, std::span(scratch_->reply).first(n))) {
        counters_.neighbor_answered.Add();
      }
      return;
    }
    if (query.error() != virt::NeighborIgnore::kNotNeighborQuery) {
      return counters_.Drop(DropIndex(query.error()));
    }
    return Flood(s, slot, pkt, hdr, *req);
  }

  const virt::Policy::Destination d = s.policy->Lookup(port.vsid, destination);
  switch (d.kind) {
    case virt::Policy::Kind::kLocal: {
      if (d.port == slot) return counters_.Drop(DropIndex(DaemonDrop::kHairpin));
      // Another VM of this host: switched locally, offloads and all (the vnet header was
      // validated; hdr_len is the recomputed one).
      virt::VnetHdr out = hdr;
      out.hdr_len = req->header_length;
      out.flags &= virt::kVnetFlagNeedsCsum;
      out.num_buffers = 0;
      if (WriteToPort(s, d.port, out, frame)) counters_.local_switched.Add();
      return;
    }
    case virt::Policy::Kind::kRemote:
      return SendRemote(s, port, pkt, *req, s.policy->providers()[d.provider],
                        s.providers[d.provider]);
    case virt::Policy::Kind::kNone:
      return counters_.Drop(DropIndex(DaemonDrop::kNoLookupRecord));
  }
}

namespace {

// The outer IP header length for a provider, or 0 when this host has no address of its family.
std::size_t OuterIpLength(const DatapathState& s, const virt::IpAddress& provider) {
  if (virt::IsIpv6(provider)) return s.underlay_ipv6 ? 40 : 0;
  return s.underlay_ipv4 ? 20 : 0;
}

virt::EncapConfig EncapFor(const DatapathState& s, std::uint32_t vsid,
                           const virt::IpAddress& provider, const Provider& p) {
  virt::EncapConfig c;
  c.outer_source_mac = s.underlay_mac;   // zero with raw sockets: that header is not sent
  c.outer_destination_mac = p.next_hop_mac;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&provider)) {
    c.outer_ip = virt::OuterIpv4{*s.underlay_ipv4, *v4};
  } else {
    c.outer_ip = virt::OuterIpv6{*s.underlay_ipv6, std::get<wire::Ipv6Address>(provider)};
  }
  c.ttl = s.ttl;
  c.dont_fragment = true;  // RFC 7637 §4: never fragmented on the way
  c.vsid = vsid;
  c.flow_id = s.flow_id;
  c.outer_mtu = 0;  // checked before (PMTU) or made to fit by segmentation
  return c;
}

// The outer destination is our provider address or a group we joined (an unbound receiver
// also sees GRE for the host's other addresses).
bool ForUs(const DatapathState& s, const virt::OuterIp& outer) {
  virt::IpAddress destination;
  if (const auto* v4 = std::get_if<virt::OuterIpv4>(&outer)) {
    if (s.underlay_ipv4 && v4->destination == *s.underlay_ipv4) return true;
    destination = v4->destination;
  } else {
    const auto& v6 = std::get<virt::OuterIpv6>(outer);
    if (s.underlay_ipv6 && v6.destination == *s.underlay_ipv6) return true;
    destination = v6.destination;
  }
  return std::find(s.groups.begin(), s.groups.end(), destination) != s.groups.end();
}

bool IsSegmentation(virt::VnetTxKind k) {
  return k == virt::VnetTxKind::kTcpSegmentation || k == virt::VnetTxKind::kUdpSegmentation;
}

}  // namespace

void Worker::SendRemote(const DatapathState& s, const PortState& from, virt::PacketBuffer& pkt,
                        const virt::VnetTxRequest& req, const virt::IpAddress& provider,
                        const Provider& p) {
  const std::size_t outer_ip = OuterIpLength(s, provider);
  if (outer_ip == 0) return counters_.Drop(DropIndex(DaemonDrop::kNoUnderlayFamily));

  // RFC 7637 §4: an NVGRE packet is never fragmented. A frame that cannot fit is dropped; an
  // IPv4 packet with DF or any IPv6 packet gets the ICMP too-big that path MTU discovery needs.
  if (!IsSegmentation(req.kind)) {
    const std::size_t tags = req.is_ip ? (req.l3_offset - 14u) : 0u;
    const std::size_t outer_length = outer_ip + 8 + (req.frame_length - tags);
    if (outer_length > s.underlay_mtu) {
      if (req.is_ip && (req.ipv6 || req.ipv4_dont_fragment)) {
        const auto inner_mtu = static_cast<std::uint32_t>(s.underlay_mtu - outer_ip - 8 - 14);
        const std::size_t n = virt::BuildPacketTooBig(pkt.data(), inner_mtu, scratch_->reply);
        const std::size_t slot = static_cast<std::size_t>(&from - s.ports.data());
        if (n != 0 && WriteToPort(s, slot, virt::VnetHdr{}, std::span(scratch_->reply).first(n))) {
          counters_.icmp_too_big_sent.Add();
        }
        return counters_.Drop(DropIndex(DaemonDrop::kPacketTooBig));
      }
      return counters_.Drop(DropIndex(DaemonDrop::kTooBigFragmentable));
    }
  }
  if (!p.resolved) return counters_.Drop(DropIndex(DaemonDrop::kNextHopUnresolved));
  const virt::EncapConfig config = EncapFor(s, from.vsid, provider, p);
  const auto encapsulated = virt::EncapsulateInPlace(pkt, config, scratch_->next_ipv4_id);
  if (!encapsulated) return counters_.Drop(DropIndex(encapsulated.error()));
  const auto tx = virt::PrepareEncapsulatedTx(req, pkt.data(), s.tx_config, s.underlay_mtu);
  if (!tx) return counters_.Drop(DropIndex(tx.error()));

  Scratch& x = *scratch_;
  offload::TxOob oob = tx->oob;
  auto run = [&] {
    offload::TxOutput out{std::span(x.segments).subspan(x.segments_used),
                          std::span(x.header_arena).subspan(x.arena_used)};
    return offload::ProcessTxPacket(s.tx_config, pkt.data(), oob, out, x.tx_stats);
  };
  offload::TxResult r = run();
  if (r.refusal == offload::TxRefusal::kOutputTooSmall && x.segments_used != 0) {
    // The batch's arena is full: send what is queued and retry with all of it. (The frames
    // queued so far are sent before this one's buffer could be reused.)
    FlushSends();
    oob = tx->oob;
    r = run();
  }
  if (!r.ok()) return counters_.Drop(DropIndex(r.refusal));
  switch (r.action) {
    case offload::TxAction::kLsoV2:
      counters_.tx_lso_super_frames.Add();
      counters_.tx_lso_segments.Add(r.segment_count);
      break;
    case offload::TxAction::kUso:
      counters_.tx_uso_super_frames.Add();
      counters_.tx_uso_segments.Add(r.segment_count);
      break;
    case offload::TxAction::kChecksum: counters_.tx_checksum_offloads.Add(); break;
    default: break;
  }
  io::SendBatch& batch = x.sends[p.ipv6 ? 1 : 0];
  const auto segments = std::span(x.segments).subspan(x.segments_used, r.segment_count);
  for (const offload::TxSegment& seg : segments) {
    // Raw sockets take the IP packet: skip the outer Ethernet header (14 bytes). AF_PACKET
    // takes the whole frame.
    std::array<iovec, 1 + offload::kTxMaxPayloadPieces> iov{};
    std::size_t pieces = 0;
    std::size_t skip = s.packet_underlay ? 0 : 14;
    auto add = [&](std::span<const std::uint8_t> b) {
      if (skip >= b.size()) {
        skip -= b.size();
        return;
      }
      b = b.subspan(skip);
      skip = 0;
      iov[pieces++] = {const_cast<std::uint8_t*>(b.data()), b.size()};
    };
    add(seg.headers);
    for (std::size_t i = 0; i < seg.payload_pieces; ++i) add(seg.payload[i]);
    const auto* addr = reinterpret_cast<const sockaddr*>(&p.address);
    if (!batch.Add(addr, p.length, std::span(iov).first(pieces))) {
      FlushSends();  // references stay valid: buffers are reused only after the batch
      batch.Add(addr, p.length, std::span(iov).first(pieces));
    }
  }
  x.segments_used += r.segment_count;
  if (r.segment_count != 0) {
    const offload::TxSegment& last = segments.back();
    if (!last.headers.empty()) {
      x.arena_used = static_cast<std::size_t>(last.headers.data() + last.headers.size() -
                                              x.header_arena.data());
    }
  }
}

void Worker::Flood(const DatapathState& s, std::size_t from_slot, const virt::PacketBuffer& pkt,
                   const virt::VnetHdr& hdr, const virt::VnetTxRequest& req) {
  const PortState& from = s.ports[from_slot];
  const virt::Policy::Subnet* subnet = s.policy->FindSubnet(from.vsid);
  if (subnet == nullptr) return counters_.Drop(DropIndex(DaemonDrop::kUnknownVsid));
  const std::span<const std::uint8_t> frame = pkt.data();
  virt::VnetHdr local = hdr;
  local.hdr_len = req.header_length;
  local.flags &= virt::kVnetFlagNeedsCsum;
  local.num_buffers = 0;
  for (std::uint16_t port : subnet->local_ports) {
    if (port != from_slot && WriteToPort(s, port, local, frame)) counters_.local_switched.Add();
  }
  Scratch& x = *scratch_;
  auto copy = [&]() -> virt::PacketBuffer* {
    if (x.flood_used == x.flood_buffers.size()) FlushSends();
    virt::PacketBuffer& c = x.flood_buffers[x.flood_used++];
    if (!c.Assign(frame)) {
      counters_.Drop(DropIndex(virt::EncapError::kBufferTooSmall));
      return nullptr;
    }
    counters_.tx_flood_copies.Add();
    return &c;
  };
  // RFC 7637 §4.5: the VSID's provider multicast group when it has one...
  if (subnet->multicast_group) {
    const auto g = std::find(s.groups.begin(), s.groups.end(), *subnet->multicast_group);
    if (g == s.groups.end()) return counters_.Drop(DropIndex(DaemonDrop::kNoUnderlayFamily));
    if (virt::PacketBuffer* c = copy()) {
      SendRemote(s, from, *c, req, *g, s.group_providers[static_cast<std::size_t>(g - s.groups.begin())]);
    }
    return;
  }
  // ... else head-end replication: one unicast copy per provider with records in this VSID.
  for (std::uint32_t provider : subnet->flood_providers) {
    if (virt::PacketBuffer* c = copy()) {
      SendRemote(s, from, *c, req, s.policy->providers()[provider], s.providers[provider]);
    }
  }
}

void Worker::FlushSends() {
  Scratch& x = *scratch_;
  for (std::size_t family = 0; family < 2; ++family) {
    io::SendBatch& batch = x.sends[family];
    if (batch.empty()) continue;
    const io::SendResult r = batch.Flush(senders_[family], /*wait_ms=*/20);
    counters_.tx_packets.Add(r.sent);
    counters_.tx_bytes.Add(r.bytes);
    if (r.failed != 0) counters_.Drop(DropIndex(DaemonDrop::kUnderlaySendFailed), r.failed);
    if (r.would_block != 0) counters_.Drop(DropIndex(DaemonDrop::kUnderlaySendBlocked), r.would_block);
  }
  x.segments_used = 0;
  x.arena_used = 0;
  x.flood_used = 0;
}

// ---- underlay -> VM -------------------------------------------------------------------------

void Worker::OnUnderlay(const DatapathState& s, Underlay kind) {
  Scratch& x = *scratch_;
  io::RecvBatch& rx = x.underlay;
  const bool ipv6 = kind == Underlay::kRaw6;
  const int fd = kind == Underlay::kPacket ? shared_.packet_rx[index_].get()
                 : ipv6                   ? shared_.rx6.get()
                                          : shared_.rx4.get();
  offload::RxResult result;
  for (std::size_t pass = 0; pass < kUnderlayPassesPerWake; ++pass) {
    const int n = kind == Underlay::kPacket ? rx.ReceiveFrames(fd) : rx.Receive(fd, ipv6);
    if (n <= 0) break;
    for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
      const io::RxMeta& m = rx.meta(i);
      counters_.rx_packets.Add();
      counters_.rx_bytes.Add(m.length);
      if (m.truncated) {
        counters_.Drop(DropIndex(DaemonDrop::kUnderlayTruncated));
        continue;
      }
      // RFC 7637 §4: a receiving NVE MAY discard fragmented NVGRE packets; we do (the kernel
      // reassembled this one).
      if (m.reassembled) {
        counters_.Drop(DropIndex(virt::DecapDrop::kOuterFragment));
        continue;
      }
      std::span<std::uint8_t> frame = rx.data(i);
      if (kind != Underlay::kPacket) {
        // Rebuild what the raw socket does not deliver, in the headroom: an outer Ethernet
        // header (addresses unknown: zero) and, for IPv6, the IPv6 header from the ancillary
        // data.
        const std::span<std::uint8_t> buffer = rx.buffer(i);
        std::size_t start = m.offset;
        wire::EthernetRepr eth;
        if (ipv6) {
          if (m.length > 0xFFFF) {
            counters_.Drop(DropIndex(DaemonDrop::kUnderlayTruncated));
            continue;
          }
          start -= wire::Ipv6Repr::kHeaderSize;
          wire::Ipv6Repr ip;
          ip.traffic_class = m.traffic_class;
          ip.payload_length = static_cast<std::uint16_t>(m.length);
          ip.next_header = static_cast<std::uint8_t>(io::kIpProtoGre);
          ip.hop_limit = m.hop_limit;
          ip.source = m.source;
          ip.destination = m.destination;
          ip.Emit(buffer.subspan(start, wire::Ipv6Repr::kHeaderSize));
          eth.ether_type = wire::kEtherTypeIpv6;
        } else {
          eth.ether_type = wire::kEtherTypeIpv4;
        }
        start -= 14;
        eth.Emit(buffer.subspan(start, 14));
        frame = buffer.subspan(start, m.offset - start + m.length);
      }

      offload::ProcessRxFrame(*s.adapter, frame, 0, result);
      // The outer IP packet cannot exceed the underlay MTU on the wire: a longer one is the
      // kernel's GRO at work (it validated the segments' checksums before merging them).
      const std::size_t outer_ip =
          result.layout.outer_l3.present() ? result.layout.outer_l3.end - result.layout.outer_l3.offset : 0;
      const wire::FrameLayout& l = result.layout;
      const bool located = l.inner_l3.present() && l.payload != wire::kNoHeader && l.payload > l.inner_l3.offset;
      const HandoffInfo info{result, outer_ip > s.underlay_mtu,
                             static_cast<std::uint16_t>(located ? l.payload - l.inner_l3.offset : 0)};
      // RSS on the inner flow picks the worker (its indirection table maps to workers). A merged
      // frame too large for a ring slot is delivered here.
      std::size_t owner = result.rss.computed() ? result.rss.queue % shared_.workers : index_;
      if (info.kernel_merged && frame.size() > shared_.ring_slot_bytes) owner = index_;
      if (owner == index_) {
        counters_.rss_handled.Add();
        Deliver(s, frame, info);
      } else if (shared_.rings[index_ * shared_.workers + owner]->Push(frame, info)) {
        counters_.rx_handoffs.Add();
        x.wake[owner] = true;
      } else {
        counters_.Drop(DropIndex(DaemonDrop::kHandoffFull));
      }
    }
    FlushCoalesced(s);
    for (std::size_t w = 0; w < shared_.workers; ++w) {
      if (!x.wake[w]) continue;
      x.wake[w] = false;
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t r = ::write(shared_.wake_fds[w], &one, sizeof one);
    }
    if (static_cast<std::size_t>(n) < rx.capacity()) break;
  }
}

void Worker::DrainHandoffs(const DatapathState& s) {
  for (std::size_t from = 0; from < shared_.workers; ++from) {
    HandoffRing* ring = shared_.rings[from * shared_.workers + index_].get();
    if (ring == nullptr) continue;
    ring->Drain(256, [&](std::span<std::uint8_t> frame, const HandoffInfo& info) {
      counters_.rss_handled.Add();
      Deliver(s, frame, info);
    });
    FlushCoalesced(s);  // the ring slots are reused once Drain returns
  }
}

void Worker::Deliver(const DatapathState& s, std::span<std::uint8_t> frame, const HandoffInfo& info) {
  Coalescer& c = *coalescer_;
  c.state = &s;
  c.current = &info;
  const std::uint64_t merged = c.rsc.merged_segments();
  c.rsc.Offer(*s.adapter, frame, info.rx, 0, c);
  if (c.rsc.holding() && c.rsc.merged_segments() == merged) {
    // The offered frame is now the held one (nothing was appended): remember what came with it.
    c.held_info = info;
    const wire::FrameLayout& l = info.rx.layout;
    c.held_payload = static_cast<std::uint32_t>(l.inner_l3.end - l.payload);
  }
}

void Worker::FlushCoalesced(const DatapathState& s) {
  coalescer_->state = &s;
  coalescer_->rsc.Flush(*coalescer_);
}

void Worker::Ingress(const DatapathState& s, std::span<std::uint8_t> frame,
                     const HandoffInfo& info, std::uint32_t gso_size) {
  // Reserved VSIDs (RFC 7637 §3.2) are never configured here: drop them by name.
  static constexpr virt::DecapConfig kDecap{.drop_reserved_vsid = true, .verify_outer_ipv4_checksum = true};
  const auto d = virt::Decapsulate(frame, kDecap);
  if (!d) return counters_.Drop(DropIndex(d.error()));
  if (!ForUs(s, d->outer_ip)) return counters_.Drop(DropIndex(DaemonDrop::kNotOurAddress));
  if (d->flow_id != 0) counters_.rx_flow_id_nonzero.Add();
  // The outer IPv4 header was verified by Decapsulate, so a failure here is the inner one.
  const offload::ChecksumRxInfo& checksum = info.rx.checksum;
  if (checksum.ip_checksum_failed()) return counters_.Drop(DropIndex(DaemonDrop::kBadInnerIpChecksum));
  if (!info.kernel_merged &&
      (checksum.tcp_checksum_failed() || checksum.udp_checksum_failed())) {
    return counters_.Drop(DropIndex(DaemonDrop::kBadInnerL4Checksum));
  }
  const virt::Policy::Subnet* subnet = s.policy->FindSubnet(d->vsid);
  if (subnet == nullptr) return counters_.Drop(DropIndex(DaemonDrop::kUnknownVsid));
  const std::span<const std::uint8_t> inner = d->inner_frame;
  const virt::VnetHdr hdr = s.rx_data_valid ? virt::VnetHdrForReceive(checksum) : virt::VnetHdr{};
  if (hdr.flags & virt::kVnetFlagDataValid) counters_.rx_data_valid.Add();
  const wire::MacAddress destination = MacAt(inner, 0);
  if (virt::IsMulticastMac(destination)) {
    // Broadcast / multicast inside the VSID: every local port of it (and never the underlay).
    for (std::uint16_t port : subnet->local_ports) {
      if (WriteToPort(s, port, hdr, inner)) counters_.rx_delivered.Add();
    }
    return;
  }
  // VMQ queue q carries port slot q - 1's filter (its MAC); the VSID is checked here, as the
  // Hyper-V switch does (VMQ filters cannot test it, spec §11.1).
  std::size_t slot = kMaxPorts;
  if (info.rx.vmq.queue != 0) {
    const std::size_t candidate = info.rx.vmq.queue - 1u;
    if (candidate < s.ports.size() && s.ports[candidate].active &&
        s.ports[candidate].vsid == d->vsid && s.ports[candidate].mac == destination) {
      slot = candidate;
    }
  }
  if (slot == kMaxPorts) {
    const virt::Policy::Destination dest = s.policy->Lookup(d->vsid, destination);
    if (dest.kind != virt::Policy::Kind::kLocal) {
      return counters_.Drop(DropIndex(DaemonDrop::kUnknownInnerMac));
    }
    slot = dest.port;
  }
  const PortState& port = s.ports[slot];
  if (gso_size == 0 && inner.size() > port.mtu + 14u) {
    // Larger than the VM's MTU and not coalesced by us: only a frame the kernel merged (GRO on
    // the underlay NIC) can be; it goes to the VM as GSO segments of what fits its MTU.
    if (!info.kernel_merged || info.inner_l3_l4_length == 0 || info.inner_l3_l4_length >= port.mtu) {
      return counters_.Drop(DropIndex(DaemonDrop::kExceedsVmMtu));
    }
    gso_size = port.mtu - info.inner_l3_l4_length;
    counters_.rx_kernel_merged.Add();
  }
  if (gso_size != 0) {
    // One GSO frame (NEEDS_CSUM: the merged TCP checksum is left for the VM's stack to finish,
    // or to trust, as a TSO frame's is).
    const auto gso = virt::PrepareCoalescedForTap(
        d->inner_frame, static_cast<std::uint16_t>(std::min<std::uint32_t>(gso_size, 0xFFFE)));
    if (!gso) return counters_.Drop(DropIndex(gso.error()));
    if (WriteToPort(s, slot, *gso, inner)) {
      counters_.rx_delivered.Add();
      counters_.rx_lso_super_frames.Add();
    }
    return;
  }
  if (WriteToPort(s, slot, hdr, inner)) counters_.rx_delivered.Add();
}

bool Worker::WriteToPort(const DatapathState& s, std::size_t slot, const virt::VnetHdr& hdr,
                         std::span<const std::uint8_t> frame) {
  if (slot >= s.ports.size() || !s.ports[slot].active) {
    counters_.Drop(DropIndex(DaemonDrop::kNoPort));
    return false;
  }
  std::array<std::uint8_t, virt::kVnetHdrSize> bytes{};
  virt::EmitVnetHdr(hdr, bytes);
  std::array<iovec, 2> iov{{{bytes.data(), bytes.size()},
                            {const_cast<std::uint8_t*>(frame.data()), frame.size()}}};
  if (::writev(s.ports[slot].queue_fds[index_], iov.data(), 2) < 0) {
    counters_.Drop(DropIndex(errno == EIO ? DaemonDrop::kVmLinkDown : DaemonDrop::kTapWriteFailed));
    return false;
  }
  PortCounters& pc = counters_.ports[slot];
  pc.tx_packets.Add();
  pc.tx_bytes.Add(frame.size());
  return true;
}

}  // namespace nvgre::daemon
