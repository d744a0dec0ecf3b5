"""DO605: one package pinned to different versions in different files of one repository."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from dockopt.findings import Finding, Severity
from dockopt.model import StageModel
from dockopt.rules._repo import (
    context_uses,
    exact_version,
    join,
    listing,
    repository_tree,
    same_version,
)
from dockopt.rules.base import RepositoryRule
from dockopt.rules.context import FileContext, RepositoryContext
from dockopt.shell.packages import Action, PackageOperation, classify
from dockopt.shell.requirements import canonical_name, logical_lines, parse_requirement
from dockopt.syntax import Instruction

_MANAGERS = {"pip": "python", "uv": "python", "conda": "conda"}
_SKIPPED_ACTIONS = frozenset({Action.REMOVE, Action.CLEAN, Action.UPDATE})
_REQUIREMENT_NAMES = ("requirements*.txt", "constraints*.txt")
_REQUIREMENT_DIRS = frozenset({"requirements", "constraints", "requirements.d"})
_VERSION_LISTS = frozenset({"versions", ".versions", "versions.txt", "versions.env", "versions.sh", "versions.mk"})
_VERSION_LINE = re.compile(r"""^\s*(?:export\s+)?([A-Za-z][A-Za-z0-9_]*?)_VERSION\s*[:?]?=\s*["']?v?(\d[^\s"'#]*)""")
_INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)?(\S+)")
_TRAILING_OPTIONS = re.compile(r"\s+--?[A-Za-z].*$")
_MAX_SHOWN = 4


@dataclass(frozen=True, slots=True)
class Pin:
    """One package pinned to one version somewhere: a Dockerfile word, a requirement line, a version list."""

    ecosystem: str  # "python" (pip, uv, requirement files, version lists) or "conda"
    name: str
    version: str
    written: str  # as the file spells it: torch==2.1.0, TORCH_VERSION=2.2.2
    file: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class RequirementFile:
    """A ``-r``/``-c`` file a RUN installs from: where it lies in the build context, most likely first."""

    line: int
    candidates: tuple[str, ...]  # paths relative to the build context


@dataclass(frozen=True, slots=True)
class DockerfilePins:
    pins: tuple[Pin, ...]
    requirement_files: tuple[RequirementFile, ...]


