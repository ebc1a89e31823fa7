// Fuzz target: the receive filters' control and data paths with values nobody validated first:
// VMQ filter tables (offload/vmq.h; spec §5.2, §11) built by random OID_RECEIVE_FILTER_SET_FILTER
// / _CLEAR_FILTER sequences, and RSS parameters (offload/rss.h; spec §10.1) as
// OID_GEN_RECEIVE_SCALE_PARAMETERS could carry them.
// NVGRE_FUZZ_LIBS: offload
//
// Input: one byte N, N control bytes, then a frame (the rest). The controls give a queue count
// and up to 24 operations: Set (filter id, queue, flags, up to 4 fields whose test, values and
// flags are random or copied from the frame's outer / inner destination MAC and VLAN id so that
// filters do match), Clear (id), Check (classify the frame now), Rss (random parameters).
// Invariants:
//   - Set succeeds exactly when the filter violates none of the §11 rules a plain reference
//     checks (id 0, queue range, filter and field flags, no fields, field kind, test, VLAN
//     range), the id is new and the table has room; a refusal names one of the rules the filter
//     does violate and changes nothing. Clear succeeds exactly for an id that is set and keeps
//     the others in set order. The table always equals the reference list;
//   - Classify (both the one-compare index and the field-by-field scan) gives what a linear scan
//     of the reference list gives: the first filter, in set order, whose fields all match the
//     inner Ethernet header (GRE-flagged filter, `inner`, inner Ethernet present) or the outer
//     one; fields ANDed; Equal / NotEqual / MaskEqual ((field & value) == result) on the
//     destination MAC; VLAN tests fail on an untagged header; UNTAGGED_OR_ZERO restricts a MAC
//     test to untagged or VID-0 headers; no match -> queue 0, filter 0. ClassifyMacs agrees
//     whenever only_mac_filters(); FilteringInfo carries the queue with FilterId 0;
//   - ValidateRss accepts exactly what the §10.1 reference accepts (disabled: anything;
//     Toeplitz only; a hash type; only defined, implemented types; 40-byte key; 2^n <= 128
//     entries; entries below the queue count) and a refusal names a rule that is broken;
//   - for accepted parameters, RssState::Compute hashes SelectRssInput's bytes with the
//     reference Toeplitz and the parameters' key, reports that tuple's type, slot = hash &
//     (entries - 1) and queue = table[slot]; nothing when RSS is disabled or no tuple applies.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/offload/rss.h"
#include "nvgre/offload/toeplitz.h"
#include "nvgre/offload/vmq.h"
#include "nvgre/wire/bytes.h"
#include "nvgre/wire/classifier.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::offload;  // NOLINT
namespace wire = nvgre::wire;

using Mac = wire::MacAddress;

// ---- VMQ reference --------------------------------------------------------------------------

// Every §11 rule a filter breaks, as the VmqError naming it.
std::vector<VmqError> Violations(const ReceiveFilter& f, std::uint16_t num_queues) {
  std::vector<VmqError> v;
  if (f.filter_id == 0) v.push_back(VmqError::kZeroFilterId);
  if (f.queue_id >= num_queues) v.push_back(VmqError::kQueueOutOfRange);
  if ((f.flags & ~kReceiveFilterPacketEncapsulationGre) != 0) v.push_back(VmqError::kUnsupportedFlags);
  if (f.field_count == 0) v.push_back(VmqError::kNoFields);
  for (const ReceiveFilterField& x : f.field_span()) {
    const bool mac = x.field == MacHeaderField::kDestinationAddress;
    const bool vlan = x.field == MacHeaderField::kVlanId;
    if (!mac && !vlan) v.push_back(VmqError::kUnsupportedField);
    if (x.test != FilterTest::kEqual && x.test != FilterTest::kNotEqual && x.test != FilterTest::kMaskEqual) {
      v.push_back(VmqError::kUnsupportedTest);
    }
    if (vlan && (x.vlan_id > 0xFFF || x.vlan_result > 0xFFF)) v.push_back(VmqError::kBadVlanId);
    // Spec §11: VID 0 never matches a VLAN test, so an Equal-0 test is refused.
    if (vlan && x.test == FilterTest::kEqual && x.vlan_id == 0) v.push_back(VmqError::kBadVlanId);
    if (vlan && x.flags != 0) v.push_back(VmqError::kUnsupportedFlags);
    if (mac && (x.flags & ~kReceiveFilterFieldMacHeaderVlanUntaggedOrZero) != 0) {
      v.push_back(VmqError::kUnsupportedFlags);
    }
  }
  return v;
}

struct RefHeader {
  bool present = false;
  Mac dst{};
  bool tagged = false;
  std::uint16_t vid = 0;
};

