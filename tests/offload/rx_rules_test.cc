// Receive rules that docs/conformance.md listed as "partial" (code without a unit test), each
// proven here with concrete values: the `inner-unparsed` path (spec §6), checksum flags left
// clear for inner IPv6 extension headers without IpExtensionHeadersSupported and for an IP
// length field of 0 (§3.2), IPv4 and TCP options validated when advertised (§3.2, §7.2), RSS
// over IPv4 options and plain IPv4 fragments (§10.1), the RscIPv6 switch and the frames the
// receive coalescer never holds (rsc.h), the *UsoIPv4 / *UsoIPv6 / *RscIPv6 keywords read at
// initialization (§12), and the §13 constants no other test pinned; and a bug found on the way
// (IpChecksumSucceeded with an unchecked outer IPv4 header, §3.2), fixed.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <vector>

#include "nvgre/offload/adapter.h"
#include "nvgre/offload/keywords.h"
#include "nvgre/offload/rsc.h"
#include "nvgre/offload/rss.h"
#include "nvgre/offload/rx_engine.h"
#include "nvgre/offload/toeplitz.h"
#include "nvgre/offload/vmq.h"
#include "nvgre/wire/checksum.h"
#include "offload/rx_frames_util.h"

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

// NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO.Receive bits (spec §2.2).
constexpr std::uint32_t kTcpFailed = 0x01, kIpFailed = 0x04;
constexpr std::uint32_t kTcpOk = 0x08, kUdpOk = 0x10, kIpOk = 0x20, kTcpValueInvalid = 0x80;

