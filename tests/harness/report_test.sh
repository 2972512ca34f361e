#!/usr/bin/env bash
# report_test.sh TUNLAB SOURCE_DIR WORK_DIR: `--report` pages of the seed scenario, a PMTU scenario,
# a lossy sweep (with failing seeds) and a diff, each rendered by headless Chromium and checked
# by report_check.py: nothing external referenced, the embedded summary equal to --json, the
# script ran to the end, the screenshot not blank. Also: the same sim run gives the same bytes.
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
