// `nvgre tx`: see tx_cmd.h.
#include "cli/tx_cmd.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <ostream>
#include <span>
#include <vector>

#include "cli/command.h"
#include "nvgre/io/pcap_file.h"
#include "nvgre/offload/stack_prep.h"
#include "nvgre/offload/tx_engine.h"
#include "nvgre/wire/classifier.h"
#include "nvgre/wire/ip_protocol.h"

namespace nvgre::cli {
namespace {

using nlohmann::json;
using offload::PrepareOptions;
using offload::Segmentation;
using offload::TxAction;
using offload::TxOffloadConfig;
using offload::TxOob;
using offload::TxRefusal;
using offload::TxResult;
using offload::TxSegment;

constexpr int kLinktypeEthernet = 1;

std::string Hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// "auto" or "0" -> 0 (derive from the MTU); a decimal number -> it; else nullopt.
std::optional<std::uint32_t> ParseMss(const std::string& s) {
  if (s == "auto") return 0;
  if (s.empty() || s.size() > 7) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v;
}

struct CsumRequest {
  bool ip = false, tcp = false, udp = false;
};
std::optional<CsumRequest> ParseCsum(const std::string& list) {
  CsumRequest r;
  if (list == "all") return CsumRequest{true, true, true};
  if (list == "none") return r;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    const std::string item = list.substr(start, comma - start);
    if (item == "ip") {
      r.ip = true;
    } else if (item == "tcp") {
      r.tcp = true;
    } else if (item == "udp") {
      r.udp = true;
    } else {
      return std::nullopt;
    }
    start = comma + 1;
  }
  return r;
}

TxOffloadConfig MakeConfig(const TxOptions& o) {
  TxOffloadConfig c;
  c.encapsulated_offload_active = o.encapsulated_offload;
  c.encapsulated.set_max_header_size_supported(o.max_header_size);
  for (auto* lso : {&c.lso_v2_ipv4, &c.lso_v2_ipv6}) {
    lso->max_offload_size = o.max_offload_size;
    lso->min_segment_count = o.min_segments;
  }
  for (auto* uso : {&c.uso_ipv4, &c.uso_ipv6}) {
    uso->max_offload_size = o.max_offload_size;
    uso->min_segment_count = o.min_segments;
  }
  c.min_mss = o.min_mss;
  return c;
}

struct Summary {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
  std::map<std::string, std::uint64_t> actions;      // per input frame
  std::map<std::string, std::uint64_t> passthrough;  // reason -> frames
  offload::TxStats stats;                            // the engine's counters
};

json OobJson(const TxOob& before, const TxOob& after) {
  return {{"checksum", Hex32(before.checksum.raw())},
          {"large_send", Hex32(before.large_send)},
          {"supplemental", Hex32(before.supplemental.raw())},
          {"uso", Hex32(before.uso.raw())},
          {"completion", after.large_send != before.large_send ? json(Hex32(after.large_send))
                                                               : json(nullptr)}};
}

}  // namespace

