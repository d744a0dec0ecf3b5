"""Fixtures for tests that need a real Docker engine.

`scripts/ensure-docker` provides the engine and the base images (stand-ins built locally when
they cannot be pulled). If it fails, the tests fail: they never skip because Docker is missing.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ENSURE_DOCKER = REPO_ROOT / "scripts" / "ensure-docker"
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
