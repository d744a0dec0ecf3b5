"""Helpers of the repository rules (DO6xx): one walk of the tree, the build contexts, COPY sources, sizes.

Every repository rule runs once per linted directory, on the same ``RepositoryContext``; what
several of them need (the walk of the tree, which Dockerfile is built with which context) is
computed once per context object and kept until it is gone.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dockopt.repo.builds import Build, is_bake_name
from dockopt.repo.compose import is_compose_name
from dockopt.repo.context import HeavyEntry
from dockopt.repo.discovery import SKIPPED_DIRS, is_virtualenv
from dockopt.repo.dockerignore import filepath_match_regex, find_ignore_file, go_clean
from dockopt.repo.scripts import is_script_name
from dockopt.rules.context import FileContext, RepositoryContext
from dockopt.units import format_bytes

T = TypeVar("T")

WEIGHT_SUFFIXES = frozenset({".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".gguf", ".h5", ".tflite"})
MEDIA_SUFFIXES = frozenset(
    {".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aac", ".mp4", ".mov", ".avi", ".mkv", ".webm"}
)
LARGE_BYTES = 1 << 20  # weights, media, .git or caches of this size matter on their own

_MEMO: dict[int, dict[str, object]] = {}


def memo(repo: RepositoryContext, key: str, factory: Callable[[], T]) -> T:
    """``factory()`` computed once per repository context (the rules share one per linted directory)."""
    slot = id(repo)
    if slot not in _MEMO:
        _MEMO[slot] = {}
        weakref.finalize(repo, _MEMO.pop, slot, None)
    values = _MEMO[slot]
    if key not in values:
        values[key] = factory()
    return values[key]  # type: ignore[return-value]


# -- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepositoryTree:
    """The files of the repository (VCS data, virtualenvs, dependency and cache folders left out).

    ``skipped`` holds the directories not entered (``.git``, ``.venv``, ``node_modules``,
    ``__pycache__``…, any directory with a ``pyvenv.cfg``); ``large_files`` the weights and media
    files with their sizes. ``declares_builds`` is True when a compose file, bake file or shell
    script exists: only then can anything build an image, and only then is the image graph needed.
    """

    root: Path
    files: tuple[str, ...]
    dirs: frozenset[str]
    skipped: tuple[str, ...]
    large_files: tuple[tuple[str, int], ...]
    declares_builds: bool
    by_name: dict[str, list[str]] = field(default_factory=dict)
    entered: frozenset[str] = frozenset()  # the directories walked ("" for the root; no symlinked one)
    answers: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)  # has_file's, by path

    def is_file(self, path: Path) -> bool:
        """``path.is_file()`` for a path below the root, answered as ``has_file`` does."""
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            return path.is_file()
        return self.has_file(relative)

    def has_file(self, relative: str) -> bool:
        """Whether the file ``relative`` (to the root) exists, asked of the walk first: a file it did not list
        in a directory it entered does not exist (most contexts have no ignore file: no stat for them).
        Answers are kept: the Dockerfiles of one context ask about the same few files."""
        known = self.answers.get(relative)
        if known is None:
            directory, _, name = relative.rpartition("/")
            if directory in self.entered and relative not in self.by_name.get(name, ()):
                known = False
            else:
                known = (self.root / relative).is_file()
            self.answers[relative] = known
        return known

    def has_candidates(self, context: str) -> bool:
        """Whether the context may hold something a .dockerignore should leave out (checked precisely later)."""
        return any(within(path, context) for path in self.skipped) or any(
            within(path, context) for path, _ in self.large_files
        )

    def media_in(self, context: str) -> list[tuple[str, int]]:
        """Audio and video files below ``context`` (paths relative to it)."""
        return [
            (relative_to(path, context), size)
            for path, size in self.large_files
            if within(path, context) and suffix(path) in MEDIA_SUFFIXES
        ]


def prepare_repository(repo: RepositoryContext) -> None:
    """Do the repository rules' shared work that needs no facts: the walk of the tree, the build contexts."""
    context_groups(repo)


def repository_tree(repo: RepositoryContext) -> RepositoryTree:
    return memo(repo, "tree", lambda: _walk(repo.root))


