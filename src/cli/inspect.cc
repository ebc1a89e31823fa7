// `nvgre inspect`: see inspect.h.
#include "cli/inspect.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include <cstdio>
#include <map>
#include <ostream>
#include <sstream>

#include "cli/command.h"

#include "nvgre/io/pcap_file.h"
#include "nvgre/wire/bytes.h"
#include "nvgre/wire/ethernet.h"
#include "nvgre/wire/ipv4.h"
#include "nvgre/wire/ipv6.h"

namespace nvgre::cli {
namespace {

using nlohmann::json;
using wire::CsumState;
using wire::Encapsulation;
using wire::FrameLayout;
using wire::L2Layout;
using wire::L3Layout;

constexpr int kLinktypeEthernet = 1;

std::string Hex(std::uint32_t v, int width) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
  return buf;
}

std::string ProtoName(std::uint8_t p) {
  switch (p) {
    case wire::kIpProtoTcp: return "tcp";
    case wire::kIpProtoUdp: return "udp";
    case wire::kIpProtoIcmp: return "icmp";
    case wire::kIpProtoIcmpv6: return "icmpv6";
    case wire::kIpProtoGre: return "gre";
    case wire::kIpProtoIpv4: return "ipip";
    case wire::kIpProtoIpv6: return "ipv6";
    case wire::kIpProtoEsp: return "esp";
    default: return std::to_string(p);
  }
}

std::string MacAt(std::span<const std::uint8_t> f, std::size_t offset) {
  wire::MacAddress mac;
  for (std::size_t i = 0; i < 6; ++i) mac[i] = f[offset + i];
  return wire::FormatMac(mac);
}

// Source and destination address text of the IP header at `l3` (present, parsed).
std::pair<std::string, std::string> Addresses(std::span<const std::uint8_t> f, const L3Layout& l3) {
  if (l3.version == 4) {
    wire::Ipv4Address s, d;
    for (std::size_t i = 0; i < 4; ++i) {
      s[i] = f[l3.offset + 12 + i];
      d[i] = f[l3.offset + 16 + i];
    }
    return {wire::FormatIpv4(s), wire::FormatIpv4(d)};
  }
  wire::Ipv6Address s, d;
  for (std::size_t i = 0; i < 16; ++i) {
    s[i] = f[l3.offset + 8 + i];
    d[i] = f[l3.offset + 24 + i];
  }
  return {wire::FormatIpv6(s), wire::FormatIpv6(d)};
}

json L2Json(std::span<const std::uint8_t> f, const L2Layout& l2) {
  json j;
  j["dst_mac"] = MacAt(f, l2.offset);
  j["src_mac"] = MacAt(f, l2.offset + 6);
  j["ether_type"] = Hex(l2.ether_type, 4);
  j["vlan_tags"] = l2.vlan_count;
  return j;
}

// Adds the IP (and, when located, transport) fields of one side to `j`.
void L3Json(json& j, std::span<const std::uint8_t> f, const L3Layout& l3, std::uint16_t l4,
            std::uint8_t l4_protocol) {
  if (!l3.present()) {
    j["ip_version"] = nullptr;
    return;
  }
  auto [src, dst] = Addresses(f, l3);
  j["ip_version"] = l3.version;
  j["src"] = src;
  j["dst"] = dst;
  j["proto"] = l3.protocol;
  j["proto_name"] = ProtoName(l3.protocol);
  j["fragment"] = l3.is_fragment;
  if (l4 != wire::kNoHeader && (l4_protocol == wire::kIpProtoTcp || l4_protocol == wire::kIpProtoUdp)) {
    j["sport"] = wire::LoadBe16(f.subspan(l4).first<2>());
    j["dport"] = wire::LoadBe16(f.subspan(l4 + 2u).first<2>());
  }
  if (l4 != wire::kNoHeader && l4_protocol == wire::kIpProtoTcp) {
    j["tcp_flags"] = Hex(f[l4 + 13u], 2);
  }
}

json Offset(std::uint16_t v) { return v == wire::kNoHeader ? json(nullptr) : json(v); }

std::string FailureText(const wire::ParseFailure& e) {
  std::ostringstream s;
  s << wire::ToString(e.error) << " at " << wire::ToString(e.scope) << " " << wire::ToString(e.layer)
    << " (offset " << e.offset << ")";
  return s.str();
}

std::string FailureKey(const wire::ParseFailure& e) {
  std::string s(wire::ToString(e.scope));
  s += "-";
  s += wire::ToString(e.layer);
  s += ":";
  s += wire::ToString(e.error);
  return s;
}

struct Summary {
  std::uint64_t frames = 0;
  std::uint64_t nvgre = 0;
  std::map<std::string, std::uint64_t> verdicts;      // nvgre / gre-not-nvgre / not-gre / not-ip
  std::map<std::string, std::uint64_t> not_nvgre;     // reason -> frames
  std::map<std::string, std::uint64_t> parse_errors;  // scope-layer:error -> frames
  std::map<std::string, std::map<std::string, std::uint64_t>> checksums;  // layer -> state -> n
  std::uint64_t skipped_linktype = 0;
};

std::string Verdict(const FrameLayout& l) {
  if (l.is_nvgre()) return "nvgre";
  if (l.gre.present() || l.encapsulation != Encapsulation::kNone) return "gre-not-nvgre";
  if (l.outer_l3.present()) return "ip-not-gre";
  if (l.outer_l2.present()) return "not-ip";
  return "unparsed";
}

void AddChecksum(Summary& s, const char* layer, CsumState st) {
  if (st != CsumState::kAbsent) ++s.checksums[layer][std::string(wire::ToString(st))];
}

std::string TextLine(std::uint64_t n, std::span<const std::uint8_t> f, const FrameLayout& l,
                     const wire::ChecksumReport& c) {
  std::ostringstream s;
  s << n << " ";
  if (!l.outer_l2.present()) {
    s << "(no ethernet header)";
  } else if (!l.outer_l3.present()) {
    s << MacAt(f, l.outer_l2.offset + 6) << " > " << MacAt(f, l.outer_l2.offset) << " ethertype "
      << Hex(l.outer_l2.ether_type, 4);
  } else {
    auto [src, dst] = Addresses(f, l.outer_l3);
    s << "IPv" << int{l.outer_l3.version} << " " << src << " > " << dst;
    if (l.outer_l3.is_fragment) s << " [fragment]";
  }
  if (l.gre.present()) {
    s << " | GRE " << Hex(l.gre.flags_version, 4) << " [" << (l.gre.checksum_present() ? "C" : "")
      << (l.gre.key_present() ? "K" : "") << (l.gre.sequence_present() ? "S" : "") << "] v"
      << int{l.gre.version()} << " proto " << Hex(l.gre.protocol_type, 4);
    if (l.gre.key_present()) s << " key " << Hex(l.gre.key, 8);
  }
  if (l.is_nvgre()) {
    s << " | NVGRE vsid " << Hex(l.vsid(), 6) << " flow " << int{l.flow_id()};
    if (wire::IsReservedVsid(l.vsid())) s << " (reserved vsid)";
  } else if (l.gre.present() || l.encapsulated()) {
    s << " | not NVGRE: " << NotNvgreReason(l);
  }
  const L3Layout& t = l.transport_l3();
  if (l.inner_l2.present()) {
    s << " | " << MacAt(f, l.inner_l2.offset + 6) << " > " << MacAt(f, l.inner_l2.offset);
    if (!l.inner_l3.present()) s << " ethertype " << Hex(l.inner_l2.ether_type, 4);
  }
  if (l.encapsulated() && t.present()) {
    auto [src, dst] = Addresses(f, t);
    s << " | IPv" << int{t.version} << " " << src << " > " << dst;
    if (t.is_fragment) s << " [fragment]";
  }
  const std::uint16_t l4 = l.transport_l4();
  if (t.present()) {
    s << " " << ProtoName(t.protocol);
    if (l4 != wire::kNoHeader && (l.l4_protocol == wire::kIpProtoTcp || l.l4_protocol == wire::kIpProtoUdp)) {
      s << " " << wire::LoadBe16(f.subspan(l4).first<2>()) << " > "
        << wire::LoadBe16(f.subspan(l4 + 2u).first<2>());
    }
  }
  s << " | csum";
  if (c.outer_ip == CsumState::kAbsent && c.gre == CsumState::kAbsent && c.inner_ip == CsumState::kAbsent &&
      c.inner_l4 == CsumState::kAbsent && c.outer_l4 == CsumState::kAbsent) {
    s << " none";
  }
  auto put = [&](const char* name, CsumState st) {
    if (st != CsumState::kAbsent) s << " " << name << "=" << wire::ToString(st);
  };
  put("outer_ip", c.outer_ip);
  put("gre", c.gre);
  put("inner_ip", c.inner_ip);
  put("inner_l4", c.inner_l4);
  put("l4", c.outer_l4);
  if (l.truncated) s << " | truncated capture";
  if (l.error) s << " | ERROR " << FailureText(*l.error);
  return s.str();
}

}  // namespace

