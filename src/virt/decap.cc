// NVGRE decapsulation: see decap.h for the order of the checks.
#include "nvgre/virt/decap.h"

#include <algorithm>
#include <array>
#include <optional>

#include "nvgre/virt/ecn.h"
#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::virt {
namespace {

using wire::FrameLayout;
using wire::L3Layout;

template <std::size_t N>
std::array<std::uint8_t, N> CopyOut(std::span<const std::uint8_t> f, std::size_t offset) {
  std::array<std::uint8_t, N> a;
  std::copy_n(f.begin() + static_cast<std::ptrdiff_t>(offset), N, a.begin());
  return a;
}

// The IP header's TOS / Traffic Class octet (IPv4 byte 1; IPv6 bits 4-11).
std::uint8_t TosAt(std::span<const std::uint8_t> f, const L3Layout& l3) {
  if (l3.version == 4) return f[l3.offset + 1u];
  return static_cast<std::uint8_t>(((f[l3.offset] & 0x0F) << 4) | (f[l3.offset + 1u] >> 4));
}

// Rewrites the ECN bits of the IP header at `l3`. For IPv4 the header checksum is updated
// incrementally over the 16-bit word holding version/IHL/TOS (RFC 1624 eqn. 3:
// HC' = ~(~HC + ~m + m')), so a valid checksum stays valid and a bad one stays bad.
void SetEcn(std::span<std::uint8_t> f, const L3Layout& l3, std::uint8_t ecn) {
  if (l3.version == 4) {
    auto word = f.subspan(l3.offset, 2).first<2>();
    auto csum = f.subspan(l3.offset + 10u, 2).first<2>();
    const std::uint16_t old_word = wire::LoadBe16(word);
    word[1] = static_cast<std::uint8_t>((word[1] & ~kEcnMask) | ecn);
    const std::uint16_t new_word = wire::LoadBe16(word);
    const std::uint16_t hc = wire::LoadBe16(csum);
    wire::StoreBe16(csum, wire::Complement(wire::OnesAdd(
                              wire::OnesAdd(wire::Complement(hc), wire::Complement(old_word)),
                              new_word)));
  } else {
    // Traffic Class bits 2-3 of byte 1 hold the ECN field (RFC 8200 §7, RFC 3168 §5).
    std::uint8_t& b = f[l3.offset + 1u];
    b = static_cast<std::uint8_t>((b & ~(kEcnMask << 4)) | (ecn << 4));
  }
}

// Outer IP length field checks (step 4): 0 means invalid on the wire, beyond the frame means
// truncated. The classifier clips both silently, so they are re-read here.
std::optional<DecapDrop> CheckOuterLength(std::span<const std::uint8_t> f, const L3Layout& l3) {
  std::size_t length = wire::LoadBe16(f.subspan(l3.offset + 2u, 2).first<2>());
  if (l3.version == 6) {
    length = wire::LoadBe16(f.subspan(l3.offset + 4u, 2).first<2>());
    if (length != 0) length += 40;
  }
  if (length == 0) return DecapDrop::kOuterHeaderInvalid;
  if (l3.offset + length > f.size()) return DecapDrop::kTruncated;
  return std::nullopt;
}

bool IsOuterHeaderFailure(const FrameLayout& l) {
  if (!l.error || l.error->scope != wire::Scope::kOuter) return false;
  switch (l.error->layer) {
    case wire::Layer::kFrame:
    case wire::Layer::kEthernet:
    case wire::Layer::kVlan:
    case wire::Layer::kIpv4:
    case wire::Layer::kIpv6:
    case wire::Layer::kIpv6Ext:
      return true;
    default:
      return false;
  }
}

}  // namespace

