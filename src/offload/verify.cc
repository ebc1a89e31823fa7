// The `nvgre verify` engine: see verify.h for the contract and docs/verify-rules.md for the
// rules. One ClassifyFrame + VerifyChecksums per frame, a few raw field loads, and for inner TCP
// segments with payload a lookup in a bounded per-flow table.
#include "nvgre/offload/verify.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <utility>
#include <vector>

#include "nvgre/wire/bytes.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/ip_protocol.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace nvgre::offload {
namespace {

using Span = std::span<const std::uint8_t>;
using wire::CsumState;
using wire::FrameLayout;
using wire::L3Layout;

// IEEE 802.3 §4.4.2 minFrameSize: 64 bytes with the FCS, so 60 as captured. A frame with VLAN
// tags may stay padded to 60 + 4 per tag (802.1Q lets bridges keep the padding).
constexpr std::size_t kEthernetMinFrame = 60;
// Reserved0 of the first GRE word: R (bit 1) and bits 4-12 (RFC 2784 §2.3; NVGRE = 0x2000).
constexpr std::uint16_t kGreReserved0Mask = 0x4FF8;
constexpr std::uint8_t kTcpFinPshCwr = wire::kTcpFlagFin | wire::kTcpFlagPsh | wire::kTcpFlagCwr;
constexpr std::uint8_t kTcpSynRstUrg = wire::kTcpFlagSyn | wire::kTcpFlagRst | wire::kTcpFlagUrg;

constexpr std::array<std::uint32_t, 256> MakeCrcTable() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    t[i] = c;
  }
  return t;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = MakeCrcTable();

std::uint16_t Be16(Span f, std::size_t off) { return wire::LoadBe16(f.subspan(off).first<2>()); }
std::uint32_t Be32(Span f, std::size_t off) { return wire::LoadBe32(f.subspan(off).first<4>()); }

// Value the checksum field at `field` (offset within `region`) should hold so that `region`
// sums to 0xFFFF (RFC 1071), whatever it holds now.
std::uint16_t ExpectedChecksum(Span region, std::size_t field) {
  const std::uint16_t sum = wire::OnesSum(region);
  return wire::Complement(wire::OnesSub(sum, Be16(region, field)));
}

