// The one text sanitiser (tunlab/scenario/safe_text.hpp): one rule per format, pinned byte by byte.
#include "tunlab/scenario/safe_text.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tunlab/harness/sweep.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/input_limits.hpp"
#include "tunlab/scenario/shell_quote.hpp"

namespace tunlab {
namespace {

TEST(SafeText, TerminalEscapesControlsAndInvalidUtf8) {
  EXPECT_EQ(safe_text::terminal("a\x1b[2J\rPASS\nb"), "a\\x1b[2J\\rPASS\\nb");
  EXPECT_EQ(safe_text::terminal("caf\xe9 \xc3\xa9 \xc2\x9b"), "caf\\xe9 \xc3\xa9 \\xc2\\x9b");
  EXPECT_EQ(safe_text::terminal("\x7f"), "\\x7f");
}

TEST(SafeText, JsonKeepsUtf8AndWritesBadBytesAsText) {
  EXPECT_EQ(safe_text::json("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(safe_text::json("bad \xff name"), "bad \\xff name");
  nlohmann::ordered_json j;
  j["bad \xfe"] = {"x\xff", 1};
  EXPECT_EQ(safe_text::dump_json(j), R"({"bad \\xfe":["x\\xff",1]})");
}

TEST(SafeText, MarkupEscapesAndDropsWhatXmlCannotCarry) {
  EXPECT_EQ(safe_text::markup("<a & \"b\" 'c'>"), "&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;");
  EXPECT_EQ(safe_text::markup("x\x01y\tz"), "x\\x01y\tz");
  EXPECT_EQ(safe_text::markup("a\xef\xbf\xbe b\xef\xbf\xbf c\xef\xbf\xbd"), "a\\uFFFE b\\uFFFF c\xef\xbf\xbd");
  EXPECT_EQ(safe_text::markup("\xff"), "\\xff");
}

TEST(SafeText, ScriptLeavesNoMarkupInJson) {
  const std::string json = nlohmann::json{{"n", "<!--<script></script>&"}}.dump();
  const std::string safe = safe_text::script(json);
  EXPECT_EQ(safe.find('<'), std::string::npos);
  EXPECT_EQ(safe.find('>'), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(safe), nlohmann::json::parse(json));
}

TEST(SafeText, InputErrorIsTheTerminalRule) {
  EXPECT_STREQ(InputError("x\x1b\xff").what(), "x\\x1b\\xff");
}

TEST(ShellQuote, FindsTheQuoteAPlaceholderStandsIn) {
  const std::string command = R"(a "{x}" '{y}' {z} \"{w}\" "\"{v}")";
  EXPECT_EQ(shell_quote_open_at(command, command.find("{x}")), '"');
  EXPECT_EQ(shell_quote_open_at(command, command.find("{y}")), '\'');
  EXPECT_EQ(shell_quote_open_at(command, command.find("{z}")), 0);
  EXPECT_EQ(shell_quote_open_at(command, command.find("{w}")), 0);
  EXPECT_EQ(shell_quote_open_at(command, command.find("{v}")), '"');
}

TEST(SweepSeeds, AreComputedNotListed) {
  const SeedRange all{0, UINT64_MAX};
  EXPECT_EQ(shard_seed_count(all, {}), UINT64_MAX);
  EXPECT_THROW(check_sweep_size(all, {}), InputError);
  EXPECT_EQ(shard_seed_count({5, 14}, {1, 3, true}), 3u);  // 6, 9, 12
  EXPECT_EQ(shard_seed_at({5, 14}, {1, 3, true}, 2), 12u);
  EXPECT_EQ(shard_seed_count({UINT64_MAX - 2, UINT64_MAX}, {}), 3u);
  EXPECT_NO_THROW(check_sweep_size({1, limits::kMaxSweepSeeds}, {}));
  EXPECT_THROW(check_sweep_size({1, limits::kMaxSweepSeeds + 1}, {}), InputError);
}

}  // namespace
}  // namespace tunlab
