// The simulator at scale: traffic expands as the run goes (the event queue holds what is in
// flight, not every future packet), counts up to 10^9 are accepted and bounded by the virtual
// clock, and the digest is the same whether captures stream to a folder or to temporary files.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "seed_model.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/scenario_runner.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::sim {
namespace {

namespace fs = std::filesystem;

// The seed topology with one UDP line from left to app C: `count` datagrams, `interval_ns` apart.
struct Outcome {
  RunSummary summary;
  std::size_t peak_events = 0;
};

Outcome run(const scenario::Scenario& s, const RunOptions& base = {}) {
  Outcome r;
  RunOptions options = base;
  options.post_run = [&r](Network& network, RunSummary&) { r.peak_events = network.events().peak_size(); };
  r.summary = run_scenario(s, options);
  return r;
}

TEST(SimScale, AMillionPacketTrafficLineKeepsOnlyItsNextPacketInTheQueue) {
  // wan has no route to 192.0.2.1: each packet is dropped as soon as it is sent, so nothing is in
  // flight and the queue needs one event (the line's next packet) whatever the count.
  scenario::Scenario s = scenario::seed_topology();
  scenario::TrafficSpec t;
  t.kind = scenario::TrafficKind::raw;
  t.from = "wan";
  t.raw = build_udp({.src = Ipv4Address("18.13.0.1"), .dst = Ipv4Address("192.0.2.1"), .payload_size = 8}).to_vector();
  t.count = 1'000'000;
  t.interval_ns = 1'000;
  s.traffic.push_back(t);
  const Outcome r = run(s);
  EXPECT_EQ(r.summary.injected, 1'000'000u);
  EXPECT_EQ(r.summary.dropped.at("no-route"), 1'000'000u);
  EXPECT_TRUE(r.summary.invariant_violations.empty());
  EXPECT_LE(r.peak_events, 2u);
}

TEST(SimScale, TheQueueHoldsWhatIsInFlightNotWhatIsStillToBeSent) {
  // 10 us apart over links of 1 ms: about 100 packets per link in flight, however long the line.
  const Outcome shorter = run(test::seed_udp_line(2'000, 10'000));
  const Outcome longer = run(test::seed_udp_line(8'000, 10'000));
  EXPECT_EQ(shorter.summary.delivered, 2'000u);
  EXPECT_EQ(longer.summary.delivered, 8'000u);
  EXPECT_LT(longer.peak_events, 1'000u);
  EXPECT_EQ(longer.peak_events, shorter.peak_events);
}

TEST(SimScale, EqualTimeEventsRunInTheOrderTheyWouldHaveUpFront) {
  // Two lines at the same instants: line 0's packet is sent before line 1's every time, as when
  // every packet was scheduled before the run (origins alternate 1, 2, 3 ...).
  scenario::Scenario s = test::seed_udp_line(50, 1'000'000);
  s.traffic.push_back(s.traffic[0]);
  s.traffic[1].dst_port = 9001;
  scenario::Expectation order0;
  order0.kind = scenario::ExpectKind::ordering;
  order0.host = "right";
  order0.port = 9000;
  s.expectations.push_back(order0);
  std::vector<std::uint32_t> origins;
  RunOptions options;
  HopWatch left_tun0("left-tun0", [&origins](bool outgoing, std::uint32_t origin, ByteView) {
    if (outgoing) {
      origins.push_back(origin);
    }
  });
  options.observers.push_back(&left_tun0);
  const Outcome r = run(s, options);
  ASSERT_EQ(origins.size(), 100u);
  for (std::uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(origins[i], i + 1);
  }
  EXPECT_TRUE(r.summary.passed());
}

TEST(SimScale, ACountOfABillionIsAccepted) {
  const scenario::Scenario s = scenario::load_scenario_text(R"(
name: billion
topology: seed
traffic:
  - {from: left, count: 1000000000, interval: 1ns, udp: {dst: "10.0.0.22:9000"}}
)",
                                                            "billion.yaml");
  EXPECT_EQ(s.traffic.at(0).count, 1'000'000'000u);
}

TEST(SimScale, ALineThatWouldOverflowTheVirtualClockIsBadInput) {
  scenario::Scenario s = test::seed_udp_line(1'000'000'000, 10'000'000'000'000);  // 10^9 x 10^4 s
  try {
    run(s);
    ADD_FAILURE() << "accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("does not fit the virtual clock"), std::string::npos) << error.what();
  }
}

TEST(SimScale, CapturesStreamedToAFolderGiveTheDigestOfARunWithoutThem) {
  const fs::path dir = fs::temp_directory_path() / ("tunlab-sim_scale_test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const scenario::Scenario s = test::seed_udp_line(3'000, 1'000);
  const Outcome plain = run(s);
  RunOptions options;
  options.capture_dir = dir;
  const Outcome captured = run(s, options);
  EXPECT_EQ(captured.summary.digest, plain.summary.digest);
  ASSERT_EQ(captured.summary.captures.size(), 6u);
  for (const auto& [name, path] : captured.summary.captures) {
    EXPECT_GT(fs::file_size(path), 3'000u * 16) << name;
  }
  fs::remove_all(dir);
}

// Runs this long fill the capture writer's chunks many times over, so the bytes go through its
// background thread and are read back through ReadAhead: the digest must still be SHA-256 over
// the capture files as written, concatenated in name order.
TEST(SimScale, TheDigestIsTheSha256OfTheCaptureFilesInNameOrder) {
  const fs::path dir = fs::temp_directory_path() / ("tunlab-sim_scale_test-sha-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  RunOptions options;
  options.capture_dir = dir;
  const Outcome r = run(test::seed_udp_line(20'000, 1'000), options);
  ASSERT_EQ(r.summary.captures.size(), 6u);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  ASSERT_EQ(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr), 1);
  for (const auto& [name, path] : r.summary.captures) {  // a std::map: name order
    ASSERT_GT(fs::file_size(path), 2u << 20) << name << " is too small to leave the first chunk";
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()), 1);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  ASSERT_EQ(EVP_DigestFinal_ex(ctx.get(), md, &md_len), 1);
  std::string hex;
  for (unsigned int i = 0; i < md_len; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0x0f];
  }
  EXPECT_EQ(r.summary.digest, hex);
  EXPECT_EQ(run(test::seed_udp_line(20'000, 1'000)).summary.digest, hex) << "without a capture folder";
  fs::remove_all(dir);
}

std::size_t threads_of_this_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& task : fs::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

// A sweep's seeds and shrinking only ask whether a run passed. Without the digest and without a
// capture folder nothing is recorded: no capture writer thread starts (a run this long fills its
// chunks many times over), and the summary is the same but for the empty digest.
TEST(SimScale, ARunThatNeedsNoDigestRecordsNoCapture) {
  const scenario::Scenario s = test::seed_udp_line(20'000, 1'000);
  const std::size_t before = threads_of_this_process();
  std::size_t during_with = 0;
  std::size_t during_without = 0;
  RunOptions with;
  with.post_run = [&](Network&, RunSummary&) { during_with = threads_of_this_process(); };
  RunSummary digested = run_scenario(s, with);
  RunOptions without = with;
  without.digest = false;
  without.post_run = [&](Network&, RunSummary&) { during_without = threads_of_this_process(); };
  const RunSummary undigested = run_scenario(s, without);

  EXPECT_EQ(during_with, before + 1) << "the capture writer";
  EXPECT_EQ(during_without, before);
  EXPECT_EQ(digested.digest.size(), 64u);
  EXPECT_EQ(undigested.digest, "");
  EXPECT_TRUE(undigested.passed());
  EXPECT_EQ(undigested.delivered, 20'000u);
  digested.digest.clear();
  EXPECT_EQ(undigested.to_json(), digested.to_json());
}

// Files asked for are written whether or not the digest is wanted.
TEST(SimScale, ACaptureFolderIsWrittenWithoutTheDigest) {
  const fs::path dir = fs::temp_directory_path() / ("tunlab-sim_scale_test-nodigest-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const scenario::Scenario s = test::seed_udp_line(3'000, 1'000);
  RunOptions options;
  options.capture_dir = dir;
  options.digest = false;
  const Outcome r = run(s, options);
  EXPECT_EQ(r.summary.digest, "");
  ASSERT_EQ(r.summary.captures.size(), 6u);
  for (const auto& [name, path] : r.summary.captures) {
    EXPECT_GT(fs::file_size(path), 3'000u * 16) << name;
  }
  fs::remove_all(dir);
}

// `tunlab replay` reads the pcap through before the run to check it; the runner takes its count
// instead of reading a million records once more.
TEST(SimScale, AReplayCountedByItsBuilderIsNotCountedAgain) {
  const fs::path pcap = fs::path(TUNLAB_SOURCE_DIR) / "fixtures" / "mixed-100.pcap";
  scenario::Scenario s = scenario::seed_topology();
  scenario::TrafficSpec t;
  t.kind = scenario::TrafficKind::replay;
  t.from = "left";
  t.replay = pcap;
  s.traffic.push_back(t);
  EXPECT_EQ(run(s).summary.injected, 100u);  // counted by the runner
  s.traffic.back().replay_records = 40;
  EXPECT_EQ(run(s).summary.injected, 40u);  // the builder's count stands
}

}  // namespace
}  // namespace tunlab::sim
