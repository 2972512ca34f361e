#!/usr/bin/env bash
# report_test.sh TUNLAB SOURCE_DIR WORK_DIR: `--report` pages of the seed scenario, a PMTU scenario,
# a lossy sweep (with failing seeds) and two diffs (a TTL change; a lossy run against a clean one),
# each rendered by headless Chromium and checked by report_check.py: nothing external referenced,
# the embedded summary equal to --json, the script ran to the end, the screenshot not blank. Also:
# the same sim run gives the same bytes.
# Exit 77 (skip) without Chromium.
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
src=$2
work=$3
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$chromium_bin" ]] || skip "chromium not installed (Debian package 'chromium'; scripts/deps.sh test installs it)"
rm -rf "$work"
mkdir -p "$work"
cd "$src" || exit 1
failed=0

render() {  # render NAME: NAME.html -> NAME.png (screenshot) and NAME.dom.html (rendered DOM)
  local profile
  profile=$(mktemp -d)
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars --window-size=1400,1000)
  "$chromium_bin" "${flags[@]}" --screenshot="$work/$1.png" "file://$work/$1.html" >/dev/null 2>&1
  "$chromium_bin" "${flags[@]}" --dump-dom "file://$work/$1.html" >"$work/$1.dom.html" 2>/dev/null
  rm -rf "$profile"
}

check() {  # check NAME [--rows N]
  local name=$1
  shift
  render "$name"
  if ! python3 "$src/tests/harness/report_check.py" "$work/$name.html" "$work/$name.json" "$work/$name.png" \
      "$work/$name.dom.html" "$@"; then
    failed=1
  fi
}

expect_exit() {  # expect_exit WANT CMD...: runs CMD, fails the test unless it exits WANT
  local want=$1
  shift
  "$@"
  local rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL: exit $rc, want $want: $*"
    failed=1
  fi
}

# The seed flow: one datagram, six hops; no drops.
expect_exit 0 "$tunlab" run scenarios/seed-vpn.yaml --json --report "$work/seed.html" >"$work/seed.json"
check seed --rows 6

# PMTU: a DF packet one byte over the tunnel MTU; app B answers 3/4, drops with a reason.
expect_exit 0 "$tunlab" run scenarios/pmtu-df-oversize.yaml --json --report "$work/pmtu.html" >"$work/pmtu.json"
check pmtu
if ! grep -q '"r":"encap-too-big-df"' "$work/pmtu.html"; then
  echo "FAIL: pmtu report does not place the encap-too-big-df drop"
  failed=1
fi

# A lossy sweep with failing seeds: overview, failures by kind, the first failing run in detail.
expect_exit 1 "$tunlab" sweep scenarios/seed-vpn.yaml --seeds 1..100 --jobs 1 --fault wan.right:loss=0.1 --json \
  --report "$work/sweep.html" >"$work/sweep.json" 2>/dev/null
check sweep
if ! grep -q ',"run_summary":{' "$work/sweep.html"; then
  echo "FAIL: sweep report lacks the first failing seed's run"
  failed=1
fi

# Determinism: the same simulated run gives a byte-identical report.
"$tunlab" run scenarios/seed-vpn.yaml --json --report "$work/seed-again.html" >/dev/null
if ! cmp -s "$work/seed.html" "$work/seed-again.html"; then
  echo "FAIL: two runs of the seed scenario gave different reports"
  failed=1
fi

# A diff of two runs that differ (TTL fixed at 100 on one side): rows marked, summary embedded.
"$tunlab" run scenarios/seed-vpn.yaml --capture "$work/cap-a" >/dev/null
"$tunlab" run scenarios/ttl-fixed.yaml --capture "$work/cap-b" >/dev/null
"$tunlab" diff "$work/cap-a" "$work/cap-b" --report "$work/diff.html" >/dev/null
python3 - "$work/diff.html" "$work/diff.json" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
data = json.loads(re.search(r'id="tunlab-data">(.*?)</script>', html, re.S).group(1))
json.dump(data["summary"], open(sys.argv[2], "w"))
PY
check diff
if ! grep -q '"diff":\["' "$work/diff.html"; then
  echo "FAIL: diff report marks no differing row"
  failed=1
fi
# Its changed rows name the field as the page does ("TTL"), not by the data's key ("ttl"), and no
# node is printed as "[object ...]".
python3 - "$work/diff.dom.html" <<'PY' || failed=1
import re, sys
dom = open(sys.argv[1]).read()
if "[object" in dom:
    sys.exit("FAIL: diff report: a node printed as [object ...]")
why = re.findall(r'<tr class="[^"]*\bdiff-changed\b[^"]*".*?<td class="why">([^<]*)</td>', dom)
if not why or any(w not in ("TTL", "inner TTL") for w in why):
    sys.exit(f"FAIL: diff report: changed rows should differ in TTL alone, got {why}")
keys = [w for w in re.findall(r'<td class="why">([^<]*)</td>', dom) if re.search(r"\b(ttl|tos|sp|dp|pl|it|ic)\b", w)]
if keys:
    sys.exit(f"FAIL: diff report: fields named by their JSON keys: {keys}")
PY

# A lossy run against a clean one, same scenario and seed: every packet lost (or never sent
# because its request was lost) is one gap row on the lossy side, and nothing else differs; a
# loss must not mark the rows after it changed.
"$tunlab" run scenarios/replay-mixed.yaml --seed 7 --capture "$work/cap-clean" >/dev/null
"$tunlab" run scenarios/replay-mixed.yaml --seed 7 --fault wan.right:loss=0.1 --capture "$work/cap-lossy" --json \
  >"$work/lossy-run.json"
