// The transmit offload engine (spec §2, §3.1, §4). See tx_engine.h for the contract.
//
// One pass: locate the headers (wire::ClassifyFrame on the first bytes), check the request
// against the packet and the adapter configuration in the documented order, then emit. For
// LSOv2/USO the template header block is prepared once (checksum and per-segment fields zeroed,
// one's-complement sums of the fixed parts taken), and each segment costs a header copy, a few
// 16-bit stores, and one pass of OnesSum over its payload slices.
#include "nvgre/offload/tx_engine.h"

#include <algorithm>
#include <cstring>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/tcp.h"

namespace nvgre::offload {
namespace {

using Bytes = std::span<const std::uint8_t>;
using wire::LoadBe16;
using wire::LoadBe32;
using wire::OnesAdd;
using wire::StoreBe16;
using wire::StoreBe32;

// Header field offsets (RFC 791 §3.1, RFC 8200 §3, RFC 9293 §3.1, RFC 768).
constexpr std::size_t kIpv4TotalLength = 2;
constexpr std::size_t kIpv4Identification = 4;
constexpr std::size_t kIpv4Checksum = 10;
constexpr std::size_t kIpv6PayloadLength = 4;
constexpr std::size_t kIpv6HeaderSize = 40;
constexpr std::size_t kTcpSequence = 4;
constexpr std::size_t kTcpFlags = 13;
constexpr std::size_t kTcpChecksum = 16;
constexpr std::size_t kTcpUrgent = 18;
constexpr std::size_t kUdpLength = 4;
constexpr std::size_t kUdpChecksum = 6;
constexpr std::size_t kUdpHeaderSize = 8;

std::span<const std::uint8_t, 2> Field16(Bytes b, std::size_t off) {
  return std::span<const std::uint8_t, 2>(b.data() + off, 2);
}
std::span<std::uint8_t, 2> Field16(std::span<std::uint8_t> b, std::size_t off) {
  return std::span<std::uint8_t, 2>(b.data() + off, 2);
}
std::span<std::uint8_t, 4> Field32(std::span<std::uint8_t> b, std::size_t off) {
  return std::span<std::uint8_t, 4>(b.data() + off, 4);
}

// Walks the scatter-gather list and hands out consecutive byte ranges as pieces.
class Cursor {
 public:
  Cursor(std::span<const Bytes> buffers, std::size_t offset) : buffers_(buffers) {
    while (index_ < buffers_.size() && offset >= buffers_[index_].size()) {
      offset -= buffers_[index_].size();
      ++index_;
    }
    offset_ = offset;
  }
  // Appends the next `n` bytes to `seg` as pieces. False when they span more than the pieces
  // left in `seg`. Precondition: at least `n` bytes remain.
  bool Take(std::size_t n, TxSegment& seg) {
    while (n > 0) {
      while (offset_ == buffers_[index_].size()) {
        ++index_;
        offset_ = 0;
      }
      if (seg.payload_pieces == kTxMaxPayloadPieces) return false;
      const std::size_t take = std::min(n, buffers_[index_].size() - offset_);
      seg.payload[seg.payload_pieces++] = buffers_[index_].subspan(offset_, take);
      offset_ += take;
      n -= take;
    }
    return true;
  }

