// ICMP (RFC 792) and ICMPv6 (RFC 4443). See icmp.h.
#include "nvgre/wire/icmp.h"

namespace nvgre::wire {

template class BasicIcmpView<std::uint8_t>;
template class BasicIcmpv6View<std::uint8_t>;

IcmpRepr IcmpRepr::From(const IcmpView& v) {
  return IcmpRepr{v.type(), v.code(), v.checksum(), v.has_rest() ? v.rest() : 0};
}

IcmpRepr IcmpRepr::From(const Icmpv6View& v) {
  return IcmpRepr{v.type(), v.code(), v.checksum(), v.has_rest() ? v.rest() : 0};
}

void IcmpRepr::Emit(MutBytes out) const {
  assert(out.size() >= kSize);
  out[0] = type;
  out[1] = code;
  StoreBe16(out.subspan<2, 2>(), checksum);
  StoreBe32(out.subspan<4, 4>(), rest);
}

}  // namespace nvgre::wire
