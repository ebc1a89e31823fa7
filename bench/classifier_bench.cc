// BM_ClassifyFrame/*: one pass of the frame classifier over a frame; BM_VerifyChecksums/*:
// the receive-side checksum checks over the located headers.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "nvgre/wire/classifier.h"

namespace {

std::vector<std::uint8_t> FromHex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nib(hex[i]) << 4 | nib(hex[i + 1])));
  }
  return out;
}

// ../shared/testdata/packetnet_gre_nvgre.pcap: NVGRE, inner IPv4/TCP, 98 bytes.
const std::vector<std::uint8_t> kNvgreTcp = FromHex(
    "aabb00002002aabb0000200108004500005400000000402f000064001101640011022000655812345602aabb00"
    "001002aabb0000100108004500002a00000000400600000a0000010a00000203e903ea00000000000000005010"
    "008000000000abcd");
// ../shared/testdata/pcapplusplus_GrePackets.converted.pcap frame 7: NVGRE, TCP SYN, 96 bytes.
const std::vector<std::uint8_t> kNvgreSyn = FromHex(
    "00aef352aad100021537a24408004500005200010000402f70730102030404030201200065580000fde8000102"
    "03040500012345567808004500002800010000400666c70a0000040a00000504d0005000000000000000005002"
    "200076ba0000");

void Classify(benchmark::State& state, const std::vector<std::uint8_t>& frame) {
  for (auto _ : state) {
    auto layout = nvgre::wire::ClassifyFrame(frame);
    benchmark::DoNotOptimize(layout);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK_CAPTURE(Classify, NvgreIpv4Tcp, kNvgreTcp)->Name("BM_ClassifyFrame/NvgreIpv4Tcp");
BENCHMARK_CAPTURE(Classify, NvgreSyn, kNvgreSyn)->Name("BM_ClassifyFrame/NvgreIpv4TcpSyn");

void ClassifyAndVerify(benchmark::State& state, const std::vector<std::uint8_t>& frame) {
  for (auto _ : state) {
    auto layout = nvgre::wire::ClassifyFrame(frame);
    auto report = nvgre::wire::VerifyChecksums(frame, layout);
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK_CAPTURE(ClassifyAndVerify, NvgreSyn, kNvgreSyn)->Name("BM_ClassifyAndVerify/NvgreIpv4TcpSyn");

// Inner payload sizes 64 B .. 64 KiB: the checksum part grows, the classification does not.
void ClassifyAndVerifySized(benchmark::State& state) {
  const std::size_t payload = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> frame = kNvgreTcp;
  frame.resize(frame.size() - 2 + payload, 0x5a);
  // Fix the outer and inner IPv4 total lengths (offsets 16 and 58) for the new size; lengths
  // above 65535 do not fit IPv4, so cap the sweep there.
  auto put16 = [&](std::size_t o, std::size_t v) {
    frame[o] = static_cast<std::uint8_t>(v >> 8);
    frame[o + 1] = static_cast<std::uint8_t>(v);
  };
  put16(16, frame.size() - 14);
  put16(58, frame.size() - 56);
  for (auto _ : state) {
    auto layout = nvgre::wire::ClassifyFrame(frame);
    auto report = nvgre::wire::VerifyChecksums(frame, layout);
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
}
BENCHMARK(ClassifyAndVerifySized)->Name("BM_ClassifyAndVerify/payload")->RangeMultiplier(4)->Range(64, 65000 - 128);

}  // namespace
