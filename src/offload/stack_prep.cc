// The protocol-driver side of NVGRE transmit offload. See stack_prep.h.
#include "nvgre/offload/stack_prep.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/tcp.h"

namespace nvgre::offload {
namespace {

using Bytes = std::span<const std::uint8_t>;
using MutBytes = std::span<std::uint8_t>;

constexpr std::size_t kIpv4TotalLength = 2;
constexpr std::size_t kIpv4Checksum = 10;
constexpr std::size_t kIpv6PayloadLength = 4;
constexpr std::size_t kIpv6HeaderSize = 40;
constexpr std::size_t kTcpChecksum = 16;
constexpr std::size_t kUdpLength = 4;
constexpr std::size_t kUdpChecksum = 6;

std::span<std::uint8_t, 2> Field16(MutBytes b, std::size_t off) {
  return std::span<std::uint8_t, 2>(b.data() + off, 2);
}

struct Located {
  wire::FrameLayout layout;
  std::size_t header_length = 0;
  std::uint8_t l4 = 0;  // TCP/UDP/ICMP... located, else 0
};

// Classifies `frame` and checks it has the NVGRE shape the stack builds.
std::optional<PrepareError> Locate(Bytes frame, Located& out) {
  wire::FrameLayout& l = out.layout;
  l = wire::ClassifyFrame(frame);
  if (l.encapsulation != wire::Encapsulation::kGreEthernet || !l.inner_l2.present()) {
    return l.error ? PrepareError::kMalformed : PrepareError::kNotNvgreShaped;
  }
  if (l.error || l.truncated) return PrepareError::kMalformed;
  if (!l.inner_l3.present()) return PrepareError::kNotNvgreShaped;
  if (l.inner_l3.is_fragment) return PrepareError::kInnerFragment;
  out.l4 = l.inner_l4 != wire::kNoHeader ? l.l4_protocol : 0;
  out.header_length = (out.l4 == wire::kIpProtoTcp || out.l4 == wire::kIpProtoUdp)
                          ? std::size_t{l.payload}
                          : std::size_t{l.inner_l3.l4_offset()};
  return std::nullopt;
}

// Writes `len` into the IP length field at `l3` (IPv4 Total Length or IPv6 Payload Length,
// `len` counting from the IP header start); false when it does not fit 16 bits.
bool StoreIpLength(MutBytes h, const wire::L3Layout& l3, std::size_t len) {
  const std::size_t field = l3.version == 4 ? len : len - kIpv6HeaderSize;
  if (field > 0xFFFF) return false;
  wire::StoreBe16(Field16(h, l3.offset + (l3.version == 4 ? kIpv4TotalLength : kIpv6PayloadLength)),
                  static_cast<std::uint16_t>(field));
  return true;
}

std::uint16_t LoadIpLengthField(MutBytes h, const wire::L3Layout& l3) {
  return wire::LoadBe16(Field16(h, l3.offset + (l3.version == 4 ? kIpv4TotalLength : kIpv6PayloadLength)));
}

// Pseudo-header sum (RFC 793 §3.1 / RFC 8200 §8.1) of the inner packet with `length`.
std::uint16_t PseudoSum(MutBytes h, const wire::L3Layout& l3, std::uint8_t protocol,
                        std::uint32_t length) {
  if (l3.version == 4) {
    return wire::PseudoHeaderSumV4(std::span<const std::uint8_t, 4>(h.data() + l3.offset + 12, 4),
                                   std::span<const std::uint8_t, 4>(h.data() + l3.offset + 16, 4),
                                   protocol, length);
  }
  // RFC 8200 §8.1: the final destination (a Routing header's last address while Segments Left
  // > 0), which the classifier located; the seed the NIC completes must carry it.
  return wire::PseudoHeaderSumV6(std::span<const std::uint8_t, 16>(h.data() + l3.offset + 8, 16),
                                 std::span<const std::uint8_t, 16>(h.data() + l3.pseudo_destination, 16),
                                 protocol, length);
}

}  // namespace

std::uint32_t NvgreMssForMtu(std::span<const std::uint8_t> frame, std::uint32_t mtu) {
  Located loc;
  if (Locate(frame, loc)) return 0;
  const std::size_t overhead = loc.header_length - loc.layout.outer_l3.offset;
  return mtu > overhead ? static_cast<std::uint32_t>(mtu - overhead) : 0;
}

PrepareResult PrepareNvgreSend(std::span<const std::uint8_t> frame, const PrepareOptions& options,
                               std::span<std::uint8_t> headers_out) {
  Located loc;
  if (auto e = Locate(frame, loc)) return *e;
  const wire::FrameLayout& l = loc.layout;
  const std::size_t hl = loc.header_length;
  const bool tcp = loc.l4 == wire::kIpProtoTcp;
  const bool udp = loc.l4 == wire::kIpProtoUdp;
  const Segmentation seg = options.segmentation;
  if (seg == Segmentation::kLsoV2 && !tcp) return PrepareError::kNotTcp;
  if (seg == Segmentation::kUso && !udp) return PrepareError::kNotUdp;
  if (headers_out.size() < hl) return PrepareError::kBufferTooSmall;

  PreparedSend out;
  out.header_length = hl;
  out.outer_ipv6 = l.outer_l3.version == 6;
  out.inner_ipv6 = l.inner_l3.version == 6;
  out.inner_protocol = loc.l4;

  // Supplemental offsets (§2.1), from the classifier.
  const bool tcp_options = tcp && hl - l.inner_l4 > wire::TcpView::kMinHeaderSize;
  const std::uint32_t inner_l4 = l.inner_l3.l4_offset();
  auto supp = SendOffloadsSupplementalInfo::FromAbsoluteOffsets(
      l.inner_l2.offset, l.inner_l3.offset, inner_l4, out.inner_ipv6, tcp_options);
  if (!supp) return PrepareError::kOffsetsDoNotFit;
  out.oob.supplemental = *supp;
  // The legacy transport offset as the inner stack saw it: relative to the inner frame. Wrong
  // for the encapsulated packet, which is why NDIS tells the NIC to ignore it (§2.1) [INFER].
  const std::uint32_t legacy = inner_l4 - l.inner_l2.offset;

  const auto outer_version = out.outer_ipv6 ? OffloadIpVersion::kIpv6 : OffloadIpVersion::kIpv4;
  if (seg != Segmentation::kNone) {
    std::uint32_t mss = options.mss;
    if (mss == 0) {
      const std::size_t overhead = hl - l.outer_l3.offset;
      if (options.mtu <= overhead) return PrepareError::kMtuTooSmall;
      mss = static_cast<std::uint32_t>(options.mtu - overhead);
    }
    out.mss = mss;
    if (seg == Segmentation::kLsoV2) {
      auto lso = LsoV2TxInfo::Make({.mss = mss, .tcp_header_offset = legacy,
                                    .type = LsoType::kV2, .ip_version = outer_version});
      if (!lso) {
        lso = LsoV2TxInfo::Make({.mss = mss, .type = LsoType::kV2, .ip_version = outer_version});
        if (!lso) return PrepareError::kMssDoesNotFit;
      }
      out.oob.large_send = lso->raw();
    } else {
      auto uso = UdpSegmentationTxInfo::Make(
          {.mss = mss, .udp_header_offset = legacy, .ip_version = outer_version});
      if (!uso) {
        uso = UdpSegmentationTxInfo::Make({.mss = mss, .ip_version = outer_version});
        if (!uso) return PrepareError::kMssDoesNotFit;
      }
      out.oob.uso = *uso;
    }
  }

  // Checksum info: IsIPv4/IsIPv6 = the OUTER version (§2.2).
  const bool any_ipv4 = !out.outer_ipv6 || !out.inner_ipv6;
  const bool want_ip = any_ipv4 && (seg != Segmentation::kNone || options.ip_header_checksum);
  const bool want_tcp = tcp && (seg == Segmentation::kLsoV2 || (seg == Segmentation::kNone && options.l4_checksum));
  const bool want_udp = udp && (seg == Segmentation::kUso || (seg == Segmentation::kNone && options.l4_checksum));
  ChecksumTxInfo c;
  if (want_ip || want_tcp || want_udp) {
    c.set_is_ipv4(!out.outer_ipv6);
    c.set_is_ipv6(out.outer_ipv6);
    c.set_ip_header_checksum(want_ip);
    c.set_tcp_checksum(want_tcp);
    c.set_udp_checksum(want_udp);
    if (!c.set_tcp_header_offset(legacy)) (void)c.set_tcp_header_offset(0);
  }
  out.oob.checksum = c;

  // The header template.
  MutBytes h = headers_out.first(hl);
  std::memcpy(h.data(), frame.data(), hl);
  const wire::L3Layout* ips[2] = {&l.outer_l3, &l.inner_l3};
  if (seg == Segmentation::kNone) {
    // Real lengths (a length field left 0 is filled from where that IP packet ends: the frame for the
    // outer one, the outer IP packet for the inner one — never trailing bytes).
    for (const wire::L3Layout* l3 : ips) {
      if (LoadIpLengthField(h, *l3) == 0 && !StoreIpLength(h, *l3, l3->end - l3->offset)) {
        return PrepareError::kMalformed;
      }
    }
  } else {
    // LSOv2 / USO templates: IP lengths 0 (inner: base LSOv2; outer and IPv6: [INFER]).
    for (const wire::L3Layout* l3 : ips) {
      wire::StoreBe16(Field16(h, l3->offset + (l3->version == 4 ? kIpv4TotalLength : kIpv6PayloadLength)), 0);
    }
    if (udp) wire::StoreBe16(Field16(h, l.inner_l4 + kUdpLength), 0);
  }
  if (want_ip || seg != Segmentation::kNone) {
    for (const wire::L3Layout* l3 : ips) {
      if (l3->version == 4) wire::StoreBe16(Field16(h, l3->offset + kIpv4Checksum), 0);
    }
  }
  if (want_tcp || want_udp) {
    std::uint32_t length = 0;  // LSOv2 / USO: seed WITHOUT the length (§4)
    if (seg == Segmentation::kNone) {
      // Checksum offload: seed WITH the L4 length (base checksum offload, §3.1): to the end of
      // the inner IP packet, or the UDP Length.
      const std::uint16_t field = LoadIpLengthField(h, l.inner_l3);
      const std::size_t ip_end =
          l.inner_l3.offset + std::size_t{field} + (l.inner_l3.version == 6 ? kIpv6HeaderSize : 0);
      if (ip_end > frame.size() || ip_end < hl) return PrepareError::kMalformed;
      length = static_cast<std::uint32_t>(ip_end - l.inner_l4);
      if (udp) {
        const std::uint16_t udp_length = wire::LoadBe16(Field16(h, l.inner_l4 + kUdpLength));
        if (udp_length == 0) {
          if (length > 0xFFFF) return PrepareError::kMalformed;
          wire::StoreBe16(Field16(h, l.inner_l4 + kUdpLength), static_cast<std::uint16_t>(length));
        } else {
          length = udp_length;
        }
      }
    }
    const std::size_t field = l.inner_l4 + (tcp ? kTcpChecksum : kUdpChecksum);
    wire::StoreBe16(Field16(h, field), PseudoSum(h, l.inner_l3, loc.l4, length));
  }
  return out;
}

}  // namespace nvgre::offload
