// Receive segment coalescing of NVGRE frames (see rsc.h).
#include "nvgre/offload/rsc.h"

#include <algorithm>

#include "nvgre/wire/checksum.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::offload {
namespace {

using wire::L3Layout;

constexpr std::uint8_t kTcpAck = 0x10;
constexpr std::uint8_t kTcpPsh = 0x08;
constexpr std::size_t kTcpFlagsAt = 13;
constexpr std::uint32_t kMaxIpLength = 0xFFFF;

std::uint32_t Load32(std::span<const std::uint8_t> b, std::size_t at) {
  return wire::LoadBe32(std::span<const std::uint8_t, 4>(&b[at], 4));
}
std::uint16_t Load16(std::span<const std::uint8_t> b, std::size_t at) {
  return wire::LoadBe16(std::span<const std::uint8_t, 2>(&b[at], 2));
}
void Store16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  wire::StoreBe16(std::span<std::uint8_t, 2>(&b[at], 2), v);
}

// Offset of the IP length field that counts the bytes a merge appends: IPv4 Total Length,
// IPv6 Payload Length.
std::size_t LengthFieldAt(const L3Layout& ip) { return ip.offset + (ip.version == 4 ? 2u : 4u); }

// Header bytes that legitimately differ between segments of one flow (RFC 791 length, ID and
// checksum; RFC 8200 payload length; TCP sequence number and checksum).
bool Ignored(const wire::FrameLayout& l, std::size_t i) {
  for (const L3Layout* ip : {&l.outer_l3, &l.inner_l3}) {
    const std::size_t o = ip->offset;
    if (ip->version == 4 && ((i >= o + 2 && i < o + 6) || (i >= o + 10 && i < o + 12))) return true;
    if (ip->version == 6 && i >= o + 4 && i < o + 6) return true;
  }
  const std::size_t t = l.inner_l4;
  return (i >= t + 4 && i < t + 8) || (i >= t + 16 && i < t + 18);
}

void FillIpv4Checksum(std::span<std::uint8_t> frame, const L3Layout& ip) {
  if (ip.version != 4) return;
  Store16(frame, ip.offset + 10, 0);
  Store16(frame, ip.offset + 10, wire::Checksum(frame.subspan(ip.offset, ip.header_length)));
}

}  // namespace

bool RscCoalescer::Eligible(const AdapterConfig& c, std::span<const std::uint8_t> frame,
                            const RxResult& rx) const {
  const wire::FrameLayout& l = rx.layout;
  if (rx.path != RxPath::kEncapsulated || !rx.inner_checksum) return false;
  if (l.l4_protocol != wire::kIpProtoTcp || l.inner_l4 == wire::kNoHeader || l.payload == wire::kNoHeader) {
    return false;
  }
  const L3Layout& inner = l.inner_l3;
  if (!(inner.version == 4 ? c.current.rsc_ipv4 : c.current.rsc_ipv6)) return false;  // *RscIPv4/6
  if (inner.is_fragment || l.truncated || inner.length_zero || l.outer_l3.length_zero) return false;
  if (l.gre.checksum_present()) return false;  // a merged payload would void the GRE checksum
  // The inner packet must end where the outer one does (no inner padding to cut around).
  if (inner.end != l.outer_l3.end || inner.end <= l.payload) return false;
  // Held frames are kept whole, Ethernet trailer included, so one that is indicated unmerged
  // is passed up unchanged (rx_engine.h); a frame the storage cannot hold goes up at once.
  if (frame.size() > storage_.size()) return false;
  if (!rx.checksum.tcp_checksum_succeeded() || rx.checksum.ip_checksum_failed()) return false;
  const std::uint8_t flags = frame[l.inner_l4 + kTcpFlagsAt];
  return (flags & kTcpAck) != 0 && (flags & ~(kTcpAck | kTcpPsh)) == 0;
}

