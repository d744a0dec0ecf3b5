"""Builds a set of images in dependency order, independent ones at the same time, and says what happened.

Each image is a ``BuildJob``: its build request and the images of the same run it needs first. Up to
``parallel`` builds run at once, each in a worker thread that reads its progress lines as they come; the
main thread hands every event (started, step, finished) to a ``BuildListener``, so displays never run
in two threads. An image whose build fails blocks the images that need it, directly or through
others, and only those. Ctrl-C stops every running build (``RunningBuild.stop``), marks what did not
finish as interrupted, and returns: the caller reports and writes its results before it exits.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from dockopt.engine.base import ImageInfo
from dockopt.engine.build_process import BuildRequest, RunningBuild
from dockopt.engine.progress import BuildStep, ProgressTracker, StepStatus, parse_progress
from dockopt.errors import EngineError

_DIGEST_LINE = re.compile(r"^#\d+ sha256:[0-9a-f]{64}$")  # the Docker 20.10 client prints one per vertex
_POLL_SECONDS = 0.1  # how often the main thread looks up from the event queue (so Ctrl-C is seen)


class Builds(Protocol):
    """What the scheduler needs of an engine (``DockerCLI`` has it; tests give a recorded one)."""

    def start_build(self, request: BuildRequest) -> RunningBuild: ...

    def inspect(self, image: str) -> ImageInfo: ...


class ImageState(Enum):
    QUEUED = "queued"
    BUILDING = "building"
    BUILT = "built"
    FAILED = "failed"
    BLOCKED = "blocked"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self not in (ImageState.QUEUED, ImageState.BUILDING)


@dataclass(frozen=True, slots=True)
class BuildJob:
    """One image to build; ``needs`` are images of the same run that must be built first."""

    name: str
    request: BuildRequest
    needs: tuple[str, ...] = ()
    label: str = ""  # what displays call it ("asr", "asr: warm rebuild"); the name when empty

    @property
    def title(self) -> str:
        return self.label or self.name


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    """What became of one job."""

    name: str
    state: ImageState
    exit_code: int | None = None  # None when it never ran
    seconds: float | None = None
    steps: tuple[BuildStep, ...] = ()
    log: str = ""
    image_id: str | None = None
    blocked_by: tuple[str, ...] = ()  # the failed images it needed (directly or not)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.state is ImageState.BUILT

    @property
    def failed_step(self) -> BuildStep | None:
        return next((s for s in self.steps if s.status is StepStatus.ERROR), None)

    def tail(self, lines: int = 20) -> str:
        """The last ``lines`` lines of the log (vertex digests left out): where a failed build says why."""
        kept = [line for line in self.log.rstrip("\n").splitlines() if not _DIGEST_LINE.match(line)]
        return "\n".join(kept[-lines:])


class BuildListener:
    """Told what happens, in the main thread; every method does nothing unless overridden."""

    def started(self, job: BuildJob) -> None:
        """``job`` began building."""

    def step(self, job: BuildJob, step: str) -> None:
        """``job`` is now at ``step`` (as BuildKit names it: ``[2/5] RUN pip install ...``)."""

    def finished(self, job: BuildJob, outcome: ImageOutcome) -> None:
        """``job`` ended: built, failed, blocked or interrupted."""


@dataclass
class ScheduleResult:
    outcomes: dict[str, ImageOutcome]  # by job name, in job order
    interrupted: bool = False


@dataclass
class _Started:
    job: BuildJob


@dataclass
class _Step:
    job: BuildJob
    step: str


@dataclass
class _Finished:
    job: BuildJob
    outcome: ImageOutcome


@dataclass
class _EngineFailed:
    job: BuildJob
    error: EngineError


_Event = _Started | _Step | _Finished | _EngineFailed


@dataclass
class _Running:
    """The builds in progress, so that the main thread can stop them; guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    builds: dict[str, RunningBuild] = field(default_factory=dict)
    stopping: bool = False

    def add(self, name: str, build: RunningBuild) -> bool:
        """Register a started build; False (and the build stopped) when the run is being stopped."""
        with self.lock:
            if not self.stopping:
                self.builds[name] = build
                return True
        build.stop()
        return False

    def remove(self, name: str) -> None:
        with self.lock:
            self.builds.pop(name, None)

    def stop_all(self) -> None:
        with self.lock:
            self.stopping = True
            builds = list(self.builds.values())
        for build in builds:
            build.stop()


