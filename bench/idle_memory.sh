#!/usr/bin/env bash
# idle_memory.sh: server memory per idle connection (VmRSS growth / connections) for the uring, epoll and threads backends.
#
# For each backend: start coring-echo pinned to core $SERVER_CPU, warm it up
# with a few busy connections (so one-off growth is not counted per connection,
# e.g. a receive pool touched lazily: with io_uring the kernel cycles through
# every buffer of the provided-buffer ring, up to 8 MiB; the runtime now
# pre-faults it), read VmRSS, open $CONNS connections with
# `coring-load --hold-idle` from several 127.0.0.x source addresses (each proven
# with one echo, then idle), read VmRSS again while they are held. Printed:
#   warm B/conn  = (VmRSS held - VmRSS after warm-up) / connections  <- the figure
#   cold B/conn  = (VmRSS held - VmRSS at start) / connections       (includes the pool)
#   MemAvail     = drop of the machine's MemAvailable while held: server + load
#                  generator + kernel socket memory of both ends, and whatever
#                  else runs on this shared machine meanwhile (noisy)
#   TCP buf      = growth of the TCP socket-buffer pages in /proc/net/sockstat
# VmRSS leaves out kernel memory (socket structures and buffers, io_uring).
#
# Usage: bench/idle_memory.sh   (env: CONNS=19000 HOLD=5 BACKENDS="uring epoll threads"
#        SOURCES=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4 NO_BUILD=1 OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-19000}
HOLD=${HOLD:-5}
BACKENDS=${BACKENDS:-"uring epoll threads"}
SOURCES=${SOURCES:-127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4}
OUT=${OUT:-$(mktemp -d /tmp/coring-idle.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"

bench_build
raise_nofile
log "$CONNS idle connections per backend from $SOURCES, held ${HOLD}s; logs in $OUT"

fail=0
rows=()
for be in $BACKENDS; do
  pick_port
  port=$PORT
  start_server "$be" "$port" "$OUT/$be.server.log"
  sleep 0.3
  rss_cold=$(rss_kb "$SERVER_PID")
  warm=$(run_load "$OUT/$be.warm.log" --port "$port" --connections 64 --messages 100 --size 64) ||
    { log "warm-up failed on $be: $warm"; fail=1; }
  sleep 0.5
  rss0=$(rss_kb "$SERVER_PID")
  avail0=$(mem_available_kb)
  tcp0=$(tcp_mem_pages)

  run_load "$OUT/$be.load.log" --port "$port" --connections "$CONNS" --hold-idle --duration "$HOLD" \
    --sources "$SOURCES" >"$OUT/$be.load.json" &
  load_pid=$!
  if wait_for_line "$OUT/$be.load.log" "established" 240; then
    sleep 1  # the last batch's echoes are done; let the server settle
    rss1=$(rss_kb "$SERVER_PID")
    avail1=$(mem_available_kb)
    tcp1=$(tcp_mem_pages)
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status")
  else
    log "$be: the load generator did not finish its ramp"
    rss1=$rss0 avail1=$avail0 tcp1=$tcp0 threads='?'
    fail=1
  fi
  wait "$load_pid" || { log "$be: coring-load reported errors: $(cat "$OUT/$be.load.json")"; fail=1; }
  json=$(cat "$OUT/$be.load.json")
  held=$(json_num "$json" connections)
  [[ -n $held && $held -gt 0 ]] || { held=$CONNS; fail=1; }
  stop_pid "$SERVER_PID" 15 || log "$be: server had to be killed"
  grep -m1 "established" "$OUT/$be.load.log" >&2 || true

  rows+=("$(awk -v be="$be" -v n="$held" -v rc="$rss_cold" -v r0="$rss0" -v r1="$rss1" -v a0="$avail0" -v a1="$avail1" \
    -v t0="$tcp0" -v t1="$tcp1" -v th="$threads" 'BEGIN {
      printf "%-8s %7d %10.1f %10.1f %10.1f %12.0f %12.0f %12.0f %13.0f %8s",
        be, n, rc / 1024, r0 / 1024, r1 / 1024, (r1 - r0) * 1024 / n, (r1 - rc) * 1024 / n,
        (a0 - a1) / 1024, (a0 - a1) * 1024 / n, th; if (t0 != "" && t1 != "") printf " %10.0f", (t1 - t0) * 4096 / n }')")
  sleep 2  # sockets of the closed connections leave the kernel
done

echo
echo "VmRSS of coring-echo (server on cpu $SERVER_CPU, coring-load on cpu $LOAD_CPU); MemAvailable is machine-wide"
printf '%-8s %7s %10s %10s %10s %12s %12s %12s %13s %8s %10s\n' backend conns "RSS0 MiB" "RSSwarm" "RSSheld" \
  "warm B/conn" "cold B/conn" "MemAvail-MiB" "MemAvail B/c" threads "TCPbuf B/c"
printf '%s\n' "${rows[@]}"
exit $fail
