#include "nvgre/io/underlay.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace nvgre::io {
namespace {

std::string Errno() { return std::strerror(errno); }

void SetBuffer(int fd, int option_force, int option, int bytes) {
  if (bytes <= 0) return;
  if (::setsockopt(fd, SOL_SOCKET, option_force, &bytes, sizeof bytes) < 0) {
    ::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);  // not root: capped by rmem_max
  }
}

int On(int fd, int level, int option) {
  const int one = 1;
  return ::setsockopt(fd, level, option, &one, sizeof one);
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

std::variant<Fd, IoError> OpenGreReceiverIpv4(const wire::Ipv4Address& local, int receive_buffer,
                                              bool bind_local) {
  Fd fd(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtoGre));
  if (!fd) return IoError{"raw IPv4 socket for protocol 47: " + Errno()};
  sockaddr_in a{};
  a.sin_family = AF_INET;
  std::memcpy(&a.sin_addr, local.data(), 4);
  if (bind_local && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    return IoError{"bind raw IPv4 socket to the provider address: " + Errno()};
  }
  if (On(fd.get(), IPPROTO_IP, IP_RECVFRAGSIZE) < 0) return IoError{"IP_RECVFRAGSIZE: " + Errno()};
  SetBuffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, receive_buffer);
  return fd;
}

std::variant<Fd, IoError> OpenGreReceiverIpv6(const wire::Ipv6Address& local, int receive_buffer,
                                              bool bind_local) {
  Fd fd(::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtoGre));
  if (!fd) return IoError{"raw IPv6 socket for next header 47: " + Errno()};
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  std::memcpy(&a.sin6_addr, local.data(), 16);
  if (bind_local && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    return IoError{"bind raw IPv6 socket to the provider address: " + Errno()};
  }
  for (int option : {IPV6_RECVPKTINFO, IPV6_RECVTCLASS, IPV6_RECVHOPLIMIT, IPV6_RECVFRAGSIZE}) {
    if (On(fd.get(), IPPROTO_IPV6, option) < 0) {
      return IoError{"IPv6 ancillary option " + std::to_string(option) + ": " + Errno()};
    }
  }
  SetBuffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, receive_buffer);
  return fd;
}

std::variant<Fd, IoError> OpenRawSender(int family, int send_buffer) {
  Fd fd(::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!fd) return IoError{std::string("raw ") + (family == AF_INET6 ? "IPv6" : "IPv4") +
                          " IPPROTO_RAW socket: " + Errno()};
  SetBuffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF, send_buffer);
  return fd;
}

namespace {

// The index of the interface that holds `local`, or 0.
unsigned InterfaceOf(const void* local, int family) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return 0;
  unsigned index = 0;
  for (ifaddrs* i = list; i != nullptr && index == 0; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != family) continue;
    const void* a = family == AF_INET
                        ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr)
                        : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr);
    if (std::memcmp(a, local, family == AF_INET ? 4 : 16) == 0) index = ::if_nametoindex(i->ifa_name);
  }
  ::freeifaddrs(list);
  return index;
}

}  // namespace

