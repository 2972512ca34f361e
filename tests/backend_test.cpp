// The Backend seam: `run` and `replay` reach either backend through it. The simulator's watches
// see a hop's packets as they pass, with their origins; the replay check judges them the same
// way whether origins are known (sim) or not (real, where it matches in order).
#include "tunlab/harness/backend.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "seed_model.hpp"
#include "test_packets.hpp"
#include "tunlab/harness/capture.hpp"
#include "tunlab/harness/replay_check.hpp"
#include "tunlab/sim/sim_backend.hpp"

namespace tunlab {
namespace {

namespace fs = std::filesystem;
using test::Bytes;
using test::IpSpec;
using test::make_udp_bytes;

TEST(SimBackend, AWatchSeesEveryPacketOfItsHopWithItsOriginAndPostRunSeesTheSummary) {
  const sim::SimBackend backend;
  BackendRunOptions options;
  std::vector<std::uint32_t> incoming;
  std::size_t outgoing = 0;
  options.watches.push_back({"right-tun0", [&](bool out, std::uint32_t origin, ByteView) {
                               if (out) {
                                 ++outgoing;
                               } else {
                                 incoming.push_back(origin);
                               }
                             }});
  std::uint64_t delivered_at_post_run = 0;
  options.post_run = [&](RunSummary& summary) { delivered_at_post_run = summary.delivered; };
  const RunSummary summary = backend.run(test::seed_udp_line(5, 1'000'000), options);
  EXPECT_EQ(incoming, (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(outgoing, 0u);  // nothing in this flow leaves right through its tun
  EXPECT_EQ(delivered_at_post_run, 5u);
  EXPECT_EQ(summary.delivered, 5u);
}

TEST(SimBackend, RunsSideBySideOnThreadsEachAsItWouldAlone) {
  const sim::SimBackend backend;
  ASSERT_TRUE(backend.concurrent_runs());
  const scenario::Scenario s = test::seed_udp_line(200, 1'000'000);
  const std::string alone = backend.run(s, {}).to_json();
  std::string first;
  std::string second;
  {
    const std::jthread a([&] { first = backend.run(s, {}).to_json(); });
    const std::jthread b([&] { second = backend.run(s, {}).to_json(); });
  }
  EXPECT_EQ(first, alone);
  EXPECT_EQ(second, alone);
}

TEST(Backend, RunsOneAtATimeUnlessItSaysOtherwise) {
  struct Minimal final : Backend {
    std::string_view name() const override { return "minimal"; }
    std::optional<std::string> unavailable() const override { return std::nullopt; }
    RunSummary run(const scenario::Scenario&, const BackendRunOptions&) const override { return {}; }
  };
  EXPECT_FALSE(Minimal().concurrent_runs());
}

TEST(SimBackend, AWatchOnAnInterfaceTheScenarioLacksIsRefused) {
  const sim::SimBackend backend;
  BackendRunOptions options;
  options.watches.push_back({"nowhere-tun9", [](bool, std::uint32_t, ByteView) {}});
  EXPECT_THROW(backend.run(test::seed_udp_line(1, 1'000'000), options), std::invalid_argument);
}

class ReplayCheckTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tunlab-replay-check-" + std::to_string(::getpid()));
    CaptureSet set(dir_);
    const std::size_t c = set.open("in", LinkType::raw);
    set.seal();
    for (std::uint16_t i = 0; i < 4; ++i) {
      IpSpec spec;
      spec.id = static_cast<std::uint16_t>(100 + i);
      packets_.push_back(make_udp_bytes(60 + i, spec));
      set.record(c, i * 1000, packets_.back());
    }
    pcap_ = set.write_to(dir_).at("in");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  fs::path pcap_;
  std::vector<Bytes> packets_;
};

TEST_F(ReplayCheckTest, WithOriginsEachArrivalIsComparedWithItsOwnRecordInAnyOrder) {
  ReplayCheck check(pcap_, 4);
  for (const std::uint32_t origin : {2u, 1u, 4u, 3u}) {
    check.arrived(origin, packets_[origin - 1]);
  }
  EXPECT_TRUE(check.result().ok) << check.result().seen;
}

TEST_F(ReplayCheckTest, WithOriginsAPacketChangedOnTheWayIsNotIdentical) {
  ReplayCheck check(pcap_, 4);
  Bytes changed = packets_[1];
  changed.back() ^= 1;
  check.arrived(1, packets_[0]);
  check.arrived(2, changed);
  check.arrived(3, packets_[2]);
  check.arrived(4, packets_[3]);
  EXPECT_FALSE(check.result().ok);
  EXPECT_EQ(check.result().seen, "3 identical packets");
}

TEST_F(ReplayCheckTest, WithoutOriginsArrivalsMatchTheRecordsInOrderAndALostOneIsMissing) {
  ReplayCheck check(pcap_, 4);
  check.arrived(0, packets_[0]);
  check.arrived(0, packets_[2]);  // packets_[1] was lost
  check.arrived(0, packets_[3]);
  EXPECT_FALSE(check.result().ok);
  EXPECT_EQ(check.result().seen, "3 identical packets");
}

TEST_F(ReplayCheckTest, WithoutOriginsAPacketThatArrivesLateNoLongerCounts) {
  ReplayCheck check(pcap_, 4);
  check.arrived(0, packets_[0]);
  check.arrived(0, packets_[2]);
  check.arrived(0, packets_[1]);  // after a later record matched: out of order
  check.arrived(0, packets_[3]);
  EXPECT_EQ(check.result().seen, "3 identical packets");
}

TEST_F(ReplayCheckTest, WithoutOriginsAPacketThePcapNeverHeldIsIgnored) {
  ReplayCheck check(pcap_, 4);
  IpSpec stranger;
  stranger.id = 7;
  check.arrived(0, make_udp_bytes(200, stranger));
  for (const Bytes& p : packets_) {
    check.arrived(0, p);
  }
  EXPECT_TRUE(check.result().ok) << check.result().seen;
}

TEST_F(ReplayCheckTest, WithoutOriginsAStrangerReadsOnlyTheLookAheadIntoMemory) {
  ReplayCheck check(pcap_, 4, /*look_ahead=*/2);
  IpSpec stranger;
  stranger.id = 7;
  check.arrived(0, make_udp_bytes(200, stranger));
  EXPECT_EQ(check.held(), 2u);  // not the whole file
  for (const Bytes& p : packets_) {
    check.arrived(0, p);
  }
  EXPECT_TRUE(check.result().ok) << check.result().seen;
  EXPECT_EQ(check.held(), 0u);
}

TEST_F(ReplayCheckTest, WithoutOriginsAnArrivalBeyondTheLookAheadIsNotMatched) {
  ReplayCheck check(pcap_, 4, /*look_ahead=*/2);
  check.arrived(0, packets_[3]);  // the three before it were lost: more than the look-ahead
  EXPECT_EQ(check.result().seen, "0 identical packets");
  EXPECT_FALSE(check.result().ok);
}

TEST_F(ReplayCheckTest, ItsWatchFeedsOnlyWhatRightTun0HandsTheStack) {
  auto check = std::make_shared<ReplayCheck>(pcap_, 4);
  const HopWatch watch = ReplayCheck::watch(check);
  EXPECT_EQ(watch.label, "right-tun0");
  for (std::uint32_t i = 0; i < 4; ++i) {
    watch.see(true, i + 1, packets_[i]);  // outgoing: not what the replay delivered
  }
  EXPECT_EQ(check->result().seen, "0 identical packets");
  for (std::uint32_t i = 0; i < 4; ++i) {
    watch.see(false, i + 1, packets_[i]);
  }
  EXPECT_TRUE(check->result().ok);
}

}  // namespace
}  // namespace tunlab
