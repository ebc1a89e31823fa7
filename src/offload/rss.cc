// RSS tuple selection, parameter validation and the indirection table (see rss.h).
#include "nvgre/offload/rss.h"

#include <algorithm>

#include "nvgre/wire/ip_protocol.h"

namespace nvgre::offload {
namespace {

using wire::FrameLayout;
using wire::kNoHeader;
using wire::L3Layout;

constexpr bool IsPowerOfTwo(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Appends the source and destination address of the IP header at `ip` (spec §10.2: source
// first, network order as on the wire).
std::uint8_t PutAddresses(std::span<const std::uint8_t> frame, const L3Layout& ip,
                          std::array<std::uint8_t, kRssIpv6PortsInputSize>& out) {
  // IPv4: source at +12, destination at +16; IPv6: source at +8, destination at +24. Both pairs
  // are adjacent, so one copy takes the 2-tuple.
  const std::size_t at = ip.offset + (ip.version == 4 ? 12u : 8u);
  if (ip.version == 4) {
    const auto src = frame.subspan(at).first<kRssIpv4InputSize>();
    std::copy(src.begin(), src.end(), out.begin());  // fixed size: one 8-byte move
    return kRssIpv4InputSize;
  }
  const auto src = frame.subspan(at).first<kRssIpv6InputSize>();
  std::copy(src.begin(), src.end(), out.begin());
  return kRssIpv6InputSize;
}

std::uint8_t PutPorts(std::span<const std::uint8_t> frame, std::uint16_t l4, std::uint8_t at,
                      std::array<std::uint8_t, kRssIpv6PortsInputSize>& out) {
  const auto ports = frame.subspan(l4).first<4>();  // TCP and UDP: source port, destination port
  std::copy(ports.begin(), ports.end(), out.begin() + at);
  return static_cast<std::uint8_t>(at + 4);
}

// NDIS_HASH_{TCP,UDP}_IPV{4,6} for a transport header after `ip`, or 0.
std::uint32_t FourTupleType(const L3Layout& ip, std::uint8_t protocol) {
  if (protocol == wire::kIpProtoTcp) return ip.version == 4 ? kNdisHashTcpIpv4 : kNdisHashTcpIpv6;
  if (protocol == wire::kIpProtoUdp) return ip.version == 4 ? kNdisHashUdpIpv4 : kNdisHashUdpIpv6;
  return 0;
}

// True when a 4-tuple can be taken from `ip` + the transport header at `l4` (§10.1: fragments,
// including the first one that carries the header, use the 2-tuple).
bool HasPorts(const FrameLayout& l, const L3Layout& ip, std::uint16_t l4) {
  return ip.present() && !ip.is_fragment && l4 != kNoHeader && FourTupleType(ip, l.l4_protocol) != 0;
}

}  // namespace

std::string_view ToString(RssParamError e) {
  switch (e) {
    case RssParamError::kNone: return "ok";
    case RssParamError::kBadHashFunction: return "hash function is not NdisHashFunctionToeplitz";
    case RssParamError::kNoHashType: return "no hash type";
    case RssParamError::kUndefinedHashType: return "undefined hash type bits";
    case RssParamError::kUnsupportedHashType: return "hash type not implemented (_EX)";
    case RssParamError::kBadKeySize: return "hash secret key size is not 40";
    case RssParamError::kBadIndirectionSize: return "indirection table size not a power of two in 1..128";
    case RssParamError::kQueueOutOfRange: return "indirection entry names a queue that does not exist";
  }
  return "?";
}

std::string_view ToString(RssTuple t) {
  switch (t) {
    case RssTuple::kNone: return "none";
    case RssTuple::kInner4Tuple: return "inner-4-tuple";
    case RssTuple::kOuter4Tuple: return "4-tuple";
    case RssTuple::kOuter2Tuple: return "outer-2-tuple";
  }
  return "?";
}

RssParamError ValidateRss(const RssParameters& p, std::uint16_t max_queues) {
  if (!p.enabled) return RssParamError::kNone;  // NDIS_RSS_PARAM_FLAG_DISABLE_RSS: nothing else read
  // Spec §10.1: only NdisHashFunctionToeplitz is usable by miniports.
  if (p.hash_function != kNdisHashFunctionToeplitz) return RssParamError::kBadHashFunction;
  if (p.hash_types == 0) return RssParamError::kNoHashType;
  if ((p.hash_types & ~kNdisHashAllTypes) != 0) return RssParamError::kUndefinedHashType;
  if ((p.hash_types & ~kRssSupportedHashTypes) != 0) return RssParamError::kUnsupportedHashType;
  // NDIS_RSS_HASH_SECRET_KEY_MAX_SIZE_REVISION_1: 40 bytes for Toeplitz (spec §10.1).
  if (p.key_size != kRssKeySize) return RssParamError::kBadKeySize;
  if (p.indirection_entries > kRssMaxIndirectionEntries || !IsPowerOfTwo(p.indirection_entries)) {
    return RssParamError::kBadIndirectionSize;
  }
  for (std::size_t i = 0; i < p.indirection_entries; ++i) {
    if (p.indirection_table[i] >= max_queues) return RssParamError::kQueueOutOfRange;
  }
  return RssParamError::kNone;
}

RssInput SelectRssInput(std::span<const std::uint8_t> frame, const FrameLayout& layout,
                        std::uint32_t hash_types, bool inner) {
  RssInput in;
  const L3Layout& outer = layout.outer_l3;
  if (!outer.present()) return in;  // not IP: cannot be interpreted (§10.1)

  // 1. Spec §5.1 step 2: inner TCP/UDP directly after the inner IP header -> inner 4-tuple.
  if (inner && layout.encapsulated() && HasPorts(layout, layout.inner_l3, layout.inner_l4)) {
    const std::uint32_t type = FourTupleType(layout.inner_l3, layout.l4_protocol);
    if ((hash_types & type) != 0) {
      in.tuple = RssTuple::kInner4Tuple;
      in.type = type;
      in.size = PutPorts(frame, layout.inner_l4, PutAddresses(frame, layout.inner_l3, in.bytes),
                         in.bytes);
      return in;
    }
  }
  // 2. Spec §10.1: a plain packet with TCP/UDP -> its 4-tuple (outer_l4 is only set when the
  // frame is not encapsulated).
  if (HasPorts(layout, outer, layout.outer_l4)) {
    const std::uint32_t type = FourTupleType(outer, layout.l4_protocol);
    if ((hash_types & type) != 0) {
      in.tuple = RssTuple::kOuter4Tuple;
      in.type = type;
      in.size = PutPorts(frame, layout.outer_l4, PutAddresses(frame, outer, in.bytes), in.bytes);
      return in;
    }
  }
  // 3. Spec §5.1 steps 3-4 and §10.1: the outer IP 2-tuple.
  const std::uint32_t type = outer.version == 4 ? kNdisHashIpv4 : kNdisHashIpv6;
  if ((hash_types & type) != 0) {
    in.tuple = RssTuple::kOuter2Tuple;
    in.type = type;
    in.size = PutAddresses(frame, outer, in.bytes);
  }
  return in;  // 4. nothing applies: no hash
}

RssState::RssState(const RssParameters& p, ToeplitzPath path)
    : params_(p),
      hasher_(std::span<const std::uint8_t>(p.key.data(), std::min<std::size_t>(p.key_size, kRssKeySize)),
              path) {}

void RssState::ComputeInto(std::span<const std::uint8_t> frame, const FrameLayout& layout,
                           bool inner, RssResult& r) const {
  r = RssResult{};
  if (!params_.enabled) return;
  const RssInput in = SelectRssInput(frame, layout, params_.hash_types, inner);
  if (in.tuple == RssTuple::kNone) return;
  r.tuple = in.tuple;
  r.type = in.type;
  r.hash = hasher_.Hash(in.input());
  r.slot = SlotOf(r.hash);
  r.queue = params_.indirection_table[r.slot];
}

}  // namespace nvgre::offload
