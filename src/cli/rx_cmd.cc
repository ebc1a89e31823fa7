// `nvgre rx FILE [--json] [--rss-key HEX] [--rss-types LIST] [--indirection N]
//                [--vmq FILTER=QUEUE ...] [--keywords FILE] [--encap-offload on|off] [--rsc]`
//
// Puts every frame of a pcap/pcapng capture through the emulated NIC's receive engine
// (offload/rx_engine.h) and prints what the NIC would indicate: the NDIS checksum flags (names
// and raw value), the RSS hash value / type / function with its indirection slot and queue,
// and the VMQ queue with the matching filter; then a summary with per-queue counts.
//
// The adapter it models: capabilities AdapterCapabilities::Default() (every offload, all
// NVGRE INNER/OUTER masks, MaxHeaderSizeSupported 256, its 16 RSS and 16 VMQ queues, as
// `nvgre adapter show` reports them; --indirection entry i steers to RSS queue i mod 16);
// keywords from --keywords (defaults otherwise); a protocol stack that has already sent
// OID_OFFLOAD_ENCAPSULATION (IPv4 and IPv6, IEEE 802.3), OID_TCP_OFFLOAD_PARAMETERS with
// EncapsulatedPacketTaskOffload ON / GRE_MAC (unless --encap-offload off, or the keywords say
// *EncapsulatedPacketTaskOffload=0 or *EncapsulatedPacketTaskOffloadNvgre=0 and --encap-offload
// is not given),
// OID_GEN_RECEIVE_SCALE_PARAMETERS (key, types, table) and one OID_RECEIVE_FILTER_SET_FILTER
// per --vmq (filter ids 1, 2, ... in order).
//
// FILTER syntax (--vmq FILTER=QUEUE; the text after the last '=' is the queue, 0..15):
//   FILTER := TERM[,TERM...]
//   TERM   := mac=MAC          destination MAC Equal
//           | mac!=MAC         destination MAC NotEqual
//           | mac=MAC/MASK     destination MAC MaskEqual: (dst & MASK) == MAC
//           | vlan=N | vlan!=N | vlan=N/MASK   VLAN id Equal / NotEqual / MaskEqual (0..4095)
//           | untagged         on the mac term: NDIS_RECEIVE_FILTER_FIELD_MAC_HEADER_VLAN_UNTAGGED_OR_ZERO
//           | encap            NDIS_RECEIVE_FILTER_PACKET_ENCAPSULATION_GRE: test the inner MAC header
//   e.g. --vmq mac=00:15:5d:00:00:01,encap=3 --vmq mac=00:15:5d:00:00:00/ff:ff:ff:00:00:00,vlan=5=2
//
// Exit status: 0 when the capture was read; 2 for a bad option, a file that cannot be opened or
// is not a capture, or a record part-way that is bad (the frames before it are still reported).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cli/adapter_cmd.h"
#include "cli/command.h"
#include "nvgre/io/pcap_file.h"
#include "nvgre/offload/adapter.h"
#include "nvgre/offload/rsc.h"
#include "nvgre/offload/rx_engine.h"

