#!/usr/bin/env bash
# hostile_output_test.sh TUNLAB SOURCE_DIR CASE
#
# Hostile input, third round (docs/hostile-input.md): names and files made to break what tunlab
# writes for people and programs (the terminal, JSON, JUnit, the HTML report), runs that never
# end, huge seed ranges and thread counts, the shrink writer and `command:` placeholders. Each
# case is one ctest; each failed on the commit before its fix.
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
src=$2 case=$3
test_label=$case
make_tmp

# A scenario on the seed topology: one datagram, and the expectation named $1.
one_datagram() {
  printf 'name: hostile\ntopology: seed\ntraffic:\n  - {at: 0ms, from: left, udp: {dst: "10.0.0.22:9000", size: 64}}\nexpect:\n  - {name: "%s", delivered: %s}\n' \
    "$1" "${2:-1}"
}

# The report's data block: parses as JSON and holds nothing an HTML parser reads as markup.
check_data_block() {
  python3 - "$1" <<'EOF' || fail "report $1: data block broken"
import json, re, sys
html = open(sys.argv[1], encoding="utf-8", errors="strict").read()
blocks = re.findall(r'<script type="application/json" id="tunlab-data">(.*?)</script>', html, re.DOTALL)
assert len(blocks) == 1, f"{len(blocks)} data blocks"
data = blocks[0]
for bad in ("<!--", "<script", "</"):
    assert bad not in data.lower(), f"data block holds {bad!r}"
json.loads(data)
title = re.search(r"<title>(.*?)</title>", html, re.DOTALL).group(1)
assert "TUNLAB-DATA" not in html.split("<title>")[0], "marker before the title"
assert '"kind"' not in title, "the data went into <title>"
EOF
}

# Renders REPORT in Chromium (when installed) within 60 s; the page's script must end without error.
render_ok() {
  local chromium_bin
  chromium_bin=$(command -v chromium || command -v chromium-browser || true)
  [[ -n "$chromium_bin" ]] || return 0
  timeout 60 "$chromium_bin" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chromium" \
    --virtual-time-budget=5000 --dump-dom "file://$1" >"$tmp/dom.html" 2>/dev/null ||
    fail "chromium did not render $1 within 60 s (exit $?)"
  grep -q 'data-rendered="ok"' "$tmp/dom.html" || fail "$1 did not render: $(grep -o 'report script error[^<]*' "$tmp/dom.html")"
}

# No byte a terminal acts on (ESC, CR, other C0 and C1 controls, invalid UTF-8) in FILE, newlines aside.
no_control_bytes() {
  python3 - "$1" <<'EOF' || fail "$1 carries control bytes: $(od -c "$1" | head -20)"
import sys
text = open(sys.argv[1], "rb").read().decode("utf-8")  # strict: invalid UTF-8 fails
bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
assert not bad, bad
EOF
}

json_ok() { python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$1" || fail "$1: not JSON: $(head -c 300 "$1")"; }
junit_ok() { python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1" || fail "$1: JUnit not well-formed"; }

case $case in
  report_comment_script)
    # 1. "<!--<script>" in an expectation name and in a folder name leaves the data block open.
    mkdir -p "$tmp/<!--<script>"
    one_datagram '<!--<script> x' >"$tmp/<!--<script>/s.yaml"
    "$tunlab" run "$tmp/<!--<script>/s.yaml" --report "$tmp/r.html" --capture "$tmp/<!--<script>/c" >/dev/null ||
      fail "run exited $?"
    check_data_block "$tmp/r.html"
    render_ok "$tmp/r.html"
    ;;
  report_title_marker)
    # 2. A diff folder whose name holds the data marker: the data stays in its block.
    mkdir -p "$tmp/a/*TUNLAB-DATA*/x" "$tmp/b"
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" --capture "$tmp/a/*TUNLAB-DATA*/x" >/dev/null || fail "run exited $?"
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" --capture "$tmp/b" >/dev/null || fail "run exited $?"
    "$tunlab" diff "$tmp/a/*TUNLAB-DATA*/x" "$tmp/b" --report "$tmp/r.html" >/dev/null || fail "diff exited $?"
    check_data_block "$tmp/r.html"
    render_ok "$tmp/r.html"
    ;;
  report_big_seeds)
    # 3. Seeds >= 2^53: the sweep page loops over exact seeds (BigInt) and prints them exactly.
    "$tunlab" sweep "$src/scenarios/seed-vpn.yaml" --seeds 18446744073709551613..18446744073709551615 --jobs 1 \
      --report "$tmp/r.html" >/dev/null 2>&1 || fail "sweep exited $?"
    check_data_block "$tmp/r.html"
    command -v chromium >/dev/null || skip "chromium not installed"
    render_ok "$tmp/r.html"
    grep -q 'seed 18446744073709551614: passed' "$tmp/dom.html" || fail "seed 18446744073709551614 not shown exactly"
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" --seed 18446744073709551614 --report "$tmp/run.html" >/dev/null ||
      fail "run exited $?"
    render_ok "$tmp/run.html"
    grep -q '18446744073709551614' "$tmp/dom.html" || fail "the run report rounds seed 18446744073709551614"
    ;;
  report_memory_hops)
    # 4. Sixty 65,000-byte datagrams over a wan of MTU 68: thousands of hops per packet. The
    # report's memory and size are bounded by its limits, not by the hops of one packet.
    printf 'name: frag-storm\ntopology: seed\nwan_mtu: 68\n' >"$tmp/s.yaml"
    printf 'traffic:\n  - {at: 0ms, from: left, count: 60, interval: 1ms, udp: {dst: "10.0.0.22:9000", size: 65000}}\n' >>"$tmp/s.yaml"
    "$tunlab" check "$tmp/s.yaml" >/dev/null || fail "check: $("$tunlab" check "$tmp/s.yaml" 2>&1)"
    python3 - "$tunlab" "$tmp" <<'EOF' || fail "report too big"
