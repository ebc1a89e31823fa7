// Receive side scaling for NVGRE (spec §5.1, §10): which tuple of a received frame is hashed,
// with which NDIS_HASH_* type, and which queue/CPU the indirection table gives it.
//
//   RssParameters p;                              // OID_GEN_RECEIVE_SCALE_PARAMETERS content
//   p.hash_types = kNdisHashTcpIpv4 | kNdisHashIpv4;
//   p.SetIndirection(4);                          // 4 entries: slot i -> queue i
//   if (ValidateRss(p) != RssParamError::kNone) ...;
//   RssState rss(p);                              // builds the Toeplitz tables: control path
//   RssResult r = rss.Compute(frame, wire::ClassifyFrame(frame), /*inner=*/true);
//   if (r.computed()) { r.hash; r.type; r.queue; }   // NBL HashValue / HashInfo, target queue
//
// Tuple selection, in order (spec §5.1 for encapsulated frames, §10.1 for every frame):
//   1. `inner` (the caller decided NVGRE task offload RSS applies to this frame: active, the
//      INNER/OUTER mask allows its versions, headers within MaxHeaderSizeSupported) and the inner
//      IP header is directly followed (IPv4 options / IPv6 extension headers skipped) by TCP or
//      UDP, the inner packet is not a fragment, and the matching TCP_/UDP_IPVx type is enabled:
//      the inner 4-tuple, type NDIS_HASH_{TCP,UDP}_IPV{4,6}.
//   2. A frame that is not encapsulated (or is, but `inner` is false) whose IP header is
//      followed by TCP/UDP, not a fragment, matching type enabled: that 4-tuple. (For a GRE frame
//      the outer header is followed by GRE, so this never applies: rule 3.)
//   3. Otherwise the OUTER IP 2-tuple (source, destination), type NDIS_HASH_IPV4 / _IPV6, when
//      that type is enabled. This covers inner ICMP, inner fragments, an encapsulation that
//      cannot be parsed, and 4-tuple types that are not enabled [INFER: spec §5.1 has only the
//      inner 4-tuple and the outer 2-tuple for NVGRE].
//   4. Otherwise (not IP, or no enabled type applies): no hash; the frame takes the non-RSS path
//      (default queue) and the NBL hash slots stay 0 (§10.1).
// Never hashed: MAC addresses, GRE key, VSID, FlowID (§5.1). The _EX types are not implemented:
// RSS parameters asking for them are refused (kUnsupportedHashType).
//
// Indirection: the table has 2^n entries (1..128, NDIS_RSS_INDIRECTION_TABLE_MAX_SIZE_REVISION_1)
// and is indexed by the n low-order bits of the hash (NDIS "RSS configuration").
//
// RssState is immutable after construction; Compute() never allocates and may run on any number
// of threads at once.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "nvgre/offload/ndis_oob.h"
#include "nvgre/offload/toeplitz.h"
#include "nvgre/wire/classifier.h"

namespace nvgre::offload {

inline constexpr std::size_t kRssMaxIndirectionEntries = 128;  // ..._MAX_SIZE_REVISION_1
// The hash types this adapter implements (no _EX types).
inline constexpr std::uint32_t kRssSupportedHashTypes = kNdisHashIpv4 | kNdisHashTcpIpv4 |
                                                        kNdisHashUdpIpv4 | kNdisHashIpv6 |
                                                        kNdisHashTcpIpv6 | kNdisHashUdpIpv6;

// NDIS_RECEIVE_SCALE_PARAMETERS as a plain value (OID_GEN_RECEIVE_SCALE_PARAMETERS).
struct RssParameters {
  bool enabled = true;                                   // !NDIS_RSS_PARAM_FLAG_DISABLE_RSS
  std::uint32_t hash_function = kNdisHashFunctionToeplitz;
  std::uint32_t hash_types = kRssSupportedHashTypes;     // OR of NDIS_HASH_* flags
  std::array<std::uint8_t, kRssKeySize> key = kRssVerificationKey;
  std::uint16_t key_size = kRssKeySize;                  // HashSecretKeySize (must be 40)
  std::array<std::uint16_t, kRssMaxIndirectionEntries> indirection_table{};  // queue/CPU per slot
  std::uint16_t indirection_entries = 1;                 // 2^n, 1..128

