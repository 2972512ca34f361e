#include "backend_choice.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "tunlab/harness/conform.hpp"
#include "tunlab/program/program_app.hpp"

#include "tunlab/real/real_backend.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/sim/sim_backend.hpp"

namespace tunlab::cli {

namespace {

// `command:` tunnels in the simulator: the program itself, under the supervisor, with the clock
// shim from beside this binary.
sim::ProgramFactory program_factory() {
  return [](const sim::ProgramLaunch& launch, const AppEnvironment& environment) {
    program::ProgramSpec spec;
    spec.host = launch.host;
    spec.command_line = launch.command_line;
    spec.seed = launch.seed;
    std::error_code error;
    spec.shim = program::shim_beside(std::filesystem::read_symlink("/proc/self/exe", error));
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
    // Each note once: a command that runs many scenarios (conform, sweep) would repeat them.
    auto printed = std::make_shared<std::set<std::string>>();
    return std::make_unique<real::RealBackend>(
        [printed](const std::string& text) {
          if (printed->insert(text).second) {
            fmt::print(stderr, "note: {}\n", text);
          }
        },
        std::move(after_setup));
  }
  return std::make_unique<sim::SimBackend>(program_factory());
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

void add_app_option(CLI::App& command, std::string& app) {
  command.add_option("--app", app,
                     "Run every tunnel of the scenario with this registered app B (kernel-ipip: the kernel's device)");
}

void apply_app_option(scenario::Scenario& s, const std::string& app, const AppRegistry& apps) {
  if (!app.empty()) {
    conform::put_tunnel(s, conform::tunnel_named(app));
  }
  conform::check_apps(s, apps);
}

}  // namespace tunlab::cli