std::string NotNvgreReason(const FrameLayout& l) {
  if (l.is_nvgre()) return "";
  if (!l.outer_l3.present()) {
    if (l.error) return "parse-error";
    return "not-ip";
  }
  if (!l.gre.present()) {
    if (l.error && l.outer_l3.protocol == wire::kIpProtoGre) return "gre-header-invalid";
    if (l.outer_l3.protocol == wire::kIpProtoGre && l.outer_l3.later_fragment) return "outer-fragment";
    return "not-gre";
  }
  if (l.nvgre_violation != wire::NvgreViolation::kNone) {
    return std::string(wire::ToString(l.nvgre_violation));
  }
  // GRE rules hold but the inner Ethernet frame could not be read.
  return "inner-frame-invalid";
}

json FrameJson(std::uint64_t n, std::span<const std::uint8_t> f, std::size_t wire_length,
               const FrameLayout& l, const wire::ChecksumReport& c) {
  json j;
  j["frame"] = n;
  j["cap_len"] = f.size();
  j["wire_len"] = wire_length;
  if (l.is_nvgre()) {
    j["nvgre"] = {{"vsid", l.vsid()}, {"flow_id", l.flow_id()},
                  {"vsid_reserved", wire::IsReservedVsid(l.vsid())}};
    j["not_nvgre_reason"] = nullptr;
  } else {
    j["nvgre"] = nullptr;
    j["not_nvgre_reason"] = NotNvgreReason(l);
  }
  json outer = l.outer_l2.present() ? L2Json(f, l.outer_l2) : json::object();
  L3Json(outer, f, l.outer_l3, l.encapsulated() ? wire::kNoHeader : l.outer_l4, l.l4_protocol);
  j["outer"] = outer;
  if (l.gre.present()) {
    json g;
    g["flags_version"] = Hex(l.gre.flags_version, 4);
    g["c"] = l.gre.checksum_present();
    g["k"] = l.gre.key_present();
    g["s"] = l.gre.sequence_present();
    g["version"] = l.gre.version();
    g["protocol"] = Hex(l.gre.protocol_type, 4);
    g["key"] = l.gre.key_present() ? json(l.gre.key) : json(nullptr);
    j["gre"] = g;
  } else {
    j["gre"] = nullptr;
  }
  if (l.encapsulated() && (l.inner_l2.present() || l.inner_l3.present())) {
    json inner = l.inner_l2.present() ? L2Json(f, l.inner_l2) : json::object();
    L3Json(inner, f, l.inner_l3, l.inner_l4, l.l4_protocol);
    j["inner"] = inner;
  } else {
    j["inner"] = nullptr;
  }
  j["offsets"] = {{"outer_l3", Offset(l.outer_l3.offset)}, {"outer_l4", Offset(l.outer_l4)},
                  {"gre", Offset(l.gre.offset)},          {"inner_l2", Offset(l.inner_l2.offset)},
                  {"inner_l3", Offset(l.inner_l3.offset)}, {"inner_l4", Offset(l.inner_l4)},
                  {"payload", Offset(l.payload)}};
  json cs = {{"outer_ip", wire::ToString(c.outer_ip)},
             {"gre", wire::ToString(c.gre)},
             {"inner_ip", wire::ToString(c.inner_ip)},
             {"inner_l4", wire::ToString(c.inner_l4)}};
  if (!l.encapsulated()) cs["l4"] = wire::ToString(c.outer_l4);
  j["checksums"] = cs;
  j["truncated"] = l.truncated;
  if (l.error) {
    j["error"] = {{"error", wire::ToString(l.error->error)}, {"layer", wire::ToString(l.error->layer)},
                  {"scope", wire::ToString(l.error->scope)}, {"offset", l.error->offset}};
  } else {
    j["error"] = nullptr;
  }
  return j;
}

