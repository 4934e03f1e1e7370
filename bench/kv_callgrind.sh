#!/usr/bin/env bash
# kv_callgrind.sh: coring-kv's user-space instructions per request under redis-benchmark (callgrind), per test and pipeline depth.
#
# coring-kv --shards 1 runs under valgrind --tool=callgrind on core $SERVER_CPU;
# redis-benchmark (core $LOAD_CPU) runs each test in turn:
#     redis-benchmark -p PORT -t TEST -n $N -c $CONNS -P DEPTH     TEST in set, get, incr, mset
# Before each run the counters are zeroed (callgrind_control -z) and after it
# they are dumped (callgrind_control -d: signals do not reach a process blocked
# in io_uring_enter), so each figure is that test's instructions over its $N
# requests, start-up excluded. User space only (no PMU here for the kernel).
# Repeatable to about 1%: one round is enough to compare two builds.
#
# Usage: bench/kv_callgrind.sh   (env: N=20000 CONNS=50 DEPTHS="1 16" TESTS="set get incr mset"
#        BACKEND=uring NO_BUILD=1 BUILD_DIR=build/... ANNOTATE=1: callgrind_annotate of each dump in $OUT)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

KV_BIN=$BUILD_DIR/apps/kv/coring-kv
N=${N:-20000}
CONNS=${CONNS:-50}
DEPTHS=${DEPTHS:-"1 16"}
TESTS=${TESTS:-"set get incr mset"}
BACKEND=${BACKEND:-uring}
OUT=${OUT:-$(mktemp -d /tmp/coring-kv-callgrind.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"
command -v redis-benchmark >/dev/null || die "redis-benchmark missing: scripts/deps.sh --bench (redis-tools)"
command -v callgrind_control >/dev/null || die "valgrind missing: scripts/deps.sh --bench (valgrind)"
build_kv
raise_nofile

# dumps DEPTH: how many callgrind dumps the server of that depth has written so far.
dumps() { find "$OUT" -maxdepth 1 -name "P$1.callgrind.*" | wc -l; }

log "N=$N per test, -c $CONNS, -P {$DEPTHS}, backend $BACKEND; dumps in $OUT"
printf '%-3s %-5s %14s\n' P test "instr/request"
for d in $DEPTHS; do
  pick_port
  taskset -c "$SERVER_CPU" valgrind --tool=callgrind --dump-instr=${DUMP_INSTR:-no} --callgrind-out-file="$OUT/P$d.callgrind" \
    "$KV_BIN" --bind 127.0.0.1 --port "$PORT" --shards 1 --backend "$BACKEND" >"$OUT/P$d.server.log" 2>&1 &
  SERVER_PID=$!
  trap 'kill -KILL "$SERVER_PID" 2>/dev/null || true' EXIT
  for ((i = 0; i < 300; i++)); do
    [[ $(redis-cli -p "$PORT" PING 2>/dev/null) == PONG ]] && break
    sleep 0.1
  done
  [[ $(redis-cli -p "$PORT" PING 2>/dev/null) == PONG ]] || { cat "$OUT/P$d.server.log" >&2; die "coring-kv did not start"; }
  total=0
  for t in $TESTS; do
    callgrind_control -z "$SERVER_PID" >/dev/null 2>&1
    taskset -c "$LOAD_CPU" redis-benchmark -p "$PORT" -t "$t" -n "$N" -c "$CONNS" -P "$d" -q >/dev/null 2>&1 ||
      die "redis-benchmark failed (P$d $t)"
    before=$(dumps "$d")
    callgrind_control -d "P$d.$t" "$SERVER_PID" >/dev/null 2>&1
    for ((i = 0; i < 100; i++)); do
      (($(dumps "$d") > before)) && break
      sleep 0.1
    done
    dump=$(ls -t "$OUT"/P"$d".callgrind.* | head -1)
    ir=$(awk '/^(totals|summary):/ {print $2; exit}' "$dump")
    [[ ${ANNOTATE:-0} == 1 ]] && callgrind_annotate "$dump" >"$OUT/P$d.$t.annotate.txt" 2>/dev/null
    printf '%-3s %-5s %14.0f\n' "$d" "$t" "$((ir / N))"
    total=$((total + ir))
  done
  printf '%-3s %-5s %14.0f\n' "$d" all "$((total / N / $(wc -w <<<"$TESTS")))"
  stop_pid "$SERVER_PID" 20 || true
done
