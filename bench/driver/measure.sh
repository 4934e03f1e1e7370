# measure.sh (sourced): the server-side figures of one run, taken over a window while the load runs.
# shellcheck shell=bash

# measure_window SECONDS TAG [LOAD_PID]: snapshots $STAT_PID before and after SECONDS (and counts
# instructions with perf if the PMU works). Sets WIN_SECS, WIN_TICKS, WIN_VCSW, WIN_IVCSW, WIN_RSS,
# WIN_THREADS, WIN_INSTR_U, WIN_INSTR_K, and the noise indicators WIN_LOAD_UTIL (the load
# generator's CPU share), WIN_SRV_OTHER and WIN_LOAD_OTHER (the share of the server's and the
# load's core busy with anything else: other processes, interrupts, softirqs not charged to them).
measure_window() {
  local secs=$1 tag=$2 lpid=${3:-} a b t0 t1 s0 s1 c0 c1 l0 l1
  perf_instructions_start "$STAT_PID" "$secs" "$OUT/$tag.perf"
  t0=$(date +%s.%N)
  a=($(proc_snapshot "$STAT_PID"))
  s0=$(core_ticks "$SERVER_CPU") c0=$(core_ticks "$LOAD_CPU") l0=na
  [[ -n $lpid ]] && l0=$(proc_ticks "$lpid")
  sleep "$secs"
  b=($(proc_snapshot "$STAT_PID"))
  s1=$(core_ticks "$SERVER_CPU") c1=$(core_ticks "$LOAD_CPU") l1=na
  [[ -n $lpid ]] && l1=$(proc_ticks "$lpid")
  t1=$(date +%s.%N)
  [[ -z $lpid ]] || kill -0 "$lpid" 2>/dev/null ||
    log "$tag: the load ended before the window did: context switches of exited threads are lost (na)"
  read -r WIN_INSTR_U WIN_INSTR_K < <(perf_instructions_read "$OUT/$tag.perf")
  WIN_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  read -r WIN_LOAD_UTIL WIN_SRV_OTHER WIN_LOAD_OTHER < <(awk -v w="$WIN_SECS" -v hz="$CLK_TCK" -v l0="$l0" -v l1="$l1" \
    -v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" -v p0="${a[0]}" -v p1="${b[0]}" 'BEGIN {
      lu = (l0 == "na" || l1 == "na") ? "na" : sprintf("%.3f", (l1 - l0) / hz / w)
      so = (p0 == "na" || p1 == "na") ? "na" : sprintf("%.3f", ((s1 - s0) - (p1 - p0)) / hz / w)
      lo = (lu == "na") ? "na" : sprintf("%.3f", ((c1 - c0) - (l1 - l0)) / hz / w)
      print lu, so, lo }')
  if [[ ${a[0]} == na || ${b[0]} == na ]]; then
    WIN_TICKS=na WIN_VCSW=na WIN_IVCSW=na WIN_RSS=na WIN_THREADS=na
    return
  fi
  WIN_TICKS=$((b[0] - a[0]))
  WIN_VCSW=na WIN_IVCSW=na
  # Summed over live threads: negative if threads exited in the window (their counts left with them).
  if [[ ${a[1]} != na && ${b[1]} != na && ${a[2]} != na && ${b[2]} != na ]] &&
    ((b[1] >= a[1] && b[2] >= a[2])); then
    WIN_VCSW=$((b[1] - a[1]))
    WIN_IVCSW=$((b[2] - a[2]))
  fi
  WIN_RSS=${b[3]:-na}
  WIN_THREADS=${b[4]:-na}
}

# per_req VALUE RATE [SCALE]: VALUE * SCALE / (RATE * WIN_SECS), or na.
per_req() {
  awk -v v="$1" -v r="$2" -v s="${3:-1}" -v w="$WIN_SECS" 'BEGIN {
    if (v == "na" || r == "" || r == "na" || r + 0 <= 0) print "na"; else printf "%.3f", v * s / (r * w) }'
}

# window_columns RATE: the CSV columns every throughput row ends with.
window_columns() {
  local rate=$1
  printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s' \
    "$(per_req "$WIN_TICKS" "$rate" "$((1000000 / CLK_TCK))")" \
    "$(awk -v t="$WIN_TICKS" -v w="$WIN_SECS" -v hz="$CLK_TCK" 'BEGIN {if (t == "na") print "na"; else printf "%.3f", t / hz / w}')" \
    "$(per_req "$WIN_INSTR_U" "$rate")" "$(per_req "$WIN_INSTR_K" "$rate")" \
    "$(per_req "$WIN_VCSW" "$rate")" "$(per_req "$WIN_IVCSW" "$rate")" "$WIN_RSS" "$WIN_THREADS" \
    "${WIN_LOAD_UTIL:-na}" "${WIN_SRV_OTHER:-na}" "${WIN_LOAD_OTHER:-na}"
}

THROUGHPUT_HEADER="kind,system,connections,size,pipeline,target_rate,round,established,rps,p50_us,p90_us,p99_us,p999_us,max_us,errors,verify_failures,unsent,cpu_us_per_req,server_cpu_util,instr_u_per_req,instr_k_per_req,vcsw_per_req,ivcsw_per_req,rss_kb,threads,load_cpu_util,server_core_other,load_core_other"

# sum_na A B...: the sum of the arguments, or na if one is empty or na.
sum_na() { awk 'BEGIN {s = 0; for (i = 1; i < ARGC; i++) { if (ARGV[i] == "" || ARGV[i] == "na") { print "na"; exit } s += ARGV[i] } print s}' "$@"; }

# load_seconds CONNS SYSTEM: how long the load runs after its ramp: the settle time and the window,
# plus a margin. The window must end while the server's threads are all alive (their context
# switches leave with them), and summing /proc/PID/task/*/status of a thread-per-connection
# server takes about 0.15 s per 1,000 threads on this machine, twice per window.
load_seconds() { awk -v d="$DURATION" -v s="$SETTLE" -v w="$WINDOW" -v c="$1" -v t="$([[ $2 == *threads ]] && echo 1 || echo 0)" 'BEGIN {
  m = s + w + 0.5 + t * c / 2000; printf "%.1f", (d > m ? d : m) }'; }