class ConflictingPins(RepositoryRule):
    """The same package pinned to different versions in different files of one repository.

    What it does:
        Gathers every exact pin (`==1.2.3`) of the repository: packages on `pip`, `uv` and
        `conda` command lines in the Dockerfiles, the requirement and constraint files those
        commands install (`-r`/`-c`, found in the build context through the COPY or bind mount
        that puts them in the image), every `requirements*.txt`, `constraints*.txt` and
        `requirements/*.txt` of the repository, and version lists (files named `versions.txt`,
        `versions.env`…, such as `docker/versions.txt` with `TORCH_VERSION=2.2.2`). When one
        package is pinned to more than one version, reports every pin that disagrees with the
        most common version (on a tie, with the version met first in path order), naming the
        other pins and their files. `2.2` and `2.2.0` are one
        version, and so are `2.2.2` and `2.2.2+cu121` (builds of one release); conda pins are
        compared with conda pins only; pins under an environment marker (`; python_version <
        "3.10"`), ranges and versions from variables are not compared.

    Why is this bad?
        Images of one repository that disagree on a version behave differently for the same
        code: the ASR stage computes with torch 2.1 while the model was trained with 2.2, an
        image downgrades the numpy its base installed (pip replaces it in a new layer), and the
        central version list says something no image does. Such drift is rarely deliberate; when
        it is, a comment and one place that owns the exception make it visible.

    Example:
        ```text
        # requirements/ml.txt        torch==2.2.2
        # docker/stages/asr/Dockerfile
        RUN pip install torch==2.1.0 -r requirements/asr.txt
        ```

    Use instead:
        ```text
        # requirements/ml.txt        torch==2.2.2
        # docker/stages/asr/Dockerfile
        RUN pip install -r requirements/asr.txt   # torch comes from the base (2.2.2)
        ```
    """

    id = "DO605"
    name = "conflicting-pins"
    severity = Severity.WARNING
    groups = ("reproducibility",)

    def collect(self, ctx: FileContext) -> object | None:
        pins: list[Pin] = []
        files: list[RequirementFile] = []
        path = ctx.display_path
        for stage in ctx.model.stages:
            for state in stage.states:
                ins = state.instruction
                if ins.keyword != "RUN":
                    continue
                script = ctx.script(ins)
                if script is None:
                    continue
                for command in script.commands:
                    operation = classify(command, script, env=state.env)
                    if not isinstance(operation, PackageOperation) or operation.manager not in _MANAGERS:
                        continue
                    if operation.action in _SKIPPED_ACTIONS:
                        continue
                    ecosystem = _MANAGERS[operation.manager]
                    for spec in operation.packages:
                        if "$" in spec.word.raw or spec.marker:
                            continue
                        version = _pinned_version(ecosystem, spec.specifier)
                        if version is None:
                            continue
                        start = ctx.df.position(spec.word.start)
                        end = ctx.df.position(max(spec.word.end - 1, spec.word.start))
                        written = spec.name + spec.specifier
                        pins.append(
                            Pin(ecosystem, spec.name, version, written, path, start.line, start.column, end.line,
                                end.column)
                        )  # fmt: skip
                    line = ctx.df.position(command.start).line
                    for written in (*operation.requirement_files, *operation.constraint_files):
                        if "$" not in written:
                            image_path = _join(state.workdir, written)
                            files.append(RequirementFile(line, _context_paths(ctx, stage, ins, image_path)))
        if not pins and not files:
            return None
        return DockerfilePins(tuple(pins), tuple(files))

    def check_repository(self, repo: RepositoryContext) -> Iterator[Finding]:
        yield from self._report(repo, repository_pins(repo))

    @staticmethod
    def installed_files(repo: RepositoryContext, facts: dict[str, DockerfilePins]) -> list[str]:
        """The repository files the Dockerfiles install with ``-r``/``-c``, through their build contexts."""
        contexts: dict[str, list[str]] = {}
        for use in context_uses(repo):
            contexts.setdefault(use.dockerfile, []).append(use.context)
        found: list[str] = []
        has_file = repository_tree(repo).has_file
        for dockerfile, fact in sorted(facts.items()):
            for requirement in fact.requirement_files:
                for context in contexts.get(dockerfile, [posixpath.dirname(dockerfile) or "."]):
                    path = next((join(context, c) for c in requirement.candidates if has_file(join(context, c))), None)
                    if path is not None:
                        found.append(posixpath.normpath(path))
                        break
        return found

    def _report(self, repo: RepositoryContext, pins: list[Pin]) -> Iterator[Finding]:
        by_package: dict[tuple[str, str], dict[tuple[str, int], Pin]] = {}
        for pin in pins:
            by_package.setdefault((pin.ecosystem, canonical_name(pin.name)), {}).setdefault((pin.file, pin.line), pin)
        odd: dict[tuple[str, int], list[tuple[Pin, list[Pin]]]] = {}
        for located in by_package.values():
            ordered = sorted(located.values(), key=lambda p: (p.file, p.line))
            groups: list[list[Pin]] = []
            for pin in ordered:
                group = next((g for g in groups if same_version(g[0].version, pin.version)), None)
                if group is None:
                    groups.append([pin])
                else:
                    group.append(pin)
            if len(groups) < 2:
                continue
            counts = Counter({i: len(g) for i, g in enumerate(groups)})
            top = max(counts.values())
            winner = next(i for i, g in enumerate(groups) if len(g) == top)  # groups are in path order
            for i, group in enumerate(groups):
                if i == winner:
                    continue
                others = [p for j, g in enumerate(groups) if j != i for p in g]
                others.sort(key=lambda p: (p.version != groups[winner][0].version, p.file, p.line))
                for pin in group:
                    odd.setdefault((pin.file, pin.line), []).append((pin, others))
        said: dict[int, tuple[list[Pin], str]] = {}
        for (file, line), items in sorted(odd.items()):
            items.sort(key=lambda item: (item[0].column, item[0].name))
            first, last = items[0][0], items[-1][0]
            same_line = all(pin.end_line in (None, line) for pin, _ in items)
            parts = [_message_part(pin, others, said) for pin, others in items]
            message = (
                "; ".join(parts) + ": images and environments built from this repository get different versions "
                f"of {'this package' if len(items) == 1 else 'these packages'}; pin one version everywhere"
            )
            if first.end_column is not None and same_line:
                yield self.finding_in(repo, file, line, message, column=first.column, end_column=last.end_column)
            else:
                yield self.finding_in(repo, file, line, message, column=first.column)


