// Writes the seed corpora of fuzz/corpus/<target>/ (docs/fuzzing.md, "Seed corpora").
//
//   cmake --build build/fuzz-release --target nvgre_fuzz_make_corpus
//   cd REPO && build/fuzz-release/fuzz/nvgre_fuzz_make_corpus --shared ../shared/testdata
//       --tests tests --out fuzz/corpus
//
// Sources, each seed file named after where it came from:
//   - every frame of every capture in --shared (the team's external captures, SOURCES.md);
//   - every byte array `std::array<std::uint8_t, N> kName{...}` in --tests/**/*_test.cc (the
//     project's own test frames and headers);
//   - frames built here with the wire Reprs: NVGRE over IPv4/IPv6 with inner IPv4/IPv6 and
//     TCP (with options)/UDP/ICMP/ICMPv6, VLAN tags, GRE with C/K/S, GREv1, L3 GRE, IPv6
//     extension headers, fragments, Total Length 0, ARP;
//   - pcap/pcapng files built here (both byte orders, µs and ns, two pcapng sections whose
//     interfaces differ, SPB, obsolete PB, unknown blocks, if_tsresol/if_tsoffset).
// Frames are sliced at the offsets the classifier finds: the frame for classifier/ethernet, the
// IP packets for ipv4/ipv6, the GRE header on for gre, the transport header on for tcp/udp/
// icmp/checksum (with the address prefix those targets read first). To keep the corpora small,
// at most two frames of each shape (encapsulation, protocols, flags) are taken per capture, and
// frames are cut to 4096 bytes. Files with the same content are written once, and not at all when
// fuzz/regressions/<target>/ already holds them.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"
#include "nvgre/offload/adapter.h"
#include "nvgre/offload/keywords.h"
#include "nvgre/wire/checksum.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/gre.h"
#include "nvgre/wire/icmp.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"
#include "nvgre/wire/l4_checksum.h"
#include "nvgre/wire/tcp.h"
#include "nvgre/wire/udp.h"

namespace {

namespace fs = std::filesystem;
using namespace nvgre::wire;  // NOLINT
using Bytes8 = std::vector<std::uint8_t>;

constexpr std::size_t kMaxSeed = 4096;

class CorpusDir {
 public:
  // Inputs already in fuzz/regressions/<target>/ (a sibling of the corpus directory) are not
  // written again: the replay test runs them from there, and libFuzzer must not start from a
  // seed that still crashes.
  explicit CorpusDir(fs::path dir, std::size_t max_size = kMaxSeed)
      : dir_(std::move(dir)), max_size_(max_size) {
    fs::create_directories(dir_);
    const fs::path regressions = dir_.parent_path().parent_path() / "regressions" / dir_.filename();
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(regressions, ec)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      seen_.insert(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    }
  }
  void Add(const std::string& name, std::span<const std::uint8_t> bytes) {
    Bytes8 b(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min(bytes.size(), max_size_)));
    if (!seen_.insert(std::string(b.begin(), b.end())).second) return;
    std::string clean;
    for (const char c : name) clean.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_');
    std::ofstream(dir_ / clean, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),  // NOLINT
                                                        static_cast<std::streamsize>(b.size()));
    ++count_;
  }
  std::size_t count() const { return count_; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::size_t max_size_;
  std::set<std::string> seen_;  // contents written so far
  std::size_t count_ = 0;
};

struct Corpora {
  explicit Corpora(const fs::path& out)
      : classifier(out / "classifier"), ethernet(out / "ethernet"), ipv4(out / "ipv4"),
        ipv6(out / "ipv6"), gre(out / "gre"), tcp(out / "tcp"), udp(out / "udp"),
        icmp(out / "icmp"), checksum(out / "checksum"), pcap(out / "pcap_reader", 16384),
        oob(out / "ndis_oob"), toeplitz(out / "toeplitz"), tx(out / "tx_engine"),
        rx(out / "rx_engine"), keywords(out / "keywords"), adapter(out / "adapter_oid"),
        verify(out / "verify"), decap(out / "decap"), rx_filters(out / "rx_filters") {}
  CorpusDir classifier, ethernet, ipv4, ipv6, gre, tcp, udp, icmp, checksum, pcap, oob, toeplitz, tx,
      rx, keywords, adapter, verify, decap, rx_filters;
};

