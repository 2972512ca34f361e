// Each simulated fault pinned with a fixed seed: what it does to the packets, which drop reason it
// is counted under, and that the tunnel engine survives it. Link faults act on wan.right (the
// direction from wan towards right), device faults on the tun0 devices.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "tunlab/sim/network.hpp"
#include "tunlab/sim/random.hpp"
#include "tunlab/sim/scenario_runner.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr std::uint64_t kSeed = 1;

// What a run showed, beyond its summary.
struct Outcome {
  RunSummary summary;
  std::vector<std::uint32_t> arrival_order;  // origins as app C received them
  std::uint64_t duplicate_deliveries = 0;
  std::vector<std::uint32_t> corrupted;  // origins a fault flipped a bit in
  std::vector<LinkFaults::Event> wan_right_events;
  TunnelCounters left;
  TunnelCounters right;

  std::uint64_t dropped(const std::string& reason) const {
    auto it = summary.dropped.find(reason);
    return it == summary.dropped.end() ? 0 : it->second;
  }
};

// app A sends `count` UDP datagrams of `size` bytes to app C, `interval` apart.
scenario::Scenario udp_scenario(std::uint32_t count, std::size_t size = 64, scenario::Nanos interval = 1'000'000) {
  scenario::Scenario s = scenario::seed_topology();
  s.name = "faults";
  scenario::TrafficSpec t;
  t.kind = scenario::TrafficKind::udp;
  t.from = "left";
  t.dst = Ipv4Address("10.0.0.22");
  t.dst_port = 9000;
  t.size = size;
  t.count = count;
  t.interval_ns = interval;
  s.traffic.push_back(t);
  return s;
}

scenario::LinkFaultSpec& link_fault(scenario::Scenario& s, const std::string& host = "wan",
                                    const std::string& iface = "right") {
  s.link_faults.push_back({});
  s.link_faults.back().from = {host, iface};
  return s.link_faults.back();
}

scenario::DeviceFaultSpec& device_fault(scenario::Scenario& s, const std::string& host) {
  s.device_faults.push_back({});
  s.device_faults.back().host = host;
  s.device_faults.back().device = "tun0";
  return s.device_faults.back();
}

Outcome run(const scenario::Scenario& s, std::uint64_t seed = kSeed) {
  Outcome o;
  RunOptions options;
  options.seed = seed;
  options.pre_run = [](Network& network) { network.host("right").keep_datagrams(true); };
  options.post_run = [&o](Network& network, RunSummary& summary) {
    for (const AppLog::Datagram& d : network.host("right").app_log().datagrams) {
      o.arrival_order.push_back(d.origin);
    }
    o.duplicate_deliveries = network.accounting().duplicate_deliveries();
    for (std::uint32_t origin = 1; origin <= summary.injected; ++origin) {
      if (network.corrupted(origin)) {
        o.corrupted.push_back(origin);
      }
    }
    const scenario::LinkEnd wan_right{"wan", "right"};
    Link* link = network.find_link(wan_right);
    o.wan_right_events = link->fault_events(link->side_of(wan_right));
    o.left = dynamic_cast<TunnelEngine&>(*network.find_tunnel("left")).counters();
    o.right = dynamic_cast<TunnelEngine&>(*network.find_tunnel("right")).counters();
  };
  o.summary = run_scenario(s, options);
  return o;
}

// Every run must keep the accounting invariants, whatever the faults did.
void expect_invariants(const Outcome& o) {
  EXPECT_THAT(o.summary.invariant_violations, ::testing::IsEmpty());
  std::uint64_t dropped = 0;
  for (const auto& [reason, n] : o.summary.dropped) {
    dropped += n;
  }
  EXPECT_EQ(o.summary.injected, o.summary.delivered + dropped);
}

TEST(SimFaults, LinkStreamsAreDerivedFromTheSeedAndTheDirectionName) {
  // The documented derivation: one generator per link direction, named link:HOST.IFACE.
  Random a = Random::derive(kSeed, "link:wan.right");
  Random b = Random::derive(kSeed, "link:wan.right");
  Random other = Random::derive(kSeed, "link:wan.left");
  Random reseeded = Random::derive(kSeed + 1, "link:wan.right");
  const std::uint64_t first = a.next();
  EXPECT_EQ(first, b.next());
  EXPECT_NE(first, other.next());
  EXPECT_NE(first, reseeded.next());
}

TEST(SimFaults, LossDropsWithReasonLinkLossAndIsDeterministic) {
  scenario::Scenario s = udp_scenario(40);
  link_fault(s).loss = 0.25;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_GT(o.dropped("link-loss"), 0u);
  EXPECT_LT(o.dropped("link-loss"), 40u);
  EXPECT_THAT(o.summary.dropped, ElementsAre(Pair("link-loss", o.dropped("link-loss"))));
  EXPECT_EQ(o.summary.delivered, 40 - o.dropped("link-loss"));
  // Same seed, same packets lost; another seed, another pattern.
  const Outcome again = run(s);
  EXPECT_EQ(again.arrival_order, o.arrival_order);
  EXPECT_EQ(again.summary.digest, o.summary.digest);
  EXPECT_NE(run(s, kSeed + 1).arrival_order, o.arrival_order);
}

