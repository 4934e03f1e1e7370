#!/usr/bin/env bash
# echo_efficiency.sh: user-space (and, with a PMU, kernel) instructions per echoed message of coring-echo, uring vs epoll.
#
# Method. coring-echo runs pinned to core $SERVER_CPU, coring-load pinned to
# core $LOAD_CPU opens $CONNS connections and echoes $MSGS messages of $SIZE
# bytes on each (closed loop: one message in flight per connection). Each
# sample is a pair of server runs: one with $MSGS messages per connection and
# one with zero (same connections, same one-message ramp), and
#     instructions per message = (count(MSGS run) - count(zero run)) / (CONNS * MSGS)
# so start-up, accept, the ramp and shutdown cancel out. Backends are
# interleaved (uring epoll uring epoll ...) for $ROUNDS rounds; the table
# reports the median and the epoll/uring ratio.
#
# Counter. If `perf stat -e instructions:u` works, perf counts
# instructions:u and instructions:k of the server pid while the load runs
# (attached after start-up). Here there is no PMU (perf says "not supported"),
# so the server runs under valgrind's callgrind, which counts user-space
# instructions (Ir) exactly, from exec to exit; kernel instructions cannot be
# measured at all then.
#
# Caveat. Under callgrind the server runs ~50x slower while the load generator
# runs natively, so the server always finds many messages ready per loop turn:
# each io_uring_enter / epoll_wait and each loop turn is shared by many more
# messages than in a native run. The per-message figure is therefore close to
# the cost of the per-message path itself (recv completion, task resume,
# send), with loop overheads amortised away; it is a lower bound for a native
# run with little batching. Compare backends by the ratio, measured the same way.
# Callgrind is deterministic but the run is not: how work batches into loop
# turns still varies from run to run, hence several rounds and the median.
#
# Native companion figures (same pairs of runs, server not under valgrind):
# system calls per message (perf's raw_syscalls:sys_enter tracepoint, which
# needs no PMU), on-CPU time per message (/proc/PID/schedstat, ns) and the
# share of it spent in the kernel (stime / (utime + stime) of /proc/PID/stat,
# 10 ms ticks). They show what callgrind cannot, the kernel side, but as time
# on a noisy shared machine, not as instructions. NATIVE_MSGS messages per
# connection (more than under callgrind: native runs are fast).
#
# The floor. BACKENDS may also name `raw`: bench/peers/raw_uring_echo.cpp, a
# hand-written liburing loop with coring's ring flags (multishot accept and
# recv on a provided-buffer ring, one send per received buffer), measured the
# same way. The default runs it too, so coring's figure sits next to it.
#
# Usage: bench/echo_efficiency.sh   (env: CONNS=1000 SIZE=64 MSGS=100 NATIVE_MSGS=300 ROUNDS=3
#        BACKENDS="uring epoll raw" NO_BUILD=1 OUT=dir FORCE_CALLGRIND=1)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNS=${CONNS:-1000}
SIZE=${SIZE:-64}
MSGS=${MSGS:-100}
NATIVE_MSGS=${NATIVE_MSGS:-300}
ROUNDS=${ROUNDS:-3}
BACKENDS=${BACKENDS:-"uring epoll raw"}
OUT=${OUT:-$(mktemp -d /tmp/coring-efficiency.XXXXXX)}
mkdir -p "$OUT"
scratch_only "$OUT"

bench_build
raise_nofile

# (Output captured first: with pipefail, `perf | grep -q` could fail on SIGPIPE.)
perf_probe=$(perf stat -e instructions:u true 2>&1) && perf_ok=1 || perf_ok=0
if [[ ${FORCE_CALLGRIND:-0} != 1 && $perf_ok == 1 ]] && ! grep -q 'not supported' <<<"$perf_probe"; then
  COUNTER=perf
  log "counter: perf stat -e instructions:u,instructions:k (PMU available)"
else
  COUNTER=callgrind
  command -v valgrind >/dev/null || die "no PMU and no valgrind: apt-get install valgrind"
  log "counter: valgrind --tool=callgrind (no PMU: perf says instructions are 'not supported'); user space only"
fi

