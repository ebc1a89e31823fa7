// Fuzz target: io::PcapReader on arbitrary file contents, through libpcap and through the
// forced pcapng block reader (PcapReaderOptions{.pcapng_block_reader = true}).
// NVGRE_FUZZ_LIBS: io
//
// Input: the whole capture file. It is written to an in-memory file (memfd_create) and opened
// by its /proc/self/fd path, which is a regular, seekable file, so the fallback to the block
// reader can re-read it. Invariants, for both ways of opening:
//   - Open() and Next() never crash, throw or hang; an error is a message naming the file;
//   - every record: data.size() == caplen, every byte of data readable (ASan checks the
//     buffer), index counts 1, 2, 3 ..., ts_nsec < 10^9; packets_read() == the last index;
//   - kEnd and kError are sticky;
//   - when libpcap reads a pcapng file to the end without falling back and the block reader
//     also reads it to the end, both deliver the same frames (bytes, lengths, timestamps).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/io/pcap_file.h"

namespace {

using namespace nvgre::io;  // NOLINT

struct Frame {
  std::vector<std::uint8_t> data;
  std::uint32_t caplen, wire_len;
  std::int64_t ts_sec;
  std::uint32_t ts_nsec;
  int linktype;
};

struct ReadOut {
  bool opened = false;
  PcapReader::Status end = PcapReader::Status::kEnd;
  std::string format;
  std::vector<Frame> frames;
};

constexpr std::size_t kMaxFrames = 100000;  // more than any input of -max_len can hold

ReadOut ReadAllFrames(const std::string& path, const PcapReaderOptions& options) {
  ReadOut r;
  auto opened = PcapReader::Open(path, options);
  if (auto* e = std::get_if<IoError>(&opened)) {
    FUZZ_CHECK(!e->message.empty());
    return r;
  }
  r.opened = true;
  PcapReader& reader = std::get<PcapReader>(opened);
  FUZZ_CHECK(reader.path() == path);
  PacketRecord rec;
  IoError err;
  PcapReader::Status s;
  while ((s = reader.Next(rec, &err)) == PcapReader::Status::kPacket) {
    FUZZ_CHECK(rec.data.size() == rec.caplen);
    FUZZ_CHECK(rec.index == r.frames.size() + 1 && reader.packets_read() == rec.index);
    FUZZ_CHECK(rec.ts_nsec < 1'000'000'000u);  // pcap_file.h contract
    // Touch every byte: a record that overstates its buffer is a heap overflow under ASan.
    unsigned sum = 0;
    for (const std::uint8_t b : rec.data) sum += b;
    (void)sum;
    r.frames.push_back({std::vector<std::uint8_t>(rec.data.begin(), rec.data.end()), rec.caplen,
                        rec.wire_len, rec.ts_sec, rec.ts_nsec, rec.linktype});
    FUZZ_CHECK(r.frames.size() <= kMaxFrames);
  }
  r.end = s;
  if (s == PcapReader::Status::kError) FUZZ_CHECK(!err.message.empty());
  // Sticky.
  IoError again;
  FUZZ_CHECK(reader.Next(rec, &again) == s);
  FUZZ_CHECK(reader.packets_read() == r.frames.size());
  r.format = std::string(reader.format());
  FUZZ_CHECK(!r.format.empty());
  // A moved-from reader is an error, not a crash.
  PcapReader moved = std::move(reader);
  FUZZ_CHECK(reader.Next(rec, &again) == PcapReader::Status::kError);  // NOLINT: use after move is the test
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("nvgre_pcap_fuzz", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0);
  std::size_t written = 0;
  while (written < size) {
    const ssize_t n = write(fd, data + written, size - written);
    FUZZ_CHECK(n > 0);
    written += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);

  const ReadOut lib = ReadAllFrames(path, PcapReaderOptions{});
  const ReadOut blocks = ReadAllFrames(path, PcapReaderOptions{.pcapng_block_reader = true});
  close(fd);

  // Differential: libpcap and the block reader on a pcapng file both read to the end.
  if (lib.opened && blocks.opened && lib.format == "pcapng" &&
      blocks.format == "pcapng (nvgre block reader)" && lib.end == PcapReader::Status::kEnd &&
      blocks.end == PcapReader::Status::kEnd) {
    FUZZ_CHECK(lib.frames.size() == blocks.frames.size());
    for (std::size_t i = 0; i < lib.frames.size(); ++i) {
      const Frame& a = lib.frames[i];
      const Frame& b = blocks.frames[i];
      FUZZ_CHECK(a.data == b.data && a.caplen == b.caplen && a.wire_len == b.wire_len);
      FUZZ_CHECK(a.ts_sec == b.ts_sec && a.ts_nsec == b.ts_nsec && a.linktype == b.linktype);
    }
  }
  return 0;
}
