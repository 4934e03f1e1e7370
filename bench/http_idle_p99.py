#!/usr/bin/env python3
"""http_idle_p99.py: does a crowd of idle keep-alive connections slow the active ones? (issue 15, must-show 2)

Starts coring-http (--shards 1, pinned to core 0, a 10-minute idle timeout) on each backend.
For each: wrk -t1 -cACTIVE --latency for DURATION s with no idle connection (pinned to core 1),
then IDLE connections that each send one GET / and stay open and idle, then the same wrk run
again; prints both p99 latencies (and p50, requests/s) and checks every idle connection still
answers. Latency on a shared machine is noisy: repeat it, and read the ratio, not the values.

Usage: python3 bench/http_idle_p99.py [BIN=build/h-bench/apps/http/coring-http]
       (env: BACKENDS="uring epoll" IDLE=19000 ACTIVE=100 DURATION=5)
"""
import os
import re
import resource
import socket
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "h-bench", "apps", "http", "coring-http")
backends = os.environ.get("BACKENDS", "uring epoll").split()
idle_n = int(os.environ.get("IDLE", "19000"))
active = int(os.environ.get("ACTIVE", "100"))
duration = int(os.environ.get("DURATION", "5"))
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(port):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{active}", f"-d{duration}s", "--latency",
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True).stdout
    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return lat("50"), lat("99"), rps


def connect(port, i):
    """Connection number i, from one of 8 loopback source addresses: 19,000 connections from
    127.0.0.1 alone (with other runs' TIME_WAIT sockets) crowd its ephemeral ports until a
    connect() takes seconds, and a batch's first connections then pass the server's 10 s
    header timeout before their request is sent."""
    return socket.create_connection(("127.0.0.1", port), source_address=(f"127.0.0.{2 + i % 8}", 0))


def request_all(socks):
    for s in socks:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    for s in socks:
        got = b""
        while b"Hello, World!" not in got:
            chunk = s.recv(4096)
            if not chunk:
                return False
            got += chunk
    return True


ok = True
for backend in backends:
    port = free_port()
    p = subprocess.Popen(["taskset", "-c", "0", binary, "--host", "127.0.0.1", "--port", str(port), "--shards", "1",
                          "--backend", backend, "--idle-timeout-ms", "600000", "--max-connections", str(idle_n + active + 100),
                          "--max-requests-per-connection", "0"], stderr=subprocess.PIPE, text=True)
    for line in p.stderr:
        if f"{backend} backend" in line:
            break
    try:
        base = wrk(port)
        idle = []
        for i in range(0, idle_n, 500):
            more = [connect(port, i + k) for k in range(min(500, idle_n - i))]
            ok &= request_all(more)
            idle += more
        time.sleep(2)
        loaded = wrk(port)
        answered = request_all(idle)
        ok &= answered
        print(f"{backend:6} {active} active: p50 {base[0]:.3f} ms, p99 {base[1]:.3f} ms, {base[2]:.0f} req/s alone; "
              f"with {idle_n} idle: p50 {loaded[0]:.3f} ms, p99 {loaded[1]:.3f} ms, {loaded[2]:.0f} req/s "
              f"(p99 x{loaded[1] / base[1]:.2f}); idle ones all answered again: {answered}", flush=True)
        for s in idle:
            s.close()
    finally:
        p.terminate()
        p.wait()
sys.exit(0 if ok else 1)