namespace nvgre::cli {
namespace {

using nlohmann::json;
using namespace nvgre::offload;

constexpr int kLinktypeEthernet = 1;

struct RxOptions {
  std::string path;
  bool json = false;
  std::string rss_key;
  std::string rss_types;
  unsigned indirection = 8;
  std::vector<std::string> vmq;
  std::string keywords;
  std::string encap_offload;
  bool rsc = false;
};

std::string Hex(std::uint32_t v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
  return buf;
}

std::optional<int> HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// 40 bytes as 80 hex digits; ':', '-', ' ' and a leading 0x are ignored.
std::optional<std::array<std::uint8_t, kRssKeySize>> ParseKey(std::string text) {
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) text = text.substr(2);
  std::vector<int> digits;
  for (char c : text) {
    if (c == ':' || c == '-' || c == ' ') continue;
    const auto d = HexDigit(c);
    if (!d) return std::nullopt;
    digits.push_back(*d);
  }
  if (digits.size() != 2 * kRssKeySize) return std::nullopt;
  std::array<std::uint8_t, kRssKeySize> key{};
  for (std::size_t i = 0; i < kRssKeySize; ++i) {
    key[i] = static_cast<std::uint8_t>(digits[2 * i] * 16 + digits[2 * i + 1]);
  }
  return key;
}

std::optional<wire::MacAddress> ParseMac(const std::string& text) {
  wire::MacAddress mac{};
  std::size_t i = 0, pos = 0;
  for (; i < 6; ++i) {
    if (pos + 2 > text.size()) return std::nullopt;
    const auto hi = HexDigit(text[pos]), lo = HexDigit(text[pos + 1]);
    if (!hi || !lo) return std::nullopt;
    mac[i] = static_cast<std::uint8_t>(*hi * 16 + *lo);
    pos += 2;
    if (i < 5) {
      if (pos >= text.size() || (text[pos] != ':' && text[pos] != '-')) return std::nullopt;
      ++pos;
    }
  }
  if (pos != text.size()) return std::nullopt;
  return mac;
}

std::optional<unsigned> ParseUnsigned(const std::string& text, unsigned max) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

// FILTER=QUEUE (see the file comment). On failure returns the reason.
std::variant<ReceiveFilter, std::string> ParseVmq(const std::string& spec, std::uint32_t id) {
  const std::size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0) return std::string("expected FILTER=QUEUE");
  const auto queue = ParseUnsigned(spec.substr(eq + 1), 0xFFFF);
  if (!queue) return std::string("bad queue '" + spec.substr(eq + 1) + "'");
  ReceiveFilter f;
  f.filter_id = id;
  f.queue_id = static_cast<std::uint16_t>(*queue);
  std::optional<std::size_t> mac_field;
  bool untagged = false;
  std::string rest = spec.substr(0, eq);
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t comma = rest.find(',', start);
    if (comma == std::string::npos) comma = rest.size();
    const std::string term = rest.substr(start, comma - start);
    start = comma + 1;
    if (term == "encap") {
      f.flags |= kReceiveFilterPacketEncapsulationGre;
      continue;
    }
    if (term == "untagged") {
      untagged = true;
      continue;
    }
    const bool not_equal = term.find("!=") != std::string::npos;
    const std::size_t op = term.find(not_equal ? "!=" : "=");
    if (op == std::string::npos) return std::string("bad term '" + term + "'");
    const std::string name = term.substr(0, op);
    const std::string value = term.substr(op + (not_equal ? 2 : 1));
    const std::size_t slash = value.find('/');
    const std::string v = value.substr(0, slash);
    const std::string mask = slash == std::string::npos ? "" : value.substr(slash + 1);
    ReceiveFilterField field;
    if (name == "mac") {
      const auto mac = ParseMac(v);
      if (!mac) return std::string("bad MAC '" + v + "'");
      if (!mask.empty()) {
        const auto m = ParseMac(mask);
        if (!m || not_equal) return std::string("bad MAC mask '" + mask + "'");
        wire::MacAddress result{};
        for (std::size_t i = 0; i < 6; ++i) result[i] = static_cast<std::uint8_t>((*mac)[i] & (*m)[i]);
        field = ReceiveFilterField::MacMaskEquals(*m, result);
      } else {
        field = not_equal ? ReceiveFilterField::MacNotEquals(*mac) : ReceiveFilterField::MacEquals(*mac);
      }
      mac_field = f.field_count;
    } else if (name == "vlan") {
      const auto vid = ParseUnsigned(v, 4095);
      if (!vid) return std::string("bad VLAN id '" + v + "'");
      if (!mask.empty()) {
        const auto m = ParseUnsigned(mask, 4095);
        if (!m || not_equal) return std::string("bad VLAN mask '" + mask + "'");
        field = ReceiveFilterField::VlanMaskEquals(static_cast<std::uint16_t>(*m),
                                                   static_cast<std::uint16_t>(*vid & *m));
      } else {
        field = not_equal ? ReceiveFilterField::VlanNotEquals(static_cast<std::uint16_t>(*vid))
                          : ReceiveFilterField::VlanEquals(static_cast<std::uint16_t>(*vid));
      }
    } else {
      return std::string("unknown field '" + name + "' (mac, vlan)");
    }
    if (!f.AddField(field)) return std::string("too many terms");
  }
  if (untagged) {
    if (!mac_field) return std::string("'untagged' needs a mac term");
    f.fields[*mac_field].flags |= kReceiveFilterFieldMacHeaderVlanUntaggedOrZero;
  }
  return f;
}

