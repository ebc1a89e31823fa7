#include "nvgre/virt/policy.h"

#include <algorithm>
#include <cstring>
#include <variant>

namespace nvgre::virt {

std::uint64_t Policy::MacKey(std::uint32_t vsid, const wire::MacAddress& mac) {
  std::uint64_t k = static_cast<std::uint64_t>(vsid & 0xFFFFFF) << 48;
  for (std::size_t i = 0; i < 6; ++i) k |= static_cast<std::uint64_t>(mac[i]) << (40 - 8 * i);
  return k;
}

std::size_t Policy::Ip6KeyHash::operator()(const Ip6Key& k) const {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, k.ip.data(), 8);
  std::memcpy(&b, k.ip.data() + 8, 8);
  std::uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) + k.vsid * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return static_cast<std::size_t>(h ^ (h >> 32));
}

const Policy::Subnet* Policy::FindSubnet(std::uint32_t vsid) const {
  const auto it = subnet_index_.find(vsid);
  return it == subnet_index_.end() ? nullptr : &subnets_[it->second];
}

Policy::Destination Policy::Lookup(std::uint32_t vsid, const wire::MacAddress& mac) const {
  const auto it = by_mac_.find(MacKey(vsid, mac));
  return it == by_mac_.end() ? Destination{} : it->second;
}

std::optional<wire::MacAddress> Policy::Resolve(std::uint32_t vsid, const IpAddress& ip) const {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&ip)) {
    std::uint32_t a = 0;
    for (std::uint8_t b : *v4) a = a << 8 | b;
    const auto it = by_ipv4_.find(static_cast<std::uint64_t>(vsid) << 32 | a);
    if (it == by_ipv4_.end()) return std::nullopt;
    return it->second;
  }
  const auto it = by_ipv6_.find(Ip6Key{vsid, std::get<wire::Ipv6Address>(ip)});
  if (it == by_ipv6_.end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<const Policy> PolicyBuilder::Build() && {
  auto p = std::make_shared<Policy>();
  for (const SubnetSpec& s : subnets_) {
    if (p->subnet_index_.contains(s.vsid)) continue;
    p->subnet_index_.emplace(s.vsid, p->subnets_.size());
    p->subnets_.push_back({.vsid = s.vsid, .multicast_group = s.multicast_group, .local_ports = {}, .flood_providers = {}});
  }
  auto add_ip = [&](std::uint32_t vsid, const IpAddress& ip, const wire::MacAddress& mac) {
    bool inserted = false;
    if (const auto* v4 = std::get_if<wire::Ipv4Address>(&ip)) {
      std::uint32_t a = 0;
      for (std::uint8_t b : *v4) a = a << 8 | b;
      inserted = p->by_ipv4_.emplace(static_cast<std::uint64_t>(vsid) << 32 | a, mac).second;
    } else {
      inserted = p->by_ipv6_.emplace(Policy::Ip6Key{vsid, std::get<wire::Ipv6Address>(ip)}, mac).second;
    }
    if (!inserted) ++p->shadowed_;
  };
  // Local ports first: they win over records for the same key.
  for (const PortSpec& port : ports_) {
    const auto s = p->subnet_index_.find(port.vsid);
    if (s == p->subnet_index_.end()) {
      ++p->shadowed_;
      continue;
    }
    const bool fresh = p->by_mac_.emplace(Policy::MacKey(port.vsid, port.mac),
                                          Policy::Destination{Policy::Kind::kLocal, port.port, 0})
                           .second;
    if (!fresh) ++p->shadowed_;
    p->subnets_[s->second].local_ports.push_back(port.port);
    for (const IpAddress& ip : port.ips) add_ip(port.vsid, ip, port.mac);
  }
  for (RecordSpec& r : records_) {
    const auto s = p->subnet_index_.find(r.vsid);
    if (s == p->subnet_index_.end()) {
      ++p->shadowed_;
      continue;
    }
    auto pi = std::find(p->providers_.begin(), p->providers_.end(), r.provider);
    const auto provider = static_cast<std::uint32_t>(pi - p->providers_.begin());
    if (pi == p->providers_.end()) p->providers_.push_back(r.provider);
    const bool fresh = p->by_mac_.emplace(Policy::MacKey(r.vsid, r.mac),
                                          Policy::Destination{Policy::Kind::kRemote, 0, provider})
                           .second;
    if (!fresh) ++p->shadowed_;
    auto& flood = p->subnets_[s->second].flood_providers;
    if (std::find(flood.begin(), flood.end(), provider) == flood.end()) flood.push_back(provider);
    for (const IpAddress& ip : r.ips) add_ip(r.vsid, ip, r.mac);
    p->records_.push_back(std::move(r));
  }
  return p;
}

}  // namespace nvgre::virt
