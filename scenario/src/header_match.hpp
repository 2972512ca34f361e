// Header matches (outer: / inner: of hop expectations) in words: for generated names, and for a
// failed hop expectation, the packets that came closest. Matching itself is matches()
// (run_result.hpp). Internal to tunlab_harness.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tunlab/scenario/scenario.hpp"

namespace tunlab::scenario::detail {

// "src 18.12.0.92 proto 4 ttl 64", the fields `m` matches on.
std::string describe_match(const HeaderMatch& m);

// The (at most 3) packets that came closest to `outer` / `inner`, fewest differing fields first
// (ties in capture order), each with its fields and what differs; "" when none differs.
std::string closest_packets(const HeaderMatch& outer, const HeaderMatch& inner,
                            const std::vector<std::vector<std::uint8_t>>& packets);

}  // namespace tunlab::scenario::detail
