// GRE (RFC 2784 / RFC 2890 / RFC 2637 §4.1) and NVGRE (RFC 7637 §3.2). See gre.h.
#include "nvgre/wire/gre.h"

namespace nvgre::wire {

template class BasicGreView<std::uint8_t>;
template class BasicNvgreView<std::uint8_t>;

static_assert(GreHeaderLength(0x0000) == 4);
static_assert(GreHeaderLength(kNvgreFlagsVersion) == kNvgreHeaderSize);
static_assert(GreHeaderLength(0xB000) == 16);  // C+K+S
static_assert(GreHeaderLength(0x3081) == 16);  // v1 K+S+A
static_assert(GreHeaderLength(0x3080) == 12);  // A is an ignored Reserved0 bit in version 0
static_assert(NvgreKey(0x123456, 0x02) == 0x12345602 && VsidOfKey(0x12345602) == 0x123456 &&
              FlowIdOfKey(0x12345602) == 0x02);

GreRepr GreRepr::From(const GreView& v) {
  GreRepr r;
  r.checksum_present = v.checksum_present();
  r.key_present = v.key_present();
  r.sequence_present = v.sequence_present();
  r.version = v.version();
  r.protocol_type = v.protocol_type();
  if (r.checksum_present) r.checksum = v.checksum();
  if (r.key_present) r.key = v.key();
  if (r.sequence_present) r.sequence = v.sequence();
  r.ack_present = v.ack_present();
  if (r.ack_present) r.acknowledgment = v.acknowledgment();
  return r;
}

std::uint16_t GreRepr::flags_version() const {
  std::uint16_t fv = version & kGreVersionMask;
  if (checksum_present) fv |= kGreFlagChecksum;
  if (key_present) fv |= kGreFlagKey;
  if (sequence_present) fv |= kGreFlagSequence;
  if (version == 1 && ack_present) fv |= kGreFlagAck;
  return fv;
}

void GreRepr::Emit(MutBytes out) const {
  assert(out.size() >= header_length());
  auto v = GreMutView::Unchecked(out);
  v.set_flags_version(flags_version());
  v.set_protocol_type(protocol_type);
  if (checksum_present) {
    v.set_checksum(checksum);
    StoreBe16(out.subspan<6, 2>(), 0);  // Reserved1 (RFC 2784 §2.6)
  }
  if (key_present) v.set_key(key);
  if (sequence_present) v.set_sequence(sequence);
  if (v.ack_present()) v.set_acknowledgment(acknowledgment);
}

void NvgreRepr::Emit(MutBytes out) const {
  assert(out.size() >= kSize);
  StoreBe16(out.subspan<0, 2>(), kNvgreFlagsVersion);
  StoreBe16(out.subspan<2, 2>(), kGreProtocolTeb);
  StoreBe32(out.subspan<4, 4>(), NvgreKey(vsid, flow_id));
}

}  // namespace nvgre::wire
