// Ethernet II + 802.1Q/802.1ad tag parsing (IEEE 802.3 §3.2, IEEE 802.1Q §9.6).
#include "nvgre/wire/ethernet.h"

namespace nvgre::wire {

template <class Byte>
Result<BasicEthernetView<Byte>> BasicEthernetView<Byte>::Parse(std::span<Byte> bytes) {
  if (bytes.size() < kHeaderSize) return Fail(ParseError::kTruncated, Layer::kEthernet, 0);
  // Walk the tags: while the type field at `off` is a TPID, a 4-byte tag sits at `off` and the
  // next type field follows it, so the frame must reach at least off + 4 + 2.
  std::size_t count = 0;
  for (;;) {
    const std::size_t off = 12 + kVlanTagSize * count;
    const std::uint16_t type =
        LoadBe16(std::span<const std::uint8_t, 2>(bytes.data() + off, 2));
    if (!IsVlanTpid(type)) break;
    const auto tag_offset = static_cast<std::uint32_t>(off);
    if (count == kMaxVlanTags) return Fail(ParseError::kUnsupported, Layer::kVlan, tag_offset);
    if (bytes.size() < off + kVlanTagSize + 2) {
      return Fail(ParseError::kTruncated, Layer::kVlan, tag_offset);
    }
    ++count;
  }
  return BasicEthernetView(bytes, static_cast<std::uint8_t>(count));
}

template Result<EthernetView>
    BasicEthernetView<const std::uint8_t>::Parse(std::span<const std::uint8_t>);
template Result<EthernetMutView>
    BasicEthernetView<std::uint8_t>::Parse(std::span<std::uint8_t>);

std::string FormatMac(const MacAddress& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(17);
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i != 0) s.push_back(':');
    s.push_back(kHex[mac[i] >> 4]);
    s.push_back(kHex[mac[i] & 0xF]);
  }
  return s;
}

EthernetRepr EthernetRepr::From(const EthernetView& v) {
  EthernetRepr r;
  r.destination = v.destination();
  r.source = v.source();
  r.vlan_count = static_cast<std::uint8_t>(v.vlan_count());
  for (std::size_t i = 0; i < v.vlan_count(); ++i) r.vlans[i] = v.vlan(i);
  r.ether_type = v.ether_type();
  return r;
}

void EthernetRepr::Emit(MutBytes out) const {
  assert(vlan_count <= kMaxVlanTags && out.size() >= header_length());
  std::copy(destination.begin(), destination.end(), out.begin());
  std::copy(source.begin(), source.end(), out.begin() + 6);
  std::size_t off = 12;
  for (std::size_t i = 0; i < vlan_count; ++i, off += EthernetView::kVlanTagSize) {
    StoreBe16(std::span<std::uint8_t, 2>(out.data() + off, 2), vlans[i].tpid);
    StoreBe16(std::span<std::uint8_t, 2>(out.data() + off + 2, 2), vlans[i].tci);
  }
  StoreBe16(std::span<std::uint8_t, 2>(out.data() + off, 2), ether_type);
}

}  // namespace nvgre::wire