constexpr std::array<std::uint8_t, 16> kV6a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr std::array<std::uint8_t, 16> kV6b{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr std::array<std::uint8_t, 16> kV6c{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0c};
constexpr std::array<std::uint8_t, 16> kV6d{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0d};

// The first IPv4 row of spec §10.3: source 66.9.149.187:2794, destination 161.142.100.80:1766,
// "IPv4 only" 0x323e8fc2, "IPv4 with TCP" 0x51ccc178 (verification key).
constexpr std::array<std::uint8_t, 16> kMsSrc{66, 9, 149, 187};
constexpr std::array<std::uint8_t, 16> kMsDst{161, 142, 100, 80};
constexpr std::uint16_t kMsSport = 2794, kMsDport = 1766;
constexpr std::uint32_t kMsIpv4Hash = 0x323e8fc2, kMsTcpIpv4Hash = 0x51ccc178;

void PutBe16(Bytes& f, std::size_t at, std::uint16_t v) {
  f[at] = static_cast<std::uint8_t>(v >> 8);
  f[at + 1] = static_cast<std::uint8_t>(v);
}
std::uint32_t Le32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

// Rewrites the IPv4 header checksum of the header at `at` (RFC 791 §3.1: over IHL * 4 bytes).
void FixIpv4Checksum(Bytes& f, std::size_t at) {
  PutBe16(f, at + 10, 0);
  const std::size_t ihl = 4u * (f[at] & 0x0Fu);
  PutBe16(f, at + 10, wire::Checksum(std::span<const std::uint8_t>(f).subspan(at, ihl)));
}

// `f` (built with `out`) cut to `length` bytes, the outer IP length field saying so (and the
// outer IPv4 header checksum right): a complete frame whose outer packet ends early.
Bytes CutOuterPacket(Bytes f, const OuterSpec& out, std::size_t length) {
  f.resize(length);
  const std::size_t ip = OuterIpOffset(out);
  if (out.ip_version == 4) {
    PutBe16(f, ip + 2, static_cast<std::uint16_t>(length - ip));
    FixIpv4Checksum(f, ip);
  } else {
    PutBe16(f, ip + 4, static_cast<std::uint16_t>(length - ip - 40));
  }
  return f;
}

// Toeplitz input (spec §10.2): source ‖ destination (‖ source port ‖ destination port).
Bytes Tuple(std::span<const std::uint8_t> src, std::span<const std::uint8_t> dst, std::uint16_t sp,
            std::uint16_t dp, bool ports) {
  Bytes t(src.begin(), src.end());
  t.insert(t.end(), dst.begin(), dst.end());
  if (ports) {
    for (std::uint16_t p : {sp, dp}) {
      t.push_back(static_cast<std::uint8_t>(p >> 8));
      t.push_back(static_cast<std::uint8_t>(p));
    }
  }
  return t;
}
std::uint32_t Reference(const Bytes& input) { return ToeplitzHashReference(kRssVerificationKey, input); }
std::span<const std::uint8_t> V4(const std::array<std::uint8_t, 16>& a) { return std::span(a).first(4); }

InnerSpec MsFlow(std::uint8_t protocol = wire::kIpProtoTcp) {
  InnerSpec in;
  in.protocol = protocol;
  in.src = kMsSrc;
  in.dst = kMsDst;
  in.sport = kMsSport;
  in.dport = kMsDport;
  return in;
}

// Segment k of one inner TCP flow: 10 payload bytes continuing the byte pattern and the
// sequence space; flags ACK unless given.
InnerSpec Segment(int k, int ip_version = 4, std::uint8_t flags = 0x10) {
  InnerSpec in;
  in.tcp_flags = flags;
  in.payload = 10;
  in.payload_seed = static_cast<std::uint8_t>(0x40 + 10 * k);
  in.tcp_seq = 1000u + 10u * static_cast<std::uint32_t>(k);
  if (ip_version == 6) {
    in.ip_version = 6;
    in.src = kV6a;
    in.dst = kV6b;
  }
  return in;
}

struct Collect : RscSink {
  struct Item {
    Bytes frame;
    RscIndication info;
  };
  std::vector<Item> items;
  void Indicate(std::span<const std::uint8_t> f, const RscIndication& i) override {
    items.push_back({Bytes(f.begin(), f.end()), i});
  }
};

class RxRules : public ::testing::Test {
 protected:
  RxResult Run(const Bytes& f, std::size_t wire_len = 0) {
    return ProcessRxFrame(*adapter_->Snapshot(), f, wire_len);
  }
  void Offer(const Bytes& f, std::uint64_t tag, std::size_t wire_len = 0) {
    const auto c = adapter_->Snapshot();
    rsc_.Offer(*c, f, ProcessRxFrame(*c, f, wire_len), tag, sink_);
  }
  // The last indication is `f` exactly as offered, alone (spec §1, §6: passed up unchanged).
  void ExpectIndicatedUnchanged(const Bytes& f, const RxResult& rx) {
    ASSERT_FALSE(sink_.items.empty());
    const Collect::Item& it = sink_.items.back();
    EXPECT_EQ(it.frame, f);
    EXPECT_EQ(it.info.coalesced_segments, 1);
    EXPECT_EQ(it.info.checksum, rx.checksum);
    EXPECT_FALSE(rsc_.holding());
  }

  std::unique_ptr<Adapter> adapter_ = ReadyAdapter();
  std::array<std::uint8_t, 65536 + 256> storage_{};
  RscCoalescer rsc_{storage_};
  Collect sink_;
};

// ---- Spec §6: inner headers truncated or malformed -> passed up, not offloaded ---------------

// Spec §6 ("unknown or unsupported encapsulation -> hand the packet to the host unchanged") and
// §5.1 step 3: GRE v0 that announces an Ethernet frame or an IP packet whose inner Ethernet /
// IP header does not parse is not offloaded (`inner-unparsed`): the outer IPv4 header checksum
// only, the outer 2-tuple, VMQ on the outer header.
TEST_F(RxRules, InnerUnparsedIsNotOffloaded) {
  const InnerSpec in;
  // A GRE-flagged filter on the inner destination MAC (spec §5.2) steers the intact frame only.
  ReceiveFilter vf;
  vf.filter_id = 9;
  vf.queue_id = 3;
  vf.flags = kReceiveFilterPacketEncapsulationGre;
  ASSERT_TRUE(vf.AddField(ReceiveFilterField::MacEquals(in.dst_mac)));
  ASSERT_EQ(adapter_->SetReceiveFilter(vf), NdisStatus::kSuccess);
  const Bytes intact = BuildNvgreFrame({}, in);
  const RxResult good = Run(intact);
  ASSERT_EQ(good.path, RxPath::kEncapsulated);
  ASSERT_EQ(good.vmq.queue, 3);

  struct Case {
    const char* what;
    Bytes frame;
    bool outer_v6 = false;
  };
  std::vector<Case> cases;
  const std::size_t inner_ip = InnerIpOffset({}, in);
  {
    Bytes f = intact;
    f[inner_ip] = 0x44;  // IHL 4 < 5 (RFC 791 §3.1)
    cases.push_back({"inner IPv4 IHL 4", f});
  }
  {
    Bytes f = intact;
    PutBe16(f, inner_ip + 2, 19);  // Total Length below the 20-byte header
    FixIpv4Checksum(f, inner_ip);
    cases.push_back({"inner IPv4 Total Length 19", f});
  }
  cases.push_back({"outer packet ends 12 bytes into the inner IPv4 header",
                   CutOuterPacket(intact, {}, inner_ip + 12)});
  cases.push_back({"outer packet ends 6 bytes into the inner Ethernet header",
                   CutOuterPacket(intact, {}, inner_ip - 14 + 6)});
  {
    OuterSpec gre_ip;
    gre_ip.gre_protocol = wire::kEtherTypeIpv4;  // GRE carrying IPv4, no inner Ethernet
    Bytes f = BuildNvgreFrame(gre_ip, in);
    f[InnerIpOffset(gre_ip, in)] = 0x65;  // version 6 in a packet GRE says is IPv4
    cases.push_back({"GRE-IP: inner header version 6 under protocol 0x0800", f});
  }
  {
    OuterSpec v6;
    v6.ip_version = 6;
    v6.src = kV6c;
    v6.dst = kV6d;
    InnerSpec in6;
    in6.ip_version = 6;
    in6.src = kV6a;
    in6.dst = kV6b;
    Bytes f = BuildNvgreFrame(v6, in6);
    f[InnerIpOffset(v6, in6)] = 0x45;  // version 4 after EtherType 0x86DD
    cases.push_back({"outer IPv6, inner IPv6 header with version 4", f, true});
  }

  RxEngine rx(*adapter_);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const Bytes copy = c.frame;
    const RxResult r = rx.Process(c.frame);
    EXPECT_EQ(r.path, RxPath::kEncapsulationNotOffloaded);
    EXPECT_EQ(r.reason, RxNotOffloaded::kInnerUnparsed);
    EXPECT_EQ(ToString(r.reason), "inner-unparsed");
    EXPECT_FALSE(r.inner_checksum || r.inner_rss || r.inner_vmq);
    EXPECT_TRUE(r.layout.error.has_value());
    // Spec §3.1 NOTE / §3.2: the tunnel IPv4 header only (none with an IPv6 outer); no L4 flag.
    EXPECT_EQ(r.checksum.raw(), c.outer_v6 ? 0u : kIpOk);
    // Spec §5.1 step 3: 2-tuple over the outer addresses, type of the outer header.
    EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
    const Bytes pair = c.outer_v6 ? Tuple(kV6c, kV6d, 0, 0, false)
                                  : Bytes{100, 0, 17, 1, 100, 0, 17, 2};
    EXPECT_EQ(r.hash_value(), Reference(pair));
    const std::uint32_t type = c.outer_v6 ? kNdisHashIpv6 : kNdisHashIpv4;
    EXPECT_EQ(r.rss.type, type);
    EXPECT_EQ(r.hash_info().raw(), type | kNdisHashFunctionToeplitz);
    EXPECT_EQ(r.rss.queue, r.hash_value() & 7u);  // ReadyAdapter: 8 slots, slot i -> queue i
    // Spec §5.2: GRE-flagged filters see the outer header here: the inner MAC filter misses.
    EXPECT_TRUE(r.vmq_handled);
    EXPECT_EQ(r.vmq.queue, kDefaultReceiveQueueId);
    EXPECT_EQ(r.vmq.filter_id, 0u);
    EXPECT_EQ(c.frame, copy);  // never modified
  }
  EXPECT_EQ(rx.stats().not_offloaded[static_cast<std::size_t>(RxNotOffloaded::kInnerUnparsed)], cases.size());

  // The flags describe the outer header alone: a bad one is reported as such.
  Bytes bad_outer = cases[0].frame;
  bad_outer[OuterIpOffset({}) + 10] ^= 0x01;
  const RxResult r = Run(bad_outer);
  EXPECT_EQ(r.reason, RxNotOffloaded::kInnerUnparsed);
  EXPECT_EQ(r.checksum.raw(), kIpFailed);
}

