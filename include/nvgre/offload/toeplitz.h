// The RSS Toeplitz hash (NDIS "RSS Hashing Functions", spec §10.2): a reference version, a
// per-key table version, and an AVX-512 version (GFNI and VPCLMULQDQ) chosen at run time.
//
// The hash input is the byte string src addr ‖ dst addr [‖ src port ‖ dst port], every field in
// network byte order (IPv4: 8 or 12 bytes, IPv6: 32 or 36 bytes). Bit i of the input (counted
// from the most significant bit of byte 0) selects the 32 key bits [i, i + 32); the hash is the
// XOR of the selected windows. A 36-byte input uses exactly the 320 bits of a 40-byte key.
//
//   ToeplitzHasher rss(kRssVerificationKey);             // tables built here, once per key
//   std::uint32_t h = rss.HashIpv4Ports(src, dst, sport, dport);   // ports in host order
//   rss.HashBurst(tuples, hashes);                       // 8 tuples per GFNI pass
//
// Key bits past the end of the key read as zero, in every path: a key shorter than
// input size + 4 never reads out of bounds, it just matches no NIC.
//
// The AVX-512 kernels are compiled with function-level target attributes and written with
// intrinsics, their loops unrolled in the source: every build type (-O2 or -O3) gets the same
// code. One hash: carry-less multiplication (PCLMULQDQ) of the bit-reversed input with the key,
// 4 VPCLMULQDQ for an IPv6 4-tuple. Bursts: 8 inputs transposed into one register per 8 input
// bytes, 4 GF2P8AFFINEQB per 8 bytes (toeplitz_gfni.cc explains both).
//
// ToeplitzHasher takes inputs of up to 36 bytes (an IPv6 4-tuple) and is about 37 KiB;
// LongToeplitzHasher takes up to 236 bytes (VPP's variable-length vectors) and is about
// 240 KiB: build either once per key, off the packet path (neither allocates). Hashing never
// allocates, throws, logs or writes anything but its outputs; a hasher is immutable between
// SetKey calls, so any number of threads may hash with it concurrently.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>

#include "nvgre/wire/bytes.h"

