"""`dockopt compare BEFORE.json AFTER.json`: the before/after table of two results files.

For each image and in total: size and wasted bytes (``measure``), copies of heavy packages
(``measure.heavy_copies``; in total the top-level ``duplicates.heavy_packages`` when the file has it),
cold build (``rebuild.cold``, else ``build.seconds`` of a build made with ``--no-cache``) and code-change
rebuild (``rebuild.code_change``). A total is the sum over the file's images, and unknown (``–``) when
one of them lacks the figure. An entry that ``measure`` keyed by an image reference joins the image
``build`` tagged with that reference.

Exit codes: 0; 2 when a file cannot be read or is not a results file.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dockopt.errors import EXIT_OK, UsageError
from dockopt.report.comparison import FORMATS, METRICS, Change, Comparison, Row
from dockopt.results import image_of_entries, load_results

Figures = dict[str, float | None]


@dataclass(frozen=True)
class CompareOptions:
    before: str
    after: str
    output_format: str = "text"


def run_compare(options: CompareOptions, stream: TextIO | None = None) -> int:
    if options.output_format not in FORMATS:
        raise UsageError(f"unknown format {options.output_format!r} (expected one of {', '.join(FORMATS)})")
    comparison = compare_files(Path(options.before), Path(options.after), options.before, options.after)
    FORMATS[options.output_format](comparison, stream or sys.stdout)
    return EXIT_OK


def compare_files(before: Path, after: Path, before_shown: str, after_shown: str) -> Comparison:
    """Both files read and checked (UsageError naming the file that is wrong), then compared."""
    old, new = load_results(before), load_results(after)
    old_images, new_images = _images(old, before), _images(new, after)
    rows = []
    for name in [*old_images, *(n for n in new_images if n not in old_images)]:
        status = "both" if name in old_images and name in new_images else ("removed" if name in old_images else "added")
        figures_before = old_images.get(name, {})
        figures_after = new_images.get(name, {})
        rows.append(Row(name, status, _changes(figures_before, figures_after)))
    total = Row("total", "total", _changes(_total(old, old_images, before), _total(new, new_images, after)))
    return Comparison(before_shown, after_shown, total, tuple(rows))


def _changes(before: Figures, after: Figures) -> dict[str, Change]:
    return {m.key: Change(before.get(m.key), after.get(m.key)) for m in METRICS}


def _images(document: dict[str, Any], path: Path) -> dict[str, Figures]:
    """Figures by image name, entries keyed by a reference joined to the image built under that tag."""
    entries: dict[str, dict[str, Any]] = document["images"]
    image_of = image_of_entries(entries)
    merged: dict[str, dict[str, Any]] = {}
    for name, entry in entries.items():
        sections = merged.setdefault(image_of[name], {})
        for key, value in entry.items():
            sections.setdefault(key, value)
    return {name: _figures(entry, f"{path}: images.{name}") for name, entry in merged.items()}


def _figures(entry: dict[str, Any], where: str) -> Figures:
    measure = _section(entry, "measure", where)
    build = _section(entry, "build", where)
    rebuild = _section(entry, "rebuild", where)
    cold = _number(rebuild, "cold", f"{where}.rebuild")
    if cold is None and build.get("ok") is True and build.get("no_cache") is True:
        cold = _number(build, "seconds", f"{where}.build")
    return {
        "size": _number(measure, "size", f"{where}.measure"),
        "wasted_bytes": _number(measure, "wasted_bytes", f"{where}.measure"),
        "heavy_copies": _number(measure, "heavy_copies", f"{where}.measure"),
        "cold_build": cold,
        "code_change_rebuild": _number(rebuild, "code_change", f"{where}.rebuild"),
    }


def _total(document: dict[str, Any], images: dict[str, Figures], path: Path) -> Figures:
    total: Figures = {}
    for metric in METRICS:
        values = [figures.get(metric.key) for figures in images.values()]
        known = [v for v in values if v is not None]
        total[metric.key] = sum(known) if values and len(known) == len(values) else None
    duplicates = document.get("duplicates")
    if duplicates is not None:
        if not isinstance(duplicates, dict):
            raise UsageError(f"{path}: 'duplicates' must be an object")
        heavy = duplicates.get("heavy_packages")
        if heavy is not None:
            if not isinstance(heavy, dict) or not all(_is_number(v) for v in heavy.values()):
                raise UsageError(f"{path}: duplicates.heavy_packages must map package names to numbers of copies")
            total["heavy_copies"] = sum(heavy.values())
    return total


def _section(entry: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    section = entry.get(name)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise UsageError(f"{where}.{name} must be an object")
    return section


def _number(section: dict[str, Any], key: str, where: str) -> float | None:
    value = section.get(key)
    if value is None:
        return None
    if not _is_number(value):
        raise UsageError(f"{where}.{key} must be a number or null, not {value!r}")
    return value  # type: ignore[no-any-return]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