def run_jobs(
    jobs: Sequence[BuildJob],
    engine: Builds,
    parallel: int = 1,
    listener: BuildListener | None = None,
) -> ScheduleResult:
    """Build ``jobs`` (in the order given among those ready) with up to ``parallel`` at once.

    Raises ``EngineError`` when the engine itself fails; the other builds are stopped first (as they are
    when a listener raises).
    """
    listener = listener or BuildListener()
    by_name = {job.name: job for job in jobs}
    states = {job.name: ImageState.QUEUED for job in jobs}
    outcomes: dict[str, ImageOutcome] = {}
    events: queue.Queue[_Event] = queue.Queue()
    running = _Running()
    workers: list[threading.Thread] = []

    def finish(job: BuildJob, outcome: ImageOutcome) -> None:
        states[job.name] = outcome.state
        outcomes[job.name] = outcome
        listener.finished(job, outcome)

    def block_dependents(failed: str) -> None:
        for job in jobs:
            if states[job.name] is ImageState.QUEUED and failed in _all_needs(job.name, by_name):
                causes = tuple(
                    name for name in _all_needs(job.name, by_name) if states[name] is ImageState.FAILED
                )
                finish(job, ImageOutcome(job.name, ImageState.BLOCKED, blocked_by=causes))

    def launch_ready() -> None:
        active = sum(1 for state in states.values() if state is ImageState.BUILDING)
        for job in jobs:
            if active >= parallel:
                return
            if states[job.name] is ImageState.QUEUED and all(
                states.get(need) is ImageState.BUILT for need in job.needs if need in by_name
            ):
                states[job.name] = ImageState.BUILDING
                active += 1
                worker = threading.Thread(target=_build, args=(job, engine, events, running), daemon=True)
                workers.append(worker)
                worker.start()

    def handle(event: _Event) -> None:
        if isinstance(event, _Started):
            listener.started(event.job)
        elif isinstance(event, _Step):
            listener.step(event.job, event.step)
        elif isinstance(event, _Finished):
            finish(event.job, event.outcome)
            if event.outcome.state is ImageState.FAILED:
                block_dependents(event.job.name)
        else:
            raise event.error

    try:
        launch_ready()
        while any(not state.finished for state in states.values()):
            if not any(state is ImageState.BUILDING for state in states.values()):
                _block_unreachable(jobs, states, finish)  # waiting on an image that will never be built
                break
            try:
                event = events.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            handle(event)
            launch_ready()
    except KeyboardInterrupt:
        _stop(running, workers)
        _drain(events, handle_finished=lambda e: finish(e.job, _interrupted(e.outcome)))
        for job in jobs:
            if not states[job.name].finished:
                finish(job, ImageOutcome(job.name, ImageState.INTERRUPTED, error="interrupted before it started"))
        return ScheduleResult(_in_order(jobs, outcomes), interrupted=True)
    except BaseException:  # an engine error, or a listener's: no build may outlive the run
        _stop(running, workers)
        raise
    return ScheduleResult(_in_order(jobs, outcomes))


def _build(job: BuildJob, engine: Builds, events: queue.Queue[_Event], running: _Running) -> None:
    """Worker thread: run one build, posting its events; never raises."""
    start = time.monotonic()
    try:
        build = engine.start_build(job.request)
    except EngineError as exc:
        events.put(_EngineFailed(job, exc))
        return
    if not running.add(job.name, build):
        build.wait()
        events.put(_Finished(job, ImageOutcome(job.name, ImageState.INTERRUPTED, error="interrupted")))
        return
    events.put(_Started(job))
    log: list[str] = []
    tracker = ProgressTracker()
    shown = ""
    try:
        for line in build.lines():
            log.append(line)
            current = tracker.feed(line)
            if current != shown:
                shown = current
                events.put(_Step(job, current))
        code = build.wait()
    finally:
        running.remove(job.name)
    seconds = time.monotonic() - start
    text = "".join(line + "\n" for line in log)
    steps = tuple(parse_progress(text))
    image_id: str | None = None
    error: str | None = None
    if code == 0:
        try:
            image_id = engine.inspect(job.request.tags[0]).id
        except EngineError as exc:
            events.put(_EngineFailed(job, exc))
            return
    else:
        failed = next((s for s in steps if s.status is StepStatus.ERROR), None)
        error = f"{failed.name}: {failed.error}" if failed else f"docker build exited with {code}"
    state = ImageState.BUILT if code == 0 else ImageState.FAILED
    events.put(_Finished(job, ImageOutcome(job.name, state, code, seconds, steps, text, image_id, error=error)))


def _all_needs(name: str, jobs: dict[str, BuildJob]) -> list[str]:
    """Every job ``name`` needs, directly or through others (in the order found)."""
    found: list[str] = []
    pending = list(jobs[name].needs)
    while pending:
        need = pending.pop(0)
        if need in jobs and need not in found:
            found.append(need)
            pending.extend(jobs[need].needs)
    return found


def _block_unreachable(jobs: Sequence[BuildJob], states: dict[str, ImageState], finish: _Finish) -> None:
    for job in jobs:
        if states[job.name] is ImageState.QUEUED:
            waiting = tuple(n for n in job.needs if n in states and states[n] is not ImageState.BUILT)
            error = f"needs {', '.join(waiting)}, which cannot be built first"
            finish(job, ImageOutcome(job.name, ImageState.BLOCKED, blocked_by=waiting, error=error))


class _Finish(Protocol):
    def __call__(self, job: BuildJob, outcome: ImageOutcome) -> None: ...


class _FinishedHandler(Protocol):
    def __call__(self, event: _Finished) -> None: ...


def _stop(running: _Running, workers: list[threading.Thread]) -> None:
    running.stop_all()
    for worker in workers:
        worker.join()


def _drain(events: queue.Queue[_Event], handle_finished: _FinishedHandler) -> None:
    """After the workers ended: their last events (a build stopped by Ctrl-C ends as a failure)."""
    while True:
        try:
            event = events.get_nowait()
        except queue.Empty:
            return
        if isinstance(event, _Finished):
            handle_finished(event)


def _interrupted(outcome: ImageOutcome) -> ImageOutcome:
    """A build that ended while the run was being stopped: built if it got there, else interrupted."""
    if outcome.state is ImageState.BUILT:
        return outcome
    return ImageOutcome(
        outcome.name, ImageState.INTERRUPTED, outcome.exit_code, outcome.seconds, outcome.steps, outcome.log,
        error="interrupted",
    )  # fmt: skip


def _in_order(jobs: Sequence[BuildJob], outcomes: dict[str, ImageOutcome]) -> dict[str, ImageOutcome]:
    return {job.name: outcomes[job.name] for job in jobs if job.name in outcomes}
