// PcapWriter: frames written are read back byte-identical, with nanosecond timestamps.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "nvgre/io/pcap_file.h"

namespace nvgre::io {
namespace {

using testing_util::ReadAll;
using testing_util::ReadFile;
using testing_util::ReadResult;
using testing_util::TempPath;
using testing_util::TestFrame;
using Status = PcapReader::Status;

PcapWriter OpenOrDie(const std::string& path, int linktype,
                     std::uint32_t snaplen = PcapWriter::kDefaultSnaplen) {
  auto opened = PcapWriter::Open(path, linktype, snaplen);
  if (auto* e = std::get_if<IoError>(&opened)) ADD_FAILURE() << e->message;
  return std::move(std::get<PcapWriter>(opened));
}

TEST(PcapWriter, RoundTripWithNanoseconds) {
  const std::string path = TempPath("roundtrip.pcap");
  const auto a = TestFrame(60, 1);
  const auto b = TestFrame(1514, 2);
  const std::vector<std::uint8_t> empty;
  {
    PcapWriter w = OpenOrDie(path, 1);
    IoError err;
    ASSERT_TRUE(w.Write(1'600'000'000, 123'456'789, a, 0, &err)) << err.message;
    ASSERT_TRUE(w.Write(1'600'000'001, 999'999'999, b, 9000, &err)) << err.message;
    ASSERT_TRUE(w.Write(0, 0, empty, 0, &err)) << err.message;
    EXPECT_EQ(w.packets_written(), 3u);
    EXPECT_EQ(w.path(), path);
    ASSERT_TRUE(w.Close(&err)) << err.message;
  }
  // Nanosecond pcap magic 0xA1B23C4D in host (little-endian) order, version 2.4.
  const auto file = ReadFile(path);
  ASSERT_GE(file.size(), 24u);
  EXPECT_EQ((std::vector<std::uint8_t>(file.begin(), file.begin() + 6)),
            (std::vector<std::uint8_t>{0x4d, 0x3c, 0xb2, 0xa1, 0x02, 0x00}));
  EXPECT_EQ(file.size(), 24u + 3 * 16 + 60 + 1514);

  const ReadResult r = ReadAll(path);
  ASSERT_EQ(r.last, Status::kEnd) << r.error;
  EXPECT_EQ(r.format, "pcap");
  EXPECT_EQ(r.linktype, 1);
  EXPECT_EQ(r.snaplen, 262144u);
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_EQ(r.frames[0].data, a);
  EXPECT_EQ(r.frames[0].ts_sec, 1'600'000'000);
  EXPECT_EQ(r.frames[0].ts_nsec, 123'456'789u);
  EXPECT_EQ(r.frames[0].wire_len, 60u);  // 0: data.size()
  EXPECT_EQ(r.frames[1].data, b);
  EXPECT_EQ(r.frames[1].ts_nsec, 999'999'999u);
  EXPECT_EQ(r.frames[1].wire_len, 9000u);
  EXPECT_TRUE(r.frames[2].data.empty());
  EXPECT_EQ(r.frames[2].ts_sec, 0);
}

TEST(PcapWriter, SnaplenCutsLongFrames) {
  const std::string path = TempPath("snaplen.pcap");
  PcapWriter w = OpenOrDie(path, 1, 64);
  const auto f = TestFrame(100, 5);
  ASSERT_TRUE(w.Write(1, 0, f));
  ASSERT_TRUE(w.Close());
  const ReadResult r = ReadAll(path);
  EXPECT_EQ(r.snaplen, 64u);
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].caplen, 64u);
  EXPECT_EQ(r.frames[0].wire_len, 100u);
  EXPECT_EQ(r.frames[0].data, std::vector<std::uint8_t>(f.begin(), f.begin() + 64));
}

TEST(PcapWriter, OtherLinkType) {
  const std::string path = TempPath("raw.pcap");
  PcapWriter w = OpenOrDie(path, 12);  // DLT_RAW
  ASSERT_TRUE(w.Write(1, 0, TestFrame(20)));
  ASSERT_TRUE(w.Close());
  const ReadResult r = ReadAll(path);
  EXPECT_EQ(r.linktype, 12);
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].linktype, 12);
}

// Every shared capture, copied frame by frame, reads back the same.
TEST(PcapWriter, CopiesEverySharedCapture) {
  for (const auto& entry : std::filesystem::directory_iterator(NVGRE_SHARED_TESTDATA_DIR)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const ReadResult in = ReadAll(entry.path().string());
    ASSERT_EQ(in.last, Status::kEnd) << in.error;
    const std::string out = TempPath("copy.pcap");
    {
      PcapWriter w = OpenOrDie(out, in.linktype);
      for (const auto& f : in.frames) {
        IoError err;
        ASSERT_TRUE(w.Write(f.ts_sec, f.ts_nsec, f.data, f.wire_len, &err)) << err.message;
      }
      ASSERT_TRUE(w.Close());
    }
    const ReadResult back = ReadAll(out);
    ASSERT_EQ(back.last, Status::kEnd) << back.error;
    ASSERT_EQ(back.frames.size(), in.frames.size());
    for (std::size_t i = 0; i < in.frames.size(); ++i) {
      EXPECT_EQ(back.frames[i].data, in.frames[i].data);
      EXPECT_EQ(back.frames[i].ts_sec, in.frames[i].ts_sec);
      EXPECT_EQ(back.frames[i].ts_nsec, in.frames[i].ts_nsec);
      EXPECT_EQ(back.frames[i].wire_len, in.frames[i].wire_len);
    }
  }
}

TEST(PcapWriter, WriteRecordOverload) {
  const std::string path = TempPath("record.pcap");
  const auto data = TestFrame(42, 9);
  PacketRecord rec;
  rec.ts_sec = 77;
  rec.ts_nsec = 5;
  rec.caplen = 42;
  rec.wire_len = 100;
  rec.data = data;
  PcapWriter w = OpenOrDie(path, 1);
  ASSERT_TRUE(w.Write(rec));
  ASSERT_TRUE(w.Close());
  const ReadResult r = ReadAll(path);
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].ts_sec, 77);
  EXPECT_EQ(r.frames[0].ts_nsec, 5u);
  EXPECT_EQ(r.frames[0].wire_len, 100u);
  EXPECT_EQ(r.frames[0].data, data);
}

TEST(PcapWriter, RejectsTimestampsClassicPcapCannotHold) {
  const std::string path = TempPath("bad_ts.pcap");
  PcapWriter w = OpenOrDie(path, 1);
  const auto f = TestFrame(20);
  IoError err;
  EXPECT_FALSE(w.Write(-1, 0, f, 0, &err));
  EXPECT_NE(err.message.find(path), std::string::npos) << err.message;
  EXPECT_FALSE(w.Write(std::int64_t{1} << 31, 0, f, 0, &err));
  EXPECT_FALSE(w.Write(1, 1'000'000'000, f, 0, &err));
  EXPECT_TRUE(w.Write((std::int64_t{1} << 31) - 1, 999'999'999, f, 0, &err)) << err.message;
  EXPECT_EQ(w.packets_written(), 1u);
  ASSERT_TRUE(w.Close());
  const ReadResult r = ReadAll(path);
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].ts_sec, 2'147'483'647);
}

TEST(PcapWriter, OpenErrors) {
  const std::string missing_dir = TempPath("no/such/dir/out.pcap");
  auto a = PcapWriter::Open(missing_dir, 1);
  ASSERT_TRUE(std::holds_alternative<IoError>(a));
  EXPECT_NE(std::get<IoError>(a).message.find(missing_dir), std::string::npos);
  auto b = PcapWriter::Open(TempPath("zero_snaplen.pcap"), 1, 0);
  ASSERT_TRUE(std::holds_alternative<IoError>(b));
  EXPECT_NE(std::get<IoError>(b).message.find("snapshot length"), std::string::npos);
}

TEST(PcapWriter, CloseTwiceAndWriteAfterClose) {
  const std::string path = TempPath("closed.pcap");
  PcapWriter w = OpenOrDie(path, 1);
  ASSERT_TRUE(w.Close());
  IoError err;
  EXPECT_FALSE(w.Close(&err));
  EXPECT_NE(err.message.find("closed"), std::string::npos);
  EXPECT_FALSE(w.Write(1, 0, TestFrame(10), 0, &err));
  const ReadResult r = ReadAll(path);
  EXPECT_EQ(r.last, Status::kEnd);
  EXPECT_TRUE(r.frames.empty());
}

TEST(PcapWriter, DestructorFlushes) {
  const std::string path = TempPath("unclosed.pcap");
  {
    PcapWriter w = OpenOrDie(path, 1);
    ASSERT_TRUE(w.Write(3, 4, TestFrame(30)));
    PcapWriter moved = std::move(w);  // the moved-from writer owns nothing
    IoError err;
    EXPECT_FALSE(w.Write(3, 4, TestFrame(30), 0, &err));  // NOLINT(bugprone-use-after-move)
    ASSERT_TRUE(moved.Write(5, 6, TestFrame(31)));
  }
  const ReadResult r = ReadAll(path);
  ASSERT_EQ(r.frames.size(), 2u);
  EXPECT_EQ(r.frames[1].ts_sec, 5);
  EXPECT_EQ(r.frames[1].data, TestFrame(31));
}

}  // namespace
}  // namespace nvgre::io
