// RSC / GRO of NVGRE frames: in-order segments of one inner flow merge into exactly the frame
// a sender would have built with the combined payload; different keys, GRE flags, outer
// addresses, ports, gaps, flags or bad checksums never merge; bounds; drain on SET_OFF.
#include "nvgre/offload/rsc.h"

#include <gtest/gtest.h>

#include <vector>

#include "nvgre/wire/checksum.h"
#include "offload/rx_frames_util.h"

namespace nvgre::offload {
namespace {

using nvgre::testing::Bytes;
using nvgre::testing::BuildNvgreFrame;
using nvgre::testing::InnerL4Offset;
using nvgre::testing::InnerSpec;
using nvgre::testing::OuterSpec;

struct Collect : RscSink {
  struct Item {
    Bytes frame;
    RscIndication info;
  };
  std::vector<Item> items;
  void Indicate(std::span<const std::uint8_t> f, const RscIndication& i) override {
    items.push_back({Bytes(f.begin(), f.end()), i});
  }
};

// Segment k of a flow: 10 payload bytes continuing the byte pattern and the sequence space.
InnerSpec Segment(int k, std::uint8_t flags = 0x10) {
  InnerSpec in;
  in.tcp_flags = flags;
  in.payload = 10;
  in.payload_seed = static_cast<std::uint8_t>(0x40 + 10 * k);
  in.tcp_seq = 1000u + 10u * static_cast<std::uint32_t>(k);
  return in;
}

class RscTest : public ::testing::Test {
 protected:
  void Offer(const Bytes& f, std::uint64_t tag) {
    const auto c = adapter_->Snapshot();
    rsc_.Offer(*c, f, ProcessRxFrame(*c, f), tag, sink_);
  }
  std::unique_ptr<Adapter> adapter_ = nvgre::testing::ReadyAdapter();
  std::array<std::uint8_t, 65536 + 256> storage_{};
  RscCoalescer rsc_{storage_};
  Collect sink_;
};

TEST_F(RscTest, ConsecutiveSegmentsMergeIntoTheFrameASenderWouldBuild) {
  for (int k = 0; k < 3; ++k) Offer(BuildNvgreFrame({}, Segment(k)), static_cast<std::uint64_t>(k + 1));
  EXPECT_TRUE(sink_.items.empty());
  EXPECT_TRUE(rsc_.holding());
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 1u);
  const auto& it = sink_.items[0];
  EXPECT_EQ(it.info.coalesced_segments, 3);
  EXPECT_EQ(it.info.first_tag, 1u);
  EXPECT_EQ(it.info.last_tag, 3u);
  EXPECT_TRUE(it.info.checksum.tcp_checksum_succeeded());
  EXPECT_TRUE(it.info.checksum.tcp_checksum_value_invalid());
  EXPECT_TRUE(it.info.checksum.ip_checksum_succeeded());
  EXPECT_EQ(rsc_.merged_segments(), 2u);

  InnerSpec whole = Segment(0);
  whole.payload = 30;
  const Bytes expected = BuildNvgreFrame({}, whole);
  ASSERT_EQ(it.frame.size(), expected.size());
  const std::size_t tcp_csum = InnerL4Offset({}, whole) + 16;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (i == tcp_csum || i == tcp_csum + 1) continue;  // not recomputed (TcpChecksumValueInvalid)
    EXPECT_EQ(it.frame[i], expected[i]) << "byte " << i;
  }
  // Both IPv4 header checksums were recomputed.
  const auto report = wire::VerifyChecksums(it.frame, wire::ClassifyFrame(it.frame));
  EXPECT_EQ(report.outer_ip, wire::CsumState::kGood);
  EXPECT_EQ(report.inner_ip, wire::CsumState::kGood);
  EXPECT_EQ(it.info.rss.tuple, RssTuple::kInner4Tuple);
}

