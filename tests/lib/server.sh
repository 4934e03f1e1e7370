# Sourced by the tests that run a server binary (coring-http, coring-kv); one server at a time.
#   start_server LOG BIN ARGS...  runs BIN ARGS in the background (ARGS make it listen on port 0), waits
#                                 for its "NAME: listening on HOST:PORT" line and sets pid, addr (HOST:PORT), port.
#   stop_server                   SIGTERM (a graceful stop) and wait; fails unless it exited with status 0.
# shellcheck shell=bash disable=SC2034  # pid, addr and port are for the caller
pid=
start_server() {
  local log=$1 bin=$2
  shift 2
  : >"$log"  # emptied here, not by the child's redirection: the wait must not read the last run's line
  "$bin" "$@" >"$log" 2>&1 &
  pid=$!
  addr=
  port=
  for _ in $(seq 200); do
    addr=$(sed -n 's/^[a-z-]*: listening on \([^ ]*\).*/\1/p' "$log")
    if [ -n "$addr" ]; then
      port=${addr##*:}
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log"
  return 1
}
stop_server() {
  local p=$pid
  pid=
  kill "$p"
  wait "$p"
}
