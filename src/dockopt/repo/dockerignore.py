"""`.dockerignore` with the Docker engine's semantics: which files of a build context are sent.

Reading (moby's ``ignorefile.ReadAll``): lines split on ``\\n`` (a trailing ``\\r`` dropped, a UTF-8
BOM dropped from the first line); a line whose first character is ``#`` is a comment — checked
before trimming, so ``  # x`` is the pattern ``# x``; surrounding white space trimmed; a leading
``!`` makes an exception; the pattern is cleaned as Go's ``filepath.Clean`` does and one leading
``/`` removed. Patterns are anchored at the context root.

Matching (the engine's ``fileutils.OptimizedMatches``, which the Docker SDK's ``PatternMatcher``
copies): the last pattern that matches decides. A pattern matches a path when its regular
expression matches the whole path, or the path's first N parent directories where N is the
pattern's number of components (so ``build`` excludes ``build/x/y``; ``__pycache__`` excludes
only the root's ``__pycache__``). ``*`` and ``?`` never match ``/``; ``**`` matches any number of
directories; ``[...]`` is a class (``[^...]`` negated); ``\\`` escapes the next character.

Walking (the engine's context walker): an excluded directory is not read when no exception
pattern starts with the directory's path followed by ``/``; otherwise its entries are matched one
by one (``*`` + ``!src/**/*.py`` sends ``src/a.py`` but never reaches ``src/sub/b.py``).

Where the Docker SDK's matcher differs from the engine, this module follows the engine (each case is
checked against Docker 20.10 with BuildKit in tests/unit/test_context_engine.py): matching is
case-sensitive (the SDK lowercases); ``[!a]`` is a class of ``!`` and ``a``, ``[^a]`` its negation
(the SDK swaps them); ``\\`` escapes (the SDK matches it literally); ``  # x`` is a pattern (the SDK
drops it as a comment); a leading ``..`` matches nothing (the SDK drops it); a directory is kept for an
exception only when the exception starts with ``dir/`` (the SDK also keeps ``foo`` for ``!foobar``); a
malformed pattern (``[abc``, a lone ``!``, a trailing ``\\``) is an error, as ``docker build`` fails on
it. Nothing is re-included implicitly: BuildKit leaves an excluded ``.dockerignore`` or Dockerfile out
of the context the instructions see (the SDK always sends them).

Two engine quirks are not reproduced: ``*`` and ``?`` inside a class are taken literally (the engine
turns them into nested expressions), and ``\\`` before a letter or digit escapes that character (the
engine makes it a regular-expression escape such as ``\\d``).

Newer BuildKit releases (Docker 23 and later, through buildx) keep walking excluded directories
when an exception has wildcards, and carry a parent directory's match to its children at any
depth; those corner cases can differ from what is computed here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from dockopt.errors import DockoptError

DOCKERIGNORE = ".dockerignore"
_BOM = "\ufeff"
_NOT_GO_SPACE = "\x1c\x1d\x1e\x1f"


class IgnoreFileError(DockoptError):
    """A `.dockerignore` that `docker build` rejects (exit 2): the message names file and line."""


@dataclass(frozen=True, slots=True)
class IgnorePattern:
    """One pattern line of an ignore file, compiled.

    ``pattern`` is the cleaned pattern without its ``!``; ``components`` its number of path
    components (the depth of the parent prefix it is also tried on); ``depth`` the number of
    components of the paths it can match, or None when ``**`` or a class makes that vary.
    """

    text: str
    line: int
    pattern: str
    exclusion: bool
    regex: re.Pattern[str]
    components: int
    depth: int | None

    def matches(self, path: str) -> bool:
        """The pattern's expression alone, against a whole relative path (``a/b``)."""
        return self.regex.fullmatch(path) is not None


@dataclass(frozen=True, slots=True)
class IgnoreError:
    """A line `docker build` would reject."""

    line: int
    text: str
    message: str


@dataclass(frozen=True, slots=True)
class IgnoreFile:
    """The patterns of one ignore file (``path`` None for patterns given as text)."""

    path: Path | None
    patterns: tuple[IgnorePattern, ...]
    errors: tuple[IgnoreError, ...] = ()

    def check(self) -> None:
        """Raise IgnoreFileError for the first line `docker build` would reject."""
        if self.errors:
            error = self.errors[0]
            where = f"{self.path or DOCKERIGNORE}:{error.line}"
            raise IgnoreFileError(f"{where}: {error.message} in {error.text!r}; docker build fails on this file")


# -- reading -------------------------------------------------------------------------------


