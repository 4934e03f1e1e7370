#!/usr/bin/env bash
# run.sh: the benchmark matrix (echo, HTTP plaintext, idle connections) over coring and its peers -> CSV + SVG in bench/results/.
#
# Usage: bash bench/run.sh [--quick | --full] [--only echo,open,http,idle] [--rounds N] [--out DIR]
#   --quick  a small matrix (under 5 minutes): 2 s runs, results in bench/results/quick/
#   --full   the whole matrix (under 45 minutes): results in bench/results/full/   (the default)
# Builds Release (coring-echo, coring-load, coring-http if the tree has it) and the peers
# (bench/peers/build.sh), pins every server to core $SERVER_CPU and every load generator to core
# $LOAD_CPU, and interleaves the systems (A B C A B C ...) for N rounds per configuration.
# A system whose binary is missing is skipped with a log line. See bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
for f in procstat systems measure echo http idle; do
  # shellcheck disable=SC1090
  source "$here/driver/$f.sh"
done

MODE=full ONLY=echo,open,http,idle ROUNDS=3 RESULTS=
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --only) ONLY=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --out) RESULTS=$2; shift ;;
    *) die "unknown argument $1 (see the top of $0)" ;;
  esac
  shift
done
RESULTS=${RESULTS:-$here/results/$MODE}

ECHO_SYSTEMS=${ECHO_SYSTEMS:-"coring-uring coring-epoll coring-threads asio-epoll asio-uring"}
HTTP_SYSTEMS=${HTTP_SYSTEMS:-"http-uring http-epoll nginx"}
IDLE_SYSTEMS=${IDLE_SYSTEMS:-"coring-uring coring-epoll coring-threads asio-epoll asio-uring"}
LOAD_SOURCES=${LOAD_SOURCES:-127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4}
IDLE_ACTIVE=${IDLE_ACTIVE:-8} IDLE_RATE=${IDLE_RATE:-800}  # idle runs: 8 connections send 800 msg/s in total
if [[ $MODE == quick ]]; then
  DURATION=2 SETTLE=0.3 WINDOW=1  # the window ends well before the load does (threads exit with it)
  # 1,000 connections only in the open-loop runs: each closed-loop run at 1k costs ~6 s of set-up.
  ECHO_MATRIX=${ECHO_MATRIX:-"100:64 100:16384"}           # connections:size
  OPEN_MATRIX=${OPEN_MATRIX:-"1000:64:20000"}              # connections:size:requests per second
  HTTP_MATRIX=${HTTP_MATRIX:-"100:1 100:16"}               # connections:pipeline depth
  IDLE_CONNS=${IDLE_CONNS:-"1000 5000"}
  IDLE_WINDOW=1.5 IDLE_ROUNDS=1
else
  DURATION=3 SETTLE=0.5 WINDOW=2
  ECHO_MATRIX=${ECHO_MATRIX:-$(for s in 64 1024 16384; do for c in 1 10 100 1000 10000 19000; do printf '%s:%s ' $c $s; done; done)}
  OPEN_MATRIX=${OPEN_MATRIX:-"1000:64:10000 1000:64:30000"}
  HTTP_MATRIX=${HTTP_MATRIX:-"10:1 100:1 1000:1 10000:1 10:16 100:16 1000:16 10000:16"}
  IDLE_CONNS=${IDLE_CONNS:-"1000 10000 19000"}
  IDLE_WINDOW=2 IDLE_ROUNDS=${IDLE_ROUNDS:-1}
