// PacketBuffer: one packet in contiguous storage with headroom in front of it, so that NVGRE
// encapsulation prepends the outer headers (42 bytes for Ethernet + IPv4 + GRE, at most 66 with
// an outer VLAN tag and IPv6) without moving the inner frame, and decapsulation strips them by
// moving the start forward (Seastar's packet, Folly's IOBuf, gopacket's SerializeBuffer).
//
//   PacketBuffer pkt(2048);                         // the only allocation: 128 + 2048 bytes
//   pkt.Assign(inner_frame);                        // copy in, 128 bytes of headroom in front
//   auto r = EncapsulateInPlace(pkt, config, next_ipv4_id);   // virt/encap.h
//   if (r) Send(pkt.data());                        // outer headers + inner frame
//
//     storage: [ headroom | data() ............ | tailroom ]
//                         ^ head                ^ head + size
//
// Prepend(n) moves the head back by n bytes and returns them (their contents are whatever was
// there: the caller writes them); Pull(n) moves it forward. Nothing here allocates after
// construction, throws, or does I/O. Move-only.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

namespace nvgre::virt {

class PacketBuffer {
 public:
  // The style guide's minimum: room for any outer header stack with space to spare.
  static constexpr std::size_t kDefaultHeadroom = 128;

  // Allocates headroom + capacity bytes (zeroed) once; the packet starts empty at `headroom`.
  explicit PacketBuffer(std::size_t capacity, std::size_t headroom = kDefaultHeadroom);
  // A moved-from buffer is empty with no storage (headroom and tailroom 0).
  PacketBuffer(PacketBuffer&& other) noexcept { *this = std::move(other); }
  PacketBuffer& operator=(PacketBuffer&& other) noexcept {
    if (this != &other) {
      storage_ = std::move(other.storage_);
      storage_size_ = std::exchange(other.storage_size_, 0);
      head_ = std::exchange(other.head_, 0);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  PacketBuffer(const PacketBuffer&) = delete;
  PacketBuffer& operator=(const PacketBuffer&) = delete;

  std::span<std::uint8_t> data() { return {storage_.get() + head_, size_}; }
  std::span<const std::uint8_t> data() const { return {storage_.get() + head_, size_}; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t headroom() const { return head_; }                          // free bytes in front
  std::size_t tailroom() const { return storage_size_ - head_ - size_; }  // free bytes after
  std::size_t storage_size() const { return storage_size_; }

  // Makes the packet a copy of `bytes` placed `headroom` bytes into the storage. Returns false,
  // leaving the buffer unchanged, when headroom + bytes.size() > storage_size().
  // Precondition: `bytes` does not overlap this buffer's storage.
  bool Assign(std::span<const std::uint8_t> bytes, std::size_t headroom = kDefaultHeadroom);
  // Grows the packet by n bytes at the front and returns them. Precondition: n <= headroom().
  std::span<std::uint8_t> Prepend(std::size_t n) {
    assert(n <= head_);
    head_ -= n;
    size_ += n;
    return {storage_.get() + head_, n};
  }
  // Removes n bytes from the front. Precondition: n <= size().
  void Pull(std::size_t n) {
    assert(n <= size_);
    head_ += n;
    size_ -= n;
  }
  // Grows the packet by n bytes at the back and returns them. Precondition: n <= tailroom().
  std::span<std::uint8_t> Append(std::size_t n) {
    assert(n <= tailroom());
    size_ += n;
    return {storage_.get() + head_ + size_ - n, n};
  }
  // Keeps the first n bytes (drops e.g. Ethernet padding). Precondition: n <= size().
  void Trim(std::size_t n) {
    assert(n <= size_);
    size_ = n;
  }
  // Empties the packet and puts its start `headroom` bytes into the storage.
  // Precondition: headroom <= storage_size().
  void Clear(std::size_t headroom = kDefaultHeadroom) {
    assert(headroom <= storage_size_);
    head_ = headroom;
    size_ = 0;
  }

 private:
  std::unique_ptr<std::uint8_t[]> storage_;
  std::size_t storage_size_ = 0;
  std::size_t head_ = 0;  // offset of data() in the storage
  std::size_t size_ = 0;
};

}  // namespace nvgre::virt
