// The emulated NIC's control plane (spec §7, §8, §12): what it can offload (NDIS_OFFLOAD
// hardware capabilities, with NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD for GRE), what is currently
// enabled (the keywords read at initialization, then OID_TCP_OFFLOAD_PARAMETERS), RSS and VMQ
// configuration, and the status indications NDIS expects.
//
//   Adapter nic(AdapterCapabilities::Default(), Keywords::Parse(keyword_text));
//   nic.SetStatusCallback([](const StatusIndication& s) { /* s.code == 0x40020006 */ });
//   nic.SetOffloadEncapsulation(OffloadEncapsulation::Ethernet());   // OID_OFFLOAD_ENCAPSULATION
//   OffloadParameters p;
//   p.encapsulated_packet_task_offload = kNdisOffloadSetOn;
//   p.encapsulation_types = kNdisEncapsulationTypeGreMac;
//   NdisStatus st = nic.SetOffloadParameters(p);                    // OID_TCP_OFFLOAD_PARAMETERS
//   auto config = nic.Snapshot();            // per packet (or per burst): one immutable config
//   RxResult r = ProcessRxFrame(*config, frame);                    // rx_engine.h
//   TxResult t = ProcessTxPacket(config->TxConfig(), ...);          // tx_engine.h
//   std::string persisted = nic.keywords().ToText();                // the rewritten keywords
//
// State rules:
//   - Initialization: base offloads (checksum per kind and direction, LSOv2, RSC, USO, RSS, VMQ)
//     start as the keywords say, limited by the hardware capabilities. NVGRE task offload starts
//     INACTIVE whatever *EncapsulatedPacketTaskOffload says: the keyword only allows the stack to
//     turn it on (spec §8.1, §12). No checksum or LSO offload is performed before
//     OID_OFFLOAD_ENCAPSULATION has enabled the frame's (outer) IP version (spec §3.2, §8.3).
//   - OID_TCP_OFFLOAD_PARAMETERS (SetOffloadParameters / SetOffloadParametersOid): validated as a
//     whole first (values outside the member's range -> NDIS_STATUS_INVALID_DATA; a valid request
//     for something the hardware cannot do, or for VXLAN -> NDIS_STATUS_NOT_SUPPORTED); on an
//     error nothing changes and nothing is indicated. Otherwise the new state is applied, the
//     keywords are rewritten (NDIS persists OID-selected state, spec §8.3, §12) and
//     NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG is indicated with the new current NDIS_OFFLOAD
//     (every successful set, even one that changed nothing). Turning NVGRE task offload OFF first
//     publishes the new state, waits until no packet is still being processed with the old one,
//     and runs the drain hook (a receive coalescer's flush: "indicate up packets still partially
//     processed", spec §8.3) before the indication.
//   - CURRENT_CONFIG reports EncapsulatedPacketTaskOffloadGre with the advertised masks when the
//     offload is active and all zero when it is not (spec §8.2, [INFER] reading), and
//     EncapsulationTypes = GRE_MAC when active.
//
// Concurrency (the documented choice): every configuration change builds a new immutable
// AdapterConfig and publishes it as a std::shared_ptr<const AdapterConfig> (ConfigSlot). An
// engine takes Snapshot() once per packet (or once per burst) and uses only that snapshot, so a
// change is atomic with respect to any one packet: a packet sees the old or the new config,
// never a mix. Allocation happens on configuration changes only, never per packet. Control
// operations (Set*, Clear*, callbacks registration) are serialized by a mutex; the status
// callback, the drain hook and the publish hook run with it held and must not call the adapter's
// Set*/Clear* (they may call Snapshot(), CurrentConfig(), HardwareCapabilities()). A thread must
// not hold a Snapshot() while it turns NVGRE task offload off (the wait would never end), unless
// the publish hook lets go of it: a consumer that keeps one snapshot for many packets (nvgred
// publishes it to its workers inside an immutable datapath state) replaces it there with the new
// configuration, and the wait then ends once no packet still runs with the old one.
//
// The NDIS structures are modelled as plain values with byte-exact ToBytes/FromBytes at every
// revision whose size the spec gives (§7.3, §8.3): NDIS_OFFLOAD revisions 1-6 (112, 144, 156,
// 177, 188, 216 bytes), NDIS_OFFLOAD_PARAMETERS revisions 1-5 (20, 22, 26, 32, 34 bytes).
// Members this adapter never supports (IPsec, TCP chimney, VXLAN, 464XLAT) are written as 0.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nvgre/offload/keywords.h"
#include "nvgre/offload/ndis_capabilities.h"
#include "nvgre/offload/rss.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/offload/vmq.h"

