# Shared helpers for the bench/ scripts (sourced, not run): build, ports, process control, JSON fields, medians.
# shellcheck shell=bash disable=SC2034

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$BENCH_ROOT/build/h-bench}
ECHO_BIN=$BUILD_DIR/apps/echo/coring-echo
LOAD_BIN=$BUILD_DIR/apps/load/coring-load
RAW_BIN=$BUILD_DIR/bench/peers/raw-uring-echo  # the hand-written liburing floor (backend "raw")
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
LOAD_BACKEND=${LOAD_BACKEND:-uring}  # the load generator's own backend: fixed, only the server varies
# A random base: several benchmark runs on one machine must not meet on a port (SO_REUSEPORT
# servers would silently share it).
PORT_BASE=${PORT_BASE:-$((17000 + RANDOM % 12000))}
PORT=$PORT_BASE  # set by pick_port

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }
# OUT holds raw tool output (logs, callgrind files, callgrind_annotate dumps): never bench/results/,
# which keeps only the summaries that docs quote (copy those there by hand, with commit and command).
scratch_only() {
  local d; d=$(cd "$1" && pwd -P)
  case $d/ in "$(cd "$BENCH_ROOT" && pwd -P)/bench/results/"*) die "OUT=$1 is under bench/results/: use a scratch directory";; esac
}

# Release build in $BUILD_DIR (skipped with NO_BUILD=1).
bench_build() {
  [[ ${NO_BUILD:-0} == 1 ]] && return 0
  log "building Release in $BUILD_DIR"
  mkdir -p "$(dirname "$BUILD_DIR")"
  cmake -S "$BENCH_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 ||
    { cat "$BUILD_DIR.cmake.log" >&2; die "cmake configure failed"; }
  local targets=(coring-echo coring-load)
  [[ " ${BACKENDS:-} " == *" raw "* ]] && targets+=(raw-uring-echo)
  cmake --build "$BUILD_DIR" -j2 --target "${targets[@]}" >"$BUILD_DIR.build.log" 2>&1 ||
    { tail -30 "$BUILD_DIR.build.log" >&2; die "build failed"; }
}

# build_kv: Release coring-kv in $BUILD_DIR (skipped with NO_BUILD=1), then checks $KV_BIN is there.
build_kv() {
  if [[ ${NO_BUILD:-0} != 1 ]]; then
    log "building Release coring-kv in $BUILD_DIR"
    cmake -S "$BENCH_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >"$BUILD_DIR.cmake.log" 2>&1 || die "cmake failed"
    cmake --build "$BUILD_DIR" -j2 --target coring-kv >"$BUILD_DIR.build.log" 2>&1 ||
      { tail -30 "$BUILD_DIR.build.log" >&2; die "build failed"; }
  fi
  [[ -x $KV_BIN ]] || die "$KV_BIN is missing"
}

# cpu_ns PID: on-CPU time (ns) of all of PID's threads so far (/proc/PID/task/*/schedstat, first field).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{t += $1} END {printf "%.0f\n", t}'; }

# The fd hard limit cannot be raised here; take all of it (the programs do too).
raise_nofile() { ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true; }

# pick_port: sets PORT to the next port >= $PORT_BASE that no socket is bound
# to, and moves past it: every server run gets its own port (one that served
# many connections stays busy for a while after the server exits). Call it in
# the script's own shell, not in $(...), or the next call picks the same one.
NEXT_PORT=$PORT_BASE
pick_port() {
  local p=$NEXT_PORT
  while ss -Htan "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  NEXT_PORT=$((p + 1))
  PORT=$p
}

# wait_for_line FILE REGEX SECONDS: true once FILE has a matching line.
wait_for_line() {
  local file=$1 re=$2 limit=$3 i
  for ((i = 0; i < limit * 10; i++)); do
    grep -qE "$re" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# stop_pid PID [SECONDS]: SIGINT, repeated, then SIGTERM, then SIGKILL. True if it
# exited by itself. Repeated because valgrind loses a signal meant for a signalfd:
# under valgrind, coring-echo with 2 shards on io_uring missed the first SIGINT in
# 4 of 4 runs (even re-reading the signalfd every second does not find it), with
# 1 shard or natively in none (0 of 80 native runs; 1 shard under callgrind 0 of 4).
stop_pid() {
  local pid=$1 limit=${2:-15} i
  for sig in INT INT TERM; do
    kill -"$sig" "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    for ((i = 0; i < limit * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
      sleep 0.1
    done
    log "pid $pid still running after SIG$sig"
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 1
}

# json_num JSON KEY: the number after "KEY": in a one-line JSON object.
json_num() { sed -nE "s/.*\"$2\":(-?[0-9.eE+]+).*/\1/p" <<<"$1"; }

# median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# rss_kb PID: VmRSS of a process in kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
mem_available_kb() { awk '/^MemAvailable:/ {print $2}' /proc/meminfo; }
# Pages of memory in TCP socket buffers, machine-wide.
tcp_mem_pages() { awk '/^TCP:/ {for (i = 1; i < NF; i++) if ($i == "mem") print $(i + 1)}' /proc/net/sockstat; }

# start_server BACKEND PORT LOGFILE [WRAPPER...]: coring-echo (raw-uring-echo
# for BACKEND=raw) pinned to $SERVER_CPU, coring-echo with $SERVER_SHARDS
# shards (default 1: one core); sets SERVER_PID (the pid of the wrapper itself, e.g. valgrind,
# which execs in place). Waits until it listens.
start_server() {
  local backend=$1 port=$2 logf=$3 bin=$ECHO_BIN
  shift 3
  local shards=(--shards "${SERVER_SHARDS:-1}")
  if [[ $backend == raw ]]; then
    bin=$RAW_BIN
    shards=()
  fi
  [[ -x $bin ]] || die "$bin is missing (for raw: configure with liburing and CORING_BUILD_BENCH_PEERS=ON)"
  taskset -c "$SERVER_CPU" "$@" "$bin" --port "$port" --backend "$backend" "${shards[@]}" >"$logf" 2>&1 &
  SERVER_PID=$!
  wait_for_line "$logf" "listening on" 60 || { cat "$logf" >&2; stop_pid "$SERVER_PID" 2; die "server ($backend) did not start"; }
  # A uring server that fell back to epoll would silently measure the wrong thing.
  grep -qE "backend $backend|$backend backend" "$logf" ||
    { cat "$logf" >&2; stop_pid "$SERVER_PID" 2; die "server is not running the $backend backend"; }
}

# run_load LOGFILE ARGS...: coring-load pinned to $LOAD_CPU; prints its JSON line.
run_load() {
  local logf=$1
  shift
  taskset -c "$LOAD_CPU" "$LOAD_BIN" --backend "$LOAD_BACKEND" "$@" 2>"$logf"
}
