#!/usr/bin/env python3
"""report_check.py REPORT.html SUMMARY.json SCREENSHOT.png DOM.html [--rows N]

Checks one HTML report of tunlab:
  - it references nothing outside itself (no http:/https:, no src/href/url() to anything but
    data: or #fragments, no <link>, no @import), in the file and in the DOM Chromium rendered;
  - its embedded data block (<script type="application/json" id="tunlab-data">) has a "summary"
    equal to the command's --json output;
  - Chromium ran its script to the end without an error (body data-rendered="ok");
  - the screenshot is not blank: a PNG decoded here with zlib, with many distinct colours and
    enough pixels that are not the background;
  - with --rows N, the sequence diagram drew N rows (hops + drops of the detailed packets).
Exit 0 when every check holds, 1 with one line per failed check otherwise.
"""
import json
import re
import struct
import sys
import zlib


def fail(problems, text):
    problems.append(text)


def external_references(html):
    found = []
    for pattern in (r"https?:", r"<link\b", r"@import", r"""\b(?:src|href|xlink:href)\s*=\s*["']?(?!data:|#|["'])""",
                    r"""url\(\s*["']?(?!data:|#)"""):
        for m in re.finditer(pattern, html, re.IGNORECASE):
            found.append(html[max(0, m.start() - 30):m.end() + 30].replace("\n", " "))
    return found


def embedded_data(html):
    m = re.search(r'<script type="application/json" id="tunlab-data">(.*?)</script>', html, re.DOTALL)
    if not m:
        return None
    return json.loads(m.group(1))


def decode_png(path):
    """Returns (width, height, rows of RGB(A) tuples as bytes) for 8-bit RGB/RGBA PNGs."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace != 0:
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    args = sys.argv[1:]
    rows_wanted = None
    if "--rows" in args:
        i = args.index("--rows")
        rows_wanted = int(args[i + 1])
        del args[i:i + 2]
    report_path, summary_path, png_path, dom_path = args
    problems = []
    html = open(report_path, encoding="utf-8").read()
    refs = external_references(html)
    if refs:
        fail(problems, f"{report_path}: external reference(s): {refs[:3]}")
    data = embedded_data(html)
    if data is None:
        fail(problems, f"{report_path}: no tunlab-data block")
    else:
        summary = json.load(open(summary_path, encoding="utf-8"))
        if data.get("summary") != summary:
            fail(problems, f"{report_path}: embedded summary differs from {summary_path}")

    dom = open(dom_path, encoding="utf-8", errors="replace").read()
    if 'data-rendered="ok"' not in dom:
        err = re.search(r'<div id="tunlab-error"[^>]*>(.*?)</div>', dom, re.DOTALL)
        fail(problems, f"{report_path}: the page did not render: {err.group(1) if err else 'no data-rendered marker'}")
    refs = external_references(dom)
    if refs:
        fail(problems, f"{report_path}: rendered DOM has external reference(s): {refs[:3]}")
    if rows_wanted is not None:
        drawn = len(re.findall(r'<g class="row[ "]', dom))
        if drawn != rows_wanted:
            fail(problems, f"{report_path}: sequence diagram has {drawn} rows, want {rows_wanted}")

    width, height, channels, rows = decode_png(png_path)
    colours, counts = set(), {}
    for row in rows[::2]:
        for x in range(0, width * channels, channels * 2):
            px = row[x:x + 3]
            colours.add(px)
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    background = max(counts.values()) / total
    if len(colours) < 64 or background > 0.97:
        fail(problems, f"{png_path}: looks blank ({len(colours)} colours, {background:.1%} one colour)")
    for p in problems:
        print("FAIL", p)
    if not problems:
        print(f"ok {report_path}: {len(html)} bytes, screenshot {width}x{height} with {len(colours)} colours")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
