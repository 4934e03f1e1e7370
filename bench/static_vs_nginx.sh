#!/usr/bin/env bash
# static_vs_nginx.sh: static files of 4 KiB, 100 KiB and 1 MiB from coring-http (one shard; io_uring with splice and
# with read+send, epoll with sendfile) and nginx 1.22 (one process, sendfile on): requests/s and server CPU per request.
#
# The server is pinned to cpu $SERVER_CPU, wrk -t1 -c$CONNS to cpu $LOAD_CPU, $DURATION s per run; servers
# interleaved within each size, $ROUNDS rounds; medians. CPU per request = on-CPU time of all the server's threads
# (/proc/PID/task/*/schedstat; io_uring's io-wq workers are threads of the process) over the run / requests.
# Writes $OUT/runs.csv (every run), $OUT/medians.csv (with ratios to nginx) and $OUT/static_vs_nginx.png (gnuplot).
#
# Usage: bench/static_vs_nginx.sh [BIN]   (env: ROUNDS=3 DURATION=5 CONNS=20 SIZES="4k 100k 1m"
#        SERVERS="nginx uring:splice uring:read epoll:sendfile" OUT=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

BIN=${1:-$BENCH_ROOT/build/rel/apps/http/coring-http}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-20}
SIZES=${SIZES:-"4k 100k 1m"}
SERVERS=${SERVERS:-"nginx uring:splice uring:read epoll:sendfile"}
OUT=${OUT:-$(mktemp -d /tmp/coring-static-vs-nginx.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"
command -v wrk >/dev/null || die "wrk missing: scripts/deps.sh --bench"
command -v nginx >/dev/null || die "nginx missing: scripts/deps.sh --bench (nginx-light)"
[[ -x $BIN ]] || die "no coring-http at $BIN"
raise_nofile

ROOT=$OUT/root
mkdir -p "$ROOT"
bytes_of() { case $1 in 4k) echo 4096 ;; 100k) echo $((100 << 10)) ;; 1m) echo $((1 << 20)) ;; 64m) echo $((64 << 20)) ;; esac; }
for s in $SIZES; do head -c "$(bytes_of "$s")" /dev/urandom >"$ROOT/$s.bin"; done
SERVER_PID=
trap '[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null || true' EXIT

