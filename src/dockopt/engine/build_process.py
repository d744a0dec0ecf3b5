"""A build that runs in the background: what to build, its progress lines as they are printed, a way to stop it.

``dockopt build`` drives a live display from BuildKit's ``--progress=plain`` output while several images
build at once, so it needs the lines as they come rather than the whole log at the end. The docker client
runs in a process group of its own: Ctrl-C in the terminal reaches dockopt alone, and dockopt stops every
build it started (SIGINT first, which the client turns into a cancelled build, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockopt.errors import EngineError

STOP_GRACE_SECONDS = 5.0  # after SIGINT, how long the client gets to cancel the build before SIGKILL


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """One ``docker build``: the image of ``dockerfile`` (its final stage, or ``target``) under ``tags``."""

    context: Path
    dockerfile: Path
    tags: tuple[str, ...]
    build_args: Mapping[str, str] = field(default_factory=dict)
    no_cache: bool = False
    target: str | None = None


class RunningBuild(ABC):
    """A build in progress."""

    @abstractmethod
    def lines(self) -> Iterator[str]:
        """The progress lines (without line ends) as they are printed, until the build ends."""

    @abstractmethod
    def wait(self) -> int:
        """Wait for the build to end; its exit code."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the build and everything it started; ``lines`` then ends and ``wait`` returns."""


class BuildProcess(RunningBuild):
    """A docker client process building an image, its output (stdout and stderr together) on a pipe."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str]) -> None:
        try:
            self._process = subprocess.Popen(
                list(command),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env),
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,  # its own process group: a terminal's Ctrl-C goes to dockopt only
            )
        except OSError as exc:
            raise EngineError(f"cannot run {command[0]}: {exc}") from exc

    def lines(self) -> Iterator[str]:
        stdout = self._process.stdout
        assert stdout is not None  # stdout=PIPE
        for line in stdout:
            yield line.rstrip("\n")

    def wait(self) -> int:
        code = self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        return code

    def stop(self) -> None:
        if self._process.poll() is not None:
            return
        self._signal(signal.SIGINT)
        try:
            self._process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self._process.wait()

    def _signal(self, number: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # it ended in the meantime
            os.killpg(self._process.pid, number)
