"""The results file: what ``dockopt build`` and ``dockopt measure`` found, for ``compare`` and ``verify``.

One JSON document per run (schema in docs/results-json.md)::

    {"tool": "dockopt", "kind": "results", "schema": 1, "version": "X.Y.Z",
     "created": "2026-11-23T13:40:00Z",
     "images": {"<image name>": {"tag": "...", "build": {...}, "measure": {...}, "rebuild": {...}}},
     "duplicates": {...}}

Each command owns its sections: ``build`` writes ``images.*.build`` (and ``images.*.rebuild`` with
``--rebuild-after-change``), ``measure`` writes ``images.*.measure`` and ``duplicates``. Writing into an
existing file replaces only those sections, so ``dockopt build --results r.json`` followed by ``dockopt
measure --results r.json`` gives one file with both. The file is written atomically: a run that is
interrupted leaves the previous file whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dockopt import __version__
from dockopt.errors import UsageError

SCHEMA = 1
KIND = "results"


def empty_results() -> dict[str, Any]:
    return {
        "tool": "dockopt",
        "kind": KIND,
        "schema": SCHEMA,
        "version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "images": {},
    }


def load_results(path: Path) -> dict[str, Any]:
    """A results file, checked enough that its readers can trust its shape; UsageError naming the file if not."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read results file: {exc.strerror or exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not a JSON results file: {exc.msg}") from exc
    if not isinstance(document, dict) or document.get("tool") != "dockopt" or document.get("kind") != KIND:
        raise UsageError(f"{path}: not a dockopt results file (written by `dockopt build/measure --results`)")
    if document.get("schema") != SCHEMA:
        raise UsageError(f"{path}: results schema {document.get('schema')!r} is not supported (expected {SCHEMA})")
    images = document.get("images")
    if not isinstance(images, dict) or not all(isinstance(v, dict) for v in images.values()):
        raise UsageError(f"{path}: 'images' must be an object of objects")
    return document


def update_results(
    path: Path,
    images: Mapping[str, Mapping[str, Any]],
    top_level: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge ``images`` (name -> sections) and ``top_level`` keys into the file at ``path`` and write it.

    A section given here replaces the file's section of the same name for that image; other sections and
    other images are kept. A missing file starts empty. Returns the document written.
    """
    document = load_results(path) if path.exists() else empty_results()
    document["version"] = __version__
    document["created"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name, sections in images.items():
        document["images"].setdefault(name, {}).update(sections)
    for key, value in (top_level or {}).items():
        document[key] = value
    write_json_atomically(path, document)
    return document


def write_json_atomically(path: Path, document: Mapping[str, Any]) -> None:
    """Write via a temporary file in the same directory and a rename: never a half-written file."""
    directory = path.resolve().parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockopt-tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, sort_keys=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp_name).replace(path.resolve())
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def image_of_entries(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Entry name -> the image it belongs to.

    ``dockopt build`` files its sections under the graph's image name (with the tags it built),
    ``dockopt measure`` under the image reference it was given: an entry without a build section
    whose name is a tag a built image carries belongs to that image; every other entry to itself.
    """
    named_by_tag: dict[str, str] = {}
    for name, entry in entries.items():
        build = entry.get("build")
        tags = build.get("tags") if isinstance(build, dict) else None
        for tag in [entry.get("tag"), *(tags if isinstance(tags, list) else [])]:
            if isinstance(tag, str) and tag != name:
                named_by_tag.setdefault(tag, name)
    return {
        name: named_by_tag[name] if name in named_by_tag and "build" not in entry else name
        for name, entry in entries.items()
    }