namespace nvgre::offload {

// ---- NDIS constants (spec §13; status values from ndis.h / ntstatus.h) ----------------------
enum class NdisStatus : std::uint32_t {
  kSuccess = 0x00000000,                        // NDIS_STATUS_SUCCESS
  kInvalidParameter = 0xC000000D,               // NDIS_STATUS_INVALID_PARAMETER (STATUS_INVALID_PARAMETER)
  kResources = 0xC000009A,                      // NDIS_STATUS_RESOURCES (STATUS_INSUFFICIENT_RESOURCES)
  kNotSupported = 0xC00000BB,                   // NDIS_STATUS_NOT_SUPPORTED (STATUS_NOT_SUPPORTED)
  kInvalidLength = 0xC0010014,                  // NDIS_STATUS_INVALID_LENGTH
  kInvalidData = 0xC0010015,                    // NDIS_STATUS_INVALID_DATA
  kBufferTooShort = 0xC0010016,                 // NDIS_STATUS_BUFFER_TOO_SHORT
  kTaskOffloadCurrentConfig = 0x40020006,       // NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG
  kTaskOffloadHardwareCapabilities = 0x40020007,  // NDIS_STATUS_TASK_OFFLOAD_HARDWARE_CAPABILITIES
};
std::string_view ToString(NdisStatus s);  // "NDIS_STATUS_INVALID_DATA"

// The outcome of a query OID (NDIS_OID_REQUEST.DATA.QUERY_INFORMATION BytesWritten/BytesNeeded).
struct OidQueryResult {
  NdisStatus status = NdisStatus::kSuccess;
  std::uint32_t bytes_written = 0;
  std::uint32_t bytes_needed = 0;  // set with NDIS_STATUS_BUFFER_TOO_SHORT
};

inline constexpr std::uint32_t kOidTcpOffloadCurrentConfig = 0xFC01020B;
inline constexpr std::uint32_t kOidTcpOffloadParameters = 0xFC01020C;
inline constexpr std::uint32_t kOidTcpOffloadHardwareCapabilities = 0xFC01020D;
inline constexpr std::uint32_t kOidOffloadEncapsulation = 0x0101010A;
inline constexpr std::uint32_t kOidGenReceiveScaleParameters = 0x00010204;

inline constexpr std::uint8_t kNdisObjectTypeDefault = 0x80;   // NDIS_OBJECT_TYPE_DEFAULT
inline constexpr std::uint8_t kNdisObjectTypeOffload = 0xA7;   // NDIS_OBJECT_TYPE_OFFLOAD

inline constexpr std::uint32_t kNdisOffloadNotSupported = 0;   // NDIS_OFFLOAD_NOT_SUPPORTED
inline constexpr std::uint32_t kNdisOffloadSupported = 1;      // NDIS_OFFLOAD_SUPPORTED
inline constexpr std::uint8_t kNdisOffloadSetNoChange = 0;     // NDIS_OFFLOAD_SET_NO_CHANGE
inline constexpr std::uint8_t kNdisOffloadSetOn = 1;           // NDIS_OFFLOAD_SET_ON
inline constexpr std::uint8_t kNdisOffloadSetOff = 2;          // NDIS_OFFLOAD_SET_OFF
inline constexpr std::uint8_t kNdisEncapsulationTypeGreMac = 0x1;  // NDIS_ENCAPSULATION_TYPE_GRE_MAC
inline constexpr std::uint8_t kNdisEncapsulationTypeVxlan = 0x2;   // NDIS_ENCAPSULATION_TYPE_VXLAN
// NDIS_ENCAPSULATION_* (the Encapsulation members of NDIS_OFFLOAD and OID_OFFLOAD_ENCAPSULATION).
inline constexpr std::uint32_t kNdisEncapsulationNotSupported = 0x0;
inline constexpr std::uint32_t kNdisEncapsulationNull = 0x1;
inline constexpr std::uint32_t kNdisEncapsulationIeee8023 = 0x2;
inline constexpr std::uint32_t kNdisEncapsulationIeee8023PAndQ = 0x4;
inline constexpr std::uint32_t kNdisEncapsulationIeee8023PAndQInOob = 0x8;
inline constexpr std::uint32_t kNdisEncapsulationIeeeLlcSnapRouted = 0x10;
// NDIS_OFFLOAD_PARAMETERS member values (spec §8.3).
inline constexpr std::uint8_t kOffloadParametersNoChange = 0;
inline constexpr std::uint8_t kOffloadParametersTxRxDisabled = 1;
inline constexpr std::uint8_t kOffloadParametersTxEnabledRxDisabled = 2;
inline constexpr std::uint8_t kOffloadParametersRxEnabledTxDisabled = 3;
inline constexpr std::uint8_t kOffloadParametersTxRxEnabled = 4;
inline constexpr std::uint8_t kOffloadParametersDisabled = 1;  // LSOV1/LSOV2/RSC/USO _DISABLED
inline constexpr std::uint8_t kOffloadParametersEnabled = 2;   // LSOV1/LSOV2/RSC/USO _ENABLED

// NDIS_SIZEOF_NDIS_OFFLOAD_REVISION_n (spec §7.3 [CALC]); 0 for an unknown revision.
constexpr std::size_t NdisOffloadSize(std::uint8_t revision) {
  constexpr std::array<std::size_t, 7> kSizes{0, 112, 144, 156, 177, 188, 216};
  return revision < kSizes.size() ? kSizes[revision] : 0;
}
// NDIS_SIZEOF_OFFLOAD_PARAMETERS_REVISION_n (spec §8.3 [CALC]); 0 for an unknown revision.
constexpr std::size_t OffloadParametersSize(std::uint8_t revision) {
  constexpr std::array<std::size_t, 6> kSizes{0, 20, 22, 26, 32, 34};
  return revision < kSizes.size() ? kSizes[revision] : 0;
}
inline constexpr std::uint8_t kNdisOffloadRevision3 = 3;            // NDIS 6.30
inline constexpr std::uint8_t kNdisOffloadMaxRevision = 6;          // NDIS 6.83 (UdpSegmentation)
inline constexpr std::uint8_t kOffloadParametersMaxRevision = 5;    // NDIS 6.83 (UdpSegmentation)
inline constexpr std::size_t kNdisOffloadGreOffset = 148;          // EncapsulatedPacketTaskOffloadGre

// ---- NDIS_OFFLOAD (ntddndis.h) as a plain value ---------------------------------------------
// Each 2-bit "supported" member holds NDIS_OFFLOAD_SUPPORTED (1) or _NOT_SUPPORTED (0), modelled
// as bool; Encapsulation is an NDIS_ENCAPSULATION_* mask (0 = the whole member is off).
struct ChecksumOffloadIpv4 {  // IPv4Transmit / IPv4Receive
  std::uint32_t encapsulation = kNdisEncapsulationNotSupported;
  bool ip_options_supported = false;
  bool tcp_options_supported = false;
  bool tcp_checksum = false;
  bool udp_checksum = false;
  bool ip_checksum = false;
  friend bool operator==(const ChecksumOffloadIpv4&, const ChecksumOffloadIpv4&) = default;
};
struct ChecksumOffloadIpv6 {  // IPv6Transmit / IPv6Receive
  std::uint32_t encapsulation = kNdisEncapsulationNotSupported;
  bool ip_extension_headers_supported = false;
  bool tcp_options_supported = false;
  bool tcp_checksum = false;
  bool udp_checksum = false;
  friend bool operator==(const ChecksumOffloadIpv6&, const ChecksumOffloadIpv6&) = default;
};
struct LsoV1Offload {  // NDIS_TCP_LARGE_SEND_OFFLOAD_V1.IPv4
  std::uint32_t encapsulation = kNdisEncapsulationNotSupported;
  std::uint32_t max_offload_size = 0;
  std::uint32_t min_segment_count = 0;
  bool tcp_options = false;
  bool ip_options = false;
  friend bool operator==(const LsoV1Offload&, const LsoV1Offload&) = default;
};
struct LsoV2Offload {  // NDIS_TCP_LARGE_SEND_OFFLOAD_V2.IPv4 / .IPv6 (the two flags: IPv6 only)
  std::uint32_t encapsulation = kNdisEncapsulationNotSupported;
  std::uint32_t max_offload_size = 0;
  std::uint32_t min_segment_count = 0;
  bool ip_extension_headers_supported = false;
  bool tcp_options_supported = false;
  friend bool operator==(const LsoV2Offload&, const LsoV2Offload&) = default;
};
struct UsoOffload {  // NDIS_UDP_SEGMENTATION_OFFLOAD.IPv4 / .IPv6 (ext headers: IPv6 only)
  std::uint32_t encapsulation = kNdisEncapsulationNotSupported;
  std::uint32_t max_offload_size = 0;
  std::uint32_t min_segment_count = 0;  // 6 bits
  bool sub_mss_final_segment_supported = false;
  bool ip_extension_headers_supported = false;
  friend bool operator==(const UsoOffload&, const UsoOffload&) = default;
};

struct NdisOffload {
  ChecksumOffloadIpv4 ipv4_transmit, ipv4_receive;  // Checksum (rev 1)
  ChecksumOffloadIpv6 ipv6_transmit, ipv6_receive;
  LsoV1Offload lso_v1;                              // LsoV1 (rev 1)
  LsoV2Offload lso_v2_ipv4, lso_v2_ipv6;            // LsoV2 (rev 1)
  std::uint32_t flags = 0;                          // Flags (rev 1)
  bool rsc_ipv4 = false, rsc_ipv6 = false;          // Rsc.IPv4/IPv6.Enabled (rev 3)
  EncapsulatedPacketTaskOffload encapsulated_packet_task_offload_gre =
      EncapsulatedPacketTaskOffload::FromRaw(0, 0);  // rev 3, offset 148
  std::uint8_t encapsulation_types = 0;              // rev 4 (NDIS_ENCAPSULATION_TYPE_*)
  UsoOffload uso_ipv4, uso_ipv6;                     // UdpSegmentation (rev 6)

