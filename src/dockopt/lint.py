"""The lint engine: files -> parsed trees -> rules -> filtered findings.

Data flows one way (DESIGN.md): syntax -> shell -> rules -> findings. Many files are linted in
worker processes; each file is independent, and a bad file never stops the others.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockopt.config import Config
from dockopt.findings import Finding, FixSafety, InputError, Location, Severity
from dockopt.repo.inheritance import Inherited
from dockopt.rules.base import RepositoryRule, Rule
from dockopt.rules.context import FileContext, RepositoryContext
from dockopt.rules.registry import all_rules
from dockopt.rules.suppress import Suppressions, collect
from dockopt.shell.packages import clear_memo
from dockopt.syntax import Dockerfile, load_file, parse

PARSE_ERROR_RULE = "DO900"
PARALLEL_THRESHOLD = 200  # below this many files a process pool costs more than it saves


@dataclass
class FileResult:
    display_path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    source: str | None = None
    facts: dict[str, object] = field(default_factory=dict)  # repository rule id -> what it collected here
    suppressions: Suppressions | None = None  # the file's inline ignores, for the repository rules' findings


def active_rules(config: Config) -> list[Rule]:
    """The selected rules that look at one Dockerfile at a time."""
    return _selected(config, "file")


def active_repository_rules(config: Config) -> list[RepositoryRule]:
    """The selected rules that need the whole repository (they report after every file is linted)."""
    return [rule for rule in _selected(config, "repository") if isinstance(rule, RepositoryRule)]


def _selected(config: Config, scope: str) -> list[Rule]:
    rules = []
    for rule_id, cls in all_rules().items():
        if rule_id == PARSE_ERROR_RULE or cls.scope != scope:
            continue
        if config.is_enabled(rule_id, cls.enabled_by_default):
            rules.append(cls(config.severity.get(rule_id)))
    return rules


def lint_tree(
    df: Dockerfile,
    display_path: str,
    config: Config,
    rules: Sequence[Rule],
    inherited: Inherited | None = None,
    collectors: Sequence[RepositoryRule] = (),
) -> FileResult:
    """Run the rules over one parsed file; parse errors become DO900 findings.

    ``inherited`` carries what the repository says about the file's base images (ENV, users,
    packages of images built in the same repository) and the build args it is built with.
    """
    result = FileResult(display_path)
    for error in df.errors:
        result.errors.append(InputError(display_path, error.line, error.message, error.column))
        if config.is_enabled(PARSE_ERROR_RULE, True):
            result.findings.append(parse_error_finding(display_path, error.line, error.column, error.message, config))
    if not df.nodes:
        return result
    clear_memo()
    ctx = FileContext(
        df,
        display_path,
        inherited.bases if inherited else None,
        inherited.build_args if inherited else None,
        inherited.base_of if inherited else (),
    )
    suppressions = collect(df)
    inline = bool(suppressions.file_rules or suppressions.by_line)
    if inline:
        result.suppressions = suppressions
    per_path = bool(config.per_file_ignores)
    findings = result.findings
    for rule in rules:
        if per_path and config.ignored_for_path(display_path, rule.id):
            continue
        if inline:
            findings.extend(finding for finding in rule.check(ctx) if not suppressions.suppresses(finding))
        else:
            findings.extend(rule.check(ctx))
    for collector in collectors:
        fact = collector.collect(ctx)
        if fact is not None:
            result.facts[collector.id] = fact
    if "model" in ctx.__dict__:  # built by a rule: let its objects go now
        ctx.model.release()
    result.findings.sort(key=Finding.sort_key)
    return result


def parse_error_finding(display_path: str, line: int, column: int, message: str, config: Config) -> Finding:
    cls = all_rules()[PARSE_ERROR_RULE]
    return Finding(
        rule=PARSE_ERROR_RULE,
        name=cls.name,
        severity=config.severity.get(PARSE_ERROR_RULE, Severity.ERROR),
        file=display_path,
        location=Location(line, column, line, column),
        message=message,
        fix_safety=FixSafety.NONE,
    )


def lint_text(text: str, config: Config | None = None, display_path: str = "Dockerfile") -> FileResult:
    """Lint Dockerfile text (used by tests and by editors piping a buffer)."""
    cfg = config or Config()
    return lint_tree(parse(text, display_path), display_path, cfg, active_rules(cfg))


def _lint_one(
    path: str, display: str, inherited: Inherited | None, config: Config, keep_source: bool, keep_edits: bool
) -> FileResult:
    rules, collectors = _worker_rules(config)
    df = load_file(Path(path), display)
    result = lint_tree(df, display, config, rules, inherited, collectors)
    if keep_source:
        result.source = df.text
    if not keep_edits:  # less to send back from a worker
        result.findings = [finding.without_edits() for finding in result.findings]
    return result


# A worker's run: what every job of the run shares, set once per worker process by _start_worker.
_WorkerJob = tuple[str, str, Inherited | None]  # path, display path, what the repository says of its bases
_RUN: list[tuple[Config, bool, bool]] = []  # (configuration, keep_source, keep_edits)


def _lint_chunk(jobs: list[_WorkerJob]) -> list[FileResult]:
    return [_lint_one(*job, *_RUN[0]) for job in jobs]


def _chunks(jobs: list[_WorkerJob], workers: int) -> list[list[_WorkerJob]]:
    """Jobs in chunks that shrink towards the end (guided scheduling).

    Big chunks first keep the messages between processes few; small ones last keep every worker busy
    until the end, instead of one worker finishing a big last chunk while the others wait.
    """
    chunks: list[list[_WorkerJob]] = []
    start = 0
    while start < len(jobs):
        size = max(_MIN_CHUNK, (len(jobs) - start) // (workers * 4))
        chunks.append(jobs[start : start + size])
        start += size
    return chunks


_MIN_CHUNK = 8


_RULE_CACHE: list[tuple[Config, list[Rule], list[RepositoryRule]]] = []


def _worker_rules(config: Config) -> tuple[list[Rule], list[RepositoryRule]]:
    # Rules are instantiated once per process and configuration. The cache holds the configuration
    # itself: keyed by id() alone, a new configuration could reuse a collected one's id and its rules.
    if not _RULE_CACHE or _RULE_CACHE[0][0] is not config:
        _RULE_CACHE[:] = [(config, active_rules(config), active_repository_rules(config))]
    _, rules, collectors = _RULE_CACHE[0]
    return rules, collectors


def lint_repository(
    root: Path,
    display_root: str,
    results: Mapping[str, FileResult],
    config: Config,
    prepared: RepositoryContext | None = None,
) -> list[Finding]:
    """Run the repository rules on a linted directory; ``results`` maps paths relative to ``root``.

    ``prepared`` is the directory's context made (and warmed by ``prepare_repository``) while its
    files were linted; it must list the same Dockerfiles.
    """
    rules = active_repository_rules(config)
    if not rules:
        return []
    facts: dict[str, dict[str, object]] = {}
    for relative, result in results.items():
        for rule_id, fact in result.facts.items():
            facts.setdefault(rule_id, {})[relative] = fact
    repo = prepared or RepositoryContext(root, display_root, sorted(results))
    repo.facts = facts
    # A repository rule's finding on a line of a linted Dockerfile obeys that file's inline ignores.
    ignores = {repo.display(path): r.suppressions for path, r in results.items() if r.suppressions is not None}
    findings: list[Finding] = []
    for rule in rules:
        for finding in rule.check_repository(repo):
            suppressions = ignores.get(finding.file)
            if suppressions is not None and suppressions.suppresses(finding):
                continue
            if not config.ignored_for_path(finding.file, rule.id):
                findings.append(finding)
    findings.sort(key=Finding.sort_key)
    return findings


def lint_files(
    files: Iterable[tuple[Path, str]],
    config: Config,
    jobs: int | None = None,
    keep_source: bool = False,
    inherited: Mapping[Path, Inherited] | None = None,
    keep_edits: bool = True,
    meanwhile: Callable[[], object] | None = None,
) -> list[FileResult]:
    """Lint (path, display path) pairs; in parallel when there are many.

    ``files`` may be an iterator that is still walking a tree (``Collection.stream``): workers start on
    the first files while it finds the others. ``inherited`` maps a file (as given) to what the
    repository says about its bases; it is read for a file after the iterator has yielded it. Without
    ``keep_edits`` the findings keep their fixes' availability but not the edits. ``meanwhile`` runs in
    this process once every file is known, while workers lint (work that needs no results).
    """
    known = inherited if inherited is not None else {}

    def job(file: tuple[Path, str]) -> _WorkerJob:  # asked of `known` only once the file has been yielded
        return str(file[0]), file[1], known.get(file[0])

    found = iter(files)
    head = [job(file) for file in itertools.islice(found, PARALLEL_THRESHOLD)]
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(head) < PARALLEL_THRESHOLD:
        jobs_list = head + [job(file) for file in found]
        if meanwhile is not None:
            meanwhile()
        with few_collections():
            return [_lint_one(*each, config, keep_source, keep_edits) for each in jobs_list]
    walked = threading.Event()
    failed: list[BaseException] = []

    def chunks() -> Iterator[list[_WorkerJob]]:
        # Runs in the pool's task thread: the first files go out at once, in small chunks, while the walk
        # goes on; the rest in chunks that shrink towards the end.
        try:
            yield from (head[i : i + _MIN_CHUNK * 4] for i in range(0, len(head), _MIN_CHUNK * 4))
            rest = [job(file) for file in found]
        except BaseException as error:  # handed to the caller's thread below
            failed.append(error)
            return
        finally:
            walked.set()
        yield from _chunks(rest, workers)

    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    # The configuration goes to each worker once (inherited by a forked worker, pickled once otherwise), not
    # with every chunk: a worker then also builds its rules once.
    run = (config, keep_source, keep_edits)
    with context.Pool(processes=workers, initializer=_start_worker, initargs=(run,)) as pool:
        linted = pool.imap(_lint_chunk, chunks(), chunksize=1)
        walked.wait()
        if failed:
            raise failed[0]
        if meanwhile is not None:
            meanwhile()  # the workers have their jobs: this process would only wait
        return [result for chunk in linted for result in chunk]


# Linting a file leaves no reference cycles (lint_tree releases the model), so the cyclic garbage
# collector finds nothing; run at its default pace it would cost workers 5-9% of their time, and the
# process that gathers every finding more (each full collection walks all findings so far).
_LINT_GC_THRESHOLD = (20_000, 50, 1_000)


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely meanwhile (lint's objects form no cycles)."""
    before = gc.get_threshold()
    gc.set_threshold(*_LINT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _start_worker(run: tuple[Config, bool, bool]) -> None:
    _RUN[:] = [run]
    gc.freeze()  # what the worker inherited (modules, rules) is never garbage: leave it out of collections
    gc.set_threshold(*_LINT_GC_THRESHOLD)
