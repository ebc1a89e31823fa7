// Fuzz target: the adapter's OID handling (offload/adapter.h; spec §7, §8): the
// OID_TCP_OFFLOAD_PARAMETERS InformationBuffer (ParseOffloadParameters, SetOffloadParametersOid),
// OID_OFFLOAD_ENCAPSULATION, and NDIS_OFFLOAD / NDIS_OFFLOAD_PARAMETERS byte images.
// NVGRE_FUZZ_LIBS: offload
//
// Input: up to 6 requests, each a kind byte, a length byte and that many bytes:
//   kind 0: SetOffloadParametersOid(bytes)       kind 1: SetOffloadEncapsulation(fields from bytes)
//   kind 2: NdisOffload::FromBytes(bytes)         kind 3: ParseOffloadParameters(bytes)
// Invariants:
//   - a refused set changes nothing: same configuration, no status indication, the keywords
//     unchanged; the status is one NDIS defines for the OID;
//   - a successful OID_TCP_OFFLOAD_PARAMETERS set indicates NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG
//     exactly once, with the new current configuration (spec §8.3);
//   - the current configuration never exceeds the hardware capabilities; CURRENT_CONFIG shows the
//     advertised GRE masks exactly while NVGRE task offload is active, zero otherwise (§8.2);
//   - the state persists (§8.3, §12): an adapter restarted from the rewritten keywords has the
//     same checksum, LSOv2, RSC and USO state;
//   - byte images round-trip: ParseOffloadParameters(p.ToBytes()) == p, and
//     NdisOffload::FromBytes(x.ToBytes(rev)) == x for what FromBytes accepted.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/offload/adapter.h"
#include "nvgre/offload/keywords.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::offload;  // NOLINT

bool Persisted(const NdisOffload& a, const NdisOffload& b) {
  return a.ipv4_transmit == b.ipv4_transmit && a.ipv4_receive == b.ipv4_receive &&
         a.ipv6_transmit == b.ipv6_transmit && a.ipv6_receive == b.ipv6_receive &&
         a.lso_v2_ipv4 == b.lso_v2_ipv4 && a.lso_v2_ipv6 == b.lso_v2_ipv6 &&
         a.rsc_ipv4 == b.rsc_ipv4 && a.rsc_ipv6 == b.rsc_ipv6 && a.uso_ipv4 == b.uso_ipv4 &&
         a.uso_ipv6 == b.uso_ipv6;
}

