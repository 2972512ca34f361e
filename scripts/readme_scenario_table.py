#!/usr/bin/env python3
"""Rewrites the scenario table in README.md from scenarios/*.yaml (name, description, real), and
the schema block in docs/scenarios.md from the comment at the top of scenario/src/scenario_loader.cpp.

Run after adding or changing a scenario or the schema comment; tests/readme_test.sh fails when
either is stale. With --check, exits 1 (naming the stale file) instead of writing.
"""
import glob
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
begin, end = "<!-- scenario-table begin -->", "<!-- scenario-table end -->"


def table():
    rows = ["| scenario | what it pins down | real |", "| --- | --- | --- |"]
    for path in sorted(glob.glob(os.path.join(root, "scenarios", "*.yaml"))):
        text = open(path, encoding="utf-8").read()
        name = re.search(r"^name:\s*(\S+)", text, re.M).group(1)
        description = re.search(r"^description:\s*(.+)$", text, re.M).group(1).strip()
        real = "yes" if re.search(r"^real:\s*true\b", text, re.M) else "sim only"
        rows.append(f"| [`{name}`](scenarios/{os.path.basename(path)}) | {description} | {real} |")
    return "\n".join(rows)


def schema():
    loader = open(os.path.join(root, "scenario", "src", "scenario_loader.cpp"), encoding="utf-8").read()
    block = re.search(r"// ---- Schema -+\n//\n(.*?)\n#include", loader, re.S).group(1)
    lines = [line[3:] if line.startswith("// ") else line[2:] for line in block.splitlines()]
    return "```yaml\n" + "\n".join(lines).rstrip() + "\n```"


def replace(name, text, first, last, body):
    pattern = re.compile(re.escape(first) + r".*?" + re.escape(last), re.S)
    if not pattern.search(text):
        sys.exit(f"{name}: no {first} marker")
    return pattern.sub(lambda _: f"{first}\n{body}\n{last}", text)


# Each generated block, in the file a reader looks for it: the library in the user's guide, the
# schema with the rest of the file format.
blocks = [
    ("README.md", begin, end, table, "the scenario table"),
    (os.path.join("docs", "scenarios.md"), "<!-- schema begin -->", "<!-- schema end -->", schema, "the schema"),
]
stale = False
for name, first, last, body, what in blocks:
    path = os.path.join(root, name)
    text = open(path, encoding="utf-8").read()
    updated = replace(name, text, first, last, body())
    if updated == text:
        continue
    if "--check" in sys.argv:
        print(f"{name}: {what} is stale; run scripts/readme_scenario_table.py")
        stale = True
    else:
        open(path, "w", encoding="utf-8").write(updated)
sys.exit(1 if stale else 0)
