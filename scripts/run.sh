#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and starts the gateway on the
# embedded defaults (port 443, falling back to 8443 without privilege) with its admin GUI, or
# headless when there is no display. Extra arguments are passed to seacat-gateway,
# e.g. scripts/run.sh --port 8443 --mode anonymous, or scripts/run.sh --headless
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
exec build/bin/seacat-gateway "$@"