  // The structure as it sits in memory (little-endian ULONGs, MSVC bitfield order), exactly
  // NdisOffloadSize(revision) bytes, Header = {0xA7, revision, size}. Members newer than the
  // revision are not written. Precondition: NdisOffloadSize(revision) != 0.
  std::vector<std::uint8_t> ToBytes(std::uint8_t revision = kNdisOffloadMaxRevision) const;
  // nullopt when the header is not {0xA7, revision >= 1, size >= NdisOffloadSize(r)} with
  // r = min(revision, 6), or the buffer is shorter than the size. A revision above 6 is read as
  // revision 6 (NDIS versioning: a later revision only appends members, so a consumer reads the
  // ones it knows, as ParseOffloadParameters does). Members beyond r keep their defaults.
  static std::optional<NdisOffload> FromBytes(std::span<const std::uint8_t> bytes);
  // Multi-line "Checksum.IPv4Receive: Encapsulation=0x2 IpChecksum TcpChecksum ..." text.
  std::string ToString() const;
  friend bool operator==(const NdisOffload&, const NdisOffload&) = default;
};

// ---- NDIS_OFFLOAD_PARAMETERS (OID_TCP_OFFLOAD_PARAMETERS) -------------------------------------
struct OffloadParameters {
  std::uint8_t revision = kOffloadParametersMaxRevision;  // Header.Revision
  std::uint8_t ipv4_checksum = 0;       // IPv4Checksum: NO_CHANGE 0, TX_RX_DISABLED 1,
  std::uint8_t tcp_ipv4_checksum = 0;   //   TX_ENABLED_RX_DISABLED 2, RX_ENABLED_TX_DISABLED 3,
  std::uint8_t udp_ipv4_checksum = 0;   //   TX_RX_ENABLED 4 (all five checksum members)
  std::uint8_t tcp_ipv6_checksum = 0;
  std::uint8_t udp_ipv6_checksum = 0;
  std::uint8_t lso_v1 = 0;              // NO_CHANGE 0, DISABLED 1, ENABLED 2
  std::uint8_t ipsec_v1 = 0;            // 0..4 (DISABLED 1, AH 2, ESP 3, AH_AND_ESP 4)
  std::uint8_t lso_v2_ipv4 = 0;         // NO_CHANGE 0, DISABLED 1, ENABLED 2
  std::uint8_t lso_v2_ipv6 = 0;
  std::uint8_t tcp_connection_ipv4 = 0; // NO_CHANGE 0, DISABLED 1, ENABLED 2 (chimney)
  std::uint8_t tcp_connection_ipv6 = 0;
  std::uint32_t flags = 0;
  std::uint8_t ipsec_v2 = 0;            // rev 2: 0..4
  std::uint8_t ipsec_v2_ipv4 = 0;       // rev 2: 0..4
  std::uint8_t rsc_ipv4 = 0;            // rev 3: NO_CHANGE 0, DISABLED 1, ENABLED 2
  std::uint8_t rsc_ipv6 = 0;
  std::uint8_t encapsulated_packet_task_offload = 0;  // rev 3: NO_CHANGE 0, ON 1, OFF 2
  std::uint8_t encapsulation_types = 0;               // rev 3: GRE_MAC 0x1 | VXLAN 0x2 (with ON)
  std::uint16_t vxlan_udp_port_number = 0;            // rev 4
  std::uint8_t uso_ipv4 = 0;            // rev 5: NO_CHANGE 0, DISABLED 1, ENABLED 2
  std::uint8_t uso_ipv6 = 0;

