// The simulator as a Backend: deterministic, no privileges, every hop watched as packets pass.
#pragma once

#include "tunlab/harness/backend.hpp"

namespace tunlab::sim {

class SimBackend final : public Backend {
public:
  std::string_view name() const override { return "sim"; }
  std::optional<std::string> unavailable() const override { return std::nullopt; }
  // Every run builds its own Network; the scenario is only read.
  bool concurrent_runs() const override { return true; }
  RunSummary run(const scenario::Scenario& scenario, const BackendRunOptions& options) const override;
};

}  // namespace tunlab::sim
