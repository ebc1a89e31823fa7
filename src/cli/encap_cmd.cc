// `nvgre encap` and `nvgre decap`: see encap_cmd.h.
#include "cli/encap_cmd.h"

#include <CLI/CLI.hpp>
#include <arpa/inet.h>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <string_view>
#include <variant>
#include <vector>

#include "cli/command.h"
#include "nvgre/io/pcap_file.h"
#include "nvgre/virt/decap.h"
#include "nvgre/virt/encap.h"
#include "nvgre/virt/virt_stats.h"
#include "nvgre/wire/gre.h"

namespace nvgre::cli {
namespace {

constexpr int kLinktypeEthernet = 1;  // DLT_EN10MB

// A bad argument: the message names the option.
struct ArgError {
  std::string message;
};

// Decimal, or hexadecimal with 0x. No sign, no trailing characters.
std::optional<std::uint64_t> ParseNumber(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<ArgError> ParseBounded(std::string_view option, const std::string& text,
                                     std::uint64_t max, std::uint64_t& value) {
  auto v = ParseNumber(text);
  if (!v || *v > max) {
    return ArgError{std::string(option) + ": '" + text + "' is not a number in 0.." +
                    std::to_string(max)};
  }
  value = *v;
  return std::nullopt;
}

// "aa:bb:cc:dd:ee:ff" (or with '-').
std::optional<wire::MacAddress> ParseMac(std::string_view s) {
  wire::MacAddress mac{};
  if (s.size() != 17) return std::nullopt;
  for (std::size_t i = 0; i < 6; ++i) {
    if (i > 0 && s[3 * i - 1] != ':' && s[3 * i - 1] != '-') return std::nullopt;
    auto [p, ec] = std::from_chars(s.data() + 3 * i, s.data() + 3 * i + 2, mac[i], 16);
    if (ec != std::errc() || p != s.data() + 3 * i + 2) return std::nullopt;
  }
  return mac;
}

using IpAddress = std::variant<wire::Ipv4Address, wire::Ipv6Address>;
std::optional<IpAddress> ParseIp(const std::string& s) {
  wire::Ipv4Address v4;
  if (inet_pton(AF_INET, s.c_str(), v4.data()) == 1) return v4;
  wire::Ipv6Address v6;
  if (inet_pton(AF_INET6, s.c_str(), v6.data()) == 1) return v6;
  return std::nullopt;
}

std::optional<ArgError> CheckExtras(const std::vector<std::string>& extras) {
  if (extras.empty()) return std::nullopt;
  return ArgError{"unexpected argument '" + extras.front() + "'"};
}

std::optional<ArgError> CheckFiles(const std::string& in, const std::string& out) {
  if (in.empty()) return ArgError{"IN: the input capture is required"};
  if (out.empty()) return ArgError{"OUT: the output file is required"};
  std::error_code ec;
  if (in != "-" && out != "-" && (in == out || std::filesystem::equivalent(in, out, ec))) {
    return ArgError{"OUT: '" + out + "' is the input file"};
  }
  return std::nullopt;
}

// Builds the EncapConfig from the options, or names the first bad one.
std::variant<virt::EncapConfig, ArgError> BuildConfig(const EncapOptions& o) {
  if (auto e = CheckExtras(o.extras)) return *e;
  if (auto e = CheckFiles(o.in, o.out)) return *e;
  virt::EncapConfig c;
  std::uint64_t v = 0;

  if (o.vsid.empty()) return ArgError{"--vsid: required (the 24-bit Virtual Subnet ID)"};
  if (auto e = ParseBounded("--vsid", o.vsid, 0xFFFFFF, v)) return *e;
  c.vsid = static_cast<std::uint32_t>(v);
  c.allow_reserved_vsid = o.allow_reserved_vsid;
  if (wire::IsReservedVsid(c.vsid) && !c.allow_reserved_vsid) {
    return ArgError{"--vsid: " + o.vsid +
                    " is reserved by RFC 7637 (0x000000-0x000FFF and 0xFFFFFF); "
                    "use --allow-reserved-vsid to send it anyway"};
  }
  if (o.flow_id == "auto") {
    c.flow_id = virt::kFlowIdFromHash;
  } else {
    if (auto e = ParseBounded("--flow-id", o.flow_id, 0xFF, v)) {
      return ArgError{e->message + " or 'auto'"};
    }
    c.flow_id = static_cast<std::uint16_t>(v);
  }

  if (o.outer_src.empty()) return ArgError{"--outer-src: required (the local PA address)"};
  if (o.outer_dst.empty()) return ArgError{"--outer-dst: required (the remote PA address)"};
  auto src = ParseIp(o.outer_src);
  if (!src) return ArgError{"--outer-src: '" + o.outer_src + "' is not an IPv4 or IPv6 address"};
  auto dst = ParseIp(o.outer_dst);
  if (!dst) return ArgError{"--outer-dst: '" + o.outer_dst + "' is not an IPv4 or IPv6 address"};
  if (src->index() != dst->index()) {
    return ArgError{"--outer-src/--outer-dst: '" + o.outer_src + "' and '" + o.outer_dst +
                    "' are not the same address family"};
  }
  if (src->index() == 0) {
    c.outer_ip = virt::OuterIpv4{std::get<0>(*src), std::get<0>(*dst)};
  } else {
    c.outer_ip = virt::OuterIpv6{std::get<1>(*src), std::get<1>(*dst)};
  }

  auto smac = ParseMac(o.outer_src_mac);
  if (!smac) return ArgError{"--outer-src-mac: '" + o.outer_src_mac + "' is not a MAC address (aa:bb:cc:dd:ee:ff)"};
  auto dmac = ParseMac(o.outer_dst_mac);
  if (!dmac) return ArgError{"--outer-dst-mac: '" + o.outer_dst_mac + "' is not a MAC address (aa:bb:cc:dd:ee:ff)"};
  c.outer_source_mac = *smac;
  c.outer_destination_mac = *dmac;

  if (!o.vlan.empty()) {
    if (auto e = ParseBounded("--vlan", o.vlan, 4094, v)) return *e;  // 4095 reserved (802.1Q)
    c.outer_vlan = virt::OuterVlan{.vid = static_cast<std::uint16_t>(v)};
  }
  if (!o.vlan_pcp.empty()) {
    if (!c.outer_vlan) return ArgError{"--vlan-pcp: needs --vlan"};
    if (auto e = ParseBounded("--vlan-pcp", o.vlan_pcp, 7, v)) return *e;
    c.outer_vlan->pcp = static_cast<std::uint8_t>(v);
  }
  if (!o.ttl.empty()) {
    if (auto e = ParseBounded("--ttl", o.ttl, 255, v)) return *e;
    if (v == 0) return ArgError{"--ttl: 0 would be discarded by the first router"};
    c.ttl = static_cast<std::uint8_t>(v);
  }
  c.dont_fragment = !o.no_df;
  if (auto e = virt::CheckEncapConfig(c)) {  // everything above should have caught it
    return ArgError{"configuration refused: " + std::string(virt::ToString(*e))};
  }
  return c;
}

// Opens IN and OUT; on failure prints the reason and returns nullopt.
struct Files {
  io::PcapReader reader;
  io::PcapWriter writer;
};
std::optional<Files> OpenFiles(std::string_view cmd, const std::string& in, const std::string& out,
                               std::ostream& err) {
  auto r = io::PcapReader::Open(in);
  if (auto* e = std::get_if<io::IoError>(&r)) {
    err << "nvgre " << cmd << ": " << e->message << "\n";
    return std::nullopt;
  }
  auto w = io::PcapWriter::Open(out, kLinktypeEthernet);
  if (auto* e = std::get_if<io::IoError>(&w)) {
    err << "nvgre " << cmd << ": " << e->message << "\n";
    return std::nullopt;
  }
  return Files{std::move(std::get<io::PcapReader>(r)), std::move(std::get<io::PcapWriter>(w))};
}

// One line per reason that occurred, named as virt::ToString() names it.
void PrintEncapErrors(std::ostream& report, const virt::VirtStats& stats) {
  for (std::size_t i = 0; i < virt::kEncapErrorCount; ++i) {
    if (stats.encap_errors[i] == 0) continue;
    report << "  " << virt::ToString(static_cast<virt::EncapError>(i)) << ": "
           << stats.encap_errors[i] << "\n";
  }
}
void PrintDecapDrops(std::ostream& report, const virt::VirtStats& stats) {
  for (std::size_t i = 0; i < virt::kDecapDropCount; ++i) {
    if (stats.decap_drops[i] == 0) continue;
    report << "  " << virt::ToString(static_cast<virt::DecapDrop>(i)) << ": "
           << stats.decap_drops[i] << "\n";
  }
  if (stats.ecn_set_ce) report << "  (inner ECN set to CE, RFC 6040: " << stats.ecn_set_ce << ")\n";
  if (stats.ecn_set_ect1) {
    report << "  (inner ECN set to ECT(1), RFC 6040: " << stats.ecn_set_ect1 << ")\n";
  }
  if (stats.ecn_alarm) report << "  (unused ECN combinations, RFC 6040: " << stats.ecn_alarm << ")\n";
}

}  // namespace

int RunEncap(const EncapOptions& options, std::ostream& out, std::ostream& err) {
  auto built = BuildConfig(options);
  if (auto* e = std::get_if<ArgError>(&built)) {
    err << "nvgre encap: " << e->message << "\n";
    return 2;
  }
  const virt::EncapConfig& config = std::get<virt::EncapConfig>(built);
  std::ostream& report = options.out == "-" ? err : out;
  auto files = OpenFiles("encap", options.in, options.out, err);
  if (!files) return 2;

  virt::VirtStats stats;
  std::uint64_t frames = 0, not_ethernet = 0, cut_by_snaplen = 0;
  std::uint16_t next_ipv4_id = 0;
  std::vector<std::uint8_t> buffer;
  io::PacketRecord rec;
  io::IoError io_error;
  bool read_failed = false;
  for (;;) {
    const auto st = files->reader.Next(rec, &io_error);
    if (st == io::PcapReader::Status::kEnd) break;
    if (st == io::PcapReader::Status::kError) {
      read_failed = true;
      break;
    }
    ++frames;
    if (rec.linktype != kLinktypeEthernet) {
      ++not_ethernet;
      report << "frame " << rec.index << ": skipped: link type " << rec.linktype
             << " is not Ethernet\n";
      continue;
    }
    if (rec.wire_len > rec.caplen) ++cut_by_snaplen;  // encapsulated as captured
    buffer.resize(rec.data.size() + virt::kMaxOuterHeaderLength);
    auto r = virt::Encapsulate(rec.data, config, buffer, next_ipv4_id);
    stats.Count(r);
    if (!r) {
      report << "frame " << rec.index << ": not encapsulated: " << virt::ToString(r.error()) << "\n";
      continue;
    }
    if (!files->writer.Write(rec.ts_sec, rec.ts_nsec, std::span(buffer).first(r->frame_length), 0,
                             &io_error)) {
      err << "nvgre encap: " << io_error.message << "\n";
      return 2;
    }
  }
  if (!files->writer.Close(&io_error)) {
    err << "nvgre encap: " << io_error.message << "\n";
    return 2;
  }
  report << "--\nnvgre encap: " << frames << " frames read, " << stats.encapsulated
         << " encapsulated (VSID 0x" << std::hex << config.vsid << std::dec << ", outer IPv"
         << (std::holds_alternative<virt::OuterIpv6>(config.outer_ip) ? 6 : 4) << "), "
         << stats.encap_error_total() + not_ethernet << " not encapsulated\n";
  if (stats.inner_vlan_stripped) {
    report << "  inner VLAN tags stripped (RFC 7637): " << stats.inner_vlan_stripped << " frames\n";
  }
  if (not_ethernet) report << "  not-ethernet-linktype: " << not_ethernet << "\n";
  PrintEncapErrors(report, stats);
  if (cut_by_snaplen) {
    report << "  note: " << cut_by_snaplen
           << " frames were cut by the capture's snap length and were encapsulated as captured\n";
  }
  if (read_failed) {
    err << "nvgre encap: " << io_error.message << "\n";
    return 1;
  }
  return 0;
}

int RunDecap(const DecapOptions& options, std::ostream& out, std::ostream& err) {
  if (auto e = CheckExtras(options.extras)) {
    err << "nvgre decap: " << e->message << "\n";
    return 2;
  }
  if (auto e = CheckFiles(options.in, options.out)) {
    err << "nvgre decap: " << e->message << "\n";
    return 2;
  }
  std::ostream& report = options.out == "-" ? err : out;
  auto files = OpenFiles("decap", options.in, options.out, err);
  if (!files) return 2;

  const virt::DecapConfig config{.drop_reserved_vsid = options.drop_reserved_vsid,
                                 .verify_outer_ipv4_checksum = !options.no_verify_outer_checksum};
  virt::VirtStats stats;
  std::uint64_t frames = 0, not_ethernet = 0;
  std::vector<std::uint8_t> buffer;
  io::PacketRecord rec;
  io::IoError io_error;
  bool read_failed = false;
  for (;;) {
    const auto st = files->reader.Next(rec, &io_error);
    if (st == io::PcapReader::Status::kEnd) break;
    if (st == io::PcapReader::Status::kError) {
      read_failed = true;
      break;
    }
    ++frames;
    if (rec.linktype != kLinktypeEthernet) {
      ++not_ethernet;
      report << "frame " << rec.index << ": skipped: link type " << rec.linktype
             << " is not Ethernet\n";
      continue;
    }
    buffer.assign(rec.data.begin(), rec.data.end());  // Decapsulate may rewrite the inner ECN
    auto r = virt::Decapsulate(buffer, config);
    stats.Count(r);
    if (!r) {
      report << "frame " << rec.index << ": not decapsulated: " << virt::ToString(r.error()) << "\n";
      continue;
    }
    if (r->ecn_alarm) {
      report << "frame " << rec.index
             << ": warning: outer/inner ECN combination RFC 6040 calls currently unused\n";
    }
    if (!files->writer.Write(rec.ts_sec, rec.ts_nsec, r->inner_frame, 0, &io_error)) {
      err << "nvgre decap: " << io_error.message << "\n";
      return 2;
    }
  }
  if (!files->writer.Close(&io_error)) {
    err << "nvgre decap: " << io_error.message << "\n";
    return 2;
  }
  report << "--\nnvgre decap: " << frames << " frames read, " << stats.decapsulated
         << " decapsulated, " << stats.decap_drop_total() + not_ethernet << " not decapsulated\n";
  if (not_ethernet) report << "  not-ethernet-linktype: " << not_ethernet << "\n";
  PrintDecapDrops(report, stats);
  if (read_failed) {
    err << "nvgre decap: " << io_error.message << "\n";
    return 1;
  }
  return 0;
}

namespace {

void AddEncap(CLI::App& app, Runner& run) {
  auto o = std::make_shared<EncapOptions>();
  auto* cmd = app.add_subcommand(
      "encap", "encapsulate every Ethernet frame of a capture in NVGRE (RFC 7637), write a pcap");
  cmd->allow_extras();  // unknown arguments are reported by RunEncap (exit 2, named)
  cmd->add_option("in", o->in, "input pcap or pcapng file (- for standard input)");
  cmd->add_option("out", o->out, "output pcap file (- for standard output)");
  cmd->add_option("--vsid", o->vsid, "Virtual Subnet ID, 24 bits (decimal or 0x hex); required");
  cmd->add_option("--flow-id", o->flow_id,
                  "FlowID 0-255, or 'auto' (default): a hash of the inner flow");
  cmd->add_option("--outer-src", o->outer_src, "outer source IPv4 or IPv6 address (PA); required");
  cmd->add_option("--outer-dst", o->outer_dst, "outer destination address, same family; required");
  cmd->add_option("--outer-src-mac", o->outer_src_mac, "outer source MAC (default 02:00:00:00:00:01)");
  cmd->add_option("--outer-dst-mac", o->outer_dst_mac,
                  "outer destination MAC (default 02:00:00:00:00:02)");
  cmd->add_option("--vlan", o->vlan, "add an outer 802.1Q tag with this VID (0-4094)");
  cmd->add_option("--vlan-pcp", o->vlan_pcp, "priority (PCP 0-7) of the outer tag");
  cmd->add_option("--ttl", o->ttl, "outer IPv4 TTL / IPv6 hop limit (default 64)");
  cmd->add_flag("--no-df", o->no_df, "do not set DF in the outer IPv4 header");
  cmd->add_flag("--allow-reserved-vsid", o->allow_reserved_vsid,
                "allow VSIDs RFC 7637 reserves (0-0xFFF, 0xFFFFFF)");
  cmd->callback([&run, o, cmd] {
    o->extras = cmd->remaining();
    run = [o] { return RunEncap(*o, std::cout, std::cerr); };
  });
}
const CommandRegistration kEncap{"encap", AddEncap};

void AddDecap(CLI::App& app, Runner& run) {
  auto o = std::make_shared<DecapOptions>();
  auto* cmd = app.add_subcommand(
      "decap", "write the inner frame of every NVGRE frame of a capture; count the others by reason");
  cmd->allow_extras();
  cmd->add_option("in", o->in, "input pcap or pcapng file (- for standard input)");
  cmd->add_option("out", o->out, "output pcap file of inner frames (- for standard output)");
  cmd->add_flag("--drop-reserved-vsid", o->drop_reserved_vsid,
                "drop frames whose VSID RFC 7637 reserves");
  cmd->add_flag("--no-verify-outer-checksum", o->no_verify_outer_checksum,
                "accept a bad outer IPv4 header checksum");
  cmd->callback([&run, o, cmd] {
    o->extras = cmd->remaining();
    run = [o] { return RunDecap(*o, std::cout, std::cerr); };
  });
}
const CommandRegistration kDecap{"decap", AddDecap};

}  // namespace
}  // namespace nvgre::cli
