#include "nvgre/io/netlink.h"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/neighbour.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "rtnl.h"

namespace nvgre::io {
namespace {

std::string Errno(int error) { return std::strerror(error); }

// One RTM_NEWLINK request: ifinfomsg for `ifindex`, then the attributes.
class LinkRequest {
 public:
  explicit LinkRequest(int ifindex, unsigned change_flags = 0, unsigned flags = 0) {
    nlmsghdr h{};
    h.nlmsg_type = RTM_NEWLINK;
    h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    h.nlmsg_seq = 1;
    Append(&h, sizeof h);
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    ifi.ifi_index = ifindex;
    ifi.ifi_change = change_flags;
    ifi.ifi_flags = flags;
    Append(&ifi, sizeof ifi);
  }
  void Attribute(unsigned short type, const void* data, std::size_t size) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    Append(&a, sizeof a);
    Append(data, size);
  }
  std::optional<IoError> Send(const std::string& what) {
    nlmsghdr h{};
    std::memcpy(&h, bytes_.data(), sizeof h);
    h.nlmsg_len = static_cast<std::uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &h, sizeof h);
    const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) return IoError{what + ": netlink socket: " + Errno(errno)};
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    std::optional<IoError> result;
    if (::sendto(fd, bytes_.data(), bytes_.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0) {
      result = IoError{what + ": netlink send: " + Errno(errno)};
    } else {
      std::array<std::uint8_t, 4096> reply{};
      const ssize_t n = ::recv(fd, reply.data(), reply.size(), 0);
      if (n < 0) {
        result = IoError{what + ": netlink receive: " + Errno(errno)};
      } else if (static_cast<std::size_t>(n) >= sizeof(nlmsghdr) + sizeof(nlmsgerr)) {
        // The acknowledgement is an NLMSG_ERROR whose error is 0 on success.
        nlmsghdr rh{};
        std::memcpy(&rh, reply.data(), sizeof rh);
        if (rh.nlmsg_type == NLMSG_ERROR) {
          nlmsgerr err{};
          std::memcpy(&err, reply.data() + NLMSG_HDRLEN, sizeof err);
          if (err.error != 0) result = IoError{what + ": " + Errno(-err.error)};
        }
      } else {
        result = IoError{what + ": short netlink reply"};
      }
    }
    ::close(fd);
    return result;
  }

 private:
  void Append(const void* data, std::size_t size) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + size);
    while (bytes_.size() % 4 != 0) bytes_.push_back(0);  // NLMSG_ALIGN / RTA_ALIGN
  }
  std::vector<std::uint8_t> bytes_;
};

std::string LinkName(int ifindex) {
  std::array<char, IF_NAMESIZE> name{};
  if (::if_indextoname(static_cast<unsigned>(ifindex), name.data()) == nullptr) {
    return "ifindex " + std::to_string(ifindex);
  }
  return name.data();
}

}  // namespace

std::optional<IoError> SetLinkMtu(int ifindex, std::uint32_t mtu) {
  LinkRequest r(ifindex);
  r.Attribute(IFLA_MTU, &mtu, sizeof mtu);
  return r.Send(LinkName(ifindex) + ": set mtu " + std::to_string(mtu));
}

std::optional<IoError> SetLinkAddress(int ifindex, const wire::MacAddress& mac) {
  LinkRequest r(ifindex);
  r.Attribute(IFLA_ADDRESS, mac.data(), mac.size());
  return r.Send(LinkName(ifindex) + ": set address " + wire::FormatMac(mac));
}

std::optional<IoError> SetLinkUp(int ifindex, bool up) {
  LinkRequest r(ifindex, static_cast<unsigned>(IFF_UP), up ? static_cast<unsigned>(IFF_UP) : 0u);
  return r.Send(LinkName(ifindex) + (up ? ": set up" : ": set down"));
}

std::optional<IoError> MoveLinkToNetns(int ifindex, const std::string& netns_path) {
  const int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  const std::string what = LinkName(ifindex) + ": move to " + netns_path;
  if (ns < 0) return IoError{what + ": " + Errno(errno)};
  LinkRequest r(ifindex);
  const std::uint32_t fd = static_cast<std::uint32_t>(ns);
  r.Attribute(IFLA_NET_NS_FD, &fd, sizeof fd);
  auto result = r.Send(what);
  ::close(ns);
  return result;
}

int LinkIndex(const std::string& name) {
  return static_cast<int>(::if_nametoindex(name.c_str()));
}

std::string FormatAddress(const IpAddress& address) {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&address)) return wire::FormatIpv4(*v4);
  return wire::FormatIpv6(std::get<wire::Ipv6Address>(address));
}

bool LinkInfo::up() const { return (flags & IFF_UP) != 0; }
// IFF_LOWER_UP is in <linux/if.h>, which clashes with glibc's <net/if.h>: RFC 2863 carrier.
bool LinkInfo::lower_up() const { return (flags & 0x10000u) != 0; }
bool LinkInfo::running() const { return (flags & IFF_RUNNING) != 0; }