def find_ignore_file(
    context: Path, dockerfile: Path | None = None, is_file: Callable[[Path], bool] = Path.is_file
) -> Path | None:
    """The ignore file BuildKit uses: ``<Dockerfile>.dockerignore`` next to the Dockerfile if it
    exists, else the context's ``.dockerignore``; None when there is neither. ``is_file`` answers
    whether a file exists (a caller that has walked the tree can answer most without a stat)."""
    if dockerfile is not None:
        specific = dockerfile.with_name(dockerfile.name + DOCKERIGNORE)
        if is_file(specific):
            return specific
    default = context / DOCKERIGNORE
    return default if is_file(default) else None


def read_ignore_file(path: Path) -> IgnoreFile:
    """Read and compile an ignore file (undecodable bytes are replaced, as they match nothing)."""
    return parse_ignore(path.read_bytes().decode("utf-8", errors="replace"), path)


def parse_ignore(text: str, path: Path | None = None) -> IgnoreFile:
    """Compile the patterns of an ignore file's text; malformed lines go to ``errors``."""
    patterns: list[IgnorePattern] = []
    errors: list[IgnoreError] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if number == 1:
            line = line.removeprefix(_BOM)
        if line.startswith("#"):
            continue
        stripped = _go_trim(line)
        if not stripped:
            continue
        try:
            patterns.append(compile_pattern(stripped, number))
        except ValueError as exc:
            errors.append(IgnoreError(number, stripped, str(exc)))
    return IgnoreFile(path, tuple(patterns), tuple(errors))


def compile_pattern(text: str, line: int = 0) -> IgnorePattern:
    """One trimmed, non-comment line as the engine compiles it; ValueError when it is malformed."""
    exclusion = text.startswith("!")
    body = _go_trim(text[1:]) if exclusion else text
    if body:
        body = go_clean(body)
        if len(body) > 1 and body.startswith("/"):
            body = body[1:]
    if exclusion and not body:
        raise ValueError('illegal exclusion pattern "!"')
    regex, depth = _glob_regex(body, double_star=True)
    return IgnorePattern(
        text=text,
        line=line,
        pattern=body,
        exclusion=exclusion,
        regex=regex,
        components=body.count("/") + 1,
        depth=depth,
    )


def _go_trim(text: str) -> str:
    """Go's ``strings.TrimSpace``: Python's ``isspace`` also counts the separators ``\\x1c``-``\\x1f``."""
    start, end = 0, len(text)
    while start < end and text[start].isspace() and text[start] not in _NOT_GO_SPACE:
        start += 1
    while end > start and text[end - 1].isspace() and text[end - 1] not in _NOT_GO_SPACE:
        end -= 1
    return text[start:end]


