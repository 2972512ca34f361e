// Loads scenario files (YAML, through yaml-cpp) into the scenario model. Every problem is an
// InputError whose message is one line: "FILE:LINE:COL: FIELD: what is wrong".
#pragma once

#include <filesystem>
#include <string>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab::scenario {

// Parses and validates `path`. References (hosts, interfaces, links, fixtures) are resolved and
// checked; relative fixture paths are resolved against the scenario file's folder.
Scenario load_scenario_file(const std::filesystem::path& path);
// The same for text already in memory; `file_name` is used in messages and to resolve paths.
Scenario load_scenario_text(const std::string& text, const std::filesystem::path& file_name);

}  // namespace tunlab::scenario
