#!/usr/bin/env bash
# seacat-gateway against nghttpx, side by side in one run (issue 10). Both terminate TLS 1.2
# ECDHE-RSA-AES256-SHA384 with the same RSA-2048 key and certificate (the gateway's), both
# proxy to the same nginx (1 worker, a 100-byte file), both are pinned to one core and the
# load to another. The gateway is driven by seacat-bench, nghttpx by h2load, with the same
# sessions × streams. Server CPU comes from /proc/PID/stat (utime + stime of the server's
# processes), so the speed of the load generators does not enter µs per request.
#
# Loopback only, non-standard ports, everything under one /tmp directory, bounded in time
# (about 2 minutes with the defaults). Environment:
#   BENCH_DURATION=5        seconds per load scenario
#   BENCH_IDLE_SESSIONS=1000   idle sessions for the memory scenario
#   BENCH_SERVER_CPU=0 BENCH_LOAD_CPU=1   cores for the servers and for load + nginx
#   BENCH_PORT_BASE=28400   nginx +0, gateway +43, nghttpx +44
#   BENCH_SCENARIOS="idle 1x1 1x10 10x10 100x10 handshakes"
#   BENCH_NO_BUILD=1        use build/ as it is
#   BENCH_GATEWAY=PATH      another seacat-gateway binary (e.g. an older build, to compare)
#   BENCH_WORKERS=N         the gateway's --workers (default: its own, the cores it may use;
#                           pinned to one core that is 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-5}
IDLE_SESSIONS=${BENCH_IDLE_SESSIONS:-1000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
PORT_BASE=${BENCH_PORT_BASE:-28400}
SCENARIOS=${BENCH_SCENARIOS:-"idle 1x1 1x10 10x10 100x10 handshakes"}
WORKERS_ARGS=()
[ -z "${BENCH_WORKERS:-}" ] || WORKERS_ARGS=(--workers "$BENCH_WORKERS")
NGINX_PORT=$PORT_BASE
GATEWAY_PORT=$((PORT_BASE + 43))
NGHTTPX_PORT=$((PORT_BASE + 44))
NAME=bench.local
CIPHER=ECDHE-RSA-AES256-SHA384

# --- packages (bench-only: not in install-deps.sh) -------------------------------------------
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v nghttpx >/dev/null || [ -x /usr/sbin/nghttpx ] || need+=(nghttp2-proxy)
command -v h2load >/dev/null || need+=(nghttp2-client)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH=$PATH:/usr/sbin

# --- build -------------------------------------------------------------------------------------
if [ -z "${BENCH_NO_BUILD:-}" ]; then
    scripts/install-deps.sh >/dev/null
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j2 --target seacat-gateway seacat-bench >/dev/null
fi
GATEWAY=${BENCH_GATEWAY:-$ROOT/build/bin/seacat-gateway}
BENCH=$ROOT/build/bin/seacat-bench

WORK=$(mktemp -d /tmp/seacat-bench.XXXXXX)
chmod 755 "$WORK"   # nginx workers run as nobody when started as root
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

wait_port() { # port, seconds
    local deadline=$((SECONDS + $2))
    until (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { echo "bench: nothing listens on port $1 after $2 s" >&2; exit 1; }
        sleep 0.1
    done
}

# --- nginx: 1 worker, a 100-byte file, a private config ---------------------------------------
mkdir -p "$WORK/www" "$WORK/nginx"
head -c 99 /dev/zero | tr '\0' 'x' > "$WORK/www/small.txt"; echo >> "$WORK/www/small.txt"
chmod -R a+rX "$WORK/www"
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
    }
}
EOF
taskset -c "$LOAD_CPU" nginx -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
PIDS+=($!)
wait_port "$NGINX_PORT" 10

# --- the gateway (its data dir gives the key and certificate nghttpx uses too) -----------------
taskset -c "$SERVER_CPU" "$GATEWAY" --headless --data-dir "$WORK/gw" --name="$NAME" --listen 127.0.0.1 \
    --port "$GATEWAY_PORT" --mode anonymous --backend "app=http://127.0.0.1:$NGINX_PORT" "${WORKERS_ARGS[@]}" \
    >"$WORK/gateway.out" 2>"$WORK/gateway.err" &
GATEWAY_PID=$!
PIDS+=($GATEWAY_PID)
for _ in $(seq 200); do grep -q '^listening on' "$WORK/gateway.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^listening on' "$WORK/gateway.out" || { echo "bench: the gateway did not start:" >&2; cat "$WORK/gateway.err" >&2; exit 1; }