std::optional<IoError> JoinGroup(int receiver, const wire::Ipv4Address& group,
                                 const wire::Ipv4Address& local) {
  ip_mreqn m{};
  std::memcpy(&m.imr_multiaddr, group.data(), 4);
  std::memcpy(&m.imr_address, local.data(), 4);
  if (::setsockopt(receiver, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) {
    return IoError{"IP_ADD_MEMBERSHIP: " + Errno()};
  }
  return std::nullopt;
}

std::optional<IoError> JoinGroup(int receiver, const wire::Ipv6Address& group,
                                 const wire::Ipv6Address& local) {
  ipv6_mreq m{};
  std::memcpy(&m.ipv6mr_multiaddr, group.data(), 16);
  m.ipv6mr_interface = InterfaceOf(local.data(), AF_INET6);
  if (m.ipv6mr_interface == 0) return IoError{"no interface holds the IPv6 provider address"};
  if (::setsockopt(receiver, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) < 0) {
    return IoError{"IPV6_JOIN_GROUP: " + Errno()};
  }
  return std::nullopt;
}

std::optional<IoError> SetMulticastSource(int sender, const wire::Ipv4Address& local) {
  ip_mreqn m{};
  std::memcpy(&m.imr_address, local.data(), 4);
  const int off = 0;
  if (::setsockopt(sender, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) < 0 ||
      ::setsockopt(sender, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) < 0) {
    return IoError{"IP_MULTICAST_IF / IP_MULTICAST_LOOP: " + Errno()};
  }
  return std::nullopt;
}

std::optional<IoError> SetMulticastSource(int sender, const wire::Ipv6Address& local) {
  const int index = static_cast<int>(InterfaceOf(local.data(), AF_INET6));
  if (index == 0) return IoError{"no interface holds the IPv6 provider address"};
  const int off = 0;
  if (::setsockopt(sender, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) < 0 ||
      ::setsockopt(sender, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off) < 0) {
    return IoError{"IPV6_MULTICAST_IF / IPV6_MULTICAST_LOOP: " + Errno()};
  }
  return std::nullopt;
}

RecvBatch::RecvBatch(std::size_t capacity, std::size_t buffer_size, std::size_t headroom)
    : capacity_(capacity), buffer_size_(buffer_size), headroom_(headroom),
      storage_(new std::uint8_t[capacity * (headroom + buffer_size)]()),
      meta_(capacity), msgs_(capacity), iovs_(capacity), names_(capacity), controls_(capacity) {}

void RecvBatch::Prepare() {
  for (std::size_t i = 0; i < capacity_; ++i) {
    iovs_[i] = {slot(i) + headroom_, buffer_size_};
    msghdr& h = msgs_[i].msg_hdr;
    h = {};
    h.msg_iov = &iovs_[i];
    h.msg_iovlen = 1;
    h.msg_name = &names_[i];
    h.msg_namelen = sizeof(sockaddr_in6);
    h.msg_control = controls_[i].data();
    h.msg_controllen = controls_[i].size();
    msgs_[i].msg_len = 0;
  }
}

int RecvBatch::Receive(int fd, bool ipv6) {
  Prepare();
  const int n = ::recvmmsg(fd, msgs_.data(), static_cast<unsigned>(capacity_), MSG_DONTWAIT, nullptr);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  for (int i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const msghdr& h = msgs_[k].msg_hdr;
    RxMeta& m = meta_[k];
    m = {};
    m.ipv6 = ipv6;
    m.offset = headroom_;
    m.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    m.length = std::min<std::size_t>(msgs_[k].msg_len, buffer_size_);
    if (ipv6) std::memcpy(m.source.data(), &names_[k].sin6_addr, 16);
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVFRAGSIZE) {
        m.reassembled = true;
      } else if (c->cmsg_level == IPPROTO_IPV6) {
        if (c->cmsg_type == IPV6_RECVFRAGSIZE) {
          m.reassembled = true;
        } else if (c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo info{};
          std::memcpy(&info, CMSG_DATA(c), sizeof info);
          std::memcpy(m.destination.data(), &info.ipi6_addr, 16);
        } else if (c->cmsg_type == IPV6_TCLASS || c->cmsg_type == IPV6_HOPLIMIT) {
          int v = 0;
          std::memcpy(&v, CMSG_DATA(c), sizeof v);
          (c->cmsg_type == IPV6_TCLASS ? m.traffic_class : m.hop_limit) = static_cast<std::uint8_t>(v);
        }
      }
    }
  }
  return n;
}

