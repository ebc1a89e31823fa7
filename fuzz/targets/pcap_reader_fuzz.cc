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
//     also reads it to the end, both deliver the same frames (bytes, lengths, timestamps; the
//     timestamps only when no interface has an if_tsresol finer than libpcap can convert, see
//     FinerThanLibpcapConverts).
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

// libpcap 1.10.3 (sf-pcapng.c, SCALE_DOWN) converts a pcapng timestamp to nanoseconds as
// frac * 10^9 / units_per_second in 64 bits, which overflows once units_per_second exceeds
// 2^64 / 10^9 (if_tsresol 10^-11 or 2^-35 and finer): frame 1 of the regression
// `libpcap-tsresol-2e-50-overflow` (2^-50 s units) reads as 1509.000014527 through libpcap and
// 1509.903313599 through the block reader, which is exact (128-bit). True when an Interface
// Description Block of the (well-formed: both readers read it to the end) file declares such a
// resolution, found by a plain walk of the blocks.
bool FinerThanLibpcapConverts(const std::uint8_t* data, std::size_t size) {
  bool big = false;
  auto load = [&](std::size_t at, int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i) {
      const std::uint8_t b = data[at + static_cast<std::size_t>(big ? i : n - 1 - i)];
      v = (v << 8) | b;
    }
    return v;
  };
  for (std::size_t at = 0; at + 12 <= size;) {
    const std::uint32_t type = load(at, 4);
    if (type == 0x0A0D0D0A) big = data[at + 8] == 0x1A;  // the section's byte-order magic
    const std::uint32_t length = load(at + 4, 4);
    if (length < 12 || length % 4 != 0 || length > size - at) return false;
    if (type == 1 && length >= 20) {  // IDB: options after 8 bytes of body
      for (std::size_t o = at + 16; o + 4 <= at + length - 4;) {
        const std::uint32_t code = load(o, 2), len = load(o + 2, 2);
        if (code == 0 || o + 4 + len > at + length - 4) break;
        if (code == 9 && len == 1) {
          const std::uint8_t r = data[o + 4];
          if ((r & 0x80) != 0 ? (r & 0x7F) >= 35 : r >= 11) return true;
        }
        o += 4 + ((len + 3u) & ~3u);
      }
    }
    at += length;
  }
  return false;
}

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
    const bool fine_tsresol = FinerThanLibpcapConverts(data, size);
    for (std::size_t i = 0; i < lib.frames.size(); ++i) {
      const Frame& a = lib.frames[i];
      const Frame& b = blocks.frames[i];
      FUZZ_CHECK(a.data == b.data && a.caplen == b.caplen && a.wire_len == b.wire_len);
      FUZZ_CHECK(a.linktype == b.linktype);
      if (!fine_tsresol) FUZZ_CHECK(a.ts_sec == b.ts_sec && a.ts_nsec == b.ts_nsec);
    }
  }
  return 0;
}
