#include "daemon/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "daemon/control.h"
#include "daemon/log.h"
#include "nvgre/io/neighbor_resolver.h"
#include "nvgre/io/netlink.h"
#include "nvgre/io/packet_socket.h"

namespace nvgre::daemon {
namespace {

constexpr int kSocketBufferBytes = 8 << 20;

virt::VnetTxLimits LimitsFor(unsigned offloads) {
  virt::VnetTxLimits l;
  l.csum = (offloads & io::kTunFCsum) != 0;
  l.tso4 = (offloads & io::kTunFTso4) != 0;
  l.tso6 = (offloads & io::kTunFTso6) != 0;
  l.uso = (offloads & (io::kTunFUso4 | io::kTunFUso6)) != 0;
  l.max_segments = kMaxSegmentsPerSend;
  return l;
}

}  // namespace

std::variant<std::unique_ptr<Daemon>, std::string> Daemon::Create(const Config& config) {
  std::unique_ptr<Daemon> d(new Daemon());
  if (std::string error = d->Setup(config); !error.empty()) return error;
  return d;
}

std::string Daemon::Setup(const Config& config) {
  config_ = config;
  workers_ = config.daemon.workers != 0 ? config.daemon.workers
                                          : std::max(1u, std::thread::hardware_concurrency());
  if (config.ports.size() > kMaxPorts) return "more than " + std::to_string(kMaxPorts) + " ports";

  // The emulated NIC, brought up as NDIS does for NVGRE task offload (spec §8).
  offload::AdapterCapabilities caps = offload::AdapterCapabilities::Default();
  caps.vmq_queues = static_cast<std::uint16_t>(offload::VmqTable::kMaxFilters);
  adapter_ = std::make_unique<offload::Adapter>(caps);
  using offload::NdisStatus;
  if (const NdisStatus st = adapter_->SetOffloadEncapsulation(offload::OffloadEncapsulation::Ethernet());
      st != NdisStatus::kSuccess) {
    return std::string("OID_OFFLOAD_ENCAPSULATION: ") + std::string(offload::ToString(st));
  }
  offload::OffloadParameters on;
  on.encapsulated_packet_task_offload = offload::kNdisOffloadSetOn;
  on.encapsulation_types = offload::kNdisEncapsulationTypeGreMac;
  // Receive segment coalescing (RSC): segments of one flow go to the VM as one GSO frame.
  on.rsc_ipv4 = offload::kOffloadParametersEnabled;
  on.rsc_ipv6 = offload::kOffloadParametersEnabled;
  if (const NdisStatus st = adapter_->SetOffloadParameters(on); st != NdisStatus::kSuccess) {
    return std::string("OID_TCP_OFFLOAD_PARAMETERS: ") + std::string(offload::ToString(st));
  }
  offload::RssParameters rss;
  rss.SetIndirection(static_cast<std::uint16_t>(offload::kRssMaxIndirectionEntries),
                     static_cast<std::uint16_t>(std::min<std::size_t>(workers_, caps.rss_queues)));
  if (const NdisStatus st = adapter_->SetRssParameters(rss); st != NdisStatus::kSuccess) {
    return std::string("OID_GEN_RECEIVE_SCALE_PARAMETERS: ") + std::string(offload::ToString(st));
  }
  // VMQ: port slot i's MAC on queue i + 1, matched against the inner header (GRE flag, §5.2).
  for (std::size_t i = 0; i < config.ports.size() && i + 1 < caps.vmq_queues; ++i) {
    offload::ReceiveFilter f;
    f.filter_id = static_cast<std::uint32_t>(i + 1);
    f.queue_id = static_cast<std::uint16_t>(i + 1);
    f.flags = offload::kReceiveFilterPacketEncapsulationGre;
    (void)f.AddField(offload::ReceiveFilterField::MacEquals(config.ports[i].mac));
    if (const NdisStatus st = adapter_->SetReceiveFilter(f); st != NdisStatus::kSuccess) {
      NVGRED_LOG_WARN("port %s: VMQ filter refused (%s); the policy lookup steers it",
                      config.ports[i].tap.c_str(), std::string(offload::ToString(st)).c_str());
    }
  }

  // Underlay.
  // Handoff rings: about 8 MiB each, at least 512 frames, at most 4096 (13 ms at 300 kpps).
  const std::size_t slot_bytes = kUnderlayHeadroom + 14 + config.underlay.mtu;
  const std::size_t slots = std::clamp<std::size_t>((8u << 20) / slot_bytes, 512, 4096);
  shared_ = std::make_unique<DatapathShared>(workers_, slots, slot_bytes);
  // Subnets that flood through a provider multicast group (RFC 7637 §4.5): their receivers stay
  // unbound (a bound raw socket sees only its unicast address) and join the groups.
  std::vector<virt::IpAddress> groups;
  for (const SubnetEntry& s : config.subnets) {
    if (s.multicast_group &&
        std::find(groups.begin(), groups.end(), *s.multicast_group) == groups.end()) {
      groups.push_back(*s.multicast_group);
    }
  }
  if (std::string e = config.underlay.interface.empty() ? SetupRawUnderlay(config, groups)
                                                        : SetupPacketUnderlay(config, groups);
      !e.empty()) {
    return e;
  }

  // Ports: one TAP each, a queue per worker.
  for (const PortEntry& p : config.ports) {
    if (std::string e = OpenPort(p); !e.empty()) return e;
  }
  groups_ = groups;
  shared_->state.Publish(BuildState(nullptr));
  if (packet_ifindex_ != 0) RefreshNextHops(std::chrono::milliseconds(300));

  // Control socket.
  std::string error;
  control_fd_ = ListenControlSocket(config.control.socket, &error);
  if (control_fd_ < 0) return error;
  control_path_ = config.control.socket;

  // Workers. Signals are handled by the main thread only (signalfd in Run).
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&mask, sig);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  for (std::size_t w = 0; w < workers_; ++w) {
    // AF_PACKET: one packet socket per worker sends both families.
    const int v4 = senders_[w * 2].get();
    std::vector<int> fds{v4, packet_ifindex_ != 0 ? v4 : senders_[w * 2 + 1].get()};
    auto worker = std::make_unique<Worker>(w, *shared_, fds);
    const DatapathState* s = shared_->state.Read();
    for (std::size_t slot = 0; slot < s->ports.size(); ++slot) {
      worker->WatchPort(slot, s->ports[slot].queue_fds[w]);
    }
    worker_objects_.push_back(std::move(worker));
  }
  for (std::size_t w = 0; w < workers_; ++w) {
    threads_.emplace_back([this, w](std::stop_token stop) { worker_objects_[w]->Run(stop); });
  }
  NVGRED_LOG_INFO("up: %zu worker(s), %zu port(s), %zu subnet(s), %zu lookup record(s), underlay mtu %u",
                  workers_, config.ports.size(), config.subnets.size(), config.lookups.size(),
                  config.underlay.mtu);
  return "";
}

