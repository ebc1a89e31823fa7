// RFC 1071 Internet checksum: the reference loop, a portable scalar kernel, AVX2 and AVX-512
// kernels, and the one-time run-time selection behind OnesSum. See checksum.h.
//
// Every kernel sums the bytes as host-order words and byte-swaps the folded result once on a
// little-endian host (RFC 1071 §2(B): the sum is byte-order independent), and every kernel keeps
// the one's-complement "zero" the reference keeps: 0 only when every word and `initial` are 0,
// else the value in [1, 0xFFFF] congruent modulo 0xFFFF (so results compare bit for bit).
#include "nvgre/wire/checksum.h"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NVGRE_CSUM_X86 1
#if defined(__ELF__) && defined(__GLIBC__)
#define NVGRE_CSUM_IFUNC 1  // OnesSum resolved by the dynamic loader, see the end of the file
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_epi32() as the unused merge source, which
// -W(maybe-)uninitialized reports at every use (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#endif

namespace nvgre::wire {

std::uint16_t OnesSumReference(std::span<const std::uint8_t> data, std::uint16_t initial) {
  std::uint32_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  if (i < data.size()) {
    sum += static_cast<std::uint32_t>(data[i] << 8);  // pad the odd byte with zero (§4.1)
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}

namespace {

constexpr bool kLittleEndian = std::endian::native == std::endian::little;

inline std::uint64_t Load64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint32_t Load32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint16_t Load16(const std::uint8_t* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// A 64-bit accumulator with its carries counted separately: the exact sum is acc + 2^64 * carry,
// and 2^64 = (2^16)^4 is 1 modulo 0xFFFF, so acc + carry is congruent to it (RFC 1071 §2(C):
// any word size works as long as carries are added back).
struct Acc64 {
  std::uint64_t acc = 0;
  std::uint64_t carry = 0;
  void Add(std::uint64_t v) {
    acc += v;
    carry += acc < v;  // add + adc
  }
  // acc + carry with the end-around carry, folded to 16 bits (0 only when everything was 0).
  std::uint16_t Folded() const {
    std::uint64_t s = acc + carry;
    s += s < carry;
    return Fold(s);
  }
};

// The words of data[0, n) (n < 8; data at an even offset of the sum) in host order.
inline std::uint64_t ShortTail(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  if (n & 4) {
    v += Load32(p);
    p += 4;
  }
  if (n & 2) {
    v += Load16(p);
    p += 2;
  }
  if (n & 1) {
    // The odd byte is the high byte of a big-endian word padded with a zero low byte (§4.1);
    // in a little-endian host-order word that is the low byte.
    v += kLittleEndian ? std::uint64_t{p[0]} : std::uint64_t{p[0]} << 8;
  }
  return v;
}

// Host-order sum of data[0, n), folded to 16 bits. 8 bytes per add, two carry chains.
inline std::uint16_t ScalarHostSum(const std::uint8_t* p, std::size_t n) {
  Acc64 a0, a1;
  if (n < 8) {
    a0.Add(ShortTail(p, n));
    return a0.Folded();
  }
  const std::uint8_t* const end = p + n;
  while (end - p >= 32) {
    a0.Add(Load64(p));
    a1.Add(Load64(p + 8));
    a0.Add(Load64(p + 16));
    a1.Add(Load64(p + 24));
    p += 32;
  }
  while (end - p >= 8) {
    a0.Add(Load64(p));
    p += 8;
  }
  if (const auto r = static_cast<std::size_t>(end - p); r != 0) {
    // The last r bytes at offset n - r (a multiple of 8, so even): load the 8 bytes ending at
    // `end` (n >= 8) and shift out the 8 - r already summed.
    const std::uint64_t last = Load64(end - 8);
    a1.Add(kLittleEndian ? last >> (8 * (8 - r)) : last << (8 * (8 - r)));
  }
  a0.Add(a1.acc);
  a0.carry += a1.carry;
  return a0.Folded();
}

// Host-order folded sum -> network-order sum plus `initial`.
inline std::uint16_t Finish(std::uint16_t host, std::uint16_t initial) {
  return OnesAdd(kLittleEndian ? SwapSum(host) : host, initial);
}

#ifdef NVGRE_CSUM_X86

#define NVGRE_CSUM_AVX2 __attribute__((target("avx2")))
#define NVGRE_CSUM_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,bmi2")))

// The vector kernels add 16-bit words with a signed multiply-add (VPDPWSSD with AVX-512 VNNI,
// VPMADDWD + VPADDD with AVX2) into 32-bit lanes: each word w is first XORed with 0x8000,
// which turns it into the signed value w - 32768 exactly, so a pair adds a value in
// [-65536, 65534] to its lane, and the exact sum of the words is
//   (sum of the lanes) + 32768 * (number of words loaded).
// Masked-off or zero-padded words count too (they add -32768 + 32768 = 0). A lane overflows
// after 32768 adds, so lanes are widened to 64 bits every kBlockBytes.
// Two (AVX-512) or three (AVX2) vector operations per load; no carry chain.

// The short kernels (n <= 256) sum the bytes as 32-bit host-order words, exactly, in 64-bit
// lanes (2^32 is 1 modulo 0xFFFF, so a dword d0 + 2^16 d1 counts as d0 + d1), one unaligned
// or masked load per 64 bytes and no loop: what header-sized sums need is few instructions,
// not throughput. Each returns the host-order sum of data[0, n), unfolded.

// The 8 qword lanes of `lanes` added (each < 2^35, so the total fits).
NVGRE_CSUM_AVX512 inline std::uint64_t AddLanes(__m512i lanes) {
  const __m256i y = _mm256_add_epi64(_mm512_castsi512_si256(lanes), _mm512_extracti64x4_epi64(lanes, 1));
  const __m128i x = _mm_add_epi64(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
  return static_cast<std::uint64_t>(_mm_cvtsi128_si64(x)) +
         static_cast<std::uint64_t>(_mm_extract_epi64(x, 1));
}

// Up to 64 bytes: one masked load (masked-off bytes are neither read nor faulted on) of the
// smallest vector that holds them; dwords zero-extended to qwords and added.
NVGRE_CSUM_AVX512 inline std::uint64_t Avx512Upto64(const std::uint8_t* p, std::size_t n) {
  const auto count = static_cast<unsigned>(n);
  if (n <= 16) {
    const __m128i x = _mm_maskz_loadu_epi8(static_cast<__mmask16>(_bzhi_u32(~0u, count)), p);
    const __m128i q = _mm_add_epi64(_mm_cvtepu32_epi64(x), _mm_cvtepu32_epi64(_mm_unpackhi_epi64(x, x)));
    return static_cast<std::uint64_t>(_mm_cvtsi128_si64(q)) +
           static_cast<std::uint64_t>(_mm_extract_epi64(q, 1));
  }
  if (n <= 32) {
    const __m256i x = _mm256_maskz_loadu_epi8(_bzhi_u32(~0u, count), p);
    const __m256i q = _mm256_add_epi64(_mm256_cvtepu32_epi64(_mm256_castsi256_si128(x)),
                                       _mm256_cvtepu32_epi64(_mm256_extracti128_si256(x, 1)));
    const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    return static_cast<std::uint64_t>(_mm_cvtsi128_si64(h)) +
           static_cast<std::uint64_t>(_mm_extract_epi64(h, 1));
  }
  const __m512i x = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, count), p);
  return AddLanes(_mm512_add_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(x)),
                                   _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(x, 1))));
}