RefHeader HeaderAt(std::span<const std::uint8_t> frame, const wire::L2Layout& l2) {
  RefHeader h;
  if (!l2.present()) return h;
  h.present = true;
  std::copy_n(frame.begin() + l2.offset, 6, h.dst.begin());
  if (l2.vlan_count > 0) {  // the first tag's TCI follows the addresses and the TPID
    h.tagged = true;
    h.vid = static_cast<std::uint16_t>(((frame[l2.offset + 14u] << 8) | frame[l2.offset + 15u]) & 0xFFF);
  }
  return h;
}

bool RefFieldMatches(const ReceiveFilterField& x, const RefHeader& h) {
  if (x.field == MacHeaderField::kVlanId) {
    if (!h.tagged || h.vid == 0) return false;  // §11: untagged / VLAN 0 frames do not match
    if (x.test == FilterTest::kEqual) return h.vid == x.vlan_id;
    if (x.test == FilterTest::kNotEqual) return h.vid != x.vlan_id;
    return (h.vid & x.vlan_id) == x.vlan_result;
  }
  if ((x.flags & kReceiveFilterFieldMacHeaderVlanUntaggedOrZero) != 0 && h.tagged && h.vid != 0) return false;
  if (x.test == FilterTest::kEqual) return h.dst == x.mac;
  if (x.test == FilterTest::kNotEqual) return h.dst != x.mac;
  for (std::size_t i = 0; i < 6; ++i) {
    if ((h.dst[i] & x.mac[i]) != x.mac_result[i]) return false;
  }
  return true;
}

VmqMatch RefClassify(const std::vector<ReceiveFilter>& table, std::span<const std::uint8_t> frame,
                     const wire::FrameLayout& l, bool inner) {
  const bool use_inner = inner && l.encapsulated() && l.inner_l2.present();
  const RefHeader outer = HeaderAt(frame, l.outer_l2);
  const RefHeader in = use_inner ? HeaderAt(frame, l.inner_l2) : outer;
  for (const ReceiveFilter& f : table) {
    const RefHeader& h = f.encapsulation_gre() ? in : outer;
    if (!h.present) continue;
    bool all = true;
    for (const ReceiveFilterField& x : f.field_span()) all = all && RefFieldMatches(x, h);
    if (all) return VmqMatch{f.queue_id, f.filter_id, f.encapsulation_gre() && use_inner};
  }
  return VmqMatch{};
}

void CheckClassify(const VmqTable& vmq, const std::vector<ReceiveFilter>& table,
                   std::span<const std::uint8_t> frame, const wire::FrameLayout& l) {
  for (const bool inner : {false, true}) {
    const VmqMatch got = vmq.Classify(frame, l, inner);
    const VmqMatch want = RefClassify(table, frame, l, inner);
    FUZZ_CHECK(got.queue == want.queue && got.filter_id == want.filter_id &&
               got.inner_header == want.inner_header);
    FUZZ_CHECK(got.filtering_info().filter_id() == 0 && got.filtering_info().queue_id() == want.queue);
    if (vmq.only_mac_filters() && l.outer_l2.present()) {
      const bool use_inner = inner && l.encapsulated() && l.inner_l2.present();
      const std::uint64_t outer_key = VmqTable::MacKey(frame.subspan(l.outer_l2.offset).first<6>());
      const std::uint64_t inner_key =
          use_inner ? VmqTable::MacKey(frame.subspan(l.inner_l2.offset).first<6>()) : outer_key;
      VmqMatch fast;
      vmq.ClassifyMacs(outer_key, inner_key, use_inner, fast);
      FUZZ_CHECK(fast.queue == want.queue && fast.filter_id == want.filter_id &&
                 fast.inner_header == want.inner_header);
    }
  }
}

// A MAC for a filter: often one the frame has, so that filters match.
Mac PickMac(FuzzInput& in, const RefHeader& outer, const RefHeader& inner) {
  Mac m{};
  switch (in.Take<std::uint8_t>() % 5) {
    case 0: m = outer.dst; break;
    case 1: m = inner.dst; break;
    case 2: m = outer.dst; m[in.Take<std::uint8_t>() % 6] ^= static_cast<std::uint8_t>(1u << (in.Take<std::uint8_t>() % 8)); break;
    case 3: for (auto& b : m) b = in.Take<std::uint8_t>(); break;
    default: m = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}; break;
  }
  return m;
}

std::uint16_t PickVid(FuzzInput& in, const RefHeader& outer, const RefHeader& inner) {
  switch (in.Take<std::uint8_t>() % 4) {
    case 0: return outer.vid;
    case 1: return inner.vid;
    case 2: return static_cast<std::uint16_t>(in.Take<std::uint16_t>() & 0xFFF);
    default: return in.Take<std::uint16_t>();  // may be above 0xFFF: refused
  }
}

