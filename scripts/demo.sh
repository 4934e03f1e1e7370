#!/usr/bin/env bash
# Quick start 1: install what is missing, build Release, start the HTTP demo server (coring-http) in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DCORING_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" --target coring-http
port=${PORT:-8080}
echo "coring: HTTP server on port $port; try: curl localhost:$port/  (also /json, /metrics, /healthz, /static/http.md)   (Ctrl-C stops it)" >&2
exec build/release/apps/http/coring-http --port "$port" --backend "${BACKEND:-uring}" --root "${ROOT:-docs}" "$@"
