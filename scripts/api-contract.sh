#!/usr/bin/env bash
# Checks the live API against its OpenAPI document with schemathesis: no 5xx, every response
# conforming to the documented status codes, content types and schemas.
# Usage: scripts/api-contract.sh [max-examples per operation, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-60}"
python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install -q "schemathesis==4.32.5"
swift build -c release --product ocr-server
binary="$(swift build -c release --show-bin-path)/ocr-server"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" --port "$port" --set log.level=warning &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
schemathesis run "http://127.0.0.1:$port/openapi.yaml" --url "http://127.0.0.1:$port" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
    --max-examples "$examples" --seed 1