ReceiveFilter MakeFilter(FuzzInput& in, const RefHeader& outer, const RefHeader& inner) {
  ReceiveFilter f;
  f.filter_id = in.Take<std::uint8_t>() % 12;                  // small: duplicates happen
  f.queue_id = static_cast<std::uint16_t>(in.Take<std::uint8_t>() % 20);
  const std::uint8_t flags = in.Take<std::uint8_t>();
  f.flags = flags < 240 ? (flags & 1u) * kReceiveFilterPacketEncapsulationGre : flags;
  const unsigned n = in.Take<std::uint8_t>() % (ReceiveFilter::kMaxFields + 1);
  for (unsigned i = 0; i < n; ++i) {
    ReceiveFilterField x;
    const std::uint8_t kind = in.Take<std::uint8_t>();
    x.field = kind < 240 ? ((kind & 1) ? MacHeaderField::kVlanId : MacHeaderField::kDestinationAddress)
                         : static_cast<MacHeaderField>(kind % 8);
    const std::uint8_t test = in.Take<std::uint8_t>();
    x.test = test < 250 ? static_cast<FilterTest>(1 + test % 3) : static_cast<FilterTest>(test % 5);
    if (x.field == MacHeaderField::kVlanId) {
      x.vlan_id = PickVid(in, outer, inner);
      x.vlan_result = x.test == FilterTest::kMaskEqual ? static_cast<std::uint16_t>(x.vlan_id & PickVid(in, outer, inner))
                                                       : std::uint16_t{0};
    } else {
      x.mac = PickMac(in, outer, inner);
      if (x.test == FilterTest::kMaskEqual) {
        const Mac v = PickMac(in, outer, inner);
        for (std::size_t b = 0; b < 6; ++b) x.mac_result[b] = static_cast<std::uint8_t>(v[b] & x.mac[b]);
      }
    }
    const std::uint8_t ff = in.Take<std::uint8_t>();
    x.flags = ff < 200 ? (ff & 1u) * kReceiveFilterFieldMacHeaderVlanUntaggedOrZero : ff;
    if (!f.AddField(x)) break;
  }
  return f;
}

// ---- RSS reference --------------------------------------------------------------------------

std::vector<RssParamError> RssViolations(const RssParameters& p, std::uint16_t max_queues) {
  std::vector<RssParamError> v;
  if (!p.enabled) return v;  // NDIS_RSS_PARAM_FLAG_DISABLE_RSS: the rest is not read
  if (p.hash_function != kNdisHashFunctionToeplitz) v.push_back(RssParamError::kBadHashFunction);
  if (p.hash_types == 0) v.push_back(RssParamError::kNoHashType);
  constexpr std::uint32_t kDefined = kNdisHashIpv4 | kNdisHashTcpIpv4 | kNdisHashIpv6 | kNdisHashIpv6Ex |
                                     kNdisHashTcpIpv6 | kNdisHashTcpIpv6Ex | kNdisHashUdpIpv4 |
                                     kNdisHashUdpIpv6 | kNdisHashUdpIpv6Ex;
  if ((p.hash_types & ~kDefined) != 0) v.push_back(RssParamError::kUndefinedHashType);
  if ((p.hash_types & (kNdisHashIpv6Ex | kNdisHashTcpIpv6Ex | kNdisHashUdpIpv6Ex)) != 0) {
    v.push_back(RssParamError::kUnsupportedHashType);
  }
  if (p.key_size != 40) v.push_back(RssParamError::kBadKeySize);
  const unsigned e = p.indirection_entries;
  const bool pow2 = e == 1 || e == 2 || e == 4 || e == 8 || e == 16 || e == 32 || e == 64 || e == 128;
  if (!pow2) v.push_back(RssParamError::kBadIndirectionSize);
  for (std::size_t i = 0; i < std::min<std::size_t>(e, p.indirection_table.size()); ++i) {
    if (p.indirection_table[i] >= max_queues) {
      v.push_back(RssParamError::kQueueOutOfRange);
      break;
    }
  }
  return v;
}

