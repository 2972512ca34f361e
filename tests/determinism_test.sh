#!/usr/bin/env bash
# determinism_test.sh TUNLAB SOURCE_DIR WORK_DIR CASE
#
# Same scenario + same seed => the same bytes, whatever the environment; another seed => another
# run; and `tunlab sweep` over 1000 seeds finishes and reports. Each CASE is one ctest:
#   same_seed      every scenarios/*.yaml twice: identical JSON (digest included) and identical pcaps
#   seeds_differ   the lossy sweep scenario under three seeds: three different digests
#   environment    TZ, locale, working directory and ASLR (setarch -R) leave the JSON unchanged
#   sweep_1000     1000 seeds of tests/sweep/lossy.yaml with 2 jobs: all pass, counts reported
#   sweep_jobs     sweep output does not depend on --jobs; plain progress lines every 10%
#   sweep_shards   GTEST_TOTAL_SHARDS=4: the shards' seeds partition the range
#   fault_options  --fault / --device-fault change a run; mistakes exit 2 with one line
# shellcheck source=lib/prologue.sh
source "$(dirname "$0")/lib/prologue.sh"
src=$2 work=$3 case=$4
test_label=$case
out="$work/$case"
rm -rf "$out"
mkdir -p "$out"
# A sweep inside a sharded CI job must not shard these tests' own sweeps.
unset GTEST_TOTAL_SHARDS GTEST_SHARD_INDEX


lossy="$src/tests/sweep/lossy.yaml"

