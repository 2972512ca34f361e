#!/usr/bin/env bash
# cli_test.sh TUNLAB SOURCE_DIR CAPTURE_DIR CASE
#
# The CLI as a user meets it: `tunlab run`, `replay` and `demo` on the seed topology, their exit
# codes, JSON summaries and captures, and one-line errors for bad pcaps. Captures go under
# CAPTURE_DIR/CASE so the tshark_all_captures test can decode every one of them afterwards.
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
src=$2 captures=$3 case=$4
test_label=$case
out="$captures/$case"
rm -rf "$out"
mkdir -p "$out"

# expect_bad_input FILE WANT...: replay exits 2 with exactly one line on stderr containing every WANT;
# with --json, stdout is no summary but {"error": the same message}.
expect_bad_input() {
  local pcap=$1
  shift
  "$tunlab" replay "$pcap" --json >"$out/stdout" 2>"$out/stderr"
  local rc=$?
  [[ $rc -eq 2 ]] || fail "replay $pcap exited $rc, want 2"
  [[ $(wc -l <"$out/stderr") -eq 1 ]] || fail "want one line on stderr, got: $(cat "$out/stderr")"
  for want in "$@"; do
    grep -qF -- "$want" "$out/stderr" || fail "stderr lacks '$want': $(cat "$out/stderr")"
  done
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert list(d) == ["error"], d; assert "tunlab: " + d["error"] == open(sys.argv[2]).read().strip(), d' \
    "$out/stdout" "$out/stderr" || fail "stdout is not {\"error\": the stderr line}: $(cat "$out/stdout")"
}

# replay_ok FILE: exit 0, every packet delivered, byte-identical at right-tun0, all captures present.
replay_ok() {
  "$tunlab" replay "$1" --capture "$out" --json >"$out/summary.json" || fail "replay $1 exited $?"
  [[ $(json_field "$out/summary.json" "d['delivered'] == d['injected'] > 0") == True ]] || fail "not all delivered"
  [[ $(json_field "$out/summary.json" "all(e['ok'] for e in d['expectations'])") == True ]] || fail "an expectation failed"
  for pcap in left-tun0 left-eth0 wan-left wan-right right-eth0 right-tun0; do
    [[ -s "$out/$pcap.pcap" ]] || fail "no $pcap.pcap"
  done
}

case $case in
seed_run)
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --capture "$out" --json >"$out/summary.json" || fail "exit $?"
  [[ $(json_field "$out/summary.json" "d['delivered'] == d['injected'] and d['passed']") == True ]] || fail "summary: $(cat "$out/summary.json")"
  # The packet at each hop, as tshark decodes it: inner at the tuns, IPIP 18.12.0.92 -> 18.13.0.91 in between.
  [[ $(tshark -r "$out/left-tun0.pcap" -T fields -e ip.dst -Y udp 2>/dev/null | head -1) == 10.0.0.22 ]] || fail "left-tun0"
  [[ $(tshark -r "$out/left-eth0.pcap" -T fields -e ip.proto -e ip.src -e ip.dst -e ip.ttl 2>/dev/null | head -1) == $'4,17\t18.12.0.92,10.0.0.12\t18.13.0.91,10.0.0.22\t64,64' ]] || fail "left-eth0: $(tshark -r "$out/left-eth0.pcap" -T fields -e ip.proto -e ip.src -e ip.dst -e ip.ttl | head -1)"
  [[ $(tshark -r "$out/wan-right.pcap" -T fields -e ip.ttl 2>/dev/null | head -1) == 63,64 ]] || fail "wan-right TTL"
  [[ $(tshark -r "$out/right-tun0.pcap" -T fields -e ip.src -e ip.dst -Y udp 2>/dev/null | head -1) == $'10.0.0.12\t10.0.0.22' ]] || fail "right-tun0"
  ;;
