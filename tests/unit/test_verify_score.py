"""Scoring arithmetic: requirement scores, weighted category and overall scores, gaps by weight x gap."""

from __future__ import annotations

import pytest

from dockopt.verify import score
from dockopt.verify.report import Requirement, RequirementResult, Status


def _result(rid: str, category: str, weight: float, status: Status, passed: int | None = None, total: int | None = None) -> RequirementResult:
    requirement = Requirement(rid, rid.title(), category, weight, "", "rules")
    return RequirementResult(
        requirement, status, "", passed, total, "units", score.requirement_score(status, passed, total)
    )


def test_status_of_counts() -> None:
    assert score.status_of(3, 3) is Status.COMPLIANT
    assert score.status_of(0, 3) is Status.NOT
    assert score.status_of(2, 3) is Status.PARTLY
    assert score.status_of(0, 0) is Status.NOT_APPLICABLE


def test_requirement_scores() -> None:
    assert score.requirement_score(Status.COMPLIANT) == 1.0
    assert score.requirement_score(Status.NOT) == 0.0
    assert score.requirement_score(Status.PARTLY, 7, 10) == pytest.approx(0.7)
    assert score.requirement_score(Status.PARTLY) == 0.5  # not countable
    assert score.requirement_score(Status.NOT_APPLICABLE) is None


def test_weighted_overall_and_categories() -> None:
    results = [
        _result("a", "Cache", 3, Status.COMPLIANT, 4, 4),  # 3 x 1.0
        _result("b", "Cache", 1, Status.PARTLY, 1, 4),  # 1 x 0.25
        _result("c", "Size", 2, Status.NOT, 0, 2),  # 2 x 0
        _result("d", "Size", 5, Status.NOT_APPLICABLE),  # left out
        _result("e", "Runtime", 2, Status.PARTLY),  # 2 x 0.5
    ]
    overall, weight = score.weighted(results)
    assert weight == 8
    assert overall == pytest.approx(100 * (3 + 0.25 + 0 + 1) / 8)  # 53.125
    by_name = {c.name: c for c in score.categories(results)}
    assert list(by_name) == ["Cache", "Size", "Runtime"]  # policy order
    assert by_name["Cache"].score == pytest.approx(100 * 3.25 / 4)
    assert by_name["Size"].score == 0.0
    assert by_name["Size"].weight == 2  # the n/a requirement's weight does not count
    assert by_name["Size"].counts == {"compliant": 0, "partly": 0, "not": 1, "not-applicable": 1}
    assert by_name["Runtime"].score == 50.0


def test_nothing_applicable_has_no_score() -> None:
    results = [_result("a", "X", 1, Status.NOT_APPLICABLE)]
    assert score.weighted(results) == (None, 0.0)
    assert score.categories(results)[0].score is None
    assert score.gaps(results) == []


def test_gaps_by_weight_times_gap_then_policy_order() -> None:
    results = [
        _result("small", "X", 1, Status.NOT, 0, 1),  # priority 1.0
        _result("met", "X", 3, Status.COMPLIANT, 1, 1),  # no gap
        _result("heavy", "X", 4, Status.PARTLY, 1, 2),  # priority 2.0
        _result("tie", "X", 2, Status.PARTLY, 1, 2),  # priority 1.0, after "small" (policy order)
        _result("na", "X", 9, Status.NOT_APPLICABLE),
    ]
    gaps = score.gaps(results)
    assert [g.requirement for g in gaps] == ["heavy", "small", "tie"]
    heavy = gaps[0]
    assert heavy.gap == 0.5
    assert heavy.priority == 2.0
    assert heavy.points == pytest.approx(100 * 2.0 / 10)  # total applicable weight 1 + 3 + 4 + 2
    overall, _ = score.weighted(results)
    assert overall == pytest.approx(100 - sum(g.points for g in gaps))  # the points add up to what is lost
