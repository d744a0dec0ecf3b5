"""Differential comparison of dockopt's parser with BuildKit's own (the `dockerfile` package).

Shared by the parity tests and ``benchmarks/fuzz_parser.py``. The oracle is BuildKit's
``parser.Parse`` (v0.12) bound to Python: it has no columns and no comments, so the comparison is
per instruction on what both sides have: name, lines, flags, values, JSON-ness, the ONBUILD
sub-command, the joined line and the heredocs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import dockerfile
from hypothesis import strategies as st

from dockopt.syntax import KNOWN_INSTRUCTIONS, Dockerfile, Form, Instruction, parse

# One instruction as both parsers can describe it (see _FIELDS).
View = tuple[str, bool, str, bool, int, int, tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...], str]


@dataclass(frozen=True)
class Comparison:
    """The outcome of parsing one text with both parsers."""

    oracle: list[View] | None  # None when the oracle rejected the text
    oracle_error: str | None
    ours: list[View]
    tree: Dockerfile
    undecodable: bool = False  # the binding could not decode Go's (mojibake) strings

    @property
    def problems(self) -> list[str]:
        """Human-readable disagreements; empty when the two parsers agree."""
        if self.undecodable:
            if go_byte_quirk(self.tree):
                return []
            return [f"the oracle's output cannot be decoded ({self.oracle_error})"]
        if self.oracle is None:
            if self.tree.errors:
                return []
            return [f"oracle rejects the text ({self.oracle_error}) but dockopt reports no error"]
        problems = []
        if len(self.oracle) != len(self.ours):
            problems.append(f"instruction count: oracle {len(self.oracle)}, dockopt {len(self.ours)}")
        for index, (theirs, mine) in enumerate(zip(self.oracle, self.ours, strict=False)):
            if theirs != mine:
                fields = [name for name, a, b in zip(_FIELDS, theirs, mine, strict=True) if a != b]
                problems.append(f"instruction {index + 1} differs in {', '.join(fields)}:\n  oracle  {theirs}\n  dockopt {mine}")
        return problems


_FIELDS = ("keyword", "known", "sub_keyword", "json", "start_line", "end_line", "flags", "values", "heredocs", "original")


_DISPATCH_NAMES = frozenset(name.lower() for name in KNOWN_INSTRUCTIONS)


def _go_lower(text: str) -> str:
    """Go's strings.ToLower: simple per-rune mapping (Python's lower() turns İ into two runes)."""
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in text)


def oracle_view(text: str) -> tuple[list[View] | None, str | None]:
    """BuildKit's instructions for ``text``, or (None, message) when it rejects the text."""
    try:
        commands = dockerfile.parse_string(text)
    except (dockerfile.GoParseError, dockerfile.GoIOError) as exc:
        return None, str(exc)
    views = []
    for cmd in commands:
        heredocs = tuple((h.name, h.content) for h in cmd.heredocs)
        views.append(
            (
                cmd.cmd or "",  # as written; the binding turns Go's empty strings into None
                _go_lower(cmd.cmd or "") in _DISPATCH_NAMES,
                cmd.sub_cmd or "",
                cmd.json,
                cmd.start_line,
                cmd.end_line,
                tuple(cmd.flags),
                tuple(cmd.value),
                heredocs,
                cmd.original or "",
            )
        )
    return views, None


def instruction_view(ins: Instruction) -> View:
    """dockopt's view of one instruction, shaped like the oracle's."""
    target = ins.sub if ins.sub is not None else ins
    heredocs = tuple((h.name, h.content) for h in ins.heredocs)
    # The binding rebuilds Original as the joined line, then each body and its delimiter.
    original = ins.logical + "".join(f"\n{h.content}{h.name}" for h in ins.heredocs) + ("\n" if heredocs else "")
    return (
        ins.raw_keyword,
        ins.keyword in KNOWN_INSTRUCTIONS,
        ins.sub.raw_keyword if ins.sub is not None else "",
        target.form is Form.EXEC,
        ins.start_line,
        ins.end_line,
        tuple(f.text for f in ins.flags),
        tuple(ins.values),
        heredocs,
        original,
    )


