"""Edits that add whole instructions to a Dockerfile (the fixes of DO401 and DO503).

New lines take the file's line ending (CRLF when the file uses it) and the indentation of the
instruction they are placed next to; a comment block directly above an instruction stays with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockopt.findings import Edit
from dockopt.syntax import Comment, Dockerfile, Instruction


def line_ending(df: Dockerfile) -> str:
    """The file's line ending: that of its first line (LF for a one-line file)."""
    newline = df.text.find("\n")
    return "\r\n" if newline > 0 and df.text[newline - 1] == "\r" else "\n"


def indentation(df: Dockerfile, ins: Instruction) -> str:
    """The white space before the instruction's keyword."""
    line = df.text[ins.span.start : ins.lines[0].span.end if ins.lines else ins.span.end]
    return line[: len(line) - len(line.lstrip(" \t"))]


def insert_after(df: Dockerfile, ins: Instruction, lines: Sequence[str]) -> Edit:
    """New lines right after ``ins`` (indented like it)."""
    eol = line_ending(df)
    indent = indentation(df, ins)
    body = eol.join(indent + line for line in lines)
    if df.text[: ins.span.end].endswith("\n"):
        return Edit(ins.span.end, ins.span.end, body + eol)
    return Edit(ins.span.end, ins.span.end, eol + body)  # the last line of a file without a final newline


def insert_before(df: Dockerfile, ins: Instruction, lines: Sequence[str]) -> Edit:
    """New lines before ``ins`` and the comment lines directly above it (which describe ``ins``)."""
    eol = line_ending(df)
    indent = indentation(df, ins)
    start = ins.span.start
    index = next(i for i, node in enumerate(df.nodes) if node is ins)
    while index > 0 and isinstance(df.nodes[index - 1], Comment):
        index -= 1
        start = df.nodes[index].span.start
    return Edit(start, start, "".join(indent + line + eol for line in lines))


def continued(df: Dockerfile, commands: Sequence[str]) -> list[str]:
    """``RUN a && b && c`` as one line per command, joined with the file's escape character."""
    escape = df.escape
    first, *rest = commands
    return [f"RUN {first}" + (f" {escape}" if rest else "")] + [
        f"    && {command}" + (f" {escape}" if i < len(rest) - 1 else "") for i, command in enumerate(rest)
    ]
