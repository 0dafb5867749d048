#!/usr/bin/env python3
"""Cross-checks between the Dockerfile, the Kubernetes manifests and config.yaml.

Owns: the facts that live in more than one file (port, user id, config keys, drain timing, labels) and must agree.
Schema validity is kubernetes-validate's job, not this file's; this file must never reach the network.

    python3 deploy/check_manifests.py        # from the repository root; exit 1 on any mismatch
"""
from __future__ import annotations

import posixpath
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dockerfile_stage import parse  # noqa: E402  (sibling module, path set just above)

ROOT = Path(__file__).resolve().parent.parent


def load_manifests(root: Path) -> dict[str, dict]:
    """Every resource in deploy/kubernetes, keyed by kind."""
    resources: dict[str, dict] = {}
    for path in sorted((root / "deploy" / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document:
                resources[document["kind"]] = document
    return resources


def key_paths(value: object, prefix: str = "") -> set[str]:
    """Dotted paths of every mapping key, e.g. server.timeouts.drain_seconds."""
    if not isinstance(value, dict):
        return set()
    paths = set()
    for key, child in value.items():
        path = f"{prefix}{key}"
        paths.add(path)
        paths |= key_paths(child, path + ".")
    return paths


def config_file_from_configmap(path: str, pod: dict, container: dict, configmap: dict) -> bool:
    """Whether `path` in the container is a key of the ConfigMap, mounted as a directory or by subPath."""
    volumes = {volume["name"] for volume in pod.get("volumes", [])
               if volume.get("configMap", {}).get("name") == configmap["metadata"]["name"]}
    keys = set(configmap.get("data", {}))
    for mount in container.get("volumeMounts", []):
        if mount["name"] not in volumes:
            continue
        if mount.get("subPath"):
            if mount["mountPath"] == path and mount["subPath"] in keys:
                return True
        elif posixpath.dirname(path) == mount["mountPath"].rstrip("/") and posixpath.basename(path) in keys:
            return True
    return False


def checks(root: Path = ROOT) -> list[str]:
    problems: list[str] = []
    stage = parse((root / "Dockerfile").read_text(encoding="utf-8"))
    resources = load_manifests(root)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap"):
        if kind not in resources:
            problems.append(f"no {kind} in deploy/kubernetes")
    if problems:
        return problems

    deployment = resources["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    config = yaml.safe_load(resources["ConfigMap"]["data"]["config.yaml"])

    # The port: Dockerfile EXPOSE and OCR_PORT, the container port, the ConfigMap, the Service's target.
    image_port = stage.env.get("OCR_PORT") or (stage.expose[0] if stage.expose else "")
    ports = {str(port["containerPort"]) for port in container["ports"]}
    if ports != {image_port} or image_port not in stage.expose:
        problems.append(f"ports disagree: Dockerfile OCR_PORT/EXPOSE {image_port}/{stage.expose}, containerPort {ports}")
    if str(config["server"]["port"]) != image_port:
        problems.append(f"ConfigMap server.port {config['server']['port']} is not the image's port {image_port}")
    if config["server"]["host"] != "0.0.0.0":
        problems.append("ConfigMap server.host must be 0.0.0.0 so the pod is reachable")

    # The user: the pod's runAsUser must be the image's numeric USER.
    image_uid = stage.user.split(":")[0]
    if not image_uid.isdigit() or image_uid == "0":
        problems.append(f"Dockerfile USER {stage.user} must be numeric and not root")
    security = pod.get("securityContext", {})
    if str(security.get("runAsUser")) != image_uid:
        problems.append(f"runAsUser {security.get('runAsUser')} is not the image's USER {image_uid}")

    # Draining: preStop sleep + drain_seconds must fit in terminationGracePeriodSeconds, with room to exit.
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    command = pre_stop.get("exec", {}).get("command", [])
    sleep_seconds = int(command[1]) if len(command) == 2 and command[0] == "sleep" else 0
    drain = int(config["server"]["timeouts"]["drain_seconds"])
    grace = int(pod.get("terminationGracePeriodSeconds", 30))
    if grace <= sleep_seconds + drain:
        problems.append(f"terminationGracePeriodSeconds {grace} <= preStop {sleep_seconds}s + drain {drain}s")

    # The file the container reads with --config (its args, else the image's CMD) must be the ConfigMap's, and
    # have the same keys as config.yaml.
    argv = (container.get("command") or stage.entrypoint) + (container.get("args") or stage.cmd)
    config_path = argv[argv.index("--config") + 1] if "--config" in argv[:-1] else ""
    if not config_file_from_configmap(config_path, pod, container, resources["ConfigMap"]):
        problems.append(f"the container's --config {config_path!r} is not a file of the ConfigMap's volume")
    repo_config_path = root / "config.yaml"
    if repo_config_path.exists():
        repo_keys = key_paths(yaml.safe_load(repo_config_path.read_text(encoding="utf-8")))
        map_keys = key_paths(config)
        if repo_keys != map_keys:
            problems.append(
                "ConfigMap config.yaml keys differ from config.yaml: "
                f"missing {sorted(repo_keys - map_keys)}, unknown {sorted(map_keys - repo_keys)}"
            )
    else:
        print("note: no config.yaml at the repository root yet; ConfigMap keys not compared")

    # Probes hit the endpoints the server has, on the named port.
    if container["livenessProbe"]["httpGet"]["path"] != "/healthz":
        problems.append("liveness probe must GET /healthz")
    if container["readinessProbe"]["httpGet"]["path"] != "/readyz":
        problems.append("readiness probe must GET /readyz")

    # Selectors: the Service, the PDB and the Deployment must select the pod template's labels.
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": deployment["spec"]["selector"]["matchLabels"],
        "Service": resources["Service"]["spec"]["selector"],
        "PodDisruptionBudget": resources["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        if any(labels.get(key) != value for key, value in selector.items()):
            problems.append(f"{kind} selector {selector} does not match the pod labels {labels}")
    target = resources["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    if (target["kind"], target["name"]) != ("Deployment", deployment["metadata"]["name"]):
        problems.append(f"the HorizontalPodAutoscaler targets {target}, not the Deployment")
    return problems


def main() -> int:
    problems = checks()
    for problem in problems:
        print(f"FAIL  {problem}")
    if not problems:
        print("PASS  Dockerfile, manifests and config.yaml agree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
