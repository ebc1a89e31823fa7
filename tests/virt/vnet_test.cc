// virtio_net_hdr (virt/vnet.h): known bytes of real headers (a Linux TSO frame's), every
// VnetTxDrop with a frame that triggers exactly it (the same frame without the fault goes through
// the whole path), the NDIS OOB and checksum seeds PrepareEncapsulatedTx produces (spec §2, §3.1,
// §4), the receive-direction headers, and the end-to-end property over thousands of random valid
// frames: CheckVnetTx -> EncapsulateInPlace -> PrepareEncapsulatedTx -> ProcessTxPacket never
// refuses, every frame fits the underlay MTU, every checksum verifies (checked with the RFC 1071
// arithmetic written again below, not wire::VerifyChecksums) and the payloads concatenate to the
// original. A few frames are also checked with scapy (Debian python3-scapy) as the oracle.
#include "nvgre/virt/vnet.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"
#include "nvgre/offload/ndis_oob.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/packet_buffer.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/tcp.h"

#include "virt/inner_frame_util.h"

namespace nvgre::virt {
namespace {

using namespace nvgre::virt::testframes;  // Flow, Frame, Build
using offload::TxOffloadConfig;

// ---- RFC 1071 arithmetic, written again here (the oracle; not wire::) ------------------------
std::uint64_t WordSum(std::span<const std::uint8_t> b) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) s += (std::uint64_t{b[i]} << 8) | b[i + 1];
  if (b.size() % 2 != 0) s += std::uint64_t{b.back()} << 8;
  return s;
}
std::uint16_t Fold16(std::uint64_t s) {
  while ((s >> 16) != 0) s = (s & 0xFFFF) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}
std::uint16_t Get16(std::span<const std::uint8_t> b, std::size_t off) {
  return static_cast<std::uint16_t>((b[off] << 8) | b[off + 1]);
}
void Put16(std::span<std::uint8_t> b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}
// Pseudo-header words (RFC 9293 §3.1, RFC 8200 §8.1) of the IP header at l3.
std::uint64_t PseudoWords(std::span<const std::uint8_t> f, std::size_t l3, bool v6,
                          std::uint8_t proto, std::uint32_t len) {
  return WordSum(f.subspan(l3 + (v6 ? 8 : 12), v6 ? 32 : 8)) + proto + (len >> 16) + (len & 0xFFFF);
}
std::uint16_t Seed(std::span<const std::uint8_t> f, std::size_t l3, bool v6, std::uint8_t proto,
                   std::uint32_t len) {
  return Fold16(PseudoWords(f, l3, v6, proto, len));
}
bool L4Verifies(std::span<const std::uint8_t> f, std::size_t l3, bool v6, std::uint8_t proto,
                std::size_t l4, std::size_t end) {
  const auto len = static_cast<std::uint32_t>(end - l4);
  return Fold16(PseudoWords(f, l3, v6, proto, len) + WordSum(f.subspan(l4, len))) == 0xFFFF;
}
bool Ipv4HeaderVerifies(std::span<const std::uint8_t> f, std::size_t l3) {
  return Fold16(WordSum(f.subspan(l3, std::size_t{f[l3] & 0x0Fu} * 4))) == 0xFFFF;
}

// ---- Frames and the headers Linux writes for them --------------------------------------------
constexpr std::uint8_t kTcp = wire::kIpProtoTcp;
constexpr std::uint8_t kUdp = wire::kIpProtoUdp;

Frame Pattern(std::size_t n, std::uint32_t seed = 1) {
  Frame p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>((i * 7 + seed * 13 + (i >> 8)) & 0xFF);
  return p;
}

// Where Build(flow) put the headers, from the Flow alone.
struct Shape {
  std::size_t l3 = 0, l4 = 0, hl = 0, end = 0;
  bool v6 = false;
  std::uint8_t proto = 0;
  std::size_t tags() const { return l3 - 14; }
};
Shape ShapeOf(const Flow& f, const Frame& frame) {
  Shape s;
  s.v6 = f.version == 6;
  s.proto = f.protocol;
  s.l3 = 14 + 4 * f.tags.size();
  std::size_t ip = 20 + f.ipv4_options.size();
  if (s.v6) {
    ip = 40 + (f.ipv6_hop_by_hop ? 8 : 0);
    for (std::uint8_t t : f.ipv6_extensions) {
      ip += (t == 43 || t == 44) ? 8 : std::max<std::size_t>(8, f.ipv6_ext_size);
    }
  }
  s.l4 = s.l3 + ip;
  s.hl = s.l4 + (f.protocol == kTcp ? 20 + ((f.tcp_options.size() + 3) & ~std::size_t{3})
                 : f.protocol == kUdp ? 8
                                      : 0);
  s.end = frame.size();
  return s;
}

Flow TcpFlow(int version, std::size_t payload) {
  Flow f;
  f.version = version;
  if (version == 6) {
    f.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    f.dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  }
  f.protocol = kTcp;
  f.tcp_flags = wire::kTcpFlagAck | wire::kTcpFlagPsh;
  f.seq = 0x01020304;
  f.ip_id = 0x1234;
  f.dont_fragment = true;
  f.payload = Pattern(payload);
  return f;
}
Flow UdpFlow(int version, std::size_t payload) {
  Flow f = TcpFlow(version, payload);
  f.protocol = kUdp;
  return f;
}

// The header Linux's virtio_net_hdr_from_skb writes for a CHECKSUM_PARTIAL (and GSO) skb:
// csum_start at the transport header (Ethernet and tags counted), the field holding the
// pseudo-header sum WITH the length (tcp_v4_send_check / udp: on skb->len, GSO included).
struct Input {
  Frame frame;
  VnetHdr hdr;
};
Input Linux(const Flow& f, std::uint8_t gso_type = kVnetGsoNone, std::uint16_t gso_size = 0) {
  Input in{Build(f), {}};
  const Shape s = ShapeOf(f, in.frame);
  in.hdr.flags = kVnetFlagNeedsCsum;
  in.hdr.gso_type = gso_type;
  in.hdr.gso_size = gso_size;
  in.hdr.hdr_len = static_cast<std::uint16_t>(s.hl);
  in.hdr.csum_start = static_cast<std::uint16_t>(s.l4);
  in.hdr.csum_offset = s.proto == kTcp ? 16 : 6;
  Put16(in.frame, s.l4 + in.hdr.csum_offset,
        Seed(in.frame, s.l3, s.v6, s.proto, static_cast<std::uint32_t>(s.end - s.l4)));
  return in;
}
Input Plain(const Flow& f) { return Input{Build(f), {}}; }

