// A TAP device with virtio_net_hdr framing (Linux Documentation/networking/tuntap.rst): the VM
// side of nvgred. Every frame read or written is preceded by a 12-byte vnet header
// (TUNSETVNETHDRSZ), and the offloads the VM's kernel may use toward us (partial checksums,
// TSO, USO) are negotiated with TUNSETOFFLOAD.
//
//   TapOptions o{.name = "nvtap1", .queues = 2, .mac = ..., .mtu = 1458, .netns = "vm1"};
//   auto opened = Tap::Open(o);
//   if (auto* e = std::get_if<IoError>(&opened)) return Fail(e->message);
//   Tap& tap = std::get<Tap>(opened);
//   int fd = tap.queue_fd(worker);       // non-blocking, one per queue (IFF_MULTI_QUEUE)
//
// Creation: when no link of that name exists in our namespace, the TAP is created (not
// persistent: it disappears when the last queue is closed, so a crash leaves nothing behind),
// given the MAC and MTU, then moved into `netns` if one is set (the move takes the link down;
// the namespace's owner brings it up), else brought up. An existing TAP is attached to (IFF_
// flags must be compatible), given the MTU, and left in place when closed.
// Offloads: TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, plus TUN_F_USO4 | TUN_F_USO6 when the kernel
// accepts them (6.2+); SetOffloads changes them later (e.g. when the adapter's LSO is off).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"  // IoError
#include "nvgre/wire/ethernet.h"

namespace nvgre::io {

// linux/if_tun.h of kernels 6.2+ (Debian 12's headers predate them).
inline constexpr unsigned kTunFCsum = 0x01;
inline constexpr unsigned kTunFTso4 = 0x02;
inline constexpr unsigned kTunFTso6 = 0x04;
inline constexpr unsigned kTunFUso4 = 0x20;
inline constexpr unsigned kTunFUso6 = 0x40;

struct TapOptions {
  std::string name;                 // 1..15 bytes
  unsigned queues = 1;              // > 1: IFF_MULTI_QUEUE, one fd per queue
  std::optional<wire::MacAddress> mac;
  std::uint32_t mtu = 0;            // 0: leave as is
  std::string netns;                // move into /run/netns/<netns> (created TAPs only)
  unsigned offloads = kTunFCsum | kTunFTso4 | kTunFTso6 | kTunFUso4 | kTunFUso6;
};

class Tap {
 public:
  static std::variant<Tap, IoError> Open(const TapOptions& options);
  Tap() = default;  // closed: no queues

  Tap(Tap&& other) noexcept;
  Tap& operator=(Tap&& other) noexcept;
  Tap(const Tap&) = delete;
  Tap& operator=(const Tap&) = delete;
  ~Tap();

  const std::string& name() const { return name_; }
  int queue_fd(unsigned queue) const { return fds_[queue]; }
  unsigned queues() const { return static_cast<unsigned>(fds_.size()); }
  bool created() const { return created_; }    // we created it (it goes when we close it)
  unsigned offloads() const { return offloads_; }  // TUN_F_* in force

  // TUNSETOFFLOAD; falls back to the set without USO when the kernel refuses USO.
  std::optional<IoError> SetOffloads(unsigned offloads);
  void Close();

 private:
  std::string name_;
  std::vector<int> fds_;
  bool created_ = false;
  unsigned offloads_ = 0;
};

}  // namespace nvgre::io
