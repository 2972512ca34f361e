#!/usr/bin/env bash
# Tunnel programs (`command:` tunnels) in the simulator, run by tunlab's supervisor
# (docs/programs-in-the-simulator.md). One case per ctest:
#
#   python_seed     examples/external-ipip (Python) passes; five runs, one digest; the program's
#                   own counters in the summary; as root, the same digest with tunlab itself as 65534
#   c_ipip          examples/c-ipip (C, epoll, outer TTL 17) passes, with its own wire; five runs, one digest
#   c_udp           examples/c-ipip in its UDP mode (IP in UDP, port 5555): passes with outer UDP on
#                   the wire; five runs, one digest; as root, the same digest with tunlab as 65534
#   mmsg            c-ipip receiving with recvmmsg and sending with sendmmsg (--mmsg on, through the
#                   shim) gives the same digest as with recvfrom and sendto
#   vnet            c-ipip attached with IFF_VNET_HDR (--vnet on: a virtio_net_hdr before every packet
#                   it reads and writes) gives the same digest as without
#   openvpn         Debian's OpenVPN 2.6, peer-to-peer over UDP 1194 without a cipher, on both ends
#                   (examples/openvpn): passes; five runs, one digest; as root, the same as 65534
#   absorbed        c-ipip dropping every third packet by policy: the two it took and never sent are
#                   reported as absorbed-by-program, and the run passes its accounting
#   loses           the same program against a scenario that expects no drops: exit 1, and the failure
#                   names the packets it lost (#3 and #6, absorbed-by-program)
#   errqueue        a program that sets IP_RECVERR reads the fragmentation-needed error a router sent
#                   about its too-big DF packet from the error queue (MSG_ERRQUEUE), with the
#                   extended error (EMSGSIZE, ICMP 3/4, MTU 1000, the router as offender)
#   timerfd         a program that keeps time with a periodic timerfd in an epoll loop wakes at its
#                   expiries on the virtual clock, exactly
#   ifreq           SIOCGIFMTU and SIOCGIFFLAGS on the device through a UDP socket answer the scenario's
#                   device (MTU 1500, up, point-to-point); SIOCSIFMTU to another MTU: exit 2, one line
#   refuse_socket   a program opening a TCP socket: exit 2, one line naming socket(AF_INET, SOCK_STREAM, 0)
#   refuse_thread   a program starting a thread: exit 2, one line naming clone
#   crash           a program that exits 3 after printing: exit 1, its status and its output shown
#   signal          a program killed by SIGSEGV: exit 1, the signal named
#   hang            a program that never blocks: exit 1 after the watchdog, named as such
#   no_stray        tunlab SIGKILLed while its program runs: the program dies with it
#
# Usage: program_sim_test.sh TUNLAB SOURCE_DIR C_IPIP_DIR CASE
set -uo pipefail
tunlab=$(realpath "$1")
src=$(realpath "$2")
c_ipip_dir=$(realpath "$3")
case=$4

