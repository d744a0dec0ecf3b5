"""The browser for the HTML report's tests: `scripts/ensure-chromium` provides it (installing Debian's
chromium as root on Debian). If it fails, the tests fail: they never skip because a browser is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ENSURE_CHROMIUM = Path(__file__).resolve().parents[2] / "scripts" / "ensure-chromium"
ENSURE_TIMEOUT = 900  # an apt-get install of chromium and its libraries on a slow mirror


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a Chromium that starts (`--version` answered)."""
    try:
        proc = subprocess.run(
            [str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=ENSURE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"scripts/ensure-chromium did not finish within {ENSURE_TIMEOUT}s")
    if proc.returncode != 0:
        pytest.fail(
            f"scripts/ensure-chromium failed (exit {proc.returncode}); the browser tests cannot run:\n{proc.stderr}"
        )
    lines = proc.stdout.strip().splitlines()
    if not lines or not Path(lines[-1]).is_absolute():
        pytest.fail(f"scripts/ensure-chromium printed no browser path:\n{proc.stdout}\n{proc.stderr}")
    return lines[-1]
