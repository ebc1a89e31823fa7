// Minimal rtnetlink (RFC 3549, Linux rtnetlink(7)) link operations nvgred needs for its TAPs:
// set the MAC address, the MTU and the up flag, move a link into another network namespace.
// Each call opens a NETLINK_ROUTE socket in the calling thread's network namespace, sends one
// request with NLM_F_ACK and reads the kernel's answer. Control-plane only (allocates, blocks).
//
//   if (auto e = SetLinkMtu(if_nametoindex("nvtap1"), 1458)) Log(e->message);
//   if (auto e = MoveLinkToNetns(ifindex, "/run/netns/vm1")) ...;
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nvgre/io/pcap_file.h"  // IoError
#include "nvgre/wire/ethernet.h"

namespace nvgre::io {

// Each returns nullopt on success, else the kernel's error as text ("nvtap1: set mtu 70000:
// Invalid argument").
std::optional<IoError> SetLinkMtu(int ifindex, std::uint32_t mtu);
std::optional<IoError> SetLinkAddress(int ifindex, const wire::MacAddress& mac);
std::optional<IoError> SetLinkUp(int ifindex, bool up);
// Moves the link into the namespace whose file is `netns_path` (e.g. /run/netns/vm1, as `ip
// netns add` creates it). The link goes down in the move (the kernel closes it).
std::optional<IoError> MoveLinkToNetns(int ifindex, const std::string& netns_path);

// The ifindex of `name` in the calling thread's namespace, or 0.
int LinkIndex(const std::string& name);

}  // namespace nvgre::io
