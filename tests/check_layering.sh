#!/usr/bin/env bash
# STYLE.md §1: the engine never includes Qt Widgets or Qt GUI, in any spelling.
set -euo pipefail
root="${1:?usage: check_layering.sh SOURCE_DIR}"
if grep -rnE '#\s*include\s*[<"](QtWidgets|QtGui|QWidget|QApplication|QGuiApplication|QMainWindow)' "$root/gateway"; then
    echo "gateway/ must not depend on Qt Widgets or Qt GUI" >&2
    exit 1
fi
