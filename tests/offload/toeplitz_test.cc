// Toeplitz hash: known answers (spec §10.3 and ../shared/testdata/toeplitz_vectors.txt) for
// every path, and differential tests of the table and GFNI paths against the reference.
#include "nvgre/offload/toeplitz.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace nvgre::offload {

void PrintTo(ToeplitzPath p, std::ostream* os) {
  *os << (p == ToeplitzPath::kReference ? "kReference"
          : p == ToeplitzPath::kTable   ? "kTable"
                                        : "kGfni");
}

namespace {

using Bytes = std::vector<std::uint8_t>;

std::string PathName(ToeplitzPath p) {
  switch (p) {
    case ToeplitzPath::kReference:
      return "Reference";
    case ToeplitzPath::kTable:
      return "Table";
    case ToeplitzPath::kGfni:
      return "Gfni";
  }
  return "?";
}

// Skips the test when `path` cannot run here (GFNI on a CPU without it).
#define SKIP_IF_UNAVAILABLE(path)                                                      \
  if ((path) == ToeplitzPath::kGfni && !ToeplitzGfniSupported()) {                     \
    GTEST_SKIP() << "this CPU lacks GFNI / VPCLMULQDQ / AVX-512 (F, BW, VL, VBMI)";    \
  }

Bytes FromHex(const std::string& hex) {
  Bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

Bytes RandomBytes(std::mt19937& rng, std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  return b;
}

// --- The spec §10.3 table, written out (the same 16 values as section A of the file) ---------

struct Ipv4Row {
  std::array<std::uint8_t, 4> dst;
  std::uint16_t dport;
  std::array<std::uint8_t, 4> src;
  std::uint16_t sport;
  std::uint32_t ipv4_only, with_tcp;
};
constexpr std::array<Ipv4Row, 5> kIpv4Rows{{
    {{161, 142, 100, 80}, 1766, {66, 9, 149, 187}, 2794, 0x323e8fc2, 0x51ccc178},
    {{65, 69, 140, 83}, 4739, {199, 92, 111, 2}, 14230, 0xd718262a, 0xc626b0ea},
    {{12, 22, 207, 184}, 38024, {24, 19, 198, 95}, 12898, 0xd2d0a5de, 0x5c2b394a},
    {{209, 142, 163, 6}, 2217, {38, 27, 205, 30}, 48228, 0x82989176, 0xafc7327f},
    {{202, 188, 127, 2}, 1303, {153, 39, 163, 191}, 44251, 0x5d1809c5, 0x10e828a2},
}};

struct Ipv6Row {
  std::array<std::uint8_t, 16> dst;
  std::uint16_t dport;
  std::array<std::uint8_t, 16> src;
  std::uint16_t sport;
  std::uint32_t ipv6_only, with_tcp;
};
constexpr std::array<Ipv6Row, 3> kIpv6Rows{{
    // 3ffe:2501:200:3::1 (1766) <- 3ffe:2501:200:1fff::7 (2794)
    {{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0x01},
     1766,
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x07},
     2794,
     0x2cc18cd5,
     0x40207d3d},
    // ff02::1 (4739) <- 3ffe:501:8::260:97ff:fe40:efab (14230)
    {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01},
     4739,
     {0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0x00, 0x00, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef,
      0xab},
     14230,
     0x0f0c461c,
     0xdde51bbf},
    // fe80::200:f8ff:fe21:67cf (38024) <- 3ffe:1900:4545:3:200:f8ff:fe21:67cf (44251)
    {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     38024,
     {0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67,
      0xcf},
     44251,
     0x4b61e985,
     0x02d1feef},
}};

TEST(ToeplitzReference, MicrosoftTableLiteral) {
  for (const auto& r : kIpv4Rows) {
    Bytes in(r.src.begin(), r.src.end());
    in.insert(in.end(), r.dst.begin(), r.dst.end());
    EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, in), r.ipv4_only);
    for (std::uint16_t port : {r.sport, r.dport}) {
      in.push_back(static_cast<std::uint8_t>(port >> 8));
      in.push_back(static_cast<std::uint8_t>(port));
    }
    EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, in), r.with_tcp);
  }
  for (const auto& r : kIpv6Rows) {
    Bytes in(r.src.begin(), r.src.end());
    in.insert(in.end(), r.dst.begin(), r.dst.end());
    EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, in), r.ipv6_only);
    for (std::uint16_t port : {r.sport, r.dport}) {
      in.push_back(static_cast<std::uint8_t>(port >> 8));
      in.push_back(static_cast<std::uint8_t>(port));
    }
    EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, in), r.with_tcp);
  }
}

