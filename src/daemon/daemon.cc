#include "daemon/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli/offload_json.h"
#include "daemon/control.h"
#include "daemon/log.h"
#include "daemon/offload_control.h"
#include "daemon/reload.h"
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

// One line for the log: what CURRENT_CONFIG says is on.
std::string OffloadSummary(const offload::NdisOffload& o) {
  auto v4 = [](const offload::ChecksumOffloadIpv4& c) {
    std::string s = std::string(c.ip_checksum ? "ip," : "") + (c.tcp_checksum ? "tcp," : "") +
                    (c.udp_checksum ? "udp," : "");
    return s.empty() ? std::string("off") : s.substr(0, s.size() - 1);
  };
  auto v6 = [](const offload::ChecksumOffloadIpv6& c) {
    std::string s = std::string(c.tcp_checksum ? "tcp," : "") + (c.udp_checksum ? "udp," : "");
    return s.empty() ? std::string("off") : s.substr(0, s.size() - 1);
  };
  auto on = [](bool b) { return b ? "on" : "off"; };
  return std::string("NVGRE task offload ") +
         ((o.encapsulation_types & offload::kNdisEncapsulationTypeGreMac) != 0 ? "on (GRE_MAC)" : "off") +
         "; Tx checksum IPv4 " + v4(o.ipv4_transmit) + ", IPv6 " + v6(o.ipv6_transmit) +
         "; Rx checksum IPv4 " + v4(o.ipv4_receive) + ", IPv6 " + v6(o.ipv6_receive) + "; LSOv2 IPv4 " +
         on(o.lso_v2_ipv4.encapsulation != 0) + ", IPv6 " + on(o.lso_v2_ipv6.encapsulation != 0) +
         "; USO IPv4 " + on(o.uso_ipv4.encapsulation != 0) + ", IPv6 " + on(o.uso_ipv6.encapsulation != 0) +
         "; RSC IPv4 " + on(o.rsc_ipv4) + ", IPv6 " + on(o.rsc_ipv6);
}

std::string Indented(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out += "  " + text.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::string Hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

nlohmann::json Error(const std::string& message) { return {{"ok", false}, {"error", message}}; }

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
  // Spec §8.3: every successful OID_TCP_OFFLOAD_PARAMETERS ends with a CURRENT_CONFIG indication.
  adapter_->SetStatusCallback([](const offload::StatusIndication& s) {
    NVGRED_LOG_INFO("%s (0x%08x): %s", std::string(offload::ToString(s.code)).c_str(),
                    static_cast<unsigned>(s.code), OffloadSummary(s.offload).c_str());
  });
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

  // Control socket, then privileges: from here on CAP_NET_ADMIN only (privileges.h), dropped
  // while this is the only thread.
  std::optional<Account> account;
  if (!config.daemon.user.empty()) {
    auto r = ResolveUser(config.daemon.user);
    if (auto* e = std::get_if<std::string>(&r)) return *e;
    account = std::get<Account>(r);
  }
  int group = -1;
  if (!config.control.group.empty()) {
    auto r = ResolveGroup(config.control.group);
    if (auto* e = std::get_if<std::string>(&r)) return *e;
    group = static_cast<int>(std::get<gid_t>(r));
  }
  std::string error;
  control_fd_ = ListenControlSocket(config.control.socket, group,
                                    account ? static_cast<int>(account->uid) : -1, &error);
  if (control_fd_ < 0) return error;
  control_path_ = config.control.socket;
  if (config.metrics.listen) {
    if (std::string e = metrics_.Bind(*config.metrics.listen); !e.empty()) return e;
  }
  if (std::string e = DropPrivileges(account ? &*account : nullptr); !e.empty()) return e;
  NVGRED_LOG_INFO("privileges: %s", DescribePrivileges().c_str());

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
  // [policy] ovsdb: the client runs on its own thread; its updates come through an eventfd. Before
  // the metrics endpoint, whose threads read its counters (Snapshot).
  if (!config.policy.ovsdb.empty()) {
    ovsdb::ClientOptions o;
    for (const std::string& text : config.policy.ovsdb) {
      std::string why;
      auto r = ovsdb::Remote::Parse(text, &why);
      if (!r) return "policy.ovsdb " + text + ": " + why;  // checked by the configuration already
      o.remotes.push_back(std::move(*r));
    }
    o.database = config.policy.database;
    o.inactivity_probe = std::chrono::milliseconds(config.policy.inactivity_probe_ms);
    o.max_backoff = std::chrono::milliseconds(config.policy.max_backoff_ms);
    o.max_message_bytes = static_cast<std::size_t>(config.policy.max_message_bytes);
    ovsdb_notify_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ovsdb_notify_fd_ < 0) return std::string("eventfd: ") + std::strerror(errno);
    ovsdb_ = std::make_unique<ovsdb::Client>(std::move(o), OvsdbView(), ovsdb_notify_fd_);
    ovsdb_->Start();
    NVGRED_LOG_INFO("ovsdb: database %s on %zu remote(s), switch %s%s", config.policy.database.c_str(),
                    config.policy.ovsdb.size(), OvsdbView().switch_name.c_str(),
                    config.policy.publish ? "" : " (not publishing)");
  }
  drop_log_ = std::make_unique<DropLog>(kDropCount, std::chrono::seconds(config.daemon.drop_log_interval));
  PublishPortLabels();
  if (config.metrics.listen) {
    metrics_.Start([this] { return PrometheusText(Snapshot()); });
    const std::string a = virt::FormatIpAddress(config.metrics.listen->address);
    NVGRED_LOG_INFO("metrics: http://%s:%u/metrics",
                    (virt::IsIpv6(config.metrics.listen->address) ? "[" + a + "]" : a).c_str(),
                    config.metrics.listen->port);
  }
  NVGRED_LOG_INFO("up: %s", StatusLine().c_str());
  return "";
}

