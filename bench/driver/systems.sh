# systems.sh (sourced): start and stop each system under test (coring echo/http backends, Asio peers, nginx), pinned to $SERVER_CPU.
# shellcheck shell=bash

PEERS_DIR=${PEERS_DIR:-$BUILD_DIR/peers}
HTTP_BIN=${HTTP_BIN:-$BUILD_DIR/apps/http/coring-http}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}

# system_binary SYSTEM: the executable a system runs.
system_binary() {
  case $1 in
    coring-uring | coring-epoll | coring-threads) echo "$ECHO_BIN" ;;
    asio-epoll) echo "$PEERS_DIR/asio_echo_epoll" ;;
    asio-uring) echo "$PEERS_DIR/asio_echo_uring" ;;
    http-uring | http-epoll) echo "$HTTP_BIN" ;;
    nginx) echo "$NGINX_BIN" ;;
    *) return 1 ;;
  esac
}

# system_available SYSTEM: true if its binary exists; otherwise logs why it is skipped.
system_available() {
  local bin
  bin=$(system_binary "$1") || { log "skipping $1: unknown system"; return 1; }
  [[ -x $bin ]] && return 0
  log "skipping $1: $bin is missing"
  return 1
}

# wait_listen PORT SECONDS: true once something listens on 127.0.0.1/0.0.0.0:PORT.
wait_listen() {
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  return 1
}

# start_system SYSTEM PORT DIR: starts it pinned to $SERVER_CPU, logs in DIR/SYSTEM.log.
# Sets SERVER_PID (the process to stop) and STAT_PID (the process to measure: nginx's worker).
start_system() {
  local sys=$1 port=$2 dir=$3 bin logf=$3/$1.log
  bin=$(system_binary "$sys")
  case $sys in
    coring-*) taskset -c "$SERVER_CPU" "$bin" --port "$port" --backend "${sys#coring-}" --shards 1 >"$logf" 2>&1 & ;;
    http-*) taskset -c "$SERVER_CPU" "$bin" --port "$port" --backend "${sys#http-}" --shards 1 >"$logf" 2>&1 & ;;
    asio-*) taskset -c "$SERVER_CPU" "$bin" "$port" >"$logf" 2>&1 & ;;
    nginx)
      local nd
      nd=$(mktemp -d "$dir/nginx.XXXXXX")
      sed "s|@PORT@|$port|g; s|@DIR@|$nd|g" "$BENCH_ROOT/bench/peers/nginx.conf.in" >"$nd/nginx.conf"
      taskset -c "$SERVER_CPU" "$bin" -p "$nd" -c "$nd/nginx.conf" >"$logf" 2>&1 &
      ;;
  esac
  SERVER_PID=$!
  STAT_PID=$SERVER_PID
  wait_listen "$port" 30 || { cat "$logf" >&2; stop_pid "$SERVER_PID" 2 || true; return 1; }
  if [[ $sys == nginx ]]; then
    local i
    for ((i = 0; i < 50; i++)); do
      STAT_PID=$(pgrep -P "$SERVER_PID" | head -1) && [[ -n $STAT_PID ]] && break
      sleep 0.05
    done
  fi
  # A coring server that fell back to epoll would measure the wrong thing.
  case $sys in
    coring-uring | http-uring)
      sleep 0.1
      grep -q "fall" "$logf" && { cat "$logf" >&2; stop_pid "$SERVER_PID" 2 || true; die "$sys fell back to epoll"; } ;;
  esac
  return 0
}

stop_system() { stop_pid "$SERVER_PID" 10 || log "$1: server had to be killed"; }
