"""The Docker test harness: scripts/ensure-docker gives a working engine and base images.

These build real images with BuildKit (`DOCKER_BUILDKIT=1 docker build`, which the 20.10 engine
supports without buildx) and run containers from them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

BASE_IMAGES = ("debian:bookworm-slim", "python:3.11-slim", "python:3.11")
PYTHON_IMAGES = ("python:3.11-slim", "python:3.11")
STANDIN_LABEL = "org.dockopt.standin"
BUILD_TIMEOUT = 600

# A cache mount for pip (the pattern dockopt recommends), a download that bypasses every cache
# (proves a build step reaches the package index), and an import check.
DOCKERFILE = """\
FROM python:3.11-slim
RUN --mount=type=cache,target=/root/.cache/pip pip install six==1.16.0
RUN pip download --no-cache-dir --no-deps --dest /tmp/probe idna==3.7 && rm -rf /tmp/probe
RUN python -c "import six; assert six.__version__ == '1.16.0', six.__version__"
"""

# `--progress=plain` lines: "#5 [2/4] RUN --mount=..." names a step ("[stage-0 2/4]" on the 20.10
# engine, "[build 2/4]" in a named stage), "#5 CACHED" reports a cache hit.
STEP_RE = re.compile(r"^#(\d+) \[(?:\S+ )?(\d+)/(\d+)\] (.+)$", re.MULTILINE)
CACHED_RE = re.compile(r"^#(\d+) CACHED$", re.MULTILINE)


def docker(client: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([client, *args], capture_output=True, text=True, timeout=timeout, check=False)


def build(client: str, context: Path, tag: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    return subprocess.run(
        [client, "build", "--progress=plain", *extra, "-t", tag, str(context)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        env=env,
        check=False,
    )


def steps(output: str) -> dict[str, str]:
    """Build steps of a plain-progress log: vertex id -> step text ("RUN ...", "FROM ...")."""
    return {m.group(1): m.group(4) for m in STEP_RE.finditer(output)}


def cached_steps(output: str) -> set[str]:
    found = steps(output)
    return {found[vid] for vid in CACHED_RE.findall(output) if vid in found}


def inspect(client: str, image: str) -> dict[str, Any]:
    proc = docker(client, "image", "inspect", image)
    assert proc.returncode == 0, proc.stderr
    info: dict[str, Any] = json.loads(proc.stdout)[0]
    return info


@pytest.fixture
def test_tag(docker_client: str) -> Iterator[str]:
    tag = f"dockopt-it-harness:{uuid.uuid4().hex[:12]}"
    yield tag
    docker(docker_client, "image", "rm", "-f", tag)


def test_build_with_pip_cache_mount_runs_and_caches(docker_client: str, tmp_path: Path, test_tag: str) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)

    # --no-cache: every step really runs, including the network access from inside the build.
    first = build(docker_client, tmp_path, test_tag, "--no-cache")
    log = first.stdout + first.stderr
    assert first.returncode == 0, log
    assert "Successfully installed six-1.16.0" in log
    assert "Saved /tmp/probe/idna-3.7-py3-none-any.whl" in log
    run_steps = sorted(text for text in steps(log).values() if text.startswith("RUN "))
    assert len(run_steps) == 3, steps(log)
    assert not cached_steps(log) & set(run_steps), "a --no-cache build reported CACHED steps"

    image_id = inspect(docker_client, test_tag)["Id"]

    # The package imports at run time, from the image's site-packages.
    proc = docker(docker_client, "run", "--rm", test_tag, "python", "-c", "import six; print(six.__file__)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "/usr/local/lib/python3.11/site-packages/six.py"

    # python and pip resolve to /usr/local/bin for the image's default user and PATH.
    proc = docker(docker_client, "run", "--rm", test_tag, "sh", "-c", "command -v python; command -v pip; id -u")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["/usr/local/bin/python", "/usr/local/bin/pip", "0"]
    config = inspect(docker_client, test_tag)["Config"]
    assert config["User"] in ("", "root", "0")
    path = next(e.split("=", 1)[1] for e in config["Env"] if e.startswith("PATH="))
    assert path.split(":")[0] == "/usr/local/bin"

    # The pip cache lived in the cache mount, not in a layer.
    proc = docker(docker_client, "run", "--rm", test_tag, "sh", "-c", "ls -A /root/.cache/pip 2>/dev/null | wc -l")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"

    # An unchanged rebuild is served from the build cache, step by step.
    second = build(docker_client, tmp_path, test_tag)
    log2 = second.stdout + second.stderr
    assert second.returncode == 0, log2
    assert "Successfully installed" not in log2
    assert cached_steps(log2) == set(run_steps), log2
    assert inspect(docker_client, test_tag)["Id"] == image_id


def test_apt_reaches_the_debian_mirror_in_a_build(docker_client: str, tmp_path: Path, test_tag: str) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*\n"
    )
    proc = build(docker_client, tmp_path, test_tag, "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = docker(docker_client, "run", "--rm", test_tag, "jq", "-n", "1 + 1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"


def test_base_images_look_like_the_official_ones(docker_client: str) -> None:
    for image in BASE_IMAGES:
        assert docker(docker_client, "image", "inspect", image).returncode == 0, f"{image} is missing"

    script = (
        "set -e; command -v python; command -v pip; "
        "python -c 'import site, sys; print(site.getsitepackages()[0]); print(sys.version_info[:2])'; "
        "ls /usr/lib/python3*/EXTERNALLY-MANAGED /usr/local/lib/python3*/EXTERNALLY-MANAGED 2>/dev/null | wc -l"
    )
    for image in PYTHON_IMAGES:
        proc = docker(docker_client, "run", "--rm", image, "sh", "-c", script)
        assert proc.returncode == 0, f"{image}: {proc.stderr}"
        assert proc.stdout.split("\n")[:5] == [
            "/usr/local/bin/python",
            "/usr/local/bin/pip",
            "/usr/local/lib/python3.11/site-packages",
            "(3, 11)",
            "0",
        ], f"{image}: {proc.stdout}"

    # Stand-ins carry the host's CA bundle at a path of their own, for pip and other TLS clients.
    for image in BASE_IMAGES:
        info = inspect(docker_client, image)
        if STANDIN_LABEL not in (info["Config"].get("Labels") or {}):
            continue  # a real image the engine had: not ours to check
        env = dict(e.split("=", 1) for e in info["Config"]["Env"])
        if not Path("/etc/ssl/certs/ca-certificates.crt").is_file():
            continue
        for var in ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
            assert env.get(var) == "/etc/ssl/host-ca-bundle.crt", f"{image}: {var}"
        proc = docker(docker_client, "run", "--rm", image, "cat", "/etc/ssl/host-ca-bundle.crt")
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == Path("/etc/ssl/certs/ca-certificates.crt").read_text(), image


def test_ensure_docker_is_idempotent(docker_client: str, ensure_docker: Callable[[], tuple[str, float]]) -> None:
    before = {image: inspect(docker_client, image)["Id"] for image in BASE_IMAGES}
    client, _ = ensure_docker()
    assert client == docker_client
    # A second run keeps every image as it is (it neither rebuilds nor replaces any).
    assert {image: inspect(docker_client, image)["Id"] for image in BASE_IMAGES} == before
