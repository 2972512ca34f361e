#!/usr/bin/env bash
# A bounded soak: an iperf3 TCP stream and a steady ping through two `tunlab tunnel` daemons at
# once for SECONDS (default 60), with a planned loss of zero (root only; exit 77 = skipped, with
# the reason on stdout):
#
#   netns ts$$-a                                            netns ts$$-b
#   tun0 10.0.0.1/24                                        tun0 10.0.0.2/24
#     |  tunlab tunnel --local 192.168.70.1 [OPTIONS]         |  tunlab tunnel --local 192.168.70.2 [OPTIONS]
#   veth0 192.168.70.1/24 ============ veth ============ veth0 192.168.70.2/24
#
#   iperf3 -c 10.0.0.2 (a -> b, TCP, SECONDS)       iperf3 -s
#   10.0.0.1 <------------------------------------- ping -i 0.2 (b -> a, 5 per second, SECONDS)
#
# Checks:
#   - every ping is answered (0% loss) and iperf3 reports a non-zero throughput;
#   - memory: each daemon's VmRSS (/proc/PID/status), sampled every 5 s once a 10 s warm-up is
#     over, ends no more than 5% above its first sample (all samples are printed);
#   - accounting, from the counters JSON each daemon prints on SIGUSR1 and at exit: every packet
#     each daemon took in is accounted for, per side (the identities at reconcile() below), and
#     what one daemon sent the other received or the kernel counted as dropped on the way; and
#     tun0's own counts (`ip -s link`) against each daemon's reads and writes.
#
# The identities are stated in TSO/GSO segments, so they hold with the default offloads (what
# ctest runs) and with --offload off. Offloads off, on a 2-core machine, one saturating TCP
# stream outruns app B: tun0's queue overflows (its tx dropped), the TCP sender retransmits, and
# pings queued behind it are lost too; the counters still reconcile, the ping check fails.
#
# Usage: real_tunnel_soak_test.sh TUNLAB [SECONDS [TUNNEL OPTIONS...]]
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
duration=${2:-60}
shift $(($# < 2 ? $# : 2))
extra=("$@")
a=ts$$-a
b=ts$$-b
warmup=10   # seconds before the first RSS sample: buffers and batches reach their working size
# TUNLAB_SOAK_SANITIZED=1 (set by ctest in an ASan build): the samples are printed but not judged.
# ASan's quarantine keeps freed memory until it is full (256 MB), so RSS climbs for tens of
# seconds whatever the daemon does; the counters are still reconciled.
sanitized=${TUNLAB_SOAK_SANITIZED:-0}
interval=5  # seconds between RSS samples
test_label="soak ${duration}s${extra[*]:+ ${extra[*]}}"

if ! [[ $duration =~ ^[0-9]+$ ]] || ((duration < warmup + interval)); then
  fail "SECONDS must be a whole number >= $((warmup + interval)) (warm-up + one sampling interval), not '$duration'"
fi
# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
# shellcheck source=../lib/bounded_wait.sh
source "$(dirname "$0")/../lib/bounded_wait.sh"
# shellcheck source=../lib/two_namespaces.sh
source "$(dirname "$0")/../lib/two_namespaces.sh"
[[ -e /dev/net/tun ]] || skip "/dev/net/tun does not exist"
require_real_privileges
require_tools ip ping iperf3 ss python3 timeout

make_tmp
pids=()
two_namespaces_traps

dropped_privileges() { grep -q '^Seccomp:[[:space:]]*2$' "/proc/$1/status"; }
counters_lines() { grep -c '^{"device_packets_read"' "$1"; }

make_two_namespaces 192.168.70

# `ip netns exec` execs the command, so $! is the daemon itself (its /proc/PID/status is read below).
start_tunnel "$a" a --dev tun0 --local 192.168.70.1 --remote 192.168.70.2 --address 10.0.0.1/24 "${extra[@]}"
pid_a=$tunnel_pid
start_tunnel "$b" b --dev tun0 --local 192.168.70.2 --remote 192.168.70.1 --address 10.0.0.2/24 "${extra[@]}"
pid_b=$tunnel_pid
wait_for 10 "tun0 in $a" device_ready "$a" tun0 10.0.0.1 "$pid_a"
wait_for 10 "tun0 in $b" device_ready "$b" tun0 10.0.0.2 "$pid_b"
wait_for 5 "daemon a to drop privileges" dropped_privileges "$pid_a"
wait_for 5 "daemon b to drop privileges" dropped_privileges "$pid_b"

ip netns exec "$b" timeout $((duration + 60)) iperf3 -s -1 -B 10.0.0.2 -p 5201 >"$tmp/iperf3-server.out" 2>&1 &
server=$!
pids+=("$server")
wait_for 5 "iperf3 server on 10.0.0.2:5201" bash -c "ip netns exec $b ss -Hltn 'sport = :5201' | grep -q LISTEN"

# The experiment: both flows for $duration seconds, concurrently. -W 2: a reply later than 2 s
# counts as lost.
start_us=${EPOCHREALTIME/./}
ip netns exec "$a" timeout $((duration + 30)) iperf3 -c 10.0.0.2 -p 5201 -t "$duration" -J \
  >"$tmp/iperf3.json" 2>"$tmp/iperf3.err" &
client=$!
pids+=("$client")
ip netns exec "$b" timeout $((duration + 30)) ping -n -q -i 0.2 -W 2 -c $((duration * 5)) 10.0.0.1 \
  >"$tmp/ping.out" 2>&1 &
pinger=$!
pids+=("$pinger")

# RSS samples at warmup, warmup + interval, ... while the traffic runs. The sleep sets the
# sampling cadence of the experiment; nothing waits on it for a state change.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
rss_a=()
rss_b=()
sample_times=()
for ((t = warmup; t < duration; t += interval)); do
  now_us=${EPOCHREALTIME/./}
  wait_us=$((start_us + t * 1000000 - now_us))
  if ((wait_us > 0)); then
    # In the background and waited for, so that INT or TERM reach their trap at once.
    sleep "$((wait_us / 1000000)).$(printf '%06d' $((wait_us % 1000000)))" &
    pids+=("$!")
    wait "$!"
  fi
  for side in a b; do
    pid_var=pid_$side
    exited "${!pid_var}" && fail "daemon $side exited during the soak: $(cat "$tmp/$side.err")"
  done
  sample_times+=("$t")
  rss_a+=("$(rss_kb "$pid_a")")
  rss_b+=("$(rss_kb "$pid_b")")
done

wait "$client" || fail "iperf3 client failed: $(cat "$tmp/iperf3.err") $(tail -c 2000 "$tmp/iperf3.json")"
wait "$pinger" || fail "ping failed: $(cat "$tmp/ping.out")"
wait "$server" || fail "iperf3 server failed: $(cat "$tmp/iperf3-server.out")"
elapsed_s=$(((${EPOCHREALTIME/./} - start_us) / 1000000))

# Memory: flat within 5%, last sample against the first post-warm-up one.
rss_summary=()
# rss_flat SIDE SAMPLE...: prints the samples; false when the last is more than 5% above the first.
rss_flat() {
  local side=$1 i line first last growth
  shift
  local samples=("$@")
  line="daemon $side VmRSS (kB) at"
  for i in "${!samples[@]}"; do
    line+=" ${sample_times[$i]}s=${samples[$i]}"
  done
  echo "$line"
  first=${samples[0]}
  last=${samples[-1]}
  growth=$(python3 -c "print(f'{($last - $first) * 100 / $first:+.1f}%')")
  rss_summary+=("$side ${first}->${last} kB ($growth)")
  if ((sanitized)); then
    rss_summary[-1]+=" not judged (sanitized build)"
    return 0
  fi
  if ((last * 100 > first * 105)); then
    echo "daemon $side: VmRSS grew from $first kB to $last kB ($growth), more than 5%" >&2
    return 1
  fi
}
# Every verdict is taken before the test fails, so a failure still shows the counters.
problems=()
rss_flat a "${rss_a[@]}" || problems+=("VmRSS of daemon a not flat")
rss_flat b "${rss_b[@]}" || problems+=("VmRSS of daemon b not flat")

# Traffic: every ping answered, a non-zero TCP throughput.
ping_line=$(grep -E '[0-9]+ packets transmitted' "$tmp/ping.out")
echo "ping: $ping_line"
grep -Eq ' 0% packet loss' <<<"$ping_line" || problems+=("ping lost packets: $ping_line")
iperf_summary() {
  python3 - "$1" <<'EOF'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
rate = end["sum_received"]["bits_per_second"]
if rate <= 0:
    print(f"throughput {rate} bit/s")
    sys.exit(1)
print(f"{rate / 1e6:.0f} Mbit/s received, {end['sum_received']['bytes']} bytes, "
      f"{end['sum_sent'].get('retransmits', 0)} retransmits")
EOF
}
iperf=$(iperf_summary "$tmp/iperf3.json") || problems+=("iperf3: $iperf")
echo "iperf3: $iperf"

# The counters, once the last packets in flight have landed: ask both daemons (SIGUSR1) until
# what each sent the other received or lost in the kernel, then stop them and take the lines
# they print at exit, which must agree.
snapshot() {
  local side=$1 before
  local pid_var=pid_$side
  before=$(counters_lines "$tmp/$side.out")
  kill -USR1 "${!pid_var}"
  wait_for 5 "counters from daemon $side" bash -c "(( \$(grep -c '^{\"device_packets_read\"' $tmp/$side.out) > $before ))"
}
# link_stats NS SIDE [DEV...]: the kernel's counters of each device to $tmp/SIDE.DEV.json.
link_stats() {
  local ns=$1 side=$2 dev
  shift 2
  for dev in "$@"; do
    ip -n "$ns" -s -j link show "$dev" >"$tmp/$side.$dev.json" || fail "ip -s link show $dev in $ns"
  done
}
# reconcile MODE A_JSON B_JSON STATS_DIR: MODE "settled" checks only that both directions' outer
# packets have landed; "final" checks everything and prints the reconciliation. STATS_DIR holds
# link_stats' files for veth0 (and tun0, taken before the daemons exit: tun0 goes with them).
reconcile() {
  python3 - "$@" <<'EOF'
import json, sys
mode, a_line, b_line, stats_dir = sys.argv[1:]
daemons = {"a": json.loads(a_line), "b": json.loads(b_line)}
def link(side, dev):
    return json.load(open(f"{stats_dir}/{side}.{dev}.json"))[0]["stats64"]
veth = {side: link(side, "veth0") for side in daemons}
problems = []

def cross(src, dst):
    # What src's daemon sent left src's veth0, arrived at dst's veth0 and reached dst's raw socket,
    # unless a veth or the raw socket's receive buffer dropped it (the kernel counts both).
    s, d = daemons[src], daemons[dst]
    lost_on_veth = veth[src]["tx"]["dropped"] + veth[dst]["rx"]["dropped"]
    landed = d["outer_packets_received"] + d["raw_socket_kernel_drops"] + lost_on_veth
    return s["outer_packets_sent"], landed, lost_on_veth

for src, dst in (("a", "b"), ("b", "a")):
    if "raw_socket_kernel_drops" not in daemons[dst]:
        problems.append(f"daemon {dst}: no raw_socket_kernel_drops in the counters")
        continue
    sent, landed, lost_on_veth = cross(src, dst)
    if sent != landed:
        problems.append(f"{src}->{dst}: {src} sent {sent} outer packets, {dst} received + kernel drops + veth "
                        f"drops = {landed}")
if mode == "settled":
    sys.exit(1 if problems else 0)

# Drop reasons by side. encap-*: a packet read from tun0 that never left as an outer packet.
# decap-* and device-down: an outer packet received that never reached tun0. The rest cannot be
# told apart by side (fragment-past-64k is checked on both) or are not in device_packets_read
# (device-read-truncated): with a planned loss of zero they must not occur at all.
def by_side(dropped):
    encap = sum(n for r, n in dropped.items() if r.startswith("encap-"))
    decap = sum(n for r, n in dropped.items() if r.startswith("decap-") or r == "device-down")
    other = {r: n for r, n in dropped.items()
             if not (r.startswith("encap-") or r.startswith("decap-") or r == "device-down")}
    return encap, decap, other

for side, c in daemons.items():
    get = lambda name: c.get(name, 0)  # the offload counters appear only once one is non-zero
    encap_drops, decap_drops, other = by_side(c["dropped"])
    if sum(c["dropped"].values()) != c["drops"]:
        problems.append(f"daemon {side}: dropped by reason {c['dropped']} sums to {sum(c['dropped'].values())}, "
                        f"drops = {c['drops']}")
    if other:
        problems.append(f"daemon {side}: drops that belong to neither side: {other}")
    # The identities are stated in segments, so they hold with offloads on (the default) and off.
    # Encapsulation: a TSO super-packet counts once in device_packets_read and is split into
    # device_segments_from_super segments, each encapsulated on its own: each segment (or plain
    # packet) leaves as one outer packet or is dropped for one encap-* reason. (An inner packet
    # without DF larger than the tunnel MTU would leave as several outer fragments; TCP sets DF
    # and segments at the MSS, ping is small: none here, and one would show as a mismatch.)
    units_read = get("device_packets_read") - get("device_super_packets_read") + get("device_segments_from_super")
    sent = get("outer_packets_sent")
    if units_read != sent + encap_drops:
        problems.append(f"daemon {side}: encapsulation: read {units_read} packets/segments, "
                        f"sent {sent} + encap drops {encap_drops} = {sent + encap_drops}")
    # Decapsulation: each outer packet received becomes one packet written to tun0 or one
    # decap-* drop. A GRO-coalesced GSO write counts once in device_packets_written and carries
    # device_segments_coalesced segments; ICMP errors app B makes itself (icmp_sent_to_inner)
    # are written without an outer packet behind them.
    units_written = (get("device_packets_written") - get("device_super_packets_written")
                     + get("device_segments_coalesced") - get("icmp_sent_to_inner"))
    received = get("outer_packets_received")
    if received != units_written + decap_drops:
        problems.append(f"daemon {side}: decapsulation: received {received} outer packets, "
                        f"wrote {units_written} packets/segments + decap drops {decap_drops} = "
                        f"{units_written + decap_drops}")
    # The kernel's side of tun0: what it handed app B (tx) and took from it (rx), one count per
    # super-packet as in the daemon's counters; tx dropped = packets the stack routed to tun0
    # that never reached app B (its queue was full), a loss the daemon cannot see. One write is
    # not app B's: at setup TunDevice::gso_write_accepted() writes one GSO probe (a martian the
    # stack drops); the kernel counts it in rx packets when it accepts it ("gso" in offloads).
    tun = link(side, "tun0")
    probe = 1 if "gso" in c.get("offloads", "off") else 0
    if tun["tx"]["packets"] != get("device_packets_read"):
        problems.append(f"daemon {side}: tun0 handed out {tun['tx']['packets']} packets, the daemon read "
                        f"{get('device_packets_read')}")
    if tun["rx"]["packets"] != get("device_packets_written") + probe:
        problems.append(f"daemon {side}: tun0 took {tun['rx']['packets']} packets, the daemon wrote "
                        f"{get('device_packets_written')} + {probe} GSO probe")
    print(f"daemon {side}: tun0 tx {tun['tx']['packets']} = read {get('device_packets_read')} (dropped before "
          f"app B: {tun['tx']['dropped']}); rx {tun['rx']['packets']} = written {get('device_packets_written')} "
          f"+ GSO probe {probe} (dropped {tun['rx']['dropped']})")
    print(f"daemon {side}: read {get('device_packets_read')} - super {get('device_super_packets_read')} "
          f"+ segments {get('device_segments_from_super')} = {units_read} = outer sent {sent} + encap drops "
          f"{encap_drops}; outer received {received} = written {get('device_packets_written')} - super "
          f"{get('device_super_packets_written')} + segments {get('device_segments_coalesced')} - own ICMP "
          f"{get('icmp_sent_to_inner')} = {units_written} + decap drops {decap_drops}; "
          f"raw socket kernel drops {c['raw_socket_kernel_drops']}; dropped {c['dropped']}; "
          f"offloads {c.get('offloads', 'off')}")
for src, dst in (("a", "b"), ("b", "a")):
    sent, landed, lost_on_veth = cross(src, dst)
    print(f"{src}->{dst}: sent {sent} = {dst} received {daemons[dst]['outer_packets_received']} + raw socket "
          f"kernel drops {daemons[dst]['raw_socket_kernel_drops']} + veth drops {lost_on_veth}")
for p in problems:
    print("NOT RECONCILED: " + p)
sys.exit(1 if problems else 0)
EOF
}
landed() {
  snapshot a
  snapshot b
  link_stats "$a" a veth0 tun0
  link_stats "$b" b veth0 tun0
  reconcile settled "$(tail -n 1 "$tmp/a.out")" "$(tail -n 1 "$tmp/b.out")" "$tmp"
}
# Bounded: each round waits for both daemons' answers; after 10 s the final reconciliation below
# reports whatever is still missing.
deadline=$((SECONDS + 10))
until landed; do
  ((SECONDS < deadline)) || break
done

kill -TERM "$pid_a" "$pid_b"
for side in a b; do
  pid_var=pid_$side
  wait_for 5 "daemon $side to exit after SIGTERM" exited "${!pid_var}"
  wait "${!pid_var}"
  rc=$?
  ((rc == 0)) || fail "daemon $side exited $rc after SIGTERM: $(cat "$tmp/$side.err")"
done
final_a=$(tail -n 1 "$tmp/a.out")
final_b=$(tail -n 1 "$tmp/b.out")
echo "counters a: $final_a"
echo "counters b: $final_b"
link_stats "$a" a veth0
link_stats "$b" b veth0
reconcile final "$final_a" "$final_b" "$tmp" || problems+=("the counters do not reconcile")
((${#problems[@]} == 0)) || fail "$(printf '%s; ' "${problems[@]}")"

sent_a=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["outer_packets_sent"])' "$final_a")
sent_b=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["outer_packets_sent"])' "$final_b")
echo "PASS [$test_label]: ${elapsed_s}s of traffic; iperf3 $iperf; ping $ping_line; VmRSS ${rss_summary[0]}," \
  "${rss_summary[1]}; counters reconciled (outer sent a $sent_a, b $sent_b; drops a $(grep -o '"drops": [0-9]*' <<<"$final_a" | cut -d' ' -f2), b $(grep -o '"drops": [0-9]*' <<<"$final_b" | cut -d' ' -f2))"
