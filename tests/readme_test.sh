#!/usr/bin/env bash
# readme_test.sh SOURCE_DIR: the README's scenario table is exactly what scenarios/*.yaml say
# (name, description, real), and the schema in docs/scenarios.md is the loader's own comment, so
# the documentation cannot drift from the library or the loader.
set -uo pipefail
exec python3 "$1/scripts/readme_scenario_table.py" --check
