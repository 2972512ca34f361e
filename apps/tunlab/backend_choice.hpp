// `--backend sim|real` for the commands that run scenarios (run, replay, sweep): which Backend to
// make, with what only that backend has (the real backend's notes and its hold after set-up).
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tunlab/harness/backend.hpp"
#include "tunlab/scenario/scenario.hpp"

namespace tunlab::cli {

struct BackendChoice {
  std::string name = "sim";
  bool hold_after_setup = false;  // real: print "ready", wait for a line on stdin (the kill test)
};

void add_backend_option(CLI::App& command, BackendChoice& choice);

// The chosen backend; throws InputError when it cannot run here (the real one without privileges).
std::unique_ptr<Backend> make_available_backend(const BackendChoice& choice);

// `--app NAME` (run, replay, sweep): every tunnel of the scenario runs this app B instead of the
// one its file names (kernel-ipip: the kernel's ipip device, real backend only).
void add_app_option(CLI::App& command, std::string& app);
// Puts `app` (when not empty) on every tunnel of `s`, then checks every tunnel's app against
// `apps`: an unknown name is bad input here, before anything runs.
void apply_app_option(scenario::Scenario& s, const std::string& app, const AppRegistry& apps);

}  // namespace tunlab::cli
