"""DO604: a build script builds an image before its in-repository base, or rewrites FROM lines with a
pattern that matches nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Finding, Severity
from dockopt.repo.builds import Build
from dockopt.repo.graph import ImageGraph
from dockopt.repo.scripts import Rewrite, sed_regex
from dockopt.rules._repo import first_column, listing, repository_tree
from dockopt.rules.base import RepositoryRule
from dockopt.rules.context import RepositoryContext

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE)
_BACKREFERENCE = re.compile(r"\\[0-9]|(?<!\\)&")


class BuildOrder(RepositoryRule):
    """A build script builds an image before the in-repository base it is built FROM, or its `sed`
    rewrite of FROM lines matches nothing.

    What it does:
        Reads the shell build scripts of the repository in execution order (loops unrolled,
        variables followed) and reports:

        - a `docker build` of an image whose Dockerfile is built FROM (or copies from) an image
          that the same script builds only later: at the child's build line, naming the line that
          builds the base. A base the script never builds is expected from the registry and is not
          reported; when the base is also built earlier, the order is right. Builds inside an
          `if`, `case`, loop condition or after `||` may be skipped at run time: the message says
          so instead of guessing;
        - a `sed -i` substitution of FROM lines (its pattern, address or replacement mentions
          `FROM`) whose pattern matches no line of the Dockerfiles it edits — unless the
          replacement text is already there (the script ran before).

        Compose files and bake files claim no order: `docker compose build` and `docker buildx
        bake` build their images concurrently, and bake's `target:` contexts are resolved by bake
        itself; they are not checked.

    Why is this bad?
        `docker build` resolves `FROM registry/ml-base:1.0` when it starts. Built before its base,
        a child image silently uses whatever `ml-base:1.0` the local engine or the registry has —
        last week's base, with other packages — or fails on a fresh CI runner. A `sed` that
        matches nothing leaves the Dockerfiles as they were: the "pin every stage to this
        release's base" step does nothing, and nobody notices.

    Example:
        ```bash
        for stage in asr diarize; do
          docker build -t "$REGISTRY/$stage" -f "docker/stages/$stage/Dockerfile" .   # FROM ml-base
        done
        docker build -t "$REGISTRY/ml-base" -f docker/base/ml/Dockerfile .
        ```

    Use instead:
        ```bash
        docker build -t "$REGISTRY/ml-base" -f docker/base/ml/Dockerfile .
        for stage in asr diarize; do
          docker build -t "$REGISTRY/$stage" -f "docker/stages/$stage/Dockerfile" .
        done
        ```
        or let `dockopt graph --format bake` write a bake file that orders the builds.
    """

    id = "DO604"
    name = "build-order"
    severity = Severity.ERROR
    groups = ("correctness",)

    def check_repository(self, repo: RepositoryContext) -> Iterator[Finding]:
        if not repository_tree(repo).declares_builds:
            return
        graph = repo.graph
        yield from self._order(repo, graph)
        for rewrite in graph.rewrites:
            message = _rewrite_message(repo, rewrite)
            if message is not None:
                column = first_column(repo, rewrite.source, rewrite.line)
                yield self.finding_in(repo, rewrite.source, rewrite.line, message, column=column)

    def _order(self, repo: RepositoryContext, graph: ImageGraph) -> Iterator[Finding]:
        image_of = {(b.source, b.line, b.order): image.name for image in graph.images.values() for b in image.builds}
        in_cycle = {name: set(cycle.images) for cycle in graph.cycles for name in cycle.images}
        scripts: dict[str, list[Build]] = {}
        for build in graph.builds:
            if build.kind == "script":
                scripts.setdefault(build.source, []).append(build)
        for source, builds in sorted(scripts.items()):
            builds.sort(key=lambda b: b.order)
            first_build: dict[str, Build] = {}
            for build in builds:
                first_build.setdefault(image_of.get((build.source, build.line, build.order), ""), build)
            late: dict[tuple[int, int], list[tuple[str, str, Build]]] = {}  # (child line, base line) -> items
            for build in builds:
                name = image_of.get((build.source, build.line, build.order))
                if name is None:
                    continue
                image = graph.images[name]
                for base in dict.fromkeys(b.image for b in image.bases if b.image is not None and b.image != name):
                    if base in in_cycle.get(name, ()):
                        continue  # no order can satisfy a cycle: the graph reports it
                    base_build = first_build.get(base)
                    if base_build is not None and base_build.order > build.order:
                        late.setdefault((build.line, base_build.line), []).append((name, base, base_build))
            for (line, _), items in sorted(late.items()):
                children = list(dict.fromkeys(name for name, _, _ in items))
                bases = list(dict.fromkeys(base for _, base, _ in items))
                base_build = items[0][2]
                child_builds = [b for b in builds if b.line == line]
                message = _order_message(graph, children, bases, base_build, child_builds)
                yield self.finding_in(repo, source, line, message, column=first_column(repo, source, line))


def _order_message(
    graph: ImageGraph, children: list[str], bases: list[str], base_build: Build, child_builds: list[Build]
) -> str:
    froms = listing([_base_reference(graph, c, bases) for c in children], 3)
    text = (
        f"builds {listing(children)} before {'its' if len(children) == 1 else 'their'} base {listing(bases)} "
        f"({froms}), which this script builds only on line {base_build.line}: the build takes whatever "
        f"{listing(bases)} the engine or the registry already has (a stale base), or fails on a fresh machine; "
        f"build {listing(bases)} first"
    )
    notes = []
    if any(b.conditional for b in child_builds):
        notes.append("this build is inside a conditional and may not run")
    if base_build.conditional:
        notes.append(f"the build on line {base_build.line} is inside a conditional and may not run")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _base_reference(graph: ImageGraph, child: str, bases: list[str]) -> str:
    """``FROM at docker/app/Dockerfile:1`` (or ``COPY --from at …``): where the child names its base."""
    image = graph.images[child]
    reference = next((b for b in image.bases if b.image in bases), None)
    if reference is None:
        return image.dockerfile
    keyword = {"from": "FROM", "copy": "COPY --from", "mount": "RUN --mount from"}.get(reference.kind, "FROM")
    return f"{keyword} at {image.dockerfile}:{reference.line}"


def _rewrite_message(repo: RepositoryContext, rewrite: Rewrite) -> str | None:
    """Why a FROM rewrite does nothing, or None when it matches (or cannot be judged)."""
    text = " ".join((rewrite.address, rewrite.pattern, rewrite.replacement))
    if "from" not in text.lower() or not rewrite.files:
        return None
    regex = rewrite.regex()
    if regex is None:
        return None
    address = _address(rewrite)
    if rewrite.address and address is None:
        return None
    replacement = None if _BACKREFERENCE.search(rewrite.replacement) else rewrite.replacement.replace("\\", "")
    references: list[str] = []
    for path in rewrite.files:
        content = repo.read_text(path)
        if content is None:
            return None
        for line in content.splitlines():
            if (address is None or address.search(line)) and regex.search(line):
                return None
            if replacement and "$" not in replacement and replacement in line:
                return None  # already rewritten by an earlier run
            match = _FROM.match(line)
            if match:
                references.append(match.group(1))
    shown = listing([f"`{r}`" for r in dict.fromkeys(references)], 4)
    found = f": their FROM lines name {shown}" if references else ": they have no FROM line it could match"
    files = rewrite.targets[0] if len(rewrite.targets) == 1 else listing(list(rewrite.targets))
    count = len(rewrite.files)
    return (
        f"`sed` pattern `{rewrite.pattern}` matches no line of the {count} Dockerfile{'s' if count != 1 else ''} "
        f"it rewrites ({files}){found}; the rewrite does nothing, so the images keep the bases their "
        f"Dockerfiles name"
    )


def _address(rewrite: Rewrite) -> re.Pattern[str] | None:
    """The regular expression of a ``/re/`` or ``\\cREc`` address; None for none or another kind."""
    address = rewrite.address.strip()
    if len(address) >= 2 and address[0] == "/" and address.rstrip("I").endswith("/"):
        body = address[1 : len(address.rstrip("I")) - 1]
        return sed_regex(body, extended=rewrite.extended, ignore_case=address.endswith("I"))
    if len(address) >= 3 and address[0] == "\\":
        delimiter = address[1]
        body = address[2:].rstrip("I")
        if body.endswith(delimiter):
            return sed_regex(body[:-1], extended=rewrite.extended, delimiter=delimiter)
    return None
