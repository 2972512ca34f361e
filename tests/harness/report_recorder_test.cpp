// RunRecorder: what a report keeps as packets pass (bounded detail, drops placed where they
// happened, every hop counted) and the page it renders (the summary embedded verbatim).
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tunlab/report/report.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/scenario_runner.hpp"

namespace tunlab {
namespace {

scenario::Scenario lossy_seed(int count, const std::string& drops) {
  return scenario::load_scenario_text(
      "name: recorder\ntopology: seed\n"
      "faults:\n  - {link: wan.right, drop_nth: [" +
          drops +
          "]}\n"
          "traffic:\n  - {from: left, count: " +
          std::to_string(count) + ", interval: 1ms, udp: {dst: \"10.0.0.22:9000\", size: 64}}\n",
      "recorder.yaml");
}

// The seed topology with `rest` (traffic and expectations) after it.
scenario::Scenario seed_with(const std::string& rest) {
  return scenario::load_scenario_text("name: recorder\ntopology: seed\n" + rest, "recorder.yaml");
}

nlohmann::json record(const scenario::Scenario& s, report::RecorderLimits limits, RunSummary* summary = nullptr) {
  report::RunRecorder recorder(s, limits);
  sim::RunOptions options;
  options.observers.push_back(&recorder);
  const RunSummary result = sim::run_scenario(s, options);
  if (summary != nullptr) {
    *summary = result;
  }
  return nlohmann::json::parse(recorder.to_json());
}

TEST(RunRecorder, KeepsTheFirstPacketsAndEveryDroppedOneInDetailAndCountsAllHops) {
  const scenario::Scenario s = lossy_seed(300, "50, 120, 250");
  const nlohmann::json run = record(s, {.first_packets = 10, .failed_packets = 100, .recent_packets = 64});
  EXPECT_EQ(run["counts"]["packets"], 300u);
  EXPECT_EQ(run["counts"]["packets_detailed"], 13u);  // the first ten and the three dropped
  // Six hops per delivered datagram, four before the link that dropped the others.
  EXPECT_EQ(run["counts"]["hops"], 297u * 6 + 3 * 4);
  EXPECT_EQ(run["counts"]["hops_detailed"], 10u * 6 + 3 * 4);
  ASSERT_EQ(run["drops"].size(), 3u);
  std::uint64_t lane_hops = 0;
  for (const auto& lane : run["hist"]["lanes"]) {
    for (const auto& n : lane["time"]) {
      lane_hops += n.get<std::uint64_t>();
    }
  }
  EXPECT_EQ(lane_hops, run["counts"]["hops"].get<std::uint64_t>());
}

TEST(RunRecorder, ListsEveryDroppedPacketTheSummaryCountsPastTheDetailLimit) {
  RunSummary summary;
  // Five drops, two of them past the limit of packets drawn hop by hop.
  const nlohmann::json run = record(lossy_seed(300, "20, 60, 150, 200, 280"),
                                    {.first_packets = 10, .failed_packets = 3, .recent_packets = 64}, &summary);
  EXPECT_EQ(run["drops"].size(), 3u);
  const nlohmann::json& list = run["droplist"];
  EXPECT_TRUE(list["fates"].get<bool>());
  EXPECT_EQ(list["origin"], (std::vector<int>{20, 60, 150, 200, 280}));
  ASSERT_EQ(summary.dropped.at("fault-targeted"), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(list["reasons"][list["reason"][i].get<std::size_t>()], "fault-targeted");
    const auto place = list["places"][list["place"][i].get<std::size_t>()];
    EXPECT_EQ(place[0], "wan");
    EXPECT_EQ(run["topology"]["lanes"][place[1].get<std::size_t>()]["label"], "wan-right");
    // Sent every 1 ms from 0, dropped leaving wan after the 1 ms link from left.
    EXPECT_EQ(list["t"][i], list["origin"][i].get<std::int64_t>() * 1'000'000);
  }
}

TEST(RunRecorder, NumbersHopsSoThatADropFallsBetweenTheHopsItHappenedBetween) {
  // Packets past the first ten are not drawn unless dropped: the drop of #150 must sort after
  // the last hop of #149's era, not after the tenth packet's hops.
  const nlohmann::json run = record(lossy_seed(300, "150"), {.first_packets = 10, .failed_packets = 10});
  ASSERT_EQ(run["drops"].size(), 1u);
  const auto n = run["drops"][0]["n"].get<std::uint64_t>();
  std::uint64_t before = 0;
  std::uint64_t after = 0;
  for (const auto& hop : run["hops"]) {
    (hop["n"].get<std::uint64_t>() <= n ? before : after) += 1;
  }
  EXPECT_EQ(before, 10u * 6 + 4);  // the first ten packets, and #150's four hops up to wan-right
  EXPECT_EQ(after, 0u);
  EXPECT_GE(n, 148u * 6);  // every hop of the run so far, drawn or not
}

TEST(RunRecorder, KeepsThePacketsThatCrossedAWatchedHopInOrder) {
  const nlohmann::json run =
      record(seed_with("traffic:\n  - {from: left, count: 3, interval: 1ms, udp: {dst: \"10.0.0.22:9000\", size: 64}}\n"
                       "expect:\n  - {hop: left-eth0, count: 3, outer: {ttl: 99}}\n"),
             {});
  const nlohmann::json& watch = run["topology"]["expectations"][0]["watch"];
  ASSERT_EQ(watch.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(watch[i][1], i + 1);  // origins #1, #2, #3, in the order they crossed left-eth0
  }
}

TEST(RunRecorder, PlacesALinkDropOnTheLinkLeavingTheInterfaceThatSentIt) {
  const nlohmann::json run = record(lossy_seed(3, "2"), {});
  ASSERT_EQ(run["drops"].size(), 1u);
  const nlohmann::json& drop = run["drops"][0];
  EXPECT_EQ(drop["r"], "fault-targeted");
  EXPECT_EQ(drop["host"], "wan");
  EXPECT_EQ(drop["link"], 1);
  EXPECT_EQ(run["topology"]["lanes"][drop["l"].get<std::size_t>()]["label"], "wan-right");
  // The dropped datagram is the second one the scenario sent.
  for (const auto& p : run["packets"]) {
    if (p["id"] == drop["p"]) {
      EXPECT_EQ(p["origin"], 2);
      EXPECT_EQ(p["dropped"], "fault-targeted");
    }
  }
}

const std::vector<std::string> kSeedPath{"left-tun0", "left-eth0", "wan-left", "wan-right", "right-eth0", "right-tun0"};

std::vector<std::string> lane_labels(const nlohmann::json& run) {
  std::vector<std::string> labels;
  for (const auto& lane : run["topology"]["lanes"]) {
    labels.push_back(lane["label"]);
  }
  return labels;
}

TEST(RunRecorder, OrdersLanesAlongThePathOfTheSeedTopology) {
  const nlohmann::json run = record(lossy_seed(1, ""), {});
  EXPECT_EQ(lane_labels(run), kSeedPath);
}

TEST(RunRecorder, OrdersLanesByTheTopologyEvenWhenTrafficStartsInTheMiddle) {
  const nlohmann::json run = record(seed_with("traffic:\n  - {from: wan, udp: {dst: \"18.13.0.91:9000\", size: 64}}\n"
                                              "  - {from: left, udp: {dst: \"10.0.0.22:9000\", size: 64}}\n"),
                                    {});
  EXPECT_EQ(lane_labels(run), kSeedPath);
}

TEST(RunRecorder, KeepsWhatAppBDidWithEachIcmpErrorAndWhy) {
  // scenarios/icmp-relay-rules.yaml: six errors from wan about left's outer packet.
  const scenario::Scenario s = scenario::load_scenario_file(TUNLAB_SOURCE_DIR "/scenarios/icmp-relay-rules.yaml");
  const nlohmann::json run = record(s, {});
  std::map<int, std::string> decision;
  for (const auto& p : run["packets"]) {
    if (p.contains("origin") && p.contains("relay")) {
      decision[p["origin"].get<int>()] = p["relay"];
    }
  }
  EXPECT_EQ(decision, (std::map<int, std::string>{{1, "relayed"},
                                                  {2, "relayed"},
                                                  {3, "not-relayed"},
                                                  {4, "relayed"},
                                                  {5, "foreign-quote"},
                                                  {6, "not-relayed"}}));
}

TEST(RunRecorder, LinksAnIcmpErrorToThePacketItQuotes) {
  const scenario::Scenario s = scenario::load_scenario_file(TUNLAB_SOURCE_DIR "/scenarios/pmtu-wan-mtu-lowered.yaml");
  const nlohmann::json run = record(s, {});
  std::size_t errors = 0;
  for (const auto& p : run["packets"]) {
    if (p["k"] == "e") {
      ++errors;
      ASSERT_TRUE(p.contains("cause")) << p.dump();
      for (const auto& q : run["packets"]) {
        if (q["id"] == p["cause"]) {
          EXPECT_EQ(q["k"], "d");
        }
      }
    }
  }
  EXPECT_EQ(errors, 3u);  // wan's 3/4, its relay to app A, app B's own 3/4 for the second packet
}

TEST(RunReport, EmbedsTheSummaryVerbatimAndStaysInsideItsScriptElement) {
  scenario::Scenario s = lossy_seed(2, "");
  s.expectations.push_back({});
  s.expectations.back().kind = scenario::ExpectKind::delivered;
  s.expectations.back().name = "a name with </script> in it";
  s.expectations.back().delivered = 2;
  report::RunRecorder recorder(s);
  sim::RunOptions options;
  options.observers.push_back(&recorder);
  const RunSummary summary = sim::run_scenario(s, options);
  const std::string json = summary.to_json();
  const std::string html = report::render_run_report(summary, json, recorder);
  const std::string open = R"(<script type="application/json" id="tunlab-data">)";
  const std::size_t begin = html.find(open);
  ASSERT_NE(begin, std::string::npos);
  const std::size_t end = html.find("</script>", begin);
  const nlohmann::json data = nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
  EXPECT_EQ(data["summary"], nlohmann::json::parse(json));
  EXPECT_EQ(data["summary"]["expectations"][0]["name"], "a name with </script> in it");
  EXPECT_EQ(html.find("http:"), std::string::npos);
  EXPECT_EQ(html.find("https:"), std::string::npos);
}

// The tunnel banner names the app B that ran and what it was seen putting in its outer headers:
// an app that ignores the configured TTL must not be shown with the engine's "outer ttl 64".
TEST(RunRecorder, NamesTheAppOfEachTunnelAndTheOuterTtlItWasSeenSending) {
  const scenario::Scenario s = scenario::load_scenario_text(
      "name: banner\ntopology: seed\ntunnels:\n  - {host: left, ttl: 32}\n"
      "traffic:\n  - {from: left, udp: {dst: \"10.0.0.22:9000\", size: 64}}\n",
      "banner.yaml");
  const nlohmann::json j = record(s, {});
  const nlohmann::json& tunnels = j.at("topology").at("tunnels");
  ASSERT_EQ(tunnels.size(), 2u);
  EXPECT_EQ(tunnels[0].at("host"), "left");
  EXPECT_EQ(tunnels[0].at("app"), "ipip");
  EXPECT_EQ(tunnels[0].at("seen_ttl"), nlohmann::json::array({32}));
  EXPECT_EQ(tunnels[0].at("seen_tos"), nlohmann::json::array({"0x00"}));
  EXPECT_FALSE(tunnels[1].contains("seen_ttl"));  // right sent no IPIP packet
}

}  // namespace
}  // namespace tunlab
