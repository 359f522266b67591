#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need. Skips apt when all are present,
# so repeated runs cost nothing. See README "Dependencies" for why each package is here.
set -euo pipefail
packages=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-base-private-dev qt6-tools-dev qt6-l10n-tools qt6-tools-dev-tools libqt6sql6-sqlite libqt6sql6-psql libqt6svg6
    qt6-httpserver-dev qt6-websockets-dev
    libssl-dev libnghttp2-dev
    curl openssl xvfb xauth python3 postgresql-15 bind9-utils dnsmasq-base
    clang-format-14
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
