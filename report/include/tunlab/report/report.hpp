// The visual report: one self-contained HTML file (no network, no external script or font) that
// draws a run's topology, a sequence diagram of every hop, the expectations with the hops they
// matched, and the accounting; for a sweep the failing seeds, for a diff sim and real side by side.
//
// The page embeds its data as one JSON block, <script type="application/json" id="tunlab-data">,
// whose "summary" member is the command's JSON summary (what --json prints) verbatim. The same
// run gives a byte-identical report in the simulator.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tunlab/capture/capture_diff.hpp"
#include "tunlab/harness/run_observer.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"

namespace tunlab::report {

// How much a recorder keeps in detail; everything else only feeds histograms.
struct RecorderLimits {
  std::size_t first_packets = 200;    // the first N packets (by first appearance), every hop
  std::size_t failed_packets = 1000;  // then every dropped packet and every ICMP error, up to this many
  std::size_t recent_packets = 4096;  // packets still followed (hops kept) in case they are dropped
  // A packet is everything one injected packet became (fragments, encapsulations): per packet and
  // in all, hops and drops kept in detail are bounded too, so memory does not follow the number of
  // fragments (a 65,000-byte datagram over an MTU of 68 is thousands of hops).
  std::uint32_t hops_per_packet = 32;
  std::uint32_t drops_per_packet = 32;
  std::size_t detailed_hops = 100'000;
  std::size_t detailed_drops = 50'000;
};

// A RunObserver that keeps what the report draws, fed as packets pass: the first packets and
// every dropped one in detail, per-interface, per-reason and size histograms for all. Memory is
// bounded by the limits, not by the run's length nor by the hops of one packet.
class RunRecorder final : public RunObserver {
public:
  explicit RunRecorder(const scenario::Scenario& scenario, RecorderLimits limits = {});
  ~RunRecorder() override;
  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  void hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView ip) override;
  void drop(std::int64_t at_ns, const DropPlace& place, std::uint32_t origin, std::string_view reason,
            ByteView ip) override;
  void packet_dropped(std::uint32_t origin, std::string_view reason) override;
  void icmp_decision(std::int64_t at_ns, const std::string& host, ByteView quoted, std::string_view decision) override;

  std::size_t packets_seen() const;      // distinct packets (injected ones and the network's own)
  std::size_t packets_detailed() const;  // of those, drawn hop by hop
  // The recorder's part of the embedded data (topology, lanes, packets, hops, drops, histograms),
  // as one JSON object.
  std::string to_json() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `summary_json` is exactly what --json prints for this run.
std::string render_run_report(const RunSummary& summary, const std::string& summary_json, const RunRecorder& recorder);

// A sweep: `summary_json` is what `sweep --json` prints. `first_failure` (optional) is the first
// failing seed run again with a recorder, drawn in full below the sweep's overview.
struct SweepFailureRun {
  const RunSummary* summary = nullptr;
  const RunRecorder* recorder = nullptr;
};
std::string render_sweep_report(const std::string& summary_json, const SweepFailureRun& first_failure = {});

// Two capture folders side by side, per interface and per flow, differences marked.
std::string render_diff_report(const std::filesystem::path& a, const std::filesystem::path& b,
                               const std::vector<CaptureDifference>& differences);

// Writes `html` to `path`; throws InputError naming the path when it cannot.
void write_report(const std::filesystem::path& path, const std::string& html);

}  // namespace tunlab::report
