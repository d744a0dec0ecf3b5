"""Applying fixes: non-overlapping edits, deterministic order, repeated passes to a fixpoint.

A fix is a group of edits that must be applied together. When two fixes overlap, the one that
starts first (then the lower rule id) wins and the other is retried on the next pass, after the
file has been re-linted. A pass that would make the file unparsable is discarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dockopt.config import Config
from dockopt.findings import Edit, Finding, Fix, FixSafety
from dockopt.lint import active_rules, lint_tree
from dockopt.repo.inheritance import Inherited
from dockopt.syntax import parse

MAX_PASSES = 10


@dataclass
class FixOutcome:
    original: str
    text: str
    applied: list[Finding] = field(default_factory=list)  # findings whose fix was applied, in order
    remaining: list[Finding] = field(default_factory=list)  # findings left after the last pass
    passes: int = 0
    inherited: Inherited | None = None  # what the repository said about the file's bases

    @property
    def changed(self) -> bool:
        return self.text != self.original


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end or b.start == b.end:
        point, other = (a, b) if a.start == a.end else (b, a)
        if other.start == other.end:
            return point.start == other.start  # two insertions at one point: their order is ambiguous
        return other.start < point.start < other.end
    return a.start < b.end and b.start < a.end


def apply_edits(text: str, fixes: Sequence[Fix]) -> tuple[str, list[int]]:
    """Apply the fixes that do not overlap an earlier one; returns (text, indexes applied)."""
    accepted: list[Edit] = []
    chosen: list[int] = []
    order = sorted(range(len(fixes)), key=lambda i: min((e.start for e in fixes[i].edits), default=0))
    for index in order:
        edits = fixes[index].edits
        if not edits or any(_overlaps(e, other) for e in edits for other in accepted):
            continue
        accepted.extend(edits)
        chosen.append(index)
    for edit in sorted(accepted, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text, sorted(chosen)


def fix_text(
    text: str,
    config: Config,
    unsafe: bool = False,
    display_path: str = "Dockerfile",
    inherited: Inherited | None = None,
) -> FixOutcome:
    """Fix ``text`` until no applicable fix remains (at most MAX_PASSES passes)."""
    allowed = {FixSafety.SAFE, FixSafety.UNSAFE} if unsafe else {FixSafety.SAFE}
    rules = active_rules(config)
    outcome = FixOutcome(original=text, text=text, inherited=inherited)
    baseline_errors = len(parse(text).errors)
    for _ in range(MAX_PASSES):
        result = lint_tree(parse(outcome.text, display_path), display_path, config, rules, inherited)
        outcome.remaining = result.findings
        candidates = [f for f in result.findings if f.fix is not None and f.fix.safety in allowed]
        candidates.sort(key=lambda f: (f.location.line, f.location.column, f.rule))
        if not candidates:
            break
        new_text, chosen = apply_edits(outcome.text, [f.fix for f in candidates if f.fix is not None])
        if new_text == outcome.text or len(parse(new_text).errors) > baseline_errors:
            break
        outcome.applied.extend(candidates[i] for i in chosen)
        outcome.text = new_text
        outcome.passes += 1
    else:
        final = lint_tree(parse(outcome.text, display_path), display_path, config, rules, inherited)
        outcome.remaining = final.findings
    return outcome
