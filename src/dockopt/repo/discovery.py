"""Finding the Dockerfiles of a tree, skipping VCS data, virtualenvs and dependency folders."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

SKIPPED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".eggs", ".cache",
        ".hypothesis", ".idea", ".vscode",
    }
)  # fmt: skip
_NOT_DOCKERFILE_SUFFIXES = (".dockerignore", ".md", ".orig", ".rej", ".swp", ".bak", "~")


def is_dockerfile_name(name: str) -> bool:
    """Dockerfile, Containerfile, *.Dockerfile, Dockerfile.* (not Dockerfile.dockerignore)."""
    if name.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    if name in ("Dockerfile", "Containerfile", "dockerfile"):
        return True
    if name.startswith(("Dockerfile.", "Containerfile.")):
        return True
    return name.endswith((".Dockerfile", ".dockerfile", ".Containerfile"))


def is_virtualenv(directory: str) -> bool:
    """Whether ``directory`` holds a ``pyvenv.cfg`` (asked of every directory of a walk: no Path objects)."""
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg"))  # noqa: PTH113, PTH118


def find_dockerfiles(root: Path, excluded: Callable[[str], bool] | None = None) -> Iterator[Path]:
    """Dockerfiles below ``root`` in a stable (sorted) order.

    ``excluded`` receives paths relative to ``root`` (forward slashes) and may prune them.
    """
    for directory, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(directory, root)
        kept = []
        for name in sorted(dirnames):
            if name in SKIPPED_DIRS:
                continue
            rel = _rel(rel_dir, name)
            if is_virtualenv(os.path.join(directory, name)) or (excluded and excluded(rel)):  # noqa: PTH118
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if is_dockerfile_name(name):
                rel = _rel(rel_dir, name)
                if excluded and excluded(rel):
                    continue
                yield Path(directory) / name


def _rel(rel_dir: str, name: str) -> str:
    return name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")
