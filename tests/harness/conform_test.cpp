// tunlab conform's library (harness/conform.hpp): the policy, the case files and their
// placeholders, and the whole suite against tunlab's engine in its documented modes and against a
// buggy app B that must fail exactly the cases of its planted bugs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "conform/buggy_app.hpp"
#include "tunlab/harness/conform.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/scenario_loader.hpp"
#include "tunlab/sim/sim_backend.hpp"

namespace tunlab {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kCases = fs::path(TUNLAB_SOURCE_DIR) / "conformance";

std::string input_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path path = fs::path(::testing::TempDir()) / name;
  std::ofstream(path) << text;
  return path;
}

TEST(ConformPolicy, ParsesEveryKeyAndDefaultsTheRest) {
  const conform::Policy p = conform::parse_policy("ttl=32,dscp=copy,ecn=normal,df=copy");
  EXPECT_EQ(p.outer_ttl(5), 32);
  EXPECT_EQ(p.outer_dscp(46), 46);
  EXPECT_EQ(p.outer_ecn(3), 3);
  EXPECT_FALSE(p.outer_df(false));
  EXPECT_EQ(p.text(), "ttl=32,dscp=copy,ecn=normal,df=copy");
  const conform::Policy q = conform::parse_policy("ttl=inherit,dscp=4,ecn=compat,df=set");
  EXPECT_EQ(q.outer_ttl(5), 5);
  EXPECT_EQ(q.outer_dscp(46), 4);
  EXPECT_EQ(q.outer_ecn(3), 0);
  EXPECT_TRUE(q.outer_df(false));
  TunnelConfig config;
  q.configure(config);
  EXPECT_EQ(config.ttl_mode, TtlMode::inherit);
  EXPECT_EQ(config.tos_mode, TosMode::fixed);
  EXPECT_EQ(config.tos, 16);
  EXPECT_EQ(config.ecn_mode, EcnMode::compat);
  EXPECT_TRUE(config.pmtudisc);
}

TEST(ConformPolicy, BadInputNamesThePart) {
  EXPECT_EQ(input_error_of([] { conform::parse_policy("ttl=0"); }), "--policy 'ttl=0': ttl=0: want 1..255 or inherit");
  EXPECT_THAT(input_error_of([] { conform::parse_policy("ttl=32,ttl=33"); }), HasSubstr("ttl=33: given twice"));
  EXPECT_THAT(input_error_of([] { conform::parse_policy("dscp=64"); }), HasSubstr("want copy or a DSCP 0..63"));
  EXPECT_THAT(input_error_of([] { conform::parse_policy("color=red"); }), HasSubstr("unknown key"));
  EXPECT_THAT(input_error_of([] { conform::parse_policy("ttl"); }), HasSubstr("want key=value"));
}

TEST(ConformCase, FillsPlaceholdersFromThePolicyAndKeepsLineNumbers) {
  const fs::path file = write_file("placeholders.yaml", R"(conform:
  rfc: RFC 2003
  section: "3.1"
  level: MUST
  requirement: r
---
name: p
traffic:
  - {from: left, udp: {dst: "10.0.0.22:9000"}}
expect:
  - {hop: left-eth0, outer: {ttl: {{outer_ttl 5}}, dscp: {{outer_dscp 46}}, ecn: {{outer_ecn 2}}, df: {{outer_df false}}}}
)");
  const conform::CaseText text = conform::read_case(file, conform::parse_policy("ttl=32,dscp=3,ecn=compat,df=set"));
  EXPECT_EQ(text.info.rfc, "RFC 2003");
  EXPECT_EQ(text.info.section, "3.1");
  EXPECT_EQ(text.info.level, conform::Level::must);
  EXPECT_THAT(text.scenario_text, HasSubstr("outer: {ttl: 32, dscp: 3, ecn: 0, df: true}"));
  // The scenario's first line is still line 7 of the file.
  EXPECT_EQ(text.scenario_text.substr(0, 6), std::string(6, '\n'));
  const scenario::Scenario s = scenario::load_scenario_text(text.scenario_text, file);
  EXPECT_THAT(s.expectations.at(0).place.describe(), HasSubstr("placeholders.yaml:11:"));
}

TEST(ConformCase, AnUnknownPlaceholderNamesItsLine) {
  const fs::path file = write_file("bad-placeholder.yaml",
                                   "conform: {rfc: RFC 1, section: '1', level: MUST, "
                                   "requirement: r}\n---\nname: p\nexpect:\n  - {hop: a, "
                                   "outer: {ttl: {{outer_ttl 3}}, tos: {{inner_tos 3}}}}\n");
  EXPECT_THAT(input_error_of([&] { conform::read_case(file, {}); }),
              HasSubstr("bad-placeholder.yaml:5:49: {{inner_tos 3}}: unknown placeholder"));
  const fs::path no_meta = write_file("no-meta.yaml", "name: p\n");
  EXPECT_THAT(input_error_of([&] { conform::read_case(no_meta, {}); }), HasSubstr("want a conform: document"));
}

TEST(ConformCheckApps, AnUnknownAppIsBadInputBeforeAnythingRuns) {
  scenario::Scenario s = scenario::load_scenario_text("name: x\ntunnels:\n  - {host: left, app: nope}\n", "x.yaml");
  EXPECT_EQ(input_error_of([&] { conform::check_apps(s, AppRegistry::builtin()); }),
            "x.yaml:3:23: tunnels: unknown app 'nope' (known: ipip, kernel-ipip)");
  conform::put_tunnel(s, conform::tunnel_named("ipip"));
  EXPECT_EQ(input_error_of([&] { conform::check_apps(s, AppRegistry::builtin()); }), "(no error)");
}

