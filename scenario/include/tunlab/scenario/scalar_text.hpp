// The scalars of scenario files as text -> value, shared by the YAML loader, the CLI's
// --fault/--device-fault overrides and anything else that reads what a scenario file may say.
// Every parser reads the whole text or fails (std::nullopt): no sign, no spaces, no exponent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tunlab/scenario/scenario.hpp"
#include "tunlab/wire/ipv4.hpp"

namespace tunlab::scenario {

// Decimal or 0x-hex, never negative; fails on overflow.
std::optional<std::uint64_t> parse_unsigned(std::string_view text);

// "D[.F]" as an exact decimal times `scale` (at most 1e9, F at most 9 digits): "1.5" with scale
// 1'000'000 is 1'500'000, with no floating point rounding. Fails on anything else, on a fractional
// result and on overflow.
std::optional<std::uint64_t> parse_scaled_decimal(std::string_view text, std::uint64_t scale);

// "0" or an exact decimal with ns|us|ms|s ("1.5ms", "250us"), in nanoseconds; fails beyond
// INT64_MAX ns. Callers bound it further (limits::kMaxDurationNs).
std::optional<Nanos> parse_duration(std::string_view text);

// A duration as parse_duration reads it back exactly, in the largest unit that keeps it exact
// ("0", "2ms", "1500us", "1000000001ns").
std::string format_duration(Nanos ns);

// Bits/s: an exact decimal with kbit|mbit|gbit|bit, or a plain number (parse_unsigned).
std::optional<std::uint64_t> parse_rate(std::string_view text);

// A finite decimal 0..1 ("nan", "inf" and anything outside are refused).
std::optional<double> parse_probability(std::string_view text);

// Dotted quad A.B.C.D, each 0..255 without leading zeros ("010" means 8 to inet_aton).
std::optional<Ipv4Address> parse_address(std::string_view text);

// "24" -> 24; digits only (no hex, no leading zeros), at most 32.
std::optional<std::uint8_t> parse_prefix_length(std::string_view text);

}  // namespace tunlab::scenario
