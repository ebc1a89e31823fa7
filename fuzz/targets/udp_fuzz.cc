// Fuzz target: UdpView / UdpRepr (RFC 768, RFC 2675 §4), both Capture modes, and the UDP
// checksum over the IPv4 and IPv6 pseudo-headers (RFC 768, RFC 8200 §8.1).
//
// Input: 32 bytes of addresses (IPv4 source/destination are the first 8 of them), then the UDP
// datagram. Invariants:
//   - Parse agrees with the check order of udp.h;
//   - on success 8 <= datagram_length() <= size; datagram() and payload() inside the span,
//     payload() = [8, datagram_length()); truncated() only in kMayBeTruncated mode;
//   - UdpRepr::From(view).Emit() gives back the 8 header bytes exactly (lossless);
//   - TcpUdpChecksumV4/V6 over datagram() never returns 0 (RFC 768 sends 0xFFFF) and, stored
//     in the header, makes L4ChecksumVerifiesV4/V6 true.
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/udp.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::FuzzInput;
using nvgre::fuzz::Within;
using namespace nvgre::wire;  // NOLINT

void CheckOne(std::vector<std::uint8_t>& datagram, Capture capture,
              std::span<const std::uint8_t, 16> src, std::span<const std::uint8_t, 16> dst) {
  const std::span<const std::uint8_t> bytes(datagram);
  const std::size_t size = bytes.size();
  auto udp = UdpView::Parse(bytes, capture);
  const std::size_t length = size >= 8 ? (std::size_t{bytes[4]} << 8 | bytes[5]) : 0;
  bool want_ok = size >= 8 && (length == 0 || length >= 8);
  want_ok = want_ok && !(length > size && capture == Capture::kComplete);
  FUZZ_CHECK(udp.has_value() == want_ok);
  if (!udp) {
    const ParseError e = size < 8                       ? ParseError::kTruncated
                         : (length != 0 && length < 8) ? ParseError::kLengthMismatch
                                                       : ParseError::kTruncated;
    FUZZ_CHECK(udp.error() == (ParseFailure{e, Layer::kUdp, Scope::kOuter, 0}));
    return;
  }
  const UdpView& v = *udp;
  FUZZ_CHECK(v.header_length() == 8);
  FUZZ_CHECK(v.datagram_length() >= 8 && v.datagram_length() <= size);
  FUZZ_CHECK(v.truncated() == (length > size));
  if (capture == Capture::kComplete) FUZZ_CHECK(!v.truncated());
  if (length != 0 && length <= size) FUZZ_CHECK(v.datagram_length() == length);
  FUZZ_CHECK(Within(v.datagram(), bytes) && v.datagram().size() == v.datagram_length());
  FUZZ_CHECK(Within(v.payload(), bytes) && v.payload().data() == bytes.data() + 8 &&
             v.payload().size() == v.datagram_length() - 8);

  const UdpRepr repr = UdpRepr::From(v);
  std::vector<std::uint8_t> out(UdpRepr::kSize, 0xA5);
  repr.Emit(out);
  FUZZ_CHECK(std::memcmp(out.data(), bytes.data(), 8) == 0);

  // Checksums: compute, store, verify (the datagram with its checksum field in place).
  auto mut = UdpMutView::Parse(std::span<std::uint8_t>(datagram), capture);
  FUZZ_CHECK(mut.has_value());
  const std::vector<std::uint8_t> before = datagram;
  const std::uint16_t c4 = TcpUdpChecksumV4(src.first<4>(), dst.first<4>(), kIpProtoUdp, v.datagram());
  FUZZ_CHECK(c4 != 0);
  mut->set_checksum(c4);
  FUZZ_CHECK(L4ChecksumVerifiesV4(src.first<4>(), dst.first<4>(), kIpProtoUdp, v.datagram()));
  FUZZ_CHECK(!UdpChecksumAbsentV4(*udp));
  const std::uint16_t c6 = TcpUdpChecksumV6(src, dst, kIpProtoUdp, v.datagram());
  FUZZ_CHECK(c6 != 0);
  mut->set_checksum(c6);
  FUZZ_CHECK(L4ChecksumVerifiesV6(src, dst, kIpProtoUdp, v.datagram()));
  for (std::size_t i = 0; i < datagram.size(); ++i) {
    if (i != 6 && i != 7) FUZZ_CHECK(datagram[i] == before[i]);
  }
  datagram = before;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  std::array<std::uint8_t, 16> src{}, dst{};
  const auto addrs = in.TakeBytes(32);
  std::memcpy(src.data(), addrs.data(), std::min<std::size_t>(addrs.size(), 16));
  if (addrs.size() > 16) std::memcpy(dst.data(), addrs.data() + 16, addrs.size() - 16);
  std::vector<std::uint8_t> datagram = ExactCopy(in.Rest());
  CheckOne(datagram, Capture::kComplete, src, dst);
  CheckOne(datagram, Capture::kMayBeTruncated, src, dst);
  return 0;
}
