// The simulator as a Backend: deterministic, no privileges, every hop watched as packets pass.
#pragma once

#include "tunlab/harness/backend.hpp"
#include "tunlab/sim/program_factory.hpp"

namespace tunlab::sim {

class SimBackend final : public Backend {
public:
  // `programs`: what runs `command:` tunnels (empty: they are refused).
  explicit SimBackend(ProgramFactory programs = {}) : programs_(std::move(programs)) {}
  std::string_view name() const override { return "sim"; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  // Every run builds its own Network; the scenario is only read.
  bool concurrent_runs() const override { return true; }
  RunSummary run(const scenario::Scenario& scenario, const BackendRunOptions& options) const override;

private:
  ProgramFactory programs_;
};

}  // namespace tunlab::sim
