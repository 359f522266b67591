#!/usr/bin/env bash
# seacat-gateway against nghttpx, side by side in one run (issue 10). Both terminate TLS 1.2
# ECDHE-RSA-AES256-SHA384 with the same RSA-2048 key and certificate (the gateway's), both
# proxy to the same nginx (1 worker, a 100-byte file), both are pinned to one core and the
# load to another. The gateway is driven by seacat-bench, nghttpx by h2load, with the same
# sessions × streams. Server CPU comes from /proc/PID/stat (utime + stime of the server's
# processes), so the speed of the load generators does not enter µs per request.
#
# Loopback only, non-standard ports, everything under one /tmp directory, bounded in time
# (about 4 minutes with the defaults). Every scenario but idle runs BENCH_RUNS times per server,
# gateway and nghttpx interleaved so both share the machine's noise; the tables give medians.
# Environment:
#   BENCH_RUNS=3            runs per scenario and server (the median is reported)
#   BENCH_DURATION=5        seconds per load scenario
#   BENCH_IDLE_SESSIONS=1000   idle sessions for the memory scenario
#   BENCH_GUI_SESSIONS=5000    idle sessions the gui scenario holds (not in the default list:
#                              BENCH_SCENARIOS=gui runs it; it needs xvfb-run)
#   BENCH_SERVER_CPU=0 BENCH_LOAD_CPU=1   cores for the servers and for load + nginx
#   BENCH_PORT_BASE=28400   nginx +0, gateway +43, nghttpx +44
#   BENCH_SCENARIOS="idle big 1x1 1x10 10x1 10x10 100x10 post handshakes"
#                           big: one 100 MiB response on one stream (CPU per MiB, RSS growth);
#                           post: 1 MiB POST bodies echoed by nginx (echo module), 1 session × 4
#   BENCH_NO_BUILD=1        use build/ as it is
#   BENCH_GATEWAY=PATH      another seacat-gateway binary (e.g. an older build, to compare)
#   BENCH_WORKERS=N         the gateway's --workers (default: its own, the cores it may use;
#                           pinned to one core that is 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-5}
IDLE_SESSIONS=${BENCH_IDLE_SESSIONS:-1000}
GUI_SESSIONS=${BENCH_GUI_SESSIONS:-5000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
PORT_BASE=${BENCH_PORT_BASE:-28400}
SCENARIOS=${BENCH_SCENARIOS:-"idle big 1x1 1x10 10x1 10x10 100x10 post handshakes"}
WORKERS_ARGS=()
[ -z "${BENCH_WORKERS:-}" ] || WORKERS_ARGS=(--workers "$BENCH_WORKERS")
NGINX_PORT=$PORT_BASE
GATEWAY_PORT=$((PORT_BASE + 43))
NGHTTPX_PORT=$((PORT_BASE + 44))
GUI_PORT=$((PORT_BASE + 45))
NAME=bench.local
CIPHER=ECDHE-RSA-AES256-SHA384
BIG_MIB=100               # the big scenario's response
POST_BYTES=$((1 << 20))   # the post scenario's request body
POST_STREAMS=4
ECHO_MODULE=/usr/lib/nginx/modules/ngx_http_echo_module.so

# --- packages (bench-only: not in install-deps.sh) -------------------------------------------
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -f "$ECHO_MODULE" ] || need+=(libnginx-mod-http-echo) # the post scenario's echo backend
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

