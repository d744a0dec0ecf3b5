"""What compose files, bake files and build scripts declare: the records the image graph is made of.

``compose.py``, ``bake.py`` and ``scripts.py`` each read one kind of file into ``Build`` records (and
``scripts.py`` also into ``Rewrite`` records); ``graph.py`` joins them with the Dockerfiles.

Values that could not be resolved keep their variable in ``${NAME}`` form (``$(...)`` for a command
substitution), so ``localhost:5000/app:${TAG}`` says what is known and what is not; ``is_resolved``
tells them apart.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Build:
    """One image build declared in the repository.

    Paths are relative to the repository root, ``/``-separated (``.`` is the root itself).
    ``order`` is the position of the build in its file's sequence (for a script, the order in which
    the builds run, loops unrolled); ``conditional`` is True when the script may skip it (inside
    ``if``, ``case``, ``while`` or after ``||``).
    """

    source: str  # the file that declares the build
    line: int  # 1-based line of the declaration (the command, service or target)
    kind: str  # "script", "compose" or "bake"
    name: str | None  # the compose service or bake target; None for a script
    dockerfile: str
    context: str
    tags: tuple[str, ...] = ()
    args: Mapping[str, str] = field(default_factory=dict)  # build args, in declaration order
    target: str | None = None  # the stage built (--target)
    contexts: Mapping[str, str] = field(default_factory=dict)  # named build contexts: name -> value as written
    order: int = 0
    conditional: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in a build file that could not be read or used: where, and why."""

    file: str
    line: int
    message: str


def is_resolved(value: str) -> bool:
    """True when ``value`` holds no unresolved variable or command substitution."""
    return "$" not in value


def relative_path(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """``path`` (absolute, or relative to the current directory) relative to ``root``, ``/``-separated.

    A path outside the root keeps its leading ``../``; nothing is resolved through symbolic links.
    """
    absolute = posixpath.normpath(Path(path).absolute().as_posix())
    return posixpath.relpath(absolute, Path(root).absolute().as_posix())


def under(root: Path, base: str, path: str) -> str:
    """``path`` as written relative to ``base`` (a root-relative directory), made root-relative."""
    if path.startswith("/"):
        return relative_path(root, path)
    return relative_path(root, posixpath.join(Path(root).absolute().as_posix(), base, path))


_BAKE_NAME = re.compile(r"docker-bake(?:\.override)?\.(?:hcl|json)")


def is_bake_name(name: str) -> bool:
    """``docker-bake.hcl``, ``docker-bake.json`` and their ``.override`` variants (here, not in bake.py: walks
    ask it of every file, and bake.py's parser need not be imported unless a bake file exists)."""
    return _BAKE_NAME.fullmatch(name) is not None
