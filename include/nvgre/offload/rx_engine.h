// The receive engine of the emulated NIC (spec §3.2, §5, §6, §10, §11): for each received
// frame it locates the headers, validates checksums, computes the RSS hash and picks the VMQ
// queue, with the adapter's configuration, and reports the NDIS receive OOB values.
//
//   Adapter nic;                               // adapter.h: capabilities, OIDs, keywords
//   ... OID_OFFLOAD_ENCAPSULATION, OID_TCP_OFFLOAD_PARAMETERS (NVGRE ON), RSS, VMQ filters ...
//   RxEngine rx(nic);
//   RxResult r = rx.Process(frame);            // one config snapshot for this frame
//   r.checksum;                                // NBL TcpIpChecksumNetBufferListInfo (Receive)
//   r.hash_value(); r.hash_info();             // NBL HashValue / HashInfo (0 when not hashed)
//   r.filtering_info();                        // NBL FilteringInfo (VMQ queue)
//   rx.ProcessBurst(frames, results);          // one snapshot for the whole burst
//
// What happens to a frame (ndis_oob.h CONTRACT, Receive part):
//   1. wire::ClassifyFrame finds every header. The frame bytes are never modified ("passed up
//      unchanged", spec §1, §6).
//   2. Path (RxPath):
//      - kNotIp: no outer IPv4/IPv6 header: no checksum, no hash; VMQ on the outer MAC header.
//      - kPlain: IP without GRE: base offloads on that packet (checksum of its IPv4 header and
//        TCP/UDP, RSS 4-tuple/2-tuple, VMQ on its MAC header).
//      - kEncapsulated: GRE version 0 carrying Ethernet (0x6558, NVGRE) or IP (0x0800/0x86DD),
//        parsed through the inner headers, NVGRE task offload active (OID, spec §8.1), the outer
//        packet not a fragment, and the headers (frame start through the inner TCP/UDP header,
//        or through the inner IP / Ethernet header when there is no TCP/UDP) no longer than
//        MaxHeaderSizeSupported (spec §7.2). Each offload then applies to the inner headers when
//        its INNER/OUTER mask allows the frame's outer and inner IP versions (spec §7.2; without
//        an inner IP header, VMQ needs only the outer bit) -- inner_checksum / inner_rss /
//        inner_vmq say which did; an offload whose mask does not allow it falls back to the
//        plain treatment below.
//      - kEncapsulationNotOffloaded (reason says why): any other GRE frame (unknown or
//        unsupported encapsulation, spec §6), or a parseable one that the rules above exclude.
//        It is treated as a plain IP packet whose protocol is GRE: the outer IPv4 header
//        checksum only (the base rule: a NIC checks only the tunnel header, spec §3.1 NOTE),
//        the outer IP 2-tuple hash (spec §5.1 step 3), VMQ on the outer MAC header. No inner
//        result is produced.
//   3. Checksums (spec §3.2), only when OID_OFFLOAD_ENCAPSULATION enabled the outer IP version
//      and the current config has Rx checksum for the kind (IPv4Receive.IpChecksum for every
//      IPv4 header, {IPv4,IPv6}Receive.{Tcp,Udp}Checksum by the version of the IP header the
//      transport header follows). IpChecksumSucceeded = every IPv4 header of the frame (outer,
//      and inner when inner checksums apply) validated and good -- one left unchecked (options
//      without IpOptionsSupported) has not "passed" -- ; IpChecksumFailed = any checked bad;
//      mixed mode: the IP flags
//      describe the only IPv4 header there is [INFER]. Tcp/Udp*Succeeded/Failed: the inner
//      TCP/UDP of an encapsulated frame (the only one otherwise). Not checked, flags clear: IPv4
//      headers with options without IpOptionsSupported; TCP with options without
//      TcpOptionsSupported; IPv6 extension headers without IpExtensionHeadersSupported; fragments;
//      frames whose bytes were not all captured; UDP over IPv4 with checksum 0 (RFC 768 "no
//      checksum"); an IP length field of 0. Never both flags of a kind (consistent()).
//   4. RSS (rss.h), when configured and enabled; inner tuple when inner_rss.
//   5. VMQ (vmq.h), when enabled (*VMQ); filters flagged GRE see the inner MAC header when
//      inner_vmq. The queue is reported in FilteringInfo (FilterId 0).
//
// Speed: the common frame (untagged outer Ethernet, outer IPv4 without options, NVGRE exactly,
// inner IPv4/IPv6 without options or extension headers, TCP/UDP) is recognized by a short
// fixed-offset check and finished by a specialized path; every other frame goes through the
// general path. The two give identical results (layout included) on every frame and
// configuration the differential tests generate (tests/offload/rx_engine_test.cc,
// RxFastPath.SameAsTheGeneralPath); detail::ProcessRxFrameGeneral is the reference.
//
// No allocation, no exceptions, no I/O. ProcessRxFrame is a pure function of its arguments; an
// RxEngine keeps counters, so use one per thread (or per queue).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

#include "nvgre/offload/adapter.h"
#include "nvgre/offload/ndis_oob.h"
#include "nvgre/offload/rss.h"
#include "nvgre/offload/vmq.h"
#include "nvgre/wire/classifier.h"

