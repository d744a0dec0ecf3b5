"""`dockopt build ROOT`: build every image of a repository in dependency order, and record how it went.

The images, their Dockerfiles, contexts, tags, build args, targets and order come from ``build_graph``.
Each image is tagged with the graph's tags, or ``dockopt/<name>:latest`` when it has none, and a base
built here is also tagged with every reference its children's FROM lines use, so they find it. Up to
``--jobs`` independent images build at once (default 1: an image's timings are then its own). A failed
image blocks only the images built on it. ``--only NAME`` builds the named images, and before them the
bases of this repository they need that the engine does not have yet (bases it has are used as they
are; name a base too to rebuild it).

``--rebuild-after-change PATH`` times each image (docs in engine/rebuild.py): its build is the cold one
(``--no-cache``), then come a warm rebuild, a rebuild after a change to PATH and one after a change to a
dependency manifest, one image at a time.

Results (``--results F``, docs/results-json.md): the ``build`` section of each image, and ``rebuild``
with timings; written after each image, atomically, so an interrupted run leaves a whole file.

Exit codes: 0 every image built; 1 an image failed or was blocked; 2 a usage error, a file of the
repository that could not be read or parsed, images built on one another in a cycle, or an engine
error; 130 interrupted (running builds are stopped).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from dockopt.engine.build_process import BuildRequest
from dockopt.engine.docker_cli import DockerCLI
from dockopt.engine.progress import in_dockerfile_order
from dockopt.engine.rebuild import RebuildTimings, copied_manifest, counts, time_rebuilds
from dockopt.engine.scheduler import BuildJob, BuildListener, Builds, ImageOutcome, ImageState, run_jobs
from dockopt.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, EngineError, UsageError
from dockopt.repo.builds import is_resolved
from dockopt.repo.graph import ImageGraph, build_graph
from dockopt.report.build_progress import LOG_TAIL_LINES, LiveProgress, PlainProgress
from dockopt.report.text import make_console
from dockopt.results import load_results, update_results

EXIT_INTERRUPTED = 130
_PHASE_NAMES = {"cold": "cold", "warm": "warm", "code_change": "code change", "manifest_change": "manifest change"}
# A reference `docker build --tag` accepts: lower-case repository path (a registry host may carry a port), a tag.
_REFERENCE = re.compile(
    r"^(?:[A-Za-z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"
)


@dataclass(frozen=True)
class BuildOptions:
    root: str
    only: tuple[str, ...] = ()
    jobs: int = 1
    no_cache: bool = False
    results: str | None = None
    rebuild_after_change: str | None = None
    manifest: str | None = None
    color: bool | None = None


@dataclass
class _Plan:
    jobs: list[BuildJob]
    unbuildable: dict[str, ImageOutcome] = field(default_factory=dict)  # in a cycle, or built on one
    notes: list[str] = field(default_factory=list)


def run_build(
    options: BuildOptions,
    stream: TextIO | None = None,
    errors: TextIO | None = None,
    engine: Builds | None = None,
) -> int:
    """Build the graph of ``options.root`` (or the images ``options.only`` names); the exit code."""
    out = stream or sys.stdout
    err = errors or sys.stderr
    root = Path(options.root)
    if not root.is_dir():
        raise UsageError(f"{options.root}: not a directory")
    changed_file = _existing_file(options.rebuild_after_change, "--rebuild-after-change")
    manifest = _existing_file(options.manifest, "--manifest")
    if manifest is not None and changed_file is None:
        raise UsageError("--manifest is used with --rebuild-after-change")
    graph = build_graph(root)
    for label, problems in (("error", graph.errors), ("warning", graph.warnings)):
        for problem in problems:
            err.write(f"dockopt: {label}: {root.as_posix()}/{problem.file}:{problem.line}: {problem.message}\n")
    if not graph.images:
        raise UsageError(f"{options.root}: no Dockerfile found")
    builds = engine or DockerCLI()
    plan = _plan(graph, options.only, builds, no_cache=options.no_cache)
    results = Path(options.results) if options.results else None
    if results is not None and results.exists():
        load_results(results)  # a file that is not a results file is refused before anything is built
    console = _console(out, options.color)
    progress = LiveProgress(console) if console.is_terminal else PlainProgress(out)
    recorder = _Recorder(graph, results, no_cache=options.no_cache or changed_file is not None)
    started = time.monotonic()
    with progress:
        for note in plan.notes:
            progress.note(note)
        for name, outcome in plan.unbuildable.items():
            progress.note(f"{name}: not built: {outcome.error}")
            recorder.record(name, outcome)
        if changed_file is None:
            progress.expect(plan.jobs)
            result = run_jobs(plan.jobs, builds, options.jobs, _Recording(progress, recorder))
            outcomes, interrupted = result.outcomes, result.interrupted
        else:
            outcomes, interrupted = _time_each(plan, builds, progress, recorder, changed_file, manifest, root)
    outcomes = {**plan.unbuildable, **outcomes}
    _summary(console, outcomes, recorder.timings, time.monotonic() - started, interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    if graph.errors or graph.cycles:
        return EXIT_ERROR
    return EXIT_OK if all(o.ok for o in outcomes.values()) else EXIT_FINDINGS


def _console(stream: TextIO, color: bool | None) -> Console:
    """On a terminal the live table is redrawn in place, with colour or not; elsewhere plain text."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return make_console(stream, color=color, width=None)
    plain = color is False or (color is None and os.environ.get("NO_COLOR", "") != "")
    return Console(file=stream, force_terminal=True, no_color=plain, markup=False, emoji=False, highlight=False)


