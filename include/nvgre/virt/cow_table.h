// A flat hash table whose versions share storage: open addressing with linear probing, split by
// hash into shards, each shard copied on its first write in a new version (copy-on-write).
// It holds the lookup records the datapath reads (policy.h), so that a policy update with k
// changed records costs O(k) shard copies, not a rebuild of a million entries, and every
// lookup stays one hash, one shard pointer and a short probe whatever the size.
//
//   struct MacTraits {                         // what a table needs to know about its keys
//     using Key = ...; using Value = ...;      // trivially copyable; Key has operator==
//     static std::uint64_t Hash(const Key&);   // well mixed: the low bits pick the slot,
//                                              // bits 32.. pick the shard
//     static bool IsEmpty(const Key&);         // a key value that is never stored marks a free slot
//     static Key Empty();
//   };
//   CowTable<MacTraits> t;                     // the editor's working copy
//   t.Insert(k, v); t.Erase(k2);
//   auto published = std::make_shared<const CowTable<MacTraits>>(t);  // shares every shard
//   t.Insert(k3, v3);                          // clones only k3's shard; `published` unchanged
//   const Value* v = published->Find(k);       // readers: no lock, no allocation
//
// Threads: a version that nobody edits may be read by any number of threads. Copying a table
// (the copy constructor) freezes the shards both copies hold: the next write to one of them, in
// either copy, clones it first. Ownership is decided by a per-table generation number stamped
// on each shard it created, never by shared_ptr::use_count(), so a reader dropping its last
// reference on another thread cannot race with the writer's decision.
// Sizes: a shard holds at most kMaxPerShard entries on average before the table doubles its
// shard count twice (a rehash of everything, amortised O(1) per insert); a shard's slot array
// stays between 1/8 and 3/4 full (backward-shift deletion, no tombstones).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <vector>

namespace nvgre::virt {

template <class Traits>
class CowTable {
 public:
  using Key = typename Traits::Key;
  using Value = typename Traits::Value;
  struct Slot {
    Key key;
    Value value;
  };
  static_assert(std::is_trivially_copyable_v<Slot>);

  static constexpr std::size_t kMaxPerShard = 1024;  // average entries per shard before a reshard
  static constexpr std::size_t kMinPerShard = 64;    // below this (with > 1 shard): fewer shards
  static constexpr std::uint32_t kMaxShardBits = 20;

  CowTable() : generation_(NextGeneration()) { Reshard(0); }
  CowTable(const CowTable& other)
      : shards_(other.shards_), shard_mask_(other.shard_mask_), size_(other.size_),
        generation_(NextGeneration()) {
    other.generation_ = NextGeneration();  // the shards are shared now: both copies clone on write
  }
  CowTable& operator=(const CowTable& other) {
    if (this != &other) {
      shards_ = other.shards_;
      shard_mask_ = other.shard_mask_;
      size_ = other.size_;
      generation_ = NextGeneration();
      other.generation_ = NextGeneration();
    }
    return *this;
  }
  CowTable(CowTable&&) noexcept = default;
  CowTable& operator=(CowTable&&) noexcept = default;

  // ---- reading (any thread, on a version nobody edits) ----
  const Value* Find(const Key& key) const noexcept {
    const std::uint64_t h = Traits::Hash(key);
    const Shard& s = *shards_[ShardIndex(h)];
    for (std::uint32_t i = static_cast<std::uint32_t>(h) & s.mask;; i = (i + 1) & s.mask) {
      const Slot& slot = s.slots[i];
      if (Traits::IsEmpty(slot.key)) return nullptr;
      if (slot.key == key) return &slot.value;
    }
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t shard_count() const { return shards_.size(); }
  // Bytes of slot storage (what a per-record memory budget counts), shared shards included.
  std::size_t slot_bytes() const {
    std::size_t n = 0;
    for (const auto& s : shards_) n += (static_cast<std::size_t>(s->mask) + 1) * sizeof(Slot);
    return n;
  }
  // How many shards this version shares with `other` (the same storage at the same index).
  std::size_t SharedShards(const CowTable& other) const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shards_.size() && i < other.shards_.size(); ++i) {
      n += shards_[i] == other.shards_[i];
    }
    return n;
  }
  // f(const Key&, const Value&) for every entry, in no particular order.
  template <class F>
  void ForEach(F&& f) const {
    for (const auto& s : shards_) {
      for (std::uint32_t i = 0; i <= s->mask; ++i) {
        if (!Traits::IsEmpty(s->slots[i].key)) f(s->slots[i].key, s->slots[i].value);
      }
    }
  }

