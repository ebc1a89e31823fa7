#!/usr/bin/python3
"""nvgred as a system service: the unit's restrictions, least privilege, sd_notify, journal logs.

    test_system.py --nvgred build/release/bin/nvgred

Two hosts (topology.py), IPv4 underlay:
- h1's nvgred runs as packaging/systemd/nvgred.service would run it, with the unit's
  restrictions applied by unit_sandbox.sh (systemd is not PID 1 here; it says which ones):
  read-only file system but its runtime directory (ProtectSystem=strict, ProtectKernelTunables),
  ProtectHome, PrivateTmp, UMask, CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW, no ambient or
  inheritable capabilities, NoNewPrivileges; the installed unit file (cmake --install) names each
  of them. Asserted from the kernel's side: its mount table (/proc/PID/mountinfo: every mount
  read-only but /dev, /proc, the tmpfs of PrivateTmp and the runtime directory) and
  /proc/PID/status (CapEff = CapPrm = CAP_NET_ADMIN, CapBnd = the unit's set, NoNewPrivs 1).
  With NOTIFY_SOCKET (a datagram socket this test reads) and WATCHDOG_USEC: READY=1 with a STATUS=
  summary, then WATCHDOG=1 at half the period, STOPPING=1 at SIGTERM (exit 0). With
  JOURNAL_STREAM set its lines carry the "<N>" priority and no timestamp.
- h2's nvgred starts as root with [daemon] user = "nobody" and drops to uid/gid 65534, no
  supplementary groups, CAP_NET_ADMIN only (effective, permitted, bounding); a reload adds a port
  (a TAP created and moved into a namespace: what CAP_NET_ADMIN is still for).
- Traffic passes between the two (ping, a TCP transfer with exact bytes).
- A flood of NVGRE datagrams for an unknown VSID (1500 in 3 s) gives at most one log line per
  drop_log_interval (2 s), and the counts in those lines add up to the counter.
Needs root.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import run_test, wait_for  # noqa: E402
from test_two_hosts import check, transfer  # noqa: E402
from topology import TwoHosts, Vm, ping  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
CAP_NET_ADMIN = 1 << 12
CAP_NET_RAW = 1 << 13


def proc_status(pid):
    status = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        status[k] = v.strip()
    return status


def mounts(pid):
    """[(mount point, options, fs type)] of the process's mount namespace."""
    out = []
    for line in open(f"/proc/{pid}/mountinfo"):
        f = line.split()
        sep = f.index("-")
        out.append((f[4], f[5], f[sep + 1]))
    return out


class Notifications:
    """The NOTIFY_SOCKET end: a unix datagram socket read all the time by a thread, as the
    service manager does (sd_notify blocks when nobody reads); collects what nvgred sends."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.2)
        self.messages = []  # (time, {key: value})
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.messages.append((time.time(), dict(l.split("=", 1) for l in data.splitlines() if "=" in l)))

    def since(self, start):
        with self.lock:
            return [m for at, m in self.messages if at >= start]

    def wait_for(self, key, seconds, start=0):
        deadline = time.time() + seconds
        while time.time() < deadline:
            for m in self.since(start):
                if key in m:
                    return m
            time.sleep(0.1)
        raise AssertionError(f"no {key} from nvgred within {seconds} s: {self.messages}")


FLOOD = r'''
import socket, sys, time
from scapy.all import GRE, Ether, IP, UDP, Raw
pa, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
inner = Ether(src='02:00:00:00:77:01', dst='02:00:00:00:77:02') / IP(src='10.7.7.1', dst='10.7.7.2') / UDP() / Raw(b'f' * 32)
gre = bytes(GRE(key_present=1, proto=0x6558, key=7777 << 8) / inner)   # scapy builds it once
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_GRE)  # the kernel adds IPv4
start = time.time()
for i in range(count):
    s.sendto(gre, (pa, 0))
    ahead = start + (i + 1) * seconds / count - time.time()
    if ahead > 0:
        time.sleep(ahead)
'''


def installed_unit(nvgred, lab):
    """`cmake --install` of nvgred's build tree into a scratch prefix: the unit and the example."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(nvgred)))
    prefix = lab.path("prefix")
    subprocess.run(["cmake", "--install", build, "--prefix", prefix], check=True, capture_output=True)
    unit = open(os.path.join(prefix, "lib/systemd/system/nvgred.service")).read()
    example = os.path.join(prefix, "etc/nvgred/nvgred.toml.example")
    r = subprocess.run([nvgred, "check-config", example], capture_output=True, text=True)
    check(r.returncode == 0, f"cmake --install put nvgred.service and a valid nvgred.toml.example: {r.stdout.strip()}")
    keys = dict(l.split("=", 1) for l in unit.splitlines() if "=" in l and not l.startswith("#"))
    check(keys["Type"] == "notify" and keys["ExecReload"] == "/bin/kill -HUP $MAINPID" and
          keys["WatchdogSec"] == "10s" and keys["ExecStart"].endswith("--config " + keys["ExecStart"].split()[-1]),
          "the unit: Type=notify, ExecReload sends SIGHUP, WatchdogSec")
    # What unit_sandbox.sh applies is what the unit asks for.
    want = {"ProtectSystem": "strict", "ProtectKernelTunables": "yes", "ProtectHome": "yes",
            "PrivateTmp": "yes", "UMask": "0077", "RuntimeDirectory": "nvgred",
            "CapabilityBoundingSet": "CAP_NET_ADMIN CAP_NET_RAW", "AmbientCapabilities": "",
            "NoNewPrivileges": "yes",
            "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK"}
    check(all(keys.get(k) == v for k, v in want.items()),
          "the unit's restrictions are the ones this test applies (and RestrictAddressFamilies as the issue says)")


