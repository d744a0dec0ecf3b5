"""Check kinds that hold measurements of a results file (``dockopt build``/``measure --results``) to limits.

Not applicable when no results file is given, or when it has no figure of the kind for the
images the check names. MB are 1,000,000 bytes, as ``docker images`` counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockopt.verify.facts import RepositoryFacts
from dockopt.verify.outcome import Outcome, counted, manual, not_applicable
from dockopt.verify.policy import Check
from dockopt.verify.report import Evidence, Measurement

MB = 1_000_000

Reader = Callable[[dict[str, Any]], float | None]


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _section(sections: dict[str, Any], name: str) -> dict[str, Any]:
    value = sections.get(name)
    return value if isinstance(value, dict) else {}


def size_bytes(sections: dict[str, Any]) -> float | None:
    return _number(_section(sections, "measure").get("size"))


def wasted_bytes(sections: dict[str, Any]) -> float | None:
    return _number(_section(sections, "measure").get("wasted_bytes"))


def code_change_seconds(sections: dict[str, Any]) -> float | None:
    value = _section(sections, "rebuild").get("code_change")
    if isinstance(value, dict):  # {"seconds": 12.3, ...}
        value = value.get("seconds")
    return _number(value)


def build_seconds(sections: dict[str, Any]) -> float | None:
    build = _section(sections, "build")
    return _number(build.get("seconds")) if build.get("ok", True) is True else None  # a failed build has no time


def _limit_check(
    facts: RepositoryFacts, check: Check, metric: str, key: str, reader: Reader, scale: float, unit: str, what: str
) -> Outcome:
    if facts.results is None:
        return not_applicable("no results file given (--results): nothing measured", "images")
    limit = float(check.get("limit"))
    patterns = tuple(check.get("images"))
    total = passed = 0
    evidence: list[Evidence] = []
    for name, sections in facts.measured(patterns):
        raw = reader(sections)
        if raw is None:
            continue
        total += 1
        value = raw / scale
        ok = value <= limit
        passed += ok
        section, _, field = key.partition(".")
        source = f"{facts.results_source}: {facts.results_key(name, section)}.{field}"
        measurement = Measurement(name, metric, round(value, 3), unit, limit, source)
        relation = "within" if ok else "over"
        evidence.append(
            Evidence(
                f"{name}: {value:,.1f} {unit}, {relation} the limit of {limit:,g} {unit}", ok, measurement=measurement
            )
        )
    if total == 0:
        return not_applicable(f"the results file has no {what} for images matching {', '.join(patterns)}", "images")
    outcome = counted(passed, total, "images", f"are within {limit:,g} {unit} ({what})")
    outcome.evidence = [e for e in evidence if not e.ok] + [e for e in evidence if e.ok]
    if passed < total:
        outcome.actions = [manual(f"bring the {what} of the images over the limit below {limit:,g} {unit}")]
    return outcome


def max_size_mb(facts: RepositoryFacts, check: Check) -> Outcome:
    return _limit_check(facts, check, "size_mb", "measure.size", size_bytes, MB, "MB", "image size")


def max_wasted_mb(facts: RepositoryFacts, check: Check) -> Outcome:
    return _limit_check(facts, check, "wasted_mb", "measure.wasted_bytes", wasted_bytes, MB, "MB", "wasted bytes")


def max_code_change_rebuild_s(facts: RepositoryFacts, check: Check) -> Outcome:
    return _limit_check(
        facts, check, "code_change_rebuild_s", "rebuild.code_change", code_change_seconds, 1.0, "s",
        "rebuild time after a code change",
    )  # fmt: skip


def max_build_s(facts: RepositoryFacts, check: Check) -> Outcome:
    return _limit_check(facts, check, "build_s", "build.seconds", build_seconds, 1.0, "s", "build time")
