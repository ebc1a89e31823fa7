// GRE (RFC 2784, with the Key and Sequence Number extensions of RFC 2890; GREv1 of RFC 2637
// §4.1 far enough to size it) and NVGRE (RFC 7637 §3.2), which is GRE with a fixed shape.
//
// RFC 2784 §2 + RFC 2890 §2 (version 0):
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |C|R|K|S| Reserved0       | Ver |         Protocol Type         |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |      Checksum (if C)          |       Reserved1 (if C)        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Key (if K)                            |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                 Sequence Number (if S)                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  R is RFC 1701's Routing Present bit (bit 1); bits 4-5 are RFC 1701's s and Recur bits.
//
// RFC 2637 §4.1 (version 1, "enhanced GRE" for PPTP): C=0, R=0, K=1; the Key field is
// payload length (16) | call ID (16); bit 8 (A) adds a 4-byte Acknowledgment Number after the
// Sequence Number.
//
// NVGRE (RFC 7637 §3.2): C=0, K=1, S=0, Ver=0, protocol 0x6558 (Transparent Ethernet Bridging);
// the first 32 bits are always 0x2000 6558 and the Key carries VSID (24) | FlowID (8):
//  |0| |1|0|   Reserved0       | Ver |   Protocol Type 0x6558        |
//  |               Virtual Subnet ID (VSID)        |    FlowID     |
//
// Usage:
//
//   auto gre = GreView::Parse(ip_payload);          // exactly the outer IP payload
//   if (!gre) return gre.error();                   // {kTruncated|kBadVersion|..., kGre, 0}
//   if (gre->checksum_present() && !gre->ChecksumVerifies()) drop("gre-checksum");
//   if (CheckNvgre(*gre) == NvgreViolation::kNone) {
//     std::uint32_t vsid = VsidOfKey(gre->key());   // RFC 7637 §3.2
//     inner_ethernet = gre->payload();
//   }
//
// or, when only NVGRE is acceptable: NvgreView::Parse(ip_payload) ->
// {kUnsupported, kNvgre, 0} for well-formed GRE that is not NVGRE (CheckNvgre says why).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

// Bits of the first 16-bit word (flags and version), bit 0 being the most significant.
inline constexpr std::uint16_t kGreFlagChecksum = 0x8000;  // C, bit 0 (RFC 2784 §2.1)
inline constexpr std::uint16_t kGreFlagRouting = 0x4000;   // R, bit 1 (RFC 1701; not supported)
inline constexpr std::uint16_t kGreFlagKey = 0x2000;       // K, bit 2 (RFC 2890 §2.1)
inline constexpr std::uint16_t kGreFlagSequence = 0x1000;  // S, bit 3 (RFC 2890 §2.1)
// Bits 4-5 (RFC 1701 strict source route and the top recursion-control bit): of Reserved0
// bits 1-5, which RFC 2784 §2.3 says a receiver MUST discard on, these are what remains once
// R is handled separately and K, S are taken by RFC 2890.
inline constexpr std::uint16_t kGreReservedBits4To5 = 0x0C00;
inline constexpr std::uint16_t kGreFlagAck = 0x0080;       // A, bit 8, version 1 only (RFC 2637)
inline constexpr std::uint16_t kGreVersionMask = 0x0007;   // bits 13-15

inline constexpr std::uint16_t kGreProtocolTeb = 0x6558;   // Transparent Ethernet Bridging
inline constexpr std::uint16_t kGreProtocolPpp = 0x880B;   // PPP, GREv1 / PPTP (RFC 2637)

