#!/usr/bin/env python3
"""http_idle_memory.py: server memory per idle keep-alive HTTP connection, coring-http (uring, epoll) and nginx, one run.

For each server in turn (one shard / one worker process, pinned to core 0, a 10-minute idle
timeout): open 100 warm-up connections, read VmRSS, open N more; each sends one GET / and
reads its answer, then stays open and idle. After HOLD seconds read VmRSS again: the growth
over the N connections, per connection, is the figure. Then every idle connection (warm-up
ones too) sends a second GET / and must get its answer. Where /proc/slabinfo is readable it
also prints the kernel slab caches that grew over the N connections (both ends: the client's
sockets are on this machine too). nginx runs from
bench/peers/nginx.conf with worker_connections raised to fit and keepalive_timeout 600s.

Usage: python3 bench/http_idle_memory.py [BIN=build/h-bench/apps/http/coring-http] [N=5000]
       (env: SERVERS="nginx uring epoll" HOLD=1.0 WAVE=0; WAVE=k opens and requests k connections
       at a time instead of all N at once)
"""
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "h-bench", "apps", "http", "coring-http")
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
servers = os.environ.get("SERVERS", "nginx uring epoll").split()
hold = float(os.environ.get("HOLD", "1.0"))
wave = int(os.environ.get("WAVE", "0"))  # 0: all N connections, then all N requests at once (a burst)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(server, scratch):
    """Starts `server`; returns (process, pid to measure, port)."""
    port = free_port()
    if server == "nginx":
        prefix = os.path.join(scratch, "nginx")
        os.makedirs(prefix, exist_ok=True)
        with open(os.path.join(here, "peers", "nginx.conf")) as f:
            conf = f.read().replace("@PREFIX@", prefix).replace("@PORT@", str(port))
        conf = conf.replace("worker_connections 4096;", f"worker_connections {n + 1000};")
        conf = conf.replace("keepalive_timeout 60s;", "keepalive_timeout 600s;")
        conf = conf.replace(" reuseport;", " reuseport backlog=65535;")
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(conf)
        p = subprocess.Popen(["taskset", "-c", "0", "nginx", "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"),
                              "-e", os.path.join(prefix, "error.log")], stderr=subprocess.DEVNULL)
    else:
        p = subprocess.Popen(["taskset", "-c", "0", binary, "--host", "127.0.0.1", "--port", str(port), "--shards", "1",
                              "--backend", server, "--idle-timeout-ms", "600000", "--max-connections", str(n + 1000)],
                             stderr=subprocess.PIPE, text=True)
        for line in p.stderr:
            if f"{server} backend" in line:
                break
        else:
            sys.exit(f"coring-http did not start on {server}")
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return p, p.pid, port
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{server} did not start")


def slabs():
    """Bytes in use per kernel slab cache (active objects x object size); {} if /proc/slabinfo is unreadable."""
    try:
        with open("/proc/slabinfo") as f:
            rows = [line.split() for line in f.readlines()[2:]]
    except OSError:
        return {}
    return {r[0]: int(r[1]) * int(r[3]) for r in rows}


def slab_growth(before, after, k):
    """The caches that grew by at least 16 B per connection: 'name bytes-per-connection, ...'."""
    grown = sorted(((after.get(c, 0) - before.get(c, 0)) / k, c) for c in after)
    return ", ".join(f"{c} {b:.0f}" for b, c in reversed(grown) if b >= 16)


def tcp_buffer_pages():
    """Pages in TCP socket buffers, machine-wide (/proc/net/sockstat, "TCP: ... mem N")."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                w = line.split()
                return int(w[w.index("mem") + 1])
    return 0


def total_growth(before, after, k):
    """Bytes per connection over the caches that grew by at least 16 B per connection."""
    return sum(g for g in ((after.get(c, 0) - before.get(c, 0)) / k for c in after) if g >= 16)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


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


def measure(server, scratch):
    p, pid, port = start(server, scratch)
    try:
        warm = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
        if not request_all(warm):
            sys.exit(f"{server}: a warm-up connection closed before its answer")
        time.sleep(hold)
        before = rss_kb(pid)
        slab_before = slabs()
        pages_before = tcp_buffer_pages()
        held = []
        for i in range(0, n, wave or n):
            more = [socket.create_connection(("127.0.0.1", port)) for _ in range(min(wave or n, n - i))]
            if not request_all(more):
                sys.exit(f"{server}: a connection closed before its answer")
            held += more
        time.sleep(hold)
        after = rss_kb(pid)
        slab_after = slabs()
        pages_after = tcp_buffer_pages()
        answered = request_all(warm + held)
        print(f"{server:6} {'burst' if not wave else f'waves of {wave}'}: {n} idle keep-alive connections: VmRSS {before} -> {after} kB, "
              f"{(after - before) * 1024 / n:.0f} B per connection; all answered again: {answered}", flush=True)
        if slab_after:
            print(f"       kernel slabs, both ends of each connection, B per connection: "
                  f"{slab_growth(slab_before, slab_after, n)}; total {total_growth(slab_before, slab_after, n):.0f}",
                  flush=True)
        print(f"       TCP socket buffers (sockstat mem, machine-wide): {pages_before} -> {pages_after} pages, "
              f"{(pages_after - pages_before) * 4096 / n:.0f} B per connection", flush=True)
        for s in warm + held:
            s.close()
        return answered
    finally:
        p.terminate()
        p.wait()


scratch = tempfile.mkdtemp(prefix="coring-http-idle.")
try:
    ok = all([measure(s, scratch) for s in servers])
finally:
    shutil.rmtree(scratch, ignore_errors=True)
sys.exit(0 if ok else 1)
