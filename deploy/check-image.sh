#!/usr/bin/env bash
# Builds the real image from the repository's Dockerfile with podman (both stages) and checks it running.
#
# The bases come from deploy/make-bases.sh (made here, no registry needed) unless USE_LOCAL_BASES=0. The Swift
# packages come from where this machine's git already finds them: a `url.<dir>.insteadOf https://github.com/`
# setting that points at a local directory is mounted read-only into the build and handed to the build stage's
# git through the Dockerfile's GIT_CONFIG_* arguments; without one the build fetches as usual.
#
# The container runs with --network none, as the image would anywhere: the server listens on the image's own
# address and port (0.0.0.0:8080) in a network namespace that has only loopback, and every request is sent
# from inside that namespace (nsenter), so nothing outside it is reached and no host port can clash.
#
# Usage (as root):  deploy/check-image.sh
# Environment:
#   IMAGE                 tag to build and check (default localhost/ocr-server:check)
#   SKIP_BUILD=1          check IMAGE as it is
#   USE_LOCAL_BASES=0     build FROM the Dockerfile's default bases instead of deploy/make-bases.sh's
#   SWIFT_PACKAGE_MIRROR  directory standing in for https://github.com/ (default: from git's insteadOf setting;
#                         set it empty to fetch from the network)
#   CHECK_TIMEOUT         overall limit in seconds (default 2400, the bases and the release build included)
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "$0")/lib.sh"

NAME=ocr-check-$$
# The issue's goal for the image, and the limit past which the check fails. The goal is not met today: the
# statically linked binary carries Foundation's ICU data (34 MB, icudt76_dat; Yams and the code import Foundation),
# so base (82 MB) + binary (62 MB) come to about 147 MB. The limit catches what matters more, a Swift
# toolchain or runtime copied into the runtime stage, which would add hundreds of MB.
SIZE_GOAL_MB=${SIZE_GOAL_MB:-120}
SIZE_LIMIT_MB=${SIZE_LIMIT_MB:-160}
IN_FLIGHT=20
# `docker stop` waits 10 s before SIGKILL; the Deployment's grace period is longer (30 s, less its 5 s preStop).
GRACE_SECONDS=10
TMP=
CLIENT_PID=

# shellcheck disable=SC2317  # called by finish_check (deploy/lib.sh) on exit
cleanup() {
    [[ -n $CLIENT_PID ]] && kill "$CLIENT_PID" 2>/dev/null && wait "$CLIENT_PID" 2>/dev/null
    podman rm -f -t 0 "$NAME" >/dev/null 2>&1
}
guard_check 2400

require_root_and podman nsenter curl python3 git
TMP=$(mktemp -d)

# ------------------------------------------------------------------- build -----
# The directory git on this machine uses in place of https://github.com/, if it is a local one.
package_mirror() {
    git config --get-regexp '^url\..*\.insteadof$' 2>/dev/null \
        | awk '$2 == "https://github.com/" { sub(/^url\./, "", $1); sub(/\.insteadof$/, "", $1); print $1; exit }'
}

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    build_args=()
    if [[ ${USE_LOCAL_BASES:-1} == 1 ]]; then
        deploy/make-bases.sh | sed -u 's/^/   /' || die "deploy/make-bases.sh failed"
        build_args+=(--build-arg "BUILD_IMAGE=${BUILD_BASE:-localhost/ocr-base/swift:6.3-bookworm}"
            --build-arg "RUNTIME_IMAGE=${RUNTIME_BASE:-localhost/ocr-base/debian:bookworm-slim}")
    fi
    mirror=${SWIFT_PACKAGE_MIRROR-$(package_mirror)}
    if [[ -n $mirror ]]; then
        [[ -d $mirror ]] || die "SWIFT_PACKAGE_MIRROR $mirror is not a directory"
        mirror=${mirror%/}
        build_args+=(-v "$mirror:$mirror:ro" --build-arg GIT_CONFIG_COUNT=1
            --build-arg "GIT_CONFIG_KEY_0=url.$mirror/.insteadOf" --build-arg "GIT_CONFIG_VALUE_0=https://github.com/")
        log "Swift packages from $mirror (mounted read-only into the build)"
    fi
    log "podman build -t $IMAGE . (both stages; the release build takes minutes)"
    began=$SECONDS
    # docker format: OCI images have no HEALTHCHECK. nice: the build shares the machine.
    if nice -n 10 podman build --pull=never --network host --format docker --layers "${build_args[@]}" \
        -t "$IMAGE" . >"$TMP/build.log" 2>&1; then
        BUILD_SECONDS=$((SECONDS - began))
        pass "podman build of the Dockerfile (both stages) in ${BUILD_SECONDS}s"
    else
        tail -n 40 "$TMP/build.log" | sed 's/^/    /'
        die "podman build failed"
    fi
