// Transport checksums over the pseudo-header. See l4_checksum.h.
#include "nvgre/wire/l4_checksum.h"

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"

namespace nvgre::wire {
namespace {

// ~(pseudo + segment - checksum field): the value to store, whatever the field holds now.
std::uint16_t FinishChecksum(std::uint16_t pseudo, std::uint8_t protocol,
                             std::span<const std::uint8_t> segment) {
  std::uint16_t sum = OnesSum(segment, pseudo);
  const std::size_t off = L4ChecksumOffset(protocol);
  // The field sits at an even offset, so its big-endian value is its share of the sum.
  if (off != 0 && segment.size() >= off + 2) {
    sum = OnesSub(sum, LoadBe16(segment.subspan(off).first<2>()));
  }
  std::uint16_t csum = Complement(sum);
  if (csum == 0 && protocol == kIpProtoUdp) csum = 0xFFFF;  // RFC 768: 0 means "none"
  return csum;
}

std::uint32_t Length(std::span<const std::uint8_t> segment) {
  return static_cast<std::uint32_t>(segment.size());
}

}  // namespace

std::uint16_t TcpUdpChecksumV4(std::span<const std::uint8_t, 4> src,
                               std::span<const std::uint8_t, 4> dst, std::uint8_t protocol,
                               std::span<const std::uint8_t> segment) {
  return FinishChecksum(PseudoHeaderSumV4(src, dst, protocol, Length(segment)), protocol, segment);
}

std::uint16_t TcpUdpChecksumV6(std::span<const std::uint8_t, 16> src,
                               std::span<const std::uint8_t, 16> dst, std::uint8_t protocol,
                               std::span<const std::uint8_t> segment) {
  return FinishChecksum(PseudoHeaderSumV6(src, dst, protocol, Length(segment)), protocol, segment);
}

bool L4ChecksumVerifiesV4(std::span<const std::uint8_t, 4> src,
                          std::span<const std::uint8_t, 4> dst, std::uint8_t protocol,
                          std::span<const std::uint8_t> segment) {
  return ChecksumVerifies(segment, PseudoHeaderSumV4(src, dst, protocol, Length(segment)));
}

bool L4ChecksumVerifiesV6(std::span<const std::uint8_t, 16> src,
                          std::span<const std::uint8_t, 16> dst, std::uint8_t protocol,
                          std::span<const std::uint8_t> segment) {
  return ChecksumVerifies(segment, PseudoHeaderSumV6(src, dst, protocol, Length(segment)));
}

}  // namespace nvgre::wire
