// The virtual network's policy as Hyper-V Network Virtualization keeps it: virtual subnets by
// VSID, this host's VM ports, and lookup records mapping a customer address (VSID + MAC + IPs)
// to the provider address of the host that has it (RFC 7637 §3: CA -> PA).
//
//   PolicyBuilder b;
//   b.AddSubnet({.vsid = 5001});
//   b.AddPort({.port = 0, .vsid = 5001, .mac = m1, .ips = {ca1}});
//   b.AddRecord({.vsid = 5001, .mac = m2, .ips = {ca2}, .provider = pa2});
//   std::shared_ptr<const Policy> p = std::move(b).Build();
//   auto d = p->Lookup(5001, m2);          // kRemote, provider index of pa2
//   auto mac = p->Resolve(5001, ca2);      // m2 (answers ARP / Neighbor Solicitations)
//
// Isolation: every key includes the VSID, so the same MAC or customer IP in two VSIDs are two
// unrelated entries and nothing found under one VSID is ever returned for another.
// A Policy is immutable once built; lookups never allocate and may run in any number of
// threads. Building allocates (control plane). When a record and a local port claim the same
// (VSID, MAC) or (VSID, IP), the local port wins (it is where the VM really is); among records
// of equal rank the first added wins. Build() reports how many were shadowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "nvgre/virt/address.h"
#include "nvgre/wire/ethernet.h"

namespace nvgre::virt {

// Where a record came from (shown by `nvgred ctl lookup`).
enum class RecordSource : std::uint8_t { kFile, kOvsdb };

struct SubnetSpec {
  std::uint32_t vsid = 0;
  std::optional<IpAddress> multicast_group;  // flood by underlay multicast instead of unicast copies
};

struct PortSpec {
  std::uint16_t port = 0;  // the caller's port number (index into its port table)
  std::uint32_t vsid = 0;
  wire::MacAddress mac{};
  std::vector<IpAddress> ips;
};

struct RecordSpec {
  std::uint32_t vsid = 0;
  wire::MacAddress mac{};
  std::vector<IpAddress> ips;
  IpAddress provider{};
  RecordSource source = RecordSource::kFile;
};

class Policy {
 public:
  struct Subnet {
    std::uint32_t vsid = 0;
    std::optional<IpAddress> multicast_group;
    std::vector<std::uint16_t> local_ports;       // ports in this VSID
    std::vector<std::uint32_t> flood_providers;   // provider indexes with records in this VSID
  };
  enum class Kind : std::uint8_t { kNone, kLocal, kRemote };
  struct Destination {
    Kind kind = Kind::kNone;
    std::uint16_t port = 0;       // kLocal
    std::uint32_t provider = 0;   // kRemote: index into providers()
  };

  const Subnet* FindSubnet(std::uint32_t vsid) const;
  Destination Lookup(std::uint32_t vsid, const wire::MacAddress& mac) const;
  // The MAC that owns `ip` in `vsid` (a local port's or a record's), for ARP/ND answers.
  std::optional<wire::MacAddress> Resolve(std::uint32_t vsid, const IpAddress& ip) const;

  const std::vector<IpAddress>& providers() const { return providers_; }
  const std::vector<Subnet>& subnets() const { return subnets_; }
  const std::vector<RecordSpec>& records() const { return records_; }  // as added, for display
  std::size_t shadowed() const { return shadowed_; }

 private:
  friend class PolicyBuilder;
  static std::uint64_t MacKey(std::uint32_t vsid, const wire::MacAddress& mac);
  struct Ip6Key {
    std::uint32_t vsid;
    wire::Ipv6Address ip;
    friend bool operator==(const Ip6Key&, const Ip6Key&) = default;
  };
  struct Ip6KeyHash {
    std::size_t operator()(const Ip6Key& k) const;
  };

  std::vector<Subnet> subnets_;
  std::unordered_map<std::uint32_t, std::size_t> subnet_index_;
  std::unordered_map<std::uint64_t, Destination> by_mac_;
  std::unordered_map<std::uint64_t, wire::MacAddress> by_ipv4_;   // vsid << 32 | address
  std::unordered_map<Ip6Key, wire::MacAddress, Ip6KeyHash> by_ipv6_;
  std::vector<IpAddress> providers_;
  std::vector<RecordSpec> records_;
  std::size_t shadowed_ = 0;
};

class PolicyBuilder {
 public:
  void AddSubnet(const SubnetSpec& s) { subnets_.push_back(s); }
  void AddPort(const PortSpec& p) { ports_.push_back(p); }
  void AddRecord(const RecordSpec& r) { records_.push_back(r); }
  // Ports and records of a VSID without a subnet are ignored (counted in shadowed()).
  std::shared_ptr<const Policy> Build() &&;

 private:
  std::vector<SubnetSpec> subnets_;
  std::vector<PortSpec> ports_;
  std::vector<RecordSpec> records_;
};

}  // namespace nvgre::virt
