"""`dockopt fix`: edits, overlap resolution, the fixpoint, and the properties every fix must keep."""

from __future__ import annotations

import importlib.util
import stat
import sys
from pathlib import Path

import dockerfile
import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.config import Config
from dockopt.findings import Edit, Fix, FixSafety
from dockopt.fix import apply_edits, fix_text
from dockopt.lint import lint_text
from dockopt.syntax import Comment, parse

ROOT = Path(__file__).resolve().parents[2]


def _corpus() -> list[tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("corpus_generate", ROOT / "tests" / "corpus" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses in the module look themselves up here
    spec.loader.exec_module(module)
    items: list[tuple[str, str]] = list(module.generate())
    for path in sorted((ROOT / "tests" / "corpus" / "handwritten").glob("*")):
        items.append((path.name, path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "examples").rglob("Dockerfile")):
        items.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    return items


CORPUS = _corpus()
ALL = Config(select=("ALL",))
FIXABLE = Config(select=("DO501", "DO510"))


def _oracle(text: str) -> list[tuple[str, int, int, tuple[str, ...], tuple[str, ...]]] | None:
    try:
        return [(c.cmd.upper(), c.start_line, c.end_line, c.flags, c.value) for c in dockerfile.parse_string(text)]
    except dockerfile.GoParseError:
        return None


def test_apply_edits_skips_overlaps_deterministically() -> None:
    text = "abcdefgh"
    fixes = [
        Fix(FixSafety.SAFE, "second", (Edit(2, 5, "X"),)),
        Fix(FixSafety.SAFE, "first", (Edit(0, 3, "Y"),)),
        Fix(FixSafety.SAFE, "third", (Edit(6, 6, "+"),)),
    ]
    new, chosen = apply_edits(text, fixes)
    assert new == "Ydef+gh"
    assert chosen == [1, 2]


def test_fix_rewrites_and_keeps_comments() -> None:
    text = (
        "# build the API image\n"
        "FROM python:3.11-slim\n"
        "MAINTAINER Jane <jane@example.com>\n"
        "# start the server\n"
        "CMD uvicorn app:app --port 8000\n"
    )
    outcome = fix_text(text, FIXABLE)
    assert outcome.text == (
        "# build the API image\n"
        "FROM python:3.11-slim\n"
        'LABEL maintainer="Jane <jane@example.com>"\n'
        "# start the server\n"
        'CMD ["uvicorn", "app:app", "--port", "8000"]\n'
    )
    assert sorted(f.rule for f in outcome.applied) == ["DO501", "DO510"]
    assert outcome.remaining == []


def test_shell_features_get_no_fix() -> None:
    text = "FROM python:3.11-slim\nCMD python app.py > /var/log/app.log 2>&1\nENTRYPOINT $APP_HOME/run\n"
    outcome = fix_text(text, FIXABLE)
    assert outcome.text == text
    assert [f.rule for f in outcome.remaining] == ["DO501", "DO501"]


@pytest.mark.parametrize(("name", "text"), CORPUS, ids=[n for n, _ in CORPUS])
def test_fix_properties_on_the_corpus(name: str, text: str) -> None:
    once = fix_text(text, ALL, unsafe=True)
    twice = fix_text(once.text, ALL, unsafe=True)
    assert twice.text == once.text, "fixing twice changed the file again"
    if not once.changed:
        return
    before = _oracle(text)
    after = _oracle(once.text)
    assert (before is None) == (after is None), "the fix changed whether BuildKit can parse the file"
    fixed_rules = {(f.rule) for f in once.applied}
    after_findings = lint_text(once.text, ALL).findings
    assert not [f for f in after_findings if f.rule in fixed_rules and f.fix is not None], "a fixed finding is back"
    before_rules = {f.rule for f in lint_text(text, ALL).findings}
    assert {f.rule for f in after_findings} <= before_rules, "a fix introduced a new kind of finding"
    comments = [n.text for n in parse(text).nodes if isinstance(n, Comment)]
    kept = iter(n.text for n in parse(once.text).nodes if isinstance(n, Comment))
    assert all(comment in kept for comment in comments), "a fix lost or moved a comment"  # it may add one


def test_cli_diff_writes_nothing_and_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    original = "FROM python:3.11-slim\nCMD python app.py\n"
    path.write_text(original)
    path.chmod(0o640)
    runner = CliRunner()
    result = runner.invoke(main, ["fix", "--select", "DO501", str(path)])
    assert result.exit_code == 0
    assert '+CMD ["python", "app.py"]' in result.output
    assert path.read_text() == original
    result = runner.invoke(main, ["fix", "--select", "DO501", "--write", str(path)])
    assert result.exit_code == 0
    assert path.read_text() == 'FROM python:3.11-slim\nCMD ["python", "app.py"]\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"], "temporary file left behind"


def test_cli_write_leaves_unparsable_files_alone(tmp_path: Path) -> None:
    bad = tmp_path / "bad.Dockerfile"
    bad.write_text("FROM python:3.11-slim\nRUNN x\nCMD python app.py\n")
    good = tmp_path / "good.Dockerfile"
    good.write_text("FROM python:3.11-slim\nMAINTAINER me\n")
    # DO301 is left out: whether it pins the base depends on the digests the local engine has
    result = CliRunner().invoke(main, ["fix", "--write", "--ignore", "DO301", str(tmp_path)])
    assert result.exit_code == 2
    assert bad.read_text() == "FROM python:3.11-slim\nRUNN x\nCMD python app.py\n"
    assert good.read_text() == (
        'FROM python:3.11-slim\nENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1\nLABEL maintainer="me"\n'
    )


def test_write_failure_keeps_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dockopt.commands import fix as fix_command

    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:3.11-slim\nMAINTAINER me\n")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fix_command.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        fix_command.write_atomically(path, "FROM scratch\n")
    assert path.read_text() == "FROM python:3.11-slim\nMAINTAINER me\n"
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"], "temporary file left behind"


def test_a_base_image_of_the_repository_gets_no_user_switch(tmp_path: Path) -> None:
    """Switching a base to a non-root user would break the installs of the images built on it."""
    (tmp_path / "base").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "base" / "Dockerfile").write_text("FROM python:3.11-slim\nRUN pip install --no-cache-dir six==1.16.0\n")
    (tmp_path / "app" / "Dockerfile").write_text(
        'FROM corp/base:1\nRUN pip install --no-cache-dir idna==3.7\nCMD ["python"]\n'
    )
    (tmp_path / "build.sh").write_text("docker build -t corp/base:1 base\ndocker build -t corp/app:1 app\n")
    result = CliRunner().invoke(main, ["fix", "--isolated", "--select", "DO401", "--unsafe-fixes", "--write", str(tmp_path)])
    assert "USER" not in (tmp_path / "base" / "Dockerfile").read_text()
    # the image that is run is still reported; only the base is left alone
    assert "app/Dockerfile:1:1: remains: DO401" in result.output
    assert "base/Dockerfile" not in result.output