  // Exactly OffloadParametersSize(revision) bytes with Header = {0x80, revision, size}.
  // Precondition: OffloadParametersSize(revision) != 0.
  std::vector<std::uint8_t> ToBytes() const;
  friend bool operator==(const OffloadParameters&, const OffloadParameters&) = default;
};
// The OID's InformationBuffer. NDIS_STATUS_INVALID_DATA when the header is not
// {NDIS_OBJECT_TYPE_DEFAULT, revision >= 1, Size >= that revision's size} or the buffer is
// shorter than Size (spec §8.3 "invalid buffer"). Members newer than the revision read as
// NO_CHANGE.
struct ParsedOffloadParameters {
  NdisStatus status = NdisStatus::kSuccess;
  OffloadParameters parameters;
};
ParsedOffloadParameters ParseOffloadParameters(std::span<const std::uint8_t> information_buffer);

// ---- OID_OFFLOAD_ENCAPSULATION (NDIS_OFFLOAD_ENCAPSULATION) ----------------------------------
struct OffloadEncapsulation {
  struct PerVersion {
    std::uint32_t enabled = kNdisOffloadSetNoChange;  // NDIS_OFFLOAD_SET_ON / _OFF (ULONG)
    std::uint32_t encapsulation_type = kNdisEncapsulationIeee8023;
    std::uint32_t header_size = 14;                   // bytes of the MAC header
    friend bool operator==(const PerVersion&, const PerVersion&) = default;
  };
  PerVersion ipv4, ipv6;
  // Both versions ON with IEEE 802.3 framing and a 14-byte header: what TCP/IP sets on Ethernet.
  static OffloadEncapsulation Ethernet() {
    OffloadEncapsulation e;
    e.ipv4.enabled = kNdisOffloadSetOn;
    e.ipv6.enabled = kNdisOffloadSetOn;
    return e;
  }
  friend bool operator==(const OffloadEncapsulation&, const OffloadEncapsulation&) = default;
};

// ---- Hardware ---------------------------------------------------------------------------------
struct AdapterCapabilities {
  NdisOffload hardware;              // OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES (incl. the GRE masks)
  bool rss_supported = true;
  std::uint32_t rss_hash_types = kRssSupportedHashTypes;
  std::uint16_t rss_queues = 16;     // NDIS_RECEIVE_SCALE_CAPABILITIES.NumberOfReceiveQueues
  bool vmq_supported = true;
  std::uint16_t vmq_queues = 16;     // receive queues incl. the default queue 0
  // Everything this model implements, advertised: checksum Tx/Rx for IPv4 (with IP and TCP
  // options) and IPv6 (with extension headers and TCP options), LSOv1 IPv4, LSOv2 IPv4/IPv6
  // (MaxOffLoadSize 262144, MinSegmentCount 2), RSC, USO (262144, 2, sub-MSS final segment),
  // all NVGRE masks 0xF (every INNER/OUTER combination) with MaxHeaderSizeSupported 256.
  static AdapterCapabilities Default();
};

// ---- The immutable per-packet view ----------------------------------------------------------
struct AdapterConfig {
  AdapterCapabilities capabilities;
  NdisOffload current;                    // what CURRENT_CONFIG reports
  bool offload_encapsulation_ipv4 = false;  // OID_OFFLOAD_ENCAPSULATION enabled IPv4 (§8.3)
  bool offload_encapsulation_ipv6 = false;
  std::shared_ptr<const RssState> rss;    // null: RSS not configured (or *RSS=0)
  bool vmq_enabled = false;               // *VMQ and the hardware
  VmqTable vmq;

