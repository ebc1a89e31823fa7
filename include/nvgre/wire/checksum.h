// The Internet checksum (RFC 1071) and the pseudo-header sums of RFC 793 §3.1 / RFC 768 /
// RFC 8200 §8.1.
//
// Terms used throughout nvgre:
//   - a *sum* is the 16-bit one's-complement sum of big-endian 16-bit words, folded, NOT
//     complemented (what Linux calls csum_fold without the final ~; what NDIS has the stack
//     pre-load into the TCP/UDP checksum field for offload);
//   - a *checksum* is ~sum, the value that goes into a header's checksum field.
// A header (or segment) verifies when the sum over it, checksum field included, is 0xFFFF.
//
//   std::uint16_t csum = Checksum(ip_header);                    // IPv4 header checksum
//   std::uint16_t tcp  = Complement(OnesSum(segment, PseudoHeaderSumV4(src, dst, 6, len)));
//
// Sums are byte-order independent (RFC 1071 §2(B)) and can be combined with OnesAdd as long
// as each part starts at an even offset of the whole; a part starting at an odd offset must be
// byte-swapped first (SwapSum).
//
// Speed: OnesSum runs one of several kernels that all give OnesSumReference's result for every
// length, alignment and `initial`: portable C++ (OnesSumScalar), AVX2 (OnesSumAvx2) and
// AVX-512 (OnesSumAvx512). The kernels are compiled with function-level target attributes, so
// the project keeps its default flags. The first OnesSum call picks the best kernel this CPU
// runs (__builtin_cpu_supports) and stores it in a constant-initialised atomic function
// pointer that every later call jumps through: set once, to the same value by any thread that
// races on it, never changed again. That pointer is the checksum code's only mutable global: a
// function-local `static const` pointer measured 3.2 ns instead of 2.3 ns per 20-byte sum
// (GCC 12 emits a guard check plus four register saves on every call). Tests and benchmarks may
// call a kernel directly when OnesSumPathSupported() says the CPU runs it. Nothing here
// allocates, throws, locks or does I/O.
//
//   if (OnesSumPathSupported(OnesSumPath::kAvx512)) sum = OnesSumAvx512(bytes);
//   OnesSumPath used = OnesSumSelectedPath();       // what OnesSum runs on this machine
#pragma once

#include <bit>
#include <cstdint>
#include <span>

#include "nvgre/wire/bytes.h"

