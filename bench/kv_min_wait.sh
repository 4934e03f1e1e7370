#!/usr/bin/env bash
# kv_min_wait.sh: what batched waits (coring-kv --min-wait-us) do to requests/s, server CPU per request and latency, by the number of clients.
#
# coring-kv --shards 1 with --min-wait-us 0 and with each value of $WAITS, all
# pinned to core $SERVER_CPU, redis-benchmark -t get -P 1 on core $LOAD_CPU,
# for each client count of $CLIENTS; servers interleaved, $ROUNDS rounds.
# Reports medians of requests/s, server CPU ns per request (schedstat, all
# threads) and redis-benchmark's p50 and p99 latency (ms).
#
# Usage: bench/kv_min_wait.sh   (env: WAITS="100" CLIENTS="1 10 50 200" N=200000 ROUNDS=3 NO_BUILD=1 BUILD_DIR=...)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

KV_BIN=$BUILD_DIR/apps/kv/coring-kv
WAITS=${WAITS:-100}
CLIENTS=${CLIENTS:-"1 10 50 200"}
N=${N:-200000}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$(mktemp -d /tmp/coring-kv-min-wait.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"
command -v redis-benchmark >/dev/null || die "redis-benchmark missing: scripts/deps.sh --bench (redis-tools)"
build_kv
raise_nofile

declare -A PIDS PORTS
cleanup() { for w in "${!PIDS[@]}"; do kill "${PIDS[$w]}" 2>/dev/null || true; done; }
trap cleanup EXIT
for w in 0 $WAITS; do
  pick_port
  PORTS[$w]=$PORT
  taskset -c "$SERVER_CPU" "$KV_BIN" --bind 127.0.0.1 --port "$PORT" --shards 1 --min-wait-us "$w" \
    >"$OUT/kv-$w.log" 2>&1 &
  PIDS[$w]=$!
  wait_for_line "$OUT/kv-$w.log" "listening on" 30 || die "coring-kv --min-wait-us $w did not start"
done

echo "round,clients,min_wait_us,rps,cpu_ns_per_req,p50_ms,p99_ms" >"$OUT/kv_min_wait.csv"
for ((r = 1; r <= ROUNDS; r++)); do
  for c in $CLIENTS; do
    for w in 0 $WAITS; do
      c0=$(cpu_ns "${PIDS[$w]}")
      res=$(taskset -c "$LOAD_CPU" redis-benchmark -p "${PORTS[$w]}" -t get -n "$N" -c "$c" -P 1 2>&1 | tr '\r' '\n')
      c1=$(cpu_ns "${PIDS[$w]}")
      rps=$(awk '/throughput summary/ {print $3}' <<<"$res")
      read -r p50 p99 < <(awk '/latency summary/ {getline; getline; print $3, $5}' <<<"$res")
      echo "$r,$c,$w,$rps,$(((c1 - c0) / N)),$p50,$p99" >>"$OUT/kv_min_wait.csv"
    done
  done
done

echo
echo "medians of $ROUNDS rounds; redis-benchmark -t get -P 1 -n $N; server cpu $SERVER_CPU, load cpu $LOAD_CPU"
printf '%-8s %-12s %12s %12s %10s %10s\n' clients min_wait_us "req/s" "cpu ns/req" "p50 ms" "p99 ms"
for c in $CLIENTS; do
  for w in 0 $WAITS; do
    col() { awk -F, -v c="$c" -v w="$w" -v k="$1" 'NR > 1 && $2 == c && $3 == w {print $k}' "$OUT/kv_min_wait.csv" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
    printf '%-8s %-12s %12s %12s %10s %10s\n' "$c" "$w" "$(col 4)" "$(col 5)" "$(col 6)" "$(col 7)"
  done
done
echo "csv: $OUT/kv_min_wait.csv"