# --- nghttpx: 1 worker, the same key and certificate, TLS 1.2 with the stock cipher only -------
# CBC suites are on HTTP/2's block list (RFC 7540 App. A): without the flag nghttpx would refuse h2.
taskset -c "$SERVER_CPU" nghttpx --conf=/dev/null --workers=1 --frontend="127.0.0.1,$NGHTTPX_PORT" \
    --backend="127.0.0.1,$NGINX_PORT" --tls-min-proto-version=TLSv1.2 --tls-max-proto-version=TLSv1.2 \
    --ciphers="$CIPHER" --no-http2-cipher-block-list --no-ocsp --errorlog-file="$WORK/nghttpx.log" \
    --pid-file="$WORK/nghttpx.pid" "$WORK/gw/server-key.pem" "$WORK/gw/server.pem" >"$WORK/nghttpx.out" 2>&1 &
NGHTTPX_PID=$!
PIDS+=($NGHTTPX_PID)
wait_port "$NGHTTPX_PORT" 10

# --- measuring ---------------------------------------------------------------------------------
# CPU ticks (utime + stime) of a server: its process and its direct children (nghttpx forks
# its worker).
server_pids() { echo "$1"; pgrep -P "$1" || true; }
cpu_ticks() {
    local total=0 pid t
    for pid in $(server_pids "$1"); do
        t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + t))
    done
    echo "$total"
}
rss_kib() {
    local total=0 pid r
    for pid in $(server_pids "$1"); do
        r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + r))
    done
    echo "$total"
}
TICK=$(getconf CLK_TCK)
RESULTS=$WORK/results.md
: > "$RESULTS"
out() { echo "$*" | tee -a "$RESULTS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "–" }'; }

# gateway run: prints "rps cpu_us_per_req p50 p99 errors"
run_gateway() { # sessions streams [extra seacat-bench args...]
    local c=$1 m=$2; shift 2
    local before after
    before=$(cpu_ticks "$GATEWAY_PID")
    taskset -c "$LOAD_CPU" "$BENCH" --gateway "127.0.0.1:$GATEWAY_PORT" --ca "$WORK/gw/ca.pem" --name "$NAME" \
        -c "$c" -m "$m" -D "$DURATION" "$@" http://app.seacat/small.txt > "$WORK/seacat-bench.out" 2>&1 || true
    after=$(cpu_ticks "$GATEWAY_PID")
    cat "$WORK/seacat-bench.out" >> "$WORK/log.txt"
    awk -v ticks=$((after - before)) -v hz="$TICK" '/^summary:/ {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            n = v["responses"]; cpu = n > 0 ? ticks / hz * 1e6 / n : 0
            printf "%s %.1f %s %s %s %s %.1f\n", v["rps"], cpu, v["p50_ms"], v["p99_ms"], v["errors"], n, ticks / hz }' \
        "$WORK/seacat-bench.out"
}
# nghttpx run through h2load, same shape of output
run_nghttpx() { # sessions streams
    local c=$1 m=$2 before after
    before=$(cpu_ticks "$NGHTTPX_PID")
    taskset -c "$LOAD_CPU" h2load -c "$c" -m "$m" -D "$DURATION" --ciphers="$CIPHER" --log-file="$WORK/h2load.log" \
        "https://127.0.0.1:$NGHTTPX_PORT/small.txt" > "$WORK/h2load.out" 2>&1 || true
    after=$(cpu_ticks "$NGHTTPX_PID")
    cat "$WORK/h2load.out" >> "$WORK/log.txt"
    # --log-file: start time, status, duration in µs per request
    local p50 p99
    read -r p50 p99 < <(awk '$2 >= 200 && $2 < 300 { print $3 }' "$WORK/h2load.log" | sort -n | awk '
        { v[NR] = $1 } END { if (NR == 0) { print "0 0"; exit }
          i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
          printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }')
    awk -v ticks=$((after - before)) -v hz="$TICK" -v p50="$p50" -v p99="$p99" '
        /^requests:/ { done = $6; failed = $10; errored = $12 }
        /^status codes:/ { ok = $3 }
        /^finished in/ { rps = $4 }
        END { cpu = ok > 0 ? ticks / hz * 1e6 / ok : 0
              printf "%s %.1f %s %s %d %d %.1f\n", rps, cpu, p50, p99, failed + errored + (done - ok), ok, ticks / hz }' \
        "$WORK/h2load.out"
}

load_scenario() { # label sessions streams
    local label=$1 c=$2 m=$3 g n
    g=$(run_gateway "$c" "$m")
    n=$(run_nghttpx "$c" "$m")
    read -r grps gcpu gp50 gp99 gerr gok gsec <<<"$g"
    read -r nrps ncpu np50 np99 nerr nok nsec <<<"$n"
    out ""
    out "### $label: $c session(s) × $m stream(s) in flight, GET of 100 bytes, ${DURATION} s"
    out ""
    out "| | gateway | nghttpx | gateway / nghttpx |"
    out "|---|---|---|---|"
    out "| requests/s | $grps | $nrps | $(ratio "$grps" "$nrps") |"
    out "| server CPU µs per request | $gcpu | $ncpu | $(ratio "$gcpu" "$ncpu") |"
    out "| latency p50 ms | $gp50 | $np50 | $(ratio "$gp50" "$np50") |"
    out "| latency p99 ms | $gp99 | $np99 | $(ratio "$gp99" "$np99") |"
    out "| answered (errors) | $gok ($gerr) | $nok ($nerr) | |"
}

handshake_scenario() {
    local c=8 g before after deadline ok=0 total=0 started
    g=$(run_gateway "$c" 1 --handshakes)
    read -r grps gcpu gp50 gp99 gerr gok gsec <<<"$g"
    # h2load has no connection-per-request mode: -c N -n N gives each of N fresh connections
    # one request (a full handshake: h2load does not resume sessions). Repeated for the duration.
    before=$(cpu_ticks "$NGHTTPX_PID")
    started=$(date +%s.%N)
    deadline=$((SECONDS + DURATION))
    while [ $SECONDS -lt $deadline ]; do
        taskset -c "$LOAD_CPU" h2load -c 50 -n 50 -m 1 --ciphers="$CIPHER" "https://127.0.0.1:$NGHTTPX_PORT/small.txt" \
            > "$WORK/h2load.out" 2>&1 || true
        ok=$((ok + $(awk '/^status codes:/ { print $3 }' "$WORK/h2load.out")))
        total=$((total + 50))
    done
    after=$(cpu_ticks "$NGHTTPX_PID")
    local nsec hps_g hps_n wall
    nsec=$(awk -v t=$((after - before)) -v hz="$TICK" 'BEGIN { printf "%.2f", t / hz }')
    wall=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
    hps_g=$(awk -v n="$gok" -v s="$gsec" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
    hps_n=$(awk -v n="$ok" -v s="$nsec" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
    out ""
    out "### Full TLS 1.2 handshakes (one request each, no resumption), ${DURATION} s"
    out ""
    out "| | gateway | nghttpx | gateway / nghttpx |"
    out "|---|---|---|---|"
    out "| handshakes per server-CPU-second | $hps_g | $hps_n | $(ratio "$hps_g" "$hps_n") |"
    out "| handshakes (server CPU s) | $gok ($gsec s) | $ok of $total ($nsec s) | |"
    out "| handshakes/s, wall | $grps | $(awk -v n="$ok" -v w="$wall" 'BEGIN { printf "%.1f", n / w }') | |"
}

idle_scenario() {
    local n=$IDLE_SESSIONS
    idle_one() { # pid port protocol → KiB per session
        local pid=$1 port=$2 protocol=$3 before after
        before=$(rss_kib "$pid")
        taskset -c "$LOAD_CPU" "$BENCH" --gateway "127.0.0.1:$port" --ca "$WORK/gw/ca.pem" --name "$NAME" -c "$n" \
            --hold 6 --protocol "$protocol" --timeout 30 > "$WORK/hold.out" 2>&1 &
        local bench=$!
        for _ in $(seq 600); do grep -q '^ready' "$WORK/hold.out" && break; sleep 0.1; done
        sleep 2 # let the server settle (sniffers, timers) before reading its memory
        after=$(rss_kib "$pid")
        wait "$bench" || true
        cat "$WORK/hold.out" >> "$WORK/log.txt"
        local ready
        ready=$(awk '/^ready/ { print $2 }' "$WORK/hold.out")
        awk -v b="$before" -v a="$after" -v r="${ready:-0}" 'BEGIN { if (r > 0) printf "%.1f %d %d %d\n", (a - b) / r, r, b, a; else print "0 0 0 0" }'
    }
    local g n2
    g=$(idle_one "$GATEWAY_PID" "$GATEWAY_PORT" seacat)
    n2=$(idle_one "$NGHTTPX_PID" "$NGHTTPX_PORT" h2)
    read -r gk gr gb ga <<<"$g"
    read -r nk nr nb na <<<"$n2"
    out ""
    out "### Memory per idle session, $n sessions (RSS growth / sessions; fresh servers)"
    out ""
    out "| | gateway | nghttpx | gateway / nghttpx |"
    out "|---|---|---|---|"
    out "| KiB per idle session | $gk | $nk | $(ratio "$gk" "$nk") |"
    out "| sessions held; RSS before → after (KiB) | $gr; $gb → $ga | $nr; $nb → $na | |"
}

out "## seacat-gateway vs nghttpx $(nghttpx --version | awk '{ print $2; exit }'), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
out ""
out "Servers on core $SERVER_CPU; nginx, seacat-bench and h2load on core $LOAD_CPU. Backend: nginx, 1 worker. Gateway: $GATEWAY, $(grep -o '[0-9]* worker thread(s)' "$WORK/gateway.err" | head -1)"
for scenario in $SCENARIOS; do
    case $scenario in
    idle) idle_scenario ;;
    handshakes) handshake_scenario ;;
    *x*) load_scenario "$scenario" "${scenario%x*}" "${scenario#*x}" ;;
    *) echo "bench: unknown scenario $scenario" >&2; exit 2 ;;
    esac
done
if [ -n "${BENCH_LOG:-}" ]; then cp "$WORK/log.txt" "$BENCH_LOG"; fi