// A held frame that goes up unmerged is the offered frame byte for byte, Ethernet trailer
// included (fuzz finding rsc-drops-trailer: Hold kept only the IP packets); a merged frame ends
// with its IP packets, the first segment's trailer overwritten by the next payload.
TEST_F(RscTest, TrailerKeptWhenUnmergedDroppedWhenMerged) {
  const Bytes trailer{0xEE, 0xEE, 0xEE, 0xEE};
  Bytes first = BuildNvgreFrame({}, Segment(0));
  const std::size_t ip_end = first.size();
  first.insert(first.end(), trailer.begin(), trailer.end());
  Offer(first, 1);
  EXPECT_TRUE(rsc_.holding());
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 1u);
  EXPECT_EQ(sink_.items[0].info.coalesced_segments, 1);
  EXPECT_EQ(sink_.items[0].frame, first);  // ip_end + 4 bytes, the trailer's 0xEE included

  sink_.items.clear();
  Offer(first, 1);
  Bytes second = BuildNvgreFrame({}, Segment(1));
  second.insert(second.end(), trailer.begin(), trailer.end());
  Offer(second, 2);
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 1u);
  EXPECT_EQ(sink_.items[0].info.coalesced_segments, 2);
  ASSERT_EQ(sink_.items[0].frame.size(), ip_end + 10);  // no trailer from either segment
  EXPECT_EQ(sink_.items[0].frame[ip_end], 0x40 + 10);   // segment 1's first payload byte
  const wire::FrameLayout l = wire::ClassifyFrame(sink_.items[0].frame);
  EXPECT_EQ(l.outer_l3.end, ip_end + 10);

  // A frame larger than the storage is never held: it goes up at once, unchanged.
  std::array<std::uint8_t, 100> tiny{};
  RscCoalescer small(tiny);
  Collect up;
  const auto c = adapter_->Snapshot();
  small.Offer(*c, first, ProcessRxFrame(*c, first), 7, up);
  EXPECT_FALSE(small.holding());
  ASSERT_EQ(up.items.size(), 1u);
  EXPECT_EQ(up.items[0].frame, first);
}

TEST_F(RscTest, NeverAcrossKeysGreFlagsOuterAddressesOrFlows) {
  OuterSpec other_key;
  other_key.vsid = 0x654321;
  OuterSpec other_flow_id;
  other_flow_id.flow_id = 3;
  OuterSpec other_outer;
  other_outer.src = {100, 0, 17, 9};
  OuterSpec with_sequence;  // GRE flags differ (S bit)
  with_sequence.gre_sequence = true;
  InnerSpec other_port = Segment(1);
  other_port.sport = 4000;
  const std::vector<std::pair<OuterSpec, InnerSpec>> seconds = {
      {other_key, Segment(1)}, {other_flow_id, Segment(1)}, {other_outer, Segment(1)},
      {with_sequence, Segment(1)}, {OuterSpec{}, other_port}};
  for (const auto& [out, in] : seconds) {
    sink_.items.clear();
    Offer(BuildNvgreFrame({}, Segment(0)), 1);
    Offer(BuildNvgreFrame(out, in), 2);
    rsc_.Flush(sink_);
    ASSERT_EQ(sink_.items.size(), 2u);
    EXPECT_EQ(sink_.items[0].info.coalesced_segments, 1);
    EXPECT_EQ(sink_.items[1].info.coalesced_segments, 1);
    EXPECT_FALSE(sink_.items[0].info.checksum.tcp_checksum_value_invalid());
  }
}

TEST_F(RscTest, GapsAndReorderingDoNotMerge) {
  Offer(BuildNvgreFrame({}, Segment(0)), 1);
  Offer(BuildNvgreFrame({}, Segment(2)), 2);  // gap: 1010 expected
  Offer(BuildNvgreFrame({}, Segment(1)), 3);  // behind the held one
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 3u);
  for (const auto& it : sink_.items) EXPECT_EQ(it.info.coalesced_segments, 1);
}

TEST_F(RscTest, PshEndsTheMergeAndOtherFlagsPassThrough) {
  Offer(BuildNvgreFrame({}, Segment(0)), 1);
  Offer(BuildNvgreFrame({}, Segment(1, 0x18)), 2);  // ACK|PSH: merged, then indicated at once
  ASSERT_EQ(sink_.items.size(), 1u);
  EXPECT_EQ(sink_.items[0].info.coalesced_segments, 2);
  const std::size_t flags_at = InnerL4Offset({}, Segment(0)) + 13;
  EXPECT_EQ(sink_.items[0].frame[flags_at], 0x18);
  EXPECT_FALSE(rsc_.holding());
  Offer(BuildNvgreFrame({}, Segment(2, 0x11)), 3);  // FIN|ACK
  Offer(BuildNvgreFrame({}, Segment(3, 0x18)), 4);  // a lone PSH segment
  EXPECT_FALSE(rsc_.holding());
  ASSERT_EQ(sink_.items.size(), 3u);
}

