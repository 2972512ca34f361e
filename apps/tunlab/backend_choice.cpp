#include "backend_choice.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>

#include <fmt/format.h>

#include "tunlab/harness/input_error.hpp"
#include "tunlab/program/program_app.hpp"
#include "tunlab/real/real_backend.hpp"
#include "tunlab/sim/scenario_runner.hpp"
#include "tunlab/sim/sim_backend.hpp"

namespace tunlab::cli {

namespace {

sim::Tracer make_tracer(std::FILE* out) {
  return [out](sim::Time at, const std::string& label, sim::Direction direction, std::uint32_t origin, ByteView ip) {
    // "#3" is the third packet the scenario sent; "--" marks the network's own (ICMP errors,
    // echo replies), so one packet can be followed from hop to hop.
    const std::string who = origin == 0 ? std::string("--") : fmt::format("#{}", origin);
    fmt::print(out, "{:>10.6f}  {:<5} {:<11} {:<3} {}\n", static_cast<double>(at) / 1e9, who, label,
               direction == sim::Direction::in ? "in" : "out", sim::describe_packet(ip));
  };
}

// `command:` tunnels in the simulator: the program itself, under the supervisor, with the clock
// shim from beside this binary.
sim::ProgramFactory program_factory() {
  return [](const sim::ProgramLaunch& launch, const AppEnvironment& environment) {
    program::ProgramSpec spec;
    spec.host = launch.host;
    spec.command_line = launch.command_line;
    spec.seed = launch.seed;
    std::error_code error;
    spec.clock_shim = program::clock_shim_beside(std::filesystem::read_symlink("/proc/self/exe", error));
    // The wall-clock bound on a program that never blocks; tests shorten it to see it fire.
    if (const char* watchdog = std::getenv("TUNLAB_PROGRAM_WATCHDOG_MS"); watchdog != nullptr && *watchdog != '\0') {
      spec.watchdog = std::chrono::milliseconds(std::strtoll(watchdog, nullptr, 10));
    }
    return program::make_program_app(spec, environment);
  };
}

std::unique_ptr<Backend> make_backend(const BackendChoice& choice) {
  if (choice.name == "real") {
    std::function<void()> after_setup;
    if (choice.hold_after_setup) {
      after_setup = [] {
        fmt::print("ready\n");
        std::fflush(stdout);
        std::string line;
        std::getline(std::cin, line);
      };
    }
    return std::make_unique<real::RealBackend>([](const std::string& text) { fmt::print(stderr, "note: {}\n", text); },
                                               std::move(after_setup));
  }
  return std::make_unique<sim::SimBackend>(
      choice.trace ? make_tracer(choice.trace_to_stderr ? stderr : stdout) : sim::Tracer{}, program_factory());
}

}  // namespace

void add_backend_option(CLI::App& command, BackendChoice& choice) {
  command.add_option("--backend", choice.name, "sim (default) or real (needs CAP_NET_ADMIN)")
      ->check(CLI::IsMember({"sim", "real"}));
}

std::unique_ptr<Backend> make_available_backend(const BackendChoice& choice) {
  auto backend = make_backend(choice);
  if (const auto reason = backend->unavailable()) {
    throw InputError(
        fmt::format("--backend {}: {} backend unavailable: {}", backend->name(), backend->name(), *reason));
  }
  return backend;
}

}  // namespace tunlab::cli
