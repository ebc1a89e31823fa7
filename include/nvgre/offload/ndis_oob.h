// NDIS out-of-band (OOB) per-packet metadata, bit for bit (spec §2, §3.2, §4, §8.4, §10.1, §11.1).
//
// Each NET_BUFFER_LIST info slot that the NVGRE task offload uses is a C union of ULONG bitfield
// structs and a PVOID `Value`. Here each view of a slot is a 4-byte value type holding the raw
// ULONG (the low 32 bits of `Value`), with one accessor per NDIS member and named bit positions,
// so that a value read in a Windows debugger can be pasted in and a value we produce can be
// compared with one seen there:
//
//   auto supp = SendOffloadsSupplementalInfo::FromRaw(0x001438AB);  // from `dt` in WinDbg
//   supp.is_encapsulated_packet();        // true
//   supp.inner_l4_offset();               // 42 + 14 + 20 = 76
//   supp.ToString();  // "IsEncapsulatedPacket EncapsulatedPacketOffsetsValid InnerFrameOffset=42 ..."
//
//   auto lso = LsoV2TxInfo::Make({.mss = 1398, .ip_version = OffloadIpVersion::kIpv4});
//   if (!lso) ...;                        // a value did not fit its bitfield: refused, never cut
//   std::uint32_t value = lso->raw();     // 0x40000576
//
// Bitfield order is implementation-defined in C++, so no type here uses bitfields: every member
// is a `BitField{shift, width}` constant that matches MSVC's layout (first member in the least
// significant bits; all members ULONG, so none straddles a storage unit), which is what the
// Windows headers rely on. Where a header and a doc page disagree the header wins; each type
// names its source. Bits that the C struct does not name (the tail of a bitfield struct shorter
// than 32 bits) are modelled as `UnnamedBits`.
//
// Reserved and unnamed bits are PRESERVED: FromRaw(x).raw() == x for every x, and setters only
// touch their own bits. `Make()` writes 0 into reserved bits unless the caller supplies them. A
// consumer that must reject reserved bits checks the `reserved*()` accessors itself (NDIS tells
// miniports to ignore them, so the engines here do).
//
// FromRaw, raw, Make, accessors and setters are constexpr and never allocate; ToString and the
// name lists allocate and are for tools and tests. Setters of multi-bit fields return false and
// leave the value unchanged when the argument does not fit the field's width.
//
// ================================ CONTRACT (who writes what) =================================
// "Protocol driver" = the Windows TCP/IP stack or the filter driver that built the NVGRE packet;
// in this project, the code that prepares a frame as Windows would (`nvgre tx`, tests). "Tx
// engine" = our software NIC's transmit offloads (checksum, LSOv2, USO). "Rx engine" = our
// software NIC's receive offloads (checksum validation, RSS, VMQ). "Adapter" = the control
// plane (capabilities, OID_TCP_OFFLOAD_PARAMETERS state). Engines consult the adapter state for
// every packet: nothing encapsulated is offloaded before an OID has activated it (spec §8.1).
//
// Transmit (protocol driver fills, Tx engine reads):
//   SendOffloadsSupplementalInfo (slot TcpSendOffloadsSupplementalNetBufferListInfo, §2.1)
//     Filled by the protocol driver for every encapsulated packet that also carries checksum,
//     LSO or USO info; meaningless (and ignored) without one of those. IsEncapsulatedPacket=1
//     switches the Tx engine to NVGRE handling; EncapsulatedPacketOffsetsValid=1 means the three
//     offsets are filled (InnerFrameOffset from the packet start, TransportIpHeaderRelativeOffset
//     from the inner frame, TcpHeaderRelativeOffset from the inner IP header -- for USO it points
//     at the UDP header); IsInnerIPv6 gives the inner version; TcpOptionsPresent says the inner
//     TCP header is longer than 20 bytes. The Tx engine re-parses the packet and refuses it
//     ("offsets that disagree") when valid offsets do not match what it finds; with
//     OffsetsValid=0 it uses its own parse [INFER]. Never written back.
//   ChecksumTxInfo (slot TcpIpChecksumNetBufferListInfo, Transmit view, §2.2, §3.1)
//     Filled by the protocol driver. "Requested" = (IsIPv4 or IsIPv6) and at least one of
//     TcpChecksum / UdpChecksum / IpHeaderChecksum; with neither version bit the engine does no
//     checksum work at all. For an encapsulated packet IsIPv4/IsIPv6 describe the OUTER header,
//     IpHeaderChecksum asks for every IPv4 header checksum (outer and inner), Tcp/UdpChecksum ask
//     for the inner L4 checksum, and TcpHeaderOffset is wrong and ignored. The stack has zeroed
//     the IPv4 header checksums and seeded the L4 checksum with the pseudo-header sum. The Tx
//     engine fills the checksum fields in the frame and leaves this word unchanged.
//   LsoV2TxInfo (slot TcpLargeSendNetBufferListInfo, LsoV2Transmit view, §2.3, §4)
//     Filled by the protocol driver; Type=1 (V2). "Requested" = the slot is non-zero and Type=V2.
//     MSS is the inner TCP payload per segment, already reduced by the encapsulation overhead;
//     MSS=0 is refused. IPVersion describes the outer header for NVGRE [INFER]. TcpHeaderOffset
//     is ignored when IsEncapsulatedPacket is set. When the engine has sent every segment it
//     writes LsoV2TransmitComplete over the slot: Reserved (bits 0-29) = 0 and Type = 1, bit 31
//     left as it was (`LsoV2CompleteInfo::Completing`). Segments it emits carry no LSO info
//     (slot 0, as NetAdapterCx's software segmentation does) but keep the checksum request. On a
//     refusal the slot is left unchanged and the packet is not sent.
//   LsoV1TxInfo (LsoV1Transmit view): never valid for an encapsulated packet (§4); the Tx engine
//     refuses LSOv1 + IsEncapsulatedPacket. For a plain packet, completion writes the TCP
//     payload bytes actually sent into LsoV1TransmitComplete.TcpPayload (bits 30-31 unchanged).
//   UdpSegmentationTxInfo (slot UdpSegmentationOffloadInfo, Transmit view, NDIS 6.83+; over
//     NVGRE NDIS 6.85) Filled by the protocol driver; "requested" = MSS != 0. MSS is the UDP
//     payload per datagram; UdpHeaderOffset is ignored for encapsulated packets; Reserved is
//     neither read nor written. No completion view exists: the engine leaves the slot as it is.
//
// Receive (Rx engine fills; it zeroes every slot below before it looks at a frame):
//   ChecksumRxInfo (slot TcpIpChecksumNetBufferListInfo, Receive view, §3.2)
//     A Succeeded or Failed flag is set only for a check the engine performed; both clear means
//     "not checked, verify in software". IpChecksumSucceeded = every IPv4 header checksum
//     checked (outer and inner) is good; IpChecksumFailed = at least one is bad; never both. When
//     only one of the two IP headers is IPv4 (mixed mode) the IP flags describe that one [INFER].
//     Tcp/UdpChecksum* describe the inner L4 of an NVGRE packet (the only L4 otherwise). Loopback
//     is NDIS's: never set. TcpChecksumValueInvalid / IpChecksumValueInvalid are written only by
//     a receive coalescer (RSC) whose merged frame no longer carries valid checksum fields.
//   HashInfo (slot NetBufferListHashInfo) + the 32-bit hash value (slot NetBufferListHashValue)
//     Filled only when a hash was computed: the type is the single NDIS_HASH_* flag for the
//     tuple actually hashed (e.g. NDIS_HASH_TCP_IPV4 for an inner TCP/IPv4 4-tuple), the function
//     NdisHashFunctionToeplitz. Not computed -> both slots stay 0 (§10.1).
//   FilteringInfo (slot NetBufferListFilteringInfo, §8.4, §11)
//     QueueId = the VMQ queue the frame was steered to (0 = default queue); FilterId always 0
//     (NDIS 6.20+). Filled for every frame the VMQ stage handled.
//   VirtualSubnetInfo (slot VirtualSubnetInfo, §11.1)
//     Not filled by the NIC for NVGRE task offload. Our decapsulation (virt layer) may fill
//     VirtualSubnetId from the GRE key for the host side; ReservedVsidBits is written 0.
// =============================================================================================
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace nvgre::offload {

// One member of a ULONG bitfield struct: `width` bits starting at bit `shift` (bit 0 = LSB).
struct BitField {
  std::uint8_t shift = 0;
  std::uint8_t width = 0;

  constexpr std::uint32_t max() const {
    return width >= 32 ? 0xFFFFFFFFu : (std::uint32_t{1} << width) - 1u;
  }
  constexpr std::uint32_t mask() const { return max() << shift; }
  constexpr bool Fits(std::uint32_t v) const { return v <= max(); }
  constexpr std::uint32_t Get(std::uint32_t raw) const { return (raw >> shift) & max(); }
  // `raw` with this field replaced by `v`. Bits of `v` above the width are dropped: callers that
  // take outside values check Fits() first (the setters below do).
  constexpr std::uint32_t Put(std::uint32_t raw, std::uint32_t v) const {
    return (raw & ~mask()) | ((v & max()) << shift);
  }
  friend constexpr bool operator==(BitField, BitField) = default;
};

// How ToString() prints a member.
enum class FieldKind : std::uint8_t {
  kFlag,      // 1 bit; its name when set
  kNumber,    // Name=<decimal> when non-zero
  kEnum,      // 1 bit with named values; always Name=<value name>
  kReserved,  // Name=0x<hex> when non-zero (reserved and unnamed bits)
};

struct FieldSpec {
  std::string_view name;      // the NDIS member name ("UnnamedBits" for bits the struct skips)
  BitField bits;
  FieldKind kind = FieldKind::kFlag;
  std::string_view value0{};  // kEnum: the NDIS constant names of 0 and 1
  std::string_view value1{};
};

// True when `layout` lists its fields in bit order, without gaps or overlaps, covering bits
// 0..31 exactly (every bit of the raw ULONG belongs to exactly one field).
constexpr bool LayoutIsPartition(std::span<const FieldSpec> layout) {
  unsigned next = 0;
  for (const FieldSpec& f : layout) {
    if (f.bits.shift != next || f.bits.width == 0) return false;
    next += f.bits.width;
  }
  return next == 32;
}

// Formatting and names over a layout (allocates; tools and tests only).
std::string FormatLayout(std::span<const FieldSpec> layout, std::uint32_t raw);
std::vector<std::string_view> SetFlagNames(std::span<const FieldSpec> layout, std::uint32_t raw);
// The mask of the 1-bit kFlag member called `name` (ASCII case-insensitive), if there is one.
std::optional<std::uint32_t> ParseFlagName(std::span<const FieldSpec> layout, std::string_view name);

// Shared part of every 32-bit OOB view. `Derived` provides `static constexpr kLayout`.
template <class Derived>
class OobWord {
 public:
  // Any value is accepted and kept bit for bit, reserved bits included.
  static constexpr Derived FromRaw(std::uint32_t raw) {
    Derived d;
    static_cast<OobWord&>(d).raw_ = raw;
    return d;
  }
  constexpr std::uint32_t raw() const { return raw_; }
  constexpr std::uint32_t Get(BitField f) const { return f.Get(raw_); }

  // Set members by their NDIS names, e.g. "IsIPv4 TcpChecksum TcpHeaderOffset=34"; "none" if
  // nothing is printed.
  std::string ToString() const { return FormatLayout(Derived::kLayout, raw_); }
  // Names of the 1-bit flags that are set, in bit order.
  std::vector<std::string_view> FlagNames() const { return SetFlagNames(Derived::kLayout, raw_); }
  static std::optional<std::uint32_t> ParseFlagName(std::string_view name) {
    return offload::ParseFlagName(Derived::kLayout, name);
  }

  constexpr bool operator==(const OobWord&) const = default;

 protected:
  constexpr void Put(BitField f, std::uint32_t v) { raw_ = f.Put(raw_, v); }
  constexpr void PutFlag(BitField f, bool v) { raw_ = f.Put(raw_, v ? 1u : 0u); }
  constexpr bool PutChecked(BitField f, std::uint32_t v) {
    if (!f.Fits(v)) return false;
    raw_ = f.Put(raw_, v);
    return true;
  }

  std::uint32_t raw_ = 0;
};

template <class T>
concept OobValue = std::derived_from<T, OobWord<T>>;

std::ostream& WriteOobString(std::ostream& os, const std::string& s);
template <OobValue T>
std::ostream& operator<<(std::ostream& os, const T& v) {
  return WriteOobString(os, v.ToString());
}

// ---------------------------------------------------------------------------------------------
// NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO, Transmit view (nblchecksum.h; spec §2.2):
//   bit 0 IsIPv4 | 1 IsIPv6 | 2 TcpChecksum | 3 UdpChecksum | 4 IpHeaderChecksum |
//   5-15 Reserved:11 | 16-25 TcpHeaderOffset:10 | 26-31 (not in the struct)
class ChecksumTxInfo : public OobWord<ChecksumTxInfo> {
 public:
  static constexpr BitField kIsIpv4{0, 1};
  static constexpr BitField kIsIpv6{1, 1};
  static constexpr BitField kTcpChecksum{2, 1};
  static constexpr BitField kUdpChecksum{3, 1};
  static constexpr BitField kIpHeaderChecksum{4, 1};
  static constexpr BitField kReserved{5, 11};
  static constexpr BitField kTcpHeaderOffset{16, 10};  // bytes from the frame start (legacy)
  static constexpr BitField kUnnamedBits{26, 6};
  static constexpr std::array<FieldSpec, 8> kLayout{{
      {"IsIPv4", kIsIpv4},
      {"IsIPv6", kIsIpv6},
      {"TcpChecksum", kTcpChecksum},
      {"UdpChecksum", kUdpChecksum},
      {"IpHeaderChecksum", kIpHeaderChecksum},
      {"Reserved", kReserved, FieldKind::kReserved},
      {"TcpHeaderOffset", kTcpHeaderOffset, FieldKind::kNumber},
      {"UnnamedBits", kUnnamedBits, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    bool is_ipv4 = false;
    bool is_ipv6 = false;
    bool tcp_checksum = false;
    bool udp_checksum = false;
    bool ip_header_checksum = false;
    std::uint32_t reserved = 0;
    std::uint32_t tcp_header_offset = 0;
    std::uint32_t unnamed_bits = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  // nullopt when a multi-bit member does not fit its width.
  static constexpr std::optional<ChecksumTxInfo> Make(const Fields& f) {
    ChecksumTxInfo i;
    i.set_is_ipv4(f.is_ipv4);
    i.set_is_ipv6(f.is_ipv6);
    i.set_tcp_checksum(f.tcp_checksum);
    i.set_udp_checksum(f.udp_checksum);
    i.set_ip_header_checksum(f.ip_header_checksum);
    if (!i.set_reserved(f.reserved) || !i.set_tcp_header_offset(f.tcp_header_offset) ||
        !i.set_unnamed_bits(f.unnamed_bits)) {
      return std::nullopt;
    }
    return i;
  }
  constexpr Fields fields() const {
    return {is_ipv4(), is_ipv6(), tcp_checksum(), udp_checksum(), ip_header_checksum(),
            reserved(), tcp_header_offset(), unnamed_bits()};
  }

  constexpr bool is_ipv4() const { return Get(kIsIpv4) != 0; }
  constexpr bool is_ipv6() const { return Get(kIsIpv6) != 0; }
  constexpr bool tcp_checksum() const { return Get(kTcpChecksum) != 0; }
  constexpr bool udp_checksum() const { return Get(kUdpChecksum) != 0; }
  constexpr bool ip_header_checksum() const { return Get(kIpHeaderChecksum) != 0; }
  constexpr std::uint32_t reserved() const { return Get(kReserved); }
  constexpr std::uint32_t tcp_header_offset() const { return Get(kTcpHeaderOffset); }
  constexpr std::uint32_t unnamed_bits() const { return Get(kUnnamedBits); }

  constexpr void set_is_ipv4(bool v) { PutFlag(kIsIpv4, v); }
  constexpr void set_is_ipv6(bool v) { PutFlag(kIsIpv6, v); }
  constexpr void set_tcp_checksum(bool v) { PutFlag(kTcpChecksum, v); }
  constexpr void set_udp_checksum(bool v) { PutFlag(kUdpChecksum, v); }
  constexpr void set_ip_header_checksum(bool v) { PutFlag(kIpHeaderChecksum, v); }
  [[nodiscard]] constexpr bool set_reserved(std::uint32_t v) { return PutChecked(kReserved, v); }
  [[nodiscard]] constexpr bool set_tcp_header_offset(std::uint32_t v) {
    return PutChecked(kTcpHeaderOffset, v);
  }
  [[nodiscard]] constexpr bool set_unnamed_bits(std::uint32_t v) {
    return PutChecked(kUnnamedBits, v);
  }

  // See the contract: a version bit and at least one checksum bit.
  constexpr bool requested() const {
    return (is_ipv4() || is_ipv6()) && (tcp_checksum() || udp_checksum() || ip_header_checksum());
  }

  friend constexpr bool operator==(const ChecksumTxInfo&, const ChecksumTxInfo&) = default;
};

// ---------------------------------------------------------------------------------------------
// NDIS_TCP_IP_CHECKSUM_NET_BUFFER_LIST_INFO, Receive view (nblchecksum.h; spec §2.2, §3.2):
//   bit 0 TcpChecksumFailed | 1 UdpChecksumFailed | 2 IpChecksumFailed | 3 TcpChecksumSucceeded |
//   4 UdpChecksumSucceeded | 5 IpChecksumSucceeded | 6 Loopback | 7 TcpChecksumValueInvalid |
//   8 IpChecksumValueInvalid (7-8 NDIS 6.30+, RSC only) | 9-31 (not in the struct)
class ChecksumRxInfo : public OobWord<ChecksumRxInfo> {
 public:
  static constexpr BitField kTcpChecksumFailed{0, 1};
  static constexpr BitField kUdpChecksumFailed{1, 1};
  static constexpr BitField kIpChecksumFailed{2, 1};
  static constexpr BitField kTcpChecksumSucceeded{3, 1};
  static constexpr BitField kUdpChecksumSucceeded{4, 1};
  static constexpr BitField kIpChecksumSucceeded{5, 1};
  static constexpr BitField kLoopback{6, 1};
  static constexpr BitField kTcpChecksumValueInvalid{7, 1};
  static constexpr BitField kIpChecksumValueInvalid{8, 1};
  static constexpr BitField kUnnamedBits{9, 23};
  static constexpr std::array<FieldSpec, 10> kLayout{{
      {"TcpChecksumFailed", kTcpChecksumFailed},
      {"UdpChecksumFailed", kUdpChecksumFailed},
      {"IpChecksumFailed", kIpChecksumFailed},
      {"TcpChecksumSucceeded", kTcpChecksumSucceeded},
      {"UdpChecksumSucceeded", kUdpChecksumSucceeded},
      {"IpChecksumSucceeded", kIpChecksumSucceeded},
      {"Loopback", kLoopback},
      {"TcpChecksumValueInvalid", kTcpChecksumValueInvalid},
      {"IpChecksumValueInvalid", kIpChecksumValueInvalid},
      {"UnnamedBits", kUnnamedBits, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    bool tcp_checksum_failed = false;
    bool udp_checksum_failed = false;
    bool ip_checksum_failed = false;
    bool tcp_checksum_succeeded = false;
    bool udp_checksum_succeeded = false;
    bool ip_checksum_succeeded = false;
    bool loopback = false;
    bool tcp_checksum_value_invalid = false;
    bool ip_checksum_value_invalid = false;
    std::uint32_t unnamed_bits = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<ChecksumRxInfo> Make(const Fields& f) {
    ChecksumRxInfo i;
    i.set_tcp_checksum_failed(f.tcp_checksum_failed);
    i.set_udp_checksum_failed(f.udp_checksum_failed);
    i.set_ip_checksum_failed(f.ip_checksum_failed);
    i.set_tcp_checksum_succeeded(f.tcp_checksum_succeeded);
    i.set_udp_checksum_succeeded(f.udp_checksum_succeeded);
    i.set_ip_checksum_succeeded(f.ip_checksum_succeeded);
    i.set_loopback(f.loopback);
    i.set_tcp_checksum_value_invalid(f.tcp_checksum_value_invalid);
    i.set_ip_checksum_value_invalid(f.ip_checksum_value_invalid);
    if (!i.set_unnamed_bits(f.unnamed_bits)) return std::nullopt;
    return i;
  }
  constexpr Fields fields() const {
    return {tcp_checksum_failed(),    udp_checksum_failed(),       ip_checksum_failed(),
            tcp_checksum_succeeded(), udp_checksum_succeeded(),    ip_checksum_succeeded(),
            loopback(),               tcp_checksum_value_invalid(), ip_checksum_value_invalid(),
            unnamed_bits()};
  }

  constexpr bool tcp_checksum_failed() const { return Get(kTcpChecksumFailed) != 0; }
  constexpr bool udp_checksum_failed() const { return Get(kUdpChecksumFailed) != 0; }
  constexpr bool ip_checksum_failed() const { return Get(kIpChecksumFailed) != 0; }
  constexpr bool tcp_checksum_succeeded() const { return Get(kTcpChecksumSucceeded) != 0; }
  constexpr bool udp_checksum_succeeded() const { return Get(kUdpChecksumSucceeded) != 0; }
  constexpr bool ip_checksum_succeeded() const { return Get(kIpChecksumSucceeded) != 0; }
  constexpr bool loopback() const { return Get(kLoopback) != 0; }
  constexpr bool tcp_checksum_value_invalid() const { return Get(kTcpChecksumValueInvalid) != 0; }
  constexpr bool ip_checksum_value_invalid() const { return Get(kIpChecksumValueInvalid) != 0; }
  constexpr std::uint32_t unnamed_bits() const { return Get(kUnnamedBits); }

  constexpr void set_tcp_checksum_failed(bool v) { PutFlag(kTcpChecksumFailed, v); }
  constexpr void set_udp_checksum_failed(bool v) { PutFlag(kUdpChecksumFailed, v); }
  constexpr void set_ip_checksum_failed(bool v) { PutFlag(kIpChecksumFailed, v); }
  constexpr void set_tcp_checksum_succeeded(bool v) { PutFlag(kTcpChecksumSucceeded, v); }
  constexpr void set_udp_checksum_succeeded(bool v) { PutFlag(kUdpChecksumSucceeded, v); }
  constexpr void set_ip_checksum_succeeded(bool v) { PutFlag(kIpChecksumSucceeded, v); }
  constexpr void set_loopback(bool v) { PutFlag(kLoopback, v); }
  constexpr void set_tcp_checksum_value_invalid(bool v) { PutFlag(kTcpChecksumValueInvalid, v); }
  constexpr void set_ip_checksum_value_invalid(bool v) { PutFlag(kIpChecksumValueInvalid, v); }
  [[nodiscard]] constexpr bool set_unnamed_bits(std::uint32_t v) {
    return PutChecked(kUnnamedBits, v);
  }

  // False when a Succeeded and the matching Failed flag are both set (the Rx engine never
  // produces that).
  constexpr bool consistent() const {
    return !(tcp_checksum_failed() && tcp_checksum_succeeded()) &&
           !(udp_checksum_failed() && udp_checksum_succeeded()) &&
           !(ip_checksum_failed() && ip_checksum_succeeded());
  }

  friend constexpr bool operator==(const ChecksumRxInfo&, const ChecksumRxInfo&) = default;
};

// ---------------------------------------------------------------------------------------------
// NDIS_TCP_LARGE_SEND_OFFLOAD_NET_BUFFER_LIST_INFO (nbllso.h; spec §2.3, §4). Five views of one
// ULONG; bit 30 (`Type`) is common to all of them and tells V1 from V2.
inline constexpr std::uint32_t kNdisTcpLargeSendOffloadV1Type = 0;  // NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE
inline constexpr std::uint32_t kNdisTcpLargeSendOffloadV2Type = 1;  // NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE
inline constexpr std::uint32_t kNdisTcpLargeSendOffloadIpv4 = 0;    // NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4
inline constexpr std::uint32_t kNdisTcpLargeSendOffloadIpv6 = 1;    // NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6
// NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4 / _IPV6 (nbluso.h)
inline constexpr std::uint32_t kNdisUdpSegmentationOffloadIpv4 = 0;
inline constexpr std::uint32_t kNdisUdpSegmentationOffloadIpv6 = 1;

enum class LsoType : std::uint8_t { kV1 = 0, kV2 = 1 };
enum class OffloadIpVersion : std::uint8_t { kIpv4 = 0, kIpv6 = 1 };  // LSOv2 and USO IPVersion

// Transmit view: bits 0-29 Unused, bit 30 Type, bit 31 Reserved2.
inline constexpr BitField kLsoType{30, 1};
constexpr LsoType LsoTypeOf(std::uint32_t raw) {
  return kLsoType.Get(raw) != 0 ? LsoType::kV2 : LsoType::kV1;
}
// NDIS miniports treat a non-zero slot as an LSO request; Type then selects the view.
constexpr bool LsoRequested(std::uint32_t raw) { return raw != 0; }

// LsoV2Transmit: bits 0-19 MSS | 20-29 TcpHeaderOffset | 30 Type | 31 IPVersion
class LsoV2TxInfo : public OobWord<LsoV2TxInfo> {
 public:
  static constexpr BitField kMss{0, 20};
  static constexpr BitField kTcpHeaderOffset{20, 10};
  static constexpr BitField kType = kLsoType;
  static constexpr BitField kIpVersion{31, 1};
  static constexpr std::array<FieldSpec, 4> kLayout{{
      {"MSS", kMss, FieldKind::kNumber},
      {"TcpHeaderOffset", kTcpHeaderOffset, FieldKind::kNumber},
      {"Type", kType, FieldKind::kEnum, "NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE",
       "NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE"},
      {"IPVersion", kIpVersion, FieldKind::kEnum, "NDIS_TCP_LARGE_SEND_OFFLOAD_IPv4",
       "NDIS_TCP_LARGE_SEND_OFFLOAD_IPv6"},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    std::uint32_t mss = 0;
    std::uint32_t tcp_header_offset = 0;
    LsoType type = LsoType::kV2;
    OffloadIpVersion ip_version = OffloadIpVersion::kIpv4;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<LsoV2TxInfo> Make(const Fields& f) {
    LsoV2TxInfo i;
    if (!i.set_mss(f.mss) || !i.set_tcp_header_offset(f.tcp_header_offset)) return std::nullopt;
    i.set_type(f.type);
    i.set_ip_version(f.ip_version);
    return i;
  }
  constexpr Fields fields() const { return {mss(), tcp_header_offset(), type(), ip_version()}; }

  constexpr std::uint32_t mss() const { return Get(kMss); }
  constexpr std::uint32_t tcp_header_offset() const { return Get(kTcpHeaderOffset); }
  constexpr LsoType type() const { return LsoTypeOf(raw_); }
  constexpr OffloadIpVersion ip_version() const {
    return Get(kIpVersion) != 0 ? OffloadIpVersion::kIpv6 : OffloadIpVersion::kIpv4;
  }
  [[nodiscard]] constexpr bool set_mss(std::uint32_t v) { return PutChecked(kMss, v); }
  [[nodiscard]] constexpr bool set_tcp_header_offset(std::uint32_t v) {
    return PutChecked(kTcpHeaderOffset, v);
  }
  constexpr void set_type(LsoType v) { PutFlag(kType, v == LsoType::kV2); }
  constexpr void set_ip_version(OffloadIpVersion v) {
    PutFlag(kIpVersion, v == OffloadIpVersion::kIpv6);
  }

  // An LSOv2 request: Type = V2 and the slot non-zero (MSS 0 is then a refusal, not "off").
  constexpr bool requested() const { return LsoRequested(raw_) && type() == LsoType::kV2; }

  friend constexpr bool operator==(const LsoV2TxInfo&, const LsoV2TxInfo&) = default;
};

// LsoV1Transmit: bits 0-19 MSS | 20-29 TcpHeaderOffset | 30 Type | 31 Reserved2
class LsoV1TxInfo : public OobWord<LsoV1TxInfo> {
 public:
  static constexpr BitField kMss{0, 20};
  static constexpr BitField kTcpHeaderOffset{20, 10};
  static constexpr BitField kType = kLsoType;
  static constexpr BitField kReserved2{31, 1};
  static constexpr std::array<FieldSpec, 4> kLayout{{
      {"MSS", kMss, FieldKind::kNumber},
      {"TcpHeaderOffset", kTcpHeaderOffset, FieldKind::kNumber},
      {"Type", kType, FieldKind::kEnum, "NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE",
       "NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE"},
      {"Reserved2", kReserved2, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    std::uint32_t mss = 0;
    std::uint32_t tcp_header_offset = 0;
    LsoType type = LsoType::kV1;
    std::uint32_t reserved2 = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<LsoV1TxInfo> Make(const Fields& f) {
    LsoV1TxInfo i;
    if (!i.set_mss(f.mss) || !i.set_tcp_header_offset(f.tcp_header_offset) ||
        !i.set_reserved2(f.reserved2)) {
      return std::nullopt;
    }
    i.set_type(f.type);
    return i;
  }
  constexpr Fields fields() const { return {mss(), tcp_header_offset(), type(), reserved2()}; }

  constexpr std::uint32_t mss() const { return Get(kMss); }
  constexpr std::uint32_t tcp_header_offset() const { return Get(kTcpHeaderOffset); }
  constexpr LsoType type() const { return LsoTypeOf(raw_); }
  constexpr std::uint32_t reserved2() const { return Get(kReserved2); }
  [[nodiscard]] constexpr bool set_mss(std::uint32_t v) { return PutChecked(kMss, v); }
  [[nodiscard]] constexpr bool set_tcp_header_offset(std::uint32_t v) {
    return PutChecked(kTcpHeaderOffset, v);
  }
  constexpr void set_type(LsoType v) { PutFlag(kType, v == LsoType::kV2); }
  [[nodiscard]] constexpr bool set_reserved2(std::uint32_t v) { return PutChecked(kReserved2, v); }

  friend constexpr bool operator==(const LsoV1TxInfo&, const LsoV1TxInfo&) = default;
};

// LsoV2TransmitComplete: bits 0-29 Reserved | 30 Type | 31 Reserved2
class LsoV2CompleteInfo : public OobWord<LsoV2CompleteInfo> {
 public:
  static constexpr BitField kReserved{0, 30};
  static constexpr BitField kType = kLsoType;
  static constexpr BitField kReserved2{31, 1};
  static constexpr std::array<FieldSpec, 3> kLayout{{
      {"Reserved", kReserved, FieldKind::kReserved},
      {"Type", kType, FieldKind::kEnum, "NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE",
       "NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE"},
      {"Reserved2", kReserved2, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    std::uint32_t reserved = 0;
    LsoType type = LsoType::kV2;
    std::uint32_t reserved2 = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<LsoV2CompleteInfo> Make(const Fields& f) {
    LsoV2CompleteInfo i;
    if (!i.set_reserved(f.reserved) || !i.set_reserved2(f.reserved2)) return std::nullopt;
    i.set_type(f.type);
    return i;
  }
  constexpr Fields fields() const { return {reserved(), type(), reserved2()}; }

  // What the LSO engine writes over the request when the send completes (base LSOv2 rules,
  // spec §4): the two bitfield stores `Reserved = 0; Type = NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE`.
  // Bit 31 (Reserved2 here, IPVersion in the request) is not written and keeps its value, as
  // with the C bitfield stores a miniport performs.
  static constexpr LsoV2CompleteInfo Completing(LsoV2TxInfo request) {
    LsoV2CompleteInfo i = FromRaw(request.raw());
    i.Put(kReserved, 0);
    i.set_type(LsoType::kV2);
    return i;
  }

  constexpr std::uint32_t reserved() const { return Get(kReserved); }
  constexpr LsoType type() const { return LsoTypeOf(raw_); }
  constexpr std::uint32_t reserved2() const { return Get(kReserved2); }
  [[nodiscard]] constexpr bool set_reserved(std::uint32_t v) { return PutChecked(kReserved, v); }
  constexpr void set_type(LsoType v) { PutFlag(kType, v == LsoType::kV2); }
  [[nodiscard]] constexpr bool set_reserved2(std::uint32_t v) { return PutChecked(kReserved2, v); }

  friend constexpr bool operator==(const LsoV2CompleteInfo&, const LsoV2CompleteInfo&) = default;
};

// LsoV1TransmitComplete: bits 0-29 TcpPayload | 30 Type | 31 Reserved2
class LsoV1CompleteInfo : public OobWord<LsoV1CompleteInfo> {
 public:
  static constexpr BitField kTcpPayload{0, 30};
  static constexpr BitField kType = kLsoType;
  static constexpr BitField kReserved2{31, 1};
  static constexpr std::array<FieldSpec, 3> kLayout{{
      {"TcpPayload", kTcpPayload, FieldKind::kNumber},
      {"Type", kType, FieldKind::kEnum, "NDIS_TCP_LARGE_SEND_OFFLOAD_V1_TYPE",
       "NDIS_TCP_LARGE_SEND_OFFLOAD_V2_TYPE"},
      {"Reserved2", kReserved2, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    std::uint32_t tcp_payload = 0;
    LsoType type = LsoType::kV1;
    std::uint32_t reserved2 = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<LsoV1CompleteInfo> Make(const Fields& f) {
    LsoV1CompleteInfo i;
    if (!i.set_tcp_payload(f.tcp_payload) || !i.set_reserved2(f.reserved2)) return std::nullopt;
    i.set_type(f.type);
    return i;
  }
  constexpr Fields fields() const { return {tcp_payload(), type(), reserved2()}; }

  // The LSOv1 completion: TcpPayload = TCP payload bytes actually sent; bits 30-31 unchanged.
  // nullopt when `tcp_payload_sent` does not fit 30 bits.
  static constexpr std::optional<LsoV1CompleteInfo> Completing(LsoV1TxInfo request,
                                                               std::uint32_t tcp_payload_sent) {
    LsoV1CompleteInfo i = FromRaw(request.raw());
    if (!i.set_tcp_payload(tcp_payload_sent)) return std::nullopt;
    return i;
  }

  constexpr std::uint32_t tcp_payload() const { return Get(kTcpPayload); }
  constexpr LsoType type() const { return LsoTypeOf(raw_); }
  constexpr std::uint32_t reserved2() const { return Get(kReserved2); }
  [[nodiscard]] constexpr bool set_tcp_payload(std::uint32_t v) {
    return PutChecked(kTcpPayload, v);
  }
  constexpr void set_type(LsoType v) { PutFlag(kType, v == LsoType::kV2); }
  [[nodiscard]] constexpr bool set_reserved2(std::uint32_t v) { return PutChecked(kReserved2, v); }

  friend constexpr bool operator==(const LsoV1CompleteInfo&, const LsoV1CompleteInfo&) = default;
};

// ---------------------------------------------------------------------------------------------
// NDIS_TCP_SEND_OFFLOADS_SUPPLEMENTAL_NET_BUFFER_LIST_INFO.EncapsulatedPacketOffsets (ndis.h,
// NDIS 6.30+; spec §2.1):
//   bit 0 IsEncapsulatedPacket | 1 EncapsulatedPacketOffsetsValid | 2-9 InnerFrameOffset:8 |
//   10-15 TransportIpHeaderRelativeOffset:6 | 16-25 TcpHeaderRelativeOffset:10 |
//   26 IsInnerIPv6 | 27 TcpOptionsPresent | 28-31 Reserved:4
// All offsets in bytes. NVGRE IPv4/IPv4 TCP, no VLAN: 42 / 14 / 20 -> raw 0x001438AB.
class SendOffloadsSupplementalInfo : public OobWord<SendOffloadsSupplementalInfo> {
 public:
  static constexpr BitField kIsEncapsulatedPacket{0, 1};
  static constexpr BitField kEncapsulatedPacketOffsetsValid{1, 1};
  static constexpr BitField kInnerFrameOffset{2, 8};                  // from the packet start
  static constexpr BitField kTransportIpHeaderRelativeOffset{10, 6};  // from the inner frame
  static constexpr BitField kTcpHeaderRelativeOffset{16, 10};         // from the inner IP header
  static constexpr BitField kIsInnerIpv6{26, 1};
  static constexpr BitField kTcpOptionsPresent{27, 1};
  static constexpr BitField kReserved{28, 4};
  static constexpr std::array<FieldSpec, 8> kLayout{{
      {"IsEncapsulatedPacket", kIsEncapsulatedPacket},
      {"EncapsulatedPacketOffsetsValid", kEncapsulatedPacketOffsetsValid},
      {"InnerFrameOffset", kInnerFrameOffset, FieldKind::kNumber},
      {"TransportIpHeaderRelativeOffset", kTransportIpHeaderRelativeOffset, FieldKind::kNumber},
      {"TcpHeaderRelativeOffset", kTcpHeaderRelativeOffset, FieldKind::kNumber},
      {"IsInnerIPv6", kIsInnerIpv6},
      {"TcpOptionsPresent", kTcpOptionsPresent},
      {"Reserved", kReserved, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    bool is_encapsulated_packet = false;
    bool encapsulated_packet_offsets_valid = false;
    std::uint32_t inner_frame_offset = 0;
    std::uint32_t transport_ip_header_relative_offset = 0;
    std::uint32_t tcp_header_relative_offset = 0;
    bool is_inner_ipv6 = false;
    bool tcp_options_present = false;
    std::uint32_t reserved = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  // nullopt when an offset (or `reserved`) does not fit its width: such a packet cannot be
  // described to the NIC and must not be offloaded.
  static constexpr std::optional<SendOffloadsSupplementalInfo> Make(const Fields& f) {
    SendOffloadsSupplementalInfo i;
    i.set_is_encapsulated_packet(f.is_encapsulated_packet);
    i.set_encapsulated_packet_offsets_valid(f.encapsulated_packet_offsets_valid);
    if (!i.set_inner_frame_offset(f.inner_frame_offset) ||
        !i.set_transport_ip_header_relative_offset(f.transport_ip_header_relative_offset) ||
        !i.set_tcp_header_relative_offset(f.tcp_header_relative_offset) ||
        !i.set_reserved(f.reserved)) {
      return std::nullopt;
    }
    i.set_is_inner_ipv6(f.is_inner_ipv6);
    i.set_tcp_options_present(f.tcp_options_present);
    return i;
  }
  // The protocol driver's fill from absolute frame offsets (e.g. the classifier's inner_l2,
  // inner_l3 and inner_l4): IsEncapsulatedPacket = OffsetsValid = 1. nullopt when the offsets
  // are out of order or a relative offset does not fit its field.
  static constexpr std::optional<SendOffloadsSupplementalInfo> FromAbsoluteOffsets(
      std::uint32_t inner_frame, std::uint32_t inner_l3, std::uint32_t inner_l4,
      bool is_inner_ipv6, bool tcp_options_present) {
    if (inner_l3 < inner_frame || inner_l4 < inner_l3) return std::nullopt;
    return Make({.is_encapsulated_packet = true,
                 .encapsulated_packet_offsets_valid = true,
                 .inner_frame_offset = inner_frame,
                 .transport_ip_header_relative_offset = inner_l3 - inner_frame,
                 .tcp_header_relative_offset = inner_l4 - inner_l3,
                 .is_inner_ipv6 = is_inner_ipv6,
                 .tcp_options_present = tcp_options_present});
  }
  constexpr Fields fields() const {
    return {is_encapsulated_packet(),
            encapsulated_packet_offsets_valid(),
            inner_frame_offset(),
            transport_ip_header_relative_offset(),
            tcp_header_relative_offset(),
            is_inner_ipv6(),
            tcp_options_present(),
            reserved()};
  }

  constexpr bool is_encapsulated_packet() const { return Get(kIsEncapsulatedPacket) != 0; }
  constexpr bool encapsulated_packet_offsets_valid() const {
    return Get(kEncapsulatedPacketOffsetsValid) != 0;
  }
  constexpr std::uint32_t inner_frame_offset() const { return Get(kInnerFrameOffset); }
  constexpr std::uint32_t transport_ip_header_relative_offset() const {
    return Get(kTransportIpHeaderRelativeOffset);
  }
  constexpr std::uint32_t tcp_header_relative_offset() const {
    return Get(kTcpHeaderRelativeOffset);
  }
  constexpr bool is_inner_ipv6() const { return Get(kIsInnerIpv6) != 0; }
  constexpr bool tcp_options_present() const { return Get(kTcpOptionsPresent) != 0; }
  constexpr std::uint32_t reserved() const { return Get(kReserved); }

  // Absolute offsets from the packet start (spec §2.1). Meaningful only when
  // encapsulated_packet_offsets_valid(); at most 255 + 63 + 1023 = 1341.
  constexpr std::uint32_t inner_l3_offset() const {
    return inner_frame_offset() + transport_ip_header_relative_offset();
  }
  constexpr std::uint32_t inner_l4_offset() const {
    return inner_l3_offset() + tcp_header_relative_offset();
  }

  constexpr void set_is_encapsulated_packet(bool v) { PutFlag(kIsEncapsulatedPacket, v); }
  constexpr void set_encapsulated_packet_offsets_valid(bool v) {
    PutFlag(kEncapsulatedPacketOffsetsValid, v);
  }
  [[nodiscard]] constexpr bool set_inner_frame_offset(std::uint32_t v) {
    return PutChecked(kInnerFrameOffset, v);
  }
  [[nodiscard]] constexpr bool set_transport_ip_header_relative_offset(std::uint32_t v) {
    return PutChecked(kTransportIpHeaderRelativeOffset, v);
  }
  [[nodiscard]] constexpr bool set_tcp_header_relative_offset(std::uint32_t v) {
    return PutChecked(kTcpHeaderRelativeOffset, v);
  }
  constexpr void set_is_inner_ipv6(bool v) { PutFlag(kIsInnerIpv6, v); }
  constexpr void set_tcp_options_present(bool v) { PutFlag(kTcpOptionsPresent, v); }
  [[nodiscard]] constexpr bool set_reserved(std::uint32_t v) { return PutChecked(kReserved, v); }

  friend constexpr bool operator==(const SendOffloadsSupplementalInfo&,
                                   const SendOffloadsSupplementalInfo&) = default;
};

// ---------------------------------------------------------------------------------------------
// NDIS_UDP_SEGMENTATION_OFFLOAD_NET_BUFFER_LIST_INFO, Transmit view (nbluso.h, under
// NDIS_SUPPORT_NDIS683; USO over NVGRE is NDIS 6.85, spec §4):
//   bits 0-19 MSS | 20-29 UdpHeaderOffset | 30 Reserved | 31 IPVersion
// Verified against the WDK header text (nbluso.h as shipped in the Windows SDK/WDK: `ULONG MSS
// :20; ULONG UdpHeaderOffset :10; ULONG Reserved :1; ULONG IPVersion :1;`) and the DDI page
// learn.microsoft.com/windows-hardware/drivers/ddi/nbluso/ns-nbluso-ndis_udp_segmentation_offload_net_buffer_list_info,
// which agree. The IPv4 = 0 / IPv6 = 1 constants are from the same header.
class UdpSegmentationTxInfo : public OobWord<UdpSegmentationTxInfo> {
 public:
  static constexpr BitField kMss{0, 20};
  static constexpr BitField kUdpHeaderOffset{20, 10};
  static constexpr BitField kReserved{30, 1};
  static constexpr BitField kIpVersion{31, 1};
  static constexpr std::array<FieldSpec, 4> kLayout{{
      {"MSS", kMss, FieldKind::kNumber},
      {"UdpHeaderOffset", kUdpHeaderOffset, FieldKind::kNumber},
      {"Reserved", kReserved, FieldKind::kReserved},
      {"IPVersion", kIpVersion, FieldKind::kEnum, "NDIS_UDP_SEGMENTATION_OFFLOAD_IPV4",
       "NDIS_UDP_SEGMENTATION_OFFLOAD_IPV6"},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    std::uint32_t mss = 0;
    std::uint32_t udp_header_offset = 0;
    std::uint32_t reserved = 0;
    OffloadIpVersion ip_version = OffloadIpVersion::kIpv4;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<UdpSegmentationTxInfo> Make(const Fields& f) {
    UdpSegmentationTxInfo i;
    if (!i.set_mss(f.mss) || !i.set_udp_header_offset(f.udp_header_offset) ||
        !i.set_reserved(f.reserved)) {
      return std::nullopt;
    }
    i.set_ip_version(f.ip_version);
    return i;
  }
  constexpr Fields fields() const { return {mss(), udp_header_offset(), reserved(), ip_version()}; }

  constexpr std::uint32_t mss() const { return Get(kMss); }
  constexpr std::uint32_t udp_header_offset() const { return Get(kUdpHeaderOffset); }
  constexpr std::uint32_t reserved() const { return Get(kReserved); }
  constexpr OffloadIpVersion ip_version() const {
    return Get(kIpVersion) != 0 ? OffloadIpVersion::kIpv6 : OffloadIpVersion::kIpv4;
  }
  [[nodiscard]] constexpr bool set_mss(std::uint32_t v) { return PutChecked(kMss, v); }
  [[nodiscard]] constexpr bool set_udp_header_offset(std::uint32_t v) {
    return PutChecked(kUdpHeaderOffset, v);
  }
  [[nodiscard]] constexpr bool set_reserved(std::uint32_t v) { return PutChecked(kReserved, v); }
  constexpr void set_ip_version(OffloadIpVersion v) {
    PutFlag(kIpVersion, v == OffloadIpVersion::kIpv6);
  }

  constexpr bool requested() const { return mss() != 0; }

  friend constexpr bool operator==(const UdpSegmentationTxInfo&,
                                   const UdpSegmentationTxInfo&) = default;
};

// ---------------------------------------------------------------------------------------------
// RSS hash information (slot NetBufferListHashInfo; nblhash.h macros NET_BUFFER_LIST_SET_HASH_TYPE
// / _FUNCTION; spec §8.4, §10.1). Not a bitfield struct: HashInformation = type | function, the
// type bits under NDIS_HASH_TYPE_MASK, the function under NDIS_HASH_FUNCTION_MASK.
//   bits 0-7 hash function | 8-23 hash type (NDIS_HASH_* flags in place) | 24-31 (outside both)
inline constexpr std::uint32_t kNdisHashFunctionMask = 0x000000FF;  // NDIS_HASH_FUNCTION_MASK
inline constexpr std::uint32_t kNdisHashTypeMask = 0x00FFFF00;      // NDIS_HASH_TYPE_MASK

inline constexpr std::uint32_t kNdisHashFunctionToeplitz = 0x00000001;  // NdisHashFunctionToeplitz
inline constexpr std::uint32_t kNdisHashFunctionReserved1 = 0x00000002;
inline constexpr std::uint32_t kNdisHashFunctionReserved2 = 0x00000004;
inline constexpr std::uint32_t kNdisHashFunctionReserved3 = 0x00000008;

inline constexpr std::uint32_t kNdisHashIpv4 = 0x00000100;       // NDIS_HASH_IPV4
inline constexpr std::uint32_t kNdisHashTcpIpv4 = 0x00000200;    // NDIS_HASH_TCP_IPV4
inline constexpr std::uint32_t kNdisHashIpv6 = 0x00000400;       // NDIS_HASH_IPV6
inline constexpr std::uint32_t kNdisHashIpv6Ex = 0x00000800;     // NDIS_HASH_IPV6_EX
inline constexpr std::uint32_t kNdisHashTcpIpv6 = 0x00001000;    // NDIS_HASH_TCP_IPV6
inline constexpr std::uint32_t kNdisHashTcpIpv6Ex = 0x00002000;  // NDIS_HASH_TCP_IPV6_EX
inline constexpr std::uint32_t kNdisHashUdpIpv4 = 0x00004000;    // NDIS_HASH_UDP_IPV4
inline constexpr std::uint32_t kNdisHashUdpIpv6 = 0x00008000;    // NDIS_HASH_UDP_IPV6
inline constexpr std::uint32_t kNdisHashUdpIpv6Ex = 0x00010000;  // NDIS_HASH_UDP_IPV6_EX

struct NamedValue {
  std::uint32_t value;
  std::string_view name;
};
inline constexpr std::array<NamedValue, 9> kNdisHashTypeNames{{
    {kNdisHashIpv4, "NDIS_HASH_IPV4"},
    {kNdisHashTcpIpv4, "NDIS_HASH_TCP_IPV4"},
    {kNdisHashIpv6, "NDIS_HASH_IPV6"},
    {kNdisHashIpv6Ex, "NDIS_HASH_IPV6_EX"},
    {kNdisHashTcpIpv6, "NDIS_HASH_TCP_IPV6"},
    {kNdisHashTcpIpv6Ex, "NDIS_HASH_TCP_IPV6_EX"},
    {kNdisHashUdpIpv4, "NDIS_HASH_UDP_IPV4"},
    {kNdisHashUdpIpv6, "NDIS_HASH_UDP_IPV6"},
    {kNdisHashUdpIpv6Ex, "NDIS_HASH_UDP_IPV6_EX"},
}};
inline constexpr std::array<NamedValue, 4> kNdisHashFunctionNames{{
    {kNdisHashFunctionToeplitz, "NdisHashFunctionToeplitz"},
    {kNdisHashFunctionReserved1, "NdisHashFunctionReserved1"},
    {kNdisHashFunctionReserved2, "NdisHashFunctionReserved2"},
    {kNdisHashFunctionReserved3, "NdisHashFunctionReserved3"},
}};
// Every defined NDIS_HASH_* flag.
inline constexpr std::uint32_t kNdisHashAllTypes = 0x0001FF00;

// "NDIS_HASH_TCP_IPV4" for exactly one defined flag, else "".
std::string_view HashTypeName(std::uint32_t flag);
// Accepts "NDIS_HASH_TCP_IPV4" or "TCP_IPV4", ASCII case-insensitive.
std::optional<std::uint32_t> ParseHashTypeName(std::string_view name);
// "NDIS_HASH_IPV4|NDIS_HASH_TCP_IPV4"; undefined bits as "0x...", 0 as "none".
std::string HashTypesToString(std::uint32_t types);
// A `--rss-types` list: names separated by ',' or '|' (spaces allowed), e.g.
// "TCP_IPV4,IPV4,ndis_hash_udp_ipv6". nullopt on an empty list or an unknown name; the first
// unknown name is stored in `*bad_name` when given (a view into `list`).
std::optional<std::uint32_t> ParseHashTypeList(std::string_view list,
                                               std::string_view* bad_name = nullptr);
std::string_view HashFunctionName(std::uint32_t function);  // "" when not a defined value
std::optional<std::uint32_t> ParseHashFunctionName(std::string_view name);  // case-insensitive

class HashInfo : public OobWord<HashInfo> {
 public:
  static constexpr BitField kFunction{0, 8};
  static constexpr BitField kType{8, 16};
  static constexpr BitField kReserved{24, 8};
  static constexpr std::array<FieldSpec, 3> kLayout{{
      {"HashFunction", kFunction, FieldKind::kNumber},
      {"HashType", kType, FieldKind::kNumber},
      {"Reserved", kReserved, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));
  static_assert(kFunction.mask() == kNdisHashFunctionMask && kType.mask() == kNdisHashTypeMask);

  // `type` is the NDIS_HASH_* value in place (e.g. 0x200), not shifted down.
  struct Fields {
    std::uint32_t type = 0;
    std::uint32_t function = 0;
    std::uint32_t reserved = 0;  // bits 24-31, shifted down
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<HashInfo> Make(const Fields& f) {
    HashInfo i;
    if (!i.set_type(f.type) || !i.set_function(f.function) ||
        !i.PutChecked(kReserved, f.reserved)) {
      return std::nullopt;
    }
    return i;
  }
  constexpr Fields fields() const { return {type(), function(), Get(kReserved)}; }

  constexpr std::uint32_t type() const { return raw_ & kNdisHashTypeMask; }
  constexpr std::uint32_t function() const { return raw_ & kNdisHashFunctionMask; }
  constexpr std::uint32_t reserved() const { return Get(kReserved); }
  // False (and no change) when `v` has bits outside NDIS_HASH_TYPE_MASK.
  [[nodiscard]] constexpr bool set_type(std::uint32_t v) {
    if ((v & ~kNdisHashTypeMask) != 0) return false;
    raw_ = (raw_ & ~kNdisHashTypeMask) | v;
    return true;
  }
  [[nodiscard]] constexpr bool set_function(std::uint32_t v) { return PutChecked(kFunction, v); }

  // "NDIS_HASH_TCP_IPV4 NdisHashFunctionToeplitz" (+ " Reserved=0x.." when set); "none" for 0.
  std::string ToString() const;

  friend constexpr bool operator==(const HashInfo&, const HashInfo&) = default;
};

// ---------------------------------------------------------------------------------------------
// NDIS_NET_BUFFER_LIST_FILTERING_INFO.FilteringInfo (ndis.h, NDIS 6.20+; spec §8.4):
// USHORT FilterId at byte 0, then USHORT QueueId (union with VPortId, NDIS 6.30) at byte 2.
// As a ULONG on the little-endian machines Windows runs on: bits 0-15 FilterId, 16-31 QueueId
// [CALC from the struct layout].
class FilteringInfo : public OobWord<FilteringInfo> {
 public:
  static constexpr BitField kFilterId{0, 16};
  static constexpr BitField kQueueId{16, 16};
  static constexpr std::array<FieldSpec, 2> kLayout{{
      {"FilterId", kFilterId, FieldKind::kNumber},
      {"QueueId", kQueueId, FieldKind::kNumber},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    std::uint16_t filter_id = 0;
    std::uint16_t queue_id = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr FilteringInfo Make(const Fields& f) {  // every value fits
    FilteringInfo i;
    i.set_filter_id(f.filter_id);
    i.set_queue_id(f.queue_id);
    return i;
  }
  constexpr Fields fields() const { return {filter_id(), queue_id()}; }

  constexpr std::uint16_t filter_id() const { return static_cast<std::uint16_t>(Get(kFilterId)); }
  constexpr std::uint16_t queue_id() const { return static_cast<std::uint16_t>(Get(kQueueId)); }
  constexpr std::uint16_t vport_id() const { return queue_id(); }  // same USHORT (union)
  constexpr void set_filter_id(std::uint16_t v) { Put(kFilterId, v); }
  constexpr void set_queue_id(std::uint16_t v) { Put(kQueueId, v); }

  friend constexpr bool operator==(const FilteringInfo&, const FilteringInfo&) = default;
};

// ---------------------------------------------------------------------------------------------
// NDIS_NET_BUFFER_LIST_VIRTUAL_SUBNET_INFO (ndis.h, NDIS 6.30+; spec §11.1): first UINT32 is
//   bits 0-23 VirtualSubnetId | 24-31 ReservedVsidBits
// followed by a UINT32 Reserved (0) that this type does not model. Layout per the public PDB
// type dump of ndis.sys (VirtualSubnetId : 24 at bit 0, ReservedVsidBits : 8 at bit 24); the DDI
// page's "VirtualSubnetId :32" is a documentation error. NVGRE's reserved VSID ranges are a
// wire rule (RFC 7637) and are not checked here.
class VirtualSubnetInfo : public OobWord<VirtualSubnetInfo> {
 public:
  static constexpr BitField kVirtualSubnetId{0, 24};
  static constexpr BitField kReservedVsidBits{24, 8};
  static constexpr std::array<FieldSpec, 2> kLayout{{
      {"VirtualSubnetId", kVirtualSubnetId, FieldKind::kNumber},
      {"ReservedVsidBits", kReservedVsidBits, FieldKind::kReserved},
  }};
  static_assert(LayoutIsPartition(kLayout));

  struct Fields {
    std::uint32_t virtual_subnet_id = 0;
    std::uint32_t reserved_vsid_bits = 0;
    friend constexpr bool operator==(const Fields&, const Fields&) = default;
  };
  static constexpr std::optional<VirtualSubnetInfo> Make(const Fields& f) {
    VirtualSubnetInfo i;
    if (!i.set_virtual_subnet_id(f.virtual_subnet_id) ||
        !i.set_reserved_vsid_bits(f.reserved_vsid_bits)) {
      return std::nullopt;
    }
    return i;
  }
  constexpr Fields fields() const { return {virtual_subnet_id(), reserved_vsid_bits()}; }

  constexpr std::uint32_t virtual_subnet_id() const { return Get(kVirtualSubnetId); }
  constexpr std::uint32_t reserved_vsid_bits() const { return Get(kReservedVsidBits); }
  [[nodiscard]] constexpr bool set_virtual_subnet_id(std::uint32_t v) {
    return PutChecked(kVirtualSubnetId, v);
  }
  [[nodiscard]] constexpr bool set_reserved_vsid_bits(std::uint32_t v) {
    return PutChecked(kReservedVsidBits, v);
  }

  friend constexpr bool operator==(const VirtualSubnetInfo&, const VirtualSubnetInfo&) = default;
};

static_assert(sizeof(ChecksumTxInfo) == 4 && std::is_trivially_copyable_v<ChecksumTxInfo>);
static_assert(sizeof(ChecksumRxInfo) == 4 && std::is_trivially_copyable_v<ChecksumRxInfo>);
static_assert(sizeof(LsoV2TxInfo) == 4 && std::is_trivially_copyable_v<LsoV2TxInfo>);
static_assert(sizeof(LsoV1TxInfo) == 4 && std::is_trivially_copyable_v<LsoV1TxInfo>);
static_assert(sizeof(LsoV2CompleteInfo) == 4 && std::is_trivially_copyable_v<LsoV2CompleteInfo>);
static_assert(sizeof(LsoV1CompleteInfo) == 4 && std::is_trivially_copyable_v<LsoV1CompleteInfo>);
static_assert(sizeof(SendOffloadsSupplementalInfo) == 4 &&
              std::is_trivially_copyable_v<SendOffloadsSupplementalInfo>);
static_assert(sizeof(UdpSegmentationTxInfo) == 4 &&
              std::is_trivially_copyable_v<UdpSegmentationTxInfo>);
static_assert(sizeof(HashInfo) == 4 && std::is_trivially_copyable_v<HashInfo>);
static_assert(sizeof(FilteringInfo) == 4 && std::is_trivially_copyable_v<FilteringInfo>);
static_assert(sizeof(VirtualSubnetInfo) == 4 && std::is_trivially_copyable_v<VirtualSubnetInfo>);

}  // namespace nvgre::offload