std::set<std::string> failed_ids(const conform::ConformResult& r) {
  std::set<std::string> ids;
  for (const conform::CaseResult& c : r.cases) {
    if (c.outcome == conform::Outcome::fail) {
      ids.insert(c.info.id);
    }
  }
  return ids;
}

std::string table_of(const conform::ConformResult& r) {
  return r.table();
}

class ConformEngineModes : public ::testing::TestWithParam<const char*> {};

// tunlab's engine passes every case (MUST and SHOULD) in each of its documented modes.
TEST_P(ConformEngineModes, TunlabsEnginePassesEveryCase) {
  const sim::SimBackend backend;
  const conform::ConformResult r = conform::run_conformance(conform::case_files(kCases), conform::tunnel_named("ipip"),
                                                            conform::parse_policy(GetParam()), backend);
  EXPECT_TRUE(failed_ids(r).empty()) << table_of(r);
  EXPECT_TRUE(r.musts_pass());
  EXPECT_GE(r.count(conform::Outcome::pass), 12u) << table_of(r);
}

INSTANTIATE_TEST_SUITE_P(Modes, ConformEngineModes,
                         ::testing::Values("ttl=64,dscp=copy,ecn=normal,df=copy", "ttl=32,dscp=copy,ecn=normal,df=copy",
                                           "ttl=inherit,dscp=copy,ecn=normal,df=copy",
                                           "ttl=100,dscp=4,ecn=compat,df=set"));

TEST(Conform, ABuggyAppFailsExactlyThePlantedBugsEachWithItsSection) {
  AppRegistry apps = AppRegistry::with_builtin_apps();
  apps.add(std::string(conform_test::kBuggyApp), conform_test::make_buggy_app);
  const sim::SimBackend backend;
  conform::ConformOptions options;
  options.apps = &apps;
  const conform::ConformResult r =
      conform::run_conformance(conform::case_files(kCases), conform::tunnel_named("buggy-ipip"),
                               conform::parse_policy("ttl=64,dscp=copy,ecn=normal,df=copy"), backend, options);
  EXPECT_EQ(failed_ids(r),
            (std::set<std::string>{"rfc2003-3.1-fragment-non-df", "rfc6040-4.1-encap", "rfc6169-inner-source"}))
      << table_of(r);
  EXPECT_FALSE(r.musts_pass());
  const std::string table = table_of(r);
  EXPECT_THAT(table, HasSubstr("RFC 2003 §3.1"));
  EXPECT_THAT(table, HasSubstr("RFC 6040 §4.1"));
  EXPECT_THAT(table, HasSubstr("RFC 6169 §3"));
  // The hop expectation's failure names the closest packet and what differs.
  EXPECT_THAT(table, HasSubstr("differs: ecn 0 (want 1)"));
}

TEST(Conform, DeclaredKnownFailuresAreShownButNotFatal) {
  AppRegistry apps = AppRegistry::with_builtin_apps();
  apps.add(std::string(conform_test::kBuggyApp), conform_test::make_buggy_app);
  const sim::SimBackend backend;
  conform::ConformOptions options;
  options.apps = &apps;
  conform::ConformResult r =
      conform::run_conformance({kCases / "rfc2003-3.1-fragment-non-df.yaml", kCases / "rfc6040-4.1-encap.yaml"},
                               conform::tunnel_named("buggy-ipip"), {}, backend, options);
  EXPECT_FALSE(r.musts_pass());
  r.known_failures = {"rfc2003-3.1-fragment-non-df"};
  EXPECT_FALSE(r.musts_pass());  // the ECN one is still a MUST that fails
  r.known_failures.push_back("rfc6040-4.1-encap");
  EXPECT_TRUE(r.musts_pass());
  EXPECT_THAT(r.table(), HasSubstr("FAIL (known)"));
}

TEST(Conform, ACaseForAnotherPolicyIsNotApplicableAndSaysWhy) {
  const fs::path dir = fs::path(::testing::TempDir()) / "conform-when";
  fs::create_directories(dir);
  std::ofstream(dir / "inherit-only.yaml") << "conform: {rfc: RFC 2003, section: '3.1', level: MUST, requirement: r, "
                                              "when: {ttl: inherit}}\n---\nname: p\n";
  const sim::SimBackend backend;
  const conform::ConformResult r = conform::run_conformance(conform::case_files(dir), conform::tunnel_named("ipip"),
                                                            conform::parse_policy("ttl=32"), backend);
  ASSERT_EQ(r.cases.size(), 1u);
  EXPECT_EQ(r.cases[0].outcome, conform::Outcome::not_applicable);
  EXPECT_THAT(r.cases[0].details.at(0), HasSubstr("applies to ttl=inherit; the policy has ttl=32"));
  EXPECT_TRUE(r.musts_pass());
}

TEST(Conform, TheKernelsDeviceIsNotApplicableInTheSimulator) {
  const sim::SimBackend backend;
  const conform::ConformResult r = conform::run_conformance({kCases / "rfc2003-3.1-outer-ttl.yaml"},
                                                            conform::tunnel_named("kernel-ipip"), {}, backend);
  ASSERT_EQ(r.cases.size(), 1u);
  EXPECT_EQ(r.cases[0].outcome, conform::Outcome::not_applicable);
  EXPECT_THAT(r.cases[0].details.at(0), HasSubstr("real backend only"));
}

}  // namespace
}  // namespace tunlab
