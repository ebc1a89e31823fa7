#!/usr/bin/python3
"""nvgred end to end: two hosts, two VSIDs with the same customer addresses, IPv4 or IPv6 underlay.

    test_two_hosts.py --nvgred build/release/bin/nvgred --underlay ipv4 [--bytes 100000000]

Asserts: ping (IPv4 and IPv6 inner) within each VSID across hosts and between two ports of one
host; nothing crosses VSIDs (a listener in the other VSID sees nothing); a TCP transfer with the
VMs' default offloads arrives with the exact bytes (SHA-256 of both ends); an underlay capture
judged by tshark shows only NVGRE with the right VSIDs, every frame within the underlay MTU and
every checksum good; the stats show LSO segments made and no drop. Needs root.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import run_test, wait_for  # noqa: E402
from topology import TwoHosts, ping  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


def udp_listener(ns, port, seconds, out):
    code = ("import socket,sys,json;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
            f"s.bind(('0.0.0.0',{port}));s.settimeout({seconds});n=0\n"
            "try:\n while True: s.recv(2048); n+=1\nexcept Exception: pass\n"
            "print(n)")
    return ns.spawn([PY, "-c", code], log=out)


def isolation(t, lab):
    """UDP from a1 (VSID 5001) to 10.0.0.2: a2 (5001) gets it, b2 (5002, same IP) gets nothing."""
    a1, a2, b2 = t.vm("a1"), t.vm("a2"), t.vm("b2")
    out_a2, out_b2 = lab.path("udp-a2.txt"), lab.path("udp-b2.txt")
    la = udp_listener(a2.ns, 9999, 3, out_a2)
    lb = udp_listener(b2.ns, 9999, 3, out_b2)
    time.sleep(0.5)
    a1.ns.run(f"{PY} -c \"import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
              f"[s.sendto(b'x'*100,('10.0.0.2',9999)) for _ in range(20)]\"")
    la.wait(timeout=10)
    lb.wait(timeout=10)
    got_a2 = int(open(out_a2).read().strip() or 0)
    got_b2 = int(open(out_b2).read().strip() or 0)
    check(got_a2 == 20, f"VSID 5001 listener got all 20 datagrams (got {got_a2})")
    check(got_b2 == 0, f"VSID 5002 listener with the same address got none (got {got_b2})")


def transfer(t, lab, src, dst_vm, address, nbytes, port=5201, rate=0):
    ready = lab.path(f"ready-{port}")
    server_out = lab.path(f"server-{port}.json")
    server = dst_vm.ns.spawn([PY, os.path.join(HERE, "transfer.py"), "server", str(port),
                              "--ready", ready], log=server_out)
    wait_for(lambda: os.path.exists(ready), 10, "transfer server")
    out = src.ns.run([PY, os.path.join(HERE, "transfer.py"), "client", address, str(port),
                      str(nbytes), str(rate)], timeout=600)
    server.wait(timeout=60)
    sent = json.loads(out)
    received = json.loads(open(server_out).read().strip().splitlines()[-1])
    return sent, received


def judge_capture(path, underlay, mtu=1500):
    """tshark (an oracle nobody here wrote) over the underlay capture."""
    fields = ["frame.len", "ip.proto", "ipv6.nxt", "ip.len", "ipv6.plen", "gre.flags_and_version",
              "gre.proto", "gre.key", "ip.checksum.status", "tcp.checksum.status",
              "udp.checksum.status", "icmp.checksum.status", "icmpv6.checksum.status"]
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.check_checksum:TRUE", "-o",
           "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    frames = 0
    vsids = set()
    for line in out.splitlines():
        v = dict(zip(fields, line.split("\t")))
        frames += 1
        if v["gre.flags_and_version"] == "":
            # Only NVGRE on the underlay (neighbour discovery of the underlay itself aside).
            assert v["ip.proto"] == "" or v["ip.proto"].split(",")[0] != "47", line
            assert v["ipv6.nxt"] == "" or v["ipv6.nxt"].split(",")[0] not in ("47",), line
            continue
        assert v["gre.flags_and_version"] == "0x2000", f"GRE flags not K only: {line}"
        assert v["gre.proto"] == "0x6558", f"GRE protocol not 0x6558: {line}"
        key = int(v["gre.key"], 16)
        vsids.add(key >> 8)
        assert key & 0xFF == 0, f"FlowID not 0 by default: {line}"
        outer_len = int((v["ip.len"] if underlay == "ipv4" else v["ipv6.plen"]).split(",")[0])
        if underlay == "ipv6":
            outer_len += 40
        assert outer_len <= mtu, f"outer IP packet of {outer_len} bytes > MTU {mtu}: {line}"
        assert int(v["frame.len"]) <= mtu + 14, line
        for f in ("ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
                  "icmp.checksum.status", "icmpv6.checksum.status"):
            for status in filter(None, v[f].split(",")):
                assert status == "1", f"{f} = {status} (1 = good) in: {line}"
    return frames, vsids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    ap.add_argument("--underlay", choices=["ipv4", "ipv6"], default="ipv4")
    ap.add_argument("--bytes", type=int, default=100_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--afpacket", action="store_true", help="AF_PACKET underlay instead of raw sockets")

    args = ap.parse_args()
    return run_test("nt", lambda lab: run(lab, args))


def run(lab, args):
    t = TwoHosts(lab, args.nvgred, underlay=args.underlay, workers=args.workers,
                 afpacket=args.afpacket).build()

    a1, b1, c1 = t.vm("a1"), t.vm("b1"), t.vm("c1")
    check(ping(a1.ns, "10.0.0.2"), "a1 -> a2 IPv4 ping across hosts (VSID 5001)")
    check(ping(a1.ns, "fd00::2"), "a1 -> a2 IPv6 ping across hosts (VSID 5001)")
    check(ping(b1.ns, "10.0.0.2"), "b1 -> b2 IPv4 ping across hosts (VSID 5002, same addresses)")
    check(ping(b1.ns, "fd00::2"), "b1 -> b2 IPv6 ping across hosts (VSID 5002)")
    check(ping(a1.ns, "10.0.0.3"), "a1 -> c1 IPv4 ping on one host (local switching)")
    check(ping(a1.ns, "fd00::3"), "a1 -> c1 IPv6 ping on one host")
    misses = t.ctl(1)["drops"]["neighbor-miss"]
    check(not a1.ns.ok("ping -c 2 -W 1 10.0.0.4", timeout=10), "no answer for an address without a record")
    check(t.ctl(1)["drops"]["neighbor-miss"] > misses, "the unanswered ARP requests counted as neighbor-miss")
    isolation(t, lab)
    # From here on nothing may be dropped (before: TAPs written while their VM had not yet
    # brought the link up, the deliberate ARP misses).
    baseline = {h: t.ctl(h)["drops"] for h in (1, 2)}

    # Captured where h1's data segments arrive (an AF_PACKET sender bypasses the local taps).
    cap = lab.path("underlay.pcapng")
    dump = t.hosts[2].spawn(["dumpcap", "-q", "-i", "u2", "-c", "20000", "-w", cap],
                            log=lab.path("dumpcap.log"))
    time.sleep(1.0)
    before = time.time()
    sent, received = transfer(t, lab, a1, t.vm("a2"), "10.0.0.2", args.bytes)
    seconds = time.time() - before
    check(sent["bytes"] == args.bytes and received["bytes"] == args.bytes,
          f"TCP transfer of {args.bytes} bytes: {received['bytes']} received")
    check(sent["sha256"] == received["sha256"], "the received bytes hash as the sent ones (SHA-256)")
    mode = "AF_PACKET" if args.afpacket else "raw sockets"
    print(f"transfer: {args.bytes / 1e6:.0f} MB in {seconds:.2f} s = "
          f"{args.bytes * 8 / seconds / 1e9:.2f} Gbit/s ({args.underlay} underlay, {mode})", flush=True)
    dump.terminate()
    dump.wait(timeout=10)
    frames, vsids = judge_capture(cap, args.underlay)
    check(frames > 1000 and vsids <= {5001, 5002} and 5001 in vsids,
          f"tshark: {frames} underlay frames, all NVGRE with K only, protocol 0x6558, "
          f"VSIDs {sorted(vsids)}, within the MTU, every checksum good")

    s1, s2 = t.ctl(1), t.ctl(2)

    check(s1["tx"]["lso_segments"] > 0 and s1["tx"]["lso_super_frames"] > 0,
          f"h1 segmented {s1['tx']['lso_super_frames']} super-frames into "
          f"{s1['tx']['lso_segments']} segments")
    for h, s in ((1, s1), (2, s2)):
        new = {k: v - baseline[h][k] for k, v in s["drops"].items() if v != baseline[h][k]}
        check(not new, f"h{h}: no drops during the transfer ({new})")
        check(all(k in s["ports"][0] for k in ("tap", "vsid", "mac", "rx_packets", "rx_bytes",
                                                "tx_packets", "tx_bytes")), f"h{h}: port keys")
    check(t.alive(1) and t.alive(2), "both daemons still running")
    print(json.dumps({"underlay": args.underlay, "afpacket": args.afpacket, "bytes": args.bytes,
                      "seconds": seconds,
                      "gbit_per_s": args.bytes * 8 / seconds / 1e9}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