# One server run; prints "USER KERNEL" instructions (KERNEL = na under callgrind).
measure() {
  local backend=$1 msgs=$2 tag=$3 port=$4 json
  if [[ $COUNTER == callgrind ]]; then
    start_server "$backend" "$port" "$OUT/$tag.server.log" \
      valgrind --tool=callgrind --callgrind-out-file="$OUT/$tag.callgrind" --dump-instr=no
  else
    start_server "$backend" "$port" "$OUT/$tag.server.log"
    perf stat -e instructions:u,instructions:k -x, -o "$OUT/$tag.perf" -p "$SERVER_PID" &
    PERF_PID=$!
    sleep 0.3
  fi
  json=$(run_load "$OUT/$tag.load.log" --port "$port" --connections "$CONNS" --size "$SIZE" --messages "$msgs" --timeout 240) ||
    { cat "$OUT/$tag.load.log" >&2; stop_pid "$SERVER_PID" 5 || true; die "load failed ($tag): $json"; }
  echo "$json" >"$OUT/$tag.load.json"
  [[ $(json_num "$json" verify_failures) == 0 && $(json_num "$json" errors) == 0 ]] || die "errors in $tag: $json"
  sleep 0.5  # let the server take in the closes
  if [[ $COUNTER == callgrind ]]; then
    stop_pid "$SERVER_PID" 20 || die "server ($tag) had to be killed: no callgrind totals"
    local ir
    ir=$(awk '/^totals:/ {print $2}' "$OUT/$tag.callgrind")
    [[ -n $ir ]] || die "no totals in $OUT/$tag.callgrind"
    echo "$ir na"
  else
    kill -INT "$PERF_PID"
    wait "$PERF_PID" || true
    stop_pid "$SERVER_PID" 10 || true
    local u k
    u=$(awk -F, '$3 ~ /^instructions:u/ {print $1}' "$OUT/$tag.perf")
    k=$(awk -F, '$3 ~ /^instructions:k/ {print $1}' "$OUT/$tag.perf")
    [[ $u =~ ^[0-9]+$ ]] || die "perf gave no instructions:u count ($OUT/$tag.perf)"
    [[ $k =~ ^[0-9]+$ ]] || k=na
    echo "$u $k"
  fi
}

# One native server run; prints "SYSCALLS UTIME_MS STIME_MS CPU_NS" (SYSCALLS = na without perf tracepoints).
HZ=$(getconf CLK_TCK)
HAVE_TP=0
perf stat -e raw_syscalls:sys_enter true >/dev/null 2>&1 && HAVE_TP=1
measure_native() {
  local backend=$1 msgs=$2 tag=$3 port=$4 json perf_pid=
  start_server "$backend" "$port" "$OUT/$tag.server.log"
  if [[ $HAVE_TP == 1 ]]; then
    perf stat -e raw_syscalls:sys_enter -x, -o "$OUT/$tag.perf" -p "$SERVER_PID" &
    perf_pid=$!
    sleep 0.3
  fi
  json=$(run_load "$OUT/$tag.load.log" --port "$port" --connections "$CONNS" --size "$SIZE" --messages "$msgs" --timeout 120) ||
    { stop_pid "$SERVER_PID" 5 || true; die "load failed ($tag): $json"; }
  echo "$json" >"$OUT/$tag.load.json"
  sleep 0.3
  local ut st cpu sc=na
  cpu=$(awk '{print $1}' "/proc/$SERVER_PID/schedstat")
  read -r ut st < <(awk -v hz="$HZ" '{sub(/.*\) /, ""); printf "%.0f %.0f\n", $12 * 1000 / hz, $13 * 1000 / hz}' "/proc/$SERVER_PID/stat")
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || true
    sc=$(awk -F, '$3 ~ /raw_syscalls:sys_enter/ {print $1}' "$OUT/$tag.perf")
    [[ $sc =~ ^[0-9]+$ ]] || sc=na
  fi
  stop_pid "$SERVER_PID" 10 || true
  echo "$sc $ut $st $cpu"
}

per_msg() { awk -v a="$1" -v b="$2" -v n="$3" -v f="${4:-1}" 'BEGIN {if (a == "na" || b == "na") print "na"; else printf "%.2f", (a - b) * f / n}'; }

declare -A USER_PER_MSG KERN_PER_MSG SC_PER_MSG UT_PER_MSG ST_PER_MSG MED
total_msgs=$((CONNS * MSGS))
native_msgs=$((CONNS * NATIVE_MSGS))
log "$CONNS connections, $SIZE-byte messages, $MSGS messages each ($total_msgs per sample), $ROUNDS rounds, results in $OUT"
printf '%-6s %-6s %14s %14s %10s %10s | %9s %9s %9s\n' round backend "Ir(${MSGS}msg)" "Ir(0msg)" "user/msg" "kern/msg" \
  "sysc/msg" "cpu us/m" "kernel %"