namespace {

using rtnl::AttributeValue;
using rtnl::ForEachAttribute;

struct AddressBytes {
  unsigned char family = AF_UNSPEC;
  std::array<std::uint8_t, 16> bytes{};
  std::size_t size = 0;
};

AddressBytes Bytes(const IpAddress& a) {
  AddressBytes b;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&a)) {
    b.family = AF_INET;
    std::copy(v4->begin(), v4->end(), b.bytes.begin());
    b.size = 4;
  } else {
    const auto& v6 = std::get<wire::Ipv6Address>(a);
    b.family = AF_INET6;
    std::copy(v6.begin(), v6.end(), b.bytes.begin());
    b.size = 16;
  }
  return b;
}

// An address attribute of a message of `family`: 4 bytes for AF_INET, 16 for AF_INET6.
std::optional<IpAddress> AddressOf(int family, std::span<const std::uint8_t> d) {
  if (family == AF_INET && d.size() == 4) {
    wire::Ipv4Address a{};
    std::copy(d.begin(), d.end(), a.begin());
    return a;
  }
  if (family == AF_INET6 && d.size() == 16) {
    wire::Ipv6Address a{};
    std::copy(d.begin(), d.end(), a.begin());
    return a;
  }
  return std::nullopt;
}

std::string ReplyError(const std::string& what, const rtnl::RtnlReply& r) {
  std::string text = what + ": " + std::strerror(r.error);
  if (!r.where.empty()) text += " (" + r.where + ")";
  return text;
}

}  // namespace

