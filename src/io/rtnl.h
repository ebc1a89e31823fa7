// Private to src/io: one rtnetlink (RFC 3549, Linux rtnetlink(7)) transaction at a time, and
// bounds-checked readers for what comes back. Used by netlink.cc (links, addresses, routes,
// neighbours) and neighbor_resolver.cc. Control-plane only: allocates, blocks (at most
// kRtnlTimeoutMs per receive), never throws.
//
//   RtnlRequest r(RTM_GETROUTE, NLM_F_REQUEST);
//   r.Fixed(rtm);                                   // the family header (rtmsg, ndmsg, ...)
//   r.Attribute(RTA_DST, address.data(), 4);
//   RtnlReply reply = r.Transact();                 // reply.error: 0 or a positive errno
//   for (const RtnlMessage& m : reply.messages) ForEachAttribute(m.Body(sizeof(rtmsg)), ...);
//
// Messages and attributes are read with memcpy into the kernel's (trivially copyable) structs
// after the length checks, never by casting the buffer.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace nvgre::io::rtnl {

inline constexpr int kRtnlTimeoutMs = 2000;

struct RtnlMessage {
  std::uint16_t type = 0;
  std::uint16_t flags = 0;
  std::vector<std::uint8_t> payload;  // everything after the nlmsghdr

  // The payload after a fixed family header of `fixed` bytes (NLMSG_ALIGNed), or empty.
  std::span<const std::uint8_t> Body(std::size_t fixed) const;
  // Copies the fixed family header out; false when the payload is shorter.
  template <class T>
  bool Fixed(T& out) const {
    if (payload.size() < sizeof(T)) return false;
    std::memcpy(&out, payload.data(), sizeof(T));
    return true;
  }
};

struct RtnlReply {
  int error = 0;          // 0, or a positive errno (from the kernel's NLMSG_ERROR or a syscall)
  std::string where;      // when error != 0 and it came from a syscall: which one
  std::vector<RtnlMessage> messages;  // data messages (not NLMSG_ERROR / NLMSG_DONE)
};

class RtnlRequest {
 public:
  RtnlRequest(std::uint16_t type, std::uint16_t flags);
  template <class T>
  void Fixed(const T& header) { Append(&header, sizeof header); }
  void Attribute(std::uint16_t type, const void* data, std::size_t size);
  // Sends the request on a fresh NETLINK_ROUTE socket of the calling thread's network namespace
  // and reads until the answer is complete: one message, an ACK, or a dump's NLMSG_DONE.
  RtnlReply Transact();

 private:
  void Append(const void* data, std::size_t size);
  std::vector<std::uint8_t> bytes_;
};

// Calls fn(type, data) for each well-formed attribute of `attrs` (rtattr TLVs); stops at the
// first one whose length is impossible.
template <class Fn>
void ForEachAttribute(std::span<const std::uint8_t> attrs, Fn&& fn) {
  constexpr std::size_t kHeader = 4;  // rtattr: u16 length (header included), u16 type
  while (attrs.size() >= kHeader) {
    std::uint16_t length = 0, type = 0;
    std::memcpy(&length, attrs.data(), 2);
    std::memcpy(&type, attrs.data() + 2, 2);
    if (length < kHeader || length > attrs.size()) return;
    fn(static_cast<std::uint16_t>(type & NLA_TYPE_MASK), attrs.subspan(kHeader, length - kHeader));
    const std::size_t aligned = (static_cast<std::size_t>(length) + 3u) & ~std::size_t{3};
    if (aligned >= attrs.size()) return;
    attrs = attrs.subspan(aligned);
  }
}

// A native-endian integer attribute, or `fallback` when the size is wrong.
template <class T>
T AttributeValue(std::span<const std::uint8_t> data, T fallback = T{}) {
  if (data.size() != sizeof(T)) return fallback;
  T v{};
  std::memcpy(&v, data.data(), sizeof v);
  return v;
}

}  // namespace nvgre::io::rtnl
