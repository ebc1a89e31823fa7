#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds a consumer with
# find_package(nvgre) and another with pkg-config, and runs both on a bundled capture.
set -euo pipefail
build_dir=$1; source_dir=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/install/consumer" -B "$work/consumer" -G Ninja \
      -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
out=$("$work/consumer/consumer" "$source_dir/testdata/deepflow_vmware-gre-teb.pcap")
[ "$out" = "nvgre=57" ] || { echo "find_package consumer printed '$out'"; exit 1; }
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
g++ -o "$work/pc_consumer" "$source_dir/tests/install/consumer/main.cc" $(pkg-config --cflags --libs nvgre)
out=$("$work/pc_consumer" "$source_dir/testdata/deepflow_vmware-gre-teb.pcap")
[ "$out" = "nvgre=57" ] || { echo "pkg-config consumer printed '$out'"; exit 1; }
echo "install ok: find_package and pkg-config consumers both classify 57 NVGRE frames"
