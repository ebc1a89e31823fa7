// Test helper shared by the virt tests: builds inner Ethernet frames (IPv4/IPv6 with TCP/UDP/
// ICMP, or ARP; optional 802.1Q/802.1ad tags) with valid headers and checksums.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::virt::testframes {

// ---- a small inner-frame builder (valid headers and checksums) ------------------------------
using Frame = std::vector<std::uint8_t>;

// ---- a small inner-frame builder (valid headers and checksums) ------------------------------
struct Flow {
  int version = 4;  // 4, 6, or 0 for ARP
  std::array<std::uint8_t, 16> src{10, 0, 0, 1}, dst{10, 0, 0, 2};
  std::uint8_t protocol = wire::kIpProtoTcp;
  std::uint16_t sport = 1001, dport = 1002;
  std::uint8_t tos = 0, ttl = 64;
  std::uint16_t ip_id = 0;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // bytes
  std::uint8_t tcp_flags = wire::kTcpFlagAck;
  std::uint32_t seq = 0;
  std::vector<wire::VlanTag> tags;
  wire::MacAddress src_mac{0x02, 0, 0, 0, 0, 0x01}, dst_mac{0x02, 0, 0, 0, 0, 0x02};
  std::vector<std::uint8_t> payload = std::vector<std::uint8_t>(2, 0xab);
  bool ipv6_hop_by_hop = false;
  // Optional extras (vnet tests): IPv4 options (a multiple of 4 bytes), DF, TCP options (padded
  // to a multiple of 4), and IPv6 extension headers after the hop-by-hop one, in order: 60
  // destination options and 0 hop-by-hop (PadN, ipv6_ext_size bytes, a multiple of 8), 43 routing
  // (type 4, 8 bytes, Segments Left = ipv6_routing_segments_left), 44 fragment (atomic, 8 bytes).
  std::vector<std::uint8_t> ipv4_options;
  bool dont_fragment = false;
  std::vector<std::uint8_t> tcp_options;
  std::vector<std::uint8_t> ipv6_extensions;
  std::size_t ipv6_ext_size = 8;
  std::uint8_t ipv6_routing_segments_left = 0;
};

