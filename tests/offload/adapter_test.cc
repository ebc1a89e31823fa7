// The adapter model (spec §7, §8, §12): NDIS_OFFLOAD / NDIS_OFFLOAD_PARAMETERS layouts and
// revision sizes, the initial state (inactive despite the keyword), OID_TCP_OFFLOAD_PARAMETERS
// validation, keyword write-back, the CURRENT_CONFIG indication, the drain on SET_OFF, and the
// Tx view.
#include "nvgre/offload/adapter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace nvgre::offload {
namespace {

std::uint32_t Le32(const std::vector<std::uint8_t>& b, std::size_t at) {
  return std::uint32_t{b[at]} | (std::uint32_t{b[at + 1]} << 8) | (std::uint32_t{b[at + 2]} << 16) |
         (std::uint32_t{b[at + 3]} << 24);
}

OffloadParameters EncapOn() {
  OffloadParameters p;
  p.encapsulated_packet_task_offload = kNdisOffloadSetOn;
  p.encapsulation_types = kNdisEncapsulationTypeGreMac;
  return p;
}
OffloadParameters EncapOff() {
  OffloadParameters p;
  p.encapsulated_packet_task_offload = kNdisOffloadSetOff;
  return p;
}

TEST(NdisConstants, Values) {
  EXPECT_EQ(static_cast<std::uint32_t>(NdisStatus::kInvalidData), 0xC0010015u);
  EXPECT_EQ(static_cast<std::uint32_t>(NdisStatus::kNotSupported), 0xC00000BBu);
  EXPECT_EQ(static_cast<std::uint32_t>(NdisStatus::kTaskOffloadCurrentConfig), 0x40020006u);
  EXPECT_EQ(ToString(NdisStatus::kInvalidData), "NDIS_STATUS_INVALID_DATA");
  EXPECT_EQ(kOidTcpOffloadParameters, 0xFC01020Cu);
  // Spec §7.3 / §8.3 [CALC] sizes.
  EXPECT_EQ(NdisOffloadSize(1), 112u);
  EXPECT_EQ(NdisOffloadSize(2), 144u);
  EXPECT_EQ(NdisOffloadSize(3), 156u);
  EXPECT_EQ(NdisOffloadSize(4), 177u);
  EXPECT_EQ(NdisOffloadSize(5), 188u);
  EXPECT_EQ(NdisOffloadSize(6), 216u);
  EXPECT_EQ(NdisOffloadSize(7), 0u);
  EXPECT_EQ(OffloadParametersSize(3), 26u);
  EXPECT_EQ(OffloadParametersSize(5), 34u);
}

TEST(NdisOffloadBytes, LayoutOfTheDefaultHardware) {
  const NdisOffload hw = AdapterCapabilities::Default().hardware;
  const auto b = hw.ToBytes(3);
  ASSERT_EQ(b.size(), 156u);
  EXPECT_EQ(b[0], 0xA7);  // NDIS_OBJECT_TYPE_OFFLOAD
  EXPECT_EQ(b[1], 3);
  EXPECT_EQ(b[2] | (b[3] << 8), 156);
  EXPECT_EQ(Le32(b, 4), kNdisEncapsulationIeee8023);  // Checksum.IPv4Transmit.Encapsulation
  // IpOptionsSupported:2 TcpOptionsSupported:2 TcpChecksum:2 UdpChecksum:2 IpChecksum:2, all 1.
  EXPECT_EQ(Le32(b, 8), 0x155u);
  EXPECT_EQ(Le32(b, 16), 0x155u);  // IPv4Receive
  EXPECT_EQ(Le32(b, 24), 0x55u);   // IPv6Transmit: 4 members
  EXPECT_EQ(Le32(b, 84), 262144u); // LsoV2.IPv4.MaxOffLoadSize
  EXPECT_EQ(Le32(b, 88), 2u);      // LsoV2.IPv4.MinSegmentCount
  EXPECT_EQ(Le32(b, 104), 0x5u);   // LsoV2.IPv6: IpExtensionHeadersSupported, TcpOptionsSupported
  EXPECT_EQ(b[144], 1);            // Rsc.IPv4.Enabled
  // EncapsulatedPacketTaskOffloadGre: every mask 0xF, but UsoSupported (bits 20-23) is Reserved
  // (0) before revision 6 (spec §7.2 "NDIS 6.30 era had Reserved:12", §7.3 revision ladder).
  EXPECT_EQ(Le32(b, 148), 0x000FFFFFu);
  EXPECT_EQ(Le32(b, 152), 256u);         // MaxHeaderSizeSupported
  const auto b6 = hw.ToBytes(6);
  ASSERT_EQ(b6.size(), 216u);
  EXPECT_EQ(b6[176], kNdisEncapsulationTypeGreMac);
  EXPECT_EQ(Le32(b6, 148), 0x00FFFFFFu);  // revision 6 carries UsoSupported
  EXPECT_EQ(Le32(hw.ToBytes(4), 148), 0x000FFFFFu);
  EXPECT_EQ(Le32(hw.ToBytes(5), 148), 0x000FFFFFu);
  EXPECT_EQ(Le32(b6, 196), 0x42u);  // USO IPv4: MinSegmentCount 2 | SubMssFinalSegmentSupported
  EXPECT_EQ(Le32(b6, 212), 0x1u);   // USO IPv6 IpExtensionHeadersSupported
  EXPECT_EQ(hw.ToBytes(1).size(), 112u);
  EXPECT_EQ(hw.ToBytes(2).size(), 144u);
}

TEST(NdisOffloadBytes, RoundTripEveryRevision) {
  NdisOffload o = AdapterCapabilities::Default().hardware;
  o.flags = 0x12345678;
  o.ipv6_receive.udp_checksum = false;
  o.lso_v1.ip_options = false;
  for (std::uint8_t rev = 1; rev <= 6; ++rev) {
    const auto parsed = NdisOffload::FromBytes(o.ToBytes(rev));
    ASSERT_TRUE(parsed.has_value()) << int{rev};
    NdisOffload expected = o;
    if (rev < 3) {
      expected.rsc_ipv4 = expected.rsc_ipv6 = false;
      expected.encapsulated_packet_task_offload_gre = EncapsulatedPacketTaskOffload::FromRaw(0, 0);
    }
    if (rev < 4) expected.encapsulation_types = 0;
    if (rev < 6) expected.uso_ipv4 = expected.uso_ipv6 = UsoOffload{};
    if (rev >= 3 && rev < 6) {  // spec §7.2: bits 20-23 Reserved before USO (revision 6)
      ASSERT_TRUE(expected.encapsulated_packet_task_offload_gre.set_mask(EncapOffload::kUso, 0));
    }
    EXPECT_EQ(*parsed, expected) << int{rev};
  }
  // A later revision reads as 6 (NDIS versioning appends members), with 6's size at least
  // (fuzz finding ndis-offload-revision-above-6 settled this way; adapter.h says so).
  auto later = o.ToBytes(6);
  ASSERT_EQ(later.size(), 216u);
  later[1] = 7;
  later.resize(230);  // a revision-7 structure would be longer; Size stays 216 here
  const auto as6 = NdisOffload::FromBytes(later);
  ASSERT_TRUE(as6.has_value());
  EXPECT_EQ(*as6, *NdisOffload::FromBytes(o.ToBytes(6)));
  later = o.ToBytes(5);  // 188 bytes claiming revision 7
  later[1] = 7;
  EXPECT_FALSE(NdisOffload::FromBytes(later));
  auto bad = o.ToBytes(3);
  bad[0] = 0x80;
  EXPECT_FALSE(NdisOffload::FromBytes(bad));
  bad = o.ToBytes(3);
  bad.pop_back();
  EXPECT_FALSE(NdisOffload::FromBytes(bad));
}

TEST(OffloadParametersBytes, LayoutAndParse) {
  OffloadParameters p = EncapOn();
  p.revision = 3;
  p.tcp_ipv4_checksum = kOffloadParametersTxRxEnabled;
  p.lso_v2_ipv6 = kOffloadParametersDisabled;
  p.flags = 0xA;
  const auto b = p.ToBytes();
  ASSERT_EQ(b.size(), 26u);
  EXPECT_EQ(b[0], 0x80);
  EXPECT_EQ(b[1], 3);
  EXPECT_EQ(b[2], 26);
  EXPECT_EQ(b[5], kOffloadParametersTxRxEnabled);  // TCPIPv4Checksum
  EXPECT_EQ(b[12], kOffloadParametersDisabled);    // LsoV2IPv6
  EXPECT_EQ(Le32(b, 16), 0xAu);                    // Flags
  EXPECT_EQ(b[24], kNdisOffloadSetOn);             // EncapsulatedPacketTaskOffload (§8.3)
  EXPECT_EQ(b[25], kNdisEncapsulationTypeGreMac);  // EncapsulationTypes
  const ParsedOffloadParameters parsed = ParseOffloadParameters(b);
  ASSERT_EQ(parsed.status, NdisStatus::kSuccess);
  EXPECT_EQ(parsed.parameters, p);
  OffloadParameters p5 = p;
  p5.revision = 5;
  p5.uso_ipv6 = kOffloadParametersEnabled;
  p5.vxlan_udp_port_number = 4789;
  const auto b5 = p5.ToBytes();
  ASSERT_EQ(b5.size(), 34u);
  EXPECT_EQ(b5[33], kOffloadParametersEnabled);
  EXPECT_EQ(b5[28] | (b5[29] << 8), 4789);
  EXPECT_EQ(ParseOffloadParameters(b5).parameters, p5);
  // Revision 1: the NVGRE members do not exist and read as NO_CHANGE.
  OffloadParameters p1 = p;
  p1.revision = 1;
  const ParsedOffloadParameters r1 = ParseOffloadParameters(p1.ToBytes());
  EXPECT_EQ(r1.status, NdisStatus::kSuccess);
  EXPECT_EQ(r1.parameters.encapsulated_packet_task_offload, 0);
}

TEST(OffloadParametersBytes, InvalidBuffers) {
  const auto good = EncapOn().ToBytes();
  EXPECT_EQ(ParseOffloadParameters({}).status, NdisStatus::kInvalidData);
  auto b = good;
  b[0] = 0xA7;  // wrong object type
  EXPECT_EQ(ParseOffloadParameters(b).status, NdisStatus::kInvalidData);
  b = good;
  b[1] = 0;  // revision 0
  EXPECT_EQ(ParseOffloadParameters(b).status, NdisStatus::kInvalidData);
  b = good;
  b[2] = 25;  // Size below the revision's size
  EXPECT_EQ(ParseOffloadParameters(b).status, NdisStatus::kInvalidData);
  b = good;
  b.resize(20);  // shorter than Size
  EXPECT_EQ(ParseOffloadParameters(b).status, NdisStatus::kInvalidData);
  Adapter a;
  EXPECT_EQ(a.SetOffloadParametersOid(b), NdisStatus::kInvalidData);
  EXPECT_EQ(a.SetOffloadParametersOid(good), NdisStatus::kSuccess);
  EXPECT_TRUE(a.Snapshot()->encapsulated_offload_active());
}

TEST(Adapter, NeverActiveBeforeTheOidEvenWithTheKeywordOn) {
  const Adapter a(AdapterCapabilities::Default(), Keywords::Parse("*EncapsulatedPacketTaskOffload=1\n"));
  const auto c = a.Snapshot();
  EXPECT_FALSE(c->encapsulated_offload_active());
  EXPECT_EQ(c->current.encapsulated_packet_task_offload_gre.raw(), 0u);
  EXPECT_EQ(c->current.encapsulation_types, 0);
  EXPECT_FALSE(a.TxConfig().encapsulated_offload_active);
  // Base offloads follow the keywords and the hardware.
  EXPECT_TRUE(c->current.ipv4_receive.tcp_checksum);
  EXPECT_EQ(c->current.lso_v2_ipv4.max_offload_size, 262144u);
  EXPECT_EQ(a.HardwareCapabilities().encapsulated_packet_task_offload_gre.raw(), 0x00FFFFFFu);
}

TEST(Adapter, KeywordsShapeTheInitialConfig) {
  const Adapter a(AdapterCapabilities::Default(),
                  Keywords::Parse("*TCPChecksumOffloadIPv4=1\n*LsoV2IPv6=0\n*RscIPv4=0\n*UDPChecksumOffloadIPv6=0\n"));
  const NdisOffload c = a.CurrentConfig();
  EXPECT_TRUE(c.ipv4_transmit.tcp_checksum);   // 1 = Tx only
  EXPECT_FALSE(c.ipv4_receive.tcp_checksum);
  EXPECT_TRUE(c.ipv4_receive.ip_checksum);
  EXPECT_FALSE(c.ipv6_receive.udp_checksum);
  EXPECT_TRUE(c.ipv6_receive.tcp_checksum);
  EXPECT_EQ(c.lso_v2_ipv6.encapsulation, kNdisEncapsulationNotSupported);
  EXPECT_EQ(c.lso_v2_ipv6.max_offload_size, 0u);
  EXPECT_FALSE(c.rsc_ipv4);
  EXPECT_TRUE(c.rsc_ipv6);
}

TEST(Adapter, OidOnIndicatesCurrentConfigAndPersistsTheKeyword) {
  Adapter a(AdapterCapabilities::Default(), Keywords::Parse("*EncapsulatedPacketTaskOffload=0\n*Vendor=x\n"));
  std::vector<StatusIndication> seen;
  a.SetStatusCallback([&](const StatusIndication& s) { seen.push_back(s); });
  ASSERT_EQ(a.SetOffloadParameters(EncapOn()), NdisStatus::kSuccess);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].code, NdisStatus::kTaskOffloadCurrentConfig);
  EXPECT_EQ(seen[0].offload.encapsulated_packet_task_offload_gre.raw(), 0x00FFFFFFu);
  EXPECT_EQ(seen[0].offload.encapsulated_packet_task_offload_gre.max_header_size_supported(), 256u);
  EXPECT_EQ(seen[0].offload.encapsulation_types, kNdisEncapsulationTypeGreMac);
  EXPECT_EQ(seen[0].offload, a.CurrentConfig());
  EXPECT_TRUE(a.Snapshot()->encapsulated_offload_active());
  EXPECT_EQ(a.keywords().ToText(), "*EncapsulatedPacketTaskOffload=1\n*Vendor=x\n");
  // A NO_CHANGE set still indicates (spec §14: always a CURRENT_CONFIG afterwards).
  ASSERT_EQ(a.SetOffloadParameters(OffloadParameters{}), NdisStatus::kSuccess);
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_TRUE(a.Snapshot()->encapsulated_offload_active());
}

