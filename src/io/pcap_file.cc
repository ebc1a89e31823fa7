// PcapReader (libpcap, falling back to the pcapng block reader) and PcapWriter (pcap_dump).
#include "nvgre/io/pcap_file.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "pcapng_blocks.h"

namespace nvgre::io {
namespace {

constexpr std::string_view kStdin = "-";
// libpcap's MAXIMUM_SNAPLEN: what it reports for a pcapng IDB snaplen of 0 ("no limit").
constexpr std::uint32_t kNoLimitSnaplen = 262144;

// "<path>: <why>", unless libpcap already put the path in front (it does for fopen errors).
std::string WithPath(const std::string& path, const std::string& why) {
  if (why.rfind(path + ":", 0) == 0) return why;
  return path + ": " + why;
}

// Only a regular file can be peeked at and re-read; a pipe (stdin, /dev/fd/N) cannot.
bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Whether the file begins with a pcapng Section Header Block type, 0x0A0D0D0A in either order.
bool StartsWithSectionHeader(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  unsigned char magic[4] = {};
  const std::size_t got = std::fread(magic, 1, sizeof magic, f);
  std::fclose(f);
  return got == sizeof magic && magic[0] == 0x0A && magic[1] == 0x0D && magic[2] == 0x0D &&
         magic[3] == 0x0A;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PcapReader

struct PcapReader::Impl {
  std::string path;
  pcap_t* pcap = nullptr;                                // libpcap path; null after a fallback
  std::unique_ptr<internal::PcapngBlockReader> blocks;   // block reader path
  bool pcapng = false;
  bool may_fall_back = false;                            // a regular pcapng file
  std::string fallback_reason;                           // libpcap's error, if it was dropped
  int linktype = -1;
  std::uint32_t snaplen = 0;
  std::uint64_t delivered = 0;
  Status sticky = Status::kPacket;                       // kEnd or kError once reached
  std::string error;

  // libpcap reads a pcapng file's later IDBs lazily, so Open() reads the first frame to learn
  // whether libpcap accepts them; the first Next() hands that frame out.
  bool primed = false;
  int primed_rc = 0;
  pcap_pkthdr* primed_hdr = nullptr;
  const u_char* primed_data = nullptr;
  long primed_pos = -1;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (pcap != nullptr) pcap_close(pcap);
  }

  // Byte offset libpcap will read from next, or -1 (a pipe).
  long Tell() const {
    std::FILE* f = pcap_file(pcap);
    return f == nullptr ? -1 : std::ftell(f);
  }

  std::string BlockError(const std::string& why) const {
    std::string m = path + ": " + why;
    if (!fallback_reason.empty()) m += " (libpcap: " + fallback_reason + ")";
    return m;
  }

  // Replaces libpcap by the block reader: re-reads the file from the start and skips the frames
  // libpcap already delivered. Returns an error message, or "" on success.
  std::string FallBack(std::string reason) {
    if (pcap != nullptr) {
      pcap_close(pcap);
      pcap = nullptr;
      primed = false;
    }
    fallback_reason = std::move(reason);
    std::string why;
    blocks = internal::PcapngBlockReader::Open(path, &why);
    if (blocks == nullptr) return BlockError(why);
    pcapng = true;
    linktype = blocks->linktype();
    snaplen = blocks->snaplen();
    if (snaplen == 0 && linktype >= 0) snaplen = kNoLimitSnaplen;
    internal::BlockPacket skipped;
    for (std::uint64_t i = 0; i < delivered; ++i) {
      const auto s = blocks->Next(skipped, &why);
      if (s == internal::PcapngBlockReader::Status::kEnd) {
        return BlockError("the nvgre block reader finds " + std::to_string(i) +
                          " frames where libpcap had read " + std::to_string(delivered));
      }
      if (s == internal::PcapngBlockReader::Status::kError) return BlockError(why);
    }
    return "";
  }

  Status ReadBlocks(PacketRecord& out) {
    internal::BlockPacket p;
    std::string why;
    switch (blocks->Next(p, &why)) {
      case internal::PcapngBlockReader::Status::kPacket:
        out.ts_sec = p.ts_sec;
        out.ts_nsec = p.ts_nsec;
        out.caplen = p.caplen;
        out.wire_len = p.wire_len;
        out.interface_id = p.interface_id;
        out.linktype = p.linktype;
        out.data = p.data;
        return Status::kPacket;
      case internal::PcapngBlockReader::Status::kEnd:
        return Status::kEnd;
      case internal::PcapngBlockReader::Status::kError:
        break;
    }
    error = BlockError(why);
    return Status::kError;
  }

  Status ReadLibpcap(PacketRecord& out) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    int rc = 0;
    long pos = -1;
    if (primed) {
      primed = false;
      rc = primed_rc;
      hdr = primed_hdr;
      data = primed_data;
      pos = primed_pos;
    } else {
      pos = Tell();
      rc = pcap_next_ex(pcap, &hdr, &data);
    }
    if (rc == 1) {
      // Nanoseconds (see Open()). A file may hold a sub-second field >= 10^9 (libpcap scales a
      // microsecond field of 1000000 or more without checking): carry it into the seconds so
      // every record keeps the documented 0 <= ts_nsec < 10^9.
      const auto sub = static_cast<std::uint64_t>(hdr->ts.tv_usec);
      out.ts_sec = static_cast<std::int64_t>(hdr->ts.tv_sec) + static_cast<std::int64_t>(sub / 1'000'000'000u);
      out.ts_nsec = static_cast<std::uint32_t>(sub % 1'000'000'000u);
      out.caplen = hdr->caplen;
      out.wire_len = hdr->len;
      out.interface_id = 0;
      out.linktype = linktype;
      out.data = std::span<const std::uint8_t>(data, hdr->caplen);
      return Status::kPacket;
    }
    if (rc == PCAP_ERROR_BREAK) return Status::kEnd;  // end of file
    std::string why = rc == PCAP_ERROR ? std::string(pcap_geterr(pcap))
                                       : "pcap_next_ex returned " + std::to_string(rc);
    if (may_fall_back) {
      error = FallBack(std::move(why));
      return error.empty() ? ReadBlocks(out) : Status::kError;
    }
    error = WithPath(path, why);
    if (pos >= 0) error += " (reading from byte offset " + std::to_string(pos) + ")";
    if (pcapng) error += "; the nvgre pcapng block reader cannot re-read a pipe";
    return Status::kError;
  }
};

PcapReader::PcapReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PcapReader::PcapReader(PcapReader&& other) noexcept = default;
PcapReader& PcapReader::operator=(PcapReader&& other) noexcept = default;
PcapReader::~PcapReader() = default;

std::variant<PcapReader, IoError> PcapReader::Open(const std::string& path) {
  return Open(path, PcapReaderOptions{});
}

std::variant<PcapReader, IoError> PcapReader::Open(const std::string& path,
                                                   const PcapReaderOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->may_fall_back = path != kStdin && IsRegularFile(path) && StartsWithSectionHeader(path);
  if (impl->may_fall_back && options.pcapng_block_reader) {
    std::string e = impl->FallBack("");
    if (!e.empty()) return IoError{std::move(e)};
    return PcapReader(std::move(impl));
  }

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // With nanosecond precision, pcap_pkthdr::ts.tv_usec holds nanoseconds; libpcap scales
  // microsecond files and pcapng if_tsresol to it.
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO,
                                                      errbuf);
  if (p == nullptr) {
    if (impl->may_fall_back) {
      std::string e = impl->FallBack(errbuf);
      if (!e.empty()) return IoError{std::move(e)};
      return PcapReader(std::move(impl));
    }
    return IoError{WithPath(path, errbuf)};
  }
  impl->pcap = p;
  impl->pcapng = pcap_major_version(p) == 1;  // pcapng's SHB version; classic pcap is 2.x
  impl->linktype = pcap_datalink(p);
  impl->snaplen = static_cast<std::uint32_t>(std::max(pcap_snapshot(p), 0));
  if (impl->pcapng) {
    impl->primed_pos = impl->Tell();
    impl->primed_rc = pcap_next_ex(p, &impl->primed_hdr, &impl->primed_data);
    impl->primed = true;
    if (impl->primed_rc == PCAP_ERROR && impl->may_fall_back) {
      std::string e = impl->FallBack(pcap_geterr(p));
      if (!e.empty()) return IoError{std::move(e)};
    }
  }
  return PcapReader(std::move(impl));
}

PcapReader::Status PcapReader::Next(PacketRecord& out, IoError* err) {
  if (impl_ == nullptr) {
    if (err != nullptr) err->message = "PcapReader: not open (moved from)";
    return Status::kError;
  }
  Impl& m = *impl_;
  Status s = m.sticky;
  if (s == Status::kPacket) {
    s = m.blocks != nullptr ? m.ReadBlocks(out) : m.ReadLibpcap(out);
    if (s == Status::kPacket) {
      out.index = ++m.delivered;
      return s;
    }
    m.sticky = s;
  }
  if (s == Status::kError && err != nullptr) err->message = m.error;
  return s;
}

std::string_view PcapReader::format() const {
  if (impl_ == nullptr) return "";
  if (impl_->blocks != nullptr) return "pcapng (nvgre block reader)";
  return impl_->pcapng ? "pcapng" : "pcap";
}

std::string_view PcapReader::fallback_reason() const {
  return impl_ == nullptr ? std::string_view() : std::string_view(impl_->fallback_reason);
}

int PcapReader::linktype() const { return impl_ == nullptr ? -1 : impl_->linktype; }
std::uint32_t PcapReader::snaplen() const { return impl_ == nullptr ? 0 : impl_->snaplen; }

const std::string& PcapReader::path() const {
  static const std::string kNone;
  return impl_ == nullptr ? kNone : impl_->path;
}

std::uint64_t PcapReader::packets_read() const {
  return impl_ == nullptr ? 0 : impl_->delivered;
}

// ---------------------------------------------------------------------------------------------
// PcapWriter

struct PcapWriter::Impl {
  std::string path;
  pcap_t* dead = nullptr;            // pcap_open_dead: carries link type, snaplen, precision
  pcap_dumper_t* dumper = nullptr;   // null once closed
  std::uint32_t snaplen = 0;
  std::uint64_t written = 0;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (dumper != nullptr) pcap_dump_close(dumper);
    if (dead != nullptr) pcap_close(dead);
  }

