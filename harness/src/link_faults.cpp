#include "tunlab/harness/link_faults.hpp"

#include <algorithm>

namespace tunlab {

LinkFaults::LinkFaults(const scenario::LinkFaultSpec& spec, Random random)
    : spec_(spec), active_(true), random_(std::move(random)) {}

bool LinkFaults::nth(const std::vector<std::uint64_t>& packets) const {
  return std::find(packets.begin(), packets.end(), packets_) != packets.end();
}

// The draws happen in a fixed order, and each random draw comes before its targeted check, so
// targeting a packet never skips a draw and shifts the stream for the packets after it. Changing
// the order or number of draws changes every digest of a faulty scenario.
LinkFaults::Decision LinkFaults::decide(std::size_t size) {
  ++packets_;
  Decision decision;
  if (!active_) {
    return decision;
  }
  const bool lost = random_.chance(spec_.loss);
  if (nth(spec_.drop_nth)) {
    record(Kind::drop);
    decision.drop = DropReason::fault_targeted;
    return decision;
  }
  if (lost) {
    record(Kind::drop);
    decision.drop = DropReason::link_loss;
    return decision;
  }
  if (random_.chance(spec_.corrupt) || nth(spec_.corrupt_nth)) {
    record(Kind::corrupt);
    if (size > 0) {
      const std::size_t byte = random_.below(size);
      decision.flip = BitFlip{byte, static_cast<std::uint8_t>(1u << random_.below(8))};
    }
  }
  if (spec_.jitter_ns > 0) {
    decision.extra_delay += static_cast<std::int64_t>(random_.below(static_cast<std::uint64_t>(spec_.jitter_ns) + 1));
  }
  if (random_.chance(spec_.reorder) || nth(spec_.reorder_nth)) {
    record(Kind::reorder);
    decision.extra_delay += spec_.reorder_delay_ns;
  }
  decision.duplicate = random_.chance(spec_.duplicate) || nth(spec_.duplicate_nth);
  if (decision.duplicate) {
    record(Kind::duplicate);
  }
  return decision;
}

}  // namespace tunlab
