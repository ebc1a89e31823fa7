// Fuzz target: EthernetView / EthernetRepr (IEEE 802.3 §3.2, IEEE 802.1Q §9.6 tags).
//
// Input: an Ethernet frame (without FCS). Invariants:
//   - Parse agrees with a plain reference walk of the tags (count, type, error and offset);
//   - on success header_length() = 14 + 4 * vlan_count() <= size, payload() is the rest;
//   - EthernetRepr::From(view).Emit() gives back the header bytes exactly (the Repr is
//     lossless), and Parse of the emitted bytes gives the same Repr;
//   - the read/write view parses the same, and its setters write only their own bytes.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/ethernet.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::Within;
using namespace nvgre::wire;  // NOLINT: a fuzz target reads better with short names

struct Expected {
  bool ok = false;
  std::size_t vlan_count = 0;
  ParseFailure failure{};
};

// The walk the header comment describes, written out plainly.
Expected Reference(std::span<const std::uint8_t> b) {
  Expected e;
  if (b.size() < 14) {
    e.failure = {ParseError::kTruncated, Layer::kEthernet, Scope::kOuter, 0};
    return e;
  }
  std::size_t tags = 0;
  std::size_t type_at = 12;
  while (IsVlanTpid(static_cast<std::uint16_t>((b[type_at] << 8) | b[type_at + 1]))) {
    if (tags == 4) {
      e.failure = {ParseError::kUnsupported, Layer::kVlan, Scope::kOuter,
                   static_cast<std::uint32_t>(12 + 4 * tags)};
      return e;
    }
    // The tag and the type after it must be there.
    if (b.size() < type_at + 4 + 2) {
      e.failure = {ParseError::kTruncated, Layer::kVlan, Scope::kOuter,
                   static_cast<std::uint32_t>(12 + 4 * tags)};
      return e;
    }
    ++tags;
    type_at += 4;
  }
  e.ok = true;
  e.vlan_count = tags;
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> frame = ExactCopy(std::span(data, size));
  const std::span<const std::uint8_t> bytes(frame);
  const Expected want = Reference(bytes);
  auto eth = EthernetView::Parse(bytes);
  FUZZ_CHECK(eth.has_value() == want.ok);
  if (!eth) {
    FUZZ_CHECK(eth.error() == want.failure);
    FUZZ_CHECK(EthernetMutView::Parse(std::span<std::uint8_t>(frame)).error() == want.failure);
    return 0;
  }
  const EthernetView& v = *eth;
  FUZZ_CHECK(v.vlan_count() == want.vlan_count);
  FUZZ_CHECK(v.header_length() == 14 + 4 * v.vlan_count());
  FUZZ_CHECK(v.header_length() <= size);
  FUZZ_CHECK(v.type_offset() + 2 == v.header_length());
  FUZZ_CHECK(Within(v.payload(), bytes) && v.payload().data() == bytes.data() + v.header_length() &&
             v.payload().size() == size - v.header_length());
  FUZZ_CHECK(!IsVlanTpid(v.ether_type()));
  for (std::size_t i = 0; i < v.vlan_count(); ++i) {
    const VlanTag tag = v.vlan(i);
    FUZZ_CHECK(IsVlanTpid(tag.tpid));
    FUZZ_CHECK(VlanTag::MakeTci(tag.pcp(), tag.dei(), tag.vid()) == tag.tci);
  }
  FUZZ_CHECK(v.ether_type_is_length() == (v.ether_type() < 0x0600));
  // FormatMac: "aa:bb:cc:dd:ee:ff", as printf prints it.
  char text[18];
  const MacAddress src = v.source();
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", src[0], src[1], src[2], src[3],
                src[4], src[5]);
  FUZZ_CHECK(FormatMac(src) == text);

  // Repr round trip: lossless, so the emitted header is the input header.
  const EthernetRepr repr = EthernetRepr::From(v);
  FUZZ_CHECK(repr.header_length() == v.header_length());
  std::vector<std::uint8_t> out(repr.header_length(), 0xA5);
  repr.Emit(out);
  FUZZ_CHECK(std::memcmp(out.data(), bytes.data(), out.size()) == 0);
  auto again = EthernetView::Parse(std::span<const std::uint8_t>(out));
  FUZZ_CHECK(again.has_value() && EthernetRepr::From(*again) == repr);

  // The read/write view: same parse; a setter changes only its field.
  auto mut = EthernetMutView::Parse(std::span<std::uint8_t>(frame));
  FUZZ_CHECK(mut.has_value() && mut->header_length() == v.header_length());
  const std::vector<std::uint8_t> before = frame;
  const std::uint16_t new_type = static_cast<std::uint16_t>(v.ether_type() ^ 0x0101);
  if (!IsVlanTpid(new_type)) {
    mut->set_ether_type(new_type);
    FUZZ_CHECK(mut->ether_type() == new_type);
    for (std::size_t i = 0; i < frame.size(); ++i) {
      if (i != mut->type_offset() && i != mut->type_offset() + 1) FUZZ_CHECK(frame[i] == before[i]);
    }
  }
  return 0;
}
