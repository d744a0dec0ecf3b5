"""The build context: what `docker build` sends, what the Dockerfile uses of it, and what should not be in it.

One walk over the context (``dockerignore.walk_context``: the engine's matching; an excluded
directory is skipped whole when no exception can reach into it) gathers everything:

* files, bytes and directories sent, and the largest entries;
* the files no COPY/ADD (or ``RUN --mount=type=bind``) of the Dockerfile can use;
* secrets, sent or excluded: ``.env`` files, private keys (by name, or by a
  ``-----BEGIN … PRIVATE KEY-----`` header), credentials files (``.npmrc`` with a token, ``.pypirc``,
  ``.netrc``, ``.aws/credentials``, ``.docker/config.json`` with auths, service-account JSON keys);
* pattern gaps: a one-component pattern (``__pycache__/``, ``*.pyc``) only matches at the context
  root, while entries of that name are sent from deeper down;
* heavy entries sent: virtualenvs, node_modules, .git, caches, model caches and weights, data;
* the lines to add to the ignore file, each with its reason and the bytes it leaves out.

Contents are read only where a name makes a secret possible (no suffix, ``.pem``, ``.json``, …),
for files up to 64 KiB, and never below ``.git``, ``node_modules`` or ``site-packages``. Secrets
inside a directory excluded whole are not looked for: the engine never reads it.
"""

from __future__ import annotations

import csv
import heapq
import os
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dockopt.repo.discovery import is_dockerfile_name
from dockopt.repo.dockerignore import (
    IgnoreFile,
    IgnoreMatcher,
    IgnorePattern,
    filepath_match_regex,
    find_ignore_file,
    go_clean,
    read_ignore_file,
    walk_context,
)
from dockopt.syntax import Dockerfile, load_file
from dockopt.syntax.expand import resolve

LARGEST_COUNT = 20
UNUSED_SUGGESTION_BYTES = 1 << 20  # an unused entry this big gets a suggested line
DATA_DIR_BYTES = 1 << 20  # a data directory this big is heavy
EXAMPLES = 3
NEAR_DUPLICATE = 0.9  # a largest entry with this share of a listed directory above it is not listed

_SNIFF_BYTES = 4096
_SNIFF_MAX_SIZE = 64 * 1024  # keys and credentials files are small
_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_NPM_TOKEN = re.compile(rb"_authToken|_auth\s*=|_password\s*=")
_NO_SNIFF_DIRS = frozenset({".git", "node_modules", "site-packages", "dist-packages"})
_SNIFFED_SUFFIXES = frozenset({"", ".txt", ".crt", ".cer", ".cert", ".asc", ".priv", ".rsa", ".sec", ".json"})
_SSH_KEYS = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"})
_KEY_STORES = frozenset({".p12", ".pfx", ".jks", ".keystore", ".ppk"})
_CREDENTIAL_FILES = {
    ".pypirc": "PyPI credentials (.pypirc)",
    ".netrc": "machine passwords (.netrc)",
    "_netrc": "machine passwords (_netrc)",
    ".git-credentials": "git credentials store",
    ".htpasswd": "HTTP password file",
}
_CREDENTIAL_PATHS = {".aws/credentials": "AWS access keys", ".kube/config": "Kubernetes credentials"}
_ENV_TEMPLATES = frozenset({"example", "sample", "template", "dist", "default", "defaults", "tmpl", "tpl"})
# what makes a file worth a call to _secret_by_name (besides ".env" in its name)
_SECRET_NAMES = _SSH_KEYS | frozenset(_CREDENTIAL_FILES) | {"credentials", "config", ".npmrc", "config.json"}
_SECRET_SUFFIXES = _KEY_STORES | {".key", ".pem"}
_PEM_KEY = "private key (PEM header)"