for ((r = 1; r <= ROUNDS; r++)); do
  for be in $BACKENDS; do
    u1='' u0=''
    pick_port
    read -r u1 k1 < <(measure "$be" "$MSGS" "r$r.$be.full" "$PORT")
    pick_port
    read -r u0 k0 < <(measure "$be" 0 "r$r.$be.zero" "$PORT")
    [[ -n ${u1:-} && -n ${u0:-} ]] || die "round $r, $be: a measurement failed (see $OUT)"
    upm=$(awk -v a="$u1" -v b="$u0" -v n="$total_msgs" 'BEGIN {printf "%.1f", (a - b) / n}')
    kpm=na
    [[ $k1 != na && $k0 != na ]] && kpm=$(awk -v a="$k1" -v b="$k0" -v n="$total_msgs" 'BEGIN {printf "%.1f", (a - b) / n}')
    ut1='' ut0=''
    pick_port
    read -r s1 ut1 st1 c1 < <(measure_native "$be" "$NATIVE_MSGS" "r$r.$be.native-full" "$PORT")
    pick_port
    read -r s0 ut0 st0 c0 < <(measure_native "$be" 0 "r$r.$be.native-zero" "$PORT")
    [[ -n ${ut1:-} && -n ${ut0:-} ]] || die "round $r, $be: a native measurement failed (see $OUT)"
    scpm=$(per_msg "$s1" "$s0" "$native_msgs")
    utpm=$(per_msg "$c1" "$c0" "$native_msgs" 0.001)
    stpm=$(awk -v u1="$ut1" -v u0="$ut0" -v s1="$st1" -v s0="$st0" 'BEGIN {
      t = (u1 - u0) + (s1 - s0); if (t <= 0) print "na"; else printf "%.0f", 100 * (s1 - s0) / t }')
    USER_PER_MSG[$be]+="$upm "
    KERN_PER_MSG[$be]+="$kpm "
    SC_PER_MSG[$be]+="$scpm "
    UT_PER_MSG[$be]+="$utpm "
    ST_PER_MSG[$be]+="$stpm "
    printf '%-6s %-6s %14s %14s %10s %10s | %9s %9s %9s\n' "$r" "$be" "$u1" "$u0" "$upm" "$kpm" "$scpm" "$utpm" "$stpm"
  done
done

echo
echo "counter: $COUNTER; server on cpu $SERVER_CPU, load ($LOAD_BACKEND) on cpu $LOAD_CPU; $CONNS conns x $MSGS msgs x $SIZE B"
printf '%-8s %16s %16s | %14s %14s %14s   %s\n' backend "user instr/msg" "kern instr/msg" "syscalls/msg" "cpu us/msg" \
  "kernel % of cpu" "(medians of $ROUNDS; user instr samples)"
med_or_na() { if [[ $* == *na* ]]; then echo na; else median "$@"; fi; }
for be in $BACKENDS; do
  # shellcheck disable=SC2086
  mu=$(median ${USER_PER_MSG[$be]})
  # shellcheck disable=SC2086
  printf '%-8s %16s %16s | %14s %14s %14s   (%s)\n' "$be" "$mu" "$(med_or_na ${KERN_PER_MSG[$be]})" \
    "$(med_or_na ${SC_PER_MSG[$be]})" "$(med_or_na ${UT_PER_MSG[$be]})" "$(med_or_na ${ST_PER_MSG[$be]})" "${USER_PER_MSG[$be]% }"
  MED[$be]=$mu
done
if [[ " $BACKENDS " == *" uring "* && " $BACKENDS " == *" epoll "* ]]; then
  awk -v u="${MED[uring]}" -v e="${MED[epoll]}" 'BEGIN {printf "ratio epoll/uring (user instructions per message): %.2f\n", e / u}'
fi
if [[ " $BACKENDS " == *" uring "* && " $BACKENDS " == *" raw "* ]]; then
  awk -v u="${MED[uring]}" -v r="${MED[raw]}" 'BEGIN {printf "ratio uring/raw (coring over the hand-written liburing loop): %.2f\n", u / r}'
fi
[[ $COUNTER == callgrind ]] && echo "kernel instructions: not measurable here (no PMU); callgrind counts user space only"
echo "syscalls/msg, cpu us/msg (on-CPU time, user+kernel) and in-kernel share: native runs of $NATIVE_MSGS msgs/conn, not under valgrind; times are noisy on a shared machine"
if [[ $COUNTER == callgrind ]]; then
  for be in $BACKENDS; do  # where the instructions go (exclusive Ir per function, last round's full run)
    callgrind_annotate "$OUT/r$ROUNDS.$be.full.callgrind" >"$OUT/$be.annotate.txt" 2>/dev/null || true
  done
  echo "per-function breakdown: $OUT/<backend>.annotate.txt (callgrind_annotate of the last round's full run)"
fi
