#!/usr/bin/env bash
# http_vs_nginx.sh: coring-http (uring, epoll; one shard) against nginx (one process) on one core: requests/s and user-space instructions per request, keep-alive, with and without pipelining.
#
# Setup. Every server answers GET / with "Hello, World!" (text/plain), keep-alive
# without a request limit: nginx from bench/peers/nginx.conf (one process,
# master_process off, access_log off, its own prefix, pid and temp paths under
# a temporary directory), coring-http with --shards 1. The server is pinned to
# core $SERVER_CPU, wrk (-t1 -c$CONNS) to core $LOAD_CPU. Two modes: "plain"
# (one request in flight per connection) and "pipe$DEPTH" (bench/peers/pipeline.lua:
# $DEPTH requests written at once per connection).
#
# Throughput: wrk for $DURATION s per run, and the server's on-CPU time per
# request over that run (all its threads, /proc/PID/task/*/schedstat); the servers are interleaved
# (nginx uring epoll nginx uring epoll ...) for $ROUNDS rounds; medians.
#
# Instructions per request: this machine has no PMU (perf stat -e instructions
# says "not supported"), so, as in echo_efficiency.sh, the server runs under
# valgrind's callgrind, which counts user-space instructions (Ir) exactly.
#     Ir per request = (Ir(run with wrk for $CG_DURATION s) - Ir(run with no request)) / requests
# with requests as counted by wrk (responses received: requests still in
# flight when wrk stops, at most CONNS*DEPTH, are counted in Ir but not in
# the divisor, a bias under 2% at the request counts reached here). Kernel
# instructions (the syscalls, TCP) cannot be measured here at all. Under
# callgrind the server is ~50x slower than wrk, so it always finds many
# requests ready: per-loop-turn costs are amortised for every server alike.
#
# Against an older build (no regression): BASE_BUILD_DIR=dir (coring-http built there, e.g.
# from a `git worktree` of the old commit) adds the servers base-uring and base-epoll, run
# in the same rounds: SERVERS="nginx uring base-uring epoll base-epoll".
#
# Usage: bench/http_vs_nginx.sh   (env: ROUNDS=3 DURATION=5 CG_DURATION=10 CONNS=100 DEPTH=16
#        SERVERS="nginx uring epoll" NO_BUILD=1 NO_CALLGRIND=1 OUT=dir BASE_BUILD_DIR=dir)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