def _walk(root: Path) -> RepositoryTree:
    files: list[str] = []
    dirs: set[str] = set()
    skipped: list[str] = []
    large: list[tuple[str, int]] = []
    builds = False
    entered: set[str] = set()
    for directory, dirnames, filenames in os.walk(root):
        relative = os.path.relpath(directory, root).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        entered.add(prefix[:-1])
        kept = []
        for name in sorted(dirnames):
            path = prefix + name
            if name in SKIPPED_DIRS or name.startswith("models--") or is_virtualenv(os.path.join(directory, name)):  # noqa: PTH118
                skipped.append(path)
            else:
                kept.append(name)
                dirs.add(path)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = prefix + name
            files.append(path)
            if is_compose_name(name) or is_bake_name(name) or is_script_name(name):
                builds = True
            if suffix(name) in WEIGHT_SUFFIXES | MEDIA_SUFFIXES:
                try:
                    large.append((path, Path(directory, name).stat().st_size))
                except OSError:
                    continue
    by_name: dict[str, list[str]] = {}
    for path in files:
        by_name.setdefault(path.rpartition("/")[2], []).append(path)
    return RepositoryTree(
        root, tuple(files), frozenset(dirs), tuple(skipped), tuple(large), builds, by_name, frozenset(entered)
    )


# -- build contexts ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextUse:
    """A linted Dockerfile built with a context (relative to the root, ``.`` for the root itself).

    ``builds`` are the declarations that build it so; empty when no build mentions the Dockerfile
    and its directory is taken as the context.
    """

    dockerfile: str
    context: str
    builds: tuple[Build, ...] = ()


def context_uses(repo: RepositoryContext) -> list[ContextUse]:
    """Every (Dockerfile, context) of the linted Dockerfiles; the image graph is read only when
    the repository has files that declare builds."""
    return memo(repo, "contexts", lambda: _context_uses(repo))


def _context_uses(repo: RepositoryContext) -> list[ContextUse]:
    linted = set(repo.dockerfiles)
    found: dict[tuple[str, str], list[Build]] = {}
    if repository_tree(repo).declares_builds:
        for image in repo.graph.images.values():
            if image.dockerfile not in linted:
                continue
            if not image.builds:
                found.setdefault((image.dockerfile, posixpath.dirname(image.dockerfile) or "."), [])
            for build in image.builds:
                context = clean_context(build.context)
                if context is not None:
                    found.setdefault((image.dockerfile, context), []).append(build)
    declared = {dockerfile for dockerfile, _ in found}
    for dockerfile in repo.dockerfiles:
        if dockerfile not in declared:
            found[(dockerfile, posixpath.dirname(dockerfile) or ".")] = []
    is_dir = {context: (repo.root / context).is_dir() for context in {context for _, context in found}}
    uses = [
        ContextUse(dockerfile, context, tuple(sorted(builds, key=lambda b: (b.source, b.line, b.order))))
        for (dockerfile, context), builds in found.items()
        if is_dir[context]
    ]
    return sorted(uses, key=lambda u: (u.context, u.dockerfile))


def clean_context(context: str) -> str | None:
    """A context inside the repository, normalised; None for a URL or a directory outside it."""
    if "://" in context or context.startswith("git@") or "$" in context:
        return None
    cleaned = posixpath.normpath(context)
    if cleaned.startswith(("../", "/")) or cleaned == "..":
        return None
    return cleaned


@dataclass(frozen=True)
class ContextGroup:
    """Dockerfiles built with one context and one ignore file (None: the context has none)."""

    context: str
    ignore_file: str | None
    uses: tuple[ContextUse, ...]

    @property
    def builds(self) -> list[Build]:
        unique = {(b.source, b.line, b.order): b for use in self.uses for b in use.builds}
        return [unique[key] for key in sorted(unique)]

    @property
    def dockerfiles(self) -> list[str]:
        return sorted({use.dockerfile for use in self.uses})


def context_groups(repo: RepositoryContext) -> list[ContextGroup]:
    return memo(repo, "groups", lambda: _context_groups(repo))


def _context_groups(repo: RepositoryContext) -> list[ContextGroup]:
    groups: dict[tuple[str, str | None], list[ContextUse]] = {}
    tree = repository_tree(repo)
    for use in context_uses(repo):
        found = find_ignore_file(repo.root / use.context, repo.root / use.dockerfile, tree.is_file)
        ignore = found.relative_to(repo.root).as_posix() if found is not None else None
        groups.setdefault((use.context, ignore), []).append(use)
    return [ContextGroup(context, ignore, tuple(uses)) for (context, ignore), uses in groups.items()]


# -- COPY sources --------------------------------------------------------------------------


