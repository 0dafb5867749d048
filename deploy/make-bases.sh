#!/usr/bin/env bash
# Makes the two base images the Dockerfile builds FROM, for a machine that cannot pull them from a registry:
#   runtime base  a debian:bookworm-slim equivalent: debootstrap --variant=minbase bookworm, slimmed as the
#                 official slim image is (no manuals, docs or locales; dpkg told to keep skipping them);
#   build base    the runtime base plus the packages the official swift:*-bookworm image adds for building,
#                 plus the Swift toolchain installed on this machine, copied into /usr (the parts a build never runs,
#                 such as the debugger, the language server and the embedded-target libraries, are left out).
# deploy/check-image.sh passes them to the Dockerfile's BUILD_IMAGE and RUNTIME_IMAGE build arguments; with
# Docker Hub at hand the Dockerfile's defaults (swift:6.3-bookworm, debian:bookworm-slim) are used instead.
#
# Cached: the debootstrap tarball under OCR_BASES_DIR, the images in podman's storage, each labelled with a
# key of what went into it; a base is remade only when its key changes or it is missing.
#
# Usage (as root):  deploy/make-bases.sh
# Environment:
#   OCR_BASES_DIR          cache folder (default deploy/bases, git-ignored)
#   SWIFT_TOOLCHAIN        where the toolchain lives on the build machine (default /opt/swift; its usr/ is copied)
#   DEBIAN_MIRROR          Debian mirror (default: the first Debian one in apt's sources)
#   DEBIAN_SECURITY_MIRROR bookworm-security mirror (default: the one in apt's sources, if any)
#   RUNTIME_BASE, BUILD_BASE  image names (defaults below)
#   REBUILD_BASES=1        remake both even when cached
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "$0")/lib.sh"

BASES_DIR=${OCR_BASES_DIR:-$REPO/deploy/bases}
SWIFT_TOOLCHAIN=${SWIFT_TOOLCHAIN:-/opt/swift}
RUNTIME_BASE=${RUNTIME_BASE:-localhost/ocr-base/debian:bookworm-slim}
BUILD_BASE=${BUILD_BASE:-localhost/ocr-base/swift:6.3-bookworm}
SUITE=bookworm
# What the official swift bookworm image installs for building, less what only its debugger (Python, Z3) or
# downloading toolchains (gnupg2, unzip) needs.
BUILD_PACKAGES=(binutils ca-certificates git libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev
    libncurses-dev libsqlite3-0 libstdc++-12-dev libxml2-dev pkg-config tzdata zlib1g-dev)
# Toolchain parts no `swift build` runs; about half of its size.
TOOLCHAIN_EXCLUDES=(usr/bin/lldb* usr/bin/sourcekit-lsp usr/bin/clangd usr/bin/docc usr/bin/swift-format
    usr/bin/repl_swift usr/lib/liblldb* usr/lib/libsourcekitdInProc.so usr/lib/libSwiftSourceKit*
    usr/lib/swift/embedded usr/lib/swift_static/embedded usr/share/docc)
WORK=

unmount_under() {
    awk -v under="$1/" 'index($2, under) == 1 { print $2 }' /proc/self/mounts | sort -r | xargs -r -n 1 umount -l
}

# shellcheck disable=SC2317  # reached through the trap
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    stop_watchdog
    if [[ -n $WORK && -d $WORK ]]; then
        # A debootstrap cut short leaves /proc and /sys mounted in its target: unmount before deleting.
        unmount_under "$WORK"
        rm -rf --one-file-system "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'printf "FAIL  time limit reached\n"; exit 1' TERM
start_watchdog "${BASES_TIMEOUT:-1800}"

require_root_and podman debootstrap tar sha256sum
[[ -x $SWIFT_TOOLCHAIN/usr/bin/swift ]] || die "no Swift toolchain at $SWIFT_TOOLCHAIN (set SWIFT_TOOLCHAIN)"
MIRROR=${DEBIAN_MIRROR:-$(debian_mirror)}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR-$(debian_security_mirror)}
[[ $MIRROR == http* ]] || die "no Debian mirror in apt's sources; set DEBIAN_MIRROR"
mkdir -p "$BASES_DIR"
WORK=$(mktemp -d "$BASES_DIR/work.XXXXXX")

image_key() { podman image inspect --format '{{index .Labels "ocr.base.key"}}' "$1" 2>/dev/null || true; }

