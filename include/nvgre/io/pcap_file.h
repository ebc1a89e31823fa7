// Reading pcap / pcapng capture files and writing pcap files. I/O only: frames come out and go
// in as bytes; nothing here looks inside them.
//
//   auto opened = nvgre::io::PcapReader::Open("in.pcapng");
//   if (auto* e = std::get_if<nvgre::io::IoError>(&opened)) return Fail(e->message);
//   auto& reader = std::get<nvgre::io::PcapReader>(opened);
//   nvgre::io::PacketRecord rec;
//   nvgre::io::IoError err;
//   using Status = nvgre::io::PcapReader::Status;
//   Status s;
//   while ((s = reader.Next(rec, &err)) == Status::kPacket) Use(rec.index, rec.data);
//   if (s == Status::kError) Warn(err.message);     // the packets before it were delivered
//
//   auto opened_w = nvgre::io::PcapWriter::Open("out.pcap", reader.linktype());
//   auto& writer = std::get<nvgre::io::PcapWriter>(opened_w);   // after checking for IoError
//   if (!writer.Write(rec, &err) || !writer.Close(&err)) Fail(err.message);
//
// Reading goes through libpcap (nanosecond timestamps), which reads classic pcap in all its
// variants and most pcapng. libpcap 1.10 refuses a pcapng whose interfaces differ in link type
// or snapshot length; for a pcapng file it refuses (at open or part-way through, once it meets
// such an interface) the reader falls back to nvgre's own pcapng block reader, re-reads the file
// from the start, skips the packets libpcap already delivered and carries on. format() then
// says "pcapng (nvgre block reader)" and fallback_reason() says what libpcap objected to.
// Standard input ("-") and other pipes are read through libpcap only: they cannot be re-read,
// so there is no fallback for them.
//
// Nothing here throws or aborts on bad input: a file that cannot be opened or is not a capture
// is an IoError from Open(); a bad record part-way through is Status::kError from Next(). Every
// IoError message names the file, and for format errors the byte offset of the bad record or
// block (when the file is seekable).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace nvgre::io {

struct IoError {
  std::string message;  // "<path>: <what>", with "at byte offset N" for format errors
};

// One frame as read from a capture file.
struct PacketRecord {
  std::uint64_t index = 0;         // 1-based frame number in the file (as tshark counts)
  std::int64_t ts_sec = 0;         // seconds since 1970-01-01 UTC
  std::uint32_t ts_nsec = 0;       // 0..999'999'999; microsecond files give multiples of 1000
  std::uint32_t caplen = 0;        // bytes captured == data.size()
  std::uint32_t wire_len = 0;      // original length on the wire (>= caplen in sane files)
  // pcapng interface, counted from 0 across all sections of the file (as Wireshark numbers
  // them). Always 0 for classic pcap, and for pcapng frames read through libpcap, which does
  // not report it (it only accepts files whose interfaces share link type and snaplen; after a
  // part-way fallback the frames libpcap delivered have 0). For real ids in every case, open
  // with PcapReaderOptions::pcapng_block_reader.
  std::uint32_t interface_id = 0;
  // Link type of this packet's interface as a libpcap DLT_ value (what pcap_datalink()
  // returns; equal to the file's LINKTYPE_ value except for a few historical ones such as
  // LINKTYPE_RAW 101 = DLT_RAW 12 on Linux). 1 = Ethernet.
  int linktype = 0;
  std::span<const std::uint8_t> data;  // owned by the reader; valid until its next Next()
};

struct PcapReaderOptions {
  // Read pcapng files with nvgre's block reader even when libpcap would accept them, e.g. to
  // get per-packet interface ids. Classic pcap files are always read through libpcap.
  bool pcapng_block_reader = false;
};

// Reads a pcap or pcapng file (or "-", standard input) frame by frame. Move-only; closes the
// file when destroyed. A moved-from reader returns kError from Next().
class PcapReader {
 public:
  enum class Status { kPacket, kEnd, kError };

  static std::variant<PcapReader, IoError> Open(const std::string& path);
  static std::variant<PcapReader, IoError> Open(const std::string& path,
                                                const PcapReaderOptions& options);

  PcapReader(PcapReader&& other) noexcept;
  PcapReader& operator=(PcapReader&& other) noexcept;
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;
  ~PcapReader();

  // kPacket: `out` holds the next frame. kEnd: no more frames. kError: the file is bad from
  // here on; *err (if not null) says why. kEnd and kError are sticky.
  Status Next(PacketRecord& out, IoError* err);

  // "pcap", "pcapng" (read by libpcap) or "pcapng (nvgre block reader)". Can change from
  // "pcapng" to the block reader during Next() when libpcap refuses part of the file.
  std::string_view format() const;
  // Why libpcap was not used (its error message); empty when it was.
  std::string_view fallback_reason() const;
  // Link type (DLT_ value, see PacketRecord::linktype) and snapshot length of interface 0.
  // A pcapng snaplen of 0 ("no limit") is reported as 262144, as libpcap does. A pcapng file
  // with no Interface Description Block has linktype -1 and snaplen 0.
  int linktype() const;
  std::uint32_t snaplen() const;
  const std::string& path() const;
  // Frames delivered so far (== the index of the last one).
  std::uint64_t packets_read() const;

 private:
  struct Impl;
  explicit PcapReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Writes a classic pcap file (libpcap's pcap_dump, nanosecond-resolution magic 0xA1B23C4D)
// to a path, or to standard output for "-". Move-only; Close() (or destruction) flushes and
// closes the file, but only Close() reports a failure to do so.
class PcapWriter {
 public:
  static constexpr std::uint32_t kDefaultSnaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN

  // `linktype` is a DLT_ value (1 = Ethernet), as PcapReader reports it. `snaplen` is
  // 1..2^31-1; frames longer than it are cut to it on Write().
  static std::variant<PcapWriter, IoError> Open(const std::string& path, int linktype,
                                                std::uint32_t snaplen = kDefaultSnaplen);

  PcapWriter(PcapWriter&& other) noexcept;
  PcapWriter& operator=(PcapWriter&& other) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter();

  // Appends one frame. `wire_len` is the original length; a value below data.size() (such as
  // the default 0) means data.size(). ts_sec must be in 0..2^31-1 (what every pcap reader
  // reads back the same) and ts_nsec below 10^9. Returns false and fills *err (if not null) on
  // a bad argument, a write error, or after Close().
  [[nodiscard]] bool Write(std::int64_t ts_sec, std::uint32_t ts_nsec,
                           std::span<const std::uint8_t> data, std::uint32_t wire_len = 0,
                           IoError* err = nullptr);
  // Writes rec.data with rec's timestamp and wire_len (its linktype is not checked).
  [[nodiscard]] bool Write(const PacketRecord& rec, IoError* err = nullptr);
  // Flushes and closes. Returns false (and fills *err) if the data could not be written.
  // Calling it again, or Write() afterwards, is an error.
  [[nodiscard]] bool Close(IoError* err = nullptr);

  std::uint64_t packets_written() const;
  const std::string& path() const;

 private:
  struct Impl;
  explicit PcapWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nvgre::io
