#!/usr/bin/env bash
# What users run, at scale: `tunlab replay` of a 1 M-packet pcap and `tunlab run` of 1 M and 10 M
# datagrams, without and with every capture written, next to a libtins copy of the same pcap
# (read + parse + serialise + write). Prints one table: wall time, packets/s, the ratio to the
# libtins copy and peak RSS (from /usr/bin/time). A replay with --no-digest shows the simulation
# without the captures the digest needs; two sweeps of the 1 M-datagram run (a sweep takes no
# digest) show --jobs at work; a last line hashes what a replay's digest must hash after the run,
# the part of a replay's time no simulation speed-up removes. Run by hand on an idle machine:
#
#   bench/scale_bench.sh [BUILD_DIR] [PACKETS] [RUN_PACKETS_BIG] [REPEAT]
#                                      # defaults: build 1000000 10000000 3
#
# Each line is the best of REPEAT rounds (peak RSS: the largest): on a shared machine a run is
# only ever slowed down by its neighbours, so the minimum is the figure least touched by them.
#
# The pcap and the scenarios are generated in a temporary folder and removed at exit (the 10 M run
# with captures is left out: its captures alone take ~6 GB).
set -euo pipefail

build=$(realpath "${1:-build}")
packets=${2:-1000000}
big=${3:-10000000}
repeat=${4:-3}
[[ $repeat =~ ^[1-9][0-9]?$ ]] || { echo "scale_bench: REPEAT must be 1..99, not '$repeat'" >&2; exit 2; }
tunlab=$build/tunlab
copy=$build/bench/libtins_copy
for tool in "$tunlab" "$copy" /usr/bin/time /usr/bin/openssl; do
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

# The floor the digest puts under every replay: it hashes the captures one after the other in name
# order, so only the first can be hashed while the run goes on; the others are hashed after it,
# on one core. One replay's captures, kept, give those bytes, hashed here by the same libcrypto.
"$tunlab" replay "$work/in.pcap" --capture "$work/kept" >/dev/null
mapfile -t hashed_after < <(find "$work/kept" -name '*.pcap' | LC_ALL=C sort | tail -n +2)

# The work, one line each: LABEL|PACKETS|COMMAND (words split on spaces: the paths have none).
works=(
  "libtins copy of the pcap ($packets)|$packets|$copy copy $work/in.pcap $work/out.pcap"
  "tunlab replay ($packets)|$packets|$tunlab replay $work/in.pcap"
  "tunlab replay --capture ($packets)|$packets|$tunlab replay $work/in.pcap --capture $work/captures"
  "tunlab replay --no-digest ($packets)|$packets|$tunlab replay $work/in.pcap --no-digest"
  "tunlab run ($packets datagrams)|$packets|$tunlab run $work/run.yaml"
  "tunlab run --capture ($packets datagrams)|$packets|$tunlab run $work/run.yaml --capture $work/captures"
  "tunlab run ($big datagrams)|$big|$tunlab run $work/big.yaml"
  "tunlab sweep, 2 seeds of the run, --jobs 1|$((2 * packets))|$tunlab sweep $work/run.yaml --seeds 1..2 --jobs 1"
  "tunlab sweep, 2 seeds of the run, --jobs 2|$((2 * packets))|$tunlab sweep $work/run.yaml --seeds 1..2 --jobs 2"
  "SHA-256 the digest takes after a replay|$packets|openssl dgst -sha256 ${hashed_after[*]}"
)
[[ $work != *' '* ]] || { echo "scale_bench: the temporary folder '$work' has a space" >&2; exit 2; }

# Rounds run every work once, in order, so that a neighbour who slows the machine for a while
# slows the baseline too; each work keeps its best round (peak RSS: its largest).
declare -a best_seconds best_cpu best_rss
for ((round = 0; round < repeat; ++round)); do
  for i in "${!works[@]}"; do
    IFS='|' read -r label count command <<<"${works[$i]}"
    rm -rf "$work/captures" "$work/out.pcap"
    # shellcheck disable=SC2086 # the command is split into words on purpose
    /usr/bin/time -f '%e %M %U %S' -o "$work/time" $command >"$work/stdout" 2>"$work/stderr" || {
      echo "scale_bench: '$label' failed:" >&2
      tail -5 "$work/stdout" "$work/stderr" >&2
      exit 1
    }
    read -r seconds rss_kb user system <"$work/time"
    read -r "best_seconds[i]" "best_cpu[i]" "best_rss[i]" < <(awk -v s="$seconds" -v r="$rss_kb" -v u="$user" \
      -v y="$system" -v bs="${best_seconds[i]:-}" -v bc="${best_cpu[i]:-}" -v br="${best_rss[i]:-0}" 'BEGIN {
      c = u + y; if (c <= 0) c = 0.01; if (s <= 0) s = 0.01
      if (bs == "" || s < bs) bs = s; if (bc == "" || c < bc) bc = c; if (r > br) br = r
      print bs, bc, br }')
  done
done

# CPU time (user + system) next to wall time: the tunlab runs use a second core for their capture
# writer and read-ahead threads, so their CPU time exceeds their wall time.
printf '%-44s %10s %12s %8s %9s %9s %10s\n' "work (best of $repeat rounds)" "time (s)" "packets/s" "ratio" "CPU (s)" \
  "CPU ratio" "peak RSS"
for i in "${!works[@]}"; do
  IFS='|' read -r label count command <<<"${works[$i]}"
  awk -v l="$label" -v s="${best_seconds[i]}" -v n="$count" -v b="${best_seconds[0]}" -v r="${best_rss[i]}" \
    -v c="${best_cpu[i]}" -v bc="${best_cpu[0]}" 'BEGIN {
    printf "%-44s %10.2f %12.0f %7.1fx %9.2f %8.1fx %7.0f MB\n", l, s, n / s, s / b, c, c / bc, r / 1024 }'
done
awk -v big="${best_seconds[6]}" -v small="${best_seconds[4]}" -v bigc="${best_cpu[6]}" -v smallc="${best_cpu[4]}" \
  -v nb="$big" -v ns="$packets" 'BEGIN {
  printf "run of %d datagrams / run of %d: %.1fx the time (%.1fx the CPU time) for %.0fx the datagrams\n",
    nb, ns, big / small, bigc / smallc, nb / ns }'