// The exact dword sums of 2 to 4 vectors in 3 operations per vector and no constants: the
// qwords added as they are (the sum may wrap) and their high dwords added apart (exact);
// then the sum of the low dwords is the wrapped sum minus 2^32 times the high one, exactly
// (it is below 2^64), and each lane is low + high.
NVGRE_CSUM_AVX512 inline std::uint64_t AddDwords(__m512i wrapped, __m512i high) {
  return AddLanes(_mm512_add_epi64(_mm512_sub_epi64(wrapped, _mm512_slli_epi64(high, 32)), high));
}

// 64 < n <= 128: a full vector and a masked one.
NVGRE_CSUM_AVX512 inline std::uint64_t Avx512Upto128(const std::uint8_t* p, std::size_t n) {
  const __m512i x0 = _mm512_loadu_si512(p);
  const __m512i x1 = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, static_cast<unsigned>(n - 64)), p + 64);
  const __m512i low = _mm512_set1_epi64(0xFFFFFFFF);
  return AddLanes(_mm512_add_epi64(
      _mm512_add_epi64(_mm512_and_si512(x0, low), _mm512_srli_epi64(x0, 32)),
      _mm512_add_epi64(_mm512_and_si512(x1, low), _mm512_srli_epi64(x1, 32))));
}