// ---- Spec §3.2: flags left clear when not checked ----------------------------------------------

// Spec §3.2 ("if both the Failed and Succeeded flag of a kind are clear, the OS verifies in
// software") with §7.2: without IpExtensionHeadersSupported the TCP/UDP after IPv6 extension
// headers is not checked, good or bad.
TEST_F(RxRules, Ipv6ExtensionHeadersNotAdvertisedLeaveL4Clear) {
  InnerSpec hbh;
  hbh.ip_version = 6;
  hbh.src = kV6a;
  hbh.dst = kV6b;
  hbh.ipv6_hop_by_hop = true;
  // Advertised (the default hardware): checked.
  EXPECT_EQ(Run(BuildNvgreFrame({}, hbh)).checksum.raw(), kIpOk | kTcpOk);

  AdapterCapabilities caps = AdapterCapabilities::Default();
  caps.hardware.ipv6_receive.ip_extension_headers_supported = false;
  adapter_ = ReadyAdapter(true, 8, caps);
  const NdisOffload cur = adapter_->CurrentConfig();
  ASSERT_FALSE(cur.ipv6_receive.ip_extension_headers_supported);
  ASSERT_TRUE(cur.ipv6_receive.tcp_checksum && cur.ipv6_receive.udp_checksum);

  Bytes f = BuildNvgreFrame({}, hbh);
  RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk);  // the outer IPv4 header; no TCP flag
  f.back() ^= 0x01;                    // a bad TCP checksum is not reported either
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk);
  InnerSpec udp = hbh;
  udp.protocol = wire::kIpProtoUdp;
  EXPECT_EQ(Run(BuildNvgreFrame({}, udp)).checksum.raw(), kIpOk);
  // Without the extension header the same inner IPv6 TCP/UDP is checked on this adapter.
  InnerSpec plain6 = hbh;
  plain6.ipv6_hop_by_hop = false;
  EXPECT_EQ(Run(BuildNvgreFrame({}, plain6)).checksum.raw(), kIpOk | kTcpOk);
  plain6.protocol = wire::kIpProtoUdp;
  EXPECT_EQ(Run(BuildNvgreFrame({}, plain6)).checksum.raw(), kIpOk | kUdpOk);
  // A plain (not encapsulated) IPv6 packet: the same rule, so no flag at all.
  EXPECT_EQ(Run(BuildFrame(hbh)).checksum.raw(), 0u);
  hbh.ipv6_hop_by_hop = false;
  EXPECT_EQ(Run(BuildFrame(hbh)).checksum.raw(), kTcpOk);
}

