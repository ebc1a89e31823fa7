// RSS Toeplitz hash kernels for AVX-512 with GFNI (GF2P8AFFINEQB) and VPCLMULQDQ.
//
// Every kernel is written with intrinsics under a function-level target attribute, and every
// loop over registers (hash bytes, 16-byte chunks, inputs of a group) is unrolled in the
// source (#pragma GCC unroll on loops with a constant trip count, or written out): GCC at -O2
// (RelWithDebInfo, Debian packages) and at -O3 (Release) then emit the same register-only
// code. Left to -O2's heuristics, the 4-register accumulators and per-chunk matrix registers of
// the burst kernel went through the stack and the burst ran at half speed.
//
// One input of up to 36 bytes (ToeplitzHashClmul, ToeplitzHashClmulIpv4/6): carry-less
// multiplication, see ToeplitzClmulKey in toeplitz.h. The input is loaded with a byte mask
// (bytes past its end read as zero), its bits are reversed in each byte with one
// GF2P8AFFINEQB, and the 9 products X_a K_b (a + b = 3 or 4) are 4 VPCLMULQDQ on the
// 128-bit lanes [X0 X1 | X2 X3 | X4 0]: 0x00 and 0x11 against [K4 K3 | K2 K1 | K0 0] and
// [K3 K2 | K1 K0 | 0 0]. The a + b = 3 products are shifted down 64 bits to line up with the
// others and the lanes XORed; the hash is dword 1. Inputs of up to 32 bytes use the ymm form,
// and up to 16 bytes a single VPCLMULQDQ (Clmul16). That is 10 to 14 instructions per hash,
// against 13 to 22 for the GFNI single-input kernel below and for DPDK's rte_thash_gfni.
//
// Write the hash as 4 bytes, hash byte 0 the most significant. Input byte j contributes
// A[j + k] · x[j] to hash byte k, where A[m] is the 8x8 GF(2) matrix built from key bytes m and
// m + 1 (detail::ToeplitzMatrix). GF2P8AFFINEQB applies one matrix per 64-bit lane to each of
// the lane's 8 bytes, so each GFNI kernel arranges bytes so that every lane needs a single A[m]:
//
// Single input of more than 36 bytes (ToeplitzHashGfni, LongToeplitzHasher): slot "m" holds
// x[m-3], x[m-2], x[m-1], x[m] in 4 bytes (their products with A[m] are hash bytes 3, 2, 1, 0:
// a little-endian partial hash). A 64-byte register carries 16 such slots, m = 16g .. 16g + 7
// in the low halves of the lanes and 16g + 8 .. 16g + 15 in the high halves, so one VPERMB and
// two affines (the second merge-masked to the high halves) cover 16 values of m. XOR-folding
// the 16 dwords gives the hash. Inputs over 61 bytes go in 64-byte windows with VPERMT2B,
// which takes x[-3..-1] from the previous window.
//
// Burst (ToeplitzHashBurstGfni): 8 inputs are transposed so that lane l of block b holds byte
// 8b + l of inputs 0..7 (one input per byte). Then every byte of lane l needs A[8b + l + k] for
// hash byte k: four affines per block with the matrix rows loaded at offsets k = 0..3, no data
// movement between them, and four accumulators whose lanes XOR-fold to hash byte k of each of
// the 8 inputs. IPv4 (12 bytes): 2 blocks, 8 affines per 8 hashes; IPv6 (36 bytes): 5 blocks.
// Runs of same-length groups (what RSS issues) take a kernel with everything but the loads
// hoisted out of the loop; other groups a general one.
//
// Input bytes past an input's end are loaded as zero (masked loads), so they add nothing.
#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "nvgre/offload/toeplitz.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NVGRE_TOEPLITZ_GFNI 1
#define NVGRE_GFNI_TARGET __attribute__((target("gfni,avx512f,avx512bw,avx512vl,avx512vbmi")))
#define NVGRE_CLMUL_TARGET \
  __attribute__((target("gfni,avx512f,avx512bw,avx512vl,avx512vbmi,vpclmulqdq,pclmul")))
// Helpers are inlined whatever the optimisation level (they are a few instructions each).
#define NVGRE_GFNI_INLINE NVGRE_GFNI_TARGET inline __attribute__((always_inline))
#define NVGRE_CLMUL_INLINE NVGRE_CLMUL_TARGET inline __attribute__((always_inline))
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_epi32() as the unused merge source, which
// -W(maybe-)uninitialized reports at every use (GCC bug 105593, fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#endif

