#!/usr/bin/env bash
# A large static file fetched by many curl clients at once from coring-http, on each backend and send_file way:
# every client's SHA-256 is right and the server's RSS grows by at most a bound (64 MiB by default).
# CI runs it with a 32 MiB file; bench/large_file_clients.sh runs it with the full 1 GiB (see bench/README.md).
#   many_clients_sha.sh BIN [SIZE_MIB=64] [CLIENTS=50] [MAX_GROWTH_MIB=64]
# WAYS="uring splice;epoll sendfile" picks backends and send_file ways (default: all five).
set -euo pipefail
# shellcheck source=tests/lib/server.sh
source "$(dirname "$0")/../lib/server.sh"
bin=$1
size_mib=${2:-64}
clients=${3:-50}
max_growth_mib=${4:-64}
command -v curl >/dev/null || { echo "FAIL: curl missing (scripts/deps.sh installs it)"; exit 1; }
root=$(mktemp -d)
log=$(mktemp)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$root" "$log"' EXIT
# Generated, not random: 1 MiB of random bytes repeated with the block number in front (quick to make).
head -c $((1 << 20)) /dev/urandom >"$root/block"
python3 - "$root/block" "$root/big.bin" "$size_mib" <<'PY'
import sys
block = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as f:
    for i in range(int(sys.argv[3])):
        f.write(i.to_bytes(8, "little") + block[8:])
PY
want=$(sha256sum <"$root/big.bin" | cut -d' ' -f1)
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
IFS=';' read -r -a ways <<<"${WAYS:-uring sendfile;uring splice;uring read;epoll sendfile;epoll read}"
for way in "${ways[@]}"; do
  read -r backend mode <<<"$way"
  CORING_SEND_FILE=$mode start_server "$log" "$bin" --host 127.0.0.1 --port 0 --backend "$backend" --shards 1 \
    --root "$root" || exit 1
  # Warm up (the first responses' buffers and caches), then take the baseline.
  curl -sf -o /dev/null "http://$addr/static/big.bin"
  curl -sf -o /dev/null "http://$addr/"
  base=$(rss_kib "$pid")
  start=$(date +%s.%N)
  sums=$(for _ in $(seq "$clients"); do
    (curl -sf "http://$addr/static/big.bin" | sha256sum | cut -d' ' -f1) &
  done
  wait)
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  ok=$(grep -c "^$want$" <<<"$sums" || true)
  [ "$ok" = "$clients" ] || { echo "FAIL: $way: $ok of $clients SHA-256 right"; exit 1; }
  peak=$(hwm_kib "$pid")
  growth=$((peak - base))
  echo "$way: $clients clients x ${size_mib} MiB in ${secs}s: all SHA-256 right; RSS $((base >> 10)) MiB before, peak $((peak >> 10)) MiB (growth $((growth >> 10)) MiB)"
  [ "$growth" -le $((max_growth_mib << 10)) ] ||
    { echo "FAIL: $way: RSS grew by ${growth} KiB, more than ${max_growth_mib} MiB"; exit 1; }
  stop_server
done
