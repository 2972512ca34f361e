#include "tunlab/scenario/scalar_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace tunlab::scenario {

// ---- Scalar parsing (text -> value); std::nullopt = malformed ----------------------------------

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// Parses "D[.F]" as an exact decimal times `scale`, so "1.5" ms is 1'500'000 ns with no floating
// point rounding. Fails on anything else, on a fractional result and on overflow.
std::optional<std::uint64_t> parse_scaled_decimal(std::string_view text, std::uint64_t scale) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && frac.empty())) {
    return std::nullopt;
  }
  const auto is_digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!is_digits(whole) || !is_digits(frac) || frac.size() > 9) {
    return std::nullopt;
  }
  std::uint64_t w = 0;
  if (std::from_chars(whole.data(), whole.data() + whole.size(), w).ec != std::errc()) {
    return std::nullopt;
  }
  if (scale != 0 && w > std::numeric_limits<std::uint64_t>::max() / scale) {
    return std::nullopt;
  }
  std::uint64_t result = w * scale;
  if (!frac.empty()) {
    std::uint64_t f = 0;
    std::from_chars(frac.data(), frac.data() + frac.size(), f);
    std::uint64_t denominator = 1;
    for (std::size_t i = 0; i < frac.size(); ++i) {
      denominator *= 10;
    }
    // f < 1e9 (at most 9 digits) and scale <= 1e9, so the product fits 64 bits.
    const std::uint64_t product = f * scale;
    if (product % denominator != 0) {
      return std::nullopt;
    }
    const auto part = static_cast<std::uint64_t>(product / denominator);
    if (result > std::numeric_limits<std::uint64_t>::max() - part) {
      return std::nullopt;
    }
    result += part;
  }
  return result;
}

std::optional<Nanos> parse_duration(std::string_view text) {
  if (text == "0") {
    return Nanos{0};
  }
  struct Unit {
    std::string_view suffix;
    std::uint64_t ns;
  };
  // "ns" before "s" so that "100ns" is not read as 100n seconds.
  static constexpr Unit kUnits[] = {{"ns", 1}, {"us", 1'000}, {"ms", 1'000'000}, {"s", 1'000'000'000}};
  for (const Unit& unit : kUnits) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      const auto value = parse_scaled_decimal(text.substr(0, text.size() - unit.suffix.size()), unit.ns);
      if (!value || *value > static_cast<std::uint64_t>(std::numeric_limits<Nanos>::max())) {
        return std::nullopt;
      }
      return static_cast<Nanos>(*value);
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    std::uint64_t bps;
  };
  static constexpr Unit kUnits[] = {{"kbit", 1'000}, {"mbit", 1'000'000}, {"gbit", 1'000'000'000}, {"bit", 1}};
  for (const Unit& unit : kUnits) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      return parse_scaled_decimal(text.substr(0, text.size() - unit.suffix.size()), unit.bps);
    }
  }
  return parse_unsigned(text);
}

std::optional<double> parse_probability(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0 || value > 1) {
    return std::nullopt;
  }
  return value;
}

std::string format_duration(Nanos ns) {
  if (ns == 0) {
    return "0";
  }
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::optional<Ipv4Address> parse_address(std::string_view text) {
  std::uint32_t address = 0;
  int octets = 0;
  while (true) {
    const std::size_t dot = text.find('.');
    const std::string_view part = text.substr(0, dot);
    // No leading zeros: "010" means 8 to inet_aton and 10 to a reader.
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) {
      return std::nullopt;
    }
    unsigned octet = 0;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), octet);
    if (error != std::errc() || end != part.data() + part.size() || octet > 255) {
      return std::nullopt;
    }
    address = address << 8 | octet;
    ++octets;
    if (dot == std::string_view::npos) {
      break;
    }
    text.remove_prefix(dot + 1);
  }
  if (octets != 4) {
    return std::nullopt;
  }
  return from_host_order(address);
}

// "24" -> 24; digits only (no hex, no leading zeros), at most 32.
std::optional<std::uint8_t> parse_prefix_length(std::string_view text) {
  if (text.empty() || text.size() > 2 || (text.size() == 2 && text[0] == '0') ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int value = std::stoi(std::string(text));
  if (value > 32) {
    return std::nullopt;
  }
  return static_cast<std::uint8_t>(value);
}

}  // namespace tunlab::scenario
