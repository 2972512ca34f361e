#!/usr/bin/env bash
# What CI systems read from tunlab (label unit), one case per call:
#   junit_run      `run --junit` on a passing and on a failing scenario: valid against
#                  tests/junit/junit.xsd (xmllint), one testcase per expectation (+ invariants),
#                  the failures counted and each with expected/seen in its message
#   junit_replay   `replay --junit`: valid, a testcase per expectation replay adds
#   junit_sweep    `sweep --junit`: valid, one testcase per seed, failing seeds carry the repro line
#   version        `--version` prints "tunlab 0.2.0"-style and exits 0
#   json_error     bad input with --json: exit 2, {"error": ...} on stdout, the one line on stderr
#   closest        a failed hop expectation shows the closest packets with their fields
#
# Usage: ci_output_test.sh TUNLAB SOURCE_DIR WORK_DIR CASE
# shellcheck source=lib/prologue.sh
source "$(dirname "$0")/lib/prologue.sh"
src=$2
work=$3/$4
case=$4
test_label=$case
xsd=$src/tests/junit/junit.xsd
rm -rf "$work" && mkdir -p "$work"

valid() {  # valid FILE: against the schema
  xmllint --noout --schema "$xsd" "$1" 2>"$work/xmllint.err" || fail "$1 is not valid JUnit: $(cat "$work/xmllint.err")"
}

count() {  # count FILE XPATH
  xmllint --xpath "count($2)" "$1"
}

# A copy of seed-vpn whose third expectation is false (TTL 7 instead of 64 at left-eth0).
make_failing() {
  sed 's/outer: {src: 18.12.0.92, dst: 18.13.0.91, proto: ipip, ttl: 64, tos: 0, ecn: 0, df: false, length: 112}/outer: {src: 18.12.0.92, dst: 18.13.0.91, proto: ipip, ttl: 7, tos: 0, ecn: 0, df: false, length: 112}/' \
    "$src/scenarios/seed-vpn.yaml" >"$work/failing.yaml"
  grep -q 'ttl: 7,' "$work/failing.yaml" || fail "could not make the failing scenario"
}

case $case in
  junit_run)
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" --junit "$work/pass.xml" >/dev/null || fail "seed-vpn exited $?"
    valid "$work/pass.xml"
    # The schema is not vacuous: a testcase without its classname is refused.
    sed '0,/ classname="[^"]*"/s///' "$work/pass.xml" >"$work/broken.xml"
    ! xmllint --noout --schema "$xsd" "$work/broken.xml" 2>/dev/null || fail "the schema accepts a testcase without classname"
    expectations=$(awk '/^expect:/ { on = 1; next } /^[a-z]/ { on = 0 } on && /^  - / { n++ } END { print n }' \
      "$src/scenarios/seed-vpn.yaml")
    [[ $(count "$work/pass.xml" //testcase) == $((expectations + 1)) ]] ||
      fail "want $expectations expectations + invariants as testcases, got $(count "$work/pass.xml" //testcase)"
    [[ $(count "$work/pass.xml" //failure) == 0 ]] || fail "a passing run has failures"
    make_failing
    "$tunlab" run "$work/failing.yaml" --junit "$work/fail.xml" >/dev/null
    rc=$?
    [[ $rc == 1 ]] || fail "the failing scenario exited $rc, want 1"
    valid "$work/fail.xml"
    [[ $(xmllint --xpath 'string(//testsuite/@failures)' "$work/fail.xml") == 1 ]] || fail "failures attribute is not 1"
    message=$(xmllint --xpath 'string(//failure/@message)' "$work/fail.xml")
    [[ $message == "expected 1 matching packets at left-eth0; seen 0 matching of 1 packets; closest: "* ]] ||
      fail "failure message: $message"
    [[ $(xmllint --xpath 'string(//testcase[failure]/@name)' "$work/fail.xml") == "IPIP packet leaves left eth0 with TTL 64" ]] ||
      fail "the failing testcase is not the changed expectation"
    ;;
  junit_replay)
    "$tunlab" replay "$src/fixtures/seed-udp-raw.pcap" --junit "$work/replay.xml" >/dev/null || fail "replay exited $?"
    valid "$work/replay.xml"
    [[ $(count "$work/replay.xml" //testcase) == 4 ]] || fail "want 4 testcases, got $(count "$work/replay.xml" //testcase)"
    grep -q 'name="replayed packets byte-identical at right-tun0"' "$work/replay.xml" || fail "no byte-identical case"
    ;;
  junit_sweep)
    make_failing
    "$tunlab" sweep "$src/scenarios/seed-vpn.yaml" --seeds 1..5 --jobs 1 --junit "$work/sweep.xml" >/dev/null 2>&1 ||
      fail "sweep of seed-vpn exited $?"
    valid "$work/sweep.xml"
    [[ $(count "$work/sweep.xml" //testcase) == 5 ]] || fail "want 5 testcases (one per seed)"
    grep -q 'name="seed 3"' "$work/sweep.xml" || fail "no testcase for seed 3"
    "$tunlab" sweep "$work/failing.yaml" --seeds 1..3 --jobs 1 --junit "$work/sweep-fail.xml" >/dev/null 2>&1
    [[ $? == 1 ]] || fail "a failing sweep must exit 1"
    valid "$work/sweep-fail.xml"
    [[ $(count "$work/sweep-fail.xml" //failure) == 3 ]] || fail "want 3 failing seeds"
    grep -q 'run .*failing.yaml --seed 2' "$work/sweep-fail.xml" || fail "no repro line for seed 2"
    ;;
  version)
    out=$("$tunlab" --version) || fail "--version exited $?"
    [[ $out =~ ^tunlab\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed '$out'"
    ;;
  json_error)
    printf 'name: x\ntraffic:\n  - {from: left, ping: {dst: 10.0.0.256}}\n' >"$work/bad.yaml"
    "$tunlab" run "$work/bad.yaml" --json >"$work/out" 2>"$work/err"
    rc=$?
    [[ $rc == 2 ]] || fail "exit $rc, want 2"
    [[ $(wc -l <"$work/err") == 1 ]] || fail "stderr is not one line: $(cat "$work/err")"
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert "bad.yaml:3:" in e and "10.0.0.256" in e, e' \
      "$work/out" || fail "stdout is not {\"error\": ...} naming the place: $(cat "$work/out")"
    "$tunlab" run "$work/bad.yaml" >"$work/out2" 2>/dev/null
    [[ ! -s $work/out2 ]] || fail "without --json, stdout must stay empty"
    ;;
  closest)
    make_failing
    "$tunlab" run "$work/failing.yaml" >"$work/out"
    [[ $? == 1 ]] || fail "want exit 1"
    grep -q 'closest: packet 1: src 18.12.0.92 dst 18.13.0.91 proto 4 ttl 64 .* -- differs: ttl 64 (want 7)' "$work/out" ||
      fail "no closest packet in: $(grep -A2 FAIL "$work/out")"
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "PASS [$case]"
