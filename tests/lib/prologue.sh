# Sourced first by the shell tests whose first argument is the tunlab binary:
#
#   # shellcheck source=../lib/prologue.sh
#   source "$(dirname "$0")/../lib/prologue.sh"
#
# It sets `-uo pipefail` and $tunlab (the binary's absolute path), and defines:
#   fail MESSAGE...        "FAIL [$test_label]: MESSAGE" on stderr ("FAIL: MESSAGE" while
#                          test_label is unset), then exit 1; the script sets test_label to its case
#   skip REASON...         "SKIP: REASON" on stdout, then exit 77 (ctest's SKIP_RETURN_CODE)
#   require_tools TOOL...  skip with "TOOL is not installed" for the first TOOL not on PATH
#   make_tmp               a fresh directory in $tmp, removed on EXIT (two_namespaces_traps
#                          replaces that trap with its own cleanup, which removes $tmp too)
#   json_field FILE EXPR   EXPR evaluated by Python with FILE's JSON as d, printed
set -uo pipefail
tunlab=$(realpath "$1")

fail() {
  echo "FAIL${test_label+ [$test_label]}: $*" >&2
  exit 1
}
skip() {
  echo "SKIP: $*"
  exit 77
}
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
  done
}
make_tmp() {
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}
json_field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$1" "$2"; }
