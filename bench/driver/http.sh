# http.sh (sourced): one HTTP plaintext run (wrk, keep-alive, optional pipelining) against one system -> one row of $ECHO_CSV.
# shellcheck shell=bash

# http_run SYSTEM CONNS PIPELINE ROUND
# wrk is closed-loop (its latencies are from the actual send: coordinated omission applies) and
# does not check bodies; non-2xx answers, read/write errors and timeouts are counted as errors.
http_run() {
  local sys=$1 conns=$2 depth=$3 round=$4 tag wpid rc=0 line
  tag="http.$sys.c$conns.p$depth.$round"
  pick_port
  start_system "$sys" "$PORT" "$OUT" || { log "$tag: $sys did not start"; return 0; }
  # wrk takes whole seconds only.
  WRK_PIPELINE=$depth taskset -c "$LOAD_CPU" wrk -t1 -c "$conns" -d "$(load_seconds "$conns" "$sys" | awk '{printf "%d", $1 + 0.999}')s" --timeout 10s \
    -s "$BENCH_ROOT/bench/driver/wrk.lua" "http://127.0.0.1:$PORT/" >"$OUT/$tag.wrk" 2>&1 &
  wpid=$!
  sleep "$(awk -v s="$SETTLE" -v c="$conns" 'BEGIN {printf "%.2f", s + c / 20000}')"  # wrk connects everything first
  measure_window "$WINDOW" "$tag" "$wpid"
  wait "$wpid" || rc=$?
  stop_system "$sys"
  line=$(grep -m1 '^WRK_RESULT' "$OUT/$tag.wrk" || true)
  [[ $rc == 0 && -n $line ]] || log "$tag: wrk exit $rc: $(tail -3 "$OUT/$tag.wrk")"
  kv() { sed -nE "s/.* $1=([0-9.]+).*/\1/p" <<<" $line"; }
  # A latency of 0 means wrk's histogram was empty or overflowed (seen with pipelining): na.
  pct() { kv "$1" | sed -E 's/^0(\.0*)?$/na/'; }
  local rps errs
  rps=$(kv rps)
  errs=$(sum_na "$(kv err_connect)" "$(kv err_read)" "$(kv err_write)" "$(kv err_status)" "$(kv err_timeout)")
  echo "http,$sys,$conns,13,$depth,0,$round,$conns,${rps:-na},$(pct p50),$(pct p90),$(pct p99),$(pct p999),$(pct max),$errs,na,na,$(window_columns "${rps:-na}")" >>"$ECHO_CSV"
  log "$tag: ${rps:-?} req/s p99 $(pct p99) us, errors $errs"
}
