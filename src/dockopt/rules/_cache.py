"""Shared questions of the build-cache rules (DO1xx): what a RUN installs, and which cache mounts serve it.

BuildKit keeps a ``RUN --mount=type=cache`` directory between builds and out of the image. Whether such a
mount does its job depends on where the package manager really keeps its cache (the user's home, ``*_CACHE_DIR``
variables), on settings that switch the cache off (``PIP_NO_CACHE_DIR``, ``UV_NO_CACHE``, ``--no-cache-dir``),
and, for apt, on the ``docker-clean`` hook of Debian and Ubuntu images.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from dockopt.model import Mount, StageModel, State
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Script
from dockopt.shell.packages import Action, PackageOperation, classify
from dockopt.syntax import Instruction

INSTALLING = frozenset({Action.INSTALL, Action.SYNC, Action.UPGRADE})
# Managers whose cache a BuildKit cache mount can keep (DESIGN.md, DO102).
CACHEABLE_MANAGERS = frozenset({"pip", "uv", "poetry", "conda", "apt", "npm", "yarn", "pnpm"})
DOCKER_CLEAN = "/etc/apt/apt.conf.d/docker-clean"
APT_ARCHIVES = "/var/cache/apt"
APT_LISTS = "/var/lib/apt"


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Run:
    """A shell-form RUN with the state in force, its parsed shell and its package-manager commands."""

    state: State
    script: Script
    operations: tuple[PackageOperation, ...]

    @property
    def instruction(self) -> Instruction:
        return self.state.instruction

    @property
    def line(self) -> int:
        return self.state.instruction.start_line


def operations(ctx: FileContext, state: State, script: Script) -> tuple[PackageOperation, ...]:
    """The package-manager commands of one RUN, classified with the ENV/ARG in force and the user's home."""
    by_instruction: dict[int, tuple[PackageOperation, ...]] = ctx.memo("operations")
    key = state.instruction.span.start
    if key not in by_instruction:
        home = home_of(state)[0]
        found = []
        for command in script.commands:
            result = classify(command, script, env=state.env, home=home)
            if isinstance(result, PackageOperation):
                found.append(result)
        by_instruction[key] = tuple(found)
    return by_instruction[key]


def stage_runs(ctx: FileContext, stage: StageModel) -> tuple[Run, ...]:
    """The shell-form RUN instructions of one stage (exec form and non-POSIX shells have no script)."""
    known: dict[int, tuple[Run, ...]] = ctx.memo("runs")
    found = known.get(stage.stage.index)
    if found is None:
        found = known[stage.stage.index] = tuple(_runs(ctx, stage))
    return found


def _runs(ctx: FileContext, stage: StageModel) -> Iterator[Run]:
    for state in stage.states:
        if state.instruction.keyword != "RUN":
            continue
        script = ctx.script(state.instruction)
        if script is not None:
            yield Run(state, script, operations(ctx, state, script))


def all_runs(ctx: FileContext) -> Iterator[Run]:
    for stage in ctx.model.stages:
        yield from stage_runs(ctx, stage)


def lineage(stage: StageModel) -> list[StageModel]:
    """``stage`` and the stages it is built FROM, the one built from an image first."""
    stages = [stage]
    while stages[0].parent is not None:
        stages.insert(0, stages[0].parent)
    return stages


def descendants(ctx: FileContext, stage: StageModel) -> list[StageModel]:
    """The stages built FROM ``stage``, directly or through another stage, in file order."""
    found: list[StageModel] = []
    for other in ctx.model.stages:
        parent = other.parent
        while parent is not None:
            if parent is stage:
                found.append(other)
                break
            parent = parent.parent
    return found


def home_of(state: State) -> tuple[str, bool]:
    """The home directory of the user a RUN runs as, and whether it is certain (root, or HOME set)."""
    if state.env.get("HOME"):
        return state.env["HOME"], True
    user = (state.user or "root").split(":", 1)[0]
    if user in ("root", "0"):
        return "/root", True
    if not user or "$" in user or user.isdigit():
        return "/", False
    return f"/home/{user}", False