// Spec §3.2 / rx_engine.h: an IP length field of 0 (LSOv2 template, BIG TCP, jumbogram) gives
// no length for the TCP/UDP checksum: both flags of the kind stay clear, while an IPv4 header
// checksum (complete whatever the length says) is still checked.
TEST_F(RxRules, IpLengthFieldZeroLeavesL4Clear) {
  // Inner IPv4 Total Length 0.
  const InnerSpec in;
  Bytes f = BuildNvgreFrame({}, in);
  const std::size_t inner_ip = InnerIpOffset({}, in);
  PutBe16(f, inner_ip + 2, 0);
  FixIpv4Checksum(f, inner_ip);
  RxResult r = Run(f);
  ASSERT_TRUE(r.layout.inner_l3.length_zero);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk);  // both IPv4 headers good; no TCP flag
  f.back() ^= 0x01;
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk);
  f[inner_ip + 10] ^= 0x01;  // the inner header itself is still checked
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed);

  // Inner UDP over IPv4 Total Length 0.
  InnerSpec udp;
  udp.protocol = wire::kIpProtoUdp;
  f = BuildNvgreFrame({}, udp);
  PutBe16(f, inner_ip + 2, 0);
  FixIpv4Checksum(f, inner_ip);
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk);

  // Inner IPv6 Payload Length 0.
  InnerSpec in6;
  in6.ip_version = 6;
  in6.src = kV6a;
  in6.dst = kV6b;
  f = BuildNvgreFrame({}, in6);
  PutBe16(f, InnerIpOffset({}, in6) + 4, 0);
  r = Run(f);
  ASSERT_TRUE(r.layout.inner_l3.length_zero);
  EXPECT_EQ(r.checksum.raw(), kIpOk);  // the outer IPv4 header only

  // The outermost (only) IP header of a plain packet: IPv4 Total Length 0 ...
  f = BuildFrame(in);
  PutBe16(f, 14 + 2, 0);
  FixIpv4Checksum(f, 14);
  r = Run(f);
  ASSERT_TRUE(r.layout.outer_l3.length_zero);
  EXPECT_EQ(r.path, RxPath::kPlain);
  EXPECT_EQ(r.checksum.raw(), kIpOk);
  f.back() ^= 0x01;
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk);
  // ... and IPv6 Payload Length 0.
  f = BuildFrame(in6);
  PutBe16(f, 14 + 4, 0);
  r = Run(f);
  ASSERT_TRUE(r.layout.outer_l3.length_zero);
  EXPECT_EQ(r.checksum.raw(), 0u);
  // The same packets with their lengths: checked.
  EXPECT_EQ(Run(BuildFrame(in)).checksum.raw(), kIpOk | kTcpOk);
  EXPECT_EQ(Run(BuildFrame(in6)).checksum.raw(), kTcpOk);
}

// ---- Spec §3.2, §7.2: options handled when advertised ------------------------------------------

// Spec §7.2 "Options": a NIC that advertises IP-options and TCP-options support and NVGRE task
// offload must handle options in the inner and outer IP headers and the inner TCP header. The
// options bytes are part of what is checked: corrupting one is reported as a failure.
TEST_F(RxRules, AdvertisedOptionsAreValidated) {
  const NdisOffload cur = adapter_->CurrentConfig();
  ASSERT_TRUE(cur.ipv4_receive.ip_options_supported);
  ASSERT_TRUE(cur.ipv4_receive.tcp_options_supported);
  ASSERT_TRUE(cur.ipv6_receive.tcp_options_supported);

  // Inner IPv4 header with 8 bytes of options.
  InnerSpec in;
  in.ipv4_options = 8;
  Bytes f = BuildNvgreFrame({}, in);
  RxResult r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
  f[InnerIpOffset({}, in) + 20 + 5] ^= 0x10;  // an option byte (the header checksum covers it)
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);

  // Outer IPv4 header with options (IHL 15: 40 bytes).
  OuterSpec out;
  out.ipv4_options = 40;
  f = BuildNvgreFrame(out, {});
  r = Run(f);
  EXPECT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_EQ(r.checksum.raw(), kIpOk | kTcpOk);
  f[OuterIpOffset(out) + 20 + 39] ^= 0x10;  // the last option byte
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);

  // Both headers with options: each is checked.
  f = BuildNvgreFrame(out, in);
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpOk);
  f[InnerIpOffset(out, in) + 20] ^= 0x10;
  EXPECT_EQ(Run(f).checksum.raw(), kIpFailed | kTcpOk);

  // Inner TCP with 12 bytes of options, under a plain outer header (the specialized path) and
  // under one with options (the general path).
  InnerSpec t;
  t.tcp_options = 12;
  for (const OuterSpec& o : {OuterSpec{}, out}) {
    f = BuildNvgreFrame(o, t);
    EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpOk);
    f[InnerL4Offset(o, t) + 20 + 7] ^= 0x10;  // an option byte (the TCP checksum covers it)
    EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpFailed);
  }
  // TCP options after an inner IPv6 header (IPv6Receive.TcpOptionsSupported).
  InnerSpec t6 = t;
  t6.ip_version = 6;
  t6.src = kV6a;
  t6.dst = kV6b;
  f = BuildNvgreFrame({}, t6);
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpOk);
  f[InnerL4Offset({}, t6) + 20] ^= 0x10;
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpFailed);

  // A plain packet with IPv4 and TCP options.
  InnerSpec both = in;
  both.tcp_options = 4;
  f = BuildFrame(both);
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpOk);
  Bytes bad_ip = f;
  bad_ip[14 + 20 + 1] ^= 0x10;
  EXPECT_EQ(Run(bad_ip).checksum.raw(), kIpFailed | kTcpOk);
  f[14 + 28 + 20] ^= 0x10;  // the TCP option byte
  EXPECT_EQ(Run(f).checksum.raw(), kIpOk | kTcpFailed);
}

// Spec §3.2: "set IpChecksumSucceeded only when BOTH IP header checks passed". An outer IPv4
// header with options that the adapter does not validate (IpOptionsSupported not advertised)
// has not passed its check, so an NVGRE frame with it and a good inner IPv4 header must not be
// reported IpChecksumSucceeded -- least of all when that outer header is corrupt.
// Found by this test: ValidateChecksums skipped such a header silently and reported Succeeded
// from the inner header alone (0x28 with a corrupt outer header checksum).
TEST_F(RxRules, OuterOptionsNotAdvertisedAreNotReportedSucceeded) {
  AdapterCapabilities caps = AdapterCapabilities::Default();
  caps.hardware.ipv4_receive.ip_options_supported = false;
  adapter_ = ReadyAdapter(true, 8, caps);
  OuterSpec out;
  out.ipv4_options = 8;
  Bytes f = BuildNvgreFrame(out, {});
  RxResult r = Run(f);
  ASSERT_EQ(r.path, RxPath::kEncapsulated);
  EXPECT_FALSE(r.checksum.ip_checksum_succeeded());  // the outer header was not checked
  EXPECT_FALSE(r.checksum.ip_checksum_failed());
  f[OuterIpOffset(out) + 10] ^= 0x01;  // the outer header checksum is now wrong
  r = Run(f);
  EXPECT_FALSE(r.checksum.ip_checksum_succeeded());
  EXPECT_FALSE(r.checksum.ip_checksum_failed());     // not checked: not Failed either
}

