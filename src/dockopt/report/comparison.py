"""The before/after table of ``dockopt compare``: text, Markdown (for a pull request) and JSON.

Rows are grouped by image, the total first: for each figure its value before and after, and the change,
absolute and relative. A figure one of the files lacks is shown as ``–``, never as 0; an image only in
the after file is marked added, one only in the before file removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TextIO

from dockopt import __version__
from dockopt.units import format_bytes

MISSING = "–"


@dataclass(frozen=True, slots=True)
class Metric:
    key: str  # in the JSON output
    title: str
    unit: str  # "bytes", "count" or "seconds"


METRICS = (
    Metric("size", "size", "bytes"),
    Metric("wasted_bytes", "wasted bytes", "bytes"),
    Metric("heavy_copies", "copies of heavy packages", "count"),
    Metric("cold_build", "cold build", "seconds"),
    Metric("code_change_rebuild", "code-change rebuild", "seconds"),
)


@dataclass(frozen=True, slots=True)
class Change:
    """One figure before and after (None when that file does not have it)."""

    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def relative(self) -> float | None:
        """The change as a fraction of the before figure (-0.25 is 25 % less); None when it has no meaning."""
        delta = self.delta
        if delta is None or self.before is None:
            return None
        if self.before == 0:
            return 0.0 if delta == 0 else None
        return delta / self.before


@dataclass(frozen=True, slots=True)
class Row:
    """An image (or the total) and its figures, by metric key."""

    name: str
    status: str  # "both", "added", "removed", or "total"
    figures: dict[str, Change]


@dataclass(frozen=True, slots=True)
class Comparison:
    before: str  # the files, as given
    after: str
    total: Row
    images: tuple[Row, ...]

    @property
    def rows(self) -> tuple[Row, ...]:
        return (self.total, *self.images)


# -- figures as text ---------------------------------------------------------------------------


def format_figure(value: float | None, unit: str, signed: bool = False) -> str:
    """``171.0 MB``, ``12.3s``, ``3``; with ``signed`` a leading ``+`` or ``-``; ``–`` for None."""
    if value is None:
        return MISSING
    sign = ("-" if value < 0 else "+") if signed and value != 0 else ("-" if value < 0 else "")
    size = abs(value)
    if unit == "bytes":
        text = format_bytes(int(size))
    elif unit == "seconds":
        text = f"{size:.1f}s"
    else:
        text = f"{int(size)}"
    return sign + text


def format_change(change: Change, unit: str) -> str:
    """``-32.2 MB (-7.8%)``; ``–`` when a side is missing."""
    delta = change.delta
    if delta is None:
        return MISSING
    relative = change.relative
    percent = MISSING if relative is None else f"{relative * 100:+.1f}%".replace("+0.0%", "0.0%")
    return f"{format_figure(delta, unit, signed=True)} ({percent})"


def _label(row: Row) -> str:
    return row.name if row.status in ("both", "total") else f"{row.name} ({row.status})"


def _cells(comparison: Comparison) -> list[list[str]]:
    """Rows of [image, figure, before, after, change]; the image named on its first row only."""
    table = []
    for row in comparison.rows:
        for index, metric in enumerate(METRICS):
            change = row.figures[metric.key]
            table.append(
                [
                    _label(row) if index == 0 else "",
                    metric.title,
                    format_figure(change.before, metric.unit),
                    format_figure(change.after, metric.unit),
                    format_change(change, metric.unit),
                ]
            )
    return table


_HEADER = ["image", "figure", "before", "after", "change"]


# -- renderers ---------------------------------------------------------------------------------


def render_text(comparison: Comparison, stream: TextIO) -> None:
    stream.write(f"before: {comparison.before}\nafter:  {comparison.after}\n\n")
    table = [_HEADER, *_cells(comparison)]
    widths = [max(len(row[i]) for row in table) for i in range(len(_HEADER))]
    right = {2, 3, 4}
    for number, row in enumerate(table):
        if number > 1 and row[0]:
            stream.write("\n")  # a blank line between images
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        stream.write("  ".join(cells).rstrip() + "\n")


def render_markdown(comparison: Comparison, stream: TextIO) -> None:
    stream.write(f"Before: `{comparison.before}` — after: `{comparison.after}`\n\n")
    stream.write("| " + " | ".join(_HEADER) + " |\n")
    stream.write("|---|---|---:|---:|---:|\n")
    for row in _cells(comparison):
        image = f"**{_markdown(row[0])}**" if row[0] else ""
        stream.write("| " + " | ".join([image, *(_markdown(c) for c in row[1:])]) + " |\n")


def _markdown(text: str) -> str:
    return text.replace("|", "\\|")


def comparison_data(comparison: Comparison) -> dict[str, Any]:
    """The JSON document of docs/compare-json.md."""
    return {
        "tool": "dockopt",
        "kind": "comparison",
        "version": __version__,
        "before": comparison.before,
        "after": comparison.after,
        "metrics": [{"key": m.key, "title": m.title, "unit": m.unit} for m in METRICS],
        "total": _figures_data(comparison.total.figures),
        "images": [
            {"name": row.name, "status": row.status, "figures": _figures_data(row.figures)}
            for row in comparison.images
        ],
    }


def _figures_data(figures: dict[str, Change]) -> dict[str, Any]:
    return {
        key: {"before": change.before, "after": change.after, "change": change.delta, "relative": change.relative}
        for key, change in figures.items()
    }


def render_json(comparison: Comparison, stream: TextIO) -> None:
    json.dump(comparison_data(comparison), stream, indent=2)
    stream.write("\n")


FORMATS: dict[str, Any] = {"text": render_text, "markdown": render_markdown, "json": render_json}