// One IPv6 extension header of `type` whose Next Header is `next` (see Flow).
inline std::vector<std::uint8_t> Ipv6Extension(const Flow& f, std::uint8_t type, std::uint8_t next) {
  if (type == 43) return {next, 0, 4, f.ipv6_routing_segments_left, 0, 0, 0, 0};
  if (type == 44) return {next, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
  const std::size_t size = f.ipv6_ext_size < 8 ? 8 : f.ipv6_ext_size;
  std::vector<std::uint8_t> e(size, 0);
  e[0] = next;
  e[1] = static_cast<std::uint8_t>(size / 8 - 1);
  e[2] = 1;  // PadN over the rest (RFC 8200 §4.2)
  e[3] = static_cast<std::uint8_t>(size - 4);
  return e;
}

inline Frame Build(const Flow& f) {
  Frame l4;
  if (f.version != 0 && f.protocol == wire::kIpProtoTcp) {
    wire::TcpRepr t;
    t.source_port = f.sport, t.destination_port = f.dport, t.flags = f.tcp_flags;
    t.sequence_number = f.seq, t.window = 512;
    t.set_options(f.tcp_options);
    l4.resize(t.header_length());
    t.Emit(l4);
  } else if (f.version != 0 && f.protocol == wire::kIpProtoUdp) {
    wire::UdpRepr u;
    u.source_port = f.sport, u.destination_port = f.dport;
    u.length = static_cast<std::uint16_t>(8 + f.payload.size());
    l4.resize(8);
    u.Emit(l4);
  }
  l4.insert(l4.end(), f.payload.begin(), f.payload.end());
  if (f.version != 0 && (f.protocol == wire::kIpProtoIcmp || f.protocol == wire::kIpProtoIcmpv6)) {
    if (l4.size() < 8) l4.resize(8);  // type, code, checksum, rest of header
    if (f.protocol == wire::kIpProtoIcmp) {  // RFC 792: no pseudo-header
      l4[2] = l4[3] = 0;
      const std::uint16_t c = wire::Checksum(l4);
      l4[2] = static_cast<std::uint8_t>(c >> 8), l4[3] = static_cast<std::uint8_t>(c);
    }
  }

  Frame l3;
  if (f.version == 4) {
    std::span<const std::uint8_t, 4> s(f.src.data(), 4), d(f.dst.data(), 4);
    const std::size_t csum_at = wire::L4ChecksumOffset(f.protocol);
    if (csum_at != 0 && f.protocol != wire::kIpProtoIcmp && f.fragment_offset == 0 &&
        !f.more_fragments) {
      const std::uint16_t c = wire::TcpUdpChecksumV4(s, d, f.protocol, l4);
      l4[csum_at] = static_cast<std::uint8_t>(c >> 8), l4[csum_at + 1] = static_cast<std::uint8_t>(c);
    }
    wire::Ipv4Repr ip;
    ip.tos = f.tos, ip.ttl = f.ttl, ip.identification = f.ip_id, ip.protocol = f.protocol;
    ip.more_fragments = f.more_fragments, ip.fragment_offset = f.fragment_offset;
    ip.dont_fragment = f.dont_fragment;
    std::copy(f.ipv4_options.begin(), f.ipv4_options.end(), ip.options.begin());
    ip.options_length = static_cast<std::uint8_t>(f.ipv4_options.size());
    ip.total_length = static_cast<std::uint16_t>(ip.header_length() + l4.size());
    std::copy_n(f.src.begin(), 4, ip.source.begin());
    std::copy_n(f.dst.begin(), 4, ip.destination.begin());
    l3.resize(ip.header_length());
    ip.Emit(l3);
  } else if (f.version == 6) {
    std::span<const std::uint8_t, 16> s(f.src), d(f.dst);
    const std::size_t csum_at = wire::L4ChecksumOffset(f.protocol);
    if (csum_at != 0) {
      const std::uint16_t c = wire::TcpUdpChecksumV6(s, d, f.protocol, l4);
      l4[csum_at] = static_cast<std::uint8_t>(c >> 8), l4[csum_at + 1] = static_cast<std::uint8_t>(c);
    }
    std::vector<std::uint8_t> types = f.ipv6_extensions;
    if (f.ipv6_hop_by_hop) types.insert(types.begin(), 0);
    Frame ext;
    for (std::size_t i = 0; i < types.size(); ++i) {
      const std::uint8_t next = i + 1 < types.size() ? types[i + 1] : f.protocol;
      const Frame e = f.ipv6_hop_by_hop && i == 0 ? Frame{next, 0, 1, 4, 0, 0, 0, 0}  // PadN, 8 bytes
                                                   : Ipv6Extension(f, types[i], next);
      ext.insert(ext.end(), e.begin(), e.end());
    }
    wire::Ipv6Repr ip;
    ip.traffic_class = f.tos, ip.hop_limit = f.ttl;
    ip.next_header = types.empty() ? f.protocol : types.front();
    ip.payload_length = static_cast<std::uint16_t>(ext.size() + l4.size());
    ip.source = f.src, ip.destination = f.dst;
    l3.resize(40);
    ip.Emit(l3);
    l3.insert(l3.end(), ext.begin(), ext.end());
  } else {
    l4.assign(28, 0x11);  // an ARP body; its contents do not matter here
  }
  l3.insert(l3.end(), l4.begin(), l4.end());

  wire::EthernetRepr eth;
  eth.source = f.src_mac, eth.destination = f.dst_mac;
  eth.vlan_count = static_cast<std::uint8_t>(f.tags.size());
  std::copy(f.tags.begin(), f.tags.end(), eth.vlans.begin());
  eth.ether_type = f.version == 4   ? wire::kEtherTypeIpv4
                   : f.version == 6 ? wire::kEtherTypeIpv6
                                    : wire::kEtherTypeArp;
  Frame frame(eth.header_length());
  eth.Emit(frame);
  frame.insert(frame.end(), l3.begin(), l3.end());
  return frame;
}

inline Flow Reversed(Flow f) {
  std::swap(f.src, f.dst);
  std::swap(f.sport, f.dport);
  std::swap(f.src_mac, f.dst_mac);
  return f;
}

}  // namespace nvgre::virt::testframes