"$tunlab" diff "$work/cap-clean" "$work/cap-lossy" --report "$work/diff-loss.html" >/dev/null
python3 - "$work/diff-loss.html" "$work/diff-loss.json" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
data = json.loads(re.search(r'id="tunlab-data">(.*?)</script>', html, re.S).group(1))
json.dump(data["summary"], open(sys.argv[2], "w"))
PY
check diff-loss
python3 - "$work/diff-loss.dom.html" "$work/cap-clean" "$work/cap-lossy" "$work/lossy-run.json" <<'PY' || failed=1
import json, os, re, struct, sys
dom, clean, lossy = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
lost_on_link = json.load(open(sys.argv[4]))["dropped"].get("link-loss", 0)

def records(path):  # pcap records (all IPv4 here)
    data = open(path, "rb").read()
    count, at = 0, 24
    while at < len(data):
        at += 16 + struct.unpack("<I", data[at + 8:at + 12])[0]
        count += 1
    return count

problems = []
if "[object" in dom:
    problems.append("a node printed as [object ...]")
if lost_on_link == 0:
    problems.append("the lossy run lost nothing; pick another seed")
changed = len(re.findall(r'<tr class="[^"]*\bdiff-changed\b', dom))
if changed:
    problems.append(f"{changed} rows marked changed by a loss-only fault (a cascade)")
cards = {}
for card in dom.split('<section class="card">')[1:]:
    name = re.match(r"<h2>([^<]+)", card)
    if name:
        cards[name.group(1)] = card
for pcap in sorted(os.listdir(clean)):
    name = pcap[:-len(".pcap")]
    missing = records(os.path.join(clean, pcap)) - records(os.path.join(lossy, pcap))
    gaps = re.findall(r'<tr class="[^"]*\bdiff-gap\b[^"]*" data-gap="([ab])"', cards.get(name, ""))
    if len(gaps) != missing or set(gaps) - {"b"}:
        problems.append(f"{name}: {len(gaps)} gap rows ({''.join(gaps)}), want {missing} missing in B")
# Right after the lossy link, the forward flow's gaps are exactly the packets the link lost.
flow = re.search(r'>flow 18\.12\.0\.92 &gt; 18\.13\.0\.91</span>(.*?)</table>', cards.get("right-eth0", ""), re.S)
if not flow or flow.group(1).count("diff-gap") != lost_on_link:
    problems.append(f"right-eth0: the forward flow's gaps are not the {lost_on_link} packets lost on wan.right")
for p in problems:
    print("FAIL: loss diff report: " + p)
sys.exit(1 if problems else 0)
PY

# Replay takes --report too (checked without rendering: the page is the run page above).
expect_exit 0 "$tunlab" replay fixtures/mixed-100.pcap --json --report "$work/replay.html" >"$work/replay.json"
python3 - "$work/replay.html" "$work/replay.json" <<'PY' || failed=1
import json, re, sys
html = open(sys.argv[1]).read()
data = json.loads(re.search(r'id="tunlab-data">(.*?)</script>', html, re.S).group(1))
if data["summary"] != json.load(open(sys.argv[2])) or len(data["run"]["packets"]) < 100:
    sys.exit("FAIL: replay report: summary differs or packets missing")
PY

# conform --report: the table first, every case that ran linked to its own run page, which renders.
expect_exit 0 "$tunlab" conform --report "$work/conform.html" >/dev/null
render conform
python3 - "$work/conform.dom.html" "$work" <<'PY' || failed=1
import os, re, sys
dom = open(sys.argv[1]).read()
body = dom[dom.index("<body>"):]
if body.index('<table id="summary">') > body.index("</h1>") + 200 or "<tr" not in body:
    sys.exit("FAIL: conform report: the table is not first")
links = re.findall(r'<a href="([^"]+)">', body)
rows = body.count('<tr class="')
if len(links) != rows - body.count('<tr class="not-applicable"') or not links:
    sys.exit(f"FAIL: conform report: {len(links)} links for {rows} rows")
for link in links:
    if not os.path.exists(os.path.join(sys.argv[2], link)):
        sys.exit("FAIL: conform report: missing " + link)
PY
python3 - "$work/conform-cases/rfc2003-3.1-outer-ttl.html" "$work/conform-cases/rfc2003-3.1-outer-ttl.json" <<'PY'
import json, re, sys
html = open(sys.argv[1]).read()
data = json.loads(re.search(r'id="tunlab-data">(.*?)</script>', html, re.S).group(1))
json.dump(data["summary"], open(sys.argv[2], "w"))
PY
check conform-cases/rfc2003-3.1-outer-ttl

# The tunnel banner of an app B other than tunlab's engine names it and what it sent, not the
# engine's configuration.
if command -v python3 >/dev/null; then
  expect_exit 0 "$tunlab" run examples/external-ipip/seed-external.yaml --json --report "$work/external.html" >"$work/external.json"
  check external
  if ! grep -q 'app command python3 .* outer ttl seen 64 · tos seen 0x00/0xb8' "$work/external.dom.html"; then
    echo "FAIL: the external app's banner does not name it with what it sent"
    failed=1
  fi
fi

# A bad path is bad input: exit 2 with one line naming it.
expect_exit 2 "$tunlab" run scenarios/seed-vpn.yaml --report /nonexistent-dir/x.html
exit $failed
