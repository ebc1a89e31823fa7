// The adapter model: NDIS_OFFLOAD / NDIS_OFFLOAD_PARAMETERS layouts, OID handling, keyword
// write-back and the published configuration (see adapter.h; spec §7, §8, §12).
#include "nvgre/offload/adapter.h"

#include <thread>

#include "nvgre/wire/bytes.h"

namespace nvgre::offload {
namespace {

using Buffer = std::vector<std::uint8_t>;

// ---- little-endian ULONG/USHORT access (the structures are little-endian in memory) ----------
void Put8(Buffer& b, std::size_t at, std::uint8_t v) { b[at] = v; }
void Put16(Buffer& b, std::size_t at, std::uint16_t v) {
  wire::StoreLe16(std::span<std::uint8_t, 2>(&b[at], 2), v);
}
void Put32(Buffer& b, std::size_t at, std::uint32_t v) {
  Put16(b, at, static_cast<std::uint16_t>(v));
  Put16(b, at + 2, static_cast<std::uint16_t>(v >> 16));
}
std::uint16_t Get16(std::span<const std::uint8_t> b, std::size_t at) {
  return wire::LoadLe16(std::span<const std::uint8_t, 2>(&b[at], 2));
}
std::uint32_t Get32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{Get16(b, at)} | (std::uint32_t{Get16(b, at + 2)} << 16);
}
// A 2-bit NDIS_OFFLOAD_SUPPORTED member at bit `shift` of a ULONG bitfield word.
std::uint32_t Bit2(bool v, unsigned shift) { return (v ? kNdisOffloadSupported : 0u) << shift; }
bool Get2(std::uint32_t word, unsigned shift) { return ((word >> shift) & 0x3u) == kNdisOffloadSupported; }

// ---- NDIS_OFFLOAD member offsets (ntddndis.h; spec §7.3 [CALC]) -----------------------------
constexpr std::size_t kIpv4TransmitAt = 4;    // Checksum.IPv4Transmit {Encapsulation, bits}
constexpr std::size_t kIpv4ReceiveAt = 12;
constexpr std::size_t kIpv6TransmitAt = 20;
constexpr std::size_t kIpv6ReceiveAt = 28;
constexpr std::size_t kLsoV1At = 36;          // {Encapsulation, MaxOffLoadSize, MinSegmentCount, bits}
constexpr std::size_t kLsoV2Ipv4At = 80;      // after IPsecV1 (28 bytes, written 0)
constexpr std::size_t kLsoV2Ipv6At = 92;
constexpr std::size_t kFlagsAt = 108;         // rev 1 ends at 112; IPsecV2 112..144 (written 0)
constexpr std::size_t kRscAt = 144;           // Rsc.IPv4.Enabled, Rsc.IPv6.Enabled (BOOLEAN)
static_assert(kNdisOffloadGreOffset == 148);  // EncapsulatedPacketTaskOffloadGre, rev 3 ends 156
constexpr std::size_t kEncapsulationTypesAt = 176;  // after the VXLAN member (156..176), rev 4 ends 177
constexpr std::size_t kUsoIpv4At = 188;       // after Rfc6877Xlat (180..188); rev 6 ends 216
constexpr std::size_t kUsoIpv6At = 200;

void PutChecksumV4(Buffer& b, std::size_t at, const ChecksumOffloadIpv4& c) {
  Put32(b, at, c.encapsulation);
  Put32(b, at + 4, Bit2(c.ip_options_supported, 0) | Bit2(c.tcp_options_supported, 2) |
                       Bit2(c.tcp_checksum, 4) | Bit2(c.udp_checksum, 6) | Bit2(c.ip_checksum, 8));
}
ChecksumOffloadIpv4 GetChecksumV4(std::span<const std::uint8_t> b, std::size_t at) {
  const std::uint32_t w = Get32(b, at + 4);
  return {Get32(b, at), Get2(w, 0), Get2(w, 2), Get2(w, 4), Get2(w, 6), Get2(w, 8)};
}
void PutChecksumV6(Buffer& b, std::size_t at, const ChecksumOffloadIpv6& c) {
  Put32(b, at, c.encapsulation);
  Put32(b, at + 4, Bit2(c.ip_extension_headers_supported, 0) | Bit2(c.tcp_options_supported, 2) |
                       Bit2(c.tcp_checksum, 4) | Bit2(c.udp_checksum, 6));
}
ChecksumOffloadIpv6 GetChecksumV6(std::span<const std::uint8_t> b, std::size_t at) {
  const std::uint32_t w = Get32(b, at + 4);
  return {Get32(b, at), Get2(w, 0), Get2(w, 2), Get2(w, 4), Get2(w, 6)};
}
void PutLsoV2(Buffer& b, std::size_t at, const LsoV2Offload& l, bool ipv6) {
  Put32(b, at, l.encapsulation);
  Put32(b, at + 4, l.max_offload_size);
  Put32(b, at + 8, l.min_segment_count);
  if (ipv6) Put32(b, at + 12, Bit2(l.ip_extension_headers_supported, 0) | Bit2(l.tcp_options_supported, 2));
}
LsoV2Offload GetLsoV2(std::span<const std::uint8_t> b, std::size_t at, bool ipv6) {
  LsoV2Offload l{Get32(b, at), Get32(b, at + 4), Get32(b, at + 8), false, false};
  if (ipv6) {
    const std::uint32_t w = Get32(b, at + 12);
    l.ip_extension_headers_supported = Get2(w, 0);
    l.tcp_options_supported = Get2(w, 2);
  }
  return l;
}
// NDIS_UDP_SEGMENTATION_OFFLOAD: MinSegmentCount:6 | SubMssFinalSegmentSupported:1 share a ULONG;
// IPv6 adds a ULONG with IpExtensionHeadersSupported:2.
void PutUso(Buffer& b, std::size_t at, const UsoOffload& u, bool ipv6) {
  Put32(b, at, u.encapsulation);
  Put32(b, at + 4, u.max_offload_size);
  Put32(b, at + 8, (u.min_segment_count & 0x3Fu) | (u.sub_mss_final_segment_supported ? 0x40u : 0u));
  if (ipv6) Put32(b, at + 12, Bit2(u.ip_extension_headers_supported, 0));
}
UsoOffload GetUso(std::span<const std::uint8_t> b, std::size_t at, bool ipv6) {
  const std::uint32_t w = Get32(b, at + 8);
  UsoOffload u{Get32(b, at), Get32(b, at + 4), w & 0x3Fu, (w & 0x40u) != 0, false};
  if (ipv6) u.ip_extension_headers_supported = Get2(Get32(b, at + 12), 0);
  return u;
}

std::string Hex(std::uint32_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v & 0xF]);
    v >>= 4;
  } while (v != 0);
  return "0x" + out;
}
std::string Flag(bool on, std::string_view name) {
  std::string s;
  if (on) {
    s.push_back(' ');
    s.append(name);
  }
  return s;
}

