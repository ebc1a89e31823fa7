// Rx engine: checksum validation flags (spec §3.2), paths (§6, §8.1, §7.2), RSS and VMQ
// composition, bursts, counters, concurrency with configuration changes, and a differential
// check of the flags against wire::VerifyChecksums over many random frames.
#include "nvgre/offload/rx_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/l4_checksum.h"
#include "offload/rx_frames_util.h"
#include "wire/routing_header_frames.h"

namespace nvgre::offload {
namespace {

using nvgre::testing::Bytes;
using nvgre::testing::BuildFrame;
using nvgre::testing::BuildNvgreFrame;
using nvgre::testing::InnerIpOffset;
using nvgre::testing::InnerL4Offset;
using nvgre::testing::InnerSpec;
using nvgre::testing::OuterIpOffset;
using nvgre::testing::OuterSpec;
using nvgre::testing::ReadyAdapter;
using nvgre::testing::ToeplitzPlain;

// NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO.Receive bits (spec §2.2).
constexpr std::uint32_t kTcpFailed = 0x01, kUdpFailed = 0x02, kIpFailed = 0x04;
constexpr std::uint32_t kTcpOk = 0x08, kUdpOk = 0x10, kIpOk = 0x20;

constexpr std::array<std::uint8_t, 16> kV6a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr std::array<std::uint8_t, 16> kV6b{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr std::array<std::uint8_t, 16> kV6c{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c};
constexpr std::array<std::uint8_t, 16> kV6d{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d};

void Flip(Bytes& f, std::size_t at) { f[at] ^= 0x01; }

Bytes Tuple(std::span<const std::uint8_t> src, std::span<const std::uint8_t> dst, std::uint16_t sp,
            std::uint16_t dp, bool ports) {
  Bytes t(src.begin(), src.end());
  t.insert(t.end(), dst.begin(), dst.end());
  if (ports) {
    t.push_back(static_cast<std::uint8_t>(sp >> 8));
    t.push_back(static_cast<std::uint8_t>(sp));
    t.push_back(static_cast<std::uint8_t>(dp >> 8));
    t.push_back(static_cast<std::uint8_t>(dp));
  }
  return t;
}

class RxEngineTest : public ::testing::Test {
 protected:
  RxResult Run(const Bytes& f, std::size_t wire_len = 0) {
    return ProcessRxFrame(*adapter_->Snapshot(), f, wire_len);
  }
  std::unique_ptr<Adapter> adapter_ = ReadyAdapter();
};

TEST_F(RxEngineTest, NvgreTcpIpv4AllGood) {
  const Bytes f = BuildNvgreFrame({}, {});
  const RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.reason, RxNotOffloaded::kNone);
  EXPECT_TRUE(r.inner_checksum && r.inner_rss && r.inner_vmq);
  EXPECT_EQ(r.header_span, 14 + 20 + 8 + 14 + 20 + 20);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kInner4Tuple);
  EXPECT_EQ(r.rss.type, kNdisHashTcpIpv4);
  const Bytes tuple = Tuple(std::array<std::uint8_t, 4>{10, 0, 0, 1}, std::array<std::uint8_t, 4>{10, 0, 0, 2}, 1001, 1002, true);
  EXPECT_EQ(r.hash_value(), ToeplitzPlain(kRssVerificationKey, tuple));
  EXPECT_EQ(r.hash_info().raw(), kNdisHashTcpIpv4 | kNdisHashFunctionToeplitz);
  EXPECT_EQ(r.rss.slot, r.hash_value() & 7u);
  EXPECT_EQ(r.rss.queue, r.rss.slot);  // ReadyAdapter: slot i -> queue i
  EXPECT_TRUE(r.vmq_handled);
  EXPECT_EQ(r.filtering_info().raw(), 0u);  // default queue, FilterId 0
}

TEST_F(RxEngineTest, OuterIpv4HeaderBad) {
  Bytes f = BuildNvgreFrame({}, {});
  Flip(f, OuterIpOffset({}) + 10);  // header checksum field
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);
}

TEST_F(RxEngineTest, InnerIpv4HeaderBad) {
  Bytes f = BuildNvgreFrame({}, {});
  Flip(f, InnerIpOffset({}, {}) + 10);
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);
}

TEST_F(RxEngineTest, BothIpv4HeadersBad) {
  Bytes f = BuildNvgreFrame({}, {});
  Flip(f, OuterIpOffset({}) + 10);
  Flip(f, InnerIpOffset({}, {}) + 10);
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);
}

TEST_F(RxEngineTest, InnerTcpBad) {
  Bytes f = BuildNvgreFrame({}, {});
  Flip(f, f.size() - 1);  // payload byte
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpFailed);
}

TEST_F(RxEngineTest, InnerUdpGoodBadAndZero) {
  InnerSpec in;
  in.protocol = wire::kIpProtoUdp;
  Bytes f = BuildNvgreFrame({}, in);
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kUdpOk);
  EXPECT_EQ(Run(f).rss.type, kNdisHashUdpIpv4);
  Flip(f, f.size() - 1);
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kUdpFailed);
  in.udp_checksum_override = 0;  // RFC 768: no checksum over IPv4 -> nothing to check
  EXPECT_EQ(Run(BuildNvgreFrame({}, in)).checksum.raw(), kIpOk);
}