TEST(SimFaults, AStreamDoesNotDependOnOtherDirectionsHavingFaults) {
  scenario::Scenario s = udp_scenario(40);
  link_fault(s).loss = 0.25;
  scenario::Scenario with_other = s;
  // right.eth0 -> wan carries nothing here, but its fault stream exists and is drawn from first.
  link_fault(with_other, "right", "eth0").loss = 0.5;
  std::swap(with_other.link_faults.front(), with_other.link_faults.back());
  EXPECT_EQ(run(with_other).arrival_order, run(s).arrival_order);
}

TEST(SimFaults, DuplicateDeliversTwiceButCountsOnce) {
  scenario::Scenario s = udp_scenario(5);
  link_fault(s).duplicate = 1.0;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_EQ(o.summary.delivered, 5u);
  EXPECT_EQ(o.arrival_order.size(), 10u);
  EXPECT_EQ(o.duplicate_deliveries, 5u);
  EXPECT_THAT(o.summary.dropped, ::testing::IsEmpty());
}

TEST(SimFaults, TargetedDuplicateCopiesOnlyThatPacket) {
  scenario::Scenario s = udp_scenario(3);
  link_fault(s).duplicate_nth = {2};
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.arrival_order, ElementsAre(1, 2, 2, 3));
  EXPECT_EQ(o.duplicate_deliveries, 1u);
}

TEST(SimFaults, TargetedReorderHoldsThePacketBack) {
  scenario::Scenario s = udp_scenario(3);
  scenario::LinkFaultSpec& f = link_fault(s);
  f.reorder_nth = {1};
  f.reorder_delay_ns = 2'500'000;  // past packet 3, sent 2 ms after packet 1
  scenario::Expectation in_order;
  in_order.kind = scenario::ExpectKind::ordering;
  in_order.name = "in order";
  in_order.host = "right";
  in_order.port = 9000;
  s.expectations.push_back(in_order);
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.arrival_order, ElementsAre(2, 3, 1));
  ASSERT_EQ(o.summary.expectations.size(), 1u);
  EXPECT_FALSE(o.summary.expectations[0].ok);
  ASSERT_EQ(o.wan_right_events.size(), 1u);
  EXPECT_EQ(o.wan_right_events[0].packet, 1u);
  EXPECT_EQ(o.wan_right_events[0].kind, LinkFaults::Kind::reorder);
}

TEST(SimFaults, RandomReorderChangesArrivalOrderButDeliversEverything) {
  scenario::Scenario s = udp_scenario(20);
  link_fault(s).reorder = 0.3;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_EQ(o.summary.delivered, 20u);
  EXPECT_FALSE(std::is_sorted(o.arrival_order.begin(), o.arrival_order.end()));
  std::vector<std::uint32_t> sorted = o.arrival_order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted.front(), 1u);
  EXPECT_EQ(sorted.back(), 20u);
}

TEST(SimFaults, CorruptionNeverCrashesAndEndsInAChecksumDropOrANotedDelivery) {
  const std::set<std::string> checksum_reasons{"bad-ip-header", "bad-transport-checksum", "decap-inner-bad-checksum"};
  // The decapsulator checks the inner version and IHL before the checksum (docs/rfc2003-ipip.md, decapsulation 2).
  std::set<std::string> header_reasons = checksum_reasons;
  header_reasons.insert(
      {"decap-inner-bad-version", "decap-inner-bad-ihl", "decap-inner-too-short", "decap-inner-truncated"});
  std::set<std::string> seen;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    scenario::Scenario s = udp_scenario(4, 200);
    link_fault(s).corrupt = 1.0;
    const Outcome o = run(s, seed);
    expect_invariants(o);
    EXPECT_EQ(o.corrupted.size(), 4u) << "seed " << seed;
    for (const auto& [reason, n] : o.summary.dropped) {
      EXPECT_TRUE(header_reasons.contains(reason)) << "seed " << seed << ": " << reason;
      seen.insert(reason);
    }
    for (const std::uint32_t origin : o.arrival_order) {
      EXPECT_TRUE(std::binary_search(o.corrupted.begin(), o.corrupted.end(), origin));
    }
  }
  // Over 400 single-bit flips, each checksum layer catches some.
  for (const std::string& reason : checksum_reasons) {
    EXPECT_TRUE(seen.contains(reason)) << reason;
  }
}

TEST(SimFaults, TargetedCorruptionIsCaughtByAChecksum) {
  scenario::Scenario s = udp_scenario(3);
  link_fault(s).corrupt_nth = {2};
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.corrupted, ElementsAre(2));
  EXPECT_THAT(o.arrival_order, ElementsAre(1, 3));
}

TEST(SimFaults, DropNthDropsExactlyThatPacket) {
  scenario::Scenario s = udp_scenario(5);
  link_fault(s).drop_nth = {2, 4};
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.arrival_order, ElementsAre(1, 3, 5));
  EXPECT_THAT(o.summary.dropped, ElementsAre(Pair("fault-targeted", 2)));
}