// 128 < n <= 256: two full vectors and two masked ones (the last one's mask is empty, and it
// reads nothing, when n <= 192; its address is then formed as an integer).
NVGRE_CSUM_AVX512 inline std::uint64_t Avx512Upto256(const std::uint8_t* p, std::size_t n) {
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  const __m512i x0 = _mm512_loadu_si512(p);
  const __m512i x1 = _mm512_loadu_si512(p + 64);
  const __m512i x2 = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, static_cast<unsigned>(n - 128)), p + 128);
  const __m512i x3 = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, static_cast<unsigned>(n > 192 ? n - 192 : 0)),
                                             reinterpret_cast<const void*>(addr + 192));
  return AddDwords(
      _mm512_add_epi64(_mm512_add_epi64(x0, x1), _mm512_add_epi64(x2, x3)),
      _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(x0, 32), _mm512_srli_epi64(x1, 32)),
                       _mm512_add_epi64(_mm512_srli_epi64(x2, 32), _mm512_srli_epi64(x3, 32))));
}

// 256 < n <= kAvx512MediumMax: unaligned loads, two VPDPWSSD chains (see the bias above), the
// last partial vector masked. |lane| <= 65536 per vector, so the 16 lanes' total fits in 32
// bits for fewer than 2^11 vectors. Beyond a few KiB the aligned kernel below wins: it never
// splits a load across two cache lines.
constexpr std::size_t kAvx512MediumMax = 1024;
NVGRE_CSUM_AVX512 inline std::uint64_t Avx512Medium(const std::uint8_t* p, std::size_t n) {
  const __m512i bias = _mm512_set1_epi16(static_cast<short>(0x8000));
  const __m512i ones = _mm512_set1_epi16(1);
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  const std::uint64_t vectors = (n + 63) / 64;
  const std::uint8_t* const end = p + n;
  while (end - p >= 128) {
    s0 = _mm512_dpwssd_epi32(s0, _mm512_xor_si512(_mm512_loadu_si512(p), bias), ones);
    s1 = _mm512_dpwssd_epi32(s1, _mm512_xor_si512(_mm512_loadu_si512(p + 64), bias), ones);
    p += 128;
  }
  if (end - p >= 64) {
    s0 = _mm512_dpwssd_epi32(s0, _mm512_xor_si512(_mm512_loadu_si512(p), bias), ones);
    p += 64;
  }
  if (end != p) {
    const __m512i x = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, static_cast<unsigned>(end - p)), p);
    s1 = _mm512_dpwssd_epi32(s1, _mm512_xor_si512(x, bias), ones);
  }
  // Undo the bias: 32 words per vector loaded, 32768 each.
  const auto total = static_cast<std::int64_t>(_mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1)));
  return static_cast<std::uint64_t>(total) + (vectors << 20);
}

// Host-order sum `acc` (< 2^40) -> OnesSum result with `initial`, which joins the host-order
// accumulator before the fold (byte-swapped into host order): no separate OnesAdd.
inline std::uint16_t FinishHost(std::uint64_t acc, std::uint16_t initial) {
  const std::uint16_t host = Fold(acc + (kLittleEndian ? SwapSum(initial) : initial));
  return kLittleEndian ? SwapSum(host) : host;
}

