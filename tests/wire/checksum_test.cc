#include "nvgre/wire/checksum.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <span>
#include <vector>

namespace nvgre::wire {
namespace {

// RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (checksum 0x220d).
// Also in ../shared/testdata/checksum_vectors.txt.
TEST(Checksum, Rfc1071Section3Example) {
  const std::array<std::uint8_t, 8> data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(OnesSumReference(data), 0xddf2);
  EXPECT_EQ(OnesSum(data), 0xddf2);
  EXPECT_EQ(Checksum(data), 0x220d);
}

// The textbook IPv4 header 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
TEST(Checksum, Ipv4HeaderExample) {
  std::array<std::uint8_t, 20> h{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(Checksum(h), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  EXPECT_TRUE(ChecksumVerifies(h));
  h[19] ^= 1;
  EXPECT_FALSE(ChecksumVerifies(h));
}

TEST(Checksum, EmptyAndOddLengths) {
  EXPECT_EQ(OnesSum({}), 0);
  EXPECT_EQ(OnesSum({}, 0x1234), 0x1234);
  const std::array<std::uint8_t, 1> one{0xab};
  EXPECT_EQ(OnesSum(one), 0xab00);  // odd byte padded with a zero low byte
  const std::array<std::uint8_t, 3> three{0x01, 0x02, 0x03};
  EXPECT_EQ(OnesSum(three), 0x0102 + 0x0300);
}

TEST(Checksum, EndAroundCarry) {
  const std::array<std::uint8_t, 4> data{0xff, 0xff, 0x00, 0x01};
  EXPECT_EQ(OnesSum(data), 0x0001);  // 0xffff + 0x0001 = 0x10000 -> 0x0001
  EXPECT_EQ(OnesAdd(0xffff, 0x0001), 0x0001);
  EXPECT_EQ(OnesAdd(0x8000, 0x8000), 0x0001);
  EXPECT_EQ(OnesSub(0x1234, 0x1234), 0xffff);  // -0 in one's complement
}

// Differential: the fast sum equals the reference at every length 0..4096 and every
// alignment 0..7 of the start, on random bytes and on all-0xFF (maximum carries).
TEST(Checksum, FastMatchesReferenceEveryLengthAndAlignment) {
  std::mt19937 rng(1071);
  std::vector<std::uint8_t> random(4096 + 8), ones(4096 + 8, 0xff);
  for (auto& b : random) b = static_cast<std::uint8_t>(rng());
  for (std::size_t align = 0; align < 8; ++align) {
    for (std::size_t len = 0; len <= 4096; ++len) {
      std::span<const std::uint8_t> r(random.data() + align, len);
      std::span<const std::uint8_t> o(ones.data() + align, len);
      const auto initial = static_cast<std::uint16_t>(len * 7919);
      ASSERT_EQ(OnesSum(r, initial), OnesSumReference(r, initial)) << "len " << len << " align " << align;
      ASSERT_EQ(OnesSum(o), OnesSumReference(o)) << "len " << len << " align " << align;
    }
  }
}

// Sums of parts combine: even-offset parts add directly, odd-offset parts are byte-swapped.
TEST(Checksum, PartsCombine) {
  std::mt19937 rng(2);
  std::vector<std::uint8_t> d(1000);
  for (auto& b : d) b = static_cast<std::uint8_t>(rng());
  const std::uint16_t whole = OnesSum(d);
  for (std::size_t cut = 0; cut <= d.size(); ++cut) {
    std::span<const std::uint8_t> all(d);
    std::uint16_t tail = OnesSum(all.subspan(cut));
    if (cut % 2) tail = SwapSum(tail);
    ASSERT_EQ(OnesAdd(OnesSum(all.first(cut)), tail), whole) << cut;
  }
}

// dpdk_test_cksum.pcap frame 1 (IPv4/TCP): the pseudo-header + segment verifies.
TEST(Checksum, PseudoHeaderV4) {
  const std::array<std::uint8_t, 4> src{10, 0, 0, 1}, dst{10, 0, 0, 2};
  // src 0x0a00+0x0001, dst 0x0a00+0x0002, proto 6, length 20 -> 0x1400+3+6+20
  EXPECT_EQ(PseudoHeaderSumV4(src, dst, 6, 20), 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 20);
  std::array<std::uint8_t, 16> s6{}, d6{};
  s6[15] = 1;
  d6[15] = 2;
  EXPECT_EQ(PseudoHeaderSumV6(s6, d6, 17, 0x10008), 1 + 2 + 17 + 1 + 8);
}


// ---- Fold and the kernels behind OnesSum --------------------------------------------------

// The step-by-step fold the first version of checksum.h had (RFC 1071 §4.1 "fold 32-bit sum to
// 16 bits", repeated): Fold's rotate-and-add form must give exactly this for every input.
std::uint16_t PlainFold(std::uint64_t acc) {
  acc = (acc & 0xFFFFFFFF) + (acc >> 32);
  acc = (acc & 0xFFFFFFFF) + (acc >> 32);
  acc = (acc & 0xFFFF) + (acc >> 16);
  acc = (acc & 0xFFFF) + (acc >> 16);
  acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

TEST(Checksum, FoldMatchesStepwiseFold) {
  static_assert(Fold(0) == 0);
  static_assert(Fold(0xFFFF) == 0xFFFF);
  static_assert(Fold(0x10000) == 1);            // end-around carry
  static_assert(Fold(0xFFFFFFFFFFFFFFFF) == 0xFFFF);  // "negative zero" stays 0xFFFF
  static_assert(Fold(0x0001FFFE) == 0xFFFF);    // 0xFFFE + 1, no second carry
  const std::uint64_t edges[] = {0, 1, 0xFFFE, 0xFFFF, 0x10000, 0x1FFFE, 0x1FFFF, 0xFFFFFFFF,
                                 0x100000000, 0xFFFF0000FFFF, 0x8000000000000000,
                                 0xFFFFFFFF00000000, 0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF};
  for (const std::uint64_t v : edges) EXPECT_EQ(Fold(v), PlainFold(v)) << std::hex << v;
  std::mt19937_64 rng(71);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);  // all magnitudes
    ASSERT_EQ(Fold(v), PlainFold(v)) << std::hex << v;
  }
}

struct Kernel {
  const char* name;
  OnesSumPath path;
  std::uint16_t (*fn)(std::span<const std::uint8_t>, std::uint16_t);
};
constexpr Kernel kKernels[] = {
    {"scalar", OnesSumPath::kScalar, &OnesSumScalar},
    {"avx2", OnesSumPath::kAvx2, &OnesSumAvx2},
    {"avx512", OnesSumPath::kAvx512, &OnesSumAvx512},
};

// Storage on a 64-byte boundary (the vector kernels' line size), so offsets 0..63 are every
// alignment they can see. operator new with align_val_t keeps ASan's redzone right after.
struct AlignedBytes {
  struct Free {
    void operator()(std::uint8_t* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<std::uint8_t[], Free> bytes;
  explicit AlignedBytes(std::size_t n)
      : bytes(static_cast<std::uint8_t*>(::operator new[](n, std::align_val_t{64}))) {}
  std::uint8_t* get() const { return bytes.get(); }
};

// The plain sum of big-endian words of data[0, len) for every len, incrementally: an exact
// 64-bit sum of the words (the odd last byte padded with a zero low byte, §4.1), folded with
// PlainFold. Independent of checksum.cc; agreement with OnesSumReference is checked below.
class PrefixSums {
 public:
  explicit PrefixSums(const std::uint8_t* p) : p_(p) {}
  // Sum of data[0, len) plus initial; len must not decrease between calls.
  std::uint16_t Sum(std::size_t len, std::uint16_t initial) {
    while (done_ + 2 <= len) {
      exact_ += static_cast<std::uint64_t>((p_[done_] << 8) | p_[done_ + 1]);
      done_ += 2;
    }
    std::uint64_t s = exact_ + initial;
    if (len > done_) s += static_cast<std::uint64_t>(p_[done_] << 8);
    return PlainFold(s);
  }

 private:
  const std::uint8_t* p_;
  std::size_t done_ = 0;
  std::uint64_t exact_ = 0;
};

TEST(Checksum, PrefixSumsAgreeWithReference) {
  std::mt19937 rng(5);
  std::vector<std::uint8_t> d(3000);
  for (auto& b : d) b = static_cast<std::uint8_t>(rng());
  PrefixSums prefix(d.data());
  for (std::size_t len = 0; len <= d.size(); ++len) {
    const auto initial = static_cast<std::uint16_t>(rng());
    ASSERT_EQ(prefix.Sum(len, initial), OnesSumReference({d.data(), len}, initial)) << len;
  }
}

TEST(Checksum, SelectedPathIsTheBestSupported) {
  EXPECT_TRUE(OnesSumPathSupported(OnesSumPath::kScalar));
  const OnesSumPath selected = OnesSumSelectedPath();
  EXPECT_TRUE(OnesSumPathSupported(selected));
  if (OnesSumPathSupported(OnesSumPath::kAvx512)) {
    EXPECT_EQ(selected, OnesSumPath::kAvx512);
  } else if (OnesSumPathSupported(OnesSumPath::kAvx2)) {
    EXPECT_EQ(selected, OnesSumPath::kAvx2);
  } else {
    EXPECT_EQ(selected, OnesSumPath::kScalar);
  }
  // AVX-512 here implies AVX2 on every CPU that has it; the selection relies on the order.
  if (OnesSumPathSupported(OnesSumPath::kAvx512)) {
    EXPECT_TRUE(OnesSumPathSupported(OnesSumPath::kAvx2));
  }
  for (const Kernel& k : kKernels) {
    std::printf("[          ] kernel %-6s %s%s\n", k.name,
                OnesSumPathSupported(k.path) ? "supported" : "not supported (skipped)",
                k.path == selected ? ", selected" : "");
  }
}

// Every kernel (the ones this CPU runs) and OnesSum against the plain prefix sums: every length
// 0..4096 at every start offset 0..63 from a 64-byte boundary, on random bytes with a random
// `initial`, on all-0xFF (largest words: most carries, largest biased lanes), and on all-zero
// bytes (smallest biased lanes; the sum must stay 0, not become 0xFFFF).
TEST(Checksum, KernelsMatchEveryLengthAndAlignment) {
  constexpr std::size_t kMaxLen = 4096;
  std::mt19937 rng(1071);
  AlignedBytes random(kMaxLen + 64), ones(kMaxLen + 64), zeros(kMaxLen + 64);
  for (std::size_t i = 0; i < kMaxLen + 64; ++i) random.get()[i] = static_cast<std::uint8_t>(rng());
  std::memset(ones.get(), 0xFF, kMaxLen + 64);
  std::memset(zeros.get(), 0, kMaxLen + 64);
  std::vector<Kernel> kernels;
  for (const Kernel& k : kKernels) {
    if (OnesSumPathSupported(k.path)) kernels.push_back(k);
  }
  kernels.push_back({"OnesSum", OnesSumSelectedPath(), &OnesSum});
  for (std::size_t align = 0; align < 64; ++align) {
    PrefixSums r(random.get() + align), o(ones.get() + align);
    for (std::size_t len = 0; len <= kMaxLen; ++len) {
      const auto initial = static_cast<std::uint16_t>(rng());
      const std::uint16_t want_r = r.Sum(len, initial);
      const std::uint16_t want_o = o.Sum(len, 0);
      const std::span<const std::uint8_t> rs(random.get() + align, len);
      const std::span<const std::uint8_t> os(ones.get() + align, len);
      const std::span<const std::uint8_t> zs(zeros.get() + align, len);
      for (const Kernel& k : kernels) {
        ASSERT_EQ(k.fn(rs, initial), want_r) << k.name << " len " << len << " align " << align;
        ASSERT_EQ(k.fn(os, 0), want_o) << k.name << " len " << len << " align " << align;
        ASSERT_EQ(k.fn(zs, 0), 0) << k.name << " len " << len << " align " << align;
      }
    }
  }
}

// Random lengths up to 256 KiB at random alignments, against OnesSumReference; and the
// all-0xFF / all-0x00 extremes across the kernels' 32-bit lane widening points (1 MiB blocks
// for AVX-512, 512 KiB for AVX2), where a lane that overflowed would show.
TEST(Checksum, KernelsMatchLongSums) {
  constexpr std::size_t kMax = 256 << 10;
  std::mt19937 rng(768);
  AlignedBytes buf(kMax + 64);
  for (std::size_t i = 0; i < kMax + 64; ++i) buf.get()[i] = static_cast<std::uint8_t>(rng());
  for (int i = 0; i < 60; ++i) {
    const std::size_t len = 4097 + rng() % (kMax - 4096);
    const std::size_t align = rng() % 64;
    const auto initial = static_cast<std::uint16_t>(rng());
    const std::span<const std::uint8_t> d(buf.get() + align, len);
    const std::uint16_t want = OnesSumReference(d, initial);
    EXPECT_EQ(OnesSum(d, initial), want) << len << " " << align;
    for (const Kernel& k : kKernels) {
      if (!OnesSumPathSupported(k.path)) continue;
      ASSERT_EQ(k.fn(d, initial), want) << k.name << " len " << len << " align " << align;
    }
  }
  constexpr std::size_t kBig = (2 << 20) + 256;
  AlignedBytes big(kBig + 64);
  for (const std::uint8_t fill : {std::uint8_t{0xFF}, std::uint8_t{0x00}, std::uint8_t{0x80}}) {
    std::memset(big.get(), fill, kBig + 64);
    for (const std::size_t len : {std::size_t{512} << 10, (std::size_t{512} << 10) + 63,
                                  std::size_t{1} << 20, (std::size_t{1} << 20) + 65,
                                  (std::size_t{2} << 20) - 1, kBig}) {
      for (const std::size_t align : {std::size_t{0}, std::size_t{1}, std::size_t{63}}) {
        const std::span<const std::uint8_t> d(big.get() + align, len);
        const std::uint16_t want = OnesSumReference(d);
        for (const Kernel& k : kKernels) {
          if (!OnesSumPathSupported(k.path)) continue;
          ASSERT_EQ(k.fn(d, 0), want) << k.name << " fill " << int{fill} << " len " << len
                                      << " align " << align;
        }
      }
    }
  }
}

// No kernel touches a byte outside the span: data placed right before an inaccessible page
// (and right after one), every length 0..4096. An access past either end faults, in every
// build (the masked vector loads are not instrumented by ASan, but they do fault).
TEST(Checksum, KernelsStayInsideTheSpan) {
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  constexpr std::size_t kMaxLen = 4096;
  const std::size_t data_pages = (kMaxLen + page - 1) / page;
  const std::size_t total = (data_pages + 2) * page;
  void* m = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  auto* base = static_cast<std::uint8_t*>(m);
  std::uint8_t* first = base + page;                 // data pages between two guard pages
  std::uint8_t* end = first + data_pages * page;
  std::mt19937 rng(4);
  for (std::uint8_t* q = first; q != end; ++q) *q = static_cast<std::uint8_t>(rng());
  ASSERT_EQ(mprotect(base, page, PROT_NONE), 0);
  ASSERT_EQ(mprotect(end, page, PROT_NONE), 0);
  for (std::size_t len = 0; len <= kMaxLen; ++len) {
    const std::span<const std::uint8_t> at_end(end - len, len);
    const std::span<const std::uint8_t> at_start(first, len);
    const std::uint16_t want_end = OnesSumReference(at_end);
    const std::uint16_t want_start = OnesSumReference(at_start);
    for (const Kernel& k : kKernels) {
      if (!OnesSumPathSupported(k.path)) continue;
      ASSERT_EQ(k.fn(at_end, 0), want_end) << k.name << " len " << len;
      ASSERT_EQ(k.fn(at_start, 0), want_start) << k.name << " len " << len;
    }
  }
  munmap(m, total);
}

// The same on exact-size heap copies (under ASan: redzones on both sides, and a start that is
// only 8- or 16-byte aligned, so the first line's masked-off bytes lie outside the block).
TEST(Checksum, KernelsOnExactSizeHeapCopies) {
  std::mt19937 rng(9);
  std::vector<std::uint8_t> src(2048);
  for (auto& b : src) b = static_cast<std::uint8_t>(rng());
  for (std::size_t len = 0; len <= src.size(); len += (len < 300 ? 1 : 7)) {
    for (std::size_t skip = 0; skip < 3; ++skip) {  // start 0, 1, 2 bytes into the block
      const std::size_t n = len + skip;
      auto block = std::make_unique<std::uint8_t[]>(n);
      std::memcpy(block.get(), src.data(), n > src.size() ? src.size() : n);
      const std::span<const std::uint8_t> d(block.get() + skip, len);
      const std::uint16_t want = OnesSumReference(d);
      for (const Kernel& k : kKernels) {
        if (!OnesSumPathSupported(k.path)) continue;
        ASSERT_EQ(k.fn(d, 0), want) << k.name << " len " << len << " skip " << skip;
      }
    }
  }
}

}  // namespace
}  // namespace nvgre::wire
