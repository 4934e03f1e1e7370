#!/usr/bin/env bash
# shards_check.sh: coring-echo --shards N serves 10,000 verified connections, and its per-shard statistics show them spread.
#
# The server runs with $SHARDS shards (one pinned thread each, SO_REUSEPORT
# listener per shard) on CPUs $SERVER_CPUS; coring-load (one shard) opens
# $CONNS connections and echoes $SIZE-byte messages for $DURATION seconds,
# verifying every byte. At SIGTERM the server prints one statistics line per
# shard; this script checks every shard accepted connections and that the
# counts add up, and prints the table. On this 2-core machine server and
# load share the cores (SERVER_CPUS=0,1): the figure of interest is the
# spread, not the speed.
#
# Usage: bench/shards_check.sh   (env: SHARDS=2 CONNS=10000 SIZE=64 DURATION=10 BACKENDS="uring epoll"
#        SERVER_CPUS=0,1 SOURCES=127.0.0.1,127.0.0.2 NO_BUILD=1 OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

SHARDS=${SHARDS:-2}
CONNS=${CONNS:-10000}
SIZE=${SIZE:-64}
DURATION=${DURATION:-10}
BACKENDS=${BACKENDS:-"uring epoll"}
SERVER_CPUS=${SERVER_CPUS:-0,1}
SOURCES=${SOURCES:-127.0.0.1,127.0.0.2}
OUT=${OUT:-$(mktemp -d /tmp/coring-shards.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"

bench_build
raise_nofile
log "$SHARDS shards, $CONNS connections x $SIZE B for ${DURATION}s per backend; logs in $OUT"

fail=0
for be in $BACKENDS; do
  pick_port
  port=$PORT
  SERVER_CPU=$SERVER_CPUS SERVER_SHARDS=$SHARDS start_server "$be" "$port" "$OUT/$be.server.log"
  rc=0
  json=$(run_load "$OUT/$be.load.log" --port "$port" --connections "$CONNS" --size "$SIZE" --duration "$DURATION" \
    --sources "$SOURCES" --timeout 60) || rc=$?
  stop_pid "$SERVER_PID" 15 || log "$be: server had to be killed"
  echo "$json" >"$OUT/$be.load.json"
  conns=$(json_num "$json" connections)
  vf=$(json_num "$json" verify_failures)
  errs=$(json_num "$json" errors)
  # The last statistics line per shard (printed at exit).
  mapfile -t accepted < <(grep -E "^coring-echo: shard [0-9]+:" "$OUT/$be.server.log" | tail -n "$SHARDS" |
    sed -E 's/.*shard ([0-9]+): ([0-9]+) connections accepted.*/\2/')
  sum=0
  spread=ok
  for a in "${accepted[@]}"; do
    sum=$((sum + a))
    ((a > 0)) || spread=FAIL
  done
  status=ok
  if [[ $rc != 0 || $conns != "$CONNS" || $vf != 0 || $errs != 0 || ${#accepted[@]} != "$SHARDS" || $spread != ok ||
    $sum -lt $CONNS ]]; then
    status=FAIL
    fail=1
  fi
  printf '%-6s connections %s, messages %s, verify failures %s, errors %s; accepted per shard: %s (sum %s) %s\n' \
    "$be" "${conns:-?}" "$(json_num "$json" messages)" "${vf:-?}" "${errs:-?}" "${accepted[*]}" "$sum" "$status"
  sleep 2
done
exit $fail