# --- nginx: 1 worker, a 100-byte file, a 100 MiB file, an echo, a private config ------------
# /echo answers a request with its body: the echo module (C, in nginx's event loop) sends back
# the buffers nginx read the body into, held in memory (client_body_buffer_size), so the
# backend costs the same for both servers and stays far from being the bottleneck.
mkdir -p "$WORK/www" "$WORK/nginx"
head -c 99 /dev/zero | tr '\0' 'x' > "$WORK/www/small.txt"; echo >> "$WORK/www/small.txt"
head -c $((BIG_MIB << 20)) /dev/zero > "$WORK/www/big.bin"
head -c "$POST_BYTES" /dev/zero | tr '\0' 'x' > "$WORK/post.bin" # h2load -d (seacat-bench sends x too)
chmod -R a+rX "$WORK/www"
cat > "$WORK/nginx/nginx.conf" <<EOF
load_module $ECHO_MODULE;
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
        location = /echo {
            client_max_body_size $((POST_BYTES * 2));
            client_body_buffer_size $((POST_BYTES * 2));
            echo_read_request_body;
            echo_request_body;
        }
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
status_kib() { # pid field (VmRSS, VmHWM): summed over the server's processes
    local total=0 pid r
    for pid in $(server_pids "$1"); do
        r=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${r:-0}))
    done
    echo "$total"
}
rss_kib() { status_kib "$1" VmRSS; }
# Peak RSS from now on: the kernel's high-water mark, reset to the current RSS (clear_refs 5),
# so no sampling interval can miss a peak.
reset_peak() { local pid; for pid in $(server_pids "$1"); do echo 5 > "/proc/$pid/clear_refs"; done; rss_kib "$1"; }
TICK=$(getconf CLK_TCK)
RESULTS=$WORK/results.md
: > "$RESULTS"
out() { echo "$*" | tee -a "$RESULTS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "–" }'; }

# One run of each prints one line: "rps cpu_us_per_req p50_ms p99_ms errors answered cpu_s body_bytes".
run_gateway() { # URL [seacat-bench args...]
    local url=$1 before after
    shift
    before=$(cpu_ticks "$GATEWAY_PID")
    taskset -c "$LOAD_CPU" "$BENCH" --gateway "127.0.0.1:$GATEWAY_PORT" --ca "$WORK/gw/ca.pem" --name "$NAME" \
        "$@" "$url" > "$WORK/seacat-bench.out" 2>&1 || true
    after=$(cpu_ticks "$GATEWAY_PID")
    cat "$WORK/seacat-bench.out" >> "$WORK/log.txt"
    awk -v ticks=$((after - before)) -v hz="$TICK" '/^summary:/ {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            n = v["responses"]; cpu = n > 0 ? ticks / hz * 1e6 / n : 0
            printf "%s %.1f %s %s %s %s %.2f %s\n", v["rps"], cpu, v["p50_ms"], v["p99_ms"], v["errors"], n, ticks / hz, v["body_bytes"]
            found = 1 }
        END { if (!found) print "0 0 0 0 0 0 0 0" }' "$WORK/seacat-bench.out"
}
run_nghttpx() { # path [h2load args...]
    local path=$1 before after
    shift
    rm -f "$WORK/h2load.log" # h2load appends to its --log-file: without this, every run's
                             # percentiles would include all the runs before it
    before=$(cpu_ticks "$NGHTTPX_PID")
    # h2load 1.52 sometimes hangs after "Stopped all clients" on a loaded machine: bounded.
    timeout $((DURATION + 60)) taskset -c "$LOAD_CPU" h2load --ciphers="$CIPHER" --log-file="$WORK/h2load.log" "$@" \
        "https://127.0.0.1:$NGHTTPX_PORT$path" > "$WORK/h2load.out" 2>&1 || true
    after=$(cpu_ticks "$NGHTTPX_PID")
    cat "$WORK/h2load.out" >> "$WORK/log.txt"
    # --log-file: start time, status, duration in µs per request
    local p50 p99
    read -r p50 p99 < <(awk '$2 >= 200 && $2 < 300 { print $3 }' "$WORK/h2load.log" 2>/dev/null | sort -n | awk '
        { v[NR] = $1 } END { if (NR == 0) { print "0 0"; exit }
          i50 = int(NR * 0.50); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
          printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000 }')
    awk -v ticks=$((after - before)) -v hz="$TICK" -v p50="$p50" -v p99="$p99" '
        # "requests: T total, S started, D done, N succeeded, F failed (errored included), …":
        # a -D run stops with streams whose status came but not their end; they are not counted.
        /^requests:/ { ok = $8; failed = $10 }
        /^finished in/ { rps = $4 }
        /^traffic:/ { for (i = 2; i <= NF; i++) if ($i == "data") { body = $(i - 1); gsub(/[()]/, "", body) } }
        END { cpu = ok > 0 ? ticks / hz * 1e6 / ok : 0
              printf "%s %.1f %s %s %d %d %.2f %d\n", rps + 0, cpu, p50, p99, failed, ok, ticks / hz, body }' \
        "$WORK/h2load.out"
}

# BENCH_RUNS runs of "$1" (gateway) and "$2" (nghttpx), interleaved; their lines go to
# $WORK/gateway.runs and $WORK/nghttpx.runs.
pair_runs() {
    : > "$WORK/gateway.runs"
    : > "$WORK/nghttpx.runs"
    local i
    for ((i = 0; i < RUNS; i++)); do
        "$1" >> "$WORK/gateway.runs"
        "$2" >> "$WORK/nghttpx.runs"
    done
}
# Per column, the median over the runs whose column $3 is > 0 (a run that answered nothing, as a
# hung h2load, is left out and counted); the columns listed in $2 are summed over all runs.
# Prints the columns, then "valid/runs".
medians() { # file "summed columns" valid-column
    awk -v summed=" $2 " -v valid="$3" '
        { for (j = 1; j <= NF; j++) { sum[j] += $j; if ($valid > 0) v[j, n + 1] = $j }
          if (NF > nf) nf = NF; n += $valid > 0; runs++ }
        END { for (j = 1; j <= nf; j++) {
                if (index(summed, " " j " ")) { printf "%.0f ", sum[j]; continue }
                if (n == 0) { printf "0 "; continue }
                for (i = 1; i <= n; i++) a[i] = v[j, i] + 0
                for (x = 2; x <= n; x++) { t = a[x]; for (y = x - 1; y >= 1 && a[y] > t; y--) a[y + 1] = a[y]; a[y + 1] = t }
                printf "%s ", n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
              printf "%d/%d\n", n, runs }' "$1"
}
each_run() { cut -d' ' -f"$2" "$1" | paste -sd/ | sed 's|/| / |g'; } # file column

load_rows() { # the rows every request scenario shares, from the medians of both servers
    read -r grps gcpu gp50 gp99 gerr gok gsec gbody gruns <<<"$(medians "$WORK/gateway.runs" "5 6 8" 6)"
    read -r nrps ncpu np50 np99 nerr nok nsec nbody nruns <<<"$(medians "$WORK/nghttpx.runs" "5 6 8" 6)"
    out "| | gateway | nghttpx | gateway / nghttpx |"
    out "|---|---|---|---|"
    out "| requests/s | $grps | $nrps | $(ratio "$grps" "$nrps") |"
    out "| server CPU µs per request | $gcpu | $ncpu | $(ratio "$gcpu" "$ncpu") |"
    out "| latency p50 ms | $gp50 | $np50 | $(ratio "$gp50" "$np50") |"
    out "| latency p99 ms | $gp99 | $np99 | $(ratio "$gp99" "$np99") |"
    out "| server CPU µs per request, each run | $(each_run "$WORK/gateway.runs" 2) | $(each_run "$WORK/nghttpx.runs" 2) | |"
    out "| answered (errors), all runs; runs counted | $gok ($gerr); $gruns | $nok ($nerr); $nruns | |"
}

gateway_load() { run_gateway http://app.seacat/small.txt -c "$C" -m "$M" -D "$DURATION"; }
nghttpx_load() { run_nghttpx /small.txt -c "$C" -m "$M" -D "$DURATION"; }
load_scenario() { # label sessions streams
    C=$2 M=$3
    pair_runs gateway_load nghttpx_load
    out ""
    out "### $1: $C session(s) × $M stream(s) in flight, GET of 100 bytes, ${DURATION} s, median of $RUNS"
    out ""
    load_rows
    GATEWAY_RPS[$1]=$grps NGHTTPX_RPS[$1]=$nrps
}
declare -A GATEWAY_RPS NGHTTPX_RPS
# Issue 10: streams multiplexed on one session must not stall (Nagle once cost them 40 ms a batch).
stall_rows() {
    [ -n "${GATEWAY_RPS[1x10]:-}" ] && [ -n "${GATEWAY_RPS[10x1]:-}" ] || return 0
    out ""
    out "### 1 session × 10 streams against 10 sessions × 1 stream (requests/s, from the two scenarios above)"
    out ""
    out "| | gateway | nghttpx |"
    out "|---|---|---|"
    out "| 1 × 10 | ${GATEWAY_RPS[1x10]} | ${NGHTTPX_RPS[1x10]} |"
    out "| 10 × 1 | ${GATEWAY_RPS[10x1]} | ${NGHTTPX_RPS[10x1]} |"
    out "| 1 × 10 / 10 × 1 | $(ratio "${GATEWAY_RPS[1x10]}" "${GATEWAY_RPS[10x1]}") | $(ratio "${NGHTTPX_RPS[1x10]}" "${NGHTTPX_RPS[10x1]}") |"
}

gateway_post() {
    run_gateway http://app.seacat/echo -X POST --body-size "$POST_BYTES" -c 1 -m "$POST_STREAMS" -D "$DURATION" --timeout 60
}
nghttpx_post() { run_nghttpx /echo -d "$WORK/post.bin" -c 1 -m "$POST_STREAMS" -D "$DURATION"; }
post_scenario() {
    pair_runs gateway_post nghttpx_post
    out ""
    out "### POST echo: 1 session × $POST_STREAMS streams, $((POST_BYTES >> 10)) KiB request body each, echoed by nginx, ${DURATION} s, median of $RUNS"
    out ""
    load_rows
    out "| response body MiB, all runs | $((gbody >> 20)) | $((nbody >> 20)) | |"
}

# One response of BIG_MIB through one stream: each line gets the server's RSS growth (KiB, peak
# during the run − RSS before it) appended.
big_run() { # pid run-function args...
    local pid=$1 base line
    shift
    base=$(reset_peak "$pid")
    line=$("$@")
    echo "$line $(($(status_kib "$pid" VmHWM) - base))"
}
gateway_big() { big_run "$GATEWAY_PID" run_gateway http://app.seacat/big.bin -n 1 -c 1 -m 1 --timeout 120; }
nghttpx_big() { big_run "$NGHTTPX_PID" run_nghttpx /big.bin -n 1 -c 1 -m 1; }
big_scenario() {
    pair_runs gateway_big nghttpx_big
    local g n
    g=$(medians "$WORK/gateway.runs" "5 6" 6)
    n=$(medians "$WORK/nghttpx.runs" "5 6" 6)
    read -r _ _ gp50 _ gerr gok gsec gbody grss gruns <<<"$g"
    read -r _ _ np50 _ nerr nok nsec nbody nrss nruns <<<"$n"
    local gmib nmib gms nms
    gms=$(awk -v s="$gsec" -v b="$gbody" 'BEGIN { if (b > 0) printf "%.2f", s * 1000 / (b / 1048576); else print 0 }')
    nms=$(awk -v s="$nsec" -v b="$nbody" 'BEGIN { if (b > 0) printf "%.2f", s * 1000 / (b / 1048576); else print 0 }')
    gmib=$(awk -v t="$gp50" -v b="$gbody" 'BEGIN { if (t > 0) printf "%.0f", b / 1048576 / (t / 1000); else print 0 }')
    nmib=$(awk -v t="$np50" -v b="$nbody" 'BEGIN { if (t > 0) printf "%.0f", b / 1048576 / (t / 1000); else print 0 }')
    out ""
    out "### One $BIG_MIB MiB response through one stream (1 session, -n 1), median of $RUNS"
    out ""
    out "| | gateway | nghttpx | gateway / nghttpx |"
    out "|---|---|---|---|"
    out "| server CPU ms per MiB | $gms | $nms | $(ratio "$gms" "$nms") |"
    out "| server RSS growth during the response, KiB | $grss | $nrss | $(ratio "$grss" "$nrss") |"
    out "| MiB/s (wall) | $gmib | $nmib | $(ratio "$gmib" "$nmib") |"
    out "| RSS growth KiB, each run | $(each_run "$WORK/gateway.runs" 9) | $(each_run "$WORK/nghttpx.runs" 9) | |"
    out "| server CPU s, each run | $(each_run "$WORK/gateway.runs" 7) | $(each_run "$WORK/nghttpx.runs" 7) | |"
    out "| body bytes (median); answered (errors); runs counted | $gbody; $gok ($gerr); $gruns | $nbody; $nok ($nerr); $nruns | |"
}

# Handshake lines: "handshakes_per_cpu_s handshakes_per_wall_s errors handshakes cpu_s".
gateway_handshakes() {
    run_gateway http://app.seacat/small.txt -c 8 -m 1 -D "$DURATION" --handshakes |
        awk '{ printf "%.0f %s %d %d %s\n", ($7 > 0 ? $6 / $7 : 0), $1, $5, $6, $7 }'
}
nghttpx_handshakes() {
    # h2load has no connection-per-request mode: -c N -n N gives each of N fresh connections
    # one request (a full handshake: h2load does not resume sessions). Repeated for the duration.
    local before after deadline ok=0 total=0 started
    before=$(cpu_ticks "$NGHTTPX_PID")
    started=$(date +%s.%N)
    deadline=$((SECONDS + DURATION))
    while [ $SECONDS -lt $deadline ]; do
        timeout 30 taskset -c "$LOAD_CPU" h2load -c 50 -n 50 -m 1 --ciphers="$CIPHER" "https://127.0.0.1:$NGHTTPX_PORT/small.txt" \
            > "$WORK/h2load.out" 2>&1 || true
        ok=$((ok + $(awk '/^status codes:/ { n = $3 } END { print n + 0 }' "$WORK/h2load.out")))
        total=$((total + 50))
    done
    after=$(cpu_ticks "$NGHTTPX_PID")
    awk -v t=$((after - before)) -v hz="$TICK" -v ok="$ok" -v total="$total" -v s="$started" -v e="$(date +%s.%N)" \
        'BEGIN { sec = t / hz; printf "%.0f %.1f %d %d %.2f\n", (sec > 0 ? ok / sec : 0), ok / (e - s), total - ok, ok, sec }'
}
handshake_scenario() {
    pair_runs gateway_handshakes nghttpx_handshakes
    read -r ghps gwall gerr gok gsec gruns <<<"$(medians "$WORK/gateway.runs" "3 4" 4)"
    read -r nhps nwall nerr nok nsec nruns <<<"$(medians "$WORK/nghttpx.runs" "3 4" 4)"
    out ""
    out "### Full TLS 1.2 handshakes (one request each, no resumption), ${DURATION} s, median of $RUNS"
    out ""
    out "| | gateway | nghttpx | gateway / nghttpx |"
    out "|---|---|---|---|"
    out "| handshakes per server-CPU-second | $ghps | $nhps | $(ratio "$ghps" "$nhps") |"
    out "| handshakes/s, wall | $gwall | $nwall | |"
    out "| handshakes per server-CPU-second, each run | $(each_run "$WORK/gateway.runs" 1) | $(each_run "$WORK/nghttpx.runs" 1) | |"
    out "| handshakes (failed), all runs; runs counted | $gok ($gerr); $gruns | $nok ($nerr); $nruns | |"
}

# Once, not BENCH_RUNS times: it needs servers that have served nothing else yet.
idle_scenario() {
    local n=$IDLE_SESSIONS
    idle_one() { # pid port protocol → KiB per session
        local pid=$1 port=$2 protocol=$3 before after started opened
        # 10 000 sessions take minutes on a loaded machine: seacat-bench gives up on a session
        # after --timeout seconds, on all of them after that plus 10 ms per session.
        local timeout=$((30 + n / 50))
        before=$(rss_kib "$pid")
        started=$(date +%s.%N)
        taskset -c "$LOAD_CPU" "$BENCH" --gateway "127.0.0.1:$port" --ca "$WORK/gw/ca.pem" --name "$NAME" -c "$n" \
            --hold 6 --protocol "$protocol" --timeout "$timeout" > "$WORK/hold.out" 2>&1 &
        local bench=$!
        for _ in $(seq $(((timeout + n / 100 + 10) * 10))); do grep -q '^ready' "$WORK/hold.out" && break; sleep 0.1; done
        opened=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
        sleep 2 # let the server settle (sniffers, timers) before reading its memory
        after=$(rss_kib "$pid")
        wait "$bench" || true
        cat "$WORK/hold.out" >> "$WORK/log.txt"
        local ready
        ready=$(awk '/^ready/ { print $2 }' "$WORK/hold.out")
        awk -v b="$before" -v a="$after" -v r="${ready:-0}" -v o="$opened" 'BEGIN { if (r > 0) printf "%.1f %d %d %d %s\n", (a - b) / r, r, b, a, o; else print "0 0 0 0 0" }'
    }
    local g n2
    g=$(idle_one "$GATEWAY_PID" "$GATEWAY_PORT" seacat)
    n2=$(idle_one "$NGHTTPX_PID" "$NGHTTPX_PORT" h2)
    read -r gk gr gb ga go <<<"$g"
    read -r nk nr nb na no <<<"$n2"
    out ""
    out "### Memory per idle session, $n sessions (RSS growth / sessions; fresh servers; one run)"
    out ""
    out "| | gateway | nghttpx | gateway / nghttpx |"
    out "|---|---|---|---|"
    out "| KiB per idle session | $gk | $nk | $(ratio "$gk" "$nk") |"
    out "| sessions held; RSS before → after (KiB) | $gr; $gb → $ga | $nr; $nb → $na | |"
    out "| seconds to open all (64 handshakes at once) | $go | $no | $(ratio "$go" "$no") |"
}

# What the admin GUI costs the engine: the gateway with its window (xcb on Xvfb, in its own
# process as on a workstation) against the same gateway headless, each holding GUI_SESSIONS idle
# sessions (its table lists them all, updated twice a second) while 10 × 10 small GETs run.
# One after the other, not interleaved: a GUI left beside the other run would still repaint on
# the server core. Server CPU is the gateway's process alone (not Xvfb's).
gui_scenario() {
    local hold=$((RUNS * (DURATION + 4) + 30 + GUI_SESSIONS / 50))
    gui_one() { # pid port → BENCH_RUNS lines of gateway_load, with the sessions held
        local GATEWAY_PID=$1 GATEWAY_PORT=$2 bench i
        taskset -c "$LOAD_CPU" "$BENCH" --gateway "127.0.0.1:$GATEWAY_PORT" --ca "$WORK/gw/ca.pem" --name "$NAME" \
            -c "$GUI_SESSIONS" --hold "$hold" --timeout "$((30 + GUI_SESSIONS / 50))" > "$WORK/gui-hold.out" 2>&1 &
        bench=$!
        for _ in $(seq $((hold * 10))); do grep -q '^ready' "$WORK/gui-hold.out" && break; sleep 0.1; done
        sleep 2
        C=10 M=10
        for ((i = 0; i < RUNS; i++)); do gateway_load; done
        awk '/^ready/ { print $2 }' "$WORK/gui-hold.out" >> "$WORK/gui-held.txt"
        kill "$bench" 2>/dev/null || true
        wait "$bench" 2>/dev/null || true
    }
    gui_one "$GATEWAY_PID" "$GATEWAY_PORT" > "$WORK/headless.runs"
    cp -a "$WORK/gw" "$WORK/gw-gui" # the same CA and keys, a store of its own
    taskset -c "$SERVER_CPU" xvfb-run -a -s "-screen 0 1280x800x24" env -u QT_QPA_PLATFORM "$GATEWAY" \
        --data-dir "$WORK/gw-gui" --name="$NAME" --listen 127.0.0.1 --port "$GUI_PORT" --mode anonymous \
        --backend "app=http://127.0.0.1:$NGINX_PORT" --admin-listen off "${WORKERS_ARGS[@]}" \
        >"$WORK/gui.out" 2>"$WORK/gui.err" &
    PIDS+=($!)
    wait_port "$GUI_PORT" 30
    local gui_pid
    gui_pid=$(pgrep -n -f -- "--port $GUI_PORT --mode") || { echo "bench: the GUI gateway did not start" >&2; cat "$WORK/gui.err" >&2; return 1; }
    gui_one "$gui_pid" "$GUI_PORT" > "$WORK/gui.runs"
    kill "$gui_pid" 2>/dev/null || true
    read -r hrps hcpu hp50 hp99 herr hok _ <<<"$(medians "$WORK/headless.runs" "5 6 8" 6)"
    read -r urps ucpu up50 up99 uerr uok _ <<<"$(medians "$WORK/gui.runs" "5 6 8" 6)"
    out ""
    out "### The admin GUI: 10 × 10 small GETs with $GUI_SESSIONS idle sessions held, headless against with its window (Xvfb, xcb), median of $RUNS"
    out ""
    out "| | headless | with the GUI | GUI / headless |"
    out "|---|---|---|---|"
    out "| requests/s | $hrps | $urps | $(ratio "$urps" "$hrps") |"
    out "| server CPU µs per request | $hcpu | $ucpu | $(ratio "$ucpu" "$hcpu") |"
    out "| latency p50 / p99 ms | $hp50 / $hp99 | $up50 / $up99 | |"
    out "| answered (errors), all runs | $hok ($herr) | $uok ($uerr) | |"
    out "| sessions held | $(sed -n 1p "$WORK/gui-held.txt") | $(sed -n 2p "$WORK/gui-held.txt") | |"
}

out "## seacat-gateway vs nghttpx $(nghttpx --version | awk '{ print $2; exit }'), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
out ""
out "Servers on core $SERVER_CPU; nginx, seacat-bench and h2load on core $LOAD_CPU. Backend: nginx, 1 worker. Gateway: $GATEWAY, $(grep -o '[0-9]* worker thread(s)' "$WORK/gateway.err" | head -1). Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
for scenario in $SCENARIOS; do
    case $scenario in
    idle) idle_scenario ;;
    big) big_scenario ;;
    post) post_scenario ;;
    handshakes) handshake_scenario ;;
    gui) gui_scenario ;;
    *x*) load_scenario "$scenario" "${scenario%x*}" "${scenario#*x}" ;;
    *) echo "bench: unknown scenario $scenario" >&2; exit 2 ;;
    esac
done
stall_rows
out ""
out "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BENCH_LOG:-}" ]; then cp "$WORK/log.txt" "$BENCH_LOG"; fi
