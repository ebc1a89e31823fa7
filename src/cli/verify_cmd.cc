// `nvgre verify`: see verify_cmd.h.
#include "cli/verify_cmd.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/command.h"
#include "nvgre/io/pcap_file.h"
#include "nvgre/offload/verify.h"

namespace nvgre::cli {
namespace {

using nlohmann::json;
using offload::Violation;

constexpr int kLinktypeEthernet = 1;  // DLT_EN10MB

class PrintSink : public offload::ViolationSink {
 public:
  PrintSink(std::ostream& out, bool as_json) : out_(out), json_(as_json) {}

  void OnViolation(const Violation& v) override {
    const offload::VerifyRuleInfo& info = offload::RuleInfo(v.rule);
    if (json_) {
      json j;
      j["frame"] = v.frame;
      j["rule"] = info.id;
      j["expected"] = v.expected_text();
      j["seen"] = v.seen_text();
      j["related_frame"] = v.related_frame == 0 ? json(nullptr) : json(v.related_frame);
      j["citation"] = info.citation;
      out_ << j.dump() << '\n';
      return;
    }
    out_ << v.frame << ' ' << info.id;
    if (v.related_frame != 0) out_ << " (vs frame " << v.related_frame << ')';
    out_ << ": expected " << v.expected_text() << ", seen " << v.seen_text() << " | "
         << info.citation << '\n';
  }

