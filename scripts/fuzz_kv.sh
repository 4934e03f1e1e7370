#!/usr/bin/env bash
# Builds coring-kv's RESP parser libFuzzer target with clang-14 (ASan+UBSan) and runs it.
# Usage: scripts/fuzz_kv.sh [seconds=300] [extra libFuzzer flags...]. Inputs go to build/fuzz/kv_corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --fuzz
secs=${1:-300}
shift || true
CXX=${CXX:-clang++-14}
out=build/fuzz
mkdir -p "$out/kv_corpus"
"$CXX" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Iapps apps/kv/resp_parser.cpp fuzz/kv_resp_fuzz.cpp -o "$out/kv_resp_fuzz"
printf '\x40*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING "a b"\r\n' >"$out/kv_corpus/seed"
exec "$out/kv_resp_fuzz" -max_total_time="$secs" -max_len=1024 -timeout=10 "$@" "$out/kv_corpus"
