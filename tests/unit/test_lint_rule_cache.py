"""The per-process rule cache of dockopt.lint never hands one configuration's rules to another."""

from __future__ import annotations

from pathlib import Path

from dockopt.config import Config
from dockopt.lint import lint_files


def test_a_new_configuration_gets_its_own_rules(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nCMD python -m app\nMAINTAINER someone\n", encoding="utf-8")
    wrong = []
    for number in range(200):
        rule = ("DO501", "DO510")[number % 2]
        config = Config(select=(rule,))
        (result,) = lint_files([(dockerfile, "Dockerfile")], config, jobs=1)
        if {finding.rule for finding in result.findings} != {rule}:
            wrong.append(number)
        del config, result  # CPython then often gives the next configuration the same id()
    assert wrong == []