int RunTx(const TxOptions& o, std::ostream& out, std::ostream& err) {
  std::optional<std::uint32_t> lso_mss, uso_mss;
  if (o.lso && !(lso_mss = ParseMss(*o.lso))) {
    err << "nvgre tx: --lso wants an MSS or 'auto', got '" << *o.lso << "'\n";
    return 2;  // a bad option value, like every other subcommand
  }
  if (o.uso && !(uso_mss = ParseMss(*o.uso))) {
    err << "nvgre tx: --uso wants an MSS or 'auto', got '" << *o.uso << "'\n";
    return 2;  // a bad option value, like every other subcommand
  }
  const std::optional<CsumRequest> csum = ParseCsum(o.csum);
  if (!csum) {
    err << "nvgre tx: --csum wants a list of ip,tcp,udp (or all, none), got '" << o.csum << "'\n";
    return 2;  // a bad option value, like every other subcommand
  }
  auto opened = io::PcapReader::Open(o.in);
  if (auto* e = std::get_if<io::IoError>(&opened)) {
    err << "nvgre tx: " << e->message << "\n";
    return 2;
  }
  io::PcapReader& reader = std::get<io::PcapReader>(opened);
  auto opened_w = io::PcapWriter::Open(o.out, reader.linktype() < 0 ? kLinktypeEthernet : reader.linktype());
  if (auto* e = std::get_if<io::IoError>(&opened_w)) {
    err << "nvgre tx: " << e->message << "\n";
    return 2;
  }
  io::PcapWriter& writer = std::get<io::PcapWriter>(opened_w);

  const TxOffloadConfig config = MakeConfig(o);
  Summary sum;
  std::vector<std::uint8_t> headers(offload::kTxParseWindow);
  std::vector<TxSegment> segments(1024);
  std::vector<std::uint8_t> arena(segments.size() * 256);
  std::vector<std::uint8_t> frame_out;
  io::PacketRecord rec;
  io::IoError io_error;
  bool read_failed = false;
  bool write_failed = false;

  for (;;) {
    const auto st = reader.Next(rec, &io_error);
    if (st == io::PcapReader::Status::kEnd) break;
    if (st == io::PcapReader::Status::kError) {
      read_failed = true;
      break;
    }
    ++sum.frames_in;
    json j = {{"frame", rec.index}};
    std::vector<std::size_t> out_lengths;
    auto write = [&](std::span<const std::uint8_t> bytes) {
      if (!writer.Write(rec.ts_sec, rec.ts_nsec, bytes, 0, &io_error)) write_failed = true;
      ++sum.frames_out;
      out_lengths.push_back(bytes.size());
    };
    auto passthrough = [&](const std::string& reason) {
      write(rec.data);
      ++sum.actions["passthrough"];
      ++sum.passthrough[reason];
      j["action"] = "passthrough";
      j["reason"] = reason;
    };

    const wire::FrameLayout l = wire::ClassifyFrame(rec.data, rec.wire_len);
    if (rec.linktype != kLinktypeEthernet) {
      passthrough("not-ethernet");
    } else if (rec.wire_len > rec.caplen) {
      passthrough("truncated-capture");
    } else if (l.encapsulation != wire::Encapsulation::kGreEthernet || !l.inner_l3.present()) {
      passthrough("not-nvgre");
    } else {
      const bool tcp = l.inner_l4 != wire::kNoHeader && l.l4_protocol == wire::kIpProtoTcp;
      const bool udp = l.inner_l4 != wire::kNoHeader && l.l4_protocol == wire::kIpProtoUdp;
      const bool super = rec.data.size() - l.outer_l3.offset > o.mtu;
      PrepareOptions prep_opts;
      prep_opts.mtu = o.mtu;
      prep_opts.ip_header_checksum = csum->ip;
      prep_opts.l4_checksum = (tcp && csum->tcp) || (udp && csum->udp);
      if (super && tcp && lso_mss) {
        prep_opts.segmentation = Segmentation::kLsoV2;
        prep_opts.mss = *lso_mss;
      } else if (super && udp && uso_mss) {
        prep_opts.segmentation = Segmentation::kUso;
        prep_opts.mss = *uso_mss;
      }
      offload::PrepareResult prep = offload::PrepareNvgreSend(rec.data, prep_opts, headers);
      if (!prep) {
        passthrough(std::string("prepare:") + std::string(offload::ToString(prep.error())));
      } else {
        const std::size_t hl = prep->header_length;
        const std::span<const std::uint8_t> buffers[2] = {
            std::span<const std::uint8_t>(headers).first(hl), rec.data.subspan(hl)};
        TxOob oob = prep->oob;
        const TxOob before = oob;
        offload::TxOutput outspace{segments, arena};
        TxResult r = offload::ProcessTxPacket(config, buffers, oob, outspace, sum.stats);
        if (r.refusal == TxRefusal::kOutputTooSmall) {  // grow and retry once
          segments.resize(r.segments_needed);
          arena.resize(std::max(arena.size(), r.header_bytes_needed));
          oob = before;
          --sum.stats.refused[static_cast<std::size_t>(TxRefusal::kOutputTooSmall)];
          --sum.stats.packets;
          outspace = {segments, arena};
          r = offload::ProcessTxPacket(config, buffers, oob, outspace, sum.stats);
        }
        j["oob"] = OobJson(before, oob);
        if (!r.ok()) {
          ++sum.actions["refused"];
          j["action"] = "refused";
          j["reason"] = offload::ToString(r.refusal);
        } else {
          for (const TxSegment& s : r.segments(outspace)) {
            frame_out.resize(s.size());
            offload::LinearizeSegment(s, frame_out);
            write(frame_out);
          }
          ++sum.actions[std::string(offload::ToString(r.action))];
          j["action"] = offload::ToString(r.action);
          j["reason"] = nullptr;
        }
        j["segments"] = r.segment_count;
        j["mss"] = r.mss;
        j["header_length"] = r.ok() ? r.header_length : hl;
        j["payload_bytes"] = r.payload_bytes;
      }
    }
    if (!j.contains("oob")) j["oob"] = nullptr;
    j["out_lengths"] = out_lengths;
    if (o.json) out << j.dump() << "\n";
    if (write_failed) break;
  }
  if (!write_failed && !writer.Close(&io_error)) write_failed = true;

  std::map<std::string, std::uint64_t> refusals;
  for (std::size_t i = 1; i < offload::kTxRefusalCount; ++i) {
    if (sum.stats.refused[i] != 0) {
      refusals[std::string(offload::ToString(static_cast<TxRefusal>(i)))] = sum.stats.refused[i];
    }
  }
  if (o.json) {
    json s = {{"frames_in", sum.frames_in},
              {"frames_out", sum.frames_out},
              {"actions", sum.actions},
              {"passthrough_reasons", sum.passthrough},
              {"refusals", refusals},
              {"segments", sum.stats.segments},
              {"payload_bytes", sum.stats.payload_bytes}};
    if (read_failed) s["read_error"] = io_error.message;
    out << json{{"summary", s}}.dump() << "\n";
  } else {
    out << sum.frames_in << " frames in, " << sum.frames_out << " frames out\n";
    auto dump = [&](const char* title, const std::map<std::string, std::uint64_t>& m) {
      if (m.empty()) return;
      out << title << ":";
      for (const auto& [k, v] : m) out << " " << k << "=" << v;
      out << "\n";
    };
    dump("actions", sum.actions);
    dump("passthrough", sum.passthrough);
    dump("refused", refusals);
    out << "segments " << sum.stats.segments << ", payload bytes " << sum.stats.payload_bytes
        << "\n";
  }
  if (read_failed) {
    err << "nvgre tx: " << io_error.message << "\n";
    return 2;
  }
  if (write_failed) {
    err << "nvgre tx: " << io_error.message << "\n";
    return 2;
  }
  return 0;
}