ovsdb::LocalView Daemon::OvsdbView() const {
  ovsdb::LocalView v;
  v.switch_name = config_.policy.switch_name;
  if (v.switch_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) v.switch_name = host;
  }
  v.publish = config_.policy.publish;
  if (config_.underlay.ipv4) v.addresses.push_back(*config_.underlay.ipv4);
  if (config_.underlay.ipv6) v.addresses.push_back(*config_.underlay.ipv6);
  for (const Port& port : ports_) {
    if (!port.active) continue;
    v.ports.push_back({.tap = port.entry.tap, .mac = port.entry.mac, .ips = port.entry.ips, .vsid = port.entry.vsid});
  }
  return v;
}

std::uint32_t Daemon::PortVsid(const PortEntry& p) const {
  if (p.vsid != 0) return p.vsid;
  const auto it = port_bindings_.find(p.tap);
  return it == port_bindings_.end() ? 0 : it->second;
}

void Daemon::OnOvsdbUpdate() {
  std::uint64_t v;
  [[maybe_unused]] const ssize_t r = ::read(ovsdb_notify_fd_, &v, sizeof v);
  std::optional<ovsdb::ClientUpdate> u = ovsdb_->Take();
  if (!u) return;
  for (const Port& port : ports_) {
    if (!port.active || port.entry.vsid != 0) continue;  // the file's VSID wins
    const auto now_it = u->bindings.find(port.entry.tap);
    const std::uint32_t before = PortVsid(port.entry);
    const std::uint32_t after = now_it == u->bindings.end() ? 0 : now_it->second;
    if (before != after) {
      NVGRED_LOG_INFO("port %s: vsid %u (bound by the OVSDB; was %u)", port.entry.tap.c_str(), after, before);
    }
  }
  const bool rebound = u->bindings != port_bindings_;
  ovsdb_layer_ = std::move(u->layer);
  port_bindings_ = std::move(u->bindings);
  PublishState(BuildState(shared_->state.Read()));
  if (rebound) PublishPortLabels();
  // In force: no worker can still see the previous state (PublishState waited for that).
  const auto now = std::chrono::steady_clock::now();
  NVGRED_LOG_DEBUG("ovsdb: update %llu in force: %zu row(s), %zu record(s), %.3f ms after it arrived "
                   "(monotonic %lld ns)",
                   static_cast<unsigned long long>(u->sequence), u->rows, ovsdb_layer_->records(),
                   std::chrono::duration<double, std::milli>(now - u->received).count(),
                   static_cast<long long>(
                       std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count()));
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

std::string Daemon::OpenPort(const PortEntry& p, std::size_t* slot_out) {
  // The slot: the first free one (a removed port's slot is reused), so slots stay stable.
  std::size_t slot = 0;
  while (slot < ports_.size() && ports_[slot].active) ++slot;
  if (slot == kMaxPorts) return "port " + p.tap + ": more than " + std::to_string(kMaxPorts) + " ports";
  io::TapOptions o;
  o.name = p.tap;
  o.queues = static_cast<unsigned>(workers_);
  o.mac = p.mac;
  o.mtu = config_.PortMtu(p);
  o.netns = p.netns;
  o.offloads = TapOffloadsFor(*adapter_->Snapshot());  // what the Tx engine will do for the VM
  auto r = io::Tap::Open(o);
  if (auto* e = std::get_if<io::IoError>(&r)) return "port " + p.tap + ": " + e->message;
  if (slot == ports_.size()) ports_.emplace_back();
  Port& port = ports_[slot];
  port.entry = p;
  port.tap = std::move(std::get<io::Tap>(r));
  port.active = true;
  // A reused slot starts from zero (no worker touches an inactive slot's counters).
  for (const auto& c : shared_->counters) {
    PortCounters& pc = c->ports[slot];
    pc.rx_packets.Set(0);
    pc.rx_bytes.Set(0);
    pc.tx_packets.Set(0);
    pc.tx_bytes.Set(0);
  }
  SetPortFilter(slot);
  NVGRED_LOG_INFO("port %s: slot %zu, vsid %u mac %s mtu %u%s%s, %u queue(s), offloads %s", p.tap.c_str(),
                  slot, p.vsid, wire::FormatMac(p.mac).c_str(), o.mtu, p.netns.empty() ? "" : " netns ",
                  p.netns.c_str(), port.tap.queues(), TapOffloadNames(port.tap.offloads()).c_str());
  if (slot_out != nullptr) *slot_out = slot;
  return "";
}

void Daemon::SetPortFilter(std::size_t slot) {
  // VMQ: port slot i's MAC on queue i + 1, matched against the inner header (GRE flag, §5.2).
  if (slot + 1 >= adapter_->capabilities().vmq_queues) return;  // the policy lookup steers it
  const auto id = static_cast<std::uint32_t>(slot + 1);
  (void)adapter_->ClearReceiveFilter(id);  // a reused slot's old filter (absent: refused, fine)
  offload::ReceiveFilter f;
  f.filter_id = id;
  f.queue_id = static_cast<std::uint16_t>(slot + 1);
  f.flags = offload::kReceiveFilterPacketEncapsulationGre;
  (void)f.AddField(offload::ReceiveFilterField::MacEquals(ports_[slot].entry.mac));
  if (const offload::NdisStatus st = adapter_->SetReceiveFilter(f); st != offload::NdisStatus::kSuccess) {
    NVGRED_LOG_WARN("port %s: VMQ filter refused (%s); the policy lookup steers it",
                    ports_[slot].entry.tap.c_str(), std::string(offload::ToString(st)).c_str());
  }
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
      ps.vsid = PortVsid(p);  // 0: unbound (frames from it are dropped as port-unbound)
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
    const std::uint32_t vsid = PortVsid(p);
    if (vsid == 0) continue;
    b.AddPort({.port = static_cast<std::uint16_t>(i), .vsid = vsid, .mac = p.mac, .ips = p.ips});
  }
  for (const LookupEntry& l : config.lookups) {
    b.AddRecord({.vsid = l.vsid, .mac = l.mac, .ips = l.ips, .provider = l.provider,
                 .source = virt::RecordSource::kFile});
  }
  b.SetLayer(ovsdb_layer_);  // OVSDB records: after local ports and file records (policy.h)
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
  metrics_.Stop();  // its threads read the counters
  ovsdb_.reset();  // its thread first: it only talks to us
  if (ovsdb_notify_fd_ >= 0) ::close(ovsdb_notify_fd_);
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
  std::array<pollfd, 3> fds{{{sfd, POLLIN, 0}, {control_fd_, POLLIN, 0}, {ovsdb_notify_fd_, POLLIN, 0}}};
  auto next_refresh = std::chrono::steady_clock::now();
  bool pending = true;
  // Every port is up and the workers run: the service manager may order what depends on us.
  notifier_.Ready(StatusLine());
  watchdog_heartbeats_.assign(workers_, 0);
  progress_at_.assign(workers_, std::chrono::steady_clock::now());
  std::chrono::milliseconds tick(1000);
  if (const auto w = notifier_.watchdog_interval()) {
    tick = std::min(tick, std::max(std::chrono::milliseconds(10),
                                   std::chrono::duration_cast<std::chrono::milliseconds>(*w)));
    NVGRED_LOG_INFO("watchdog: WATCHDOG=1 every %lld ms while every worker makes progress",
                    static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(*w).count()));
  }
  for (;;) {
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(tick.count()));
    if (n < 0 && errno != EINTR) break;
    // AF_PACKET: next hops again every second while one is unresolved, else every 10 s (the
    // kernel's entries age; a provider's MAC may change).
    if (packet_ifindex_ != 0 && std::chrono::steady_clock::now() >= next_refresh) {
      pending = RefreshNextHops(std::chrono::milliseconds(0));
      next_refresh = std::chrono::steady_clock::now() + std::chrono::seconds(pending ? 1 : 10);
    }
    Tick();
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      if (::read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if (si.ssi_signo == SIGHUP) {
          NVGRED_LOG_INFO("SIGHUP: reloading %s", config_.file.c_str());
          (void)Reload();
        } else {
          NVGRED_LOG_INFO("%s: shutting down", si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
          break;
        }
      }
    }
    if (ovsdb_ && (fds[2].revents & POLLIN)) OnOvsdbUpdate();
    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int client = ::accept4(control_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) break;
        ServeControlClient(client, [this](const nlohmann::json& r) { return HandleRequest(r); });
      }
    }
  }
  notifier_.Stopping();
  ::close(sfd);
  StopWorkers();
  return 0;
}

