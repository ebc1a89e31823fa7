// Helpers for the io tests: a private temp directory, whole-file reads and writes, a reader
// that copies every frame out, and a builder for pcapng files (good and bad).
//
//   const std::string path = TempPath("two_sections.pcapng");
//   WriteFile(path, PcapngBuilder().Shb().Idb(1, 65535).Epb(0, 1'000'000, Frame(60)).bytes());
//   ReadResult r = ReadAll(path);
//   EXPECT_EQ(r.frames.size(), 1u);
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "nvgre/io/pcap_file.h"

namespace nvgre::io::testing_util {

inline std::string SharedTestdata(const std::string& name) {
  return std::string(NVGRE_SHARED_TESTDATA_DIR) + "/" + name;
}

// A directory of our own under testing::TempDir(), created once per test process and removed
// with everything in it when the process exits.
class TempDirectoryHolder {
 public:
  TempDirectoryHolder() {
    std::string tmpl = ::testing::TempDir();
    if (!tmpl.empty() && tmpl.back() != '/') tmpl += '/';
    tmpl += "nvgre_io_test_XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDirectoryHolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDirectoryHolder(const TempDirectoryHolder&) = delete;
  TempDirectoryHolder& operator=(const TempDirectoryHolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;  // empty if mkdtemp failed
};

inline const std::string& TempDirectory() {
  static const TempDirectoryHolder holder;
  return holder.path();
}

inline std::string TempPath(const std::string& name) {
  EXPECT_FALSE(TempDirectory().empty()) << "mkdtemp failed";
  return TempDirectory() + "/" + name;
}

inline void WriteFile(const std::string& path, std::span<const std::uint8_t> bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  if (!bytes.empty()) {
    ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  }
  ASSERT_EQ(std::fclose(f), 0);
}

inline std::vector<std::uint8_t> ReadFile(const std::string& path) {
  std::vector<std::uint8_t> out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  std::uint8_t buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  std::fclose(f);
  return out;
}

// A PacketRecord with its bytes copied out of the reader.
struct Frame {
  std::uint64_t index = 0;
  std::int64_t ts_sec = 0;
  std::uint32_t ts_nsec = 0;
  std::uint32_t caplen = 0;
  std::uint32_t wire_len = 0;
  std::uint32_t interface_id = 0;
  int linktype = 0;
  std::vector<std::uint8_t> data;
};

struct ReadResult {
  std::optional<std::string> open_error;  // set when Open() failed
  std::string format;
  int linktype = 0;
  std::uint32_t snaplen = 0;
  std::vector<Frame> frames;
  PcapReader::Status last = PcapReader::Status::kEnd;
  std::string error;                      // Next()'s error, when last == kError
};

inline ReadResult ReadAll(const std::string& path, const PcapReaderOptions& options = {}) {
  ReadResult r;
  auto opened = PcapReader::Open(path, options);
  if (auto* e = std::get_if<IoError>(&opened)) {
    r.open_error = e->message;
    return r;
  }
  auto& reader = std::get<PcapReader>(opened);
  r.linktype = reader.linktype();
  r.snaplen = reader.snaplen();
  PacketRecord rec;
  IoError err;
  while ((r.last = reader.Next(rec, &err)) == PcapReader::Status::kPacket) {
    EXPECT_EQ(rec.caplen, rec.data.size());
    r.frames.push_back(Frame{rec.index, rec.ts_sec, rec.ts_nsec, rec.caplen, rec.wire_len,
                             rec.interface_id, rec.linktype,
                             std::vector<std::uint8_t>(rec.data.begin(), rec.data.end())});
  }
  if (r.last == PcapReader::Status::kError) r.error = err.message;
  r.format = std::string(reader.format());  // after reading: a fallback may have happened
  return r;
}

// A frame of `n` bytes whose contents depend on `seed`.
inline std::vector<std::uint8_t> TestFrame(std::size_t n, std::uint8_t seed = 0) {
  std::vector<std::uint8_t> f(n);
  for (std::size_t i = 0; i < n; ++i) f[i] = static_cast<std::uint8_t>(seed + i * 7);
  return f;
}

// Builds pcapng files block by block (draft-ietf-opsawg-pcapng), in the byte order of the
// current section. Lengths are right unless a test patches them afterwards; offset_of_last()
// gives the byte offset of the last block added.
class PcapngBuilder {
 public:
  PcapngBuilder& Shb(bool big_endian = false, std::uint16_t major = 1) {
    be_ = big_endian;
    std::vector<std::uint8_t> body;
    Put32(body, 0x1A2B3C4D);
    Put16(body, major);
    Put16(body, 0);
    Put32(body, 0xFFFFFFFF);  // section length -1: not given
    Put32(body, 0xFFFFFFFF);
    return Block(0x0A0D0D0A, body);
  }
  PcapngBuilder& Idb(std::uint16_t linktype, std::uint32_t snaplen,
                     std::optional<std::uint8_t> tsresol = std::nullopt,
                     std::optional<std::int64_t> tsoffset = std::nullopt) {
    std::vector<std::uint8_t> body;
    Put16(body, linktype);
    Put16(body, 0);
    Put32(body, snaplen);
    if (tsresol) {
      Put16(body, 9);
      Put16(body, 1);
      body.push_back(*tsresol);
      body.insert(body.end(), 3, 0);
    }
    if (tsoffset) {
      Put16(body, 14);
      Put16(body, 8);
      Put64(body, static_cast<std::uint64_t>(*tsoffset));
    }
    if (tsresol || tsoffset) Put32(body, 0);  // opt_endofopt
    return Block(1, body);
  }
  PcapngBuilder& Epb(std::uint32_t iface, std::uint64_t ts_units, std::span<const std::uint8_t> data,
                     std::optional<std::uint32_t> wire_len = std::nullopt) {
    std::vector<std::uint8_t> body;
    Put32(body, iface);
    Put32(body, static_cast<std::uint32_t>(ts_units >> 32));
    Put32(body, static_cast<std::uint32_t>(ts_units));
    Put32(body, static_cast<std::uint32_t>(data.size()));
    Put32(body, wire_len.value_or(static_cast<std::uint32_t>(data.size())));
    PutPadded(body, data);
    return Block(6, body);
  }
  PcapngBuilder& Pb(std::uint16_t iface, std::uint64_t ts_units,
                    std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> body;
    Put16(body, iface);
    Put16(body, 0);  // drops count
    Put32(body, static_cast<std::uint32_t>(ts_units >> 32));
    Put32(body, static_cast<std::uint32_t>(ts_units));
    Put32(body, static_cast<std::uint32_t>(data.size()));
    Put32(body, static_cast<std::uint32_t>(data.size()));
    PutPadded(body, data);
    return Block(2, body);
  }
  PcapngBuilder& Spb(std::uint32_t wire_len, std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> body;
    Put32(body, wire_len);
    PutPadded(body, data);
    return Block(3, body);
  }
  // Any block: type, then `body` (padded), with correct leading and trailing lengths.
  PcapngBuilder& Block(std::uint32_t type, std::span<const std::uint8_t> body) {
    last_ = bytes_.size();
    std::vector<std::uint8_t> padded(body.begin(), body.end());
    while (padded.size() % 4 != 0) padded.push_back(0);
    const auto total = static_cast<std::uint32_t>(12 + padded.size());
    Put32(bytes_, type);
    Put32(bytes_, total);
    bytes_.insert(bytes_.end(), padded.begin(), padded.end());
    Put32(bytes_, total);
    return *this;
  }
  // Overwrites 4 bytes at `offset` with `v` in the current byte order.
  PcapngBuilder& Patch32(std::size_t offset, std::uint32_t v) {
    std::vector<std::uint8_t> tmp;
    Put32(tmp, v);
    for (std::size_t i = 0; i < 4; ++i) bytes_.at(offset + i) = tmp[i];
    return *this;
  }

  std::size_t offset_of_last() const { return last_; }
  std::size_t size() const { return bytes_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  void Put16(std::vector<std::uint8_t>& v, std::uint16_t x) const {
    if (be_) {
      v.push_back(static_cast<std::uint8_t>(x >> 8));
      v.push_back(static_cast<std::uint8_t>(x));
    } else {
      v.push_back(static_cast<std::uint8_t>(x));
      v.push_back(static_cast<std::uint8_t>(x >> 8));
    }
  }
  void Put32(std::vector<std::uint8_t>& v, std::uint32_t x) const {
    Put16(v, static_cast<std::uint16_t>(be_ ? x >> 16 : x));
    Put16(v, static_cast<std::uint16_t>(be_ ? x : x >> 16));
  }
  void Put64(std::vector<std::uint8_t>& v, std::uint64_t x) const {
    Put32(v, static_cast<std::uint32_t>(be_ ? x >> 32 : x));
    Put32(v, static_cast<std::uint32_t>(be_ ? x : x >> 32));
  }
  static void PutPadded(std::vector<std::uint8_t>& v, std::span<const std::uint8_t> data) {
    v.insert(v.end(), data.begin(), data.end());
    while (v.size() % 4 != 0) v.push_back(0);
  }

  bool be_ = false;
  std::size_t last_ = 0;
  std::vector<std::uint8_t> bytes_;
};

}  // namespace nvgre::io::testing_util
