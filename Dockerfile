# syntax=docker/dockerfile:1
#
# ocr-server image: a Swift build stage and a slim Debian runtime stage.
#   docker build -t ocr-server .
#   docker run --rm -p 8080:8080 ocr-server
# deploy/check-image.sh builds and checks it with podman (docs/deploy.md).

# The base images: the official ones unless told otherwise. deploy/make-bases.sh makes equivalents for a machine
# that cannot reach a registry and passes them in with --build-arg.
ARG BUILD_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- build stage: the toolchain's major.minor (6.3), on the same Debian release as the runtime stage ----
FROM ${BUILD_IMAGE} AS build

# Headers for the C shims, and pkg-config for the zlib system-library target; versions follow the image's
# Debian release, which the FROM line pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpng-dev libjpeg-dev zlib1g-dev libdeflate-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# A build machine that cannot reach the packages' hosts can point git at a mirror with git's own environment
# settings, e.g. GIT_CONFIG_COUNT=1, GIT_CONFIG_KEY_0=url./mirror/.insteadOf, GIT_CONFIG_VALUE_0=https://github.com/
# (and the mirror mounted into the build). Unset by default, so git fetches from the URLs in Package.swift.
ARG GIT_CONFIG_COUNT
ARG GIT_CONFIG_KEY_0
ARG GIT_CONFIG_VALUE_0

# Dependencies first: this layer is rebuilt only when the manifest (or Package.resolved, if present) changes.
COPY Package.* ./
RUN swift package resolve

# Tests/ too: SwiftPM refuses a manifest whose declared test target folders are missing, even when not building them.
COPY Sources ./Sources
COPY Tests ./Tests
# No CPU flags: the binary picks its CNN kernels from the CPU it runs on (Sources/NeuralNetwork/KernelChoice.swift),
# so the image runs on any x86-64 host.
# The stdlib is linked statically so the runtime stage needs no Swift runtime, only the image libraries.
# The binary is copied out of .build so that the path the runtime stage copies from does not depend on the
# target triple, and stripped on the way (install -s): its symbols and debug information are a quarter of its
# size (22 of 84 MB) and nothing in the image reads them; the unstripped binary stays in the build stage.
RUN swift build -c release --static-swift-stdlib --product ocr-server \
    && install -D -s -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/ocr-server" /out/ocr-server

# ---- runtime stage: only the shared libraries the binary links against ----
FROM ${RUNTIME_IMAGE} AS runtime

# Security updates of these libraries should reach every rebuild, so versions are not pinned; the base image tag
# pins the Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpng16-16 libjpeg62-turbo zlib1g libdeflate0 \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric id so Kubernetes can verify runAsNonRoot (it cannot resolve user names in the image).
RUN groupadd --gid 10001 ocr \
    && useradd --uid 10001 --gid ocr --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ocr

# The server resolves relative paths (public_dir, model.path) against the working directory.
WORKDIR /app

# Files stay owned by root: the server only reads them, and a compromised process cannot rewrite them.
COPY --from=build /out/ocr-server /usr/local/bin/ocr-server
COPY Public /app/Public
COPY Models /app/Models
COPY config.yaml /app/config.yaml

# Listen on every interface inside the container; every config key can be overridden as OCR_<SECTION>_<KEY>.
ENV OCR_HOST=0.0.0.0 \
    OCR_PORT=8080

USER 10001:10001
EXPOSE 8080

# The server drains in-flight requests on SIGTERM (server.timeouts.drain_seconds) and then exits 0.
STOPSIGNAL SIGTERM

# No curl in the image: the binary probes /healthz on loopback itself. Without --port it takes the port from
# the same configuration as the server (config.yaml in WORKDIR, then OCR_PORT), so `docker run -e OCR_PORT=...`
# or a mounted config.yaml moves the probe with the server.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["ocr-server", "healthcheck"]

ENTRYPOINT ["ocr-server"]
CMD ["--config", "/app/config.yaml"]