void Daemon::Tick() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<const WorkerCounters*> counters;
  for (const auto& c : shared_->counters) counters.push_back(c.get());
  if (now >= next_drop_log_) {
    next_drop_log_ = now + std::chrono::seconds(1);
    const CounterTotals t = CounterTotals::Sum(counters);
    for (const DropLog::Line& l : drop_log_->Update(t.drops, now)) {
      NVGRED_LOG_WARN("dropped %llu frame(s) in %.1f s: %s (%s)", static_cast<unsigned long long>(l.count),
                      l.seconds, DropName(l.reason).c_str(), std::string(DropHelp(l.reason)).c_str());
    }
  }
  // Liveness: each worker bumps its heartbeat whenever it wakes, at least every 200 ms.
  for (std::size_t w = 0; w < counters.size(); ++w) {
    const std::uint64_t h = counters[w]->heartbeat.Get();
    if (h != watchdog_heartbeats_[w]) {
      watchdog_heartbeats_[w] = h;
      progress_at_[w] = now;
    }
  }
  if (const auto interval = notifier_.watchdog_interval(); interval && now >= next_watchdog_) {
    next_watchdog_ = now + *interval;
    // WATCHDOG=1 only from a live datapath: every worker woke up within the last second (or
    // the watchdog interval, if longer).
    const auto limit = std::max<std::chrono::steady_clock::duration>(*interval, std::chrono::seconds(1));
    bool alive = true;
    for (std::size_t w = 0; w < counters.size(); ++w) {
      if (now - progress_at_[w] <= limit) continue;
      alive = false;
      NVGRED_LOG_ERROR("watchdog: worker %zu made no progress for %.1f s; WATCHDOG=1 withheld", w,
                       std::chrono::duration<double>(now - progress_at_[w]).count());
    }
    if (alive) notifier_.Watchdog();
  }
  if (now >= next_status_) {
    next_status_ = now + std::chrono::seconds(10);
    notifier_.Status(StatusLine());
  }
}

