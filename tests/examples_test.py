#!/usr/bin/env python3
"""Runs the tutorial's programs (examples/tutorial) as a reader would, and checks what they answer."""
import os
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, port):
    p = subprocess.Popen([binary, str(port)], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            return p, socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if p.poll() is not None:
                raise SystemExit(f"{binary} exited early: {p.stderr.read()}")
            time.sleep(0.05)
    raise SystemExit(f"{binary} did not listen on {port}")


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        raise SystemExit("server did not stop after SIGTERM")
    if rc != 0:
        raise SystemExit(f"server exited with {rc}: {p.stderr.read()}")


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise SystemExit(f"connection closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def recv_lines(s, n):
    out = b""
    while out.count(b"\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit(f"connection closed; got {out!r}")
        out += chunk
    return out.decode().splitlines()


def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)


def echo_server(binary):
    port = free_port()
    p, c = start(binary, port)
    conns = [c] + [socket.create_connection(("127.0.0.1", port)) for _ in range(9)]
    for i, s in enumerate(conns):
        data = bytes((i * 7 + k) % 256 for k in range(100000))
        s.sendall(data)
        check(recv_exact(s, len(data)) == data, f"echo of 100000 bytes on connection {i}")
    for s in conns:
        s.close()
    idle = socket.create_connection(("127.0.0.1", port))  # an idle connection must not hold up the stop
    idle.sendall(b"x")
    check(recv_exact(idle, 1) == b"x", "echo on the idle connection")
    stop(p)
    check(idle.recv(10) == b"", "idle connection closed by the graceful stop")


def kv_server(binary):
    port = free_port()
    p, c = start(binary, port)
    keys = [f"key{i}" for i in range(20)]
    c.sendall(b"".join(f"SET {k} value-of-{k}\n".encode() for k in keys))  # pipelined: one send
    check(recv_lines(c, len(keys)) == ["OK"] * len(keys), "SET replies")
    owners = set()
    for k in keys:
        c.sendall(f"GET {k}\nSHARD {k}\n".encode())
        got, shard = recv_lines(c, 2)
        check(got == f"VALUE value-of-{k}", f"GET {k}: {got}")
        owners.add(shard)
    check(len(owners) == min(2, os.cpu_count() or 1), f"keys spread over the shards: {owners}")
    c.sendall(b"DEL key3\nGET key3\nDEL key3\nNOPE\n")
    check(recv_lines(c, 4) == ["DELETED", "NOT_FOUND", "NOT_FOUND", "ERR unknown command"], "DEL/unknown")
    c.sendall(b"DIGEST key1\nDIGEST missing\n")
    d, missing = recv_lines(c, 2)
    check(d.startswith("DIGEST ") and len(d) == 7 + 16, f"DIGEST reply: {d}")
    check(missing == "NOT_FOUND", "DIGEST of a missing key")
    c.sendall(b"GET key1\r\n")  # CRLF clients work too
    check(recv_lines(c, 1) == ["VALUE value-of-key1"], "CRLF line")
    other = socket.create_connection(("127.0.0.1", port))  # another connection sees the same data
    other.sendall(b"GET key19\n")
    check(recv_lines(other, 1) == ["VALUE value-of-key19"], "shared state across connections")
    long_line = socket.create_connection(("127.0.0.1", port))
    long_line.sendall(b"X" * 5000)
    check(recv_lines(long_line, 1) == ["ERR line too long"], "line limit")
    check(long_line.recv(10) == b"", "closed after a too-long line")
    idle = socket.create_connection(("127.0.0.1", port))  # an idle session must not hold up the stop
    stop(p)
    check(idle.recv(10) == b"", "idle session closed by the graceful stop")


def resp(*words):
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)


def recv_until_closed(s):
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    return out


def resp_server(binary):
    port = free_port()
    p, c = start(binary, port)
    c.sendall(resp(b"PING") + resp(b"SET", b"k", b"a\r\nb") + resp(b"GET", b"k") + resp(b"ECHO", b"")
              + resp(b"del", b"k", b"nope") + resp(b"GET", b"k") + resp(b"GET") + resp(b"FLY"))  # pipelined
    want = b"+PONG\r\n+OK\r\n$4\r\na\r\nb\r\n$0\r\n\r\n:1\r\n$-1\r\n" \
           b"-ERR wrong number of arguments for 'get' command\r\n-ERR unknown command\r\n"
    check(recv_exact(c, len(want)) == want, "pipelined replies")
    big = b"v" * 1_000_000  # larger than one receive buffer: read_exactly stitches it
    c.sendall(resp(b"SET", b"big", big) + resp(b"GET", b"big"))
    check(recv_exact(c, 5) == b"+OK\r\n", "SET big")
    check(recv_exact(c, len(big) + 12) == b"$1000000\r\n" + big + b"\r\n", "GET big")
    for bad in (b"*2\r\n$3\r\nGET\r\n$2000000\r\n", b"*99999\r\n", b"hello\r\n", b"*1\r\n$3\r\nGETxx"):
        b = socket.create_connection(("127.0.0.1", port), timeout=5)
        b.sendall(bad)
        check(recv_until_closed(b) == b"-ERR Protocol error\r\n", f"error and close on {bad!r}")
    try:  # redis-cli, when it is installed (redis-tools)
        out = subprocess.run(["redis-cli", "-p", str(port), "GET", "big"], capture_output=True, timeout=10)
        check(out.stdout == big + b"\n", "redis-cli GET")
    except FileNotFoundError:
        pass
    stop(p)


if __name__ == "__main__":
    which, binary = sys.argv[1], sys.argv[2]
    {"echo_server": echo_server, "parked_echo": echo_server, "kv_server": kv_server, "resp_server": resp_server}[which](binary)
    print(which, "ok")
