// `nvgre adapter show|set`: see adapter_cmd.h.
#include "cli/adapter_cmd.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/command.h"

namespace nvgre::cli {
namespace {

using nlohmann::json;
using offload::NdisOffload;

std::string Hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}


int Show(const AdapterShowOptions& o, std::ostream& out, std::ostream& err) {
  json diagnostics = json::array();
  auto kw = LoadKeywordsFile(o.keywords, /*missing_ok=*/false, "adapter show", err, &diagnostics);
  if (!kw) return 2;
  const offload::Adapter adapter(offload::AdapterCapabilities::Default(), *kw);
  const NdisOffload hw = adapter.HardwareCapabilities();
  const NdisOffload cur = adapter.CurrentConfig();
  const auto& caps = adapter.capabilities();
  if (o.json) {
    json j;
    j["hardware_capabilities"] = NdisOffloadJson(hw);
    j["current_config"] = NdisOffloadJson(cur);
    j["encapsulated_offload_active"] = adapter.Snapshot()->encapsulated_offload_active();
    j["keywords"] = KeywordsJson(*kw);
    j["keyword_diagnostics"] = diagnostics;
    j["rss"] = {{"supported", caps.rss_supported},
                {"hash_types", offload::HashTypesToString(caps.rss_hash_types)},
                {"receive_queues", caps.rss_queues},
                {"indirection_table_max_entries", offload::kRssMaxIndirectionEntries},
                {"enabled_by_keyword", kw->Enabled(offload::Keyword::kRss)}};
    j["vmq"] = {{"supported", caps.vmq_supported},
                {"queues", caps.vmq_queues},
                {"max_filters", offload::VmqTable::kMaxFilters},
                {"enabled", adapter.Snapshot()->vmq_enabled},
                {"fields", json::array({"DestinationAddress", "VlanId"})},
                {"tests", json::array({"Equal", "MaskEqual", "NotEqual"})},
                {"flags", json::array({"NDIS_RECEIVE_FILTER_PACKET_ENCAPSULATION_GRE"})}};
    out << j.dump() << "\n";
    return 0;
  }
  out << "OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES (NDIS_OFFLOAD revision 6, "
      << offload::NdisOffloadSize(6) << " bytes; revision 3 = NDIS 6.30, "
      << offload::NdisOffloadSize(3) << " bytes):\n";
  std::istringstream hw_lines(hw.ToString());
  for (std::string line; std::getline(hw_lines, line);) out << "  " << line << "\n";
  out << "Current configuration after initialization (OID_TCP_OFFLOAD_CURRENT_CONFIG):\n";
  std::istringstream cur_lines(cur.ToString());
  for (std::string line; std::getline(cur_lines, line);) out << "  " << line << "\n";
  out << "  NVGRE task offload: inactive until OID_TCP_OFFLOAD_PARAMETERS turns it on"
      << " (*EncapsulatedPacketTaskOffload=" << kw->Get(offload::Keyword::kEncapsulatedPacketTaskOffload)
      << (kw->Enabled(offload::Keyword::kEncapsulatedPacketTaskOffload) ? ": the stack may" : ": disabled")
      << ")\n";
  out << "RSS: Toeplitz, " << offload::HashTypesToString(caps.rss_hash_types) << ", "
      << caps.rss_queues << " queues, indirection table up to " << offload::kRssMaxIndirectionEntries
      << " entries" << (kw->Enabled(offload::Keyword::kRss) ? "" : " (disabled by *RSS=0)") << "\n";
  out << "VMQ: " << caps.vmq_queues << " queues, " << offload::VmqTable::kMaxFilters
      << " filters; DestinationAddress, VlanId; Equal, MaskEqual, NotEqual; "
         "NDIS_RECEIVE_FILTER_PACKET_ENCAPSULATION_GRE"
      << (adapter.Snapshot()->vmq_enabled ? "" : " (disabled by *VMQ=0)") << "\n";
  out << "Keywords:\n";
  for (std::size_t i = 0; i < offload::kKeywordCount; ++i) {
    const auto k = static_cast<offload::Keyword>(i);
    out << "  " << offload::SpecOf(k).name << "=" << kw->Get(k)
        << (kw->Configured(k) ? "" : " (default)") << "\n";
  }
  return 0;
}

int Set(const AdapterSetOptions& o, std::ostream& out, std::ostream& err) {
  auto kw = LoadKeywordsFile(o.keywords, /*missing_ok=*/true, "adapter set", err);
  if (!kw) return 2;
  offload::Adapter adapter(offload::AdapterCapabilities::Default(), *kw);
  std::optional<offload::StatusIndication> indicated;
  adapter.SetStatusCallback([&](const offload::StatusIndication& s) { indicated = s; });
  const offload::NdisStatus st = adapter.SetOffloadParameters(o.parameters);
  const bool ok = st == offload::NdisStatus::kSuccess;
  if (ok) {
    std::ofstream file(o.keywords, std::ios::binary | std::ios::trunc);
    file << adapter.keywords().ToText();
    if (!file.good()) {
      err << "nvgre adapter set: " << o.keywords << ": cannot write\n";
      return 2;
    }
  }
  if (o.json) {
    json j;
    j["oid"] = Hex32(offload::kOidTcpOffloadParameters);
    j["status"] = std::string(ToString(st));
    j["status_code"] = static_cast<std::uint32_t>(st);
    j["indication"] = nullptr;
    if (indicated) {
      j["indication"] = {{"status", std::string(ToString(indicated->code))},
                         {"status_code", static_cast<std::uint32_t>(indicated->code)},
                         {"offload", NdisOffloadJson(indicated->offload)}};
    }
    j["keywords"] = KeywordsJson(adapter.keywords());
    j["keywords_written"] = ok;
    out << j.dump() << "\n";
  } else {
    out << "OID_TCP_OFFLOAD_PARAMETERS: " << ToString(st) << " ("
        << Hex32(static_cast<std::uint32_t>(st)) << ")\n";
    if (indicated) {
      out << ToString(indicated->code) << " (" << Hex32(static_cast<std::uint32_t>(indicated->code))
          << "), new current configuration:\n";
      std::istringstream lines(indicated->offload.ToString());
      for (std::string line; std::getline(lines, line);) out << "  " << line << "\n";
    }
    out << (ok ? "keywords written to " + o.keywords : "keywords file not changed") << "\n";
  }
  if (!ok) err << "nvgre adapter set: " << ToString(st) << "\n";
  return ok ? 0 : 1;
}

void AddAdapter(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("adapter", "the emulated NIC's NDIS offload capabilities and state");
  cmd->require_subcommand(1);

  auto show = std::make_shared<AdapterShowOptions>();
  auto* s = cmd->add_subcommand("show", "hardware capabilities, current config and keywords as NDIS reports them");
  s->add_option("--keywords", show->keywords, "keywords file (*Name=value per line)");
  s->add_flag("--json", show->json, "one JSON object");
  s->callback([&run, show] { run = [show] { return RunAdapterShow(*show, std::cout, std::cerr); }; });

  struct SetText {
    AdapterSetOptions o;
    std::string encap, types, ipv4, tcp4, udp4, tcp6, udp6, lso4, lso6, rsc4, rsc6, uso4, uso6;
  };
  auto set = std::make_shared<SetText>();
  auto* t = cmd->add_subcommand(
      "set", "apply an OID_TCP_OFFLOAD_PARAMETERS change to a keywords file (as NDIS persists it)");
  t->add_option("--keywords", set->o.keywords, "keywords file to read and rewrite")->required();
  t->add_option("--encap-offload", set->encap,
                "EncapsulatedPacketTaskOffload: on | off | no-change | a raw value");
  t->add_option("--encapsulation-types", set->types,
                "EncapsulationTypes (default 1 = GRE_MAC with --encap-offload on; 2 = VXLAN)");
  t->add_option("--ipv4-checksum", set->ipv4, "IPv4Checksum: off | tx | rx | rxtx | no-change | raw value");
  t->add_option("--tcp-ipv4-checksum", set->tcp4, "TCPIPv4Checksum (same values)");
  t->add_option("--udp-ipv4-checksum", set->udp4, "UDPIPv4Checksum (same values)");
  t->add_option("--tcp-ipv6-checksum", set->tcp6, "TCPIPv6Checksum (same values)");
  t->add_option("--udp-ipv6-checksum", set->udp6, "UDPIPv6Checksum (same values)");
  t->add_option("--lso-v2-ipv4", set->lso4, "LsoV2IPv4: on | off | no-change | raw value");
  t->add_option("--lso-v2-ipv6", set->lso6, "LsoV2IPv6 (same values)");
  t->add_option("--rsc-ipv4", set->rsc4, "RscIPv4 (same values)");
  t->add_option("--rsc-ipv6", set->rsc6, "RscIPv6 (same values)");
  t->add_option("--uso-ipv4", set->uso4, "UdpSegmentation.IPv4 (same values)");
  t->add_option("--uso-ipv6", set->uso6, "UdpSegmentation.IPv6 (same values)");
  t->add_flag("--json", set->o.json, "one JSON object");
  t->callback([&run, set] {
    run = [set]() -> int {
      offload::OffloadParameters& p = set->o.parameters;
      bool bad = false;
      auto apply = [&](const std::string& text, auto parse, std::uint8_t& member, const char* name) {
        if (text.empty()) return;
        const auto v = parse(text);
        if (!v) {
          std::cerr << "nvgre adapter set: " << name << ": bad value '" << text << "'\n";
          bad = true;
          return;
        }
        member = *v;
      };
      apply(set->encap, ParseSetOnOff, p.encapsulated_packet_task_offload, "--encap-offload");
      apply(set->types, ParseOffloadByte, p.encapsulation_types, "--encapsulation-types");
      if (set->types.empty() && p.encapsulated_packet_task_offload == offload::kNdisOffloadSetOn) {
        p.encapsulation_types = offload::kNdisEncapsulationTypeGreMac;
      }
      apply(set->ipv4, ParseChecksumSetting, p.ipv4_checksum, "--ipv4-checksum");
      apply(set->tcp4, ParseChecksumSetting, p.tcp_ipv4_checksum, "--tcp-ipv4-checksum");
      apply(set->udp4, ParseChecksumSetting, p.udp_ipv4_checksum, "--udp-ipv4-checksum");
      apply(set->tcp6, ParseChecksumSetting, p.tcp_ipv6_checksum, "--tcp-ipv6-checksum");
      apply(set->udp6, ParseChecksumSetting, p.udp_ipv6_checksum, "--udp-ipv6-checksum");
      apply(set->lso4, ParseEnableSetting, p.lso_v2_ipv4, "--lso-v2-ipv4");
      apply(set->lso6, ParseEnableSetting, p.lso_v2_ipv6, "--lso-v2-ipv6");
      apply(set->rsc4, ParseEnableSetting, p.rsc_ipv4, "--rsc-ipv4");
      apply(set->rsc6, ParseEnableSetting, p.rsc_ipv6, "--rsc-ipv6");
      apply(set->uso4, ParseEnableSetting, p.uso_ipv4, "--uso-ipv4");
      apply(set->uso6, ParseEnableSetting, p.uso_ipv6, "--uso-ipv6");
      if (bad) return 2;
      return RunAdapterSet(set->o, std::cout, std::cerr);
    };
  });
}
const CommandRegistration kAdapter{"adapter", AddAdapter};

}  // namespace

std::optional<offload::Keywords> LoadKeywordsFile(const std::string& path, bool missing_ok,
                                                  const std::string& command, std::ostream& err,
                                                  json* diagnostics) {
  if (path.empty()) return offload::Keywords();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (missing_ok) return offload::Keywords();
    err << "nvgre " << command << ": " << path << ": no such file\n";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "nvgre " << command << ": " << path << ": cannot read\n";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<offload::KeywordDiagnostic> diags;
  offload::Keywords kw = offload::Keywords::Parse(text.str(), &diags);
  for (const auto& d : diags) {
    err << "nvgre " << command << ": " << path << ": " << d.ToString() << "\n";
    if (diagnostics != nullptr) diagnostics->push_back({{"line", d.line}, {"message", d.ToString()}});
  }
  return kw;
}

int RunAdapterShow(const AdapterShowOptions& options, std::ostream& out, std::ostream& err) {
  return Show(options, out, err);
}

int RunAdapterSet(const AdapterSetOptions& options, std::ostream& out, std::ostream& err) {
  return Set(options, out, err);
}

}  // namespace nvgre::cli
