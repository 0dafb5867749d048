#!/usr/bin/env bash
# Runs deploy/kubernetes/ with `podman kube play` and checks the pod as Kubernetes would see it: it becomes
# ready through the probes' own endpoints, answers, runs with the security context, and the ConfigMap's
# config.yaml is the one in effect.
#
# podman (4.3) plays Deployments and ConfigMaps; it has no Service, HorizontalPodAutoscaler or
# PodDisruptionBudget (lint.sh validates those against the Kubernetes schemas instead). The play gets the
# shipped files with two changes, both printed:
#   - the ConfigMap's api.cors_origins is set to a marker origin, so that its effect shows in a response header;
#   - the container's `ports` are dropped: podman publishes every containerPort on the same port of the host,
#     on all interfaces, so two replicas would clash over 8080 (and the pods would be reachable from outside).
# The pods then run with --network none: each has only loopback, reached from inside its network namespace
# (nsenter), the way the kubelet's probes reach a pod's port.
#
# Usage (as root, after deploy/check-image.sh has built the image):  deploy/check-kube.sh
# Environment:
#   IMAGE          the built image (default localhost/ocr-server:check), tagged as the Deployment's image
#   CHECK_TIMEOUT  overall limit in seconds (default 300)
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "$0")/lib.sh"

MARKER_ORIGIN=http://configmap-check.invalid
TMP=
PLAYED=
CONFIG_VOLUME=

# shellcheck disable=SC2317  # called by finish_check (deploy/lib.sh) on exit
cleanup() {
    if [[ -n $PLAYED ]]; then
        timeout 60 podman kube down "$PLAYED" >/dev/null 2>&1
        # kube down (4.3) keeps the ConfigMap's volume.
        podman volume rm -f "$CONFIG_VOLUME" >/dev/null 2>&1
    fi
}
guard_check 300

require_root_and podman nsenter curl python3
require_image
TMP=$(mktemp -d)

# What the manifests say, read from them rather than repeated here.
eval "$(python3 - "$TMP/play.yaml" "$MARKER_ORIGIN" <<'EOF'
import shlex, sys, yaml
out, marker = sys.argv[1], sys.argv[2]
docs = {}
for name in ("configmap", "deployment"):
    docs[name] = yaml.safe_load(open(f"deploy/kubernetes/{name}.yaml"))
config = docs["configmap"]["data"]["config.yaml"]
if "cors_origins: []" not in config:
    sys.exit("the ConfigMap's config.yaml has no 'cors_origins: []' to mark")
docs["configmap"]["data"]["config.yaml"] = config.replace("cors_origins: []", f'cors_origins: ["{marker}"]')
port = docs["deployment"]["spec"]["template"]["spec"]["containers"][0].pop("ports")[0]["containerPort"]
with open(out, "w") as handle:
    yaml.safe_dump_all([docs["configmap"], docs["deployment"]], handle, sort_keys=False)
with open(out.replace(".yaml", "-config.yaml"), "w") as handle:
    handle.write(docs["configmap"]["data"]["config.yaml"])
pod = docs["deployment"]["spec"]["template"]["spec"]
container = pod["containers"][0]
print(f"DEPLOYMENT={shlex.quote(docs['deployment']['metadata']['name'])}")
print(f"REPLICAS={docs['deployment']['spec']['replicas']}")
print(f"CONFIG_VOLUME={shlex.quote(docs['configmap']['metadata']['name'])}")
print(f"MANIFEST_IMAGE={shlex.quote(container['image'])}")
print(f"CONTAINER={shlex.quote(container['name'])}")
print(f"PORT={port}")
print(f"READY_PATH={shlex.quote(container['readinessProbe']['httpGet']['path'])}")
print(f"LIVE_PATH={shlex.quote(container['livenessProbe']['httpGet']['path'])}")
print(f"RUN_AS={pod['securityContext']['runAsUser']}")
args = container.get("args", [])
print(f"CONFIG_PATH={shlex.quote(args[args.index('--config') + 1] if '--config' in args[:-1] else '')}")
EOF
)" || die "cannot read deploy/kubernetes"

# The Deployment names an image without a registry; podman looks such names up under localhost/.
podman tag "$IMAGE" "localhost/$MANIFEST_IMAGE"
log "changed for the play: ConfigMap api.cors_origins [\"$MARKER_ORIGIN\"]; container ports dropped"
log "podman kube play --network none (ConfigMap + Deployment; image $MANIFEST_IMAGE = $IMAGE)"
# A volume left by an earlier play would be reused as it is (podman 4.3), possibly with other permissions.
podman volume rm -f "$CONFIG_VOLUME" >/dev/null 2>&1 || true
started=$(date +%s.%N)
PLAYED=$TMP/play.yaml
if ! podman kube play --network none --replace "$PLAYED" >"$TMP/play.log" 2>&1; then
    grep -v systemd "$TMP/play.log" | sed 's/^/    /'
    die "podman kube play failed"
