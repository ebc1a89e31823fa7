// VMQ receive filters (spec §5.2, §11): tests, AND/OR semantics, default queue, filter ids,
// the encapsulation flag (inner header, outer when there is none), VLAN rules, validation,
// and the adapter's OID statuses.
#include "nvgre/offload/vmq.h"

#include <gtest/gtest.h>

#include "nvgre/offload/rx_engine.h"
#include "offload/rx_frames_util.h"

namespace nvgre::offload {
namespace {

using nvgre::testing::Bytes;
using nvgre::testing::BuildFrame;
using nvgre::testing::BuildNvgreFrame;
using nvgre::testing::InnerSpec;
using nvgre::testing::OuterSpec;

const wire::MacAddress kVm1{0x00, 0x15, 0x5d, 0x00, 0x00, 0x01};
const wire::MacAddress kVm2{0x00, 0x15, 0x5d, 0x00, 0x00, 0x02};
const wire::MacAddress kHost{0xaa, 0xbb, 0x00, 0x00, 0x20, 0x02};  // OuterSpec default dst

ReceiveFilter Filter(std::uint32_t id, std::uint16_t queue, std::initializer_list<ReceiveFilterField> fields,
                     std::uint32_t flags = 0) {
  ReceiveFilter f;
  f.filter_id = id;
  f.queue_id = queue;
  f.flags = flags;
  for (const auto& field : fields) EXPECT_TRUE(f.AddField(field));
  return f;
}

Bytes ToVm(const wire::MacAddress& mac, std::optional<std::uint16_t> inner_vlan = std::nullopt,
           std::optional<std::uint16_t> outer_vlan = std::nullopt) {
  InnerSpec in;
  in.dst_mac = mac;
  in.vlan = inner_vlan;
  OuterSpec out;
  out.vlan = outer_vlan;
  return BuildNvgreFrame(out, in);
}

VmqMatch Classify(const VmqTable& t, const Bytes& f, bool inner = true) {
  return t.Classify(f, wire::ClassifyFrame(f), inner);
}

TEST(Vmq, DefaultQueueWhenNothingMatches) {
  VmqTable t;
  EXPECT_EQ(Classify(t, ToVm(kVm1)).queue, kDefaultReceiveQueueId);
  ASSERT_EQ(t.Set(Filter(1, 3, {ReceiveFilterField::MacEquals(kVm1)}, kReceiveFilterPacketEncapsulationGre), 16), VmqError::kNone);
  const VmqMatch m = Classify(t, ToVm(kVm2));
  EXPECT_EQ(m.queue, 0);
  EXPECT_EQ(m.filter_id, 0u);
  EXPECT_EQ(m.filtering_info().raw(), 0u);
}

TEST(Vmq, EncapsulationFlagMatchesTheInnerHeader) {
  VmqTable t;
  ASSERT_EQ(t.Set(Filter(7, 3, {ReceiveFilterField::MacEquals(kVm1)}, kReceiveFilterPacketEncapsulationGre), 16), VmqError::kNone);
  const VmqMatch m = Classify(t, ToVm(kVm1));
  EXPECT_EQ(m.queue, 3);
  EXPECT_EQ(m.filter_id, 7u);
  EXPECT_TRUE(m.inner_header);
  // NDIS_NET_BUFFER_LIST_FILTERING_INFO: FilterId 0, QueueId 3 -> 0x00030000.
  EXPECT_EQ(m.filtering_info().raw(), 0x00030000u);
  // VMQ offload not applicable to the frame (inner = false): the flagged filter sees the outer.
  EXPECT_EQ(Classify(t, ToVm(kVm1), false).queue, 0);
}

TEST(Vmq, UnflaggedFilterMatchesTheOuterHeader) {
  VmqTable t;
  ASSERT_EQ(t.Set(Filter(1, 2, {ReceiveFilterField::MacEquals(kVm1)}), 16), VmqError::kNone);
  EXPECT_EQ(Classify(t, ToVm(kVm1)).queue, 0);  // the inner MAC is not looked at
  ASSERT_EQ(t.Set(Filter(2, 5, {ReceiveFilterField::MacEquals(kHost)}), 16), VmqError::kNone);
  const VmqMatch m = Classify(t, ToVm(kVm1));
  EXPECT_EQ(m.queue, 5);
  EXPECT_FALSE(m.inner_header);
}

TEST(Vmq, NoInnerEthernetUsesTheOutermostHeader) {
  VmqTable t;
  ASSERT_EQ(t.Set(Filter(1, 4, {ReceiveFilterField::MacEquals(kHost)}, kReceiveFilterPacketEncapsulationGre), 16), VmqError::kNone);
  OuterSpec gre_ip;
  gre_ip.gre_protocol = wire::kEtherTypeIpv4;
  const VmqMatch m = Classify(t, BuildNvgreFrame(gre_ip, {}));
  EXPECT_EQ(m.queue, 4);  // spec §5.2: no inner Ethernet header -> the outermost one
  EXPECT_FALSE(m.inner_header);
  // A plain frame has no inner header either.
  InnerSpec plain;
  plain.dst_mac = kHost;
  EXPECT_EQ(Classify(t, BuildFrame(plain)).queue, 4);
}

TEST(Vmq, FieldsAreAndedFiltersAreOred) {
  VmqTable t;
  // Queue 2: (MAC vm1 AND VLAN 10) OR (MAC vm2).
  ASSERT_EQ(t.Set(Filter(1, 2, {ReceiveFilterField::MacEquals(kVm1), ReceiveFilterField::VlanEquals(10)}), 16),
            VmqError::kNone);
  ASSERT_EQ(t.Set(Filter(2, 2, {ReceiveFilterField::MacEquals(kVm2)}), 16), VmqError::kNone);
  InnerSpec a;
  a.dst_mac = kVm1;
  a.vlan = 10;
  EXPECT_EQ(Classify(t, BuildFrame(a)).queue, 2);   // both fields of filter 1
  a.vlan = 11;
  EXPECT_EQ(Classify(t, BuildFrame(a)).queue, 0);   // MAC matches, VLAN does not
  a.vlan.reset();
  EXPECT_EQ(Classify(t, BuildFrame(a)).queue, 0);   // untagged never matches a VLAN test
  InnerSpec b;
  b.dst_mac = kVm2;
  const VmqMatch m = Classify(t, BuildFrame(b));    // the other filter of the same queue
  EXPECT_EQ(m.queue, 2);
  EXPECT_EQ(m.filter_id, 2u);
}

TEST(Vmq, Tests) {
  InnerSpec in;
  in.dst_mac = kVm1;
  in.vlan = 0x123;
  const Bytes f = BuildFrame(in);
  struct Case {
    ReceiveFilterField field;
    bool match;
  };
  const Case cases[] = {
      {ReceiveFilterField::MacEquals(kVm1), true},
      {ReceiveFilterField::MacEquals(kVm2), false},
      {ReceiveFilterField::MacNotEquals(kVm2), true},
      {ReceiveFilterField::MacNotEquals(kVm1), false},
      // (dst & mask) == result: the OUI 00:15:5d (Hyper-V).
      {ReceiveFilterField::MacMaskEquals({0xff, 0xff, 0xff, 0, 0, 0}, {0x00, 0x15, 0x5d, 0, 0, 0}), true},
      {ReceiveFilterField::MacMaskEquals({0xff, 0xff, 0xff, 0, 0, 0}, {0x00, 0x15, 0x5e, 0, 0, 0}), false},
      {ReceiveFilterField::VlanEquals(0x123), true},
      {ReceiveFilterField::VlanEquals(0x124), false},
      {ReceiveFilterField::VlanNotEquals(0x124), true},
      {ReceiveFilterField::VlanNotEquals(0x123), false},
      {ReceiveFilterField::VlanMaskEquals(0xF00, 0x100), true},
      {ReceiveFilterField::VlanMaskEquals(0xF00, 0x200), false},
      {ReceiveFilterField::MacEquals(kVm1, kReceiveFilterFieldMacHeaderVlanUntaggedOrZero), false},
  };
  for (const Case& c : cases) {
    VmqTable t;
    ASSERT_EQ(t.Set(Filter(9, 1, {c.field}), 16), VmqError::kNone);
    EXPECT_EQ(Classify(t, f).queue == 1, c.match) << static_cast<int>(c.field.field) << "/" << static_cast<int>(c.field.test);
  }
}

// Spec §11: "with a MAC test + VLAN test, both must match (untagged / VLAN 0 frames do not
// match)": for every VLAN test kind, neither an untagged nor a priority-tagged (VID 0) frame
// to the filter's MAC matches; a frame tagged with a matching VID does.
TEST(Vmq, MacAndVlanNeverMatchUntaggedOrVidZero) {
  struct Case {
    ReceiveFilterField vlan;
    std::uint16_t matching_vid;
  };
  const Case cases[] = {
      {ReceiveFilterField::VlanEquals(10), 10},
      {ReceiveFilterField::VlanNotEquals(10), 11},
      {ReceiveFilterField::VlanNotEquals(0), 5},
      {ReceiveFilterField::VlanMaskEquals(0xF00, 0), 0x0FF},  // (vid & 0xF00) == 0 holds for VID 0
      {ReceiveFilterField::VlanMaskEquals(0, 0), 1},          // every VID ANDs to 0
  };
  for (const Case& c : cases) {
    VmqTable t;
    ASSERT_EQ(t.Set(Filter(1, 3, {ReceiveFilterField::MacEquals(kVm1), c.vlan}), 16), VmqError::kNone);
    InnerSpec in;
    in.dst_mac = kVm1;
    const std::string what = std::to_string(static_cast<int>(c.vlan.test)) + "/" + std::to_string(c.vlan.vlan_id);
    EXPECT_EQ(Classify(t, BuildFrame(in)).queue, 0) << "untagged " << what;
    EXPECT_EQ(Classify(t, ToVm(kVm1)).queue, 0) << "untagged inner " << what;
    in.vlan = 0;
    EXPECT_EQ(Classify(t, BuildFrame(in)).queue, 0) << "VID 0 " << what;
    in.vlan = c.matching_vid;
    EXPECT_EQ(Classify(t, BuildFrame(in)).queue, 3) << "VID " << c.matching_vid << " " << what;
  }
  // An Equal test for VID 0 could match nothing: refused.
  VmqTable t;
  EXPECT_EQ(t.Set(Filter(1, 1, {ReceiveFilterField::MacEquals(kVm1), ReceiveFilterField::VlanEquals(0)}), 16),
            VmqError::kBadVlanId);
  EXPECT_EQ(t.Set(Filter(2, 1, {ReceiveFilterField::VlanEquals(0)}), 16), VmqError::kBadVlanId);
  EXPECT_EQ(t.Set(Filter(3, 1, {ReceiveFilterField::VlanNotEquals(0)}), 16), VmqError::kNone);
}

TEST(Vmq, UntaggedOrZeroFlag) {
  VmqTable t;
  ASSERT_EQ(t.Set(Filter(1, 1, {ReceiveFilterField::MacEquals(kVm1, kReceiveFilterFieldMacHeaderVlanUntaggedOrZero)}), 16),
            VmqError::kNone);
  InnerSpec in;
  in.dst_mac = kVm1;
  EXPECT_EQ(Classify(t, BuildFrame(in)).queue, 1);
  in.vlan = 0;  // priority tag: VID 0
  EXPECT_EQ(Classify(t, BuildFrame(in)).queue, 1);
  in.vlan = 5;
  EXPECT_EQ(Classify(t, BuildFrame(in)).queue, 0);
}

TEST(Vmq, FirstFilterSetWinsAcrossQueues) {
  VmqTable t;
  ASSERT_EQ(t.Set(Filter(5, 1, {ReceiveFilterField::MacNotEquals(kVm2)}), 16), VmqError::kNone);
  ASSERT_EQ(t.Set(Filter(6, 2, {ReceiveFilterField::MacEquals(kVm1)}), 16), VmqError::kNone);
  InnerSpec in;
  in.dst_mac = kVm1;
  EXPECT_EQ(Classify(t, BuildFrame(in)).filter_id, 5u);
  ASSERT_EQ(t.Clear(5), VmqError::kNone);
  EXPECT_EQ(Classify(t, BuildFrame(in)).filter_id, 6u);
}

TEST(Vmq, IdsAndValidation) {
  VmqTable t;
  const auto mac = ReceiveFilterField::MacEquals(kVm1);
  EXPECT_EQ(t.Set(Filter(0, 1, {mac}), 16), VmqError::kZeroFilterId);
  ASSERT_EQ(t.Set(Filter(1, 1, {mac}), 16), VmqError::kNone);
  EXPECT_EQ(t.Set(Filter(1, 2, {mac}), 16), VmqError::kDuplicateFilterId);
  EXPECT_EQ(t.Set(Filter(2, 16, {mac}), 16), VmqError::kQueueOutOfRange);
  EXPECT_EQ(t.Set(Filter(2, 1, {}), 16), VmqError::kNoFields);
  EXPECT_EQ(t.Set(Filter(2, 1, {mac}, 0x4), 16), VmqError::kUnsupportedFlags);
  ReceiveFilterField src = mac;
  src.field = MacHeaderField::kSourceAddress;
  EXPECT_EQ(t.Set(Filter(2, 1, {src}), 16), VmqError::kUnsupportedField);
  ReceiveFilterField undefined = mac;
  undefined.test = FilterTest::kUndefined;
  EXPECT_EQ(t.Set(Filter(2, 1, {undefined}), 16), VmqError::kUnsupportedTest);
  EXPECT_EQ(t.Set(Filter(2, 1, {ReceiveFilterField::VlanEquals(4096)}), 16), VmqError::kBadVlanId);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.Clear(2), VmqError::kUnknownFilterId);
  ASSERT_EQ(t.Clear(1), VmqError::kNone);
  EXPECT_EQ(t.size(), 0u);
  for (std::uint32_t id = 1; id <= VmqTable::kMaxFilters; ++id) {
    ASSERT_EQ(t.Set(Filter(id, 1, {mac}), 16), VmqError::kNone);
  }
  EXPECT_EQ(t.Set(Filter(1000, 1, {mac}), 16), VmqError::kTableFull);
  ReceiveFilter five;
  five.filter_id = 1;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(five.AddField(mac));
  EXPECT_FALSE(five.AddField(mac));
}

TEST(Vmq, AdapterOidsAndEngine) {
  auto a = nvgre::testing::ReadyAdapter();
  ReceiveFilter f = Filter(11, 6, {ReceiveFilterField::MacEquals(kVm1)}, kReceiveFilterPacketEncapsulationGre);
  EXPECT_EQ(a->SetReceiveFilter(f), NdisStatus::kSuccess);
  EXPECT_EQ(a->SetReceiveFilter(f), NdisStatus::kInvalidParameter);  // id in use
  ReceiveFilterField src = ReceiveFilterField::MacEquals(kVm2);
  src.field = MacHeaderField::kSourceAddress;
  EXPECT_EQ(a->SetReceiveFilter(Filter(12, 1, {src})), NdisStatus::kNotSupported);
  EXPECT_EQ(a->SetReceiveFilter(Filter(12, 99, {ReceiveFilterField::MacEquals(kVm2)})), NdisStatus::kInvalidParameter);
  for (std::uint32_t id = 100; a->Snapshot()->vmq.size() < VmqTable::kMaxFilters; ++id) {
    ASSERT_EQ(a->SetReceiveFilter(Filter(id, 1, {ReceiveFilterField::MacEquals(kVm2)})), NdisStatus::kSuccess);
  }
  EXPECT_EQ(a->SetReceiveFilter(Filter(999, 1, {ReceiveFilterField::MacEquals(kVm2)})), NdisStatus::kResources);

  RxEngine rx(*a);
  RxResult r = rx.Process(ToVm(kVm1));
  EXPECT_TRUE(r.inner_vmq);
  EXPECT_EQ(r.filtering_info().queue_id(), 6);
  EXPECT_EQ(r.vmq.filter_id, 11u);
  // NVGRE task offload off: the flagged filter falls back to the outer header.
  OffloadParameters off;
  off.encapsulated_packet_task_offload = kNdisOffloadSetOff;
  ASSERT_EQ(a->SetOffloadParameters(off), NdisStatus::kSuccess);
  r = rx.Process(ToVm(kVm1));
  EXPECT_FALSE(r.inner_vmq);
  EXPECT_EQ(r.filtering_info().queue_id(), 0);
  EXPECT_EQ(a->ClearReceiveFilter(11), NdisStatus::kSuccess);
  EXPECT_EQ(a->ClearReceiveFilter(11), NdisStatus::kInvalidParameter);

  // *VMQ=0: no VMQ stage, OIDs not supported.
  Adapter no_vmq(AdapterCapabilities::Default(), Keywords::Parse("*VMQ=0\n"));
  EXPECT_EQ(no_vmq.SetReceiveFilter(f), NdisStatus::kNotSupported);
  const RxResult plain = ProcessRxFrame(*no_vmq.Snapshot(), ToVm(kVm1));
  EXPECT_FALSE(plain.vmq_handled);
}

}  // namespace
}  // namespace nvgre::offload
