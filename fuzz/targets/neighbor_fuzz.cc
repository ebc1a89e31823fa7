// Fuzz target: the virtual network's ARP / ND responder and ICMP "too big" builder
// (virt/neighbor.h; RFC 826, RFC 4861 §4.3-§4.4 and §7.1.1, RFC 1191 §4, RFC 4443 §3.2).
// NVGRE_FUZZ_LIBS: virt offload wire
//
// Input: 1 flags byte, the MTU (4 bytes, big-endian), the size of the ICMP output buffer
// (2 bytes), the answer MAC (6 bytes), then the frame a VM sent. Flags: bit 0 refreshes the
// ICMPv6 checksum and bit 1 the IPv4 header checksum of the frame before use (with the sums
// below), so that the fuzzer gets past the checksum checks to the option and address rules;
// bit 2 uses the buffer size from the input (else kMaxPacketTooBig).
//
// Checksums are verified here with an RFC 1071 loop and an RFC 8200 §8.1 pseudo-header laid
// out byte by byte: nothing from nvgre::wire's checksum code. Invariants:
//   - ParseNeighborQuery never reads past the frame (exact heap copy); a query it returns has
//     the frame's Ethernet source as requester MAC, never a multicast one; an ARP query has
//     IPv4 addresses, a requester IP that is neither 0 nor the target; an NS query has IPv6
//     addresses, a unicast requester and a non-multicast target;
//   - for a query, BuildNeighborReply writes exactly 42 (ARP) or 86 (NA) bytes, and nothing into
//     a buffer one byte short; the ARP reply is an RFC 826 reply from the answer to the
//     requester; the NA is from the target to the requester, hop limit 255, type 136 code 0,
//     flags S|O, Target Link-Layer Address = answer, and its ICMPv6 checksum verifies; fed back
//     to ParseNeighborQuery, neither is a query;
//   - BuildPacketTooBig never writes past `out` (exact heap buffer) and returns 0 or a frame of
//     at most kMaxPacketTooBig bytes: untagged Ethernet back to the frame's source MAC, IPv4
//     (header checksum verifies, at most 576 bytes, ICMP 3/4 whose checksum verifies, Next-Hop
//     MTU = mtu) or IPv6 (at most 1280 bytes, ICMPv6 2/0 whose checksum verifies, MTU = mtu),
//     addresses swapped, the quote a prefix of the offending packet, and the frame it answers
//     is never an ICMP / ICMPv6 error.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <variant>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/virt/address.h"
#include "nvgre/virt/neighbor.h"
#include "nvgre/wire/arp.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace {

using nvgre::fuzz::ExactCopy;
using nvgre::fuzz::FuzzInput;
using namespace nvgre::virt;  // NOLINT
namespace wire = nvgre::wire;
using Frame = std::vector<std::uint8_t>;
using Span = std::span<const std::uint8_t>;