EncapConfig OuterV4(bool vlan = false) {
  EncapConfig c;
  c.outer_source_mac = {0x02, 0, 0, 0, 0, 0xaa};
  c.outer_destination_mac = {0x02, 0, 0, 0, 0, 0xbb};
  c.outer_ip = OuterIpv4{{192, 0, 2, 1}, {192, 0, 2, 2}};
  c.vsid = 0x5001;
  if (vlan) c.outer_vlan = OuterVlan{100, 3, false};
  return c;
}
EncapConfig OuterV6(bool vlan = false) {
  EncapConfig c = OuterV4(vlan);
  c.outer_ip = OuterIpv6{{0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                         {0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
  return c;
}

// ---- The whole transmit path -------------------------------------------------------------------
struct Pipeline {
  EncapConfig encap = OuterV4();
  TxOffloadConfig tx;
  std::uint32_t mtu = 1500;
  VnetTxLimits limits;
  std::size_t truncate_read = std::numeric_limits<std::size_t>::max();
  bool tamper_request = false;  // hand PrepareEncapsulatedTx a request that does not match
};

struct Result {
  std::optional<VnetTxDrop> drop;
  std::optional<VnetTxRequest> request;
  std::optional<EncapsulatedTx> tx;
  std::optional<offload::TxOob> oob_in;  // the OOB as PrepareEncapsulatedTx built it
  Frame encapsulated;                     // after PrepareEncapsulatedTx
  std::size_t outer_l3 = 0, inner_l2 = 0;
  offload::TxResult result;
  std::vector<Frame> segments;
};

using Storage = offload::TxSegmentArray<256, 256>;
Storage& SharedStorage() {
  static const std::unique_ptr<Storage> storage = std::make_unique<Storage>();
  return *storage;
}

Result RunPipeline(const Input& in, const Pipeline& p) {
  Result out;
  Frame read(kVnetHdrSize);
  EmitVnetHdr(in.hdr, std::span<std::uint8_t, kVnetHdrSize>(read.data(), kVnetHdrSize));
  read.insert(read.end(), in.frame.begin(), in.frame.end());
  if (read.size() > p.truncate_read) read.resize(p.truncate_read);
  auto req = CheckVnetTxRead(read, p.limits);
  if (!req) {
    out.drop = req.error();
    return out;
  }
  out.request = *req;
  PacketBuffer pkt(in.frame.size() + 256);
  EXPECT_TRUE(pkt.Assign(in.frame));
  std::uint16_t ipv4_id = 0x4000;
  auto encap = EncapsulateInPlace(pkt, p.encap, ipv4_id);
  if (!encap) {
    ADD_FAILURE() << "EncapsulateInPlace refused: " << ToString(encap.error());
    return out;
  }
  out.inner_l2 = encap->outer_header_length;
  out.outer_l3 = 14 + (p.encap.outer_vlan ? 4 : 0);
  VnetTxRequest request = *req;
  if (p.tamper_request) request.l4_offset = static_cast<std::uint16_t>(request.l4_offset + 4);
  auto tx = PrepareEncapsulatedTx(request, pkt.data(), p.tx, p.mtu);
  if (!tx) {
    out.drop = tx.error();
    return out;
  }
  out.tx = *tx;
  out.oob_in = tx->oob;
  out.encapsulated.assign(pkt.data().begin(), pkt.data().end());
  offload::TxOob oob = tx->oob;
  offload::TxStats stats;
  Storage& storage = SharedStorage();
  out.result = offload::ProcessTxPacket(p.tx, pkt.data(), oob, storage.output(), stats);
  EXPECT_TRUE(out.result.ok()) << "the Tx engine refused what PrepareEncapsulatedTx accepted: "
                               << offload::ToString(out.result.refusal);
  for (const offload::TxSegment& s : out.result.segments(storage.output())) {
    Frame f(s.size());
    EXPECT_EQ(offload::LinearizeSegment(s, f), f.size());
    out.segments.push_back(std::move(f));
  }
  return out;
}

// ---- vnet header bytes -------------------------------------------------------------------------

// A Linux TSO frame's header as read from a TAP (tcpdump -X of the read, first 12 bytes):
//   0x0000:  0101 4200 a805 2200 1000 0000
// flags NEEDS_CSUM, gso_type TCPV4, hdr_len 66 (14 + 20 + 32: TCP with timestamps), gso_size
// 1448 (1500 - 20 - 32), csum_start 34, csum_offset 16, num_buffers 0; every 16-bit field
// little-endian (virtio 1.x §5.1.6).
constexpr std::array<std::uint8_t, 12> kLinuxTsoHdr = {0x01, 0x01, 0x42, 0x00, 0xa8, 0x05,
                                                       0x22, 0x00, 0x10, 0x00, 0x00, 0x00};

TEST(VnetHdr, LinuxTsoHeaderKnownBytes) {
  auto h = ParseVnetHdr(kLinuxTsoHdr);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->flags, kVnetFlagNeedsCsum);
  EXPECT_EQ(h->gso_type, kVnetGsoTcpv4);
  EXPECT_EQ(h->hdr_len, 66);
  EXPECT_EQ(h->gso_size, 1448);
  EXPECT_EQ(h->csum_start, 34);
  EXPECT_EQ(h->csum_offset, 16);
  EXPECT_EQ(h->num_buffers, 0);
  std::array<std::uint8_t, kVnetHdrSize> out{};
  EmitVnetHdr(*h, out);
  EXPECT_EQ(out, kLinuxTsoHdr);
}

TEST(VnetHdr, LittleEndianFieldsRoundTrip) {
  // A Linux USO (UDP GSO, QUIC) header: flags 1, gso_type 5, hdr_len 42, gso_size 1200 (0x04b0),
  // csum_start 34, csum_offset 6, num_buffers 0x0102.
  const std::array<std::uint8_t, 12> bytes = {0x01, 0x05, 0x2a, 0x00, 0xb0, 0x04,
                                              0x22, 0x00, 0x06, 0x00, 0x02, 0x01};
  auto h = ParseVnetHdr(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, (VnetHdr{kVnetFlagNeedsCsum, kVnetGsoUdpL4, 42, 1200, 34, 6, 0x0102}));
  std::array<std::uint8_t, kVnetHdrSize> out{};
  EmitVnetHdr(*h, out);
  EXPECT_EQ(out, bytes);
  // Longer reads: only the first 12 bytes are the header.
  std::array<std::uint8_t, 20> longer{};
  std::copy(bytes.begin(), bytes.end(), longer.begin());
  EXPECT_EQ(*ParseVnetHdr(longer), *h);
}

TEST(VnetHdr, EveryPrefixIsTruncated) {
  for (std::size_t n = 0; n < kVnetHdrSize; ++n) {
    auto h = ParseVnetHdr(std::span(kLinuxTsoHdr).first(n));
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.error().error, wire::ParseError::kTruncated);
    EXPECT_EQ(h.error().layer, wire::Layer::kVnetHdr);
    EXPECT_EQ(h.error().offset, 0u);
  }
}

TEST(VnetTxDrop, NamesAreUniqueKebabCaseWithHelp) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kVnetTxDropCount; ++i) {
    const auto d = static_cast<VnetTxDrop>(i);
    EXPECT_TRUE(ToString(d).starts_with("vnet-")) << ToString(d);
    EXPECT_EQ(ToString(d).find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"),
              std::string_view::npos);
    EXPECT_FALSE(HelpText(d).empty());
    names.insert(ToString(d));
  }
  EXPECT_EQ(names.size(), kVnetTxDropCount);
  EXPECT_EQ(ToString(VnetTxDrop::kGsoSizeInvalid), "vnet-gso-size-invalid");
  EXPECT_EQ(ToString(VnetTxDrop::kCount), "?");
}

// ---- A Linux TSO frame, end to end -------------------------------------------------------------

// 14 + 20 + 32 (TCP with NOP NOP timestamps) = 66 header bytes, 3 * 1448 payload bytes.
Flow LinuxTsoFlow() {
  Flow f = TcpFlow(4, 3 * 1448);
  f.tcp_options = {1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0};
  return f;
}

TEST(VnetTx, LinuxTsoFrameIsValidatedWithoutTrustingHdrLen) {
  for (const std::uint16_t hdr_len : std::array<std::uint16_t, 5>{66, 0, 1, 54, 9000}) {
    Input in = Linux(LinuxTsoFlow(), kVnetGsoTcpv4, 1448);
    in.hdr.hdr_len = hdr_len;
    auto r = CheckVnetTx(in.hdr, in.frame, {});
    ASSERT_TRUE(r) << ToString(r.error());
    EXPECT_EQ(r->kind, VnetTxKind::kTcpSegmentation);
    EXPECT_TRUE(r->is_ip);
    EXPECT_FALSE(r->ipv6);
    EXPECT_TRUE(r->ipv4_dont_fragment);
    EXPECT_EQ(r->l4_protocol, kTcp);
    EXPECT_EQ(r->l3_offset, 14);
    EXPECT_EQ(r->l4_offset, 34);
    EXPECT_EQ(r->header_length, 66) << "recomputed, hdr_len was " << hdr_len;
    EXPECT_EQ(r->ip_packet_length, 20u + 32 + 3 * 1448);
    EXPECT_EQ(r->frame_length, 66u + 3 * 1448);
    EXPECT_EQ(r->gso_size, 1448);
    EXPECT_EQ(r->csum_start, 34);
    EXPECT_EQ(r->csum_offset, 16);
    EXPECT_FALSE(r->software_checksum);
  }
}

TEST(VnetTx, LinuxTsoFrameOverIpv4Underlay) {
  const Input in = Linux(LinuxTsoFlow(), kVnetGsoTcpv4, 1448);
  Pipeline p;  // outer IPv4, MTU 1500
  Result r = RunPipeline(in, p);
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  // Every segment carries outer IPv4 20 + GRE 8 + inner Ethernet 14 + IPv4 20 + TCP 32 = 94
  // bytes: MSS = min(1448, 1500 - 94) = 1406, so 4344 bytes make 3 * 1406 + 126.
  EXPECT_EQ(r.tx->mss, 1406u);
  EXPECT_EQ(r.tx->segments, 4u);
  ASSERT_EQ(r.segments.size(), 4u);
  EXPECT_EQ(r.segments[0].size(), 14u + 1500);
  EXPECT_EQ(r.segments[3].size(), 14u + 94 + 126);
  // OOB, by hand from the NDIS bit layouts (ndis_oob.h):
  //   LsoV2Transmit: MSS 1406 | TcpHeaderOffset 76 << 20 | Type V2 << 30 | IPVersion 0 << 31;
  //   supplemental: IsEncapsulated | OffsetsValid | InnerFrameOffset 42 << 2 |
  //                 TransportIpHeaderRelativeOffset 14 << 10 | TcpHeaderRelativeOffset 20 << 16 |
  //                 TcpOptionsPresent << 27;
  //   checksum: IsIPv4 | TcpChecksum | IpHeaderChecksum | TcpHeaderOffset 76 << 16.
  EXPECT_EQ(r.oob_in->large_send, 0x44C0057Eu);
  EXPECT_EQ(r.oob_in->supplemental.raw(), 0x081438ABu);
  EXPECT_EQ(r.oob_in->checksum.raw(), 0x004C0015u);
  EXPECT_EQ(r.oob_in->uso.raw(), 0u);
  // The seed was rewritten: pseudo-header sum WITHOUT the TCP length (spec §4), where Linux
  // had put the super-frame's length.
  const std::size_t i3 = 42 + 14, i4 = i3 + 20;
  EXPECT_EQ(Get16(r.encapsulated, i4 + 16), Seed(r.encapsulated, i3, false, kTcp, 0));
  EXPECT_NE(Get16(in.frame, 34 + 16), Get16(r.encapsulated, i4 + 16));
  EXPECT_EQ(r.result.action, offload::TxAction::kLsoV2);
}

TEST(VnetTx, LinuxTsoFrameWithRoomForTheWholeMss) {
  Pipeline p;
  p.mtu = 1448 + 94;
  Result r = RunPipeline(Linux(LinuxTsoFlow(), kVnetGsoTcpv4, 1448), p);
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  EXPECT_EQ(r.tx->mss, 1448u);
  EXPECT_EQ(r.tx->segments, 3u);
  ASSERT_EQ(r.segments.size(), 3u);
  for (const Frame& s : r.segments) EXPECT_EQ(s.size(), 14u + 1448 + 94);
}

