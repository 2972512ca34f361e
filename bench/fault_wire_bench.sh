#!/usr/bin/env bash
# The real backend's user-space wire for faulted links against a plain veth, in the same run
# (root only): 64-byte packets (the packet rate) and 1400-byte packets (the bit rate), no faults
# applied, one AF_PACKET sender with sendmmsg and one receiver, in namespaces of their own that
# vanish with the process. The targets: at least 100 000 packets/s of 64 bytes and 1 Gbit/s of
# 1400 bytes through the wire. On a shared machine the numbers move with its load: `uptime` is
# printed with them.
#
# Usage: bench/fault_wire_bench.sh [BUILD_DIR] [PACKETS]
set -euo pipefail
build=${1:-build}
packets=${2:-500000}
tool=$build/tests/real/tunlab_fault_wire
[[ -x $tool ]] || { echo "no $tool: build the target tunlab_fault_wire first" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "fault_wire_bench.sh needs root (network namespaces)" >&2; exit 2; }
uptime
"$tool" bench --packets "$packets" --size 64
"$tool" bench --packets "$packets" --size 1400
