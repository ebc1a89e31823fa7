// Receive segment coalescing (RSC / GRO) of NVGRE frames: consecutive in-order TCP segments of
// one inner flow, carried with identical outer headers, GRE key and flags, merged into one frame
// before they are indicated. Optional and off by default (the caller decides to put frames
// through it); it runs only while the adapter has RSC enabled for the inner IP version
// (*RscIPv4 / *RscIPv6, OID_TCP_OFFLOAD_PARAMETERS RscIPv4/RscIPv6) and NVGRE task offload is
// active.
//
//   std::array<std::uint8_t, 65536 + 512> storage;   // caller memory: one merged frame
//   RscCoalescer rsc(storage);
//   struct Up : RscSink { void Indicate(std::span<const std::uint8_t> f, const RscIndication& i) override; } up;
//   for (frame : burst) rsc.Offer(*config, frame, ProcessRxFrame(*config, frame), tag, up);
//   rsc.Flush(up);                     // end of the burst, or the adapter's drain hook (§8.3)
//
// A frame is held for coalescing only when all of these hold (else it is indicated at once,
// after whatever was held): the Rx engine took the kEncapsulated path with inner checksums;
// the inner transport is TCP, not a fragment, fully captured; TcpChecksumSucceeded and no
// IpChecksumFailed; TCP flags are ACK, optionally PSH, nothing else (SYN/FIN/RST/URG/ECE/CWR
// end coalescing, as in Linux GRO and NDIS RSC); the TCP payload is not empty.
// A held frame absorbs the next offered frame when its header bytes (frame start through the
// TCP header) are identical except for the outer and inner IP length, Identification and
// header checksum fields, the TCP sequence number, the TCP checksum and the PSH flag, and its
// sequence number continues the held data exactly. Different GRE keys, GRE flags, outer or
// inner addresses, ports, TCP options or acknowledgment numbers therefore never merge. The
// merged frame is at most the storage size and keeps every IP length within 16 bits.
//
// The merged frame has the first segment's headers with lengths updated, both IPv4 header
// checksums recomputed and PSH set when any segment had it; its TCP checksum is NOT recomputed:
// the indication carries TcpChecksumSucceeded | TcpChecksumValueInvalid (the NDIS RSC rule in
// the ndis_oob.h CONTRACT) and coalesced_segments, as NDIS_RSC_NBL_INFO.CoalescedSegCount.
// A merged frame ends where its IP packets end (an Ethernet trailer of the first segment is
// dropped); a held frame that is indicated unmerged is the offered frame byte for byte, trailer
// included, and a frame larger than the storage is never held.
//
// No allocation: the only memory is the caller's storage. Not thread-safe: one coalescer per
// receive queue, flushed from that queue's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "nvgre/offload/adapter.h"
#include "nvgre/offload/rx_engine.h"

namespace nvgre::offload {

struct RscIndication {
  ChecksumRxInfo checksum;             // the segments' flags (+ TcpChecksumValueInvalid if merged)
  std::uint16_t coalesced_segments = 1;  // NDIS_RSC_NBL_INFO.CoalescedSegCount (1 = not merged)
  std::uint64_t first_tag = 0;         // the caller's tags of the first and last frame
  std::uint64_t last_tag = 0;
  RssResult rss;                       // hash / queue of the first segment (same flow for all)
  VmqMatch vmq;
};

class RscSink {
 public:
  virtual ~RscSink() = default;
  // `frame` is valid only during the call.
  virtual void Indicate(std::span<const std::uint8_t> frame, const RscIndication& info) = 0;
};

class RscCoalescer {
 public:
  explicit RscCoalescer(std::span<std::uint8_t> storage) : storage_(storage) {}

  // Offers one received frame (with the result the Rx engine gave for it and the config it
  // used). Indicates zero, one or two frames through `sink`.
  void Offer(const AdapterConfig& config, std::span<const std::uint8_t> frame, const RxResult& rx,
             std::uint64_t tag, RscSink& sink);
  // Indicates the held frame, if any.
  void Flush(RscSink& sink);

  bool holding() const { return held_length_ != 0; }
  std::uint64_t merged_segments() const { return merged_; }  // segments absorbed so far

 private:
  bool Eligible(const AdapterConfig& config, std::span<const std::uint8_t> frame,
                const RxResult& rx) const;
  bool Mergeable(std::span<const std::uint8_t> frame, const RxResult& rx) const;
  void Hold(std::span<const std::uint8_t> frame, const RxResult& rx, std::uint64_t tag);
  void Append(std::span<const std::uint8_t> frame, const RxResult& rx, std::uint64_t tag);

  std::span<std::uint8_t> storage_;
  std::size_t held_length_ = 0;   // bytes of storage_ in use (0 = nothing held)
  std::size_t data_end_ = 0;      // end of the held IP packets (held_length_ minus any trailer)
  std::size_t header_length_ = 0; // frame start through the TCP header
  wire::FrameLayout layout_;      // of the held frame
  std::uint32_t next_seq_ = 0;    // sequence number the next segment must carry
  RscIndication info_;
  std::uint64_t merged_ = 0;
};

}  // namespace nvgre::offload
