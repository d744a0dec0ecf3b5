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

import json
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from dockopt import __version__
from dockopt.engine.base import Engine, ImageInfo
from dockopt.engine.docker_cli import DockerCLI
from dockopt.engine.layers import SavedImage
from dockopt.errors import EXIT_ERROR, EXIT_OK, EngineError, UsageError
from dockopt.results import update_results

if TYPE_CHECKING:
    from dockopt.engine.anatomy import Distribution, ImageAnatomy
    from dockopt.engine.duplicates import Duplicates


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
    from dockopt.engine.duplicates import find_duplicates

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
        from dockopt.report.measure_text import render_text

        render_text(measured, duplicates, out, top=options.top, color=options.color)
    return EXIT_ERROR if failures else EXIT_OK


def measure_images(references: Sequence[str], engine: Engine) -> tuple[list[MeasuredImage], list[str]]:
    """The images the engine has, measured from one ``docker save``; a message per image it could not measure."""
    wanted = list(dict.fromkeys(references))
    saved: list[SavedImage] | None = None
    if len(wanted) == 1:
        # An engine takes seconds to prepare a save before its first byte: one image is saved at once, and
        # inspected (and the analysis loaded) meanwhile; a missing image fails the save and its inspection.
        saving = _Saving(engine, wanted)
        from dockopt.engine.anatomy import analyze_image

        infos, failures = _inspect_all(wanted, engine)
        saved = saving.result()
    else:
        from dockopt.engine.anatomy import analyze_image

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


class _Saving(threading.Thread):
    """``engine.saved_images(images)`` in the background (a daemon: Ctrl-C does not wait for it); None on failure."""

    def __init__(self, engine: Engine, images: Sequence[str]) -> None:
        super().__init__(daemon=True)
        self._engine = engine
        self._images = images
        self._saved: list[SavedImage] | None = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._saved = self._engine.saved_images(self._images)
        except EngineError:
            self._saved = None
        except BaseException as exc:  # handed to the waiting thread
            self._error = exc

    def result(self) -> list[SavedImage] | None:
        self.join()
        if self._error is not None:
            raise self._error
        return self._saved


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
