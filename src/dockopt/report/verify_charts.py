"""The charts of ``verify --format html``, as inline SVG: the score gauge, category scores with their
requirements by status, and grouped bars for measured figures (sizes, build and rebuild times).

Colours come from CSS classes the report's stylesheet defines (``score-good``, ``status-partly``…),
so the charts follow the page's palette and print the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from dockopt.report.svg import MONO_CHAR_WIDTH, element, fitted_text, rect, svg, text
from dockopt.verify.report import CategoryScore, Status

STATUS_ORDER = (Status.COMPLIANT, Status.PARTLY, Status.NOT, Status.NOT_APPLICABLE)
STATUS_NAME = {
    Status.COMPLIANT: "compliant",
    Status.PARTLY: "partly met",
    Status.NOT: "not met",
    Status.NOT_APPLICABLE: "not applicable",
}


def score_band(score: float | None) -> str:
    """The CSS class of a score: good from 80, fair from 50, poor below, none when not applicable."""
    if score is None:
        return "score-none"
    if score >= 80:
        return "score-good"
    return "score-fair" if score >= 50 else "score-poor"


def score_text(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}"


def score_gauge(score: float | None) -> Markup:
    """A ring filled to the overall score, the number in its middle."""
    size, radius, stroke = 170.0, 68.0, 16.0
    center = size / 2
    circumference = 2 * math.pi * radius
    filled = 0.0 if score is None else circumference * max(0.0, min(score, 100.0)) / 100
    ring = {"cx": center, "cy": center, "r": radius, "stroke_width": stroke, "fill": "none"}
    parts = [
        element("circle", {**ring, "class": "gauge-track"}),
        element(
            "circle",
            {
                **ring,
                "class": f"gauge-value {score_band(score)}",
                "stroke_dasharray": f"{filled:.1f} {circumference:.1f}",
                "transform": f"rotate(-90 {center:g} {center:g})",
            },
        ),
        text(center, center + 8, score_text(score), "gauge-score", "middle"),
        text(center, center + 30, "/ 100", "gauge-scale", "middle"),
    ]
    return svg(size, size, f"Overall score: {score_text(score)} out of 100", parts, "gauge")


def _status_segments(counts: dict[str, int], x: float, y: float, width: float, height: float) -> list[Markup]:
    total = sum(counts.get(status.value, 0) for status in STATUS_ORDER)
    parts: list[Markup] = []
    if total == 0:
        return [rect(x, y, width, height, "status-empty")]
    offset = x
    for status in STATUS_ORDER:
        count = counts.get(status.value, 0)
        if count == 0:
            continue
        segment = width * count / total
        label = f"{count} {STATUS_NAME[status]}"
        parts.append(element("g", {}, rect(offset, y, segment, height, f"status-{status.value}"),
                             element("title", {}, label)))  # fmt: skip
        if segment >= 16:
            parts.append(text(offset + segment / 2, y + height / 2 + 4, str(count), "segment-count", "middle"))
        offset += segment
    return parts


def status_counts(counts: dict[str, int], label: str) -> Markup:
    """One stacked bar: how many requirements are compliant, partly met, not met, not applicable."""
    width, height = 240.0, 18.0
    return svg(width, height, label, _status_segments(counts, 0, 0, width, height), "status-bar")


def category_chart(categories: Sequence[CategoryScore]) -> Markup:
    """A row per category: its score as a bar on a 0-100 scale, and its requirements by status."""
    label_width, bar_x, bar_width = 170.0, 180.0, 300.0
    counts_x, counts_width = 540.0, 240.0
    row, top = 30.0, 26.0
    width = counts_x + counts_width + 4
    height = top + row * len(categories) + 4
    parts = [
        text(bar_x, 14, "Score (0-100)", "axis-label"),
        text(counts_x, 14, "Requirements by status", "axis-label"),
    ]
    for tick in (50, 80):  # the bands' edges
        x = bar_x + bar_width * tick / 100
        parts.append(element("line", {"x1": x, "x2": x, "y1": top - 4, "y2": height - 2, "class": "tick"}))
    for index, category in enumerate(categories):
        y = top + index * row
        parts.append(fitted_text(0, y + 15, category.name, label_width, "row-label"))
        parts.append(rect(bar_x, y + 3, bar_width, 16, "bar-track"))
        if category.score is not None:
            parts.append(rect(bar_x, y + 3, bar_width * category.score / 100, 16, f"bar {score_band(category.score)}"))
        parts.append(text(bar_x + bar_width + 8, y + 16, score_text(category.score), "bar-value"))
        parts.append(element("g", {}, *_status_segments(dict(category.counts), counts_x, y + 3, counts_width, 16)))
    return svg(width, height, "Score and requirements by status, per category", parts)


@dataclass(frozen=True)
class Series:
    """One kind of figure in a grouped bar chart ("size", "wasted"), with its CSS class and legend name."""

    name: str
    css_class: str


@dataclass(frozen=True)
class Figure:
    """One bar: the value, the text shown next to it, and the policy's limit for it, if one applies."""

    value: float
    label: str
    limit: float | None = None
    limit_label: str = ""

    @property
    def over(self) -> bool:
        return self.limit is not None and self.value > self.limit


