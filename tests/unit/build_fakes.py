"""A recorded engine for the build tests: each build replays a progress log recorded from Docker 20.10.

tests/fixtures/build-logs/ holds the logs (`DOCKER_BUILDKIT=1 docker build --progress=plain`, Docker 20.10.24):
a build with its first steps cached, a rebuild after a code change, and a build whose `pip install` fails.
Which log a build replays is decided per image by the test; a build can be held at a gate to see which
builds run at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dockopt.engine.base import ImageInfo
from dockopt.engine.build_process import BuildRequest, RunningBuild
from dockopt.errors import EngineError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "build-logs"
COLD = (FIXTURES / "docker-20.10-cold.log").read_text(encoding="utf-8")
CODE_CHANGE = (FIXTURES / "docker-20.10-code-change.log").read_text(encoding="utf-8")
PIP_FAILURE = (FIXTURES / "docker-20.10-pip-failure.log").read_text(encoding="utf-8")


class ReplayedBuild(RunningBuild):
    def __init__(self, engine: RecordedEngine, request: BuildRequest, log: str, code: int) -> None:
        self.engine = engine
        self.request = request
        self.log = log
        self.code = code
        self.stopped = threading.Event()

    def lines(self) -> Iterator[str]:
        with self.engine.lock:
            self.engine.running += 1
            self.engine.most_at_once = max(self.engine.most_at_once, self.engine.running)
        try:
            for line in self.log.splitlines():
                if self.stopped.is_set():
                    return
                yield line
            gate = self.engine.gates.get(self.request.tags[0])
            if gate is not None:  # wait for the test, or for stop()
                while not gate.wait(0.01) and not self.stopped.is_set():
                    pass
        finally:
            with self.engine.lock:
                self.engine.running -= 1

    def wait(self) -> int:
        return 130 if self.stopped.is_set() else self.code

    def stop(self) -> None:
        self.engine.stopped.append(self.request.tags[0])
        self.stopped.set()


@dataclass
class RecordedEngine:
    """Builds replay ``log_for(request)``: (log, exit code); COLD and 0 by default."""

    log_for: Callable[[BuildRequest], tuple[str, int]] = lambda _request: (COLD, 0)
    present: set[str] = field(default_factory=set)  # references the engine has before any build
    gates: dict[str, threading.Event] = field(default_factory=dict)  # by first tag
    requests: list[BuildRequest] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    running: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_to_start: bool = False

    def start_build(self, request: BuildRequest) -> RunningBuild:
        if self.fail_to_start:
            raise EngineError("no Docker engine answers")
        with self.lock:
            self.requests.append(request)
        log, code = self.log_for(request)
        if code == 0:
            self.present.update(request.tags)
        return ReplayedBuild(self, request, log, code)

    def inspect(self, image: str) -> ImageInfo:
        if image not in self.present:
            raise EngineError(f"the engine has no image {image}")
        return ImageInfo(id=f"sha256:{abs(hash(image)):064x}"[:71], size=1000, tags=(image,))

    def built(self) -> list[str]:
        """First tags of the builds started, in order."""
        return [r.tags[0] for r in self.requests]
