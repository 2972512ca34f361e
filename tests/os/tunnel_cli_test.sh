#!/usr/bin/env bash
# `tunlab tunnel` as a user meets it before any packet moves: --help documents every option, bad
# values exit 2 with one line naming the option, and without privileges it exits 2 with the
# reason (that case needs root to drop to nobody; exit 77 = skipped otherwise); a system call that
# fails (TUNSETIFF on a name the kernel gave a loopback) exits 3, a code of its own.
#
# Usage: tunnel_cli_test.sh TUNLAB CASE
# shellcheck source=../lib/prologue.sh
source "$(dirname "$0")/../lib/prologue.sh"
case=$2
test_label=$case
make_tmp

# expect_bad WANT ARGS...: exit 2, nothing on stdout, one stderr line containing WANT.
expect_bad() {
  local want=$1
  shift
  "$tunlab" tunnel "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  ((rc == 2)) || fail "tunnel $*: exit $rc, want 2"
  [[ ! -s $tmp/out ]] || fail "tunnel $*: wrote to stdout: $(cat "$tmp/out")"
  [[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "tunnel $*: want one stderr line, got: $(cat "$tmp/err")"
  grep -qF -- "$want" "$tmp/err" || fail "tunnel $*: stderr lacks '$want': $(cat "$tmp/err")"
}

ok=(--dev tun9 --local 192.168.50.1 --remote 192.168.50.2)
case $case in
help)
  "$tunlab" tunnel --help >"$tmp/out" || fail "--help exited $?"
  for option in --dev --local --remote --tap --mtu --ttl --tos --ecn --pmtudisc --address SIGUSR1 SIGTERM; do
    grep -q -- "$option" "$tmp/out" || fail "--help does not mention $option"
  done
  ;;
bad_options)
  expect_bad "--remote: bad value '192.168.50.300'" --dev tun9 --local 192.168.50.1 --remote 192.168.50.300
  expect_bad "--local: bad value '10.1'" --dev tun9 --local 10.1 --remote 192.168.50.2
  expect_bad "--remote: bad value '192.168.50.1': equals --local" --dev tun9 --local 192.168.50.1 --remote 192.168.50.1
  expect_bad "--dev: bad value 'a-name-that-is-too-long'" --dev a-name-that-is-too-long --local 192.168.50.1 \
    --remote 192.168.50.2
  expect_bad "--ttl: bad value '0': must be 1..255" "${ok[@]}" --ttl 0
  expect_bad "--ttl: bad value 'often'" "${ok[@]}" --ttl often
  expect_bad "--tos: bad value '256'" "${ok[@]}" --tos 256
  expect_bad "--mtu: bad value '67': must be 68..65515" "${ok[@]}" --mtu 67
  expect_bad "--address: bad value '33'" "${ok[@]}" --address 10.0.0.1/33
  expect_bad "--address: bad value '10.0.0'" "${ok[@]}" --address 10.0.0/24
  ;;
no_privileges)
  [[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root to drop to nobody"; exit 77; }
  chmod 755 "$tmp"
  cp "$tunlab" "$tmp/tunlab"
  tunlab=$tmp/tunlab
  setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$tunlab" tunnel "${ok[@]}" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  ((rc == 2)) || fail "as nobody: exit $rc, want 2: $(cat "$tmp/err")"
  [[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "want one stderr line, got: $(cat "$tmp/err")"
  grep -q 'real backend unavailable: needs CAP_NET_ADMIN' "$tmp/err" || fail "reason: $(cat "$tmp/err")"
  ;;
system_failure)
  [[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root to open /dev/net/tun"; exit 77; }
  # In a network namespace of its own, whose lo is no TUN device: the kernel refuses TUNSETIFF.
  unshare --net "$tunlab" tunnel --dev lo --local 192.168.50.1 --remote 192.168.50.2 >"$tmp/out" 2>"$tmp/err"
  rc=$?
  ((rc == 3)) || fail "TUNSETIFF on lo: exit $rc, want 3: $(cat "$tmp/err")"
  [[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "want one stderr line, got: $(cat "$tmp/err")"
  grep -q '^tunlab tunnel: system failure: .*TUNSETIFF' "$tmp/err" || fail "reason: $(cat "$tmp/err")"
  ;;
*) fail "unknown case" ;;
esac
echo "ok [$case]"