std::string Daemon::StatusLine() const {
  std::size_t ports = 0;
  for (const Port& p : ports_) ports += p.active ? 1 : 0;
  std::vector<const WorkerCounters*> counters;
  for (const auto& c : shared_->counters) counters.push_back(c.get());
  const CounterTotals t = CounterTotals::Sum(counters);
  std::uint64_t dropped = 0;
  for (const std::uint64_t d : t.drops) dropped += d;
  return std::to_string(workers_) + " worker(s), " + std::to_string(ports) + " port(s), " +
         std::to_string(config_.subnets.size()) + " subnet(s), " +
         std::to_string(config_.lookups.size()) + " lookup record(s) from the file" +
         (ovsdb_ ? ", " + std::to_string(ovsdb_layer_ ? ovsdb_layer_->records() : 0) + " from the ovsdb (" +
                       (ovsdb_->Counters().connected ? "connected" : "disconnected") + ")"
                 : std::string()) +
         ", underlay mtu " +
         std::to_string(config_.underlay.mtu) + "; " + std::to_string(t.rx_packets) + " datagrams in, " +
         std::to_string(t.tx_packets) + " out, " + std::to_string(dropped) + " frames dropped";
}

nlohmann::json Daemon::HandleRequest(const nlohmann::json& request) {
  auto parsed = ParseControlRequest(request);
  if (auto* e = std::get_if<std::string>(&parsed)) return Error(*e);
  const std::string command = std::move(std::get<ControlRequest>(parsed).command);
  const std::vector<std::string> args = std::move(std::get<ControlRequest>(parsed).args);
  auto ok = [](nlohmann::json result) { return nlohmann::json{{"ok", true}, {"result", std::move(result)}}; };
  static constexpr std::array<std::string_view, 6> kPlain{"stats",   "ports",   "lookup",
                                                          "subnets", "version", "reload"};
  if (std::find(kPlain.begin(), kPlain.end(), command) != kPlain.end() && !args.empty()) {
    return Error(command + " takes no arguments, got '" + args.front().substr(0, 64) + "'");
  }
  if (command == "stats") return ok(Stats());
  if (command == "ports") return ok(Ports());
  if (command == "lookup") return ok(Lookup());
  if (command == "subnets") return ok(Subnets());
  if (command == "version") return ok({{"version", NVGRE_VERSION}});
  if (command == "reload") return Reload();
  if (command == "offload") {
    if (args.empty()) {
      nlohmann::json reply = ok(Offload());
      const auto config = adapter_->Snapshot();
      std::string text = std::string("NVGRE task offload: ") +
                         (config->encapsulated_offload_active() ? "active (GRE_MAC)" : "inactive") + "\n";
      text += "Hardware capabilities (OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES):\n" +
              Indented(adapter_->HardwareCapabilities().ToString());
      text += "Current configuration (OID_TCP_OFFLOAD_CURRENT_CONFIG):\n" +
              Indented(config->current.ToString());
      text += "Keywords (as the adapter would persist them):\n";
      const offload::Keywords kw = adapter_->keywords();
      for (std::size_t i = 0; i < offload::kKeywordCount; ++i) {
        const auto k = static_cast<offload::Keyword>(i);
        text += "  " + std::string(offload::SpecOf(k).name) + "=" + std::to_string(kw.Get(k)) + "\n";
      }
      text += "VM side (TUNSETOFFLOAD on every TAP): " + TapOffloadNames(TapOffloadsFor(*config)) + "\n";
      reply["text"] = text;
      return reply;
    }
    if (args.front() == "set") return OffloadSet(std::vector<std::string>(args.begin() + 1, args.end()));
    return Error("offload: unknown subcommand '" + args.front().substr(0, 64) +
                 "' (offload, offload set KEY=VALUE...)");
  }
  return Error("unknown command '" + command.substr(0, 64) +
               "' (commands: stats, ports, lookup, subnets, offload, offload set, version, reload)");
}

