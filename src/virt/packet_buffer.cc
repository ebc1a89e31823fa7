// PacketBuffer: see packet_buffer.h.
#include "nvgre/virt/packet_buffer.h"

#include <algorithm>

namespace nvgre::virt {

PacketBuffer::PacketBuffer(std::size_t capacity, std::size_t headroom)
    : storage_(std::make_unique<std::uint8_t[]>(headroom + capacity)),
      storage_size_(headroom + capacity),
      head_(headroom) {}

bool PacketBuffer::Assign(std::span<const std::uint8_t> bytes, std::size_t headroom) {
  if (headroom > storage_size_ || bytes.size() > storage_size_ - headroom) return false;
  head_ = headroom;
  size_ = bytes.size();
  std::copy(bytes.begin(), bytes.end(), storage_.get() + head_);
  return true;
}

}  // namespace nvgre::virt
