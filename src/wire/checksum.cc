// RFC 1071 Internet checksum: reference loop and the fast version.
#include "nvgre/wire/checksum.h"

#include <cstring>

namespace nvgre::wire {

std::uint16_t OnesSumReference(std::span<const std::uint8_t> data, std::uint16_t initial) {
  std::uint32_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  if (i < data.size()) {
    sum += static_cast<std::uint32_t>(data[i] << 8);  // pad the odd byte with zero (§4.1)
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(sum);
}

namespace {
// Loads 4 bytes in host order. Summing host-order words and swapping the folded result once
// gives the network-order sum (RFC 1071 §2(B) byte-order independence).
inline std::uint64_t Load32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}  // namespace

std::uint16_t OnesSum(std::span<const std::uint8_t> data, std::uint16_t initial) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  // 32-bit words summed into 64-bit accumulators cannot overflow below 2^32 words (16 GiB).
  std::uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  while (n >= 32) {
    a0 += Load32(p) + Load32(p + 16);
    a1 += Load32(p + 4) + Load32(p + 20);
    a2 += Load32(p + 8) + Load32(p + 24);
    a3 += Load32(p + 12) + Load32(p + 28);
    p += 32;
    n -= 32;
  }
  while (n >= 4) {
    a0 += Load32(p);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    a1 += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // The odd byte is the high byte of a big-endian word; in host (little-endian) order that
    // is the low byte of the word we are accumulating.
    a2 += kLittleEndian ? std::uint64_t{p[0]} : std::uint64_t{p[0]} << 8;
  }
  std::uint16_t host = Fold(a0 + a1 + a2 + a3);
  std::uint16_t sum = kLittleEndian ? SwapSum(host) : host;
  return OnesAdd(sum, initial);
}

}  // namespace nvgre::wire
