#!/usr/bin/env bash
# `tunlab tunnel` after setup: an unprivileged user, no capabilities, no_new_privs, a seccomp
# filter, and a path MTU that one forged ICMP cannot shrink below 552 (root only; exit 77 =
# skipped, with the reason on stdout):
#
#   netns tl$$-a                                          netns tl$$-b
#   tun0 10.0.0.1/24                                      tun0 10.0.0.2/24
#     |  tunlab tunnel --local 192.168.50.1                 |  tunlab tunnel --local 192.168.50.2
#   veth0 192.168.50.1/24 ============ veth ============ veth0 192.168.50.2/24
#                                                          + a forged 3/4 "MTU 68" sent from here
#
# Checks: /proc/PID/status of the daemon in a shows Uid != 0, CapEff 0, NoNewPrivs 1, Seccomp 2;
# ping works through the tunnel; after a forged 3/4 with next-hop MTU 68 quoting a->b's last outer
# header, the daemon's path MTU is 552 (tunnel MTU 532): 528-byte DF pings pass, and an oversize
# DF ping hears "mtu = 532". SIGUSR1 still prints counters (with the raw socket's kernel drops),
# SIGTERM still ends both daemons with exit 0. Every wait is a bounded poll on state.
#
# Usage: real_tunnel_privileges_test.sh TUNLAB
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
a=tl$$-a
b=tl$$-b

test_label=privileges

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
# shellcheck source=../lib/bounded_wait.sh
source "$(dirname "$0")/../lib/bounded_wait.sh"
# shellcheck source=../lib/two_namespaces.sh
source "$(dirname "$0")/../lib/two_namespaces.sh"
require_real_privileges
require_tools ip ping python3 timeout
id nobody >/dev/null 2>&1 || skip "no user 'nobody' to switch to"

make_tmp
pids=()
two_namespaces_traps

# The status lines that say the daemon dropped its privileges (the address appears just before).
dropped() {
  local status=/proc/$1/status
  grep -q '^Seccomp:[[:space:]]*2$' "$status" && grep -q '^NoNewPrivs:[[:space:]]*1$' "$status"
}
counters_lines() { grep -c '^{"device_packets_read"' "$tmp/a.out"; }

make_two_namespaces 192.168.50

start_tunnel "$a" a --dev tun0 --local 192.168.50.1 --remote 192.168.50.2 --address 10.0.0.1/24
pid_a=$tunnel_pid
start_tunnel "$b" b --dev tun0 --local 192.168.50.2 --remote 192.168.50.1 --address 10.0.0.2/24
pid_b=$tunnel_pid
wait_for 10 "tun0 in $a" device_ready "$a" tun0 10.0.0.1 "$pid_a"
wait_for 10 "tun0 in $b" device_ready "$b" tun0 10.0.0.2 "$pid_b"
wait_for 5 "daemon a to drop privileges" dropped "$pid_a"
wait_for 5 "daemon b to drop privileges" dropped "$pid_b"

# 1. The daemon's credentials, as the kernel sees them.
status=$(grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid_a/status")
echo "$status"
uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' <<<"$status")
nobody=$(id -u nobody)
[[ $uid == "$nobody$nobody$nobody$nobody" ]] || fail "Uid is not nobody's ($nobody) in every slot: $status"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
  grep -q "^$cap:[[:space:]]*0000000000000000$" <<<"$status" || fail "$cap is not 0: $status"
done
grep -q '^Groups:[[:space:]]*$' <<<"$status" || fail "supplementary groups left: $status"

# 2. It still works: ping through the tunnel.
out=$(ip netns exec "$a" timeout 10 ping -n -c 2 -W 2 10.0.0.2 2>&1) || fail "ping 10.0.0.2: $out"

# 3. A forged 3/4, next-hop MTU 68, quoting the outer header of a's last packet (its ID is the
#    number of outer packets a sent: IDs count from 1), sent by b's namespace to a's endpoint.
kill -USR1 "$pid_a"
wait_for 5 "counters after SIGUSR1" bash -c "[[ \$(grep -c '^{\"device_packets_read\"' $tmp/a.out) -ge 1 ]]"
sent=$(tail -n 1 "$tmp/a.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["outer_packets_sent"])') ||
  fail "no counters: $(cat "$tmp/a.out")"
ip netns exec "$b" python3 - "$sent" <<'PY' || fail "sending the forged ICMP failed"
import socket, struct, sys
def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
ident = int(sys.argv[1]) & 0xFFFF
outer = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, ident, 0x4000, 64, 4, 0,
                    socket.inet_aton("192.168.50.1"), socket.inet_aton("192.168.50.2"))
outer = outer[:10] + struct.pack("!H", csum(outer)) + outer[12:]
inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1480, 1, 0x4000, 64, 1, 0,
                    socket.inet_aton("10.0.0.1"), socket.inet_aton("10.0.0.2"))
body = struct.pack("!BBHHH", 3, 4, 0, 0, 68) + outer + inner[:8]
body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(body, ("192.168.50.1", 0))
PY
mtu_learned() {
  kill -USR1 "$pid_a"
  local before=$1
  wait_for 5 "counters after SIGUSR1" bash -c "[[ \$(grep -c '^{\"device_packets_read\"' $tmp/a.out) -gt $before ]]"
  tail -n 1 "$tmp/a.out" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["path_mtu_updates"] >= 1 else 1)'
}
n=$(counters_lines)
wait_for 5 "the forged 3/4 to reach daemon a" mtu_learned "$n"
grep -q raw_socket_kernel_drops <(tail -n 1 "$tmp/a.out") || fail "no raw_socket_kernel_drops in the counters"

# 4. 528-byte DF packets still pass (ping -s 500: 20 + 8 + 500); one above 532 hears mtu = 532.
out=$(ip netns exec "$a" timeout 10 ping -n -c 3 -W 2 -M do -s 500 10.0.0.2 2>&1)
grep -q '3 packets transmitted, 3 received' <<<"$out" || fail "528-byte DF pings after the forged 3/4: $out"
echo "528-byte DF pings: 3/3 after the forged 3/4 with MTU 68"
out=$(ip netns exec "$a" timeout 10 ping -n -c 1 -W 2 -M do -s 600 10.0.0.2 2>&1)
grep -q 'mtu = 532' <<<"$out" || fail "a 628-byte DF ping should hear mtu = 532: $out"
echo "628-byte DF ping: $(grep -m1 -o 'Frag needed.*mtu = 532.*' <<<"$out")"

# 5. Clean exit after SIGTERM, with final counters.
kill -TERM "$pid_a" "$pid_b"
for side in a b; do
  pid_var=pid_$side
  pid=${!pid_var}
  wait_for 5 "daemon $side to exit after SIGTERM" exited "$pid"
  wait "$pid"
  rc=$?
  ((rc == 0)) || fail "daemon $side exited $rc after SIGTERM: $(cat "$tmp/$side.err")"
  [[ ! -s $tmp/$side.err ]] || fail "daemon $side wrote to stderr: $(cat "$tmp/$side.err")"
  echo "daemon $side: exit 0, final counters $(tail -n 1 "$tmp/$side.out")"
done
echo "ok [privileges]"
