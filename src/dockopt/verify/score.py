"""Compliance scores: per requirement, per category, overall, and the gaps ordered by what they cost.

A requirement scores 1 when compliant, 0 when not, and when partly met the fraction of its units
that comply (7/10 -> 0.7), or 0.5 when it is not countable. A requirement that does not apply
(no service image for a HEALTHCHECK requirement, no results file for a size limit) is left out.
A category's score and the overall score are weighted means of the applicable requirements'
scores, times 100: sum(weight x score) / sum(weight). The overall score weighs every requirement
directly, not the category means, so a category with many requirements counts for more.

A gap is a requirement whose score is below 1; gaps are ordered by weight x (1 - score), largest
first. Its ``points`` are what it costs the overall score: weight x (1 - score) / total weight x 100.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockopt.verify.report import CategoryScore, Gap, RequirementResult, Status

PARTLY_UNCOUNTABLE = 0.5


def status_of(passed: int, total: int) -> Status:
    """The status of a countable requirement: all units comply, none, or some (no units: not applicable)."""
    if total == 0:
        return Status.NOT_APPLICABLE
    if passed == total:
        return Status.COMPLIANT
    return Status.NOT if passed == 0 else Status.PARTLY


def requirement_score(status: Status, passed: int | None = None, total: int | None = None) -> float | None:
    if status is Status.NOT_APPLICABLE:
        return None
    if status is Status.COMPLIANT:
        return 1.0
    if status is Status.NOT:
        return 0.0
    if passed is not None and total:
        return passed / total
    return PARTLY_UNCOUNTABLE


def weighted(results: Sequence[RequirementResult]) -> tuple[float | None, float]:
    """The weighted mean score (0-100) of the applicable results, and their total weight."""
    applicable = [r for r in results if r.score is not None]
    weight = sum(r.requirement.weight for r in applicable)
    if not applicable or weight <= 0:
        return None, 0.0
    total = sum(r.requirement.weight * (r.score or 0.0) for r in applicable)
    return 100.0 * total / weight, weight


def categories(results: Sequence[RequirementResult]) -> list[CategoryScore]:
    """One score per category, in the order categories first appear in the policy."""
    by_name: dict[str, list[RequirementResult]] = {}
    for result in results:
        by_name.setdefault(result.requirement.category, []).append(result)
    scores = []
    for name, members in by_name.items():
        score, weight = weighted(members)
        counts = {status.value: 0 for status in Status}
        for member in members:
            counts[member.status.value] += 1
        scores.append(CategoryScore(name, score, weight, tuple(m.requirement.id for m in members), counts))
    return scores


def gaps(results: Sequence[RequirementResult]) -> list[Gap]:
    """The requirements not fully met, largest weight x gap first (then policy order)."""
    _, total_weight = weighted(results)
    found = []
    for position, result in enumerate(results):
        if result.score is None or result.score >= 1.0:
            continue
        gap = 1.0 - result.score
        requirement = result.requirement
        priority = requirement.weight * gap
        points = 100.0 * priority / total_weight if total_weight else 0.0
        found.append(
            (
                -priority,
                position,
                Gap(
                    requirement.id,
                    requirement.title,
                    requirement.category,
                    requirement.weight,
                    gap,
                    priority,
                    points,
                    result.status,
                    tuple(result.actions),
                ),
            )
        )
    return [gap for _, _, gap in sorted(found, key=lambda item: (item[0], item[1]))]
