#include "nvgre/io/netlink.h"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

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

}  // namespace nvgre::io
