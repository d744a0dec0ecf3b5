"""Shared questions of the image-size rules (DO2xx): what runs in the image, what it installs, what it leaves.

Scope (DESIGN.md): the final stage and the stages it is built FROM end up in the image; a stage that is only
copied from matters only for what is copied, so its caches and lists are not the image's problem.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase

from dockopt.model import Mount, StageModel, State
from dockopt.rules._cache import Run, stage_runs
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Script
from dockopt.shell.packages import Action, PackageOperation

INSTALLING = frozenset({Action.INSTALL, Action.SYNC, Action.UPGRADE})
# Mount types whose writes never reach the layer.
_EPHEMERAL = ("cache", "tmpfs")
_HOME_VARIABLE = re.compile(r"^(?:\$HOME|\$\{HOME\})(?=/|$)")
# Final stages meant to carry a toolchain: development and build images.
DEVELOPMENT_STAGE_NAMES = frozenset(
    {"dev", "devel", "develop", "development", "build", "builder", "ci", "test", "tests", "devcontainer"}
)


def runs(ctx: FileContext, stages: list[StageModel]) -> Iterator[Run]:
    """The shell-form RUN instructions of ``stages`` (ONBUILD, exec form and non-POSIX shells left out)."""
    for stage in stages:
        yield from stage_runs(ctx, stage)


def image_runs(ctx: FileContext) -> Iterator[Run]:
    """RUN instructions of the final stage and of the stages it is built FROM."""
    return runs(ctx, ctx.model.stages_in_image())


def chain(stage: StageModel) -> list[StageModel]:
    """``stage`` and the stages it is built FROM, the root (built from an image) first."""
    stages = [stage]
    while stages[0].parent is not None:
        stages.insert(0, stages[0].parent)
    return stages


def ephemeral_mount(state: State, path: str, *, home_known: bool = True, home: str = "/root") -> Mount | None:
    """A cache or tmpfs mount of this RUN that keeps ``path`` out of the layer.

    When the user's home is a guess, a mount on the same directory under another home counts too
    (``/root/.cache/pip`` for ``/home/app/.cache/pip``): whether it works is DO103's question.
    """
    for mount in state.mounts:
        if mount.type in _EPHEMERAL and mount.covers(path):
            return mount
    if not home_known and path.startswith(home.rstrip("/") + "/"):
        tail = path[len(home.rstrip("/")) :]
        for mount in state.mounts:
            if mount.type in _EPHEMERAL and (tail + "/").startswith(_tail_of(mount.target) + "/"):
                return mount
    return None


def _tail_of(target: str) -> str:
    """``/root/.cache/pip`` -> ``/.cache/pip``: the part of a mount target below a home directory."""
    for home in ("/root", "/home/"):
        if target.startswith(home):
            rest = target[len(home) :]
            return rest[rest.index("/") :] if home == "/home/" and "/" in rest else rest
    return target


def removed_after(script: Script, directory: str, after: int, home: str = "/root") -> bool:
    """Whether an ``rm`` at or after ``after`` empties ``directory``: its contents, itself or a parent (-r).

    ``~`` and ``$HOME`` in the ``rm`` arguments are read as ``home``.
    """
    child = posixpath.join(posixpath.normpath(directory), "deb.debian.org_debian_dists_stable_InRelease")
    for command in script.commands:
        if command.start < after or command.name != "rm":
            continue
        recursive = command.has_flag("-r", "-R", "--recursive")
        for word in command.positional():
            text = word.text
            if text.startswith("~"):
                text = home + text[1:]
            text = _HOME_VARIABLE.sub(home, text)
            if "$" in text:
                continue
            pattern = posixpath.normpath(text)
            if any(c in text for c in "*?[") and fnmatchcase(child, pattern):
                return True
            if recursive and child.startswith(pattern.rstrip("/") + "/"):
                return True
    return False


def later(operations: tuple[PackageOperation, ...], after: Command) -> Iterator[PackageOperation]:
    """The operations of the same RUN that come after ``after``."""
    for operation in operations:
        if operation.command.start >= after.end:
            yield operation


def spelling(command: Command, verbs: frozenset[str]) -> str:
    """The command as written up to its verb: ``python -m pip install``, ``uv pip install``, ``apk add``."""
    words = [command.argv[0].text]
    for word in command.args:
        words.append(word.text)
        if word.text in verbs and not word.quoted:
            return " ".join(words)
    return command.name


# -- base images -----------------------------------------------------------------------------------------------

_GPU_WORDS = re.compile(r"cuda|cudnn|rocm|nvidia|nvcr\.io|gpu|tensorrt|\bcu\d{2,3}\b")
_CPU_WORD = re.compile(r"(?:^|[^a-z0-9])cpu(?:$|[^a-z0-9])")
# Official and widespread images that have no CUDA or ROCm (unless their tag says so).
_CPU_IMAGES = frozenset(
    {
        "python", "debian", "ubuntu", "alpine", "fedora", "centos", "rockylinux", "almalinux", "amazonlinux",
        "oraclelinux", "buildpack-deps", "pypy", "busybox", "opensuse/leap", "opensuse/tumbleweed",
        "continuumio/miniconda3", "continuumio/anaconda3", "condaforge/miniforge3", "condaforge/mambaforge",
        "mambaorg/micromamba", "ghcr.io/astral-sh/uv", "redhat/ubi8", "redhat/ubi9", "redhat/ubi8-minimal",
        "redhat/ubi9-minimal", "registry.access.redhat.com/ubi8", "registry.access.redhat.com/ubi9",
        "registry.access.redhat.com/ubi8/python-311", "registry.access.redhat.com/ubi9/python-311",
        "gcr.io/distroless/python3", "gcr.io/distroless/python3-debian12", "cgr.dev/chainguard/python",
        "jupyter/base-notebook", "jupyter/minimal-notebook", "jupyter/scipy-notebook",
        "quay.io/jupyter/base-notebook", "quay.io/jupyter/minimal-notebook", "quay.io/jupyter/scipy-notebook",
    }
)  # fmt: skip
_LIBRARY_PREFIXES = ("docker.io/library/", "index.docker.io/library/", "docker.io/", "library/")


def split_image(reference: str) -> tuple[str, str]:
    """``docker.io/library/python:3.11@sha256:…`` -> (``python``, ``3.11``)."""
    reference = reference.split("@", 1)[0].strip()
    name, tag = reference, ""
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        name, _, tag = reference.rpartition(":")
    name = name.lower()
    for prefix in _LIBRARY_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name, tag


def is_gpu_image(reference: str) -> bool:
    """The image reference names a CUDA/ROCm image (nvidia/cuda, rocm/…, pytorch/pytorch, *-gpu, …)."""
    name, tag = split_image(reference)
    text = f"{name}:{tag}".lower()
    if _CPU_WORD.search(text):
        return False
    return name == "pytorch/pytorch" or _GPU_WORDS.search(text) is not None


def is_cpu_image(reference: str) -> bool:
    """The image is known to have no CUDA/ROCm: a widespread CPU image, or one whose name or tag says ``cpu``."""
    name, tag = split_image(reference)
    if _CPU_WORD.search(f"{name}:{tag}".lower()):
        return True
    return not is_gpu_image(reference) and name in _CPU_IMAGES


def named_by_argument(stage: StageModel, *, registry_too: bool = False) -> bool:
    """The image of a stage's FROM is chosen by a build argument: ``FROM ${BASE}`` (or ``${REGISTRY}/x``).

    The default value is only what a plain ``docker build`` uses; a build script may pass anything.
    """
    name, _ = split_image(stage.stage.base)
    return "$" in (name if registry_too else name.rsplit("/", 1)[-1])


DEVEL = "-devel"


def is_cuda_devel(reference: str) -> bool:
    """A CUDA ``-devel`` image: ``nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04``, ``pytorch/pytorch:…-devel``."""
    name, tag = split_image(reference)
    cuda = "cuda" in name or name == "pytorch/pytorch" or "cuda" in tag or "cudnn" in tag
    return cuda and DEVEL in tag.lower()
