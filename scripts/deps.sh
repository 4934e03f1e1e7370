#!/usr/bin/env bash
# Installs the Debian packages coring needs to build and test (as root), or prints the apt line to run.
set -euo pipefail
# The default set is what scripts/test.sh builds and runs: the toolchain and libraries, and every
# program a test invokes (python3 for tests/*.py and consumer_test.sh, pkg-config for the latter,
# curl for tests/http/curl_smoke.sh, wrk and ab (apache2-utils) for tests/http/tools_smoke.sh, python3-redis and
# redis-cli (redis-tools) for tests/kv/kv_e2e.sh, haproxy for tests/http/haproxy_roll.sh).
# Those tests fail, not skip, when a program is missing, so a fresh machine runs them all.
packages=(g++ cmake make pkg-config liburing-dev libfmt-dev doctest-dev libcli11-dev python3 libhttp-parser-dev
          curl wrk apache2-utils python3-redis redis-tools haproxy)
# Bench-only packages (bench/run.sh and the bench/ scripts install them with --bench).
[ "${1:-}" = "--bench" ] && packages+=(valgrind strace linux-perf gnuplot-nox libasio-dev nginx-light iproute2 procps redis-server redis-tools)
[ "${1:-}" = "--fuzz" ] && packages+=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "coring: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "coring: missing packages. Run as root:" >&2
  echo "  sudo sh -c '$line'" >&2
  exit 1
fi
