"""The repository rules (DO601-DO606) on whole repositories: the example, a fixture repository, the CLI.

Single cases live in tests/fixtures/rules/DO60N.toml ([[repo_case]]); these tests check what needs a
real tree: exact findings and messages on examples/, linting examples/ as one directory, that the image
graph is only built when something declares builds, and that the facts cross process boundaries.
"""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import pytest

import dockopt.lint
import dockopt.repo.graph
from corpus.trees import write_tree
from dockopt.commands.lint import LintOptions, collect, repository_findings, run_lint
from dockopt.config import Config
from dockopt.findings import Finding
from dockopt.lint import active_repository_rules, lint_files
from dockopt.rules._repo import same_version, satisfies, version_key
from dockopt.rules.context import FileContext
from dockopt.syntax import load_file

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "ml-pipeline"
FIXTURE = ROOT / "tests" / "fixtures" / "repos" / "do60x"
RULES = ("DO601", "DO602", "DO603", "DO604", "DO605", "DO606")

EXAMPLE_FINDINGS = {
    ("DO602", ".dockerignore", 4),
    ("DO602", ".dockerignore", 5),
    ("DO603", "docker/stages/asr/Dockerfile", 13),
    ("DO604", "scripts/build_all.sh", 15),
    ("DO604", "scripts/build_all.sh", 19),
    ("DO605", "docker/stages/asr/Dockerfile", 13),
    ("DO605", "requirements/align.txt", 2),
    ("DO606", "README.md", 20),
}


def _lint(path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int = 1) -> list[Finding]:
    """The repository findings of `dockopt lint .` run in ``path``."""
    monkeypatch.chdir(path)
    config = Config(select=RULES)
    found, inherited = collect((".",), config)
    results = lint_files(found, config, jobs=jobs, inherited=inherited)
    return repository_findings((".",), found, results, config)


def _by_place(findings: list[Finding]) -> dict[tuple[str, str, int], str]:
    return {(f.rule, f.file, f.location.line): f.message for f in findings}


def test_example_findings_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _by_place(_lint(EXAMPLE, monkeypatch))
    assert set(found) == EXAMPLE_FINDINGS
    gap = found[("DO602", ".dockerignore", 4)]
    assert "`**/__pycache__`" in gap
    assert "src/pipeline/asr/__pycache__" in gap
    assert "docker/stages/asr/Dockerfile:17" in gap
    assert "docker/stages/diarize/Dockerfile:10" in gap
    reinstall = found[("DO603", "docker/stages/asr/Dockerfile", 13)]
    assert "pipeline-ml-base" in reinstall
    assert "torch==2.2.2" in reinstall
    assert "requirements/ml.txt:3" in reinstall
    assert "torchaudio==2.1.0" in reinstall
    order = found[("DO604", "scripts/build_all.sh", 19)]
    assert "pipeline-asr and pipeline-diarize" in order
    assert "pipeline-ml-base" in order
    assert "line 23" in order
    assert "pipeline-ingest" not in order  # built on pipeline-cpu-base, which comes first
    rewrite = found[("DO604", "scripts/build_all.sh", 15)]
    assert "FROM .*pipeline-base:.*" in rewrite
    assert "pipeline-cpu-base" in rewrite
    pins = found[("DO605", "docker/stages/asr/Dockerfile", 13)]
    assert "torch==2.1.0" in pins
    assert "requirements/ml.txt:3" in pins
    assert "docker/versions.txt:7" in pins
    numpy = found[("DO605", "requirements/align.txt", 2)]
    assert "numpy==1.24.3" in numpy
    assert all(
        where in numpy for where in ("requirements/base.txt:2", "requirements/ml.txt:5", "docker/versions.txt:9")
    )
    assert "docker/stages/vad/Dockerfile" in found[("DO606", "README.md", 20)]


