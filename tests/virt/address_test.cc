#include "nvgre/virt/address.h"

#include <gtest/gtest.h>

namespace nvgre::virt {
namespace {

TEST(Address, ParsesAndFormatsIpv4) {
  const auto a = ParseIpAddress("192.0.2.1");
  ASSERT_TRUE(a);
  EXPECT_FALSE(IsIpv6(*a));
  EXPECT_EQ(std::get<wire::Ipv4Address>(*a), (wire::Ipv4Address{192, 0, 2, 1}));
  EXPECT_EQ(FormatIpAddress(*a), "192.0.2.1");
}

TEST(Address, ParsesAndFormatsIpv6Canonically) {
  const auto a = ParseIpAddress("2001:DB8:0:0:0:0:0:1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(IsIpv6(*a));
  EXPECT_EQ(FormatIpAddress(*a), "2001:db8::1");  // RFC 5952 §4
}

TEST(Address, RefusesWhatIsNotAnAddress) {
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "10.0.0.1/24", " 10.0.0.1", "fe80::1%eth0",
                          "2001:db8::1::2", "hello", "1.2.3.4.5"}) {
    EXPECT_FALSE(ParseIpAddress(bad)) << bad;
  }
  using namespace std::string_view_literals;
  EXPECT_FALSE(ParseIpAddress("192.0.2.1\0x"sv));  // inet_pton would stop at the NUL
  EXPECT_FALSE(ParseIpAddress("::1\0"sv));
}

TEST(Address, Multicast) {
  EXPECT_TRUE(IsMulticastIp(*ParseIpAddress("239.1.1.1")));
  EXPECT_FALSE(IsMulticastIp(*ParseIpAddress("192.0.2.1")));
  EXPECT_TRUE(IsMulticastIp(*ParseIpAddress("ff02::1")));
  EXPECT_FALSE(IsMulticastIp(*ParseIpAddress("2001:db8::1")));
}

TEST(Address, ParsesMacInBothSpellings) {
  const wire::MacAddress want{0x02, 0x00, 0x00, 0x00, 0x50, 0xAB};
  EXPECT_EQ(ParseMacAddress("02:00:00:00:50:ab"), want);
  EXPECT_EQ(ParseMacAddress("02-00-00-00-50-AB"), want);
  for (const char* bad : {"", "02:00:00:00:50", "02:00:00:00:50:ab:cd", "02:00-00:00:50:ab",
                          "0g:00:00:00:50:ab", "02:00:00:00:50:a"}) {
    EXPECT_FALSE(ParseMacAddress(bad)) << bad;
  }
  EXPECT_TRUE(IsMulticastMac(*ParseMacAddress("01:00:5e:00:00:01")));
  EXPECT_TRUE(IsBroadcastMac(*ParseMacAddress("ff:ff:ff:ff:ff:ff")));
  EXPECT_FALSE(IsMulticastMac(want));
}

}  // namespace
}  // namespace nvgre::virt
