#!/usr/bin/env bash
# load_verify_test.sh: runs coring-load against a server and checks its verdict (pass, verify failure, or connection error).
#
# Usage: load_verify_test.sh EXPECT LOAD_BIN SERVER_BIN [SERVER_ARGS...] -- [LOAD_ARGS...]
#   EXPECT = pass    exit 0, no errors, no verify failures, every message counted
#          = verify  exit 1 and verify_failures > 0
#          = error   exit 1 and errors > 0 (a short read that never completes, an early close)
# The server must print "listening on HOST:PORT" (port 0 is fine: the real one is read from that line).
set -uo pipefail
expect=$1 load=$2
shift 2
server=()
while [[ $# -gt 0 && $1 != -- ]]; do server+=("$1"); shift; done
shift || true
dir=$(mktemp -d /tmp/coring-loadtest.XXXXXX)
"${server[@]}" >"$dir/server.log" 2>&1 &
spid=$!
cleanup() { kill -INT "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
port=
for _ in $(seq 100); do
  port=$(sed -nE 's/.*listening on [0-9.]+:([0-9]+).*/\1/p' "$dir/server.log" | head -1)
  [[ -n $port ]] && break
  kill -0 "$spid" 2>/dev/null || break
  sleep 0.05
done
[[ -n $port ]] || { echo "server did not start:"; cat "$dir/server.log"; exit 1; }

"$load" --port "$port" --log-level warn "$@" >"$dir/out.json" 2>"$dir/load.log"
rc=$?
json=$(cat "$dir/out.json")
echo "coring-load exit $rc: $json"
sed -n 1,5p "$dir/load.log"
num() { sed -nE "s/.*\"$1\":([0-9]+).*/\1/p" <<<"$json"; }
errors=$(num errors) vf=$(num verify_failures) cerr=$(num connect_errors)
case $expect in
  pass) [[ $rc == 0 && $errors == 0 && $vf == 0 && $cerr == 0 && $(num messages) -gt 0 ]] ;;
  verify) [[ $rc == 1 && ${vf:-0} -gt 0 ]] ;;
  error) [[ $rc == 1 && ${errors:-0} -gt 0 ]] ;;
  *) echo "unknown expectation $expect"; false ;;
esac || { echo "FAIL: expected $expect"; exit 1; }
echo "ok: $expect"
