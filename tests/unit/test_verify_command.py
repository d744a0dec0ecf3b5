"""The `dockopt verify` command line: exit codes (0, 1 under --fail-under, 2 for bad input), the output
file, and the JSON report against the schema documented in docs/verify-json.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.results import empty_results

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DOC = ROOT / "docs" / "verify-json.md"


def _schema() -> dict[str, object]:
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    (block,) = re.findall(r"```json verify-schema\n(.*?)```", text, re.DOTALL)
    return json.loads(block)  # type: ignore[no-any-return]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(
        "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCMD python -m app\n",
        encoding="utf-8",
    )
    (root / "requirements.txt").write_text("six==1.16.0\n", encoding="utf-8")
    return root


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["verify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_fail_under(repo: Path) -> None:
    code, out, _ = _run(str(repo), "--format", "json")
    assert code == 0
    score = json.loads(out)["score"]
    assert 0 < score < 100
    assert _run(str(repo), "--fail-under", str(score + 1))[0] == 1
    assert _run(str(repo), "--fail-under", str(score - 1))[0] == 0
    code, out, _ = _run(str(repo), "--format", "json", "--fail-under", "100")
    assert code == 1
    assert json.loads(out)["passed"] is False
    code, out, _ = _run(str(repo), "--fail-under", "100")
    assert code == 1
    assert "the score is **below** `--fail-under 100`" in out


def test_bad_policy_names_file_and_line(repo: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[[requirements]]\nid = "x"\ntitle = "X"\ncategory = "C"\ncheck = { kind = "nope" }\n')
    code, _, err = _run(str(repo), "--policy", str(policy))
    assert code == 2
    assert f"{policy}:5: requirement 'x': check kind 'nope'" in err


def test_bad_results_file(repo: Path, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text('{"tool": "dockopt", "kind": "results",\n "schema": }\n')
    code, _, err = _run(str(repo), "--results", str(results))
    assert code == 2
    assert f"{results}:2: not a JSON results file" in err


def test_usage_errors(repo: Path) -> None:
    code, _, err = _run(str(repo), "--format", "pdf")
    assert code == 2
    assert "'pdf' is not one of 'md', 'html', 'json'" in err
    assert _run(str(repo / "missing"))[0] == 2
    assert _run(str(repo), "--fail-under", "120")[0] == 2


def test_json_matches_the_documented_schema(repo: Path, tmp_path: Path) -> None:
    results = empty_results()
    results["images"] = {"repo": {"measure": {"size": 180_000_000, "wasted_bytes": 0}, "rebuild": {"code_change": 2.5}}}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    for extra in ([], ["--results", str(path)]):
        code, out, _ = _run(str(repo), "--format", "json", *extra)
        assert code == 0
        document = json.loads(out)
        jsonschema.validate(document, _schema())
    measured = {r["id"]: r for r in document["requirements"]}["image-size"]
    assert measured["status"] == "compliant"
    assert measured["evidence"][0]["measurement"]["source"] == f"{path}: images.repo.measure.size"
    assert document["images"][0]["size_bytes"] == 180_000_000


def test_example_json_matches_the_schema() -> None:
    code, out, _ = _run(str(ROOT / "examples" / "ml-pipeline"), "--format", "json")
    assert code == 0
    jsonschema.validate(json.loads(out), _schema())


def test_output_file_with_relative_links(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "verify.md"
    code, stdout, err = _run(str(repo), "-o", str(out))
    assert code == 0
    assert stdout == ""
    assert f"report written to {out}" in err
    text = out.read_text(encoding="utf-8")
    assert text.startswith(f"# Docker verification report: {repo}")
    assert "](../repo/Dockerfile#L4)" in text  # DO501 at the CMD, linked from the report's folder
    assert not list(out.parent.glob(".*.dockopt-tmp"))
