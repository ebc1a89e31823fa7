// Test helpers: load every frame of a capture, list the shared captures, read the tshark
// reference dissections in ../shared/testdata/dissect/.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nvgre::testing {

struct Frame {
  std::uint64_t number = 0;
  std::uint32_t wire_len = 0;
  int linktype = 0;
  std::vector<std::uint8_t> data;
};

std::string SharedTestdata(const std::string& name);  // ../shared/testdata/<name>
std::string ProjectTestdata(const std::string& name); // testdata/<name>

// All frames of a pcap/pcapng file; fails the current test (ADD_FAILURE) on a read error.
std::vector<Frame> LoadFrames(const std::string& path);

// Every *.pcap / *.pcapng file name in ../shared/testdata, sorted.
std::vector<std::string> SharedCaptures();

// One row of dissect/<capture>.tshark-4.0.17.tsv: column name -> field text.
using TsharkRow = std::map<std::string, std::string>;
// Rows by frame number; empty if the reference file does not exist.
std::map<std::uint64_t, TsharkRow> LoadTshark(const std::string& capture);
// Splits an aggregated tshark field ("1,0") into its occurrences.
std::vector<std::string> Occurrences(const std::string& field);

}  // namespace nvgre::testing
