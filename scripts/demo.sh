#!/usr/bin/env bash
# README command 1: install what is missing, build (release), run the main job on a bundled capture.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target nvgre
build/release/bin/nvgre inspect testdata/packetnet_gre_nvgre.pcap
build/release/bin/nvgre inspect testdata/ovs_tso_tunnel_gre_expected.pcap
