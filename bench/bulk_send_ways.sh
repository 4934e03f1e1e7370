#!/usr/bin/env bash
# Sending from memory, way by way: bulk-send (one shard, cpu0) streams 256 KiB sends to 4 reading
# connections (cpu1) for DUR seconds; server CPU (utime + stime, all threads) per MiB received,
# ways interleaved within each round, medians over ROUNDS.
# Usage: bench/bulk_send_ways.sh [BIN]   (BIN: build/rel/bench/bulk/bulk-send)
# Ways: copy (send), vectored (sendmsg of 4 parts), registered (a FixedBuffer, copied by the
# kernel), zerocopy (a FixedBuffer, IORING_OP_SEND_ZC; CORING_SEND_ZC=always keeps it zero-copy
# although loopback copies, so the way's own cost is measured).
set -euo pipefail
bin=${1:-build/rel/bench/bulk/bulk-send}
rounds=${ROUNDS:-3}
dur=${DUR:-3}
ways=${WAYS:-"uring:copy uring:vectored uring:registered uring:zerocopy epoll:copy epoll:vectored epoll:registered"}
out=${OUT:-$(mktemp -d)}
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT
tick_ms=$((1000 / $(getconf CLK_TCK)))
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "round way MiB_per_s server_cpu_ms_per_MiB" | tee "$out/cpu.txt"
for r in $(seq "$rounds"); do
  for w in $ways; do
    CORING_SEND_ZC=always taskset -c 0 "$bin" server "${w%%:*}" "${w#*:}" 0 >"$out/server.log" 2>&1 &
    pid=$!
    port=""
    for _ in $(seq 200); do
      port=$(awk '/^listening/ {print $2}' "$out/server.log")
      [ -n "$port" ] && break
      sleep 0.05
    done
    if [ -z "$port" ]; then  # not listening after 10 s (a loaded machine): the round of this way is lost
      echo "$r $w: server did not start: $(head -3 "$out/server.log")" >&2
      kill "$pid"
      wait "$pid" || true
      pid=""
      continue
    fi
    t0=$(cpu_ticks "$pid")
    bytes=$(taskset -c 1 "$bin" client "$port" 4 "$dur")
    t1=$(cpu_ticks "$pid")
    kill "$pid"
    wait "$pid" || true
    pid=""
    awk -v r="$r" -v w="$w" -v b="$bytes" -v d="$dur" -v t=$(((t1 - t0) * tick_ms)) \
      'BEGIN {m = b / 1048576; printf "%s %s %.0f %.3f\n", r, w, m / d, t / m}' | tee -a "$out/cpu.txt"
  done
done
echo
echo "medians: way MiB_per_s server_cpu_ms_per_MiB"
for w in $ways; do
  awk -v w="$w" '$2 == w {print $3, $4}' "$out/cpu.txt" |
    sort -n -k2 | awk -v w="$w" '{a[NR] = $1; b[NR] = $2} END {m = int((NR + 1) / 2); print w, a[m], b[m]}'
done
