// Fuzz target: the transmit offload engine ProcessTxPacket (offload/tx_engine.h; spec §2, §3.1,
// §4) with random frames, random OOB metadata and random adapter configurations, and the stack
// side PrepareNvgreSend (offload/stack_prep.h) that builds valid templates.
// NVGRE_FUZZ_LIBS: offload wire
//
// Input: 31 bytes of controls (mode, MSS, two split points, 8 bytes of adapter configuration,
// four raw OOB words), then the frame. Two modes:
//   raw       the frame and four random OOB words go to the engine as they are: it must refuse
//             or send, never misbehave;
//   prepared  PrepareNvgreSend turns the frame into a checksum / LSOv2 / USO template with the
//             OOB the stack would give, under a permissive adapter configuration, so that most
//             inputs are sent and the output can be checked in depth.
// The packet is handed over as up to four scatter-gather buffers split at fuzzed points.
// Invariants (tx_engine.h CONTRACT):
//   - refused: no segment, the OOB and the input bytes untouched, the refusal counted once;
//   - sent: 1 <= segments <= the storage; every header block inside the caller's arena; every
//     payload span inside one input buffer; at most kTxMaxPayloadPieces pieces; the input never
//     written; the stats count exactly this send; LinearizeSegment writes segment.size() bytes
//     (and nothing into a smaller buffer);
//   - the payload is carried exactly: the segments' payloads, concatenated, are the input after
//     the header block (LSOv2/USO/checksum), or the whole input (unchanged);
//   - the LSO slot holds LsoV2TransmitComplete after an LSOv2 send, nothing else in the OOB
//     changes;
//   - a prepared template is NVGRE-shaped and untruncated (regression
//     prep-zero-length-from-frame-size, fixed in e71d1e2);
//   - prepared LSOv2/USO/checksum sends: every segment re-parses as valid NVGRE, untruncated, all
//     IPv4 header checksums and the inner TCP/UDP checksum verify (those that were asked for),
//     for LSOv2/USO every IP length field and the UDP length match the segment, full-MSS
//     segments but the last, TCP sequence numbers advance
//     by the payload, FIN/PSH only on the last segment, CWR only on the first, IPv4 IDs follow
//     LsoIpv4Id.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/offload/ndis_oob.h"
#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/wire/bytes.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"

namespace {

using nvgre::fuzz::FuzzInput;
using nvgre::fuzz::Within;
using namespace nvgre::offload;  // NOLINT
namespace wire = nvgre::wire;
using Bytes = std::span<const std::uint8_t>;

constexpr std::size_t kMaxSegments = 64;
constexpr std::size_t kHeaderBlock = 256;

TxOffloadConfig RandomConfig(FuzzInput& in) {
  const auto bits = in.Take<std::uint32_t>();
  auto bit = [&](int i) { return ((bits >> i) & 1u) != 0; };
  TxOffloadConfig c;
  c.encapsulated_offload_active = !bit(0);
  const std::uint32_t masks = in.Take<std::uint32_t>();
  c.encapsulated = EncapsulatedPacketTaskOffload::FromRaw(bit(1) ? masks : 0x00FFFFFF,
                                                          bit(2) ? masks >> 22 : 256);
  for (TxChecksumCaps* k : {&c.checksum_ipv4, &c.checksum_ipv6}) {
    k->ip_options_supported = !bit(3);
    k->tcp_options_supported = !bit(4);
    k->tcp_checksum = !bit(5);
    k->udp_checksum = !bit(6);
    k->ip_checksum = !bit(7);
  }
  for (TxLsoV2Caps* k : {&c.lso_v2_ipv4, &c.lso_v2_ipv6}) {
    k->enabled = !bit(8);
    k->max_offload_size = bit(9) ? (bits >> 12) & 0xFFFF : 262144;
    k->min_segment_count = bit(10) ? (bits >> 28) : 1;
    k->ip_extension_headers_supported = !bit(11);
  }
  for (TxUsoCaps* k : {&c.uso_ipv4, &c.uso_ipv6}) {
    k->enabled = !bit(8);
    k->max_offload_size = bit(9) ? (bits >> 12) & 0xFFFF : 262144;
    k->min_segment_count = bit(10) ? (bits >> 28) : 1;
    k->sub_mss_final_segment_supported = !bit(27);
  }
  c.min_mss = bit(26) ? 88 : 1;
  return c;
}

struct Buffers {
  std::vector<Bytes> spans;
};

// Splits `a ‖ b` into up to four buffers at fuzzed points.
Buffers Split(Bytes a, Bytes b, std::uint16_t cut1, std::uint16_t cut2) {
  Buffers out;
  const std::size_t c1 = a.empty() ? 0 : cut1 % (a.size() + 1);
  const std::size_t c2 = b.empty() ? 0 : cut2 % (b.size() + 1);
  for (Bytes s : {a.first(c1), a.subspan(c1), b.first(c2), b.subspan(c2)}) {
    if (!s.empty() || out.spans.empty()) out.spans.push_back(s);
  }
  return out;
}

std::uint16_t Get16(Bytes f, std::size_t at) { return static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]); }
std::uint32_t Get32(Bytes f, std::size_t at) {
  return std::uint32_t{Get16(f, at)} << 16 | Get16(f, at + 2);
}

