#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and fuzzes each parser for SECONDS (default 60),
# starting from its committed corpus: scripts/fuzz.sh [SECONDS] [framereader|csr|httpresponse].
# New finds land in build-fuzz/corpus-NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v clang++ >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DSEACAT_FUZZ=ON >/dev/null
declare -A corpus=([framereader]=corpus-frames [csr]=corpus-csr [httpresponse]=corpus-http)
for name in ${2:-framereader csr httpresponse}; do
    cmake --build build-fuzz --target "fuzz_$name"
    mkdir -p "build-fuzz/corpus-$name"
    build-fuzz/bin/"fuzz_$name" "build-fuzz/corpus-$name" "tests/fuzz/${corpus[$name]}" -max_total_time="${1:-60}" -max_len=70000
done
