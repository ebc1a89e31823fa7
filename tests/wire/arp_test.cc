// Tests for arp.h: ARP (RFC 826).
//
// Known bytes: frames of testdata/neighbor_linux_netns.pcap (two Linux 6.x network namespaces
// joined by a veth pair, captured with tcpdump; see testdata/SOURCES.md), with their
// `tcpdump -t -nn -v -e -XX` dump; the IPoIB packet (RFC 4391 §4.2, hardware type 32,
// 20-byte hardware addresses) was built with scapy 2.5.0's ARP() and its bytes pasted here.
#include "nvgre/wire/arp.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace nvgre::wire {
namespace {

using Span = std::span<const std::uint8_t>;

template <class T>
::testing::AssertionResult FailsWith(const Result<T>& r, ParseError error,
                                     std::uint32_t offset = 0) {
  if (r.has_value()) return ::testing::AssertionFailure() << "parsed; expected " << ToString(error);
  const ParseFailure& f = r.error();
  if (f == ParseFailure{error, Layer::kArp, Scope::kOuter, offset}) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << ToString(f.error) << " at "
                                       << ToString(f.layer) << "+" << f.offset;
}

// neighbor_linux_netns.pcap frame 4 (the kernel resolving 192.0.2.2 for `ping`):
//   02:00:00:00:0a:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Ethernet (len 6),
//   IPv4 (len 4), Request who-has 192.0.2.2 tell 192.0.2.1, length 28
//     0x0000:  ffff ffff ffff 0200 0000 0a01 0806 0001  ................
//     0x0010:  0800 0604 0001 0200 0000 0a01 c000 0201  ................
//     0x0020:  0000 0000 0000 c000 0202                 ..........
// The ARP packet is bytes 14..42:
constexpr std::array<std::uint8_t, 28> kKernelRequest{
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x01,
    0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02,
};
// frame 5: 02:00:00:00:0b:02 > 02:00:00:00:0a:01, ethertype ARP (0x0806), length 42: Ethernet
//   (len 6), IPv4 (len 4), Reply 192.0.2.2 is-at 02:00:00:00:0b:02, length 28
//     0x0000:  0200 0000 0a01 0200 0000 0b02 0806 0001  ................
//     0x0010:  0800 0604 0002 0200 0000 0b02 c000 0202  ................
//     0x0020:  0200 0000 0a01 c000 0201                 ..........
constexpr std::array<std::uint8_t, 28> kKernelReply{
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x0b, 0x02,
    0xc0, 0x00, 0x02, 0x02, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x01, 0xc0, 0x00, 0x02, 0x01,
};
// frame 18 (`arping -D`, an RFC 5227 §2.1.1 probe): Request who-has 192.0.2.1
//   (ff:ff:ff:ff:ff:ff) tell 0.0.0.0, length 28
//     0x0010:  0800 0604 0001 0200 0000 0a01 0000 0000  ................
//     0x0020:  ffff ffff ffff c000 0201                 ..........
constexpr std::array<std::uint8_t, 28> kArpingProbe{
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x01,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0, 0x00, 0x02, 0x01,
};
// scapy: ARP(hwtype=32, ptype=0x0800, hwlen=20, plen=4, op=1, hwsrc=bytes(range(1, 21)),
//            psrc="198.51.100.1", hwdst=bytes(20), pdst="198.51.100.2")
constexpr std::array<std::uint8_t, 56> kIpoibRequest{
    0x00, 0x20, 0x08, 0x00, 0x14, 0x04, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14,
    0xc6, 0x33, 0x64, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x33, 0x64, 0x02,
};

constexpr MacAddress kMacA{0x02, 0x00, 0x00, 0x00, 0x0a, 0x01};
constexpr MacAddress kMacB{0x02, 0x00, 0x00, 0x00, 0x0b, 0x02};

TEST(Arp, DeconstructKernelRequest) {
  auto arp = ArpView::Parse(Span(kKernelRequest));
  ASSERT_TRUE(arp.has_value());
  EXPECT_EQ(arp->hardware_type(), 1);
  EXPECT_EQ(arp->protocol_type(), 0x0800);
  EXPECT_EQ(arp->hardware_length(), 6);
  EXPECT_EQ(arp->protocol_length(), 4);
  EXPECT_EQ(arp->operation(), kArpOperationRequest);
  EXPECT_EQ(arp->header_length(), 28u);
  EXPECT_TRUE(arp->is_ethernet_ipv4());
  EXPECT_EQ(arp->sender_hardware_address().data(), kKernelRequest.data() + 8);
  EXPECT_EQ(arp->target_protocol_address().data(), kKernelRequest.data() + 24);

  auto repr = ArpRepr::Parse(*arp);
  ASSERT_TRUE(repr.has_value());
  EXPECT_EQ(repr->operation, kArpOperationRequest);
  EXPECT_EQ(repr->sender_hardware_address, kMacA);
  EXPECT_EQ(repr->sender_protocol_address, (Ipv4Address{192, 0, 2, 1}));
  EXPECT_EQ(repr->target_hardware_address, MacAddress{});
  EXPECT_EQ(repr->target_protocol_address, (Ipv4Address{192, 0, 2, 2}));
}

TEST(Arp, ConstructKernelReplyAndProbe) {
  ArpRepr reply;
  reply.operation = kArpOperationReply;
  reply.sender_hardware_address = kMacB;
  reply.sender_protocol_address = {192, 0, 2, 2};
  reply.target_hardware_address = kMacA;
  reply.target_protocol_address = {192, 0, 2, 1};
  std::vector<std::uint8_t> out(ArpRepr::kSize + 4, 0xEE);
  reply.Emit(out);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 28),
            std::vector<std::uint8_t>(kKernelReply.begin(), kKernelReply.end()));
  EXPECT_EQ(out[28], 0xEE) << "Emit wrote past the 28 bytes";

  ArpRepr probe;
  probe.sender_hardware_address = kMacA;
  probe.target_hardware_address = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  probe.target_protocol_address = {192, 0, 2, 1};
  std::array<std::uint8_t, 28> p{};
  probe.Emit(p);
  EXPECT_EQ(p, kArpingProbe);
}