_CACHE_DIRS = frozenset(
    {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", ".tox", ".nox",
     ".ipynb_checkpoints", ".cache"}
)  # fmt: skip
_DATA_DIRS = frozenset({"data", "datasets", "dataset"})
_WEIGHT_SUFFIXES = frozenset({".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".gguf", ".h5", ".tflite"})
_JUNK_DIRS = _CACHE_DIRS | frozenset({"node_modules", ".git", ".venv", ".idea", ".vscode", "htmlcov"})
_JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", ".coverage"})
_JUNK_SUFFIXES = (".pyc", ".pyo", ".log", ".swp", ".swo", "~")
_HEAVY_REASONS = {
    "virtualenv": "a virtualenv: create it in the image instead",
    "node_modules": "node_modules: install them in the image instead",
    "git": "repository history",
    "cache": "tool caches",
    "model-cache": "a model cache: mount or download it at run time",
    "weights": "model weights: mount or download them at run time",
    "data": "a data directory",
}


# -- the report ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizedEntry:
    """A file or directory of the context (``kind`` "file" or "dir") and what it holds."""

    path: str
    kind: str
    bytes: int
    files: int


@dataclass(frozen=True, slots=True)
class CopySource:
    """A context path the Dockerfile reads: a COPY/ADD source, or the source of a bind mount.

    ``path`` is cleaned and relative to the context root; ``""`` is the whole context.
    """

    line: int
    instruction: str
    path: str


@dataclass(frozen=True, slots=True)
class UnusedFiles:
    """Sent files no source of the Dockerfile reaches. ``entries`` groups them, largest first:
    the outermost directories none of whose files are used, and the other unused files."""

    files: int
    bytes: int
    entries: tuple[SizedEntry, ...]


@dataclass(frozen=True, slots=True)
class Secret:
    """A file holding credentials, whether the context sends it, and what excludes or copies it."""

    path: str
    kind: str  # "env-file", "private-key" or "credentials"
    reason: str
    found_by: str  # "name" or "contents"
    bytes: int
    sent: bool
    excluded_by: IgnorePattern | None
    copied_by: tuple[int, ...]  # Dockerfile lines whose sources include it


@dataclass(frozen=True, slots=True)
class PatternGap:
    """A pattern that only matches at the context root while entries it names are sent from deeper.

    ``matches`` counts the deeper entries (the outermost ones), ``files``/``bytes`` what they send;
    ``fix`` is the line that matches them at any depth. ``suggested``: every deeper entry is a
    cache, bytecode, a log, an editor or OS file or a secret, so the fix is one of the report's
    suggestions; otherwise the deeper entries may be wanted (``data/`` at the root, ``src/app/data/``).
    ``copied_by``: the Dockerfile lines whose sources take deeper entries into the image.
    """

    pattern: IgnorePattern
    fix: str
    examples: tuple[str, ...]
    matches: int
    files: int
    bytes: int
    suggested: bool
    copied_by: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class HeavyEntry:
    """What should rarely be in a context, sent. ``kind`` is one of "virtualenv", "node_modules",
    "git", "cache", "model-cache", "weights", "data"; ``paths`` the outermost entries; ``fix`` the
    line that excludes them. ``copied_by`` holds the lines of this Dockerfile whose sources name them
    or something inside them, ``used_elsewhere`` the same (``file:line``) in the other Dockerfiles of
    the context that share its ignore file: no line is suggested for what a Dockerfile wants."""

    kind: str
    fix: str
    paths: tuple[str, ...]
    bytes: int
    files: int
    copied_by: tuple[int, ...]
    used_elsewhere: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A line to append to the ignore file, why, and what it leaves out (on its own)."""

    line: str
    reason: str
    bytes: int
    files: int


@dataclass(frozen=True)
class ContextReport:
    """Everything ``analyze_context`` found; paths inside the context are relative, ``/``-separated."""

    context: Path
    dockerfile: Path | None
    ignore_file: IgnoreFile | None
    files_sent: int
    bytes_sent: int
    dirs_sent: int
    files_excluded: int  # excluded files in the directories the walk entered
    pruned: tuple[str, ...]  # excluded directories skipped whole
    largest: tuple[SizedEntry, ...]
    sources: tuple[CopySource, ...]
    unused: UnusedFiles | None  # None without a Dockerfile
    secrets: tuple[Secret, ...]
    pattern_gaps: tuple[PatternGap, ...]
    heavy: tuple[HeavyEntry, ...]
    suggestions: tuple[Suggestion, ...]
    other_dockerfiles: tuple[str, ...]  # they share the context (and its ignore file, unless they have their own)
    notes: tuple[str, ...] = ()

    @property
    def secrets_sent(self) -> tuple[Secret, ...]:
        return tuple(secret for secret in self.secrets if secret.sent)


# -- entry points --------------------------------------------------------------------------


def analyze_context(context_dir: Path, dockerfile: Path | None = None) -> ContextReport:
    """Analyse the build context ``context_dir`` as seen by ``dockerfile`` (default: the context's
    ``Dockerfile``, if any). Raises IgnoreFileError when the ignore file makes `docker build` fail."""
    if dockerfile is None and (context_dir / "Dockerfile").is_file():
        dockerfile = context_dir / "Dockerfile"
    ignore_path = find_ignore_file(context_dir, dockerfile)
    ignore = read_ignore_file(ignore_path) if ignore_path else None
    if ignore is not None:
        ignore.check()
    notes: list[str] = []
    sources: tuple[CopySource, ...] | None = None
    if dockerfile is not None:
        df = load_file(dockerfile)
        notes.extend(f"{dockerfile}:{e.line}: {e.message}" for e in df.errors)
        sources = copy_sources(df)
    scan = _Scan(context_dir, IgnoreMatcher(ignore.patterns if ignore else ()), sources, dockerfile)
    scan.run()
    notes.extend(f"cannot read {error}" for error in scan.errors)
    others = scan.other_dockerfiles()
    sharing = [p for p in others if find_ignore_file(context_dir, context_dir / p) == ignore_path]
    return scan.report(ignore, others, _coverages(context_dir, sharing), tuple(notes))


def _coverages(context_dir: Path, dockerfiles: Iterable[str]) -> list[tuple[str, _Coverage]]:
    """What each of these Dockerfiles (paths relative to the context) copies from it."""
    return [(path, _Coverage(copy_sources(load_file(context_dir / path)))) for path in dockerfiles]


def pattern_gaps(context_dir: Path, dockerfile: Path | None = None) -> tuple[PatternGap, ...]:
    """The ignore file's root-only patterns whose names are sent from deeper in the context."""
    return analyze_context(context_dir, dockerfile).pattern_gaps


def heavy_entries(context_dir: Path, dockerfile: Path | None = None) -> tuple[HeavyEntry, ...]:
    """Virtualenvs, node_modules, .git, caches, model weights and data the context sends."""
    return analyze_context(context_dir, dockerfile).heavy


def copy_sources(df: Dockerfile) -> tuple[CopySource, ...]:
    """The context paths the Dockerfile reads, expanded: COPY/ADD sources (not ``--from``, heredocs
    or URLs) and RUN bind mounts without ``from`` (whose default source is the whole context)."""
    expansion = resolve(df)
    result: list[CopySource] = []
    for ins in df.instructions:
        expanded = expansion.at(ins)
        if ins.keyword in ("COPY", "ADD") and expanded.values and all(name != "from" for name, _ in expanded.flags):
            for source in expanded.values[:-1]:
                if not source.startswith("<<") and not (ins.keyword == "ADD" and _is_remote(source)):
                    result.append(CopySource(ins.start_line, ins.keyword, _clean_source(source)))
        elif ins.keyword == "RUN":
            for name, value in expanded.flags:
                mount = _mount_fields(value) if name == "mount" and value else {}
                if mount and mount.get("type", "bind") == "bind" and "from" not in mount:
                    source = mount.get("source", mount.get("src", "."))
                    result.append(CopySource(ins.start_line, "RUN --mount", _clean_source(source)))
    return tuple(result)


def _is_remote(source: str) -> bool:
    return "://" in source or source.startswith("git@")


def _clean_source(source: str) -> str:
    # BuildKit resolves a source against the context root, which ".." cannot leave
    return go_clean("/" + source)[1:]


def _mount_fields(value: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in next(csv.reader([value]), []):
        key, _, field_value = item.partition("=")
        fields[key.strip().lower()] = field_value
    return fields


# -- which sources reach which paths -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Glob:
    line: int
    parts: tuple[re.Pattern[str], ...]  # one expression per path component


class _Coverage:
    """Which context paths the Dockerfile's sources match (a directory source covers its contents)."""

    def __init__(self, sources: Iterable[CopySource]) -> None:
        self.everything: list[int] = []
        self.literal: dict[str, list[int]] = defaultdict(list)
        self.globs: list[_Glob] = []
        for source in sources:
            if not source.path:
                self.everything.append(source.line)
            elif any(ch in source.path for ch in "*?[\\"):
                try:
                    parts = tuple(filepath_match_regex(part) for part in source.path.split("/"))
                except ValueError:
                    continue  # BuildKit fails on a malformed glob: it copies nothing
                self.globs.append(_Glob(source.line, parts))
            else:
                self.literal[source.path].append(source.line)
        self.glob_depths = frozenset(len(glob.parts) for glob in self.globs)

    def matches(self, path: str, depth: int) -> bool:
        """Whether a source names ``path`` itself (not one of its directories)."""
        if path in self.literal:
            return True
        if depth not in self.glob_depths:
            return False
        parts = path.split("/")
        return any(len(g.parts) == depth and _parts_match(g.parts, parts) for g in self.globs)

    def lines_including(self, path: str) -> tuple[int, ...]:
        """Lines of the sources that copy ``path``: it, one of its directories, or the whole context."""
        parts = path.split("/")
        lines = set(self.everything)
        for depth in range(1, len(parts) + 1):
            lines.update(self.literal.get("/".join(parts[:depth]), ()))
            lines.update(g.line for g in self.globs if len(g.parts) == depth and _parts_match(g.parts, parts))
        return tuple(sorted(lines))

    def lines_naming(self, path: str) -> tuple[int, ...]:
        """Lines of the sources that name ``path`` or something inside it (not a directory above it)."""
        parts = path.split("/")
        lines = {line for name, found in self.literal.items() if _within(name, path) for line in found}
        lines.update(g.line for g in self.globs if len(g.parts) >= len(parts) and _parts_match(g.parts, parts))
        return tuple(sorted(lines))

    def lines_touching(self, path: str) -> tuple[int, ...]:
        """Lines of the sources that copy ``path``, or something inside it."""
        return tuple(sorted({*self.lines_including(path), *self.lines_naming(path)}))


def _parts_match(globs: tuple[re.Pattern[str], ...], parts: list[str]) -> bool:
    """The leading components of ``parts`` against as many component globs."""
    return all(glob.fullmatch(part) is not None for glob, part in zip(globs, parts, strict=False))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


# -- the walk ------------------------------------------------------------------------------


@dataclass
class _Gap:
    """A root-only pattern and the deeper entries it names: (path, size of a file or None)."""

    pattern: IgnorePattern
    hits: list[tuple[str, int | None]] = field(default_factory=list)
    roots: set[str] = field(default_factory=set)  # directories hit: what is inside them is no new hit
    junk_only: bool = True


@dataclass
class _Totals:
    """Files and bytes sent below each directory (``""`` is the root), and its largest child."""

    files: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    bytes: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    largest_child: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))


class _Scan:
    """One walk over the context, keeping what the report needs."""

    def __init__(
        self, context: Path, matcher: IgnoreMatcher, sources: tuple[CopySource, ...] | None, dockerfile: Path | None
    ) -> None:
        self.context = context
        self.matcher = matcher
        self.sources = sources
        self.coverage = _Coverage(sources) if sources is not None else None
        self.dockerfile = dockerfile
        self.own_dockerfile = dockerfile.resolve() if dockerfile else None
        self.errors: list[str] = []
        self.files_sent = self.bytes_sent = self.dirs_sent = self.files_excluded = 0
        self.pruned: list[str] = []
        self.dirs: list[str] = []  # directories entered; a directory comes before those inside it
        self.own_files: defaultdict[str, int] = defaultdict(int)  # sent files directly in a directory
        self.own_bytes: defaultdict[str, int] = defaultdict(int)
        self.largest_file: defaultdict[str, int] = defaultdict(int)
        self.top_files: list[tuple[int, str]] = []  # a min-heap of the largest files
        self.covered_dirs: set[str] = set()
        self.unused: list[tuple[str, str, int]] = []  # (path, parent, bytes)
        self.no_sniff: set[str] = set()
        self.secrets: list[Secret] = []
        self.gaps = [
            _Gap(p) for p in matcher.patterns if not p.exclusion and p.components == 1 and "**" not in p.pattern
        ]
        # one expression for all root-only patterns: most entries match none of them
        self.gap_names = (
            re.compile("|".join(f"(?:{g.pattern.regex.pattern})" for g in self.gaps)) if self.gaps else None
        )
        self.heavy_dirs: dict[str, str] = {}  # path -> kind
        self.weights: defaultdict[str, list[tuple[str, int]]] = defaultdict(list)  # suffix -> (path, bytes)
        self.dockerfiles: list[str] = []

    def covered(self, path: str, parent: str) -> bool:
        """Whether a source of the Dockerfile reaches ``path`` (its directory's state is known)."""
        coverage = self.coverage
        if coverage is None:
            return False
        return bool(coverage.everything) or parent in self.covered_dirs or coverage.matches(path, _depth(path))

    def run(self) -> None:
        for item in walk_context(self.context, self.matcher, self.errors):
            path, parent, name = item.path, item.parent, item.name
            if item.is_dir:
                if item.pruned:
                    self.pruned.append(path)
                    continue
                self.dirs.append(path)
                if self.covered(path, parent):
                    self.covered_dirs.add(path)
                if not item.excluded:
                    self._sent_dir(path, name, parent, item.pattern)
                continue
            if (
                ("ockerfile" in name or "ontainerfile" in name)
                and is_dockerfile_name(name)
                and parent not in self.no_sniff
            ):
                self.dockerfiles.append(path)  # not those that come with dependencies
            try:
                size = item.entry.stat(follow_symlinks=False).st_size
            except OSError as exc:
                self.errors.append(f"{path}: {exc.strerror or exc}")
                continue
            dot = name.rfind(".")
            suffix = name[dot:].lower() if dot > 0 else ""
            if (
                name in _SECRET_NAMES
                or suffix in _SECRET_SUFFIXES
                or ".env" in name
                or (suffix in _SNIFFED_SUFFIXES and size <= _SNIFF_MAX_SIZE and parent not in self.no_sniff)
            ):
                self._secret(item.entry, (path, name, parent, suffix), size, item.pattern if item.excluded else None)
            if item.excluded:
                self.files_excluded += 1
            else:
                self._sent_file((path, name, parent, suffix), size, item.pattern)

    def _sent_dir(self, path: str, name: str, parent: str, pattern: IgnorePattern | None) -> None:
        self.dirs_sent += 1
        if name in _NO_SNIFF_DIRS or parent in self.no_sniff:
            self.no_sniff.add(path)
        kind = _heavy_kind(name)
        if kind is not None:
            self.heavy_dirs[path] = kind
        elif name == "conda-meta" and parent:
            self.heavy_dirs.setdefault(parent, "virtualenv")
        if parent and pattern is None:
            self._gap(path, name, None)

    def _sent_file(self, item: tuple[str, str, str, str], size: int, pattern: IgnorePattern | None) -> None:
        path, name, parent, suffix = item
        self.files_sent += 1
        self.bytes_sent += size
        self.own_files[parent] += 1
        self.own_bytes[parent] += size
        self.largest_file[parent] = max(self.largest_file[parent], size)
        if len(self.top_files) < LARGEST_COUNT:
            heapq.heappush(self.top_files, (size, path))
        elif size > self.top_files[0][0]:
            heapq.heapreplace(self.top_files, (size, path))
        if self.coverage is not None and not self.covered(path, parent):
            self.unused.append((path, parent, size))
        if name == "pyvenv.cfg" and parent:
            self.heavy_dirs.setdefault(parent, "virtualenv")
        if suffix in _WEIGHT_SUFFIXES:
            self.weights[_suffix(name)].append((path, size))
        if parent and pattern is None:
            self._gap(path, name, size)

    def _gap(self, path: str, name: str, size: int | None) -> None:
        """A sent entry below the root that no pattern decides: does a root-only pattern name it?"""
        if self.gap_names is None or self.gap_names.fullmatch(name) is None:
            return
        for gap in self.gaps:
            if not gap.pattern.matches(name) or any(a in gap.roots for a in _ancestors(path)):
                continue
            gap.hits.append((path, size))
            if size is None:
                gap.roots.add(path)
            if not _is_junk(name, is_dir=size is None):
                gap.junk_only = False

    def _secret(
        self, entry: os.DirEntry[str], item: tuple[str, str, str, str], size: int, excluded_by: IgnorePattern | None
    ) -> None:
        """A file whose name or suffix may mean credentials: look closer, and record it if so."""
        path, name, parent, suffix = item
        found = _secret_by_name(path, name)
        found_by = "name"
        if found is None or found[2]:
            head = b""
            if size <= _SNIFF_MAX_SIZE and parent not in self.no_sniff and (found or suffix in _SNIFFED_SUFFIXES):
                head = _head(entry.path)
            if _PRIVATE_KEY.search(head):
                found, found_by = ("private-key", _PEM_KEY, False), "contents"
            elif found is not None:
                found = found if _confirmed(name, path, head) else None
            elif suffix == ".json" and b'"private_key"' in head:
                found, found_by = ("credentials", "service-account key (JSON with private_key)", False), "contents"
        if found is None:
            return
        kind, reason, _ = found
        sent = excluded_by is None
        copied = self.coverage.lines_including(path) if self.coverage is not None and sent else ()
        self.secrets.append(Secret(path, kind, reason, found_by, size, sent, excluded_by, copied))

    # -- the report

    def other_dockerfiles(self) -> tuple[str, ...]:
        """The Dockerfiles the walk saw, except the one analysed."""
        return tuple(p for p in self.dockerfiles if (self.context / p).resolve() != self.own_dockerfile)

    def report(
        self,
        ignore: IgnoreFile | None,
        others: tuple[str, ...],
        sharing: list[tuple[str, _Coverage]],
        notes: tuple[str, ...],
    ) -> ContextReport:
        """``others`` are the other Dockerfiles of the context; ``sharing`` what those that share
        its ignore file copy (a line is suggested only for what none of them wants)."""
        totals = self._roll_up()
        unused = self._unused(totals) if self.coverage is not None else None
        gaps = self._pattern_gaps(totals)
        heavy = self._heavy(totals, sharing)
        sizes = {path: totals.bytes[path] for entry in heavy if entry.kind != "weights" for path in entry.paths}
        sizes.update((path, size) for found in self.weights.values() for path, size in found)
        return ContextReport(
            context=self.context,
            dockerfile=self.dockerfile,
            ignore_file=ignore,
            files_sent=self.files_sent,
            bytes_sent=self.bytes_sent,
            dirs_sent=self.dirs_sent,
            files_excluded=self.files_excluded,
            pruned=tuple(self.pruned),
            largest=self._largest(totals),
            sources=self.sources or (),
            unused=unused,
            secrets=tuple(self.secrets),
            pattern_gaps=gaps,
            heavy=heavy,
            suggestions=_suggestions(self.secrets, gaps, heavy, _unused_by_all(unused, sharing), sizes),
            other_dockerfiles=others,
            notes=notes,
        )

    def _roll_up(self) -> _Totals:
        totals = _Totals()
        for directory in reversed(self.dirs):  # those inside a directory come before it
            files = totals.files[directory] + self.own_files[directory]
            size = totals.bytes[directory] + self.own_bytes[directory]
            totals.files[directory] = files
            totals.bytes[directory] = size
            parent = directory.rpartition("/")[0]
            totals.files[parent] += files
            totals.bytes[parent] += size
            totals.largest_child[parent] = max(totals.largest_child[parent], size)
        totals.files[""] += self.own_files[""]
        totals.bytes[""] += self.own_bytes[""]
        for directory, largest in self.largest_file.items():
            totals.largest_child[directory] = max(totals.largest_child[directory], largest)
        return totals

    def _largest(self, totals: _Totals) -> tuple[SizedEntry, ...]:
        entries = [SizedEntry(path, "file", size, 1) for size, path in self.top_files]
        for directory in self.dirs:
            size = totals.bytes[directory]
            # a directory whose bytes all sit in one child says nothing the child does not
            if size and totals.largest_child[directory] < size:
                entries.append(SizedEntry(directory, "dir", size, totals.files[directory]))
        entries.sort(key=lambda e: (-e.bytes, e.path))
        listed: dict[str, int] = {}
        for entry in entries:
            # an entry holding most of a listed directory above it (site-packages in .venv) repeats it
            above = next((listed[a] for a in reversed(_ancestors(entry.path)) if a in listed), None)
            if above is None or entry.bytes < NEAR_DUPLICATE * above:
                listed[entry.path] = entry.bytes
                if len(listed) == LARGEST_COUNT:
                    break
        return tuple(e for e in entries if e.path in listed)

    def _unused(self, totals: _Totals) -> UnusedFiles:
        unused_files: defaultdict[str, int] = defaultdict(int)
        unused_bytes: defaultdict[str, int] = defaultdict(int)
        for _, parent, size in self.unused:
            unused_files[parent] += 1
            unused_bytes[parent] += size
        for directory in reversed(self.dirs):
            parent = directory.rpartition("/")[0]
            unused_files[parent] += unused_files[directory]
            unused_bytes[parent] += unused_bytes[directory]

        def whole(directory: str) -> bool:
            return bool(directory) and 0 < totals.files[directory] == unused_files[directory]

        entries = [
            SizedEntry(d, "dir", unused_bytes[d], unused_files[d])
            for d in self.dirs
            if whole(d) and not whole(d.rpartition("/")[0])
        ]
        entries.extend(SizedEntry(path, "file", size, 1) for path, parent, size in self.unused if not whole(parent))
        entries.sort(key=lambda e: (-e.bytes, e.path))
        return UnusedFiles(len(self.unused), sum(size for _, _, size in self.unused), tuple(entries))

    def _pattern_gaps(self, totals: _Totals) -> tuple[PatternGap, ...]:
        result = []
        for gap in self.gaps:
            if gap.hits:
                files = sum(1 if size is not None else totals.files[path] for path, size in gap.hits)
                size = sum(size if size is not None else totals.bytes[path] for path, size in gap.hits)
                examples = tuple(path for path, _ in gap.hits[:EXAMPLES])
                fix = "**/" + gap.pattern.pattern
                coverage = self.coverage
                copied = (
                    {line for path, _ in gap.hits for line in coverage.lines_including(path)} if coverage else set()
                )
                result.append(
                    PatternGap(
                        gap.pattern, fix, examples, len(gap.hits), files, size, gap.junk_only, tuple(sorted(copied))
                    )
                )
        return tuple(result)

    def _heavy(self, totals: _Totals, sharing: list[tuple[str, _Coverage]]) -> tuple[HeavyEntry, ...]:
        groups: defaultdict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, cache name or path) -> paths
        for path, kind in self.heavy_dirs.items():
            if any(a in self.heavy_dirs for a in _ancestors(path)):
                continue  # inside another heavy entry
            if kind != "data" or totals.bytes[path] >= DATA_DIR_BYTES:
                groups[(kind, path.rpartition("/")[2] if kind == "cache" else path)].append(path)
        result = []
        for (kind, key), paths in groups.items():
            fix = "**/" + key if kind == "cache" and any("/" in p for p in paths) else key
            files = sum(totals.files[p] for p in paths)
            size = sum(totals.bytes[p] for p in paths)
            result.append(
                HeavyEntry(kind, fix, tuple(sorted(paths)), size, files, self._naming(paths), _naming(sharing, paths))
            )
        for suffix, found in sorted(self.weights.items()):
            outside = [(p, s) for p, s in found if not any(a in self.heavy_dirs for a in _ancestors(p))]
            if outside:
                paths = [p for p, _ in outside]
                size = sum(s for _, s in outside)
                copied, elsewhere = self._naming(paths), _naming(sharing, paths)
                result.append(HeavyEntry("weights", f"**/*{suffix}", tuple(paths), size, len(paths), copied, elsewhere))
        result.sort(key=lambda h: (-h.bytes, h.fix))
        return tuple(result)

    def _naming(self, paths: Iterable[str]) -> tuple[int, ...]:
        if self.coverage is None:
            return ()
        coverage = self.coverage
        return tuple(sorted({line for path in paths for line in coverage.lines_naming(path)}))