TEST(Adapter, OffDrainsBeforeIndicating) {
  Adapter a;
  std::vector<std::string> order;
  a.SetDrainHook([&] {
    // The new (off) state is already published when the drain runs.
    EXPECT_FALSE(a.Snapshot()->encapsulated_offload_active());
    order.push_back("drain");
  });
  a.SetStatusCallback([&](const StatusIndication& s) {
    order.push_back(s.offload.encapsulation_types == 0 ? "indicate-off" : "indicate-on");
  });
  ASSERT_EQ(a.SetOffloadParameters(EncapOn()), NdisStatus::kSuccess);
  ASSERT_EQ(a.SetOffloadParameters(EncapOff()), NdisStatus::kSuccess);
  ASSERT_EQ(a.SetOffloadParameters(EncapOff()), NdisStatus::kSuccess);  // already off: no drain
  EXPECT_EQ(order, (std::vector<std::string>{"indicate-on", "drain", "indicate-off", "indicate-off"}));
  EXPECT_EQ(a.keywords().Get(Keyword::kEncapsulatedPacketTaskOffload), 0);
  EXPECT_EQ(a.CurrentConfig().encapsulated_packet_task_offload_gre.raw(), 0u);
}

TEST(Adapter, OffWaitsForPacketsInFlight) {
  Adapter a;
  ASSERT_EQ(a.SetOffloadParameters(EncapOn()), NdisStatus::kSuccess);
  std::atomic<bool> holding{false}, released{false}, drained{false};
  a.SetDrainHook([&] {
    EXPECT_TRUE(released.load());  // the packet holding the old config finished first
    drained = true;
  });
  std::thread packet([&] {
    auto snapshot = a.Snapshot();  // a packet being processed with the "on" config
    holding = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    released = true;
  });
  while (!holding) std::this_thread::yield();
  ASSERT_EQ(a.SetOffloadParameters(EncapOff()), NdisStatus::kSuccess);
  EXPECT_TRUE(drained.load());
  packet.join();
}