// ---- Spec §10.1: RSS over IPv4 options and fragments -------------------------------------------

// Spec §10.1 "TCP_IPV4/UDP_IPV4: ... IP options must be skipped": the 4-tuple is the same
// whatever the options, for plain packets and for the inner header of NVGRE frames (§5.1).
TEST_F(RxRules, RssSkipsIpv4OptionsToThePorts) {
  const Bytes four = Tuple(V4(kMsSrc), V4(kMsDst), kMsSport, kMsDport, true);
  ASSERT_EQ(Reference(four), kMsTcpIpv4Hash);  // spec §10.3
  OuterSpec outer_options;
  outer_options.ipv4_options = 12;
  for (int options : {4, 20, 40}) {
    SCOPED_TRACE(options);
    InnerSpec in = MsFlow();
    in.ipv4_options = static_cast<std::uint8_t>(options);
    RxResult r = Run(BuildFrame(in));
    EXPECT_EQ(r.path, RxPath::kPlain);
    EXPECT_EQ(r.rss.tuple, RssTuple::kOuter4Tuple);
    EXPECT_EQ(r.rss.type, kNdisHashTcpIpv4);
    EXPECT_EQ(r.hash_value(), kMsTcpIpv4Hash);
    EXPECT_EQ(r.hash_info().raw(), kNdisHashTcpIpv4 | kNdisHashFunctionToeplitz);
    EXPECT_EQ(r.rss.queue, kMsTcpIpv4Hash & 7u);

    for (const OuterSpec& out : {OuterSpec{}, outer_options}) {
      r = Run(BuildNvgreFrame(out, in));
      EXPECT_EQ(r.path, RxPath::kEncapsulated);
      EXPECT_EQ(r.rss.tuple, RssTuple::kInner4Tuple);
      EXPECT_EQ(r.rss.type, kNdisHashTcpIpv4);
      EXPECT_EQ(r.hash_value(), kMsTcpIpv4Hash);
    }

    InnerSpec udp = MsFlow(wire::kIpProtoUdp);
    udp.ipv4_options = static_cast<std::uint8_t>(options);
    r = Run(BuildFrame(udp));
    EXPECT_EQ(r.rss.type, kNdisHashUdpIpv4);
    EXPECT_EQ(r.hash_value(), kMsTcpIpv4Hash);  // same input layout as TCP (spec §10.3)
  }
}

// Spec §10.1 "Fragmented IPv4 (including the first fragment that has the TCP header) must use
// this 2-tuple": plain IPv4 fragments hash source ‖ destination with type NDIS_HASH_IPV4.
TEST_F(RxRules, RssPlainIpv4FragmentsHashTheTwoTuple) {
  ASSERT_EQ(Reference(Tuple(V4(kMsSrc), V4(kMsDst), 0, 0, false)), kMsIpv4Hash);  // spec §10.3
  InnerSpec in = MsFlow();
  EXPECT_EQ(Run(BuildFrame(in)).hash_value(), kMsTcpIpv4Hash);  // unfragmented: the 4-tuple

  in.fragment = true;  // MF = 1, offset 0: the first fragment, with the TCP header
  const Bytes first = BuildFrame(in);
  Bytes middle = first;
  PutBe16(middle, 14 + 6, 0x2000 | 185);  // MF = 1, offset 185 * 8 = 1480
  FixIpv4Checksum(middle, 14);
  Bytes last = first;
  PutBe16(last, 14 + 6, 370);  // MF = 0, offset 2960: the last fragment
  FixIpv4Checksum(last, 14);
  InnerSpec udp = MsFlow(wire::kIpProtoUdp);
  udp.fragment = true;
  const Bytes udp_first = BuildFrame(udp);

  struct Case {
    const char* what;
    const Bytes& frame;
    bool has_l4;
  };
  for (const Case& c : {Case{"first", first, true}, Case{"middle", middle, false},
                        Case{"last", last, false}, Case{"UDP first", udp_first, true}}) {
    SCOPED_TRACE(c.what);
    const RxResult r = Run(c.frame);
    EXPECT_EQ(r.path, RxPath::kPlain);
    EXPECT_TRUE(r.layout.outer_l3.is_fragment);
    EXPECT_EQ(r.layout.outer_l4 != wire::kNoHeader, c.has_l4);  // the ports were there or not
    EXPECT_EQ(r.rss.tuple, RssTuple::kOuter2Tuple);
    EXPECT_EQ(r.rss.type, kNdisHashIpv4);
    EXPECT_EQ(r.hash_value(), kMsIpv4Hash);
    EXPECT_EQ(r.hash_info().raw(), kNdisHashIpv4 | kNdisHashFunctionToeplitz);
    EXPECT_EQ(r.rss.queue, kMsIpv4Hash & 7u);
    EXPECT_EQ(r.checksum.raw(), kIpOk);  // spec §3.2: a fragment's TCP/UDP is not checked
  }
}

// ---- RSC (rsc.h): the RscIPv6 switch and the frames never held ---------------------------------

