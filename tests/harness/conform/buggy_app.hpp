// A buggy app B for the conformance suite's own tests: tunlab's engine with three planted RFC
// violations, each of which exactly one conformance case must catch:
//   - an inner datagram without DF larger than the tunnel MTU is dropped, not fragmented
//     (RFC 2003 §3.1);
//   - inner packets from martian or own-address sources are delivered (RFC 6169 §3);
//   - the outer ECN field is always Not-ECT although the tunnel declares normal mode (RFC 6040 §4.1).
#pragma once

#include <memory>
#include <string_view>

#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::conform_test {

inline constexpr std::string_view kBuggyApp = "buggy-ipip";

std::unique_ptr<AppB> make_buggy_app(const AppEnvironment& environment);

}  // namespace tunlab::conform_test
