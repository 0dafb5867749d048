#!/usr/bin/env bash
# Proves the Dockerfile's runtime stage works, without a Docker engine: rebuilds that stage as a chroot on a
# Debian bookworm minimal root filesystem (debootstrap) and checks the server running in it.
#
# Everything the stage does is read from the Dockerfile (deploy/dockerfile_stage.py): its RUN lines are run in
# the chroot (so exactly the runtime packages it names are installed and the same user is created), its COPY
# lines copy the same files to the same paths, and the server starts with its ENV, WORKDIR, USER, ENTRYPOINT
# and CMD. Like a pod with readOnlyRootFilesystem, the root is mounted read-only with a tmpfs /tmp, and the
# server gets a network namespace of its own with only loopback, so it can listen on the Dockerfile's port
# without clashing with anything on the host.
#
# Usage (as root: debootstrap, chroot, mount and unshare need it):
#   deploy/check-container.sh
# Environment:
#   OCR_ROOTFS_DIR   cache of root filesystems (default deploy/rootfs; reused when present)
#   OCR_BINARY       release binary to copy in (default: built with swift build -c release --static-swift-stdlib)
#   DEBIAN_MIRROR    Debian mirror for debootstrap (default: the first bookworm one in apt's sources)
#   CHECK_TIMEOUT    overall limit in seconds (default 1200, the first debootstrap included)
#   CHECK_CONFIG     a config.yaml to put over the image's, or "configmap" for deploy/kubernetes/configmap.yaml's
#   KEEP_ROOTFS=1    keep the per-run root filesystem for inspection
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
START=$SECONDS
ROOTFS_DIR=${OCR_ROOTFS_DIR:-$REPO/deploy/rootfs}
CHECK_TIMEOUT=${CHECK_TIMEOUT:-1200}
SUITE=bookworm
FAILURES=0
PASSES=0
MOUNTS=()
SERVER_PID=
NETNS_PID=
WATCHDOG_PID=
RUN_ROOT=

log() { printf '%s\n' "-- $*"; }
pass() { PASSES=$((PASSES + 1)); printf 'PASS  %s\n' "$*"; }
fail() { FAILURES=$((FAILURES + 1)); printf 'FAIL  %s\n' "$*"; }
die() { printf 'FAIL  %s\n' "$*"; exit 1; }

# ---------------------------------------------------------------- cleanup -----
# shellcheck disable=SC2317  # reached through the traps below
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    # Every step below must run even if an earlier one fails.
    set +e
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ -n $NETNS_PID ]]; then
        kill "$NETNS_PID" 2>/dev/null
        wait "$NETNS_PID" 2>/dev/null
    fi
    if [[ -n $WATCHDOG_PID ]]; then
        kill "$WATCHDOG_PID" 2>/dev/null
        wait "$WATCHDOG_PID" 2>/dev/null
    fi
    unmount_all
    if [[ -n $RUN_ROOT && -d $RUN_ROOT && ${KEEP_ROOTFS:-0} != 1 ]]; then
        # Never delete through a mount point that is still there (/proc, /dev): check first.
        if grep -q " $RUN_ROOT" /proc/self/mounts; then
            printf 'WARN  %s still has mounts; not deleting it\n' "$RUN_ROOT"
        else
            rm -rf --one-file-system "$RUN_ROOT"
        fi
    fi
    exit "$status"
}