// Header length in bytes implied by a flags/version word: 4 + 4*C + 4*K + 4*S, plus 4*A for
// version 1 (A is an ordinary Reserved0 bit in version 0). R is not counted (not supported).
constexpr std::size_t GreHeaderLength(std::uint16_t flags_version) {
  std::size_t n = 4;
  if (flags_version & kGreFlagChecksum) n += 4;
  if (flags_version & kGreFlagKey) n += 4;
  if (flags_version & kGreFlagSequence) n += 4;
  if ((flags_version & kGreVersionMask) == 1 && (flags_version & kGreFlagAck)) n += 4;
  return n;
}

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicGreView {
 public:
  static constexpr std::size_t kBaseSize = 4;
  static constexpr std::size_t kMinSize = kBaseSize;
  static constexpr std::size_t kMaxHeaderSize = 16;  // v0 C+K+S, or v1 K+S+A

  // `bytes` is the GRE header and its payload: exactly the outer IP payload, since the GRE
  // checksum (RFC 2784 §2.5) covers all of it. Checks, in order (all failures Layer::kGre,
  // offset 0):
  //   fewer than 4 bytes                                  -> kTruncated
  //   version not 0 or 1 (RFC 2784 §2.3.1)                -> kBadVersion
  //   v0: R set (RFC 1701 variable-length routing)        -> kUnsupported
  //   v0: bit 4 or 5 set (RFC 2784 §2.3 MUST discard)     -> kReservedBits
  //   v1: K clear, or C or R set (RFC 2637 §4.1)          -> kReservedBits
  //   fewer bytes than GreHeaderLength()                  -> kTruncated
  // Reserved0 bits 6-12 are ignored on receipt (RFC 2784 §2.3).
  static Result<BasicGreView> Parse(std::span<Byte> bytes) {
    if (bytes.size() < kBaseSize) return Fail(ParseError::kTruncated, Layer::kGre, 0);
    const std::uint16_t fv = LoadBe16(bytes.template first<2>());
    const std::uint16_t version = fv & kGreVersionMask;
    if (version > 1) return Fail(ParseError::kBadVersion, Layer::kGre, 0);
    if (version == 0) {
      if (fv & kGreFlagRouting) return Fail(ParseError::kUnsupported, Layer::kGre, 0);
      if (fv & kGreReservedBits4To5) return Fail(ParseError::kReservedBits, Layer::kGre, 0);
    } else if (!(fv & kGreFlagKey) || (fv & (kGreFlagChecksum | kGreFlagRouting))) {
      return Fail(ParseError::kReservedBits, Layer::kGre, 0);
    }
    if (bytes.size() < GreHeaderLength(fv)) return Fail(ParseError::kTruncated, Layer::kGre, 0);
    return BasicGreView(bytes);
  }
  // For emission into a buffer sized by the caller (GreRepr::header_length()). No checks.
  static BasicGreView Unchecked(std::span<Byte> bytes) { return BasicGreView(bytes); }

  // A read/write view converts to a read-only one.
  operator BasicGreView<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicGreView<const std::uint8_t>::Unchecked(bytes_);
  }

  std::span<Byte> bytes() const { return bytes_; }  // header + payload, as parsed

  std::uint16_t flags_version() const { return LoadBe16(bytes_.template subspan<0, 2>()); }
  bool checksum_present() const { return (flags_version() & kGreFlagChecksum) != 0; }
  bool routing_present() const { return (flags_version() & kGreFlagRouting) != 0; }
  bool key_present() const { return (flags_version() & kGreFlagKey) != 0; }
  bool sequence_present() const { return (flags_version() & kGreFlagSequence) != 0; }
  // A (RFC 2637 §4.1) exists only in version 1; in version 0 bit 8 is ignored Reserved0.
  bool ack_present() const {
    const std::uint16_t fv = flags_version();
    return (fv & kGreVersionMask) == 1 && (fv & kGreFlagAck) != 0;
  }
  std::uint8_t version() const {
    return static_cast<std::uint8_t>(flags_version() & kGreVersionMask);
  }
  std::uint16_t protocol_type() const { return LoadBe16(bytes_.template subspan<2, 2>()); }

  // Precondition: checksum_present().
  std::uint16_t checksum() const {
    assert(checksum_present());
    return LoadBe16(bytes_.template subspan<4, 2>());
  }
  std::uint16_t reserved1() const {
    assert(checksum_present());
    return LoadBe16(bytes_.template subspan<6, 2>());
  }
  // Precondition: key_present().
  std::uint32_t key() const {
    assert(key_present());
    return LoadBe32(Field32(KeyOffset()));
  }
  // Version 1 only: the Key is payload length (high 16 bits) | call ID (low 16 bits).
  std::uint16_t pptp_payload_length() const { return static_cast<std::uint16_t>(key() >> 16); }
  std::uint16_t pptp_call_id() const { return static_cast<std::uint16_t>(key()); }
  // Precondition: sequence_present().
  std::uint32_t sequence() const {
    assert(sequence_present());
    return LoadBe32(Field32(SequenceOffset()));
  }
  // Precondition: ack_present().
  std::uint32_t acknowledgment() const {
    assert(ack_present());
    return LoadBe32(Field32(SequenceOffset() + (sequence_present() ? 4 : 0)));
  }

  std::size_t header_length() const { return GreHeaderLength(flags_version()); }
  std::span<Byte> payload() const { return bytes_.subspan(header_length()); }

  // RFC 2784 §2.5: the one's-complement sum over the GRE header and payload (all of bytes())
  // is 0xFFFF. Precondition: checksum_present().
  bool ChecksumVerifies() const {
    assert(checksum_present());
    return ::nvgre::wire::ChecksumVerifies(bytes_);
  }

  void set_flags_version(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<0, 2>(), v);
  }
  void set_protocol_type(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<2, 2>(), v);
  }
  // Preconditions: the matching flag is set (the field exists).
  void set_checksum(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    assert(checksum_present());
    StoreBe16(bytes_.template subspan<4, 2>(), v);
  }
  void set_key(std::uint32_t v) requires(!std::is_const_v<Byte>) {
    assert(key_present());
    StoreBe32(Field32(KeyOffset()), v);
  }
  void set_sequence(std::uint32_t v) requires(!std::is_const_v<Byte>) {
    assert(sequence_present());
    StoreBe32(Field32(SequenceOffset()), v);
  }
  void set_acknowledgment(std::uint32_t v) requires(!std::is_const_v<Byte>) {
    assert(ack_present());
    StoreBe32(Field32(SequenceOffset() + (sequence_present() ? 4 : 0)), v);
  }
  // Computes the RFC 2784 §2.5 checksum over bytes() (header + payload, which must be in
  // place) and stores it. Precondition: checksum_present().
  void FillChecksum() requires(!std::is_const_v<Byte>) {
    set_checksum(0);
    set_checksum(Checksum(bytes_));
  }

 private:
  explicit BasicGreView(std::span<Byte> b) : bytes_(b) {}

  std::size_t KeyOffset() const { return checksum_present() ? 8 : 4; }
  std::size_t SequenceOffset() const { return KeyOffset() + (key_present() ? 4 : 0); }
  std::span<Byte, 4> Field32(std::size_t off) const {
    return std::span<Byte, 4>(bytes_.subspan(off, 4));
  }

  std::span<Byte> bytes_;
};