def run(lab, args):
    installed_unit(args.nvgred, lab)
    run_dir = lab.path("run")  # RuntimeDirectory=nvgred
    os.makedirs(run_dir)
    t = TwoHosts(lab, args.nvgred, run_dir=run_dir,
                 sections={1: {"daemon": ["drop_log_interval = 2"]},
                           2: {"daemon": ['user = "nobody"']}}).build(start=())
    notify = Notifications(os.path.join(run_dir, "notify.sock"))
    wrapper = ["unshare", "--mount", "--propagation", "private", "sh",
               os.path.join(HERE, "unit_sandbox.sh"), run_dir, lab.dir, "--"]
    t.start_nvgred(1, wrapper=wrapper, env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
                                           "JOURNAL_STREAM": "8:12345"})
    t.start_nvgred(2)
    t.configure_vms(1)
    t.configure_vms(2)
    pid1, pid2 = t.daemons[1].pid, t.daemons[2].pid

    # sd_notify.
    ready = notify.wait_for("READY", 10)
    check(ready["READY"] == "1" and re.match(r"2 worker\(s\), 3 port\(s\), 2 subnet\(s\), 2 lookup record\(s\)",
                                             ready.get("STATUS", "")),
          f"READY=1 with STATUS={ready.get('STATUS')!r}")
    start = time.time()
    time.sleep(2.0)
    pings = [m for m in notify.since(start) if m.get("WATCHDOG") == "1"]
    check(len(pings) >= 7, f"{len(pings)} WATCHDOG=1 in 2 s (WATCHDOG_USEC=400000: every 200 ms)")

    # h1 under the unit's restrictions, as the kernel sees it.
    s1 = proc_status(pid1)
    check(int(s1["CapEff"], 16) == CAP_NET_ADMIN and int(s1["CapPrm"], 16) == CAP_NET_ADMIN and
          int(s1["CapBnd"], 16) == CAP_NET_ADMIN | CAP_NET_RAW and int(s1["CapInh"], 16) == 0 and
          int(s1["CapAmb"], 16) == 0 and s1["NoNewPrivs"] == "1" and s1["Uid"].split() == ["0"] * 4,
          f"h1: CapEff = CapPrm = CAP_NET_ADMIN, CapBnd = the unit's {s1['CapBnd']}, "
          f"nothing ambient or inheritable, NoNewPrivs 1")
    table = mounts(pid1)
    writable = [(mp, fs) for mp, opts, fs in table if not opts.startswith("ro")]
    allowed = lambda mp, fs: (mp in ("/proc", "/dev", run_dir, "/tmp", "/var/tmp") or  # noqa: E731
                              mp.startswith("/dev/") or (mp.startswith("/proc/") and not mp.startswith("/proc/sys")))
    check(all(allowed(mp, fs) for mp, fs in writable) and ("/tmp", "tmpfs") in writable and
          run_dir in [mp for mp, _ in writable],
          f"h1's mounts: read-only but /dev, /proc, PrivateTmp's tmpfs and the runtime directory "
          f"({sorted(set(mp for mp, _ in writable))})")
    check(any(mp == "/" and opts.startswith("ro") for mp, opts, _ in table) and
          any(mp == "/proc/sys" and opts.startswith("ro") for mp, opts, _ in table) and
          any(mp == "/root" and fs == "tmpfs" and opts.startswith("ro") for mp, opts, fs in table),
          "/ and /proc/sys read-only, an empty read-only tmpfs over /root (ProtectHome)")

    # h2 as nobody.
    s2 = proc_status(pid2)
    check(s2["Uid"].split() == ["65534"] * 4 and s2["Gid"].split() == ["65534"] * 4 and s2["Groups"] == "" and
          int(s2["CapEff"], 16) == CAP_NET_ADMIN and int(s2["CapPrm"], 16) == CAP_NET_ADMIN and
          int(s2["CapBnd"], 16) == CAP_NET_ADMIN and int(s2["CapInh"], 16) == 0 and int(s2["CapAmb"], 16) == 0,
          "h2: uid/gid 65534 (nobody), no supplementary groups, CAP_NET_ADMIN only (effective, "
          "permitted, bounding)")
    for pid in (pid1, pid2):  # every thread, not only the main one
        for tid in os.listdir(f"/proc/{pid}/task"):
            st = proc_status(f"{pid}/task/{tid}")
            assert int(st["CapEff"], 16) == CAP_NET_ADMIN and int(st["CapPrm"], 16) == CAP_NET_ADMIN, (pid, tid, st)
    check(True, "every thread of both daemons has CAP_NET_ADMIN only")

    # Traffic between the restricted h1 and the unprivileged h2.
    a1, a2 = t.vm("a1"), t.vm("a2")
    check(ping(a1.ns, "10.0.0.2") and ping(t.vm("b1").ns, "fd00::2"), "a1 -> a2, b1 -> b2 (IPv6) ping")
    sent, received = transfer(t, lab, a1, a2, "10.0.0.2", 20_000_000)
    check(sent["sha256"] == received["sha256"] and received["bytes"] == 20_000_000,
          "a 20 MB TCP transfer arrives exactly (SHA-256)")
    check(t.ctl(1)["tx"]["lso_super_frames"] > 0, "with the Tx engine's LSO")

    # h2 as nobody reloads and adds a port: TUNSETIFF, MAC, MTU, netns move with CAP_NET_ADMIN.
    d2 = Vm("d2", 2, 5002, "10.0.0.4", "fd00::4", "02:00:00:02:50:04", "nvd")
    d2.ns = lab.netns("d2")
    t.vms.append(d2)
    lab.write("h2.toml", t.config_text(2))
    r = t.ctl(2, "reload")
    check(r["ports_added"] == ["nvd"] and d2.ns.ok("ip link show nvd"),
          "h2 (nobody, CAP_NET_ADMIN) reloads and adds a port: its TAP appears in d2's namespace")

    # The drop log: one line per reason per interval.
    flood_start = time.time()
    t.hosts[2].run([PY, lab.write("flood.py", FLOOD), t.pa[1], "1500", "3"], timeout=120)
    flood_seconds = time.time() - flood_start
    time.sleep(3.5)  # past the interval: the rest is logged
    dropped = t.ctl(1)["drops"]["unknown-vsid"]
    lines = [l for l in open(t.log(1)).read().splitlines() if ": unknown-vsid (" in l]
    counts = [int(re.search(r"dropped (\d+) frame\(s\)", l).group(1)) for l in lines]
    check(dropped == 1500 and sum(counts) == dropped and len(lines) <= flood_seconds / 2 + 2,
          f"{dropped} datagrams for an unknown VSID in {flood_seconds:.1f} s: {len(lines)} log lines "
          f"(interval 2 s) whose counts {counts} add up")
    log1 = open(t.log(1)).read().splitlines()
    check(log1 and all(re.match(r"<[3-7]>(error|warning|info|debug): ", l) for l in log1) and
          all(l.startswith("<4>warning: dropped") for l in lines),
          "JOURNAL_STREAM set: every line starts with its <priority>, none with a timestamp")
    log2 = open(t.log(2)).read().splitlines()
    check(all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z nvgred (error|warning|info|debug): ", l)
              for l in log2),
          "without it, each line has a UTC timestamp and a level")

    # SIGTERM: STOPPING=1, exit 0.
    start = time.time()
    os.kill(pid1, signal.SIGTERM)
    t.daemons[1].wait(timeout=10)
    check(t.daemons[1].returncode == 0 and notify.wait_for("STOPPING", 2, start)["STOPPING"] == "1",
          "SIGTERM: STOPPING=1 and exit 0")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    args = ap.parse_args()

    def body(lab):
        os.chmod(lab.dir, 0o755)  # h2's nvgred (nobody) reads its configuration there on reload
        run(lab, args)

    return run_test("ns", body, time_limit=600)


if __name__ == "__main__":
    sys.exit(main())
