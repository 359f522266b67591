#!/usr/bin/env bash
# Builds the libFuzzer target with clang and fuzzes the frame parser for SECONDS (default 60),
# starting from the committed corpus. New finds land in build-fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v clang++ >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DSEACAT_FUZZ=ON >/dev/null
cmake --build build-fuzz --target fuzz_framereader
mkdir -p build-fuzz/corpus
exec build-fuzz/bin/fuzz_framereader build-fuzz/corpus tests/fuzz/corpus -max_total_time="${1:-60}" -max_len=70000