// A consumer that keeps one snapshot for many packets (nvgred's published datapath state) lets
// go of it in the publish hook; SET_OFF then completes instead of waiting forever, and the hook
// runs after the new configuration is visible and before the drain and the indication.
TEST(Adapter, PublishHookReleasesAKeptSnapshot) {
  Adapter a;
  ASSERT_EQ(a.SetOffloadParameters(EncapOn()), NdisStatus::kSuccess);
  std::shared_ptr<const AdapterConfig> kept = a.Snapshot();  // what the workers read
  ASSERT_TRUE(kept->encapsulated_offload_active());
  std::vector<std::string> order;
  a.SetPublishHook([&] {
    kept = a.Snapshot();  // the consumer's new state holds the new configuration
    order.push_back(kept->encapsulated_offload_active() ? "publish-on" : "publish-off");
  });
  a.SetDrainHook([&] { order.push_back("drain"); });
  a.SetStatusCallback([&](const StatusIndication&) { order.push_back("indicate"); });
  ASSERT_EQ(a.SetOffloadParameters(EncapOff()), NdisStatus::kSuccess);
  EXPECT_EQ(order, (std::vector<std::string>{"publish-off", "drain", "indicate"}));
  EXPECT_FALSE(kept->encapsulated_offload_active());
  // Every published change runs it, the OIDs that do not wait included.
  order.clear();
  OffloadEncapsulation e = OffloadEncapsulation::Ethernet();
  e.ipv6.enabled = kNdisOffloadSetOff;
  ASSERT_EQ(a.SetOffloadEncapsulation(e), NdisStatus::kSuccess);
  EXPECT_EQ(order, (std::vector<std::string>{"publish-off"}));
  EXPECT_FALSE(kept->offload_encapsulation_ipv6);
  // A refused OID publishes nothing.
  order.clear();
  OffloadParameters bad = EncapOn();
  bad.encapsulated_packet_task_offload = 3;
  EXPECT_EQ(a.SetOffloadParameters(bad), NdisStatus::kInvalidData);
  EXPECT_TRUE(order.empty());
  a.SetPublishHook(nullptr);
  ASSERT_EQ(a.SetOffloadParameters(EncapOn()), NdisStatus::kSuccess);
  EXPECT_EQ(order, (std::vector<std::string>{"indicate"}));
}

