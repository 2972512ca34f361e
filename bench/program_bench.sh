#!/usr/bin/env bash
# A tunnel program in the simulator against tunlab's in-process engine, on the same scenario:
# COUNT UDP datagrams (default 100000) from left to right through the seed topology, once with
# examples/c-ipip on both ends (`command:`, run under the supervisor) and once with `app: ipip`.
# Prints wall time and packets per second of each and their ratio. Run by hand (not a test):
#
#   bench/program_bench.sh build/tunlab build/examples/c-ipip [COUNT]
#
# The program's rate is bounded by the round trips through the kernel for every trapped call: two
# per packet per tunnel end (the epoll_wait that blocks, the sendto or write), the reads coming from
# the staging area the shim shares with the supervisor; docs/programs-in-the-simulator.md.
set -euo pipefail
tunlab=$(realpath "$1")
export PATH="$(realpath "$2"):$PATH"
count=${3:-100000}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

write_scenario() {  # write_scenario NAME TUNNEL-LINE...
  local name=$1
  shift
  {
    printf 'name: %s\ntopology: seed\ntunnels:\n' "$name"
    for line in "$@"; do printf '  - %s\n' "$line"; done
    printf 'traffic:\n  - {at: 0ms, from: left, count: %d, interval: 10us, udp: {dst: "10.0.0.22:9000", size: 64}}\n' "$count"
    printf 'expect:\n  - {at: right.app, port: 9000, received: %d}\n  - {dropped: {total: 0}}\n' "$count"
  } >"$tmp/$name.yaml"
}

write_scenario program \
  '{host: left, command: "c-ipip --dev {dev} --local {local} --remote {remote} --ttl 17"}' \
  '{host: right, command: "c-ipip --dev {dev} --local {local} --remote {remote} --ttl 17"}'
write_scenario engine '{host: left, app: ipip}' '{host: right, app: ipip}'

measure() {  # measure NAME: wall nanoseconds of one passing run
  local start end
  start=$(date +%s%N)
  "$tunlab" run "$tmp/$1.yaml" --no-digest >"$tmp/$1.out" 2>"$tmp/$1.err" || {
    echo "the $1 run failed:" >&2
    cat "$tmp/$1.out" "$tmp/$1.err" >&2
    exit 1
  }
  end=$(date +%s%N)
  echo $((end - start))
}

program_ns=$(measure program)
engine_ns=$(measure engine)
python3 - "$count" "$program_ns" "$engine_ns" <<'PY'
import sys
count, program_ns, engine_ns = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
program_rate = count / (program_ns / 1e9)
engine_rate = count / (engine_ns / 1e9)
print(f"datagrams            {count}")
print(f"c-ipip (program)     {program_ns / 1e9:8.3f} s  {program_rate:12,.0f} packets/s")
print(f"ipip (in-process)    {engine_ns / 1e9:8.3f} s  {engine_rate:12,.0f} packets/s")
print(f"engine / program     {engine_rate / program_rate:8.1f}x")
PY