// OnesSum of data[0, n) for n <= kAvx512MediumMax. Each size class returns on its own (one
// taken branch to reach it, none after): sharing the tail cost 0.6 ns per sum in jumps.
NVGRE_CSUM_AVX512 inline std::uint16_t Avx512SmallSum(const std::uint8_t* p, std::size_t n,
                                                      std::uint16_t initial) {
  if (n <= 64) [[likely]] return FinishHost(Avx512Upto64(p, n), initial);  // headers
  if (n <= 128) return FinishHost(Avx512Upto128(p, n), initial);
  if (n <= 256) return FinishHost(Avx512Upto256(p, n), initial);
  return FinishHost(Avx512Medium(p, n), initial);
}

// 16 signed 32-bit lanes, sign-extended and added into 8 signed 64-bit lanes.
NVGRE_CSUM_AVX512 inline __m512i Widen512(__m512i total, __m512i lanes) {
  const __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(lanes));
  const __m512i hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(lanes, 1));
  return _mm512_add_epi64(total, _mm512_add_epi64(lo, hi));
}

// Host-order folded sum of data[0, n), n > 64 (used above kAvx512MediumMax).
NVGRE_CSUM_AVX512 inline std::uint16_t Avx512HostSum(const std::uint8_t* p, std::size_t n) {
  // Aligned loads of the 64-byte lines that hold data[0, n), the bytes outside it masked off
  // in the first and last line. Word pairs are then formed from the line start;
  // when p is odd that pairs each byte with its other neighbour, which byte-swaps the sum
  // (§2(B)), so it is swapped back at the end.
  constexpr std::size_t kBlockBytes = std::size_t{1} << 20;  // 2048 adds per lane per block
  const __m512i bias = _mm512_set1_epi16(static_cast<short>(0x8000));
  const __m512i ones = _mm512_set1_epi16(1);
  const __m512i zero = _mm512_setzero_si512();
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  const auto head = static_cast<unsigned>(addr & 63);
  const auto tail = static_cast<unsigned>((addr + n) & 63);
  // First line, full lines [a, body_end), last (partial) line at body_end. n > 64, so the
  // first and last lines are distinct.
  const auto* a = reinterpret_cast<const std::uint8_t*>(addr - head);
  const auto* const body_end = reinterpret_cast<const std::uint8_t*>(addr + n - tail);
  __m512i s0 = _mm512_dpwssd_epi32(
      zero, _mm512_xor_si512(_mm512_maskz_loadu_epi8(~0ull << head, a), bias), ones);
  if (tail != 0) {
    const __m512i x = _mm512_maskz_loadu_epi8(_bzhi_u64(~0ull, tail), body_end);
    s0 = _mm512_dpwssd_epi32(s0, _mm512_xor_si512(x, bias), ones);
  }
  a += 64;
  const std::uint64_t vectors = 1 + (tail != 0) + static_cast<std::uint64_t>(body_end - a) / 64;
  __m512i total = zero;  // 8 signed 64-bit lanes
  do {
    const auto left = static_cast<std::size_t>(body_end - a);
    const std::uint8_t* const block_end = a + (left < kBlockBytes ? left : kBlockBytes);
    __m512i s1 = zero, s2 = zero, s3 = zero, s4 = zero, s5 = zero, s6 = zero, s7 = zero;
    while (block_end - a >= 512) {
      s0 = _mm512_dpwssd_epi32(s0, _mm512_xor_si512(_mm512_load_si512(a), bias), ones);
      s1 = _mm512_dpwssd_epi32(s1, _mm512_xor_si512(_mm512_load_si512(a + 64), bias), ones);
      s2 = _mm512_dpwssd_epi32(s2, _mm512_xor_si512(_mm512_load_si512(a + 128), bias), ones);
      s3 = _mm512_dpwssd_epi32(s3, _mm512_xor_si512(_mm512_load_si512(a + 192), bias), ones);
      s4 = _mm512_dpwssd_epi32(s4, _mm512_xor_si512(_mm512_load_si512(a + 256), bias), ones);
      s5 = _mm512_dpwssd_epi32(s5, _mm512_xor_si512(_mm512_load_si512(a + 320), bias), ones);
      s6 = _mm512_dpwssd_epi32(s6, _mm512_xor_si512(_mm512_load_si512(a + 384), bias), ones);
      s7 = _mm512_dpwssd_epi32(s7, _mm512_xor_si512(_mm512_load_si512(a + 448), bias), ones);
      a += 512;
    }
    if (block_end - a >= 256) {
      s0 = _mm512_dpwssd_epi32(s0, _mm512_xor_si512(_mm512_load_si512(a), bias), ones);
      s1 = _mm512_dpwssd_epi32(s1, _mm512_xor_si512(_mm512_load_si512(a + 64), bias), ones);
      s2 = _mm512_dpwssd_epi32(s2, _mm512_xor_si512(_mm512_load_si512(a + 128), bias), ones);
      s3 = _mm512_dpwssd_epi32(s3, _mm512_xor_si512(_mm512_load_si512(a + 192), bias), ones);
      a += 256;
    }
    if (block_end - a >= 128) {
      s4 = _mm512_dpwssd_epi32(s4, _mm512_xor_si512(_mm512_load_si512(a), bias), ones);
      s5 = _mm512_dpwssd_epi32(s5, _mm512_xor_si512(_mm512_load_si512(a + 64), bias), ones);
      a += 128;
    }
    if (block_end != a) {
      s6 = _mm512_dpwssd_epi32(s6, _mm512_xor_si512(_mm512_load_si512(a), bias), ones);
      a += 64;
    }
    // |lane| <= 2050 * 65536 < 2^28 each, so the sum of 8 fits in 31 bits.
    const __m512i sum = _mm512_add_epi32(
        _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3)),
        _mm512_add_epi32(_mm512_add_epi32(s4, s5), _mm512_add_epi32(s6, s7)));
    total = Widen512(total, sum);
    s0 = zero;
  } while (a != body_end);
  // Undo the bias: 32 words per vector loaded, 32768 each.
  const auto words = static_cast<std::uint64_t>(_mm512_reduce_add_epi64(total)) + (vectors << 20);
  const std::uint16_t sum = Fold(words);
  return (addr & 1) ? SwapSum(sum) : sum;
}

