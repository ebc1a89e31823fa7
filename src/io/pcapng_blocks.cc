// pcapng block reader (draft-ietf-opsawg-pcapng §3 block format, §4 block types).
#include "pcapng_blocks.h"

#include <pcap/dlt.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

namespace nvgre::io::internal {
namespace {

constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;   // §4.1, the same in both byte orders
constexpr std::uint32_t kInterfaceDescription = 1;     // §4.2
constexpr std::uint32_t kObsoletePacket = 2;           // Appendix A, "Packet Block"
constexpr std::uint32_t kSimplePacket = 3;             // §4.4
constexpr std::uint32_t kEnhancedPacket = 6;           // §4.3
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;

constexpr std::size_t kBlockHeader = 8;        // type + total length
constexpr std::size_t kBlockTrailer = 4;       // total length again
constexpr std::size_t kMinBlock = kBlockHeader + kBlockTrailer;
constexpr std::size_t kMinSectionHeader = 28;  // + BOM, major, minor, section length
// For streams, whose size is unknown: a block larger than this is taken as corrupt rather
// than allocated (libpcap's own limit is 16 MiB).
constexpr std::uint64_t kMaxStreamBlock = std::uint64_t{64} << 20;

constexpr std::uint16_t kOptEnd = 0;
constexpr std::uint16_t kOptIfTsresol = 9;
constexpr std::uint16_t kOptIfTsoffset = 14;

constexpr std::uint32_t LoadLe32(std::span<const std::uint8_t, 4> b) {
  return std::uint32_t{b[0]} | (std::uint32_t{b[1]} << 8) | (std::uint32_t{b[2]} << 16) |
         (std::uint32_t{b[3]} << 24);
}
constexpr std::uint32_t LoadBe32(std::span<const std::uint8_t, 4> b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

std::string Hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// Seconds and nanoseconds of `units` ticks of 1/units_per_sec seconds, truncated.
void SplitTimestamp(std::uint64_t units, std::uint64_t units_per_sec, std::uint64_t* sec,
                    std::uint32_t* nsec) {
  __extension__ using U128 = unsigned __int128;
  *sec = units / units_per_sec;
  const std::uint64_t frac = units % units_per_sec;
  *nsec = static_cast<std::uint32_t>(U128{frac} * 1'000'000'000u / units_per_sec);
}

}  // namespace

int LinktypeToDlt(int linktype) {
  switch (linktype) {
    case 50: return DLT_PPP_SERIAL;      // LINKTYPE_PPP_HDLC
    case 51: return DLT_PPP_ETHER;       // LINKTYPE_PPP_ETHER
    case 100: return DLT_ATM_RFC1483;    // LINKTYPE_ATM_RFC1483
    case 101: return DLT_RAW;            // LINKTYPE_RAW
    case 102: return DLT_SLIP_BSDOS;     // LINKTYPE_SLIP_BSDOS
    case 103: return DLT_PPP_BSDOS;      // LINKTYPE_PPP_BSDOS
    case 104: return DLT_C_HDLC;         // LINKTYPE_C_HDLC
    case 105: return DLT_IEEE802_11;     // LINKTYPE_IEEE802_11
    case 106: return DLT_ATM_CLIP;       // LINKTYPE_ATM_CLIP
    case 107: return DLT_FRELAY;         // LINKTYPE_FRELAY
    case 108: return DLT_LOOP;           // LINKTYPE_LOOP
    case 109: return DLT_ENC;            // LINKTYPE_ENC
    case 246: return DLT_PFSYNC;         // LINKTYPE_PFSYNC
    case 258: return DLT_PKTAP;          // LINKTYPE_PKTAP
    default: return linktype;
  }
}

std::unique_ptr<PcapngBlockReader> PcapngBlockReader::Open(const std::string& path,
                                                           std::string* error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = std::strerror(errno);
    return nullptr;
  }
  std::uint64_t size = kUnknownSize;
  struct stat st {};
  if (::fstat(::fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
    size = static_cast<std::uint64_t>(st.st_size);
  }
  return FromFile(f, size, error);
}

std::unique_ptr<PcapngBlockReader> PcapngBlockReader::FromFile(std::FILE* file, std::uint64_t size,
                                                               std::string* error) {
  std::unique_ptr<PcapngBlockReader> r(new PcapngBlockReader(file, size));
  // Read ahead to the first IDB. No packet block can come before it (it would have no
  // interface), so nothing a caller wants is consumed here.
  while (r->first_linktype_ < 0) {
    Step s = r->ReadBlock();
    if (s == Step::kOther) s = r->ParseBlock(nullptr);
    if (s == Step::kEnd) break;
    if (s == Step::kError) {
      *error = r->error_;
      return nullptr;
    }
  }
  if (!r->in_section_) {  // the file ended before any block
    *error = "no Section Header Block: the file is empty";
    return nullptr;
  }
  return r;
}

PcapngBlockReader::PcapngBlockReader(std::FILE* file, std::uint64_t size)
    : file_(file), size_(size) {}

PcapngBlockReader::~PcapngBlockReader() { std::fclose(file_); }

PcapngBlockReader::Status PcapngBlockReader::Next(BlockPacket& out, std::string* error) {
  while (sticky_ == Status::kPacket) {
    Step s = ReadBlock();
    if (s == Step::kOther) s = ParseBlock(&out);
    if (s == Step::kPacket) return Status::kPacket;
    if (s == Step::kEnd) sticky_ = Status::kEnd;
  }
  if (sticky_ == Status::kError && error != nullptr) *error = error_;
  return sticky_;
}

std::uint16_t PcapngBlockReader::Load16(std::span<const std::uint8_t, 2> b) const {
  return big_endian_ ? static_cast<std::uint16_t>((b[0] << 8) | b[1])
                     : static_cast<std::uint16_t>(b[0] | (b[1] << 8));
}
std::uint32_t PcapngBlockReader::Load32(std::span<const std::uint8_t, 4> b) const {
  return big_endian_ ? LoadBe32(b) : LoadLe32(b);
}
std::uint64_t PcapngBlockReader::Load64(std::span<const std::uint8_t, 8> b) const {
  const std::uint64_t first = Load32(b.first<4>());
  const std::uint64_t second = Load32(b.last<4>());
  return big_endian_ ? (first << 32) | second : (second << 32) | first;
}

PcapngBlockReader::Step PcapngBlockReader::Fail(std::string message) {
  error_ = "block at byte offset " + std::to_string(block_offset_) + ": " + std::move(message);
  sticky_ = Status::kError;
  return Step::kError;
}

// §3.1: checks the block's lengths before reading its body, then reads it whole.
PcapngBlockReader::Step PcapngBlockReader::ReadBlock() {
  block_offset_ = offset_;
  if (size_ != kUnknownSize && offset_ >= size_) return Step::kEnd;
  std::uint8_t head[12];
  std::size_t got = std::fread(head, 1, kBlockHeader, file_);
  if (got == 0 && size_ == kUnknownSize && std::feof(file_)) return Step::kEnd;
  if (got < kBlockHeader) {
    return Fail("truncated block header: " + std::to_string(got) + " of 8 bytes");
  }
  std::size_t head_len = kBlockHeader;
  const std::span<const std::uint8_t, 12> h(head);
  const std::uint32_t type_le = LoadLe32(h.first<4>());
  if (type_le == kSectionHeader) {
    // The section length field's byte order is only known from the byte-order magic.
    got = std::fread(head + kBlockHeader, 1, 4, file_);
    if (got < 4) return Fail("truncated Section Header Block: no byte-order magic");
    head_len = 12;
    const std::uint32_t bom = LoadLe32(h.last<4>());
    if (bom == kByteOrderMagic) {
      big_endian_ = false;
    } else if (LoadBe32(h.last<4>()) == kByteOrderMagic) {
      big_endian_ = true;
    } else {
      return Fail("Section Header Block has a bad byte-order magic " + Hex32(bom));
    }
  } else if (!in_section_) {
    return Fail("not a pcapng file: it does not begin with a Section Header Block (type " +
                Hex32(type_le) + ")");
  }
  const std::uint32_t length = Load32(h.subspan<4, 4>());
  if (length < kMinBlock) {
    return Fail("block length " + std::to_string(length) + " is less than 12");
  }
  if (length % 4 != 0) {
    return Fail("block length " + std::to_string(length) + " is not a multiple of 4");
  }
  if (type_le == kSectionHeader && length < kMinSectionHeader) {
    return Fail("Section Header Block length " + std::to_string(length) + " is less than 28");
  }
  if (size_ != kUnknownSize && length > size_ - offset_) {
    return Fail("block length " + std::to_string(length) + " runs past the end of the file (" +
                std::to_string(size_ - offset_) + " bytes left)");
  }
  if (size_ == kUnknownSize && length > kMaxStreamBlock) {
    return Fail("block length " + std::to_string(length) + " is implausibly large");
  }
  block_.resize(length);
  std::memcpy(block_.data(), head, head_len);
  got = std::fread(block_.data() + head_len, 1, length - head_len, file_);
  if (got < length - head_len) {
    return Fail("truncated block: " + std::to_string(got + head_len) + " of " +
                std::to_string(length) + " bytes");
  }
  const std::span<const std::uint8_t> b(block_);
  const std::uint32_t trailer = Load32(b.last<4>());
  if (trailer != length) {
    return Fail("trailing block length " + std::to_string(trailer) +
                " differs from the leading block length " + std::to_string(length));
  }
  offset_ += length;
  return Step::kOther;
}

PcapngBlockReader::Step PcapngBlockReader::ParseBlock(BlockPacket* out) {
  const std::uint32_t type = Load32(std::span<const std::uint8_t>(block_).first<4>());
  switch (type) {
    case kSectionHeader: return ParseSectionHeader();
    case kInterfaceDescription: return ParseInterface();
    case kObsoletePacket:
    case kSimplePacket:
    case kEnhancedPacket: return ParsePacket(type, out);
    default: return Step::kOther;  // NRB, ISB, DSB, custom, ...: lengths checked, skipped
  }
}

// §4.1: BOM (4), major (2), minor (2), section length (8, may be -1), options.
PcapngBlockReader::Step PcapngBlockReader::ParseSectionHeader() {
  const std::span<const std::uint8_t> body =
      std::span<const std::uint8_t>(block_).subspan(kBlockHeader);
  const std::uint16_t major = Load16(body.subspan<4, 2>());
  const std::uint16_t minor = Load16(body.subspan<6, 2>());
  if (major != 1) {
    return Fail("unsupported pcapng version " + std::to_string(major) + "." +
                std::to_string(minor));
  }
  interface_base_ += interfaces_.size();
  interfaces_.clear();
  in_section_ = true;
  return Step::kOther;
}

// §4.2: link type (2), reserved (2), snaplen (4), options.
PcapngBlockReader::Step PcapngBlockReader::ParseInterface() {
  const std::span<const std::uint8_t> body =
      std::span<const std::uint8_t>(block_).subspan(kBlockHeader,
                                                    block_.size() - kBlockHeader - kBlockTrailer);
  if (body.size() < 8) {
    return Fail("Interface Description Block body is " + std::to_string(body.size()) +
                " bytes, less than 8");
  }
  Interface iface;
  iface.linktype = LinktypeToDlt(Load16(body.first<2>()));
  iface.snaplen = Load32(body.subspan<4, 4>());
  // §3.5 options: code (2), length (2), value padded to 32 bits. The body is a multiple of 4
  // bytes, so what remains is either empty or holds a whole option header.
  std::span<const std::uint8_t> opts = body.subspan(8);
  while (opts.size() >= 4) {
    const std::uint16_t code = Load16(opts.first<2>());
    const std::uint16_t len = Load16(opts.subspan<2, 2>());
    if (code == kOptEnd) break;
    const std::size_t padded = (std::size_t{len} + 3) & ~std::size_t{3};
    if (padded > opts.size() - 4) {
      return Fail("Interface Description Block option " + std::to_string(code) + " length " +
                  std::to_string(len) + " runs past the block");
    }
    const std::span<const std::uint8_t> value = opts.subspan(4, len);
    if (code == kOptIfTsresol) {
      if (len != 1) return Fail("if_tsresol option length " + std::to_string(len) + " is not 1");
      const unsigned exponent = value[0] & 0x7Fu;
      if ((value[0] & 0x80u) != 0) {
        if (exponent > 63) return Fail("unsupported if_tsresol 2^-" + std::to_string(exponent));
        iface.units_per_sec = std::uint64_t{1} << exponent;
      } else {
        if (exponent > 19) return Fail("unsupported if_tsresol 10^-" + std::to_string(exponent));
        iface.units_per_sec = 1;
        for (unsigned i = 0; i < exponent; ++i) iface.units_per_sec *= 10;
      }
    } else if (code == kOptIfTsoffset) {
      if (len != 8) return Fail("if_tsoffset option length " + std::to_string(len) + " is not 8");
      iface.ts_offset = static_cast<std::int64_t>(Load64(value.first<8>()));
    }
    opts = opts.subspan(4 + padded);
  }
  interfaces_.push_back(iface);
  if (first_linktype_ < 0) {
    first_linktype_ = iface.linktype;
    first_snaplen_ = iface.snaplen;
  }
  return Step::kOther;
}

// §4.3 EPB: interface id (4), timestamp high (4), low (4), captured len (4), original len (4),
// data padded to 32 bits, options. Appendix A PB: as EPB but interface id (2), drops (2).
// §4.4 SPB: original len (4), data; captured len = min(original len, snaplen of IDB 0).
PcapngBlockReader::Step PcapngBlockReader::ParsePacket(std::uint32_t type, BlockPacket* out) {
  const std::span<const std::uint8_t> body =
      std::span<const std::uint8_t>(block_).subspan(kBlockHeader,
                                                    block_.size() - kBlockHeader - kBlockTrailer);
  const char* name = type == kEnhancedPacket ? "Enhanced Packet Block"
                     : type == kSimplePacket ? "Simple Packet Block"
                                             : "Packet Block";
  std::uint32_t local_id = 0;
  std::uint64_t units = 0;
  std::uint32_t caplen = 0;
  std::uint32_t wire_len = 0;
  std::size_t fixed = 0;  // bytes before the packet data
  if (type == kSimplePacket) {
    fixed = 4;
    if (body.size() < fixed) return Fail(std::string(name) + " body is shorter than 4 bytes");
    wire_len = Load32(body.first<4>());
    if (interfaces_.empty()) {
      return Fail(std::string(name) + " comes before any Interface Description Block");
    }
    const std::uint32_t snaplen = interfaces_[0].snaplen;
    caplen = snaplen == 0 ? wire_len : std::min(wire_len, snaplen);
  } else {
    fixed = 20;
    if (body.size() < fixed) return Fail(std::string(name) + " body is shorter than 20 bytes");
    local_id = type == kEnhancedPacket ? Load32(body.first<4>()) : Load16(body.first<2>());
    units = (std::uint64_t{Load32(body.subspan<4, 4>())} << 32) | Load32(body.subspan<8, 4>());
    caplen = Load32(body.subspan<12, 4>());
    wire_len = Load32(body.subspan<16, 4>());
  }
  if (caplen > body.size() - fixed) {
    return Fail(std::string(name) + " captured length " + std::to_string(caplen) +
                " exceeds the " + std::to_string(body.size() - fixed) +
                " bytes of packet data in the block");
  }
  if (local_id >= interfaces_.size()) {
    return Fail(std::string(name) + " names interface " + std::to_string(local_id) +
                " but the section has " + std::to_string(interfaces_.size()) +
                " Interface Description Blocks");
  }
  const Interface& iface = interfaces_[local_id];
  std::uint64_t sec = 0;
  std::uint32_t nsec = 0;
  SplitTimestamp(units, iface.units_per_sec, &sec, &nsec);
  // An SPB has no timestamp: 0 units, plus the interface's if_tsoffset like any other block,
  // as libpcap reads it (so both ways of reading a file give the same time; fuzz regression
  // pcap_reader/spb-ts-offset-like-libpcap).
  std::int64_t ts_sec = 0;
  const std::int64_t ts_offset = iface.ts_offset;
  if (sec > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
      __builtin_add_overflow(static_cast<std::int64_t>(sec), ts_offset, &ts_sec)) {
    return Fail(std::string(name) + " timestamp is out of range");
  }
  if (out != nullptr) {
    out->ts_sec = ts_sec;
    out->ts_nsec = nsec;
    out->caplen = caplen;
    out->wire_len = wire_len;
    out->interface_id = static_cast<std::uint32_t>(interface_base_ + local_id);
    out->linktype = iface.linktype;
    out->data = body.subspan(fixed, caplen);
  }
  return Step::kPacket;
}

}  // namespace nvgre::io::internal
