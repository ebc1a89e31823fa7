// PcapReader against the shared captures (counts from capinfos 4.0.17, timestamps and lengths
// from tshark -T fields -e frame.time_epoch -e frame.len), the pcapng fallback, and malformed
// classic pcap files built here.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "io/io_test_util.h"
#include "nvgre/io/pcap_file.h"

namespace nvgre::io {
namespace {

using testing_util::Frame;
using testing_util::PcapngBuilder;
using testing_util::ReadAll;
using testing_util::ReadFile;
using testing_util::ReadResult;
using testing_util::SharedTestdata;
using testing_util::TempPath;
using testing_util::TestFrame;
using testing_util::WriteFile;
using Status = PcapReader::Status;

// capinfos -c for every capture in shared/testdata.
const std::map<std::string, std::size_t>& SharedCaptureCounts() {
  static const std::map<std::string, std::size_t> counts = {
      {"deepflow_tencent-gre.pcap", 1},
      {"deepflow_vmware-gre-teb.pcap", 57},
      {"derived_gre_checksum_vectors.pcap", 4},
      {"dpdk_test_cksum.pcap", 5},
      {"gopacket_gre_test.pcap", 2},
      {"ovs_gre_decap_inputs.pcap", 6},
      {"ovs_tso_plain_expected.pcap", 10},
      {"ovs_tso_tunnel_expected.pcap", 48},
      {"ovs_tso_tunnel_gre_expected.pcap", 16},
      {"packetnet_gre_all_options.pcap", 10},
      {"packetnet_gre_custom_protocol.pcap", 1},
      {"packetnet_gre_ipv6.pcap", 1},
      {"packetnet_gre_nvgre.pcap", 1},
      {"pcapplusplus_GrePackets.converted.pcap", 7},
      {"pcapplusplus_GrePackets.pcapng", 7},
      {"pcapplusplus_GrePackets_pptp.pcap", 28},
      {"tcpdump_bigtcp-ipv4.pcap", 1},
      {"tcpdump_bigtcp-ipv6.pcap", 1},
      {"tcpdump_erspan-type-ii-1.pcap", 1},
      {"tcpdump_erspan-type-iii-ft-0.pcap", 9},
      {"tcpdump_gre-heapoverflow-1.pcap", 2},
      {"tcpdump_gre-heapoverflow-2.pcap", 2},
      {"tcpdump_gso-ipv4-geneve-ipv6.pcap", 1},
      {"tcpdump_gso-ipv4-vxlan-ipv4.pcap", 1},
      {"tcpdump_gso-ipv4.pcap", 1},
      {"tcpdump_gso-ipv6-vxlan-ipv6.pcap", 1},
      {"tcpdump_gso-ipv6.pcap", 1},
      {"tcpdump_ipv4_tcp_http_xml_tso.pcap", 1},
      {"tcpdump_nhrp-trace.pcap", 4},
      {"tcpdump_various_gre.pcap", 100},
      {"zeek_gre-pptp.pcap", 2},
      {"zeek_gre-sample.pcap", 40},
      {"zeek_gre-within-gre.pcap", 628},
  };
  return counts;
}

TEST(PcapReaderShared, EveryCaptureReadsToTheEndWithTheCapinfosCount) {
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(NVGRE_SHARED_TESTDATA_DIR)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    ++seen;
    const auto it = SharedCaptureCounts().find(name);
    ASSERT_NE(it, SharedCaptureCounts().end()) << "new capture: add its capinfos count here";
    const ReadResult r = ReadAll(entry.path().string());
    ASSERT_FALSE(r.open_error) << *r.open_error;
    EXPECT_EQ(r.last, Status::kEnd) << r.error;
    EXPECT_EQ(r.frames.size(), it->second);
    EXPECT_EQ(r.linktype, 1);  // all Ethernet
    for (std::size_t i = 0; i < r.frames.size(); ++i) {
      EXPECT_EQ(r.frames[i].index, i + 1);
      EXPECT_EQ(r.frames[i].linktype, 1);
      EXPECT_LE(r.frames[i].caplen, r.frames[i].wire_len);
      EXPECT_LT(r.frames[i].ts_nsec, 1'000'000'000u);
    }
  }
  EXPECT_EQ(seen, SharedCaptureCounts().size());
}

// packetnet gre_nvgre.pcap: one 98-byte frame; outer Ethernet to aa:bb:00:00:20:02, inner TCP
// payload "ab cd" at the very end.
TEST(PcapReaderShared, PacketnetNvgre) {
  const ReadResult r = ReadAll(SharedTestdata("packetnet_gre_nvgre.pcap"));
  ASSERT_FALSE(r.open_error);
  EXPECT_EQ(r.format, "pcap");
  EXPECT_EQ(r.linktype, 1);
  EXPECT_EQ(r.snaplen, 65536u);
  ASSERT_EQ(r.frames.size(), 1u);
  const Frame& f = r.frames[0];
  EXPECT_EQ(f.index, 1u);
  EXPECT_EQ(f.ts_sec, 1664265431);
  EXPECT_EQ(f.ts_nsec, 201984000u);
  EXPECT_EQ(f.caplen, 98u);
  EXPECT_EQ(f.wire_len, 98u);
  EXPECT_EQ(f.interface_id, 0u);
  EXPECT_EQ(f.linktype, 1);
  ASSERT_EQ(f.data.size(), 98u);
  EXPECT_EQ((std::vector<std::uint8_t>(f.data.begin(), f.data.begin() + 6)),
            (std::vector<std::uint8_t>{0xaa, 0xbb, 0x00, 0x00, 0x20, 0x02}));
  EXPECT_EQ(f.data[96], 0xab);
  EXPECT_EQ(f.data[97], 0xcd);
  // The file is the 24-byte header, one 16-byte record header and the frame.
  const std::vector<std::uint8_t> file = ReadFile(SharedTestdata("packetnet_gre_nvgre.pcap"));
  ASSERT_EQ(file.size(), 138u);
  EXPECT_TRUE(std::equal(f.data.begin(), f.data.end(), file.begin() + 40));
}

TEST(PcapReaderShared, DeepflowVmwareGreTeb) {
  const ReadResult r = ReadAll(SharedTestdata("deepflow_vmware-gre-teb.pcap"));
  ASSERT_EQ(r.frames.size(), 57u);
  EXPECT_EQ(r.frames[0].ts_sec, 1626876967);
  EXPECT_EQ(r.frames[0].ts_nsec, 123610000u);
  EXPECT_EQ(r.frames[0].wire_len, 140u);
  EXPECT_EQ(r.frames[56].index, 57u);
  EXPECT_EQ(r.frames[56].ts_sec, 1626876975);
  EXPECT_EQ(r.frames[56].ts_nsec, 369626000u);
  EXPECT_EQ(r.frames[56].caplen, 140u);
}

TEST(PcapReaderShared, ZeekGreWithinGre) {
  const ReadResult r = ReadAll(SharedTestdata("zeek_gre-within-gre.pcap"));
  ASSERT_EQ(r.frames.size(), 628u);
  EXPECT_EQ(r.snaplen, 65535u);
  EXPECT_EQ(r.frames[0].ts_sec, 1341436424);
  EXPECT_EQ(r.frames[0].ts_nsec, 204043000u);
  EXPECT_EQ(r.frames[0].caplen, 162u);
  EXPECT_EQ(r.frames[627].ts_sec, 1341436466);
  EXPECT_EQ(r.frames[627].ts_nsec, 584264000u);
}

TEST(PcapReaderShared, BigTcpFrameLongerThan64K) {
  const ReadResult r = ReadAll(SharedTestdata("tcpdump_bigtcp-ipv4.pcap"));
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].caplen, 80066u);
  EXPECT_EQ(r.frames[0].wire_len, 80066u);
  EXPECT_EQ(r.frames[0].ts_sec, 1759417540);
  EXPECT_EQ(r.frames[0].ts_nsec, 30951000u);
}

