#!/usr/bin/python3
"""nvgred in operation: the control surface, live reload and `offload set` on live traffic.

    test_operations.py --nvgred build/release/bin/nvgred

Two hosts (topology.py), IPv4 underlay. Asserts:
- ctl: stats, ports, lookup, subnets, offload, version in text and --json, against what the
  configuration says; errors (unknown command, arguments where none are taken, no socket, a
  request beyond the bound) exit 1 with a message; the socket is 0660 of [control] group, and
  the kernel refuses a client outside it (setpriv as nobody) while a member gets in.
- reload: 20 reloads (a port added and removed, a lookup record changed, alternately) while a
  paced TCP transfer runs on an unchanged port: exact bytes (SHA-256), no drop counted, the port
  keeps its slot; a port added by a reload passes traffic (locally and, after h2 reloads a
  record for it, across hosts); a removed one is gone (its TAP disappears); SIGHUP reloads too
  (the outer TTL it changed, seen by tshark); a file with an error is refused with the lines
  `nvgred check-config` prints, and one changing underlay.mtu with "takes a restart"; the old
  configuration stays in force.
- offload set, each on live traffic: *LsoV2IPv4 off -> the VM's TAP drops TSO4 (ethtool -k in
  the VM) and the VM's kernel segments (no LSO super-frames, transfer exact); Rx checksum off ->
  a datagram with a bad inner UDP checksum reaches the VM, whose kernel counts it (Udp
  InCsumErrors in its /proc/net/snmp: no DATA_VALID), where with it on nvgred drops it as
  bad-inner-l4-checksum; NVGRE task offload off -> no offload on the TAP at all, plain frames
  (no LSO, no checksum offload, no DATA_VALID), transfer exact; on again restores them; an
  invalid value is NDIS_STATUS_INVALID_DATA and changes nothing.
- metrics: GET /metrics (h1, [metrics] listen = "127.0.0.1:9469" in its namespace) parsed by
  prometheus_client's text parser (Debian's python3-prometheus-client): every counter of
  `ctl stats --json` is there under its Prometheus name with a value between two ctl snapshots
  taken around the scrape, nothing else is (but build_info), every family has HELP and TYPE;
  another path is 404.
Needs root.
"""

import argparse
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import run_test, wait_for  # noqa: E402
from test_two_hosts import check, transfer  # noqa: E402
from topology import TwoHosts, Vm, ping  # noqa: E402

PY = "/usr/bin/python3"
DAEMON_GID = 1  # Debian's "daemon" group: the control socket's group in this test


# ---- helpers ------------------------------------------------------------------------------------