seed_run_twice_same_digest)
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --capture "$out/a" --json >"$out/a.json" || fail "run a"
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --capture "$out/b" --json >"$out/b.json" || fail "run b"
  [[ $(json_field "$out/a.json" "d['digest']") == $(json_field "$out/b.json" "d['digest']") ]] || fail "digests differ"
  for f in "$out"/a/*.pcap; do cmp "$f" "$out/b/$(basename "$f")" || fail "$(basename "$f") differs"; done
  ;;
replay_raw) replay_ok "$src/fixtures/seed-udp-raw.pcap" ;;
replay_ethernet) replay_ok "$src/fixtures/seed-udp-ethernet.pcap" ;;
replay_sll) replay_ok "$src/fixtures/seed-udp-sll.pcap" ;;
replay_mixed) replay_ok "$src/fixtures/mixed-100.pcap" ;;
replay_truncated) expect_bad_input "$src/fixtures/bad-truncated.pcap" bad-truncated.pcap "packet 2" truncated ;;
replay_not_a_pcap) expect_bad_input "$src/fixtures/bad-not-a-pcap.pcap" bad-not-a-pcap.pcap "not a pcap" ;;
replay_bad_linktype) expect_bad_input "$src/fixtures/bad-linktype.pcap" bad-linktype.pcap "link type" ;;
replay_not_ipv4) expect_bad_input "$src/fixtures/bad-not-ipv4.pcap" bad-not-ipv4.pcap "packet 2" ;;
replay_missing_file) expect_bad_input "$out/no-such.pcap" no-such.pcap ;;
usage_error)
  "$tunlab" run >"$out/stdout" 2>"$out/stderr"
  [[ $? -eq 2 ]] || fail "missing argument should exit 2"
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --backend moon >"$out/stdout" 2>"$out/stderr"
  [[ $? -eq 2 ]] || fail "bad --backend should exit 2"
  "$tunlab" --help >"$out/stdout" || fail "--help should exit 0"
  ;;
run_no_digest)
  # Pass or fail only: the same summary as a run that takes the digest, with the digest empty.
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --json >"$out/with.json" || fail "run exited $?"
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --json --no-digest >"$out/without.json" || fail "--no-digest exited $?"
  [[ $(json_field "$out/without.json" "d['digest']") == "" ]] || fail "a digest was taken: $(cat "$out/without.json")"
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert len(a["digest"]) == 64; a["digest"] = ""; assert a == b, (a, b)' \
    "$out/with.json" "$out/without.json" || fail "the summaries differ beyond the digest"
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --no-digest >"$out/stdout" || fail "human output exited $?"
  [[ $(tail -2 "$out/stdout") == $'digest (not taken)\nPASS' ]] || fail "human output: $(tail -2 "$out/stdout")"
  # Expectations are still judged: every packet lost on the WAN fails the run.
  "$tunlab" run "$src/scenarios/seed-vpn.yaml" --no-digest --fault wan.right:loss=1 >"$out/stdout"
  [[ $? -eq 1 ]] || fail "a failing run should exit 1 without the digest too"
  # The replay check still compares every packet at right-tun0.
  "$tunlab" replay "$src/fixtures/seed-udp-raw.pcap" --no-digest --json >"$out/replay.json" || fail "replay exited $?"
  [[ $(json_field "$out/replay.json" "d['digest'] == '' and d['delivered'] == d['injected'] > 0 and all(e['ok'] for e in d['expectations'])") == True ]] ||
    fail "replay: $(cat "$out/replay.json")"
  ;;
demo_sim)
  "$tunlab" demo >"$out/stdout" || fail "demo exited $?"
  [[ $(grep -c '^Read [0-9]* bytes from device tun0$' "$out/stdout") -eq 5 ]] || fail "demo output: $(cat "$out/stdout")"
  grep -qx 'Read 92 bytes from device tun0' "$out/stdout" || fail "a 64-byte UDP payload is a 92-byte packet"
  ;;
*) fail "unknown case" ;;
esac
echo "ok [$case]"