// Single-bit inputs select one key window, straight from the definition: the first input bit
// gives key bits 0..31, bit 15 gives key bits 15..46 (= VPP's length-2 vector 00 01).
TEST(ToeplitzReference, SingleBitsSelectKeyWindows) {
  const std::array<std::uint8_t, 1> msb{0x80};
  EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, msb), 0x6d5a56dau);
  const std::array<std::uint8_t, 1> lsb{0x01};
  EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, lsb), 0xad2b6d12u);  // bits 7..38
  const std::array<std::uint8_t, 2> bit15{0x00, 0x01};
  EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, bit15), 0x2b6d12adu);
  const std::array<std::uint8_t, 2> both{0x80, 0x01};
  EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, both), 0x6d5a56dau ^ 0x2b6d12adu);
  EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, {}), 0u);
  const std::array<std::uint8_t, 36> zeros{};
  EXPECT_EQ(ToeplitzHashReference(kRssVerificationKey, zeros), 0u);
}

// Key bits past the end read as zero: a short key behaves like the key padded with zeros.
TEST(ToeplitzReference, ShortKeyReadsAsZeroPadded) {
  const std::array<std::uint8_t, 5> key{0x12, 0x34, 0x56, 0x78, 0x9a};
  const std::array<std::uint8_t, 8> padded{0x12, 0x34, 0x56, 0x78, 0x9a, 0, 0, 0};
  const std::array<std::uint8_t, 4> in{0x01, 0x01, 0xff, 0x80};
  EXPECT_EQ(ToeplitzHashReference(key, in), ToeplitzHashReference(padded, in));
  // The last bit of byte 0 selects key bits 7..38 of 12 34 56 78 9a:
  // (0x123456789a >> 1) & 0xffffffff = 0x1a2b3c4d.
  const std::array<std::uint8_t, 1> lsb{0x01};
  EXPECT_EQ(ToeplitzHashReference(key, lsb), 0x1a2b3c4du);
  EXPECT_EQ(ToeplitzHashReference({}, in), 0u);
}

// --- Every path -------------------------------------------------------------------------------

class ToeplitzPathTest : public ::testing::TestWithParam<ToeplitzPath> {};

INSTANTIATE_TEST_SUITE_P(AllPaths, ToeplitzPathTest,
                         ::testing::Values(ToeplitzPath::kReference, ToeplitzPath::kTable,
                                           ToeplitzPath::kGfni),
                         [](const auto& p) { return PathName(p.param); });

TEST_P(ToeplitzPathTest, SelectsRequestedPath) {
  SKIP_IF_UNAVAILABLE(GetParam());
  const auto h = std::make_unique<ToeplitzHasher>(kRssVerificationKey, GetParam());
  EXPECT_EQ(h->path(), GetParam());
  ASSERT_EQ(h->key().size(), kRssKeySize);
  EXPECT_TRUE(std::equal(h->key().begin(), h->key().end(), kRssVerificationKey.begin()));
}

TEST(ToeplitzHasher, GfniFallsBackToTableWithoutCpuSupport) {
  const auto h = std::make_unique<ToeplitzHasher>(kRssVerificationKey);
  EXPECT_EQ(h->path(), ToeplitzGfniSupported() ? ToeplitzPath::kGfni : ToeplitzPath::kTable);
}

TEST_P(ToeplitzPathTest, MicrosoftTableLiteral) {
  SKIP_IF_UNAVAILABLE(GetParam());
  const auto h = std::make_unique<ToeplitzHasher>(kRssVerificationKey, GetParam());
  for (const auto& r : kIpv4Rows) {
    EXPECT_EQ(h->HashIpv4(r.src, r.dst), r.ipv4_only);
    EXPECT_EQ(h->HashIpv4Ports(r.src, r.dst, r.sport, r.dport), r.with_tcp);
  }
  for (const auto& r : kIpv6Rows) {
    EXPECT_EQ(h->HashIpv6(r.src, r.dst), r.ipv6_only);
    EXPECT_EQ(h->HashIpv6Ports(r.src, r.dst, r.sport, r.dport), r.with_tcp);
  }
}