fi
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# ---- build, environment ----
bash "$BENCH_ROOT/scripts/deps.sh" --bench
mkdir -p "$RESULTS" "$BUILD_DIR"
bench_build
if grep -q "coring-http" "$BENCH_ROOT/apps/CMakeLists.txt" "$BENCH_ROOT"/apps/*/CMakeLists.txt 2>/dev/null; then
  cmake --build "$BUILD_DIR" -j2 --target coring-http >>"$BUILD_DIR.build.log" 2>&1 || log "coring-http did not build"
fi
bash "$here/peers/build.sh" "$PEERS_DIR" >/dev/null || log "the Asio peers did not build: they will be skipped"
raise_nofile
OUT=$(mktemp -d /tmp/coring-run.XXXXXX)
SERVER_PID=
# Never leave a server behind, whatever stops the matrix.
trap '[[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null && stop_pid "$SERVER_PID" 5' EXIT
pmu_probe
[[ $PMU_OK == 1 ]] && log "PMU: perf counts instructions:u,k per request" ||
  log "PMU: not available (perf stat -e instructions says 'not supported'): instruction columns are na; see bench/echo_efficiency.sh (callgrind)"
log "mode $MODE, $ROUNDS rounds, logs in $OUT, results in $RESULTS"

header() {
  echo "# coring bench/run.sh --$MODE, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# machine: $(nproc) cpus, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM"
  echo "# kernel: $(uname -r); compiler: $(${CXX:-g++} --version | head -1); nginx: $(nginx -v 2>&1 | sed 's/.*: //'); wrk: $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "# commit: $(git -C "$BENCH_ROOT" rev-parse --short HEAD)$(git -C "$BENCH_ROOT" diff --quiet HEAD -- apps runtime include bench/peers || echo ' (modified)'); server on cpu $SERVER_CPU, load on cpu $LOAD_CPU; $DURATION s runs, figures over a ${WINDOW} s window; PMU: $([[ $PMU_OK == 1 ]] && echo yes || echo 'no (instructions na)')"
}
ECHO_CSV=$RESULTS/runs.csv
IDLE_CSV=$RESULTS/idle.csv
{ header; echo "$THROUGHPUT_HEADER"; } >"$ECHO_CSV"
{ header; echo "$IDLE_HEADER"; } >"$IDLE_CSV"
rm -f "$RESULTS"/cdf-*.txt
available() { local s out=(); for s in "$@"; do system_available "$s" && out+=("$s"); done; echo "${out[*]}"; }
T0=$SECONDS

# ---- echo, closed loop ----
if wants echo; then
  systems=$(available $ECHO_SYSTEMS)
  for cfg in $ECHO_MATRIX; do
    IFS=: read -r c s <<<"$cfg"
    for ((r = 1; r <= ROUNDS; r++)); do for sys in $systems; do echo_run "$sys" "$c" "$s" 0 "$r" || log "run failed: echo_run $sys"; done; done
  done
fi
# ---- echo, open loop at fixed rates (latency CDFs) ----
if wants open; then
  systems=$(available $ECHO_SYSTEMS)
  for cfg in $OPEN_MATRIX; do
    IFS=: read -r c s rate <<<"$cfg"
    for ((r = 1; r <= ROUNDS; r++)); do for sys in $systems; do echo_run "$sys" "$c" "$s" "$rate" "$r" || log "run failed: echo_run $sys"; done; done
  done
fi
# ---- HTTP plaintext with wrk ----
if wants http; then
  systems=$(available $HTTP_SYSTEMS)
  for cfg in $HTTP_MATRIX; do
    IFS=: read -r c d <<<"$cfg"
    for ((r = 1; r <= ROUNDS; r++)); do for sys in $systems; do http_run "$sys" "$c" "$d" "$r" || log "run failed: http_run $sys"; done; done
  done
fi
# ---- idle connections ----
if wants idle; then
  systems=$(available $IDLE_SYSTEMS)
  for c in $IDLE_CONNS; do
    for ((r = 1; r <= IDLE_ROUNDS; r++)); do for sys in $systems; do idle_run "$sys" "$c" "$r" || log "run failed: idle_run $sys"; done; done
  done
fi

log "matrix done in $((SECONDS - T0)) s"
python3 "$here/driver/summarize.py" "$RESULTS"
python3 "$here/driver/plot.py" "$RESULTS" || log "plots failed (is gnuplot installed?)"
log "results: $RESULTS"
