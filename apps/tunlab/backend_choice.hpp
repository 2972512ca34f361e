// `--backend sim|real` for the commands that run scenarios (run, replay, sweep): which Backend to
// make, with what only that backend has (the real backend's notes and its hold after set-up).
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tunlab/harness/backend.hpp"

namespace tunlab::cli {

struct BackendChoice {
  std::string name = "sim";
  bool hold_after_setup = false;  // real: print "ready", wait for a line on stdin (the kill test)
};

void add_backend_option(CLI::App& command, BackendChoice& choice);

// The chosen backend; throws InputError when it cannot run here (the real one without privileges).
std::unique_ptr<Backend> make_available_backend(const BackendChoice& choice);

}  // namespace tunlab::cli