def repository_pins(repo: RepositoryContext) -> list[Pin]:
    """Every exact pin of the repository: Dockerfiles (facts DO605 collected), requirement files, version lists."""
    facts = {path: fact for path, fact in repo.facts_of(ConflictingPins.id).items() if isinstance(fact, DockerfilePins)}
    pins: list[Pin] = []
    for path in sorted(facts):
        pins += [p if p.file == path else _moved(p, path) for p in facts[path].pins]
    tree = repository_tree(repo)
    requirement_files = [p for p in tree.files if _is_requirement_file(p)]
    if any(fact.requirement_files for fact in facts.values()):
        requirement_files += ConflictingPins.installed_files(repo, facts)
    seen: set[str] = set()
    pending = list(dict.fromkeys(requirement_files))
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        found, included = _requirement_pins(repo, path)
        pins += found
        pending += [p for p in included if p not in seen]
    for path in tree.files:
        if path.rpartition("/")[2].lower() in _VERSION_LISTS:
            pins += _version_list_pins(repo, path)
    return pins


def _message_part(pin: Pin, others: list[Pin], said: dict[int, tuple[list[Pin], str]]) -> str:
    """``torch==2.1.0, but torch is also pinned to 2.2.2 at a:3, b:7 and c:1`` (other versions in short).

    Every pin of a version group shares one ``others`` list: what it says is worked out once (``said``,
    by the list's id; the list is kept with it).
    """
    known = said.get(id(others))
    if known is None:
        known = said[id(others)] = (others, _others_part(others))
    return f"{pin.written}, but {pin.name} is also pinned to {known[1]}"


def _others_part(others: list[Pin]) -> str:
    versions: dict[str, list[Pin]] = {}
    for other in others:  # the most common version comes first
        versions.setdefault(other.version, []).append(other)
    (version, located), *rest = versions.items()
    shown = [p.where for p in located[:_MAX_SHOWN]]
    if len(located) > _MAX_SHOWN:
        shown.append(f"{len(located) - _MAX_SHOWN} more")
    text = f"{version} at {listing(shown, _MAX_SHOWN + 1)}"
    if len(rest) == 1 and len(rest[0][1]) == 1:
        text += f", and to {rest[0][0]} at {rest[0][1][0].where}"
    elif rest:
        counted = [f"{v} ({len(p)} pin{'s' if len(p) > 1 else ''})" for v, p in rest]
        text += f", and to {listing(counted, 3)}"
    return text


def _moved(pin: Pin, path: str) -> Pin:
    """The pin with the Dockerfile's path relative to the repository root."""
    return Pin(pin.ecosystem, pin.name, pin.version, pin.written, path, pin.line, pin.column, pin.end_line,
               pin.end_column)  # fmt: skip


def _pinned_version(ecosystem: str, specifier: str) -> str | None:
    if ecosystem == "conda":
        value = specifier.lstrip("=")
        return value if value and specifier.startswith("=") and not any(c in value for c in "*|,<>!") else None
    return exact_version(specifier)


def _is_requirement_file(path: str) -> bool:
    directory, _, name = path.rpartition("/")
    lower = name.lower()
    if any(fnmatchcase(lower, pattern) for pattern in _REQUIREMENT_NAMES):
        return True
    return lower.endswith(".txt") and directory.rpartition("/")[2].lower() in _REQUIREMENT_DIRS