unmount_all() {
    local index
    for ((index = ${#MOUNTS[@]} - 1; index >= 0; index--)); do
        umount "${MOUNTS[index]}" 2>/dev/null || umount -l "${MOUNTS[index]}" 2>/dev/null || true
    done
    MOUNTS=()
}

# shellcheck disable=SC2317  # reached through the TERM trap
on_timeout() {
    printf 'FAIL  overall time limit of %ss reached\n' "$CHECK_TIMEOUT"
    exit 1
}

trap cleanup EXIT
trap 'exit 130' INT
trap on_timeout TERM

# A watchdog bounds the whole run: it sends SIGTERM to this script, whose trap cleans up. Its own trap ends its
# sleep when the script finishes first, so nothing is left behind.
(
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$CHECK_TIMEOUT" &
    sleeper=$!
    wait "$sleeper" && kill -TERM $$ 2>/dev/null
) >/dev/null 2>&1 &
WATCHDOG_PID=$!

# ------------------------------------------------------------ preconditions -----
[[ $(id -u) == 0 ]] || die "run as root (debootstrap, chroot, mount and unshare need it)"
for tool in debootstrap chroot mount umount unshare nsenter ip curl python3 sha256sum; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done

# The stage, as the Dockerfile says it.
STAGE_FACTS=$(python3 deploy/dockerfile_stage.py Dockerfile --format bash) || die "cannot read the Dockerfile"
# Defines PACKAGES, RUN_*, COPY_*, WORKDIR, ENV_VARS, USER_SPEC, EXPOSE, STOP_SIGNAL, HEALTHCHECK, ENTRYPOINT, CMD.
eval "$STAGE_FACTS"
[[ $STAGE_BASE == debian:${SUITE}* ]] || die "runtime stage is FROM $STAGE_BASE; this check builds Debian $SUITE"
((${#PACKAGES[@]} > 0)) || die "no apt-get install line found in the runtime stage"
log "runtime stage FROM $STAGE_BASE, packages: ${PACKAGES[*]}"

# The mirror: DEBIAN_MIRROR, else the one apt on this host is configured with (no host name lives here).
debian_mirror() {
    local uri
    uri=$(grep -hsE '^(deb |URIs:)' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
        | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true)
    printf '%s\n' "$uri"
}
MIRROR=${DEBIAN_MIRROR:-$(debian_mirror)}
[[ $MIRROR == http* ]] || die "no Debian mirror in apt's sources; set DEBIAN_MIRROR"

# Mount API filesystems a chroot needs: /proc, a private /dev with the usual nodes, a tmpfs /tmp.
mount_api() {
    local root=$1
    mount -t proc proc "$root/proc" || die "cannot mount /proc in $root"
    MOUNTS+=("$root/proc")
    mount -t tmpfs -o mode=0755,nosuid,size=1m devtmp "$root/dev" || die "cannot mount /dev in $root"
    MOUNTS+=("$root/dev")
    mknod -m 0666 "$root/dev/null" c 1 3
    mknod -m 0666 "$root/dev/zero" c 1 5
    mknod -m 0666 "$root/dev/full" c 1 7
    mknod -m 0666 "$root/dev/random" c 1 8
    mknod -m 0666 "$root/dev/urandom" c 1 9
    ln -s /proc/self/fd "$root/dev/fd"
    mount -t tmpfs -o mode=1777,nosuid,nodev,size=16m tmp "$root/tmp" || die "cannot mount /tmp in $root"
    MOUNTS+=("$root/tmp")
}

# --------------------------------------------------------- base filesystem -----
BASE=$ROOTFS_DIR/base
mkdir -p "$ROOTFS_DIR"
if [[ -f $ROOTFS_DIR/base.done ]]; then
    log "reusing $BASE"
else
    log "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes, once)"
    rm -rf --one-file-system "$BASE"
    timeout 900 debootstrap --variant=minbase "$SUITE" "$BASE" "$MIRROR" >"$ROOTFS_DIR/debootstrap.log" 2>&1 \
        || die "debootstrap failed; see $ROOTFS_DIR/debootstrap.log"
    touch "$ROOTFS_DIR/base.done"
    log "debootstrap done after $((SECONDS - START))s"
fi

# ------------------------------------------- the stage's RUN lines, cached as a layer -----
# Like Docker's layer cache: the key is the RUN lines themselves, so editing them rebuilds the layer.
LAYER_KEY=$(printf '%s\n' "${RUN_CMDS[@]}" "${RUN_DIRS[@]}" "${RUN_ENVS[@]}" | sha256sum | cut -c1-12)
LAYER=$ROOTFS_DIR/layer-$LAYER_KEY
if [[ -f $LAYER.done ]]; then
    log "reusing $LAYER"
else
    log "running the stage's ${#RUN_CMDS[@]} RUN line(s) in a copy of the base"
    rm -rf --one-file-system "$LAYER"
    cp -a "$BASE" "$LAYER"
    cp /etc/resolv.conf "$LAYER/etc/resolv.conf"
    mount_api "$LAYER"
    for index in "${!RUN_CMDS[@]}"; do
        log "RUN ${RUN_CMDS[index]}"
        eval "run_env=(${RUN_ENVS[index]})"
        # shellcheck disable=SC2154  # run_env is set by the eval above
        timeout 600 chroot "$LAYER" /usr/bin/env -i -C "${RUN_DIRS[index]}" "${run_env[@]}" \
            DEBIAN_FRONTEND=noninteractive /bin/sh -c "${RUN_CMDS[index]}" >>"$LAYER.log" 2>&1 \
            || die "RUN line $((index + 1)) failed in the chroot; see $LAYER.log"
    done
    unmount_all
    touch "$LAYER.done"
    log "RUN lines done after $((SECONDS - START))s"
fi
# Layers of earlier versions of the RUN lines are not needed any more.
for old_layer in "$ROOTFS_DIR"/layer-*; do
    [[ $old_layer == "$LAYER" || $old_layer == "$LAYER".* ]] && continue
    rm -rf --one-file-system "$old_layer"
done

for package in "${PACKAGES[@]}"; do
    # shellcheck disable=SC2016  # ${Status} is dpkg-query's format, not a shell expansion
    if chroot "$LAYER" dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        pass "runtime package $package is installed"
    else
        fail "runtime package $package is not installed"
    fi
done

# ---------------------------------------------------------------- binary -----
if [[ -z ${OCR_BINARY:-} ]]; then
    command -v swift >/dev/null || die "swift not on PATH; build the binary or set OCR_BINARY"
    log "swift build -c release --static-swift-stdlib --product ocr-server"
    nice -n 10 swift build -c release --static-swift-stdlib --product ocr-server >"$ROOTFS_DIR/swift-build.log" 2>&1 \
        || die "release build failed; see $ROOTFS_DIR/swift-build.log"
    OCR_BINARY="$(swift build -c release --static-swift-stdlib --show-bin-path)/ocr-server"
fi
[[ -x $OCR_BINARY ]] || die "no executable at $OCR_BINARY"

# -------------------------------------------------- the per-run filesystem -----
RUN_ROOT=$ROOTFS_DIR/run-$$
rm -rf --one-file-system "$RUN_ROOT"
cp -a "$LAYER" "$RUN_ROOT"
mkdir -p "$RUN_ROOT$WORKDIR"

# COPY semantics: a directory's contents go into the destination; a file goes to the destination path, or into
# it when the destination ends in '/'. Files belong to root unless --chown says otherwise.
copy_one() {
    local source=$1 destination=$2 chown=$3 chmod=$4 target
    if [[ -d $source ]]; then
        mkdir -p "$RUN_ROOT$destination"
        cp -R "$source/." "$RUN_ROOT$destination/"
        target=$RUN_ROOT$destination
    else
        if [[ $destination == */ ]]; then
            target=$RUN_ROOT$destination$(basename "$source")
        else
            target=$RUN_ROOT$destination
        fi
        mkdir -p "$(dirname "$target")"
        cp "$source" "$target"
    fi
    # Inside the chroot, so that user and group names resolve against the image's own passwd and group files.
    chroot "$RUN_ROOT" chown -R "${chown:-0:0}" "${target#"$RUN_ROOT"}"
    [[ -z $chmod ]] || chmod -R "$chmod" "$target"
}

for index in "${!COPY_DEST[@]}"; do
    mapfile -t sources <<<"${COPY_SRC[index]}"
    for source in "${sources[@]}"; do
        if [[ -n ${COPY_FROM[index]} ]]; then
            # The build stage's product is the locally built release binary.
            [[ $(basename "$source") == ocr-server ]] \
                || die "COPY --from=${COPY_FROM[index]} $source: only the ocr-server binary is mapped"
            local_source=$OCR_BINARY
        else
            local_source=$REPO/$source
        fi
        if [[ ! -e $local_source ]]; then
            fail "COPY $source -> ${COPY_DEST[index]}: $source does not exist"
            continue
        fi
        copy_one "$local_source" "${COPY_DEST[index]}" "${COPY_CHOWN[index]}" "${COPY_CHMOD[index]}"
        log "COPY $source -> ${COPY_DEST[index]}"
    done
done
if [[ ${CHECK_CONFIG:-} == configmap ]]; then
    # What the pod sees: the ConfigMap's config.yaml mounted over the image's.
    python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["data"]["config.yaml"], end="")' \
        deploy/kubernetes/configmap.yaml >"$RUN_ROOT$WORKDIR/config.yaml" || die "cannot read the ConfigMap"
    log "config.yaml replaced by the ConfigMap's (deploy/kubernetes/configmap.yaml)"
elif [[ -n ${CHECK_CONFIG:-} ]]; then
    cp "$CHECK_CONFIG" "$RUN_ROOT$WORKDIR/config.yaml"
    log "config.yaml replaced by $CHECK_CONFIG"
fi

# USER: a name is looked up in the chroot's own passwd and group files.
resolve_user() {
    local user=${USER_SPEC%%:*} group=${USER_SPEC#*:}
    [[ $USER_SPEC == *:* ]] || group=
    [[ $user =~ ^[0-9]+$ ]] || user=$(chroot "$RUN_ROOT" id -u "$user")
    if [[ -z $group ]]; then
        group=$(chroot "$RUN_ROOT" id -g "$user" 2>/dev/null || printf '%s' "$user")
    elif [[ ! $group =~ ^[0-9]+$ ]]; then
        group=$(chroot "$RUN_ROOT" getent group "$group" | cut -d: -f3)
    fi
    printf '%s:%s\n' "$user" "$group"
}
RUN_AS=$(resolve_user)
RUN_UID=${RUN_AS%%:*}
if ((RUN_UID != 0)) && chroot "$RUN_ROOT" getent passwd "$RUN_UID" >/dev/null; then
    pass "USER $USER_SPEC is a non-root user of the image ($(chroot "$RUN_ROOT" getent passwd "$RUN_UID" | cut -d: -f1))"
else
    fail "USER $USER_SPEC is root or not in the image's passwd"
fi

# --------------------------------------------- read-only root, API mounts -----
mount --bind "$RUN_ROOT" "$RUN_ROOT" || die "cannot bind-mount $RUN_ROOT"
MOUNTS+=("$RUN_ROOT")
mount -o remount,bind,ro "$RUN_ROOT" || die "cannot make $RUN_ROOT read-only"
mount_api "$RUN_ROOT"

if chroot "$RUN_ROOT" touch /.write-probe 2>/dev/null; then
    fail "the root filesystem is writable (the check should mount it read-only)"
elif chroot --userspec="$RUN_AS" "$RUN_ROOT" sh -c 'cd /tmp && : >.write-probe && rm .write-probe'; then
    pass "root filesystem read-only (as readOnlyRootFilesystem), /tmp writable by the user"
else
    fail "/tmp is not writable by $RUN_AS"
fi

missing=$(chroot "$RUN_ROOT" ldd /usr/local/bin/ocr-server 2>&1 | grep 'not found' || true)
if [[ -z $missing ]]; then
    pass "every shared library of the binary resolves in the image (ldd)"
else
    fail "shared libraries missing in the image: $(printf '%s' "$missing" | tr '\n' ' ')"
fi

# The Deployment's preStop hook runs a command from the image: it has to be there.
pre_stop=$(python3 -c 'import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
hook = docs[0]["spec"]["template"]["spec"]["containers"][0].get("lifecycle", {}).get("preStop", {})
print(hook.get("exec", {}).get("command", [""])[0])' deploy/kubernetes/deployment.yaml 2>/dev/null || true)
# shellcheck disable=SC2016  # $1 is expanded by the sh inside the chroot
if [[ -z $pre_stop ]]; then
    log "the Deployment has no exec preStop hook; nothing to look for in the image"
elif chroot "$RUN_ROOT" /usr/bin/env -i "${ENV_VARS[@]}" sh -c 'command -v "$1"' sh "$pre_stop" >/dev/null; then
    pass "the Kubernetes preStop command ($pre_stop) exists in the image"
else
    fail "the Kubernetes preStop command ($pre_stop) is not in the image"
fi

# A network namespace of its own, with loopback up: the container's view of the network.
unshare --net sleep "$CHECK_TIMEOUT" >/dev/null 2>&1 &
NETNS_PID=$!
# Wait until unshare has switched namespaces: before that, the pid's namespace is still the host's.
for _ in $(seq 1 50); do
    [[ $(readlink "/proc/$NETNS_PID/ns/net" 2>/dev/null) != "$(readlink /proc/self/ns/net)" ]] && break
    sleep 0.1
done
[[ $(readlink "/proc/$NETNS_PID/ns/net" 2>/dev/null) != "$(readlink /proc/self/ns/net)" ]] \
    || die "could not create a network namespace"
NETNS=(nsenter --net="/proc/$NETNS_PID/ns/net")
in_netns() { "${NETNS[@]}" "$@"; }
in_netns ip link set lo up

PORT=${EXPOSE[0]:-8080}
for variable in "${ENV_VARS[@]}"; do
    if [[ $variable == OCR_PORT=* ]]; then PORT=${variable#OCR_PORT=}; fi
done
URL=http://127.0.0.1:$PORT
HOME_DIR=$(chroot "$RUN_ROOT" getent passwd "$RUN_UID" | cut -d: -f6)

# How Docker starts the container process: ENTRYPOINT + CMD, in WORKDIR, as USER, with only the image's ENV.
# nsenter, chroot and env each exec the next, so the background pid below is the server's own.
CONTAINER=("${NETNS[@]}" chroot --userspec="$RUN_AS" --groups="${RUN_AS#*:}" "$RUN_ROOT"
    /usr/bin/env -i -C "$WORKDIR" HOME="${HOME_DIR:-/}" HOSTNAME=ocr-check "${ENV_VARS[@]}")
in_container() { "${CONTAINER[@]}" "$@"; }

SERVER_LOG=$ROOTFS_DIR/server-$$.log
log "starting: ${ENTRYPOINT[*]} ${CMD[*]} (as $RUN_AS in $WORKDIR, listening on port $PORT in its own namespace)"
"${CONTAINER[@]}" "${ENTRYPOINT[@]}" "${CMD[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

# ------------------------------------------------------------------ checks -----
http() { in_netns curl -s --max-time 5 "$@"; }

# Polls until a URL answers 200 or the limit passes, and prints how long it took, or the last status seen.
# A 404 or 405 ends the wait at once: the route does not exist, so waiting cannot help.
wait_for_200() {
    local path=$1 limit=$2 began=$SECONDS code=000
    while ((SECONDS - began < limit)); do
        kill -0 "$SERVER_PID" 2>/dev/null || { printf 'nothing: the server exited\n'; return 1; }
        code=$(http -o /dev/null -w '%{http_code}' "$URL$path" 2>/dev/null || true)
        case $code in
            200) printf 'after %ss\n' "$((SECONDS - began))"; return 0 ;;
            404 | 405) printf '%s\n' "$code"; return 1 ;;
        esac
        sleep 0.25
    done
    printf '%s for %ss\n' "$code" "$limit"
    return 1
}

for probe in "/healthz 30" "/readyz 60"; do
    read -r path limit <<<"$probe"
    if outcome=$(wait_for_200 "$path" "$limit"); then
        pass "GET $path answers 200 ($outcome)"
    else
        fail "GET $path never answered 200 (got $outcome)"
    fi
done

process_uid=$(awk '/^Uid:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true)
if [[ -n $process_uid && $process_uid != 0 && $process_uid == "$RUN_UID" ]]; then
    pass "the server process runs as uid $process_uid, not root"
else
    fail "the server process runs as uid '${process_uid:-?}', expected $RUN_UID"
fi

page=$(http -D "$ROOTFS_DIR/page-headers-$$" "$URL/" || true)
if grep -qi '^HTTP/1.1 200' "$ROOTFS_DIR/page-headers-$$" 2>/dev/null && grep -qi '<html' <<<"$page" \
    && grep -qi '^content-type: text/html' "$ROOTFS_DIR/page-headers-$$"; then
    pass "GET / serves the HTML page from $WORKDIR/Public"
else
    fail "GET / did not serve an HTML page"
fi
rm -f "$ROOTFS_DIR/page-headers-$$"

# Recognition: a PNG made here (a vertical bar, a "1") and the same drawing as JSON strokes.
check_recognition() {
    local what=$1 content_type=$2 body_file=$3 answer code label
    answer=$(http -w '\n%{http_code}' -H "Content-Type: $content_type" --data-binary "@$body_file" \
        "$URL/api/v1/recognize" || true)
    code=${answer##*$'\n'}
    label=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read()).get("label",""))' \
        <<<"${answer%$'\n'*}" 2>/dev/null || true)
    if [[ $code == 200 && $label =~ ^([0-9]|star|smiley|scribble)$ ]]; then
        pass "POST /api/v1/recognize ($what) answers 200 with label \"$label\""
    else
        fail "POST /api/v1/recognize ($what) answered ${code:-nothing}: ${answer%$'\n'*}"
    fi
}
SAMPLES=$(mktemp -d)
python3 deploy/sample_inputs.py "$SAMPLES"
check_recognition "PNG" image/png "$SAMPLES/one.png"
check_recognition "JSON strokes" application/json "$SAMPLES/one.json"
rm -rf "$SAMPLES"

if ((${#HEALTHCHECK[@]} == 0)); then
    fail "the Dockerfile has no HEALTHCHECK"
elif in_container "${HEALTHCHECK[@]}" >/dev/null 2>&1; then
    pass "HEALTHCHECK command exits 0 (${HEALTHCHECK[*]})"
else
    fail "HEALTHCHECK command failed (${HEALTHCHECK[*]})"
fi
# STOPSIGNAL: the server drains and exits 0 (Docker waits 10 s, Kubernetes terminationGracePeriodSeconds).
if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -s "${STOP_SIGNAL#SIG}" "$SERVER_PID"
    began=$SECONDS
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        fail "$STOP_SIGNAL: the server was still running after 20s"
    else
        set +e; wait "$SERVER_PID"; status=$?; set -e
        SERVER_PID=
        if ((status == 0)); then
            pass "$STOP_SIGNAL: the server exited 0 after $((SECONDS - began))s"
        else
            fail "$STOP_SIGNAL: the server exited $status"
        fi
    fi
else
    set +e; wait "$SERVER_PID"; status=$?; set -e
    SERVER_PID=
    fail "the server had already exited ($status) before $STOP_SIGNAL; its log follows"
    sed 's/^/    /' "$SERVER_LOG" | tail -n 20
fi

# The probe must also be able to fail: with the server gone, it has to exit non-zero.
if ((${#HEALTHCHECK[@]} > 0)) && [[ -z $SERVER_PID ]]; then
    if in_container "${HEALTHCHECK[@]}" >/dev/null 2>&1; then
        fail "HEALTHCHECK command exits 0 after the server stopped"
    else
        pass "HEALTHCHECK command exits non-zero once the server has stopped"
    fi
fi

if ((FAILURES > 0)); then
    log "server log (last lines):"
    sed 's/^/    /' "$SERVER_LOG" | tail -n 20
fi
rm -f "$SERVER_LOG"
printf '%s passed, %s failed\n' "$PASSES" "$FAILURES"
printf 'elapsed: %ss\n' "$((SECONDS - START))"
((FAILURES == 0)) && printf 'RESULT: PASS\n' || printf 'RESULT: FAIL\n'
exit $((FAILURES > 0))