Bytes8 Concat(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  Bytes8 out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// The 32-byte address prefix of the udp/icmp/checksum targets, from the IP header at l3.
Bytes8 AddressPrefix(std::span<const std::uint8_t> frame, const L3Layout& l3) {
  Bytes8 p(32, 0);
  if (l3.version == 4) {
    std::copy_n(frame.begin() + l3.offset + 12, 4, p.begin());
    std::copy_n(frame.begin() + l3.offset + 16, 4, p.begin() + 4);
  } else {
    std::copy_n(frame.begin() + l3.offset + 8, 32, p.begin());
  }
  return p;
}

void SliceTransport(Corpora& c, const std::string& name, std::span<const std::uint8_t> frame,
                    const L3Layout& l3, std::uint16_t l4, std::uint8_t protocol) {
  if (l4 == kNoHeader) return;
  const auto seg = frame.subspan(l4, l3.end - l4);
  const Bytes8 addrs = AddressPrefix(frame, l3);
  switch (protocol) {
    case kIpProtoTcp: c.tcp.Add(name, seg); break;
    case kIpProtoUdp: c.udp.Add(name, Concat(addrs, seg)); break;
    case kIpProtoIcmp:
    case kIpProtoIcmpv6: c.icmp.Add(name, Concat(addrs, seg)); break;
    default: break;
  }
  // checksum: initial sum 0, shift 0..7 by frame, the protocol, the addresses, the segment.
  Bytes8 head{0, 0, static_cast<std::uint8_t>(l4 & 7), protocol};
  c.checksum.Add(name, Concat(Concat(head, addrs), seg));
}

void SliceL3(Corpora& c, const std::string& name, std::span<const std::uint8_t> frame,
             const L3Layout& l3) {
  if (!l3.present()) return;
  const auto packet = frame.subspan(l3.offset);
  (l3.version == 4 ? c.ipv4 : c.ipv6).Add(name, packet);
}

using Shape = std::tuple<std::uint16_t, std::uint8_t, std::uint8_t, std::uint8_t, int,
                         std::uint16_t, std::uint16_t, std::uint16_t, std::uint8_t, std::uint8_t,
                         std::uint8_t, int, int, bool, bool>;

Shape ShapeOf(const FrameLayout& l) {
  return {l.outer_l2.ether_type, l.outer_l2.vlan_count, l.outer_l3.version, l.outer_l3.protocol,
          static_cast<int>(l.encapsulation), l.gre.flags_version, l.gre.protocol_type,
          l.inner_l2.ether_type, l.inner_l2.vlan_count, l.inner_l3.version, l.l4_protocol,
          l.error ? static_cast<int>(l.error->layer) : -1,
          l.error ? static_cast<int>(l.error->error) : -1, l.truncated,
          l.outer_l3.is_fragment || l.inner_l3.is_fragment};
}

// tx_engine: 31 bytes of controls (tx_engine_fuzz.cc) and the frame. For an NVGRE frame with an
// inner IP header: prepared checksum / LSOv2 (MSS 100 and from the MTU) / USO sends, whole and
// split into buffers; for any frame: a raw send with no OOB and with a checksum request.
void AddTxSeeds(CorpusDir& dir, const std::string& name, std::span<const std::uint8_t> frame,
                const FrameLayout& l) {
  auto add = [&](const std::string& what, std::uint8_t mode, std::uint16_t mss, std::uint16_t cut1,
                 std::uint16_t cut2, std::uint32_t oob_checksum) {
    Bytes8 b{mode, static_cast<std::uint8_t>(mss >> 8), static_cast<std::uint8_t>(mss),
             static_cast<std::uint8_t>(cut1 >> 8), static_cast<std::uint8_t>(cut1),
             static_cast<std::uint8_t>(cut2 >> 8), static_cast<std::uint8_t>(cut2)};
    b.resize(b.size() + 8, 0);  // adapter: everything on
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(oob_checksum >> (8 * i)));
    b.resize(b.size() + 12, 0);
    b.insert(b.end(), frame.begin(), frame.end());
    dir.Add(name + "-" + what, b);
  };
  if (l.is_nvgre() && l.inner_l3.present()) {
    add("prep-csum", 0x01, 0, 0, 0, 0);
    add("prep-lso-mss100-split", 0x03, 100, 20, 7, 0);
    add("prep-lso-mtu", 0x03, 0, 0, 0, 0);
    add("prep-uso-mss64", 0x05, 64, 60, 0, 0);
  }
  // Raw: IsIPv4 | TcpChecksum | IpHeaderChecksum (0x15), nothing encapsulated claimed.
  add("raw-none", 0x00, 0, 0, 0, 0);
  add("raw-csum", 0x00, 0, 30, 0, 0x15);
}

// rx_engine: flags, perturbation, MSS (2), wire extra, indirection, hash types (4) (10 bytes,
// rx_engine_fuzz.cc), then a burst of length-prefixed frames (mode A) or one frame for the Tx
// engine to segment (mode B, flag 0x40). Flags 0x9F: NVGRE offload on, both IP versions, RSS,
// a GRE VMQ filter, RSC.
Bytes8 RxControls(std::uint8_t flags, std::uint16_t mss) {
  return {flags, 0, static_cast<std::uint8_t>(mss >> 8), static_cast<std::uint8_t>(mss), 0, 3,
          0xff, 0xff, 0xff, 0xff};
}
void AppendFrame(Bytes8& b, std::span<const std::uint8_t> frame) {
  b.push_back(static_cast<std::uint8_t>(frame.size() >> 8));
  b.push_back(static_cast<std::uint8_t>(frame.size()));
  b.insert(b.end(), frame.begin(), frame.end());
}
void AddRxSeeds(CorpusDir& dir, const std::string& name, std::span<const std::uint8_t> frame,
                const FrameLayout& l) {
  Bytes8 a = RxControls(0x9F, 0);
  AppendFrame(a, frame);
  dir.Add(name + "-burst1", a);
  if (l.is_nvgre() && l.l4_protocol == kIpProtoTcp) {
    Bytes8 b = RxControls(0xDF, 100);
    b.insert(b.end(), frame.begin(), frame.end());
    dir.Add(name + "-lso-mss100", b);
  }
}

// rx_filters: N, N control bytes (rx_filters_fuzz.cc), the frame. Two control programs: one
// GRE-flagged and one unflagged destination-MAC filter taken from the frame (the one-compare
// index), then a VLAN + MaskEqual filter (the field-by-field scan), a Clear, a Check and RSS
// parameters with all types and 8 indirection entries.
void AddRxFilterSeeds(CorpusDir& dir, const std::string& name, std::span<const std::uint8_t> frame) {
  const Bytes8 simple{15, 3,                        // 16 queues (1 + 15), 3 operations
                      0, 1, 3, 1, 1, 0, 0, 1, 0,    // Set id 1 -> queue 3, GRE, MAC Equal inner dst
                      0, 2, 5, 0, 1, 0, 0, 0, 0,    // Set id 2 -> queue 5, MAC Equal outer dst
                      4};                           // Check
  Bytes8 a{static_cast<std::uint8_t>(simple.size())};
  a.insert(a.end(), simple.begin(), simple.end());
  a.insert(a.end(), frame.begin(), frame.end());
  dir.Add(name + "-mac", a);
  Bytes8 general{15, 5,
                 0, 3, 7, 1, 2, 1, 0, 1, 0, 0, 1, 0,  // Set id 3 -> 7, GRE: VLAN Equal inner vid, MAC Equal inner
                 0, 4, 9, 0, 1, 0, 1, 0, 0xff, 0,     // Set id 4 -> 9: MAC MaskEqual, mask and result the outer dst
                 3, 4,                                // Clear id 4
                 4,                                   // Check
                 5, 0x01, 0, 0, 0xff, 0xff};          // RSS: enabled, every type
  for (int i = 0; i < 40; ++i) general.push_back(static_cast<std::uint8_t>(0x6d + 7 * i));  // key
  general.push_back(3);  // 8 entries
  for (int i = 0; i < 128; ++i) general.push_back(static_cast<std::uint8_t>(i));
  Bytes8 b{static_cast<std::uint8_t>(std::min<std::size_t>(general.size(), 255))};
  b.insert(b.end(), general.begin(), general.begin() + b[0]);
  b.insert(b.end(), frame.begin(), frame.end());
  dir.Add(name + "-general", b);
}