// RFC 8200 §8.1: a zero UDP checksum over IPv6 is discarded, whatever the datagram sums to.
// Exhaustive over the fold: the last two payload bytes take every value, so the sum of the
// datagram (field 0) folds to every value 0x0001..0xFFFF, 0xFFFF (where a zero field would
// "verify" arithmetically) included. Both Rx paths: the plain NVGRE shape and, with a hop-by-hop
// header, the general walk; and wire::VerifyChecksums.
TEST_F(RxEngineTest, UdpZeroChecksumOverIpv6IsAFailure) {
  for (const bool hop_by_hop : {false, true}) {
    InnerSpec in;
    in.ip_version = 6;
    in.src = kV6a;
    in.dst = kV6b;
    in.protocol = wire::kIpProtoUdp;
    in.ipv6_hop_by_hop = hop_by_hop;
    in.payload = 12;
    in.udp_checksum_override = 0;
    Bytes f = BuildNvgreFrame({}, in);
    std::uint32_t folds_to_ffff = 0;
    for (std::uint32_t v = 0; v <= 0xFFFF; ++v) {
      f[f.size() - 2] = static_cast<std::uint8_t>(v >> 8);
      f[f.size() - 1] = static_cast<std::uint8_t>(v);
      const std::span<const std::uint8_t> udp(f.data() + InnerL4Offset({}, in), 8 + in.payload);
      const std::span<const std::uint8_t> ip(f.data() + InnerIpOffset({}, in), 40);
      folds_to_ffff += wire::L4ChecksumVerifiesV6(ip.subspan<8, 16>(), ip.subspan<24, 16>(),
                                                  wire::kIpProtoUdp, udp);
      const std::uint32_t raw = Run(f).checksum.raw();
      if (raw != (kIpOk | kUdpFailed)) {
        ADD_FAILURE() << "last payload word 0x" << std::hex << v << " hop-by-hop " << hop_by_hop
                      << ": flags 0x" << raw;
        break;
      }
      const wire::FrameLayout l = wire::ClassifyFrame(f);
      ASSERT_EQ(wire::VerifyChecksums(f, l).inner_l4, wire::CsumState::kBad) << std::hex << v;
    }
    EXPECT_GE(folds_to_ffff, 1u) << "the sweep must include the case the arithmetic passes";
  }
}

// RFC 8200 §8.1: with a Routing header in transit the pseudo-header destination is the final
// one (scapy-built frames, tests/wire/routing_header_frames.h). Before the fix the Rx engine
// used the Destination Address field and flagged these valid frames Failed.
TEST_F(RxEngineTest, RoutingHeaderFinalDestinationInPseudoHeader) {
  struct Case { std::span<const std::uint8_t> bytes; std::uint32_t good; std::uint32_t bad; };
  const Case cases[] = {
      {nvgre::testing::kNvgreInnerV6Rh0Tcp, kIpOk | kTcpOk, kIpOk | kTcpFailed},
      {nvgre::testing::kNvgreInnerV6Rh0Udp, kIpOk | kUdpOk, kIpOk | kUdpFailed},
      {nvgre::testing::kNvgreInnerV6SrhTcp, kIpOk | kTcpOk, kIpOk | kTcpFailed},
  };
  for (const Case& c : cases) {
    Bytes f(c.bytes.begin(), c.bytes.end());
    EXPECT_EQ(Run(f).checksum.raw(), c.good);
    f[104 + 15] ^= 0x01;  // the final address (Address[1] / Segment List[0])
    EXPECT_EQ(Run(f).checksum.raw(), c.bad);
  }
}

TEST_F(RxEngineTest, MixedModeOuterIpv6InnerIpv4) {
  OuterSpec out;
  out.ip_version = 6;
  out.src = kV6c;
  out.dst = kV6d;
  Bytes f = BuildNvgreFrame(out, {});
  RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);  // the inner IPv4 header is the only one
  Flip(f, InnerIpOffset(out, {}) + 10);
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);
}

TEST_F(RxEngineTest, MixedModeOuterIpv4InnerIpv6) {
  InnerSpec in;
  in.ip_version = 6;
  in.src = kV6a;
  in.dst = kV6b;
  Bytes f = BuildNvgreFrame({}, in);
  RxResult r = Run(f);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);  // the outer IPv4 header is the only one
  EXPECT_EQ(r.rss.type, kNdisHashTcpIpv6);
  EXPECT_EQ(r.hash_value(), ToeplitzPlain(kRssVerificationKey, Tuple(kV6a, kV6b, 1001, 1002, true)));
  Flip(f, OuterIpOffset({}) + 10);
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);
}

TEST_F(RxEngineTest, Ipv6InIpv6HasNoIpFlags) {
  OuterSpec out;
  out.ip_version = 6;
  out.src = kV6c;
  out.dst = kV6d;
  InnerSpec in;
  in.ip_version = 6;
  in.src = kV6a;
  in.dst = kV6b;
  Bytes f = BuildNvgreFrame(out, in);
  EXPECT_EQ(Run(f).checksum.raw(), kTcpOk);
  Flip(f, f.size() - 3);
  EXPECT_EQ(Run(f).checksum.raw(), kTcpFailed);
}