def copy_sources(ctx: FileContext) -> tuple[tuple[int, str], ...]:
    """(line, path) of the context paths the Dockerfile reads: COPY/ADD sources (not ``--from``,
    heredocs or URLs) and RUN bind mounts without ``from``; ``""`` is the whole context.

    Worked out once per file: DO601 and DO602 both collect it.
    """
    known: dict[str, tuple[tuple[int, str], ...]] = ctx.memo("copy sources")
    if "all" not in known:
        known["all"] = _copy_sources(ctx)
    return known["all"]


def _copy_sources(ctx: FileContext) -> tuple[tuple[int, str], ...]:
    found: list[tuple[int, str]] = []
    for ins in ctx.df.instructions:
        if ins.keyword not in ("COPY", "ADD", "RUN"):
            continue
        expanded = ctx.expansion.at(ins)
        if ins.keyword == "RUN":
            for name, value in expanded.flags:
                if name != "mount" or not value:
                    continue
                fields = dict(item.partition("=")[::2] for item in value.split(","))
                if fields.get("type", "bind") == "bind" and "from" not in fields:
                    found.append((ins.start_line, _clean(fields.get("source", fields.get("src", ".")))))
            continue
        values = expanded.values or ()
        if any(name == "from" for name, _ in expanded.flags) or len(values) < 2:
            continue
        for source in values[:-1]:
            if not source.startswith("<<") and "://" not in source and not source.startswith("git@"):
                found.append((ins.start_line, _clean(source)))
    return tuple(found)


def _clean(source: str) -> str:
    return go_clean("/" + source)[1:]  # BuildKit resolves sources against the context root


def source_includes(source: str, path: str) -> bool:
    """Whether a COPY source copies ``path`` (both relative to the context): the path itself, a
    directory above it, or the whole context."""
    if not source:
        return True
    parts = path.split("/")
    pattern = source.split("/")
    if len(pattern) > len(parts):
        return False
    return all(_component_matches(glob, part) for glob, part in zip(pattern, parts, strict=False))


def source_names(source: str, path: str) -> bool:
    """Whether a COPY source names ``path`` or something inside it (not a directory above it)."""
    if not source:
        return False
    parts = path.split("/")
    pattern = source.split("/")
    if len(pattern) < len(parts):
        return False
    return all(_component_matches(glob, part) for glob, part in zip(pattern, parts, strict=False))


def _component_matches(glob: str, name: str) -> bool:
    if not any(ch in glob for ch in "*?[\\"):
        return glob == name
    try:
        return filepath_match_regex(glob).fullmatch(name) is not None
    except ValueError:
        return False


def copied_on_purpose(sources: Iterable[tuple[str, int, str]], paths: Iterable[str], *, contents: bool) -> bool:
    """Whether a COPY/ADD names one of ``paths`` (or something inside); with ``contents`` (weights,
    media), also a directory above it other than the whole context: `COPY models/ /models/` wants the
    weights in it, while `COPY src/ /app/` does not want the virtualenv that happens to be in src/."""
    for _, _, source in sources:
        for path in paths:
            if source_names(source, path) or (contents and source and source_includes(source, path)):
                return True
    return False


def copying_lines(sources: Iterable[tuple[str, int, str]], paths: Iterable[str]) -> list[str]:
    """``Dockerfile:line`` of the COPY/ADD sources that take one of ``paths`` into an image."""
    wanted = list(paths)
    return sorted({f"{file}:{line}" for file, line, source in sources for p in wanted if source_includes(source, p)})


def copy_facts(repo: RepositoryContext, rule_id: str, dockerfiles: Iterable[str]) -> list[tuple[str, int, str]]:
    """(Dockerfile, line, source) for the given Dockerfiles, from what ``rule_id`` collected."""
    facts = repo.facts_of(rule_id)
    found: list[tuple[str, int, str]] = []
    for dockerfile in dockerfiles:
        fact = facts.get(dockerfile)
        if isinstance(fact, tuple):
            found += [(dockerfile, line, source) for line, source in fact]
    return found


# -- small things --------------------------------------------------------------------------


def first_column(repo: RepositoryContext, path: str, line: int) -> int:
    """The column of the first character that is not white space on a line (1 for an empty one)."""
    text = repo.line_text(path, line)
    return len(text) - len(text.lstrip()) + 1 if text.strip() else 1


def within(path: str, directory: str) -> bool:
    """``path`` is ``directory`` or inside it (``.`` contains everything)."""
    return directory in (".", path) or path.startswith(directory + "/")


