#!/usr/bin/env bash
# A 200 MiB static file fetched with curl from coring-http on each backend and each send_file way: its SHA-256, a range's, and the server's RSS stay right.
set -euo pipefail
# shellcheck source=tests/lib/server.sh
source "$(dirname "$0")/../lib/server.sh"
bin=$1
size_mib=${2:-200}
command -v curl >/dev/null || { echo "FAIL: curl missing (scripts/deps.sh installs it)"; exit 1; }
root=$(mktemp -d)
log=$(mktemp)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$root" "$log"' EXIT
head -c $((size_mib << 20)) /dev/urandom > "$root/big.bin"
want=$(sha256sum < "$root/big.bin" | cut -d' ' -f1)
want_range=$(dd if="$root/big.bin" bs=1M skip=7 count=3 status=none | sha256sum | cut -d" " -f1)
for way in "uring sendfile" "uring read" "uring splice" "epoll read" "epoll sendfile"; do
  read -r backend mode <<<"$way"
  CORING_SEND_FILE=$mode start_server "$log" "$bin" --host 127.0.0.1 --port 0 --backend "$backend" --shards 1 \
    --root "$root" || exit 1
  got=$(curl -sf "http://$addr/static/big.bin" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$want" ] || { echo "FAIL: $way: sha256 $got, want $want"; exit 1; }
  got=$(curl -sf -r $((7 << 20))-$(((10 << 20) - 1)) "http://$addr/static/big.bin" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$want_range" ] || { echo "FAIL: $way: range sha256 $got, want $want_range"; exit 1; }
  rss_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  # Memory stays bounded: the high-water RSS is far below the file's size.
  [ "$rss_kib" -lt $(((size_mib << 10) / 2)) ] || { echo "FAIL: $way: peak RSS ${rss_kib} KiB for a ${size_mib} MiB file"; exit 1; }
  kill "$pid"
  wait "$pid" || true
  pid=""
  echo "$way: ${size_mib} MiB sha256 ok, range ok, peak RSS ${rss_kib} KiB"
done
