"""Building fixes that rewrite RUN and COPY instructions (DO201, DO202, DO204, DO206, DO211).

A fix that changes the shell of a RUN is checked before it is offered: the edited instruction is parsed
again, alone, and its commands must be the original ones plus (or minus) exactly what the fix meant to
add (or remove), with the same structure (lists, pipelines, conditions, redirects). Whatever the
shell would read differently (a trailing `# comment` that swallows an appended command, a `;` before
an added `&&`) makes the fix disappear instead of changing the build.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockopt.findings import Edit
from dockopt.shell import Command, Script, parse_shell
from dockopt.syntax import Dockerfile, Form, Instruction, LineKind, PhysicalLine, parse

Shape = tuple[object, ...]


def keyword_end(ins: Instruction, df: Dockerfile) -> int:
    """Offset just after the instruction keyword (``RUN``, ``COPY``)."""
    first = ins.lines[0].span if ins.lines else ins.span
    text = df.text[first.start : first.end]
    indent = len(text) - len(text.lstrip())
    return first.start + indent + len(ins.raw_keyword)


def add_flag(ins: Instruction, df: Dockerfile, flag: str, *, own_line: bool = False) -> Edit | None:
    """Add ``flag`` (``--mount=…``, ``--chown=…``) as the instruction's first flag.

    With ``own_line``, the flag ends the keyword's line and what followed the keyword moves to a
    continuation line (indented like the instruction's other lines, else by four spaces), the usual
    layout of ``RUN --mount=… \\``; when the keyword already ends its line, the flag joins it.

    The edit rewrites everything from the keyword to the first character of the arguments, so any other
    fix that adds a flag to the same instruction overlaps it and waits for the next pass (which sees the
    flag this one added): two fixes never add the same mount twice.
    """
    if ins.arguments_span is None:
        return None
    start = keyword_end(ins, df) - len(ins.raw_keyword)
    end = ins.arguments_span.start + 1
    original = df.text[start:end]
    keyword, rest = original[: len(ins.raw_keyword)], original[len(ins.raw_keyword) :]
    after_keyword = ins.flags[0].span.start if ins.flags else ins.arguments_span.start
    if not own_line or after_keyword >= ins.lines[0].span.end:
        return Edit(start, end, f"{keyword} {flag}{rest}")  # inline, or the keyword ends its line already
    following = rest.lstrip(" \t")
    lines = content_lines(ins)
    indent = indentation(df, lines[1]) if len(lines) > 1 else "    "
    return Edit(start, end, f"{keyword} {flag} {df.escape}{line_ending(ins, df)}{indent}{following}")


def line_ending(ins: Instruction, df: Dockerfile) -> str:
    """``\\r\\n`` when the instruction's first line ends so, else ``\\n``."""
    line = ins.lines[0]
    ending = df.text[line.span.end : line.full.end]
    return ending if ending in ("\n", "\r\n") else "\n"


def content_lines(ins: Instruction) -> list[PhysicalLine]:
    return [line for line in ins.lines if line.kind is LineKind.CONTENT]


def has_comment_lines(ins: Instruction) -> bool:
    """Comment lines inside the continuation (BuildKit drops them; a rewrite must keep them)."""
    return any(line.kind is LineKind.COMMENT for line in ins.lines)


def indentation(df: Dockerfile, line: PhysicalLine) -> str:
    text = df.text[line.span.start : line.span.end]
    return text[: len(text) - len(text.lstrip())]


def edited_instruction(df: Dockerfile, ins: Instruction, edits: Sequence[Edit]) -> Instruction | None:
    """``ins`` with ``edits`` (file offsets inside it) applied, parsed alone; None when it is not one instruction."""
    start, end = ins.span.start, ins.span.end
    text = df.text[start:end]
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        if not start <= edit.start <= edit.end <= end:
            return None
        text = text[: edit.start - start] + edit.text + text[edit.end - start :]
    prefix = "" if df.escape == "\\" else f"# escape={df.escape}\n"
    tree = parse(f"{prefix}FROM scratch\n{text}")
    instructions = tree.instructions
    if tree.errors or len(instructions) != 2 or instructions[1].keyword != ins.keyword:
        return None
    return instructions[1]


def script_of(ins: Instruction) -> Script | None:
    """The shell of a RUN as the model reads it (the heredoc body for ``RUN <<EOF``)."""
    if ins.form is not Form.SHELL:
        return None
    if ins.heredocs and ins.arguments.lstrip().startswith("<<"):
        return parse_shell(ins.heredocs[0].content)
    return parse_shell(ins.arguments) if ins.arguments else None


def shape(command: Command) -> Shape:
    """What the shell does with a command, positions left out."""
    return (
        command.name,
        tuple(word.text for word in command.argv),
        command.wrappers,
        command.assignments,
        tuple((r.operator, r.target.text if r.target else None) for r in command.redirects),
        command.in_pipeline,
        command.pipeline_index,
        command.negated,
        command.conditional,
        command.in_subshell,
        command.nested,
    )


def shapes(script: Script) -> list[Shape]:
    return [shape(command) for command in script.commands]


def script_becomes(df: Dockerfile, ins: Instruction, edits: Sequence[Edit], expected: list[Shape]) -> bool:
    """After ``edits``, the RUN still parses alone and its commands are exactly ``expected``."""
    edited = edited_instruction(df, ins, edits)
    if edited is None:
        return False
    script = script_of(edited)
    return script is not None and not script.has_error and shapes(script) == expected


def plain(command: Command) -> bool:
    """A command that runs unconditionally at the top level of its RUN, on its own."""
    return not (
        command.conditional
        or command.in_subshell
        or command.nested
        or command.in_pipeline
        or command.negated
        or command.redirects
    )
