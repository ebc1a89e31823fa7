// underlay_probe: how many GRE datagrams per second the underlay itself moves between two
// namespaces with the I/O nvgred uses, and nothing else (the ceiling nvgred's throughput is
// compared with in bench/overlay/run.sh).
//
//   underlay_probe recv --mode raw --local 192.0.2.2 --seconds 4
//   underlay_probe send --mode raw --local 192.0.2.1 --remote 192.0.2.2 --seconds 3
//   underlay_probe send --mode packet --interface u1 --remote-mac 02:.. ...
//
// send: sendmmsg batches of 64 pre-built NVGRE datagrams (`--size` bytes of outer IP packet,
// IPv4 or IPv6 by the addresses) for `--seconds`; raw = IPPROTO_RAW socket (the kernel routes),
// packet = AF_PACKET with PACKET_QDISC_BYPASS on `--interface` (frames carry Ethernet headers to
// `--remote-mac`). recv: recvmmsg batches of 64 from the matching receiver (raw protocol-47
// socket bound to --local, or an AF_PACKET receiver with the GRE filter) until `--seconds` pass.
// Both print one JSON line: {"mode", "role", "packets", "bytes", "seconds", "pps", "gbit_per_s"}.
#include <poll.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "nvgre/io/netlink.h"
#include "nvgre/io/packet_socket.h"
#include "nvgre/io/underlay.h"
#include "nvgre/virt/address.h"
#include "nvgre/virt/encap.h"

