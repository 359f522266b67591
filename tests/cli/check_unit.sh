#!/bin/sh
# The systemd unit passes `systemd-analyze verify` with no warning at all (unknown keys are only
# warnings there), keeps the options README "Operating it" promises, and a broken copy fails,
# so this check can fail. Usage: check_unit.sh UNIT.in GATEWAY_BINARY
set -u
unit_in=$1 binary=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze is not installed (apt-get install systemd)"
    exit 77
fi
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/good" "$work/bad"
bindir=$(dirname "$binary")
sed "s#@SEACAT_BINDIR@#$bindir#g; s#@SEACAT_DATADIR@#/usr/share#g" "$unit_in" > "$work/good/seacat-gateway.service"
verify() { # DIR: prints what systemd-analyze said; fails on any output or status
    out=$(cd "$1" && timeout 60 systemd-analyze verify ./seacat-gateway.service 2>&1)
    status=$?
    [ -n "$out" ] && echo "$out"
    [ $status -eq 0 ] && [ -z "$out" ]
}
if ! verify "$work/good"; then
    echo "FAIL: systemd-analyze verify complained about $unit_in"
    exit 1
fi
for line in 'AmbientCapabilities=CAP_NET_BIND_SERVICE' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
            'StateDirectory=seacat-gateway' 'LimitNOFILE=' 'ExecReload=/bin/kill -HUP $MAINPID' \
            '--config /etc/seacat-gateway/seacat-gateway.ini' '--check-config' 'Type=notify' 'NotifyAccess=main'; do
    grep -qF -- "$line" "$work/good/seacat-gateway.service" || { echo "FAIL: the unit lacks '$line'"; exit 1; }
done
sed 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "$work/good/seacat-gateway.service" > "$work/bad/seacat-gateway.service"
if verify "$work/bad" >/dev/null; then
    echo "FAIL: a misspelt key went unnoticed: this check cannot fail"
    exit 1
fi
echo "PASS: systemd-analyze verify is silent on the unit"
