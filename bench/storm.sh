#!/usr/bin/env bash
# Reconnect storm: N clients connected to one coring-http that restarts; with and without jitter in their reconnect backoff: connects per 10 ms, failed connects, kernel listen drops, time until all are back.
#
#   bench/storm.sh        env: N=5000 RATE=1000 DOWN_MS=1000 BACKOFF_MIN=10 BACKOFF_MAX=1000 ROUNDS=3 STOP=KILL
#                              BACKEND=uring (the server's) LOAD_BACKEND=uring (the clients') OUT=scratch dir, BUILD_DIR, NO_BUILD=1
#
# Each run: coring-http (1 shard, cpu $SERVER_CPU) and coring-load --http --reconnect with N connections
# at RATE requests/s in total (open loop; cpu $LOAD_CPU), --timeline in 10 ms buckets. After 2 s the
# server gets SIG$STOP: KILL (a crash: the kernel closes every socket within milliseconds, so every
# client sees its close at about the same moment), or TERM (the graceful stop, which closes the idle
# connections one by one); a new server starts on the same port DOWN_MS after the old one is gone. Clients
# reconnect after a backoff: attempt n waits min(BACKOFF_MAX, BACKOFF_MIN * 2^n) ms (--no-jitter), or
# a uniform draw below that (full jitter). Modes alternate (jitter, no jitter) for ROUNDS rounds.
# Reported per run: the largest number of connects in one 10 ms bucket, failed connect attempts, the
# kernel's ListenOverflows / ListenDrops / SyncookiesSent during the run (machine-wide: other
# processes' connections count too), and the time from the new server's start until all N
# clients are connected again (and until 99% are). Raw files stay in OUT.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N=${N:-5000} RATE=${RATE:-1000} DOWN_MS=${DOWN_MS:-1000} ROUNDS=${ROUNDS:-3}
BACKOFF_MIN=${BACKOFF_MIN:-10} BACKOFF_MAX=${BACKOFF_MAX:-1000} BACKEND=${BACKEND:-uring} STOP=${STOP:-KILL}
HTTP_BIN=$BUILD_DIR/apps/http/coring-http
OUT=${OUT:-$(mktemp -d /tmp/coring-storm.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"
bench_build
[[ ${NO_BUILD:-0} == 1 ]] || cmake --build "$BUILD_DIR" -j2 --target coring-http >>"$BUILD_DIR.build.log" 2>&1 || die "build failed"
raise_nofile

# The TcpExt counters named on the command line, from /proc/net/netstat, on one line.
tcpext() {
  awk -v want="$*" '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) name[i] = $i; h = 1; next }
    n = split(want, w, " "); for (j = 1; j <= n; j++) for (i = 2; i <= NF; i++) if (name[i] == w[j]) printf "%s ", $i; print "" }' \
    /proc/net/netstat
}
COUNTERS="ListenOverflows ListenDrops SyncookiesSent"

start_http() {  # start_http PORT LOG: sets HTTP_PID and HTTP_UP_NS (when it printed its listening line)
  taskset -c "$SERVER_CPU" "$HTTP_BIN" --host 127.0.0.1 --port "$1" --backend "$BACKEND" --shards 1 \
    --drain-grace 0 --drain-timeout 1000 --log-level warn >"$2" 2>&1 &
  HTTP_PID=$!
  for _ in $(seq 2000); do grep -q 'listening on' "$2" && break; sleep 0.005; done
  HTTP_UP_NS=$(date +%s%N)
  grep -q 'listening on' "$2" || { cat "$2" >&2; die "coring-http did not start"; }
}

one_run() {  # one_run ROUND MODE: prints one summary row
  local r=$1 mode=$2 tag="r$1.$2" jitter=()
  [[ $mode == no-jitter ]] && jitter=(--no-jitter)
  pick_port
  start_http "$PORT" "$OUT/$tag.http1.log"
  local dur=$((2 + DOWN_MS / 1000 + 8))
  taskset -c "$LOAD_CPU" "$LOAD_BIN" --backend "$LOAD_BACKEND" --http --host 127.0.0.1 --port "$PORT" --connections "$N" \
    --rate "$RATE" --duration "$dur" --expect-body 13 --reconnect --backoff-min "$BACKOFF_MIN" \
    --backoff-max "$BACKOFF_MAX" "${jitter[@]}" --timeline "$OUT/$tag.timeline.csv" \
    >"$OUT/$tag.json" 2>"$OUT/$tag.load.log" &
  local load=$!
  wait_for_line "$OUT/$tag.load.log" "established" 60 || die "load did not connect"
  local t0; t0=$(date +%s%N)  # ~ the timeline's start (the run starts right after this line)
  sleep 2
  local before; before=$(tcpext $COUNTERS)
  kill -"$STOP" "$HTTP_PID"
  wait "$HTTP_PID" || [[ $STOP == KILL ]] || die "coring-http exited with status $?"
  sleep "$(awk -v ms="$DOWN_MS" 'BEGIN {print ms / 1000}')"
  start_http "$PORT" "$OUT/$tag.http2.log"
  local up_ms=$(((HTTP_UP_NS - t0) / 1000000))
  wait "$load" || true  # failed requests make it exit 1; they are reported below
  local after; after=$(tcpext $COUNTERS)
  stop_pid "$HTTP_PID" 5 || true
  python3 - "$OUT/$tag.timeline.csv" "$N" "$up_ms" "$OUT/$tag.json" "$before" "$after" "$r" "$mode" <<'PY'
import csv, json, sys
path, n, up_ms, jpath, before, after, rnd, mode = sys.argv[1:]
n, up_ms = int(n), float(up_ms)
rows = [dict((k, float(v)) for k, v in row.items()) for row in csv.DictReader(open(path))]
j = json.load(open(jpath))
first_close = next((r["t_ms"] for r in rows if r["closes"] > 0), None)
total, t_all, t_99 = 0, None, None
for r in rows:
    if first_close is None or r["t_ms"] < first_close:
        continue
    total += r["connects"]
    if t_99 is None and total >= 0.99 * n:
        t_99 = r["t_ms"] + 10
    if t_all is None and total >= n:
        t_all = r["t_ms"] + 10
peak = max((r["connects"] for r in rows), default=0)
busy = sum(1 for r in rows if r["connects"] > 0)
d = [int(a) - int(b) for a, b in zip(after.split(), before.split())]
fmt = lambda t: "never" if t is None else "%.0f" % (t - up_ms)
print(f"{rnd},{mode},{n},{int(peak)},{busy},{j['reconnect_failures']},{d[0]},{d[1]},{d[2]},"
      f"{fmt(t_99)},{fmt(t_all)},{j['reconnects']},{j['failed_requests']},{j['latency_us']['p99'] / 1000:.0f}")
PY
}

log "N=$N RATE=$RATE DOWN_MS=$DOWN_MS SIG$STOP, backoff ${BACKOFF_MIN}..${BACKOFF_MAX} ms, server $BACKEND, $ROUNDS rounds; raw files in $OUT"
CSV=$OUT/storm.csv
echo "round,mode,clients,peak_connects_per_10ms,buckets_with_connects,failed_connects,listen_overflows,listen_drops,syncookies_sent,ms_to_99pct_back,ms_to_all_back,reconnects,failed_requests,p99_ms" >"$CSV"
for r in $(seq "$ROUNDS"); do
  for mode in jitter no-jitter; do
    row=$(one_run "$r" "$mode")
    echo "$row" >>"$CSV"
    log "$row"
  done
done
column -s, -t "$CSV"
echo "csv: $CSV"
