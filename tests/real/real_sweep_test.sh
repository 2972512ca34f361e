#!/usr/bin/env bash
# `tunlab sweep --backend real`: the sweep and its shrinking go through the same Backend as `run`
# (root only; exit 77 = skipped, with the reason on stdout). Cases:
#
#   passes    scenarios/device-faults.yaml on two seeds: both pass on real namespaces.
#   shrinks   a scenario whose long datagrams are cut by a 500-byte read buffer, with EAGAIN noise
#             on both ends: the sweep fails, --shrink keeps the read buffer alone, and the written
#             file, run again on real namespaces, fails the same way.
#   one_job   --jobs 2 is refused (exit 2, one line): real runs take one seed at a time.
#
# Usage: real_sweep_test.sh TUNLAB SOURCE_DIR CASE
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
source_dir=$(realpath "$2")
case=$3
test_label=$case

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
require_real_privileges

make_tmp

case $case in
  passes)
    "$tunlab" sweep "$source_dir/scenarios/device-faults.yaml" --seeds 1..2 --backend real >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$tmp/out" "$tmp/err")"
    grep -q '^2 seeds: 2 passed, 0 failed$' "$tmp/out" || fail "unexpected summary: $(cat "$tmp/out")"
    grep -q 'backend real' "$tmp/err" || fail "stderr does not name the backend: $(cat "$tmp/err")"
    ;;
  shrinks)
    cat >"$tmp/truncated.yaml" <<'YAML'
name: truncated
description: long datagrams meet a 500-byte read buffer; EAGAIN noise on both ends is harmless
topology: seed
real: true
faults:
  - {device: left.tun0, eagain: 0.5, read_buffer: 500}
  - {device: right.tun0, eagain: 0.3}
traffic:
  - {at: 0ms, from: left, count: 2, interval: 1ms, udp: {dst: "10.0.0.22:9000", size: 1000}}
expect:
  - {name: both long datagrams arrive, at: right.app, port: 9000, received: 2}
YAML
    "$tunlab" sweep "$tmp/truncated.yaml" --seeds 5..5 --backend real --shrink --shrink-out "$tmp/shrunk.yaml" \
      >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 1 ] || fail "want exit 1 (a seed failed), got $rc: $(cat "$tmp/out" "$tmp/err")"
    grep -q -- '--backend real --seed 5' "$tmp/out" || fail "the repro line does not name the backend: $(cat "$tmp/out")"
    grep -q '^shrink seed 5: 3 fault(s) -> 1 in ' "$tmp/out" || fail "unexpected shrink: $(cat "$tmp/out")"
    grep -q 'fails with:' "$tmp/out" || fail "the written file was not verified: $(cat "$tmp/out")"
    grep -q 'read_buffer: 500' "$tmp/shrunk.yaml" || fail "read_buffer not kept: $(cat "$tmp/shrunk.yaml")"
    if grep -q 'eagain' "$tmp/shrunk.yaml"; then
      fail "eagain kept: $(cat "$tmp/shrunk.yaml")"
    fi
    "$tunlab" run "$tmp/shrunk.yaml" --backend real >"$tmp/rerun" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || fail "the shrunk file should fail on real (exit 1), got $rc: $(cat "$tmp/rerun")"
    ;;
  one_job)
    "$tunlab" sweep "$source_dir/scenarios/device-faults.yaml" --seeds 1..4 --backend real --jobs 2 \
      >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "want exit 2, got $rc"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "want one stderr line: $(cat "$tmp/err")"
    grep -q -- '--jobs 2: the real backend runs one seed at a time' "$tmp/err" || fail "unexpected: $(cat "$tmp/err")"
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "PASS [$case]"