// rsc.h: RSC runs per inner IP version, *RscIPv6 / OID RscIPv6 for inner IPv6, independently of
// RscIPv4.
TEST_F(RxRules, RscIpv6SwitchIsSeparateFromRscIpv4) {
  // On (hardware and *RscIPv6 default 1): three inner IPv6 segments merge into the frame the
  // sender would have built with the combined payload.
  ASSERT_TRUE(adapter_->CurrentConfig().rsc_ipv6);
  for (int k = 0; k < 3; ++k) Offer(BuildNvgreFrame({}, Segment(k, 6)), static_cast<std::uint64_t>(k));
  EXPECT_TRUE(sink_.items.empty());
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 1u);
  EXPECT_EQ(sink_.items[0].info.coalesced_segments, 3);
  EXPECT_EQ(sink_.items[0].info.checksum.raw(), kIpOk | kTcpOk | kTcpValueInvalid);
  InnerSpec whole = Segment(0, 6);
  whole.payload = 30;
  const Bytes expected = BuildNvgreFrame({}, whole);
  ASSERT_EQ(sink_.items[0].frame.size(), expected.size());
  const std::size_t tcp_csum = InnerL4Offset({}, whole) + 16;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (i == tcp_csum || i == tcp_csum + 1) continue;  // not recomputed (TcpChecksumValueInvalid)
    EXPECT_EQ(sink_.items[0].frame[i], expected[i]) << "byte " << i;
  }

  // Off (OID_TCP_OFFLOAD_PARAMETERS RscIPv6 = RSC_DISABLED), RscIPv4 untouched.
  OffloadParameters p;
  p.rsc_ipv6 = kOffloadParametersDisabled;
  ASSERT_EQ(adapter_->SetOffloadParameters(p), NdisStatus::kSuccess);
  ASSERT_FALSE(adapter_->CurrentConfig().rsc_ipv6);
  ASSERT_TRUE(adapter_->CurrentConfig().rsc_ipv4);
  EXPECT_EQ(adapter_->keywords().Get(Keyword::kRscIpv6), 0);
  sink_.items.clear();
  for (int k = 0; k < 3; ++k) {
    const Bytes f = BuildNvgreFrame({}, Segment(k, 6));
    Offer(f, static_cast<std::uint64_t>(k));
    ASSERT_EQ(sink_.items.size(), static_cast<std::size_t>(k + 1));  // at once
    ExpectIndicatedUnchanged(f, Run(f));
  }
  sink_.items.clear();
  for (int k = 0; k < 3; ++k) Offer(BuildNvgreFrame({}, Segment(k, 4)), static_cast<std::uint64_t>(k));
  EXPECT_TRUE(rsc_.holding());  // inner IPv4 still coalesced
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 1u);
  EXPECT_EQ(sink_.items[0].info.coalesced_segments, 3);

  // On again.
  p.rsc_ipv6 = kOffloadParametersEnabled;
  ASSERT_EQ(adapter_->SetOffloadParameters(p), NdisStatus::kSuccess);
  sink_.items.clear();
  for (int k = 0; k < 2; ++k) Offer(BuildNvgreFrame({}, Segment(k, 6)), static_cast<std::uint64_t>(k));
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 1u);
  EXPECT_EQ(sink_.items[0].info.coalesced_segments, 2);
}

// rsc.h: a frame is held only when "not a fragment": an inner first fragment (TCP header and
// payload present) is indicated at once, unchanged, after whatever was held.
TEST_F(RxRules, RscNeverHoldsInnerFragments) {
  for (int v : {4, 6}) {
    SCOPED_TRACE(v);
    sink_.items.clear();
    InnerSpec frag = Segment(1, v);
    frag.fragment = true;  // IPv4 MF = 1 / IPv6 Fragment header with M = 1, offset 0
    const Bytes f = BuildNvgreFrame({}, frag);
    const auto c = adapter_->Snapshot();
    const RxResult rx = ProcessRxFrame(*c, f);
    ASSERT_EQ(rx.path, RxPath::kEncapsulated);
    ASSERT_NE(rx.layout.inner_l4, wire::kNoHeader);
    ASSERT_TRUE(rx.layout.inner_l3.is_fragment);

    Offer(BuildNvgreFrame({}, Segment(0, v)), 1);  // held
    ASSERT_TRUE(rsc_.holding());
    rsc_.Offer(*c, f, rx, 2, sink_);
    ASSERT_EQ(sink_.items.size(), 2u);  // the held segment first, then the fragment
    EXPECT_EQ(sink_.items[0].info.first_tag, 1u);
    EXPECT_EQ(sink_.items[0].info.coalesced_segments, 1);
    ExpectIndicatedUnchanged(f, rx);
    EXPECT_EQ(sink_.items[1].info.first_tag, 2u);

    // The coalescer's own rule, not only the engine leaving the TCP flag clear for fragments:
    // even flagged TcpChecksumSucceeded the fragment is not held.
    RxResult flagged = rx;
    flagged.checksum.set_tcp_checksum_succeeded(true);
    rsc_.Offer(*c, f, flagged, 3, sink_);
    ASSERT_EQ(sink_.items.size(), 3u);
    EXPECT_EQ(sink_.items[2].frame, f);
    EXPECT_EQ(sink_.items[2].info.coalesced_segments, 1);
    EXPECT_FALSE(rsc_.holding());
  }
}

