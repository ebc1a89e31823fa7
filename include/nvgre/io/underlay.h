// The underlay over raw IP sockets: the kernel routes and resolves neighbours, nvgred supplies
// whole IP packets (Linux raw(7), ipv6(7)).
//
//   receive  one socket per family for IP protocol / next header 47, bound to our provider
//            address: IPv4 delivers the IP header and payload; IPv6 delivers the payload only
//            (from the GRE header on), its header fields come as ancillary data (source,
//            destination, traffic class, hop limit). A datagram the kernel reassembled from
//            fragments is flagged (IP_RECVFRAGSIZE / IPV6_RECVFRAGSIZE): NVGRE receivers may
//            discard fragments (RFC 7637 §4) and nvgred does.
//   send     IPPROTO_RAW sockets (header included, IP_HDRINCL / IPV6_HDRINCL implied, and they
//            receive nothing): the packet goes out exactly as built, DF and all; one that
//            exceeds the route's MTU fails with EMSGSIZE rather than being fragmented.
//
//   RecvBatch rx(64, 2048, 64);
//   int n = rx.Receive(receiver.fd());             // recvmmsg, non-blocking
//   for (int i = 0; i < n; ++i) Use(rx.meta(i), rx.data(i));
//   SendBatch tx(256, 1024);
//   tx.Add(destination, {headers, payload...});    // false when full: Flush first
//   SendResult r = tx.Flush(sender.fd());          // sendmmsg until done
//
// I/O only: nothing here looks inside a packet. Batches allocate once, at construction.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"  // IoError
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::io {

inline constexpr int kIpProtoGre = 47;

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release() { int f = fd_; fd_ = -1; return f; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Receivers (non-blocking). `receive_buffer` bytes of socket buffer (SO_RCVBUFFORCE as root).
// Bound to `local` (only datagrams to that address), unless `bind_local` is false: a socket that
// also receives multicast groups must stay unbound, and the caller checks destinations.
std::variant<Fd, IoError> OpenGreReceiverIpv4(const wire::Ipv4Address& local, int receive_buffer,
                                              bool bind_local = true);
std::variant<Fd, IoError> OpenGreReceiverIpv6(const wire::Ipv6Address& local, int receive_buffer,
                                              bool bind_local = true);
// Joins `group` on the interface that holds `local` (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP).
std::optional<IoError> JoinGroup(int receiver, const wire::Ipv4Address& group,
                                 const wire::Ipv4Address& local);
std::optional<IoError> JoinGroup(int receiver, const wire::Ipv6Address& group,
                                 const wire::Ipv6Address& local);
// A sender's multicast datagrams leave by the interface that holds `local` and are not looped
// back to this host (IP_MULTICAST_IF / IPV6_MULTICAST_IF, IP(V6)_MULTICAST_LOOP 0).
std::optional<IoError> SetMulticastSource(int sender, const wire::Ipv4Address& local);
std::optional<IoError> SetMulticastSource(int sender, const wire::Ipv6Address& local);
// Senders (non-blocking): IPPROTO_RAW, header included.
std::variant<Fd, IoError> OpenRawSender(int family, int send_buffer);

// What the kernel told us about one received datagram (Receive) or frame (ReceiveFrames).
struct RxMeta {
  std::size_t length = 0;     // bytes in data()
  std::size_t offset = 0;     // where data() starts in buffer(): headroom, or headroom - 4 when
                              // ReceiveFrames put a stripped VLAN tag back
  bool truncated = false;     // longer than the buffer (MSG_TRUNC): data() is cut short
  bool reassembled = false;   // the kernel put it together from fragments (raw sockets only)
  bool ipv6 = false;
  // IPv6 only (the header is not delivered): from msg_name and ancillary data.
  wire::Ipv6Address source{};
  wire::Ipv6Address destination{};
  std::uint8_t traffic_class = 0;
  std::uint8_t hop_limit = 0;
  // AF_PACKET only (ReceiveFrames): from sockaddr_ll and PACKET_AUXDATA.
  std::size_t wire_length = 0;   // the frame's length as received (tp_len), tag included
  int ifindex = 0;
  std::uint8_t packet_type = 0;  // PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, ...
  bool vlan = false;             // the kernel had stripped an 802.1Q/802.1ad tag ...
  bool vlan_reinserted = false;  // ... and it is back in data() (always, given headroom >= 4)
  std::uint16_t vlan_tpid = 0;   // 0x8100 or 0x88a8
  std::uint16_t vlan_tci = 0;    // PCP, DEI, VID as on the wire
  bool checksum_not_ready = false;  // TP_STATUS_CSUMNOTREADY: CHECKSUM_PARTIAL, the sender's
                                    // stack left a checksum to offload (same-host veth peers)
  bool checksum_valid = false;      // TP_STATUS_CSUM_VALID: the driver verified the L4 checksum
};

class RecvBatch {
 public:
  // `capacity` datagrams of up to `buffer_size` bytes each, received at `headroom` bytes into
  // a buffer of headroom + buffer_size bytes (so headers can be prepended in place).
  RecvBatch(std::size_t capacity, std::size_t buffer_size, std::size_t headroom);
  // recvmmsg(MSG_DONTWAIT); returns the datagrams received (0 when none is waiting), or -errno.
  int Receive(int fd, bool ipv6);
  // The same from an AF_PACKET socket (packet_socket.h): whole Ethernet frames. A VLAN tag the
  // kernel stripped on receive (it always strips the outer one) is put back in place when the
  // headroom has 4 bytes for it, so data() holds the frame as it was on the wire.
  int ReceiveFrames(int fd);
  std::size_t capacity() const { return capacity_; }
  std::size_t headroom() const { return headroom_; }
  const RxMeta& meta(std::size_t i) const { return meta_[i]; }
  std::span<std::uint8_t> data(std::size_t i) {
    return {slot(i) + meta_[i].offset, meta_[i].length};
  }
  // The whole buffer of datagram i: headroom, then data(i), then unused bytes.
  std::span<std::uint8_t> buffer(std::size_t i) { return {slot(i), headroom_ + buffer_size_}; }

 private:
  std::uint8_t* slot(std::size_t i) { return storage_.get() + i * (headroom_ + buffer_size_); }
  std::size_t capacity_, buffer_size_, headroom_;
  std::unique_ptr<std::uint8_t[]> storage_;
  std::vector<RxMeta> meta_;
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  void Prepare();
  std::vector<sockaddr_in6> names_;   // large enough for sockaddr_ll too
  std::vector<std::array<std::uint8_t, 256>> controls_;
};

struct SendResult {
  std::size_t sent = 0;      // datagrams the kernel took
  std::size_t failed = 0;    // datagrams it refused (each skipped, the rest still sent)
  int last_error = 0;        // errno of the last refusal
  std::size_t bytes = 0;     // bytes of the datagrams sent
  std::size_t would_block = 0;  // datagrams dropped because the socket buffer was full
};

class SendBatch {
 public:
  SendBatch(std::size_t max_messages, std::size_t max_iovecs);
  // Queues one datagram to `destination` (sockaddr_in, sockaddr_in6, or sockaddr_ll for an
  // AF_PACKET sender: PacketDestination) made of `pieces`.
  // False (nothing queued) when the batch has no room: Flush, then Add again.
  bool Add(const sockaddr* destination, socklen_t destination_length,
           std::span<const iovec> pieces);
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // sendmmsg until every queued datagram is sent or refused; clears the batch. When the socket
  // buffer is full, waits up to `wait_ms` for room (poll POLLOUT) before giving a datagram up.
  SendResult Flush(int fd, int wait_ms = 0);

 private:
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_in6> names_;
  std::size_t count_ = 0, iov_used_ = 0;
};

}  // namespace nvgre::io