TEST(Adapter, InvalidDataChangesNothing) {
  Adapter a;
  int indications = 0;
  a.SetStatusCallback([&](const StatusIndication&) { ++indications; });
  const auto before = a.Snapshot();
  auto expect_invalid = [&](OffloadParameters p) {
    EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kInvalidData);
  };
  OffloadParameters p = EncapOn();
  p.encapsulated_packet_task_offload = 3;
  expect_invalid(p);
  p = EncapOn();
  p.encapsulation_types = 0;  // ON with nothing to turn on
  expect_invalid(p);
  p = EncapOn();
  p.encapsulation_types = 0x4;  // undefined type bit
  expect_invalid(p);
  p = EncapOn();
  p.tcp_ipv4_checksum = 5;
  expect_invalid(p);
  p = EncapOn();
  p.lso_v2_ipv4 = 3;
  expect_invalid(p);
  p = EncapOn();
  p.uso_ipv6 = 9;
  expect_invalid(p);
  p = EncapOn();
  p.revision = 9;
  expect_invalid(p);
  EXPECT_EQ(indications, 0);
  EXPECT_EQ(a.Snapshot(), before);  // not even republished
  EXPECT_EQ(a.keywords(), Keywords());
}

// Spec §7.1: a query buffer too small for the NDIS_OFFLOAD image -> NDIS_STATUS_BUFFER_TOO_SHORT
// with the size needed (NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_6 = 216, _3 = 156, §7.3), nothing
// written; a large enough one gets the image, header {0xA7, revision, size}.
TEST(Adapter, QueryOidBufferTooShort) {
  Adapter a(AdapterCapabilities::Default(), Keywords{});
  std::vector<std::uint8_t> buf(215, 0xEE);
  OidQueryResult r = a.QueryOid(kOidTcpOffloadHardwareCapabilities, buf);
  EXPECT_EQ(r.status, NdisStatus::kBufferTooShort);
  EXPECT_EQ(static_cast<std::uint32_t>(r.status), 0xC0010016u);
  EXPECT_EQ(r.bytes_needed, 216u);
  EXPECT_EQ(r.bytes_written, 0u);
  EXPECT_TRUE(std::all_of(buf.begin(), buf.end(), [](std::uint8_t b) { return b == 0xEE; }));
  EXPECT_EQ(a.QueryOid(kOidTcpOffloadCurrentConfig, {}).bytes_needed, 216u);
  EXPECT_EQ(a.QueryOid(kOidTcpOffloadHardwareCapabilities, std::span(buf).first(100), 3).bytes_needed, 156u);

  buf.assign(300, 0xEE);
  r = a.QueryOid(kOidTcpOffloadHardwareCapabilities, buf);
  EXPECT_EQ(r.status, NdisStatus::kSuccess);
  EXPECT_EQ(r.bytes_written, 216u);
  EXPECT_EQ(buf[0], 0xA7);  // NDIS_OBJECT_TYPE_OFFLOAD
  EXPECT_EQ(buf[1], 6);
  EXPECT_EQ(buf[2] | (buf[3] << 8), 216);
  EXPECT_EQ(Le32(buf, 148), 0x00FFFFFFu);  // EncapsulatedPacketTaskOffloadGre, revision 6
  EXPECT_EQ(buf[216], 0xEE);                // nothing beyond the image
  r = a.QueryOid(kOidTcpOffloadCurrentConfig, buf, 3);
  EXPECT_EQ(r.bytes_written, 156u);
  EXPECT_EQ(buf[1], 3);
  EXPECT_EQ(Le32(buf, 148), 0u);  // NVGRE task offload not active before the OID (§8.1)

  EXPECT_EQ(a.QueryOid(kOidTcpOffloadParameters, buf).status, NdisStatus::kNotSupported);  // set-only
  EXPECT_EQ(a.QueryOid(kOidTcpOffloadHardwareCapabilities, buf, 7).status, NdisStatus::kInvalidParameter);
}

