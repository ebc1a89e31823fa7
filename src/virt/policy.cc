// The policy's two layers and their merge (policy.h). RFC 7637 §3: lookup records map a
// customer address (VSID + MAC, VSID + IP) to a provider address.
#include "nvgre/virt/policy.h"

#include <algorithm>
#include <cstring>
#include <variant>

namespace nvgre::virt {
namespace {

std::uint64_t Load48(const wire::MacAddress& m) {
  std::uint64_t v = 0;
  for (const std::uint8_t b : m) v = v << 8 | b;
  return v;
}

}  // namespace

// The VSID enters multiplied by an odd constant so that all 24 of its bits reach the mixer
// next to the 48-bit MAC (a plain shift into the top 16 bits would drop 8 of them).
std::uint64_t HashKey(const VsidMac& k) {
  return MixHash(Load48(k.mac) ^ (static_cast<std::uint64_t>(k.vsid) * 0x9E3779B97F4A7C15ull));
}
std::uint64_t HashKey(const VsidIpv4& k) {
  std::uint32_t a = 0;
  for (const std::uint8_t b : k.ip) a = a << 8 | b;
  return MixHash(static_cast<std::uint64_t>(k.vsid) << 32 | a);
}
std::uint64_t HashKey(const VsidIpv6& k) {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, k.ip.data(), 8);
  std::memcpy(&b, k.ip.data() + 8, 8);
  return MixHash(a ^ MixHash(b ^ (static_cast<std::uint64_t>(k.vsid) * 0x9E3779B97F4A7C15ull)));
}

// ---- RecordLayer ------------------------------------------------------------------------------

const wire::MacAddress* RecordLayer::FindIp(std::uint32_t vsid, const IpAddress& ip) const {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&ip)) return ipv4_.Find({vsid, *v4});
  return ipv6_.Find({vsid, std::get<wire::Ipv6Address>(ip)});
}

std::size_t RecordLayer::bytes() const {
  return macs_.slot_bytes() + ipv4_.slot_bytes() + ipv6_.slot_bytes() +
         providers_->size() * sizeof(IpAddress);
}

RecordLayerEditor::RecordLayerEditor() {
  working_.providers_ = std::make_shared<const std::vector<IpAddress>>();
  working_.subnets_ = std::make_shared<const std::vector<RecordLayer::Subnet>>();
}

std::uint32_t RecordLayerEditor::Intern(const IpAddress& provider) {
  const auto [it, fresh] = provider_index_.emplace(provider, static_cast<std::uint32_t>(providers_.size()));
  if (fresh) {
    providers_.push_back(provider);
    providers_dirty_ = true;
  }
  return it->second;
}

void RecordLayerEditor::SetMac(std::uint32_t vsid, const wire::MacAddress& mac, const IpAddress& provider) {
  if (!IsUsableVsid(vsid)) return;
  working_.macs_.Insert({vsid, mac}, Intern(provider));
}

void RecordLayerEditor::EraseMac(std::uint32_t vsid, const wire::MacAddress& mac) {
  if (vsid != 0) working_.macs_.Erase({vsid, mac});
}

void RecordLayerEditor::SetIp(std::uint32_t vsid, const IpAddress& ip, const wire::MacAddress& mac) {
  if (!IsUsableVsid(vsid)) return;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&ip)) {
    working_.ipv4_.Insert({vsid, *v4}, mac);
  } else {
    working_.ipv6_.Insert({vsid, std::get<wire::Ipv6Address>(ip)}, mac);
  }
}

void RecordLayerEditor::EraseIp(std::uint32_t vsid, const IpAddress& ip) {
  if (vsid == 0) return;
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&ip)) {
    working_.ipv4_.Erase({vsid, *v4});
  } else {
    working_.ipv6_.Erase({vsid, std::get<wire::Ipv6Address>(ip)});
  }
}

void RecordLayerEditor::SetSubnet(std::uint32_t vsid, const std::vector<IpAddress>& flood_providers) {
  if (!IsUsableVsid(vsid)) return;
  std::vector<std::uint32_t> flood;
  for (const IpAddress& p : flood_providers) {
    const std::uint32_t i = Intern(p);
    if (std::find(flood.begin(), flood.end(), i) == flood.end()) flood.push_back(i);
  }
  const auto it = subnets_.find(vsid);
  if (it == subnets_.end() || it->second != flood) {
    subnets_[vsid] = std::move(flood);
    subnets_dirty_ = true;
  }
}

void RecordLayerEditor::EraseSubnet(std::uint32_t vsid) {
  if (subnets_.erase(vsid) != 0) subnets_dirty_ = true;
}

void RecordLayerEditor::Clear() {
  working_.macs_.Clear();
  working_.ipv4_.Clear();
  working_.ipv6_.Clear();
  subnets_.clear();
  subnets_dirty_ = true;
  // Provider indexes stay: published versions and their users keep meaning them.
}

std::shared_ptr<const RecordLayer> RecordLayerEditor::Publish() {
  if (providers_dirty_) {
    working_.providers_ = std::make_shared<const std::vector<IpAddress>>(providers_);
    providers_dirty_ = false;
  }
  if (subnets_dirty_) {
    auto subnets = std::make_shared<std::vector<RecordLayer::Subnet>>();
    subnets->reserve(subnets_.size());
    for (const auto& [vsid, flood] : subnets_) subnets->push_back({vsid, flood});
    working_.subnets_ = std::move(subnets);
    subnets_dirty_ = false;
  }
  return std::make_shared<const RecordLayer>(working_);  // shares every shard; edits clone
}

