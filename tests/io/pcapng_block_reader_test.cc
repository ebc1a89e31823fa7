// The pcapng block reader (src/io/pcapng_blocks.h), through PcapReader: with
// PcapReaderOptions::pcapng_block_reader, and by default, where libpcap refuses the file first
// and the reader falls back to it. Files are built here with PcapngBuilder.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "nvgre/io/pcap_file.h"

namespace nvgre::io {
namespace {

using testing_util::PcapngBuilder;
using testing_util::ReadAll;
using testing_util::ReadResult;
using testing_util::TempPath;
using testing_util::TestFrame;
using testing_util::WriteFile;
using Status = PcapReader::Status;

constexpr PcapReaderOptions kBlockReader{.pcapng_block_reader = true};

ReadResult ReadBuilt(const std::string& name, const std::vector<std::uint8_t>& bytes,
                     const PcapReaderOptions& options = kBlockReader) {
  const std::string path = TempPath(name);
  WriteFile(path, bytes);
  return ReadAll(path, options);
}

// Open()'s error or Next()'s; empty if the file read to the end.
std::string AnyError(const ReadResult& r) {
  if (r.open_error) return *r.open_error;
  return r.last == Status::kError ? r.error : std::string();
}

TEST(PcapngBlockReader, TimestampResolutions) {
  PcapngBuilder b;
  b.Shb();
  b.Idb(1, 0);                               // default: microseconds
  b.Idb(1, 0, std::uint8_t{9});              // nanoseconds
  b.Idb(1, 0, std::uint8_t{3});              // milliseconds
  b.Idb(1, 0, std::uint8_t{0x80 | 20});      // 2^-20 s
  b.Idb(1, 0, std::uint8_t{6}, 1000);        // microseconds, if_tsoffset 1000 s
  b.Idb(1, 0, std::uint8_t{0}, -10);         // seconds, if_tsoffset -10 s
  const auto f = TestFrame(14);
  b.Epb(0, 1'000'001, f);
  b.Epb(1, 1'600'000'000'123'456'789, f);
  b.Epb(2, 1234, f);
  b.Epb(3, (std::uint64_t{5} << 20) + (1u << 19) + 1, f);
  b.Epb(4, 2'000'000, f);
  b.Epb(5, 3, f);
  const ReadResult r = ReadBuilt("tsresol.pcapng", b.bytes());
  ASSERT_EQ(r.last, Status::kEnd) << AnyError(r);
  ASSERT_EQ(r.frames.size(), 6u);
  const std::vector<std::pair<std::int64_t, std::uint32_t>> want = {
      {1, 1'000}, {1'600'000'000, 123'456'789}, {1, 234'000'000},
      {5, 500'000'000},  // + 2^-20 s = 953.67 ns, truncated to 953
      {1002, 0},  {-7, 0}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(r.frames[i].interface_id, i);
    EXPECT_EQ(r.frames[i].ts_sec, want[i].first);
    EXPECT_EQ(r.frames[i].ts_nsec, want[i].second + (i == 3 ? 953u : 0u));
  }
  // libpcap accepts this file (all interfaces alike) and agrees on every timestamp.
  const ReadResult lib = ReadBuilt("tsresol.pcapng", b.bytes(), {});
  EXPECT_EQ(lib.format, "pcapng");
  EXPECT_EQ(lib.snaplen, r.snaplen);
  ASSERT_EQ(lib.frames.size(), 6u);
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(lib.frames[i].ts_sec, r.frames[i].ts_sec);
    EXPECT_EQ(lib.frames[i].ts_nsec, r.frames[i].ts_nsec);
  }
}

// Simple Packet Blocks take the captured length from IDB 0's snaplen and have no timestamp (0);
// obsolete Packet Blocks are like EPBs with a 16-bit interface id.
TEST(PcapngBlockReader, SimpleAndObsoletePacketBlocks) {
  PcapngBuilder b;
  b.Shb().Idb(1, 64).Idb(1, 0);
  b.Spb(100, TestFrame(64, 1));      // caplen min(100, 64)
  b.Spb(30, TestFrame(30, 2));       // caplen min(30, 64), padded to 32 in the block
  b.Pb(1, 7'000'000, TestFrame(17, 3));
  const ReadResult r = ReadBuilt("spb_pb.pcapng", b.bytes());
  ASSERT_EQ(r.last, Status::kEnd) << AnyError(r);
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_EQ(r.frames[0].caplen, 64u);
  EXPECT_EQ(r.frames[0].wire_len, 100u);
  EXPECT_EQ(r.frames[0].data, TestFrame(64, 1));
  EXPECT_EQ(r.frames[0].ts_sec, 0);
  EXPECT_EQ(r.frames[0].interface_id, 0u);
  EXPECT_EQ(r.frames[1].caplen, 30u);
  EXPECT_EQ(r.frames[1].data, TestFrame(30, 2));
  EXPECT_EQ(r.frames[2].interface_id, 1u);
  EXPECT_EQ(r.frames[2].ts_sec, 7);
  EXPECT_EQ(r.frames[2].data, TestFrame(17, 3));
}

// A Simple Packet Block has no timestamp: it reads as 0 + IDB 0's if_tsoffset, the time
// libpcap gives it too (fuzz finding: the block reader said 0 while libpcap said the offset).
TEST(PcapngBlockReader, SimplePacketBlockTakesTheInterfaceTsOffsetLikeLibpcap) {
  PcapngBuilder b;
  b.Shb().Idb(1, 0, std::uint8_t{6}, 6);  // microseconds, if_tsoffset 6 s
  b.Spb(30, TestFrame(30, 1));
  const ReadResult blocks = ReadBuilt("spb_tsoffset.pcapng", b.bytes());
  const ReadResult lib = ReadBuilt("spb_tsoffset_lib.pcapng", b.bytes(), PcapReaderOptions{});
  ASSERT_EQ(blocks.last, Status::kEnd) << AnyError(blocks);
  ASSERT_EQ(lib.last, Status::kEnd) << AnyError(lib);
  ASSERT_EQ(blocks.frames.size(), 1u);
  ASSERT_EQ(lib.frames.size(), 1u);
  EXPECT_EQ(blocks.frames[0].ts_sec, 6);
  EXPECT_EQ(blocks.frames[0].ts_nsec, 0u);
  EXPECT_EQ(lib.frames[0].ts_sec, 6);
  EXPECT_EQ(lib.frames[0].ts_nsec, 0u);
}

// Two sections in different byte orders; interface ids count across sections; NRB, ISB,
// DSB, custom and unknown blocks are skipped. libpcap reads the first frame, then refuses the
// second section's byte order, so the default Open() falls back part-way and gives the same
// frames, except that libpcap does not report the first frame's interface id (0).
TEST(PcapngBlockReader, SectionsByteOrdersAndSkippedBlocks) {
  PcapngBuilder b;
  b.Shb(false).Idb(1, 65535).Idb(1, 65535);
  b.Block(4, std::vector<std::uint8_t>(8, 0));          // Name Resolution Block
  b.Epb(1, 1'000'000, TestFrame(60, 1));
  b.Block(5, std::vector<std::uint8_t>(12, 0));         // Interface Statistics Block
  b.Shb(true).Idb(101, 0);                              // LINKTYPE_RAW
  b.Block(0x0A, std::vector<std::uint8_t>(16, 0xee));   // Decryption Secrets Block
  b.Block(0x00000BAD, std::vector<std::uint8_t>(9, 1)); // custom block
  b.Block(0x12345678, {});                              // unknown, empty body
  b.Epb(0, 2'000'000, TestFrame(40, 2));
  for (const bool forced : {true, false}) {
    SCOPED_TRACE(forced ? "forced" : "fallback");
    const ReadResult r = ReadBuilt("sections.pcapng", b.bytes(), {.pcapng_block_reader = forced});
    ASSERT_EQ(r.last, Status::kEnd) << AnyError(r);
    EXPECT_EQ(r.format, "pcapng (nvgre block reader)");
    EXPECT_EQ(r.linktype, 1);
    ASSERT_EQ(r.frames.size(), 2u);
    EXPECT_EQ(r.frames[0].interface_id, forced ? 1u : 0u);
    EXPECT_EQ(r.frames[0].linktype, 1);
    EXPECT_EQ(r.frames[0].data, TestFrame(60, 1));
    EXPECT_EQ(r.frames[1].interface_id, 2u);
    EXPECT_EQ(r.frames[1].linktype, 12);  // DLT_RAW on Linux
    EXPECT_EQ(r.frames[1].ts_sec, 2);
    EXPECT_EQ(r.frames[1].data, TestFrame(40, 2));
  }
}

TEST(PcapngBlockReader, SectionWithoutInterfaces) {
  PcapngBuilder b;
  b.Shb();
  const ReadResult r = ReadBuilt("no_idb.pcapng", b.bytes());
  ASSERT_FALSE(r.open_error) << *r.open_error;
  EXPECT_EQ(r.last, Status::kEnd);
  EXPECT_EQ(r.linktype, -1);
  EXPECT_TRUE(r.frames.empty());
}

// --- malformed pcapng ---------------------------------------------------------------------------

struct Malformed {
  const char* name;
  std::vector<std::uint8_t> bytes;
  std::size_t frames_before;  // delivered before the error
  std::string offset;         // "byte offset N" of the bad block
  std::string detail;         // part of the message
};

// SHB (28 bytes at 0), IDB (20 at 28), EPB of 60 bytes (92 at 48), then the block under test.
PcapngBuilder GoodStart() {
  PcapngBuilder b;
  b.Shb().Idb(1, 65535).Epb(0, 1'000'000, TestFrame(60));
  return b;
}

std::vector<Malformed> MalformedFiles() {
  std::vector<Malformed> out;
  {
    PcapngBuilder b = GoodStart();
    b.Epb(0, 2'000'000, TestFrame(20));
    b.Patch32(b.offset_of_last() + 4, 54);
    out.push_back({"length_not_multiple_of_4", b.bytes(), 1, "byte offset 140", "multiple of 4"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Epb(0, 2'000'000, TestFrame(20));
    b.Patch32(b.offset_of_last() + 4, 8);
    out.push_back({"length_below_12", b.bytes(), 1, "byte offset 140", "less than 12"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Epb(0, 2'000'000, TestFrame(20));
    b.Patch32(b.offset_of_last() + 4, 0x7FFFFFF0);
    out.push_back({"bogus_length", b.bytes(), 1, "byte offset 140", "past the end of the file"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Epb(0, 2'000'000, TestFrame(20));
    b.Patch32(b.size() - 4, 48);
    out.push_back({"trailer_mismatch", b.bytes(), 1, "byte offset 140", "differs"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Epb(0, 2'000'000, TestFrame(20));
    b.Patch32(b.offset_of_last() + 8 + 12, 21);  // caplen 21 > the 20 bytes of data
    out.push_back({"caplen_beyond_block", b.bytes(), 1, "byte offset 140", "exceeds"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Epb(0, 2'000'000, TestFrame(20));
    b.Patch32(b.offset_of_last() + 8 + 12, 0xFFFFFFF0);
    out.push_back({"caplen_huge", b.bytes(), 1, "byte offset 140", "exceeds"});
  }
  {
    PcapngBuilder b;
    b.Shb().Idb(1, 0).Spb(100, TestFrame(8));  // snaplen 0: caplen = 100 > 8
    out.push_back({"spb_beyond_block", b.bytes(), 0, "byte offset 48", "exceeds"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Epb(3, 2'000'000, TestFrame(20));
    out.push_back({"unknown_interface", b.bytes(), 1, "byte offset 140", "interface 3"});
  }
  {
    PcapngBuilder b;
    b.Shb().Epb(0, 1, TestFrame(20));
    out.push_back({"packet_before_idb", b.bytes(), 0, "byte offset 28", "Interface Description"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Patch32(8, 0x11223344);
    out.push_back({"bad_byte_order_magic", b.bytes(), 0, "byte offset 0", "byte-order magic"});
  }
  {
    PcapngBuilder b;
    b.Shb(false, 2).Idb(1, 0);
    out.push_back({"version_2", b.bytes(), 0, "byte offset 0", "version 2.0"});
  }
  {
    PcapngBuilder b = GoodStart();
    // IDB with an if_tsresol option claiming 200 bytes.
    b.Block(1, std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 200, 0, 6, 0, 0, 0});
    out.push_back({"idb_option_overrun", b.bytes(), 1, "byte offset 140", "runs past the block"});
  }
  {
    PcapngBuilder b;
    b.Shb().Idb(1, 0, std::uint8_t{20});
    out.push_back({"tsresol_too_fine", b.bytes(), 0, "byte offset 28", "if_tsresol"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Epb(0, 2'000'000, TestFrame(20));
    auto bytes = b.bytes();
    bytes.resize(bytes.size() - 6);
    out.push_back({"truncated_last_block", bytes, 1, "byte offset 140", "past the end"});
  }
  {
    PcapngBuilder b = GoodStart();
    auto bytes = b.bytes();
    bytes.insert(bytes.end(), {6, 0, 0, 0, 32});
    out.push_back({"truncated_block_header", bytes, 1, "byte offset 140", "truncated block header"});
  }
  {
    PcapngBuilder b = GoodStart();
    b.Shb();
    b.Patch32(b.offset_of_last() + 8, 0x4D3C2B1B);
    out.push_back({"second_section_bad_magic", b.bytes(), 1, "byte offset 140", "magic"});
  }
  return out;
}

TEST(PcapngBlockReaderMalformed, EachIsAnErrorWithTheBlockOffset) {
  for (const Malformed& m : MalformedFiles()) {
    for (const bool forced : {true, false}) {
      SCOPED_TRACE(std::string(m.name) + (forced ? " forced" : " fallback"));
      const std::string path = TempPath(std::string(m.name) + ".pcapng");
      WriteFile(path, m.bytes);
      const ReadResult r = ReadAll(path, {.pcapng_block_reader = forced});
      const std::string e = AnyError(r);
      ASSERT_FALSE(e.empty());
      EXPECT_EQ(r.frames.size(), m.frames_before);
      EXPECT_NE(e.find(path), std::string::npos) << e;
      EXPECT_NE(e.find(m.offset), std::string::npos) << e;
      EXPECT_NE(e.find(m.detail), std::string::npos) << e;
      if (!forced) {
        EXPECT_NE(e.find("(libpcap: "), std::string::npos) << e;
      }
    }
  }
}

// A file using every block kind the reader knows.
std::vector<std::uint8_t> RichFile() {
  PcapngBuilder b;
  b.Shb().Idb(1, 65535, std::uint8_t{9}, 5).Idb(1, 128);
  b.Epb(0, 1'000'000'000, TestFrame(60, 1));
  b.Block(4, std::vector<std::uint8_t>(8, 0));
  b.Spb(70, TestFrame(70, 2));
  b.Pb(1, 3, TestFrame(33, 3));
  b.Shb(true).Idb(1, 0);
  b.Epb(0, 4'000'000, TestFrame(41, 4));
  return b.bytes();
}

// Every prefix reads a prefix of the frames and then ends (at a block boundary) or fails.
TEST(PcapngBlockReaderMalformed, EveryPrefixFailsCleanly) {
  const auto full = RichFile();
  const ReadResult all = ReadBuilt("rich.pcapng", full);
  ASSERT_EQ(all.last, Status::kEnd) << AnyError(all);
  ASSERT_EQ(all.frames.size(), 4u);
  const std::string path = TempPath("rich_prefix.pcapng");
  for (std::size_t n = 0; n < full.size(); ++n) {
    WriteFile(path, std::span<const std::uint8_t>(full).first(n));
    for (const bool forced : {true, false}) {
      SCOPED_TRACE(std::to_string(n) + (forced ? " forced" : " fallback"));
      const ReadResult r = ReadAll(path, {.pcapng_block_reader = forced});
      ASSERT_LE(r.frames.size(), all.frames.size());
      for (std::size_t i = 0; i < r.frames.size(); ++i) {
        EXPECT_EQ(r.frames[i].data, all.frames[i].data);
      }
      if (n % 4 != 0) {
        EXPECT_FALSE(AnyError(r).empty());
      }
    }
  }
}

// Overwrite every byte with a few values: whatever comes out, no crash and no read out of
// bounds (run under ASan), and the first frames are the true ones up to the damaged block.
TEST(PcapngBlockReaderMalformed, CorruptEveryByte) {
  const auto full = RichFile();
  const std::string path = TempPath("rich_corrupt.pcapng");
  std::size_t errors = 0;
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (const std::uint8_t v : {std::uint8_t{0x00}, std::uint8_t{0xff}, std::uint8_t{0x7f}}) {
      if (full[i] == v) continue;
      auto bytes = full;
      bytes[i] = v;
      WriteFile(path, bytes);
      for (const bool forced : {true, false}) {
        const ReadResult r = ReadAll(path, {.pcapng_block_reader = forced});
        ASSERT_LE(r.frames.size(), 10u);  // no more than the blocks in the file
        if (!AnyError(r).empty()) ++errors;
      }
    }
  }
  EXPECT_GT(errors, 0u);
}

}  // namespace
}  // namespace nvgre::io
