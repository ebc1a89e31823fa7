"""The two-host nvgred topology of the integration tests, the README demo and the benchmark.

    host h1 (netns)  ---- veth u1 <-> u2, MTU 1500 (the underlay) ----  host h2 (netns)
      nvgred                                                            nvgred (or Open vSwitch)
      VMs (netns, each holding a TAP nvgred made):                      VMs:
        a1  VSID 5001  10.0.0.1  fd00::1                                  a2  VSID 5001  10.0.0.2  fd00::2
        b1  VSID 5002  10.0.0.1  fd00::1   (same addresses, other VSID)   b2  VSID 5002  10.0.0.2  fd00::2
        c1  VSID 5001  10.0.0.3  fd00::3   (a1's neighbour on one host)

Underlay addresses: 192.0.2.1 / 192.0.2.2 (IPv4) or 2001:db8::1 / 2001:db8::2 (IPv6).
"""

import json
import os
import subprocess
import time

from netlab import Lab, wait_for

VSIDS = (5001, 5002)


class Vm:
    def __init__(self, name, host, vsid, ipv4, ipv6, mac, tap):
        self.name, self.host, self.vsid = name, host, vsid
        self.ipv4, self.ipv6, self.mac, self.tap = ipv4, ipv6, mac, tap
        self.ns = None


def default_vms():
    return [
        Vm("a1", 1, 5001, "10.0.0.1", "fd00::1", "02:00:00:01:50:01", "nva"),
        Vm("b1", 1, 5002, "10.0.0.1", "fd00::1", "02:00:00:01:50:02", "nvb"),
        Vm("c1", 1, 5001, "10.0.0.3", "fd00::3", "02:00:00:01:50:03", "nvc"),
        Vm("a2", 2, 5001, "10.0.0.2", "fd00::2", "02:00:00:02:50:01", "nva"),
        Vm("b2", 2, 5002, "10.0.0.2", "fd00::2", "02:00:00:02:50:02", "nvb"),
    ]


