// How a run's result is shown: the JSON summary, or lines for a person.
#pragma once

#include <cstdio>

#include "tunlab/scenario/run_result.hpp"

namespace tunlab::cli {

void print_human(std::FILE* out, const RunSummary& summary);
int exit_code_of(const RunSummary& summary);

}  // namespace tunlab::cli