namespace nvgre::offload::detail {

#if NVGRE_TOEPLITZ_GFNI
namespace {

using Index = std::array<std::uint8_t, 64>;

// Indices for the single-input kernel, one per 16-slot group q of a 64-byte input window.
// VPERMT2B: index 64 + t selects window byte t (t >= 0) or, for t = -3..-1, byte 64 + t of the
// previous window (its first operand). VPERMB takes them modulo 64: t = -3..-1 selects bytes
// 61..63 of the window, zero when the input is at most 61 bytes.
constexpr std::array<Index, 4> MakeSingleIndex() {
  std::array<Index, 4> idx{};
  for (int q = 0; q < 4; ++q) {
    for (int lane = 0; lane < 8; ++lane) {
      for (int p = 0; p < 8; ++p) {
        const int m = 16 * q + lane + (p >= 4 ? 8 : 0);
        const int t = m - 3 + p % 4;  // byte p of the slot holds x[m - 3 + p % 4]
        idx[static_cast<std::size_t>(q)][static_cast<std::size_t>(8 * lane + p)] =
            static_cast<std::uint8_t>(64 + t);
      }
    }
  }
  return idx;
}

// VPERMT2B indices that transpose 16-byte chunks of 8 inputs (inputs 0-3 in the first operand,
// 4-7 in the second, 16 bytes each) into two blocks: byte 8j + t = chunk byte 8h + j of input t.
constexpr std::array<Index, 2> MakeTransposeIndex() {
  std::array<Index, 2> idx{};
  for (int h = 0; h < 2; ++h) {
    for (int j = 0; j < 8; ++j) {
      for (int t = 0; t < 8; ++t) {
        const int source = t < 4 ? 16 * t : 64 + 16 * (t - 4);
        idx[static_cast<std::size_t>(h)][static_cast<std::size_t>(8 * j + t)] =
            static_cast<std::uint8_t>(source + 8 * h + j);
      }
    }
  }
  return idx;
}

// After the burst reduction, 128-bit lane k holds hash byte k of input t at byte t. Gather
// them into 8 little-endian dwords: output byte 4t + b = hash byte 3 - b of input t.
constexpr Index MakeGatherIndex() {
  Index idx{};
  for (int t = 0; t < 8; ++t) {
    for (int b = 0; b < 4; ++b) {
      idx[static_cast<std::size_t>(4 * t + b)] = static_cast<std::uint8_t>(16 * (3 - b) + t);
    }
  }
  return idx;
}

constexpr std::array<Index, 4> kSingleIndex = MakeSingleIndex();
constexpr std::array<Index, 2> kTransposeIndex = MakeTransposeIndex();
constexpr Index kGatherIndex = MakeGatherIndex();

NVGRE_GFNI_INLINE __m512i LoadIndex(const Index& idx) {
  return _mm512_loadu_si512(idx.data());
}
NVGRE_GFNI_INLINE __m512i LoadMatrices(const std::uint64_t* m) {
  return _mm512_loadu_si512(m);
}

// The partial hashes of slot group q (m = 16q .. 16q + 15) of a window arranged by
// kSingleIndex[q]: A[16q + l] on the low halves of the lanes, A[16q + 8 + l] on the high ones.
NVGRE_GFNI_INLINE __m512i SingleGroup(__m512i x, const std::uint64_t* m) {
  constexpr __mmask64 kHighHalves = 0xF0F0F0F0F0F0F0F0;
  const __m512i r = _mm512_gf2p8affine_epi64_epi8(x, LoadMatrices(m), 0);
  return _mm512_mask_gf2p8affine_epi64_epi8(r, kHighHalves, x, LoadMatrices(m + 8), 0);
}

// XOR of the 16 dwords.
NVGRE_GFNI_INLINE std::uint32_t FoldDwords(__m512i acc) {
  const __m256i y =
      _mm256_xor_si256(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
  __m128i z = _mm_xor_si128(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
  z = _mm_xor_si128(z, _mm_unpackhi_epi64(z, z));
  z = _mm_xor_si128(z, _mm_srli_epi64(z, 32));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(z));
}

// The hash of the n <= 61 bytes in x (bytes n .. 63 zero): one window, no loop; bytes 61..63
// serve as x[-3..-1]. (Unrolled by hand: a lambda would not inherit the target attribute.)
NVGRE_GFNI_TARGET inline std::uint32_t HashWindow(const std::uint64_t* m, __m512i x,
                                                  std::size_t n) {
  const std::size_t slots = n + 3;
  __m512i acc = SingleGroup(_mm512_permutexvar_epi8(LoadIndex(kSingleIndex[0]), x), m);
  if (slots > 16) {
    acc = _mm512_xor_si512(
        acc, SingleGroup(_mm512_permutexvar_epi8(LoadIndex(kSingleIndex[1]), x), m + 16));
  }
  if (slots > 32) {
    acc = _mm512_xor_si512(
        acc, SingleGroup(_mm512_permutexvar_epi8(LoadIndex(kSingleIndex[2]), x), m + 32));
  }
  if (slots > 48) {
    acc = _mm512_xor_si512(
        acc, SingleGroup(_mm512_permutexvar_epi8(LoadIndex(kSingleIndex[3]), x), m + 48));
  }
  return FoldDwords(acc);
}

}  // namespace

namespace {

// GF2P8AFFINEQB matrix that reverses the bits of each byte: output bit i = input bit 7 - i
// (row 7 - i, in byte 7 - i, selects input bit 7 - i).
constexpr std::uint64_t kReverseBits = 0x8040201008040201;
constexpr int kXor3 = 0x96;  // VPTERNLOG truth table of a ^ b ^ c

// The hash from the lane sums: bits [32, 64) of the a + b = 4 products XOR bits [96, 128) of
// the a + b = 3 ones, i.e. dword 1 of s4 ^ (s3 >> 64).
NVGRE_CLMUL_INLINE std::uint32_t ClmulResult(__m128i s4, __m128i s3) {
  return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(s4, _mm_bsrli_si128(s3, 8)), 1));
}

// Inputs of up to 16 bytes in x (zero past the end): one VPCLMULQDQ of the low words of
// [X0 | X0 | X1 | X1] and [K4 | K3 | K3 | K2] gives X0K4, X0K3, X1K3, X1K2; the XOR of the
// two 256-bit halves is [X0K4 ^ X1K3 | X0K3 ^ X1K2] = [a + b = 4 | a + b = 3]. (Four xmm
// PCLMULQDQ measured 15% slower on Zen 4.)
NVGRE_CLMUL_INLINE std::uint32_t Clmul16(const ToeplitzClmulKey& k, __m128i x) {
  x = _mm_gf2p8affine_epi64_epi8(x, _mm_set1_epi64x(static_cast<long long>(kReverseBits)), 0);
  const __m512i xx = _mm512_permutexvar_epi64(_mm512_set_epi64(1, 1, 1, 1, 0, 0, 0, 0),
                                              _mm512_castsi128_si512(x));
  const __m512i p = _mm512_clmulepi64_epi128(xx, _mm512_load_si512(k.c.data()), 0x00);
  const __m256i s = _mm256_xor_si256(_mm512_castsi512_si256(p), _mm512_extracti64x4_epi64(p, 1));
  return ClmulResult(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
}

// Up to 32 bytes: [X0 X1 | X2 X3] against [K4 K3 | K2 K1] and [K3 K2 | K1 K0].
NVGRE_CLMUL_INLINE std::uint32_t Clmul32(const ToeplitzClmulKey& k, __m256i x) {
  x = _mm256_gf2p8affine_epi64_epi8(x, _mm256_set1_epi64x(static_cast<long long>(kReverseBits)),
                                    0);
  const __m256i ka = _mm256_load_si256(reinterpret_cast<const __m256i*>(k.a.data()));
  const __m256i kb = _mm256_load_si256(reinterpret_cast<const __m256i*>(k.b.data()));
  const __m256i s4 =
      _mm256_xor_si256(_mm256_clmulepi64_epi128(x, ka, 0x00), _mm256_clmulepi64_epi128(x, ka, 0x11));
  const __m256i s3 =
      _mm256_xor_si256(_mm256_clmulepi64_epi128(x, kb, 0x00), _mm256_clmulepi64_epi128(x, kb, 0x11));
  return ClmulResult(
      _mm_xor_si128(_mm256_castsi256_si128(s4), _mm256_extracti128_si256(s4, 1)),
      _mm_xor_si128(_mm256_castsi256_si128(s3), _mm256_extracti128_si256(s3, 1)));
}

// Up to 36 bytes (64 would fit the registers, but K has 5 words): lane 2 adds X4 K0.
NVGRE_CLMUL_INLINE std::uint32_t Clmul36(const ToeplitzClmulKey& k, __m512i x) {
  x = _mm512_gf2p8affine_epi64_epi8(x, _mm512_set1_epi64(static_cast<long long>(kReverseBits)), 0);
  const __m512i ka = _mm512_load_si512(k.a.data());
  const __m512i kb = _mm512_load_si512(k.b.data());
  const __m512i s3 =
      _mm512_xor_si512(_mm512_clmulepi64_epi128(x, kb, 0x00), _mm512_clmulepi64_epi128(x, kb, 0x11));
  // Per lane: s4 ^ (s3 >> 64); then dword 1 of the XOR of lanes 0..2.
  const __m512i t = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, ka, 0x00),
                                              _mm512_clmulepi64_epi128(x, ka, 0x11),
                                              _mm512_bsrli_epi128(s3, 8), kXor3);
  const __m128i r = _mm_ternarylogic_epi64(_mm512_castsi512_si128(t), _mm512_extracti32x4_epi32(t, 1),
                                           _mm512_extracti32x4_epi32(t, 2), kXor3);
  return static_cast<std::uint32_t>(_mm_extract_epi32(r, 1));
}

}  // namespace

