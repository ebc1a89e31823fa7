// Field-by-field equality of wire::FrameLayout (it has no operator==), for the fuzz targets that
// compare a layout with another classification of the same frame.
//
//   FUZZ_CHECK(nvgre::fuzz::SameLayout(rx.layout, nvgre::wire::ClassifyFrame(frame)));
#pragma once

#include "nvgre/wire/classifier.h"

namespace nvgre::fuzz {

inline bool SameL2(const wire::L2Layout& a, const wire::L2Layout& b) {
  return a.offset == b.offset && a.length == b.length && a.vlan_count == b.vlan_count &&
         a.ether_type == b.ether_type;
}

inline bool SameL3(const wire::L3Layout& a, const wire::L3Layout& b) {
  return a.offset == b.offset && a.version == b.version && a.header_length == b.header_length &&
         a.protocol == b.protocol && a.end == b.end && a.length_zero == b.length_zero &&
         a.is_fragment == b.is_fragment && a.later_fragment == b.later_fragment;
}

// Everything but `truncated`, which the caller compares when it should agree.
inline bool SameLayout(const wire::FrameLayout& a, const wire::FrameLayout& b) {
  return SameL2(a.outer_l2, b.outer_l2) && SameL3(a.outer_l3, b.outer_l3) &&
         a.outer_l4 == b.outer_l4 && a.encapsulation == b.encapsulation &&
         a.gre.offset == b.gre.offset && a.gre.header_length == b.gre.header_length &&
         a.gre.flags_version == b.gre.flags_version && a.gre.protocol_type == b.gre.protocol_type &&
         a.gre.key == b.gre.key && a.nvgre_violation == b.nvgre_violation &&
         SameL2(a.inner_l2, b.inner_l2) && SameL3(a.inner_l3, b.inner_l3) &&
         a.inner_l4 == b.inner_l4 && a.l4_protocol == b.l4_protocol && a.payload == b.payload &&
         a.error == b.error;
}

}  // namespace nvgre::fuzz
