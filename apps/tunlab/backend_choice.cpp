#include "backend_choice.hpp"

#include <cstdio>
#include <functional>
#include <iostream>

#include <fmt/format.h>

#include "tunlab/real/real_backend.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/sim/sim_backend.hpp"

namespace tunlab::cli {

namespace {

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
  return std::make_unique<sim::SimBackend>();
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