TEST_F(RscTest, BadChecksumsAreNotHeld) {
  Bytes bad = BuildNvgreFrame({}, Segment(1));
  bad.back() ^= 1;
  Offer(BuildNvgreFrame({}, Segment(0)), 1);
  Offer(bad, 2);
  rsc_.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 2u);
  EXPECT_TRUE(sink_.items[1].info.checksum.tcp_checksum_failed());
  EXPECT_EQ(sink_.items[1].frame, bad);  // indicated as received
}

TEST_F(RscTest, OnlyWhileRscAndNvgreOffloadAreOn) {
  OffloadParameters p;
  p.rsc_ipv4 = kOffloadParametersDisabled;
  ASSERT_EQ(adapter_->SetOffloadParameters(p), NdisStatus::kSuccess);
  Offer(BuildNvgreFrame({}, Segment(0)), 1);
  EXPECT_FALSE(rsc_.holding());
  p.rsc_ipv4 = kOffloadParametersEnabled;
  ASSERT_EQ(adapter_->SetOffloadParameters(p), NdisStatus::kSuccess);
  Offer(BuildNvgreFrame({}, Segment(1)), 2);
  EXPECT_TRUE(rsc_.holding());
  // NVGRE task offload turned off: the drain hook flushes the held frame before the indication.
  std::vector<std::string> order;
  adapter_->SetDrainHook([&] {
    rsc_.Flush(sink_);
    order.push_back("drain");
  });
  adapter_->SetStatusCallback([&](const StatusIndication&) { order.push_back("indicate"); });
  OffloadParameters off;
  off.encapsulated_packet_task_offload = kNdisOffloadSetOff;
  ASSERT_EQ(adapter_->SetOffloadParameters(off), NdisStatus::kSuccess);
  EXPECT_EQ(order, (std::vector<std::string>{"drain", "indicate"}));
  EXPECT_FALSE(rsc_.holding());
  ASSERT_EQ(sink_.items.size(), 2u);
  Offer(BuildNvgreFrame({}, Segment(2)), 3);  // not offloaded any more: passed through
  EXPECT_FALSE(rsc_.holding());
  EXPECT_EQ(sink_.items.size(), 3u);
}

TEST_F(RscTest, BoundedByStorageAndIpLength) {
  std::array<std::uint8_t, 120> small{};  // 96 header bytes + 10 + 10
  RscCoalescer rsc(small);
  const auto c = adapter_->Snapshot();
  for (int k = 0; k < 4; ++k) {
    const Bytes f = BuildNvgreFrame({}, Segment(k));
    rsc.Offer(*c, f, ProcessRxFrame(*c, f), static_cast<std::uint64_t>(k), sink_);
  }
  rsc.Flush(sink_);
  ASSERT_EQ(sink_.items.size(), 2u);
  EXPECT_EQ(sink_.items[0].info.coalesced_segments, 2);
  EXPECT_EQ(sink_.items[0].frame.size(), 116u);
  EXPECT_EQ(sink_.items[1].info.coalesced_segments, 2);

  // Large segments: the merge stops before an IP length would pass 65535.
  Collect big;
  RscCoalescer rsc2(storage_);
  std::uint32_t seq = 1000;
  for (int k = 0; k < 10; ++k) {
    InnerSpec in = Segment(0);
    in.payload = 8000;
    in.tcp_seq = seq;
    seq += 8000;
    const Bytes f = BuildNvgreFrame({}, in);
    rsc2.Offer(*c, f, ProcessRxFrame(*c, f), static_cast<std::uint64_t>(k), big);
  }
  rsc2.Flush(big);
  ASSERT_EQ(big.items.size(), 2u);
  EXPECT_EQ(big.items[0].info.coalesced_segments, 8);  // 8 * 8000 + headers < 65535 < 9 * 8000
  EXPECT_EQ(big.items[1].info.coalesced_segments, 2);
}

}  // namespace
}  // namespace nvgre::offload
