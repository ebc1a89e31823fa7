// Fuzz target: TcpView / TcpRepr (RFC 9293 §3.1) and the option walk ForEachTcpOption /
// ValidateTcpOptions (RFC 9293 §3.2, RFC 7323, RFC 2018).
//
// Input: a TCP segment (the IP payload). Invariants:
//   - Parse agrees with the check order of tcp.h;
//   - on success 20 <= header_length() <= 60 and <= size, options() = [20, header_length()),
//     payload() the rest, all inside the span;
//   - TcpRepr::From(view).Emit() gives back the header except the 4 reserved bits (not kept);
//   - the option walk agrees with a plain reference walk (count, every option's kind and data,
//     the failure offset), every option's data lies inside options(), the walk stops early
//     when the callback returns false, and ValidateTcpOptions gives the same result.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/tcp.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::Within;
using namespace nvgre::wire;  // NOLINT

struct RefOption {
  std::uint8_t kind;
  std::size_t data_offset;  // within the options span
  std::size_t data_size;
};

struct RefWalk {
  std::vector<RefOption> options;
  std::optional<std::uint32_t> bad_offset;  // from the TCP header start
};

RefWalk ReferenceOptions(std::span<const std::uint8_t> o) {
  RefWalk r;
  std::size_t i = 0;
  while (i < o.size()) {
    const std::uint8_t kind = o[i];
    if (kind == 0) break;  // EOL
    if (kind == 1) {       // NOP
      r.options.push_back({kind, i + 1, 0});
      ++i;
      continue;
    }
    const auto bad = static_cast<std::uint32_t>(20 + i);
    if (i + 1 >= o.size()) return r.bad_offset = bad, r;
    const std::size_t len = o[i + 1];
    bool ok = len >= 2 && i + len <= o.size();
    if (kind == 2) ok = ok && len == 4;
    if (kind == 3) ok = ok && len == 3;
    if (kind == 4) ok = ok && len == 2;
    if (kind == 8) ok = ok && len == 10;
    if (kind == 5) ok = ok && len >= 10 && (len - 2) % 8 == 0;
    if (!ok) return r.bad_offset = bad, r;
    r.options.push_back({kind, i + 2, len - 2});
    i += len;
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> segment = ExactCopy(std::span(data, size));
  const std::span<const std::uint8_t> bytes(segment);

  // The option walk, on the raw input as an options area (up to 40 bytes, and beyond: the walk
  // itself does not limit the size).
  const RefWalk ref = ReferenceOptions(bytes);
  std::size_t seen = 0;
  auto walked = ForEachTcpOption(bytes, [&](TcpOption o) {
    FUZZ_CHECK(seen < ref.options.size());
    const RefOption& r = ref.options[seen];
    FUZZ_CHECK(o.kind == r.kind);
    FUZZ_CHECK(Within(o.data, bytes));
    if (o.kind != kTcpOptionNop) {
      FUZZ_CHECK(o.data.data() == bytes.data() + r.data_offset && o.data.size() == r.data_size);
    } else {
      FUZZ_CHECK(o.data.empty());
    }
    ++seen;
  });
  const auto validated = ValidateTcpOptions(bytes);
  FUZZ_CHECK(walked.has_value() == !ref.bad_offset.has_value());
  FUZZ_CHECK(validated.has_value() == walked.has_value());
  FUZZ_CHECK(seen == ref.options.size());
  if (walked) {
    // The count is a uint8_t; more than 255 NOPs would not fit.
    if (ref.options.size() <= 255) FUZZ_CHECK(*walked == ref.options.size());
    FUZZ_CHECK(*validated == *walked);
  } else {
    const ParseFailure f{ParseError::kBadHeaderLength, Layer::kTcp, Scope::kOuter, *ref.bad_offset};
    FUZZ_CHECK(walked.error() == f && validated.error() == f);
  }
  // Stopping early: a callback returning false after the first option.
  std::size_t calls = 0;
  auto stopped = ForEachTcpOption(bytes, [&](TcpOption) { return ++calls < 1; });
  if (!ref.options.empty()) {
    FUZZ_CHECK(calls == 1 && stopped.has_value() && *stopped == 1);
  }

  // The header.
  auto tcp = TcpView::Parse(bytes);
  const bool want_ok = size >= 20 && (bytes[12] >> 4) >= 5 && size >= 4u * (bytes[12] >> 4);
  FUZZ_CHECK(tcp.has_value() == want_ok);
  if (!tcp) {
    const ParseError e = size < 20 ? ParseError::kTruncated
                         : (bytes[12] >> 4) < 5 ? ParseError::kBadHeaderLength
                                                : ParseError::kTruncated;
    FUZZ_CHECK(tcp.error() == (ParseFailure{e, Layer::kTcp, Scope::kOuter, 0}));
    return 0;
  }
  const TcpView& v = *tcp;
  FUZZ_CHECK(v.header_length() >= 20 && v.header_length() <= 60 && v.header_length() <= size);
  FUZZ_CHECK(Within(v.options(), bytes) && v.options().data() == bytes.data() + 20 &&
             v.options().size() == v.header_length() - 20);
  FUZZ_CHECK(Within(v.payload(), bytes) && v.payload().size() == size - v.header_length());
  FUZZ_CHECK(v.flags() == bytes[13] && v.syn() == ((bytes[13] & 2) != 0));

  const TcpRepr repr = TcpRepr::From(v);
  FUZZ_CHECK(repr.header_length() == v.header_length());
  FUZZ_CHECK(repr.option_bytes().size() == v.options().size());
  std::vector<std::uint8_t> out(repr.header_length(), 0xA5);
  repr.Emit(out);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t mask = i == 12 ? 0xF0 : 0xFF;  // reserved bits not kept
    FUZZ_CHECK((out[i] & mask) == (bytes[i] & mask));
  }
  FUZZ_CHECK((out[12] & 0x0F) == 0);
  auto again = TcpView::Parse(std::span<const std::uint8_t>(out));
  FUZZ_CHECK(again.has_value() && TcpRepr::From(*again) == repr);

  // Setters through the read/write view.
  auto mut = TcpMutView::Parse(std::span<std::uint8_t>(segment));
  FUZZ_CHECK(mut.has_value());
  const std::vector<std::uint8_t> before = segment;
  mut->set_data_offset_words(static_cast<std::uint8_t>(v.data_offset_words()));
  mut->set_checksum(static_cast<std::uint16_t>(v.checksum() + 1));
  FUZZ_CHECK(mut->reserved_bits() == v.reserved_bits());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (i != 16 && i != 17) FUZZ_CHECK(segment[i] == before[i]);
  }
  return 0;
}
