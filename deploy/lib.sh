# shellcheck shell=bash
# Shared by the deploy scripts (sourced, not run): output, the bounded waits, podman's settings, the mirror.
# Sourcing it moves to the repository's root, where the scripts work.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO" || exit 1
START=$SECONDS
# The image the checks build (check-image.sh) and run (check-kube.sh, check-rolling.sh).
IMAGE=${IMAGE:-localhost/ocr-server:check}

PASSES=0
FAILURES=0

log() { printf '%s\n' "-- $*"; }
pass() { PASSES=$((PASSES + 1)); printf 'PASS  %s\n' "$*"; }
fail() { FAILURES=$((FAILURES + 1)); printf 'FAIL  %s\n' "$*"; }
die() { printf 'FAIL  %s\n' "$*"; exit 1; }

# Prints the tally and returns non-zero when anything failed, for the script's last line.
summary() {
    printf '%s passed, %s failed\n' "$PASSES" "$FAILURES"
    printf 'elapsed: %ss\n' "$((SECONDS - START))"
    if ((FAILURES == 0)); then printf 'RESULT: PASS\n'; else printf 'RESULT: FAIL\n'; fi
    ((FAILURES == 0))
}

require_root_and() {
    [[ $(id -u) == 0 ]] || die "run as root (podman here runs rootful)"
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "missing tool: $tool (see docs/deploy.md for the apt-get line)"
    done
}

# The settings podman needs on machines like the CI's (see the file's comments); a caller's own wins.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$REPO/deploy/containers.conf}

# A watchdog bounds the whole run: it sends SIGTERM to the script, whose trap cleans up. Its own trap ends its
# sleep when the script finishes first (stop_watchdog), so nothing is left behind.
WATCHDOG_PID=
start_watchdog() {
    local limit=$1 script=$$
    (
        trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
        sleep "$limit" &
        sleeper=$!
        wait "$sleeper" && kill -TERM "$script" 2>/dev/null
    ) >/dev/null 2>&1 &
    WATCHDOG_PID=$!
}
# A check's exits: `finish_check` on EXIT, 130 on ^C, and a FAIL line when the watchdog's limit passes
# (CHECK_TIMEOUT seconds, the script's default given as $1).
guard_check() {
    trap finish_check EXIT
    trap 'exit 130' INT
    trap 'printf "FAIL  overall time limit of %ss reached\n" "$CHECK_TIMEOUT"; exit 1' TERM
    CHECK_TIMEOUT=${CHECK_TIMEOUT:-$1}
    start_watchdog "$CHECK_TIMEOUT"
}
# shellcheck disable=SC2317  # reached through the EXIT trap
# Runs the script's own `cleanup` (what it started), removes its TMP folder, stops the watchdog and exits
# with the script's status.
finish_check() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    cleanup
    [[ -n ${TMP:-} ]] && rm -rf "$TMP"
    stop_watchdog
    exit "$status"
}
require_image() {
    podman image exists "$IMAGE" || die "no image $IMAGE: run deploy/check-image.sh first"
}
stop_watchdog() {
    if [[ -n $WATCHDOG_PID ]]; then
        kill "$WATCHDOG_PID" 2>/dev/null
        wait "$WATCHDOG_PID" 2>/dev/null
        WATCHDOG_PID=
    fi
    return 0
}

# wait_for_200 URL LIMIT [PREFIX...]: polls URL (with curl run under PREFIX, e.g. nsenter) until it answers 200
# or LIMIT seconds pass; prints the seconds it took (one decimal), or the last status seen. A 404 or 405 ends the
# wait at once: the route does not exist, so waiting cannot help.
wait_for_200() {
    local url=$1 limit=$2 began code=000
    shift 2
    began=$(date +%s.%N)
    while awk -v b="$began" -v l="$limit" -v n="$(date +%s.%N)" 'BEGIN { exit !(n - b < l) }'; do
        code=$("$@" curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$url" 2>/dev/null || true)
        case $code in
            200) awk -v b="$began" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", n - b }'; return 0 ;;
            404 | 405) printf 'status %s\n' "$code"; return 1 ;;
        esac
        sleep 0.1
    done
    printf 'status %s for %ss\n' "$code" "$limit"
    return 1
}

# A TCP port nobody listens on now, on loopback (the kernel picks it).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The Debian mirror: DEBIAN_MIRROR, else the first Debian one apt on this machine is configured with, so no
# mirror's host name has to live in the repository. DEBIAN_SECURITY_MIRROR likewise for bookworm-security
# (empty when apt has none).
apt_uris() {
    grep -hsE '^(deb |URIs:)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        | grep -oE 'https?://[^ ]+' || true
}
debian_mirror() {
    apt_uris | grep -E '/debian/?$' | head -n 1
}
debian_security_mirror() {
    apt_uris | grep -E '/debian-security/?$' | head -n 1
}