  // NVGRE task offload operational (spec §8.1).
  bool encapsulated_offload_active() const {
    return (current.encapsulation_types & kNdisEncapsulationTypeGreMac) != 0;
  }
  // The current masks: the advertised ones when active, 0 otherwise.
  const EncapsulatedPacketTaskOffload& encapsulated() const {
    return current.encapsulated_packet_task_offload_gre;
  }
  // Base offloads are performed on a frame only when OID_OFFLOAD_ENCAPSULATION enabled its
  // (outer) IP version.
  bool OffloadEncapsulationFor(bool outer_ipv6) const {
    return outer_ipv6 ? offload_encapsulation_ipv6 : offload_encapsulation_ipv4;
  }
  bool rss_enabled() const { return rss != nullptr && rss->enabled(); }
  // The transmit engine's view (tx_engine.h) of this state.
  TxOffloadConfig TxConfig() const;
};

struct StatusIndication {
  NdisStatus code = NdisStatus::kTaskOffloadCurrentConfig;
  NdisOffload offload;  // the new current configuration
};
using StatusCallback = std::function<void(const StatusIndication&)>;
using DrainHook = std::function<void()>;
using PublishHook = std::function<void()>;

class Adapter {
 public:
  explicit Adapter(const AdapterCapabilities& caps = AdapterCapabilities::Default(),
                   Keywords keywords = Keywords());
  Adapter(const Adapter&) = delete;
  Adapter& operator=(const Adapter&) = delete;

