#!/usr/bin/env bash
# Packaging test: install this build to a temporary prefix, build examples/consumer with find_package
# and with pkg-config, and check that both binaries echo over loopback.
# Usage: consumer_test.sh <source dir> <binary dir>
set -euo pipefail
src=$1
bin=$2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coring-consumer.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

prefix=$tmp/prefix
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$bin/CMakeCache.txt")
cxx=${cxx:-c++}

echo "== install to $prefix"
cmake --install "$bin" --prefix "$prefix" >"$tmp/install.log"

if grep -rlE '#\s*include\s*[<"]liburing' "$prefix/include"; then
  echo "FAIL: an installed header includes liburing.h" >&2
  exit 1
fi
pc=$(find "$prefix" -name coring.pc -print -quit)
[ -n "$pc" ] || { echo "FAIL: coring.pc not installed" >&2; exit 1; }
libdir=$(dirname "$(dirname "$pc")")

echo "== find_package build"
cmake -S "$src/examples/consumer" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release >"$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/build" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }

echo "== pkg-config build"
static=
if [ -e "$libdir/libcoring.a" ]; then static=--static; fi  # a static libcoring needs Libs.private/Requires.private
flags=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config $static --cflags --libs coring)
echo "pkg-config $static --cflags --libs coring: $flags"
# shellcheck disable=SC2086
"$cxx" -std=c++20 -O1 "$src/examples/consumer/main.cpp" -o "$tmp/consumer-pc" $flags

# Start a binary on 127.0.0.1:0, read the bound address from its first line, echo through it, stop it.
check_echo() {
  local exe=$1 out=$tmp/server.out
  : >"$out"
  LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$exe" 127.0.0.1:0 >"$out" &
  server_pid=$!
  local addr=
  for _ in $(seq 100); do
    addr=$(head -n1 "$out")
    [ -n "$addr" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$addr" ] || { echo "FAIL: $exe did not start" >&2; return 1; }
  python3 - "${addr##*:}" <<'PY'
import socket, sys
port = int(sys.argv[1])
msg = b"hello from the coring consumer test\n" * 1000
with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
if got != msg:
    sys.exit(f"echo mismatch: sent {len(msg)} bytes, got {len(got)}")
print(f"echoed {len(got)} bytes on port {port}")
PY
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=
  [ "$rc" = 0 ] || { echo "FAIL: $exe exited with $rc after SIGTERM" >&2; return 1; }
}

echo "== run find_package binary"
check_echo "$tmp/build/consumer-echo"
echo "== run pkg-config binary"
check_echo "$tmp/consumer-pc"
echo "OK"