// rsc.h: held only when "fully captured": a frame cut short (pcap snap length) goes up at once,
// as captured.
TEST_F(RxRules, RscNeverHoldsTruncatedCaptures) {
  const Bytes whole = BuildNvgreFrame({}, Segment(0));
  const Bytes cut(whole.begin(), whole.end() - 4);  // 4 of the 10 payload bytes missing
  const auto c = adapter_->Snapshot();
  // With the wire length given, and without (the IP length fields then claim the bytes).
  for (std::size_t wire_len : {whole.size(), std::size_t{0}}) {
    SCOPED_TRACE(wire_len);
    sink_.items.clear();
    const RxResult rx = ProcessRxFrame(*c, cut, wire_len);
    ASSERT_EQ(rx.path, RxPath::kEncapsulated);
    ASSERT_TRUE(rx.layout.truncated);
    EXPECT_EQ(rx.checksum.raw(), kIpOk);
    rsc_.Offer(*c, cut, rx, 1, sink_);
    ASSERT_EQ(sink_.items.size(), 1u);
    ExpectIndicatedUnchanged(cut, rx);
    RxResult flagged = rx;  // the coalescer's own rule (see RscNeverHoldsInnerFragments)
    flagged.checksum.set_tcp_checksum_succeeded(true);
    rsc_.Offer(*c, cut, flagged, 2, sink_);
    ASSERT_EQ(sink_.items.size(), 2u);
    EXPECT_EQ(sink_.items[1].frame, cut);
    EXPECT_FALSE(rsc_.holding());
  }
}

// rsc.h: held only when "the TCP payload is not empty": a pure ACK of the flow, checksum good,
// flags ACK only, is indicated at once and unchanged (and ends a held run).
TEST_F(RxRules, RscNeverHoldsEmptySegments) {
  InnerSpec ack = Segment(1);
  ack.payload = 0;  // sequence 1010: exactly where the held segment ends
  const Bytes f = BuildNvgreFrame({}, ack);
  const RxResult rx = Run(f);
  ASSERT_EQ(rx.path, RxPath::kEncapsulated);
  EXPECT_EQ(rx.checksum.raw(), kIpOk | kTcpOk);  // eligible in every other respect
  Offer(f, 1);
  ASSERT_EQ(sink_.items.size(), 1u);
  ExpectIndicatedUnchanged(f, rx);

  const Bytes seg0 = BuildNvgreFrame({}, Segment(0));
  Offer(seg0, 2);
  ASSERT_TRUE(rsc_.holding());
  Offer(f, 3);
  ASSERT_EQ(sink_.items.size(), 3u);
  EXPECT_EQ(sink_.items[1].frame, seg0);  // the held segment first, unmerged
  EXPECT_EQ(sink_.items[1].info.coalesced_segments, 1);
  ExpectIndicatedUnchanged(f, rx);
  EXPECT_EQ(sink_.items[2].info.first_tag, 3u);
}

// rsc.h: held only with "inner checksums" and an inner TCP segment whose checksum succeeded:
// inner UDP, and an encapsulated TCP frame whose inner checksum the Rx checksum mask does not
// allow (spec §7.2), go up at once, unchanged -- also when flagged TcpChecksumSucceeded (the
// coalescer's own rules, see RscNeverHoldsInnerFragments).
TEST_F(RxRules, RscNeverHoldsUdpOrFramesWithoutInnerChecksum) {
  InnerSpec udp = Segment(0);
  udp.protocol = wire::kIpProtoUdp;
  udp.payload_seed = 0x0B;  // UDP payload byte 5 (where TCP has its flags) reads 0x10, ACK
  const Bytes u = BuildNvgreFrame({}, udp);
  const auto cu = adapter_->Snapshot();
  const RxResult ru = ProcessRxFrame(*cu, u);
  ASSERT_EQ(ru.path, RxPath::kEncapsulated);
  ASSERT_EQ(u[ru.layout.inner_l4 + 13], 0x10);
  EXPECT_EQ(ru.checksum.raw(), kIpOk | kUdpOk);
  rsc_.Offer(*cu, u, ru, 1, sink_);
  ASSERT_EQ(sink_.items.size(), 1u);
  ExpectIndicatedUnchanged(u, ru);
  RxResult flagged = ru;
  flagged.checksum.set_tcp_checksum_succeeded(true);
  rsc_.Offer(*cu, u, flagged, 2, sink_);
  ASSERT_EQ(sink_.items.size(), 2u);
  EXPECT_EQ(sink_.items[1].frame, u);
  EXPECT_FALSE(rsc_.holding());

  AdapterCapabilities caps = AdapterCapabilities::Default();
  ASSERT_TRUE(caps.hardware.encapsulated_packet_task_offload_gre.set_mask(EncapOffload::kReceiveChecksum, 0));
  adapter_ = ReadyAdapter(true, 8, caps);
  const Bytes t = BuildNvgreFrame({}, Segment(0));
  const auto ct = adapter_->Snapshot();
  const RxResult rt = ProcessRxFrame(*ct, t);
  ASSERT_EQ(rt.path, RxPath::kEncapsulated);  // RSS and VMQ still use the inner headers
  ASSERT_FALSE(rt.inner_checksum);
  EXPECT_EQ(rt.checksum.raw(), kIpOk);  // the outer header only
  rsc_.Offer(*ct, t, rt, 3, sink_);
  ASSERT_EQ(sink_.items.size(), 3u);
  ExpectIndicatedUnchanged(t, rt);
  flagged = rt;
  flagged.checksum.set_tcp_checksum_succeeded(true);
  rsc_.Offer(*ct, t, flagged, 4, sink_);
  ASSERT_EQ(sink_.items.size(), 4u);
  EXPECT_EQ(sink_.items[3].frame, t);
  EXPECT_FALSE(rsc_.holding());
}

// ---- Spec §12: keywords read at initialization -------------------------------------------------

