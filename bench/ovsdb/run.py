#!/usr/bin/python3
"""nvgred's OVSDB policy at scale: initial sync of N Ucast_Macs_Remote rows, resident memory
per record, datapath lookup cost at each size, and the latency from a transact's commit to the
datapath using the changed record.

    sudo bench/ovsdb/run.py --nvgred build/release/bin/nvgred \\
        --schema build/release/share/nvgre/nvgre-vtep.ovsschema \\
        --lookup-bench build/release/bench/policy_lookup_bench \\
        [--sizes 10000,100000,1000000] [--updates 1000] [--json out.json]

Not part of ctest (minutes and GBs at 1M rows); `--sizes 1000 --updates 50` is a smoke run.
What it does, per size N (a fresh standalone ovsdb-server with nvgred's schema each time):
  1. loads 16 Logical_Switch rows (VSIDs 5001..5016), 1000 Physical_Locator rows
     (nvgre_over_ipv4, 192.0.p.q) and N Ucast_Macs_Remote rows (one MAC and one IPv4 each,
     spread over the switches and locators) with transact, 50k rows per transaction, over its
     own JSON-RPC connection (RFC 7047 §4.1.3);
  2. starts nvgred (one worker, one port, [policy] publish = false, log_level debug) in a network
     namespace and measures the time from its start (process start, TAP, sockets, connection
     included: sync_seconds) until its log says the update holding all N records is in force
     ("ovsdb: update K in force: ... N record(s)", logged once no worker can see the previous
     datapath state); also the client's own "synced N row(s) in X ms" (monitor request sent ->
     replica applied: monitor_to_replica_ms) and the in-force line's "ms after it arrived";
  3. reads nvgred's CPU time (utime + stime) when the records are in force, minus that of a run
     with 0 rows (sync_cpu_seconds: the sync's cost on a machine shared with other work), and
     VmRSS from /proc: (RSS with N rows - RSS with 0 rows) / N = resident bytes per record
     (everything nvgred keeps: replica rows, claims, the record layer, allocator slack);
  4. at N = --latency-size (default 100000), --updates times: one
     transact changes one row's locator; latency = the in-force log line's monotonic time minus
     the moment the transact's reply (the commit) arrived, and minus the moment it was sent;
     p50/p99 of each.
Lookup ns per size comes from bench/policy_lookup_bench.cc (BM_LayerLookup/N, BM_LayerResolve/N:
the datapath's Policy::Lookup / Resolve over a record layer of N records, keys in random order).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

DB = "hardware_vtep"
VSIDS = 16
LOCATORS = 1000
BATCH = 50_000
SYNCED = re.compile(r"synced (\d+) row\(s\) in (\d+) ms")
IN_FORCE = re.compile(r"ovsdb: update (\d+) in force: (\d+) row\(s\), (\d+) record\(s\), "
                      r"([0-9.]+) ms after it arrived \(monotonic (\d+) ns\)")


class Rpc:
    """A minimal RFC 7047 JSON-RPC client (transact only; answers the server's echo)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""
        self.id = 0
        self.dec = json.JSONDecoder()

    def call(self, method, params):
        self.id += 1
        self.s.sendall(json.dumps({"method": method, "params": params, "id": self.id}).encode())
        while True:
            msg = self.next()
            if msg.get("method") == "echo":
                self.s.sendall(json.dumps({"result": msg["params"], "error": None, "id": msg["id"]}).encode())
            elif msg.get("id") == self.id:
                if msg.get("error"):
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def next(self):
        while True:
            text = self.buf.decode(errors="replace").lstrip()
            if text:
                try:
                    obj, end = self.dec.raw_decode(text)
                    self.buf = text[end:].encode()
                    return obj
                except json.JSONDecodeError:
                    pass
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise RuntimeError("ovsdb-server closed the connection")
            self.buf += chunk

    def transact(self, *ops):
        result = self.call("transact", [DB] + list(ops))
        errors = [r for r in result if isinstance(r, dict) and "error" in r]
        if errors:
            raise RuntimeError(f"transact: {errors[:3]}")
        return result


def mac(i):
    return "02:00:%02x:%02x:%02x:%02x" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)


