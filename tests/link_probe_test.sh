#!/usr/bin/env bash
# What a library pulls in, read off binaries that link one layer alone (tests/link_probes/):
# the tunnel daemon (tunlab::os) links the tunnel layer and the system libraries it uses, nothing of
# the harness; a scenario-only consumer (tunlab::scenario) no libpcap, OpenSSL or zstd.
#
# Usage: link_probe_test.sh DAEMON_PROBE SCENARIO_PROBE SCENARIO.yaml
set -uo pipefail
daemon=$1
scenario=$2
file=$3

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

libs() { ldd "$1" | awk '{print $1}' | sed 's/\.so.*//' | sort -u; }

harness_libs='^(libpcap|libssl|libcrypto|libzstd|libyaml-cpp|libtins)$'
bad=$(libs "$daemon" | grep -E "$harness_libs")
[[ -z $bad ]] || fail "the daemon's os layer pulls in $(echo "$bad" | tr '\n' ' ')"
for want in libnl-route-3 libcap-ng libseccomp liburing; do
  libs "$daemon" | grep -qx "$want" || fail "the daemon does not link $want: $(libs "$daemon" | tr '\n' ' ')"
done

bad=$(libs "$scenario" | grep -E '^(libpcap|libssl|libcrypto|libzstd|libtins|libnl-route-3)$')
[[ -z $bad ]] || fail "loading scenarios pulls in $(echo "$bad" | tr '\n' ' ')"
libs "$scenario" | grep -qx libyaml-cpp || fail "the scenario probe does not link yaml-cpp: $(libs "$scenario" | tr '\n' ' ')"
[[ $("$scenario" "$file") == seed-vpn ]] || fail "the scenario probe could not load $file"
echo "ok: daemon: $(libs "$daemon" | tr '\n' ' ')"
echo "ok: scenario: $(libs "$scenario" | tr '\n' ' ')"
