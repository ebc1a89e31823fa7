// UDP header (RFC 768). See udp.h.
#include "nvgre/wire/udp.h"

namespace nvgre::wire {

template class BasicUdpView<std::uint8_t>;

UdpRepr UdpRepr::From(const UdpView& v) {
  return UdpRepr{v.source_port(), v.destination_port(), v.length(), v.checksum()};
}

void UdpRepr::Emit(MutBytes out) const {
  assert(out.size() >= kSize);
  auto v = UdpMutView::Unchecked(out);
  v.set_source_port(source_port);
  v.set_destination_port(destination_port);
  v.set_length(length);
  v.set_checksum(checksum);
}

}  // namespace nvgre::wire
