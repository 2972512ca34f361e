// Writes a scenario file that differs from an existing one only in its faults and seed: how
// `tunlab sweep --shrink` hands back the minimal failing scenario as a file `tunlab run` accepts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab::scenario {

// Writes `original` (a YAML scenario file) to `out` with `faults:` replaced by the faults of
// `faults_from` and `seed:` set to `seed`; `comment` (lines) goes on top. Relative replay paths
// are rewritten to resolve from `out`'s folder. Throws InputError if `out` cannot be written.
void write_scenario_with_faults(const std::filesystem::path& original, const Scenario& faults_from, std::uint64_t seed,
                                const std::filesystem::path& out, const std::string& comment);

}  // namespace tunlab::scenario