TEST_F(RxEngineTest, InactiveUntilOidTurnsItOn) {
  // Spec §8.1: the keyword says enabled (default 1), no OID yet: no NVGRE offload.
  adapter_ = ReadyAdapter(/*encap_on=*/false);
  ASSERT_EQ(adapter_->keywords().Get(Keyword::kEncapsulatedPacketTaskOffload), 1);
  Bytes f = BuildNvgreFrame({}, {});
  Flip(f, f.size() - 1);  // a bad inner TCP checksum that must not be reported
  RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulationNotOffloaded);
  EXPECT_EQ(r.reason, RxNotOffloaded::kInactive);
  EXPECT_FALSE(r.inner_checksum || r.inner_rss || r.inner_vmq);
  EXPECT_EQ(r.checksum.raw(), kIpOk);  // the outer (tunnel) IPv4 header only
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
  EXPECT_EQ(r.rss.type, kNdisHashIpv4);
  EXPECT_EQ(r.hash_value(), ToeplitzPlain(kRssVerificationKey, Bytes{100, 0, 17, 1, 100, 0, 17, 2}));

  OffloadParameters on;
  on.encapsulated_packet_task_offload = kNdisOffloadSetOn;
  on.encapsulation_types = kNdisEncapsulationTypeGreMac;
  ASSERT_EQ(adapter_->SetOffloadParameters(on), NdisStatus::kSuccess);
  r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpFailed);
  EXPECT_EQ(r.rss.tuple, RssTuple::kInner4Tuple);

  OffloadParameters off;
  off.encapsulated_packet_task_offload = kNdisOffloadSetOff;
  ASSERT_EQ(adapter_->SetOffloadParameters(off), NdisStatus::kSuccess);
  EXPECT_EQ(Run(f).reason, RxNotOffloaded::kInactive);
}

TEST_F(RxEngineTest, NoChecksumBeforeOidOffloadEncapsulation) {
  adapter_ = std::make_unique<Adapter>();  // no OID at all
  const RxResult r = Run(BuildNvgreFrame({}, {}));
  EXPECT_EQ(r.checksum.raw(), 0u);
  EXPECT_FALSE(r.rss.computed());  // RSS not configured either
  EXPECT_EQ(r.hash_info().raw(), 0u);
  // IPv4 enabled, IPv6 not: an outer-IPv6 frame still gets nothing.
  OffloadEncapsulation e;
  e.ipv4.enabled = kNdisOffloadSetOn;
  e.ipv6.enabled = kNdisOffloadSetOff;
  ASSERT_EQ(adapter_->SetOffloadEncapsulation(e), NdisStatus::kSuccess);
  EXPECT_EQ(Run(BuildFrame({})).checksum.raw(), kIpOk | kTcpOk);
  OuterSpec out;
  out.ip_version = 6;
  out.src = kV6c;
  out.dst = kV6d;
  EXPECT_EQ(Run(BuildNvgreFrame(out, {})).checksum.raw(), 0u);
}

TEST_F(RxEngineTest, UnknownEncapsulationIsPassedUpWithoutInnerResults) {
  OuterSpec out;
  out.gre_protocol = 0x88BE;  // ERSPAN type II: not parsed (spec §6)
  Bytes f = BuildNvgreFrame(out, {});
  RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulationNotOffloaded);
  EXPECT_EQ(r.reason, RxNotOffloaded::kUnknownEncapsulation);
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
  const Bytes copy = f;
  (void)Run(f);
  EXPECT_EQ(f, copy);  // never modified

  OuterSpec v1;
  v1.gre_version = 1;  // GREv1 (PPTP)
  EXPECT_EQ(Run(BuildNvgreFrame(v1, {})).reason, RxNotOffloaded::kUnknownEncapsulation);
}

TEST_F(RxEngineTest, GreCarryingIpIsParsed) {
  OuterSpec out;
  out.gre_protocol = wire::kEtherTypeIpv4;
  const RxResult r = Run(BuildNvgreFrame(out, {}));
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kInner4Tuple);
  EXPECT_FALSE(r.inner_vmq);  // no inner Ethernet header
}

TEST_F(RxEngineTest, GreWithChecksumAndSequenceIsStillParsed) {
  OuterSpec out;
  out.gre_checksum = true;
  out.gre_sequence = true;  // not NVGRE, but GRE per RFC 2784/2890 (spec §6)
  const RxResult r = Run(BuildNvgreFrame(out, {}));
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
}

TEST_F(RxEngineTest, InnerIcmpGetsIpFlagsAndTheOuterTwoTuple) {
  InnerSpec in;
  in.protocol = wire::kIpProtoIcmp;
  Bytes f = BuildNvgreFrame({}, in);
  RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
  EXPECT_EQ(r.hash_value(), ToeplitzPlain(kRssVerificationKey, Bytes{100, 0, 17, 1, 100, 0, 17, 2}));
  Flip(f, InnerIpOffset({}, in) + 10);
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed);
}

