"""Open vSwitch 3.1's userspace datapath as an NVGRE peer, in a namespace, without kernel modules.

OVS runs with its own run directory (database, sockets, logs in the lab's directory), a
`br-int` bridge (datapath_type=netdev) holding the VM's veth and a keyed GRE port
(options:key = VSID << 8, FlowID 0: the key NVGRE peers send by default), and a `br-phy` bridge
holding the underlay veth with the provider address on its internal port, the layout OVS's
"userspace tunneling" documentation describes. The VM's offloads are turned off, as the
userspace datapath needs (it cannot finish partial checksums from a veth), and its MTU is the
underlay MTU minus 42 (OVS drops inner frames beyond that).
"""

import os
import subprocess

from netlab import wait_for

SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"


def available():
    return all(os.path.exists(p) for p in ("/usr/sbin/ovs-vswitchd", "/usr/sbin/ovsdb-server",
                                           SCHEMA))


class OvsPeer:
    def __init__(self, lab, host_ns, underlay_if, local_ip, remote_ip, prefix_len=24, name="ovs"):
        self.lab, self.ns = lab, host_ns
        self.underlay_if, self.local_ip, self.remote_ip = underlay_if, local_ip, remote_ip
        self.prefix_len = prefix_len
        self.dir = lab.path(name)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "conf.db")
        self.sock = os.path.join(self.dir, "db.sock")
        self.env = dict(os.environ, OVS_RUNDIR=self.dir, OVS_LOGDIR=self.dir, OVS_DBDIR=self.dir,
                        OVS_SYSCONFDIR=self.dir)

    def vsctl(self, *args):
        return self.ns.run(["env"] + [f"{k}={v}" for k, v in self.env.items() if k.startswith("OVS_")]
                           + ["ovs-vsctl", f"--db=unix:{self.sock}", "--timeout=20"] + list(args))

    def appctl(self, target, *args):
        return self.ns.run(["ovs-appctl", "-t", os.path.join(self.dir, target)] + list(args))

    def start(self):
        subprocess.run(["ovsdb-tool", "create", self.db, SCHEMA], check=True)
        self.ns.spawn(["ovsdb-server", self.db, f"--remote=punix:{self.sock}",
                       f"--unixctl={self.dir}/ovsdb-server.ctl", f"--pidfile={self.dir}/ovsdb.pid",
                       f"--log-file={self.dir}/ovsdb-server.log"],
                      log=os.path.join(self.dir, "ovsdb-server.out"), env=self.env)
        wait_for(lambda: os.path.exists(self.sock), 10, "ovsdb-server socket")
        self.vsctl("--no-wait", "init")
        self.ns.spawn(["ovs-vswitchd", f"unix:{self.sock}", f"--unixctl={self.dir}/vswitchd.ctl",
                       f"--pidfile={self.dir}/vswitchd.pid", f"--log-file={self.dir}/vswitchd.log"],
                      log=os.path.join(self.dir, "vswitchd.out"), env=self.env)
        wait_for(lambda: os.path.exists(f"{self.dir}/vswitchd.ctl"), 15, "ovs-vswitchd")
        # br-phy: the underlay, with the provider address on the bridge's internal port.
        self.ns.run(f"ip addr flush dev {self.underlay_if}")
        self.vsctl("add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev")
        self.vsctl("add-port", "br-phy", self.underlay_if)
        wait_for(lambda: self.ns.ok("ip link show br-phy"), 10, "br-phy internal port")
        family = "-6" if ":" in self.local_ip else "-4"
        self.ns.run(f"ip {family} addr add {self.local_ip}/{self.prefix_len} dev br-phy"
                    + (" nodad" if family == "-6" else "") + " && ip link set br-phy up")
        self.vsctl("add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev")
        return self

    def add_gre(self, name, key):
        self.vsctl("add-port", "br-int", name, "--", "set", "interface", name, "type=gre",
                   f"options:remote_ip={self.remote_ip}", f"options:key={key}")

    def add_vm(self, vm, host_if, mtu):
        """A veth from the VM's namespace (named like its TAP would be) into br-int."""
        tmp = self.lab.name("ov")
        subprocess.run(["ip", "link", "add", tmp, "type", "veth", "peer", "name", vm.tap,
                        "netns", vm.ns.name], check=True)
        subprocess.run(["ip", "link", "set", tmp, "netns", self.ns.name], check=True)
        self.ns.run(f"ip link set {tmp} name {host_if} mtu {mtu} up")
        for ns, dev in ((self.ns, host_if), (vm.ns, vm.tap)):
            ns.run(f"ethtool -K {dev} tx off rx off tso off gso off gro off >/dev/null 2>&1 || true")
        vm.ns.run(f"ip link set {vm.tap} address {vm.mac} mtu {mtu} up && "
                  f"ip addr add {vm.ipv4}/24 dev {vm.tap} && ip -6 addr add {vm.ipv6}/64 dev {vm.tap} nodad")
        self.vsctl("add-port", "br-int", host_if)
