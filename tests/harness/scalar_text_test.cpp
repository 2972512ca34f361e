// Scalar text parsers (scalar_text.hpp): what scenario files and the CLI's fault overrides accept,
// exactly: durations and rates are exact decimals, numbers never negative, addresses unambiguous.
#include "tunlab/scenario/scalar_text.hpp"

#include "tunlab/scenario/input_limits.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tunlab::scenario {
namespace {

TEST(ScalarText, DurationsAreExactDecimals) {
  EXPECT_EQ(parse_duration("1.5ms"), Nanos{1'500'000});
  EXPECT_EQ(parse_duration("100ns"), Nanos{100});
  EXPECT_EQ(parse_duration("250us"), Nanos{250'000});
  EXPECT_EQ(parse_duration("2s"), Nanos{2'000'000'000});
  EXPECT_EQ(parse_duration("0"), Nanos{0});
  EXPECT_EQ(parse_duration("0ms"), Nanos{0});
  // A double would round these; the exact decimal does not.
  EXPECT_EQ(parse_duration("1.000000001s"), Nanos{1'000'000'001});
  EXPECT_EQ(parse_duration("0.1s"), Nanos{100'000'000});
  EXPECT_EQ(parse_duration("9223372036.854775807s"), std::numeric_limits<Nanos>::max());
  EXPECT_EQ(parse_duration("9223372036854775807ns"), std::numeric_limits<Nanos>::max());
}

TEST(ScalarText, DurationsAreWrittenInTheLargestExactUnitAndReadBack) {
  EXPECT_EQ(format_duration(0), "0");
  EXPECT_EQ(format_duration(2'000'000), "2ms");
  EXPECT_EQ(format_duration(1'500'000), "1500us");
  EXPECT_EQ(format_duration(3'000'000'000), "3s");
  EXPECT_EQ(format_duration(1'000'000'001), "1000000001ns");
  for (const Nanos ns : {Nanos{0}, Nanos{1}, Nanos{999}, Nanos{1'000}, Nanos{2'500'000'000}, limits::kMaxDurationNs}) {
    EXPECT_EQ(parse_duration(format_duration(ns)), ns) << ns;
  }
}

TEST(ScalarText, DurationsRefuseMalformedText) {
  for (const char* text : {"1.ms", ".5ms", "-1ms", "+1ms", "1e3ms", "1", "ms", "", "1 ms", "1.5", "0x10ms", "1.5ns",
                           "1.0000000001s", "nan", "infs", "1m", "1h"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
}

TEST(ScalarText, DurationsRefuseOverflow) {
  EXPECT_EQ(parse_duration("9223372036854775808ns"), std::nullopt);   // INT64_MAX + 1
  EXPECT_EQ(parse_duration("18446744073709551616ns"), std::nullopt);  // UINT64_MAX + 1
  EXPECT_EQ(parse_duration("18446744073709551615s"), std::nullopt);
  EXPECT_EQ(parse_duration("9300000000s"), std::nullopt);
}

TEST(ScalarText, ScaledDecimal) {
  EXPECT_EQ(parse_scaled_decimal("1.5", 1'000), 1'500u);
  EXPECT_EQ(parse_scaled_decimal("1.0005", 1'000), std::nullopt);  // not a whole number
  EXPECT_EQ(parse_scaled_decimal("1.000", 1'000), 1'000u);
  EXPECT_EQ(parse_scaled_decimal("18446744073709551615", 1), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_scaled_decimal("18446744073709551615.5", 2), std::nullopt);
}

TEST(ScalarText, Rates) {
  EXPECT_EQ(parse_rate("10mbit"), 10'000'000u);
  EXPECT_EQ(parse_rate("1.5kbit"), 1'500u);
  EXPECT_EQ(parse_rate("2gbit"), 2'000'000'000u);
  EXPECT_EQ(parse_rate("64bit"), 64u);
  EXPECT_EQ(parse_rate("1000"), 1'000u);
  EXPECT_EQ(parse_rate("0x10"), 16u);
  EXPECT_EQ(parse_rate("1.5bit"), std::nullopt);
  EXPECT_EQ(parse_rate("mbit"), std::nullopt);
  EXPECT_EQ(parse_rate("-1"), std::nullopt);
}

TEST(ScalarText, Probabilities) {
  EXPECT_EQ(parse_probability("0"), 0.0);
  EXPECT_EQ(parse_probability("1"), 1.0);
  EXPECT_EQ(parse_probability("0.25"), 0.25);
  EXPECT_EQ(parse_probability("1.0"), 1.0);
  for (const char* text : {"1.0000001", "-0.1", "2", "nan", "NaN", "inf", "-inf", "", "0.5 ", " 0.5", "50%", "0x1"}) {
    EXPECT_EQ(parse_probability(text), std::nullopt) << text;
  }
}

TEST(ScalarText, Numbers) {
  EXPECT_EQ(parse_unsigned("0"), 0u);
  EXPECT_EQ(parse_unsigned("42"), 42u);
  EXPECT_EQ(parse_unsigned("0x2a"), 42u);
  EXPECT_EQ(parse_unsigned("0XFF"), 255u);
  EXPECT_EQ(parse_unsigned("0xffffffffffffffff"), std::numeric_limits<std::uint64_t>::max());
  for (const char* text : {"", "0x", "-1", "+1", "1.0", "0x1g", "18446744073709551616", "0x10000000000000000", " 1"}) {
    EXPECT_EQ(parse_unsigned(text), std::nullopt) << text;
  }
}

TEST(ScalarText, Addresses) {
  EXPECT_EQ(parse_address("10.0.0.1"), from_host_order(0x0a000001));
  EXPECT_EQ(parse_address("255.255.255.255"), from_host_order(0xffffffff));
  EXPECT_EQ(parse_address("0.0.0.0"), from_host_order(0));
  for (const char* text : {"010.0.0.1", "10.00.0.1", "10.0.0.01", "256.0.0.1", "10.0.0", "10.0.0.1.2", "10..0.1",
                           "10.0.0.1 ", "a.b.c.d", "0x0a.0.0.1", "1000.0.0.1", ""}) {
    EXPECT_EQ(parse_address(text), std::nullopt) << text;
  }
}

TEST(ScalarText, PrefixLengths) {
  EXPECT_EQ(parse_prefix_length("0"), std::uint8_t{0});
  EXPECT_EQ(parse_prefix_length("24"), std::uint8_t{24});
  EXPECT_EQ(parse_prefix_length("32"), std::uint8_t{32});
  for (const char* text : {"33", "08", "", "-1", "0x8", "100"}) {
    EXPECT_EQ(parse_prefix_length(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace tunlab::scenario
