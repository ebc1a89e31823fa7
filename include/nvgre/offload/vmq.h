// VMQ receive filters (spec §5.2, §11): which receive queue a frame goes to, from its
// destination MAC address and VLAN id, with the NVGRE rule that filters flagged
// NDIS_RECEIVE_FILTER_PACKET_ENCAPSULATION_GRE look at the INNER Ethernet header.
//
//   VmqTable vmq;
//   ReceiveFilter f{.filter_id = 1, .queue_id = 3, .flags = kReceiveFilterPacketEncapsulationGre};
//   f.AddField(ReceiveFilterField::MacEquals(vm_mac));
//   if (vmq.Set(f, /*num_queues=*/16) != VmqError::kNone) ...;   // OID_RECEIVE_FILTER_SET_FILTER
//   VmqMatch m = vmq.Classify(frame, wire::ClassifyFrame(frame), /*inner=*/true);
//   m.queue;       // 3 when the inner destination MAC is vm_mac, else 0 (default queue)
//   m.filtering_info();   // NBL FilteringInfo: QueueId = 3, FilterId = 0
//
// Semantics (spec §11): the field tests of one filter are ANDed; a frame matching any filter of
// a queue goes to that queue (filters ORed per queue); a frame matching none goes to the default
// queue NDIS_DEFAULT_RECEIVE_QUEUE_ID (0). When filters of different queues match, the filter
// set first wins [INFER: NDIS leaves overlapping filters undefined]. Filter ids are unique per
// adapter and 0 is invalid. VMQ filters test MAC header fields only: destination address and
// VLAN id (the adapter advertises NDIS_RECEIVE_FILTER_MAC_HEADER_SUPPORTED |
// _VLAN_ID_SUPPORTED); any other field is refused.
//
// Header choice (spec §5.2): a filter WITHOUT the GRE flag always tests the outer (outermost)
// Ethernet header. A filter WITH it tests the inner Ethernet header when `inner` is true (the
// caller decided NVGRE task offload VMQ applies to this frame) and the frame carries an inner
// Ethernet header; otherwise (no inner Ethernet header, e.g. GRE carrying IP; or a plain frame;
// or VMQ offload not active for it) the outer one [INFER: the flag is meaningful only for
// encapsulated frames].
//
// VLAN: a VlanId test matches the first 802.1Q tag's VID; it fails on an untagged frame (a MAC
// test + a VLAN test need both, spec §11). The per-field flag
// NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO on a MAC test restricts it to
// untagged or VID-0 frames; with neither, the MAC alone decides (the NDIS 6.30 option of
// filtering on the MAC only). An NVGRE inner header may not carry a tag (RFC 7637), so a VLAN
// test against the inner header only matches non-compliant frames.
//
// Multi-byte values are host-order integers here (NDIS carries them big-endian in FieldValue).
// The table is a fixed array (kMaxFilters): Set/Clear never allocate; Classify never allocates
// and may run concurrently with other Classify calls (the adapter publishes a new table on every
// change, see adapter.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nvgre/offload/ndis_oob.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ethernet.h"

namespace nvgre::offload {

// NDIS_MAC_HEADER_FIELD (ntddndis.h; spec §11).
enum class MacHeaderField : std::uint8_t {
  kUndefined = 0,
  kDestinationAddress = 1,
  kSourceAddress = 2,
  kProtocol = 3,
  kVlanId = 4,
  kPriority = 5,
  kPacketType = 6,
};
// NDIS_RECEIVE_FILTER_TEST (ntddndis.h; spec §11). NotEqual is NDIS 6.30.
enum class FilterTest : std::uint8_t { kUndefined = 0, kEqual = 1, kMaskEqual = 2, kNotEqual = 3 };

inline constexpr std::uint32_t kReceiveFilterPacketEncapsulationGre = 0x2;  // filter Flags (§5.2)
inline constexpr std::uint32_t kReceiveFilterFieldMacHeaderVlanUntaggedOrZero = 0x1;  // field Flags
inline constexpr std::uint16_t kDefaultReceiveQueueId = 0;  // NDIS_DEFAULT_RECEIVE_QUEUE_ID
// Capability bits the adapter advertises (NDIS_RECEIVE_FILTER_CAPABILITIES, spec §11).
inline constexpr std::uint32_t kReceiveFilterTestEqualSupported = 0x1;
inline constexpr std::uint32_t kReceiveFilterTestMaskEqualSupported = 0x2;
inline constexpr std::uint32_t kReceiveFilterTestNotEqualSupported = 0x4;
inline constexpr std::uint32_t kReceiveFilterMacHeaderSupported = 0x1;
inline constexpr std::uint32_t kReceiveFilterMacHeaderVlanIdSupported = 0x8;

// One NDIS_RECEIVE_FILTER_FIELD_PARAMETERS with FrameHeader = NdisFrameHeaderMac.
struct ReceiveFilterField {
  MacHeaderField field = MacHeaderField::kUndefined;
  FilterTest test = FilterTest::kUndefined;
  wire::MacAddress mac{};         // DestinationAddress: FieldValue
  wire::MacAddress mac_result{};  // DestinationAddress + MaskEqual: ResultValue ((dst & mac) == result)
  std::uint16_t vlan_id = 0;      // VlanId: FieldValue (12 bits)
  std::uint16_t vlan_result = 0;  // VlanId + MaskEqual: ResultValue
  std::uint32_t flags = 0;        // kReceiveFilterFieldMacHeaderVlanUntaggedOrZero

