"""`dockopt fix --verify-build` and the engine layer, against a real Docker engine.

The corpus (tests/integration/projects/, listed in corpus.toml) holds small Python projects with the
usual Dockerfile habits. For every image: the original builds, the file `dockopt fix --write
--unsafe-fixes` writes builds, and the safe fixes alone pass --verify-build (the images differ only
by removed caches and build noise). The tests check those properties, not particular diffs: whatever
fixes the rules offer are what is applied.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from projects import CORPUS_ROOT, CorpusImage, load_corpus

from dockopt.cli import main
from dockopt.config import Config
from dockopt.engine import DockerCLI, EntryType, StepStatus
from dockopt.fix import fix_text

pytestmark = pytest.mark.integration

CORPUS = load_corpus()


@pytest.fixture(scope="session")
def engine(docker_client: str) -> DockerCLI:
    return DockerCLI(docker_client)


@pytest.fixture(autouse=True)
def cli_uses_the_same_client(docker_client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dockopt fix --verify-build` finds its client through DOCKOPT_DOCKER: the one ensure-docker vouched for."""
    monkeypatch.setenv("DOCKOPT_DOCKER", docker_client)


@pytest.fixture(scope="session")
def corpus_bases(engine: DockerCLI) -> None:
    """The corpus's own base images, built from their original Dockerfiles under the tags the others use.

    They are left in place afterwards: another session building FROM them at the same time would fail if
    they went, and the next session rebuilds them (from cache) anyway.
    """
    for image in CORPUS:
        if image.tag is not None:
            result = engine.build(image.context_in(CORPUS_ROOT), image.dockerfile_in(CORPUS_ROOT), image.tag)
            assert result.ok, f"base image {image.name} does not build:\n{result.tail(40)}"


@pytest.fixture
def scratch_tag(engine: DockerCLI) -> Iterator[str]:
    tag = f"dockopt-it-verify:{uuid.uuid4().hex[:12]}"
    yield tag
    engine.remove_image(tag)


def copy_project(image: CorpusImage, root: Path) -> tuple[Path, Path]:
    """Copy the image's project under ``root``; return the copy's Dockerfile and build context."""
    shutil.copytree(CORPUS_ROOT / image.project, root / image.project, ignore=shutil.ignore_patterns("__pycache__"))
    return image.dockerfile_in(root), image.context_in(root)


def dockopt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("image", CORPUS, ids=[image.name for image in CORPUS])
def test_corpus_image_builds_before_and_after_fixing(
    image: CorpusImage, engine: DockerCLI, corpus_bases: None, scratch_tag: str, tmp_path: Path
) -> None:
    dockerfile, context = copy_project(image, tmp_path)
    original = dockerfile.read_text(encoding="utf-8")

    # One run does what the corpus promises: the original, the safe-only and the fully fixed file are built,
    # the safe-only image is compared with the original's, and the file is written only if all of that passes.
    code, output = dockopt(
        "fix", "--verify-build", "--write", "--unsafe-fixes", "--isolated", "--context", str(context), str(dockerfile)
    )

    assert code in (0, 1), output
    if "verify-build" not in output:  # nothing to fix, so nothing was built: build the original here
        assert dockerfile.read_text(encoding="utf-8") == original
        result = engine.build(context, dockerfile, scratch_tag)
        assert result.ok, f"{image.name} does not build:\n{result.tail(40)}"
        return
    assert "verification: passed" in output, output
    assert "both build: yes" in output or "all build: yes" in output, output
    if "safe fixes  built" in output:
        assert "safe fixes: passed" in output, output
    assert dockerfile.read_text(encoding="utf-8") != original, "a verified fix must be written"


def test_verify_build_refuses_a_safe_fix_that_changes_files(engine: DockerCLI, tmp_path: Path) -> None:
    # Unquoted, `six>=1.16` is `six` plus a redirect that creates the file "=1.16": quoting it (DO304's safe
    # fix) removes that file from the image, a difference outside any cache, which verification must catch.
    dockerfile = tmp_path / "Dockerfile"
    original = "FROM python:3.11-slim\nWORKDIR /app\nRUN pip install six>=1.16\n"
    dockerfile.write_text(original, encoding="utf-8")
    assert fix_text(original, Config(select=("DO304",))).text != original, "DO304 no longer offers a safe fix"

    code, output = dockopt("fix", "--verify-build", "--write", "--isolated", "--select", "DO304", str(dockerfile))

    assert code == 1, output
    assert "removed  /app/=1.16" in output, output
    assert "verification: FAILED" in output, output
    assert dockerfile.read_text(encoding="utf-8") == original