TEST(Adapter, NotSupported) {
  AdapterCapabilities caps = AdapterCapabilities::Default();
  caps.hardware.ipv6_receive.udp_checksum = false;
  caps.hardware.uso_ipv4 = UsoOffload{};
  Adapter a(caps);
  OffloadParameters p = EncapOn();
  p.encapsulation_types = kNdisEncapsulationTypeGreMac | kNdisEncapsulationTypeVxlan;
  EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kNotSupported);  // VXLAN not implemented
  p = {};
  p.udp_ipv6_checksum = kOffloadParametersRxEnabledTxDisabled;
  EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kNotSupported);
  p.udp_ipv6_checksum = kOffloadParametersTxEnabledRxDisabled;  // Tx is supported
  EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kSuccess);
  p = {};
  p.uso_ipv4 = kOffloadParametersEnabled;
  EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kNotSupported);
  p.uso_ipv4 = kOffloadParametersDisabled;  // turning off what is not there is fine
  EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kSuccess);
  p = {};
  p.ipsec_v1 = 2;
  EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kNotSupported);
  p = {};
  p.tcp_connection_ipv4 = kOffloadParametersEnabled;
  EXPECT_EQ(a.SetOffloadParameters(p), NdisStatus::kNotSupported);

  AdapterCapabilities no_gre = AdapterCapabilities::Default();
  no_gre.hardware.encapsulated_packet_task_offload_gre = EncapsulatedPacketTaskOffload::FromRaw(0);
  Adapter b(no_gre);
  EXPECT_EQ(b.SetOffloadParameters(EncapOn()), NdisStatus::kNotSupported);
  EXPECT_EQ(b.SetOffloadParameters(EncapOff()), NdisStatus::kSuccess);
}