fi
podman image exists "$IMAGE" || die "no image $IMAGE"

megabytes() { awk '{ printf "%.1f", $1 / 1e6 }'; }
size_mb=$(podman image inspect --format '{{.Size}}' "$IMAGE" | megabytes)
binary_mb=$(podman run --rm --network none --no-healthcheck --entrypoint stat "$IMAGE" -c %s /usr/local/bin/ocr-server | megabytes)
if awk -v s="$size_mb" -v l="$SIZE_LIMIT_MB" 'BEGIN { exit !(s < l) }'; then
    pass "image size ${size_mb} MB, of which the binary ${binary_mb} MB (limit ${SIZE_LIMIT_MB} MB)"
else
    fail "image size ${size_mb} MB, of which the binary ${binary_mb} MB, is over the limit of ${SIZE_LIMIT_MB} MB"
fi
if ! awk -v s="$size_mb" -v g="$SIZE_GOAL_MB" 'BEGIN { exit !(s < g) }'; then
    log "NOTE: over the ${SIZE_GOAL_MB} MB goal; Foundation's ICU data in the binary is most of the difference"
fi
# The runtime needs no toolchain and, the stdlib being static, no Swift shared library either.
# shellcheck disable=SC2016  # expanded by the container's shell
if podman run --rm --network none --no-healthcheck --entrypoint sh "$IMAGE" -c \
    '! command -v swift && ! command -v swiftc && [ -z "$(find / -xdev -name "libswift*.so*" -print -quit)" ]' \
    >/dev/null 2>&1; then
    pass "no Swift toolchain or Swift shared library in the image"
else
    fail "the image holds a Swift toolchain or Swift shared libraries"
fi
image_user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
if [[ ${image_user%%:*} =~ ^[0-9]+$ && ${image_user%%:*} != 0 ]]; then
    pass "USER is $image_user: numeric and not root"
else
    fail "USER is '$image_user': should be a numeric non-root uid"
fi

# --------------------------------------------------------------------- run -----
python3 deploy/sample_inputs.py "$TMP"
printf 'this is not an image' >"$TMP/bad.png"
started=$(date +%s.%N)
# --health-interval=disable: no timer for the HEALTHCHECK (podman would need systemd for one); it is run below.
# podman still complains on stderr that it has no systemd, hence the log file.
podman run -d --name "$NAME" --read-only --network none --health-interval=disable "$IMAGE" \
    >/dev/null 2>"$TMP/run.err" || { cat "$TMP/run.err"; die "podman run failed"; }
PID=$(podman inspect --format '{{.State.Pid}}' "$NAME")
in_pod() { nsenter --net="/proc/$PID/ns/net" "$@"; }
PORT=$(podman image inspect --format '{{range $k, $v := .Config.ExposedPorts}}{{$k}} {{end}}' "$IMAGE" \
    | grep -oE '^[0-9]+' || true)
URL=http://127.0.0.1:${PORT:-8080}
http() { in_pod curl -s --max-time 5 "$@"; }

if outcome=$(wait_for_200 "$URL/readyz" 60 nsenter --net="/proc/$PID/ns/net"); then
    ready=$(awk -v b="$started" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - b }')
    pass "GET /readyz answers 200, ${ready}s after podman run (${outcome}s of polling)"
else
    fail "GET /readyz never answered 200 ($outcome)"
fi

uid=$(awk '/^Uid:/ { print $2 }' "/proc/$PID/status" 2>/dev/null || true)
if [[ -n $uid && $uid != 0 && $uid == "${image_user%%:*}" ]]; then
    pass "the server process runs as uid $uid, not root"
else
    fail "the server process runs as uid '${uid:-?}', expected ${image_user%%:*}"