TEST(VnetTx, OuterIpv6OobDescribesTheOuterHeader) {
  Pipeline p;
  p.encap = OuterV6();
  p.mtu = 9000;
  Result r = RunPipeline(Linux(LinuxTsoFlow(), kVnetGsoTcpv4, 1448), p);
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  const auto lso = offload::LsoV2TxInfo::FromRaw(r.oob_in->large_send);
  EXPECT_EQ(lso.mss(), 1448u);
  EXPECT_EQ(lso.type(), offload::LsoType::kV2);
  EXPECT_EQ(lso.ip_version(), offload::OffloadIpVersion::kIpv6);  // the OUTER version
  EXPECT_TRUE(r.oob_in->checksum.is_ipv6());
  EXPECT_FALSE(r.oob_in->checksum.is_ipv4());
  EXPECT_TRUE(r.oob_in->checksum.ip_header_checksum());  // the inner IPv4 header
  EXPECT_EQ(r.oob_in->supplemental.inner_frame_offset(), 62u);
  EXPECT_FALSE(r.oob_in->supplemental.is_inner_ipv6());

  // IPv6 in IPv6: no IPv4 header anywhere, so no IpHeaderChecksum.
  Flow f6 = TcpFlow(6, 5000);
  Result r6 = RunPipeline(Linux(f6, kVnetGsoTcpv6, 1440), p);
  ASSERT_FALSE(r6.drop) << ToString(*r6.drop);
  EXPECT_FALSE(r6.oob_in->checksum.ip_header_checksum());
  EXPECT_TRUE(r6.oob_in->checksum.tcp_checksum());
  EXPECT_TRUE(r6.oob_in->supplemental.is_inner_ipv6());
  EXPECT_FALSE(r6.oob_in->supplemental.tcp_options_present());
}

TEST(VnetTx, UsoKeepsGsoSizeAndSeedsWithoutLength) {
  Flow f = UdpFlow(6, 1200 * 5 + 17);
  Pipeline p;
  Result r = RunPipeline(Linux(f, kVnetGsoUdpL4, 1200), p);
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  EXPECT_EQ(r.tx->mss, 1200u);  // not min(1200, fit): datagram boundaries are the application's
  EXPECT_EQ(r.tx->segments, 6u);
  EXPECT_EQ(r.oob_in->uso.mss(), 1200u);
  EXPECT_EQ(r.oob_in->uso.ip_version(), offload::OffloadIpVersion::kIpv4);
  EXPECT_TRUE(r.oob_in->checksum.udp_checksum());
  EXPECT_EQ(r.oob_in->large_send, 0u);
  const std::size_t i3 = 42 + 14, i4 = i3 + 40;
  EXPECT_EQ(Get16(r.encapsulated, i4 + 6), Seed(r.encapsulated, i3, true, kUdp, 0));
  ASSERT_EQ(r.segments.size(), 6u);
  EXPECT_EQ(r.segments[5].size(), 14u + 20 + 8 + 14 + 40 + 8 + 17);
}

TEST(VnetTx, ChecksumOffloadSeedsWithLength) {
  Flow f = TcpFlow(4, 700);
  f.tags = {wire::VlanTag{wire::kEtherTypeVlan, 42}};
  Input in = Linux(f);
  Put16(in.frame, 38 + 16, 0xdead);  // a VM's garbage seed: recomputed from the addresses
  auto req = CheckVnetTx(in.hdr, in.frame, {});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->kind, VnetTxKind::kChecksum);
  EXPECT_EQ(req->l3_offset, 18);  // as read: the tag counts
  EXPECT_EQ(req->csum_start, 38);
  Result r = RunPipeline(in, Pipeline{});
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  EXPECT_EQ(r.tx->mss, 0u);
  EXPECT_EQ(r.tx->segments, 1u);
  // The tag is gone after encapsulation: inner IP at 42 + 14.
  const std::size_t i3 = 56, i4 = 76;
  EXPECT_EQ(Get16(r.encapsulated, i4 + 16), Seed(r.encapsulated, i3, false, kTcp, 20 + 700));
  EXPECT_TRUE(r.oob_in->checksum.tcp_checksum());
  EXPECT_TRUE(r.oob_in->checksum.ip_header_checksum());
  EXPECT_TRUE(r.oob_in->checksum.is_ipv4());
  EXPECT_EQ(r.oob_in->supplemental.inner_l4_offset(), 76u);
  EXPECT_EQ(r.result.action, offload::TxAction::kChecksum);
  ASSERT_EQ(r.segments.size(), 1u);
  EXPECT_TRUE(L4Verifies(r.segments[0], i3, false, kTcp, i4, r.segments[0].size()));
}

TEST(VnetTx, SegmentationThatFitsOneSegmentBecomesChecksumOffload) {
  // Linux virtio_net_hdr_to_skb: "Too small packets are not really GSO ones".
  for (std::size_t payload : {0u, 1u, 1000u, 1406u}) {
    Flow f = LinuxTsoFlow();
    f.payload = Pattern(payload);
    Result r = RunPipeline(Linux(f, kVnetGsoTcpv4, 1448), Pipeline{});
    ASSERT_FALSE(r.drop) << payload << " " << ToString(*r.drop);
    EXPECT_EQ(r.tx->mss, 0u) << payload;
    EXPECT_EQ(r.oob_in->large_send, 0u);
    EXPECT_TRUE(r.oob_in->checksum.tcp_checksum());
    EXPECT_EQ(r.result.action, offload::TxAction::kChecksum);
    ASSERT_EQ(r.segments.size(), 1u);
    EXPECT_TRUE(L4Verifies(r.segments[0], 56, false, kTcp, 76, r.segments[0].size()));
  }
  // One byte more than the MTU-derived MSS: two segments.
  Flow f = LinuxTsoFlow();
  f.payload = Pattern(1407);
  Result r = RunPipeline(Linux(f, kVnetGsoTcpv4, 1448), Pipeline{});
  ASSERT_FALSE(r.drop);
  EXPECT_EQ(r.tx->segments, 2u);
}

TEST(VnetTx, GenericPartialChecksumIsCompletedInSoftware) {
  // ICMPv6 echo from a raw socket with CHECKSUM_PARTIAL: csum_start at ICMPv6, offset 2, the
  // field holding the pseudo-header sum.
  Flow f;
  f.version = 6;
  f.src = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  f.dst = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  f.protocol = wire::kIpProtoIcmpv6;
  f.payload = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
  Input in{Build(f), {}};
  const std::size_t l3 = 14, l4 = 54;
  const auto len = static_cast<std::uint32_t>(in.frame.size() - l4);
  Put16(in.frame, l4 + 2, Seed(in.frame, l3, true, wire::kIpProtoIcmpv6, len));
  in.hdr.flags = kVnetFlagNeedsCsum;
  in.hdr.csum_start = static_cast<std::uint16_t>(l4);
  in.hdr.csum_offset = 2;
  auto req = CheckVnetTx(in.hdr, in.frame, {});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->kind, VnetTxKind::kPlain);
  EXPECT_TRUE(req->software_checksum);
  Result r = RunPipeline(in, Pipeline{});
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  EXPECT_EQ(r.oob_in->checksum.raw(), 0u);
  EXPECT_EQ(r.result.action, offload::TxAction::kUnchanged);
  ASSERT_EQ(r.segments.size(), 1u);
  EXPECT_TRUE(L4Verifies(r.segments[0], 56, true, wire::kIpProtoIcmpv6, 96, r.segments[0].size()));
}

TEST(VnetTx, ChecksumTheEngineCannotDoIsDoneInSoftware) {
  // Inner TCP checksum switched off, headers beyond MaxHeaderSizeSupported, NVGRE task offload
  // inactive, inner IPv6 not advertised: sent without offload, checksum filled here.
  using Setup = std::function<void(Pipeline&, Flow&, bool tcp)>;
  const std::vector<std::pair<std::string, Setup>> cases = {
      {"l4-checksum-off", [](Pipeline& p, Flow&, bool tcp) {
         (tcp ? p.tx.checksum_ipv4.tcp_checksum : p.tx.checksum_ipv4.udp_checksum) = false;
       }},
      {"inactive", [](Pipeline& p, Flow&, bool) { p.tx.encapsulated_offload_active = false; }},
      {"max-header-80", [](Pipeline& p, Flow&, bool) {
         p.tx.encapsulated.set_max_header_size_supported(80);  // TCP needs 96, UDP 84
       }},
      {"ip-options-not-supported", [](Pipeline& p, Flow& f, bool) {
         p.tx.checksum_ipv4.ip_options_supported = false;
         f.ipv4_options = {1, 1, 1, 0};
       }},
      {"tcp-options-not-supported", [](Pipeline& p, Flow& f, bool) {
         p.tx.checksum_ipv4.tcp_options_supported = false;
         f.tcp_options = {1, 1, 1, 1};
       }},
      {"not-advertised", [](Pipeline& p, Flow&, bool) {
         ASSERT_TRUE(p.tx.encapsulated.set_mask(offload::EncapOffload::kTransmitChecksum, 0));
       }},
  };
  for (const auto& [name, setup] : cases) {
    for (const bool tcp : {true, false}) {
      if (!tcp && name == "tcp-options-not-supported") continue;
      SCOPED_TRACE(name + (tcp ? " tcp" : " udp"));
      Pipeline p;
      Flow f = tcp ? TcpFlow(4, 333) : UdpFlow(4, 333);
      setup(p, f, tcp);
      Input in = Linux(f);
      const Shape s = ShapeOf(f, in.frame);
      Put16(in.frame, s.l4 + (tcp ? 16 : 6), 0x5555);  // a garbage seed
      Result r = RunPipeline(in, p);
      ASSERT_FALSE(r.drop) << ToString(*r.drop);
      EXPECT_EQ(r.oob_in->checksum.raw(), 0u);
      EXPECT_EQ(r.result.action, offload::TxAction::kUnchanged);
      ASSERT_EQ(r.segments.size(), 1u);
      EXPECT_TRUE(L4Verifies(r.segments[0], 42 + 14, false, s.proto, 42 + s.l4,
                             r.segments[0].size()));
    }
  }
  // With everything on, the same frames are offloaded.
  Result r = RunPipeline(Linux(TcpFlow(4, 333)), Pipeline{});
  ASSERT_FALSE(r.drop);
  EXPECT_EQ(r.result.action, offload::TxAction::kChecksum);
}

