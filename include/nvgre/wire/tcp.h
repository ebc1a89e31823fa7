// TCP header (RFC 9293 §3.1) and its options (RFC 9293 §3.2; RFC 7323 window scale and
// timestamps; RFC 2018 SACK).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          Source Port          |       Destination Port        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        Sequence Number                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Acknowledgment Number                      |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |  Data |       |C|E|U|A|P|R|S|F|                               |
//  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//  |       |       |R|E|G|K|H|T|N|N|                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |           Checksum            |         Urgent Pointer        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    Options (0-40 bytes)       |    Padding    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Usage:
//
//   auto tcp = TcpView::Parse(ip_payload);        // the IP payload: TCP has no length field
//   if (!tcp) return tcp.error();                 // {kTruncated|kBadHeaderLength, kTcp, 0}
//   if (tcp->syn()) ForEachTcpOption(tcp->options(), [&](TcpOption o) {
//     if (o.kind == kTcpOptionMss) mss = LoadBe16(o.data.first<2>());
//   });
//
// Parse does not walk the options (the stack that owns the connection decides how strict to
// be); ValidateTcpOptions() / ForEachTcpOption() do. The checksum is in l4_checksum.h.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/result.h"

namespace nvgre::wire {

// Control bits, the low byte of the 13th-14th header bytes (RFC 9293 §3.1; ECE/CWR RFC 3168).
inline constexpr std::uint8_t kTcpFlagFin = 0x01;
inline constexpr std::uint8_t kTcpFlagSyn = 0x02;
inline constexpr std::uint8_t kTcpFlagRst = 0x04;
inline constexpr std::uint8_t kTcpFlagPsh = 0x08;
inline constexpr std::uint8_t kTcpFlagAck = 0x10;
inline constexpr std::uint8_t kTcpFlagUrg = 0x20;
inline constexpr std::uint8_t kTcpFlagEce = 0x40;
inline constexpr std::uint8_t kTcpFlagCwr = 0x80;

// Option kinds (IANA "TCP Option Kind Numbers").
inline constexpr std::uint8_t kTcpOptionEol = 0;            // RFC 9293 §3.2, 1 byte
inline constexpr std::uint8_t kTcpOptionNop = 1;            // RFC 9293 §3.2, 1 byte
inline constexpr std::uint8_t kTcpOptionMss = 2;            // RFC 9293 §3.2, length 4
inline constexpr std::uint8_t kTcpOptionWindowScale = 3;    // RFC 7323 §2.2, length 3
inline constexpr std::uint8_t kTcpOptionSackPermitted = 4;  // RFC 2018 §2, length 2
inline constexpr std::uint8_t kTcpOptionSack = 5;           // RFC 2018 §3, length 2 + 8n
inline constexpr std::uint8_t kTcpOptionTimestamps = 8;     // RFC 7323 §3.2, length 10

inline constexpr std::size_t kTcpMaxOptionsSize = 40;       // data offset 15 words - 20 bytes

template <class Byte>  // const std::uint8_t (read) or std::uint8_t (read/write)
class BasicTcpView {
 public:
  static constexpr std::size_t kMinHeaderSize = 20;
  static constexpr std::size_t kMinSize = kMinHeaderSize;
  static constexpr std::size_t kMaxHeaderSize = kMinHeaderSize + kTcpMaxOptionsSize;

  // `bytes` is the TCP segment (the IP payload). Checks, in order (Layer::kTcp, offset 0):
  //   fewer than 20 bytes                       -> kTruncated
  //   data offset < 5 words (RFC 9293 §3.1)     -> kBadHeaderLength
  //   fewer bytes than data offset * 4          -> kTruncated
  static Result<BasicTcpView> Parse(std::span<Byte> bytes) {
    if (bytes.size() < kMinHeaderSize) return Fail(ParseError::kTruncated, Layer::kTcp, 0);
    const std::size_t header_length = 4u * static_cast<std::size_t>(bytes[12] >> 4);
    if (header_length < kMinHeaderSize) return Fail(ParseError::kBadHeaderLength, Layer::kTcp, 0);
    if (bytes.size() < header_length) return Fail(ParseError::kTruncated, Layer::kTcp, 0);
    return BasicTcpView(bytes);
  }
  // For emission into a buffer sized by the caller (TcpRepr::header_length()). No checks;
  // header_length()/options()/payload() are only meaningful once the data offset is written.
  static BasicTcpView Unchecked(std::span<Byte> bytes) { return BasicTcpView(bytes); }