def test_verify_build_reports_a_build_that_fails(engine: DockerCLI, tmp_path: Path) -> None:
    # The context (given with --context) lacks the file COPY names: neither the original nor the fixed file builds.
    (tmp_path / "ctx").mkdir()
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:bookworm-slim\nCOPY missing.txt /\nCMD cat /missing.txt\n", encoding="utf-8")

    code, output = dockopt("fix", "--verify-build", "--isolated", "--context", str(tmp_path / "ctx"), str(dockerfile))

    assert code == 1, output
    assert "original    FAILED" in output, output
    assert "missing.txt" in output, output  # the log tail says why
    assert "both build: no" in output, output


def test_engine_error_exits_2_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.11-slim\nCMD python app.py\n", encoding="utf-8")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")

    result = CliRunner().invoke(main, ["fix", "--verify-build", "--isolated", str(dockerfile)])

    assert result.exit_code == 2, result.output
    assert "dockopt: error: no Docker engine answers" in result.output


def test_build_steps_durations_and_cache_hits(engine: DockerCLI, scratch_tag: str, tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("one\n", encoding="utf-8")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM debian:bookworm-slim\nRUN sleep 1 && echo slow > /slow.txt\nCOPY data.txt /\nRUN wc -c /data.txt\n",
        encoding="utf-8",
    )
    first = engine.build(tmp_path, dockerfile, scratch_tag, no_cache=True)
    (tmp_path / "data.txt").write_text(f"changed {uuid.uuid4().hex}\n", encoding="utf-8")  # never built before
    second = engine.build(tmp_path, dockerfile, scratch_tag)

    assert first.ok, first.tail()
    assert second.ok, second.tail()
    assert first.image_id is not None
    assert first.image_id != second.image_id
    slow = [s for s in first.steps if s.instruction == "RUN sleep 1 && echo slow > /slow.txt"]
    assert len(slow) == 1
    assert slow[0].status is StepStatus.DONE
    assert slow[0].seconds is not None
    assert slow[0].seconds >= 1.0
    by_instruction = {s.instruction: s for s in second.steps if s.instruction}
    assert by_instruction["RUN sleep 1 && echo slow > /slow.txt"].cached
    assert not by_instruction["COPY data.txt /"].cached
    assert "41 /data.txt" in by_instruction["RUN wc -c /data.txt"].output


def test_failed_build_names_the_step(engine: DockerCLI, scratch_tag: str, tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:bookworm-slim\nRUN echo before && false\n", encoding="utf-8")

    result = engine.build(tmp_path, dockerfile, scratch_tag)

    assert not result.ok
    assert result.image_id is None
    assert result.failed_step is not None
    assert result.failed_step.instruction == "RUN echo before && false"
    assert "before" in result.failed_step.output
    assert "exit code: 1" in result.tail()


def test_image_filesystem_applies_layers_and_keeps_metadata(
    engine: DockerCLI, docker_client: str, scratch_tag: str, tmp_path: Path
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM debian:bookworm-slim\n"
        "RUN mkdir -p /t/gone /t/opaque && touch /t/gone/x /t/opaque/old /t/deleted\n"
        "RUN rm -rf /t/gone /t/deleted /t/opaque && mkdir /t/opaque && touch /t/opaque/new\n"
        "RUN printf hello > /t/file && chown 1000:1001 /t/file && chmod 4750 /t/file"
        " && ln /t/file /t/hard && ln -s file /t/soft && mkfifo /t/fifo\n",
        encoding="utf-8",
    )
    assert engine.build(tmp_path, dockerfile, scratch_tag).ok

    files = engine.image_filesystem(scratch_tag)

    under_t = {path for path in files if path.startswith("/t/")}
    assert under_t == {"/t/opaque", "/t/opaque/new", "/t/file", "/t/hard", "/t/soft", "/t/fifo"}
    hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    file, hard = files["/t/file"], files["/t/hard"]
    assert (file.type, file.mode, file.uid, file.gid, file.size, file.sha256) == (
        EntryType.FILE,
        0o4750,
        1000,
        1001,
        5,
        hello,
    )
    assert (hard.type, hard.sha256, hard.size) == (EntryType.FILE, hello, 5)
    assert (file.hardlink_to, hard.hardlink_to) in ((None, "/t/file"), ("/t/hard", None))
    assert files["/t/soft"].type is EntryType.SYMLINK
    assert files["/t/soft"].link_target == "file"
    assert files["/t/fifo"].type is EntryType.FIFO
    assert "/.dockerenv" not in files  # the container's init layer, not the image
    # the same paths the container itself sees (where the engine mounts nothing)
    listing = subprocess.run(
        [docker_client, "run", "--rm", scratch_tag, "find", "/usr", "/var", "/t"],
        capture_output=True,
        text=True,
        check=True,
    )
    roots = ("/usr", "/var", "/t")
    assert set(listing.stdout.split()) == {
        p for p in files if p in roots or p.startswith(tuple(r + "/" for r in roots))
    }