NVGRE_CLMUL_TARGET std::uint32_t ToeplitzHashClmul(const ToeplitzClmulKey& key,
                                                   std::span<const std::uint8_t> input) {
  assert(input.size() <= kToeplitzClmulMaxInput);
  const std::size_t n = input.size();
  if (n <= 16) {
    const auto mask = static_cast<__mmask16>((1u << n) - 1);
    return Clmul16(key, _mm_maskz_loadu_epi8(mask, input.data()));
  }
  if (n <= 32) {
    const auto mask = static_cast<__mmask32>((std::uint64_t{1} << n) - 1);
    return Clmul32(key, _mm256_maskz_loadu_epi8(mask, input.data()));
  }
  return Clmul36(key, _mm512_maskz_loadu_epi8((__mmask64{1} << n) - 1, input.data()));
}

namespace {
// The ports in memory order (network order), as a little-endian dword; 0 without ports.
inline int PortsWord(bool ports, std::uint16_t sport, std::uint16_t dport) {
  return static_cast<int>(ports ? __builtin_bswap32(std::uint32_t{sport} << 16 | dport) : 0u);
}
}  // namespace

NVGRE_CLMUL_TARGET std::uint32_t ToeplitzHashClmulIpv4(const ToeplitzClmulKey& key,
                                                       std::span<const std::uint8_t, 4> src,
                                                       std::span<const std::uint8_t, 4> dst,
                                                       bool ports, std::uint16_t sport,
                                                       std::uint16_t dport) {
  std::uint32_t s, d;
  std::memcpy(&s, src.data(), 4);
  std::memcpy(&d, dst.data(), 4);
  return Clmul16(key, _mm_set_epi32(0, PortsWord(ports, sport, dport), static_cast<int>(d),
                                    static_cast<int>(s)));
}

