#include "nvgre/io/packet_socket.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace nvgre::io {
namespace {

std::string Errno() { return std::strerror(errno); }

// Classic BPF (Documentation/networking/filter.rst). Loads are big-endian; an out-of-bounds
// load ends the program with 0 (drop).
constexpr sock_filter Stmt(std::uint16_t code, std::uint32_t k) { return {code, 0, 0, k}; }
constexpr sock_filter Jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return {code, jt, jf, k};
}
constexpr std::uint16_t kLdAbsW = BPF_LD | BPF_W | BPF_ABS;
constexpr std::uint16_t kLdAbsH = BPF_LD | BPF_H | BPF_ABS;
constexpr std::uint16_t kLdIndW = BPF_LD | BPF_W | BPF_IND;
constexpr std::uint16_t kLdIndB = BPF_LD | BPF_B | BPF_IND;
constexpr std::uint16_t kLdxImm = BPF_LDX | BPF_W | BPF_IMM;
constexpr std::uint16_t kJeq = BPF_JMP | BPF_JEQ | BPF_K;
constexpr std::uint16_t kJa = BPF_JMP | BPF_JA;
constexpr std::uint16_t kRet = BPF_RET | BPF_K;
constexpr std::uint32_t kKeep = 0xFFFFFFFFu;  // snap length: the whole frame
constexpr std::uint32_t kAncillary = static_cast<std::uint32_t>(SKF_AD_OFF);

constexpr std::uint32_t kEthTypeOffset = 12;     // after destination and source MAC
constexpr std::uint32_t kTaggedTypeOffset = 16;  // after one 802.1Q tag (IEEE 802.1Q §9.3)
constexpr std::uint32_t kIpv4Protocol = 9;       // RFC 791 §3.1
constexpr std::uint32_t kIpv4Destination = 16;
constexpr std::uint32_t kIpv6NextHeader = 6;     // RFC 8200 §3
constexpr std::uint32_t kIpv6Destination = 24;

std::uint32_t Word(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// "A == k, or drop": fall through when equal.
void RequireEqual(std::vector<sock_filter>& p, std::uint32_t k) {
  p.push_back(Jump(kJeq, k, 1, 0));
  p.push_back(Stmt(kRet, 0));
}

int SetInt(int fd, int level, int option, int value) {
  return ::setsockopt(fd, level, option, &value, sizeof value);
}

void SetBuffer(int fd, int option_force, int option, int bytes) {
  if (bytes <= 0) return;
  if (SetInt(fd, SOL_SOCKET, option_force, bytes) < 0) SetInt(fd, SOL_SOCKET, option, bytes);
}

std::string Interface(int ifindex) { return "ifindex " + std::to_string(ifindex); }

}  // namespace

