"""The lossless Dockerfile tree.

Every character of the source belongs to exactly one top-level node, in order, so
``render(parse(text)) == text``. Nodes hold character offsets into the source; line and column
are 1-based. Inside an instruction, sub-parts (keyword, flags, arguments, heredoc bodies) are
located by offsets too, so a fix can replace exactly the characters it means to.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from dockopt.syntax.source import LineIndex, Position


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Span:
    """Half-open character range ``[start, end)`` in the source text."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


class LineKind(Enum):
    CONTENT = "content"
    COMMENT = "comment"  # a comment line inside a continuation: BuildKit drops it
    BLANK = "blank"  # an empty line inside a continuation: BuildKit drops it (with a warning)
    HEREDOC = "heredoc"  # a heredoc body line
    TERMINATOR = "terminator"  # the line that ends a heredoc


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class PhysicalLine:
    """One line of the source as it belongs to an instruction.

    ``span`` covers the text without its line ending; ``full`` includes the line ending.
    """

    number: int
    kind: LineKind
    span: Span
    full: Span


# Not frozen (treat as immutable): a frozen dataclass's __init__ is 4x slower, and lint makes these by the
# hundred thousand. Hashable all the same.
@dataclass(slots=True, unsafe_hash=True)
class Flag:
    """An instruction flag such as ``--mount=type=cache,target=/root/.cache``.

    ``name`` has no leading dashes; ``value`` is None for a bare ``--link``. ``value`` has
    its quotes removed, as BuildKit does.
    """

    name: str
    value: str | None
    raw: str
    span: Span

    @property
    def text(self) -> str:
        """The flag as BuildKit reports it: ``--name=value`` with quotes removed."""
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"

    def key_values(self) -> dict[str, str]:
        """``type=cache,target=/x`` as a dict (for --mount); a bare key maps to ``"true"``."""
        result: dict[str, str] = {}
        for part in _split_csv(self.value or ""):
            key, sep, val = part.partition("=")
            result[key.strip().lower()] = val if sep else "true"
        return result


def _split_csv(text: str) -> list[str]:
    """Split a --mount value on commas, honouring double-quoted fields."""
    if '"' not in text:  # nothing quoted: every comma separates
        return [p for p in text.split(",") if p]
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            continue
        if ch == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if current or parts:
        parts.append("".join(current))
    return [p for p in parts if p]


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A heredoc attached to RUN/COPY/ADD.

    ``content`` is the body exactly as in the source (line endings kept); ``expand`` is False
    when the delimiter was quoted; ``chomp`` is True for ``<<-``.
    """

    name: str
    chomp: bool
    expand: bool
    file_descriptor: int
    content: str
    body: Span
    terminator: Span | None


class Form(Enum):
    NONE = "none"
    SHELL = "shell"
    EXEC = "exec"


@dataclass(slots=True)
class Instruction:
    """One Dockerfile instruction with its continuation lines and heredoc bodies."""

    keyword: str  # upper-case, e.g. "RUN"
    raw_keyword: str  # as written, e.g. "run"
    span: Span  # from the first character of the first line to the end of the last line ending
    start: Position  # of span.start: column 1 of BuildKit's StartLine (the keyword may be indented)
    end: Position  # position of the last character that is not a line ending
    lines: tuple[PhysicalLine, ...]
    logical: str  # the joined line as BuildKit sees it (continuations removed, comments dropped)
    flags: tuple[Flag, ...]
    arguments: str  # the logical text after the keyword and flags, trimmed
    arguments_span: Span | None  # source range of the arguments (first to last character)
    form: Form
    exec_args: tuple[str, ...] | None  # the JSON array of an exec form
    heredocs: tuple[Heredoc, ...]
    values: tuple[str, ...]  # BuildKit's value list for this instruction (the parser's view)
    sub: Instruction | None = None  # the instruction an ONBUILD carries
    comments: tuple[str, ...] = ()  # comment lines directly above (BuildKit's PrevComment)
    _offset_map: tuple[tuple[int, int, int], ...] = field(default=(), repr=False)

    @property
    def start_line(self) -> int:
        return self.start.line

    @property
    def end_line(self) -> int:
        return self.end.line

    def flag(self, name: str) -> Flag | None:
        """The last flag with this name (BuildKit keeps the last of repeated scalar flags)."""
        found = None
        for f in self.flags:
            if f.name == name:
                found = f
        return found

    def flags_named(self, name: str) -> list[Flag]:
        return [f for f in self.flags if f.name == name]

    @property
    def source_pieces(self) -> tuple[tuple[int, int, int], ...]:
        """(offset in ``logical``, offset in the source, length) of each piece the joined line is made of."""
        return self._offset_map

    def source_offsets(self, start: int, length: int) -> Sequence[int]:
        """``source_offset`` of each offset ``start``..``start + length`` of ``logical``, tabulated: a range
        for a one-line instruction, a list otherwise (indexing it is a C call, not a bisect)."""
        pieces = self._offset_map
        if len(pieces) == 1:
            log_start, src_start, size = pieces[0]
            if log_start <= start and start + length <= log_start + size:  # inside the piece, or just past it
                shift = src_start - log_start
                return range(shift + start, shift + start + length + 1)
        table: list[int] = []
        for _, source_start, size in pieces:  # the pieces cover the joined line in order
            table.extend(range(source_start, source_start + size))
        end = start + length + 1
        if len(table) < end:  # past the last piece: the end of the last piece, as source_offset says
            table.extend([self.source_offset(len(table))] * (end - len(table)))
        return table[start:end]

    def source_offset(self, logical_offset: int) -> int:
        """Map an offset in ``logical`` back to an offset in the source text."""
        pieces = self._offset_map
        # the pieces are in logical order: the last one starting at or before the offset holds it, if any does
        i = bisect.bisect_right(pieces, logical_offset, key=_logical_start) - 1
        if i >= 0:
            log_start, src_start, length = pieces[i]
            if logical_offset < log_start + length:
                return src_start + (logical_offset - log_start)
        if pieces:
            log_start, src_start, length = self._offset_map[-1]
            return src_start + length
        return self.span.start


@dataclass(frozen=True, slots=True)
class Directive:
    """A parser directive line such as ``# syntax=docker/dockerfile:1``."""

    name: str
    value: str
    span: Span
    start: Position


