#!/usr/bin/env python3
"""Rewrites the scenario table in README.md from scenarios/*.yaml (name, description, real).

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


readme_path = os.path.join(root, "README.md")
readme = open(readme_path, encoding="utf-8").read()
pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
wanted = f"{begin}\n{table()}\n{end}"
if not pattern.search(readme):
    sys.exit("README.md: no scenario-table markers")
updated = pattern.sub(lambda _: wanted, readme)
if "--check" in sys.argv:
    if updated != readme:
        print("README.md: the scenario table is stale; run scripts/readme_scenario_table.py. Expected:")
        print(wanted)
        sys.exit(1)
else:
    open(readme_path, "w", encoding="utf-8").write(updated)
