"""The whole setup `dockopt init` writes, and writing it: all files or none.

Layout: one variant gets ``Dockerfile``; several get ``docker/Dockerfile.<variant>`` each (one file
per variant rather than one file with a target per variant: each file then has one runtime stage,
which is what `dockopt lint` and `docker build` see by default). Besides them: ``.dockerignore``,
``docker-bake.hcl``, ``docker/versions.txt`` and ``.github/workflows/docker.yml``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dockopt.errors import UsageError
from dockopt.scaffold.bake import render_bake
from dockopt.scaffold.dockerfile import (
    TORCH_REQUIREMENTS,
    DockerfileSpec,
    ImagePinner,
    render_dockerfile,
    render_torch_requirements,
)
from dockopt.scaffold.entrypoint import Entry, find_entry
from dockopt.scaffold.ignore import render_dockerignore
from dockopt.scaffold.project import Project, read_project
from dockopt.scaffold.variants import Variant
from dockopt.scaffold.versions import VERSIONS_FILE, render_versions
from dockopt.scaffold.workflow import render_workflow

IGNORE_FILE = ".dockerignore"
BAKE_FILE = "docker-bake.hcl"
WORKFLOW_FILE = ".github/workflows/docker.yml"
_PYTHON = re.compile(r"3\.(\d+)")
OLDEST_PYTHON = 9  # the oldest CPython release still supported upstream when this was written: 3.9


@dataclass(frozen=True)
class Setup:
    """The files to write (path relative to the project -> text), and what they were made from."""

    project: Project
    entry: Entry
    files: dict[str, str]
    dockerfiles: tuple[tuple[Variant, str], ...]


def dockerfile_paths(variants: Sequence[Variant]) -> tuple[tuple[Variant, str], ...]:
    if len(variants) == 1:
        return ((variants[0], "Dockerfile"),)
    return tuple((v, f"docker/Dockerfile.{v.name}") for v in variants)


def plan_setup(
    root: Path,
    variants: Sequence[Variant],
    python: str,
    pin: ImagePinner,
    app_module: str | None = None,
    port: int | None = None,
) -> Setup:
    """Read the project and render every file; nothing is written."""
    minor = _PYTHON.fullmatch(python)
    if minor is None or int(minor.group(1)) < OLDEST_PYTHON:
        raise UsageError(f"--python {python}: expected a Python 3 version such as 3.11 (3.{OLDEST_PYTHON} or newer)")
    project = read_project(root)
    entry = find_entry(project, app_module, port)
    if project.manager == "pip" and not project.requirements and project.pyproject_dependencies and int(minor[1]) < 11:
        raise UsageError(
            f"--python {python}: the build reads the dependencies from pyproject.toml with tomllib, new in 3.11; "
            "use --python 3.11 or newer, or list them in a requirements.txt"
        )
    dockerfiles = dockerfile_paths(variants)
    files = {
        path: render_dockerfile(DockerfileSpec(project, entry, variant, python, path), pin)
        for variant, path in dockerfiles
    }
    files[BAKE_FILE] = render_bake(project.name, project.version, dockerfiles)
    files[WORKFLOW_FILE] = render_workflow(project.name, python, dockerfiles)
    files[VERSIONS_FILE] = render_versions(project, variants, python, pin)
    torch = render_torch_requirements(project)
    if torch is not None:
        files[TORCH_REQUIREMENTS] = torch
    kept = ["pyproject.toml", "uv.lock", "poetry.lock", ".python-version", TORCH_REQUIREMENTS, *project.requirements]
    generated = [path for _, path in dockerfiles] + [BAKE_FILE, VERSIONS_FILE]
    files[IGNORE_FILE] = render_dockerignore(root, project.name, generated, kept)
    return Setup(project, entry, dict(sorted(files.items())), dockerfiles)


def existing_files(root: Path, files: Sequence[str]) -> list[str]:
    return [path for path in files if (root / path).exists()]


def write_setup(root: Path, files: dict[str, str], *, force: bool) -> list[tuple[str, bool]]:
    """Write every file, or none: each goes to a temporary file beside its target first, and only when
    all are written are they renamed into place. Without ``force``, UsageError when any exists.
    Returns (path, whether it replaced a file)."""
    existing = existing_files(root, list(files))
    if existing and not force:
        raise UsageError(
            f"{root}: would overwrite {', '.join(existing)}; nothing was written (use --force to replace them)"
        )
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".dockopt-tmp", dir=target.parent)
            staged.append((path, Path(temp)))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
            Path(temp).chmod(mode)
    except BaseException:
        for _, temp_path in staged:
            temp_path.unlink(missing_ok=True)
        raise
    written = []
    for path, temp_path in staged:
        replaced = (root / path).exists()
        temp_path.replace(root / path)
        written.append((path, replaced))
    return written


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
