// Fuzz target: the NDIS OOB value types (offload/ndis_oob.h) and NDIS_ENCAPSULATED_PACKET_TASK_
// OFFLOAD (offload/ndis_capabilities.h), with their name parsers.
// NVGRE_FUZZ_LIBS: offload
//
// Input: word A (4 bytes), word B (4 bytes), 8 bytes of NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD,
// then text. Invariants:
//   - for every OOB type: FromRaw(A).raw() == A (reserved and unnamed bits kept), Make(fields())
//     gives A back, every layout member reads its own bits, the named flags are exactly the set
//     1-bit kFlag members and ParseFlagName finds each (in any case);
//   - the semantic helpers match their definitions: requested(), consistent(), the LSOv1/LSOv2
//     completion words (spec §4), the supplemental absolute offsets (spec §2.1),
//     HashInfo type/function masks;
//   - ParseHashTypeList agrees with a plain reference parser and round-trips HashTypesToString;
//     ParseEncapMask round-trips EncapMaskToString; the name parsers accept only names;
//   - EncapsulatedPacketTaskOffload::FromBytes(b).ToBytes() == b, and Allows() is EncapAllows().
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "nvgre/offload/ndis_capabilities.h"
#include "nvgre/offload/ndis_oob.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::offload;  // NOLINT

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <class T>
T Made(const std::optional<T>& t) {
  FUZZ_CHECK(t.has_value());
  return *t;
}
template <class T>
T Made(const T& t) {
  return t;
}

template <class T>
void CheckWord(std::uint32_t raw, std::string_view text) {
  const T v = T::FromRaw(raw);
  FUZZ_CHECK(v.raw() == raw);
  FUZZ_CHECK(Made(T::Make(v.fields())).raw() == raw);
  std::uint32_t covered = 0;
  std::size_t flag_index = 0;
  const auto names = v.FlagNames();
  for (const FieldSpec& f : T::kLayout) {
    FUZZ_CHECK(v.Get(f.bits) == ((raw >> f.bits.shift) & f.bits.max()));
    FUZZ_CHECK((covered & f.bits.mask()) == 0);
    covered |= f.bits.mask();
    if (f.kind == FieldKind::kFlag) {
      FUZZ_CHECK(f.bits.width == 1);
      FUZZ_CHECK(T::ParseFlagName(f.name) == f.bits.mask());
      FUZZ_CHECK(T::ParseFlagName(Lower(f.name)) == f.bits.mask());
      if (v.Get(f.bits) != 0) {
        FUZZ_CHECK(flag_index < names.size() && names[flag_index] == f.name);
        ++flag_index;
      }
    }
  }
  FUZZ_CHECK(covered == 0xFFFFFFFFu && flag_index == names.size());
  const std::string s = v.ToString();
  FUZZ_CHECK(!s.empty() && (raw != 0 || s == "none" || s.find('=') != std::string::npos));
  // Any text: accepted only as a flag name, and then it is one (case-insensitively).
  if (const auto mask = T::ParseFlagName(text)) {
    bool named = false;
    for (const FieldSpec& f : T::kLayout) {
      named = named || (f.kind == FieldKind::kFlag && Lower(f.name) == Lower(text) &&
                        f.bits.mask() == *mask);
    }
    FUZZ_CHECK(named);
  }
}