std::vector<std::string> FlagNames(const ChecksumRxInfo& c) {
  std::vector<std::string> names;
  for (std::string_view n : c.FlagNames()) names.emplace_back(n);
  return names;
}

std::string FlagText(const ChecksumRxInfo& c) {
  std::string s;
  for (std::string_view n : c.FlagNames()) {
    if (!s.empty()) s += '|';
    s += n;
  }
  return s.empty() ? "none" : s;
}

struct Summary {
  std::uint64_t frames = 0, indications = 0, skipped_linktype = 0, hashed = 0, coalesced = 0;
  std::map<std::string, std::uint64_t> paths, not_offloaded, flags, rss_queues, vmq_queues, vmq_filters;
};

// What one indication (a frame, or with --rsc possibly several merged) looks like.
struct Line {
  std::uint64_t frame = 0, last_frame = 0;
  std::uint16_t segments = 1;
  std::size_t length = 0;
  RxPath path = RxPath::kNotIp;
  RxNotOffloaded reason = RxNotOffloaded::kNone;
  bool inner_checksum = false, inner_rss = false, inner_vmq = false;
  std::uint8_t outer_ip_version = 0, inner_ip_version = 0;  // 0: no such header
  ChecksumRxInfo checksum;
  RssResult rss;
  bool vmq_handled = false;
  VmqMatch vmq;
};

void Emit(const Line& l, const RxOptions& o, Summary& sum, std::ostream& out) {
  ++sum.indications;
  ++sum.paths[std::string(ToString(l.path))];
  if (l.path == RxPath::kEncapsulationNotOffloaded) ++sum.not_offloaded[std::string(ToString(l.reason))];
  for (const auto& n : FlagNames(l.checksum)) ++sum.flags[n];
  if (l.rss.computed()) {
    ++sum.hashed;
    ++sum.rss_queues[std::to_string(l.rss.queue)];
  }
  if (l.vmq_handled) {
    ++sum.vmq_queues[std::to_string(l.vmq.queue)];
    if (l.vmq.filter_id != 0) ++sum.vmq_filters[std::to_string(l.vmq.filter_id)];
  }
  if (o.json) {
    json j;
    j["frame"] = l.frame;
    if (o.rsc) {
      j["last_frame"] = l.last_frame;
      j["coalesced_segments"] = l.segments;
      j["length"] = l.length;
    }
    j["path"] = std::string(ToString(l.path));
    j["not_offloaded_reason"] =
        l.path == RxPath::kEncapsulationNotOffloaded ? json(std::string(ToString(l.reason))) : json(nullptr);
    j["inner_offloads"] = {{"checksum", l.inner_checksum}, {"rss", l.inner_rss}, {"vmq", l.inner_vmq}};
    auto version = [](std::uint8_t v) { return v == 0 ? json(nullptr) : json(v); };
    j["ip_versions"] = {{"outer", version(l.outer_ip_version)}, {"inner", version(l.inner_ip_version)}};
    j["checksum_flags"] = FlagNames(l.checksum);
    j["checksum_raw"] = l.checksum.raw();
    if (l.rss.computed()) {
      j["rss"] = {{"hash", l.rss.hash},
                  {"hash_hex", Hex(l.rss.hash, 8)},
                  {"type", std::string(HashTypeName(l.rss.type))},
                  {"function", std::string(HashFunctionName(kNdisHashFunctionToeplitz))},
                  {"hash_info", l.rss.hash_info().raw()},
                  {"tuple", std::string(ToString(l.rss.tuple))},
                  {"slot", l.rss.slot},
                  {"queue", l.rss.queue}};
    } else {
      j["rss"] = nullptr;
    }
    j["vmq_queue"] = l.vmq_handled ? json(l.vmq.queue) : json(nullptr);
    j["vmq_filter"] = l.vmq_handled && l.vmq.filter_id != 0 ? json(l.vmq.filter_id) : json(nullptr);
    j["vmq_inner_header"] = l.vmq.inner_header;
    j["filtering_info"] = l.vmq_handled ? l.vmq.filtering_info().raw() : 0u;
    out << j.dump() << "\n";
    return;
  }
  out << l.frame;
  if (o.rsc && l.segments > 1) out << "-" << l.last_frame << " (" << l.segments << " segments, " << l.length << " bytes)";
  out << " " << ToString(l.path);
  if (l.path == RxPath::kEncapsulationNotOffloaded) out << " (" << ToString(l.reason) << ")";
  out << " csum=" << FlagText(l.checksum) << " (" << Hex(l.checksum.raw(), 3) << ")";
  if (l.rss.computed()) {
    out << " rss=" << Hex(l.rss.hash, 8) << " " << HashTypeName(l.rss.type) << " Toeplitz "
        << ToString(l.rss.tuple) << " slot=" << unsigned{l.rss.slot} << " queue=" << l.rss.queue;
  } else {
    out << " rss=none";
  }
  if (l.vmq_handled) {
    out << " vmq=" << l.vmq.queue;
    if (l.vmq.filter_id != 0) out << " filter=" << l.vmq.filter_id << (l.vmq.inner_header ? " (inner)" : " (outer)");
  } else {
    out << " vmq=off";
  }
  out << "\n";
}

