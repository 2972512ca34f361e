#!/usr/bin/env bash
# readme_test.sh SOURCE_DIR: the README's scenario table names every scenario file, and only those.
set -uo pipefail
src=$1
status=0
for file in "$src"/scenarios/*.yaml; do
  name=$(sed -n 's/^name:[[:space:]]*\([a-z0-9-]*\).*/\1/p' "$file")
  if ! grep -qF "| [\`$name\`](scenarios/$(basename "$file"))" "$src/README.md"; then
    echo "README.md: the scenario table lacks $name ($(basename "$file"))"
    status=1
  fi
done
while IFS= read -r listed; do
  [[ -f "$src/$listed" ]] || { echo "README.md: the scenario table lists $listed, which does not exist"; status=1; }
done < <(grep -oE '\]\(scenarios/[a-z0-9-]+\.yaml\)' "$src/README.md" | sed 's/^](\(.*\))$/\1/' | sort -u)
exit $status
