// A single-producer single-consumer ring of fixed-size frame slots: how the worker that reads
// the underlay hands a frame to the worker that RSS chose for its flow (VPP's "handoff" nodes).
// Order within one ring is kept, so one flow (one producer, one consumer) is never reordered.
// The producer copies the frame into a slot (underlay frames are at most one MTU) and never
// blocks: a full ring is a counted drop. Lock-free: one acquire load and one release store per
// side per frame. Memory is allocated once, at construction.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "nvgre/offload/ndis_oob.h"
#include "nvgre/offload/rx_engine.h"

namespace nvgre::daemon {

// What travels with the frame: what the Rx engine decided, so the owner does not redo it.
struct HandoffInfo {
  offload::RxResult rx;             // checksum flags, RSS, VMQ, the frame's layout
  // The datagram is larger than the underlay MTU: the kernel merged segments (GRO) before we
  // read it, after validating their checksums; the merged TCP checksum is not recomputed, so
  // the Rx engine's inner TCP verdict does not apply.
  bool kernel_merged = false;
  std::uint16_t inner_l3_l4_length = 0;  // inner IP + transport header bytes (0: not located)
};

class HandoffRing {
 public:
  HandoffRing(std::size_t slots, std::size_t slot_bytes)
      : slots_(slots), slot_bytes_(slot_bytes),
        storage_(new std::uint8_t[slots * slot_bytes]()), entries_(new Entry[slots]()) {}

  // Producer. False when the ring is full or the frame is larger than a slot.
  bool Push(std::span<const std::uint8_t> frame, const HandoffInfo& info) {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == slots_ || frame.size() > slot_bytes_) {
      return false;
    }
    const std::size_t i = head % slots_;
    std::memcpy(storage_.get() + i * slot_bytes_, frame.data(), frame.size());
    entries_[i] = {frame.size(), info};
    head_.store(head + 1, std::memory_order_release);
    return true;
  }
  // Consumer: calls f(frame, info) for up to `max` frames, oldest first; returns how many. The
  // frame span is writable and valid only during the call.
  template <class F>
  std::size_t Drain(std::size_t max, F&& f) {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    const std::size_t head = head_.load(std::memory_order_acquire);
    std::size_t n = 0;
    for (; tail + n != head && n < max; ++n) {
      const std::size_t i = (tail + n) % slots_;
      f(std::span<std::uint8_t>(storage_.get() + i * slot_bytes_, entries_[i].length),
        entries_[i].info);
    }
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }
  bool empty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
  }

 private:
  struct Entry {
    std::size_t length;
    HandoffInfo info;
  };
  const std::size_t slots_, slot_bytes_;
  std::unique_ptr<std::uint8_t[]> storage_;
  std::unique_ptr<Entry[]> entries_;
  alignas(64) std::atomic<std::size_t> head_{0};
  alignas(64) std::atomic<std::size_t> tail_{0};
};

}  // namespace nvgre::daemon
