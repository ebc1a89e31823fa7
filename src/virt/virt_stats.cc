// VirtStats: see virt_stats.h.
#include "nvgre/virt/virt_stats.h"

#include <numeric>

namespace nvgre::virt {
namespace {

// Prefixed names built at compile time: "encap." / "decap." + ToString(), no allocation.
template <std::size_t N>
struct Name {
  std::array<char, N> text{};
  std::size_t size = 0;
  constexpr std::string_view view() const { return {text.data(), size}; }
};
constexpr std::size_t kMaxName = 48;

constexpr Name<kMaxName> Prefixed(std::string_view prefix, std::string_view name) {
  Name<kMaxName> n;
  for (char c : prefix) n.text[n.size++] = c;
  for (char c : name) n.text[n.size++] = c;
  return n;
}

constexpr auto kEncapNames = [] {
  std::array<Name<kMaxName>, kEncapErrorCount> a{};
  for (std::size_t i = 0; i < kEncapErrorCount; ++i) {
    a[i] = Prefixed("encap.", ToString(static_cast<EncapError>(i)));
  }
  return a;
}();
constexpr auto kDecapNames = [] {
  std::array<Name<kMaxName>, kDecapDropCount> a{};
  for (std::size_t i = 0; i < kDecapDropCount; ++i) {
    a[i] = Prefixed("decap.", ToString(static_cast<DecapDrop>(i)));
  }
  return a;
}();

}  // namespace

std::string_view VirtStats::EncapName(EncapError e) {
  const auto i = static_cast<std::size_t>(e);
  return i < kEncapErrorCount ? kEncapNames[i].view() : std::string_view("encap.?");
}
std::string_view VirtStats::DecapName(DecapDrop d) {
  const auto i = static_cast<std::size_t>(d);
  return i < kDecapDropCount ? kDecapNames[i].view() : std::string_view("decap.?");
}

void VirtStats::Count(const Expected<EncapResult, EncapError>& r) {
  if (!r) {
    ++(*this)[r.error()];
    return;
  }
  ++encapsulated;
  if (r->inner_vlan_tags_stripped != 0) ++inner_vlan_stripped;
}

void VirtStats::Count(const Expected<DecapResult, DecapDrop>& r) {
  if (!r) {
    ++(*this)[r.error()];
    return;
  }
  ++decapsulated;
  if (r->ecn_rewrite == EcnRewrite::kSetCe) ++ecn_set_ce;
  if (r->ecn_rewrite == EcnRewrite::kSetEct1) ++ecn_set_ect1;
  if (r->ecn_alarm) ++ecn_alarm;
}

std::uint64_t VirtStats::encap_error_total() const {
  return std::accumulate(encap_errors.begin(), encap_errors.end(), std::uint64_t{0});
}
std::uint64_t VirtStats::decap_drop_total() const {
  return std::accumulate(decap_drops.begin(), decap_drops.end(), std::uint64_t{0});
}

void VirtStats::Merge(const VirtStats& o) {
  for (std::size_t i = 0; i < kEncapErrorCount; ++i) encap_errors[i] += o.encap_errors[i];
  for (std::size_t i = 0; i < kDecapDropCount; ++i) decap_drops[i] += o.decap_drops[i];
  encapsulated += o.encapsulated;
  inner_vlan_stripped += o.inner_vlan_stripped;
  decapsulated += o.decapsulated;
  ecn_set_ce += o.ecn_set_ce;
  ecn_set_ect1 += o.ecn_set_ect1;
  ecn_alarm += o.ecn_alarm;
}

}  // namespace nvgre::virt
