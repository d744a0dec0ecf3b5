"""``verify --format html``: the compliance report as one self-contained HTML page.

Everything is in the file: the stylesheet inline, the charts as inline SVG drawn here
(``verify_charts``, ``verify_hierarchy``), no script, no font or image to fetch, so it opens
offline and can be attached to a pull request or a CI run. The page is rendered from
``templates/verify.html.j2`` with autoescaping: every text from the repository is escaped.
Evidence links to its file and line relative to where the report is written (``link_base``, as
in the Markdown report). The output depends only on the report: no timestamp, stable order.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from dockopt.report.verify_charts import (
    STATUS_NAME,
    Figure,
    Group,
    Series,
    category_chart,
    grouped_bars,
    score_band,
    score_gauge,
    score_text,
    status_counts,
)
from dockopt.report.verify_hierarchy import hierarchy_diagram
from dockopt.verify.report import (
    Action,
    CategoryScore,
    Evidence,
    FixAvailability,
    ImageFacts,
    RequirementResult,
    Status,
    VerifyReport,
)

MB = 1_000_000
_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def render(report: VerifyReport, stream: TextIO, link_base: str = ".") -> None:
    template = _environment(link_base.rstrip("/") or ".").get_template("verify.html.j2")
    stream.write(template.render(page=_page(report)))


def _environment(link_base: str) -> Environment:
    environment = Environment(
        loader=PackageLoader("dockopt.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["code"] = code_spans
    environment.filters["href"] = lambda evidence: evidence_href(evidence, link_base)
    environment.filters["file_href"] = lambda path: file_href(path, link_base)
    environment.globals.update(
        status_name=STATUS_NAME, score_text=score_text, score_band=score_band, fix_command=fix_command
    )
    return environment


def code_spans(value: str) -> Markup:
    """Escaped text whose `backquoted` parts become ``<code>``, as in the Markdown report."""
    escaped = str(escape(" ".join(value.split())))
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))


def file_href(path: str, link_base: str) -> str:
    return posixpath.normpath(posixpath.join(link_base, path))


def evidence_href(evidence: Evidence, link_base: str) -> str:
    """``../repo/docker/asr/Dockerfile#L13``: the file relative to the report, the line as a fragment."""
    if evidence.file is None:
        return ""
    target = file_href(evidence.file, link_base)
    return f"{target}#L{evidence.line}" if evidence.line else target


def fix_command(action: Action) -> str:
    """The command that fixes an action's findings, or "" when they are fixed by hand."""
    if action.rule is None or action.fixable == 0 or action.fix is FixAvailability.NONE:
        return ""
    unsafe = " --unsafe-fixes" if action.fix is FixAvailability.UNSAFE else ""
    return f"dockopt fix --select {action.rule}{unsafe} --write"


@dataclass(frozen=True)
class CategorySection:
    category: CategoryScore
    counts_chart: Markup
    requirements: list[RequirementResult]


@dataclass(frozen=True)
class Page:
    """What the template shows, computed here so the template only lays it out."""

    report: VerifyReport
    status_totals: dict[Status, int]
    gauge: Markup
    category_chart: Markup
    sections: list[CategorySection]
    hierarchy: Markup | None
    size_chart: Markup | None
    time_chart: Markup | None
    measured: bool


def _page(report: VerifyReport) -> Page:
    status_totals = {status: sum(1 for r in report.requirements if r.status is status) for status in Status}
    by_id = {r.requirement.id: r for r in report.requirements}
    sections = [
        CategorySection(
            category,
            status_counts(dict(category.counts), f"{category.name}: requirements by status"),
            [by_id[i] for i in category.requirements if i in by_id],
        )
        for category in report.categories
    ]
    limits = _limits(report.requirements)
    sizes = {i.name: _size(i.size_bytes) for i in report.images if i.size_bytes is not None}
    return Page(
        report=report,
        status_totals=status_totals,
        gauge=score_gauge(report.score),
        category_chart=category_chart(report.categories),
        sections=sections,
        hierarchy=hierarchy_diagram(report.images, sizes) if report.images else None,
        size_chart=_size_chart(report.images, limits),
        time_chart=_time_chart(report.images, limits),
        measured=any(_measured(i) for i in report.images),
    )


def _measured(image: ImageFacts) -> bool:
    figures = (image.size_bytes, image.wasted_bytes, image.build_s, image.code_change_rebuild_s)
    return any(f is not None for f in figures)


def _limits(results: Iterable[RequirementResult]) -> dict[tuple[str, str], float]:
    """(image, metric) -> the strictest limit a requirement of the policy held that figure to."""
    limits: dict[tuple[str, str], float] = {}
    for result in results:
        for evidence in result.evidence:
            m = evidence.measurement
            if m is not None:
                key = (m.image, m.metric)
                limits[key] = min(limits.get(key, m.limit), m.limit)
    return limits


def _size(value: float) -> str:
    return f"{value / 1e9:,.2f} GB" if value >= 1e9 else f"{value / MB:,.1f} MB"


def _figure(value: float | None, label: Callable[[float], str], limit: float | None, unit: str) -> Figure | None:
    if value is None:
        return None
    return Figure(value, label(value), limit, "" if limit is None else f"limit {limit:,g} {unit}")


def _size_chart(images: list[ImageFacts], limits: dict[tuple[str, str], float]) -> Markup | None:
    measured = [i for i in images if i.size_bytes is not None or i.wasted_bytes is not None]
    if not measured:
        return None
    groups = [
        Group(
            image.name,
            (
                _figure(_megabytes(image.size_bytes), lambda mb: f"{mb:,.1f} MB",
                        limits.get((image.name, "size_mb")), "MB"),
                _figure(_megabytes(image.wasted_bytes), lambda mb: f"{mb:,.1f} MB wasted",
                        limits.get((image.name, "wasted_mb")), "MB"),
            ),
        )
        for image in measured
    ]  # fmt: skip
    series = (Series("size", "series-size"), Series("wasted", "series-wasted"))
    return grouped_bars("Image size and wasted bytes per image, in MB", series, groups)


def _megabytes(value: int | None) -> float | None:
    return None if value is None else value / MB


def _time_chart(images: list[ImageFacts], limits: dict[tuple[str, str], float]) -> Markup | None:
    measured = [i for i in images if i.build_s is not None or i.code_change_rebuild_s is not None]
    if not measured:
        return None
    groups = [
        Group(
            image.name,
            (
                _figure(image.build_s, lambda s: f"{s:,.1f} s build", limits.get((image.name, "build_s")), "s"),
                _figure(image.code_change_rebuild_s, lambda s: f"{s:,.1f} s rebuild",
                        limits.get((image.name, "code_change_rebuild_s")), "s"),
            ),
        )
        for image in measured
    ]  # fmt: skip
    series = (Series("build", "series-build"), Series("code-change rebuild", "series-rebuild"))
    return grouped_bars("Build time and code-change rebuild time per image, in seconds", series, groups)
