#!/usr/bin/env bash
# slowloris.sh: a normal client's p99 latency against coring-http with and without 5,000 slowloris connections, and proof that the header timeout closes them all.
#
# coring-http (--shards 1, pinned to core $SERVER_CPU, --header-timeout-ms $HEADER_MS) serves
# wrk -t1 -c$CONNS --latency for $DURATION s (pinned to core $LOAD_CPU), alternately
#   - "quiet":     nothing else connected;
#   - "slowloris": bench/slowloris.py holds $SLOW connections from several 127.0.0.x
#                  source addresses, each with a request head that never completes
#                  (one header line every $INTERVAL s).
# Runs alternate quiet/slowloris for $ROUNDS rounds (each on a fresh server);
# the table gives the medians of wrk's p99 and requests/s. In each slowloris
# run, slowloris.py then waits until the server has closed every one of its
# connections and reports how many it closed (and how many got a 408) and
# when; the server's /metrics (header timeouts, connections open) is checked too.
#
# Usage: bench/slowloris.sh   (env: SLOW=5000 HEADER_MS=15000 DURATION=8 CONNS=10 ROUNDS=3 INTERVAL=2
#        SLOW_NICE=19 (the attacker's nice level; 0 lets it preempt wrk) NO_BUILD=1 OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

HTTP_BIN=$BUILD_DIR/apps/http/coring-http
SLOW=${SLOW:-5000}
HEADER_MS=${HEADER_MS:-15000}
DURATION=${DURATION:-8}
CONNS=${CONNS:-10}
ROUNDS=${ROUNDS:-3}
INTERVAL=${INTERVAL:-2}
SLOW_NICE=${SLOW_NICE:-19}
OUT=${OUT:-$(mktemp -d /tmp/coring-slowloris.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"
command -v wrk >/dev/null || die "wrk missing: scripts/deps.sh --bench"
if [[ ${NO_BUILD:-0} != 1 ]]; then
  log "building Release coring-http in $BUILD_DIR"
  cmake -S "$BENCH_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 || die "cmake failed"
  cmake --build "$BUILD_DIR" -j2 --target coring-http >"$BUILD_DIR.build.log" 2>&1 || die "build failed"
fi
raise_nofile
(($(ulimit -Sn) > SLOW + 1000)) || die "fd limit $(ulimit -Sn) too low for $SLOW connections"

start_http() {
  local port=$1 tag=$2
  taskset -c "$SERVER_CPU" "$HTTP_BIN" --host 127.0.0.1 --port "$port" --backend "${BACKEND:-uring}" --shards 1 \
    --header-timeout-ms "$HEADER_MS" --max-connections $((SLOW + 1000)) >"$OUT/$tag.server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_line "$OUT/$tag.server.log" "listening on" 20 || { cat "$OUT/$tag.server.log" >&2; die "server did not start"; }
}

# p99 in microseconds from wrk --latency output ("99%  1.23ms").
p99_us() {
  awk '$1 == "99%" {v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
       f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : -1; printf "%.0f", v * f}' "$1"
}
# metric FILE NAME [LABEL]: the sum over shards of NAME's samples (those containing LABEL, e.g. phase="header").
metric() { awk -v n="$2" -v l="${3:-}" '($1 == n || index($1, n "{") == 1) && index($0, l) {s += $NF} END {print s + 0}' "$1"; }

declare -A P99 RPS
printf '%-5s %-10s %10s %12s | %s\n' round load "p99 (us)" "requests/s" "slowloris result"
for ((r = 1; r <= ROUNDS; r++)); do
  for mode in quiet slowloris; do
    tag=r$r.$mode
    pick_port
    start_http "$PORT" "$tag"
    slow_pid=
    if [[ $mode == slowloris ]]; then
      rm -f "$OUT/$tag.ready"
      # The attacker shares wrk's core (two cores only): at nice $SLOW_NICE it takes the CPU wrk
      # leaves idle instead of preempting it, as an attacker on another machine would.
      taskset -c "$LOAD_CPU" nice -n "$SLOW_NICE" python3 "$BENCH_ROOT/bench/slowloris.py" --port "$PORT" --connections "$SLOW" \
        --interval "$INTERVAL" --limit $((HEADER_MS / 1000 + 60)) --ready-file "$OUT/$tag.ready" \
        >"$OUT/$tag.slow.json" 2>"$OUT/$tag.slow.log" &
      slow_pid=$!
      for ((i = 0; i < 600; i++)); do [[ -s $OUT/$tag.ready ]] && break; sleep 0.1; done
      [[ -s $OUT/$tag.ready ]] || die "slowloris did not open its connections ($OUT/$tag.slow.log)"
      sleep 1
      held=$(curl -s "http://127.0.0.1:$PORT/metrics" | tee "$OUT/$tag.metrics.before" | metric /dev/stdin coring_http_connections_active)
    fi
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/" >"$OUT/$tag.wrk" 2>&1
    grep -qE 'Non-2xx|Socket errors' "$OUT/$tag.wrk" && { cat "$OUT/$tag.wrk" >&2; die "wrk errors in $tag"; }
    p99=$(p99_us "$OUT/$tag.wrk")
    rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/$tag.wrk")
    P99[$mode]+="$p99 "
    RPS[$mode]+="$rps "
    result=-
    if [[ -n $slow_pid ]]; then
      during=$(curl -s "http://127.0.0.1:$PORT/metrics" | tee "$OUT/$tag.metrics.during" | metric /dev/stdin coring_http_connections_active)
      wait "$slow_pid" || log "slowloris reported connections left open or failed ($tag)"
      curl -s "http://127.0.0.1:$PORT/metrics" >"$OUT/$tag.metrics.after"
      j=$(cat "$OUT/$tag.slow.json")
      result="open: $held before wrk, $during after; $(json_num "$j" closed_by_server)/$(json_num "$j" connections) closed by the server"
      result+=" ($(json_num "$j" answered_408) with 408) $(json_num "$j" closed_after_s_min)-$(json_num "$j" closed_after_s_max)s after opening,"
      result+=" $(json_num "$j" still_open) left; server: $(metric "$OUT/$tag.metrics.after" coring_http_timeouts_total 'phase="header"') header timeouts,"
      result+=" $(metric "$OUT/$tag.metrics.after" coring_http_connections_active) open (the /metrics request itself)"
    fi
    stop_pid "$SERVER_PID" 10 || true
    printf '%-5s %-10s %10s %12s | %s\n' "$r" "$mode" "$p99" "$rps" "$result"
  done
done
echo
echo "medians of $ROUNDS alternating rounds; wrk -t1 -c$CONNS ${DURATION}s; $SLOW slowloris connections; header timeout ${HEADER_MS} ms; backend ${BACKEND:-uring}, 1 shard"
for mode in quiet slowloris; do
  # shellcheck disable=SC2086
  printf '%-10s p99 %8s us   %10.0f requests/s   (p99 samples: %s)\n' "$mode" "$(median ${P99[$mode]})" "$(median ${RPS[$mode]})" "${P99[$mode]% }"
done