nlohmann::json Daemon::Ports() const {
  nlohmann::json ports = nlohmann::json::array();
  const auto config = adapter_->Snapshot();
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (!ports_[i].active) continue;
    const PortEntry& p = ports_[i].entry;
    nlohmann::json ips = nlohmann::json::array();
    for (const auto& a : p.ips) ips.push_back(virt::FormatIpAddress(a));
    nlohmann::json offloads = nlohmann::json::array();
    const std::string names = TapOffloadNames(ports_[i].tap.offloads());
    for (std::size_t at = 0; names != "none" && at < names.size();) {
      const std::size_t comma = names.find(',', at);
      offloads.push_back(names.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      at = comma == std::string::npos ? names.size() : comma + 1;
    }
    nlohmann::json vmq = nullptr;
    for (const offload::ReceiveFilter& f : config->vmq.filters()) {
      if (f.filter_id == i + 1) vmq = f.filter_id;
    }
    ports.push_back({{"slot", i},
                     {"tap", p.tap},
                     {"vsid", p.vsid},
                     {"mac", wire::FormatMac(p.mac)},
                     {"ip", ips},
                     {"mtu", config_.PortMtu(p)},
                     {"netns", p.netns},
                     {"queues", ports_[i].tap.queues()},
                     {"offloads", offloads},
                     {"vmq_filter", vmq}});
  }
  return {{"ports", ports}};
}

nlohmann::json Daemon::Lookup() const {
  const DatapathState* state = shared_->state.Read();  // the control thread publishes: stable here
  const virt::Policy& policy = *state->policy;
  nlohmann::json records = nlohmann::json::array();
  for (const virt::RecordSpec& r : policy.records()) {
    nlohmann::json ips = nlohmann::json::array();
    for (const auto& ip : r.ips) ips.push_back(virt::FormatIpAddress(ip));
    const auto d = policy.Lookup(r.vsid, r.mac);
    const bool in_force = d.kind == virt::Policy::Kind::kRemote && policy.providers()[d.provider] == r.provider;
    records.push_back({{"vsid", r.vsid}, {"mac", wire::FormatMac(r.mac)}, {"ip", ips},
                       {"provider", virt::FormatIpAddress(r.provider)}, {"source", "file"},
                       {"in_force", in_force}});
  }
  std::size_t from_ovsdb = 0;
  if (const virt::RecordLayer* layer = policy.layer()) {
    // The layer's IP entries, by the (VSID, MAC) that owns them.
    std::map<std::pair<std::uint32_t, wire::MacAddress>, std::vector<std::string>> ips;
    layer->ipv4().ForEach([&](const virt::VsidIpv4& k, const wire::MacAddress& m) {
      ips[{k.vsid, m}].push_back(virt::FormatIpAddress(k.ip));
    });
    layer->ipv6().ForEach([&](const virt::VsidIpv6& k, const wire::MacAddress& m) {
      ips[{k.vsid, m}].push_back(virt::FormatIpAddress(k.ip));
    });
    std::vector<std::pair<virt::VsidMac, std::uint32_t>> entries;
    layer->macs().ForEach([&](const virt::VsidMac& k, std::uint32_t p) { entries.emplace_back(k, p); });
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.first.vsid != b.first.vsid ? a.first.vsid < b.first.vsid : a.first.mac < b.first.mac;
    });
    for (const auto& [k, p] : entries) {
      auto list = ips[{k.vsid, k.mac}];
      std::sort(list.begin(), list.end());
      records.push_back({{"vsid", k.vsid}, {"mac", wire::FormatMac(k.mac)}, {"ip", list},
                         {"provider", virt::FormatIpAddress(layer->providers()[p])}, {"source", "ovsdb"},
                         {"in_force", !policy.ShadowedByBase(k.vsid, k.mac)}});
      ++from_ovsdb;
    }
  }
  nlohmann::json ports = nlohmann::json::array();
  for (const Port& port : ports_) {
    if (!port.active) continue;
    const std::uint32_t vsid = PortVsid(port.entry);
    ports.push_back({{"tap", port.entry.tap}, {"mac", wire::FormatMac(port.entry.mac)}, {"vsid", vsid},
                     {"vsid_source", port.entry.vsid != 0 ? "file" : vsid != 0 ? "ovsdb" : "unbound"}});
  }
  return {{"records", records},
          {"counts", {{"file", policy.records().size()}, {"ovsdb", from_ovsdb}}},
          {"shadowed", policy.shadowed()},
          {"ports", ports},
          {"ovsdb", ovsdb_ ? ovsdb_->Status() : nlohmann::json()}};
}