namespace nvgre::wire {

// One's-complement addition of two folded sums (RFC 1071 §2(A), end-around carry).
constexpr std::uint16_t OnesAdd(std::uint16_t a, std::uint16_t b) {
  std::uint32_t s = std::uint32_t{a} + b;
  return static_cast<std::uint16_t>((s & 0xFFFF) + (s >> 16));
}
// One's-complement subtraction: OnesAdd(a, ~b). Used for incremental updates (RFC 1624).
constexpr std::uint16_t OnesSub(std::uint16_t a, std::uint16_t b) {
  return OnesAdd(a, static_cast<std::uint16_t>(~b));
}
constexpr std::uint16_t Complement(std::uint16_t sum) { return static_cast<std::uint16_t>(~sum); }
constexpr std::uint16_t SwapSum(std::uint16_t sum) {
  return __builtin_bswap16(sum);  // (sum << 8) | (sum >> 8): one rotate, which GCC 12 misses
}
// Folds a wide accumulator of 16-bit words down to 16 bits with end-around carries
// (RFC 1071 §2(A), §4.1 "fold 32-bit sum to 16 bits"). The result is 0 only for acc == 0, else
// the value in [1, 0xFFFF] congruent to acc modulo 0xFFFF.
// v + rotr(v, half) puts hi + lo + carry(hi + lo) in the upper half: one end-around step.
constexpr std::uint16_t Fold(std::uint64_t acc) {
  const auto s = static_cast<std::uint32_t>((acc + std::rotr(acc, 32)) >> 32);
  return static_cast<std::uint16_t>((s + std::rotr(s, 16)) >> 16);
}

// The plain RFC 1071 §4.1 loop: big-endian 16-bit words, an odd trailing byte padded with a
// zero low byte. Kept as the reference the fast version is tested against.
std::uint16_t OnesSumReference(std::span<const std::uint8_t> data, std::uint16_t initial = 0);

// Same result as OnesSumReference for every input, with the fastest kernel this CPU runs
// (see the top of this file).
std::uint16_t OnesSum(std::span<const std::uint8_t> data, std::uint16_t initial = 0);

// The kernels behind OnesSum, each equal to OnesSumReference for every input.
enum class OnesSumPath : std::uint8_t {
  kScalar,  // portable C++: 64-bit loads, carries counted (4 words per add)
  kAvx2,    // AVX2 (x86-64): 32 bytes per VPMADDWD + VPADDD
  kAvx512,  // AVX-512 F/BW/VL/VNNI + BMI2 (x86-64): 64 bytes per VPDPWSSD, aligned loads,
            // masked loads for the first and last line and for sums of up to 64 bytes
};
// True when this CPU (and OS) can run `path`; kScalar always.
bool OnesSumPathSupported(OnesSumPath path);
// The kernel OnesSum runs on this machine: the last supported one in the list above.
OnesSumPath OnesSumSelectedPath();
std::uint16_t OnesSumScalar(std::span<const std::uint8_t> data, std::uint16_t initial = 0);
// Precondition: OnesSumPathSupported(OnesSumPath::kAvx2) (else SIGILL).
std::uint16_t OnesSumAvx2(std::span<const std::uint8_t> data, std::uint16_t initial = 0);
// Precondition: OnesSumPathSupported(OnesSumPath::kAvx512) (else SIGILL).
std::uint16_t OnesSumAvx512(std::span<const std::uint8_t> data, std::uint16_t initial = 0);

// ~OnesSum(data): the value to store in a checksum field that was zero while summing.
inline std::uint16_t Checksum(std::span<const std::uint8_t> data, std::uint16_t initial = 0) {
  return Complement(OnesSum(data, initial));
}
// True when data (with its checksum field in place) sums to 0xFFFF, i.e. the checksum verifies.
inline bool ChecksumVerifies(std::span<const std::uint8_t> data, std::uint16_t initial = 0) {
  return OnesSum(data, initial) == 0xFFFF;
}

// Pseudo-header sums, folded, not complemented.
// IPv4 (RFC 793 §3.1, RFC 768): src, dst, zero+protocol, L4 length.
constexpr std::uint16_t PseudoHeaderSumV4(std::span<const std::uint8_t, 4> src,
                                          std::span<const std::uint8_t, 4> dst,
                                          std::uint8_t protocol, std::uint32_t l4_length) {
  std::uint64_t acc = 0;
  acc += LoadBe16(src.subspan<0, 2>());
  acc += LoadBe16(src.subspan<2, 2>());
  acc += LoadBe16(dst.subspan<0, 2>());
  acc += LoadBe16(dst.subspan<2, 2>());
  acc += protocol;
  acc += (l4_length >> 16) + (l4_length & 0xFFFF);
  return Fold(acc);
}
// IPv6 (RFC 8200 §8.1): src, dst, 32-bit upper-layer length, 24 zero bits, next header.
constexpr std::uint16_t PseudoHeaderSumV6(std::span<const std::uint8_t, 16> src,
                                          std::span<const std::uint8_t, 16> dst,
                                          std::uint8_t next_header, std::uint32_t l4_length) {
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < 16; i += 2) {
    acc += static_cast<std::uint32_t>((src[i] << 8) | src[i + 1]);
    acc += static_cast<std::uint32_t>((dst[i] << 8) | dst[i + 1]);
  }
  acc += next_header;
  acc += (l4_length >> 16) + (l4_length & 0xFFFF);
  return Fold(acc);
}

}  // namespace nvgre::wire
