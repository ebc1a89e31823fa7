#include "offload/rx_frames_util.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/icmp.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::testing {
namespace {

using namespace nvgre::wire;

constexpr std::uint8_t kNop = 0x01;  // IPv4 option / TCP option No-Operation
constexpr std::uint8_t kIpv6HopByHop = 0;
constexpr std::uint8_t kIpv6Fragment = 44;

std::span<const std::uint8_t, 4> V4(const std::array<std::uint8_t, 16>& a) {
  return std::span<const std::uint8_t, 4>(a.data(), 4);
}
std::span<const std::uint8_t, 16> V6(const std::array<std::uint8_t, 16>& a) {
  return std::span<const std::uint8_t, 16>(a.data(), 16);
}

void Append(Bytes& to, std::span<const std::uint8_t> from) { to.insert(to.end(), from.begin(), from.end()); }

Bytes BuildEthernet(const MacAddress& dst, const MacAddress& src, std::optional<std::uint16_t> vlan,
                    std::uint16_t ether_type) {
  EthernetRepr e;
  e.destination = dst;
  e.source = src;
  e.ether_type = ether_type;
  if (vlan) {
    e.vlan_count = 1;
    e.vlans[0] = VlanTag{kEtherTypeVlan, VlanTag::MakeTci(0, false, *vlan)};
  }
  Bytes b(e.header_length());
  e.Emit(b);
  return b;
}

// The transport header + payload, checksum not yet filled (except ICMPv4, which has no
// pseudo-header).
Bytes BuildL4(const InnerSpec& in) {
  Bytes payload(in.payload);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(in.payload_seed + i);
  Bytes l4;
  switch (in.protocol) {
    case kIpProtoTcp: {
      TcpRepr t;
      t.source_port = in.sport;
      t.destination_port = in.dport;
      t.sequence_number = in.tcp_seq;
      t.acknowledgment_number = in.tcp_ack;
      t.flags = in.tcp_flags;
      t.window = 0x2000;
      Bytes opts(in.tcp_options, kNop);
      t.set_options(opts);
      l4.resize(t.header_length());
      t.Emit(l4);
      break;
    }
    case kIpProtoUdp: {
      UdpRepr u;
      u.source_port = in.sport;
      u.destination_port = in.dport;
      u.length = static_cast<std::uint16_t>(8 + payload.size());
      l4.resize(8);
      u.Emit(l4);
      break;
    }
    case kIpProtoIcmp:
    case kIpProtoIcmpv6: {
      IcmpRepr icmp;
      icmp.type = in.protocol == kIpProtoIcmp ? 8 : 128;  // echo request
      icmp.rest = 0x12340001;
      l4.resize(IcmpRepr::kSize);
      icmp.Emit(l4);
      break;
    }
    default:
      break;
  }
  Append(l4, payload);
  if (in.protocol == kIpProtoIcmp) {
    const std::uint16_t c = Checksum(l4);
    StoreBe16(std::span<std::uint8_t, 2>(&l4[2], 2), c);
  }
  return l4;
}

void FillL4Checksum(const InnerSpec& in, Bytes& l4) {
  const std::size_t at = L4ChecksumOffset(in.protocol);
  if (at == 0 || in.protocol == kIpProtoIcmp) return;
  std::uint16_t c = in.ip_version == 4 ? TcpUdpChecksumV4(V4(in.src), V4(in.dst), in.protocol, l4)
                                       : TcpUdpChecksumV6(V6(in.src), V6(in.dst), in.protocol, l4);
  if (in.protocol == kIpProtoUdp && in.udp_checksum_override != 0xFFFF) c = in.udp_checksum_override;
  StoreBe16(std::span<std::uint8_t, 2>(&l4[at], 2), c);
}

Bytes BuildIp(const InnerSpec& in) {
  Bytes l4 = BuildL4(in);
  FillL4Checksum(in, l4);
  Bytes ip;
  if (in.ip_version == 4) {
    Ipv4Repr r;
    r.identification = in.ipv4_id;
    r.more_fragments = in.fragment;
    r.protocol = in.protocol;
    std::copy_n(in.src.begin(), 4, r.source.begin());
    std::copy_n(in.dst.begin(), 4, r.destination.begin());
    r.options_length = in.ipv4_options;
    std::fill_n(r.options.begin(), in.ipv4_options, kNop);
    r.total_length = static_cast<std::uint16_t>(r.header_length() + l4.size());
    ip.resize(r.header_length());
    r.Emit(ip);
  } else {
    Bytes ext;
    std::uint8_t first = in.protocol;
    if (in.fragment) {
      // RFC 8200 §4.5: Next Header, Reserved, Fragment Offset (13) | Res (2) | M, Identification.
      ext = {in.protocol, 0, 0x00, 0x01, 0, 0, 0x12, 0x34};
      first = kIpv6Fragment;
    }
    if (in.ipv6_route_via) {
      // RFC 8200 §4.4: Next Header, Hdr Ext Len 2, Routing Type 0, Segments Left 1, Reserved,
      // Address[1] = the final destination (RFC 8200 §8.1: what the pseudo-header uses).
      Bytes rh{first, 2, 0, 1, 0, 0, 0, 0};
      rh.insert(rh.end(), in.dst.begin(), in.dst.end());
      Append(rh, ext);
      ext = rh;
      first = kIpv6ExtRouting;
    }
    if (in.ipv6_hop_by_hop) {
      // RFC 8200 §4.3: Next Header, Hdr Ext Len 0, PadN option (type 1, length 4, 4 zeros).
      Bytes hbh{first, 0, 1, 4, 0, 0, 0, 0};
      Append(hbh, ext);
      ext = hbh;
      first = kIpv6HopByHop;
    }
    Ipv6Repr r;
    r.next_header = first;
    r.source = in.src;
    r.destination = in.ipv6_route_via.value_or(in.dst);
    r.payload_length = static_cast<std::uint16_t>(ext.size() + l4.size());
    ip.resize(Ipv6Repr::kHeaderSize);
    r.Emit(ip);
    Append(ip, ext);
  }
  Append(ip, l4);
  return ip;
}

std::size_t Ipv4HeaderLength(std::uint8_t options) { return 20u + options; }

}  // namespace

