#!/usr/bin/env bash
# The main job: build tunlab and run the seed VPN flow on the simulator (no root needed),
# printing every packet at every hop and writing one pcap per interface into out/seed/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
cmake --preset default >/dev/null
cmake --build --preset default --target tunlab
exec build/tunlab run scenarios/seed-vpn.yaml --trace --capture out/seed "$@"
