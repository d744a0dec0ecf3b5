"""DO301's fix: base images pinned with the local engine's digests, only while `dockopt fix` runs.

The engine is a fake here (tests/integration/test_runtime_fixes.py asks a real one).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from dockopt.commands.fix import FixOptions, run_fix
from dockopt.commands.lint import LintOptions
from dockopt.config import Config
from dockopt.engine import BuildResult, Engine, Entry, ImageInfo
from dockopt.errors import EngineError
from dockopt.fix import fix_text
from dockopt.lint import lint_text
from dockopt.rules._digests import DigestAnswer, LocalDigests, current_source, digests_from, repository_of

DO301 = Config(select=("DO301",))
DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


class DigestEngine(Engine):
    """Knows images by reference and their RepoDigests; builds nothing."""

    def __init__(self, images: Mapping[str, tuple[str, ...]], fails: str | None = None) -> None:
        self.images = images
        self.fails = fails  # an engine error for every request
        self.asked: list[str] = []

    def inspect(self, image: str) -> ImageInfo:
        self.asked.append(image)
        if self.fails is not None:
            raise EngineError(self.fails)
        if image not in self.images:
            raise EngineError(f"the engine has no image {image}: Error: No such image: {image}")
        return ImageInfo(f"sha256:{len(image)}", 1000, (image,), self.images[image])

    def build(
        self,
        context: Path,
        dockerfile: Path,
        tag: str,
        build_args: Mapping[str, str] | None = None,
        no_cache: bool = False,
        target: str | None = None,
    ) -> BuildResult:
        raise AssertionError("nothing is built")

    def remove_image(self, image: str) -> None:
        raise AssertionError("nothing is removed")

    def image_filesystem(self, image: str) -> dict[str, Entry]:
        raise AssertionError("no filesystem is read")


def test_lint_asks_no_engine_and_offers_no_fix() -> None:
    assert current_source() is None
    [finding] = lint_text("FROM python:3.11-slim\n", DO301).findings
    assert finding.fix is None
    assert "no digest known" not in finding.message
    assert finding.message.endswith("write python:3.11-slim@sha256:<digest>")


def test_known_digest_is_appended_and_the_tag_kept() -> None:
    text = "FROM python:3.11-slim AS build\nRUN true\nFROM build AS test\nFROM  gcr.io/distroless/python3:nonroot\n"
    answers = {"python:3.11-slim": DIGEST, "gcr.io/distroless/python3:nonroot": OTHER}
    with digests_from(lambda reference: DigestAnswer(answers[reference])):
        outcome = fix_text(text, DO301)
        again = fix_text(outcome.text, DO301)
    assert outcome.text == (
        f"FROM python:3.11-slim@{DIGEST} AS build\nRUN true\nFROM build AS test\n"
        f"FROM  gcr.io/distroless/python3:nonroot@{OTHER}\n"
    )
    assert [f.fix.description for f in outcome.applied if f.fix] == [
        "pin python:3.11-slim to its digest abababababab…",
        "pin gcr.io/distroless/python3:nonroot to its digest cdcdcdcdcdcd…",
    ]
    assert again.text == outcome.text and not again.remaining


def test_a_fix_that_changes_the_image_goes_first_and_the_new_tag_is_pinned() -> None:
    answers = {"python:3.11": OTHER, "python:3.11-slim": DIGEST}
    config = Config(select=("DO301", "DO212"))
    with digests_from(lambda reference: DigestAnswer(answers[reference])):
        assert fix_text("FROM python:3.11\n", config, unsafe=True).text == f"FROM python:3.11-slim@{DIGEST}\n"
        assert fix_text("FROM python:3.11\n", config).text == f"FROM python:3.11@{OTHER}\n"  # safe fixes only


def test_unknown_digest_says_why_and_what_to_do() -> None:
    reason = "the local image python:3.11-slim has no registry digest (it was built or loaded here, not pulled)"
    with digests_from(lambda reference: DigestAnswer(None, reason)):
        [finding] = lint_text("FROM python:3.11-slim\n", DO301).findings
    assert finding.fix is None
    assert finding.message.endswith(
        f"; no digest known: {reason}: `docker pull python:3.11-slim` then rerun, or pin it by hand"
    )


def test_reference_with_build_arguments_is_not_pinned() -> None:
    asked: list[str] = []

    def source(reference: str) -> DigestAnswer:
        asked.append(reference)
        return DigestAnswer(DIGEST)

    text = "ARG PY=3.11\nFROM python:${PY}-slim\n"
    with digests_from(source):
        [finding] = lint_text(text, DO301).findings
    assert finding.fix is None and asked == []
    assert "no digest known" not in finding.message


def test_local_digests_match_the_repository_of_the_tag() -> None:
    engine = DigestEngine(
        {
            "python:3.11-slim": (f"mirror.example.com/python@{OTHER}", f"python@{DIGEST}"),
            "docker.io/library/debian:bookworm-slim": (f"debian@{DIGEST}",),
            "localhost:5000/team/base:1": (f"localhost:5000/team/base@{OTHER}",),
            "stand-in:1": (),
            "retagged:1": (f"python@{DIGEST}",),
        }
    )
    lookup = LocalDigests(engine)
    assert lookup("python:3.11-slim") == DigestAnswer(DIGEST)
    assert lookup("docker.io/library/debian:bookworm-slim") == DigestAnswer(DIGEST)
    assert lookup("localhost:5000/team/base:1") == DigestAnswer(OTHER)
    assert lookup("stand-in:1").digest is None
    assert "has no registry digest" in lookup("stand-in:1").reason
    assert lookup("retagged:1").digest is None  # a digest of another repository pins nothing here
    assert lookup("python:3.12-slim") == DigestAnswer(None, "the local engine has no image python:3.12-slim")
    lookup("python:3.11-slim")
    assert engine.asked.count("python:3.11-slim") == 1  # each reference is asked once


def test_an_engine_that_does_not_answer_is_asked_once() -> None:
    engine = DigestEngine({}, fails="no Docker engine answers `docker version`: Cannot connect")
    lookup = LocalDigests(engine)
    first, second = lookup("python:3.11-slim"), lookup("debian:bookworm-slim")
    assert first.digest is None and second.digest is None
    assert first.reason.startswith("no Docker engine answered (no Docker engine answers")
    assert engine.asked == ["python:3.11-slim"]


@pytest.mark.parametrize(
    ("reference", "repository"),
    [
        ("python", "docker.io/library/python"),
        ("python:3.11@sha256:00", "docker.io/library/python"),
        ("index.docker.io/library/python:3", "docker.io/library/python"),
        ("nvidia/cuda:12.1.1-runtime-ubuntu22.04", "docker.io/nvidia/cuda"),
        ("localhost:5000/app:1", "localhost:5000/app"),
        ("ghcr.io/astral-sh/uv:latest", "ghcr.io/astral-sh/uv"),
    ],
)
def test_repository_names_are_normalised(reference: str, repository: str) -> None:
    assert repository_of(reference) == repository


def test_dockopt_fix_pins_with_the_local_engine_and_only_while_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM python:3.11-slim\nCMD ["python"]\n', encoding="utf-8")
    engine = DigestEngine({"python:3.11-slim": (f"python@{DIGEST}",)})
    monkeypatch.setattr(LocalDigests, "_client", lambda self: engine)  # the docker client, when no engine is given
    options = FixOptions(LintOptions(paths=(str(dockerfile),), select=("DO301",), isolated=True), write=True)

    code = run_fix(options, io.StringIO(), io.StringIO())

    assert dockerfile.read_text(encoding="utf-8") == f'FROM python:3.11-slim@{DIGEST}\nCMD ["python"]\n'
    assert engine.asked == ["python:3.11-slim"]
    assert code == 0
    assert current_source() is None
    assert lint_text(dockerfile.read_text(encoding="utf-8"), DO301).findings == []
