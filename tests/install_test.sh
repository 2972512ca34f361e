#!/usr/bin/env bash
# The package as another project sees it (labels unit, install):
#
#   cmake --install BUILD --prefix WORK/prefix
#     -> WORK/readme: the README's consumer project (CMakeLists.txt, its app B, its own tunlab, its
#        scenario, its test, the build commands), copied out of README.md verbatim ("<!-- consumer:
#        NAME -->" blocks), built and tested against the prefix: its scenario through its tunlab
#        (tunlab_add_scenario_tests) and conform on its app B (tunlab_add_conformance_test)
#     -> the installed tunlab runs every installed library scenario
#     -> WORK/ttl7: examples/ttl7-tunnel configured on its own against the prefix, built, tested
#     -> pkg-config: tunlab.pc and tunlab-real.pc resolve; a simulator-only consumer never needs
#        libnl (the config is read with libnl hidden)
# Only the consumers are compiled here (ccache when present).
#
# Usage: install_test.sh SOURCE_DIR BUILD_DIR WORK_DIR [CONSUMER_FLAGS]
#   CONSUMER_FLAGS: what a pkg-config consumer adds for this build (-fsanitize=... for ASan builds)
set -uo pipefail
src=$(realpath "$1")
build=$(realpath "$2")
mkdir -p "$3"
work=$(realpath "$3")
read -ra consumer_flags <<<"${4:-}"

fail() {
  echo "FAIL [install]: $*" >&2
  exit 1
}
step() { echo "--- $*"; }

if command -v ccache >/dev/null && [[ -z ${CMAKE_CXX_COMPILER_LAUNCHER:-} ]]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$work}

rm -rf "$work/prefix" "$work/readme" "$work/ttl7" "$work/nolibnl"
export TUNLAB_PREFIX=$work/prefix
step "install to $TUNLAB_PREFIX"
cmake --install "$build" --prefix "$TUNLAB_PREFIX" >"$work/install.log" || fail "cmake --install: $(tail "$work/install.log")"
[[ -x $TUNLAB_PREFIX/bin/tunlab ]] || fail "no bin/tunlab"
[[ -f $TUNLAB_PREFIX/share/tunlab/scenarios/seed-vpn.yaml ]] || fail "no scenario library under share/tunlab"
[[ -f $TUNLAB_PREFIX/share/tunlab/fixtures/mixed-100.pcap ]] || fail "no fixtures under share/tunlab"
"$TUNLAB_PREFIX/bin/tunlab" run "$TUNLAB_PREFIX/share/tunlab/scenarios/replay-mixed.yaml" >/dev/null ||
  fail "the installed tunlab cannot run the installed replay-mixed scenario (fixtures path)"