nlohmann::json Daemon::Subnets() const {
  const DatapathState* s = shared_->state.Read();
  nlohmann::json subnets = nlohmann::json::array();
  for (const virt::Policy::Subnet& sub : s->policy->subnets()) {
    nlohmann::json ports = nlohmann::json::array();
    for (const std::uint16_t slot : sub.local_ports) ports.push_back(ports_[slot].entry.tap);
    nlohmann::json providers = nlohmann::json::array();
    for (const std::uint32_t p : sub.flood_providers) {
      providers.push_back(virt::FormatIpAddress(s->policy->providers()[p]));
    }
    const bool file = std::any_of(config_.subnets.begin(), config_.subnets.end(),
                                  [&](const SubnetEntry& e) { return e.vsid == sub.vsid; });
    subnets.push_back({{"vsid", sub.vsid},
                       {"source", file ? "file" : "ovsdb"},
                       {"flood", sub.multicast_group ? "multicast" : "unicast"},
                       {"multicast_group", sub.multicast_group
                                               ? nlohmann::json(virt::FormatIpAddress(*sub.multicast_group))
                                               : nlohmann::json(nullptr)},
                       {"ports", ports},
                       {"flood_providers", providers}});
  }
  return {{"subnets", subnets}};
}

nlohmann::json Daemon::Offload() const {
  const auto config = adapter_->Snapshot();
  nlohmann::json filters = nlohmann::json::array();
  for (const offload::ReceiveFilter& f : config->vmq.filters()) {
    filters.push_back({{"filter_id", f.filter_id},
                       {"queue_id", f.queue_id},
                       {"mac", wire::FormatMac(f.fields[0].mac)},
                       {"encapsulation_gre", f.encapsulation_gre()}});
  }
  return {{"hardware_capabilities", cli::NdisOffloadJson(adapter_->HardwareCapabilities())},
          {"current_config", cli::NdisOffloadJson(config->current)},
          {"encapsulated_offload_active", config->encapsulated_offload_active()},
          {"keywords", cli::KeywordsJson(adapter_->keywords())},
          {"rss", {{"enabled", config->rss_enabled()}, {"workers", workers_}}},
          {"vmq", {{"enabled", config->vmq_enabled}, {"filters", filters}}},
          {"tap_offloads", TapOffloadNames(TapOffloadsFor(*config))}};
}

