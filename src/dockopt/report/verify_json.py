"""``verify --format json``: the compliance report as one JSON document (schema: docs/verify-json.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, TextIO

from dockopt.verify.report import Action, Evidence, ImageFacts, RequirementResult, Status, VerifyReport

SCHEMA = 1


def render(report: VerifyReport, stream: TextIO) -> None:
    json.dump(as_document(report), stream, indent=2)
    stream.write("\n")


def _score(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None


def as_document(report: VerifyReport) -> dict[str, Any]:
    return {
        "tool": "dockopt",
        "kind": "verify",
        "schema": SCHEMA,
        "version": report.version,
        "root": report.root,
        "policy": {"name": report.policy_name, "source": report.policy_source},
        "results": report.results_source,
        "score": _score(report.score),
        "fail_under": report.fail_under,
        "passed": None if report.fail_under is None else not report.failed,
        "summary": {status.value: sum(1 for r in report.requirements if r.status is status) for status in Status},
        "categories": [
            {
                "name": c.name,
                "score": _score(c.score),
                "weight": c.weight,
                "requirements": list(c.requirements),
                "counts": c.counts,
            }
            for c in report.categories
        ],
        "requirements": [_requirement(r) for r in report.requirements],
        "gaps": [
            {
                "requirement": g.requirement,
                "title": g.title,
                "category": g.category,
                "weight": g.weight,
                "status": g.status.value,
                "gap": round(g.gap, 4),
                "priority": round(g.priority, 4),
                "points": round(g.points, 2),
            }
            for g in report.gaps
        ],
        "presence_gaps": [
            {
                "requirement": p.requirement,
                "title": p.title,
                "present": [_evidence(e) for e in p.present],
                "ineffective": [_evidence(e) for e in p.ineffective],
            }
            for p in report.presence_gaps
        ],
        "images": [_image(i) for i in report.images],
        "build_order": list(report.build_order),
        "problems": [_evidence(e) for e in report.problems],
    }


def _requirement(result: RequirementResult) -> dict[str, Any]:
    requirement = result.requirement
    return {
        "id": requirement.id,
        "title": requirement.title,
        "category": requirement.category,
        "weight": requirement.weight,
        "description": requirement.description,
        "kind": requirement.kind,
        "status": result.status.value,
        "summary": result.summary,
        "passed": result.passed,
        "total": result.total,
        "unit": result.unit,
        "fraction": result.fraction or None,
        "score": _score(100.0 * result.score) if result.score is not None else None,
        "evidence": [_evidence(e) for e in result.evidence],
        "actions": [_action(a) for a in result.actions],
    }


def _evidence(evidence: Evidence) -> dict[str, Any]:
    return {
        "message": evidence.message,
        "ok": evidence.ok,
        "file": evidence.file,
        "line": evidence.line,
        "rule": evidence.rule,
        "measurement": asdict(evidence.measurement) if evidence.measurement is not None else None,
    }


def _action(action: Action) -> dict[str, Any]:
    return {
        "advice": action.advice,
        "rule": action.rule,
        "rule_name": action.rule_name,
        "findings": action.findings,
        "fix": action.fix.value,
        "fixable": action.fixable,
    }


def _image(image: ImageFacts) -> dict[str, Any]:
    return {
        "name": image.name,
        "dockerfile": image.dockerfile,
        "parents": list(image.parents),
        "external_bases": list(image.external_bases),
        "children": list(image.children),
        "heavy_packages": list(image.heavy_packages),
        "size_bytes": image.size_bytes,
        "wasted_bytes": image.wasted_bytes,
        "code_change_rebuild_s": image.code_change_rebuild_s,
        "build_s": image.build_s,
    }
