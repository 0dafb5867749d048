#!/usr/bin/env bash
# Compares ocr-server with nginx on the same machine in the same run:
# GET /healthz and a small static file, wrk with 2 threads and 64 keep-alive
# connections. Prints requests/s, p99 latency and the ratios to nginx.
#
# Usage: bench/http/run.sh [seconds] [rounds]   (defaults 10 and 3)
# Each round runs ocr-server then nginx; the medians over rounds are reported,
# because the machine is shared and single runs vary.
# Needs: wrk, nginx, a release build (built here if missing).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"
DURATION="${1:-10}"
ROUNDS="${2:-3}"
OCR_PORT_BENCH="${OCR_BENCH_PORT:-18080}"
NGINX_PORT="${NGINX_BENCH_PORT:-18081}"
BIN="$(release_bin ocr-server)"

# The same small file for both servers.
mkdir -p "$WORK/public"
head -c 2048 /dev/zero | tr '\0' 'g' > "$WORK/public/small.txt"
cp Public/index.html "$WORK/public/index.html"

# Access logs off on both sides: the comparison is about the HTTP engine.
nginx_conf "$NGINX_PORT" auto 1024 \
    'sendfile on; tcp_nopush on; types { text/plain txt; text/html html; }' "root $WORK/public;"

nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
track
OCR_LOG_LEVEL=warning "$BIN" --config config.yaml --port "$OCR_PORT_BENCH" --public-dir "$WORK/public" &
track

for _ in $(seq 1 50); do
    if curl -fs "http://127.0.0.1:$OCR_PORT_BENCH/healthz" >/dev/null 2>&1 \
        && curl -fs "http://127.0.0.1:$NGINX_PORT/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
done

# Prints "requests_per_second p99_milliseconds" for one wrk run.
measure() {
    local out rps p99 unit
    out="$(wrk -t2 -c64 -d"${DURATION}s" --latency "$1")"
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    unit="${p99//[0-9.]/}"
    p99="${p99%%[a-z]*}"
    case "$unit" in
        us) p99="$(awk -v v="$p99" 'BEGIN {printf "%.3f", v / 1000}')" ;;
        s) p99="$(awk -v v="$p99" 'BEGIN {printf "%.3f", v * 1000}')" ;;
    esac
    echo "$rps $p99"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "wrk -t2 -c64 -d${DURATION}s --latency, ${ROUNDS} alternating rounds, medians"
printf "%-12s %-11s %14s %10s\n" "path" "server" "requests/s" "p99 ms"
for path in /healthz /small.txt; do
    ocr_rps_all="" ocr_p99_all="" ngx_rps_all="" ngx_p99_all=""
    for _ in $(seq 1 "$ROUNDS"); do
        read -r rps p99 <<<"$(measure "http://127.0.0.1:$OCR_PORT_BENCH$path")"
        ocr_rps_all+="$rps " ocr_p99_all+="$p99 "
        read -r rps p99 <<<"$(measure "http://127.0.0.1:$NGINX_PORT$path")"
        ngx_rps_all+="$rps " ngx_p99_all+="$p99 "
    done
    ocr_rps="$(median <<<"$ocr_rps_all")" ocr_p99="$(median <<<"$ocr_p99_all")"
    ngx_rps="$(median <<<"$ngx_rps_all")" ngx_p99="$(median <<<"$ngx_p99_all")"
    printf "%-12s %-11s %14s %10s   (rounds: %s)\n" "$path" "ocr-server" "$ocr_rps" "$ocr_p99" "$ocr_rps_all"
    printf "%-12s %-11s %14s %10s   (rounds: %s)\n" "$path" "nginx" "$ngx_rps" "$ngx_p99" "$ngx_rps_all"
    awk -v a="$ocr_rps" -v b="$ngx_rps" -v c="$ocr_p99" -v d="$ngx_p99" -v p="$path" \
        'BEGIN {printf "%-12s ratio       throughput %.2f of nginx (target >= 0.80), p99 %.2fx nginx (target <= 2)\n", p, a / b, c / d}'
done