nlohmann::json Daemon::OffloadSet(const std::vector<std::string>& words) {
  const auto parameters = ParseOffloadAssignments(words);
  if (!parameters) return Error(parameters.error());
  std::optional<offload::StatusIndication> indicated;
  adapter_->SetStatusCallback([&indicated](const offload::StatusIndication& s) {
    indicated = s;
    NVGRED_LOG_INFO("%s (0x%08x): %s", std::string(offload::ToString(s.code)).c_str(),
                    static_cast<unsigned>(s.code), OffloadSummary(s.offload).c_str());
  });
  // The datapath follows every configuration the OID publishes, before a SET_OFF waits for the
  // packets still using the old one (the old state held it: see adapter.h, Concurrency).
  adapter_->SetPublishHook([this] { FollowAdapter(); });
  const offload::NdisStatus st = adapter_->SetOffloadParameters(*parameters);
  adapter_->SetPublishHook(nullptr);
  adapter_->SetStatusCallback([](const offload::StatusIndication& s) {
    NVGRED_LOG_INFO("%s (0x%08x): %s", std::string(offload::ToString(s.code)).c_str(),
                    static_cast<unsigned>(s.code), OffloadSummary(s.offload).c_str());
  });
  const std::string status =
      std::string(offload::ToString(st)) + " (" + Hex32(static_cast<std::uint32_t>(st)) + ")";
  NVGRED_LOG_INFO("offload set %s: OID_TCP_OFFLOAD_PARAMETERS %s", [&] {
    std::string all;
    for (const auto& w : words) {
      if (!all.empty()) all += " ";
      all += w;
    }
    return all;
  }().c_str(), status.c_str());
  if (st != offload::NdisStatus::kSuccess) {
    return Error("OID_TCP_OFFLOAD_PARAMETERS: " + status + ": nothing changed");
  }
  const auto config = adapter_->Snapshot();
  nlohmann::json result = {
      {"oid", Hex32(offload::kOidTcpOffloadParameters)},
      {"status", std::string(offload::ToString(st))},
      {"status_code", static_cast<std::uint32_t>(st)},
      {"indication", nullptr},
      {"keywords", cli::KeywordsJson(adapter_->keywords())},
      {"tap_offloads", TapOffloadNames(TapOffloadsFor(*config))}};
  std::string text = "OID_TCP_OFFLOAD_PARAMETERS: " + status + "\n";
  if (indicated) {
    result["indication"] = {{"status", std::string(offload::ToString(indicated->code))},
                            {"status_code", static_cast<std::uint32_t>(indicated->code)},
                            {"offload", cli::NdisOffloadJson(indicated->offload)}};
    text += std::string(offload::ToString(indicated->code)) + " (" +
            Hex32(static_cast<std::uint32_t>(indicated->code)) + "), new current configuration:\n" +
            Indented(indicated->offload.ToString());
  }
  text += "VM side (TUNSETOFFLOAD on every TAP): " + TapOffloadNames(TapOffloadsFor(*config)) + "\n";
  return {{"ok", true}, {"result", result}, {"text", text}};
}

void Daemon::FollowAdapter() {
  const unsigned want = TapOffloadsFor(*adapter_->Snapshot());
  for (Port& port : ports_) {
    if (!port.active || port.tap.offloads() == want) continue;
    if (auto e = port.tap.SetOffloads(want)) {
      NVGRED_LOG_WARN("port %s: %s", port.entry.tap.c_str(), e->message.c_str());
    } else {
      NVGRED_LOG_INFO("port %s: offloads %s", port.entry.tap.c_str(), TapOffloadNames(want).c_str());
    }
  }
  PublishState(BuildState(shared_->state.Read()));
}

