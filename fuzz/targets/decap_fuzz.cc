// Fuzz target: NVGRE decapsulation (virt/decap.h; RFC 7637 §3-§4, RFC 6040 §4.2) of untrusted
// frames, its zero-copy variant, and re-encapsulation (virt/encap.h) of what it delivers.
// NVGRE_FUZZ_LIBS: virt offload wire
//
// Input: 1 config byte, then the frame. Invariants:
//   - a drop leaves the frame untouched, in both variants, with the same reason;
//   - a delivered inner frame lies inside the input, starts at the classifier's inner Ethernet
//     header and ends where the outer IP packet ends (padding excluded); the frame is valid
//     NVGRE by the classifier, not an outer fragment, its outer IPv4 checksum good when checked,
//     VSID / FlowID / outer addresses are the classifier's and the header's; only the inner ECN
//     bits and the inner IPv4 checksum may have changed (RFC 6040 §4.2, RFC 1624), and a changed
//     inner IPv4 checksum still verifies exactly when it did before;
//   - DecapsulateInPlace delivers the same bytes as Decapsulate, as packet.data();
//   - re-encapsulating the inner frame with the VSID, FlowID and outer addresses found, then
//     decapsulating that, gives the same inner frame, VSID and FlowID back.
#include <algorithm>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/virt/decap.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/packet_buffer.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"

namespace {

using nvgre::fuzz::FuzzInput;
using nvgre::fuzz::Within;
using namespace nvgre::virt;  // NOLINT
namespace wire = nvgre::wire;
using Frame = std::vector<std::uint8_t>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const auto flags = in.Take<std::uint8_t>();
  DecapConfig config;
  config.drop_reserved_vsid = (flags & 1) != 0;
  config.verify_outer_ipv4_checksum = (flags & 2) == 0;
  const auto rest = in.Rest();
  const Frame original(rest.begin(), rest.end());
  Frame frame = original;

  const auto r = Decapsulate(frame, config);
  PacketBuffer packet(std::max<std::size_t>(original.size(), 1));
  FUZZ_CHECK(packet.Assign(original));
  const auto r2 = DecapsulateInPlace(packet, config);
  FUZZ_CHECK(r.has_value() == r2.has_value());
  if (!r) {
    FUZZ_CHECK(frame == original);
    FUZZ_CHECK(r2.error() == r.error() && std::equal(packet.data().begin(), packet.data().end(),
                                                     original.begin(), original.end()));
    FUZZ_CHECK(r.error() != DecapDrop::kCount && !ToString(r.error()).empty());
    return 0;
  }

  const DecapResult& d = *r;
  const wire::FrameLayout l = wire::ClassifyFrame(original);
  FUZZ_CHECK(l.is_nvgre() && !l.outer_l3.is_fragment);
  FUZZ_CHECK(Within(d.inner_frame, frame));
  FUZZ_CHECK(d.inner_frame.data() == frame.data() + d.inner_offset);
  FUZZ_CHECK(d.inner_offset == l.inner_l2.offset);
  FUZZ_CHECK(d.inner_offset + d.inner_frame.size() == l.outer_l3.end);
  FUZZ_CHECK(d.vsid == l.vsid() && d.flow_id == l.flow_id());
  FUZZ_CHECK(!config.drop_reserved_vsid || !wire::IsReservedVsid(d.vsid));
  const wire::ChecksumReport c = wire::VerifyChecksums(original, l);
  if (config.verify_outer_ipv4_checksum) FUZZ_CHECK(c.outer_ip != wire::CsumState::kBad);
  if (l.outer_l3.version == 4) {
    FUZZ_CHECK(std::holds_alternative<OuterIpv4>(d.outer_ip));
    const auto& a = std::get<OuterIpv4>(d.outer_ip);
    FUZZ_CHECK(std::equal(a.source.begin(), a.source.end(), original.begin() + l.outer_l3.offset + 12));
    FUZZ_CHECK(std::equal(a.destination.begin(), a.destination.end(), original.begin() + l.outer_l3.offset + 16));
  } else {
    FUZZ_CHECK(std::holds_alternative<OuterIpv6>(d.outer_ip));
  }
  // Only the inner ECN bits (and the inner IPv4 checksum that covers them) may change.
  for (std::size_t i = 0; i < frame.size(); ++i) {
    if (frame[i] == original[i]) continue;
    const bool in_inner_ip = l.inner_l3.present() && i >= l.inner_l3.offset &&
                             i < std::size_t{l.inner_l3.offset} + 12;
    FUZZ_CHECK(in_inner_ip && d.ecn_rewrite != EcnRewrite::kNone);
    const std::size_t at = i - l.inner_l3.offset;
    if (l.inner_l3.version == 4) {
      FUZZ_CHECK(at == 1 ? (frame[i] ^ original[i]) <= 0x3 : (at == 10 || at == 11));
    } else {
      FUZZ_CHECK(at == 1 && ((frame[i] ^ original[i]) & 0xCF) == 0);  // ECN: bits 4-5 of byte 1
    }
  }
  if (l.inner_l3.present() && l.inner_l3.version == 4) {
    const auto before = std::span<const std::uint8_t>(original).subspan(l.inner_l3.offset, l.inner_l3.header_length);
    const auto after = std::span<const std::uint8_t>(frame).subspan(l.inner_l3.offset, l.inner_l3.header_length);
    FUZZ_CHECK(wire::ChecksumVerifies(before) == wire::ChecksumVerifies(after));
  }
  FUZZ_CHECK(r2->vsid == d.vsid && r2->inner_offset == d.inner_offset &&
             std::equal(packet.data().begin(), packet.data().end(), d.inner_frame.begin(), d.inner_frame.end()));

  // Round trip: encapsulate what was delivered, decapsulate again.
  EncapConfig e;
  e.outer_ip = d.outer_ip;
  e.vsid = d.vsid;
  e.flow_id = d.flow_id;
  e.allow_reserved_vsid = true;
  const Frame inner(d.inner_frame.begin(), d.inner_frame.end());
  Frame out(inner.size() + kMaxOuterHeaderLength);
  std::uint16_t next_id = 7;
  const auto enc = Encapsulate(inner, e, out, next_id);
  if (!enc) {
    // Only the inner frame itself can be refused here (tags, size).
    FUZZ_CHECK(enc.error() == EncapError::kInnerTooLong || enc.error() == EncapError::kInnerTooShort ||
               enc.error() == EncapError::kInnerTooManyTags || enc.error() == EncapError::kVsidTooLarge);
    return 0;
  }
  FUZZ_CHECK(enc->flow_id == d.flow_id && enc->frame_length <= out.size());
  out.resize(enc->frame_length);
  const auto back = Decapsulate(out);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(back->vsid == d.vsid && back->flow_id == d.flow_id);
  FUZZ_CHECK(std::equal(back->inner_frame.begin(), back->inner_frame.end(), inner.begin(), inner.end()));
  return 0;
}
