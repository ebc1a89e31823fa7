// Fuzz target: the RFC 1071 Internet checksum (fast OnesSum against OnesSumReference) and the
// pseudo-header sums and transport checksums of RFC 9293 §3.1 / RFC 768 / RFC 8200 §8.1.
//
// Input: 2 bytes of initial sum, 1 byte of start offset (0-7, so the fast path sees every
// alignment), 1 byte of protocol, 32 bytes of addresses, then the data. Invariants:
//   - OnesSum(d, init) == OnesSumReference(d, init) at every alignment;
//   - RFC 1071 §2(B)/(C): the sum of a ‖ b is OnesAdd(sum a, sum b) when |a| is even and
//     OnesAdd(sum a, SwapSum(sum b)) when it is odd;
//   - Checksum(d) stored into a zeroed 16-bit field at an even offset makes ChecksumVerifies;
//   - RFC 1624 incremental update (OnesSub/OnesAdd) equals recomputing;
//   - PseudoHeaderSumV4/V6 equal the reference sum over the pseudo-header bytes written out;
//   - TcpUdpChecksumV4/V6 stored at L4ChecksumOffset(protocol) verify with L4ChecksumVerifies.
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/l4_checksum.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::wire;  // NOLINT

void CheckTransport(std::span<const std::uint8_t> data, std::uint8_t protocol,
                    std::span<const std::uint8_t, 16> src, std::span<const std::uint8_t, 16> dst) {
  const std::size_t off = L4ChecksumOffset(protocol);
  if (off == 0 || data.size() < off + 2) return;
  std::vector<std::uint8_t> seg(data.begin(), data.end());
  const std::span<const std::uint8_t> s(seg);
  const auto s4 = src.first<4>();
  const auto d4 = dst.first<4>();

  // IPv4 pseudo-header written out (RFC 793 §3.1): src, dst, 0, protocol, 16-bit length.
  if (seg.size() <= 0xFFFF) {
    std::array<std::uint8_t, 12> ph{};
    std::memcpy(ph.data(), s4.data(), 4);
    std::memcpy(ph.data() + 4, d4.data(), 4);
    ph[9] = protocol;
    ph[10] = static_cast<std::uint8_t>(seg.size() >> 8);
    ph[11] = static_cast<std::uint8_t>(seg.size());
    FUZZ_CHECK(PseudoHeaderSumV4(s4, d4, protocol, static_cast<std::uint32_t>(seg.size())) ==
               OnesSumReference(ph));
  }
  // IPv6 (RFC 8200 §8.1): src, dst, 32-bit length, 3 zero bytes, next header.
  std::array<std::uint8_t, 40> ph6{};
  std::memcpy(ph6.data(), src.data(), 16);
  std::memcpy(ph6.data() + 16, dst.data(), 16);
  const auto len = static_cast<std::uint32_t>(seg.size());
  ph6[32] = static_cast<std::uint8_t>(len >> 24);
  ph6[33] = static_cast<std::uint8_t>(len >> 16);
  ph6[34] = static_cast<std::uint8_t>(len >> 8);
  ph6[35] = static_cast<std::uint8_t>(len);
  ph6[39] = protocol;
  FUZZ_CHECK(PseudoHeaderSumV6(src, dst, protocol, len) == OnesSumReference(ph6));

  if (protocol == kIpProtoIcmp) return;  // no pseudo-header: not what these functions compute
  const std::uint16_t c4 = TcpUdpChecksumV4(s4, d4, protocol, s);
  seg[off] = static_cast<std::uint8_t>(c4 >> 8);
  seg[off + 1] = static_cast<std::uint8_t>(c4);
  FUZZ_CHECK(L4ChecksumVerifiesV4(s4, d4, protocol, s));
  if (protocol == kIpProtoUdp) FUZZ_CHECK(c4 != 0);  // RFC 768
  const std::uint16_t c6 = TcpUdpChecksumV6(src, dst, protocol, s);
  seg[off] = static_cast<std::uint8_t>(c6 >> 8);
  seg[off + 1] = static_cast<std::uint8_t>(c6);
  FUZZ_CHECK(L4ChecksumVerifiesV6(src, dst, protocol, s));
  if (protocol == kIpProtoUdp) FUZZ_CHECK(c6 != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const auto initial = in.Take<std::uint16_t>();
  const std::size_t shift = in.Take<std::uint8_t>() & 7u;
  const std::uint8_t protocol = in.Take<std::uint8_t>();
  std::array<std::uint8_t, 16> src{}, dst{};
  const auto addrs = in.TakeBytes(32);
  std::memcpy(src.data(), addrs.data(), std::min<std::size_t>(addrs.size(), 16));
  if (addrs.size() > 16) std::memcpy(dst.data(), addrs.data() + 16, addrs.size() - 16);
  const auto rest = in.Rest();

  // The data at an offset of `shift` bytes into an 8-aligned buffer.
  std::vector<std::uint64_t> storage(rest.size() / 8 + 2);
  auto* base = reinterpret_cast<std::uint8_t*>(storage.data());  // NOLINT: byte view of storage
  std::memcpy(base + shift, rest.data(), rest.size());
  const std::span<const std::uint8_t> d(base + shift, rest.size());

  const std::uint16_t ref = OnesSumReference(d, initial);
  FUZZ_CHECK(OnesSum(d, initial) == ref);
  FUZZ_CHECK(ChecksumVerifies(d, initial) == (ref == 0xFFFF));
  FUZZ_CHECK(Checksum(d, initial) == static_cast<std::uint16_t>(~ref));

  // Split anywhere: RFC 1071 §2(B)/(C).
  if (!d.empty()) {
    const std::size_t cut = initial % (d.size() + 1);
    const std::uint16_t a = OnesSum(d.first(cut));
    const std::uint16_t b = OnesSum(d.subspan(cut));
    const std::uint16_t whole = OnesSum(d);
    const std::uint16_t combined = OnesAdd(a, cut % 2 == 0 ? b : SwapSum(b));
    // 0x0000 and 0xFFFF are the two one's-complement zeros; only an all-zero input gives 0x0000.
    FUZZ_CHECK(combined == whole || (combined == 0xFFFF && whole == 0) ||
               (combined == 0 && whole == 0xFFFF));
  }

  // A checksum field at an even offset: fill, verify; then an RFC 1624 incremental update.
  if (d.size() >= 2) {
    std::vector<std::uint8_t> buf(d.begin(), d.end());
    const std::size_t field = (initial % (buf.size() / 2)) * 2;
    buf[field] = buf[field + 1] = 0;
    const std::uint16_t c = Checksum(buf);
    buf[field] = static_cast<std::uint8_t>(c >> 8);
    buf[field + 1] = static_cast<std::uint8_t>(c);
    FUZZ_CHECK(ChecksumVerifies(buf));
    if (buf.size() >= 4) {
      const std::size_t other = field == 0 ? 2 : 0;
      const std::uint16_t m = static_cast<std::uint16_t>(buf[other] << 8 | buf[other + 1]);
      const std::uint16_t m2 = static_cast<std::uint16_t>(m ^ initial);
      // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
      const std::uint16_t hc2 = Complement(OnesAdd(OnesSub(Complement(c), m), m2));
      buf[other] = static_cast<std::uint8_t>(m2 >> 8);
      buf[other + 1] = static_cast<std::uint8_t>(m2);
      buf[field] = static_cast<std::uint8_t>(hc2 >> 8);
      buf[field + 1] = static_cast<std::uint8_t>(hc2);
      // The one exception (RFC 1624 §3): data that became all zero gets HC' = 0x0000 (+0),
      // where a full recomputation stores 0xFFFF.
      bool data_zero = true;
      for (std::size_t i = 0; i < buf.size(); ++i) {
        if (i != field && i != field + 1 && buf[i] != 0) data_zero = false;
      }
      FUZZ_CHECK(ChecksumVerifies(buf) || (data_zero && hc2 == 0));
    }
  }

  CheckTransport(d, protocol, src, dst);
  CheckTransport(d, kIpProtoTcp, src, dst);
  CheckTransport(d, kIpProtoUdp, src, dst);
  CheckTransport(d, kIpProtoIcmpv6, src, dst);
  return 0;
}
