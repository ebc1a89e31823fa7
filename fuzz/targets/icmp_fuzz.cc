// Fuzz target: IcmpView (RFC 792), Icmpv6View (RFC 4443) and IcmpRepr.
//
// Input: 32 bytes of IPv6 addresses (for the ICMPv6 pseudo-header, RFC 4443 §2.3), then the
// ICMP message. Invariants, for both views:
//   - Parse succeeds exactly for 4 bytes or more; header_length() is 8 with the rest-of-header
//     word, else 4; payload() is the rest of the span;
//   - is_echo() only for the echo types with the rest word; the echo fields are its halves;
//   - IcmpRepr::From(view).Emit() gives back the first 8 bytes exactly when they are there;
//   - FillChecksum() makes ChecksumVerifies() true and changes only the checksum field; and
//     ChecksumVerifies() agrees with the RFC 1071 reference sum.
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/icmp.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::FuzzInput;
using nvgre::fuzz::Within;
using namespace nvgre::wire;  // NOLINT

template <class View, class MutView>
void CheckCommon(std::vector<std::uint8_t>& message, Layer layer, std::uint8_t echo_request,
                 std::uint8_t echo_reply) {
  const std::span<const std::uint8_t> bytes(message);
  auto icmp = View::Parse(bytes);
  FUZZ_CHECK(icmp.has_value() == (bytes.size() >= 4));
  if (!icmp) {
    FUZZ_CHECK(icmp.error() == (ParseFailure{ParseError::kTruncated, layer, Scope::kOuter, 0}));
    return;
  }
  const View& v = *icmp;
  FUZZ_CHECK(v.has_rest() == (bytes.size() >= 8));
  FUZZ_CHECK(v.header_length() == (v.has_rest() ? 8u : 4u));
  FUZZ_CHECK(Within(v.payload(), bytes) && v.payload().data() == bytes.data() + v.header_length());
  FUZZ_CHECK(v.is_echo() == (v.has_rest() && (v.type() == echo_request || v.type() == echo_reply)));
  if (v.is_echo()) {
    FUZZ_CHECK((std::uint32_t{v.echo_identifier()} << 16 | v.echo_sequence()) == v.rest());
  }
  const IcmpRepr repr = IcmpRepr::From(v);
  if (v.has_rest()) {
    std::vector<std::uint8_t> out(IcmpRepr::kSize, 0xA5);
    repr.Emit(out);
    FUZZ_CHECK(std::memcmp(out.data(), bytes.data(), 8) == 0);
  } else {
    FUZZ_CHECK(repr.rest == 0 && repr.type == v.type() && repr.checksum == v.checksum());
  }
  (void)sizeof(MutView);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  std::array<std::uint8_t, 16> src{}, dst{};
  const auto addrs = in.TakeBytes(32);
  std::memcpy(src.data(), addrs.data(), std::min<std::size_t>(addrs.size(), 16));
  if (addrs.size() > 16) std::memcpy(dst.data(), addrs.data() + 16, addrs.size() - 16);
  std::vector<std::uint8_t> message = ExactCopy(in.Rest());

  CheckCommon<IcmpView, IcmpMutView>(message, Layer::kIcmp, kIcmpEchoRequest, kIcmpEchoReply);
  CheckCommon<Icmpv6View, Icmpv6MutView>(message, Layer::kIcmpv6, kIcmpv6EchoRequest,
                                         kIcmpv6EchoReply);
  if (message.size() < 4) return 0;
  const std::vector<std::uint8_t> before = message;
  auto same_except_checksum = [&] {
    for (std::size_t i = 0; i < message.size(); ++i) {
      if (i != 2 && i != 3) FUZZ_CHECK(message[i] == before[i]);
    }
  };

  // ICMPv4: RFC 792, over the message alone.
  auto v4 = IcmpView::Parse(std::span<const std::uint8_t>(message));
  FUZZ_CHECK(v4->ChecksumVerifies() == (OnesSumReference(message) == 0xFFFF));
  auto m4 = IcmpMutView::Parse(std::span<std::uint8_t>(message));
  FUZZ_CHECK(m4.has_value());
  m4->FillChecksum();
  FUZZ_CHECK(IcmpView(*m4).ChecksumVerifies());
  same_except_checksum();
  message = before;

  // ICMPv6: RFC 4443 §2.3, with the pseudo-header.
  auto m6 = Icmpv6MutView::Parse(std::span<std::uint8_t>(message));
  FUZZ_CHECK(m6.has_value());
  m6->FillChecksum(src, dst);
  FUZZ_CHECK(Icmpv6View(*m6).ChecksumVerifies(src, dst));
  same_except_checksum();
  return 0;
}