// libpcap 1.10.3 refuses this pcapng (interface 1 has snaplen 65535, interface 0 262144); the
// block reader reads it, and SOURCES.md says the .converted.pcap is its lossless conversion.
TEST(PcapReaderShared, PcapngFallbackMatchesConvertedPcap) {
  auto opened = PcapReader::Open(SharedTestdata("pcapplusplus_GrePackets.pcapng"));
  ASSERT_TRUE(std::holds_alternative<PcapReader>(opened)) << std::get<IoError>(opened).message;
  const auto& reader = std::get<PcapReader>(opened);
  EXPECT_EQ(reader.format(), "pcapng (nvgre block reader)");
  EXPECT_NE(reader.fallback_reason().find("snapshot length"), std::string_view::npos)
      << reader.fallback_reason();
  EXPECT_EQ(reader.linktype(), 1);
  EXPECT_EQ(reader.snaplen(), 262144u);

  const ReadResult ng = ReadAll(SharedTestdata("pcapplusplus_GrePackets.pcapng"));
  const ReadResult conv = ReadAll(SharedTestdata("pcapplusplus_GrePackets.converted.pcap"));
  ASSERT_EQ(ng.last, Status::kEnd) << ng.error;
  ASSERT_EQ(conv.last, Status::kEnd) << conv.error;
  EXPECT_EQ(conv.format, "pcap");
  ASSERT_EQ(ng.frames.size(), 7u);
  ASSERT_EQ(conv.frames.size(), 7u);
  const std::array<std::uint32_t, 7> lengths = {58, 46, 66, 77, 114, 268, 96};
  for (std::size_t i = 0; i < 7; ++i) {
    SCOPED_TRACE(i + 1);
    EXPECT_EQ(ng.frames[i].index, i + 1);
    EXPECT_EQ(ng.frames[i].interface_id, i == 6 ? 1u : 0u);
    EXPECT_EQ(ng.frames[i].linktype, 1);
    EXPECT_EQ(ng.frames[i].caplen, lengths[i]);
    EXPECT_EQ(ng.frames[i].wire_len, lengths[i]);
    EXPECT_EQ(ng.frames[i].data, conv.frames[i].data);
    EXPECT_EQ(ng.frames[i].ts_sec, conv.frames[i].ts_sec);
    EXPECT_EQ(ng.frames[i].ts_nsec, conv.frames[i].ts_nsec);
    EXPECT_EQ(ng.frames[i].caplen, conv.frames[i].caplen);
    EXPECT_EQ(ng.frames[i].wire_len, conv.frames[i].wire_len);
  }
  EXPECT_EQ(ng.frames[0].ts_sec, 1150344981);
  EXPECT_EQ(ng.frames[0].ts_nsec, 941650000u);
  EXPECT_EQ(ng.frames[6].ts_sec, 1605124619);
  EXPECT_EQ(ng.frames[6].ts_nsec, 87414000u);
}

