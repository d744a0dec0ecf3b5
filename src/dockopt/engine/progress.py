"""BuildKit's ``--progress=plain`` output -> the build's steps, with status and duration.

The plain printer writes one block per vertex (a Dockerfile step or an internal one), blocks of
steps that run in parallel interleaved::

    #8 [builder 4/6] RUN pip install -r requirements.txt
    #8 sha256:1ce95cefd62f...         (the Docker 20.10 client only)
    #8 0.546 Collecting six==1.16.0    (output: seconds since the step started, then the text)
    #8 DONE 0.7s                       (or "#8 CACHED", "#8 ERROR: <message>", "#8 CANCELED")

A vertex's name line is printed again when its output resumes after another vertex's. Lines that do
not start with ``#N`` (the error summary at the end) belong to no step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

_LINE = re.compile(r"^#(\d+) (.*)$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_DONE = re.compile(r"^DONE(?: (\d+(?:\.\d+)?)s)?$")
_ERROR = re.compile(r"^ERROR(?:: (.*))?$")
_TIMESTAMP = re.compile(r"^\d+\.\d+ ")
# "[2/6] RUN ...", "[stage-0 2/6] ...", "[builder 2/6] ...", "[linux/amd64 builder 2/6] ..."
_DOCKERFILE_STEP = re.compile(r"^\[(?:(?P<label>[^\]]*) )?(?P<index>\d+)/(?P<total>\d+)\] (?P<instruction>.+)$")


class StepStatus(Enum):
    DONE = "done"
    CACHED = "cached"
    ERROR = "error"
    CANCELED = "canceled"
    RUNNING = "running"  # no final line: the output was cut short


@dataclass(frozen=True, slots=True)
class BuildStep:
    """One vertex of the build: a Dockerfile step (``[2/6] RUN ...``) or an internal one."""

    vertex: int
    name: str  # as printed: "[builder 2/6] RUN pip install ...", "[internal] load build context"
    status: StepStatus
    seconds: float | None = None  # from the DONE line; BuildKit prints none for cached, failed or canceled steps
    error: str | None = None
    output: tuple[str, ...] = ()  # the step's own lines, without the vertex number and timestamp

    @property
    def cached(self) -> bool:
        return self.status is StepStatus.CACHED

    @property
    def instruction(self) -> str | None:
        """``RUN pip install ...`` for a Dockerfile step; None for an internal vertex."""
        match = _DOCKERFILE_STEP.match(self.name)
        return match.group("instruction") if match else None

    @property
    def stage(self) -> str | None:
        """The stage label BuildKit prints (``builder``, ``stage-0``); None when it prints none."""
        match = _DOCKERFILE_STEP.match(self.name)
        return match.group("label") if match else None


@dataclass
class _Vertex:
    name: str
    status: StepStatus = StepStatus.RUNNING
    seconds: float | None = None
    error: str | None = None
    output: list[str] = field(default_factory=list)


def parse_progress(text: str) -> list[BuildStep]:
    """The steps of a plain-progress log, in the order their first line appears."""
    vertices: dict[int, _Vertex] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        number, body = int(match.group(1)), match.group(2)
        vertex = vertices.get(number)
        if vertex is None:
            vertices[number] = _Vertex(body)
        elif body != vertex.name and not _DIGEST.match(body):
            _record(vertex, body)
    return [BuildStep(number, v.name, v.status, v.seconds, v.error, tuple(v.output)) for number, v in vertices.items()]


def _record(vertex: _Vertex, body: str) -> None:
    if done := _DONE.match(body):
        vertex.status = StepStatus.DONE
        vertex.seconds = float(done.group(1)) if done.group(1) else None
    elif body == "CACHED":
        vertex.status = StepStatus.CACHED
    elif body == "CANCELED":
        vertex.status = StepStatus.CANCELED
    elif error := _ERROR.match(body):
        vertex.status = StepStatus.ERROR
        vertex.error = error.group(1) or ""
    else:
        vertex.output.append(_TIMESTAMP.sub("", body, count=1))


class ProgressTracker:
    """Follows a build's plain-progress lines as they arrive: which step is running now.

    ``feed`` returns the step to show after each line: the most recently started vertex that has not
    finished, else the last one that did (a build's last step stays shown until it ends).
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}
        self._running: list[int] = []
        self._last = ""

    def feed(self, line: str) -> str:
        match = _LINE.match(line)
        if match:
            number, body = int(match.group(1)), match.group(2)
            if number not in self._names:
                self._names[number] = body
                self._running.append(number)
            elif number in self._running and _finishes(body):
                self._running.remove(number)
                self._last = self._names[number]
        return self._names[self._running[-1]] if self._running else self._last


def _finishes(body: str) -> bool:
    return body in ("CACHED", "CANCELED") or bool(_DONE.match(body) or _ERROR.match(body))


def in_dockerfile_order(steps: Iterable[BuildStep]) -> list[BuildStep]:
    """The Dockerfile steps (internal vertices left out) in the order of the Dockerfile.

    BuildKit prints cached steps and the steps of parallel stages in any order; its numbers (``[3/6]``)
    count within a stage, so steps are grouped by stage, stages in the order they first appear.
    """
    stages: dict[str | None, list[tuple[int, BuildStep]]] = {}
    for step in steps:
        match = _DOCKERFILE_STEP.match(step.name)
        if match:
            stages.setdefault(match.group("label"), []).append((int(match.group("index")), step))
    return [step for members in stages.values() for _, step in sorted(members, key=lambda pair: pair[0])]
