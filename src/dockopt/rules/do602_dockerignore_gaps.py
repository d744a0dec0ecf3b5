"""DO602: .dockerignore patterns that only match at the context root, and large directories not excluded."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dockopt.errors import DockoptError
from dockopt.findings import Finding, Severity
from dockopt.repo.context import ContextReport, HeavyEntry, PatternGap, analyze_context
from dockopt.repo.dockerignore import read_ignore_file
from dockopt.rules._repo import (
    ENTRY_KINDS,
    LARGE_BYTES,
    ContextGroup,
    context_groups,
    copied_on_purpose,
    copy_facts,
    copy_sources,
    copying_lines,
    describe_entry,
    join,
    listing,
    repository_tree,
)
from dockopt.rules.base import RepositoryRule
from dockopt.rules.context import FileContext, RepositoryContext
from dockopt.units import format_bytes

_ALWAYS = frozenset({"virtualenv", "node_modules", "model-cache"})  # the others count from 1 MB


class DockerignoreGaps(RepositoryRule):
    """A .dockerignore pattern that only matches at the context root, or a large directory it does not exclude.

    What it does:
        Reads the ignore file of every build context with Docker's own matching rules, walks the
        context, and reports:

        - a one-component pattern (`__pycache__/`, `*.pyc`, `.venv`) that matches entries only at
          the context root while entries of that name are sent from deeper directories — only when
          everything it misses is a cache, bytecode, a log, an editor or OS file, or a secret, so
          the deeper entries are certainly unwanted (a root-only `data/` may be deliberate). The
          finding is at the pattern's line and names the fix, `**/<pattern>`, the entries sent and
          the COPY lines that take them into images;
        - a virtualenv, `node_modules` or model cache of any size, and model weights, `.git` or
          tool caches of 1 MB or more that the ignore file leaves in the context, unless a COPY/ADD
          of a Dockerfile built with this context names them. The finding is at the pattern whose
          name matches the entry, if any, else at line 1 of the ignore file.

    Why is this bad?
        Unlike `.gitignore`, `.dockerignore` patterns are anchored at the context root:
        `__pycache__/` excludes `./__pycache__` and nothing below `src/`. The bytecode, caches or
        virtualenvs the author meant to exclude are sent with every build, copied into the image
        by `COPY . .` or `COPY src/ …`, and change the layer checksum whenever they change.

    Example:
        ```text
        # .dockerignore
        __pycache__/
        *.pyc
        ```

    Use instead:
        ```text
        # .dockerignore
        **/__pycache__
        **/*.pyc
        ```
    """

    id = "DO602"
    name = "dockerignore-gaps"
    severity = Severity.WARNING
    groups = ("size", "cache")

    def collect(self, ctx: FileContext) -> object | None:
        return copy_sources(ctx) or None

    def check_repository(self, repo: RepositoryContext) -> Iterator[Finding]:
        tree = repository_tree(repo)
        reported: set[tuple[str, int]] = set()
        for group in context_groups(repo):
            if group.ignore_file is None:
                continue
            try:
                ignore = read_ignore_file(repo.root / group.ignore_file)
            except OSError:
                continue
            root_only = any(p.components == 1 and not p.exclusion and "**" not in p.pattern for p in ignore.patterns)
            if not root_only and not tree.has_candidates(group.context):
                continue
            try:
                report = analyze_context(repo.root / group.context, repo.root / group.dockerfiles[0])
            except (DockoptError, OSError):
                continue
            for finding in self._check(repo, group, group.ignore_file, report):
                key = (finding.file, finding.location.line)
                if key not in reported:
                    reported.add(key)
                    yield finding

    def _check(
        self, repo: RepositoryContext, group: ContextGroup, ignore_file: str, report: ContextReport
    ) -> Iterator[Finding]:
        sources = copy_facts(repo, self.id, group.dockerfiles)
        gaps = list(report.pattern_gaps)
        for gap in gaps:
            if gap.suggested:
                yield self.finding_in(repo, ignore_file, gap.pattern.line, _gap_message(gap, group, sources))
        missed: list[HeavyEntry] = []
        for entry in report.heavy:
            if entry.kind not in ENTRY_KINDS or not (entry.kind in _ALWAYS or entry.bytes >= LARGE_BYTES):
                continue
            if copied_on_purpose(sources, entry.paths, contents=entry.kind == "weights"):
                continue  # a Dockerfile wants it
            names = {path.rpartition("/")[2] for path in entry.paths}
            missing = next((g for g in gaps if any(g.pattern.matches(name) for name in names)), None)
            if missing is None:
                missed.append(entry)
            elif not missing.suggested:
                message = (
                    f"`{missing.pattern.text}` only matches at the context root, so "
                    f"{describe_entry(entry, group.context)} is still sent{_copied(sources, entry.paths)}; "
                    f"write `{missing.fix}` to exclude it at any depth"
                )
                yield self.finding_in(repo, ignore_file, missing.pattern.line, message)
        if missed:
            described = listing([describe_entry(e, group.context) for e in missed])
            into = _copied(sources, [path for entry in missed for path in entry.paths])
            message = (
                f"this .dockerignore leaves {described} in the build context: every build sends "
                f"{'them' if len(missed) > 1 else 'it'}{into}; add {listing([f'`{entry.fix}`' for entry in missed])}"
            )
            yield self.finding_in(repo, ignore_file, 1, message)


def _gap_message(gap: PatternGap, group: ContextGroup, sources: list[tuple[str, int, str]]) -> str:
    shown = listing([f"`{join(group.context, path)}`" for path in gap.examples], 3)
    more = f" ({gap.matches} entries)" if gap.matches > len(gap.examples) else ""
    files = f"{gap.files} file{'s' if gap.files != 1 else ''}"
    into = _copied(sources, gap.examples)
    return (
        f"`{gap.pattern.text}` only matches at the context root (.dockerignore patterns are anchored there), "
        f"so {shown}{more} is still sent ({files}, {format_bytes(gap.bytes)}){into}; "
        f"write `{gap.fix}` to exclude it at any depth"
    )


def _copied(sources: list[tuple[str, int, str]], paths: Iterable[str]) -> str:
    copied = copying_lines(sources, paths)
    if not copied:
        return ""
    return f", and {listing(copied, 5)} {'copies' if len(copied) == 1 else 'copy'} it into an image"
