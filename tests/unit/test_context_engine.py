"""`.dockerignore` cases recorded from the Docker engine, checked against dockopt and, with the
``integration`` marker, against the engine itself (Docker 20.10 with BuildKit, `FROM scratch` +
`COPY . /` exported with `-o type=local`).

Several cases are where the Docker SDK's matcher and the engine disagree; the engine wins.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockopt.repo.dockerignore import IgnoreMatcher, find_ignore_file, read_ignore_file, sent_paths

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "FROM scratch\nCOPY . /\n"


@dataclass(frozen=True)
class Case:
    """A context: ``files`` (empty files), the ignore file(s), and the files the engine sends."""

    name: str
    files: tuple[str, ...]
    ignore: str
    sent: frozenset[str] | None  # None: `docker build` fails on the ignore file
    dockerfile: str = "Dockerfile"
    extra: dict[str, str] = field(default_factory=dict)  # other files with contents

    def materialize(self, root: Path) -> Path:
        for name in (*self.files, self.dockerfile):
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(DOCKERFILE if name == self.dockerfile else "")
        (root / ".dockerignore").write_text(self.ignore)
        for name, text in self.extra.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        return root / self.dockerfile


def sent(*paths: str) -> frozenset[str]:
    return frozenset(paths)


CASES = [
    Case(
        "root-only patterns",
        ("__pycache__/r.pyc", "top.pyc", "src/pkg/__pycache__/m.pyc", "src/pkg/x.pyc", "src/pkg/m.py"),
        "__pycache__/\n*.pyc\n",
        sent("Dockerfile", ".dockerignore", "src/pkg/__pycache__/m.pyc", "src/pkg/x.pyc", "src/pkg/m.py"),
    ),
    Case(
        "patterns at any depth",
        ("__pycache__/r.pyc", "top.pyc", "src/pkg/__pycache__/m.pyc", "src/pkg/x.pyc", "src/pkg/m.py"),
        "**/__pycache__\n**/*.pyc\n",
        sent("Dockerfile", ".dockerignore", "src/pkg/m.py"),
    ),
    Case(
        "case-sensitive (the SDK lowercases)", ("a.pt", "B.PT"), "*.pt\n", sent("Dockerfile", ".dockerignore", "B.PT")
    ),
    Case(
        "a comment only when # is the first character (the SDK strips first)",
        ("# x", "# y", "z"),
        "  # x\n# y\n",
        sent("Dockerfile", ".dockerignore", "# y", "z"),
    ),
    Case(
        "[!a] is a class of ! and a, [^c] its negation (the SDK swaps them)",
        ("ab", "!b", "cb", "cd", "ad"),
        "[!a]b\n[^c]d\n",
        sent("Dockerfile", ".dockerignore", "cb", "cd"),
    ),
    Case(
        "backslash escapes (the SDK matches it literally)",
        ("a*b", "axb"),
        "a\\*b\n",
        sent("Dockerfile", ".dockerignore", "axb"),
    ),
    Case(
        "an allow-list: an excluded directory is entered only for an exception below it",
        ("src/c.py", "src/a/b.py", "src/a/d.txt", "top.txt"),
        "*\n!src/**/*.py\n!Dockerfile\n",
        sent("Dockerfile", "src/c.py"),
    ),
    Case(
        "a wildcard exception does not re-include below an excluded directory",
        ("build/x.py", "build/sub/y.py", "build/z.txt", "keep.py"),
        "build\n!**/*.py\n",
        sent("Dockerfile", ".dockerignore", "keep.py"),
    ),
    Case(
        "an exception keeps a directory only when it starts with dir/ (the SDK: with dir)",
        ("foo/a.py", "foobar/x", "foobar/y"),
        "foo\n!**/*.py\n!foobar/x\n",
        sent("Dockerfile", ".dockerignore", "foobar/x", "foobar/y"),
    ),
    Case(
        "the parent prefix has as many components as the pattern",
        ("x/b/foo/d", "x/b/foo/keep", "x/foo/e"),
        "**/foo\n!x/b/foo/keep\n",
        sent("Dockerfile", ".dockerignore", "x/b/foo/d", "x/b/foo/keep"),
    ),
    Case(
        "an exception re-includes one file of an excluded directory",
        ("docs/README.md", "docs/other.md"),
        "docs\n!docs/README.md\n",
        sent("Dockerfile", ".dockerignore", "docs/README.md"),
    ),
    Case(
        "leading and trailing slashes, and ./, are cleaned",
        ("build/a", "dist/b", "keep"),
        "/build/\n./dist\n",
        sent("Dockerfile", ".dockerignore", "keep"),
    ),
    Case(
        "a leading .. matches nothing (the SDK drops it)",
        ("a", "b"),
        "../a\n",
        sent("Dockerfile", ".dockerignore", "a", "b"),
    ),
    Case(
        "the ignore file itself and the Dockerfile can be excluded",
        ("app.py",),
        ".dockerignore\nDockerfile\n",
        sent("app.py"),
    ),
    Case(
        "<Dockerfile>.dockerignore next to the Dockerfile replaces .dockerignore",
        ("a.txt", "b.txt", "data/d.bin"),
        "a.txt\n",
        sent(".dockerignore", "a.txt", "data/d.bin", "docker/app.Dockerfile"),
        dockerfile="docker/app.Dockerfile",
        extra={"docker/app.Dockerfile.dockerignore": "b.txt\ndocker/*.dockerignore\n"},
    ),
    Case("an unclosed class fails the build", ("a",), "[abc\n", None),
    Case("a lone ! fails the build", ("a",), "!\n", None),
]


def dockopt_sends(root: Path, dockerfile: Path) -> frozenset[str] | None:
    ignore_path = find_ignore_file(root, dockerfile)
    assert ignore_path is not None
    ignore = read_ignore_file(ignore_path)
    if ignore.errors:
        return None
    return frozenset(p for p in sent_paths(root, IgnoreMatcher(ignore.patterns)) if not (root / p).is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_dockopt_agrees_with_the_recorded_engine(case: Case, tmp_path: Path) -> None:
    dockerfile = case.materialize(tmp_path)
    assert dockopt_sends(tmp_path, dockerfile) == case.sent


@pytest.fixture(scope="module")
def docker_client() -> str:
    """scripts/ensure-docker's client (it fails the test rather than skip when there is no engine)."""
    proc = subprocess.run([str(REPO_ROOT / "scripts" / "ensure-docker")], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        pytest.fail(f"scripts/ensure-docker failed (exit {proc.returncode}):\n{proc.stderr}")
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_engine_sends_what_was_recorded(case: Case, tmp_path: Path, docker_client: str) -> None:
    context, out = tmp_path / "ctx", tmp_path / "out"
    context.mkdir()
    dockerfile = case.materialize(context)
    proc = subprocess.run(
        [docker_client, "build", "-q", "-o", f"type=local,dest={out}", "-f", str(dockerfile), str(context)],
        capture_output=True,
        text=True,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        timeout=300,
        check=False,
    )
    if case.sent is None:
        assert proc.returncode != 0
        return
    assert proc.returncode == 0, proc.stderr
    files = frozenset(p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir())
    assert files == case.sent
