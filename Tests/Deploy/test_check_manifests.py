"""deploy/check_manifests.py: each cross-file rule passes on the project and fails on a broken copy."""
import shutil
from pathlib import Path

import pytest
import yaml

from check_manifests import checks, key_paths

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path):
    """A copy of the files the checker reads, to break one at a time."""
    shutil.copy(REPO / "Dockerfile", tmp_path / "Dockerfile")
    shutil.copytree(REPO / "deploy" / "kubernetes", tmp_path / "deploy" / "kubernetes")
    if (REPO / "config.yaml").exists():
        shutil.copy(REPO / "config.yaml", tmp_path / "config.yaml")
    return tmp_path


def edit(path: Path, old: str, new: str):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_project_files_agree():
    assert checks(REPO) == []


def test_copy_agrees(tree):
    assert checks(tree) == []


def test_grace_period_shorter_than_drain(tree):
    edit(tree / "deploy/kubernetes/deployment.yaml", "terminationGracePeriodSeconds: 30",
         "terminationGracePeriodSeconds: 12")
    assert any("terminationGracePeriodSeconds" in problem for problem in checks(tree))


def test_container_port_differs_from_image(tree):
    edit(tree / "deploy/kubernetes/deployment.yaml", "containerPort: 8080", "containerPort: 9090")
    assert any("ports disagree" in problem for problem in checks(tree))


def test_run_as_user_differs_from_image(tree):
    edit(tree / "deploy/kubernetes/deployment.yaml", "runAsUser: 10001", "runAsUser: 20002")
    assert any("runAsUser" in problem for problem in checks(tree))


def test_configmap_host_must_be_all_interfaces(tree):
    edit(tree / "deploy/kubernetes/configmap.yaml", "host: 0.0.0.0", "host: 127.0.0.1")
    assert any("server.host" in problem for problem in checks(tree))


def test_configmap_keys_must_match_config_yaml(tree):
    config = yaml.safe_load(
        yaml.safe_load((tree / "deploy/kubernetes/configmap.yaml").read_text())["data"]["config.yaml"])
    config["server"]["extra_key"] = 1
    (tree / "config.yaml").write_text(yaml.safe_dump(config))
    assert any("missing ['server.extra_key']" in problem for problem in checks(tree))


def test_service_selector_must_match_pods(tree):
    edit(tree / "deploy/kubernetes/service.yaml", "selector:\n    app.kubernetes.io/name: ocr-server",
         "selector:\n    app.kubernetes.io/name: other")
    assert any("Service selector" in problem for problem in checks(tree))


def test_config_path_must_be_the_configmaps_file(tree):
    edit(tree / "deploy/kubernetes/deployment.yaml", '"/etc/ocr-server/config.yaml"', '"/etc/elsewhere/config.yaml"')
    assert any("--config" in problem for problem in checks(tree))


def test_config_by_subpath_is_accepted(tree):
    edit(tree / "deploy/kubernetes/deployment.yaml", '"/etc/ocr-server/config.yaml"', '"/app/config.yaml"')
    edit(tree / "deploy/kubernetes/deployment.yaml", "mountPath: /etc/ocr-server\n",
         "mountPath: /app/config.yaml\n              subPath: config.yaml\n")
    assert checks(tree) == []


def test_missing_resource(tree):
    (tree / "deploy/kubernetes/pdb.yaml").unlink()
    assert checks(tree) == ["no PodDisruptionBudget in deploy/kubernetes"]


def test_key_paths():
    assert key_paths({"a": {"b": 1, "c": {"d": []}}, "e": 2}) == {"a", "a.b", "a.c", "a.c.d", "e"}