TEST_F(RxEngineTest, InnerArpIsEncapsulatedForVmqOnly) {
  InnerSpec arp;
  arp.ip_version = 0;
  arp.dst_mac = {0x00, 0x15, 0x5d, 0, 0, 9};
  ReceiveFilter f;
  f.filter_id = 4;
  f.queue_id = 2;
  f.flags = kReceiveFilterPacketEncapsulationGre;
  ASSERT_TRUE(f.AddField(ReceiveFilterField::MacEquals(arp.dst_mac)));
  ASSERT_EQ(adapter_->SetReceiveFilter(f), NdisStatus::kSuccess);
  const RxResult r = Run(BuildNvgreFrame({}, arp));
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_FALSE(r.inner_checksum);  // no inner IP header: nothing inner to check
  EXPECT_FALSE(r.inner_rss);
  EXPECT_TRUE(r.inner_vmq);        // the VMQ mask needs only the outer version here
  EXPECT_EQ(r.header_span, 14 + 20 + 8 + 14);
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
  EXPECT_EQ(r.vmq.queue, 2);
  EXPECT_TRUE(r.vmq.inner_header);
}

TEST_F(RxEngineTest, InnerFragmentHasNoL4FlagAndTheOuterTwoTuple) {
  InnerSpec in;
  in.fragment = true;
  RxResult r = Run(BuildNvgreFrame({}, in));
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
  in.ip_version = 6;
  in.src = kV6a;
  in.dst = kV6b;
  r = Run(BuildNvgreFrame({}, in));
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
}

TEST_F(RxEngineTest, OuterFragmentIsNotOffloaded) {
  OuterSpec out;
  out.fragment = true;
  const RxResult r = Run(BuildNvgreFrame(out, {}));
  EXPECT_EQ(r.reason, RxNotOffloaded::kOuterFragment);
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
}

TEST_F(RxEngineTest, HeadersBeyondMaxHeaderSizeSupported) {
  AdapterCapabilities caps = AdapterCapabilities::Default();
  caps.hardware.encapsulated_packet_task_offload_gre.set_max_header_size_supported(96);
  adapter_ = ReadyAdapter(true, 8, caps);
  InnerSpec in;
  EXPECT_EQ(Run(BuildNvgreFrame({}, in)).path, RxPath::kEncapsulated);  // 96 bytes exactly
  in.tcp_options = 4;
  const RxResult r = Run(BuildNvgreFrame({}, in));
  EXPECT_EQ(r.header_span, 100);
  EXPECT_EQ(r.reason, RxNotOffloaded::kHeadersTooLong);
  EXPECT_EQ(r.checksum.raw(), kIpOk);
}

TEST_F(RxEngineTest, MasksSelectOffloadsPerVersionCombination) {
  AdapterCapabilities caps = AdapterCapabilities::Default();
  auto& gre = caps.hardware.encapsulated_packet_task_offload_gre;
  // Rx checksum only for IPv4 in IPv4; RSS for every combination; VMQ never.
  ASSERT_TRUE(gre.set_mask(EncapOffload::kReceiveChecksum, kEncapInnerIpv4 | kEncapOuterIpv4));
  ASSERT_TRUE(gre.set_mask(EncapOffload::kVmq, 0));
  adapter_ = ReadyAdapter(true, 8, caps);
  RxResult r = Run(BuildNvgreFrame({}, {}));
  EXPECT_TRUE(r.inner_checksum);
  EXPECT_TRUE(r.inner_rss);
  EXPECT_FALSE(r.inner_vmq);

  OuterSpec out;
  out.ip_version = 6;
  out.src = kV6c;
  out.dst = kV6d;
  Bytes f = BuildNvgreFrame(out, {});
  Flip(f, f.size() - 1);
  r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_FALSE(r.inner_checksum);  // no OUTER_IPV6 in the Rx checksum mask
  EXPECT_EQ(r.checksum.raw(), 0u); // the outer header is IPv6: nothing left to check
  EXPECT_TRUE(r.inner_rss);

  ASSERT_TRUE(gre.set_mask(EncapOffload::kRss, kEncapInnerIpv4 | kEncapOuterIpv4));
  adapter_ = ReadyAdapter(true, 8, caps);
  r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulationNotOffloaded);
  EXPECT_EQ(r.reason, RxNotOffloaded::kVersionsNotAdvertised);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
  EXPECT_EQ(r.rss.type, kNdisHashIpv6);
}

TEST_F(RxEngineTest, BaseRxChecksumSwitchedOffPerKind) {
  OffloadParameters p;
  p.tcp_ipv4_checksum = kOffloadParametersTxEnabledRxDisabled;
  ASSERT_EQ(adapter_->SetOffloadParameters(p), NdisStatus::kSuccess);
  EXPECT_EQ(Run(BuildNvgreFrame({}, {})).checksum.raw(), kIpOk);
  InnerSpec udp;
  udp.protocol = wire::kIpProtoUdp;
  EXPECT_EQ(Run(BuildNvgreFrame({}, udp)).checksum.raw(), kIpOk | kUdpOk);
  p = {};
  p.ipv4_checksum = kOffloadParametersTxRxDisabled;
  ASSERT_EQ(adapter_->SetOffloadParameters(p), NdisStatus::kSuccess);
  EXPECT_EQ(Run(BuildNvgreFrame({}, udp)).checksum.raw(), kUdpOk);
}

