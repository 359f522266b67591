#!/usr/bin/env bash
# The C++ tree satisfies .clang-format, as formatted by Debian 12's clang-format 14 (versions
# disagree on details). Fix with: clang-format-14 -i $(git ls-files '*.cpp' '*.h')
set -euo pipefail
root="${1:?usage: check_format.sh SOURCE_DIR}"
format=$(command -v clang-format-14 || true)
if [ -z "$format" ]; then
    echo "clang-format-14 is missing: scripts/install-deps.sh installs it" >&2
    exit 1
fi
cd "$root"
mapfile -t files < <(find app client gateway gui tests -name '*.cpp' -o -name '*.h' | sort)
"$format" --dry-run -Werror "${files[@]}"
