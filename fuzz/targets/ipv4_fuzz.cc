// Fuzz target: Ipv4View / Ipv4Repr (RFC 791 §3.1), both Capture modes, and FormatIpv4.
//
// Input: an IPv4 packet. Invariants:
//   - Parse agrees with the check order of ipv4.h, written out plainly (error kind per mode);
//   - on success 20 <= header_length() <= 60, header_length() <= packet_length() <= size,
//     payload() = [header_length(), packet_length()) inside the span, truncated() only in
//     kMayBeTruncated mode and exactly when Total Length > size;
//   - Ipv4Repr::From(view).Emit() gives back the header bytes except the reserved flag (not
//     carried, ipv4.h) and the checksum (recomputed, and it verifies); when the input checksum
//     verifies (and is not the alternative zero 0xFFFF) and the reserved flag is clear the bytes
//     are identical;
//   - FillHeaderChecksum() on the read/write view makes header_checksum_valid() true and
//     changes only bytes 10-11;
//   - FormatIpv4 prints what inet_ntop prints.
#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/ipv4.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::Within;
using namespace nvgre::wire;  // NOLINT

std::optional<ParseError> ReferenceError(std::span<const std::uint8_t> b, Capture capture) {
  if (b.size() < 20) return ParseError::kTruncated;
  if ((b[0] >> 4) != 4) return ParseError::kBadVersion;
  const std::size_t hl = std::size_t{b[0] & 0x0Fu} * 4;
  if (hl < 20) return ParseError::kBadHeaderLength;
  if (b.size() < hl) return ParseError::kTruncated;
  const std::size_t total = std::size_t{b[2]} << 8 | b[3];
  if (total != 0 && total < hl) return ParseError::kLengthMismatch;
  if (total > b.size() && capture == Capture::kComplete) return ParseError::kTruncated;
  return std::nullopt;
}

void CheckOne(std::vector<std::uint8_t>& packet, Capture capture) {
  const std::span<const std::uint8_t> bytes(packet);
  const std::size_t size = bytes.size();
  const auto want = ReferenceError(bytes, capture);
  auto ip = Ipv4View::Parse(bytes, capture);
  FUZZ_CHECK(ip.has_value() == !want.has_value());
  if (!ip) {
    FUZZ_CHECK(ip.error() == (ParseFailure{*want, Layer::kIpv4, Scope::kOuter, 0}));
    return;
  }
  const Ipv4View& v = *ip;
  FUZZ_CHECK(v.version() == 4);
  FUZZ_CHECK(v.header_length() >= 20 && v.header_length() <= 60 && v.header_length() <= size);
  FUZZ_CHECK(v.header_length() <= v.packet_length() && v.packet_length() <= size);
  FUZZ_CHECK(v.truncated() == (v.total_length() > size));
  if (capture == Capture::kComplete) FUZZ_CHECK(!v.truncated());
  if (!v.total_length_zero() && !v.truncated()) FUZZ_CHECK(v.packet_length() == v.total_length());
  if (v.total_length_zero() || v.truncated()) FUZZ_CHECK(v.packet_length() == size);
  FUZZ_CHECK(Within(v.payload(), bytes) &&
             v.payload().data() == bytes.data() + v.header_length() &&
             v.payload().size() == v.packet_length() - v.header_length());
  FUZZ_CHECK(Within(v.options(), bytes) && v.options().size() == v.header_length() - 20);
  FUZZ_CHECK(v.fragment_offset() % 8 == 0 && v.fragment_offset() <= 65528);
  FUZZ_CHECK(v.is_fragment() == (v.more_fragments() || v.fragment_offset() != 0));
  FUZZ_CHECK(v.header_checksum_valid() == (OnesSumReference(v.header()) == 0xFFFF));

  // Repr round trip.
  const Ipv4Repr repr = Ipv4Repr::From(v);
  FUZZ_CHECK(repr.header_length() == v.header_length());
  std::vector<std::uint8_t> out(repr.header_length(), 0xA5);
  repr.Emit(out);
  FUZZ_CHECK(ChecksumVerifies(out));
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i == 10 || i == 11) continue;  // the checksum: recomputed
    const std::uint8_t mask = i == 6 ? 0x7F : 0xFF;  // the reserved flag: not carried
    FUZZ_CHECK((out[i] & mask) == (bytes[i] & mask));
  }
  FUZZ_CHECK((out[6] & 0x80) == 0);
  // 0xFFFF and 0x0000 both verify (RFC 1624 §3: -0 and +0); Emit computes 0x0000 whenever the
  // rest of the header sums to 0xFFFF, so an input carrying 0xFFFF there differs in that field.
  if (v.header_checksum_valid() && !v.reserved_flag() && v.header_checksum() != 0xFFFF) {
    FUZZ_CHECK(std::memcmp(out.data(), bytes.data(), out.size()) == 0);
  }
  std::vector<std::uint8_t> emitted = out;
  auto again = Ipv4View::Parse(std::span<const std::uint8_t>(emitted), Capture::kMayBeTruncated);
  FUZZ_CHECK(again.has_value() && Ipv4Repr::From(*again) == repr);

  // FillHeaderChecksum through the read/write view.
  auto mut = Ipv4MutView::Parse(std::span<std::uint8_t>(packet), capture);
  FUZZ_CHECK(mut.has_value() && mut->packet_length() == v.packet_length());
  const std::vector<std::uint8_t> before = packet;
  mut->FillHeaderChecksum();
  FUZZ_CHECK(mut->header_checksum_valid());
  for (std::size_t i = 0; i < packet.size(); ++i) {
    if (i != 10 && i != 11) FUZZ_CHECK(packet[i] == before[i]);
  }
  packet = before;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> packet = ExactCopy(std::span(data, size));
  CheckOne(packet, Capture::kComplete);
  CheckOne(packet, Capture::kMayBeTruncated);
  if (size >= 20) {
    const Ipv4Address a{data[12], data[13], data[14], data[15]};
    char text[INET_ADDRSTRLEN];
    FUZZ_CHECK(inet_ntop(AF_INET, a.data(), text, sizeof text) != nullptr);
    FUZZ_CHECK(FormatIpv4(a) == text);
  }
  return 0;
}
