"""Dockerfile text -> lossless tree, following BuildKit's parser line by line.

The parser never raises on bad input: problems are collected as ``ParseError`` with a line and
column, and parsing goes on so that the rest of the file can still be analysed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache

from dockopt.syntax.nodes import (
    Blank,
    Comment,
    Directive,
    Dockerfile,
    Flag,
    Form,
    Heredoc,
    Instruction,
    LineKind,
    ParseError,
    PhysicalLine,
    Span,
    TopNode,
)
from dockopt.syntax.source import LineIndex, Position, go_fields, go_lstrip, go_strip, is_go_space

KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
# BuildKit reads lines with Go's bufio.Scanner: a line of more bytes fails the whole build.
MAX_LINE_BYTES = 65535

# Go's RE2 has ASCII-only \s (no \v) and \d, and $ only at the very end: spelt out here, because
# Python's \s, \d and $ also match Unicode spaces and digits and a trailing newline.
_GO_SPACE_CLASS = r"[\t\n\f\r ]"
_DIRECTIVE_RE = re.compile(
    rf"#{_GO_SPACE_CLASS}*([a-zA-Z][a-zA-Z0-9]*){_GO_SPACE_CLASS}*={_GO_SPACE_CLASS}*(.+?){_GO_SPACE_CLASS}*\Z"
)
_COMMAND_SPLIT_RE = re.compile(r"[\t\v\f\r ]+")
_HEREDOC_WORD_RE = re.compile(r"([0-9]*)<<(-?)([^<]*)\Z")
_MAX_FD = 2**64 - 1  # Go parses the descriptor as uint64 and uses 0 when it overflows
_PLACEHOLDER = Position(0, 0)  # an instruction's start and end until _instruction knows them
_ASCII_SPACE_TEXT = " \t\n\v\f\r"
_ASCII_SPACE = frozenset(_ASCII_SPACE_TEXT)
_BOM = "\ufeff"


def parse(text: str, path: str | None = None) -> Dockerfile:
    """Parse Dockerfile text into a lossless tree; never raises on bad input."""
    return _Parser(text, path).run()


class _Parser:
    def __init__(self, text: str, path: str | None) -> None:
        self.text = text
        self.path = path
        self.index = LineIndex(text)
        self.lines = _split_lines(text)
        self.escape = "\\"
        self.directives: dict[str, Directive] = {}
        self.directives_done = False
        self.errors: list[ParseError] = []
        self.nodes: list[TopNode] = []
        self.pending_comments: list[str] = []

    # -- helpers -----------------------------------------------------------------------------
    def error(self, offset: int, message: str) -> None:
        pos = self.index.position(min(offset, len(self.text)))
        self.errors.append(ParseError(pos.line, pos.column, message))

    def error_at_line(self, line: int, message: str) -> None:
        self.errors.append(ParseError(line, 1, message))

    def line_text(self, i: int) -> tuple[int, str]:
        """Start offset and text of line ``i`` without its line ending (trailing CRs removed)."""
        start, end, _ = self.lines[i]
        content = self.text[start:end].rstrip("\r")
        return start, content

    def trim_continuation(self, content: str) -> tuple[str, bool]:
        """Remove a trailing escape character; returns (text, ends_instruction)."""
        trimmed = content.rstrip(" \t")
        esc = self.escape
        if trimmed.endswith(esc) and (len(trimmed) == 1 or trimmed[-2] != esc):
            return trimmed[:-1], False
        return content, True

    def check_directive(self, token: str, start: int, line_no: int) -> bool:
        """BuildKit reads directives until the first line that is not one."""
        if self.directives_done:
            return False
        match = _DIRECTIVE_RE.match(token)
        if not match or match.group(1).lower() not in KNOWN_DIRECTIVES:
            self.directives_done = True
            return False
        name = match.group(1).lower()
        if name in self.directives:
            self.error_at_line(line_no, f"only one {name} parser directive can be used")
            return True
        value = match.group(2)
        self.directives[name] = Directive(name, value, Span(start, start), Position(line_no, 1))
        if name == "escape":
            if value in ("\\", "`"):
                self.escape = value
            else:
                self.error_at_line(line_no, f"invalid escape token {value!r}: it must be ` or \\")
        return True

    # -- main loop ---------------------------------------------------------------------------
    def check_line_lengths(self) -> None:
        for number, (start, end, _) in enumerate(self.lines, 1):
            if end - start <= MAX_LINE_BYTES // 4:
                continue  # too short to exceed the limit even in 4-byte characters
            size = len(self.text[start:end].encode("utf-8", "surrogatepass"))
            if size > MAX_LINE_BYTES:
                message = f"line {number} is {size} bytes long: BuildKit reads at most {MAX_LINE_BYTES} bytes per line"
                self.error_at_line(number, message)
                return  # BuildKit stops reading at the first such line

    def run(self) -> Dockerfile:
        self.check_line_lengths()
        i = 0
        n = len(self.lines)
        while i < n:
            start, content = self.line_text(i)
            full_end = self.lines[i][2]
            lead = 0
            if i == 0 and content.startswith(_BOM):
                lead = 1
            token = go_lstrip(content[lead:])
            token_start = start + len(content) - len(token)
            is_directive = self.check_directive(token, start, i + 1)
            is_comment = token.startswith("#")
            if is_comment:
                self._add_comment(token, start, full_end, i, is_directive)
                i += 1
                continue
            piece, eol = self.trim_continuation(token)
            if eol and piece == "":
                self.pending_comments = []
                self.nodes.append(Blank(Span(start, full_end), Position(i + 1, 1)))
                i += 1
                continue
            i = self._instruction(i, start, token_start, piece, eol)
        self._check_structure()
        return Dockerfile(
            text=self.text,
            nodes=self.nodes,
            escape=self.escape,
            directives=self.directives,
            errors=self.errors,
            line_index=self.index,
            path=self.path,
        )

    def _add_comment(self, token: str, start: int, full_end: int, i: int, is_directive: bool) -> None:
        pos = Position(i + 1, 1)
        if is_directive:
            old = self.directives[_DIRECTIVE_RE.match(token).group(1).lower()]  # type: ignore[union-attr]
            if old.start.line == i + 1:
                self.directives[old.name] = Directive(old.name, old.value, Span(start, full_end), pos)
                self.nodes.append(self.directives[old.name])
                return
        text = go_strip(token[1:])
        if text:
            self.pending_comments.append(text)
        else:
            self.pending_comments = []
        self.nodes.append(Comment(text, Span(start, full_end), pos))

    def _instruction(self, i: int, line_start: int, token_start: int, first: str, eol: bool) -> int:
        n = len(self.lines)
        first_line = i
        # (logical offset, source offset, length) pieces of the joined line
        pieces: list[tuple[int, int, int]] = [(0, token_start, len(first))]
        logical_parts = [first]
        logical_len = len(first)
        physical: list[PhysicalLine] = [self._physical(i, LineKind.CONTENT)]
        i += 1
        while not eol and i < n:
            start, content = self.line_text(i)
            stripped = go_lstrip(content)
            if stripped.startswith("#"):
                physical.append(self._physical(i, LineKind.COMMENT))
                i += 1
                continue
            if stripped == "":
                physical.append(self._physical(i, LineKind.BLANK))
                i += 1
                continue
            piece, eol = self.trim_continuation(content)
            pieces.append((logical_len, start, len(piece)))
            logical_parts.append(piece)
            logical_len += len(piece)
            physical.append(self._physical(i, LineKind.CONTENT))
            i += 1
        logical = "".join(logical_parts)
        offset_map = tuple([p for p in pieces if p[2] > 0])

        def to_source(offset: int) -> int:
            return _map_offset(offset_map, offset, token_start)

        ins = self._build(logical, to_source, offset_map)
        target = ins.sub if ins.sub is not None else ins
        heredocs: list[Heredoc] = []
        if (
            target.keyword in HEREDOC_INSTRUCTIONS
            and target.form is not Form.EXEC
            and "<<" in logical
        ):
            words, heredoc_error = _heredoc_words(logical)
            if heredoc_error:
                self.error(ins.span.start, heredoc_error)
            for name, chomp, expand, fd in words:
                body_start = self.lines[i][0] if i < n else len(self.text)
                content_parts: list[str] = []
                terminated = False
                terminator: Span | None = None
                while i < n:
                    start, content = self.line_text(i)
                    candidate = content.lstrip("\t") if chomp else content
                    if candidate == name:
                        terminator = Span(start, self.lines[i][1])
                        physical.append(self._physical(i, LineKind.TERMINATOR))
                        i += 1
                        terminated = True
                        break
                    content_parts.append(self.text[start : self.lines[i][2]])
                    physical.append(self._physical(i, LineKind.HEREDOC))
                    i += 1
                body_end = terminator.start if terminator else len(self.text)
                heredocs.append(
                    Heredoc(name, chomp, expand, fd, "".join(content_parts), Span(body_start, body_end), terminator)
                )
                if not terminated:
                    self.error(
                        ins.span.start,
                        f"unterminated heredoc: <<{name} opened on line {first_line + 1} has no line "
                        f"{name!r} to end it",
                    )
                    break
        end_offset = self.lines[i - 1][2]
        last_line = physical[-1]
        keyword_offset = ins.span.start
        # The instruction owns its whole first line, indentation and a lone continuation
        # character included; BuildKit's StartLine is that line too.
        ins.span = Span(line_start, end_offset)
        ins.start = Position(first_line + 1, 1)  # line_start begins that line
        ins.lines = tuple(physical)
        # the last character of the last line (column 1 for an empty line); a physical line's span starts its line
        ins.end = Position(last_line.number, max(last_line.span.end - last_line.span.start, 1))
        sub = ins.sub
        while sub is not None:
            # A sub-instruction runs from its keyword to the end of the ONBUILD.
            sub.span = Span(sub.span.start, end_offset)
            sub.lines = ins.lines
            sub.end = ins.end
            sub = sub.sub
        if heredocs:
            target.heredocs = tuple(heredocs)
        ins.comments = tuple(self.pending_comments)
        self.pending_comments = []
        self._validate(ins, keyword_offset)
        self.nodes.append(ins)
        return i

    def _check_structure(self) -> None:
        instructions = [node for node in self.nodes if isinstance(node, Instruction)]
        if not instructions:
            line = max(1, len(self.lines))
            self.error_at_line(line, "the file has no instructions" if self.text.strip() else "the file is empty")
            return
        for ins in instructions:
            if ins.keyword == "FROM":
                break
            if ins.keyword != "ARG" and ins.keyword in KNOWN_INSTRUCTIONS:
                self.error(ins.span.start, f"{ins.keyword} before the first FROM: only ARG may come before FROM")
                break

    def _physical(self, i: int, kind: LineKind) -> PhysicalLine:
        start, end, full_end = self.lines[i]
        text = self.text
        content_end = end
        while content_end > start and text[content_end - 1] == "\r":
            content_end -= 1
        return PhysicalLine(i + 1, kind, Span(start, content_end), Span(start, full_end))

    def _build(
        self,
        logical: str,
        to_source: Callable[[int], int],
        offset_map: tuple[tuple[int, int, int], ...],
        sub: bool = False,
    ) -> Instruction:
        """Build an instruction from its joined line (BuildKit's newNodeFromLine); ``sub`` for ONBUILD's."""
        stripped = go_strip(logical)
        lead = len(logical) - len(go_lstrip(logical))
        parts = _COMMAND_SPLIT_RE.split(stripped, maxsplit=1)
        raw_keyword = parts[0]
        keyword = _keyword(raw_keyword)
        flags: list[Flag] = []
        arguments = ""
        args_logical_start = lead + len(stripped)
        if len(parts) == 2:
            rest_start = lead + len(stripped) - len(parts[1])
            args_rel, words = _extract_builder_flags(parts[1])
            for word, w_start, w_end in words:
                body = word[2:]
                name, sep, value = body.partition("=")
                raw = logical[rest_start + w_start : rest_start + w_end]
                span = Span(to_source(rest_start + w_start), to_source(rest_start + w_end - 1) + 1)
                flags.append(Flag(name, value if sep else None, raw, span))
            remainder = parts[1][args_rel:]
            arguments = go_strip(remainder)
            args_logical_start = rest_start + args_rel + (len(remainder) - len(go_lstrip(remainder)))
        start_src = to_source(lead)
        args_span = None
        if arguments:
            args_span = Span(to_source(args_logical_start), to_source(args_logical_start + len(arguments) - 1) + 1)
        values, form, exec_args, error = _dispatch(keyword, arguments, self.escape)
        # start and end are set by _instruction (a sub-instruction of ONBUILD keeps this start)
        start_pos = self.index.position(start_src) if sub else _PLACEHOLDER
        ins = Instruction(  # positional, in field order (keyword arguments cost more, by the ten thousand)
            keyword,
            raw_keyword,
            Span(start_src, start_src),
            start_pos,
            start_pos,
            (),  # lines
            logical,
            tuple(flags),
            arguments,
            args_span,
            form,
            exec_args,
            (),  # heredocs
            values,
            None,  # sub
            (),  # comments
            offset_map,
        )
        if error:
            self.error(start_src, f"{keyword}: {error}")
        if keyword == "ONBUILD" and arguments:
            shift = args_logical_start
            sub_map = _shift_map(offset_map, shift, len(arguments))
            ins.sub = self._build(arguments, lambda o: to_source(shift + o), sub_map, sub=True)
            ins.values = ins.sub.values
            if ins.sub.sub is not None:
                # ONBUILD ONBUILD x (an error anyway): BuildKit's inner node is a bare
                # container whose only value is empty.
                ins.values = ("",)
        return ins

    def _validate(self, ins: Instruction, keyword_offset: int) -> None:
        """Errors BuildKit reports after parsing (instructions.Parse), kept local to one line.

        Errors point at the keyword (of the sub-instruction, for ONBUILD).
        """
        target = ins.sub if ins.sub is not None else ins
        at = target.span.start if ins.sub is not None else keyword_offset
        if ins.keyword == "ONBUILD":
            if ins.sub is None:
                self.error(keyword_offset, "ONBUILD needs an instruction to run")
            elif ins.sub.keyword in ("ONBUILD", "FROM", "MAINTAINER"):
                self.error(keyword_offset, f"{ins.sub.keyword} is not allowed as an ONBUILD trigger")
        if target.keyword not in KNOWN_INSTRUCTIONS:
            hint = _suggest(target.keyword)
            self.error(
                at,
                f"unknown instruction {target.raw_keyword!r}" + (f" (did you mean {hint}?)" if hint else ""),
            )
            return
        if target.keyword in ("FROM", "WORKDIR", "USER", "EXPOSE", "STOPSIGNAL", "MAINTAINER") and not target.values:
            self.error(at, f"{target.keyword} requires at least one argument")
        if target.keyword == "FROM" and len(target.values) not in (1, 3):
            self.error(at, "FROM takes an image and, optionally, AS NAME")
        if target.keyword == "FROM" and len(target.values) == 3 and target.values[1].lower() != "as":
            self.error(at, f"FROM expects AS before the stage name, found {target.values[1]!r}")
        if target.keyword in ("COPY", "ADD") and len(target.values) < 2 and not target.heredocs:
            self.error(at, f"{target.keyword} requires at least two arguments: source and destination")
        if target.keyword in ("RUN", "SHELL") and target.form is Form.NONE:
            self.error(at, f"{target.keyword} requires at least one argument")  # CMD alone is allowed
        if target.keyword == "SHELL" and target.form is Form.SHELL:
            self.error(at, "SHELL requires the JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]")
        if target.keyword == "ARG" and not target.values:
            self.error(at, "ARG requires a name")
        if target.keyword == "HEALTHCHECK" and target.values:
            kind = target.values[0].upper()
            if kind not in ("CMD", "NONE"):
                self.error(at, f"HEALTHCHECK expects CMD or NONE, found {target.values[0]!r}")


def _split_lines(text: str) -> list[tuple[int, int, int]]:
    """(start, end without '\\n', end with '\\n') for every line; a final line may lack '\\n'."""
    result = []
    start = 0
    length = len(text)
    while start < length:
        nl = text.find("\n", start)
        if nl == -1:
            result.append((start, length, length))
            break
        result.append((start, nl, nl + 1))
        start = nl + 1
    return result


def _map_offset(offset_map: tuple[tuple[int, int, int], ...], offset: int, default: int) -> int:
    for log_start, src_start, length in offset_map:
        if log_start <= offset < log_start + length:
            return src_start + offset - log_start
    if offset_map:
        log_start, src_start, length = offset_map[-1]
        if offset >= log_start + length:
            return src_start + length
    return default


def _shift_map(
    offset_map: tuple[tuple[int, int, int], ...], shift: int, length: int
) -> tuple[tuple[int, int, int], ...]:
    result = []
    for log_start, src_start, size in offset_map:
        lo = max(log_start, shift)
        hi = min(log_start + size, shift + length)
        if lo < hi:
            result.append((lo - shift, src_start + lo - log_start, hi - lo))
    return tuple(result)


def _extract_builder_flags(line: str) -> tuple[int, list[tuple[str, int, int]]]:
    """Leading ``--flag[=value]`` words; returns (offset of the rest, [(word, start, end)]).

    Follows BuildKit: quotes and backslashes inside flags are removed, ``--`` ends the flags.
    """
    after_spaces = line.lstrip(_ASCII_SPACE_TEXT)
    if not after_spaces.startswith("--"):  # most instructions: no flag
        return len(line) - len(after_spaces), []
    words: list[tuple[str, int, int]] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word: list[str] = []
    quote = ""
    blank_ok = False
    word_start = 0
    pos = 0
    length = len(line)
    while pos <= length:
        ch = line[pos] if pos < length else ""
        if phase == in_spaces:
            if pos == length:
                break
            if ch in _ASCII_SPACE:
                pos += 1
                continue
            if ch != "-" or pos + 1 == length or line[pos + 1] != "-":
                return pos, words
            phase = in_word
            word_start = pos
        if phase in (in_word, in_quote) and pos == length:
            text = "".join(word)
            if text != "--" and (blank_ok or text):
                words.append((text, word_start, pos))
            break
        if phase == in_word:
            if ch in _ASCII_SPACE:
                phase = in_spaces
                text = "".join(word)
                if text == "--":
                    return pos, words
                if blank_ok or text:
                    words.append((text, word_start, pos))
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == length:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == length:
                phase = in_word
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word.append(ch)
        pos += 1
    return length, words


# -- BuildKit's per-instruction value parsers -----------------------------------------------------

_Dispatch = tuple[tuple[str, ...], Form, tuple[str, ...] | None, str | None]


def _dispatch(keyword: str, rest: str, escape: str) -> _Dispatch:
    if keyword in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
        return _maybe_json(rest)
    if keyword in ("ADD", "COPY", "VOLUME"):
        exec_args, error = _parse_json(rest)
        if error == "not-string":
            return (), Form.NONE, None, "when using JSON array syntax, arrays must be comprised of strings only"
        if exec_args is not None:
            return exec_args, Form.EXEC, exec_args, None
        return _whitespace_split(rest), Form.SHELL if rest else Form.NONE, None, None
    if keyword in ("FROM", "EXPOSE"):
        return _whitespace_split(rest), Form.NONE, None, None
    if keyword in ("USER", "WORKDIR", "MAINTAINER", "STOPSIGNAL"):
        return ((rest,) if rest else ()), Form.NONE, None, None
    if keyword == "ARG":
        return tuple(_parse_words(rest, escape)), Form.NONE, None, None
    if keyword in ("ENV", "LABEL"):
        values, error = _parse_name_val(rest, keyword, escape)
        return values, Form.NONE, None, error
    if keyword == "HEALTHCHECK":
        return _parse_healthcheck(rest)
    if keyword == "ONBUILD":
        return (), Form.NONE, None, None
    return ("",), Form.NONE, None, None


def _whitespace_split(rest: str) -> tuple[str, ...]:
    if not rest:
        return ()
    return tuple(_COMMAND_SPLIT_RE.split(rest))


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def _go_number(text: str) -> float:
    # Go decodes JSON numbers into float64 and fails on overflow; Python would give inf or a big int.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text} out of range")
    return value


# Go's json.Decoder reads one value and ignores what follows it: `["a"] trailing` is JSON.
_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_go_number, parse_int=_go_number)


def _parse_json(rest: str) -> tuple[tuple[str, ...] | None, str | None]:
    """A JSON array of strings, as Go's encoding/json reads it; (None, reason) otherwise."""
    text = go_lstrip(rest)
    if not text.startswith("["):
        return None, "not-json"
    try:
        data, _end = _JSON_DECODER.raw_decode(text)
    except ValueError:
        return None, "invalid"
    except RecursionError:
        # Nested deeper than Python's json can go, but Go's decoder allows 10000 levels: a valid
        # array that deep holds a non-string.
        return None, "not-string" if _deep_json_is_valid(text) else "invalid"
    if not isinstance(data, list):
        return None, "invalid"
    if not all(isinstance(item, str) for item in data):
        return None, "not-string"
    return tuple(_fix_surrogates(item) for item in data), None


_GO_MAX_JSON_DEPTH = 10000
_JSON_TOKEN_RE = re.compile(
    r"""[ \t\n\r]*(?:
        (?P<punct>[\[\]{},:])
      | (?P<string>"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")
      | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
      | (?P<literal>true|false|null)
    )""",
    re.VERBOSE,
)


def _deep_json_is_valid(text: str) -> bool:
    """Whether ``text`` starts with one JSON value Go would decode, checked without recursion."""
    stack: list[str] = []
    state = "value"  # what may come next: value, value-or-close, key, key-or-close, colon, comma-or-close
    pos = 0
    while True:
        match = _JSON_TOKEN_RE.match(text, pos)
        if match is None:
            return False
        pos = match.end()
        token = match.group("punct")
        if token is None and match.group("number") and math.isinf(float(match.group("number"))):
            return False  # Go fails to store a number out of float64 range
        if state in ("value", "value-or-close"):
            if token == "]" and state == "value-or-close":
                stack.pop()
            elif token in ("[", "{"):
                stack.append(token)
                if len(stack) > _GO_MAX_JSON_DEPTH:
                    return False
                state = "value-or-close" if token == "[" else "key-or-close"
                continue
            elif token is not None:
                return False
        elif state in ("key", "key-or-close"):
            if token == "}" and state == "key-or-close":
                stack.pop()
            elif match.group("string"):
                state = "colon"
                continue
            else:
                return False
        elif state == "colon":
            if token != ":":
                return False
            state = "value"
            continue
        elif token == "," and stack:  # comma-or-close
            state = "value" if stack[-1] == "[" else "key"
            continue
        elif token is not None and stack and token == {"[": "]", "{": "}"}[stack[-1]]:
            stack.pop()
        else:
            return False
        if not stack:  # a complete value
            return True
        state = "comma-or-close"


def _fix_surrogates(text: str) -> str:
    # Go replaces unpaired surrogate escapes with U+FFFD; Python keeps them.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _maybe_json(rest: str) -> _Dispatch:
    if not rest:
        return (), Form.NONE, None, None
    exec_args, error = _parse_json(rest)
    if error == "not-string":
        return (), Form.NONE, None, "when using JSON array syntax, arrays must be comprised of strings only"
    if exec_args is not None:
        return exec_args, Form.EXEC, exec_args, None
    return (rest,), Form.SHELL, None, None


def _parse_healthcheck(rest: str) -> _Dispatch:
    sep = 0
    while sep < len(rest) and rest[sep] not in _ASCII_SPACE:
        sep += 1
    if sep == 0:
        return (), Form.NONE, None, None
    nxt = sep
    while nxt < len(rest) and rest[nxt] in _ASCII_SPACE:
        nxt += 1
    values, form, exec_args, error = _maybe_json(rest[nxt:])
    return (rest[:sep], *values), form, exec_args, error


def _words_pattern(escape: str) -> re.Pattern[str]:
    """One word of parseWords: plain characters, escape pairs, and quoted runs (an open quote runs to the end)."""
    esc = re.escape(escape)
    plain = rf"[^\s'\"{esc}]|[\x1c-\x1f]"  # Go's white space is Python's less U+001C..U+001F
    return re.compile(rf"(?:(?:{plain})+|{esc}.|'[^']*'?|\"(?:[^\"{esc}]|{esc}.)*\"?)+", re.DOTALL)


_WORDS = {escape: _words_pattern(escape) for escape in ("\\", "`")}


def _parse_words(rest: str, escape: str) -> list[str]:
    """BuildKit's parseWords: split on white space, keep quotes, honour the escape character."""
    if escape not in rest and "'" not in rest and '"' not in rest:
        return go_fields(rest)  # nothing quoted or escaped: the words between white space
    if not rest.endswith(escape):  # BuildKit drops a lone escape at the very end: the loop knows when
        return _WORDS[escape].findall(rest)
    return _parse_words_loop(rest, escape)


def _parse_words_loop(rest: str, escape: str) -> list[str]:
    """parseWords character by character, as BuildKit writes it (the pattern above is the same, faster)."""
    words: list[str] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    quote = ""
    blank_ok = False
    buf: list[str] = []
    pos = 0
    length = len(rest)
    while pos <= length:
        ch = rest[pos] if pos < length else ""
        if phase == in_spaces:
            if pos == length:
                break
            if is_go_space(ch):
                pos += 1
                continue
            phase = in_word
        if phase in (in_word, in_quote) and pos == length:
            if blank_ok or buf:
                words.append("".join(buf))
            break
        if phase == in_word:
            if is_go_space(ch):
                phase = in_spaces
                if blank_ok or buf:
                    words.append("".join(buf))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote = ch
                blank_ok = True
                phase = in_quote
            if ch == escape:
                if pos + 1 == length:
                    pos += 1
                    continue
                buf.append(ch)
                pos += 1
                ch = rest[pos]
            buf.append(ch)
            pos += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
        if ch == escape and quote != "'":
            if pos + 1 == length:
                phase = in_word
                pos += 1
                continue
            pos += 1
            buf.append(ch)
            ch = rest[pos]
        buf.append(ch)
        pos += 1
    return words


def _parse_name_val(rest: str, keyword: str, escape: str) -> tuple[tuple[str, ...], str | None]:
    words = _parse_words(rest, escape)
    if not words:
        return (), None
    if "=" not in words[0]:
        parts = _COMMAND_SPLIT_RE.split(rest, maxsplit=1)
        if len(parts) < 2:
            return (), f"{keyword} must have two arguments"
        return (parts[0], parts[1]), None
    values: list[str] = []
    for word in words:
        if "=" not in word:
            return (), f"can't find = in {word!r}: it must be of the form name=value"
        key, _, value = word.partition("=")
        values += [key, value]
    return tuple(values), None


class _LexError(Exception):
    """BuildKit's shell lexer rejected the text (unterminated quote, bad ${...})."""


class _ShellLex:
    """BuildKit's ``shell.Lex`` word splitting with unset variables kept as written.

    Heredoc detection runs this lexer over the whole instruction line, so whether ``<<EOF`` is a
    heredoc depends on its quoting rules: a line the lexer rejects has no heredocs at all.
    """

    def __init__(self, text: str, raw_quotes: bool, raw_escapes: bool) -> None:
        self.text = text
        self.pos = 1 if text.startswith(_BOM) else 0  # Go's text/scanner skips a leading BOM
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes

    def words(self) -> list[str]:
        """The words of the text; raises _LexError where BuildKit's lexer fails."""
        return self._stop_on("")[1]

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _next(self) -> str:
        ch = self._peek()
        if ch:
            self.pos += 1
        return ch

    def _stop_on(self, stop: str) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        while (ch := self._peek()) != "":
            if stop and ch == stop:
                self._next()
                return "".join(result), words.finish()
            if ch in "$'\"":
                piece = self._dollar() if ch == "$" else self._single() if ch == "'" else self._double()
                result.append(piece)
                if ch == "$":
                    words.add_string(piece)  # an expansion is split on spaces, a quoted string is not
                else:
                    words.add_raw(piece)
                continue
            ch = self._next()
            if ch == "\\":
                if self.raw_escapes:
                    words.add_raw(ch)
                    result.append(ch)
                ch = self._next()
                if ch == "":
                    break
                words.add_raw(ch)
            else:
                words.add_char(ch)
            result.append(ch)
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.finish()

    def _single(self) -> str:
        opening = self._next()
        out = [opening] if self.raw_quotes else []
        while True:
            ch = self._next()
            if ch == "":
                raise _LexError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def _double(self) -> str:
        opening = self._next()
        out = [opening] if self.raw_quotes else []
        while True:
            ch = self._peek()
            if ch == "":
                raise _LexError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self._next()
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self._dollar())
                continue
            ch = self._next()
            if ch == "\\":
                if self.raw_escapes:
                    out.append(ch)
                nxt = self._peek()
                if nxt == "":
                    continue
                if nxt in ('"', "$", "\\"):
                    ch = self._next()
            out.append(ch)

    def _dollar(self) -> str:
        """``$name`` or ``${...}``; every variable is unset, so the text comes back as written.

        BuildKit 0.12 knows ``${x}``, ``${x-w}``, ``${x+w}``, ``${x?w}`` and their ``:`` forms;
        anything else (``${x#w}``, ``${x/a/b}``, ``${x y}``) makes the whole line fail to lex.
        """
        self._next()
        if self._peek() != "{":
            return "$" + self._name()
        self._next()
        first = self._peek()
        if first == "":
            raise _LexError("syntax error: missing '}'")
        if first in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self._name()
        ch = self._next()
        if ch == "}":
            return "${" + name + "}"
        modifier = ch
        if ch == ":":
            modifier += self._next()  # any character: it is only checked once the variable is set
        elif ch not in ("+", "-", "?"):
            raise _LexError(f"unsupported modifier ({ch or 'EOF'}) in substitution")
        try:
            word = self._stop_on("}")[0]
        except _LexError:
            if self._peek() == "":
                raise _LexError("syntax error: missing '}'") from None
            raise
        return "${" + name + modifier + word + "}"

    def _name(self) -> str:
        ch = self._peek()
        if ch.isdecimal():
            start = self.pos
            while self._peek().isdecimal():
                self.pos += 1
            return self.text[start : self.pos]
        if ch in _SPECIAL_PARAMS:
            return self._next()
        start = self.pos
        while (ch := self._peek()) and (ch.isalpha() or ch.isdecimal() or ch == "_"):
            self.pos += 1
        return self.text[start : self.pos]