namespace nvgre::offload {

enum class RxPath : std::uint8_t { kNotIp, kPlain, kEncapsulated, kEncapsulationNotOffloaded };
inline constexpr std::size_t kRxPathCount = 4;
std::string_view ToString(RxPath p);  // "not-ip", "plain", "encapsulated", "encapsulation-not-offloaded"

enum class RxNotOffloaded : std::uint8_t {
  kNone,
  kUnknownEncapsulation,  // GRE that is not version 0 carrying Ethernet/IPv4/IPv6 (spec §6)
  kInnerUnparsed,         // inner headers could not be parsed (truncated or malformed)
  kInactive,              // NVGRE task offload not turned on by OID_TCP_OFFLOAD_PARAMETERS (§8.1)
  kOuterFragment,         // the outer IP packet is a fragment: the inner frame is incomplete
  kHeadersTooLong,        // headers beyond MaxHeaderSizeSupported (§7.2)
  kVersionsNotAdvertised, // no Rx offload's INNER/OUTER mask allows these IP versions (§7.2)
};
inline constexpr std::size_t kRxNotOffloadedCount = 7;
std::string_view ToString(RxNotOffloaded r);  // kebab-case

struct RxResult {
  wire::FrameLayout layout;
  RxPath path = RxPath::kNotIp;
  RxNotOffloaded reason = RxNotOffloaded::kNone;  // set for kEncapsulationNotOffloaded
  std::uint16_t header_span = 0;  // bytes through the innermost header located (§7.2 measure)
  bool inner_checksum = false;    // the checksum stage looked at the inner headers
  bool inner_rss = false;         // RSS was allowed to use the inner tuple
  bool inner_vmq = false;         // GRE-flagged filters saw the inner MAC header
  ChecksumRxInfo checksum;        // slot TcpIpChecksumNetBufferListInfo, Receive view
  RssResult rss;                  // hash value / type / queue; tuple kNone when not hashed
  bool vmq_handled = false;       // the VMQ stage ran (VMQ enabled)
  VmqMatch vmq;                   // queue (0 = default) and the matching filter id

  std::uint32_t hash_value() const { return rss.hash; }         // slot NetBufferListHashValue
  HashInfo hash_info() const { return rss.hash_info(); }        // slot NetBufferListHashInfo
  FilteringInfo filtering_info() const {                         // slot NetBufferListFilteringInfo
    return vmq_handled ? vmq.filtering_info() : FilteringInfo{};
  }
};

static_assert(std::is_trivially_copyable_v<RxResult> && std::is_trivially_destructible_v<RxResult>);

// Processes one frame with one configuration. `wire_length` is the frame's length on the wire
// when the capture cut it (pcap orig_len); 0 = the span is the whole frame. The out-parameter
// form assigns every member of `out` (whatever it held) and is what bursts use.
void ProcessRxFrame(const AdapterConfig& config, std::span<const std::uint8_t> frame,
                    std::size_t wire_length, RxResult& out);
inline RxResult ProcessRxFrame(const AdapterConfig& config, std::span<const std::uint8_t> frame,
                               std::size_t wire_length = 0) {
  RxResult r;
  ProcessRxFrame(config, frame, wire_length, r);
  return r;
}

namespace detail {
// The two halves of ProcessRxFrame, for the differential tests: the general path (every frame,
// through wire::ClassifyFrame) and the shape check of the specialized path for the common
// NVGRE frame (untagged, outer IPv4 without options, NVGRE, inner IPv4/IPv6 without options,
// TCP/UDP), which must give exactly the layout and the result of the general path.
void ProcessRxFrameGeneral(const AdapterConfig& config, std::span<const std::uint8_t> frame,
                           std::size_t wire_length, RxResult& out);
bool ClassifyNvgreFastForTest(std::span<const std::uint8_t> frame, std::size_t wire_length,
                              wire::FrameLayout& layout);
}  // namespace detail

// Counters of one engine (not atomic: one engine per thread).
struct RxStats {
  std::uint64_t frames = 0;
  std::array<std::uint64_t, kRxPathCount> by_path{};
  std::array<std::uint64_t, kRxNotOffloadedCount> not_offloaded{};
  std::uint64_t ip_checksum_failed = 0;
  std::uint64_t l4_checksum_failed = 0;
  std::uint64_t hashed = 0;
  std::uint64_t vmq_matched = 0;  // frames steered by a filter (not the default queue)
  void Count(const RxResult& r) {
    ++frames;
    ++by_path[static_cast<std::size_t>(r.path)];
    if (r.path == RxPath::kEncapsulationNotOffloaded) ++not_offloaded[static_cast<std::size_t>(r.reason)];
    ip_checksum_failed += r.checksum.ip_checksum_failed() ? 1u : 0u;
    l4_checksum_failed += (r.checksum.tcp_checksum_failed() || r.checksum.udp_checksum_failed()) ? 1u : 0u;
    hashed += r.rss.computed() ? 1u : 0u;
    vmq_matched += r.vmq.filter_id != 0 ? 1u : 0u;
  }
};

class RxEngine {
 public:
  // The adapter must outlive the engine.
  explicit RxEngine(const Adapter& adapter) : adapter_(adapter) {}

  // One configuration snapshot per frame.
  RxResult Process(std::span<const std::uint8_t> frame, std::size_t wire_length = 0) {
    const auto config = adapter_.Snapshot();
    RxResult r;
    ProcessRxFrame(*config, frame, wire_length, r);
    stats_.Count(r);
    return r;
  }
  // One snapshot for the burst: out[i] for frames[i], i < min(frames.size(), out.size()).
  void ProcessBurst(std::span<const std::span<const std::uint8_t>> frames, std::span<RxResult> out);

  const RxStats& stats() const { return stats_; }

 private:
  const Adapter& adapter_;
  RxStats stats_;
};

}  // namespace nvgre::offload
