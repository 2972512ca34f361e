#!/usr/bin/env bash
# report_reader_test.sh TUNLAB SOURCE_DIR WORK_DIR: the run report as its reader gets it, measured in
# headless Chromium from the rendered DOM and its layout boxes (report_probe.py):
#   - large runs (100,000 and 1,000,000 datagrams, 0.1 % loss on the wan): every packet the
#     accounting counts dropped is in the drop list, every data-packet label is one the run sent,
#     the page's script ends within 3 s and the page weighs at most 5 MB; the diagram's rows,
#     drops among them, run forward in time;
#   - the seed and a PMTU run: every hop falls in a histogram bar of its lane drawn at its time
#     (within one bucket); #packet=3 selects the scenario's #3;
#   - a failing run: the "What failed" box is on the first screen (1600x1200) with the closest
#     packet, which is marked on the diagram;
#   - nothing is clipped at 1280 px (run pages and a diff), and the page itself does not scroll sideways.
# Exit 77 (skip) without Chromium.
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
src=$2
work=$3
command -v chromium >/dev/null || skip "chromium not installed (Debian package 'chromium'; scripts/deps.sh test installs it)"
rm -rf "$work"
mkdir -p "$work"
cd "$src" || exit 1
failed=0
probe() { python3 "$src/tests/harness/report_probe.py" "$@"; }

# check NAME PROBE.json SUMMARY.json CHECKS...: runs the named checks of the python below.
check() {
  python3 - "$@" <<'PY' || failed=1
import json, re, sys
name, probe_file, report_file, summary_file, *checks = sys.argv[1:]
probe = json.load(open(probe_file))
summary = json.load(open(summary_file))
html = open(report_file, encoding="utf-8").read()
data = json.loads(re.search(r'id="tunlab-data">(.*?)</script>', html, re.S).group(1))
problems = []
if probe["rendered"] != "ok":
    problems.append(f"the page's script did not finish: data-rendered={probe['rendered']}")
for check in checks:
    if check == "drops":
        total = sum(summary["dropped"].values())
        listed = probe["drops"]
        if len(listed) != total or len({p for p, _ in listed}) != total:
            problems.append(f"{len(listed)} drops in the drop list ({len({p for p, _ in listed})} packets), the summary counts {total}")
        by_reason = {}
        for _, reason in listed:
            by_reason[reason] = by_reason.get(reason, 0) + 1
        if by_reason != summary["dropped"]:
            problems.append(f"drop list by reason {by_reason} != summary {summary['dropped']}")
        if total == 0:
            problems.append("no drop at all: the check would prove nothing")
    elif check == "time-ordered":
        for key in ("row_times", "all_row_times"):
            times = probe[key]
            back = [i for i in range(1, len(times)) if times[i] < times[i - 1]]
            if back or len(times) < 2:
                problems.append(f"{key}: the diagram's rows run back in time at rows {back[:3]} ({len(times)} rows)")
        if not probe["drawn_drops"]:
            problems.append("no drop drawn on the diagram")
    elif check == "labels":
        bad = [p for p in probe["packets"] if not p.isdigit() or not 1 <= int(p) <= summary["injected"]]
        if bad or not probe["packets"]:
            problems.append(f"data-packet labels the run never sent: {bad[:5]} ({len(probe['packets'])} labels)")
    elif check.startswith("render_ms<="):
        if not 0 < probe["render_ms"] <= int(check.split("=")[1]):
            problems.append(f"the page's script ended after {probe['render_ms']} ms")
    elif check.startswith("bytes<="):
        if len(html.encode()) > int(check.split("=")[1]):
            problems.append(f"the page is {len(html.encode())} bytes")
    elif check == "histogram":
        bars = probe["bars"]
        if not bars:
            problems.append("no histogram bar with a lane")
        for hop in data["run"]["hops"]:
            mine = [b for b in bars if b["lane"] == hop["l"] and b["t0"] <= hop["t"] < b["t0"] + b["bucket_ns"]]
            if not mine:
                problems.append(f"hop at {hop['t']} ns on lane {hop['l']}: no bar of its lane at that time")
                continue
            b = mine[0]
            drawn_at = (b["x0"] + b["x1"]) / 2 * b["columns"] * b["bucket_ns"]
            if abs(drawn_at - hop["t"]) > b["bucket_ns"]:
                problems.append(f"hop at {hop['t']} ns drawn at {drawn_at:.0f} ns (bucket {b['bucket_ns']} ns)")
    elif check.startswith("selected="):
        want = check.split("=")[1]
        if probe["selected"] != [want] or probe["panel"] != f"Packet #{want}":
            problems.append(f"selected {probe['selected']}, panel {probe['panel']!r}; want #{want}")
    elif check == "first-screen-failure":
        box = probe["failed_box"]
        if not box or box["bottom"] > 1200:
            problems.append(f"the What failed box is not on the first screen: {box and (box['top'], box['bottom'])}")
        elif not re.search(r"closest: #\d+", box["text"]) or "✗" not in box["text"]:
            problems.append("the What failed box does not name the failed expectation's closest packet: " + box["text"][:200])
        if probe["closest_marks"] < 1:
            problems.append("the closest packet is not marked on the diagram")
    elif check == "unclipped":
        if probe["clipped"]:
            problems.append(f"clipped at 1280 px: {probe['clipped'][:5]}")
        if probe["page_scroll_x"] > 0:
            problems.append(f"the page scrolls sideways by {probe['page_scroll_x']} px at 1280 px")
    elif check == "no-object-text":
        if "[object" in probe["text"]:
            problems.append("'[object' in the page's text")
    else:
        problems.append("unknown check " + check)
for p in problems:
    print(f"FAIL {name}: {p}")
sys.exit(1 if problems else 0)
PY
}

