// The virtual network's policy as Hyper-V Network Virtualization keeps it: virtual subnets by
// VSID, this host's VM ports, and lookup records mapping a customer address (VSID + MAC + IPs)
// to the provider address of the host that has it (RFC 7637 §3: CA -> PA).
//
//   PolicyBuilder b;
//   b.AddSubnet({.vsid = 5001});
//   b.AddPort({.port = 0, .vsid = 5001, .mac = m1, .ips = {ca1}});
//   b.AddRecord({.vsid = 5001, .mac = m2, .ips = {ca2}, .provider = pa2});
//   b.SetLayer(ovsdb_records);             // optional: records from a database (RecordLayer)
//   std::shared_ptr<const Policy> p = std::move(b).Build();
//   auto d = p->Lookup(5001, m2);          // kRemote, provider index of pa2
//   auto mac = p->Resolve(5001, ca2);      // m2 (answers ARP / Neighbor Solicitations)
//
// Two layers. The base layer is built whole from the configuration file: subnets, local ports
// and the file's records. The record layer (RecordLayer, built by a RecordLayerEditor) holds
// records from a database (nvgred's OVSDB client, possibly a million of them) with the subnets
// that database defines; it is versioned: an update of k records makes a new version that
// shares everything else with the previous one (CowTable), and Build() only links it in.
// Precedence, key by key ((VSID, MAC) and (VSID, IP)): a local port, then a file record, then
// the record layer (among local ports and file records the first added wins). Build() counts in
// shadowed() the base entries that lost; layer entries shadowed by the base are found by
// ShadowedByBase().
//
// Isolation: every key includes the full 24-bit VSID, so the same MAC or customer IP in two
// VSIDs are two unrelated entries and nothing found under one VSID is ever returned for another.
// VSIDs 0..4095 and 0xFFFFFF are reserved (RFC 7637 §3.2): the builders ignore them.
// A Policy and a RecordLayer are immutable once built; lookups never allocate and may run in any
// number of threads, each one hash and a short probe per layer whatever the number of records.
// Building allocates (control plane).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nvgre/virt/address.h"
#include "nvgre/virt/cow_table.h"
#include "nvgre/wire/ethernet.h"

namespace nvgre::virt {

// Where a record came from (shown by `nvgred ctl lookup`).
enum class RecordSource : std::uint8_t { kFile, kOvsdb };

inline constexpr std::uint32_t kMinVsid = 0x001000;  // RFC 7637 §3.2: 0x000000-0x000FFF reserved
inline constexpr std::uint32_t kMaxVsid = 0xFFFFFE;  // 0xFFFFFF reserved
constexpr bool IsUsableVsid(std::uint64_t vsid) { return vsid >= kMinVsid && vsid <= kMaxVsid; }

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

// ---- table keys (shared by both layers) ----
struct VsidMac {
  std::uint32_t vsid = 0;  // 0: the empty slot (VSID 0 is reserved, never stored)
  wire::MacAddress mac{};
  friend bool operator==(const VsidMac&, const VsidMac&) = default;
};
struct VsidIpv4 {
  std::uint32_t vsid = 0;
  wire::Ipv4Address ip{};
  friend bool operator==(const VsidIpv4&, const VsidIpv4&) = default;
};
struct VsidIpv6 {
  std::uint32_t vsid = 0;
  wire::Ipv6Address ip{};
  friend bool operator==(const VsidIpv6&, const VsidIpv6&) = default;
};
std::uint64_t HashKey(const VsidMac& k);
std::uint64_t HashKey(const VsidIpv4& k);
std::uint64_t HashKey(const VsidIpv6& k);

template <class K, class V>
struct VsidKeyTraits {
  using Key = K;
  using Value = V;
  static std::uint64_t Hash(const Key& k) { return HashKey(k); }
  static bool IsEmpty(const Key& k) { return k.vsid == 0; }
  static Key Empty() { return Key{}; }
};

// Records from a database, versioned (see the file comment). Provider indexes are this layer's
// own (providers()); Policy maps them into its provider list.
class RecordLayer {
 public:
  struct Subnet {
    std::uint32_t vsid = 0;
    std::vector<std::uint32_t> flood_providers;  // layer provider indexes
  };
  using MacTable = CowTable<VsidKeyTraits<VsidMac, std::uint32_t>>;           // -> provider index
  using Ipv4Table = CowTable<VsidKeyTraits<VsidIpv4, wire::MacAddress>>;
  using Ipv6Table = CowTable<VsidKeyTraits<VsidIpv6, wire::MacAddress>>;

  const std::uint32_t* FindMac(std::uint32_t vsid, const wire::MacAddress& mac) const {
    return macs_.Find({vsid, mac});
  }
  const wire::MacAddress* FindIp(std::uint32_t vsid, const IpAddress& ip) const;
  const std::vector<IpAddress>& providers() const { return *providers_; }
  const std::vector<Subnet>& subnets() const { return *subnets_; }
  const MacTable& macs() const { return macs_; }
  const Ipv4Table& ipv4() const { return ipv4_; }
  const Ipv6Table& ipv6() const { return ipv6_; }
  std::size_t records() const { return macs_.size(); }
  // Bytes held by the tables' slots (shared with other versions) and the provider list.
  std::size_t bytes() const;