TEST(Arp, RoundTrip) {
  for (Span bytes : {Span(kKernelRequest), Span(kKernelReply), Span(kArpingProbe)}) {
    auto repr = ArpRepr::Parse(*ArpView::Parse(bytes));
    ASSERT_TRUE(repr.has_value());
    std::array<std::uint8_t, 28> out{};
    repr->Emit(out);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), bytes.begin()));
    auto again = ArpRepr::Parse(*ArpView::Parse(Span(out)));
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(*again, *repr);
  }
}

TEST(Arp, EveryPrefixIsTruncated) {
  for (Span bytes : {Span(kKernelRequest), Span(kIpoibRequest)}) {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<long>(n));
      EXPECT_TRUE(FailsWith(ArpView::Parse(Span(prefix)), ParseError::kTruncated)) << n;
    }
    EXPECT_TRUE(ArpView::Parse(bytes).has_value());
  }
}

TEST(Arp, PaddingIsNotPartOfThePacket) {
  // Ethernet pads the 28 bytes to 46 (IEEE 802.3 minimum frame).
  std::vector<std::uint8_t> padded(kKernelRequest.begin(), kKernelRequest.end());
  padded.resize(46, 0);
  auto arp = ArpView::Parse(Span(padded));
  ASSERT_TRUE(arp.has_value());
  EXPECT_EQ(arp->header_length(), 28u);
  EXPECT_EQ(arp->target_protocol_address().data() + 4, padded.data() + 28);
}

TEST(Arp, LengthFieldsDecideTheSize) {
  // ar$hln / ar$pln claiming more than the span: truncated.
  std::vector<std::uint8_t> b(kKernelRequest.begin(), kKernelRequest.end());
  b[4] = 7;  // 8 + 2 * (7 + 4) = 30 > 28
  EXPECT_TRUE(FailsWith(ArpView::Parse(Span(b)), ParseError::kTruncated));
  b[4] = 6;
  b[5] = 5;
  EXPECT_TRUE(FailsWith(ArpView::Parse(Span(b)), ParseError::kTruncated));
  // Shorter fields: a valid (smaller) packet, but not Ethernet/IPv4.
  b[4] = 6;
  b[5] = 2;
  auto v = ArpView::Parse(Span(b));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->header_length(), 24u);
  EXPECT_FALSE(v->is_ethernet_ipv4());
  EXPECT_TRUE(FailsWith(ArpRepr::Parse(*v), ParseError::kUnsupported));
}

TEST(Arp, OtherHardwareIsViewedButNotARepr) {
  auto arp = ArpView::Parse(Span(kIpoibRequest));
  ASSERT_TRUE(arp.has_value());
  EXPECT_EQ(arp->hardware_type(), 32);
  EXPECT_EQ(arp->hardware_length(), 20);
  EXPECT_EQ(arp->header_length(), 56u);
  EXPECT_EQ(arp->sender_hardware_address().size(), 20u);
  EXPECT_EQ(arp->sender_hardware_address()[19], 0x14);
  EXPECT_EQ(arp->sender_protocol_address()[0], 198);
  EXPECT_EQ(arp->target_protocol_address()[3], 2);
  EXPECT_FALSE(arp->is_ethernet_ipv4());
  EXPECT_TRUE(FailsWith(ArpRepr::Parse(*arp), ParseError::kUnsupported));

  // Each Ethernet/IPv4 field alone breaks the Repr.
  for (std::size_t i : {0u, 1u, 2u, 3u, 4u, 5u}) {
    std::vector<std::uint8_t> b(kKernelRequest.begin(), kKernelRequest.end());
    b.resize(64, 0);  // room for any length the corruption claims
    b[i] ^= 0x01;
    auto v = ArpView::Parse(Span(b));
    ASSERT_TRUE(v.has_value()) << i;
    EXPECT_TRUE(FailsWith(ArpRepr::Parse(*v), ParseError::kUnsupported)) << i;
  }
}

TEST(Arp, MutViewSetsOperation) {
  std::array<std::uint8_t, 28> b = kKernelRequest;
  auto v = ArpMutView::Parse(std::span<std::uint8_t>(b));
  ASSERT_TRUE(v.has_value());
  v->set_operation(kArpOperationReply);
  EXPECT_EQ(b[6], 0x00);
  EXPECT_EQ(b[7], 0x02);
  ArpView ro = *v;
  EXPECT_EQ(ro.operation(), kArpOperationReply);
}

}  // namespace
}  // namespace nvgre::wire
