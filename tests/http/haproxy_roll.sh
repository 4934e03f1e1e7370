#!/usr/bin/env bash
# HAProxy (examples/haproxy/haproxy.cfg, unchanged) in front of three coring-http; a rolling restart of all three under constant open-loop load from coring-load: zero failed requests; prints the p99 during the roll (both backends).
# Usage: haproxy_roll.sh CORING-HTTP CORING-LOAD SOURCE-DIR [BACKENDS...]   (default backends: uring epoll)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/server.sh
source "$here/../lib/server.sh"
http_bin=$1 load_bin=$2 src=$3
shift 3
backends=("${@:-uring epoll}")
read -r -a backends <<<"${backends[*]}"
cfg=$src/examples/haproxy/haproxy.cfg
command -v haproxy >/dev/null || { echo "FAIL: haproxy missing (scripts/deps.sh installs it)"; exit 1; }
# docs/deploy.md shows this exact file: the block after its "haproxy.cfg" marker is the file.
diff <(sed -n '/^<!-- examples\/haproxy\/haproxy.cfg -->$/,/^```$/p' "$src/docs/deploy.md" | sed '1,2d;$d') "$cfg" \
  || { echo "FAIL: docs/deploy.md does not show examples/haproxy/haproxy.cfg as it is"; exit 1; }

RATE=${RATE:-2000} CONNS=${CONNS:-20} GRACE_MS=${GRACE_MS:-500}
run=$(mktemp -d)
pids=()
hapid=
loadpid=
cleanup() {
  for p in "${pids[@]}" $hapid $loadpid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run"
}
trap cleanup EXIT
fail() { echo "FAIL ($backend): $*"; for f in "$run"/*.log; do echo "== $f"; tail -5 "$f"; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
status() { python3 "$here/../lib/haproxy_stat.py" "$run/haproxy.sock" coring; }
# HAProxy's stderr gets a line for each server state change: "Server coring/http1 is DOWN, ...".
changes() { grep -c "Server coring/$1 is $2" "$run/haproxy.log" || true; }
# Waits (up to 10 s) until HAProxy logged server $1 going $2 more than $3 times. Reading the log
# costs the loaded machine less than asking HAProxy's socket from a new python3 every 20 ms.
wait_change() {
  for _ in $(seq 500); do
    [ "$(changes "$1" "$2")" -gt "$3" ] && return 0
    sleep 0.02
  done
  return 1
}
# Waits until HAProxy reports server $1 with status $2 (up to 10 s).
wait_status() {
  for _ in $(seq 500); do
    [ "$(status | awk -v s="$1" '$1 == s {print $2}')" = "$2" ] && return 0
    sleep 0.02
  done
  status
  return 1
}
# Starts coring-http number $1 on port $2 (0: any) and records its pid and port.
start_backend() {
  start_server "$run/http$1.log" "$http_bin" --host 127.0.0.1 --port "$2" --backend "$backend" --shards 1 \
    --drain-grace "$GRACE_MS" --drain-timeout 2000 || fail "coring-http $1 did not start"
  pids[$1]=$pid ports[$1]=$port
}

for backend in "${backends[@]}"; do
  ports=()
  for i in 1 2 3; do start_backend "$i" 0; done
  front=$(free_port)
  CORING_RUN_DIR=$run CORING_FRONTEND=127.0.0.1:$front CORING_BACKEND1=127.0.0.1:${ports[1]} \
    CORING_BACKEND2=127.0.0.1:${ports[2]} CORING_BACKEND3=127.0.0.1:${ports[3]} \
    haproxy -db -f "$cfg" -p "$run/haproxy.pid" >"$run/haproxy.log" 2>&1 &
  hapid=$!
  for _ in $(seq 250); do [ -S "$run/haproxy.sock" ] && break; sleep 0.02; done
  for i in 1 2 3; do wait_status "http$i" UP || fail "http$i never UP"; done

  # The same load for 2 s without a restart first: the p99 to compare with.
  "$load_bin" --http --host 127.0.0.1 --port "$front" --connections "$CONNS" --rate "$RATE" --duration 2 \
    --expect-body 13 --backend "$backend" >"$run/steady.json" 2>"$run/steady.log" || fail "steady load failed"
  steady_p99=$(sed -n 's/.*"p99":\([0-9.]*\).*/\1/p' "$run/steady.json")
  "$load_bin" --http --host 127.0.0.1 --port "$front" --connections "$CONNS" --rate "$RATE" --duration 120 \
    --expect-body 13 --backend "$backend" >"$run/load.json" 2>"$run/load.log" &
  loadpid=$!
  for _ in $(seq 250); do grep -q 'established' "$run/load.log" && break; sleep 0.02; done
  grep -q "established $CONNS of $CONNS" "$run/load.log" || fail "load did not connect"
  t0=$(date +%s%N)
  for i in 1 2 3; do
    downs=$(changes "http$i" DOWN) ups=$(changes "http$i" UP)
    kill -TERM "${pids[$i]}"
    # The grace: /healthz answers 503 and HAProxy should take the server out before its listener closes.
    wait "${pids[$i]}" || fail "coring-http $i exited with status $?"
    grep -q 'stopped;' "$run/http$i.log" || fail "coring-http $i did not stop gracefully"
    seen_down=$(grep "Server coring/http$i is DOWN" "$run/haproxy.log" | tail -1 | grep -o 'reason: [^,]*, code: [0-9]*' || true)
    [ "$(changes "http$i" DOWN)" -gt "$downs" ] || seen_down="not before its exit"
    start_backend "$i" "${ports[$i]}"
    wait_change "http$i" UP "$ups" || fail "the new http$i never UP"
    echo "$backend: http$i restarted on port ${ports[$i]} (marked DOWN before its exit: ${seen_down:-no})"
  done
  roll_ms=$((($(date +%s%N) - t0) / 1000000))
  kill -TERM "$loadpid"
  wait "$loadpid" || fail "coring-load failed (exit $?): $(cat "$run/load.json")"
  loadpid=
  json=$(cat "$run/load.json")
  num() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$json"; }
  for k in errors connect_errors verify_failures failed_requests; do
    [ "$(num "$k")" = 0 ] || fail "$k = $(num "$k"): $json"
  done
  [ "$(num messages)" -gt 0 ] || fail "no requests: $json"
  read -r retries redispatches < <(status | awk '$1 == "BACKEND" {print $3, $4}')
  echo "$backend: rolling restart of 3 backends in $roll_ms ms under $RATE req/s ($CONNS connections):" \
    "$(num messages) requests, 0 failed, p50 $(num p50) us, p99 $(num p99) us, max $(num max) us" \
    "(HAProxy retries $retries, redispatches $redispatches; p99 without a restart: $steady_p99 us)"
  kill "$hapid"
  wait "$hapid" 2>/dev/null || true
  hapid=
  for i in 1 2 3; do kill -TERM "${pids[$i]}"; wait "${pids[$i]}" || true; done
  pids=()
done
