// The HTML report of a sweep (tunlab/harness/sweep.hpp): its JSON's overview, and the first
// failing seed (if any) run once more with a recorder.
#pragma once

#include <filesystem>
#include <string>

#include "tunlab/harness/backend.hpp"
#include "tunlab/harness/sweep.hpp"
#include "tunlab/scenario/scenario.hpp"

namespace tunlab {

void write_sweep_report(const Backend& backend, const std::filesystem::path& path, const scenario::Scenario& scenario,
                        const SweepResult& result, const std::string& json, const AppRegistry* apps = nullptr);

}  // namespace tunlab
