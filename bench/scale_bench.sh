#!/usr/bin/env bash
# What users run, at scale: `tunlab replay` of a 1 M-packet pcap and `tunlab run` of 1 M and 10 M
# datagrams, without and with every capture written, next to a libtins copy of the same pcap
# (read + parse + serialise + write). Prints one table: wall time, packets/s, the ratio to the
# libtins copy and peak RSS (from /usr/bin/time). Run by hand on an idle machine:
#
#   bench/scale_bench.sh [BUILD_DIR] [PACKETS] [RUN_PACKETS_BIG]     # defaults: build 1000000 10000000
#
# The pcap and the scenarios are generated in a temporary folder and removed at exit (the 10 M run
# with captures is left out: its captures alone take ~6 GB).
set -euo pipefail

build=$(realpath "${1:-build}")
packets=${2:-1000000}
big=${3:-10000000}
tunlab=$build/tunlab
copy=$build/bench/libtins_copy
for tool in "$tunlab" "$copy" /usr/bin/time; do
  [[ -x $tool ]] || { echo "scale_bench: $tool missing (build first)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tunlab-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$copy" gen "$work/in.pcap" "$packets" >/dev/null

scenario() {  # scenario FILE COUNT: the seed topology, one UDP line of COUNT datagrams 1 us apart
  cat >"$1" <<YAML
name: scale-$2
topology: seed
traffic:
  - {at: 0ms, from: left, count: $2, interval: 1us, udp: {dst: "10.0.0.22:9000", size: 64}}
expect:
  - {at: right.app, port: 9000, received: $2}
  - {delivered: $2, injected: $2}
YAML
}
scenario "$work/run.yaml" "$packets"
scenario "$work/big.yaml" "$big"

base_seconds=
base_cpu=
# CPU time (user + system) next to wall time: on a shared machine the CPU ratio is the steadier one.
printf '%-44s %10s %12s %8s %9s %9s %10s\n' "work" "time (s)" "packets/s" "ratio" "CPU (s)" "CPU ratio" "peak RSS"
measure() {  # measure LABEL PACKETS COMMAND...: one run, timed by /usr/bin/time
  local label=$1 count=$2
  shift 2
  rm -rf "$work/captures" "$work/out.pcap"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" || {
    echo "scale_bench: '$label' failed:" >&2
    tail -5 "$work/stdout" "$work/stderr" >&2
    exit 1
  }
  read -r seconds rss_kb user system <"$work/time"
  cpu=$(awk -v u="$user" -v s="$system" 'BEGIN { c = u + s; if (c <= 0) c = 0.01; print c }')
  [[ -n $base_seconds ]] || base_seconds=$seconds
  [[ -n $base_cpu ]] || base_cpu=$cpu
  last_seconds=$seconds
  last_cpu=$cpu
  awk -v l="$label" -v s="$seconds" -v n="$count" -v b="$base_seconds" -v r="$rss_kb" -v c="$cpu" \
    -v bc="$base_cpu" 'BEGIN {
    if (s <= 0) s = 0.01
    printf "%-44s %10.2f %12.0f %7.1fx %9.2f %8.1fx %7.0f MB\n", l, s, n / s, s / b, c, c / bc, r / 1024 }'
}

measure "libtins copy of the pcap ($packets)" "$packets" "$copy" copy "$work/in.pcap" "$work/out.pcap"
measure "tunlab replay ($packets)" "$packets" "$tunlab" replay "$work/in.pcap"
measure "tunlab replay --capture ($packets)" "$packets" "$tunlab" replay "$work/in.pcap" --capture "$work/captures"
measure "tunlab run ($packets datagrams)" "$packets" "$tunlab" run "$work/run.yaml"
run_seconds=$last_seconds
run_cpu=$last_cpu
measure "tunlab run --capture ($packets datagrams)" "$packets" "$tunlab" run "$work/run.yaml" --capture "$work/captures"
measure "tunlab run ($big datagrams)" "$big" "$tunlab" run "$work/big.yaml"
awk -v big="$last_seconds" -v small="$run_seconds" -v bigc="$last_cpu" -v smallc="$run_cpu" -v nb="$big" \
  -v ns="$packets" 'BEGIN {
  printf "run of %d datagrams / run of %d: %.1fx the time (%.1fx the CPU time) for %.0fx the datagrams\n",
    nb, ns, big / small, bigc / smallc, nb / ns }'
