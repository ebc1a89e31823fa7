// RSS on received frames (spec §5.1, §10): the Microsoft verification vectors reproduced from
// real frames (plain and NVGRE-encapsulated), every VEC record of
// ../shared/testdata/toeplitz_vectors.txt, tuple/type selection per enabled types, the
// indirection table, parameter validation, and a property test over random NVGRE frames
// against a plain bit-by-bit Toeplitz.
#include "nvgre/offload/rss.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "nvgre/offload/rx_engine.h"
#include "offload/rx_frames_util.h"

namespace nvgre::offload {
namespace {

using nvgre::testing::Bytes;
using nvgre::testing::BuildFrame;
using nvgre::testing::BuildNvgreFrame;
using nvgre::testing::InnerSpec;
using nvgre::testing::OuterSpec;
using nvgre::testing::ToeplitzPlain;

RssResult Hash(const RssState& rss, const Bytes& f, bool inner = true) {
  return rss.Compute(f, wire::ClassifyFrame(f), inner);
}

RssParameters Types(std::uint32_t types) {
  RssParameters p;
  p.hash_types = types;
  p.SetIndirection(128);
  return p;
}

// Spec §10.3 (destination first in the table; the hash input is source first).
struct MsVector {
  int version;
  std::array<std::uint8_t, 16> src, dst;
  std::uint16_t sport, dport;
  std::uint32_t two_tuple, four_tuple;
};
const MsVector kMsVectors[] = {
    {4, {66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x323e8fc2, 0x51ccc178},
    {4, {199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xd718262a, 0xc626b0ea},
    {4, {24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
    {4, {38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0x82989176, 0xafc7327f},
    {4, {153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x5d1809c5, 0x10e828a2},
    {6, {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7},
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1}, 2794, 1766,
     0x2cc18cd5, 0x40207d3d},
    {6, {0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab},
     {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 14230, 4739, 0x0f0c461c, 0xdde51bbf},
    {6, {0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf}, 44251, 38024,
     0x4b61e985, 0x02d1feef},
};

InnerSpec SpecOf(const MsVector& v, std::uint8_t proto) {
  InnerSpec in;
  in.ip_version = v.version;
  in.src = v.src;
  in.dst = v.dst;
  in.sport = v.sport;
  in.dport = v.dport;
  in.protocol = proto;
  return in;
}

TEST(RssMsVectors, PlainFrames) {
  const RssState all(Types(kRssSupportedHashTypes));
  const RssState two(Types(kNdisHashIpv4 | kNdisHashIpv6));
  for (const MsVector& v : kMsVectors) {
    for (std::uint8_t proto : {wire::kIpProtoTcp, wire::kIpProtoUdp}) {
      const Bytes f = BuildFrame(SpecOf(v, proto));
      const RssResult r = Hash(all, f);
      EXPECT_EQ(r.tuple, RssTuple::kOuter4Tuple);
      EXPECT_EQ(r.hash, v.four_tuple) << std::hex << v.four_tuple;  // UDP: same layout (§10.3)
      EXPECT_EQ(r.slot, v.four_tuple & 127u);
      // Only the 2-tuple types enabled: the same packet hashes as its 2-tuple (§10.1).
      const RssResult r2 = Hash(two, f);
      EXPECT_EQ(r2.tuple, RssTuple::kOuter2Tuple);
      EXPECT_EQ(r2.type, v.version == 4 ? kNdisHashIpv4 : kNdisHashIpv6);
      EXPECT_EQ(r2.hash, v.two_tuple);
    }
    const Bytes icmp = BuildFrame(SpecOf(v, v.version == 4 ? wire::kIpProtoIcmp : wire::kIpProtoIcmpv6));
    EXPECT_EQ(Hash(all, icmp).hash, v.two_tuple);
  }
}

TEST(RssMsVectors, InnerTupleOfNvgreFramesWhateverTheOuter) {
  const RssState all(Types(kRssSupportedHashTypes));
  OuterSpec o4;
  OuterSpec o6;
  o6.ip_version = 6;
  o6.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  o6.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  for (const MsVector& v : kMsVectors) {
    for (const OuterSpec& out : {o4, o6}) {
      const RssResult r = Hash(all, BuildNvgreFrame(out, SpecOf(v, wire::kIpProtoTcp)));
      EXPECT_EQ(r.tuple, RssTuple::kInner4Tuple);
      EXPECT_EQ(r.type, v.version == 4 ? kNdisHashTcpIpv4 : kNdisHashTcpIpv6);
      EXPECT_EQ(r.hash, v.four_tuple);
      EXPECT_EQ(r.hash_info().raw(), r.type | kNdisHashFunctionToeplitz);
    }
  }
}

std::vector<std::uint8_t> FromHex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Every VEC record of the shared vector file, as a frame: the 2-tuple records as ICMP packets
// (plain) and the 4-tuple records as TCP and UDP inner flows of NVGRE frames.
TEST(RssVectorFile, EveryVecRecordFromFrames) {
  std::ifstream in(std::string(NVGRE_SHARED_TESTDATA_DIR) + "/toeplitz_vectors.txt");
  ASSERT_TRUE(in) << "toeplitz_vectors.txt not found";
  std::map<std::string, std::vector<std::uint8_t>> keys;
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string tag, key_id, label, hex, expected;
    s >> tag;
    if (tag == "KEY") {
      s >> key_id >> hex;
      keys[key_id] = FromHex(hex);
      continue;
    }
    if (tag != "VEC") continue;
    s >> key_id >> label >> hex >> expected;
    ASSERT_TRUE(keys.count(key_id)) << line;
    const auto key = keys[key_id];
    ASSERT_EQ(key.size(), kRssKeySize);
    const auto input = FromHex(hex);
    const std::uint32_t want = static_cast<std::uint32_t>(std::stoul(expected, nullptr, 16));
    RssParameters p = Types(kRssSupportedHashTypes);
    std::copy(key.begin(), key.end(), p.key.begin());
    const RssState rss(p);
    const bool v6 = input.size() >= 32;
    const std::size_t alen = v6 ? 16 : 4;
    InnerSpec spec;
    spec.ip_version = v6 ? 6 : 4;
    std::copy_n(input.begin(), alen, spec.src.begin());
    std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(alen), alen, spec.dst.begin());
    if (input.size() == 2 * alen) {
      spec.protocol = v6 ? wire::kIpProtoIcmpv6 : wire::kIpProtoIcmp;
      EXPECT_EQ(Hash(rss, BuildFrame(spec)).hash, want) << line;
    } else {
      ASSERT_EQ(input.size(), 2 * alen + 4) << line;
      spec.sport = static_cast<std::uint16_t>((input[2 * alen] << 8) | input[2 * alen + 1]);
      spec.dport = static_cast<std::uint16_t>((input[2 * alen + 2] << 8) | input[2 * alen + 3]);
      for (std::uint8_t proto : {wire::kIpProtoTcp, wire::kIpProtoUdp}) {
        spec.protocol = proto;
        const RssResult r = Hash(rss, BuildNvgreFrame({}, spec));
        EXPECT_EQ(r.tuple, RssTuple::kInner4Tuple) << line;
        EXPECT_EQ(r.hash, want) << line;
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, 16);  // spec §10.3: 5 IPv4 + 3 IPv6 addresses, 2- and 4-tuple each
}

TEST(RssSelection, EnabledTypesDecideTheTuple) {
  const Bytes tcp4 = BuildNvgreFrame({}, {});
  InnerSpec udp;
  udp.protocol = wire::kIpProtoUdp;
  const Bytes udp4 = BuildNvgreFrame({}, udp);
  struct Case {
    std::uint32_t types;
    const Bytes* frame;
    RssTuple tuple;
    std::uint32_t type;
  };
  const Case cases[] = {
      {kNdisHashTcpIpv4, &tcp4, RssTuple::kInner4Tuple, kNdisHashTcpIpv4},
      {kNdisHashTcpIpv4, &udp4, RssTuple::kNone, 0},  // UDP not enabled, no 2-tuple type
      {kNdisHashTcpIpv4 | kNdisHashIpv4, &udp4, RssTuple::kOuter2Tuple, kNdisHashIpv4},
      {kNdisHashUdpIpv4 | kNdisHashIpv4, &udp4, RssTuple::kInner4Tuple, kNdisHashUdpIpv4},
      {kNdisHashIpv6, &tcp4, RssTuple::kNone, 0},  // outer IPv4, only IPv6 types
      {kNdisHashTcpIpv6 | kNdisHashIpv4, &tcp4, RssTuple::kOuter2Tuple, kNdisHashIpv4},
  };
  for (const Case& c : cases) {
    const RssState rss(Types(c.types));
    const RssResult r = Hash(rss, *c.frame);
    EXPECT_EQ(r.tuple, c.tuple) << std::hex << c.types;
    EXPECT_EQ(r.type, c.type) << std::hex << c.types;
    if (r.tuple == RssTuple::kNone) {
      EXPECT_EQ(r.hash, 0u);
      EXPECT_EQ(r.queue, 0u);
      EXPECT_EQ(r.hash_info().raw(), 0u);
    }
  }
}

TEST(RssSelection, InnerNotAllowedMeansOuterTwoTuple) {
  const RssState rss(Types(kRssSupportedHashTypes));
  const Bytes f = BuildNvgreFrame({}, {});
  const RssResult r = Hash(rss, f, /*inner=*/false);
  EXPECT_EQ(r.tuple, RssTuple::kOuter2Tuple);
  EXPECT_EQ(r.hash, ToeplitzPlain(kRssVerificationKey, Bytes{100, 0, 17, 1, 100, 0, 17, 2}));
}

TEST(RssSelection, NotIpAndDisabled) {
  InnerSpec arp;
  arp.ip_version = 0;
  const RssState rss(Types(kRssSupportedHashTypes));
  EXPECT_FALSE(Hash(rss, BuildFrame(arp)).computed());
  RssParameters off = Types(kRssSupportedHashTypes);
  off.enabled = false;
  EXPECT_FALSE(Hash(RssState(off), BuildFrame({})).computed());
}

TEST(RssIndirection, LowBitsSelectTheSlot) {
  for (std::uint16_t n : std::initializer_list<std::uint16_t>{1, 2, 4, 8, 16, 32, 64, 128}) {
    RssParameters p = Types(kRssSupportedHashTypes);
    p.SetIndirection(n);
    for (std::size_t i = 0; i < n; ++i) p.indirection_table[i] = static_cast<std::uint16_t>(100 + (i * 7) % n);
    ASSERT_EQ(ValidateRss(p), RssParamError::kNone);
    const RssState rss(p);
    std::mt19937 rng(n);
    for (int i = 0; i < 50; ++i) {
      InnerSpec in;
      in.sport = static_cast<std::uint16_t>(rng());
      const RssResult r = Hash(rss, BuildNvgreFrame({}, in));
      EXPECT_EQ(r.slot, r.hash & (n - 1u));
      EXPECT_EQ(r.queue, 100 + (r.slot * 7) % n);
    }
  }
}

TEST(RssValidation, Errors) {
  RssParameters p = Types(kRssSupportedHashTypes);
  EXPECT_EQ(ValidateRss(p), RssParamError::kNone);
  auto with = [&](auto change) {
    RssParameters q = p;
    change(q);
    return ValidateRss(q, 16);
  };
  EXPECT_EQ(with([](RssParameters& q) { q.hash_function = kNdisHashFunctionReserved1; }), RssParamError::kBadHashFunction);
  EXPECT_EQ(with([](RssParameters& q) { q.hash_types = 0; }), RssParamError::kNoHashType);
  EXPECT_EQ(with([](RssParameters& q) { q.hash_types = 0x1; }), RssParamError::kUndefinedHashType);
  EXPECT_EQ(with([](RssParameters& q) { q.hash_types = kNdisHashTcpIpv6Ex; }), RssParamError::kUnsupportedHashType);
  EXPECT_EQ(with([](RssParameters& q) { q.key_size = 16; }), RssParamError::kBadKeySize);
  EXPECT_EQ(with([](RssParameters& q) { q.indirection_entries = 0; }), RssParamError::kBadIndirectionSize);
  EXPECT_EQ(with([](RssParameters& q) { q.indirection_entries = 3; }), RssParamError::kBadIndirectionSize);
  EXPECT_EQ(with([](RssParameters& q) { q.indirection_entries = 256; }), RssParamError::kBadIndirectionSize);
  EXPECT_EQ(with([](RssParameters& q) { q.SetIndirection(32); }), RssParamError::kQueueOutOfRange);
  EXPECT_EQ(with([](RssParameters& q) { q.SetIndirection(32, 16); }), RssParamError::kNone);
  EXPECT_EQ(with([](RssParameters& q) { q.enabled = false; q.hash_types = 0; }), RssParamError::kNone);
}

// Acceptance property: random NVGRE frames in every outer/inner version combination get the
// 4-tuple hash of their inner flow, equal to the plain Toeplitz over the inner tuple; inner
// ICMP or inner fragments get the plain Toeplitz of the outer 2-tuple. Random keys, through
// the full Rx engine of an adapter with NVGRE task offload on.
TEST(RssProperty, RandomNvgreFramesHashTheirInnerFlow) {
  std::mt19937 rng(7637);
  int four = 0, two = 0;
  for (int round = 0; round < 20; ++round) {
    auto adapter = nvgre::testing::ReadyAdapter(true, 16);
    RssParameters p;
    for (auto& b : p.key) b = static_cast<std::uint8_t>(rng());
    p.SetIndirection(16);
    ASSERT_EQ(adapter->SetRssParameters(p), NdisStatus::kSuccess);
    const auto config = adapter->Snapshot();
    for (int i = 0; i < 60; ++i) {
      OuterSpec out;
      InnerSpec in;
      out.ip_version = (i & 1) ? 6 : 4;
      in.ip_version = (i & 2) ? 6 : 4;
      for (auto* a : {&out.src, &out.dst, &in.src, &in.dst}) {
        for (auto& b : *a) b = static_cast<std::uint8_t>(rng());
      }
      in.sport = static_cast<std::uint16_t>(rng());
      in.dport = static_cast<std::uint16_t>(rng());
      out.vsid = 0x1000 + (rng() & 0xFFFF);
      out.flow_id = static_cast<std::uint8_t>(rng());
      const int kind = static_cast<int>(rng() % 4);  // 0 TCP, 1 UDP, 2 ICMP, 3 TCP fragment
      in.protocol = kind == 1 ? wire::kIpProtoUdp
                  : kind == 2 ? (in.ip_version == 4 ? wire::kIpProtoIcmp : wire::kIpProtoIcmpv6)
                              : wire::kIpProtoTcp;
      in.fragment = kind == 3;
      const Bytes f = BuildNvgreFrame(out, in);
      const RxResult r = ProcessRxFrame(*config, f);
      ASSERT_EQ(r.path, RxPath::kEncapsulated);
      const std::size_t alen = in.ip_version == 4 ? 4 : 16;
      const std::size_t olen = out.ip_version == 4 ? 4 : 16;
      Bytes tuple;
      if (kind <= 1) {
        tuple.insert(tuple.end(), in.src.begin(), in.src.begin() + static_cast<std::ptrdiff_t>(alen));
        tuple.insert(tuple.end(), in.dst.begin(), in.dst.begin() + static_cast<std::ptrdiff_t>(alen));
        for (std::uint16_t port : {in.sport, in.dport}) {
          tuple.push_back(static_cast<std::uint8_t>(port >> 8));
          tuple.push_back(static_cast<std::uint8_t>(port));
        }
        EXPECT_EQ(r.rss.tuple, RssTuple::kInner4Tuple);
        ++four;
      } else {
        tuple.insert(tuple.end(), out.src.begin(), out.src.begin() + static_cast<std::ptrdiff_t>(olen));
        tuple.insert(tuple.end(), out.dst.begin(), out.dst.begin() + static_cast<std::ptrdiff_t>(olen));
        EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
        EXPECT_EQ(r.rss.type, out.ip_version == 4 ? kNdisHashIpv4 : kNdisHashIpv6);
        ++two;
      }
      ASSERT_EQ(r.hash_value(), ToeplitzPlain(p.key, tuple)) << "round " << round << " frame " << i;
      ASSERT_EQ(r.rss.queue, p.indirection_table[r.hash_value() & 15u]);
    }
  }
  EXPECT_GT(four, 500);
  EXPECT_GT(two, 500);
}

}  // namespace
}  // namespace nvgre::offload
