#!/usr/bin/env bash
# starvation.sh: one connection keeps every buffer it receives; the echo connections of the same shard go on. Their p99 with the holder against the quiet case.
#
# Method. coring-echo runs with one shard pinned to core $SERVER_CPU, a small
# receive pool (--buffers $BUFFERS, 8 per connection: without the budget one
# holder would take all of it) and --hold-port: connections there keep every
# buffer until recv() refuses at their share (paused, not closed), hold them
# $HOLD_MS ms, release them and read on. coring-load, pinned to core
# $LOAD_CPU, echoes $SIZE-byte messages on $CONNS connections for $DURATION
# s (closed loop, every byte verified) and reports p99. A round is "quiet"
# (no holder) or "held" (a client, on $LOAD_CPU too, streams into the hold
# port as fast as it is let); rounds alternate quiet, held, ... per backend.
# Each held round must show the holder paused more than once (it resumed in
# between; the server's "receives paused" count) and its client still
# connected at the end. The table gives medians and held / quiet p99.
#
# The machine is shared and noisy: compare the ratio of one run.
# Usage: bench/starvation.sh   (env: BACKENDS="uring epoll" ROUNDS=5 CONNS=50 SIZE=64
#        DURATION=5 BUFFERS=64 HOLD_MS=100 NO_BUILD=1 OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BACKENDS=${BACKENDS:-"uring epoll"}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-50}
SIZE=${SIZE:-64}
DURATION=${DURATION:-5}
BUFFERS=${BUFFERS:-64}
HOLD_MS=${HOLD_MS:-100}
OUT=${OUT:-$(mktemp -d /tmp/coring-starvation.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"

if [[ ${NO_BUILD:-0} != 1 ]]; then
  log "building Release in $BUILD_DIR"
  cmake -S "$BENCH_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 || die "cmake failed"
  cmake --build "$BUILD_DIR" -j2 --target coring-echo coring-load >"$BUILD_DIR.build.log" 2>&1 ||
    { tail -30 "$BUILD_DIR.build.log" >&2; die "build failed"; }
fi
raise_nofile

# The holder's client: streams zeros into PORT until SIGTERM; then prints the
# bytes it sent and whether the connection was still open (no error, no EOF).
HOLDER_PY='
import signal, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sent, chunk, state = 0, bytes(65536), "open"
signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
try:
    while True:
        sent += s.send(chunk)
except KeyboardInterrupt:
    pass
except OSError as e:
    state = "closed (%s)" % e
print("sent %d bytes; connection %s" % (sent, state), flush=True)
'

# one_round BACKEND MODE TAG: prints p99 (us); checks the held round's evidence.
one_round() {
  local backend=$1 mode=$2 tag=$3 hold_port
  pick_port
  local port=$PORT
  pick_port
  hold_port=$PORT
  taskset -c "$SERVER_CPU" "$ECHO_BIN" --port "$port" --backend "$backend" --shards 1 --buffers "$BUFFERS" \
    --hold-port "$hold_port" --hold-ms "$HOLD_MS" >"$OUT/$tag.server.log" 2>&1 &
  local spid=$! hpid=
  wait_for_line "$OUT/$tag.server.log" "listening on" 60 || { cat "$OUT/$tag.server.log" >&2; die "server did not start"; }
  grep -qE "backend $backend" "$OUT/$tag.server.log" || die "$tag: server is not running $backend"
  if [[ $mode == held ]]; then
    taskset -c "$LOAD_CPU" python3 -c "$HOLDER_PY" "$hold_port" >"$OUT/$tag.holder.log" 2>&1 &
    hpid=$!
    sleep 0.3  # at its share by now
  fi
  local json
  json=$(run_load "$OUT/$tag.load.log" --port "$port" --connections "$CONNS" --size "$SIZE" --duration "$DURATION") ||
    { stop_pid "$spid" 5 || true; die "load failed ($tag): $json"; }
  if [[ -n $hpid ]]; then
    kill -TERM "$hpid"
    wait "$hpid" || true
  fi
  stop_pid "$spid" 10 || true
  [[ $(json_num "$json" verify_failures) == 0 && $(json_num "$json" errors) == 0 ]] || die "errors in $tag: $json"
  if [[ $mode == held ]]; then
    local paused
    paused=$(sed -nE 's/.* ([0-9]+) receives paused at a share.*/\1/p' "$OUT/$tag.server.log" | tail -1)
    grep -q "connection open" "$OUT/$tag.holder.log" || { cat "$OUT/$tag.holder.log" >&2; die "$tag: the holder's connection was closed"; }
    ((${paused:-0} > 1)) || die "$tag: the holder was paused ${paused:-0} times (expected several: paused, resumed, paused)"
    echo "$tag: holder paused $paused times; $(cat "$OUT/$tag.holder.log")" >>"$OUT/holder.txt"
  fi
  json_num "$json" p99  # (inside "latency_us")
}

declare -A P99
log "backends: $BACKENDS; $ROUNDS rounds of quiet and held; $CONNS conns x $SIZE B for ${DURATION}s; pool $BUFFERS buffers; results in $OUT"
echo "round,backend,mode,p99_us" >"$OUT/starvation.csv"
printf '%-5s %-6s %-6s %10s\n' round backend mode "p99 us"
for ((r = 1; r <= ROUNDS; r++)); do
  for b in $BACKENDS; do
    for mode in quiet held; do
      p=$(one_round "$b" "$mode" "r$r.$b.$mode")
      P99[$b.$mode]+="$p "
      echo "$r,$b,$mode,$p" >>"$OUT/starvation.csv"
      printf '%-5s %-6s %-6s %10s\n' "$r" "$b" "$mode" "$p"
    done
  done
done

echo
echo "medians of $ROUNDS interleaved rounds; $CONNS conns x $SIZE B echo, pool $BUFFERS buffers (8 per connection); server cpu $SERVER_CPU, load cpu $LOAD_CPU"
printf '%-7s %12s %12s %14s\n' backend "quiet p99" "held p99" "held / quiet"
for b in $BACKENDS; do
  # shellcheck disable=SC2086
  q=$(median ${P99[$b.quiet]})
  # shellcheck disable=SC2086
  h=$(median ${P99[$b.held]})
  printf '%-7s %12s %12s %14s\n' "$b" "$q" "$h" "$(awk -v a="$h" -v b="$q" 'BEGIN {printf "%.2f", a / b}')"
done
echo "holder evidence: $OUT/holder.txt; csv: $OUT/starvation.csv"
