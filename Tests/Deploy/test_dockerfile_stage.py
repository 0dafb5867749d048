"""deploy/dockerfile_stage.py: the reader deploy/check_manifests.py trusts to describe the runtime stage."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dockerfile_stage import DockerfileError, apt_packages, logical_lines, parse

REPO = Path(__file__).resolve().parents[2]

SAMPLE = """\
# syntax=docker/dockerfile:1
ARG BASE=debian:bookworm-slim
FROM swift:6.3-bookworm AS build
WORKDIR /src
ARG GIT_CONFIG_COUNT
RUN echo build

FROM ${BASE} AS runtime
# hadolint ignore=DL3008
RUN apt-get update \\
    # a comment inside a continuation is dropped, as Docker does
    && apt-get install -y --no-install-recommends libfoo1 libbar2 \\
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/tool /usr/local/bin/tool
COPY --chown=1:2 assets ./assets
COPY a.txt b.txt conf/
ENV A=1 \\
    B="two words"
USER 1000:1000
EXPOSE 9000/tcp
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s CMD ["tool", "probe"]
ENTRYPOINT ["tool"]
CMD ["--flag", "x"]
"""


def test_reads_the_last_stage_by_default():
    stage = parse(SAMPLE)
    assert stage.name == "runtime"
    assert stage.base == "debian:bookworm-slim"
    assert stage.packages == ["libfoo1", "libbar2"]
    assert stage.workdir == "/app"
    assert stage.env == {"A": "1", "B": "two words"}
    assert stage.user == "1000:1000"
    assert stage.expose == ["9000"]
    assert stage.stopsignal == "SIGINT"
    assert stage.healthcheck == ["tool", "probe"]
    assert stage.entrypoint == ["tool"]
    assert stage.cmd == ["--flag", "x"]


def test_copy_destinations_resolve_against_workdir():
    copies = parse(SAMPLE).copies
    assert [(c.source_stage, c.sources, c.destination, c.chown) for c in copies] == [
        ("build", ["/out/tool"], "/usr/local/bin/tool", None),
        (None, ["assets"], "/app/assets", "1:2"),
        (None, ["a.txt", "b.txt"], "/app/conf/", None),
    ]


def test_run_lines_keep_their_workdir_and_env():
    stage = parse(SAMPLE, "build")
    assert [(run.command, run.workdir) for run in stage.runs] == [("echo build", "/src")]


def test_comment_inside_continuation_is_dropped():
    lines = logical_lines("RUN a \\\n# note\n    && b\n")
    assert lines == ["RUN a && b"]


def test_apt_packages_stop_at_shell_operators():
    assert apt_packages("apt-get update && apt-get install -y p1 p2=1.0 && rm -rf x") == ["p1", "p2=1.0"]
    assert apt_packages("apt-get update") == []


def test_shell_form_healthcheck_runs_through_sh():
    stage = parse("FROM x\nHEALTHCHECK CMD probe --port 1\n")
    assert stage.healthcheck == ["/bin/sh", "-c", "probe --port 1"]


@pytest.mark.parametrize("line", ["ADD a b", "VOLUME /data", "SHELL [\"/bin/bash\", \"-c\"]", "COPY --link a b",
                                  "RUN --mount=type=cache,target=/x true", "ONBUILD RUN true"])
def test_unmodelled_instructions_are_errors_not_skips(line):
    with pytest.raises(DockerfileError):
        parse(f"FROM debian:bookworm-slim\n{line}\n")


def test_missing_stage_is_an_error():
    with pytest.raises(DockerfileError):
        parse(SAMPLE, "nope")


def test_from_takes_the_default_of_a_global_arg():
    assert parse("ARG B=x:1\nARG C\nFROM $B AS one\nFROM ${B}\n", "one").base == "x:1"
    assert parse("ARG IMAGE=debian:bookworm-slim\nFROM ${IMAGE}\n").base == "debian:bookworm-slim"


def test_from_with_an_undefined_arg_is_an_error():
    with pytest.raises(DockerfileError):
        parse("FROM ${NOWHERE}\n")


def test_project_dockerfile_runtime_stage():
    """The facts the Kubernetes manifests and docs/deploy.md rely on."""
    stage = parse((REPO / "Dockerfile").read_text())
    assert stage.base == "debian:bookworm-slim"
    assert sorted(stage.packages) == ["libdeflate0", "libjpeg62-turbo", "libpng16-16", "zlib1g"]
    uid = stage.user.split(":")[0]
    assert uid.isdigit() and uid != "0"
    assert stage.env["OCR_HOST"] == "0.0.0.0"
    assert stage.expose == [stage.env["OCR_PORT"]]
    assert stage.stopsignal == "SIGTERM"
    assert "healthcheck" in " ".join(stage.healthcheck)
    destinations = {copy.destination for copy in stage.copies}
    assert {"/usr/local/bin/ocr-server", "/app/Public", "/app/Models", "/app/config.yaml"} <= destinations


def test_command_line_json():
    out = subprocess.run([sys.executable, str(REPO / "deploy" / "dockerfile_stage.py"), str(REPO / "Dockerfile"),
                          "--stage", "build"], capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["base"].startswith("swift:6.3")


def test_unmodelled_instruction_in_another_stage_is_fine():
    text = "FROM swift AS build\nRUN --mount=type=cache,target=/x true\nFROM debian:bookworm-slim\nUSER 1\n"
    assert parse(text).user == "1"
    with pytest.raises(DockerfileError):
        parse(text, "build")
