"""The two-host nvgred topology of the integration tests, the README demo and the benchmark.

    host h1 (netns)  ---- veth u1 <-> u2, MTU 1500 (the underlay) ----  host h2 (netns)
      nvgred                                                            nvgred (or Open vSwitch)
      VMs (netns, each holding a TAP nvgred made):                      VMs:
        a1  VSID 5001  10.0.0.1  fd00::1                                  a2  VSID 5001  10.0.0.2  fd00::2
        b1  VSID 5002  10.0.0.1  fd00::1   (same addresses, other VSID)   b2  VSID 5002  10.0.0.2  fd00::2
        c1  VSID 5001  10.0.0.3  fd00::3   (a1's neighbour on one host)

Underlay addresses: 192.0.2.1 / 192.0.2.2 (IPv4) or 2001:db8::1 / 2001:db8::2 (IPv6).

With hosts=3 or 4 the underlay is a bridge (namespace "sw", veth u<h> <-> p<h> from each host)
and hosts 3 and 4 bring VMs a3 (5001, 10.0.0.4), b3 (5002, 10.0.0.4) and a4 (5001, 10.0.0.5);
add_host(4) builds host 4 later (a VM that appears while the others run). With policy (a dict:
"ovsdb" remotes, and per host "publish" / "switch" overrides) the hosts take their records from
an OVSDB instead of [[lookup]] tables, and `unbound` names VMs whose port has no vsid in the file
(the database binds it).
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


def default_vms(hosts=2):
    vms = [
        Vm("a1", 1, 5001, "10.0.0.1", "fd00::1", "02:00:00:01:50:01", "nva"),
        Vm("b1", 1, 5002, "10.0.0.1", "fd00::1", "02:00:00:01:50:02", "nvb"),
        Vm("c1", 1, 5001, "10.0.0.3", "fd00::3", "02:00:00:01:50:03", "nvc"),
        Vm("a2", 2, 5001, "10.0.0.2", "fd00::2", "02:00:00:02:50:01", "nva"),
        Vm("b2", 2, 5002, "10.0.0.2", "fd00::2", "02:00:00:02:50:02", "nvb"),
    ]
    if hosts >= 3:
        vms += [Vm("a3", 3, 5001, "10.0.0.4", "fd00::4", "02:00:00:03:50:01", "nva"),
                Vm("b3", 3, 5002, "10.0.0.4", "fd00::4", "02:00:00:03:50:02", "nvb")]
    if hosts >= 4:
        vms += [Vm("a4", 4, 5001, "10.0.0.5", "fd00::5", "02:00:00:04:50:01", "nva")]
    return vms


class TwoHosts:
    def __init__(self, lab: Lab, nvgred, underlay="ipv4", workers=2, flow_id=None,
                 extra_config="", multicast=None, afpacket=False, sections=None, run_dir=None,
                 hosts=2, policy=None, unbound=()):
        self.lab, self.nvgred, self.underlay = lab, nvgred, underlay
        self.workers, self.flow_id, self.extra_config = workers, flow_id, extra_config
        # Extra lines for a table the topology writes itself: {"daemon": [...], "control": [...]},
        # or per host: {1: {"daemon": [...]}}.
        self.sections = sections or {}
        self.run_dir = run_dir or lab.dir  # where the control sockets go
        self.multicast = multicast or {}   # VSID -> underlay multicast group
        self.afpacket = afpacket           # AF_PACKET on the underlay veth instead of raw sockets
        self.host_count = hosts
        self.policy = policy               # None: [[lookup]] tables; else [policy] (see above)
        self.unbound = set(unbound)        # VMs whose [[port]] has no vsid (the OVSDB binds it)
        self.vms = default_vms(hosts)
        self.hosts = {}
        self.daemons = {}
        self.switch = None                 # the bridge namespace (hosts > 2)
        self.pa = {h: f"192.0.2.{h}" for h in range(1, 5)} if underlay == "ipv4" else \
                  {h: f"2001:db8::{h}" for h in range(1, 5)}

    # --- building ----------------------------------------------------------------------------
    def build(self, start=None, hosts=None):
        lab = self.lab
        hosts = hosts or ((1, 2) if self.host_count == 2 else tuple(range(1, min(self.host_count, 3) + 1)))
        start = hosts if start is None else start
        if self.host_count == 2:
            for h in (1, 2):
                self.hosts[h] = lab.netns(f"h{h}")
            lab.veth("u1", self.hosts[1], "u2", self.hosts[2], mtu=1500)
            for h in (1, 2):
                self.address_underlay(h)
        else:
            self.switch = lab.netns("sw")
            self.switch.run("ip link add br0 type bridge && ip link set br0 up")
            for h in hosts:
                self.add_underlay_host(h)
        for vm in self.vms:
            if vm.host in hosts:
                self.make_vm(vm)
        for h in start:
            self.start_nvgred(h)
        for h in start:
            self.configure_vms(h)
        return self

    def address_underlay(self, h):
        ns = self.hosts[h]
        if self.underlay == "ipv4":
            ns.run(f"ip addr add {self.pa[h]}/24 dev u{h}")
        else:
            ns.run(f"sysctl -qw net.ipv6.conf.u{h}.accept_dad=0")
            ns.run(f"ip -6 addr add {self.pa[h]}/64 dev u{h} nodad")

    def add_underlay_host(self, h):
        self.hosts[h] = self.lab.netns(f"h{h}")
        self.lab.veth(f"u{h}", self.hosts[h], f"p{h}", self.switch, mtu=1500)
        self.switch.run(f"ip link set p{h} master br0")
        self.address_underlay(h)

    def make_vm(self, vm):
        vm.ns = self.lab.netns(vm.name)
        # No DAD, no router solicitations: the VMs' interfaces come up ready.
        vm.ns.run("sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 "
                  "net.ipv6.conf.default.router_solicitations=0")

    def add_host(self, h):
        """Builds host h (its namespace, underlay link and VMs) and starts its nvgred."""
        self.add_underlay_host(h)
        for vm in self.vms:
            if vm.host == h:
                self.make_vm(vm)
        self.start_nvgred(h)
        self.configure_vms(h)

    def config_text(self, h):
        others = [o for o in range(1, self.host_count + 1) if o != h]
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
        if self.policy is not None:
            per_host = self.policy.get(h, {})
            lines.append("[policy]")
            lines.append("ovsdb = " + json.dumps(per_host.get("ovsdb", self.policy["ovsdb"])))
            lines.append(f'switch = "{per_host.get("switch", f"h{h}")}"')
            lines.append(f'publish = {"true" if per_host.get("publish", True) else "false"}')
            lines.append(f"inactivity_probe = {self.policy.get('inactivity_probe', 5000)}")
            lines.append(f"max_backoff = {self.policy.get('max_backoff', 2000)}")
        for vm in self.vms:
            if vm.host == h:
                lines += ["[[port]]", f'tap = "{vm.tap}"', f'netns = "{vm.ns.name}"']
                if vm.name not in self.unbound:
                    lines.append(f"vsid = {vm.vsid}")
                lines += [f'mac = "{vm.mac}"', f'ip = ["{vm.ipv4}", "{vm.ipv6}"]']
        if self.policy is None:
            for vm in self.vms:
                if vm.host in others:
                    lines += ["[[lookup]]", f"vsid = {vm.vsid}", f'mac = "{vm.mac}"',
                              f'ip = ["{vm.ipv4}", "{vm.ipv6}"]', f'provider = "{self.pa[vm.host]}"']
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