def _requirement_pins(repo: RepositoryContext, path: str) -> tuple[list[Pin], list[str]]:
    """The exact pins of a requirement file, and the files it includes (``-r``/``-c``)."""
    text = repo.read_text(path)
    if text is None:
        return [], []
    pins: list[Pin] = []
    included: list[str] = []
    directory = posixpath.dirname(path)
    for start, number, raw, line in logical_lines(text):
        include = _INCLUDE.match(line)
        if include is not None:
            target = posixpath.normpath(posixpath.join(directory, include.group(1)))
            if not target.startswith("../") and "$" not in target:
                included.append(target)
            continue
        if line.startswith("-"):
            continue
        requirement = parse_requirement(_TRAILING_OPTIONS.sub("", line))
        if requirement is None or requirement.marker or requirement.url:
            continue
        version = exact_version(requirement.specifier)
        if version is not None:
            column = len(raw) - len(raw.lstrip()) + 1
            written = f"{requirement.name}{requirement.specifier.replace(' ', '')}"
            pins.append(Pin("python", requirement.name, version, written, path, start, column, start,
                            len(raw.rstrip()) if start == number else None))  # fmt: skip
    return pins, included


def _version_list_pins(repo: RepositoryContext, path: str) -> list[Pin]:
    text = repo.read_text(path)
    if text is None:
        return []
    pins: list[Pin] = []
    for number, raw in enumerate(text.splitlines(), 1):
        match = _VERSION_LINE.match(raw)
        if match is None:
            continue
        name = canonical_name(match.group(1))
        written = raw.strip()
        column = len(raw) - len(raw.lstrip()) + 1
        pins.append(Pin("python", name, match.group(2), written, path, number, column, number, len(raw.rstrip())))
    return pins


# -- where a requirement file of the image comes from in the build context ---------------------


def _join(workdir: str, path: str) -> str:
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(workdir or "/", path))


def _context_paths(ctx: FileContext, stage: StageModel, run: Instruction, image_path: str) -> tuple[str, ...]:
    """Context paths that may have been copied to ``image_path`` before ``run``, the latest copy first:
    the RUN's bind mounts, then COPY/ADD (not ``--from``) in the stage and the stages it is built FROM."""
    found: list[str] = []
    for mount in ctx.state(run).mounts:
        if mount.type == "bind" and mount.from_stage is None:
            target = _join(ctx.state(run).workdir, mount.target)
            source = _clean(mount.source or ".")
            found += _copied(image_path, target, source, directory=False)
    chain: list[StageModel] = []
    current: StageModel | None = stage
    while current is not None and current not in chain:
        chain.append(current)
        current = current.parent
    copies: list[tuple[str, list[str], bool]] = []
    for member in reversed(chain):
        for state in member.states:
            ins = state.instruction
            if ins is run:
                break
            if ins.keyword not in ("COPY", "ADD") or ins.heredocs:
                continue
            expanded = ctx.expansion.at(ins)
            values = expanded.values or ()
            if any(name == "from" for name, _ in expanded.flags) or len(values) < 2:
                continue
            destination = values[-1]
            directory = destination.endswith("/") or destination in (".", "..") or len(values) > 2
            copies.append((_join(state.workdir, destination), list(values[:-1]), directory))
    for destination, sources, directory in reversed(copies):
        for source in sources:
            if "://" not in source:
                found += _copied(image_path, destination, _clean(source), directory=directory)
    return tuple(dict.fromkeys(found))


def _copied(image_path: str, destination: str, source: str, *, directory: bool) -> list[str]:
    """Where ``image_path`` comes from if ``source`` (a context path, ``""`` the context) was copied to
    ``destination``: the file itself, a file into a directory, or a directory's contents."""
    found: list[str] = []
    name = posixpath.basename(image_path)
    if any(ch in source for ch in "*?["):
        parent, _, pattern = source.rpartition("/")
        if posixpath.dirname(image_path) == destination and fnmatchcase(name, pattern):
            found.append(join(parent or ".", name) if parent else name)
        return found
    if source and not directory and image_path == destination:
        found.append(source)
    if source and image_path == posixpath.join(destination, posixpath.basename(source)):
        found.append(source)
    prefix = destination.rstrip("/") + "/"
    if image_path.startswith(prefix):
        found.append(join(source or ".", image_path[len(prefix) :]) if source else image_path[len(prefix) :])
    return found


def _clean(source: str) -> str:
    return posixpath.normpath("/" + source)[1:].lstrip("/")
