"""The lint engine: configuration, selection, suppressions, discovery, exit codes, parallel runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.config import Config, find_config, load_config
from dockopt.errors import ConfigError
from dockopt.findings import Severity
from dockopt.lint import lint_files, lint_text
from dockopt.repo.discovery import find_dockerfiles
from dockopt.rules.registry import all_rules

KNOWN = frozenset(all_rules())
# The engine tests exercise selection, suppression and exit codes with a few runtime rules (DO503, which
# reports nearly every Python image, left out to keep the expected lists short).
DO5 = Config(select=("DO5",), ignore=("DO503",))
BAD = 'FROM python:3.11-slim\nMAINTAINER me\nCMD python app.py\n'


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def rules_of(text: str, config: Config = DO5) -> list[str]:
    return [f.rule for f in lint_text(text, config).findings]


def test_default_selection_and_prefixes() -> None:
    assert rules_of(BAD) == ["DO510", "DO501"]
    assert {"DO501", "DO510", "DO401"} <= set(rules_of(BAD, Config()))
    assert rules_of(BAD, Config(select=("DO5",), ignore=("DO510", "DO503"))) == ["DO501"]
    # the more specific selector wins
    assert rules_of(BAD, Config(select=("DO510",), ignore=("DO5",))) == ["DO510"]
    everything_but = rules_of(BAD, Config(select=("ALL",), ignore=("DO501",)))
    assert "DO510" in everything_but
    assert "DO501" not in everything_but


def test_severity_override() -> None:
    findings = lint_text(BAD, Config(select=("DO5",), severity={"DO510": Severity.ERROR})).findings
    assert {f.rule: f.severity for f in findings}["DO510"] is Severity.ERROR


def test_inline_ignore_above_instruction_and_file_level() -> None:
    text = "FROM python:3.11-slim\n# dockopt: ignore=DO501\nCMD python app.py\nMAINTAINER me\n"
    assert rules_of(text) == ["DO510"]
    text = "# dockopt: ignore-file=DO510\nFROM python:3.11-slim\nMAINTAINER me\nCMD python app.py\n"
    assert rules_of(text) == ["DO501"]
    text = "# dockopt: ignore-file\nFROM python:3.11-slim\nMAINTAINER me\n"
    assert rules_of(text) == []


def test_inline_ignore_inside_continuation_covers_next_line_only() -> None:
    text = (
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update \\\n"
        "# dockopt: ignore=DO509\n"
        "  && apt install -y curl \\\n"
        "  && apt install -y git\n"
    )
    findings = lint_text(text, DO5).findings
    assert [(f.rule, f.location.line) for f in findings] == [("DO509", 5)]


def test_ignore_needs_the_comment_block_directly_above() -> None:
    text = "FROM python:3.11-slim\n# dockopt: ignore=DO501\n\nCMD python app.py\n"
    assert rules_of(text) == ["DO501"]


def test_pyproject_config_is_found_and_applied(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.dockopt]\nselect = ["DO5"]\nignore = ["DO510", "DO503"]\nfail-on = "error"\n'
        '[tool.dockopt.per-file-ignores]\n"legacy/**" = ["DO501"]\n'
    )
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "Dockerfile").write_text(BAD)
    (tmp_path / "Dockerfile").write_text(BAD)
    found = find_config(tmp_path / "legacy")
    assert found == (tmp_path / "pyproject.toml").resolve()
    config = load_config(found, KNOWN)
    results = lint_files([(tmp_path / "Dockerfile", "Dockerfile"), (tmp_path / "legacy" / "Dockerfile", str(tmp_path / "legacy" / "Dockerfile"))], config)
    assert [f.rule for f in results[0].findings] == ["DO501"]
    assert results[1].findings == []
    code, _ = run_cli("lint", str(tmp_path))
    assert code == 0  # DO501 is a warning, below fail-on = "error"


def test_dockopt_toml_and_bad_config(tmp_path: Path) -> None:
    (tmp_path / ".dockopt.toml").write_text('select = ["DO999"]\n')
    (tmp_path / "Dockerfile").write_text(BAD)
    with pytest.raises(ConfigError, match="DO999"):
        load_config(tmp_path / ".dockopt.toml", KNOWN)
    code, output = run_cli("lint", str(tmp_path))
    assert code == 2
    assert ".dockopt.toml" in output and "DO999" in output
    (tmp_path / ".dockopt.toml").write_text('colour = "red"\n')
    code, output = run_cli("lint", str(tmp_path))
    assert code == 2 and "unknown key" in output
    code, _ = run_cli("lint", "--isolated", "--select", "DO5", str(tmp_path))
    assert code == 1


def test_discovery_skips_vcs_venvs_and_node_modules(tmp_path: Path) -> None:
    for rel in (
        "Dockerfile", "svc/api.Dockerfile", "svc/Dockerfile.gpu", "svc/Containerfile",
        ".git/Dockerfile", "node_modules/pkg/Dockerfile", "env/Dockerfile", "svc/Dockerfile.dockerignore",
        "notes/Dockerfile.md",
    ):  # fmt: skip
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("FROM scratch\n")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in find_dockerfiles(tmp_path))
    assert found == ["Dockerfile", "svc/Containerfile", "svc/Dockerfile.gpu", "svc/api.Dockerfile"]


def test_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "Dockerfile").write_bytes(b"FROM x\n\xff\xfe\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "Dockerfile").write_text(BAD)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "Dockerfile").write_bytes(b"\x00\x01binary")
    code, output = run_cli("lint", "--format", "json", "--select", "DO5,DO9", "--ignore", "DO503", str(tmp_path))
    assert code == 2
    data = json.loads(output)
    assert data["summary"]["files"] == 3
    by_file: dict[str, list[str]] = {}
    for finding in data["findings"]:
        by_file.setdefault(Path(finding["file"]).parent.name, []).append(finding["rule"])
    assert by_file == {"a": ["DO900"], "b": ["DO510", "DO501"], "c": ["DO900"]}
    messages = {Path(e["file"]).parent.name: (e["line"], e["message"]) for e in data["errors"]}
    assert messages["a"][0] == 2 and "UTF-8" in messages["a"][1]
    assert "binary" in messages["c"][1]


def test_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.Dockerfile"
    good.write_text('FROM python:3.11-slim\nCMD ["python"]\n')
    assert run_cli("lint", "--select", "DO5", str(good))[0] == 0
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text(BAD)
    assert run_cli("lint", "--select", "DO5", str(bad))[0] == 1
    assert run_cli("lint", "--select", "DO5", "--fail-on", "error", str(bad))[0] == 0
    assert run_cli("lint", str(tmp_path / "missing"))[0] == 2
    assert run_cli("lint", "--select", "NOPE", str(bad))[0] == 2
    assert run_cli("explain", "DO000")[0] == 2
    assert run_cli("lint")[0] == 2  # no path: usage error


def _numbered(root: Path, count: int, text: Callable[[int], str]) -> list[tuple[Path, str]]:
    """``count`` Dockerfiles ``000.Dockerfile``… below ``root``, the i-th holding ``text(i)``: (path, display)."""
    files = []
    for i in range(count):
        path = root / f"{i:03d}.Dockerfile"
        path.write_text(text(i))
        files.append((path, path.name))
    return files


def _bad_or_broken(i: int) -> str:
    """Two findings of DO5 in two files of three; a parse error (and one finding) in the third."""
    return BAD if i % 3 else "FROM python:3.11-slim\nWORKDIR app\nRUNN x\n"


def test_parallel_and_serial_runs_agree(tmp_path: Path) -> None:
    files = _numbered(tmp_path, 240, _bad_or_broken)
    serial = lint_files(files, DO5, jobs=1)
    parallel = lint_files(files, DO5, jobs=2)
    assert [r.findings for r in serial] == [r.findings for r in parallel]
    assert [r.errors for r in serial] == [r.errors for r in parallel]
    # DO900 is not selected: the parse errors are still recorded, as errors
    assert sum(len(r.findings) for r in parallel) == 160 * 2 + 80 * 1
    assert sum(len(r.errors) for r in parallel) == 80


def test_module_entry_point_runs() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "dockopt", "rules"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "DO501" in done.stdout


def _streamed(files: list[tuple[Path, str]], found: list[str]) -> Iterator[tuple[Path, str]]:
    """The files one at a time, as a walk finds them, noting how far the walk got."""
    for path, display in files:
        found.append(display)
        yield path, display


def test_files_streamed_from_a_walk_are_linted_like_a_list(tmp_path: Path) -> None:
    """lint_files starts workers on the first files while its iterator is still finding the others."""
    files = _numbered(tmp_path, 450, _bad_or_broken)
    found: list[str] = []
    seen_at_meanwhile: list[int] = []
    streamed = lint_files(_streamed(files, found), DO5, jobs=2, meanwhile=lambda: seen_at_meanwhile.append(len(found)))
    listed = lint_files(files, DO5, jobs=1)
    assert [r.display_path for r in streamed] == [name for _, name in files]
    assert [r.findings for r in streamed] == [r.findings for r in listed]
    assert [r.errors for r in streamed] == [r.errors for r in listed]
    assert seen_at_meanwhile == [450]  # `meanwhile` runs once every file is known


def test_inherited_states_added_while_streaming_are_used(tmp_path: Path) -> None:
    """What a file's bases hand down may be found by the same walk, before the file is yielded."""
    from dockopt.model import BaseState
    from dockopt.repo.inheritance import Inherited

    files = _numbered(tmp_path, 260, lambda _: 'FROM company/base:1\nUSER app\nCMD ["run"]\n')
    inherited: dict[Path, Inherited] = {}
    base = BaseState(known=True)  # an image of the repository, known to create no user "app"

    def walk() -> Iterator[tuple[Path, str]]:
        for path, display in files:
            if path.name.startswith("25"):  # a few files, late in the walk, built FROM an image of the repository
                inherited[path] = Inherited(bases={"company/base:1": base}, build_args={})
            yield path, display

    config = Config(select=("DO401",))
    results = lint_files(walk(), config, jobs=2, inherited=inherited)
    flagged = [r.display_path for r in results if any("never created" in f.message for f in r.findings)]
    assert flagged == [f"{i}.Dockerfile" for i in range(250, 260)]  # elsewhere the base is unknown: no finding


def test_a_failing_walk_fails_the_run(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BAD)

    def walk() -> Iterator[tuple[Path, str]]:
        for i in range(300):
            yield path, f"{i}"
        raise PermissionError("walk: cannot list a directory")

    with pytest.raises(PermissionError, match="cannot list"):
        lint_files(walk(), DO5, jobs=2)
