#!/usr/bin/env bash
# kv_shards_ab.sh: two coring-kv builds side by side with --shards 2 under redis-benchmark -P 16, interleaved rounds.
#
# Usage: bench/kv_shards_ab.sh OLD_BIN NEW_BIN [ROUNDS=3] [N=200000]
# Each round starts OLD then NEW (taskset -c 0,1, --shards 2, a fresh port) and runs
# `redis-benchmark -t set|get -n N -c 50 -P 16` on cpu 1 (it shares that core with shard 2).
# redis-benchmark's keys all hash to one shard, so the connections of the other shard send
# every request across: this is what cross-shard batching changes. Prints one line per run
# (round, build, test, requests/s) and the medians.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
old=$1 new=$2 rounds=${3:-3} n=${4:-200000}
declare -A RPS
for ((r = 1; r <= rounds; r++)); do
  for v in old new; do
    bin=${!v}
    pick_port
    taskset -c 0,1 "$bin" --bind 127.0.0.1 --port "$PORT" --shards 2 >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    for t in set get; do
      rps=$(taskset -c 1 redis-benchmark -p "$PORT" -t "$t" -n "$n" -c 50 -P 16 -q 2>/dev/null | tr '\r' '\n' |
            sed -nE 's/^[A-Z]+: ([0-9.]+) requests per second.*/\1/p' | tail -1)
      echo "$r $v $t $rps"
      RPS[$v.$t]+="$rps "
    done
    stop_pid "$pid"
  done
done
for t in set get; do
  # shellcheck disable=SC2086
  awk -v t="$t" -v a="$(median ${RPS[old.$t]})" -v b="$(median ${RPS[new.$t]})" \
    'BEGIN {printf "median %s: old %.0f req/s, new %.0f req/s, x%.2f\n", t, a, b, b / a}'
done
