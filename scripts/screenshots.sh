#!/usr/bin/env bash
# Renders every view of the admin GUI, with data from a busy real engine (authenticated clients
# getting 200s, pending requests, some seconds of traffic in the chart), into docs/screenshots/
# (one of them in Czech). On Xvfb with the real xcb platform, as an admin would see it; no
# display needed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target tst_gui
SEACAT_SCREENSHOT_DIR="$PWD/docs/screenshots" tests/gui/xvfb.sh build/bin/tst_gui screenshots
