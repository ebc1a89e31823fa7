// Typed parse errors and Result<T>: what went wrong, at which layer, at which byte offset.
//
// Every view's Parse() returns Result<View>. On failure the ParseFailure says
//   - error:  what went wrong (truncated, bad version, ...),
//   - layer:  which header (Ethernet, IPv4, GRE, ...), and whether it was the outer or the
//             inner (encapsulated) one,
//   - offset: the byte offset of the start of that header, counted from the start of the span
//             the caller parsed (the classifier rebases it to the start of the frame).
//
//   auto ip = Ipv4View::Parse(bytes);
//   if (!ip) return Fail(ip.error());          // or count ip.error() as a drop reason
//   std::uint8_t ttl = ip->ttl();
//
// Result<T> is a minimal std::expected<T, ParseFailure> (C++23's <expected> is not usable with
// the clang-14 used for fuzzing). No exceptions: value() on an error is a programmer error.
#pragma once

#include <cassert>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

namespace nvgre::wire {

enum class ParseError : std::uint8_t {
  kTruncated,        // the span ends before the header (or the length it claims) does
  kBadVersion,       // IP version / GRE version field not the expected value
  kBadHeaderLength,  // IPv4 IHL < 5, TCP data offset < 5, extension header length bad
  kLengthMismatch,   // a length field disagrees with the span (total length, UDP length)
  kBadChecksum,      // a checksum that the caller asked to be verified does not verify
  kReservedBits,     // bits that must be zero are not (GRE Reserved0 bits 1-5, RFC 2784 §2.3)
  kUnsupported,      // well-formed but not handled here (e.g. IPv6 ESP, unknown GRE flags)
  kCount,
};

enum class Layer : std::uint8_t {
  kFrame,       // the captured frame as a whole (e.g. empty)
  kEthernet,
  kVlan,        // an 802.1Q / 802.1ad tag
  kIpv4,
  kIpv6,
  kIpv6Ext,     // an IPv6 extension header (hop-by-hop, routing, fragment, dest opts, AH)
  kGre,
  kNvgre,       // GRE header valid but not valid NVGRE (RFC 7637 rules)
  kTcp,
  kUdp,
  kIcmp,
  kIcmpv6,
  kVnetHdr,
  kArp,         // ARP (RFC 826)
  kCount,
};

// Whether the header belongs to the tunnel (outer) or the transport (inner, encapsulated) packet.
enum class Scope : std::uint8_t { kOuter, kInner };

struct ParseFailure {
  ParseError error = ParseError::kTruncated;
  Layer layer = Layer::kFrame;
  Scope scope = Scope::kOuter;
  std::uint32_t offset = 0;  // bytes from the start of the parsed span to the failing header

  friend constexpr bool operator==(const ParseFailure&, const ParseFailure&) = default;
};
static_assert(std::is_trivially_copyable_v<ParseFailure> && sizeof(ParseFailure) <= 8);

constexpr std::string_view ToString(ParseError e) {
  switch (e) {
    case ParseError::kTruncated: return "truncated";
    case ParseError::kBadVersion: return "bad-version";
    case ParseError::kBadHeaderLength: return "bad-header-length";
    case ParseError::kLengthMismatch: return "length-mismatch";
    case ParseError::kBadChecksum: return "bad-checksum";
    case ParseError::kReservedBits: return "reserved-bits-set";
    case ParseError::kUnsupported: return "unsupported";
    case ParseError::kCount: break;
  }
  return "?";
}

constexpr std::string_view ToString(Layer l) {
  switch (l) {
    case Layer::kFrame: return "frame";
    case Layer::kEthernet: return "ethernet";
    case Layer::kVlan: return "vlan";
    case Layer::kIpv4: return "ipv4";
    case Layer::kIpv6: return "ipv6";
    case Layer::kIpv6Ext: return "ipv6-ext";
    case Layer::kGre: return "gre";
    case Layer::kNvgre: return "nvgre";
    case Layer::kTcp: return "tcp";
    case Layer::kUdp: return "udp";
    case Layer::kIcmp: return "icmp";
    case Layer::kIcmpv6: return "icmpv6";
    case Layer::kVnetHdr: return "vnet-hdr";
    case Layer::kArp: return "arp";
    case Layer::kCount: break;
  }
  return "?";
}

constexpr std::string_view ToString(Scope s) { return s == Scope::kInner ? "inner" : "outer"; }

// How Parse treats a length field (IPv4 Total Length, IPv6 Payload Length, UDP Length) that
// claims more bytes than the span holds:
//   kComplete       the span is the whole packet: {kTruncated} (datapath default);
//   kMayBeTruncated the span is a capture that may have been cut at the snap length: accept,
//                   clip the packet to the span and report truncated() (tools, classifier).
enum class Capture : std::uint8_t { kComplete, kMayBeTruncated };

// Tag type so that `return Fail(...)` converts to any Result<T>.
struct Unexpected {
  ParseFailure failure;
};
constexpr Unexpected Fail(ParseFailure f) { return Unexpected{f}; }
constexpr Unexpected Fail(ParseError e, Layer l, std::uint32_t offset = 0) {
  return Unexpected{ParseFailure{e, l, Scope::kOuter, offset}};
}

template <class T>
class [[nodiscard]] Result {
  static_assert(std::is_trivially_copyable_v<T>, "Result<T> holds small plain values and views");

 public:
  constexpr Result(const T& v) : value_(v), ok_(true) {}  // NOLINT: implicit like std::expected
  constexpr Result(Unexpected u) : failure_(u.failure), ok_(false) {}  // NOLINT

  constexpr bool has_value() const { return ok_; }
  constexpr explicit operator bool() const { return ok_; }

  // Preconditions: has_value() for the value accessors, !has_value() for error().
  constexpr const T& value() const { assert(ok_); return value_; }
  constexpr T& value() { assert(ok_); return value_; }
  constexpr const T& operator*() const { return value(); }
  constexpr T& operator*() { return value(); }
  constexpr const T* operator->() const { return &value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const ParseFailure& error() const { assert(!ok_); return failure_; }

 private:
  union {
    T value_;
    ParseFailure failure_;
  };
  bool ok_;
};

}  // namespace nvgre::wire
