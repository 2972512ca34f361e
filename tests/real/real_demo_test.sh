#!/usr/bin/env bash
# `tunlab demo --backend real` against the simulator's `tunlab demo`, and the rootless detection
# (root only; exit 77 = skipped, with the reason on stdout). Cases:
#
#   same_as_sim          the kernel's tun0 shows the same packets as the simulated one: the two
#                        outputs are equal line for line.
#   rootless_denied      as nobody inside `unshare --user --map-root-user --net`, /dev/net/tun
#                        (mode 0600, owned by the host's root) cannot be opened: exit 2 and one
#                        stderr line naming /dev/net/tun and the user namespace.
#   rootless_accessible  the same, but in a private mount namespace whose /dev/net/tun is a 0666
#                        node (bind-mounted from a tmpfs; the host's node is untouched): the demo
#                        runs rootless and matches the simulator.
#
# Usage: real_demo_test.sh TUNLAB CASE
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
case=$2
test_label=$case

# shellcheck source=../lib/real_privileges.sh
source "$(dirname "$0")/../lib/real_privileges.sh"
require_real_privileges

make_tmp
"$tunlab" demo >"$tmp/sim" || fail "tunlab demo (sim) exited $?"

# The unprivileged user must be able to execute the binary wherever the build tree is.
unprivileged_copy() {
  chmod 755 "$tmp"
  cp "$tunlab" "$tmp/tunlab"
  chmod 755 "$tmp/tunlab"
}
need_userns_tools() {
  require_tools setpriv unshare
}
as_nobody_in_userns=(setpriv --reuid=65534 --regid=65534 --clear-groups unshare --user --map-root-user --net)

case $case in
same_as_sim)
  timeout 30 "$tunlab" demo --backend real >"$tmp/real" 2>"$tmp/err" || fail "demo --backend real exited $?: $(cat "$tmp/err")"
  diff -u "$tmp/sim" "$tmp/real" || fail "real and sim demo outputs differ"
  ;;
rootless_denied)
  need_userns_tools
  mode=$(stat -c %a /dev/net/tun)
  [[ $mode == 600 ]] || skip "/dev/net/tun is mode $mode here, so nobody can open it; nothing to deny"
  unprivileged_copy
  timeout 30 "${as_nobody_in_userns[@]}" "$tmp/tunlab" demo --backend real >"$tmp/real" 2>"$tmp/err"
  rc=$?
  ((rc == 2)) || fail "expected exit 2 without access to /dev/net/tun, got $rc: $(cat "$tmp/err")"
  [[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "expected one stderr line, got: $(cat "$tmp/err")"
  grep -q '/dev/net/tun not accessible from this user namespace' "$tmp/err" || fail "reason: $(cat "$tmp/err")"
  [[ ! -s $tmp/real ]] || fail "printed packets although it could not open tun0: $(cat "$tmp/real")"
  cat "$tmp/err"
  ;;
rootless_accessible)
  need_userns_tools
  unprivileged_copy
  host_node=$(stat -c '%a %i' /dev/net/tun)
  # The mount namespace is private, so the bind mount and the tmpfs vanish with this command.
  # shellcheck disable=SC2016 # $1 and $@ belong to the inner bash
  timeout 30 unshare --mount --propagation private bash -c '
    set -e
    mkdir "$1/dev"
    mount -t tmpfs -o mode=0755 tunlab-test-dev "$1/dev"
    mknod -m 0666 "$1/dev/tun" c 10 200
    mount --bind "$1/dev/tun" /dev/net/tun
    shift
    exec "$@"' _ "$tmp" "${as_nobody_in_userns[@]}" "$tmp/tunlab" demo --backend real >"$tmp/real" 2>"$tmp/err" ||
    fail "rootless demo with an accessible node exited $?: $(cat "$tmp/err")"
  diff -u "$tmp/sim" "$tmp/real" || fail "rootless real and sim demo outputs differ"
  [[ $(stat -c '%a %i' /dev/net/tun) == "$host_node" ]] || fail "the host's /dev/net/tun changed"
  ;;
*) fail "unknown case" ;;
esac
echo "ok [$case]"