// 8 signed 32-bit lanes -> one signed 64-bit sum.
NVGRE_CSUM_AVX2 inline std::int64_t Reduce256(__m256i lanes) {
  const __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(lanes));
  const __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(lanes, 1));
  const __m256i t = _mm256_add_epi64(lo, hi);
  const __m128i u = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
  return _mm_cvtsi128_si64(_mm_add_epi64(u, _mm_unpackhi_epi64(u, u)));
}

NVGRE_CSUM_AVX2 inline __m256i Load256(const std::uint8_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Host-order folded sum of data[0, n): 32-byte unaligned loads (VPMADDWD + VPADDD), the last
// n % 32 bytes scalar (they start at an even offset, so their host-order sum adds directly).
NVGRE_CSUM_AVX2 inline std::uint16_t Avx2HostSum(const std::uint8_t* p, std::size_t n) {
  if (n < 128) return ScalarHostSum(p, n);  // faster than the vector setup below that
  constexpr std::size_t kBlockBytes = std::size_t{1} << 19;  // 4096 adds per lane per block
  const __m256i bias = _mm256_set1_epi16(static_cast<short>(0x8000));
  const __m256i ones = _mm256_set1_epi16(1);
  const std::uint8_t* const end = p + n;
  const std::uint64_t vectors = n / 32;
  std::int64_t total = 0;
  while (end - p >= 32) {
    const auto left = static_cast<std::size_t>(end - p);
    const std::uint8_t* const block_end = p + (left < kBlockBytes ? left & ~std::size_t{31} : kBlockBytes);
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    while (block_end - p >= 128) {
      s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_xor_si256(Load256(p), bias), ones));
      s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_xor_si256(Load256(p + 32), bias), ones));
      s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(_mm256_xor_si256(Load256(p + 64), bias), ones));
      s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(_mm256_xor_si256(Load256(p + 96), bias), ones));
      p += 128;
    }
    if (block_end - p >= 64) {
      s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_xor_si256(Load256(p), bias), ones));
      s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_xor_si256(Load256(p + 32), bias), ones));
      p += 64;
    }
    if (block_end - p >= 32) {
      s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(_mm256_xor_si256(Load256(p), bias), ones));
      p += 32;
    }
    // |lane| <= 4097 * 65536 < 2^29 each, so the sum of 4 fits in 31 bits.
    total += Reduce256(_mm256_add_epi32(_mm256_add_epi32(s0, s1), _mm256_add_epi32(s2, s3)));
  }
  Acc64 acc;
  acc.Add(static_cast<std::uint64_t>(total) + (vectors << 19));  // 16 words of 32768 per vector
  if (p != end) acc.Add(ScalarHostSum(p, static_cast<std::size_t>(end - p)));
  return acc.Folded();
}