TEST(SimFaults, RateLimitedLinkOverflowsItsQueue) {
  scenario::Scenario s = udp_scenario(10, 1000, 0);  // a burst of 10 at once
  for (scenario::LinkSpec& link : s.links) {
    if (link.a.host == "wan" || link.b.host == "wan") {
      link.rate_bps = 1'000'000;
      link.queue_packets = 3;
      break;  // the left.eth0 <-> wan.left link only
    }
  }
  const Outcome o = run(s);
  expect_invariants(o);
  // The queue of three holds the packet being serialised and two waiting: seven overflow.
  EXPECT_THAT(o.summary.dropped, ElementsAre(Pair("link-queue-overflow", 7)));
  EXPECT_EQ(o.summary.delivered, 3u);
}

TEST(SimFaults, DeviceEagainDelaysReadsButTheEngineDrainsEverything) {
  scenario::Scenario s = udp_scenario(20, 64, 0);
  device_fault(s, "left").eagain = 0.8;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_EQ(o.summary.delivered, 20u);
  EXPECT_GT(o.left.device_eagain, 0u);
  EXPECT_EQ(o.left.device_packets_read, 20u);
}

TEST(SimFaults, ShortReadBufferTruncatesAndDropsAsDeviceReadTruncated) {
  scenario::Scenario s = udp_scenario(2, 200);
  scenario::TrafficSpec small = s.traffic.front();
  small.size = 32;
  small.count = 1;
  small.at_ns = 5'000'000;
  s.traffic.push_back(small);
  device_fault(s, "left").read_buffer = 100;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.summary.dropped, ElementsAre(Pair("device-read-truncated", 2)));
  EXPECT_THAT(o.arrival_order, ElementsAre(3));
}

TEST(SimFaults, FullDeviceQueueDropsAsDeviceQueueFull) {
  scenario::Scenario s = udp_scenario(10, 64, 0);  // all ten reach tun0 before app B reads
  device_fault(s, "left").queue_limit = 4;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.summary.dropped, ElementsAre(Pair("device-queue-full", 6)));
  EXPECT_EQ(o.summary.delivered, 4u);
}

TEST(SimFaults, DeviceDownDropsWritesWithEioAndRecoversWhenUp) {
  scenario::Scenario s = udp_scenario(6);  // at 0..5 ms
  scenario::DeviceFaultSpec& f = device_fault(s, "right");
  // Two 1 ms links away: datagrams 1 and 2 (sent at 0 and 1 ms) reach right.tun0 at 2 and 3 ms,
  // while it is down.
  f.down_at_ns = 1'500'000;
  f.up_at_ns = 3'500'000;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.summary.dropped, ElementsAre(Pair("device-down", 2)));
  EXPECT_THAT(o.arrival_order, ElementsAre(3, 4, 5, 6));
  EXPECT_EQ(o.right.device_write_errors, 2u);
}

TEST(SimFaults, DownSendingDeviceDropsWhatTheStackRoutesToIt) {
  scenario::Scenario s = udp_scenario(3);
  device_fault(s, "left").down_at_ns = 0;
  const Outcome o = run(s);
  expect_invariants(o);
  EXPECT_THAT(o.summary.dropped, ElementsAre(Pair("device-down", 3)));
}

TEST(SimFaults, NonCorruptingFaultsKeepDeliveredBytesEqualToSent) {
  scenario::Scenario s = udp_scenario(30, 300);
  scenario::LinkFaultSpec& f = link_fault(s);
  f.loss = 0.1;
  f.duplicate = 0.2;
  f.reorder = 0.2;
  f.jitter_ns = 700'000;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    expect_invariants(run(s, seed));
  }
}

TEST(SimFaults, CorruptionNoChecksumCatchesIsDeliveredWithTheCorruptionNoted) {
  // UDP checksum 0 means "none" (RFC 768): a flipped payload bit reaches app C. The payload
  // invariant must let it through because the fault was noted, not report a tunnel bug.
  Packet packet = build_udp(
      {.src = Ipv4Address("10.0.0.12"), .dst = Ipv4Address("10.0.0.22"), .dst_port = 9000, .payload_size = 400});
  packet.mutable_bytes()[26] = packet.mutable_bytes()[27] = 0;
  scenario::Scenario s = scenario::seed_topology();
  scenario::TrafficSpec raw;
  raw.kind = scenario::TrafficKind::raw;
  raw.from = "left";
  raw.raw = packet.to_vector();
  s.traffic.push_back(raw);
  link_fault(s).corrupt_nth = {1};
  int delivered_corrupted = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const Outcome o = run(s, seed);
    expect_invariants(o);
    EXPECT_THAT(o.corrupted, ElementsAre(1));
    delivered_corrupted += o.summary.delivered == 1 ? 1 : 0;
  }
  EXPECT_GT(delivered_corrupted, 0) << "most flips land in the 400-byte payload";
}

}  // namespace
}  // namespace tunlab::sim