 private:
  std::ostream& out_;
  bool json_;
};

void ListRules(std::ostream& out) {
  for (const offload::VerifyRuleInfo& r : offload::AllVerifyRules()) {
    out << r.id << "\t" << r.checks << "\t" << r.citation << "\n";
  }
}

void PrintSummary(std::ostream& out, bool as_json, const offload::Verifier& verifier,
                  const std::string& format, const std::string& read_error) {
  const offload::VerifySummary& s = verifier.summary();
  const offload::VerifyOptions& o = verifier.options();
  if (as_json) {
    json j;
    j["frames"] = s.frames;
    j["skipped_linktype"] = s.skipped;
    j["other_frames"] = s.other_frames;
    j["gre_frames"] = s.gre_frames;
    j["nvgre_frames"] = s.nvgre_frames;
    j["snap_truncated"] = s.snap_truncated;
    j["unverified_checksums"] = s.unverified_checksums;
    j["tcp_segments"] = s.tcp_segments;
    j["bursts"] = s.bursts;
    j["burst_segments"] = s.burst_segments;
    j["flows_evicted"] = s.flows_evicted;
    json counts = json::object();
    json enabled = json::array();
    for (const offload::VerifyRuleInfo& r : offload::AllVerifyRules()) {
      const auto i = static_cast<std::size_t>(r.rule);
      if (!o.rules.test(i)) continue;
      counts[std::string(r.id)] = s.violations[i];
      enabled.push_back(r.id);
    }
    j["violations"] = counts;
    j["total_violations"] = s.total_violations();
    j["rules_enabled"] = enabled;
    j["mss"] = o.mss == 0 ? json(nullptr) : json(o.mss);
    j["mtu"] = o.mtu == 0 ? json(nullptr) : json(o.mtu);
    if (!read_error.empty()) j["read_error"] = read_error;
    out << json{{"summary", j}}.dump() << '\n';
    return;
  }
  out << "--\n"
      << s.frames << " frames (" << format << "): " << s.gre_frames << " GRE (" << s.nvgre_frames
      << " valid NVGRE), " << s.other_frames << " not GRE (not judged), " << s.skipped
      << " not Ethernet (skipped)\n";
  if (s.snap_truncated != 0 || s.unverified_checksums != 0) {
    out << s.snap_truncated << " frames cut by the snap length, " << s.unverified_checksums
        << " checksums unverifiable\n";
  }
  out << s.tcp_segments << " inner TCP segments with payload; " << s.bursts << " LSO bursts ("
      << s.burst_segments << " segments)";
  if (s.flows_evicted != 0) out << "; " << s.flows_evicted << " flows evicted from the table";
  out << "\nMSS: " << (o.mss == 0 ? std::string("inferred per burst") : std::to_string(o.mss))
      << "; MTU: " << (o.mtu == 0 ? std::string("not checked") : std::to_string(o.mtu)) << "\n";
  out << s.total_violations() << " violations\n";
  for (const offload::VerifyRuleInfo& r : offload::AllVerifyRules()) {
    const std::uint64_t n = s.violations[static_cast<std::size_t>(r.rule)];
    if (n != 0) out << "  " << r.id << " " << n << " | " << r.citation << "\n";
  }
  if (!read_error.empty()) out << "read error: " << read_error << "\n";
  out << (s.total_violations() == 0 ? "clean" : "NOT CLEAN") << "\n";
}

}  // namespace

int RunVerify(const VerifyCommandOptions& options, std::ostream& out, std::ostream& err) {
  if (options.list_rules) {
    ListRules(out);
    return 0;
  }
  offload::VerifyOptions vo;
  vo.mss = options.mss;
  vo.mtu = options.mtu;
  vo.max_flows = options.max_flows;
  if (!options.rules.empty()) {
    std::string_view bad;
    auto set = offload::ParseVerifyRuleList(options.rules, &bad);
    if (!set) {
      err << "nvgre verify: --rules: no rule or group named '" << bad
          << "' (nvgre verify --list-rules lists them)\n";
      return 2;
    }
    vo.rules = *set;
  }
  if (options.path.empty()) {
    err << "nvgre verify: a capture file is required\n";
    return 2;
  }
  auto opened = io::PcapReader::Open(options.path);
  if (auto* e = std::get_if<io::IoError>(&opened)) {
    err << "nvgre verify: " << e->message << "\n";
    return 2;
  }
  io::PcapReader& reader = std::get<io::PcapReader>(opened);
  offload::Verifier verifier(vo);
  PrintSink sink(out, options.json);
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
    if (rec.linktype != kLinktypeEthernet) {
      verifier.SkipFrame();
      continue;
    }
    verifier.AddFrame(rec.index, rec.data, rec.wire_len, sink);
  }
  verifier.Finish(sink);
  PrintSummary(out, options.json, verifier, std::string(reader.format()),
               read_failed ? read_error.message : std::string());
  out.flush();
  if (read_failed) {
    err << "nvgre verify: " << read_error.message << "\n";
    return 2;
  }
  return verifier.summary().total_violations() == 0 ? 0 : 1;
}

namespace {
void AddVerify(CLI::App& app, Runner& run) {
  auto options = std::make_shared<VerifyCommandOptions>();
  auto* cmd = app.add_subcommand(
      "verify", "check a capture of a NIC's NVGRE output against the NVGRE and NDIS offload rules");
  cmd->add_option("file", options->path, "pcap or pcapng file");
  cmd->add_flag("--json", options->json, "JSON Lines: one object per violation, then a summary");
  cmd->add_option("--mss", options->mss,
                  "LSO MSS in TCP payload bytes (default: inferred per burst)");
  cmd->add_option("--mtu", options->mtu, "IP MTU: flag outer IP packets longer than this");
  cmd->add_option("--rules", options->rules,
                  "comma-separated rule ids or groups to check (e.g. csum,lso or -lso.order)");
  cmd->add_option("--max-flows", options->max_flows, "flow table size (bounded state)")
      ->check(CLI::Range(std::size_t{8}, std::size_t{1} << 24));
  cmd->add_flag("--list-rules", options->list_rules, "print the rule table and exit");
  cmd->callback(
      [&run, options] { run = [options] { return RunVerify(*options, std::cout, std::cerr); }; });
}
const CommandRegistration kVerify{"verify", AddVerify};
}  // namespace

}  // namespace nvgre::cli
