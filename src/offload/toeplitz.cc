// RSS Toeplitz hash (spec §10.2): the reference, the per-key tables and the path choice.
// The AVX-512 kernels (GFNI, VPCLMULQDQ) are in toeplitz_gfni.cc.
#include "nvgre/offload/toeplitz.h"

#include <algorithm>

namespace nvgre::offload {
namespace {

std::uint8_t KeyByte(std::span<const std::uint8_t> key, std::size_t i) {
  return i < key.size() ? key[i] : std::uint8_t{0};
}

// Key bit `bit`, counted from the MSB of byte 0; zero past the end of the key.
std::uint32_t KeyBit(std::span<const std::uint8_t> key, std::size_t bit) {
  return (std::uint32_t{KeyByte(key, bit / 8)} >> (7 - bit % 8)) & 1u;
}

// Key bits [bit, bit + 32) as a number, key bit `bit` in the MSB.
std::uint32_t KeyWindow(std::span<const std::uint8_t> key, std::size_t bit) {
  std::uint64_t w = 0;  // 40 key bits starting at byte bit / 8
  for (std::size_t i = 0; i < 5; ++i) w = (w << 8) | KeyByte(key, bit / 8 + i);
  return static_cast<std::uint32_t>(w >> (8 - bit % 8));
}

}  // namespace

std::uint32_t ToeplitzHashReference(std::span<const std::uint8_t> key,
                                    std::span<const std::uint8_t> input) {
  std::uint32_t k = 0;  // the left-most 32 bits of K
  for (std::size_t i = 0; i < 4; ++i) k = (k << 8) | KeyByte(key, i);
  std::size_t next_key_bit = 32;  // the bit that enters k on the next shift
  std::uint32_t result = 0;
  for (const std::uint8_t byte : input) {
    for (int bit = 7; bit >= 0; --bit) {
      if ((byte >> bit) & 1) result ^= k;
      k = (k << 1) | KeyBit(key, next_key_bit++);
    }
  }
  return result;
}

bool ToeplitzGfniSupported() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();  // idempotent; makes this safe from static initializers
  return __builtin_cpu_supports("gfni") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("vpclmulqdq") &&
         __builtin_cpu_supports("pclmul");
#else
  return false;
#endif
}

namespace detail {

std::uint64_t ToeplitzMatrix(std::span<const std::uint8_t> key, std::size_t m) {
  const unsigned k16 = (unsigned{KeyByte(key, m)} << 8) | KeyByte(key, m + 1);
  std::uint64_t matrix = 0;
  for (unsigned r = 0; r < 8; ++r) {  // row r: key bits [8m + r, 8m + r + 8)
    matrix |= std::uint64_t{(k16 >> (8 - r)) & 0xFFu} << (8 * r);
  }
  return matrix;
}

ToeplitzClmulKey MakeToeplitzClmulKey(std::span<const std::uint8_t> key) {
  // K_b: key bytes 8 (4 - b) .. 8 (4 - b) + 7 as a big-endian word (K_4 = bytes 0..7).
  std::array<std::uint64_t, 5> k{};
  for (std::size_t b = 0; b < k.size(); ++b) {
    for (std::size_t i = 0; i < 8; ++i) k[b] = (k[b] << 8) | KeyByte(key, 8 * (4 - b) + i);
  }
  ToeplitzClmulKey c{};
  c.a = {k[4], k[3], k[2], k[1], k[0], 0, 0, 0};
  c.b = {k[3], k[2], k[1], k[0], 0, 0, 0, 0};
  c.c = {k[4], 0, k[3], 0, k[3], 0, k[2], 0};
  return c;
}

}  // namespace detail

template <std::size_t kMaxInput>
BasicToeplitzHasher<kMaxInput>::BasicToeplitzHasher(std::span<const std::uint8_t> key,
                                                    ToeplitzPath preferred)
    : path_(preferred == ToeplitzPath::kGfni && !ToeplitzGfniSupported() ? ToeplitzPath::kTable
                                                                         : preferred) {
  SetKey(key);
}

template <std::size_t kMaxInput>
void BasicToeplitzHasher<kMaxInput>::SetKey(std::span<const std::uint8_t> key) {
  key_size_ = std::min(key.size(), kMaxKeySize);
  key_.fill(0);
  std::copy_n(key.begin(), key_size_, key_.begin());
  const std::span<const std::uint8_t> k = this->key();

  for (std::size_t i = 0; i < kMaxInput; ++i) {
    auto& t = table_[i];
    t[0] = 0;
    for (std::size_t b = 0; b < 8; ++b) t[std::size_t{0x80} >> b] = KeyWindow(k, 8 * i + b);
    for (std::size_t v = 1; v < 256; ++v) {
      const std::size_t low = v & (~v + 1);  // lowest set bit
      if (v != low) t[v] = t[v ^ low] ^ t[low];
    }
  }
  for (std::size_t m = 0; m < matrices_.size(); ++m) matrices_[m] = detail::ToeplitzMatrix(k, m);
  clmul_ = detail::MakeToeplitzClmulKey(k);
}

template <std::size_t kMaxInput>
void BasicToeplitzHasher<kMaxInput>::HashBurst(
    std::span<const std::span<const std::uint8_t>> inputs, std::span<std::uint32_t> out) const {
  const std::size_t n = std::min(inputs.size(), out.size());
  if (path_ == ToeplitzPath::kGfni) {
    for ([[maybe_unused]] const auto& in : inputs.first(n)) assert(in.size() <= kMaxInputSize);
    detail::ToeplitzHashBurstGfni(matrices_, kMaxInputSize, inputs.first(n), out.first(n));
    return;
  }
  for (std::size_t i = 0; i < n; ++i) out[i] = Hash(inputs[i]);
}

template class BasicToeplitzHasher<kRssIpv6PortsInputSize>;
template class BasicToeplitzHasher<236>;

}  // namespace nvgre::offload
