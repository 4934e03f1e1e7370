#!/usr/bin/env python3
"""http_idle_memory.py: server memory per idle keep-alive HTTP connection (coring-http, one shard).

Starts coring-http (--shards 1, pinned to core 0, a 10-minute idle timeout), opens 100
warm-up connections, then N more; each sends one GET / and reads its answer, then stays
open and idle. Prints the growth of the server's VmRSS over the N connections, per connection.

Usage: python3 bench/http_idle_memory.py [BIN=build/h-bench/apps/http/coring-http] [N=5000]
"""
import os
import resource
import socket
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "h-bench", "apps", "http", "coring-http")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

server = subprocess.Popen(["taskset", "-c", "0", binary, "--port", "0", "--shards", "1", "--idle-timeout-ms", "600000"],
                          stderr=subprocess.PIPE, text=True)
port = None
for line in server.stderr:
    if "listening on" in line:
        port = int(line.strip().rsplit(":", 1)[1])
        break
if port is None:
    sys.exit("coring-http did not start")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


def open_idle(k):
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(k)]
    for s in socks:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    for s in socks:
        got = b""
        while b"Hello, World!" not in got:
            chunk = s.recv(4096)
            if not chunk:
                sys.exit("a connection closed before its answer")
            got += chunk
    return socks


try:
    warm = open_idle(100)
    time.sleep(0.3)
    before = rss_kb(server.pid)
    held = open_idle(n)
    time.sleep(0.5)
    after = rss_kb(server.pid)
    print(f"coring-http, {n} idle keep-alive connections: VmRSS {before} -> {after} kB, "
          f"{(after - before) * 1024 / n:.0f} B per connection")
finally:
    server.terminate()
    server.wait()