// A pcapng libpcap accepts is read by libpcap; forcing the block reader gives the same frames
// (with interface ids, which libpcap does not report).
TEST(PcapReaderPcapng, LibpcapAndBlockReaderAgree) {
  for (const bool big_endian : {false, true}) {
    SCOPED_TRACE(big_endian ? "big-endian" : "little-endian");
    PcapngBuilder b;
    b.Shb(big_endian).Idb(1, 65535, std::uint8_t{9});  // nanoseconds
    b.Epb(0, 1'600'000'000'123'456'789, TestFrame(60, 1));
    b.Block(4, std::vector<std::uint8_t>(12, 0));     // a Name Resolution Block: skipped
    b.Epb(0, 1'600'000'001'000'000'001, TestFrame(61, 2), 1514);
    b.Idb(1, 65535, std::uint8_t{6});                  // same link type and snaplen: accepted
    b.Epb(1, 1'600'000'002'000'007, TestFrame(1, 3));  // microseconds
    const std::string path = TempPath(big_endian ? "agree_be.pcapng" : "agree_le.pcapng");
    WriteFile(path, b.bytes());

    const ReadResult lib = ReadAll(path);
    const ReadResult own = ReadAll(path, {.pcapng_block_reader = true});
    EXPECT_EQ(lib.format, "pcapng");
    EXPECT_EQ(own.format, "pcapng (nvgre block reader)");
    ASSERT_EQ(lib.last, Status::kEnd) << lib.error;
    ASSERT_EQ(own.last, Status::kEnd) << own.error;
    ASSERT_EQ(lib.frames.size(), 3u);
    ASSERT_EQ(own.frames.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(lib.frames[i].index, own.frames[i].index);
      EXPECT_EQ(lib.frames[i].ts_sec, own.frames[i].ts_sec);
      EXPECT_EQ(lib.frames[i].ts_nsec, own.frames[i].ts_nsec);
      EXPECT_EQ(lib.frames[i].caplen, own.frames[i].caplen);
      EXPECT_EQ(lib.frames[i].wire_len, own.frames[i].wire_len);
      EXPECT_EQ(lib.frames[i].data, own.frames[i].data);
      EXPECT_EQ(lib.frames[i].interface_id, 0u);
    }
    EXPECT_EQ(own.frames[0].ts_sec, 1'600'000'000);
    EXPECT_EQ(own.frames[0].ts_nsec, 123'456'789u);
    EXPECT_EQ(own.frames[1].wire_len, 1514u);
    EXPECT_EQ(own.frames[2].ts_sec, 1'600'000'002);
    EXPECT_EQ(own.frames[2].ts_nsec, 7'000u);
    EXPECT_EQ(own.frames[2].interface_id, 1u);
  }
}

// libpcap delivers the frames before the second IDB, then refuses it (other snaplen): the
// reader switches to the block reader, skips what was delivered and carries on.
TEST(PcapReaderPcapng, FallbackPartWayThrough) {
  PcapngBuilder b;
  b.Shb().Idb(1, 65535);
  b.Epb(0, 1'000'000, TestFrame(60, 1));
  b.Epb(0, 2'000'000, TestFrame(70, 2));
  b.Idb(1, 1500);
  b.Epb(1, 3'000'000, TestFrame(80, 3));
  b.Epb(0, 4'000'000, TestFrame(90, 4));
  const std::string path = TempPath("partway.pcapng");
  WriteFile(path, b.bytes());

  auto opened = PcapReader::Open(path);
  ASSERT_TRUE(std::holds_alternative<PcapReader>(opened)) << std::get<IoError>(opened).message;
  auto& reader = std::get<PcapReader>(opened);
  EXPECT_EQ(reader.format(), "pcapng");
  PacketRecord rec;
  IoError err;
  std::vector<std::uint32_t> ifaces;
  std::vector<std::size_t> sizes;
  Status s;
  while ((s = reader.Next(rec, &err)) == Status::kPacket) {
    EXPECT_EQ(rec.index, ifaces.size() + 1);
    EXPECT_EQ(rec.ts_sec, static_cast<std::int64_t>(rec.index));
    ifaces.push_back(rec.interface_id);
    sizes.push_back(rec.data.size());
    if (rec.index <= 2) {
      EXPECT_EQ(reader.format(), "pcapng");
    }
  }
  EXPECT_EQ(s, Status::kEnd) << err.message;
  EXPECT_EQ(reader.format(), "pcapng (nvgre block reader)");
  EXPECT_NE(reader.fallback_reason().find("snapshot length"), std::string_view::npos);
  EXPECT_EQ(ifaces, (std::vector<std::uint32_t>{0, 0, 1, 0}));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{60, 70, 80, 90}));
  EXPECT_EQ(reader.packets_read(), 4u);
}

// --- malformed classic pcap files ------------------------------------------------------------

std::vector<std::uint8_t> TwoRecordPcap() {
  // Little-endian microsecond pcap 2.4, snaplen 65535, Ethernet; records of 20 and 30 bytes.
  std::vector<std::uint8_t> f = {0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0xff, 0xff, 0,    0,    1, 0, 0, 0};
  for (const std::uint8_t len : {std::uint8_t{20}, std::uint8_t{30}}) {
    const std::vector<std::uint8_t> rec = {1, 0, 0, 0, 2, 0, 0, 0, len, 0, 0, 0, len, 0, 0, 0};
    f.insert(f.end(), rec.begin(), rec.end());
    const auto frame = TestFrame(len, len);
    f.insert(f.end(), frame.begin(), frame.end());
  }
  return f;  // 24 + 16 + 20 + 16 + 30 = 106 bytes
}

TEST(PcapReaderMalformed, HandBuiltPcapIsValid) {
  const std::string path = TempPath("two.pcap");
  WriteFile(path, TwoRecordPcap());
  const ReadResult r = ReadAll(path);
  ASSERT_EQ(r.frames.size(), 2u);
  EXPECT_EQ(r.last, Status::kEnd);
  EXPECT_EQ(r.frames[1].ts_sec, 1);
  EXPECT_EQ(r.frames[1].ts_nsec, 2000u);
  EXPECT_EQ(r.frames[1].data, TestFrame(30, 30));
}

TEST(PcapReaderMalformed, ZeroLengthFile) {
  const std::string path = TempPath("empty.pcap");
  WriteFile(path, {});
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.open_error);
  EXPECT_NE(r.open_error->find(path), std::string::npos) << *r.open_error;
}

// The path is named once, although libpcap's fopen message starts with it too.
TEST(PcapReaderMalformed, MissingFile) {
  const std::string path = TempPath("does_not_exist.pcap");
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.open_error);
  EXPECT_NE(r.open_error->find(path), std::string::npos) << *r.open_error;
  EXPECT_EQ(r.open_error->find(path), r.open_error->rfind(path)) << *r.open_error;
  EXPECT_NE(r.open_error->find("No such file"), std::string::npos) << *r.open_error;
}