  // The current configuration; lock-free. Hold it for one packet or one burst.
  std::shared_ptr<const AdapterConfig> Snapshot() const {
    return config_.load();
  }
  const AdapterCapabilities& capabilities() const { return caps_; }
  NdisOffload HardwareCapabilities() const { return caps_.hardware; }  // OID_..._HARDWARE_CAPABILITIES
  NdisOffload CurrentConfig() const { return Snapshot()->current; }  // OID_TCP_OFFLOAD_CURRENT_CONFIG
  // A query OID as NDIS hands it down (NDIS_OID_REQUEST.DATA.QUERY_INFORMATION):
  // OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES / _CURRENT_CONFIG write the NDIS_OFFLOAD image of
  // `revision` into `information_buffer`. Spec §7.1: a buffer shorter than the image ->
  // NDIS_STATUS_BUFFER_TOO_SHORT with nothing written and bytes_needed = the image size;
  // another OID -> NDIS_STATUS_NOT_SUPPORTED. Control path (allocates).
  OidQueryResult QueryOid(std::uint32_t oid, std::span<std::uint8_t> information_buffer,
                          std::uint8_t revision = kNdisOffloadMaxRevision) const;
  TxOffloadConfig TxConfig() const { return Snapshot()->TxConfig(); }
  Keywords keywords() const;  // a copy, as they would be persisted now