Line LineOf(std::uint64_t frame, std::size_t length, const RxResult& r) {
  Line l;
  l.frame = l.last_frame = frame;
  l.length = length;
  l.path = r.path;
  l.reason = r.reason;
  l.inner_checksum = r.inner_checksum;
  l.inner_rss = r.inner_rss;
  l.inner_vmq = r.inner_vmq;
  l.outer_ip_version = r.layout.outer_l3.version;
  l.inner_ip_version = r.layout.inner_l3.version;
  l.checksum = r.checksum;
  l.rss = r.rss;
  l.vmq_handled = r.vmq_handled;
  l.vmq = r.vmq;
  return l;
}

// --rsc: indications come from the coalescer; the per-frame facts of the first segment are
// remembered by tag (the frame number).
struct RscPrinter : RscSink {
  const RxOptions& o;
  Summary& sum;
  std::ostream& out;
  std::map<std::uint64_t, Line> pending;
  RscPrinter(const RxOptions& opts, Summary& s, std::ostream& os) : o(opts), sum(s), out(os) {}
  void Indicate(std::span<const std::uint8_t> frame, const RscIndication& info) override {
    Line l = pending[info.first_tag];
    l.last_frame = info.last_tag;
    l.segments = info.coalesced_segments;
    l.length = frame.size();
    l.checksum = info.checksum;
    if (info.coalesced_segments > 1) sum.coalesced += info.coalesced_segments;
    for (auto it = pending.begin(); it != pending.end() && it->first <= info.last_tag;) it = pending.erase(it);
    Emit(l, o, sum, out);
  }
};

