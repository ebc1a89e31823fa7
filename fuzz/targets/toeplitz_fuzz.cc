// Fuzz target: the RSS Toeplitz hash (offload/toeplitz.h, spec §10.2): table and GFNI paths
// and the burst against ToeplitzHashReference, for random keys and inputs.
// NVGRE_FUZZ_LIBS: offload
//
// Input: 1 byte key length (0-240), the key, then the hash inputs: each is 1 length byte and
// that many bytes. Invariants:
//   - ToeplitzHasher (<= 36-byte inputs) and LongToeplitzHasher (<= 236) give the reference
//     value on every available path (reference, table, GFNI when the CPU has it);
//   - HashBurst(inputs)[i] == Hash(inputs[i]), inputs of mixed lengths;
//   - the hash is linear over GF(2): Hash(x ^ y) == Hash(x) ^ Hash(y) for equal lengths;
//   - the tuple helpers hash src ‖ dst ‖ sport ‖ dport in network order.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "fuzz_util.h"
#include "nvgre/offload/toeplitz.h"

namespace {

using nvgre::fuzz::FuzzInput;
using namespace nvgre::offload;  // NOLINT
using Span = std::span<const std::uint8_t>;

struct Hashers {
  // Built once (they are 37 KiB and 240 KiB); SetKey per input.
  ToeplitzHasher table{Span(kRssVerificationKey), ToeplitzPath::kTable};
  ToeplitzHasher gfni{Span(kRssVerificationKey), ToeplitzPath::kGfni};
  ToeplitzHasher reference{Span(kRssVerificationKey), ToeplitzPath::kReference};
  LongToeplitzHasher long_table{Span(kRssVerificationKey), ToeplitzPath::kTable};
  LongToeplitzHasher long_gfni{Span(kRssVerificationKey), ToeplitzPath::kGfni};
};

Hashers& GetHashers() {
  static Hashers* h = new Hashers();  // never destroyed: no exit-time work under the fuzzer
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzInput in(data, size);
  const std::size_t key_len = in.Take<std::uint8_t>() % 241u;
  const std::vector<std::uint8_t> key = [&] {
    const auto k = in.TakeBytes(key_len);
    return std::vector<std::uint8_t>(k.begin(), k.end());
  }();
  std::vector<std::vector<std::uint8_t>> inputs;
  while (in.remaining() > 0 && inputs.size() < 10) {
    const auto n = in.Take<std::uint8_t>();
    const auto bytes = in.TakeBytes(n);
    inputs.emplace_back(bytes.begin(), bytes.end());
  }

  Hashers& h = GetHashers();
  // Rebuilding the tables dominates the run time; mutations often leave the key alone.
  static std::vector<std::uint8_t>* last_key = new std::vector<std::uint8_t>(kRssVerificationKey.begin(),
                                                                               kRssVerificationKey.end());
  if (key != *last_key) {
    h.table.SetKey(key);
    h.gfni.SetKey(key);
    h.reference.SetKey(key);
    h.long_table.SetKey(key);
    h.long_gfni.SetKey(key);
    *last_key = key;
  }
  FUZZ_CHECK(h.table.path() == ToeplitzPath::kTable && h.reference.path() == ToeplitzPath::kReference);
  FUZZ_CHECK(h.gfni.path() == (ToeplitzGfniSupported() ? ToeplitzPath::kGfni : ToeplitzPath::kTable));
  FUZZ_CHECK(h.table.key().size() == std::min<std::size_t>(key.size(), ToeplitzHasher::kMaxKeySize));

  // The hasher keeps at most kMaxKeySize key bytes: beyond that the key cannot matter.
  const Span short_key = Span(key).first(std::min<std::size_t>(key.size(), ToeplitzHasher::kMaxKeySize));
  const Span long_key = Span(key).first(std::min<std::size_t>(key.size(), LongToeplitzHasher::kMaxKeySize));

  std::vector<Span> short_inputs, long_inputs;
  for (const auto& input : inputs) {
    const Span x = Span(input).first(std::min<std::size_t>(input.size(), ToeplitzHasher::kMaxInputSize));
    const std::uint32_t want = ToeplitzHashReference(short_key, x);
    FUZZ_CHECK(h.table.Hash(x) == want);
    FUZZ_CHECK(h.gfni.Hash(x) == want);
    FUZZ_CHECK(h.reference.Hash(x) == want);
    short_inputs.push_back(x);

    const Span y = Span(input).first(std::min<std::size_t>(input.size(), LongToeplitzHasher::kMaxInputSize));
    const std::uint32_t want_long = ToeplitzHashReference(long_key, y);
    FUZZ_CHECK(h.long_table.Hash(y) == want_long);
    FUZZ_CHECK(h.long_gfni.Hash(y) == want_long);
    long_inputs.push_back(y);
  }

  // Bursts.
  std::vector<std::uint32_t> out(short_inputs.size() + 1, 0xDEADBEEF);
  h.gfni.HashBurst(short_inputs, std::span(out).first(short_inputs.size()));
  for (std::size_t i = 0; i < short_inputs.size(); ++i) FUZZ_CHECK(out[i] == h.table.Hash(short_inputs[i]));
  FUZZ_CHECK(out.back() == 0xDEADBEEF);
  h.table.HashBurst(short_inputs, out);  // out longer than inputs: only inputs.size() written
  for (std::size_t i = 0; i < short_inputs.size(); ++i) FUZZ_CHECK(out[i] == h.gfni.Hash(short_inputs[i]));
  std::vector<std::uint32_t> long_out(long_inputs.size());
  h.long_gfni.HashBurst(long_inputs, long_out);
  for (std::size_t i = 0; i < long_inputs.size(); ++i) FUZZ_CHECK(long_out[i] == h.long_table.Hash(long_inputs[i]));

  // Linearity over GF(2).
  if (long_inputs.size() >= 2) {
    const Span x = long_inputs[0], y = long_inputs[1];
    const std::size_t n = std::min(x.size(), y.size());
    std::vector<std::uint8_t> z(n);
    for (std::size_t i = 0; i < n; ++i) z[i] = static_cast<std::uint8_t>(x[i] ^ y[i]);
    FUZZ_CHECK(h.long_gfni.Hash(z) == (h.long_gfni.Hash(x.first(n)) ^ h.long_gfni.Hash(y.first(n))));
  }

  // The spec §10.2 tuples.
  if (!short_inputs.empty() && short_inputs[0].size() == 36) {
    const Span t = short_inputs[0];
    const auto port = [&](std::size_t at) { return static_cast<std::uint16_t>(t[at] << 8 | t[at + 1]); };
    FUZZ_CHECK(h.gfni.HashIpv6Ports(t.subspan<0, 16>(), t.subspan<16, 16>(), port(32), port(34)) ==
               ToeplitzHashReference(short_key, t));
    FUZZ_CHECK(h.gfni.HashIpv6(t.subspan<0, 16>(), t.subspan<16, 16>()) ==
               ToeplitzHashReference(short_key, t.first(32)));
    FUZZ_CHECK(h.table.HashIpv4Ports(t.subspan<0, 4>(), t.subspan<4, 4>(), port(8), port(10)) ==
               ToeplitzHashReference(short_key, t.first(12)));
    FUZZ_CHECK(h.table.HashIpv4(t.subspan<0, 4>(), t.subspan<4, 4>()) ==
               ToeplitzHashReference(short_key, t.first(8)));
  }
  return 0;
}
