#!/usr/bin/env python3
"""Bad input against a running coring-kv while a well-behaved client works beside it: a 2 GB bulk
length, a 10-million-element array header, lengths announced and never sent, random bytes, and a
client that pipelines 1 million commands without reading. Each offender must get an error or be
closed, the server's RSS (VmRSS) must stay within a bound, and every request of the well-behaved
client must be answered, correctly. The well-behaved client runs in its own process (no shared GIL
with the attacks); its p99 in a quiet phase before the attacks and during each attack is printed,
not asserted (the machine may be shared): bench/kv_abuse_p99.sh repeats this and takes medians.
Usage: kv_abuse_test.py PORT PID OUTPUT_LIMIT (the server's --client-output-limit, bytes)."""
import multiprocessing
import os
import random
import socket
import sys
import threading
import time

PORT, PID, OUTPUT_LIMIT = (int(a) for a in sys.argv[1:4])
RSS_GROWTH_BOUND = 64 << 20  # bytes above the RSS at the start: no attack may cost more


def rss():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("server gone")


def connect(timeout=10.0):
    return socket.create_connection(("127.0.0.1", PORT), timeout=timeout)


def cmd(*words):
    out = b"*%d\r\n" % len(words)
    for w in words:
        w = w if isinstance(w, bytes) else str(w).encode()
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    return out


def read_until_close(s, limit=1 << 20):
    """What the server sends until it closes (or resets): its last words, bounded."""
    data = b""
    try:
        while len(data) < limit:
            d = s.recv(65536)
            if not d:
                return data, True
            data += d
    except ConnectionResetError:
        return data, True
    except socket.timeout:
        return data, False
    return data, False


class Sampler(threading.Thread):
    """Samples the server's RSS every 20 ms; `peak` is the largest seen."""
    def __init__(self):
        super().__init__(daemon=True)
        self.peak = rss()
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.02)


def good_client(stop, out):
    """SET then GET of its own key, one request at a time, every answer checked. Sends back
    (start time, latency) pairs and the first failure, if any."""
    samples, failure = [], None
    try:
        s = connect()
        f = s.makefile("rb")
        i = 0
        while not stop.is_set():
            for req, want in ((cmd("SET", "good", i), b"+OK\r\n"), (cmd("GET", "good"), b"$%d\r\n%d\r\n" % (len(str(i)), i))):
                t = time.perf_counter()
                s.sendall(req)
                got = f.readline()
                if got.startswith(b"$"):
                    got += f.readline()
                samples.append((t, time.perf_counter() - t))
                assert got == want, f"request {len(samples)}: {got!r}, expected {want!r}"
            i += 1
            time.sleep(0.001)
        s.close()
    except Exception as e:  # reported by main
        failure = repr(e)
    out.send((samples, failure))
    out.close()


def expect_error_and_close(payload, error):
    s = connect()
    s.sendall(payload)
    data, closed = read_until_close(s)
    s.close()
    assert data == error, f"{payload[:40]!r}: {data[:200]!r}"
    assert closed, f"{payload[:40]!r}: not closed"


def attack_2gb_bulk():
    expect_error_and_close(b"*2\r\n$3\r\nSET\r\n$2147483648\r\n", b"-ERR Protocol error: invalid bulk length\r\n")


def attack_10m_array():
    expect_error_and_close(b"*10000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n")
    expect_error_and_close(b"*10000000\r\n$3\r\nGET\r\n", b"-ERR Protocol error: invalid multibulk length\r\n")


def attack_announced_not_sent():
    """Lengths at the limits, announced by 50 clients at once, with few bytes behind them: memory
    follows the bytes that arrive, not the lengths."""
    socks = []
    for i in range(50):
        s = connect()
        if i % 2:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$60000000\r\n" + b"x" * 1000)  # a 60 MB value, 1 kB of it
        else:
            s.sendall(b"*1000000\r\n$3\r\nGET\r\n")  # a million elements, one of them
        socks.append(s)
    time.sleep(0.5)
    for s in socks:
        s.close()