case $case in
same_seed)
  for file in "$src"/scenarios/*.yaml; do
    name=$(basename "$file" .yaml)
    "$tunlab" run "$file" --seed 7 --json --capture "$out/$name-a" >"$out/$name-a.json" 2>&1
    "$tunlab" run "$file" --seed 7 --json --capture "$out/$name-b" >"$out/$name-b.json" 2>&1
    # The JSON differs only in the capture paths it names.
    sed "s|$out/$name-a|DIR|g" "$out/$name-a.json" >"$out/$name-a.norm"
    sed "s|$out/$name-b|DIR|g" "$out/$name-b.json" >"$out/$name-b.norm"
    cmp -s "$out/$name-a.norm" "$out/$name-b.norm" || fail "$name: JSON differs: $(diff "$out/$name-a.norm" "$out/$name-b.norm" | head -5)"
    for pcap in "$out/$name-a"/*.pcap; do
      cmp -s "$pcap" "$out/$name-b/$(basename "$pcap")" || fail "$name: $(basename "$pcap") differs"
    done
    [[ -n $(json_field "$out/$name-a.json" "d['digest']") ]] || fail "$name: no digest"
  done
  ;;
seeds_differ)
  for seed in 1 2 3; do
    "$tunlab" run "$lossy" --seed "$seed" --json >"$out/$seed.json" || fail "seed $seed exited $?"
    json_field "$out/$seed.json" "d['digest']" >>"$out/digests"
  done
  [[ $(sort -u "$out/digests" | wc -l) -eq 3 ]] || fail "digests not all different: $(cat "$out/digests")"
  ;;
environment)
  run_json() { "$@" run "$lossy" --seed 11 --json; }
  run_json "$tunlab" >"$out/reference.json" || fail "reference run exited $?"
  TZ=Pacific/Auckland run_json "$tunlab" >"$out/tz.json"
  LC_ALL=C.UTF-8 run_json "$tunlab" >"$out/utf8.json"
  LC_ALL=C run_json "$tunlab" >"$out/c.json"
  (cd /tmp && run_json "$tunlab") >"$out/cwd.json"
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    setarch "$(uname -m)" -R "$tunlab" run "$lossy" --seed 11 --json >"$out/no-aslr.json"
  else
    echo "setarch -R not permitted here; ASLR variant skipped" >&2
    cp "$out/reference.json" "$out/no-aslr.json"
  fi
  for variant in tz utf8 c cwd no-aslr; do
    cmp -s "$out/reference.json" "$out/$variant.json" || fail "$variant: $(diff "$out/reference.json" "$out/$variant.json" | head -5)"
  done
  ;;
sweep_1000)
  "$tunlab" sweep "$lossy" --seeds 1..1000 --jobs 2 >"$out/stdout" 2>"$out/stderr" || fail "sweep exited $?: $(tail -3 "$out/stdout")"
  grep -qx "1000 seeds: 1000 passed, 0 failed" "$out/stdout" || fail "no report line: $(cat "$out/stdout")"
  grep -qx "sweep: 1000/1000 seeds, 0 failed" "$out/stderr" || fail "no final progress line: $(cat "$out/stderr")"
  ;;
sweep_jobs)
  "$tunlab" sweep "$lossy" --seeds 1..200 --jobs 1 --json >"$out/one.json" 2>"$out/one.err" || fail "jobs 1 exited $?"
  "$tunlab" sweep "$lossy" --seeds 1..200 --jobs 2 --json >"$out/two.json" 2>"$out/two.err" || fail "jobs 2 exited $?"
  cmp -s "$out/one.json" "$out/two.json" || fail "JSON depends on --jobs"
  [[ $(grep -c '^sweep: ' "$out/two.err") -eq 10 ]] || fail "want 10 progress lines: $(cat "$out/two.err")"
  grep -q "sweep: 20/200 seeds, 0 failed" "$out/two.err" || fail "progress lines: $(cat "$out/two.err")"
  [[ $(json_field "$out/one.json" "(d['seeds'], d['passed'], d['failed'])") == "(200, 200, 0)" ]] || fail "counts: $(cat "$out/one.json")"
  # A scenario that fails on every seed: exit 1, one repro line per seed naming the first failure.
  seed_vpn="$src/scenarios/seed-vpn.yaml"
  "$tunlab" sweep "$seed_vpn" --seeds 5..7 --fault wan.right:loss=1 >"$out/failing" 2>/dev/null
  [[ $? -eq 1 ]] || fail "failing sweep did not exit 1"
  grep -q "^FAIL seed 6: .* run $seed_vpn --seed 6 --fault wan.right:loss=1$" "$out/failing" || fail "repro line: $(cat "$out/failing")"
  grep -q "first failure: " "$out/failing" || fail "no first failure: $(cat "$out/failing")"
  grep -qx "3 seeds: 0 passed, 3 failed" "$out/failing" || fail "counts: $(cat "$out/failing")"
  ;;
sweep_shards)
  for index in 0 1 2 3; do
    GTEST_TOTAL_SHARDS=4 GTEST_SHARD_INDEX=$index "$tunlab" sweep "$lossy" --seeds 10..29 --json \
      >"$out/$index.json" 2>"$out/$index.err" || fail "shard $index exited $?"
    grep -q "shard $index/4" "$out/$index.err" || fail "shard $index does not say so: $(cat "$out/$index.err")"
    json_field "$out/$index.json" "d['seeds']" >>"$out/counts"
  done
  [[ $(($(paste -sd+ "$out/counts"))) -eq 20 ]] || fail "shards ran $(paste -sd+ "$out/counts") seeds, want 20"
  GTEST_TOTAL_SHARDS=4 GTEST_SHARD_INDEX=1 "$tunlab" sweep "$lossy" --seeds 10..29 >"$out/human" 2>/dev/null
  grep -q "shard 1/4 (GTEST_SHARD_INDEX=1, GTEST_TOTAL_SHARDS=4): 5 of 20 seeds" "$out/human" || fail "$(cat "$out/human")"
  GTEST_TOTAL_SHARDS=4 GTEST_SHARD_INDEX=4 "$tunlab" sweep "$lossy" --seeds 1..2 >/dev/null 2>"$out/bad"
  [[ $? -eq 2 ]] || fail "shard index 4 of 4 accepted"
  ;;
fault_options)
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --fault wan.right:drop_nth=1 --json >"$out/drop.json"
  [[ $? -eq 1 ]] || fail "a dropped packet did not fail seed-vpn"
  [[ $(json_field "$out/drop.json" "d['dropped']") == "{'fault-targeted': 1}" ]] || fail "$(cat "$out/drop.json")"
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --device-fault right.tun0:eagain=0.5 >/dev/null || fail "eagain broke seed-vpn"
  for bad in "--fault wan.nowhere:loss=0.1" "--fault wan.right:loss=2" "--fault wan.right:bogus=1" \
    "--fault wan.right" "--fault wan.right:jitter=5" "--device-fault left.eth0:eagain=0.1" \
    "--device-fault right.tun0:down_at=5ms,up_at=1ms"; do
    # shellcheck disable=SC2086  # word splitting of $bad is the point
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" $bad >"$out/stdout" 2>"$out/stderr"
    rc=$?
    [[ $rc -eq 2 ]] || fail "$bad exited $rc, want 2"
    [[ $(wc -l <"$out/stderr") -eq 1 ]] || fail "$bad: want one line: $(cat "$out/stderr")"
    grep -qF -- "${bad%% *} '" "$out/stderr" || fail "$bad: line does not name the option: $(cat "$out/stderr")"
  done
  ;;
*) fail "unknown case" ;;
esac
echo "ok [$case]"