import resource, subprocess, sys, os
tunlab, tmp = sys.argv[1], sys.argv[2]
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)) if not os.environ.get("TUNLAB_SANITIZED") else None
r = subprocess.run([tunlab, "run", tmp + "/s.yaml", "--report", tmp + "/r.html"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, preexec_fn=limit, timeout=300)
assert r.returncode in (0, 1), (r.returncode, r.stderr[-300:])
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
size_mb = os.path.getsize(tmp + "/r.html") / 1e6
print(f"report_memory_hops: peak RSS {rss_mb:.0f} MB, report {size_mb:.1f} MB")
# A sanitized build's allocator keeps freed memory in quarantine: its RSS says little.
assert os.environ.get("TUNLAB_SANITIZED") or rss_mb < 400, f"peak RSS {rss_mb:.0f} MB"
assert size_mb < 30, f"report of {size_mb:.1f} MB"
EOF
    check_data_block "$tmp/r.html"
    ;;
  diff_report_rows)
    # 4. Two captures of 100,000 packets: the diff page draws at most its row limit.
    python3 - "$tmp" <<'EOF'
import struct, sys
for side in "ab":
    import os
    os.makedirs(f"{sys.argv[1]}/{side}", exist_ok=True)
    with open(f"{sys.argv[1]}/{side}/x.pcap", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        for i in range(100000):
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, i & 0xffff, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2 if side == "a" else 3]))
            pkt = ip + struct.pack("!HHHH", 1, 2, 8, 0)
            f.write(struct.pack("<IIII", i // 1000, i % 1000, len(pkt), len(pkt)) + pkt)
EOF
    "$tunlab" diff "$tmp/a" "$tmp/b" --report "$tmp/r.html" >/dev/null
    [[ $? -eq 1 ]] || fail "diff: want exit 1"
    check_data_block "$tmp/r.html"
    size=$(stat -c %s "$tmp/r.html")
    ((size < 20000000)) || fail "diff report of $size bytes"
    render_ok "$tmp/r.html"
    ;;
  not_utf8_names)
    # 5. A Latin-1 folder name and a 0xFF byte in an expectation name: every command ends as it
    # would for any name, its JSON and JUnit well-formed.
    dir=$tmp/$'caf\xe9'
    mkdir -p "$dir"
    one_datagram $'bad \xff name' 2 >"$dir/s.yaml"
    "$tunlab" check "$dir/s.yaml" >/dev/null || fail "check refused it"
    "$tunlab" run "$dir/s.yaml" --json --junit "$tmp/run.xml" --capture "$dir/c" --report "$tmp/r.html" >"$tmp/run.json"
    rc=$?
    [[ $rc -eq 1 ]] || fail "run: want exit 1 (the expectation fails), got $rc: $(head -c 300 "$tmp/run.json")"
    json_ok "$tmp/run.json"
    junit_ok "$tmp/run.xml"
    check_data_block "$tmp/r.html"
    grep -qF 'bad \\xff name' "$tmp/run.json" || fail "the name's bad byte is not written as \\xff"
    "$tunlab" replay "$src/fixtures/seed-udp-raw.pcap" --scenario "$dir/s.yaml" --json >"$tmp/replay.json"
    rc=$?
    [[ $rc -le 1 ]] || fail "replay exited $rc"
    json_ok "$tmp/replay.json"
    "$tunlab" diff "$dir/c" "$dir/c" --report "$tmp/d.html" >/dev/null || fail "diff exited $?"
    check_data_block "$tmp/d.html"
    "$tunlab" sweep "$dir/s.yaml" --seeds 1..2 --jobs 1 --json --junit "$tmp/sweep.xml" --report "$tmp/s.html" \
      >"$tmp/sweep.json" 2>/dev/null
    rc=$?
    [[ $rc -eq 1 ]] || fail "sweep: want exit 1, got $rc"
    json_ok "$tmp/sweep.json"
    junit_ok "$tmp/sweep.xml"
    check_data_block "$tmp/s.html"
    ;;
  seed_not_a_number_json)
    # 6. A bad byte in an option's value: exit 2, stdout {"error": ...}, no abort.
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" --json --seed $'\xff' >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc -eq 2 ]] || fail "exit $rc, want 2"
    json_ok "$tmp/out"
    no_control_bytes "$tmp/err"
    ;;
  junit_nonchars)
    # 7. U+FFFE and U+FFFF are not XML characters.
    one_datagram $'a \xef\xbf\xbe b \xef\xbf\xbf c' 2 >"$tmp/s.yaml"
    "$tunlab" run "$tmp/s.yaml" --junit "$tmp/r.xml" >/dev/null
    [[ $? -eq 1 ]] || fail "run: want exit 1"
    junit_ok "$tmp/r.xml"
    ;;
  run_never_ends_eagain)
    # 8. eagain: 1 never lets app B read: the run stops at its bound, one line, exit 2.
    printf 'name: stuck\ntopology: seed\nfaults:\n  - {device: left.tun0, eagain: 1}\n' >"$tmp/s.yaml"
    printf 'traffic:\n  - {at: 0ms, from: left, udp: {dst: "10.0.0.22:9000", size: 64}}\n' >>"$tmp/s.yaml"
    timeout 300 "$tunlab" run "$tmp/s.yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [[ $rc -eq 2 ]] || fail "exit $rc, want 2 (124: did not end in 300 s)"
    [[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "want one line: $(cat "$tmp/err")"
    grep -q "does not end" "$tmp/err" || fail "the line names no bound: $(cat "$tmp/err")"
    timeout 300 "$tunlab" sweep "$src/scenarios/seed-vpn.yaml" --seeds 1..2 --device-fault left.tun0:eagain=1 \
      >/dev/null 2>"$tmp/err"
    rc=$?
    [[ $rc -eq 2 ]] || fail "sweep --device-fault eagain=1: exit $rc, want 2"
    ;;
  sweep_huge_range)
    # 9. 2^64 seeds: refused at once, in one line naming the bound, before anything is allocated.
    (
      # (ASan's shadow memory needs more address space than any such limit.)
      [[ -n ${TUNLAB_SANITIZED:-} ]] || ulimit -v 4000000
      timeout 60 "$tunlab" sweep "$src/scenarios/seed-vpn.yaml" --seeds 1..18446744073709551615 >"$tmp/out" 2>"$tmp/err"
    )
    rc=$?
    [[ $rc -eq 2 ]] || fail "exit $rc, want 2"
    grep -q "more than the 1000000" "$tmp/err" || fail "no bound named: $(cat "$tmp/err")"
    [[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "want one line: $(cat "$tmp/err")"
    ;;
  terminal_controls)
    # 10. Escape sequences, CR and newlines from names and files never reach the terminal raw.
    evil=$'x\e[2J\rPASS\nok\e]0;t\a'
    mkdir -p "$tmp/$evil"
    one_datagram "$evil" 2 >"$tmp/$evil/s.yaml"
    "$tunlab" run "$tmp/$evil/s.yaml" >"$tmp/run.out" 2>&1
    no_control_bytes "$tmp/run.out"
    "$tunlab" check "$tmp/$evil/s.yaml" >"$tmp/check.out" 2>&1 || fail "check exited $?"
    no_control_bytes "$tmp/check.out"
    "$tunlab" sweep "$tmp/$evil/s.yaml" --seeds 1..2 --jobs 1 >"$tmp/sweep.out" 2>&1
    no_control_bytes "$tmp/sweep.out"
    "$tunlab" run "$src/scenarios/seed-vpn.yaml" --capture "$tmp/a" >/dev/null || fail "run exited $?"
    mkdir -p "$tmp/b" && cp "$tmp/a/left-tun0.pcap" "$tmp/b/$evil.pcap"
    "$tunlab" diff "$tmp/a" "$tmp/b" >"$tmp/diff.out" 2>&1
    no_control_bytes "$tmp/diff.out"
    "$tunlab" run "$evil" --bogus-option "$evil" >"$tmp/parse.out" 2>&1
    no_control_bytes "$tmp/parse.out"
    "$tunlab" replay "$tmp/b/$evil.pcap" >"$tmp/replay.out" 2>&1
    no_control_bytes "$tmp/replay.out"
    ;;
  shrink_writer)
    # 11. A newline in the scenario's file name stays inside the comment line of the shrunk file;
    # --shrink-out naming the input is refused before any seed runs.
    name=$'lossy\nseed: 99\nname: injected'
    printf 'name: lossy\ntopology: seed\nfaults:\n  - {link: wan.right, loss: 0.5}\n' >"$tmp/$name.yaml"
    printf 'traffic:\n  - {at: 0ms, from: left, count: 10, interval: 1ms, udp: {dst: "10.0.0.22:9000", size: 64}}\n' >>"$tmp/$name.yaml"
    printf 'expect:\n  - {delivered: 10}\n' >>"$tmp/$name.yaml"
    cp "$tmp/$name.yaml" "$tmp/before.yaml"
    "$tunlab" sweep "$tmp/$name.yaml" --seeds 1..5 --jobs 1 --shrink --shrink-out "$tmp/$name.yaml" >/dev/null 2>"$tmp/err"
    rc=$?
    [[ $rc -eq 2 ]] || fail "--shrink-out = the input: exit $rc, want 2"
    cmp -s "$tmp/$name.yaml" "$tmp/before.yaml" || fail "the input was overwritten"
    "$tunlab" sweep "$tmp/$name.yaml" --seeds 1..5 --jobs 1 --shrink --shrink-out "$tmp/shrunk.yaml" >/dev/null 2>&1
    [[ $? -eq 1 ]] || fail "sweep: want exit 1"
    [[ -s $tmp/shrunk.yaml ]] || fail "nothing shrunk"
    python3 - "$tmp/shrunk.yaml" <<'EOF' || fail "the file name injected YAML: $(head -5 "$tmp/shrunk.yaml")"
import sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[0].startswith("# Shrunk by"), lines[0]
assert not any(l.startswith("name: injected") for l in lines), lines[:5]
assert lines[1] and not lines[1].startswith("#"), lines[:3]
EOF
    "$tunlab" check "$tmp/shrunk.yaml" | grep -q "ok" || fail "shrunk file does not load"
    ;;
  command_quoted_placeholder)
    # 12. A quoted {scenario_dir} is refused (its quoting would be taken apart); unquoted, a folder
    # named $(...) or `...` stays a name.
    printf 'name: q\ntopology: seed\ntunnels:\n  - {host: left, command: "true \\"{scenario_dir}/x\\""}\n' >"$tmp/q.yaml"
    "$tunlab" check "$tmp/q.yaml" >/dev/null 2>"$tmp/err"
    rc=$?
    [[ $rc -eq 2 ]] || fail "a quoted placeholder: exit $rc, want 2"
    grep -q "placeholder {scenario_dir} inside double quotes" "$tmp/err" || fail "$(cat "$tmp/err")"
    printf "name: q\ntopology: seed\ntunnels:\n  - {host: left, command: \"true '{scenario_dir}'\"}\n" >"$tmp/q.yaml"
    "$tunlab" check "$tmp/q.yaml" >/dev/null 2>&1
    [[ $? -eq 2 ]] || fail "a single-quoted placeholder: want exit 2"
    printf 'name: q\ntopology: seed\ntunnels:\n  - {host: left, command: "true {scenario_dir}/\\"x\\""}\n' >"$tmp/q.yaml"
    "$tunlab" check "$tmp/q.yaml" >/dev/null || fail "an unquoted placeholder refused"
    ;;
  sweep_jobs_degrade)
    # 13. --jobs 1024 where the system gives far fewer threads: every seed's result is kept.
    [[ -z ${TUNLAB_SANITIZED:-} ]] || skip "an address-space limit does not fit a sanitized build"
    (
      ulimit -s 262144 # 256 MiB stacks: a 1 GiB address space holds only a few threads
      ulimit -v 1500000
      "$tunlab" sweep "$src/scenarios/seed-vpn.yaml" --seeds 1..50 --jobs 1024 --json >"$tmp/out" 2>"$tmp/err"
    )
    rc=$?
    [[ $rc -eq 0 ]] || fail "exit $rc, want 0: $(cat "$tmp/err")"
    [[ $(json_field "$tmp/out" "d['seeds'], d['passed']") == "(50, 50)" ]] || fail "results lost: $(head -c 300 "$tmp/out")"
    ;;
  *)
    fail "unknown case $case"
    ;;
esac
