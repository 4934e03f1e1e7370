#!/usr/bin/env bash
# syscalls.sh: system calls per echoed message under `strace -f -c`, io_uring vs epoll: submit batching made visible.
#
# coring-echo (one shard, core $SERVER_CPU) runs under `strace -f -c`, which
# counts every system call of every thread; coring-load (core $LOAD_CPU)
# opens $CONNS connections and echoes $MSGS messages of $SIZE bytes on each
# (closed loop). The table shows, per backend, the calls that submit or wait
# (io_uring_enter, or epoll_wait/epoll_pwait2 plus the recv/send/... the
# reactor makes itself) divided by the messages echoed. strace slows every
# system call down, which lets more completions gather per io_uring_enter
# than in a native run; bench/echo_efficiency.sh gives the native count
# (perf's raw_syscalls tracepoint) for comparison.
#
# Usage: bench/syscalls.sh   (env: CONNS=1000 SIZE=64 MSGS=100 BACKENDS="uring epoll" NO_BUILD=1 OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-1000}
SIZE=${SIZE:-64}
MSGS=${MSGS:-100}
BACKENDS=${BACKENDS:-"uring epoll"}
OUT=${OUT:-$(mktemp -d /tmp/coring-syscalls.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"
command -v strace >/dev/null || die "strace missing: apt-get install strace"

bench_build
raise_nofile
log "$CONNS connections x $MSGS messages of $SIZE B per backend, server under strace -f -c; logs in $OUT"

printf '%-6s %10s %14s %14s %12s %12s\n' backend messages io_uring_enter epoll_wait* all_syscalls "submit/msg"
for be in $BACKENDS; do
  pick_port
  port=$PORT
  start_server "$be" "$port" "$OUT/$be.server.log" strace -f -c -o "$OUT/$be.strace"
  json=$(run_load "$OUT/$be.load.log" --port "$port" --connections "$CONNS" --size "$SIZE" --messages "$MSGS" \
    --timeout 300) || die "$be: load failed: $(tail -3 "$OUT/$be.load.log")"
  # Signal coring-echo itself (strace's child), so strace writes its summary as it exits.
  child=$(pgrep -P "$SERVER_PID" -f coring-echo | head -1)
  stop_pid "${child:-$SERVER_PID}" 15 || true
  wait "$SERVER_PID" 2>/dev/null || true
  msgs=$(json_num "$json" messages)
  ramp=$(json_num "$json" ramp_messages)
  total_msgs=$((msgs + ${ramp:-0}))
  calls() { awk -v n="$1" '$NF == n {print $4}' "$OUT/$be.strace" | head -1; }
  enter=$(calls io_uring_enter)
  ewait=$(($(calls epoll_wait || true) + 0 + $(calls epoll_pwait2 || true) + 0))
  all=$(awk '$NF == "total" {print $4}' "$OUT/$be.strace")
  if [[ $be == uring ]]; then sub=${enter:-0}; else sub=$all; fi
  printf '%-6s %10s %14s %14s %12s %12s\n' "$be" "$total_msgs" "${enter:-0}" "$ewait" "$all" \
    "$(awk -v a="$sub" -v m="$total_msgs" 'BEGIN {printf "%.3f", a / m}')"
done
log "per-call detail: $OUT/*.strace"
