#include "rtnl.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

namespace nvgre::io::rtnl {
namespace {

constexpr std::size_t kNlHeader = NLMSG_HDRLEN;  // 16
std::atomic<std::uint32_t> next_sequence{1};

std::size_t Align4(std::size_t n) { return (n + 3u) & ~std::size_t{3}; }

class Socket {
 public:
  Socket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::span<const std::uint8_t> RtnlMessage::Body(std::size_t fixed) const {
  const std::size_t start = Align4(fixed);
  if (payload.size() < start) return {};
  return std::span<const std::uint8_t>(payload).subspan(start);
}

RtnlRequest::RtnlRequest(std::uint16_t type, std::uint16_t flags) {
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  Append(&h, sizeof h);
}

void RtnlRequest::Attribute(std::uint16_t type, const void* data, std::size_t size) {
  const auto length = static_cast<std::uint16_t>(4 + size);  // rtattr: length, type, data
  std::uint8_t header[4];
  std::memcpy(header, &length, 2);
  std::memcpy(header + 2, &type, 2);
  bytes_.insert(bytes_.end(), header, header + 4);
  Append(data, size);
}

void RtnlRequest::Append(const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  bytes_.insert(bytes_.end(), p, p + size);
  bytes_.resize(Align4(bytes_.size()), 0);  // NLMSG_ALIGN / RTA_ALIGN
}

RtnlReply RtnlRequest::Transact() {
  RtnlReply reply;
  const auto fail = [&reply](const char* where) {
    reply.error = errno != 0 ? errno : EIO;
    reply.where = where;
    return reply;
  };
  nlmsghdr h{};
  std::memcpy(&h, bytes_.data(), sizeof h);
  const bool dump = (h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump) h.nlmsg_flags = static_cast<std::uint16_t>(h.nlmsg_flags | NLM_F_ACK);
  h.nlmsg_len = static_cast<std::uint32_t>(bytes_.size());
  h.nlmsg_seq = next_sequence.fetch_add(1, std::memory_order_relaxed);
  std::memcpy(bytes_.data(), &h, sizeof h);

  Socket s;
  if (s.fd() < 0) return fail("netlink socket");
  const int one = 1;
  // Extended acks carry the kernel's error text; capped acks do not echo our request back.
  ::setsockopt(s.fd(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(s.fd(), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(s.fd(), bytes_.data(), bytes_.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return fail("netlink send");
  }
  std::vector<std::uint8_t> buffer(64 * 1024);
  for (;;) {
    pollfd p{s.fd(), POLLIN, 0};
    const int ready = ::poll(&p, 1, kRtnlTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      if (ready == 0) errno = ETIMEDOUT;
      return fail("netlink receive");
    }
    const ssize_t n = ::recv(s.fd(), buffer.data(), buffer.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("netlink receive");
    }
    if (static_cast<std::size_t>(n) > buffer.size()) {
      errno = EMSGSIZE;
      return fail("netlink receive (datagram larger than 64 KiB)");
    }
    std::span<const std::uint8_t> rest(buffer.data(), static_cast<std::size_t>(n));
    while (rest.size() >= kNlHeader) {
      nlmsghdr m{};
      std::memcpy(&m, rest.data(), sizeof m);
      if (m.nlmsg_len < kNlHeader || m.nlmsg_len > rest.size()) break;  // malformed: drop the rest
      const auto payload = rest.subspan(kNlHeader, m.nlmsg_len - kNlHeader);
      rest = rest.subspan(std::min(rest.size(), Align4(m.nlmsg_len)));
      if (m.nlmsg_seq != h.nlmsg_seq) continue;  // not ours
      if (m.nlmsg_type == NLMSG_DONE) return reply;
      if (m.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr e{};
        if (payload.size() < sizeof e) {
          reply.error = EIO;
          reply.where = "short netlink error message";
          return reply;
        }
        std::memcpy(&e, payload.data(), sizeof e);
        reply.error = -e.error;  // 0: the acknowledgement
        if (e.error != 0 && (m.nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
          // With NETLINK_CAP_ACK the echoed request is just its header.
          const std::size_t tlvs = sizeof e;
          if (payload.size() > tlvs) {
            ForEachAttribute(payload.subspan(tlvs), [&](std::uint16_t type, std::span<const std::uint8_t> d) {
              if (type == NLMSGERR_ATTR_MSG && !d.empty()) {
                reply.where.assign(d.begin(), d.end());
                while (!reply.where.empty() && reply.where.back() == '\0') reply.where.pop_back();
              }
            });
          }
        }
        return reply;
      }
      RtnlMessage out;
      out.type = m.nlmsg_type;
      out.flags = m.nlmsg_flags;
      out.payload.assign(payload.begin(), payload.end());
      reply.messages.push_back(std::move(out));
    }
  }
}

}  // namespace nvgre::io::rtnl
