"""Every rule's fixture file: failing, passing and near-miss cases, run through the real engine."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dockopt.config import Config
from dockopt.lint import lint_text
from dockopt.rules.registry import all_rules

FIXTURES = Path(__file__).parent.parent / "fixtures" / "rules"


def _cases() -> list[tuple[str, str, str, list[int]]]:
    cases = []
    for path in sorted(FIXTURES.glob("DO*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for case in data["case"]:
            cases.append((path.stem, case["name"], case["dockerfile"], case["expect"]))
    return cases


@pytest.mark.parametrize(("rule_id", "name", "dockerfile", "expected_lines"), _cases(), ids=lambda v: str(v)[:40])
def test_fixture_case(rule_id: str, name: str, dockerfile: str, expected_lines: list[int]) -> None:
    result = lint_text(dockerfile, Config(select=(rule_id,)))
    lines = sorted(f.location.line for f in result.findings if f.rule == rule_id)
    assert lines == sorted(expected_lines), f"{rule_id} / {name}: {[f.message for f in result.findings]}"
    for finding in result.findings:
        assert finding.message, "a finding needs a message"
        assert finding.location.column >= 1


def test_every_rule_has_failing_and_passing_cases() -> None:
    for rule_id in all_rules():
        path = FIXTURES / f"{rule_id}.toml"
        assert path.is_file(), f"{rule_id} has no fixture file {path}"
        cases = tomllib.loads(path.read_text(encoding="utf-8"))["case"]
        assert any(c["expect"] for c in cases), f"{rule_id}: no failing case"
        assert any(not c["expect"] for c in cases), f"{rule_id}: no passing case"


def test_every_fixture_names_a_rule() -> None:
    rules = set(all_rules())
    for path in FIXTURES.glob("*.toml"):
        assert path.stem in rules, f"fixture {path.name} names no rule"
