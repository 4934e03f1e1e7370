#!/usr/bin/env bash
# Quick start 1: install what is missing, build Release, start the demo server in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCORING_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target coring-echo
echo "coring: echo server on port ${PORT:-7000}; try: nc localhost ${PORT:-7000}   (Ctrl-C stops it)" >&2
exec build/release/apps/echo/coring-echo --port "${PORT:-7000}" --backend "${BACKEND:-uring}" "$@"
