#!/usr/bin/env bash
# The walkthrough of docs/real-backend.md ("A real tunnel: `tunlab tunnel`"), run as written, with real clients as
# the oracles (root only; exit 77 = skipped, with the reason on stdout):
#
#   netns tl$$-a                                          netns tl$$-b
#   tun0 10.0.0.1/24                                      tun0 10.0.0.2/24
#     |  tunlab tunnel --local 192.168.50.1                 |  tunlab tunnel --local 192.168.50.2
#     |                --remote 192.168.50.2                |                --remote 192.168.50.1
#   veth0 192.168.50.1/24 ============ veth ============ veth0 192.168.50.2/24
#
# Checks: ping -c 3 through the tunnel; a socat UDP echo returns the exact bytes; iperf3 TCP
# (-t 2) through the tunnel and over the bare veth, both printed in Mbit/s on one line; SIGUSR1
# prints counters; SIGTERM stops both daemons with exit 0 and a final counters line whose
# outer_packets_sent > 0. With `tap` as the second argument the devices are tap0 (--tap; app B
# answers ARP). Every wait is a bounded poll on state; everything is removed in the EXIT trap.
#
# Usage: real_tunnel_walkthrough_test.sh TUNLAB [tun|tap]
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
mode=${2:-tun}
a=tl$$-a
b=tl$$-b
dev=tun0
tap_flag=()
if [[ $mode == tap ]]; then
  dev=tap0
  tap_flag=(--tap)
fi

test_label="walkthrough $mode"

# --- privileges and tools: skip with the reason -------------------------------------------------
# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
# shellcheck source=../lib/bounded_wait.sh
source "$(dirname "$0")/../lib/bounded_wait.sh"
# shellcheck source=../lib/two_namespaces.sh
source "$(dirname "$0")/../lib/two_namespaces.sh"
require_real_privileges
require_tools ip ping socat iperf3 ss python3 timeout

make_tmp
pids=()
two_namespaces_traps

# --- the walkthrough, as in docs/real-backend.md ------------------------------------------------
make_two_namespaces 192.168.50

start_tunnel "$a" a --dev "$dev" "${tap_flag[@]}" --local 192.168.50.1 --remote 192.168.50.2 --address 10.0.0.1/24
pid_a=$tunnel_pid
start_tunnel "$b" b --dev "$dev" "${tap_flag[@]}" --local 192.168.50.2 --remote 192.168.50.1 --address 10.0.0.2/24
pid_b=$tunnel_pid
wait_for 10 "$dev in $a" device_ready "$a" "$dev" 10.0.0.1 "$pid_a"
wait_for 10 "$dev in $b" device_ready "$b" "$dev" 10.0.0.2 "$pid_b"

# 1. ping through the tunnel.
ping_out=$(ip netns exec "$a" timeout 15 ping -n -c 3 -W 2 10.0.0.2 2>&1) || fail "ping 10.0.0.2: $ping_out"
grep -q '3 packets transmitted, 3 received' <<<"$ping_out" || fail "ping lost packets: $ping_out"
echo "ping: 3/3 replies through $dev"

# 2. UDP echo with socat: the exact bytes come back.
head -c 1200 /dev/urandom >"$tmp/sent"
ip netns exec "$b" timeout 15 socat -T 10 UDP4-LISTEN:9000,bind=10.0.0.2 PIPE 2>"$tmp/socat.err" &
pids+=("$!")
wait_for 5 "socat listening on 10.0.0.2:9000" \
  bash -c "ip netns exec $b ss -Hlun 'sport = :9000' | grep -q 10.0.0.2"
# readbytes ends the reply direction after one datagram's worth, so socat exits without idling;
# -t 5 bounds the wait for an answer that never comes.
ip netns exec "$a" timeout 10 socat -t 5 STDIO UDP4:10.0.0.2:9000,readbytes=1200 <"$tmp/sent" >"$tmp/received" ||
  fail "socat client failed"
cmp -s "$tmp/sent" "$tmp/received" ||
  fail "UDP echo: sent 1200 bytes, got $(stat -c %s "$tmp/received") different bytes back"
echo "socat: 1200-byte UDP datagram echoed byte-identical through $dev"

# 3. iperf3 TCP through the tunnel, then over the bare veth, in the same run. Each measurement
# has its own one-off server (-1): a single server may still be closing the first test when the
# second client connects, and then answers "busy" inside an otherwise successful JSON report.
for port in 5201 5202; do
  ip netns exec "$b" iperf3 -s -1 -p "$port" >"$tmp/iperf3-server-$port.log" 2>&1 &
  pids+=("$!")
  wait_for 5 "iperf3 server on $port" bash -c "ip netns exec $b ss -Hltn 'sport = :$port' | grep -q LISTEN"
done
mbits() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6))' "$1"
}
ip netns exec "$a" timeout 20 iperf3 -c 10.0.0.2 -p 5201 -t 2 -J >"$tmp/tunnel.json" ||
  fail "iperf3 through the tunnel: $(head -c 500 "$tmp/tunnel.json")"
ip netns exec "$a" timeout 20 iperf3 -c 192.168.50.2 -p 5202 -t 2 -J >"$tmp/veth.json" ||
  fail "iperf3 over the bare veth: $(head -c 500 "$tmp/veth.json")"
tunnel_mbits=$(mbits "$tmp/tunnel.json") || fail "no throughput in iperf3's tunnel report: $(grep -m1 '"error"' "$tmp/tunnel.json")"
veth_mbits=$(mbits "$tmp/veth.json") || fail "no throughput in iperf3's veth report: $(grep -m1 '"error"' "$tmp/veth.json")"
((tunnel_mbits > 0)) || fail "iperf3 through the tunnel moved nothing"
echo "iperf3: tunnel $tunnel_mbits Mbit/s, bare veth $veth_mbits Mbit/s"

# 4. SIGUSR1 prints the counters without stopping; SIGTERM stops with exit 0 and prints them last.
kill -USR1 "$pid_a"
wait_for 5 "counters after SIGUSR1" grep -q '^{"device_packets_read"' "$tmp/a.out"
exited "$pid_a" && fail "SIGUSR1 stopped the daemon"
kill -TERM "$pid_a" "$pid_b"
for side in a b; do
  pid_var=pid_$side
  pid=${!pid_var}
  wait_for 5 "daemon $side to exit after SIGTERM" exited "$pid"
  wait "$pid"
  rc=$?
  ((rc == 0)) || fail "daemon $side exited $rc after SIGTERM: $(cat "$tmp/$side.err")"
  [[ ! -s $tmp/$side.err ]] || fail "daemon $side wrote to stderr: $(cat "$tmp/$side.err")"
  sent=$(tail -n 1 "$tmp/$side.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["outer_packets_sent"])') ||
    fail "daemon $side: last line is not counters JSON: $(tail -n 1 "$tmp/$side.out")"
  ((sent > 0)) || fail "daemon $side sent no outer packets"
  echo "daemon $side: exit 0, final counters $(tail -n 1 "$tmp/$side.out")"
done
ip -n "$a" link show "$dev" >/dev/null 2>&1 && fail "$dev still exists in $a after the daemon exited"
echo "ok [walkthrough $mode]"