NVGRE_CLMUL_TARGET std::uint32_t ToeplitzHashClmulIpv6(const ToeplitzClmulKey& key,
                                                       std::span<const std::uint8_t, 16> src,
                                                       std::span<const std::uint8_t, 16> dst,
                                                       bool ports, std::uint16_t sport,
                                                       std::uint16_t dport) {
  const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src.data()));
  const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(dst.data()));
  if (!ports) return Clmul32(key, _mm256_inserti128_si256(_mm256_castsi128_si256(s), d, 1));
  __m512i x = _mm512_zextsi128_si512(s);
  x = _mm512_inserti32x4(x, d, 1);
  x = _mm512_inserti32x4(x, _mm_cvtsi32_si128(PortsWord(true, sport, dport)), 2);
  return Clmul36(key, x);
}

NVGRE_GFNI_TARGET std::uint32_t ToeplitzHashGfni(std::span<const std::uint64_t> matrices,
                                                 std::span<const std::uint8_t> input) {
  const std::size_t n = input.size();
  if (n == 0) return 0;
  const std::size_t slots = n + 3;  // m = 0 .. n + 2
  assert(matrices.size() >= ToeplitzGfniMatrixCount(n));
  const std::uint64_t* m = matrices.data();
  if (n <= 61) {
    return HashWindow(m, _mm512_maskz_loadu_epi8((__mmask64{1} << n) - 1, input.data()), n);
  }
  __m512i acc = _mm512_setzero_si512();
  __m512i prev = _mm512_setzero_si512();
  for (std::size_t off = 0; off < slots; off += 64) {
    const std::size_t rest = off < n ? n - off : 0;
    const __mmask64 mask = rest >= 64 ? ~__mmask64{0} : (__mmask64{1} << rest) - 1;
    const __m512i cur = _mm512_maskz_loadu_epi8(mask, input.data() + std::min(off, n));
    const std::size_t groups = std::min<std::size_t>(4, (slots - off + 15) / 16);
    for (std::size_t q = 0; q < groups; ++q) {
      const __m512i x = _mm512_permutex2var_epi8(prev, LoadIndex(kSingleIndex[q]), cur);
      acc = _mm512_xor_si512(acc, SingleGroup(x, m + off + 16 * q));
    }
    prev = cur;
  }
  return FoldDwords(acc);
}