int RecvBatch::ReceiveFrames(int fd) {
  Prepare();
  // MSG_TRUNC in msg_flags marks a frame longer than the buffer; msg_len is what was copied.
  const int n = ::recvmmsg(fd, msgs_.data(), static_cast<unsigned>(capacity_), MSG_DONTWAIT, nullptr);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  for (int i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    const msghdr& h = msgs_[k].msg_hdr;
    RxMeta& m = meta_[k];
    m = {};
    m.offset = headroom_;
    m.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    m.length = std::min<std::size_t>(msgs_[k].msg_len, buffer_size_);
    m.wire_length = msgs_[k].msg_len;
    sockaddr_ll from{};
    std::memcpy(&from, &names_[k], sizeof from);
    m.ifindex = from.sll_ifindex;
    m.packet_type = from.sll_pkttype;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
          c->cmsg_len < CMSG_LEN(sizeof(tpacket_auxdata))) {
        continue;
      }
      tpacket_auxdata aux{};
      std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
      m.wire_length = aux.tp_len;
      m.checksum_not_ready = (aux.tp_status & TP_STATUS_CSUMNOTREADY) != 0;
      m.checksum_valid = (aux.tp_status & TP_STATUS_CSUM_VALID) != 0;
      if ((aux.tp_status & TP_STATUS_VLAN_VALID) != 0) {
        m.vlan = true;
        m.wire_length += 4;  // tp_len counts the frame without the stripped tag
        m.vlan_tci = aux.tp_vlan_tci;
        m.vlan_tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? aux.tp_vlan_tpid
                                                                       : std::uint16_t{0x8100};
      }
    }
    // IEEE 802.1Q §9.3: the tag (TPID, TCI) sits between the source MAC and the EtherType.
    // Move the two MACs 4 bytes back into the headroom and write the tag behind them.
    constexpr std::size_t kMacs = 12, kTag = 4;
    if (m.vlan && headroom_ >= kTag && m.length >= kMacs) {
      std::uint8_t* frame = slot(k) + headroom_;
      std::memmove(frame - kTag, frame, kMacs);
      frame[kMacs - kTag] = static_cast<std::uint8_t>(m.vlan_tpid >> 8);
      frame[kMacs - kTag + 1] = static_cast<std::uint8_t>(m.vlan_tpid);
      frame[kMacs - kTag + 2] = static_cast<std::uint8_t>(m.vlan_tci >> 8);
      frame[kMacs - kTag + 3] = static_cast<std::uint8_t>(m.vlan_tci);
      m.offset = headroom_ - kTag;
      m.length += kTag;
      m.vlan_reinserted = true;
    }
  }
  return n;
}

SendBatch::SendBatch(std::size_t max_messages, std::size_t max_iovecs)
    : msgs_(max_messages), iovs_(max_iovecs), names_(max_messages) {}

static_assert(sizeof(sockaddr_ll) <= sizeof(sockaddr_in6), "SendBatch/RecvBatch name slots");

bool SendBatch::Add(const sockaddr* destination, socklen_t destination_length,
                    std::span<const iovec> pieces) {
  if (count_ == msgs_.size() || iov_used_ + pieces.size() > iovs_.size() ||
      destination_length > sizeof(sockaddr_in6)) {
    return false;
  }
  std::memcpy(&names_[count_], destination, destination_length);
  for (std::size_t i = 0; i < pieces.size(); ++i) iovs_[iov_used_ + i] = pieces[i];
  msghdr& h = msgs_[count_].msg_hdr;
  h = {};
  h.msg_name = &names_[count_];
  h.msg_namelen = destination_length;
  h.msg_iov = &iovs_[iov_used_];
  h.msg_iovlen = pieces.size();
  iov_used_ += pieces.size();
  ++count_;
  return true;
}

SendResult SendBatch::Flush(int fd, int wait_ms) {
  SendResult r;
  std::size_t next = 0;
  while (next < count_) {
    const int n = ::sendmmsg(fd, msgs_.data() + next, static_cast<unsigned>(count_ - next), MSG_DONTWAIT);
    if (n > 0) {
      for (std::size_t i = next; i < next + static_cast<std::size_t>(n); ++i) r.bytes += msgs_[i].msg_len;
      r.sent += static_cast<std::size_t>(n);
      next += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The datagram at `next` was refused (EMSGSIZE, EHOSTUNREACH, ENOBUFS, ...): skip it.
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd, POLLOUT, 0};
      if (wait_ms > 0 && ::poll(&p, 1, wait_ms) > 0) continue;  // room again: retry it
      ++r.would_block;
    } else {
      ++r.failed;
      r.last_error = errno;
    }
    ++next;
  }
  count_ = 0;
  iov_used_ = 0;
  return r;
}

}  // namespace nvgre::io