TEST(Adapter, BaseOffloadChangesUpdateConfigAndKeywords) {
  Adapter a(AdapterCapabilities::Default(), Keywords::Parse("*TCPChecksumOffloadIPv4=3\n"));
  OffloadParameters p;
  p.tcp_ipv4_checksum = kOffloadParametersRxEnabledTxDisabled;
  p.ipv4_checksum = kOffloadParametersTxRxDisabled;
  p.lso_v2_ipv4 = kOffloadParametersDisabled;
  p.rsc_ipv6 = kOffloadParametersDisabled;
  p.uso_ipv6 = kOffloadParametersDisabled;
  ASSERT_EQ(a.SetOffloadParameters(p), NdisStatus::kSuccess);
  const NdisOffload c = a.CurrentConfig();
  EXPECT_FALSE(c.ipv4_transmit.tcp_checksum);
  EXPECT_TRUE(c.ipv4_receive.tcp_checksum);
  EXPECT_FALSE(c.ipv4_transmit.ip_checksum);
  EXPECT_FALSE(c.ipv4_receive.ip_checksum);
  EXPECT_TRUE(c.ipv4_transmit.udp_checksum);  // untouched
  EXPECT_EQ(c.lso_v2_ipv4.encapsulation, 0u);
  EXPECT_FALSE(c.rsc_ipv6);
  EXPECT_EQ(c.uso_ipv6.encapsulation, 0u);
  const Keywords kw = a.keywords();
  EXPECT_EQ(kw.Get(Keyword::kTcpChecksumOffloadIpv4), kChecksumKeywordRx);
  EXPECT_EQ(kw.Get(Keyword::kIpChecksumOffloadIpv4), kChecksumKeywordDisabled);
  EXPECT_EQ(kw.Get(Keyword::kLsoV2Ipv4), 0);
  EXPECT_EQ(kw.Get(Keyword::kRscIpv6), 0);
  EXPECT_EQ(kw.Get(Keyword::kUsoIpv6), 0);
  EXPECT_FALSE(kw.Configured(Keyword::kLsoV2Ipv6));  // NO_CHANGE members are not written
  EXPECT_EQ(kw.ToText(),
            "*TCPChecksumOffloadIPv4=2\n*IPChecksumOffloadIPv4=0\n*LsoV2IPv4=0\n*RscIPv6=0\n*UsoIPv6=0\n");
}