// The tuple helpers equal the reference over src ‖ dst [‖ sport ‖ dport] (big-endian ports).
TEST_P(ToeplitzPathTest, TupleHelpersMatchReference) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(8);
  const Bytes key = RandomBytes(rng, kRssKeySize);
  const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
  for (int round = 0; round < 200; ++round) {
    const Bytes a = RandomBytes(rng, 16), b = RandomBytes(rng, 16);
    const auto sport = static_cast<std::uint16_t>(rng()), dport = static_cast<std::uint16_t>(rng());
    const std::array<std::uint8_t, 4> ports{
        static_cast<std::uint8_t>(sport >> 8), static_cast<std::uint8_t>(sport),
        static_cast<std::uint8_t>(dport >> 8), static_cast<std::uint8_t>(dport)};
    Bytes v4(a.begin(), a.begin() + 4);
    v4.insert(v4.end(), b.begin(), b.begin() + 4);
    Bytes v6(a);
    v6.insert(v6.end(), b.begin(), b.end());
    const std::span<const std::uint8_t, 4> a4(a.data(), 4), b4(b.data(), 4);
    const std::span<const std::uint8_t, 16> a16(a.data(), 16), b16(b.data(), 16);
    ASSERT_EQ(h->HashIpv4(a4, b4), ToeplitzHashReference(key, v4));
    ASSERT_EQ(h->HashIpv6(a16, b16), ToeplitzHashReference(key, v6));
    v4.insert(v4.end(), ports.begin(), ports.end());
    v6.insert(v6.end(), ports.begin(), ports.end());
    ASSERT_EQ(h->HashIpv4Ports(a4, b4, sport, dport), ToeplitzHashReference(key, v4));
    ASSERT_EQ(h->HashIpv6Ports(a16, b16, sport, dport), ToeplitzHashReference(key, v6));
    ASSERT_EQ(h->HashIpv4Ports(a4, b4, sport, dport), h->Hash(v4));
  }
}

// --- toeplitz_vectors.txt ---------------------------------------------------------------------

struct VectorFile {
  std::map<std::string, Bytes> keys;
  struct Vec {
    std::string key, label;
    Bytes input;
    std::uint32_t hash;
  };
  std::vector<Vec> vecs;
  struct Len {
    std::string key;
    std::size_t n;
    std::uint32_t hash;
  };
  std::vector<Len> lens;
};

VectorFile LoadVectors() {
  VectorFile f;
  std::ifstream in(NVGRE_SHARED_TESTDATA_DIR "/toeplitz_vectors.txt");
  EXPECT_TRUE(in) << "cannot open " NVGRE_SHARED_TESTDATA_DIR "/toeplitz_vectors.txt";
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream ss(line);
    std::string kind;
    if (!(ss >> kind)) continue;
    if (kind == "KEY") {
      std::string id, hex;
      ss >> id >> hex;
      f.keys[id] = FromHex(hex);
    } else if (kind == "VEC") {
      VectorFile::Vec v;
      std::string hex, hash;
      ss >> v.key >> v.label >> hex >> hash;
      v.input = FromHex(hex);
      v.hash = static_cast<std::uint32_t>(std::stoul(hash, nullptr, 16));
      f.vecs.push_back(v);
    } else if (kind == "LEN") {
      VectorFile::Len l;
      std::string hash;
      ss >> l.key >> l.n >> hash;
      l.hash = static_cast<std::uint32_t>(std::stoul(hash, nullptr, 16));
      f.lens.push_back(l);
    } else {
      ADD_FAILURE() << "unknown record: " << line;
    }
  }
  return f;
}

TEST(ToeplitzVectorFile, HasAllRecords) {
  const VectorFile f = LoadVectors();
  EXPECT_EQ(f.keys.size(), 2u);
  EXPECT_EQ(f.keys.at("ms40").size(), 40u);
  EXPECT_EQ(f.keys.at("ms40x6").size(), 240u);
  EXPECT_TRUE(std::equal(kRssVerificationKey.begin(), kRssVerificationKey.end(),
                         f.keys.at("ms40").begin()));
  EXPECT_EQ(f.vecs.size(), 16u);
  EXPECT_EQ(f.lens.size(), 236u);
}

