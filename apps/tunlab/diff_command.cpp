// tunlab diff DIR_A DIR_B: are two capture folders the same traffic once normalised?
#include <fmt/format.h>

#include "commands.hpp"
#include "tunlab/capture/capture_diff.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/safe_text.hpp"

namespace tunlab::cli {

void add_diff_command(CLI::App& app, int& exit_code) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  CLI::App* diff = app.add_subcommand(
      "diff", "Compare two capture folders (e.g. sim vs real) after normalising IDs, checksums, timestamps");
  diff->add_option("dirs", *dirs, "DIR_A DIR_B")->required()->expected(2);
  auto report_file = std::make_shared<std::string>();
  diff->add_option("--report", *report_file,
                   "Write a self-contained HTML page with both sides per interface and flow, differences marked");
  auto options = std::make_shared<DiffOptions>();
  diff->add_flag("--ignore-order", options->ignore_order,
                 "Compare each flow's packets whatever their order: the same packets lost, duplicated and "
                 "corrupted (link faults with jitter or reordering)");
  diff->callback([&exit_code, dirs, report_file, options] {
    const auto differences = diff_capture_dirs((*dirs)[0], (*dirs)[1], *options);
    if (!report_file->empty()) {
      report::write_report(*report_file, report::render_diff_report((*dirs)[0], (*dirs)[1], differences));
    }
    for (const CaptureDifference& d : differences) {
      fmt::print("{}: {}\n", safe_text::terminal(d.capture), safe_text::terminal(d.what));
    }
    if (differences.empty()) {
      fmt::print("no difference after normalisation\n");
    }
    exit_code = differences.empty() ? kExitOk : kExitFailed;
  });
}

}  // namespace tunlab::cli
