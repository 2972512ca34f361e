#!/usr/bin/env bash
# Seeded link faults on real namespaces against the simulator (root only; exit 77 = skipped, with
# the reason on stdout). A faulted link runs through the real backend's user-space wire
# (real/include/tunlab/real/fault_wire.hpp), which makes the simulator's decision for each IPv4
# packet, so both backends must lose, duplicate and corrupt the same packets:
#
#   lossy              tests/sweep/lossy.yaml (loss, duplication, reordering, jitter and
#                      corruption on wan.right): both pass, the same injected/delivered/dropped
#                      by reason/duplicate deliveries, `tunlab diff --ignore-order` clean (jitter
#                      and reordering leave packets due at nearly the same time, whose order
#                      real timers cannot reproduce)
#   reorder_fragments  tests/sweep/reorder-fragments.yaml: held-back fragments, the same
#   replay_mixed       the 100-packet mixed fixture (UDP, TCP, pings) with --fault
#                      wan.right:loss=0.1,duplicate=0.1,corrupt=0.1: both fail the same
#                      expectations with the same counts, and the captures agree in order
#   sweep              20 seeds of seed-vpn with --fault wan.right:loss=0.05,duplicate=0.02: the
#                      same seeds fail on both backends
#   shrink             tunlab_planted's failing seed 1 of reorder-fragments-planted, swept and
#                      shrunk on real, shrinks to the same minimal fault list as in the simulator
#   plain              a run without faults has no wire (no link_wires in its summary)
#
# Usage: real_link_faults_test.sh TUNLAB SOURCE_DIR CASE [TUNLAB_PLANTED]
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
src=$2
case=$3
planted=${4:-}
test_label=$case

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
require_real_privileges
make_tmp

# both SCENARIO [ARGS...]: runs on both backends with captures; exit codes in $sim_rc/$real_rc.
both() {
  local scenario=$1
  shift
  "$tunlab" run "$scenario" --capture "$tmp/sim" --json "$@" >"$tmp/sim.json" 2>"$tmp/sim.err"
  sim_rc=$?
  "$tunlab" run "$scenario" --backend real --capture "$tmp/real" --json "$@" >"$tmp/real.json" 2>"$tmp/real.err"
  real_rc=$?
  [[ $real_rc == 0 || $real_rc == 1 ]] || fail "real run exited $real_rc: $(cat "$tmp/real.err")"
}

# same_outcome: the same counts, drops by reason, duplicates, failed expectations and invariants.
same_outcome() {
  local sim real
  sim=$(json_field "$tmp/sim.json" '(d["injected"], d["delivered"], d["dropped"], d["duplicate_deliveries"], [e["name"] for e in d["expectations"] if not e["ok"]], d["invariants"]["violations"])')
  real=$(json_field "$tmp/real.json" '(d["injected"], d["delivered"], d["dropped"], d["duplicate_deliveries"], [e["name"] for e in d["expectations"] if not e["ok"]], d["invariants"]["violations"])')
  [[ $sim_rc == "$real_rc" ]] || fail "sim exited $sim_rc, real $real_rc: sim $sim; real $real"
  [[ $sim == "$real" ]] || fail "outcomes differ: sim $sim; real $real"
  echo "both: exit $sim_rc, $sim"
}

wire_did_something() {
  local wires
  wires=$(json_field "$tmp/real.json" 'd.get("link_wires", {})')
  [[ $wires == *'"ip_packets"'* || $wires == *"'ip_packets'"* ]] || fail "the real summary shows no wire: $wires"
  echo "wire: $wires"
}