namespace {

// Four registers, one per hash byte k (std::array<__m512i> would drop the vector attributes).
struct Quad {
  __m512i v[4];
};

// acc ^= x·A[m] ^ y·A[m'] for the four hash bytes (acc[k], matrices at offset k).
NVGRE_GFNI_INLINE void Accumulate2(Quad& acc, __m512i x, const Quad& mx, __m512i y,
                                   const Quad& my) {
  acc.v[0] = _mm512_ternarylogic_epi64(acc.v[0], _mm512_gf2p8affine_epi64_epi8(x, mx.v[0], 0),
                                       _mm512_gf2p8affine_epi64_epi8(y, my.v[0], 0), kXor3);
  acc.v[1] = _mm512_ternarylogic_epi64(acc.v[1], _mm512_gf2p8affine_epi64_epi8(x, mx.v[1], 0),
                                       _mm512_gf2p8affine_epi64_epi8(y, my.v[1], 0), kXor3);
  acc.v[2] = _mm512_ternarylogic_epi64(acc.v[2], _mm512_gf2p8affine_epi64_epi8(x, mx.v[2], 0),
                                       _mm512_gf2p8affine_epi64_epi8(y, my.v[2], 0), kXor3);
  acc.v[3] = _mm512_ternarylogic_epi64(acc.v[3], _mm512_gf2p8affine_epi64_epi8(x, mx.v[3], 0),
                                       _mm512_gf2p8affine_epi64_epi8(y, my.v[3], 0), kXor3);
}
NVGRE_GFNI_INLINE void Accumulate1(Quad& acc, __m512i x, const Quad& mx) {
  acc.v[0] = _mm512_xor_si512(acc.v[0], _mm512_gf2p8affine_epi64_epi8(x, mx.v[0], 0));
  acc.v[1] = _mm512_xor_si512(acc.v[1], _mm512_gf2p8affine_epi64_epi8(x, mx.v[1], 0));
  acc.v[2] = _mm512_xor_si512(acc.v[2], _mm512_gf2p8affine_epi64_epi8(x, mx.v[2], 0));
  acc.v[3] = _mm512_xor_si512(acc.v[3], _mm512_gf2p8affine_epi64_epi8(x, mx.v[3], 0));
}
// The four shifted matrix rows for block `b` (input bytes 8b .. 8b + 7): lane l of entry k
// is A[8b + l + k].
NVGRE_GFNI_INLINE Quad BlockMatrices(const std::uint64_t* a, std::size_t b) {
  return {{LoadMatrices(a + 8 * b), LoadMatrices(a + 8 * b + 1), LoadMatrices(a + 8 * b + 2),
           LoadMatrices(a + 8 * b + 3)}};
}

// Folds the 8 lanes of each accumulator and stores the hashes of `count` inputs: after the
// shuffles, 128-bit lane k of r holds hash byte k of input t at byte t (XOR of its qwords).
NVGRE_GFNI_INLINE void StoreHashes(const Quad& acc, __m512i gather, std::uint32_t* out,
                                   std::size_t count) {
  const __m512i r01 = _mm512_xor_si512(_mm512_shuffle_i64x2(acc.v[0], acc.v[1], 0x44),
                                       _mm512_shuffle_i64x2(acc.v[0], acc.v[1], 0xEE));
  const __m512i r23 = _mm512_xor_si512(_mm512_shuffle_i64x2(acc.v[2], acc.v[3], 0x44),
                                       _mm512_shuffle_i64x2(acc.v[2], acc.v[3], 0xEE));
  __m512i r =
      _mm512_xor_si512(_mm512_shuffle_i64x2(r01, r23, 0x88), _mm512_shuffle_i64x2(r01, r23, 0xDD));
  r = _mm512_xor_si512(r, _mm512_unpackhi_epi64(r, r));
  const __m256i hashes = _mm512_castsi512_si256(_mm512_permutexvar_epi8(gather, r));
  if (count == 8) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), hashes);
  } else {
    _mm256_mask_storeu_epi32(out, static_cast<__mmask8>((1u << count) - 1), hashes);
  }
}