TEST(VnetTx, PlainFramesPassAsTheyAre) {
  // ARP, DATA_VALID alone (ignored on transmit), an IP frame with a broken header and no offload,
  // a short frame padded to 60 bytes.
  Flow arp;
  arp.version = 0;
  Input a = Plain(arp);
  Input dv = Plain(TcpFlow(4, 100));
  dv.hdr.flags = kVnetFlagDataValid;
  dv.hdr.gso_size = 77;  // ignored without GSO
  dv.hdr.csum_start = 9999;
  Input broken = Plain(TcpFlow(4, 100));
  broken.frame[14] = 0x41;  // IHL 1
  Input padded = Plain(UdpFlow(4, 2));
  padded.frame.resize(60, 0);
  for (const Input* in : {&a, &dv, &broken, &padded}) {
    auto req = CheckVnetTx(in->hdr, in->frame, {});
    ASSERT_TRUE(req) << ToString(req.error());
    EXPECT_EQ(req->kind, VnetTxKind::kPlain);
    EXPECT_FALSE(req->software_checksum);
    Result r = RunPipeline(*in, Pipeline{});
    ASSERT_FALSE(r.drop) << ToString(*r.drop);
    EXPECT_EQ(r.oob_in->checksum.raw(), 0u);
    ASSERT_EQ(r.segments.size(), 1u);
    EXPECT_TRUE(std::equal(in->frame.begin() + 12, in->frame.end(), r.segments[0].begin() + 42 + 12));
  }
  EXPECT_FALSE(CheckVnetTx(a.hdr, a.frame, {})->is_ip);
  EXPECT_TRUE(CheckVnetTx(dv.hdr, dv.frame, {})->is_ip);
  EXPECT_FALSE(CheckVnetTx(broken.hdr, broken.frame, {})->is_ip);
  auto pr = CheckVnetTx(padded.hdr, padded.frame, {});
  EXPECT_TRUE(pr->is_ip);
  EXPECT_EQ(pr->frame_length, 14u + 20 + 8 + 2);
  // A padded frame with a checksum request: summed to the IP packet's end, not the padding.
  Input pc = Linux(UdpFlow(4, 2));
  pc.frame.resize(60, 0xee);
  Result r = RunPipeline(pc, Pipeline{});
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  ASSERT_EQ(r.segments.size(), 1u);
  EXPECT_TRUE(L4Verifies(r.segments[0], 56, false, kUdp, 76, 76 + 10));
}

// ---- Every drop reason -------------------------------------------------------------------------

struct Case {
  VnetTxDrop expected;
  std::string what;
  // broken = false: the frame without the fault, which must go through the whole path.
  std::function<std::pair<Input, Pipeline>(bool broken)> make;
};

// A case from a base input and a fault.
Case Make(VnetTxDrop d, std::string what, std::function<Input()> base,
          std::function<void(Input&, Pipeline&)> fault, Pipeline pipe = {}) {
  return Case{d, std::move(what), [base, fault, pipe](bool broken) {
                std::pair<Input, Pipeline> c{base(), pipe};
                if (broken) fault(c.first, c.second);
                return c;
              }};
}

