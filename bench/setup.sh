#!/usr/bin/env bash
# The benchmark's own set-up: installs Debian's hugo when it is missing (sudo when not root).
# `./run bench` already does this; run it yourself when calling bench/run.py directly.
set -euo pipefail
if command -v hugo >/dev/null 2>&1; then
    exit 0
fi
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "bench/setup.sh: install hugo (apt-get install hugo)" >&2; exit 1; }
    sudo=(sudo)
fi
echo "bench/setup.sh: installing hugo with apt-get" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends hugo </dev/null >/dev/null
hugo version
