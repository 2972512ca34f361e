# Sourced by the root tests that run two `tunlab tunnel` daemons (and by bench/tunnel_throughput.sh):
#
#   netns $a                                   netns $b
#   veth0 SUBNET.1/24 ====== veth ====== veth0 SUBNET.2/24
#
# The caller sets $a, $b, $tmp (a fresh directory), $tunlab, an array pids=() and a fail() that
# exits, and has sourced bounded_wait.sh. Everything made here lives inside the two namespaces, so
# removing them (two_namespaces_cleanup) leaves the host as it was.
#
# make_two_namespaces SUBNET     the namespaces (IPv6 off: no router solicitations or MLD reports
#                                in the counters; lo up) and the veth, addressed and up.
# start_tunnel NS NAME ARGS...   `tunlab tunnel ARGS...` in NS, stdout in $tmp/NAME.out and stderr in
#                                $tmp/NAME.err; its PID (the daemon itself: `ip netns exec` execs)
#                                in $tunnel_pid and in pids.
# device_ready NS DEV ADDRESS PID  true once DEV in NS is up and carries ADDRESS/24 (the daemon adds
#                                the address last); fails if PID has exited.
# two_namespaces_cleanup         TERM to our processes, KILL to what is left after 5 s, then the
#                                namespaces (they take the veth and the devices with them) and $tmp
#                                (kept when KEEP_TMP is set). Installed for EXIT by
#                                two_namespaces_traps, with INT/TERM turned into exits.

make_two_namespaces() {
  local subnet=$1 ns
  ip netns add "$a" || fail "ip netns add $a"
  ip netns add "$b" || fail "ip netns add $b"
  for ns in "$a" "$b"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
      fail "disable IPv6 in $ns"
    ip -n "$ns" link set lo up || fail "lo up in $ns"
  done
  ip link add veth0 netns "$a" type veth peer name veth0 netns "$b" || fail "ip link add veth0 ($a <-> $b)"
  ip -n "$a" addr add "$subnet.1/24" dev veth0 || fail "address on veth0 in $a"
  ip -n "$b" addr add "$subnet.2/24" dev veth0 || fail "address on veth0 in $b"
  ip -n "$a" link set veth0 up || fail "veth0 up in $a"
  ip -n "$b" link set veth0 up || fail "veth0 up in $b"
}

start_tunnel() {
  local ns=$1 name=$2
  shift 2
  ip netns exec "$ns" "$tunlab" tunnel "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  tunnel_pid=$!
  pids+=("$tunnel_pid")
}

device_ready() {
  local ns=$1 dev=$2 address=$3 pid=$4
  exited "$pid" && fail "tunlab tunnel in $ns exited early: $(cat "$tmp"/*.err)"
  ip -n "$ns" link show "$dev" 2>/dev/null | grep -q ',UP' &&
    ip -n "$ns" -o -4 addr show dev "$dev" 2>/dev/null | grep -q " $address/24 "
}

# ours PID: still a child of this script (a PID already waited for may belong to someone else now).
ours() { [[ $(awk '{print $4}' "/proc/$1/stat" 2>/dev/null) == "$$" ]]; }

# TERM first: the daemons exit on it, and `timeout` passes it on to its command (a KILL would end
# only `timeout` and leave iperf3 or ping running); KILL whatever is left after 5 s.
two_namespaces_cleanup() {
  {
    local pid deadline=$((SECONDS + 5))
    for pid in "${pids[@]}"; do
      ours "$pid" && kill -TERM "$pid"
    done
    for pid in "${pids[@]}"; do
      while ours "$pid" && ! exited "$pid" && ((SECONDS < deadline)); do
        sleep 0.05 # poll interval; bounded by the deadline above
      done
      ours "$pid" && ! exited "$pid" && kill -KILL "$pid"
    done
    wait
  } 2>/dev/null
  ip netns del "$a" 2>/dev/null
  ip netns del "$b" 2>/dev/null
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$tmp"
}

two_namespaces_traps() {
  trap two_namespaces_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
