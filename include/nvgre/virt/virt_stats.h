// Counters for the virt layer: one per encapsulation refusal and per decapsulation drop reason
// (VPP error.def / OVS coverage counters style), plus what succeeded and the ECN events.
//
//   VirtStats stats;                                   // one per queue; Merge() to total them
//   stats.Count(Encapsulate(inner, config, out, next_ipv4_id));
//   auto r = Decapsulate(frame);
//   stats.Count(r);
//   stats.ForEachNonZero([](std::string_view name, std::uint64_t n) { Print(name, n); });
//
// Names are the ToString() of EncapError / DecapDrop prefixed with "encap." / "decap.", and
// "encap.ok", "decap.ok", "encap.inner-vlan-stripped", "decap.ecn-set-ce",
// "decap.ecn-set-ect1", "decap.ecn-alarm" for the rest. No allocation, no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nvgre/virt/decap.h"
#include "nvgre/virt/encap.h"

namespace nvgre::virt {

struct VirtStats {
  std::array<std::uint64_t, kEncapErrorCount> encap_errors{};  // indexed by EncapError
  std::array<std::uint64_t, kDecapDropCount> decap_drops{};    // indexed by DecapDrop
  std::uint64_t encapsulated = 0;
  std::uint64_t inner_vlan_stripped = 0;  // encapsulated frames that had tags removed
  std::uint64_t decapsulated = 0;
  std::uint64_t ecn_set_ce = 0;    // RFC 6040 §4.2: inner ECT -> CE under a CE outer
  std::uint64_t ecn_set_ect1 = 0;  // RFC 6040 §4.2: inner ECT(0) -> ECT(1) under ECT(1)
  std::uint64_t ecn_alarm = 0;     // RFC 6040 §4.2 (!!!) combinations (SHOULD be logged)

  void Count(const Expected<EncapResult, EncapError>& r);
  void Count(const Expected<DecapResult, DecapDrop>& r);
  std::uint64_t encap_error_total() const;
  std::uint64_t decap_drop_total() const;
  std::uint64_t& operator[](EncapError e) { return encap_errors[static_cast<std::size_t>(e)]; }
  std::uint64_t& operator[](DecapDrop d) { return decap_drops[static_cast<std::size_t>(d)]; }
  std::uint64_t operator[](EncapError e) const { return encap_errors[static_cast<std::size_t>(e)]; }
  std::uint64_t operator[](DecapDrop d) const { return decap_drops[static_cast<std::size_t>(d)]; }
  // Adds another queue's counters to these.
  void Merge(const VirtStats& other);

  // Calls f(name, value) for every counter, or only the non-zero ones, in a fixed order.
  template <class F>
  void ForEach(F&& f) const {
    f(std::string_view("encap.ok"), encapsulated);
    f(std::string_view("encap.inner-vlan-stripped"), inner_vlan_stripped);
    for (std::size_t i = 0; i < kEncapErrorCount; ++i) {
      f(EncapName(static_cast<EncapError>(i)), encap_errors[i]);
    }
    f(std::string_view("decap.ok"), decapsulated);
    f(std::string_view("decap.ecn-set-ce"), ecn_set_ce);
    f(std::string_view("decap.ecn-set-ect1"), ecn_set_ect1);
    f(std::string_view("decap.ecn-alarm"), ecn_alarm);
    for (std::size_t i = 0; i < kDecapDropCount; ++i) {
      f(DecapName(static_cast<DecapDrop>(i)), decap_drops[i]);
    }
  }
  template <class F>
  void ForEachNonZero(F&& f) const {
    ForEach([&f](std::string_view name, std::uint64_t v) {
      if (v != 0) f(name, v);
    });
  }

  // "encap." + ToString(e) / "decap." + ToString(d), from static storage.
  static std::string_view EncapName(EncapError e);
  static std::string_view DecapName(DecapDrop d);
};

}  // namespace nvgre::virt