Bytes BuildFrame(const InnerSpec& in) {
  if (in.ip_version == 0) {
    Bytes f = BuildEthernet(in.dst_mac, in.src_mac, in.vlan, kEtherTypeArp);
    f.resize(f.size() + 28, 0);  // an ARP body; nothing reads it
    return f;
  }
  Bytes f = BuildEthernet(in.dst_mac, in.src_mac, in.vlan,
                          in.ip_version == 4 ? kEtherTypeIpv4 : kEtherTypeIpv6);
  Append(f, BuildIp(in));
  return f;
}

Bytes BuildNvgreFrame(const OuterSpec& out, const InnerSpec& in) {
  const std::uint16_t proto = out.gre_protocol.value_or(kEtherTypeTeb);
  const Bytes inner = proto == kEtherTypeTeb ? BuildFrame(in) : BuildIp(in);
  GreRepr g;
  g.checksum_present = out.gre_checksum;
  g.key_present = out.key_present;
  g.sequence_present = out.gre_sequence;
  g.version = out.gre_version;
  g.protocol_type = proto;
  g.key = (out.vsid << 8) | out.flow_id;
  g.sequence = 1;
  Bytes gre(g.header_length());
  g.Emit(gre);
  Append(gre, inner);
  if (out.gre_checksum) {
    const std::uint16_t c = Checksum(gre);  // RFC 2784 §2.5: over GRE header + payload
    StoreBe16(std::span<std::uint8_t, 2>(&gre[4], 2), c);
  }
  Bytes f = BuildEthernet(out.dst_mac, out.src_mac, out.vlan,
                          out.ip_version == 4 ? kEtherTypeIpv4 : kEtherTypeIpv6);
  Bytes ip;
  if (out.ip_version == 4) {
    Ipv4Repr r;
    r.identification = 0x100;
    r.dont_fragment = !out.fragment;
    r.more_fragments = out.fragment;
    r.protocol = kIpProtoGre;
    std::copy_n(out.src.begin(), 4, r.source.begin());
    std::copy_n(out.dst.begin(), 4, r.destination.begin());
    r.options_length = out.ipv4_options;
    std::fill_n(r.options.begin(), out.ipv4_options, kNop);
    r.total_length = static_cast<std::uint16_t>(r.header_length() + gre.size());
    ip.resize(r.header_length());
    r.Emit(ip);
  } else {
    Ipv6Repr r;
    r.next_header = kIpProtoGre;
    r.source = out.src;
    r.destination = out.dst;
    r.payload_length = static_cast<std::uint16_t>(gre.size());
    ip.resize(Ipv6Repr::kHeaderSize);
    r.Emit(ip);
  }
  Append(f, ip);
  Append(f, gre);
  return f;
}

