"""A TCP transfer whose bytes both ends hash (SHA-256), for checking an overlay end to end.

    transfer.py server PORT [--ready FILE]       accept one connection, read to EOF, print JSON
    transfer.py client HOST PORT BYTES [RATE]    send BYTES pseudo-random bytes (at most RATE
                                                 bytes per second on average), print JSON

Both print {"bytes": n, "sha256": hex, "seconds": t}. The data is os.urandom, so no pattern
can make a bug invisible; the sender hashes exactly what it sent.
"""

import hashlib
import json
import os
import socket
import sys
import time

CHUNK = 1 << 20


def server(port, ready=None):
    family = socket.AF_INET6
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(1)
    if ready:
        open(ready, "w").close()
    c, _ = s.accept()
    h = hashlib.sha256()
    n = 0
    start = time.time()
    while True:
        b = c.recv(CHUNK)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(json.dumps({"bytes": n, "sha256": h.hexdigest(), "seconds": time.time() - start}))


def client(host, port, total, rate=0):
    c = socket.create_connection((host, port), timeout=30)
    c.settimeout(120)
    h = hashlib.sha256()
    n = 0
    start = time.time()
    while n < total:
        b = os.urandom(min(CHUNK, total - n))
        c.sendall(b)
        h.update(b)
        n += len(b)
        if rate:
            ahead = start + n / rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # wait for the server to close: everything was read
    c.close()
    print(json.dumps({"bytes": n, "sha256": h.hexdigest(), "seconds": time.time() - start}))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        ready = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--ready" else None
        server(int(sys.argv[2]), ready)
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
               int(sys.argv[5]) if len(sys.argv) > 5 else 0)