HTTP_BIN=$BUILD_DIR/apps/http/coring-http
BASE_HTTP_BIN=${BASE_BUILD_DIR:+$BASE_BUILD_DIR/apps/http/coring-http}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CG_DURATION=${CG_DURATION:-10}
CONNS=${CONNS:-100}
DEPTH=${DEPTH:-16}
SERVERS=${SERVERS:-"nginx uring epoll"}
MODES="plain pipe$DEPTH"
PEERS=$BENCH_ROOT/bench/peers
OUT=${OUT:-$(mktemp -d /tmp/coring-http-vs-nginx.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"

command -v wrk >/dev/null || die "wrk missing: scripts/deps.sh --bench"
command -v nginx >/dev/null || die "nginx missing: scripts/deps.sh --bench (nginx-light)"
if [[ ${NO_BUILD:-0} != 1 ]]; then
  log "building Release coring-http in $BUILD_DIR"
  cmake -S "$BENCH_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 || die "cmake failed"
  cmake --build "$BUILD_DIR" -j2 --target coring-http >"$BUILD_DIR.build.log" 2>&1 ||
    { tail -30 "$BUILD_DIR.build.log" >&2; die "build failed"; }
fi
raise_nofile

# start_target SERVER PORT TAG [WRAPPER...]: the server pinned to $SERVER_CPU; sets SERVER_PID; waits until it answers.
start_target() {
  local server=$1 port=$2 tag=$3 i
  shift 3
  if [[ $server == nginx ]]; then
    local prefix=$OUT/$tag.nginx
    mkdir -p "$prefix"
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" "$PEERS/nginx.conf" >"$prefix/nginx.conf"
    taskset -c "$SERVER_CPU" "$@" nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" >"$OUT/$tag.server.log" 2>&1 &
  else
    local bin=$HTTP_BIN
    if [[ $server == base-* ]]; then
      [[ -x ${BASE_HTTP_BIN:-} ]] || die "$server: set BASE_BUILD_DIR to a build with apps/http/coring-http"
      bin=$BASE_HTTP_BIN
    fi
    taskset -c "$SERVER_CPU" "$@" "$bin" --host 127.0.0.1 --port "$port" --backend "${server#base-}" --shards 1 \
      --max-requests-per-connection 0 >"$OUT/$tag.server.log" 2>&1 &
  fi
  SERVER_PID=$!
  for ((i = 0; i < 600; i++)); do
    [[ $(curl -s --max-time 5 "http://127.0.0.1:$port/" 2>/dev/null) == "Hello, World!" ]] && break
    sleep 0.1
  done
  ((i < 600)) || { cat "$OUT/$tag.server.log" >&2; stop_pid "$SERVER_PID" 2 || true; die "$server did not start"; }
  if [[ $server != nginx ]]; then  # a uring server that fell back to epoll would measure the wrong thing
    grep -q "${server#base-} backend" "$OUT/$tag.server.log" || { cat "$OUT/$tag.server.log" >&2; die "$server: wrong backend"; }
  fi
}

# run_wrk PORT MODE SECONDS TAG: prints "REQUESTS RPS"; fails on non-2xx answers or socket errors.
run_wrk() {
  local port=$1 mode=$2 secs=$3 tag=$4 script=()
  [[ $mode == plain ]] || script=(-s "$PEERS/pipeline.lua")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${secs}s" --timeout 30s "${script[@]}" "http://127.0.0.1:$port/" \
    ${script:+-- "$DEPTH"} >"$OUT/$tag.wrk" 2>&1 || die "wrk failed ($tag)"
  if grep -qE 'Non-2xx|Socket errors' "$OUT/$tag.wrk"; then cat "$OUT/$tag.wrk" >&2; die "errors in $tag"; fi
  awk '/requests in/ {n = $1} /^Requests\/sec/ {r = $2} END {print n, r}' "$OUT/$tag.wrk"
}

# callgrind_ir SERVER MODE TAG: user-space instructions of one server run (MODE "zero": no request).
callgrind_ir() {
  local server=$1 mode=$2 tag=$3 n=0 rps
  pick_port
  start_target "$server" "$PORT" "$tag" valgrind --tool=callgrind --callgrind-out-file="$OUT/$tag.callgrind" --dump-instr=no
  [[ $mode == zero ]] || read -r n rps < <(run_wrk "$PORT" "$mode" "$CG_DURATION" "$tag")
  sleep 0.3
  stop_pid "$SERVER_PID" 30 || die "$server ($tag) had to be killed: no callgrind totals"
  local ir
  ir=$(awk '/^totals:/ {print $2}' "$OUT/$tag.callgrind"*)
  [[ -n $ir ]] || die "no totals in $OUT/$tag.callgrind"
  echo "$ir $n"
}

declare -A RPS IPR CPR
log "servers: $SERVERS; modes: $MODES; $CONNS connections; $ROUNDS rounds; server cpu $SERVER_CPU, wrk cpu $LOAD_CPU; results in $OUT"
printf '%-5s %-10s %-7s %12s %10s | %14s %10s %10s\n' round server mode "requests/s" "cpu us/req" "Ir(run)" requests "Ir/req"
for ((r = 1; r <= ROUNDS; r++)); do
  for s in $SERVERS; do
    for m in $MODES; do
      pick_port
      start_target "$s" "$PORT" "r$r.$s.$m.native"
      c0=$(cpu_ns "$SERVER_PID")
      read -r n rps < <(run_wrk "$PORT" "$m" "$DURATION" "r$r.$s.$m.native")
      c1=$(cpu_ns "$SERVER_PID")
      stop_pid "$SERVER_PID" 10 || true
      RPS[$s.$m]+="$rps "
      cpr=$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {printf "%.3f", (b - a) / 1000 / n}')
      CPR[$s.$m]+="$cpr "
      ipr=na ir=na cn=na
      if [[ ${NO_CALLGRIND:-0} != 1 ]]; then
        [[ $m == plain ]] && read -r IR0 _ < <(callgrind_ir "$s" zero "r$r.$s.zero")
        read -r ir cn < <(callgrind_ir "$s" "$m" "r$r.$s.$m.cg")
        ipr=$(awk -v a="$ir" -v b="$IR0" -v n="$cn" 'BEGIN {printf "%.0f", (a - b) / n}')
        IPR[$s.$m]+="$ipr "
      fi
      printf '%-5s %-10s %-7s %12s %10s | %14s %10s %10s\n' "$r" "$s" "$m" "$rps" "$cpr" "$ir" "$cn" "$ipr"
    done
  done
done

echo
echo "medians of $ROUNDS interleaved rounds; wrk -t1 -c$CONNS (${DURATION}s native, ${CG_DURATION}s under callgrind), server on cpu $SERVER_CPU, wrk on cpu $LOAD_CPU"
printf '%-10s %-7s %12s %12s %14s   %s\n' server mode "requests/s" "cpu us/req" "user Ir/req" "(Ir/req samples)"
declare -A MED MEDCPU
for s in $SERVERS; do
  for m in $MODES; do
    # shellcheck disable=SC2086
    rps=$(median ${RPS[$s.$m]})
    ipr=na
    # shellcheck disable=SC2086
    [[ -n ${IPR[$s.$m]:-} ]] && ipr=$(median ${IPR[$s.$m]})
    MED[$s.$m]=$ipr
    # shellcheck disable=SC2086
    cpr=$(median ${CPR[$s.$m]})
    MEDCPU[$s.$m]=$cpr
    printf '%-10s %-7s %12.0f %12s %14s   (%s)\n' "$s" "$m" "$rps" "$cpr" "$ipr" "${IPR[$s.$m]:-}"
  done
done
for s in $SERVERS; do  # this build against the base build, where both ran
  [[ $s == base-* || " $SERVERS " != *" base-$s "* ]] && continue
  for m in $MODES; do
    awk -v s="$s" -v m="$m" -v a="${MEDCPU[$s.$m]}" -v b="${MEDCPU[base-$s.$m]}" -v c="${MED[$s.$m]}" -v d="${MED[base-$s.$m]}" \
      'BEGIN {printf "%s/base-%s %s: cpu per request %.3f", s, s, m, a / b; if (c != "na" && d != "na") printf ", user instructions per request %.3f", c / d; print ""}'
  done
done
if [[ " $SERVERS " == *" nginx "* ]]; then  # CPU per request against nginx's (medians)
  for s in $SERVERS; do
    [[ $s == nginx ]] && continue
    awk -v s="$s" -v a="${MEDCPU[$s.plain]}" -v b="${MEDCPU[nginx.plain]}" -v c="${MEDCPU[$s.pipe$DEPTH]}" -v d="${MEDCPU[nginx.pipe$DEPTH]}" -v k="$DEPTH" \
      'BEGIN {printf "%s/nginx cpu per request: keep-alive %.3f, pipelined x%d %.3f\n", s, a / b, k, c / d}'
  done
fi
if [[ " $SERVERS " == *" nginx "* && ${NO_CALLGRIND:-0} != 1 ]]; then
  for s in $SERVERS; do
    [[ $s == nginx ]] && continue
    awk -v a="${MED[$s.plain]}" -v b="${MED[nginx.plain]}" -v c="${MED[$s.pipe$DEPTH]}" -v d="${MED[nginx.pipe$DEPTH]}" -v s="$s" -v k="$DEPTH" \
      'BEGIN {printf "%s/nginx user instructions per request: keep-alive %.3f (target <= 0.667), pipelined x%d %.3f (target <= 0.200)\n", s, a / b, k, c / d}'
  done
  echo "kernel instructions: not measurable here (no PMU); callgrind counts user space only"
  for s in $SERVERS; do
    callgrind_annotate "$OUT/r$ROUNDS.$s.plain.cg.callgrind"* >"$OUT/$s.plain.annotate.txt" 2>/dev/null || true
    callgrind_annotate "$OUT/r$ROUNDS.$s.pipe$DEPTH.cg.callgrind"* >"$OUT/$s.pipe.annotate.txt" 2>/dev/null || true
  done
  echo "per-function breakdown: $OUT/<server>.{plain,pipe}.annotate.txt (last round)"
fi