TEST_P(ToeplitzPathTest, VectorFileSectionA) {
  SKIP_IF_UNAVAILABLE(GetParam());
  const VectorFile f = LoadVectors();
  ASSERT_FALSE(f.vecs.empty());
  for (const auto& v : f.vecs) {
    const Bytes& key = f.keys.at(v.key);
    EXPECT_EQ(ToeplitzHashReference(key, v.input), v.hash) << v.label;
    const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
    EXPECT_EQ(h->Hash(v.input), v.hash) << v.label;
    std::array<std::span<const std::uint8_t>, 1> burst{v.input};
    std::array<std::uint32_t, 1> out{};
    h->HashBurst(burst, out);
    EXPECT_EQ(out[0], v.hash) << v.label;
  }
}

// VPP's lengths 0..235 with the 240-byte key: the long hasher, and the 36-byte hasher for the
// lengths it takes (its key is cut to 40 bytes, which is all a 36-byte input uses).
TEST_P(ToeplitzPathTest, VectorFileSectionB) {
  SKIP_IF_UNAVAILABLE(GetParam());
  const VectorFile f = LoadVectors();
  ASSERT_EQ(f.lens.size(), 236u);
  const Bytes& key = f.keys.at("ms40x6");
  const auto longh = std::make_unique<LongToeplitzHasher>(key, GetParam());
  const auto shorth = std::make_unique<ToeplitzHasher>(key, GetParam());
  Bytes input(236);
  for (std::size_t k = 0; k < input.size(); ++k) input[k] = static_cast<std::uint8_t>(k);
  std::vector<std::span<const std::uint8_t>> burst;
  std::vector<std::uint32_t> expected;
  for (const auto& l : f.lens) {
    ASSERT_EQ(l.key, "ms40x6");
    const std::span<const std::uint8_t> in(input.data(), l.n);
    EXPECT_EQ(ToeplitzHashReference(key, in), l.hash) << "n=" << l.n;
    EXPECT_EQ(longh->Hash(in), l.hash) << "n=" << l.n;
    if (l.n <= ToeplitzHasher::kMaxInputSize) {
      EXPECT_EQ(shorth->Hash(in), l.hash) << "n=" << l.n;
    }
    burst.push_back(in);
    expected.push_back(l.hash);
  }
  std::vector<std::uint32_t> out(burst.size());
  longh->HashBurst(burst, out);
  EXPECT_EQ(out, expected);
}

// --- Differential -----------------------------------------------------------------------------

// Random keys x random inputs of every length: the path equals the reference, single and burst.
TEST_P(ToeplitzPathTest, MatchesReferenceEveryLength) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(0x7e0917);
  for (int round = 0; round < 20; ++round) {
    const Bytes key = RandomBytes(rng, kRssKeySize);
    const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
    for (std::size_t n = 0; n <= ToeplitzHasher::kMaxInputSize; ++n) {
      for (int rep = 0; rep < 8; ++rep) {
        const Bytes in = RandomBytes(rng, n);
        ASSERT_EQ(h->Hash(in), ToeplitzHashReference(key, in)) << "n=" << n << " round=" << round;
      }
    }
  }
}

TEST_P(ToeplitzPathTest, LongMatchesReferenceEveryLength) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(236);
  for (int round = 0; round < 3; ++round) {
    const Bytes key = RandomBytes(rng, LongToeplitzHasher::kMaxKeySize);
    const auto h = std::make_unique<LongToeplitzHasher>(key, GetParam());
    for (std::size_t n = 0; n <= LongToeplitzHasher::kMaxInputSize; ++n) {
      const Bytes in = RandomBytes(rng, n);
      ASSERT_EQ(h->Hash(in), ToeplitzHashReference(key, in)) << "n=" << n;
    }
  }
}

