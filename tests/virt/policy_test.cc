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

}  // namespace
}  // namespace nvgre::virt
