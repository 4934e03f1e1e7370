#!/usr/bin/env python3
"""coring-kv's configurable limits, through redis-py and raw sockets: maxmemory (-OOM on writes,
reads and deletes still served), the client output limit (a client that never reads is closed),
and CONFIG GET of the command-line flags.
Usage: kv_limits_test.py PORT MAXMEMORY OUTPUT_LIMIT (bytes, as given to the server)."""
import socket
import sys
import time

import redis  # python3-redis: a failed import fails the test (no skip)

PORT, MAXMEMORY, OUTPUT_LIMIT = (int(a) for a in sys.argv[1:4])
r = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10)
OOM = "OOM command not allowed when used memory > 'maxmemory'."  # redis-py keeps the "OOM" code in the text


def info(section):
    return r.info(section)


def rss_bytes():
    """The server's resident memory (VmRSS), found through INFO's process_id."""
    with open(f"/proc/{info('server')['process_id']}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_config_get():
    got = r.config_get("*")
    assert got["maxmemory"] == str(MAXMEMORY), got
    assert got["maxmemory-policy"] == "noeviction"
    assert got["client-output-buffer-limit"].startswith(f"normal {OUTPUT_LIMIT} 0 0"), got
    assert got["maxclients"] == "100"
    assert got["proto-max-bulk-len"] == str(1 << 20)
    assert got["proto-max-multibulk-len"] == "1000"
    assert got["timeout"] == "0"
    assert r.config_get("max*") == {k: got[k] for k in ("maxmemory", "maxmemory-policy", "maxclients")}


def test_maxmemory():
    r.flushall()
    value = b"v" * 10_000
    n = 0
    try:
        while n < 10 * MAXMEMORY // len(value):
            r.set(f"mm:{n}", value)
            n += 1
        raise AssertionError("no OOM error after writing 10 x maxmemory")
    except redis.ResponseError as e:
        assert str(e) == OOM, str(e)
    assert MAXMEMORY // len(value) // 2 <= n <= 2 * MAXMEMORY // len(value) + 10, n
    used = info("memory")["used_memory"]
    assert used > MAXMEMORY, used
    # Every write is refused, reads and deletes are served, and deleting makes room again.
    for fn, args in ((r.set, ("mm:new", "x")), (r.incr, ("mm:c",)), (r.append, ("mm:0", "x")), (r.mset, ({"a": 1, "b": 2},)),
                     (r.getset, ("mm:0", "y")), (r.setrange, ("mm:0", 1, "z"))):
        try:
            fn(*args)
            raise AssertionError(f"{fn.__name__} was not refused")
        except redis.ResponseError as e:
            assert str(e) == OOM, str(e)
    assert r.get("mm:0") == value
    assert r.exists("mm:1") == 1
    assert r.delete(*[f"mm:{i}" for i in range(n // 2)]) == n // 2
    assert info("memory")["used_memory"] < used
    assert r.set("mm:new", "x") is True
    assert info("stats")["total_oom_rejections"] >= 6
    r.flushall()
    assert info("memory")["used_memory"] == 0
    assert r.set("mm:again", value) is True
    r.flushall()


def test_output_limit():
    """A client that pipelines GETs of a 100 kB value and never reads: closed once its unsent replies
    pass the limit, while another client is served."""
    r.set("big", b"x" * 100_000)
    before = info("stats")["client_output_buffer_limit_disconnections"]
    rss0 = rss_bytes()
    peak = rss0
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 100
    sent = 0
    closed = False
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            s.sendall(request)
            sent += 100
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        if sent % 10_000 == 0:
            assert r.ping() is True  # the others are served meanwhile
            peak = max(peak, rss_bytes())
    s.close()
    assert closed, f"still open after {sent} GETs ({sent * 100_000 // (1 << 20)} MiB of replies)"
    # The server held at most the limit and one reply more (plus the allocator's slack).
    assert peak - rss0 < OUTPUT_LIMIT + (16 << 20), (rss0, peak)
    assert info("stats")["client_output_buffer_limit_disconnections"] == before + 1
    assert r.get("big") == b"x" * 100_000


def main():
    tests = [test_config_get, test_maxmemory, test_output_limit]
    for t in tests:
        t()
        print(f"ok   {t.__name__}")
    print(f"{len(tests)}/{len(tests)} passed")


if __name__ == "__main__":
    main()