@dataclass(frozen=True)
class Group:
    label: str  # the image
    figures: tuple[Figure | None, ...]  # one per series; None when not measured


def grouped_bars(title: str, series: Sequence[Series], groups: Sequence[Group]) -> Markup:
    """Horizontal bars, one group per image and one bar per series, on one scale; limits as dashed ticks.

    A bar over its limit gets the class ``over``. Limits beyond the largest figure are named next to
    the bar instead of stretching the scale until the bars are slivers.
    """
    label_width, bar_x, bar_width = 190.0, 200.0, 400.0
    bar, gap, group_gap, top = 14.0, 3.0, 12.0, 8.0
    figures = [f for g in groups for f in g.figures if f is not None]
    scale = max((f.value for f in figures), default=0.0) * 1.05 or 1.0
    group_height = len(series) * (bar + gap) - gap
    longest_note = max((len(_note(f)) for f in figures), default=0)
    width = bar_x + bar_width + 12 + longest_note * MONO_CHAR_WIDTH
    height = top + len(groups) * (group_height + group_gap)
    parts: list[Markup] = []
    for index, group in enumerate(groups):
        y0 = top + index * (group_height + group_gap)
        parts.append(fitted_text(0, y0 + group_height / 2 + 4, group.label, label_width, "row-label"))
        for position, (kind, figure) in enumerate(zip(series, group.figures, strict=True)):
            y = y0 + position * (bar + gap)
            if figure is None:
                parts.append(text(bar_x + 4, y + bar - 3, f"{kind.name}: not measured", "bar-missing"))
                continue
            length = bar_width * figure.value / scale
            css = f"bar {kind.css_class}" + (" over" if figure.over else "")
            parts.append(element("g", {}, rect(bar_x, y, length, bar, css),
                                 element("title", {}, f"{group.label} {kind.name}: {figure.label}")))  # fmt: skip
            end = bar_x + length  # the note starts after the bar and its limit tick, whichever is further
            if figure.limit is not None and figure.limit <= scale:
                x = bar_x + bar_width * figure.limit / scale
                tick = {"x1": x, "x2": x, "y1": y - 1, "y2": y + bar + 1, "class": "limit"}
                parts.append(element("line", tick, element("title", {}, f"limit: {figure.limit_label}")))
                end = max(end, x)
            css = "bar-value over" if figure.over else "bar-value"
            parts.append(text(end + 6, y + bar - 3, _note(figure), css))
    return svg(width, height, title, parts)


def _note(figure: Figure) -> str:
    """The text beside a bar: the figure, and where it stands against its limit."""
    if figure.limit is None:
        return figure.label
    return f"{figure.label} ({'over' if figure.over else 'within'} {figure.limit_label})"
