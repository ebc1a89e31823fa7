"""A tiny lab of Linux network namespaces for nvgred's integration tests.

Every namespace, process and file a Lab makes is registered and removed by Lab.close(), which
runs on normal exit, on an exception, on SIGINT/SIGTERM and when the run-time bound (SIGALRM)
expires, so a failing or interrupted test leaves nothing behind. Names carry a per-run prefix
so that two runs (or a run and the demo) never collide, and the tests only ever talk to
addresses inside the namespaces they created.

    with Lab("t", time_limit=600) as lab:
        h1 = lab.netns("h1")
        lab.veth("u1", h1, "u2", h2)
        h1.run("ip addr add 192.0.2.1/24 dev u1")
        p = h1.spawn(["nvgred", "--config", path], log="h1.log")
"""

import atexit
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time


class CommandFailed(Exception):
    pass


class Netns:
    def __init__(self, lab, name):
        self.lab = lab
        self.name = name

    def argv(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def run(self, command, check=True, timeout=60, input=None):
        """Runs `command` (a string for the shell, or an argv list) in this namespace; returns
        its stdout. Raises CommandFailed with stderr when it fails and `check` is set."""
        argv = ["sh", "-c", command] if isinstance(command, str) else command
        r = subprocess.run(self.argv(argv), capture_output=True, text=True, timeout=timeout,
                           input=input)
        if check and r.returncode != 0:
            raise CommandFailed(f"[{self.name}] {command!r} exited {r.returncode}:\n"
                                f"{r.stdout}{r.stderr}")
        return r.stdout

    def ok(self, command, timeout=60):
        argv = ["sh", "-c", command] if isinstance(command, str) else command
        return subprocess.run(self.argv(argv), capture_output=True, timeout=timeout).returncode == 0

    def spawn(self, argv, log=None, **kwargs):
        """Starts a background process in this namespace (its own process group); stdout and
        stderr go to `log` (a path) when given. The lab kills it at close()."""
        out = open(log, "ab") if log else subprocess.DEVNULL
        p = subprocess.Popen(self.argv(argv), stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True, **kwargs)
        self.lab._processes.append(p)
        return p


class Lab:
    def __init__(self, tag, time_limit=600, keep_dir=None):
        self.prefix = f"{tag}{os.getpid() % 100000}"
        self.time_limit = time_limit
        self.dir = keep_dir or tempfile.mkdtemp(prefix=f"nvgre-{self.prefix}-")
        self._netns = []
        self._processes = []
        self._closed = False

    def __enter__(self):
        atexit.register(self.close)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
            signal.signal(sig, self._on_signal)
        signal.alarm(self.time_limit)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _on_signal(self, signum, frame):
        what = "time limit reached" if signum == signal.SIGALRM else f"signal {signum}"
        print(f"netlab: {what}: cleaning up", file=sys.stderr, flush=True)
        self.close()
        os._exit(124 if signum == signal.SIGALRM else 130)

    def name(self, short):
        return f"{self.prefix}{short}"

    def netns(self, short):
        name = self.name(short)
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        subprocess.run(["ip", "netns", "add", name], check=True)
        ns = Netns(self, name)
        self._netns.append(ns)
        ns.run("ip link set lo up")
        return ns

    def veth(self, a_name, a_ns, b_name, b_ns, mtu=1500):
        """A veth pair: a_name in a_ns, b_name in b_ns, both up."""
        tmp_a, tmp_b = self.name("va"), self.name("vb")
        subprocess.run(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b],
                       check=True)
        for tmp, name, ns in ((tmp_a, a_name, a_ns), (tmp_b, b_name, b_ns)):
            subprocess.run(["ip", "link", "set", tmp, "netns", ns.name], check=True)
            ns.run(f"ip link set {tmp} name {name} mtu {mtu} up")

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def close(self):
        if self._closed:
            return
        self._closed = True
        signal.alarm(0)
        for p in reversed(self._processes):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 5
        for p in self._processes:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        for ns in reversed(self._netns):
            # Anything still running inside (e.g. a daemon the test started by hand) goes first.
            pids = subprocess.run(["ip", "netns", "pids", ns.name], capture_output=True,
                                  text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)


def run_test(tag, body, time_limit=900, logs=("nvgred-h1.log", "nvgred-h2.log")):
    """The main() of an integration test: skipped (77) when not root; `body(lab)` in a Lab that is
    always cleaned up; on a failure, the tail of each log file of the lab printed, then the error
    raised. Returns the exit code."""
    if os.geteuid() != 0:
        print("needs root (network namespaces): skipped")
        return 77
    with Lab(tag, time_limit=time_limit) as lab:
        try:
            body(lab)
        except Exception:
            for name in logs:
                p = lab.path(name)
                if os.path.exists(p):
                    print(f"--- {name} ---\n" + open(p).read()[-6000:], file=sys.stderr)
            raise
    return 0


def wait_for(predicate, timeout, what, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def sh_quote(argv):
    return " ".join(shlex.quote(a) for a in argv)
