#!/usr/bin/env bash
# Throughput of `tunlab tunnel` next to the bare veth and the user-space tunnels that are installed,
# all measured in one run on the same two namespaces (run by hand, as root; not part of CI):
#
#   netns tb<id>-a                                          netns tb<id>-b
#   overlay dev 10.9.0.1/24 (MTU 1420)                      overlay dev 10.9.0.2/24 (MTU 1420)
#     |  one tunnel at a time: tunlab tunnel (each            |
#     |  mode), socat TUN<->UDP, tinc 1.0, openvpn 2.6,       |
#     |  wireguard-go                                         |
#   veth0 192.168.77.1/24 ============== veth ============== veth0 192.168.77.2/24
#
# tunlab modes: tunlab (default: RFC-strict, offloads on, TUN reads and writes batched through
# io_uring), tunlab-nobatch (--batched-io off: one system call per TUN read or write),
# tunlab-nooffload (--offload off: one packet per TUN read and write, batched raw socket),
# tunlab-tap (--tap), tunlab-super (--super-packets, the opt-in mode that is not RFC-strict, with
# --mtu 1480 so that the tunnel's fragment size is the veth's MTU and the kernel fragments the outer
# datagrams), tunlab-super-userfrag (--super-packets at the common overlay MTU: tunlab fragments in
# user space, a route lookup per fragment in the kernel). A mode's own --mtu replaces the overlay MTU for it.
#
# Per path: iperf3 TCP with 1 and 4 streams (receiver's Gbit/s), UDP with 64-byte and 1400-byte IP
# packets at unlimited rate (-b 0; received packets per second, from the server's report), and the
# CPU each tunnel process used during each test (utime + stime from /proc/PID/stat, in % of one
# core). The table ends with ratios against the bare veth and the best user-space peer of the same
# run: on a shared 2-core machine only numbers from one run compare.
#
# Usage: bench/tunnel_throughput.sh [TUNLAB] [-t SECONDS] [-r ROUNDS] [--only PATH,PATH...]
#   TUNLAB   the tunlab binary (default build/tunlab)
#   -t       seconds per iperf3 test (default 5)
#   -r       rounds (default 1): every path is measured once per round, the rounds one after the
#            other, and each figure in the table is the median round's (its CPU with it), so a
#            slow spell on a shared machine hits every path alike instead of one
#   --only   a comma-separated subset of: veth,tunlab,tunlab-nobatch,tunlab-nooffload,tunlab-tap,tunlab-super,
#            tunlab-super-userfrag,socat,tinc,openvpn,wireguard-go
# TUNLAB_MODES (environment) overrides the tunlab modes: "name:extra args;name:extra args".
#
# Nothing outside the two namespaces is touched: every device lives in them, the processes are
# killed by pid, and the namespaces (with the veth) are deleted by the EXIT trap, also on error.
# Peers that are not installed are installed with apt-get when that works, else skipped with the
# reason. Readiness is a bounded poll (ping through the overlay), never a fixed sleep.
set -uo pipefail

tunlab=build/tunlab
seconds=5
rounds=1
only=""
while (($#)); do
  case $1 in
    -t)
      seconds=$2
      shift 2
      ;;
    -r)
      rounds=$2
      shift 2
      ;;
    --only)
      only=$2
      shift 2
      ;;
    -h | --help)
      sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      tunlab=$1
      shift
      ;;
  esac
done

die() {
  echo "tunnel_throughput: $*" >&2
  exit 1
}
note() { echo "# $*" >&2; }

[[ $seconds =~ ^[1-9][0-9]{0,2}$ ]] || die "-t: seconds 1..999, not '$seconds'"
[[ $rounds =~ ^[1-9][0-9]?$ ]] || die "-r: rounds 1..99, not '$rounds'"
((EUID == 0)) || die "run as root (namespaces, veth, /dev/net/tun)"
for tool in ip iperf3 python3 ping; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[[ -x $tunlab ]] || die "no tunlab binary at $tunlab (build first, or pass its path)"
tunlab=$(realpath "$tunlab")

id=$$
a=tb$id-a
b=tb$id-b
under_a=192.168.77.1 # make_two_namespaces 192.168.77 below
under_b=192.168.77.2
over_a=10.9.0.1
over_b=10.9.0.2
overlay_mtu=1420
tmp=$(mktemp -d)
pids=()

fail() { die "$@"; }
# shellcheck source=../tests/lib/bounded_wait.sh
source "$(dirname "$0")/../tests/lib/bounded_wait.sh"
# shellcheck source=../tests/lib/two_namespaces.sh
source "$(dirname "$0")/../tests/lib/two_namespaces.sh"
two_namespaces_traps