bool RscCoalescer::Mergeable(std::span<const std::uint8_t> frame, const RxResult& rx) const {
  const wire::FrameLayout& l = rx.layout;
  if (l.payload != header_length_) return false;
  const std::span<const std::uint8_t> held = storage_.first(held_length_);
  for (std::size_t i = 0; i < header_length_; ++i) {
    if (Ignored(layout_, i)) continue;
    const std::uint8_t mask = i == std::size_t{layout_.inner_l4} + kTcpFlagsAt ? std::uint8_t{0xFF & ~kTcpPsh} : std::uint8_t{0xFF};
    if ((held[i] & mask) != (frame[i] & mask)) return false;
  }
  if (Load32(frame, l.inner_l4 + 4u) != next_seq_) return false;  // in order, no gap, no overlap
  const std::size_t n = l.inner_l3.end - l.payload;
  if (data_end_ + n > storage_.size()) return false;
  for (const L3Layout* ip : {&layout_.outer_l3, &layout_.inner_l3}) {
    if (Load16(held, LengthFieldAt(*ip)) + n > kMaxIpLength) return false;
  }
  return true;
}

void RscCoalescer::Hold(std::span<const std::uint8_t> frame, const RxResult& rx, std::uint64_t tag) {
  const wire::FrameLayout& l = rx.layout;
  held_length_ = frame.size();  // the whole frame: unmerged, it goes up unchanged
  std::copy_n(frame.begin(), held_length_, storage_.begin());
  data_end_ = l.inner_l3.end;
  header_length_ = l.payload;
  layout_ = l;
  next_seq_ = Load32(frame, l.inner_l4 + 4u) + static_cast<std::uint32_t>(data_end_ - header_length_);
  info_ = RscIndication{rx.checksum, 1, tag, tag, rx.rss, rx.vmq};
}

void RscCoalescer::Append(std::span<const std::uint8_t> frame, const RxResult& rx, std::uint64_t tag) {
  const wire::FrameLayout& l = rx.layout;
  const std::size_t n = l.inner_l3.end - l.payload;
  // A merged frame ends with its IP packets: the first segment's Ethernet trailer (padding) is
  // overwritten by the appended payload.
  std::copy_n(frame.begin() + l.payload, n, storage_.begin() + static_cast<std::ptrdiff_t>(data_end_));
  data_end_ += n;
  held_length_ = data_end_;
  for (const L3Layout* ip : {&layout_.outer_l3, &layout_.inner_l3}) {
    const std::size_t at = LengthFieldAt(*ip);
    Store16(storage_, at, static_cast<std::uint16_t>(Load16(storage_, at) + n));
  }
  storage_[layout_.inner_l4 + kTcpFlagsAt] |= static_cast<std::uint8_t>(frame[l.inner_l4 + kTcpFlagsAt] & kTcpPsh);
  next_seq_ += static_cast<std::uint32_t>(n);
  ++info_.coalesced_segments;
  info_.last_tag = tag;
  // ndis_oob.h CONTRACT: the merged TCP checksum field is not valid any more.
  info_.checksum.set_tcp_checksum_value_invalid(true);
  ++merged_;
}

void RscCoalescer::Flush(RscSink& sink) {
  if (held_length_ == 0) return;
  const std::span<std::uint8_t> frame = storage_.first(held_length_);
  if (info_.coalesced_segments > 1) {
    FillIpv4Checksum(frame, layout_.outer_l3);
    FillIpv4Checksum(frame, layout_.inner_l3);
  }
  held_length_ = 0;
  sink.Indicate(frame, info_);
}

void RscCoalescer::Offer(const AdapterConfig& config, std::span<const std::uint8_t> frame,
                         const RxResult& rx, std::uint64_t tag, RscSink& sink) {
  const bool eligible = Eligible(config, frame, rx);
  const bool push = eligible && (frame[rx.layout.inner_l4 + kTcpFlagsAt] & kTcpPsh) != 0;
  if (eligible && holding() && Mergeable(frame, rx)) {
    Append(frame, rx, tag);
    if (push) Flush(sink);  // PSH: deliver now
    return;
  }
  Flush(sink);
  if (eligible && !push) {
    Hold(frame, rx, tag);
    return;
  }
  sink.Indicate(frame, RscIndication{rx.checksum, 1, tag, tag, rx.rss, rx.vmq});
}

}  // namespace nvgre::offload