Expected<DecapResult, DecapDrop> Decapsulate(std::span<std::uint8_t> frame,
                                             const DecapConfig& config) {
  // 1. FrameLayout offsets are 16-bit.
  if (frame.size() > 0xFFFF) return Unexpected{DecapDrop::kFrameTooLong};
  const FrameLayout l = wire::ClassifyFrame(frame);
  // 2.
  if (IsOuterHeaderFailure(l)) return Unexpected{DecapDrop::kOuterHeaderInvalid};
  if (!l.outer_l3.present()) return Unexpected{DecapDrop::kNotIp};
  const L3Layout& outer = l.outer_l3;
  // 3. RFC 791 §3.1; OVS native_tnl_l3csum_err.
  if (outer.version == 4 && config.verify_outer_ipv4_checksum &&
      !wire::ChecksumVerifies(frame.subspan(outer.offset, outer.header_length))) {
    return Unexpected{DecapDrop::kOuterIpv4Checksum};
  }
  // 4.
  if (auto d = CheckOuterLength(frame, outer)) return Unexpected{*d};
  // 5. RFC 7637 §4: a receiving NVE MAY discard fragmented NVGRE packets.
  if (outer.is_fragment && outer.protocol == wire::kIpProtoGre) {
    return Unexpected{DecapDrop::kOuterFragment};
  }
  // 6-7.
  if (outer.protocol != wire::kIpProtoGre) return Unexpected{DecapDrop::kNotGre};
  if (!l.gre.present()) return Unexpected{DecapDrop::kGreHeaderInvalid};
  // 8. RFC 7637 §3.2 (the classifier ranks the inner 802.1Q tag after the GRE rules).
  if (l.nvgre_violation != wire::NvgreViolation::kNone) {
    return Unexpected{DropOf(l.nvgre_violation)};
  }
  // 9.
  if (!l.is_nvgre()) return Unexpected{DecapDrop::kInnerFrameInvalid};
  // 10.
  if (config.drop_reserved_vsid && wire::IsReservedVsid(l.vsid())) {
    return Unexpected{DecapDrop::kReservedVsid};
  }

  DecapResult r;
  r.inner_offset = l.inner_l2.offset;
  r.inner_frame = frame.subspan(l.inner_l2.offset, outer.end - l.inner_l2.offset);
  r.vsid = l.vsid();
  r.flow_id = l.flow_id();
  r.outer_destination_mac = CopyOut<6>(frame, l.outer_l2.offset);
  r.outer_source_mac = CopyOut<6>(frame, l.outer_l2.offset + 6u);
  if (outer.version == 4) {
    r.outer_ip = OuterIpv4{CopyOut<4>(frame, outer.offset + 12u), CopyOut<4>(frame, outer.offset + 16u)};
  } else {
    r.outer_ip = OuterIpv6{CopyOut<16>(frame, outer.offset + 8u), CopyOut<16>(frame, outer.offset + 24u)};
  }
  r.outer_tos = TosAt(frame, outer);

  // 11. RFC 6040 §4.2 for an inner IP packet; non-IP inner frames carry no ECN field.
  const std::uint8_t outer_ecn = r.outer_tos & kEcnMask;
  const std::uint16_t inner_type = l.inner_l2.ether_type;
  if (inner_type == wire::kEtherTypeIpv4 || inner_type == wire::kEtherTypeIpv6) {
    if (!l.inner_l3.present()) {
      if (outer_ecn == kEcnCe) return Unexpected{DecapDrop::kEcnInnerIpInvalid};
      return r;
    }
    const std::uint8_t inner_ecn = TosAt(frame, l.inner_l3) & kEcnMask;
    const EcnDecapOutcome o = InnerEcnOnDecap(inner_ecn, outer_ecn);
    if (o.drop) return Unexpected{DecapDrop::kEcnCeOnNotEct};
    r.ecn_alarm = o.alarm;
    if (o.inner_ecn != inner_ecn) {
      SetEcn(frame, l.inner_l3, o.inner_ecn);
      r.ecn_rewrite = o.inner_ecn == kEcnCe ? EcnRewrite::kSetCe : EcnRewrite::kSetEct1;
    }
  }
  return r;
}

Expected<DecapResult, DecapDrop> DecapsulateInPlace(PacketBuffer& packet,
                                                    const DecapConfig& config) {
  auto r = Decapsulate(packet.data(), config);
  if (r) {
    packet.Trim(r->inner_offset + r->inner_frame.size());
    packet.Pull(r->inner_offset);
  }
  return r;
}

}  // namespace nvgre::virt