TEST_F(RxEngineTest, OptionsNotSupportedAreNotChecked) {
  AdapterCapabilities caps = AdapterCapabilities::Default();
  caps.hardware.ipv4_receive.ip_options_supported = false;
  caps.hardware.ipv4_receive.tcp_options_supported = false;
  adapter_ = ReadyAdapter(true, 8, caps);
  InnerSpec in;
  in.ipv4_options = 4;
  // Inner IPv4 header with options: neither it nor the TCP after it is checked, and the outer
  // header alone cannot make IpChecksumSucceeded (§3.2: only when BOTH checks passed).
  EXPECT_EQ(Run(BuildNvgreFrame({}, in)).checksum.raw(), 0u);
  in = {};
  in.tcp_options = 8;
  EXPECT_EQ(Run(BuildNvgreFrame({}, in)).checksum.raw(), kIpOk);
  EXPECT_EQ(Run(BuildNvgreFrame({}, {})).checksum.raw(), kIpOk | kTcpOk);
}

TEST_F(RxEngineTest, Ipv6ExtensionHeadersAreSkipped) {
  InnerSpec in;
  in.ip_version = 6;
  in.src = kV6a;
  in.dst = kV6b;
  in.ipv6_hop_by_hop = true;
  const RxResult r = Run(BuildNvgreFrame({}, in));
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kInner4Tuple);
  EXPECT_EQ(r.hash_value(), ToeplitzPlain(kRssVerificationKey, Tuple(kV6a, kV6b, 1001, 1002, true)));
}

TEST_F(RxEngineTest, PlainPacketsGetBaseOffloads) {
  Bytes f = BuildFrame({});
  RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kPlain);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kOuter4Tuple);
  EXPECT_EQ(r.rss.type, kNdisHashTcpIpv4);
  Flip(f, f.size() - 1);
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpFailed);
}

TEST_F(RxEngineTest, NonIpFrames) {
  InnerSpec arp;
  arp.ip_version = 0;
  const RxResult r = Run(BuildFrame(arp));
  EXPECT_EQ(r.path, RxPath::kNotIp);
  EXPECT_EQ(r.checksum.raw(), 0u);
  EXPECT_FALSE(r.rss.computed());
  EXPECT_TRUE(r.vmq_handled);
  const Bytes tiny{1, 2, 3};
  EXPECT_EQ(Run(tiny).path, RxPath::kNotIp);
  EXPECT_EQ(Run(Bytes{}).path, RxPath::kNotIp);
}

TEST_F(RxEngineTest, TruncatedCaptureLeavesL4Clear) {
  Bytes f = BuildNvgreFrame({}, {});
  const std::size_t wire_len = f.size();
  f.resize(f.size() - 4);  // a snap length cut inside the payload
  const RxResult r = Run(f, wire_len);
  EXPECT_TRUE(r.layout.truncated);
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  EXPECT_EQ(r.rss.tuple, RssTuple::kInner4Tuple);  // the tuple itself was captured
}

TEST_F(RxEngineTest, BurstUsesOneSnapshotAndCounts) {
  RxEngine rx(*adapter_);
  const Bytes a = BuildNvgreFrame({}, {});
  InnerSpec arp;
  arp.ip_version = 0;
  const Bytes b = BuildFrame(arp);
  OuterSpec erspan;
  erspan.gre_protocol = 0x88BE;
  const Bytes c = BuildNvgreFrame(erspan, {});
  Bytes d = BuildFrame({});
  Flip(d, d.size() - 1);
  const std::array<std::span<const std::uint8_t>, 4> frames{a, b, c, d};
  std::array<RxResult, 4> out;
  rx.ProcessBurst(frames, out);
  EXPECT_EQ(out[0].path, RxPath::kEncapsulated);
  EXPECT_EQ(out[1].path, RxPath::kNotIp);
  EXPECT_EQ(out[2].path, RxPath::kEncapsulationNotOffloaded);
  EXPECT_EQ(out[3].path, RxPath::kPlain);
  const RxResult single = rx.Process(a);
  EXPECT_EQ(single.checksum, out[0].checksum);
  EXPECT_EQ(single.hash_value(), out[0].hash_value());
  const RxStats& s = rx.stats();
  EXPECT_EQ(s.frames, 5u);
  EXPECT_EQ(s.by_path[static_cast<std::size_t>(RxPath::kEncapsulated)], 2u);
  EXPECT_EQ(s.not_offloaded[static_cast<std::size_t>(RxNotOffloaded::kUnknownEncapsulation)], 1u);
  EXPECT_EQ(s.l4_checksum_failed, 1u);
  EXPECT_EQ(s.hashed, 4u);  // all but the ARP frame
}

