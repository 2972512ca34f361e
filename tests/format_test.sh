#!/usr/bin/env bash
# format_test.sh SOURCE_DIR: every C++ file tracked by git is formatted by the repository's
# .clang-format (fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i).
set -uo pipefail
cd "$1" || exit 2
command -v clang-format >/dev/null || { echo "clang-format missing: run the README's test command, which installs it"; exit 1; }
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "not a git checkout: nothing to list"  # a source tarball; the check needs git ls-files
  exit 77
fi
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
clang-format --dry-run --Werror "${files[@]}"