using GreView = BasicGreView<const std::uint8_t>;
using GreMutView = BasicGreView<std::uint8_t>;

extern template class BasicGreView<std::uint8_t>;

// Plain value for building GRE headers and for tests. Routing (R) is not representable;
// Reserved0 bits other than C/K/S(/A) and Reserved1 are emitted as zero.
struct GreRepr {
  bool checksum_present = false, key_present = false, sequence_present = false;
  std::uint8_t version = 0;
  std::uint16_t protocol_type = 0;
  std::uint16_t checksum = 0;
  std::uint32_t key = 0, sequence = 0;
  // Version 1 only (RFC 2637 §4.1); ignored for version 0.
  bool ack_present = false;
  std::uint32_t acknowledgment = 0;

  // Never fails: the view is already validated.
  static GreRepr From(const GreView& v);
  std::uint16_t flags_version() const;
  std::size_t header_length() const { return GreHeaderLength(flags_version()); }
  // Writes header_length() bytes. The checksum field is written as given; once the payload is
  // in place, GreMutView::FillChecksum() computes it. Precondition: out.size() >= header_length().
  void Emit(MutBytes out) const;

  friend bool operator==(const GreRepr&, const GreRepr&) = default;
};

// ---- NVGRE (RFC 7637) --------------------------------------------------------------------

