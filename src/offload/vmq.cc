// VMQ receive filters (see vmq.h; spec §5.2, §11).
#include "nvgre/offload/vmq.h"


namespace nvgre::offload {
namespace {

using wire::L2Layout;

constexpr std::uint16_t kMaxVlanId = 0x0FFF;

// A value no 48-bit MAC integer takes: the header is absent.
constexpr std::uint64_t kNoHeaderMac = std::uint64_t{1} << 63;

std::uint64_t Mac48(std::span<const std::uint8_t, 6> b) { return VmqTable::MacKey(b); }

struct HeaderFields {
  bool present = false;
  const std::uint8_t* dst = nullptr;  // 6 bytes within the frame
  std::uint64_t dst48 = kNoHeaderMac;
  bool tagged = false;
  std::uint16_t vid = 0;
};

HeaderFields FieldsOf(std::span<const std::uint8_t> frame, const L2Layout& l2) {
  HeaderFields h;
  if (!l2.present()) return h;
  h.present = true;
  const auto dst = frame.subspan(l2.offset).first<6>();
  h.dst = dst.data();
  h.dst48 = Mac48(dst);
  if (l2.vlan_count > 0) {
    // The first tag follows the two addresses: TPID (2) then TCI (2) (802.1Q §9.6).
    h.tagged = true;
    const auto tci = frame.subspan(std::size_t{l2.offset} + 14, 2);
    h.vid = static_cast<std::uint16_t>(wire::LoadBe16(tci.first<2>()) & kMaxVlanId);
  }
  return h;
}

bool MacTest(const ReceiveFilterField& f, const HeaderFields& h) {
  if ((f.flags & kReceiveFilterFieldMacHeaderVlanUntaggedOrZero) != 0 && h.tagged && h.vid != 0) {
    return false;  // §11: the MAC may only match untagged or VLAN-0 frames
  }
  switch (f.test) {
    case FilterTest::kEqual:
    case FilterTest::kNotEqual: {
      bool equal = true;
      for (std::size_t i = 0; i < 6; ++i) equal &= h.dst[i] == f.mac[i];
      return f.test == FilterTest::kEqual ? equal : !equal;
    }
    case FilterTest::kMaskEqual: {
      // §11: (field & FieldValue) == ResultValue.
      bool equal = true;
      for (std::size_t i = 0; i < 6; ++i) equal &= (h.dst[i] & f.mac[i]) == f.mac_result[i];
      return equal;
    }
    case FilterTest::kUndefined:
      break;
  }
  return false;
}

bool VlanTest(const ReceiveFilterField& f, const HeaderFields& h) {
  // §11: "with a MAC test + VLAN test, both must match (untagged / VLAN 0 frames do not
  // match)". VID 0 is a priority tag, not a VLAN (IEEE 802.1Q): no VLAN test matches it, not
  // even NotEqual or a MaskEqual whose result is 0; only the MAC field's UNTAGGED_OR_ZERO flag
  // selects those frames.
  if (!h.tagged || h.vid == 0) return false;
  switch (f.test) {
    case FilterTest::kEqual: return h.vid == f.vlan_id;
    case FilterTest::kNotEqual: return h.vid != f.vlan_id;
    case FilterTest::kMaskEqual: return (h.vid & f.vlan_id) == f.vlan_result;
    case FilterTest::kUndefined: break;
  }
  return false;
}

bool Matches(const ReceiveFilter& filter, const HeaderFields& h) {
  if (!h.present) return false;
  for (const ReceiveFilterField& f : filter.field_span()) {  // §11: fields ANDed
    const bool ok = f.field == MacHeaderField::kVlanId ? VlanTest(f, h) : MacTest(f, h);
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string_view ToString(VmqError e) {
  switch (e) {
    case VmqError::kNone: return "ok";
    case VmqError::kZeroFilterId: return "filter id 0 is invalid";
    case VmqError::kDuplicateFilterId: return "filter id already in use";
    case VmqError::kUnknownFilterId: return "no filter with that id";
    case VmqError::kTableFull: return "filter table full";
    case VmqError::kNoFields: return "filter without field tests";
    case VmqError::kUnsupportedField: return "field not supported (destination MAC and VLAN id only)";
    case VmqError::kUnsupportedTest: return "test not supported";
    case VmqError::kBadVlanId: return "VLAN id above 4095, or Equal 0 (use VLAN_UNTAGGED_OR_ZERO)";
    case VmqError::kUnsupportedFlags: return "flags not supported";
    case VmqError::kQueueOutOfRange: return "queue id out of range";
  }
  return "?";
}

VmqError ValidateFilter(const ReceiveFilter& f, std::uint16_t num_queues) {
  if (f.filter_id == 0) return VmqError::kZeroFilterId;
  if (f.queue_id >= num_queues) return VmqError::kQueueOutOfRange;
  if ((f.flags & ~kReceiveFilterPacketEncapsulationGre) != 0) return VmqError::kUnsupportedFlags;
  if (f.field_count == 0) return VmqError::kNoFields;
  if (f.field_count > ReceiveFilter::kMaxFields) return VmqError::kUnsupportedField;
  for (const ReceiveFilterField& field : f.field_span()) {
    if (field.field != MacHeaderField::kDestinationAddress && field.field != MacHeaderField::kVlanId) {
      return VmqError::kUnsupportedField;  // §11: VMQ uses destination MAC and VLAN id only
    }
    if (field.test != FilterTest::kEqual && field.test != FilterTest::kMaskEqual &&
        field.test != FilterTest::kNotEqual) {
      return VmqError::kUnsupportedTest;
    }
    if (field.field == MacHeaderField::kVlanId) {
      if (field.vlan_id > kMaxVlanId || field.vlan_result > kMaxVlanId) return VmqError::kBadVlanId;
      // §11: VID 0 frames never match a VLAN test, so Equal 0 could match nothing (ask for them
      // with the MAC field's VLAN_UNTAGGED_OR_ZERO flag instead).
      if (field.test == FilterTest::kEqual && field.vlan_id == 0) return VmqError::kBadVlanId;
      if (field.flags != 0) return VmqError::kUnsupportedFlags;
    } else if ((field.flags & ~kReceiveFilterFieldMacHeaderVlanUntaggedOrZero) != 0) {
      return VmqError::kUnsupportedFlags;
    }
  }
  return VmqError::kNone;
}

VmqError VmqTable::Set(const ReceiveFilter& f, std::uint16_t num_queues) {
  if (const VmqError e = ValidateFilter(f, num_queues); e != VmqError::kNone) return e;
  for (const ReceiveFilter& existing : filters()) {
    if (existing.filter_id == f.filter_id) return VmqError::kDuplicateFilterId;
  }
  if (count_ == kMaxFilters) return VmqError::kTableFull;
  filters_[count_++] = f;
  Reindex();
  return VmqError::kNone;
}

void VmqTable::Reindex() {
  static_assert((kSlots & (kSlots - 1)) == 0 && kMaxFilters < kNoFilter);
  key_.fill(kNotSimple);
  slot_key_.fill(kNotSimple);
  slot_filter_.fill(kNoFilter);
  general_ = 0;
  outer_keys_ = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    const ReceiveFilter& f = filters_[i];
    if (f.field_count == 1 && f.fields[0].field == MacHeaderField::kDestinationAddress &&
        f.fields[0].test == FilterTest::kEqual && f.fields[0].flags == 0) {
      key_[i] = Mac48(f.fields[0].mac) | (f.encapsulation_gre() ? kInnerKey : 0);
      outer_keys_ += f.encapsulation_gre() ? 0u : 1u;
      std::size_t s = SlotOf(key_[i]);
      while (slot_key_[s] != kNotSimple && slot_key_[s] != key_[i]) s = (s + 1) & (kSlots - 1);
      if (slot_key_[s] == kNotSimple) {  // the first filter with this key wins
        slot_key_[s] = key_[i];
        slot_filter_[s] = static_cast<std::uint8_t>(i);
      }
    } else {
      ++general_;
    }
  }
}


VmqError VmqTable::Clear(std::uint32_t filter_id) {
  for (std::size_t i = 0; i < count_; ++i) {
    if (filters_[i].filter_id != filter_id) continue;
    for (std::size_t j = i + 1; j < count_; ++j) filters_[j - 1] = filters_[j];  // keep set order
    filters_[--count_] = ReceiveFilter{};
    Reindex();
    return VmqError::kNone;
  }
  return VmqError::kUnknownFilterId;
}

void VmqTable::ClassifyInto(std::span<const std::uint8_t> frame, const wire::FrameLayout& layout,
                            bool inner, VmqMatch& m) const {
  m = VmqMatch{};
  if (count_ == 0) return;
  // §5.2: the Ethernet header inside the encapsulated packet, or the outermost one when the
  // encapsulated packet has none.
  const bool use_inner = inner && layout.encapsulated() && layout.inner_l2.present();
  auto key_of = [&](const L2Layout& l2) {
    return l2.present() ? Mac48(frame.subspan(l2.offset).first<6>()) : kNoHeaderMac;
  };
  // kNoHeaderMac has bit 63 set, so an absent header never equals a key.
  const std::uint64_t outer_key = key_of(layout.outer_l2);
  const std::uint64_t inner_key = (use_inner ? key_of(layout.inner_l2) : outer_key) | kInnerKey;
  auto matched = [&](std::size_t i) {
    const ReceiveFilter& f = filters_[i];
    m.queue = f.queue_id;
    m.filter_id = f.filter_id;
    m.inner_header = f.encapsulation_gre() && use_inner;
  };
  if (general_ == 0) {
    // Only one-compare filters: the first filter (in set order) whose key is the frame's outer
    // key (unflagged filters) or its inner key (GRE-flagged filters).
    const std::uint8_t a = Lookup(outer_key);
    const std::uint8_t b = Lookup(inner_key);
    const std::uint8_t first = a < b ? a : b;
    if (first != kNoFilter) matched(first);
    return;
  }
  const HeaderFields outer = FieldsOf(frame, layout.outer_l2);
  const HeaderFields inner_fields = use_inner ? FieldsOf(frame, layout.inner_l2) : outer;
  for (std::size_t i = 0; i < count_; ++i) {
    const std::uint64_t key = key_[i];
    bool match;
    if (key != kNotSimple) {
      match = key == ((key & kInnerKey) != 0 ? inner_key : outer_key);
    } else {
      const ReceiveFilter& f = filters_[i];
      match = Matches(f, f.encapsulation_gre() ? inner_fields : outer);
    }
    if (match) {
      matched(i);
      return;
    }
  }
}

}  // namespace nvgre::offload