std::variant<std::vector<sock_filter>, IoError> BuildGreFilter(const GreFilter& filter) {
  std::vector<wire::Ipv4Address> v4 = filter.local_ipv4;
  v4.insert(v4.end(), filter.groups_ipv4.begin(), filter.groups_ipv4.end());
  std::vector<wire::Ipv6Address> v6 = filter.local_ipv6;
  v6.insert(v6.end(), filter.groups_ipv6.begin(), filter.groups_ipv6.end());

  std::vector<sock_filter> p;
  // Frames for other hosts (promiscuous mode) and our own (belt and braces: the socket also
  // ignores outgoing frames) are not ours.
  p.push_back(Stmt(kLdAbsW, kAncillary + SKF_AD_PKTTYPE));
  p.push_back(Jump(kJeq, PACKET_OTHERHOST, 2, 0));
  p.push_back(Jump(kJeq, PACKET_OUTGOING, 1, 0));
  p.push_back(Jump(kJa, 1, 0, 0));
  p.push_back(Stmt(kRet, 0));
  // The kernel strips the outer VLAN tag before packet sockets see a frame (the tag is in the
  // ancillary data); a tag still in the data is a second one, unless none was stripped.
  p.push_back(Stmt(kLdAbsH, kEthTypeOffset));
  p.push_back(Jump(kJeq, ETH_P_8021Q, 2, 0));
  p.push_back(Jump(kJeq, ETH_P_8021AD, 1, 0));
  p.push_back(Jump(kJa, 6, 0, 0));                  // untagged: to X = 14
  p.push_back(Stmt(kLdAbsW, kAncillary + SKF_AD_VLAN_TAG_PRESENT));
  RequireEqual(p, 0);                               // a stripped tag and one in the data: drop
  p.push_back(Stmt(kLdAbsH, kTaggedTypeOffset));
  p.push_back(Stmt(kLdxImm, kTaggedTypeOffset + 2));
  p.push_back(Jump(kJa, 1, 0, 0));
  p.push_back(Stmt(kLdxImm, kEthTypeOffset + 2));
  // A = EtherType, X = offset of the IP header.
  p.push_back(Jump(kJeq, ETH_P_IP, 0, 1));
  const std::size_t to_ipv4 = p.size();
  p.push_back(Jump(kJa, 0, 0, 0));                  // patched below
  p.push_back(Jump(kJeq, ETH_P_IPV6, 0, 1));
  const std::size_t to_ipv6 = p.size();
  p.push_back(Jump(kJa, 0, 0, 0));
  p.push_back(Stmt(kRet, 0));

  p[to_ipv4].k = static_cast<std::uint32_t>(p.size() - to_ipv4 - 1);
  p.push_back(Stmt(kLdIndB, kIpv4Protocol));
  RequireEqual(p, static_cast<std::uint32_t>(kIpProtoGre));
  p.push_back(Stmt(kLdIndW, kIpv4Destination));
  for (const wire::Ipv4Address& a : v4) {
    p.push_back(Jump(kJeq, Word(a.data()), 0, 1));
    p.push_back(Stmt(kRet, kKeep));
  }
  p.push_back(Stmt(kRet, 0));

  p[to_ipv6].k = static_cast<std::uint32_t>(p.size() - to_ipv6 - 1);
  p.push_back(Stmt(kLdIndB, kIpv6NextHeader));
  RequireEqual(p, static_cast<std::uint32_t>(kIpProtoGre));
  for (const wire::Ipv6Address& a : v6) {
    // Four words; a mismatch skips the rest of this address's block (to the next address).
    for (std::uint32_t w = 0; w < 4; ++w) {
      p.push_back(Stmt(kLdIndW, kIpv6Destination + 4 * w));
      p.push_back(Jump(kJeq, Word(a.data() + 4 * w), 0, static_cast<std::uint8_t>(7 - 2 * w)));
    }
    p.push_back(Stmt(kRet, kKeep));
  }
  p.push_back(Stmt(kRet, 0));

  if (p.size() > BPF_MAXINSNS) {
    return IoError{"GRE filter: " + std::to_string(v4.size()) + " IPv4 and " +
                   std::to_string(v6.size()) + " IPv6 destinations need " + std::to_string(p.size()) +
                   " BPF instructions, more than " + std::to_string(BPF_MAXINSNS)};
  }
  return p;
}