int RunRx(const RxOptions& o, std::ostream& out, std::ostream& err) {
  auto kw = LoadKeywordsFile(o.keywords, /*missing_ok=*/false, "rx", err);
  if (!kw) return 2;
  // The adapter `nvgre adapter show` describes: the same receive queue count.
  const AdapterCapabilities caps = AdapterCapabilities::Default();
  Adapter adapter(caps, *kw);

  (void)adapter.SetOffloadEncapsulation(OffloadEncapsulation::Ethernet());
  // A stack that honours the keywords turns NVGRE (GRE_MAC) on only when both allow it (§12).
  bool encap_on = kw->Enabled(Keyword::kEncapsulatedPacketTaskOffload) &&
                  kw->Enabled(Keyword::kEncapsulatedPacketTaskOffloadNvgre);
  if (o.encap_offload == "on") encap_on = true;
  else if (o.encap_offload == "off") encap_on = false;
  else if (!o.encap_offload.empty()) {
    err << "nvgre rx: --encap-offload: expected on or off\n";
    return 2;
  }
  if (encap_on) {
    OffloadParameters p;
    p.encapsulated_packet_task_offload = kNdisOffloadSetOn;
    p.encapsulation_types = kNdisEncapsulationTypeGreMac;
    if (const NdisStatus st = adapter.SetOffloadParameters(p); st != NdisStatus::kSuccess) {
      err << "nvgre rx: OID_TCP_OFFLOAD_PARAMETERS: " << ToString(st) << "\n";
      return 2;
    }
  }

  RssParameters rss;
  if (!o.rss_key.empty()) {
    const auto key = ParseKey(o.rss_key);
    if (!key) {
      err << "nvgre rx: --rss-key: expected 40 bytes as 80 hex digits\n";
      return 2;
    }
    rss.key = *key;
  }
  if (!o.rss_types.empty()) {
    std::string_view bad;
    const auto types = ParseHashTypeList(o.rss_types, &bad);
    if (!types) {
      err << "nvgre rx: --rss-types: unknown hash type '" << bad << "'\n";
      return 2;
    }
    rss.hash_types = *types;
  }
  if (o.indirection < 1 || o.indirection > kRssMaxIndirectionEntries) {
    err << "nvgre rx: --indirection: expected a power of two in 1..128\n";
    return 2;
  }
  const auto entries = static_cast<std::uint16_t>(o.indirection);
  rss.SetIndirection(entries, std::min(entries, caps.rss_queues));  // entry i -> queue i mod 16
  if (const NdisStatus st = adapter.SetRssParameters(rss); st != NdisStatus::kSuccess) {
    if (!kw->Enabled(Keyword::kRss)) {
      err << "nvgre rx: RSS disabled by *RSS=0\n";
    } else {
      err << "nvgre rx: OID_GEN_RECEIVE_SCALE_PARAMETERS: " << ToString(st) << ": "
          << ToString(ValidateRss(rss, caps.rss_queues)) << "\n";
      return 2;
    }
  }
  for (std::size_t i = 0; i < o.vmq.size(); ++i) {
    auto parsed = ParseVmq(o.vmq[i], static_cast<std::uint32_t>(i + 1));
    if (auto* why = std::get_if<std::string>(&parsed)) {
      err << "nvgre rx: --vmq " << o.vmq[i] << ": " << *why << "\n";
      return 2;
    }
    const ReceiveFilter& f = std::get<ReceiveFilter>(parsed);
    if (const NdisStatus st = adapter.SetReceiveFilter(f); st != NdisStatus::kSuccess) {
      err << "nvgre rx: --vmq " << o.vmq[i] << ": OID_RECEIVE_FILTER_SET_FILTER: " << ToString(st)
          << ": " << ToString(ValidateFilter(f, caps.vmq_queues)) << "\n";
      return 2;
    }
  }

  auto opened = io::PcapReader::Open(o.path);
  if (auto* e = std::get_if<io::IoError>(&opened)) {
    err << "nvgre rx: " << e->message << "\n";
    return 2;
  }
  io::PcapReader& reader = std::get<io::PcapReader>(opened);
  RxEngine engine(adapter);
  Summary sum;
  std::vector<std::uint8_t> storage(o.rsc ? 65536 + 1024 : 0);
  RscCoalescer rsc(storage);
  RscPrinter printer(o, sum, out);
  if (o.rsc) adapter.SetDrainHook([&] { rsc.Flush(printer); });
  io::PacketRecord rec;
  io::IoError read_error;
  bool read_failed = false;
  for (;;) {
    const auto st = reader.Next(rec, &read_error);
    if (st == io::PcapReader::Status::kEnd) break;
    if (st == io::PcapReader::Status::kError) {
      read_failed = true;
      break;
    }
    ++sum.frames;
    if (rec.linktype != kLinktypeEthernet) {
      ++sum.skipped_linktype;
      if (o.rsc) rsc.Flush(printer);
      if (o.json) {
        out << json{{"frame", rec.index}, {"skipped", "linktype " + std::to_string(rec.linktype)}}.dump() << "\n";
      } else {
        out << rec.index << " skipped: link type " << rec.linktype << " is not Ethernet\n";
      }
      continue;
    }
    const RxResult r = engine.Process(rec.data, rec.wire_len);
    if (!o.rsc) {
      Emit(LineOf(rec.index, rec.data.size(), r), o, sum, out);
      continue;
    }
    printer.pending[rec.index] = LineOf(rec.index, rec.data.size(), r);
    rsc.Offer(*adapter.Snapshot(), rec.data, r, rec.index, printer);
  }
  if (o.rsc) rsc.Flush(printer);

  const RxStats& stats = engine.stats();
  if (o.json) {
    json s;
    s["frames"] = sum.frames;
    s["indications"] = sum.indications;
    s["encap_offload"] = encap_on ? "on" : "off";
    s["paths"] = sum.paths;
    s["not_offloaded_reasons"] = sum.not_offloaded;
    s["checksum_flags"] = sum.flags;
    s["ip_checksum_failed"] = stats.ip_checksum_failed;
    s["l4_checksum_failed"] = stats.l4_checksum_failed;
    s["hashed"] = sum.hashed;
    s["rss_queues"] = sum.rss_queues;
    s["vmq_queues"] = sum.vmq_queues;
    s["vmq_filters"] = sum.vmq_filters;
    if (o.rsc) s["coalesced_segments"] = sum.coalesced;
    s["skipped_linktype"] = sum.skipped_linktype;
    if (read_failed) s["read_error"] = read_error.message;
    out << json{{"summary", s}}.dump() << "\n";
  } else {
    out << "--\n" << sum.frames << " frames, " << sum.indications << " indications (" << reader.format()
        << "), NVGRE task offload " << (encap_on ? "on" : "off") << "\n";
    auto dump = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
      if (m.empty()) return;
      out << title << ":";
      for (const auto& [k, v] : m) out << " " << k << "=" << v;
      out << "\n";
    };
    dump("paths", sum.paths);
    dump("not offloaded because", sum.not_offloaded);
    dump("checksum flags", sum.flags);
    out << "hashed: " << sum.hashed << "\n";
    dump("RSS queues", sum.rss_queues);
    dump("VMQ queues", sum.vmq_queues);
    dump("VMQ filters matched", sum.vmq_filters);
    if (o.rsc) out << "coalesced segments: " << sum.coalesced << "\n";
    if (sum.skipped_linktype) out << "skipped (not Ethernet): " << sum.skipped_linktype << "\n";
    if (read_failed) out << "read error: " << read_error.message << "\n";
  }
  if (read_failed) {
    err << "nvgre rx: " << read_error.message << "\n";
    return 2;  // as verify: the frames before the bad record were processed and reported
  }
  return 0;
}