nlohmann::json Daemon::Reload() {
  notifier_.Reloading();
  ConfigResult loaded = LoadConfigFile(config_.file);
  if (!loaded.config) {
    // As at start: every error, one per line, FILE:LINE:COLUMN: KEY: message.
    std::string message;
    for (const ConfigError& e : loaded.errors) {
      if (!message.empty()) message += "\n";
      message += e.ToString();
      NVGRED_LOG_ERROR("%s", e.ToString().c_str());
    }
    NVGRED_LOG_ERROR("reload refused: %zu error(s) in %s; the configuration in force is unchanged",
                     loaded.errors.size(), config_.file.c_str());
    notifier_.Ready(StatusLine());
    return Error(message);
  }
  Config next = std::move(*loaded.config);
  const ConfigDiff diff = DiffConfigs(config_, next);
  if (!diff.restart_required.empty()) {
    std::string message = "reload refused (nothing changed): these take a restart:";
    for (const std::string& r : diff.restart_required) message += "\n  " + r;
    NVGRED_LOG_ERROR("%s", message.c_str());
    notifier_.Ready(StatusLine());
    return Error(message);
  }
  // Settings, records and subnets come with the new configuration; ports follow below (their
  // entries in config_ are what is open).
  SetLogLevel(next.daemon.log_level);
  drop_log_->set_interval(std::chrono::seconds(next.daemon.drop_log_interval));
  std::vector<std::string> failures;

  // 1. Removed ports leave the published state (their slots inactive, their VMQ filters gone);
  // updated ports change in place; records and subnets change. Once no worker can see the old
  // state, the removed ports' queues leave the epoll sets and their TAPs close.
  std::vector<std::size_t> removed;
  for (const std::string& tap : diff.removed) {
    for (std::size_t slot = 0; slot < ports_.size(); ++slot) {
      if (!ports_[slot].active || ports_[slot].entry.tap != tap) continue;
      ports_[slot].active = false;
      if (slot + 1 < adapter_->capabilities().vmq_queues) {
        (void)adapter_->ClearReceiveFilter(static_cast<std::uint32_t>(slot + 1));
      }
      removed.push_back(slot);
    }
  }
  for (const PortEntry& p : diff.updated) {
    for (Port& port : ports_) {
      if (port.active && port.entry.tap == p.tap) port.entry = p;
    }
  }
  std::vector<PortEntry> open_ports = std::move(next.ports);
  next.ports.clear();
  for (const Port& port : ports_) {
    if (port.active) next.ports.push_back(port.entry);
  }
  config_ = std::move(next);
  PublishState(BuildState(shared_->state.Read()));
  for (const std::size_t slot : removed) {
    Port& port = ports_[slot];
    for (std::size_t w = 0; w < worker_objects_.size(); ++w) {
      worker_objects_[w]->UnwatchPort(port.tap.queue_fd(static_cast<unsigned>(w)));
    }
    NVGRED_LOG_INFO("port %s: removed (slot %zu)", port.entry.tap.c_str(), slot);
    port.tap.Close();
    port.entry = PortEntry{};
  }

  // 2. Added ports: opened into free slots, published, then watched by every worker.
  std::vector<std::size_t> added;
  for (const PortEntry& p : diff.added) {
    std::size_t slot = 0;
    if (std::string e = OpenPort(p, &slot); !e.empty()) {
      NVGRED_LOG_ERROR("reload: %s", e.c_str());
      failures.push_back(e);
      continue;
    }
    added.push_back(slot);
  }
  // The ports in force, in the file's order.
  config_.ports.clear();
  for (const PortEntry& p : open_ports) {
    for (const Port& port : ports_) {
      if (port.active && port.entry.tap == p.tap) config_.ports.push_back(port.entry);
    }
  }
  if (!added.empty()) PublishState(BuildState(shared_->state.Read()));
  for (const std::size_t slot : added) {
    for (std::size_t w = 0; w < worker_objects_.size(); ++w) {
      worker_objects_[w]->WatchPort(slot, ports_[slot].tap.queue_fd(static_cast<unsigned>(w)));
    }
  }
  PublishPortLabels();
  // The OVSDB records stay (BuildState takes the layer in force); this host's rows follow the
  // ports in force (shared mode: the other hosts learn an added VM from its Ucast_Macs_Local row).
  if (ovsdb_) ovsdb_->SetLocalView(OvsdbView());
  const std::string summary = diff.Summary();
  NVGRED_LOG_INFO("reloaded %s: %s", config_.file.c_str(), summary.c_str());
  notifier_.Ready(StatusLine());
  if (!failures.empty()) {
    std::string message = "reload applied except:";
    for (const std::string& f : failures) message += "\n  " + f;
    return Error(message);
  }
  nlohmann::json removed_names = diff.removed, added_names = nlohmann::json::array(),
                 updated_names = nlohmann::json::array();
  for (const PortEntry& p : diff.added) added_names.push_back(p.tap);
  for (const PortEntry& p : diff.updated) updated_names.push_back(p.tap);
  return {{"ok", true},
          {"result", {{"file", config_.file},
                      {"ports_added", added_names},
                      {"ports_removed", removed_names},
                      {"ports_updated", updated_names},
                      {"lookups_added", diff.lookups_added},
                      {"lookups_removed", diff.lookups_removed},
                      {"subnets_added", diff.subnets_added},
                      {"subnets_removed", diff.subnets_removed},
                      {"subnets_changed", diff.subnets_changed},
                      {"settings_changed", diff.settings_changed}}},
          {"text", "reloaded " + config_.file + ": " + summary + "\n"}};
}

void Daemon::PublishPortLabels() {
  auto labels = std::make_shared<std::vector<PortLabel>>();
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (!ports_[i].active) continue;
    const PortEntry& p = ports_[i].entry;
    labels->push_back({i, p.tap, PortVsid(p), wire::FormatMac(p.mac)});
  }
  std::lock_guard lock(port_labels_mu_);
  port_labels_ = std::move(labels);
}

StatsSnapshot Daemon::Snapshot() const {
  std::vector<const WorkerCounters*> counters;
  for (const auto& c : shared_->counters) counters.push_back(c.get());
  StatsSnapshot s;
  s.totals = CounterTotals::Sum(counters);
  {
    std::lock_guard lock(port_labels_mu_);
    if (port_labels_) s.ports = *port_labels_;
  }
  s.workers = workers_;
  s.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  s.version = NVGRE_VERSION;
  if (ovsdb_) s.ovsdb = ovsdb_->Counters();
  return s;
}

nlohmann::json Daemon::Stats() const { return StatsJson(Snapshot()); }

}  // namespace nvgre::daemon
