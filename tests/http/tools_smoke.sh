#!/usr/bin/env bash
# wrk and ab against coring-http on both backends: every request answered 2xx, no socket errors; fails without the tools.
set -euo pipefail
# shellcheck source=tests/lib/server.sh
source "$(dirname "$0")/../lib/server.sh"
bin=$1
for tool in wrk ab; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/deps.sh installs it: wrk, apache2-utils)"; exit 1; }
done
log=$(mktemp)
out=$(mktemp)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -f "$log" "$out"' EXIT
for backend in uring epoll; do
  start_server "$log" "$bin" --host 127.0.0.1 --port 0 --backend "$backend" --shards 2 || exit 1
  # wrk: HTTP/1.1 keep-alive, 20 connections for one second, on / and /json.
  for path in / /json; do
    wrk -t1 -c20 -d1s "http://$addr$path" >"$out"
    grep -q 'Non-2xx' "$out" && { cat "$out"; echo "wrk $path on $backend: non-2xx answers"; exit 1; }
    grep -q 'Socket errors' "$out" && { cat "$out"; echo "wrk $path on $backend: socket errors"; exit 1; }
    n=$(awk '/requests in/ {print $1}' "$out")
    [ "${n:-0}" -gt 0 ] || { cat "$out"; exit 1; }
    echo "wrk $path on $backend: $n requests, all 2xx"
  done
  # ab: HTTP/1.0, with keep-alive (-k) and without (a connection per request).
  for ka in -k ""; do
    # shellcheck disable=SC2086
    ab -q $ka -n 2000 -c 10 "http://$addr/" >"$out" 2>&1 || { cat "$out"; exit 1; }
    grep -q '^Complete requests: *2000$' "$out" || { cat "$out"; exit 1; }
    grep -q '^Failed requests: *0$' "$out" || { cat "$out"; exit 1; }
    if grep -q '^Non-2xx responses' "$out"; then cat "$out"; exit 1; fi
    if [ -n "$ka" ]; then grep -q '^Keep-Alive requests: *2000$' "$out" || { cat "$out"; exit 1; }; fi
    echo "ab ${ka:-(no keep-alive)} on $backend: 2000 requests, 0 failed"
  done
  stop_server
done