def attack_random_bytes():
    rng = random.Random(16)
    for n in range(200):
        s = connect(timeout=10.0)
        blob = bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 10, 100, 4096, 65536))))
        if n % 3 == 0:
            blob = rng.choice((b"*", b"$", b"*2\r\n", b"*2\r\n$")) + blob  # look like RESP at first
        try:
            s.sendall(blob)
            s.shutdown(socket.SHUT_WR)  # then the end: the server must answer what it could and close
            _, closed = read_until_close(s, limit=1 << 24)
            assert closed, f"random bytes {n}: not closed 10 s after the end of input"
        except (ConnectionResetError, BrokenPipeError):
            pass
        s.close()


def attack_pipeline_without_reading():
    """1 million GETs of a 100-byte value, never reading a reply: 107 MB of replies, far above the
    output limit, so the server must close the client rather than queue them."""
    setter = connect()
    setter.sendall(cmd("SET", "hundred", "h" * 100))
    assert setter.recv(100) == b"+OK\r\n"
    setter.close()
    s = connect(timeout=30.0)
    batch = cmd("GET", "hundred") * 10_000
    sent = 0
    closed = False
    try:
        while sent < 1_000_000:
            s.sendall(batch)
            sent += 10_000
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    if not closed:  # all of it went into the socket buffers: the server must close it now
        s.shutdown(socket.SHUT_WR)
        _, closed = read_until_close_no_read_before(s)
    s.close()
    assert closed, f"a client that sent {sent} GETs without reading is still open"
    return f": closed after about {sent} GETs"


def read_until_close_no_read_before(s):
    """After the whole pipeline went out without a close: wait for the close, reading only now."""
    deadline = time.time() + 30
    total = 0
    while time.time() < deadline:
        try:
            d = s.recv(1 << 20)
        except ConnectionResetError:
            return total, True
        except socket.timeout:
            break
        if not d:
            return total, True
        total += len(d)
        if total > OUTPUT_LIMIT + (64 << 20):
            break  # it queued far more than the limit
    return total, False


def p(latencies, q):
    xs = sorted(latencies)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


QUIET_SECONDS = 2.0


def main():
    base = rss()
    sampler = Sampler()
    sampler.start()
    stop = multiprocessing.Event()
    receive, send = multiprocessing.Pipe(duplex=False)
    good = multiprocessing.Process(target=good_client, args=(stop, send), daemon=True)
    good.start()
    time.sleep(0.3)  # connected and warm
    phases = [("quiet", time.perf_counter(), None)]
    time.sleep(QUIET_SECONDS)
    phases[0] = ("quiet", phases[0][1], time.perf_counter())
    attacks = [attack_2gb_bulk, attack_10m_array, attack_announced_not_sent, attack_random_bytes,
               attack_pipeline_without_reading]
    for a in attacks:
        t = time.perf_counter()
        note = a()
        phases.append((a.__name__, t, time.perf_counter()))
        print(f"ok   {a.__name__}{note or ''} ({time.perf_counter() - t:.1f} s, server RSS now {rss() >> 20} MiB, peak {sampler.peak >> 20} MiB)")
        if not good.is_alive():
            raise AssertionError(f"the well-behaved client failed: {receive.recv()[1]}")
    time.sleep(0.3)
    stop.set()
    samples, failure = receive.recv()
    good.join(30)
    sampler.stop.set()
    sampler.join()
    assert failure is None, f"the well-behaved client failed: {failure}"
    assert len(samples) > 100, len(samples)
    print(f"well-behaved client: {len(samples)} requests, all answered")
    for name, t0, t1 in phases:
        lat = [d for t, d in samples if t0 <= t < t1]
        print(f"p99 {name}: {p(lat, 0.99) * 1e3:.3f} ms over {len(lat)} requests (p50 {p(lat, 0.5) * 1e3:.3f} ms)")
    under = [d for t, d in samples if phases[1][1] <= t < phases[-1][2]]
    print(f"p99 all attacks: {p(under, 0.99) * 1e3:.3f} ms over {len(under)} requests")
    growth = sampler.peak - base
    print(f"server RSS: {base >> 20} MiB at the start, peak {sampler.peak >> 20} MiB (+{growth >> 20} MiB; bound +{RSS_GROWTH_BOUND >> 20} MiB)")
    assert growth < RSS_GROWTH_BOUND, growth
    assert os.path.exists(f"/proc/{PID}"), "the server died"


if __name__ == "__main__":
    main()
