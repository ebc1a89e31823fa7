// IPv4 header parsing and emission (RFC 791 §3.1; checksum RFC 1071).
#include "nvgre/wire/ipv4.h"

namespace nvgre::wire {

template <class Byte>
Result<BasicIpv4View<Byte>> BasicIpv4View<Byte>::Parse(std::span<Byte> bytes,
                                                     Capture capture) {
  if (bytes.size() < kMinHeaderSize) return Fail(ParseError::kTruncated, Layer::kIpv4);
  const BasicIpv4View v(bytes);
  if (v.version() != kVersion) return Fail(ParseError::kBadVersion, Layer::kIpv4);
  // RFC 791 §3.1: "the minimum value for a correct header is 5".
  if (v.ihl_words() < 5) return Fail(ParseError::kBadHeaderLength, Layer::kIpv4);
  if (bytes.size() < v.header_length()) return Fail(ParseError::kTruncated, Layer::kIpv4);
  const std::uint16_t total = v.total_length();
  // Total Length 0: LSOv2 / BIG TCP superframe, the packet runs to the end of the span.
  if (total != 0) {
    if (total < v.header_length()) return Fail(ParseError::kLengthMismatch, Layer::kIpv4);
    if (total > bytes.size() && capture == Capture::kComplete) {
      return Fail(ParseError::kTruncated, Layer::kIpv4);
    }
  }
  return v;
}

template Result<Ipv4View>
    BasicIpv4View<const std::uint8_t>::Parse(std::span<const std::uint8_t>, Capture);
template Result<Ipv4MutView>
    BasicIpv4View<std::uint8_t>::Parse(std::span<std::uint8_t>, Capture);

std::string FormatIpv4(const Ipv4Address& addr) {
  std::string s;
  s.reserve(15);
  for (std::size_t i = 0; i < addr.size(); ++i) {
    if (i != 0) s.push_back('.');
    s += std::to_string(addr[i]);
  }
  return s;
}

Ipv4Repr Ipv4Repr::From(const Ipv4View& v) {
  Ipv4Repr r;
  r.tos = v.tos();
  r.total_length = v.total_length();
  r.identification = v.identification();
  r.dont_fragment = v.dont_fragment();
  r.more_fragments = v.more_fragments();
  r.fragment_offset = static_cast<std::uint16_t>(v.fragment_offset());
  r.ttl = v.ttl();
  r.protocol = v.protocol();
  r.source = v.source();
  r.destination = v.destination();
  const auto opts = v.options();
  r.options_length = static_cast<std::uint8_t>(opts.size());
  std::copy(opts.begin(), opts.end(), r.options.begin());
  return r;
}

void Ipv4Repr::Emit(MutBytes out) const {
  assert(options_length % 4 == 0 && options_length <= kMaxOptionsLength);
  assert(out.size() >= header_length());
  const std::size_t hlen = header_length();
  out[0] = static_cast<std::uint8_t>((Ipv4View::kVersion << 4) | (hlen / 4));
  auto v = Ipv4MutView::Unchecked(out.first(hlen));
  v.set_tos(tos);
  v.set_total_length(total_length);
  v.set_identification(identification);
  v.set_flags_fragment(dont_fragment, more_fragments, fragment_offset);
  v.set_ttl(ttl);
  v.set_protocol(protocol);
  v.set_source(source);
  v.set_destination(destination);
  std::copy_n(options.begin(), options_length, out.begin() + Ipv4View::kMinHeaderSize);
  v.FillHeaderChecksum();
}

}  // namespace nvgre::wire