  operator BasicTcpView<const std::uint8_t>() const  // NOLINT: implicit like span
    requires(!std::is_const_v<Byte>)
  {
    return BasicTcpView<const std::uint8_t>::Unchecked(bytes_);
  }

  std::span<Byte> bytes() const { return bytes_; }  // header + payload, as parsed

  std::uint16_t source_port() const { return LoadBe16(bytes_.template subspan<0, 2>()); }
  std::uint16_t destination_port() const { return LoadBe16(bytes_.template subspan<2, 2>()); }
  std::uint32_t sequence_number() const { return LoadBe32(bytes_.template subspan<4, 4>()); }
  std::uint32_t acknowledgment_number() const { return LoadBe32(bytes_.template subspan<8, 4>()); }
  std::uint8_t data_offset_words() const { return static_cast<std::uint8_t>(bytes_[12] >> 4); }
  // The 4 bits between data offset and CWR (RFC 9293: reserved, must be zero; bit 7 of the
  // 13th byte is AccECN's AE). Not checked by Parse.
  std::uint8_t reserved_bits() const { return static_cast<std::uint8_t>(bytes_[12] & 0x0F); }
  std::size_t header_length() const { return 4u * data_offset_words(); }
  std::uint8_t flags() const { return bytes_[13]; }  // CWR..FIN
  bool fin() const { return (flags() & kTcpFlagFin) != 0; }
  bool syn() const { return (flags() & kTcpFlagSyn) != 0; }
  bool rst() const { return (flags() & kTcpFlagRst) != 0; }
  bool psh() const { return (flags() & kTcpFlagPsh) != 0; }
  bool ack() const { return (flags() & kTcpFlagAck) != 0; }
  bool urg() const { return (flags() & kTcpFlagUrg) != 0; }
  bool ece() const { return (flags() & kTcpFlagEce) != 0; }
  bool cwr() const { return (flags() & kTcpFlagCwr) != 0; }
  std::uint16_t window() const { return LoadBe16(bytes_.template subspan<14, 2>()); }
  std::uint16_t checksum() const { return LoadBe16(bytes_.template subspan<16, 2>()); }
  std::uint16_t urgent_pointer() const { return LoadBe16(bytes_.template subspan<18, 2>()); }
  // Options and padding: bytes 20 .. header_length().
  std::span<Byte> options() const {
    return bytes_.subspan(kMinHeaderSize, header_length() - kMinHeaderSize);
  }
  // Everything after the header, to the end of the span (TCP has no length field).
  std::span<Byte> payload() const { return bytes_.subspan(header_length()); }

  void set_source_port(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<0, 2>(), v);
  }
  void set_destination_port(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<2, 2>(), v);
  }
  void set_sequence_number(std::uint32_t v) requires(!std::is_const_v<Byte>) {
    StoreBe32(bytes_.template subspan<4, 4>(), v);
  }
  void set_acknowledgment_number(std::uint32_t v) requires(!std::is_const_v<Byte>) {
    StoreBe32(bytes_.template subspan<8, 4>(), v);
  }
  // Precondition: 5 <= words <= 15. Keeps the reserved bits. After this, Parse again before
  // trusting header_length() against the span.
  void set_data_offset_words(std::uint8_t words) requires(!std::is_const_v<Byte>) {
    assert(words >= 5 && words <= 15);
    bytes_[12] = static_cast<std::uint8_t>((words << 4) | (bytes_[12] & 0x0F));
  }
  void set_flags(std::uint8_t v) requires(!std::is_const_v<Byte>) { bytes_[13] = v; }
  void set_window(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<14, 2>(), v);
  }
  void set_checksum(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<16, 2>(), v);
  }
  void set_urgent_pointer(std::uint16_t v) requires(!std::is_const_v<Byte>) {
    StoreBe16(bytes_.template subspan<18, 2>(), v);
  }

 private:
  explicit BasicTcpView(std::span<Byte> b) : bytes_(b) {}
  std::span<Byte> bytes_;
};

using TcpView = BasicTcpView<const std::uint8_t>;
using TcpMutView = BasicTcpView<std::uint8_t>;

extern template class BasicTcpView<std::uint8_t>;

// ---- Options ------------------------------------------------------------------------------