// ---- OID_TCP_OFFLOAD_PARAMETERS validation (spec §8.3) ---------------------------------------
bool ChecksumEnablesTx(std::uint8_t v) {
  return v == kOffloadParametersTxEnabledRxDisabled || v == kOffloadParametersTxRxEnabled;
}
bool ChecksumEnablesRx(std::uint8_t v) {
  return v == kOffloadParametersRxEnabledTxDisabled || v == kOffloadParametersTxRxEnabled;
}

// Members newer than the request's revision read as NO_CHANGE.
OffloadParameters Effective(OffloadParameters p) {
  if (p.revision < 2) p.ipsec_v2 = p.ipsec_v2_ipv4 = 0;
  if (p.revision < 3) {
    p.rsc_ipv4 = p.rsc_ipv6 = 0;
    p.encapsulated_packet_task_offload = p.encapsulation_types = 0;
  }
  if (p.revision < 4) p.vxlan_udp_port_number = 0;
  if (p.revision < 5) p.uso_ipv4 = p.uso_ipv6 = 0;
  return p;
}

NdisStatus Validate(const OffloadParameters& p, const NdisOffload& hw) {
  // 1. Every member within its defined values, else the buffer is invalid data.
  for (std::uint8_t v : {p.ipv4_checksum, p.tcp_ipv4_checksum, p.udp_ipv4_checksum,
                         p.tcp_ipv6_checksum, p.udp_ipv6_checksum}) {
    if (v > kOffloadParametersTxRxEnabled) return NdisStatus::kInvalidData;
  }
  for (std::uint8_t v : {p.lso_v1, p.lso_v2_ipv4, p.lso_v2_ipv6, p.tcp_connection_ipv4,
                         p.tcp_connection_ipv6, p.rsc_ipv4, p.rsc_ipv6, p.uso_ipv4, p.uso_ipv6}) {
    if (v > kOffloadParametersEnabled) return NdisStatus::kInvalidData;
  }
  for (std::uint8_t v : {p.ipsec_v1, p.ipsec_v2, p.ipsec_v2_ipv4}) {
    if (v > 4) return NdisStatus::kInvalidData;  // ..._IPSECV1/V2_AH_AND_ESP_ENABLED = 4
  }
  if (p.encapsulated_packet_task_offload > kNdisOffloadSetOff) return NdisStatus::kInvalidData;
  if ((p.encapsulation_types & ~(kNdisEncapsulationTypeGreMac | kNdisEncapsulationTypeVxlan)) != 0) {
    return NdisStatus::kInvalidData;
  }
  // SET_ON without any encapsulation type says nothing to enable.
  if (p.encapsulated_packet_task_offload == kNdisOffloadSetOn && p.encapsulation_types == 0) {
    return NdisStatus::kInvalidData;
  }

  // 2. A valid request for something this hardware cannot do.
  struct Kind {
    std::uint8_t value;
    bool hw_tx, hw_rx;
  };
  for (const Kind& k : {Kind{p.ipv4_checksum, hw.ipv4_transmit.ip_checksum, hw.ipv4_receive.ip_checksum},
                        Kind{p.tcp_ipv4_checksum, hw.ipv4_transmit.tcp_checksum, hw.ipv4_receive.tcp_checksum},
                        Kind{p.udp_ipv4_checksum, hw.ipv4_transmit.udp_checksum, hw.ipv4_receive.udp_checksum},
                        Kind{p.tcp_ipv6_checksum, hw.ipv6_transmit.tcp_checksum, hw.ipv6_receive.tcp_checksum},
                        Kind{p.udp_ipv6_checksum, hw.ipv6_transmit.udp_checksum, hw.ipv6_receive.udp_checksum}}) {
    if ((ChecksumEnablesTx(k.value) && !k.hw_tx) || (ChecksumEnablesRx(k.value) && !k.hw_rx)) {
      return NdisStatus::kNotSupported;
    }
  }
  auto enables = [](std::uint8_t v) { return v == kOffloadParametersEnabled; };
  if ((enables(p.lso_v1) && hw.lso_v1.encapsulation == 0) ||
      (enables(p.lso_v2_ipv4) && hw.lso_v2_ipv4.encapsulation == 0) ||
      (enables(p.lso_v2_ipv6) && hw.lso_v2_ipv6.encapsulation == 0) ||
      (enables(p.rsc_ipv4) && !hw.rsc_ipv4) || (enables(p.rsc_ipv6) && !hw.rsc_ipv6) ||
      (enables(p.uso_ipv4) && hw.uso_ipv4.encapsulation == 0) ||
      (enables(p.uso_ipv6) && hw.uso_ipv6.encapsulation == 0)) {
    return NdisStatus::kNotSupported;
  }
  // IPsec and TCP chimney are never offered.
  if (p.ipsec_v1 > 1 || p.ipsec_v2 > 1 || p.ipsec_v2_ipv4 > 1 || enables(p.tcp_connection_ipv4) ||
      enables(p.tcp_connection_ipv6)) {
    return NdisStatus::kNotSupported;
  }
  if (p.encapsulated_packet_task_offload == kNdisOffloadSetOn) {
    // Only NVGRE (GRE_MAC) is implemented; the GRE member must be advertised (spec §7.1).
    if ((p.encapsulation_types & kNdisEncapsulationTypeVxlan) != 0 ||
        hw.encapsulated_packet_task_offload_gre.raw() == 0) {
      return NdisStatus::kNotSupported;
    }
  }
  return NdisStatus::kSuccess;
}