void CheckRss(FuzzInput& in, std::span<const std::uint8_t> frame, const wire::FrameLayout& l,
              std::uint16_t num_queues) {
  RssParameters p;
  const std::uint8_t shape = in.Take<std::uint8_t>();
  p.enabled = (shape & 0x7) != 0;
  p.hash_function = (shape & 0x8) != 0 ? in.Take<std::uint32_t>() : kNdisHashFunctionToeplitz;
  const std::uint32_t types = in.Take<std::uint32_t>();
  p.hash_types = (shape & 0x10) != 0 ? types : (types & kRssSupportedHashTypes);
  p.key_size = (shape & 0x20) != 0 ? in.Take<std::uint16_t>() : std::uint16_t{40};
  for (auto& b : p.key) b = in.Take<std::uint8_t>();
  const std::uint8_t n = in.Take<std::uint8_t>();
  p.indirection_entries = (shape & 0x40) != 0 ? n : static_cast<std::uint16_t>(1u << (n % 8));
  for (auto& q : p.indirection_table) {
    const std::uint8_t b = in.Take<std::uint8_t>();
    q = static_cast<std::uint16_t>((shape & 0x80) != 0 ? b : b % num_queues);
  }

  const RssParamError e = ValidateRss(p, num_queues);
  const std::vector<RssParamError> broken = RssViolations(p, num_queues);
  if (broken.empty()) {
    FUZZ_CHECK(e == RssParamError::kNone);
  } else {
    FUZZ_CHECK(std::find(broken.begin(), broken.end(), e) != broken.end());
    return;
  }

  const RssState rss(p);
  for (const bool inner : {false, true}) {
    const RssResult r = rss.Compute(frame, l, inner);
    const RssInput input = SelectRssInput(frame, l, p.hash_types, inner);
    if (!p.enabled || input.tuple == RssTuple::kNone) {
      FUZZ_CHECK(!r.computed() && r.hash == 0 && r.type == 0 && r.queue == 0 && r.hash_info().raw() == 0);
      continue;
    }
    FUZZ_CHECK(r.tuple == input.tuple && r.type == input.type);
    FUZZ_CHECK((r.type & p.hash_types) == r.type && std::has_single_bit(r.type));
    FUZZ_CHECK(r.hash == ToeplitzHashReference(p.key, input.input()));
    FUZZ_CHECK(r.slot == (r.hash & (p.indirection_entries - 1u)));
    FUZZ_CHECK(r.queue == p.indirection_table[r.slot] && r.queue < num_queues);
    FUZZ_CHECK(r.hash_info().raw() == (r.type | kNdisHashFunctionToeplitz));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t n = std::min<std::size_t>(data[0], size - 1);
  const std::vector<std::uint8_t> frame = nvgre::fuzz::ExactCopy(std::span(data + 1 + n, size - 1 - n));
  const wire::FrameLayout l = wire::ClassifyFrame(frame);
  const RefHeader outer = HeaderAt(frame, l.outer_l2);
  const RefHeader inner = l.encapsulated() ? HeaderAt(frame, l.inner_l2) : outer;

  FuzzInput in(data + 1, n);
  const auto num_queues = static_cast<std::uint16_t>(1 + in.Take<std::uint8_t>() % 16);
  VmqTable vmq;
  std::vector<ReceiveFilter> table;  // the reference: set order
  const unsigned ops = in.Take<std::uint8_t>() % 25;
  for (unsigned op = 0; op < ops; ++op) {
    switch (in.Take<std::uint8_t>() % 6) {
      case 0:
      case 1:
      case 2: {
        const ReceiveFilter f = MakeFilter(in, outer, inner);
        const std::vector<VmqError> broken = Violations(f, num_queues);
        const bool duplicate = std::any_of(table.begin(), table.end(),
                                           [&](const ReceiveFilter& t) { return t.filter_id == f.filter_id; });
        const VmqError e = vmq.Set(f, num_queues);
        if (broken.empty() && !duplicate && table.size() < VmqTable::kMaxFilters) {
          FUZZ_CHECK(e == VmqError::kNone);
          table.push_back(f);
        } else if (broken.empty()) {
          FUZZ_CHECK(e == (duplicate ? VmqError::kDuplicateFilterId : VmqError::kTableFull));
        } else {
          FUZZ_CHECK(std::find(broken.begin(), broken.end(), e) != broken.end());
        }
        break;
      }
      case 3: {
        const std::uint32_t id = in.Take<std::uint8_t>() % 12;
        const auto it = std::find_if(table.begin(), table.end(),
                                     [&](const ReceiveFilter& t) { return t.filter_id == id; });
        const VmqError e = vmq.Clear(id);
        FUZZ_CHECK(e == (it != table.end() ? VmqError::kNone : VmqError::kUnknownFilterId));
        if (it != table.end()) table.erase(it);
        break;
      }
      case 4:
        CheckClassify(vmq, table, frame, l);
        break;
      default:
        CheckRss(in, frame, l, num_queues);
        break;
    }
    FUZZ_CHECK(std::equal(vmq.filters().begin(), vmq.filters().end(), table.begin(), table.end()));
  }
  CheckClassify(vmq, table, frame, l);
  return 0;
}
