#!/usr/bin/env bash
# c10k_check.sh: each backend (uring, epoll, threads) serves 10,000 concurrent echoing connections with every byte verified.
#
# coring-echo pinned to core $SERVER_CPU, coring-load pinned to core $LOAD_CPU:
# $CONNS connections opened in batches (each proven with one echo), then all of
# them echo $SIZE-byte messages in a closed loop for $DURATION seconds. Every
# echoed byte is compared with what was sent. Prints messages, msgs/s,
# latency and failures per backend; exits non-zero if any backend lost a
# connection, had an error or a verification failure. msgs/s on this shared
# 2-core machine is indicative only (one core each; the load generator is
# often the bottleneck).
#
# Usage: bench/c10k_check.sh   (env: CONNS=10000 SIZE=64 DURATION=10
#        BACKENDS="uring epoll threads" SOURCES=127.0.0.1,127.0.0.2 NO_BUILD=1 OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-10000}
SIZE=${SIZE:-64}
DURATION=${DURATION:-10}
BACKENDS=${BACKENDS:-"uring epoll threads"}
SOURCES=${SOURCES:-127.0.0.1,127.0.0.2}
OUT=${OUT:-$(mktemp -d /tmp/coring-c10k.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"

bench_build
raise_nofile
log "$CONNS connections x $SIZE B for ${DURATION}s per backend; logs in $OUT"

fail=0
rows=()
for be in $BACKENDS; do
  pick_port
  port=$PORT
  start_server "$be" "$port" "$OUT/$be.server.log"
  rc=0
  json=$(run_load "$OUT/$be.load.log" --port "$port" --connections "$CONNS" --size "$SIZE" --duration "$DURATION" \
    --sources "$SOURCES" --timeout 60) || rc=$?
  stop_pid "$SERVER_PID" 15 || log "$be: server had to be killed"
  echo "$json" >"$OUT/$be.load.json"
  grep -m1 "established" "$OUT/$be.load.log" >&2 || true
  conns=$(json_num "$json" connections)
  vf=$(json_num "$json" verify_failures)
  errs=$(json_num "$json" errors)
  cerrs=$(json_num "$json" connect_errors)
  status=ok
  if [[ $rc != 0 || -z $json || $conns != "$CONNS" || $vf != 0 || $errs != 0 || $cerrs != 0 ]]; then
    status=FAIL
    fail=1
    log "$be: FAIL (exit $rc): $json"
    tail -5 "$OUT/$be.load.log" >&2
  fi
  rows+=("$(printf '%-8s %7s %10s %10s %9s %9s %9s %7s %7s %s' "$be" "${conns:-?}" "$(json_num "$json" messages)" \
    "$(json_num "$json" msgs_per_sec)" "$(json_num "$json" p50)" "$(json_num "$json" p99)" "$(json_num "$json" max)" \
    "${vf:-?}" "$((${errs:-0} + ${cerrs:-0}))" "$status")")
  sleep 2
done

echo
echo "$CONNS concurrent connections, $SIZE-byte messages, ${DURATION}s; server on cpu $SERVER_CPU, coring-load ($LOAD_BACKEND) on cpu $LOAD_CPU"
printf '%-8s %7s %10s %10s %9s %9s %9s %7s %7s %s\n' backend conns messages "msgs/s" "p50 us" "p99 us" "max us" \
  verify errors status
printf '%s\n' "${rows[@]}"
exit $fail