std::vector<Case> DropCases() {
  auto tso4 = [] { return Linux(TcpFlow(4, 3000), kVnetGsoTcpv4, 1448); };
  auto tso6 = [] { return Linux(TcpFlow(6, 3000), kVnetGsoTcpv6, 1440); };
  auto uso4 = [] { return Linux(UdpFlow(4, 3000), kVnetGsoUdpL4, 1200); };
  auto csum4 = [] { return Linux(TcpFlow(4, 500)); };
  auto csum_udp = [] { return Linux(UdpFlow(4, 500)); };
  auto arp = [] {
    Flow f;
    f.version = 0;
    return Plain(f);
  };
  auto with_options = [](std::vector<std::uint8_t> opts) {
    return [opts] {
      Flow f = TcpFlow(4, 3000);
      f.ipv4_options = opts;
      return Linux(f, kVnetGsoTcpv4, 1448);
    };
  };
  auto v6_ext = [](std::vector<std::uint8_t> ext, std::size_t size, std::size_t payload = 3000) {
    return [ext, size, payload] {
      Flow f = TcpFlow(6, payload);
      f.ipv6_extensions = ext;
      f.ipv6_ext_size = size;
      return Linux(f, kVnetGsoTcpv6, 1400);
    };
  };
  const std::size_t l3 = 14, l4 = 34;
  using D = VnetTxDrop;
  std::vector<Case> c;
  c.push_back(Make(D::kVnetHdrTruncated, "read of 11 bytes", tso4,
                   [](Input&, Pipeline& p) { p.truncate_read = 11; }));
  c.push_back(Make(D::kFrameTooShort, "13-byte frame", tso4, [](Input& in, Pipeline&) { in.frame.resize(13); }));
  c.push_back(Make(D::kFrameTooShort, "VLAN tag cut short", tso4, [](Input& in, Pipeline&) {
    in.frame.resize(14);
    in.frame[12] = 0x81, in.frame[13] = 0x00;
  }));
  c.push_back(Make(
      D::kVlanTooManyTags, "five tags",
      [] {
        Flow f = TcpFlow(4, 3000);
        for (int i = 0; i < 4; ++i) f.tags.push_back(wire::VlanTag{wire::kEtherTypeVlan, static_cast<std::uint16_t>(i + 1)});
        return Linux(f, kVnetGsoTcpv4, 1448);
      },
      [](Input& in, Pipeline&) {
        const std::array<std::uint8_t, 4> tag = {0x81, 0x00, 0x00, 0x09};
        in.frame.insert(in.frame.begin() + 12, tag.begin(), tag.end());
        in.hdr.csum_start = static_cast<std::uint16_t>(in.hdr.csum_start + 4);
      }));
  c.push_back(Make(D::kFlagsInvalid, "RSC_INFO on transmit", tso4,
                   [](Input& in, Pipeline&) { in.hdr.flags |= kVnetFlagRscInfo; }));
  c.push_back(Make(D::kFlagsInvalid, "flag 0x80", csum4, [](Input& in, Pipeline&) { in.hdr.flags |= 0x80; }));
  c.push_back(Make(D::kFlagsInvalid, "NEEDS_CSUM with DATA_VALID", csum4,
                   [](Input& in, Pipeline&) { in.hdr.flags |= kVnetFlagDataValid; }));
  c.push_back(Make(D::kGsoTypeUnknown, "UFO", uso4, [](Input& in, Pipeline&) { in.hdr.gso_type = kVnetGsoUdp; }));
  c.push_back(Make(D::kGsoTypeUnknown, "TCPV4 | ECN", tso4,
                   [](Input& in, Pipeline&) { in.hdr.gso_type = kVnetGsoTcpv4 | kVnetGsoEcn; }));
  c.push_back(Make(D::kGsoTypeUnknown, "gso_type 2", tso4, [](Input& in, Pipeline&) { in.hdr.gso_type = 2; }));
  c.push_back(Make(D::kGsoNotNegotiated, "TSO4 not offered", tso4,
                   [](Input&, Pipeline& p) { p.limits.tso4 = false; }));
  c.push_back(Make(D::kGsoNotNegotiated, "TSO6 not offered", tso6,
                   [](Input&, Pipeline& p) { p.limits.tso6 = false; }));
  c.push_back(Make(D::kGsoNotNegotiated, "USO not offered", uso4,
                   [](Input&, Pipeline& p) { p.limits.uso = false; }));
  c.push_back(Make(D::kCsumNotNegotiated, "CSUM not offered", csum4,
                   [](Input&, Pipeline& p) { p.limits.csum = false; }));
  c.push_back(Make(D::kGsoWithoutCsum, "TSO without NEEDS_CSUM", tso4,
                   [](Input& in, Pipeline&) { in.hdr.flags = 0; }));
  c.push_back(Make(D::kGsoSizeInvalid, "gso_size 0", tso4, [](Input& in, Pipeline&) { in.hdr.gso_size = 0; }));
  c.push_back(Make(D::kGsoSizeInvalid, "gso_size 0xFFFF (GSO_BY_FRAGS)", tso4,
                   [](Input& in, Pipeline&) { in.hdr.gso_size = 0xFFFF; }));
  c.push_back(Make(D::kGsoSizeInvalid, "gso_size 87 < min_mss 88", tso4,
                   [](Input& in, Pipeline&) { in.hdr.gso_size = 87; }));
  c.push_back(Make(D::kGsoSizeInvalid, "gso_size below the engine's min_mss", tso4, [](Input&, Pipeline& p) {
    p.mtu = 9000;
    p.tx.min_mss = 1449;
  }));
  c.push_back(Make(D::kGsoTooManySegments, "3 segments, 2 allowed", tso4,
                   [](Input&, Pipeline& p) { p.limits.max_segments = 2; }));
  c.push_back(Make(D::kGsoTooManySegments, "the MTU makes 4 segments, 3 allowed", tso4,
                   [](Input&, Pipeline& p) { p.mtu = 1000; },
                   [] { Pipeline p; p.limits.max_segments = 3; return p; }()));
  c.push_back(Make(D::kGsoMismatch, "TCPV6 on IPv4", tso4, [](Input& in, Pipeline&) { in.hdr.gso_type = kVnetGsoTcpv6; }));
  c.push_back(Make(D::kGsoMismatch, "TCPV4 on IPv6", tso6, [](Input& in, Pipeline&) { in.hdr.gso_type = kVnetGsoTcpv4; }));
  c.push_back(Make(D::kGsoMismatch, "UDP_L4 on TCP", tso4, [](Input& in, Pipeline&) { in.hdr.gso_type = kVnetGsoUdpL4; }));
  c.push_back(Make(D::kGsoMismatch, "TCPV4 on UDP", uso4, [](Input& in, Pipeline&) { in.hdr.gso_type = kVnetGsoTcpv4; }));
  c.push_back(Make(D::kGsoMismatch, "TSO on ARP", arp, [](Input& in, Pipeline&) {
    in.hdr.flags = kVnetFlagNeedsCsum;
    in.hdr.gso_type = kVnetGsoTcpv4;
    in.hdr.gso_size = 1448;
  }));
  c.push_back(Make(D::kGsoTcpFlags, "SYN", tso4, [](Input& in, Pipeline&) { in.frame[34 + 13] |= wire::kTcpFlagSyn; }));
  c.push_back(Make(D::kGsoTcpFlags, "RST", tso4, [](Input& in, Pipeline&) { in.frame[34 + 13] |= wire::kTcpFlagRst; }));
  c.push_back(Make(D::kGsoTcpFlags, "urgent pointer", tso4, [](Input& in, Pipeline&) { in.frame[34 + 19] = 1; }));
  c.push_back(Make(D::kGsoSourceRouted, "IPv6 Routing header, Segments Left 1", v6_ext({60, 43}, 16),
                   [](Input& in, Pipeline&) { in.frame[14 + 40 + 16 + 3] = 1; }));
  c.push_back(Make(D::kGsoSourceRouted, "IPv4 LSRR option", with_options({1, 1, 1, 1, 1, 1, 1, 0}),
                   [](Input& in, Pipeline&) {
                     const std::array<std::uint8_t, 8> lsrr = {131, 7, 4, 198, 51, 100, 7, 0};
                     std::copy(lsrr.begin(), lsrr.end(), in.frame.begin() + 14 + 20);
                   }));
  c.push_back(Make(D::kCsumNotIp, "NEEDS_CSUM on ARP", arp, [](Input& in, Pipeline&) {
    in.hdr.flags = kVnetFlagNeedsCsum;
    in.hdr.csum_start = 14;
    in.hdr.csum_offset = 0;
  }));
  c.push_back(Make(D::kCsumOutOfFrame, "csum_start in the IP header", csum4,
                   [](Input& in, Pipeline&) { in.hdr.csum_start = 33; }));
  c.push_back(Make(D::kCsumOutOfFrame, "csum_start in the IPv4 options",
                   [] {
                     Flow f = TcpFlow(4, 500);
                     f.ipv4_options = {1, 1, 1, 0};
                     return Linux(f);
                   },
                   [](Input& in, Pipeline&) {
                     in.hdr.csum_start = 34;
                     in.hdr.csum_offset = 20;
                   }));
  c.push_back(Make(D::kCsumOutOfFrame, "field past the packet end", csum4, [](Input& in, Pipeline&) {
    in.hdr.csum_offset = static_cast<std::uint16_t>(in.frame.size() - 34 - 1);
  }));
  c.push_back(Make(D::kCsumOutOfFrame, "odd csum_offset (fuzz finding vnet-odd-csum-offset)",
                   [] {
                     Input in = Linux(TcpFlow(4, 500));
                     in.hdr.csum_offset = 0;  // a generic checksum over the TCP segment
                     return in;
                   },
                   [](Input& in, Pipeline&) { in.hdr.csum_offset = 1; }));
  c.push_back(Make(D::kCsumOutOfFrame, "field in the padding", [] { return Linux(UdpFlow(4, 2)); },
                   [](Input& in, Pipeline&) {
                     in.frame.resize(60, 0);
                     in.hdr.csum_offset = 10;
                   }));
  c.push_back(Make(D::kCsumNotTransport, "TSO with csum_offset 6", tso4,
                   [](Input& in, Pipeline&) { in.hdr.csum_offset = 6; }));
  c.push_back(Make(D::kCsumNotTransport, "USO with csum_offset 16", uso4,
                   [](Input& in, Pipeline&) { in.hdr.csum_offset = 16; }));
  c.push_back(Make(D::kCsumNotTransport, "TSO with csum_start past the TCP header", tso4,
                   [](Input& in, Pipeline&) { in.hdr.csum_start = 36; }));
  c.push_back(Make(D::kIpInvalid, "IHL 4", csum4, [](Input& in, Pipeline&) { in.frame[l3] = 0x44; }));
  c.push_back(Make(D::kIpInvalid, "version 6 under EtherType IPv4", csum4,
                   [](Input& in, Pipeline&) { in.frame[l3] = 0x65; }));
  c.push_back(Make(D::kIpInvalid, "IPv4 header cut short", csum4, [](Input& in, Pipeline&) {
    in.frame.resize(30);
  }));
  c.push_back(Make(D::kIpInvalid, "IPv4 option length 0", with_options({1, 1, 1, 1, 1, 1, 1, 0}),
                   [](Input& in, Pipeline&) { in.frame[14 + 20 + 2] = 0x94, in.frame[14 + 20 + 3] = 0; }));
  c.push_back(Make(D::kIpInvalid, "hop-by-hop not first", v6_ext({60, 60}, 8),
                   [](Input& in, Pipeline&) { in.frame[14 + 40] = 0; }));
  c.push_back(Make(D::kIpLengthMismatch, "Total Length + 1", csum4,
                   [](Input& in, Pipeline&) { in.frame[l3 + 3] = static_cast<std::uint8_t>(in.frame[l3 + 3] + 1); }));
  c.push_back(Make(D::kIpLengthMismatch, "Total Length - 1 (trailing byte, not padding)", csum4,
                   [](Input& in, Pipeline&) { in.frame[l3 + 3] = static_cast<std::uint8_t>(in.frame[l3 + 3] - 1); }));
  c.push_back(Make(D::kIpLengthMismatch, "Total Length 0", tso4,
                   [](Input& in, Pipeline&) { in.frame[l3 + 2] = in.frame[l3 + 3] = 0; }));
  c.push_back(Make(D::kIpLengthMismatch, "Total Length below IHL", csum4,
                   [](Input& in, Pipeline&) { in.frame[l3 + 2] = 0, in.frame[l3 + 3] = 16; }));
  c.push_back(Make(D::kIpLengthMismatch, "IPv6 Payload Length 0", tso6,
                   [](Input& in, Pipeline&) { in.frame[l3 + 4] = in.frame[l3 + 5] = 0; }));
  c.push_back(Make(D::kIpFragment, "IPv4 MF", csum4, [](Input& in, Pipeline&) { in.frame[l3 + 6] |= 0x20; }));
  c.push_back(Make(D::kIpFragment, "IPv6 Fragment header with M", v6_ext({44}, 8),
                   [](Input& in, Pipeline&) { in.frame[14 + 40 + 3] = 1; }));
  c.push_back(Make(D::kTcpInvalid, "data offset 4", tso4, [](Input& in, Pipeline&) { in.frame[l4 + 12] = 0x40; }));
  c.push_back(Make(D::kTcpInvalid, "data offset 15 past the packet",
                   [] { return Linux(TcpFlow(4, 10)); },
                   [](Input& in, Pipeline&) { in.frame[l4 + 12] = 0xF0; }));
  c.push_back(Make(D::kUdpInvalid, "UDP Length + 1", csum_udp, [](Input& in, Pipeline&) { in.frame[l4 + 5] += 1; }));
  c.push_back(Make(D::kUdpInvalid, "UDP Length - 1", uso4, [](Input& in, Pipeline&) { in.frame[l4 + 5] -= 1; }));
  c.push_back(Make(D::kUdpInvalid, "UDP Length 0", uso4, [](Input& in, Pipeline&) { in.frame[l4 + 4] = in.frame[l4 + 5] = 0; }));
  c.push_back(Make(D::kUdpInvalid, "UDP cut short", [] { return Linux(UdpFlow(4, 0)); },
                   [](Input& in, Pipeline&) {
                     in.frame.pop_back();
                     in.frame[l3 + 3] -= 1;
                   }));
  // 42 + 14 + 40 + 2 * 64 + 40 = 264 > 256; with 8-byte extension headers 152.
  c.push_back(Case{D::kHeadersTooLong, "IPv6 extension headers past MaxHeaderSizeSupported", [](bool broken) {
                     Flow f = TcpFlow(6, 3000);
                     f.ipv6_extensions = {60, 60};
                     f.ipv6_ext_size = broken ? 64 : 8;
                     f.tcp_options = std::vector<std::uint8_t>(20, 1);
                     return std::pair<Input, Pipeline>{Linux(f, kVnetGsoTcpv6, 1200), Pipeline{}};
                   }});
  c.push_back(Make(D::kExceedsMtu, "plain frame over the MTU", [] { return Plain(TcpFlow(4, 1460)); },
                   [](Input&, Pipeline& p) { p.mtu = 1541; }, [] { Pipeline p; p.mtu = 1542; return p; }()));
  c.push_back(Make(D::kExceedsMtu, "checksum frame over the MTU", [] { return Linux(UdpFlow(6, 1400)); },
                   [](Input&, Pipeline& p) { p.encap = OuterV6(); }));
  c.push_back(Make(D::kExceedsMtu, "USO datagram over the MTU", uso4,
                   [](Input& in, Pipeline&) { in.hdr.gso_size = 1431; }));  // fit: 1500 - 70
  c.push_back(Make(D::kExceedsMtu, "USO super-frame within one datagram, over the MTU",
                   [] { return Linux(UdpFlow(4, 1460), kVnetGsoUdpL4, 1460); },
                   [](Input&, Pipeline& p) { p.mtu = 1460 + 70 - 1; },
                   [] { Pipeline p; p.mtu = 1460 + 70; return p; }()));
  c.push_back(Make(D::kMtuTooSmall, "MTU 150 leaves 56 bytes per segment", tso4,
                   [](Input&, Pipeline& p) { p.mtu = 150; }));
  c.push_back(Make(D::kSegmentationUnavailable, "LSOv2 IPv4 off", tso4,
                   [](Input&, Pipeline& p) { p.tx.lso_v2_ipv4.enabled = false; }));
  c.push_back(Make(D::kSegmentationUnavailable, "LSOv2 over NVGRE not advertised", tso4, [](Input&, Pipeline& p) {
    ASSERT_TRUE(p.tx.encapsulated.set_mask(offload::EncapOffload::kLsoV2, 0));
  }));
  c.push_back(Make(D::kSegmentationUnavailable, "NVGRE task offload inactive", uso4,
                   [](Input&, Pipeline& p) { p.tx.encapsulated_offload_active = false; }));
  c.push_back(Make(D::kSegmentationUnavailable, "MinSegmentCount 4 for 3 segments", tso4,
                   [](Input&, Pipeline& p) { p.tx.lso_v2_ipv4.min_segment_count = 4; }));
  c.push_back(Make(D::kSegmentationUnavailable, "MaxOffLoadSize 2000", uso4,
                   [](Input&, Pipeline& p) { p.tx.uso_ipv4.max_offload_size = 2000; }));
  c.push_back(Make(D::kSegmentationUnavailable, "USO short last datagram not supported", uso4,
                   [](Input&, Pipeline& p) { p.tx.uso_ipv4.sub_mss_final_segment_supported = false; }));
  c.push_back(Make(D::kSegmentationUnavailable, "IPv6 extension headers not supported by LSOv2",
                   v6_ext({60}, 8), [](Input&, Pipeline& p) {
                     p.tx.lso_v2_ipv6.ip_extension_headers_supported = false;
                   }));
  c.push_back(Make(D::kEncapsulatedMismatch, "request offsets do not match the frame", tso4,
                   [](Input&, Pipeline& p) { p.tamper_request = true; }));
  return c;
}

