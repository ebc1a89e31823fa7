#include "nvgre/virt/policy.h"

#include <gtest/gtest.h>

namespace nvgre::virt {
namespace {

const wire::MacAddress kMac1{0x02, 0, 0, 0, 0x50, 0x01};
const wire::MacAddress kMac2{0x02, 0, 0, 0, 0x50, 0x02};
const IpAddress kCa1 = *ParseIpAddress("10.0.0.1");
const IpAddress kCa2 = *ParseIpAddress("10.0.0.2");
const IpAddress kCa2v6 = *ParseIpAddress("fd00::2");
const IpAddress kPa2 = *ParseIpAddress("192.0.2.2");
const IpAddress kPa3 = *ParseIpAddress("192.0.2.3");

std::shared_ptr<const Policy> TwoSubnetsSameAddresses() {
  PolicyBuilder b;
  b.AddSubnet({.vsid = 5001, .multicast_group = {}});
  b.AddSubnet({.vsid = 5002, .multicast_group = {}});
  b.AddPort({.port = 0, .vsid = 5001, .mac = kMac1, .ips = {kCa1}});
  b.AddRecord({.vsid = 5001, .mac = kMac2, .ips = {kCa2, kCa2v6}, .provider = kPa2});
  // VSID 5002 reuses the customer IPs with other MACs on another host.
  b.AddRecord({.vsid = 5002, .mac = {0x02, 0, 0, 0, 0x60, 0x02}, .ips = {kCa2}, .provider = kPa3});
  return std::move(b).Build();
}

TEST(Policy, LooksUpLocalAndRemoteByVsidAndMac) {
  const auto p = TwoSubnetsSameAddresses();
  const auto local = p->Lookup(5001, kMac1);
  EXPECT_EQ(local.kind, Policy::Kind::kLocal);
  EXPECT_EQ(local.port, 0);
  const auto remote = p->Lookup(5001, kMac2);
  ASSERT_EQ(remote.kind, Policy::Kind::kRemote);
  EXPECT_EQ(p->providers()[remote.provider], kPa2);
}

TEST(Policy, NothingCrossesVsids) {
  const auto p = TwoSubnetsSameAddresses();
  EXPECT_EQ(p->Lookup(5002, kMac1).kind, Policy::Kind::kNone);
  EXPECT_EQ(p->Lookup(5002, kMac2).kind, Policy::Kind::kNone);
  EXPECT_EQ(p->Resolve(5001, kCa2), kMac2);
  EXPECT_EQ(p->Resolve(5002, kCa2), (wire::MacAddress{0x02, 0, 0, 0, 0x60, 0x02}));
  EXPECT_FALSE(p->Resolve(5002, kCa1));
  EXPECT_FALSE(p->Resolve(5003, kCa2));
  EXPECT_EQ(p->Resolve(5001, kCa2v6), kMac2);
  EXPECT_FALSE(p->Resolve(5002, kCa2v6));
}

TEST(Policy, SubnetsKnowTheirPortsAndFloodProviders) {
  const auto p = TwoSubnetsSameAddresses();
  const auto* s1 = p->FindSubnet(5001);
  ASSERT_NE(s1, nullptr);
  EXPECT_EQ(s1->local_ports, std::vector<std::uint16_t>{0});
  ASSERT_EQ(s1->flood_providers.size(), 1u);
  EXPECT_EQ(p->providers()[s1->flood_providers[0]], kPa2);
  const auto* s2 = p->FindSubnet(5002);
  ASSERT_NE(s2, nullptr);
  EXPECT_TRUE(s2->local_ports.empty());
  ASSERT_EQ(s2->flood_providers.size(), 1u);
  EXPECT_EQ(p->providers()[s2->flood_providers[0]], kPa3);
  EXPECT_EQ(p->FindSubnet(4096), nullptr);
}

TEST(Policy, LocalPortWinsOverARecordForTheSameKey) {
  PolicyBuilder b;
  b.AddSubnet({.vsid = 5001, .multicast_group = {}});
  b.AddRecord({.vsid = 5001, .mac = kMac1, .ips = {kCa1}, .provider = kPa2});
  b.AddPort({.port = 3, .vsid = 5001, .mac = kMac1, .ips = {kCa1}});
  const auto p = std::move(b).Build();
  EXPECT_EQ(p->Lookup(5001, kMac1).kind, Policy::Kind::kLocal);
  EXPECT_EQ(p->Lookup(5001, kMac1).port, 3);
  EXPECT_EQ(p->shadowed(), 2u);  // the record's MAC and its IP
}

TEST(Policy, EntriesOfAnUnknownVsidAreIgnored) {
  PolicyBuilder b;
  b.AddSubnet({.vsid = 5001, .multicast_group = {}});
  b.AddRecord({.vsid = 7000, .mac = kMac2, .ips = {kCa2}, .provider = kPa2});
  const auto p = std::move(b).Build();
  EXPECT_EQ(p->Lookup(7000, kMac2).kind, Policy::Kind::kNone);
  EXPECT_FALSE(p->Resolve(7000, kCa2));
  EXPECT_EQ(p->shadowed(), 1u);
  EXPECT_TRUE(p->providers().empty());
}

// Keys carry the whole 24-bit VSID: VSIDs that differ only in their top 8 bits (0x001001 and
// 0x011001) are as unrelated as any two.
TEST(Policy, VsidsDifferingInTheirHighBitsStayApart) {
  PolicyBuilder b;
  b.AddSubnet({.vsid = 0x001001, .multicast_group = {}});
  b.AddSubnet({.vsid = 0x011001, .multicast_group = {}});
  b.AddPort({.port = 1, .vsid = 0x001001, .mac = kMac1, .ips = {kCa1}});
  b.AddRecord({.vsid = 0x011001, .mac = kMac1, .ips = {kCa1}, .provider = kPa2});
  const auto p = std::move(b).Build();
  EXPECT_EQ(p->Lookup(0x001001, kMac1).kind, Policy::Kind::kLocal);
  EXPECT_EQ(p->Lookup(0x011001, kMac1).kind, Policy::Kind::kRemote);
  EXPECT_EQ(p->shadowed(), 0u);
  EXPECT_EQ(p->Lookup(0x0F1001, kMac1).kind, Policy::Kind::kNone);
}

TEST(Policy, ReservedVsidsAreIgnored) {
  PolicyBuilder b;
  b.AddSubnet({.vsid = 100, .multicast_group = {}});
  b.AddSubnet({.vsid = 0xFFFFFF, .multicast_group = {}});
  const auto p = std::move(b).Build();
  EXPECT_EQ(p->FindSubnet(100), nullptr);
  EXPECT_EQ(p->FindSubnet(0xFFFFFF), nullptr);
  RecordLayerEditor e;
  e.SetSubnet(0, {});
  e.SetMac(4095, kMac2, kPa2);
  EXPECT_EQ(e.records(), 0u);
  EXPECT_TRUE(e.Publish()->subnets().empty());
}

// The record layer: its own subnets, its records under local ports and file records, its
// providers merged with the file's (one index per address).
TEST(Policy, TheRecordLayerComesAfterPortsAndFileRecords) {
  RecordLayerEditor e;
  e.SetSubnet(5001, {kPa2});
  e.SetSubnet(6000, {kPa3});  // a VSID only the database defines
  e.SetMac(5001, kMac1, kPa3);  // shadowed by the local port below
  e.SetMac(5001, kMac2, kPa3);  // shadowed by the file record below
  const wire::MacAddress mac3{0x02, 0, 0, 0, 0x50, 0x03};
  e.SetMac(5001, mac3, kPa2);
  e.SetIp(5001, *ParseIpAddress("10.0.0.3"), mac3);
  e.SetIp(5001, kCa1, mac3);    // shadowed by the port's address
  e.SetMac(6000, mac3, kPa3);
  const auto layer = e.Publish();
  EXPECT_EQ(layer->records(), 4u);

  PolicyBuilder b;
  b.AddSubnet({.vsid = 5001, .multicast_group = {}});
  b.AddPort({.port = 0, .vsid = 5001, .mac = kMac1, .ips = {kCa1}});
  b.AddPort({.port = 1, .vsid = 6000, .mac = {0x02, 0, 0, 0, 0x60, 0x01}, .ips = {}});
  b.AddRecord({.vsid = 5001, .mac = kMac2, .ips = {kCa2}, .provider = kPa2});
  b.SetLayer(layer);
  const auto p = std::move(b).Build();
  EXPECT_EQ(p->Lookup(5001, kMac1).kind, Policy::Kind::kLocal);
  const auto file = p->Lookup(5001, kMac2);
  ASSERT_EQ(file.kind, Policy::Kind::kRemote);
  EXPECT_EQ(p->providers()[file.provider], kPa2);
  const auto db = p->Lookup(5001, mac3);
  ASSERT_EQ(db.kind, Policy::Kind::kRemote);
  EXPECT_EQ(p->providers()[db.provider], kPa2);
  EXPECT_TRUE(p->ShadowedByBase(5001, kMac2));
  EXPECT_FALSE(p->ShadowedByBase(5001, mac3));
  EXPECT_EQ(p->Resolve(5001, kCa1), kMac1);
  EXPECT_EQ(p->Resolve(5001, *ParseIpAddress("10.0.0.3")), mac3);
  // pa2 (file and layer) and pa3 (layer): two providers, each once.
  ASSERT_EQ(p->providers().size(), 2u);
  const auto* s = p->FindSubnet(5001);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->flood_providers.size(), 1u);
  EXPECT_EQ(p->providers()[s->flood_providers[0]], kPa2);
  // The database's VSID is a subnet; the port in it is attached.
  const auto* s6 = p->FindSubnet(6000);
  ASSERT_NE(s6, nullptr);
  EXPECT_EQ(s6->local_ports, std::vector<std::uint16_t>{1});
  EXPECT_EQ(p->providers()[p->Lookup(6000, mac3).provider], kPa3);
}

TEST(Policy, PublishedLayersDoNotChangeWhenTheEditorGoesOn) {
  RecordLayerEditor e;
  e.SetSubnet(5001, {});
  for (std::uint32_t i = 0; i < 5000; ++i) {
    const wire::MacAddress m{0x02, 0, 0, static_cast<std::uint8_t>(i >> 16),
                             static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    e.SetMac(5001, m, kPa2);
  }
  const auto v1 = e.Publish();
  e.SetMac(5001, kMac1, kPa3);
  e.EraseMac(5001, {0x02, 0, 0, 0, 0, 7});
  e.EraseSubnet(5001);
  const auto v2 = e.Publish();
  EXPECT_EQ(v1->records(), 5000u);
  EXPECT_EQ(v1->FindMac(5001, kMac1), nullptr);
  EXPECT_NE(v1->FindMac(5001, {0x02, 0, 0, 0, 0, 7}), nullptr);
  EXPECT_EQ(v1->subnets().size(), 1u);
  EXPECT_EQ(v2->records(), 5000u);
  ASSERT_NE(v2->FindMac(5001, kMac1), nullptr);
  EXPECT_EQ(v2->providers()[*v2->FindMac(5001, kMac1)], kPa3);
  EXPECT_EQ(v2->FindMac(5001, {0x02, 0, 0, 0, 0, 7}), nullptr);
  EXPECT_TRUE(v2->subnets().empty());
  // Without a subnet the layer's records are not in force.
  PolicyBuilder b;
  b.SetLayer(v2);
  EXPECT_EQ(std::move(b).Build()->FindSubnet(5001), nullptr);
}

}  // namespace
}  // namespace nvgre::virt
