#!/usr/bin/env bash
# README command 1: the two-host nvgred demo. Installs what is missing, builds nvgred (release),
# then, as root, builds two hosts (network namespaces joined by a veth underlay, MTU 1500), runs
# nvgred on each with VMs (namespaces on TAPs) in two VSIDs that share customer addresses,
# pings, moves 200 MB over TCP with the VMs' offloads on, prints `nvgred ctl stats` of both
# daemons and removes everything it made (also on Ctrl-C).
#
#   scripts/demo.sh [--underlay ipv6] [--bytes N]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "demo.sh: needs root (network namespaces, TAP devices)" >&2
  exit 1
fi
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target nvgred nvgre
exec /usr/bin/python3 tests/daemon/integration/demo.py --nvgred build/release/bin/nvgred "$@"
