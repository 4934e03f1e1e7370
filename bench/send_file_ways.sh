#!/usr/bin/env bash
# send_file's ways compared on coring-http (one shard, cpu0) serving one static file to wrk (cpu1):
# server CPU per MiB (every thread, io_uring's io-wq workers included) over interleaved rounds,
# then callgrind user instructions per request. Usage: bench/send_file_ways.sh [BIN]
# Ways: BACKEND:MODE with MODE splice, sendfile, read (io_uring: READ_FIXED into a registered
# buffer, then a send from it) or read_plain (io_uring: READ into plain memory, then a send).
set -euo pipefail
bin=${1:-build/rel/apps/http/coring-http}
rounds=${ROUNDS:-3}
dur=${DUR:-4}
sizes=${SIZES:-"100k 1m 20m"}
ways=${WAYS:-"uring:read_plain uring:read uring:splice epoll:read epoll:sendfile"}
root=$(mktemp -d)
out=${OUT:-$(mktemp -d)}
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$root"' EXIT
bytes_of() { case $1 in 100k) echo $((100 << 10)) ;; 1m) echo $((1 << 20)) ;; 20m) echo $((20 << 20)) ;; esac; }
for s in $sizes; do head -c "$(bytes_of "$s")" /dev/urandom >"$root/$s.bin"; done
tick_ms=$((1000 / $(getconf CLK_TCK)))

start() {  # start BACKEND MODE [WRAPPER...]: sets pid, port
  local backend=$1 mode=$2 off=""
  shift 2
  # read: into a registered (fixed) buffer on io_uring; read_plain: into plain memory.
  if [[ $mode == read_plain ]]; then mode=read off=fixed_buffers; fi
  : >"$out/server.log"
  CORING_URING_OFF=$off CORING_SEND_FILE=$mode taskset -c 0 "$@" "$bin" --host 127.0.0.1 --port 0 --shards 1 --backend "$backend" \
    --root "$root" >"$out/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 400); do
    port=$(sed -n 's/^coring-http: listening on 127.0.0.1://p' "$out/server.log")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  cat "$out/server.log"
  exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "round size way requests_per_s server_cpu_ms_per_MiB" | tee "$out/cpu.txt"
for r in $(seq "$rounds"); do
  for s in $sizes; do
    for w in $ways; do
      start "${w%%:*}" "${w#*:}"
      curl -sf -o /dev/null "http://127.0.0.1:$port/static/$s.bin"  # warm the page cache and the shard's spares
      t0=$(cpu_ticks "$pid")
      res=$(taskset -c 1 wrk -t1 -c4 -d"${dur}s" "http://127.0.0.1:$port/static/$s.bin")
      t1=$(cpu_ticks "$pid")
      kill "$pid"
      wait "$pid" || true
      pid=""
      n=$(awk '/requests in/ {print $1}' <<<"$res")
      mib=$(awk -v n="$n" -v b="$(bytes_of "$s")" 'BEGIN {print n * b / 1048576}')
      awk -v r="$r" -v s="$s" -v w="$w" -v n="$n" -v d="$dur" -v t=$(((t1 - t0) * tick_ms)) -v m="$mib" \
        'BEGIN {printf "%s %s %s %.0f %.3f\n", r, s, w, n / d, t / m}' | tee -a "$out/cpu.txt"
    done
  done
done
echo
echo "medians: size way requests_per_s server_cpu_ms_per_MiB"
for s in $sizes; do
  for w in $ways; do
    awk -v s="$s" -v w="$w" '$2 == s && $3 == w {print $4, $5}' "$out/cpu.txt" |
      sort -n -k2 | awk -v s="$s" -v w="$w" '{a[NR] = $1; b[NR] = $2} END {m = int((NR + 1) / 2); print s, w, a[m], b[m]}'
  done
done

# Callgrind: user-space instructions per 1 MiB request (the difference of a 60- and a 20-request run).
if [[ ${CALLGRIND:-1} == 1 ]] && command -v valgrind >/dev/null; then
  echo
  echo "callgrind: way user_instructions_per_1MiB_request"
  for w in $ways; do
    declare -A ir=()
    for n in 20 60; do
      start "${w%%:*}" "${w#*:}" valgrind --tool=callgrind --callgrind-out-file="$out/cg.$n" --dump-instr=no
      ab -q -n "$n" -c 2 "http://127.0.0.1:$port/static/1m.bin" >/dev/null
      kill "$pid"
      wait "$pid" || true
      pid=""
      ir[$n]=$(awk '/^totals:/ {print $2}' "$out/cg.$n")
    done
    echo "$w $(((ir[60] - ir[20]) / 40))"
  done
fi