class TwoHosts:
    def __init__(self, lab: Lab, nvgred, underlay="ipv4", workers=2, flow_id=None,
                 extra_config="", multicast=None, afpacket=False, sections=None, run_dir=None):
        self.lab, self.nvgred, self.underlay = lab, nvgred, underlay
        self.workers, self.flow_id, self.extra_config = workers, flow_id, extra_config
        # Extra lines for a table the topology writes itself: {"daemon": [...], "control": [...]},
        # or per host: {1: {"daemon": [...]}}.
        self.sections = sections or {}
        self.run_dir = run_dir or lab.dir  # where the control sockets go
        self.multicast = multicast or {}   # VSID -> underlay multicast group
        self.afpacket = afpacket           # AF_PACKET on the underlay veth instead of raw sockets
        self.vms = default_vms()
        self.hosts = {}
        self.daemons = {}
        self.pa = {1: "192.0.2.1", 2: "192.0.2.2"} if underlay == "ipv4" else \
                  {1: "2001:db8::1", 2: "2001:db8::2"}

    # --- building ----------------------------------------------------------------------------
    def build(self, start=(1, 2)):
        lab = self.lab
        for h in (1, 2):
            self.hosts[h] = lab.netns(f"h{h}")
        lab.veth("u1", self.hosts[1], "u2", self.hosts[2], mtu=1500)
        for h in (1, 2):
            ns = self.hosts[h]
            if self.underlay == "ipv4":
                ns.run(f"ip addr add {self.pa[h]}/24 dev u{h}")
            else:
                ns.run(f"sysctl -qw net.ipv6.conf.u{h}.accept_dad=0")
                ns.run(f"ip -6 addr add {self.pa[h]}/64 dev u{h} nodad")
        for vm in self.vms:
            vm.ns = lab.netns(vm.name)
            # No DAD, no router solicitations: the VMs' interfaces come up ready.
            vm.ns.run("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
                      "net.ipv6.conf.default.router_solicitations=0")
        for h in start:
            self.start_nvgred(h)
        for h in start:
            self.configure_vms(h)
        return self

    def config_text(self, h):
        other = 2 if h == 1 else 1
        lines = []
        sections = {**{k: v for k, v in self.sections.items() if isinstance(k, str)},
                    **self.sections.get(h, {})}
        lines.append("[daemon]")
        lines.append(f"workers = {self.workers}")
        lines += sections.get("daemon", [])
        lines.append("[underlay]")
        lines.append(f'address = "{self.pa[h]}"')
        lines.append("mtu = 1500")
        if self.afpacket:
            lines.append(f'interface = "u{h}"')
        if self.flow_id is not None:
            lines.append(f"flow_id = {json.dumps(self.flow_id)}")
        lines.append("[control]")
        lines.append(f'socket = "{self.socket(h)}"')
        lines += sections.get("control", [])
        for v in VSIDS:
            lines.append("[[subnet]]")
            lines.append(f"vsid = {v}")
            if v in self.multicast:
                lines.append(f'multicast = "{self.multicast[v]}"')
        for vm in self.vms:
            if vm.host == h:
                lines += ["[[port]]", f'tap = "{vm.tap}"', f'netns = "{vm.ns.name}"',
                          f"vsid = {vm.vsid}", f'mac = "{vm.mac}"',
                          f'ip = ["{vm.ipv4}", "{vm.ipv6}"]']
        for vm in self.vms:
            if vm.host == other:
                lines += ["[[lookup]]", f"vsid = {vm.vsid}", f'mac = "{vm.mac}"',
                          f'ip = ["{vm.ipv4}", "{vm.ipv6}"]', f'provider = "{self.pa[other]}"']
        return "\n".join(lines) + "\n" + self.extra_config

    def socket(self, h):
        return os.path.join(self.run_dir, f"h{h}.sock")

    def log(self, h):
        return self.lab.path(f"nvgred-h{h}.log")

    def config_path(self, h):
        return self.lab.path(f"h{h}.toml")

    def start_nvgred(self, h, wrapper=(), env=None):
        """Starts nvgred on host h with its config written anew; `wrapper` is an argv prefix
        (e.g. setpriv ...) and `env` extra environment variables."""
        path = self.lab.write(f"h{h}.toml", self.config_text(h))
        self.daemons[h] = self.hosts[h].spawn(list(wrapper) + [self.nvgred, "--config", path],
                                              log=self.log(h),
                                              env={**os.environ, **env} if env else None)
        wait_for(lambda: os.path.exists(self.socket(h)) or self.daemons[h].poll() is not None,
                 20, f"nvgred on h{h} to start")
        if self.daemons[h].poll() is not None:
            raise AssertionError(f"nvgred on h{h} exited {self.daemons[h].returncode}:\n"
                                 + open(self.log(h)).read())

    def configure_vms(self, h):
        for vm in self.vms:
            if vm.host != h:
                continue
            wait_for(lambda: vm.ns.ok(f"ip link show {vm.tap}"), 10,
                     f"TAP {vm.tap} in {vm.ns.name}")
            vm.ns.run(f"ip link set {vm.tap} up && ip addr add {vm.ipv4}/24 dev {vm.tap} && "
                      f"ip -6 addr add {vm.ipv6}/64 dev {vm.tap} nodad")

    def vm(self, name):
        return next(v for v in self.vms if v.name == name)

    # --- using -------------------------------------------------------------------------------
    def ctl(self, h, command="stats", *args):
        out = subprocess.run([self.nvgred, "ctl", "--socket", self.socket(h), "--json", command,
                              *args], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError(f"nvgred ctl {command} {' '.join(args)} on h{h}: {out.stderr}")
        return json.loads(out.stdout)

    def ctl_run(self, h, *words, json_output=False, prefix=()):
        """`nvgred ctl` as given (text unless json_output); returns the CompletedProcess."""
        argv = list(prefix) + [self.nvgred, "ctl", "--socket", self.socket(h)]
        argv += ["--json"] if json_output else []
        return subprocess.run(argv + list(words), capture_output=True, text=True, timeout=60)

    def alive(self, h):
        return self.daemons[h].poll() is None


def ping(ns, address, count=3, timeout=10):
    """True when `address` answers from inside `ns` (IPv4 or IPv6)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if ns.ok(f"ping -c 1 -W 1 {address}", timeout=5):
            return ns.ok(f"ping -c {count} -i 0.2 -W 2 {address}", timeout=10 + count)
        time.sleep(0.2)
    return False