case $case in
  lossy | reorder_fragments)
    scenario=$src/tests/sweep/lossy.yaml
    [[ $case == reorder_fragments ]] && scenario=$src/tests/sweep/reorder-fragments.yaml
    both "$scenario"
    [[ $sim_rc == 0 ]] || fail "sim run exited $sim_rc: $(cat "$tmp/sim.err")"
    same_outcome
    wire_did_something
    "$tunlab" diff --ignore-order "$tmp/sim" "$tmp/real" >"$tmp/diff" || fail "captures differ: $(cat "$tmp/diff")"
    ;;
  replay_mixed)
    both "$src/scenarios/replay-mixed.yaml" --seed 3 --fault wan.right:loss=0.1,duplicate=0.1,corrupt=0.1
    same_outcome
    wire_did_something
    json_field "$tmp/real.json" 'd["dropped"]' | grep -q link-loss || fail "no packet lost: $(cat "$tmp/real.json")"
    json_field "$tmp/real.json" 'd["dropped"]' | grep -q bad-transport-checksum ||
      fail "no corrupted packet dropped: $(cat "$tmp/real.json")"
    "$tunlab" diff "$tmp/sim" "$tmp/real" >"$tmp/diff" || fail "captures differ: $(cat "$tmp/diff")"
    ;;
  sweep)
    fault=wan.right:loss=0.05,duplicate=0.02
    "$tunlab" sweep "$src/scenarios/seed-vpn.yaml" --seeds 1..20 --fault "$fault" >"$tmp/sim.out" 2>/dev/null
    sim_rc=$?
    "$tunlab" sweep "$src/scenarios/seed-vpn.yaml" --seeds 1..20 --backend real --jobs 1 --fault "$fault" \
      >"$tmp/real.out" 2>"$tmp/real.err"
    real_rc=$?
    [[ $real_rc == 0 || $real_rc == 1 ]] || fail "real sweep exited $real_rc: $(cat "$tmp/real.err")"
    sim_failed=$(grep -o '^FAIL seed [0-9]*' "$tmp/sim.out" | tr '\n' ' ')
    real_failed=$(grep -o '^FAIL seed [0-9]*' "$tmp/real.out" | tr '\n' ' ')
    [[ -n $sim_failed ]] || fail "no seed failed in the simulator: the comparison proves nothing"
    [[ $sim_failed == "$real_failed" && $sim_rc == "$real_rc" ]] ||
      fail "failing seeds differ: sim '$sim_failed', real '$real_failed'"
    grep -q -- '--backend real --seed' "$tmp/real.out" || fail "the real repro lines do not say --backend real"
    echo "failing seeds on both: $sim_failed"
    ;;
  shrink)
    [[ -x $planted ]] || fail "no tunlab_planted given"
    scenario=$src/tests/sweep/reorder-fragments-planted.yaml
    "$planted" sweep "$scenario" --seeds 1..1 --shrink --shrink-out "$tmp/sim-shrunk.yaml" >"$tmp/sim.out" 2>&1
    rc=$?
    [[ $rc == 1 ]] || fail "the simulator's sweep of seed 1 exited $rc (1 expected): $(cat "$tmp/sim.out")"
    "$planted" sweep "$scenario" --seeds 1..1 --backend real --jobs 1 --shrink --shrink-out "$tmp/real-shrunk.yaml" \
      >"$tmp/real.out" 2>&1
    rc=$?
    [[ $rc == 1 ]] || fail "the real sweep of seed 1 exited $rc (1 expected): $(cat "$tmp/real.out")"
    sim_faults=$(sed -n '/^faults:/,/^[a-z]/p' "$tmp/sim-shrunk.yaml")
    real_faults=$(sed -n '/^faults:/,/^[a-z]/p' "$tmp/real-shrunk.yaml")
    [[ -n $sim_faults && $sim_faults == "$real_faults" ]] ||
      fail "shrunk fault lists differ: sim '$sim_faults', real '$real_faults'"
    "$planted" run "$tmp/real-shrunk.yaml" --backend real >"$tmp/rerun.out" 2>&1
    [[ $? == 1 ]] || fail "the shrunk scenario does not fail on real: $(cat "$tmp/rerun.out")"
    echo "shrunk on both to: $(echo "$real_faults" | tr '\n' ' ')"
    ;;
  plain)
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" --backend real --json >"$tmp/real.json" 2>"$tmp/real.err" ||
      fail "real run failed: $(cat "$tmp/real.err")"
    if grep -q link_wires "$tmp/real.json"; then
      fail "a run without faults has a wire: $(cat "$tmp/real.json")"
    fi
    ;;
  *)
    fail "unknown case $case"
    ;;
esac
echo "PASS [$case]"
