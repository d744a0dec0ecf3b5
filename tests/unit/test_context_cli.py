"""`dockopt context`: text and JSON output, the documented JSON shape, exit codes."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from click.testing import CliRunner

from dockopt.cli import main
from dockopt.commands.context import ContextOptions, run_context

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ml-pipeline"
ASR = EXAMPLE / "docker" / "stages" / "asr" / "Dockerfile"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "context-json.md"


def run(directory: Path, dockerfile: Path | None = None, fmt: str = "text") -> tuple[int, str]:
    out = io.StringIO()
    code = run_context(ContextOptions(str(directory), str(dockerfile) if dockerfile else None, fmt), out)
    return code, out.getvalue()


def test_text_report_of_the_example() -> None:
    code, out = run(EXAMPLE, ASR)
    assert code == 0
    assert f"Ignore file:   {EXAMPLE / '.dockerignore'} (7 patterns)" in out
    assert re.search(r"^Sent: \d+ files, [\d.]+ kB, \d+ directories\.", out, re.MULTILINE)
    assert "Largest entries" in out
    assert "that no COPY/ADD of the Dockerfile can use" in out
    assert "  sources: requirements/asr.txt (line 10), src/pipeline/__init__.py (line 15)" in out
    assert f"{EXAMPLE / '.dockerignore'}:4 `__pycache__/`: 1 deeper match sent" in out
    assert "      copied into the image by line 17\n      fix: **/__pycache__" in out
    assert "copied by docker/stages/export/Dockerfile:13: no line suggested" in out
    # the lines to paste come last, each under its reason
    tail = out[out.index("Suggested lines for") :].splitlines()
    assert tail[1:] == [
        "# `__pycache__/` (line 4) only matches at the context root (1 file, 1.2 kB)",
        "**/__pycache__",
        "# `*.pyc` (line 5) only matches at the context root (1 file, 1.2 kB)",
        "**/*.pyc",
    ]
    assert not any(line != line.rstrip() for line in out.splitlines())


def test_json_follows_the_documented_schema() -> None:
    code, out = run(EXAMPLE, ASR, "json")
    assert code == 0
    data = json.loads(out)
    assert (data["tool"], data["context"], data["dockerfile"]) == ("dockopt", str(EXAMPLE), str(ASR))
    assert data["ignore_file"] == {"path": str(EXAMPLE / ".dockerignore"), "patterns": 7}
    assert set(data["sent"]) == {"files", "bytes", "directories"}
    assert data["pattern_gaps"][0] == {
        "pattern": "__pycache__/",
        "line": 4,
        "fix": "**/__pycache__",
        "examples": ["src/pipeline/asr/__pycache__"],
        "matches": 1,
        "files": 1,
        "bytes": data["pattern_gaps"][0]["bytes"],
        "suggested": True,
        "copied_by": [17],
    }
    assert [s["line"] for s in data["suggestions"]] == ["**/__pycache__", "**/*.pyc"]
    assert data["sources"][0] == {"line": 10, "instruction": "COPY", "path": "requirements/asr.txt"}
    # every key the output has is documented
    documented = set(re.findall(r"`([a-z_]+)(?:\[\])?`", DOCS.read_text()))
    keys: set[str] = set(data) | set(data["sent"]) | set(data["excluded"]) | set(data["ignore_file"])
    keys |= set(data["unused"])
    for section in ("largest", "sources", "pattern_gaps", "heavy", "suggestions"):
        for item in data[section]:
            keys |= set(item)
    for item in data["unused"]["entries"]:
        keys |= set(item)
    assert keys <= documented, keys - documented


def test_json_secrets_and_exit_code_1(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\nCOPY . /app\n")
    (tmp_path / ".dockerignore").write_text(".env\n")
    (tmp_path / ".env").write_text("A=1\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / ".env").write_text("B=2\n")
    code, out = run(tmp_path, fmt="json")
    assert code == 1
    secrets = json.loads(out)["secrets"]
    assert secrets == [
        {
            "path": ".env",
            "kind": "env-file",
            "reason": "environment file",
            "found_by": "name",
            "bytes": 4,
            "sent": False,
            "excluded_by": {"line": 1, "pattern": ".env"},
            "copied_by": [],
        },
        {
            "path": "conf/.env",
            "kind": "env-file",
            "reason": "environment file",
            "found_by": "name",
            "bytes": 4,
            "sent": True,
            "excluded_by": None,
            "copied_by": [2],
        },
    ]
    code, text = run(tmp_path)
    assert code == 1
    assert "Secrets: 2 found, 1 sent" in text
    assert "  SENT     conf/.env  environment file, 4 B; copied by line 2" in text
    assert "  excluded .env  environment file, 4 B; by line 1 `.env`" in text


def test_nothing_to_report(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    code, out = run(tmp_path)
    assert code == 0
    assert "Dockerfile:    none" in out
    assert "Ignore file:   none (everything is sent)" in out
    assert "Secrets: none found" in out
    assert out.rstrip().endswith("Suggested lines: none")
    data = json.loads(run(tmp_path, fmt="json")[1])
    assert (data["dockerfile"], data["ignore_file"], data["unused"]) == (None, None, None)


def test_cli_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["context", str(EXAMPLE), "--dockerfile", str(ASR), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tool"] == "dockopt"
    result = runner.invoke(main, ["context", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such directory" in result.output
    result = runner.invoke(main, ["context", str(tmp_path), "--dockerfile", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "--dockerfile" in result.output
    (tmp_path / ".dockerignore").write_text("[abc\n")
    result = runner.invoke(main, ["context", str(tmp_path)])
    assert result.exit_code == 2
    assert ".dockerignore:1: syntax error in pattern" in result.output
    result = runner.invoke(main, ["context", str(tmp_path), "--format", "xml"])
    assert result.exit_code == 2
