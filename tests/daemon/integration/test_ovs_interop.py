#!/usr/bin/python3
"""Interop with a real peer: nvgred on h1, Open vSwitch 3.1's userspace datapath on h2.

    test_ovs_interop.py --nvgred build/release/bin/nvgred [--bytes 10000000]

OVS on h2 has a keyed GRE port (options:key = 5001 << 8) toward h1 and VM a2 on a veth (its
offloads off, as OVS's userspace datapath needs). Asserts: ping a1 <-> a2 both ways (IPv4 and
IPv6 inner), a TCP transfer each way with the exact bytes, and that nvgred counted no drop for
the OVS-made traffic (OVS sends K-only GRE, protocol 0x6558, FlowID 0). Needs root and
openvswitch-switch; exits 77 (skipped) without OVS.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import run_test  # noqa: E402
from ovs import OvsPeer, available  # noqa: E402
from test_two_hosts import check, transfer  # noqa: E402
from topology import TwoHosts, Vm, ping  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    ap.add_argument("--bytes", type=int, default=10_000_000)
    args = ap.parse_args()
    if not available():
        print("openvswitch-switch is not installed: skipped")
        return 77
    return run_test("no", lambda lab: run(lab, args), time_limit=600,
                    logs=("nvgred-h1.log", "ovs/vswitchd.log"))


def run(lab, args):
    t = TwoHosts(lab, args.nvgred, underlay="ipv4")
    # h1: nvgred with VM a1 (VSID 5001); h2: OVS with VM a2.
    t.vms = [Vm("a1", 1, 5001, "10.0.0.1", "fd00::1", "02:00:00:01:50:01", "nva"),
             Vm("a2", 2, 5001, "10.0.0.2", "fd00::2", "02:00:00:02:50:01", "eth0")]
    t.build(start=(1,))
    peer = OvsPeer(lab, t.hosts[2], "u2", t.pa[2], t.pa[1]).start()
    peer.add_gre("gre0", 5001 << 8)
    a1, a2 = t.vm("a1"), t.vm("a2")
    peer.add_vm(a2, "vm-a2", mtu=1500 - 42)
    check(ping(a1.ns, "10.0.0.2", timeout=20), "nvgred VM a1 -> OVS VM a2, IPv4 ping")
    check(ping(a2.ns, "10.0.0.1", timeout=20), "OVS VM a2 -> nvgred VM a1, IPv4 ping")
    check(ping(a1.ns, "fd00::2", timeout=20), "a1 -> a2, IPv6 ping")
    check(ping(a2.ns, "fd00::1", timeout=20), "a2 -> a1, IPv6 ping")
    baseline = t.ctl(1)["drops"]
    for src, dst, address, port in ((a1, a2, "10.0.0.2", 5301), (a2, a1, "10.0.0.1", 5302)):
        sent, received = transfer(t, lab, src, dst, address, args.bytes, port=port)
        check(received["bytes"] == args.bytes and sent["sha256"] == received["sha256"],
              f"{args.bytes} bytes {src.name} -> {dst.name} arrived exactly (SHA-256)")
    s = t.ctl(1)
    new = {k: v - baseline[k] for k, v in s["drops"].items() if v != baseline[k]}
    check(not new, f"nvgred dropped nothing of the transfers ({new})")
    check(s["rx"]["delivered"] > 1000 and s["tx"]["lso_segments"] > 0,
          f"nvgred delivered {s['rx']['delivered']} frames from OVS and segmented "
          f"{s['tx']['lso_super_frames']} super-frames for it")


if __name__ == "__main__":
    sys.exit(main())
