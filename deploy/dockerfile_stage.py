#!/usr/bin/env python3
"""Read one stage of a Dockerfile as plain facts, for deploy/check_manifests.py.

Owns: turning a stage's instructions (ARG, FROM, RUN, WORKDIR, ENV, COPY, USER, EXPOSE, STOPSIGNAL, HEALTHCHECK,
ENTRYPOINT, CMD) into facts, so the cross-file checks read the Dockerfile itself instead of a copy of its values.
Must never guess: an instruction or flag it does not understand is an error, not a skip.

    python3 deploy/dockerfile_stage.py Dockerfile [--stage NAME]

Without --stage, the last stage is read (the one `docker build` produces). A FROM line's ${NAME} is replaced by
the default of the ARG before the first FROM, as a build without --build-arg does.
"""
from __future__ import annotations

import argparse
import json
import posixpath
import re
import shlex
import sys
from dataclasses import dataclass, field, asdict

# Instructions that change no fact read here. An ARG inside a stage only sets a build-time variable, which the
# image does not keep.
IGNORED = {"LABEL", "MAINTAINER", "ARG"}
SHELL_OPERATORS = {"&&", "||", ";", "|", "&"}


class DockerfileError(Exception):
    """The Dockerfile uses something this reader does not model."""


@dataclass
class Copy:
    source_stage: str | None  # None: the build context
    sources: list[str]
    destination: str  # absolute, resolved against the WORKDIR in force
    chown: str | None = None
    chmod: str | None = None


@dataclass
class Run:
    command: str  # given to /bin/sh -c, as Docker does for the shell form
    workdir: str
    env: dict[str, str]