// A current-config member: the hardware's values when on, all zero when off.
ChecksumOffloadIpv4 V4Member(const ChecksumOffloadIpv4& hw, bool tcp, bool udp, bool ip) {
  ChecksumOffloadIpv4 c;
  c.tcp_checksum = hw.tcp_checksum && tcp;
  c.udp_checksum = hw.udp_checksum && udp;
  c.ip_checksum = hw.ip_checksum && ip;
  if (c.tcp_checksum || c.udp_checksum || c.ip_checksum) {
    c.encapsulation = hw.encapsulation;
    c.ip_options_supported = hw.ip_options_supported;
    c.tcp_options_supported = hw.tcp_options_supported;
  }
  return c;
}
ChecksumOffloadIpv6 V6Member(const ChecksumOffloadIpv6& hw, bool tcp, bool udp) {
  ChecksumOffloadIpv6 c;
  c.tcp_checksum = hw.tcp_checksum && tcp;
  c.udp_checksum = hw.udp_checksum && udp;
  if (c.tcp_checksum || c.udp_checksum) {
    c.encapsulation = hw.encapsulation;
    c.ip_extension_headers_supported = hw.ip_extension_headers_supported;
    c.tcp_options_supported = hw.tcp_options_supported;
  }
  return c;
}

// The enable bits of the current config, per checksum kind.
struct ChecksumBits {
  bool v4_ip_tx, v4_ip_rx, v4_tcp_tx, v4_tcp_rx, v4_udp_tx, v4_udp_rx;
  bool v6_tcp_tx, v6_tcp_rx, v6_udp_tx, v6_udp_rx;
};
ChecksumBits BitsOf(const NdisOffload& c) {
  return {c.ipv4_transmit.ip_checksum,  c.ipv4_receive.ip_checksum,  c.ipv4_transmit.tcp_checksum,
          c.ipv4_receive.tcp_checksum,  c.ipv4_transmit.udp_checksum, c.ipv4_receive.udp_checksum,
          c.ipv6_transmit.tcp_checksum, c.ipv6_receive.tcp_checksum, c.ipv6_transmit.udp_checksum,
          c.ipv6_receive.udp_checksum};
}
void SetChecksumMembers(NdisOffload& c, const NdisOffload& hw, const ChecksumBits& b) {
  c.ipv4_transmit = V4Member(hw.ipv4_transmit, b.v4_tcp_tx, b.v4_udp_tx, b.v4_ip_tx);
  c.ipv4_receive = V4Member(hw.ipv4_receive, b.v4_tcp_rx, b.v4_udp_rx, b.v4_ip_rx);
  c.ipv6_transmit = V6Member(hw.ipv6_transmit, b.v6_tcp_tx, b.v6_udp_tx);
  c.ipv6_receive = V6Member(hw.ipv6_receive, b.v6_tcp_rx, b.v6_udp_rx);
}
// Applies one checksum member value (spec §8.3) to its tx/rx bits.
void ApplyChecksum(std::uint8_t v, bool& tx, bool& rx) {
  switch (v) {
    case kOffloadParametersTxRxDisabled: tx = rx = false; break;
    case kOffloadParametersTxEnabledRxDisabled: tx = true; rx = false; break;
    case kOffloadParametersRxEnabledTxDisabled: tx = false; rx = true; break;
    case kOffloadParametersTxRxEnabled: tx = rx = true; break;
    default: break;  // NO_CHANGE
  }
}
std::int64_t ChecksumKeyword(bool tx, bool rx) {
  return (tx ? kChecksumKeywordTx : 0) | (rx ? kChecksumKeywordRx : 0);
}

template <class Member>
Member OnOff(const Member& hw, bool on) { return on ? hw : Member{}; }

}  // namespace

std::string_view ToString(NdisStatus s) {
  switch (s) {
    case NdisStatus::kSuccess: return "NDIS_STATUS_SUCCESS";
    case NdisStatus::kInvalidParameter: return "NDIS_STATUS_INVALID_PARAMETER";
    case NdisStatus::kResources: return "NDIS_STATUS_RESOURCES";
    case NdisStatus::kNotSupported: return "NDIS_STATUS_NOT_SUPPORTED";
    case NdisStatus::kInvalidLength: return "NDIS_STATUS_INVALID_LENGTH";
    case NdisStatus::kInvalidData: return "NDIS_STATUS_INVALID_DATA";
    case NdisStatus::kBufferTooShort: return "NDIS_STATUS_BUFFER_TOO_SHORT";
    case NdisStatus::kTaskOffloadCurrentConfig: return "NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG";
    case NdisStatus::kTaskOffloadHardwareCapabilities: return "NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES";
  }
  return "NDIS_STATUS_?";
}

