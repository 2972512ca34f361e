#!/usr/bin/env bash
# 50 MB through two `tunlab tunnel` daemons over a link that loses 1% of the packets each way
# (root only; exit 77 = skipped, with the reason on stdout):
#
#   netns lt$$-a                                              netns lt$$-b
#   tun0 10.0.0.1/24                                          tun0 10.0.0.2/24
#     |  tunlab tunnel --local 192.168.61.1                     |  tunlab tunnel --local 192.168.61.2
#   veth0 192.168.61.1/24 == [tunlab_fault_wire: loss=0.01 each way] == veth0 192.168.61.2/24
#
# The wire is the real backend's user-space wire for faulted links (fault_wire.hpp), run on its
# own by tunlab_fault_wire. TCP inside the tunnel must recover every lost segment: the SHA-256
# of what arrives equals the sent file's, and the wire's own count shows it did drop packets.
#
# Usage: real_link_loss_transfer_test.sh TUNLAB TUNLAB_FAULT_WIRE
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
wire_tool=$(realpath "$2")
a=lt$$-a
b=lt$$-b
test_label="transfer over 1% loss"
size_mb=${TUNLAB_TRANSFER_MB:-50}

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
# shellcheck source=../lib/bounded_wait.sh
source "$(dirname "$0")/../lib/bounded_wait.sh"
# shellcheck source=../lib/two_namespaces.sh
source "$(dirname "$0")/../lib/two_namespaces.sh"
require_real_privileges
require_tools ip socat sha256sum ss python3 timeout

make_tmp
pids=()
two_namespaces_traps
for ns in "$a" "$b"; do
  ip netns add "$ns" || fail "ip netns add $ns"
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
    fail "disable IPv6 in $ns"
  ip -n "$ns" link set lo up || fail "lo up in $ns"
done
"$wire_tool" link "/run/netns/$a" veth0 "/run/netns/$b" veth0 --fault loss=0.01 --reverse-fault loss=0.01 \
  --seed 7 >"$tmp/wire.out" 2>"$tmp/wire.err" &
wire_pid=$!
pids+=("$wire_pid")
wire_ready() {
  exited "$wire_pid" && fail "tunlab_fault_wire exited early: $(cat "$tmp/wire.err")"
  grep -q '^ready$' "$tmp/wire.out"
}
wait_for 10 "the wire" wire_ready
ip -n "$a" addr add 192.168.61.1/24 dev veth0 || fail "address on veth0 in $a"
ip -n "$b" addr add 192.168.61.2/24 dev veth0 || fail "address on veth0 in $b"
ip -n "$a" link set veth0 up || fail "veth0 up in $a"
ip -n "$b" link set veth0 up || fail "veth0 up in $b"

start_tunnel "$a" a --dev tun0 --local 192.168.61.1 --remote 192.168.61.2 --address 10.0.0.1/24
pid_a=$tunnel_pid
start_tunnel "$b" b --dev tun0 --local 192.168.61.2 --remote 192.168.61.1 --address 10.0.0.2/24
pid_b=$tunnel_pid
wait_for 10 "tun0 in $a" device_ready "$a" tun0 10.0.0.1 "$pid_a"
wait_for 10 "tun0 in $b" device_ready "$b" tun0 10.0.0.2 "$pid_b"

head -c "${size_mb}M" /dev/urandom >"$tmp/data" || fail "cannot write $size_mb MB to $tmp"
expected=$(sha256sum <"$tmp/data" | cut -d' ' -f1)
ip netns exec "$b" timeout 200 socat -u "TCP-LISTEN:7201,bind=10.0.0.2,reuseaddr" STDOUT 2>"$tmp/rx.err" |
  sha256sum >"$tmp/rx.sha" &
receiver=$!
pids+=("$receiver")
wait_for 5 "receiver on 10.0.0.2:7201" bash -c "ip netns exec $b ss -Hltn 'sport = :7201' | grep -q LISTEN"
start=$SECONDS
ip netns exec "$a" timeout 200 socat -u "FILE:$tmp/data" "TCP:10.0.0.2:7201" 2>"$tmp/tx.err" ||
  fail "sender failed: $(cat "$tmp/tx.err")"
wait "$receiver" || fail "receiver failed: $(cat "$tmp/rx.err")"
got=$(cut -d' ' -f1 "$tmp/rx.sha")
[[ $got == "$expected" ]] || fail "SHA-256 $got, sent $expected"
echo "$size_mb MB arrived in $((SECONDS - start)) s through 1% loss, SHA-256 equal ($expected)"

kill -TERM "$wire_pid"
wait "$wire_pid" || fail "tunlab_fault_wire did not exit 0: $(cat "$tmp/wire.err")"
stats=$(tail -n 1 "$tmp/wire.out")
echo "wire: $stats"
python3 - "$stats" <<'PY' || fail "the wire dropped nothing: $stats"
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["a_to_b"]["dropped"] > 0 and s["b_to_a"]["dropped"] > 0 else 1)
PY
echo "ok [$test_label]"