def test_examples_linted_as_one_directory_add_nothing_across_repositories(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {(rule, file, line) for rule, file, line in _by_place(_lint(EXAMPLES, monkeypatch))}
    assert found == {(rule, f"ml-pipeline/{file}", line) for rule, file, line in EXAMPLE_FINDINGS}


def test_fixture_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _by_place(_lint(FIXTURE, monkeypatch))
    assert set(found) == {
        ("DO601", "tools/Dockerfile", 1),  # tools/ is its own context (no build names it), with node_modules
        ("DO602", ".dockerignore", 1),  # the root context of the script's builds also sends tools/node_modules
        ("DO602", ".dockerignore", 2),  # `*.log` misses src/api/debug.log
        ("DO603", "images/api/Dockerfile", 4),
        ("DO604", "build.sh", 5),
        ("DO605", "images/api/Dockerfile", 4),
        ("DO606", "README.md", 7),
    }
    assert "`tools/node_modules`" in found[("DO602", ".dockerignore", 1)]
    assert "images/api/Dockerfile:5 copies it" in found[("DO602", ".dockerignore", 2)]
    assert "images/ has api and base" in found[("DO606", "README.md", 7)]


def test_the_graph_is_not_built_without_build_declarations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(root: Path) -> None:
        raise AssertionError(f"build_graph({root}) called")

    monkeypatch.setattr(dockopt.repo.graph, "build_graph", fail)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install numpy==1.26.4\n")
    (tmp_path / "svc" / "requirements.txt").write_text("numpy==1.24.3\n")
    (tmp_path / "README.md").write_text("See `svc/Dockerfile`.\n")
    found = _by_place(_lint(tmp_path, monkeypatch))
    assert set(found) == {("DO605", "svc/requirements.txt", 1)}  # a tie: svc/Dockerfile comes first


def test_facts_survive_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    for dockerfile in sorted(EXAMPLE.glob("docker/**/Dockerfile")):
        ctx = FileContext(load_file(dockerfile), dockerfile.name)
        for rule in active_repository_rules(Config(select=RULES)):
            fact = rule.collect(ctx)
            assert pickle.loads(pickle.dumps(fact)) == fact
    monkeypatch.setattr(dockopt.lint, "PARALLEL_THRESHOLD", 1)
    parallel = {(f.rule, f.file, f.location.line) for f in _lint(EXAMPLE, monkeypatch, jobs=2)}
    assert parallel == EXAMPLE_FINDINGS


def test_cli_reports_repository_findings_with_their_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    code = run_lint(LintOptions(paths=("examples/ml-pipeline",), output_format="json", select=RULES), out)
    assert code == 1
    data = json.loads(out.getvalue())
    files = {(f["rule"], f["file"]) for f in data["findings"]}
    assert ("DO602", "examples/ml-pipeline/.dockerignore") in files
    assert ("DO604", "examples/ml-pipeline/scripts/build_all.sh") in files
    text = io.StringIO()
    run_lint(LintOptions(paths=("examples/ml-pipeline",), select=("DO602",), color=False), text)
    assert "__pycache__/" in text.getvalue()  # the source line of the .dockerignore is shown


def test_versions() -> None:
    assert same_version("1.26", "1.26.0")
    assert same_version("2.2.2+cu121", "2.2.2")
    assert not same_version("1.24.3", "1.26.4")
    assert version_key("v2.0") == ((2,), "")
    assert satisfies("2.2.2", "") is True
    assert satisfies("2.2.2", "==2.1.0") is False
    assert satisfies("2.2.2", ">=2,<3") is True
    assert satisfies("2.2.2", "<2.2") is False
    assert satisfies("2.2.2", "~=2.1") is True
    assert satisfies("2.2.2", "~=2.1.0") is False
    assert satisfies("2.2.2", "!=2.2.2") is False
    assert satisfies("2.2.2", "==2.2.*") is None
    assert satisfies("2.3.0rc1", ">=2") is None


@pytest.mark.parametrize("jobs", [1, 2])
def test_inline_ignores_silence_repository_findings_in_that_dockerfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    run = "RUN pip install --no-cache-dir requests=={}\n"
    for name, version, above in [("a", "2.31.0", ""), ("b", "2.31.0", ""), ("c", "2.32.3", "")]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text("FROM python:3.11-slim\n" + above + run.format(version))
    assert {(f.rule, f.file) for f in _lint(tmp_path, monkeypatch, jobs)} == {("DO605", "c/Dockerfile")}

    odd = tmp_path / "c" / "Dockerfile"
    odd.write_text("FROM python:3.11-slim\n# dockopt: ignore=DO605\n" + run.format("2.32.3"))
    assert _lint(tmp_path, monkeypatch, jobs) == []
    odd.write_text("# dockopt: ignore-file=DO605\nFROM python:3.11-slim\n" + run.format("2.32.3"))
    assert _lint(tmp_path, monkeypatch, jobs) == []
    odd.write_text("FROM python:3.11-slim\n# dockopt: ignore=DO601\n" + run.format("2.32.3"))  # another rule
    assert {(f.rule, f.file) for f in _lint(tmp_path, monkeypatch, jobs)} == {("DO605", "c/Dockerfile")}


def test_ignore_file_of_each_context_is_the_one_buildkit_reads(tmp_path: Path) -> None:
    """The walk answers "no ignore file here" without a stat; where it did not look, the file system does."""
    from dockopt.repo.dockerignore import find_ignore_file
    from dockopt.rules._repo import context_groups
    from dockopt.rules.context import RepositoryContext

    files = {
        "a/Dockerfile": "FROM scratch\n",
        "a/.dockerignore": ".git\n",
        "b/Dockerfile": "FROM scratch\n",  # no ignore file at all
        "c/Dockerfile": "FROM scratch\n",
        "c/Dockerfile.dockerignore": "*.pt\n",  # the Dockerfile's own ignore file wins
        "c/.dockerignore": "*\n",
        "real/Dockerfile": "FROM scratch\n",
        "real/.dockerignore": "data\n",
        ".venv/pyvenv.cfg": "home = /usr\n",  # a skipped directory
        ".venv/Dockerfile": "FROM scratch\n",
        ".venv/.dockerignore": "*\n",
    }
    write_tree(tmp_path, files)
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)  # not walked
    (tmp_path / "compose.yaml").write_text(
        "services:\n  linked:\n    build:\n      context: linked\n      dockerfile: ../real/Dockerfile\n"
    )
    dockerfiles = ["a/Dockerfile", "b/Dockerfile", "c/Dockerfile", "real/Dockerfile", ".venv/Dockerfile"]
    repo = RepositoryContext(tmp_path, "", dockerfiles)
    found = {(use.dockerfile, use.context): group.ignore_file for group in context_groups(repo) for use in group.uses}
    expected = {}
    for dockerfile, context in found:
        ignore = find_ignore_file(tmp_path / context, tmp_path / dockerfile)
        expected[(dockerfile, context)] = ignore.relative_to(tmp_path).as_posix() if ignore else None
    assert found == expected
    assert found[("a/Dockerfile", "a")] == "a/.dockerignore"
    assert found[("b/Dockerfile", "b")] is None
    assert found[("c/Dockerfile", "c")] == "c/Dockerfile.dockerignore"
    assert found[(".venv/Dockerfile", ".venv")] == ".venv/.dockerignore"
    assert found[("real/Dockerfile", "linked")] == "linked/.dockerignore"