// ParseHashTypeList as ndis_oob.h describes it.
std::optional<std::uint32_t> ReferenceHashTypeList(std::string_view list) {
  std::uint32_t types = 0;
  bool any = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    if (i != list.size() && list[i] != ',' && list[i] != '|') continue;
    std::string_view token = list.substr(start, i - start);
    start = i + 1;
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token.empty()) continue;
    bool found = false;
    for (const NamedValue& n : kNdisHashTypeNames) {
      const std::string full = Lower(n.name);
      if (Lower(token) == full || "ndis_hash_" + Lower(token) == full) {
        types |= n.value;
        found = true;
      }
    }
    if (!found) return std::nullopt;
    any = true;
  }
  if (!any) return std::nullopt;
  return types;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::uint32_t a = in.Take<std::uint32_t>();
  const std::uint32_t b = in.Take<std::uint32_t>();
  std::array<std::uint8_t, 8> caps_bytes{};
  const auto cb = in.TakeBytes(8);
  std::copy(cb.begin(), cb.end(), caps_bytes.begin());
  const auto rest = in.Rest();
  const std::string text(rest.begin(), rest.end());

  CheckWord<ChecksumTxInfo>(a, text);
  CheckWord<ChecksumRxInfo>(a, text);
  CheckWord<LsoV2TxInfo>(a, text);
  CheckWord<LsoV1TxInfo>(a, text);
  CheckWord<LsoV2CompleteInfo>(a, text);
  CheckWord<LsoV1CompleteInfo>(a, text);
  CheckWord<SendOffloadsSupplementalInfo>(a, text);
  CheckWord<UdpSegmentationTxInfo>(a, text);
  CheckWord<HashInfo>(a, text);
  CheckWord<FilteringInfo>(a, text);
  CheckWord<VirtualSubnetInfo>(a, text);

  // Checksum: "requested" per the contract; Succeeded and Failed never both for a check.
  const auto ctx = ChecksumTxInfo::FromRaw(a);
  FUZZ_CHECK(ctx.requested() == (((a & 3) != 0) && ((a & 0x1C) != 0)));
  const auto crx = ChecksumRxInfo::FromRaw(a);
  FUZZ_CHECK(crx.consistent() == !((a & 1 && a & 8) || (a & 2 && a & 16) || (a & 4 && a & 32)));

  // LSO: requested, and the completion words (spec §4).
  const auto lso2 = LsoV2TxInfo::FromRaw(a);
  FUZZ_CHECK(lso2.requested() == (a != 0 && (a & 0x40000000u) != 0));
  FUZZ_CHECK(LsoV2CompleteInfo::Completing(lso2).raw() == ((a & 0x80000000u) | 0x40000000u));
  const auto lso1 = LsoV1TxInfo::FromRaw(a);
  const auto done1 = LsoV1CompleteInfo::Completing(lso1, b);
  FUZZ_CHECK(done1.has_value() == (b < (1u << 30)));
  if (done1) FUZZ_CHECK(done1->raw() == ((a & 0xC0000000u) | b) && done1->tcp_payload() == b);
  auto lso2_set = lso2;
  FUZZ_CHECK(lso2_set.set_mss(b) == (b < (1u << 20)));
  FUZZ_CHECK(lso2_set.mss() == (b < (1u << 20) ? b : lso2.mss()));
  FUZZ_CHECK((lso2_set.raw() & ~0xFFFFFu) == (a & ~0xFFFFFu));
  const auto uso = UdpSegmentationTxInfo::FromRaw(a);
  FUZZ_CHECK(uso.requested() == ((a & 0xFFFFFu) != 0));

  // Supplemental offsets (spec §2.1).
  const auto supp = SendOffloadsSupplementalInfo::FromRaw(a);
  FUZZ_CHECK(supp.inner_l3_offset() == ((a >> 2) & 0xFF) + ((a >> 10) & 0x3F));
  FUZZ_CHECK(supp.inner_l4_offset() == supp.inner_l3_offset() + ((a >> 16) & 0x3FF));
  const std::uint32_t frame = b & 0x1FF, l3 = frame + ((b >> 9) & 0x7F), l4 = l3 + ((b >> 16) & 0x7FF);
  const bool v6 = (b >> 30) & 1, opts = b >> 31;
  const auto abs = SendOffloadsSupplementalInfo::FromAbsoluteOffsets(frame, l3, l4, v6, opts);
  FUZZ_CHECK(abs.has_value() == (frame <= 255 && l3 - frame <= 63 && l4 - l3 <= 1023));
  if (abs) {
    FUZZ_CHECK(abs->is_encapsulated_packet() && abs->encapsulated_packet_offsets_valid());
    FUZZ_CHECK(abs->inner_frame_offset() == frame && abs->inner_l3_offset() == l3 &&
               abs->inner_l4_offset() == l4 && abs->is_inner_ipv6() == v6 &&
               abs->tcp_options_present() == opts && abs->reserved() == 0);
  }
  FUZZ_CHECK(!SendOffloadsSupplementalInfo::FromAbsoluteOffsets(l3 + 1, l3, l4, v6, opts));

  // Hash info: type | function | reserved.
  const auto hash = HashInfo::FromRaw(a);
  FUZZ_CHECK((hash.type() | hash.function() | (hash.reserved() << 24)) == a);
  auto hash_set = hash;
  FUZZ_CHECK(hash_set.set_type(b) == ((b & ~kNdisHashTypeMask) == 0));
  FUZZ_CHECK(!hash.ToString().empty());
  const std::uint32_t types = a & kNdisHashAllTypes;
  if (types != 0) FUZZ_CHECK(ParseHashTypeList(HashTypesToString(types)) == types);
  for (const NamedValue& n : kNdisHashTypeNames) {
    FUZZ_CHECK(HashTypeName(n.value) == n.name && ParseHashTypeName(n.name) == n.value);
  }

  // The text parsers.
  std::string_view bad;
  const auto list = ParseHashTypeList(text, &bad);
  FUZZ_CHECK(list == ReferenceHashTypeList(text));
  if (list) {
    FUZZ_CHECK(*list != 0 && (*list & ~kNdisHashAllTypes) == 0);
  } else if (!bad.empty()) {
    FUZZ_CHECK(bad.data() >= text.data() && bad.data() + bad.size() <= text.data() + text.size());
    FUZZ_CHECK(!ParseHashTypeName(bad).has_value());
  }
  if (const auto one = ParseHashTypeName(text)) FUZZ_CHECK(ParseHashTypeList(text) == *one);
  if (const auto fn = ParseHashFunctionName(text)) FUZZ_CHECK(Lower(HashFunctionName(*fn)) == Lower(text));
  if (const auto mask = ParseEncapMask(text)) FUZZ_CHECK(*mask <= 0xF);
  const std::uint32_t m = a & 0xF;
  FUZZ_CHECK(ParseEncapMask(EncapMaskToString(m)) == m);
  FUZZ_CHECK(ParseEncapMask(Lower(EncapMaskToString(m))) == m);

  // NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD (spec §7.2).
  const auto caps = EncapsulatedPacketTaskOffload::FromBytes(std::span<const std::uint8_t, 8>(caps_bytes));
  FUZZ_CHECK(caps.ToBytes() == caps_bytes);
  FUZZ_CHECK(EncapsulatedPacketTaskOffload::FromRaw(caps.raw(), caps.max_header_size_supported()) == caps);
  for (std::size_t i = 0; i < kEncapOffloadCount; ++i) {
    const auto o = static_cast<EncapOffload>(i);
    FUZZ_CHECK(caps.mask(o) == ((caps.raw() >> (4 * i)) & 0xF));
    for (int outer = 0; outer < 2; ++outer) {
      for (int inner = 0; inner < 2; ++inner) {
        FUZZ_CHECK(caps.Allows(o, outer, inner) == EncapAllows(caps.mask(o), outer, inner));
      }
    }
    auto changed = caps;
    FUZZ_CHECK(changed.set_mask(o, b) == (b <= 0xF));
    if (b <= 0xF) {
      FUZZ_CHECK(changed.mask(o) == b && (changed.raw() & ~(0xFu << (4 * i))) ==
                                             (caps.raw() & ~(0xFu << (4 * i))));
    }
  }
  FUZZ_CHECK(caps.reserved() == caps.raw() >> 24);
  const auto uniform = EncapsulatedPacketTaskOffload::Uniform(b);
  FUZZ_CHECK(uniform.has_value() == (b <= 0xF));
  if (uniform) FUZZ_CHECK(uniform->raw() == b * 0x111111u);
  FUZZ_CHECK(!caps.ToString().empty());
  return 0;
}
