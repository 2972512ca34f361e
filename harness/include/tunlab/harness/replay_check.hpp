// `tunlab replay`'s own expectation on the seed topology: every packet of the pcap came out of
// right-tun0 towards right's stack, byte for byte and in order. It observes right-tun0, on either
// backend, and reads the pcap a second time alongside the run:
// - with origins (the simulator; replay is the only traffic, so the file's packet N is origin N)
//   each arrival is compared with its own record;
// - without (the real backend reports origin 0) arrivals are matched to the records in order,
//   a record no arrival matched counting as lost.
// Records read ahead of what has arrived wait in memory: only those in flight, or lost.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "tunlab/capture/capture.hpp"
#include "tunlab/harness/backend.hpp"
#include "tunlab/scenario/run_result.hpp"

namespace tunlab {

class ReplayCheck final : public RunObserver {
public:
  // In order, how far past the last matched record an arrival is looked for. It bounds the
  // records held and the work per arrival when a packet the pcap never held arrives (without it
  // one stranger would read the rest of the file into memory and every later arrival would search
  // it). An arrival further ahead is not matched: so many records lost fail the check anyway.
  static constexpr std::size_t kLookAhead = 4096;

  // `count`: how many packets the pcap holds (the caller read it through once already).
  ReplayCheck(const std::filesystem::path& pcap, std::uint64_t count, std::size_t look_ahead = kLookAhead);

  // A packet right-tun0 handed right's stack; `origin` 0 when the backend does not know it.
  void arrived(std::uint32_t origin, ByteView ip);
  ExpectationResult result() const;
  // Records read from the file and not yet matched (in flight, lost, or looked ahead at).
  std::size_t held() const { return pending_.size(); }

  // As an observer: right-tun0's incoming packets arrive; at the end its result joins the
  // summary's expectations.
  std::string_view only_interface() const override { return "right-tun0"; }
  void hop(std::int64_t at_ns, const std::string& label, bool outgoing, std::uint32_t origin, ByteView ip) override;
  void run_ended(RunSummary& summary) override { summary.expectations.push_back(result()); }

private:
  void arrived_with_origin(std::uint32_t origin, ByteView ip);
  void arrived_in_order(ByteView ip);

  PcapReader reader_;
  std::uint64_t count_;
  std::size_t look_ahead_;
  std::uint64_t read_ = 0;     // records read from the file so far
  std::uint64_t matched_ = 0;  // in order: the last record an arrival matched
  std::uint64_t identical_ = 0;
  std::map<std::uint64_t, std::vector<std::uint8_t>> pending_;  // record number -> bytes
};

}  // namespace tunlab
