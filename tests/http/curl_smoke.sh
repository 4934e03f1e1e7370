#!/usr/bin/env bash
# Smoke test: start coring-http (two shards) on an ephemeral port, fetch every route with curl, stop it with SIGTERM (both backends).
set -euo pipefail
# shellcheck source=tests/lib/server.sh
source "$(dirname "$0")/../lib/server.sh"
bin=$1
command -v curl >/dev/null || { echo "FAIL: curl missing (scripts/deps.sh installs it)"; exit 1; }
root=$(mktemp -d)
log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$root" "$log"' EXIT
echo "static body" > "$root/f.txt"
for backend in uring epoll; do
  start_server "$log" "$bin" --host 127.0.0.1 --port 0 --backend "$backend" --shards 2 --root "$root" || exit 1
  base="http://$addr"
  [ "$(curl -sf "$base/")" = "Hello, World!" ]
  [ "$(curl -sf "$base/json")" = '{"message":"Hello, World!"}' ]
  [ "$(curl -sf "$base/healthz")" = "ok" ]
  [ "$(curl -sf "$base/static/f.txt")" = "static body" ]
  [ "$(curl -sf -r 0-5 "$base/static/f.txt")" = "static" ]
  [ "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$base/static/../../etc/passwd")" = 404 ]
  # Two requests over one keep-alive connection, then the counters show them.
  curl -sf "$base/" "$base/json" >/dev/null
  metrics=$(curl -sf "$base/metrics")
  grep -q '^coring_http_requests_total{shard="[01]",code="200"}' <<<"$metrics"
  grep -q '^coring_runtime_loop_turns_total{shard="1"}' <<<"$metrics"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/")" = 405 ]
  stop_server  # SIGTERM: a graceful stop, exit status 0
  grep -q 'stopped;' "$log"
  echo "curl smoke on $backend: ok"
done