// An all-ones key makes every window 0xffffffff: the hash is the parity of the input's set
// bits, replicated. Exercises every matrix row and every table entry bit.
TEST_P(ToeplitzPathTest, AllOnesKeyGivesParity) {
  SKIP_IF_UNAVAILABLE(GetParam());
  const Bytes key(kRssKeySize, 0xff);
  const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
  for (std::size_t n = 0; n <= ToeplitzHasher::kMaxInputSize; ++n) {
    EXPECT_EQ(h->Hash(Bytes(n, 0xff)), 0u) << n;                        // 8n bits: even
    EXPECT_EQ(h->Hash(Bytes(n, 0x01)), n % 2 ? 0xffffffffu : 0u) << n;  // n bits
    EXPECT_EQ(h->Hash(Bytes(n, 0x80)), ToeplitzHashReference(key, Bytes(n, 0x80))) << n;
  }
}

// Short keys: key bits past the end are zero on every path.
TEST_P(ToeplitzPathTest, ShortKeyMatchesReference) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(5);
  for (std::size_t key_size : {0u, 1u, 4u, 13u, 39u}) {
    const Bytes key = RandomBytes(rng, key_size);
    const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
    EXPECT_EQ(h->key().size(), key_size);
    for (std::size_t n = 0; n <= ToeplitzHasher::kMaxInputSize; ++n) {
      const Bytes in = RandomBytes(rng, n);
      EXPECT_EQ(h->Hash(in), ToeplitzHashReference(key, in)) << key_size << " " << n;
    }
  }
}

// A key longer than the hasher needs is cut to kMaxKeySize; the hash is unchanged.
TEST_P(ToeplitzPathTest, LongKeyIsCut) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(6);
  const Bytes key = RandomBytes(rng, 100);
  const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
  EXPECT_EQ(h->key().size(), ToeplitzHasher::kMaxKeySize);
  const Bytes in = RandomBytes(rng, 36);
  EXPECT_EQ(h->Hash(in), ToeplitzHashReference(key, in));
}

TEST_P(ToeplitzPathTest, SetKeyRebuildsTables) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(7);
  const auto h = std::make_unique<ToeplitzHasher>(kRssVerificationKey, GetParam());
  const Bytes in = RandomBytes(rng, 12);
  const std::uint32_t before = h->Hash(in);
  EXPECT_EQ(before, ToeplitzHashReference(kRssVerificationKey, in));
  const Bytes key = RandomBytes(rng, kRssKeySize);
  h->SetKey(key);
  EXPECT_EQ(h->Hash(in), ToeplitzHashReference(key, in));
  EXPECT_NE(h->Hash(in), before);
  EXPECT_EQ(h->path(), GetParam());
}

// Bursts of every size 0..70 (full and partial groups of 8) with mixed lengths equal single
// calls; out longer than the inputs is left alone past the inputs, shorter cuts the burst.
TEST_P(ToeplitzPathTest, BurstEqualsSingle) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(32);
  const Bytes key = RandomBytes(rng, kRssKeySize);
  const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
  for (std::size_t count = 0; count <= 70; ++count) {
    std::vector<Bytes> storage;
    for (std::size_t i = 0; i < count; ++i) {
      storage.push_back(RandomBytes(rng, rng() % (ToeplitzHasher::kMaxInputSize + 1)));
    }
    std::vector<std::span<const std::uint8_t>> inputs(storage.begin(), storage.end());
    std::vector<std::uint32_t> out(count + 3, 0xdeadbeef);
    h->HashBurst(inputs, out);
    for (std::size_t i = 0; i < count; ++i) {
      ASSERT_EQ(out[i], ToeplitzHashReference(key, storage[i])) << count << " " << i;
      ASSERT_EQ(out[i], h->Hash(storage[i]));
    }
    for (std::size_t i = count; i < out.size(); ++i) ASSERT_EQ(out[i], 0xdeadbeefu);
    if (count > 0) {
      std::vector<std::uint32_t> shorter(count - 1, 0), guard(1, 0xdeadbeef);
      h->HashBurst(inputs, shorter);
      for (std::size_t i = 0; i + 1 < count; ++i) ASSERT_EQ(shorter[i], out[i]);
    }
  }
}

