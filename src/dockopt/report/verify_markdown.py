"""``verify --format md``: the compliance report as Markdown a reviewer can put in a pull request.

Sections: the overall score, scores by category, the requirement table, the gap analysis, what is
present but not effective, every requirement's evidence and actions, and the images. Each piece of
evidence links to its file and line (``path#L12``), relative to where the report is written
(``link_base`` is the repository root as seen from there).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from typing import TextIO

from dockopt.verify.report import Action, Evidence, FixAvailability, RequirementResult, Status, VerifyReport

STATUS_LABEL = {
    Status.COMPLIANT: "✅ compliant",
    Status.PARTLY: "🟡 partly",
    Status.NOT: "❌ not met",
    Status.NOT_APPLICABLE: "➖ not applicable",
}
FIX_LABEL = {FixAvailability.SAFE: "safe fix", FixAvailability.UNSAFE: "unsafe fix", FixAvailability.NONE: "by hand"}


def render(report: VerifyReport, stream: TextIO, link_base: str = ".") -> None:
    writer = _Writer(stream, link_base)
    writer.document(report)


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _cell(text: str) -> str:
    """Text for a table cell: no line breaks, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _anchor(requirement_id: str) -> str:
    return f"req-{requirement_id}"


class _Writer:
    def __init__(self, stream: TextIO, link_base: str) -> None:
        self.out = stream
        self.base = link_base.rstrip("/") or "."

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def link(self, evidence: Evidence) -> str:
        if evidence.file is None:
            return ""
        target = posixpath.normpath(posixpath.join(self.base, evidence.file))
        if evidence.line:
            target += f"#L{evidence.line}"
        return f"[{evidence.where}]({target})"

    def evidence(self, evidence: Evidence) -> str:
        mark = "✅" if evidence.ok else "❌"
        parts = [mark]
        where = self.link(evidence)
        if where:
            parts.append(where)
        if evidence.rule:
            parts.append(f"{evidence.rule}:")
        parts.append(" ".join(evidence.message.split()))
        if evidence.measurement is not None:
            parts.append(f"(source: {evidence.measurement.source})")
        return " ".join(parts)

    # -- sections ---------------------------------------------------------------------------------
    def document(self, report: VerifyReport) -> None:
        self.line(f"# Docker verification report: {report.root}")
        self.line()
        self.summary(report)
        self.categories(report)
        self.requirements(report)
        self.gaps(report)
        self.presence(report)
        self.details(report)
        self.images(report)
        self.problems(report)

    def summary(self, report: VerifyReport) -> None:
        counts = {status: sum(1 for r in report.requirements if r.status is status) for status in Status}
        self.line(f"**Overall score: {_score(report.score)} / 100**")
        self.line()
        policy = report.policy_name + (
            " (built-in)" if report.policy_source == "built-in" else f" (`{report.policy_source}`)"
        )
        self.line(f"- Policy: {policy}, {len(report.requirements)} requirements: "
                  f"{counts[Status.COMPLIANT]} compliant, {counts[Status.PARTLY]} partly met, "
                  f"{counts[Status.NOT]} not met, {counts[Status.NOT_APPLICABLE]} not applicable")  # fmt: skip
        measured = f"`{report.results_source}`" if report.results_source else "none (measurement limits not applicable)"
        self.line(f"- Measurements: {measured}")
        if report.fail_under is not None:
            verdict = "**below**" if report.failed else "at or above"
            self.line(f"- Threshold: the score is {verdict} `--fail-under {report.fail_under:g}`")
        self.line(
            "- Scoring: compliant = 1, partly = the fraction of units that comply (0.5 when not countable), "
            "not met = 0, not applicable = left out; weighted by each requirement's weight"
        )
        self.line(f"- dockopt {report.version}")
        self.line()

    def categories(self, report: VerifyReport) -> None:
        self.line("## Scores by category")
        self.line()
        self.line("| Category | Score | Compliant | Partly | Not met | Not applicable |")
        self.line("|---|---:|---:|---:|---:|---:|")
        for category in report.categories:
            c = category.counts
            self.line(
                f"| {_cell(category.name)} | {_score(category.score)} | {c[Status.COMPLIANT.value]} | "
                f"{c[Status.PARTLY.value]} | {c[Status.NOT.value]} | {c[Status.NOT_APPLICABLE.value]} |"
            )
        self.line()

    def requirements(self, report: VerifyReport) -> None:
        self.line("## Requirements")
        self.line()
        self.line("| Status | Requirement | Category | Weight | Compliant | Score |")
        self.line("|---|---|---|---:|---|---:|")
        for result in report.requirements:
            requirement = result.requirement
            score = "" if result.score is None else f"{100 * result.score:.0f}%"
            title = f"[{_cell(requirement.title)}](#{_anchor(requirement.id)})"
            self.line(
                f"| {STATUS_LABEL[result.status]} | {title} | {_cell(requirement.category)} | "
                f"{requirement.weight:g} | {_cell(result.fraction)} | {score} |"
            )
        self.line()

    def gaps(self, report: VerifyReport) -> None:
        self.line("## Gap analysis")
        self.line()
        if not report.gaps:
            self.line("Every applicable requirement is met.")
            self.line()
            return
        self.line("Ordered by weight × gap. *Points* are what the gap costs the overall score.")
        self.line()
        self.line("| # | Requirement | Weight | Gap | Points | What to do |")
        self.line("|---:|---|---:|---:|---:|---|")
        for number, gap in enumerate(report.gaps, 1):
            title = f"[{_cell(gap.title)}](#{_anchor(gap.requirement)})"
            todo = "; ".join(_short_action(a) for a in gap.actions) or "see the evidence"
            self.line(
                f"| {number} | {title} | {gap.weight:g} | {100 * gap.gap:.0f}% | {gap.points:.1f} | {_cell(todo)} |"
            )
        self.line()

    def presence(self, report: VerifyReport) -> None:
        self.line("## Present but not effective")
        self.line()
        if not report.presence_gaps:
            self.line("No optimization was found that is written but does nothing.")
            self.line()
            return
        self.line(
            "What a search of the text would count as done, and why it does not work. "
            "✅ is what is there, ❌ why it has no effect."
        )
        self.line()
        for gap in report.presence_gaps:
            self.line(f"- **{gap.title}** ([{gap.requirement}](#{_anchor(gap.requirement)}))")
            for evidence in (*gap.present, *gap.ineffective):
                self.line(f"  - {self.evidence(evidence)}")
        self.line()

    def details(self, report: VerifyReport) -> None:
        self.line("## Requirement details")
        self.line()
        for result in report.requirements:
            self.requirement(result)

    def requirement(self, result: RequirementResult) -> None:
        requirement = result.requirement
        self.line(f'<a id="{_anchor(requirement.id)}"></a>')
        self.line()
        self.line(f"### {requirement.title}")
        self.line()
        fraction = f" ({result.fraction})" if result.fraction else ""
        self.line(
            f"`{requirement.id}` · {requirement.category} · weight {requirement.weight:g} · "
            f"**{STATUS_LABEL[result.status]}**{fraction}: {result.summary}"
        )
        self.line()
        if requirement.description:
            self.line(f"> {requirement.description}")
            self.line()
        failing = [e for e in result.evidence if not e.ok]
        passing = [e for e in result.evidence if e.ok]
        if failing:
            self.line("Evidence of the gap:")
            self.line()
            self.bullets(self.evidence(e) for e in failing)
        if passing:
            if failing:
                self.line(f"<details><summary>Evidence of compliance ({len(passing)})</summary>")
                self.line()
                self.bullets(self.evidence(e) for e in passing)
                self.line("</details>")
                self.line()
            else:
                self.line("Evidence:")
                self.line()
                self.bullets(self.evidence(e) for e in passing)
        if result.actions:
            self.line("What to do:")
            self.line()
            self.bullets(_long_action(a) for a in result.actions)

    def bullets(self, items: Iterable[str]) -> None:
        for item in items:
            self.line(f"- {item}")
        self.line()

    def images(self, report: VerifyReport) -> None:
        if not report.images:
            return
        self.line("## Images")
        self.line()
        measured = any(
            i.size_bytes is not None or i.code_change_rebuild_s is not None or i.build_s is not None
            for i in report.images
        )
        header = "| # | Image | Dockerfile | Built on | Heavy packages |"
        rule = "|---:|---|---|---|---|"
        if measured:
            header += " Size | Wasted | Build | Code-change rebuild |"
            rule += "---:|---:|---:|---:|"
        self.line(header)
        self.line(rule)
        for number, image in enumerate(report.images, 1):
            bases = ", ".join([*image.parents, *(f"`{b}`" for b in image.external_bases)])
            dockerfile = self.link(Evidence("", True, image.dockerfile))
            row = (
                f"| {number} | {image.name} | {dockerfile} | {_cell(bases)} | "
                f"{_cell(', '.join(image.heavy_packages))} |"
            )
            if measured:
                row += (
                    f" {_megabytes(image.size_bytes)} | {_megabytes(image.wasted_bytes)} | "
                    f"{_seconds(image.build_s)} | {_seconds(image.code_change_rebuild_s)} |"
                )
            self.line(row)
        self.line()
        self.line("Images are listed in build order (bases first).")
        self.line()

    def problems(self, report: VerifyReport) -> None:
        if not report.problems:
            return
        self.line("## Files that could not be read")
        self.line()
        self.bullets(self.evidence(e) for e in report.problems)


def _megabytes(value: int | None) -> str:
    return "" if value is None else f"{value / 1_000_000:,.1f} MB"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f} s"


def _short_action(action: Action) -> str:
    if action.rule is None:
        return action.advice
    if action.fixable == 0:
        how = "by hand"
    elif action.fixable < action.findings:
        how = f"{FIX_LABEL[action.fix]} for {action.fixable}"
    else:
        how = FIX_LABEL[action.fix]
    return f"{action.rule} ×{action.findings} ({how})"


def _long_action(action: Action) -> str:
    if action.rule is None:
        return action.advice
    plural = "s" if action.findings != 1 else ""
    return f"**{action.rule}** {action.rule_name}, {action.findings} finding{plural}: {action.advice}"