def _naming(sharing: list[tuple[str, _Coverage]], paths: Iterable[str]) -> tuple[str, ...]:
    """``file:line`` of the other Dockerfiles' sources that name one of ``paths`` or something inside."""
    found = {f"{name}:{line}" for name, coverage in sharing for path in paths for line in coverage.lines_naming(path)}
    return tuple(sorted(found))


def _unused_by_all(unused: UnusedFiles | None, sharing: list[tuple[str, _Coverage]]) -> list[SizedEntry]:
    """The unused entries worth a line: 1 MiB or more, and no other Dockerfile sharing the ignore
    file copies them."""
    if unused is None:
        return []
    large = [e for e in unused.entries if e.bytes >= UNUSED_SUGGESTION_BYTES]
    return [e for e in large if not any(coverage.lines_touching(e.path) for _, coverage in sharing)]


def _depth(path: str) -> int:
    return path.count("/") + 1


def _suffix(name: str) -> str:
    """``.pt`` for ``model.pt``; ``""`` for ``Makefile`` and ``.env``."""
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def _ancestors(path: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b"]``: the directories above a path, outermost first."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _heavy_kind(name: str) -> str | None:
    """The heavy kind a directory's name alone gives (virtualenvs are found by their pyvenv.cfg)."""
    if name in ("node_modules", ".git"):
        return "node_modules" if name == "node_modules" else "git"
    if name in _CACHE_DIRS:
        return "cache"
    if name.startswith("models--"):  # the Hugging Face hub's cache layout
        return "model-cache"
    return "data" if name in _DATA_DIRS else None


def _is_junk(name: str, *, is_dir: bool) -> bool:
    """Never wanted in a build at any depth: caches, bytecode, logs, editor and OS files, secrets."""
    if is_dir:
        return name in _JUNK_DIRS or name.endswith(".egg-info")
    return name in _JUNK_FILES or name.endswith(_JUNK_SUFFIXES) or _secret_by_name(name, name) is not None


def _secret_by_name(path: str, name: str) -> tuple[str, str, bool] | None:
    """(kind, reason, whether the contents must confirm it) for a name that suggests credentials."""
    if name == ".env" or (name.endswith(".env") and len(name) > 4):
        return ("env-file", "environment file", False)
    if name.startswith(".env."):
        return None if name[5:].lower() in _ENV_TEMPLATES else ("env-file", "environment file", False)
    if name in _SSH_KEYS:
        return ("private-key", "SSH private key", False)
    suffix = _suffix(name).lower()
    if suffix in _KEY_STORES:
        return ("private-key", f"key store ({suffix})", False)
    if suffix == ".key":
        return ("private-key", "private key (.key)", False)
    if suffix == ".pem":
        return ("private-key", _PEM_KEY, True)  # most .pem files are certificates
    if name in _CREDENTIAL_FILES:
        return ("credentials", _CREDENTIAL_FILES[name], False)
    for tail, reason in _CREDENTIAL_PATHS.items():
        if _ends_with_path(path, tail):
            return ("credentials", reason, False)
    if name == ".npmrc":
        return ("credentials", "npm auth token (.npmrc)", True)
    if _ends_with_path(path, ".docker/config.json"):
        return ("credentials", "registry credentials (.docker/config.json)", True)
    return None


def _ends_with_path(path: str, tail: str) -> bool:
    return path == tail or path.endswith("/" + tail)


def _confirmed(name: str, path: str, head: bytes) -> bool:
    """Whether the contents confirm a name that only suggests credentials (a .pem is confirmed by
    its private key header, checked before)."""
    if name == ".npmrc":
        return _NPM_TOKEN.search(head) is not None
    if _ends_with_path(path, ".docker/config.json"):
        return b'"auth"' in head or b'"identitytoken"' in head
    return False


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as stream:  # noqa: PTH123 (cheaper than Path for many files)
            return stream.read(_SNIFF_BYTES)
    except OSError:
        return b""


# -- suggestions ---------------------------------------------------------------------------


def _suggestions(
    secrets: list[Secret],
    gaps: tuple[PatternGap, ...],
    heavy: tuple[HeavyEntry, ...],
    unused: list[SizedEntry],
    sizes: dict[str, int],
) -> tuple[Suggestion, ...]:
    """Lines to append to the ignore file: secrets, gaps, heavy entries, then large unused entries
    (those that earlier lines do not mostly leave out already). ``sizes`` holds the bytes of the
    heavy entries' paths."""
    result: dict[str, Suggestion] = {}
    targets: dict[str, int] = {}  # paths earlier lines leave out, and their bytes
    matcher = IgnoreMatcher(())  # the lines so far

    def add(line: str, reason: str, size: int, files: int, paths: dict[str, int]) -> None:
        nonlocal matcher
        if line not in result:
            result[line] = Suggestion(line, reason, size, files)
            matcher = IgnoreMatcher.from_lines(result)
        targets.update(paths)

    for secret in secrets:
        if secret.sent:
            deeper_name = "/" in secret.path and secret.found_by == "name"
            line = "**/" + secret.path.rpartition("/")[2] if deeper_name else secret.path
            add(line, f"secret: {secret.reason}", secret.bytes, 1, {secret.path: secret.bytes})
    for gap in gaps:
        if gap.suggested:
            reason = f"`{gap.pattern.text}` (line {gap.pattern.line}) only matches at the context root"
            add(gap.fix, reason, gap.bytes, gap.files, {})
    for entry in heavy:
        if entry.copied_by or entry.used_elsewhere:
            continue
        paths = {p: sizes[p] for p in entry.paths}
        if all(map(matcher.excluded, entry.paths)):
            targets.update(paths)  # an earlier line (`**/node_modules`) already leaves them out
        else:
            add(entry.fix, _HEAVY_REASONS[entry.kind], entry.bytes, entry.files, paths)
    for item in unused:
        if matcher.excluded(item.path) or any(_within(item.path, target) for target in targets):
            continue
        inside = sum(size for target, size in targets.items() if _within(target, item.path))
        if item.bytes - inside >= UNUSED_SUGGESTION_BYTES:
            add(item.path, "no COPY/ADD of the Dockerfile uses it", item.bytes, item.files, {item.path: item.bytes})
    return tuple(result.values())