fail() {
  echo "FAIL [$case]: $*" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# As root the program runs as 65534: what it opens must be reachable for that user.
chmod 755 "$tmp"

# scenario NAME COMMAND: a seed scenario with `command` on left, no traffic.
scenario() {
  printf 'name: %s\ntopology: seed\ntunnels:\n  - {host: left, command: "%s"}\n' "$1" "$2" >"$tmp/$1.yaml"
  echo "$tmp/$1.yaml"
}

digests() {  # digests N ARGS...: the digest of N runs, one per line, each run must pass
  local n=$1
  shift
  for _ in $(seq "$n"); do
    "$@" --json >"$tmp/run.json" 2>"$tmp/run.err" || fail "run exited $?: $(cat "$tmp/run.err") $(cat "$tmp/run.json")"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$tmp/run.json"
  done
}

five_runs_one_digest() {  # five_runs_one_digest YAML: five runs give one digest, kept in $digest; as root,
  local seen other        # tunlab itself run as 65534 gives it too (run.json, run.err: the last run's)
  mapfile -t seen < <(digests 5 "$tunlab" run "$1")
  [[ ${#seen[@]} == 5 ]] || fail "five runs gave ${#seen[@]} digests"
  [[ $(printf '%s\n' "${seen[@]}" | sort -u | wc -l) == 1 ]] || fail "five runs, several digests: ${seen[*]}"
  if [[ $(id -u) == 0 ]]; then
    other=$(digests 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$tunlab" run "$1")
    [[ $other == "${seen[0]}" ]] || fail "as uid 65534: digest $other, as root ${seen[0]}"
  fi
  digest=${seen[0]}
}

same_digest_with_flag() {  # same_digest_with_flag FLAG WHAT: c-ipip with FLAG gives the plain run's digest
  export PATH="$c_ipip_dir:$PATH"
  local yaml=$src/examples/c-ipip/seed-c-ipip.yaml plain flagged
  sed "s/--ttl 17\"/--ttl 17 $1\"/" "$yaml" >"$tmp/flagged.yaml"
  [[ $(grep -c -- "$1" "$tmp/flagged.yaml") == 2 ]] || fail "the scenario copy does not ask for $1"
  plain=$(digests 1 "$tunlab" run "$yaml")
  flagged=$(digests 1 "$tunlab" run "$tmp/flagged.yaml")
  [[ $plain == "$flagged" ]] || fail "$2 ($1) digest $flagged, without it $plain"
  echo "PASS [$case]: digest $flagged both ways"
}

one_line_refusal() {  # one_line_refusal FILE WORDS: exit 2 was seen; stderr is one line naming WORDS
  local lines
  lines=$(wc -l <"$1")
  [[ $lines == 1 ]] || fail "want one line on stderr, got $lines: $(cat "$1")"
  grep -qF -- "$2" "$1" || fail "the line does not name '$2': $(cat "$1")"
  grep -qF "cannot run in the simulator" "$1" || fail "the line does not say why: $(cat "$1")"
}

case $case in
  python_seed)
    yaml=$src/examples/external-ipip/seed-external.yaml
    five_runs_one_digest "$yaml"
    # The counters are the supervisor's (tunlab's engine has others): the program moved the packets.
    python3 - "$tmp/run.json" <<'PY' || fail "the summary does not show the program's traffic: $(cat "$tmp/run.json")"
import json, sys
t = json.load(open(sys.argv[1]))["tunnels"]
assert t["left"]["device-reads"] == 8 and t["left"]["underlay-sends"] == 8, t
assert t["right"]["underlay-receives"] == 8 and t["right"]["device-writes"] == 8, t
PY
    echo "PASS [$case]: digest $digest five times"
    ;;
  c_ipip)
    export PATH="$c_ipip_dir:$PATH"
    yaml=$src/examples/c-ipip/seed-c-ipip.yaml
    five_runs_one_digest "$yaml"
    grep -q 'c-ipip: tun0 18.12.0.92 -> 18.13.0.91, outer TTL 17' "$tmp/run.err" ||
      fail "c-ipip's start-up line is not in the output: $(cat "$tmp/run.err")"
    echo "PASS [$case]: digest $digest five times"
    ;;
  c_udp)
    export PATH="$c_ipip_dir:$PATH"
    yaml=$src/examples/c-ipip/seed-c-udp.yaml
    five_runs_one_digest "$yaml"
    python3 - "$tmp/run.json" <<'PY' || fail "the program's UDP traffic is not in the summary: $(cat "$tmp/run.json")"
import json, sys
t = json.load(open(sys.argv[1]))["tunnels"]
assert t["left"]["underlay-sends"] == 8 and t["right"]["underlay-receives"] == 8, t
PY
    echo "PASS [$case]: digest $digest five times"
    ;;
  mmsg)
    same_digest_with_flag "--mmsg on" "recvmmsg/sendmmsg"
    ;;
  vnet)
    same_digest_with_flag "--vnet on" "IFF_VNET_HDR"
    ;;
  openvpn)
    command -v openvpn >/dev/null || fail "openvpn is not installed (scripts/deps.sh test installs it)"
    yaml=$src/examples/openvpn/seed-openvpn.yaml
    five_runs_one_digest "$yaml"
    grep -q 'Peer Connection Initiated with \[AF_INET\]18.13.0.91:1194' "$tmp/run.err" ||
      fail "OpenVPN's own log is not in the output: $(cat "$tmp/run.err")"
    echo "PASS [$case]: digest $digest five times"
    ;;
  absorbed)
    export PATH="$c_ipip_dir:$PATH"
    "$tunlab" run "$src/examples/c-ipip/seed-c-ipip-drops.yaml" --json >"$tmp/run.json" 2>"$tmp/run.err" ||
      fail "exit $?: $(cat "$tmp/run.err") $(cat "$tmp/run.json")"
    python3 - "$tmp/run.json" <<'PY' || fail "the drops are not accounted as absorbed-by-program: $(cat "$tmp/run.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["dropped"] == {"absorbed-by-program": 2}, s["dropped"]