// Groups of 8 inputs that all have the same length `len`, 16 * (kChunks - 1) < len <=
// 16 * kChunks (the RSS tuples: 8, 12, 32, 36 bytes), from the start of `inputs` until a group
// differs; returns how many inputs it hashed (a multiple of 8). The matrices, masks and
// indices are set up once per call, and full 16-byte chunks use plain loads: a chunk is
// loaded into 16-byte slot t % 4 of register t / 4, then VPERMT2B transposes it. The last,
// partial chunk is loaded with one mask shared by all inputs when len < 16, else as the
// 16 bytes ending at len, its first 16 - rest bytes (hashed already) zeroed by the transpose.
template <std::size_t kChunks>
NVGRE_GFNI_TARGET std::size_t BurstUniform(const std::uint64_t* a, std::size_t len,
                                           std::span<const std::span<const std::uint8_t>> inputs,
                                           std::uint32_t* out) {
  constexpr std::size_t kLast = kChunks - 1;
  const std::size_t rest = len - 16 * kLast;  // 1 .. 16 bytes in the last chunk
  const bool masked = kChunks == 1 && rest < 16;
  const std::size_t tail_off = masked ? 0 : len - 16;
  const auto skip = static_cast<char>(16 * kLast - tail_off);  // bytes to drop from the tail
  const std::uint64_t tail_bytes = masked ? (std::uint64_t{1} << rest) - 1 : 0xFFFF;
  const std::array<__mmask64, 4> slot_mask{tail_bytes, tail_bytes << 16, tail_bytes << 32,
                                           tail_bytes << 48};
  // Transposed byte 8j + t is tail byte 8h + j of input t: keep it only for 8h + j < rest.
  const auto keep = [rest](std::size_t h) -> __mmask64 {
    const std::size_t j = rest > 8 * h ? std::min<std::size_t>(rest - 8 * h, 8) : 0;
    return j == 8 ? ~__mmask64{0} : (__mmask64{1} << (8 * j)) - 1;
  };
  const __mmask64 keep0 = keep(0), keep1 = keep(1);
  const __m512i transpose0 = LoadIndex(kTransposeIndex[0]);
  const __m512i transpose1 = LoadIndex(kTransposeIndex[1]);
  const __m512i tail_transpose0 = _mm512_add_epi8(transpose0, _mm512_set1_epi8(skip));
  const __m512i tail_transpose1 = _mm512_add_epi8(transpose1, _mm512_set1_epi8(skip));
  const __m512i gather = LoadIndex(kGatherIndex);
  // All 2 * kChunks blocks of matrices stay in registers (8 to 24 of the 32).
  Quad m[2 * kChunks];
#pragma GCC unroll 8
  for (std::size_t b = 0; b < 2 * kChunks; ++b) m[b] = BlockMatrices(a, b);

  std::size_t i = 0;
  for (; i + 8 <= inputs.size(); i += 8) {
    std::array<const std::uint8_t*, 8> p;
    bool same = true;
#pragma GCC unroll 8
    for (std::size_t t = 0; t < 8; ++t) {
      p[t] = inputs[i + t].data();
      same &= inputs[i + t].size() == len;
    }
    if (!same) break;
    Quad acc{};
#pragma GCC unroll 4
    for (std::size_t c = 0; c < kLast; ++c) {
      const auto chunk = [&](std::size_t t) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p[t] + 16 * c));
      };
      __m512i lo = _mm512_castsi128_si512(chunk(0));
      lo = _mm512_inserti32x4(lo, chunk(1), 1);
      lo = _mm512_inserti32x4(lo, chunk(2), 2);
      lo = _mm512_inserti32x4(lo, chunk(3), 3);
      __m512i hi = _mm512_castsi128_si512(chunk(4));
      hi = _mm512_inserti32x4(hi, chunk(5), 1);
      hi = _mm512_inserti32x4(hi, chunk(6), 2);
      hi = _mm512_inserti32x4(hi, chunk(7), 3);
      Accumulate2(acc, _mm512_permutex2var_epi8(lo, transpose0, hi), m[2 * c],
                  _mm512_permutex2var_epi8(lo, transpose1, hi), m[2 * c + 1]);
    }
    __m512i lo, hi;
    if (masked) {  // len < 16: input t's bytes go straight to their slot, as in BurstGroup
      const auto at = [&](std::size_t t) {
        return reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p[t]) - 16 * (t % 4));
      };
      lo = _mm512_maskz_loadu_epi8(slot_mask[0], at(0));
      lo = _mm512_mask_loadu_epi8(lo, slot_mask[1], at(1));
      lo = _mm512_mask_loadu_epi8(lo, slot_mask[2], at(2));
      lo = _mm512_mask_loadu_epi8(lo, slot_mask[3], at(3));
      hi = _mm512_maskz_loadu_epi8(slot_mask[0], at(4));
      hi = _mm512_mask_loadu_epi8(hi, slot_mask[1], at(5));
      hi = _mm512_mask_loadu_epi8(hi, slot_mask[2], at(6));
      hi = _mm512_mask_loadu_epi8(hi, slot_mask[3], at(7));
    } else {
      const auto chunk = [&](std::size_t t) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p[t] + tail_off));
      };
      lo = _mm512_castsi128_si512(chunk(0));
      lo = _mm512_inserti32x4(lo, chunk(1), 1);
      lo = _mm512_inserti32x4(lo, chunk(2), 2);
      lo = _mm512_inserti32x4(lo, chunk(3), 3);
      hi = _mm512_castsi128_si512(chunk(4));
      hi = _mm512_inserti32x4(hi, chunk(5), 1);
      hi = _mm512_inserti32x4(hi, chunk(6), 2);
      hi = _mm512_inserti32x4(hi, chunk(7), 3);
    }
    const __m512i x0 = _mm512_maskz_permutex2var_epi8(keep0, lo, tail_transpose0, hi);
    if (rest > 8) {
      Accumulate2(acc, x0, m[2 * kLast],
                  _mm512_maskz_permutex2var_epi8(keep1, lo, tail_transpose1, hi), m[2 * kLast + 1]);
    } else {
      Accumulate1(acc, x0, m[2 * kLast]);
    }
    StoreHashes(acc, gather, out + i, 8);
  }
  return i;
}

