#!/usr/bin/env python3
"""slowloris.py: hold N connections with request heads that never complete (one header line trickled every few seconds) and report when the server closes them."""
import argparse
import collections
import json
import resource
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--sources", default="127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between two header lines on one connection")
    ap.add_argument("--limit", type=float, default=120.0, help="give up waiting for the server after this many seconds")
    ap.add_argument("--ready-file", help="written once every connection is open")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sources = a.sources.split(",")
    sel = selectors.DefaultSelector()
    conns = {}
    t0 = time.monotonic()
    connect_errors = 0
    for i in range(a.connections):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((sources[i % len(sources)], 0))
        try:
            s.connect(("127.0.0.1", a.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: slow\r\n")
        except OSError:
            connect_errors += 1
            s.close()
            continue
        s.setblocking(False)
        conns[s] = time.monotonic()  # when it opened
        sel.register(s, selectors.EVENT_READ)
    opened = len(conns)
    t_open = time.monotonic()
    # Trickle schedule: a queue in due order (the same interval for all), spread over the first interval
    # so the server sees a steady drip; only the due ones are touched each turn (cheap for the client CPU).
    due = collections.deque((t_open + a.interval * k / max(opened, 1), s) for k, s in enumerate(list(conns)))
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write(f"{opened}\n")
    print(f"slowloris: {opened} connections open in {t_open - t0:.1f}s ({connect_errors} failed)", file=sys.stderr, flush=True)

    closed_after = []  # seconds from its own open until the server closed it
    got_408 = 0
    lines_sent = 0
    deadline = t_open + a.limit
    while conns and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.005):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:  # reset: closed
                data = b""
            if data.startswith(b"HTTP/1.1 408"):
                got_408 += 1
            if data:
                continue  # the answer; EOF follows (the server half-closes after it)
            closed_after.append(time.monotonic() - conns[s])
            sel.unregister(s)
            s.close()
            del conns[s]
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, s = due.popleft()
            if s not in conns:
                continue  # closed meanwhile
            try:
                s.send(b"X-Slow: %d\r\n" % lines_sent)
                lines_sent += 1
            except OSError:
                pass
            due.append((now + a.interval, s))
    closed_after.sort()
    out = {
        "connections": opened,
        "connect_errors": connect_errors,
        "closed_by_server": len(closed_after),
        "still_open": len(conns),
        "answered_408": got_408,
        "header_lines_sent": lines_sent,
        "closed_after_s_min": round(closed_after[0], 2) if closed_after else None,
        "closed_after_s_max": round(closed_after[-1], 2) if closed_after else None,
    }
    print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0 if not conns and not connect_errors else 1


if __name__ == "__main__":
    sys.exit(main())