def overlaps(path: str, other: str) -> bool:
    """One path is the other or inside it."""
    a = posixpath.normpath(path).rstrip("/") or "/"
    b = posixpath.normpath(other).rstrip("/") or "/"
    return a == b or a.startswith(b.rstrip("/") + "/") or b.startswith(a.rstrip("/") + "/")


def cache_mount(state: State, directory: str, named_for: str | None = None) -> Mount | None:
    """A cache mount of this RUN that serves ``directory``: on it, on a parent, or on a part of it.

    The home directory of a non-root user is a guess, and the base image may set another USER or HOME:
    a mount on the same place under any home (``/root/.cache/pip`` for ``/home/app/.cache/pip``) counts too.
    With ``named_for`` (a manager), a mount whose path names that manager (``/root/.yarn/berry/cache`` for
    yarn, ``/opt/conda/pkgs`` for conda) is taken to be configured for it, as far as its presence goes.
    """
    for mount in state.cache_mounts():
        if overlaps(mount.target, directory):
            return mount
    tail = home_tail(directory)
    if tail:
        for mount in state.cache_mounts():
            mount_tail = home_tail(mount.target)
            if mount_tail and overlaps(mount_tail, tail):
                return mount
    if named_for is not None:
        names = _MANAGER_PATH_NAMES.get(named_for, frozenset({named_for}))
        for mount in state.cache_mounts():
            if names & {part.strip(".").lower() for part in mount.target.split("/")}:
                return mount
    return None


_MANAGER_PATH_NAMES = {
    "conda": frozenset({"conda", "pkgs", "mamba", "micromamba"}),
    "yarn": frozenset({"yarn", "berry"}),
}


def home_tail(path: str) -> str | None:
    """``/root/.cache/pip`` and ``/home/app/.cache/pip`` -> ``/.cache/pip``; None outside a home."""
    if path.startswith("/root/"):
        return path[len("/root") :]
    if path.startswith("/home/"):
        rest = path[len("/home/") :]
        return rest[rest.index("/") :] if "/" in rest else None
    return None


def spelling(command: Command, verbs: frozenset[str] = frozenset()) -> str:
    """The command as written up to its verb: ``python -m pip install``, ``uv pip install``, ``apt-get install``."""
    words = [command.argv[0].text]
    for word in command.args:
        words.append(word.text)
        if not word.is_flag and (word.text in verbs or not verbs):
            return " ".join(words)
    return " ".join(words[:3])


# -- base images -----------------------------------------------------------------------------------------

# Official images built on debian or ubuntu: they carry /etc/apt/apt.conf.d/docker-clean.
_DEBIAN_FAMILY = frozenset(
    {
        "debian", "ubuntu", "python", "pypy", "node", "buildpack-deps", "golang", "rust", "ruby", "php", "perl",
        "openjdk", "eclipse-temurin", "amazoncorretto", "gcc", "r-base", "julia", "haskell", "erlang", "elixir",
        "swift", "nvidia/cuda", "nvcr.io/nvidia/cuda", "pytorch/pytorch", "tensorflow/tensorflow",
        "rocm/dev-ubuntu-22.04", "rocm/pytorch", "jupyter/base-notebook", "jupyter/minimal-notebook",
        "jupyter/scipy-notebook", "quay.io/jupyter/base-notebook", "quay.io/jupyter/minimal-notebook",
        "quay.io/jupyter/scipy-notebook", "continuumio/miniconda3", "continuumio/anaconda3",
        "condaforge/miniforge3", "mambaorg/micromamba", "nginx", "httpd", "postgres", "redis",
        "mcr.microsoft.com/devcontainers/python", "mcr.microsoft.com/devcontainers/base",
    }
)  # fmt: skip
_DEBIAN_CODENAMES = ("bookworm", "bullseye", "buster", "trixie", "jammy", "focal", "noble", "bionic")
_OTHER_FAMILIES = ("alpine", "ubi", "centos", "fedora", "rocky", "alma", "amazonlinux", "windows", "nanoserver")
_LIBRARY_PREFIXES = ("docker.io/library/", "index.docker.io/library/", "docker.io/", "library/")


