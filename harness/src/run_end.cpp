#include "tunlab/harness/run_end.hpp"

namespace tunlab {

void finish_run(RunSummary& summary, const BackendRunOptions& options, const std::vector<RunTunnel>& tunnels,
                std::int64_t now_ns, const CaptureSet* captures) {
  for (const RunTunnel& tunnel : tunnels) {
    if (tunnel.app == nullptr) {
      continue;
    }
    auto& counters = summary.tunnel_counters[tunnel.host];
    for (const auto& [name, value] : tunnel.app->counters(now_ns)) {
      counters[name] = value;
    }
  }
  for (RunObserver* observer : options.observers) {
    observer->run_ended(summary);
  }
  if (captures == nullptr) {
    return;
  }
  if (options.digest) {
    summary.digest = captures->digest();
  }
  if (options.capture_dir) {
    for (const auto& [name, path] : captures->write_to(*options.capture_dir)) {
      summary.captures[name] = path.string();
    }
  }
}

}  // namespace tunlab