// ---- NdisOffload ----------------------------------------------------------------------------
std::vector<std::uint8_t> NdisOffload::ToBytes(std::uint8_t revision) const {
  const std::size_t size = NdisOffloadSize(revision);
  Buffer b(size, 0);
  if (size == 0) return b;
  Put8(b, 0, kNdisObjectTypeOffload);
  Put8(b, 1, revision);
  Put16(b, 2, static_cast<std::uint16_t>(size));
  PutChecksumV4(b, kIpv4TransmitAt, ipv4_transmit);
  PutChecksumV4(b, kIpv4ReceiveAt, ipv4_receive);
  PutChecksumV6(b, kIpv6TransmitAt, ipv6_transmit);
  PutChecksumV6(b, kIpv6ReceiveAt, ipv6_receive);
  Put32(b, kLsoV1At, lso_v1.encapsulation);
  Put32(b, kLsoV1At + 4, lso_v1.max_offload_size);
  Put32(b, kLsoV1At + 8, lso_v1.min_segment_count);
  Put32(b, kLsoV1At + 12, Bit2(lso_v1.tcp_options, 0) | Bit2(lso_v1.ip_options, 2));
  PutLsoV2(b, kLsoV2Ipv4At, lso_v2_ipv4, false);
  PutLsoV2(b, kLsoV2Ipv6At, lso_v2_ipv6, true);
  Put32(b, kFlagsAt, flags);
  if (revision >= 3) {
    Put8(b, kRscAt, rsc_ipv4 ? 1 : 0);
    Put8(b, kRscAt + 1, rsc_ipv6 ? 1 : 0);
    // Spec §7.2/§7.3: UsoSupported (bits 20-23) came with USO (NDIS 6.83+, revision 6); in
    // the NDIS 6.30-6.70 images (revisions 3-5) those bits are Reserved and must be 0.
    EncapsulatedPacketTaskOffload gre_caps = encapsulated_packet_task_offload_gre;
    if (revision < 6) (void)gre_caps.set_mask(EncapOffload::kUso, 0);
    const auto gre = gre_caps.ToBytes();
    for (std::size_t i = 0; i < gre.size(); ++i) b[kNdisOffloadGreOffset + i] = gre[i];
  }
  if (revision >= 4) Put8(b, kEncapsulationTypesAt, encapsulation_types);
  if (revision >= 6) {
    PutUso(b, kUsoIpv4At, uso_ipv4, false);
    PutUso(b, kUsoIpv6At, uso_ipv6, true);
  }
  return b;
}

std::optional<NdisOffload> NdisOffload::FromBytes(std::span<const std::uint8_t> b) {
  if (b.size() < 4 || b[0] != kNdisObjectTypeOffload || b[1] == 0) return std::nullopt;
  const std::uint8_t revision = std::min(b[1], kNdisOffloadMaxRevision);
  const std::size_t size = Get16(b, 2);
  if (size < NdisOffloadSize(revision) || b.size() < size) return std::nullopt;
  NdisOffload o;
  o.ipv4_transmit = GetChecksumV4(b, kIpv4TransmitAt);
  o.ipv4_receive = GetChecksumV4(b, kIpv4ReceiveAt);
  o.ipv6_transmit = GetChecksumV6(b, kIpv6TransmitAt);
  o.ipv6_receive = GetChecksumV6(b, kIpv6ReceiveAt);
  const std::uint32_t lso1 = Get32(b, kLsoV1At + 12);
  o.lso_v1 = {Get32(b, kLsoV1At), Get32(b, kLsoV1At + 4), Get32(b, kLsoV1At + 8), Get2(lso1, 0),
              Get2(lso1, 2)};
  o.lso_v2_ipv4 = GetLsoV2(b, kLsoV2Ipv4At, false);
  o.lso_v2_ipv6 = GetLsoV2(b, kLsoV2Ipv6At, true);
  o.flags = Get32(b, kFlagsAt);
  if (revision >= 3) {
    o.rsc_ipv4 = b[kRscAt] != 0;
    o.rsc_ipv6 = b[kRscAt + 1] != 0;
    o.encapsulated_packet_task_offload_gre = EncapsulatedPacketTaskOffload::FromBytes(
        b.subspan(kNdisOffloadGreOffset).first<EncapsulatedPacketTaskOffload::kSize>());
    // Spec §7.2/§7.3: bits 20-23 are Reserved before revision 6: ignored, never read as USO.
    if (revision < 6) (void)o.encapsulated_packet_task_offload_gre.set_mask(EncapOffload::kUso, 0);
  }
  if (revision >= 4) o.encapsulation_types = b[kEncapsulationTypesAt];
  if (revision >= 6) {
    o.uso_ipv4 = GetUso(b, kUsoIpv4At, false);
    o.uso_ipv6 = GetUso(b, kUsoIpv6At, true);
  }
  return o;
}

std::string NdisOffload::ToString() const {
  std::string s;
  auto v4 = [&](std::string_view name, const ChecksumOffloadIpv4& c) {
    s += std::string(name) + ": Encapsulation=" + Hex(c.encapsulation) +
         Flag(c.ip_options_supported, "IpOptionsSupported") +
         Flag(c.tcp_options_supported, "TcpOptionsSupported") + Flag(c.tcp_checksum, "TcpChecksum") +
         Flag(c.udp_checksum, "UdpChecksum") + Flag(c.ip_checksum, "IpChecksum") + "\n";
  };
  auto v6 = [&](std::string_view name, const ChecksumOffloadIpv6& c) {
    s += std::string(name) + ": Encapsulation=" + Hex(c.encapsulation) +
         Flag(c.ip_extension_headers_supported, "IpExtensionHeadersSupported") +
         Flag(c.tcp_options_supported, "TcpOptionsSupported") + Flag(c.tcp_checksum, "TcpChecksum") +
         Flag(c.udp_checksum, "UdpChecksum") + "\n";
  };
  auto lso = [&](std::string_view name, std::uint32_t enc, std::uint32_t max, std::uint32_t min) {
    s += std::string(name) + ": Encapsulation=" + Hex(enc) + " MaxOffLoadSize=" + std::to_string(max) +
         " MinSegmentCount=" + std::to_string(min);
  };
  v4("Checksum.IPv4Transmit", ipv4_transmit);
  v4("Checksum.IPv4Receive", ipv4_receive);
  v6("Checksum.IPv6Transmit", ipv6_transmit);
  v6("Checksum.IPv6Receive", ipv6_receive);
  lso("LsoV1.IPv4", lso_v1.encapsulation, lso_v1.max_offload_size, lso_v1.min_segment_count);
  s += Flag(lso_v1.tcp_options, "TcpOptions") + Flag(lso_v1.ip_options, "IpOptions") + "\n";
  lso("LsoV2.IPv4", lso_v2_ipv4.encapsulation, lso_v2_ipv4.max_offload_size, lso_v2_ipv4.min_segment_count);
  s += "\n";
  lso("LsoV2.IPv6", lso_v2_ipv6.encapsulation, lso_v2_ipv6.max_offload_size, lso_v2_ipv6.min_segment_count);
  s += Flag(lso_v2_ipv6.ip_extension_headers_supported, "IpExtensionHeadersSupported") +
       Flag(lso_v2_ipv6.tcp_options_supported, "TcpOptionsSupported") + "\n";
  s += "Rsc: IPv4.Enabled=" + std::to_string(rsc_ipv4 ? 1 : 0) +
       " IPv6.Enabled=" + std::to_string(rsc_ipv6 ? 1 : 0) + "\n";
  s += "EncapsulatedPacketTaskOffloadGre: " + encapsulated_packet_task_offload_gre.ToString() + "\n";
  s += "EncapsulationTypes: " + Hex(encapsulation_types) +
       ((encapsulation_types & kNdisEncapsulationTypeGreMac) != 0 ? " GRE_MAC" : "") + "\n";
  lso("UdpSegmentation.IPv4", uso_ipv4.encapsulation, uso_ipv4.max_offload_size, uso_ipv4.min_segment_count);
  s += Flag(uso_ipv4.sub_mss_final_segment_supported, "SubMssFinalSegmentSupported") + "\n";
  lso("UdpSegmentation.IPv6", uso_ipv6.encapsulation, uso_ipv6.max_offload_size, uso_ipv6.min_segment_count);
  s += Flag(uso_ipv6.sub_mss_final_segment_supported, "SubMssFinalSegmentSupported") +
       Flag(uso_ipv6.ip_extension_headers_supported, "IpExtensionHeadersSupported") + "\n";
  return s;
}