  bool Fail(IoError* err, const std::string& what) const {
    if (err != nullptr) err->message = path + ": " + what;
    return false;
  }
};

PcapWriter::PcapWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PcapWriter::PcapWriter(PcapWriter&& other) noexcept = default;
PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept = default;
PcapWriter::~PcapWriter() = default;

std::variant<PcapWriter, IoError> PcapWriter::Open(const std::string& path, int linktype,
                                                   std::uint32_t snaplen) {
  if (snaplen == 0 || snaplen > static_cast<std::uint32_t>(std::numeric_limits<int>::max())) {
    return IoError{path + ": snapshot length " + std::to_string(snaplen) + " is out of range"};
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->snaplen = snaplen;
  impl->dead = pcap_open_dead_with_tstamp_precision(linktype, static_cast<int>(snaplen),
                                                    PCAP_TSTAMP_PRECISION_NANO);
  if (impl->dead == nullptr) return IoError{path + ": libpcap could not set up a writer"};
  impl->dumper = pcap_dump_open(impl->dead, path.c_str());
  if (impl->dumper == nullptr) {
    return IoError{WithPath(path, pcap_geterr(impl->dead))};
  }
  return PcapWriter(std::move(impl));
}

bool PcapWriter::Write(std::int64_t ts_sec, std::uint32_t ts_nsec,
                       std::span<const std::uint8_t> data, std::uint32_t wire_len, IoError* err) {
  if (impl_ == nullptr) {
    if (err != nullptr) err->message = "PcapWriter: not open (moved from)";
    return false;
  }
  Impl& m = *impl_;
  if (m.dumper == nullptr) return m.Fail(err, "write after Close()");
  if (ts_sec < 0 || ts_sec > std::numeric_limits<std::int32_t>::max()) {
    return m.Fail(err, "timestamp " + std::to_string(ts_sec) +
                           " s does not fit a classic pcap record (0..2^31-1)");
  }
  if (ts_nsec >= 1'000'000'000u) {
    return m.Fail(err, "timestamp nanoseconds " + std::to_string(ts_nsec) + " >= 10^9");
  }
  if (data.size() > std::numeric_limits<std::uint32_t>::max()) {
    return m.Fail(err, "frame of " + std::to_string(data.size()) + " bytes is too long");
  }
  const auto size = static_cast<std::uint32_t>(data.size());
  pcap_pkthdr h{};
  h.ts.tv_sec = static_cast<time_t>(ts_sec);
  h.ts.tv_usec = static_cast<suseconds_t>(ts_nsec);  // nanoseconds: the writer is NANO
  h.caplen = std::min(size, m.snaplen);
  h.len = std::max(wire_len, size);
  // pcap_dump's first argument is the dumper passed as the pcap_handler "user" pointer.
  pcap_dump(reinterpret_cast<u_char*>(m.dumper), &h, data.data());
  if (std::ferror(pcap_dump_file(m.dumper)) != 0) {
    return m.Fail(err, std::string("write failed: ") + std::strerror(errno));
  }
  ++m.written;
  return true;
}

bool PcapWriter::Write(const PacketRecord& rec, IoError* err) {
  return Write(rec.ts_sec, rec.ts_nsec, rec.data, rec.wire_len, err);
}

bool PcapWriter::Close(IoError* err) {
  if (impl_ == nullptr) {
    if (err != nullptr) err->message = "PcapWriter: not open (moved from)";
    return false;
  }
  Impl& m = *impl_;
  if (m.dumper == nullptr) return m.Fail(err, "already closed");
  const bool ok = pcap_dump_flush(m.dumper) == 0 && std::ferror(pcap_dump_file(m.dumper)) == 0;
  const int saved_errno = errno;
  pcap_dump_close(m.dumper);
  m.dumper = nullptr;
  pcap_close(m.dead);
  m.dead = nullptr;
  if (!ok) return m.Fail(err, std::string("write failed: ") + std::strerror(saved_errno));
  return true;
}

std::uint64_t PcapWriter::packets_written() const {
  return impl_ == nullptr ? 0 : impl_->written;
}

const std::string& PcapWriter::path() const {
  static const std::string kNone;
  return impl_ == nullptr ? kNone : impl_->path;
}

}  // namespace nvgre::io
