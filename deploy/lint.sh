#!/usr/bin/env bash
# Lints the container and Kubernetes files, offline once the tools are installed:
#   1. hadolint on the Dockerfile (no warnings allowed; ignored rules are justified inline in the Dockerfile),
#   2. kubernetes-validate --strict on deploy/kubernetes/*.yaml for Kubernetes 1.28 and 1.37 (schemas ship with
#      the package; KUBE_VERSIONS overrides the list),
#   3. cross-file agreement (port, user, config keys, drain timing, selectors): deploy/check_manifests.py,
#   4. shellcheck on the deploy and benchmark scripts, when shellcheck is installed.
# Installs the pinned tools from deploy/requirements.txt with pip if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hadolint >/dev/null || ! command -v kubernetes-validate >/dev/null; then
    echo "-- installing deploy/requirements.txt"
    python3 -m pip install --quiet -r deploy/requirements.txt
fi

status=0
step() {
    local name=$1
    shift
    if "$@"; then
        echo "PASS  $name"
    else
        echo "FAIL  $name"
        status=1
    fi
}

step "hadolint Dockerfile" hadolint --failure-threshold style Dockerfile
# The oldest Kubernetes release the manifests target and the newest the pinned schemas know.
for version in ${KUBE_VERSIONS:-1.28 1.37}; do
    step "kubernetes-validate --strict -k $version deploy/kubernetes" \
        kubernetes-validate --strict --quiet -k "$version" deploy/kubernetes/*.yaml
done
step "manifests agree with the Dockerfile and config.yaml" python3 deploy/check_manifests.py
if command -v shellcheck >/dev/null; then
    step "shellcheck deploy/*.sh bench/" shellcheck -x deploy/*.sh bench/lib.sh bench/*/*.sh
else
    echo "SKIP  shellcheck not installed (apt-get install shellcheck)"
fi
exit "$status"