// verify: flags, MSS (2), MTU (2), max_flows, rule selector, perturbation (verify_fuzz.cc), then
// length-prefixed frames (mode A) or one frame for the Tx engine to segment (mode B, flag 1).
Bytes8 VerifyControls(std::uint8_t flags, std::uint16_t mss) {
  return {flags, static_cast<std::uint8_t>(mss >> 8), static_cast<std::uint8_t>(mss), 0x05, 0xdc, 16, 0, 0};
}
void AddVerifySeeds(CorpusDir& dir, const std::string& name, std::span<const std::uint8_t> frame,
                    const FrameLayout& l) {
  if (!l.gre.present()) return;
  Bytes8 a = VerifyControls(0x00, 0);
  AppendFrame(a, frame);
  dir.Add(name + "-one", a);
  if (l.is_nvgre() && l.l4_protocol == kIpProtoTcp) {
    Bytes8 b = VerifyControls(0x01, 100);
    b.insert(b.end(), frame.begin(), frame.end());
    dir.Add(name + "-lso-mss100", b);
  }
}

// Adds one frame to every corpus it fits.
void AddFrame(Corpora& c, const std::string& name, std::span<const std::uint8_t> frame_in) {
  const auto frame = frame_in.first(std::min(frame_in.size(), kMaxSeed));
  c.classifier.Add(name, frame);
  c.ethernet.Add(name, frame.first(std::min<std::size_t>(frame.size(), 96)));
  const FrameLayout l = ClassifyFrame(frame);
  SliceL3(c, name + "-outer", frame, l.outer_l3);
  SliceL3(c, name + "-inner", frame, l.inner_l3);
  if (l.gre.present()) c.gre.Add(name, frame.subspan(l.gre.offset, l.outer_l3.end - l.gre.offset));
  if (l.outer_l4 != kNoHeader) SliceTransport(c, name, frame, l.outer_l3, l.outer_l4, l.l4_protocol);
  if (l.inner_l4 != kNoHeader) SliceTransport(c, name + "-inner", frame, l.inner_l3, l.inner_l4, l.l4_protocol);
  AddTxSeeds(c.tx, name, frame, l);
  AddRxSeeds(c.rx, name, frame, l);
  AddVerifySeeds(c.verify, name, frame, l);
  if (l.outer_l2.present()) AddRxFilterSeeds(c.rx_filters, name, frame);
  if (l.gre.present()) {  // decap: a config byte (0: checksums verified, reserved VSIDs kept)
    Bytes8 d{0};
    d.insert(d.end(), frame.begin(), frame.end());
    c.decap.Add(name, d);
  }
}

// ---- frames built with the Reprs ------------------------------------------------------------

constexpr Ipv4Address kOuterSrc4{192, 0, 2, 1}, kOuterDst4{192, 0, 2, 2};
constexpr Ipv4Address kInnerSrc4{10, 0, 0, 1}, kInnerDst4{10, 0, 0, 2};
constexpr Ipv6Address kOuterSrc6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr Ipv6Address kOuterDst6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
constexpr Ipv6Address kInnerSrc6{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11};
constexpr Ipv6Address kInnerDst6{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22};

struct Spec {
  std::string name;
  bool outer_v6 = false;
  std::uint8_t outer_vlans = 0;
  bool encapsulate = true;
  std::uint16_t gre_flags = kNvgreFlagsVersion;   // C/K/S/version bits
  std::uint16_t gre_protocol = kGreProtocolTeb;
  std::uint8_t inner_vlans = 0;
  bool inner_v6 = false;
  std::uint8_t l4 = kIpProtoTcp;
  std::size_t payload = 32;
  bool tcp_options = true;
  bool ipv4_options = false;
  std::vector<std::uint8_t> v6_ext{};            // extension header types before the L4 one
  bool zero_total_length = false;
  std::uint16_t frag_offset = 0;                  // bytes (inner IP)
  bool more_fragments = false;
};