// ---- Policy -----------------------------------------------------------------------------------

std::optional<wire::MacAddress> Policy::Resolve(std::uint32_t vsid, const IpAddress& ip) const {
  if (const auto* v4 = std::get_if<wire::Ipv4Address>(&ip)) {
    if (const wire::MacAddress* m = base_ipv4_.Find({vsid, *v4})) return *m;
  } else if (const wire::MacAddress* m = base_ipv6_.Find({vsid, std::get<wire::Ipv6Address>(ip)})) {
    return *m;
  }
  if (layer_ != nullptr) {
    if (const wire::MacAddress* m = layer_->FindIp(vsid, ip)) return *m;
  }
  return std::nullopt;
}

std::shared_ptr<const Policy> PolicyBuilder::Build() && {
  auto p = std::make_shared<Policy>();
  auto subnet = [&](std::uint32_t vsid) -> Policy::Subnet* {
    const std::uint32_t* i = p->subnet_index_.Find({vsid});
    return i == nullptr ? nullptr : &p->subnets_[*i];
  };
  auto add_subnet = [&](std::uint32_t vsid, const std::optional<IpAddress>& group) {
    if (!IsUsableVsid(vsid) || subnet(vsid) != nullptr) return;
    p->subnet_index_.Insert({vsid}, static_cast<std::uint32_t>(p->subnets_.size()));
    p->subnets_.push_back({.vsid = vsid, .multicast_group = group, .local_ports = {}, .flood_providers = {}});
  };
  for (const SubnetSpec& s : subnets_) add_subnet(s.vsid, s.multicast_group);
  if (layer_ != nullptr) {
    for (const RecordLayer::Subnet& s : layer_->subnets()) add_subnet(s.vsid, std::nullopt);
  }
  auto intern = [&](const IpAddress& a) {
    const auto it = std::find(p->providers_.begin(), p->providers_.end(), a);
    if (it != p->providers_.end()) return static_cast<std::uint32_t>(it - p->providers_.begin());
    p->providers_.push_back(a);
    return static_cast<std::uint32_t>(p->providers_.size() - 1);
  };
  auto add_flood = [](Policy::Subnet& s, std::uint32_t provider) {
    auto& f = s.flood_providers;
    if (std::find(f.begin(), f.end(), provider) == f.end()) f.push_back(provider);
  };
  auto add_ip = [&](std::uint32_t vsid, const IpAddress& ip, const wire::MacAddress& mac) {
    bool inserted = false;
    if (const auto* v4 = std::get_if<wire::Ipv4Address>(&ip)) {
      if (p->base_ipv4_.Find({vsid, *v4}) == nullptr) inserted = p->base_ipv4_.Insert({vsid, *v4}, mac);
    } else {
      const auto& v6 = std::get<wire::Ipv6Address>(ip);
      if (p->base_ipv6_.Find({vsid, v6}) == nullptr) inserted = p->base_ipv6_.Insert({vsid, v6}, mac);
    }
    if (!inserted) ++p->shadowed_;
  };
  // Local ports first: they win over records for the same key.
  for (const PortSpec& port : ports_) {
    Policy::Subnet* s = subnet(port.vsid);
    if (s == nullptr) {
      ++p->shadowed_;
      continue;
    }
    if (p->base_macs_.Find({port.vsid, port.mac}) == nullptr) {
      p->base_macs_.Insert({port.vsid, port.mac}, port.port);
    } else {
      ++p->shadowed_;
    }
    s->local_ports.push_back(port.port);
    for (const IpAddress& ip : port.ips) add_ip(port.vsid, ip, port.mac);
  }
  for (RecordSpec& r : records_) {
    Policy::Subnet* s = subnet(r.vsid);
    if (s == nullptr) {
      ++p->shadowed_;
      continue;
    }
    const std::uint32_t provider = intern(r.provider);
    if (p->base_macs_.Find({r.vsid, r.mac}) == nullptr) {
      p->base_macs_.Insert({r.vsid, r.mac}, Policy::kRemoteBit | provider);
    } else {
      ++p->shadowed_;
    }
    add_flood(*s, provider);
    for (const IpAddress& ip : r.ips) add_ip(r.vsid, ip, r.mac);
    p->records_.push_back(std::move(r));
  }
  if (layer_ != nullptr) {
    // The layer's providers, mapped into this policy's list (an address both layers use has
    // one index, so a flood never sends it two copies).
    p->layer_providers_.reserve(layer_->providers().size());
    for (const IpAddress& a : layer_->providers()) p->layer_providers_.push_back(intern(a));
    for (const RecordLayer::Subnet& ls : layer_->subnets()) {
      Policy::Subnet* s = subnet(ls.vsid);
      if (s == nullptr) continue;
      for (const std::uint32_t i : ls.flood_providers) add_flood(*s, p->layer_providers_[i]);
    }
    p->layer_ = std::move(layer_);
  }
  return p;
}

}  // namespace nvgre::virt