std::string Daemon::SetupRawUnderlay(const Config& config, const std::vector<virt::IpAddress>& groups) {
  auto has_group = [&](bool v6) {
    return std::any_of(groups.begin(), groups.end(), [&](const auto& g) { return virt::IsIpv6(g) == v6; });
  };
  // Subnets that flood through a provider multicast group (RFC 7637 §4.5): their receivers stay
  // unbound (a bound raw socket sees only its unicast address) and join the groups.
  if (config.underlay.ipv4) {
    auto r = io::OpenGreReceiverIpv4(*config.underlay.ipv4, kSocketBufferBytes, !has_group(false));
    if (auto* e = std::get_if<io::IoError>(&r)) return e->message;
    shared_->rx4 = std::move(std::get<io::Fd>(r));
  }
  if (config.underlay.ipv6) {
    auto r = io::OpenGreReceiverIpv6(*config.underlay.ipv6, kSocketBufferBytes, !has_group(true));
    if (auto* e = std::get_if<io::IoError>(&r)) return e->message;
    shared_->rx6 = std::move(std::get<io::Fd>(r));
  }
  if (std::string e = JoinGroups(config, groups, shared_->rx4.get(), shared_->rx6.get()); !e.empty()) {
    return e;
  }
  for (std::size_t w = 0; w < workers_; ++w) {
    for (int family : {AF_INET, AF_INET6}) {
      const bool wanted = family == AF_INET ? config.underlay.ipv4.has_value()
                                            : config.underlay.ipv6.has_value();
      if (!wanted) {
        senders_.emplace_back();
        continue;
      }
      auto r = io::OpenRawSender(family, kSocketBufferBytes);
      if (auto* e = std::get_if<io::IoError>(&r)) return e->message;
      io::Fd& fd = senders_.emplace_back(std::move(std::get<io::Fd>(r)));
      if (has_group(family == AF_INET6)) {
        const auto e = family == AF_INET ? io::SetMulticastSource(fd.get(), *config.underlay.ipv4)
                                         : io::SetMulticastSource(fd.get(), *config.underlay.ipv6);
        if (e) return e->message;
      }
    }
  }
  return "";
}