// Differential: over random version combinations, protocols and corruptions, the flags are
// exactly what wire::VerifyChecksums says about the headers the engine checks.
TEST_F(RxEngineTest, FlagsAgreeWithVerifyChecksumsOnRandomFrames) {
  std::mt19937 rng(20240611);
  int compared = 0;
  for (int i = 0; i < 3000; ++i) {
    OuterSpec out;
    InnerSpec in;
    out.ip_version = (rng() & 1) ? 4 : 6;
    in.ip_version = (rng() & 1) ? 4 : 6;
    if (out.ip_version == 6) { out.src = kV6c; out.dst = kV6d; }
    if (in.ip_version == 6) { in.src = kV6a; in.dst = kV6b; }
    const std::uint8_t protos[] = {wire::kIpProtoTcp, wire::kIpProtoUdp,
                                   in.ip_version == 4 ? wire::kIpProtoIcmp : wire::kIpProtoIcmpv6};
    in.protocol = protos[rng() % 3];
    in.payload = rng() % 40;
    in.payload_seed = static_cast<std::uint8_t>(rng());
    in.sport = static_cast<std::uint16_t>(rng());
    in.dport = static_cast<std::uint16_t>(rng());
    const bool plain = rng() % 4 == 0;
    Bytes f = plain ? BuildFrame(in) : BuildNvgreFrame(out, in);
    // Corrupt 0-2 random bytes past the outer Ethernet header.
    for (int k = static_cast<int>(rng() % 3); k > 0; --k) f[14 + rng() % (f.size() - 14)] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    const RxResult r = Run(f);
    ASSERT_TRUE(r.checksum.consistent());
    const wire::ChecksumReport ref = wire::VerifyChecksums(f, r.layout);
    if (r.path == RxPath::kNotIp) {
      EXPECT_EQ(r.checksum.raw(), 0u);
      continue;
    }
    std::vector<wire::CsumState> ip;
    if (r.layout.outer_l3.version == 4) ip.push_back(ref.outer_ip);
    if (r.inner_checksum && r.layout.inner_l3.version == 4) ip.push_back(ref.inner_ip);
    const bool any_bad = std::count(ip.begin(), ip.end(), wire::CsumState::kBad) > 0;
    EXPECT_EQ(r.checksum.ip_checksum_failed(), any_bad) << i;
    EXPECT_EQ(r.checksum.ip_checksum_succeeded(), !ip.empty() && !any_bad) << i;
    const wire::CsumState l4 =
        r.path == RxPath::kPlain ? ref.outer_l4 : (r.inner_checksum ? ref.inner_l4 : wire::CsumState::kAbsent);
    const bool tcp = r.layout.l4_protocol == wire::kIpProtoTcp;
    const bool udp = r.layout.l4_protocol == wire::kIpProtoUdp;
    bool good = l4 == wire::CsumState::kGood && (tcp || udp);
    bool bad = l4 == wire::CsumState::kBad && (tcp || udp);
    const std::uint16_t l4_at = r.path == RxPath::kPlain ? r.layout.outer_l4 : r.layout.inner_l4;
    if (udp && l4_at != wire::kNoHeader) {
      // A UDP Length of 0 or beyond the IP payload: the engine does not guess what the
      // checksum covers (the wire reference sums what is there).
      const wire::L3Layout& l3 = r.path == RxPath::kPlain ? r.layout.outer_l3 : r.layout.inner_l3;
      const std::size_t len = (std::size_t{f[l4_at + 4]} << 8) | f[l4_at + 5];
      if (len == 0 || len > l3.end - l4_at) good = bad = false;
    }
    EXPECT_EQ(r.checksum.tcp_checksum_succeeded(), good && tcp) << i;
    EXPECT_EQ(r.checksum.tcp_checksum_failed(), bad && tcp) << i;
    EXPECT_EQ(r.checksum.udp_checksum_succeeded(), good && udp) << i;
    EXPECT_EQ(r.checksum.udp_checksum_failed(), bad && udp) << i;
    ++compared;
  }
  EXPECT_GT(compared, 2500);
}

// A configuration change is atomic with respect to each packet: while another thread flips
// NVGRE task offload and the RSS hash types, every result is entirely one configuration.
TEST_F(RxEngineTest, ConfigChangesAreAtomicPerPacket) {
  const Bytes f = BuildNvgreFrame({}, {});
  std::atomic<bool> stop{false};
  std::thread control([&] {
    OffloadParameters on, off;
    on.encapsulated_packet_task_offload = kNdisOffloadSetOn;
    on.encapsulation_types = kNdisEncapsulationTypeGreMac;
    off.encapsulated_packet_task_offload = kNdisOffloadSetOff;
    for (int i = 0; i < 200 && !stop; ++i) {
      EXPECT_EQ(adapter_->SetOffloadParameters(i % 2 ? on : off), NdisStatus::kSuccess);
      RssParameters rss;
      rss.hash_types = i % 3 ? kRssSupportedHashTypes : kNdisHashIpv4;
      rss.SetIndirection(8);
      EXPECT_EQ(adapter_->SetRssParameters(rss), NdisStatus::kSuccess);
    }
  });
  RxEngine rx(*adapter_);
  int on = 0, off = 0;
  for (int i = 0; i < 4000; ++i) {
    const RxResult r = rx.Process(f);
    if (r.path == RxPath::kEncapsulated) {
      ++on;
      ASSERT_TRUE(r.inner_checksum && r.inner_rss && r.inner_vmq);
      ASSERT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
      ASSERT_TRUE(r.rss.tuple == RssTuple::kInner4Tuple || r.rss.type == kNdisHashIpv4);
    } else {
      ++off;
      ASSERT_EQ(r.reason, RxNotOffloaded::kInactive);
      ASSERT_EQ(r.checksum.raw(), kIpOk);
      ASSERT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
    }
  }
  stop = true;
  control.join();
  EXPECT_EQ(on + off, 4000);
}

}  // namespace
}  // namespace nvgre::offload