def compare(text: str) -> Comparison:
    tree = parse(text)
    ours = [instruction_view(i) for i in tree.instructions]
    try:
        oracle, error = oracle_view(text)
    except UnicodeDecodeError as exc:
        return Comparison(None, str(exc), ours, tree, undecodable=True)
    return Comparison(oracle, error, ours, tree)


# Tokens for differential fuzzing: Dockerfile-ish pieces that exercise the parser's corners.
# ASCII only (a BOM only as a prefix): Go reads flag words byte by byte, so non-ASCII characters in
# flags come out as Latin-1 mojibake and the bytes 0x85/0xA0 split words (a deliberate deviation).
TOKENS: tuple[str, ...] = (
    "FROM", "RUN", "CMD", "COPY", "ADD", "ENV", "ARG", "LABEL", "ONBUILD", "HEALTHCHECK", "EXPOSE",
    "VOLUME", "SHELL", "WORKDIR", "USER", "ENTRYPOINT", "STOPSIGNAL", "MAINTAINER", "from", "run",
    "Copy", "onbuild", "NONE", "AS", "as", "FOO",
    "--mount=type=cache,target=/x", "--from=a", "--link", "--", "--chown=", '--a="b c"', "--x='y'", "-",
    '"', "'", "\\", "`", "<<EOF", "<<-EOF", "<<'EOF'", '<<"EOF"', "<<", "EOF", "\tEOF", "2<<EOF",
    "\n", "\r\n", "\r", "#", "# ", " ", " ", " ", "\t", "\v", "\f", "[", "]", ",", "=", ":", "a", "b",
    "escape", "syntax", "=`", "7",
    "x y", "$A", "${A}", "$(b)", "${A:-", "${", "}", "$", "${A/", "/", "%", "#-", "# escape=`", "# escape=\\", "# syntax=x", "#escape=x",
    "\\\n", "`\n", '"a"', '["a", "b"]', '["a",', "{", "}", "1", "null", "true", "\\u0041",
)  # fmt: skip

# Prefixes that make most generated texts start like a real Dockerfile.
PREFIXES: tuple[str, ...] = ("", "FROM a\n", "# escape=`\nFROM a\n", "FROM a\r\nRUN ", "\ufeff")
MAX_TOKENS = 40


def token_texts() -> st.SearchStrategy[str]:
    """Hypothesis strategy: a prefix and up to MAX_TOKENS tokens, joined."""
    return st.builds(
        lambda prefix, tokens: prefix + "".join(tokens),
        st.sampled_from(PREFIXES),
        st.lists(st.sampled_from(TOKENS), max_size=MAX_TOKENS),
    )


def random_token_text(rng: random.Random, extra: tuple[str, ...] = ()) -> str:
    """The same distribution for the long-running fuzzer, with optional extra tokens."""
    pool = TOKENS + extra
    return rng.choice(PREFIXES) + "".join(rng.choice(pool) for _ in range(rng.randint(0, MAX_TOKENS)))


def go_byte_quirk(tree: Dockerfile) -> bool:
    """True when a known deviation applies: non-ASCII text where BuildKit reads bytes.

    Go splits flags (and the HEALTHCHECK type word) byte by byte: a non-ASCII character there
    comes out as Latin-1 mojibake, and the bytes 0x85/0xA0 of a UTF-8 sequence count as spaces.
    dockopt keeps the characters, which is what the author wrote.
    """
    for ins in tree.instructions:
        for part in (ins, ins.sub):
            if part is None:
                continue
            if any(not flag.raw.isascii() for flag in part.flags):
                return True
            if part.keyword == "HEALTHCHECK" and not part.arguments.isascii():
                return True
    return False