inline constexpr std::uint16_t kNvgreFlagsVersion = 0x2000;  // C=0 K=1 S=0 Reserved0=0 Ver=0
inline constexpr std::size_t kNvgreHeaderSize = 8;
inline constexpr std::uint32_t kMaxVsid = 0xFFFFFF;            // 24 bits
inline constexpr std::uint32_t kFirstUnreservedVsid = 0x001000;  // 0x000000-0x000FFF reserved
inline constexpr std::uint32_t kVendorVsid = 0xFFFFFF;          // vendor-specific NVE-to-NVE

// Why a parsed GRE header is not NVGRE (RFC 7637 §3.2). kInnerVlan is found by whoever parses
// the inner Ethernet header (the classifier), never by CheckNvgre.
enum class NvgreViolation : std::uint8_t {
  kNone,
  kKeyAbsent,        // K = 0
  kChecksumPresent,  // C = 1
  kSequencePresent,  // S = 1
  kBadVersion,       // Ver != 0
  kNotTeb,           // protocol type != 0x6558
  kInnerVlan,        // inner Ethernet carries an 802.1Q/802.1ad tag
  kCount,
};

// Short kebab-case reason, for drop counters and tool output.
constexpr std::string_view ToString(NvgreViolation v) {
  switch (v) {
    case NvgreViolation::kNone: return "none";
    case NvgreViolation::kKeyAbsent: return "gre-key-absent";
    case NvgreViolation::kChecksumPresent: return "gre-checksum-present";
    case NvgreViolation::kSequencePresent: return "gre-sequence-present";
    case NvgreViolation::kBadVersion: return "gre-version-not-0";
    case NvgreViolation::kNotTeb: return "protocol-not-teb";
    case NvgreViolation::kInnerVlan: return "inner-802.1q-tag";
    case NvgreViolation::kCount: break;
  }
  return "?";
}

// The first RFC 7637 §3.2 rule `gre` breaks, in this order: version 0, protocol 0x6558,
// K = 1, C = 0, S = 0. Reserved0 bits 6-12 are not checked (RFC 2784: ignored on receipt).
inline NvgreViolation CheckNvgre(const GreView& gre) {
  if (gre.version() != 0) return NvgreViolation::kBadVersion;
  if (gre.protocol_type() != kGreProtocolTeb) return NvgreViolation::kNotTeb;
  if (!gre.key_present()) return NvgreViolation::kKeyAbsent;
  if (gre.checksum_present()) return NvgreViolation::kChecksumPresent;
  if (gre.sequence_present()) return NvgreViolation::kSequencePresent;
  return NvgreViolation::kNone;
}