TEST(Adapter, OffloadEncapsulationOid) {
  Adapter a;
  OffloadEncapsulation e = OffloadEncapsulation::Ethernet();
  e.ipv4.header_size = 8;
  EXPECT_EQ(a.SetOffloadEncapsulation(e), NdisStatus::kInvalidParameter);
  e = OffloadEncapsulation::Ethernet();
  e.ipv6.encapsulation_type = kNdisEncapsulationIeeeLlcSnapRouted;
  EXPECT_EQ(a.SetOffloadEncapsulation(e), NdisStatus::kNotSupported);
  e = OffloadEncapsulation::Ethernet();
  e.ipv4.enabled = 7;
  EXPECT_EQ(a.SetOffloadEncapsulation(e), NdisStatus::kInvalidParameter);
  EXPECT_FALSE(a.Snapshot()->offload_encapsulation_ipv4);
  ASSERT_EQ(a.SetOffloadEncapsulation(OffloadEncapsulation::Ethernet()), NdisStatus::kSuccess);
  EXPECT_TRUE(a.Snapshot()->offload_encapsulation_ipv4 && a.Snapshot()->offload_encapsulation_ipv6);
  OffloadEncapsulation off;
  off.ipv6.enabled = kNdisOffloadSetOff;
  ASSERT_EQ(a.SetOffloadEncapsulation(off), NdisStatus::kSuccess);
  EXPECT_TRUE(a.Snapshot()->offload_encapsulation_ipv4);
  EXPECT_FALSE(a.Snapshot()->offload_encapsulation_ipv6);
}