// ---- OffloadParameters ------------------------------------------------------------------------
std::vector<std::uint8_t> OffloadParameters::ToBytes() const {
  const std::size_t size = OffloadParametersSize(revision);
  Buffer b(size, 0);
  if (size == 0) return b;
  Put8(b, 0, kNdisObjectTypeDefault);
  Put8(b, 1, revision);
  Put16(b, 2, static_cast<std::uint16_t>(size));
  const std::array<std::uint8_t, 11> rev1{ipv4_checksum,       tcp_ipv4_checksum, udp_ipv4_checksum,
                                          tcp_ipv6_checksum,   udp_ipv6_checksum, lso_v1,
                                          ipsec_v1,            lso_v2_ipv4,       lso_v2_ipv6,
                                          tcp_connection_ipv4, tcp_connection_ipv6};
  for (std::size_t i = 0; i < rev1.size(); ++i) Put8(b, 4 + i, rev1[i]);
  Put32(b, 16, flags);
  if (revision >= 2) {
    Put8(b, 20, ipsec_v2);
    Put8(b, 21, ipsec_v2_ipv4);
  }
  if (revision >= 3) {
    Put8(b, 22, rsc_ipv4);
    Put8(b, 23, rsc_ipv6);
    Put8(b, 24, encapsulated_packet_task_offload);
    Put8(b, 25, encapsulation_types);
  }
  if (revision >= 4) Put16(b, 28, vxlan_udp_port_number);
  if (revision >= 5) {
    Put8(b, 32, uso_ipv4);
    Put8(b, 33, uso_ipv6);
  }
  return b;
}

ParsedOffloadParameters ParseOffloadParameters(std::span<const std::uint8_t> b) {
  ParsedOffloadParameters out;
  out.status = NdisStatus::kInvalidData;
  if (b.size() < 4 || b[0] != kNdisObjectTypeDefault || b[1] == 0) return out;
  const std::uint8_t revision = std::min(b[1], kOffloadParametersMaxRevision);
  const std::size_t size = Get16(b, 2);
  if (size < OffloadParametersSize(revision) || b.size() < size) return out;
  OffloadParameters& p = out.parameters;
  p.revision = revision;
  p.ipv4_checksum = b[4];
  p.tcp_ipv4_checksum = b[5];
  p.udp_ipv4_checksum = b[6];
  p.tcp_ipv6_checksum = b[7];
  p.udp_ipv6_checksum = b[8];
  p.lso_v1 = b[9];
  p.ipsec_v1 = b[10];
  p.lso_v2_ipv4 = b[11];
  p.lso_v2_ipv6 = b[12];
  p.tcp_connection_ipv4 = b[13];
  p.tcp_connection_ipv6 = b[14];
  p.flags = Get32(b, 16);
  if (revision >= 2) {
    p.ipsec_v2 = b[20];
    p.ipsec_v2_ipv4 = b[21];
  }
  if (revision >= 3) {
    p.rsc_ipv4 = b[22];
    p.rsc_ipv6 = b[23];
    p.encapsulated_packet_task_offload = b[24];
    p.encapsulation_types = b[25];
  }
  if (revision >= 4) p.vxlan_udp_port_number = Get16(b, 28);
  if (revision >= 5) {
    p.uso_ipv4 = b[32];
    p.uso_ipv6 = b[33];
  }
  out.status = NdisStatus::kSuccess;
  return out;
}