  static ReceiveFilterField MacEquals(const wire::MacAddress& mac, std::uint32_t flags = 0) {
    return {MacHeaderField::kDestinationAddress, FilterTest::kEqual, mac, {}, 0, 0, flags};
  }
  static ReceiveFilterField MacNotEquals(const wire::MacAddress& mac) {
    return {MacHeaderField::kDestinationAddress, FilterTest::kNotEqual, mac, {}, 0, 0, 0};
  }
  static ReceiveFilterField MacMaskEquals(const wire::MacAddress& mask, const wire::MacAddress& result) {
    return {MacHeaderField::kDestinationAddress, FilterTest::kMaskEqual, mask, result, 0, 0, 0};
  }
  static ReceiveFilterField VlanEquals(std::uint16_t vid) {
    return {MacHeaderField::kVlanId, FilterTest::kEqual, {}, {}, vid, 0, 0};
  }
  static ReceiveFilterField VlanNotEquals(std::uint16_t vid) {
    return {MacHeaderField::kVlanId, FilterTest::kNotEqual, {}, {}, vid, 0, 0};
  }
  static ReceiveFilterField VlanMaskEquals(std::uint16_t mask, std::uint16_t result) {
    return {MacHeaderField::kVlanId, FilterTest::kMaskEqual, {}, {}, mask, result, 0};
  }
  friend bool operator==(const ReceiveFilterField&, const ReceiveFilterField&) = default;
};

// NDIS_RECEIVE_FILTER_PARAMETERS (FilterType NdisReceiveFilterTypeVMQueue) + its field array.
struct ReceiveFilter {
  static constexpr std::size_t kMaxFields = 4;
  std::uint32_t filter_id = 0;  // NDIS_RECEIVE_FILTER_ID: unique per adapter, 0 invalid
  std::uint16_t queue_id = 0;   // NDIS_RECEIVE_QUEUE_ID (0 = default queue)
  std::uint32_t flags = 0;      // kReceiveFilterPacketEncapsulationGre
  std::array<ReceiveFilterField, kMaxFields> fields{};
  std::uint8_t field_count = 0;

  // False when the filter already has kMaxFields fields.
  [[nodiscard]] bool AddField(const ReceiveFilterField& f) {
    if (field_count >= kMaxFields) return false;
    fields[field_count++] = f;
    return true;
  }
  std::span<const ReceiveFilterField> field_span() const { return {fields.data(), field_count}; }
  bool encapsulation_gre() const { return (flags & kReceiveFilterPacketEncapsulationGre) != 0; }
  friend bool operator==(const ReceiveFilter&, const ReceiveFilter&) = default;
};

enum class VmqError : std::uint8_t {
  kNone,
  kZeroFilterId,      // filter id 0 is invalid (§11)
  kDuplicateFilterId, // ids are unique per adapter (§11)
  kUnknownFilterId,   // Clear of an id that is not set
  kTableFull,         // kMaxFilters filters already set
  kNoFields,          // a filter with no field test
  kUnsupportedField,  // not destination address / VLAN id
  kUnsupportedTest,   // test 0 or > NotEqual
  kBadVlanId,         // VLAN id value/result above 0xFFF, or an Equal test for VID 0 (§11)
  kUnsupportedFlags,  // filter flags other than ..._ENCAPSULATION_GRE, unknown field flags
  kQueueOutOfRange,   // queue id >= the adapter's queue count
};
std::string_view ToString(VmqError e);

struct VmqMatch {
  std::uint16_t queue = kDefaultReceiveQueueId;
  std::uint32_t filter_id = 0;  // the filter that matched, 0 for the default queue
  bool inner_header = false;    // that filter was tested against the inner Ethernet header
  // The NBL FilteringInfo the miniport indicates: FilterId 0 (NDIS 6.20+), QueueId.
  FilteringInfo filtering_info() const { return FilteringInfo::Make({0, queue}); }
};

class VmqTable {
 public:
  static constexpr std::size_t kMaxFilters = 64;