 private:
  std::span<const Bytes> buffers_;
  std::size_t index_ = 0;
  std::size_t offset_ = 0;
};

// One's-complement sum of the first `limit` payload bytes of `seg`, as if they started at an
// even offset. A piece that starts at an odd offset of the payload has its sum byte-swapped
// (RFC 1071 §2(B)).
std::uint16_t SumPayload(const TxSegment& seg, std::size_t limit) {
  std::uint16_t sum = 0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < seg.payload_pieces && pos < limit; ++i) {
    Bytes piece = seg.payload[i];
    const std::size_t take = std::min(piece.size(), limit - pos);
    std::uint16_t s = wire::OnesSum(piece.first(take));
    if (pos & 1) s = wire::SwapSum(s);
    sum = OnesAdd(sum, s);
    pos += take;
  }
  return sum;
}

struct Refused {
  TxRefusal reason;
};

// Everything the checks established about the packet.
struct Packet {
  std::span<const Bytes> buffers;
  std::size_t length = 0;       // NET_BUFFER DataLength: sum of the buffers
  Bytes head;                   // the first min(length, kTxParseWindow) bytes, contiguous
  wire::FrameLayout layout;
  bool outer_v6 = false;
  bool inner_v6 = false;
  std::uint8_t l4 = 0;          // inner transport protocol located (TCP/UDP/ICMP...), else 0
  std::size_t header_length = 0;
};

enum class Mode : std::uint8_t { kChecksum, kLsoV2, kUso };

const TxChecksumCaps& ChecksumCaps(const TxOffloadConfig& c, bool v6) {
  return v6 ? c.checksum_ipv6 : c.checksum_ipv4;
}
const TxLsoV2Caps& LsoCaps(const TxOffloadConfig& c, bool v6) {
  return v6 ? c.lso_v2_ipv6 : c.lso_v2_ipv4;
}
const TxUsoCaps& UsoCaps(const TxOffloadConfig& c, bool v6) {
  return v6 ? c.uso_ipv6 : c.uso_ipv4;
}

// IPv4 options or IPv6 extension headers present.
bool HasIpOptions(const wire::L3Layout& l3) {
  return l3.header_length > (l3.version == 4 ? 20u : kIpv6HeaderSize);
}

// Bytes from the frame start to the end of the IP packet at `l3` per its length field (0 =
// "to the end of the NET_BUFFER", the LSOv2/BIG TCP convention).
std::size_t IpEnd(const Packet& p, const wire::L3Layout& l3) {
  if (l3.version == 4) {
    const std::uint16_t total = LoadBe16(Field16(p.head, l3.offset + kIpv4TotalLength));
    return total == 0 ? p.length : std::size_t{l3.offset} + total;
  }
  const std::uint16_t payload = LoadBe16(Field16(p.head, l3.offset + kIpv6PayloadLength));
  return payload == 0 ? p.length : std::size_t{l3.offset} + kIpv6HeaderSize + payload;
}

// ---- Locating and validating the headers ---------------------------------------------------

// Classifies the packet and checks it is NVGRE the engine can work on: kMalformed,
// kHeadersTooLong (parse window), kNotNvgre, kGreChecksumOrSequence, kInnerNotIp,
// kInnerFragment.
TxRefusal Locate(Packet& p, std::span<std::uint8_t> scratch) {
  const std::size_t want = std::min(p.length, kTxParseWindow);
  wire::FrameLayout& l = p.layout;
  bool classified = false;
  if (p.buffers.front().size() >= want) {
    p.head = p.buffers.front();
  } else if (const Bytes front = p.buffers.front(); !front.empty()) {
    // The usual split (the stack's header buffer, then the data): the first buffer holds every
    // header, so it is classified alone and nothing is gathered.
    l = wire::ClassifyFrame(front);
    const bool l4_known = l.inner_l4 != wire::kNoHeader &&
                          (l.l4_protocol == wire::kIpProtoTcp || l.l4_protocol == wire::kIpProtoUdp);
    const std::size_t header_end =
        l4_known ? std::size_t{l.payload} : std::size_t{l.inner_l3.l4_offset()};
    classified = !l.error && l.inner_l3.present() && header_end <= front.size();
    if (classified) p.head = front;
  }
  if (p.head.empty()) {
    std::size_t n = 0;
    for (Bytes b : p.buffers) {
      const std::size_t take = std::min(b.size(), want - n);
      if (take > 0) std::memcpy(scratch.data() + n, b.data(), take);
      n += take;
      if (n == want) break;
    }
    p.head = Bytes(scratch.data(), want);
  }
  const bool window_cut = p.head.size() < p.length;
  if (!classified) l = wire::ClassifyFrame(p.head);

  if (!l.outer_l3.present()) {
    return l.error ? TxRefusal::kMalformed : TxRefusal::kNotNvgre;  // not IP: no GRE
  }
  if (l.outer_l3.protocol != wire::kIpProtoGre) {
    return l.error && l.error->scope == wire::Scope::kOuter ? TxRefusal::kMalformed
                                                            : TxRefusal::kNotNvgre;
  }
  if (l.outer_l3.is_fragment) return TxRefusal::kMalformed;  // NVGRE is never fragmented
  if (!l.gre.present()) {
    // GRE that cannot even be sized: version, R, reserved bits (RFC 2784 §2.3): not NVGRE.
    if (l.error && l.error->layer == wire::Layer::kGre && l.error->error != wire::ParseError::kTruncated) {
      return TxRefusal::kNotNvgre;
    }
    return window_cut ? TxRefusal::kHeadersTooLong : TxRefusal::kMalformed;
  }
  // RFC 7637 §3.2: C = 0 and S = 0. Named separately: the stack must not hand these down.
  if (l.gre.checksum_present() || l.gre.sequence_present()) {
    return TxRefusal::kGreChecksumOrSequence;
  }
  if (l.nvgre_violation != wire::NvgreViolation::kNone ||
      l.encapsulation != wire::Encapsulation::kGreEthernet) {
    return TxRefusal::kNotNvgre;
  }
  if (l.error) {
    if (window_cut && l.error->error == wire::ParseError::kTruncated) {
      return TxRefusal::kHeadersTooLong;
    }
    return TxRefusal::kMalformed;
  }
  if (!l.inner_l2.present()) return TxRefusal::kMalformed;
  if (!l.inner_l3.present()) return TxRefusal::kInnerNotIp;  // §2.1: "a transport IP header"
  if (l.inner_l3.is_fragment) return TxRefusal::kInnerFragment;

  p.outer_v6 = l.outer_l3.version == 6;
  p.inner_v6 = l.inner_l3.version == 6;
  p.l4 = l.inner_l4 != wire::kNoHeader ? l.l4_protocol : 0;
  if (p.l4 == wire::kIpProtoTcp || p.l4 == wire::kIpProtoUdp) {
    p.header_length = l.payload;  // through the inner TCP/UDP header
  } else {
    p.header_length = l.inner_l3.l4_offset();  // through the inner IP header (ICMP, ...)
  }
  // The header block must lie inside the bytes we looked at (it does unless the window cut it).
  if (p.header_length > p.head.size()) return TxRefusal::kHeadersTooLong;
  return TxRefusal::kNone;
}

// kVersionMismatch and kOffsetsMismatch: the OOB against the packet (spec §2.1-§2.3).
TxRefusal CheckOob(const Packet& p, const TxOob& oob, Mode mode) {
  const wire::FrameLayout& l = p.layout;
  const ChecksumTxInfo c = oob.checksum;
  // IsIPv4/IsIPv6 describe the OUTER header for an encapsulated packet (§2.2).
  if (c.is_ipv4() || c.is_ipv6()) {
    if (c.is_ipv4() == c.is_ipv6() || c.is_ipv6() != p.outer_v6) {
      return TxRefusal::kVersionMismatch;
    }
  }
  // LSOv2 / USO IPVersion: the outer header too (§2.3 [INFER]).
  const auto outer_version = p.outer_v6 ? OffloadIpVersion::kIpv6 : OffloadIpVersion::kIpv4;
  if (mode == Mode::kLsoV2 && LsoV2TxInfo::FromRaw(oob.large_send).ip_version() != outer_version) {
    return TxRefusal::kVersionMismatch;
  }
  if (mode == Mode::kUso && oob.uso.ip_version() != outer_version) {
    return TxRefusal::kVersionMismatch;
  }
  const SendOffloadsSupplementalInfo s = oob.supplemental;
  if (s.is_inner_ipv6() != p.inner_v6) return TxRefusal::kVersionMismatch;
  if (s.encapsulated_packet_offsets_valid()) {
    if (s.inner_frame_offset() != l.inner_l2.offset || s.inner_l3_offset() != l.inner_l3.offset ||
        s.inner_l4_offset() != l.inner_l3.l4_offset()) {
      return TxRefusal::kOffsetsMismatch;
    }
  }
  // TcpOptionsPresent lets a NIC assume a 20-byte TCP header when clear (§2.1).
  const bool tcp_options =
      p.l4 == wire::kIpProtoTcp && p.header_length - l.inner_l4 > wire::TcpView::kMinHeaderSize;
  if (s.tcp_options_present() != tcp_options) return TxRefusal::kOffsetsMismatch;
  return TxRefusal::kNone;
}

// kProtocolMismatch, kNotAdvertised, kBaseOffloadDisabled, kOptionsNotSupported,
// kHeadersTooLong (MaxHeaderSizeSupported).
TxRefusal CheckCapabilities(const Packet& p, const TxOob& oob, Mode mode,
                            const TxOffloadConfig& cfg) {
  const wire::FrameLayout& l = p.layout;
  const ChecksumTxInfo c = oob.checksum;
  const bool tcp = p.l4 == wire::kIpProtoTcp;
  const bool udp = p.l4 == wire::kIpProtoUdp;
  switch (mode) {
    case Mode::kLsoV2:
      if (!tcp) return TxRefusal::kProtocolMismatch;
      break;
    case Mode::kUso:
      if (!udp) return TxRefusal::kProtocolMismatch;
      break;
    case Mode::kChecksum:
      if ((c.tcp_checksum() && !tcp) || (c.udp_checksum() && !udp)) {
        return TxRefusal::kProtocolMismatch;
      }
      break;
  }
  const EncapOffload kind = mode == Mode::kLsoV2 ? EncapOffload::kLsoV2
                            : mode == Mode::kUso ? EncapOffload::kUso
                                                 : EncapOffload::kTransmitChecksum;
  // §7.2: the offload applies only when both the outer and the inner version bit are set.
  if (!cfg.encapsulated.Allows(kind, p.outer_v6, p.inner_v6)) return TxRefusal::kNotAdvertised;
  // §7.2: the protocol must not offload a packet whose headers exceed MaxHeaderSizeSupported.
  if (p.header_length > cfg.encapsulated.max_header_size_supported()) {
    return TxRefusal::kHeadersTooLong;
  }
  const bool outer_options = HasIpOptions(l.outer_l3);
  const bool inner_options = HasIpOptions(l.inner_l3);
  const bool tcp_options = tcp && p.header_length - l.inner_l4 > wire::TcpView::kMinHeaderSize;
  switch (mode) {
    case Mode::kChecksum: {
      // §2.1: an NVGRE packet is offloaded only within the base capabilities.
      const bool any_ipv4 = !p.outer_v6 || !p.inner_v6;
      if (c.ip_header_checksum() && any_ipv4 && !cfg.checksum_ipv4.ip_checksum) {
        return TxRefusal::kBaseOffloadDisabled;
      }
      const TxChecksumCaps& inner = ChecksumCaps(cfg, p.inner_v6);
      if ((c.tcp_checksum() && !inner.tcp_checksum) || (c.udp_checksum() && !inner.udp_checksum)) {
        return TxRefusal::kBaseOffloadDisabled;
      }
      if ((outer_options && !ChecksumCaps(cfg, p.outer_v6).ip_options_supported) ||
          (inner_options && !inner.ip_options_supported) ||
          (tcp_options && c.tcp_checksum() && !inner.tcp_options_supported)) {
        return TxRefusal::kOptionsNotSupported;
      }
      break;
    }
    case Mode::kLsoV2: {
      if (!LsoCaps(cfg, p.inner_v6).enabled) return TxRefusal::kBaseOffloadDisabled;
      const bool ext_ok = cfg.lso_v2_ipv6.ip_extension_headers_supported;
      if ((outer_options && p.outer_v6 && !ext_ok) || (inner_options && p.inner_v6 && !ext_ok) ||
          (tcp_options && p.inner_v6 && !cfg.lso_v2_ipv6.tcp_options_supported)) {
        return TxRefusal::kOptionsNotSupported;
      }
      break;
    }
    case Mode::kUso: {
      if (!UsoCaps(cfg, p.inner_v6).enabled) return TxRefusal::kBaseOffloadDisabled;
      const bool ext_ok = cfg.uso_ipv6.ip_extension_headers_supported;
      if ((outer_options && p.outer_v6 && !ext_ok) || (inner_options && p.inner_v6 && !ext_ok)) {
        return TxRefusal::kOptionsNotSupported;
      }
      break;
    }
  }
  return TxRefusal::kNone;
}

TxRefusal CheckOutput(const TxOutput& out, std::size_t segments, std::size_t header_length,
                      TxResult& r) {
  if (out.segments.size() < segments || out.header_arena.size() < segments * header_length) {
    r.segments_needed = segments;
    r.header_bytes_needed = segments * header_length;
    return TxRefusal::kOutputTooSmall;
  }
  return TxRefusal::kNone;
}

// ---- Checksum offload (spec §3.1) ----------------------------------------------------------

TxRefusal EmitChecksum(const Packet& p, const TxOob& oob, TxOutput out, TxResult& r) {
  const wire::FrameLayout& l = p.layout;
  const ChecksumTxInfo c = oob.checksum;
  const std::size_t hl = p.header_length;
  // The inner L4 checksum covers the inner transport header to the end of the inner IP packet
  // (per its length field; bytes after it, such as padding, are not summed).
  std::size_t l4_end = 0;
  if (c.tcp_checksum() || c.udp_checksum()) {
    const std::size_t ip_end = IpEnd(p, l.inner_l3);
    if (ip_end > p.length || ip_end < hl) return TxRefusal::kMalformed;
    l4_end = ip_end;
    if (c.udp_checksum()) {
      const std::uint16_t udp_length = LoadBe16(Field16(p.head, l.inner_l4 + kUdpLength));
      if (udp_length != 0) {
        l4_end = std::size_t{l.inner_l4} + udp_length;  // RFC 768: the datagram
        if (l4_end > ip_end || udp_length < kUdpHeaderSize) return TxRefusal::kMalformed;
      }
    }
  }
  if (TxRefusal f = CheckOutput(out, 1, hl, r); f != TxRefusal::kNone) return f;

  TxSegment& seg = out.segments[0];
  seg = TxSegment{};
  std::span<std::uint8_t> h = out.header_arena.first(hl);
  std::memcpy(h.data(), p.head.data(), hl);
  seg.headers = h;
  Cursor cursor(p.buffers, hl);
  if (!cursor.Take(p.length - hl, seg)) return TxRefusal::kPayloadTooFragmented;

  // IpHeaderChecksum: the tunnel and the transport IPv4 header (§2.2, §3.1). The stack zeroed
  // the fields; whatever they hold is replaced.
  if (c.ip_header_checksum()) {
    for (const wire::L3Layout* l3 : {&l.outer_l3, &l.inner_l3}) {
      if (l3->version != 4) continue;
      std::span<std::uint8_t> ip = h.subspan(l3->offset, l3->header_length);
      StoreBe16(Field16(ip, kIpv4Checksum), 0);
      StoreBe16(Field16(ip, kIpv4Checksum), wire::Checksum(ip));
    }
  }
  // TcpChecksum / UdpChecksum: the field holds the pseudo-header sum WITH the length (base
  // checksum offload); the NIC sums from the L4 header to the end and complements.
  if (c.tcp_checksum() || c.udp_checksum()) {
    std::span<std::uint8_t> l4 = h.subspan(l.inner_l4);
    std::uint16_t sum = OnesAdd(wire::OnesSum(l4), SumPayload(seg, l4_end - hl));
    std::uint16_t csum = wire::Complement(sum);
    const std::size_t field = c.tcp_checksum() ? kTcpChecksum : kUdpChecksum;
    if (c.udp_checksum() && csum == 0) csum = 0xFFFF;  // RFC 768: 0 means "no checksum"
    StoreBe16(Field16(l4, field), csum);
  }
  r.action = TxAction::kChecksum;
  r.segment_count = 1;
  r.payload_bytes = p.length - hl;
  return TxRefusal::kNone;
}

// ---- LSOv2 and USO (spec §4) ---------------------------------------------------------------

// The per-segment edits of one IP header, prepared once.
struct IpEdit {
  bool present = false;
  bool v4 = false;
  std::size_t offset = 0;       // of the IP header in the block
  std::uint32_t fixed = 0;      // length of the IP packet minus the segment payload
  std::uint16_t id = 0;         // template Identification (IPv4)
  std::uint16_t base_sum = 0;   // header sum with length, ID and checksum zeroed (IPv4)

