"""`dockopt measure IMAGE...`: what images are made of, layer by layer, and what they store twice.

One ``docker save`` of all the images is read as a stream (engine/layers.py): per image its size, its
layers (size, the instruction that made it, the bytes of it the final filesystem does not show), the
true wasted bytes and efficiency next to dive's figures (engine/dive.py), the largest files and
directories, and the Python distributions each layer installed (replaced and removed ones marked).
Across several images: files and distributions stored in different layers of different images
(engine/duplicates.py). Text (rich tables) or JSON; ``--results F`` writes the ``measure`` section of
each image and the top-level ``duplicates`` (docs/results-json.md).

Exit codes: 0; 2 when an image cannot be measured (the engine has no such image, or fails) — the
other images are still measured and reported.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dockopt import __version__
from dockopt.engine.anatomy import HEAVY_BYTES, INSTALLED, REPLACED, Distribution, ImageAnatomy, analyze_image
from dockopt.engine.base import Engine, ImageInfo
from dockopt.engine.docker_cli import DockerCLI
from dockopt.engine.duplicates import Duplicates, find_duplicates
from dockopt.engine.layers import SavedImage
from dockopt.errors import EXIT_ERROR, EXIT_OK, EngineError, UsageError
from dockopt.report.comparison import format_bytes
from dockopt.report.text import make_console
from dockopt.results import update_results

_NUMBER_WIDTHS = {"layer": 5, "size": 9, "wasted": 9, "bytes": 9, "copies": 6}


@dataclass(frozen=True)
class MeasureOptions:
    images: tuple[str, ...]
    results: str | None = None
    output_format: str = "text"
    top: int = 10  # largest files, directories, distributions and duplicates shown
    color: bool | None = None


@dataclass(frozen=True)
class MeasuredImage:
    reference: str  # as given on the command line
    info: ImageInfo
    anatomy: ImageAnatomy


def run_measure(
    options: MeasureOptions,
    stream: TextIO | None = None,
    errors: TextIO | None = None,
    engine: Engine | None = None,
) -> int:
    """Measure, render, write the results file; return the exit code."""
    if options.top < 1:
        raise UsageError("--top must be at least 1")
    if not options.images:
        raise UsageError("name at least one image")
    measured, failures = measure_images(options.images, engine or DockerCLI())
    for failure in failures:
        print(f"dockopt: error: {failure}", file=errors or sys.stderr)
    if not measured:
        return EXIT_ERROR
    duplicates = find_duplicates({m.reference: m.anatomy for m in measured})
    sections = {m.reference: measure_json(m, options.top) for m in measured}
    duplicates_section = duplicates_json(duplicates, options.top)
    if options.results:
        update_results(
            Path(options.results),
            {reference: {"measure": section} for reference, section in sections.items()},
            {"duplicates": duplicates_section},
        )
    out = stream or sys.stdout
    if options.output_format == "json":
        document = {"tool": "dockopt", "version": __version__, "images": sections, "duplicates": duplicates_section}
        json.dump(document, out, indent=2)
        out.write("\n")
    else:
        render_text(measured, duplicates, out, top=options.top, color=options.color)
    return EXIT_ERROR if failures else EXIT_OK


def measure_images(references: Sequence[str], engine: Engine) -> tuple[list[MeasuredImage], list[str]]:
    """The images the engine has, measured from one ``docker save``; a message per image it could not measure."""
    wanted = list(dict.fromkeys(references))
    saved: list[SavedImage] | None = None
    if len(wanted) == 1:
        # An engine takes seconds to prepare a save before its first byte: one image is saved at once and
        # inspected meanwhile (a missing image fails the save, and is reported by the inspection).
        with ThreadPoolExecutor(max_workers=1) as pool:
            inspecting = pool.submit(_inspect_all, wanted, engine)
            with contextlib.suppress(EngineError):
                saved = engine.saved_images(wanted)
            infos, failures = inspecting.result()
    else:
        infos, failures = _inspect_all(wanted, engine)
    if not infos:
        return [], failures
    if saved is None:  # several images, or a save that failed (it fails again, and says why)
        # File hashes only tell images apart: one image needs none.
        saved = engine.saved_images(list(infos), hash_contents=len({i.id for i in infos.values()}) > 1)
    measured = []
    for reference, info in infos.items():
        image = _saved_image(reference, info, saved)
        if image is None:
            failures.append(f"{reference}: the engine's export does not contain this image ({info.id})")
        else:
            measured.append(MeasuredImage(reference, info, analyze_image(image)))
    return measured, failures


def _inspect_all(references: Sequence[str], engine: Engine) -> tuple[dict[str, ImageInfo], list[str]]:
    infos: dict[str, ImageInfo] = {}
    failures: list[str] = []
    for reference in references:
        try:
            infos[reference] = engine.inspect(reference)
        except EngineError as exc:
            failures.append(exc.message)
    return infos, failures


def _saved_image(reference: str, info: ImageInfo, saved: Sequence[SavedImage]) -> SavedImage | None:
    """The saved image of a reference: by config digest (the image id), else by tag (containerd ids differ)."""
    for image in saved:
        if image.id == info.id:
            return image
    tags = {reference, f"{reference}:latest", *info.tags}
    for image in saved:
        if tags & set(image.repo_tags):
            return image
    return saved[0] if len(saved) == 1 else None


# -- JSON ------------------------------------------------------------------------------------


def measure_json(measured: MeasuredImage, top: int) -> dict[str, Any]:
    """The ``measure`` section of one image (docs/results-json.md)."""
    anatomy = measured.anatomy
    return {
        "image": measured.reference,
        "id": measured.info.id,
        "size": measured.info.size,
        "content_bytes": anatomy.content_bytes,
        "layers": [
            {
                "digest": layer.digest,
                "size": layer.size,
                "created_by": layer.created_by,
                "wasted_bytes": layer.wasted_bytes,
                "distributions": [d.requirement for d in layer.distributions],
            }
            for layer in anatomy.layers
        ],
        "wasted_bytes": anatomy.wasted_bytes,
        "efficiency": anatomy.efficiency,
        "dive": {
            "wasted_bytes": anatomy.dive.wasted_bytes,
            "efficiency": anatomy.dive.efficiency,
            "size_bytes": anatomy.dive.size_bytes,
        },
        "largest_files": [{"path": f.path, "size": f.size} for f in anatomy.largest_files(top)],
        "largest_directories": [{"path": p, "size": s} for p, s in anatomy.largest_directories(top)],
        "distributions": [_distribution_json(d) for d in anatomy.distributions],
        "heavy_copies": anatomy.heavy_copies,
    }


def _distribution_json(dist: Distribution) -> dict[str, Any]:
    return {
        "name": dist.name,
        "version": dist.version,
        "layer": dist.layer,
        "path": dist.path,
        "size": dist.size,
        "status": dist.status,
        "changed_in": dist.changed_in,
        "replaced_by": dist.replaced_by,
        "heavy": dist.heavy,
    }


def duplicates_json(duplicates: Duplicates, top: int) -> dict[str, Any]:
    """The top-level ``duplicates`` section (docs/results-json.md)."""
    return {
        "images": list(duplicates.images),
        "distributions": [
            {
                "name": d.name,
                "version": d.version,
                "images": list(d.images),
                "copies": d.copies,
                "bytes": d.extra_bytes,
            }
            for d in duplicates.distributions
        ],
        "files": {
            "count": len(duplicates.files),
            "bytes": duplicates.file_bytes,
            "largest": [
                {"path": f.path, "size": f.size, "copies": f.copies, "images": list(f.images)}
                for f in duplicates.files[:top]
            ],
        },
        "heavy_packages": dict(duplicates.heavy_packages),
    }


# -- text ------------------------------------------------------------------------------------


def render_text(
    measured: Sequence[MeasuredImage], duplicates: Duplicates, stream: TextIO, *, top: int, color: bool | None
) -> None:
    console = make_console(stream, color=color, width=None)
    for index, image in enumerate(measured):
        if index:
            console.print()
        _image(console, image, top)
    if len(measured) > 1:
        console.print()
        _duplicates(console, duplicates, top)


def _image(console: Console, image: MeasuredImage, top: int) -> None:
    anatomy = image.anatomy
    console.print(
        Text.assemble(
            (image.reference, "bold"),
            f"  {image.info.id[:19]}…  {format_bytes(image.info.size)} in {len(anatomy.layers)} "
            + ("layer" if len(anatomy.layers) == 1 else "layers"),
        )
    )
    console.print(
        f"Wasted: {format_bytes(anatomy.wasted_bytes)}, efficiency {anatomy.efficiency:.1%} "
        f"(files stored in layers but not in the final filesystem)"
    )
    console.print(
        f"dive:   {format_bytes(anatomy.dive.wasted_bytes)} wasted, efficiency {anatomy.dive.efficiency:.1%} "
        "(dive also counts the copy that stays)"
    )
    layers = _table(
        "layer",
        "size",
        "wasted",
        "created by",
        "Python distributions",
        shares={"created by": 3, "Python distributions": 2},
    )
    for number, layer in enumerate(anatomy.layers):
        largest_first = sorted(layer.distributions, key=lambda d: -d.size)  # torch shows before six
        names = ", ".join(f"{d.name} {d.version}" for d in largest_first)
        if len(largest_first) > 1:
            names = f"{len(largest_first)}: {names}"
        layers.add_row(
            str(number),
            format_bytes(layer.size),
            format_bytes(layer.wasted_bytes) if layer.wasted_bytes else "",
            _command(layer.created_by),
            names,
        )
    console.print(layers)
    _largest(console, anatomy, top)
    _distributions(console, anatomy.distributions, top)


def _largest(console: Console, anatomy: ImageAnatomy, top: int) -> None:
    files = _table("size", "largest files")
    for file in anatomy.largest_files(top):
        files.add_row(format_bytes(file.size), file.path)
    console.print(files)
    directories = _table("size", "largest directories")
    for path, size in anatomy.largest_directories(top):
        directories.add_row(format_bytes(size), path + "/")
    console.print(directories)


def _distributions(console: Console, distributions: Sequence[Distribution], top: int) -> None:
    """The largest ones, and every heavy, replaced or removed one: JSON lists them all."""
    if not distributions:
        console.print("Python distributions: none found")
        return
    largest = sorted(distributions, key=lambda d: -d.size)
    shown = {id(d) for d in largest[:top]} | {id(d) for d in distributions if d.heavy or d.status != INSTALLED}
    table = _table(
        "layer",
        "distribution",
        "size",
        "status",
        "site directory",
        shares={"distribution": 2, "status": 3, "site directory": 3},
    )
    for dist in distributions:
        if id(dist) in shown:
            table.add_row(
                str(dist.layer),
                f"{dist.name} {dist.version}" + (" (heavy)" if dist.heavy else ""),
                format_bytes(dist.size),
                _status(dist),
                dist.path.rsplit("/", 1)[0],
            )
    console.print(Text(f"Python distributions: {len(distributions)}", style="bold"))
    console.print(table)
    if len(shown) < len(distributions):
        console.print(f"… and {len(distributions) - len(shown)} smaller ones (--format json lists them all)")


def _status(dist: Distribution) -> str:
    if dist.status == INSTALLED:
        return INSTALLED
    if dist.status == REPLACED:
        return f"replaced in layer {dist.changed_in} ({dist.replaced_by})"
    return f"removed in layer {dist.changed_in}"


def _duplicates(console: Console, duplicates: Duplicates, top: int) -> None:
    console.print(Text(f"Across {len(duplicates.images)} images (copies in layers they do not share)", style="bold"))
    if duplicates.distributions:
        table = _table("distribution", "copies", "bytes", "images", shares={"distribution": 1, "images": 2})
        for dist in duplicates.distributions[:top]:
            table.add_row(
                f"{dist.name} {dist.version}", str(dist.copies), format_bytes(dist.extra_bytes), ", ".join(dist.images)
            )
        console.print(table)
    else:
        console.print("Python distributions stored twice: none")
    console.print(
        f"Files stored twice: {len(duplicates.files):,} "
        f"({format_bytes(duplicates.file_bytes)} that one shared layer would save)"
    )
    if duplicates.files:
        table = _table("size", "copies", "file", "images", shares={"file": 3, "images": 2})
        for file in duplicates.files[:top]:
            table.add_row(format_bytes(file.size), str(file.copies), file.path, ", ".join(file.images))
        console.print(table)
    heavy = ", ".join(f"{name} ×{copies}" for name, copies in duplicates.heavy_packages.items())
    console.print(f"Heavy packages stored (named heavy, or {format_bytes(HEAVY_BYTES)} or more): {heavy or 'none'}")


def _table(*columns: str, shares: dict[str, int] | None = None) -> Table:
    """Numbers right-aligned and never squeezed; the text columns in ``shares`` split the width left
    between them in those proportions, cut with an ellipsis rather than wrapped (JSON has it all)."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=bool(shares))
    for column in columns:
        if column in _NUMBER_WIDTHS:
            table.add_column(column, justify="right", no_wrap=True, min_width=_NUMBER_WIDTHS[column])
        else:
            share = (shares or {}).get(column)
            table.add_column(column, no_wrap=True, overflow="ellipsis", ratio=share)
    return table


def _command(created_by: str) -> str:
    """A history step as the Dockerfile line it came from: ``RUN pip install …``, ``COPY . /app``."""
    command = created_by.removesuffix(" # buildkit").strip()
    shell = "/bin/sh -c "
    if command.startswith("RUN " + shell):  # BuildKit
        command = "RUN " + command[len("RUN " + shell) :]
    elif command.startswith(shell + "#(nop) "):  # the classic builder's metadata steps
        command = command[len(shell + "#(nop) ") :].strip()
    elif command.startswith(shell):  # the classic builder's RUN
        command = "RUN " + command[len(shell) :]
    return " ".join(command.split()) or "(no history)"