Bytes8 Transport(const Spec& s, bool v6, std::span<const std::uint8_t> src,
                 std::span<const std::uint8_t> dst) {
  Bytes8 seg;
  Bytes8 payload(s.payload);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(i * 7 + 1);
  if (s.l4 == kIpProtoTcp) {
    TcpRepr t;
    t.source_port = 49152;
    t.destination_port = 80;
    t.sequence_number = 0x01020304;
    t.acknowledgment_number = 0x0a0b0c0d;
    t.flags = kTcpFlagAck | kTcpFlagPsh;
    t.window = 502;
    if (s.tcp_options) {
      const std::array<std::uint8_t, 20> opts{2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2,
                                              8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
      t.set_options(opts);
    }
    seg.resize(t.header_length());
    t.Emit(seg);
  } else if (s.l4 == kIpProtoUdp) {
    UdpRepr u{.source_port = 5353, .destination_port = 4789,
              .length = static_cast<std::uint16_t>(8 + payload.size()), .checksum = 0};
    seg.resize(8);
    u.Emit(seg);
  } else {
    IcmpRepr i{.type = v6 ? kIcmpv6EchoRequest : kIcmpEchoRequest, .code = 0, .checksum = 0,
               .rest = 0x12340001};
    seg.resize(8);
    i.Emit(seg);
  }
  seg.insert(seg.end(), payload.begin(), payload.end());
  const std::size_t off = L4ChecksumOffset(s.l4);
  std::uint16_t csum = 0;
  if (s.l4 == kIpProtoIcmp) {
    csum = Checksum(seg);
  } else if (v6) {
    csum = TcpUdpChecksumV6(src.first<16>(), dst.first<16>(), s.l4, seg);
  } else {
    csum = TcpUdpChecksumV4(src.first<4>(), dst.first<4>(), s.l4, seg);
  }
  StoreBe16(std::span(seg).subspan(off).first<2>(), csum);
  return seg;
}

// `inner`: the inner addresses; `last`: the IP header right before the transport header (the
// fragment, option, extension header and zero-length settings of the Spec apply to it).
Bytes8 IpPacket(const Spec& s, bool v6, bool inner, bool last, std::uint8_t protocol,
                const Bytes8& body) {
  Bytes8 out;
  if (!v6) {
    Ipv4Repr r;
    r.protocol = protocol;
    r.identification = inner ? 0x1234 : 0x4321;
    r.source = inner ? kInnerSrc4 : kOuterSrc4;
    r.destination = inner ? kInnerDst4 : kOuterDst4;
    if (last) {
      r.fragment_offset = s.frag_offset;
      r.more_fragments = s.more_fragments;
    }
    if (last && s.ipv4_options) {
      r.options = {0x94, 0x04, 0, 0};  // Router Alert (RFC 2113)
      r.options_length = 4;
    }
    r.total_length = (last && s.zero_total_length) ? 0 : static_cast<std::uint16_t>(r.header_length() + body.size());
    out.resize(r.header_length());
    r.Emit(out);
  } else {
    Bytes8 ext;
    std::uint8_t nh = protocol;
    // Extension headers, innermost first so each names the next.
    for (auto it = (last ? s.v6_ext.rbegin() : s.v6_ext.rend()); it != s.v6_ext.rend(); ++it) {
      Bytes8 h(*it == kIpProtoAh ? 16 : 8, 0);
      h[0] = nh;
      if (*it == kIpv6ExtFragment) {
        StoreBe16(std::span(h).subspan<2, 2>(), static_cast<std::uint16_t>(s.frag_offset | (s.more_fragments ? 1 : 0)));
        StoreBe32(std::span(h).subspan<4, 4>(), 0xabcdef01);
      } else if (*it == kIpProtoAh) {
        h[1] = 2;  // (2 + 2) * 4 = 16 bytes
      } else {
        h[2] = 1;  // PadN
        h[3] = 4;
      }
      ext.insert(ext.begin(), h.begin(), h.end());
      nh = *it;
    }
    Ipv6Repr r;
    r.next_header = nh;
    r.flow_label = 0x12345;
    r.traffic_class = 0x28;
    r.source = inner ? kInnerSrc6 : kOuterSrc6;
    r.destination = inner ? kInnerDst6 : kOuterDst6;
    r.payload_length = (last && s.zero_total_length) ? 0 : static_cast<std::uint16_t>(ext.size() + body.size());
    out.resize(40);
    r.Emit(out);
    out.insert(out.end(), ext.begin(), ext.end());
  }
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes8 EthernetFrame(std::uint8_t vlans, std::uint16_t type, const Bytes8& body, bool inner) {
  EthernetRepr e;
  e.destination = {0x02, 0, 0, 0, inner ? std::uint8_t{0x10} : std::uint8_t{0}, 1};
  e.source = {0x02, 0, 0, 0, inner ? std::uint8_t{0x10} : std::uint8_t{0}, 2};
  e.vlan_count = vlans;
  for (std::uint8_t i = 0; i < vlans; ++i) {
    e.vlans[i] = VlanTag{i == 0 && vlans > 1 ? kEtherTypeQinQ : kEtherTypeVlan,
                         VlanTag::MakeTci(3, false, static_cast<std::uint16_t>(100 + i))};
  }
  e.ether_type = type;
  Bytes8 out(e.header_length());
  e.Emit(out);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes8 Build(const Spec& s) {
  const bool v6 = s.encapsulate ? s.inner_v6 : s.outer_v6;
  const auto src = v6 ? std::span<const std::uint8_t>(s.encapsulate ? kInnerSrc6 : kOuterSrc6)
                      : std::span<const std::uint8_t>(s.encapsulate ? kInnerSrc4 : kOuterSrc4);
  const auto dst = v6 ? std::span<const std::uint8_t>(s.encapsulate ? kInnerDst6 : kOuterDst6)
                      : std::span<const std::uint8_t>(s.encapsulate ? kInnerDst4 : kOuterDst4);
  const Bytes8 l4 = Transport(s, v6, src, dst);
  if (!s.encapsulate) {
    Bytes8 ip = IpPacket(s, s.outer_v6, false, true, s.l4, l4);
    return EthernetFrame(s.outer_vlans, s.outer_v6 ? kEtherTypeIpv6 : kEtherTypeIpv4, ip, false);
  }
  Bytes8 inner_ip = IpPacket(s, s.inner_v6, true, true, s.l4, l4);
  Bytes8 gre_payload = s.gre_protocol == kGreProtocolTeb
                           ? EthernetFrame(s.inner_vlans, s.inner_v6 ? kEtherTypeIpv6 : kEtherTypeIpv4,
                                           inner_ip, true)
                           : inner_ip;
  GreRepr g;
  g.checksum_present = s.gre_flags & kGreFlagChecksum;
  g.key_present = s.gre_flags & kGreFlagKey;
  g.sequence_present = s.gre_flags & kGreFlagSequence;
  g.version = static_cast<std::uint8_t>(s.gre_flags & kGreVersionMask);
  g.ack_present = (s.gre_flags & kGreFlagAck) != 0;
  g.protocol_type = s.gre_protocol;
  g.key = NvgreKey(0x123456, 0x7f);
  g.sequence = 42;
  g.acknowledgment = 41;
  Bytes8 gre(g.header_length());
  g.Emit(gre);
  gre.insert(gre.end(), gre_payload.begin(), gre_payload.end());
  if (g.checksum_present) GreMutView::Unchecked(gre).FillChecksum();
  Bytes8 outer_ip = IpPacket(s, s.outer_v6, false, false, kIpProtoGre, gre);
  return EthernetFrame(s.outer_vlans, s.outer_v6 ? kEtherTypeIpv6 : kEtherTypeIpv4, outer_ip, false);
}

std::vector<std::pair<std::string, Bytes8>> BuiltFrames() {
  std::vector<Spec> specs;
  specs.push_back({.name = "nvgre-v4-v4-tcp"});
  specs.push_back({.name = "nvgre-v4-v6-udp", .inner_v6 = true, .l4 = kIpProtoUdp});
  specs.push_back({.name = "nvgre-v6-v4-icmp", .outer_v6 = true, .l4 = kIpProtoIcmp});
  specs.push_back({.name = "nvgre-v6-v6-icmpv6-ext", .outer_v6 = true, .inner_v6 = true,
                   .l4 = kIpProtoIcmpv6, .v6_ext = {kIpv6ExtHopByHop, kIpv6ExtDestOpts}});
  specs.push_back({.name = "nvgre-qinq-v4-tcp-nopts", .outer_vlans = 2, .tcp_options = false});
  specs.push_back({.name = "nvgre-vlan-v6-v6-tcp-frag-first", .outer_v6 = true, .outer_vlans = 1,
                   .inner_v6 = true, .v6_ext = {kIpv6ExtRouting, kIpv6ExtFragment},
                   .more_fragments = true});
  specs.push_back({.name = "nvgre-v4-v6-tcp-ah", .inner_v6 = true, .v6_ext = {kIpProtoAh}});
  specs.push_back({.name = "gre-cks-teb-v4-tcp", .gre_flags = 0xB000});
  specs.push_back({.name = "gre-c-teb-v4-udp", .gre_flags = 0x8000, .l4 = kIpProtoUdp});
  specs.push_back({.name = "gre-teb-nokey-v4-icmp", .gre_flags = 0x0000, .l4 = kIpProtoIcmp});
  specs.push_back({.name = "gre-teb-inner-vlan", .inner_vlans = 1});
  specs.push_back({.name = "gre-l3-v4-udp", .gre_flags = 0x2000, .gre_protocol = kEtherTypeIpv4,
                   .l4 = kIpProtoUdp});
  specs.push_back({.name = "gre-l3-v6-tcp", .outer_v6 = true, .gre_flags = 0x0000,
                   .gre_protocol = kEtherTypeIpv6, .inner_v6 = true});
  specs.push_back({.name = "grev1-pptp-ksa", .gre_flags = 0x3081, .gre_protocol = kGreProtocolPpp});
  specs.push_back({.name = "nvgre-inner-v4-options-later-fragment", .ipv4_options = true,
                   .frag_offset = 1480});
  specs.push_back({.name = "nvgre-inner-v4-first-fragment", .more_fragments = true});
  specs.push_back({.name = "nvgre-lsov2-total-length-0", .payload = 3000, .zero_total_length = true});
  specs.push_back({.name = "nvgre-v6-payload-length-0", .inner_v6 = true, .payload = 2000,
                   .zero_total_length = true});
  specs.push_back({.name = "plain-v4-tcp", .encapsulate = false});
  specs.push_back({.name = "plain-v6-udp-frag", .outer_v6 = true, .encapsulate = false,
                   .l4 = kIpProtoUdp, .v6_ext = {kIpv6ExtFragment}, .more_fragments = true});
  specs.push_back({.name = "plain-vlan-v4-icmp", .outer_vlans = 1, .encapsulate = false,
                   .l4 = kIpProtoIcmp});
  specs.push_back({.name = "plain-v6-icmpv6", .outer_v6 = true, .encapsulate = false,
                   .l4 = kIpProtoIcmpv6, .payload = 0});
  std::vector<std::pair<std::string, Bytes8>> out;
  for (const Spec& s : specs) out.emplace_back("built-" + s.name, Build(s));
  // ARP (not IP) and a runt.
  Bytes8 arp(28, 0);
  arp[1] = 1;
  arp[2] = 8;
  arp[4] = 6;
  arp[5] = 4;
  arp[7] = 1;
  out.emplace_back("built-arp", EthernetFrame(0, kEtherTypeArp, arp, false));
  out.emplace_back("built-runt", Bytes8{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x81});
  // Padding after a short outer packet: GRE header and nothing else inside the IP packet.
  Bytes8 short_gre = Build({.name = "x"});
  if (auto ip = Ipv4MutView::Parse(std::span(short_gre).subspan(14)); ip) {
    ip->set_total_length(20 + 8);
    ip->FillHeaderChecksum();
  }
  out.emplace_back("built-nvgre-outer-length-ends-at-gre", short_gre);
  return out;
}

// ---- pcap / pcapng files ----------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(bool big_endian) : be_(big_endian) {}
  void U16(std::uint32_t v) { Put(v, 2); }
  void U32(std::uint32_t v) { Put(v, 4); }
  void U64(std::uint64_t v) {  // a plain 64-bit integer in the section's byte order
    U32(static_cast<std::uint32_t>(be_ ? v >> 32 : v));
    U32(static_cast<std::uint32_t>(be_ ? v : v >> 32));
  }
  void Raw(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Pad4() { while (out_.size() % 4 != 0) out_.push_back(0); }
  Bytes8& bytes() { return out_; }
  std::size_t size() const { return out_.size(); }
  void Patch32(std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      const int shift = be_ ? 24 - 8 * i : 8 * i;
      out_[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> shift);
    }
  }

 private:
  void Put(std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) {
      const int shift = be_ ? 8 * (n - 1 - i) : 8 * i;
      out_.push_back(static_cast<std::uint8_t>(v >> shift));
    }
  }
  bool be_;
  Bytes8 out_;
};

Bytes8 ClassicPcap(bool be, bool nano, const std::vector<Bytes8>& frames, std::uint32_t snaplen,
                   bool cut_last) {
  Writer w(be);
  w.U32(nano ? 0xa1b23c4d : 0xa1b2c3d4);
  w.U16(2);
  w.U16(4);
  w.U32(0);
  w.U32(0);
  w.U32(snaplen);
  w.U32(1);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto& f = frames[i];
    const std::uint32_t cap = std::min<std::uint32_t>(static_cast<std::uint32_t>(f.size()), snaplen);
    w.U32(1700000000 + static_cast<std::uint32_t>(i));
    w.U32(nano ? 123456789 : 123456);
    w.U32(cap);
    w.U32(static_cast<std::uint32_t>(f.size()));
    w.Raw(std::span(f).first(cap));
  }
  if (cut_last && w.size() > 30) w.bytes().resize(w.size() - 7);
  return w.bytes();
}

