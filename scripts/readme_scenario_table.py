#!/usr/bin/env python3
"""Rewrites the scenario table in README.md from scenarios/*.yaml (name, description, real), and
the schema block from the comment at the top of harness/src/scenario_loader.cpp.

Run after adding or changing a scenario; tests/readme_test.sh fails when the table is stale.
With --check, exits 1 (printing the expected table) instead of writing.
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
    loader = open(os.path.join(root, "harness", "src", "scenario_loader.cpp"), encoding="utf-8").read()
    block = re.search(r"// ---- Schema -+\n//\n(.*?)\n#include", loader, re.S).group(1)
    lines = [line[3:] if line.startswith("// ") else line[2:] for line in block.splitlines()]
    return "```yaml\n" + "\n".join(lines).rstrip() + "\n```"


def replace(text, first, last, body):
    pattern = re.compile(re.escape(first) + r".*?" + re.escape(last), re.S)
    if not pattern.search(text):
        sys.exit(f"README.md: no {first} marker")
    return pattern.sub(lambda _: f"{first}\n{body}\n{last}", text)


readme_path = os.path.join(root, "README.md")
readme = open(readme_path, encoding="utf-8").read()
updated = replace(readme, begin, end, table())
updated = replace(updated, "<!-- schema begin -->", "<!-- schema end -->", schema())
wanted = "the regenerated table and schema"
if "--check" in sys.argv:
    if updated != readme:
        print("README.md: the scenario table or schema is stale; run scripts/readme_scenario_table.py")
        sys.exit(1)
else:
    open(readme_path, "w", encoding="utf-8").write(updated)
