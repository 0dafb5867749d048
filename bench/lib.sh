# shellcheck shell=bash
# Set-up shared by the benchmark scripts; sourced, not run (`source "$(dirname "$0")/../lib.sh"`).
# After it: the working directory is the repository root, $WORK is a temporary folder, and on
# exit every process recorded with `track` is stopped and $WORK removed.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
WORK="$(mktemp -d)"
TRACKED_PIDS=()
stop_tracked() {
    for pid in "${TRACKED_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap stop_tracked EXIT

# Records the last background job (call right after `command &`) to be stopped on exit.
track() { TRACKED_PIDS+=("$!"); }

# release_bin PRODUCT: builds PRODUCT with -c release (niced: the machine is shared) and prints
# the path of its binary.
release_bin() {
    nice -n 10 swift build -c release --product "$1" >/dev/null
    printf '%s/%s\n' "$(swift build -c release --show-bin-path)" "$1"
}

# nginx_conf PORT WORKERS CONNECTIONS [HTTP_LINES] [SERVER_LINES]: writes $WORK/nginx/nginx.conf
# for nginx as the peer: loopback only, access log off, every path of its own under $WORK, and
# `GET /healthz` answered with the same fixed JSON as ocr-server's. Start it with
#   nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
nginx_conf() {
    mkdir -p "$WORK/nginx/logs"
    cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes $2;
error_log $WORK/nginx/logs/error.log warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections $3; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    ${4:-}
    server {
        listen 127.0.0.1:$1;
        ${5:-}
        location = /healthz {
            default_type application/json;
            return 200 '{"status":"ok"}';
        }
    }
}
CONF
}
