#!/usr/bin/env bash
# End-to-end comparison of ocr-server with the same service written in Python
# (FastAPI + uvicorn + Pillow + onnxruntime, bench/e2e/python_service.py).
# Both recognise the same 280x280 RGBA canvas PNG through POST /api/v1/recognize;
# wrk posts it over 1, 8 and 64 keep-alive connections, alternating the services
# at each point. Prints requests/s, p50, p99 and the Swift / Python ratios,
# writes bench/out/e2e.csv and plots latency against connections into
# bench/e2e/latency.png.
#
# Usage: bench/e2e/run.sh [seconds] [portable]   (default 10 s per point)
# The plain `swift build -c release` binary is measured; it picks its CNN
# kernels from the CPU (AVX-512, AVX2 or portable, see the engine section of
# bench/README.md). `portable` forces the portable kernels (OCR_KERNELS) and
# writes e2e-portable.csv / latency-portable.png. (`native`, which used to
# select a separate AVX-512 build, is the default build now.)
# Needs: wrk, python3 with bench/e2e/requirements.txt and training/requirements.txt.
# Self-checks of these scripts: python -m pytest bench/e2e -q
# Deployment choices: ocr-server with inference.workers=2, uvicorn --workers 2
# (one process per core, one onnxruntime thread each); access logs off on both.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"
DURATION="${1:-10}"
SWIFT_PORT="${E2E_SWIFT_PORT:-18090}"
PY_PORT="${E2E_PY_PORT:-18091}"
CONNECTIONS=(1 8 64)

SUFFIX=
if [[ "${2:-}" == portable ]]; then
    export OCR_KERNELS=portable
    SUFFIX=-portable
fi
BIN="$(release_bin ocr-server)"
echo "build: swift build -c release (kernels: ${OCR_KERNELS:-chosen from the CPU at start-up})"

PNG="$WORK/canvas.png"
python3 bench/e2e/make_canvas_png.py "$PNG" 3

OCR_LOG_LEVEL=warning "$BIN" --config config.yaml --port "$SWIFT_PORT" \
    --set inference.workers=2 >"$WORK/swift.log" 2>&1 &
track
python3 -m uvicorn python_service:app --app-dir bench/e2e --host 127.0.0.1 --port "$PY_PORT" \
    --workers 2 --no-access-log --log-level warning >"$WORK/python.log" 2>&1 &
track

ready=0
for _ in $(seq 1 300); do
    if curl -fs "http://127.0.0.1:$SWIFT_PORT/readyz" >/dev/null 2>&1 \
        && curl -fs "http://127.0.0.1:$PY_PORT/readyz" >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.1
done
if [[ $ready != 1 ]]; then
    echo "services did not become ready in 30 s" >&2
    cat "$WORK/swift.log" "$WORK/python.log" >&2
    exit 1
fi

label_of() {
    curl -fs --max-time 10 -H 'Content-Type: image/png' --data-binary "@$PNG" \
        "http://127.0.0.1:$1/api/v1/recognize" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["label"])'
}
SWIFT_LABEL="$(label_of "$SWIFT_PORT")"
PY_LABEL="$(label_of "$PY_PORT")"
echo "labels: ocr-server '$SWIFT_LABEL', python '$PY_LABEL'"
if [[ "$SWIFT_LABEL" != "$PY_LABEL" ]]; then
    echo "the services disagree on the label; not benchmarking" >&2
    exit 1
fi

# Latency column of wrk ("812.00us", "3.21ms", "1.02s") in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

# Prints "rps p50_ms p99_ms errors" for one wrk run against port $1 with $2 connections.
measure() {
    local threads=2 out rps p50 p99 errors
    [[ $2 == 1 ]] && threads=1
    out="$(E2E_PNG="$PNG" timeout $((DURATION + 30)) wrk -t"$threads" -c"$2" -d"${DURATION}s" \
        --timeout 10s --latency -s bench/e2e/post_png.lua "http://127.0.0.1:$1/api/v1/recognize")"
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
    p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
    # Non-2xx answers and socket errors would make the figures meaningless: count them.
    errors="$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")"
    echo "$rps $p50 $p99 $errors"
}

mkdir -p bench/out
CSV="bench/out/e2e$SUFFIX.csv"
echo "service,connections,requests_per_second,p50_ms,p99_ms,errors" >"$CSV"
for c in "${CONNECTIONS[@]}"; do
    for side in swift python; do
        port=$SWIFT_PORT; [[ $side == python ]] && port=$PY_PORT
        read -r rps p50 p99 errors < <(measure "$port" "$c")
        echo "$side,$c,$rps,$p50,$p99,$errors" >>"$CSV"
        echo "  $side c=$c: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors" >&2
    done
done

python3 bench/e2e/report.py "$CSV" "bench/e2e/latency$SUFFIX.png"
