# measure.sh (sourced): the server-side figures of one run, taken over a window while the load runs.
# shellcheck shell=bash

# measure_window SECONDS TAG: snapshots $STAT_PID before and after SECONDS (and counts
# instructions with perf if the PMU works). Sets WIN_SECS, WIN_TICKS, WIN_VCSW, WIN_IVCSW, WIN_RSS,
# WIN_THREADS, WIN_INSTR_U, WIN_INSTR_K.
measure_window() {
  local secs=$1 tag=$2 a b t0 t1
  perf_instructions_start "$STAT_PID" "$secs" "$OUT/$tag.perf"
  t0=$(date +%s.%N)
  a=($(proc_snapshot "$STAT_PID"))
  sleep "$secs"
  b=($(proc_snapshot "$STAT_PID"))
  t1=$(date +%s.%N)
  read -r WIN_INSTR_U WIN_INSTR_K < <(perf_instructions_read "$OUT/$tag.perf")
  WIN_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  if [[ ${a[0]} == na || ${b[0]} == na ]]; then
    WIN_TICKS=na WIN_VCSW=na WIN_IVCSW=na WIN_RSS=na WIN_THREADS=na
    return
  fi
  WIN_TICKS=$((b[0] - a[0]))
  WIN_VCSW=$((b[1] - a[1]))
  WIN_IVCSW=$((b[2] - a[2]))
  WIN_RSS=${b[3]}
  WIN_THREADS=${b[4]}
}

# per_req VALUE RATE [SCALE]: VALUE * SCALE / (RATE * WIN_SECS), or na.
per_req() {
  awk -v v="$1" -v r="$2" -v s="${3:-1}" -v w="$WIN_SECS" 'BEGIN {
    if (v == "na" || r == "" || r == "na" || r + 0 <= 0) print "na"; else printf "%.3f", v * s / (r * w) }'
}

# window_columns RATE: the CSV columns every throughput row ends with.
window_columns() {
  local rate=$1
  printf '%s,%s,%s,%s,%s,%s,%s,%s' \
    "$(per_req "$WIN_TICKS" "$rate" "$((1000000 / CLK_TCK))")" \
    "$(awk -v t="$WIN_TICKS" -v w="$WIN_SECS" -v hz="$CLK_TCK" 'BEGIN {if (t == "na") print "na"; else printf "%.3f", t / hz / w}')" \
    "$(per_req "$WIN_INSTR_U" "$rate")" "$(per_req "$WIN_INSTR_K" "$rate")" \
    "$(per_req "$WIN_VCSW" "$rate")" "$(per_req "$WIN_IVCSW" "$rate")" "$WIN_RSS" "$WIN_THREADS"
}

THROUGHPUT_HEADER="kind,system,connections,size,pipeline,target_rate,round,established,rps,p50_us,p90_us,p99_us,p999_us,max_us,errors,verify_failures,cpu_us_per_req,server_cpu_util,instr_u_per_req,instr_k_per_req,vcsw_per_req,ivcsw_per_req,rss_kb,threads"

# sum_na A B...: the sum of the arguments, or na if one is empty or na.
sum_na() { awk 'BEGIN {s = 0; for (i = 1; i < ARGC; i++) { if (ARGV[i] == "" || ARGV[i] == "na") { print "na"; exit } s += ARGV[i] } print s}' "$@"; }
