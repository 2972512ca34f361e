#!/usr/bin/env bash
# sweep_planted_bug_test.sh TUNLAB TUNLAB_PLANTED SOURCE_DIR WORK_DIR
#
# The sweep finds a real bug and shrinks it. tunlab_planted is the CLI with one more app B,
# planted-reorder (tests/harness/planted/), which drops an inner fragment that comes through the tunnel
# after a later one of its datagram. tests/sweep/reorder-fragments.yaml reorders fragmented
# datagrams on wan.right; reorder-fragments-planted.yaml is the same with planted-reorder on right:
#   - tunlab's own app passes all 200 seeds;
#   - the planted app fails some, and `sweep --shrink` writes a scenario with at most 3 faults
#     that fails with the planted app and passes with tunlab's own.
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
planted=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
unset GTEST_TOTAL_SHARDS GTEST_SHARD_INDEX
scenario="$src/tests/sweep/reorder-fragments.yaml"
planted_scenario="$src/tests/sweep/reorder-fragments-planted.yaml"

"$tunlab" sweep "$scenario" --seeds 1..200 --jobs 2 --json >"$work/correct.json" 2>/dev/null ||
  fail "tunlab's own app failed seeds: $(cat "$work/correct.json")"
[[ $(json_field "$work/correct.json" "(d['passed'], d['failed'])") == "(200, 0)" ]] || fail "$(cat "$work/correct.json")"

shrunk="$work/shrunk.yaml"
"$planted" sweep "$planted_scenario" --seeds 1..200 --jobs 2 --json --shrink --shrink-out "$shrunk" >"$work/planted.json" 2>/dev/null
rc=$?
[[ $rc -eq 1 ]] || fail "the planted app's sweep exited $rc, want 1"
failed=$(json_field "$work/planted.json" "d['failed']")
[[ $failed -gt 0 ]] || fail "the sweep did not find the planted bug"
[[ $(json_field "$work/planted.json" "d['failures'][0]['repro'].startswith('tunlab_planted run ')") == True ]] ||
  fail "repro line: $(json_field "$work/planted.json" "d['failures'][0]['repro']")"
[[ $(json_field "$work/planted.json" "d['shrunk']['verified']") == True ]] || fail "shrink: $(cat "$work/planted.json")"
faults=$(json_field "$work/planted.json" "d['shrunk']['faults']")
[[ $faults -ge 1 && $faults -le 3 ]] || fail "shrunk to $faults faults, want 1..3"
[[ -s $shrunk ]] || fail "no shrunk scenario written"

# The shrunk file stands on its own: it carries its seed and only targeted faults.
grep -q "reorder_nth" "$shrunk" || fail "no targeted reorder in $(cat "$shrunk")"
if grep -qE "reorder: |loss: " "$shrunk"; then fail "random faults left in $(cat "$shrunk")"; fi
"$planted" run "$shrunk" >"$work/planted-run.txt"
[[ $? -eq 1 ]] || fail "the shrunk scenario passes with the planted app: $(cat "$work/planted-run.txt")"
# The same faults and seed with tunlab's own app B (the planted app named nowhere) pass.
grep -q "planted-reorder" "$shrunk" || fail "the shrunk scenario lost its app: $(cat "$shrunk")"
sed 's/planted-reorder/ipip/' "$shrunk" >"$work/shrunk-correct.yaml"
"$tunlab" run "$work/shrunk-correct.yaml" >"$work/correct-run.txt" ||
  fail "the shrunk scenario fails with tunlab's own app: $(cat "$work/correct-run.txt")"
echo "ok: planted bug failed $failed/200 seeds, shrunk to $faults fault(s):"
grep -A3 "^faults:" "$shrunk"