namespace nvgre::offload {

// NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_* (spec §10.1): 320 bits.
inline constexpr std::size_t kRssKeySize = 40;

// The key of "Verifying the RSS Hash Calculation" (spec §10.3), also the Intel 82599 datasheet's
// and DPDK's test key. For tests and as a documented default; production keys are random.
inline constexpr std::array<std::uint8_t, kRssKeySize> kRssVerificationKey{
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

// Hash input sizes in bytes (spec §10.2).
inline constexpr std::size_t kRssIpv4InputSize = 8;        // src ‖ dst
inline constexpr std::size_t kRssIpv4PortsInputSize = 12;  // src ‖ dst ‖ sport ‖ dport
inline constexpr std::size_t kRssIpv6InputSize = 32;
inline constexpr std::size_t kRssIpv6PortsInputSize = 36;

// The bit-by-bit algorithm exactly as spec §10.2 states it: for each input bit from the MSB of
// byte 0, if it is set, result ^= the left-most 32 bits of K; then shift K left one bit.
// Slow (one branch per input bit); kept as the reference the fast paths are tested against.
// Matches a NIC when key.size() >= input.size() + 4; missing key bits read as zero.
std::uint32_t ToeplitzHashReference(std::span<const std::uint8_t> key,
                                    std::span<const std::uint8_t> input);

enum class ToeplitzPath : std::uint8_t {
  kReference,  // ToeplitzHashReference on the stored key
  kTable,      // one 256-entry table lookup + XOR per input byte; portable C++
  kGfni,       // AVX-512 (F/BW/VL/VBMI) with GFNI and VPCLMULQDQ, run-time selected: single
               // inputs of up to 36 bytes by carry-less multiplication, longer ones and bursts
               // by GF2P8AFFINEQB
};

// True when this CPU (and OS) can run the kGfni path.
bool ToeplitzGfniSupported();

namespace detail {
// The per-key GF(2) matrices: entry m is the 8x8 bit matrix (GF2P8AFFINEQB layout, row r in
// byte r) that maps input byte j to its contribution to hash byte k, for m = j + k (hash byte
// 0 is the most significant). It depends on key bytes m and m + 1 only: row r is the 8 key
// bits starting at bit 8m + r.
std::uint64_t ToeplitzMatrix(std::span<const std::uint8_t> key, std::size_t m);
// GFNI kernels (compiled for GFNI + AVX-512 whatever the project flags; call only when
// ToeplitzGfniSupported()). `matrices` holds ToeplitzMatrix(key, m) for m = 0 .. size - 1, at
// least ToeplitzGfniMatrixCount(n) of them for an n-byte input. The burst hashes
// min(inputs.size(), out.size()) inputs, 8 per pass, each cut to its first max_input bytes.
constexpr std::size_t ToeplitzGfniMatrixCount(std::size_t max_input) {
  return 16 * ((max_input + 3 + 15) / 16) + 16;
}
std::uint32_t ToeplitzHashGfni(std::span<const std::uint64_t> matrices,
                               std::span<const std::uint8_t> input);
void ToeplitzHashBurstGfni(std::span<const std::uint64_t> matrices, std::size_t max_input,
                           std::span<const std::span<const std::uint8_t>> inputs,
                           std::span<std::uint32_t> out);

// Carry-less multiplication kernels for one input of up to kToeplitzClmulMaxInput bytes (call
// only when ToeplitzGfniSupported()). With the input bits x_i numbered from the MSB of byte 0
// and the key read as one big-endian number K of L = 320 bits, the hash is bits
// [L - 32, L) of the carry-less product of K with the input bit-reversed (x_i at bit i):
// product bit L - 1 - h is the XOR over i of x_i and key bit i + h, which is hash bit h
// (counted from the MSB). With the input in 64-bit words X_a (a = 0..4, bits reversed in
// each byte) and K in words K_b (b = 0..4, K_4 = key bytes 0..7 big-endian), only products
// X_a K_b with a + b = 4 (bits [32, 64) of the 128-bit product) and a + b = 3 (bits [96, 128))
// reach those bits: 9 PCLMULQDQ products, 4 VPCLMULQDQ instructions for an IPv6 4-tuple.
inline constexpr std::size_t kToeplitzClmulMaxInput = 36;
// The key words in the order the kernels pair them with X_0, X_1, ...: a = K_4 .. K_0 (the
// a + b = 4 products), b = K_3 .. K_0 (a + b = 3), and for inputs of up to 16 bytes, one
// VPCLMULQDQ of [X0 | X0 | X1 | X1] with c = [K4 | K3 | K3 | K2] (low words of the 128-bit
// lanes); zero past the end of the key.
struct ToeplitzClmulKey {
  alignas(64) std::array<std::uint64_t, 8> a;
  alignas(64) std::array<std::uint64_t, 8> b;
  alignas(64) std::array<std::uint64_t, 8> c;
};
ToeplitzClmulKey MakeToeplitzClmulKey(std::span<const std::uint8_t> key);
// Precondition: input.size() <= kToeplitzClmulMaxInput.
std::uint32_t ToeplitzHashClmul(const ToeplitzClmulKey& key, std::span<const std::uint8_t> input);
// The hash of src ‖ dst [‖ sport ‖ dport] (ports in host order), assembled in registers.
std::uint32_t ToeplitzHashClmulIpv4(const ToeplitzClmulKey& key,
                                    std::span<const std::uint8_t, 4> src,
                                    std::span<const std::uint8_t, 4> dst, bool ports,
                                    std::uint16_t sport, std::uint16_t dport);
std::uint32_t ToeplitzHashClmulIpv6(const ToeplitzClmulKey& key,
                                    std::span<const std::uint8_t, 16> src,
                                    std::span<const std::uint8_t, 16> dst, bool ports,
                                    std::uint16_t sport, std::uint16_t dport);
}  // namespace detail

// A Toeplitz hasher for one key, for inputs of up to kMaxInput bytes. All paths give the same
// value as ToeplitzHashReference(key, input).
template <std::size_t kMaxInput>
class BasicToeplitzHasher {
  static_assert(kMaxInput >= kRssIpv6PortsInputSize && kMaxInput <= 1024);

 public:
  static constexpr std::size_t kMaxInputSize = kMaxInput;
  static constexpr std::size_t kMaxKeySize = kMaxInput + 4;  // longer keys: the rest is unused

  // `preferred` is the fastest path allowed: kGfni falls back to kTable on CPUs without GFNI
  // and AVX-512; path() says which one runs.
  explicit BasicToeplitzHasher(std::span<const std::uint8_t> key,
                               ToeplitzPath preferred = ToeplitzPath::kGfni);

  // Replaces the key and rebuilds the tables (about 6 µs for ToeplitzHasher, 40 µs for
  // LongToeplitzHasher on the development box). Not concurrent with hashing.
  void SetKey(std::span<const std::uint8_t> key);

  ToeplitzPath path() const { return path_; }
  std::span<const std::uint8_t> key() const { return {key_.data(), key_size_}; }

  // Precondition: input.size() <= kMaxInputSize (asserted; in release builds the bytes past
  // kMaxInputSize are ignored).
  std::uint32_t Hash(std::span<const std::uint8_t> input) const {
    assert(input.size() <= kMaxInputSize);
    if (input.size() > kMaxInputSize) input = input.first(kMaxInputSize);
    switch (path_) {
      case ToeplitzPath::kGfni:
        return input.size() <= detail::kToeplitzClmulMaxInput
                   ? detail::ToeplitzHashClmul(clmul_, input)
                   : detail::ToeplitzHashGfni(matrices_, input);
      case ToeplitzPath::kTable:
        return HashTable(input);
      case ToeplitzPath::kReference:
        break;
    }
    return ToeplitzHashReference(key(), input);
  }

  // out[i] = Hash(inputs[i]) for i < min(inputs.size(), out.size()). Inputs may differ in
  // length; each has the precondition of Hash. On the GFNI path 8 inputs share one pass.
  void HashBurst(std::span<const std::span<const std::uint8_t>> inputs,
                 std::span<std::uint32_t> out) const;

  // Spec §10.2 tuples. Addresses in network order as they sit in the header; ports in host
  // order (as wire::LoadBe16 returns them), hashed in network order. These never copy the
  // tuple to memory: the table path looks the bytes up where they are and the GFNI path
  // assembles them in a register (a SIMD load of a tuple just stored byte by byte would wait
  // for the stores to reach the cache: about 10 ns).
  std::uint32_t HashIpv4(std::span<const std::uint8_t, 4> src,
                         std::span<const std::uint8_t, 4> dst) const {
    return HashTuple<4>(src, dst, false, 0, 0);
  }
  std::uint32_t HashIpv4Ports(std::span<const std::uint8_t, 4> src,
                              std::span<const std::uint8_t, 4> dst, std::uint16_t sport,
                              std::uint16_t dport) const {
    return HashTuple<4>(src, dst, true, sport, dport);
  }
  std::uint32_t HashIpv6(std::span<const std::uint8_t, 16> src,
                         std::span<const std::uint8_t, 16> dst) const {
    return HashTuple<16>(src, dst, false, 0, 0);
  }
  std::uint32_t HashIpv6Ports(std::span<const std::uint8_t, 16> src,
                              std::span<const std::uint8_t, 16> dst, std::uint16_t sport,
                              std::uint16_t dport) const {
    return HashTuple<16>(src, dst, true, sport, dport);
  }

 private:
  // The RSS tuple sizes get a fully unrolled loop (a loop of 12 or 36 trips costs a
  // mispredicted exit per hash).
  std::uint32_t HashTable(std::span<const std::uint8_t> input) const {
    switch (input.size()) {
      case kRssIpv4InputSize:
        return HashTableFixed<kRssIpv4InputSize>(input.data());
      case kRssIpv4PortsInputSize:
        return HashTableFixed<kRssIpv4PortsInputSize>(input.data());
      case kRssIpv6InputSize:
        return HashTableFixed<kRssIpv6InputSize>(input.data());
      case kRssIpv6PortsInputSize:
        return HashTableFixed<kRssIpv6PortsInputSize>(input.data());
      default:
        break;
    }
    std::uint32_t h = 0;
    for (std::size_t i = 0; i < input.size(); ++i) h ^= table_[i][input[i]];
    return h;
  }
  template <std::size_t N>
  std::uint32_t HashTableFixed(const std::uint8_t* in) const {
    std::uint32_t h = 0;
#pragma GCC unroll 64
    for (std::size_t i = 0; i < N; ++i) h ^= table_[i][in[i]];
    return h;
  }
  template <std::size_t A>
  std::uint32_t HashTuple(std::span<const std::uint8_t, A> src,
                          std::span<const std::uint8_t, A> dst, bool ports, std::uint16_t sport,
                          std::uint16_t dport) const {
    switch (path_) {
      case ToeplitzPath::kGfni:
        if constexpr (A == 4) {
          return detail::ToeplitzHashClmulIpv4(clmul_, src, dst, ports, sport, dport);
        } else {
          return detail::ToeplitzHashClmulIpv6(clmul_, src, dst, ports, sport, dport);
        }
      case ToeplitzPath::kTable: {
        std::uint32_t h = 0;
        for (std::size_t i = 0; i < A; ++i) h ^= table_[i][src[i]] ^ table_[A + i][dst[i]];
        if (ports) {
          h ^= table_[2 * A][sport >> 8] ^ table_[2 * A + 1][sport & 0xFF] ^
               table_[2 * A + 2][dport >> 8] ^ table_[2 * A + 3][dport & 0xFF];
        }
        return h;
      }
      case ToeplitzPath::kReference:
        break;
    }
    std::array<std::uint8_t, 2 * A + 4> in;
    for (std::size_t i = 0; i < A; ++i) {
      in[i] = src[i];
      in[A + i] = dst[i];
    }
    wire::StoreBe16(std::span<std::uint8_t, 2>(&in[2 * A], 2), sport);
    wire::StoreBe16(std::span<std::uint8_t, 2>(&in[2 * A + 2], 2), dport);
    return ToeplitzHashReference(key(), std::span(in).first(ports ? 2 * A + 4 : 2 * A));
  }

  // table_[i][v]: the hash of an input whose only non-zero byte is v at position i, i.e. the
  // XOR of the key windows [8i + b, 8i + b + 32) for each set bit b (MSB = bit 0) of v.
  std::array<std::array<std::uint32_t, 256>, kMaxInput> table_;
  std::array<std::uint64_t, detail::ToeplitzGfniMatrixCount(kMaxInput)> matrices_;
  detail::ToeplitzClmulKey clmul_;
  std::array<std::uint8_t, kMaxKeySize> key_;
  std::size_t key_size_ = 0;
  ToeplitzPath path_;
};

extern template class BasicToeplitzHasher<kRssIpv6PortsInputSize>;
extern template class BasicToeplitzHasher<236>;

// IPv4/IPv6 2- and 4-tuples (up to 36 bytes): the RSS hasher.
using ToeplitzHasher = BasicToeplitzHasher<kRssIpv6PortsInputSize>;
// Up to 236 bytes with a 240-byte key, as in VPP's src/vppinfra/test/toeplitz.c.
using LongToeplitzHasher = BasicToeplitzHasher<236>;

}  // namespace nvgre::offload
