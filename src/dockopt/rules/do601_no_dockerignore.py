"""DO601: a build context without a .dockerignore that sends .git, virtualenvs, caches, weights or media."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.errors import DockoptError
from dockopt.findings import Finding, Severity
from dockopt.repo.context import analyze_context
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
    listing,
    repository_tree,
    suffix,
)
from dockopt.rules.base import RepositoryRule
from dockopt.rules.context import FileContext, RepositoryContext
from dockopt.units import format_bytes

_ALWAYS = frozenset({"git", "virtualenv", "node_modules", "cache", "model-cache"})  # weights and media: when large


class NoDockerignore(RepositoryRule):
    """A build context with no .dockerignore sends .git, virtualenvs, caches, model or media files.

    What it does:
        For every build context of the repository (the context each compose service, bake target
        or `docker build` line of a script gives an image; for a Dockerfile that no build
        mentions, its directory), checks whether a `.dockerignore` (or `<Dockerfile>.dockerignore`)
        exists. When none does and the context holds `.git`, a virtualenv, `node_modules`, tool
        caches (`__pycache__`, `.pytest_cache`, `.mypy_cache`…), a model cache, or model weights
        and audio/video files of 1 MB or more, reports it once per context: at the build line that
        names the context (the first one, when several builds share it), or at line 1 of the
        Dockerfile. The message names what is sent, with sizes, and the lines to write. Entries a
        COPY/ADD of these Dockerfiles names (`COPY models/*.pt …`) are wanted and not counted.

    Why is this bad?
        `docker build` sends the whole context to the builder before the first instruction runs.
        A virtualenv or `.git` makes every build slower, and with `COPY . .` they end up in the
        image; worse, any change in them (a commit, a test run writing `__pycache__`) changes the
        checksum of `COPY . .` and throws away the layer cache of everything after it.

    Example:
        ```text
        repo/
          Dockerfile        # COPY . .
          .git/  .venv/  src/app/__pycache__/
        ```

    Use instead:
        ```text
        # repo/.dockerignore
        .git
        .venv
        **/__pycache__
        ```
    """

    id = "DO601"
    name = "no-dockerignore"
    severity = Severity.WARNING
    groups = ("size", "cache")

    def collect(self, ctx: FileContext) -> object | None:
        return copy_sources(ctx) or None

    def check_repository(self, repo: RepositoryContext) -> Iterator[Finding]:
        tree = repository_tree(repo)
        for group in context_groups(repo):
            if group.ignore_file is not None or not tree.has_candidates(group.context):
                continue
            finding = self._check(repo, group)
            if finding is not None:
                yield finding

    def _check(self, repo: RepositoryContext, group: ContextGroup) -> Finding | None:
        try:
            report = analyze_context(repo.root / group.context, repo.root / group.dockerfiles[0])
        except (DockoptError, OSError):
            return None
        sources = copy_facts(repo, self.id, group.dockerfiles)

        entries = [
            entry
            for entry in report.heavy
            if entry.kind in ENTRY_KINDS
            and (entry.kind in _ALWAYS or entry.bytes >= LARGE_BYTES)
            and not copied_on_purpose(sources, entry.paths, contents=entry.kind == "weights")
        ]
        media = [
            (path, size)
            for path, size in repository_tree(repo).media_in(group.context)
            if not copied_on_purpose(sources, [path], contents=True)
        ]
        media_bytes = sum(size for _, size in media)
        if not entries and media_bytes < LARGE_BYTES:
            return None
        parts = [describe_entry(entry, group.context) for entry in entries]
        lines = [entry.fix for entry in entries]
        copied = copying_lines(sources, [path for entry in entries for path in entry.paths])
        if media_bytes >= LARGE_BYTES:
            plural = "s" if len(media) > 1 else ""
            parts.append(f"{len(media)} audio/video file{plural} ({format_bytes(media_bytes)})")
            lines += sorted({f"**/*{suffix(path)}" for path, _ in media})
            copied = sorted({*copied, *copying_lines(sources, [path for path, _ in media])})
        context = "`.` (the repository root)" if group.context == "." else f"`{group.context}/`"
        ignore_path = ".dockerignore" if group.context == "." else f"{group.context}/.dockerignore"
        into = (
            f"; {listing(copied, 3)} {'copies' if len(copied) == 1 else 'copy'} them into the image, so any change "
            "there also invalidates that layer and every layer after it"
            if copied
            else ""
        )
        message = (
            f"the build context {context}{self._users(group)} has no .dockerignore, so every build sends "
            f"{listing(parts)}, of {format_bytes(report.bytes_sent)} in all{into}; create {ignore_path} with "
            f"{listing([f'`{line}`' for line in dict.fromkeys(lines)])}"
        )
        builds = group.builds
        if builds:
            return self.finding_in(repo, builds[0].source, builds[0].line, message)
        return self.finding_in(repo, group.dockerfiles[0], 1, message)

    @staticmethod
    def _users(group: ContextGroup) -> str:
        dockerfiles = group.dockerfiles
        if group.builds:
            shown = listing(dockerfiles) if len(dockerfiles) <= 2 else f"{len(dockerfiles)} Dockerfiles"
            return f" (used by {shown})"
        return ""