#endif  // NVGRE_CSUM_X86

using OnesSumFn = std::uint16_t (*)(std::span<const std::uint8_t>, std::uint16_t);

// Every kernel keeps the exact word sum (at most 2^15 per byte) in 64 bits, which is exact
// below 2^48 bytes; to make "every length" literal, longer spans are summed in chunks of
// kMaxKernelBytes (a multiple of 64, so every chunk starts at an even offset and at the same
// alignment) whose sums add directly (§2(C)).
constexpr std::size_t kMaxKernelBytes = std::size_t{1} << 36;

[[gnu::noinline]] std::uint16_t Chunked(OnesSumFn fn, std::span<const std::uint8_t> data,
                                        std::uint16_t initial) {
  std::uint16_t sum = initial;
  while (data.size() > kMaxKernelBytes) {
    sum = OnesAdd(sum, fn(data.first(kMaxKernelBytes), 0));
    data = data.subspan(kMaxKernelBytes);
  }
  return OnesAdd(sum, fn(data, 0));
}

OnesSumPath SelectPath() {
  if (OnesSumPathSupported(OnesSumPath::kAvx512)) return OnesSumPath::kAvx512;
  if (OnesSumPathSupported(OnesSumPath::kAvx2)) return OnesSumPath::kAvx2;
  return OnesSumPath::kScalar;
}

#ifndef NVGRE_CSUM_IFUNC
OnesSumFn SelectFn() {
  switch (SelectPath()) {
    case OnesSumPath::kAvx512:
      return &OnesSumAvx512;
    case OnesSumPath::kAvx2:
      return &OnesSumAvx2;
    case OnesSumPath::kScalar:
      break;
  }
  return &OnesSumScalar;
}
#endif

}  // namespace

#ifdef NVGRE_CSUM_X86
// The CPU features each vector kernel needs (after __builtin_cpu_init), one definition for
// OnesSumPathSupported and the ifunc resolver, which may not call instrumented code.
#define NVGRE_CSUM_CPU_RUNS_AVX2() __builtin_cpu_supports("avx2")
#define NVGRE_CSUM_CPU_RUNS_AVX512()                                                  \
  (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&         \
   __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&      \
   __builtin_cpu_supports("bmi2"))
#endif

bool OnesSumPathSupported(OnesSumPath path) {
  switch (path) {
    case OnesSumPath::kScalar:
      return true;
    case OnesSumPath::kAvx2:
#ifdef NVGRE_CSUM_X86
      __builtin_cpu_init();  // idempotent; makes this safe from static initialisers
      return NVGRE_CSUM_CPU_RUNS_AVX2();
#else
      return false;
#endif
    case OnesSumPath::kAvx512:
#ifdef NVGRE_CSUM_X86
      __builtin_cpu_init();
      return NVGRE_CSUM_CPU_RUNS_AVX512();
#else
      return false;
#endif
  }
  return false;
}