// ---- Capabilities and initial state -----------------------------------------------------------
AdapterCapabilities AdapterCapabilities::Default() {
  AdapterCapabilities c;
  NdisOffload& h = c.hardware;
  const ChecksumOffloadIpv4 v4{kNdisEncapsulationIeee8023, true, true, true, true, true};
  const ChecksumOffloadIpv6 v6{kNdisEncapsulationIeee8023, true, true, true, true};
  h.ipv4_transmit = h.ipv4_receive = v4;
  h.ipv6_transmit = h.ipv6_receive = v6;
  h.lso_v1 = {kNdisEncapsulationIeee8023, 65536, 2, true, true};
  h.lso_v2_ipv4 = {kNdisEncapsulationIeee8023, 262144, 2, false, false};
  h.lso_v2_ipv6 = {kNdisEncapsulationIeee8023, 262144, 2, true, true};
  h.rsc_ipv4 = h.rsc_ipv6 = true;
  h.encapsulated_packet_task_offload_gre = *EncapsulatedPacketTaskOffload::Uniform(
      kEncapInnerIpv4 | kEncapOuterIpv4 | kEncapInnerIpv6 | kEncapOuterIpv6);
  h.encapsulation_types = kNdisEncapsulationTypeGreMac;  // what the hardware can enable
  h.uso_ipv4 = {kNdisEncapsulationIeee8023, 262144, 2, true, false};
  h.uso_ipv6 = {kNdisEncapsulationIeee8023, 262144, 2, true, true};
  return c;
}

NdisOffload InitialCurrentConfig(const AdapterCapabilities& caps, const Keywords& kw) {
  const NdisOffload& hw = caps.hardware;
  NdisOffload c;
  const std::int64_t ip4 = kw.Get(Keyword::kIpChecksumOffloadIpv4);
  const std::int64_t tcp4 = kw.Get(Keyword::kTcpChecksumOffloadIpv4);
  const std::int64_t udp4 = kw.Get(Keyword::kUdpChecksumOffloadIpv4);
  const std::int64_t tcp6 = kw.Get(Keyword::kTcpChecksumOffloadIpv6);
  const std::int64_t udp6 = kw.Get(Keyword::kUdpChecksumOffloadIpv6);
  SetChecksumMembers(c, hw,
                     {ChecksumKeywordTx(ip4), ChecksumKeywordRx(ip4), ChecksumKeywordTx(tcp4),
                      ChecksumKeywordRx(tcp4), ChecksumKeywordTx(udp4), ChecksumKeywordRx(udp4),
                      ChecksumKeywordTx(tcp6), ChecksumKeywordRx(tcp6), ChecksumKeywordTx(udp6),
                      ChecksumKeywordRx(udp6)});
  c.lso_v1 = hw.lso_v1;  // no standardized LSOv1 keyword is modelled
  c.lso_v2_ipv4 = OnOff(hw.lso_v2_ipv4, kw.Enabled(Keyword::kLsoV2Ipv4));
  c.lso_v2_ipv6 = OnOff(hw.lso_v2_ipv6, kw.Enabled(Keyword::kLsoV2Ipv6));
  c.rsc_ipv4 = hw.rsc_ipv4 && kw.Enabled(Keyword::kRscIpv4);
  c.rsc_ipv6 = hw.rsc_ipv6 && kw.Enabled(Keyword::kRscIpv6);
  c.uso_ipv4 = OnOff(hw.uso_ipv4, kw.Enabled(Keyword::kUsoIpv4));
  c.uso_ipv6 = OnOff(hw.uso_ipv6, kw.Enabled(Keyword::kUsoIpv6));
  // Spec §8.1: NVGRE task offload is never active before OID_TCP_OFFLOAD_PARAMETERS turns it on,
  // whatever *EncapsulatedPacketTaskOffload says.
  c.encapsulated_packet_task_offload_gre = EncapsulatedPacketTaskOffload::FromRaw(0, 0);
  c.encapsulation_types = 0;
  return c;
}

TxOffloadConfig AdapterConfig::TxConfig() const {
  TxOffloadConfig t;
  t.encapsulated_offload_active = encapsulated_offload_active();
  t.encapsulated = encapsulated();
  const ChecksumOffloadIpv4& v4 = current.ipv4_transmit;
  const ChecksumOffloadIpv6& v6 = current.ipv6_transmit;
  const bool on4 = offload_encapsulation_ipv4, on6 = offload_encapsulation_ipv6;
  t.checksum_ipv4 = {v4.ip_options_supported, v4.tcp_options_supported, on4 && v4.tcp_checksum,
                     on4 && v4.udp_checksum, on4 && v4.ip_checksum};
  t.checksum_ipv6 = {v6.ip_extension_headers_supported, v6.tcp_options_supported,
                     on6 && v6.tcp_checksum, on6 && v6.udp_checksum, false};
  auto lso = [](const LsoV2Offload& l, bool on) {
    return TxLsoV2Caps{on && l.encapsulation != 0, l.max_offload_size, l.min_segment_count,
                       l.ip_extension_headers_supported, l.tcp_options_supported};
  };
  t.lso_v2_ipv4 = lso(current.lso_v2_ipv4, on4);
  t.lso_v2_ipv4.ip_extension_headers_supported = current.lso_v2_ipv6.ip_extension_headers_supported;
  t.lso_v2_ipv4.tcp_options_supported = true;  // NDIS LSOv2 IPv4 has no option flags
  t.lso_v2_ipv6 = lso(current.lso_v2_ipv6, on6);
  auto uso = [](const UsoOffload& u, bool on) {
    return TxUsoCaps{on && u.encapsulation != 0, u.max_offload_size, u.min_segment_count,
                     u.sub_mss_final_segment_supported, u.ip_extension_headers_supported};
  };
  t.uso_ipv4 = uso(current.uso_ipv4, on4);
  t.uso_ipv6 = uso(current.uso_ipv6, on6);
  return t;
}

// ---- Adapter -----------------------------------------------------------------------------------
Adapter::Adapter(const AdapterCapabilities& caps, Keywords keywords)
    : caps_(caps), keywords_(std::move(keywords)) {
  auto config = std::make_shared<AdapterConfig>();
  config->capabilities = caps_;
  config->current = InitialCurrentConfig(caps_, keywords_);
  config->vmq_enabled = caps_.vmq_supported && keywords_.Enabled(Keyword::kVmq);
  config_.store(std::move(config));
}