class Pcapng {
 public:
  explicit Pcapng(bool be) : w_(be) {}
  Pcapng& Shb() {
    const std::size_t at = Begin(0x0A0D0D0A);
    w_.U32(0x1A2B3C4D);
    w_.U16(1);
    w_.U16(0);
    w_.U32(0xFFFFFFFF);
    w_.U32(0xFFFFFFFF);
    return End(at);
  }
  Pcapng& Idb(std::uint16_t linktype, std::uint32_t snaplen, int tsresol = -1, std::int64_t tsoffset = 0) {
    const std::size_t at = Begin(1);
    w_.U16(linktype);
    w_.U16(0);
    w_.U32(snaplen);
    if (tsresol >= 0) {
      w_.U16(9);
      w_.U16(1);
      const std::uint8_t r = static_cast<std::uint8_t>(tsresol);
      w_.Raw(std::span(&r, 1));
      w_.Pad4();
    }
    if (tsoffset != 0) {
      w_.U16(14);
      w_.U16(8);
      w_.U64(static_cast<std::uint64_t>(tsoffset));
    }
    if (tsresol >= 0 || tsoffset != 0) {
      w_.U16(0);
      w_.U16(0);
    }
    return End(at);
  }
  Pcapng& Epb(std::uint32_t iface, std::uint64_t ts, const Bytes8& f, std::uint32_t caplen_cut = 0) {
    const std::size_t at = Begin(6);
    const std::uint32_t cap = caplen_cut != 0 ? std::min<std::uint32_t>(caplen_cut, static_cast<std::uint32_t>(f.size()))
                                              : static_cast<std::uint32_t>(f.size());
    w_.U32(iface);
    w_.U32(static_cast<std::uint32_t>(ts >> 32));
    w_.U32(static_cast<std::uint32_t>(ts));
    w_.U32(cap);
    w_.U32(static_cast<std::uint32_t>(f.size()));
    w_.Raw(std::span(f).first(cap));
    w_.Pad4();
    return End(at);
  }
  Pcapng& Spb(const Bytes8& f) {
    const std::size_t at = Begin(3);
    w_.U32(static_cast<std::uint32_t>(f.size()));
    w_.Raw(f);
    w_.Pad4();
    return End(at);
  }
  Pcapng& ObsoletePb(std::uint16_t iface, std::uint64_t ts, const Bytes8& f) {
    const std::size_t at = Begin(2);
    w_.U16(iface);
    w_.U16(0);
    w_.U32(static_cast<std::uint32_t>(ts >> 32));
    w_.U32(static_cast<std::uint32_t>(ts));
    w_.U32(static_cast<std::uint32_t>(f.size()));
    w_.U32(static_cast<std::uint32_t>(f.size()));
    w_.Raw(f);
    w_.Pad4();
    return End(at);
  }
  Pcapng& Unknown(std::uint32_t type) {
    const std::size_t at = Begin(type);
    w_.U32(0xdeadbeef);
    return End(at);
  }
  Bytes8 bytes() { return w_.bytes(); }
  Pcapng& Append(const Bytes8& b) {
    w_.Raw(b);
    return *this;
  }

