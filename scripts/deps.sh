#!/usr/bin/env bash
# Installs the Debian 12 packages tunlab needs, only those that are missing.
#   scripts/deps.sh build   compilers, CMake and libraries
#   scripts/deps.sh test    the above plus the real peers and oracles the tests use
set -euo pipefail

build_packages=(
  g++ cmake ninja-build pkg-config
  libtins-dev libpcap-dev libssl-dev libzstd-dev libyaml-cpp-dev libcli11-dev libfmt-dev nlohmann-json3-dev
  libnl-3-dev libnl-route-3-dev libgtest-dev libgmock-dev libbenchmark-dev libcap-ng-dev libseccomp-dev
  liburing-dev
  clang-14 libclang-rt-14-dev
)
# openvpn: a Debian-packaged tunnel program the tests run in the simulator and on namespaces.
test_packages=(tshark tcpdump iperf3 socat python3 python3-scapy iproute2 iputils-ping util-linux clang-format
               chromium libxml2-utils openvpn)

wanted=("${build_packages[@]}")
if [[ "${1:-build}" == "test" ]]; then
  wanted+=("${test_packages[@]}")
fi

missing=()
for package in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "tunlab: installing missing Debian packages: ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "tunlab: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 2; }
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter to tunlab.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