  // OID_RECEIVE_FILTER_SET_FILTER. Validates first; on an error nothing changes.
  VmqError Set(const ReceiveFilter& f, std::uint16_t num_queues);
  // OID_RECEIVE_FILTER_CLEAR_FILTER.
  VmqError Clear(std::uint32_t filter_id);

  std::span<const ReceiveFilter> filters() const { return {filters_.data(), count_}; }
  std::size_t size() const { return count_; }

  // `layout` must come from ClassifyFrame(frame). Reads only within `frame`.
  VmqMatch Classify(std::span<const std::uint8_t> frame, const wire::FrameLayout& layout,
                    bool inner) const {
    VmqMatch m;
    ClassifyInto(frame, layout, inner, m);
    return m;
  }
  // The same, written into `out` (the Rx engine's result) instead of returned: a 12-byte struct
  // returned in registers is assembled through the stack, a store-forwarding stall per frame.
  void ClassifyInto(std::span<const std::uint8_t> frame, const wire::FrameLayout& layout,
                    bool inner, VmqMatch& out) const;

  // True when every filter is one destination MAC Equal test (the usual VMQ filter): then
  // ClassifyMacs gives the same result as ClassifyInto from the two destination MACs alone.
  bool only_mac_filters() const { return general_ == 0; }
  // `outer_dst` / `inner_dst`: the destination MACs as 48-bit integers (MacKey), the inner one
  // only when `use_inner` (a GRE-flagged filter tests the inner header, §5.2). Precondition:
  // only_mac_filters().
  void ClassifyMacs(std::uint64_t outer_dst, std::uint64_t inner_dst, bool use_inner, VmqMatch& m) const {
    m = VmqMatch{};
    if (count_ == 0) return;
    const std::uint8_t a = outer_keys_ != 0 ? Lookup(outer_dst) : kNoFilter;
    const std::uint8_t b = outer_keys_ != count_ ? Lookup((use_inner ? inner_dst : outer_dst) | kInnerKey) : kNoFilter;
    const std::uint8_t first = a < b ? a : b;  // set order decides
    if (first == kNoFilter) return;
    const ReceiveFilter& f = filters_[first];
    m.queue = f.queue_id;
    m.filter_id = f.filter_id;
    m.inner_header = f.encapsulation_gre() && use_inner;
  }
  static std::uint64_t MacKey(std::span<const std::uint8_t, 6> mac) {
    return (std::uint64_t{wire::LoadBe16(mac.first<2>())} << 32) | wire::LoadBe32(mac.last<4>());
  }

  friend bool operator==(const VmqTable&, const VmqTable&) = default;

 private:
  // key_[i]: when filter i is exactly one destination MAC Equal test without field flags (the
  // usual VMQ filter), the MAC as a 48-bit integer, | kInnerKey when the filter has the GRE
  // flag; matched with one compare against the frame's key. kNotSimple otherwise (tested field
  // by field). Kept next to each other so a scan touches two cache lines, not sixteen filters.
  static constexpr std::uint64_t kNotSimple = ~std::uint64_t{0};
  static constexpr std::uint64_t kInnerKey = std::uint64_t{1} << 48;
  // When every filter is simple, an open-addressing table from key to the index of the FIRST
  // filter with that key (set order decides between filters), so a frame costs two lookups
  // (its outer and its inner key) instead of a scan. Empty slots hold kNotSimple.
  static constexpr std::size_t kSlots = 2 * kMaxFilters;
  static constexpr std::uint8_t kNoFilter = 0xFF;
  void Reindex();
  static constexpr std::size_t SlotOf(std::uint64_t key) {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & (kSlots - 1);  // Fibonacci hashing
  }
  std::uint8_t Lookup(std::uint64_t key) const {
    for (std::size_t s = SlotOf(key);; s = (s + 1) & (kSlots - 1)) {
      // At most kMaxFilters of the kSlots slots are used, so the probe ends at an empty one.
      if (slot_key_[s] == key) return slot_filter_[s];
      if (slot_key_[s] == kNotSimple) return kNoFilter;
    }
  }

  std::array<ReceiveFilter, kMaxFilters> filters_{};
  std::array<std::uint64_t, kMaxFilters> key_{};
  std::array<std::uint64_t, kSlots> slot_key_{};
  std::array<std::uint8_t, kSlots> slot_filter_{};
  std::size_t general_ = 0;     // filters with kNotSimple keys
  std::size_t outer_keys_ = 0;  // simple filters without the GRE flag
  std::size_t count_ = 0;
};

// Validation alone (what Set checks besides id uniqueness and room).
VmqError ValidateFilter(const ReceiveFilter& f, std::uint16_t num_queues);

}  // namespace nvgre::offload
