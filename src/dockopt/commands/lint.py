"""`dockopt lint PATH...`: findings for Dockerfiles and directories of them."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dockopt.config import Config, check_rule_selector, find_config, load_config
from dockopt.errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, UsageError
from dockopt.findings import Finding, Severity
from dockopt.lint import FileResult, few_collections, lint_files, lint_repository
from dockopt.repo.discovery import find_dockerfiles
from dockopt.repo.graph import build_graph, discover
from dockopt.repo.inheritance import Inherited, inherited_states
from dockopt.report import LintResult, render
from dockopt.rules._repo import prepare_repository
from dockopt.rules.context import RepositoryContext
from dockopt.rules.registry import all_rules


@dataclass(frozen=True)
class LintOptions:
    paths: tuple[str, ...]
    output_format: str = "text"
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = None
    config_path: str | None = None
    isolated: bool = False
    jobs: int | None = None
    color: bool | None = None


def resolve_config(options: LintOptions) -> Config:
    known = frozenset(all_rules())
    for selector in (*(options.select or ()), *options.extend_select, *options.ignore):
        check_rule_selector(selector, known, "command line")
    if options.isolated:
        base = Config()
    elif options.config_path:
        path = Path(options.config_path)
        if not path.is_file():
            raise UsageError(f"--config {options.config_path}: no such file")
        base = load_config(path, known)
    else:
        found = find_config(Path(options.paths[0]) if options.paths else Path.cwd())
        base = load_config(found, known) if found else Config()
    return base.with_overrides(options.select, options.extend_select, options.ignore, options.fail_on)


def collect_files(paths: tuple[str, ...], config: Config) -> list[tuple[Path, str]]:
    """(path, display path) for every Dockerfile named or found below a named directory."""
    return collect(paths, config)[0]


def collect(paths: tuple[str, ...], config: Config) -> tuple[list[tuple[Path, str]], dict[Path, Inherited]]:
    """The Dockerfiles to lint, and for those built in a repository, what their bases hand down.

    A named directory is a repository: its compose files, bake files and build scripts say which
    image each Dockerfile builds, so a stage built FROM an image of the same repository starts from
    that image's ENV, users and packages.
    """
    collection = Collection(paths, config)
    for _ in collection.stream():
        pass
    return collection.files, collection.inherited


class Collection:
    """``collect`` as it goes: ``stream()`` yields each Dockerfile as the walk finds it, so linting can start
    while the tree is still being walked; ``files`` and ``inherited`` fill up meanwhile.

    A path that does not exist is a UsageError when the collection is made, before anything is linted.
    What a directory's bases hand down is worked out before its first file is yielded (only a directory
    whose compose, bake or script files declare builds has any).
    """

    def __init__(self, paths: tuple[str, ...], config: Config) -> None:
        for raw in paths:
            path = Path(raw)
            if not (path.is_dir() or path.exists() or path.is_symlink()):
                raise UsageError(f"{raw}: no such file or directory")
        self.paths = paths
        self.config = config
        self.files: list[tuple[Path, str]] = []
        self.inherited: dict[Path, Inherited] = {}

    def stream(self) -> Iterator[tuple[Path, str]]:
        seen: set[Path] = set()
        cwd = Path.cwd().resolve()
        for raw in self.paths:
            path = Path(raw)
            if not path.is_dir():
                yield from self._add(seen, path, path.resolve(), cwd)
                continue
            discovery = discover(path)
            found: Iterable[Path] = find_dockerfiles(path, self.config.is_excluded)
            if discovery.builds:
                found = list(found)
                if found:
                    for dockerfile, state in inherited_states(build_graph(path, discovery)).items():
                        self.inherited[path / dockerfile] = state
            # The walk follows no symlinked directory: a found file that is no symlink itself resolves to
            # the resolved root joined with its path below the root.
            root = path.resolve()
            for file in found:
                key = file.resolve() if file.is_symlink() else root / os.path.relpath(file, path)
                yield from self._add(seen, file, key, cwd)

    def _add(self, seen: set[Path], path: Path, resolved: Path, cwd: Path) -> Iterator[tuple[Path, str]]:
        if resolved in seen:
            return
        seen.add(resolved)
        try:
            display = resolved.relative_to(cwd).as_posix()
        except ValueError:
            display = path.as_posix()
        self.files.append((path, display))
        yield path, display


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def run_lint(options: LintOptions, stream: TextIO | None = None) -> int:
    with few_collections():
        return _run_lint(options, stream or sys.stdout)


def _run_lint(options: LintOptions, out: TextIO) -> int:
    config = resolve_config(options)
    collection = Collection(options.paths, config)
    repositories: dict[str, RepositoryContext] = {}

    def prepare() -> None:  # while workers lint, once every file is found
        repositories.update(repository_contexts(options.paths, collection.files))
        _prepare(repositories.values())

    results = lint_files(
        collection.stream(),
        config,
        jobs=options.jobs,
        keep_source=options.output_format == "text",
        inherited=collection.inherited,
        keep_edits=options.output_format == "sarif",  # the only format that shows a fix's edits
        meanwhile=prepare,
    )
    files = collection.files
    result = to_lint_result(results)
    repository = repository_findings(options.paths, files, results, config, repositories)
    result.findings.extend(repository)
    if options.output_format == "text":
        for finding in repository:  # show the source line of requirement files, scripts, .dockerignore
            if finding.file not in result.sources:
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    result.sources[finding.file] = Path(finding.file).read_text(encoding="utf-8")
    extra: dict[str, object] = {}
    if options.output_format == "text" and options.color is not None:
        extra["color"] = options.color
    if options.output_format == "sarif":
        extra["rule_docs"] = {rid: (cls.summary(), cls.documentation()) for rid, cls in all_rules().items()}
    render(options.output_format, result, out, **extra)
    return exit_code(result.findings, result.errors != [], config.fail_on)


def _prepare(repositories: Iterable[RepositoryContext]) -> None:
    for repo in repositories:
        prepare_repository(repo)


def repository_contexts(paths: tuple[str, ...], files: list[tuple[Path, str]]) -> dict[str, RepositoryContext]:
    """The repository context of every directory among ``paths`` (by the path as given), with its Dockerfiles."""
    contexts: dict[str, RepositoryContext] = {}
    for raw in paths:
        root = Path(raw)
        if root.is_dir() and raw not in contexts:
            display = _display(root) if raw not in (".", "./") else ""
            contexts[raw] = RepositoryContext(root, display, sorted(_under(root, files)))
    return contexts


def repository_findings(
    paths: tuple[str, ...],
    files: list[tuple[Path, str]],
    results: list[FileResult],
    config: Config,
    prepared: dict[str, RepositoryContext] | None = None,
) -> list[Finding]:
    """The repository rules' findings for every directory among ``paths`` (contexts ``prepared`` by path)."""
    findings: list[Finding] = []
    for raw in paths:
        root = Path(raw)
        if not root.is_dir():
            continue
        under = {relative: results[index] for relative, index in _under(root, files).items()}
        display = _display(root) if raw not in (".", "./") else ""
        findings.extend(lint_repository(root, display, under, config, (prepared or {}).get(raw)))
    return findings


def _under(root: Path, files: list[tuple[Path, str]]) -> dict[str, int]:
    """Path relative to ``root`` -> index in ``files``, for the files below ``root``."""
    found: dict[str, int] = {}
    for index, (path, _) in enumerate(files):
        try:
            found[path.relative_to(root).as_posix()] = index
        except ValueError:
            continue
    return found


def to_lint_result(results: list[FileResult]) -> LintResult:
    findings: list[Finding] = []
    errors = []
    sources: dict[str, str] = {}
    for item in results:
        findings.extend(item.findings)
        errors.extend(item.errors)
        if item.source is not None:
            sources[item.display_path] = item.source
    return LintResult(findings=findings, errors=errors, files=[r.display_path for r in results], sources=sources)


def exit_code(findings: list[Finding], had_input_errors: bool, threshold: Severity) -> int:
    if had_input_errors:
        return EXIT_ERROR
    if any(f.severity.at_least(threshold) for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK
