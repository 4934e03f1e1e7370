#!/usr/bin/env bash
# Zero-loss restarts of coring-http under open-loop load from coring-load --renew (keep-alive and new connections mixed):
#   upgrade: three hot upgrades in a row (--upgrade-from, shard counts 2 -> 1 -> 3 -> 2); no failed request, no reset,
#            no refused connect, every old process exits 0 within its drain deadline with no connection left open.
#   stop:    a graceful stop (SIGTERM) mid-run: every request sent on an accepted connection is answered, exit 0.
# Usage: hot_upgrade.sh CORING_HTTP CORING_LOAD BACKEND upgrade|stop
set -euo pipefail
http=$1 load=$2 backend=$3 mode=$4
# shellcheck source=tests/lib/server.sh
source "$(dirname "$0")/../lib/server.sh"
dir=$(mktemp -d)
ctl=$dir/upgrade.sock
pids=()
trap 'for p in "${pids[@]}" ${pid:+"$pid"}; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
drain_ms=2000
rate=${RATE:-2000} conns=${CONNS:-50} renew=${RENEW:-5}

start_server "$dir/s0.log" "$http" --host 127.0.0.1 --port 0 --backend "$backend" --shards 2 \
  --drain-timeout "$drain_ms" --upgrade-socket "$ctl" || exit 1
if [ "$mode" = upgrade ]; then duration=6; else duration=3; fi
"$load" --http --port "$port" --backend "$backend" --rate "$rate" -c "$conns" --renew "$renew" -d "$duration" \
  >"$dir/load.out" 2>"$dir/load.err" &
load_pid=$!
pids+=("$load_pid")

# Waits for server `p` to exit; fails unless it exits 0 within `limit_ms` of `t0` with no connection left open.
expect_clean_exit() {
  local p=$1 log=$2 t0=$3 limit_ms=$4 rc=0
  wait "$p" || rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "$(basename "$log" .log): exit $rc after ${ms} ms"
  [ "$rc" = 0 ] || { cat "$log"; echo "FAIL: exit status $rc"; exit 1; }
  [ "$ms" -le "$limit_ms" ] || { echo "FAIL: took ${ms} ms (limit ${limit_ms} ms)"; exit 1; }
  grep -q 'stopped; .* 0 still open' "$log" || { cat "$log"; echo "FAIL: connections left open"; exit 1; }
}

if [ "$mode" = upgrade ]; then
  old=$pid
  pid=
  i=0
  for shards in 1 3 2; do
    sleep 1.2
    i=$((i + 1))
    t0=$(date +%s%N)
    "$http" --host 127.0.0.1 --port 0 --backend "$backend" --shards "$shards" --drain-timeout "$drain_ms" \
      --upgrade-from "$ctl" >"$dir/s$i.log" 2>&1 &
    new=$!
    pids+=("$new")
    # The old process's drain deadline, plus the successor's start-up and the hand-over.
    expect_clean_exit "$old" "$dir/s$((i - 1)).log" "$t0" $((drain_ms + 1500))
    grep -q "took over" "$dir/s$i.log" || { cat "$dir/s$i.log"; echo "FAIL: no hand-over"; exit 1; }
    old=$new
  done
  wait "$load_pid" || true
  kill "$old"
  expect_clean_exit "$old" "$dir/s$i.log" "$(date +%s%N)" $((drain_ms + 1000))
else
  sleep 1.5
  t0=$(date +%s%N)
  kill "$pid"
  p=$pid
  pid=
  expect_clean_exit "$p" "$dir/s0.log" "$t0" $((drain_ms + 1000))
  wait "$load_pid" || true
fi

cat "$dir/load.out"
python3 - "$dir/load.out" "$mode" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
run, c = lines[0], lines[1]["renew"]
mode = sys.argv[2]
problems = []
if c["failed"] or c["resets"]: problems.append("failed or reset requests")
if mode == "upgrade" and c["refused"]: problems.append("refused connects during an upgrade")
if c["ok"] + c["failed"] + c["refused"] != c["requests"]: problems.append("requests not accounted for")
if mode == "stop" and c["ok"] == 0: problems.append("nothing served")
if c["connects"] < 2 * 50: problems.append("too few new connections: the mix is not exercised")
print(f"{mode}: requests {c['requests']}, ok {c['ok']}, failed {c['failed']}, resets {c['resets']}, "
      f"refused {c['refused']}, retried {c['retried']}, server closes {c['server_closes']}, "
      f"connections {c['connects']}, p99 {run['latency_us']['p99']} us")
if problems:
    print("FAIL: " + "; ".join(problems)); sys.exit(1)
PY