 private:
  std::size_t Begin(std::uint32_t type) {
    const std::size_t at = w_.size();
    w_.U32(type);
    w_.U32(0);
    return at;
  }
  Pcapng& End(std::size_t at) {
    const auto total = static_cast<std::uint32_t>(w_.size() - at + 4);
    w_.U32(total);
    w_.Patch32(at + 4, total);
    return *this;
  }
  Writer w_;
};

void AddCaptureFiles(Corpora& c, const std::vector<std::pair<std::string, Bytes8>>& built) {
  std::vector<Bytes8> frames;
  for (std::size_t i = 0; i < built.size() && frames.size() < 6; i += 3) frames.push_back(built[i].second);
  c.pcap.Add("built-pcap-le-usec", ClassicPcap(false, false, frames, 65535, false));
  c.pcap.Add("built-pcap-be-nsec", ClassicPcap(true, true, frames, 65535, false));
  c.pcap.Add("built-pcap-le-snaplen-64", ClassicPcap(false, true, frames, 64, false));
  c.pcap.Add("built-pcap-be-cut-record", ClassicPcap(true, false, frames, 65535, true));
  c.pcap.Add("built-pcap-header-only", ClassicPcap(false, false, {}, 65535, false));

  c.pcap.Add("built-pcapng-le-one-idb",
             Pcapng(false).Shb().Idb(1, 0).Epb(0, 1700000000123456ull, frames[0])
                 .Epb(0, 1700000000123457ull, frames[1], 40).bytes());
  c.pcap.Add("built-pcapng-be-tsresol-ns",
             Pcapng(true).Shb().Idb(1, 262144, 9).Epb(0, 1700000000123456789ull, frames[2]).bytes());
  c.pcap.Add("built-pcapng-two-idbs-snaplen-differs",
             Pcapng(false).Shb().Idb(1, 65535).Idb(1, 128, 6).Epb(0, 1, frames[0]).Epb(1, 2, frames[1])
                 .Spb(frames[2]).bytes());
  c.pcap.Add("built-pcapng-two-sections-le-be",
             Pcapng(false).Shb().Idb(1, 0).Epb(0, 5, frames[0])
                 .Append(Pcapng(true).Shb().Idb(101, 2048, 0x83, 3600).Epb(0, 9, frames[3]).bytes())
                 .bytes());
  c.pcap.Add("built-pcapng-obsolete-pb-unknown-block",
             Pcapng(false).Shb().Unknown(0x00000BAD).Idb(1, 0).ObsoletePb(0, 7, frames[4])
                 .Unknown(0x80000001).bytes());
  c.pcap.Add("built-pcapng-no-idb", Pcapng(false).Shb().Unknown(5).bytes());
  Bytes8 bad_trailer = Pcapng(false).Shb().Idb(1, 0).Epb(0, 1, frames[0]).bytes();
  bad_trailer[bad_trailer.size() - 1] ^= 0x10;
  c.pcap.Add("built-pcapng-bad-trailer", bad_trailer);
}

// ---- the ndis_oob and toeplitz inputs -----------------------------------------------------------