  void Prepare(std::span<std::uint8_t> tmpl, const wire::L3Layout& l3, std::size_t hl) {
    present = true;
    v4 = l3.version == 4;
    offset = l3.offset;
    fixed = static_cast<std::uint32_t>(hl - l3.offset - (v4 ? 0 : kIpv6HeaderSize));
    std::span<std::uint8_t> ip = tmpl.subspan(l3.offset);
    if (v4) {
      id = LoadBe16(Field16(ip, kIpv4Identification));
      StoreBe16(Field16(ip, kIpv4TotalLength), 0);
      StoreBe16(Field16(ip, kIpv4Identification), 0);
      StoreBe16(Field16(ip, kIpv4Checksum), 0);
      base_sum = wire::OnesSum(ip.first(l3.header_length));
    } else {
      StoreBe16(Field16(ip, kIpv6PayloadLength), 0);
    }
  }
  void Apply(std::span<std::uint8_t> block, std::uint32_t k, std::size_t payload) const {
    std::span<std::uint8_t> ip = block.subspan(offset);
    const auto len = static_cast<std::uint16_t>(fixed + payload);
    if (v4) {
      const std::uint16_t seg_id = LsoIpv4Id(id, k);  // §4: template ID + k, 15-bit wrap
      StoreBe16(Field16(ip, kIpv4TotalLength), len);
      StoreBe16(Field16(ip, kIpv4Identification), seg_id);
      StoreBe16(Field16(ip, kIpv4Checksum),
                wire::Complement(OnesAdd(OnesAdd(base_sum, len), seg_id)));
    } else {
      StoreBe16(Field16(ip, kIpv6PayloadLength), len);
    }
  }
};

TxRefusal EmitSegments(const Packet& p, TxOob& oob, Mode mode, const TxOffloadConfig& cfg,
                       TxOutput out, TxResult& r) {
  const wire::FrameLayout& l = p.layout;
  const std::size_t hl = p.header_length;
  const std::size_t l4_off = l.inner_l4;
  const bool lso = mode == Mode::kLsoV2;
  const LsoV2TxInfo lso_info = LsoV2TxInfo::FromRaw(oob.large_send);

  if (lso) {
    // Base LSO: the template never has SYN, RST or URG set and its urgent pointer is 0.
    const std::uint8_t flags = p.head[l4_off + kTcpFlags];
    if ((flags & (wire::kTcpFlagSyn | wire::kTcpFlagRst | wire::kTcpFlagUrg)) != 0 ||
        LoadBe16(Field16(p.head, l4_off + kTcpUrgent)) != 0) {
      return TxRefusal::kBadLsoTemplate;
    }
  }
  const std::uint32_t mss = lso ? lso_info.mss() : oob.uso.mss();
  if (mss == 0) return TxRefusal::kMssZero;
  if (mss < cfg.min_mss) return TxRefusal::kMssTooSmall;
  // The outer header's length field is the largest: a full segment must fit 16 bits.
  const std::size_t outer_fixed = hl - l.outer_l3.offset - (p.outer_v6 ? kIpv6HeaderSize : 0);
  if (outer_fixed + mss > 0xFFFF) return TxRefusal::kMssTooLarge;
  const std::size_t payload = p.length - hl;
  const std::uint32_t max_size =
      lso ? LsoCaps(cfg, p.inner_v6).max_offload_size : UsoCaps(cfg, p.inner_v6).max_offload_size;
  if (payload > max_size) return TxRefusal::kPayloadTooLarge;
  const std::size_t n = payload == 0 ? 1 : (payload + mss - 1) / mss;
  const std::uint32_t min_segments = lso ? LsoCaps(cfg, p.inner_v6).min_segment_count
                                         : UsoCaps(cfg, p.inner_v6).min_segment_count;
  if (n < min_segments) return TxRefusal::kTooFewSegments;
  // USO: a short last datagram needs SubMssFinalSegmentSupported (NDIS 6.83 USO).
  if (!lso && payload % mss != 0 && !UsoCaps(cfg, p.inner_v6).sub_mss_final_segment_supported) {
    return TxRefusal::kSubMssFinalSegment;
  }
  if (TxRefusal f = CheckOutput(out, n, hl, r); f != TxRefusal::kNone) return f;

  // The template block, prepared once: per-segment fields zeroed and the sums of the fixed
  // parts taken. Every segment copies it and stores its own values.
  std::array<std::uint8_t, kTxParseWindow> tmpl_bytes;
  std::span<std::uint8_t> tmpl(tmpl_bytes.data(), hl);
  std::memcpy(tmpl.data(), p.head.data(), hl);
  IpEdit outer, inner;
  outer.Prepare(tmpl, l.outer_l3, hl);
  inner.Prepare(tmpl, l.inner_l3, hl);
  std::span<std::uint8_t> t4 = tmpl.subspan(l4_off, hl - l4_off);
  const std::uint32_t seq0 = lso ? LoadBe32(t4.subspan<kTcpSequence, 4>()) : 0;
  const std::uint8_t flags0 = lso ? t4[kTcpFlags] : 0;
  std::uint16_t l4_base = 0;  // L4 header sum with the per-segment fields zeroed, seed included
  if (lso) {
    // The seed in the checksum field is the pseudo-header sum WITHOUT the TCP length (§4).
    StoreBe32(Field32(t4, kTcpSequence), 0);
    t4[kTcpFlags] = 0;
    l4_base = wire::OnesSum(t4);
  } else {
    StoreBe16(Field16(t4, kUdpLength), 0);  // seed without length, as for LSOv2 [INFER]
    l4_base = wire::OnesSum(t4);
  }
  const std::size_t l4_header = hl - l4_off;

  Cursor cursor(p.buffers, hl);
  std::size_t left = payload;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t seg_payload = std::min<std::size_t>(left, mss);
    left -= seg_payload;
    std::span<std::uint8_t> block = out.header_arena.subspan(k * hl, hl);
    std::memcpy(block.data(), tmpl.data(), hl);
    TxSegment& seg = out.segments[k];
    seg.payload_pieces = 0;
    if (!cursor.Take(seg_payload, seg)) return TxRefusal::kPayloadTooFragmented;
    seg.headers = block;
    const auto kk = static_cast<std::uint32_t>(k);
    outer.Apply(block, kk, seg_payload);
    inner.Apply(block, kk, seg_payload);

    std::span<std::uint8_t> h4 = block.subspan(l4_off, l4_header);
    const auto l4_len = static_cast<std::uint16_t>(l4_header + seg_payload);
    std::uint16_t sum = OnesAdd(l4_base, l4_len);  // pseudo-header length
    if (lso) {
      // §4: sequence = template + bytes sent before; FIN/PSH last only; CWR first only.
      const std::uint32_t seq = seq0 + kk * mss;
      std::uint8_t flags = flags0;
      if (k + 1 != n) flags &= static_cast<std::uint8_t>(~(wire::kTcpFlagFin | wire::kTcpFlagPsh));
      if (k != 0) flags &= static_cast<std::uint8_t>(~wire::kTcpFlagCwr);
      StoreBe32(Field32(h4, kTcpSequence), seq);
      h4[kTcpFlags] = flags;
      sum = OnesAdd(sum, static_cast<std::uint16_t>(seq >> 16));
      sum = OnesAdd(sum, static_cast<std::uint16_t>(seq));
      sum = OnesAdd(sum, flags);  // low byte of the data-offset/flags word
      sum = OnesAdd(sum, SumPayload(seg, seg_payload));
      StoreBe16(Field16(h4, kTcpChecksum), wire::Complement(sum));
    } else {
      StoreBe16(Field16(h4, kUdpLength), l4_len);
      sum = OnesAdd(sum, l4_len);  // the UDP Length field itself
      sum = OnesAdd(sum, SumPayload(seg, seg_payload));
      std::uint16_t csum = wire::Complement(sum);
      if (csum == 0) csum = 0xFFFF;  // RFC 768
      StoreBe16(Field16(h4, kUdpChecksum), csum);
    }
  }
  if (lso) {
    // §4 completion: LsoV2TransmitComplete.Reserved = 0, Type = V2.
    oob.large_send = LsoV2CompleteInfo::Completing(lso_info).raw();
  }
  r.action = lso ? TxAction::kLsoV2 : TxAction::kUso;
  r.segment_count = n;
  r.mss = mss;
  r.payload_bytes = payload;
  return TxRefusal::kNone;
}

