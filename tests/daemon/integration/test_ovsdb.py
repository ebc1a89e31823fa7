#!/usr/bin/python3
"""nvgred with its policy from a clustered OVSDB: a 3-member Raft cluster of Open vSwitch's
ovsdb-server with nvgred's schema (hardware_vtep + NVGRE locators, docs/ovsdb.md).

    test_ovsdb.py --nvgred build/release/bin/nvgred --schema build/release/share/nvgre/nvgre-vtep.ovsschema

The cluster runs in a namespace of its own (Raft on loopback TCP ports); every nvgred reaches it
through the members' punix: sockets in the lab directory (unix sockets live in the file system,
not in a network namespace). Hosts h1..h3 (and h4, added later) share a bridge as underlay.
  h1, h2  shared mode: they publish their ports (Physical_Switch, Physical_Port,
          Ucast_Macs_Local) and take each other's as records; b2's [[port]] has no vsid: the
          test, as a controller, binds it (Physical_Port.vlan_bindings)
  h3      publish = false: the test, as a controller, writes Ucast_Macs_Remote rows for its VMs
          with ovsdb-client transact
  h4      started later, shared mode: its VM must be reachable from the others within a second
Asserts, in order: the published rows; an unbound port drops (port-unbound) until bound; a
record added, changed (another locator) and removed at runtime takes effect on traffic (each
latency measured from the transact to the record in force on h1 and to the first ping); pings
between every pair of VMs of each VSID; a new host's VM reachable; bad rows from the real server
(VSID out of range, bad MAC, bad IP, a VXLAN locator) counted by reason while the good row of the
same transaction applies; the cluster leader killed during a TCP transfer (the transfer completes
with the exact bytes, the nvgreds reconnect to another member, a later update arrives); every
member stopped (traffic on known records continues), one member back (no quorum: nvgred does not
take its possibly stale data), a second one back (synced again, a new update arrives); a fake
server (garbage JSON, dangling references, an unknown encapsulation type, a row update that is
not an object, an oversize message, silence) against another nvgred: counted, logged, survived.
Needs root; exit 77 (skipped) otherwise or without ovsdb-server / the schema.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netlab import Lab, wait_for  # noqa: E402
from topology import TwoHosts, Vm, ping  # noqa: E402
from test_two_hosts import check, transfer  # noqa: E402

DB = "hardware_vtep"
RESULTS = {}


# ---- the cluster ---------------------------------------------------------------------------

class Cluster:
    def __init__(self, lab, schema, members=3):
        self.lab, self.schema, self.members = lab, schema, members
        self.ns = lab.netns("db")
        self.dir = lab.path("ovsdb")
        os.makedirs(self.dir, exist_ok=True)
        self.procs = {}

    def path(self, i, ext):
        return os.path.join(self.dir, f"s{i}.{ext}")

    def raft(self, i):
        return f"tcp:127.0.0.1:{6640 + i}"

    def remote(self, i):
        return f"unix:{self.path(i, 'sock')}"

    def create(self):
        subprocess.run(["ovsdb-tool", "create-cluster", self.path(1, "db"), self.schema, self.raft(1)],
                       check=True, capture_output=True)
        for i in range(2, self.members + 1):
            subprocess.run(["ovsdb-tool", "join-cluster", self.path(i, "db"), DB, self.raft(i), self.raft(1)],
                           check=True, capture_output=True)

    def start(self, i, wait=True):
        if os.path.exists(self.path(i, "sock")):
            os.unlink(self.path(i, "sock"))  # left by a member killed with SIGKILL
        self.procs[i] = self.ns.spawn(
            ["ovsdb-server", self.path(i, "db"), f"--remote=punix:{self.path(i, 'sock')}",
             f"--unixctl={self.path(i, 'ctl')}", f"--log-file={self.path(i, 'log')}", "--no-chdir"],
            log=self.path(i, "out"))
        if wait:
            wait_for(lambda: os.path.exists(self.path(i, "sock")), 10, f"ovsdb-server s{i}")

    def stop(self, i, sig=signal.SIGTERM):
        p = self.procs.pop(i)
        os.kill(p.pid, sig)
        p.wait(timeout=10)

    def role(self, i):
        r = subprocess.run(["ovs-appctl", "-t", self.path(i, "ctl"), "cluster/status", DB],
                           capture_output=True, text=True, timeout=5)
        for line in r.stdout.splitlines():
            if line.startswith("Role:"):
                return line.split(":", 1)[1].strip()
        return "?"

    def leader(self):
        for i in self.procs:
            if self.role(i) == "leader":
                return i
        return None

    def transact(self, *ops):
        """ovsdb-client transact through any running member (followers forward to the leader);
        retried while the cluster elects a leader."""
        deadline = time.time() + 20
        while True:
            for i in sorted(self.procs):
                r = subprocess.run(["ovsdb-client", "--timeout=5", "transact", self.remote(i),
                                    json.dumps([DB] + list(ops))], capture_output=True, text=True)
                if r.returncode == 0:
                    result = json.loads(r.stdout)
                    errors = [x for x in result if isinstance(x, dict) and "error" in x]
                    if not errors:
                        return result
                    if not any("not leader" in str(e) for e in errors) or time.time() > deadline:
                        raise AssertionError(f"transact {ops}: {errors}")
            if time.time() > deadline:
                raise AssertionError(f"transact {ops}: no member answered")
            time.sleep(0.2)

    def rows(self, table, where=()):
        r = self.transact({"op": "select", "table": table, "where": list(where)})
        return r[0]["rows"]


def uuid(row, column="_uuid"):
    return row[column][1]


# ---- nvgred's view -------------------------------------------------------------------------

def lookup(t, h):
    return t.ctl(h, "lookup")


def record(t, h, vsid, mac):
    for r in lookup(t, h)["records"]:
        if r["vsid"] == vsid and r["mac"] == mac and r["in_force"]:
            return r
    return None


def measure(what, predicate, timeout=10, interval=0.02):
    start = time.time()
    wait_for(predicate, timeout, what, interval=interval)
    ms = (time.time() - start) * 1000
    return ms


def can_ping(ns, address):
    return ns.ok(f"ping -c 1 -W 1 {address}", timeout=5)


def first_ping_ms(ns, address, timeout=10):
    start = time.time()
    wait_for(lambda: can_ping(ns, address), timeout, f"ping {address}", interval=0.05)
    return (time.time() - start) * 1000


# ---- the steps -----------------------------------------------------------------------------

def published(t, cl):
    for h in (1, 2):
        wait_for(lambda: cl.rows("Physical_Switch", [["name", "==", f"h{h}"]]), 10, f"h{h}'s Physical_Switch")
    sw = {r["name"]: r for r in cl.rows("Physical_Switch")}
    check(set(sw) == {"h1", "h2"}, f"h1 and h2 published their Physical_Switch, h3 (publish = false) did not: {sorted(sw)}")
    check(sw["h1"]["tunnel_ips"] == "192.0.2.1", f"h1's tunnel_ips: {sw['h1']['tunnel_ips']}")
    ls = {r["tunnel_key"]: uuid(r) for r in cl.rows("Logical_Switch")}
    check(set(ls) == {5001, 5002}, f"one Logical_Switch per VSID in use: {sorted(ls)}")
    locators = {r["dst_ip"]: r for r in cl.rows("Physical_Locator")}
    check(locators["192.0.2.1"]["encapsulation_type"] == "nvgre_over_ipv4", "h1's locator is nvgre_over_ipv4")
    local = cl.rows("Ucast_Macs_Local")
    macs = sorted({r["MAC"] for r in local})
    # a1, b1, c1 (h1), a2 (h2): two rows each (IPv4, IPv6); b2 is not bound yet.
    check(macs == sorted(vm.mac for vm in t.vms if vm.name in ("a1", "b1", "c1", "a2")) and len(local) == 8,
          f"Ucast_Macs_Local: 8 rows for a1, b1, c1, a2 ({len(local)} rows)")
    return ls, locators


def bind_port(t, cl, ls):
    b2 = t.vm("b2")
    check(not b2.ns.ok("ping -c 2 -W 1 10.0.0.1", timeout=10), "b2 (port without vsid) cannot reach anyone")
    check(t.ctl(2)["drops"]["port-unbound"] > 0, "its frames are dropped as port-unbound")
    sw = cl.rows("Physical_Switch", [["name", "==", "h2"]])[0]
    members = [u[1] for u in (sw["ports"][1] if sw["ports"][0] == "set" else [sw["ports"]])]
    ports = {r["name"]: r for r in cl.rows("Physical_Port") if uuid(r) in members}  # tap names repeat across hosts
    pp = ports["nvb"]
    check(pp["vlan_bindings"] == ["map", []] and ports["nva"]["vlan_bindings"][1][0][0] == 0,
          "h2 published its Physical_Ports: a2's bound to its Logical_Switch, b2's without a binding")
    cl.transact({"op": "update", "table": "Physical_Port", "where": [["_uuid", "==", ["uuid", uuid(pp)]]],
                 "row": {"vlan_bindings": ["map", [[0, ["uuid", ls[5002]]]]]}})
    ms = first_ping_ms(b2.ns, "10.0.0.1")
    check(True, f"bound by the controller (Physical_Port.vlan_bindings): b2 -> b1 ping after {ms:.0f} ms")
    RESULTS["bind_to_ping_ms"] = round(ms)
    check(record(t, 1, 5002, b2.mac) is not None, "h1 has b2's record (h2 published it once bound)")


def controller_rows(t, cl, ls, vm, locator_ip):
    """Ucast_Macs_Remote rows for vm (IPv4 and IPv6) at locator_ip, as a controller writes them."""
    loc = [r for r in cl.rows("Physical_Locator") if r["dst_ip"] == locator_ip]
    ops = []
    ref = ["uuid", uuid(loc[0])] if loc else ["named-uuid", "loc"]
    if not loc:
        ops.append({"op": "insert", "table": "Physical_Locator", "uuid-name": "loc",
                    "row": {"encapsulation_type": "nvgre_over_ipv4", "dst_ip": locator_ip}})
    for ip in (vm.ipv4, vm.ipv6):
        ops.append({"op": "insert", "table": "Ucast_Macs_Remote",
                    "row": {"MAC": vm.mac, "ipaddr": ip, "logical_switch": ["uuid", ls[vm.vsid]], "locator": ref}})
    return ops


def runtime_changes(t, cl, ls):
    a1, a3 = t.vm("a1"), t.vm("a3")
    check(not can_ping(a1.ns, a3.ipv4), "a1 -> a3: no record yet, no answer")
    # Add.
    cl.transact(*controller_rows(t, cl, ls, a3, t.pa[3]))
    start = time.time()
    wait_for(lambda: record(t, 1, 5001, a3.mac), 10, "a3's record on h1", interval=0.02)
    add_ms = (time.time() - start) * 1000
    ping_ms = first_ping_ms(a1.ns, a3.ipv4)
    check(True, f"added (Ucast_Macs_Remote by ovsdb-client): in force on h1 {add_ms:.0f} ms after the transact, "
                f"a1 -> a3 ping {ping_ms:.0f} ms later")
    RESULTS["add_ms"] = round(add_ms)
    cl.transact(*controller_rows(t, cl, ls, t.vm("b3"), t.pa[3]))
    # Change: the record now says a3 is on h2 (it is not): traffic goes there and is dropped.
    rows = cl.rows("Ucast_Macs_Remote", [["MAC", "==", a3.mac]])
    h2_loc = [r for r in cl.rows("Physical_Locator") if r["dst_ip"] == t.pa[2]][0]
    h3_loc = [r for r in cl.rows("Physical_Locator") if r["dst_ip"] == t.pa[3]][0]
    before = t.ctl(2)["drops"]["unknown-inner-mac"]
    cl.transact({"op": "update", "table": "Ucast_Macs_Remote", "where": [["MAC", "==", a3.mac]],
                 "row": {"locator": ["uuid", uuid(h2_loc)]}})
    start = time.time()
    wait_for(lambda: (record(t, 1, 5001, a3.mac) or {}).get("provider") == t.pa[2], 10, "a3's record changed on h1",
             interval=0.02)
    change_ms = (time.time() - start) * 1000
    check(not a1.ns.ok(f"ping -c 2 -W 1 {a3.ipv4}", timeout=10), "changed to h2's locator: a1 -> a3 fails")
    check(t.ctl(2)["drops"]["unknown-inner-mac"] > before, "h2 got the frames and dropped them (unknown-inner-mac)")
    cl.transact({"op": "update", "table": "Ucast_Macs_Remote", "where": [["MAC", "==", a3.mac]],
                 "row": {"locator": ["uuid", uuid(h3_loc)]}})
    ping_back = first_ping_ms(a1.ns, a3.ipv4)
    check(True, f"changed: in force on h1 {change_ms:.0f} ms after the transact; changed back: a1 -> a3 again "
                f"after {ping_back:.0f} ms")
    RESULTS["change_ms"] = round(change_ms)
    # Remove.
    misses = t.ctl(1)["drops"]["neighbor-miss"]
    cl.transact({"op": "delete", "table": "Ucast_Macs_Remote", "where": [["MAC", "==", a3.mac]]})
    start = time.time()
    wait_for(lambda: record(t, 1, 5001, a3.mac) is None, 10, "a3's record gone on h1", interval=0.02)
    remove_ms = (time.time() - start) * 1000
    a1.ns.run("ip neigh flush all")
    check(not a1.ns.ok(f"ping -c 2 -W 1 {a3.ipv4}", timeout=10), "removed: a1 -> a3 fails")
    check(t.ctl(1)["drops"]["neighbor-miss"] > misses, "a1's ARP requests for a3 unanswered (neighbor-miss)")
    RESULTS["remove_ms"] = round(remove_ms)
    check(True, f"removed: gone from h1 {remove_ms:.0f} ms after the transact")
    cl.transact(*controller_rows(t, cl, ls, a3, t.pa[3])[-2:])  # back for the next steps (locator exists)
    check(first_ping_ms(a1.ns, a3.ipv4) < 10000, "a3 back")
    del rows


def all_pairs(t, hosts_vms):
    pairs = 0
    for vsid in (5001, 5002):
        vms = [t.vm(n) for n in hosts_vms if t.vm(n).vsid == vsid]
        for i, x in enumerate(vms):
            for y in vms[i + 1:]:
                if not ping(x.ns, y.ipv4, count=1, timeout=10):
                    raise AssertionError(f"{x.name} -> {y.name} ({y.ipv4}) does not answer")
                pairs += 1
    x, y = t.vm("a1"), t.vm("a3")
    check(ping(x.ns, y.ipv6, count=1), "a1 -> a3 over IPv6 (inner) too")
    check(True, f"ping between all {pairs} pairs of VMs of each VSID ({', '.join(hosts_vms)})")


def new_host(t):
    a1 = t.vm("a1")
    start = time.time()
    t.add_host(4)
    up = time.time()
    a4 = t.vm("a4")
    wait_for(lambda: record(t, 1, 5001, a4.mac), 10, "a4's record on h1", interval=0.02)
    seen = time.time()
    ping_ms = first_ping_ms(a1.ns, a4.ipv4)
    RESULTS["new_host_record_ms"] = round((seen - up) * 1000)
    check((seen - up) < 1.0, f"a VM on a new host (h4, shared mode): its record in force on h1 "
                             f"{(seen - up) * 1000:.0f} ms after h4's nvgred was up (started in "
                             f"{(up - start):.1f} s), a1 -> a4 ping {ping_ms:.0f} ms later")
    check(ping(t.vm("a4").ns, t.vm("a3").ipv4, count=1), "a4 -> a3 (a controller's record, on h4 too)")
    st = lookup(t, 4)["ovsdb"]
    check(st["remote"].endswith("s2.sock") and not st["leader"] and st["counters"]["transactions_ok"] >= 1,
          "h4 reads from a follower (s2) and published through the leader")


def reload_ok(t, h):
    r = t.ctl_run(h, "reload", json_output=True)
    if r.returncode != 0:
        raise AssertionError(f"ctl reload on h{h}: {r.stderr}")
    return json.loads(r.stdout)


def vm_by_reload(t, lab):
    """A VM added to h2 by a reload (shared mode): reachable from h1 and h3 through its
    Ucast_Macs_Local row; the OVSDB records of h2 stay in force across the reload."""
    e2 = Vm("e2", 2, 5001, "10.0.0.6", "fd00::6", "02:00:00:02:50:06", "nve")
    a1, a3 = t.vm("a1"), t.vm("a3")
    before = lookup(t, 2)
    t.vms.append(e2)
    t.make_vm(e2)
    lab.write("h2.toml", t.config_text(2))
    r = reload_ok(t, 2)
    done = time.time()
    check(r["ports_added"] == ["nve"], "h2 reloaded with a new port nve")
    after = lookup(t, 2)
    check(after["counts"]["ovsdb"] == before["counts"]["ovsdb"] and
          sorted((x["vsid"], x["mac"], x["provider"]) for x in after["records"] if x["source"] == "ovsdb") ==
          sorted((x["vsid"], x["mac"], x["provider"]) for x in before["records"] if x["source"] == "ovsdb"),
          f"the reload kept h2's {after['counts']['ovsdb']} OVSDB records in force")
    check(all(x["source"] == "ovsdb" for x in after["records"]) and after["ovsdb"]["connected"],
          "ctl lookup: each record with its source, and the connection state (connected)")
    wait_for(lambda: e2.ns.ok(f"ip link show {e2.tap}"), 10, f"TAP {e2.tap} in e2")
    e2.ns.run(f"ip link set {e2.tap} up && ip addr add {e2.ipv4}/24 dev {e2.tap}")
    wait_for(lambda: record(t, 1, 5001, e2.mac) and record(t, 3, 5001, e2.mac), 10,
             "e2's record on h1 and h3", interval=0.02)
    ms = (time.time() - done) * 1000
    RESULTS["vm_by_reload_record_ms"] = round(ms)
    check(ms < 1000, f"a VM added by a reload on h2: its record in force on h1 and h3 {ms:.0f} ms "
                     "after the reload (shared mode)")
    check(ping(a1.ns, e2.ipv4, count=1) and ping(a3.ns, e2.ipv4, count=1), "a1 -> e2 and a3 -> e2")
    check(ping(t.vm("a2").ns, a3.ipv4, count=1), "a2 -> a3 after h2's reload (a controller's record)")
    # And removed by a reload: its row goes, the others stop sending to it.
    t.vms.remove(e2)
    lab.write("h2.toml", t.config_text(2))
    check(reload_ok(t, 2)["ports_removed"] == ["nve"], "h2 reloaded without nve")
    wait_for(lambda: not record(t, 1, 5001, e2.mac), 10, "e2's record gone from h1", interval=0.02)
    check(True, "its record left h1 with its Ucast_Macs_Local row")
    refused = reload_refused(t, lab)
    check(refused, "a reload that changes [policy] is refused (a restart): " + refused.splitlines()[0])


def reload_refused(t, lab):
    text = t.config_text(2)
    lab.write("h2.toml", text.replace('switch = "h2"', 'switch = "h2-renamed"'))
    r = t.ctl_run(2, "reload", json_output=True)
    lab.write("h2.toml", text)
    return r.stderr if r.returncode != 0 and "policy.switch" in r.stderr else ""


def bad_rows(t, cl, ls):
    h3_loc = [r for r in cl.rows("Physical_Locator") if r["dst_ip"] == t.pa[3]][0]
    before = lookup(t, 1)["ovsdb"]["replica"]["refused_total"]
    good = "02:00:00:08:50:01"
    cl.transact(
        {"op": "insert", "table": "Logical_Switch", "uuid-name": "bad_ls", "row": {"name": "vsid-12", "tunnel_key": 12}},
        {"op": "insert", "table": "Logical_Switch", "uuid-name": "big_ls", "row": {"name": "vsid-2^24", "tunnel_key": 16777216}},
        {"op": "insert", "table": "Physical_Locator", "uuid-name": "vx",
         "row": {"encapsulation_type": "vxlan_over_ipv4", "dst_ip": "192.0.2.77"}},
        {"op": "insert", "table": "Ucast_Macs_Remote",
         "row": {"MAC": "zz:00:00:08:50:02", "ipaddr": "10.0.0.82", "logical_switch": ["uuid", ls[5001]],
                 "locator": ["uuid", uuid(h3_loc)]}},
        {"op": "insert", "table": "Ucast_Macs_Remote",
         "row": {"MAC": "02:00:00:08:50:03", "ipaddr": "10.0.0.300", "logical_switch": ["uuid", ls[5001]],
                 "locator": ["uuid", uuid(h3_loc)]}},
        {"op": "insert", "table": "Ucast_Macs_Remote",
         "row": {"MAC": "02:00:00:08:50:04", "logical_switch": ["named-uuid", "bad_ls"], "locator": ["uuid", uuid(h3_loc)]}},
        {"op": "insert", "table": "Ucast_Macs_Remote",
         "row": {"MAC": "02:00:00:08:50:05", "logical_switch": ["named-uuid", "big_ls"], "locator": ["uuid", uuid(h3_loc)]}},
        {"op": "insert", "table": "Ucast_Macs_Remote",
         "row": {"MAC": "02:00:00:08:50:06", "logical_switch": ["uuid", ls[5001]], "locator": ["named-uuid", "vx"]}},
        {"op": "insert", "table": "Ucast_Macs_Remote",
         "row": {"MAC": good, "ipaddr": "10.0.0.81", "logical_switch": ["uuid", ls[5001]], "locator": ["uuid", uuid(h3_loc)]}})
    wait_for(lambda: record(t, 1, 5001, good), 10, "the good row of the transaction on h1")
    after = lookup(t, 1)["ovsdb"]["replica"]["refused_total"]
    got = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    want = {"bad-mac": 1, "bad-ip": 1, "vsid-out-of-range": 4, "unknown-encapsulation": 2}
    check(got == want, f"bad rows from the database refused and counted by reason on h1: {got}")
    wait_for(lambda: t.ctl(1)["ovsdb"]["refused_rows"] == lookup(t, 1)["ovsdb"]["replica"]["refused_total"], 5,
             "ctl stats' ovsdb.refused_rows")
    stats = t.ctl(1)["ovsdb"]
    check(stats["connected"] == 1 and stats["refused_rows"]["bad-mac"] >= 1 and stats["updates"] >= 1,
          f"ctl stats (and /metrics, one registry) count them too: refused_rows {stats['refused_rows']}")
    log = open(t.log(1)).read()
    check("refused (bad-mac): MAC \"zz:00:00:08:50:02\"" in log and "refused (vsid-out-of-range)" in log and
          "refused (unknown-encapsulation): encapsulation_type \"vxlan_over_ipv4\"" in log,
          "each logged with its row and reason")
    cl.transact({"op": "delete", "table": "Ucast_Macs_Remote", "where": [["logical_switch", "!=", ["uuid", ls[5002]]],
                                                                          ["MAC", "!=", t.vm("a3").mac]] +
                 [["MAC", "!=", vm.mac] for vm in t.vms]})


def leader_killed(t, cl, ls, args):
    leader = cl.leader()
    check(leader is not None, f"the cluster has a leader (s{leader})")
    on_leader = [h for h in t.daemons if lookup(t, h)["ovsdb"]["remote"] == cl.remote(leader)]
    check(on_leader, f"nvgred on {['h%d' % h for h in on_leader]} connected to the leader s{leader}")
    result = {}

    def run_transfer():
        try:
            result["r"] = transfer(t, t.lab, t.vm("a1"), t.vm("a2"), "10.0.0.2", args.bytes, port=5301)
        except Exception as e:  # reported below
            result["e"] = e

    th = threading.Thread(target=run_transfer)
    th.start()
    time.sleep(0.3)
    killed_at = time.time()
    cl.stop(leader, signal.SIGKILL)
    th.join(timeout=300)
    check("e" not in result and "r" in result, f"transfer finished ({result.get('e')})")
    sent, received = result["r"]
    check(sent["bytes"] == args.bytes and sent["sha256"] == received["sha256"],
          f"the leader s{leader} killed during a {args.bytes // 1000000} MB transfer: it completed, same SHA-256")
    for h in on_leader:
        wait_for(lambda: lookup(t, h)["ovsdb"]["connected"], 20, f"h{h} reconnected")
    reconnect_ms = (time.time() - killed_at) * 1000
    remotes = {h: lookup(t, h)["ovsdb"]["remote"] for h in t.daemons}
    check(all(r != cl.remote(leader) for r in remotes.values()),
          f"every nvgred on another member within {reconnect_ms:.0f} ms: {remotes}")
    RESULTS["leader_kill_reconnected_ms"] = round(reconnect_ms)
    late = type("Vm", (), {"mac": "02:00:00:09:50:01", "ipv4": "10.0.0.91", "ipv6": "fd00::91", "vsid": 5001})
    cl.transact(*controller_rows(t, cl, ls, late, "192.0.2.9"))  # a host no nvgred here is
    for h in t.daemons:
        wait_for(lambda: record(t, h, 5001, late.mac), 10, f"a later update on h{h}")
    check(True, "a later update arrived on every nvgred")
    cl.start(leader)  # it rejoins as a follower
    return late


def all_stopped(t, cl, late):
    a1 = t.vm("a1")
    records = len(lookup(t, 1)["records"])
    for i in sorted(cl.procs):
        cl.stop(i)
    wait_for(lambda: not lookup(t, 1)["ovsdb"]["connected"], 10, "h1 sees the cluster gone")
    check(ping(a1.ns, "10.0.0.2", count=2) and ping(a1.ns, t.vm("a3").ipv4, count=2),
          "every server stopped: a1 -> a2 and a1 -> a3 (known records) still work")
    check(len(lookup(t, 1)["records"]) == records, f"h1 keeps its {records} records")
    cl.start(2)
    time.sleep(3)
    st = lookup(t, 1)["ovsdb"]
    said = f"{cl.remote(2)[5:]}: this member is not connected to its cluster"
    check(not st["connected"] and said in open(t.log(1)).read(),
          "one member back (no quorum): not used, its data may be stale (logged: ...not connected to its cluster)")
    back = time.time()
    cl.start(3)
    for h in t.daemons:
        wait_for(lambda: lookup(t, h)["ovsdb"]["connected"], 30, f"h{h} synced again")
    resync_ms = (time.time() - back) * 1000
    RESULTS["quorum_back_resync_ms"] = round(resync_ms)
    cl.transact({"op": "update", "table": "Ucast_Macs_Remote", "where": [["MAC", "==", late.mac], ["ipaddr", "==", late.ipv4]],
                 "row": {"ipaddr": "10.0.0.92"}})
    wait_for(lambda: "10.0.0.92" in (record(t, 1, 5001, late.mac) or {}).get("ip", []), 10, "an update after the resync")
    check(True, f"a second member back (quorum): every nvgred synced within {resync_ms:.0f} ms, updates flow again")
    cl.start(1)


# ---- a fake server -------------------------------------------------------------------------

class FakeServer:
    """Speaks just enough OVSDB to be connected to, then misbehaves as each step asks."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(15)
        self.conn = None
        self.buf = ""

    def accept(self):
        if self.conn:
            self.conn.close()
        self.conn, _ = self.sock.accept()
        self.conn.settimeout(10)
        self.buf = ""

    def read(self):
        dec = json.JSONDecoder()
        while True:
            s = self.buf.lstrip()
            if s:
                try:
                    obj, end = dec.raw_decode(s)
                    self.buf = s[end:]
                    return obj
                except ValueError:
                    pass
            data = self.conn.recv(65536)
            if not data:
                return None
            self.buf += data.decode()

    def send(self, obj_or_bytes):
        self.conn.sendall(obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode())

    def closed(self, timeout=5):
        self.conn.settimeout(timeout)
        try:
            while True:
                if not self.conn.recv(65536):
                    return True
        except socket.timeout:
            return False