std::string Daemon::SetupPacketUnderlay(const Config& config, const std::vector<virt::IpAddress>& groups) {
  const std::string& name = config.underlay.interface;
  packet_ifindex_ = io::LinkIndex(name);
  if (packet_ifindex_ == 0) return "underlay interface " + name + ": no such interface";
  auto link = io::GetLink(packet_ifindex_);
  if (auto* e = std::get_if<io::IoError>(&link)) return "underlay interface " + name + ": " + e->message;
  packet_mac_ = std::get<io::LinkInfo>(link).mac;
  // The kernel's IP stack sees every GRE datagram too: a raw socket per family that keeps
  // nothing stops its ICMP protocol-unreachable answers, and its group memberships make the
  // kernel send the IGMP / MLD reports a snooping switch needs.
  for (int family : {AF_INET, AF_INET6}) {
    if (family == AF_INET ? !config.underlay.ipv4 : !config.underlay.ipv6) continue;
    auto r = io::OpenGreSink(family);
    if (auto* e = std::get_if<io::IoError>(&r)) return e->message;
    (family == AF_INET ? shared_->rx4 : shared_->rx6) = std::move(std::get<io::Fd>(r));
  }
  if (std::string e = JoinGroups(config, groups, shared_->rx4.get(), shared_->rx6.get()); !e.empty()) {
    return e;
  }
  io::PacketReceiverOptions o;
  o.ifindex = packet_ifindex_;
  if (config.underlay.ipv4) o.filter.local_ipv4.push_back(*config.underlay.ipv4);
  if (config.underlay.ipv6) o.filter.local_ipv6.push_back(*config.underlay.ipv6);
  for (const virt::IpAddress& g : groups) {
    if (const auto* v4 = std::get_if<wire::Ipv4Address>(&g)) {
      o.filter.groups_ipv4.push_back(*v4);
    } else {
      o.filter.groups_ipv6.push_back(std::get<wire::Ipv6Address>(g));
    }
  }
  o.receive_buffer = kSocketBufferBytes;
  // One receiver per worker in one fanout group: the kernel's flow hash follows GRE into the
  // inner flow, so each flow is read by one worker (RSS then picks the delivering one).
  if (workers_ > 1) o.fanout_group = static_cast<std::uint16_t>(::getpid() & 0xFFFF);
  for (std::size_t w = 0; w < workers_; ++w) {
    auto r = io::OpenPacketReceiver(o);
    if (auto* e = std::get_if<io::IoError>(&r)) return "underlay interface " + name + ": " + e->message;
    shared_->packet_rx.push_back(std::move(std::get<io::Fd>(r)));
    auto t = io::OpenPacketSender(packet_ifindex_, kSocketBufferBytes);
    if (auto* e = std::get_if<io::IoError>(&t)) return "underlay interface " + name + ": " + e->message;
    senders_.push_back(std::move(std::get<io::Fd>(t)));
    senders_.emplace_back();  // the same socket serves both families (see Setup)
  }
  NVGRED_LOG_INFO("underlay: AF_PACKET on %s (ifindex %d, %s), %zu receiver(s) in a fanout group",
                  name.c_str(), packet_ifindex_, wire::FormatMac(packet_mac_).c_str(), workers_);
  return "";
}

