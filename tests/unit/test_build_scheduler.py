"""The build scheduler on recorded progress logs: order, parallelism, blocking, Ctrl-C, engine errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from build_fakes import CODE_CHANGE, COLD, PIP_FAILURE, RecordedEngine

from dockopt.engine.build_process import BuildRequest
from dockopt.engine.progress import ProgressTracker, StepStatus
from dockopt.engine.scheduler import BuildJob, BuildListener, ImageOutcome, ImageState, run_jobs
from dockopt.errors import EngineError


def job(name: str, *needs: str) -> BuildJob:
    return BuildJob(name, BuildRequest(Path("."), Path("Dockerfile"), (f"t/{name}",)), needs)


class Events(BuildListener):
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.steps: dict[str, list[str]] = {}

    def started(self, job: BuildJob) -> None:
        self.events.append(("started", job.name))

    def step(self, job: BuildJob, step: str) -> None:
        self.steps.setdefault(job.name, []).append(step)

    def finished(self, job: BuildJob, outcome: ImageOutcome) -> None:
        self.events.append((outcome.state.value, job.name))


def failing(*names: str) -> RecordedEngine:
    return RecordedEngine(log_for=lambda r: (PIP_FAILURE, 1) if r.tags[0] in {f"t/{n}" for n in names} else (COLD, 0))


def test_bases_are_built_before_the_images_on_them() -> None:
    events = Events()
    engine = RecordedEngine()
    result = run_jobs([job("base"), job("child", "base"), job("grandchild", "child")], engine, 3, events)
    assert engine.built() == ["t/base", "t/child", "t/grandchild"]
    assert events.events == [
        ("started", "base"), ("built", "base"),
        ("started", "child"), ("built", "child"),
        ("started", "grandchild"), ("built", "grandchild"),
    ]  # fmt: skip
    assert all(outcome.ok for outcome in result.outcomes.values())
    assert not result.interrupted


def test_independent_images_build_at_the_same_time_up_to_the_limit() -> None:
    engine = RecordedEngine()
    gate = threading.Event()
    engine.gates = {"t/a": gate, "t/b": gate}
    listener = Events()

    class OpenTheGateWhenBothRun(BuildListener):
        def started(self, job: BuildJob) -> None:
            listener.started(job)
            if sum(1 for kind, _ in listener.events if kind == "started") == 2:
                gate.set()

    result = run_jobs([job("a"), job("b"), job("c")], engine, 2, OpenTheGateWhenBothRun())
    assert engine.most_at_once == 2
    assert [name for _, name in listener.events[:2]] == ["a", "b"]
    assert set(result.outcomes) == {"a", "b", "c"}


def test_one_at_a_time_by_default() -> None:
    engine = RecordedEngine()
    run_jobs([job("a"), job("b"), job("c")], engine)
    assert engine.most_at_once == 1


def test_a_failure_blocks_only_what_is_built_on_it() -> None:
    events = Events()
    jobs = [job("base"), job("other"), job("child", "base"), job("grandchild", "child"), job("free", "other")]
    result = run_jobs(jobs, failing("base"), 1, events)
    states = {name: outcome.state for name, outcome in result.outcomes.items()}
    assert states == {
        "base": ImageState.FAILED, "other": ImageState.BUILT, "child": ImageState.BLOCKED,
        "grandchild": ImageState.BLOCKED, "free": ImageState.BUILT,
    }  # fmt: skip
    assert result.outcomes["child"].blocked_by == ("base",)
    assert result.outcomes["grandchild"].blocked_by == ("base",)  # the cause, not the blocked image between
    failed = result.outcomes["base"]
    assert failed.exit_code == 1
    assert failed.error is not None and "nonexistent-package-dockopt" in failed.error
    assert failed.failed_step is not None and failed.failed_step.status is StepStatus.ERROR
    assert "No matching distribution" in failed.tail()
    assert "sha256:" not in failed.tail()  # the 20.10 client's vertex digests are noise in a log tail


def test_an_image_is_blocked_as_soon_as_one_of_its_bases_fails() -> None:
    engine = failing("a", "b")
    result = run_jobs([job("a"), job("b"), job("ab", "a", "b")], engine, 1)
    assert result.outcomes["ab"].blocked_by == ("a",)
    assert engine.built() == ["t/a", "t/b"]  # b does not depend on a: it is still built (and fails on its own)
    assert result.outcomes["b"].state is ImageState.FAILED


def test_outcome_of_a_build_holds_its_steps_and_image() -> None:
    engine = RecordedEngine(log_for=lambda _r: (CODE_CHANGE, 0))
    result = run_jobs([job("app")], engine)
    outcome = result.outcomes["app"]
    assert outcome.image_id is not None and outcome.image_id.startswith("sha256:")
    cached = [s.name for s in outcome.steps if s.cached]
    assert cached == ["[3/6] COPY req.txt .", "[2/6] WORKDIR /app", "[4/6] RUN pip install --no-cache-dir -r req.txt"]
    assert outcome.seconds is not None and outcome.seconds >= 0


def test_steps_are_reported_as_they_start() -> None:
    events = Events()
    run_jobs([job("app")], RecordedEngine(), 1, events)
    steps = events.steps["app"]
    assert "[4/6] RUN pip install --no-cache-dir -r req.txt" in steps
    assert steps.index("[2/6] WORKDIR /app") < steps.index("[6/6] RUN python main.py")


def test_ctrl_c_stops_running_builds_and_marks_the_rest_interrupted() -> None:
    engine = RecordedEngine()
    engine.gates = {"t/slow": threading.Event()}  # never opened: only stop() ends it

    class CtrlCOnceSlowRuns(BuildListener):
        def step(self, job: BuildJob, step: str) -> None:
            if job.name == "slow" and step == "exporting to image":
                raise KeyboardInterrupt

    jobs = [job("slow"), job("after", "slow"), job("later")]
    result = run_jobs(jobs, engine, 1, CtrlCOnceSlowRuns())
    assert result.interrupted
    assert engine.stopped == ["t/slow"]
    assert {name: o.state for name, o in result.outcomes.items()} == {
        "slow": ImageState.INTERRUPTED, "after": ImageState.INTERRUPTED, "later": ImageState.INTERRUPTED,
    }  # fmt: skip
    assert result.outcomes["later"].error == "interrupted before it started"
    assert engine.built() == ["t/slow"]


def test_an_engine_that_cannot_build_is_an_error() -> None:
    with pytest.raises(EngineError, match="no Docker engine"):
        run_jobs([job("a")], RecordedEngine(fail_to_start=True))


def test_an_image_waiting_on_an_image_outside_any_order_is_blocked_not_waited_for() -> None:
    # a and b need each other (a cycle the command normally removes first): nothing can start
    result = run_jobs([job("a", "b"), job("b", "a")], RecordedEngine())
    assert {o.state for o in result.outcomes.values()} == {ImageState.BLOCKED}
    assert "cannot be built first" in (result.outcomes["a"].error or "")


def test_progress_tracker_follows_the_running_step() -> None:
    tracker = ProgressTracker()
    shown = [tracker.feed(line) for line in COLD.splitlines()]
    assert shown[0] == "[internal] load build definition from Dockerfile"
    assert "[4/6] RUN pip install --no-cache-dir -r req.txt" in shown
    assert shown[-1] == "exporting to image"
    interleaved = ["#5 [2/3] RUN a", "#6 [3/3] RUN b", "#6 DONE 0.1s", "#5 0.5 output of a"]
    tracker = ProgressTracker()
    assert [tracker.feed(line) for line in interleaved] == ["[2/3] RUN a", "[3/3] RUN b", "[2/3] RUN a", "[2/3] RUN a"]


def test_a_listener_that_fails_stops_the_running_builds() -> None:
    engine = RecordedEngine()
    engine.gates = {"t/slow": threading.Event()}

    class Broken(BuildListener):
        def started(self, job: BuildJob) -> None:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_jobs([job("slow")], engine, 1, Broken())
    assert engine.stopped == ["t/slow"]