// Spec §12 (standardized keywords are read at initialization) for *UsoIPv4 / *UsoIPv6 (default
// 1, [INFER]) and *RscIPv6: 0 leaves that member of the initial current config off.
TEST_F(RxRules, UsoAndRscIpv6KeywordsShapeTheInitialConfig) {
  const NdisOffload hw = AdapterCapabilities::Default().hardware;
  {
    Adapter a(AdapterCapabilities::Default(), Keywords::Parse("*UsoIPv4=0\n"));
    const NdisOffload c = a.CurrentConfig();
    EXPECT_EQ(c.uso_ipv4, UsoOffload{});
    EXPECT_EQ(c.uso_ipv4.encapsulation, kNdisEncapsulationNotSupported);
    EXPECT_EQ(c.uso_ipv6, hw.uso_ipv6);
    const auto b = c.ToBytes(6);  // UdpSegmentation.IPv4 at 188, .IPv6 at 200
    EXPECT_EQ(Le32(b, 188), 0u);
    EXPECT_EQ(Le32(b, 192), 0u);
    EXPECT_EQ(Le32(b, 200), kNdisEncapsulationIeee8023);
    EXPECT_EQ(Le32(b, 204), 262144u);
    ASSERT_EQ(a.SetOffloadEncapsulation(OffloadEncapsulation::Ethernet()), NdisStatus::kSuccess);
    EXPECT_FALSE(a.TxConfig().uso_ipv4.enabled);
    EXPECT_TRUE(a.TxConfig().uso_ipv6.enabled);
    EXPECT_TRUE(c.rsc_ipv4 && c.rsc_ipv6);  // nothing else changed
    EXPECT_EQ(c.lso_v2_ipv4, hw.lso_v2_ipv4);
  }
  {
    Adapter a(AdapterCapabilities::Default(), Keywords::Parse("*usoipv6=0\r\n"));  // case, CRLF
    const NdisOffload c = a.CurrentConfig();
    EXPECT_EQ(c.uso_ipv4, hw.uso_ipv4);
    EXPECT_EQ(c.uso_ipv6, UsoOffload{});
    ASSERT_EQ(a.SetOffloadEncapsulation(OffloadEncapsulation::Ethernet()), NdisStatus::kSuccess);
    EXPECT_TRUE(a.TxConfig().uso_ipv4.enabled);
    EXPECT_FALSE(a.TxConfig().uso_ipv6.enabled);
  }
  {
    // No keyword, or an invalid value (the default, 1, then applies): both on.
    std::vector<KeywordDiagnostic> diags;
    for (const char* text : {"", "*UsoIPv4=2\n*UsoIPv6=x\n"}) {
      const Adapter a(AdapterCapabilities::Default(), Keywords::Parse(text, &diags));
      EXPECT_EQ(a.CurrentConfig().uso_ipv4, hw.uso_ipv4) << text;
      EXPECT_EQ(a.CurrentConfig().uso_ipv6, hw.uso_ipv6) << text;
    }
    EXPECT_EQ(diags.size(), 2u);
  }
  {
    const Adapter a(AdapterCapabilities::Default(), Keywords::Parse("*RscIPv6=0\n"));
    EXPECT_FALSE(a.CurrentConfig().rsc_ipv6);
    EXPECT_TRUE(a.CurrentConfig().rsc_ipv4);
    EXPECT_EQ(a.CurrentConfig().ToBytes(3)[145], 0);  // Rsc.IPv6.Enabled
    EXPECT_EQ(a.CurrentConfig().ToBytes(3)[144], 1);  // Rsc.IPv4.Enabled
  }
}

// ---- Spec §13: constants --------------------------------------------------------------------

TEST_F(RxRules, ConstantsMatchSpecSection13) {
  EXPECT_EQ(kOidTcpOffloadCurrentConfig, 0xFC01020Bu);
  EXPECT_EQ(kOidTcpOffloadHardwareCapabilities, 0xFC01020Du);
  EXPECT_EQ(kOidOffloadEncapsulation, 0x0101010Au);
  EXPECT_EQ(kOidGenReceiveScaleParameters, 0x00010204u);
  EXPECT_EQ(static_cast<std::uint32_t>(NdisStatus::kTaskOffloadHardwareCapabilities), 0x40020007u);
  EXPECT_EQ(ToString(NdisStatus::kTaskOffloadHardwareCapabilities),
            "NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES");
  EXPECT_EQ(kNdisOffloadSetNoChange, 0);
  EXPECT_EQ(kNdisOffloadSetOn, 1);
  EXPECT_EQ(kNdisOffloadSetOff, 2);
  EXPECT_EQ(kNdisEncapsulationTypeVxlan, 0x2);
  EXPECT_EQ(kReceiveFilterPacketEncapsulationGre, 0x2u);
  // Spec §11 capability bits (NDIS_RECEIVE_FILTER_CAPABILITIES).
  EXPECT_EQ(kReceiveFilterTestEqualSupported, 0x1u);
  EXPECT_EQ(kReceiveFilterTestMaskEqualSupported, 0x2u);
  EXPECT_EQ(kReceiveFilterTestNotEqualSupported, 0x4u);
  EXPECT_EQ(kReceiveFilterMacHeaderSupported, 0x1u);
  EXPECT_EQ(kReceiveFilterMacHeaderVlanIdSupported, 0x8u);
  EXPECT_EQ(kReceiveFilterFieldMacHeaderVlanUntaggedOrZero, 0x1u);
  EXPECT_EQ(kDefaultReceiveQueueId, 0);
}

}  // namespace
}  // namespace nvgre::offload
