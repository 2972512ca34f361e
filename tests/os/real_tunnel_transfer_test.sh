#!/usr/bin/env bash
# 200 MB through two `tunlab tunnel` daemons in each direction, compared by SHA-256, with a
# capture of the start of each transfer on the wire checked by tshark (root only; exit 77 =
# skipped, with the reason on stdout):
#
#   netns tt$$-a                                           netns tt$$-b
#   tun0/tap0 10.0.0.1/24                                  tun0/tap0 10.0.0.2/24
#     |  tunlab tunnel --local 192.168.60.1 [OPTIONS]        |  tunlab tunnel --local 192.168.60.2 [OPTIONS]
#   veth0 192.168.60.1/24 ============ veth ============ veth0 192.168.60.2/24
#                                (dumpcap: first 3000 packets of each transfer)
#
# A TCP transfer is where the offload path does its work: TSO super-packets split into
# segments on the sending side, segments coalesced into GSO writes on the receiving side, and
# a GSO write the kernel refuses falls back to single segments; a byte out of place anywhere
# changes the digest. The final counters must show the path the options asked for (with
# --offload on: super-packets read and written).
#
# Usage: real_tunnel_transfer_test.sh TUNLAB tun|tap [TUNNEL OPTIONS...]
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
mode=$2
shift 2
extra=("$@")
a=tt$$-a
b=tt$$-b
dev=tun0
tap_flag=()
if [[ $mode == tap ]]; then
  dev=tap0
  tap_flag=(--tap)
fi
test_label="transfer $mode ${extra[*]}"
size_mb=${TUNLAB_TRANSFER_MB:-200}


# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
# shellcheck source=../lib/bounded_wait.sh
source "$(dirname "$0")/../lib/bounded_wait.sh"
# shellcheck source=../lib/two_namespaces.sh
source "$(dirname "$0")/../lib/two_namespaces.sh"
require_real_privileges
require_tools ip socat sha256sum dumpcap ss python3 timeout

make_tmp
pids=()
two_namespaces_traps
make_two_namespaces 192.168.60

start_tunnel "$a" a --dev "$dev" "${tap_flag[@]}" --local 192.168.60.1 --remote 192.168.60.2 --address 10.0.0.1/24 \
  "${extra[@]}"
pid_a=$tunnel_pid
start_tunnel "$b" b --dev "$dev" "${tap_flag[@]}" --local 192.168.60.2 --remote 192.168.60.1 --address 10.0.0.2/24 \
  "${extra[@]}"
pid_b=$tunnel_pid
wait_for 10 "$dev in $a" device_ready "$a" "$dev" 10.0.0.1 "$pid_a"
wait_for 10 "$dev in $b" device_ready "$b" "$dev" 10.0.0.2 "$pid_b"

# The data: one file of pseudo-random bytes (incompressible, no repeating pattern to hide a
# misplaced segment), the same for both directions.
head -c "${size_mb}M" /dev/urandom >"$tmp/data" || fail "cannot write $size_mb MB to $tmp"
expected=$(sha256sum <"$tmp/data" | cut -d' ' -f1)

# transfer FROM_NS TO_NS TO_ADDRESS PORT NAME: the receiver hashes what arrives; a capture of
# the first packets on the sender's veth goes to NAME.pcap.
transfer() {
  local from=$1 to=$2 address=$3 port=$4 name=$5
  ip netns exec "$to" timeout 120 socat -u "TCP-LISTEN:$port,bind=$address,reuseaddr" STDOUT 2>"$tmp/$name.rx.err" |
    sha256sum >"$tmp/$name.sha" &
  local receiver=$!
  pids+=("$receiver")
  wait_for 5 "receiver on $address:$port" bash -c "ip netns exec $to ss -Hltn 'sport = :$port' | grep -q LISTEN"
  ip netns exec "$from" timeout 60 dumpcap -q -i veth0 -c 3000 -w "$tmp/$name.pcap" 2>"$tmp/$name.cap.err" &
  local capture=$!
  pids+=("$capture")
  wait_for 10 "dumpcap on veth0 in $from" grep -q "Capturing on" "$tmp/$name.cap.err"
  ip netns exec "$from" timeout 120 socat -u "FILE:$tmp/data" "TCP:$address:$port" 2>"$tmp/$name.tx.err" ||
    fail "$name: sender failed: $(cat "$tmp/$name.tx.err")"
  wait "$receiver" || fail "$name: receiver failed: $(cat "$tmp/$name.rx.err")"
  local got
  got=$(cut -d' ' -f1 "$tmp/$name.sha")
  [[ $got == "$expected" ]] || fail "$name: SHA-256 $got, sent $expected"
  wait "$capture" || fail "$name: dumpcap failed: $(cat "$tmp/$name.cap.err")"
  echo "$name: $size_mb MB arrived, SHA-256 equal ($expected)"
}
transfer "$a" "$b" 10.0.0.2 7101 a-to-b
transfer "$b" "$a" 10.0.0.1 7102 b-to-a

