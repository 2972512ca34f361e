#!/usr/bin/env bash
# One scenario on both backends (root only; exit 77 = skipped, with the reason on stdout):
#
#   [left] app A -> tun0 -> app B -> eth0 ==veth== [wan] ==veth== eth0 -> app B' -> tun0 -> app C [right]
#          (the scenario's own topology, in fd-held namespaces for the real run)
#
# Runs `tunlab run SCENARIO --capture` on the simulator and on the real backend; both must pass
# (exit 0), the real summary must say backend "real", and `tunlab diff` must find no difference
# between the two capture folders after normalisation. Both runs print the per-hop trace
# (--trace, on stderr beside --json): the real one from its captures, over the same interfaces as
# the simulator's. Nothing is left behind: the run's
# namespaces die with the process, and the temporary folder goes on exit.
#
# Usage: real_vs_sim_test.sh TUNLAB SCENARIO.yaml
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
scenario=$2
name=$(basename "$scenario" .yaml)
test_label=$name

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
require_real_privileges
grep -q '^real: true' "$scenario" || fail "$scenario is not marked real: true"

make_tmp

# The kernel's own ipip device has no simulated twin, and the simulator refuses it: the
# simulator's side of that comparison is tunlab's engine, asked for by name in a copy.
sim_scenario=$scenario
if grep -q 'app: kernel-ipip' "$scenario"; then
  sim_scenario=$(dirname "$scenario")/.sim-$name-$$.yaml
  sed 's/app: kernel-ipip/app: ipip/' "$scenario" >"$sim_scenario"
  trap 'rm -rf "$tmp" "$sim_scenario"' EXIT
fi
"$tunlab" run "$sim_scenario" --backend sim --capture "$tmp/sim" --json --trace >"$tmp/sim.json" 2>"$tmp/sim.trace" ||
  fail "sim run exited $?: $(cat "$tmp/sim.json")"
"$tunlab" run "$scenario" --backend real --capture "$tmp/real" --json --trace >"$tmp/real.json" 2>"$tmp/real.err"
rc=$?
if [[ $rc == 2 ]] && grep -q 'kernel-ipip unavailable' "$tmp/real.err"; then
  echo "SKIP [$name]: $(cat "$tmp/real.err")"
  exit 77
fi
[[ $rc == 0 ]] || fail "real run exited $rc: $(cat "$tmp/real.err") $(grep -B4 '"ok": false' "$tmp/real.json")
$(grep -A3 violations "$tmp/real.json")"
grep -q '"backend": "real"' "$tmp/real.json" || fail "the real summary does not say backend real"
# A trace line: virtual or capture seconds, #N or --, HOST-IFACE, in|out, the packet.
trace_line='^ *[0-9]+\.[0-9]{6}  (#[0-9]+|--) +[A-Za-z0-9_-]+ +(in |out) [A-Z]'
interfaces() { grep -E "$trace_line" "$1" | awk '{print $3}' | sort -u; }
[[ -n $(interfaces "$tmp/real.err") ]] || fail "--trace printed no hop on the real backend: $(head -5 "$tmp/real.err")"
[[ $(interfaces "$tmp/real.err") == "$(interfaces "$tmp/sim.trace")" ]] ||
  fail "the real trace's interfaces differ from the simulator's: $(interfaces "$tmp/real.err" | tr '\n' ' ') vs $(interfaces "$tmp/sim.trace" | tr '\n' ' ')"
"$tunlab" diff "$tmp/sim" "$tmp/real" >"$tmp/diff" || fail "captures differ: $(cat "$tmp/diff")"
echo "PASS [$name]: both backends pass; $(cat "$tmp/diff")"