void CheckWithinHardware(const NdisOffload& c, const NdisOffload& h) {
  for (const auto& [x, y] : {std::pair{c.ipv4_transmit, h.ipv4_transmit}, {c.ipv4_receive, h.ipv4_receive}}) {
    FUZZ_CHECK((!x.tcp_checksum || y.tcp_checksum) && (!x.udp_checksum || y.udp_checksum) &&
               (!x.ip_checksum || y.ip_checksum) && (x.encapsulation == 0 || y.encapsulation != 0));
  }
  for (const auto& [x, y] : {std::pair{c.ipv6_transmit, h.ipv6_transmit}, {c.ipv6_receive, h.ipv6_receive}}) {
    FUZZ_CHECK((!x.tcp_checksum || y.tcp_checksum) && (!x.udp_checksum || y.udp_checksum) &&
               (x.encapsulation == 0 || y.encapsulation != 0));
  }
  FUZZ_CHECK(c.lso_v2_ipv4.encapsulation == 0 || h.lso_v2_ipv4.encapsulation != 0);
  FUZZ_CHECK(c.lso_v2_ipv6.encapsulation == 0 || h.lso_v2_ipv6.encapsulation != 0);
  FUZZ_CHECK(c.uso_ipv4.encapsulation == 0 || h.uso_ipv4.encapsulation != 0);
  FUZZ_CHECK(c.uso_ipv6.encapsulation == 0 || h.uso_ipv6.encapsulation != 0);
  FUZZ_CHECK((!c.rsc_ipv4 || h.rsc_ipv4) && (!c.rsc_ipv6 || h.rsc_ipv6));
  const bool active = (c.encapsulation_types & kNdisEncapsulationTypeGreMac) != 0;
  FUZZ_CHECK(c.encapsulated_packet_task_offload_gre.raw() ==
             (active ? h.encapsulated_packet_task_offload_gre.raw() : 0u));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  Adapter adapter;
  int indications = 0;
  NdisOffload indicated;
  adapter.SetStatusCallback([&](const StatusIndication& s) {
    FUZZ_CHECK(s.code == NdisStatus::kTaskOffloadCurrentConfig);
    ++indications;
    indicated = s.offload;
  });
  const NdisOffload hw = adapter.HardwareCapabilities();

  for (int request = 0; request < 6 && in.remaining() > 0; ++request) {
    const auto kind = in.Take<std::uint8_t>() % 4;
    const auto bytes = in.TakeBytes(in.Take<std::uint8_t>());
    // A copy, not the snapshot: holding a snapshot while NVGRE task offload is turned off
    // would make the adapter wait for it forever (adapter.h, Concurrency).
    const AdapterConfig before = *adapter.Snapshot();
    const std::string keywords_before = adapter.keywords().ToText();
    auto unchanged = [&] {
      const auto now = adapter.Snapshot();
      return now->current == before.current &&
             now->offload_encapsulation_ipv4 == before.offload_encapsulation_ipv4 &&
             now->offload_encapsulation_ipv6 == before.offload_encapsulation_ipv6 &&
             adapter.keywords().ToText() == keywords_before;
    };
    indications = 0;

    if (kind == 0) {
      const NdisStatus st = adapter.SetOffloadParametersOid(bytes);
      FUZZ_CHECK(st == NdisStatus::kSuccess || st == NdisStatus::kInvalidData ||
                 st == NdisStatus::kNotSupported || st == NdisStatus::kInvalidParameter ||
                 st == NdisStatus::kInvalidLength || st == NdisStatus::kBufferTooShort);
      const ParsedOffloadParameters parsed = ParseOffloadParameters(bytes);
      if (parsed.status != NdisStatus::kSuccess) FUZZ_CHECK(st == parsed.status);
      if (st != NdisStatus::kSuccess) {
        FUZZ_CHECK(unchanged() && indications == 0);
      } else {
        FUZZ_CHECK(indications == 1 && indicated == adapter.CurrentConfig());
      }
    } else if (kind == 1) {
      FuzzInput f(bytes.data(), bytes.size());
      OffloadEncapsulation e;
      for (OffloadEncapsulation::PerVersion* v : {&e.ipv4, &e.ipv6}) {
        v->enabled = f.Take<std::uint8_t>() % 4;
        v->encapsulation_type = f.TakeBool() ? kNdisEncapsulationIeee8023 : f.Take<std::uint8_t>();
        v->header_size = f.Take<std::uint8_t>() % 32;
      }
      const NdisStatus st = adapter.SetOffloadEncapsulation(e);
      FUZZ_CHECK(st == NdisStatus::kSuccess || st == NdisStatus::kInvalidParameter ||
                 st == NdisStatus::kNotSupported);
      if (st != NdisStatus::kSuccess) FUZZ_CHECK(unchanged());
      const auto after = adapter.Snapshot();
      if (st == NdisStatus::kSuccess && e.ipv4.enabled == kNdisOffloadSetOn) FUZZ_CHECK(after->offload_encapsulation_ipv4);
      if (st == NdisStatus::kSuccess && e.ipv4.enabled == kNdisOffloadSetOff) FUZZ_CHECK(!after->offload_encapsulation_ipv4);
      FUZZ_CHECK(after->current == before.current);  // OID_OFFLOAD_ENCAPSULATION: not the offload state
    } else if (kind == 2) {
      const auto x = NdisOffload::FromBytes(bytes);
      if (x) {
        FUZZ_CHECK(bytes[0] == kNdisObjectTypeOffload && bytes[1] >= 1);
        // adapter.h: a revision above 6 reads as 6, and only with a 6-sized buffer.
        const std::uint8_t rev = std::min(bytes[1], kNdisOffloadMaxRevision);
        FUZZ_CHECK(bytes.size() >= NdisOffloadSize(rev));
        const std::vector<std::uint8_t> image = x->ToBytes(rev);
        FUZZ_CHECK(image.size() == NdisOffloadSize(rev));
        const auto y = NdisOffload::FromBytes(image);
        FUZZ_CHECK(y.has_value() && *y == *x);
        FUZZ_CHECK(!x->ToString().empty());
      }
    } else {
      const ParsedOffloadParameters parsed = ParseOffloadParameters(bytes);
      if (parsed.status == NdisStatus::kSuccess) {
        const OffloadParameters& p = parsed.parameters;
        FUZZ_CHECK(OffloadParametersSize(p.revision) != 0 && bytes.size() >= OffloadParametersSize(p.revision));
        const std::vector<std::uint8_t> image = p.ToBytes();
        FUZZ_CHECK(image.size() == OffloadParametersSize(p.revision));
        const ParsedOffloadParameters again = ParseOffloadParameters(image);
        FUZZ_CHECK(again.status == NdisStatus::kSuccess && again.parameters == p);
      }
    }

    // Whatever happened: within the hardware, CURRENT_CONFIG images round-trip, state persists.
    const NdisOffload cur = adapter.CurrentConfig();
    CheckWithinHardware(cur, hw);
    for (std::uint8_t rev = 1; rev <= kNdisOffloadMaxRevision; ++rev) {
      const std::vector<std::uint8_t> image = cur.ToBytes(rev);
      const auto back = NdisOffload::FromBytes(image);
      FUZZ_CHECK(back.has_value() && back->ToBytes(rev) == image);
    }
    const Adapter restarted(AdapterCapabilities::Default(), Keywords::Parse(adapter.keywords().ToText()));
    FUZZ_CHECK(Persisted(restarted.CurrentConfig(), cur));
  }
  return 0;
}