 private:
  friend class RecordLayerEditor;
  MacTable macs_;
  Ipv4Table ipv4_;
  Ipv6Table ipv6_;
  std::shared_ptr<const std::vector<IpAddress>> providers_;
  std::shared_ptr<const std::vector<Subnet>> subnets_;
};

// Makes RecordLayer versions: edit, Publish(), edit more, Publish() again; each published
// version is immutable and shares the shards the edits in between did not touch.
class RecordLayerEditor {
 public:
  RecordLayerEditor();

  // (VSID, MAC) -> the provider address of the host that has it.
  void SetMac(std::uint32_t vsid, const wire::MacAddress& mac, const IpAddress& provider);
  void EraseMac(std::uint32_t vsid, const wire::MacAddress& mac);
  // (VSID, customer IP) -> the MAC that owns it (ARP / Neighbor Discovery answers).
  void SetIp(std::uint32_t vsid, const IpAddress& ip, const wire::MacAddress& mac);
  void EraseIp(std::uint32_t vsid, const IpAddress& ip);
  // A VSID the database defines, with the providers a broadcast is replicated to.
  void SetSubnet(std::uint32_t vsid, const std::vector<IpAddress>& flood_providers);
  void EraseSubnet(std::uint32_t vsid);
  void Clear();

  std::size_t records() const { return working_.macs_.size(); }
  std::shared_ptr<const RecordLayer> Publish();

 private:
  std::uint32_t Intern(const IpAddress& provider);

  RecordLayer working_;
  std::vector<IpAddress> providers_;
  std::map<IpAddress, std::uint32_t> provider_index_;
  bool providers_dirty_ = true;
  std::map<std::uint32_t, std::vector<std::uint32_t>> subnets_;
  bool subnets_dirty_ = true;
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

  const Subnet* FindSubnet(std::uint32_t vsid) const {
    const std::uint32_t* i = subnet_index_.Find({vsid});
    return i == nullptr ? nullptr : &subnets_[*i];
  }
  Destination Lookup(std::uint32_t vsid, const wire::MacAddress& mac) const {
    if (const std::uint32_t* d = base_macs_.Find({vsid, mac})) return Unpack(*d);
    if (layer_ != nullptr) {
      if (const std::uint32_t* p = layer_->FindMac(vsid, mac)) {
        return {Kind::kRemote, 0, layer_providers_[*p]};
      }
    }
    return {};
  }
  // The MAC that owns `ip` in `vsid` (a local port's or a record's), for ARP/ND answers.
  std::optional<wire::MacAddress> Resolve(std::uint32_t vsid, const IpAddress& ip) const;

  const std::vector<IpAddress>& providers() const { return providers_; }
  const std::vector<Subnet>& subnets() const { return subnets_; }
  const std::vector<RecordSpec>& records() const { return records_; }  // the file's, as added
  const RecordLayer* layer() const { return layer_.get(); }
  std::size_t shadowed() const { return shadowed_; }
  // Whether a layer entry is hidden by a local port or file record with the same key.
  bool ShadowedByBase(std::uint32_t vsid, const wire::MacAddress& mac) const {
    return base_macs_.Find({vsid, mac}) != nullptr;
  }

 private:
  friend class PolicyBuilder;
  struct VsidKey {
    std::uint32_t vsid = 0;
    friend bool operator==(const VsidKey&, const VsidKey&) = default;
  };
  struct VsidTraits {
    using Key = VsidKey;
    using Value = std::uint32_t;
    static std::uint64_t Hash(const Key& k) { return MixHash(k.vsid); }
    static bool IsEmpty(const Key& k) { return k.vsid == 0; }
    static Key Empty() { return {}; }
  };
  // Base MAC entries packed in 32 bits: bit 31 = remote, low bits = port or provider index.
  static constexpr std::uint32_t kRemoteBit = 0x80000000u;
  static Destination Unpack(std::uint32_t v) {
    if (v & kRemoteBit) return {Kind::kRemote, 0, v & ~kRemoteBit};
    return {Kind::kLocal, static_cast<std::uint16_t>(v), 0};
  }

  std::vector<Subnet> subnets_;
  CowTable<VsidTraits> subnet_index_;
  RecordLayer::MacTable base_macs_;      // value: packed Destination
  RecordLayer::Ipv4Table base_ipv4_;
  RecordLayer::Ipv6Table base_ipv6_;
  std::shared_ptr<const RecordLayer> layer_;
  std::vector<std::uint32_t> layer_providers_;  // layer provider index -> providers() index
  std::vector<IpAddress> providers_;
  std::vector<RecordSpec> records_;
  std::size_t shadowed_ = 0;
};

class PolicyBuilder {
 public:
  void AddSubnet(const SubnetSpec& s) { subnets_.push_back(s); }
  void AddPort(const PortSpec& p) { ports_.push_back(p); }
  void AddRecord(const RecordSpec& r) { records_.push_back(r); }
  void SetLayer(std::shared_ptr<const RecordLayer> layer) { layer_ = std::move(layer); }
  // Ports and records of a VSID without a subnet (the base's or the layer's) are ignored
  // (counted in shadowed()), as are reserved VSIDs.
  std::shared_ptr<const Policy> Build() &&;

 private:
  std::vector<SubnetSpec> subnets_;
  std::vector<PortSpec> ports_;
  std::vector<RecordSpec> records_;
  std::shared_ptr<const RecordLayer> layer_;
};

}  // namespace nvgre::virt
