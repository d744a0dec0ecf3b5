"""The check kinds a policy requirement can use, and the rules each one needs run.

Each kind is a function ``(facts, check) -> Outcome``. Rule-based checks read the findings of
dockopt's rules (the effect); fact-based checks also look at the constructs themselves (the
presence), so that an optimization which is written but does nothing is listed as such. What
every kind counts and when it is met: docs/policy.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dockopt.findings import Finding
from dockopt.rules.registry import all_rules
from dockopt.verify import kinds_dockerfile, kinds_measured, kinds_repository
from dockopt.verify.facts import RepositoryFacts
from dockopt.verify.outcome import Outcome, actions_for, counted, finding_evidence
from dockopt.verify.policy import Check, Policy
from dockopt.verify.report import Evidence

CheckFunction = Callable[[RepositoryFacts, Check], Outcome]


@dataclass(frozen=True)
class Kind:
    run: CheckFunction
    rules: frozenset[str]  # the rules whose findings it reads


def check_rules(facts: RepositoryFacts, check: Check) -> Outcome:
    """``rules``: no finding of the listed rules, counted per Dockerfile, per final image, or for the repository."""
    rules = expand_rules(check.get("rules"))
    known = all_rules()
    names = ", ".join(s.upper() if s.upper() in known else f"{s.upper()}*" for s in check.get("rules"))
    per = check.get("per")
    findings = facts.findings_of(rules)
    if per == "repository":
        outcome = counted(0 if findings else 1, 1, "repository", "")
        outcome.summary = f"{len(findings)} finding(s) of {names}" if findings else f"no finding of {names}"
    elif per == "final-image":
        outcome = _per_final_image(facts, rules, names)
        in_images = {path for image in facts.final_images() for path in _image_files(facts, image.name)}
        findings = [f for f in findings if f.file in in_images]
    else:
        outcome = _per_dockerfile(facts, names, findings)
    outcome.evidence[:0] = list(dict.fromkeys(finding_evidence(f) for f in findings))
    outcome.actions = actions_for(findings)
    return outcome


def _image_files(facts: RepositoryFacts, name: str) -> list[str]:
    """The Dockerfile of an image and those of the in-repository bases it is built on."""
    return [facts.graph.images[n].dockerfile for n in (name, *facts.ancestors(name))]


def _per_dockerfile(facts: RepositoryFacts, names: str, findings: list[Finding]) -> Outcome:
    files = list(facts.dockerfiles)
    files += sorted({f.file for f in findings} - set(files))  # findings in requirement files, scripts, ignore files
    failing = {f.file for f in findings}
    unit = "Dockerfiles" if len(files) == len(facts.dockerfiles) else "files"
    outcome = counted(len(files) - len(failing), len(files), unit, f"without findings of {names}")
    outcome.evidence = [Evidence(f"no finding of {names}", ok=True, file=path) for path in files if path not in failing]
    return outcome


def _per_final_image(facts: RepositoryFacts, rules: frozenset[str], names: str) -> Outcome:
    images = facts.final_images()
    passed = 0
    evidence = []
    for image in images:
        found = [f for path in _image_files(facts, image.name) for f in facts.findings_of(rules, path)]
        if not found:
            passed += 1
            evidence.append(Evidence(f"{image.name}: no finding of {names}", ok=True, file=image.dockerfile))
    outcome = counted(passed, len(images), "final images", f"without findings of {names}")
    outcome.evidence = evidence
    return outcome


def expand_rules(selectors: tuple[str, ...]) -> frozenset[str]:
    """Rule ids and prefixes -> rule ids."""
    known = all_rules()
    return frozenset(rule for selector in selectors for rule in known if rule.startswith(selector.strip().upper()))


KINDS: Mapping[str, Kind] = {
    "rules": Kind(check_rules, frozenset()),
    "base_digests": Kind(kinds_repository.base_digests, frozenset({"DO301"})),
    "base_hierarchy": Kind(kinds_repository.base_hierarchy, frozenset()),
    "heavy_packages_once": Kind(kinds_repository.heavy_packages_once, frozenset({"DO603"})),
    "versions_file": Kind(kinds_repository.versions_file, frozenset({"DO605"})),
    "build_order": Kind(kinds_repository.build_order, frozenset({"DO604"})),
    "dockerignore": Kind(kinds_repository.dockerignore, frozenset({"DO601", "DO602"})),
    "cache_mounts": Kind(kinds_dockerfile.cache_mounts, frozenset({"DO102", "DO103"})),
    "layer_order": Kind(kinds_dockerfile.layer_order, frozenset({"DO101", "DO106"})),
    "requirement_files": Kind(kinds_dockerfile.requirement_files, frozenset()),
    "system_packages": Kind(kinds_dockerfile.system_packages, frozenset({"DO202", "DO203", "DO205"})),
    "non_root": Kind(kinds_dockerfile.non_root, frozenset({"DO401"})),
    "healthcheck": Kind(kinds_dockerfile.healthcheck, frozenset()),
    "max_size_mb": Kind(kinds_measured.max_size_mb, frozenset()),
    "max_wasted_mb": Kind(kinds_measured.max_wasted_mb, frozenset()),
    "max_code_change_rebuild_s": Kind(kinds_measured.max_code_change_rebuild_s, frozenset()),
    "max_build_s": Kind(kinds_measured.max_build_s, frozenset()),
}


def rules_needed(policy: Policy) -> frozenset[str]:
    """The rules to run so that every requirement of ``policy`` can be judged."""
    needed: set[str] = set()
    for item in policy.requirements:
        needed |= KINDS[item.check.kind].rules
        if item.check.kind == "rules":
            needed |= expand_rules(item.check.get("rules"))
    return frozenset(needed)


def run_check(facts: RepositoryFacts, check: Check) -> Outcome:
    return KINDS[check.kind].run(facts, check)
