"""Fixtures for tests that need a real Docker engine.

`scripts/ensure-docker` provides the engine and the base images (stand-ins built locally when
they cannot be pulled). If it fails, the tests fail: they never skip because Docker is missing.
`scripts/ensure-registry` provides a local registry (localhost:5000) for tests that need base
images with a registry digest; the same holds for it.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ENSURE_DOCKER = REPO_ROOT / "scripts" / "ensure-docker"
ENSURE_REGISTRY = REPO_ROOT / "scripts" / "ensure-registry"
REGISTRY_PYTHON_SLIM = "localhost:5000/python:3.11-slim"
# Building every stand-in from scratch (debootstrap + three images) takes about a minute here;
# leave room for a slow mirror.
ENSURE_DOCKER_TIMEOUT = 1200


def run_ensure_docker() -> tuple[str, float]:
    """Run scripts/ensure-docker; return the docker client it prints and the seconds it took."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [str(ENSURE_DOCKER)],
            capture_output=True,
            text=True,
            timeout=ENSURE_DOCKER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        pytest.fail(f"scripts/ensure-docker did not finish within {ENSURE_DOCKER_TIMEOUT}s:\n{stderr}")
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        pytest.fail(f"scripts/ensure-docker failed (exit {proc.returncode}); Docker tests cannot run:\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    if not lines or not Path(lines[-1]).is_absolute():
        pytest.fail(f"scripts/ensure-docker printed no docker client path:\n{proc.stdout}\n{proc.stderr}")
    return lines[-1], elapsed


@pytest.fixture(scope="session")
def ensure_docker() -> Callable[[], tuple[str, float]]:
    """Runs scripts/ensure-docker again (for tests of the harness itself)."""
    return run_ensure_docker


@pytest.fixture(scope="session")
def docker_client() -> str:
    """Path of the docker client talking to a live engine that has the base images."""
    client, _ = run_ensure_docker()
    return client


@pytest.fixture(scope="session")
def registry_python_slim(docker_client: str) -> str:
    """``localhost:5000/python:3.11-slim``: the python:3.11-slim stand-in, pushed to the local registry that
    scripts/ensure-registry starts, so the engine knows its registry digest (RepoDigests)."""
    try:
        proc = subprocess.run(
            [str(ENSURE_REGISTRY), "python:3.11-slim"],
            capture_output=True,
            text=True,
            timeout=ENSURE_DOCKER_TIMEOUT,
            check=False,
            env={**os.environ, "DOCKOPT_DOCKER": docker_client},
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr
        pytest.fail(f"scripts/ensure-registry did not finish within {ENSURE_DOCKER_TIMEOUT}s:\n{stderr}")
    if proc.returncode != 0:
        pytest.fail(f"scripts/ensure-registry failed (exit {proc.returncode}):\n{proc.stderr}")
    if not proc.stdout.startswith("localhost:5000/python@sha256:"):
        pytest.fail(f"scripts/ensure-registry printed no digest reference:\n{proc.stdout}\n{proc.stderr}")
    return REGISTRY_PYTHON_SLIM
