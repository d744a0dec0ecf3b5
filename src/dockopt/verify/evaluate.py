"""Policy + repository (+ results) -> VerifyReport: run every requirement's check, then score."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from dockopt import __version__
from dockopt.verify import score
from dockopt.verify.checks import rules_needed, run_check
from dockopt.verify.facts import RepositoryFacts, gather
from dockopt.verify.kinds_measured import build_seconds, code_change_seconds, size_bytes, wasted_bytes
from dockopt.verify.outcome import finding_evidence
from dockopt.verify.policy import Policy
from dockopt.verify.report import Evidence, ImageFacts, PresenceGap, RequirementResult, VerifyReport


def evaluate(
    root: Path,
    display_root: str,
    policy: Policy,
    results: dict[str, Any] | None = None,
    results_source: str | None = None,
    fail_under: float | None = None,
) -> VerifyReport:
    facts = gather(root, rules_needed(policy), results, results_source)
    requirements: list[RequirementResult] = []
    presence: list[PresenceGap] = []
    for item in policy.requirements:
        outcome = run_check(facts, item.check)
        status = outcome.final_status()
        requirements.append(
            RequirementResult(
                requirement=item.requirement,
                status=status,
                summary=outcome.summary,
                passed=outcome.passed,
                total=outcome.total,
                unit=outcome.unit,
                score=score.requirement_score(status, outcome.passed, outcome.total),
                evidence=outcome.evidence,
                actions=outcome.actions,
            )
        )
        presence += [replace(gap, requirement=item.id) for gap in outcome.presence]
    overall, _ = score.weighted(requirements)
    return VerifyReport(
        root=display_root,
        policy_name=policy.name,
        policy_source=policy.source,
        results_source=results_source,
        version=__version__,
        requirements=requirements,
        categories=score.categories(requirements),
        score=overall,
        gaps=score.gaps(requirements),
        presence_gaps=presence,
        images=image_facts(facts),
        build_order=facts.graph.build_order,
        problems=problems(facts),
        fail_under=fail_under,
    )


def problems(facts: RepositoryFacts) -> list[Evidence]:
    """Files that could not be read or parsed: Dockerfiles (DO900), compose, bake and script files."""
    found = [finding_evidence(f) for f in facts.parse_errors]
    seen = {(e.file, e.line) for e in found}
    found += [
        Evidence(p.message, False, p.file, p.line or None) for p in facts.graph.errors if (p.file, p.line) not in seen
    ]
    return found


def image_facts(facts: RepositoryFacts) -> list[ImageFacts]:
    """The images in build order, with the figures the results file has for each (by image name)."""
    measured = facts.results_by_image
    found = []
    for image in facts.images():
        sections = measured.get(image.name, {})
        size, wasted = size_bytes(sections), wasted_bytes(sections)
        found.append(
            ImageFacts(
                name=image.name,
                dockerfile=image.dockerfile,
                parents=image.parents,
                external_bases=tuple(dict.fromkeys(b.resolved for b in image.bases if b.image is None)),
                children=tuple(facts.graph.children(image.name)),
                heavy_packages=tuple(dict.fromkeys(p.spec for p in image.heavy_packages)),
                size_bytes=int(size) if size is not None else None,
                wasted_bytes=int(wasted) if wasted is not None else None,
                code_change_rebuild_s=code_change_seconds(sections),
                build_s=build_seconds(sections),
            )
        )
    return found
