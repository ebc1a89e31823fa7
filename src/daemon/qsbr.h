// Publishing immutable state to the workers without a lock on the packet path: quiescent-state
// based reclamation (QSBR, the flavour of read-copy-update liburcu and the Linux kernel's
// RCU-sched use).
//
//   Control thread                          Worker i
//   --------------                          --------
//   slot.Publish(new_state);                qsbr.Online(i);            // after waking up
//   qsbr.Synchronize();  // grace period    const State* s = slot.Read();
//   delete old_state;                       ... a batch of packets with s ...
//                                           qsbr.Quiescent(i);         // between batches
//                                           qsbr.Offline(i); epoll_wait(...);
//
// A worker holds no reference across a quiescent point, so once every worker has passed one
// (or is offline) after a Publish, nobody can still see the old state. The worker side is a
// handful of loads and stores per batch (sequentially consistent, so a worker that comes back
// online either is waited for or already sees the new pointer); Synchronize polls.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace nvgre::daemon {

class Qsbr {
 public:
  explicit Qsbr(std::size_t readers) : slots_(readers) {}

  void Online(std::size_t reader) { slots_[reader].seen.store(epoch_.load()); }
  void Quiescent(std::size_t reader) { slots_[reader].seen.store(epoch_.load()); }
  void Offline(std::size_t reader) { slots_[reader].seen.store(kOffline); }

  // Returns once every reader has been quiescent or offline since the call began.
  void Synchronize() {
    const std::uint64_t target = epoch_.fetch_add(1) + 1;
    for (auto& slot : slots_) {
      for (;;) {
        const std::uint64_t seen = slot.seen.load();
        if (seen == kOffline || seen >= target) break;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
  }

 private:
  static constexpr std::uint64_t kOffline = 0;
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> seen{kOffline};
  };
  std::atomic<std::uint64_t> epoch_{1};
  std::vector<Slot> slots_;
};

// One published pointer to immutable T; the writer keeps ownership.
template <class T>
class PublishedSlot {
 public:
  const T* Read() const { return ptr_.load(); }
  // Makes `next` current and returns the previous state, to be freed after qsbr.Synchronize().
  std::unique_ptr<const T> Publish(std::unique_ptr<const T> next) {
    std::unique_ptr<const T> previous(ptr_.exchange(next.release()));
    return previous;
  }
  ~PublishedSlot() { delete ptr_.load(); }

 private:
  std::atomic<const T*> ptr_{nullptr};
};

}  // namespace nvgre::daemon
