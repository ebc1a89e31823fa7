// ARP (RFC 826), Ethernet/IPv4 form. See arp.h.
#include "nvgre/wire/arp.h"

#include <cassert>

namespace nvgre::wire {

Result<ArpRepr> ArpRepr::Parse(const ArpView& v) {
  if (!v.is_ethernet_ipv4()) return Fail(ParseError::kUnsupported, Layer::kArp, 0);
  ArpRepr r;
  r.operation = v.operation();
  std::ranges::copy(v.sender_hardware_address(), r.sender_hardware_address.begin());
  std::ranges::copy(v.sender_protocol_address(), r.sender_protocol_address.begin());
  std::ranges::copy(v.target_hardware_address(), r.target_hardware_address.begin());
  std::ranges::copy(v.target_protocol_address(), r.target_protocol_address.begin());
  return r;
}

void ArpRepr::Emit(MutBytes out) const {
  assert(out.size() >= kSize);
  StoreBe16(out.subspan<0, 2>(), kArpHardwareEthernet);
  StoreBe16(out.subspan<2, 2>(), kEtherTypeIpv4);
  out[4] = 6;  // ar$hln
  out[5] = 4;  // ar$pln
  StoreBe16(out.subspan<6, 2>(), operation);
  std::ranges::copy(sender_hardware_address, out.begin() + 8);
  std::ranges::copy(sender_protocol_address, out.begin() + 14);
  std::ranges::copy(target_hardware_address, out.begin() + 18);
  std::ranges::copy(target_protocol_address, out.begin() + 24);
}

}  // namespace nvgre::wire
