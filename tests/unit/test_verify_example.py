"""`dockopt verify examples/ml-pipeline` with the built-in policy: statuses that examples/ml-pipeline/EXPECTED.md
confirms (its rows are cited), the presence-vs-effect list, a stable output, and evidence links that resolve."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from dockopt.commands.verify import VerifyOptions, run_verify
from dockopt.verify.evaluate import evaluate
from dockopt.verify.policy import load_policy
from dockopt.verify.report import RequirementResult, Status, VerifyReport

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ml-pipeline"


@pytest.fixture(scope="module")
def report() -> VerifyReport:
    return evaluate(EXAMPLE, "examples/ml-pipeline", load_policy(None))


def _requirement(report: VerifyReport, rid: str) -> RequirementResult:
    return next(r for r in report.requirements if r.requirement.id == rid)


def _failing(result: RequirementResult) -> set[tuple[str | None, int | None]]:
    return {(e.file, e.line) for e in result.evidence if not e.ok}


def _passing(result: RequirementResult) -> set[tuple[str | None, int | None]]:
    return {(e.file, e.line) for e in result.evidence if e.ok}


def test_cache_mounts_defeated_by_the_inherited_env(report: VerifyReport) -> None:
    result = _requirement(report, "cache-mounts")
    assert result.status is Status.PARTLY
    # A rows 5-7: DO103 at ml:10, asr:13, export:10; B: DO102 at cuda:14, diarize:6, train:11
    assert {
        ("docker/base/ml/Dockerfile", 10),
        ("docker/stages/asr/Dockerfile", 13),
        ("docker/stages/export/Dockerfile", 10),
        ("docker/base/cuda/Dockerfile", 14),
        ("docker/stages/diarize/Dockerfile", 6),
        ("docker/stages/train/Dockerfile", 11),
    } <= _failing(result)
    # C: the mounts that work: cpu:13 and :21, align:9 and :14, ingest:9, train:24
    assert _passing(result) == {
        ("docker/base/cpu/Dockerfile", 13),
        ("docker/base/cpu/Dockerfile", 21),
        ("docker/stages/align/Dockerfile", 9),
        ("docker/stages/align/Dockerfile", 14),
        ("docker/stages/ingest/Dockerfile", 9),
        ("docker/stages/train/Dockerfile", 24),
    }
    gaps = [g for g in report.presence_gaps if g.requirement == "cache-mounts"]
    assert {(g.ineffective[0].file, g.ineffective[0].line) for g in gaps} == {
        ("docker/base/ml/Dockerfile", 10),
        ("docker/stages/asr/Dockerfile", 13),
        ("docker/stages/export/Dockerfile", 10),
    }
    for gap in gaps:  # each names where PIP_NO_CACHE_DIR comes from: docker/base/cuda/Dockerfile:10
        assert ("docker/base/cuda/Dockerfile", 10) in {(e.file, e.line) for e in gap.ineffective}


def test_heavy_packages_reinstalled_in_asr(report: VerifyReport) -> None:
    result = _requirement(report, "heavy-packages-once")
    assert result.status is Status.PARTLY  # torch, torchaudio once in the cpu hierarchy; twice in the cuda one
    assert _failing(result) == {("docker/stages/asr/Dockerfile", 13)}  # A row 8
    gaps = [g for g in report.presence_gaps if g.requirement == "heavy-packages-once"]
    assert {g.title.split()[0] for g in gaps} == {"torch", "torchaudio"}
    for gap in gaps:
        assert {(e.file, e.line) for e in gap.present} == {("docker/base/ml/Dockerfile", 10)}


def test_versions_file_contradicted(report: VerifyReport) -> None:
    result = _requirement(report, "versions-file")
    assert result.status is Status.PARTLY
    # A rows 9 and 10: torch/torchaudio 2.1.0 in asr, numpy 1.24.3 in requirements/align.txt
    assert _failing(result) == {("docker/stages/asr/Dockerfile", 13), ("requirements/align.txt", 2)}
    assert ("docker/versions.txt", 3) in _passing(result)  # BASE_TAG agrees with every ARG default
    titles = {g.title for g in report.presence_gaps if g.requirement == "versions-file"}
    assert "docker/versions.txt pins NUMPY_VERSION=1.26.4, but the repository uses another version" in titles


def test_build_order_and_the_sed_that_matches_nothing(report: VerifyReport) -> None:
    result = _requirement(report, "build-order")
    assert result.status is Status.PARTLY
    assert _failing(result) == {("scripts/build_all.sh", 19), ("scripts/build_all.sh", 15)}  # A rows 34, 35
    assert ("scripts/build_all.sh", 27) in _passing(result)  # C: summarize/train/export after ml-base
    (gap,) = [g for g in report.presence_gaps if g.requirement == "build-order"]
    assert {(e.file, e.line) for e in gap.present} == {("scripts/build_all.sh", 15)}


def test_dockerignore_present_but_root_only(report: VerifyReport) -> None:
    result = _requirement(report, "build-context")
    assert result.status is Status.NOT
    assert _failing(result) == {(".dockerignore", 4), (".dockerignore", 5)}  # A rows 32, 33
    assert any(g.requirement == "build-context" for g in report.presence_gaps)  # C: the file exists (no DO601)


def test_non_root_healthcheck_and_digests(report: VerifyReport) -> None:
    non_root = _requirement(report, "non-root")
    assert non_root.fraction == "3/7 final images"
    # C: ingest:16, align:21, asr:20 run as their users; A row 20 and B: summarize, diarize, train, export do not
    assert _passing(non_root) == {
        ("docker/stages/ingest/Dockerfile", 16),
        ("docker/stages/align/Dockerfile", 21),
        ("docker/stages/asr/Dockerfile", 20),
    }
    assert {f for f, _ in _failing(non_root)} == {
        f"docker/stages/{name}/Dockerfile" for name in ("summarize", "diarize", "train", "export")
    }
    healthcheck = _requirement(report, "healthcheck")
    assert healthcheck.fraction == "0/1 service images"  # A row 21: summarize EXPOSEs 8000 without HEALTHCHECK
    assert _failing(healthcheck) == {("docker/stages/summarize/Dockerfile", 25)}
    digests = _requirement(report, "base-digests")
    assert digests.status is Status.NOT
    # B: DO301 on cpu:2, cuda:2, train:4
    assert {("docker/base/cpu/Dockerfile", 2), ("docker/base/cuda/Dockerfile", 2), ("docker/stages/train/Dockerfile", 4)} <= _failing(digests)


def test_other_statuses(report: VerifyReport) -> None:
    layer = _requirement(report, "layer-order")
    assert _failing(layer) == {("docker/stages/diarize/Dockerfile", 11), ("docker/stages/train/Dockerfile", 7)}  # A 11, 24
    assert ("docker/stages/ingest/Dockerfile", None) in _passing(layer)  # C: the model stage
    assert _requirement(report, "python-env").status is Status.COMPLIANT  # C: DO503 silent everywhere
    assert _requirement(report, "base-hierarchy").status is Status.COMPLIANT  # every stage is on a repo base
    assert _failing(_requirement(report, "docs-match")) == {("README.md", 20)}  # A row 36
    for rid in ("code-change-rebuild", "wasted-space", "image-size"):
        assert _requirement(report, rid).status is Status.NOT_APPLICABLE  # no results file
    assert report.score is not None and 0 < report.score < 100
    assert [g.requirement for g in report.gaps][:1] != []
    assert report.problems == []


def _render(fmt: str, output: Path | None = None) -> str:
    stream = io.StringIO()
    options = VerifyOptions("examples/ml-pipeline", output_format=fmt, output=str(output) if output else None)
    assert run_verify(options, stream, io.StringIO()) == 0
    return output.read_text(encoding="utf-8") if output else stream.getvalue()


def test_output_is_stable_and_links_resolve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    first, second = _render("md"), _render("md")
    assert first == second
    assert _render("json") == _render("json")
    for section in ("## Scores by category", "## Requirements", "## Gap analysis", "## Present but not effective"):
        assert section in first
    written = _render("md", tmp_path / "out" / "report.md")
    links = re.findall(r"\]\(([^)#]+)(?:#L(\d+))?\)", written)
    assert links
    for target, line in links:
        path = (tmp_path / "out" / target).resolve()
        assert path.is_file(), target
        if line:
            assert int(line) <= len(path.read_text(encoding="utf-8").splitlines())
