#!/usr/bin/env bash
# A real run killed with SIGKILL leaves nothing behind (root only; exit 77 = skipped):
#
#   host namespace (untouched)        tunlab run --backend real --hold-after-setup
#                                       fd-held namespaces left/wan/right, veths, tun0s
#
# Starts the seed scenario on the real backend, holding after setup (it prints "ready" and waits
# on stdin), notes the namespaces it holds by file descriptor, SIGKILLs it and checks that
# `ip netns`, `ip -o link` and `ip route` in the host namespace are exactly as before and that
# no process still holds any of the run's namespaces. Waits are bounded reads, never sleeps.
#
# Usage: real_run_kill_test.sh TUNLAB SCENARIO.yaml
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
scenario=$2

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
require_real_privileges

snapshot() { { ip netns; echo ---; ip -o link | sed 's/ link-netnsid [0-9]*//'; echo ---; ip route; } 2>&1; }
before=$(snapshot)
host_ns=$(readlink /proc/self/ns/net)

coproc RUN { exec "$tunlab" run "$scenario" --backend real --hold-after-setup 2>/dev/null; }
pid=$RUN_PID
# Keep our own copy of the write end: the coproc's fd variables vanish once it dies.
exec {to_run}>&"${RUN[1]}"
read -r -t 20 line <&"${RUN[0]}" || fail "no 'ready' from tunlab within 20 s"
[[ $line == ready ]] || fail "expected 'ready', got '$line'"

held=$(for fd in /proc/$pid/fd/*; do readlink "$fd"; done 2>/dev/null | grep '^net:' | sort -u)
count=$(grep -c . <<<"$held")
((count >= 3)) || fail "expected the run to hold at least 3 namespaces, saw: $held"
grep -qxF "$host_ns" <<<"$held" && fail "the run holds the host namespace by fd"

kill -KILL "$pid"
wait "$pid" 2>/dev/null
exec {to_run}>&-

after=$(snapshot)
[[ $before == "$after" ]] || fail "host namespace changed:
$(diff <(echo "$before") <(echo "$after"))"
for ns in $held; do
  if ls -l /proc/[0-9]*/ns/net /proc/[0-9]*/fd/* 2>/dev/null | grep -qF "$ns"; then
    fail "$ns is still held by some process after the kill"
  fi
done
echo "PASS: killed run held $count namespaces; host unchanged, none of them still held"