// One option: its kind and the bytes after kind and length (empty for NOP).
struct TcpOption {
  std::uint8_t kind;
  std::span<const std::uint8_t> data;
};

// Walks `options` (TcpView::options(): the bytes from header offset 20 on) and calls
// `f(TcpOption)` for every option before End of Option List, NOPs included; EOL and the
// padding after it are not reported. If `f` returns bool, false stops the walk early (the
// result then counts the options reported so far). Rules (RFC 9293 §3.2 "Specific Option
// Definitions"):
//   - EOL (0) ends the list; NOP (1) is one byte;
//   - every other kind has a length byte >= 2 that counts kind and length and stays within
//     `options`;
//   - MSS is 4 bytes, window scale 3, SACK-permitted 2, timestamps 10, SACK 2 + 8n (n >= 1);
//     unknown kinds may have any length >= 2.
// Returns the number of options reported, or {kBadHeaderLength, Layer::kTcp, 20 + offset of
// the bad option within `options`} (an offset from the start of the TCP header). Options
// before the bad one have already been reported to `f`. No allocation.
template <class F>
Result<std::uint8_t> ForEachTcpOption(std::span<const std::uint8_t> options, F&& f) {
  constexpr std::size_t kBase = 20;  // options start 20 bytes into the TCP header
  std::uint8_t count = 0;
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t kind = options[i];
    if (kind == kTcpOptionEol) break;
    TcpOption option{kind, {}};
    std::size_t len = 1;
    if (kind != kTcpOptionNop) {
      if (i + 1 >= options.size()) {
        return Fail(ParseError::kBadHeaderLength, Layer::kTcp,
                    static_cast<std::uint32_t>(kBase + i));
      }
      len = options[i + 1];
      bool ok = len >= 2 && len <= options.size() - i;
      switch (kind) {
        case kTcpOptionMss: ok = ok && len == 4; break;
        case kTcpOptionWindowScale: ok = ok && len == 3; break;
        case kTcpOptionSackPermitted: ok = ok && len == 2; break;
        case kTcpOptionTimestamps: ok = ok && len == 10; break;
        case kTcpOptionSack: ok = ok && len >= 10 && (len - 2) % 8 == 0; break;
        default: break;
      }
      if (!ok) {
        return Fail(ParseError::kBadHeaderLength, Layer::kTcp,
                    static_cast<std::uint32_t>(kBase + i));
      }
      option.data = options.subspan(i + 2, len - 2);
    }
    ++count;
    if constexpr (std::is_same_v<std::invoke_result_t<F&, TcpOption>, bool>) {
      if (!f(option)) return count;
    } else {
      f(option);
    }
    i += len;
  }
  return count;
}

// ForEachTcpOption with nothing to call: the option count or the first malformed option.
Result<std::uint8_t> ValidateTcpOptions(std::span<const std::uint8_t> options);

// ---- Repr ---------------------------------------------------------------------------------

struct TcpRepr {
  std::uint16_t source_port = 0, destination_port = 0;
  std::uint32_t sequence_number = 0, acknowledgment_number = 0;
  std::uint8_t flags = 0;  // kTcpFlag*
  std::uint16_t window = 0;
  std::uint16_t checksum = 0;
  std::uint16_t urgent_pointer = 0;
  std::array<std::uint8_t, kTcpMaxOptionsSize> options{};  // [0, options_length) used
  std::uint8_t options_length = 0;                          // <= 40

  // Never fails: the view is already validated. Copies options and padding as they are;
  // the reserved bits are not kept.
  static TcpRepr From(const TcpView& v);
  // Replaces the options. Precondition: bytes.size() <= 40.
  void set_options(std::span<const std::uint8_t> bytes);
  std::span<const std::uint8_t> option_bytes() const { return {options.data(), options_length}; }
  // 20 + options rounded up to a multiple of 4.
  std::size_t header_length() const {
    return 20 + ((std::size_t{options_length} + 3) & ~std::size_t{3});
  }
  // Writes header_length() bytes: the options, then zero (EOL) padding to the data offset.
  // The checksum is written as given (compute it with TcpUdpChecksumV4/V6 once the payload is
  // in place). Preconditions: options_length <= 40, out.size() >= header_length().
  void Emit(MutBytes out) const;

  friend bool operator==(const TcpRepr&, const TcpRepr&) = default;
};

}  // namespace nvgre::wire