  void SetStatusCallback(StatusCallback cb);
  void SetDrainHook(DrainHook hook);
  // Runs right after every new configuration is published (Snapshot() returns it), before a
  // SET_OFF of NVGRE task offload waits for the old one to be released (see Concurrency).
  void SetPublishHook(PublishHook hook);

  // OID_TCP_OFFLOAD_PARAMETERS (see the state rules above).
  NdisStatus SetOffloadParameters(const OffloadParameters& p);
  NdisStatus SetOffloadParametersOid(std::span<const std::uint8_t> information_buffer);
  // OID_OFFLOAD_ENCAPSULATION: ON/OFF per version; EncapsulationType must be IEEE 802.3 (what
  // the hardware advertises), HeaderSize 14..22. Bad values -> INVALID_PARAMETER, another
  // encapsulation type -> NOT_SUPPORTED.
  NdisStatus SetOffloadEncapsulation(const OffloadEncapsulation& e);
  // OID_GEN_RECEIVE_SCALE_PARAMETERS. NOT_SUPPORTED when RSS is not advertised, *RSS=0, or a
  // defined hash type is not implemented (_EX); INVALID_PARAMETER for other bad values.
  NdisStatus SetRssParameters(const RssParameters& p);
  // OID_RECEIVE_FILTER_SET_FILTER / _CLEAR_FILTER for VMQ filters. NOT_SUPPORTED when VMQ is
  // off or for unsupported fields/tests/flags, NDIS_STATUS_RESOURCES when the table is full,
  // INVALID_PARAMETER otherwise.
  NdisStatus SetReceiveFilter(const ReceiveFilter& f);
  NdisStatus ClearReceiveFilter(std::uint32_t filter_id);

 private:
  void Publish(std::shared_ptr<const AdapterConfig> next);  // mu_ held

  const AdapterCapabilities caps_;
  mutable std::mutex mu_;
  Keywords keywords_;           // guarded by mu_
  StatusCallback status_;       // guarded by mu_
  DrainHook drain_;             // guarded by mu_
  PublishHook publish_;         // guarded by mu_
  // The published configuration. A pointer copy/swap under its own mutex rather than
  // std::atomic<std::shared_ptr>: libstdc++ 12's atomic<shared_ptr>::load unlocks with
  // memory_order_relaxed, so its read of the pointer is not ordered before a later store's
  // write (ThreadSanitizer reports the race). Either way a load is three atomic
  // read-modify-writes; this lock is held only for the copy or the swap, never during an OID.
  class ConfigSlot {
   public:
    std::shared_ptr<const AdapterConfig> load() const {
      std::lock_guard lock(mu_);
      return config_;
    }
    void store(std::shared_ptr<const AdapterConfig> next) {
      {
        std::lock_guard lock(mu_);
        config_.swap(next);
      }  // the old config is released outside the lock
    }

   private:
    mutable std::mutex mu_;
    std::shared_ptr<const AdapterConfig> config_;
  };
  ConfigSlot config_;
};

// The current NDIS_OFFLOAD an adapter with these capabilities reports right after
// initialization with these keywords (NVGRE task offload inactive).
NdisOffload InitialCurrentConfig(const AdapterCapabilities& caps, const Keywords& keywords);

}  // namespace nvgre::offload
