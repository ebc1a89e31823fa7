// Inner-flow hash: see flow_hash.h for the key layout and the hash.
#include "nvgre/virt/flow_hash.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::virt {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::uint8_t kIpProtoDccp = 33;     // RFC 4340
constexpr std::uint8_t kIpProtoSctp = 132;    // RFC 9260
constexpr std::uint8_t kIpProtoUdpLite = 136; // RFC 3828

// Protocols whose header starts with a 16-bit source and a 16-bit destination port.
constexpr bool HasPorts(std::uint8_t protocol) {
  return protocol == wire::kIpProtoTcp || protocol == wire::kIpProtoUdp ||
         protocol == kIpProtoUdpLite || protocol == kIpProtoSctp || protocol == kIpProtoDccp;
}

// Collects the key bytes (at most 1 + 1 + 2 * (16 + 2) = 38).
class KeyBuilder {
 public:
  void Put(std::uint8_t b) { key_[n_++] = b; }
  void Put16(std::uint16_t v) {
    Put(static_cast<std::uint8_t>(v >> 8));
    Put(static_cast<std::uint8_t>(v));
  }
  // Two endpoints {address, port}, the lower one first (symmetric key).
  void PutEndpoints(Bytes src, std::uint16_t sport, Bytes dst, std::uint16_t dport) {
    PutSorted(src, sport, dst, dport, /*ports=*/true);
  }
  // Two MAC addresses, the lower one first.
  void PutMacs(Bytes src, Bytes dst) { PutSorted(src, 0, dst, 0, /*ports=*/false); }
  std::uint32_t Hash() const { return Fmix32(Fnv1a(Bytes(key_.data(), n_))); }

 private:
  void Put(Bytes b) {
    std::copy(b.begin(), b.end(), key_.begin() + static_cast<std::ptrdiff_t>(n_));
    n_ += b.size();
  }
  void PutSorted(Bytes src, std::uint16_t sport, Bytes dst, std::uint16_t dport, bool ports) {
    const bool src_lower =
        std::lexicographical_compare(src.begin(), src.end(), dst.begin(), dst.end());
    const bool same = std::equal(src.begin(), src.end(), dst.begin(), dst.end());
    if (!(src_lower || (same && sport <= dport))) {
      std::swap(src, dst);
      std::swap(sport, dport);
    }
    Put(src);
    if (ports) Put16(sport);
    Put(dst);
    if (ports) Put16(dport);
  }

  std::array<std::uint8_t, 40> key_{};
  std::size_t n_ = 0;
};

// Source and destination ports at the start of `l4`, or {0, 0}.
std::pair<std::uint16_t, std::uint16_t> Ports(std::uint8_t protocol, bool fragment, Bytes l4) {
  if (fragment || !HasPorts(protocol) || l4.size() < 4) return {0, 0};
  return {wire::LoadBe16(l4.first<2>()), wire::LoadBe16(l4.subspan<2, 2>())};
}

bool HashIpv4(Bytes packet, KeyBuilder& key) {
  auto ip = wire::Ipv4View::Parse(packet, wire::Capture::kMayBeTruncated);
  if (!ip) return false;
  const auto [sport, dport] = Ports(ip->protocol(), ip->is_fragment(), ip->payload());
  key.Put(4);
  key.Put(ip->protocol());
  key.PutEndpoints(ip->source_bytes(), sport, ip->destination_bytes(), dport);
  return true;
}

bool HashIpv6(Bytes packet, KeyBuilder& key) {
  auto ip = wire::Ipv6View::Parse(packet, wire::Capture::kMayBeTruncated);
  if (!ip) return false;
  std::uint8_t protocol = ip->next_header();
  std::uint16_t sport = 0, dport = 0;
  if (auto chain = wire::WalkIpv6Extensions(*ip)) {
    protocol = chain->upper_protocol;
    const std::size_t end = ip->packet_length();
    if (chain->upper_offset <= end) {
      std::tie(sport, dport) =
          Ports(protocol, chain->is_fragment,
                ip->bytes().subspan(chain->upper_offset, end - chain->upper_offset));
    }
  }
  key.Put(6);
  key.Put(protocol);
  key.PutEndpoints(ip->source_bytes(), sport, ip->destination_bytes(), dport);
  return true;
}

}  // namespace

std::uint32_t InnerFlowHash(std::span<const std::uint8_t> frame) {
  if (frame.size() < wire::EthernetView::kHeaderSize) return Fmix32(Fnv1a(frame));
  KeyBuilder key;
  std::uint16_t type = wire::LoadBe16(frame.subspan<12, 2>());
  if (auto eth = wire::EthernetView::Parse(frame)) {
    type = eth->ether_type();
    if (type == wire::kEtherTypeIpv4 && HashIpv4(eth->payload(), key)) return key.Hash();
    if (type == wire::kEtherTypeIpv6 && HashIpv6(eth->payload(), key)) return key.Hash();
  }
  key.Put(0);
  key.Put16(type);
  key.PutMacs(frame.subspan<6, 6>(), frame.first<6>());
  return key.Hash();
}

}  // namespace nvgre::virt