void AddOobSeeds(CorpusDir& dir) {
  struct Seed {
    const char* name;
    std::uint32_t a, b;
    std::array<std::uint8_t, 8> caps;
    const char* text;
  };
  const std::array<Seed, 10> seeds{{
      {"supplemental-42-14-20", 0x001438AB, 0x00140E2A, {0xbb, 0xbb, 0xbb, 0, 0, 1, 0, 0}, "IsEncapsulatedPacket"},
      {"lsov2-mss-1398", 0x40000576, 1460, {0xbb, 0xbb, 0xbb, 0, 0, 1, 0, 0}, "TCP_IPV4,IPV4,ndis_hash_udp_ipv6"},
      {"lsov2-ipv6", 0xC00005A0, 0x3FFFFFFF, {0xff, 0xff, 0xff, 0, 0, 1, 0, 0}, "NDIS_HASH_TCP_IPV6|NDIS_HASH_IPV6_EX"},
      {"checksum-tx", 0x00220015, 0xB, {0x0b, 0, 0, 0, 0, 2, 0, 0}, "INNER_IPV4|OUTER_IPV4|OUTER_IPV6"},
      {"checksum-rx", 0x00000038, 0xF, {0, 0, 0, 0, 0, 0, 0, 0}, "NOT_SUPPORTED"},
      {"hash-tcp-ipv4-toeplitz", 0x00000201, 0x0001FF00, {0xbb, 0xbb, 0xbb, 0xff, 0xff, 0xff, 0xff, 0xff}, "NdisHashFunctionToeplitz"},
      {"uso-ipv6", 0x80000400, 0x40000000, {0x1, 0x2, 0x4, 0x8, 0, 1, 0, 0}, " udp_ipv4 , , tcp_ipv6_ex "},
      {"vsid-reserved-bits", 0xFF123456, 0xFFFFFFFF, {0, 0, 0, 0, 0, 0, 0, 0}, "NDIS_ENCAPSULATED_PACKET_TASK_OFFLOAD_INNER_IPV6"},
      {"filtering-queue-7", 0x00070000, 0, {0, 0, 0, 0, 0, 0, 0, 0}, "IPV4|BOGUS"},
      {"all-ones", 0xFFFFFFFF, 0xFFFFFFFF, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "TcpChecksumSucceeded"},
  }};
  for (const Seed& s : seeds) {
    Bytes8 b;
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(s.a >> (8 * i)));
    for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::uint8_t>(s.b >> (8 * i)));
    b.insert(b.end(), s.caps.begin(), s.caps.end());
    const std::string text(s.text);
    b.insert(b.end(), text.begin(), text.end());
    dir.Add(std::string("seed-") + s.name, b);
  }
}

void AddToeplitzSeeds(CorpusDir& dir) {
  // spec §10.3 verification key and its first IPv4 and IPv6 tuples (msdocs / Intel 82599).
  const std::array<std::uint8_t, 40> key{
      0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
      0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
      0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};
  const std::array<std::uint8_t, 12> v4{66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xa6};
  const std::array<std::uint8_t, 36> v6{0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0,
                                        0, 0, 0, 0x06, 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
                                        0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf, 0x0a, 0xea,
                                        0x06, 0xa6};
  Bytes8 b{40};
  b.insert(b.end(), key.begin(), key.end());
  b.push_back(12);
  b.insert(b.end(), v4.begin(), v4.end());
  b.push_back(36);
  b.insert(b.end(), v6.begin(), v6.end());
  b.push_back(8);
  b.insert(b.end(), v4.begin(), v4.begin() + 8);
  dir.Add("seed-msdocs-verification", b);
  Bytes8 longer{240};
  for (int i = 0; i < 240; ++i) longer.push_back(static_cast<std::uint8_t>(i * 37 + 11));
  longer.push_back(236);
  for (int i = 0; i < 236; ++i) longer.push_back(static_cast<std::uint8_t>(i));
  longer.push_back(200);
  for (int i = 0; i < 200; ++i) longer.push_back(static_cast<std::uint8_t>(255 - i));
  dir.Add("seed-long-key-236", longer);
  dir.Add("seed-empty-key", Bytes8{0, 4, 1, 2, 3, 4, 0});
}

// ---- keywords and OIDs ---------------------------------------------------------------------------

void AddKeywordSeeds(CorpusDir& dir) {
  const std::array<std::pair<const char*, std::string>, 6> texts{{
      {"defaults-spelled-out", "*EncapsulatedPacketTaskOffload=1\n*IPChecksumOffloadIPv4=3\n"
                               "*TCPChecksumOffloadIPv4=3\n*TCPChecksumOffloadIPv6=3\n"
                               "*UDPChecksumOffloadIPv4=3\n*UDPChecksumOffloadIPv6=3\n*LsoV2IPv4=1\n"
                               "*LsoV2IPv6=1\n*RSS=1\n*VMQ=1\n*RscIPv4=1\n*RscIPv6=1\n*UsoIPv4=1\n"
                               "*UsoIPv6=1\n*JumboPacket=9014\n"},
      {"header-example", "*EncapsulatedPacketTaskOffload=1\n*RSS=7\n*Vendor=x\n"},
      {"crlf-comments", "# adapter\r\n; ini style\r\n*lsov2ipv4 = 0\r\n\r\n*VMQ=0\r\n"},
      {"duplicates-invalid", "*RSS=1\n*RSS=0\n*JumboPacket=100\n*TCPChecksumOffloadIPv4=+3\n=1\nnoequals\n"},
      {"no-final-newline", "*UsoIPv6=0"},
      {"empty", ""},
  }};
  for (const auto& [name, text] : texts) {
    for (const std::uint8_t ops : {std::uint8_t{0}, std::uint8_t{2}}) {
      // ops Set calls: *LsoV2IPv6 (7) = 0, *JumboPacket (14) = 9014.
      Bytes8 b{ops};
      if (ops == 2) b.insert(b.end(), {7, 0, 0, 0, 0, 14, 0, 0, 0x23, 0x36});
      b.insert(b.end(), text.begin(), text.end());
      dir.Add(std::string("seed-") + name + (ops ? "-set2" : ""), b);
    }
  }
}

void AddAdapterSeeds(CorpusDir& dir) {
  using namespace nvgre::offload;  // NOLINT
  auto request = [](Bytes8& b, std::uint8_t kind, std::span<const std::uint8_t> bytes) {
    b.push_back(kind);
    b.push_back(static_cast<std::uint8_t>(bytes.size()));
    b.insert(b.end(), bytes.begin(), bytes.end());
  };
  OffloadParameters on;
  on.encapsulated_packet_task_offload = kNdisOffloadSetOn;
  on.encapsulation_types = kNdisEncapsulationTypeGreMac;
  OffloadParameters off = on;
  off.encapsulated_packet_task_offload = kNdisOffloadSetOff;
  off.encapsulation_types = 0;
  off.tcp_ipv4_checksum = kOffloadParametersRxEnabledTxDisabled;
  off.lso_v2_ipv6 = kOffloadParametersDisabled;
  off.rsc_ipv4 = kOffloadParametersDisabled;
  off.uso_ipv4 = kOffloadParametersDisabled;
  OffloadParameters rev3 = on;
  rev3.revision = 3;
  OffloadParameters vxlan = on;
  vxlan.encapsulation_types = kNdisEncapsulationTypeVxlan;
  const Bytes8 encap_on{1, 0, 14, 1, 0, 14};  // kind 1 fields: enabled, 802.3 (bool), size
  const Bytes8 current = Adapter().CurrentConfig().ToBytes(kNdisOffloadMaxRevision);
  const Bytes8 current3 = Adapter().CurrentConfig().ToBytes(3);

  Bytes8 a;
  request(a, 1, encap_on);
  request(a, 0, on.ToBytes());
  request(a, 0, off.ToBytes());
  request(a, 0, on.ToBytes());
  dir.Add("seed-encap-on-off-on", a);
  Bytes8 b;
  request(b, 0, rev3.ToBytes());
  request(b, 3, off.ToBytes());
  request(b, 0, vxlan.ToBytes());
  dir.Add("seed-rev3-parse-vxlan", b);
  Bytes8 c;
  request(c, 2, current);
  request(c, 2, current3);
  dir.Add("seed-ndis-offload-images", c);
}

