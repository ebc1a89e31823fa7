// Fuzz target: GreView / GreRepr (RFC 2784, RFC 2890, RFC 2637 §4.1) and NvgreView / NvgreRepr
// (RFC 7637 §3.2).
//
// Input: a GRE header and its payload (the outer IP payload). Invariants:
//   - GreView::Parse agrees with the check order of gre.h, written out plainly;
//   - on success header_length() = GreHeaderLength(flags) <= size, one of 4/8/12/16, and
//     payload() is the rest of the span;
//   - GreRepr::From(view).Emit() gives back the header except what gre.h says is not kept
//     (Reserved0 bits other than C/K/S(/A), Reserved1); with those zero, byte for byte;
//   - FillChecksum() (C set) makes ChecksumVerifies() true;
//   - NvgreView::Parse succeeds exactly when GreView::Parse does and CheckNvgre says kNone;
//     then vsid/flow_id are the key's parts and NvgreRepr::Emit gives 20 00 65 58 | key, the
//     input's bytes whenever Reserved0 is zero.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/gre.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::Within;
using namespace nvgre::wire;  // NOLINT

std::optional<ParseError> ReferenceError(std::span<const std::uint8_t> b) {
  if (b.size() < 4) return ParseError::kTruncated;
  const unsigned fv = unsigned{b[0]} << 8 | b[1];
  const unsigned c = fv >> 15 & 1, r = fv >> 14 & 1, k = fv >> 13 & 1, s = fv >> 12 & 1;
  const unsigned version = fv & 7;
  if (version > 1) return ParseError::kBadVersion;
  std::size_t need = 4 + 4 * (c + k + s);
  if (version == 0) {
    if (r) return ParseError::kUnsupported;          // RFC 1701 routing
    if (fv & 0x0C00) return ParseError::kReservedBits;  // RFC 2784 §2.3 bits 4-5
  } else {
    if (!k || c || r) return ParseError::kReservedBits;  // RFC 2637 §4.1
    if (fv & 0x0080) need += 4;                          // A
  }
  if (b.size() < need) return ParseError::kTruncated;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> packet = ExactCopy(std::span(data, size));
  const std::span<const std::uint8_t> bytes(packet);
  const auto want = ReferenceError(bytes);
  auto gre = GreView::Parse(bytes);
  FUZZ_CHECK(gre.has_value() == !want.has_value());
  auto nvgre = NvgreView::Parse(bytes);
  if (!gre) {
    const ParseFailure f{*want, Layer::kGre, Scope::kOuter, 0};
    FUZZ_CHECK(gre.error() == f);
    FUZZ_CHECK(!nvgre && nvgre.error() == f);
    return 0;
  }
  const GreView& v = *gre;
  const std::uint16_t fv = v.flags_version();
  FUZZ_CHECK(v.header_length() == GreHeaderLength(fv));
  FUZZ_CHECK(v.header_length() <= size);
  FUZZ_CHECK(v.header_length() % 4 == 0 && v.header_length() >= 4 && v.header_length() <= 16);
  FUZZ_CHECK(v.version() <= 1);
  FUZZ_CHECK(Within(v.payload(), bytes) && v.payload().data() == bytes.data() + v.header_length() &&
             v.payload().size() == size - v.header_length());
  if (v.version() == 1) FUZZ_CHECK(v.key_present() && !v.checksum_present() && !v.routing_present());
  // Touch every optional field the flags say is there (in bounds by the Parse contract).
  std::uint32_t sink = v.protocol_type();
  if (v.checksum_present()) sink += std::uint32_t{v.checksum()} + v.reserved1();
  if (v.key_present()) sink += v.key() + v.pptp_call_id() + v.pptp_payload_length();
  if (v.sequence_present()) sink += v.sequence();
  if (v.ack_present()) sink += v.acknowledgment();
  (void)sink;

  // Repr round trip.
  const GreRepr repr = GreRepr::From(v);
  FUZZ_CHECK(repr.header_length() == v.header_length());
  std::vector<std::uint8_t> out(repr.header_length(), 0xA5);
  repr.Emit(out);
  std::uint16_t kept = kGreFlagChecksum | kGreFlagKey | kGreFlagSequence | kGreVersionMask;
  if (v.version() == 1) kept |= kGreFlagAck;
  const std::uint16_t out_fv = static_cast<std::uint16_t>(out[0] << 8 | out[1]);
  FUZZ_CHECK(out_fv == (fv & kept));
  FUZZ_CHECK(std::memcmp(out.data() + 2, bytes.data() + 2, 2) == 0);
  std::size_t at = 4;
  if (v.checksum_present()) {
    FUZZ_CHECK(std::memcmp(out.data() + 4, bytes.data() + 4, 2) == 0);
    FUZZ_CHECK(out[6] == 0 && out[7] == 0);  // Reserved1 (RFC 2784 §2.6)
    at = 8;
  }
  FUZZ_CHECK(std::memcmp(out.data() + at, bytes.data() + at, out.size() - at) == 0);
  const bool reserved_zero = fv == (fv & kept) && (!v.checksum_present() || v.reserved1() == 0);
  if (reserved_zero) FUZZ_CHECK(std::memcmp(out.data(), bytes.data(), out.size()) == 0);
  auto again = GreView::Parse(std::span<const std::uint8_t>(out));
  FUZZ_CHECK(again.has_value() && GreRepr::From(*again) == repr);

  // The GRE checksum (RFC 2784 §2.5) over header and payload.
  if (v.checksum_present()) {
    auto mut = GreMutView::Parse(std::span<std::uint8_t>(packet));
    FUZZ_CHECK(mut.has_value());
    const std::vector<std::uint8_t> before = packet;
    mut->FillChecksum();
    FUZZ_CHECK(mut->ChecksumVerifies());
    for (std::size_t i = 0; i < packet.size(); ++i) {
      if (i != 4 && i != 5) FUZZ_CHECK(packet[i] == before[i]);
    }
    packet = before;
  }

  // NVGRE.
  const NvgreViolation why = CheckNvgre(v);
  FUZZ_CHECK(why != NvgreViolation::kInnerVlan && why != NvgreViolation::kCount);
  FUZZ_CHECK(nvgre.has_value() == (why == NvgreViolation::kNone));
  if (!nvgre) {
    FUZZ_CHECK(nvgre.error() == (ParseFailure{ParseError::kUnsupported, Layer::kNvgre, Scope::kOuter, 0}));
    return 0;
  }
  const NvgreView& n = *nvgre;
  FUZZ_CHECK((fv & 0xF007) == kNvgreFlagsVersion && n.protocol() == kGreProtocolTeb);
  FUZZ_CHECK(n.header_length() == 8 && v.header_length() == 8);
  FUZZ_CHECK(n.key() == v.key() && n.vsid() == VsidOfKey(n.key()) && n.flow_id() == FlowIdOfKey(n.key()));
  FUZZ_CHECK(NvgreKey(n.vsid(), n.flow_id()) == n.key());
  FUZZ_CHECK(n.payload().data() == v.payload().data() && n.payload().size() == v.payload().size());
  const NvgreRepr nrepr = NvgreRepr::From(n);
  std::vector<std::uint8_t> nout(NvgreRepr::kSize, 0xA5);
  nrepr.Emit(std::span<std::uint8_t>(nout));
  FUZZ_CHECK(nout[0] == 0x20 && nout[1] == 0x00 && nout[2] == 0x65 && nout[3] == 0x58);
  FUZZ_CHECK(std::memcmp(nout.data() + 4, bytes.data() + 4, 4) == 0);
  if (fv == kNvgreFlagsVersion) FUZZ_CHECK(std::memcmp(nout.data(), bytes.data(), 8) == 0);
  auto nagain = NvgreView::Parse(std::span<const std::uint8_t>(nout));
  FUZZ_CHECK(nagain.has_value() && NvgreRepr::From(*nagain) == nrepr);
  return 0;
}
