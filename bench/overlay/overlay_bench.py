#!/usr/bin/python3
"""nvgred against the plain kernel path and Open vSwitch, in one run, side by side (issue 15).

    bench/overlay/run.sh [--seconds 6] [--reps 3] [--json FILE] [--plot FILE.svg|png] [--quick]

On the two-host topology of the integration tests (tests/daemon/integration/topology.py), with
iperf3 and the VMs' default offloads left on, it measures:
  (a) TCP over the plain veth between the two host namespaces, offloads on (the kernel moves
      64 KiB GSO frames through the veth unsegmented) and off (TSO/GSO/GRO off: every frame on
      the wire is at most 1500 bytes, as on nvgred's underlay);
  (b) TCP through the nvgred overlay: IPv4 underlay and IPv6 underlay over raw sockets, and IPv4
      over AF_PACKET;
  (c) the same through Open vSwitch 3.1's userspace datapath with a keyed GRE port on both hosts
      (OVS needs the VMs' offloads off: they are, for (c) only);
each with 1 and 4 streams, `reps` repetitions (median, min, max); ping RTT p50/p99 over 1000
pings through each; CPU seconds per GB moved by both nvgred processes (/proc/PID/stat); and the
underlay's own ceiling for each underlay path (bench/underlay_probe: sendmmsg/recvmmsg in
batches of 64, raw sockets and AF_PACKET), against which nvgred's underlay packet rate is set.
Prints a table and the ratios, writes JSON, optionally draws the bars (matplotlib).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "daemon", "integration"))
from netlab import Lab, wait_for  # noqa: E402
from ovs import OvsPeer, available as ovs_available  # noqa: E402
from topology import TwoHosts, ping  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def iperf(client, server, address, streams, seconds, port=5201):
    srv = server.spawn(["iperf3", "-s", "-1", "-p", str(port)], log=None)
    time.sleep(0.4)
    try:
        out = client.run(f"iperf3 -c {address} -p {port} -t {seconds} -P {streams} -J",
                         timeout=seconds + 60)
    finally:
        try:
            srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
    j = json.loads(out)
    return {"gbit_per_s": j["end"]["sum_received"]["bits_per_second"] / 1e9,
            "bytes": j["end"]["sum_received"]["bytes"],
            "retransmits": j["end"]["sum_sent"].get("retransmits", 0)}


def ping_rtt(ns, address, count):
    out = ns.run(f"ping -c {count} -i 0.002 -W 1 {address}", check=False, timeout=count * 0.01 + 30)
    times = sorted(float(t.split("time=")[1].split()[0]) for t in out.splitlines() if "time=" in t)
    if not times:
        return None
    return {"p50_ms": times[len(times) // 2], "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
            "received": len(times)}


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (all threads)
        except (FileNotFoundError, IndexError):
            pass
    return total / CLK_TCK


def daemon_pids(t):
    """The nvgred processes (children of `ip netns exec`)."""
    pids = []
    for h, p in t.daemons.items():
        out = subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True, text=True).stdout.split()
        pids += [int(x) for x in out] or [p.pid]
    return pids


def summarize(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def series(run_one, reps, streams_list):
    result = {}
    for streams in streams_list:
        runs = [run_one(streams) for _ in range(reps)]
        result[str(streams)] = summarize([r["gbit_per_s"] for r in runs])
        result[str(streams)]["retransmits"] = [r["retransmits"] for r in runs]
    return result


def plain_veth(args, offloads):
    with Lab("bv", time_limit=900) as lab:
        t = TwoHosts(lab, args.nvgred, underlay="ipv4")
        t.vms = []
        t.build(start=())
        if not offloads:
            for h in (1, 2):
                t.hosts[h].run(f"ethtool -K u{h} tso off gso off gro off >/dev/null")
        h1, h2 = t.hosts[1], t.hosts[2]
        res = series(lambda n: iperf(h1, h2, t.pa[2], n, args.seconds), args.reps, args.streams)
        res["ping"] = ping_rtt(h1, t.pa[2], args.pings)
        return res


def nvgred(args, underlay, afpacket=False):
    with Lab("bn", time_limit=1200) as lab:
        t = TwoHosts(lab, args.nvgred, underlay=underlay, workers=args.workers,
                     afpacket=afpacket).build()
        a1, a2 = t.vm("a1"), t.vm("a2")
        assert ping(a1.ns, "10.0.0.2", timeout=20), "overlay ping failed"
        pids = daemon_pids(t)
        cpu = {"seconds": 0.0, "bytes": 0}
        packets = {"tx": 0, "seconds": 0.0}

        def one(streams):
            c0, s0 = cpu_seconds(pids), t.ctl(1)["tx"]["packets"]
            start = time.time()
            r = iperf(a1.ns, a2.ns, "10.0.0.2", streams, args.seconds)
            cpu["seconds"] += cpu_seconds(pids) - c0
            cpu["bytes"] += r["bytes"]
            packets["tx"] += t.ctl(1)["tx"]["packets"] - s0
            packets["seconds"] += time.time() - start
            return r

        res = series(one, args.reps, args.streams)
        res["ping"] = ping_rtt(a1.ns, "10.0.0.2", args.pings)
        res["cpu_seconds_per_gb"] = cpu["seconds"] / (cpu["bytes"] / 1e9) if cpu["bytes"] else None
        res["underlay_pps"] = packets["tx"] / packets["seconds"] if packets["seconds"] else None
        s1, s2 = t.ctl(1), t.ctl(2)
        res["drops"] = {h: {k: v for k, v in s["drops"].items() if v} for h, s in ((1, s1), (2, s2))}
        res["rx_coalesced_per_frame"] = (s2["rx"]["coalesced"] / s2["rx"]["lso_super_frames"]
                                         if s2["rx"]["lso_super_frames"] else 0)
        return res


def ovs(args):
    with Lab("bo", time_limit=900) as lab:
        t = TwoHosts(lab, args.nvgred, underlay="ipv4")
        t.vms = [v for v in t.vms if v.name in ("a1", "a2")]
        for v in t.vms:
            v.tap = "eth0"
        t.build(start=())
        peers = {}
        for h, other in ((1, 2), (2, 1)):
            peers[h] = OvsPeer(lab, t.hosts[h], f"u{h}", t.pa[h], t.pa[other], name=f"ovs{h}").start()
            peers[h].add_gre("gre0", 5001 << 8)
        peers[1].add_vm(t.vm("a1"), "vm-a1", mtu=1458)
        peers[2].add_vm(t.vm("a2"), "vm-a2", mtu=1458)
        a1, a2 = t.vm("a1"), t.vm("a2")
        assert ping(a1.ns, "10.0.0.2", timeout=30), "OVS overlay ping failed"
        res = series(lambda n: iperf(a1.ns, a2.ns, "10.0.0.2", n, args.seconds), args.reps, args.streams)
        res["ping"] = ping_rtt(a1.ns, "10.0.0.2", args.pings)
        res["note"] = "the VMs' offloads are off (OVS's userspace datapath needs it)"
        return res


def ceiling(args, mode):
    with Lab("bc", time_limit=300) as lab:
        t = TwoHosts(lab, args.nvgred, underlay="ipv4")
        t.vms = []
        t.build(start=())
        mac2 = t.hosts[2].run("cat /sys/class/net/u2/address").strip()
        recv = t.hosts[2].spawn([args.probe, "recv", "--mode", mode, "--local", t.pa[2],
                                 "--interface", "u2", "--seconds", str(args.seconds + 2)],
                                log=lab.path("recv.json"))
        time.sleep(0.5)
        sent = json.loads(t.hosts[1].run([args.probe, "send", "--mode", mode, "--local", t.pa[1],
                                          "--remote", t.pa[2], "--interface", "u1",
                                          "--remote-mac", mac2, "--seconds", str(args.seconds)],
                                         timeout=args.seconds + 30))
        recv.wait(timeout=args.seconds + 10)
        got = json.loads(open(lab.path("recv.json")).read().strip().splitlines()[-1])
        return {"sent_pps": sent["pps"], "received_pps": got["pps"],
                "received_gbit_per_s": got["gbit_per_s"]}


def table(results):
    rows = [("plain veth, offloads on", "veth_offloads_on"),
            ("plain veth, offloads off", "veth_offloads_off"),
            ("nvgred, IPv4 underlay (raw sockets)", "nvgred_ipv4"),
            ("nvgred, IPv6 underlay (raw sockets)", "nvgred_ipv6"),
            ("nvgred, IPv4 underlay (AF_PACKET)", "nvgred_ipv4_afpacket"),
            ("OVS 3.1 userspace GRE (VM offloads off)", "ovs")]
    lines = [f"{'path':42} {'1 stream Gbit/s':>22} {'4 streams Gbit/s':>22} {'ping p50/p99 ms':>18}"]
    for label, key in rows:
        r = results.get(key)
        if not r:
            continue
        cells = []
        for s in ("1", "4"):
            x = r.get(s)
            cells.append(f"{x['median']:.2f} ({x['min']:.2f}-{x['max']:.2f})" if x else "-")
        p = r.get("ping")
        ping_s = f"{p['p50_ms']:.3f}/{p['p99_ms']:.3f}" if p else "-"
        lines.append(f"{label:42} {cells[0]:>22} {cells[1]:>22} {ping_s:>18}")
    return "\n".join(lines)


def ratios(results):
    out = {}
    def med(key, s):
        return results.get(key, {}).get(s, {}).get("median")
    for s in ("1", "4"):
        b = med("nvgred_ipv4", s)
        for name, key in (("veth_offloads_on", "veth_offloads_on"), ("veth_offloads_off", "veth_offloads_off"),
                          ("ovs", "ovs")):
            a = med(key, s)
            if a and b:
                out[f"nvgred_ipv4/{name} ({s} stream{'s' if s != '1' else ''})"] = b / a
    best = max((results.get(f"ceiling_{m}", {}).get("received_pps") or 0) for m in ("raw", "packet"))
    for key in ("nvgred_ipv4", "nvgred_ipv4_afpacket"):
        pps = results.get(key, {}).get("underlay_pps")
        if best and pps:
            out[f"{key} underlay pps / best underlay ceiling"] = pps / best
    return out


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = [k for k in ("veth_offloads_on", "veth_offloads_off", "nvgred_ipv4", "nvgred_ipv6",
                        "nvgred_ipv4_afpacket", "ovs") if k in results]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.38
    for i, s in enumerate(("1", "4")):
        med = [results[k][s]["median"] for k in keys]
        err = [[results[k][s]["median"] - results[k][s]["min"] for k in keys],
               [results[k][s]["max"] - results[k][s]["median"] for k in keys]]
        ax.bar([x + (i - 0.5) * width for x in range(len(keys))], med, width, yerr=err, capsize=3,
               label=f"{s} stream{'s' if s != '1' else ''}")
    ax.set_xticks(range(len(keys)), [k.replace("_", "\n") for k in keys], fontsize=8)
    ax.set_ylabel("TCP Gbit/s (median, min-max)")
    ax.set_title("nvgred vs the plain veth and Open vSwitch (iperf3)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    ap.add_argument("--probe", required=True)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--pings", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default="overlay-bench.json")
    ap.add_argument("--plot")
    ap.add_argument("--quick", action="store_true", help="1 repetition, 3 s, 200 pings")
    ap.add_argument("--only", help="comma-separated scenario keys")
    args = ap.parse_args()
    if args.quick:
        args.reps, args.seconds, args.pings = 1, 3, 200
    args.streams = (1, 4)
    if os.geteuid() != 0:
        sys.exit("needs root")
    scenarios = [("veth_offloads_on", lambda: plain_veth(args, True)),
                 ("veth_offloads_off", lambda: plain_veth(args, False)),
                 ("nvgred_ipv4", lambda: nvgred(args, "ipv4")),
                 ("nvgred_ipv6", lambda: nvgred(args, "ipv6")),
                 ("nvgred_ipv4_afpacket", lambda: nvgred(args, "ipv4", afpacket=True)),
                 ("ceiling_raw", lambda: ceiling(args, "raw")),
                 ("ceiling_packet", lambda: ceiling(args, "packet"))]
    if ovs_available():
        scenarios.append(("ovs", lambda: ovs(args)))
    only = set(args.only.split(",")) if args.only else None
    results = {"build": "release (-O3, CMAKE_BUILD_TYPE=Release)", "cpus": os.cpu_count(),
               "kernel": os.uname().release, "seconds": args.seconds, "reps": args.reps}
    for key, fn in scenarios:
        if only and key not in only:
            continue
        print(f"... {key}", file=sys.stderr, flush=True)
        results[key] = fn()
    results["ratios"] = ratios(results)
    print(table(results))
    for k, v in results["ratios"].items():
        print(f"{k}: {v:.2f}")
    for key in ("nvgred_ipv4", "nvgred_ipv6", "nvgred_ipv4_afpacket"):
        r = results.get(key)
        if r:
            print(f"{key}: CPU {r['cpu_seconds_per_gb']:.2f} s/GB (both daemons), underlay "
                  f"{r['underlay_pps']:.0f} pps, {r['rx_coalesced_per_frame']:.1f} segments per "
                  f"coalesced frame, drops {r['drops']}")
    for m in ("raw", "packet"):
        c = results.get(f"ceiling_{m}")
        if c:
            print(f"underlay ceiling ({m}): sent {c['sent_pps']:.0f} pps, received "
                  f"{c['received_pps']:.0f} pps = {c['received_gbit_per_s']:.2f} Gbit/s of 1500-byte datagrams")
    if ovs_available() is False:
        print("Open vSwitch is not installed: (c) skipped")
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"JSON: {args.json}")
    if args.plot:
        plot(results, args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
