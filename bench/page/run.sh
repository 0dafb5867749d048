#!/usr/bin/env bash
# Server-side time of mode=page against mode=multi on the same 1200x800 scan of 40 digits, in
# one run, on one core: the server pinned to CPU 0 with one inference worker, the client on
# another CPU. Prints each mode's median `timings_ms.total` (and its stages) and the ratio.
# The issue's target: page under 15 ms.
#
# Usage: bench/page/run.sh [requests] [seed]   (defaults 300 and 1)
# Needs: python3 with numpy, the MNIST training files (training/datasets.py, DEFAULT_MNIST),
# taskset, a release build (built here if missing).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"
REQUESTS="${1:-300}"
SEED="${2:-1}"
# A free port unless one is given: other benchmarks may be listening on this machine.
PORT="${OCR_BENCH_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
BIN="$(release_bin ocr-server)"

python3 -m training.pages scan --out "$WORK/scan.png" --seed "$SEED" > "$WORK/scan.txt"

CLIENT_CPU=0
[[ "$(nproc)" -gt 1 ]] && CLIENT_CPU=1
taskset -c 0 "$BIN" --port "$PORT" --log-level warning --set inference.workers=1 &
OCR_PID=$!
track
for _ in $(seq 1 100); do
    "$BIN" healthcheck --port "$PORT" && break
    sleep 0.1
done
# The server answering must be the one started here, not another listening on the same port.
kill -0 "$OCR_PID" 2>/dev/null || { echo "ocr-server did not start on port $PORT" >&2; exit 1; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "page: 1200x800, 40 digits (training.pages scan --seed $SEED); server on CPU 0, 1 worker; $REQUESTS requests per mode"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
taskset -c "$CLIENT_CPU" python3 bench/page/compare.py --port "$PORT" --requests "$REQUESTS" \
    --expect "$WORK/scan.txt" "$WORK/scan.png"