def _existing_file(path: str | None, option: str) -> Path | None:
    if path is None:
        return None
    if not Path(path).is_file():
        raise UsageError(f"{option} {path}: no such file")
    return Path(path)


# -- planning ----------------------------------------------------------------------------------


def image_tags(graph: ImageGraph, name: str) -> tuple[str, ...]:
    """The tags to build ``name`` under: its own (or ``dockopt/<name>:latest``), then those its children's FROM use."""
    own = [tag for tag in graph.images[name].tags if is_resolved(tag) and _REFERENCE.match(tag)]
    tags = own or [f"dockopt/{name}:latest"]
    for image in graph.images.values():
        for base in image.bases:
            if base.image == name and is_resolved(base.resolved) and _REFERENCE.match(base.resolved):
                tags.append(base.resolved)
    return tuple(dict.fromkeys(tags))


def _plan(graph: ImageGraph, only: Sequence[str], engine: Builds, no_cache: bool) -> _Plan:
    unknown = [name for name in only if name not in graph.images]
    if unknown:
        raise UsageError(f"no image named {', '.join(unknown)} (images: {', '.join(graph.build_order)})")
    plan = _Plan([])
    in_cycle = {name for cycle in graph.cycles for name in cycle.images}
    selected = set(only) if only else set(graph.images)
    if only:
        selected |= _missing_bases(graph, only, engine, plan.notes)
    for name in graph.build_order:
        if name not in selected:
            continue
        image = graph.images[name]
        needs = tuple(parent for parent in image.parents if parent in selected and parent != name)
        cycle_needs = [n for n in (name, *needs) if n in in_cycle or n in plan.unbuildable]
        if cycle_needs:
            error = f"built on images that are built on one another: {', '.join(_cycle_of(graph, cycle_needs[0]))}"
            plan.unbuildable[name] = ImageOutcome(name, ImageState.BLOCKED, error=error)
            continue
        request = BuildRequest(
            context=graph.root / image.context,
            dockerfile=graph.root / image.dockerfile,
            tags=image_tags(graph, name),
            build_args={key: value for key, value in image.args.items() if is_resolved(value)},
            no_cache=no_cache,
            target=image.target,
        )
        plan.jobs.append(BuildJob(name, request, needs))
    return plan


def _missing_bases(graph: ImageGraph, only: Sequence[str], engine: Builds, notes: list[str]) -> set[str]:
    """Bases of this repository the ``only`` images need (directly or not) that the engine lacks."""
    added: set[str] = set()
    pending = list(only)
    while pending:
        name = pending.pop(0)
        for base in graph.images[name].bases:
            if base.image is None or base.image in only or base.image in added or base.image == name:
                continue
            if is_resolved(base.resolved) and _present(engine, base.resolved):
                notes.append(f"{name}: using {base.resolved} ({base.image}) as the engine has it")
                continue
            notes.append(f"{name}: needs {base.image}, which the engine does not have: building it first")
            added.add(base.image)
            pending.append(base.image)
    return added


def _present(engine: Builds, reference: str) -> bool:
    try:
        engine.inspect(reference)
    except EngineError:
        return False
    return True


def _cycle_of(graph: ImageGraph, name: str) -> list[str]:
    for cycle in graph.cycles:
        if name in cycle.images:
            return list(cycle.images)
    return [name]


# -- rebuild timings ---------------------------------------------------------------------------


def _time_each(
    plan: _Plan,
    engine: Builds,
    progress: PlainProgress | LiveProgress,
    recorder: _Recorder,
    changed_file: Path,
    manifest: Path | None,
    root: Path,
) -> tuple[dict[str, ImageOutcome], bool]:
    """Each image in order, one at a time: cold (its build), warm, code change, manifest change."""
    outcomes: dict[str, ImageOutcome] = {}
    for job in plan.jobs:
        failed = tuple(n for n in job.needs if n in outcomes and not outcomes[n].ok)
        if failed:
            causes = tuple(dict.fromkeys(c for n in failed for c in (outcomes[n].blocked_by or (n,))))
            outcomes[job.name] = ImageOutcome(job.name, ImageState.BLOCKED, blocked_by=causes)
            progress.finished(job, outcomes[job.name])
            recorder.record(job.name, outcomes[job.name])
            continue
        found = manifest or copied_manifest(job.request.dockerfile, job.request.context)
        run = time_rebuilds(job, engine, progress, changed_file, found, root)
        outcomes[job.name] = run.cold
        recorder.timings[job.name] = run.timings
        recorder.record(job.name, run.cold)
        if run.interrupted:
            for later in plan.jobs[plan.jobs.index(job) + 1 :]:
                outcomes[later.name] = ImageOutcome(later.name, ImageState.INTERRUPTED, error="interrupted")
                recorder.record(later.name, outcomes[later.name])
            return outcomes, True
    return outcomes, False


