#!/usr/bin/env bash
# Renders every view of the admin GUI, with data from a real engine, into docs/screenshots/
# (one of them in Czech). Offscreen: no display needed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target tst_gui
QT_QPA_PLATFORM=offscreen SEACAT_SCREENSHOT_DIR="$PWD/docs/screenshots" build/bin/tst_gui screenshots
