#!/usr/bin/env bash
# Bad input against coring-kv on one backend (kv_abuse_test.py): offenders closed, RSS bounded, a well-behaved client served.
set -euo pipefail
bin=$1
backend=$2
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
# shellcheck source=tests/lib/server.sh
source "$here/../lib/server.sh"
log=$(mktemp)
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
limit=$((8 << 20))
# Under AddressSanitizer, freed memory waits in a quarantine (256 MB by default) before reuse, which the RSS
# bound would count as the server's own: keep it small. Ignored by a build without ASan.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
start_server "$log" "$bin" --bind 127.0.0.1 --port 0 --backend "$backend" --shards 2 --client-output-limit "$limit" || exit 1
grep -q "($backend)" "$log" || { cat "$log"; echo "FAIL: not on the $backend backend"; exit 1; }
"$py" "$here/kv_abuse_test.py" "$port" "$pid" "$limit"
stop_server  # still stops gracefully, exit status 0
echo "coring-kv bad input on $backend: ok"
