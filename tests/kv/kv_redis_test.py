#!/usr/bin/env python3
"""coring-kv against redis-py: round trips, SET options, INCR, cross-shard MGET/MSET, expiry,
pipelines, error texts, KEYS/SCAN/DBSIZE/FLUSHDB, protocol abuse and the client limit.
Usage: kv_redis_test.py PORT MAX_CLIENTS MAX_BULK (the server runs with two shards)."""
import socket
import sys
import time
import traceback

import redis  # python3-redis: a failed import fails the test (no skip)

PORT = int(sys.argv[1])
MAX_CLIENTS = int(sys.argv[2])
MAX_BULK = int(sys.argv[3])
r = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10)


def expect_error(text, fn, *args):
    try:
        fn(*args)
    except redis.ResponseError as e:
        text = text.removeprefix("ERR ")  # redis-py drops the "ERR " code
        assert str(e) == text, f"error {str(e)!r}, expected {text!r}"
        return
    raise AssertionError(f"no error, expected {text!r}")


def raw(payload, read_until_close=True, timeout=5.0):
    """Sends bytes on a fresh socket; gives what came back until the server closed (or the timeout)."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    s.sendall(payload)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
            if not read_until_close and data.endswith(b"\r\n"):
                break
    except socket.timeout:
        data += b"<timeout>"
    s.close()
    return data


def test_ping_echo_select_type():
    assert r.ping() is True
    assert raw(b"PING hi\r\nQUIT\r\n") == b"$2\r\nhi\r\n+OK\r\n"  # redis-py turns PING's reply into a bool
    assert r.echo("x y") == b"x y"
    assert r.execute_command("SELECT", 0) in (True, b"OK")
    expect_error("DB index is out of range", r.execute_command, "SELECT", 1)
    r.set("t:k", "v")
    assert r.type("t:k") == b"string"
    assert r.type("t:none") == b"none"


def test_round_trips():
    values = [b"", b"plain", b"\x00\xff\r\n binary \r\n", "unicode ✓".encode(), b"x" * 100_000,
              bytes(range(256)) * 8192]  # 2 MiB: bigger than what the reader buffers at once
    for i, v in enumerate(values):
        assert r.set(f"rt:{i}", v) is True
        assert r.get(f"rt:{i}") == v, f"value {i} ({len(v)} bytes) came back different"
        assert r.strlen(f"rt:{i}") == len(v)
    assert r.get("rt:missing") is None
    assert r.getset("rt:0", "new") == b""
    assert r.get("rt:0") == b"new"
    assert r.append("rt:app", "ab") == 2 and r.append("rt:app", "cd") == 4
    assert r.getrange("rt:app", 1, 2) == b"bc"
    assert r.getrange("rt:app", -3, -1) == b"bcd"
    assert r.getrange("rt:app", 5, 10) == b""
    assert r.setrange("rt:app", 6, "z") == 7
    assert r.get("rt:app") == b"abcd\x00\x00z"
    expect_error("ERR offset is out of range", r.setrange, "rt:app", -1, "z")


def test_set_options():
    r.delete("so:k")
    assert r.set("so:k", "1", nx=True) is True
    assert r.set("so:k", "2", nx=True) is None
    assert r.get("so:k") == b"1"
    assert r.set("so:k", "3", xx=True) is True
    assert r.set("so:absent", "3", xx=True) is None
    assert r.exists("so:absent") == 0
    assert r.set("so:k", "4", get=True) == b"3"
    assert r.set("so:new", "5", get=True) is None
    r.set("so:ttl", "v", ex=100)
    assert 99 <= r.ttl("so:ttl") <= 100
    r.set("so:ttl", "v", px=50_000)
    assert 49_000 <= r.pttl("so:ttl") <= 50_000
    r.set("so:ttl", "w", keepttl=True)
    assert r.pttl("so:ttl") > 0
    r.set("so:ttl", "w")
    assert r.ttl("so:ttl") == -1
    expect_error("ERR syntax error", r.execute_command, "SET", "so:k", "v", "NX", "XX")
    expect_error("ERR syntax error", r.execute_command, "SET", "so:k", "v", "BOGUS")
    expect_error("ERR invalid expire time in 'set' command", r.execute_command, "SET", "so:k", "v", "EX", "0")
    expect_error("ERR value is not an integer or out of range", r.execute_command, "SET", "so:k", "v", "EX", "x")


def test_incr_family():
    r.delete("n")
    assert r.incr("n") == 1
    assert r.incrby("n", 10) == 11
    assert r.decr("n") == 10
    assert r.decrby("n", 15) == -5
    r.set("n", "9223372036854775807")
    expect_error("ERR increment or decrement would overflow", r.incr, "n")
    r.set("n", "abc")
    expect_error("ERR value is not an integer or out of range", r.incr, "n")
    r.set("n", " 1")
    expect_error("ERR value is not an integer or out of range", r.incr, "n")
    expect_error("ERR value is not an integer or out of range", r.incrby, "m", "1.5")


def test_mget_mset_across_shards():
    pairs = {f"mk:{i}": f"v{i}" for i in range(200)}  # two hundred keys land on both shards
    assert r.mset(pairs) is True
    keys = list(pairs) + ["mk:absent"]
    got = r.mget(keys)
    assert got == [v.encode() for v in pairs.values()] + [None]
    assert r.exists(*keys) == 200
    assert r.exists("mk:1", "mk:1", "mk:absent") == 2
    assert r.delete(*keys[:100], "mk:absent") == 100
    assert r.mget(keys[:100]) == [None] * 100
    expect_error("ERR wrong number of arguments for 'mset' command", r.execute_command, "MSET", "a", "1", "b")


def test_expiry():
    r.set("ex:a", "v", px=150)
    assert 0 < r.pttl("ex:a") <= 150
    r.set("ex:b", "v")
    assert r.expire("ex:b", 100) is True
    assert 99 <= r.ttl("ex:b") <= 100
    assert r.persist("ex:b") is True
    assert r.persist("ex:b") is False
    assert r.ttl("ex:b") == -1
    assert r.pexpire("ex:b", 200) is True
    assert r.expire("ex:absent", 10) is False
    assert r.ttl("ex:absent") == -2 and r.pttl("ex:absent") == -2
    time.sleep(0.35)
    assert r.get("ex:a") is None  # lazy expiry on access
    assert r.exists("ex:b") == 0
    assert r.ttl("ex:a") == -2
    r.set("ex:c", "v")
    assert r.expire("ex:c", -1) is True  # a time in the past deletes
    assert r.exists("ex:c") == 0
    # Active expiry: keys nobody touches again are swept by the per-shard timer.
    r.flushdb()
    r.mset({f"ex:s{i}": "v" for i in range(300)})
    for i in range(300):
        r.pexpire(f"ex:s{i}", 100)
    deadline = time.time() + 5
    while r.dbsize() > 0 and time.time() < deadline:
        time.sleep(0.1)
    assert r.dbsize() == 0, f"{r.dbsize()} expired keys not swept"
    assert r.info("stats")["expired_keys"] >= 300


def test_pipeline():
    p = r.pipeline(transaction=False)
    for i in range(1000):
        if i % 3 == 0:
            p.set(f"pl:{i}", i)
        elif i % 3 == 1:
            p.incr("pl:counter")
        else:
            p.get(f"pl:{i - 2}")
    out = p.execute()
    assert len(out) == 1000
    for i, v in enumerate(out):
        if i % 3 == 0:
            assert v is True
        elif i % 3 == 1:
            assert v == i // 3 + 1
        else:
            assert v == str(i - 2).encode()


def test_pipeline_order_across_shards():
    """Keyed requests for another shard travel in batches; errors, local and multi-key requests
    between them must still be answered in the order they were sent."""
    p = r.pipeline(transaction=False)
    for i in range(400):
        p.set(f"po:{i}", f"v{i}")
        p.get(f"po:{i}")
        p.execute_command("GET")  # wrong number of arguments: answered where it stands
        p.incr(f"po:{i}")  # not an integer: the error comes from the key's shard
        p.execute_command("NOSUCHCOMMAND", i)
        p.mget(f"po:{i}", f"po:{i - 1}")
        p.append(f"po:{i}", "!")
        p.ping()
    out = p.execute(raise_on_error=False)
    assert len(out) == 400 * 8
    for i in range(400):
        o = out[i * 8:(i + 1) * 8]
        assert o[0] is True and o[1] == f"v{i}".encode(), (i, o)
        assert isinstance(o[2], redis.exceptions.ResponseError) and "wrong number of arguments" in str(o[2]), (i, o)
        assert isinstance(o[3], redis.exceptions.ResponseError) and "not an integer" in str(o[3]), (i, o)
        assert isinstance(o[4], redis.exceptions.ResponseError) and "unknown command" in str(o[4]), (i, o)
        assert o[5] == [f"v{i}".encode(), (f"v{i - 1}!".encode() if i else None)], (i, o)
        assert o[6] == len(f"v{i}!") and o[7] is True, (i, o)


def test_errors():
    expect_error("unknown command 'NOSUCH', with args beginning with: 'a' 'b' ", r.execute_command, "NOSUCH", "a", "b")
    expect_error("unknown command 'nosuch', with args beginning with: ", r.execute_command, "nosuch")
    expect_error("wrong number of arguments for 'get' command", r.execute_command, "GET")
    expect_error("wrong number of arguments for 'set' command", r.execute_command, "SET", "k")
    expect_error("wrong number of arguments for 'ttl' command", r.execute_command, "TTL", "a", "b")
    assert r.ping() is True  # errors leave the connection usable


def test_keys_scan_dbsize_flushdb():
    r.flushdb()
    assert r.dbsize() == 0
    names = {f"sc:{i}" for i in range(500)} | {f"other:{i}" for i in range(20)}
    r.mset({n: "v" for n in names})
    assert r.dbsize() == 520
    assert set(k.decode() for k in r.keys("*")) == names
    assert set(k.decode() for k in r.keys("other:*")) == {f"other:{i}" for i in range(20)}
    assert set(k.decode() for k in r.keys("other:1?")) == {f"other:{i}" for i in range(10, 20)}
    seen = [k.decode() for k in r.scan_iter(count=37)]
    assert len(seen) == len(set(seen)) == 520 and set(seen) == names
    assert set(k.decode() for k in r.scan_iter(match="other:*", count=50)) == {f"other:{i}" for i in range(20)}
    info = r.info("keyspace")
    assert info["db0"]["keys"] == 520, info
    assert r.flushdb() is True
    assert r.dbsize() == 0 and r.keys("*") == []
    r.set("fa", 1)
    assert r.flushall() is True and r.dbsize() == 0


def test_admin_commands():
    assert r.client_setname("tester") is True
    assert r.client_getname() == "tester" or r.client_getname() == b"tester"
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert set(r.config_get("*")) >= {"maxmemory", "save", "appendonly", "databases"}
    info = r.info()
    for field in ("redis_version", "connected_clients", "used_memory", "total_commands_processed"):
        assert field in info, field
    assert r.command_count() > 20
    assert r.execute_command("COMMAND", "DOCS") in ([], {})


def test_protocol_abuse():
    other = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10)
    other.set("abuse:alive", "yes")
    # A bulk length of 2 GB, an array of 10 million elements: an error, then the connection closes.
    assert raw(b"*1\r\n$2147483648\r\n") == b"-ERR Protocol error: invalid bulk length\r\n"
    assert raw(b"*10000000\r\n") == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert raw(b"*2\r\n$3\r\nGET\r\n$" + str(MAX_BULK + 1).encode() + b"\r\n") == \
        b"-ERR Protocol error: invalid bulk length\r\n"
    assert raw(b"*1\r\n+PING\r\n") == b"-ERR Protocol error: expected '$', got '+'\r\n"
    assert raw(b"*1\r\n$4\r\nPINGxx") == b"-ERR Protocol error: expected CRLF after bulk payload\r\n"
    assert raw(b"*abc\r\n") == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert raw(b"ECHO \"unbalanced\r\n") == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    assert raw(b"x" * 200_000).startswith(b"-ERR Protocol error: too big inline request")
    # A pipelined batch over one raw connection is answered whole, then QUIT closes it.
    assert raw(b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nQUIT\r\nPING\r\n") == b"+PONG\r\n$2\r\nhi\r\n+OK\r\n"
    # A client that announces a big value and stalls does not hold anyone else up.
    staller = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    staller.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + str(MAX_BULK).encode() + b"\r\npartial")
    for _ in range(3):
        assert other.get("abuse:alive") == b"yes"
    staller.close()
    assert other.ping() is True
    other.close()


def test_max_clients():
    socks, refused = [], 0
    try:
        for _ in range(MAX_CLIENTS + 5):
            s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
            s.sendall(b"PING\r\n")
            reply = s.recv(100)
            if reply == b"-ERR max number of clients reached\r\n":
                refused += 1
                assert s.recv(100) == b""  # then closed
                s.close()
            else:
                assert reply == b"+PONG\r\n", reply
                socks.append(s)
        assert refused >= 5, refused
        assert len(socks) <= MAX_CLIENTS
    finally:
        for s in socks:
            s.close()
    time.sleep(0.2)
    assert r.ping() is True  # room again


def test_quit():
    c = redis.Redis(host="127.0.0.1", port=PORT)
    assert c.execute_command("QUIT") in (True, b"OK")


def main():
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print(f"ok   {name}")
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    print(f"{len(tests) - failed}/{len(tests)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