// The prepared-mode checks of one segment. `tmpl` is the template (header block ‖ rest).
void CheckSegment(Bytes seg, Bytes tmpl, const TxResult& r, const PreparedSend& prep,
                  std::size_t k, std::size_t count, std::size_t payload_before) {
  const wire::FrameLayout l = wire::ClassifyFrame(seg);
  FUZZ_CHECK(l.is_nvgre() && !l.error && !l.truncated && l.inner_l3.present());
  if (r.action == TxAction::kLsoV2 || r.action == TxAction::kUso) {
    // Every length is derived from the segment (checksum offload keeps the template's).
    FUZZ_CHECK(l.inner_l3.end == seg.size() && l.outer_l3.end == seg.size());
  }
  const wire::ChecksumReport c = wire::VerifyChecksums(seg, l);
  // LSOv2/USO recompute both IPv4 header checksums; checksum offload when IpHeaderChecksum.
  if (r.action != TxAction::kChecksum || prep.oob.checksum.ip_header_checksum()) {
    FUZZ_CHECK(c.outer_ip == (l.outer_l3.version == 4 ? wire::CsumState::kGood : wire::CsumState::kAbsent));
    FUZZ_CHECK(c.inner_ip == (l.inner_l3.version == 4 ? wire::CsumState::kGood : wire::CsumState::kAbsent));
  }
  FUZZ_CHECK(c.gre == wire::CsumState::kAbsent);
  const std::size_t payload = seg.size() - r.header_length;
  if (r.action == TxAction::kLsoV2 || r.action == TxAction::kUso) {
    FUZZ_CHECK(payload <= r.mss && (k + 1 == count || payload == r.mss));
  }
  if (r.action == TxAction::kLsoV2) {
    FUZZ_CHECK(l.l4_protocol == wire::kIpProtoTcp && c.inner_l4 == wire::CsumState::kGood);
    const std::size_t t = l.inner_l4;
    FUZZ_CHECK(Get32(seg, t + 4) == Get32(tmpl, t + 4) + static_cast<std::uint32_t>(payload_before));
    const std::uint8_t flags = seg[t + 13], tflags = tmpl[t + 13];
    constexpr std::uint8_t kFinPsh = 0x09, kCwr = 0x80;
    FUZZ_CHECK((flags & kFinPsh) == (k + 1 == count ? (tflags & kFinPsh) : 0));
    FUZZ_CHECK((flags & kCwr) == (k == 0 ? (tflags & kCwr) : 0));
    FUZZ_CHECK((flags & ~(kFinPsh | kCwr) & 0xFF) == (tflags & ~(kFinPsh | kCwr) & 0xFF));
  }
  if (r.action == TxAction::kUso) {
    FUZZ_CHECK(l.l4_protocol == wire::kIpProtoUdp);
    FUZZ_CHECK(Get16(seg, l.inner_l4 + 4) == seg.size() - l.inner_l4);
    FUZZ_CHECK(c.inner_l4 == wire::CsumState::kGood);
  }
  if (r.action == TxAction::kLsoV2 || r.action == TxAction::kUso) {
    for (const wire::L3Layout* ip : {&l.outer_l3, &l.inner_l3}) {
      if (ip->version == 4) {
        FUZZ_CHECK(Get16(seg, ip->offset + 4) ==
                   LsoIpv4Id(Get16(tmpl, ip->offset + 4), static_cast<std::uint32_t>(k)));
      }
    }
  }
  if (r.action == TxAction::kChecksum) {
    const ChecksumTxInfo asked = prep.oob.checksum;
    if ((asked.tcp_checksum() && l.l4_protocol == wire::kIpProtoTcp) ||
        (asked.udp_checksum() && l.l4_protocol == wire::kIpProtoUdp)) {
      FUZZ_CHECK(c.inner_l4 == wire::CsumState::kGood);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const auto mode = in.Take<std::uint8_t>();
  const bool prepared = (mode & 1) != 0;
  const auto seg_mode = static_cast<Segmentation>((mode >> 1) % 3);
  const std::size_t max_segments = (mode & 0x08) ? 1 + (mode >> 4) % 4 : kMaxSegments;
  const auto mss = in.Take<std::uint16_t>();
  const auto cut1 = in.Take<std::uint16_t>();
  const auto cut2 = in.Take<std::uint16_t>();
  TxOffloadConfig config = RandomConfig(in);  // 8 bytes
  const auto raw_checksum = in.Take<std::uint32_t>();
  const auto raw_large_send = in.Take<std::uint32_t>();
  const auto raw_supplemental = in.Take<std::uint32_t>();
  const auto raw_uso = in.Take<std::uint32_t>();
  const auto frame_bytes = in.Rest();
  const std::vector<std::uint8_t> frame(frame_bytes.begin(), frame_bytes.end());

  // The packet and its OOB.
  std::vector<std::uint8_t> headers(kTxParseWindow);
  PreparedSend prep{};
  TxOob oob{};
  Buffers buffers;
  if (prepared) {
    const PrepareOptions opts{.segmentation = seg_mode, .mss = mss, .mtu = 1500,
                              .ip_header_checksum = (mode & 0x40) == 0,
                              .l4_checksum = (mode & 0x80) == 0};
    const PrepareResult p = PrepareNvgreSend(frame, opts, headers);
    if (!p) return 0;
    prep = *p;
    FUZZ_CHECK(prep.header_length <= frame.size() && prep.header_length <= headers.size());
    oob = prep.oob;
    // A permissive adapter: the template should be sent unless the packet itself is refused.
    config = TxOffloadConfig{};
    for (TxLsoV2Caps* k : {&config.lso_v2_ipv4, &config.lso_v2_ipv6}) {
      k->min_segment_count = 1;
      k->max_offload_size = 1u << 20;
    }
    for (TxUsoCaps* k : {&config.uso_ipv4, &config.uso_ipv6}) {
      k->min_segment_count = 1;
      k->max_offload_size = 1u << 20;
    }
    config.min_mss = 1;
    config.encapsulated.set_max_header_size_supported(static_cast<std::uint32_t>(kTxParseWindow));
    buffers = Split(Bytes(headers).first(prep.header_length), Bytes(frame).subspan(prep.header_length),
                    cut1, cut2);
  } else {
    // Any OOB values at all.
    oob.checksum = ChecksumTxInfo::FromRaw(raw_checksum);
    oob.large_send = raw_large_send;
    oob.supplemental = SendOffloadsSupplementalInfo::FromRaw(raw_supplemental);
    oob.uso = UdpSegmentationTxInfo::FromRaw(raw_uso);
    buffers = Split(Bytes(frame), Bytes(), cut1, cut2);
  }
  std::vector<std::uint8_t> whole;  // the packet as one piece
  for (Bytes b : buffers.spans) whole.insert(whole.end(), b.begin(), b.end());
  bool deep = false;  // the prepared template is a consistent NVGRE frame: check segments in depth
  if (prepared) {
    // NVGRE-shaped (stack_prep.h leaves GRE C/S and inner tags for the NIC to refuse).
    const wire::FrameLayout t = wire::ClassifyFrame(whole);
    FUZZ_CHECK(t.encapsulation == wire::Encapsulation::kGreEthernet && !t.error &&
               t.inner_l2.present() && t.inner_l3.present());
    // stack_prep.h: a zero IP length in a checksum template is filled with the real length.
    FUZZ_CHECK(!t.truncated);
    deep = !t.truncated && t.is_nvgre();
  }
  const std::vector<std::uint8_t> frame_before = frame;
  const std::vector<std::uint8_t> headers_before = headers;
  const TxOob oob_before = oob;

  std::vector<TxSegment> segments(max_segments);
  std::vector<std::uint8_t> arena(max_segments * kHeaderBlock, 0xA5);
  const TxOutput out{segments, arena};
  TxStats stats;
  const TxResult r = ProcessTxPacket(config, buffers.spans, oob, out, stats);

  // The input is never written.
  FUZZ_CHECK(frame == frame_before && headers == headers_before);
  FUZZ_CHECK(stats.packets == 1);
  FUZZ_CHECK(r.ok() == (r.refusal == TxRefusal::kNone) && r.refusal != TxRefusal::kCount);

  if (!r.ok()) {
    FUZZ_CHECK(r.segment_count == 0 && r.action == TxAction::kNone);
    FUZZ_CHECK(oob == oob_before);
    FUZZ_CHECK(stats.refused_total() == 1 && stats.refused[static_cast<std::size_t>(r.refusal)] == 1);
    FUZZ_CHECK(stats.segments == 0 && stats.unchanged + stats.checksum + stats.lso_v2 + stats.uso == 0);
    if (r.refusal == TxRefusal::kOutputTooSmall) {
      FUZZ_CHECK(r.segments_needed > max_segments || r.header_bytes_needed > arena.size());
    }
    return 0;
  }

  // Sent.
  FUZZ_CHECK(r.segment_count >= 1 && r.segment_count <= max_segments);
  FUZZ_CHECK(stats.refused_total() == 0 && stats.segments == r.segment_count);
  FUZZ_CHECK(stats.unchanged == (r.action == TxAction::kUnchanged) &&
             stats.checksum == (r.action == TxAction::kChecksum) &&
             stats.lso_v2 == (r.action == TxAction::kLsoV2) && stats.uso == (r.action == TxAction::kUso));
  const bool lso_sent = r.action == TxAction::kLsoV2;
  TxOob oob_want = oob_before;
  if (lso_sent) {
    oob_want.large_send = LsoV2CompleteInfo::Completing(LsoV2TxInfo::FromRaw(oob_before.large_send)).raw();
  }
  FUZZ_CHECK(oob == oob_want);

  std::vector<std::uint8_t> carried;  // the payloads, concatenated
  std::size_t payload_total = 0;
  for (const TxSegment& s : r.segments(out)) {
    FUZZ_CHECK(Within(s.headers, arena));
    FUZZ_CHECK(s.payload_pieces <= kTxMaxPayloadPieces);
    if (r.action == TxAction::kUnchanged) {
      FUZZ_CHECK(s.headers.empty());
    } else {
      FUZZ_CHECK(s.headers.size() == r.header_length);
    }
    for (std::size_t i = 0; i < s.payload_pieces; ++i) {
      bool inside = false;
      for (Bytes b : buffers.spans) inside = inside || Within(s.payload[i], b);
      FUZZ_CHECK(inside);
      carried.insert(carried.end(), s.payload[i].begin(), s.payload[i].end());
    }
    payload_total += s.payload_size();
    std::vector<std::uint8_t> linear(s.size() + 1, 0x5A);
    FUZZ_CHECK(LinearizeSegment(s, linear) == s.size());
    FUZZ_CHECK(linear.back() == 0x5A);
    if (s.size() > 0) FUZZ_CHECK(LinearizeSegment(s, std::span(linear).first(s.size() - 1)) == 0);
  }
  // Exactly the input payload, in order.
  const std::size_t skip = r.action == TxAction::kUnchanged ? 0 : r.header_length;
  FUZZ_CHECK(skip <= whole.size());
  FUZZ_CHECK(carried.size() == whole.size() - skip &&
             std::equal(carried.begin(), carried.end(), whole.begin() + static_cast<std::ptrdiff_t>(skip)));
  if (r.action == TxAction::kLsoV2 || r.action == TxAction::kUso) {
    FUZZ_CHECK(r.payload_bytes == payload_total && r.mss != 0);
    const std::size_t want_segments = payload_total == 0 ? 1 : (payload_total + r.mss - 1) / r.mss;
    FUZZ_CHECK(r.segment_count == want_segments);
  }
  if (r.action == TxAction::kChecksum || r.action == TxAction::kUnchanged) FUZZ_CHECK(r.segment_count == 1);

  // Prepared sends: the segments are valid NVGRE frames with good checksums.
  if (deep && r.action != TxAction::kUnchanged) {
    std::size_t before = 0;
    std::size_t k = 0;
    for (const TxSegment& s : r.segments(out)) {
      std::vector<std::uint8_t> linear(s.size());
      LinearizeSegment(s, linear);
      CheckSegment(linear, whole, r, prep, k, r.segment_count, before);
      before += s.payload_size();
      ++k;
    }
  }
  return 0;
}