TEST(VnetTxDrop, EveryReasonHasAFrameThatTriggersExactlyIt) {
  std::set<VnetTxDrop> seen;
  for (const Case& c : DropCases()) {
    SCOPED_TRACE(c.what);
    {
      auto [in, pipe] = c.make(false);
      Result r = RunPipeline(in, pipe);
      EXPECT_FALSE(r.drop) << "the frame without the fault must pass, got " << ToString(*r.drop);
      EXPECT_FALSE(r.segments.empty());
    }
    auto [in, pipe] = c.make(true);
    Result r = RunPipeline(in, pipe);
    ASSERT_TRUE(r.drop) << "expected " << ToString(c.expected);
    EXPECT_EQ(*r.drop, c.expected) << ToString(*r.drop) << " instead of " << ToString(c.expected);
    seen.insert(*r.drop);
  }
  for (std::size_t i = 0; i < kVnetTxDropCount; ++i) {
    EXPECT_TRUE(seen.count(static_cast<VnetTxDrop>(i)) == 1)
        << "no case for " << ToString(static_cast<VnetTxDrop>(i));
  }
}

TEST(VnetTxDrop, EncapsulatedMismatchForAFrameThatIsNotTheEncapsulation) {
  Input in = Linux(TcpFlow(4, 500));
  auto req = CheckVnetTx(in.hdr, in.frame, {});
  ASSERT_TRUE(req);
  Frame not_encapsulated = in.frame;  // the VM's frame itself: no GRE
  auto tx = PrepareEncapsulatedTx(*req, not_encapsulated, TxOffloadConfig{}, 1500);
  ASSERT_FALSE(tx);
  EXPECT_EQ(tx.error(), VnetTxDrop::kEncapsulatedMismatch);
  Frame empty;
  tx = PrepareEncapsulatedTx(*req, empty, TxOffloadConfig{}, 1500);
  ASSERT_FALSE(tx);
  EXPECT_EQ(tx.error(), VnetTxDrop::kEncapsulatedMismatch);
}

TEST(VnetTx, SourceRoutedChecksumIsFinishedFromTheVmsSeed) {
  // The pseudo-header of a source-routed packet uses the final destination (RFC 8200 §8.1),
  // which only the VM knows: its seed is used as a device would.
  Flow f = TcpFlow(6, 200);
  f.ipv6_extensions = {43};
  f.ipv6_routing_segments_left = 1;
  Input in = Linux(f);
  std::array<std::uint8_t, 16> final_dst{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  Frame pseudo(in.frame.begin(), in.frame.begin() + 14 + 40);
  std::copy(final_dst.begin(), final_dst.end(), pseudo.begin() + 14 + 24);
  const std::size_t l4 = 14 + 48;
  Put16(in.frame, l4 + 16, Seed(pseudo, 14, true, kTcp, static_cast<std::uint32_t>(in.frame.size() - l4)));
  auto req = CheckVnetTx(in.hdr, in.frame, {});
  ASSERT_TRUE(req);
  EXPECT_EQ(req->kind, VnetTxKind::kPlain);
  EXPECT_TRUE(req->software_checksum);
  Result r = RunPipeline(in, Pipeline{});
  ASSERT_FALSE(r.drop) << ToString(*r.drop);
  ASSERT_EQ(r.segments.size(), 1u);
  // Verifies against the final destination.
  Frame seg = r.segments[0];
  std::copy(final_dst.begin(), final_dst.end(), seg.begin() + 56 + 24);
  EXPECT_TRUE(L4Verifies(seg, 56, true, kTcp, 56 + 48, seg.size()));
}

// ---- Receive direction -------------------------------------------------------------------------

TEST(VnetRx, DataValidOnlyWhenAnL4ChecksumSucceededAndNothingFailed) {
  using offload::ChecksumRxInfo;
  auto make = [](ChecksumRxInfo::Fields f) { return *ChecksumRxInfo::Make(f); };
  EXPECT_EQ(VnetHdrForReceive(make({.tcp_checksum_succeeded = true})).flags, kVnetFlagDataValid);
  EXPECT_EQ(VnetHdrForReceive(make({.udp_checksum_succeeded = true, .ip_checksum_succeeded = true})).flags,
            kVnetFlagDataValid);
  EXPECT_EQ(VnetHdrForReceive(make({.ip_checksum_succeeded = true})).flags, 0);
  EXPECT_EQ(VnetHdrForReceive(make({.ip_checksum_failed = true, .tcp_checksum_succeeded = true})).flags, 0);
  EXPECT_EQ(VnetHdrForReceive(make({.udp_checksum_failed = true})).flags, 0);
  EXPECT_EQ(VnetHdrForReceive(make({})), VnetHdr{});
  // Everything else in the header is zero: no GSO, no offsets.
  const VnetHdr h = VnetHdrForReceive(make({.tcp_checksum_succeeded = true}));
  EXPECT_EQ(h, (VnetHdr{kVnetFlagDataValid, kVnetGsoNone, 0, 0, 0, 0, 0}));
}

TEST(VnetRx, CoalescedFrameBecomesOneGsoFrame) {
  for (int version : {4, 6}) {
    Flow f = TcpFlow(version, 45 * 1448);
    f.tcp_options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    Frame frame = Build(f);
    const Frame original = frame;
    const std::size_t l3 = 14, l4 = version == 4 ? 34 : 54, hl = l4 + 32;
    auto h = PrepareCoalescedForTap(frame, 1448);
    ASSERT_TRUE(h) << ToString(h.error());
    EXPECT_EQ(h->flags, kVnetFlagNeedsCsum);
    EXPECT_EQ(h->gso_type, version == 4 ? kVnetGsoTcpv4 : kVnetGsoTcpv6);
    EXPECT_EQ(h->hdr_len, hl);
    EXPECT_EQ(h->gso_size, 1448);
    EXPECT_EQ(h->csum_start, l4);
    EXPECT_EQ(h->csum_offset, 16);
    EXPECT_EQ(h->num_buffers, 0);
    // CHECKSUM_PARTIAL: the field holds the pseudo-header sum WITH the TCP length; finishing it
    // (sum from csum_start, complement) gives the checksum the frame had.
    const auto len = static_cast<std::uint32_t>(frame.size() - l4);
    EXPECT_EQ(Get16(frame, l4 + 16), Seed(frame, l3, version == 6, kTcp, len));
    const std::uint16_t finished = static_cast<std::uint16_t>(~Fold16(WordSum(std::span(frame).subspan(l4))));
    EXPECT_EQ(finished, Get16(original, l4 + 16));
    // Only the checksum field changed.
    Frame a = frame, b = original;
    a[l4 + 16] = a[l4 + 17] = b[l4 + 16] = b[l4 + 17] = 0;
    EXPECT_EQ(a, b);
    // What the kernel's virtio_net_hdr_to_skb is asked to accept, our own checks accept.
    auto req = CheckVnetTx(*h, frame, {});
    ASSERT_TRUE(req) << ToString(req.error());
    EXPECT_EQ(req->kind, VnetTxKind::kTcpSegmentation);
    EXPECT_EQ(req->header_length, hl);
  }
}

TEST(VnetRx, CoalescedFrameErrorsWriteNothing) {
  Flow arp;
  arp.version = 0;
  Flow frag = TcpFlow(4, 100);
  frag.more_fragments = true;
  Frame short_ip = Build(TcpFlow(4, 100));
  short_ip.resize(30);
  const std::vector<std::pair<Frame, VnetTxDrop>> cases = {
      {Build(arp), VnetTxDrop::kIpInvalid},
      {Build(UdpFlow(4, 100)), VnetTxDrop::kTcpInvalid},
      {Build(frag), VnetTxDrop::kIpFragment},
      {short_ip, VnetTxDrop::kIpInvalid},
      {Frame(10, 0), VnetTxDrop::kFrameTooShort},
  };
  for (const auto& [frame, drop] : cases) {
    Frame f = frame;
    auto h = PrepareCoalescedForTap(f, 1448);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error(), drop);
    EXPECT_EQ(f, frame);
  }
  Frame ok = Build(TcpFlow(4, 100));
  const Frame copy = ok;
  for (const std::uint16_t mss : std::array<std::uint16_t, 2>{0, 0xFFFF}) {
    auto h = PrepareCoalescedForTap(ok, mss);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error(), VnetTxDrop::kGsoSizeInvalid);
    EXPECT_EQ(ok, copy);
  }
}

