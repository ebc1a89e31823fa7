// The `nvgre verify` rule table and the --rules list parser (see verify.h and
// docs/verify-rules.md, which lists the same rows).
#include <algorithm>
#include <array>

#include "nvgre/offload/verify.h"

namespace nvgre::offload {
namespace {

using R = VerifyRule;

// One row per VerifyRule, in enum order (checked by the static_assert below and a test).
constexpr std::array<VerifyRuleInfo, kVerifyRuleCount> kRules{{
    {R::kNvgreKeyBit, "nvgre.key-bit",
     "RFC 7637 §3.2: K MUST be 1 (the Key carries VSID and FlowID)", "GRE K bit is 1"},
    {R::kNvgreCBit, "nvgre.c-bit", "RFC 7637 §3.2: C MUST be 0 (NVGRE carries no GRE checksum)",
     "GRE C bit is 0"},
    {R::kNvgreSBit, "nvgre.s-bit", "RFC 7637 §3.2: S MUST be 0 (no sequence number)",
     "GRE S bit is 0"},
    {R::kNvgreVersion, "nvgre.version", "RFC 2784 §2.3.1, RFC 7637 §3.2: Ver MUST be 0",
     "GRE version field is 0"},
    {R::kNvgreReserved0, "nvgre.reserved0",
     "RFC 2784 §2.3: Reserved0 MUST be sent as 0 (NVGRE's first 16 bits are 0x2000)",
     "GRE bits 1 and 4-12 are 0"},
    {R::kNvgreProtocol, "nvgre.protocol",
     "RFC 7637 §3.2: Protocol Type 0x6558 (Transparent Ethernet Bridging)",
     "GRE protocol type is 0x6558"},
    {R::kNvgreReservedVsid, "nvgre.reserved-vsid",
     "RFC 7637 §3.4: VSIDs 0x000000-0x000FFF and 0xFFFFFF are reserved",
     "VSID (upper 24 bits of the Key) is 0x001000-0xFFFFFE"},
    {R::kNvgreFlowIdConstant, "nvgre.flowid-constant",
     "RFC 7637 §3.2: FlowID is per flow and MUST NOT be modified (RFC 2890 §2.1: one Key per flow)",
     "same FlowID on every frame of one VSID + inner 5-tuple"},
    {R::kNvgreInnerVlan, "nvgre.inner-vlan",
     "RFC 7637 §3.3: the inner Ethernet header MUST NOT carry an 802.1Q tag",
     "inner Ethernet header has no VLAN tag"},
    {R::kNvgreInnerFcs, "nvgre.inner-fcs",
     "RFC 7637 §3.2: the inner Ethernet frame is carried without its FCS",
     "no CRC-32 of the inner frame in the bytes after the inner IP packet"},
    {R::kCsumOuterIpv4, "csum.outer-ipv4",
     "NDIS NVGRE checksum offload (spec §3.1), RFC 791 §3.1: outer IPv4 header checksum",
     "outer IPv4 header checksum verifies"},
    {R::kCsumInnerIpv4, "csum.inner-ipv4",
     "NDIS NVGRE checksum offload (spec §3.1), RFC 791 §3.1: inner IPv4 header checksum",
     "inner IPv4 header checksum verifies"},
    {R::kCsumInnerL4, "csum.inner-l4",
     "NDIS NVGRE checksum offload (spec §3.1), RFC 9293 §3.1 / RFC 768: inner TCP/UDP checksum",
     "inner TCP/UDP/ICMP checksum verifies"},
    {R::kCsumGre, "csum.gre", "RFC 2784 §2.5: checksum over the GRE header and payload (C = 1)",
     "GRE checksum verifies when present"},
    {R::kLenOuterIp, "len.outer-ip",
     "RFC 791 §3.1 / RFC 8200 §3, spec §4: outer IPv4 Total Length / IPv6 Payload Length",
     "outer length field matches the frame (padding only below 60 bytes)"},
    {R::kLenInnerIp, "len.inner-ip",
     "RFC 791 §3.1 / RFC 8200 §3, spec §4 (recomputed per segment): inner IP length",
     "inner length field matches the inner frame (padding only below 60 bytes)"},
    {R::kLenUdp, "len.udp", "RFC 768, spec §4 (USO: per datagram): UDP Length",
     "inner UDP Length = inner IP payload length"},
    {R::kFragOuter, "frag.outer",
     "RFC 7637 §4.4 (spec §14 item 5): the encapsulated packet is not fragmented",
     "outer IPv4 MF = 0 and offset 0; no IPv6 fragment"},
    {R::kMtu, "mtu",
     "spec §4: LSO segments fit the link MTU (the stack reduces MSS by the overhead)",
     "outer IP packet length <= --mtu"},
    {R::kLsoMss, "lso.mss",
     "NDIS LSOv2 (spec §4 item 1): full-MSS segments, at most one shorter one, the last",
     "every segment but the last carries MSS bytes; none more"},
    {R::kLsoIpId, "lso.ip-id",
     "spec §4 items 4-5 and its [INFER] 15-bit wrap: IPv4 ID = template + k, 0x7FFF -> 0",
     "outer and inner IPv4 Identification per segment"},
    {R::kLsoFlagsFinPsh, "lso.flags-fin-psh",
     "NDIS LSOv2 (spec §4): FIN and PSH only on the last segment",
     "FIN and PSH clear on all but the last segment"},
    {R::kLsoFlagsCwr, "lso.flags-cwr",
     "NDIS LSOv2 (spec §4): CWR only on the first segment (on the last alone tolerated)",
     "CWR on the first segment only"},
    {R::kLsoFlagsOther, "lso.flags-other",
     "NDIS LSOv2 (spec §4): other flags copied; the template has no SYN, RST or URG",
     "flags other than FIN/PSH/CWR as on the first segment"},
    {R::kLsoOptions, "lso.options",
     "NDIS LSOv2 (spec §4): IP options, IPv6 extension headers, TCP options copied unchanged",
     "option bytes as on the first segment"},
    {R::kLsoTtlDscp, "lso.ttl-dscp",
     "spec §4 [INFER: template headers copied]: TTL / hop limit and DSCP identical",
     "outer and inner TTL / hop limit and DSCP as on the first segment"},
    {R::kLsoIpFields, "lso.ip-fields",
     "spec §4 [INFER: template headers copied]: DF, ECN, IPv6 flow label identical",
     "outer and inner DF, ECN and flow label as on the first segment"},
    {R::kLsoTcpFields, "lso.tcp-fields",
     "NDIS LSOv2 (spec §4): ack and window copied from the template; urgent pointer 0",
     "acknowledgment, window and urgent pointer as on the first segment"},
    {R::kLsoOrder, "lso.order", "NDIS LSOv2 (spec §4): the segments of one send go out in order",
     "no segment that ends where the previous one of its flow began"},
    {R::kFrameParse, "frame.parse",
     "RFC 7637 §3.2 frame format: headers parse to the inner transport header",
     "the classifier walks the frame without error (snap-length cuts excepted)"},
}};

constexpr bool RowsInEnumOrder() {
  for (std::size_t i = 0; i < kRules.size(); ++i) {
    if (static_cast<std::size_t>(kRules[i].rule) != i) return false;
  }
  return true;
}
static_assert(RowsInEnumOrder(), "kRules must list the rules in VerifyRule order");

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The rules an item names (id, group, "group.*" or "all"); none when it names nothing.
VerifyRuleSet Matching(std::string_view item) {
  VerifyRuleSet set;
  if (item == "all" || item == "*") return AllRulesSet();
  std::string_view group = item;
  if (group.size() > 2 && group.substr(group.size() - 2) == ".*") group.remove_suffix(2);
  for (const VerifyRuleInfo& r : kRules) {
    const std::string_view id = r.id;
    const bool in_group =
        id.size() > group.size() && id.substr(0, group.size()) == group && id[group.size()] == '.';
    if (id == item || in_group) set.set(static_cast<std::size_t>(r.rule));
  }
  return set;
}

}  // namespace

std::span<const VerifyRuleInfo, kVerifyRuleCount> AllVerifyRules() { return kRules; }

const VerifyRuleInfo& RuleInfo(VerifyRule rule) { return kRules[static_cast<std::size_t>(rule)]; }

std::optional<VerifyRule> VerifyRuleFromId(std::string_view id) {
  for (const VerifyRuleInfo& r : kRules) {
    if (r.id == id) return r.rule;
  }
  return std::nullopt;
}

std::optional<VerifyRuleSet> ParseVerifyRuleList(std::string_view list,
                                                 std::string_view* bad_item) {
  VerifyRuleSet set;
  bool first = true;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.empty()) continue;
    const bool remove = item.front() == '-';
    if (remove) item = Trim(item.substr(1));
    if (first && remove) set = AllRulesSet();
    first = false;
    const VerifyRuleSet named = Matching(item);
    if (named.none()) {
      if (bad_item != nullptr) *bad_item = item;
      return std::nullopt;
    }
    if (remove) {
      set &= ~named;
    } else {
      set |= named;
    }
  }
  return set;
}

}  // namespace nvgre::offload