def ca(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def pa(p):
    return "198.18.%d.%d" % (p >> 8 & 255, p & 255)  # RFC 2544 benchmarking range, never this host


class Server:
    def __init__(self, work, schema):
        self.dir = tempfile.mkdtemp(dir=work, prefix="db")
        self.sock = os.path.join(self.dir, "db.sock")
        subprocess.run(["ovsdb-tool", "create", os.path.join(self.dir, "db"), schema], check=True)
        self.proc = subprocess.Popen(
            ["ovsdb-server", os.path.join(self.dir, "db"), f"--remote=punix:{self.sock}",
             f"--unixctl={os.path.join(self.dir, 'ctl')}", f"--log-file={os.path.join(self.dir, 'log')}",
             "--no-chdir"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(self.sock):
            if time.time() > deadline:
                raise RuntimeError("ovsdb-server did not start")
            time.sleep(0.05)
        self.rpc = Rpc(self.sock)

    def load(self, n):
        ls = self.rpc.transact(*[{"op": "insert", "table": "Logical_Switch",
                                  "row": {"name": f"vsid-{5001 + v}", "tunnel_key": 5001 + v}}
                                 for v in range(VSIDS)])
        self.ls = [r["uuid"][1] for r in ls]
        # Physical_Locator is no root table: a locator lives while a row refers to it, so the
        # locators come in the first transaction with the rows that use them.
        start = time.time()
        locators = min(LOCATORS, n)
        first = self.rpc.transact(
            *[{"op": "insert", "table": "Physical_Locator", "uuid-name": f"l{p}",
               "row": {"encapsulation_type": "nvgre_over_ipv4", "dst_ip": pa(p)}} for p in range(locators)],
            *[self.ucast(i, ["named-uuid", f"l{i % LOCATORS}"]) for i in range(min(n, BATCH))])
        self.loc = [r["uuid"][1] for r in first[:locators]]
        for begin in range(BATCH, n, BATCH):
            self.rpc.transact(*[self.ucast(i, ["uuid", self.loc[i % LOCATORS]])
                                for i in range(begin, min(n, begin + BATCH))])
        return time.time() - start

    def ucast(self, i, locator):
        return {"op": "insert", "table": "Ucast_Macs_Remote",
                "row": {"MAC": mac(i), "ipaddr": ca(i), "logical_switch": ["uuid", self.ls[i % VSIDS]],
                        "locator": locator}}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Nvgred:
    def __init__(self, binary, work, remote, ns):
        self.binary = binary
        self.dir = tempfile.mkdtemp(dir=work, prefix="nvgred")
        self.log = os.path.join(self.dir, "log")
        self.sock = os.path.join(self.dir, "ctl.sock")
        cfg = os.path.join(self.dir, "nvgred.toml")
        with open(cfg, "w") as f:
            f.write(f"""[daemon]
workers = 1
log_level = "debug"
[underlay]
address = "192.0.2.250"
mtu = 1500
[control]
socket = "{self.sock}"
[[subnet]]
vsid = 5001
[[port]]
tap = "nvb0"
vsid = 5001
mac = "02:ff:00:00:00:01"
ip = "10.255.255.1"
[policy]
ovsdb = ["{remote}"]
switch = "bench"
publish = false
max_message_bytes = 4294967296
""")
        self.started = time.monotonic_ns()
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, binary, "--config", cfg],
                                     stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        self.pos = 0

    def lines(self):
        with open(self.log) as f:
            f.seek(self.pos)
            text = f.read()
        cut = text.rfind("\n") + 1
        self.pos += len(text[:cut].encode())
        return text[:cut].splitlines()

    def wait_in_force(self, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.lines():
                m = IN_FORCE.search(line)
                if m and predicate(int(m.group(3))):
                    return {"sequence": int(m.group(1)), "rows": int(m.group(2)), "records": int(m.group(3)),
                            "after_arrival_ms": float(m.group(4)), "monotonic_ns": int(m.group(5))}
            if self.proc.poll() is not None:
                raise RuntimeError(f"nvgred exited {self.proc.returncode}: {open(self.log).read()[-2000:]}")
            time.sleep(0.002)
        raise RuntimeError(f"nothing in force within {timeout} s: {open(self.log).read()[-2000:]}")

    def stats(self):
        out = subprocess.run([self.binary, "ctl", "--socket", self.sock, "--json", "stats"],
                             capture_output=True, text=True, timeout=10)
        return json.loads(out.stdout) if out.returncode == 0 else {}

    def wait_connected(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.stats().get("ovsdb", {}).get("connected") == 1:
                return
            time.sleep(0.05)
        raise RuntimeError(f"not connected within {timeout} s: {open(self.log).read()[-2000:]}")

    def rss(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def cpu_seconds(self):
        """User + system CPU time so far: what the sync cost, whatever else the machine runs."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def one_size(args, work, ns, n, latency):
    server = Server(work, args.schema)
    try:
        load_s = server.load(n) if n else 0.0
        d = Nvgred(args.nvgred, work, f"unix:{server.sock}", ns)
        try:
            if n == 0:  # nothing to put in force: wait for the connection
                d.wait_connected(30)
                got = {"monotonic_ns": time.monotonic_ns(), "records": 0}
            else:
                got = d.wait_in_force(lambda r: r >= n, 600)
            sync_s = (got["monotonic_ns"] - d.started) / 1e9
            cpu = d.cpu_seconds()
            time.sleep(1.0)  # let the allocator settle before reading RSS
            synced = [SYNCED.search(line) for line in open(d.log)]
            synced = [m for m in synced if m]
            result = {"rows": n, "load_seconds": round(load_s, 2), "sync_seconds": round(sync_s, 3),
                      "cpu_seconds": round(cpu, 2),
                      "monitor_to_replica_ms": int(synced[-1].group(2)) if synced else None,
                      "replica_to_datapath_ms": got.get("after_arrival_ms"),
                      "records_in_force": got["records"], "rss_bytes": d.rss()}
            if latency:
                result["latency"] = updates(server, d, n, args.updates)
            return result
        finally:
            d.stop()
    finally:
        server.stop()


def updates(server, d, n, count):
    """count transacts, each moving one row to another locator; waits for each in force."""
    commit, sent = [], []
    for k in range(count):
        i = (k * 7919) % n
        target = server.loc[(i + 1 + k % (len(server.loc) - 1)) % len(server.loc)]  # never its own
        d.lines()  # skip anything logged before
        t0 = time.monotonic_ns()
        server.rpc.transact({"op": "update", "table": "Ucast_Macs_Remote",
                             "where": [["MAC", "==", mac(i)]], "row": {"locator": ["uuid", target]}})
        t1 = time.monotonic_ns()
        got = d.wait_in_force(lambda r: True, 10)
        sent.append((got["monotonic_ns"] - t0) / 1e6)
        commit.append((got["monotonic_ns"] - t1) / 1e6)
    return {"updates": count,
            "from_commit_ms": {"p50": round(percentile(commit, 50), 3), "p99": round(percentile(commit, 99), 3),
                               "max": round(max(commit), 3), "mean": round(statistics.mean(commit), 3)},
            "from_send_ms": {"p50": round(percentile(sent, 50), 3), "p99": round(percentile(sent, 99), 3),
                             "max": round(max(sent), 3)}}


def lookup_bench(binary):
    if not binary:
        return {}
    out = subprocess.run([binary, "--benchmark_format=json", "--benchmark_filter=BM_Layer(Lookup|Resolve)",
                          "--benchmark_min_time=0.2"], capture_output=True, text=True, check=True).stdout
    result = {}
    for b in json.loads(out)["benchmarks"]:
        name, size = b["name"].split("/")[:2]
        result.setdefault(int(size), {})[name.replace("BM_Layer", "").lower() + "_ns"] = round(b["real_time"], 1)
        if "layer_bytes_per_record" in b:
            result[int(size)]["layer_bytes_per_record"] = round(b["layer_bytes_per_record"], 1)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvgred", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--lookup-bench")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--updates", type=int, default=1000)
    ap.add_argument("--latency-size", type=int, default=100000)
    ap.add_argument("--json")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (a network namespace for nvgred)")
        return 77
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.latency_size not in sizes:
        args.latency_size = sizes[0]
    work = tempfile.mkdtemp(prefix="nvgre-ovsdb-bench-")
    ns = f"ovb{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "sh", "-c",
                        "ip link set lo up && ip link add u0 type veth peer name u1 && ip link set u0 up && ip link set u1 up && "
                        "ip addr add 192.0.2.250/24 dev u0 && ip route add 198.18.0.0/15 dev u0"], check=True)
        base = one_size(args, work, ns, 0, False)
        results = {"baseline_rss_bytes": base["rss_bytes"], "sizes": []}
        for n in sizes:
            r = one_size(args, work, ns, n, n == args.latency_size)
            r["rss_bytes_per_record"] = round((r["rss_bytes"] - base["rss_bytes"]) / n, 1)
            r["sync_cpu_seconds"] = round(r["cpu_seconds"] - base["cpu_seconds"], 2)
            results["sizes"].append(r)
            print(json.dumps(r), flush=True)
        lb = lookup_bench(args.lookup_bench)
        for r in results["sizes"]:
            r.update(lb.get(r["rows"], {}))
        if 10 in lb:
            results["lookup_10_records"] = lb[10]
    finally:
        subprocess.run(["ip", "netns", "del", ns])
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