// ---- The end-to-end property over random valid frames -------------------------------------------

struct RandomCase {
  Flow flow;
  enum Mode { kPlainMode, kChecksumMode, kGsoMode } mode = kPlainMode;
  std::uint16_t gso_size = 0;
  bool data_valid = false;
  bool garbage_seed = false;
  Pipeline pipe;
};

RandomCase MakeRandomCase(std::mt19937& rng) {
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  RandomCase c;
  Flow& f = c.flow;
  f.version = pick(2) == 0 ? 4 : 6;
  f = f.version == 4 ? TcpFlow(4, 0) : TcpFlow(6, 0);
  f.protocol = pick(5) < 3 ? kTcp : kUdp;
  f.src[15] = static_cast<std::uint8_t>(rng());
  f.sport = static_cast<std::uint16_t>(rng());
  f.dport = static_cast<std::uint16_t>(rng());
  f.seq = static_cast<std::uint32_t>(rng());
  f.ip_id = static_cast<std::uint16_t>(rng());
  f.ttl = static_cast<std::uint8_t>(1 + pick(255));
  f.tos = static_cast<std::uint8_t>(rng());
  f.dont_fragment = pick(2) == 0;
  f.tcp_flags = static_cast<std::uint8_t>(wire::kTcpFlagAck | (pick(2) ? wire::kTcpFlagPsh : 0) |
                                          (pick(8) == 0 ? wire::kTcpFlagFin : 0) |
                                          (pick(8) == 0 ? wire::kTcpFlagCwr : 0) |
                                          (pick(8) == 0 ? wire::kTcpFlagEce : 0));
  const std::uint32_t tags = pick(10);
  for (std::uint32_t i = 0; i < (tags < 6 ? 0u : tags < 9 ? 1u : 2u); ++i) {
    f.tags.push_back(wire::VlanTag{i == 0 && tags == 9 ? wire::kEtherTypeQinQ : wire::kEtherTypeVlan,
                                   static_cast<std::uint16_t>(pick(4095))});
  }
  if (f.version == 4 && pick(3) == 0) {
    const std::size_t n = 4 * (1 + pick(10));
    f.ipv4_options.assign(n, 1);  // NOPs
    if (n >= 8 && pick(2) == 0) {   // Router Alert (RFC 2113) in front
      f.ipv4_options[0] = 0x94, f.ipv4_options[1] = 4, f.ipv4_options[2] = 0, f.ipv4_options[3] = 0;
    }
    if (pick(2) == 0) f.ipv4_options.back() = 0;  // EOL
  }
  if (f.version == 6 && pick(3) == 0) {
    f.ipv6_hop_by_hop = pick(3) == 0;
    const std::uint8_t kinds[] = {60, 43, 44};
    for (std::uint32_t i = 0, n = pick(3); i < n; ++i) {
      const std::uint8_t kind = kinds[pick(3)];
      // A second Fragment header is nested fragmentation, refused by the IPv6 walk.
      if (kind != 44 || std::count(f.ipv6_extensions.begin(), f.ipv6_extensions.end(), 44) == 0) {
        f.ipv6_extensions.push_back(kind);
      }
    }
    f.ipv6_ext_size = 8 * (1 + pick(3));
  }
  if (f.protocol == kTcp && pick(5) < 2) {
    const std::size_t n = 1 + pick(40);
    f.tcp_options.assign(n, 1);
    if (n >= 10 && pick(2) == 0) {  // timestamps (RFC 7323 §3.2)
      const std::array<std::uint8_t, 10> ts = {8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
      std::copy(ts.begin(), ts.end(), f.tcp_options.begin());
    }
  }
  const std::uint32_t mode = pick(8);
  c.mode = mode < 2 ? RandomCase::kPlainMode : mode < 4 ? RandomCase::kChecksumMode : RandomCase::kGsoMode;
  // Payload: small, around one MTU, or more (a super-frame; for the other modes mostly
  // kExceedsMtu unless the MTU is a jumbo one); IP packets fit 16 bits.
  const std::uint32_t size_class = pick(10);
  const std::size_t payload =
      size_class < 3   ? pick(80)
      : c.mode != RandomCase::kGsoMode ? (size_class < 8 ? 80 + pick(1320) : 1400 + pick(7600))
      : size_class < 5 ? 80 + pick(3000)
                       : 3000 + pick(57000);
  f.payload = Pattern(payload, static_cast<std::uint32_t>(rng()));
  // Some adapters cannot take every header stack: checksum offload then falls back to software
  // and segmentation is dropped (kHeadersTooLong).
  if (pick(8) == 0) c.pipe.tx.encapsulated.set_max_header_size_supported(64 + pick(120));
  c.data_valid = c.mode == RandomCase::kPlainMode && pick(2) == 0;
  c.garbage_seed = pick(5) == 0;
  if (c.mode == RandomCase::kGsoMode) {
    const std::size_t floor = (payload + 255) / 256;  // at most 256 segments at gso_size
    const std::size_t gso = f.protocol == kTcp ? 536 + pick(8500) : 88 + pick(1300);
    c.gso_size = static_cast<std::uint16_t>(std::max(gso, floor));
  }
  c.pipe.encap = pick(2) == 0 ? OuterV4(pick(5) == 0) : OuterV6(pick(5) == 0);
  const std::uint32_t mtu_class = pick(10);
  c.pipe.mtu = mtu_class < 5 ? 1500 : mtu_class < 7 ? 9000 : 1280 + pick(7720);
  return c;
}

// What must come out, decided from the case alone (not from the code under test).
struct Expectation {
  std::optional<VnetTxDrop> drop;
  std::size_t segments = 1;
  std::size_t mss = 0;        // 0: one frame
  bool hardware = false;      // an offload request reaches the engine
};

Expectation Expect(const RandomCase& c, const Shape& s) {
  Expectation e;
  const bool outer_v6 = std::holds_alternative<OuterIpv6>(c.pipe.encap.outer_ip);
  const std::size_t outer_ip = outer_v6 ? 40 : 20;
  const std::size_t outer_hdr = 14 + (c.pipe.encap.outer_vlan ? 4 : 0) + outer_ip + 8;
  const std::size_t inner_len = s.end - s.tags();
  const std::size_t outer_ip_len = outer_ip + 8 + inner_len;
  const std::size_t overhead = outer_ip + 8 + (s.hl - s.tags());
  const std::size_t hl_encap = outer_hdr + s.hl - s.tags();
  const std::size_t max_header = c.pipe.tx.encapsulated.max_header_size_supported();
  const std::size_t payload = s.end - s.hl;
  const std::size_t mtu = std::min<std::size_t>(c.pipe.mtu, 65535);
  const std::size_t fit = mtu > overhead ? mtu - overhead : 0;
  bool one_frame = true;
  if (c.mode == RandomCase::kGsoMode) {
    const std::size_t gso = c.gso_size;
    if (s.proto == kTcp) {
      const std::size_t mss = std::min(gso, fit);
      if (payload > mss) {
        one_frame = false;
        e.mss = mss;
      }
    } else if (payload > gso) {
      if (gso > fit) {
        e.drop = VnetTxDrop::kExceedsMtu;
        return e;
      }
      one_frame = false;
      e.mss = gso;
    }
  }
  if (one_frame) {
    if (outer_ip_len > c.pipe.mtu) e.drop = VnetTxDrop::kExceedsMtu;
    e.hardware = c.mode != RandomCase::kPlainMode && hl_encap <= max_header;
    return e;
  }
  if (hl_encap > max_header) {
    e.drop = VnetTxDrop::kHeadersTooLong;
    return e;
  }
  e.segments = (payload + e.mss - 1) / e.mss;
  e.hardware = true;
  return e;
}

// Checks the frames on the wire for one case; returns the concatenated L4 payloads.
void CheckSegments(const RandomCase& c, const Shape& s, const Frame& original, const Result& r,
                   const Expectation& e) {
  const bool outer_v6 = std::holds_alternative<OuterIpv6>(c.pipe.encap.outer_ip);
  const std::size_t o3 = 14 + (c.pipe.encap.outer_vlan ? 4 : 0);
  const std::size_t i3 = o3 + (outer_v6 ? 40 : 20) + 8 + 14;
  const std::size_t i4 = i3 + (s.l4 - s.l3);
  const std::size_t ihl = i4 + (s.hl - s.l4);
  Frame stripped(original.begin(), original.begin() + 12);
  stripped.insert(stripped.end(), original.begin() + static_cast<std::ptrdiff_t>(12 + s.tags()),
                  original.end());
  Frame payloads;
  std::size_t k = 0;
  for (const Frame& seg : r.segments) {
    SCOPED_TRACE("segment " + std::to_string(k));
    // The outer IP packet fits the underlay MTU, and its length field says so.
    ASSERT_LE(seg.size() - o3, c.pipe.mtu);
    if (outer_v6) {
      EXPECT_EQ(Get16(seg, o3 + 4), seg.size() - o3 - 40);
    } else {
      EXPECT_EQ(Get16(seg, o3 + 2), seg.size() - o3);
      EXPECT_TRUE(Ipv4HeaderVerifies(seg, o3)) << "outer IPv4 header checksum";
    }
    const std::size_t end = s.v6 ? i3 + 40 + Get16(seg, i3 + 4) : i3 + Get16(seg, i3 + 2);
    ASSERT_LE(end, seg.size());
    if (!s.v6) {
      EXPECT_TRUE(Ipv4HeaderVerifies(seg, i3)) << "inner IPv4 header checksum";
    }
    if (s.proto == kUdp) {
      EXPECT_EQ(Get16(seg, i4 + 4), end - i4) << "UDP Length";
    }
    EXPECT_TRUE(L4Verifies(seg, i3, s.v6, s.proto, i4, end)) << "inner L4 checksum";
    if (s.proto == kTcp && e.mss != 0) {
      EXPECT_EQ(wire::LoadBe32(std::span<const std::uint8_t, 4>(seg.data() + i4 + 4, 4)),
                c.flow.seq + static_cast<std::uint32_t>(k * e.mss));
    }
    if (e.mss != 0 && k + 1 < r.segments.size()) {
      EXPECT_EQ(end - ihl, e.mss);
    }
    payloads.insert(payloads.end(), seg.begin() + static_cast<std::ptrdiff_t>(ihl),
                    seg.begin() + static_cast<std::ptrdiff_t>(end));
    if (e.mss == 0) {
      // One frame: the inner frame as the VM sent it (tags stripped), but the L4 checksum.
      ASSERT_EQ(seg.size() - (i3 - 14), stripped.size());
      const std::size_t field = (s.l4 - s.tags()) + (s.proto == kTcp ? 16 : 6);
      for (std::size_t i = 0; i < stripped.size(); ++i) {
        if (i == field || i == field + 1) continue;
        if (seg[i3 - 14 + i] != stripped[i]) {
          ADD_FAILURE() << "inner byte " << i << " changed";
          break;
        }
      }
    }
    ++k;
  }
  EXPECT_TRUE(std::equal(payloads.begin(), payloads.end(), original.begin() + static_cast<std::ptrdiff_t>(s.hl),
                         original.begin() + static_cast<std::ptrdiff_t>(s.end)) &&
              payloads.size() == s.end - s.hl)
      << "the payloads must concatenate to the original";
}

Input InputOf(const RandomCase& c, std::mt19937& rng) {
  if (c.mode == RandomCase::kPlainMode) {
    Input in = Plain(c.flow);
    if (c.data_valid) in.hdr.flags = kVnetFlagDataValid;
    return in;
  }
  const std::uint8_t type = c.mode != RandomCase::kGsoMode ? kVnetGsoNone
                            : c.flow.protocol == kUdp      ? kVnetGsoUdpL4
                            : c.flow.version == 4          ? kVnetGsoTcpv4
                                                           : kVnetGsoTcpv6;
  Input in = Linux(c.flow, type, c.gso_size);
  if (c.garbage_seed) {
    const Shape s = ShapeOf(c.flow, in.frame);
    Put16(in.frame, s.l4 + in.hdr.csum_offset, static_cast<std::uint16_t>(rng()));
  }
  return in;
}

TEST(VnetTxProperty, RandomValidFramesGoThroughAndComeOutRight) {
  std::mt19937 rng(20240607);
  std::array<int, 6> counts{};  // plain, checksum hw, checksum sw, lso, uso, dropped
  constexpr int kCases = 3000;
  for (int i = 0; i < kCases; ++i) {
    const RandomCase c = MakeRandomCase(rng);
    const Input in = InputOf(c, rng);
    const Shape s = ShapeOf(c.flow, in.frame);
    SCOPED_TRACE("case " + std::to_string(i) + ": v" + std::to_string(c.flow.version) + " proto " +
                 std::to_string(c.flow.protocol) + " mode " + std::to_string(c.mode) + " payload " +
                 std::to_string(s.end - s.hl) + " gso " + std::to_string(c.gso_size) + " mtu " +
                 std::to_string(c.pipe.mtu) + " tags " + std::to_string(s.tags()));
    const Expectation e = Expect(c, s);
    Result r = RunPipeline(in, c.pipe);
    ASSERT_TRUE(r.request) << "CheckVnetTx refused a valid frame: " << ToString(*r.drop);
    EXPECT_EQ(r.request->l3_offset, s.l3);
    EXPECT_EQ(r.request->frame_length, s.end);
    EXPECT_TRUE(r.request->is_ip);
    EXPECT_EQ(r.request->l4_offset, s.l4);
    EXPECT_EQ(r.request->header_length, s.hl);
    if (e.drop) {
      ASSERT_TRUE(r.drop) << "expected " << ToString(*e.drop);
      EXPECT_EQ(*r.drop, *e.drop);
      ++counts[5];
      continue;
    }
    ASSERT_FALSE(r.drop) << ToString(*r.drop);
    ASSERT_TRUE(r.result.ok());
    EXPECT_EQ(r.segments.size(), e.segments);
    EXPECT_EQ(r.tx->mss, e.mss);
    const bool requested = r.oob_in->checksum.raw() != 0 || r.oob_in->large_send != 0 || r.oob_in->uso.raw() != 0;
    EXPECT_EQ(requested, e.hardware);
    CheckSegments(c, s, in.frame, r, e);
    if (::testing::Test::HasFatalFailure()) return;
    if (c.mode == RandomCase::kPlainMode) {
      ++counts[0];
    } else if (e.mss == 0) {
      ++counts[e.hardware ? 1 : 2];
    } else {
      ++counts[s.proto == kTcp ? 3 : 4];
    }
  }
  // The generator must exercise every path.
  EXPECT_GT(counts[0], 300);
  EXPECT_GT(counts[1], 300);
  EXPECT_GT(counts[2], 50);
  EXPECT_GT(counts[3], 400);
  EXPECT_GT(counts[4], 200);
  EXPECT_GT(counts[5], 20);
  std::printf("plain %d, checksum offload %d, software checksum %d, LSOv2 %d, USO %d, dropped %d\n",
              counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
}

// ---- scapy as the oracle -------------------------------------------------------------------------

// The frames as a classic pcap (LINKTYPE_ETHERNET) through the library's writer; the oracle
// reads it with scapy.
void WritePcap(const std::string& path, const std::vector<Frame>& frames) {
  auto opened = io::PcapWriter::Open(path, 1);
  ASSERT_TRUE(std::holds_alternative<io::PcapWriter>(opened)) << path;
  auto& writer = std::get<io::PcapWriter>(opened);
  std::int64_t t = 0;
  for (const Frame& f : frames) ASSERT_TRUE(writer.Write(++t, 0, f));
  ASSERT_TRUE(writer.Close());
}

// For every packet and every IPv4 / TCP / UDP layer (outer and inner): the checksum on the wire
// and the one scapy computes after deleting it. One line each: "index layer n wire scapy".
constexpr const char* kScapyOracle = R"PY(
import sys
from scapy.all import rdpcap, Ether, IP, TCP, UDP
classes = {'IP': IP, 'TCP': TCP, 'UDP': UDP}
for i, p in enumerate(rdpcap(sys.argv[1])):
    q = p.copy()
    seen = []
    for name, cls in classes.items():
        n = 1
        while q.getlayer(cls, n) is not None:
            layer = q.getlayer(cls, n)
            seen.append((name, n, layer.chksum))
            layer.chksum = None
            n += 1
    again = Ether(bytes(q))
    for name, n, wire in seen:
        print(i, name, n, wire, again.getlayer(classes[name], n).chksum)
)PY";

bool HaveScapy() {
  return std::system("/usr/bin/python3 -c 'import scapy.all' >/dev/null 2>&1") == 0;
}

TEST(VnetTxScapy, SegmentsCarryTheChecksumsScapyComputes) {
  if (!HaveScapy()) GTEST_SKIP() << "/usr/bin/python3 with scapy (Debian python3-scapy) not found";
  std::vector<Frame> frames;
  std::size_t expected_checks = 0;
  auto add = [&](const Input& in, const Pipeline& p, std::size_t checks_per_frame) {
    Result r = RunPipeline(in, p);
    ASSERT_FALSE(r.drop) << ToString(*r.drop);
    for (const Frame& f : r.segments) frames.push_back(f);
    expected_checks += r.segments.size() * checks_per_frame;
  };
  // LSOv2: inner IPv4 with options, TCP with timestamps, over outer IPv4 (3 checksums a frame).
  Flow a = LinuxTsoFlow();
  a.ipv4_options = {1, 1, 1, 0};
  a.tags = {wire::VlanTag{wire::kEtherTypeVlan, 7}};
  add(Linux(a, kVnetGsoTcpv4, 1448), Pipeline{}, 3);
  // LSOv2: inner IPv6 with a destination-options header over outer IPv6 (TCP only).
  Flow b = TcpFlow(6, 7000);
  b.ipv6_extensions = {60};
  Pipeline p6;
  p6.encap = OuterV6(true);
  add(Linux(b, kVnetGsoTcpv6, 1300), p6, 1);
  // USO: inner IPv4 UDP over outer IPv6 (inner IP + UDP).
  add(Linux(UdpFlow(4, 5 * 1000 + 3), kVnetGsoUdpL4, 1000), p6, 2);
  // Checksum offload of an inner IPv6 UDP datagram over outer IPv4 (outer IP + UDP).
  Input d = Linux(UdpFlow(6, 999));
  Put16(d.frame, 54 + 6, 0xbeef);
  add(d, Pipeline{}, 2);
  ASSERT_FALSE(frames.empty());

  const std::string dir = ::testing::TempDir();
  const std::string pcap = dir + "/vnet_scapy_" + std::to_string(::getpid()) + ".pcap";
  const std::string script = dir + "/vnet_scapy_" + std::to_string(::getpid()) + ".py";
  WritePcap(pcap, frames);
  std::ofstream(script) << kScapyOracle;
  FILE* pipe = ::popen(("/usr/bin/python3 " + script + " " + pcap + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) output += buf.data();
  EXPECT_EQ(::pclose(pipe), 0) << output;
  std::remove(pcap.c_str());
  std::remove(script.c_str());

  std::istringstream lines(output);
  std::size_t checks = 0;
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream l(line);
    std::size_t index = 0, n = 0;
    std::string layer;
    long wire = -1, scapy = -2;
    ASSERT_TRUE(l >> index >> layer >> n >> wire >> scapy) << line;
    EXPECT_EQ(wire, scapy) << "frame " << index << " " << layer << " #" << n;
    ++checks;
  }
  EXPECT_EQ(checks, expected_checks) << output;
}

}  // namespace
}  // namespace nvgre::virt