TxRefusal SendUnchanged(std::span<const Bytes> buffers, std::size_t length, TxOutput out,
                        TxResult& r) {
  if (TxRefusal f = CheckOutput(out, 1, 0, r); f != TxRefusal::kNone) return f;
  TxSegment& seg = out.segments[0];
  seg = TxSegment{};
  seg.headers = std::span<const std::uint8_t>(out.header_arena.data(), 0);
  for (Bytes b : buffers) {
    if (b.empty()) continue;
    if (seg.payload_pieces == kTxMaxPayloadPieces) return TxRefusal::kPayloadTooFragmented;
    seg.payload[seg.payload_pieces++] = b;
  }
  r.action = TxAction::kUnchanged;
  r.segment_count = 1;
  r.payload_bytes = length;
  return TxRefusal::kNone;
}

TxRefusal Process(const TxOffloadConfig& cfg, std::span<const Bytes> buffers, TxOob& oob,
                  TxOutput out, TxResult& r) {
  std::size_t length = 0;
  for (Bytes b : buffers) length += b.size();
  if (length == 0) return TxRefusal::kMalformed;

  const bool lso_slot = LsoRequested(oob.large_send);
  const bool uso = oob.uso.requested();
  const bool csum = oob.checksum.requested();
  if (!lso_slot && !uso && !csum) return SendUnchanged(buffers, length, out, r);
  if (!oob.supplemental.is_encapsulated_packet()) return TxRefusal::kNotEncapsulated;
  // §4: only the LsoV2Transmit view is valid for an encapsulated packet.
  if (lso_slot && LsoTypeOf(oob.large_send) == LsoType::kV1) {
    return TxRefusal::kLsoV1Encapsulated;
  }
  if ((lso_slot && uso) || (oob.checksum.tcp_checksum() && oob.checksum.udp_checksum())) {
    return TxRefusal::kConflictingRequests;
  }
  if (!cfg.encapsulated_offload_active) return TxRefusal::kEncapsulatedOffloadOff;

  const Mode mode = lso_slot ? Mode::kLsoV2 : uso ? Mode::kUso : Mode::kChecksum;
  Packet p;
  p.buffers = buffers;
  p.length = length;
  std::array<std::uint8_t, kTxParseWindow> scratch;
  if (TxRefusal f = Locate(p, scratch); f != TxRefusal::kNone) return f;
  if (TxRefusal f = CheckOob(p, oob, mode); f != TxRefusal::kNone) return f;
  if (TxRefusal f = CheckCapabilities(p, oob, mode, cfg); f != TxRefusal::kNone) return f;
  r.header_length = p.header_length;
  if (mode == Mode::kChecksum) return EmitChecksum(p, oob, out, r);
  return EmitSegments(p, oob, mode, cfg, out, r);
}

}  // namespace