namespace {
void AddTx(CLI::App& app, Runner& run) {
  auto o = std::make_shared<TxOptions>();
  auto* cmd = app.add_subcommand(
      "tx", "run the NIC transmit offloads (checksum, LSOv2, USO) on every NVGRE frame of a capture");
  cmd->add_option("in", o->in, "pcap or pcapng file of NVGRE frames as the stack sends them")->required();
  cmd->add_option("out", o->out, "pcap file for the frames the NIC puts on the wire")->required();
  cmd->add_option("--lso", o->lso, "LSOv2 super-frames (inner TCP, larger than --mtu) with this MSS, or 'auto'");
  cmd->add_option("--uso", o->uso, "USO super-frames (inner UDP, larger than --mtu) with this MSS, or 'auto'");
  cmd->add_option("--csum", o->csum, "checksum offloads to request: ip,tcp,udp | all | none")
      ->capture_default_str();
  cmd->add_option("--mtu", o->mtu, "IP MTU of the link (super-frame threshold, 'auto' MSS)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "one JSON object per input frame, then a summary object");
  cmd->add_option("--max-header-size", o->max_header_size, "MaxHeaderSizeSupported")->capture_default_str();
  cmd->add_option("--max-offload-size", o->max_offload_size, "LSOv2/USO MaxOffLoadSize")->capture_default_str();
  cmd->add_option("--min-segments", o->min_segments, "LSOv2/USO MinSegmentCount")->capture_default_str();
  cmd->add_option("--min-mss", o->min_mss, "smallest MSS the NIC accepts")->capture_default_str();
  cmd->add_flag("!--no-encap-offload", o->encapsulated_offload,
                "NVGRE task offload not active (every offload request is refused)");
  cmd->callback([&run, o] { run = [o] { return RunTx(*o, std::cout, std::cerr); }; });
}
const CommandRegistration kTx{"tx", AddTx};
}  // namespace

}  // namespace nvgre::cli