# start_target SERVER PORT TAG: pinned to $SERVER_CPU; sets SERVER_PID; waits until it serves the smallest file.
start_target() {
  local server=$1 port=$2 tag=$3 i probe
  if [[ $server == nginx ]]; then
    local prefix=$OUT/$tag.nginx
    mkdir -p "$prefix"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@ROOT@|$ROOT|g" \
      "$BENCH_ROOT/bench/peers/nginx_static.conf" >"$prefix/nginx.conf"
    taskset -c "$SERVER_CPU" nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" >"$OUT/$tag.log" 2>&1 &
  else
    CORING_SEND_FILE=${server#*:} taskset -c "$SERVER_CPU" "$BIN" --host 127.0.0.1 --port "$port" \
      --backend "${server%%:*}" --shards 1 --max-requests-per-connection 0 --root "$ROOT" >"$OUT/$tag.log" 2>&1 &
  fi
  SERVER_PID=$!
  probe=${SIZES%% *}
  for ((i = 0; i < 300; i++)); do
    curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$port/static/$probe.bin" 2>/dev/null && break
    sleep 0.1
  done
  ((i < 300)) || { cat "$OUT/$tag.log" >&2; die "$server did not start"; }
  if [[ $server != nginx ]]; then
    grep -q "send_file=${server#*:}" "$OUT/$tag.log" || { cat "$OUT/$tag.log" >&2; die "$server: wrong backend or way"; }
  fi
}

echo "round,size,server,requests_per_s,cpu_us_per_request" >"$OUT/runs.csv"
log "servers: $SERVERS; sizes: $SIZES; wrk -t1 -c$CONNS ${DURATION}s; $ROUNDS rounds; server cpu $SERVER_CPU, wrk cpu $LOAD_CPU; out $OUT"
for ((r = 1; r <= ROUNDS; r++)); do
  for s in $SIZES; do
    for srv in $SERVERS; do
      pick_port
      tag="r$r.$s.${srv/:/-}"
      start_target "$srv" "$PORT" "$tag"
      url="http://127.0.0.1:$PORT/static/$s.bin"
      taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d1s "$url" >/dev/null 2>&1 || true  # warm: page cache, spares
      c0=$(cpu_ns "$SERVER_PID")
      taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 30s "$url" >"$OUT/$tag.wrk" 2>&1 ||
        die "wrk failed ($tag)"
      c1=$(cpu_ns "$SERVER_PID")
      stop_pid "$SERVER_PID" 10 || true
      SERVER_PID=
      if grep -qE 'Non-2xx|Socket errors' "$OUT/$tag.wrk"; then cat "$OUT/$tag.wrk" >&2; die "errors in $tag"; fi
      read -r n rps < <(awk '/requests in/ {n = $1} /^Requests\/sec/ {r = $2} END {print n, r}' "$OUT/$tag.wrk")
      cpr=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {printf "%.2f", (b - a) / 1000 / n}')
      echo "$r,$s,$srv,$rps,$cpr" | tee -a "$OUT/runs.csv"
    done
  done
done

# Medians and ratios to nginx (requests/s: coring/nginx, higher is better; CPU: coring/nginx, lower is better).
echo "size,server,requests_per_s,cpu_us_per_request,rps_ratio_to_nginx,cpu_ratio_to_nginx" >"$OUT/medians.csv"
for s in $SIZES; do
  declare -A MR=() MC=()
  for srv in $SERVERS; do
    # shellcheck disable=SC2046
    MR[$srv]=$(median $(awk -F, -v s="$s" -v v="$srv" '$2 == s && $3 == v {print $4}' "$OUT/runs.csv"))
    # shellcheck disable=SC2046
    MC[$srv]=$(median $(awk -F, -v s="$s" -v v="$srv" '$2 == s && $3 == v {print $5}' "$OUT/runs.csv"))
  done
  for srv in $SERVERS; do
    awk -v s="$s" -v v="$srv" -v r="${MR[$srv]}" -v c="${MC[$srv]}" -v nr="${MR[nginx]:-0}" -v nc="${MC[nginx]:-0}" \
      'BEGIN {a = "na"; b = "na"; if (nr > 0) a = sprintf("%.2f", r / nr); if (nc > 0) b = sprintf("%.2f", c / nc)
              printf "%s,%s,%.0f,%.2f,%s,%s\n", s, v, r, c, a, b}' \
      >>"$OUT/medians.csv"
  done
done
echo
echo "medians of $ROUNDS interleaved rounds (ratios: coring / nginx)"
column -t -s, "$OUT/medians.csv"

if command -v gnuplot >/dev/null; then
  # One row per size, one column per server: requests/s and CPU per request, side by side.
  for col in 3 4; do
    {
      printf 'size'
      for srv in $SERVERS; do printf ' %s' "$srv"; done
      echo
      for s in $SIZES; do
        printf '%s' "$s"
        for srv in $SERVERS; do
          printf ' %s' "$(awk -F, -v s="$s" -v v="$srv" -v c="$col" '$1 == s && $2 == v {print $c}' "$OUT/medians.csv")"
        done
        echo
      done
    } >"$OUT/plot$col.dat"
  done
  n=$(wc -w <<<"$SERVERS")
  gnuplot <<GP
set terminal pngcairo size 1100,420
set output "$OUT/static_vs_nginx.png"
set multiplot layout 1,2 title "static files: coring-http (1 shard) vs nginx (1 worker), wrk -t1 -c$CONNS, medians of $ROUNDS"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right font ",9"
set grid ytics
set logscale y
set title "requests/s (higher is better)"
plot for [i=2:$((n + 1))] "$OUT/plot3.dat" using i:xtic(1) title columnheader(i)
set title "server CPU per request, us (lower is better)"
plot for [i=2:$((n + 1))] "$OUT/plot4.dat" using i:xtic(1) title columnheader(i)
unset multiplot
GP
  log "plot: $OUT/static_vs_nginx.png"
fi
