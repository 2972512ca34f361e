// tunlab diff DIR_A DIR_B: are two capture folders the same traffic once normalised?
#include <fmt/format.h>

#include "commands.hpp"
#include "tunlab/harness/capture_diff.hpp"

namespace tunlab::cli {

void add_diff_command(CLI::App& app, int& exit_code) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  CLI::App* diff = app.add_subcommand(
      "diff", "Compare two capture folders (e.g. sim vs real) after normalising IDs, checksums, timestamps");
  diff->add_option("dirs", *dirs, "DIR_A DIR_B")->required()->expected(2);
  diff->callback([&exit_code, dirs] {
    const auto differences = diff_capture_dirs((*dirs)[0], (*dirs)[1]);
    for (const CaptureDifference& d : differences) {
      fmt::print("{}: {}\n", d.capture, d.what);
    }
    if (differences.empty()) {
      fmt::print("no difference after normalisation\n");
    }
    exit_code = differences.empty() ? kExitOk : kExitFailed;
  });
}

}  // namespace tunlab::cli
