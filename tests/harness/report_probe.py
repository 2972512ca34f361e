#!/usr/bin/env python3
"""report_probe.py REPORT.html WIDTHxHEIGHT [HASH] [--screenshot PNG]: renders one report in headless
Chromium at that window size (opened at #HASH when given) and prints, as JSON, what a reader of the
rendered page gets: measured by a probe script appended to a copy of the page, after the page's own
script ran, from the live DOM and its layout boxes.

Printed members:
  rendered, render_ms       body data-rendered / data-render-ms (the page script's end, from navigation)
  drops                     [[data-packet, data-drop], ...] of the drop list's entries
  packets                   distinct data-packet values anywhere on the page
  drawn_drops               [[data-packet, data-drop], ...] of drop rows drawn on the diagram
  row_times                 the time (ns) of each row the diagram draws, top down
  all_row_times             the same for every row of every window of the diagram
  selected                  data-packet values of the selected (highlighted) rows; panel: its title
  bars                      per histogram bar with a lane: lane, t0 (ns), x0/x1 (its left and right
                            edge as a fraction of its histogram's width), columns, bucket_ns
  clipped                   elements whose text is cut: a box with hidden/clipped overflow narrower than
                            its content, or a diagram text reaching past the diagram's right edge
  page_scroll_x             how far the page itself scrolls sideways (the diagram scrolls in its card)
  failed_box                the "What failed" box's top and bottom (px) and its text, when present
  closest_marks             diagram marks of a failed expectation's closest packet
  text                      the page's visible text (to look for "[object" and the like)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

PROBE = r"""
<script>
(function () {
  const out = {};
  out.rendered = document.body.getAttribute("data-rendered");
  out.render_ms = Number(document.body.getAttribute("data-render-ms"));
  out.drops = [...document.querySelectorAll("#droplist [data-drop]")].map(e => [e.getAttribute("data-packet"), e.getAttribute("data-drop")]);
  out.packets = [...new Set([...document.querySelectorAll("[data-packet]")].map(e => e.getAttribute("data-packet")))];
  out.drawn_drops = [...document.querySelectorAll("#path-svg .row[data-drop]")].map(e => [e.getAttribute("data-packet"), e.getAttribute("data-drop")]);
  out.row_times = [...document.querySelectorAll("#path-svg .row")].map(e => Number(e.getAttribute("data-t")));
  // Every row the diagram can show (in its windows of rows): the page's own index, a global of its script.
  out.all_row_times = typeof PATH_INDEX !== "undefined" && PATH_INDEX ? PATH_INDEX.rows.map(r => r.e.t) : [];
  out.selected = [...new Set([...document.querySelectorAll("#path-svg .row.sel")].map(e => e.getAttribute("data-packet")))];
  const title = document.querySelector("#panel.open h3");
  out.panel = title ? title.textContent : null;
  out.bars = [];
  for (const svg of document.querySelectorAll("svg.spark")) {
    const box = svg.getBoundingClientRect();
    for (const r of svg.querySelectorAll("rect[data-lane]")) {
      const b = r.getBoundingClientRect();
      out.bars.push({ lane: Number(r.getAttribute("data-lane")), t0: Number(r.getAttribute("data-t0")),
        x0: (b.left - box.left) / box.width, x1: (b.right - box.left) / box.width,
        columns: Number(svg.getAttribute("data-columns")), bucket_ns: Number(svg.getAttribute("data-bucket-ns")) });
    }
  }
  out.clipped = [];
  const describe = e => (e.id ? "#" + e.id : e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined ? "." + e.className : "")) + ": " + (e.textContent || "").slice(0, 60);
  for (const e of document.querySelectorAll("body *")) {
    if (e.closest("svg") && e.tagName.toLowerCase() !== "svg") continue;
    const st = getComputedStyle(e);
    const hides = v => v === "hidden" || v === "clip";
    if ((hides(st.overflowX) && e.scrollWidth > e.clientWidth + 1) || (hides(st.overflowY) && e.scrollHeight > e.clientHeight + 1)) {
      if (e.id !== "panel" && !e.closest("#panel:not(.open)")) out.clipped.push(describe(e));
    }
  }
  const svg = document.getElementById("path-svg");
  if (svg) {
    const right = svg.getBoundingClientRect().right;
    for (const t of svg.querySelectorAll("text")) {
      if (t.getBoundingClientRect().right > right + 1) out.clipped.push("diagram text: " + t.textContent.slice(0, 60));
    }
  }
  out.page_scroll_x = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  const failed = document.getElementById("what-failed");
  out.failed_box = failed ? { top: failed.getBoundingClientRect().top + window.scrollY, bottom: failed.getBoundingClientRect().bottom + window.scrollY, text: failed.innerText } : null;
  out.closest_marks = document.querySelectorAll("#path-svg .closest").length;
  out.text = document.body.innerText;
  const pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = JSON.stringify(out);
  document.body.append(pre);
})();
</script>
"""


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main():
    args = sys.argv[1:]
    screenshot = None
    if "--screenshot" in args:
        i = args.index("--screenshot")
        screenshot = args[i + 1]
        del args[i:i + 2]
    report, size = args[0], args[1]
    fragment = args[2] if len(args) > 2 else ""
    width, height = size.split("x")
    binary = chromium()
    if not binary:
        sys.exit("chromium not installed")
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(tmp, "probe.html")
        html = open(report, encoding="utf-8").read()
        at = html.rindex("</body>")
        with open(page, "w", encoding="utf-8") as out:
            out.write(html[:at] + PROBE + html[at:])
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--user-data-dir=" + os.path.join(tmp, "profile"), "--hide-scrollbars",
                 f"--window-size={width},{height}"]
        url = "file://" + page + fragment
        dom = subprocess.run([binary] + flags + ["--dump-dom", url], capture_output=True, text=True, timeout=300).stdout
        if screenshot:
            # The screenshot is of the page as a reader opens it, without the probe.
            shot_flags = [f for f in flags if not f.startswith("--user-data-dir")]
            subprocess.run([binary] + shot_flags + ["--user-data-dir=" + os.path.join(tmp, "profile2"),
                                                    "--screenshot=" + screenshot, "file://" + os.path.abspath(report) + fragment],
                           capture_output=True, timeout=300)
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', dom, re.DOTALL)
    if not m:
        sys.exit("report_probe: the probe did not run (the page's script failed?)")
    text = m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    print(text)


if __name__ == "__main__":
    main()