fi
if [[ $(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$NAME") == true ]] \
    && ! podman exec "$NAME" sh -c ': >/app/write-probe' 2>/dev/null \
    && podman exec "$NAME" sh -c ': >/tmp/write-probe && rm /tmp/write-probe'; then
    pass "root filesystem read-only (--read-only), /tmp writable by the user"
else
    fail "the root filesystem is writable, or /tmp is not"
fi

recognise() {
    local what=$1 content_type=$2 body=$3 answer code label
    answer=$(http -w '\n%{http_code}' -H "Content-Type: $content_type" --data-binary "@$body" "$URL/api/v1/recognize" || true)
    code=${answer##*$'\n'}
    label=$(python3 -c 'import json, sys; print(json.loads(sys.stdin.read()).get("label", ""))' \
        <<<"${answer%$'\n'*}" 2>/dev/null || true)
    if [[ $code == 200 && -n $label ]]; then
        pass "POST /api/v1/recognize ($what) answers 200 with label \"$label\""
    else
        fail "POST /api/v1/recognize ($what) answered ${code:-nothing}: ${answer%$'\n'*}"
    fi
}
recognise "canvas PNG" image/png "$TMP/one.png"
recognise "stroke list" application/json "$TMP/one.json"

code=$(http -o "$TMP/problem" -D "$TMP/problem-headers" -w '%{http_code}' -H 'Content-Type: image/png' \
    --data-binary "@$TMP/bad.png" "$URL/api/v1/recognize" || true)
if [[ $code == 4?? ]] && grep -qi '^content-type: application/problem+json' "$TMP/problem-headers" \
    && python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["status"] == int(sys.argv[2]) and d["title"]' \
        "$TMP/problem" "$code" 2>/dev/null; then
    pass "a body that is not an image gets $code with a problem document: $(head -c 120 "$TMP/problem")"
else
    fail "a bad body got $code, $(grep -i '^content-type' "$TMP/problem-headers" | tr -d '\r'): $(head -c 200 "$TMP/problem")"
fi

metrics=$(http "$URL/metrics" || true)
if grep -q '^http_requests_total' <<<"$metrics" && grep -q '^# TYPE' <<<"$metrics"; then
    pass "GET /metrics answers in Prometheus text ($(grep -c '^# TYPE' <<<"$metrics") metric families)"
else
    fail "GET /metrics did not answer Prometheus text: $(head -c 200 <<<"$metrics")"
fi

if podman healthcheck run "$NAME" >/dev/null 2>&1; then
    pass "the image's HEALTHCHECK passes ($(podman image inspect --format '{{.Config.Healthcheck.Test}}' "$IMAGE"))"
else
    fail "the image's HEALTHCHECK fails or is missing"
fi
# The Deployment's preStop hook runs a command from the image: it has to be there.
if podman exec "$NAME" sleep 0; then
    pass "the Kubernetes preStop command (sleep) exists in the image"
else
    fail "the Kubernetes preStop command (sleep) is not in the image"
fi

# ------------------------------------------------------ SIGTERM in flight -----
# Each request's head and half its body are sent, then SIGTERM, then the rest: the server must finish all of
# them before it exits, with status 0, within the grace period.
in_pod python3 deploy/http_load.py inflight "$URL/api/v1/recognize" "$TMP/one.png" --count "$IN_FLIGHT" \
    --ready-file "$TMP/ready" --go-file "$TMP/go" >"$TMP/inflight.json" 2>"$TMP/inflight.err" &
CLIENT_PID=$!
for _ in $(seq 1 100); do [[ -e $TMP/ready ]] && break; sleep 0.1; done
[[ -e $TMP/ready ]] || fail "the in-flight client did not get its $IN_FLIGHT requests started: $(cat "$TMP/inflight.err")"
signalled=$(date +%s.%N)
podman kill --signal "$(podman image inspect --format '{{.Config.StopSignal}}' "$IMAGE")" "$NAME" >/dev/null
sleep 0.5
# Draining: the listener is closed, so a new connection is refused, while the 20 connections stay open.
if in_pod curl -s -o /dev/null --max-time 2 "$URL/healthz"; then
    fail "a new connection was still accepted 0.5 s after SIGTERM"
else
    pass "0.5 s after SIGTERM a new connection is refused"
fi
touch "$TMP/go"
wait "$CLIENT_PID" || true
CLIENT_PID=
exit_code=$(timeout "$((GRACE_SECONDS + 5))" podman wait "$NAME" 2>/dev/null || printf 'none')
stopped=$(awk -v b="$signalled" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - b }')
answered=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["answered"])' "$TMP/inflight.json" 2>/dev/null || printf 0)
if ((answered == IN_FLIGHT)); then
    pass "SIGTERM with $IN_FLIGHT requests in flight: all $IN_FLIGHT answered 200"
else
    fail "SIGTERM with $IN_FLIGHT requests in flight: $(cat "$TMP/inflight.json" "$TMP/inflight.err")"
fi
if [[ $exit_code == 0 ]] && awk -v s="$stopped" -v g="$GRACE_SECONDS" 'BEGIN { exit !(s <= g) }'; then
    pass "then the server exited 0, ${stopped}s after SIGTERM (grace period ${GRACE_SECONDS}s)"
else
    fail "after SIGTERM the server exited '$exit_code' after ${stopped}s (grace period ${GRACE_SECONDS}s)"
fi

if ((FAILURES > 0)); then
    log "server log (last lines):"
    podman logs "$NAME" 2>&1 | tail -n 20 | sed 's/^/    /'
fi
summary
