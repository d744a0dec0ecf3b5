""".dockerignore for a project, from what its tree really holds.

A few lines are always useful (version control, bytecode and tool caches, at any depth: a pattern
without ``**/`` only matches at the context root). The others name what was found: virtualenvs
(by their ``pyvenv.cfg``), node_modules, build outputs, model weights, large data directories and
files that hold secrets, each with a comment saying what it is and how much it weighs. Nothing
the Dockerfiles copy by name (manifests, lock files) is ever excluded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIRS = frozenset({"data", "datasets", "dataset"})
DATA_DIR_BYTES = 1 << 20  # a data directory this big is left out; a smaller one may be configuration
WEIGHT_SUFFIXES = frozenset({".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".gguf", ".h5", ".tflite", ".pkl"})
BUILD_DIRS = frozenset({"build", "dist", "htmlcov", ".eggs"})
_CACHE_DIRS = (
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".tox", ".nox", ".ipynb_checkpoints", ".cache",
)  # fmt: skip
_SECRET_NAMES = frozenset(
    {".pypirc", ".netrc", ".git-credentials", ".npmrc", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "credentials"}
)
_SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks")
_ENV_TEMPLATES = frozenset({"example", "sample", "template", "dist", "defaults"})
_NOT_WALKED = frozenset({".git", "node_modules", "__pycache__", *_CACHE_DIRS})


@dataclass
class _Found:
    """What the walk found: paths relative to the root, with their sizes."""

    venvs: dict[str, int] = field(default_factory=dict)
    node_modules: dict[str, int] = field(default_factory=dict)
    build: dict[str, int] = field(default_factory=dict)
    weights: dict[str, int] = field(default_factory=dict)  # suffix -> bytes
    weight_files: dict[str, int] = field(default_factory=dict)
    data: dict[str, int] = field(default_factory=dict)
    secrets: dict[str, int] = field(default_factory=dict)


def render_dockerignore(root: Path, project_name: str, generated: Iterable[str], kept: Iterable[str]) -> str:
    """The file's text. ``generated``: the files init writes (not needed in any image); ``kept``: the
    context paths the Dockerfiles copy by name, which no line may exclude."""
    found = _walk(root)
    keep = set(kept)
    lines = [
        f"# .dockerignore of {project_name}, written by `dockopt init` from the files this project has.",
        "# The build context is what `docker build` sends to the builder: everything not excluded here, and",
        "# everything `COPY . .` can put in the image. Each line says why it is here.",
        "",
        "# Version control and CI settings (init writes .github/workflows/docker.yml): not needed to build,",
        "# and .git changes with every commit.",
        ".git",
        ".github",
        "",
        "# Python bytecode and tool caches, at any depth (a pattern without **/ only matches at the root).",
        "**/__pycache__",
        "**/*.py[cod]",
        *(f"**/{name}" for name in _CACHE_DIRS),
        "",
        "# Secrets never belong in a build context: environment files, at any depth.",
        "**/.env",
        "**/*.env",
    ]
    _section(lines, "Virtualenvs (the image builds its own, for its own platform)", found.venvs, keep)
    _section(lines, "node_modules (installed in the image if it needs them)", found.node_modules, keep)
    _section(lines, "Build outputs (the image builds the project itself)", found.build, keep)
    if found.weights:
        total = sum(found.weights.values())
        lines += [
            "",
            f"# Model weights ({_size(total)} found: {_examples(found.weight_files)}): baked into a layer, every",
            "# image rebuild and pull carries them. Mount them or download them when the container starts; to",
            "# bake them in anyway, delete these lines.",
        ]
        lines += [f"**/*{suffix}" for suffix in sorted(found.weights)]
    _section(
        lines,
        "Data directories over 1 MiB (mount them at run time; delete a line to copy one in)",
        found.data,
        keep,
    )
    _section(lines, "Files holding credentials", found.secrets, keep)
    lines += ["", "# The files `dockopt init` wrote: they describe the build, the image does not need them."]
    lines += sorted(generated)
    return "\n".join(lines) + "\n"


def _section(lines: list[str], title: str, entries: dict[str, int], keep: set[str]) -> None:
    shown = {path: size for path, size in entries.items() if not any(_within(k, path) for k in keep)}
    if not shown:
        return
    lines += ["", f"# {title}:"]
    for path, size in sorted(shown.items()):
        lines += [f"#   {path}: {_size(size)}", path]


def _walk(root: Path) -> _Found:
    found = _Found()
    for directory, dirs, files in os.walk(root):
        base = Path(directory)
        relative = "" if base == root else base.relative_to(root).as_posix()
        prefix = relative + "/" if relative else ""
        kept_dirs = []
        for name in dirs:
            path = prefix + name
            if (base / name / "pyvenv.cfg").is_file():
                found.venvs[path] = _tree_size(base / name)
            elif name == "node_modules":
                found.node_modules[path] = _tree_size(base / name)
            elif (name in BUILD_DIRS and not relative) or name.endswith(".egg-info"):
                found.build[path] = _tree_size(base / name)
            elif name in DATA_DIRS and (size := _tree_size(base / name)) >= DATA_DIR_BYTES:
                found.data[path] = size
            elif name not in _NOT_WALKED:
                kept_dirs.append(name)
        dirs[:] = kept_dirs
        for name in files:
            path = prefix + name
            suffix = Path(name).suffix.lower()
            if suffix in WEIGHT_SUFFIXES:
                size = _file_size(base / name)
                found.weights[suffix] = found.weights.get(suffix, 0) + size
                found.weight_files[path] = size
            elif _is_secret(name):
                found.secrets[path] = _file_size(base / name)
    return found


def _is_secret(name: str) -> bool:
    if name == ".env" or name.endswith(".env"):
        return False  # covered by the **/.env and **/*.env lines
    if name.startswith(".env."):
        return name[5:].lower() not in _ENV_TEMPLATES
    return name in _SECRET_NAMES or name.lower().endswith(_SECRET_SUFFIXES)


def _tree_size(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            total += _file_size(Path(directory) / name)
    return total


def _file_size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


def _within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _examples(files: dict[str, int], count: int = 3) -> str:
    largest = sorted(files, key=lambda p: (-files[p], p))
    return ", ".join(largest[:count]) + (", …" if len(largest) > count else "")


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