fi
mapfile -t NAMES < <(podman ps -a --filter "name=^$DEPLOYMENT-pod-[0-9]+-$CONTAINER\$" --format '{{.Names}}' | sort)
if ((${#NAMES[@]} == REPLICAS)); then
    pass "podman kube play made $REPLICAS pods, as the Deployment's replicas says: ${NAMES[*]}"
else
    fail "podman kube play made ${#NAMES[@]} pod(s), the Deployment says $REPLICAS"
fi
((${#NAMES[@]} > 0)) || die "no container named $DEPLOYMENT-pod-N-$CONTAINER after the play"
URL=http://127.0.0.1:$PORT

# The kubelet's probes, on each pod. (podman turns the liveness probe into a healthcheck that runs curl, which
# the image does not have, so the probes are made from outside, into each pod's network namespace.)
for name in "${NAMES[@]}"; do
    pid=$(podman inspect --format '{{.State.Pid}}' "$name")
    if ((pid > 0)) && outcome=$(wait_for_200 "$URL$READY_PATH" 60 nsenter --net="/proc/$pid/ns/net"); then
        ready=$(awk -v b="$started" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - b }')
        pass "$name: readiness probe GET $READY_PATH answers 200, ${ready}s after kube play"
    else
        fail "$name: readiness probe GET $READY_PATH never answered 200 (${outcome:-not running})"
        podman logs "$name" 2>&1 | tail -n 5 | sed 's/^/    /'
    fi
    live=$(nsenter --net="/proc/$pid/ns/net" curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$URL$LIVE_PATH" || true)
    if [[ $live == 200 ]]; then
        pass "$name: startup and liveness probe GET $LIVE_PATH answers 200"
    else
        fail "$name: liveness probe GET $LIVE_PATH answered $live"
    fi
done

NAME=${NAMES[0]}
PID=$(podman inspect --format '{{.State.Pid}}' "$NAME")
NETNS=(nsenter --net="/proc/$PID/ns/net")

# The security context, as the kernel sees the process.
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$PID/status")
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$PID/status")
if [[ $uid == "$RUN_AS" && $caps =~ ^0+$ && $(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$NAME") == true ]] \
    && ! podman exec "$NAME" sh -c ': >/app/write-probe' 2>/dev/null; then
    pass "securityContext in force: uid $uid, no capabilities, read-only root filesystem"
else
    fail "securityContext not in force: uid $uid (want $RUN_AS), CapEff $caps, read-only $(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$NAME")"
fi

# The ConfigMap: the file the server is started with, and the settings it runs with.
if [[ -n $CONFIG_PATH ]] && podman exec "$NAME" cat "$CONFIG_PATH" | cmp -s - "$TMP/play-config.yaml"; then
    pass "$CONFIG_PATH, which the container's --config names, is the ConfigMap's config.yaml"
else
    fail "the container's --config '${CONFIG_PATH}' is not the ConfigMap's config.yaml"
fi
allowed=$("${NETNS[@]}" curl -s -o /dev/null -D - --max-time 5 -H "Origin: $MARKER_ORIGIN" "$URL/api/v1/model" \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "access-control-allow-origin" { print $2 }')
other=$("${NETNS[@]}" curl -s -o /dev/null -D - --max-time 5 -H "Origin: http://other.invalid" "$URL/api/v1/model" \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "access-control-allow-origin" { print $2 }')
if [[ $allowed == "$MARKER_ORIGIN" && -z $other ]]; then
    pass "the ConfigMap's settings are in effect: Access-Control-Allow-Origin: $allowed (api.cors_origins), none for another origin"
else
    fail "the ConfigMap's api.cors_origins is not in effect (allowed '$allowed', other origin '$other')"
fi

SAMPLES=$TMP/samples
python3 deploy/sample_inputs.py "$SAMPLES"
answer=$("${NETNS[@]}" curl -s --max-time 5 -w '\n%{http_code}' -H 'Content-Type: image/png' \
    --data-binary "@$SAMPLES/one.png" "$URL/api/v1/recognize" || true)
body=${answer%$'\n'*}
if [[ ${answer##*$'\n'} == 200 ]]; then
    pass "the pod answers POST /api/v1/recognize: ${body:0:80}..."
else
    fail "the pod answered POST /api/v1/recognize with ${answer##*$'\n'}: ${answer%$'\n'*}"
fi

log "podman kube down"
if timeout 60 podman kube down "$PLAYED" >/dev/null 2>&1 \
    && [[ -z $(podman pod ps --filter "name=^$DEPLOYMENT" --format '{{.Name}}') ]]; then
    PLAYED=
    podman volume rm -f "$CONFIG_VOLUME" >/dev/null 2>&1 || true
    pass "podman kube down removed the pods"
else
    fail "podman kube down left $(podman pod ps --filter "name=^$DEPLOYMENT" --format '{{.Name}}')"
fi
summary
