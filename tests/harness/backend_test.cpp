// The Backend seam: `run` and `replay` reach either backend through it. The simulator's watches
// see a hop's packets as they pass, with their origins; the replay check judges them the same
// way whether origins are known (sim) or not (real, where it matches in order).
#include "tunlab/harness/backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "seed_model.hpp"
#include "test_packets.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/harness/replay_check.hpp"
#include "tunlab/harness/trace_printer.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/sim/sim_backend.hpp"

namespace tunlab {
namespace {

namespace fs = std::filesystem;
using test::Bytes;
using test::IpSpec;
using test::make_udp_bytes;

// An observer that sees one interface's hops, every drop, and the judged summary at the end.
class RightTun0AndTheEnd final : public RunObserver {
public:
  std::string_view only_interface() const override { return "right-tun0"; }
  void hop(std::int64_t, const std::string& label, bool outgoing, std::uint32_t origin, ByteView) override {
    labels.insert(label);
    if (outgoing) {
      ++out;
    } else {
      incoming.push_back(origin);
    }
  }
  void drop(std::int64_t, const DropPlace&, std::uint32_t, std::string_view reason, ByteView) override {
    drops.emplace_back(reason);
  }
  void run_ended(RunSummary& summary) override {
    delivered_at_end = summary.delivered;
    summary.expectations.push_back({});
    summary.expectations.back().name = "added by an observer";
    summary.expectations.back().ok = true;
  }
  std::set<std::string> labels;
  std::vector<std::uint32_t> incoming;
  std::size_t out = 0;
  std::vector<std::string> drops;
  std::uint64_t delivered_at_end = 0;
};

TEST(SimBackend, AnObserverOfOneInterfaceSeesOnlyItsHopsWithOriginsAndTheJudgedSummaryAtTheEnd) {
  const sim::SimBackend backend;
  BackendRunOptions options;
  RightTun0AndTheEnd observer;
  options.observers.push_back(&observer);
  const RunSummary summary = backend.run(test::seed_udp_line(5, 1'000'000), options);
  EXPECT_EQ(observer.labels, std::set<std::string>{"right-tun0"});
  EXPECT_EQ(observer.incoming, (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(observer.out, 0u);  // nothing in this flow leaves right through its tun
  EXPECT_TRUE(observer.drops.empty());
  EXPECT_EQ(observer.delivered_at_end, 5u);
  EXPECT_EQ(summary.delivered, 5u);
  ASSERT_FALSE(summary.expectations.empty());
  EXPECT_EQ(summary.expectations.back().name, "added by an observer");
}

TEST(SimBackend, TheTraceIsAnObserverOfEveryHopPrintingOneLineEach) {
  const sim::SimBackend backend;
  BackendRunOptions options;
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  TracePrinter trace(out);
  options.observers.push_back(&trace);
  backend.run(test::seed_udp_line(1, 1'000'000), options);
  std::rewind(out);
  std::vector<std::string> lines;
  std::array<char, 512> line{};
  while (std::fgets(line.data(), static_cast<int>(line.size()), out) != nullptr) {
    lines.emplace_back(line.data());
  }
  std::fclose(out);
  // app A -> left-tun0 -> left-eth0 -> wan -> right-eth0 -> right-tun0 -> app C: six hops.
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[0], ::testing::HasSubstr("#1    left-tun0   out UDP 10.0.0.12 > 10.0.0.22"));
  EXPECT_THAT(lines[1], ::testing::HasSubstr("#1    left-eth0   out IPIP 18.12.0.92 > 18.13.0.91 ttl 64"));
  EXPECT_THAT(lines[5], ::testing::HasSubstr("#1    right-tun0  in  UDP 10.0.0.12 > 10.0.0.22"));
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

TEST(SimBackend, RefusesTheKernelsIpipDeviceRatherThanRunTunlabsEngineInItsPlace) {
  const sim::SimBackend backend;
  scenario::Scenario s = test::seed_udp_line(1, 1'000'000);
  s.tunnels.back().kernel_ipip = true;
  s.tunnels.back().app = "kernel-ipip";
  try {
    backend.run(s, {});
    FAIL() << "the simulator ran a kernel-ipip tunnel";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("kernel-ipip is the kernel's own ipip device"));
  }
}

TEST(SimBackend, AWatchOnAnInterfaceTheScenarioLacksIsRefused) {
  const sim::SimBackend backend;
  BackendRunOptions options;
  HopWatch nowhere("nowhere-tun9", [](bool, std::uint32_t, ByteView) {});
  options.observers.push_back(&nowhere);
  EXPECT_THROW(backend.run(test::seed_udp_line(1, 1'000'000), options), InputError);
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

TEST_F(ReplayCheckTest, AsAnObserverItTakesOnlyWhatRightTun0HandsTheStackAndJoinsTheSummary) {
  ReplayCheck check(pcap_, 4);
  EXPECT_EQ(check.only_interface(), "right-tun0");
  for (std::uint32_t i = 0; i < 4; ++i) {
    check.hop(0, "right-tun0", true, i + 1, packets_[i]);  // outgoing: not what the replay delivered
  }
  EXPECT_EQ(check.result().seen, "0 identical packets");
  for (std::uint32_t i = 0; i < 4; ++i) {
    check.hop(0, "right-tun0", false, i + 1, packets_[i]);
  }
  RunSummary summary;
  check.run_ended(summary);
  ASSERT_EQ(summary.expectations.size(), 1u);
  EXPECT_TRUE(summary.expectations[0].ok);
  EXPECT_EQ(summary.expectations[0].name, "replayed packets byte-identical at right-tun0");
}

}  // namespace
}  // namespace tunlab
