// The end of a run, written once for every backend. Once a backend has accounted the packets and
// judged the scenario's expectations, the rest is the same everywhere: the tunnels' counters, the
// observers' own results (replay's check), the captures' digest and the capture files.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tunlab/capture/capture.hpp"
#include "tunlab/harness/backend.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/tunnel/app_b.hpp"

namespace tunlab {

// One tunnel end as the backend ran it: its host, and its app B when tunlab built one (nullptr for
// a program or the kernel's ipip, whose counters are their own).
struct RunTunnel {
  std::string host;
  const AppB* app = nullptr;
};

// Fills summary.tunnel_counters at `now_ns`, lets every observer add its results, and, with
// `captures` (nullptr when the run recorded none), the digest (options.digest) and the files
// (options.capture_dir).
void finish_run(RunSummary& summary, const BackendRunOptions& options, const std::vector<RunTunnel>& tunnels,
                std::int64_t now_ns, const CaptureSet* captures);

}  // namespace tunlab
