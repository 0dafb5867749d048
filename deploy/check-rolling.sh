#!/usr/bin/env bash
# A rolling restart under load loses no request: two replicas of the image behind nginx (as an ingress would
# be), a steady stream of recognition requests through nginx, and each replica in turn stopped with SIGTERM and
# started again. Prints the requests sent, answered and failed; any failed request fails the check.
#
# How nginx keeps every request: open-source nginx has no active health checks, so it cannot watch /readyz.
# It does not need to here, because the server closes its listener the moment SIGTERM arrives (then finishes
# what it has): a new connection to the stopping replica is refused, and `proxy_next_upstream error` sends
# the request to the other replica; a request on a kept-alive upstream connection that the drain closes
# fails the same way and is retried too (`non_idempotent`: a recognition changes nothing, so repeating one is
# safe). While the restarted replica warms up it answers 503, which `http_503` also retries elsewhere.
#
# Everything listens on 127.0.0.1 only (the replicas on the host network, each on a free port).
#
# Usage (as root, after deploy/check-image.sh has built the image):  deploy/check-rolling.sh
# Environment:
#   IMAGE          the image (default localhost/ocr-server:check)
#   CLIENTS        concurrent clients of the steady load (default 4)
#   CHECK_TIMEOUT  overall limit in seconds (default 300)
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "$0")/lib.sh"

CLIENTS=${CLIENTS:-4}
# podman stop's limit before SIGKILL: past the server's drain (server.timeouts.drain_seconds, 10 s).
STOP_SECONDS=20
REPLICAS=(a b)
TMP=
NGINX_PID=
CLIENT_PID=

# shellcheck disable=SC2317  # called by finish_check (deploy/lib.sh) on exit
cleanup() {
    [[ -n $CLIENT_PID ]] && kill "$CLIENT_PID" 2>/dev/null && wait "$CLIENT_PID" 2>/dev/null
    [[ -n $NGINX_PID ]] && kill -TERM "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    local replica
    for replica in "${REPLICAS[@]}"; do podman rm -f -t 0 "ocr-rolling-$replica-$$" >/dev/null 2>&1; done
}
guard_check 300

require_root_and podman nginx curl python3
require_image
TMP=$(mktemp -d)
python3 deploy/sample_inputs.py "$TMP"

# ---------------------------------------------------------------- replicas -----
declare -A PORT
for replica in "${REPLICAS[@]}"; do
    PORT[$replica]=$(free_port)
    podman run -d --name "ocr-rolling-$replica-$$" --read-only --network host --health-interval=disable \
        -e OCR_HOST=127.0.0.1 -e "OCR_PORT=${PORT[$replica]}" "$IMAGE" >/dev/null 2>>"$TMP/podman.err" \
        || die "podman run of replica $replica failed: $(tail -n 5 "$TMP/podman.err")"
done
for replica in "${REPLICAS[@]}"; do
    outcome=$(wait_for_200 "http://127.0.0.1:${PORT[$replica]}/readyz" 60) \
        || die "replica $replica never became ready ($outcome)"
    log "replica $replica ready on 127.0.0.1:${PORT[$replica]}"
done

# ------------------------------------------------------------------- nginx -----
LB_PORT=$(free_port)
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
# The ingress: round robin over both replicas, passive failover only (see the comment at the top).
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    upstream ocr {
        # A refused replica is skipped for 2 s, then tried again: it comes back soon after its restart.
        server 127.0.0.1:${PORT[a]} max_fails=1 fail_timeout=2s;
        server 127.0.0.1:${PORT[b]} max_fails=1 fail_timeout=2s;
        keepalive 16;
    }
    server {
        listen 127.0.0.1:$LB_PORT;
        location / {
            proxy_pass http://ocr;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            proxy_read_timeout 15s;
        }
    }
}
EOF
nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' 2>"$TMP/nginx/stderr" &
NGINX_PID=$!
LB=http://127.0.0.1:$LB_PORT
wait_for_200 "$LB/readyz" 10 >/dev/null || die "nginx did not come up: $(cat "$TMP/nginx/stderr" "$TMP/nginx/error.log" 2>/dev/null)"
log "nginx on $LB in front of both"

# ---------------------------------------------------------- rolling restart -----
python3 deploy/http_load.py steady "$LB/api/v1/recognize" "$TMP/one.png" --clients "$CLIENTS" \
    --seconds "$((CHECK_TIMEOUT - 30))" --stop-file "$TMP/stop" >"$TMP/load.json" 2>"$TMP/load.err" &
CLIENT_PID=$!
sleep 3
for replica in "${REPLICAS[@]}"; do
    name=ocr-rolling-$replica-$$
    began=$(date +%s.%N)
    # podman stop sends the image's STOPSIGNAL (SIGTERM) and waits for the drain, as the kubelet does.
    # (podman's stderr goes to a file: without systemd it complains about healthcheck timers.)
    podman stop -t "$STOP_SECONDS" "$name" >/dev/null 2>>"$TMP/podman.err"
    stopped=$(awk -v b="$began" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - b }')
    code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
    if [[ $code == 0 ]]; then
        pass "replica $replica: SIGTERM under load, exited 0 after ${stopped}s"
    else
        fail "replica $replica: exited $code after ${stopped}s"
    fi
    podman start "$name" >/dev/null 2>>"$TMP/podman.err" \
        || die "podman start of replica $replica failed: $(tail -n 5 "$TMP/podman.err")"
    if outcome=$(wait_for_200 "http://127.0.0.1:${PORT[$replica]}/readyz" 60); then
        pass "replica $replica: started again, ready after ${outcome}s"
    else
        fail "replica $replica: not ready again ($outcome)"
    fi
    # Longer than fail_timeout, so nginx sends the restarted replica traffic again before the next one stops.
    sleep 4
done
touch "$TMP/stop"
wait "$CLIENT_PID" || true
CLIENT_PID=

read -r sent answered failed statuses errors < <(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["sent"], r["answered"], r["failed"], json.dumps(r["statuses"], separators=(",", ":")),
      json.dumps(r["errors"], separators=(",", ":")))' "$TMP/load.json" 2>/dev/null || printf '0 0 0 {} {}\n')
printf 'requests during the rolling restart: sent %s, answered %s, failed %s (statuses %s, errors %s)\n' \
    "$sent" "$answered" "$failed" "$statuses" "$errors"
if ((sent > 0 && failed == 0)); then
    pass "rolling restart under load: $sent sent, $answered answered, 0 failed"
else
    fail "rolling restart under load: $sent sent, $answered answered, $failed failed $(cat "$TMP/load.err")"
fi
# Each restarted replica answered recognitions again: its counters start from zero at the restart.
for replica in "${REPLICAS[@]}"; do
    served=$(curl -s --max-time 5 "http://127.0.0.1:${PORT[$replica]}/metrics" \
        | awk '/^http_requests_total/ && /recognize/ && /status="200"/ { n += $NF } END { print n + 0 }')
    if ((served > 0)); then
        pass "replica $replica served $served recognitions after its restart"
    else
        fail "replica $replica served no recognition after its restart"
    fi
done
if ((FAILURES > 0)); then
    log "nginx error log (last lines):"
    tail -n 20 "$TMP/nginx/error.log" 2>/dev/null | sed 's/^/    /'
fi
summary