def relative_to(path: str, directory: str) -> str:
    return path if directory == "." else path[len(directory) + 1 :]


def join(directory: str, path: str) -> str:
    return path if directory == "." else f"{directory}/{path}"


def suffix(name: str) -> str:
    """``.pt`` for ``model.pt`` (lower case); ``""`` for ``Makefile`` and ``.env``."""
    base = name.rpartition("/")[2]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


ENTRY_KINDS = {  # what each kind of heavy entry is called in messages ("" when its path says it)
    "git": "",
    "virtualenv": "a virtualenv",
    "node_modules": "",
    "cache": "",
    "model-cache": "a model cache",
    "weights": "model weights",
}


def describe_entry(entry: HeavyEntry, context: str) -> str:
    """```src/.venv` (a virtualenv, 229.5 MB, 6089 files)``, paths relative to the repository root."""
    shown = listing([f"`{join(context, path)}`" for path in entry.paths], 2)
    files = f"{entry.files} file{'s' if entry.files != 1 else ''}"
    kind = f"{ENTRY_KINDS[entry.kind]}, " if ENTRY_KINDS.get(entry.kind) else ""
    return f"{shown} ({kind}{format_bytes(entry.bytes)}, {files})"


def listing(items: Sequence[str], limit: int = 4) -> str:
    """``a``, ``a and b``, ``a, b and c``, ``a, b, c, d and 3 more``."""
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- versions ------------------------------------------------------------------------------

_EXACT = re.compile(r"^\s*===?\s*([^\s,;*]+)\s*$")
_CLAUSE = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s]+)\s*$")
_RELEASE = re.compile(r"^v?(\d+(?:\.\d+)*)(.*)$", re.IGNORECASE)


def exact_version(specifier: str) -> str | None:
    """``2.2.2`` for ``==2.2.2`` (or ``===2.2.2``); None for a range, a wildcard or nothing."""
    match = _EXACT.match(specifier)
    return match.group(1) if match else None


@functools.lru_cache(maxsize=4096)  # a repository repeats a few versions in many pins, compared pairwise
def version_key(version: str) -> tuple[tuple[int, ...], str] | None:
    """A comparable form of a public version: release numbers without trailing zeros, and the rest
    (pre/post/dev) as text; the local label (``+cu121``) is left out. None when it does not parse."""
    public = version.split("+", 1)[0].strip()
    match = _RELEASE.match(public)
    if match is None:
        return None
    release = [int(part) for part in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    return tuple(release), match.group(2).lower().lstrip(".-_")


def same_version(first: str | None, second: str | None) -> bool:
    """Two pins name one version (``1.26`` is ``1.26.0``; ``2.2.2+cu121`` is a build of ``2.2.2``)."""
    if first is None or second is None:
        return first == second
    one, other = version_key(first), version_key(second)
    if one is None or other is None:
        return first.strip().lower() == second.strip().lower()
    return one == other


def satisfies(version: str, specifier: str) -> bool | None:
    """Whether ``version`` meets ``specifier`` (``""`` accepts anything); None when that cannot be told
    (pre-releases, wildcards, unusual versions)."""
    key = version_key(version)
    if key is None or key[1]:
        return None
    for clause in (c for c in specifier.split(",") if c.strip()):
        match = _CLAUSE.match(clause)
        if match is None or "*" in match.group(2):
            return None
        operator, wanted = match.groups()
        other = version_key(wanted)
        if other is None or other[1]:
            return None
        if operator in ("==", "==="):
            ok = key[0] == other[0] and ("+" not in wanted or version.split("+", 1)[-1] == wanted.split("+", 1)[-1])
        elif operator == "!=":
            ok = key[0] != other[0]
        elif operator == "~=":
            release = _RELEASE.match(wanted.split("+", 1)[0])
            if release is None:
                return None
            written = [int(part) for part in release.group(1).split(".")]  # as written: ~=2.1.0 is not ~=2.1
            prefix = tuple(written[:-1]) if len(written) > 1 else tuple(written)
            ok = key[0] >= other[0] and _padded(key[0], len(prefix))[: len(prefix)] == prefix
        else:
            ok = {"<": key[0] < other[0], "<=": key[0] <= other[0], ">": key[0] > other[0], ">=": key[0] >= other[0]}[
                operator
            ]
        if not ok:
            return False
    return True


def _padded(release: tuple[int, ...], length: int) -> tuple[int, ...]:
    return release + (0,) * (length - len(release))