OnesSumPath OnesSumSelectedPath() {
  static const OnesSumPath path = SelectPath();
  return path;
}

std::uint16_t OnesSumScalar(std::span<const std::uint8_t> data, std::uint16_t initial) {
  if (data.size() > kMaxKernelBytes) [[unlikely]] return Chunked(&OnesSumScalar, data, initial);
  return Finish(ScalarHostSum(data.data(), data.size()), initial);
}

#ifdef NVGRE_CSUM_X86
NVGRE_CSUM_AVX2 std::uint16_t OnesSumAvx2(std::span<const std::uint8_t> data,
                                          std::uint16_t initial) {
  if (data.size() > kMaxKernelBytes) [[unlikely]] return Chunked(&OnesSumAvx2, data, initial);
  return Finish(Avx2HostSum(data.data(), data.size()), initial);
}
namespace {
// Out of line, so that the short sums' path through OnesSumAvx512 is straight-line code with
// nothing of the long kernel's setup in it (measured 0.5 ns per 20- to 64-byte sum).
[[gnu::noinline]] NVGRE_CSUM_AVX512 std::uint16_t Avx512Long(std::span<const std::uint8_t> data,
                                                             std::uint16_t initial) {
  if (data.size() > kMaxKernelBytes) [[unlikely]] return Chunked(&OnesSumAvx512, data, initial);
  return Finish(Avx512HostSum(data.data(), data.size()), initial);
}
}  // namespace

NVGRE_CSUM_AVX512 std::uint16_t OnesSumAvx512(std::span<const std::uint8_t> data,
                                              std::uint16_t initial) {
  if (data.size() > kAvx512MediumMax) [[unlikely]] return Avx512Long(data, initial);
  return Avx512SmallSum(data.data(), data.size(), initial);
}
#else
// Not reachable through OnesSum (OnesSumPathSupported says false); kept so callers link.
std::uint16_t OnesSumAvx2(std::span<const std::uint8_t> data, std::uint16_t initial) {
  return OnesSumScalar(data, initial);
}
std::uint16_t OnesSumAvx512(std::span<const std::uint8_t> data, std::uint16_t initial) {
  return OnesSumScalar(data, initial);
}
#endif

#if NVGRE_CSUM_IFUNC

// OnesSum is a GNU indirect function: the dynamic loader (or a static program's start-up
// code) calls this resolver once, while it relocates the program and before any constructor
// runs, and every call to OnesSum then goes straight to the kernel it returned (through the
// PLT/GOT entry, like any call into a shared library). No mutable state of ours is involved.
// The sanitizers are not set up yet at that point, so the resolver is not instrumented and
// calls nothing that is; __builtin_cpu_init and __builtin_cpu_supports are libgcc's.
// (extern "C" and hidden rather than static: clang resolves the ifunc by the symbol name, and
// gives an internal function in a namespace a mangled one.)
extern "C" {
__attribute__((no_sanitize("address", "thread", "undefined"), visibility("hidden"))) OnesSumFn
nvgre_wire_resolve_ones_sum();
OnesSumFn nvgre_wire_resolve_ones_sum() {
  __builtin_cpu_init();
  if (NVGRE_CSUM_CPU_RUNS_AVX512()) return &OnesSumAvx512;
  if (NVGRE_CSUM_CPU_RUNS_AVX2()) return &OnesSumAvx2;
  return &OnesSumScalar;
}
}  // extern "C"

std::uint16_t OnesSum(std::span<const std::uint8_t> data, std::uint16_t initial)
    __attribute__((ifunc("nvgre_wire_resolve_ones_sum")));

#else  // no ifunc (not glibc/ELF): the kernel is chosen on the first call

std::uint16_t OnesSum(std::span<const std::uint8_t> data, std::uint16_t initial) {
  static const OnesSumFn fn = SelectFn();
  return fn(data, initial);
}

#endif

}  // namespace nvgre::wire
