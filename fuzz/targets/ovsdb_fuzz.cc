// Fuzz target: what an OVSDB server sends nvgred (src/daemon/ovsdb/): the JSON-RPC framer, the
// streaming message parser and the typed replica of the hardware_vtep tables, fed a byte stream
// as the client reads it.
// NVGRE_FUZZ_LIBS: daemon virt offload wire io
//
// Input: byte 0 holds flags (bit 0: the first applied message replaces the replica, as a
// monitor reply with found = false; bit 1: a second replica gets every message as a full
// resync); the rest is the stream from the server (the seeds in fuzz/corpus/ovsdb/ are
// ovsdb-server messages: monitor_cond_since replies, update3 notifications with inserts,
// modifies and deletes, bad rows, transact replies; fuzz/dict/ovsdb.dict holds the tokens).
// Invariants:
//   - nothing crashes, whatever the bytes; the framer never hands out more than its bound;
//   - a parsed message is a JSON-RPC request, notification or reply with the fields of its kind;
//   - after every applied message the published record layer is consistent: every entry's VSID
//     is usable (RFC 7637 §3.2), every provider index and flood index is in range, every
//     provider is a unicast address that is not this host's, records() counts the MAC entries;
//   - the port bindings only give usable VSIDs; the publish plan, when there is one, is an
//     array of operation objects, each naming its table; Status() is an object;
//   - the refused-row gauges never exceed the rows held.
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/log.h"
#include "daemon/ovsdb/jsonrpc.h"
#include "daemon/ovsdb/replica.h"
#include "fuzz_util.h"

namespace {

using nvgre::daemon::ovsdb::Framer;
using nvgre::daemon::ovsdb::LocalView;
using nvgre::daemon::ovsdb::Message;
using nvgre::daemon::ovsdb::Replica;

LocalView View() {
  LocalView v;
  v.switch_name = "h1";
  v.addresses = {*nvgre::virt::ParseIpAddress("192.0.2.1"), *nvgre::virt::ParseIpAddress("2001:db8::1")};
  v.ports.push_back({.tap = "nva", .mac = {0x02, 0, 0, 1, 0x50, 1}, .ips = {*nvgre::virt::ParseIpAddress("10.0.0.1")},
                     .vsid = 5001});
  v.ports.push_back({.tap = "nvz", .mac = {0x02, 0, 0, 1, 0x50, 9}, .ips = {}, .vsid = 0});
  return v;
}

bool Unicast(const nvgre::virt::IpAddress& a) {
  if (nvgre::virt::IsMulticastIp(a)) return false;
  if (const auto* v4 = std::get_if<nvgre::wire::Ipv4Address>(&a)) {
    return *v4 != nvgre::wire::Ipv4Address{} && *v4 != nvgre::wire::Ipv4Address{255, 255, 255, 255};
  }
  return std::get<nvgre::wire::Ipv6Address>(a) != nvgre::wire::Ipv6Address{};
}

void CheckReplica(Replica& r) {
  const auto layer = r.Publish();
  const auto& providers = layer->providers();
  std::size_t macs = 0;
  layer->macs().ForEach([&](const nvgre::virt::VsidMac& k, std::uint32_t p) {
    ++macs;
    FUZZ_CHECK(nvgre::virt::IsUsableVsid(k.vsid));
    FUZZ_CHECK(p < providers.size());
    for (const auto& own : r.view().addresses) FUZZ_CHECK(!(providers[p] == own));
    FUZZ_CHECK(layer->FindMac(k.vsid, k.mac) != nullptr && *layer->FindMac(k.vsid, k.mac) == p);
    FUZZ_CHECK((k.mac[0] & 1) == 0);
  });
  FUZZ_CHECK(macs == layer->records());
  layer->ipv4().ForEach([&](const nvgre::virt::VsidIpv4& k, const nvgre::wire::MacAddress&) {
    FUZZ_CHECK(nvgre::virt::IsUsableVsid(k.vsid));
  });
  layer->ipv6().ForEach([&](const nvgre::virt::VsidIpv6& k, const nvgre::wire::MacAddress&) {
    FUZZ_CHECK(nvgre::virt::IsUsableVsid(k.vsid));
  });
  for (const auto& a : providers) FUZZ_CHECK(Unicast(a));
  for (const auto& s : layer->subnets()) {
    FUZZ_CHECK(nvgre::virt::IsUsableVsid(s.vsid));
    for (const std::uint32_t p : s.flood_providers) {
      FUZZ_CHECK(p < providers.size());
      for (const auto& own : r.view().addresses) FUZZ_CHECK(!(providers[p] == own));
    }
  }
  for (const auto& [tap, vsid] : r.PortBindings()) FUZZ_CHECK(nvgre::virt::IsUsableVsid(vsid));
  if (const auto plan = r.PlanPublish()) {
    FUZZ_CHECK(plan->is_array() && !plan->empty());
    for (const auto& op : *plan) FUZZ_CHECK(op.is_object() && op.contains("op"));
  }
  const auto status = r.Status();
  FUZZ_CHECK(status.is_object());
  std::uint64_t rows = 0;
  for (const auto& [table, n] : status["rows"].items()) rows += n.get<std::uint64_t>();
  std::uint64_t refused = 0;
  for (const auto& [reason, n] : status["refused_rows"].items()) refused += n.get<std::uint64_t>();
  FUZZ_CHECK(refused <= rows);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nvgre::daemon::SetLogLevel(nvgre::daemon::LogLevel::kError);  // refusals log warnings
  nvgre::fuzz::FuzzInput in(data, size);
  const std::uint8_t flags = in.Take<std::uint8_t>();
  const auto bytes = in.Rest();
  constexpr std::size_t kBound = 1 << 16;
  Framer framer(kBound);
  // Fed in three pieces: framing must not depend on where the reads end.
  const std::size_t cuts[] = {bytes.size() / 3, 2 * bytes.size() / 3, bytes.size()};
  Replica r(View());
  Replica full(View());
  bool first = true;
  std::size_t done = 0;
  for (const std::size_t cut : cuts) {
    const auto room = framer.Prepare(cut - done);
    std::copy(bytes.begin() + static_cast<std::ptrdiff_t>(done), bytes.begin() + static_cast<std::ptrdiff_t>(cut),
              room.begin());
    framer.Commit(cut - done);
    done = cut;
    std::string_view text;
    for (;;) {
      const Framer::Status st = framer.Next(text);
      if (st != Framer::Status::kMessage) break;
      FUZZ_CHECK(text.size() <= kBound + 1 && text.front() == '{');
      Replica::Batch b = r.NewBatch();
      std::string error;
      const auto m = nvgre::daemon::ovsdb::ParseMessage(text, b, &error);
      if (!m) {
        FUZZ_CHECK(!error.empty());
        continue;
      }
      switch (m->kind) {
        case Message::Kind::kRequest:
          FUZZ_CHECK(!m->id.is_null() && m->params.is_array());
          break;
        case Message::Kind::kNotification:
          FUZZ_CHECK(m->id.is_null() && m->params.is_array());
          break;
        case Message::Kind::kError:
          FUZZ_CHECK(!m->error.is_null());
          break;
        case Message::Kind::kReply:
          break;
      }
      r.Apply(b, first && (flags & 1));
      first = false;
      CheckReplica(r);
      if (flags & 2) {
        Replica::Batch f = full.NewBatch();
        if (nvgre::daemon::ovsdb::ParseMessage(text, f, &error)) full.Apply(f, true);
        CheckReplica(full);
      }
    }
  }
  return 0;
}
