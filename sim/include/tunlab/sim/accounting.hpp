// The fate of every injected packet. Each packet a scenario sends gets an origin tag; whatever
// the network makes of it (fragments, an IPIP encapsulation, copies) carries that tag, and the
// packet ends delivered or dropped with a named reason. Nothing may end unexplained.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tunlab/tunnel/drop_reason.hpp"

namespace tunlab::sim {

class Accounting {
public:
  enum class Fate : std::uint8_t { in_flight, delivered, dropped };

  // Registers a new injected packet; returns its origin tag (never 0).
  std::uint32_t inject();
  // Origin 0 is the network's own traffic (ICMP errors, echo replies, ARP): not accounted.
  void delivered(std::uint32_t origin);
  void dropped(std::uint32_t origin, DropReason reason);
  // A drop an app B reported by name: one of drop_reason.hpp's names counts as that reason, any
  // other name is the app's own and appears in summaries as it is.
  void dropped(std::uint32_t origin, std::string_view reason);
  // Packets injected separately became one (fragments reassembled): `from` now shares `into`'s
  // fate, whatever happens to `into` later.
  void merge(std::uint32_t from, std::uint32_t into);
  // Called at the end of the run for packets still in flight (e.g. waiting for reassembly).
  void settle(std::uint32_t origin, DropReason reason);

  std::uint64_t injected() const { return fates_.size(); }
  std::uint64_t delivered_count() const;
  // Drops of injected packets by reason (a packet delivered once is not also counted dropped).
  std::map<std::string, std::uint64_t> dropped_by_reason() const;
  std::uint64_t dropped_count() const;
  // The first `limit` dropped packets by origin, as "#3 absorbed-by-program": what a failed drop
  // expectation names.
  std::vector<std::string> first_drops(std::size_t limit) const;
  // Calls `each` for every dropped packet, in origin order, with the reason it is counted under.
  void for_each_dropped(const std::function<void(std::uint32_t origin, std::string_view reason)>& each) const;
  // Every drop event, including copies and the network's own packets.
  const DropCounters& drop_events() const { return drop_events_; }
  std::uint64_t duplicate_deliveries() const { return duplicate_deliveries_; }
  Fate fate(std::uint32_t origin) const { return fates_.at(origin - 1).fate; }
  std::vector<std::uint32_t> in_flight() const;

private:
  struct Record {
    Fate fate = Fate::in_flight;
    DropReason reason = DropReason::in_flight_at_end;
    std::uint16_t app_reason = 0;  // 1 + index into app_reasons_, or 0 for `reason` (4 bytes a packet)
  };
  void set_fate(std::uint32_t origin, Fate fate, DropReason reason, std::uint16_t app_reason = 0);

  // A deque, not a vector: growing never copies the records or holds the old and new arrays at
  // once, so 10 M packets cost 40 MB at the peak, not the 64 MB of a doubling vector.
  std::deque<Record> fates_;
  std::map<std::uint32_t, std::vector<std::uint32_t>> merged_into_;  // into -> from...
  DropCounters drop_events_;
  std::vector<std::string> app_reasons_;  // in order of first use, so runs stay deterministic
  std::uint64_t duplicate_deliveries_ = 0;
};

}  // namespace tunlab::sim