// One group of up to 8 inputs of any lengths up to max_input. Each 16-byte chunk of input t
// goes straight into 16-byte slot t % 4 of register t / 4 with a merge-masked load from 16 *
// (t % 4) bytes before the chunk; the mask selects only the input's own bytes, and AVX-512
// masked loads neither read nor fault on masked-off bytes.
NVGRE_GFNI_TARGET void BurstGroup(const std::uint64_t* a, std::size_t max_input,
                                  std::span<const std::span<const std::uint8_t>> inputs,
                                  std::uint32_t* out) {
  const std::size_t count = std::min<std::size_t>(8, inputs.size());
  std::array<std::uintptr_t, 8> base;  // the address of input t, minus 16 * (t % 4)
  std::array<std::size_t, 8> len;
  std::size_t longest = 0;
#pragma GCC unroll 8
  for (std::size_t t = 0; t < 8; ++t) {
    const std::span<const std::uint8_t> in = inputs[t < count ? t : 0];
    base[t] = reinterpret_cast<std::uintptr_t>(in.data()) - 16 * (t % 4);
    len[t] = t < count ? std::min(in.size(), max_input) : 0;
    longest = std::max(longest, len[t]);
  }
  const __m512i transpose0 = LoadIndex(kTransposeIndex[0]);
  const __m512i transpose1 = LoadIndex(kTransposeIndex[1]);
  Quad acc{};
  for (std::size_t off = 0; off < longest; off += 16) {
    std::array<__mmask64, 8> k;
#pragma GCC unroll 8
    for (std::size_t t = 0; t < 8; ++t) {
      const std::size_t rest = len[t] > off ? len[t] - off : 0;
      const std::uint64_t bytes = rest >= 16 ? 0xFFFF : (std::uint64_t{1} << rest) - 1;
      k[t] = bytes << (16 * (t % 4));
    }
    const auto at = [&](std::size_t t) { return reinterpret_cast<const void*>(base[t] + off); };
    __m512i lo = _mm512_maskz_loadu_epi8(k[0], at(0));
    lo = _mm512_mask_loadu_epi8(lo, k[1], at(1));
    lo = _mm512_mask_loadu_epi8(lo, k[2], at(2));
    lo = _mm512_mask_loadu_epi8(lo, k[3], at(3));
    __m512i hi = _mm512_maskz_loadu_epi8(k[4], at(4));
    hi = _mm512_mask_loadu_epi8(hi, k[5], at(5));
    hi = _mm512_mask_loadu_epi8(hi, k[6], at(6));
    hi = _mm512_mask_loadu_epi8(hi, k[7], at(7));
    const __m512i x0 = _mm512_permutex2var_epi8(lo, transpose0, hi);  // bytes off .. off + 7
    if (off + 8 < longest) {
      Accumulate2(acc, x0, BlockMatrices(a, off / 8), _mm512_permutex2var_epi8(lo, transpose1, hi),
                  BlockMatrices(a, off / 8 + 1));
    } else {
      Accumulate1(acc, x0, BlockMatrices(a, off / 8));
    }
  }
  StoreHashes(acc, LoadIndex(kGatherIndex), out, count);
}

}  // namespace

