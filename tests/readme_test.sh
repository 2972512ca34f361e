#!/usr/bin/env bash
# readme_test.sh SOURCE_DIR: the README's scenario table is exactly what scenarios/*.yaml say
# (name, description, real), so the documentation cannot drift from the library.
set -uo pipefail
exec python3 "$1/scripts/readme_scenario_table.py" --check
