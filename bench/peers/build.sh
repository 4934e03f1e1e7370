#!/usr/bin/env bash
# build.sh: compiles the bench peers (asio_echo twice: epoll and io_uring) into $1 (default build/h-bench/peers).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../build/h-bench/peers}
mkdir -p "$out"
CXX=${CXX:-g++}
flags=(-std=c++20 -O2 -DNDEBUG -pthread)
[[ -f /usr/include/asio.hpp ]] || { echo "build.sh: no /usr/include/asio.hpp (apt-get install libasio-dev)" >&2; exit 1; }
if [[ ! $out/asio_echo_epoll -nt $here/asio_echo.cpp ]]; then
  "$CXX" "${flags[@]}" "$here/asio_echo.cpp" -o "$out/asio_echo_epoll"
fi
if [[ ! $out/asio_echo_uring -nt $here/asio_echo.cpp ]]; then
  "$CXX" "${flags[@]}" -DASIO_HAS_IO_URING -DASIO_DISABLE_EPOLL "$here/asio_echo.cpp" -o "$out/asio_echo_uring" -luring
fi
echo "$out"
