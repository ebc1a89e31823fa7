#include "nvgre/io/tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "nvgre/io/netlink.h"

namespace nvgre::io {
namespace {

constexpr int kVnetHdrSize = 12;  // struct virtio_net_hdr_v1 (virt/vnet.h kVnetHdrSize)

std::string Errno() { return std::strerror(errno); }

}  // namespace

std::variant<Tap, IoError> Tap::Open(const TapOptions& o) {
  if (o.name.empty() || o.name.size() >= IFNAMSIZ) return IoError{"tap name '" + o.name + "' invalid"};
  if (o.queues == 0) return IoError{o.name + ": at least one queue"};
  Tap tap;
  tap.name_ = o.name;
  tap.created_ = LinkIndex(o.name) == 0;
  const bool multi_queue = o.queues > 1;
  for (unsigned q = 0; q < o.queues; ++q) {
    const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return IoError{o.name + ": open /dev/net/tun: " + Errno()};
    tap.fds_.push_back(fd);
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, o.name.data(), o.name.size());
    ifr.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR |
                                       (multi_queue ? IFF_MULTI_QUEUE : 0));
    if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
      return IoError{o.name + ": TUNSETIFF" + (multi_queue ? " (multi-queue)" : "") + ": " +
                     Errno() + (tap.created_ ? "" : " (an existing link of that name must be a "
                                                    "TAP with the same queue mode)")};
    }
    int size = kVnetHdrSize;
    if (::ioctl(fd, TUNSETVNETHDRSZ, &size) < 0) return IoError{o.name + ": TUNSETVNETHDRSZ: " + Errno()};
  }
  if (auto e = tap.SetOffloads(o.offloads)) return *e;
  const int ifindex = LinkIndex(o.name);
  if (ifindex == 0) return IoError{o.name + ": no ifindex after creation"};
  if (tap.created_ && o.mac) {
    if (auto e = SetLinkAddress(ifindex, *o.mac)) return *e;
  }
  if (o.mtu != 0) {
    if (auto e = SetLinkMtu(ifindex, o.mtu)) return *e;
  }
  if (tap.created_ && !o.netns.empty()) {
    if (auto e = MoveLinkToNetns(ifindex, "/run/netns/" + o.netns)) return *e;
  } else if (o.netns.empty()) {
    if (auto e = SetLinkUp(ifindex, true)) return *e;
  }
  return tap;
}

std::optional<IoError> Tap::SetOffloads(unsigned offloads) {
  if (fds_.empty()) return IoError{name_ + ": closed"};
  unsigned want = offloads;
  if (::ioctl(fds_[0], TUNSETOFFLOAD, want) < 0) {
    // Kernels before 6.2 refuse the USO bits: retry without them.
    want &= ~(kTunFUso4 | kTunFUso6);
    if (::ioctl(fds_[0], TUNSETOFFLOAD, want) < 0) {
      return IoError{name_ + ": TUNSETOFFLOAD " + std::to_string(offloads) + ": " + Errno()};
    }
  }
  offloads_ = want;
  return std::nullopt;
}

Tap::Tap(Tap&& other) noexcept { *this = std::move(other); }

Tap& Tap::operator=(Tap&& other) noexcept {
  if (this != &other) {
    Close();
    name_ = std::move(other.name_);
    fds_ = std::exchange(other.fds_, {});
    created_ = other.created_;
    offloads_ = other.offloads_;
  }
  return *this;
}

Tap::~Tap() { Close(); }

void Tap::Close() {
  for (int fd : fds_) ::close(fd);  // a TAP we created (not persistent) goes with its last fd
  fds_.clear();
}

}  // namespace nvgre::io