def fake_server(t, lab, nvgred):
    def U(n):
        return "00000000-0000-0000-0000-%012d" % n

    def ref(n):
        return ["uuid", U(n)]

    path = lab.path("fake.sock")
    fake = FakeServer(path)
    hx = lab.netns("hx")
    hx.run("ip addr add 192.0.2.50/32 dev lo")
    sock = lab.path("hx.sock")
    cfg = lab.write("hx.toml", "\n".join([
        "[daemon]", "workers = 1", "[underlay]", 'address = "192.0.2.50"', "[control]", f'socket = "{sock}"',
        "[policy]", f'ovsdb = ["unix:{path}"]', 'switch = "hx"', "publish = false", "inactivity_probe = 1000",
        "max_backoff = 1000", "max_message_bytes = 65536",
        "[[subnet]]", "vsid = 5001", "[[port]]", 'tap = "nvx"', "vsid = 5001", 'mac = "02:00:00:50:50:01"']) + "\n")
    log = lab.path("nvgred-hx.log")
    proc = hx.spawn([nvgred, "--config", cfg], log=log)

    def status():
        out = subprocess.run([nvgred, "ctl", "--socket", sock, "--json", "lookup"], capture_output=True, text=True,
                             timeout=20)
        return json.loads(out.stdout)

    # 1. Garbage instead of an answer.
    fake.accept()
    req = fake.read()
    check(req["method"] == "monitor_cond" and req["params"][0] == "_Server", "nvgred asks _Server first")
    fake.send(b"garbage, not JSON\n")
    check(fake.closed(), "garbage JSON: nvgred closes the connection")
    # 2. No _Server; a sync with bad rows; then an oversize message.
    fake.accept()
    req = fake.read()
    fake.send({"id": req["id"], "result": None, "error": {"error": "unknown database"}})
    req = fake.read()
    check(req["method"] == "monitor_cond_since", "then monitor_cond_since")

    def loc(encap, ip):
        return {"insert": {"encapsulation_type": encap, "dst_ip": ip}}

    def row(ls, lc, mac, ip=""):
        return {"insert": {"MAC": mac, "logical_switch": ref(ls), "locator": ref(lc), "ipaddr": ip}}

    fake.send({"id": req["id"], "error": None, "result": [False, U(999), {
        "Logical_Switch": {U(1): {"insert": {"name": "ls", "tunnel_key": 5001}},
                           U(2): {"insert": {"name": "big", "tunnel_key": 1 << 40}}},
        "Physical_Locator": {U(10): loc("nvgre_over_ipv4", "192.0.2.2"), U(11): loc("geneve_over_ipv4", "192.0.2.3")},
        "Ucast_Macs_Remote": {
            U(100): row(1, 10, "02:00:00:00:60:01", "10.0.0.61"),   # good
            U(101): row(1, 11, "02:00:00:00:60:02"),                # unknown encapsulation type
            U(102): row(7, 10, "02:00:00:00:60:03"),                # dangling reference
            U(103): row(2, 10, "02:00:00:00:60:04"),                # VSID out of range
            U(104): row(1, 10, "02:00:00:00:60:0g"),                # bad MAC
            U(105): row(1, 10, "02:00:00:00:60:06", "10.0.0.600"),  # bad IP
            U(106): 42}}]})                                         # not a row update
    wait_for(lambda: status()["counts"]["ovsdb"] == 1, 10, "hx takes the good row")
    fake.send(b'{"id":null,"method":"update3","params":["' + b"x" * 100000 + b'"]}')
    check(fake.closed(), "an oversize message (100 kB, bound 64 KiB): nvgred closes the connection")
    # 3. A server that answers the first request and then says nothing: probed, then left.
    fake.accept()
    req = fake.read()
    fake.send({"id": req["id"], "result": None, "error": "unknown database"})
    req = fake.read()
    check(req["params"][3] == U(999), "it resumes from the last transaction id it saw")
    probe = fake.read()
    check(probe is not None and probe["method"] == "echo", "silence: an inactivity probe (echo)")
    check(fake.closed(), "no answer to the probe: nvgred leaves")
    s = status()
    c = s["ovsdb"]["counters"]
    refused = s["ovsdb"]["replica"]["refused_total"]
    check(c["not_json"] == 1 and c["oversize_messages"] == 1 and c["probes_sent"] >= 1,
          f"counted: not_json={c['not_json']} oversize_messages={c['oversize_messages']} probes_sent={c['probes_sent']}")
    want = {"unknown-encapsulation": 2, "dangling-reference": 1, "vsid-out-of-range": 2, "bad-mac": 1, "bad-ip": 1,
            "malformed-row": 1}
    check(all(refused[k] == v for k, v in want.items()), f"bad rows counted by reason: {refused}")
    check(s["counts"]["ovsdb"] == 1 and s["records"][-1]["mac"] == "02:00:00:00:60:01",
          "the good row stays in force through all of it")
    text = open(log).read()
    check("refused (unknown-encapsulation): encapsulation_type \"geneve_over_ipv4\"" in text and
          "refused (dangling-reference)" in text and "bytes that are not a JSON object" in text and
          "a message longer than 65536 bytes" in text, "each logged")
    check(proc.poll() is None, "nvgred hx still running")
    proc.terminate()
    proc.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--bytes", type=int, default=30_000_000)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces): skipped")
        return 77
    for tool in ("ovsdb-server", "ovsdb-tool", "ovsdb-client", "ovs-appctl"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            print(f"no {tool} (Debian openvswitch-common): skipped")
            return 77
    if not os.path.exists(args.schema):
        print(f"no {args.schema} (Debian openvswitch-vtep): skipped")
        return 77
    began = time.time()
    with Lab("ov", time_limit=420) as lab:
        try:
            run(lab, args)
        except Exception:
            for name in ("nvgred-h1.log", "nvgred-h2.log", "nvgred-h3.log", "nvgred-h4.log", "nvgred-hx.log"):
                p = lab.path(name)
                if os.path.exists(p):
                    print(f"--- {name} ---\n" + open(p).read()[-4000:], file=sys.stderr)
            raise
    RESULTS["seconds"] = round(time.time() - began, 1)
    print(json.dumps(RESULTS), flush=True)
    return 0


def run(lab, args):
    cl = Cluster(lab, args.schema)
    cl.create()
    for i in (1, 2, 3):
        cl.start(i)
    wait_for(lambda: cl.leader() is not None, 20, "a cluster leader")
    check(True, f"3-member Raft cluster up, leader s{cl.leader()}")
    remotes = [cl.remote(i) for i in (1, 2, 3)]
    # h4 reads from a follower first: it must find the leader for its writes (a second session).
    policy = {"ovsdb": remotes, 3: {"publish": False}, 4: {"ovsdb": [remotes[1], remotes[2], remotes[0]]},
              "inactivity_probe": 3000, "max_backoff": 1000}
    t = TwoHosts(lab, args.nvgred, hosts=4, policy=policy, unbound={"b2"}).build(hosts=(1, 2, 3))
    ls, _ = published(t, cl)
    bind_port(t, cl, ls)
    runtime_changes(t, cl, ls)
    all_pairs(t, ["a1", "c1", "a2", "a3", "b1", "b2", "b3"])
    new_host(t)
    vm_by_reload(t, lab)
    bad_rows(t, cl, ls)
    late = leader_killed(t, cl, ls, args)
    all_stopped(t, cl, late)
    fake_server(t, lab, args.nvgred)
    for h in t.daemons:
        check(t.alive(h), f"nvgred h{h} still running")


if __name__ == "__main__":
    sys.exit(main())