def split_image(reference: str) -> tuple[str, str]:
    """``docker.io/library/python:3.11@sha256:…`` -> (``python``, ``3.11``)."""
    reference = reference.split("@", 1)[0].strip()
    name, tag = reference, ""
    if ":" in reference.rsplit("/", 1)[-1]:
        name, _, tag = reference.rpartition(":")
    name = name.lower()
    for prefix in _LIBRARY_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name, tag.lower()


def has_docker_clean(image: str) -> bool:
    """The image is a Debian or Ubuntu official image (or built on one), so it has the docker-clean hook."""
    name, tag = split_image(image)
    if "$" in name or any(word in tag for word in _OTHER_FAMILIES):
        return False
    return name in _DEBIAN_FAMILY or any(word in tag for word in _DEBIAN_CODENAMES)


def unknown_in_house_base(stage: StageModel) -> bool:
    """The chain starts at an image chosen by a build argument (``FROM ${REGISTRY}/team-base:${TAG}``) that the
    repository did not describe: it may set anything (PIP_NO_CACHE_DIR, USER, HOME)."""
    root = lineage(stage)[0]
    return not root.base.known and "$" in root.stage.base.split(":", 1)[0]


def _changes_docker_clean(command: Command) -> bool:
    """``rm -f /etc/apt/apt.conf.d/docker-clean``, ``mv``/``sed -i`` of it, or a redirect that overwrites it."""
    for redirect in command.redirects:
        if redirect.operator in (">", ">|") and redirect.target is not None and "docker-clean" in redirect.target.text:
            return True
    if command.name not in ("rm", "mv", "unlink", "truncate", "sed", "cp", "ln", "tee", "find", "install"):
        return False
    for word in command.args:
        text = word.text
        if "docker-clean" in text:
            return True
        if command.name == "rm" and (
            text.rstrip("/") in ("/etc/apt/apt.conf.d", "/etc/apt") or text.startswith("/etc/apt/apt.conf.d/*")
        ):
            return True
    return False


def docker_clean_removed(ctx: FileContext, run: Run, before: int) -> bool:
    """The docker-clean hook was removed (or replaced) before offset ``before`` of ``run``.

    Looks at the commands of this RUN that come first, every earlier RUN of the stage and of the stages it is
    built FROM, and COPY/ADD instructions that write the file.
    """
    if any(_changes_docker_clean(c) for c in run.script.commands if c.end <= before):
        return True
    for stage in lineage(run.state.stage):
        for state in stage.states:
            ins = state.instruction
            if ins.span.start >= run.instruction.span.start:
                break
            if ins.keyword in ("COPY", "ADD") and any("docker-clean" in value for value in ins.values[-1:]):
                return True
            if ins.keyword == "RUN":
                script = ctx.script(ins)
                if script is not None and any(_changes_docker_clean(c) for c in script.commands):
                    return True
    return False


def mentions_before(ctx: FileContext, run: Run, before: int, needle: str) -> bool:
    """``needle`` (lower case) appears in a command of this RUN before ``before`` or in an earlier RUN of the chain."""
    for command in run.script.commands:
        if command.start < before and needle in ctx.df.text[command.start : command.end].lower():
            return True
    for stage in lineage(run.state.stage):
        for state in stage.states:
            ins = state.instruction
            if ins.span.start >= run.instruction.span.start:
                break
            if ins.keyword in ("RUN", "COPY", "ADD") and needle in ctx.df.source(ins.span).lower():
                return True
    return False
