// `tunlab conform`: a library of RFC conformance cases run against one tunnel, whatever implements
// it (a registered app B, a program, the kernel's ipip device), on either backend.
//
// A case is a scenario file shipped with the package (conformance/ in the source tree,
// share/tunlab/conformance/ installed) whose first YAML document is the case's metadata:
//
//   conform:
//     rfc: RFC 2003
//     section: "3.1"
//     level: MUST                 # MUST | SHOULD | MAY
//     requirement: the outer TTL is the tunnel's TTL, whatever the inner TTL
//     when: {ttl: inherit}        # optional: the case applies only to this policy
//   ---
//   name: ...                     # the scenario (scenario_loader.cpp's schema)
//
// Values that depend on the tunnel's policy are never written in a case: a case writes
// `{{outer_ttl 5}}` (the outer TTL for an inner TTL of 5), `{{outer_dscp 46}}`, `{{outer_ecn 3}}`,
// `{{outer_df false}}`, and the declared Policy fills them in before the scenario is read. Drops are
// checked as outcomes (nothing left right's tun0, app A heard 3/4), never by a tunnel's reason
// names, so a case judges any implementation.
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tunlab/harness/backend.hpp"
#include "tunlab/scenario/run_result.hpp"
#include "tunlab/scenario/scenario.hpp"
#include "tunlab/tunnel/tunnel_config.hpp"

namespace tunlab::conform {

// What the tunnel under test declares about its outer header (`--policy ttl=32,dscp=copy,...`).
struct Policy {
  TtlMode ttl_mode = TtlMode::fixed;
  std::uint8_t ttl = 64;  // ttl=N (1..255) or ttl=inherit
  bool dscp_copy = true;  // dscp=copy, or dscp=N (0..63): the outer DSCP is always N
  std::uint8_t dscp = 0;
  EcnMode ecn = EcnMode::normal;  // ecn=normal | compat (RFC 6040 §4.1)
  bool df_set = false;            // df=copy (outer DF = inner DF) | df=set (always DF)

  // The outer header's field for an inner packet with this field.
  std::uint8_t outer_ttl(std::uint8_t inner_ttl) const { return ttl_mode == TtlMode::inherit ? inner_ttl : ttl; }
  std::uint8_t outer_dscp(std::uint8_t inner_dscp) const { return dscp_copy ? inner_dscp : dscp; }
  std::uint8_t outer_ecn(std::uint8_t inner_ecn) const { return ecn == EcnMode::normal ? inner_ecn : 0; }
  bool outer_df(bool inner_df) const { return inner_df || df_set; }

  // "ttl=64,dscp=copy,ecn=normal,df=copy": the form parse_policy reads.
  std::string text() const;
  // The value of one key as text ("inherit", "32", "copy", "normal"), for `when:`.
  std::string value(std::string_view key) const;
  // The tunnel settings a configurable app B (tunlab's engine) reads to follow this policy.
  void configure(TunnelConfig& config) const;
};

// `text` is "key=value,..." with keys ttl, dscp, ecn, df (each at most once; the rest default).
// Throws InputError naming `--policy` and the bad part.
Policy parse_policy(std::string_view text);

enum class Level { must, should, may };
std::string_view to_string(Level level);

struct CaseInfo {
  std::string id;  // the file's stem: rfc2003-3.1-outer-ttl
  std::filesystem::path file;
  std::string rfc;      // "RFC 2003"
  std::string section;  // "3.1"
  Level level = Level::must;
  std::string requirement;
  std::map<std::string, std::string> when;  // policy key -> value the case needs
};

// One case file read and filled in for `policy`: its metadata and the scenario text, with the
// metadata lines blanked so that every error still names the file's own line.
struct CaseText {
  CaseInfo info;
  std::string scenario_text;
};
CaseText read_case(const std::filesystem::path& file, const Policy& policy);

// Every *.yaml in `dir`, in name order. Throws InputError when `dir` holds none.
std::vector<std::filesystem::path> case_files(const std::filesystem::path& dir);

// The tunnel a run puts on every tunnel of a scenario.
struct TunnelUnderTest {
  std::string app;      // a registered app B (`--app NAME`)
  std::string command;  // or a program (`--command "..."`, placeholders as a scenario's command:)
  bool kernel = false;  // or the kernel's ipip device (`--app kernel-ipip`, real backend only)
  // "app ipip", "command 'python3 ...'", "kernel ipip".
  std::string label() const;
};
// `--app NAME` on any command: kernel-ipip selects the kernel's device, anything else an app.
TunnelUnderTest tunnel_named(const std::string& app);
// Every tunnel of `s` runs `tunnel` (and, given a policy, with that policy's settings).
void put_tunnel(scenario::Scenario& s, const TunnelUnderTest& tunnel, const Policy* policy = nullptr);
// Throws InputError (the app's place, or `--app`, and the known names) when a tunnel of `s` names
// an app `apps` does not have: what `check` says before `run` would.
void check_apps(const scenario::Scenario& s, const AppRegistry& apps);

enum class Outcome { pass, fail, not_applicable };
std::string_view to_string(Outcome outcome);

struct CaseResult {
  CaseInfo info;
  Outcome outcome = Outcome::not_applicable;
  // pass: empty; fail: each failed expectation, "NAME: expected ...; seen ..." (the hop kinds'
  // "seen" names the closest packet and what differs); not applicable: why.
  std::vector<std::string> details;
  std::optional<RunSummary> summary;  // when the case ran
};

struct ConformResult {
  std::string tunnel;  // TunnelUnderTest::label()
  std::string backend;
  Policy policy;
  std::vector<CaseResult> cases;
  // Cases the tunnel is declared not to meet (`--known-failure ID`): shown, never fatal, the way
  // a conformance report lists an implementation's known non-conformance.
  std::vector<std::string> known_failures;

  bool known(const CaseInfo& info) const;
  // Exit 0 when every MUST passes, known failures aside (a failed SHOULD or MAY is shown, not fatal).
  bool musts_pass() const;
  // "every MUST holds", "every MUST holds but 2 known failures", "a MUST failed".
  std::string verdict() const;
  std::size_t count(Outcome outcome) const;
  // {"tunnel", "backend", "policy", "passed", "cases": [{"id", "rfc", "section", "level",
  //  "requirement", "result": "pass|fail|not-applicable", "details": [...]}], "counts": {...}}
  std::string to_json() const;
  // The table: case, RFC and section, level, result, then each failure's details under it.
  std::string table() const;
};

struct ConformOptions {
  const AppRegistry* apps = nullptr;
  // Called before each case runs: lets the caller watch the run (the report's recorder); the
  // observers it returns are added to that run's options. May be empty.
  std::function<std::vector<RunObserver*>(const CaseInfo&, const scenario::Scenario&)> observe;
  // Whether an exception out of a run is the tunnel's own failure (a program that died or hung):
  // the case then fails with its text; any other exception ends the whole run.
  std::function<bool(const std::exception&)> tunnel_failed;
};

// Runs every case of `dir` against `tunnel` with `policy` on `backend`. A case is not applicable
// when its `when:` does not hold for the policy, when the backend cannot run it (a sim-only case on
// real, the kernel's device in the simulator), and says why.
ConformResult run_conformance(const std::vector<std::filesystem::path>& cases, const TunnelUnderTest& tunnel,
                              const Policy& policy, const Backend& backend, const ConformOptions& options = {});

}  // namespace tunlab::conform