  // `entries` slots, slot i -> queue i % queues (queues 0 = entries). No validation here.
  void SetIndirection(std::uint16_t entries, std::uint16_t queues = 0) {
    indirection_entries = entries;
    if (queues == 0) queues = entries;
    for (std::size_t i = 0; i < indirection_table.size(); ++i) {
      indirection_table[i] = static_cast<std::uint16_t>(queues == 0 ? 0u : i % queues);
    }
  }
  friend bool operator==(const RssParameters&, const RssParameters&) = default;
};

enum class RssParamError : std::uint8_t {
  kNone,
  kBadHashFunction,       // not exactly NdisHashFunctionToeplitz (the only one miniports may use)
  kNoHashType,            // enabled with no hash type at all
  kUndefinedHashType,     // bits outside the defined NDIS_HASH_* flags
  kUnsupportedHashType,   // a defined type this adapter does not implement (the _EX types)
  kBadKeySize,            // HashSecretKeySize != 40
  kBadIndirectionSize,    // not a power of two in 1..128
  kQueueOutOfRange,       // an indirection entry >= `max_queues`
};
std::string_view ToString(RssParamError e);
// `max_queues` bounds the indirection entries (the adapter's receive queue count).
RssParamError ValidateRss(const RssParameters& p, std::uint16_t max_queues = 0xFFFF);

enum class RssTuple : std::uint8_t {
  kNone,
  kInner4Tuple,  // inner IP addresses + inner TCP/UDP ports (NVGRE task offload)
  kOuter4Tuple,  // a frame that is not (treated as) encapsulated: its IP addresses + ports
  kOuter2Tuple,  // outer IP source + destination
};
std::string_view ToString(RssTuple t);

struct RssResult {
  RssTuple tuple = RssTuple::kNone;
  std::uint32_t hash = 0;      // NET_BUFFER_LIST hash value; 0 when not computed
  std::uint32_t type = 0;      // the single NDIS_HASH_* flag for the tuple hashed; 0 when none
  std::uint8_t slot = 0;       // indirection table index (hash & (entries - 1))
  std::uint16_t queue = 0;     // indirection_table[slot]; 0 (default queue) when not computed
  bool computed() const { return tuple != RssTuple::kNone; }
  // The NBL HashInformation: type | NdisHashFunctionToeplitz, or 0 when nothing was hashed.
  HashInfo hash_info() const {
    return HashInfo::FromRaw(computed() ? (type | kNdisHashFunctionToeplitz) : 0);
  }
};

// The hash input of a frame (spec §10.2 byte order): which tuple, its NDIS type, the bytes.
struct RssInput {
  RssTuple tuple = RssTuple::kNone;
  std::uint32_t type = 0;
  std::array<std::uint8_t, kRssIpv6PortsInputSize> bytes{};
  std::uint8_t size = 0;
  std::span<const std::uint8_t> input() const { return {bytes.data(), size}; }
};
// Applies the selection rules above with the enabled `hash_types`. `layout` must come from
// ClassifyFrame(frame). Reads only within `frame`.
RssInput SelectRssInput(std::span<const std::uint8_t> frame, const wire::FrameLayout& layout,
                        std::uint32_t hash_types, bool inner);

class RssState {
 public:
  // Precondition: ValidateRss(p) == kNone (the adapter validates first). Builds the Toeplitz
  // tables for the key (about 40 KiB, control path). `path` is the fastest Toeplitz path
  // allowed; the default is the table path: one hash per frame through it measured faster in
  // the Rx pipeline than a lone GFNI hash (bench/rx_bench.cc: BM_Rx_Burst32 vs
  // BM_Rx_Burst32_GfniToeplitz), and so did hashing a burst stage by stage with GFNI 8 at a time
  // (tried: slower than frame-at-a-time processing with the frame still in L1).
  explicit RssState(const RssParameters& p, ToeplitzPath path = ToeplitzPath::kTable);

  const RssParameters& parameters() const { return params_; }
  const ToeplitzHasher& hasher() const { return hasher_; }
  bool enabled() const { return params_.enabled; }

  std::uint8_t SlotOf(std::uint32_t hash) const {
    return static_cast<std::uint8_t>(hash & (params_.indirection_entries - 1u));
  }
  // Hashes the selected tuple and maps it through the indirection table. Nothing when RSS is
  // disabled.
  RssResult Compute(std::span<const std::uint8_t> frame, const wire::FrameLayout& layout,
                    bool inner) const {
    RssResult r;
    ComputeInto(frame, layout, inner, r);
    return r;
  }
  // The same, written into `out` (see VmqTable::ClassifyInto for why).
  void ComputeInto(std::span<const std::uint8_t> frame, const wire::FrameLayout& layout,
                   bool inner, RssResult& out) const;

 private:
  RssParameters params_;
  ToeplitzHasher hasher_;
};

}  // namespace nvgre::offload