OidQueryResult Adapter::QueryOid(std::uint32_t oid, std::span<std::uint8_t> information_buffer,
                                 std::uint8_t revision) const {
  OidQueryResult r;
  if (oid != kOidTcpOffloadHardwareCapabilities && oid != kOidTcpOffloadCurrentConfig) {
    r.status = NdisStatus::kNotSupported;
    return r;
  }
  if (NdisOffloadSize(revision) == 0) {  // a revision NDIS_OFFLOAD never had
    r.status = NdisStatus::kInvalidParameter;
    return r;
  }
  const std::vector<std::uint8_t> image = oid == kOidTcpOffloadHardwareCapabilities
                                              ? HardwareCapabilities().ToBytes(revision)
                                              : CurrentConfig().ToBytes(revision);
  // Spec §7.1: "NDIS_STATUS_BUFFER_TOO_SHORT if too small", telling the size needed.
  if (information_buffer.size() < image.size()) {
    r.status = NdisStatus::kBufferTooShort;
    r.bytes_needed = static_cast<std::uint32_t>(image.size());
    return r;
  }
  std::copy(image.begin(), image.end(), information_buffer.begin());
  r.bytes_written = static_cast<std::uint32_t>(image.size());
  return r;
}

Keywords Adapter::keywords() const {
  std::lock_guard lock(mu_);
  return keywords_;
}

void Adapter::SetStatusCallback(StatusCallback cb) {
  std::lock_guard lock(mu_);
  status_ = std::move(cb);
}

void Adapter::SetDrainHook(DrainHook hook) {
  std::lock_guard lock(mu_);
  drain_ = std::move(hook);
}

void Adapter::SetPublishHook(PublishHook hook) {
  std::lock_guard lock(mu_);
  publish_ = std::move(hook);
}

void Adapter::Publish(std::shared_ptr<const AdapterConfig> next) {
  config_.store(std::move(next));
  if (publish_) publish_();
}

NdisStatus Adapter::SetOffloadParametersOid(std::span<const std::uint8_t> information_buffer) {
  const ParsedOffloadParameters parsed = ParseOffloadParameters(information_buffer);
  if (parsed.status != NdisStatus::kSuccess) return parsed.status;
  return SetOffloadParameters(parsed.parameters);
}

NdisStatus Adapter::SetOffloadParameters(const OffloadParameters& request) {
  if (OffloadParametersSize(request.revision) == 0) return NdisStatus::kInvalidData;
  const OffloadParameters p = Effective(request);
  std::lock_guard lock(mu_);
  const NdisOffload& hw = caps_.hardware;
  if (const NdisStatus st = Validate(p, hw); st != NdisStatus::kSuccess) return st;

  std::shared_ptr<const AdapterConfig> old = config_.load();
  auto next = std::make_shared<AdapterConfig>(*old);
  NdisOffload& c = next->current;

  ChecksumBits bits = BitsOf(c);
  ApplyChecksum(p.ipv4_checksum, bits.v4_ip_tx, bits.v4_ip_rx);
  ApplyChecksum(p.tcp_ipv4_checksum, bits.v4_tcp_tx, bits.v4_tcp_rx);
  ApplyChecksum(p.udp_ipv4_checksum, bits.v4_udp_tx, bits.v4_udp_rx);
  ApplyChecksum(p.tcp_ipv6_checksum, bits.v6_tcp_tx, bits.v6_tcp_rx);
  ApplyChecksum(p.udp_ipv6_checksum, bits.v6_udp_tx, bits.v6_udp_rx);
  SetChecksumMembers(c, hw, bits);
  auto on_off = [](std::uint8_t v, bool current) {
    return v == kOffloadParametersNoChange ? current : v == kOffloadParametersEnabled;
  };
  c.lso_v1 = OnOff(hw.lso_v1, on_off(p.lso_v1, c.lso_v1.encapsulation != 0));
  c.lso_v2_ipv4 = OnOff(hw.lso_v2_ipv4, on_off(p.lso_v2_ipv4, c.lso_v2_ipv4.encapsulation != 0));
  c.lso_v2_ipv6 = OnOff(hw.lso_v2_ipv6, on_off(p.lso_v2_ipv6, c.lso_v2_ipv6.encapsulation != 0));
  c.rsc_ipv4 = on_off(p.rsc_ipv4, c.rsc_ipv4);
  c.rsc_ipv6 = on_off(p.rsc_ipv6, c.rsc_ipv6);
  c.uso_ipv4 = OnOff(hw.uso_ipv4, on_off(p.uso_ipv4, c.uso_ipv4.encapsulation != 0));
  c.uso_ipv6 = OnOff(hw.uso_ipv6, on_off(p.uso_ipv6, c.uso_ipv6.encapsulation != 0));
  if (p.encapsulated_packet_task_offload == kNdisOffloadSetOn) {
    // Spec §8.2 [INFER]: CURRENT_CONFIG reports the advertised masks while active.
    c.encapsulated_packet_task_offload_gre = hw.encapsulated_packet_task_offload_gre;
    c.encapsulation_types = kNdisEncapsulationTypeGreMac;
  } else if (p.encapsulated_packet_task_offload == kNdisOffloadSetOff) {
    c.encapsulated_packet_task_offload_gre = EncapsulatedPacketTaskOffload::FromRaw(0, 0);
    c.encapsulation_types = 0;
  }
  const bool turning_off = old->encapsulated_offload_active() && !next->encapsulated_offload_active();
  const NdisOffload indicated = c;
  Publish(std::move(next));

  if (turning_off) {
    // Spec §8.3: before completing a SET_OFF, indicate up encapsulated packets still partially
    // processed. First let every packet that started with the old config finish (each engine
    // holds its snapshot for the packet/burst), then flush what is held across packets.
    while (old.use_count() > 1) std::this_thread::yield();
    if (drain_) drain_();
  }
  old.reset();

  // Spec §8.3 / §12: the OID-selected state persists in the standardized keywords.
  const ChecksumBits nb = BitsOf(indicated);
  auto set_kw = [&](Keyword k, std::int64_t v) { (void)keywords_.Set(k, v); };
  if (p.ipv4_checksum != 0) set_kw(Keyword::kIpChecksumOffloadIpv4, ChecksumKeyword(nb.v4_ip_tx, nb.v4_ip_rx));
  if (p.tcp_ipv4_checksum != 0) set_kw(Keyword::kTcpChecksumOffloadIpv4, ChecksumKeyword(nb.v4_tcp_tx, nb.v4_tcp_rx));
  if (p.udp_ipv4_checksum != 0) set_kw(Keyword::kUdpChecksumOffloadIpv4, ChecksumKeyword(nb.v4_udp_tx, nb.v4_udp_rx));
  if (p.tcp_ipv6_checksum != 0) set_kw(Keyword::kTcpChecksumOffloadIpv6, ChecksumKeyword(nb.v6_tcp_tx, nb.v6_tcp_rx));
  if (p.udp_ipv6_checksum != 0) set_kw(Keyword::kUdpChecksumOffloadIpv6, ChecksumKeyword(nb.v6_udp_tx, nb.v6_udp_rx));
  if (p.lso_v2_ipv4 != 0) set_kw(Keyword::kLsoV2Ipv4, p.lso_v2_ipv4 == kOffloadParametersEnabled);
  if (p.lso_v2_ipv6 != 0) set_kw(Keyword::kLsoV2Ipv6, p.lso_v2_ipv6 == kOffloadParametersEnabled);
  if (p.rsc_ipv4 != 0) set_kw(Keyword::kRscIpv4, p.rsc_ipv4 == kOffloadParametersEnabled);
  if (p.rsc_ipv6 != 0) set_kw(Keyword::kRscIpv6, p.rsc_ipv6 == kOffloadParametersEnabled);
  if (p.uso_ipv4 != 0) set_kw(Keyword::kUsoIpv4, p.uso_ipv4 == kOffloadParametersEnabled);
  if (p.uso_ipv6 != 0) set_kw(Keyword::kUsoIpv6, p.uso_ipv6 == kOffloadParametersEnabled);
  if (p.encapsulated_packet_task_offload != kNdisOffloadSetNoChange) {
    set_kw(Keyword::kEncapsulatedPacketTaskOffload,
           p.encapsulated_packet_task_offload == kNdisOffloadSetOn ? 1 : 0);
  }

  // Spec §8.3: the miniport MUST indicate NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG afterwards.
  if (status_) status_({NdisStatus::kTaskOffloadCurrentConfig, indicated});
  return NdisStatus::kSuccess;
}

