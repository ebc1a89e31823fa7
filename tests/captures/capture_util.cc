#include "captures/capture_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <variant>

#include "nvgre/io/pcap_file.h"

namespace nvgre::testing {

std::string SharedTestdata(const std::string& name) {
  return std::string(NVGRE_SHARED_TESTDATA_DIR) + "/" + name;
}
std::string ProjectTestdata(const std::string& name) {
  return std::string(NVGRE_TESTDATA_DIR) + "/" + name;
}

std::vector<Frame> LoadFrames(const std::string& path) {
  std::vector<Frame> frames;
  auto opened = io::PcapReader::Open(path);
  if (auto* e = std::get_if<io::IoError>(&opened)) {
    ADD_FAILURE() << "cannot open " << path << ": " << e->message;
    return frames;
  }
  auto& reader = std::get<io::PcapReader>(opened);
  io::PacketRecord rec;
  io::IoError err;
  for (;;) {
    auto st = reader.Next(rec, &err);
    if (st == io::PcapReader::Status::kEnd) break;
    if (st == io::PcapReader::Status::kError) {
      ADD_FAILURE() << path << ": " << err.message;
      break;
    }
    frames.push_back({rec.index, rec.wire_len, rec.linktype,
                      std::vector<std::uint8_t>(rec.data.begin(), rec.data.end())});
  }
  return frames;
}

std::vector<std::string> SharedCaptures() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(NVGRE_SHARED_TESTDATA_DIR)) {
    const auto ext = e.path().extension().string();
    if (ext == ".pcap" || ext == ".pcapng") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> Occurrences(const std::string& field) {
  std::vector<std::string> out;
  if (field.empty()) return out;
  std::stringstream s(field);
  std::string item;
  while (std::getline(s, item, ',')) out.push_back(item);
  return out;
}

std::map<std::uint64_t, TsharkRow> LoadTshark(const std::string& capture) {
  std::map<std::uint64_t, TsharkRow> rows;
  std::string stem = capture;
  if (stem.ends_with(".pcapng")) stem = stem.substr(0, stem.size() - 7);
  else if (stem.ends_with(".pcap")) stem = stem.substr(0, stem.size() - 5);
  // The pcapng was dissected through its lossless .converted.pcap twin: one reference for both.
  if (stem.ends_with(".converted")) stem = stem.substr(0, stem.size() - 10);
  std::ifstream in(SharedTestdata("dissect/" + stem + ".tshark-4.0.17.tsv"));
  if (!in) return rows;
  auto split = [](const std::string& line) {
    std::vector<std::string> cols;
    std::size_t start = 0;
    for (;;) {
      std::size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    return cols;
  };
  std::string line;
  std::getline(in, line);
  const auto header = split(line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto cols = split(line);
    TsharkRow row;
    for (std::size_t i = 0; i < header.size() && i < cols.size(); ++i) row[header[i]] = cols[i];
    rows[std::stoull(row["frame.number"])] = row;
  }
  return rows;
}

}  // namespace nvgre::testing
