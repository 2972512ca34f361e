// The table of expectation kinds (scenario/include/tunlab/scenario/expect_kind.hpp): every ExpectKind has one complete
// descriptor, a marker selects one kind only, and the schema comment README's schema is made from
// shows exactly each kind's keys.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tunlab/scenario/expect_kind.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/scenario_runner.hpp"

namespace tunlab::scenario::detail {
namespace {

TEST(ExpectKinds, EveryKindHasOneCompleteDescriptor) {
  ASSERT_EQ(expect_kinds().size(), kExpectKindCount);
  std::set<std::string_view> report_names;
  for (std::size_t i = 0; i < kExpectKindCount; ++i) {
    const auto kind = static_cast<ExpectKind>(i);
    const ExpectKindInfo& info = expect_kind(kind);
    EXPECT_EQ(info.kind, kind) << i;
    EXPECT_NE(info.parse, nullptr) << info.report_name;
    EXPECT_NE(info.default_name, nullptr) << info.report_name;
    EXPECT_NE(info.judge, nullptr) << info.report_name;
    EXPECT_TRUE(report_names.insert(info.report_name).second) << info.report_name << " named twice";
  }
}

TEST(ExpectKinds, AMarkerSelectsOneKindAndIsOneOfItsKeys) {
  std::map<std::string_view, std::string_view> owner;
  std::size_t without_marker = 0;
  for (const ExpectKindInfo* info : expect_kinds()) {
    without_marker += info->markers.empty() ? 1 : 0;
    for (const std::string_view marker : info->markers) {
      EXPECT_TRUE(owner.emplace(marker, info->report_name).second)
          << marker << " selects both " << owner[marker] << " and " << info->report_name;
      EXPECT_NE(std::find(info->keys.begin(), info->keys.end(), marker), info->keys.end())
          << marker << " is not a key of " << info->report_name;
    }
  }
  // The entry with `at` and no marker must mean one thing.
  EXPECT_EQ(without_marker, 1u);
}

TEST(ExpectKinds, AnUnknownKeyIsAnsweredWithTheKindsKeys) {
  try {
    load_scenario_text("name: x\nexpect:\n  - {hop: left-eth0, port: 9000}\n", "x.yaml");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    const std::string want = fmt::format("allowed: name, {}", fmt::join(expect_kind(ExpectKind::hop).keys, ", "));
    EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
  }
}

// The top-level keys of a flow mapping "{a: 1, b: {c: 2}}" (a, b), and the `key:` words in the
// comment after it.
std::set<std::string> keys_shown(const std::string& line) {
  std::set<std::string> keys;
  const std::size_t open = line.find('{');
  int depth = 0;
  std::size_t close = line.size();
  std::string word;
  for (std::size_t i = open; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      close = i;
      break;
    }
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      word += c;
      continue;
    }
    if (c == ':' && depth == 1 && !word.empty()) {
      keys.insert(word);
    }
    word.clear();
  }
  const std::size_t comment = line.find('#', close);
  if (comment != std::string::npos) {
    const std::string notes = line.substr(comment);
    const std::regex key(R"(([a-z_]+):)");
    for (auto it = std::sregex_iterator(notes.begin(), notes.end(), key); it != std::sregex_iterator(); ++it) {
      keys.insert((*it)[1]);
    }
  }
  return keys;
}

// The `expect:` part of the schema comment at the top of scenario_loader.cpp: one example line per
// kind. Its notes say that every entry may have `name` and that `count` goes with `at_least`.
TEST(ExpectKinds, TheSchemaCommentShowsExactlyEachKindsKeys) {
  std::ifstream in(TUNLAB_SOURCE_DIR "/scenario/src/scenario_loader.cpp");
  ASSERT_TRUE(in) << "cannot read scenario_loader.cpp";
  std::string line;
  bool in_expect = false;
  std::set<ExpectKind> seen;
  while (std::getline(in, line)) {
    if (line.starts_with("//   expect:")) {
      in_expect = true;
      continue;
    }
    if (!in_expect) {
      continue;
    }
    if (!line.starts_with("//    ")) {
      break;  // the section ends where the indentation does
    }
    if (!line.starts_with("//     - {")) {
      continue;
    }
    std::set<std::string> shown = keys_shown(line);
    const ExpectKindInfo* kind = nullptr;
    for (const ExpectKindInfo* k : expect_kinds()) {
      for (const std::string_view marker : k->markers) {
        if (shown.count(std::string(marker)) != 0) {
          kind = k;
        }
      }
    }
    if (kind == nullptr) {
      ASSERT_EQ(shown.count("at"), 1u) << "an example that selects no kind: " << line;
      kind = &expect_kind(ExpectKind::app_received);
    }
    shown.insert("name");
    if (shown.count("count") != 0) {
      shown.insert("at_least");
    }
    std::set<std::string> wanted = {"name"};
    wanted.insert(kind->keys.begin(), kind->keys.end());
    EXPECT_EQ(shown, wanted) << line;
    seen.insert(kind->kind);
  }
  EXPECT_EQ(seen.size(), kExpectKindCount) << "a kind without an example in the schema comment";
}

}  // namespace
}  // namespace tunlab::scenario::detail

namespace tunlab {
namespace {

// The smallest kind added through the table: a loss budget over every drop reason.
TEST(DroppedAtMost, PassesWithinTheBudgetAndFailsBeyondItNamingTheDrops) {
  const scenario::Scenario s = scenario::load_scenario_text(R"(
name: loss-budget
topology: seed
faults:
  - {link: wan.right, drop_nth: [2, 4]}
traffic:
  - {from: left, count: 5, interval: 1ms, udp: {dst: "10.0.0.22:9000", size: 64}}
expect:
  - {dropped_at_most: 2}
  - {name: one drop at most, dropped_at_most: 1}
)",
                                                            "loss-budget.yaml");
  const RunSummary summary = sim::run_scenario(s, {});
  ASSERT_EQ(summary.expectations.size(), 2u);
  EXPECT_TRUE(summary.expectations[0].ok) << summary.expectations[0].seen;
  EXPECT_EQ(summary.expectations[0].name, "at most 2 dropped");
  EXPECT_FALSE(summary.expectations[1].ok);
  EXPECT_EQ(summary.expectations[1].expected, "at most 1 dropped");
  EXPECT_THAT(summary.expectations[1].seen, ::testing::StartsWith("2 dropped ["));
}

TEST(DroppedAtMost, TakesACountAndNothingElse) {
  EXPECT_THROW(scenario::load_scenario_text("name: x\ntopology: seed\nexpect:\n  - {dropped_at_most: -1}\n", "x.yaml"),
               InputError);
  EXPECT_THROW(
      scenario::load_scenario_text("name: x\ntopology: seed\nexpect:\n  - {dropped_at_most: 1, port: 9}\n", "x.yaml"),
      InputError);
}

}  // namespace
}  // namespace tunlab