NVGRE_GFNI_TARGET void ToeplitzHashBurstGfni(std::span<const std::uint64_t> matrices,
                                             std::size_t max_input,
                                             std::span<const std::span<const std::uint8_t>> inputs,
                                             std::span<std::uint32_t> out) {
  assert(matrices.size() >= ToeplitzGfniMatrixCount(max_input));
  const std::size_t n = std::min(inputs.size(), out.size());
  const std::uint64_t* a = matrices.data();
  std::size_t i = 0;
  while (i < n) {
    if (n - i >= 8) {  // same-length groups first
      const std::size_t len = inputs[i].size();
      std::size_t done = 0;
      const auto group = inputs.subspan(i, 8);
      if (len > 0 && len <= max_input &&
          std::all_of(group.begin(), group.end(),
                      [len](const auto& in) { return in.size() == len; })) {
        const auto rest = inputs.subspan(i, (n - i) / 8 * 8);
        switch ((len + 15) / 16) {
          case 1:
            done = BurstUniform<1>(a, len, rest, out.data() + i);
            break;
          case 2:
            done = BurstUniform<2>(a, len, rest, out.data() + i);
            break;
          case 3:
            done = BurstUniform<3>(a, len, rest, out.data() + i);
            break;
          default:
            break;
        }
      }
      i += done;
      if (done > 0) continue;
    }
    const std::size_t count = std::min<std::size_t>(8, n - i);
    BurstGroup(a, max_input, inputs.subspan(i, count), out.data() + i);
    i += count;
  }
}

#else  // no x86-64 GFNI: never selected (ToeplitzGfniSupported() is false)

std::uint32_t ToeplitzHashGfni(std::span<const std::uint64_t>, std::span<const std::uint8_t>) {
  return 0;
}
std::uint32_t ToeplitzHashClmul(const ToeplitzClmulKey&, std::span<const std::uint8_t>) { return 0; }
std::uint32_t ToeplitzHashClmulIpv4(const ToeplitzClmulKey&, std::span<const std::uint8_t, 4>,
                                    std::span<const std::uint8_t, 4>, bool, std::uint16_t,
                                    std::uint16_t) {
  return 0;
}
std::uint32_t ToeplitzHashClmulIpv6(const ToeplitzClmulKey&, std::span<const std::uint8_t, 16>,
                                    std::span<const std::uint8_t, 16>, bool, std::uint16_t,
                                    std::uint16_t) {
  return 0;
}
void ToeplitzHashBurstGfni(std::span<const std::uint64_t>, std::size_t,
                           std::span<const std::span<const std::uint8_t>>,
                           std::span<std::uint32_t>) {}

#endif

}  // namespace nvgre::offload::detail
