// A small pcapng block reader: the fallback for files libpcap 1.10 refuses.
//
// pcapng (draft-ietf-opsawg-pcapng, "PCAP Now Generic") is a sequence of blocks, each
//
//  0                   1                   2                   3
// |                      Block Type                               |
// |                      Block Total Length (bytes, incl. all)    |
// /                      Block Body (padded to 32 bits)           /
// |                      Block Total Length (again)               |
//
// in the byte order of its section, which the Section Header Block (type 0x0A0D0D0A, a
// palindrome) announces with the byte-order magic 0x1A2B3C4D. libpcap 1.10.3 refuses a file
// whose interfaces differ in link type or snapshot length ("an interface has a snapshot length
// ... different from the snapshot length of the first interface"); this reader does not care.
//
//   std::string why;
//   auto blocks = PcapngBlockReader::Open(path, &why);     // reads up to the first IDB
//   BlockPacket p;
//   while (blocks->Next(p, &why) == PcapngBlockReader::Status::kPacket) Use(p.data);
//
// Blocks read: SHB (1.x, either byte order, several sections), IDB (link type, snaplen,
// if_tsresol 9 and if_tsoffset 14), EPB (6), SPB (3; snaplen of the section's IDB 0) and the
// obsolete Packet Block (2). Every other block type is skipped after its lengths are checked.
// Every block length is checked (>= 12, multiple of 4, inside the file, trailer equal to
// header) before the block is read, and every captured length against its block, so a bad
// file is an error with the block's byte offset, never an out-of-bounds read.
//
// Private to src/io: PcapReader is the public face.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace nvgre::io::internal {

struct BlockPacket {
  std::int64_t ts_sec = 0;          // seconds since 1970, if_tsoffset applied
  std::uint32_t ts_nsec = 0;        // nanoseconds, truncated from the interface's resolution
  std::uint32_t caplen = 0;         // == data.size()
  std::uint32_t wire_len = 0;       // original length as the block states it
  std::uint32_t interface_id = 0;   // counted across all sections of the file, from 0
  int linktype = 0;                 // libpcap DLT_ value of that interface
  std::span<const std::uint8_t> data;  // into the reader's block buffer; valid until Next()
};

class PcapngBlockReader {
 public:
  enum class Status { kPacket, kEnd, kError };

  // Opens `path` and reads the leading blocks up to and including the first Interface
  // Description Block, so linktype() and snaplen() are known. On failure returns null and sets
  // *error (which does not name the file; the caller does).
  static std::unique_ptr<PcapngBlockReader> Open(const std::string& path, std::string* error);
  // Takes ownership of `file`, positioned at the start of the pcapng data. `size` is the number
  // of bytes from there to the end, or kUnknownSize for a stream.
  static constexpr std::uint64_t kUnknownSize = ~std::uint64_t{0};
  static std::unique_ptr<PcapngBlockReader> FromFile(std::FILE* file, std::uint64_t size,
                                                     std::string* error);

  ~PcapngBlockReader();
  PcapngBlockReader(const PcapngBlockReader&) = delete;
  PcapngBlockReader& operator=(const PcapngBlockReader&) = delete;

  // The next packet block. kError is sticky: later calls return kError with the same message.
  Status Next(BlockPacket& out, std::string* error);

  // Of the file's first interface; -1 and 0 when the file has no IDB at all.
  int linktype() const { return first_linktype_; }
  std::uint32_t snaplen() const { return first_snaplen_; }

 private:
  // if_tsresol (option 9): 10^-exponent or, with the top bit set, 2^-exponent seconds a unit.
  struct Interface {
    int linktype = 0;
    std::uint32_t snaplen = 0;        // 0: no limit
    std::uint64_t units_per_sec = 1'000'000;
    std::int64_t ts_offset = 0;       // if_tsoffset (option 14), seconds added to every stamp
  };
  enum class Step { kPacket, kOther, kEnd, kError };

  PcapngBlockReader(std::FILE* file, std::uint64_t size);

  Step ReadBlock();                         // the next whole block into block_
  Step ParseBlock(BlockPacket* out);        // interpret block_
  Step ParseSectionHeader();
  Step ParseInterface();
  Step ParsePacket(std::uint32_t type, BlockPacket* out);
  Step Fail(std::string message);           // records the error at block_offset_

  std::uint16_t Load16(std::span<const std::uint8_t, 2> b) const;
  std::uint32_t Load32(std::span<const std::uint8_t, 4> b) const;
  std::uint64_t Load64(std::span<const std::uint8_t, 8> b) const;

  std::FILE* file_;
  std::uint64_t size_;                      // bytes in the file, or kUnknownSize
  std::uint64_t offset_ = 0;                // of the next block
  std::uint64_t block_offset_ = 0;          // of the block in block_
  std::vector<std::uint8_t> block_;         // the whole current block, header to trailer
  bool in_section_ = false;
  bool big_endian_ = false;                 // of the current section
  std::vector<Interface> interfaces_;       // of the current section, by local id
  std::uint64_t interface_base_ = 0;        // global id of the current section's interface 0
  int first_linktype_ = -1;
  std::uint32_t first_snaplen_ = 0;
  Status sticky_ = Status::kPacket;         // kEnd or kError once reached
  std::string error_;
};

// libpcap's LINKTYPE_ -> DLT_ mapping for the values that differ on this platform (e.g.
// LINKTYPE_RAW 101 is DLT_RAW 12 on Linux); every other value is the same in both.
int LinktypeToDlt(int linktype);

}  // namespace nvgre::io::internal