namespace {

using Clock = std::chrono::steady_clock;

int Fail(const std::string& what) {
  std::fprintf(stderr, "underlay_probe: %s\n", what.c_str());
  return 1;
}

int OpenOr(std::variant<nvgre::io::Fd, nvgre::io::IoError> r, nvgre::io::Fd& out) {
  if (auto* e = std::get_if<nvgre::io::IoError>(&r)) return Fail(e->message);
  out = std::move(std::get<nvgre::io::Fd>(r));
  return 0;
}

void Report(const std::string& mode, const std::string& role, std::uint64_t packets,
            std::uint64_t bytes, double seconds) {
  std::printf("{\"mode\": \"%s\", \"role\": \"%s\", \"packets\": %llu, \"bytes\": %llu, "
              "\"seconds\": %.3f, \"pps\": %.0f, \"gbit_per_s\": %.3f}\n",
              mode.c_str(), role.c_str(), static_cast<unsigned long long>(packets),
              static_cast<unsigned long long>(bytes), seconds, static_cast<double>(packets) / seconds,
              static_cast<double>(bytes) * 8 / seconds / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"underlay_probe: the underlay's own packet rate (raw sockets or AF_PACKET)"};
  std::string role, mode = "raw", local, remote, interface, remote_mac;
  double seconds = 3;
  std::size_t size = 1500;
  app.add_option("role", role, "send | recv")->required();
  app.add_option("--mode", mode, "raw | packet");
  app.add_option("--local", local, "this namespace's provider address")->required();
  app.add_option("--remote", remote, "the receiver's provider address (send)");
  app.add_option("--interface", interface, "the underlay interface (packet mode)");
  app.add_option("--remote-mac", remote_mac, "the receiver's MAC (packet mode, send)");
  app.add_option("--seconds", seconds, "how long");
  app.add_option("--size", size, "outer IP packet bytes (send)");
  CLI11_PARSE(app, argc, argv);

  const auto local_ip = nvgre::virt::ParseIpAddress(local);
  if (!local_ip) return Fail("--local: not an address");
  const bool v6 = nvgre::virt::IsIpv6(*local_ip);
  const bool packet = mode == "packet";
  const int ifindex = packet ? nvgre::io::LinkIndex(interface) : 0;
  if (packet && ifindex == 0) return Fail("--interface: no such interface");
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));

  if (role == "recv") {
    nvgre::io::Fd fd, sink;
    if (packet) {
      nvgre::io::PacketReceiverOptions o;
      o.ifindex = ifindex;
      if (v6) o.filter.local_ipv6.push_back(std::get<nvgre::wire::Ipv6Address>(*local_ip));
      else o.filter.local_ipv4.push_back(std::get<nvgre::wire::Ipv4Address>(*local_ip));
      o.receive_buffer = 8 << 20;
      if (OpenOr(nvgre::io::OpenPacketReceiver(o), fd)) return 1;
      if (OpenOr(nvgre::io::OpenGreSink(v6 ? AF_INET6 : AF_INET), sink)) return 1;
    } else if (v6) {
      if (OpenOr(nvgre::io::OpenGreReceiverIpv6(std::get<nvgre::wire::Ipv6Address>(*local_ip), 8 << 20), fd)) return 1;
    } else {
      if (OpenOr(nvgre::io::OpenGreReceiverIpv4(std::get<nvgre::wire::Ipv4Address>(*local_ip), 8 << 20), fd)) return 1;
    }
    nvgre::io::RecvBatch batch(64, 2048, 64);
    std::uint64_t packets = 0, bytes = 0;
    Clock::time_point first{}, last{};
    while (Clock::now() < end) {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int n = packet ? batch.ReceiveFrames(fd.get()) : batch.Receive(fd.get(), v6);
      if (n <= 0) continue;
      if (packets == 0) first = Clock::now();
      last = Clock::now();
      packets += static_cast<std::uint64_t>(n);
      for (int i = 0; i < n; ++i) bytes += batch.meta(static_cast<std::size_t>(i)).length;
    }
    const double active = std::chrono::duration<double>(last - first).count();
    Report(mode, role, packets, bytes, active > 0 ? active : seconds);
    return 0;
  }

  // send: one NVGRE datagram, built once with the library's encapsulation.
  const auto remote_ip = nvgre::virt::ParseIpAddress(remote);
  if (!remote_ip || nvgre::virt::IsIpv6(*remote_ip) != v6) return Fail("--remote: an address of --local's family");
  nvgre::virt::EncapConfig c;
  if (v6) {
    c.outer_ip = nvgre::virt::OuterIpv6{std::get<nvgre::wire::Ipv6Address>(*local_ip),
                                        std::get<nvgre::wire::Ipv6Address>(*remote_ip)};
  } else {
    c.outer_ip = nvgre::virt::OuterIpv4{std::get<nvgre::wire::Ipv4Address>(*local_ip),
                                        std::get<nvgre::wire::Ipv4Address>(*remote_ip)};
  }
  c.vsid = 5001;
  c.flow_id = 0;
  nvgre::io::Fd fd;
  if (packet) {
    const auto mac = nvgre::virt::ParseMacAddress(remote_mac);
    if (!mac) return Fail("--remote-mac: not a MAC address");
    c.outer_destination_mac = *mac;
    auto link = nvgre::io::GetLink(ifindex);
    if (auto* e = std::get_if<nvgre::io::IoError>(&link)) return Fail(e->message);
    c.outer_source_mac = std::get<nvgre::io::LinkInfo>(link).mac;
    if (OpenOr(nvgre::io::OpenPacketSender(ifindex, 8 << 20), fd)) return 1;
  } else {
    if (OpenOr(nvgre::io::OpenRawSender(v6 ? AF_INET6 : AF_INET, 8 << 20), fd)) return 1;
  }
  const std::size_t outer = v6 ? 40 + 8 : 20 + 8;
  if (size < outer + 60) return Fail("--size: too small");
  std::vector<std::uint8_t> inner(size - outer, 0);
  inner[0] = 0x02;  // a unicast inner frame (content irrelevant to the underlay)
  inner[12] = 0x08;
  std::vector<std::uint8_t> frame(inner.size() + 128);
  std::uint16_t id = 0;
  const auto r = nvgre::virt::Encapsulate(inner, c, frame, id);
  if (!r) return Fail("encapsulation failed");
  const std::size_t skip = packet ? 0 : 14;  // raw sockets take the IP packet
  const iovec piece{frame.data() + skip, r->frame_length - skip};
  sockaddr_storage to{};
  socklen_t to_length = 0;
  if (packet) {
    const sockaddr_ll ll = nvgre::io::PacketDestination(ifindex);
    std::memcpy(&to, &ll, sizeof ll);
    to_length = sizeof ll;
  } else {
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      std::memcpy(&a.sin6_addr, std::get<nvgre::wire::Ipv6Address>(*remote_ip).data(), 16);
      std::memcpy(&to, &a, sizeof a);
      to_length = sizeof a;
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      std::memcpy(&a.sin_addr, std::get<nvgre::wire::Ipv4Address>(*remote_ip).data(), 4);
      std::memcpy(&to, &a, sizeof a);
      to_length = sizeof a;
    }
  }
  nvgre::io::SendBatch batch(64, 64);
  std::uint64_t packets = 0, bytes = 0;
  const auto start = Clock::now();
  while (Clock::now() < end) {
    for (int i = 0; i < 64; ++i) batch.Add(reinterpret_cast<const sockaddr*>(&to), to_length, {&piece, 1});
    const nvgre::io::SendResult s = batch.Flush(fd.get(), 5);
    packets += s.sent;
    bytes += s.bytes;
  }
  Report(mode, role, packets, bytes, std::chrono::duration<double>(Clock::now() - start).count());
  return 0;
}
