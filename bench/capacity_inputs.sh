#!/usr/bin/env bash
# The inputs of docs/capacity.md that are not in the other scripts: kernel object sizes of a TCP socket, the limits that decide how many connections fit, TLS handshake crypto speed, and HAProxy's memory per idle connection.
#
#   bench/capacity_inputs.sh     env: N=5000 (idle connections through HAProxy), BUILD_DIR, NO_BUILD=1
#
# 1. /proc/slabinfo: object size and objects per slab of each cache a connected TCP socket uses
#    (root only), so bytes per socket include the slab's rounding.
# 2. The limits: fs.nr_open, fs.file-max, the ephemeral port range, somaxconn, the SYN backlog,
#    tcp_mem (pages), tcp_rmem/tcp_wmem, nf_conntrack_max if the module is loaded; RAM.
# 3. openssl speed: ECDSA P-256 signs and ECDH P-256 derivations per second on one core (the
#    server's share of a TLS 1.3 handshake with an ECDSA certificate), RSA-2048 signs for contrast.
# 4. HAProxy (examples/haproxy/haproxy.cfg, three coring-http behind it): VmRSS growth per idle
#    client connection, N connections each having made one request (coring-load --http --hold-idle).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N=${N:-5000}
HTTP_BIN=$BUILD_DIR/apps/http/coring-http
bench_build
[[ ${NO_BUILD:-0} == 1 ]] || cmake --build "$BUILD_DIR" -j2 --target coring-http >>"$BUILD_DIR.build.log" 2>&1 || die "build failed"
raise_nofile

echo "== 1. kernel objects of a TCP socket (/proc/slabinfo): name objsize objperslab pagesperslab -> bytes per object with the slab's rounding"
if [[ -r /proc/slabinfo ]]; then
  grep -E '^(TCP|sock_inode_cache|dentry|filp|lsm_inode_cache|lsm_file_cache|eventpoll_epi|io_kiocb|kmalloc-512|kmalloc-96|tw_sock_TCP|request_sock_TCP|nf_conntrack) ' /proc/slabinfo |
    awk '{printf "%-18s %5d %4d %2d -> %5.0f B\n", $1, $4, $5, $6, $6 * 4096 / $5}'
else
  echo "(not root: /proc/slabinfo unreadable)"
fi

echo "== 2. limits"
for k in fs.nr_open fs.file-max net.ipv4.ip_local_port_range net.core.somaxconn net.ipv4.tcp_max_syn_backlog \
  net.ipv4.tcp_mem net.ipv4.tcp_rmem net.ipv4.tcp_wmem net.netfilter.nf_conntrack_max; do
  f=/proc/sys/${k//.//}
  if [[ -r $f ]]; then echo "$k = $(tr '\t' ' ' <"$f")"; else echo "$k: (not present: module not loaded)"; fi
done
echo "RLIMIT_NOFILE hard = $(ulimit -Hn); MemTotal = $(awk '/^MemTotal/ {print $2}' /proc/meminfo) kB; CPUs = $(nproc)"

echo "== 3. openssl speed (one core, 2 s each)"
command -v openssl >/dev/null || die "openssl missing"
openssl speed -seconds 2 ecdsap256 ecdhp256 rsa2048 2>/dev/null | grep -E '^ *(256 bits ecdsa|256 bits ecdh|rsa 2048)'

echo "== 4. HAProxy: memory per idle client connection ($N)"
command -v haproxy >/dev/null || die "haproxy missing (scripts/deps.sh installs it)"
run=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$run"' EXIT
ports=()
for i in 1 2 3; do
  pick_port
  taskset -c "$SERVER_CPU" "$HTTP_BIN" --host 127.0.0.1 --port "$PORT" --shards 1 --log-level warn >"$run/http$i.log" 2>&1 &
  pids+=($!)
  ports[$i]=$PORT
  wait_for_line "$run/http$i.log" "listening on" 30 || die "coring-http did not start"
done
pick_port
CORING_RUN_DIR=$run CORING_FRONTEND=127.0.0.1:$PORT CORING_BACKEND1=127.0.0.1:${ports[1]} \
  CORING_BACKEND2=127.0.0.1:${ports[2]} CORING_BACKEND3=127.0.0.1:${ports[3]} \
  taskset -c "$SERVER_CPU" haproxy -db -f "$BENCH_ROOT/examples/haproxy/haproxy.cfg" >"$run/haproxy.log" 2>&1 &
hap=$!
pids+=($hap)
sleep 1
kill -0 "$hap" || { cat "$run/haproxy.log"; die "haproxy did not start"; }
# 100 warm-up connections first (HAProxy's pools, the backends' first connections), then N more.
run_load "$run/warm.log" --http --host 127.0.0.1 --port "$PORT" --connections 100 --hold-idle --duration 60 >/dev/null &
warm=$!
pids+=($warm)
wait_for_line "$run/warm.log" "established" 30 || die "warm-up load did not connect"
sleep 1
before=$(rss_kb "$hap")
run_load "$run/load.log" --http --host 127.0.0.1 --port "$PORT" --connections "$N" --hold-idle --duration 4 >"$run/load.json" &
load=$!
pids+=($load)
wait_for_line "$run/load.log" "established" 60 || die "load did not connect"
sleep 1.5
after=$(rss_kb "$hap")
established=$(sed -n 's/.*established \([0-9]*\) of.*/\1/p' "$run/load.log")
echo "haproxy VmRSS $before -> $after kB with $established more idle client connections (each made one request):" \
  "$(((after - before) * 1024 / established)) B per connection"
wait "$load" || true
