"""What a check returns, and the helpers every check kind shares: evidence from findings, actions per rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dockopt.findings import Finding, FixSafety
from dockopt.rules.registry import all_rules
from dockopt.verify.report import Action, Evidence, FixAvailability, PresenceGap, Status
from dockopt.verify.score import status_of


@dataclass
class Outcome:
    """A check's verdict before it becomes a ``RequirementResult``.

    Countable checks set ``passed``/``total`` and the status follows from them; the others set
    ``status`` (``passed``/``total`` stay None).
    """

    summary: str
    passed: int | None = None
    total: int | None = None
    unit: str = ""
    status: Status | None = None
    evidence: list[Evidence] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    presence: list[PresenceGap] = field(default_factory=list)

    def final_status(self) -> Status:
        if self.status is not None:
            return self.status
        return status_of(self.passed or 0, self.total or 0)


def not_applicable(summary: str, unit: str = "") -> Outcome:
    return Outcome(summary, status=Status.NOT_APPLICABLE, unit=unit)


def counted(passed: int, total: int, unit: str, what: str) -> Outcome:
    """An outcome whose summary says how many units comply: "3 of 7 final images run as a non-root user"."""
    if total == 0:
        return not_applicable(f"no {unit} to check", unit)
    return Outcome(f"{passed} of {total} {unit} {what}", passed=passed, total=total, unit=unit)


def finding_evidence(finding: Finding) -> Evidence:
    return Evidence(finding.message, ok=False, file=finding.file, line=finding.line, rule=finding.rule)


def actions_for(findings: Iterable[Finding]) -> list[Action]:
    """One action per rule among ``findings``: how many, and whether ``dockopt fix`` fixes them."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    actions = []
    rules = all_rules()
    for rule_id in sorted(by_rule):
        items = by_rule[rule_id]
        cls = rules.get(rule_id)
        availability = FixAvailability(cls.fix.value) if cls is not None else FixAvailability.NONE
        fixable = sum(1 for f in items if f.fix_safety is not FixSafety.NONE)
        actions.append(
            Action(
                advice=_advice(rule_id, availability, fixable, len(items)),
                rule=rule_id,
                rule_name=items[0].name,
                findings=len(items),
                fix=availability,
                fixable=fixable,
            )
        )
    return actions


def _advice(rule_id: str, availability: FixAvailability, fixable: int, count: int) -> str:
    manual = f"fix by hand (`dockopt explain {rule_id}` shows how)"
    if availability is FixAvailability.NONE or fixable == 0:
        return manual
    flags = "--write" if availability is FixAvailability.SAFE else "--unsafe-fixes --write"
    command = f"`dockopt fix --select {rule_id} {flags}`"
    review = "" if availability is FixAvailability.SAFE else " (an unsafe fix: review the diff)"
    if fixable < count:
        return f"{command} fixes {fixable} of {count}{review}; the rest: {manual}"
    return f"{command}{review}"


def manual(advice: str) -> Action:
    """An action no rule covers (create a file, add an instruction)."""
    return Action(advice=advice)
