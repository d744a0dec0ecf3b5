"""Rebuild timings: how long an image takes to build cold, warm, after a code change, after a dependency change.

For one image, in this order: a cold build (``--no-cache``), a warm rebuild with nothing changed, a rebuild
after a comment is appended to a source file, and a rebuild after a comment is appended to a dependency
manifest the Dockerfile copies (requirements*.txt, pyproject.toml, uv.lock, poetry.lock). Each changed
file is restored byte for byte (mode and modification time too) as soon as its rebuild ends — also when
the build fails, on Ctrl-C, or when dockopt is sent SIGTERM — and a last, cached, build leaves the tag on
the image of the unchanged files. Each timing records which Dockerfile steps ran again (were not CACHED);
FROM steps are left out, since BuildKit never reports them as cached.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import posixpath
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

from dockopt.engine.progress import BuildStep, in_dockerfile_order
from dockopt.engine.scheduler import BuildJob, BuildListener, Builds, ImageOutcome, run_jobs
from dockopt.model import ImageModel
from dockopt.shell.packages import PackageOperation, classify
from dockopt.syntax import load_file

MANIFEST_PATTERNS = ("requirements*.txt", "pyproject.toml", "uv.lock", "poetry.lock")
_COMMENT_SYNTAX = {
    **dict.fromkeys((".js", ".jsx", ".ts", ".tsx", ".go", ".rs", ".c", ".h", ".cc", ".cpp", ".java", ".kt"), "//"),
    **dict.fromkeys((".html", ".htm", ".xml", ".md", ".vue"), "<!--"),
    ".sql": "--",
    ".json": "",  # JSON has no comments: a line break is the change
}


def is_manifest(path: str) -> bool:
    """A file that lists dependencies: requirements*.txt, a .txt under a requirements directory, pyproject, locks."""
    name = posixpath.basename(path)
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in MANIFEST_PATTERNS):
        return True
    return name.endswith(".txt") and "requirement" in posixpath.dirname(path).lower()


def copied_manifest(dockerfile: Path, context: Path) -> Path | None:
    """The first dependency manifest the Dockerfile copies from the context, or None.

    Files named by a COPY/ADD (directly, by a glob, or inside a copied directory) come first. When the
    whole context is copied (``COPY . .``), the requirement files its installs read (``pip install -r
    requirements/asr.txt``) are looked for in the context, then the manifests at the context's root.
    """
    model = ImageModel(load_file(dockerfile))
    whole_context = False
    for instruction in model.df.instructions:
        if instruction.keyword not in ("COPY", "ADD") or instruction.flag("from") is not None:
            continue
        values = instruction.exec_args or instruction.values
        for source in values[:-1]:
            relative = posixpath.normpath(source.lstrip("/"))
            if relative in (".", "*"):
                whole_context = True
            elif not relative.startswith(".."):
                found = _manifest_under(context, relative)
                if found is not None:
                    return found
    if not whole_context:
        return None
    for path in _installed_requirement_files(model):
        if (context / path).is_file():
            return context / path
    return next((p for p in sorted(context.iterdir()) if p.is_file() and is_manifest(p.name)), None)


def _manifest_under(context: Path, pattern: str) -> Path | None:
    for found in sorted(context.glob(pattern)):
        if found.is_file() and is_manifest(found.relative_to(context).as_posix()):
            return found
        if found.is_dir():
            inside = sorted(p for p in found.rglob("*") if p.is_file())
            match = next((p for p in inside if is_manifest(p.relative_to(context).as_posix())), None)
            if match is not None:
                return match
    return None


def _installed_requirement_files(model: ImageModel) -> list[str]:
    """Requirement files that installs read, as paths below the working directory they run in."""
    found: list[str] = []
    for instruction in model.df.instructions:
        script = model.script(instruction) if instruction.keyword == "RUN" else None
        if script is None:
            continue
        workdir = model.state(instruction).workdir
        for command in script.commands:
            operation = classify(command, script)
            if not isinstance(operation, PackageOperation):
                continue
            for name in operation.requirement_files:
                path = posixpath.normpath(posixpath.join(workdir, name))
                found.append(posixpath.relpath(path, workdir) if path.startswith(workdir) else path.lstrip("/"))
    return found


def probe_comment(path: Path) -> bytes:
    """A comment line in the syntax of ``path``'s kind of file (a bare line break where there are none)."""
    leader = _COMMENT_SYNTAX.get(path.suffix.lower(), "#")
    if leader == "":
        return b"\n"
    text = f"{leader} dockopt rebuild probe {time.time_ns()}"
    return (text + (" -->" if leader == "<!--" else "") + "\n").encode()


