// GoogleTest printers and assertions that speak packets: a failing EXPECT on a Packet, an
// OuterHeader or an Ipv4View prints the decoded headers (the trace's one line: "IPIP 18.12.0.92 >
// 18.13.0.91 ttl 64 ... [UDP ...]") instead of a byte dump, and a scenario run's summary is
// asserted with only its failing expectations printed:
//
//   EXPECT_TRUE(tunlab::testing::Passed(summary));
//   //  Value of: tunlab::testing::Passed(summary)
//   //  scenario plain-seed failed 1 of 3 expectations:
//   //    hop left-eth0 count 3 (my.yaml:12:5): expected ...; seen ...
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "tunlab/harness/trace_printer.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/tunnel/underlay.hpp"
#include "tunlab/wire/ipv4.hpp"
#include "tunlab/wire/packet.hpp"

namespace tunlab {

// Found by argument-dependent lookup: GoogleTest calls them for values in failure messages.
inline void PrintTo(const Packet& packet, std::ostream* os) {
  *os << "Packet(" << packet.size() << " bytes: " << describe_packet(packet.bytes()) << ")";
}
inline void PrintTo(const Ipv4View& view, std::ostream* os) {
  *os << "Ipv4View(" << describe_packet(view.bytes()) << ")";
}
inline void PrintTo(const OuterHeader& outer, std::ostream* os) {
  *os << "OuterHeader(" << outer.src.to_string() << " > " << outer.dst.to_string() << " ttl " << int{outer.ttl}
      << " tos 0x" << std::hex << int{outer.tos} << std::dec << " id " << outer.id << (outer.df ? " DF" : "") << ")";
}

namespace testing {

// Success when the run passed; otherwise its failing expectations and invariant violations, one
// line each (not the whole JSON summary).
inline ::testing::AssertionResult Passed(const RunSummary& summary) {
  if (summary.passed()) {
    return ::testing::AssertionSuccess();
  }
  std::size_t failed = 0;
  std::string lines;
  for (const ExpectationResult& r : summary.expectations) {
    if (!r.ok) {
      ++failed;
      lines += "\n  " + r.name + (r.place.empty() ? "" : " (" + r.place + ")") + ": expected " + r.expected +
               "; seen " + r.seen;
    }
  }
  for (const std::string& v : summary.invariant_violations) {
    lines += "\n  invariant: " + v;
  }
  return ::testing::AssertionFailure() << "scenario " << summary.scenario << " failed " << failed << " of "
                                       << summary.expectations.size() << " expectations:" << lines;
}

}  // namespace testing
}  // namespace tunlab
