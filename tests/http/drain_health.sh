#!/usr/bin/env bash
# coring-http --drain-grace: after SIGTERM /healthz answers 503 and every response (on new and kept-alive connections) says Connection: close while the listener still serves; then the graceful stop, exit 0 (both backends).
set -euo pipefail
# shellcheck source=tests/lib/server.sh
source "$(dirname "$0")/../lib/server.sh"
bin=$1
command -v curl >/dev/null || { echo "FAIL: curl missing (scripts/deps.sh installs it)"; exit 1; }
log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
fail() { echo "FAIL ($backend): $*"; cat "$log"; exit 1; }
# One GET on the kept-alive connection on fd 3; prints the response head (up to the blank line) and reads the body.
get_on_3() {
  printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' >&3
  local line len=0
  while IFS= read -r -t 5 line <&3; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    echo "$line"
    case "${line,,}" in content-length:*) len=${line#*: } ;; esac
  done
  [ "$len" -gt 0 ] && head -c "$len" <&3 >/dev/null
  return 0
}
for backend in uring epoll; do
  start_server "$log" "$bin" --host 127.0.0.1 --port 0 --backend "$backend" --shards 2 --drain-grace 3000 \
    --drain-timeout 2000 || exit 1
  base="http://$addr"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200 ] || fail "/healthz before the stop"
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  head=$(get_on_3)
  grep -q '^HTTP/1.1 200' <<<"$head" || fail "keep-alive GET before the stop: $head"
  if grep -qi '^connection: close' <<<"$head"; then fail "Connection: close before the stop"; fi
  t0=$(date +%s%N)
  kill -TERM "$pid"
  for _ in $(seq 100); do grep -q 'draining:' "$log" && break; sleep 0.02; done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 503 ] || fail "/healthz while draining"
  resp=$(curl -si "$base/")
  grep -q '^HTTP/1.1 200' <<<"$resp" || fail "GET / while draining: $resp"
  grep -qi '^connection: close' <<<"$resp" || fail "no Connection: close on a new connection while draining"
  head=$(get_on_3)
  grep -q '^HTTP/1.1 200' <<<"$head" || fail "keep-alive GET while draining: $head"
  grep -qi '^connection: close' <<<"$head" || fail "no Connection: close on a kept-alive connection while draining"
  exec 3<&-
  kill -0 "$pid" || fail "exited during the drain grace"
  wait "$pid" || fail "exit status $?"
  pid=
  ms=$((($(date +%s%N) - t0) / 1000000))
  # The stop waits out the grace (3000 ms: room for the curls on a loaded machine), then the graceful stop.
  [ "$ms" -ge 3000 ] || fail "stopped after $ms ms, before the 3000 ms grace"
  [ "$ms" -lt 6000 ] || fail "stopped after $ms ms, later than grace + drain timeout (5000 ms)"
  grep -q 'stopped;' "$log" || fail "no 'stopped' line"
  echo "drain health on $backend: ok (stopped $ms ms after SIGTERM)"
done