# ------------------------------------------------------------ runtime base -----
TARBALL=$BASES_DIR/$SUITE-slim.tar
if [[ ${REBUILD_BASES:-0} == 1 || ! -s $TARBALL ]]; then
    log "debootstrap --variant=minbase $SUITE (a few minutes, once)"
    ROOTFS=$WORK/rootfs
    timeout 900 debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -n 20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
    # debootstrap can leave its /proc mounted in the target (seen here): nothing of the host goes in the image.
    unmount_under "$ROOTFS"
    # What the official slim image does: no manuals, docs (copyrights kept) or translations, now or later.
    cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
    find "$ROOTFS/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
    find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$ROOTFS"/usr/share/{man,groff,info,lintian}/* "$ROOTFS"/var/cache/apt/*.bin \
        "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log
    find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    # Downloaded packages are deleted after each install, and no translations are fetched, as in the official image.
    printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$ROOTFS/etc/apt/apt.conf.d/docker-clean"
    printf 'Acquire::Languages "none";\n' >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
    {
        printf 'deb %s %s main\n' "$MIRROR" "$SUITE" "$MIRROR" "$SUITE-updates"
        [[ -z $SECURITY_MIRROR ]] || printf 'deb %s %s-security main\n' "$SECURITY_MIRROR" "$SUITE"
    } >"$ROOTFS/etc/apt/sources.list"
    # podman provides these per container.
    : >"$ROOTFS/etc/resolv.conf"
    : >"$ROOTFS/etc/hostname"
    tar --numeric-owner --xattrs --one-file-system -C "$ROOTFS" -cf "$TARBALL.part" .
    mv "$TARBALL.part" "$TARBALL"
    rm -rf --one-file-system "$ROOTFS"
    log "runtime root filesystem made after $((SECONDS - START))s ($(du -m "$TARBALL" | cut -f1) MB)"
fi

RUNTIME_KEY=$(sha256sum "$TARBALL" | cut -c1-16)
if [[ ${REBUILD_BASES:-0} == 1 || $(image_key "$RUNTIME_BASE") != "$RUNTIME_KEY" ]]; then
    podman import --change 'CMD ["bash"]' --change "LABEL ocr.base.key=$RUNTIME_KEY" \
        "$TARBALL" "$RUNTIME_BASE" >/dev/null 2>"$WORK/import.log" \
        || { cat "$WORK/import.log"; die "podman import of $TARBALL failed"; }
    log "imported $RUNTIME_BASE"
else
    log "reusing $RUNTIME_BASE"
fi

# -------------------------------------------------------------- build base -----
SWIFT_VERSION=$("$SWIFT_TOOLCHAIN/usr/bin/swift" --version 2>/dev/null | head -n 1)
excludes=()
# Quoted, so that the RUN line's shell passes the patterns to tar instead of expanding them.
for pattern in "${TOOLCHAIN_EXCLUDES[@]}"; do excludes+=("'--exclude=./$pattern'"); done
# The toolchain comes in through a read-only volume rather than the build context, so it is read once, and
# goes into /usr, where the official image has it.
cat >"$WORK/Containerfile" <<EOF
FROM $RUNTIME_BASE
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${BUILD_PACKAGES[*]} \\
    && rm -rf /var/lib/apt/lists/*
RUN tar -C /mnt/toolchain ${excludes[*]} -cf - ./usr | tar -C / -xf - && swift --version
CMD ["bash"]
EOF
# The key: the recipe above (packages, exclusions, layout), the runtime base it starts from, the toolchain.
BUILD_KEY=$(printf '%s\n' "$RUNTIME_KEY" "$SWIFT_VERSION" | cat - "$WORK/Containerfile" | sha256sum | cut -c1-16)
printf 'LABEL ocr.base.key=%s\n' "$BUILD_KEY" >>"$WORK/Containerfile"
if [[ ${REBUILD_BASES:-0} == 1 || $(image_key "$BUILD_BASE") != "$BUILD_KEY" ]]; then
    log "building $BUILD_BASE ($SWIFT_VERSION)"
    podman build --pull=never --network host --layers=false -v "$SWIFT_TOOLCHAIN:/mnt/toolchain:ro" \
        -t "$BUILD_BASE" -f "$WORK/Containerfile" "$WORK" >"$WORK/build.log" 2>&1 \
        || { tail -n 30 "$WORK/build.log"; die "building $BUILD_BASE failed"; }
    log "built $BUILD_BASE after $((SECONDS - START))s"
else
    log "reusing $BUILD_BASE"
fi

for image in "$RUNTIME_BASE" "$BUILD_BASE"; do
    log "$image: $(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')"
done
log "bases ready after $((SECONDS - START))s"
