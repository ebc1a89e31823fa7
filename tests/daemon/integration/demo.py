#!/usr/bin/python3
"""README command 1: the two-host nvgred demo.

Builds two hosts (network namespaces joined by a veth underlay, MTU 1500), starts nvgred on
each, puts two VMs per host in two VSIDs that use the same customer addresses (plus a third VM
to show local switching), pings across hosts and VSIDs, moves 200 MB over TCP with the VMs'
offloads on and checks its SHA-256, prints both daemons' `nvgred ctl stats`, then removes
everything (also when interrupted: Ctrl-C is safe).
"""

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import Lab  # noqa: E402
from topology import TwoHosts, ping  # noqa: E402
from test_two_hosts import transfer  # noqa: E402


def step(text):
    print(f"\n== {text}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    ap.add_argument("--underlay", choices=["ipv4", "ipv6"], default="ipv4")
    ap.add_argument("--bytes", type=int, default=200_000_000)
    args = ap.parse_args()
    with Lab("demo", time_limit=600) as lab:
        step(f"two hosts, {args.underlay} underlay: starting nvgred on each")
        t = TwoHosts(lab, args.nvgred, underlay=args.underlay).build()
        for h in (1, 2):
            print(f"host h{h}: provider address {t.pa[h]}, config {lab.path(f'h{h}.toml')}")
        for vm in t.vms:
            print(f"  VM {vm.name} on h{vm.host}: VSID {vm.vsid}, {vm.ipv4} / {vm.ipv6}, "
                  f"MAC {vm.mac}, TAP {vm.tap}")
        step("pings")
        ok = True
        for src, dst, what in (("a1", "10.0.0.2", "across hosts, VSID 5001"),
                               ("a1", "fd00::2", "across hosts, VSID 5001, IPv6"),
                               ("b1", "10.0.0.2", "across hosts, VSID 5002 (same address, other VM)"),
                               ("a1", "10.0.0.3", "on one host, VSID 5001 (local switching)")):
            good = ping(t.vm(src).ns, dst)
            ok &= good
            print(f"  {src} -> {dst} ({what}): {'ok' if good else 'FAILED'}")
        step(f"TCP transfer a1 -> a2, {args.bytes / 1e6:.0f} MB, VM offloads (TSO, checksum) on")
        start = time.time()
        sent, received = transfer(t, lab, t.vm("a1"), t.vm("a2"), "10.0.0.2", args.bytes)
        seconds = time.time() - start
        same = sent["sha256"] == received["sha256"] and received["bytes"] == args.bytes
        ok &= same
        print(f"  {received['bytes']} bytes in {seconds:.2f} s = "
              f"{args.bytes * 8 / seconds / 1e9:.2f} Gbit/s; SHA-256 "
              f"{'matches' if same else 'DIFFERS'}")
        for h in (1, 2):
            step(f"nvgred ctl stats on h{h}")
            sys.stdout.flush()
            subprocess.run([args.nvgred, "ctl", "--socket", t.socket(h), "stats"])
        step("cleaning up")
    print("demo " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