// ---- the project's test arrays ------------------------------------------------------------------

std::vector<std::pair<std::string, Bytes8>> TestArrays(const fs::path& tests) {
  std::vector<std::pair<std::string, Bytes8>> out;
  const std::regex decl(R"(std::array<std::uint8_t,\s*\d+>\s+(k\w+)\s*\{([^}]*)\})");
  const std::regex number(R"(0[xX][0-9a-fA-F]+|\b\d+\b)");
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(tests)) {
    if (e.is_regular_file() && e.path().filename().string().ends_with("_test.cc")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::ifstream in(f);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator it(text.begin(), text.end(), decl), end; it != end; ++it) {
      std::string body = (*it)[2].str();
      // Drop comments inside the initializer.
      body = std::regex_replace(body, std::regex(R"(//[^\n]*)"), "");
      Bytes8 bytes;
      for (std::sregex_iterator n(body.begin(), body.end(), number), e; n != e; ++n) {
        bytes.push_back(static_cast<std::uint8_t>(std::stoul(n->str(), nullptr, 0)));
      }
      if (bytes.size() >= 4) out.emplace_back("test-" + f.stem().string() + "-" + (*it)[1].str(), bytes);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path shared, tests, out;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--shared") shared = argv[i + 1];
    if (flag == "--tests") tests = argv[i + 1];
    if (flag == "--out") out = argv[i + 1];
  }
  if (shared.empty() || tests.empty() || out.empty()) {
    std::fprintf(stderr, "usage: %s --shared DIR --tests DIR --out DIR\n", argv[0]);
    return 2;
  }
  Corpora c(out);

  // The shared captures.
  std::vector<fs::path> captures;
  for (const auto& e : fs::directory_iterator(shared)) {
    const auto ext = e.path().extension();
    if (ext == ".pcap" || ext == ".pcapng") captures.push_back(e.path());
  }
  std::sort(captures.begin(), captures.end());
  for (const fs::path& p : captures) {
    const std::string stem = p.stem().string();
    if (fs::file_size(p) <= 16384) {
      std::ifstream in(p, std::ios::binary);
      const Bytes8 whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      c.pcap.Add(stem + p.extension().string(), whole);
    }
    auto opened = nvgre::io::PcapReader::Open(p.string());
    if (std::holds_alternative<nvgre::io::IoError>(opened)) continue;
    auto& reader = std::get<nvgre::io::PcapReader>(opened);
    if (reader.linktype() != 1) continue;  // Ethernet only
    std::map<Shape, int> shapes;
    nvgre::io::PacketRecord rec;
    Bytes8 burst = RxControls(0x9F, 0);  // the first frames of the capture as one Rx burst
    Bytes8 verify_burst = VerifyControls(0x00, 0);  // ... and as one verify input
    std::size_t in_burst = 0;
    while (reader.Next(rec, nullptr) == nvgre::io::PcapReader::Status::kPacket) {
      if (rec.linktype != 1) continue;
      if (in_burst < 8 && rec.data.size() <= 2048) {
        AppendFrame(burst, rec.data);
        AppendFrame(verify_burst, rec.data);
        ++in_burst;
      }
      if (++shapes[ShapeOf(ClassifyFrame(rec.data, rec.wire_len))] > 2) continue;
      AddFrame(c, stem + "-" + std::to_string(rec.index), rec.data);
    }
    if (in_burst > 1) c.rx.Add(stem + "-burst", burst);
    if (in_burst > 1) c.verify.Add(stem + "-burst", verify_burst);
  }

  // The project's own test arrays: frames where they classify as such; every array also as a
  // header-level input for the views that parse it at offset 0.
  for (const auto& [name, bytes] : TestArrays(tests)) {
    const FrameLayout l = ClassifyFrame(bytes);
    if (l.outer_l3.present()) AddFrame(c, name, bytes);
    const std::span<const std::uint8_t> b(bytes);
    if (Ipv4View::Parse(b)) c.ipv4.Add(name, b);
    if (Ipv6View::Parse(b)) c.ipv6.Add(name, b);
    if (GreView::Parse(b) && !l.outer_l3.present()) c.gre.Add(name, b);
    if (TcpView::Parse(b) && !l.outer_l3.present()) c.tcp.Add(name, b);
  }

  const auto built = BuiltFrames();
  for (const auto& [name, frame] : built) AddFrame(c, name, frame);
  AddCaptureFiles(c, built);
  AddOobSeeds(c.oob);
  AddKeywordSeeds(c.keywords);
  AddAdapterSeeds(c.adapter);
  {
    Bytes8 rules = VerifyControls(0x02, 0);
    const std::string list = "csum, -lso.order,nvgre.*, all ,-nvgre.c-bit";
    rules.insert(rules.end(), list.begin(), list.end());
    c.verify.Add("seed-rules-list", rules);
  }
  AddToeplitzSeeds(c.toeplitz);

  for (const CorpusDir* d : {&c.classifier, &c.ethernet, &c.ipv4, &c.ipv6, &c.gre, &c.tcp, &c.udp,
                             &c.icmp, &c.checksum, &c.pcap, &c.oob, &c.toeplitz, &c.tx, &c.rx,
                             &c.keywords, &c.adapter, &c.verify, &c.decap}) {
    std::printf("%-40s %zu files\n", d->dir().c_str(), d->count());
  }
  return 0;
}
