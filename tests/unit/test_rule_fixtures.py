"""Every rule's fixture file: failing, passing and near-miss cases, run through the real engine.

A fixture file holds ``[[case]]`` tables (one Dockerfile, linted alone: ``expect`` lists the reported
lines) and ``[[repo_case]]`` tables for the repository rules: ``files`` maps paths to contents (a
string, or ``{ size = N }`` for N bytes of filler), the directory is linted as `dockopt lint .` lints
it, and ``expect`` lists the reported ``path:line``.

A ``[[case]]`` may carry ``fixed``: the exact text `dockopt fix --unsafe-fixes` produces when only that
rule is selected (the fixes are applied to a fixpoint, as the command applies them).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from dockopt.commands.lint import collect, repository_findings
from dockopt.config import Config
from dockopt.fix import fix_text
from dockopt.lint import lint_files, lint_text
from dockopt.rules.registry import all_rules

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _cases() -> list[tuple[str, str, str, list[int]]]:
    cases = []
    for path in sorted(FIXTURES.glob("DO*.toml")):
        for case in _load(path).get("case", []):
            cases.append((path.stem, case["name"], case["dockerfile"], case["expect"]))
    return cases


def _fixed_cases() -> list[tuple[str, str, str, str]]:
    cases = []
    for path in sorted(FIXTURES.glob("DO*.toml")):
        for case in _load(path).get("case", []):
            if "fixed" in case:
                cases.append((path.stem, case["name"], case["dockerfile"], case["fixed"]))
    return cases


def _repo_cases() -> list[tuple[str, str, dict[str, Any], list[str]]]:
    cases = []
    for path in sorted(FIXTURES.glob("DO*.toml")):
        for case in _load(path).get("repo_case", []):
            cases.append((path.stem, case["name"], case["files"], case["expect"]))
    return cases


@pytest.mark.parametrize(("rule_id", "name", "dockerfile", "expected_lines"), _cases(), ids=lambda v: str(v)[:40])
def test_fixture_case(rule_id: str, name: str, dockerfile: str, expected_lines: list[int]) -> None:
    result = lint_text(dockerfile, Config(select=(rule_id,)))
    lines = sorted(f.location.line for f in result.findings if f.rule == rule_id)
    assert lines == sorted(expected_lines), f"{rule_id} / {name}: {[f.message for f in result.findings]}"
    for finding in result.findings:
        assert finding.message, "a finding needs a message"
        assert finding.location.column >= 1


@pytest.mark.parametrize(("rule_id", "name", "dockerfile", "fixed"), _fixed_cases(), ids=lambda v: str(v)[:40])
def test_fixture_fixed(rule_id: str, name: str, dockerfile: str, fixed: str) -> None:
    outcome = fix_text(dockerfile, Config(select=(rule_id,)), unsafe=True)
    assert outcome.text == fixed, f"{rule_id} / {name}: fixed text differs"
    assert outcome.text == fix_text(outcome.text, Config(select=(rule_id,)), unsafe=True).text, "fix is not idempotent"


def write_repository(root: Path, files: dict[str, Any]) -> None:
    """Write a fixture repository: text files, or ``{ size = N }`` for N bytes."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            path.write_bytes(b"\0" * int(content["size"]))
        else:
            path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize(("rule_id", "name", "files", "expected"), _repo_cases(), ids=lambda v: str(v)[:40])
def test_repository_fixture_case(
    rule_id: str, name: str, files: dict[str, Any], expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_repository(tmp_path, files)
    monkeypatch.chdir(tmp_path)
    config = Config(select=(rule_id,))
    found, inherited = collect((".",), config)
    results = lint_files(found, config, jobs=1, inherited=inherited)
    findings = [f for f in repository_findings((".",), found, results, config) if f.rule == rule_id]
    reported = sorted(f"{f.file}:{f.location.line}" for f in findings)
    assert reported == sorted(expected), f"{rule_id} / {name}: {[f.message for f in findings]}"
    for finding in findings:
        assert finding.message, "a finding needs a message"
        assert 1 <= finding.location.column <= finding.location.end_column or finding.location.end_line > (
            finding.location.line
        )


def test_every_rule_has_failing_and_passing_cases() -> None:
    for rule_id, cls in all_rules().items():
        path = FIXTURES / f"{rule_id}.toml"
        assert path.is_file(), f"{rule_id} has no fixture file {path}"
        data = _load(path)
        kind = "repo_case" if cls.scope == "repository" else "case"
        cases = data.get(kind, [])
        assert cases, f"{rule_id}: a {cls.scope} rule needs [[{kind}]] tables"
        assert any(c["expect"] for c in cases), f"{rule_id}: no failing case"
        assert any(not c["expect"] for c in cases), f"{rule_id}: no passing case"


def test_every_fixture_names_a_rule() -> None:
    rules = set(all_rules())
    for path in FIXTURES.glob("*.toml"):
        assert path.stem in rules, f"fixture {path.name} names no rule"
