#!/usr/bin/env bash
# Must-show: a 1 GiB static file fetched by 50 clients at once from coring-http (one shard): every SHA-256 right,
# server RSS growth at most 64 MiB, on io_uring (splice) and epoll (sendfile); tests/http/many_clients_sha.sh
# does the work (CI runs it with 32 MiB). Takes minutes: 50 GiB cross loopback and through sha256sum.
#   bench/large_file_clients.sh [BUILD_DIR=build/rel] [SIZE_MIB=1024] [CLIENTS=50]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/rel}
WAYS=${WAYS:-"uring splice;uring read;epoll sendfile;epoll read"} \
  exec bash "$here/../tests/http/many_clients_sha.sh" "$build/apps/http/coring-http" "${2:-1024}" "${3:-50}" 64