int RunInspect(const InspectOptions& options, std::ostream& out, std::ostream& err) {
  auto opened = io::PcapReader::Open(options.path);
  if (auto* e = std::get_if<io::IoError>(&opened)) {
    err << "nvgre inspect: " << e->message << "\n";
    return 2;
  }
  io::PcapReader& reader = std::get<io::PcapReader>(opened);
  Summary sum;
  io::PacketRecord rec;
  io::IoError read_error;
  bool read_failed = false;
  for (;;) {
    auto st = reader.Next(rec, &read_error);
    if (st == io::PcapReader::Status::kEnd) break;
    if (st == io::PcapReader::Status::kError) {
      read_failed = true;
      break;
    }
    ++sum.frames;
    if (rec.linktype != kLinktypeEthernet) {
      ++sum.skipped_linktype;
      if (options.json) {
        out << json{{"frame", rec.index}, {"skipped", "linktype " + std::to_string(rec.linktype)}}.dump()
            << "\n";
      } else {
        out << rec.index << " skipped: link type " << rec.linktype << " is not Ethernet\n";
      }
      continue;
    }
    const FrameLayout l = wire::ClassifyFrame(rec.data, rec.wire_len);
    const wire::ChecksumReport c = wire::VerifyChecksums(rec.data, l);
    const std::string verdict = Verdict(l);
    ++sum.verdicts[verdict];
    if (verdict == "gre-not-nvgre") ++sum.not_nvgre[NotNvgreReason(l)];
    if (l.error) ++sum.parse_errors[FailureKey(*l.error)];
    AddChecksum(sum, "outer_ip", c.outer_ip);
    AddChecksum(sum, "gre", c.gre);
    AddChecksum(sum, "inner_ip", c.inner_ip);
    AddChecksum(sum, "inner_l4", c.inner_l4);
    AddChecksum(sum, "l4", c.outer_l4);
    if (options.json) {
      out << FrameJson(rec.index, rec.data, rec.wire_len, l, c).dump() << "\n";
    } else {
      out << TextLine(rec.index, rec.data, l, c) << "\n";
    }
  }
  if (options.json) {
    json s;
    s["frames"] = sum.frames;
    s["verdicts"] = sum.verdicts;
    s["not_nvgre_reasons"] = sum.not_nvgre;
    s["parse_errors"] = sum.parse_errors;
    s["checksums"] = sum.checksums;
    s["skipped_linktype"] = sum.skipped_linktype;
    if (read_failed) s["read_error"] = read_error.message;
    out << json{{"summary", s}}.dump() << "\n";
  } else {
    out << "--\n" << sum.frames << " frames (" << reader.format() << ")\n";
    auto dump = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
      if (m.empty()) return;
      out << title << ":";
      for (const auto& [k, v] : m) out << " " << k << "=" << v;
      out << "\n";
    };
    dump("verdicts", sum.verdicts);
    dump("not NVGRE because", sum.not_nvgre);
    dump("parse errors", sum.parse_errors);
    for (const auto& [layer, states] : sum.checksums) {
      out << "checksum " << layer << ":";
      for (const auto& [k, v] : states) out << " " << k << "=" << v;
      out << "\n";
    }
    if (sum.skipped_linktype) out << "skipped (not Ethernet): " << sum.skipped_linktype << "\n";
    if (read_failed) out << "read error: " << read_error.message << "\n";
  }
  if (read_failed) {
    err << "nvgre inspect: " << read_error.message << "\n";
    return 2;  // as verify: the frames before the bad record were reported
  }
  return 0;
}

namespace {
void AddInspect(CLI::App& app, Runner& run) {
  auto options = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "classify every frame of a pcap/pcapng capture");
  cmd->add_option("file", options->path, "pcap or pcapng file")->required();
  cmd->add_flag("--json", options->json, "one JSON object per frame (JSON Lines), then a summary object");
  cmd->callback([&run, options] { run = [options] { return RunInspect(*options, std::cout, std::cerr); }; });
}
const CommandRegistration kInspect{"inspect", AddInspect};
}  // namespace

}  // namespace nvgre::cli