# --- the two namespaces and the veth ----------------------------------------------------------
make_two_namespaces 192.168.77

# wait_for SECONDS DESCRIPTION COMMAND...: a bounded poll on COMMAND.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || {
      note "timed out after ${limit}s waiting for $what"
      return 1
    }
    sleep 0.05 # poll interval; the condition is what we wait for
  done
}
alive() { [[ -e /proc/$1 ]] && [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
overlay_up() { ip netns exec "$a" ping -n -c 1 -W 1 "$1"; }

# stop_all: ends the processes of the current path (by pid) and waits for them: TERM, then KILL
# after 5 s (a tincd once sat with TERM blocked and held the whole run).
stop_all() {
  {
    local pid deadline=$((SECONDS + 5))
    for pid in "${pids[@]}"; do
      kill -TERM "$pid"
    done
    for pid in "${pids[@]}"; do
      while alive "$pid" && ((SECONDS < deadline)); do
        sleep 0.1 # poll interval; the process exiting is what we wait for
      done
      alive "$pid" && kill -KILL "$pid"
      wait "$pid"
    done
  } 2>/dev/null
  pids=()
}

# have_or_install TOOL PACKAGE: the tool is there, or apt-get installs PACKAGE (once), or no.
have_or_install() {
  command -v "$1" >/dev/null && return 0
  if command -v apt-get >/dev/null; then
    note "installing $2 for $1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >"$tmp/apt-$2.log" 2>&1
  fi
  command -v "$1" >/dev/null
}

# --- measurement ----------------------------------------------------------------------------
clk_tck=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

port=5300
# iperf_run NAME TARGET ARGS...: one iperf3 test against a fresh one-off server in b; prints the
# client's JSON path and leaves the server's JSON beside it. CPU per tunnel process goes to NAME.cpu.
iperf_run() {
  local name=$1 target=$2
  shift 2
  port=$((port + 1))
  ip netns exec "$b" iperf3 -s -1 -p "$port" -J >"$tmp/$name.server.json" 2>&1 &
  local server=$!
  wait_for 5 "iperf3 server" bash -c "ip netns exec $b ss -Hln 'sport = :$port' | grep -q ."
  local before=() pid
  for pid in "${pids[@]}"; do
    before+=("$(cpu_ticks "$pid")")
  done
  local start_ns end_ns
  start_ns=$(date +%s%N)
  ip netns exec "$a" timeout $((seconds + 20)) iperf3 -c "$target" -p "$port" -t "$seconds" -J "$@" \
    >"$tmp/$name.client.json" 2>&1
  end_ns=$(date +%s%N)
  local i=0 cpu=()
  for pid in "${pids[@]}"; do
    cpu+=("$(awk -v t0="${before[$i]}" -v t1="$(cpu_ticks "$pid")" -v hz="$clk_tck" -v ns=$((end_ns - start_ns)) \
      'BEGIN { printf "%.0f", (t1 - t0) / hz / (ns / 1e9) * 100 }')")
    i=$((i + 1))
  done
  echo "${cpu[*]}" >"$tmp/$name.cpu"
  wait "$server" 2>/dev/null
}

# measure PATH TARGET: the four tests over one path; results in $tmp/results (one line per test).
measure() {
  local path=$1 target=$2
  iperf_run "$path.tcp1" "$target"
  iperf_run "$path.tcp4" "$target" -P 4
  # 64-byte IP packets: 20 IP + 8 UDP + 36 payload; 1400: 1372 payload.
  iperf_run "$path.udp64" "$target" -u -b 0 -l 36
  iperf_run "$path.udp1400" "$target" -u -b 0 -l 1372
  python3 - "$tmp" "$path" >>"$tmp/results" <<'EOF'
import json, sys
tmp, path = sys.argv[1], sys.argv[2]
def load(name):
    try:
        with open(f"{tmp}/{path}.{name}") as f:
            return json.load(f)
    except Exception:
        return None
def tcp(test):
    d = load(f"{test}.client.json")
    try:
        return d["end"]["sum_received"]["bits_per_second"] / 1e9
    except Exception:
        return None
def udp(test):
    d = load(f"{test}.server.json")
    try:
        s = d["end"]["sum"]
        return (s["packets"] - s["lost_packets"]) / s["seconds"] / 1e3
    except Exception:
        return None
def cpu(test):
    try:
        with open(f"{tmp}/{path}.{test}.cpu") as f:
            return "/".join(x for x in f.read().split()) or "-"
    except Exception:
        return "-"
row = {"path": path, "tcp1": tcp("tcp1"), "tcp4": tcp("tcp4"), "udp64": udp("udp64"),
       "udp1400": udp("udp1400")}
row["cpu"] = {t: cpu(t) for t in ("tcp1", "tcp4", "udp64", "udp1400")}
print(json.dumps(row))
EOF
}

ns_of() { if [[ $1 == a ]]; then echo "$a"; else echo "$b"; fi; }
wanted() { [[ -z $only ]] || [[ ",$only," == *",$1,"* ]]; }
skipped=()
skip_path() {
  skipped+=("$1: $2")
  note "skip $1: $2"
}

# --- the paths ---------------------------------------------------------------------------------
measure_all_paths() {
  if wanted veth; then
    note "bare veth"
    measure veth $under_b
  fi

  # tunlab: one daemon per namespace, as in the walkthrough of docs/real-backend.md (the address appearing = ready).
  run_tunlab() {
    local path=$1
    shift
    local dev=tl0 mtu=$overlay_mtu args=()
    [[ " $* " == *" --tap "* ]] && dev=tlp0
    while (($#)); do
      if [[ $1 == --mtu ]]; then
        mtu=$2
        shift 2
      else
        args+=("$1")
        shift
      fi
    done
    set -- "${args[@]}" --mtu "$mtu"
    ip netns exec "$a" "$tunlab" tunnel --dev $dev --local $under_a --remote $under_b \
      --address $over_a/24 "$@" >"$tmp/$path.a.out" 2>"$tmp/$path.a.err" &
    pids+=("$!")
    ip netns exec "$b" "$tunlab" tunnel --dev $dev --local $under_b --remote $under_a \
      --address $over_b/24 "$@" >"$tmp/$path.b.out" 2>"$tmp/$path.b.err" &
    pids+=("$!")
    if wait_for 10 "$path" overlay_up $over_b; then
      note "$path: tunlab tunnel $*"
      measure "$path" $over_b
    else
      skip_path "$path" "did not come up: $(cat "$tmp/$path".*.err | head -c 300)"
    fi
    stop_all
  }
  modes=${TUNLAB_MODES:-"tunlab:;tunlab-nobatch:--batched-io off;tunlab-nooffload:--offload off;tunlab-tap:--tap;tunlab-super:--super-packets --mtu 1480;tunlab-super-userfrag:--super-packets"}
  IFS=';' read -r -a mode_list <<<"$modes"
  for mode in "${mode_list[@]}"; do
    name=${mode%%:*}
    args=${mode#*:}
    wanted "$name" || continue
    # shellcheck disable=SC2086 # the mode's extra options are words
    run_tunlab "$name" $args
  done

  if wanted socat; then
    if have_or_install socat socat; then
      for side in a b; do
        ns=$(ns_of $side)
        if [[ $side == a ]]; then me=$under_a peer=$under_b over=$over_a; else me=$under_b peer=$under_a over=$over_b; fi
        ip netns exec "$ns" socat -b 65536 "UDP-DATAGRAM:$peer:7001,bind=$me:7001" \
          "TUN:$over/24,tun-name=sc0,tun-type=tun,iff-no-pi,iff-up" 2>"$tmp/socat.$side.err" &
        pids+=("$!")
      done
      for ns in "$a" "$b"; do
        wait_for 5 "socat device" ip -n "$ns" link set sc0 mtu $overlay_mtu
      done
      if wait_for 10 socat overlay_up $over_b; then
        note "socat TUN <-> UDP"
        measure socat $over_b
      else
        skip_path socat "did not come up: $(head -c 300 "$tmp"/socat.*.err)"
      fi
      stop_all
    else
      skip_path socat "not installed and apt-get could not install it"
    fi
  fi

  if wanted tinc; then
    if have_or_install tincd tinc; then
      for side in a b; do
        dir=$tmp/tinc-$side
        mkdir -p "$dir/hosts"
        if [[ $side == a ]]; then me=$under_a over=$over_a peer=b; else me=$under_b over=$over_b peer=a; fi
        cat >"$dir/tinc.conf" <<EOF
Name = $side
ConnectTo = $peer
Device = /dev/net/tun
Interface = tc0
Mode = router
AddressFamily = ipv4
Port = 7002
EOF
        cat >"$dir/hosts/$side" <<EOF
Address = $me
Port = 7002
Subnet = $over/32
Cipher = none
Digest = none
MACLength = 0
Compression = 0
EOF
        cat >"$dir/tinc-up" <<EOF
#!/bin/sh
ip addr add $over/24 dev \$INTERFACE
ip link set \$INTERFACE mtu $overlay_mtu up
EOF
        chmod +x "$dir/tinc-up"
        tincd -c "$dir" -K 2048 </dev/null >"$tmp/tinc-keygen.$side.log" 2>&1 || true
      done
      cat "$tmp/tinc-a/hosts/a" >"$tmp/tinc-b/hosts/a"
      cat "$tmp/tinc-b/hosts/b" >"$tmp/tinc-a/hosts/b"
      for side in a b; do
        ns=$(ns_of $side)
        ip netns exec "$ns" tincd -c "$tmp/tinc-$side" -D --pidfile="$tmp/tinc-$side.pid" \
          --logfile="$tmp/tinc-$side.log" >/dev/null 2>&1 &
        pids+=("$!")
      done
      if wait_for 20 tinc overlay_up $over_b; then
        note "tinc 1.0, Cipher/Digest none"
        measure tinc $over_b
      else
        skip_path tinc "did not come up: $(tail -n 3 "$tmp/tinc-a.log" | tr '\n' ' ')"
      fi
      stop_all
    else
      skip_path tinc "not installed and apt-get could not install tinc"
    fi
  fi

  if wanted openvpn; then
    if have_or_install openvpn openvpn; then
      for side in a b; do
        ns=$(ns_of $side)
        if [[ $side == a ]]; then me=$under_a peer=$under_b over=$over_a far=$over_b; else me=$under_b peer=$under_a over=$over_b far=$over_a; fi
        ip netns exec "$ns" openvpn --dev ov0 --dev-type tun --topology p2p --ifconfig "$over" "$far" \
          --local "$me" --remote "$peer" --proto udp --port 7003 --tun-mtu $overlay_mtu \
          --cipher none --data-ciphers none --auth none --disable-dco --verb 3 \
          >"$tmp/openvpn.$side.log" 2>&1 &
        pids+=("$!")
      done
      if wait_for 20 openvpn overlay_up $over_b; then
        note "openvpn 2.6, no cipher, static p2p"
        measure openvpn $over_b
      else
        skip_path openvpn "did not come up: $(grep -m2 -iE 'error|fatal|options' "$tmp/openvpn.a.log" | tr '\n' ' ')"
      fi
      stop_all
    else
      skip_path openvpn "not installed and apt-get could not install it"
    fi
  fi

  if wanted wireguard-go; then
    if have_or_install wireguard-go wireguard-go && have_or_install wg wireguard-tools; then
      # The UAPI socket lives in /var/run/wireguard (shared by all namespaces): names with the run id.
      for side in a b; do
        ns=$(ns_of $side)
        rm -f "/var/run/wireguard/wg$id$side.sock" # a round before may have left it
        ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "wg$id$side" >"$tmp/wg.$side.log" 2>&1 &
        pids+=("$!")
        wg genkey >"$tmp/wg.$side.key"
        wg pubkey <"$tmp/wg.$side.key" >"$tmp/wg.$side.pub"
      done
      ok=1
      for side in a b; do
        ns=$(ns_of $side)
        if [[ $side == a ]]; then
          peer=b me=$under_a far=$under_b over=$over_a far_over=$over_b
        else
          peer=a me=$under_b far=$under_a over=$over_b far_over=$over_a
        fi
        wait_for 5 "wireguard-go $side" test -S "/var/run/wireguard/wg$id$side.sock" || ok=0
        ip netns exec "$ns" wg set "wg$id$side" listen-port 7004 private-key "$tmp/wg.$side.key" \
          peer "$(cat "$tmp/wg.$peer.pub")" endpoint "$far:7004" allowed-ips "$far_over/32" || ok=0
        ip -n "$ns" addr add "$over/24" dev "wg$id$side"
        ip -n "$ns" link set "wg$id$side" mtu $overlay_mtu up
      done
      if ((ok)) && wait_for 10 wireguard-go overlay_up $over_b; then
        note "wireguard-go (ChaCha20-Poly1305: it has no cipher-off switch)"
        measure wireguard-go $over_b
      else
        skip_path wireguard-go "did not come up: $(head -c 300 "$tmp/wg.a.log")"
      fi
      stop_all
    else
      skip_path wireguard-go "not installed and apt-get could not install it"
    fi
  fi
}

for ((round = 1; round <= rounds; round++)); do
  ((rounds == 1)) || note "round $round of $rounds"
  measure_all_paths
done

# --- the table ---------------------------------------------------------------------------------
[[ -s $tmp/results ]] || die "nothing was measured"
python3 - "$tmp/results" "$seconds" "$rounds" "${skipped[@]}" <<'EOF'
import json, sys
rounds_of = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rounds_of.setdefault(r["path"], []).append(r)
seconds, rounds, skipped = sys.argv[2], int(sys.argv[3]), sorted(set(sys.argv[4:]))
# Each figure is its median round's (the lower middle one for an even count), with that round's CPU.
rows = []
for path, runs in rounds_of.items():
    row = {"path": path, "cpu": {}}
    for t in ("tcp1", "tcp4", "udp64", "udp1400"):
        measured = sorted((r[t], i) for i, r in enumerate(runs) if r[t] is not None)
        if measured:
            value, i = measured[(len(measured) - 1) // 2]
            row[t], row["cpu"][t] = value, runs[i]["cpu"][t]
        else:
            row[t], row["cpu"][t] = None, "-"
    rows.append(row)
peers = ("socat", "tinc", "openvpn", "wireguard-go")
tests = [("tcp1", "TCP 1 stream Gbit/s"), ("tcp4", "TCP 4 streams Gbit/s"),
         ("udp64", "UDP 64 B kpps"), ("udp1400", "UDP 1400 B kpps")]
by = {r["path"]: r for r in rows}
veth = by.get("veth", {})
best = {}
for t, _ in tests:
    vals = [(by[p][t], p) for p in peers if p in by and by[p][t] is not None]
    best[t] = max(vals) if vals else None
def f(v, unit):
    if v is None:
        return "-"
    return f"{v:.2f}" if unit == "g" else f"{v:.0f}"
import os
print(f"\niperf3 -t {seconds}, {rounds} round(s), median round shown; overlay MTU 1420 (tunlab-super: 1480); CPU = % of one core per tunnel process (side a/side b); "
      f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
print("| path | " + " | ".join(h for _, h in tests) + " | CPU tcp1 | CPU udp64 |")
print("|---|" + "---|" * (len(tests) + 2))
for r in rows:
    cells = [f(r[t], "g" if t.startswith("tcp") else "k") for t, _ in tests]
    print(f"| {r['path']} | " + " | ".join(cells) + f" | {r['cpu']['tcp1']} | {r['cpu']['udp64']} |")
def ratio(a, b):
    return "-" if a is None or not b else f"{a / b:.2f}x"
print("\nRatios (same run)\n")
print("| path | " + " | ".join(f"{h.split(' ')[0]} {h.split(' ')[1]} vs veth / vs best peer" for _, h in tests) + " |")
print("|---|" + "---|" * len(tests))
for r in rows:
    if r["path"] == "veth":
        continue
    cells = []
    for t, _ in tests:
        b = best[t]
        cells.append(f"{ratio(r[t], veth.get(t))} / {ratio(r[t], b[0] if b else None)}")
    print(f"| {r['path']} | " + " | ".join(cells) + " |")
# On a shared machine a tunnel process may get a fraction of a core; what it does with the CPU
# it gets (both sides' processes together) is the steadier comparison.
def per_core(r, t):
    try:
        total = sum(float(x) for x in r["cpu"][t].split("/")) / 100
    except Exception:
        return None
    return r[t] / total if r[t] is not None and total > 0 else None
print("\nPer core of tunnel-process CPU (sum of both sides)\n")
print("| path | TCP 1 stream Gbit/s per core | UDP 64 B kpps per core | UDP 1400 B kpps per core | TCP 1 per core vs best peer | UDP 64 per core vs best peer |")
print("|---|---|---|---|---|---|")
best_core = {}
for t in ("tcp1", "udp64", "udp1400"):
    vals = [(per_core(by[p], t), p) for p in peers if p in by and per_core(by[p], t) is not None]
    best_core[t] = max(vals) if vals else None
for r in rows:
    if r["path"] == "veth":
        continue
    e = {t: per_core(r, t) for t in ("tcp1", "udp64", "udp1400")}
    print(f"| {r['path']} | {f(e['tcp1'], 'g')} | {f(e['udp64'], 'k')} | {f(e['udp1400'], 'k')} | "
          f"{ratio(e['tcp1'], best_core['tcp1'][0] if best_core['tcp1'] else None)} | "
          f"{ratio(e['udp64'], best_core['udp64'][0] if best_core['udp64'] else None)} |")
print("\nbest peer per test: " + ", ".join(f"{t} {best[t][1]}" if best[t] else f"{t} -" for t, _ in tests))
for s in skipped:
    print(f"skipped {s}")
EOF