// RFC 1071 §4.1, the plain loop.
std::uint16_t Sum(Span data, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) {
    acc += std::uint32_t{data[i]} << 8 | data[i + 1];
    acc = (acc & 0xFFFF) + (acc >> 16);
  }
  if (data.size() % 2 != 0) acc += std::uint32_t{data.back()} << 8;
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}
// Sum of the RFC 8200 §8.1 pseudo-header bytes for ICMPv6 (next header 58).
std::uint16_t PseudoSum(Span src, Span dst, std::size_t length) {
  std::array<std::uint8_t, 40> p{};
  std::copy(src.begin(), src.end(), p.begin());
  std::copy(dst.begin(), dst.end(), p.begin() + 16);
  for (std::size_t i = 0; i < 4; ++i) p[32 + i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  p[39] = 58;
  return Sum(p);
}
bool Icmpv6Verifies(Span src, Span dst, Span message) {
  return Sum(message, PseudoSum(src, dst, message.size())) == 0xFFFF;
}

// Offset of the EtherType after at most one tag, or 0.
std::size_t TypeOffset(const Frame& f) {
  if (f.size() < 14) return 0;
  if (f[12] == 0x81 && f[13] == 0x00) return f.size() >= 18 ? 16 : 0;
  return 12;
}

void RefreshChecksums(Frame& f, bool icmpv6, bool ipv4) {
  const std::size_t t = TypeOffset(f);
  if (t == 0) return;
  const std::size_t l3 = t + 2;
  if (icmpv6 && f[t] == 0x86 && f[t + 1] == 0xDD && f.size() >= l3 + 40 && f[l3 + 6] == 58) {
    const std::size_t plen = std::size_t{f[l3 + 4]} << 8 | f[l3 + 5];
    if (plen >= 4 && l3 + 40 + plen <= f.size()) {
      std::uint8_t* m = f.data() + l3 + 40;
      m[2] = m[3] = 0;
      const auto c = static_cast<std::uint16_t>(
          ~Sum(Span(m, plen), PseudoSum(Span(f.data() + l3 + 8, 16), Span(f.data() + l3 + 24, 16), plen)));
      m[2] = static_cast<std::uint8_t>(c >> 8);
      m[3] = static_cast<std::uint8_t>(c);
    }
  }
  if (ipv4 && f[t] == 0x08 && f[t + 1] == 0x00 && f.size() >= l3 + 20) {
    const std::size_t ihl = 4u * (f[l3] & 0x0Fu);
    if (ihl >= 20 && l3 + ihl <= f.size()) {
      f[l3 + 10] = f[l3 + 11] = 0;
      const auto c = static_cast<std::uint16_t>(~Sum(Span(f.data() + l3, ihl)));
      f[l3 + 10] = static_cast<std::uint8_t>(c >> 8);
      f[l3 + 11] = static_cast<std::uint8_t>(c);
    }
  }
}

bool Equal(Span a, Span b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

void CheckReply(const Frame& frame, const NeighborQuery& q, const wire::MacAddress& answer) {
  const wire::MacAddress src_mac{frame[6], frame[7], frame[8], frame[9], frame[10], frame[11]};
  FUZZ_CHECK(q.requester_mac == src_mac);
  FUZZ_CHECK(!IsMulticastMac(q.requester_mac));
  const bool arp = q.kind == NeighborKind::kArpRequest;
  const std::size_t expected = arp ? 42 : kMaxNeighborReply;

  Frame out(kMaxNeighborReply);
  const std::size_t n = BuildNeighborReply(q, answer, out);
  FUZZ_CHECK(n == expected);
  Frame exact(n);
  FUZZ_CHECK(BuildNeighborReply(q, answer, exact) == n);
  FUZZ_CHECK(exact == Frame(out.begin(), out.begin() + static_cast<long>(n)));
  Frame short_by_one(n - 1, 0xEE);
  FUZZ_CHECK(BuildNeighborReply(q, answer, short_by_one) == 0);
  FUZZ_CHECK(std::all_of(short_by_one.begin(), short_by_one.end(), [](std::uint8_t b) { return b == 0xEE; }));

  // Ethernet: untagged, from the answer to the requester.
  FUZZ_CHECK(Equal(Span(exact.data(), 6), q.requester_mac));
  FUZZ_CHECK(Equal(Span(exact.data() + 6, 6), answer));
  const auto again = ParseNeighborQuery(exact);
  FUZZ_CHECK(!again.has_value());

  if (arp) {
    const auto* requester = std::get_if<wire::Ipv4Address>(&q.requester_ip);
    const auto* target = std::get_if<wire::Ipv4Address>(&q.target_ip);
    FUZZ_CHECK(requester != nullptr && target != nullptr);
    FUZZ_CHECK(*requester != wire::Ipv4Address{} && *requester != *target);
    FUZZ_CHECK(exact[12] == 0x08 && exact[13] == 0x06);
    // RFC 826 layout, read here byte by byte.
    const std::array<std::uint8_t, 8> fixed{0, 1, 8, 0, 6, 4, 0, 2};
    FUZZ_CHECK(Equal(Span(exact.data() + 14, 8), fixed));
    FUZZ_CHECK(Equal(Span(exact.data() + 22, 6), answer));
    FUZZ_CHECK(Equal(Span(exact.data() + 28, 4), *target));
    FUZZ_CHECK(Equal(Span(exact.data() + 32, 6), q.requester_mac));
    FUZZ_CHECK(Equal(Span(exact.data() + 38, 4), *requester));
    FUZZ_CHECK(again.error() == NeighborIgnore::kArpNotRequest ||
               again.error() == NeighborIgnore::kArpMalformed);  // multicast answer / target
  } else {
    const auto* requester = std::get_if<wire::Ipv6Address>(&q.requester_ip);
    const auto* target = std::get_if<wire::Ipv6Address>(&q.target_ip);
    FUZZ_CHECK(requester != nullptr && target != nullptr);
    FUZZ_CHECK(*requester != wire::Ipv6Address{} && (*requester)[0] != 0xFF);
    FUZZ_CHECK((*target)[0] != 0xFF);
    FUZZ_CHECK(exact[12] == 0x86 && exact[13] == 0xDD);
    const std::array<std::uint8_t, 8> ip_fixed{0x60, 0, 0, 0, 0, 32, 58, 255};
    FUZZ_CHECK(Equal(Span(exact.data() + 14, 8), ip_fixed));
    FUZZ_CHECK(Equal(Span(exact.data() + 22, 16), *target));
    FUZZ_CHECK(Equal(Span(exact.data() + 38, 16), *requester));
    const Span msg(exact.data() + 54, 32);
    FUZZ_CHECK(msg[0] == 136 && msg[1] == 0);
    FUZZ_CHECK(msg[4] == 0x60 && msg[5] == 0 && msg[6] == 0 && msg[7] == 0);
    FUZZ_CHECK(Equal(msg.subspan(8, 16), *target));
    FUZZ_CHECK(msg[24] == 2 && msg[25] == 1 && Equal(msg.subspan(26, 6), answer));
    FUZZ_CHECK(Icmpv6Verifies(Span(exact.data() + 22, 16), Span(exact.data() + 38, 16), msg));
    FUZZ_CHECK(again.error() == NeighborIgnore::kNotNeighborQuery);
  }
}

void CheckTooBig(const Frame& frame, std::uint32_t mtu, std::size_t out_size) {
  Frame out(out_size, 0xEE);
  const std::size_t n = BuildPacketTooBig(frame, mtu, out);
  FUZZ_CHECK(n <= out.size() && n <= kMaxPacketTooBig);
  if (n == 0) return;
  if (n > 0) {
    Frame short_by_one(n - 1, 0xEE);
    FUZZ_CHECK(BuildPacketTooBig(frame, mtu, short_by_one) == 0);
  }
  const std::size_t t = TypeOffset(frame);
  FUZZ_CHECK(t != 0);
  const std::size_t l3 = t + 2;
  // Ethernet: untagged, back to the sender from the MAC it sent to.
  FUZZ_CHECK(Equal(Span(out.data(), 6), Span(frame.data() + 6, 6)));
  FUZZ_CHECK(Equal(Span(out.data() + 6, 6), Span(frame.data(), 6)));
  FUZZ_CHECK(out[12] == frame[t] && out[13] == frame[t + 1]);
  FUZZ_CHECK((out[0] & 1) == 0 && (out[6] & 1) == 0);

  if (out[12] == 0x08 && out[13] == 0x00) {
    FUZZ_CHECK(n >= 14 + 28 && n - 14 <= 576);
    const Span ip(out.data() + 14, n - 14);
    FUZZ_CHECK(ip[0] == 0x45);
    FUZZ_CHECK((std::size_t{ip[2]} << 8 | ip[3]) == ip.size());
    FUZZ_CHECK(ip[9] == 1);
    FUZZ_CHECK(Sum(ip.first(20)) == 0xFFFF);
    FUZZ_CHECK(Equal(ip.subspan(12, 4), Span(frame.data() + l3 + 16, 4)));
    FUZZ_CHECK(Equal(ip.subspan(16, 4), Span(frame.data() + l3 + 12, 4)));
    const Span icmp = ip.subspan(20);
    FUZZ_CHECK(icmp[0] == 3 && icmp[1] == 4 && icmp[4] == 0 && icmp[5] == 0);
    FUZZ_CHECK((std::uint32_t{icmp[6]} << 8 | icmp[7]) == mtu);
    FUZZ_CHECK(Sum(icmp) == 0xFFFF);
    const Span quote = icmp.subspan(8);
    FUZZ_CHECK(Equal(quote, Span(frame.data() + l3, quote.size())));
    // The offending packet: a valid header, not an ICMP error.
    const std::size_t ihl = 4u * (frame[l3] & 0x0Fu);
    FUZZ_CHECK(Sum(Span(frame.data() + l3, ihl)) == 0xFFFF);
    if (frame[l3 + 9] == 1) {
      const std::uint8_t type = frame[l3 + ihl];
      FUZZ_CHECK(type != 3 && type != 4 && type != 5 && type != 11 && type != 12);
    }
  } else {
    FUZZ_CHECK(out[12] == 0x86 && out[13] == 0xDD);
    FUZZ_CHECK(n >= 14 + 48 && n - 14 <= 1280);
    const Span ip(out.data() + 14, n - 14);
    FUZZ_CHECK(ip[0] == 0x60 && ip[6] == 58 && ip[7] == 64);
    FUZZ_CHECK((std::size_t{ip[4]} << 8 | ip[5]) == ip.size() - 40);
    FUZZ_CHECK(Equal(ip.subspan(8, 16), Span(frame.data() + l3 + 24, 16)));
    FUZZ_CHECK(Equal(ip.subspan(24, 16), Span(frame.data() + l3 + 8, 16)));
    const Span icmp = ip.subspan(40);
    FUZZ_CHECK(icmp[0] == 2 && icmp[1] == 0);
    FUZZ_CHECK((std::uint32_t{icmp[4]} << 24 | std::uint32_t{icmp[5]} << 16 |
                std::uint32_t{icmp[6]} << 8 | icmp[7]) == mtu);
    FUZZ_CHECK(Icmpv6Verifies(ip.subspan(8, 16), ip.subspan(24, 16), icmp));
    const Span quote = icmp.subspan(8);
    FUZZ_CHECK(Equal(quote, Span(frame.data() + l3, quote.size())));
    // Directly after the fixed header: never an ICMPv6 error.
    if (frame[l3 + 6] == 58 && frame.size() > l3 + 40) FUZZ_CHECK(frame[l3 + 40] >= 128);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const auto flags = in.Take<std::uint8_t>();
  const auto mtu = in.Take<std::uint32_t>();
  const auto out_size = in.Take<std::uint16_t>();
  wire::MacAddress answer{};
  const auto mac = in.TakeBytes(6);
  std::copy(mac.begin(), mac.end(), answer.begin());
  Frame frame = ExactCopy(in.Rest());
  RefreshChecksums(frame, (flags & 1) != 0, (flags & 2) != 0);

  const auto q = ParseNeighborQuery(frame);
  if (q) {
    CheckReply(frame, *q, answer);
  } else {
    FUZZ_CHECK(q.error() < NeighborIgnore::kCount);
    FUZZ_CHECK(ToString(q.error()) != "?");
  }
  CheckTooBig(frame, mtu, (flags & 4) != 0 ? out_size % (kMaxPacketTooBig + 64) : kMaxPacketTooBig);
  return 0;
}
