// TCP header and options (RFC 9293 §3.1, §3.2). See tcp.h.
#include "nvgre/wire/tcp.h"

#include <algorithm>

namespace nvgre::wire {

template class BasicTcpView<std::uint8_t>;

Result<std::uint8_t> ValidateTcpOptions(std::span<const std::uint8_t> options) {
  return ForEachTcpOption(options, [](TcpOption) {});
}

TcpRepr TcpRepr::From(const TcpView& v) {
  TcpRepr r;
  r.source_port = v.source_port();
  r.destination_port = v.destination_port();
  r.sequence_number = v.sequence_number();
  r.acknowledgment_number = v.acknowledgment_number();
  r.flags = v.flags();
  r.window = v.window();
  r.checksum = v.checksum();
  r.urgent_pointer = v.urgent_pointer();
  r.set_options(v.options());
  return r;
}

void TcpRepr::set_options(std::span<const std::uint8_t> bytes) {
  assert(bytes.size() <= kTcpMaxOptionsSize);
  options.fill(0);
  std::copy(bytes.begin(), bytes.end(), options.begin());
  options_length = static_cast<std::uint8_t>(bytes.size());
}

void TcpRepr::Emit(MutBytes out) const {
  assert(options_length <= kTcpMaxOptionsSize);
  const std::size_t length = header_length();
  assert(out.size() >= length);
  auto v = TcpMutView::Unchecked(out);
  v.set_source_port(source_port);
  v.set_destination_port(destination_port);
  v.set_sequence_number(sequence_number);
  v.set_acknowledgment_number(acknowledgment_number);
  out[12] = static_cast<std::uint8_t>((length / 4) << 4);  // data offset; reserved bits zero
  v.set_flags(flags);
  v.set_window(window);
  v.set_checksum(checksum);
  v.set_urgent_pointer(urgent_pointer);
  auto opts = out.subspan(20, length - 20);
  std::fill(std::copy_n(options.begin(), options_length, opts.begin()), opts.end(), 0);
}

}  // namespace nvgre::wire
