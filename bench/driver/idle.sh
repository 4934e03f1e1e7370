# idle.sh (sourced): one idle-connections run (hold C connections, a few active) against one system -> one row of $IDLE_CSV.
# shellcheck shell=bash

IDLE_HEADER="system,connections,round,established,rss_warm_kb,rss_held_kb,rss_b_per_conn,memavail_drop_kb,memavail_b_per_conn,ramp_cpu_us_per_conn,ramp_vcsw_per_conn,ramp_ivcsw_per_conn,hold_cpu_util,threads,active_p50_us,active_p99_us"

# idle_run SYSTEM CONNS ROUND
#   rss_b_per_conn       (VmRSS held - VmRSS after a warm-up) / connections
#   memavail_b_per_conn  drop of MemAvailable (machine-wide: kernel socket memory of both ends, load generator, noise)
#   ramp_*_per_conn      server CPU time and context switches from the warm state to all connections held
#   hold_cpu_util        server CPU share while they are held, with $IDLE_ACTIVE connections echoing
#                        $IDLE_RATE messages/s in total (open loop); active_p50/p99: their latency
idle_run() {
  local sys=$1 conns=$2 round=$3 tag lpid rc=0 a b m0 m1 warm
  a=(na na na na na)
  tag="idle.$sys.c$conns.$round"
  pick_port
  start_system "$sys" "$PORT" "$OUT" || { log "$tag: $sys did not start"; return 0; }
  warm=$(taskset -c "$LOAD_CPU" "$LOAD_BIN" --port "$PORT" --connections 64 --messages 100 --size 64 --log-level warn 2>&1) ||
    log "$tag: warm-up failed: $warm"
  sleep 0.5
  a=($(proc_snapshot "$STAT_PID"))
  m0=$(mem_available_kb)
  taskset -c "$LOAD_CPU" "$LOAD_BIN" --backend "$LOAD_BACKEND" --port "$PORT" --connections "$conns" --hold-idle \
    --active "$IDLE_ACTIVE" --rate "$IDLE_RATE" --duration "$(awk -v w="$IDLE_WINDOW" -v c="$conns" 'BEGIN {printf "%.1f", 0.5 + w + 1 + c / 2000}')" --sources "$LOAD_SOURCES" --timeout 60 --connect-timeout 30 \
    --log-level warn >"$OUT/$tag.json" 2>"$OUT/$tag.load.log" &
  lpid=$!
  if wait_for_line "$OUT/$tag.load.log" "established" 300; then
    sleep 0.5
    b=($(proc_snapshot "$STAT_PID"))
    m1=$(mem_available_kb)
    measure_window "$IDLE_WINDOW" "$tag" "$lpid"
  else
    b=("${a[@]}") m1=$m0 WIN_TICKS=na WIN_SECS=1
  fi
  wait "$lpid" || rc=$?
  stop_system "$sys"
  [[ $rc == 0 ]] || log "$tag: coring-load exit $rc: $(head -c 300 "$OUT/$tag.json") $(head -3 "$OUT/$tag.load.log")"
  local held json
  json=$(cat "$OUT/$tag.json")
  held=$(json_num "$json" connections)
  [[ -n $held && $held -gt 0 ]] || held=$conns
  awk -v s="$sys" -v c="$conns" -v r="$round" -v n="$held" -v a="${a[*]}" -v b="${b[*]}" -v m0="$m0" -v m1="$m1" \
    -v t="$WIN_TICKS" -v w="$WIN_SECS" -v hz="$CLK_TCK" -v p50="$(json_num "$json" p50)" -v p99="$(json_num "$json" p99)" 'BEGIN {
      split(a, x, " "); split(b, y, " ")
      printf "%s,%d,%d,%d,%d,%d,%.0f,%d,%.0f,%.2f,%.3f,%.3f,%s,%s,%s,%s\n", s, c, r, n, x[4], y[4], (y[4] - x[4]) * 1024 / n,
        m0 - m1, (m0 - m1) * 1024 / n, (y[1] - x[1]) * 1e6 / hz / n, (y[2] - x[2]) / n, (y[3] - x[3]) / n,
        (t == "na" ? "na" : sprintf("%.4f", t / hz / w)), y[5], (p50 == "" ? "na" : p50), (p99 == "" ? "na" : p99) }' >>"$IDLE_CSV"
  log "$tag: $(tail -1 "$IDLE_CSV")"
}
