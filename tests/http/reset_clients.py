#!/usr/bin/env python3
"""1,000 clients that reset (SO_LINGER 0) mid-download of a large static file leave coring-http's fds, memory and
open connections at their baseline, on each backend and send_file way.
    reset_clients.py BIN [CLIENTS=1000]"""
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

WAYS = [("uring", "sendfile"), ("uring", "splice"), ("uring", "read"), ("epoll", "sendfile"), ("epoll", "read")]
SLACK_KIB = 8 << 10  # RSS may keep this much above the baseline (allocator caches); a leak of 1,000 transfers is far more


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M).group(1))


def active(addr):
    text = urllib.request.urlopen(f"http://{addr}/metrics", timeout=10).read().decode()
    return sum(int(float(m)) for m in re.findall(r"^coring_http_connections_active\{[^}]*\} (\S+)", text, re.M))


def reset_round(addr, n):
    """n clients each ask for the file, read part of it, then close with a reset."""
    host, port = addr.rsplit(":", 1)
    socks = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        s.connect((host, int(port)))
        s.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        socks.append(s)
    for s in socks:  # every transfer is under way: the head and the first bytes have arrived
        s.settimeout(60)  # generous: a loaded CI machine serves 1,000 transfers slowly
        got = 0
        while got < 32 << 10:
            b = s.recv(65536)
            if not b:
                raise SystemExit("FAIL: the server closed a connection before the reset")
            got += len(b)
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()


def settle(pid, addr, want_fds, deadline_s=15):
    """Waits until the server is back at `want_fds` fds and one open connection (the metrics request itself)."""
    end = time.time() + deadline_s
    while True:
        f, a = fds(pid), active(addr)
        if (f <= want_fds and a == 1) or time.time() > end:
            return f, a
        time.sleep(0.1)


def main():
    binary = sys.argv[1]
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with tempfile.TemporaryDirectory() as root:
        with open(os.path.join(root, "big.bin"), "wb") as f:
            f.write(os.urandom(1 << 20) * 64)  # 64 MiB: no client reads it all
        only = os.environ.get("WAYS")  # e.g. "epoll:read" to run one
        for backend, mode in WAYS:
            if only and f"{backend}:{mode}" not in only.split():
                continue
            env = dict(os.environ, CORING_SEND_FILE=mode)
            log = tempfile.TemporaryFile()
            p = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", "0", "--backend", backend, "--shards", "1",
                                  "--root", root], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
            try:
                addr = None
                for line in p.stdout:
                    m = re.match(r"^[a-z-]*: listening on (\S+)", line)
                    if m:
                        addr = m.group(1)
                        break
                if not addr:
                    raise SystemExit("FAIL: the server did not start")
                reset_round(addr, 100)  # warm up: caches, pools and the allocator reach their working size
                base_fds, _ = settle(p.pid, addr, 1 << 30, 0)
                base_fds, a = settle(p.pid, addr, base_fds)
                base_rss = rss_kib(p.pid)
                reset_round(addr, clients)
                f, a = settle(p.pid, addr, base_fds)
                rss = rss_kib(p.pid)
                print(f"{backend} {mode}: {clients} resets mid-download: fds {base_fds} -> {f}, open connections {a}, "
                      f"RSS {base_rss} -> {rss} KiB")
                if f > base_fds or a != 1:
                    raise SystemExit(f"FAIL: {backend} {mode}: fds {f} (baseline {base_fds}), {a} connections open")
                if rss > base_rss + SLACK_KIB:
                    raise SystemExit(f"FAIL: {backend} {mode}: RSS {rss} KiB, baseline {base_rss} KiB")
                if p.poll() is not None:
                    raise SystemExit("FAIL: the server exited")
            finally:
                p.terminate()
                p.wait()
    print("ok")


if __name__ == "__main__":
    main()