std::string Daemon::JoinGroups(const Config& config, const std::vector<virt::IpAddress>& groups,
                               int fd4, int fd6) {
  for (const virt::IpAddress& g : groups) {
    std::optional<io::IoError> e;
    if (const auto* v4 = std::get_if<wire::Ipv4Address>(&g)) {
      e = io::JoinGroup(fd4, *v4, *config.underlay.ipv4);
    } else {
      e = io::JoinGroup(fd6, std::get<wire::Ipv6Address>(g), *config.underlay.ipv6);
    }
    if (e) return "multicast group " + virt::FormatIpAddress(g) + ": " + e->message;
  }
  return "";
}

Provider Daemon::PacketProvider(const virt::IpAddress& a, bool group) const {
  Provider p;
  const sockaddr_ll ll = io::PacketDestination(packet_ifindex_);
  std::memcpy(&p.address, &ll, sizeof ll);
  p.length = sizeof ll;
  p.ipv6 = virt::IsIpv6(a);
  p.resolved = group;  // a group's MAC follows from its address (RFC 1112 §6.4, RFC 2464 §7)
  if (group) {
    p.next_hop_mac = p.ipv6 ? io::MulticastMac(std::get<wire::Ipv6Address>(a))
                            : io::MulticastMac(std::get<wire::Ipv4Address>(a));
  }
  return p;
}

bool Daemon::RefreshNextHops(std::chrono::milliseconds wait) {
  const DatapathState* current = shared_->state.Read();
  auto next = std::make_unique<DatapathState>(*current);
  bool changed = false;
  bool pending = false;
  io::ResolveOptions options;
  options.wait = wait;
  for (std::size_t i = 0; i < next->providers.size(); ++i) {
    const virt::IpAddress& address = next->policy->providers()[i];
    const io::NextHop h = io::ResolveNextHop(address, packet_ifindex_, options);
    Provider& p = next->providers[i];
    const bool resolved = h.state == io::NextHopState::kResolved;
    pending |= !resolved;
    if (resolved != p.resolved || (resolved && h.mac != p.next_hop_mac)) {
      changed = true;
      p.resolved = resolved;
      if (resolved) p.next_hop_mac = h.mac;
      NVGRED_LOG_INFO("provider %s: next hop %s (%s)", virt::FormatIpAddress(address).c_str(),
                      resolved ? wire::FormatMac(h.mac).c_str() : std::string(io::ToString(h.state)).c_str(),
                      h.reason.c_str());
    }
  }
  if (changed) PublishState(std::move(next));
  return pending;
}

std::string Daemon::OpenPort(const PortEntry& p) {
  io::TapOptions o;
  o.name = p.tap;
  o.queues = static_cast<unsigned>(workers_);
  o.mac = p.mac;
  o.mtu = config_.PortMtu(p);
  o.netns = p.netns;
  auto r = io::Tap::Open(o);
  if (auto* e = std::get_if<io::IoError>(&r)) return "port " + p.tap + ": " + e->message;
  // The slot: the first free one (a removed port's slot is reused), so slots stay stable.
  std::size_t slot = 0;
  while (slot < ports_.size() && ports_[slot].active) ++slot;
  if (slot == kMaxPorts) return "port " + p.tap + ": more than " + std::to_string(kMaxPorts) + " ports";
  if (slot == ports_.size()) ports_.emplace_back();
  Port& port = ports_[slot];
  port.entry = p;
  port.tap = std::move(std::get<io::Tap>(r));
  port.active = true;
  NVGRED_LOG_INFO("port %s: vsid %u mac %s mtu %u%s%s, %u queue(s), offloads 0x%x", p.tap.c_str(),
                  p.vsid, wire::FormatMac(p.mac).c_str(), o.mtu, p.netns.empty() ? "" : " netns ",
                  p.netns.c_str(), port.tap.queues(), port.tap.offloads());
  return "";
}

