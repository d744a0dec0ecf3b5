"""`dockopt init` on six sample projects (tests/integration/init_projects/), against a real Docker engine.

For each sample, copied with the clutter real trees have (a virtualenv, bytecode, an .env file,
model weights), init writes the setup twice:

- on python:3.11-slim, a stand-in built here that has no registry digest: the FROM keeps the tag
  with a `dockopt: ignore=DO301` line; `dockopt lint` reports no warning or error, and `dockopt
  verify` (default policy) finds every requirement met but `base-digests`;
- with `--base-image localhost:5000/python:3.11-slim`, the same image pushed to the local registry
  scripts/ensure-registry runs: the FROM lines pin the digest the engine recorded, nothing is
  suppressed, lint reports no warning or error, and verify scores 100.0 with `base-digests` met.

The pinned image builds (BuildKit resolves the digest reference), runs as UID 10001 without pip and
without the clutter, and answers its health check (the services) or runs `--help` (the programs);
the tag-only Dockerfile builds too.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.commands.verify import VerifyOptions, run_verify
from dockopt.engine import DockerCLI

pytestmark = pytest.mark.integration

SAMPLES_ROOT = Path(__file__).resolve().parent / "init_projects"
HEALTHY_WITHIN = 120  # seconds, with the health check run every 2 s


@dataclass(frozen=True)
class Sample:
    name: str
    options: tuple[str, ...]
    service: bool  # answers a health check; otherwise a program run with --help
    entry: str  # what init must find to run


SAMPLES = [
    Sample("fastapi-app", (), True, "the FastAPI app `app` in app/main.py, served by uvicorn"),
    Sample("cli-tool", (), False, "the console script `wordcount`"),
    Sample("worker", (), False, "the script worker.py"),
    Sample("uv-job", (), False, "the package `uvjob`"),
    Sample("poetry-flask", (), True, "the Flask app `app` in notes_api/app.py, served by gunicorn"),
    Sample("ml-inference", ("--port", "8080"), True, "the package `sentiment`"),
]
CLUTTER = {
    ".venv/pyvenv.cfg": b"home = /usr/bin\n",
    ".venv/lib/python3.11/site-packages/leftover.py": b"x = 1\n",
    "cache/__pycache__/old.cpython-311.pyc": b"\x00" * 64,
    ".env": b"API_TOKEN=do-not-ship\n",
    "models/checkpoint.pt": os.urandom(64 * 1024),
}


@pytest.fixture(scope="module")
def engine(docker_client: str) -> DockerCLI:
    return DockerCLI(docker_client)


@pytest.fixture(autouse=True)
def cli_uses_the_same_client(docker_client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """init asks the engine for digests through DOCKOPT_DOCKER: the client ensure-docker vouched for."""
    monkeypatch.setenv("DOCKOPT_DOCKER", docker_client)


@pytest.fixture
def image_tag(engine: DockerCLI) -> Iterator[str]:
    tag = f"dockopt-it-init:{uuid.uuid4().hex[:12]}"
    yield tag
    engine.remove_image(tag)


def copy_sample(sample: Sample, destination: Path) -> Path:
    shutil.copytree(SAMPLES_ROOT / sample.name, destination, ignore=shutil.ignore_patterns("__pycache__"))
    for name, data in CLUTTER.items():
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        (destination / name).write_bytes(data)
    return destination


def dockopt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def verify_report(project: Path) -> dict[str, object]:
    """`dockopt verify --format json PROJECT` with the default policy."""
    buffer = io.StringIO()
    assert run_verify(VerifyOptions(str(project), output_format="json"), buffer) == 0
    report: dict[str, object] = json.loads(buffer.getvalue())
    return report


def unmet(report: dict[str, object]) -> set[str]:
    requirements = report["requirements"]
    assert isinstance(requirements, list)
    return {r["id"] for r in requirements if r["status"] not in ("compliant", "not-applicable")}


def docker(client: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([client, *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_init_writes_a_setup_that_lints_clean_verifies_builds_and_runs(
    sample: Sample, engine: DockerCLI, docker_client: str, registry_python_slim: str, image_tag: str, tmp_path: Path
) -> None:
    # Where the engine knows no registry digest for the base (the python:3.11-slim stand-in was built here, not
    # pulled), the FROM keeps the tag, says how to pin it and suppresses DO301: lint is clean, and verify's
    # base-digests requirement is the one left unmet.
    project = copy_sample(sample, tmp_path / sample.name)
    code, output = dockopt("init", *sample.options, str(project))
    assert code == 0, output
    assert sample.entry in output
    for written in (".dockerignore", "Dockerfile", "docker-bake.hcl", ".github/workflows/docker.yml"):
        assert f"wrote {project / written}" in output
    assert_lint_clean(project)
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    report = verify_report(project)
    if re.search(r"^FROM \S+@sha256:", dockerfile, re.MULTILINE):  # an engine that pulled the real image
        assert report["score"] == 100.0
    else:
        assert "# dockopt: ignore=DO301\nFROM python:3.11-slim AS runtime" in dockerfile
        assert unmet(report) == {"base-digests"}, report["gaps"]

    # On the same image pushed to the local registry, whose digest the engine then knows: pinned by that digest,
    # nothing suppressed, lint clean, 100% on the default policy; the image builds and runs.
    pinned = copy_sample(sample, tmp_path / "pinned" / sample.name)
    code, output = dockopt("init", "--base-image", registry_python_slim, *sample.options, str(pinned))
    assert code == 0, output
    digest = registry_digest(engine, registry_python_slim)
    text = (pinned / "Dockerfile").read_text(encoding="utf-8")
    for stage in ("builder", "runtime"):
        assert f"\nFROM {registry_python_slim}@{digest} AS {stage}\n" in text
    assert "dockopt: ignore" not in text
    assert f"PYTHON_IMAGE={registry_python_slim}@{digest}" in (pinned / "docker/versions.txt").read_text()
    assert_lint_clean(pinned)
    pinned_report = verify_report(pinned)
    assert pinned_report["score"] == 100.0, pinned_report["gaps"]
    assert requirement_status(pinned_report, "base-digests") == "compliant"

    result = engine.build(pinned, pinned / "Dockerfile", image_tag)
    assert result.ok, f"{sample.name} does not build on {registry_python_slim}@{digest}:\n{result.tail(40)}"
    assert_runs(sample, docker_client, image_tag)

    # The Dockerfile with the tag builds too (the same base image, so mostly from the cache).
    unpinned_tag = f"{image_tag}-tag"
    try:
        result = engine.build(project, project / "Dockerfile", unpinned_tag)
        assert result.ok, f"{sample.name} does not build on python:3.11-slim:\n{result.tail(40)}"
    finally:
        engine.remove_image(unpinned_tag)


def assert_lint_clean(project: Path) -> None:
    code, output = dockopt("lint", "--format", "json", str(project))
    findings = json.loads(output)["findings"]
    assert [f for f in findings if f["severity"] in ("warning", "error")] == [], findings
    assert code == 0


def registry_digest(engine: DockerCLI, reference: str) -> str:
    """The digest the engine recorded for ``reference`` in its registry (localhost:5000)."""
    repository = reference.rsplit(":", 1)[0]
    digests = [d.split("@", 1)[1] for d in engine.inspect(reference).repo_digests if d.startswith(f"{repository}@")]
    assert digests, f"the engine has no registry digest for {reference}"
    return digests[0]


def requirement_status(report: dict[str, object], requirement: str) -> str:
    requirements = report["requirements"]
    assert isinstance(requirements, list)
    return next(str(r["status"]) for r in requirements if r["id"] == requirement)


def assert_runs(sample: Sample, docker_client: str, image_tag: str) -> None:
    """As UID/GID 10001, without pip or the clutter; healthy (a service) or `--help` (a program)."""
    probe = docker(
        docker_client,
        "run", "--rm", "--entrypoint", "python", image_tag, "-c",
        "import importlib.util, os; print(os.getuid(), os.getgid(), importlib.util.find_spec('pip') is None); "
        "print(*(os.path.relpath(os.path.join(d, f), '/app') for d, _, fs in os.walk('/app') for f in fs))",
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    ids, *listing = probe.stdout.splitlines()
    assert ids == "10001 10001 True"  # the app's user, and no pip in the runtime virtualenv
    files = set(listing[0].split()) if listing else set()
    assert not files & {*CLUTTER, "Dockerfile", "docker-bake.hcl", ".github/workflows/docker.yml"}, files
    if sample.service:
        assert_healthy(docker_client, image_tag)
    else:
        run = docker(docker_client, "run", "--rm", image_tag, "--help")
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("usage: ")


def assert_healthy(client: str, tag: str) -> None:
    """Start the image with its own HEALTHCHECK, run every 2 s, and wait for the engine to call it healthy."""
    name = f"dockopt-it-init-{uuid.uuid4().hex[:12]}"
    started = docker(client, "run", "-d", "--name", name, "--health-interval=2s", tag)
    assert started.returncode == 0, started.stderr
    try:
        status = ""
        deadline = time.monotonic() + HEALTHY_WITHIN
        while time.monotonic() < deadline:
            state = docker(client, "inspect", "-f", "{{.State.Status}} {{.State.Health.Status}}", name)
            status = state.stdout.strip()
            if status in ("running healthy", "running unhealthy") or not status.startswith("running"):
                break
            time.sleep(1)
        logs = docker(client, "logs", name)
        assert status == "running healthy", f"{tag}: {status}\n{logs.stdout}{logs.stderr}"
    finally:
        docker(client, "rm", "-f", name)
