#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs a command under Xvfb with the real xcb platform plugin, which the offscreen GUI tests
# never load (issue 11: xcb takes --name for itself). Fails, naming the fix, when the X tools
# are missing; scripts/install-deps.sh installs them.
# Usage: xvfb.sh COMMAND [ARGS...]
set -euo pipefail
for tool in xvfb-run xauth Xvfb; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing; scripts/install-deps.sh installs it" >&2; exit 1; }
done
# -a: a free display number, other tests may run their own Xvfb at the same time.
exec xvfb-run -a -s '-screen 0 1280x800x24' env QT_QPA_PLATFORM=xcb "$@"
