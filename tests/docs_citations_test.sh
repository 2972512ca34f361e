#!/usr/bin/env bash
# docs_citations_test.sh SOURCE_DIR: the notes the code relies on live in docs/. Fails when a
# tracked file cites the old out-of-tree notes (DESIGN.md, RFC-NOTES), when a tracked file cites
# docs/NAME.md that does not exist, when a docs/*.md links to a missing docs file, or when a
# tracked file names a test file (tests/...) that is not there, from the top or from its own folder.
set -uo pipefail
cd "$1" || exit 2
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "not a git checkout: nothing to list"  # a source tarball; the check needs git ls-files
  exit 77
fi
self=tests/docs_citations_test.sh
status=0
mapfile -t files < <(git ls-files | grep -vxF "$self")

old=$(printf '%s\n' "${files[@]}" | xargs -d '\n' grep -nE 'DESIGN\.md|RFC-NOTES' -- 2>/dev/null)
if [ -n "$old" ]; then
  echo "cites notes that are not in the repository (cite docs/ instead):"
  echo "$old"
  status=1
fi

while IFS=: read -r file line cited; do
  if [ ! -f "$cited" ]; then
    echo "$file:$line: cites $cited, which does not exist"
    status=1
  fi
done < <(printf '%s\n' "${files[@]}" | xargs -d '\n' grep -noE 'docs/[A-Za-z0-9_.-]+\.md' -- 2>/dev/null)

while IFS=: read -r file line cited; do
  cited=${cited#"${cited%%tests/*}"}
  if [ ! -f "$cited" ] && [ ! -f "$(dirname "$file")/$cited" ]; then
    echo "$file:$line: names $cited, which does not exist"
    status=1
  fi
done < <(printf '%s\n' "${files[@]}" | xargs -d '\n' grep -noE \
  '(^|[^A-Za-z0-9_.-])tests/([a-z0-9_.-]+/)*([a-z0-9_.-]+\.(sh|cpp|hpp|cmake|py|yaml|xsd)|CMakeLists\.txt)' -- 2>/dev/null)

# Relative links between the docs files themselves: ](name.md) or ](name.md#section).
for doc in docs/*.md; do
  while IFS=: read -r line link; do
    target=${link#](}
    target=${target%%#*}
    if [ ! -f "docs/$target" ]; then
      echo "$doc:$line: links to $target, which does not exist in docs/"
      status=1
    fi
  done < <(grep -noE '\]\([A-Za-z0-9_-]+\.md' "$doc")
done

[ "$status" -eq 0 ] && echo "docs citations ok"
exit "$status"