assert s["injected"] == 6 and s["delivered"] == 4, s
assert not s.get("invariant_violations"), s["invariant_violations"]
PY
    echo "PASS [$case]"
    ;;
  loses)
    export PATH="$c_ipip_dir:$PATH"
    sed 's/dropped: {absorbed-by-program: 2, total: 2}/dropped: {total: 0}/' \
      "$src/examples/c-ipip/seed-c-ipip-drops.yaml" >"$tmp/loses.yaml"
    grep -q 'dropped: {total: 0}' "$tmp/loses.yaml" || fail "the scenario copy does not expect zero drops"
    "$tunlab" run "$tmp/loses.yaml" >"$tmp/run.out" 2>"$tmp/run.err"
    rc=$?
    [[ $rc == 1 ]] || fail "want exit 1 for a program that loses packets, got $rc: $(cat "$tmp/run.out" "$tmp/run.err")"
    grep -qF 'first dropped: #3 absorbed-by-program, #6 absorbed-by-program' "$tmp/run.out" ||
      fail "the failure does not name the lost packets: $(cat "$tmp/run.out")"
    echo "PASS [$case]"
    ;;
  errqueue)
    printf '%s\n' 'name: errqueue' 'topology: seed' 'run_until: 100ms' 'links:' \
      '  - {between: [wan.right, right.eth0], mtu: 1000}' 'tunnels:' \
      "  - {host: left, command: \"python3 $src/tests/program/errqueue_probe.py {remote}\"}" >"$tmp/errqueue.yaml"
    "$tunlab" run "$tmp/errqueue.yaml" >"$tmp/run.out" 2>"$tmp/run.err" || fail "exit $?: $(cat "$tmp/run.out" "$tmp/run.err")"
    grep -qE 'errqueue: errno 90 origin 2 icmp 3/4 mtu 1000 from 18\.12\.0\.1 to 18\.13\.0\.91 errqueue-flag True quoted [0-9]+' \
      "$tmp/run.err" || fail "the program did not read the error: $(cat "$tmp/run.err")"
    echo "PASS [$case]: $(grep 'errqueue:' "$tmp/run.err")"
    ;;
  timerfd)
    printf '%s\n' 'name: timerfd' 'topology: seed' 'run_until: 100ms' 'tunnels:' \
      "  - {host: left, command: \"python3 $src/tests/program/timerfd_probe.py\"}" >"$tmp/timerfd.yaml"
    "$tunlab" run "$tmp/timerfd.yaml" >"$tmp/run.out" 2>"$tmp/run.err" || fail "exit $?: $(cat "$tmp/run.out" "$tmp/run.err")"
    grep -qF 'timerfd: 1000.005000x1 1000.015000x1 1000.025000x1' "$tmp/run.err" ||
      fail "the timer did not fire on the virtual clock: $(cat "$tmp/run.err")"
    echo "PASS [$case]: $(grep 'timerfd:' "$tmp/run.err")"
    ;;
  ifreq)
    probe='import socket, fcntl, struct, sys, select
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mtu = struct.unpack("16si", fcntl.ioctl(s.fileno(), 0x8921, struct.pack("16si", b"tun0", 0)))[1]
flags = struct.unpack("16sh", fcntl.ioctl(s.fileno(), 0x8913, struct.pack("16sh", b"tun0", 0)))[1]
print("ifreq: mtu", mtu, "flags", hex(flags), file=sys.stderr)
if sys.argv[1:] == ["set"]:
    fcntl.ioctl(s.fileno(), 0x8922, struct.pack("16si", b"tun0", 1400))