void AddRx(CLI::App& app, Runner& run) {
  auto o = std::make_shared<RxOptions>();
  auto* cmd = app.add_subcommand(
      "rx",
      "put every frame of a capture through the emulated NIC's receive offloads (checksum "
      "validation, RSS, VMQ; RSC with --rsc) and print what it would indicate to NDIS.\n"
      "Models an adapter whose stack already sent OID_OFFLOAD_ENCAPSULATION and "
      "OID_TCP_OFFLOAD_PARAMETERS with NVGRE task offload ON (unless --encap-offload off, or "
      "*EncapsulatedPacketTaskOffload=0 in --keywords without --encap-offload), RSS parameters and "
      "one receive filter per --vmq.");
  cmd->add_option("file", o->path, "pcap or pcapng file")->required();
  cmd->add_flag("--json", o->json, "one JSON object per indication (JSON Lines), then a summary object");
  cmd->add_option("--rss-key", o->rss_key, "40-byte Toeplitz key as 80 hex digits (default: the MS verification key)");
  cmd->add_option("--rss-types", o->rss_types,
                  "enabled hash types, e.g. TCP_IPV4,IPV4,UDP_IPV6 (default: IPV4,TCP_IPV4,UDP_IPV4,IPV6,TCP_IPV6,UDP_IPV6)");
  cmd->add_option("--indirection", o->indirection,
                  "indirection table entries (power of two 1..128, default 8); entry i steers to RSS queue i mod 16");
  cmd->add_option("--vmq", o->vmq,
                  "FILTER=QUEUE, FILTER = TERM[,TERM..], TERM = mac=MAC | mac!=MAC | mac=MAC/MASK | "
                  "vlan=N | vlan!=N | vlan=N/MASK | untagged | encap (repeatable; ids 1, 2, ...)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--keywords", o->keywords, "keywords file (*Name=value per line) the adapter initializes from");
  cmd->add_option("--encap-offload", o->encap_offload, "on | off: NVGRE task offload state set by the stack");
  cmd->add_flag("--rsc", o->rsc, "coalesce in-order TCP segments of one inner flow (RSC) before indicating");
  cmd->callback([&run, o] { run = [o] { return RunRx(*o, std::cout, std::cerr); }; });
}
const CommandRegistration kRx{"rx", AddRx};

}  // namespace
}  // namespace nvgre::cli