def go_clean(path: str) -> str:
    """Go's ``path.Clean``: no empty or ``.`` components, ``..`` resolved lexically."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        elif part == ".." and rooted:
            continue
        else:
            parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def filepath_match_regex(pattern: str) -> re.Pattern[str]:
    """Go's ``filepath.Match`` (``*`` ``?`` ``[...]`` ``\\``, no ``**``) as an expression for
    ``fullmatch``; ValueError when the pattern is malformed. COPY/ADD sources use these globs."""
    return _glob_regex(pattern, double_star=False)[0]


def _glob_regex(pattern: str, *, double_star: bool) -> tuple[re.Pattern[str], int | None]:
    """The engine's glob-to-regexp translation, validated like Go's ``filepath.Match``; also the
    number of components of the paths it matches (None when that varies)."""
    out: list[str] = []
    fixed_depth = True
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if double_star and i < n and pattern[i] == "*":
                fixed_depth = False
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(?:.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i >= n:
                raise ValueError("syntax error in pattern (trailing backslash)")
            out.append(re.escape(pattern[i]))
            i += 1
        elif ch == "[":
            cls, i = _translate_class(pattern, i)
            out.append(cls)
            fixed_depth = False  # a class may match "/"
        else:
            out.append(re.escape(ch))
    depth = pattern.count("/") + 1 if fixed_depth else None
    return re.compile("".join(out)), depth


def _translate_class(pattern: str, i: int) -> tuple[str, int]:
    """``[...]`` from just after the ``[``: its Python form and the index after the ``]``."""
    n = len(pattern)
    negated = i < n and pattern[i] == "^"
    if negated:
        i += 1
    items: list[str] = []
    while True:
        if i >= n:
            raise ValueError("syntax error in pattern (unclosed character class)")
        if pattern[i] == "]" and items:
            return f"[{'^' if negated else ''}{''.join(items)}]", i + 1
        low, i = _class_char(pattern, i)
        if i < n and pattern[i] == "-":
            high, i = _class_char(pattern, i + 1)
            if high < low:
                raise ValueError("syntax error in pattern (invalid character range)")
            items.append(f"{re.escape(low)}-{re.escape(high)}")
        else:
            items.append(re.escape(low))


def _class_char(pattern: str, i: int) -> tuple[str, int]:
    """One character of a class (``\\`` escapes); ``-`` and ``]`` must be escaped, as in Go."""
    if i >= len(pattern) or pattern[i] in "-]":
        raise ValueError("syntax error in pattern (bad character class)")
    if pattern[i] == "\\":
        if i + 1 >= len(pattern):
            raise ValueError("syntax error in pattern (trailing backslash)")
        return pattern[i + 1], i + 2
    return pattern[i], i + 1


# -- matching ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectoryRules:
    """What the patterns say about the entries of one directory, computed once per directory.

    ``inherited`` is the last pattern that matches the directory's leading components (the parent
    prefix check), or None; ``candidates`` the later patterns that could still match an entry's
    whole path at this depth, last first. An entry's deciding pattern is the first candidate that
    matches it, else ``inherited``.
    """

    inherited: IgnorePattern | None
    candidates: tuple[IgnorePattern, ...]

    def decide(self, path: str) -> IgnorePattern | None:
        """The pattern that decides an entry of this directory (``path`` relative to the context)."""
        for pattern in self.candidates:
            if pattern.regex.fullmatch(path) is not None:
                return pattern
        return self.inherited


class IgnoreMatcher:
    """Decides which paths of a context the engine leaves out, and which directories it skips."""

    def __init__(self, patterns: Sequence[IgnorePattern]) -> None:
        self.patterns = tuple(patterns)
        self._exceptions = tuple(p.pattern + "/" for p in self.patterns if p.exclusion)
        self._has_exceptions = any(p.exclusion for p in self.patterns)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> IgnoreMatcher:
        """A matcher for the lines of an ignore file (raises IgnoreFileError on a malformed one)."""
        ignore = parse_ignore("\n".join(lines))
        ignore.check()
        return cls(ignore.patterns)

    def directory(self, path: str) -> DirectoryRules:
        """The rules for the entries of directory ``path`` (``""`` for the context root)."""
        parents = path.split("/") if path else []
        inherited: IgnorePattern | None = None
        start = 0
        for index in range(len(self.patterns) - 1, -1, -1):
            pattern = self.patterns[index]
            if pattern.components <= len(parents) and pattern.matches("/".join(parents[: pattern.components])):
                inherited, start = pattern, index + 1
                break
        depth = len(parents) + 1
        candidates = tuple(p for p in reversed(self.patterns[start:]) if p.depth is None or p.depth == depth)
        return DirectoryRules(inherited, candidates)

    def decisive(self, path: str) -> IgnorePattern | None:
        """The pattern that decides ``path`` (the last one matching it or its parent prefix)."""
        parent = path.rpartition("/")[0]
        return self.directory(parent).decide(path)

    def excluded(self, path: str) -> bool:
        """Whether the engine leaves ``path`` (relative, ``/``-separated) out of the context."""
        pattern = self.decisive(path)
        return pattern is not None and not pattern.exclusion

    def prunes(self, directory: str) -> bool:
        """Whether an excluded directory is skipped whole: no exception starts with ``directory/``."""
        if not self._has_exceptions:
            return True
        prefix = directory + "/"
        return not any(exception.startswith(prefix) for exception in self._exceptions)


# -- walking -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WalkEntry:
    """An entry of the context the walk reached: sent, or excluded by ``pattern``.

    ``pruned`` marks an excluded directory the engine skips whole: it is reported once and not
    entered. Symbolic links are entries of their own (the engine sends the link, not its target).
    """

    path: str
    name: str
    parent: str
    is_dir: bool
    excluded: bool
    pruned: bool
    pattern: IgnorePattern | None  # the deciding pattern, if any
    entry: os.DirEntry[str]


def walk_context(context: Path, matcher: IgnoreMatcher, errors: list[str] | None = None) -> Iterator[WalkEntry]:
    """Every entry the engine looks at, a directory before its contents, the entries of each
    directory in name order. An excluded directory that an exception could reach is entered.
    A directory that cannot be read is skipped and noted in ``errors`` (the engine fails on it).
    """
    stack: list[tuple[str, str]] = [(str(context), "")]
    while stack:
        directory, rel = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=_by_name)
        except OSError as exc:
            if errors is not None:
                errors.append(f"{rel or '.'}: {exc.strerror or exc}")
            continue
        rules = matcher.directory(rel)
        prefix = rel + "/" if rel else ""
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            path = prefix + entry.name
            pattern = rules.decide(path)
            excluded = pattern is not None and not pattern.exclusion
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            pruned = is_dir and excluded and matcher.prunes(path)
            yield WalkEntry(path, entry.name, rel, is_dir, excluded, pruned, pattern, entry)
            if is_dir and not pruned:
                subdirs.append((entry.path, path))
        stack.extend(reversed(subdirs))


_by_name = attrgetter("name")


def sent_paths(context: Path, matcher: IgnoreMatcher) -> Iterator[str]:
    """The paths (files and directories) the engine sends, relative to the context."""
    for item in walk_context(context, matcher):
        if not item.excluded:
            yield item.path
