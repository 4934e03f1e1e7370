#!/usr/bin/env bash
# Builds one libFuzzer target with clang-14 (ASan+UBSan), replays its regressions, and fuzzes it.
# Usage: scripts/fuzz.sh [http|kv] [seconds=600] [extra libFuzzer flags...]
#   http: the HTTP request parser (fuzz/http_parser_fuzz.cpp), seeds fuzz/corpus, dictionary fuzz/http.dict
#   kv:   coring-kv's RESP parser (fuzz/kv_resp_fuzz.cpp)
# New inputs go to build/fuzz/<target>_corpus; the committed seeds are only read.
set -euo pipefail
cd "$(dirname "$0")/.."
target=http
case ${1:-} in http | kv) target=$1; shift ;; esac
secs=${1:-600}
shift || true
scripts/deps.sh --fuzz
CXX=${CXX:-clang++-14}
out=build/fuzz
corpus=$out/${target}_corpus
mkdir -p "$corpus"
# shellcheck disable=SC2054  # the commas belong to -fsanitize=
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
case $target in
  http)
    "$CXX" "${flags[@]}" -Iinclude -I. runtime/http/parser.cpp runtime/http/parser_fields.cpp runtime/http/parser_fast.cpp runtime/http/authority.cpp \
      fuzz/http_parser_fuzz.cpp -o "$out/http_parser_fuzz"
    "$out/http_parser_fuzz" fuzz/regressions/*  # the inputs that once failed
    exec "$out/http_parser_fuzz" -max_total_time="$secs" -max_len=4096 -timeout=10 -dict=fuzz/http.dict "$@" "$corpus" fuzz/corpus
    ;;
  kv)
    "$CXX" "${flags[@]}" -Iapps apps/kv/resp_parser.cpp fuzz/kv_resp_fuzz.cpp -o "$out/kv_resp_fuzz"
    # shellcheck disable=SC2016  # a literal RESP seed: nothing to expand
    printf '\x40*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING "a b"\r\n' >"$corpus/seed"
    exec "$out/kv_resp_fuzz" -max_total_time="$secs" -max_len=1024 -timeout=10 "$@" "$corpus"
    ;;
esac
