#!/usr/bin/env bash
# Installs the Debian 12 packages nvgre needs to build, test and benchmark, if any is missing.
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config libpcap-dev libcli11-dev nlohmann-json3-dev
          libgtest-dev libgmock-dev libbenchmark-dev tshark tcpdump
          clang-14 libclang-rt-14-dev     # clang-14 + libFuzzer: scripts/fuzz.sh
          libtomlplusplus-dev             # nvgred's configuration
          libcap-ng-dev libsystemd-dev libcpp-httplib-dev   # nvgred: privileges, sd_notify, /metrics
          python3-prometheus-client util-linux              # its operations tests (text parser,
                                                            # setpriv / unshare for the unit's restrictions)
          iproute2 iputils-ping ethtool procps python3 python3-scapy iperf3   # nvgred's integration tests,
                                          # the scapy oracles of tests/virt and tests/offload
          openvswitch-switch              # the Open vSwitch peer of the interop test
          openvswitch-vtep)               # hardware_vtep schema: nvgred's OVSDB schema, its tests
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
