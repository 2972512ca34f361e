#!/usr/bin/env bash
# sweep_planted_bug_test.sh TUNLAB TUNLAB_PLANTED SOURCE_DIR WORK_DIR
#
# The sweep finds a real bug and shrinks it. tunlab_planted is the CLI over a simulator whose
# reassembler drops a fragment that arrives after a later one (TUNLAB_PLANTED_REORDER_BUG).
# tests/sweep/reorder-fragments.yaml reorders fragmented datagrams on wan.right:
#   - the correct build passes all 200 seeds;
#   - the planted build fails some, and `sweep --shrink` writes a scenario with at most 3 faults
#     that fails on the planted build and passes on the correct one.
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
planted=$2 src=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
unset GTEST_TOTAL_SHARDS GTEST_SHARD_INDEX
scenario="$src/tests/sweep/reorder-fragments.yaml"

"$tunlab" sweep "$scenario" --seeds 1..200 --jobs 2 --json >"$work/correct.json" 2>/dev/null ||
  fail "the correct build failed seeds: $(cat "$work/correct.json")"
[[ $(json_field "$work/correct.json" "(d['passed'], d['failed'])") == "(200, 0)" ]] || fail "$(cat "$work/correct.json")"

shrunk="$work/shrunk.yaml"
"$planted" sweep "$scenario" --seeds 1..200 --jobs 2 --json --shrink --shrink-out "$shrunk" >"$work/planted.json" 2>/dev/null
rc=$?
[[ $rc -eq 1 ]] || fail "the planted build's sweep exited $rc, want 1"
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
[[ $? -eq 1 ]] || fail "the shrunk scenario passes on the planted build: $(cat "$work/planted-run.txt")"
"$tunlab" run "$shrunk" >"$work/correct-run.txt" || fail "the shrunk scenario fails on the correct build: $(cat "$work/correct-run.txt")"
echo "ok: planted bug failed $failed/200 seeds, shrunk to $faults fault(s):"
grep -A3 "^faults:" "$shrunk"