@contextlib.contextmanager
def appended(path: Path, addition: bytes) -> Iterator[None]:
    """``addition`` appended to ``path`` for the duration; then the file exactly as it was (bytes, mode, mtime)."""
    original = path.read_bytes()
    status = path.stat()
    separator = b"" if not original or original.endswith(b"\n") else b"\n"
    with _terminate_as_interrupt():
        try:
            _write(path, original + separator + addition, status.st_mode)
            yield
        finally:
            _write(path, original, status.st_mode)
            os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write atomically (a temporary file beside it, then a rename), with ``mode``."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockopt-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temp).chmod(mode & 0o7777)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled) raises KeyboardInterrupt meanwhile, so the file is restored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def rerun_steps(steps: tuple[BuildStep, ...]) -> list[str]:
    """The Dockerfile steps that ran (were not CACHED), FROM left out."""
    return [s.name for s in in_dockerfile_order(steps) if counts(s) and not s.cached]


def counts(step: BuildStep) -> bool:
    """A Dockerfile step other than FROM: the steps cache figures are about."""
    instruction = step.instruction
    return instruction is not None and not instruction.upper().startswith("FROM ")


PHASES = ("cold", "warm", "code_change", "manifest_change")
PHASE_TITLES = {
    "cold": "cold build",
    "warm": "warm rebuild",
    "code_change": "code-change rebuild",
    "manifest_change": "manifest-change rebuild",
    "restore": "rebuild of the unchanged files",
}


@dataclass
class RebuildTimings:
    """Seconds of each phase (absent when it did not run or failed) and the steps each rebuild ran again."""

    changed_file: str | None
    manifest: str | None
    seconds: dict[str, float] = field(default_factory=dict)
    rerun: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # phase -> why it has no figure

    def record(self, phase: str, outcome: ImageOutcome) -> None:
        if not outcome.ok or outcome.seconds is None:
            self.errors[phase] = outcome.error or outcome.state.value
            return
        self.seconds[phase] = outcome.seconds
        if phase != "cold":
            self.rerun[phase] = rerun_steps(outcome.steps)

    def section(self) -> dict[str, object]:
        """The ``rebuild`` section of the results file (docs/results-json.md)."""
        figures: dict[str, object] = {
            phase: round(self.seconds[phase], 3) if phase in self.seconds else None for phase in PHASES
        }
        return {
            **figures,
            "changed_file": self.changed_file,
            "manifest": self.manifest,
            "rerun": {phase: self.rerun.get(phase) for phase in PHASES[1:]},
            "errors": dict(self.errors),
        }


@dataclass
class RebuildRun:
    """The cold build (it is the image's build) and the timings, or where Ctrl-C stopped them."""

    cold: ImageOutcome
    timings: RebuildTimings
    interrupted: bool = False


def time_rebuilds(
    job: BuildJob,
    engine: Builds,
    listener: BuildListener,
    changed_file: Path,
    manifest: Path | None,
    root: Path,
) -> RebuildRun:
    """Build ``job`` cold, warm, after a change to ``changed_file`` and to ``manifest``, then as it was."""
    timings = RebuildTimings(_shown(changed_file, root), _shown(manifest, root) if manifest else None)

    def build(phase: str, no_cache: bool = False) -> tuple[ImageOutcome, bool]:
        request = replace(job.request, no_cache=no_cache)
        phased = BuildJob(job.name, request, label=f"{job.title}: {PHASE_TITLES[phase]}")
        result = run_jobs([phased], engine, 1, listener)
        return result.outcomes[job.name], result.interrupted

    cold, interrupted = build("cold", no_cache=True)
    timings.record("cold", cold)
    if interrupted or not cold.ok:
        return RebuildRun(cold, timings, interrupted)
    changes: list[tuple[str, Path | None]] = [("warm", None), ("code_change", changed_file)]
    for phase, path in [*changes, ("manifest_change", manifest)]:
        if phase == "manifest_change" and path is None:
            timings.errors[phase] = "no dependency manifest found in the Dockerfile's COPY/ADD (give --manifest)"
            continue
        with appended(path, probe_comment(path)) if path else contextlib.nullcontext():
            outcome, interrupted = build(phase)
        timings.record(phase, outcome)
        if interrupted:
            return RebuildRun(cold, timings, interrupted)
    _, interrupted = build("restore")  # cached: puts the tag back on the image of the files as they are
    return RebuildRun(cold, timings, interrupted)


def _shown(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it is inside, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