std::size_t OuterIpOffset(const OuterSpec& out) { return out.vlan ? 18 : 14; }

std::size_t InnerIpOffset(const OuterSpec& out, const InnerSpec& in) {
  GreRepr g;
  g.checksum_present = out.gre_checksum;
  g.key_present = out.key_present;
  g.sequence_present = out.gre_sequence;
  const std::size_t outer_ip = out.ip_version == 4 ? Ipv4HeaderLength(out.ipv4_options) : 40;
  const bool teb = out.gre_protocol.value_or(kEtherTypeTeb) == kEtherTypeTeb;
  const std::size_t inner_eth = teb ? (in.vlan ? 18 : 14) : 0;
  return OuterIpOffset(out) + outer_ip + g.header_length() + inner_eth;
}

std::size_t InnerL4Offset(const OuterSpec& out, const InnerSpec& in) {
  std::size_t ip = in.ip_version == 4 ? Ipv4HeaderLength(in.ipv4_options) : 40;
  if (in.ip_version == 6) ip += (in.fragment ? 8u : 0u) + (in.ipv6_hop_by_hop ? 8u : 0u);
  return InnerIpOffset(out, in) + ip;
}

std::uint32_t ToeplitzPlain(std::span<const std::uint8_t> key, std::span<const std::uint8_t> input) {
  std::uint32_t result = 0;
  for (std::size_t bit = 0; bit < input.size() * 8; ++bit) {
    if (((input[bit / 8] >> (7 - bit % 8)) & 1) == 0) continue;
    std::uint32_t window = 0;  // key bits [bit, bit + 32), missing bits zero
    for (std::size_t k = 0; k < 32; ++k) {
      const std::size_t kb = bit + k;
      const std::uint32_t v = kb / 8 < key.size() ? (std::uint32_t{key[kb / 8]} >> (7 - kb % 8)) & 1u : 0u;
      window = (window << 1) | v;
    }
    result ^= window;
  }
  return result;
}

std::unique_ptr<offload::Adapter> ReadyAdapter(bool encap_on, std::uint16_t indirection,
                                               offload::AdapterCapabilities caps) {
  using namespace nvgre::offload;
  auto a = std::make_unique<Adapter>(caps);
  EXPECT_EQ(a->SetOffloadEncapsulation(OffloadEncapsulation::Ethernet()), NdisStatus::kSuccess);
  if (encap_on) {
    OffloadParameters p;
    p.encapsulated_packet_task_offload = kNdisOffloadSetOn;
    p.encapsulation_types = kNdisEncapsulationTypeGreMac;
    EXPECT_EQ(a->SetOffloadParameters(p), NdisStatus::kSuccess);
  }
  RssParameters rss;
  rss.SetIndirection(indirection, std::min(indirection, caps.rss_queues));
  EXPECT_EQ(a->SetRssParameters(rss), NdisStatus::kSuccess);
  return a;
}

}  // namespace nvgre::testing