# report NAME ARGS...: tunlab ARGS --json --report NAME.html > NAME.json (exit 0 or 1).
report() {
  local name=$1
  shift
  "$tunlab" "$@" --json --report "$work/$name.html" >"$work/$name.json"
  local rc=$?
  if [[ $rc -gt 1 ]]; then
    echo "FAIL $name: tunlab $* exited $rc"
    failed=1
  fi
}

# Large runs with loss.
for count in 100000 1000000; do
  sed "s/COUNT/$count/g" tests/harness/report/bulk-template.yaml >"$work/bulk-$count.yaml"
  report "bulk-$count" run "$work/bulk-$count.yaml" --fault wan.right:loss=0.001
  probe "$work/bulk-$count.html" 1280x1000 >"$work/bulk-$count.probe.json" || failed=1
  check "bulk-$count" "$work/bulk-$count.probe.json" "$work/bulk-$count.html" "$work/bulk-$count.json" \
    drops labels render_ms\<=3000 bytes\<=5000000 unclipped no-object-text time-ordered
done

# The seed and a PMTU run: histograms at the hops' times; #packet=3 is the scenario's #3.
report seed run scenarios/seed-vpn.yaml
probe "$work/seed.html" 1280x1000 >"$work/seed.probe.json" || failed=1
check seed "$work/seed.probe.json" "$work/seed.html" "$work/seed.json" histogram labels unclipped no-object-text
report pmtu run scenarios/pmtu-wan-mtu-lowered.yaml
probe "$work/pmtu.html" 1280x1000 "#packet=3" >"$work/pmtu.probe.json" || failed=1
check pmtu "$work/pmtu.probe.json" "$work/pmtu.html" "$work/pmtu.json" histogram selected=3 labels unclipped no-object-text

# A failing run: what failed, first, with its closest packet on the diagram.
report failing run tests/harness/report/failing-ttl.yaml
probe "$work/failing.html" 1600x1200 --screenshot "$work/failing.png" >"$work/failing.probe.json" || failed=1
check failing "$work/failing.probe.json" "$work/failing.html" "$work/failing.json" first-screen-failure labels
probe "$work/failing.html" 1280x1000 >"$work/failing-1280.probe.json" || failed=1
check failing-1280 "$work/failing-1280.probe.json" "$work/failing.html" "$work/failing.json" unclipped no-object-text
# A diff of a lossy run against a clean one at 1280 px: nothing clipped, no "[object" text.
"$tunlab" run tests/harness/report/failing-ttl.yaml --capture "$work/diff-clean" >/dev/null
"$tunlab" run tests/harness/report/failing-ttl.yaml --fault wan.right:drop_nth=2 --capture "$work/diff-lossy" >/dev/null
"$tunlab" diff "$work/diff-clean" "$work/diff-lossy" --report "$work/diff.html" >/dev/null
python3 -c 'import json, re, sys; html = open(sys.argv[1]).read(); json.dump(json.loads(re.search(r"id=\"tunlab-data\">(.*?)</script>", html, re.S).group(1))["summary"], open(sys.argv[2], "w"))' \
  "$work/diff.html" "$work/diff.json"
probe "$work/diff.html" 1280x1000 >"$work/diff.probe.json" || failed=1
check diff "$work/diff.probe.json" "$work/diff.html" "$work/diff.json" unclipped no-object-text
exit $failed