  // ---- editing (one thread, on a table no reader sees) ----
  // Inserts or replaces; returns true when the key was new. Precondition: !IsEmpty(key).
  bool Insert(const Key& key, const Value& value) {
    const std::uint64_t h = Traits::Hash(key);
    Shard& s = Writable(ShardIndex(h));
    for (std::uint32_t i = static_cast<std::uint32_t>(h) & s.mask;; i = (i + 1) & s.mask) {
      Slot& slot = s.slots[i];
      if (Traits::IsEmpty(slot.key)) break;
      if (slot.key == key) {
        slot.value = value;
        return false;
      }
    }
    if ((static_cast<std::size_t>(s.used) + 1) * 4 > (static_cast<std::size_t>(s.mask) + 1) * 3) {
      Rehash(s, (s.mask + 1) * 2);
    }
    Place(s, key, value, h);
    ++s.used;
    ++size_;
    if (size_ > shards_.size() * kMaxPerShard && ShardBits() + 2 <= kMaxShardBits) {
      Reshard(ShardBits() + 2);
    }
    return true;
  }

  // Returns true when the key was there.
  bool Erase(const Key& key) {
    const std::uint64_t h = Traits::Hash(key);
    const std::size_t si = ShardIndex(h);
    {
      // Look before cloning: erasing an absent key must not copy a shared shard.
      const Shard& r = *shards_[si];
      std::uint32_t i = static_cast<std::uint32_t>(h) & r.mask;
      for (;; i = (i + 1) & r.mask) {
        if (Traits::IsEmpty(r.slots[i].key)) return false;
        if (r.slots[i].key == key) break;
      }
    }
    Shard& s = Writable(si);
    std::uint32_t i = static_cast<std::uint32_t>(h) & s.mask;
    while (!(s.slots[i].key == key)) i = (i + 1) & s.mask;
    // Backward-shift deletion (Knuth 6.4 Algorithm R): pull later entries of the probe run
    // into the hole unless their home slot lies cyclically after the hole.
    std::uint32_t hole = i;
    for (std::uint32_t j = (i + 1) & s.mask; !Traits::IsEmpty(s.slots[j].key); j = (j + 1) & s.mask) {
      const std::uint32_t home = static_cast<std::uint32_t>(Traits::Hash(s.slots[j].key)) & s.mask;
      const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        s.slots[hole] = s.slots[j];
        hole = j;
      }
    }
    s.slots[hole].key = Traits::Empty();
    --s.used;
    --size_;
    if (s.mask + 1 > kMinSlots && static_cast<std::size_t>(s.used) * 8 < static_cast<std::size_t>(s.mask) + 1) {
      Rehash(s, (s.mask + 1) / 2);
    }
    if (ShardBits() >= 2 && size_ < shards_.size() * kMinPerShard) Reshard(ShardBits() - 2);
    return true;
  }

  void Clear() {
    shards_.clear();  // nothing to carry over
    size_ = 0;
    Reshard(0);
  }

 private:
  static constexpr std::uint32_t kMinSlots = 8;
  struct Shard {
    std::uint32_t mask = 0;       // slots - 1 (a power of two minus one)
    std::uint32_t used = 0;
    std::uint64_t owner = 0;      // the generation of the table that may write it in place
    std::unique_ptr<Slot[]> slots;
  };

  static std::uint64_t NextGeneration() {
    static std::atomic<std::uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
  std::size_t ShardIndex(std::uint64_t h) const { return static_cast<std::size_t>(h >> 32) & shard_mask_; }
  std::uint32_t ShardBits() const {
    std::uint32_t b = 0;
    while ((std::size_t{1} << b) < shards_.size()) ++b;
    return b;
  }

  static std::shared_ptr<Shard> NewShard(std::uint32_t slots, std::uint64_t owner) {
    auto s = std::make_shared<Shard>();
    s->mask = slots - 1;
    s->owner = owner;
    s->slots = std::make_unique<Slot[]>(slots);
    for (std::uint32_t i = 0; i < slots; ++i) s->slots[i].key = Traits::Empty();
    return s;
  }
  // The shard at `i`, cloned first unless this table created it since its last copy.
  Shard& Writable(std::size_t i) {
    if (shards_[i]->owner != generation_) {
      const Shard& old = *shards_[i];
      auto copy = std::make_shared<Shard>();
      copy->mask = old.mask;
      copy->used = old.used;
      copy->owner = generation_;
      copy->slots = std::make_unique<Slot[]>(static_cast<std::size_t>(old.mask) + 1);
      std::copy(old.slots.get(), old.slots.get() + old.mask + 1, copy->slots.get());
      shards_[i] = copy;
    }
    return const_cast<Shard&>(*shards_[i]);  // created by this table: not shared
  }
  static void Place(Shard& s, const Key& key, const Value& value, std::uint64_t h) {
    std::uint32_t i = static_cast<std::uint32_t>(h) & s.mask;
    while (!Traits::IsEmpty(s.slots[i].key)) i = (i + 1) & s.mask;
    s.slots[i] = Slot{key, value};
  }
  static void Rehash(Shard& s, std::uint32_t slots) {
    std::unique_ptr<Slot[]> old = std::move(s.slots);
    const std::uint32_t old_count = s.mask + 1;
    s.mask = slots - 1;
    s.slots = std::make_unique<Slot[]>(slots);
    for (std::uint32_t i = 0; i < slots; ++i) s.slots[i].key = Traits::Empty();
    for (std::uint32_t i = 0; i < old_count; ++i) {
      if (!Traits::IsEmpty(old[i].key)) Place(s, old[i].key, old[i].value, Traits::Hash(old[i].key));
    }
  }
  // Redistributes every entry over 2^bits new shards (all owned by this table).
  void Reshard(std::uint32_t bits) {
    std::vector<std::shared_ptr<const Shard>> old = std::move(shards_);
    const std::size_t count = std::size_t{1} << bits;
    // Slots per shard: room for the average at <= 3/4 load, a power of two.
    const std::size_t per = (size_ + count - 1) / count;
    std::uint32_t slots = kMinSlots;
    while (static_cast<std::size_t>(slots) * 3 < per * 4 + 4) slots *= 2;
    std::vector<std::shared_ptr<Shard>> fresh;
    fresh.reserve(count);
    for (std::size_t i = 0; i < count; ++i) fresh.push_back(NewShard(slots, generation_));
    const std::size_t mask = count - 1;
    for (const auto& s : old) {
      for (std::uint32_t i = 0; i <= s->mask; ++i) {
        const Slot& slot = s->slots[i];
        if (Traits::IsEmpty(slot.key)) continue;
        const std::uint64_t h = Traits::Hash(slot.key);
        Shard& d = *fresh[static_cast<std::size_t>(h >> 32) & mask];
        if ((static_cast<std::size_t>(d.used) + 1) * 4 > (static_cast<std::size_t>(d.mask) + 1) * 3) {
          Rehash(d, (d.mask + 1) * 2);
        }
        Place(d, slot.key, slot.value, h);
        ++d.used;
      }
    }
    shards_.assign(fresh.begin(), fresh.end());
    shard_mask_ = mask;
  }

  std::vector<std::shared_ptr<const Shard>> shards_;
  std::size_t shard_mask_ = 0;
  std::size_t size_ = 0;
  mutable std::uint64_t generation_;
};

// splitmix64's finalizer: every input bit reaches every output bit.
constexpr std::uint64_t MixHash(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

}  // namespace nvgre::virt