@dataclass
class Stage:
    name: str | None
    base: str
    runs: list[Run] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    user: str = "0"
    expose: list[str] = field(default_factory=list)
    stopsignal: str = "SIGTERM"
    healthcheck: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def logical_lines(text: str) -> list[str]:
    """Join backslash continuations and drop comment lines, as Docker does (comments may sit inside a continuation)."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1].rstrip() + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def exec_form(argument: str) -> list[str]:
    """The argv of an instruction in JSON form, or /bin/sh -c for the shell form."""
    if argument.startswith("["):
        try:
            value = json.loads(argument)
        except json.JSONDecodeError as error:
            raise DockerfileError(f"bad JSON array: {argument}") from error
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise DockerfileError(f"not an array of strings: {argument}")
        return value
    return ["/bin/sh", "-c", argument]


def apt_packages(command: str) -> list[str]:
    """The packages named after each `apt-get install` in a shell command, options skipped."""
    words = shlex.split(command)
    packages: list[str] = []
    for index, word in enumerate(words):
        if word != "install" or index == 0 or not words[index - 1].endswith("apt-get"):
            continue
        for argument in words[index + 1:]:
            if argument in SHELL_OPERATORS:
                break
            if not argument.startswith("-"):
                packages.append(argument)
    return packages


def split_flags(argument: str) -> tuple[dict[str, str], str]:
    """Leading `--name=value` flags of an instruction, and the rest."""
    flags: dict[str, str] = {}
    rest = argument
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name, _, value = flag[2:].partition("=")
        flags[name] = value
        rest = rest.lstrip()
    return flags, rest


def absolute(path: str, workdir: str) -> str:
    joined = posixpath.normpath(posixpath.join(workdir, path))
    # Keep a trailing slash: on a COPY destination it means "into this directory".
    return joined + "/" if path.endswith("/") and joined != "/" else joined


def parse_env(argument: str) -> dict[str, str]:
    words = shlex.split(argument)
    if words and "=" not in words[0]:
        # Legacy form: ENV KEY value with spaces
        return {words[0]: argument.split(None, 1)[1] if len(words) > 1 else ""}
    pairs = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise DockerfileError(f"ENV pair without '=': {word}")
        pairs[key] = value
    return pairs


def parse(text: str, stage_name: str | None = None) -> Stage:
    """The named stage (default: the last). Only that stage has to use instructions this reader models."""
    stages: list[Stage] = []
    errors: dict[int, DockerfileError] = {}  # first problem of each stage, by index
    global_args: dict[str, str] = {}  # ARGs before the first FROM: they parameterise FROM lines only
    for line in logical_lines(text):
        keyword, _, argument = line.partition(" ")
        keyword = keyword.upper()
        argument = argument.strip()
        if keyword == "FROM":
            words = argument.split()
            words = [word for word in words if not word.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(name=name, base=substitute(words[0], global_args)))
            continue
        if keyword == "ARG" and not stages:
            for word in shlex.split(argument):
                key, _, value = word.partition("=")
                global_args[key] = value
            continue
        if not stages:
            raise DockerfileError(f"{keyword} before the first FROM")
        if len(stages) - 1 in errors:
            continue
        try:
            apply(stages[-1], keyword, argument, line)
        except DockerfileError as error:
            errors[len(stages) - 1] = error
    if not stages:
        raise DockerfileError("no FROM line")
    if stage_name is None:
        index = len(stages) - 1
    else:
        matches = [i for i, stage in enumerate(stages) if stage.name == stage_name]
        if not matches:
            raise DockerfileError(f"no stage named {stage_name}")
        index = matches[0]
    if index in errors:
        raise errors[index]
    return stages[index]


def substitute(word: str, variables: dict[str, str]) -> str:
    """${NAME} and $NAME replaced by their values; an unknown one is an error, since the base would be a guess."""
    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in variables:
            raise DockerfileError(f"FROM uses ${name}, which no ARG before the first FROM defines")
        return variables[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, word)


def apply(stage: Stage, keyword: str, argument: str, line: str) -> None:
    """One instruction's effect on the stage it belongs to."""
    if keyword in IGNORED:
        return
    if keyword == "RUN":
        flags, command = split_flags(argument)
        if flags or command.startswith("["):
            raise DockerfileError(f"only the plain shell form of RUN is modelled: {line}")
        stage.runs.append(Run(command=command, workdir=stage.workdir, env=dict(stage.env)))
        stage.packages.extend(apt_packages(command))
    elif keyword == "WORKDIR":
        stage.workdir = absolute(argument, stage.workdir).rstrip("/") or "/"
    elif keyword == "ENV":
        stage.env.update(parse_env(argument))
    elif keyword == "COPY":
        flags, rest = split_flags(argument)
        unknown = set(flags) - {"from", "chown", "chmod"}
        if unknown:
            raise DockerfileError(f"COPY flags not modelled: {sorted(unknown)}")
        paths = exec_form(rest) if rest.startswith("[") else shlex.split(rest)
        if len(paths) < 2:
            raise DockerfileError(f"COPY needs a source and a destination: {line}")
        stage.copies.append(Copy(
            source_stage=flags.get("from"),
            sources=paths[:-1],
            destination=absolute(paths[-1], stage.workdir),
            chown=flags.get("chown"),
            chmod=flags.get("chmod"),
        ))
    elif keyword == "USER":
        stage.user = argument
    elif keyword == "EXPOSE":
        stage.expose.extend(port.split("/")[0] for port in argument.split())
    elif keyword == "STOPSIGNAL":
        stage.stopsignal = argument
    elif keyword == "HEALTHCHECK":
        if argument.upper() == "NONE":
            stage.healthcheck = []
            return
        _, rest = split_flags(argument)
        command_keyword, _, command = rest.partition(" ")
        if command_keyword.upper() != "CMD":
            raise DockerfileError(f"HEALTHCHECK without CMD: {line}")
        stage.healthcheck = exec_form(command.strip())
    elif keyword == "ENTRYPOINT":
        stage.entrypoint = exec_form(argument)
        stage.cmd = []  # Docker resets CMD when ENTRYPOINT is set after it
    elif keyword == "CMD":
        stage.cmd = exec_form(argument)
    else:
        raise DockerfileError(f"instruction not modelled: {keyword}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dockerfile")
    parser.add_argument("--stage", help="stage name (default: the last stage)")
    options = parser.parse_args(argv)
    try:
        with open(options.dockerfile, encoding="utf-8") as handle:
            stage = parse(handle.read(), options.stage)
    except (OSError, DockerfileError) as error:
        print(f"dockerfile_stage: {error}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(stage), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