std::variant<LinkInfo, IoError> GetLink(int ifindex) {
  const std::string what = "link " + LinkName(ifindex);
  if (ifindex <= 0) return IoError{what + ": no such interface"};
  rtnl::RtnlRequest link(RTM_GETLINK, NLM_F_REQUEST);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  link.Fixed(ifi);
  const rtnl::RtnlReply r = link.Transact();
  if (r.error != 0) return IoError{ReplyError(what, r)};
  LinkInfo info;
  bool found = false;
  for (const rtnl::RtnlMessage& m : r.messages) {
    ifinfomsg got{};
    if (m.type != RTM_NEWLINK || !m.Fixed(got) || got.ifi_index != ifindex) continue;
    found = true;
    info.ifindex = got.ifi_index;
    info.type = got.ifi_type;
    info.flags = got.ifi_flags;
    ForEachAttribute(m.Body(sizeof got), [&](std::uint16_t type, std::span<const std::uint8_t> d) {
      switch (type) {
        case IFLA_IFNAME: info.name.assign(d.begin(), std::find(d.begin(), d.end(), 0)); break;
        case IFLA_ADDRESS:
          if (d.size() == 6) {
            info.has_mac = true;
            std::copy(d.begin(), d.end(), info.mac.begin());
          }
          break;
        case IFLA_BROADCAST:
          if (d.size() == 6) std::copy(d.begin(), d.end(), info.broadcast.begin());
          break;
        case IFLA_MTU: info.mtu = AttributeValue<std::uint32_t>(d); break;
        case IFLA_OPERSTATE: info.operstate = AttributeValue<std::uint8_t>(d); break;
        case IFLA_PROMISCUITY: info.promiscuity = AttributeValue<std::uint32_t>(d); break;
        case IFLA_NUM_TX_QUEUES: info.tx_queues = AttributeValue<std::uint32_t>(d); break;
        case IFLA_NUM_RX_QUEUES: info.rx_queues = AttributeValue<std::uint32_t>(d); break;
        case IFLA_MASTER: info.master = static_cast<int>(AttributeValue<std::uint32_t>(d)); break;
        default: break;
      }
    });
  }
  if (!found) return IoError{what + ": no RTM_NEWLINK in the kernel's answer"};

  rtnl::RtnlRequest addresses(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_UNSPEC;
  ifa.ifa_index = static_cast<std::uint32_t>(ifindex);
  addresses.Fixed(ifa);
  const rtnl::RtnlReply a = addresses.Transact();
  if (a.error != 0) return IoError{ReplyError(what + ": addresses", a)};
  for (const rtnl::RtnlMessage& m : a.messages) {
    ifaddrmsg got{};
    if (m.type != RTM_NEWADDR || !m.Fixed(got) || got.ifa_index != static_cast<std::uint32_t>(ifindex)) {
      continue;
    }
    // IPv4: IFA_LOCAL is our address (IFA_ADDRESS is the peer's on point-to-point links).
    std::optional<IpAddress> local, address;
    ForEachAttribute(m.Body(sizeof got), [&](std::uint16_t type, std::span<const std::uint8_t> d) {
      if (type == IFA_LOCAL) local = AddressOf(got.ifa_family, d);
      if (type == IFA_ADDRESS) address = AddressOf(got.ifa_family, d);
    });
    const std::optional<IpAddress>& chosen = local ? local : address;
    if (!chosen) continue;
    if (const auto* v4 = std::get_if<wire::Ipv4Address>(&*chosen)) {
      info.ipv4.push_back(*v4);
    } else {
      info.ipv6.push_back(std::get<wire::Ipv6Address>(*chosen));
    }
  }
  return info;
}

RouteLookup LookupRoute(const IpAddress& destination) {
  const AddressBytes dst = Bytes(destination);
  rtnl::RtnlRequest req(RTM_GETROUTE, NLM_F_REQUEST);
  rtmsg rtm{};
  rtm.rtm_family = dst.family;
  rtm.rtm_dst_len = static_cast<unsigned char>(dst.size * 8);
  req.Fixed(rtm);
  req.Attribute(RTA_DST, dst.bytes.data(), dst.size);
  const rtnl::RtnlReply r = req.Transact();
  RouteLookup out;
  const std::string what = "route to " + FormatAddress(destination);
  if (r.error != 0) {
    out.error = r.error;
    out.message = ReplyError(what, r);
    return out;
  }
  for (const rtnl::RtnlMessage& m : r.messages) {
    rtmsg got{};
    if (m.type != RTM_NEWROUTE || !m.Fixed(got)) continue;
    RouteInfo& route = out.route;
    route.type = got.rtm_type;
    route.table = got.rtm_table;
    ForEachAttribute(m.Body(sizeof got), [&](std::uint16_t type, std::span<const std::uint8_t> d) {
      switch (type) {
        case RTA_OIF: route.oif = static_cast<int>(AttributeValue<std::uint32_t>(d)); break;
        case RTA_GATEWAY: route.gateway = AddressOf(got.rtm_family, d); break;
        case RTA_VIA:
          // struct rtvia: a u16 family, then the address.
          if (d.size() >= 2) {
            std::uint16_t family = 0;
            std::memcpy(&family, d.data(), 2);
            route.gateway = AddressOf(family, d.subspan(2));
          }
          break;
        case RTA_PREFSRC: route.preferred_source = AddressOf(got.rtm_family, d); break;
        case RTA_TABLE: route.table = AttributeValue<std::uint32_t>(d); break;
        case RTA_METRICS:
          ForEachAttribute(d, [&](std::uint16_t metric, std::span<const std::uint8_t> v) {
            if (metric == RTAX_MTU) route.mtu = AttributeValue<std::uint32_t>(v);
          });
          break;
        default: break;
      }
    });
    return out;
  }
  out.error = EIO;
  out.message = what + ": no RTM_NEWROUTE in the kernel's answer";
  return out;
}

NeighborLookup LookupNeighbor(const IpAddress& address, int ifindex) {
  const AddressBytes a = Bytes(address);
  rtnl::RtnlRequest req(RTM_GETNEIGH, NLM_F_REQUEST);
  ndmsg ndm{};
  ndm.ndm_family = a.family;
  ndm.ndm_ifindex = ifindex;
  req.Fixed(ndm);
  req.Attribute(NDA_DST, a.bytes.data(), a.size);
  const rtnl::RtnlReply r = req.Transact();
  NeighborLookup out;
  const std::string what = "neighbour " + FormatAddress(address) + " on " + LinkName(ifindex);
  if (r.error != 0) {
    out.error = r.error;
    out.message = ReplyError(what, r);
    return out;
  }
  for (const rtnl::RtnlMessage& m : r.messages) {
    ndmsg got{};
    if (m.type != RTM_NEWNEIGH || !m.Fixed(got)) continue;
    out.state = got.ndm_state;
    out.flags = got.ndm_flags;
    ForEachAttribute(m.Body(sizeof got), [&](std::uint16_t type, std::span<const std::uint8_t> d) {
      if (type == NDA_LLADDR && d.size() == 6) {
        out.has_mac = true;
        std::copy(d.begin(), d.end(), out.mac.begin());
      }
    });
    return out;
  }
  out.error = EIO;
  out.message = what + ": no RTM_NEWNEIGH in the kernel's answer";
  return out;
}

std::optional<IoError> RequestNeighborResolution(const IpAddress& address, int ifindex) {
  const AddressBytes a = Bytes(address);
  rtnl::RtnlRequest req(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_CREATE);
  ndmsg ndm{};
  ndm.ndm_family = a.family;
  ndm.ndm_ifindex = ifindex;
  ndm.ndm_state = NUD_NONE;  // a plain, garbage-collectable entry (not NUD_PERMANENT)
  ndm.ndm_flags = NTF_USE;   // neigh_event_send(): resolve as if a packet were waiting
  req.Fixed(ndm);
  req.Attribute(NDA_DST, a.bytes.data(), a.size);
  const rtnl::RtnlReply r = req.Transact();
  if (r.error != 0) {
    return IoError{ReplyError("resolve neighbour " + FormatAddress(address) + " on " + LinkName(ifindex), r)};
  }
  return std::nullopt;
}

}  // namespace nvgre::io
