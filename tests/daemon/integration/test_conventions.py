#!/usr/bin/python3
"""nvgred's virtual-network conventions on live traffic.

    test_conventions.py --nvgred build/release/bin/nvgred [--underlay ipv4|ipv6]

- Broadcast inside a VSID: a UDP broadcast from a1 reaches a2 (other host: head-end
  replication, one unicast copy per provider) and c1 (same host), never b1/b2 (other VSID);
  then again with the VSID flooding through an underlay multicast group.
- PMTU (RFC 7637 §4: never fragment after encapsulation): with its MTU raised above the TAP's,
  a VM's IPv4 DF packet and IPv6 packet that do not fit are answered with ICMP Fragmentation
  Needed / Packet Too Big carrying the right MTU, which the VM's kernel then uses.
- FlowID "auto": the FlowID follows the inner flow (constant per TCP connection, not all 0),
  and the receiver accepts it (counting non-zero FlowIDs).
- check-config: a bad file is refused with file, line, key and what was expected.
- Clean shutdown on SIGTERM: exit 0, the TAPs it made gone, the control socket removed.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import Lab, wait_for  # noqa: E402
from test_two_hosts import check, transfer  # noqa: E402
from topology import TwoHosts, ping  # noqa: E402

PY = "/usr/bin/python3"


def broadcast_reaches(t, lab, tag):
    """Sends 10 UDP broadcasts from a1; returns {vm: datagrams received}."""
    listeners = {}
    for name in ("a2", "c1", "b1", "b2"):
        out = lab.path(f"bcast-{tag}-{name}.txt")
        code = ("import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
                "s.bind(('',9998));s.settimeout(3);n=0\n"
                "try:\n while True: s.recv(2048); n+=1\nexcept Exception: pass\nprint(n)")
        listeners[name] = (t.vm(name).ns.spawn([PY, "-c", code], log=out), out)
    time.sleep(0.5)
    t.vm("a1").ns.run(f"{PY} -c \"import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
                      "s.setsockopt(socket.SOL_SOCKET,socket.SO_BROADCAST,1);"
                      "[s.sendto(b'hello',('10.0.0.255',9998)) for _ in range(10)]\"")
    got = {}
    for name, (p, out) in listeners.items():
        p.wait(timeout=10)
        got[name] = int(open(out).read().strip() or 0)
    return got


def broadcast(lab, args, multicast):
    group = "239.1.1.1" if args.underlay == "ipv4" else "ff05::4242"
    t = TwoHosts(lab, args.nvgred, underlay=args.underlay,
                 multicast={5001: group} if multicast else None).build()
    how = f"through underlay multicast group {group}" if multicast else "by head-end replication"
    check(ping(t.vm("a1").ns, "10.0.0.2"), f"a1 -> a2 ping ({how})")
    before = t.ctl(1)["tx"]["flood_copies"]
    got = broadcast_reaches(t, lab, "mc" if multicast else "uc")
    check(got["a2"] == 10 and got["c1"] == 10,
          f"a UDP broadcast in VSID 5001 reached a2 (other host) and c1 (same host) {how}: {got}")
    check(got["b1"] == 0 and got["b2"] == 0, f"... and nothing in VSID 5002: {got}")
    copies = t.ctl(1)["tx"]["flood_copies"] - before
    check(copies >= 10, f"h1 sent {copies} encapsulated copies for 10 broadcasts ({how})")
    return t


def pmtu(t):
    a1 = t.vm("a1")
    inner_mtu = 1500 - (20 if t.underlay == "ipv4" else 40) - 8 - 14
    a1.ns.run(f"ip link set {a1.tap} mtu 1500")   # above the TAP's 1458 / 1438
    before = t.ctl(1)
    too_big = 1500 - 28  # an IPv4 ICMP echo of 1500 bytes, DF set
    a1.ns.run(f"ping -c 2 -W 1 -M do -s {too_big} 10.0.0.2 || true")
    route = a1.ns.run("ip route get 10.0.0.2")
    check(f"mtu {inner_mtu}" in route,
          f"the VM's kernel learned path MTU {inner_mtu} for 10.0.0.2 from nvgred's ICMP: {route.strip()}")
    check(a1.ns.ok(f"ping -c 2 -W 2 -M do -s {inner_mtu - 28} 10.0.0.2"),
          f"an IPv4 packet of exactly {inner_mtu} bytes with DF passes")
    a1.ns.run("ping -6 -c 2 -W 1 -M do -s 1452 fd00::2 || true")
    route6 = a1.ns.run("ip -6 route get fd00::2")
    check(f"mtu {inner_mtu}" in route6,
          f"... and {inner_mtu} for fd00::2 from the ICMPv6 Packet Too Big: {route6.strip()}")
    after = t.ctl(1)
    sent = after["other"]["icmp_too_big_sent"] - before["other"]["icmp_too_big_sent"]
    dropped = after["drops"]["packet-too-big"] - before["drops"]["packet-too-big"]
    check(sent >= 2 and sent == dropped,
          f"{dropped} too-big packets dropped (never fragmented), {sent} ICMP messages sent back")
    a1.ns.run(f"ip link set {a1.tap} mtu {inner_mtu}")


MERGED = r'''
import sys
from scapy.all import IP, IPv6, GRE, Ether, TCP, Raw, send, conf
conf.verb = 0
pa, src_mac, dst_mac = sys.argv[1], sys.argv[2], sys.argv[3]
outer = IPv6(dst=pa) if ':' in pa else IP(dst=pa)
inner = (Ether(src=src_mac, dst=dst_mac) / IP(src='10.0.0.2', dst='10.0.0.1') /
         TCP(sport=7000, dport=7001, flags='A', seq=1000) / Raw(b'm' * 5000))
send(outer / GRE(key_present=1, proto=0x6558, key=5001 << 8) / inner)
'''


def kernel_merged(t, lab):
    """A NVGRE datagram longer than the underlay MTU (what a NIC's GRE GRO hands the stack; this
    kernel has no GRE GRO, so scapy sends one over veths with a larger link MTU) is delivered to
    the VM as one GSO frame."""
    a1, a2 = t.vm("a1"), t.vm("a2")
    for h in (1, 2):
        t.hosts[h].run(f"ip link set u{h} mtu 9000")
    cap = lab.path("merged-a1.pcap")
    dump = a1.ns.spawn(["dumpcap", "-q", "-i", a1.tap, "-c", "1", "-f", "tcp port 7001", "-w", cap],
                       log=lab.path("dumpcap-merged.log"))
    time.sleep(1)
    before = t.ctl(1)["rx"]["kernel_merged"]
    t.hosts[2].run([PY, lab.write("merged.py", MERGED), t.pa[1], a2.mac, a1.mac])
    dump.wait(timeout=10)
    merged = t.ctl(1)["rx"]["kernel_merged"] - before
    lengths = subprocess.run(["tshark", "-n", "-r", cap, "-T", "fields", "-e", "frame.len"],
                             capture_output=True, text=True).stdout.split()
    check(merged == 1 and lengths == ["5054"],
          f"a 5054-byte inner frame (beyond the VM's MTU) reached the VM whole as a GSO frame "
          f"(kernel_merged {merged}, captured {lengths})")
    for h in (1, 2):
        t.hosts[h].run(f"ip link set u{h} mtu 1500")


def flow_id_auto(lab, args):
    t = TwoHosts(lab, args.nvgred, underlay=args.underlay, flow_id="auto").build()
    a1, a2 = t.vm("a1"), t.vm("a2")
    check(ping(a1.ns, "10.0.0.2"), "a1 -> a2 ping with flow_id = \"auto\"")
    cap = lab.path("flowid.pcapng")
    dump = t.hosts[1].spawn(["dumpcap", "-q", "-i", "u1", "-c", "4000", "-w", cap],
                            log=lab.path("dumpcap-flowid.log"))
    time.sleep(1)
    for port in (5401, 5402, 5403, 5404):
        transfer(t, lab, a1, a2, "10.0.0.2", 1_000_000, port=port)
    time.sleep(0.5)
    dump.terminate()
    dump.wait(timeout=10)
    out = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "gre && tcp", "-T", "fields",
                          "-E", "separator=,", "-E", "occurrence=l", "-e", "gre.key",
                          "-e", "tcp.srcport", "-e", "tcp.dstport"],
                         capture_output=True, text=True, check=True).stdout
    per_flow = {}
    for line in out.splitlines():
        key, sport, dport = line.split(",")
        flow = tuple(sorted((int(sport), int(dport))))
        per_flow.setdefault(flow, set()).add(int(key, 16) & 0xFF)
    check(len(per_flow) >= 4 and all(len(ids) == 1 for ids in per_flow.values()),
          f"one FlowID per TCP connection (both directions alike): {per_flow}")
    check(any(next(iter(ids)) != 0 for ids in per_flow.values()), "FlowIDs are not all 0")
    check(t.ctl(2)["rx"]["flow_id_nonzero"] > 0, "the receiver counted the non-zero FlowIDs it accepted")
    return t


def check_config(lab, args):
    bad = lab.write("bad.toml", '[underlay]\naddress = "192.0.2.1"\n[[subnet]]\nvsid = 12\n')
    r = subprocess.run([args.nvgred, "check-config", bad], capture_output=True, text=True)
    check(r.returncode == 1 and f"{bad}:4:" in r.stderr and "subnet[0].vsid" in r.stderr
          and "4096" in r.stderr, f"check-config refuses a reserved VSID: {r.stderr.strip()}")
    r = subprocess.run([args.nvgred, "--config", bad], capture_output=True, text=True)
    check(r.returncode == 1 and "subnet[0].vsid" in r.stderr, "nvgred refuses to start with it")


def shutdown(t):
    d = t.daemons[1]
    taps = [vm for vm in t.vms if vm.host == 1]
    check(all(vm.ns.ok(f"ip link show {vm.tap}") for vm in taps), "h1's TAPs exist")
    os.killpg(d.pid, signal.SIGTERM)
    d.wait(timeout=10)
    check(d.returncode == 0, f"nvgred exits 0 on SIGTERM (exit {d.returncode})")
    check(not any(vm.ns.ok(f"ip link show {vm.tap}") for vm in taps), "its TAPs are gone")
    check(not os.path.exists(t.socket(1)), "its control socket is removed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    ap.add_argument("--underlay", choices=["ipv4", "ipv6"], default="ipv4")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces): skipped")
        return 77
    with Lab("nc", time_limit=600) as lab:
        check_config(lab, args)
        t = broadcast(lab, args, multicast=False)
        pmtu(t)
        kernel_merged(t, lab)
        shutdown(t)
    with Lab("nc", time_limit=600) as lab:
        broadcast(lab, args, multicast=True)
    with Lab("nc", time_limit=600) as lab:
        flow_id_auto(lab, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