# The payload is random bytes, and now and then a segment starts with bytes one of tshark's
# heuristic dissectors takes for its protocol (Thrift did: "Type value not expected"). That is
# about our data, not the packets, so the two transfer ports are decoded as plain data: a port's
# decode-as is tried before any TCP heuristic, whichever heuristic would misfire next.
printf '#!/bin/sh\nexec %s -d tcp.port==7101,data -d tcp.port==7102,data "$@"\n' \
  "$(command -v "${TSHARK:-tshark}")" >"$tmp/tshark"
chmod +x "$tmp/tshark"
TSHARK=$tmp/tshark "$(dirname "$0")/../tshark_check.sh" "$tmp/a-to-b.pcap" "$tmp/b-to-a.pcap" ||
  fail "the captures of the wire do not decode cleanly"
echo "tshark: both wire captures decode without malformed packets or bad checksums"

kill -TERM "$pid_a" "$pid_b"
for side in a b; do
  pid_var=pid_$side
  wait "${!pid_var}" || fail "daemon $side did not exit 0: $(cat "$tmp/$side.err")"
done
counters_a=$(tail -n 1 "$tmp/a.out")
counters_b=$(tail -n 1 "$tmp/b.out")
echo "counters a: $counters_a"
echo "counters b: $counters_b"
# With offloads on (the default) and accepted by the kernel, each side must have read TSO
# super-packets (the bulk direction) and written coalesced GSO packets (the other), else the
# transfer proved nothing about that path.
if [[ " ${extra[*]} " != *" --offload off "* ]]; then
  for side in a b; do
    line_var=counters_$side
    python3 - "${!line_var}" "$side" "${extra[*]}" "$tmp/$side.err" <<'EOF' || fail "daemon $side did not take the offload path"
import json, sys
c = json.loads(sys.argv[1])
side = sys.argv[2]
options = sys.argv[3].split()
super_packets = "--super-packets" in options
own_mtu = "--mtu" in options
stderr = open(sys.argv[4]).read()
offloads = c.get("offloads", "off")
problems = []
if "tso" in offloads and c.get("device_super_packets_read", 0) == 0:
    problems.append("no TSO super-packet read")
if "gso" in offloads and c.get("device_super_packets_written", 0) == 0:
    problems.append("no GSO write")
if offloads == "off":
    problems.append("the kernel accepted no offload")
# With the default --mtu the route MTU is --mtu + 20 and the kernel does the fragmenting; with
# another the daemon must fragment every datagram itself, and say so at start.
kernel_fragmented = c.get("underlay_kernel_fragmented", 0)
if super_packets and not own_mtu and kernel_fragmented == 0:
    problems.append("no outer datagram fragmented by the kernel")
if super_packets and own_mtu:
    if kernel_fragmented != 0:
        problems.append(f"{kernel_fragmented} datagrams fragmented by the kernel at a foreign MTU")
    if "lets the kernel fragment them" not in stderr:
        problems.append("no note at start that tunlab fragments the datagrams itself")
if problems:
    print(f"daemon {side} ({offloads}): " + ", ".join(problems))
    sys.exit(1)
EOF
  done
fi
echo "ok [$test_label]"
