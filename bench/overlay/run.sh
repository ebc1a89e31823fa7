#!/usr/bin/env bash
# The overlay benchmark of issue 15: nvgred vs the plain veth (offloads on and off) vs Open
# vSwitch 3.1's userspace GRE, plus the underlay's own ceiling, in one run (as root). Builds the
# release preset's nvgred and underlay_probe first. Arguments go to overlay_bench.py:
#
#   bench/overlay/run.sh [--seconds 6] [--reps 3] [--json FILE] [--plot FILE.svg] [--quick]
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then echo "run.sh: needs root (network namespaces)" >&2; exit 1; fi
scripts/install-deps.sh
dpkg-query -W -f='${Status}' python3-matplotlib 2>/dev/null | grep -q "install ok installed" ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-matplotlib >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target nvgred underlay_probe
exec /usr/bin/python3 bench/overlay/overlay_bench.py --nvgred build/release/bin/nvgred \
  --probe build/release/bench/underlay_probe "$@"