std::variant<Fd, IoError> OpenPacketReceiver(const PacketReceiverOptions& options) {
  const std::string what = "packet receiver on " + Interface(options.ifindex);
  if (options.ifindex <= 0) return IoError{what + ": no interface"};
  auto program = BuildGreFilter(options.filter);
  if (auto* e = std::get_if<IoError>(&program)) return *e;
  auto& insns = std::get<std::vector<sock_filter>>(program);

  // Protocol 0: nothing is queued until bind() names ETH_P_ALL, by then the filter is on.
  Fd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return IoError{what + ": socket: " + Errno()};
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(insns.size());
  prog.filter = insns.data();
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    return IoError{what + ": SO_ATTACH_FILTER: " + Errno()};
  }
  if (SetInt(fd.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) < 0) {
    return IoError{what + ": PACKET_IGNORE_OUTGOING: " + Errno()};
  }
  if (SetInt(fd.get(), SOL_PACKET, PACKET_AUXDATA, 1) < 0) {
    return IoError{what + ": PACKET_AUXDATA: " + Errno()};
  }
  SetBuffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, options.receive_buffer);

  sockaddr_ll a{};
  a.sll_family = AF_PACKET;
  a.sll_protocol = htons(ETH_P_ALL);
  a.sll_ifindex = options.ifindex;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) {
    return IoError{what + ": bind: " + Errno()};
  }
  if (options.fanout_group) {
    // Low 16 bits: the group id; high 16: mode and flags (packet(7)).
    const int arg = static_cast<int>(*options.fanout_group) |
                    (static_cast<int>(options.fanout_mode) << 16);
    if (SetInt(fd.get(), SOL_PACKET, PACKET_FANOUT, arg) < 0) {
      return IoError{what + ": PACKET_FANOUT group " + std::to_string(*options.fanout_group) + ": " + Errno()};
    }
  }
  if (options.join_groups) {
    auto join = [&](const wire::MacAddress& mac) -> bool {
      packet_mreq m{};
      m.mr_ifindex = options.ifindex;
      m.mr_type = PACKET_MR_MULTICAST;
      m.mr_alen = 6;
      std::memcpy(m.mr_address, mac.data(), 6);
      return ::setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof m) == 0;
    };
    for (const auto& g : options.filter.groups_ipv4) {
      if (!join(MulticastMac(g))) return IoError{what + ": join " + wire::FormatIpv4(g) + ": " + Errno()};
    }
    for (const auto& g : options.filter.groups_ipv6) {
      if (!join(MulticastMac(g))) return IoError{what + ": join " + wire::FormatIpv6(g) + ": " + Errno()};
    }
  }
  return fd;
}

std::variant<Fd, IoError> OpenPacketSender(int ifindex, int send_buffer, bool qdisc_bypass) {
  const std::string what = "packet sender on " + Interface(ifindex);
  if (ifindex <= 0) return IoError{what + ": no interface"};
  Fd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return IoError{what + ": socket: " + Errno()};
  sockaddr_ll a{};
  a.sll_family = AF_PACKET;
  a.sll_protocol = 0;  // receive nothing
  a.sll_ifindex = ifindex;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) {
    return IoError{what + ": bind: " + Errno()};
  }
  if (qdisc_bypass && SetInt(fd.get(), SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0) {
    return IoError{what + ": PACKET_QDISC_BYPASS: " + Errno()};
  }
  SetBuffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF, send_buffer);
  return fd;
}

sockaddr_ll PacketDestination(int ifindex) {
  sockaddr_ll a{};
  a.sll_family = AF_PACKET;
  a.sll_ifindex = ifindex;
  return a;
}

std::variant<Fd, IoError> OpenGreSink(int family) {
  const std::string what = std::string("GRE sink (raw ") + (family == AF_INET6 ? "IPv6" : "IPv4") +
                           " protocol 47)";
  if (family != AF_INET && family != AF_INET6) return IoError{what + ": family must be AF_INET or AF_INET6"};
  Fd fd(::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtoGre));
  if (!fd) return IoError{what + ": socket: " + Errno()};
  sock_filter drop = Stmt(kRet, 0);
  sock_fprog prog{};
  prog.len = 1;
  prog.filter = &drop;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    return IoError{what + ": SO_ATTACH_FILTER: " + Errno()};
  }
  SetInt(fd.get(), SOL_SOCKET, SO_RCVBUF, 1);  // the kernel rounds up to its minimum
  return fd;
}

std::variant<PacketSocketStats, IoError> ReadPacketStats(int fd) {
  tpacket_stats s{};
  socklen_t length = sizeof s;
  if (::getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &s, &length) < 0) {
    return IoError{"PACKET_STATISTICS: " + Errno()};
  }
  return PacketSocketStats{s.tp_packets, s.tp_drops};
}

wire::MacAddress MulticastMac(const wire::Ipv4Address& group) {
  return {0x01, 0x00, 0x5e, static_cast<std::uint8_t>(group[1] & 0x7F), group[2], group[3]};
}

wire::MacAddress MulticastMac(const wire::Ipv6Address& group) {
  return {0x33, 0x33, group[12], group[13], group[14], group[15]};
}

}  // namespace nvgre::io