TEST(PcapReaderMalformed, NotACaptureFile) {
  const std::string text = "This is a text file, not a capture.\nIt has two lines.\n";
  const std::string path = TempPath("text.pcap");
  WriteFile(path, std::vector<std::uint8_t>(text.begin(), text.end()));
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.open_error);
  EXPECT_NE(r.open_error->find(path), std::string::npos) << *r.open_error;
  EXPECT_NE(r.open_error->find("unknown file format"), std::string::npos) << *r.open_error;
}

TEST(PcapReaderMalformed, TruncatedFileHeader) {
  auto bytes = TwoRecordPcap();
  bytes.resize(10);
  const std::string path = TempPath("short_header.pcap");
  WriteFile(path, bytes);
  const ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.open_error);
  EXPECT_NE(r.open_error->find(path), std::string::npos) << *r.open_error;
}

// The first record is delivered, then the truncated second one is an error naming the file and
// the byte offset of that record (24 + 16 + 20 = 60); the error is sticky.
TEST(PcapReaderMalformed, TruncatedLastRecord) {
  auto bytes = TwoRecordPcap();
  bytes.resize(bytes.size() - 5);
  const std::string path = TempPath("short_record.pcap");
  WriteFile(path, bytes);
  auto opened = PcapReader::Open(path);
  ASSERT_TRUE(std::holds_alternative<PcapReader>(opened));
  auto& reader = std::get<PcapReader>(opened);
  PacketRecord rec;
  IoError err;
  ASSERT_EQ(reader.Next(rec, &err), Status::kPacket);
  EXPECT_EQ(std::vector<std::uint8_t>(rec.data.begin(), rec.data.end()), TestFrame(20, 20));
  ASSERT_EQ(reader.Next(rec, &err), Status::kError);
  EXPECT_NE(err.message.find(path), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("truncated"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find("byte offset 60"), std::string::npos) << err.message;
  IoError again;
  EXPECT_EQ(reader.Next(rec, &again), Status::kError);
  EXPECT_EQ(again.message, err.message);
  EXPECT_EQ(reader.Next(rec, nullptr), Status::kError);
}

TEST(PcapReaderMalformed, TruncatedRecordHeader) {
  auto bytes = TwoRecordPcap();
  bytes.resize(60 + 7);
  const std::string path = TempPath("short_record_header.pcap");
  WriteFile(path, bytes);
  const ReadResult r = ReadAll(path);
  ASSERT_FALSE(r.open_error);
  EXPECT_EQ(r.frames.size(), 1u);
  ASSERT_EQ(r.last, Status::kError);
  EXPECT_NE(r.error.find("byte offset 60"), std::string::npos) << r.error;
}

TEST(PcapReaderMalformed, HugeCaplen) {
  auto bytes = TwoRecordPcap();
  bytes[60 + 8] = 0xf0;  // second record's caplen = 0xfffffff0
  bytes[60 + 9] = bytes[60 + 10] = bytes[60 + 11] = 0xff;
  const std::string path = TempPath("huge_caplen.pcap");
  WriteFile(path, bytes);
  const ReadResult r = ReadAll(path);
  ASSERT_FALSE(r.open_error);
  EXPECT_EQ(r.frames.size(), 1u);
  ASSERT_EQ(r.last, Status::kError);
  EXPECT_NE(r.error.find(path), std::string::npos) << r.error;
}

// Every prefix of a valid pcap: no header -> Open fails; header only -> no frames; part of the
// record -> kError; all of it -> the frame.
TEST(PcapReaderMalformed, EveryPrefixFailsCleanly) {
  const std::vector<std::uint8_t> full = ReadFile(SharedTestdata("packetnet_gre_nvgre.pcap"));
  ASSERT_EQ(full.size(), 138u);
  const std::string path = TempPath("prefix.pcap");
  for (std::size_t n = 0; n <= full.size(); ++n) {
    SCOPED_TRACE(n);
    WriteFile(path, std::span<const std::uint8_t>(full).first(n));
    const ReadResult r = ReadAll(path);
    if (n < 24) {
      EXPECT_TRUE(r.open_error);
    } else if (n == 24) {
      EXPECT_EQ(r.last, Status::kEnd);
      EXPECT_TRUE(r.frames.empty());
    } else if (n < full.size()) {
      EXPECT_EQ(r.last, Status::kError);
      EXPECT_TRUE(r.frames.empty());
      EXPECT_NE(r.error.find("byte offset 24"), std::string::npos) << r.error;
    } else {
      EXPECT_EQ(r.last, Status::kEnd);
      EXPECT_EQ(r.frames.size(), 1u);
    }
  }
}

TEST(PcapReader, MovedFromReaderReportsAnError) {
  auto opened = PcapReader::Open(SharedTestdata("packetnet_gre_nvgre.pcap"));
  ASSERT_TRUE(std::holds_alternative<PcapReader>(opened));
  PcapReader reader = std::move(std::get<PcapReader>(opened));
  PcapReader other = std::move(reader);
  PacketRecord rec;
  IoError err;
  EXPECT_EQ(reader.Next(rec, &err), Status::kError);  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(err.message.empty());
  EXPECT_EQ(reader.format(), "");                     // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(other.Next(rec, &err), Status::kPacket);
  EXPECT_EQ(other.Next(rec, &err), Status::kEnd);
  EXPECT_EQ(other.Next(rec, &err), Status::kEnd);
  EXPECT_EQ(other.packets_read(), 1u);
  EXPECT_EQ(other.path(), SharedTestdata("packetnet_gre_nvgre.pcap"));
}

TEST(PcapReaderMalformed, DirectoryIsNotACapture) {
  const std::string dir = TempPath("a_directory");
  ASSERT_TRUE(std::filesystem::create_directory(dir));
  const ReadResult r = ReadAll(dir);
  ASSERT_TRUE(r.open_error);
  EXPECT_NE(r.open_error->find(dir), std::string::npos) << *r.open_error;
}

// Writes `bytes` into a new FIFO from a thread; the reader side gets the FIFO's path.
class FifoFeeder {
 public:
  FifoFeeder(const std::string& path, std::vector<std::uint8_t> bytes) : path_(path) {
    std::signal(SIGPIPE, SIG_IGN);
    ok_ = ::mkfifo(path.c_str(), 0600) == 0;
    if (ok_) {
      thread_ = std::thread([this, bytes = std::move(bytes)] {
        std::FILE* f = std::fopen(path_.c_str(), "wb");  // blocks until the reader opens
        if (f == nullptr) return;
        std::fwrite(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
      });
    }
  }
  ~FifoFeeder() {
    if (!thread_.joinable()) return;
    // If the reader never opened the FIFO, open it here so the writer's fopen returns.
    const int fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    thread_.join();
    if (fd >= 0) ::close(fd);
  }
  bool ok() const { return ok_; }

 private:
  std::string path_;
  bool ok_ = false;
  std::thread thread_;
};

// A pipe is not peeked at (which would eat its first bytes) and is read through libpcap.
TEST(PcapReaderPipe, ClassicPcapFromAFifo) {
  const std::string path = TempPath("classic.fifo");
  FifoFeeder feeder(path, ReadFile(SharedTestdata("deepflow_vmware-gre-teb.pcap")));
  ASSERT_TRUE(feeder.ok());
  const ReadResult r = ReadAll(path);
  ASSERT_FALSE(r.open_error) << *r.open_error;
  EXPECT_EQ(r.last, Status::kEnd) << r.error;
  EXPECT_EQ(r.format, "pcap");
  EXPECT_EQ(r.frames.size(), 57u);
}

// libpcap refuses this pcapng and a pipe cannot be re-read: an error that says so.
TEST(PcapReaderPipe, RefusedPcapngFromAFifoIsAnError) {
  const std::string path = TempPath("refused.fifo");
  FifoFeeder feeder(path, ReadFile(SharedTestdata("pcapplusplus_GrePackets.pcapng")));
  ASSERT_TRUE(feeder.ok());
  const ReadResult r = ReadAll(path);
  ASSERT_FALSE(r.open_error) << *r.open_error;
  EXPECT_TRUE(r.frames.empty());
  ASSERT_EQ(r.last, Status::kError);
  EXPECT_NE(r.error.find("snapshot length"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("cannot re-read a pipe"), std::string::npos) << r.error;
}

TEST(PcapReaderPipe, StandardInput) {
  ASSERT_NE(std::freopen(SharedTestdata("zeek_gre-sample.pcap").c_str(), "rb", stdin), nullptr);
  const ReadResult r = ReadAll("-");
  ASSERT_FALSE(r.open_error) << *r.open_error;
  EXPECT_EQ(r.last, Status::kEnd) << r.error;
  EXPECT_EQ(r.format, "pcap");
  EXPECT_EQ(r.frames.size(), 40u);
}

}  // namespace
}  // namespace nvgre::io