// Uniform bursts of the RSS tuple sizes, as the Rx engine issues them.
TEST_P(ToeplitzPathTest, BurstOfTuples) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(33);
  const auto h = std::make_unique<ToeplitzHasher>(kRssVerificationKey, GetParam());
  for (std::size_t size :
       {kRssIpv4InputSize, kRssIpv4PortsInputSize, kRssIpv6InputSize, kRssIpv6PortsInputSize}) {
    std::vector<Bytes> storage;
    for (int i = 0; i < 32; ++i) storage.push_back(RandomBytes(rng, size));
    std::vector<std::span<const std::uint8_t>> inputs(storage.begin(), storage.end());
    std::vector<std::uint32_t> out(32);
    h->HashBurst(inputs, out);
    for (std::size_t i = 0; i < 32; ++i) {
      EXPECT_EQ(out[i], ToeplitzHashReference(kRssVerificationKey, storage[i])) << size;
    }
  }
}

// Same-length bursts (the GFNI path's fast kernel) of every length and of sizes with and
// without a partial group, and bursts whose groups change length from one group to the next.
TEST_P(ToeplitzPathTest, UniformBurstsEveryLength) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(34);
  const Bytes key = RandomBytes(rng, kRssKeySize);
  const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
  for (std::size_t len = 0; len <= ToeplitzHasher::kMaxInputSize; ++len) {
    for (std::size_t count : {8u, 16u, 19u, 32u}) {
      std::vector<Bytes> storage;
      for (std::size_t i = 0; i < count; ++i) storage.push_back(RandomBytes(rng, len));
      std::vector<std::span<const std::uint8_t>> inputs(storage.begin(), storage.end());
      std::vector<std::uint32_t> out(count);
      h->HashBurst(inputs, out);
      for (std::size_t i = 0; i < count; ++i) {
        ASSERT_EQ(out[i], ToeplitzHashReference(key, storage[i])) << len << " " << i;
      }
    }
  }
  const std::vector<std::size_t> group_lengths{12, 36, 12, 0, 36, 36, 8, 32, 16, 17, 35, 1};
  std::vector<Bytes> storage;
  for (std::size_t g = 0; g < group_lengths.size(); ++g) {
    for (std::size_t t = 0; t < 8; ++t) {
      // Group 3 mixes lengths; the others are uniform.
      storage.push_back(RandomBytes(rng, g == 3 ? t * 5 : group_lengths[g]));
    }
  }
  std::vector<std::span<const std::uint8_t>> inputs(storage.begin(), storage.end());
  std::vector<std::uint32_t> out(storage.size());
  h->HashBurst(inputs, out);
  for (std::size_t i = 0; i < storage.size(); ++i) {
    ASSERT_EQ(out[i], ToeplitzHashReference(key, storage[i])) << i;
  }
}

TEST_P(ToeplitzPathTest, LongBurstsMatchReference) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(35);
  const Bytes key = RandomBytes(rng, LongToeplitzHasher::kMaxKeySize);
  const auto h = std::make_unique<LongToeplitzHasher>(key, GetParam());
  for (std::size_t len : {0u, 40u, 47u, 48u, 49u, 64u, 100u, 235u, 236u}) {
    std::vector<Bytes> storage;
    for (std::size_t i = 0; i < 11; ++i) storage.push_back(RandomBytes(rng, len));
    storage.push_back(RandomBytes(rng, rng() % 237));  // and one of another length
    std::vector<std::span<const std::uint8_t>> inputs(storage.begin(), storage.end());
    std::vector<std::uint32_t> out(storage.size());
    h->HashBurst(inputs, out);
    for (std::size_t i = 0; i < storage.size(); ++i) {
      ASSERT_EQ(out[i], ToeplitzHashReference(key, storage[i])) << len << " " << i;
    }
  }
}

