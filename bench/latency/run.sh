#!/usr/bin/env bash
# Latency of one request at a time, against what the service says it spent, in one run:
#   1. sequential keep-alive round trips (bench/latency/client.py, TCP_NODELAY): GET /healthz
#      against nginx's fixed answer, and POST of a 28x28 PNG against the answer's own
#      timings_ms, alternating request by request; medians, p99 and ratios;
#   2. wrk posting the same PNG at 1, 8 and 64 keep-alive connections.
#
# Usage: bench/latency/run.sh [requests] [wrk_seconds]   (defaults 2000 and 5)
#   BASELINE_BIN=path/to/ocr-server  also starts that build and measures it alternating with
#                                    this one (before/after a change in the same run)
#   OCR_LOG_LEVEL                    defaults to warning (access log off, as nginx's)
# Everything listens on 127.0.0.1 only; each step is bounded in count and time.
# Needs: nginx and wrk (Debian packages; installed with apt-get when missing), python3.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"
REQUESTS="${1:-2000}"
WRK_SECONDS="${2:-5}"
SERVICE_PORT="${LATENCY_SERVICE_PORT:-18100}"
BASELINE_PORT="${LATENCY_BASELINE_PORT:-18101}"
NGINX_PORT="${LATENCY_NGINX_PORT:-18102}"
export OCR_LOG_LEVEL="${OCR_LOG_LEVEL:-warning}"

for tool in nginx wrk; do
    if ! command -v "$tool" >/dev/null; then apt-get install -y "$tool" >/dev/null; fi
done

BIN="$(release_bin ocr-server)"
BENCH="$(release_bin ocr-bench)"

nginx_conf "$NGINX_PORT" 1 256
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
track

# The documented defaults (config.yaml's values) but for the address, in a file of its own so
# that a baseline build that predates a newer key of config.yaml starts too.
printf 'server: {host: 127.0.0.1}\n' > "$WORK/service.yaml"
start_service() {  # binary port log
    "$1" --config "$WORK/service.yaml" --port "$2" >"$3" 2>&1 &
    track
}
start_service "$BIN" "$SERVICE_PORT" "$WORK/service.log"
SERVICES=(--service "ocr-server=$SERVICE_PORT")
URLS=("ocr-server=http://127.0.0.1:$SERVICE_PORT")
if [[ -n "${BASELINE_BIN:-}" ]]; then
    start_service "$BASELINE_BIN" "$BASELINE_PORT" "$WORK/baseline.log"
    SERVICES+=(--service "baseline=$BASELINE_PORT")
    URLS+=("baseline=http://127.0.0.1:$BASELINE_PORT")
fi

wait_ready() {  # url
    for _ in $(seq 1 300); do
        if curl -fs "$1" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    echo "not ready: $1" >&2
    exit 1
}
wait_ready "http://127.0.0.1:$NGINX_PORT/healthz"
for entry in "${URLS[@]}"; do wait_ready "${entry#*=}/readyz"; done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"\
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "build: swift build -c release${BASELINE_BIN:+; baseline: $BASELINE_BIN}; OCR_LOG_LEVEL=$OCR_LOG_LEVEL"
echo

PNG="$WORK/digit.png"
timeout 900 python3 bench/latency/client.py "${SERVICES[@]}" --nginx "$NGINX_PORT" \
    --requests "$REQUESTS" --write-png "$PNG" | tee "$WORK/client.txt"
echo

# The engine alone, batch 1, on the same model, right after: the in-service inference against it.
engine_us="$(timeout 300 "$BENCH" engine --model Models/glyphnet.json --iterations 2000 --batches 5 \
    | awk -F= '$1 == "batch1_median_us" {print $2}')"
echo "ocr-bench engine (same model, one thread): batch-1 median ${engine_us} us"
awk -v e="$engine_us" '$2 ~ /^inference_median_ms=/ {split($2, v, "="); printf "  %s: in-service inference median %.1f us = %.2fx the engine (target <= 1.3)\n", $1, v[2] * 1000, v[2] * 1000 / e}' \
    "$WORK/client.txt"
# The same runs with the core left idle for 300 us before each (about a sequential client's gap
# between requests), sleeping and then spinning: what idleness alone costs the engine.
for how in "" --spin; do
    idle_us="$(timeout 300 "$BENCH" engine --model Models/glyphnet.json --iterations 2000 --batches 5 \
        --pause-us 300 $how | awk -F= '$1 == "batch1_median_us" {print $2}')"
    awk -v e="$engine_us" -v i="$idle_us" -v how="${how:-sleeping}" \
        'BEGIN { printf "ocr-bench engine after 300 us %s: batch-1 median %s us = %.2fx\n", how == "--spin" ? "spinning" : how, i, i / e }'
done
echo

# wrk: requests/s and latency percentiles, alternating the builds at each point.
export E2E_PNG="$PNG"
echo "wrk POST /api/v1/recognize (the same PNG), ${WRK_SECONDS} s per point"
printf "%-12s %5s %12s %9s %9s %9s %8s\n" build conns "requests/s" "p50" "p90" "p99" errors
for connections in 1 8 64; do
    threads=2
    [[ "$connections" == 1 ]] && threads=1
    for entry in "${URLS[@]}"; do
        out="$(timeout $((WRK_SECONDS + 30)) wrk -t"$threads" -c"$connections" -d"${WRK_SECONDS}s" --latency \
            -s bench/e2e/post_png.lua "${entry#*=}/api/v1/recognize")"
        rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
        p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
        p90="$(awk '$1 == "90%" {print $2}' <<<"$out")"
        p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
        errors="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
        printf "%-12s %5s %12s %9s %9s %9s %8s\n" "${entry%%=*}" "$connections" "$rps" "$p50" "$p90" "$p99" \
            "${errors:-0}"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