NdisStatus Adapter::SetOffloadEncapsulation(const OffloadEncapsulation& e) {
  for (const auto* v : {&e.ipv4, &e.ipv6}) {
    if (v->enabled > kNdisOffloadSetOff) return NdisStatus::kInvalidParameter;
    if (v->enabled != kNdisOffloadSetOn) continue;
    if (v->encapsulation_type == kNdisEncapsulationNotSupported || v->header_size < 14 ||
        v->header_size > 22) {
      return NdisStatus::kInvalidParameter;
    }
    if ((v->encapsulation_type & ~kNdisEncapsulationIeee8023) != 0) return NdisStatus::kNotSupported;
  }
  std::lock_guard lock(mu_);
  auto next = std::make_shared<AdapterConfig>(*config_.load());
  if (e.ipv4.enabled != kNdisOffloadSetNoChange) next->offload_encapsulation_ipv4 = e.ipv4.enabled == kNdisOffloadSetOn;
  if (e.ipv6.enabled != kNdisOffloadSetNoChange) next->offload_encapsulation_ipv6 = e.ipv6.enabled == kNdisOffloadSetOn;
  Publish(std::move(next));
  return NdisStatus::kSuccess;
}

NdisStatus Adapter::SetRssParameters(const RssParameters& p) {
  std::lock_guard lock(mu_);
  if (!caps_.rss_supported || !keywords_.Enabled(Keyword::kRss)) return NdisStatus::kNotSupported;
  switch (ValidateRss(p, caps_.rss_queues)) {
    case RssParamError::kNone: break;
    case RssParamError::kUnsupportedHashType: return NdisStatus::kNotSupported;
    default: return NdisStatus::kInvalidParameter;
  }
  if (p.enabled && (p.hash_types & ~caps_.rss_hash_types) != 0) return NdisStatus::kNotSupported;
  auto next = std::make_shared<AdapterConfig>(*config_.load());
  next->rss = std::make_shared<const RssState>(p);
  Publish(std::move(next));
  return NdisStatus::kSuccess;
}

namespace {
NdisStatus StatusOf(VmqError e) {
  switch (e) {
    case VmqError::kNone: return NdisStatus::kSuccess;
    case VmqError::kTableFull: return NdisStatus::kResources;
    case VmqError::kUnsupportedField:
    case VmqError::kUnsupportedTest:
    case VmqError::kUnsupportedFlags: return NdisStatus::kNotSupported;
    default: return NdisStatus::kInvalidParameter;
  }
}
}  // namespace

NdisStatus Adapter::SetReceiveFilter(const ReceiveFilter& f) {
  std::lock_guard lock(mu_);
  std::shared_ptr<const AdapterConfig> old = config_.load();
  if (!old->vmq_enabled) return NdisStatus::kNotSupported;
  auto next = std::make_shared<AdapterConfig>(*old);
  if (const VmqError e = next->vmq.Set(f, caps_.vmq_queues); e != VmqError::kNone) return StatusOf(e);
  Publish(std::move(next));
  return NdisStatus::kSuccess;
}

NdisStatus Adapter::ClearReceiveFilter(std::uint32_t filter_id) {
  std::lock_guard lock(mu_);
  std::shared_ptr<const AdapterConfig> old = config_.load();
  if (!old->vmq_enabled) return NdisStatus::kNotSupported;
  auto next = std::make_shared<AdapterConfig>(*old);
  if (const VmqError e = next->vmq.Clear(filter_id); e != VmqError::kNone) return StatusOf(e);
  Publish(std::move(next));
  return NdisStatus::kSuccess;
}

}  // namespace nvgre::offload