// Single hashes of every length the carry-less multiplication kernel takes (0..36 bytes) at
// every start offset 0..63 from a 64-byte boundary, and right against an inaccessible page on
// either side (its masked loads must not touch a byte outside the input), plus the longer
// inputs of the long hasher (GFNI kernel) the same way.
TEST_P(ToeplitzPathTest, SingleEveryAlignmentAndPageEdge) {
  SKIP_IF_UNAVAILABLE(GetParam());
  std::mt19937 rng(64);
  const Bytes key = RandomBytes(rng, LongToeplitzHasher::kMaxKeySize);
  const auto h = std::make_unique<ToeplitzHasher>(key, GetParam());
  const auto longh = std::make_unique<LongToeplitzHasher>(key, GetParam());
  const Bytes short_key(key.begin(), key.begin() + ToeplitzHasher::kMaxKeySize);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  void* m = mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(m, MAP_FAILED);
  auto* first = static_cast<std::uint8_t*>(m) + page;  // one data page between two guards
  std::uint8_t* const end = first + page;
  std::generate(first, end, [&] { return static_cast<std::uint8_t>(rng()); });
  ASSERT_EQ(mprotect(m, page, PROT_NONE), 0);
  ASSERT_EQ(mprotect(end, page, PROT_NONE), 0);
  for (std::size_t n = 0; n <= LongToeplitzHasher::kMaxInputSize; ++n) {
    std::vector<std::span<const std::uint8_t>> inputs{{first, n}, {end - n, n}};
    for (std::size_t offset = 0; offset < 64; ++offset) inputs.emplace_back(first + 64 + offset, n);
    for (const auto in : inputs) {
      ASSERT_EQ(longh->Hash(in), ToeplitzHashReference(key, in)) << n;
      if (n <= ToeplitzHasher::kMaxInputSize) {
        ASSERT_EQ(h->Hash(in), ToeplitzHashReference(short_key, in)) << n;
      }
    }
  }
  // The tuple helpers load exactly the address bytes: addresses against the guard pages.
  const std::span<const std::uint8_t, 16> lo16(first, 16), hi16(end - 16, 16);
  const std::span<const std::uint8_t, 4> lo4(first, 4), hi4(end - 4, 4);
  Bytes v6(first, first + 16), v4(first, first + 4);
  v6.insert(v6.end(), end - 16, end);
  v4.insert(v4.end(), end - 4, end);
  EXPECT_EQ(h->HashIpv6(lo16, hi16), ToeplitzHashReference(short_key, v6));
  EXPECT_EQ(h->HashIpv4(lo4, hi4), ToeplitzHashReference(short_key, v4));
  munmap(m, 3 * page);
}

// The carry-less multiplication kernels' key words: big-endian 8-byte words of the key
// (K4 = bytes 0..7), in the pairing order the kernels use; zero past the end of the key.
TEST(ToeplitzClmulKey, WordsAreBigEndianKeyBytes) {
  const detail::ToeplitzClmulKey k = detail::MakeToeplitzClmulKey(kRssVerificationKey);
  const std::uint64_t k4 = 0x6d5a56da255b0ec2, k3 = 0x4167253d43a38fb0,
                      k2 = 0xd0ca2bcbae7b30b4, k1 = 0x77cb2da38030f20c,
                      k0 = 0x6a42b73bbeac01fa;
  EXPECT_EQ(k.a, (std::array<std::uint64_t, 8>{k4, k3, k2, k1, k0, 0, 0, 0}));
  EXPECT_EQ(k.b, (std::array<std::uint64_t, 8>{k3, k2, k1, k0, 0, 0, 0, 0}));
  EXPECT_EQ(k.c, (std::array<std::uint64_t, 8>{k4, 0, k3, 0, k3, 0, k2, 0}));
  const std::array<std::uint8_t, 10> short_key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const detail::ToeplitzClmulKey s = detail::MakeToeplitzClmulKey(short_key);
  EXPECT_EQ(s.a, (std::array<std::uint64_t, 8>{0x0102030405060708, 0x090a000000000000, 0, 0, 0,
                                               0, 0, 0}));
}

// The GF(2) matrices: row r of matrix m is key bits [8m + r, 8m + r + 8).
TEST(ToeplitzMatrix, RowsAreKeyBitWindows) {
  // Key bytes 0x6d 0x5a: rows 0..7 = 0x6d, 0xda, 0xb5, 0x6a, 0xd5, 0xab, 0x56, 0xad.
  EXPECT_EQ(detail::ToeplitzMatrix(kRssVerificationKey, 0), 0xad56abd56ab5da6dull);
  // Key byte 38, 39 = 0x01 0xfa.
  EXPECT_EQ(detail::ToeplitzMatrix(kRssVerificationKey, 38), 0xfd7e3f1f0f070301ull);
  // The last key byte 0xfa followed by zero bits.
  EXPECT_EQ(detail::ToeplitzMatrix(kRssVerificationKey, 39), 0x008040a0d0e8f4faull);
  EXPECT_EQ(detail::ToeplitzMatrix(kRssVerificationKey, 40), 0u);
}

}  // namespace
}  // namespace nvgre::offload
