"""The fixes of DO301, DO401 and DO503 against a real Docker engine.

DO301 asks the engine for the digest of a base image's tag: the stand-ins scripts/ensure-docker builds
have no registry digest, so there the finding must say why no digest is known (the pinning itself is
tested with a fake engine in tests/unit/test_digest_pinning.py). DO401's and DO503's fixes must build,
pass --verify-build, and give a container that runs as UID 10001 with the two variables set.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.config import Config
from dockopt.engine import DockerCLI
from dockopt.lint import lint_text
from dockopt.rules._digests import LocalDigests, digests_from, repository_of

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def cli_uses_the_same_client(docker_client: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKOPT_DOCKER", docker_client)


@pytest.fixture
def engine(docker_client: str) -> DockerCLI:
    return DockerCLI(docker_client)


@pytest.fixture
def scratch_tag(engine: DockerCLI) -> Iterator[str]:
    tag = f"dockopt-it-runtime:{uuid.uuid4().hex[:12]}"
    yield tag
    engine.remove_image(tag)


def test_do301_says_why_the_local_engine_knows_no_digest(engine: DockerCLI) -> None:
    info = engine.inspect("python:3.11-slim")
    pulled = [d for d in info.repo_digests if repository_of(d) == "docker.io/library/python"]
    with digests_from(LocalDigests(engine)):
        findings = lint_text(
            "FROM python:3.11-slim\nFROM python:3.11-slim-dockopt-missing\n", Config(select=("DO301",))
        )
    present, missing = findings.findings
    if pulled:  # an engine that pulled the real image knows its digest: the fix pins it
        assert present.fix is not None
        assert present.fix.edits[0].text == "python:3.11-slim@" + pulled[0].partition("@")[2]
    else:  # a stand-in, built here
        assert present.fix is None
        assert (
            "no digest known: the local image python:3.11-slim has no registry digest (it was built or loaded "
            "here, not pulled): `docker pull python:3.11-slim` then rerun, or pin it by hand" in present.message
        )
    assert missing.fix is None
    assert "no digest known: the local engine has no image python:3.11-slim-dockopt-missing" in missing.message


def test_do401_and_do503_fixes_build_and_the_container_runs_unprivileged(
    docker_client: str, engine: DockerCLI, scratch_tag: str, tmp_path: Path
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "__main__.py").write_text(
        "import os, pathlib\n"
        "pathlib.Path('state.txt').write_text('ok')  # the WORKDIR is the application's\n"
        "print(os.getuid(), os.getgid(), os.environ['PYTHONUNBUFFERED'], os.environ['PYTHONDONTWRITEBYTECODE'])\n",
        encoding="utf-8",
    )
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        'FROM python:3.11-slim\nWORKDIR /srv/app\nCOPY app/ app/\nCMD ["python", "-m", "app"]\n', encoding="utf-8"
    )

    command = ["fix", "--verify-build", "--write", "--unsafe-fixes", "--isolated", "--select", "DO401,DO503"]
    result = CliRunner().invoke(main, [*command, str(dockerfile)])

    assert result.exit_code == 0, result.output
    assert "safe fixes: passed" in result.output and "verification: passed" in result.output, result.output
    assert "changed  /srv/app: owner 0:0 -> 10001:10001" in result.output  # what the unsafe fix declares, observed
    assert "USER app\n" in dockerfile.read_text(encoding="utf-8")
    build = engine.build(tmp_path, dockerfile, scratch_tag)
    assert build.ok, build.tail(40)
    run = subprocess.run(
        [docker_client, "run", "--rm", scratch_tag], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["10001", "10001", "1", "1"]