std::unique_ptr<DatapathState> Daemon::BuildState(const DatapathState* previous) const {
  auto state = std::make_unique<DatapathState>();
  const Config& config = config_;
  for (const Port& port : ports_) {
    PortState ps;
    ps.active = port.active;
    if (port.active) {
      const PortEntry& p = port.entry;
      ps.tap = p.tap;
      ps.vsid = p.vsid;
      ps.mac = p.mac;
      ps.mtu = config.PortMtu(p);
      for (unsigned q = 0; q < port.tap.queues(); ++q) ps.queue_fds.push_back(port.tap.queue_fd(q));
      ps.limits = LimitsFor(port.tap.offloads());
    }
    state->ports.push_back(std::move(ps));
  }
  // Policy: subnets, local ports, file records, then records from other sources.
  virt::PolicyBuilder b;
  for (const SubnetEntry& s : config.subnets) {
    b.AddSubnet({.vsid = s.vsid, .multicast_group = s.multicast_group});
  }
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (!ports_[i].active) continue;
    const PortEntry& p = ports_[i].entry;
    b.AddPort({.port = static_cast<std::uint16_t>(i), .vsid = p.vsid, .mac = p.mac, .ips = p.ips});
  }
  for (const LookupEntry& l : config.lookups) {
    b.AddRecord({.vsid = l.vsid, .mac = l.mac, .ips = l.ips, .provider = l.provider,
                 .source = virt::RecordSource::kFile});
  }
  for (const virt::RecordSpec& r : extra_records_) b.AddRecord(r);
  state->policy = std::move(b).Build();
  for (const virt::IpAddress& a : state->policy->providers()) {
    Provider p = packet_ifindex_ != 0 ? PacketProvider(a, false) : MakeProvider(a);
    // Keep what the control thread already resolved for this address.
    if (previous != nullptr && packet_ifindex_ != 0) {
      const auto& old = previous->policy->providers();
      const auto it = std::find(old.begin(), old.end(), a);
      if (it != old.end()) p = previous->providers[static_cast<std::size_t>(it - old.begin())];
    }
    state->providers.push_back(p);
  }
  for (const virt::IpAddress& g : groups_) {
    state->group_providers.push_back(packet_ifindex_ != 0 ? PacketProvider(g, true) : MakeProvider(g));
  }
  state->groups = groups_;
  state->packet_underlay = packet_ifindex_ != 0;
  state->underlay_ifindex = packet_ifindex_;
  state->underlay_mac = packet_mac_;
  state->adapter = adapter_->Snapshot();
  state->tx_config = state->adapter->TxConfig();
  state->underlay_ipv4 = config.underlay.ipv4;
  state->underlay_ipv6 = config.underlay.ipv6;
  state->underlay_mtu = config.underlay.mtu;
  state->ttl = config.underlay.ttl;
  state->flow_id = config.underlay.flow_id_mode == FlowIdMode::kAuto ? virt::kFlowIdFromHash
                                                                     : config.underlay.flow_id;
  return state;
}

void Daemon::PublishState(std::unique_ptr<DatapathState> next) {
  std::unique_ptr<const DatapathState> old = shared_->state.Publish(std::move(next));
  shared_->qsbr.Synchronize();  // no worker still reads `old`; it goes now
}

Daemon::~Daemon() {
  StopWorkers();
  ports_.clear();  // TAPs nvgred created go with their last queue
  if (control_fd_ >= 0) {
    ::close(control_fd_);
    ::unlink(control_path_.c_str());
  }
}

void Daemon::StopWorkers() {
  for (auto& t : threads_) t.request_stop();
  if (shared_) {
    for (int fd : shared_->wake_fds) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t r = ::write(fd, &one, sizeof one);
    }
  }
  threads_.clear();  // joins
}