def features(vm):
    """ethtool -k of the VM's interface, inside the VM: {feature: "on"/"off"}."""
    out = vm.ns.run(f"ethtool -k {vm.tap}")
    f = {}
    for line in out.splitlines()[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            f[k.strip()] = v.split()[0] if v.split() else ""
    return f


def udp_csum_errors(vm):
    """Udp InCsumErrors of the VM's kernel (/proc/net/snmp in its namespace)."""
    lines = [l.split() for l in vm.ns.run("cat /proc/net/snmp").splitlines() if l.startswith("Udp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:]))["InCsumErrors"])


BAD_UDP = r'''
import sys
from scapy.all import IP, GRE, Ether, UDP, Raw, send, conf, raw
conf.verb = 0
pa, src_mac, dst_mac, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
inner = (Ether(src=src_mac, dst=dst_mac) / IP(src='10.0.0.2', dst='10.0.0.1') /
         UDP(sport=7000, dport=7002) / Raw(b'c' * 64))
good = UDP(raw(inner[UDP])).chksum                 # what scapy computes: the right checksum
inner[UDP].chksum = good ^ 0x00FF or 0x1234         # wrong (and not 0, "no checksum")
send([IP(dst=pa) / GRE(key_present=1, proto=0x6558, key=5001 << 8) / inner] * count)
'''


def send_bad_udp(t, lab, count=5):
    """From h2's host namespace: `count` NVGRE datagrams to a1 whose inner UDP checksum is bad."""
    t.hosts[2].run([PY, lab.write("bad_udp.py", BAD_UDP), t.pa[1], t.vm("a2").mac, t.vm("a1").mac,
                    str(count)])
    time.sleep(0.5)


def drops_since(before, after):
    return {k: v - before[k] for k, v in after.items() if v != before[k]}


# ---- the control surface --------------------------------------------------------------------------

def control_surface(t, lab, nvgred):
    s = t.ctl(1, "stats")
    check(s["workers"] == 2 and len(s["ports"]) == 3, "ctl stats --json: 2 workers, 3 ports")
    text = t.ctl_run(1, "stats")
    check(text.returncode == 0 and "workers 2" in text.stdout and "drops (non-zero)" in text.stdout,
          "ctl stats (text)")

    ports = {p["tap"]: p for p in t.ctl(1, "ports")["ports"]}
    check(set(ports) == {"nva", "nvb", "nvc"}, f"ctl ports: the three TAPs of h1 ({sorted(ports)})")
    for vm in (t.vm("a1"), t.vm("b1"), t.vm("c1")):
        p = ports[vm.tap]
        check(p["vsid"] == vm.vsid and p["mac"] == vm.mac and p["netns"] == vm.ns.name and
              p["ip"] == [vm.ipv4, vm.ipv6] and p["mtu"] == 1458 and p["queues"] == 2 and
              p["offloads"] == ["csum", "tso4", "tso6", "uso4", "uso6"] and
              p["vmq_filter"] == p["slot"] + 1,
              f"ctl ports: {vm.tap} as configured (vsid {vm.vsid}, {vm.mac}, netns, addresses, "
              f"mtu 1500 - 42, 2 queues, every offload, VMQ filter {p['slot'] + 1})")
    text = t.ctl_run(1, "ports").stdout
    check(all(re.search(rf"^\d+\s+{tap}\s+", text, re.M) for tap in ports), "ctl ports (text)")

    records = t.ctl(1, "lookup")["records"]
    want = sorted((vm.vsid, vm.mac, t.pa[2]) for vm in t.vms if vm.host == 2)
    check(sorted((r["vsid"], r["mac"], r["provider"]) for r in records) == want and
          all(r["source"] == "file" for r in records),
          f"ctl lookup: h2's VMs, provider {t.pa[2]}, from the file")
    check("file" in t.ctl_run(1, "lookup").stdout, "ctl lookup (text)")

    subnets = {s["vsid"]: s for s in t.ctl(1, "subnets")["subnets"]}
    check(sorted(subnets[5001]["ports"]) == ["nva", "nvc"] and subnets[5002]["ports"] == ["nvb"] and
          subnets[5001]["flood_providers"] == [t.pa[2]] and subnets[5001]["flood"] == "unicast",
          "ctl subnets: local ports and flood providers per VSID")
    check("5001" in t.ctl_run(1, "subnets").stdout, "ctl subnets (text)")

    o = t.ctl(1, "offload")
    check(o["encapsulated_offload_active"] and o["current_config"]["EncapsulationTypes"] == 1 and
          o["keywords"]["*EncapsulatedPacketTaskOffload"] == 1 and
          o["current_config"]["EncapsulatedPacketTaskOffloadGre"]["MaxHeaderSizeSupported"] == 256 and
          o["tap_offloads"] == "csum,tso4,tso6,uso4,uso6",
          "ctl offload: NVGRE task offload active (GRE_MAC), keywords, the TAPs' offloads")
    text = t.ctl_run(1, "offload").stdout
    check("NVGRE task offload: active (GRE_MAC)" in text and "OID_TCP_OFFLOAD_CURRENT_CONFIG" in text,
          "ctl offload (text)")

    version = subprocess.run([nvgred, "--version"], capture_output=True, text=True).stdout.strip()
    check(t.ctl(1, "version")["version"] == version.split()[-1] and
          t.ctl_run(1, "version").stdout.strip() == f"nvgred {version.split()[-1]}",
          f"ctl version = nvgred --version ({version})")

    r = t.ctl_run(1, "frobnicate")
    check(r.returncode == 1 and "unknown command 'frobnicate'" in r.stderr, f"unknown command: exit 1, {r.stderr.strip()}")
    r = t.ctl_run(1, "ports", "extra")
    check(r.returncode == 1 and "ports takes no arguments" in r.stderr, "arguments to ports: exit 1")
    r = t.ctl_run(1, "offload", "sett")
    check(r.returncode == 1 and "unknown subcommand 'sett'" in r.stderr, "offload sett: exit 1")
    r = subprocess.run([nvgred, "ctl", "--socket", lab.path("nobody-here.sock"), "stats"],
                       capture_output=True, text=True)
    check(r.returncode == 1 and "cannot connect" in r.stderr, "no socket: exit 1, 'cannot connect'")

    # A request beyond the bound is answered with an error, not parsed.
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(t.socket(1))
    try:
        c.sendall(b"x" * 70000)
    except OSError:
        pass
    reply = json.loads(c.makefile().readline())
    c.close()
    check(reply == {"ok": False, "error": "request longer than 65536 bytes"},
          f"a 70000-byte request: {reply}")

    # The socket: 0660, group "daemon"; the kernel decides who may connect.
    st = os.stat(t.socket(1))
    check(stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == DAEMON_GID and st.st_uid == 0,
          f"control socket mode {oct(stat.S_IMODE(st.st_mode))}, owner {st.st_uid}:{st.st_gid}")
    outsider = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    member = ["setpriv", "--reuid=65534", "--regid=65534", f"--groups={DAEMON_GID}"]
    r = t.ctl_run(1, "version", prefix=outsider)
    check(r.returncode == 1 and "Permission denied" in r.stderr,
          f"nobody outside the group is refused by the kernel: {r.stderr.strip()}")
    r = t.ctl_run(1, "version", prefix=member)
    check(r.returncode == 0 and r.stdout.startswith("nvgred "), "nobody in the group gets in")


# ---- reload -------------------------------------------------------------------------------------

def write_config(t, h):
    return t.lab.write(f"h{h}.toml", t.config_text(h))


def reload_ok(t, h):
    r = t.ctl_run(h, "reload", json_output=True)
    if r.returncode != 0:
        raise AssertionError(f"ctl reload on h{h}: {r.stderr}")
    return json.loads(r.stdout)


def reloads(t, lab):
    a1, a2 = t.vm("a1"), t.vm("a2")
    d1 = Vm("d1", 1, 5002, "10.0.0.4", "fd00::4", "02:00:00:01:50:04", "nvd")
    d1.ns = lab.netns("d1")
    base = t.config_text(1)
    t.vms.append(d1)
    extra_record = ("[[lookup]]\nvsid = 5001\nmac = \"02:00:00:02:50:99\"\nip = \"10.0.0.99\"\n"
                    f"provider = \"{t.pa[2]}\"\n")
    with_d1 = t.config_text(1) + extra_record
    t.vms.remove(d1)
    slot_before = {p["tap"]: p["slot"] for p in t.ctl(1, "ports")["ports"]}
    before = {h: t.ctl(h) for h in (1, 2)}

    # 20 reloads while a paced transfer runs on an unchanged port (a1 -> a2, VSID 5001).
    nbytes, rate = 40_000_000, 10_000_000
    result = {}
    worker = threading.Thread(target=lambda: result.update(
        zip(("sent", "received"), transfer(t, lab, a1, a2, "10.0.0.2", nbytes, port=5301, rate=rate))))
    worker.start()
    time.sleep(0.5)
    applied = []
    for i in range(20):
        lab.write("h1.toml", with_d1 if i % 2 == 0 else base)
        applied.append(reload_ok(t, 1))
        time.sleep(0.1)
    during = worker.is_alive()
    worker.join(timeout=120)
    check(during, "the 20 reloads all happened while the transfer ran")
    check(all(a["ports_added"] == ["nvd"] and a["lookups_added"] == 1 for a in applied[0::2]) and
          all(a["ports_removed"] == ["nvd"] and a["lookups_removed"] == 1 for a in applied[1::2]),
          "each reload added (or removed) the port nvd and a lookup record")
    check(result["sent"]["bytes"] == nbytes and result["received"]["bytes"] == nbytes and
          result["sent"]["sha256"] == result["received"]["sha256"],
          f"the transfer across 20 reloads: {nbytes} bytes, SHA-256 equal")
    after = {h: t.ctl(h) for h in (1, 2)}
    for h in (1, 2):
        new = drops_since(before[h]["drops"], after[h]["drops"])
        check(not new, f"h{h}: no drop counted during the reloads ({new})")
    slot_after = {p["tap"]: p["slot"] for p in t.ctl(1, "ports")["ports"]}
    check(slot_after == slot_before, f"the unchanged ports kept their slots {slot_after}")
    nva = lambda s: next(p for p in s["ports"] if p["tap"] == "nva")  # noqa: E731
    check(nva(after[1])["rx_bytes"] - nva(before[1])["rx_bytes"] >= nbytes,
          "nva's counters kept counting through the reloads")

    # A port added by a reload passes traffic; h2 learns it by a reload too.
    lab.write("h1.toml", with_d1)
    reload_ok(t, 1)
    t.vms.append(d1)
    wait_for(lambda: d1.ns.ok("ip link show nvd"), 10, "TAP nvd in d1")
    d1.ns.run(f"ip link set nvd up && ip addr add {d1.ipv4}/24 dev nvd")
    check(ping(t.vm("b1").ns, "10.0.0.4"), "b1 -> d1 (added by a reload) on one host")
    nvd = next(p for p in t.ctl(1, "ports")["ports"] if p["tap"] == "nvd")
    filters = {f["mac"]: f for f in t.ctl(1, "offload")["vmq"]["filters"]}
    check(nvd["vmq_filter"] == nvd["slot"] + 1 and filters[d1.mac]["queue_id"] == nvd["slot"] + 1 and
          filters[d1.mac]["encapsulation_gre"],
          f"its VMQ filter: its MAC on queue {nvd['slot'] + 1}, tested on the inner header")
    write_config(t, 2)
    r = reload_ok(t, 2)
    check(r["lookups_added"] == 1, "h2 reloaded with a lookup record for d1")
    check(ping(t.vm("b2").ns, "10.0.0.4"), "b2 -> d1 across hosts")
    # And a removed one is gone.
    t.vms.remove(d1)
    lab.write("h1.toml", base)
    r = reload_ok(t, 1)
    check(r["ports_removed"] == ["nvd"], "reload removed nvd")
    check(not d1.ns.ok("ip link show nvd"), "its TAP is gone from d1's namespace")
    check(not t.vm("b2").ns.ok("ping -c 2 -W 1 10.0.0.4", timeout=10), "d1 no longer answers")
    check("nvd" not in [p["tap"] for p in t.ctl(1, "ports")["ports"]] and
          d1.mac not in [f["mac"] for f in t.ctl(1, "offload")["vmq"]["filters"]],
          "ctl ports no longer lists it, and its VMQ filter is gone")

    # SIGHUP reloads (here: the outer TTL).
    lab.write("h1.toml", base.replace("mtu = 1500\n", "mtu = 1500\nttl = 33\n"))
    os.kill(t.daemons[1].pid, signal.SIGHUP)
    wait_for(lambda: "settings: underlay.ttl" in open(t.log(1)).read(), 10, "the SIGHUP reload")
    cap = lab.path("ttl.pcap")
    dump = t.hosts[2].spawn(["dumpcap", "-q", "-i", "u2", "-c", "2", "-f",
                             f"ip proto 47 and src host {t.pa[1]}", "-w", cap],
                            log=lab.path("dumpcap-ttl.log"))
    time.sleep(1)
    ping(a1.ns, "10.0.0.2", count=2)
    dump.wait(timeout=10)
    ttls = subprocess.run(["tshark", "-n", "-r", cap, "-T", "fields", "-e", "ip.ttl"],
                          capture_output=True, text=True).stdout.split()
    check(ttls and all(v.split(",")[0] == "33" for v in ttls), f"SIGHUP applied ttl = 33 (tshark: {ttls})")

    # A file with an error: the same lines as at start; nothing changes.
    bad = base.replace("vsid = 5002", "vsid = 12", 1)
    path = lab.write("h1.toml", bad)
    want = subprocess.run([t.nvgred, "check-config", path], capture_output=True, text=True).stderr
    r = t.ctl_run(1, "reload")
    check(r.returncode == 1 and r.stderr == f"nvgred ctl: {want.rstrip()}\n",
          f"a bad file is refused with check-config's lines: {r.stderr.strip()}")
    check(all(line in open(t.log(1)).read() for line in want.splitlines()),
          "... and the daemon logs them as at start")
    lab.write("h1.toml", base.replace("mtu = 1500", "mtu = 9000"))
    r = t.ctl_run(1, "reload")
    check(r.returncode == 1 and "underlay.mtu: 1500 -> 9000" in r.stderr and "restart" in r.stderr,
          "an underlay.mtu change is refused: it takes a restart")
    check(ping(a1.ns, "10.0.0.2") and len(t.ctl(1, "ports")["ports"]) == 3,
          "the configuration in force is unchanged")
    lab.write("h1.toml", base)
    reload_ok(t, 1)


# ---- offload set on live traffic ------------------------------------------------------------------

def offload_set(t, h, *words):
    r = t.ctl_run(h, "offload", "set", *words)
    if r.returncode != 0:
        raise AssertionError(f"offload set {words}: {r.stderr}")
    return r.stdout


def offloads(t, lab):
    a1, a2 = t.vm("a1"), t.vm("a2")
    port = [5401]

    def move(nbytes=5_000_000):
        before = t.ctl(1)
        port[0] += 1
        sent, received = transfer(t, lab, a1, a2, "10.0.0.2", nbytes, port=port[0])
        after = t.ctl(1)
        exact = sent["bytes"] == received["bytes"] == nbytes and sent["sha256"] == received["sha256"]
        delta = lambda k, f: after[k][f] - before[k][f]  # noqa: E731
        return exact, delta, drops_since(before["drops"], after["drops"])

    f = features(a1)
    check(f["tx-tcp-segmentation"] == "on" and f["tx-checksum-ip-generic"] == "on",
          "a1's TAP offers TSO4 and checksum offload to start with")

    # *LsoV2IPv4 off: no TSO4 on the TAP; the VM's kernel segments, nvgred does no LSO.
    out = offload_set(t, 1, "lso-v2-ipv4=off")
    check("NDIS_STATUS_SUCCESS" in out and "NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG (0x40020006)" in out,
          "offload set lso-v2-ipv4=off: NDIS_STATUS_SUCCESS and the CURRENT_CONFIG indication")
    check("NDIS_STATUS_TASK_OFFLOAD_CURRENT_CONFIG (0x40020006)" in open(t.log(1)).read(),
          "the indication is logged")
    f = features(a1)
    check(f["tx-tcp-segmentation"] == "off" and f["tx-tcp6-segmentation"] == "on" and
          f["tx-checksum-ip-generic"] == "on", "a1's TAP: TSO4 off (TUNSETOFFLOAD), TSO6 and csum still on")
    check(t.ctl(1, "offload")["keywords"]["*LsoV2IPv4"] == 0, "keyword *LsoV2IPv4 written back as 0")
    exact, delta, drops = move()
    check(exact and delta("tx", "lso_super_frames") == 0 and delta("tx", "checksum_offloads") > 0 and not drops,
          f"transfer exact, no LSO super-frame (the VM segmented), checksum offload still used "
          f"({delta('tx', 'checksum_offloads')}), no drop")
    offload_set(t, 1, "lso-v2-ipv4=on")
    check(features(a1)["tx-tcp-segmentation"] == "on", "lso-v2-ipv4=on: TSO4 back on the TAP")

    # Rx checksum offload: on, nvgred drops a bad inner checksum; off, the VM's kernel checks.
    errors, before = udp_csum_errors(a1), t.ctl(1)
    send_bad_udp(t, lab)
    after = t.ctl(1)
    check(after["drops"]["bad-inner-l4-checksum"] - before["drops"]["bad-inner-l4-checksum"] == 5 and
          udp_csum_errors(a1) == errors,
          "Rx checksum offload on: 5 datagrams with a bad inner UDP checksum dropped by nvgred")
    offload_set(t, 1, "tcp-ipv4-checksum=tx", "udp-ipv4-checksum=tx")
    check(features(a1)["tx-tcp-segmentation"] == "on", "Rx-only change: the TAP keeps its offloads")
    before = t.ctl(1)
    send_bad_udp(t, lab)
    after = t.ctl(1)
    check(udp_csum_errors(a1) - errors == 5 and after["rx"]["data_valid"] == before["rx"]["data_valid"] and
          after["drops"]["bad-inner-l4-checksum"] == before["drops"]["bad-inner-l4-checksum"],
          "Rx checksum offload off: delivered without DATA_VALID, the VM's kernel counted 5 UDP "
          "checksum errors")
    exact, delta, drops = move()
    check(exact and delta("rx", "data_valid") == 0 and not drops,
          "transfer exact with no frame marked DATA_VALID")
    offload_set(t, 1, "tcp-ipv4-checksum=rxtx", "udp-ipv4-checksum=rxtx")

    # NVGRE task offload off: nothing encapsulated is offloaded; the VM sends plain frames.
    out = offload_set(t, 1, "encap-offload=off")
    check("NDIS_STATUS_SUCCESS" in out and
          "CURRENT_CONFIG (0x40020006): NVGRE task offload off" in open(t.log(1)).read(),
          "encap-offload=off: the SET_OFF completed (the datapath let go of the old configuration) "
          "and CURRENT_CONFIG says off")
    f = features(a1)
    check(f["tx-checksum-ip-generic"] == "off" and f["tx-tcp-segmentation"] == "off" and
          f["tx-tcp6-segmentation"] == "off" and f.get("tx-udp-segmentation", "off") == "off",
          "encap-offload=off: a1's TAP offers nothing (no checksum, TSO or USO)")
    check(t.ctl(1, "ports")["ports"][0]["offloads"] == [] and not t.ctl(1, "offload")["encapsulated_offload_active"],
          "ctl ports / offload: no offloads, NVGRE task offload inactive")
    errors = udp_csum_errors(a1)
    send_bad_udp(t, lab)
    check(udp_csum_errors(a1) - errors == 5, "the receive path no longer validates: the VM's kernel does")
    exact, delta, drops = move()
    check(exact and delta("tx", "lso_super_frames") == 0 and delta("tx", "checksum_offloads") == 0 and
          delta("rx", "data_valid") == 0 and not drops,
          "transfer exact with plain frames: no LSO, no checksum offload, no DATA_VALID, no drop")
    offload_set(t, 1, "encap-offload=on")
    f = features(a1)
    check(f["tx-checksum-ip-generic"] == "on" and f["tx-tcp-segmentation"] == "on",
          "encap-offload=on: the TAP offers its offloads again")
    exact, delta, drops = move()
    check(exact and delta("tx", "lso_super_frames") > 0 and delta("rx", "data_valid") > 0,
          "and LSO and DATA_VALID are used again")

    # Refused OIDs change nothing.
    before = t.ctl(1, "offload")
    r = t.ctl_run(1, "offload", "set", "lso-v2-ipv4=7")
    check(r.returncode == 1 and "NDIS_STATUS_INVALID_DATA (0xc0010015)" in r.stderr,
          f"lso-v2-ipv4=7: {r.stderr.strip()}")
    r = t.ctl_run(1, "offload", "set", "encap-offload=on", "encapsulation-types=2")
    check(r.returncode == 1 and "NDIS_STATUS_NOT_SUPPORTED" in r.stderr, "VXLAN: NDIS_STATUS_NOT_SUPPORTED")
    r = t.ctl_run(1, "offload", "set", "lso=off")
    check(r.returncode == 1 and "expected KEY=VALUE with KEY one of" in r.stderr, "an unknown key: exit 1")
    check(t.ctl(1, "offload") == before, "... and the adapter is as before")


# ---- metrics ------------------------------------------------------------------------------------

SCRAPE = r'''
import json, sys, urllib.request, urllib.error
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen("http://127.0.0.1:9469/metrics", timeout=10).read().decode()
families = []
for f in text_string_to_metric_families(text):
    families.append({"name": f.name, "type": f.type, "help": f.documentation,
                     "samples": [[s.name, s.labels, s.value] for s in f.samples]})
try:
    urllib.request.urlopen("http://127.0.0.1:9469/other", timeout=10)
    other = 200
except urllib.error.HTTPError as e:
    other = e.code
print(json.dumps({"families": families, "other": other}))
'''


def metrics(t, lab):
    script = lab.write("scrape.py", SCRAPE)
    before = t.ctl(1, "stats")
    scraped = json.loads(t.hosts[1].run([PY, script]))
    after = t.ctl(1, "stats")
    samples = {}
    for f in scraped["families"]:
        for name, labels, value in f["samples"]:
            samples[(name, tuple(sorted(labels.items())))] = value
    types = {f["name"]: f["type"] for f in scraped["families"]}
    check(all(f["help"] for f in scraped["families"]) and types["nvgred_drops"] == "counter" and
          types["nvgred_rx_packets"] == "counter" and types["nvgred_workers"] == "gauge",
          f"{len(types)} metric families, each with HELP; counters and gauges typed as such")
    check(scraped["other"] == 404, "GET /other: 404")

    # ctl stats --json -> the Prometheus sample that must carry the same counter.
    def expected(stats):
        e = {}
        for p in stats["ports"]:
            labels = (("port", p["tap"]), ("vsid", str(p["vsid"])))
            for k in ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes"):
                e[(f"nvgred_{k}_total", labels)] = p[k]
        for section in ("tx", "rx"):
            for k, v in stats[section].items():
                name = f"nvgred_underlay_{section}_{k}_total" if k in ("packets", "bytes") else f"nvgred_{section}_{k}_total"
                e[(name, ())] = v
        for k, v in stats["other"].items():
            e[(f"nvgred_{k}_total", ())] = v
        for reason, v in stats["drops"].items():
            e[("nvgred_drops_total", (("reason", reason),))] = v
        for q, v in enumerate(stats["rss_queues"]):
            e[("nvgred_rss_queue_packets_total", (("queue", str(q)),))] = v
        e[("nvgred_workers", ())] = stats["workers"]
        # The OVSDB client's (zeros here: no [policy]): ovsdb.KEY -> nvgred_ovsdb_KEY_total, the
        # gauges connected / records without _total, refused rows by reason.
        for k, v in stats["ovsdb"].items():
            if k in ("refused_rows", "refused_rows_now"):
                suffix = "_total" if k == "refused_rows" else ""
                for reason, n in v.items():
                    e[(f"nvgred_ovsdb_{k}{suffix}", (("reason", reason),))] = n
            else:
                e[(f"nvgred_ovsdb_{k}" + ("" if k in ("connected", "records") else "_total"), ())] = v
        return e

    lo, hi = expected(before), expected(after)
    missing = [k for k in lo if k not in samples]
    outside = [(k, lo[k], samples[k], hi[k]) for k in lo if k in samples and not lo[k] <= samples[k] <= hi[k]]
    extra = [k for k in samples if k not in lo and k[0] not in ("nvgred_uptime_seconds", "nvgred_build_info")]
    check(not missing and not outside and not extra,
          f"/metrics parsed by prometheus_client: the {len(lo)} values of ctl stats --json, each between "
          f"the two snapshots around the scrape (missing {missing[:3]}, off {outside[:3]}, extra {extra[:3]})")
    check(("nvgred_rx_packets_total", (("port", "nva"), ("vsid", "5001"))) in samples and
          samples[("nvgred_drops_total", (("reason", "bad-inner-l4-checksum"),))] >= 5 and
          before["uptime_seconds"] <= samples[("nvgred_uptime_seconds", ())] <= after["uptime_seconds"],
          "nvgred_rx_packets_total{port=\"nva\",vsid=\"5001\"}, "
          "nvgred_drops_total{reason=\"bad-inner-l4-checksum\"} (the offload test's 5), uptime")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    args = ap.parse_args()

    def body(lab):
        os.chmod(lab.dir, 0o755)  # the setpriv clients (nobody) reach the socket
        t = TwoHosts(lab, args.nvgred, sections={"control": [f'group = "{DAEMON_GID}"']},
                     extra_config='[metrics]\nlisten = "127.0.0.1:9469"\n').build()
        check(ping(t.vm("a1").ns, "10.0.0.2"), "a1 -> a2")
        control_surface(t, lab, args.nvgred)
        reloads(t, lab)
        offloads(t, lab)
        metrics(t, lab)
        check(t.alive(1) and t.alive(2), "both daemons still running")

    return run_test("no", body, time_limit=600)


if __name__ == "__main__":
    sys.exit(main())
