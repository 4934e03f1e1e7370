#!/usr/bin/env bash
# Builds the API reference with Doxygen (installing doxygen if missing) into build/docs/html/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v doxygen >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q && apt-get install -y -q doxygen
  else
    echo "doxygen is missing; run: sudo apt-get install -y doxygen" >&2
    exit 1
  fi
fi
mkdir -p build/docs
doxygen docs/Doxyfile
echo "API reference: build/docs/html/index.html (warnings, if any: build/docs/warnings.log)"
