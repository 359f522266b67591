#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# --name in GUI mode on X11, with the real xcb platform plugin under Xvfb (issue 11): the plugin
# takes "--name X" as its WM_CLASS option unless main() gets to it first, and the offscreen
# tests never see that. For "--name X" and "--name=X" this checks the server certificate's CN and
# that seacat-client, which verifies the host name, reaches the gateway under that name.
# Usage: name_on_xcb.sh SEACAT_GATEWAY SEACAT_CLIENT   (re-runs itself inside xvfb.sh)
set -euo pipefail

if [ "${1:-}" != --inside ]; then
    command -v openssl >/dev/null || { echo "FAIL: openssl is missing; scripts/install-deps.sh installs it" >&2; exit 1; }
    exec "$(dirname "$0")/xvfb.sh" "$0" --inside "$@"
fi
gateway=$2 client=$3
work=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# A home of its own: GUI mode reads ~/.config/seacat-gateway/seacat-gateway.ini when present.
export HOME=$work/home XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/share XDG_RUNTIME_DIR=$work/runtime
mkdir -p "$HOME" && mkdir -m700 "$XDG_RUNTIME_DIR"
[ "$QT_QPA_PLATFORM" = xcb ] # set by xvfb.sh

check() { # label expected-name gateway-args...
    local label=$1 name=$2
    shift 2
    local data=$work/$label out=$work/$label.out err=$work/$label.err
    "$gateway" --data-dir "$data" --listen 127.0.0.1 --port 0 "$@" >"$out" 2>"$err" &
    pid=$!
    for _ in $(seq 300); do
        grep -q '^listening on ' "$out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q '^listening on ' "$out"; then
        echo "FAIL $label: the GUI gateway did not start on xcb within 30 s; stderr:" >&2
        cat "$err" >&2
        exit 1
    fi
    local port
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
    local subject
    subject=$(openssl x509 -in "$data/server.pem" -noout -subject -nameopt RFC2253)
    if [ "$subject" != "subject=CN=$name" ]; then
        echo "FAIL $label: server certificate has '$subject', expected CN=$name" >&2
        exit 1
    fi
    if ! "$client" --gateway "127.0.0.1:$port" --ca "$data/ca.pem" --name "$name" --timeout 10 ping >"$work/ping" 2>&1; then
        echo "FAIL $label: seacat-client --name $name could not ping the gateway:" >&2
        cat "$work/ping" >&2
        exit 1
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
    echo "PASS $label: $subject, seacat-client --name $name: $(head -1 "$work/ping")"
}

check spaced gw-spaced.local --name gw-spaced.local
check joined gw-joined.local --name=gw-joined.local