# -- results -----------------------------------------------------------------------------------


class _Recording(BuildListener):
    """Shows every event, and records each image in the results file as it finishes."""

    def __init__(self, progress: PlainProgress | LiveProgress, recorder: _Recorder) -> None:
        self.progress = progress
        self.recorder = recorder

    def started(self, job: BuildJob) -> None:
        self.progress.started(job)

    def step(self, job: BuildJob, step: str) -> None:
        self.progress.step(job, step)

    def finished(self, job: BuildJob, outcome: ImageOutcome) -> None:
        self.progress.finished(job, outcome)
        self.recorder.record(job.name, outcome)


class _Recorder:
    """Writes each image's sections to the results file as soon as it is known (nothing without a file)."""

    def __init__(self, graph: ImageGraph, path: Path | None, no_cache: bool) -> None:
        self.graph = graph
        self.path = path
        self.no_cache = no_cache
        self.timings: dict[str, RebuildTimings] = {}

    def record(self, name: str, outcome: ImageOutcome) -> None:
        if self.path is None:
            return
        tags = image_tags(self.graph, name)
        sections: dict[str, Any] = {"tag": tags[0], "build": self.build_section(name, outcome, tags)}
        if name in self.timings:
            sections["rebuild"] = self.timings[name].section()
        update_results(self.path, {name: sections})

    def build_section(self, name: str, outcome: ImageOutcome, tags: tuple[str, ...]) -> dict[str, Any]:
        """The ``build`` section (docs/results-json.md)."""
        image = self.graph.images[name]
        steps = in_dockerfile_order(outcome.steps)
        counted = [s for s in steps if counts(s)]
        return {
            "ok": outcome.ok,
            "status": outcome.state.value,
            "exit_code": outcome.exit_code,
            "seconds": None if outcome.seconds is None else round(outcome.seconds, 3),
            "no_cache": self.no_cache,
            "tag": tags[0],
            "tags": list(tags),
            "image_id": outcome.image_id,
            "dockerfile": image.dockerfile,
            "context": image.context,
            "target": image.target,
            "steps": [
                {
                    "name": s.name,
                    "stage": s.stage,
                    "instruction": s.instruction,
                    "cached": s.cached,
                    "seconds": s.seconds,
                    "status": s.status.value,
                }
                for s in steps
            ],
            "cached_steps": sum(1 for s in counted if s.cached),
            "total_steps": len(counted),
            "error": outcome.error,
            "log_tail": outcome.tail(LOG_TAIL_LINES) if outcome.state is ImageState.FAILED else None,
            "blocked_by": list(outcome.blocked_by),
        }


# -- summary -----------------------------------------------------------------------------------


def _summary(
    console: Console,
    outcomes: dict[str, ImageOutcome],
    timings: dict[str, RebuildTimings],
    seconds: float,
    interrupted: bool,
) -> None:
    built = sum(1 for o in outcomes.values() if o.ok)
    console.print()
    headline = f"built {built} of {len(outcomes)} images in {seconds:.1f}s"
    console.print(Text(headline + (" (interrupted)" if interrupted else ""), style="bold"))
    width = max((len(name) for name in outcomes), default=0)
    for name, outcome in outcomes.items():
        line = Text(f"  {name.ljust(width)}  ")
        if outcome.state is ImageState.BUILT:
            counted = [s for s in outcome.steps if counts(s)]
            cached = sum(1 for s in counted if s.cached)
            line.append("built", style="green")
            line.append(f"   {outcome.seconds or 0:.1f}s, {cached}/{len(counted)} steps cached")
        elif outcome.state is ImageState.BLOCKED:
            line.append("blocked", style="magenta")
            line.append(f"  by {', '.join(outcome.blocked_by)}" if outcome.blocked_by else f"  {outcome.error}")
        else:
            line.append(outcome.state.value, style="red")
            line.append(f"  {outcome.error}" if outcome.error else "")
        console.print(line)
        if name in timings:
            console.print(Text(f"    {_timings_line(timings[name])}"))


def _timings_line(timings: RebuildTimings) -> str:
    parts = []
    for phase, title in _PHASE_NAMES.items():
        figure = timings.seconds.get(phase)
        text = f"{title} {figure:.1f}s" if figure is not None else f"{title} –"
        if phase in timings.rerun:
            text += f" ({len(timings.rerun[phase])} steps re-ran)"
        parts.append(text)
    return ", ".join(parts)