namespace nvgre::offload {
namespace {

// ---- the specialized path for the common NVGRE frame against the general path ---------------

void ExpectSameL2(const wire::L2Layout& a, const wire::L2Layout& b, const std::string& w) {
  EXPECT_EQ(a.offset, b.offset) << w;
  EXPECT_EQ(a.length, b.length) << w;
  EXPECT_EQ(a.vlan_count, b.vlan_count) << w;
  EXPECT_EQ(a.ether_type, b.ether_type) << w;
}
void ExpectSameL3(const wire::L3Layout& a, const wire::L3Layout& b, const std::string& w) {
  EXPECT_EQ(a.offset, b.offset) << w;
  EXPECT_EQ(a.version, b.version) << w;
  EXPECT_EQ(a.header_length, b.header_length) << w;
  EXPECT_EQ(a.protocol, b.protocol) << w;
  EXPECT_EQ(a.end, b.end) << w;
  EXPECT_EQ(a.length_zero, b.length_zero) << w;
  EXPECT_EQ(a.is_fragment, b.is_fragment) << w;
  EXPECT_EQ(a.later_fragment, b.later_fragment) << w;
}
void ExpectSameLayout(const wire::FrameLayout& a, const wire::FrameLayout& b, const std::string& w) {
  ExpectSameL2(a.outer_l2, b.outer_l2, w + " outer_l2");
  ExpectSameL3(a.outer_l3, b.outer_l3, w + " outer_l3");
  EXPECT_EQ(a.outer_l4, b.outer_l4) << w;
  EXPECT_EQ(a.encapsulation, b.encapsulation) << w;
  EXPECT_EQ(a.gre.offset, b.gre.offset) << w;
  EXPECT_EQ(a.gre.header_length, b.gre.header_length) << w;
  EXPECT_EQ(a.gre.flags_version, b.gre.flags_version) << w;
  EXPECT_EQ(a.gre.protocol_type, b.gre.protocol_type) << w;
  EXPECT_EQ(a.gre.key, b.gre.key) << w;
  EXPECT_EQ(a.nvgre_violation, b.nvgre_violation) << w;
  ExpectSameL2(a.inner_l2, b.inner_l2, w + " inner_l2");
  ExpectSameL3(a.inner_l3, b.inner_l3, w + " inner_l3");
  EXPECT_EQ(a.inner_l4, b.inner_l4) << w;
  EXPECT_EQ(a.l4_protocol, b.l4_protocol) << w;
  EXPECT_EQ(a.payload, b.payload) << w;
  EXPECT_EQ(a.truncated, b.truncated) << w;
  EXPECT_EQ(a.error.has_value(), b.error.has_value()) << w;
  if (a.error && b.error) {
    EXPECT_EQ(*a.error, *b.error) << w;
  }
}
void ExpectSameResult(const RxResult& a, const RxResult& b, const std::string& w) {
  ExpectSameLayout(a.layout, b.layout, w);
  EXPECT_EQ(a.path, b.path) << w;
  EXPECT_EQ(a.reason, b.reason) << w;
  EXPECT_EQ(a.header_span, b.header_span) << w;
  EXPECT_EQ(a.inner_checksum, b.inner_checksum) << w;
  EXPECT_EQ(a.inner_rss, b.inner_rss) << w;
  EXPECT_EQ(a.inner_vmq, b.inner_vmq) << w;
  EXPECT_EQ(a.checksum.raw(), b.checksum.raw()) << w;
  EXPECT_EQ(a.rss.tuple, b.rss.tuple) << w;
  EXPECT_EQ(a.rss.hash, b.rss.hash) << w;
  EXPECT_EQ(a.rss.type, b.rss.type) << w;
  EXPECT_EQ(a.rss.slot, b.rss.slot) << w;
  EXPECT_EQ(a.rss.queue, b.rss.queue) << w;
  EXPECT_EQ(a.vmq_handled, b.vmq_handled) << w;
  EXPECT_EQ(a.vmq.queue, b.vmq.queue) << w;
  EXPECT_EQ(a.vmq.filter_id, b.vmq.filter_id) << w;
  EXPECT_EQ(a.vmq.inner_header, b.vmq.inner_header) << w;
}

// Random adapter states (masks, MaxHeaderSizeSupported, NVGRE on/off, OID_OFFLOAD_ENCAPSULATION,
// Rx checksum kinds, options support, RSS types/key/table, VMQ filters simple and general) and
// random NVGRE frames (both inner versions, TCP/UDP/ICMP, options, fragments, corrupted or
// truncated bytes): the specialized path must give exactly the general path's result, and its
// layout exactly wire::ClassifyFrame's.
TEST(RxFastPath, SameAsTheGeneralPath) {
  std::mt19937 rng(6830);
  int fast = 0, total = 0;
  for (int round = 0; round < 40; ++round) {
    AdapterCapabilities caps = AdapterCapabilities::Default();
    auto& gre = caps.hardware.encapsulated_packet_task_offload_gre;
    for (auto o : {EncapOffload::kReceiveChecksum, EncapOffload::kRss, EncapOffload::kVmq}) {
      ASSERT_TRUE(gre.set_mask(o, rng() % 3 == 0 ? rng() % 16 : 0xF));
    }
    gre.set_max_header_size_supported(rng() % 4 == 0 ? static_cast<std::uint32_t>(60 + rng() % 80) : 256u);
    caps.hardware.ipv4_receive.tcp_options_supported = rng() % 4 != 0;
    caps.hardware.ipv6_receive.tcp_options_supported = rng() % 4 != 0;
    auto a = nvgre::testing::ReadyAdapter(rng() % 5 != 0, 16, caps);
    if (rng() % 5 == 0) {
      OffloadEncapsulation e;
      e.ipv4.enabled = kNdisOffloadSetOff;
      ASSERT_EQ(a->SetOffloadEncapsulation(e), NdisStatus::kSuccess);
    }
    OffloadParameters p;
    for (auto* m : {&p.ipv4_checksum, &p.tcp_ipv4_checksum, &p.udp_ipv4_checksum, &p.tcp_ipv6_checksum,
                    &p.udp_ipv6_checksum}) {
      *m = static_cast<std::uint8_t>(rng() % 3 == 0 ? rng() % 5 : 0);
    }
    ASSERT_EQ(a->SetOffloadParameters(p), NdisStatus::kSuccess);
    RssParameters rss;
    rss.hash_types = kRssSupportedHashTypes & static_cast<std::uint32_t>(rng() | 0x100);
    if (rng() % 3 == 0) rss.hash_types = kRssSupportedHashTypes;
    for (auto& b : rss.key) b = static_cast<std::uint8_t>(rng());
    rss.SetIndirection(static_cast<std::uint16_t>(1u << (rng() % 5)));
    rss.enabled = rng() % 8 != 0;
    ASSERT_EQ(a->SetRssParameters(rss), NdisStatus::kSuccess);
    const bool general_filter = rng() % 3 == 0;
    for (std::uint32_t id = 1; id <= 6; ++id) {
      ReceiveFilter f;
      f.filter_id = id;
      f.queue_id = static_cast<std::uint16_t>(id);
      f.flags = rng() % 3 == 0 ? 0 : kReceiveFilterPacketEncapsulationGre;
      const wire::MacAddress mac{0xaa, 0xbb, 0, 0, static_cast<std::uint8_t>(rng() % 2 ? 0x10 : 0x20), static_cast<std::uint8_t>(rng() % 3)};
      (void)f.AddField(general_filter && id == 3 ? ReceiveFilterField::MacNotEquals(mac) : ReceiveFilterField::MacEquals(mac));
      ASSERT_EQ(a->SetReceiveFilter(f), NdisStatus::kSuccess);
    }
    const auto config = a->Snapshot();
    for (int i = 0; i < 100; ++i) {
      OuterSpec out;
      InnerSpec in;
      in.ip_version = rng() % 2 ? 4 : 6;
      if (in.ip_version == 6) { in.src = kV6a; in.dst = kV6b; }
      const int kind = static_cast<int>(rng() % 8);
      in.protocol = kind < 4 ? wire::kIpProtoTcp : kind < 7 ? wire::kIpProtoUdp
                  : (in.ip_version == 4 ? wire::kIpProtoIcmp : wire::kIpProtoIcmpv6);
      in.payload = rng() % 64;
      in.sport = static_cast<std::uint16_t>(rng());
      in.dst_mac = {0xaa, 0xbb, 0, 0, static_cast<std::uint8_t>(rng() % 2 ? 0x10 : 0x20), static_cast<std::uint8_t>(rng() % 3)};
      out.dst_mac = {0xaa, 0xbb, 0, 0, static_cast<std::uint8_t>(rng() % 2 ? 0x10 : 0x20), static_cast<std::uint8_t>(rng() % 3)};
      if (rng() % 8 == 0) in.tcp_options = 12;
      if (rng() % 10 == 0) in.ipv4_options = 4;
      if (rng() % 10 == 0) in.fragment = true;
      if (rng() % 10 == 0) in.udp_checksum_override = 0;
      if (rng() % 12 == 0) out.ipv4_options = 4;
      Bytes f = BuildNvgreFrame(out, in);
      if (rng() % 3 == 0) f[rng() % std::min<std::size_t>(f.size(), 100)] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      std::size_t wire_len = 0;
      if (rng() % 6 == 0) {
        wire_len = f.size();
        f.resize(rng() % f.size());
      }
      const std::string where = "round " + std::to_string(round) + " frame " + std::to_string(i);
      wire::FrameLayout fast_layout;
      if (detail::ClassifyNvgreFastForTest(f, wire_len, fast_layout)) {
        ++fast;
        ExpectSameLayout(fast_layout, wire::ClassifyFrame(f, wire_len), where + " layout");
      }
      RxResult a_result, b_result;
      ProcessRxFrame(*config, f, wire_len, a_result);
      detail::ProcessRxFrameGeneral(*config, f, wire_len, b_result);
      ExpectSameResult(a_result, b_result, where);
      ++total;
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(fast, total / 3);        // the specialized path was exercised
  EXPECT_LT(fast, total - total / 10);  // and so was the general one
}

}  // namespace
}  // namespace nvgre::offload
