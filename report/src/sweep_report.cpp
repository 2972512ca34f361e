#include "tunlab/report/sweep_report.hpp"

#include "tunlab/report/report.hpp"

namespace tunlab {

void write_sweep_report(const Backend& backend, const std::filesystem::path& path, const scenario::Scenario& s,
                        const SweepResult& result, const std::string& json, const AppRegistry* apps) {
  const std::vector<const SeedResult*> failures = result.failures();
  if (failures.empty()) {
    report::write_report(path, report::render_sweep_report(json));
    return;
  }
  report::RunRecorder recorder(s);
  BackendRunOptions options;
  options.seed = failures.front()->seed;
  options.observers.push_back(&recorder);
  options.apps = apps;
  const RunSummary summary = backend.run(s, options);
  report::write_report(path, report::render_sweep_report(json, {&summary, &recorder}));
}

}  // namespace tunlab
