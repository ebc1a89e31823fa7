// Byte-order helpers for header views.
//
// Packets are read and written only through these: never reinterpret_cast bytes to a struct
// (aliasing, alignment and bitfield order are all undefined or implementation-defined).
// Every helper takes a fixed-extent span, so the bounds are part of the type: a view that has
// checked its length hands out `subspan<Offset, N>()` and no load can go past it.
//
//   std::uint16_t type = LoadBe16(frame.subspan<12, 2>());
//
// Network order is big-endian (RFC 791 Appendix B). LoadLe16 exists for virtio_net_hdr only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace nvgre::wire {

using Bytes = std::span<const std::uint8_t>;
using MutBytes = std::span<std::uint8_t>;

constexpr std::uint16_t LoadBe16(std::span<const std::uint8_t, 2> b) {
  return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
}
constexpr std::uint32_t LoadBe24(std::span<const std::uint8_t, 3> b) {
  return (std::uint32_t{b[0]} << 16) | (std::uint32_t{b[1]} << 8) | b[2];
}
constexpr std::uint32_t LoadBe32(std::span<const std::uint8_t, 4> b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
}
constexpr std::uint16_t LoadLe16(std::span<const std::uint8_t, 2> b) {
  return static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}

constexpr void StoreBe16(std::span<std::uint8_t, 2> b, std::uint16_t v) {
  b[0] = static_cast<std::uint8_t>(v >> 8);
  b[1] = static_cast<std::uint8_t>(v);
}
constexpr void StoreBe24(std::span<std::uint8_t, 3> b, std::uint32_t v) {
  b[0] = static_cast<std::uint8_t>(v >> 16);
  b[1] = static_cast<std::uint8_t>(v >> 8);
  b[2] = static_cast<std::uint8_t>(v);
}
constexpr void StoreBe32(std::span<std::uint8_t, 4> b, std::uint32_t v) {
  b[0] = static_cast<std::uint8_t>(v >> 24);
  b[1] = static_cast<std::uint8_t>(v >> 16);
  b[2] = static_cast<std::uint8_t>(v >> 8);
  b[3] = static_cast<std::uint8_t>(v);
}
constexpr void StoreLe16(std::span<std::uint8_t, 2> b, std::uint16_t v) {
  b[0] = static_cast<std::uint8_t>(v);
  b[1] = static_cast<std::uint8_t>(v >> 8);
}

}  // namespace nvgre::wire
