#!/usr/bin/env bash
# kv_abuse_p99.sh: a well-behaved Redis client's p99 while others send coring-kv bad input, against its p99 just before.
#
# Runs tests/kv/kv_abuse.sh (coring-kv --shards 2 with an 8 MiB client output limit; the attacks of
# tests/kv/kv_abuse_test.py: a 2 GB bulk length, a 10-million-element array, 50 clients announcing
# 60 MB values and million-element arrays, random bytes, 1 million GETs pipelined without reading)
# ROUNDS times per backend, interleaved (uring epoll uring epoll ...). The well-behaved client (its own
# process, one SET or GET at a time, 1 ms apart) measures its latency in a 2 s quiet phase and during
# each attack. Prints, per backend, the medians over the rounds of the quiet p99, the p99 during all
# attacks together and during each, and their ratios; and the server's peak RSS growth.
#
# Usage: bench/kv_abuse_p99.sh   (env: ROUNDS=5 BACKENDS="uring epoll" NO_BUILD=1 BUILD_DIR=build/...)
set -euo pipefail
# shellcheck disable=SC2046  # median takes the rounds as words
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

KV_BIN=$BUILD_DIR/apps/kv/coring-kv
ROUNDS=${ROUNDS:-5}
BACKENDS=${BACKENDS:-"uring epoll"}
OUT=${OUT:-$(mktemp -d /tmp/coring-kv-abuse.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"
build_kv

phases="quiet attack_2gb_bulk attack_10m_array attack_announced_not_sent attack_random_bytes attack_pipeline_without_reading"
for ((r = 1; r <= ROUNDS; r++)); do
  for b in $BACKENDS; do
    log "round $r: $b"
    bash "$BENCH_ROOT/tests/kv/kv_abuse.sh" "$KV_BIN" "$b" >"$OUT/$b.$r.log" 2>&1 || { cat "$OUT/$b.$r.log" >&2; die "bad-input run failed"; }
  done
done

# p99 NAME LOG: the p99 (ms) that LOG printed for phase NAME.
p99() { sed -nE "s/^p99 $1: ([0-9.]+) ms.*/\1/p" "$2"; }
for b in $BACKENDS; do
  quiet=$(median $(for ((r = 1; r <= ROUNDS; r++)); do p99 quiet "$OUT/$b.$r.log"; done))
  echo "== $b: medians of $ROUNDS rounds (logs in $OUT)"
  printf '%-34s %10s %8s\n' phase "p99 ms" "x quiet"
  for ph in $phases "all attacks"; do
    m=$(median $(for ((r = 1; r <= ROUNDS; r++)); do p99 "$ph" "$OUT/$b.$r.log"; done))
    printf '%-34s %10.3f %8.2f\n' "$ph" "$m" "$(awk -v a="$m" -v q="$quiet" 'BEGIN {print a / q}')"
  done
  growth=$(median $(for ((r = 1; r <= ROUNDS; r++)); do sed -nE 's/.*\(\+([0-9]+) MiB; bound.*/\1/p' "$OUT/$b.$r.log"; done))
  echo "server peak RSS growth: $growth MiB (median; the test's bound is 64 MiB)"
done
