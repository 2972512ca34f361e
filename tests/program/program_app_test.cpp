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
    spec.clock_shim = program::clock_shim_beside(TUNLAB_BINARY_DIR "/tunlab");
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

}  // namespace
}  // namespace tunlab
