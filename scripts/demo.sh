#!/usr/bin/env bash
# README command 1: install what is missing, build (release), run the main job on bundled captures:
# inspect NVGRE captures, then hand two NVGRE super-frames to the software NIC (LSOv2) and
# inspect what it puts on the wire.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target nvgre
nvgre=build/release/bin/nvgre
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
set -x
$nvgre inspect testdata/packetnet_gre_nvgre.pcap
$nvgre inspect testdata/ovs_tso_tunnel_gre_expected.pcap
$nvgre tx testdata/nvgre_superframes.pcap "$out/segments.pcap" --lso auto --mtu 1500
$nvgre inspect "$out/segments.pcap"