@dataclass(frozen=True, slots=True)
class Comment:
    text: str  # without the leading '#', stripped
    span: Span
    start: Position


@dataclass(frozen=True, slots=True)
class Blank:
    span: Span
    start: Position


TopNode = Directive | Comment | Blank | Instruction


@dataclass(frozen=True, slots=True)
class ParseError:
    line: int
    column: int
    message: str


@dataclass
class Stage:
    """A build stage: its FROM instruction and the instructions up to the next FROM."""

    index: int
    from_instruction: Instruction
    base: str  # the image reference as written (before expansion)
    name: str | None  # the AS name, lower-cased as BuildKit does
    platform: str | None
    instructions: list[Instruction]


@dataclass
class Dockerfile:
    """A parsed Dockerfile. ``nodes`` tile ``text`` exactly."""

    text: str
    nodes: list[TopNode]
    escape: str
    directives: dict[str, Directive]
    errors: list[ParseError]
    line_index: LineIndex = field(repr=False)
    path: str | None = None

    def render(self) -> str:
        return "".join(self.text[n.span.start : n.span.end] for n in self.nodes)

    # Computed once: a Dockerfile is not changed after parsing (fixes parse the edited text anew), and
    # rules ask for these again and again. Callers must not change the lists.
    @cached_property
    def instructions(self) -> list[Instruction]:
        return [n for n in self.nodes if isinstance(n, Instruction)]

    @property
    def global_args(self) -> list[Instruction]:
        """ARG instructions before the first FROM."""
        result = []
        for ins in self.instructions:
            if ins.keyword == "FROM":
                break
            if ins.keyword == "ARG":
                result.append(ins)
        return result

    @cached_property
    def stages(self) -> list[Stage]:
        stages: list[Stage] = []
        for ins in self.instructions:
            if ins.keyword == "FROM":
                stages.append(_stage_from(len(stages), ins))
            elif stages:
                stages[-1].instructions.append(ins)
        return stages

    def source(self, span: Span) -> str:
        return self.text[span.start : span.end]

    def position(self, offset: int) -> Position:
        return self.line_index.position(offset)


def _stage_from(index: int, ins: Instruction) -> Stage:
    values = list(ins.values)
    base = values[0] if values else ""
    name = None
    if len(values) >= 3 and values[1].lower() == "as":
        name = values[2].lower()
    platform_flag = ins.flag("platform")
    return Stage(
        index=index,
        from_instruction=ins,
        base=base,
        name=name,
        platform=platform_flag.value if platform_flag else None,
        instructions=[],
    )


def _logical_start(piece: tuple[int, int, int]) -> int:
    return piece[0]
