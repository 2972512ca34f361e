// The simulator and tunnel programs: without a program runner a `command:` tunnel is refused
// (never run with another app in its place); with one, the program itself carries the traffic,
// and two runs give one digest.
#include <gtest/gtest.h>

#include <string>

#include "tunlab/program/program_app.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/scenario_runner.hpp"

namespace tunlab {
namespace {

scenario::Scenario python_seed() {
  return scenario::load_scenario_file(TUNLAB_SOURCE_DIR "/examples/external-ipip/seed-external.yaml");
}

sim::ProgramFactory programs() {
  return [](const sim::ProgramLaunch& launch, const AppEnvironment& environment) {
    program::ProgramSpec spec;
    spec.host = launch.host;
    spec.command_line = launch.command_line;
    spec.seed = launch.seed;
    spec.shim = program::shim_beside(TUNLAB_BINARY_DIR "/tunlab");
    return program::make_program_app(spec, environment);
  };
}

TEST(ProgramApp, ACommandTunnelWithoutAProgramRunnerIsRefused) {
  try {
    sim::run_scenario(python_seed(), sim::RunOptions{});
    FAIL() << "the scenario ran without its program";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("tunnel on left"), std::string::npos) << what;
    EXPECT_NE(what.find("ipip_tunnel.py --dev tun0 --local 18.12.0.92 --remote 18.13.0.91"), std::string::npos) << what;
    EXPECT_NE(what.find("cannot run tunnel programs"), std::string::npos) << what;
  }
}

TEST(ProgramApp, TheProgramCarriesTheTrafficTheSameWayTwice) {
  sim::RunOptions options;
  options.programs = programs();
  const RunSummary first = sim::run_scenario(python_seed(), options);
  const RunSummary second = sim::run_scenario(python_seed(), options);
  EXPECT_TRUE(first.passed()) << first.to_json();
  EXPECT_EQ(first.digest, second.digest);
  // The supervisor's counters, not the engine's: the program read and sent every packet.
  EXPECT_EQ(first.tunnel_counters.at("left").at("device-reads"), 8U);
  EXPECT_EQ(first.tunnel_counters.at("right").at("device-writes"), 8U);
  EXPECT_EQ(first.tunnel_counters.at("left").at("held-packets"), 0U);
}

TEST(ProgramApp, ReadsUntilEagainTakeStagedPacketsInsteadOfTrapping) {
  // c-ipip reads until EAGAIN after every wake-up: trapped, that is four calls a packet per end
  // (wait, read, send, the EAGAIN read); with the reads staged, two (wait, send).
  const std::string c_ipip = TUNLAB_BINARY_DIR "/examples/c-ipip/c-ipip";
  const scenario::Scenario scenario = scenario::load_scenario_text(
      "name: staged-reads\n"
      "topology: seed\n"
      "tunnels:\n"
      "  - {host: left, command: \"" +
          c_ipip +
          " --dev {dev} --local {local} --remote {remote}\"}\n"
          "  - {host: right, command: \"" +
          c_ipip +
          " --dev {dev} --local {local} --remote {remote}\"}\n"
          "traffic:\n"
          "  - {at: 0ms, from: left, count: 200, interval: 1ms, udp: {dst: \"10.0.0.22:9000\", size: 64}}\n"
          "expect:\n"
          "  - {at: right.app, port: 9000, received: 200}\n",
      "staged-reads.yaml");
  sim::RunOptions options;
  options.programs = programs();
  const RunSummary summary = sim::run_scenario(scenario, options);
  ASSERT_TRUE(summary.passed()) << summary.to_json();
  const auto& left = summary.tunnel_counters.at("left");
  const auto& right = summary.tunnel_counters.at("right");
  EXPECT_EQ(left.at("device-reads"), 200U);
  EXPECT_EQ(left.at("staged-reads"), 200U);
  EXPECT_EQ(right.at("staged-reads"), 200U);
  // Start-up (socket, open, ioctls, epoll set-up) costs a few dozen calls at most.
  EXPECT_LE(left.at("trapped-calls"), 2U * 200U + 40U);
  EXPECT_LE(right.at("trapped-calls"), 2U * 200U + 40U);
}

}  // namespace
}  // namespace tunlab
