#!/usr/bin/env bash
# Tunnel commands on the real backend (root; exit 77 = skipped, with the reason), one case per call:
#   early_exit   a command that exits before attaching ends the run: exit 2, its status named
#   no_attach    a command that never attaches ends the run after the 10 s bound: exit 2, and the
#                program is gone afterwards (SIGTERM, then SIGKILL)
#   stopped      after a passing run with examples/external-ipip, no tunnel program is left
#
# Usage: external_tunnel_test.sh TUNLAB SOURCE_DIR CASE
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
src=$(realpath "$2")
case=$3
test_label=$case

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
require_real_privileges

make_tmp
marker="tunlab-external-test-$$"

scenario() {  # scenario COMMAND: the seed VPN with left's tunnel a command
  printf 'name: external-%s\ntopology: seed\nreal: true\ntunnels:\n  - {host: left, command: "%s"}\n' "${case//_/-}" "$1" >"$tmp/s.yaml"
  printf 'traffic:\n  - {from: left, udp: {dst: "10.0.0.22:9000"}}\nexpect:\n  - {delivered: 1}\n' >>"$tmp/s.yaml"
}

case $case in
  early_exit)
    scenario "sh -c 'exit 3' $marker"
    "$tunlab" run "$tmp/s.yaml" --backend real >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 2 ]] || fail "exit $rc, want 2: $(cat "$tmp/err")"
    grep -q "tunnel command on left exited with status 3 before attaching to tun0" "$tmp/err" || fail "$(cat "$tmp/err")"
    ;;
  no_attach)
    scenario "sh -c 'sleep 60' $marker"
    "$tunlab" run "$tmp/s.yaml" --backend real >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 2 ]] || fail "exit $rc, want 2: $(cat "$tmp/err")"
    grep -q "tunnel command on left did not attach to tun0 within 10000 ms" "$tmp/err" || fail "$(cat "$tmp/err")"
    ! pgrep -f "$marker" >/dev/null || fail "the program outlived the run: $(pgrep -af "$marker")"
    ;;
  stopped)
    # The script from a folder named after this test, so its processes can be found; the run
    # held after setup (--hold-after-setup) while we look, then released.
    mkdir "$tmp/$marker"
    cp "$src/examples/external-ipip/seed-external.yaml" "$src/examples/external-ipip/ipip_tunnel.py" "$tmp/$marker/"
    mkfifo "$tmp/in" "$tmp/out"
    "$tunlab" run "$tmp/$marker/seed-external.yaml" --backend real --hold-after-setup <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    exec {to}>"$tmp/in" {from}<"$tmp/out"
    read -r -t 30 line <&"$from" || fail "no 'ready' from the held run: $(cat "$tmp/err")"
    [[ $line == ready ]] || fail "held run said '$line'"
    running=$(pgrep -fc "$marker/ipip_tunnel.py")
    [[ $running == 2 ]] || fail "want both tunnel programs running after setup, found $running"
    echo >&"$to"
    cat <&"$from" >"$tmp/summary"
    wait $pid || fail "the run failed: $(cat "$tmp/err" "$tmp/summary")"
    ! pgrep -f "$marker" >/dev/null || fail "a tunnel program outlived the run: $(pgrep -af "$marker")"
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "PASS [$case]"