int Daemon::Run() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&mask, sig);
  const int sfd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  std::array<pollfd, 2> fds{{{sfd, POLLIN, 0}, {control_fd_, POLLIN, 0}}};
  auto next_refresh = std::chrono::steady_clock::now();
  bool pending = true;
  for (;;) {
    const int n = ::poll(fds.data(), fds.size(), 1000);
    if (n < 0 && errno != EINTR) break;
    // AF_PACKET: next hops again every second while one is unresolved, else every 10 s (the
    // kernel's entries age; a provider's MAC may change).
    if (packet_ifindex_ != 0 && std::chrono::steady_clock::now() >= next_refresh) {
      pending = RefreshNextHops(std::chrono::milliseconds(0));
      next_refresh = std::chrono::steady_clock::now() + std::chrono::seconds(pending ? 1 : 10);
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if (si.ssi_signo == SIGHUP) {
          NVGRED_LOG_INFO("SIGHUP: reload is not implemented yet; configuration unchanged");
        } else {
          NVGRED_LOG_INFO("%s: shutting down", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
          break;
        }
      }
    }
    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int client = ::accept4(control_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) break;
        ServeControlClient(client, [this](const nlohmann::json& r) { return HandleRequest(r); });
      }
    }
  }
  ::close(sfd);
  StopWorkers();
  return 0;
}

nlohmann::json Daemon::HandleRequest(const nlohmann::json& request) {
  const std::string command = request.value("command", std::string());
  if (command == "stats") return {{"ok", true}, {"result", Stats()}};
  if (command == "version") return {{"ok", true}, {"result", {{"version", NVGRE_VERSION}}}};
  return {{"ok", false}, {"error", "unknown command '" + command + "' (commands: stats, version)"}};
}

nlohmann::json Daemon::Stats() const {
  std::vector<const WorkerCounters*> counters;
  for (const auto& c : shared_->counters) counters.push_back(c.get());
  const CounterTotals t = CounterTotals::Sum(counters);
  nlohmann::json j;
  j["workers"] = workers_;
  j["uptime_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  nlohmann::json ports = nlohmann::json::array();
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (!ports_[i].active) continue;
    const PortEntry& p = ports_[i].entry;
    ports.push_back({{"tap", p.tap},
                     {"vsid", p.vsid},
                     {"mac", wire::FormatMac(p.mac)},
                     {"rx_packets", t.ports[i].rx_packets},
                     {"rx_bytes", t.ports[i].rx_bytes},
                     {"tx_packets", t.ports[i].tx_packets},
                     {"tx_bytes", t.ports[i].tx_bytes}});
  }
  j["ports"] = ports;
  j["tx"] = {{"packets", t.tx_packets},
             {"bytes", t.tx_bytes},
             {"lso_super_frames", t.tx_lso_super_frames},
             {"lso_segments", t.tx_lso_segments},
             {"uso_super_frames", t.tx_uso_super_frames},
             {"uso_segments", t.tx_uso_segments},
             {"checksum_offloads", t.tx_checksum_offloads},
             {"flood_copies", t.tx_flood_copies},
             {"coalesced", 0}};
  j["rx"] = {{"packets", t.rx_packets},
             {"bytes", t.rx_bytes},
             {"delivered", t.rx_delivered},
             {"data_valid", t.rx_data_valid},
             {"lso_super_frames", t.rx_lso_super_frames},
             {"lso_segments", t.rx_coalesced},
             {"coalesced", t.rx_coalesced},
             {"kernel_merged", t.rx_kernel_merged},
             {"flow_id_nonzero", t.rx_flow_id_nonzero},
             {"handoffs", t.rx_handoffs}};
  j["other"] = {{"local_switched", t.local_switched},
                {"neighbor_answered", t.neighbor_answered},
                {"icmp_too_big_sent", t.icmp_too_big_sent}};
  nlohmann::json drops = nlohmann::json::object();
  for (std::size_t i = 0; i < kDropCount; ++i) drops[DropName(i)] = t.drops[i];
  j["drops"] = drops;
  j["rss_queues"] = t.rss_queues;
  return j;
}

}  // namespace nvgre::daemon