TxResult ProcessTxPacket(const TxOffloadConfig& config,
                         std::span<const std::span<const std::uint8_t>> buffers, TxOob& oob,
                         TxOutput out, TxStats& stats) {
  TxResult r;
  ++stats.packets;
  const TxRefusal f = buffers.empty() ? TxRefusal::kMalformed : Process(config, buffers, oob, out, r);
  if (f != TxRefusal::kNone) {
    TxResult refused;
    refused.refusal = f;
    refused.segments_needed = r.segments_needed;
    refused.header_bytes_needed = r.header_bytes_needed;
    ++stats.refused[static_cast<std::size_t>(f)];
    return refused;
  }
  switch (r.action) {
    case TxAction::kUnchanged: ++stats.unchanged; break;
    case TxAction::kChecksum: ++stats.checksum; break;
    case TxAction::kLsoV2: ++stats.lso_v2; break;
    case TxAction::kUso: ++stats.uso; break;
    case TxAction::kNone: break;
  }
  stats.segments += r.segment_count;
  stats.payload_bytes += r.payload_bytes;
  return r;
}

TxResult ProcessTxPacket(const TxOffloadConfig& config, std::span<const std::uint8_t> packet,
                         TxOob& oob, TxOutput out, TxStats& stats) {
  const std::span<const std::uint8_t> one[1] = {packet};
  return ProcessTxPacket(config, std::span<const std::span<const std::uint8_t>>(one), oob, out,
                         stats);
}

std::size_t LinearizeSegment(const TxSegment& segment, std::span<std::uint8_t> frame) {
  const std::size_t size = segment.size();
  if (frame.size() < size) return 0;
  std::uint8_t* p = frame.data();
  if (!segment.headers.empty()) {
    std::memcpy(p, segment.headers.data(), segment.headers.size());
    p += segment.headers.size();
  }
  for (std::size_t i = 0; i < segment.payload_pieces; ++i) {
    if (segment.payload[i].empty()) continue;
    std::memcpy(p, segment.payload[i].data(), segment.payload[i].size());
    p += segment.payload[i].size();
  }
  return size;
}

}  // namespace nvgre::offload