TEST(Adapter, RssOid) {
  Adapter a;
  RssParameters p;
  p.SetIndirection(16);
  EXPECT_EQ(a.SetRssParameters(p), NdisStatus::kSuccess);
  EXPECT_TRUE(a.Snapshot()->rss_enabled());
  p.SetIndirection(32);  // queues 16..31 do not exist
  EXPECT_EQ(a.SetRssParameters(p), NdisStatus::kInvalidParameter);
  p.SetIndirection(16);
  p.hash_types |= kNdisHashIpv6Ex;
  EXPECT_EQ(a.SetRssParameters(p), NdisStatus::kNotSupported);
  Adapter no_rss(AdapterCapabilities::Default(), Keywords::Parse("*RSS=0\n"));
  EXPECT_EQ(no_rss.SetRssParameters(RssParameters{}), NdisStatus::kNotSupported);
  EXPECT_FALSE(no_rss.Snapshot()->rss_enabled());
}

TEST(Adapter, TxConfigFollowsTheState) {
  Adapter a;
  TxOffloadConfig t = a.TxConfig();
  EXPECT_FALSE(t.encapsulated_offload_active);
  EXPECT_FALSE(t.checksum_ipv4.tcp_checksum);  // no OID_OFFLOAD_ENCAPSULATION yet
  EXPECT_FALSE(t.lso_v2_ipv4.enabled);
  ASSERT_EQ(a.SetOffloadEncapsulation(OffloadEncapsulation::Ethernet()), NdisStatus::kSuccess);
  ASSERT_EQ(a.SetOffloadParameters(EncapOn()), NdisStatus::kSuccess);
  t = a.TxConfig();
  EXPECT_TRUE(t.encapsulated_offload_active);
  EXPECT_EQ(t.encapsulated.raw(), 0x00FFFFFFu);
  EXPECT_EQ(t.encapsulated.max_header_size_supported(), 256u);
  EXPECT_TRUE(t.checksum_ipv4.tcp_checksum && t.checksum_ipv4.ip_checksum && t.checksum_ipv6.udp_checksum);
  EXPECT_TRUE(t.lso_v2_ipv6.enabled);
  EXPECT_EQ(t.lso_v2_ipv6.max_offload_size, 262144u);
  EXPECT_EQ(t.lso_v2_ipv6.min_segment_count, 2u);
  EXPECT_TRUE(t.uso_ipv4.enabled && t.uso_ipv4.sub_mss_final_segment_supported);
  OffloadParameters p;
  p.lso_v2_ipv6 = kOffloadParametersDisabled;
  p.udp_ipv4_checksum = kOffloadParametersRxEnabledTxDisabled;
  ASSERT_EQ(a.SetOffloadParameters(p), NdisStatus::kSuccess);
  t = a.TxConfig();
  EXPECT_FALSE(t.lso_v2_ipv6.enabled);
  EXPECT_FALSE(t.checksum_ipv4.udp_checksum);
  EXPECT_TRUE(t.checksum_ipv4.tcp_checksum);
}

TEST(Adapter, ToStringNamesTheMembers) {
  const std::string s = AdapterCapabilities::Default().hardware.ToString();
  EXPECT_NE(s.find("Checksum.IPv4Receive: Encapsulation=0x2 IpOptionsSupported TcpOptionsSupported "
                   "TcpChecksum UdpChecksum IpChecksum"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("EncapsulatedPacketTaskOffloadGre: "), std::string::npos);
  EXPECT_NE(s.find("MaxHeaderSizeSupported=256"), std::string::npos);
}

}  // namespace
}  // namespace nvgre::offload