select.select([], [], [])'
    printf '%s\n' "$probe" >"$tmp/ifreq.py"
    yaml=$(scenario ifreq "python3 $tmp/ifreq.py")
    "$tunlab" run "$yaml" >"$tmp/run.out" 2>"$tmp/run.err" || fail "exit $?: $(cat "$tmp/run.out" "$tmp/run.err")"
    grep -qF 'ifreq: mtu 1500 flags 0x10d1' "$tmp/run.err" || fail "the device's MTU and flags: $(cat "$tmp/run.err")"
    yaml=$(scenario ifreq-set "python3 $tmp/ifreq.py set")
    "$tunlab" run "$yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 2 ]] || fail "SIOCSIFMTU to 1400: exit $rc, want 2: $(cat "$tmp/err")"
    one_line_refusal "$tmp/err" 'ioctl(SIOCSIFMTU, "tun0") to 1400'
    echo "PASS [$case]: $(cat "$tmp/err")"
    ;;
  refuse_socket)
    yaml=$(scenario tcp 'python3 -c \"import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM)\"')
    "$tunlab" run "$yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 2 ]] || fail "exit $rc, want 2: $(cat "$tmp/err")"
    one_line_refusal "$tmp/err" "socket(AF_INET, SOCK_STREAM, 0)"
    echo "PASS [$case]: $(cat "$tmp/err")"
    ;;
  refuse_thread)
    yaml=$(scenario thread 'python3 -c \"import threading; threading.Thread(target=print).start()\"')
    "$tunlab" run "$yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 2 ]] || fail "exit $rc, want 2: $(cat "$tmp/err")"
    one_line_refusal "$tmp/err" "clone(flags"
    grep -qF "a thread" "$tmp/err" || fail "the line does not say it is a thread: $(cat "$tmp/err")"
    echo "PASS [$case]: $(cat "$tmp/err")"
    ;;
  crash)
    yaml=$(scenario crash "python3 -c \\\"import sys; print('going down'); sys.exit(3)\\\"")
    "$tunlab" run "$yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 1 ]] || fail "exit $rc, want 1: $(cat "$tmp/err")"
    grep -qF "exited with status 3" "$tmp/err" || fail "the status is not named: $(cat "$tmp/err")"
    grep -qxF "going down" "$tmp/err" || fail "the program's output is not shown: $(cat "$tmp/err")"
    echo "PASS [$case]"
    ;;
  signal)
    yaml=$(scenario segv 'python3 -c \"import os; os.kill(os.getpid(), 11)\"')
    "$tunlab" run "$yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 1 ]] || fail "exit $rc, want 1: $(cat "$tmp/err")"
    grep -qF "killed by signal 11 (SEGV)" "$tmp/err" || fail "the signal is not named: $(cat "$tmp/err")"
    echo "PASS [$case]"
    ;;
  hang)
    yaml=$(scenario hang 'python3 -c \"while True: pass\"')
    TUNLAB_PROGRAM_WATCHDOG_MS=300 "$tunlab" run "$yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc == 1 ]] || fail "exit $rc, want 1: $(cat "$tmp/err")"
    grep -qF "did not block in a system call within 300 ms" "$tmp/err" || fail "the hang is not named: $(cat "$tmp/err")"
    echo "PASS [$case]"
    ;;
  no_stray)
    # The program says it runs through a FIFO (no sleeping to wait for it), then computes forever;
    # tunlab is SIGKILLed meanwhile and the program must go with it (PR_SET_PDEATHSIG).
    marker="tunlab-stray-test-$$"
    mkfifo -m 666 "$tmp/ready"
    yaml=$(scenario stray "python3 -c \\\"import itertools; print('up', file=open('$tmp/ready', 'w')); any(False for _ in itertools.count()); x = '$marker'\\\"")
    TUNLAB_PROGRAM_WATCHDOG_MS=60000 "$tunlab" run "$yaml" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    exec 3<"$tmp/ready"  # returns once the program opened its end
    read -r -t 30 line <&3 || fail "the program never said it runs: $(cat "$tmp/err")"
    [[ $line == up ]] || fail "read '$line' from the program"
    pgrep -f "[${marker:0:1}]${marker:1}" >/dev/null || fail "the program is not running before the kill"
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    pattern="[${marker:0:1}]${marker:1}"  # matches the program, not the commands that look for it
    timeout 10 pidwait -f "$pattern"        # returns at once when nothing matches any more
    if pgrep -f "$pattern" >/dev/null; then
      fail "the program outlived tunlab: $(pgrep -af "$pattern")"
    fi
    echo "PASS [$case]"
    ;;
  *)
    fail "unknown case"
    ;;
esac
