#!/usr/bin/env bash
# Builds the HTTP parser libFuzzer target with clang-14 (ASan+UBSan) and runs it on fuzz/corpus.
# Usage: scripts/fuzz.sh [seconds=600] [extra libFuzzer flags...]. New inputs go to build/fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --fuzz
secs=${1:-600}
shift || true
CXX=${CXX:-clang++-14}
out=build/fuzz
mkdir -p "$out/corpus"
"$CXX" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Iinclude -I. runtime/http/parser.cpp runtime/http/parser_fields.cpp runtime/http/parser_fast.cpp fuzz/http_parser_fuzz.cpp \
  -o "$out/http_parser_fuzz"
# Replay the inputs that once failed, then fuzz. The committed seeds are read; new inputs are written to the build directory only.
"$out/http_parser_fuzz" fuzz/regressions/*
exec "$out/http_parser_fuzz" -max_total_time="$secs" -max_len=4096 -timeout=10 \
  -dict=fuzz/http.dict "$@" "$out/corpus" fuzz/corpus
