// The ttl7 app B in tunlab's simulated seed network, through the library: the scenario file of
// this project, and the seed topology built in C++ with tunlab's matchers on one hop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ttl7_tunnel.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/scenario_runner.hpp"
#include "tunlab/testing/packet_matchers.hpp"

namespace {

tunlab::AppRegistry apps_with_ttl7() {
  tunlab::AppRegistry apps = tunlab::AppRegistry::with_builtin_apps();
  apps.add("ttl7", ttl7::make_app);
  return apps;
}

TEST(Ttl7Scenario, TheSeedScenarioPassesAndReportsTheAppsOwnDropReason) {
  const tunlab::AppRegistry apps = apps_with_ttl7();
  tunlab::sim::RunOptions options;
  options.apps = &apps;
  const auto scenario = tunlab::scenario::load_scenario_file(std::string(TTL7_SCENARIOS) + "/seed-ttl7.yaml");
  const tunlab::RunSummary summary = tunlab::sim::run_scenario(scenario, options);
  EXPECT_TRUE(summary.passed()) << summary.to_json();
  EXPECT_EQ(summary.dropped.at("ttl7-too-big"), 1u);
  EXPECT_EQ(summary.tunnel_counters.at("left").at("outer_packets_sent"), 1u);
  EXPECT_EQ(summary.tunnel_counters.at("right").at("outer_packets_received"), 1u);
}

TEST(Ttl7Scenario, EveryPacketOnTheWanCarriesTtl7FromTheLeftApp) {
  const tunlab::AppRegistry apps = apps_with_ttl7();
  tunlab::scenario::Scenario s = tunlab::scenario::seed_topology();
  for (auto& tunnel : s.tunnels) {
    tunnel.app = "ttl7";
  }
  for (std::uint16_t i = 0; i < 5; ++i) {
    tunlab::scenario::TrafficSpec t;
    t.kind = tunlab::scenario::TrafficKind::udp;
    t.at_ns = i * 1'000'000;
    t.from = "left";
    t.dst = tunlab::Ipv4Address("10.0.0.22");
    t.dst_port = 9000;
    t.size = 100;
    s.traffic.push_back(t);
  }
  std::vector<std::vector<std::uint8_t>> wan_left;
  tunlab::sim::RunOptions options;
  options.apps = &apps;
  // Runs stream: a test that wants a hop's packets watches the hop as they pass.
  options.pre_run = [&](tunlab::sim::Network& network) {
    ASSERT_TRUE(
        network.observe_hop("wan-left", [&](tunlab::sim::Time, tunlab::sim::Direction, std::uint32_t,
                                            tunlab::ByteView ip) { wan_left.emplace_back(ip.begin(), ip.end()); }));
  };
  const tunlab::RunSummary summary = tunlab::sim::run_scenario(s, options);
  EXPECT_EQ(summary.delivered, 5u) << summary.to_json();
  ASSERT_EQ(wan_left.size(), 5u);
  EXPECT_THAT(wan_left,
              ::testing::Each(::testing::AllOf(
                  tunlab::testing::IsIpipPacket(tunlab::Ipv4Address("18.12.0.92"), tunlab::Ipv4Address("18.13.0.91")),
                  tunlab::testing::HasTtl(7), tunlab::testing::HasDf(false))));
}

}  // namespace