// 64-bit FNV-1a: fingerprints of option bytes that are compared, not shown.
std::uint64_t Fnv1a(Span bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

__attribute__((format(printf, 2, 3))) void Put(std::array<char, kVerifyTextSize>& out,
                                               const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(out.data(), out.size(), fmt, args);
  va_end(args);
}

unsigned long long Ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

// ---- Bounded flow tables --------------------------------------------------------------------

// Flow identity bytes: byte 0 says which table, the rest are addresses, ports, VSID.
struct FlowKey {
  std::array<std::uint8_t, 80> b{};
  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

std::uint64_t HashKey(const FlowKey& k) {
  std::uint64_t h = 0x9E3779B97F4A7C15ull;
  for (std::size_t i = 0; i < k.b.size(); i += 8) {
    std::uint64_t w = 0;
    for (std::size_t j = 0; j < 8; ++j) w |= std::uint64_t{k.b[i + j]} << (8 * j);
    h ^= w;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// Set-associative table of kWays entries per set, least recently used entry evicted. Entry has
// `FlowKey key`, `std::uint64_t last_used` and `bool used`. Allocates only in the constructor.
template <class Entry>
class FlowTable {
 public:
  static constexpr std::size_t kWays = 8;

  explicit FlowTable(std::size_t capacity) {
    std::size_t sets = 1;
    while (sets * kWays < capacity) sets <<= 1;
    entries_.resize(sets * kWays);
    mask_ = sets - 1;
  }

  // The entry of `key`; `fresh` says whether it was just claimed (value-initialized apart from
  // key/used/last_used). Claiming a used entry first calls evict(entry).
  template <class Evict>
  Entry& Find(const FlowKey& key, std::uint64_t now, bool& fresh, Evict&& evict) {
    Entry* set = &entries_[(HashKey(key) & mask_) * kWays];
    Entry* victim = nullptr;
    for (std::size_t i = 0; i < kWays; ++i) {
      Entry& e = set[i];
      if (e.used && e.key == key) {
        e.last_used = now;
        fresh = false;
        return e;
      }
      if (victim == nullptr || (victim->used && (!e.used || e.last_used < victim->last_used))) {
        victim = &e;
      }
    }
    if (victim->used) evict(*victim);
    *victim = Entry{};
    victim->key = key;
    victim->used = true;
    victim->last_used = now;
    fresh = true;
    return *victim;
  }

  template <class F>
  void ForEachUsed(F&& f) {
    for (Entry& e : entries_) {
      if (e.used) f(e);
    }
  }
  void Clear() { std::fill(entries_.begin(), entries_.end(), Entry{}); }

 private:
  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
};

// What a burst compares per IP header (outer or inner).
struct IpFields {
  bool v4 = false;
  std::uint16_t id = 0;
  std::uint8_t ttl = 0;  // TTL or hop limit
  std::uint8_t dscp = 0;
  std::uint8_t ecn = 0;
  bool df = false;
  std::uint32_t flow_label = 0;
  std::uint16_t options_length = 0;  // IPv4 options / IPv6 extension headers, bytes
  std::uint64_t options_hash = 0;
};

IpFields ReadIp(Span f, const L3Layout& l3) {
  IpFields ip;
  const std::size_t o = l3.offset;
  std::size_t fixed = 40;
  if (l3.version == 4) {
    fixed = 20;
    ip.v4 = true;
    ip.id = Be16(f, o + 4);
    ip.ttl = f[o + 8];
    ip.dscp = static_cast<std::uint8_t>(f[o + 1] >> 2);
    ip.ecn = static_cast<std::uint8_t>(f[o + 1] & 3);
    ip.df = (f[o + 6] & 0x40) != 0;
  } else {
    const std::uint8_t tc = static_cast<std::uint8_t>(((f[o] & 0x0F) << 4) | (f[o + 1] >> 4));
    ip.ttl = f[o + 7];
    ip.dscp = static_cast<std::uint8_t>(tc >> 2);
    ip.ecn = static_cast<std::uint8_t>(tc & 3);
    ip.flow_label = (std::uint32_t{f[o + 1] & 0x0Fu} << 16) | Be16(f, o + 2);
  }
  const Span options = f.subspan(o + fixed, l3.header_length - fixed);
  ip.options_length = static_cast<std::uint16_t>(options.size());
  ip.options_hash = Fnv1a(options);
  return ip;
}

// One inner TCP segment with payload, as the burst checks see it.
struct Segment {
  std::uint64_t frame = 0;
  std::uint32_t seq = 0, ack = 0, length = 0;  // length: TCP payload bytes
  std::uint8_t flags = 0, reserved = 0;        // reserved: the 4 bits below the data offset
  std::uint16_t window = 0, urgent = 0;
  IpFields outer, inner;
  Span options;  // TCP options (valid during AddFrame only)
};

struct BurstState {
  FlowKey key;
  std::uint64_t last_used = 0;
  bool used = false;

  std::uint32_t segments = 0;  // in the open burst; 0 = none open
  std::uint32_t mss = 0;
  std::uint32_t next_seq = 0;
  std::uint64_t first_frame = 0;
  // The latest segment: its checks that depend on not being the last wait for the next one.
  std::uint64_t prev_frame = 0;
  std::uint32_t prev_seq = 0, prev_length = 0;
  std::uint8_t prev_flags = 0;
  // The template: the burst's first segment.
  Segment first;
  std::uint8_t options_length = 0;
  std::array<std::uint8_t, wire::kTcpMaxOptionsSize> options{};
};

struct FlowIdState {
  FlowKey key;
  std::uint64_t last_used = 0;
  bool used = false;
  std::uint8_t flow_id = 0;
  std::uint64_t first_frame = 0;
};

// Writes `a` (IPv4 zero-extended) into 16 bytes at `out`.
void PutAddress(std::span<std::uint8_t> out, Span f, const L3Layout& l3, bool destination) {
  const std::size_t len = l3.version == 4 ? 4 : 16;
  const std::size_t at =
      l3.offset + (l3.version == 4 ? (destination ? 16u : 12u) : (destination ? 24u : 8u));
  std::copy_n(f.begin() + static_cast<std::ptrdiff_t>(at), len, out.begin());
}

// "0101080a..." of at most 20 bytes, for expected/seen text.
void HexBytes(std::array<char, kVerifyTextSize>& out, const char* label, Span bytes) {
  char hex[48] = {};
  const std::size_t n = std::min<std::size_t>(bytes.size(), 20);
  for (std::size_t i = 0; i < n; ++i) std::snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
  Put(out, "%s %s%s (%zu B)", label, n == 0 ? "none" : hex, bytes.size() > n ? ".." : "",
      bytes.size());
}

}  // namespace

std::uint32_t EthernetCrc32(std::span<const std::uint8_t> bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (std::uint8_t b : bytes) crc = kCrcTable[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

struct Verifier::Impl {
  explicit Impl(const VerifyOptions& o)
      : options(o),
        bursts(std::max<std::size_t>(o.max_flows, 8)),
        flow_ids(std::max<std::size_t>(o.max_flows, 8)) {}

  VerifyOptions options;
  VerifySummary summary;
  FlowTable<BurstState> bursts;
  FlowTable<FlowIdState> flow_ids;
  ViolationSink* sink = nullptr;  // during AddFrame / Finish
  Violation pending;

  // Report protocol: if (Begin(rule, frame)) { Put(pending.expected..); Put(pending.seen..);
  // Commit(); }. A disabled rule costs no formatting.
  bool Begin(VerifyRule rule, std::uint64_t frame, std::uint64_t related = 0) {
    if (!options.rules.test(static_cast<std::size_t>(rule))) return false;
    pending = Violation{};
    pending.rule = rule;
    pending.frame = frame;
    pending.related_frame = related;
    return true;
  }
  void Commit() {
    ++summary.violations[static_cast<std::size_t>(pending.rule)];
    sink->OnViolation(pending);
  }

  void AddFrame(std::uint64_t n, Span f, std::size_t wire_length);
  std::size_t CheckOuter(std::uint64_t n, Span f, std::size_t wire, const FrameLayout& l,
                         const wire::ChecksumReport& c, std::size_t& alt_end);
  void CheckGre(std::uint64_t n, Span f, const FrameLayout& l, const wire::ChecksumReport& c);
  std::size_t CheckInnerLengths(std::uint64_t n, Span f, const FrameLayout& l,
                                std::size_t inner_end, std::size_t alt_end);
  void CheckInnerChecksums(std::uint64_t n, Span f, const FrameLayout& l,
                           const wire::ChecksumReport& c);
  void CheckFlowId(std::uint64_t n, Span f, const FrameLayout& l);
  void AddSegment(std::uint64_t n, Span f, const FrameLayout& l, std::size_t inner_ip_end);
  void StartBurst(BurstState& b, const Segment& s);
  void ContinueBurst(BurstState& b, const Segment& s);
  void CloseBurst(BurstState& b);
  void CompareIp(const BurstState& b, const Segment& s, const IpFields& t, const IpFields& x,
                 const char* side);
  void Finish();
};

void Verifier::Impl::AddFrame(std::uint64_t n, Span f, std::size_t wire_length) {
  ++summary.frames;
  const std::size_t wire = std::max(wire_length, f.size());
  const bool snap_cut = wire > f.size();
  const FrameLayout l = wire::ClassifyFrame(f, wire);
  const L3Layout& o = l.outer_l3;
  if (!o.present() || o.protocol != wire::kIpProtoGre) {
    ++summary.other_frames;
    return;
  }
  ++summary.gre_frames;
  if (l.is_nvgre()) ++summary.nvgre_frames;
  if (snap_cut) ++summary.snap_truncated;
  const wire::ChecksumReport c = wire::VerifyChecksums(f, l);
  if (c.gre == CsumState::kUnverified) ++summary.unverified_checksums;
  if (c.inner_l4 == CsumState::kUnverified) ++summary.unverified_checksums;

  std::size_t alt_end = 0;
  const std::size_t outer_end = CheckOuter(n, f, wire, l, c, alt_end);
  if (!o.later_fragment) {
    CheckGre(n, f, l, c);
    if (l.inner_l3.present()) {
      CheckInnerChecksums(n, f, l, c);
      CheckFlowId(n, f, l);
      if (!o.is_fragment) {
        const std::size_t inner_ip_end = CheckInnerLengths(n, f, l, outer_end, alt_end);
        if (inner_ip_end != 0 && l.l4_protocol == wire::kIpProtoTcp &&
            l.inner_l4 != wire::kNoHeader && l.payload != wire::kNoHeader &&
            !l.inner_l3.is_fragment) {
          AddSegment(n, f, l, inner_ip_end);
        }
      }
    }
  }

  if (l.error) {
    const wire::ParseFailure& e = *l.error;
    const bool snap_explained = snap_cut && e.error == wire::ParseError::kTruncated;
    // GRE headers the GRE parser refuses (version, R, bits 4-5) are the nvgre.* rules' business.
    const bool gre_rule = e.layer == wire::Layer::kGre && e.error != wire::ParseError::kTruncated;
    if (!snap_explained && !gre_rule && Begin(VerifyRule::kFrameParse, n)) {
      Put(pending.expected, "headers parse through the inner transport header");
      Put(pending.seen, "%.*s at %.*s %.*s, offset %u",
          static_cast<int>(wire::ToString(e.error).size()), wire::ToString(e.error).data(),
          static_cast<int>(wire::ToString(e.scope).size()), wire::ToString(e.scope).data(),
          static_cast<int>(wire::ToString(e.layer).size()), wire::ToString(e.layer).data(),
          e.offset);
      Commit();
    }
  }
}

// Outer IP rules. Returns where the outer IP packet really ends (frame offset, on the wire): the
// length field's end when it is right (or the frame is minimum-size padded), else the frame end,
// and then `alt_end` is where the field says it ends.
std::size_t Verifier::Impl::CheckOuter(std::uint64_t n, Span f, std::size_t wire,
                                       const FrameLayout& l, const wire::ChecksumReport& c,
                                       std::size_t& alt_end) {
  const L3Layout& o = l.outer_l3;
  const bool v4 = o.version == 4;
  const std::uint16_t field = Be16(f, o.offset + (v4 ? 2u : 4u));
  const std::size_t claimed = v4 ? field : 40u + field;
  const std::size_t avail = wire - o.offset;
  const bool padded =
      field != 0 && claimed < avail && wire <= kEthernetMinFrame + 4u * l.outer_l2.vlan_count;
  std::size_t end = wire;
  if (claimed == avail || padded) {
    end = o.offset + claimed;
  } else {
    alt_end = o.offset + claimed;
    if (Begin(VerifyRule::kLenOuterIp, n)) {
      // RFC 791 §3.1 Total Length / RFC 8200 §3 Payload Length against the bytes on the wire.
      Put(pending.expected, "%s %zu", v4 ? "total length" : "payload length",
          v4 ? avail : avail - 40);
      Put(pending.seen, "%s %u", v4 ? "total length" : "payload length", field);
      Commit();
    }
  }

  if (options.mtu != 0 && end - o.offset > options.mtu && Begin(VerifyRule::kMtu, n)) {
    Put(pending.expected, "outer IP packet <= %u bytes (MTU)", options.mtu);
    Put(pending.seen, "%zu bytes", end - o.offset);
    Commit();
  }

  if (c.outer_ip == CsumState::kBad && Begin(VerifyRule::kCsumOuterIpv4, n)) {
    const Span header = f.subspan(o.offset, o.header_length);
    Put(pending.expected, "0x%04x", ExpectedChecksum(header, 10));
    Put(pending.seen, "0x%04x", Be16(header, 10));
    Commit();
  }

  // RFC 7637 §4.4: NVGRE packets are not fragmented.
  if (o.is_fragment && Begin(VerifyRule::kFragOuter, n)) {
    Put(pending.expected, "not a fragment");
    if (v4) {
      const std::uint16_t ff = Be16(f, o.offset + 6);
      Put(pending.seen, "MF=%u offset %u", (ff >> 13) & 1u, (ff & 0x1FFFu) * 8u);
    } else {
      Put(pending.seen, "IPv6 Fragment header, %s", o.later_fragment ? "offset > 0" : "M=1");
    }
    Commit();
  }
  return end;
}

// NVGRE header rules, read from the raw first GRE word so that each rule is judged on its own
// (wire::CheckNvgre stops at the first broken one), plus the GRE checksum and reserved VSIDs.
void Verifier::Impl::CheckGre(std::uint64_t n, Span f, const FrameLayout& l,
                              const wire::ChecksumReport& c) {
  const L3Layout& o = l.outer_l3;
  const std::size_t g = o.l4_offset();
  if (g + 4 > std::min<std::size_t>(o.end, f.size())) return;  // frame.parse reports it
  const std::uint16_t fv = Be16(f, g);
  const std::uint16_t protocol = Be16(f, g + 2);

  auto flag_rule = [&](VerifyRule rule, const char* name, std::uint16_t bit, bool want) {
    if (((fv & bit) != 0) != want && Begin(rule, n)) {
      Put(pending.expected, "%s=%d", name, want ? 1 : 0);
      Put(pending.seen, "%s=%d (flags 0x%04x)", name, want ? 0 : 1, fv);
      Commit();
    }
  };
  flag_rule(VerifyRule::kNvgreKeyBit, "K", wire::kGreFlagKey, true);
  flag_rule(VerifyRule::kNvgreCBit, "C", wire::kGreFlagChecksum, false);
  flag_rule(VerifyRule::kNvgreSBit, "S", wire::kGreFlagSequence, false);
  if ((fv & wire::kGreVersionMask) != 0 && Begin(VerifyRule::kNvgreVersion, n)) {
    Put(pending.expected, "0");
    Put(pending.seen, "%u", fv & wire::kGreVersionMask);
    Commit();
  }
  if ((fv & kGreReserved0Mask) != 0 && Begin(VerifyRule::kNvgreReserved0, n)) {
    Put(pending.expected, "0 (flags 0x2000)");
    Put(pending.seen, "0x%04x (flags 0x%04x)", fv & kGreReserved0Mask, fv);
    Commit();
  }
  if (protocol != wire::kGreProtocolTeb && Begin(VerifyRule::kNvgreProtocol, n)) {
    Put(pending.expected, "0x6558");
    Put(pending.seen, "0x%04x", protocol);
    Commit();
  }
  if (!l.gre.present()) return;

  if (c.gre == CsumState::kBad && Begin(VerifyRule::kCsumGre, n)) {
    // RFC 2784 §2.5: over the GRE header and payload, i.e. to the end of the outer IP packet.
    const Span region = f.subspan(l.gre.offset, o.end - l.gre.offset);
    Put(pending.expected, "0x%04x", ExpectedChecksum(region, 4));
    Put(pending.seen, "0x%04x", Be16(region, 4));
    Commit();
  }
  if (l.gre.key_present() && wire::IsReservedVsid(l.vsid()) &&
      Begin(VerifyRule::kNvgreReservedVsid, n)) {
    Put(pending.expected, "VSID 0x001000-0xfffffe");
    Put(pending.seen, "VSID 0x%06x (key 0x%08x)", l.vsid(), l.gre.key);
    Commit();
  }
  if (l.inner_l2.present() && l.inner_l2.vlan_count != 0 && Begin(VerifyRule::kNvgreInnerVlan, n)) {
    const std::size_t tag = l.inner_l2.offset + 12u;
    Put(pending.expected, "untagged inner frame");
    Put(pending.seen, "%u tag(s), TPID 0x%04x VID %u", l.inner_l2.vlan_count, Be16(f, tag),
        Be16(f, tag + 2) & 0x0FFFu);
    Commit();
  }
}

void Verifier::Impl::CheckInnerChecksums(std::uint64_t n, Span f, const FrameLayout& l,
                                         const wire::ChecksumReport& c) {
  const L3Layout& i = l.inner_l3;
  if (c.inner_ip == CsumState::kBad && Begin(VerifyRule::kCsumInnerIpv4, n)) {
    const Span header = f.subspan(i.offset, i.header_length);
    Put(pending.expected, "0x%04x", ExpectedChecksum(header, 10));
    Put(pending.seen, "0x%04x", Be16(header, 10));
    Commit();
  }
  if (c.inner_l4 != CsumState::kBad || !Begin(VerifyRule::kCsumInnerL4, n)) return;
  // The same bytes the classifier judged: inner_l4 .. inner IP end (UDP: .. UDP Length).
  Span segment = f.subspan(l.inner_l4, i.end - l.inner_l4);
  const std::uint8_t proto = l.l4_protocol;
  if (proto == wire::kIpProtoUdp) {
    if (auto udp = wire::UdpView::Parse(segment, wire::Capture::kMayBeTruncated)) {
      segment = segment.first(udp->datagram_length());
    }
  }
  const std::size_t field = wire::L4ChecksumOffset(proto);
  std::uint16_t expected = 0;
  if (proto == wire::kIpProtoIcmp) {
    expected = ExpectedChecksum(segment, field);
  } else if (i.version == 4) {
    expected = wire::TcpUdpChecksumV4(f.subspan(i.offset + 12).first<4>(),
                                      f.subspan(i.offset + 16).first<4>(), proto, segment);
  } else {
    // RFC 8200 §8.1: the final destination, as the classifier judged it.
    expected = wire::TcpUdpChecksumV6(f.subspan(i.offset + 8).first<16>(),
                                      f.subspan(i.pseudo_destination).first<16>(), proto, segment);
  }
  Put(pending.expected, "0x%04x", expected);
  Put(pending.seen, "0x%04x", Be16(segment, field));
  Commit();
}

// Where the inner frame ends and whether the inner IP length agrees, for one candidate end of
// the GRE payload (`inner_end`). Nothing is reported here.
struct InnerFit {
  bool ok = false;            // the inner IP length field agrees (exactly, or padded below 60)
  std::size_t fcs_at = 0;     // frame offset of a detected inner FCS; 0 = none
  std::uint32_t fcs = 0;      // its value
  std::size_t frame_end = 0;  // end of the inner frame proper (before an FCS)
  std::size_t ip_end = 0;     // end of the inner IP packet
};

InnerFit FitInner(Span f, const FrameLayout& l, std::size_t inner_end, std::size_t claimed) {
  const L3Layout& i = l.inner_l3;
  const bool has_l2 = l.inner_l2.present();
  const std::size_t claimed_end = i.offset + claimed;
  InnerFit fit;
  // RFC 7637 §3.2: no inner FCS. Heuristic: 4 bytes after the inner IP packet that are the
  // CRC-32 of the inner frame up to them, either at the very end of the inner frame (after any
  // padding) or right after the IP packet. Plain padding is not a CRC and is not flagged.
  if (has_l2 && inner_end <= f.size() && claimed >= i.header_length &&
      claimed_end + 4 <= inner_end) {
    const std::size_t start = l.inner_l2.offset;
    auto crc_at = [&](std::size_t at) {
      fit.fcs = EthernetCrc32(f.subspan(start, at - start));
      const std::uint32_t stored = std::uint32_t{f[at]} | (std::uint32_t{f[at + 1]} << 8) |
                                   (std::uint32_t{f[at + 2]} << 16) |
                                   (std::uint32_t{f[at + 3]} << 24);  // sent LSB first
      return fit.fcs == stored;
    };
    if (crc_at(inner_end - 4)) {
      fit.fcs_at = inner_end - 4;
    } else if (claimed_end + 4 < inner_end && crc_at(claimed_end)) {
      fit.fcs_at = claimed_end;
    }
  }
  fit.frame_end = fit.fcs_at != 0 ? fit.fcs_at : inner_end;
  const std::size_t avail = fit.frame_end - i.offset;
  const std::size_t inner_frame = fit.frame_end - (has_l2 ? l.inner_l2.offset : i.offset);
  // IEEE 802.3 minimum frame: padding is allowed only up to 60 bytes of inner frame.
  const bool padded = has_l2 && claimed > 0 && claimed >= i.header_length && claimed < avail &&
                      inner_frame <= kEthernetMinFrame;
  fit.ok = claimed == avail || padded;
  fit.ip_end = fit.ok ? claimed_end : fit.frame_end;
  return fit;
}

// Inner length rules and the inner FCS. `inner_end` is where the outer IP packet (so the GRE
// payload) ends on the wire; `alt_end`, when not 0, is where the outer length field says it
// ends (it disagreed with the frame): whichever of the two the inner length agrees with is
// taken, so one wrong length is reported once. Returns where the inner IP packet really ends
// (0 when the inner headers do not even fit), which bounds the TCP payload of a burst segment.
std::size_t Verifier::Impl::CheckInnerLengths(std::uint64_t n, Span f, const FrameLayout& l,
                                              std::size_t inner_end, std::size_t alt_end) {
  const L3Layout& i = l.inner_l3;
  const bool v4 = i.version == 4;
  const std::size_t min_end = std::size_t{i.offset} + i.header_length;
  if (inner_end < min_end) return 0;
  const std::uint16_t field = Be16(f, i.offset + (v4 ? 2u : 4u));
  // An IPv4 Total Length of 0 (LSOv2 template) claims nothing: it never agrees.
  const std::size_t claimed = v4 ? field : 40u + field;

  InnerFit fit = FitInner(f, l, inner_end, claimed);
  if (!fit.ok && alt_end >= min_end && alt_end < inner_end) {
    const InnerFit alt = FitInner(f, l, alt_end, claimed);
    if (alt.ok) fit = alt;
  }
  if (fit.fcs_at != 0 && Begin(VerifyRule::kNvgreInnerFcs, n)) {
    Put(pending.expected, "inner frame without FCS");
    Put(pending.seen, "CRC-32 0x%08x of the inner frame at offset %zu", fit.fcs, fit.fcs_at);
    Commit();
  }
  if (!fit.ok && Begin(VerifyRule::kLenInnerIp, n)) {
    const std::size_t avail = fit.frame_end - i.offset;
    Put(pending.expected, "%s %zu", v4 ? "total length" : "payload length",
        v4 ? avail : avail - 40);
    Put(pending.seen, "%s %u", v4 ? "total length" : "payload length", field);
    Commit();
  }

  // RFC 768: the datagram fills the IP payload as the inner IP header delimits it (so a wrong
  // inner IP length is len.inner-ip alone, not len.udp as well).
  const std::size_t claimed_end = i.offset + claimed;
  const std::size_t udp_end =
      claimed >= i.header_length ? std::min(claimed_end, fit.frame_end) : fit.frame_end;
  if (l.l4_protocol == wire::kIpProtoUdp && l.inner_l4 != wire::kNoHeader &&
      udp_end >= std::size_t{l.inner_l4} + 8u) {
    const std::uint16_t udp_length = Be16(f, l.inner_l4 + 4u);
    const std::size_t expected = udp_end - l.inner_l4;
    if (udp_length != expected && Begin(VerifyRule::kLenUdp, n)) {
      Put(pending.expected, "UDP length %zu", expected);
      Put(pending.seen, "UDP length %u", udp_length);
      Commit();
    }
  }
  return fit.ip_end;
}

void Verifier::Impl::CheckFlowId(std::uint64_t n, Span f, const FrameLayout& l) {
  if (!l.gre.present() || !l.gre.key_present()) return;
  const L3Layout& i = l.inner_l3;
  FlowKey key;
  std::span<std::uint8_t> k(key.b);
  k[0] = 1;
  k[1] = i.version;
  k[2] = i.protocol;
  PutAddress(k.subspan(3, 16), f, i, false);
  PutAddress(k.subspan(19, 16), f, i, true);
  if (l.inner_l4 != wire::kNoHeader &&
      (l.l4_protocol == wire::kIpProtoTcp || l.l4_protocol == wire::kIpProtoUdp)) {
    std::copy_n(f.begin() + l.inner_l4, 4, k.begin() + 35);  // both ports
  }
  wire::StoreBe24(k.subspan<39, 3>(), l.vsid());
  bool fresh = false;
  FlowIdState& e = flow_ids.Find(key, n, fresh, [](FlowIdState&) {});
  if (fresh) {
    e.flow_id = l.flow_id();
    e.first_frame = n;
  } else if (e.flow_id != l.flow_id() &&
             Begin(VerifyRule::kNvgreFlowIdConstant, n, e.first_frame)) {
    Put(pending.expected, "FlowID 0x%02x (as frame %llu)", e.flow_id, Ull(e.first_frame));
    Put(pending.seen, "FlowID 0x%02x", l.flow_id());
    Commit();
  }
}

void Verifier::Impl::AddSegment(std::uint64_t n, Span f, const FrameLayout& l,
                                std::size_t inner_ip_end) {
  if (inner_ip_end <= l.payload) return;  // no payload: not part of a burst
  ++summary.tcp_segments;
  const Span tcp = f.subspan(l.inner_l4);
  Segment s;
  s.frame = n;
  s.seq = Be32(tcp, 4);
  s.ack = Be32(tcp, 8);
  s.length = static_cast<std::uint32_t>(inner_ip_end - l.payload);
  s.reserved = static_cast<std::uint8_t>(tcp[12] & 0x0F);
  s.flags = tcp[13];
  s.window = Be16(tcp, 14);
  s.urgent = Be16(tcp, 18);
  s.options = tcp.subspan(20, std::size_t{l.payload} - l.inner_l4 - 20u);
  s.outer = ReadIp(f, l.outer_l3);
  s.inner = ReadIp(f, l.inner_l3);

  FlowKey key;
  std::span<std::uint8_t> k(key.b);
  k[0] = 2;
  k[1] = l.outer_l3.version;
  k[2] = l.inner_l3.version;
  PutAddress(k.subspan(3, 16), f, l.outer_l3, false);
  PutAddress(k.subspan(19, 16), f, l.outer_l3, true);
  PutAddress(k.subspan(35, 16), f, l.inner_l3, false);
  PutAddress(k.subspan(51, 16), f, l.inner_l3, true);
  std::copy_n(tcp.begin(), 4, k.begin() + 67);  // ports
  if (l.gre.present() && l.gre.key_present()) {
    k[71] = 1;
    wire::StoreBe24(k.subspan<72, 3>(), l.vsid());
  }

  bool fresh = false;
  BurstState& b = bursts.Find(key, n, fresh, [this](BurstState& victim) {
    ++summary.flows_evicted;
    CloseBurst(victim);
  });
  if (fresh || b.segments == 0) {
    StartBurst(b, s);
    return;
  }
  if (s.seq == b.next_seq) {
    ContinueBurst(b, s);
    return;
  }
  // Not contiguous: a new burst. Ending exactly where the previous segment began means the
  // segments went out in reverse order (spec §4: in submission order).
  if (static_cast<std::uint32_t>(s.seq + s.length) == b.prev_seq &&
      Begin(VerifyRule::kLsoOrder, n, b.prev_frame)) {
    Put(pending.expected, "seq %u (after frame %llu)", b.next_seq, Ull(b.prev_frame));
    Put(pending.seen, "seq %u, ends where frame %llu begins", s.seq, Ull(b.prev_frame));
    Commit();
  }
  CloseBurst(b);
  StartBurst(b, s);
}

void Verifier::Impl::StartBurst(BurstState& b, const Segment& s) {
  b.segments = 1;
  b.mss = options.mss != 0 ? options.mss : s.length;
  b.next_seq = s.seq + s.length;
  b.first_frame = s.frame;
  b.prev_frame = s.frame;
  b.prev_seq = s.seq;
  b.prev_length = s.length;
  b.prev_flags = s.flags;
  b.first = s;
  b.first.options = {};
  b.options_length = static_cast<std::uint8_t>(std::min(s.options.size(), b.options.size()));
  std::copy_n(s.options.begin(), b.options_length, b.options.begin());
  if (s.length > b.mss && Begin(VerifyRule::kLsoMss, s.frame)) {
    Put(pending.expected, "<= %u bytes (MSS)", b.mss);
    Put(pending.seen, "%u bytes", s.length);
    Commit();
  }
}

void Verifier::Impl::CompareIp(const BurstState& b, const Segment& s, const IpFields& t,
                               const IpFields& x, const char* side) {
  const std::uint64_t n = s.frame, first = b.first_frame;
  const std::uint32_t k = b.segments;  // index of `s` in the burst
  if (t.v4) {
    // Spec §4 items 4-5: ID = template ID + k; LSOv2 IDs wrap 0x7FFF -> 0 ([INFER] for both
    // headers); a template ID >= 0x8000 is outside that range and wraps 0xFFFF -> 0 ([INFER],
    // docs/conformance.md §4).
    const std::uint32_t modulus = t.id < 0x8000u ? 0x8000u : 0x10000u;
    const auto want = static_cast<std::uint16_t>((t.id + k) % modulus);
    if (x.id != want && Begin(VerifyRule::kLsoIpId, n, first)) {
      Put(pending.expected, "%s IPv4 ID 0x%04x (segment %u)", side, want, k);
      Put(pending.seen, "%s IPv4 ID 0x%04x", side, x.id);
      Commit();
    }
  }
  if ((x.options_length != t.options_length || x.options_hash != t.options_hash) &&
      Begin(VerifyRule::kLsoOptions, n, first)) {
    Put(pending.expected, "%s %s as frame %llu (%u B)", side,
        t.v4 ? "IPv4 options" : "IPv6 extension headers", Ull(first), t.options_length);
    Put(pending.seen, "%u B, different bytes", x.options_length);
    Commit();
  }
  const char* ttl = t.v4 ? "TTL" : "hop limit";
  if (x.ttl != t.ttl && Begin(VerifyRule::kLsoTtlDscp, n, first)) {
    Put(pending.expected, "%s %s %u", side, ttl, t.ttl);
    Put(pending.seen, "%s %s %u", side, ttl, x.ttl);
    Commit();
  }
  if (x.dscp != t.dscp && Begin(VerifyRule::kLsoTtlDscp, n, first)) {
    Put(pending.expected, "%s DSCP %u", side, t.dscp);
    Put(pending.seen, "%s DSCP %u", side, x.dscp);
    Commit();
  }
  if (x.df != t.df && Begin(VerifyRule::kLsoIpFields, n, first)) {
    Put(pending.expected, "%s DF=%d", side, t.df ? 1 : 0);
    Put(pending.seen, "%s DF=%d", side, x.df ? 1 : 0);
    Commit();
  }
  if (x.ecn != t.ecn && Begin(VerifyRule::kLsoIpFields, n, first)) {
    Put(pending.expected, "%s ECN %u", side, t.ecn);
    Put(pending.seen, "%s ECN %u", side, x.ecn);
    Commit();
  }
  if (x.flow_label != t.flow_label && Begin(VerifyRule::kLsoIpFields, n, first)) {
    Put(pending.expected, "%s flow label 0x%05x", side, t.flow_label);
    Put(pending.seen, "%s flow label 0x%05x", side, x.flow_label);
    Commit();
  }
}

void Verifier::Impl::ContinueBurst(BurstState& b, const Segment& s) {
  const std::uint64_t first = b.first_frame;
  const std::uint32_t k = b.segments;
  const Segment& t = b.first;

  // The previous segment turned out not to be the last one.
  if (b.prev_length < b.mss && Begin(VerifyRule::kLsoMss, b.prev_frame, first)) {
    Put(pending.expected, "%u bytes (MSS; not the last segment)", b.mss);
    Put(pending.seen, "%u bytes", b.prev_length);
    Commit();
  }
  if ((b.prev_flags & (wire::kTcpFlagFin | wire::kTcpFlagPsh)) != 0 &&
      Begin(VerifyRule::kLsoFlagsFinPsh, b.prev_frame, first)) {
    Put(pending.expected, "FIN=0 PSH=0 (not the last segment)");
    Put(pending.seen, "FIN=%d PSH=%d", (b.prev_flags & wire::kTcpFlagFin) ? 1 : 0,
        (b.prev_flags & wire::kTcpFlagPsh) ? 1 : 0);
    Commit();
  }
  if (k >= 2 && (b.prev_flags & wire::kTcpFlagCwr) != 0 &&
      Begin(VerifyRule::kLsoFlagsCwr, b.prev_frame, first)) {
    Put(pending.expected, "CWR=0 (segment %u of the burst: neither first nor last)", k - 1);
    Put(pending.seen, "CWR=1");
    Commit();
  }
  if (k == 1) {
    // The template is now known to have been segmented (spec §4: no SYN/RST/URG, urgent 0).
    if ((t.flags & kTcpSynRstUrg) != 0 && Begin(VerifyRule::kLsoFlagsOther, first, first)) {
      Put(pending.expected, "no SYN, RST or URG on an LSO send");
      Put(pending.seen, "flags 0x%02x", t.flags);
      Commit();
    }
    if (t.urgent != 0 && Begin(VerifyRule::kLsoTcpFields, first, first)) {
      Put(pending.expected, "urgent pointer 0 on an LSO send");
      Put(pending.seen, "urgent pointer %u", t.urgent);
      Commit();
    }
  }

  // This segment.
  const std::uint64_t n = s.frame;
  if (s.length > b.mss && Begin(VerifyRule::kLsoMss, n, first)) {
    Put(pending.expected, "<= %u bytes (MSS)", b.mss);
    Put(pending.seen, "%u bytes", s.length);
    Commit();
  }
  CompareIp(b, s, t.outer, s.outer, "outer");
  CompareIp(b, s, t.inner, s.inner, "inner");
  if (((s.flags & ~kTcpFinPshCwr) != (t.flags & ~kTcpFinPshCwr) || s.reserved != t.reserved) &&
      Begin(VerifyRule::kLsoFlagsOther, n, first)) {
    Put(pending.expected, "flags 0x%02x, reserved 0x%x (as frame %llu; FIN/PSH/CWR aside)",
        t.flags & ~kTcpFinPshCwr & 0xFF, t.reserved, Ull(first));
    Put(pending.seen, "flags 0x%02x, reserved 0x%x", s.flags & ~kTcpFinPshCwr & 0xFF, s.reserved);
    Commit();
  }
  const Span template_options(b.options.data(), b.options_length);
  if (!std::equal(s.options.begin(), s.options.end(), template_options.begin(),
                  template_options.end()) &&
      Begin(VerifyRule::kLsoOptions, n, first)) {
    HexBytes(pending.expected, "TCP options", template_options);
    HexBytes(pending.seen, "TCP options", s.options);
    Commit();
  }
  if (s.ack != t.ack && Begin(VerifyRule::kLsoTcpFields, n, first)) {
    Put(pending.expected, "ack %u", t.ack);
    Put(pending.seen, "ack %u", s.ack);
    Commit();
  }
  if (s.window != t.window && Begin(VerifyRule::kLsoTcpFields, n, first)) {
    Put(pending.expected, "window %u", t.window);
    Put(pending.seen, "window %u", s.window);
    Commit();
  }
  if (s.urgent != t.urgent && Begin(VerifyRule::kLsoTcpFields, n, first)) {
    Put(pending.expected, "urgent pointer %u", t.urgent);
    Put(pending.seen, "urgent pointer %u", s.urgent);
    Commit();
  }

  b.segments = k + 1;
  b.next_seq = s.seq + s.length;
  b.prev_frame = n;
  b.prev_seq = s.seq;
  b.prev_length = s.length;
  b.prev_flags = s.flags;
}

void Verifier::Impl::CloseBurst(BurstState& b) {
  if (b.segments >= 2) {
    ++summary.bursts;
    summary.burst_segments += b.segments;
    // CWR on the last segment is tolerated (spec §4), but not as a second CWR of the send.
    if ((b.prev_flags & wire::kTcpFlagCwr) != 0 && (b.first.flags & wire::kTcpFlagCwr) != 0 &&
        Begin(VerifyRule::kLsoFlagsCwr, b.prev_frame, b.first_frame)) {
      Put(pending.expected, "CWR on the first segment only (frame %llu)", Ull(b.first_frame));
      Put(pending.seen, "CWR=1 on the last segment too");
      Commit();
    }
  }
  b.segments = 0;
}

void Verifier::Impl::Finish() {
  bursts.ForEachUsed([this](BurstState& b) { CloseBurst(b); });
  bursts.Clear();
  flow_ids.Clear();
}

Verifier::Verifier(const VerifyOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Verifier::~Verifier() = default;
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;

void Verifier::AddFrame(std::uint64_t frame_number, std::span<const std::uint8_t> frame,
                        std::size_t wire_length, ViolationSink& sink) {
  impl_->sink = &sink;
  impl_->AddFrame(frame_number, frame, wire_length);
  impl_->sink = nullptr;
}

void Verifier::SkipFrame() {
  ++impl_->summary.frames;
  ++impl_->summary.skipped;
}

void Verifier::Finish(ViolationSink& sink) {
  impl_->sink = &sink;
  impl_->Finish();
  impl_->sink = nullptr;
}

const VerifySummary& Verifier::summary() const { return impl_->summary; }
const VerifyOptions& Verifier::options() const { return impl_->options; }

}  // namespace nvgre::offload