# Installed without debug info unless asked (TUNLAB_INSTALL_DEBUG_INFO): a package, not a build tree.
# Sanitized builds carry instrumented code and are not held to it.
if ((${#consumer_flags[@]} == 0)); then
  size_mb=$(du -sm "$TUNLAB_PREFIX" | cut -f1)
  ((size_mb <= 40)) || fail "the installed package is $size_mb MB (want <= 40 MB)"
fi
[[ -f $TUNLAB_PREFIX/share/tunlab/conformance/rfc2003-3.1-outer-ttl.yaml ]] || fail "no conformance cases under share/tunlab"
"$TUNLAB_PREFIX/bin/tunlab" conform >"$work/conform.log" || fail "the installed tunlab's conform: $(tail -3 "$work/conform.log")"

for scenario in "$TUNLAB_PREFIX"/share/tunlab/scenarios/*.yaml; do
  "$TUNLAB_PREFIX/bin/tunlab" run "$scenario" --no-digest >/dev/null || fail "installed tunlab: $scenario failed"
done

step "pkg-config"
version=$(sed -n 's/^project(tunlab VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
export PKG_CONFIG_PATH=$TUNLAB_PREFIX/lib/pkgconfig
[[ $(pkg-config --modversion tunlab) == "$version" ]] || fail "tunlab.pc version is not $version"
pkg-config --cflags --libs tunlab-real >/dev/null || fail "tunlab-real.pc does not resolve"
printf '#include "tunlab/wire/ipv4_address.hpp"\nint main() { return tunlab::Ipv4Address("10.0.0.1").to_string() == "10.0.0.1" ? 0 : 1; }\n' \
  >"$work/pc.cpp"
# shellcheck disable=SC2046
g++ "${consumer_flags[@]}" "$work/pc.cpp" -o "$work/pc" $(pkg-config --cflags --libs tunlab) || fail "a program built with pkg-config flags"
"$work/pc" || fail "the pkg-config program failed"

extract() {  # extract NAME: the fenced block after "<!-- consumer: NAME -->" in README.md
  awk -v marker="<!-- consumer: $1 -->" '
    $0 == marker { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```$/ { exit }
    found == 2 { print }' "$src/README.md"
}
step "the README's example"
mkdir -p "$work/readme"
mkdir -p "$work/readme/scenarios"
for name in CMakeLists.txt plain_ipip.hpp my_tunlab.cpp scenarios/plain-seed.yaml my_tunnel_test.cpp build; do
  extract "$name" >"$work/readme/$name"
  [[ -s $work/readme/$name ]] || fail "README.md has no '<!-- consumer: $name -->' block"
done
mv "$work/readme/build" "$work/readme/build.block"
(cd "$work/readme" && bash -euo pipefail build.block) >"$work/readme.log" 2>&1 ||
  fail "the README's example: $(grep -E 'rror|FAIL|Failed' "$work/readme.log" | head -20)"
grep -q 'PlainIpip.CarriesTheSeedNetworksTrafficAndDropsWhatDoesNotFit .*Passed' "$work/readme.log" ||
  fail "the README's scenario test did not pass"
# The consumer's own scenario through its own tunlab (one JUnit file), and conform on its app B.
grep -q 'tunlab_plain-seed .*Passed' "$work/readme.log" || fail "the consumer's scenario did not pass through my-tunlab"
grep -q '<testcase ' "$work/readme/build/junit/tunlab_plain-seed.xml" || fail "no JUnit file for tunlab_plain-seed"
grep -q 'plain_conformance .*Passed' "$work/readme.log" || fail "conform on the consumer's app B did not pass"
[[ $("$work/readme/build/my-tunlab" --version) == "my-tunlab (tunlab $(sed -n 's/^project(tunlab VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt"))" ]] ||
  fail "my-tunlab --version: $("$work/readme/build/my-tunlab" --version)"

step "examples/ttl7-tunnel against the package"
cmake -S "$src/examples/ttl7-tunnel" -B "$work/ttl7" -G Ninja -DCMAKE_PREFIX_PATH="$TUNLAB_PREFIX" >"$work/ttl7.log" 2>&1 &&
  cmake --build "$work/ttl7" >>"$work/ttl7.log" 2>&1 &&
  ctest --test-dir "$work/ttl7" --output-on-failure >>"$work/ttl7.log" 2>&1 ||
  fail "ttl7-tunnel: $(grep -E 'rror|FAIL|Failed' "$work/ttl7.log" | head -20)"
grep -q '100% tests passed' "$work/ttl7.log" || fail "ttl7-tunnel's tests did not all pass"
# tunlab_add_scenario_tests' ARGS and JUNIT_DIR: the run had --app ttl7 and wrote one testcase per
# expectation (plus the accounting invariants).
grep -q 'ttl7-tunlab" "run" ".*seed-ttl7.yaml" "--backend" "sim" "--app" "ttl7" "--junit"' "$work/ttl7/CTestTestfile.cmake" ||
  fail "ttl7_scenario_seed-ttl7 does not run with ARGS and --junit: $(grep seed-ttl7 "$work/ttl7/CTestTestfile.cmake")"
testcases=$(grep -c '<testcase ' "$work/ttl7/junit/ttl7_scenario_seed-ttl7.xml" 2>/dev/null)
[[ -n $testcases ]] && ((testcases >= 2)) || fail "JUNIT_DIR: no junit/ttl7_scenario_seed-ttl7.xml with its testcases"

step "a simulator-only consumer without libnl"
mkdir -p "$work/nolibnl/pc"
cat >"$work/nolibnl/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(nolibnl LANGUAGES CXX)
# libnl-route-3.0 made unfindable: the simulator part must still load, the real part must not.
set(ENV{PKG_CONFIG_LIBDIR} "${CMAKE_CURRENT_SOURCE_DIR}/pc")
find_package(tunlab 0.2 REQUIRED COMPONENTS sim)
if(NOT TARGET tunlab::sim OR TARGET tunlab::real)
  message(FATAL_ERROR "want tunlab::sim without tunlab::real when libnl is missing")
endif()
find_package(tunlab 0.2 QUIET COMPONENTS real)
if(tunlab_FOUND)
  message(FATAL_ERROR "COMPONENTS real must fail without libnl")
endif()
CMAKE
cmake -S "$work/nolibnl" -B "$work/nolibnl/build" -DCMAKE_PREFIX_PATH="$TUNLAB_PREFIX" >"$work/nolibnl.log" 2>&1 ||
  fail "simulator-only consumer without libnl: $(tail -20 "$work/nolibnl.log")"
echo "PASS [install]: package installs; README example, scenario library and ttl7-tunnel build and pass against it"
