#!/usr/bin/env bash
# echo_large.sh: server CPU time per echoed message for large messages (default 16 KiB over 1,000 connections), coring against a hand-written epoll loop.
#
# Method. Each server runs pinned to core $SERVER_CPU; coring-load pinned to
# core $LOAD_CPU opens $CONNS connections and echoes $MSGS messages of $SIZE
# bytes on each (closed loop, every byte verified). The server's on-CPU time
# (all its threads, /proc/PID/task/*/schedstat) is read before the load starts
# and after it ends; CPU per message = difference / (CONNS * MSGS). The ramp
# (connect, one proving echo per connection) is inside the window for every
# server alike. Servers are interleaved (A B C A B C ...) for $ROUNDS rounds;
# the table reports medians and each server's ratio to the first `raw-epoll`.
#
# Servers (SERVERS, space-separated): `uring` and `epoll` are coring-echo with
# that backend; `NAME:BYTES` (e.g. `uring:16384`) sets coring-echo's
# --buffer-size; `uring-no-FEATURE` is coring-echo on io_uring with
# CORING_URING_OFF=FEATURE (one optional feature off, as describe() names
# it: the effect of each feature); `uring-mwN` is coring-echo on io_uring with
# --min-wait-us N (batched waits); `NAME@N` gives it --buffers N (receive buffers
# per shard); `base-uring`, `base-epoll` (any of the
# above prefixed `base-`) run coring-echo from BASE_BUILD_DIR (another
# commit's Release build) in the same rounds; `raw-epoll` is bench/peers/raw_epoll_echo.cpp (one 64 KiB
# recv and one send per message, level-triggered, no pool, no coroutines).
#
# The machine is shared and noisy: compare by the ratios of one run.
# Usage: bench/echo_large.sh   (env: CONNS=1000 SIZE=16384 MSGS=200 ROUNDS=5
#        SERVERS="raw-epoll uring epoll" NO_BUILD=1 OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-1000}
SIZE=${SIZE:-16384}
MSGS=${MSGS:-200}
ROUNDS=${ROUNDS:-5}
SERVERS=${SERVERS:-"raw-epoll uring epoll"}
OUT=${OUT:-$(mktemp -d /tmp/coring-echo-large.XXXXXX)}
RAW_EPOLL_BIN=$BUILD_DIR/bench/peers/raw-epoll-echo
mkdir -p "$OUT"
scratch_only "$OUT"

if [[ ${NO_BUILD:-0} != 1 ]]; then
  log "building Release in $BUILD_DIR"
  cmake -S "$BENCH_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 || die "cmake failed"
  cmake --build "$BUILD_DIR" -j2 --target coring-echo coring-load raw-epoll-echo >"$BUILD_DIR.build.log" 2>&1 ||
    { tail -30 "$BUILD_DIR.build.log" >&2; die "build failed"; }
fi
raise_nofile

# start_one SERVER PORT LOG: sets SERVER_PID.
start_one() {
  local server=${1%@*} port=$2 logf=$3 backend=${1%%[:@]*} extra=() off= bin=$ECHO_BIN
  [[ $server == *:* ]] && extra=(--buffer-size "${server#*:}")
  [[ $1 == *@* ]] && extra+=(--buffers "${1#*@}")
  if [[ $backend == base-* ]]; then  # the same, from BASE_BUILD_DIR's build
    [[ -n ${BASE_BUILD_DIR:-} ]] || die "$server needs BASE_BUILD_DIR"
    bin=$BASE_BUILD_DIR/${ECHO_BIN#"$BUILD_DIR"/}
    backend=${backend#base-}
  fi
  if [[ $backend == uring-mw* ]]; then  # batched waits: --min-wait-us N
    extra+=(--min-wait-us "${backend#uring-mw}")
    backend=uring
  fi
  if [[ $backend == uring-no-* ]]; then
    off=${backend#uring-no-}
    backend=uring
  fi
  if [[ $backend == raw-epoll ]]; then
    taskset -c "$SERVER_CPU" "$RAW_EPOLL_BIN" --port "$port" >"$logf" 2>&1 &
  else
    CORING_URING_OFF=$off taskset -c "$SERVER_CPU" "$bin" --port "$port" --backend "$backend" --shards 1 \
      "${extra[@]}" >"$logf" 2>&1 &
  fi
  SERVER_PID=$!
  wait_for_line "$logf" "listening on" 60 || { cat "$logf" >&2; die "$server did not start"; }
  grep -qE "backend $backend|$backend backend" "$logf" || { cat "$logf" >&2; die "$server is not running $backend"; }
  [[ -z $off ]] || grep -q "off by option: $off" "$logf" || { cat "$logf" >&2; die "$server: $off is not off"; }
}

declare -A CPM RATE
total=$((CONNS * MSGS))
log "$CONNS connections x $MSGS messages x $SIZE B; servers: $SERVERS; $ROUNDS rounds; results in $OUT"
echo "round,server,cpu_us_per_msg,msgs_per_s" >"$OUT/echo_large.csv"
printf '%-5s %-14s %14s %12s\n' round server "cpu us/msg" "msgs/s"
for ((r = 1; r <= ROUNDS; r++)); do
  for s in $SERVERS; do
    pick_port
    tag="r$r.${s//:/_}"
    start_one "$s" "$PORT" "$OUT/$tag.server.log"
    c0=$(cpu_ns "$SERVER_PID")
    t0=$(date +%s.%N)
    json=$(run_load "$OUT/$tag.load.log" --port "$PORT" --connections "$CONNS" --size "$SIZE" --messages "$MSGS" --timeout 300) ||
      { stop_pid "$SERVER_PID" 5 || true; die "load failed ($tag): $json"; }
    t1=$(date +%s.%N)
    c1=$(cpu_ns "$SERVER_PID")
    stop_pid "$SERVER_PID" 10 || true
    [[ $(json_num "$json" verify_failures) == 0 && $(json_num "$json" errors) == 0 ]] || die "errors in $tag: $json"
    cpm=$(awk -v a="$c0" -v b="$c1" -v n="$total" 'BEGIN {printf "%.3f", (b - a) / 1000 / n}')
    rate=$(awk -v a="$t0" -v b="$t1" -v n="$total" 'BEGIN {printf "%.0f", n / (b - a)}')
    CPM[$s]+="$cpm "
    RATE[$s]+="$rate "
    echo "$r,$s,$cpm,$rate" >>"$OUT/echo_large.csv"
    printf '%-5s %-14s %14s %12s\n' "$r" "$s" "$cpm" "$rate"
  done
done

echo
echo "medians of $ROUNDS interleaved rounds; $CONNS conns x $MSGS msgs x $SIZE B; server cpu $SERVER_CPU, load cpu $LOAD_CPU"
printf '%-14s %14s %12s %18s   %s\n' server "cpu us/msg" "msgs/s" "cpu / raw-epoll" "(cpu samples)"
base=
for s in $SERVERS; do
  # shellcheck disable=SC2086
  m=$(median ${CPM[$s]})
  # shellcheck disable=SC2086
  rt=$(median ${RATE[$s]})
  [[ -z $base && $s == raw-epoll ]] && base=$m
  ratio=na
  [[ -n $base ]] && ratio=$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.2f", a / b}')
  printf '%-14s %14s %12s %18s   (%s)\n' "$s" "$m" "$rt" "$ratio" "${CPM[$s]% }"
done
echo "csv: $OUT/echo_large.csv"
