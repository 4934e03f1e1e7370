#!/usr/bin/env bash
# End-to-end: coring-kv (two shards) on each backend, driven by redis-py (kv_redis_test.py), then a redis-cli smoke test.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
# Debian's python3-redis lives in /usr/lib/python3/dist-packages: prefer the system interpreter.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -c 'import redis' || { echo "FAIL: 'import redis' failed: python3-redis missing (scripts/deps.sh installs it)"; exit 1; }
command -v redis-cli >/dev/null || { echo "FAIL: redis-cli missing (redis-tools; scripts/deps.sh installs it)"; exit 1; }
# shellcheck source=tests/lib/server.sh
source "$here/../lib/server.sh"
log=$(mktemp)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
start_kv() { start_server "$log" "$bin" --bind 127.0.0.1 --port 0 "$@"; }

for backend in uring epoll; do
  start_kv --backend "$backend" --shards 2 --max-clients 64 --max-bulk 8388608 || exit 1
  "$py" "$here/kv_redis_test.py" "$port" 64 8388608
  # redis-cli, as a reader of docs/kv.md would try it.
  [ "$(redis-cli -p "$port" PING)" = PONG ]
  [ "$(redis-cli -p "$port" SET cli:greeting "hello world")" = OK ]
  [ "$(redis-cli -p "$port" GET cli:greeting)" = "hello world" ]
  [ "$(redis-cli -p "$port" INCRBY cli:n 5)" = 5 ]
  printf 'SET cli:a 1\nINCR cli:a\nGET cli:a\n' | redis-cli -p "$port" | tr '\n' ' ' | grep -qx 'OK 2 2 '
  stop_server  # SIGTERM: a graceful stop, exit status 0
  grep -q '^coring-kv: stopped' "$log"
  echo "coring-kv on $backend: ok"
  # The configurable limits: maxmemory, the client output limit, CONFIG GET.
  start_kv --backend "$backend" --shards 2 --maxmemory 2mb --client-output-limit 1mb --max-clients 100 \
    --max-bulk 1mb --max-array 1000 || exit 1
  "$py" "$here/kv_limits_test.py" "$port" $((2 << 20)) $((1 << 20))
  stop_server
  echo "coring-kv limits on $backend: ok"
done

# --idle-timeout: a silent client is closed after it, one that keeps talking is not.
start_kv --shards 1 --idle-timeout 1 || exit 1
"$py" - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
idle = socket.create_connection(("127.0.0.1", port), timeout=5)
stalled = socket.create_connection(("127.0.0.1", port), timeout=5)
stalled.sendall(b"\r\n*0\r\n*2\r\n$3\r\nGET\r\n$1")  # empty requests, then one that stops halfway
busy = socket.create_connection(("127.0.0.1", port), timeout=5)
start = time.time()
while time.time() - start < 2.0:
    busy.sendall(b"PING\r\n")
    assert busy.recv(100) == b"+PONG\r\n"
    time.sleep(0.3)
assert idle.recv(100) == b"", "the idle client is still open"
assert stalled.recv(100) == b"", "the client stalled mid-request is still open"
assert 0.9 < time.time() - start < 4.0
print("idle timeout: ok")
PY
stop_server