_SPECIAL_PARAMS = frozenset("@*#?-$!0")


class _Words:
    """Go's wordsStruct: collects words, splitting on Unicode white space outside quotes."""

    def __init__(self) -> None:
        self.word = ""
        self.in_word = False
        self.words: list[str] = []

    def add_char(self, ch: str) -> None:
        if is_go_space(ch):
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        else:
            self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def finish(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
            self.in_word = False
        return self.words


_HeredocWord = tuple[str, bool, bool, int]


def _heredoc_words(line: str) -> tuple[list[_HeredocWord], str | None]:
    """(name, chomp, expand, fd) for each heredoc opener on the line, or an error as BuildKit has it."""
    try:
        words = _ShellLex(line, raw_quotes=True, raw_escapes=True).words()
    except _LexError:
        return [], None  # BuildKit ignores the lexer's error here: the line simply has no heredocs
    found = []
    for word in words:
        match = _HEREDOC_WORD_RE.match(word)
        if not match or not match.group(3):
            continue
        rest = match.group(3)
        try:
            plain = _ShellLex(rest, raw_quotes=False, raw_escapes=False).words()
            if len(plain) != 1:
                continue  # not a single word: not a heredoc
            raw = _ShellLex(rest, raw_quotes=True, raw_escapes=False).words()
        except _LexError as exc:
            return [], f"invalid heredoc delimiter {rest!r}: {exc}"
        if len(raw) != len(plain):
            return [], f"invalid heredoc delimiter {rest!r}: it lexes inconsistently"
        # A quote anywhere in the delimiter turns off expansion of the body.
        expand = _count_quotes(plain[0]) == _count_quotes(raw[0])
        fd = int(match.group(1) or 0)
        found.append((plain[0], match.group(2) == "-", expand, fd if fd <= _MAX_FD else 0))
    return found, None


def _count_quotes(word: str) -> int:
    return word.count("'") + word.count('"')


_DISPATCH_NAMES = frozenset(name.lower() for name in KNOWN_INSTRUCTIONS)


@lru_cache(maxsize=1024)  # the same few words start most lines
def _keyword(raw: str) -> str:
    """The instruction name, upper-case, as BuildKit dispatches it.

    BuildKit looks up Go's rune-by-rune lower case (where the Kelvin sign is a k and İ an i);
    Python's upper() would turn the unknown 'ſhell' into SHELL. An unknown name never comes out
    as a known one.
    """
    lowered = "".join("i" if ch == "\u0130" else ch.lower() for ch in raw)
    if lowered in _DISPATCH_NAMES:
        return lowered.upper()
    upper = raw.upper()
    return raw if upper in KNOWN_INSTRUCTIONS else upper


def _suggest(keyword: str) -> str | None:
    """The known instruction closest to a misspelt one, if any is close."""
    import difflib

    matches = difflib.get_close_matches(keyword.upper(), sorted(KNOWN_INSTRUCTIONS), n=1, cutoff=0.75)
    return matches[0] if matches else None


__all__ = ["KNOWN_INSTRUCTIONS", "parse"]
