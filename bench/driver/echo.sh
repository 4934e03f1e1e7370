# echo.sh (sourced): one echo run (coring-load against one system) -> one row of $ECHO_CSV.
# shellcheck shell=bash

# echo_run SYSTEM CONNS SIZE RATE ROUND   (RATE 0: closed loop; otherwise open loop, with a CDF file)
echo_run() {
  local sys=$1 conns=$2 size=$3 rate=$4 round=$5 tag json lpid rc=0 kind=echo extra=()
  tag="echo.$sys.c$conns.s$size.r$rate.$round"
  pick_port
  start_system "$sys" "$PORT" "$OUT" || { log "$tag: $sys did not start"; return 0; }
  ((conns >= 5000)) && extra+=(--sources "$LOAD_SOURCES")
  if [[ $rate != 0 ]]; then
    kind=echo-open
    extra+=(--rate "$rate" --cdf "$OUT/$tag.cdf")
  fi
  taskset -c "$LOAD_CPU" "$LOAD_BIN" --backend "$LOAD_BACKEND" --port "$PORT" --connections "$conns" --size "$size" \
    --duration "$(load_seconds "$conns" "$sys")" --timeout 30 --connect-timeout 30 --log-level warn "${extra[@]}" \
    >"$OUT/$tag.json" 2>"$OUT/$tag.load.log" &
  lpid=$!
  if wait_for_line "$OUT/$tag.load.log" "established" 300; then
    sleep "$SETTLE"
    measure_window "$WINDOW" "$tag" "$lpid"
  else
    WIN_SECS=1 WIN_TICKS=na WIN_VCSW=na WIN_IVCSW=na WIN_RSS=na WIN_THREADS=na WIN_INSTR_U=na WIN_INSTR_K=na
    WIN_LOAD_UTIL=na WIN_SRV_OTHER=na WIN_LOAD_OTHER=na
  fi
  wait "$lpid" || rc=$?
  stop_system "$sys"
  json=$(cat "$OUT/$tag.json")
  [[ $rc == 0 ]] || log "$tag: coring-load exit $rc: $(head -c 300 <<<"$json") $(head -3 "$OUT/$tag.load.log")"
  local rps
  rps=$(json_num "$json" msgs_per_sec)
  [[ $kind == echo-open && -f $OUT/$tag.cdf ]] && cp "$OUT/$tag.cdf" "$RESULTS/cdf-$sys-c$conns-s$size-r$rate.txt"
  echo "$kind,$sys,$conns,$size,1,$rate,$round,$(json_num "$json" connections),${rps:-na},$(json_num "$json" p50),$(json_num "$json" p90),$(json_num "$json" p99),$(json_num "$json" p999),$(json_num "$json" max),$(sum_na "$(json_num "$json" errors)" "$(json_num "$json" connect_errors)"),$(json_num "$json" verify_failures),$(json_num "$json" unsent),$(window_columns "${rps:-na}")" >>"$ECHO_CSV"
  [[ $(json_num "$json" unsent) =~ ^[1-9] ]] && log "$tag: $(json_num "$json" unsent) messages unsent: the server did not keep up with $rate/s"
  log "$tag: ${rps:-?} msg/s p99 $(json_num "$json" p99) us, cpu/req $(per_req "$WIN_TICKS" "${rps:-na}" "$((1000000 / CLK_TCK))") us"
}
