"""What ``dockopt build`` shows while it builds: a live table on a terminal, one line per event elsewhere.

On a terminal (``LiveProgress``) a table redrawn four times a second holds every image with its state
(queued, building, built, failed, blocked, interrupted), the step it is at and its elapsed time; what
each finished image did (its steps, each with its duration or CACHED; the end of the log of a failed
build) is printed above the table. Elsewhere (``PlainProgress``: CI logs, a pipe) the same events are
plain lines, each stamped with the seconds since the run began. Both end with the same summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TextIO

from rich.console import Console, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from dockopt.engine.progress import in_dockerfile_order
from dockopt.engine.rebuild import counts
from dockopt.engine.scheduler import BuildJob, BuildListener, ImageOutcome, ImageState

LOG_TAIL_LINES = 20
_STATE_STYLE = {
    ImageState.QUEUED: "dim",
    ImageState.BUILDING: "yellow",
    ImageState.BUILT: "green",
    ImageState.FAILED: "bold red",
    ImageState.BLOCKED: "magenta",
    ImageState.INTERRUPTED: "red",
}


def outcome_headline(job: BuildJob, outcome: ImageOutcome) -> str:
    """``asr: built in 12.3s, 4 of 6 steps cached``; ``llm: blocked by asr``."""
    state = outcome.state
    if state is ImageState.BUILT:
        steps = [s for s in outcome.steps if counts(s)]
        cached = sum(1 for s in steps if s.cached)
        return f"{job.title}: built in {_seconds(outcome.seconds)}, {cached} of {len(steps)} steps cached"
    if state is ImageState.BLOCKED:
        because = f"blocked by {', '.join(outcome.blocked_by)}" if outcome.blocked_by else "blocked"
        return f"{job.title}: {because}" + (f" ({outcome.error})" if outcome.error else "")
    if state is ImageState.FAILED:
        return f"{job.title}: FAILED after {_seconds(outcome.seconds)}: {outcome.error}"
    return f"{job.title}: {outcome.state.value}" + (f" ({outcome.error})" if outcome.error else "")


def outcome_details(outcome: ImageOutcome) -> list[str]:
    """The steps of a build (duration or CACHED), then for a failed one the end of its log."""
    lines = []
    for step in in_dockerfile_order(outcome.steps):
        if not counts(step):
            continue
        if step.cached or step.seconds is None:
            figure = step.status.value.upper()
        else:
            figure = _seconds(step.seconds)
        lines.append(f"    {figure:>8}  {step.name}")
    if outcome.state is ImageState.FAILED:
        lines.append(f"    last {LOG_TAIL_LINES} lines of the log:")
        lines += [f"    | {line}" for line in outcome.tail(LOG_TAIL_LINES).splitlines()]
    return lines


def _seconds(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.1f}s"


class PlainProgress(BuildListener):
    """One line per event, stamped with the seconds since the run began."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.start = clock()

    def expect(self, jobs: Sequence[BuildJob]) -> None:
        """Jobs about to be scheduled (the live table shows them queued; plain output needs nothing)."""

    def note(self, text: str) -> None:
        self._line(text)

    def started(self, job: BuildJob) -> None:
        self._line(f"{job.title}: building {job.request.dockerfile}")

    def finished(self, job: BuildJob, outcome: ImageOutcome) -> None:
        self._line(outcome_headline(job, outcome))
        for line in outcome_details(outcome):
            self.stream.write(line + "\n")
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(f"[{self.clock() - self.start:7.1f}s] {text}\n")
        self.stream.flush()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class LiveProgress(BuildListener):
    """A table of every image redrawn in place; finished images' steps printed above it."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.clock = clock
        self.rows: dict[str, _Row] = {}
        self.live = Live(console=console, get_renderable=self.table, refresh_per_second=4, transient=False)

    def expect(self, jobs: Sequence[BuildJob]) -> None:
        for job in jobs:
            self.rows.setdefault(job.title, _Row())

    def note(self, text: str) -> None:
        self.console.print(Text(text, style="dim"))

    def started(self, job: BuildJob) -> None:
        row = self.rows.setdefault(job.title, _Row())
        row.state, row.started = ImageState.BUILDING, self.clock()

    def step(self, job: BuildJob, step: str) -> None:
        self.rows.setdefault(job.title, _Row()).step = step

    def finished(self, job: BuildJob, outcome: ImageOutcome) -> None:
        row = self.rows.setdefault(job.title, _Row())
        row.state, row.seconds, row.step = outcome.state, outcome.seconds, ""
        if outcome.state is ImageState.BLOCKED:
            row.step = f"blocked by {', '.join(outcome.blocked_by)}" if outcome.blocked_by else outcome.error or ""
        elif outcome.state is not ImageState.BUILT:
            row.step = outcome.error or ""
        report = Text(outcome_headline(job, outcome), style=_STATE_STYLE[outcome.state])
        for line in outcome_details(outcome):
            report.append("\n" + line, style="dim" if line.startswith("    |") else "")
        self.console.print(report)  # one print: the live table is redrawn once

    def table(self) -> RenderableType:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
        table.add_column("image", no_wrap=True, min_width=max((len(t) for t in self.rows), default=5))
        table.add_column("state", no_wrap=True, min_width=len("interrupted"))
        table.add_column("elapsed", justify="right", no_wrap=True, min_width=8)
        table.add_column("step", no_wrap=True, overflow="ellipsis", ratio=1)
        now = self.clock()
        for title, row in self.rows.items():
            if row.state is ImageState.BUILDING and row.started is not None:
                elapsed = _seconds(now - row.started)
            else:
                elapsed = _seconds(row.seconds) if row.seconds is not None else ""
            table.add_row(title, Text(row.state.value, style=_STATE_STYLE[row.state]), elapsed, row.step)
        return table

    def __enter__(self) -> LiveProgress:
        self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.live.stop()


class _Row:
    __slots__ = ("seconds", "started", "state", "step")

    def __init__(self) -> None:
        self.state = ImageState.QUEUED
        self.step = ""
        self.started: float | None = None
        self.seconds: float | None = None
