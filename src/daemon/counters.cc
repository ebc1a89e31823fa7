#include "daemon/counters.h"

#include <string>

namespace nvgre::daemon {
namespace {

struct DropTable {
  std::array<std::string, kDropCount> names;
  std::array<std::string_view, kDropCount> help;
  DropTable() {
    std::size_t i = 0;
#define NVGRE_X(value, name, text) names[i] = name; help[i] = text; ++i;
    NVGRED_DROPS(NVGRE_X)
    NVGRE_VNET_TX_DROPS(NVGRE_X)
#undef NVGRE_X
    for (std::size_t d = 0; d < virt::kDecapDropCount; ++d) {
      names[i] = std::string(virt::ToString(static_cast<virt::DecapDrop>(d)));
      help[i] = "NVGRE decapsulation refused the datagram (virt/decap.h)";
      ++i;
    }
    for (std::size_t r = 1; r < offload::kTxRefusalCount; ++r) {
      names[i] = "tx-" + std::string(offload::ToString(static_cast<offload::TxRefusal>(r)));
      help[i] = "the NDIS Tx engine refused the send (offload/tx_engine.h)";
      ++i;
    }
    for (std::size_t e = 0; e < virt::kEncapErrorCount; ++e) {
      names[i] = "encap-" + std::string(virt::ToString(static_cast<virt::EncapError>(e)));
      help[i] = "NVGRE encapsulation refused the frame (virt/encap.h)";
      ++i;
    }
    std::size_t n = 0;
#define NVGRE_X(value, name, text) if (n++ > 0) { names[i] = name; help[i] = text; ++i; }
    NVGRE_NEIGHBOR_IGNORES(NVGRE_X)
#undef NVGRE_X
  }
};

const DropTable& Table() {
  static const DropTable table;
  return table;
}

}  // namespace

const std::string& DropName(std::size_t index) { return Table().names[index]; }
std::string_view DropHelp(std::size_t index) { return Table().help[index]; }

CounterTotals CounterTotals::Sum(const std::vector<const WorkerCounters*>& workers) {
  CounterTotals t;
  std::size_t max_ports = 0;
  for (const WorkerCounters* w : workers) max_ports = std::max(max_ports, w->ports.size());
  t.ports.resize(max_ports);
  for (const WorkerCounters* w : workers) {
#define NVGRE_X(name, help) t.name += w->name.Get();
    NVGRED_WORKER_COUNTERS(NVGRE_X)
#undef NVGRE_X
    for (std::size_t i = 0; i < kDropCount; ++i) t.drops[i] += w->drops[i].Get();
    for (std::size_t p = 0; p < w->ports.size(); ++p) {
      t.ports[p].rx_packets += w->ports[p].rx_packets.Get();
      t.ports[p].rx_bytes += w->ports[p].rx_bytes.Get();
      t.ports[p].tx_packets += w->ports[p].tx_packets.Get();
      t.ports[p].tx_bytes += w->ports[p].tx_bytes.Get();
    }
    t.rss_queues.push_back(w->rss_handled.Get());
  }
  return t;
}

}  // namespace nvgre::daemon
