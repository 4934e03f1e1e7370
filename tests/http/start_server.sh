# Sourced by the coring-http smoke tests: start_http BIN LOG ARGS... starts the server on an
# ephemeral port and sets `pid` and `addr` (host:port, read from its "listening on" line).
start_http() {
  local bin=$1 log=$2
  shift 2
  : >"$log"  # emptied here, not by the child's redirection: the wait must not read the last run's line
  "$bin" --host 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
  pid=$!
  addr=""
  for _ in $(seq 100); do
    addr=$(sed -n 's/^coring-http: listening on //p' "$log")
    [ -n "$addr" ] && return 0
    sleep 0.05
  done
  cat "$log"
  return 1
}