// Key = VSID (high 24 bits) | FlowID (low 8 bits), RFC 7637 §3.2.
constexpr std::uint32_t VsidOfKey(std::uint32_t key) { return key >> 8; }
constexpr std::uint8_t FlowIdOfKey(std::uint32_t key) { return static_cast<std::uint8_t>(key); }
// Precondition: vsid <= kMaxVsid.
constexpr std::uint32_t NvgreKey(std::uint32_t vsid, std::uint8_t flow_id) {
  assert(vsid <= kMaxVsid);
  return (vsid << 8) | flow_id;
}
// RFC 7637 §3.2: 0x000000-0x000FFF are reserved for future use, 0xFFFFFF for vendor-specific
// NVE-to-NVE communication. Values above 24 bits are not VSIDs and also count as reserved.
constexpr bool IsReservedVsid(std::uint32_t vsid) {
  return vsid < kFirstUnreservedVsid || vsid >= kVendorVsid;
}

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicNvgreView {
 public:
  static constexpr std::size_t kSize = kNvgreHeaderSize;
  static constexpr std::size_t kMinSize = kSize;

  // GreView::Parse (its failures are returned unchanged, Layer::kGre), then CheckNvgre: any
  // violation -> {kUnsupported, Layer::kNvgre, 0}. On success the header is exactly 8 bytes.
  static Result<BasicNvgreView> Parse(std::span<Byte> bytes) {
    auto gre = BasicGreView<Byte>::Parse(bytes);
    if (!gre) return Fail(gre.error());
    if (CheckNvgre(*gre) != NvgreViolation::kNone) {
      return Fail(ParseError::kUnsupported, Layer::kNvgre, 0);
    }
    return BasicNvgreView(bytes);
  }
  // For emission into a buffer sized by the caller (NvgreRepr::kSize). No checks.
  static BasicNvgreView Unchecked(std::span<Byte> bytes) { return BasicNvgreView(bytes); }

  operator BasicNvgreView<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicNvgreView<const std::uint8_t>::Unchecked(bytes_);
  }

  std::span<Byte> bytes() const { return bytes_; }  // header + payload, as parsed
  BasicGreView<Byte> gre() const { return BasicGreView<Byte>::Unchecked(bytes_); }

  std::uint16_t protocol() const { return LoadBe16(bytes_.template subspan<2, 2>()); }
  std::uint32_t key() const { return LoadBe32(bytes_.template subspan<4, 4>()); }
  std::uint32_t vsid() const { return LoadBe24(bytes_.template subspan<4, 3>()); }  // 24 bits
  std::uint8_t flow_id() const { return bytes_[7]; }
  std::size_t header_length() const { return kSize; }
  std::span<Byte> payload() const { return bytes_.subspan(kSize); }  // the inner Ethernet frame

  // Precondition: vsid <= kMaxVsid.
  void set_vsid(std::uint32_t vsid) requires(!std::is_const_v<Byte>) {
    assert(vsid <= kMaxVsid);
    StoreBe24(bytes_.template subspan<4, 3>(), vsid);
  }
  void set_flow_id(std::uint8_t flow_id) requires(!std::is_const_v<Byte>) { bytes_[7] = flow_id; }
  void set_key(std::uint32_t key) requires(!std::is_const_v<Byte>) {
    StoreBe32(bytes_.template subspan<4, 4>(), key);
  }

 private:
  explicit BasicNvgreView(std::span<Byte> b) : bytes_(b) {}
  std::span<Byte> bytes_;
};

using NvgreView = BasicNvgreView<const std::uint8_t>;
using NvgreMutView = BasicNvgreView<std::uint8_t>;

extern template class BasicNvgreView<std::uint8_t>;

struct NvgreRepr {
  std::uint32_t vsid = 0;  // <= kMaxVsid
  std::uint8_t flow_id = 0;
  static constexpr std::size_t kSize = kNvgreHeaderSize;

  static NvgreRepr From(const NvgreView& v) { return NvgreRepr{v.vsid(), v.flow_id()}; }
  std::uint32_t key() const { return NvgreKey(vsid, flow_id); }
  std::size_t header_length() const { return kSize; }
  // Writes 20 00 65 58 | VSID | FlowID. Preconditions: out.size() >= kSize, vsid <= kMaxVsid.
  void Emit(MutBytes out) const;
  void Emit(NvgreMutView v) const { Emit(v.bytes()); }

  friend bool operator==(const NvgreRepr&, const NvgreRepr&) = default;
};

}  // namespace nvgre::wire
